//! Who is told of a change, and how it reaches them: the body of the `notify` job.
//!
//! Runs in the job's own write, after the change committed. Each member is told once per
//! change — as the thread's author rather than also as a follower — and never of their
//! own doing; suspended, erased and bot accounts are told nothing. Each notification is
//! then delivered as its member prefers: an e-mail queued in the outbox now, a Discord
//! message queued for the bot, or nothing more until the digest.

use std::collections::HashMap;

use lkn_entity::vocabulary::{Cadence, JoinStatus, MemberRole, NotificationKind};
use lkn_entity::{
    collaboration, collaboration_participant, follow, member, member_expertise, notification, tag, thread, thread_tag,
};
use sea_orm::sea_query::OnConflict;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect, Set};

use super::preferences::{self, Preference};
use super::{Announcement, Source, describe, discord, unsubscribe};
use crate::error::Result;
use crate::events::Event;
use crate::mail::Links;
use crate::mail::notices::{self, NoticeWhat, Recipient};
use crate::service::outbox;
use crate::service::write::Write;

/// What every notification of one change shares.
#[derive(Debug, Clone, Default)]
struct Subject {
    thread_id: Option<i64>,
    reply_id: Option<i64>,
    collaboration_id: Option<i64>,
    partner_id: Option<i64>,
}

/// Rows inserted per statement (well inside both databases' parameter limits).
const INSERT_CHUNK: usize = 200;

/// Tells everyone `announcement` concerns, as part of `write`; how many were told.
pub async fn run(write: &Write<'_>, announcement: &Announcement, links: &Links) -> Result<usize> {
    let txn = &**write;
    let Some((subject, audience)) = audience(txn, &announcement.source).await? else {
        return Ok(0);
    };
    // First kind wins: the author hears "a reply on your thread", not also "on a thread you follow".
    let mut seen = std::collections::HashSet::new();
    let mut told: Vec<(i64, NotificationKind, NoticeWhat)> = Vec::new();
    for (member_id, kind, what) in audience {
        if Some(member_id) != announcement.actor_id && seen.insert(member_id) {
            told.push((member_id, kind, what));
        }
    }
    let ids: Vec<i64> = told.iter().map(|(m, _, _)| *m).collect();
    let members: HashMap<i64, member::Model> = active_members(txn, &ids).await?;
    let preferences = preferences::for_members(txn, &ids).await?;
    let source_key = announcement.source.key();
    let now = write.now();
    let mut rows = Vec::new();
    for (member_id, kind, what) in &told {
        let Some(preference) = preferences.get(member_id).and_then(|kinds| kinds.get(kind)) else { continue };
        if !members.contains_key(member_id) || preference.is_off() {
            continue;
        }
        rows.push(notification::ActiveModel {
            member_id: Set(*member_id),
            kind: Set(*kind),
            what: Set(describe::stored_what(what)),
            source_key: Set(source_key.clone()),
            thread_id: Set(subject.thread_id),
            reply_id: Set(subject.reply_id),
            collaboration_id: Set(subject.collaboration_id),
            actor_id: Set(announcement.actor_id),
            partner_id: Set(subject.partner_id),
            created_at: Set(now),
            read_at: Set(None),
            ..Default::default()
        });
    }
    for chunk in rows.chunks(INSERT_CHUNK) {
        notification::Entity::insert_many(chunk.to_vec())
            .on_conflict(
                OnConflict::columns([notification::Column::MemberId, notification::Column::SourceKey])
                    .do_nothing()
                    .to_owned(),
            )
            .exec_without_returning(txn)
            .await?;
    }
    let stored = notification::Entity::find()
        .filter(notification::Column::SourceKey.eq(source_key.as_str()))
        .filter(notification::Column::CreatedAt.eq(now))
        .all(txn)
        .await?;
    let words = describe::notices(txn, &stored, links).await?;
    for (row, notice) in stored.iter().zip(words) {
        let (Some(member), Some(preference)) =
            (members.get(&row.member_id), preferences.get(&row.member_id).and_then(|kinds| kinds.get(&row.kind)))
        else {
            continue;
        };
        deliver(write, row, member, preference, &notice, links).await?;
    }
    if let (Some(first_id), Some(last_id)) = (stored.iter().map(|r| r.id).min(), stored.iter().map(|r| r.id).max()) {
        write.stage(Event::NotificationsCreated { first_id, last_id }).await?;
    }
    Ok(stored.len())
}

