//! Requests to join a partner from Discord (`/join`): someone who is not yet a member
//! asks, and a coordinator of that partner (or an administrator) approves or declines.
//!
//! `pending_key` is `<partner id>:<Discord user id>` while a request is pending and null
//! once it is decided: its unique index keeps one pending request per person and partner
//! on every backend (several nulls never collide), so a retried `/join` finds the first.
//!
//! A Discord link code e-mailed because someone typed `/link email:` works only for the
//! Discord account that asked: `discord_link_codes.for_discord_user_id` names it.

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
                    .table("membership_requests")
                    .if_not_exists()
                    .col(big_pk_auto("id"))
                    .col(big_integer("partner_id"))
                    .col(string_len("discord_user_id", 32))
                    .col(string_len("display_name", 200))
                    .col(string_len("email", 320))
                    .col(string_len("status", 32).default("PENDING"))
                    .col(string_len_null("pending_key", 64).unique_key())
                    .col(big_integer_null("decided_by_id"))
                    .col(big_integer_null("member_id"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone_null("decided_at"))
                    .foreign_key(&mut foreign_key("membership_requests", "partner_id", "partners"))
                    .to_owned(),
            )
            .await?;
        manager.create_index(index("membership_requests", &["partner_id", "created_at"])).await?;
        manager.create_index(index("membership_requests", &["discord_user_id"])).await?;
        manager
            .alter_table(
                Table::alter()
                    .table("discord_link_codes")
                    .add_column(string_len_null("for_discord_user_id", 32))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(Table::alter().table("discord_link_codes").drop_column("for_discord_user_id").to_owned())
            .await?;
        manager.drop_table(Table::drop().table("membership_requests").if_exists().to_owned()).await
    }
}
