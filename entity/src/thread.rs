//! A knowledge-exchange thread: a question, an idea or a shared resource.

use sea_orm::entity::prelude::*;

use crate::vocabulary::*;

/// One row of `threads`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "threads")]
pub struct Model {
    /// Surrogate key; increases with time.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// Question, idea or resource.
    pub kind: ThreadKind,
    /// One line, 1-200 characters.
    pub title: String,
    /// The title folded for matching regardless of case in any script
    /// (`lkn_migration::folding::fold`), written with every title: what `titleContains`
    /// searches, because neither database folds beyond ASCII reliably.
    #[sea_orm(column_type = "Text")]
    pub title_folded: String,
    /// Markdown body.
    #[sea_orm(column_type = "Text")]
    pub body: String,
    /// The language it is written in.
    pub language: Language,
    /// Open, answered or closed.
    pub status: ThreadStatus,
    /// Network-only or public.
    pub visibility: Visibility,
    /// Who posted it.
    pub author_id: i64,
    /// The author's partner when it was posted.
    pub partner_id: i64,
    /// The reply accepted as the answer.
    pub accepted_reply_id: Option<i64>,
    /// Replies so far, kept with each reply so feeds need no count query.
    pub reply_count: i32,
    /// Members who endorse it.
    pub endorsement_count: i32,
    /// Distinct partners whose members endorse it.
    pub endorsing_partner_count: i32,
    /// Bumped by every edit; an edit naming an older version is refused.
    pub version: i32,
    /// When it was posted.
    pub created_at: DateTimeUtc,
    /// When its content or status last changed.
    pub updated_at: DateTimeUtc,
    /// When it was posted or last replied to: the recently-active order.
    pub last_activity_at: DateTimeUtc,
    /// When the first reply arrived: how fast questions get answered.
    pub first_reply_at: Option<DateTimeUtc>,
}

/// Relations are resolved by the API's loaders, not by the entity.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
