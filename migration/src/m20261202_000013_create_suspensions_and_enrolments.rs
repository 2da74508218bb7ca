//! Suspension of members, and enrolment codes.
//!
//! A suspended member keeps their account, threads and Discord link, but nothing they
//! hold works until they are restored: tokens, open sockets and the bot acting for them
//! are all refused. An enrolment code is what a coordinator or administrator receives
//! when they set up access for someone else: only the member it names can redeem it for
//! a token, so whoever issues access never holds the other person's secret.

use sea_orm_migration::{prelude::*, schema::*};

use crate::{foreign_key, index};

/// This step.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter().table("members").add_column(timestamp_with_time_zone_null("suspended_at")).to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("enrolment_codes")
                    .if_not_exists()
                    .col(big_pk_auto("id"))
                    .col(big_integer("member_id"))
                    .col(big_integer_null("issued_by_id"))
                    .col(string_len_uniq("code_hash", 64))
                    .col(timestamp_with_time_zone("expires_at"))
                    .col(timestamp_with_time_zone_null("used_at"))
                    .col(timestamp_with_time_zone("created_at"))
                    .foreign_key(&mut foreign_key("enrolment_codes", "member_id", "members"))
                    .to_owned(),
            )
            .await?;
        manager.create_index(index("enrolment_codes", &["member_id"])).await?;
        // Each process looks for newly cut access twice a second.
        manager.create_index(index("api_tokens", &["revoked_at"])).await?;
        manager.create_index(index("members", &["suspended_at"])).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_index(Index::drop().name("ix_members_suspended_at").table("members").to_owned()).await?;
        manager.drop_index(Index::drop().name("ix_api_tokens_revoked_at").table("api_tokens").to_owned()).await?;
        manager.drop_table(Table::drop().table("enrolment_codes").to_owned()).await?;
        manager.alter_table(Table::alter().table("members").drop_column("suspended_at").to_owned()).await?;
        Ok(())
    }
}
