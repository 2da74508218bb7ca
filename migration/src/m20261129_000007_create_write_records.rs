//! Idempotency keys and the audit trail that every write leaves.

use sea_orm_migration::{prelude::*, schema::*};

use crate::{foreign_key, index};

/// This step.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("idempotency_keys")
                    .if_not_exists()
                    .col(big_integer("member_id"))
                    .col(string_len("key", 200))
                    .col(string_len("operation", 64))
                    .col(string_len("request_hash", 64))
                    .col(big_integer("result_id"))
                    .col(timestamp_with_time_zone("created_at"))
                    .primary_key(Index::create().col("member_id").col("key"))
                    .foreign_key(&mut foreign_key("idempotency_keys", "member_id", "members"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("audit_events")
                    .if_not_exists()
                    .col(big_pk_auto("id"))
                    .col(big_integer_null("actor_id"))
                    .col(big_integer_null("on_behalf_of_id"))
                    .col(string_len("action", 64))
                    .col(string_len("subject_type", 64))
                    .col(big_integer("subject_id"))
                    .col(string_len_null("request_id", 64))
                    .col(text("detail"))
                    .col(timestamp_with_time_zone("created_at"))
                    .to_owned(),
            )
            .await?;
        manager.create_index(index("audit_events", &["subject_type", "subject_id"])).await?;
        manager.create_index(index("audit_events", &["actor_id", "id"])).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table("audit_events").to_owned()).await?;
        manager.drop_table(Table::drop().table("idempotency_keys").to_owned()).await?;
        Ok(())
    }
}
