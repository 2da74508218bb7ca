//! Notifications delivered as Discord direct messages. The API cannot reach Discord; the
//! bot can. So a notification for Discord becomes a `discord.dm` job that only the bot
//! takes ([`claim`], through the API as itself), sends, and reports back on ([`settle`]):
//! delivered; Discord asked it to wait (the job goes back, the attempt not counted); the
//! member closed their DMs (recorded on the member — the bot stops trying, and e-mail is
//! used instead if they allow it); or failed (tried again with backoff, given up after
//! [`ATTEMPTS`] with the error shown to administrators).

use chrono::{DateTime, Duration, Utc};
use lkn_entity::vocabulary::{Cadence, Language};
use lkn_entity::{job, member, notification};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter};
use serde::{Deserialize, Serialize};

use super::{describe, fan_out, preferences};
use crate::error::{Result, ServiceError, UserErrorCode};
use crate::mail::Links;
use crate::mail::notices::Notice;
use crate::service::jobs::{self, NewJob};
use crate::service::write::{Write, WriteContext};

/// The job that carries one direct message.
pub const DM_TASK: &str = "discord.dm";
/// Who holds a claimed direct message.
const BOT_WORKER: &str = "bot";
/// How long the bot holds a claimed message before it may be handed out again.
pub const LEASE_SECONDS: i64 = 60;
/// Attempts before a direct message is given up.
pub const ATTEMPTS: i32 = 8;
/// Most messages handed out per claim.
pub const MAX_CLAIM: u64 = 50;

#[derive(Debug, Serialize, Deserialize)]
struct Payload {
    notification_id: i64,
}

/// Queues the direct message for `row`, in the write that stored it.
pub async fn queue(write: &Write<'_>, row: &notification::Model) -> Result<()> {
    let job = NewJob::new(DM_TASK, Payload { notification_id: row.id }, write.now())
        .keyed(format!("dm:{}", row.id))
        .for_member(row.member_id)
        .attempts(ATTEMPTS);
    jobs::enqueue(write, job).await?;
    Ok(())
}

/// A direct message for the bot to send.
#[derive(Debug, Clone)]
pub struct DirectMessage {
    /// The delivery, to settle.
    pub job_id: i64,
    /// The notification.
    pub notification: notification::Model,
    /// To whom on Discord.
    pub discord_user_id: String,
    /// The language the member reads.
    pub language: Language,
    /// What it says.
    pub notice: Notice,
}

/// Hands up to `limit` due direct messages to the bot. Messages whose member can no
/// longer receive them (unlinked, DMs closed, suspended, erased) are settled as nothing
/// to do rather than handed out.
pub async fn claim(
    db: &DatabaseConnection,
    links: &Links,
    limit: u64,
    now: DateTime<Utc>,
) -> Result<Vec<DirectMessage>> {
    let claimed =
        jobs::claim(db, &[DM_TASK], BOT_WORKER, limit.clamp(1, MAX_CLAIM), Duration::seconds(LEASE_SECONDS), now)
            .await?;
    let mut messages = Vec::new();
    for job in claimed {
        let Some((row, member)) = load(db, &job).await? else {
            jobs::complete(db, &job, now).await?;
            continue;
        };
        let (Some(discord_user_id), None, None, None) =
            (member.discord_user_id.clone(), member.discord_dms_closed_at, member.suspended_at, member.erased_at)
        else {
            jobs::complete(db, &job, now).await?;
            continue;
        };
        let notice = describe::notices(db, std::slice::from_ref(&row), links).await?.remove(0);
        messages.push(DirectMessage {
            job_id: job.id,
            notification: row,
            discord_user_id,
            language: member.preferred_language,
            notice,
        });
    }
    Ok(messages)
}

async fn load(db: &impl ConnectionTrait, job: &job::Model) -> Result<Option<(notification::Model, member::Model)>> {
    let Ok(payload) = serde_json::from_str::<Payload>(&job.payload) else { return Ok(None) };
    let Some(row) = notification::Entity::find_by_id(payload.notification_id).one(db).await? else { return Ok(None) };
    let Some(member) = member::Entity::find_by_id(row.member_id).one(db).await? else { return Ok(None) };
    Ok(Some((row, member)))
}

