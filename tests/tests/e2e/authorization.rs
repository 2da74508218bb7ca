//! Every mutation × every kind of caller, over HTTP: allowed, or the exact refusal.
//!
//! The callers: anonymous; a member of the partner that owns the object; a member of
//! another partner; that partner's coordinator; another partner's coordinator; an
//! administrator; the bot alone; the bot acting for a linked member of another partner;
//! and a revoked token.

use lkn_api::graphql::ids::{NodeType, encode};
use lkn_api::service::access;
use lkn_api::service::identity;
use lkn_api::service::viewer::Viewer;
use lkn_api::service::write::WriteContext;
use lkn_api::service::{collaborations, threads};
use lkn_entity::vocabulary::{
    CollaborationKind, CollaborationStatus, Language, MemberRole, ParticipantRole, ThreadKind, Visibility,
};
use serde_json::{Value, json};

use crate::on_both_databases;
use crate::support::TestApp;

/// Owner partner (author, lead), another partner, and a third that asks to join.
const OWNER: &str = "glasgow-life";
const OTHER: &str = "national-library-of-wales";
const THIRD: &str = "leeds-city-council";
const BOT_USER: &str = "412345678901234567";

struct Cast {
    author: String,
    owner_coordinator: String,
    third_coordinator: String,
    callers: Vec<(&'static str, Option<String>, Option<&'static str>)>,
}

async fn viewer(app: &TestApp, token: &str) -> Viewer {
    identity::authenticate(&app.db, Some(token), None, chrono::Utc::now()).await.expect("authenticate")
}

async fn cast(app: &TestApp) -> Cast {
    let author = app.member_token(OWNER, MemberRole::Member).await;
    let same_member = app.member_token(OWNER, MemberRole::Member).await;
    let other_member = app.member_token(OTHER, MemberRole::Member).await;
    let owner_coordinator = app.member_token(OWNER, MemberRole::Coordinator).await;
    let other_coordinator = app.member_token(OTHER, MemberRole::Coordinator).await;
    let third_coordinator = app.member_token(THIRD, MemberRole::Coordinator).await;
    let admin = app.member_token("british-library", MemberRole::Admin).await;
    let bot = app.member_token("british-library", MemberRole::Bot).await;
    let revoked = app.member_token(OWNER, MemberRole::Coordinator).await;

    // Link a Discord user to the other partner's member, as the real flow does.
    let code = app.data(Some(&other_member), "mutation { createDiscordLinkCode { code } }", json!({})).await;
    let code = code["createDiscordLinkCode"]["code"].as_str().expect("code").to_owned();
    let linked = app
        .data(
            Some(&bot),
            "mutation($input: LinkDiscordAccountInput!) { linkDiscordAccount(input: $input) { member { discordLinked } userErrors { code } } }",
            json!({ "input": { "code": code, "discordUserId": BOT_USER } }),
        )
        .await;
    assert_eq!(linked["linkDiscordAccount"]["member"]["discordLinked"], true, "{linked}");

    let revoked_viewer = viewer(app, &revoked).await;
    let holder = revoked_viewer.member().expect("member").clone();
    let context = WriteContext::new(&revoked_viewer);
    access::revoke_tokens(&app.db, &context, access::Authority::Operator, &holder).await.expect("revoke");

    Cast {
        author,
        owner_coordinator: owner_coordinator.clone(),
        third_coordinator,
        callers: vec![
            ("anonymous", None, None),
            ("member of the owner", Some(same_member), None),
            ("member of another partner", Some(other_member), None),
            ("coordinator of the owner", Some(owner_coordinator), None),
            ("coordinator of another partner", Some(other_coordinator), None),
            ("administrator", Some(admin), None),
            ("bot alone", Some(bot.clone()), None),
            ("bot for a linked member of another partner", Some(bot), Some(BOT_USER)),
            ("revoked token", Some(revoked), None),
        ],
    }
}

