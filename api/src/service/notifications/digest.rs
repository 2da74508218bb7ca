//! The daily and weekly digests and the bid-deadline reminders: scheduled work, made
//! exactly once per slot however many processes run and however long they were down.
//!
//! UK time comes from `lkn_codes::calendar`, the same rule the bot's round-up follows.
//!
//! Every process's scheduler names the latest slot that has begun (the digest hour in
//! Europe/London, every day and on the weekly digest's day) as a job keyed by the slot;
//! the key being unique, one job exists per slot. A slot missed while everything was
//! down is sent once when the service comes back — only the latest, never a backlog. On a
//! database that never had a digest, the slot that has already begun is recorded as
//! skipped, so installing the service sends nothing until the next slot.
//!
//! A slot's job writes one job per member (`digest.member`, keyed by slot and member);
//! each of those puts that member's digest into the outbox under the same key. So a
//! process killed half-way through a slot loses nothing and repeats nothing: what it did
//! committed with the jobs it finished, and the rest is taken over when its lease ends.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Datelike, Duration, FixedOffset, NaiveDate, TimeZone, Utc, Weekday};
use lkn_entity::vocabulary::{Cadence, CollaborationStatus, JoinStatus, MemberRole, ThreadKind, ThreadStatus};
use lkn_entity::{
    collaboration, collaboration_participant, job, member, member_expertise, notification, partner, reply, tag, thread,
    thread_tag,
};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
};
use serde::{Deserialize, Serialize};

use super::{Source, announce_by, describe, preferences};
use crate::error::Result;
use crate::mail::Links;
use crate::mail::digest::{
    CollaborationLine, DeadlineLine, Digest, DigestCadence, PeriodFigures, ThreadLine, digest_letter,
};
use crate::mail::notices::Recipient;
use crate::service::jobs::{self, NewJob};
use crate::service::outbox;
use crate::service::write::Write;

/// The job of one digest slot.
pub const DIGEST_TASK: &str = "digest";
/// The job of one member's digest.
pub const MEMBER_DIGEST_TASK: &str = "digest.member";
/// The job of one day's bid-deadline reminders.
pub const DEADLINES_TASK: &str = "deadlines";
/// How far ahead a bid deadline is first mentioned, and when it is mentioned again.
pub const DEADLINE_REMINDERS: [i64; 2] = [14, 3];
/// Most lines per section of a digest.
const SECTION_LINES: u64 = 10;

/// When digests go out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Schedule {
    /// The hour of the day, Europe/London (0–23).
    pub hour: u32,
    /// The day of the weekly digest.
    pub weekday: Weekday,
}

impl Default for Schedule {
    fn default() -> Self {
        Self { hour: 7, weekday: Weekday::Mon }
    }
}

use lkn_codes::calendar::london_offset;

/// Today's date in London.
pub fn london_today(now: DateTime<Utc>) -> NaiveDate {
    now.with_timezone(&london_offset(now)).date_naive()
}

/// The moment `hour` o'clock London time on `date` is.
fn london_moment(date: NaiveDate, hour: u32) -> DateTime<Utc> {
    let local = date.and_hms_opt(hour.min(23), 0, 0).unwrap_or_default();
    // Try summer time first; if that instant is not in summer time, it is GMT.
    let summer = FixedOffset::east_opt(3_600).expect("+01:00");
    let guess = summer.from_local_datetime(&local).single().map(|t| t.with_timezone(&Utc)).unwrap_or_default();
    if london_offset(guess).local_minus_utc() == 3_600 { guess } else { local.and_utc() }
}

/// The latest slot of `cadence` that has begun at `now`: its London date and its moment.
pub fn latest_slot(now: DateTime<Utc>, schedule: Schedule, cadence: DigestCadence) -> (NaiveDate, DateTime<Utc>) {
    let mut date = london_today(now);
    loop {
        let due = cadence == DigestCadence::Daily || date.weekday() == schedule.weekday;
        let at = london_moment(date, schedule.hour);
        if due && at <= now {
            return (date, at);
        }
        date -= Duration::days(1);
    }
}

fn cadence_name(cadence: DigestCadence) -> &'static str {
    match cadence {
        DigestCadence::Daily => "daily",
        DigestCadence::Weekly => "weekly",
    }
}

