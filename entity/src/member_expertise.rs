//! A topic a member says they know about: one of the signals "who knows about X?" ranks by.

use sea_orm::entity::prelude::*;

/// One row of `member_expertise`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "member_expertise")]
pub struct Model {
    /// The member.
    #[sea_orm(primary_key, auto_increment = false)]
    pub member_id: i64,
    /// The topic, in the same normalised form as thread tags.
    #[sea_orm(primary_key, auto_increment = false)]
    pub tag: String,
    /// When they declared it.
    pub created_at: DateTimeUtc,
}

/// Relations are resolved by the API's loaders, not by the entity.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
