//! Collaborations between partners: what lists, announcements and `/collab show` show
//! of them, and the calls that propose, join, decide and advance.

use chrono::{DateTime, Utc};
use cynic::{MutationBuilder, QueryBuilder};

use super::{
    ApiError, Caller, CollaborationKind, CollaborationStatus, JoinStatus, Lkn, PartnerRef, UserError, schema, written,
};

/// A partner taking part in a collaboration.
#[derive(cynic::QueryFragment, Debug, Clone, PartialEq, Eq)]
#[cynic(graphql_type = "Participant")]
pub struct ParticipantView {
    /// Requested, accepted or declined.
    pub join_status: JoinStatus,
    /// The partner.
    pub partner: Option<PartnerRef>,
}

/// A collaboration.
#[derive(cynic::QueryFragment, Debug, Clone, PartialEq, Eq)]
#[cynic(graphql_type = "Collaboration")]
pub struct CollaborationView {
    /// Global id.
    pub id: cynic::Id,
    /// Title.
    pub title: String,
    /// Kind.
    pub kind: CollaborationKind,
    /// Status.
    pub status: CollaborationStatus,
    /// Markdown summary.
    pub summary: String,
    /// The version a change must name.
    pub version: i32,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
    /// The lead partner.
    pub lead_partner: Option<PartnerRef>,
    /// Partners involved, the lead first.
    pub participants: Vec<ParticipantView>,
}

#[derive(cynic::InputObject, Debug)]
#[cynic(graphql_type = "CollaborationFilter")]
struct CollaborationFilter {
    status: Option<CollaborationStatus>,
}

#[derive(cynic::QueryVariables, Debug)]
struct ListVariables {
    filter: Option<CollaborationFilter>,
}

#[derive(cynic::QueryFragment, Debug)]
#[cynic(graphql_type = "CollaborationConnection")]
struct CollaborationPage {
    nodes: Vec<CollaborationView>,
}

#[derive(cynic::QueryFragment, Debug)]
#[cynic(graphql_type = "QueryRoot", variables = "ListVariables")]
struct Collaborations {
    #[arguments(first: 25, filter: $filter)]
    collaborations: CollaborationPage,
}

#[derive(cynic::QueryVariables, Debug)]
struct IdVariables {
    id: cynic::Id,
}

#[derive(cynic::QueryFragment, Debug)]
#[cynic(graphql_type = "QueryRoot", variables = "IdVariables")]
struct CollaborationById {
    #[arguments(id: $id)]
    collaboration: Option<CollaborationView>,
}

/// A collaboration to propose.
#[derive(cynic::InputObject, Debug, Clone, PartialEq, Eq)]
#[cynic(graphql_type = "ProposeCollaborationInput")]
pub struct NewCollaboration {
    /// What kind of work.
    pub kind: CollaborationKind,
    /// Title.
    pub title: String,
    /// Markdown summary.
    pub summary: String,
    /// Makes a retry return the first proposal (the interaction's id).
    pub idempotency_key: String,
}

#[derive(cynic::QueryVariables, Debug)]
struct ProposeVariables {
    input: NewCollaboration,
}

/// What every collaboration write returns.
#[derive(cynic::QueryFragment, Debug)]
#[cynic(graphql_type = "CollaborationPayload")]
struct CollaborationPayload {
    collaboration: Option<CollaborationView>,
    user_errors: Vec<UserError>,
}

#[derive(cynic::QueryFragment, Debug)]
#[cynic(graphql_type = "MutationRoot", variables = "ProposeVariables")]
struct ProposeCollaboration {
    #[arguments(input: $input)]
    propose_collaboration: CollaborationPayload,
}

#[derive(cynic::InputObject, Debug)]
#[cynic(graphql_type = "RequestToJoinCollaborationInput")]
struct RequestToJoinInput {
    collaboration_id: cynic::Id,
}

#[derive(cynic::QueryVariables, Debug)]
struct JoinVariables {
    input: RequestToJoinInput,
}

