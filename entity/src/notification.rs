//! Something a member is told about: a reply on a thread they follow, a request to join a
//! collaboration they lead, a bid deadline coming up.

use sea_orm::entity::prelude::*;

use crate::vocabulary::NotificationKind;

/// One row of `notifications`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "notifications")]
pub struct Model {
    /// Surrogate key; increases with time.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// Who is told.
    pub member_id: i64,
    /// What kind of news it is; preferences are per kind.
    pub kind: NotificationKind,
    /// What happened, within the kind (`REPLIED`, `CLOSED`, `STATUS:ACTIVE`, `DEADLINE:3`, ...).
    pub what: String,
    /// The change it reports (`reply:42`); one notification per member and source.
    pub source_key: String,
    /// The thread concerned.
    pub thread_id: Option<i64>,
    /// The reply concerned.
    pub reply_id: Option<i64>,
    /// The collaboration concerned.
    pub collaboration_id: Option<i64>,
    /// The member who did it.
    pub actor_id: Option<i64>,
    /// The partner that did it or is concerned.
    pub partner_id: Option<i64>,
    /// When it happened.
    pub created_at: DateTimeUtc,
    /// When the member marked it read.
    pub read_at: Option<DateTimeUtc>,
}

/// Relations are resolved by the API's loaders, not by the entity.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
