//! Collaborations, their participating partners and their recorded outcomes.

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
                    .table("collaborations")
                    .if_not_exists()
                    .col(big_pk_auto("id"))
                    .col(string_len("kind", 32))
                    .col(string_len("title", 200))
                    .col(text("summary"))
                    .col(string_len("status", 32))
                    .col(string_len("visibility", 32))
                    .col(big_integer("lead_partner_id"))
                    .col(big_integer("proposed_by_id"))
                    .col(big_integer_null("origin_thread_id"))
                    .col(date_null("starts_on"))
                    .col(date_null("ends_on"))
                    .col(date_null("bid_deadline"))
                    .col(string_len_null("funder", 200))
                    .col(big_integer_null("budget_pence"))
                    .col(integer("version").default(1))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .foreign_key(&mut foreign_key("collaborations", "lead_partner_id", "partners"))
                    .foreign_key(&mut foreign_key("collaborations", "proposed_by_id", "members"))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_collaborations_origin_thread_id")
                            .from("collaborations", "origin_thread_id")
                            .to("threads", "id")
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        for columns in [
            &["visibility", "id"][..],
            &["status", "id"],
            &["kind", "id"],
            &["lead_partner_id", "id"],
            &["origin_thread_id"],
        ] {
            manager.create_index(index("collaborations", columns)).await?;
        }
        manager
            .create_table(
                Table::create()
                    .table("collaboration_participants")
                    .if_not_exists()
                    .col(big_integer("collaboration_id"))
                    .col(big_integer("partner_id"))
                    .col(string_len("role", 32))
                    .col(string_len("join_status", 32))
                    .col(big_integer_null("requested_by_id"))
                    .col(timestamp_with_time_zone("requested_at"))
                    .col(timestamp_with_time_zone_null("decided_at"))
                    .primary_key(Index::create().col("collaboration_id").col("partner_id"))
                    .foreign_key(&mut foreign_key("collaboration_participants", "collaboration_id", "collaborations"))
                    .foreign_key(&mut foreign_key("collaboration_participants", "partner_id", "partners"))
                    .to_owned(),
            )
            .await?;
        manager.create_index(index("collaboration_participants", &["partner_id", "collaboration_id"])).await?;
        manager
            .create_table(
                Table::create()
                    .table("collaboration_outcomes")
                    .if_not_exists()
                    .col(big_pk_auto("id"))
                    .col(big_integer("collaboration_id"))
                    .col(big_integer("partner_id"))
                    .col(big_integer("recorded_by_id"))
                    .col(date("occurred_on"))
                    .col(big_integer_null("attendance"))
                    .col(boolean("attendance_estimated").default(false))
                    .col(big_integer_null("reach"))
                    .col(text("note"))
                    .col(timestamp_with_time_zone("created_at"))
                    .foreign_key(&mut foreign_key("collaboration_outcomes", "collaboration_id", "collaborations"))
                    .foreign_key(&mut foreign_key("collaboration_outcomes", "partner_id", "partners"))
                    .foreign_key(&mut foreign_key("collaboration_outcomes", "recorded_by_id", "members"))
                    .to_owned(),
            )
            .await?;
        manager.create_index(index("collaboration_outcomes", &["collaboration_id", "id"])).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table("collaboration_outcomes").to_owned()).await?;
        manager.drop_table(Table::drop().table("collaboration_participants").to_owned()).await?;
        manager.drop_table(Table::drop().table("collaborations").to_owned()).await?;
        Ok(())
    }
}
