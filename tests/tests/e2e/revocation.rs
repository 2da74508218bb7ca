//! Revocation and identity hold on every door: HTTP, the WebSocket and the bot acting for
//! a member. Sockets run subscriptions only; cutting a member's access closes the sockets
//! that depend on it; suspension refuses the member everywhere; whoever sets up access
//! for someone else never receives their secret; staff records are for members only.

use std::time::{Duration, Instant};

use lkn_api::graphql::ids::{NodeType, encode};
use lkn_api::service::access::{self, Authority};
use lkn_api::service::identity;
use lkn_api::service::viewer::Viewer;
use lkn_api::service::write::WriteContext;
use lkn_entity::vocabulary::MemberRole;
use sea_orm::{EntityTrait, PaginatorTrait};
use serde_json::{Value, json};

use crate::on_both_databases;
use crate::subscriptions::Subscriber;
use crate::support::{Backend, TestApp, run_then_clean_up};
use crate::waiting::ready_to_hear;

const PARTNER: &str = "glasgow-life";
const DISCORD_USER: &str = "612345678901234567";
const THREADS: &str = "subscription { threadPosted { title } }";
const WAIT: Duration = Duration::from_secs(10);

/// The member behind `token`.
async fn member_of(app: &TestApp, token: &str) -> lkn_entity::member::Model {
    let viewer = identity::authenticate(&app.db, Some(token), None, chrono::Utc::now()).await.expect("authenticate");
    viewer.member().expect("a member").clone()
}

/// Links `DISCORD_USER` to the member holding `token`, as `/link` does.
async fn link(app: &TestApp, token: &str, bot: &str) {
    let code = app.data(Some(token), "mutation { createDiscordLinkCode { code } }", json!({})).await;
    let linked = app
        .data(
            Some(bot),
            "mutation($i: LinkDiscordAccountInput!) { linkDiscordAccount(input: $i) { member { discordLinked } } }",
            json!({ "i": { "code": code["createDiscordLinkCode"]["code"], "discordUserId": DISCORD_USER } }),
        )
        .await;
    assert_eq!(linked["linkDiscordAccount"]["member"]["discordLinked"], true);
}

/// The code of the first error in a body, or `ok`.
fn code(body: &Value) -> String {
    body["errors"][0]["extensions"]["code"].as_str().unwrap_or("ok").to_owned()
}

/// Waits for the socket to be closed and returns its close code and how long it took.
async fn closed(socket: &mut Subscriber) -> (Value, Duration) {
    let started = Instant::now();
    loop {
        let message = socket.message(WAIT).await.expect("the socket is closed in time");
        if message["type"] == "close" {
            return (message["code"].clone(), started.elapsed());
        }
    }
}

async fn member_count(app: &TestApp) -> u64 {
    lkn_entity::member::Entity::find().count(&app.db).await.expect("count")
}

on_both_databases! {
    async fn a_socket_runs_subscriptions_and_nothing_else(app) {
        let coordinator = app.member_token(PARTNER, MemberRole::Coordinator).await;
        let mut socket = Subscriber::signed_in(app.address, json!({ "Authorization": format!("Bearer {coordinator}") })).await;
        let members_before = member_count(app).await;

        socket.send("q", "{ viewer { displayName } }", json!({})).await;
        let refused = socket.message(WAIT).await.expect("an answer");
        assert_eq!((refused["type"].as_str(), refused["id"].as_str()), (Some("error"), Some("q")), "{refused}");
        assert_eq!(refused["payload"][0]["extensions"]["code"], "BAD_REQUEST", "{refused}");

        socket.send("m", "mutation { createDiscordLinkCode { code } }", json!({})).await;
        assert_eq!(socket.message(WAIT).await.expect("an answer")["payload"][0]["extensions"]["code"], "BAD_REQUEST");
        let add = "mutation { addMember(input: {partnerSlug: \"glasgow-life\", email: \"sock@glasgow.example\", displayName: \"Sock\", role: COORDINATOR}) { enrolment { code } } }";
        socket.send("a", add, json!({})).await;
        assert_eq!(socket.message(WAIT).await.expect("an answer")["payload"][0]["extensions"]["code"], "BAD_REQUEST");
        let mixed = "query Read { viewer { id } } subscription Hear { threadPosted { title } }";
        socket.send("x", mixed, json!({})).await;
        assert_eq!(socket.message(WAIT).await.expect("an answer")["type"], "error", "an ambiguous document is refused");

        assert_eq!(member_count(app).await, members_before, "nothing was written over the socket");
        let codes = lkn_entity::discord_link_code::Entity::find().count(&app.db).await.expect("count");
        assert_eq!(codes, 0, "no link code was made over the socket");

        socket.send("s", THREADS, json!({})).await;
        ready_to_hear(app, 1).await;
        app.data(Some(&coordinator), "mutation { postThread(input: {kind: IDEA, title: \"Heard\"}) { thread { id } } }", json!({})).await;
        let event = socket.message(WAIT).await.expect("the event");
        assert_eq!((event["id"].as_str(), event["payload"]["data"]["threadPosted"]["title"].as_str()), (Some("s"), Some("Heard")));
    }
}

