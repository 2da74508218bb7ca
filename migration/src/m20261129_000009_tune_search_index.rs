//! Makes PostgreSQL full-text lookups cheaper; nothing changes on SQLite.
//!
//! - Public threads' documents get [`crate::search::POSTGRES_PUBLIC_LEXEME`], so that a
//!   search for someone outside the network keeps to public threads inside the GIN index
//!   instead of looking up the thread of every match.
//! - A GIN index buffers new entries in a pending list (4 MB by default) that every search
//!   reads in full until VACUUM, or an insert that overflows it, merges it into the index.
//!   After a bulk load without autovacuum, each index scan paid milliseconds for it. A
//!   128 kB limit keeps that read short at little cost to writes (a bulk load merges more
//!   often). This step also merges what is pending now.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

use crate::search::POSTGRES_PUBLIC_LEXEME;

/// This step.
#[derive(DeriveMigrationName)]
pub struct Migration;

/// The GIN indexes of the search documents.
const INDEXES: &[&str] = &["ix_thread_search_document", "ix_collaboration_search_document"];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != DbBackend::Postgres {
            return Ok(());
        }
        let connection = manager.get_connection();
        for index in INDEXES {
            connection.execute_unprepared(&format!("ALTER INDEX {index} SET (gin_pending_list_limit = 128)")).await?;
        }
        // Adding a lexeme a document already has leaves it unchanged.
        connection
            .execute_unprepared(&format!(
                "UPDATE thread_search s SET document = s.document || array_to_tsvector(ARRAY['{POSTGRES_PUBLIC_LEXEME}']) \
                 FROM threads t WHERE t.id = s.thread_id AND t.visibility = 'PUBLIC'"
            ))
            .await?;
        for index in INDEXES {
            connection.execute_unprepared(&format!("SELECT gin_clean_pending_list('{index}'::regclass)")).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != DbBackend::Postgres {
            return Ok(());
        }
        let connection = manager.get_connection();
        connection
            .execute_unprepared(&format!(
                "UPDATE thread_search SET document = ts_delete(document, '{POSTGRES_PUBLIC_LEXEME}'::text)"
            ))
            .await?;
        for index in INDEXES {
            connection.execute_unprepared(&format!("ALTER INDEX {index} RESET (gin_pending_list_limit)")).await?;
        }
        Ok(())
    }
}