fn cadence_preference(cadence: DigestCadence) -> Cadence {
    match cadence {
        DigestCadence::Daily => Cadence::Daily,
        DigestCadence::Weekly => Cadence::Weekly,
    }
}

/// The key of a digest slot's job.
pub fn slot_key(cadence: DigestCadence, date: NaiveDate) -> String {
    format!("digest:{}:{date}", cadence_name(cadence))
}

/// The input of a slot's job and of each member's.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DigestJob {
    /// Daily or weekly.
    pub daily: bool,
    /// The slot's London date.
    pub slot: NaiveDate,
    /// The end of the period the digest covers (when the slot was taken up).
    pub until: DateTime<Utc>,
    /// The member, for a member's digest.
    pub member_id: Option<i64>,
}

impl DigestJob {
    fn cadence(&self) -> DigestCadence {
        if self.daily { DigestCadence::Daily } else { DigestCadence::Weekly }
    }
}

/// What the scheduler did on one look.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scheduled {
    /// Keys of the slot jobs this call created (another process may have created the rest).
    pub created: Vec<String>,
    /// Keys of slots recorded as skipped because the database had no digest before.
    pub skipped: Vec<String>,
}

/// Names the latest slot of each digest, and today's deadline reminders (due at the
/// digest hour), as jobs, once.
pub async fn schedule_due(db: &impl ConnectionTrait, schedule: Schedule, now: DateTime<Utc>) -> Result<Scheduled> {
    let mut done = Scheduled::default();
    for cadence in [DigestCadence::Daily, DigestCadence::Weekly] {
        let (date, _) = latest_slot(now, schedule, cadence);
        let key = slot_key(cadence, date);
        if jobs::exists(db, &key).await? {
            continue;
        }
        let payload = DigestJob { daily: cadence == DigestCadence::Daily, slot: date, until: now, member_id: None };
        let job = NewJob::new(DIGEST_TASK, payload, now).keyed(key.clone());
        let earlier = job::Entity::find()
            .filter(job::Column::Task.eq(DIGEST_TASK))
            .filter(job::Column::JobKey.starts_with(format!("digest:{}:", cadence_name(cadence))))
            .count(db)
            .await?;
        if earlier == 0 {
            if jobs::insert(db, job, now).await? {
                jobs::skip(db, &key, "the first slot after installation is not sent", now).await?;
                done.skipped.push(key);
            }
        } else if jobs::insert(db, job, now).await? {
            done.created.push(key);
        }
    }
    let today = london_today(now);
    let key = format!("deadlines:{today}");
    // Written at the day's first look, done at the digest hour.
    let at = std::cmp::max(now, london_moment(today, schedule.hour));
    let reminders = NewJob { run_at: at, ..NewJob::new(DEADLINES_TASK, today, now).keyed(key.clone()) };
    if jobs::insert(db, reminders, now).await? {
        done.created.push(key);
    }
    Ok(done)
}

/// Members who may receive mail: active, not erased, not the bot.
async fn mail_members(db: &impl ConnectionTrait) -> Result<Vec<member::Model>> {
    Ok(member::Entity::find()
        .filter(member::Column::SuspendedAt.is_null())
        .filter(member::Column::ErasedAt.is_null())
        .filter(member::Column::Role.ne(MemberRole::Bot))
        .order_by_asc(member::Column::Id)
        .all(db)
        .await?)
}

/// A slot's job: one job per member who takes this digest for any kind.
pub async fn run_slot(write: &Write<'_>, payload: &DigestJob) -> Result<usize> {
    let txn = &**write;
    let members = mail_members(txn).await?;
    let ids: Vec<i64> = members.iter().map(|m| m.id).collect();
    let wanted = cadence_preference(payload.cadence());
    let preferences = preferences::for_members(txn, &ids).await?;
    let mut made = 0;
    for member in &members {
        let takes = preferences.get(&member.id).is_some_and(|kinds| kinds.values().any(|p| p.email == wanted));
        if !takes {
            continue;
        }
        let mine = DigestJob { member_id: Some(member.id), ..payload.clone() };
        let key = format!("{}:{}", slot_key(payload.cadence(), payload.slot), member.id);
        let job = NewJob::new(MEMBER_DIGEST_TASK, mine, write.now()).keyed(key).for_member(member.id);
        if jobs::enqueue(write, job).await? {
            made += 1;
        }
    }
    Ok(made)
}

