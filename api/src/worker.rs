//! The worker: one task per process that does the durable jobs (`service::jobs`) — fanning
//! changes out into notifications, the digests and the bid-deadline reminders — and
//! keeps the schedule that names digest slots as jobs. No cron is needed: every lkn-api
//! process runs one, and the jobs table makes sure each job is done once.
//!
//! It wakes when a write that queued a job commits (on PostgreSQL, in any process) and
//! otherwise looks every [`LOOK_INTERVAL`], for retries that fall due and for jobs whose
//! worker died (their lease ran out).

use std::sync::Arc;
use std::time::{Duration as StdDuration, Instant};

use chrono::{Duration, Utc};
use lkn_entity::job;
use sea_orm::DatabaseConnection;
use tokio::sync::broadcast::error::RecvError;

use crate::error::{Result, ServiceError};
use crate::events::{Event, EventBus};
use crate::mail::Links;
use crate::service::jobs;
use crate::service::notifications::digest::{self, DigestJob, Schedule};
use crate::service::notifications::{Announcement, NOTIFY_TASK, fan_out};
use crate::service::viewer::Viewer;
use crate::service::write::{Write, WriteContext};

/// How often the worker looks for due jobs when nothing wakes it.
pub const LOOK_INTERVAL: StdDuration = StdDuration::from_secs(2);
/// How often the schedule is looked at.
pub const SCHEDULE_INTERVAL: StdDuration = StdDuration::from_secs(60);
/// Jobs taken per look.
const BATCH: u64 = 10;
/// The tasks this worker does (direct messages are the bot's).
pub const TASKS: [&str; 4] = [NOTIFY_TASK, digest::DIGEST_TASK, digest::MEMBER_DIGEST_TASK, digest::DEADLINES_TASK];

/// How the worker runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WorkerSettings {
    /// When digests go out.
    pub schedule: Schedule,
    /// How long a worker holds a job (and the mail sender a message) before another
    /// process may take it over.
    pub lease_seconds: i64,
}

impl Default for WorkerSettings {
    fn default() -> Self {
        Self { schedule: Schedule::default(), lease_seconds: 120 }
    }
}

/// Starts the worker; it stops when the bus is dropped.
pub fn spawn(db: DatabaseConnection, bus: &Arc<EventBus>, links: Links, settings: WorkerSettings) {
    let mut events = bus.subscribe();
    let weak = Arc::downgrade(bus);
    let worker = format!("api-{}-{:08x}", std::process::id(), rand::random::<u32>());
    tracing::info!(%worker, hour = settings.schedule.hour, weekday = ?settings.schedule.weekday, "doing jobs");
    tokio::spawn(async move {
        let mut scheduled_at: Option<Instant> = None;
        loop {
            let Some(bus) = weak.upgrade() else { return };
            if scheduled_at.is_none_or(|at| at.elapsed() >= SCHEDULE_INTERVAL) {
                match digest::schedule_due(&db, settings.schedule, Utc::now()).await {
                    Ok(done) => {
                        scheduled_at = Some(Instant::now());
                        for key in &done.created {
                            tracing::info!(%key, "scheduled");
                        }
                        for key in &done.skipped {
                            tracing::info!(%key, "first digest slot after installation skipped");
                        }
                    }
                    Err(error) => tracing::warn!(%error, "cannot look at the schedule; trying again soon"),
                }
            }
            run_due(&db, &bus, &links, &worker, settings).await;
            drop(bus);
            let woken = tokio::time::timeout(LOOK_INTERVAL, async {
                loop {
                    match events.recv().await {
                        Ok(Event::JobQueued | Event::ListenerRestarted) | Err(RecvError::Lagged(_)) => return true,
                        Ok(_) => continue,
                        Err(RecvError::Closed) => return false,
                    }
                }
            })
            .await;
            if woken == Ok(false) {
                return;
            }
        }
    });
}

/// Does every job due now, a batch at a time.
pub async fn run_due(db: &DatabaseConnection, bus: &EventBus, links: &Links, worker: &str, settings: WorkerSettings) {
    loop {
        let lease = Duration::seconds(settings.lease_seconds);
        let claimed = match jobs::claim(db, &TASKS, worker, BATCH, lease, Utc::now()).await {
            Ok(claimed) => claimed,
            Err(error) => {
                tracing::warn!(%error, "cannot take jobs; trying again soon");
                return;
            }
        };
        if claimed.is_empty() {
            return;
        }
        for job in claimed {
            run_one(db, bus, links, &job).await;
        }
    }
}

/// Runs one job: its effects and its completion commit together, or neither does.
async fn run_one(db: &DatabaseConnection, bus: &EventBus, links: &Links, job: &job::Model) {
    let viewer = Viewer::Anonymous;
    let context = WriteContext::new(&viewer).announcing(bus);
    let outcome = async {
        let write = Write::begin(db, &context).await?;
        let done = perform(&write, job, links).await?;
        if jobs::complete(&*write, job, context.now).await? {
            write.commit().await?;
            Ok(Some(done))
        } else {
            // Another worker finished it after this one's lease ran out.
            Ok(None)
        }
    }
    .await;
    match outcome {
        Ok(Some(done)) => tracing::info!(job = job.id, task = %job.task, attempt = job.attempts, done, "job done"),
        Ok(None) => tracing::info!(job = job.id, task = %job.task, "job finished elsewhere; this attempt rolled back"),
        Err(error) => {
            let permanent = matches!(error, ServiceError::BadRequest(_));
            tracing::warn!(job = job.id, task = %job.task, attempt = job.attempts, %error, "job failed");
            if let Err(error) = jobs::fail(db, job, &error.to_string(), permanent, None, Utc::now()).await {
                // Its lease runs out and it is tried again: a repeat, never a loss.
                tracing::warn!(%error, job = job.id, "cannot record a failed job");
            }
        }
    }
}

/// The job's effects, in `write`; how many things it made (for the log).
async fn perform(write: &Write<'_>, job: &job::Model, links: &Links) -> Result<usize> {
    let unreadable = |error: serde_json::Error| ServiceError::BadRequest(format!("unreadable job payload: {error}"));
    match job.task.as_str() {
        NOTIFY_TASK => {
            let announcement: Announcement = serde_json::from_str(&job.payload).map_err(unreadable)?;
            fan_out::run(write, &announcement, links).await
        }
        digest::DIGEST_TASK => {
            let payload: DigestJob = serde_json::from_str(&job.payload).map_err(unreadable)?;
            digest::run_slot(write, &payload).await
        }
        digest::MEMBER_DIGEST_TASK => {
            let payload: DigestJob = serde_json::from_str(&job.payload).map_err(unreadable)?;
            Ok(usize::from(digest::run_member(write, &payload, links).await?))
        }
        digest::DEADLINES_TASK => {
            let today = serde_json::from_str(&job.payload).map_err(unreadable)?;
            digest::run_deadlines(write, today).await
        }
        other => Err(ServiceError::BadRequest(format!("no worker does `{other}` jobs"))),
    }
}
