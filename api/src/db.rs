//! Opening the database: SQLite (the embedded default) or PostgreSQL (production).
//!
//! SQLite runs in WAL mode with foreign keys on and a busy timeout, so readers never
//! block the writer and a short lock is waited out instead of failing. Pools acquire
//! with a short timeout, so an unreachable database becomes a fast, typed error rather
//! than a hung request.
//!
//! Migrating and seeding take a PostgreSQL advisory lock, because sea-orm-migration
//! takes none: processes started together on one empty database would otherwise
//! collide creating the same tables and types.

use std::time::Duration;

use lkn_migration::{Migrator, MigratorTrait};
use sea_orm::sqlx::Connection;
use sea_orm::sqlx::postgres::PgConnection;
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{ConnectOptions, Database, DatabaseConnection, DbBackend, DbErr, RuntimeErr};

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

/// The advisory lock key that serialises migrations and seeding ("LKN_MIGR" in ASCII),
/// the same in every lkn-api process.
const MIGRATION_LOCK_KEY: i64 = 0x4C4B_4E5F_4D49_4752;

/// Exclusive right to migrate and seed a PostgreSQL database, held by a session-level
/// advisory lock on a connection of its own (outside the pool, so that a pool of one
/// connection can still migrate). Should the process die while holding it, PostgreSQL
/// ends the session and frees the lock; dropping it without [`Self::release`] closes the
/// connection, which frees it too. On SQLite there is nothing to take: the file's own
/// write lock serialises writers, and one process serves it.
pub struct MigrationLock(Option<PgConnection>);

impl MigrationLock {
    /// Waits until no other process is migrating `db`, then holds the lock.
    pub async fn acquire(db: &DatabaseConnection, settings: &DatabaseSettings) -> Result<Self, DbErr> {
        if db.get_database_backend() != DbBackend::Postgres {
            return Ok(Self(None));
        }
        let mut connection = PgConnection::connect(&settings.url).await.map_err(conn_err)?;
        tracing::debug!("waiting for the migration lock");
        sea_orm::sqlx::query("SELECT pg_advisory_lock($1)")
            .bind(MIGRATION_LOCK_KEY)
            .execute(&mut connection)
            .await
            .map_err(exec_err)?;
        Ok(Self(Some(connection)))
    }

    /// Lets the next process migrate.
    pub async fn release(self) -> Result<(), DbErr> {
        if let Some(mut connection) = self.0 {
            sea_orm::sqlx::query("SELECT pg_advisory_unlock($1)")
                .bind(MIGRATION_LOCK_KEY)
                .execute(&mut connection)
                .await
                .map_err(exec_err)?;
            connection.close().await.map_err(conn_err)?;
        }
        Ok(())
    }
}

fn conn_err(error: sea_orm::sqlx::Error) -> DbErr {
    DbErr::Conn(RuntimeErr::SqlxError(error.into()))
}

fn exec_err(error: sea_orm::sqlx::Error) -> DbErr {
    DbErr::Exec(RuntimeErr::SqlxError(error.into()))
}
