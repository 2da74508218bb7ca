//! `lkn-api seed demo --threads N`: a deterministic, realistic demo network for trying
//! the product and for benchmarks.
//!
//! The same N always gives the same data: a fixed-seed generator picks members, topics,
//! languages and dates. Rows are written in large multi-row inserts inside one
//! transaction with ids assigned here, so that the denormalised counters (reply counts,
//! accepted answers, endorsements) are right from the start and 50,000 threads take
//! seconds, not minutes.

use chrono::{Duration, NaiveDate, TimeZone, Utc};
use lkn_entity::vocabulary::*;
use lkn_entity::{
    collaboration, collaboration_outcome, collaboration_participant, endorsement, follow, member, member_expertise,
    partner, reply, tag, thread, thread_tag,
};

use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    Set, TransactionSession, TransactionTrait,
};

use super::words::*;
use crate::error::{Result, ServiceError};

/// The e-mail domain of demo members, which marks a database as already holding demo data.
pub const DEMO_EMAIL_DOMAIN: &str = "demo.lkn.example";

/// What `seed_demo` wrote.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DemoSummary {
    /// Members created.
    pub members: usize,
    /// Threads created.
    pub threads: usize,
    /// Replies created.
    pub replies: usize,
    /// Endorsements created.
    pub endorsements: usize,
    /// Collaborations created.
    pub collaborations: usize,
    /// Outcomes recorded.
    pub outcomes: usize,
}

/// SplitMix64: tiny, fast and the same on every platform, which is all a demo needs.
struct Dice(u64);

impl Dice {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// Inserts rows in slices small enough for both databases' parameter limits.
async fn insert_chunked<A>(db: &impl ConnectionTrait, rows: Vec<A>, per_statement: usize) -> Result<()>
where
    A: ActiveModelTrait + Send,
{
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let chunk: Vec<A> = rows.by_ref().take(per_statement).collect();
        A::Entity::insert_many(chunk).exec_without_returning(db).await?;
    }
    Ok(())
}

/// The next free id of a table, so rows can be written with known ids.
async fn next_id(db: &impl ConnectionTrait, table: &str) -> Result<i64> {
    let backend = db.get_database_backend();
    let row = db
        .query_one_raw(sea_orm::Statement::from_string(
            backend,
            format!("SELECT COALESCE(MAX(id), 0) + 1 FROM {table}"),
        ))
        .await?
        .ok_or_else(|| ServiceError::Internal("MAX(id) returned no row".into()))?;
    Ok(row.try_get_by_index::<i64>(0)?)
}

/// After writing explicit ids, moves PostgreSQL's identity sequences past them.
async fn resync_sequences(db: &impl ConnectionTrait) -> Result<()> {
    if db.get_database_backend() != DbBackend::Postgres {
        return Ok(());
    }
    for table in ["members", "threads", "replies", "tags", "collaborations", "collaboration_outcomes"] {
        db.execute_unprepared(&format!(
            "SELECT setval(pg_get_serial_sequence('{table}', 'id'), GREATEST((SELECT MAX(id) FROM {table}), 1))"
        ))
        .await?;
    }
    Ok(())
}

