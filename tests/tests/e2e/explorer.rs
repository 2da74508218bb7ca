//! The network explorer page in a real browser: headless Chromium driven by
//! playwright-core (`tests/browser`), against the real server with demo data and the
//! real SMTP catcher: a member signs in with the code from the delivered e-mail, asks,
//! replies, follows and signs out; a second member follows a thread, hears of the replies a
//! colleague posts through the API (the count in the header, the list, marking read) and
//! chooses how to hear of them.
//!
//! It runs on SQLite only: the page reads nothing but the GraphQL API, whose behaviour
//! on both databases the other tests cover, and one browser run is the slowest test here.

use std::process::Command;

use lkn_entity::vocabulary::MemberRole;

use crate::support::{Backend, TestApp, run_then_clean_up};

/// The partner of the member who signs in through the page (a founding partner).
const PARTNER: &str = "national-library-of-wales";

/// The policy the explorer's responses must carry, word for word.
const POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
    connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

fn browser_tools_present() -> bool {
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    let node = Command::new("node").arg("--version").output().is_ok_and(|o| o.status.success());
    std::path::Path::new(&chromium).exists() && node
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_a_real_browser_the_explorer_shows_the_network_and_members_ask_reply_follow_and_hear_of_replies() {
    let in_ci = std::env::var("CI").is_ok_and(|v| v == "true");
    if !in_ci && !browser_tools_present() {
        eprintln!("skipping the browser test: Chromium or node is missing (`.ci/run` installs them)");
        return;
    }
    let Some(app) = TestApp::spawn_with_mail(Backend::Sqlite).await else { return };
    run_then_clean_up(app, async |app: &TestApp| {
        app.seed_demo(200).await;
        for path in ["/", "/join?code=ABC", "/sign-in?code=ABC&email=a%40b.test"] {
            let page = app.http.get(app.url(path)).send().await.expect("GET the page");
            assert_eq!(page.status(), 200, "{path}");
            assert!(page.headers()["content-type"].to_str().unwrap_or("").starts_with("text/html"), "{path}");
            assert_eq!(page.headers()["content-security-policy"], POLICY, "{path}");
            assert_eq!(page.headers()["referrer-policy"], "no-referrer", "{path}");
        }
        for asset in ["/explorer/app.js", "/explorer/app.css"] {
            let response = app.http.get(app.url(asset)).send().await.expect("GET an asset");
            assert_eq!(response.headers()["content-security-policy"], POLICY, "{asset}");
        }
        let member = app.member(PARTNER, MemberRole::Member).await;
        let colleague = app.member_token("british-library", MemberRole::Member).await;
        let follower = app.member("glasgow-life", MemberRole::Member).await;
        let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("browser/run.sh");
        let url = app.url("");
        let mail_dir = app.mail().dir().to_owned();
        let output = tokio::task::spawn_blocking(move || {
            Command::new("bash")
                .arg(script)
                .env("LKN_URL", url)
                .env("LKN_MAIL_DIR", mail_dir)
                .env("LKN_MEMBER_EMAIL", member.email)
                .env("LKN_COLLEAGUE_TOKEN", colleague)
                .env("LKN_FOLLOWER_EMAIL", follower.email)
                .output()
                .expect("Failed to run tests/browser/run.sh")
        })
        .await
        .expect("join");
        let report =
            format!("{}\n{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
        assert!(output.status.success(), "the browser test failed:\n{report}");
        assert!(report.contains("# fail 0"), "the browser test reported failures:\n{report}");
        assert!(report.contains("# skipped 0"), "the browser test skipped some of its tests:\n{report}");
    })
    .await;
}
