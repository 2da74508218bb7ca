//! The edge: hostile and broken requests are refused cheaply, with the right status,
//! code and size, before they cost anything.

use std::sync::Arc;
use std::time::Duration;

use lkn_api::edge::EdgeSettings;
use lkn_api::rate_limit::RateLimiter;
use lkn_entity::vocabulary::MemberRole;
use serde_json::{Value, json};

use crate::on_both_databases;
use crate::support::{Backend, TestApp, run_then_clean_up};

const SPEC: &str = "application/graphql-response+json";

async fn post_raw(app: &TestApp, accept: &str, body: String) -> (u16, String, Value, usize) {
    let response = app
        .http
        .post(app.url("/graphql"))
        .header("content-type", "application/json")
        .header("accept", accept)
        .body(body)
        .send()
        .await
        .expect("post");
    let status = response.status().as_u16();
    let content_type = response.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
    let text = response.text().await.expect("body");
    (status, content_type, serde_json::from_str(&text).unwrap_or(Value::Null), text.len())
}

fn code(body: &Value) -> &str {
    body["errors"][0]["extensions"]["code"].as_str().unwrap_or("")
}

on_both_databases! {
    async fn oversized_and_overreaching_queries_are_refused_cheaply(app) {
        let huge = format!("{{\"query\": \"{{ partners {{ totalCount }} }}\", \"variables\": {{ \"pad\": \"{}\" }} }}", "x".repeat(1_100_000));
        let (status, _, _, _) = post_raw(app, SPEC, huge).await;
        assert_eq!(status, 413, "bodies over 1 MiB are refused");

        let deep = format!("{{ {}id{} }}", "threads { nodes { author { partner { ".repeat(3), " } } } }".repeat(3));
        let (status, content_type, body, size) = post_raw(app, SPEC, json!({ "query": deep }).to_string()).await;
        assert_eq!((status, code(&body)), (400, "QUERY_TOO_COMPLEX"), "{body}");
        assert!(content_type.starts_with(SPEC));
        assert!(size < 500, "a refusal is short: {size} bytes");

        let wide = "{ partners(first: 100) { nodes { threads(first: 100) { nodes { replies(first: 100) { nodes { body } } } } } } }";
        let (_, _, body, _) = post_raw(app, SPEC, json!({ "query": wide }).to_string()).await;
        assert_eq!(code(&body), "QUERY_TOO_COMPLEX", "connection cost scales with first: {body}");

        let aliases: String = (0..600).map(|i| format!("a{i}: __typename ")).collect();
        let (status, _, body, size) = post_raw(app, SPEC, json!({ "query": format!("{{ {aliases} }}") }).to_string()).await;
        assert_eq!((status, code(&body)), (400, "QUERY_TOO_COMPLEX"), "aliases of __typename count: {body}");
        assert!(size < 500);

        let directives = "@skip(if: false) ".repeat(200);
        let (_, _, body, size) = post_raw(app, SPEC, json!({ "query": format!("{{ partners {directives} {{ totalCount }} }}") }).to_string()).await;
        assert_eq!(code(&body), "QUERY_TOO_COMPLEX", "{body}");
        assert!(size < 500, "many directives give one short error, not one per directive");

        for first in [0, -1, 101] {
            let (_, _, body, _) = post_raw(app, SPEC, json!({ "query": format!("{{ threads(first: {first}) {{ totalCount }} }}") }).to_string()).await;
            assert_eq!(code(&body), "BAD_REQUEST", "first: {first}");
        }

        let (status, _, body, _) = post_raw(app, SPEC, json!([{ "query": "{ partners { totalCount } }" }]).to_string()).await;
        assert_eq!((status, code(&body)), (400, "BAD_REQUEST"), "batches are refused");
    }
}

