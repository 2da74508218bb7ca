//! Tells every lkn-api process when the partner directory changes, so that each can
//! keep the directory in memory (on PostgreSQL) and read it again at once after any
//! change, whoever makes it: a statement-level trigger on `partners` notifies on the
//! processes' event channel (`lkn_events`), at commit. SQLite has one serving process
//! and no notifications: nothing changes there, and the API reads partners from the
//! database every time.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

/// This step.
#[derive(DeriveMigrationName)]
pub struct Migration;

const UP: &str = r#"
CREATE FUNCTION lkn_partners_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('lkn_events', '{"t":"PartnersChanged"}');
    RETURN NULL;
END
$$;
CREATE TRIGGER partners_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON partners
    FOR EACH STATEMENT EXECUTE FUNCTION lkn_partners_changed();
"#;

const DOWN: &str = r#"
DROP TRIGGER IF EXISTS partners_changed ON partners;
DROP FUNCTION IF EXISTS lkn_partners_changed();
"#;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() == DbBackend::Postgres {
            manager.get_connection().execute_unprepared(UP).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() == DbBackend::Postgres {
            manager.get_connection().execute_unprepared(DOWN).await?;
        }
        Ok(())
    }
}
