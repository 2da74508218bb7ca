//! Notifications and the durable jobs that deliver them.
//!
//! `jobs` is one table of work to do after a commit, modelled on Graphile Worker: a job is
//! written in the transaction of the change that calls for it, claimed by one worker at a
//! time (`FOR UPDATE SKIP LOCKED` on PostgreSQL; SQLite has one writer), retried with
//! backoff and given up after `max_attempts`. A job's `job_key` is unique, so scheduled
//! work (a digest for one slot) and fan-out for one change exist at most once; finished
//! jobs are kept a while (`completed_at`) so their keys keep answering "done".
//!
//! `notifications` are what members are told, one row per member and source; the unique
//! (member, source) pair makes fan-out safe to repeat. `notification_preferences` holds
//! only the choices a member changed; absent rows mean the defaults. `unsubscribe_links`
//! keeps fingerprints of the one-click links e-mails carry.

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
                    .table("jobs")
                    .if_not_exists()
                    .col(big_pk_auto("id"))
                    .col(string_len("task", 64))
                    .col(string_len_null("job_key", 200).unique_key())
                    .col(text("payload"))
                    .col(big_integer_null("member_id"))
                    .col(timestamp_with_time_zone("run_at"))
                    .col(integer("attempts").default(0))
                    .col(integer("max_attempts"))
                    .col(timestamp_with_time_zone_null("locked_until"))
                    .col(string_len_null("locked_by", 64))
                    .col(text_null("last_error"))
                    .col(timestamp_with_time_zone_null("completed_at"))
                    .col(timestamp_with_time_zone_null("failed_at"))
                    .col(timestamp_with_time_zone("created_at"))
                    .to_owned(),
            )
            .await?;
        manager.create_index(index("jobs", &["task", "completed_at", "failed_at", "run_at"])).await?;
        manager.create_index(index("jobs", &["member_id"])).await?;

        manager
            .create_table(
                Table::create()
                    .table("notifications")
                    .if_not_exists()
                    .col(big_pk_auto("id"))
                    .col(big_integer("member_id"))
                    .col(string_len("kind", 32))
                    .col(string_len("what", 32))
                    .col(string_len("source_key", 100))
                    .col(big_integer_null("thread_id"))
                    .col(big_integer_null("reply_id"))
                    .col(big_integer_null("collaboration_id"))
                    .col(big_integer_null("actor_id"))
                    .col(big_integer_null("partner_id"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone_null("read_at"))
                    .foreign_key(&mut foreign_key("notifications", "member_id", "members"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_notifications_member_id_source_key")
                    .table("notifications")
                    .col("member_id")
                    .col("source_key")
                    .unique()
                    .if_not_exists()
                    .to_owned(),
            )
            .await?;
        manager.create_index(index("notifications", &["member_id", "read_at"])).await?;
        manager.create_index(index("notifications", &["created_at"])).await?;

        manager
            .create_table(
                Table::create()
                    .table("notification_preferences")
                    .if_not_exists()
                    .col(big_integer("member_id"))
                    .col(string_len("kind", 32))
                    .col(string_len("email", 16))
                    .col(string_len("discord", 16))
                    .col(timestamp_with_time_zone("updated_at"))
                    .primary_key(Index::create().col("member_id").col("kind"))
                    .foreign_key(&mut foreign_key("notification_preferences", "member_id", "members"))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("unsubscribe_links")
                    .if_not_exists()
                    .col(big_pk_auto("id"))
                    .col(string_len_uniq("fingerprint", 64))
                    .col(big_integer("member_id"))
                    .col(string_len("scope", 32))
                    .col(timestamp_with_time_zone("created_at"))
                    .foreign_key(&mut foreign_key("unsubscribe_links", "member_id", "members"))
                    .to_owned(),
            )
            .await?;

        manager
            .alter_table(Table::alter().table("outbox_messages").add_column(text_null("unsubscribe_url")).to_owned())
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table("members")
                    .add_column(timestamp_with_time_zone_null("discord_dms_closed_at"))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.alter_table(Table::alter().table("members").drop_column("discord_dms_closed_at").to_owned()).await?;
        manager.alter_table(Table::alter().table("outbox_messages").drop_column("unsubscribe_url").to_owned()).await?;
        for table in ["unsubscribe_links", "notification_preferences", "notifications", "jobs"] {
            manager.drop_table(Table::drop().table(table).if_exists().to_owned()).await?;
        }
        Ok(())
    }
}
