//! A partner's place in a collaboration: its role and whether it has been accepted.

use sea_orm::entity::prelude::*;

use crate::vocabulary::*;

/// One row of `collaboration_participants`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "collaboration_participants")]
pub struct Model {
    /// The collaboration.
    #[sea_orm(primary_key, auto_increment = false)]
    pub collaboration_id: i64,
    /// The participating partner.
    #[sea_orm(primary_key, auto_increment = false)]
    pub partner_id: i64,
    /// Lead, partner or supporter.
    pub role: ParticipantRole,
    /// Requested, accepted or declined.
    pub join_status: JoinStatus,
    /// The coordinator who asked to join.
    pub requested_by_id: Option<i64>,
    /// When the request was made.
    pub requested_at: DateTimeUtc,
    /// When the lead partner decided.
    pub decided_at: Option<DateTimeUtc>,
}

/// Relations are resolved by the API's loaders, not by the entity.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
