//! Staff get in on their own, over the real server with a real SMTP server: invited by
//! e-mail, signed in by a code from their mail, sessions that end when revoked or idle
//! on HTTP and on the socket, and nothing that tells an outsider who is a member.

use std::time::{Duration, Instant};

use lkn_entity::api_token;
use lkn_entity::vocabulary::MemberRole;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{Value, json};

use crate::mail_catcher::CaughtMail;
use crate::on_both_databases_with_mail;
use crate::subscriptions::Subscriber;
use crate::support::{Backend, TestApp, run_then_clean_up};
use crate::waiting::ready_to_hear;

const PARTNER: &str = "glasgow-life";
const WAIT: Duration = Duration::from_secs(10);

const INVITE: &str = "mutation($i: InviteMemberInput!) { inviteMember(input: $i) { invitation { id status role email partner { slug } } userErrors { field code message } } }";
const ACCEPT: &str = "mutation($i: AcceptInvitationInput!) { acceptInvitation(input: $i) { token member { displayName role partner { slug } } session { kind } userErrors { field code } } }";
const REQUEST: &str =
    "mutation($i: RequestSignInInput!) { requestSignIn(input: $i) { accepted userErrors { field code } } }";
const COMPLETE: &str = "mutation($i: CompleteSignInInput!) { completeSignIn(input: $i) { token member { displayName } userErrors { field code } } }";
const SESSIONS: &str = "{ viewer { sessions { id kind current expiresAt } } }";
const POST: &str = "mutation { postThread(input: {kind: QUESTION, title: \"Who runs a Lego club for teens?\"}) { thread { author { displayName } } } }";

fn address(label: &str) -> String {
    format!("{label}-{:08x}@library.test", rand::random::<u32>())
}

/// The code of the first error in a body, or `ok`.
fn code(body: &Value) -> String {
    body["errors"][0]["extensions"]["code"].as_str().unwrap_or("ok").to_owned()
}

/// The code set apart on a line of its own in the e-mail's text, as a person would
/// pick it out.
fn code_in(text: &str, length: usize) -> String {
    text.lines()
        .filter(|line| line.starts_with("    "))
        .map(str::trim)
        .find(|word| word.len() == length)
        .unwrap_or_else(|| panic!("no code of {length} characters in: {text}"))
        .to_owned()
}

async fn invitation_mail(app: &TestApp, to: &str) -> (CaughtMail, String) {
    let mail = app.mail().wait_for(to).await;
    let code = code_in(&mail.text, 14);
    (mail, code)
}

async fn sign_in_code(app: &TestApp, to: &str, nth: usize) -> String {
    let mails = app.mail().wait_for_count(to, nth).await;
    code_in(&mails[nth - 1].text, 6)
}