on_both_databases! {
    async fn revoking_a_token_closes_the_sockets_it_opened_at_once(app) {
        let coordinator = app.member_token(PARTNER, MemberRole::Coordinator).await;
        let admin = app.member_token("british-library", MemberRole::Admin).await;
        let mut socket = Subscriber::start(app.address, Some(&coordinator), THREADS, json!({})).await;
        let mut bystander = Subscriber::start(app.address, Some(&admin), THREADS, json!({})).await;
        ready_to_hear(app, 2).await;
        let members_before = member_count(app).await;
        let holder = member_of(app, &coordinator).await;

        let revoked = app.data(Some(&admin), "mutation($i: MemberTokenInput!) { revokeTokens(input: $i) { revokedCount } }",
            json!({ "i": { "memberId": encode(NodeType::Member, holder.id) } })).await;
        assert_eq!(revoked["revokeTokens"]["revokedCount"], 1);
        let (close, took) = closed(&mut socket).await;
        assert_eq!(close, 4403, "the socket is closed as forbidden");
        assert!(took < Duration::from_secs(2), "promptly: {took:?}");

        // Nothing the revoked token sends works any more, on either door.
        assert_eq!(socket.until_closed(WAIT).await, Vec::<Value>::new(), "the socket says nothing more, and ends");
        let body = app.graphql(Some(&coordinator), "mutation { addMember(input: {partnerSlug: \"glasgow-life\", email: \"late@glasgow.example\", displayName: \"Late\"}) { member { id } } }", json!({})).await;
        assert_eq!(code(&body), "UNAUTHENTICATED");
        assert_eq!(code(&app.graphql(Some(&coordinator), "{ viewer { id } }", json!({})).await), "UNAUTHENTICATED");
        assert_eq!(member_count(app).await, members_before);

        // Other sockets carry on.
        app.data(Some(&admin), "mutation { postThread(input: {kind: IDEA, title: \"Still heard\"}) { thread { id } } }", json!({})).await;
        assert_eq!(bystander.next_event(WAIT).await.expect("event")["data"]["threadPosted"]["title"], "Still heard");
    }
}

