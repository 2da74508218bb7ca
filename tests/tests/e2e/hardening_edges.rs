//! Hardening at the edges: slow clients are cut off, request ids are safe to store, a
//! timeout is its own error code, `lkn-api` with no subcommand is `serve`, concurrent
//! migrations take turns, link codes resist guessing and expire from the database, and
//! `/metrics` can be closed to the public.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use lkn_api::edge::EdgeSettings;
use lkn_entity::vocabulary::MemberRole;
use lkn_entity::{
    audit_event, discord_link_attempt, discord_link_code, idempotency_key, membership_request, outbox_message,
    sign_in_code,
};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, TransactionTrait};
use serde_json::{Value, json};

use clap::Parser;
use lkn_api::config::Cli;

use crate::on_both_databases;
use crate::processes::{LknApi, first_answer, free_port, lkn_api_process};
use crate::support::{Backend, TestApp, TestDb, run_then_clean_up};
use crate::waiting::{PATIENCE, eventually};

// ---------------------------------------------------------------------------------------
// 1. Slow clients.

fn impatient() -> EdgeSettings {
    EdgeSettings {
        header_read_timeout: Duration::from_secs(1),
        body_read_timeout: Duration::from_secs(2),
        ..EdgeSettings::default()
    }
}

/// Reads from `stream` until the server closes it (or resets it), for at most `limit`;
/// what arrived, and whether it closed.
fn read_until_closed(stream: &mut TcpStream, limit: Duration) -> (Vec<u8>, bool) {
    stream.set_read_timeout(Some(limit)).expect("read timeout");
    let deadline = Instant::now() + limit;
    let mut received = Vec::new();
    let mut buffer = [0u8; 4096];
    while Instant::now() < deadline {
        match stream.read(&mut buffer) {
            Ok(0) => return (received, true),
            Ok(n) => received.extend_from_slice(&buffer[..n]),
            Err(e) if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) => break,
            Err(_) => return (received, true),
        }
    }
    (received, false)
}

