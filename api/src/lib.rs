//! `lkn-api`: the Living Knowledge Network's GraphQL API over sea-orm.
//!
//! The binary only parses its configuration and calls into this library; tests call the
//! same functions ([`http::app`], [`http::serve`], [`db::connect`]) against real
//! databases on loopback ports.

pub mod cli;
pub mod config;
pub mod db;
pub mod edge;
pub mod error;
pub mod events;
pub mod explorer;
pub mod graphql;
pub mod http;
pub mod metrics;
pub mod rate_limit;
pub mod request_id;
pub mod service;
pub mod serving;
pub mod telemetry;
pub mod ws;

pub use http::{AppState, app, serve};

/// Connects, migrates and seeds the founding partners: what `serve` does before it
/// listens, and what tests do to get a ready database. On PostgreSQL, several processes
/// may do this at once on one database: they take turns (see [`db::MigrationLock`]).
pub async fn prepare_database(settings: &db::DatabaseSettings) -> Result<sea_orm::DatabaseConnection, sea_orm::DbErr> {
    let connection = db::connect(settings).await?;
    let lock = db::MigrationLock::acquire(&connection, settings).await?;
    db::migrate(&connection).await?;
    service::partners::seed_founders(&connection, chrono::Utc::now())
        .await
        .map_err(|e| sea_orm::DbErr::Custom(format!("seeding partners failed: {e}")))?;
    lock.release().await?;
    Ok(connection)
}

/// The schema as sorted SDL, as `lkn-api schema` prints it and `api/schema.graphql` keeps it.
pub fn schema_sdl() -> String {
    use async_graphql::SDLExportOptions;
    let schema = async_graphql::Schema::build(
        graphql::QueryRoot::default(),
        graphql::MutationRoot::default(),
        graphql::subscriptions::SubscriptionRoot,
    )
    .finish();
    schema.sdl_with_options(SDLExportOptions::new().sorted_fields().sorted_arguments().sorted_enum_items())
}