#[derive(cynic::QueryFragment, Debug)]
#[cynic(graphql_type = "MutationRoot", variables = "JoinVariables")]
struct RequestToJoinCollaboration {
    #[arguments(input: $input)]
    request_to_join_collaboration: CollaborationPayload,
}

#[derive(cynic::InputObject, Debug)]
#[cynic(graphql_type = "DecideJoinRequestInput")]
struct DecideJoinRequestInput {
    collaboration_id: cynic::Id,
    partner_slug: String,
    accept: bool,
}

#[derive(cynic::QueryVariables, Debug)]
struct DecideVariables {
    input: DecideJoinRequestInput,
}

#[derive(cynic::QueryFragment, Debug)]
#[cynic(graphql_type = "MutationRoot", variables = "DecideVariables")]
struct DecideJoinRequest {
    #[arguments(input: $input)]
    decide_join_request: CollaborationPayload,
}

#[derive(cynic::InputObject, Debug)]
#[cynic(graphql_type = "AdvanceCollaborationInput")]
struct AdvanceCollaborationInput {
    collaboration_id: cynic::Id,
    status: CollaborationStatus,
}

#[derive(cynic::QueryVariables, Debug)]
struct AdvanceVariables {
    input: AdvanceCollaborationInput,
}

#[derive(cynic::QueryFragment, Debug)]
#[cynic(graphql_type = "MutationRoot", variables = "AdvanceVariables")]
struct AdvanceCollaboration {
    #[arguments(input: $input)]
    advance_collaboration: CollaborationPayload,
}

impl Lkn {
    /// The newest collaborations, optionally in one status.
    pub async fn collaborations(
        &self,
        caller: &Caller,
        status: Option<CollaborationStatus>,
    ) -> Result<Vec<CollaborationView>, ApiError> {
        let variables = ListVariables { filter: Some(CollaborationFilter { status }) };
        Ok(self.read(caller, Collaborations::build(variables)).await?.collaborations.nodes)
    }

    /// One collaboration.
    pub async fn collaboration(&self, caller: &Caller, id: &str) -> Result<Option<CollaborationView>, ApiError> {
        Ok(self.read(caller, CollaborationById::build(IdVariables { id: id.into() })).await?.collaboration)
    }

    /// Proposes a collaboration led by the caller's partner; its idempotency key makes a
    /// retry return the first one.
    pub async fn propose(&self, caller: &Caller, new: NewCollaboration) -> Result<CollaborationView, ApiError> {
        let operation = ProposeCollaboration::build(ProposeVariables { input: new });
        written_collaboration(self.run(caller, &operation).await?.propose_collaboration)
    }

    /// Asks for the caller's partner to join.
    pub async fn request_to_join(&self, caller: &Caller, id: &str) -> Result<CollaborationView, ApiError> {
        let operation = RequestToJoinCollaboration::build(JoinVariables {
            input: RequestToJoinInput { collaboration_id: id.into() },
        });
        written_collaboration(self.run(caller, &operation).await?.request_to_join_collaboration)
    }

    /// Accepts or declines a partner's request (lead partner's coordinators).
    pub async fn decide(
        &self,
        caller: &Caller,
        id: &str,
        partner_slug: &str,
        accept: bool,
    ) -> Result<CollaborationView, ApiError> {
        let input =
            DecideJoinRequestInput { collaboration_id: id.into(), partner_slug: partner_slug.to_owned(), accept };
        let operation = DecideJoinRequest::build(DecideVariables { input });
        written_collaboration(self.run(caller, &operation).await?.decide_join_request)
    }

    /// Moves a collaboration along its workflow.
    pub async fn advance(
        &self,
        caller: &Caller,
        id: &str,
        status: CollaborationStatus,
    ) -> Result<CollaborationView, ApiError> {
        let input = AdvanceCollaborationInput { collaboration_id: id.into(), status };
        let operation = AdvanceCollaboration::build(AdvanceVariables { input });
        written_collaboration(self.run(caller, &operation).await?.advance_collaboration)
    }
}

fn written_collaboration(payload: CollaborationPayload) -> Result<CollaborationView, ApiError> {
    written(payload.collaboration, payload.user_errors, "collaboration")
}