on_both_databases! {
    async fn status_and_media_type_follow_what_the_client_accepts(app) {
        let invalid = json!({ "query": "{ partnerz { totalCount } }" }).to_string();
        let (status, content_type, body, _) = post_raw(app, SPEC, invalid.clone()).await;
        assert_eq!(status, 400);
        assert!(content_type.starts_with(SPEC));
        assert_eq!(code(&body), "BAD_REQUEST");
        assert!(!body.to_string().to_lowercase().contains("did you mean"), "no field suggestions: {body}");
        let (status, content_type, _, _) = post_raw(app, "application/json", invalid).await;
        assert_eq!(status, 200, "plain JSON clients get 200 with errors");
        assert!(content_type.starts_with("application/json"));
        let (status, content_type, body, _) = post_raw(app, "application/json", json!({ "query": "{ partners { totalCount } }" }).to_string()).await;
        assert_eq!((status, body["data"]["partners"]["totalCount"].as_i64()), (200, Some(24)));
        assert!(content_type.starts_with("application/json"));
        let (_, _, body, _) = post_raw(app, SPEC, "{\"query\": ".to_owned()).await;
        assert_eq!(code(&body), "BAD_REQUEST");
        assert!(!body.to_string().contains("line 1"), "no parser internals: {body}");
    }
}

on_both_databases! {
    async fn forms_and_plain_text_execute_nothing(app) {
        let token = app.member_token("glasgow-life", MemberRole::Member).await;
        let mutation = r#"{"query":"mutation { postThread(input: {kind: IDEA, title: \"CSRF\"}) { thread { id } } }"}"#;
        for content_type in ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"] {
            let response = app
                .http
                .post(app.url("/graphql"))
                .bearer_auth(&token)
                .header("content-type", content_type)
                .body(mutation)
                .send()
                .await
                .expect("post");
            assert_eq!(response.status(), 415, "{content_type}");
        }
        let response = app.http.post(app.url("/graphql")).bearer_auth(&token).body(mutation).send().await.expect("post");
        assert_eq!(response.status(), 415, "no content type");
        let data = app.data(Some(&token), "{ threads { totalCount } }", json!({})).await;
        assert_eq!(data["threads"]["totalCount"], 0, "nothing was posted");
    }
}

on_both_databases! {
    async fn metrics_count_requests_by_operation_outcome_and_code(app) {
        app.data(None, "query PartnerList { partners { totalCount } }", json!({})).await;
        app.graphql(None, "query Broken { nope }", json!({})).await;
        let text = app.http.get(app.url("/metrics")).send().await.expect("metrics").text().await.expect("text");
        for expected in [
            "lkn_graphql_requests_total{operation=\"PartnerList\",outcome=\"ok\"} 1",
            "lkn_graphql_requests_total{operation=\"Broken\",outcome=\"error\"} 1",
            "lkn_graphql_errors_total{code=\"BAD_REQUEST\"} 1",
            "lkn_graphql_request_duration_seconds_count 2",
            "lkn_db_pool_connections{state=\"idle\"}",
            "lkn_active_subscriptions 0",
        ] {
            assert!(text.contains(expected), "missing {expected}:\n{text}");
        }
    }
}

/// A limiter with `per_minute` requests and `writes` writes per caller (the bot ten times as many).
pub fn limiter(per_minute: u32, writes: u32) -> RateLimiter {
    RateLimiter::new(lkn_api::rate_limit::Limits {
        per_minute,
        writes_per_minute: writes,
        bot_per_minute: per_minute * 10,
        sign_in_per_minute: per_minute,
    })
}

