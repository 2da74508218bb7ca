//! Knowledge-exchange threads, their replies and their tags.

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
                    .table("threads")
                    .if_not_exists()
                    .col(big_pk_auto("id"))
                    .col(string_len("kind", 32))
                    .col(string_len("title", 200))
                    .col(text("body"))
                    .col(string_len("language", 32))
                    .col(string_len("status", 32))
                    .col(string_len("visibility", 32))
                    .col(big_integer("author_id"))
                    .col(big_integer("partner_id"))
                    .col(big_integer_null("accepted_reply_id"))
                    .col(integer("reply_count").default(0))
                    .col(integer("endorsement_count").default(0))
                    .col(integer("endorsing_partner_count").default(0))
                    .col(integer("version").default(1))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .col(timestamp_with_time_zone("last_activity_at"))
                    .col(timestamp_with_time_zone_null("first_reply_at"))
                    .foreign_key(&mut foreign_key("threads", "author_id", "members"))
                    .foreign_key(&mut foreign_key("threads", "partner_id", "partners"))
                    .to_owned(),
            )
            .await?;
        for columns in [
            &["visibility", "id"][..],
            &["last_activity_at", "id"],
            &["endorsement_count", "id"],
            &["reply_count", "id"],
            &["partner_id", "id"],
            &["author_id", "id"],
            &["kind", "id"],
            &["status", "id"],
            &["language", "id"],
        ] {
            manager.create_index(index("threads", columns)).await?;
        }
        manager
            .create_table(
                Table::create()
                    .table("replies")
                    .if_not_exists()
                    .col(big_pk_auto("id"))
                    .col(big_integer("thread_id"))
                    .col(big_integer("author_id"))
                    .col(text("body"))
                    .col(boolean("is_accepted").default(false))
                    .col(timestamp_with_time_zone("created_at"))
                    .foreign_key(&mut foreign_key("replies", "thread_id", "threads"))
                    .foreign_key(&mut foreign_key("replies", "author_id", "members"))
                    .to_owned(),
            )
            .await?;
        manager.create_index(index("replies", &["thread_id", "id"])).await?;
        manager.create_index(index("replies", &["author_id"])).await?;
        manager
            .create_table(
                Table::create()
                    .table("tags")
                    .if_not_exists()
                    .col(big_pk_auto("id"))
                    .col(string_len_uniq("name", 40))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("thread_tags")
                    .if_not_exists()
                    .col(big_integer("thread_id"))
                    .col(big_integer("tag_id"))
                    .primary_key(Index::create().col("thread_id").col("tag_id"))
                    .foreign_key(&mut foreign_key("thread_tags", "thread_id", "threads"))
                    .foreign_key(&mut foreign_key("thread_tags", "tag_id", "tags"))
                    .to_owned(),
            )
            .await?;
        manager.create_index(index("thread_tags", &["tag_id", "thread_id"])).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table("thread_tags").to_owned()).await?;
        manager.drop_table(Table::drop().table("tags").to_owned()).await?;
        manager.drop_table(Table::drop().table("replies").to_owned()).await?;
        manager.drop_table(Table::drop().table("threads").to_owned()).await?;
        Ok(())
    }
}
