//! Writing collaborations: proposing, asking to join, deciding, advancing the workflow
//! and recording outcomes.
//!
//! Rules: a coordinator proposes for their own partner, which leads; coordinators of
//! other partners ask to join; the lead partner's coordinator decides requests and
//! advances the status; a coordinator of any accepted partner records outcomes. An
//! administrator may act for any partner. Members who are not coordinators may read.

use chrono::NaiveDate;
use lkn_entity::vocabulary::{
    CollaborationKind, CollaborationStatus, JoinStatus, MemberRole, ParticipantRole, ThreadKind, Visibility,
};
use lkn_entity::{collaboration, collaboration_outcome, collaboration_participant, member, partner};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction, EntityTrait, QueryFilter,
    QuerySelect, Set,
};
use serde::Serialize;
use serde_json::json;

use crate::error::{Result, ServiceError, UserErrorCode};
use crate::events::{CollaborationChange, Event};
use crate::service::collaborations::query::visible_to;
use crate::service::input::{Checks, Markdown, Title};
use crate::service::notifications::{self, Source};
use crate::service::viewer::Viewer;
use crate::service::write::{Write, WriteContext, create_once, input_fingerprint};
use crate::service::{search, threads};

/// A collaboration to propose.
#[derive(Debug, Clone, Serialize)]
pub struct NewCollaboration {
    /// What kind of work.
    pub kind: CollaborationKind,
    /// 1 to 200 characters.
    pub title: String,
    /// Markdown, at most 20,000 characters.
    pub summary: String,
    /// Network-only or public.
    pub visibility: Visibility,
    /// First day.
    pub starts_on: Option<NaiveDate>,
    /// Last day; not before the first.
    pub ends_on: Option<NaiveDate>,
    /// When a bid is due.
    pub bid_deadline: Option<NaiveDate>,
    /// Who is asked for money.
    pub funder: Option<String>,
    /// Budget in pence, not negative.
    pub budget_pence: Option<i64>,
    /// The idea thread it grows from.
    pub origin_thread_id: Option<i64>,
}

/// The coordinator (or administrator) acting; members and the bot may not.
fn coordinator(viewer: &Viewer) -> Result<&member::Model> {
    let member = viewer.require_member()?;
    match member.role {
        MemberRole::Coordinator | MemberRole::Admin => Ok(member),
        MemberRole::Member | MemberRole::Bot => Err(ServiceError::Forbidden),
    }
}

async fn collaboration_for_write(txn: &DatabaseTransaction, viewer: &Viewer, id: i64) -> Result<collaboration::Model> {
    let mut select = collaboration::Entity::find_by_id(id).filter(visible_to(viewer));
    if txn.get_database_backend() == sea_orm::DbBackend::Postgres {
        select = select.lock_exclusive();
    }
    select.one(txn).await?.ok_or_else(|| {
        ServiceError::invalid("collaborationId", UserErrorCode::NotFound, "no collaboration with this id")
    })
}

/// Starts a write that only the lead partner's coordinators (or an administrator) may make,
/// with the collaboration locked for it.
async fn lead_write<'a>(
    db: &DatabaseConnection,
    context: &'a WriteContext<'a>,
    collaboration_id: i64,
) -> Result<(Write<'a>, collaboration::Model)> {
    coordinator(context.viewer)?;
    let write = Write::begin(db, context).await?;
    let target = collaboration_for_write(&write, context.viewer, collaboration_id).await?;
    if !context.viewer.coordinates(target.lead_partner_id) {
        return Err(ServiceError::Forbidden);
    }
    Ok((write, target))
}

/// Commits a change, announcing it to subscribers, and reads the collaboration back.
async fn finish(db: &DatabaseConnection, write: Write<'_>, collaboration_id: i64) -> Result<collaboration::Model> {
    write.commit().await?;
    reload(db, collaboration_id).await
}

async fn reload(db: &impl ConnectionTrait, id: i64) -> Result<collaboration::Model> {
    collaboration::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| ServiceError::Internal(format!("collaboration {id} vanished after a write")))
}

