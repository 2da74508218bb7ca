//! Opening the database: SQLite (the embedded default) or PostgreSQL (production).
//!
//! SQLite runs in WAL mode with foreign keys on and a busy timeout, so readers never
//! block the writer and a short lock is waited out instead of failing. Pools acquire
//! with a short timeout, so an unreachable database becomes a fast, typed error rather
//! than a hung request.

use std::time::Duration;

use lkn_migration::{Migrator, MigratorTrait};
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{ConnectOptions, Database, DatabaseConnection, DbErr};

/// How to reach the database.
#[derive(Debug, Clone)]
pub struct DatabaseSettings {
    /// `sqlite:path`, `sqlite::memory:` or `postgres://…`.
    pub url: String,
    /// Most connections in the pool.
    pub max_connections: u32,
    /// How long a request waits for a connection before failing.
    pub acquire_timeout: Duration,
}

impl DatabaseSettings {
    /// Settings for `url` with the defaults the server uses.
    pub fn new(url: impl Into<String>) -> Self {
        Self { url: url.into(), max_connections: 16, acquire_timeout: Duration::from_secs(2) }
    }
}

/// Opens a pool on the database, creating a SQLite file if it is absent.
pub async fn connect(settings: &DatabaseSettings) -> Result<DatabaseConnection, DbErr> {
    let mut options = ConnectOptions::new(settings.url.clone());
    let in_memory = settings.url.contains(":memory:") || settings.url.contains("mode=memory");
    options
        .max_connections(if in_memory { 1 } else { settings.max_connections })
        .min_connections(1)
        .acquire_timeout(settings.acquire_timeout)
        .connect_timeout(settings.acquire_timeout)
        .sqlx_logging(false)
        .test_before_acquire(false)
        .map_sqlx_sqlite_opts(move |opts| {
            let opts = opts
                .create_if_missing(true)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(5))
                .synchronous(SqliteSynchronous::Normal);
            if in_memory { opts } else { opts.journal_mode(SqliteJournalMode::Wal) }
        });
    Database::connect(options).await
}

/// Applies every pending migration.
pub async fn migrate(db: &DatabaseConnection) -> Result<(), DbErr> {
    Migrator::up(db, None).await
}
