//! The audit trail: who did what, on whose behalf, when, in which request.

use sea_orm::entity::prelude::*;

/// One row of `audit_events`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "audit_events")]
pub struct Model {
    /// Surrogate key; increases with time.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The member whose token made the request (the bot, when it acts for someone).
    pub actor_id: Option<i64>,
    /// The member the bot acted for, if it did.
    pub on_behalf_of_id: Option<i64>,
    /// What was done (`thread.post`, `collaboration.advance`, ...).
    pub action: String,
    /// The kind of object acted on (`Thread`, `Collaboration`, ...).
    pub subject_type: String,
    /// Its id.
    pub subject_id: i64,
    /// The request id, as in the response header and the logs.
    pub request_id: Option<String>,
    /// A short JSON summary of the change.
    #[sea_orm(column_type = "Text")]
    pub detail: String,
    /// When it was done.
    pub created_at: DateTimeUtc,
}

/// Relations are resolved by the API's loaders, not by the entity.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
