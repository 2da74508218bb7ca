//! Joining and linking from Discord: who a Discord user is in LKN, their request to
//! join a partner (`/join`) and its decision by a coordinator's button press, and link
//! codes e-mailed to members (`/link email:`).

use cynic::{MutationBuilder, QueryBuilder};

use super::{ApiError, Caller, Lkn, MemberView, PartnerRef, UserError, accepted, schema, written};

/// Where a request to join stands.
#[derive(cynic::Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum MembershipRequestStatus {
    /// Waiting for a coordinator.
    Pending,
    /// Approved: the member exists, with the Discord account linked.
    Approved,
    /// Turned down.
    Declined,
}

/// A request to join a partner, as the coordinators' message shows it.
#[derive(cynic::QueryFragment, Debug, Clone, PartialEq, Eq)]
#[cynic(graphql_type = "MembershipRequest")]
pub struct MembershipRequestView {
    /// Global id: the buttons carry it.
    pub id: cynic::Id,
    /// The name the person gave.
    pub display_name: String,
    /// The Discord account that asked: told of the decision.
    pub discord_user_id: String,
    /// The address the person gave; coordinators are shown its domain only.
    pub email: String,
    /// Where it stands.
    pub status: MembershipRequestStatus,
    /// The partner asked to join.
    pub partner: PartnerRef,
    /// Who decided, once decided.
    pub decided_by: Option<MemberView>,
}

#[derive(cynic::QueryFragment, Debug)]
#[cynic(graphql_type = "QueryRoot")]
struct Viewer {
    viewer: Option<MemberView>,
}

#[derive(cynic::InputObject, Debug)]
#[cynic(graphql_type = "RequestMembershipInput")]
struct RequestMembershipInput {
    partner_slug: String,
    discord_user_id: String,
    display_name: String,
    email: String,
}

#[derive(cynic::QueryVariables, Debug)]
struct RequestVariables {
    input: RequestMembershipInput,
}

#[derive(cynic::QueryFragment, Debug)]
#[cynic(graphql_type = "MembershipRequestPayload")]
struct MembershipRequestPayload {
    request: Option<MembershipRequestView>,
    user_errors: Vec<UserError>,
}

#[derive(cynic::QueryFragment, Debug)]
#[cynic(graphql_type = "MutationRoot", variables = "RequestVariables")]
struct RequestMembership {
    #[arguments(input: $input)]
    request_membership: MembershipRequestPayload,
}

#[derive(cynic::InputObject, Debug)]
#[cynic(graphql_type = "DecideMembershipRequestInput")]
struct DecideInput {
    id: cynic::Id,
    approve: bool,
}

#[derive(cynic::QueryVariables, Debug)]
struct DecideVariables {
    input: DecideInput,
}

#[derive(cynic::QueryFragment, Debug)]
#[cynic(graphql_type = "MutationRoot", variables = "DecideVariables")]
struct DecideMembershipRequest {
    #[arguments(input: $input)]
    decide_membership_request: MembershipRequestPayload,
}

#[derive(cynic::InputObject, Debug)]
#[cynic(graphql_type = "RequestDiscordLinkByEmailInput")]
struct LinkByEmailInput {
    discord_user_id: String,
    email: String,
}

#[derive(cynic::QueryVariables, Debug)]
struct LinkByEmailVariables {
    input: LinkByEmailInput,
}

#[derive(cynic::QueryFragment, Debug)]
#[cynic(graphql_type = "RequestDiscordLinkByEmailPayload")]
struct LinkByEmailPayload {
    user_errors: Vec<UserError>,
}

#[derive(cynic::QueryFragment, Debug)]
#[cynic(graphql_type = "MutationRoot", variables = "LinkByEmailVariables")]
struct RequestDiscordLinkByEmail {
    #[arguments(input: $input)]
    request_discord_link_by_email: LinkByEmailPayload,
}

impl Lkn {
    /// The member `caller` acts as: for a Discord user, their linked member (refused as
    /// [`ApiError::Unauthenticated`] when not linked, [`ApiError::Suspended`] when suspended).
    pub async fn viewer(&self, caller: &Caller) -> Result<Option<MemberView>, ApiError> {
        Ok(self.run(caller, &Viewer::build(())).await?.viewer)
    }

    /// Asks, for a Discord user who is not a member, to join the partner `partner_slug`;
    /// asking again while a request is pending returns it.
    pub async fn request_membership(
        &self,
        discord_user_id: &str,
        partner_slug: &str,
        display_name: &str,
        email: &str,
    ) -> Result<MembershipRequestView, ApiError> {
        let input = RequestMembershipInput {
            partner_slug: partner_slug.to_owned(),
            discord_user_id: discord_user_id.to_owned(),
            display_name: display_name.to_owned(),
            email: email.to_owned(),
        };
        let payload = self.run(&Caller::Bot, &RequestMembership::build(RequestVariables { input })).await?;
        let payload = payload.request_membership;
        written(payload.request, payload.user_errors, "request to join")
    }

    /// Approves or declines a request to join, as `caller` (the coordinator who pressed).
    pub async fn decide_membership(
        &self,
        caller: &Caller,
        request_id: &str,
        approve: bool,
    ) -> Result<MembershipRequestView, ApiError> {
        let input = DecideInput { id: request_id.into(), approve };
        let payload = self.run(caller, &DecideMembershipRequest::build(DecideVariables { input })).await?;
        let payload = payload.decide_membership_request;
        written(payload.request, payload.user_errors, "request to join")
    }

    /// Asks for a link code to be e-mailed to `email` for a Discord user; the answer is
    /// the same whether or not the address is a member's.
    pub async fn request_link_by_email(&self, discord_user_id: &str, email: &str) -> Result<(), ApiError> {
        let input = LinkByEmailInput { discord_user_id: discord_user_id.to_owned(), email: email.to_owned() };
        let operation = RequestDiscordLinkByEmail::build(LinkByEmailVariables { input });
        accepted(self.run(&Caller::Bot, &operation).await?.request_discord_link_by_email.user_errors)
    }
}
