//! The database schema of the Living Knowledge Network, as ordered migration steps.
//!
//! Each step is one file named `mYYYYMMDD_NNNNNN_<verb>_<table>.rs` and works on SQLite
//! and PostgreSQL alike. `lkn-api migrate` (and `serve`, before it listens) applies the
//! pending ones; tests apply all of them to a fresh database.

pub use sea_orm_migration::prelude::*;

pub mod folding;
pub mod search;

mod m20261129_000001_create_partners;
mod m20261129_000002_create_members;
mod m20261129_000003_create_identity;
mod m20261129_000004_create_threads;
mod m20261129_000005_create_thread_activity;
mod m20261129_000006_create_collaborations;
mod m20261129_000007_create_write_records;
mod m20261129_000008_create_search_index;
mod m20261129_000009_tune_search_index;
mod m20261129_000010_create_discord_records;
mod m20261129_000011_create_list_counts;
mod m20261129_000012_notify_partner_changes;
mod m20261202_000013_create_suspensions_and_enrolments;
mod m20261202_000014_harden_thread_search;
mod m20261202_000015_create_discord_link_attempts;
mod m20261202_000016_create_membership_records;
mod m20261202_000017_create_membership_requests;
mod m20261202_000018_create_notifications;

/// The ordered list of every migration step.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261129_000001_create_partners::Migration),
            Box::new(m20261129_000002_create_members::Migration),
            Box::new(m20261129_000003_create_identity::Migration),
            Box::new(m20261129_000004_create_threads::Migration),
            Box::new(m20261129_000005_create_thread_activity::Migration),
            Box::new(m20261129_000006_create_collaborations::Migration),
            Box::new(m20261129_000007_create_write_records::Migration),
            Box::new(m20261129_000008_create_search_index::Migration),
            Box::new(m20261129_000009_tune_search_index::Migration),
            Box::new(m20261129_000010_create_discord_records::Migration),
            Box::new(m20261129_000011_create_list_counts::Migration),
            Box::new(m20261129_000012_notify_partner_changes::Migration),
            Box::new(m20261202_000013_create_suspensions_and_enrolments::Migration),
            Box::new(m20261202_000014_harden_thread_search::Migration),
            Box::new(m20261202_000015_create_discord_link_attempts::Migration),
            Box::new(m20261202_000016_create_membership_records::Migration),
            Box::new(m20261202_000017_create_membership_requests::Migration),
            Box::new(m20261202_000018_create_notifications::Migration),
        ]
    }
}

/// Builds a `CREATE INDEX IF NOT EXISTS` over `columns` of `table`, named after both.
pub(crate) fn index(table: &str, columns: &[&str]) -> IndexCreateStatement {
    let mut statement = Index::create();
    statement.name(format!("ix_{}_{}", table, columns.join("_"))).table(table.to_owned()).if_not_exists();
    for column in columns {
        statement.col(String::from(*column));
    }
    statement
}

/// A foreign key from `table.column` to `target.id`, named after the pair.
pub(crate) fn foreign_key(table: &str, column: &str, target: &str) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(format!("fk_{table}_{column}"))
        .from(table.to_owned(), Alias::new(column))
        .to(target.to_owned(), "id")
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}
