//! Endorsements and follows of threads.

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
                    .table("endorsements")
                    .if_not_exists()
                    .col(big_integer("thread_id"))
                    .col(big_integer("member_id"))
                    .col(big_integer("partner_id"))
                    .col(timestamp_with_time_zone("created_at"))
                    .primary_key(Index::create().col("thread_id").col("member_id"))
                    .foreign_key(&mut foreign_key("endorsements", "thread_id", "threads"))
                    .foreign_key(&mut foreign_key("endorsements", "member_id", "members"))
                    .foreign_key(&mut foreign_key("endorsements", "partner_id", "partners"))
                    .to_owned(),
            )
            .await?;
        manager.create_index(index("endorsements", &["thread_id", "partner_id"])).await?;
        manager
            .create_table(
                Table::create()
                    .table("follows")
                    .if_not_exists()
                    .col(big_integer("thread_id"))
                    .col(big_integer("member_id"))
                    .col(timestamp_with_time_zone("created_at"))
                    .primary_key(Index::create().col("thread_id").col("member_id"))
                    .foreign_key(&mut foreign_key("follows", "thread_id", "threads"))
                    .foreign_key(&mut foreign_key("follows", "member_id", "members"))
                    .to_owned(),
            )
            .await?;
        manager.create_index(index("follows", &["member_id", "thread_id"])).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table("follows").to_owned()).await?;
        manager.drop_table(Table::drop().table("endorsements").to_owned()).await?;
        Ok(())
    }
}
