//! Partners and the network-level figures reported for them.

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
                    .table("partners")
                    .if_not_exists()
                    .col(big_pk_auto("id"))
                    .col(string_len_uniq("slug", 100))
                    .col(string_len("name", 200))
                    .col(string_len("kind", 32))
                    .col(string_len("nation", 32))
                    .col(string_len("area", 200))
                    .col(string_len_null("website", 500))
                    .col(big_integer_null("audience_reach"))
                    .col(string_len_null("audience_source", 500))
                    .col(timestamp_with_time_zone("created_at"))
                    .to_owned(),
            )
            .await?;
        manager.create_index(index("partners", &["nation", "name"])).await?;
        manager.create_index(index("partners", &["name"])).await?;
        manager
            .create_table(
                Table::create()
                    .table("network_figures")
                    .if_not_exists()
                    .col(big_pk_auto("id"))
                    .col(string_len_uniq("key", 100))
                    .col(big_integer("value"))
                    .col(string_len("source", 500))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table("network_figures").to_owned()).await?;
        manager.drop_table(Table::drop().table("partners").to_owned()).await?;
        Ok(())
    }
}