/// Writes the demo network scaled to `thread_count` threads. Refuses to run twice on one
/// database, so a repeated command never duplicates anything.
#[tracing::instrument(skip(db))]
pub async fn seed_demo(db: &impl TransactionTrait, thread_count: usize) -> Result<DemoSummary> {
    let txn = db.begin().await?;
    let already =
        member::Entity::find().filter(member::Column::Email.like(format!("%@{DEMO_EMAIL_DOMAIN}"))).count(&txn).await?;
    if already > 0 {
        return Err(ServiceError::BadRequest(
            "this database already holds the demo data set; use a fresh database to seed another".into(),
        ));
    }
    let partners = partner::Entity::find().order_by_asc(partner::Column::Id).all(&txn).await?;
    if partners.is_empty() {
        return Err(ServiceError::BadRequest("seed the network's partners first (`lkn-api migrate` does)".into()));
    }
    let mut dice = Dice(0x4C4B_4E00 ^ thread_count as u64);
    let mut summary = DemoSummary::default();
    // Spread activity over the two years up to 1 November 2026.
    let end = Utc.with_ymd_and_hms(2026, 11, 1, 9, 0, 0).single().unwrap_or_else(Utc::now);
    let start = end - Duration::days(730);
    let span_seconds = (end - start).num_seconds();

    // Members: a coordinator and several staff at every partner.
    let per_partner = (thread_count / 2_500).clamp(3, 40);
    let mut member_id = next_id(&txn, "members").await?;
    let mut members: Vec<member::Model> = Vec::new();
    for (p, partner) in partners.iter().enumerate() {
        for i in 0..=per_partner {
            let first = FIRST_NAMES[(p * 7 + i * 3) % FIRST_NAMES.len()];
            let last = LAST_NAMES[(p * 5 + i * 11) % LAST_NAMES.len()];
            members.push(member::Model {
                id: member_id,
                partner_id: partner.id,
                email: format!(
                    "{}.{}.{}@{}.{DEMO_EMAIL_DOMAIN}",
                    first.to_lowercase(),
                    last.to_lowercase(),
                    i,
                    partner.slug
                ),
                display_name: format!("{first} {last}"),
                role: if i == 0 { MemberRole::Coordinator } else { MemberRole::Member },
                discord_user_id: None,
                created_at: start,
                suspended_at: None,
                bio: None,
                languages: if partner.nation == Nation::Wales { "EN,CY" } else { "EN" }.to_owned(),
                preferred_language: Language::English,
                erased_at: None,
                discord_dms_closed_at: None,
            });
            member_id += 1;
        }
    }
    // Expertise: every member leads one or two topics and says so in their profile; on a
    // thread about one of them, half the replies come from those who lead it, and the
    // asker mostly accepts their answer, so "who knows about X?" finds them. A dice of
    // its own, so everything else (threads, dates, counts) is drawn exactly as before.
    let mut knowing = Dice(0x4B4E_4F57 ^ thread_count as u64);
    let mut experts: std::collections::HashMap<&str, Vec<usize>> = std::collections::HashMap::new();
    let mut declared = Vec::new();
    for (i, m) in members.iter_mut().enumerate() {
        let (phrase, tags) = knowing.pick(TOPICS);
        let partner_name = partners.iter().find(|p| p.id == m.partner_id).map_or("", |p| p.name.as_str());
        m.bio = Some(format!("Leads {phrase} at {partner_name}."));
        let mut topics = vec![tags[0]];
        if knowing.chance(50) {
            let (_, more) = knowing.pick(TOPICS);
            if more[0] != tags[0] {
                topics.push(more[0]);
            }
        }
        for tag in topics {
            experts.entry(tag).or_default().push(i);
            declared.push(member_expertise::ActiveModel {
                member_id: Set(m.id),
                tag: Set(tag.to_owned()),
                created_at: Set(start),
            });
        }
    }
    let coordinators: Vec<&member::Model> = members.iter().filter(|m| m.role == MemberRole::Coordinator).collect();
    summary.members = members.len();
    insert_chunked(&txn, members.iter().cloned().map(member::ActiveModel::from).collect(), 500).await?;
    insert_chunked(&txn, declared, 1_000).await?;

    // Tags.
    let mut tag_ids = std::collections::HashMap::new();
    let mut tag_id = next_id(&txn, "tags").await?;
    let existing: std::collections::HashMap<String, i64> =
        tag::Entity::find().all(&txn).await?.into_iter().map(|t| (t.name, t.id)).collect();
    let mut new_tags = Vec::new();
    for name in TAGS {
        if let Some(id) = existing.get(*name) {
            tag_ids.insert(*name, *id);
        } else {
            tag_ids.insert(*name, tag_id);
            new_tags.push(tag::ActiveModel { id: Set(tag_id), name: Set((*name).to_owned()) });
            tag_id += 1;
        }
    }
    if !new_tags.is_empty() {
        insert_chunked(&txn, new_tags, 500).await?;
    }

    // Threads with their replies, tags, endorsements and follows.
    let mut thread_id = next_id(&txn, "threads").await?;
    let first_thread_id = thread_id;
    let mut reply_id = next_id(&txn, "replies").await?;
    let (mut threads, mut replies, mut thread_tags, mut endorsements, mut follows) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let mut idea_threads = Vec::new();
    for n in 0..thread_count {
        let author = &members[dice.below(members.len())];
        let author_partner = partners.iter().find(|p| p.id == author.partner_id).unwrap_or(&partners[0]);
        let kind = match dice.below(100) {
            0..=49 => ThreadKind::Question,
            50..=74 => ThreadKind::Idea,
            _ => ThreadKind::Resource,
        };
        let (topic, topic_tags) = dice.pick(TOPICS);
        let welsh_partner = author_partner.nation == Nation::Wales;
        let language = match dice.below(100) {
            0..=39 if welsh_partner => Language::Welsh,
            0..=3 => Language::Welsh,
            4..=5 if author_partner.nation == Nation::Scotland => Language::ScottishGaelic,
            6 if author_partner.nation == Nation::NorthernIreland => Language::Irish,
            _ => Language::English,
        };
        let (title, body) = match language {
            Language::Welsh => (dice.pick(WELSH_TITLES).to_string(), WELSH_BODY.to_owned()),
            Language::ScottishGaelic => {
                (dice.pick(GAELIC_TITLES).to_string(), format!("{} {}", dice.pick(OPENINGS), dice.pick(CLOSINGS)))
            }
            Language::Irish => {
                (dice.pick(IRISH_TITLES).to_string(), format!("{} {}", dice.pick(OPENINGS), dice.pick(CLOSINGS)))
            }
            Language::English => {
                let template = match kind {
                    ThreadKind::Question => dice.pick(QUESTION_TEMPLATES),
                    ThreadKind::Idea => dice.pick(IDEA_TEMPLATES),
                    ThreadKind::Resource => dice.pick(RESOURCE_TEMPLATES),
                };
                let body = format!(
                    "{}\n\n{} {}\n\n{}",
                    dice.pick(OPENINGS),
                    dice.pick(MIDDLES),
                    dice.pick(MIDDLES),
                    dice.pick(CLOSINGS)
                );
                (template.replace("{t}", topic), body)
            }
        };
        let created_at = start + Duration::seconds(span_seconds * n as i64 / thread_count.max(1) as i64);
        let visibility = if dice.chance(60) { Visibility::Public } else { Visibility::Network };
        let reply_total = match kind {
            ThreadKind::Question => dice.below(6),
            _ => dice.below(4),
        };
        let mut thread_replies = Vec::new();
        let mut at = created_at;
        for _ in 0..reply_total {
            at += Duration::minutes(30 + dice.below(60 * 72) as i64);
            let drawn = dice.below(members.len());
            let replier = match experts.get(topic_tags[0]) {
                Some(knowers) if knowing.chance(50) => &members[knowers[knowing.below(knowers.len())]],
                _ => &members[drawn],
            };
            thread_replies.push(reply::Model {
                id: reply_id,
                thread_id,
                author_id: replier.id,
                body: dice.pick(REPLIES).to_string(),
                is_accepted: false,
                created_at: at,
            });
            reply_id += 1;
        }
        let mut status = ThreadStatus::Open;
        let mut accepted_reply_id = None;
        if kind == ThreadKind::Question && !thread_replies.is_empty() && dice.chance(60) {
            let mut chosen = dice.below(thread_replies.len());
            // The asker accepts the answer of someone who knows the topic, when there is one.
            let knowers = experts.get(topic_tags[0]).map_or(&[][..], Vec::as_slice);
            if let Some(best) =
                thread_replies.iter().position(|r| knowers.iter().any(|k| members[*k].id == r.author_id))
                && knowing.chance(70)
            {
                chosen = best;
            }
            thread_replies[chosen].is_accepted = true;
            accepted_reply_id = Some(thread_replies[chosen].id);
            status = ThreadStatus::Answered;
        } else if dice.chance(5) {
            status = ThreadStatus::Closed;
        }
        let endorsers = dice.below(4);
        let mut endorsing_members = std::collections::BTreeSet::new();
        for _ in 0..endorsers {
            endorsing_members.insert(dice.below(members.len()));
        }
        let endorsing_partners: std::collections::BTreeSet<i64> =
            endorsing_members.iter().map(|i| members[*i].partner_id).collect();
        for i in &endorsing_members {
            endorsements.push(endorsement::ActiveModel {
                thread_id: Set(thread_id),
                member_id: Set(members[*i].id),
                partner_id: Set(members[*i].partner_id),
                created_at: Set(created_at + Duration::hours(1)),
            });
        }
        follows.push(follow::ActiveModel {
            thread_id: Set(thread_id),
            member_id: Set(author.id),
            created_at: Set(created_at),
        });
        let mut names: Vec<&str> = topic_tags.to_vec();
        if dice.chance(30) {
            names.push(*dice.pick(TAGS));
        }
        if language == Language::Welsh && !names.contains(&"welsh-language") {
            names.push("welsh-language");
        }
        names.sort_unstable();
        names.dedup();
        names.truncate(5);
        for name in names {
            thread_tags.push(thread_tag::ActiveModel { thread_id: Set(thread_id), tag_id: Set(tag_ids[name]) });
        }
        if kind == ThreadKind::Idea {
            idea_threads.push((thread_id, visibility));
        }
        threads.push(thread::ActiveModel::from(thread::Model {
            id: thread_id,
            kind,
            title_folded: crate::service::threads::fold_title(&title),
            title,
            body,
            language,
            status,
            visibility,
            author_id: author.id,
            partner_id: author.partner_id,
            accepted_reply_id,
            reply_count: thread_replies.len() as i32,
            endorsement_count: endorsing_members.len() as i32,
            endorsing_partner_count: endorsing_partners.len() as i32,
            version: 1,
            created_at,
            updated_at: thread_replies.last().map_or(created_at, |r| r.created_at),
            last_activity_at: thread_replies.last().map_or(created_at, |r| r.created_at),
            first_reply_at: thread_replies.first().map(|r| r.created_at),
        }));
        summary.replies += thread_replies.len();
        replies.extend(thread_replies.into_iter().map(reply::ActiveModel::from));
        thread_id += 1;
        if threads.len() >= 2_000 {
            flush(&txn, &mut threads, &mut replies, &mut thread_tags, &mut endorsements, &mut follows, &mut summary)
                .await?;
        }
    }
    flush(&txn, &mut threads, &mut replies, &mut thread_tags, &mut endorsements, &mut follows, &mut summary).await?;
    summary.threads = thread_count;

    // Collaborations in every status, with participants and outcomes.
    let statuses = [
        CollaborationStatus::Proposed,
        CollaborationStatus::SeekingPartners,
        CollaborationStatus::Active,
        CollaborationStatus::Completed,
        CollaborationStatus::Withdrawn,
    ];
    let collaboration_count = (thread_count / 250).max(10);
    let mut collaboration_id = next_id(&txn, "collaborations").await?;
    let first_collaboration_id = collaboration_id;
    let (mut collaborations, mut participants, mut outcomes) = (Vec::new(), Vec::new(), Vec::new());
    for n in 0..collaboration_count {
        let lead = coordinators[dice.below(coordinators.len())];
        let (title, kind) = dice.pick(COLLABORATION_TITLES);
        let status = statuses[n % statuses.len()];
        let created_at = start + Duration::seconds(span_seconds * n as i64 / collaboration_count as i64);
        let starts_on = created_at.date_naive() + Duration::days(60 + dice.below(120) as i64);
        let ends_on = starts_on + Duration::days(30 + dice.below(300) as i64);
        let origin = (n % 3 == 0 && !idea_threads.is_empty()).then(|| idea_threads[dice.below(idea_threads.len())]);
        let visibility = origin.map_or_else(
            || {
                if dice.chance(70) { Visibility::Public } else { Visibility::Network }
            },
            |(_, v)| v,
        );
        let funding = *kind == CollaborationKind::FundingApplication || dice.chance(30);
        collaborations.push(collaboration::ActiveModel::from(collaboration::Model {
            id: collaboration_id,
            kind: *kind,
            title: format!("{title} {}", 2025 + (n % 3)),
            summary: format!(
                "{} Partners will share planning, publicity and evaluation. {}",
                dice.pick(OPENINGS),
                dice.pick(CLOSINGS)
            ),
            status,
            visibility,
            lead_partner_id: lead.partner_id,
            proposed_by_id: lead.id,
            origin_thread_id: origin.map(|(id, _)| id),
            starts_on: Some(starts_on),
            ends_on: Some(ends_on),
            bid_deadline: funding.then(|| starts_on - Duration::days(45)),
            funder: funding.then(|| dice.pick(FUNDERS).to_string()),
            budget_pence: funding.then(|| (5_000 + dice.below(95_000) as i64) * 100),
            version: 1,
            created_at,
            updated_at: created_at,
        }));
        participants.push(collaboration_participant::ActiveModel::from(collaboration_participant::Model {
            collaboration_id,
            partner_id: lead.partner_id,
            role: ParticipantRole::Lead,
            join_status: JoinStatus::Accepted,
            requested_by_id: Some(lead.id),
            requested_at: created_at,
            decided_at: Some(created_at),
        }));
        let mut joined = vec![lead.partner_id];
        for _ in 0..(1 + dice.below(4)) {
            let other = coordinators[dice.below(coordinators.len())];
            if joined.contains(&other.partner_id) {
                continue;
            }
            joined.push(other.partner_id);
            let join_status = match status {
                CollaborationStatus::Proposed | CollaborationStatus::SeekingPartners if dice.chance(50) => {
                    JoinStatus::Requested
                }
                _ if dice.chance(10) => JoinStatus::Declined,
                _ => JoinStatus::Accepted,
            };
            participants.push(collaboration_participant::ActiveModel::from(collaboration_participant::Model {
                collaboration_id,
                partner_id: other.partner_id,
                role: if dice.chance(75) { ParticipantRole::Partner } else { ParticipantRole::Supporter },
                join_status,
                requested_by_id: Some(other.id),
                requested_at: created_at + Duration::days(2),
                decided_at: (join_status != JoinStatus::Requested).then(|| created_at + Duration::days(5)),
            }));
            if matches!(status, CollaborationStatus::Active | CollaborationStatus::Completed)
                && join_status == JoinStatus::Accepted
            {
                outcomes.push(outcome(&mut dice, collaboration_id, other, starts_on));
            }
        }
        if matches!(status, CollaborationStatus::Active | CollaborationStatus::Completed) {
            outcomes.push(outcome(&mut dice, collaboration_id, lead, starts_on));
        }
        collaboration_id += 1;
    }
    summary.collaborations = collaborations.len();
    summary.outcomes = outcomes.len();
    insert_chunked(&txn, collaborations, 500).await?;
    insert_chunked(&txn, participants, 1_000).await?;
    insert_chunked(&txn, outcomes, 1_000).await?;
    resync_sequences(&txn).await?;
    crate::service::search::reindex_from(&txn, first_thread_id, first_collaboration_id).await?;
    txn.commit().await?;
    Ok(summary)
}

