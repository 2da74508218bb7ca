//! Each Discord user's interface language. Discord has no Welsh locale, so the bot keeps
//! the choice made with `/language`, linked or not.

use sea_orm::entity::prelude::*;

use crate::vocabulary::Language;

/// One row of `discord_preferences`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "discord_preferences")]
pub struct Model {
    /// The Discord user's id (a snowflake).
    #[sea_orm(primary_key, auto_increment = false)]
    pub discord_user_id: String,
    /// The language the bot speaks to them.
    pub language: Language,
    /// When they last chose.
    pub updated_at: DateTimeUtc,
}

/// No relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
