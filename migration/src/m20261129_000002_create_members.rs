//! Staff accounts, each at one partner.

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
                    .table("members")
                    .if_not_exists()
                    .col(big_pk_auto("id"))
                    .col(big_integer("partner_id"))
                    .col(string_len_uniq("email", 320))
                    .col(string_len("display_name", 200))
                    .col(string_len("role", 32))
                    .col(string_len_null("discord_user_id", 32).unique_key())
                    .col(timestamp_with_time_zone("created_at"))
                    .foreign_key(&mut foreign_key("members", "partner_id", "partners"))
                    .to_owned(),
            )
            .await?;
        manager.create_index(index("members", &["partner_id", "display_name"])).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table("members").to_owned()).await?;
        Ok(())
    }
}