async fn participant(
    db: &impl ConnectionTrait,
    collaboration_id: i64,
    partner_id: i64,
) -> Result<Option<collaboration_participant::Model>> {
    Ok(collaboration_participant::Entity::find()
        .filter(collaboration_participant::Column::CollaborationId.eq(collaboration_id))
        .filter(collaboration_participant::Column::PartnerId.eq(partner_id))
        .one(db)
        .await?)
}

/// Records a change to a collaboration in the write's transaction: a new version, the
/// event subscribers will hear once it commits, and the audit entry.
async fn record_change(
    write: &Write<'_>,
    id: i64,
    change: CollaborationChange,
    action: &str,
    detail: serde_json::Value,
) -> Result<()> {
    collaboration::Entity::update_many()
        .col_expr(collaboration::Column::Version, Expr::col(collaboration::Column::Version).add(1))
        .col_expr(collaboration::Column::UpdatedAt, Expr::value(write.now()))
        .filter(collaboration::Column::Id.eq(id))
        .exec(&**write)
        .await?;
    write.stage(Event::CollaborationChanged { collaboration_id: id, change }).await?;
    write.audit(action, "Collaboration", id, detail).await
}

/// Proposes a collaboration led by the proposer's partner.
#[tracing::instrument(skip(db, context, new), fields(kind = ?new.kind))]
pub async fn propose(
    db: &DatabaseConnection,
    context: &WriteContext<'_>,
    new: NewCollaboration,
    idempotency_key: Option<&str>,
) -> Result<collaboration::Model> {
    let proposer = coordinator(context.viewer)?.clone();
    let mut checks = Checks::default();
    let title = checks.take("title", Title::parse(&new.title));
    let summary = checks.take("summary", Markdown::parse("Summary", &new.summary, false));
    let funder = new.funder.as_deref().map(|f| checks.line("funder", "Funder", f, 1, 200));
    if let (Some(starts), Some(ends)) = (new.starts_on, new.ends_on)
        && ends < starts
    {
        checks.fail("endsOn", UserErrorCode::Invalid, "the end date is before the start date");
    }
    if new.budget_pence.is_some_and(|b| b < 0) {
        checks.fail("budgetPence", UserErrorCode::Invalid, "a budget can't be negative");
    }
    checks.finish()?;
    if let Some(origin) = new.origin_thread_id {
        let thread = threads::visible_by_id(db, context.viewer, origin).await?.ok_or_else(|| {
            ServiceError::invalid("originThreadId", UserErrorCode::NotFound, "no thread with this id")
        })?;
        if thread.kind != ThreadKind::Idea {
            return Err(ServiceError::invalid(
                "originThreadId",
                UserErrorCode::Invalid,
                "a collaboration grows from an idea thread",
            ));
        }
    }
    let hash = input_fingerprint(&new);
    let id = create_once(db, context, idempotency_key, "proposeCollaboration", hash, async |write: &Write<'_>| {
        let txn = &**write;
        let created = collaboration::ActiveModel {
            kind: Set(new.kind),
            title: Set(title.into()),
            summary: Set(summary.into()),
            status: Set(CollaborationStatus::Proposed),
            visibility: Set(new.visibility),
            lead_partner_id: Set(proposer.partner_id),
            proposed_by_id: Set(proposer.id),
            origin_thread_id: Set(new.origin_thread_id),
            starts_on: Set(new.starts_on),
            ends_on: Set(new.ends_on),
            bid_deadline: Set(new.bid_deadline),
            funder: Set(funder),
            budget_pence: Set(new.budget_pence),
            version: Set(1),
            created_at: Set(context.now),
            updated_at: Set(context.now),
            ..Default::default()
        }
        .insert(txn)
        .await?;
        collaboration_participant::ActiveModel {
            collaboration_id: Set(created.id),
            partner_id: Set(proposer.partner_id),
            role: Set(ParticipantRole::Lead),
            join_status: Set(JoinStatus::Accepted),
            requested_by_id: Set(Some(proposer.id)),
            requested_at: Set(context.now),
            decided_at: Set(Some(context.now)),
        }
        .insert(txn)
        .await?;
        search::reindex_collaboration(txn, created.id).await?;
        write
            .stage(Event::CollaborationChanged { collaboration_id: created.id, change: CollaborationChange::Proposed })
            .await?;
        write.audit("collaboration.propose", "Collaboration", created.id, json!({ "kind": new.kind })).await?;
        Ok(created.id)
    })
    .await?;
    reload(db, id).await
}