on_both_databases! {
    async fn suspension_refuses_a_member_on_http_sockets_and_the_bot_until_restored(app) {
        let member = app.member_token(PARTNER, MemberRole::Member).await;
        let coordinator = app.member_token(PARTNER, MemberRole::Coordinator).await;
        let bot = app.member_token("british-library", MemberRole::Bot).await;
        link(app, &member, &bot).await;
        let as_user = [("x-lkn-discord-user", DISCORD_USER)];
        let viewer_name = "{ viewer { displayName } }";
        assert_eq!(code(&app.graphql_with(Some(&bot), &as_user, viewer_name, json!({})).await), "ok");

        let mut own = Subscriber::start(app.address, Some(&member), THREADS, json!({})).await;
        let bot_payload = json!({ "Authorization": format!("Bearer {bot}"), "X-Lkn-Discord-User": DISCORD_USER });
        let mut through_bot = Subscriber::signed_in(app.address, bot_payload.clone()).await;
        through_bot.send("1", THREADS, json!({})).await;
        let mut bot_alone = Subscriber::start(app.address, Some(&bot), THREADS, json!({})).await;
        ready_to_hear(app, 3).await;

        let member_row = member_of(app, &member).await;
        let id = encode(NodeType::Member, member_row.id);
        let suspend = "mutation($i: SuspendMemberInput!) { suspendMember(input: $i) { member { suspendedAt } userErrors { code } } }";
        // Never through the bot, even for a coordinator who could do it in person.
        let bot_for_coordinator = app.member_token(PARTNER, MemberRole::Coordinator).await;
        let coordinator_discord = "712345678901234567";
        let code_made = app.data(Some(&bot_for_coordinator), "mutation { createDiscordLinkCode { code } }", json!({})).await;
        app.data(Some(&bot), "mutation($i: LinkDiscordAccountInput!) { linkDiscordAccount(input: $i) { member { id } } }",
            json!({ "i": { "code": code_made["createDiscordLinkCode"]["code"], "discordUserId": coordinator_discord } })).await;
        let via_bot = app.graphql_with(Some(&bot), &[("x-lkn-discord-user", coordinator_discord)], suspend, json!({ "i": { "memberId": id } })).await;
        assert_eq!(code(&via_bot), "FORBIDDEN", "{via_bot}");

        let suspended = app.data(Some(&coordinator), suspend, json!({ "i": { "memberId": id } })).await;
        assert!(suspended["suspendMember"]["member"]["suspendedAt"].is_string(), "{suspended}");
        let started = Instant::now();
        let refused = app.graphql(Some(&member), viewer_name, json!({})).await;
        assert_eq!(code(&refused), "UNAUTHENTICATED");
        assert_eq!(refused["errors"][0]["extensions"]["reason"], "SUSPENDED", "and says why: {refused}");
        assert_eq!(code(&app.graphql_with(Some(&bot), &as_user, viewer_name, json!({})).await), "UNAUTHENTICATED");
        let (own_close, _) = closed(&mut own).await;
        let (bot_close, _) = closed(&mut through_bot).await;
        assert_eq!((own_close, bot_close), (json!(4403), json!(4403)));
        assert!(started.elapsed() < Duration::from_secs(1), "within a second: {:?}", started.elapsed());
        assert_eq!(code(&app.graphql(Some(&bot), viewer_name, json!({})).await), "ok", "the bot itself is not suspended");
        let mut late = Subscriber::connect(app.address).await;
        late.send_raw(json!({ "type": "connection_init", "payload": bot_payload })).await;
        let refused = late.message(WAIT).await.expect("an answer");
        assert_eq!(refused["code"], 4403, "a new socket for the suspended member is refused: {refused}");

        // The link stays; suspension is not unlinking.
        let stored = lkn_entity::member::Entity::find_by_id(member_row.id).one(&app.db).await.expect("read").expect("member");
        assert_eq!(stored.discord_user_id.as_deref(), Some(DISCORD_USER));

        let admin = app.member_token("british-library", MemberRole::Admin).await;
        app.data(Some(&admin), "mutation($i: SuspendMemberInput!) { restoreMember(input: $i) { member { id } } }", json!({ "i": { "memberId": id } })).await;
        assert_eq!(code(&app.graphql(Some(&member), viewer_name, json!({})).await), "ok", "restored");
        assert_eq!(code(&app.graphql_with(Some(&bot), &as_user, viewer_name, json!({})).await), "ok");
        app.data(Some(&coordinator), "mutation { postThread(input: {kind: IDEA, title: \"After\"}) { thread { id } } }", json!({})).await;
        assert_eq!(bot_alone.next_event(WAIT).await.expect("event")["data"]["threadPosted"]["title"], "After");
    }
}

on_both_databases! {
    async fn the_bot_never_manages_tokens_members_or_suspensions(app) {
        let admin = app.member_token("british-library", MemberRole::Admin).await;
        let bot = app.member_token("british-library", MemberRole::Bot).await;
        link(app, &admin, &bot).await;
        let target = encode(NodeType::Member, member_of(app, &app.member_token(PARTNER, MemberRole::Member).await).await.id);
        let own = encode(NodeType::Member, member_of(app, &admin).await.id);
        let documents = [
            ("mutation($i: MemberTokenInput!) { issueToken(input: $i) { token } }", json!({ "i": { "memberId": own } })),
            ("mutation($i: MemberTokenInput!) { issueToken(input: $i) { token } }", json!({ "i": { "memberId": target } })),
            ("mutation($i: MemberTokenInput!) { revokeTokens(input: $i) { revokedCount } }", json!({ "i": { "memberId": target } })),
            ("mutation($i: SuspendMemberInput!) { suspendMember(input: $i) { member { id } } }", json!({ "i": { "memberId": target } })),
            ("mutation { addMember(input: {partnerSlug: \"glasgow-life\", email: \"bot@glasgow.example\", displayName: \"B\"}) { member { id } } }", json!({})),
        ];
        let tokens_before = lkn_entity::api_token::Entity::find().count(&app.db).await.expect("count");
        for (document, variables) in documents {
            for headers in [vec![("x-lkn-discord-user", DISCORD_USER)], vec![]] {
                let body = app.graphql_with(Some(&bot), &headers, document, variables.clone()).await;
                assert_eq!(code(&body), "FORBIDDEN", "{document} through the bot ({headers:?}): {body}");
            }
        }
        let tokens_after = lkn_entity::api_token::Entity::find().count(&app.db).await.expect("count");
        assert_eq!(tokens_before, tokens_after, "no token was issued through the bot");
        let revoked = app.data(Some(&admin), "mutation($i: MemberTokenInput!) { revokeTokens(input: $i) { revokedCount } }", json!({ "i": { "memberId": own } })).await;
        assert_eq!(revoked["revokeTokens"]["revokedCount"], 1);
        let linked = lkn_entity::member::Entity::find().all(&app.db).await.expect("members");
        assert!(linked.iter().any(|m| m.discord_user_id.as_deref() == Some(DISCORD_USER)), "revoking tokens keeps the Discord link");
    }
}

