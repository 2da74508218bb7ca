//! Waiting on events instead of sleeping for a guessed while.
//!
//! A test that needs something to have happened polls for the fact that marks it, with a
//! deadline and a message that says what never came. A test that needs something NOT to
//! have happened causes a later event that must happen, and checks what came before it:
//! events reach a subscriber (and the bot's mirror) in the order they were published, so
//! the marker arriving proves that nothing unwanted was published ahead of it.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement};

use crate::support::TestApp;

/// How long a wait on a local event may take before the test gives up on it.
pub const PATIENCE: Duration = Duration::from_secs(15);

/// How often a wait looks again.
const POLL: Duration = Duration::from_millis(10);

/// Calls `probe` until it returns `Ok`, for at most `limit`, and returns what it found.
/// The test fails naming `what` with the last `Err` the probe gave (what it saw instead),
/// so a deadline is never mistaken for success.
pub async fn eventually<T>(what: &str, limit: Duration, mut probe: impl AsyncFnMut() -> Result<T, String>) -> T {
    let deadline = Instant::now() + limit;
    loop {
        match probe().await {
            Ok(found) => return found,
            Err(seen) if Instant::now() >= deadline => panic!("{what}: not within {limit:?}; last seen: {seen}"),
            Err(_) => tokio::time::sleep(POLL).await,
        }
    }
}

/// Waits until the lkn-api at `address` serves exactly `count` subscriptions (its
/// `lkn_active_subscriptions` gauge). A subscription is counted once its stream has
/// started, after it took its place on the event bus, so every event published from
/// then on reaches it: this is the moment a test may cause the events it expects.
pub async fn live_subscriptions(address: SocketAddr, count: usize) {
    let http = reqwest::Client::new();
    let url = format!("http://{address}/metrics");
    let expected = format!("lkn_active_subscriptions {count}");
    eventually(&format!("{count} live subscriptions at {address}"), PATIENCE, async || {
        let text = match http.get(&url).send().await {
            Ok(response) => response.text().await.map_err(|error| error.to_string())?,
            Err(error) => return Err(error.to_string()),
        };
        let gauge = text.lines().find(|line| line.starts_with("lkn_active_subscriptions ")).unwrap_or("no gauge");
        if gauge == expected { Ok(()) } else { Err(gauge.to_owned()) }
    })
    .await;
}

/// Waits until `processes` lkn-api processes on `db` listen for events. On PostgreSQL
/// events travel as notifications, delivered only to sessions that ran `LISTEN` before the
/// write committed, and each process starts its listening session in the background; on
/// SQLite events never leave the process, so there is nothing to wait for.
pub async fn listening(db: &DatabaseConnection, processes: i64) {
    if db.get_database_backend() != DbBackend::Postgres {
        return;
    }
    let sessions = "SELECT count(*) AS n FROM pg_stat_activity \
                    WHERE datname = current_database() AND state = 'idle' AND query LIKE 'LISTEN %'";
    eventually(&format!("{processes} processes listening for events"), PATIENCE, async || {
        let row = db.query_one_raw(Statement::from_string(DbBackend::Postgres, sessions)).await;
        let listening = row.map_err(|error| error.to_string())?.and_then(|row| row.try_get::<i64>("", "n").ok());
        match listening {
            Some(n) if n >= processes => Ok(()),
            other => Err(format!("{other:?} listening sessions")),
        }
    })
    .await;
}

/// Waits until `app` hears events and serves exactly `subscriptions` subscriptions: from
/// then on, every event a test causes reaches every one of them.
pub async fn ready_to_hear(app: &TestApp, subscriptions: usize) {
    listening(&app.db, 1).await;
    live_subscriptions(app.address, subscriptions).await;
}
