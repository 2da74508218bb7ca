//! Attempts to link a Discord account with a code, kept for a short window so that a
//! Discord user who keeps guessing is refused for a while.

use sea_orm::entity::prelude::*;

/// One row of `discord_link_attempts`: an attempt under way or one that failed.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "discord_link_attempts")]
pub struct Model {
    /// Surrogate key.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The Discord user the bot said typed the code.
    pub discord_user_id: String,
    /// When the attempt was made.
    pub attempted_at: DateTimeUtc,
}

/// Relations are resolved by the API's loaders, not by the entity.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