on_both_databases_with_mail! {
    async fn an_invited_colleague_joins_from_the_email_and_posts(app) {
        let coordinator = app.member_token(PARTNER, MemberRole::Coordinator).await;
        let invitee = address("ailsa");
        let input = json!({ "i": { "partnerSlug": PARTNER, "email": invitee, "displayName": "Ailsa Reid", "role": "MEMBER" } });
        let sent = app.data(Some(&coordinator), INVITE, input.clone()).await;
        let invitation = &sent["inviteMember"]["invitation"];
        assert_eq!(invitation["status"], "PENDING");
        // The same request again (a retry) finds the same invitation and sends nothing more.
        let again = app.data(Some(&coordinator), INVITE, input).await;
        assert_eq!(again["inviteMember"]["invitation"]["id"], invitation["id"]);

        let (mail, code) = invitation_mail(app, &invitee).await;
        assert!(mail.subject.contains("Glasgow"), "{}", mail.subject);
        assert!(mail.text.contains(&format!("/join?code={code}")), "the link carries the code: {}", mail.text);
        assert!(mail.html.contains(&format!("/join?code={code}")));

        let joined = app.data(None, ACCEPT, json!({ "i": { "code": code } })).await["acceptInvitation"].clone();
        assert_eq!(joined["member"]["displayName"], "Ailsa Reid");
        assert_eq!(joined["member"]["partner"]["slug"], PARTNER);
        assert_eq!(joined["session"]["kind"], "SESSION");
        let token = joined["token"].as_str().expect("a session token").to_owned();

        let posted = app.data(Some(&token), POST, json!({})).await;
        assert_eq!(posted["postThread"]["thread"]["author"]["displayName"], "Ailsa Reid");
        let sessions = app.data(Some(&token), SESSIONS, json!({})).await;
        assert_eq!(sessions["viewer"]["sessions"].as_array().map(Vec::len), Some(1));
        assert_eq!(sessions["viewer"]["sessions"][0]["current"], true);

        // The code worked once.
        let reused = app.data(None, ACCEPT, json!({ "i": { "code": code } })).await;
        assert_eq!(reused["acceptInvitation"]["userErrors"][0]["code"], "EXPIRED");
        let listed = app.data(Some(&coordinator), "query($p: String!) { invitations(partnerSlug: $p) { status member { displayName } } }", json!({ "p": PARTNER })).await;
        assert_eq!(listed["invitations"][0]["status"], "ACCEPTED");
        assert_eq!(listed["invitations"][0]["member"]["displayName"], "Ailsa Reid");
        tokio::time::sleep(Duration::from_secs(1)).await;
        assert_eq!(app.mail().messages_to(&invitee).len(), 1, "one e-mail for the retried invitation");
    }
}

on_both_databases_with_mail! {
    async fn coordinators_invite_only_staff_of_their_own_partner(app) {
        let coordinator = app.member_token(PARTNER, MemberRole::Coordinator).await;
        let member = app.member_token(PARTNER, MemberRole::Member).await;
        let admin = app.member_token("british-library", MemberRole::Admin).await;
        let bot = app.member_token("british-library", MemberRole::Bot).await;
        let attempt = |slug: &str, role: &str| json!({ "i": { "partnerSlug": slug, "email": address("x"), "displayName": "X", "role": role } });

        for (token, input, why) in [
            (&coordinator, attempt(PARTNER, "ADMIN"), "a coordinator cannot make an administrator"),
            (&coordinator, attempt("edinburgh-council", "MEMBER"), "nor invite into another partner"),
            (&member, attempt(PARTNER, "MEMBER"), "a member cannot invite"),
            (&bot, attempt(PARTNER, "MEMBER"), "nor can the bot"),
        ] {
            let body = app.graphql(Some(token), INVITE, input).await;
            assert_eq!(code(&body), "FORBIDDEN", "{why}: {body}");
        }
        assert_eq!(lkn_entity::invitation::Entity::find().count(&app.db).await.expect("count"), 0, "nothing was written");

        let coordinator_invite = app.data(Some(&coordinator), INVITE, attempt(PARTNER, "COORDINATOR")).await;
        assert_eq!(coordinator_invite["inviteMember"]["invitation"]["role"], "COORDINATOR");
        let admin_invite = app.data(Some(&admin), INVITE, attempt("edinburgh-council", "ADMIN")).await;
        assert_eq!(admin_invite["inviteMember"]["invitation"]["role"], "ADMIN");
        let bad = app.data(Some(&admin), INVITE, json!({ "i": { "partnerSlug": PARTNER, "email": "not an address", "displayName": "", "role": "MEMBER" } })).await;
        let fields: Vec<&str> = bad["inviteMember"]["userErrors"].as_array().expect("errors").iter().filter_map(|e| e["field"].as_array()?.last()?.as_str()).collect();
        assert_eq!(fields, ["email", "displayName"]);

        // Withdrawn, the code stops working.
        let invitee = address("withdrawn");
        let sent = app.data(Some(&coordinator), INVITE, json!({ "i": { "partnerSlug": PARTNER, "email": invitee, "displayName": "W", "role": "MEMBER" } })).await;
        let id = sent["inviteMember"]["invitation"]["id"].clone();
        let (_, code_sent) = invitation_mail(app, &invitee).await;
        let withdrawn = app.data(Some(&coordinator), "mutation($i: WithdrawInvitationInput!) { withdrawInvitation(input: $i) { invitation { status } } }", json!({ "i": { "id": id } })).await;
        assert_eq!(withdrawn["withdrawInvitation"]["invitation"]["status"], "WITHDRAWN");
        let refused = app.data(None, ACCEPT, json!({ "i": { "code": code_sent } })).await;
        assert_eq!(refused["acceptInvitation"]["userErrors"][0]["code"], "EXPIRED");
    }
}

