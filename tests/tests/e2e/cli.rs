//! The operator's commands, run through the same `lkn_api::cli::run` the binary calls,
//! with standard output captured.

use clap::Parser;
use lkn_api::config::Cli;
use serde_json::json;

use crate::on_both_databases;

/// Runs `lkn-api ARGS` against `database_url`; returns what it printed, or the error.
pub(crate) async fn lkn_api(database_url: &str, args: &[&str]) -> Result<String, String> {
    let argv = ["lkn-api", "--database-url", database_url].into_iter().chain(args.iter().copied());
    let cli = Cli::try_parse_from(argv).map_err(|e| e.to_string())?;
    let mut out = Vec::new();
    lkn_api::cli::run(cli, &mut out, std::future::ready(())).await.map_err(|e| e.to_string())?;
    String::from_utf8(out).map_err(|e| e.to_string())
}

on_both_databases! {
    async fn member_add_prints_a_token_that_signs_in_and_revoke_stops_it(app) {
        let url = app.database_url();
        let stdout = lkn_api(&url, &["member", "add", "--partner", "glasgow-life", "--email", "Ann@Glasgow.Example", "--name", "Ann Fraser", "--role", "coordinator"]).await.expect("member add");
        let token = stdout.trim();
        assert_eq!(stdout.lines().count(), 1, "the token is alone on standard output");
        assert!(token.starts_with("lkn_") && token.len() >= 4 + 43);
        let data = app.data(Some(token), "{ viewer { displayName role partner { slug } } }", json!({})).await;
        assert_eq!(data["viewer"]["displayName"], "Ann Fraser");
        assert_eq!(data["viewer"]["role"], "COORDINATOR");
        assert_eq!(data["viewer"]["partner"]["slug"], "glasgow-life");

        let again = lkn_api(&url, &["member", "add", "--partner", "glasgow-life", "--email", "ann@glasgow.example", "--name", "Ann", "--role", "member"]).await;
        assert!(again.is_err_and(|e| e.contains("already exists")), "the same e-mail twice is refused");
        let unknown = lkn_api(&url, &["member", "add", "--partner", "atlantis", "--email", "x@y.example", "--name", "X"]).await;
        assert!(unknown.is_err_and(|e| e.contains("atlantis")));

        let second = lkn_api(&url, &["token", "issue", "--email", "ann@glasgow.example"]).await.expect("issue");
        let second = second.trim();
        assert_ne!(second, token);
        assert!(app.data(Some(second), "{ viewer { id } }", json!({})).await["viewer"]["id"].is_string());
        lkn_api(&url, &["token", "revoke", "--email", "ann@glasgow.example"]).await.expect("revoke");
        for old in [token, second] {
            let body = app.graphql(Some(old), "{ viewer { id } }", json!({})).await;
            assert_eq!(body["errors"][0]["extensions"]["code"], "UNAUTHENTICATED");
        }
    }
}

on_both_databases! {
    async fn seed_demo_runs_once_and_refuses_to_duplicate(app) {
        let url = app.database_url();
        lkn_api(&url, &["seed", "demo", "--threads", "150"]).await.expect("seed");
        let data = app.data(None, "{ networkStats { threadCount } }", json!({})).await;
        let public = data["networkStats"]["threadCount"].as_i64().expect("count");
        assert!(public > 0 && public < 150);
        assert!(lkn_api(&url, &["seed", "demo", "--threads", "150"]).await.is_err());
        let data = app.data(None, "{ networkStats { threadCount } }", json!({})).await;
        assert_eq!(data["networkStats"]["threadCount"].as_i64(), Some(public));
    }
}

#[tokio::test]
async fn schema_command_prints_the_sdl() {
    let sdl = lkn_api("sqlite::memory:", &["schema"]).await.expect("schema");
    assert!(sdl.contains("type Thread"));
    assert_eq!(sdl, lkn_api::schema_sdl());
}

#[test]
fn serve_settings_are_read_from_flags() {
    let cli = Cli::try_parse_from(["lkn-api", "--database-url", "sqlite:flag.db", "serve", "--bind", "127.0.0.1:9999"])
        .expect("parse");
    assert_eq!(cli.database_url, "sqlite:flag.db");
    match cli.command {
        Some(lkn_api::config::Command::Serve(args)) => assert_eq!(args.bind.port(), 9999),
        other => panic!("expected serve, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_stops_cleanly_when_signalled() {
    let database = crate::support::TestDb::create(crate::support::Backend::Sqlite).await.expect("sqlite");
    let port = std::net::TcpListener::bind("127.0.0.1:0").expect("port").local_addr().expect("addr").port();
    let bind = format!("127.0.0.1:{port}");
    let argv = [
        "lkn-api",
        "--database-url",
        database.settings.url.as_str(),
        "serve",
        "--bind",
        bind.as_str(),
        "--shutdown-grace-secs",
        "2",
    ];
    let cli = Cli::try_parse_from(argv).expect("parse");
    let (signal, signalled) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(async move {
        let mut out = Vec::new();
        lkn_api::cli::run(cli, &mut out, async {
            let _ = signalled.await;
        })
        .await
        .map_err(|e| e.to_string())
    });
    let http = reqwest::Client::new();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while http.get(format!("http://{bind}/healthz")).send().await.is_err() {
        assert!(std::time::Instant::now() < deadline, "the server did not start");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let _ = signal.send(());
    let stopped =
        tokio::time::timeout(std::time::Duration::from_secs(5), server).await.expect("stops within the grace period");
    assert_eq!(stopped.expect("join"), Ok(()));
    assert!(http.get(format!("http://{bind}/healthz")).send().await.is_err(), "no longer listening");
    database.drop_database().await;
}
