//! Collaborations between partners, their participants and outcomes: the read side.

use std::collections::HashMap;

use lkn_entity::vocabulary::{CollaborationKind, CollaborationStatus, JoinStatus, Visibility};
use lkn_entity::{collaboration, collaboration_outcome, collaboration_participant, partner};
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, Order, QueryFilter, QueryOrder, QuerySelect, QueryTrait,
};

use crate::error::Result;
use crate::service::page::{self, Cursor, Page, PageRequest};
use crate::service::viewer::Viewer;

/// Which collaborations a list or a live `collaborationChanged` subscription shows: one
/// definition for both (see [`matching_by_id`]).
#[derive(Debug, Clone, Default)]
pub struct CollaborationFilter {
    /// Only this kind.
    pub kind: Option<CollaborationKind>,
    /// Only this status.
    pub status: Option<CollaborationStatus>,
    /// Only those this partner leads or takes part in (in any join status).
    pub partner_slug: Option<String>,
}

impl CollaborationFilter {
    /// The filter as a condition on `collaborations`.
    pub fn condition(&self) -> Condition {
        let mut condition = Condition::all();
        if let Some(kind) = self.kind {
            condition = condition.add(collaboration::Column::Kind.eq(kind));
        }
        if let Some(status) = self.status {
            condition = condition.add(collaboration::Column::Status.eq(status));
        }
        if let Some(slug) = &self.partner_slug {
            condition = condition.add(
                collaboration::Column::Id.in_subquery(
                    Query::select()
                        .column((collaboration_participant::Entity, collaboration_participant::Column::CollaborationId))
                        .from(collaboration_participant::Entity)
                        .inner_join(
                            partner::Entity,
                            Expr::col((partner::Entity, partner::Column::Id)).equals((
                                collaboration_participant::Entity,
                                collaboration_participant::Column::PartnerId,
                            )),
                        )
                        .and_where(Expr::col((partner::Entity, partner::Column::Slug)).eq(slug.as_str()))
                        .to_owned(),
                ),
            );
        }
        condition
    }
}

/// The condition that limits collaborations to what `viewer` may see.
pub fn visible_to(viewer: &Viewer) -> Condition {
    if viewer.sees_network() {
        Condition::all()
    } else {
        Condition::all().add(collaboration::Column::Visibility.eq(Visibility::Public))
    }
}

/// Collaborations, newest first, a page at a time.
#[tracing::instrument(skip(db, viewer))]
pub async fn list(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    filter: &CollaborationFilter,
    request: &PageRequest,
) -> Result<Page<collaboration::Model>> {
    let mut select = collaboration::Entity::find().filter(visible_to(viewer)).filter(filter.condition());
    let filtered = select.clone().into_query();
    if let Some(cursor) = &request.after {
        select = select.filter(page::after(
            cursor,
            None,
            Expr::col((collaboration::Entity, collaboration::Column::Id)),
            Order::Desc,
        )?);
    }
    let ordered = select.order_by_desc(collaboration::Column::Id).limit(request.first + 1).into_query();
    let (rows, total) = page::fetch(db, request, filtered, ordered).await?;
    Ok(Page::from_rows(request, rows, |c| Cursor { key: None, id: c.id }, total))
}

/// The collaboration `id` if `viewer` may see it and `filter` matches it: how a live
/// subscription decides, by the very condition the list uses.
pub async fn matching_by_id(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    filter: &CollaborationFilter,
    id: i64,
) -> Result<Option<collaboration::Model>> {
    Ok(collaboration::Entity::find_by_id(id).filter(visible_to(viewer)).filter(filter.condition()).one(db).await?)
}

/// Collaborations by id that `viewer` may see.
pub async fn visible_by_ids(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    ids: &[i64],
) -> Result<HashMap<i64, collaboration::Model>> {
    let rows = collaboration::Entity::find()
        .filter(collaboration::Column::Id.is_in(ids.iter().copied()))
        .filter(visible_to(viewer))
        .all(db)
        .await?;
    Ok(rows.into_iter().map(|c| (c.id, c)).collect())
}

/// The participants of each collaboration, lead first, in one statement.
pub async fn participants_of(
    db: &impl ConnectionTrait,
    ids: &[i64],
) -> Result<HashMap<i64, Vec<collaboration_participant::Model>>> {
    let rows = collaboration_participant::Entity::find()
        .filter(collaboration_participant::Column::CollaborationId.is_in(ids.iter().copied()))
        .order_by_asc(collaboration_participant::Column::CollaborationId)
        .order_by_asc(collaboration_participant::Column::RequestedAt)
        .order_by_asc(collaboration_participant::Column::PartnerId)
        .all(db)
        .await?;
    let mut grouped: HashMap<i64, Vec<_>> = HashMap::new();
    for row in rows {
        grouped.entry(row.collaboration_id).or_default().push(row);
    }
    Ok(grouped)
}

/// The outcomes recorded for each collaboration, oldest first, in one statement.
pub async fn outcomes_of(
    db: &impl ConnectionTrait,
    ids: &[i64],
) -> Result<HashMap<i64, Vec<collaboration_outcome::Model>>> {
    let rows = collaboration_outcome::Entity::find()
        .filter(collaboration_outcome::Column::CollaborationId.is_in(ids.iter().copied()))
        .order_by_asc(collaboration_outcome::Column::Id)
        .all(db)
        .await?;
    let mut grouped: HashMap<i64, Vec<_>> = HashMap::new();
    for row in rows {
        grouped.entry(row.collaboration_id).or_default().push(row);
    }
    Ok(grouped)
}

/// A combined audience: the sum of the figures that are known, and how many are not.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AudienceReach {
    /// Sum of the known audience figures.
    pub known_total: i64,
    /// Partners whose figure is known.
    pub known_partner_count: i64,
    /// Partners whose figure is unknown.
    pub unknown_partner_count: i64,
}

impl AudienceReach {
    /// Adds up the audiences of `partners`.
    pub fn of<'a>(partners: impl IntoIterator<Item = &'a partner::Model>) -> Self {
        partners.into_iter().fold(Self::default(), |mut reach, p| {
            match p.audience_reach {
                Some(n) => {
                    reach.known_total += n;
                    reach.known_partner_count += 1;
                }
                None => reach.unknown_partner_count += 1,
            }
            reach
        })
    }
}

/// Whether a participant counts toward a collaboration's reach.
pub fn is_taking_part(participant: &collaboration_participant::Model) -> bool {
    participant.join_status == JoinStatus::Accepted
}

/// The collaborations an idea thread grew into, for its `collaborations` field.
pub async fn by_origin_thread(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    thread_id: i64,
) -> Result<Vec<collaboration::Model>> {
    Ok(collaboration::Entity::find()
        .filter(collaboration::Column::OriginThreadId.eq(thread_id))
        .filter(visible_to(viewer))
        .order_by_desc(collaboration::Column::Id)
        .all(db)
        .await?)
}
