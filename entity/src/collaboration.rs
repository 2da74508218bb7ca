//! A proposal that partners do something together, and its progress.

use sea_orm::entity::prelude::*;

use crate::vocabulary::*;

/// One row of `collaborations`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "collaborations")]
pub struct Model {
    /// Surrogate key; increases with time.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// Programme, activity, exhibition, ...
    pub kind: CollaborationKind,
    /// One line, 1-200 characters.
    pub title: String,
    /// What is proposed, in Markdown.
    #[sea_orm(column_type = "Text")]
    pub summary: String,
    /// Where it is in its workflow.
    pub status: CollaborationStatus,
    /// Network-only or public.
    pub visibility: Visibility,
    /// The partner that leads it.
    pub lead_partner_id: i64,
    /// The coordinator who proposed it.
    pub proposed_by_id: i64,
    /// The idea thread it grew from.
    pub origin_thread_id: Option<i64>,
    /// First day of the activity.
    pub starts_on: Option<Date>,
    /// Last day of the activity.
    pub ends_on: Option<Date>,
    /// When a funding bid is due.
    pub bid_deadline: Option<Date>,
    /// Who is asked for the money.
    pub funder: Option<String>,
    /// Budget in pence, to keep money exact.
    pub budget_pence: Option<i64>,
    /// Bumped by every change; a change naming an older version is refused.
    pub version: i32,
    /// When it was proposed.
    pub created_at: DateTimeUtc,
    /// When it last changed.
    pub updated_at: DateTimeUtc,
}

/// Relations are resolved by the API's loaders, not by the entity.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
