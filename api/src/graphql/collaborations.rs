//! Collaborations as GraphQL: `Collaboration`, its participants and outcomes, and the
//! `collaborations` and `collaboration` queries.

use async_graphql::{Context, ID, InputObject, Object, SimpleObject};
use chrono::{DateTime, NaiveDate, Utc};
use lkn_entity::{collaboration, collaboration_outcome, collaboration_participant};

use crate::error::ServiceError;
use crate::graphql::connection::{Conn, connection, page_request};
use crate::graphql::ids::{self, NodeType};
use crate::graphql::loaders::VisibleCollaboration;
use crate::graphql::loaders::{MemberById, OutcomesOf, ParticipantsOf, PartnerById, VisibleThread};
use crate::graphql::partners::Partner;
use crate::graphql::threads::Thread;
use crate::graphql::user_errors::UserError;
use crate::graphql::viewer::Member;
use crate::graphql::vocabulary::{CollaborationKind, CollaborationStatus, JoinStatus, ParticipantRole, Visibility};
use crate::graphql::{OrGraphql, db, prefetch, request, split_user_errors};
use crate::service::collaborations::{self, AudienceReach as Reach};

/// A proposal that partners do something together.
pub struct Collaboration(pub collaboration::Model);

#[Object]
impl Collaboration {
    /// Global id.
    pub async fn id(&self) -> ID {
        ids::encode(NodeType::Collaboration, self.0.id)
    }
    /// Programme, activity, exhibition, shared content, funding application or evidence gathering.
    async fn kind(&self) -> CollaborationKind {
        self.0.kind.into()
    }
    /// One-line title.
    async fn title(&self) -> &str {
        &self.0.title
    }
    /// What is proposed, in Markdown.
    async fn summary(&self) -> &str {
        &self.0.summary
    }
    /// Where it is in its workflow.
    async fn status(&self) -> CollaborationStatus {
        self.0.status.into()
    }
    /// Network-only or public.
    async fn visibility(&self) -> Visibility {
        self.0.visibility.into()
    }
    /// The partner that leads it.
    async fn lead_partner(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Partner>> {
        Ok(request(ctx)?.loader.load_one(PartnerById(self.0.lead_partner_id)).await?.map(Partner))
    }
    /// Every partner involved, the lead first, with role and join status.
    async fn participants(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Participant>> {
        let rows = request(ctx)?.loader.load_one(ParticipantsOf(self.0.id)).await?.unwrap_or_default();
        Ok(rows.into_iter().map(Participant).collect())
    }
    /// The combined audience of the accepted partners, as far as their figures are known.
    async fn combined_audience_reach(&self, ctx: &Context<'_>) -> async_graphql::Result<AudienceReach> {
        let loader = &request(ctx)?.loader;
        let participants = loader.load_one(ParticipantsOf(self.0.id)).await?.unwrap_or_default();
        let partner_ids =
            participants.iter().filter(|p| collaborations::is_taking_part(p)).map(|p| PartnerById(p.partner_id));
        let partners = loader.load_many(partner_ids).await?;
        Ok(AudienceReach::from(Reach::of(partners.values())))
    }
    /// First day of the activity.
    async fn starts_on(&self) -> Option<NaiveDate> {
        self.0.starts_on
    }
    /// Last day of the activity.
    async fn ends_on(&self) -> Option<NaiveDate> {
        self.0.ends_on
    }
    /// When a funding bid is due.
    async fn bid_deadline(&self) -> Option<NaiveDate> {
        self.0.bid_deadline
    }
    /// Who is asked for the money.
    async fn funder(&self) -> Option<&str> {
        self.0.funder.as_deref()
    }
    /// Budget in pence.
    async fn budget_pence(&self) -> Option<i64> {
        self.0.budget_pence
    }
    /// Evidence recorded of what it achieved.
    async fn outcomes(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Outcome>> {
        let rows = request(ctx)?.loader.load_one(OutcomesOf(self.0.id)).await?.unwrap_or_default();
        Ok(rows.into_iter().map(Outcome).collect())
    }
    /// The idea thread it grew from, if the caller may see it.
    async fn origin_thread(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Thread>> {
        let Some(id) = self.0.origin_thread_id else {
            return Ok(None);
        };
        Ok(request(ctx)?.loader.load_one(VisibleThread(id)).await?.map(Thread))
    }
    /// Who proposed it.
    async fn proposed_by(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Member>> {
        Ok(request(ctx)?.loader.load_one(MemberById(self.0.proposed_by_id)).await?.map(Member))
    }
    /// The version a change must name.
    async fn version(&self) -> i32 {
        self.0.version
    }
    /// When it was proposed.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// When it last changed.
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
}

/// A partner's place in a collaboration.
pub struct Participant(pub collaboration_participant::Model);

#[Object]
impl Participant {
    /// The partner.
    async fn partner(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Partner>> {
        Ok(request(ctx)?.loader.load_one(PartnerById(self.0.partner_id)).await?.map(Partner))
    }
    /// Lead, partner or supporter.
    async fn role(&self) -> ParticipantRole {
        self.0.role.into()
    }
    /// Requested, accepted or declined.
    async fn join_status(&self) -> JoinStatus {
        self.0.join_status.into()
    }
    /// When the partner asked to join (or proposed, for the lead).
    async fn requested_at(&self) -> DateTime<Utc> {
        self.0.requested_at
    }
    /// When the lead partner decided.
    async fn decided_at(&self) -> Option<DateTime<Utc>> {
        self.0.decided_at
    }
}

/// Evidence of what a collaboration achieved.
pub struct Outcome(pub collaboration_outcome::Model);

#[Object]
impl Outcome {
    /// The partner reporting it.
    async fn partner(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Partner>> {
        Ok(request(ctx)?.loader.load_one(PartnerById(self.0.partner_id)).await?.map(Partner))
    }
    /// The day it happened or was measured.
    async fn occurred_on(&self) -> NaiveDate {
        self.0.occurred_on
    }
    /// People who attended, where counted or estimated.
    async fn attendance(&self) -> Option<i64> {
        self.0.attendance
    }
    /// Whether attendance is an estimate.
    async fn attendance_estimated(&self) -> bool {
        self.0.attendance_estimated
    }
    /// People reached beyond those attending, where known.
    async fn reach(&self) -> Option<i64> {
        self.0.reach
    }
    /// What happened.
    async fn note(&self) -> &str {
        &self.0.note
    }
    /// When it was recorded.
    async fn recorded_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

/// A combined audience: the known figures added up, and how many are missing.
#[derive(SimpleObject, Default)]
pub struct AudienceReach {
    /// Sum of the known audience figures.
    pub known_total: i64,
    /// Partners whose figure is known.
    pub known_partner_count: i64,
    /// Partners whose figure is not known (never estimated).
    pub unknown_partner_count: i64,
    /// For the whole network: the combined audience it reported.
    pub reported_total: Option<i64>,
    /// Where the reported total comes from.
    pub reported_source: Option<String>,
}

impl From<Reach> for AudienceReach {
    fn from(reach: Reach) -> Self {
        Self {
            known_total: reach.known_total,
            known_partner_count: reach.known_partner_count,
            unknown_partner_count: reach.unknown_partner_count,
            reported_total: None,
            reported_source: None,
        }
    }
}

/// Narrows the collaboration list.
#[derive(InputObject, Default)]
pub struct CollaborationFilter {
    /// Only this kind.
    pub kind: Option<CollaborationKind>,
    /// Only this status.
    pub status: Option<CollaborationStatus>,
    /// Only those this partner leads or takes part in.
    pub partner_slug: Option<String>,
}

impl From<CollaborationFilter> for collaborations::CollaborationFilter {
    fn from(filter: CollaborationFilter) -> Self {
        Self {
            kind: filter.kind.map(Into::into),
            status: filter.status.map(Into::into),
            partner_slug: filter.partner_slug,
        }
    }
}

/// The collaboration queries.
#[derive(Default)]
pub struct CollaborationQuery;

#[Object]
impl CollaborationQuery {
    /// Collaborations the caller may see, newest first.
    #[graphql(complexity = "(first.unwrap_or(20).clamp(1, 100) as usize).saturating_mul(child_complexity.max(1))")]
    async fn collaborations(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        filter: Option<CollaborationFilter>,
    ) -> async_graphql::Result<Conn<Collaboration>> {
        let page_request = page_request(ctx, first, after.as_deref())?;
        let filter = filter.unwrap_or_default().into();
        let page = collaborations::list(db(ctx)?, &request(ctx)?.viewer, &filter, &page_request).await.gql()?;
        let rows: Vec<_> = page.items.iter().map(|(_, row)| row.clone()).collect();
        prefetch::collaborations(ctx, ctx.look_ahead(), &rows).await?;
        Ok(connection(page, Collaboration))
    }

    /// A collaboration by global id; null if there is none the caller may see.
    async fn collaboration(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Option<Collaboration>> {
        let Some(id) = ids::decode(NodeType::Collaboration, &id) else {
            return Ok(None);
        };
        let loaded = request(ctx)?.loader.load_one(VisibleCollaboration(id)).await?;
        Ok(loaded.map(Collaboration))
    }
}

/// Proposes a collaboration led by the proposer's partner.
#[derive(InputObject)]
pub struct ProposeCollaborationInput {
    /// What kind of work.
    pub kind: CollaborationKind,
    /// 1 to 200 characters.
    pub title: String,
    /// What is proposed, in Markdown.
    #[graphql(default)]
    pub summary: String,
    /// Who may see it: network members (the default) or everyone.
    #[graphql(default_with = "Visibility::Network")]
    pub visibility: Visibility,
    /// First day.
    pub starts_on: Option<NaiveDate>,
    /// Last day; not before the first.
    pub ends_on: Option<NaiveDate>,
    /// When a funding bid is due.
    pub bid_deadline: Option<NaiveDate>,
    /// Who is asked for money.
    pub funder: Option<String>,
    /// Budget in pence.
    pub budget_pence: Option<i64>,
    /// The idea thread it grows from.
    pub origin_thread_id: Option<ID>,
    /// Sending the same key again returns the first collaboration and creates nothing.
    pub idempotency_key: Option<String>,
}

/// Asks for the caller's partner to join a collaboration.
#[derive(InputObject)]
pub struct RequestToJoinCollaborationInput {
    /// The collaboration.
    pub collaboration_id: ID,
    /// The part the partner would play.
    #[graphql(default_with = "ParticipantRole::Partner")]
    pub role: ParticipantRole,
}

/// Accepts or declines a partner's request to join.
#[derive(InputObject)]
pub struct DecideJoinRequestInput {
    /// The collaboration.
    pub collaboration_id: ID,
    /// The asking partner's slug.
    pub partner_slug: String,
    /// True to accept, false to decline.
    pub accept: bool,
}

/// Moves a collaboration along its workflow.
#[derive(InputObject)]
pub struct AdvanceCollaborationInput {
    /// The collaboration.
    pub collaboration_id: ID,
    /// The status to move to.
    pub status: CollaborationStatus,
    /// The version the caller last saw, to refuse acting on a stale view.
    pub version: Option<i32>,
}

/// Records evidence of what a collaboration achieved.
#[derive(InputObject)]
pub struct RecordOutcomeInput {
    /// The collaboration.
    pub collaboration_id: ID,
    /// When it happened.
    pub occurred_on: NaiveDate,
    /// People who attended.
    pub attendance: Option<i64>,
    /// Whether attendance is an estimate.
    #[graphql(default)]
    pub attendance_estimated: bool,
    /// People reached beyond those attending.
    pub reach: Option<i64>,
    /// What happened.
    #[graphql(default)]
    pub note: String,
    /// Sending the same key again returns the first outcome and creates nothing.
    pub idempotency_key: Option<String>,
}

/// What the collaboration mutations return.
#[derive(SimpleObject)]
pub struct CollaborationPayload {
    /// The collaboration after the change.
    pub collaboration: Option<Collaboration>,
    /// What to fix in the input, if it was refused.
    pub user_errors: Vec<UserError>,
}

/// What `recordOutcome` returns.
#[derive(SimpleObject)]
pub struct RecordOutcomePayload {
    /// The outcome recorded.
    pub outcome: Option<Outcome>,
    /// The collaboration it belongs to.
    pub collaboration: Option<Collaboration>,
    /// What to fix in the input, if it was refused.
    pub user_errors: Vec<UserError>,
}

fn collaboration_id(id: &ID) -> Result<i64, ServiceError> {
    ids::decode_input(NodeType::Collaboration, id, "collaborationId")
}

fn payload(result: Result<collaboration::Model, ServiceError>) -> async_graphql::Result<CollaborationPayload> {
    let (collaboration, user_errors) = split_user_errors(result)?;
    Ok(CollaborationPayload { collaboration: collaboration.map(Collaboration), user_errors })
}

/// The collaboration mutations.
#[derive(Default)]
pub struct CollaborationMutation;

#[Object]
impl CollaborationMutation {
    /// Proposes a collaboration that the caller's partner leads. Coordinators only.
    async fn propose_collaboration(
        &self,
        ctx: &Context<'_>,
        input: ProposeCollaborationInput,
    ) -> async_graphql::Result<CollaborationPayload> {
        let request = request(ctx)?;
        let origin = match &input.origin_thread_id {
            Some(id) => match ids::decode_input(NodeType::Thread, id, "originThreadId") {
                Ok(id) => Some(id),
                Err(error) => return payload(Err(error)),
            },
            None => None,
        };
        let new = collaborations::NewCollaboration {
            kind: input.kind.into(),
            title: input.title,
            summary: input.summary,
            visibility: input.visibility.into(),
            starts_on: input.starts_on,
            ends_on: input.ends_on,
            bid_deadline: input.bid_deadline,
            funder: input.funder,
            budget_pence: input.budget_pence,
            origin_thread_id: origin,
        };
        payload(
            collaborations::propose(db(ctx)?, &request.write_context(), new, input.idempotency_key.as_deref()).await,
        )
    }

    /// Asks for the caller's partner to join. Coordinators of other partners.
    async fn request_to_join_collaboration(
        &self,
        ctx: &Context<'_>,
        input: RequestToJoinCollaborationInput,
    ) -> async_graphql::Result<CollaborationPayload> {
        let request = request(ctx)?;
        let result = match collaboration_id(&input.collaboration_id) {
            Ok(id) => collaborations::request_to_join(db(ctx)?, &request.write_context(), id, input.role.into()).await,
            Err(error) => Err(error),
        };
        payload(result)
    }

    /// Accepts or declines a request to join. The lead partner's coordinators.
    async fn decide_join_request(
        &self,
        ctx: &Context<'_>,
        input: DecideJoinRequestInput,
    ) -> async_graphql::Result<CollaborationPayload> {
        let request = request(ctx)?;
        let result = match collaboration_id(&input.collaboration_id) {
            Ok(id) => {
                collaborations::decide_join_request(
                    db(ctx)?,
                    &request.write_context(),
                    id,
                    &input.partner_slug,
                    input.accept,
                )
                .await
            }
            Err(error) => Err(error),
        };
        payload(result)
    }

    /// Moves along PROPOSED → SEEKING_PARTNERS → ACTIVE → COMPLETED, or to WITHDRAWN.
    /// The lead partner's coordinators.
    async fn advance_collaboration(
        &self,
        ctx: &Context<'_>,
        input: AdvanceCollaborationInput,
    ) -> async_graphql::Result<CollaborationPayload> {
        let request = request(ctx)?;
        let result = match collaboration_id(&input.collaboration_id) {
            Ok(id) => {
                collaborations::advance(db(ctx)?, &request.write_context(), id, input.status.into(), input.version)
                    .await
            }
            Err(error) => Err(error),
        };
        payload(result)
    }

    /// Records an outcome of an active or completed collaboration. Coordinators of accepted partners.
    async fn record_outcome(
        &self,
        ctx: &Context<'_>,
        input: RecordOutcomeInput,
    ) -> async_graphql::Result<RecordOutcomePayload> {
        let request = request(ctx)?;
        let result = match collaboration_id(&input.collaboration_id) {
            Ok(id) => {
                let new = collaborations::NewOutcome {
                    collaboration_id: id,
                    occurred_on: input.occurred_on,
                    attendance: input.attendance,
                    attendance_estimated: input.attendance_estimated,
                    reach: input.reach,
                    note: input.note,
                };
                collaborations::record_outcome(
                    db(ctx)?,
                    &request.write_context(),
                    new,
                    input.idempotency_key.as_deref(),
                )
                .await
            }
            Err(error) => Err(error),
        };
        let (outcome, user_errors) = split_user_errors(result)?;
        let collaboration = match &outcome {
            Some(o) => request.loader.load_one(VisibleCollaboration(o.collaboration_id)).await?.map(Collaboration),
            None => None,
        };
        Ok(RecordOutcomePayload { outcome: outcome.map(Outcome), collaboration, user_errors })
    }
}
