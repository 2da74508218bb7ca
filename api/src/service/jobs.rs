//! Durable jobs: work a change calls for, done after it commits, exactly once in effect,
//! whichever process does it. Modelled on Graphile Worker's table design; see
//! `docs/notifications.md` for why not the `graphile_worker` crate itself.
//!
//! - A job is written with [`enqueue`] inside the transaction of the change that calls for
//!   it, so it exists exactly when the change committed. Its key is unique (`INSERT … ON
//!   CONFLICT DO NOTHING`): a retried write, or every process's scheduler naming the same
//!   digest slot, makes one job.
//! - Workers take jobs with [`claim`]: one statement that marks a batch as held until a
//!   lease runs out — `FOR UPDATE SKIP LOCKED` on PostgreSQL, so several processes take
//!   disjoint batches without waiting on each other; SQLite has a single writer, so the
//!   statement alone is enough there. A worker that dies holding a job loses it to
//!   another once the lease runs out.
//! - A worker runs a job's effects and [`complete`] in one transaction: a job is done
//!   exactly when its effects committed, and a worker that lost its lease finds the job
//!   done by someone else and rolls back. [`fail`] schedules the next attempt with
//!   backoff, or gives the job up after its `max_attempts`, with the error kept for
//!   administrators (`failedDeliveries`).

use chrono::{DateTime, Duration, Utc};
use lkn_entity::job;
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, ExprTrait, FromQueryResult, PaginatorTrait, QueryFilter, Set,
    Statement,
};
use serde::Serialize;

use crate::error::Result;
use crate::events::Event;
use crate::service::write::Write;

/// How often a job is tried before it is given up, unless it says otherwise.
pub const DEFAULT_MAX_ATTEMPTS: i32 = 10;

/// A job to write.
#[derive(Debug, Clone)]
pub struct NewJob {
    /// What to do.
    pub task: &'static str,
    /// Makes it unique; `None` for a job that may be written any number of times.
    pub key: Option<String>,
    /// The task's input.
    pub payload: serde_json::Value,
    /// The member it is for, if one.
    pub member_id: Option<i64>,
    /// Not before this moment.
    pub run_at: DateTime<Utc>,
    /// Attempts before it is given up.
    pub max_attempts: i32,
}

impl NewJob {
    /// A job for `task` with `payload`, due at once, tried [`DEFAULT_MAX_ATTEMPTS`] times.
    pub fn new(task: &'static str, payload: impl Serialize, now: DateTime<Utc>) -> Self {
        Self {
            task,
            key: None,
            payload: serde_json::to_value(payload).unwrap_or_default(),
            member_id: None,
            run_at: now,
            max_attempts: DEFAULT_MAX_ATTEMPTS,
        }
    }

    /// Made at most once under `key`.
    pub fn keyed(self, key: impl Into<String>) -> Self {
        Self { key: Some(key.into()), ..self }
    }

    /// For `member_id`.
    pub fn for_member(self, member_id: i64) -> Self {
        Self { member_id: Some(member_id), ..self }
    }

    /// Given up after `attempts`.
    pub fn attempts(self, attempts: i32) -> Self {
        Self { max_attempts: attempts, ..self }
    }
}

/// Writes `job` as part of `write`; workers are woken when the write commits. False when
/// a job with its key already exists.
pub async fn enqueue(write: &Write<'_>, job: NewJob) -> Result<bool> {
    let created = insert(&**write, job, write.now()).await?;
    if created {
        write.stage(Event::JobQueued).await?;
    }
    Ok(created)
}

/// Writes `job` outside any write (the scheduler's slots); false when its key exists.
pub async fn insert(db: &impl ConnectionTrait, job: NewJob, now: DateTime<Utc>) -> Result<bool> {
    let row = job::ActiveModel {
        task: Set(job.task.to_owned()),
        job_key: Set(job.key),
        payload: Set(job.payload.to_string()),
        member_id: Set(job.member_id),
        run_at: Set(job.run_at),
        attempts: Set(0),
        max_attempts: Set(job.max_attempts),
        locked_until: Set(None),
        locked_by: Set(None),
        last_error: Set(None),
        completed_at: Set(None),
        failed_at: Set(None),
        created_at: Set(now),
        ..Default::default()
    };
    let inserted = job::Entity::insert(row)
        .on_conflict(OnConflict::column(job::Column::JobKey).do_nothing().to_owned())
        .exec_without_returning(db)
        .await?;
    Ok(inserted == 1)
}

