//! "Who knows about X?": members ranked by what they have shown on a topic, with the
//! reasons in words, so that staff can find each other's expertise — the network's
//! first aim.
//!
//! A thread is on the topic when it carries the topic as a tag or its text matches the
//! topic by full-text search (its best [`MAX_SEARCH_DEPTH`] matches, as a search reaches).
//! Only threads the viewer may see count. On those threads a member scores
//! [`ACCEPTED_ANSWER`] for each accepted answer, [`REPLY`] for each other reply, and one
//! for each endorsement of a thread they posted; declaring the topic as expertise adds
//! [`DECLARED`]. Suspended and erased members and the bot are never named.

use std::collections::{BTreeMap, HashSet};

use lkn_entity::vocabulary::MemberRole;
use lkn_entity::{member, member_expertise, reply, tag, thread, thread_tag};
use sea_orm::sea_query::{Expr, ExprTrait, Query, SelectStatement};
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};

use crate::error::{Result, ServiceError};
use crate::service::input::Tag;
use crate::service::search::{self, MAX_SEARCH_DEPTH};
use crate::service::threads;
use crate::service::viewer::Viewer;

/// Points for an accepted answer on the topic.
pub const ACCEPTED_ANSWER: i64 = 5;
/// Points for any other reply on the topic.
pub const REPLY: i64 = 2;
/// Points for declaring the topic as expertise.
pub const DECLARED: i64 = 3;
/// Longest topic, in characters: a few words or a tag.
pub const MAX_TOPIC: usize = 200;

/// One member's standing on a topic.
#[derive(Debug, Clone)]
pub struct Expert {
    /// Who.
    pub member: member::Model,
    /// The points their signals add up to: higher ranks first.
    pub score: i64,
    /// Why, one sentence per signal ("3 accepted answers on storytime").
    pub reasons: Vec<String>,
}

/// What one member has shown on a topic.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Signals {
    accepted_answers: i64,
    replies: i64,
    endorsements: i64,
    declared: bool,
}

impl Signals {
    fn score(&self) -> i64 {
        self.accepted_answers * ACCEPTED_ANSWER
            + self.replies * REPLY
            + self.endorsements
            + if self.declared { DECLARED } else { 0 }
    }

    /// The signals as sentences, strongest first, naming the topic as `label`.
    fn reasons(&self, label: &str) -> Vec<String> {
        let mut reasons = Vec::new();
        if self.accepted_answers > 0 {
            reasons.push(counted(self.accepted_answers, "accepted answer", "accepted answers", label));
        }
        if self.replies > 0 {
            reasons.push(counted(self.replies, "reply", "replies", label));
        }
        if self.endorsements > 0 {
            reasons.push(counted(
                self.endorsements,
                "endorsement of their threads",
                "endorsements of their threads",
                label,
            ));
        }
        if self.declared {
            reasons.push(format!("declares {label}"));
        }
        reasons
    }
}

fn counted(n: i64, one: &str, many: &str, label: &str) -> String {
    format!("{n} {} on {label}", if n == 1 { one } else { many })
}

/// The topic as reasons name it: its tag when it is one, else the words as typed.
fn label(topic: &str, tag: Option<&Tag>) -> String {
    match tag {
        Some(tag) => tag.to_string(),
        None => topic.split_whitespace().collect::<Vec<_>>().join(" "),
    }
}

/// The ids of the threads on the topic that `viewer` may see, as a subquery.
fn topic_threads(viewer: &Viewer, matched: &[i64], tag_id: Option<i64>) -> SelectStatement {
    let mut on_topic = Condition::any().add(thread::Column::Id.is_in(matched.iter().copied()));
    if let Some(tag_id) = tag_id {
        on_topic = on_topic.add(
            thread::Column::Id.in_subquery(
                Query::select()
                    .column(thread_tag::Column::ThreadId)
                    .from(thread_tag::Entity)
                    .and_where(Expr::col(thread_tag::Column::TagId).eq(tag_id))
                    .to_owned(),
            ),
        );
    }
    Query::select()
        .column(thread::Column::Id)
        .from(thread::Entity)
        .cond_where(Condition::all().add(on_topic).add(threads::visible_to(viewer)))
        .to_owned()
}

