//! Notifications: members told what matters to them — replies on threads they follow,
//! requests to join their collaborations, bid deadlines — in the explorer, by e-mail and
//! by Discord direct message, each as the member prefers.
//!
//! A write that others should hear of calls [`announce`], which queues one `notify` job in
//! the write's own transaction: the write's latency does not grow with the number of
//! people told. After the commit a worker runs [`fan_out::run`], which finds who is told,
//! stores one notification per member (unique per member and source, so a repeated job
//! repeats nothing) and queues each one's deliveries — e-mail now, a Discord message, or
//! nothing until the digest — in the same transaction as it completes the job.
//!
//! - [`preferences`]: per member and kind, when they hear by e-mail and by Discord.
//! - [`fan_out`]: who is told of what, and how it leaves.
//! - [`digest`]: the daily and weekly digests, and the bid-deadline reminders.
//! - [`unsubscribe`]: the one-click links e-mails carry.
//! - [`discord`]: direct messages handed to the bot and what became of them.
//! - [`describe`]: a notification put into words, for every channel.

pub mod describe;
pub mod digest;
pub mod discord;
pub mod fan_out;
pub mod preferences;
pub mod unsubscribe;

use chrono::{DateTime, NaiveDate, Utc};
use lkn_entity::notification;
use lkn_entity::vocabulary::CollaborationStatus;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::{Deserialize, Serialize};

use crate::error::{Result, ServiceError, UserErrorCode};
use crate::service::jobs::{self, NewJob};
use crate::service::page::{Cursor, Page, PageRequest, TotalCount};
use crate::service::write::Write;

/// The job that fans one change out into notifications.
pub const NOTIFY_TASK: &str = "notify";

/// A change members may be told of: the payload of a `notify` job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "t")]
pub enum Source {
    /// A reply was posted.
    Reply {
        /// The thread.
        thread_id: i64,
        /// The reply.
        reply_id: i64,
    },
    /// A reply was accepted as the answer.
    AnswerAccepted {
        /// The question.
        thread_id: i64,
        /// The accepted reply.
        reply_id: i64,
    },
    /// A thread was edited.
    Edited {
        /// The thread.
        thread_id: i64,
        /// Its version after the edit.
        version: i32,
    },
    /// A thread was closed.
    Closed {
        /// The thread.
        thread_id: i64,
    },
    /// A member of another partner endorsed a thread.
    Endorsed {
        /// The thread.
        thread_id: i64,
        /// The endorsing partner.
        partner_id: i64,
    },
    /// A partner asked to join a collaboration.
    JoinRequested {
        /// The collaboration.
        collaboration_id: i64,
        /// The partner asking.
        partner_id: i64,
    },
    /// The lead partner decided a partner's request.
    JoinDecided {
        /// The collaboration.
        collaboration_id: i64,
        /// The partner that asked.
        partner_id: i64,
        /// Accepted or declined.
        accepted: bool,
    },
    /// A collaboration moved along its workflow.
    StatusChanged {
        /// The collaboration.
        collaboration_id: i64,
        /// Its new status.
        status: CollaborationStatus,
    },
    /// A bid deadline is near.
    DeadlineNear {
        /// The collaboration.
        collaboration_id: i64,
        /// The deadline.
        due_on: NaiveDate,
        /// Days left (14 or 3).
        days: i64,
    },
    /// A question was posted.
    QuestionPosted {
        /// The thread.
        thread_id: i64,
    },
}

impl Source {
    /// What the change is, uniquely: one notification per member and source key.
    pub fn key(&self) -> String {
        match self {
            Self::Reply { reply_id, .. } => format!("reply:{reply_id}"),
            Self::AnswerAccepted { thread_id, reply_id } => format!("accepted:{thread_id}:{reply_id}"),
            Self::Edited { thread_id, version } => format!("edited:{thread_id}:{version}"),
            Self::Closed { thread_id } => format!("closed:{thread_id}"),
            Self::Endorsed { thread_id, partner_id } => format!("endorsed:{thread_id}:{partner_id}"),
            Self::JoinRequested { collaboration_id, partner_id } => format!("join:{collaboration_id}:{partner_id}"),
            Self::JoinDecided { collaboration_id, partner_id, accepted } => {
                format!("decided:{collaboration_id}:{partner_id}:{accepted}")
            }
            Self::StatusChanged { collaboration_id, status } => format!("status:{collaboration_id}:{status:?}"),
            Self::DeadlineNear { collaboration_id, due_on, days } => {
                format!("deadline:{collaboration_id}:{due_on}:{days}")
            }
            Self::QuestionPosted { thread_id } => format!("question:{thread_id}"),
        }
    }
}

/// The input of a `notify` job.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Announcement {
    /// What happened.
    pub source: Source,
    /// Who did it (never told of their own doing), if a member did.
    pub actor_id: Option<i64>,
}

/// Queues the fan-out of `source` as part of `write`, by the member writing (if any).
pub async fn announce(write: &Write<'_>, source: Source) -> Result<()> {
    let actor_id = write.viewer().member().map(|member| member.id);
    announce_by(write, source, actor_id).await
}

