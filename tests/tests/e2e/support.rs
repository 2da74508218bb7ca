//! The test harness: a fresh database per test on SQLite or PostgreSQL, the real server
//! on a loopback port, and a GraphQL client over HTTP.
//!
//! PostgreSQL is found through `LKN_TEST_POSTGRES_URL` (default: the server on this
//! machine, `postgres://postgres@127.0.0.1:5432/test`). Each test gets its own database,
//! named uniquely and dropped afterwards. Without PostgreSQL, its half of each test is
//! skipped with a message — except under `CI=true`, where that fails the run.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use lkn_api::config::ServeArgs;
use lkn_api::db::DatabaseSettings;
use lkn_api::mail::MailSettings;
use lkn_api::startup::{Application, Settings};
use sea_orm::{ConnectionTrait, Database, DatabaseConnection};
use serde_json::{Value, json};
use tokio::sync::oneshot;

use crate::mail_catcher::MailCatcher;

/// The two databases every test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// SQLite in a temporary file.
    Sqlite,
    /// A fresh database on the PostgreSQL server.
    Postgres,
}

fn postgres_admin_url() -> String {
    std::env::var("LKN_TEST_POSTGRES_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

fn unique_name() -> String {
    format!("lkn_test_{}_{:08x}", std::process::id(), rand::random::<u32>())
}

/// A database made for one test, removed when the test is done with it.
pub struct TestDb {
    /// Settings to connect with.
    pub settings: DatabaseSettings,
    backend: Backend,
    name: String,
    sqlite_path: Option<PathBuf>,
}

impl TestDb {
    /// Creates an empty database, or `None` when PostgreSQL is unavailable outside CI.
    pub async fn create(backend: Backend) -> Option<Self> {
        let name = unique_name();
        match backend {
            Backend::Sqlite => {
                let path = std::env::temp_dir().join(format!("{name}.db"));
                let url = format!("sqlite:{}", path.display());
                Some(Self { settings: DatabaseSettings::new(url), backend, name, sqlite_path: Some(path) })
            }
            Backend::Postgres => {
                let admin_url = postgres_admin_url();
                let admin = match Database::connect(&admin_url).await {
                    Ok(admin) => admin,
                    Err(error) => {
                        if std::env::var("CI").is_ok_and(|v| v == "true") {
                            panic!("PostgreSQL is required under CI=true but {admin_url} is unreachable: {error}");
                        }
                        eprintln!("skipping the PostgreSQL half: {admin_url} is unreachable ({error})");
                        return None;
                    }
                };
                admin
                    .execute_unprepared(&format!("CREATE DATABASE {name}"))
                    .await
                    .expect("Failed to create the test database");
                admin.close().await.ok();
                let base = admin_url.rsplit_once('/').map_or(admin_url.as_str(), |(base, _)| base).to_owned();
                let url = format!("{base}/{name}");
                Some(Self { settings: DatabaseSettings::new(url), backend, name, sqlite_path: None })
            }
        }
    }

    /// Removes the database.
    pub async fn drop_database(self) {
        match self.backend {
            Backend::Sqlite => {
                if let Some(path) = &self.sqlite_path {
                    for suffix in ["", "-wal", "-shm"] {
                        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
                    }
                }
            }
            Backend::Postgres => {
                if let Ok(admin) = Database::connect(&postgres_admin_url()).await {
                    let _ =
                        admin.execute_unprepared(&format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name)).await;
                    admin.close().await.ok();
                }
            }
        }
    }
}

/// A running lkn-api on a loopback port over its own database.
pub struct TestApp {
    /// Where it listens.
    pub address: SocketAddr,
    /// A pool on the same database, for arranging data and checking what was stored.
    pub db: DatabaseConnection,
    /// The HTTP client.
    pub http: reqwest::Client,
    /// Where the server announces committed writes (its subscribers listen here).
    pub events: std::sync::Arc<lkn_api::events::EventBus>,
    shutdown: Option<oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
    database: Option<TestDb>,
    mail: Option<&'static MailCatcher>,
}

impl TestApp {
    /// Starts the server on a fresh database of `backend`; `None` when PostgreSQL is
    /// unavailable outside CI.
    pub async fn spawn(backend: Backend) -> Option<Self> {
        Self::spawn_with(backend, lkn_api::edge::EdgeSettings::default()).await
    }

    /// Like [`Self::spawn`], with the given edge settings (limits, CORS, rate limits).
    /// Starts the server as `lkn-api serve` does, through [`Application`], on
    /// `127.0.0.1:0`, without the periodic purge.
    /// Mail goes to a folder of its own that nobody reads.
    pub async fn spawn_with(backend: Backend, edge: lkn_api::edge::EdgeSettings) -> Option<Self> {
        let folder =
            std::env::temp_dir().join(format!("lkn-outbox-{}-{:08x}", std::process::id(), rand::random::<u32>()));
        Self::spawn_configured(backend, edge, MailSettings::to_folder(folder), None).await
    }

    /// Starts the server sending its mail to the shared SMTP catcher, read with
    /// [`Self::mail`]; `None` when PostgreSQL or the catcher is unavailable outside CI.
    pub async fn spawn_with_mail(backend: Backend) -> Option<Self> {
        Self::spawn_with_mail_and(backend, lkn_api::edge::EdgeSettings::default()).await
    }

    /// Like [`Self::spawn_with_mail`], with the given edge settings.
    pub async fn spawn_with_mail_and(backend: Backend, edge: lkn_api::edge::EdgeSettings) -> Option<Self> {
        let catcher = MailCatcher::shared()?;
        let mail = MailSettings::to_smtp(catcher.smtp_url());
        Self::spawn_configured(backend, edge, mail, Some(catcher)).await
    }

    async fn spawn_configured(
        backend: Backend,
        edge: lkn_api::edge::EdgeSettings,
        mail_settings: MailSettings,
        mail: Option<&'static MailCatcher>,
    ) -> Option<Self> {
        // `LKN_TEST_LOG=1` prints the servers' logs (every test's, interleaved; filter with
        // RUST_LOG): for finding out why a test failed, not for reading in CI.
        if std::env::var("LKN_TEST_LOG").is_ok() {
            static ONCE: std::sync::Once = std::sync::Once::new();
            ONCE.call_once(|| lkn_api::telemetry::init(lkn_api::config::LogFormat::Text));
        }
        let database = TestDb::create(backend).await?;
        let settings = Settings {
            database: database.settings.clone(),
            bind: SocketAddr::from(([127, 0, 0, 1], 0)),
            metrics_bind: None,
            edge,
            shutdown_grace: Duration::from_secs(ServeArgs::default().shutdown_grace_secs),
            purge_interval: None,
            mail: mail_settings,
            worker: lkn_api::worker::WorkerSettings::default(),
        };
        let application = Application::build(settings).await.expect("Failed to start the server");
        let address = application.address();
        let db = application.db().clone();
        let events = application.events();
        let (shutdown, stop) = oneshot::channel();
        let server = tokio::spawn(application.run_until_stopped(async {
            let _ = stop.await;
        }));
        Some(Self {
            address,
            db,
            http: reqwest::Client::new(),
            events,
            shutdown: Some(shutdown),
            server: Some(server),
            database: Some(database),
            mail,
        })
    }

    /// The SMTP catcher this server sends to; only for servers from [`Self::spawn_with_mail`].
    pub fn mail(&self) -> &'static MailCatcher {
        self.mail.expect("this server was not started with spawn_with_mail")
    }

    /// The server's base URL.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.address)
    }

    /// Posts a GraphQL request, with a bearer token if given, and returns the JSON body.
    pub async fn graphql(&self, token: Option<&str>, query: &str, variables: Value) -> Value {
        self.graphql_with(token, &[], query, variables).await
    }

    /// Like [`Self::graphql`], with extra headers.
    pub async fn graphql_with(
        &self,
        token: Option<&str>,
        headers: &[(&str, &str)],
        query: &str,
        variables: Value,
    ) -> Value {
        let mut request = self.http.post(self.url("/graphql")).json(&json!({ "query": query, "variables": variables }));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let response = request.send().await.expect("request failed");
        response.json().await.expect("response is not JSON")
    }

    /// Like [`Self::graphql`], failing the test if the response carries errors.
    pub async fn data(&self, token: Option<&str>, query: &str, variables: Value) -> Value {
        let body = self.graphql(token, query, variables).await;
        assert!(body.get("errors").is_none(), "unexpected errors: {body:#}");
        body["data"].clone()
    }

    /// The database settings, for running CLI commands against the same database.
    pub fn database_url(&self) -> String {
        self.database.as_ref().map(|d| d.settings.url.clone()).unwrap_or_default()
    }

    /// Stops the server and drops the database.
    pub async fn stop(mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(server) = self.server.take() {
            let _ = server.await;
        }
        self.db.clone().close().await.ok();
        if let Some(database) = self.database.take() {
            database.drop_database().await;
        }
    }
}