/// The members who know most about `topic`, best first, at most `first`. Members and the
/// bot only: anonymous callers get the refusal every member-only read gives.
///
/// A fixed handful of statements whatever the topic: the text matches, the tag, replies
/// and endorsements grouped by member, declarations, and the members named.
#[tracing::instrument(skip(db, viewer))]
pub async fn who_knows(db: &impl ConnectionTrait, viewer: &Viewer, topic: &str, first: u64) -> Result<Vec<Expert>> {
    viewer.require_network()?;
    if topic.chars().count() > MAX_TOPIC {
        return Err(ServiceError::BadRequest(format!("a topic has at most {MAX_TOPIC} characters")));
    }
    let tag = Tag::parse(topic).ok();
    let label = label(topic, tag.as_ref());
    let matched = search::matching_thread_ids(db, viewer, topic, MAX_SEARCH_DEPTH).await?;
    let tag_id = match &tag {
        Some(tag) => tag::Entity::find().filter(tag::Column::Name.eq(tag.to_string())).one(db).await?.map(|t| t.id),
        None => None,
    };
    let mut signals: BTreeMap<i64, Signals> = BTreeMap::new();
    if !matched.is_empty() || tag_id.is_some() {
        let on_topic = topic_threads(viewer, &matched, tag_id);
        let replies: Vec<(i64, bool, i64)> = reply::Entity::find()
            .select_only()
            .column(reply::Column::AuthorId)
            .column(reply::Column::IsAccepted)
            .column_as(Expr::col(reply::Column::Id).count(), "n")
            .filter(reply::Column::ThreadId.in_subquery(on_topic.clone()))
            .group_by(reply::Column::AuthorId)
            .group_by(reply::Column::IsAccepted)
            .into_tuple()
            .all(db)
            .await?;
        for (member_id, accepted, n) in replies {
            let entry = signals.entry(member_id).or_default();
            if accepted {
                entry.accepted_answers += n;
            } else {
                entry.replies += n;
            }
        }
        let endorsed: Vec<(i64, i64)> = thread::Entity::find()
            .select_only()
            .column(thread::Column::AuthorId)
            .column_as(Expr::col(thread::Column::EndorsementCount).sum(), "n")
            .filter(thread::Column::Id.in_subquery(on_topic))
            .filter(thread::Column::EndorsementCount.gt(0))
            .group_by(thread::Column::AuthorId)
            .into_tuple()
            .all(db)
            .await?;
        for (member_id, n) in endorsed {
            signals.entry(member_id).or_default().endorsements += n;
        }
    }
    if let Some(tag) = &tag {
        let declared: Vec<i64> = member_expertise::Entity::find()
            .select_only()
            .column(member_expertise::Column::MemberId)
            .filter(member_expertise::Column::Tag.eq(tag.to_string()))
            .into_tuple()
            .all(db)
            .await?;
        for member_id in declared {
            signals.entry(member_id).or_default().declared = true;
        }
    }
    if signals.is_empty() {
        return Ok(Vec::new());
    }
    let named: HashSet<i64> = signals.keys().copied().collect();
    let members = member::Entity::find()
        .filter(member::Column::Id.is_in(named))
        .filter(member::Column::SuspendedAt.is_null())
        .filter(member::Column::ErasedAt.is_null())
        .filter(member::Column::Role.ne(MemberRole::Bot))
        .all(db)
        .await?;
    let mut experts: Vec<(Signals, member::Model)> =
        members.into_iter().filter_map(|m| signals.get(&m.id).map(|s| (*s, m))).collect();
    experts.sort_by(|(a, am), (b, bm)| {
        b.score().cmp(&a.score()).then(b.accepted_answers.cmp(&a.accepted_answers)).then(am.id.cmp(&bm.id))
    });
    Ok(experts
        .into_iter()
        .take(first as usize)
        .map(|(signals, member)| Expert { score: signals.score(), reasons: signals.reasons(&label), member })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepted_answers_weigh_most_and_declaring_adds_three() {
        let shown = Signals { accepted_answers: 2, replies: 3, endorsements: 4, declared: true };
        assert_eq!(shown.score(), 2 * 5 + 3 * 2 + 4 + 3);
        assert_eq!(Signals::default().score(), 0);
    }

    #[test]
    fn reasons_are_sentences_with_counts_strongest_first() {
        let shown = Signals { accepted_answers: 3, replies: 1, endorsements: 2, declared: true };
        assert_eq!(
            shown.reasons("storytime"),
            vec![
                "3 accepted answers on storytime",
                "1 reply on storytime",
                "2 endorsements of their threads on storytime",
                "declares storytime",
            ]
        );
        let one = Signals { accepted_answers: 1, ..Signals::default() };
        assert_eq!(one.reasons("storytime"), vec!["1 accepted answer on storytime"]);
    }

    #[test]
    fn a_topic_is_named_by_its_tag_or_by_its_words() {
        let tag = Tag::parse(" Story Time ").ok();
        assert_eq!(label(" Story Time ", tag.as_ref()), "story-time");
        assert_eq!(label("  café   events ", None), "café events");
    }
}
