//! Full-text search indexes of threads (title, body, tags, replies) and collaborations
//! (title, summary): FTS5 tables on SQLite, `tsvector` documents with GIN indexes on
//! PostgreSQL. The API keeps them current inside each write's transaction; this step
//! also indexes whatever the database already holds.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

use crate::search;

/// This step.
#[derive(DeriveMigrationName)]
pub struct Migration;

/// Statements that create the indexes on SQLite.
const SQLITE_UP: &[&str] = &[
    "CREATE VIRTUAL TABLE IF NOT EXISTS thread_search USING fts5(title, body, tags, replies, tokenize = 'porter unicode61 remove_diacritics 2')",
    "CREATE VIRTUAL TABLE IF NOT EXISTS collaboration_search USING fts5(title, summary, tokenize = 'porter unicode61 remove_diacritics 2')",
];

/// Statements that create the indexes on PostgreSQL.
const POSTGRES_UP: &[&str] = &[
    "CREATE TABLE IF NOT EXISTS thread_search (thread_id BIGINT PRIMARY KEY REFERENCES threads(id) ON DELETE CASCADE, document TSVECTOR NOT NULL)",
    "CREATE INDEX IF NOT EXISTS ix_thread_search_document ON thread_search USING GIN (document)",
    "CREATE TABLE IF NOT EXISTS collaboration_search (collaboration_id BIGINT PRIMARY KEY REFERENCES collaborations(id) ON DELETE CASCADE, document TSVECTOR NOT NULL)",
    "CREATE INDEX IF NOT EXISTS ix_collaboration_search_document ON collaboration_search USING GIN (document)",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let backend = manager.get_database_backend();
        let (create, fill) = match backend {
            DbBackend::Postgres => (
                POSTGRES_UP,
                [
                    format!("INSERT INTO thread_search(thread_id, document) {}", search::POSTGRES_THREAD_ROWS),
                    format!(
                        "INSERT INTO collaboration_search(collaboration_id, document) {}",
                        search::POSTGRES_COLLABORATION_ROWS
                    ),
                ],
            ),
            _ => (
                SQLITE_UP,
                [
                    format!(
                        "INSERT INTO thread_search(rowid, title, body, tags, replies) {}",
                        search::SQLITE_THREAD_ROWS
                    ),
                    format!(
                        "INSERT INTO collaboration_search(rowid, title, summary) {}",
                        search::SQLITE_COLLABORATION_ROWS
                    ),
                ],
            ),
        };
        let connection = manager.get_connection();
        for statement in create {
            connection.execute_unprepared(statement).await?;
        }
        for statement in fill {
            connection.execute_unprepared(&statement).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in ["collaboration_search", "thread_search"] {
            manager.get_connection().execute_unprepared(&format!("DROP TABLE IF EXISTS {table}")).await?;
        }
        Ok(())
    }
}
