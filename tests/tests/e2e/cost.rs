//! One caller must not take the service: expensive fields pay their cost and are capped
//! per document, budgets are kept per address before tokens are looked up, the bot's
//! budget is not one Discord user's to spend, and a flood of expensive requests from one
//! client leaves the pool to everyone else.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use lkn_api::edge::EdgeSettings;
use lkn_entity::vocabulary::MemberRole;
use serde_json::{Value, json};

use crate::edge::limiter;
use crate::on_both_databases;
use crate::support::{Backend, TestApp, run_then_clean_up};
use crate::waiting::{PATIENCE, eventually};

/// The statements the server has run so far, from `/metrics`.
async fn statements(app: &TestApp) -> u64 {
    let text = app.http.get(app.url("/metrics")).send().await.expect("metrics").text().await.expect("text");
    text.lines()
        .find_map(|line| line.strip_prefix("lkn_db_statements_total "))
        .and_then(|n| n.trim().parse().ok())
        .expect("lkn_db_statements_total")
}

/// Posts `query` as-is and returns the status and body.
async fn post(client: &reqwest::Client, app: &TestApp, token: Option<&str>, query: &str) -> (u16, Value) {
    let mut request = client.post(app.url("/graphql")).json(&json!({ "query": query }));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.expect("post");
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

fn code(body: &Value) -> &str {
    body["errors"][0]["extensions"]["code"].as_str().unwrap_or("ok")
}

/// A client whose requests come from `address` on the loopback network.
fn client_from(address: [u8; 4]) -> reqwest::Client {
    reqwest::Client::builder().local_address(IpAddr::from(address)).build().expect("client")
}

on_both_databases! {
    async fn many_aliases_of_an_expensive_field_are_refused_before_any_work(app) {
        app.seed_demo(60).await;
        let client = reqwest::Client::new();
        let fields = [
            "networkStats { threadCount medianHoursToFirstReply }",
            "tags(first: 10) { name threadCount }",
            "search(query: \"library\", first: 5) { totalCount nodes { __typename } }",
            "similarThreads(text: \"summer reading\", first: 5) { title }",
        ];
        for field in fields {
            let aliases: String = (0..250).map(|i| format!("a{i}: {field} ")).collect();
            let before = statements(app).await;
            let started = Instant::now();
            let (status, body) = post(&client, app, None, &format!("{{ {aliases} }}")).await;
            assert_eq!((status, code(&body)), (400, "QUERY_TOO_COMPLEX"), "{field}: {body}");
            assert_eq!(statements(app).await, before, "{field}: refused before running a statement");
            assert!(started.elapsed() < Duration::from_secs(2), "{field}: {:?}", started.elapsed());
        }
        let four: String = fields.iter().enumerate().map(|(i, f)| format!("e{i}: {f} ")).collect();
        let (status, body) = post(&client, app, None, &format!("{{ {four} }}")).await;
        assert_eq!((status, code(&body)), (400, "QUERY_TOO_COMPLEX"), "four expensive fields in one request: {body}");
        let three: String = fields[..3].iter().enumerate().map(|(i, f)| format!("e{i}: {f} ")).collect();
        let (status, body) = post(&client, app, None, &format!("{{ {three} }}")).await;
        assert_eq!((status, code(&body)), (200, "ok"), "three are allowed: {body}");
        let via_fragment = format!("query {{ ...F }} fragment F on Query {{ {four} }}");
        let (_, body) = post(&client, app, None, &via_fragment).await;
        assert_eq!(code(&body), "QUERY_TOO_COMPLEX", "fragments at the root count too: {body}");
    }
}

on_both_databases! {
    async fn network_figures_are_computed_once_for_a_crowd_and_again_after_a_write(app) {
        app.seed_demo(60).await;
        let token = app.member_token("leeds-city-council", MemberRole::Member).await;
        let stats = "{ networkStats { threadCount } }";
        let first = app.data(None, stats, json!({})).await["networkStats"]["threadCount"].as_i64().expect("count");
        let before = statements(app).await;
        let crowd = (0..20).map(|_| app.data(None, stats, json!({})));
        for answer in futures_util::future::join_all(crowd).await {
            assert_eq!(answer["networkStats"]["threadCount"].as_i64(), Some(first));
        }
        assert_eq!(statements(app).await, before, "twenty anonymous callers shared one computation");
        app.data(Some(&token), "mutation { postThread(input: {kind: IDEA, title: \"Counted\", visibility: PUBLIC}) { thread { id } } }", json!({})).await;
        let mut after = first;
        for _ in 0..50 {
            after = app.data(None, stats, json!({})).await["networkStats"]["threadCount"].as_i64().expect("count");
            if after == first + 1 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert_eq!(after, first + 1, "a write is counted at once");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn random_bearer_tokens_from_one_address_meet_429_without_reaching_the_database() {
    let edge = EdgeSettings { rate_limiter: Arc::new(limiter(20, 20)), ..EdgeSettings::default() };
    let app = TestApp::spawn_with(Backend::Sqlite, edge).await.expect("app");
    run_then_clean_up(app, async |app: &TestApp| {
        let valid = app.member_token("glasgow-life", MemberRole::Member).await;
        let client = reqwest::Client::new();
        // A member at the same address, signed in before the flood.
        assert_eq!(post(&client, app, Some(&valid), "{ viewer { id } }").await.0, 200);
        let mut statuses = Vec::new();
        for _ in 0..30 {
            let random = format!("lkn_{:032x}", rand::random::<u128>());
            statuses.push(post(&client, app, Some(&random), "{ partners(first: 1) { totalCount } }").await.0);
        }
        assert_eq!(&statuses[..20], &[401; 20], "each invalid token is refused");
        assert_eq!(&statuses[20..], &[429; 10], "then the address is refused: {statuses:?}");
        let before = statements(app).await;
        let (status, _) = post(&client, app, Some("lkn_yet_another"), "{ viewer { id } }").await;
        assert_eq!(status, 429);
        assert_eq!(statements(app).await, before, "a refused token costs no lookup");
        let (status, body) = post(&client, app, Some(&valid), "{ viewer { displayName } }").await;
        assert_eq!((status, code(&body)), (200, "ok"), "a member's token keeps working from that address: {body}");
        let (status, _) = post(&client, app, None, "{ partners(first: 1) { totalCount } }").await;
        assert_eq!(status, 200, "anonymous reads from the address have their own budget");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_discord_user_cannot_spend_the_bots_budget() {
    let edge = EdgeSettings { rate_limiter: Arc::new(limiter(10, 10)), ..EdgeSettings::default() };
    let app = TestApp::spawn_with(Backend::Sqlite, edge).await.expect("app");
    run_then_clean_up(app, async |app: &TestApp| {
        let bot = app.member_token("british-library", MemberRole::Bot).await;
        let query = "{ partners(first: 1) { totalCount } }";
        let as_user = |user: &'static str| {
            let bot = bot.clone();
            async move {
                let response = app
                    .http
                    .post(app.url("/graphql"))
                    .bearer_auth(&bot)
                    .header("x-lkn-discord-user", user)
                    .json(&json!({ "query": query }))
                    .send()
                    .await
                    .expect("post");
                response.status().as_u16()
            }
        };
        let mut noisy = Vec::new();
        for _ in 0..15 {
            noisy.push(as_user("812345678901234567").await);
        }
        assert!(noisy[..10].iter().all(|s| *s != 429), "{noisy:?}");
        assert!(noisy[10..].iter().all(|s| *s == 429), "one user meets their own limit: {noisy:?}");
        assert_ne!(as_user("912345678901234567").await, 429, "another user is served");
        let (status, _) = post(&app.http, app, Some(&bot), query).await;
        assert_eq!(status, 200, "and so is the bot itself");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_of_expensive_requests_from_one_client_leaves_the_pool_to_others_on_sqlite() {
    flood_leaves_the_pool_to_others(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_of_expensive_requests_from_one_client_leaves_the_pool_to_others_on_postgres() {
    flood_leaves_the_pool_to_others(Backend::Postgres).await;
}

/// A second client's `partners` (and one partner, which is always read from the database)
/// answers within a second while 32 connections from
/// another address keep asking for the three most expensive fields, or for 30 aliases of
/// them. Rate limits are off, so what protects the second client is the cap on expensive
/// fields, the shared network figures and each caller's share of the pool.
async fn flood_leaves_the_pool_to_others(backend: Backend) {
    let edge = EdgeSettings { rate_limiter: Arc::new(limiter(0, 0)), ..EdgeSettings::default() };
    let Some(app) = TestApp::spawn_with(backend, edge).await else { return };
    run_then_clean_up(app, async |app: &TestApp| {
        app.seed_demo(4_000).await;
        let flood_client = client_from([127, 0, 0, 2]);
        let expensive = "{ s: search(query: \"reading library children\", first: 20) { totalCount nodes { __typename } } \
                         n: networkStats { threadCount medianHoursToFirstReply } \
                         t: similarThreads(text: \"summer reading challenge for children\", first: 10) { title } }";
        // What an attacker sends too: as many expensive aliases as the document may hold.
        let aliases: String = (0..15)
            .map(|i| format!("n{i}: networkStats {{ threadCount }} s{i}: search(query: \"children {i}\", first: 1) {{ totalCount }} "))
            .collect();
        let bomb = format!("{{ {aliases} }}");
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let answered = Arc::new(std::sync::atomic::AtomicU32::new(0));
        let mut flood = Vec::new();
        for worker in 0..32 {
            let (client, stop, answered, url) = (flood_client.clone(), stop.clone(), answered.clone(), app.url("/graphql"));
            let query = if worker % 2 == 0 { expensive.to_owned() } else { bomb.clone() };
            flood.push(tokio::spawn(async move {
                let mut sent = 0_u32;
                while !stop.load(std::sync::atomic::Ordering::Relaxed) && sent < 400 {
                    if client.post(&url).json(&json!({ "query": query })).send().await.is_ok() {
                        answered.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    }
                    sent += 1;
                }
                sent
            }));
        }
        // The flood is in full swing once it has had as many answers as it has connections.
        eventually("the flood under way", PATIENCE, async || {
            let so_far = answered.load(std::sync::atomic::Ordering::Relaxed);
            if so_far >= 32 { Ok(()) } else { Err(format!("{so_far} flood requests answered")) }
        })
        .await;
        let other = client_from([127, 0, 0, 1]);
        let mut slowest = Duration::ZERO;
        for _ in 0..10 {
            let started = Instant::now();
            let answer = tokio::time::timeout(Duration::from_secs(5), post(&other, app, None, "{ partners(first: 30) { nodes { name nation } } partner(slug: \"glasgow-life\") { name } }"))
                .await
                .expect("the other client is answered");
            assert_eq!(answer.0, 200, "{:?}", answer.1);
            assert_eq!(answer.1["data"]["partners"]["nodes"].as_array().map(Vec::len), Some(24));
            assert_eq!(answer.1["data"]["partner"]["name"], "Glasgow Life", "read from the database");
            slowest = slowest.max(started.elapsed());
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        let mut flooded = 0;
        for task in flood {
            flooded += task.await.expect("flood task");
        }
        assert!(flooded >= 24, "the flood ran");
        eprintln!("flood: {flooded} expensive requests; the other client's slowest answer took {slowest:?}");
        assert!(slowest < Duration::from_secs(1), "the other client waited {slowest:?} at worst");
    })
    .await;
}
