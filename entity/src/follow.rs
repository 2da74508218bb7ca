//! A member following a thread to hear of its replies.

use sea_orm::entity::prelude::*;

/// One row of `follows`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "follows")]
pub struct Model {
    /// The followed thread.
    #[sea_orm(primary_key, auto_increment = false)]
    pub thread_id: i64,
    /// The follower.
    #[sea_orm(primary_key, auto_increment = false)]
    pub member_id: i64,
    /// When they started following.
    pub created_at: DateTimeUtc,
}

/// Relations are resolved by the API's loaders, not by the entity.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