/// Queues what `row` sends at once: a Discord message when the member has Discord on for
/// its kind and can receive one; an e-mail when they chose e-mail at once, or when Discord
/// was their choice but they closed their DMs and e-mail is not off.
async fn deliver(
    write: &Write<'_>,
    row: &notification::Model,
    member: &member::Model,
    preference: &Preference,
    notice: &notices::Notice,
    links: &Links,
) -> Result<()> {
    let wants_discord = preference.discord == Cadence::Immediately;
    let discord_open = member.discord_user_id.is_some() && member.discord_dms_closed_at.is_none();
    if wants_discord && discord_open {
        discord::queue(write, row).await?;
    }
    let instead_of_discord = wants_discord && member.discord_dms_closed_at.is_some();
    let email_now =
        preference.email == Cadence::Immediately || (instead_of_discord && preference.email != Cadence::Never);
    if email_now {
        email(write, row, member, notice, links).await?;
    }
    Ok(())
}

/// Queues the e-mail for one notification, with its one-click unsubscribe link.
pub async fn email(
    write: &Write<'_>,
    row: &notification::Model,
    member: &member::Model,
    notice: &notices::Notice,
    links: &Links,
) -> Result<()> {
    let unsubscribe_url = unsubscribe::issue(write, member.id, unsubscribe::Scope::Kind(row.kind), links).await?;
    let recipient = Recipient {
        email: &member.email,
        member_id: member.id,
        name: &member.display_name,
        preferred: member.preferred_language,
    };
    let letter = notices::notification_letter(&recipient, notice, unsubscribe_url, links);
    outbox::enqueue(write, &format!("notification:{}", row.id), letter).await?;
    Ok(())
}

/// Members among `ids` who may be told anything: not suspended, not erased, not the bot.
async fn active_members(db: &impl ConnectionTrait, ids: &[i64]) -> Result<HashMap<i64, member::Model>> {
    let mut found = HashMap::new();
    for chunk in ids.chunks(500) {
        let rows = member::Entity::find()
            .filter(member::Column::Id.is_in(chunk.to_vec()))
            .filter(member::Column::SuspendedAt.is_null())
            .filter(member::Column::ErasedAt.is_null())
            .filter(member::Column::Role.ne(MemberRole::Bot))
            .all(db)
            .await?;
        found.extend(rows.into_iter().map(|m| (m.id, m)));
    }
    Ok(found)
}

type Audience = Vec<(i64, NotificationKind, NoticeWhat)>;

