//! Keeps the size of the thread feed in a row, so that `totalCount` on the unfiltered
//! feed — asked by every page of it — is a key lookup instead of a count of every thread.
//!
//! Triggers maintain the counts in the same transaction as the change, whatever code
//! path writes (the API, `seed demo`, an operator's SQL), so they are never stale:
//! `threads` counts every thread, `threads:public` the public ones. On PostgreSQL the
//! triggers run once per statement over its transition table, so a bulk load adds one
//! update per statement, not one per row.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

/// This step.
#[derive(DeriveMigrationName)]
pub struct Migration;

const POSTGRES_UP: &str = r#"
CREATE TABLE list_counts (name varchar(40) PRIMARY KEY, count bigint NOT NULL);
INSERT INTO list_counts (name, count)
    SELECT 'threads', count(*) FROM threads
    UNION ALL SELECT 'threads:public', count(*) FROM threads WHERE visibility = 'PUBLIC';

CREATE FUNCTION lkn_count_threads() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        UPDATE list_counts SET count = count + (SELECT count(*) FROM changed_new) WHERE name = 'threads';
        UPDATE list_counts SET count = count + (SELECT count(*) FROM changed_new WHERE visibility = 'PUBLIC')
            WHERE name = 'threads:public';
    ELSIF TG_OP = 'DELETE' THEN
        UPDATE list_counts SET count = count - (SELECT count(*) FROM changed_old) WHERE name = 'threads';
        UPDATE list_counts SET count = count - (SELECT count(*) FROM changed_old WHERE visibility = 'PUBLIC')
            WHERE name = 'threads:public';
    ELSE
        UPDATE list_counts SET count = count
            + (SELECT count(*) FROM changed_new WHERE visibility = 'PUBLIC')
            - (SELECT count(*) FROM changed_old WHERE visibility = 'PUBLIC')
            WHERE name = 'threads:public';
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER threads_counted_insert AFTER INSERT ON threads
    REFERENCING NEW TABLE AS changed_new FOR EACH STATEMENT EXECUTE FUNCTION lkn_count_threads();
CREATE TRIGGER threads_counted_delete AFTER DELETE ON threads
    REFERENCING OLD TABLE AS changed_old FOR EACH STATEMENT EXECUTE FUNCTION lkn_count_threads();
CREATE TRIGGER threads_counted_update AFTER UPDATE ON threads
    REFERENCING OLD TABLE AS changed_old NEW TABLE AS changed_new FOR EACH STATEMENT EXECUTE FUNCTION lkn_count_threads();
"#;

const POSTGRES_DOWN: &str = r#"
DROP TRIGGER IF EXISTS threads_counted_update ON threads;
DROP TRIGGER IF EXISTS threads_counted_delete ON threads;
DROP TRIGGER IF EXISTS threads_counted_insert ON threads;
DROP FUNCTION IF EXISTS lkn_count_threads();
DROP TABLE IF EXISTS list_counts;
"#;

const SQLITE_UP: &[&str] = &[
    "CREATE TABLE list_counts (name varchar(40) PRIMARY KEY, count bigint NOT NULL)",
    "INSERT INTO list_counts (name, count) \
     SELECT 'threads', count(*) FROM threads \
     UNION ALL SELECT 'threads:public', count(*) FROM threads WHERE visibility = 'PUBLIC'",
    "CREATE TRIGGER threads_counted_insert AFTER INSERT ON threads BEGIN \
     UPDATE list_counts SET count = count + 1 WHERE name = 'threads'; \
     UPDATE list_counts SET count = count + 1 WHERE name = 'threads:public' AND NEW.visibility = 'PUBLIC'; \
     END",
    "CREATE TRIGGER threads_counted_delete AFTER DELETE ON threads BEGIN \
     UPDATE list_counts SET count = count - 1 WHERE name = 'threads'; \
     UPDATE list_counts SET count = count - 1 WHERE name = 'threads:public' AND OLD.visibility = 'PUBLIC'; \
     END",
    "CREATE TRIGGER threads_counted_update AFTER UPDATE OF visibility ON threads \
     WHEN NEW.visibility IS NOT OLD.visibility BEGIN \
     UPDATE list_counts SET count = count + (CASE WHEN NEW.visibility = 'PUBLIC' THEN 1 ELSE -1 END) \
     WHERE name = 'threads:public'; \
     END",
];

const SQLITE_DOWN: &[&str] = &[
    "DROP TRIGGER IF EXISTS threads_counted_update",
    "DROP TRIGGER IF EXISTS threads_counted_delete",
    "DROP TRIGGER IF EXISTS threads_counted_insert",
    "DROP TABLE IF EXISTS list_counts",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        run(manager, POSTGRES_UP, SQLITE_UP).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        run(manager, POSTGRES_DOWN, SQLITE_DOWN).await
    }
}

async fn run(manager: &SchemaManager<'_>, postgres: &str, sqlite: &[&str]) -> Result<(), DbErr> {
    let connection = manager.get_connection();
    if manager.get_database_backend() == DbBackend::Postgres {
        connection.execute_unprepared(postgres).await?;
    } else {
        for statement in sqlite {
            connection.execute_unprepared(statement).await?;
        }
    }
    Ok(())
}
