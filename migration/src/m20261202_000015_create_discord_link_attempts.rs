//! Failed Discord link attempts, so that guessing link codes is limited per Discord user
//! across every lkn-api process sharing the database; and the indexes that let the
//! housekeeping task find expired link codes, old attempts and old idempotency keys
//! without reading whole tables.

use sea_orm_migration::{prelude::*, schema::*};

use crate::index;

/// This step.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("discord_link_attempts")
                    .if_not_exists()
                    .col(big_pk_auto("id"))
                    .col(string_len("discord_user_id", 32))
                    .col(timestamp_with_time_zone("attempted_at"))
                    .to_owned(),
            )
            .await?;
        manager.create_index(index("discord_link_attempts", &["discord_user_id", "attempted_at"])).await?;
        manager.create_index(index("discord_link_attempts", &["attempted_at"])).await?;
        manager.create_index(index("discord_link_codes", &["expires_at"])).await?;
        manager.create_index(index("idempotency_keys", &["created_at"])).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(Index::drop().name("ix_idempotency_keys_created_at").table("idempotency_keys").to_owned())
            .await?;
        manager
            .drop_index(Index::drop().name("ix_discord_link_codes_expires_at").table("discord_link_codes").to_owned())
            .await?;
        manager.drop_table(Table::drop().table("discord_link_attempts").to_owned()).await
    }
}