/// A member's job: their digest into the outbox, if there is anything to say.
pub async fn run_member(write: &Write<'_>, payload: &DigestJob, links: &Links) -> Result<bool> {
    let txn = &**write;
    let Some(member_id) = payload.member_id else { return Ok(false) };
    let Some(member) = member::Entity::find_by_id(member_id)
        .filter(member::Column::SuspendedAt.is_null())
        .filter(member::Column::ErasedAt.is_null())
        .one(txn)
        .await?
    else {
        return Ok(false);
    };
    let cadence = payload.cadence();
    let since = payload.until - if cadence == DigestCadence::Daily { Duration::days(1) } else { Duration::days(7) };
    let digest = gather(txn, &member, cadence, since, payload.until, links).await?;
    let key = format!("{}:{}", slot_key(cadence, payload.slot), member.id);
    let unsubscribe_url =
        super::unsubscribe::issue(write, member.id, super::unsubscribe::Scope::Digest(cadence), links).await?;
    let recipient = Recipient {
        email: &member.email,
        member_id: member.id,
        name: &member.display_name,
        preferred: member.preferred_language,
    };
    let Some(letter) = digest_letter(&recipient, &digest, unsubscribe_url, links) else { return Ok(false) };
    outbox::enqueue(write, &key, letter).await
}

/// Everything one member's digest may say about `since..until`.
async fn gather(
    db: &impl ConnectionTrait,
    member: &member::Model,
    cadence: DigestCadence,
    since: DateTime<Utc>,
    until: DateTime<Utc>,
    links: &Links,
) -> Result<Digest> {
    let wanted = cadence_preference(cadence);
    let kinds: Vec<_> = preferences::of_member(db, member.id)
        .await?
        .into_iter()
        .filter(|p| p.email == wanted)
        .map(|p| p.kind)
        .collect();
    let rows = notification::Entity::find()
        .filter(notification::Column::MemberId.eq(member.id))
        .filter(notification::Column::Kind.is_in(kinds))
        .filter(notification::Column::CreatedAt.gt(since))
        .filter(notification::Column::CreatedAt.lte(until))
        .order_by_desc(notification::Column::Id)
        .limit(50)
        .all(db)
        .await?;
    let notices = describe::notices(db, &rows, links).await?;
    let home = partner::Entity::find_by_id(member.partner_id).one(db).await?;
    let today = london_today(until);
    Ok(Digest {
        cadence,
        notices,
        unanswered: unanswered(db, member, home.as_ref(), since, until, links).await?,
        seeking_partners: seeking_partners(db, member, since, until, links).await?,
        deadlines: deadlines(db, member.partner_id, today, links).await?,
        figures: figures(db, since, until).await?,
    })
}