/// Like [`announce`], naming the actor (none for the scheduler's reminders).
pub async fn announce_by(write: &Write<'_>, source: Source, actor_id: Option<i64>) -> Result<()> {
    let key = format!("notify:{}", source.key());
    let job = NewJob::new(NOTIFY_TASK, Announcement { source, actor_id }, write.now()).keyed(key);
    jobs::enqueue(write, job).await?;
    Ok(())
}

/// One page of `member_id`'s notifications, newest first, unread ones only if asked.
pub async fn list(
    db: &impl ConnectionTrait,
    member_id: i64,
    unread_only: bool,
    request: &PageRequest,
) -> Result<Page<notification::Model>> {
    let mut filtered = notification::Entity::find().filter(notification::Column::MemberId.eq(member_id));
    if unread_only {
        filtered = filtered.filter(notification::Column::ReadAt.is_null());
    }
    let total = TotalCount::of(db, sea_orm::QueryTrait::into_query(filtered.clone()));
    let mut page = filtered;
    if let Some(after) = &request.after {
        after.fits(None)?;
        page = page.filter(notification::Column::Id.lt(after.id));
    }
    let rows = page.order_by_desc(notification::Column::Id).limit(request.first + 1).all(db).await?;
    Ok(Page::from_rows(request, rows, |row| Cursor { key: None, id: row.id }, total))
}

/// How many of `member_id`'s notifications are unread.
pub async fn unread_count(db: &impl ConnectionTrait, member_id: i64) -> Result<u64> {
    Ok(notification::Entity::find()
        .filter(notification::Column::MemberId.eq(member_id))
        .filter(notification::Column::ReadAt.is_null())
        .count(db)
        .await?)
}

/// `member_id`'s notifications with ids from `first_id` to `last_id`, oldest first: what
/// one fan-out told them (one row; more only when fan-outs ran side by side).
pub async fn in_range(
    db: &impl ConnectionTrait,
    member_id: i64,
    first_id: i64,
    last_id: i64,
) -> Result<Vec<notification::Model>> {
    Ok(notification::Entity::find()
        .filter(notification::Column::MemberId.eq(member_id))
        .filter(notification::Column::Id.between(first_id, last_id))
        .order_by_asc(notification::Column::Id)
        .all(db)
        .await?)
}

/// The notification `id` if it is `member_id`'s.
pub async fn find_for(db: &impl ConnectionTrait, member_id: i64, id: i64) -> Result<Option<notification::Model>> {
    Ok(notification::Entity::find_by_id(id).filter(notification::Column::MemberId.eq(member_id)).one(db).await?)
}

/// Which notifications to mark read.
#[derive(Debug, Clone)]
pub enum ReadSelection {
    /// These (only the member's own are touched; others' ids are ignored, never revealed).
    Ids(Vec<i64>),
    /// Every one up to and including this id ("mark all as read" as of what was shown).
    UpTo(i64),
}

/// At most how many ids one call may name.
pub const MAX_IDS_PER_MARK: usize = 100;

/// Marks `member_id`'s selected unread notifications read at `now`; how many changed.
/// Marking again changes nothing.
pub async fn mark_read(
    db: &impl ConnectionTrait,
    member_id: i64,
    selection: ReadSelection,
    now: DateTime<Utc>,
) -> Result<u64> {
    let mut update = notification::Entity::update_many()
        .col_expr(notification::Column::ReadAt, Expr::value(now))
        .filter(notification::Column::MemberId.eq(member_id))
        .filter(notification::Column::ReadAt.is_null());
    update = match selection {
        ReadSelection::Ids(ids) => {
            if ids.len() > MAX_IDS_PER_MARK {
                return Err(ServiceError::invalid(
                    "ids",
                    UserErrorCode::TooLong,
                    format!("mark at most {MAX_IDS_PER_MARK} notifications at once, or use upTo"),
                ));
            }
            update.filter(notification::Column::Id.is_in(ids))
        }
        ReadSelection::UpTo(id) => update.filter(notification::Column::Id.lte(id)),
    };
    Ok(update.exec(db).await?.rows_affected)
}

/// What was given up, most recent first: up to `limit` jobs (fan-outs, digests, Discord
/// messages) and up to `limit` e-mails.
pub async fn given_up(
    db: &impl ConnectionTrait,
    limit: u64,
) -> Result<(Vec<lkn_entity::job::Model>, Vec<lkn_entity::outbox_message::Model>)> {
    use lkn_entity::{job, outbox_message};
    let jobs = job::Entity::find()
        .filter(job::Column::FailedAt.is_not_null())
        .order_by_desc(job::Column::FailedAt)
        .limit(limit)
        .all(db)
        .await?;
    let mails = outbox_message::Entity::find()
        .filter(outbox_message::Column::FailedAt.is_not_null())
        .order_by_desc(outbox_message::Column::FailedAt)
        .limit(limit)
        .all(db)
        .await?;
    Ok((jobs, mails))
}