on_both_databases_with_mail! {
    async fn a_member_signs_in_with_the_emailed_code_and_signs_out(app) {
        let member = app.member(PARTNER, MemberRole::Member).await;
        let asked = app.data(None, REQUEST, json!({ "i": { "email": member.email.to_uppercase() } })).await;
        assert_eq!(asked["requestSignIn"]["accepted"], true);
        let mail = app.mail().wait_for(&member.email).await;
        let typed = code_in(&mail.text, 6);
        assert!(mail.text.contains(&format!("/sign-in?code={typed}&email=")), "{}", mail.text);

        let done = app.data(None, COMPLETE, json!({ "i": { "code": typed.to_lowercase(), "email": member.email } })).await;
        let token = done["completeSignIn"]["token"].as_str().expect("a session token").to_owned();
        assert_eq!(app.data(Some(&token), "{ viewer { displayName } }", json!({})).await["viewer"]["displayName"], done["completeSignIn"]["member"]["displayName"]);
        let again = app.data(None, COMPLETE, json!({ "i": { "code": typed, "email": member.email } })).await;
        assert_eq!(again["completeSignIn"]["userErrors"][0]["code"], "EXPIRED", "a code works once");

        // The API token and the session are both listed; signing out ends only the session.
        let sessions = app.data(Some(&token), SESSIONS, json!({})).await;
        let kinds: Vec<&str> = sessions["viewer"]["sessions"].as_array().expect("sessions").iter().filter_map(|s| s["kind"].as_str()).collect();
        assert_eq!(kinds, ["SESSION", "API"]);
        let out = app.data(Some(&token), "mutation { signOut { ended } }", json!({})).await;
        assert_eq!(out["signOut"]["ended"], true);
        assert_eq!(code(&app.graphql(Some(&token), "{ viewer { id } }", json!({})).await), "UNAUTHENTICATED");
        assert_eq!(code(&app.graphql(Some(&member.token), "{ viewer { id } }", json!({})).await), "ok");
    }
}

on_both_databases_with_mail! {
    async fn five_wrong_codes_lock_the_code(app) {
        let member = app.member(PARTNER, MemberRole::Member).await;
        app.data(None, REQUEST, json!({ "i": { "email": member.email } })).await;
        let right = sign_in_code(app, &member.email, 1).await;
        let wrong = if right == "AAAAAA" { "BBBBBB" } else { "AAAAAA" };
        for _ in 0..5 {
            let body = app.data(None, COMPLETE, json!({ "i": { "code": wrong, "email": member.email } })).await;
            assert_eq!(body["completeSignIn"]["userErrors"][0]["code"], "EXPIRED");
        }
        let locked = app.data(None, COMPLETE, json!({ "i": { "code": right, "email": member.email } })).await;
        assert!(locked["completeSignIn"]["token"].is_null(), "the right code no longer works: {locked}");
        assert_eq!(locked["completeSignIn"]["userErrors"][0]["code"], "EXPIRED");

        // A new code works.
        app.data(None, REQUEST, json!({ "i": { "email": member.email } })).await;
        let fresh = sign_in_code(app, &member.email, 2).await;
        let done = app.data(None, COMPLETE, json!({ "i": { "code": fresh, "email": member.email } })).await;
        assert!(done["completeSignIn"]["token"].is_string(), "{done}");
    }
}