/// Unanswered questions of the period in the member's expertise or their partner's nation.
async fn unanswered(
    db: &impl ConnectionTrait,
    member: &member::Model,
    home: Option<&partner::Model>,
    since: DateTime<Utc>,
    until: DateTime<Utc>,
    links: &Links,
) -> Result<Vec<ThreadLine>> {
    let expertise: Vec<String> = member_expertise::Entity::find()
        .select_only()
        .column(member_expertise::Column::Tag)
        .filter(member_expertise::Column::MemberId.eq(member.id))
        .into_tuple()
        .all(db)
        .await?;
    let tag_ids: Vec<i64> = if expertise.is_empty() {
        Vec::new()
    } else {
        tag::Entity::find()
            .select_only()
            .column(tag::Column::Id)
            .filter(tag::Column::Name.is_in(expertise))
            .into_tuple()
            .all(db)
            .await?
    };
    let tagged: Vec<i64> = if tag_ids.is_empty() {
        Vec::new()
    } else {
        thread_tag::Entity::find()
            .select_only()
            .column(thread_tag::Column::ThreadId)
            .filter(thread_tag::Column::TagId.is_in(tag_ids))
            .into_tuple()
            .all(db)
            .await?
    };
    let neighbours: Vec<i64> = match home {
        Some(home) => {
            partner::Entity::find()
                .select_only()
                .column(partner::Column::Id)
                .filter(partner::Column::Nation.eq(home.nation))
                .into_tuple()
                .all(db)
                .await?
        }
        None => Vec::new(),
    };
    let threads = thread::Entity::find()
        .filter(thread::Column::Kind.eq(ThreadKind::Question))
        .filter(thread::Column::Status.eq(ThreadStatus::Open))
        .filter(thread::Column::ReplyCount.eq(0))
        .filter(thread::Column::AuthorId.ne(member.id))
        .filter(thread::Column::CreatedAt.gt(since))
        .filter(thread::Column::CreatedAt.lte(until))
        .filter(Condition::any().add(thread::Column::Id.is_in(tagged)).add(thread::Column::PartnerId.is_in(neighbours)))
        .order_by_desc(thread::Column::CreatedAt)
        .limit(SECTION_LINES)
        .all(db)
        .await?;
    let names = partner_names(db, threads.iter().map(|t| t.partner_id)).await?;
    Ok(threads
        .into_iter()
        .map(|t| ThreadLine {
            partner_name: names.get(&t.partner_id).cloned().unwrap_or_default(),
            url: describe::thread_url(links, t.id),
            title: t.title,
        })
        .collect())
}

/// Collaborations of other partners that began seeking partners in the period.
async fn seeking_partners(
    db: &impl ConnectionTrait,
    member: &member::Model,
    since: DateTime<Utc>,
    until: DateTime<Utc>,
    links: &Links,
) -> Result<Vec<CollaborationLine>> {
    let rows = collaboration::Entity::find()
        .filter(collaboration::Column::Status.eq(CollaborationStatus::SeekingPartners))
        .filter(collaboration::Column::LeadPartnerId.ne(member.partner_id))
        .filter(collaboration::Column::UpdatedAt.gt(since))
        .filter(collaboration::Column::UpdatedAt.lte(until))
        .order_by_desc(collaboration::Column::UpdatedAt)
        .limit(SECTION_LINES)
        .all(db)
        .await?;
    let names = partner_names(db, rows.iter().map(|c| c.lead_partner_id)).await?;
    Ok(rows
        .into_iter()
        .map(|c| CollaborationLine {
            lead_partner_name: names.get(&c.lead_partner_id).cloned().unwrap_or_default(),
            url: describe::collaboration_url(links, c.id),
            title: c.title,
        })
        .collect())
}

/// Collaborations `partner_id` leads or was accepted into, still under way.
async fn collaborations_of(db: &impl ConnectionTrait, partner_id: i64) -> Result<Vec<i64>> {
    let mut ids: Vec<i64> = collaboration_participant::Entity::find()
        .select_only()
        .column(collaboration_participant::Column::CollaborationId)
        .filter(collaboration_participant::Column::PartnerId.eq(partner_id))
        .filter(collaboration_participant::Column::JoinStatus.eq(JoinStatus::Accepted))
        .into_tuple()
        .all(db)
        .await?;
    let led: Vec<i64> = collaboration::Entity::find()
        .select_only()
        .column(collaboration::Column::Id)
        .filter(collaboration::Column::LeadPartnerId.eq(partner_id))
        .into_tuple()
        .all(db)
        .await?;
    ids.extend(led);
    Ok(ids)
}

/// Bid deadlines within 14 days of the collaborations the member's partner is in.
async fn deadlines(
    db: &impl ConnectionTrait,
    partner_id: i64,
    today: NaiveDate,
    links: &Links,
) -> Result<Vec<DeadlineLine>> {
    let ids = collaborations_of(db, partner_id).await?;
    let rows = collaboration::Entity::find()
        .filter(collaboration::Column::Id.is_in(ids))
        .filter(
            collaboration::Column::Status.is_not_in([CollaborationStatus::Completed, CollaborationStatus::Withdrawn]),
        )
        .filter(collaboration::Column::BidDeadline.gte(today))
        .filter(collaboration::Column::BidDeadline.lte(today + Duration::days(DEADLINE_REMINDERS[0])))
        .order_by_asc(collaboration::Column::BidDeadline)
        .limit(SECTION_LINES)
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(|c| {
            let due_on = c.bid_deadline?;
            Some(DeadlineLine {
                days_left: (due_on - today).num_days(),
                url: describe::collaboration_url(links, c.id),
                due_on,
                title: c.title,
            })
        })
        .collect())
}

