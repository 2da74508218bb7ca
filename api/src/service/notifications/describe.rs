//! A notification put into words: the titles, names and link every channel shows (the
//! explorer's list, a Discord message, an e-mail, a digest), loaded for a batch of
//! notifications in a handful of queries.

use std::collections::{HashMap, HashSet};

use lkn_entity::vocabulary::CollaborationStatus;
use lkn_entity::{collaboration, member, notification, partner, thread};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

use crate::error::Result;
use crate::graphql::ids::{NodeType, encode};
use crate::mail::Links;
use crate::mail::notices::{Notice, NoticeWhat};

/// How `what` is stored: the inverse of [`what_of`].
pub fn stored_what(what: &NoticeWhat) -> String {
    match what {
        NoticeWhat::Replied => "REPLIED".into(),
        NoticeWhat::AnswerAccepted => "ANSWER_ACCEPTED".into(),
        NoticeWhat::Edited => "EDITED".into(),
        NoticeWhat::Closed => "CLOSED".into(),
        NoticeWhat::Endorsed => "ENDORSED".into(),
        NoticeWhat::AskedToJoin => "ASKED_TO_JOIN".into(),
        NoticeWhat::JoinAccepted => "JOIN_ACCEPTED".into(),
        NoticeWhat::JoinDeclined => "JOIN_DECLINED".into(),
        NoticeWhat::StatusChanged(status) => format!("STATUS:{}", status_name(*status)),
        NoticeWhat::DeadlineIn { days } => format!("DEADLINE:{days}"),
        NoticeWhat::NewQuestion => "NEW_QUESTION".into(),
    }
}

fn status_name(status: CollaborationStatus) -> &'static str {
    match status {
        CollaborationStatus::Proposed => "PROPOSED",
        CollaborationStatus::SeekingPartners => "SEEKING_PARTNERS",
        CollaborationStatus::Active => "ACTIVE",
        CollaborationStatus::Completed => "COMPLETED",
        CollaborationStatus::Withdrawn => "WITHDRAWN",
    }
}

/// What a stored `what` means; an unknown value (written by a newer version) reads as a
/// change of status to nothing in particular rather than failing the whole list.
pub fn what_of(stored: &str) -> NoticeWhat {
    match stored {
        "REPLIED" => NoticeWhat::Replied,
        "ANSWER_ACCEPTED" => NoticeWhat::AnswerAccepted,
        "EDITED" => NoticeWhat::Edited,
        "CLOSED" => NoticeWhat::Closed,
        "ENDORSED" => NoticeWhat::Endorsed,
        "ASKED_TO_JOIN" => NoticeWhat::AskedToJoin,
        "JOIN_ACCEPTED" => NoticeWhat::JoinAccepted,
        "JOIN_DECLINED" => NoticeWhat::JoinDeclined,
        "NEW_QUESTION" => NoticeWhat::NewQuestion,
        other => {
            if let Some(days) = other.strip_prefix("DEADLINE:").and_then(|d| d.parse().ok()) {
                return NoticeWhat::DeadlineIn { days };
            }
            let status = match other.strip_prefix("STATUS:") {
                Some("PROPOSED") => CollaborationStatus::Proposed,
                Some("SEEKING_PARTNERS") => CollaborationStatus::SeekingPartners,
                Some("COMPLETED") => CollaborationStatus::Completed,
                Some("WITHDRAWN") => CollaborationStatus::Withdrawn,
                _ => CollaborationStatus::Active,
            };
            NoticeWhat::StatusChanged(status)
        }
    }
}

/// Where a thread is read in the explorer.
pub fn thread_url(links: &Links, thread_id: i64) -> String {
    links.thread(&encode(NodeType::Thread, thread_id))
}

/// Where a collaboration is read in the explorer.
pub fn collaboration_url(links: &Links, collaboration_id: i64) -> String {
    links.collaboration(&encode(NodeType::Collaboration, collaboration_id))
}

/// The words for each of `rows`, in order.
pub async fn notices(db: &impl ConnectionTrait, rows: &[notification::Model], links: &Links) -> Result<Vec<Notice>> {
    let ids = |f: fn(&notification::Model) -> Option<i64>| -> Vec<i64> {
        rows.iter().filter_map(f).collect::<HashSet<_>>().into_iter().collect()
    };
    let threads: HashMap<i64, String> = thread::Entity::find()
        .filter(thread::Column::Id.is_in(ids(|n| n.thread_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|t| (t.id, t.title))
        .collect();
    let collaborations: HashMap<i64, String> = collaboration::Entity::find()
        .filter(collaboration::Column::Id.is_in(ids(|n| n.collaboration_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|c| (c.id, c.title))
        .collect();
    let actors: HashMap<i64, member::Model> = member::Entity::find()
        .filter(member::Column::Id.is_in(ids(|n| n.actor_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|m| (m.id, m))
        .collect();
    let mut partner_ids: HashSet<i64> = ids(|n| n.partner_id).into_iter().collect();
    partner_ids.extend(actors.values().map(|m| m.partner_id));
    let partners: HashMap<i64, String> = partner::Entity::find()
        .filter(partner::Column::Id.is_in(partner_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|p| (p.id, p.name))
        .collect();
    Ok(rows
        .iter()
        .map(|row| {
            let actor = row.actor_id.and_then(|id| actors.get(&id));
            let partner_id = row.partner_id.or(actor.map(|a| a.partner_id));
            let url = match (row.thread_id, row.collaboration_id) {
                (Some(thread_id), _) => thread_url(links, thread_id),
                (None, Some(collaboration_id)) => collaboration_url(links, collaboration_id),
                (None, None) => links.home(),
            };
            Notice {
                kind: row.kind,
                what: what_of(&row.what),
                thread_title: row.thread_id.and_then(|id| threads.get(&id).cloned()),
                collaboration_title: row.collaboration_id.and_then(|id| collaborations.get(&id).cloned()),
                actor_name: actor.filter(|a| a.erased_at.is_none()).map(|a| a.display_name.clone()),
                partner_name: partner_id.and_then(|id| partners.get(&id).cloned()),
                url,
            }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_is_stored_and_read_back_unchanged() {
        for what in [
            NoticeWhat::Replied,
            NoticeWhat::AnswerAccepted,
            NoticeWhat::Edited,
            NoticeWhat::Closed,
            NoticeWhat::Endorsed,
            NoticeWhat::AskedToJoin,
            NoticeWhat::JoinAccepted,
            NoticeWhat::JoinDeclined,
            NoticeWhat::StatusChanged(CollaborationStatus::Completed),
            NoticeWhat::DeadlineIn { days: 3 },
            NoticeWhat::NewQuestion,
        ] {
            assert_eq!(what_of(&stored_what(&what)), what);
        }
    }
}
