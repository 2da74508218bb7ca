//! `lkn-api` as a process of its own: for tests of what only a real process shows — its
//! environment, several processes on one database, and a process killed outright.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use clap::Parser;
use lkn_api::config::Cli;

/// The environment variable that carries a child's `lkn-api` arguments (JSON).
const CHILD_ARGS: &str = "LKN_TEST_CHILD_ARGS";

/// Not a check: the body of a child process that runs `lkn-api` exactly as its binary
/// does (parse the command line and environment, then `lkn_api::cli::run`), so that
/// tests can give it an environment of its own. It does nothing unless started by
/// [`lkn_api_process`].
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "started by other tests as a child process"]
async fn lkn_api_child() {
    let Ok(args) = std::env::var(CHILD_ARGS) else { return };
    let args: Vec<String> = serde_json::from_str(&args).expect("child arguments");
    let cli = Cli::try_parse_from(args).expect("a valid command line");
    let mut out = std::io::sink();
    lkn_api::cli::run(cli, &mut out, std::future::pending()).await.expect("lkn-api failed");
}

/// `lkn-api ARGS` in a process of its own with `env` (and nothing from this process's
/// `LKN_*` or `DATABASE_URL`), killed when dropped.
pub struct LknApi(Option<Child>);

pub fn lkn_api_process(args: &[&str], env: &[(&str, &str)]) -> LknApi {
    let mut command = child_command(args, env);
    command.stderr(Stdio::piped());
    LknApi(Some(command.spawn().expect("start the child")))
}

/// Like [`lkn_api_process`], for a server that runs a while: its log goes to `log`
/// (a pipe nobody reads would fill and stall it).
pub fn lkn_api_server(args: &[&str], env: &[(&str, &str)], log: &std::path::Path) -> LknApi {
    let mut command = child_command(args, env);
    command.stderr(std::fs::File::create(log).expect("the child's log file"));
    LknApi(Some(command.spawn().expect("start the child")))
}

fn child_command(args: &[&str], env: &[(&str, &str)]) -> Command {
    let exe = std::env::current_exe().expect("the test binary");
    let argv: Vec<&str> = std::iter::once("lkn-api").chain(args.iter().copied()).collect();
    let mut command = Command::new(exe);
    command
        .args(["--exact", "processes::lkn_api_child", "--ignored", "--nocapture", "--test-threads=1"])
        .stdout(Stdio::null());
    for (name, _) in std::env::vars() {
        if name.starts_with("LKN_") || name == "DATABASE_URL" {
            command.env_remove(name);
        }
    }
    command.env(CHILD_ARGS, serde_json::to_string(&argv).expect("json"));
    for (name, value) in env {
        command.env(name, value);
    }
    command
}

impl LknApi {
    /// Kills it outright (SIGKILL): no shutdown, no drain, nothing finished.
    pub fn kill(&mut self) {
        if let Some(child) = &mut self.0 {
            let _ = child.kill();
            let _ = child.wait();
        }
        self.0 = None;
    }

    /// Waits for it to exit; its success and standard error.
    pub fn finish(mut self) -> (bool, String) {
        let output = self.0.take().expect("a child").wait_with_output().expect("wait");
        (output.status.success(), String::from_utf8_lossy(&output.stderr).into_owned())
    }
}

impl Drop for LknApi {
    fn drop(&mut self) {
        if let Some(child) = &mut self.0 {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// A port nothing listens on now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").expect("port").local_addr().expect("addr").port()
}

/// Polls `url` until it answers, for up to `limit`; its status, or `None`.
pub async fn first_answer(url: &str, limit: Duration) -> Option<u16> {
    let http = reqwest::Client::new();
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        if let Ok(response) = http.get(url).send().await {
            return Some(response.status().as_u16());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    None
}