/// The network's figures for the period.
async fn figures(db: &impl ConnectionTrait, since: DateTime<Utc>, until: DateTime<Utc>) -> Result<PeriodFigures> {
    let threads_posted = thread::Entity::find()
        .filter(thread::Column::CreatedAt.gt(since))
        .filter(thread::Column::CreatedAt.lte(until))
        .count(db)
        .await?;
    let replies_posted = reply::Entity::find()
        .filter(reply::Column::CreatedAt.gt(since))
        .filter(reply::Column::CreatedAt.lte(until))
        .count(db)
        .await?;
    let questions_answered = thread::Entity::find()
        .filter(thread::Column::Status.eq(ThreadStatus::Answered))
        .filter(thread::Column::UpdatedAt.gt(since))
        .filter(thread::Column::UpdatedAt.lte(until))
        .count(db)
        .await?;
    let collaborations_proposed = collaboration::Entity::find()
        .filter(collaboration::Column::CreatedAt.gt(since))
        .filter(collaboration::Column::CreatedAt.lte(until))
        .count(db)
        .await?;
    Ok(PeriodFigures { threads_posted, replies_posted, questions_answered, collaborations_proposed })
}

async fn partner_names(db: &impl ConnectionTrait, ids: impl Iterator<Item = i64>) -> Result<HashMap<i64, String>> {
    let ids: HashSet<i64> = ids.collect();
    Ok(partner::Entity::find()
        .filter(partner::Column::Id.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|p| (p.id, p.name))
        .collect())
}

/// A day's reminders: a notification for each collaboration under way whose bid is due
/// within 14 days (and again within 3), once per collaboration, deadline and reminder.
pub async fn run_deadlines(write: &Write<'_>, today: NaiveDate) -> Result<usize> {
    let rows = collaboration::Entity::find()
        .filter(
            collaboration::Column::Status.is_not_in([CollaborationStatus::Completed, CollaborationStatus::Withdrawn]),
        )
        .filter(collaboration::Column::BidDeadline.gte(today))
        .filter(collaboration::Column::BidDeadline.lte(today + Duration::days(DEADLINE_REMINDERS[0])))
        .all(&**write)
        .await?;
    let mut announced = 0;
    for row in rows {
        let Some(due_on) = row.bid_deadline else { continue };
        let left = (due_on - today).num_days();
        let reminder = if left <= DEADLINE_REMINDERS[1] { DEADLINE_REMINDERS[1] } else { DEADLINE_REMINDERS[0] };
        announce_by(write, Source::DeadlineNear { collaboration_id: row.id, due_on, days: reminder }, None).await?;
        announced += 1;
    }
    Ok(announced)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        text.parse().expect("a moment")
    }

    #[test]
    fn the_latest_slot_is_the_last_digest_hour_that_has_begun() {
        let schedule = Schedule { hour: 7, weekday: Weekday::Mon };
        // Wednesday 2 December 2026, 06:30 GMT: today's 07:00 has not begun.
        let (date, moment) = latest_slot(at("2026-12-02T06:30:00Z"), schedule, DigestCadence::Daily);
        assert_eq!((date.to_string(), moment), ("2026-12-01".to_owned(), at("2026-12-01T07:00:00Z")));
        let (date, _) = latest_slot(at("2026-12-02T07:00:00Z"), schedule, DigestCadence::Daily);
        assert_eq!(date.to_string(), "2026-12-02");
        let (date, moment) = latest_slot(at("2026-12-02T07:00:00Z"), schedule, DigestCadence::Weekly);
        assert_eq!((date.to_string(), moment), ("2026-11-30".to_owned(), at("2026-11-30T07:00:00Z")));
        // In summer 07:00 London is 06:00 UTC.
        let (_, moment) = latest_slot(at("2026-07-01T06:30:00Z"), schedule, DigestCadence::Daily);
        assert_eq!(moment, at("2026-07-01T06:00:00Z"));
    }
}