/// A coordinator asks for their partner to join. Asking again changes nothing.
#[tracing::instrument(skip(db, context))]
pub async fn request_to_join(
    db: &DatabaseConnection,
    context: &WriteContext<'_>,
    collaboration_id: i64,
    role: ParticipantRole,
) -> Result<collaboration::Model> {
    let asker = coordinator(context.viewer)?.clone();
    if role == ParticipantRole::Lead {
        return Err(ServiceError::invalid(
            "role",
            UserErrorCode::Invalid,
            "a collaboration has one lead: ask to join as a partner or supporter",
        ));
    }
    let write = Write::begin(db, context).await?;
    let txn = &*write;
    let target = collaboration_for_write(txn, context.viewer, collaboration_id).await?;
    if target.lead_partner_id == asker.partner_id {
        return Err(ServiceError::invalid(
            "collaborationId",
            UserErrorCode::InvalidState,
            "your partner already leads this collaboration",
        ));
    }
    if !matches!(target.status, CollaborationStatus::Proposed | CollaborationStatus::SeekingPartners) {
        return Err(ServiceError::invalid(
            "collaborationId",
            UserErrorCode::InvalidState,
            "this collaboration is not taking new partners",
        ));
    }
    match participant(txn, target.id, asker.partner_id).await? {
        Some(existing) if existing.join_status == JoinStatus::Declined => {
            return Err(ServiceError::invalid(
                "collaborationId",
                UserErrorCode::InvalidState,
                "your partner's request was declined",
            ));
        }
        Some(_) => {}
        None => {
            collaboration_participant::ActiveModel {
                collaboration_id: Set(target.id),
                partner_id: Set(asker.partner_id),
                role: Set(role),
                join_status: Set(JoinStatus::Requested),
                requested_by_id: Set(Some(asker.id)),
                requested_at: Set(context.now),
                decided_at: Set(None),
            }
            .insert(txn)
            .await?;
            record_change(
                &write,
                target.id,
                CollaborationChange::JoinRequested,
                "collaboration.request_join",
                json!({ "partnerId": asker.partner_id }),
            )
            .await?;
            let source = Source::JoinRequested { collaboration_id: target.id, partner_id: asker.partner_id };
            notifications::announce(&write, source).await?;
        }
    }
    finish(db, write, collaboration_id).await
}

