//! What the Discord bot keeps in the API rather than in its own process: which Discord
//! message mirrors which LKN object, and each Discord user's language.
//!
//! Keeping them here is what lets a restarted bot, or a second bot process, carry on
//! without posting anything twice.

use sea_orm_migration::{prelude::*, schema::*};

/// This step.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("discord_mirrors")
                    .if_not_exists()
                    .col(string_len("mirror_key", 120).primary_key())
                    .col(string_len_null("channel_id", 20))
                    .col(string_len_null("message_id", 20))
                    .col(timestamp_with_time_zone("claimed_at"))
                    .col(timestamp_with_time_zone_null("completed_at"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_discord_mirrors_channel_id")
                    .table("discord_mirrors")
                    .col("channel_id")
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_discord_mirrors_message_id")
                    .table("discord_mirrors")
                    .col("message_id")
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("discord_preferences")
                    .if_not_exists()
                    .col(string_len("discord_user_id", 20).primary_key())
                    .col(string_len("language", 32))
                    .col(timestamp_with_time_zone("updated_at"))
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table("discord_preferences").to_owned()).await?;
        manager.drop_table(Table::drop().table("discord_mirrors").to_owned()).await?;
        Ok(())
    }
}