on_both_databases! {
    async fn whoever_sets_up_someone_elses_access_gets_an_enrolment_code_not_their_token(app) {
        let coordinator = app.member_token(PARTNER, MemberRole::Coordinator).await;
        let admin = app.member_token("british-library", MemberRole::Admin).await;
        let added = app.data(Some(&coordinator), "mutation { addMember(input: {partnerSlug: \"glasgow-life\", email: \"new@glasgow.example\", displayName: \"New Starter\"}) { member { id } enrolment { code expiresAt } userErrors { code } } }", json!({})).await;
        let code_text = added["addMember"]["enrolment"]["code"].as_str().expect("an enrolment code").to_owned();
        assert!(code_text.starts_with("lkn_enrol_"), "{code_text}");
        let redeem = "mutation($i: RedeemEnrolmentCodeInput!) { redeemEnrolmentCode(input: $i) { token member { displayName } userErrors { code } } }";
        let redeemed = app.data(None, redeem, json!({ "i": { "code": code_text } })).await;
        let token = redeemed["redeemEnrolmentCode"]["token"].as_str().expect("a token").to_owned();
        assert_eq!(app.data(Some(&token), "{ viewer { displayName } }", json!({})).await["viewer"]["displayName"], "New Starter");
        let again = app.data(None, redeem, json!({ "i": { "code": code_text } })).await;
        assert_eq!(again["redeemEnrolmentCode"]["userErrors"][0]["code"], "EXPIRED", "a code works once");
        let forged = app.data(None, redeem, json!({ "i": { "code": "lkn_enrol_AAAAAAAAAAAAAAAAAAAAAA" } })).await;
        assert_eq!(forged["redeemEnrolmentCode"]["userErrors"][0]["code"], "EXPIRED");

        let issue = "mutation($i: MemberTokenInput!) { issueToken(input: $i) { token enrolment { code } userErrors { code } } }";
        let other = encode(NodeType::Member, member_of(app, &token).await.id);
        let for_other = app.data(Some(&coordinator), issue, json!({ "i": { "memberId": other } })).await;
        assert!(for_other["issueToken"]["token"].is_null(), "{for_other}");
        assert!(for_other["issueToken"]["enrolment"]["code"].is_string());
        let own = encode(NodeType::Member, member_of(app, &coordinator).await.id);
        let for_self = app.data(Some(&coordinator), issue, json!({ "i": { "memberId": own } })).await;
        assert!(for_self["issueToken"]["token"].as_str().is_some_and(|t| t.starts_with("lkn_")), "{for_self}");

        // Bot tokens come only from the command line.
        let bot_role = app.graphql(Some(&admin), "mutation { addMember(input: {partnerSlug: \"british-library\", email: \"bot2@bl.example\", displayName: \"Bot\", role: BOT}) { member { id } } }", json!({})).await;
        assert_eq!(code(&bot_role), "FORBIDDEN");
        let bot = app.member_token("british-library", MemberRole::Bot).await;
        let bot_id = encode(NodeType::Member, identity::authenticate(&app.db, Some(&bot), None, chrono::Utc::now()).await.expect("bot").audit_pair().0.expect("id"));
        assert_eq!(code(&app.graphql(Some(&admin), issue, json!({ "i": { "memberId": bot_id } })).await), "FORBIDDEN");

        // A suspended member's enrolment code yields nothing.
        let pending = app.data(Some(&coordinator), issue, json!({ "i": { "memberId": other } })).await;
        let holder = member_of(app, &token).await;
        access::set_suspended(&app.db, &WriteContext::new(&Viewer::Anonymous), Authority::Operator, &holder, true).await.expect("suspend");
        let refused = app.data(None, redeem, json!({ "i": { "code": pending["issueToken"]["enrolment"]["code"] } })).await;
        assert_eq!(refused["redeemEnrolmentCode"]["userErrors"][0]["code"], "INVALID_STATE", "{refused}");
    }
}

