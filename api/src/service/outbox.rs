//! The durable outbox every e-mail leaves through. A write queues its message with
//! [`enqueue`] inside its own transaction, so the message exists exactly when the change
//! committed — a crash before the commit leaves neither, a crash after it leaves the
//! message for the sender. Its dedupe key makes a retried write find the message already
//! queued instead of queueing it twice.
//!
//! The sender (`mail::sender`) takes messages with [`claim`]: a lease on the row, so of
//! several processes exactly one works on a message at a time, and a message whose sender
//! died is taken over when the lease runs out. Once the mail server has taken a message,
//! [`mark_sent`] records it and drops the bodies and the unsubscribe address, which may
//! carry a live code or token.

use chrono::{DateTime, Duration, Utc};
use lkn_entity::outbox_message;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, ExprTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};

use crate::error::{Result, is_unique_violation};
use crate::events::Event;
use crate::mail::Letter;
use crate::service::write::Write;

/// Attempts after which a message that keeps failing is given up.
pub const MAX_ATTEMPTS: i32 = 8;

/// Queues `letter` as part of `write`, under `dedupe_key` (what the message is about,
/// e.g. `sign-in:<code id>`); the sender is woken when the write commits. Returns false
/// when a message with that key was queued before.
pub async fn enqueue(write: &Write<'_>, dedupe_key: &str, letter: Letter) -> Result<bool> {
    let txn = &**write;
    let now = write.now();
    let exists = outbox_message::Entity::find()
        .filter(outbox_message::Column::DedupeKey.eq(dedupe_key))
        .one(txn)
        .await?
        .is_some();
    if exists {
        return Ok(false);
    }
    let inserted = outbox_message::ActiveModel {
        dedupe_key: Set(dedupe_key.to_owned()),
        recipient: Set(letter.to),
        member_id: Set(letter.member_id),
        language: Set(letter.language),
        subject: Set(letter.subject),
        text_body: Set(letter.text),
        html_body: Set(letter.html),
        unsubscribe_url: Set(letter.unsubscribe_url),
        attempts: Set(0),
        next_attempt_at: Set(now),
        claimed_until: Set(None),
        sent_at: Set(None),
        failed_at: Set(None),
        last_error: Set(None),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(txn)
    .await;
    match inserted {
        Ok(_) => {
            write.stage(Event::MailQueued).await?;
            Ok(true)
        }
        Err(error) if is_unique_violation(&error) => Ok(false),
        Err(error) => Err(error.into()),
    }
}

/// Ids of messages due for an attempt at `now` and not held by another sender, oldest first.
pub async fn due(db: &impl ConnectionTrait, now: DateTime<Utc>, limit: u64) -> Result<Vec<i64>> {
    Ok(outbox_message::Entity::find()
        .select_only()
        .column(outbox_message::Column::Id)
        .filter(outbox_message::Column::SentAt.is_null())
        .filter(outbox_message::Column::FailedAt.is_null())
        .filter(outbox_message::Column::NextAttemptAt.lte(now))
        .filter(
            Condition::any()
                .add(outbox_message::Column::ClaimedUntil.is_null())
                .add(outbox_message::Column::ClaimedUntil.lt(now)),
        )
        .order_by_asc(outbox_message::Column::Id)
        .limit(limit)
        .into_tuple()
        .all(db)
        .await?)
}

/// Takes message `id` for one attempt, holding it for `lease`, unless it was sent, given
/// up or is held by another sender: one statement, so of two processes racing for it one
/// wins.
pub async fn claim(
    db: &impl ConnectionTrait,
    id: i64,
    now: DateTime<Utc>,
    lease: Duration,
) -> Result<Option<outbox_message::Model>> {
    let claimed = outbox_message::Entity::update_many()
        .col_expr(outbox_message::Column::ClaimedUntil, Expr::value(now + lease))
        .col_expr(outbox_message::Column::Attempts, Expr::col(outbox_message::Column::Attempts).add(1))
        .filter(outbox_message::Column::Id.eq(id))
        .filter(outbox_message::Column::SentAt.is_null())
        .filter(outbox_message::Column::FailedAt.is_null())
        .filter(
            Condition::any()
                .add(outbox_message::Column::ClaimedUntil.is_null())
                .add(outbox_message::Column::ClaimedUntil.lt(now)),
        )
        .exec(db)
        .await?;
    if claimed.rows_affected != 1 {
        return Ok(None);
    }
    Ok(outbox_message::Entity::find_by_id(id).one(db).await?)
}

/// Records that the mail server took message `id`, and drops its bodies and its
/// unsubscribe address: they may carry a code or token that still works, and a sent
/// message's words are not needed again.
pub async fn mark_sent(db: &impl ConnectionTrait, id: i64, now: DateTime<Utc>) -> Result<()> {
    outbox_message::Entity::update_many()
        .col_expr(outbox_message::Column::SentAt, Expr::value(now))
        .col_expr(outbox_message::Column::ClaimedUntil, Expr::value(Option::<DateTime<Utc>>::None))
        .col_expr(outbox_message::Column::TextBody, Expr::value(""))
        .col_expr(outbox_message::Column::HtmlBody, Expr::value(""))
        .col_expr(outbox_message::Column::UnsubscribeUrl, Expr::value(Option::<String>::None))
        .col_expr(outbox_message::Column::LastError, Expr::value(Option::<String>::None))
        .filter(outbox_message::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

/// The wait before attempt `attempts + 1`: 30 s, doubling, at most an hour.
pub fn backoff(attempts: i32) -> Duration {
    let exponent = attempts.clamp(1, 8) - 1;
    Duration::seconds(std::cmp::min(30_i64 << exponent, 3_600))
}

/// Records a failed attempt: tried again after [`backoff`], or given up when `permanent`
/// or after [`MAX_ATTEMPTS`].
pub async fn mark_failed(
    db: &impl ConnectionTrait,
    row: &outbox_message::Model,
    error: &str,
    permanent: bool,
    now: DateTime<Utc>,
) -> Result<()> {
    let give_up = permanent || row.attempts >= MAX_ATTEMPTS;
    let mut update = outbox_message::Entity::update_many()
        .col_expr(outbox_message::Column::ClaimedUntil, Expr::value(Option::<DateTime<Utc>>::None))
        .col_expr(outbox_message::Column::LastError, Expr::value(error.chars().take(500).collect::<String>()))
        .col_expr(outbox_message::Column::NextAttemptAt, Expr::value(now + backoff(row.attempts)));
    if give_up {
        update = update.col_expr(outbox_message::Column::FailedAt, Expr::value(now));
    }
    update.filter(outbox_message::Column::Id.eq(row.id)).exec(db).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::backoff;

    #[test]
    fn retries_back_off_from_half_a_minute_to_an_hour() {
        assert_eq!(backoff(1).num_seconds(), 30);
        assert_eq!(backoff(2).num_seconds(), 60);
        assert_eq!(backoff(4).num_seconds(), 240);
        assert_eq!(backoff(8).num_seconds(), 3_600);
        assert_eq!(backoff(50).num_seconds(), 3_600);
    }
}
