//! Remembers the first result of each create, per member and key, so retries create nothing.

use sea_orm::entity::prelude::*;

/// One row of `idempotency_keys`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "idempotency_keys")]
pub struct Model {
    /// The member who sent the key.
    #[sea_orm(primary_key, auto_increment = false)]
    pub member_id: i64,
    /// The client-chosen key (a Discord interaction id, a UUID, ...).
    #[sea_orm(primary_key, auto_increment = false)]
    pub key: String,
    /// The mutation it was sent with.
    pub operation: String,
    /// SHA-256 of the input, to refuse the same key with different input.
    pub request_hash: String,
    /// The id of what the first request created.
    pub result_id: i64,
    /// When it was first used.
    pub created_at: DateTimeUtc,
}

/// Relations are resolved by the API's loaders, not by the entity.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
