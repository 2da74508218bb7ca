//! A real SMTP server for the tests that read what LKN sends: `tests/mail/catcher.py`
//! (aiosmtpd) on a loopback port, one process per test binary. It saves each accepted
//! message as JSON in a folder of its own; tests wait for the messages to an address.
//!
//! Every test writes to addresses of its own, so tests share the server without seeing
//! each other's mail. Recipients containing `refuse` are refused (550), those containing
//! `tempfail` deferred (451), those containing `tempfail-once` deferred the first time only.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::Duration;

use serde_json::Value;

/// How long a test waits for a message before failing.
const PATIENCE: Duration = Duration::from_secs(20);

/// One message the server accepted.
#[derive(Debug, Clone)]
pub struct CaughtMail {
    /// Envelope recipients.
    pub to: Vec<String>,
    /// Subject line, decoded.
    pub subject: String,
    /// The plain-text part.
    pub text: String,
    /// The HTML part.
    pub html: String,
    /// Headers as sent, decoded.
    pub headers: serde_json::Map<String, Value>,
}

impl CaughtMail {
    /// A header's value, if present.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(key, _)| key.eq_ignore_ascii_case(name)).and_then(|(_, value)| value.as_str())
    }
}

/// The running catcher.
pub struct MailCatcher {
    port: u16,
    dir: PathBuf,
    // Held so the server's stdin stays open: it stops when this process ends.
    _process: std::sync::Mutex<Child>,
}

static CATCHER: OnceLock<Option<MailCatcher>> = OnceLock::new();

impl MailCatcher {
    /// The shared catcher, started on first use; `None` when aiosmtpd is missing outside
    /// CI (under `CI=true` that fails the test instead).
    pub fn shared() -> Option<&'static MailCatcher> {
        CATCHER.get_or_init(Self::start).as_ref()
    }

    fn start() -> Option<MailCatcher> {
        let has_aiosmtpd = Command::new("python3")
            .args(["-c", "import aiosmtpd"])
            .output()
            .is_ok_and(|output| output.status.success());
        if !has_aiosmtpd {
            assert!(
                !std::env::var("CI").is_ok_and(|v| v == "true"),
                "the SMTP catcher needs python3 with aiosmtpd under CI=true (`pip install aiosmtpd`)"
            );
            eprintln!("skipping: python3 with aiosmtpd is missing (`pip install aiosmtpd`; .ci/run installs it)");
            return None;
        }
        let dir = std::env::temp_dir().join(format!("lkn-mail-{}-{:08x}", std::process::id(), rand::random::<u32>()));
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("mail/catcher.py");
        let mut process = Command::new("python3")
            .arg(script)
            .arg(&dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("Failed to start the SMTP catcher");
        let stdout = process.stdout.take().expect("the catcher's stdout");
        let mut first_line = String::new();
        BufReader::new(stdout).read_line(&mut first_line).expect("the catcher prints its port");
        let port = first_line.trim().parse().unwrap_or_else(|_| panic!("the catcher printed {first_line:?}"));
        Some(MailCatcher { port, dir, _process: std::sync::Mutex::new(process) })
    }

    /// The URL lkn-api sends to: plain SMTP on loopback.
    pub fn smtp_url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// The folder of saved messages (for node: `LKN_MAIL_DIR`).
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Every message delivered to `to` so far, oldest first.
    pub fn messages_to(&self, to: &str) -> Vec<CaughtMail> {
        let mut names: Vec<PathBuf> = std::fs::read_dir(&self.dir)
            .map(|entries| entries.filter_map(|e| e.ok().map(|e| e.path())).collect())
            .unwrap_or_default();
        names.retain(|path| path.extension().is_some_and(|ext| ext == "json"));
        names.sort();
        names
            .into_iter()
            .filter_map(|path| {
                let record: Value = serde_json::from_str(&std::fs::read_to_string(path).ok()?).ok()?;
                let recipients: Vec<String> =
                    record["to"].as_array()?.iter().filter_map(|v| v.as_str().map(str::to_owned)).collect();
                if !recipients.iter().any(|r| r.eq_ignore_ascii_case(to)) {
                    return None;
                }
                Some(CaughtMail {
                    to: recipients,
                    subject: record["subject"].as_str().unwrap_or_default().to_owned(),
                    text: record["text"].as_str().unwrap_or_default().to_owned(),
                    html: record["html"].as_str().unwrap_or_default().to_owned(),
                    headers: record["headers"].as_object().cloned().unwrap_or_default(),
                })
            })
            .collect()
    }

    /// Waits until `count` messages to `to` have arrived and returns them, oldest first.
    pub async fn wait_for_count(&self, to: &str, count: usize) -> Vec<CaughtMail> {
        let deadline = tokio::time::Instant::now() + PATIENCE;
        loop {
            let messages = self.messages_to(to);
            if messages.len() >= count {
                return messages;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "{} message(s) to {to} arrived within {PATIENCE:?}, not {count}",
                messages.len()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Waits for the first message to `to` and returns the newest one.
    pub async fn wait_for(&self, to: &str) -> CaughtMail {
        self.wait_for_count(to, 1).await.pop().expect("at least one message")
    }
}
