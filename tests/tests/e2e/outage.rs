//! A database outage under a running server: a private PostgreSQL cluster, started on
//! its own port and data directory, is stopped and started again while lkn-api serves.

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::json;

/// A throwaway PostgreSQL cluster run by the `postgres` system user.
struct PrivateCluster {
    bin: PathBuf,
    dir: PathBuf,
    port: u16,
}

fn as_postgres(program: &PathBuf, args: &[&str]) -> std::process::Output {
    let is_root = Command::new("id").arg("-u").output().map(|o| o.stdout.starts_with(b"0")).unwrap_or(false);
    let mut command = if is_root {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(program);
        c
    } else {
        Command::new(program)
    };
    command.args(args).output().expect("run a PostgreSQL program")
}

impl PrivateCluster {
    /// Creates and starts a cluster, or `None` when PostgreSQL's programs are missing outside CI.
    fn start() -> Option<Self> {
        let bin = std::fs::read_dir("/usr/lib/postgresql")
            .into_iter()
            .flatten()
            .filter_map(Result::ok)
            .map(|e| e.path().join("bin"))
            .find(|p| p.join("initdb").exists());
        let Some(bin) = bin else {
            assert!(std::env::var("CI").map_or(true, |v| v != "true"), "PostgreSQL's initdb is required under CI=true");
            eprintln!("skipping: PostgreSQL's initdb is not installed");
            return None;
        };
        let port = std::net::TcpListener::bind("127.0.0.1:0").expect("free port").local_addr().expect("addr").port();
        let dir = std::env::temp_dir().join(format!("lkn-pg-{}-{port}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("data dir");
        let _ = Command::new("chown").args(["-R", "postgres:postgres"]).arg(&dir).status();
        let data = dir.join("data");
        let out = as_postgres(
            &bin.join("initdb"),
            &["-D", data.to_str().expect("utf8"), "-U", "postgres", "--auth=trust", "-E", "UTF8"],
        );
        assert!(out.status.success(), "initdb failed: {}", String::from_utf8_lossy(&out.stderr));
        let cluster = Self { bin, dir, port };
        cluster.up();
        Some(cluster)
    }

    fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    fn up(&self) {
        let options = format!("-p {} -k {} -c listen_addresses=127.0.0.1", self.port, self.dir.display());
        let data = self.dir.join("data");
        let log = self.dir.join("log");
        let out = as_postgres(
            &self.bin.join("pg_ctl"),
            &["-D", data.to_str().expect("utf8"), "-l", log.to_str().expect("utf8"), "-o", &options, "-w", "start"],
        );
        assert!(out.status.success(), "pg_ctl start failed: {}", String::from_utf8_lossy(&out.stderr));
    }

    fn down(&self) {
        let data = self.dir.join("data");
        let _ =
            as_postgres(&self.bin.join("pg_ctl"), &["-D", data.to_str().expect("utf8"), "-m", "fast", "-w", "stop"]);
    }
}

impl Drop for PrivateCluster {
    fn drop(&mut self) {
        self.down();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_fails_fast_while_postgres_is_down_and_recovers_when_it_returns() {
    let Some(cluster) = tokio::task::spawn_blocking(PrivateCluster::start).await.expect("join") else { return };
    let mut settings = lkn_api::db::DatabaseSettings::new(cluster.url());
    settings.acquire_timeout = Duration::from_secs(1);
    let db = lkn_api::prepare_database(&settings).await.expect("prepare");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let address = listener.local_addr().expect("addr");
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(lkn_api::serve(listener, lkn_api::AppState::new(db), async {
        let _ = stopped.await;
    }));
    let http = reqwest::Client::builder().timeout(Duration::from_secs(20)).build().expect("client");
    let query = || async {
        let response = http
            .post(format!("http://{address}/graphql"))
            // One partner by slug: always read from the database (the partner list may be
            // held in memory, and is served from it only while changes can be heard).
            .json(&json!({ "query": "{ partner(slug: \"glasgow-life\") { slug } }" }))
            .send()
            .await
            .expect("post");
        (response.status().as_u16(), response.json::<serde_json::Value>().await.expect("json"))
    };
    let ready =
        || async { http.get(format!("http://{address}/readyz")).send().await.expect("readyz").status().as_u16() };

    assert_eq!(query().await.1["data"]["partner"]["slug"], "glasgow-life");
    assert_eq!(ready().await, 200);

    tokio::task::spawn_blocking({
        let bin = cluster.bin.clone();
        let data = cluster.dir.join("data");
        move || as_postgres(&bin.join("pg_ctl"), &["-D", data.to_str().expect("utf8"), "-m", "fast", "-w", "stop"])
    })
    .await
    .expect("stop");
    let started = Instant::now();
    assert_eq!(ready().await, 503);
    assert!(started.elapsed() < Duration::from_secs(2), "readiness answers within a second or two");
    let started = Instant::now();
    let (_, body) = query().await;
    assert_eq!(body["errors"][0]["extensions"]["code"], "DATABASE_UNAVAILABLE", "{body}");
    assert!(started.elapsed() < Duration::from_secs(6), "fails fast, never hangs: {:?}", started.elapsed());
    let message = body["errors"][0]["message"].as_str().unwrap_or("").to_lowercase();
    assert!(
        !message.contains("sqlx") && !message.contains("connection refused") && !message.contains("5432"),
        "{message}"
    );

    tokio::task::spawn_blocking({
        let bin = cluster.bin.clone();
        let dir = cluster.dir.clone();
        let port = cluster.port;
        move || PrivateCluster { bin, dir, port }.up_once()
    })
    .await
    .expect("start");
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let (_, body) = query().await;
        if body["data"]["partner"]["slug"] == "glasgow-life" {
            break;
        }
        assert!(Instant::now() < deadline, "service did not resume: {body}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(ready().await, 200);
    let _ = stop.send(());
    let _ = server.await;
    drop(cluster);
}

impl PrivateCluster {
    /// Starts the cluster again without taking ownership of its cleanup.
    fn up_once(self) {
        self.up();
        std::mem::forget(self);
    }
}