fn outcome(
    dice: &mut Dice,
    collaboration_id: i64,
    by: &member::Model,
    starts_on: NaiveDate,
) -> collaboration_outcome::ActiveModel {
    let estimated = dice.chance(30);
    let occurred_on = starts_on + Duration::days(dice.below(60) as i64);
    let recorded_at = occurred_on.and_hms_opt(17, 0, 0).map_or_else(Utc::now, |t| t.and_utc());
    collaboration_outcome::ActiveModel {
        collaboration_id: Set(collaboration_id),
        partner_id: Set(by.partner_id),
        recorded_by_id: Set(by.id),
        occurred_on: Set(occurred_on),
        attendance: Set(Some(20 + dice.below(400) as i64)),
        attendance_estimated: Set(estimated),
        reach: Set(dice.chance(50).then(|| 500 + dice.below(20_000) as i64)),
        note: Set(dice.pick(MIDDLES).to_string()),
        created_at: Set(recorded_at),
        ..Default::default()
    }
}

#[allow(clippy::too_many_arguments)]
async fn flush(
    db: &impl ConnectionTrait,
    threads: &mut Vec<thread::ActiveModel>,
    replies: &mut Vec<reply::ActiveModel>,
    thread_tags: &mut Vec<thread_tag::ActiveModel>,
    endorsements: &mut Vec<endorsement::ActiveModel>,
    follows: &mut Vec<follow::ActiveModel>,
    summary: &mut DemoSummary,
) -> Result<()> {
    summary.endorsements += endorsements.len();
    insert_chunked(db, std::mem::take(threads), 1_000).await?;
    insert_chunked(db, std::mem::take(replies), 2_000).await?;
    insert_chunked(db, std::mem::take(thread_tags), 5_000).await?;
    insert_chunked(db, std::mem::take(endorsements), 4_000).await?;
    insert_chunked(db, std::mem::take(follows), 5_000).await?;
    Ok(())
}
