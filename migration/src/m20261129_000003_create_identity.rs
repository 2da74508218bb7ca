//! API tokens and Discord link codes: how members prove who they are.

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
                    .table("api_tokens")
                    .if_not_exists()
                    .col(big_pk_auto("id"))
                    .col(big_integer("member_id"))
                    .col(string_len("display_prefix", 32))
                    .col(string_len_uniq("token_hash", 64))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone_null("last_used_at"))
                    .col(timestamp_with_time_zone_null("revoked_at"))
                    .foreign_key(&mut foreign_key("api_tokens", "member_id", "members"))
                    .to_owned(),
            )
            .await?;
        manager.create_index(index("api_tokens", &["member_id"])).await?;
        manager
            .create_table(
                Table::create()
                    .table("discord_link_codes")
                    .if_not_exists()
                    .col(big_pk_auto("id"))
                    .col(big_integer("member_id"))
                    .col(string_len_uniq("code_hash", 64))
                    .col(timestamp_with_time_zone("expires_at"))
                    .col(timestamp_with_time_zone_null("used_at"))
                    .col(timestamp_with_time_zone("created_at"))
                    .foreign_key(&mut foreign_key("discord_link_codes", "member_id", "members"))
                    .to_owned(),
            )
            .await?;
        manager.create_index(index("discord_link_codes", &["member_id"])).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table("discord_link_codes").to_owned()).await?;
        manager.drop_table(Table::drop().table("api_tokens").to_owned()).await?;
        Ok(())
    }
}
