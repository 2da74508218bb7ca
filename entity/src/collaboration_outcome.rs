//! Evidence of what a collaboration achieved: attendance, reach and notes.

use sea_orm::entity::prelude::*;

/// One row of `collaboration_outcomes`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "collaboration_outcomes")]
pub struct Model {
    /// Surrogate key; increases with time.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The collaboration it is evidence for.
    pub collaboration_id: i64,
    /// The partner reporting it.
    pub partner_id: i64,
    /// The coordinator who recorded it.
    pub recorded_by_id: i64,
    /// The day it happened or was measured.
    pub occurred_on: Date,
    /// People who attended, where counted or estimated.
    pub attendance: Option<i64>,
    /// Whether attendance is an estimate rather than a count.
    pub attendance_estimated: bool,
    /// People reached (online, press, ...), where known.
    pub reach: Option<i64>,
    /// What happened, in the partner's words.
    #[sea_orm(column_type = "Text")]
    pub note: String,
    /// When it was recorded.
    pub created_at: DateTimeUtc,
}

/// Relations are resolved by the API's loaders, not by the entity.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