on_both_databases! {
    async fn staff_records_are_for_signed_in_members_only(app) {
        let member = app.member_token(PARTNER, MemberRole::Member).await;
        let posted = app.data(Some(&member), "mutation { postThread(input: {kind: IDEA, title: \"Open to all\", visibility: PUBLIC}) { thread { id } } }", json!({})).await;
        let thread = posted["postThread"]["thread"]["id"].clone();
        let staff = encode(NodeType::Member, member_of(app, &member).await.id);
        let query = "query($m: ID!, $t: ID!) { node(id: $m) { id } thread(id: $t) { title author { displayName } partner { slug } } }";
        let variables = json!({ "m": staff, "t": thread });
        let anonymous = app.data(None, query, variables.clone()).await;
        assert!(anonymous["node"].is_null(), "anonymous callers cannot look staff up by id: {anonymous}");
        assert!(anonymous["thread"]["author"].is_null(), "nor see who wrote a public thread: {anonymous}");
        assert_eq!(anonymous["thread"]["partner"]["slug"], PARTNER, "only which partner did");
        for id in 1..=5 {
            let probe = app.data(None, "query($m: ID!) { node(id: $m) { id } }", json!({ "m": encode(NodeType::Member, id) })).await;
            assert!(probe["node"].is_null(), "member {id} is not enumerable");
        }
        let signed_in = app.data(Some(&member), query, variables).await;
        assert_eq!(signed_in["node"]["id"].as_str(), Some(staff.as_str()));
        assert!(signed_in["thread"]["author"]["displayName"].is_string());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_socket_that_never_says_hello_is_closed() {
    let mut edge = lkn_api::edge::EdgeSettings::default();
    edge.sockets.init_timeout = Duration::from_secs(1);
    let app = TestApp::spawn_with(Backend::Sqlite, edge).await.expect("app");
    run_then_clean_up(app, async |app: &TestApp| {
        // The prompt socket opens first, so its own deadline has passed by the time the
        // silent one is closed for missing its deadline.
        let mut prompt = Subscriber::signed_in(app.address, json!({})).await;
        prompt.send("1", THREADS, json!({})).await;
        let mut silent = Subscriber::connect(app.address).await;
        let (close, took) = closed(&mut silent).await;
        assert_eq!(close, 4408, "closed for not initialising");
        assert!(took >= Duration::from_millis(900) && took < Duration::from_secs(5), "{took:?}");
        let answer = prompt.ping(WAIT).await.expect("an answer");
        assert_eq!(answer["type"], "pong", "a socket that said hello stays open: {answer}");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sockets_per_client_and_subscriptions_per_socket_are_capped_and_each_subscribe_spends_the_budget() {
    let mut edge = lkn_api::edge::EdgeSettings::default();
    edge.sockets.per_client = 2;
    edge.sockets.subscriptions_per_socket = 2;
    edge.rate_limiter = std::sync::Arc::new(crate::edge::limiter(6, 6));
    let app = TestApp::spawn_with(Backend::Sqlite, edge).await.expect("app");
    run_then_clean_up(app, async |app: &TestApp| {
        let mut first = Subscriber::signed_in(app.address, json!({})).await;
        let _second = Subscriber::signed_in(app.address, json!({})).await;
        let third = app
            .http
            .get(app.url("/graphql/ws"))
            .header("connection", "upgrade")
            .header("upgrade", "websocket")
            .header("sec-websocket-version", "13")
            .header("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ==")
            .header("sec-websocket-protocol", "graphql-transport-ws")
            .send()
            .await
            .expect("request");
        assert_eq!(third.status(), 429, "a third socket from one address is refused");

        first.send("1", THREADS, json!({})).await;
        first.send("2", THREADS, json!({})).await;
        first.send("3", THREADS, json!({})).await;
        let capped = first.message(WAIT).await.expect("an answer");
        assert_eq!((capped["id"].as_str(), capped["type"].as_str()), (Some("3"), Some("error")), "{capped}");
        // Two connection_inits and two subscribes spent 4 of 6 (the capped one spent
        // nothing); two more subscribes spend the rest, and the one after is refused.
        for (ended, next) in [("1", "4"), ("2", "5"), ("4", "6")] {
            first.send_raw(json!({ "id": ended, "type": "complete" })).await;
            let done = first.message(WAIT).await.expect("completed");
            assert_eq!((done["type"].as_str(), done["id"].as_str()), (Some("complete"), Some(ended)), "{done}");
            first.send(next, THREADS, json!({})).await;
        }
        let limited = first.message(WAIT).await.expect("an answer");
        assert_eq!(limited["payload"][0]["extensions"]["code"], "RATE_LIMITED", "{limited}");
    })
    .await;
}
