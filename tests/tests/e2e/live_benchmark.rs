//! A benchmark, not a check (ignored by default; see bench/README.md): delivery latency
//! of subscription events from one lkn-api process to subscribers of another on one
//! PostgreSQL, and memory per idle subscriber, using the release binary.
//!
//! `cargo build --release -p lkn-api && cargo test --release -p lkn-tests --test e2e live_benchmark -- --ignored --nocapture`

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use lkn_entity::vocabulary::MemberRole;
use serde_json::json;

use crate::subscriptions::Subscriber;
use crate::support::{Backend, TestDb};
use crate::waiting::{listening, live_subscriptions};

struct Server(Child, u16);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with("VmRSS:")).and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

async fn start(binary: &str, url: &str) -> Server {
    let port = std::net::TcpListener::bind("127.0.0.1:0").expect("port").local_addr().expect("addr").port();
    let child = Command::new(binary)
        .args([
            "serve",
            "--bind",
            &format!("127.0.0.1:{port}"),
            "--rate-limit-per-minute",
            "0",
            "--write-rate-limit-per-minute",
            "0",
            "--max-sockets-per-client",
            "5000",
        ])
        .env("DATABASE_URL", url)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .spawn()
        .expect("start lkn-api");
    let http = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    while http.get(format!("http://127.0.0.1:{port}/readyz")).send().await.map(|r| r.status().as_u16()).unwrap_or(0)
        != 200
    {
        assert!(Instant::now() < deadline, "lkn-api did not start");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Server(child, port)
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a benchmark: run with --ignored --nocapture against a release build"]
async fn live_benchmark() {
    let binary = std::env::var("LKN_API")
        .unwrap_or_else(|_| format!("{}/../target/release/lkn-api", env!("CARGO_MANIFEST_DIR")));
    let database = TestDb::create(Backend::Postgres).await.expect("PostgreSQL");
    let db = lkn_api::prepare_database(&database.settings).await.expect("prepare");
    let url = database.settings.url.clone();
    let writer = start(&binary, &url).await;
    let reader = start(&binary, &url).await;
    let reader_address: std::net::SocketAddr = format!("127.0.0.1:{}", reader.1).parse().expect("addr");

    let viewer = lkn_api::service::viewer::Viewer::Anonymous;
    let new = lkn_api::service::access::NewMember {
        partner_slug: "british-library".into(),
        email: "live@bl.example".into(),
        display_name: "Live".into(),
        role: MemberRole::Member,
    };
    let (_, access) = lkn_api::service::access::add_member(
        &db,
        &lkn_api::service::write::WriteContext::new(&viewer),
        lkn_api::service::access::Authority::Operator,
        new,
    )
    .await
    .expect("member");
    let token = access.into_token().expect("the operator gets a token");

    let idle_before = rss_kib(reader.0.id());
    let mut idle = Vec::new();
    for _ in 0..10 {
        let joined = (0..100).map(|_| {
            Subscriber::start(reader_address, None, "subscription { collaborationChanged { change } }", json!({}))
        });
        idle.extend(futures_util::future::join_all(joined).await);
    }
    live_subscriptions(reader_address, idle.len()).await;
    let idle_after = rss_kib(reader.0.id());
    println!(
        "memory per idle subscriber: {:.1} KiB ({} subscribers, RSS {} -> {} KiB)",
        (idle_after - idle_before) as f64 / idle.len() as f64,
        idle.len(),
        idle_before,
        idle_after
    );
    drop(idle);
    live_subscriptions(reader_address, 0).await;

    let mut subscribers = futures_util::future::join_all(
        (0..50).map(|_| Subscriber::start(reader_address, None, "subscription { threadPosted { id } }", json!({}))),
    )
    .await;
    live_subscriptions(reader_address, subscribers.len()).await;
    listening(&db, 2).await;
    let http = reqwest::Client::new();
    let mut latencies = Vec::new();
    let mut responses = Vec::new();
    for i in 0..100 {
        let body = json!({ "query": "mutation($i: PostThreadInput!) { postThread(input: $i) { thread { id } } }", "variables": { "i": { "kind": "IDEA", "title": format!("Live {i}"), "visibility": "PUBLIC" } } });
        let sent = Instant::now();
        let response = http
            .post(format!("http://127.0.0.1:{}/graphql", writer.1))
            .bearer_auth(&token)
            .json(&body)
            .send()
            .await
            .expect("post");
        responses.push(sent.elapsed().as_secs_f64() * 1000.0);
        assert!(response.status().is_success());
        let arrivals = futures_util::future::join_all(subscribers.iter_mut().map(|s| async {
            s.next_event(Duration::from_secs(10)).await.expect("event");
            sent.elapsed().as_secs_f64() * 1000.0
        }))
        .await;
        latencies.extend(arrivals);
    }
    latencies.sort_by(f64::total_cmp);
    responses.sort_by(f64::total_cmp);
    println!(
        "write sent on one process -> event read by a subscriber of the other ({} deliveries, 50 subscribers): \
         p50 {:.2} ms, p99 {:.2} ms; the write's own response: p50 {:.2} ms",
        latencies.len(),
        percentile(&latencies, 0.5),
        percentile(&latencies, 0.99),
        percentile(&responses, 0.5)
    );
    drop(subscribers);
    drop(writer);
    drop(reader);
    db.close().await.ok();
    database.drop_database().await;
}