/// Who `source` concerns, in order of precedence, and what their notifications share;
/// `None` when its thread or collaboration is gone.
async fn audience(db: &impl ConnectionTrait, source: &Source) -> Result<Option<(Subject, Audience)>> {
    let followers_of = async |thread_id: i64, what: NoticeWhat| -> Result<Audience> {
        let ids: Vec<i64> = follow::Entity::find()
            .select_only()
            .column(follow::Column::MemberId)
            .filter(follow::Column::ThreadId.eq(thread_id))
            .into_tuple()
            .all(db)
            .await?;
        Ok(ids.into_iter().map(|id| (id, NotificationKind::FollowedThreadChanged, what.clone())).collect())
    };
    Ok(Some(match source {
        Source::Reply { thread_id, reply_id } => {
            let Some(thread) = thread::Entity::find_by_id(*thread_id).one(db).await? else { return Ok(None) };
            let mut told = vec![(thread.author_id, NotificationKind::ReplyOnYourThread, NoticeWhat::Replied)];
            for (id, _, what) in followers_of(thread.id, NoticeWhat::Replied).await? {
                told.push((id, NotificationKind::ReplyOnFollowedThread, what));
            }
            (Subject { thread_id: Some(thread.id), reply_id: Some(*reply_id), ..Subject::default() }, told)
        }
        Source::AnswerAccepted { thread_id, reply_id } => (
            Subject { thread_id: Some(*thread_id), reply_id: Some(*reply_id), ..Subject::default() },
            followers_of(*thread_id, NoticeWhat::AnswerAccepted).await?,
        ),
        Source::Edited { thread_id, .. } => (
            Subject { thread_id: Some(*thread_id), ..Subject::default() },
            followers_of(*thread_id, NoticeWhat::Edited).await?,
        ),
        Source::Closed { thread_id } => (
            Subject { thread_id: Some(*thread_id), ..Subject::default() },
            followers_of(*thread_id, NoticeWhat::Closed).await?,
        ),
        Source::Endorsed { thread_id, partner_id } => {
            let Some(thread) = thread::Entity::find_by_id(*thread_id).one(db).await? else { return Ok(None) };
            let told = if thread.partner_id == *partner_id {
                Vec::new()
            } else {
                vec![(thread.author_id, NotificationKind::Endorsement, NoticeWhat::Endorsed)]
            };
            (Subject { thread_id: Some(thread.id), partner_id: Some(*partner_id), ..Subject::default() }, told)
        }
        Source::JoinRequested { collaboration_id, partner_id } => {
            let Some(collaboration) = collaboration::Entity::find_by_id(*collaboration_id).one(db).await? else {
                return Ok(None);
            };
            let told = coordinators(db, &[collaboration.lead_partner_id])
                .await?
                .into_iter()
                .map(|id| (id, NotificationKind::JoinRequest, NoticeWhat::AskedToJoin))
                .collect();
            (
                Subject {
                    collaboration_id: Some(collaboration.id),
                    partner_id: Some(*partner_id),
                    ..Subject::default()
                },
                told,
            )
        }
        Source::JoinDecided { collaboration_id, partner_id, accepted } => {
            let what = if *accepted { NoticeWhat::JoinAccepted } else { NoticeWhat::JoinDeclined };
            let asked_by: Option<Option<i64>> = collaboration_participant::Entity::find()
                .select_only()
                .column(collaboration_participant::Column::RequestedById)
                .filter(collaboration_participant::Column::CollaborationId.eq(*collaboration_id))
                .filter(collaboration_participant::Column::PartnerId.eq(*partner_id))
                .into_tuple()
                .one(db)
                .await?;
            let mut told: Audience =
                asked_by.flatten().into_iter().map(|id| (id, NotificationKind::JoinDecision, what.clone())).collect();
            for id in coordinators(db, &[*partner_id]).await? {
                told.push((id, NotificationKind::JoinDecision, what.clone()));
            }
            (
                Subject {
                    collaboration_id: Some(*collaboration_id),
                    partner_id: Some(*partner_id),
                    ..Subject::default()
                },
                told,
            )
        }
        Source::StatusChanged { collaboration_id, status } => {
            let Some(told) = involved(db, *collaboration_id).await? else { return Ok(None) };
            let what = NoticeWhat::StatusChanged(*status);
            (
                Subject { collaboration_id: Some(*collaboration_id), ..Subject::default() },
                told.into_iter().map(|id| (id, NotificationKind::CollaborationStatus, what.clone())).collect(),
            )
        }
        Source::DeadlineNear { collaboration_id, due_on, .. } => {
            let Some(told) = involved(db, *collaboration_id).await? else { return Ok(None) };
            // The reminder is keyed by 14 or 3; it says how many days are really left.
            let days = (*due_on - super::digest::london_today(chrono::Utc::now())).num_days();
            let what = NoticeWhat::DeadlineIn { days };
            (
                Subject { collaboration_id: Some(*collaboration_id), ..Subject::default() },
                told.into_iter().map(|id| (id, NotificationKind::BidDeadline, what.clone())).collect(),
            )
        }
        Source::QuestionPosted { thread_id } => {
            let tag_ids: Vec<i64> = thread_tag::Entity::find()
                .select_only()
                .column(thread_tag::Column::TagId)
                .filter(thread_tag::Column::ThreadId.eq(*thread_id))
                .into_tuple()
                .all(db)
                .await?;
            let tags: Vec<String> = tag::Entity::find()
                .select_only()
                .column(tag::Column::Name)
                .filter(tag::Column::Id.is_in(tag_ids))
                .into_tuple()
                .all(db)
                .await?;
            let ids: Vec<i64> = member_expertise::Entity::find()
                .select_only()
                .column(member_expertise::Column::MemberId)
                .distinct()
                .filter(member_expertise::Column::Tag.is_in(tags))
                .into_tuple()
                .all(db)
                .await?;
            (
                Subject { thread_id: Some(*thread_id), ..Subject::default() },
                ids.into_iter()
                    .map(|id| (id, NotificationKind::QuestionInYourExpertise, NoticeWhat::NewQuestion))
                    .collect(),
            )
        }
    }))
}

/// The coordinators of `partner_ids`.
async fn coordinators(db: &impl ConnectionTrait, partner_ids: &[i64]) -> Result<Vec<i64>> {
    Ok(member::Entity::find()
        .select_only()
        .column(member::Column::Id)
        .filter(member::Column::PartnerId.is_in(partner_ids.to_vec()))
        .filter(member::Column::Role.eq(MemberRole::Coordinator))
        .into_tuple()
        .all(db)
        .await?)
}

/// Who is involved in a collaboration: whoever proposed it, and the coordinators of its
/// lead partner and of every partner accepted into it.
async fn involved(db: &impl ConnectionTrait, collaboration_id: i64) -> Result<Option<Vec<i64>>> {
    let Some(collaboration) = collaboration::Entity::find_by_id(collaboration_id).one(db).await? else {
        return Ok(None);
    };
    let mut partners: Vec<i64> = collaboration_participant::Entity::find()
        .select_only()
        .column(collaboration_participant::Column::PartnerId)
        .filter(collaboration_participant::Column::CollaborationId.eq(collaboration_id))
        .filter(collaboration_participant::Column::JoinStatus.eq(JoinStatus::Accepted))
        .into_tuple()
        .all(db)
        .await?;
    partners.push(collaboration.lead_partner_id);
    let mut told = vec![collaboration.proposed_by_id];
    told.extend(coordinators(db, &partners).await?);
    Ok(Some(told))
}
