//! Start-up in one place: [`Application::build`] prepares the database, binds the
//! listeners and wires the state; [`Application::run_until_stopped`] serves until told to
//! stop, then drains within the grace period. `lkn-api serve` and the end-to-end tests
//! start the server through these same two calls.

use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use sea_orm::{DatabaseConnection, DbErr};
use tokio::net::TcpListener;

use crate::config::ServeArgs;
use crate::db::{self, DatabaseSettings};
use crate::edge::EdgeSettings;
use crate::http::AppState;
use crate::mail::MailSettings;
use crate::mail::delivery::Delivery;
use crate::service::housekeeping;
use crate::service::seed::founders::seed_founders;
use crate::worker::WorkerSettings;

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    /// The database could not be opened, migrated or seeded.
    #[error("database: {0}")]
    Database(#[from] DbErr),
    /// A listening socket could not be bound.
    #[error("i/o: {0}")]
    Io(#[from] std::io::Error),
    /// The mail settings cannot be used.
    #[error("{0}")]
    Mail(#[from] crate::mail::delivery::SettingsError),
}

/// Everything one server needs to start.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Where the database is, and the pool's size and acquire timeout.
    pub database: DatabaseSettings,
    /// Where the API listens; port 0 picks a free port (tests bind `127.0.0.1:0`).
    pub bind: SocketAddr,
    /// Where `/metrics` listens when it has a listener of its own; `edge` then leaves it
    /// off the main one (`separate_metrics_listener`).
    pub metrics_bind: Option<SocketAddr>,
    /// What every door enforces.
    pub edge: EdgeSettings,
    /// How long in-flight requests get to finish once the shutdown signal comes, before
    /// the remaining connections are cut.
    pub shutdown_grace: Duration,
    /// How often expired link codes, old link attempts and idempotency keys are purged;
    /// never when `None`.
    pub purge_interval: Option<Duration>,
    /// Where outgoing mail goes, from whom, and the public address its links point to.
    pub mail: MailSettings,
    /// The digest schedule and how long a process holds a job or message.
    pub worker: WorkerSettings,
}

impl Settings {
    /// The settings `lkn-api serve` runs with: its flags applied to `database`.
    pub fn from_serve_args(mut database: DatabaseSettings, args: &ServeArgs) -> Self {
        database.max_connections = args.db_max_connections;
        database.acquire_timeout = Duration::from_secs(args.db_acquire_timeout_secs);
        Self {
            database,
            bind: args.bind,
            metrics_bind: args.metrics_bind,
            edge: args.edge(),
            shutdown_grace: Duration::from_secs(args.shutdown_grace_secs),
            purge_interval: (args.purge_interval_secs > 0).then(|| Duration::from_secs(args.purge_interval_secs)),
            mail: MailSettings::from_serve_args(args),
            worker: args.worker(),
        }
    }
}

/// Connects, migrates and seeds the founding partners: what [`Application::build`] does
/// before it binds, what the CLI's commands do before they act, and what tests do to get
/// a ready database. On PostgreSQL, several processes may do this at once on one
/// database: they take turns (see [`db::MigrationLock`]).
pub async fn prepare_database(settings: &DatabaseSettings) -> Result<DatabaseConnection, DbErr> {
    let connection = db::connect(settings).await?;
    let lock = db::MigrationLock::acquire(&connection, settings).await?;
    db::migrate(&connection).await?;
    seed_founders(&connection, chrono::Utc::now())
        .await
        .map_err(|e| DbErr::Custom(format!("seeding partners failed: {e}")))?;
    lock.release().await?;
    Ok(connection)
}

/// A server that is bound and wired but not yet serving: its addresses are known, so a
/// test (or an operator's log) can use them before the first request.
pub struct Application {
    listener: TcpListener,
    address: SocketAddr,
    metrics_listener: Option<(TcpListener, SocketAddr)>,
    state: AppState,
    db: DatabaseConnection,
    shutdown_grace: Duration,
    purge_interval: Option<Duration>,
}

impl Application {
    /// Prepares the database, binds the listener (and the metrics listener, when it has
    /// its own address) and builds the state the handlers share.
    pub async fn build(settings: Settings) -> Result<Self, StartupError> {
        let db = prepare_database(&settings.database).await?;
        let listener = TcpListener::bind(settings.bind).await?;
        let address = listener.local_addr()?;
        tracing::info!(%address, "serving the Living Knowledge Network API");
        let metrics_listener = match settings.metrics_bind {
            Some(address) => {
                let listener = TcpListener::bind(address).await?;
                let address = listener.local_addr()?;
                tracing::info!(%address, "serving /metrics");
                Some((listener, address))
            }
            None => None,
        };
        let delivery = Delivery::from_settings(&settings.mail)?;
        let state = AppState::serving(db.clone(), settings.edge, settings.mail.links(address));
        let lease = chrono::Duration::seconds(settings.worker.lease_seconds);
        crate::mail::sender::spawn(db.clone(), &state.events, delivery, settings.mail.from.clone(), lease);
        crate::worker::spawn(db.clone(), &state.events, settings.mail.links(address), settings.worker);
        Ok(Self {
            listener,
            address,
            metrics_listener,
            state,
            db,
            shutdown_grace: settings.shutdown_grace,
            purge_interval: settings.purge_interval,
        })
    }

    /// The address the API listens on, with the port the system chose for port 0.
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// The address `/metrics` listens on, when it has a listener of its own.
    pub fn metrics_address(&self) -> Option<SocketAddr> {
        self.metrics_listener.as_ref().map(|(_, address)| *address)
    }

    /// Where the server announces committed writes to its subscribers: for writing through
    /// the service layer beside the server, as the CLI does, and being heard.
    pub fn events(&self) -> std::sync::Arc<crate::events::EventBus> {
        self.state.events.clone()
    }

    /// A handle on the server's pool whose statements the metrics do not count: for
    /// arranging data and checking what was stored, as the process's own housekeeping does.
    pub fn db(&self) -> &DatabaseConnection {
        &self.db
    }

    /// Serves until `shutdown` completes. One signal stops every listener; in-flight
    /// requests then get the grace period to finish, after which the rest are cut.
    pub async fn run_until_stopped(self, shutdown: impl Future<Output = ()> + Send + 'static) -> std::io::Result<()> {
        let Self { listener, metrics_listener, state, db, shutdown_grace, purge_interval, .. } = self;
        let purging = purge_interval.map(|every| housekeeping::spawn(db, every));
        let (stop, stopped) = tokio::sync::watch::channel(false);
        tokio::spawn(async move {
            shutdown.await;
            stop.send_replace(true);
        });
        let signalled = move || {
            let mut stopped = stopped.clone();
            async move {
                let _ = stopped.wait_for(|stop| *stop).await;
            }
        };
        let servers = async {
            let main = crate::http::serve(listener, state.clone(), signalled());
            match metrics_listener {
                Some((metrics, _)) => {
                    let (main, metrics) = tokio::join!(main, crate::http::serve_metrics(metrics, state, signalled()));
                    main.and(metrics)
                }
                None => main.await,
            }
        };
        let grace_over = {
            let signal = signalled();
            async move {
                signal.await;
                tokio::time::sleep(shutdown_grace).await;
            }
        };
        let served = tokio::select! {
            result = servers => result,
            () = grace_over => {
                tracing::warn!(seconds = shutdown_grace.as_secs(), "grace period over; closing the remaining connections");
                Ok(())
            }
        };
        if let Some(purging) = purging {
            purging.abort();
        }
        served?;
        tracing::info!("stopped");
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serve_flags_size_the_pool_and_a_zero_purge_interval_turns_purging_off() {
        let args = ServeArgs {
            db_max_connections: 4,
            db_acquire_timeout_secs: 7,
            shutdown_grace_secs: 3,
            purge_interval_secs: 0,
            ..ServeArgs::default()
        };
        let settings = Settings::from_serve_args(DatabaseSettings::new("sqlite::memory:"), &args);
        assert_eq!(settings.database.max_connections, 4);
        assert_eq!(settings.database.acquire_timeout, Duration::from_secs(7));
        assert_eq!(settings.shutdown_grace, Duration::from_secs(3));
        assert_eq!(settings.purge_interval, None);
        let hourly = Settings::from_serve_args(DatabaseSettings::new("sqlite::memory:"), &ServeArgs::default());
        assert_eq!(hourly.purge_interval, Some(Duration::from_secs(3600)));
    }

    #[test]
    fn a_metrics_address_takes_metrics_off_the_main_listener() {
        let args = ServeArgs { metrics_bind: Some(SocketAddr::from(([127, 0, 0, 1], 9100))), ..ServeArgs::default() };
        let settings = Settings::from_serve_args(DatabaseSettings::new("sqlite::memory:"), &args);
        assert_eq!(settings.metrics_bind, args.metrics_bind);
        assert!(settings.edge.separate_metrics_listener);
    }
}
