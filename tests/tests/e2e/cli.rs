//! The operator's commands, run as the real binary.

use std::process::Command;

use serde_json::json;

use crate::on_both_databases;
use crate::support::lkn_api_binary;

fn lkn_api(database_url: &str, args: &[&str]) -> std::process::Output {
    Command::new(lkn_api_binary())
        .args(args)
        .env("DATABASE_URL", database_url)
        .env("RUST_LOG", "warn")
        .output()
        .expect("Failed to run lkn-api")
}

on_both_databases! {
    async fn member_add_prints_a_token_that_signs_in_and_revoke_stops_it(app) {
        let url = app.database_url();
        let out = lkn_api(&url, &["member", "add", "--partner", "glasgow-life", "--email", "Ann@Glasgow.Example", "--name", "Ann Fraser", "--role", "coordinator"]);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let stdout = String::from_utf8(out.stdout).expect("utf8");
        let token = stdout.trim();
        assert_eq!(stdout.lines().count(), 1, "the token is alone on standard output");
        assert!(token.starts_with("lkn_") && token.len() >= 4 + 43);
        let data = app.data(Some(token), "{ viewer { displayName role partner { slug } } }", json!({})).await;
        assert_eq!(data["viewer"]["displayName"], "Ann Fraser");
        assert_eq!(data["viewer"]["role"], "COORDINATOR");
        assert_eq!(data["viewer"]["partner"]["slug"], "glasgow-life");

        let again = lkn_api(&url, &["member", "add", "--partner", "glasgow-life", "--email", "ann@glasgow.example", "--name", "Ann", "--role", "member"]);
        assert!(!again.status.success(), "the same e-mail twice is refused");

        let issued = lkn_api(&url, &["token", "issue", "--email", "ann@glasgow.example"]);
        assert!(issued.status.success());
        let second = String::from_utf8(issued.stdout).expect("utf8").trim().to_owned();
        assert_ne!(second, token);
        let revoked = lkn_api(&url, &["token", "revoke", "--email", "ann@glasgow.example"]);
        assert!(revoked.status.success());
        for old in [token, second.as_str()] {
            let body = app.graphql(Some(old), "{ viewer { id } }", json!({})).await;
            assert_eq!(body["errors"][0]["extensions"]["code"], "UNAUTHENTICATED");
        }
    }
}

on_both_databases! {
    async fn seed_demo_runs_once_and_refuses_to_duplicate(app) {
        let url = app.database_url();
        let out = lkn_api(&url, &["seed", "demo", "--threads", "150"]);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let data = app.data(None, "{ networkStats { threadCount } }", json!({})).await;
        let public = data["networkStats"]["threadCount"].as_i64().expect("count");
        assert!(public > 0 && public < 150);
        let again = lkn_api(&url, &["seed", "demo", "--threads", "150"]);
        assert!(!again.status.success());
        let data = app.data(None, "{ networkStats { threadCount } }", json!({})).await;
        assert_eq!(data["networkStats"]["threadCount"].as_i64(), Some(public));
    }
}

#[test]
fn schema_command_prints_the_sdl() {
    let out = Command::new(lkn_api_binary())
        .arg("schema")
        .output()
        .expect("run");
    assert!(out.status.success());
    let sdl = String::from_utf8(out.stdout).expect("utf8");
    assert!(sdl.contains("type Thread"));
    assert_eq!(sdl, lkn_api::schema_sdl());
}
