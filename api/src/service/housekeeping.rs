//! Housekeeping: deleting records whose purpose has passed, so that tables written on
//! every link attempt or create do not grow for ever.
//!
//! - Discord link codes once expired (they link nothing after), and used ones an hour
//!   after use (the audit trail keeps the link itself).
//! - Discord link attempts once outside the window in which they are counted.
//! - Idempotency keys after [`IDEMPOTENCY_KEY_RETENTION_HOURS`]: long past any client's
//!   retry (the bot's retries of a Discord interaction come within minutes), after which
//!   the same key would simply create again.
//! - Sign-in codes after [`SIGN_IN_CODE_RETENTION_HOURS`]: past their 15 minutes and the
//!   hour in which they count against their address's limit.
//! - Outbox messages [`OUTBOX_RETENTION_DAYS`] after they were sent or given up: long
//!   enough to answer "did my invitation go?", short enough not to keep a record of
//!   everyone ever written to.
//! - Requests to join from Discord [`MEMBERSHIP_REQUEST_RETENTION_DAYS`] after they were
//!   decided: they hold a name and an address, the member (if approved) holds their own,
//!   and the audit trail keeps the decision.
//!
//! - Jobs [`JOB_RETENTION_DAYS`] after they finished or were given up: their keys keep
//!   answering "done" for a digest slot or a fan-out while anything could repeat them (a
//!   slot is at most a week old when it is named), and the given-up ones stay visible to
//!   administrators (`failedDeliveries`) for a month.
//! - Notifications [`NOTIFICATION_RETENTION_DAYS`] after they happened: the list in the
//!   explorer is for what is current, not an archive.
//! - Unsubscribe links after [`unsubscribe::LINK_RETENTION_DAYS`], when they stop working.
//!
//! `serve` runs [`purge_expired`] at start and then periodically ([`spawn`]). With
//! several processes on one database each purges; the deletes are idempotent, so that
//! only costs a few cheap, indexed statements.

use std::time::Duration as StdDuration;

use chrono::{DateTime, Duration, Utc};
use lkn_entity::{
    discord_link_attempt, discord_link_code, idempotency_key, job, membership_request, notification, outbox_message,
    sign_in_code, unsubscribe_link,
};
use sea_orm::sea_query::Condition;
use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter};

use crate::error::Result;
use crate::service::link_code::ATTEMPT_WINDOW_MINUTES;
use crate::service::notifications::unsubscribe;

/// How long an idempotency key is kept after its first use: a week.
pub const IDEMPOTENCY_KEY_RETENTION_HOURS: i64 = 7 * 24;
/// How long a used link code is kept after its use.
pub const USED_LINK_CODE_RETENTION_HOURS: i64 = 1;
/// How long a sign-in code is kept after it was made.
pub const SIGN_IN_CODE_RETENTION_HOURS: i64 = 2;
/// How long a sent or abandoned message stays in the outbox.
pub const OUTBOX_RETENTION_DAYS: i64 = 30;
/// How long a decided request to join is kept after its decision.
pub const MEMBERSHIP_REQUEST_RETENTION_DAYS: i64 = 30;
/// How long a finished or abandoned job is kept.
pub const JOB_RETENTION_DAYS: i64 = 30;
/// How long a notification is kept.
pub const NOTIFICATION_RETENTION_DAYS: i64 = 180;

/// What one purge deleted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Purged {
    /// Expired or long-used Discord link codes.
    pub link_codes: u64,
    /// Link attempts outside the counting window.
    pub link_attempts: u64,
    /// Idempotency keys past their retention.
    pub idempotency_keys: u64,
    /// Sign-in codes past their retention.
    pub sign_in_codes: u64,
    /// Sent or abandoned outbox messages past their retention.
    pub outbox_messages: u64,
    /// Decided requests to join past their retention.
    pub membership_requests: u64,
    /// Finished or abandoned jobs past their retention.
    pub jobs: u64,
    /// Notifications past their retention.
    pub notifications: u64,
    /// Unsubscribe links that no longer work.
    pub unsubscribe_links: u64,
}

/// Deletes what has expired as of `now`.
#[tracing::instrument(skip(db))]
pub async fn purge_expired(db: &impl ConnectionTrait, now: DateTime<Utc>) -> Result<Purged> {
    let link_codes = discord_link_code::Entity::delete_many()
        .filter(
            Condition::any()
                .add(discord_link_code::Column::ExpiresAt.lte(now))
                .add(discord_link_code::Column::UsedAt.lte(now - Duration::hours(USED_LINK_CODE_RETENTION_HOURS))),
        )
        .exec(db)
        .await?
        .rows_affected;
    let link_attempts = discord_link_attempt::Entity::delete_many()
        .filter(discord_link_attempt::Column::AttemptedAt.lte(now - Duration::minutes(ATTEMPT_WINDOW_MINUTES)))
        .exec(db)
        .await?
        .rows_affected;
    let idempotency_keys = idempotency_key::Entity::delete_many()
        .filter(idempotency_key::Column::CreatedAt.lte(now - Duration::hours(IDEMPOTENCY_KEY_RETENTION_HOURS)))
        .exec(db)
        .await?
        .rows_affected;
    let sign_in_codes = sign_in_code::Entity::delete_many()
        .filter(sign_in_code::Column::CreatedAt.lte(now - Duration::hours(SIGN_IN_CODE_RETENTION_HOURS)))
        .exec(db)
        .await?
        .rows_affected;
    let settled_before = now - Duration::days(OUTBOX_RETENTION_DAYS);
    let outbox_messages = outbox_message::Entity::delete_many()
        .filter(
            Condition::any()
                .add(outbox_message::Column::SentAt.lte(settled_before))
                .add(outbox_message::Column::FailedAt.lte(settled_before)),
        )
        .exec(db)
        .await?
        .rows_affected;
    let membership_requests = membership_request::Entity::delete_many()
        .filter(membership_request::Column::DecidedAt.lte(now - Duration::days(MEMBERSHIP_REQUEST_RETENTION_DAYS)))
        .exec(db)
        .await?
        .rows_affected;
    let finished_before = now - Duration::days(JOB_RETENTION_DAYS);
    let jobs = job::Entity::delete_many()
        .filter(
            Condition::any()
                .add(job::Column::CompletedAt.lte(finished_before))
                .add(job::Column::FailedAt.lte(finished_before)),
        )
        .exec(db)
        .await?
        .rows_affected;
    let notifications = notification::Entity::delete_many()
        .filter(notification::Column::CreatedAt.lte(now - Duration::days(NOTIFICATION_RETENTION_DAYS)))
        .exec(db)
        .await?
        .rows_affected;
    let unsubscribe_links = unsubscribe_link::Entity::delete_many()
        .filter(unsubscribe_link::Column::CreatedAt.lte(now - Duration::days(unsubscribe::LINK_RETENTION_DAYS)))
        .exec(db)
        .await?
        .rows_affected;
    Ok(Purged {
        link_codes,
        link_attempts,
        idempotency_keys,
        sign_in_codes,
        outbox_messages,
        membership_requests,
        jobs,
        notifications,
        unsubscribe_links,
    })
}

/// Runs [`purge_expired`] now and then every `every`, until the task is aborted. A
/// failed purge is logged and tried again next time.
pub fn spawn(db: DatabaseConnection, every: StdDuration) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(every);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            match purge_expired(&db, Utc::now()).await {
                Ok(purged) if purged != Purged::default() => tracing::info!(?purged, "expired records purged"),
                Ok(_) => {}
                Err(error) => tracing::warn!(error = ?error, "purging expired records failed; trying again later"),
            }
        }
    })
}
