//! A reply in a thread; at most one per thread is accepted as the answer.

use sea_orm::entity::prelude::*;

/// One row of `replies`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "replies")]
pub struct Model {
    /// Surrogate key; increases with time.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The thread replied to.
    pub thread_id: i64,
    /// Who wrote it.
    pub author_id: i64,
    /// Markdown body.
    #[sea_orm(column_type = "Text")]
    pub body: String,
    /// Whether it was accepted as the answer.
    pub is_accepted: bool,
    /// When it was posted.
    pub created_at: DateTimeUtc,
}

/// Relations are resolved by the API's loaders, not by the entity.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