fn edge_with(limiter: RateLimiter, cors: &[&str]) -> EdgeSettings {
    EdgeSettings {
        rate_limiter: Arc::new(limiter),
        cors_origins: cors.iter().map(|s| (*s).to_owned()).collect(),
        ..EdgeSettings::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn callers_over_their_budget_get_429_with_retry_after() {
    let app = TestApp::spawn_with(Backend::Sqlite, edge_with(limiter(5, 2), &[])).await.expect("app");
    run_then_clean_up(app, async |app: &TestApp| {
        let token = app.member_token("leeds-city-council", MemberRole::Member).await;
        let post = "mutation { postThread(input: {kind: IDEA, title: \"Rate\"}) { thread { id } } }";
        for _ in 0..2 {
            assert!(app.graphql(Some(&token), post, json!({})).await["data"]["postThread"]["thread"]["id"].is_string());
        }
        let refused = app
            .http
            .post(app.url("/graphql"))
            .bearer_auth(&token)
            .json(&json!({ "query": post }))
            .send()
            .await
            .expect("post");
        assert_eq!(refused.status(), 429, "the write budget is lower");
        assert!(refused.headers()["retry-after"].to_str().expect("retry-after").parse::<u64>().expect("seconds") >= 1);
        let body: Value = refused.json().await.expect("json");
        assert_eq!(code(&body), "RATE_LIMITED");
        for _ in 0..2 {
            assert!(app.graphql(Some(&token), "{ viewer { id } }", json!({})).await.get("errors").is_none());
        }
        let over = app
            .http
            .post(app.url("/graphql"))
            .bearer_auth(&token)
            .json(&json!({ "query": "{ viewer { id } }" }))
            .send()
            .await
            .expect("post");
        assert_eq!(over.status(), 429, "five requests a minute in all");
        let other = app.member_token("leeds-city-council", MemberRole::Member).await;
        assert!(
            app.graphql(Some(&other), "{ viewer { id } }", json!({})).await.get("errors").is_none(),
            "budgets are per token"
        );
        let anonymous = app.graphql(None, "{ partners { totalCount } }", json!({})).await;
        assert!(anonymous.get("errors").is_none(), "anonymous callers have their own, per-address budget");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cors_answers_configured_origins_only_and_never_with_credentials() {
    let app = TestApp::spawn_with(Backend::Sqlite, edge_with(limiter(0, 0), &["https://partner.example"]))
        .await
        .expect("app");
    run_then_clean_up(app, async |app: &TestApp| {
        let preflight = |origin: &'static str| {
            app.http
                .request(reqwest::Method::OPTIONS, app.url("/graphql"))
                .header("origin", origin)
                .header("access-control-request-method", "POST")
                .header("access-control-request-headers", "authorization, content-type")
                .send()
        };
        let allowed = preflight("https://partner.example").await.expect("preflight");
        assert_eq!(allowed.headers()["access-control-allow-origin"], "https://partner.example");
        assert!(allowed.headers().get("access-control-allow-credentials").is_none());
        let refused = preflight("https://elsewhere.example").await.expect("preflight");
        assert!(refused.headers().get("access-control-allow-origin").is_none());
    })
    .await;
    let any = TestApp::spawn_with(Backend::Sqlite, edge_with(limiter(0, 0), &["*"])).await.expect("app");
    run_then_clean_up(any, async |app: &TestApp| {
        let response = app
            .http
            .get(app.url("/graphql?query=%7Bpartners%7BtotalCount%7D%7D"))
            .header("origin", "https://any.example")
            .send()
            .await
            .expect("get");
        assert_eq!(response.headers()["access-control-allow-origin"], "*");
        assert!(response.headers().get("access-control-allow-credentials").is_none());
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_that_meets_a_long_lock_fails_retryably_and_changes_nothing() {
    let app = TestApp::spawn_with(
        Backend::Sqlite,
        EdgeSettings { request_timeout: Duration::from_secs(30), ..EdgeSettings::default() },
    )
    .await
    .expect("app");
    run_then_clean_up(app, async |app: &TestApp| {
        use sea_orm::{ConnectionTrait, TransactionTrait};
        let token = app.member_token("hull-city-council", MemberRole::Member).await;
        let holder =
            lkn_api::db::connect(&lkn_api::db::DatabaseSettings::new(app.database_url())).await.expect("connect");
        let lock = holder.begin().await.expect("begin");
        lock.execute_unprepared("UPDATE partners SET area = area WHERE id = 1").await.expect("take the write lock");
        let started = std::time::Instant::now();
        let body = app
            .graphql(
                Some(&token),
                "mutation { postThread(input: {kind: IDEA, title: \"Locked out\"}) { thread { id } } }",
                json!({}),
            )
            .await;
        assert_eq!(code(&body), "DATABASE_UNAVAILABLE", "{body}");
        assert!(started.elapsed() < Duration::from_secs(10), "the wait is bounded by the busy timeout");
        lock.rollback().await.expect("release");
        let data = app.data(Some(&token), "{ threads { totalCount } }", json!({})).await;
        assert_eq!(data["threads"]["totalCount"], 0, "nothing half-done");
        let retried = app
            .data(
                Some(&token),
                "mutation { postThread(input: {kind: IDEA, title: \"Locked out\"}) { thread { id } } }",
                json!({}),
            )
            .await;
        assert!(retried["postThread"]["thread"]["id"].is_string(), "the retry succeeds");
    })
    .await;
}