/// The lead partner accepts or declines a request. Repeating the same decision changes nothing.
#[tracing::instrument(skip(db, context))]
pub async fn decide_join_request(
    db: &DatabaseConnection,
    context: &WriteContext<'_>,
    collaboration_id: i64,
    partner_slug: &str,
    accept: bool,
) -> Result<collaboration::Model> {
    let (write, target) = lead_write(db, context, collaboration_id).await?;
    let txn = &*write;
    let asking = partner::Entity::find()
        .filter(partner::Column::Slug.eq(partner_slug))
        .one(txn)
        .await?
        .ok_or_else(|| ServiceError::invalid("partnerSlug", UserErrorCode::NotFound, "no partner has this slug"))?;
    let request = participant(txn, target.id, asking.id).await?.ok_or_else(|| {
        ServiceError::invalid("partnerSlug", UserErrorCode::NotFound, "this partner has not asked to join")
    })?;
    let decision = if accept { JoinStatus::Accepted } else { JoinStatus::Declined };
    if request.role == ParticipantRole::Lead {
        return Err(ServiceError::invalid(
            "partnerSlug",
            UserErrorCode::InvalidState,
            "the lead partner takes part by definition",
        ));
    }
    if request.join_status != decision {
        if request.join_status != JoinStatus::Requested {
            return Err(ServiceError::invalid(
                "partnerSlug",
                UserErrorCode::InvalidState,
                "this request was already decided",
            ));
        }
        collaboration_participant::Entity::update_many()
            .col_expr(collaboration_participant::Column::JoinStatus, Expr::value(decision))
            .col_expr(collaboration_participant::Column::DecidedAt, Expr::value(context.now))
            .filter(collaboration_participant::Column::CollaborationId.eq(target.id))
            .filter(collaboration_participant::Column::PartnerId.eq(asking.id))
            .exec(txn)
            .await?;
        record_change(
            &write,
            target.id,
            CollaborationChange::JoinDecided,
            "collaboration.decide_join",
            json!({ "partnerId": asking.id, "accept": accept }),
        )
        .await?;
        let source = Source::JoinDecided { collaboration_id: target.id, partner_id: asking.id, accepted: accept };
        notifications::announce(&write, source).await?;
    }
    finish(db, write, collaboration_id).await
}

/// Whether the workflow allows moving from `from` to `to`.
pub fn is_legal_move(from: CollaborationStatus, to: CollaborationStatus) -> bool {
    use CollaborationStatus::*;
    matches!(
        (from, to),
        (Proposed, SeekingPartners)
            | (SeekingPartners, Active)
            | (Active, Completed)
            | (Proposed | SeekingPartners | Active, Withdrawn)
    )
}

/// The lead partner moves the collaboration along its workflow. Moving to the status it
/// already has changes nothing.
#[tracing::instrument(skip(db, context))]
pub async fn advance(
    db: &DatabaseConnection,
    context: &WriteContext<'_>,
    collaboration_id: i64,
    to: CollaborationStatus,
    version: Option<i32>,
) -> Result<collaboration::Model> {
    let (write, target) = lead_write(db, context, collaboration_id).await?;
    let txn = &*write;
    if target.status != to {
        if let Some(seen) = version
            && seen != target.version
        {
            return Err(ServiceError::invalid(
                "version",
                UserErrorCode::Conflict,
                format!("the collaboration changed since you loaded it (now version {})", target.version),
            ));
        }
        if !is_legal_move(target.status, to) {
            return Err(ServiceError::invalid(
                "status",
                UserErrorCode::InvalidState,
                format!("a {:?} collaboration can't move to {:?}", target.status, to),
            ));
        }
        collaboration::Entity::update_many()
            .col_expr(collaboration::Column::Status, Expr::value(to))
            .filter(collaboration::Column::Id.eq(target.id))
            .exec(txn)
            .await?;
        record_change(
            &write,
            target.id,
            CollaborationChange::StatusAdvanced,
            "collaboration.advance",
            json!({ "from": target.status, "to": to }),
        )
        .await?;
        notifications::announce(&write, Source::StatusChanged { collaboration_id: target.id, status: to }).await?;
    }
    finish(db, write, collaboration_id).await
}

/// Evidence to record.
#[derive(Debug, Clone, Serialize)]
pub struct NewOutcome {
    /// The collaboration.
    pub collaboration_id: i64,
    /// When it happened.
    pub occurred_on: NaiveDate,
    /// People who attended.
    pub attendance: Option<i64>,
    /// Whether attendance is an estimate.
    pub attendance_estimated: bool,
    /// People reached.
    pub reach: Option<i64>,
    /// What happened.
    pub note: String,
}

