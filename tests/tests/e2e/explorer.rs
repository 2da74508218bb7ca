//! The network explorer page in a real browser: headless Chromium driven by
//! playwright-core (`tests/browser`), against the real server with demo data.
//!
//! It runs on SQLite only: the page reads nothing but the GraphQL API, whose behaviour
//! on both databases the other tests cover, and one browser run is the slowest test here.

use std::process::Command;

use crate::support::{Backend, TestApp, run_then_clean_up};

fn browser_tools_present() -> bool {
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    let node = Command::new("node").arg("--version").output().is_ok_and(|o| o.status.success());
    std::path::Path::new(&chromium).exists() && node
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_explorer_page_shows_the_network_in_a_real_browser() {
    let in_ci = std::env::var("CI").is_ok_and(|v| v == "true");
    if !in_ci && !browser_tools_present() {
        eprintln!("skipping the browser test: Chromium or node is missing (`.ci/run` installs them)");
        return;
    }
    let app = TestApp::spawn(Backend::Sqlite).await.expect("SQLite");
    run_then_clean_up(app, async |app: &TestApp| {
        app.seed_demo(200).await;
        let page = app.http.get(app.url("/")).send().await.expect("GET /");
        assert_eq!(page.status(), 200);
        assert!(page.headers()["content-type"].to_str().unwrap_or("").starts_with("text/html"));
        let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("browser/run.sh");
        let url = app.url("");
        let output = tokio::task::spawn_blocking(move || {
            Command::new("bash").arg(script).env("LKN_URL", url).output().expect("Failed to run tests/browser/run.sh")
        })
        .await
        .expect("join");
        let report =
            format!("{}\n{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
        assert!(output.status.success(), "the browser test failed:\n{report}");
        assert!(report.contains("# fail 0"), "the browser test reported failures:\n{report}");
    })
    .await;
}