/// The global id of the member holding `token`.
async fn staff_id(app: &TestApp, token: &str) -> String {
    let member = viewer(app, token).await.member().expect("member").id;
    encode(NodeType::Member, member).to_string()
}

/// What one request came to: `ok`, a GraphQL error code, or the first user error code.
fn outcome(body: &Value, field: &str) -> String {
    if let Some(code) = body["errors"][0]["extensions"]["code"].as_str() {
        return code.to_owned();
    }
    match body["data"][field]["userErrors"][0]["code"].as_str() {
        Some(code) => code.to_owned(),
        None => "ok".to_owned(),
    }
}

async fn post_thread(app: &TestApp, token: &str, kind: ThreadKind) -> i64 {
    let author = viewer(app, token).await;
    let context = WriteContext::new(&author);
    let new = threads::NewThread {
        kind,
        title: "How do other libraries run rhymetime?".into(),
        body: "We are starting sessions in three branches.".into(),
        tags: vec!["rhymetime".into()],
        language: Language::English,
        visibility: Visibility::Network,
    };
    threads::post_thread(&app.db, &context, new, None).await.expect("post").id
}

async fn reply(app: &TestApp, token: &str, thread_id: i64) -> i64 {
    let replier = viewer(app, token).await;
    let context = WriteContext::new(&replier);
    let new = threads::NewReply { thread_id, body: "We run ours on Friday mornings.".into() };
    threads::reply_to_thread(&app.db, &context, new, None, None).await.expect("reply").id
}

/// A proposed collaboration led by the owner, with a pending request from the third partner.
async fn collaboration(app: &TestApp, cast: &Cast) -> i64 {
    let lead = viewer(app, &cast.owner_coordinator).await;
    let context = WriteContext::new(&lead);
    let new = collaborations::NewCollaboration {
        kind: CollaborationKind::Programme,
        title: "Rhymetime across the network".into(),
        summary: "Shared rhymes and training.".into(),
        visibility: Visibility::Network,
        starts_on: None,
        ends_on: None,
        bid_deadline: None,
        funder: None,
        budget_pence: None,
        origin_thread_id: None,
    };
    let id = collaborations::propose(&app.db, &context, new, None).await.expect("propose").id;
    let third = viewer(app, &cast.third_coordinator).await;
    let third_context = WriteContext::new(&third);
    collaborations::request_to_join(&app.db, &third_context, id, ParticipantRole::Partner).await.expect("join");
    id
}

/// Runs one mutation for every caller with fresh objects, and compares with `expected`.
async fn check(
    app: &TestApp,
    cast: &Cast,
    field: &str,
    expected: [&str; 9],
    mut request: impl AsyncFnMut(&TestApp) -> (String, Value),
) {
    let mut got = Vec::new();
    for (who, token, discord) in &cast.callers {
        let (query, variables) = request(app).await;
        let headers: Vec<(&str, &str)> = discord.iter().map(|d| ("x-lkn-discord-user", *d)).collect();
        let body = app.graphql_with(token.as_deref(), &headers, &query, variables).await;
        got.push((*who, outcome(&body, field)));
    }
    let expected: Vec<(&str, String)> =
        cast.callers.iter().zip(expected).map(|((who, _, _), e)| (*who, e.to_owned())).collect();
    assert_eq!(got, expected, "{field}: who may do it");
}

const OK: &str = "ok";
const UNAUTH: &str = "UNAUTHENTICATED";
const NO: &str = "FORBIDDEN";