/// Whether a job with `key` exists (done, given up or waiting).
pub async fn exists(db: &impl ConnectionTrait, key: &str) -> Result<bool> {
    Ok(job::Entity::find().filter(job::Column::JobKey.eq(key)).one(db).await?.is_some())
}

/// Takes up to `limit` due jobs of `tasks` for `worker`, holding them for `lease`; each
/// comes back with its attempt counted. Jobs held by a live lease, finished or given up
/// are never taken.
pub async fn claim(
    db: &impl ConnectionTrait,
    tasks: &[&str],
    worker: &str,
    limit: u64,
    lease: Duration,
    now: DateTime<Utc>,
) -> Result<Vec<job::Model>> {
    if tasks.is_empty() || limit == 0 {
        return Ok(Vec::new());
    }
    let backend = db.get_database_backend();
    let postgres = backend == DbBackend::Postgres;
    let placeholder = |n: usize| if postgres { format!("${n}") } else { "?".to_owned() };
    let mut values: Vec<sea_orm::Value> = vec![(now + lease).into(), worker.to_owned().into(), now.into(), now.into()];
    let task_list: Vec<String> = tasks
        .iter()
        .map(|task| {
            values.push((*task).to_owned().into());
            placeholder(values.len())
        })
        .collect();
    values.push((limit as i64).into());
    let sql = format!(
        "UPDATE jobs SET locked_until = {lease}, locked_by = {worker}, attempts = attempts + 1 \
         WHERE id IN (SELECT id FROM jobs \
           WHERE completed_at IS NULL AND failed_at IS NULL AND run_at <= {now} \
             AND (locked_until IS NULL OR locked_until < {now2}) AND task IN ({tasks}) \
           ORDER BY run_at, id LIMIT {limit}{skip_locked}) \
         RETURNING *",
        lease = placeholder(1),
        worker = placeholder(2),
        now = placeholder(3),
        now2 = placeholder(4),
        tasks = task_list.join(", "),
        limit = placeholder(values.len()),
        skip_locked = if postgres { " FOR UPDATE SKIP LOCKED" } else { "" },
    );
    let rows = db.query_all_raw(Statement::from_sql_and_values(backend, sql, values)).await?;
    let mut jobs =
        rows.iter().map(|row| job::Model::from_query_result(row, "")).collect::<std::result::Result<Vec<_>, _>>()?;
    jobs.sort_by_key(|job| (job.run_at, job.id));
    Ok(jobs)
}

/// Marks `job` done by `worker`, in the transaction of its effects. False when the worker
/// no longer holds it (its lease ran out and another finished it): the caller must then
/// roll its effects back.
pub async fn complete(db: &impl ConnectionTrait, job: &job::Model, now: DateTime<Utc>) -> Result<bool> {
    let updated = job::Entity::update_many()
        .col_expr(job::Column::CompletedAt, Expr::value(now))
        .col_expr(job::Column::LockedUntil, Expr::value(Option::<DateTime<Utc>>::None))
        .col_expr(job::Column::LastError, Expr::value(Option::<String>::None))
        .filter(job::Column::Id.eq(job.id))
        .filter(job::Column::CompletedAt.is_null())
        .filter(job::Column::FailedAt.is_null())
        .filter(job::Column::LockedBy.eq(job.locked_by.clone()))
        .filter(job::Column::Attempts.eq(job.attempts))
        .exec(db)
        .await?;
    Ok(updated.rows_affected == 1)
}

/// Marks the job with `key` done without running it, saying why (a digest slot that
/// began before the service was installed).
pub async fn skip(db: &impl ConnectionTrait, key: &str, reason: &str, now: DateTime<Utc>) -> Result<()> {
    job::Entity::update_many()
        .col_expr(job::Column::CompletedAt, Expr::value(now))
        .col_expr(job::Column::LastError, Expr::value(reason.to_owned()))
        .filter(job::Column::JobKey.eq(key))
        .filter(job::Column::CompletedAt.is_null())
        .exec(db)
        .await?;
    Ok(())
}

/// The wait before the attempt after `attempts`: 5 s, doubling, at most an hour.
pub fn backoff(attempts: i32) -> Duration {
    let exponent = attempts.clamp(1, 12) - 1;
    Duration::seconds(std::cmp::min(5_i64 << exponent, 3_600))
}

