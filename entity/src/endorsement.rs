//! A member vouching for a thread; counted per member and per partner.

use sea_orm::entity::prelude::*;

/// One row of `endorsements`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "endorsements")]
pub struct Model {
    /// The endorsed thread.
    #[sea_orm(primary_key, auto_increment = false)]
    pub thread_id: i64,
    /// Who endorses it (once per member).
    #[sea_orm(primary_key, auto_increment = false)]
    pub member_id: i64,
    /// The member's partner, kept so partner counts need no join.
    pub partner_id: i64,
    /// When.
    pub created_at: DateTimeUtc,
}

/// Relations are resolved by the API's loaders, not by the entity.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