on_both_databases_with_mail! {
    async fn an_unknown_address_and_a_member_look_the_same(app) {
        let member = app.member(PARTNER, MemberRole::Member).await;
        let stranger = address("stranger");
        let mut times = (Vec::new(), Vec::new());
        let mut bodies = (Vec::new(), Vec::new());
        for round in 0..8 {
            for (email, (times, bodies)) in [(&member.email, (&mut times.0, &mut bodies.0)), (&stranger, (&mut times.1, &mut bodies.1))] {
                let started = Instant::now();
                let response = app.http.post(app.url("/graphql")).json(&json!({ "query": REQUEST, "variables": { "i": { "email": email } } })).send().await.expect("request");
                let status = response.status();
                let body = response.text().await.expect("body");
                times.push(started.elapsed());
                bodies.push((status, body));
                let _ = round;
            }
        }
        assert_eq!(bodies.0, bodies.1, "the same status and body, byte for byte");
        let median = |times: &mut Vec<Duration>| {
            times.sort();
            times[times.len() / 2]
        };
        let (member_time, stranger_time) = (median(&mut times.0), median(&mut times.1));
        eprintln!("requestSignIn, median of 8: member {member_time:?}, unknown address {stranger_time:?}");
        let gap = member_time.abs_diff(stranger_time);
        assert!(gap < Duration::from_millis(25) || gap < member_time.min(stranger_time), "medians {member_time:?} and {stranger_time:?}");
        // Only the member got mail (at most five an hour: the limit per address).
        assert_eq!(app.mail().wait_for_count(&member.email, 5).await.len(), 5);
        tokio::time::sleep(Duration::from_millis(500)).await;
        assert!(app.mail().messages_to(&stranger).is_empty());

        // One client address gets twenty attempts a minute, whatever the addresses asked for.
        let mut limited = None;
        for n in 0..30 {
            let body = app.data(None, REQUEST, json!({ "i": { "email": address(&format!("flood{n}")) } })).await;
            if body["requestSignIn"]["userErrors"][0]["code"] == "RATE_LIMITED" {
                limited = Some(n);
                break;
            }
        }
        assert!(limited.is_some(), "the flood is stopped");
    }
}

on_both_databases_with_mail! {
    async fn a_revoked_or_expired_session_is_refused_on_http_and_the_socket(app) {
        let member = app.member(PARTNER, MemberRole::Member).await;
        let mut tokens = Vec::new();
        for nth in 1..=2 {
            app.data(None, REQUEST, json!({ "i": { "email": member.email } })).await;
            let code = sign_in_code(app, &member.email, nth).await;
            let done = app.data(None, COMPLETE, json!({ "i": { "code": code, "email": member.email } })).await;
            tokens.push(done["completeSignIn"]["token"].as_str().expect("token").to_owned());
        }
        let (revoked, expired) = (&tokens[0], &tokens[1]);
        let thread_posted = "subscription { threadPosted { title } }";
        let mut revoked_socket = Subscriber::start(app.address, Some(revoked), thread_posted, json!({})).await;
        let mut expired_socket = Subscriber::start(app.address, Some(expired), thread_posted, json!({})).await;
        ready_to_hear(app, 2).await;

        // Revoked from another session (the member's API token).
        let sessions = app.data(Some(&member.token), SESSIONS, json!({})).await;
        let first = sessions["viewer"]["sessions"].as_array().expect("sessions").iter()
            .filter(|s| s["kind"] == "SESSION").last().expect("the first session")["id"].clone();
        let ended = app.data(Some(&member.token), "mutation($i: RevokeSessionInput!) { revokeSession(input: $i) { ended } }", json!({ "i": { "id": first } })).await;
        assert_eq!(ended["revokeSession"]["ended"], true);
        assert_eq!(code(&app.graphql(Some(revoked), "{ viewer { id } }", json!({})).await), "UNAUTHENTICATED");
        let closing = revoked_socket.until_closed(WAIT).await;
        assert!(closing.iter().any(|m| m["type"] == "close"), "the revoked session's socket closes: {closing:?}");

        // Idle for thirty days: the clock is moved by ending the session's idle time.
        let past = chrono::Utc::now() - chrono::Duration::seconds(1);
        api_token::Entity::update_many()
            .col_expr(api_token::Column::ExpiresAt, sea_orm::sea_query::Expr::value(past))
            .filter(api_token::Column::TokenHash.eq(lkn_api::service::secret::fingerprint(expired)))
            .exec(&app.db).await.expect("expire the session");
        assert_eq!(code(&app.graphql(Some(expired), "{ viewer { id } }", json!({})).await), "UNAUTHENTICATED");
        let closing = expired_socket.until_closed(WAIT).await;
        assert!(closing.iter().any(|m| m["type"] == "close"), "the expired session's socket closes: {closing:?}");
        assert_eq!(code(&app.graphql(Some(&member.token), "{ viewer { id } }", json!({})).await), "ok", "the API token still works");

        // An expired session cannot open a socket either.
        let mut late = Subscriber::connect(app.address).await;
        late.send_raw(json!({ "type": "connection_init", "payload": { "Authorization": format!("Bearer {expired}") } })).await;
        let refused = late.until_closed(WAIT).await;
        assert!(refused.iter().any(|m| m["type"] == "close" || m["type"] == "connection_error"), "{refused:?}");
    }
}