/// A coordinator of an accepted partner records evidence of an active or completed collaboration.
#[tracing::instrument(skip(db, context, new), fields(collaboration_id = new.collaboration_id))]
pub async fn record_outcome(
    db: &DatabaseConnection,
    context: &WriteContext<'_>,
    new: NewOutcome,
    idempotency_key: Option<&str>,
) -> Result<collaboration_outcome::Model> {
    let recorder = coordinator(context.viewer)?.clone();
    let mut checks = Checks::default();
    let note = checks.take("note", Markdown::parse("Note", &new.note, false));
    if new.attendance.is_some_and(|n| n < 0) {
        checks.fail("attendance", UserErrorCode::Invalid, "attendance can't be negative");
    }
    if new.reach.is_some_and(|n| n < 0) {
        checks.fail("reach", UserErrorCode::Invalid, "reach can't be negative");
    }
    checks.finish()?;
    let hash = input_fingerprint(&new);
    let id = create_once(db, context, idempotency_key, "recordOutcome", hash, async |write: &Write<'_>| {
        let txn = &**write;
        let target = collaboration_for_write(txn, context.viewer, new.collaboration_id).await?;
        let reporting_partner = if recorder.role == MemberRole::Admin && recorder.partner_id != target.lead_partner_id {
            match participant(txn, target.id, recorder.partner_id).await? {
                Some(p) if p.join_status == JoinStatus::Accepted => recorder.partner_id,
                _ => target.lead_partner_id,
            }
        } else {
            match participant(txn, target.id, recorder.partner_id).await? {
                Some(p) if p.join_status == JoinStatus::Accepted => recorder.partner_id,
                _ => return Err(ServiceError::Forbidden),
            }
        };
        if !matches!(target.status, CollaborationStatus::Active | CollaborationStatus::Completed) {
            return Err(ServiceError::invalid(
                "collaborationId",
                UserErrorCode::InvalidState,
                "outcomes are recorded for active or completed collaborations",
            ));
        }
        let created = collaboration_outcome::ActiveModel {
            collaboration_id: Set(target.id),
            partner_id: Set(reporting_partner),
            recorded_by_id: Set(recorder.id),
            occurred_on: Set(new.occurred_on),
            attendance: Set(new.attendance),
            attendance_estimated: Set(new.attendance_estimated),
            reach: Set(new.reach),
            note: Set(note.into()),
            created_at: Set(context.now),
            ..Default::default()
        }
        .insert(txn)
        .await?;
        record_change(
            write,
            target.id,
            CollaborationChange::OutcomeRecorded,
            "collaboration.record_outcome",
            json!({ "outcomeId": created.id }),
        )
        .await?;
        Ok(created.id)
    })
    .await?;
    collaboration_outcome::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| ServiceError::Internal(format!("outcome {id} vanished after a write")))
}

#[cfg(test)]
mod tests {
    use CollaborationStatus::*;

    use super::*;

    const ALL: [CollaborationStatus; 5] = [Proposed, SeekingPartners, Active, Completed, Withdrawn];

    #[test]
    fn a_collaboration_moves_forward_one_step_at_a_time() {
        assert!(is_legal_move(Proposed, SeekingPartners));
        assert!(is_legal_move(SeekingPartners, Active));
        assert!(is_legal_move(Active, Completed));
        assert!(!is_legal_move(Proposed, Active), "no skipping the search for partners");
        assert!(!is_legal_move(Proposed, Completed));
        assert!(!is_legal_move(SeekingPartners, Completed));
    }

    #[test]
    fn it_can_be_withdrawn_until_it_ends() {
        for from in [Proposed, SeekingPartners, Active] {
            assert!(is_legal_move(from, Withdrawn), "{from:?}");
        }
    }

    #[test]
    fn completed_and_withdrawn_are_final_and_nothing_moves_back() {
        for to in ALL {
            assert!(!is_legal_move(Completed, to), "Completed -> {to:?}");
            assert!(!is_legal_move(Withdrawn, to), "Withdrawn -> {to:?}");
        }
        for (i, from) in ALL.iter().enumerate().take(3) {
            for to in &ALL[..i] {
                assert!(!is_legal_move(*from, *to), "{from:?} -> {to:?}");
            }
        }
    }
}
