//! Work to do after a commit: fan a change out into notifications, send a digest, deliver
//! a direct message. Written in the transaction of the change that calls for it, claimed
//! by one worker at a time, retried with backoff, given up after `max_attempts`.

use sea_orm::entity::prelude::*;

/// One row of `jobs`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "jobs")]
pub struct Model {
    /// Surrogate key; increases with time.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// What to do (`notify`, `digest`, `digest.member`, `deadlines`, `discord.dm`).
    pub task: String,
    /// Makes the job unique: a second job with the key is not created while this row exists.
    #[sea_orm(unique)]
    pub job_key: Option<String>,
    /// The task's input, as JSON.
    #[sea_orm(column_type = "Text")]
    pub payload: String,
    /// The member the job is for, if one (so erasing them finds it).
    pub member_id: Option<i64>,
    /// Not before this moment.
    pub run_at: DateTimeUtc,
    /// Attempts so far.
    pub attempts: i32,
    /// Attempts after which the job is given up.
    pub max_attempts: i32,
    /// Held by a worker until then; taken over by another after it, if not finished.
    pub locked_until: Option<DateTimeUtc>,
    /// Which worker holds it.
    pub locked_by: Option<String>,
    /// Why the last attempt failed.
    #[sea_orm(column_type = "Text", nullable)]
    pub last_error: Option<String>,
    /// When it finished.
    pub completed_at: Option<DateTimeUtc>,
    /// When it was given up.
    pub failed_at: Option<DateTimeUtc>,
    /// When it was written.
    pub created_at: DateTimeUtc,
}

/// Relations are resolved by the API's loaders, not by the entity.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