on_both_databases_with_mail! {
    async fn the_bot_never_signs_anyone_in(app) {
        let member = app.member(PARTNER, MemberRole::Member).await;
        let bot = app.member_token("british-library", MemberRole::Bot).await;
        let body = app.graphql(Some(&bot), REQUEST, json!({ "i": { "email": member.email } })).await;
        assert_eq!(code(&body), "FORBIDDEN", "{body}");
        let body = app.graphql(Some(&bot), COMPLETE, json!({ "i": { "code": "AAAAAA" } })).await;
        assert_eq!(code(&body), "FORBIDDEN", "{body}");
        tokio::time::sleep(Duration::from_millis(500)).await;
        assert!(app.mail().messages_to(&member.email).is_empty());
    }
}

/// A partner's frontend on another origin signs in with the same two mutations, once
/// the origin is allowed; the browser's preflight lets it send the token header.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_partners_frontend_on_an_allowed_origin_signs_in() {
    const ORIGIN: &str = "https://staff.glasgowlife.example";
    let edge = lkn_api::edge::EdgeSettings { cors_origins: vec![ORIGIN.to_owned()], ..Default::default() };
    let Some(app) = TestApp::spawn_with_mail_and(Backend::Sqlite, edge).await else { return };
    run_then_clean_up(app, async |app: &TestApp| {
        let member = app.member(PARTNER, MemberRole::Member).await;
        let preflight = app
            .http
            .request(reqwest::Method::OPTIONS, app.url("/graphql"))
            .header("Origin", ORIGIN)
            .header("Access-Control-Request-Method", "POST")
            .header("Access-Control-Request-Headers", "authorization, content-type")
            .send()
            .await
            .expect("preflight");
        assert_eq!(preflight.headers()["access-control-allow-origin"], ORIGIN);
        let allowed = preflight.headers()["access-control-allow-headers"].to_str().expect("text").to_lowercase();
        assert!(allowed.contains("authorization") && allowed.contains("content-type"), "{allowed}");

        let call = async |query: &str, variables: Value, token: Option<&str>| {
            let mut request = app
                .http
                .post(app.url("/graphql"))
                .header("Origin", ORIGIN)
                .json(&json!({ "query": query, "variables": variables }));
            if let Some(token) = token {
                request = request.bearer_auth(token);
            }
            let response = request.send().await.expect("request");
            assert_eq!(response.headers()["access-control-allow-origin"], ORIGIN);
            response.json::<Value>().await.expect("json")
        };
        call(REQUEST, json!({ "i": { "email": member.email } }), None).await;
        let typed = sign_in_code(app, &member.email, 1).await;
        let done = call(COMPLETE, json!({ "i": { "code": typed, "email": member.email } }), None).await;
        let token = done["data"]["completeSignIn"]["token"].as_str().expect("token").to_owned();
        let viewer = call("{ viewer { email } }", json!({}), Some(&token)).await;
        assert_eq!(viewer["data"]["viewer"]["email"], member.email.as_str());
    })
    .await;
}