/// What became of a direct message the bot was handed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Discord took it.
    Delivered,
    /// Discord refused because the member does not accept DMs from the bot.
    DmsClosed,
    /// Discord asked the bot to wait this many seconds (rate limit); not an attempt.
    RetryAfter(i64),
    /// Anything else; tried again later.
    Failed(String),
}

/// Records what became of direct message `job_id`. Settling a message that is not
/// handed out (settled already, or never handed out) is a user error and changes nothing.
pub async fn settle(
    db: &DatabaseConnection,
    context: &WriteContext<'_>,
    job_id: i64,
    outcome: Outcome,
    links: &Links,
) -> Result<()> {
    let not_out =
        || ServiceError::invalid("id", UserErrorCode::NotFound, "no direct message with this id is handed out");
    let job = jobs::find(db, job_id).await?.ok_or_else(not_out)?;
    if job.task != DM_TASK || job.completed_at.is_some() || job.failed_at.is_some() || job.locked_until.is_none() {
        return Err(not_out());
    }
    let now = context.now;
    match outcome {
        Outcome::Delivered => {
            jobs::complete(db, &job, now).await?;
        }
        Outcome::RetryAfter(seconds) => {
            jobs::postpone(db, &job, now + Duration::seconds(seconds.clamp(1, 3_600))).await?;
        }
        Outcome::Failed(error) => {
            tracing::warn!(job_id, %error, "a Discord direct message failed");
            jobs::fail(db, &job, &error, false, None, now).await?;
        }
        Outcome::DmsClosed => {
            let write = Write::begin(db, context).await?;
            if !jobs::complete(&*write, &job, now).await? {
                return Err(not_out());
            }
            if let Some((row, member)) = load(&*write, &job).await? {
                member::Entity::update_many()
                    .col_expr(member::Column::DiscordDmsClosedAt, Expr::value(now))
                    .filter(member::Column::Id.eq(member.id))
                    .exec(&*write)
                    .await?;
                let preference = preferences::for_members(&*write, &[member.id])
                    .await?
                    .remove(&member.id)
                    .and_then(|mut kinds| kinds.remove(&row.kind));
                let email = preference.map(|p| p.email).unwrap_or(Cadence::Never);
                if email != Cadence::Never && email != Cadence::Immediately {
                    let notice = describe::notices(&*write, std::slice::from_ref(&row), links).await?.remove(0);
                    fan_out::email(&write, &row, &member, &notice, links).await?;
                }
                write.audit("member.discord_dms_closed", "Member", member.id, serde_json::json!({})).await?;
            }
            write.commit().await?;
        }
    }
    Ok(())
}

/// The record of a weekly round-up posted by the bot.
const ROUNDUP_TASK: &str = "discord.roundup";

/// Claims the weekly round-up for `channel_id` in ISO week `week` (`2026-W49`): true the
/// first time, false after. Recorded as a finished job, whose unique key does the work.
pub async fn claim_roundup(db: &DatabaseConnection, channel_id: &str, week: &str, now: DateTime<Utc>) -> Result<bool> {
    crate::service::discord::check_snowflake("channelId", channel_id)?;
    let valid_week = week.len() == 8
        && week.as_bytes()[4] == b'-'
        && week.as_bytes()[5] == b'W'
        && week[..4].chars().all(|c| c.is_ascii_digit())
        && week[6..].parse::<u32>().is_ok_and(|n| (1..=53).contains(&n));
    if !valid_week {
        return Err(ServiceError::invalid("week", UserErrorCode::Invalid, "a week looks like 2026-W49"));
    }
    let key = format!("roundup:{channel_id}:{week}");
    let claimed =
        jobs::insert(db, NewJob::new(ROUNDUP_TASK, serde_json::json!({ "week": week }), now).keyed(key.clone()), now)
            .await?;
    if claimed {
        jobs::skip(db, &key, "posted by the bot", now).await?;
    }
    Ok(claimed)
}