async fn a_normal_client_is_served(app: &TestApp) {
    let data = app.data(None, "{ partners { totalCount } }", json!({})).await;
    assert_eq!(data["partners"]["totalCount"], 24);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_stalls_in_its_headers_is_disconnected() {
    let app = TestApp::spawn_with(Backend::Sqlite, impatient()).await.expect("app");
    run_then_clean_up(app, async |app: &TestApp| {
        let address = app.address;
        let (elapsed, closed) = tokio::task::spawn_blocking(move || {
            let mut stream = TcpStream::connect(address).expect("connect");
            stream.write_all(b"POST /graphql HTTP/1.1\r\nHost: lkn.test\r\nContent-Type: appl").expect("half");
            let started = Instant::now();
            let (_, closed) = read_until_closed(&mut stream, Duration::from_secs(8));
            (started.elapsed(), closed)
        })
        .await
        .expect("client");
        eprintln!("a stalled header block was cut after {elapsed:?}");
        assert!(closed, "the connection is still open after {elapsed:?}");
        assert!(elapsed < Duration::from_secs(3), "cut within the 1 s limit (plus slack): {elapsed:?}");
        a_normal_client_is_served(app).await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_that_trickles_in_is_cut_off_while_others_are_served() {
    let app = TestApp::spawn_with(Backend::Sqlite, impatient()).await.expect("app");
    run_then_clean_up(app, async |app: &TestApp| {
        let address = app.address;
        let (trickling, started) = tokio::sync::oneshot::channel();
        let slow = tokio::task::spawn_blocking(move || {
            let mut stream = TcpStream::connect(address).expect("connect");
            let head = "POST /graphql HTTP/1.1\r\nHost: lkn.test\r\nContent-Type: application/json\r\n\
                        Content-Length: 100\r\n\r\n";
            stream.write_all(head.as_bytes()).expect("headers");
            let _ = trickling.send(());
            let mut writer = stream.try_clone().expect("clone");
            let started = Instant::now();
            std::thread::spawn(move || {
                for _ in 0..100 {
                    if writer.write_all(b" ").is_err() {
                        return;
                    }
                    std::thread::sleep(Duration::from_secs(1));
                }
            });
            let (received, closed) = read_until_closed(&mut stream, Duration::from_secs(10));
            (started.elapsed(), String::from_utf8_lossy(&received).into_owned(), closed)
        });
        // Meanwhile, on the same server, everyone else is served.
        started.await.expect("the slow client sent its headers");
        for _ in 0..3 {
            a_normal_client_is_served(app).await;
        }
        let (elapsed, response, closed) = slow.await.expect("client");
        eprintln!("a trickling body was cut after {elapsed:?}: {:?}", response.lines().next());
        assert!(closed, "the connection is still open after {elapsed:?}");
        assert!(response.is_empty() || response.starts_with("HTTP/1.1 408"), "{response}");
        assert!(elapsed < Duration::from_secs(5), "cut within the 2 s limit (plus slack): {elapsed:?}");
        a_normal_client_is_served(app).await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_in_flight_at_shutdown_is_answered_before_the_server_stops() {
    let database = TestDb::create(Backend::Sqlite).await.expect("sqlite");
    let db = lkn_api::prepare_database(&database.settings).await.expect("prepare");
    let viewer = lkn_api::service::viewer::Viewer::Anonymous;
    let new = lkn_api::service::access::NewMember {
        partner_slug: "hull-city-council".into(),
        email: "drain@hull.test".into(),
        display_name: "Drain".into(),
        role: MemberRole::Member,
    };
    let context = lkn_api::service::write::WriteContext::new(&viewer);
    let (_, access) =
        lkn_api::service::access::add_member(&db, &context, lkn_api::service::access::Authority::Operator, new)
            .await
            .expect("member");
    let token = access.into_token().expect("the operator gets a token");
    let bind = format!("127.0.0.1:{}", free_port());
    // No housekeeping: the only database work is the request's, so the pool shows when it is in flight.
    let args = ["--bind", &bind, "--shutdown-grace-secs", "10", "--purge-interval-secs", "0"];
    let (stop, server) = serve_in_process(&database, &args).await;
    assert_eq!(first_answer(&format!("http://{bind}/healthz"), Duration::from_secs(30)).await, Some(200));
    // The write waits on a lock held here, so it is still in flight when the signal comes.
    let lock = db.begin().await.expect("begin");
    lock.execute_unprepared("UPDATE partners SET area = area WHERE id = 1").await.expect("take the write lock");
    let url = format!("http://{bind}/graphql");
    let in_flight = tokio::spawn(async move {
        let request = json!({ "query": POST, "variables": { "i": { "kind": "IDEA", "title": "Drained" } } });
        reqwest::Client::new().post(url).bearer_auth(token).json(&request).send().await?.json::<Value>().await
    });
    let metrics = format!("http://{bind}/metrics");
    eventually("the request holding a connection, in flight", PATIENCE, async || {
        let text = reqwest::get(&metrics).await.map_err(|e| e.to_string())?.text().await.map_err(|e| e.to_string())?;
        let in_use = text.lines().find(|l| l.starts_with("lkn_db_pool_connections{state=\"in_use\"}")).unwrap_or("");
        if in_use.ends_with(" 0") || in_use.is_empty() { Err(in_use.to_owned()) } else { Ok(()) }
    })
    .await;
    let _ = stop.send(());
    let probe = reqwest::Client::builder()
        .timeout(Duration::from_millis(500))
        .pool_max_idle_per_host(0)
        .build()
        .expect("a client that opens a new connection each time");
    // Refused at once: well inside the five seconds the write waits for its lock.
    let refused =
        eventually("new connections refused once shutting down", Duration::from_secs(2), async || {
            match probe.get(format!("http://{bind}/healthz")).send().await {
                Err(error) if error.is_connect() => Ok(error),
                answered => Err(format!("{answered:?}")),
            }
        })
        .await;
    lock.rollback().await.expect("release");
    let answered = in_flight.await.expect("join").expect("the request in flight gets its answer");
    let stopped = tokio::time::timeout(Duration::from_secs(10), server).await.expect("stops once it is answered");
    db.close().await.ok();
    database.drop_database().await;
    assert!(refused.is_connect(), "no new connections once shutting down");
    assert!(answered["data"]["postThread"]["thread"]["id"].is_string(), "{answered}");
    assert_eq!(stopped.expect("join"), Ok(()));
}

// ---------------------------------------------------------------------------------------
// 2. Request ids.

const POST: &str = "mutation($i: PostThreadInput!) { postThread(input: $i) { thread { id } userErrors { code } } }";

on_both_databases! {
    async fn an_overlong_or_non_ascii_request_id_is_replaced_and_the_write_succeeds(app) {
        let token = app.member_token("glasgow-life", MemberRole::Member).await;
        let overlong = "r".repeat(65);
        let sent: [&[u8]; 2] = [overlong.as_bytes(), "requête-é-42".as_bytes()];
        for (n, id) in sent.into_iter().enumerate() {
            let response = app
                .http
                .post(app.url("/graphql"))
                .bearer_auth(&token)
                .header("x-request-id", reqwest::header::HeaderValue::from_bytes(id).expect("header value"))
                .json(&json!({ "query": POST, "variables": { "i": { "kind": "IDEA", "title": format!("Traced {n}") } } }))
                .send()
                .await
                .expect("post");
            let echoed = response.headers().get("x-request-id").expect("a request id").to_str().expect("ascii").to_owned();
            let body: Value = response.json().await.expect("json");
            assert!(body.get("errors").is_none(), "the write succeeds: {body}");
            assert!(body["data"]["postThread"]["thread"]["id"].is_string(), "{body}");
            assert_ne!(echoed.as_bytes(), id, "the id sent is not kept");
            assert!(
                (1..=64).contains(&echoed.len())
                    && echoed.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b)),
                "a valid generated id: {echoed}"
            );
            let audited = audit_event::Entity::find()
                .filter(audit_event::Column::Action.eq("thread.post"))
                .filter(audit_event::Column::RequestId.eq(echoed.as_str()))
                .count(&app.db)
                .await
                .expect("audit");
            assert_eq!(audited, 1, "the audit trail has the generated id {echoed}");
        }
        let kept = app
            .http
            .post(app.url("/graphql"))
            .header("x-request-id", "trace.Me_1-2")
            .json(&json!({ "query": "{ partners { totalCount } }" }))
            .send()
            .await
            .expect("post");
        assert_eq!(kept.headers()["x-request-id"], "trace.Me_1-2", "an acceptable id is kept");
    }
}

// ---------------------------------------------------------------------------------------
// 3. No subcommand is `serve`, environment included.

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lkn_api_with_no_subcommand_serves_with_the_settings_of_its_environment() {
    let database = TestDb::create(Backend::Sqlite).await.expect("sqlite");
    let bind = format!("127.0.0.1:{}", free_port());
    let child = lkn_api_process(
        &[],
        &[
            ("DATABASE_URL", database.settings.url.as_str()),
            ("LKN_BIND", bind.as_str()),
            ("LKN_METRICS_TOKEN", "from-the-environment"),
        ],
    );
    let health = first_answer(&format!("http://{bind}/healthz"), Duration::from_secs(60)).await;
    let metrics = reqwest::get(format!("http://{bind}/metrics")).await.map(|r| r.status().as_u16()).ok();
    drop(child);
    database.drop_database().await;
    assert_eq!(health, Some(200), "lkn-api listens on LKN_BIND");
    assert_eq!(metrics, Some(401), "and takes its other settings from the environment too");
}

// ---------------------------------------------------------------------------------------
// 4. Concurrent migrations on PostgreSQL.

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_processes_migrating_one_empty_postgresql_database_at_once_all_succeed() {
    let Some(database) = TestDb::create(Backend::Postgres).await else { return };
    let url = database.settings.url.clone();
    let runs: Vec<LknApi> = (0..3).map(|_| lkn_api_process(&["migrate"], &[("DATABASE_URL", url.as_str())])).collect();
    let outcomes = tokio::task::spawn_blocking(move || runs.into_iter().map(LknApi::finish).collect::<Vec<_>>())
        .await
        .expect("wait");
    let db = lkn_api::db::connect(&database.settings).await.expect("connect");
    let partners = db.query_one_raw(sea_orm::Statement::from_string(
        sea_orm::DbBackend::Postgres,
        "SELECT COUNT(*) AS n, COUNT(DISTINCT slug) AS slugs FROM partners",
    ));
    let row = partners.await.expect("count").expect("a row");
    let (count, slugs): (i64, i64) = (row.try_get("", "n").expect("n"), row.try_get("", "slugs").expect("slugs"));
    db.close().await.ok();
    database.drop_database().await;
    for (n, (succeeded, stderr)) in outcomes.iter().enumerate() {
        assert!(succeeded, "migrate run {n} failed:\n{stderr}");
    }
    assert_eq!((count, slugs), (24, 24), "the founding partners are seeded exactly once");
}

// ---------------------------------------------------------------------------------------
// 5. A timeout is its own error code.

async fn a_request_past_its_time_limit_fails_with_timeout(backend: Backend) {
    let edge = EdgeSettings { request_timeout: Duration::from_millis(500), ..EdgeSettings::default() };
    let Some(app) = TestApp::spawn_with(backend, edge).await else { return };
    run_then_clean_up(app, async |app: &TestApp| {
        let token = app.member_token("hull-city-council", MemberRole::Member).await;
        // Another session holds a lock the write needs, for longer than the time limit.
        let holder =
            lkn_api::db::connect(&lkn_api::db::DatabaseSettings::new(app.database_url())).await.expect("connect");
        let lock = holder.begin().await.expect("begin");
        let statement = match backend {
            Backend::Sqlite => "UPDATE partners SET area = area WHERE id = 1",
            Backend::Postgres => "LOCK TABLE threads IN ACCESS EXCLUSIVE MODE",
        };
        lock.execute_unprepared(statement).await.expect("take the lock");
        let started = Instant::now();
        let response = app
            .http
            .post(app.url("/graphql"))
            .bearer_auth(&token)
            .json(&json!({ "query": POST, "variables": { "i": { "kind": "IDEA", "title": "Too slow" } } }))
            .send()
            .await
            .expect("post");
        let status = response.status().as_u16();
        let body: Value = response.json().await.expect("json");
        lock.rollback().await.expect("release");
        holder.close().await.ok();
        assert_eq!((status, body["errors"][0]["extensions"]["code"].as_str()), (503, Some("TIMEOUT")), "{body}");
        assert!(started.elapsed() < Duration::from_secs(4), "cut at the limit: {:?}", started.elapsed());
        let metrics = app.http.get(app.url("/metrics")).send().await.expect("metrics").text().await.expect("text");
        assert!(metrics.contains("lkn_graphql_errors_total{code=\"TIMEOUT\"} 1"), "{metrics}");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_past_its_time_limit_fails_with_timeout_on_sqlite() {
    a_request_past_its_time_limit_fails_with_timeout(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_past_its_time_limit_fails_with_timeout_on_postgres() {
    a_request_past_its_time_limit_fails_with_timeout(Backend::Postgres).await;
}

// ---------------------------------------------------------------------------------------
// 6. Link codes.

const LINK: &str = "mutation($i: LinkDiscordAccountInput!) { linkDiscordAccount(input: $i) { member { discordLinked } userErrors { field code message } } }";

async fn new_link_code(app: &TestApp, member: &str) -> String {
    let made = app.data(Some(member), "mutation { createDiscordLinkCode { code } }", json!({})).await;
    made["createDiscordLinkCode"]["code"].as_str().expect("a code").to_owned()
}

fn first_user_error(payload: &Value) -> Option<&str> {
    payload["linkDiscordAccount"]["userErrors"][0]["code"].as_str()
}

on_both_databases! {
    async fn link_codes_are_long_case_insensitive_and_guessing_is_limited(app) {
        let member = app.member_token("kirklees-council", MemberRole::Member).await;
        let bot = app.member_token("british-library", MemberRole::Bot).await;

        let code = new_link_code(app, &member).await;
        let symbols: String = code.trim_start_matches("LKN-").chars().filter(|c| *c != '-').collect();
        assert_eq!(symbols.len(), 16, "16 symbols of 32 (80 bits): {code}");
        assert!(symbols.bytes().all(|b| b"0123456789ABCDEFGHJKMNPQRSTVWXYZ".contains(&b)), "{code}");
        let linked = app.data(Some(&bot), LINK, json!({ "i": { "code": code.to_lowercase(), "discordUserId": "700000000000000011" } })).await;
        assert_eq!(linked["linkDiscordAccount"]["member"]["discordLinked"], true, "a code typed in lower case links: {linked}");

        let guesser = "700000000000000012";
        for n in 0..5 {
            let guess = format!("LKN-0000-0000-0000-000{n}");
            let wrong = app.data(Some(&bot), LINK, json!({ "i": { "code": guess, "discordUserId": guesser } })).await;
            assert_eq!(first_user_error(&wrong), Some("EXPIRED"), "attempt {n}: {wrong}");
        }
        let right = new_link_code(app, &member).await;
        let refused = app.data(Some(&bot), LINK, json!({ "i": { "code": right, "discordUserId": guesser } })).await;
        assert_eq!(first_user_error(&refused), Some("RATE_LIMITED"), "a sixth attempt is refused, even with a right code: {refused}");
        assert!(refused["linkDiscordAccount"]["member"].is_null());
        let other = app.data(Some(&bot), LINK, json!({ "i": { "code": right, "discordUserId": "700000000000000013" } })).await;
        assert_eq!(other["linkDiscordAccount"]["member"]["discordLinked"], true, "the limit is per Discord user, and the refused attempt did not use the code: {other}");
    }
}

on_both_databases! {
    async fn expired_link_codes_old_attempts_old_idempotency_keys_sign_in_codes_and_sent_mail_are_purged(app) {
        use lkn_api::service::housekeeping::{Purged, purge_expired};
        let member = app.member_token("leeds-city-council", MemberRole::Member).await;
        let bot = app.member_token("british-library", MemberRole::Bot).await;
        let now = chrono::Utc::now();

        // Two link codes: one expired, one live; and one used an hour and more ago.
        for _ in 0..3 {
            new_link_code(app, &member).await;
        }
        let ids: Vec<i64> = discord_link_code::Entity::find().all(&app.db).await.expect("codes").iter().map(|c| c.id).collect();
        discord_link_code::Entity::update_many()
            .col_expr(discord_link_code::Column::ExpiresAt, Expr::value(now - chrono::Duration::minutes(1)))
            .filter(discord_link_code::Column::Id.eq(ids[0]))
            .exec(&app.db)
            .await
            .expect("expire");
        discord_link_code::Entity::update_many()
            .col_expr(discord_link_code::Column::UsedAt, Expr::value(now - chrono::Duration::minutes(61)))
            .filter(discord_link_code::Column::Id.eq(ids[2]))
            .exec(&app.db)
            .await
            .expect("use");

        // Two failed link attempts: one outside the 15-minute window.
        for n in 0..2 {
            app.data(Some(&bot), LINK, json!({ "i": { "code": "LKN-nope", "discordUserId": format!("70000000000000002{n}") } })).await;
        }
        let attempts = discord_link_attempt::Entity::find().all(&app.db).await.expect("attempts");
        assert_eq!(attempts.len(), 2, "failed attempts are recorded");
        discord_link_attempt::Entity::update_many()
            .col_expr(discord_link_attempt::Column::AttemptedAt, Expr::value(now - chrono::Duration::minutes(16)))
            .filter(discord_link_attempt::Column::Id.eq(attempts[0].id))
            .exec(&app.db)
            .await
            .expect("age");

        // Two idempotency keys: one older than a week.
        for key in ["old-key", "new-key"] {
            app.data(Some(&member), POST, json!({ "i": { "kind": "IDEA", "title": key, "idempotencyKey": key } })).await;
        }
        idempotency_key::Entity::update_many()
            .col_expr(idempotency_key::Column::CreatedAt, Expr::value(now - chrono::Duration::hours(7 * 24 + 1)))
            .filter(idempotency_key::Column::Key.eq("old-key"))
            .exec(&app.db)
            .await
            .expect("age");

        // Two sign-in codes, one made three hours ago, and their messages, one sent a month ago.
        let signer = app.member("glasgow-life", MemberRole::Member).await;
        for _ in 0..2 {
            app.data(None, "mutation($i: RequestSignInInput!) { requestSignIn(input: $i) { accepted } }", json!({ "i": { "email": signer.email } })).await;
        }
        let codes = sign_in_code::Entity::find().all(&app.db).await.expect("codes");
        assert_eq!(codes.len(), 2);
        sign_in_code::Entity::update_many()
            .col_expr(sign_in_code::Column::CreatedAt, Expr::value(now - chrono::Duration::hours(3)))
            .filter(sign_in_code::Column::Id.eq(codes[0].id))
            .exec(&app.db)
            .await
            .expect("age");
        eventually("both messages are sent", PATIENCE, async || {
            let sent = outbox_message::Entity::find().filter(outbox_message::Column::SentAt.is_not_null()).count(&app.db).await.map_err(|e| e.to_string())?;
            if sent == 2 { Ok(()) } else { Err(format!("{sent} sent")) }
        }).await;
        let first_message = outbox_message::Entity::find().all(&app.db).await.expect("messages")[0].id;
        outbox_message::Entity::update_many()
            .col_expr(outbox_message::Column::SentAt, Expr::value(now - chrono::Duration::days(31)))
            .filter(outbox_message::Column::Id.eq(first_message))
            .exec(&app.db)
            .await
            .expect("age");

        // Three requests to join: one declined a month ago, one declined today, one pending.
        let ask = "mutation($i: RequestMembershipInput!) { requestMembership(input: $i) { request { id } } }";
        let decide = "mutation($i: DecideMembershipRequestInput!) { decideMembershipRequest(input: $i) { request { id } } }";
        let admin = app.member_token("british-library", MemberRole::Admin).await;
        for n in 0..3 {
            let input = json!({ "i": { "partnerSlug": "leeds-city-council", "discordUserId": format!("70000000000000003{n}"), "displayName": "Asker", "email": format!("asker{n}@leeds.test") } });
            let asked = app.data(Some(&bot), ask, input).await;
            if n < 2 {
                app.data(Some(&admin), decide, json!({ "i": { "id": asked["requestMembership"]["request"]["id"], "approve": false } })).await;
            }
        }
        membership_request::Entity::update_many()
            .col_expr(membership_request::Column::DecidedAt, Expr::value(now - chrono::Duration::days(31)))
            .filter(membership_request::Column::DiscordUserId.eq("700000000000000030"))
            .exec(&app.db)
            .await
            .expect("age");

        // A job finished a month ago and one just now; a notification half a year old and a
        // fresh one; an unsubscribe link over a year old and a new one.
        use lkn_api::service::jobs::{self, NewJob};
        use sea_orm::ActiveModelTrait;
        for (key, age) in [("old-job", 31), ("new-job", 0)] {
            let done = now - chrono::Duration::days(age);
            jobs::insert(&app.db, NewJob::new("notify", json!({}), done).keyed(key), done).await.expect("a job");
            jobs::skip(&app.db, key, "done", done).await.expect("finish it");
        }
        for age in [181, 0] {
            lkn_entity::notification::ActiveModel {
                member_id: sea_orm::Set(signer.id),
                kind: sea_orm::Set(lkn_entity::vocabulary::NotificationKind::ReplyOnYourThread),
                what: sea_orm::Set("REPLIED".into()),
                source_key: sea_orm::Set(format!("reply:{age}")),
                created_at: sea_orm::Set(now - chrono::Duration::days(age)),
                ..Default::default()
            }
            .insert(&app.db)
            .await
            .expect("a notification");
            lkn_entity::unsubscribe_link::ActiveModel {
                fingerprint: sea_orm::Set(format!("{age:064}")),
                member_id: sea_orm::Set(signer.id),
                scope: sea_orm::Set("DIGEST_WEEKLY".into()),
                created_at: sea_orm::Set(now - chrono::Duration::days(age * 2 + 4)),
                ..Default::default()
            }
            .insert(&app.db)
            .await
            .expect("a link");
        }

        let purged = purge_expired(&app.db, now).await.expect("purge");
        let expected = Purged {
            link_codes: 2,
            link_attempts: 1,
            idempotency_keys: 1,
            sign_in_codes: 1,
            outbox_messages: 1,
            membership_requests: 1,
            jobs: 1,
            notifications: 1,
            unsubscribe_links: 1,
        };
        assert_eq!(purged, expected);
        assert_eq!(membership_request::Entity::find().count(&app.db).await.expect("count"), 2, "the recent and the pending stay");
        let left: Vec<i64> = discord_link_code::Entity::find().all(&app.db).await.expect("codes").iter().map(|c| c.id).collect();
        assert_eq!(left, vec![ids[1]], "the live code stays");
        assert_eq!(discord_link_attempt::Entity::find().count(&app.db).await.expect("count"), 1);
        let keys: Vec<String> = idempotency_key::Entity::find().all(&app.db).await.expect("keys").into_iter().map(|k| k.key).collect();
        assert_eq!(keys, vec!["new-key".to_owned()]);
        assert_eq!(purge_expired(&app.db, now).await.expect("again"), Purged::default(), "purging is idempotent");
    }
}

// ---------------------------------------------------------------------------------------
// 7. Restricting /metrics.

/// Runs `lkn-api serve ARGS` in this process until the returned sender fires.
async fn serve_in_process(
    database: &TestDb,
    args: &[&str],
) -> (tokio::sync::oneshot::Sender<()>, tokio::task::JoinHandle<Result<(), String>>) {
    let argv =
        ["lkn-api", "--database-url", database.settings.url.as_str(), "serve"].into_iter().chain(args.iter().copied());
    let cli = Cli::try_parse_from(argv).expect("flags");
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(async move {
        let mut out = Vec::new();
        lkn_api::cli::run(cli, &mut out, async {
            let _ = stopped.await;
        })
        .await
        .map_err(|e| e.to_string())
    });
    (stop, server)
}

async fn status(request: reqwest::RequestBuilder) -> u16 {
    request.send().await.expect("request").status().as_u16()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_need_the_metrics_token_when_one_is_set() {
    let database = TestDb::create(Backend::Sqlite).await.expect("sqlite");
    let bind = format!("127.0.0.1:{}", free_port());
    let (stop, server) = serve_in_process(&database, &["--bind", &bind, "--metrics-token", "m3trics"]).await;
    assert_eq!(first_answer(&format!("http://{bind}/healthz"), Duration::from_secs(30)).await, Some(200));
    let http = reqwest::Client::new();
    let metrics = format!("http://{bind}/metrics");
    assert_eq!(status(http.get(&metrics)).await, 401, "no token");
    assert_eq!(status(http.get(&metrics).bearer_auth("wrong")).await, 401, "a wrong token");
    let admitted = http.get(&metrics).bearer_auth("m3trics").send().await.expect("metrics");
    assert_eq!(admitted.status(), 200);
    assert!(admitted.text().await.expect("text").contains("lkn_active_subscriptions"));
    let _ = stop.send(());
    assert_eq!(server.await.expect("join"), Ok(()));
    database.drop_database().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_can_be_served_on_a_listener_of_their_own_only() {
    let database = TestDb::create(Backend::Sqlite).await.expect("sqlite");
    let bind = format!("127.0.0.1:{}", free_port());
    let metrics_bind = format!("127.0.0.1:{}", free_port());
    let (stop, server) = serve_in_process(&database, &["--bind", &bind, "--metrics-bind", &metrics_bind]).await;
    assert_eq!(first_answer(&format!("http://{bind}/healthz"), Duration::from_secs(30)).await, Some(200));
    let http = reqwest::Client::new();
    assert_eq!(status(http.get(format!("http://{bind}/metrics"))).await, 404, "not on the main listener");
    let apart = http.get(format!("http://{metrics_bind}/metrics")).send().await.expect("metrics");
    assert_eq!(apart.status(), 200);
    assert!(apart.text().await.expect("text").contains("lkn_active_subscriptions"));
    assert_eq!(
        status(http.get(format!("http://{metrics_bind}/graphql?query=%7B__typename%7D"))).await,
        404,
        "only metrics there"
    );
    let _ = stop.send(());
    let stopped = tokio::time::timeout(Duration::from_secs(10), server).await.expect("stops");
    assert_eq!(stopped.expect("join"), Ok(()));
    assert!(http.get(format!("http://{metrics_bind}/metrics")).send().await.is_err(), "both listeners close");
    database.drop_database().await;
}
