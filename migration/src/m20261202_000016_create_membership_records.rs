//! What self-service membership needs: members' profiles and expertise, sessions beside
//! API tokens, invitations, e-mailed sign-in codes, and the durable outbox every e-mail
//! leaves through.
//!
//! Secrets are stored as SHA-256 fingerprints only (codes, tokens). An outbox row is
//! written in the same transaction as the change it reports, so a message exists exactly
//! when its change committed; the sender marks it sent, and its `dedupe_key` keeps a
//! retried write from queueing it twice.

use sea_orm_migration::{prelude::*, schema::*};

use crate::{foreign_key, index};

/// This step.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite alters one column per statement.
        for column in [
            text_null("bio"),
            string_len("languages", 64).default("").to_owned(),
            string_len("preferred_language", 8).default("EN").to_owned(),
            timestamp_with_time_zone_null("erased_at"),
        ] {
            manager.alter_table(Table::alter().table("members").add_column(column).to_owned()).await?;
        }
        manager
            .create_table(
                Table::create()
                    .table("member_expertise")
                    .if_not_exists()
                    .col(big_integer("member_id"))
                    .col(string_len("tag", 64))
                    .col(timestamp_with_time_zone("created_at"))
                    .primary_key(Index::create().col("member_id").col("tag"))
                    .foreign_key(&mut foreign_key("member_expertise", "member_id", "members"))
                    .to_owned(),
            )
            .await?;
        manager.create_index(index("member_expertise", &["tag"])).await?;

        for column in [string_len("kind", 16).default("API").to_owned(), timestamp_with_time_zone_null("expires_at")] {
            manager.alter_table(Table::alter().table("api_tokens").add_column(column).to_owned()).await?;
        }

        manager
            .create_table(
                Table::create()
                    .table("invitations")
                    .if_not_exists()
                    .col(big_pk_auto("id"))
                    .col(big_integer("partner_id"))
                    .col(string_len("email", 320))
                    .col(string_len("display_name", 120))
                    .col(string_len("role", 32))
                    .col(string_len("language", 8))
                    .col(string_len_uniq("code_hash", 64))
                    .col(big_integer_null("invited_by_id"))
                    .col(timestamp_with_time_zone("expires_at"))
                    .col(integer("failed_attempts").default(0))
                    .col(timestamp_with_time_zone_null("accepted_at"))
                    .col(big_integer_null("accepted_member_id"))
                    .col(timestamp_with_time_zone_null("withdrawn_at"))
                    .col(timestamp_with_time_zone("created_at"))
                    .foreign_key(&mut foreign_key("invitations", "partner_id", "partners"))
                    .to_owned(),
            )
            .await?;
        manager.create_index(index("invitations", &["partner_id", "created_at"])).await?;
        manager.create_index(index("invitations", &["email"])).await?;

        manager
            .create_table(
                Table::create()
                    .table("sign_in_codes")
                    .if_not_exists()
                    .col(big_pk_auto("id"))
                    .col(string_len("email_hash", 64))
                    .col(big_integer_null("member_id"))
                    .col(string_len_uniq("code_hash", 64))
                    .col(timestamp_with_time_zone("expires_at"))
                    .col(integer("failed_attempts").default(0))
                    .col(timestamp_with_time_zone_null("used_at"))
                    .col(timestamp_with_time_zone_null("locked_at"))
                    .col(timestamp_with_time_zone("created_at"))
                    .foreign_key(&mut foreign_key("sign_in_codes", "member_id", "members"))
                    .to_owned(),
            )
            .await?;
        manager.create_index(index("sign_in_codes", &["email_hash", "created_at"])).await?;

        manager
            .create_table(
                Table::create()
                    .table("outbox_messages")
                    .if_not_exists()
                    .col(big_pk_auto("id"))
                    .col(string_len_uniq("dedupe_key", 160))
                    .col(string_len("recipient", 320))
                    .col(big_integer_null("member_id"))
                    .col(string_len("language", 8))
                    .col(text("subject"))
                    .col(text("text_body"))
                    .col(text("html_body"))
                    .col(integer("attempts").default(0))
                    .col(timestamp_with_time_zone("next_attempt_at"))
                    .col(timestamp_with_time_zone_null("claimed_until"))
                    .col(timestamp_with_time_zone_null("sent_at"))
                    .col(timestamp_with_time_zone_null("failed_at"))
                    .col(text_null("last_error"))
                    .col(timestamp_with_time_zone("created_at"))
                    .to_owned(),
            )
            .await?;
        manager.create_index(index("outbox_messages", &["sent_at", "next_attempt_at"])).await?;
        manager.create_index(index("outbox_messages", &["member_id"])).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in ["outbox_messages", "sign_in_codes", "invitations", "member_expertise"] {
            manager.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        for column in ["expires_at", "kind"] {
            manager.alter_table(Table::alter().table("api_tokens").drop_column(column).to_owned()).await?;
        }
        for column in ["erased_at", "preferred_language", "languages", "bio"] {
            manager.alter_table(Table::alter().table("members").drop_column(column).to_owned()).await?;
        }
        Ok(())
    }
}