/// Records a failed attempt at `job`: tried again at `retry_at` (or after [`backoff`]),
/// or given up when `permanent` or out of attempts.
pub async fn fail(
    db: &impl ConnectionTrait,
    job: &job::Model,
    error: &str,
    permanent: bool,
    retry_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Result<()> {
    let give_up = permanent || job.attempts >= job.max_attempts;
    let mut update = job::Entity::update_many()
        .col_expr(job::Column::LockedUntil, Expr::value(Option::<DateTime<Utc>>::None))
        .col_expr(job::Column::LastError, Expr::value(error.chars().take(500).collect::<String>()))
        .col_expr(job::Column::RunAt, Expr::value(retry_at.unwrap_or(now + backoff(job.attempts))));
    if give_up {
        update = update.col_expr(job::Column::FailedAt, Expr::value(now));
    }
    update
        .filter(job::Column::Id.eq(job.id))
        .filter(job::Column::CompletedAt.is_null())
        .filter(job::Column::LockedBy.eq(job.locked_by.clone()))
        .filter(job::Column::Attempts.eq(job.attempts))
        .exec(db)
        .await?;
    Ok(())
}

/// Puts `job` back without counting the attempt against it (it was never tried: Discord
/// asked the bot to wait), to run at `retry_at`.
pub async fn postpone(db: &impl ConnectionTrait, job: &job::Model, retry_at: DateTime<Utc>) -> Result<()> {
    job::Entity::update_many()
        .col_expr(job::Column::LockedUntil, Expr::value(Option::<DateTime<Utc>>::None))
        .col_expr(job::Column::RunAt, Expr::value(retry_at))
        .col_expr(job::Column::Attempts, Expr::col(job::Column::Attempts).sub(1))
        .filter(job::Column::Id.eq(job.id))
        .filter(job::Column::CompletedAt.is_null())
        .filter(job::Column::Attempts.eq(job.attempts))
        .exec(db)
        .await?;
    Ok(())
}

/// The job `id`, if it exists.
pub async fn find(db: &impl ConnectionTrait, id: i64) -> Result<Option<job::Model>> {
    Ok(job::Entity::find_by_id(id).one(db).await?)
}

/// The state of the queues at one moment, for `/metrics`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Backlog {
    /// Per task: jobs not yet done, and jobs given up.
    pub jobs: Vec<(String, i64, i64)>,
    /// E-mails not yet sent, and e-mails given up.
    pub mail: (i64, i64),
    /// Seconds the oldest job that is due has waited (0 when none).
    pub oldest_due_seconds: i64,
}

/// Counts what waits and what was given up, in three grouped statements.
pub async fn backlog(db: &impl ConnectionTrait, now: DateTime<Utc>) -> Result<Backlog> {
    use sea_orm::{QueryOrder, QuerySelect};
    let waiting = Expr::col(job::Column::CompletedAt).is_null().and(Expr::col(job::Column::FailedAt).is_null());
    let counted: Vec<(String, i64, i64)> = job::Entity::find()
        .select_only()
        .column(job::Column::Task)
        .column_as(Expr::case(waiting, 1).finally(0).sum(), "waiting")
        .column_as(Expr::case(Expr::col(job::Column::FailedAt).is_not_null(), 1).finally(0).sum(), "failed")
        .group_by(job::Column::Task)
        .order_by_asc(job::Column::Task)
        .into_tuple()
        .all(db)
        .await?;
    let oldest: Option<DateTime<Utc>> = job::Entity::find()
        .select_only()
        .column(job::Column::RunAt)
        .filter(job::Column::CompletedAt.is_null())
        .filter(job::Column::FailedAt.is_null())
        .filter(job::Column::RunAt.lte(now))
        .order_by_asc(job::Column::RunAt)
        .into_tuple()
        .one(db)
        .await?;
    use lkn_entity::outbox_message;
    let mail_waiting = outbox_message::Entity::find()
        .filter(outbox_message::Column::SentAt.is_null())
        .filter(outbox_message::Column::FailedAt.is_null())
        .count(db)
        .await? as i64;
    let mail_failed =
        outbox_message::Entity::find().filter(outbox_message::Column::FailedAt.is_not_null()).count(db).await? as i64;
    Ok(Backlog {
        jobs: counted,
        mail: (mail_waiting, mail_failed),
        oldest_due_seconds: oldest.map(|at| std::cmp::max((now - at).num_seconds(), 0)).unwrap_or(0),
    })
}

#[cfg(test)]
mod tests {
    use super::backoff;

    #[test]
    fn retries_back_off_from_five_seconds_to_an_hour() {
        assert_eq!(backoff(1).num_seconds(), 5);
        assert_eq!(backoff(2).num_seconds(), 10);
        assert_eq!(backoff(5).num_seconds(), 80);
        assert_eq!(backoff(12).num_seconds(), 3_600);
        assert_eq!(backoff(99).num_seconds(), 3_600);
    }
}
