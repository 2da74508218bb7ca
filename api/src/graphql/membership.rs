//! Joining and linking from Discord as GraphQL: requests to join a partner (`/join`),
//! their approval by the partner's coordinators, and link codes e-mailed to members who
//! ask from Discord (`/link email:`). The bot is the only client of these.

use async_graphql::{Context, ID, InputObject, Object, SimpleObject};
use chrono::{DateTime, Utc};
use lkn_entity::{membership_request, partner};

use crate::graphql::ids::{self, NodeType};
use crate::graphql::loaders::MemberById;
use crate::graphql::partners::Partner;
use crate::graphql::user_errors::UserError;
use crate::graphql::viewer::Member;
use crate::graphql::vocabulary::MembershipRequestStatus;
use crate::graphql::{db, request, split_user_errors};
use crate::service::identity;
use crate::service::membership_requests::{self, Asked, NewMembershipRequest};

/// Someone's request, from Discord, to join a partner: what its coordinators decide on.
pub struct MembershipRequest(pub membership_request::Model, pub partner::Model);

impl From<Asked> for MembershipRequest {
    fn from(asked: Asked) -> Self {
        Self(asked.request, asked.partner)
    }
}

#[Object]
impl MembershipRequest {
    /// Global id, for `decideMembershipRequest`.
    async fn id(&self) -> ID {
        ids::encode(NodeType::MembershipRequest, self.0.id)
    }
    /// The partner asked to join.
    async fn partner(&self) -> Partner {
        Partner(self.1.clone())
    }
    /// The name the person gave.
    async fn display_name(&self) -> &str {
        &self.0.display_name
    }
    /// The address the person gave, for signing in on the web once approved.
    async fn email(&self) -> &str {
        &self.0.email
    }
    /// The Discord account that asked; the new member acts through it.
    async fn discord_user_id(&self) -> &str {
        &self.0.discord_user_id
    }
    /// Pending, approved or declined.
    async fn status(&self) -> MembershipRequestStatus {
        self.0.status.into()
    }
    /// Who decided.
    async fn decided_by(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Member>> {
        let Some(id) = self.0.decided_by_id else { return Ok(None) };
        Ok(request(ctx)?.loader.load_one(MemberById(id)).await?.map(Member))
    }
    /// The member an approval created.
    async fn member(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Member>> {
        let Some(id) = self.0.member_id else { return Ok(None) };
        Ok(request(ctx)?.loader.load_one(MemberById(id)).await?.map(Member))
    }
    /// When the person asked.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// When it was decided.
    async fn decided_at(&self) -> Option<DateTime<Utc>> {
        self.0.decided_at
    }
}

/// Asks to join a partner, for a Discord user who is not a member yet.
#[derive(InputObject)]
pub struct RequestMembershipInput {
    /// The partner to join.
    pub partner_slug: String,
    /// The Discord user asking.
    pub discord_user_id: String,
    /// The name to show on their posts.
    pub display_name: String,
    /// Their work address: members sign in on the web with it.
    pub email: String,
}

/// Approves or declines a request to join.
#[derive(InputObject)]
pub struct DecideMembershipRequestInput {
    /// The request's global id.
    pub id: ID,
    /// True to approve (the member is created, Discord linked), false to decline.
    pub approve: bool,
}

/// What `requestMembership` and `decideMembershipRequest` return.
#[derive(SimpleObject)]
pub struct MembershipRequestPayload {
    /// The request as it now stands.
    pub request: Option<MembershipRequest>,
    /// Why it was refused, if it was.
    pub user_errors: Vec<UserError>,
}

/// Asks for a Discord link code by e-mail.
#[derive(InputObject)]
pub struct RequestDiscordLinkByEmailInput {
    /// The Discord user asking; the code links only this account.
    pub discord_user_id: String,
    /// The member's address.
    pub email: String,
}

/// What `requestDiscordLinkByEmail` returns: the same for every address.
#[derive(SimpleObject)]
pub struct RequestDiscordLinkByEmailPayload {
    /// True when the request was taken: an active member with this address gets an
    /// e-mail with a code within a minute; anyone else gets nothing.
    pub accepted: bool,
    /// Why it was refused (an address that is not one, too many requests), if it was.
    pub user_errors: Vec<UserError>,
}

/// Joining and linking from Discord.
#[derive(Default)]
pub struct MembershipMutation;

#[Object]
impl MembershipMutation {
    /// Records a Discord user's request to join a partner, for its coordinators to
    /// decide. Asking again while one is pending returns it. Bot only, in its own name.
    async fn request_membership(
        &self,
        ctx: &Context<'_>,
        input: RequestMembershipInput,
    ) -> async_graphql::Result<MembershipRequestPayload> {
        let request = request(ctx)?;
        let new = NewMembershipRequest {
            partner_slug: input.partner_slug,
            discord_user_id: input.discord_user_id,
            display_name: input.display_name,
            email: input.email,
        };
        let result = membership_requests::request(db(ctx)?, &request.write_context(), new).await;
        let (asked, user_errors) = split_user_errors(result)?;
        Ok(MembershipRequestPayload { request: asked.map(Into::into), user_errors })
    }

    /// Approves or declines a request to join: the partner's coordinators and
    /// administrators, in person or through the bot. Approval creates the member with
    /// the Discord account linked; no token is handed out.
    async fn decide_membership_request(
        &self,
        ctx: &Context<'_>,
        input: DecideMembershipRequestInput,
    ) -> async_graphql::Result<MembershipRequestPayload> {
        let request = request(ctx)?;
        let result = match ids::decode_input(NodeType::MembershipRequest, &input.id, "id") {
            Ok(id) => membership_requests::decide(db(ctx)?, &request.write_context(), id, input.approve).await,
            Err(error) => Err(error),
        };
        let (asked, user_errors) = split_user_errors(result)?;
        Ok(MembershipRequestPayload { request: asked.map(Into::into), user_errors })
    }

    /// E-mails a Discord link code to `email` if it is an active member's; the code
    /// links only the Discord account that asked. The answer is the same for every
    /// address. Bot only, in its own name; limited per Discord user.
    async fn request_discord_link_by_email(
        &self,
        ctx: &Context<'_>,
        input: RequestDiscordLinkByEmailInput,
    ) -> async_graphql::Result<RequestDiscordLinkByEmailPayload> {
        let request = request(ctx)?;
        let context = request.write_context();
        let result =
            identity::request_discord_link_by_email(db(ctx)?, &context, &input.discord_user_id, &input.email).await;
        let (done, user_errors) = split_user_errors(result)?;
        Ok(RequestDiscordLinkByEmailPayload { accepted: done.is_some(), user_errors })
    }
}