/// Runs `body` against `app`, then stops the server and drops its database whether
/// the body passed or panicked.
pub async fn run_then_clean_up(app: TestApp, body: impl AsyncFnOnce(&TestApp)) {
    use futures_util::FutureExt;
    let outcome = std::panic::AssertUnwindSafe(body(&app)).catch_unwind().await;
    app.stop().await;
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
}

/// Runs an async test body once on SQLite and once on PostgreSQL, each in its own test.
#[macro_export]
macro_rules! on_both_databases {
    ($(#[$meta:meta])* async fn $name:ident($app:ident) $body:block) => {
        $crate::on_both_databases_started_by!(spawn, $(#[$meta])* async fn $name($app) $body);
    };
}

/// Like [`on_both_databases!`], with the server sending its mail to the SMTP catcher
/// ([`TestApp::mail`]); skipped with a message where aiosmtpd is missing outside CI.
#[macro_export]
macro_rules! on_both_databases_with_mail {
    ($(#[$meta:meta])* async fn $name:ident($app:ident) $body:block) => {
        $crate::on_both_databases_started_by!(spawn_with_mail, $(#[$meta])* async fn $name($app) $body);
    };
}

/// The two tests of the macros above, each starting its server with `TestApp::$spawn`,
/// which says `None` only when what the test needs is missing outside CI (and fails
/// under `CI=true`).
#[macro_export]
macro_rules! on_both_databases_started_by {
    ($spawn:ident, $(#[$meta:meta])* async fn $name:ident($app:ident) $body:block) => {
        $(#[$meta])*
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            use $crate::support::{Backend, TestApp, run_then_clean_up};

            async fn run($app: &TestApp) $body

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                if let Some(app) = TestApp::$spawn(Backend::Sqlite).await {
                    run_then_clean_up(app, run).await;
                }
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if let Some(app) = TestApp::$spawn(Backend::Postgres).await {
                    run_then_clean_up(app, run).await;
                }
            }
        }
    };
}

impl TestApp {
    /// Adds the demo data set with `threads` threads.
    pub async fn seed_demo(&self, threads: usize) {
        lkn_api::service::seed::demo::seed_demo(&self.db, threads).await.expect("Failed to seed the demo data");
    }

    /// Creates a member of `partner_slug` with `role` and returns their API token.
    pub async fn member_token(&self, partner_slug: &str, role: lkn_entity::vocabulary::MemberRole) -> String {
        self.member(partner_slug, role).await.token
    }

    /// Creates a member of `partner_slug` with `role`, with an e-mail address of their
    /// own, and returns them with their API token.
    pub async fn member(&self, partner_slug: &str, role: lkn_entity::vocabulary::MemberRole) -> TestMember {
        let email = format!("{}-{:08x}@{partner_slug}.test", format!("{role:?}").to_lowercase(), rand::random::<u32>());
        let new = lkn_api::service::access::NewMember {
            partner_slug: partner_slug.to_owned(),
            email: email.clone(),
            display_name: format!("Test {role:?} at {partner_slug}"),
            role,
        };
        let viewer = lkn_api::service::viewer::Viewer::Anonymous;
        let context = lkn_api::service::write::WriteContext::new(&viewer);
        let (member, access) = lkn_api::service::access::add_member(
            &self.db,
            &context,
            lkn_api::service::access::Authority::Operator,
            new,
        )
        .await
        .expect("Failed to add a member");
        TestMember { id: member.id, email, token: access.into_token().expect("the operator gets a token") }
    }
}

/// A member made for a test.
pub struct TestMember {
    /// Their database id.
    pub id: i64,
    /// Their e-mail address, unique to the test.
    pub email: String,
    /// Their API token.
    pub token: String,
}