on_both_databases! {
    async fn every_mutation_allows_exactly_the_callers_its_rules_name(app) {
        let cast = cast(app).await;
        let cast = &cast;

        check(app, cast, "postThread", [UNAUTH, OK, OK, OK, OK, OK, NO, OK, UNAUTH], async |_| {
            ("mutation($i: PostThreadInput!) { postThread(input: $i) { thread { id } userErrors { code } } }".into(),
             json!({ "i": { "kind": "QUESTION", "title": "Where do you buy board books?", "tags": ["stock"] } }))
        }).await;

        let moderate = [UNAUTH, NO, NO, OK, NO, OK, NO, NO, UNAUTH];
        check(app, cast, "editThread", moderate, async |app| {
            let id = post_thread(app, &cast.author, ThreadKind::Question).await;
            ("mutation($i: EditThreadInput!) { editThread(input: $i) { thread { id } userErrors { code } } }".into(),
             json!({ "i": { "threadId": encode(NodeType::Thread, id), "version": 1, "title": "Edited title" } }))
        }).await;
        check(app, cast, "closeThread", moderate, async |app| {
            let id = post_thread(app, &cast.author, ThreadKind::Question).await;
            ("mutation($i: ThreadActionInput!) { closeThread(input: $i) { thread { id } userErrors { code } } }".into(),
             json!({ "i": { "threadId": encode(NodeType::Thread, id) } }))
        }).await;
        check(app, cast, "acceptReply", moderate, async |app| {
            let id = post_thread(app, &cast.author, ThreadKind::Question).await;
            let reply_id = reply(app, &cast.third_coordinator, id).await;
            ("mutation($i: AcceptReplyInput!) { acceptReply(input: $i) { reply { id } userErrors { code } } }".into(),
             json!({ "i": { "replyId": encode(NodeType::Reply, reply_id) } }))
        }).await;

        let any_member = [UNAUTH, OK, OK, OK, OK, OK, NO, OK, UNAUTH];
        check(app, cast, "replyToThread", any_member, async |app| {
            let id = post_thread(app, &cast.author, ThreadKind::Question).await;
            ("mutation($i: ReplyToThreadInput!) { replyToThread(input: $i) { reply { id } userErrors { code } } }".into(),
             json!({ "i": { "threadId": encode(NodeType::Thread, id), "body": "Try the local college." } }))
        }).await;
        for field in ["endorseThread", "followThread", "unfollowThread"] {
            check(app, cast, field, any_member, async |app| {
                let id = post_thread(app, &cast.author, ThreadKind::Idea).await;
                (format!("mutation($i: ThreadActionInput!) {{ {field}(input: $i) {{ thread {{ id }} userErrors {{ code }} }} }}"),
                 json!({ "i": { "threadId": encode(NodeType::Thread, id) } }))
            }).await;
        }
        check(app, cast, "createDiscordLinkCode", any_member, async |_| {
            ("mutation { createDiscordLinkCode { code userErrors { code } } }".into(), json!({}))
        }).await;

        check(app, cast, "proposeCollaboration", [UNAUTH, NO, NO, OK, OK, OK, NO, NO, UNAUTH], async |_| {
            ("mutation($i: ProposeCollaborationInput!) { proposeCollaboration(input: $i) { collaboration { id } userErrors { code } } }".into(),
             json!({ "i": { "kind": "EXHIBITION", "title": "Touring maps exhibition" } }))
        }).await;
        check(app, cast, "requestToJoinCollaboration", [UNAUTH, NO, NO, "INVALID_STATE", OK, OK, NO, NO, UNAUTH], async |app| {
            let id = collaboration(app, cast).await;
            ("mutation($i: RequestToJoinCollaborationInput!) { requestToJoinCollaboration(input: $i) { collaboration { id } userErrors { code } } }".into(),
             json!({ "i": { "collaborationId": encode(NodeType::Collaboration, id) } }))
        }).await;
        let lead_only = [UNAUTH, NO, NO, OK, NO, OK, NO, NO, UNAUTH];
        check(app, cast, "decideJoinRequest", lead_only, async |app| {
            let id = collaboration(app, cast).await;
            ("mutation($i: DecideJoinRequestInput!) { decideJoinRequest(input: $i) { collaboration { id } userErrors { code } } }".into(),
             json!({ "i": { "collaborationId": encode(NodeType::Collaboration, id), "partnerSlug": THIRD, "accept": true } }))
        }).await;
        check(app, cast, "advanceCollaboration", lead_only, async |app| {
            let id = collaboration(app, cast).await;
            ("mutation($i: AdvanceCollaborationInput!) { advanceCollaboration(input: $i) { collaboration { id } userErrors { code } } }".into(),
             json!({ "i": { "collaborationId": encode(NodeType::Collaboration, id), "status": "SEEKING_PARTNERS" } }))
        }).await;
        // The other partner's coordinator is accepted into this one; the admin's partner is not,
        // and records on the lead's behalf.
        check(app, cast, "recordOutcome", [UNAUTH, NO, NO, OK, OK, OK, NO, NO, UNAUTH], async |app| {
            let id = collaboration(app, cast).await;
            let lead = viewer(app, &cast.owner_coordinator).await;
            let context = WriteContext::new(&lead);
            let other = identity::authenticate(&app.db, Some(cast.callers[4].1.as_deref().expect("token")), None, chrono::Utc::now()).await.expect("auth");
            let other_context = WriteContext::new(&other);
            collaborations::request_to_join(&app.db, &other_context, id, ParticipantRole::Partner).await.expect("join");
            collaborations::decide_join_request(&app.db, &context, id, OTHER, true).await.expect("accept");
            collaborations::advance(&app.db, &context, id, CollaborationStatus::SeekingPartners, None).await.expect("advance");
            collaborations::advance(&app.db, &context, id, CollaborationStatus::Active, None).await.expect("advance");
            ("mutation($i: RecordOutcomeInput!) { recordOutcome(input: $i) { outcome { attendance } userErrors { code } } }".into(),
             json!({ "i": { "collaborationId": encode(NodeType::Collaboration, id), "occurredOn": "2026-10-01", "attendance": 40 } }))
        }).await;

        check(app, cast, "addMember", [UNAUTH, NO, NO, OK, NO, OK, NO, NO, UNAUTH], async |_| {
            let email = format!("new-{:08x}@glasgow.example", rand::random::<u32>());
            ("mutation($i: AddMemberInput!) { addMember(input: $i) { member { id } enrolment { code } userErrors { code } } }".into(),
             json!({ "i": { "partnerSlug": OWNER, "email": email, "displayName": "New Starter" } }))
        }).await;
        // Access for someone else: an enrolment code, never the member's token; never through the bot.
        let manage = [UNAUTH, NO, NO, OK, NO, OK, NO, NO, UNAUTH];
        check(app, cast, "issueToken", manage, async |app| {
            let id = staff_id(app, &app.member_token(OWNER, MemberRole::Member).await).await;
            ("mutation($i: MemberTokenInput!) { issueToken(input: $i) { token enrolment { code } userErrors { code } } }".into(),
             json!({ "i": { "memberId": id } }))
        }).await;
        check(app, cast, "suspendMember", manage, async |app| {
            let id = staff_id(app, &app.member_token(OWNER, MemberRole::Member).await).await;
            ("mutation($i: SuspendMemberInput!) { suspendMember(input: $i) { member { id } userErrors { code } } }".into(),
             json!({ "i": { "memberId": id } }))
        }).await;
        check(app, cast, "revokeTokens", manage, async |app| {
            let id = staff_id(app, &app.member_token(OWNER, MemberRole::Member).await).await;
            ("mutation($i: MemberTokenInput!) { revokeTokens(input: $i) { revokedCount userErrors { code } } }".into(),
             json!({ "i": { "memberId": id } }))
        }).await;
        check(app, cast, "linkDiscordAccount", [UNAUTH, NO, NO, NO, NO, NO, OK, NO, UNAUTH], async |app| {
            let code = app.data(Some(&cast.author), "mutation { createDiscordLinkCode { code } }", json!({})).await;
            ("mutation($i: LinkDiscordAccountInput!) { linkDiscordAccount(input: $i) { member { id } userErrors { code } } }".into(),
             json!({ "i": { "code": code["createDiscordLinkCode"]["code"], "discordUserId": "512345678901234567" } }))
        }).await;
    }
}
