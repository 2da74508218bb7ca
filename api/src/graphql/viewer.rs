//! Identity as GraphQL: the `Member` type, `viewer`, `node(id:)`, and the Discord
//! linking mutations.

use async_graphql::{Context, ID, InputObject, Interface, Object, SimpleObject};
use chrono::{DateTime, Utc};
use lkn_entity::member;

use crate::error::ServiceError;
use crate::graphql::collaborations::Collaboration;
use crate::graphql::connection::{Conn, connection, page_request};
use crate::graphql::ids::{self, NodeType};
use crate::graphql::loaders::{
    ExpertiseOf, MemberById, PartnerById, VisibleCollaboration, VisibleReply, VisibleThread,
};
use crate::graphql::partners::Partner;
use crate::graphql::threads::{Reply, Thread};
use crate::graphql::user_errors::UserError;
use crate::graphql::vocabulary::{Language, MemberRole};
use crate::graphql::{OrGraphql, db, request, split_user_errors};
use crate::service::{access, audit, identity, profiles};

/// A staff account at a partner.
pub struct Member(pub member::Model);

#[Object]
impl Member {
    /// Global id.
    pub async fn id(&self) -> ID {
        ids::encode(NodeType::Member, self.0.id)
    }
    /// The name shown on their posts.
    async fn display_name(&self) -> &str {
        &self.0.display_name
    }
    /// What they may do.
    async fn role(&self) -> MemberRole {
        self.0.role.into()
    }
    /// The partner they work for.
    async fn partner(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Partner>> {
        Ok(request(ctx)?.loader.load_one(PartnerById(self.0.partner_id)).await?.map(Partner))
    }
    /// Whether a Discord account is linked.
    async fn discord_linked(&self) -> bool {
        self.0.discord_user_id.is_some()
    }
    /// When they were suspended, while they are: shown to administrators and to their
    /// partner's coordinators, who may lift it.
    async fn suspended_at(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<DateTime<Utc>>> {
        Ok(crate::service::members::suspension_for(&request(ctx)?.viewer, &self.0))
    }
    /// Their e-mail address: shown only to themselves and to administrators.
    async fn email(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<&str>> {
        Ok(crate::service::members::email_for(&request(ctx)?.viewer, &self.0))
    }
    /// A few lines about their work, in their own words; empty until they write some.
    async fn bio(&self) -> &str {
        self.0.bio.as_deref().unwrap_or_default()
    }
    /// The languages they work in, so colleagues know whom to ask in Welsh or Gaelic.
    async fn languages(&self) -> Vec<Language> {
        profiles::languages_of(&self.0).into_iter().map(Into::into).collect()
    }
    /// The language LKN writes to them in: e-mails and the bot.
    async fn preferred_language(&self) -> Language {
        self.0.preferred_language.into()
    }
    /// The topics they declare they know about, as tags, alphabetically: one of the
    /// signals `whoKnows` ranks by.
    async fn expertise(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<String>> {
        Ok(request(ctx)?.loader.load_one(ExpertiseOf(self.0.id)).await?.unwrap_or_default())
    }
    /// Their sessions and API tokens that still work, newest first (no secrets): shown
    /// only to themselves, signed in in person; null for anyone else.
    async fn sessions(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Option<Vec<crate::graphql::sign_in::Session>>> {
        crate::graphql::sign_in::sessions_of(ctx, &self.0).await
    }
    /// What they were told, newest first (unread ones only if asked), with how many are
    /// unread: shown only to themselves (also through the bot); null for anyone else.
    #[graphql(complexity = "first.unwrap_or(20).max(0) as usize * child_complexity + 2")]
    async fn notifications(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        #[graphql(default = false)] unread_only: bool,
    ) -> async_graphql::Result<Option<crate::graphql::notifications::NotificationConnection>> {
        crate::graphql::notifications::notifications_of(ctx, &self.0, first, after.as_deref(), unread_only).await
    }
    /// When they hear of each kind of notification, by e-mail and by Discord: shown only
    /// to themselves; null for anyone else.
    async fn notification_preferences(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Option<Vec<crate::graphql::notifications::NotificationPreference>>> {
        crate::graphql::notifications::preferences_of(ctx, &self.0).await
    }
}

/// Any object with a global id.
#[derive(Interface)]
#[graphql(field(name = "id", ty = "ID", desc = "Global id."))]
pub enum Node {
    /// A partner.
    Partner(Partner),
    /// A member.
    Member(Member),
    /// A thread.
    Thread(Thread),
    /// A reply.
    Reply(Reply),
    /// A collaboration.
    Collaboration(Collaboration),
}

/// `viewer` and `node`.
#[derive(Default)]
pub struct ViewerQuery;

#[Object]
impl ViewerQuery {
    /// The signed-in member, or the member the bot acts for; null when anonymous.
    async fn viewer(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Member>> {
        Ok(request(ctx)?.viewer.member().cloned().map(Member))
    }

    /// Any object by global id; null if there is none the caller may see.
    async fn node(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Option<Node>> {
        let Some((kind, id)) = ids::decode_any(&id) else {
            return Ok(None);
        };
        let loader = &request(ctx)?.loader;
        Ok(match kind {
            NodeType::Partner => loader.load_one(PartnerById(id)).await?.map(|p| Node::Partner(Partner(p))),
            NodeType::Member => loader.load_one(MemberById(id)).await?.map(|m| Node::Member(Member(m))),
            NodeType::Thread => loader.load_one(VisibleThread(id)).await?.map(|t| Node::Thread(Thread(t))),
            NodeType::Reply => loader.load_one(VisibleReply(id)).await?.map(|r| Node::Reply(Reply(r))),
            NodeType::Collaboration => {
                loader.load_one(VisibleCollaboration(id)).await?.map(|c| Node::Collaboration(Collaboration(c)))
            }
            NodeType::Session
            | NodeType::Invitation
            | NodeType::MembershipRequest
            | NodeType::Notification
            | NodeType::Delivery => None,
        })
    }
}

/// What `createDiscordLinkCode` returns.
#[derive(SimpleObject)]
pub struct CreateDiscordLinkCodePayload {
    /// The code to type into Discord's `/link` command.
    pub code: Option<String>,
    /// When the code stops working.
    pub expires_at: Option<DateTime<Utc>>,
    /// Why the request was refused, if it was.
    pub user_errors: Vec<UserError>,
}

/// Links a Discord account with a code; only the bot may send it.
#[derive(InputObject)]
pub struct LinkDiscordAccountInput {
    /// The code the member made with `createDiscordLinkCode`.
    pub code: String,
    /// The Discord user's id (a snowflake).
    pub discord_user_id: String,
}

/// What `linkDiscordAccount` returns.
#[derive(SimpleObject)]
pub struct LinkDiscordAccountPayload {
    /// The member now linked.
    pub member: Option<Member>,
    /// Why the link was refused, if it was.
    pub user_errors: Vec<UserError>,
}

/// Adds a staff member to a partner.
#[derive(InputObject)]
pub struct AddMemberInput {
    /// The partner's slug.
    pub partner_slug: String,
    /// Their e-mail address.
    pub email: String,
    /// The name shown on their posts.
    pub display_name: String,
    /// What they may do.
    #[graphql(default_with = "MemberRole::Member")]
    pub role: MemberRole,
}

/// A single-use code that only the member it names can redeem, with
/// `redeemEnrolmentCode`, for an API token of their own: whoever sets up someone
/// else's access never holds their secret.
#[derive(SimpleObject)]
pub struct Enrolment {
    /// The code, shown only this once; pass it on to the member.
    pub code: String,
    /// When it stops working.
    pub expires_at: DateTime<Utc>,
}

impl From<access::Enrolment> for Enrolment {
    fn from(enrolment: access::Enrolment) -> Self {
        Self { code: enrolment.code, expires_at: enrolment.expires_at }
    }
}

/// What `addMember` returns.
#[derive(SimpleObject)]
pub struct AddMemberPayload {
    /// The new member.
    pub member: Option<Member>,
    /// The code with which the new member gets their first token.
    pub enrolment: Option<Enrolment>,
    /// Why the request was refused, if it was.
    pub user_errors: Vec<UserError>,
}

/// Names a member to suspend or restore.
#[derive(InputObject)]
pub struct SuspendMemberInput {
    /// The member's global id.
    pub member_id: ID,
}

/// What `suspendMember` and `restoreMember` return.
#[derive(SimpleObject)]
pub struct SuspendMemberPayload {
    /// The member as they are now.
    pub member: Option<Member>,
    /// Why the request was refused, if it was.
    pub user_errors: Vec<UserError>,
}

/// Redeems an enrolment code.
#[derive(InputObject)]
pub struct RedeemEnrolmentCodeInput {
    /// The code a coordinator or administrator passed on.
    pub code: String,
}

/// What `redeemEnrolmentCode` returns.
#[derive(SimpleObject)]
pub struct RedeemEnrolmentCodePayload {
    /// The member the code enrolled.
    pub member: Option<Member>,
    /// Their new API token, shown only this once.
    pub token: Option<String>,
    /// Why the code was refused, if it was.
    pub user_errors: Vec<UserError>,
}

/// Names a member whose tokens to manage.
#[derive(InputObject)]
pub struct MemberTokenInput {
    /// The member's global id.
    pub member_id: ID,
}

/// What `issueToken` returns: a token when you issue one for yourself, an enrolment
/// code for the member otherwise.
#[derive(SimpleObject)]
pub struct IssueTokenPayload {
    /// The new token, shown only this once; only when issued for yourself.
    pub token: Option<String>,
    /// The code the member redeems for their token, when issued for someone else.
    pub enrolment: Option<Enrolment>,
    /// Why the request was refused, if it was.
    pub user_errors: Vec<UserError>,
}

/// Splits access into the token or the enrolment code of a payload.
fn access_fields(granted: Option<access::Access>) -> (Option<String>, Option<Enrolment>) {
    match granted {
        Some(access::Access::Token(token)) => (Some(token), None),
        Some(access::Access::Enrolment(enrolment)) => (None, Some(enrolment.into())),
        None => (None, None),
    }
}

/// What `revokeTokens` returns.
#[derive(SimpleObject)]
pub struct RevokeTokensPayload {
    /// How many live tokens were revoked.
    pub revoked_count: Option<i64>,
    /// Why the request was refused, if it was.
    pub user_errors: Vec<UserError>,
}

async fn token_holder(ctx: &Context<'_>, id: &ID) -> Result<lkn_entity::member::Model, ServiceError> {
    let id = ids::decode_input(NodeType::Member, id, "memberId")?;
    access::member_by_id(db(ctx).map_err(|_| ServiceError::Internal("database missing".into()))?, id)
        .await
        .map_err(|_| ServiceError::invalid("memberId", crate::error::UserErrorCode::NotFound, "no member with this id"))
}

/// `suspendMember` and `restoreMember`.
async fn set_suspended(
    ctx: &Context<'_>,
    member_id: &ID,
    suspend: bool,
) -> async_graphql::Result<SuspendMemberPayload> {
    let request = request(ctx)?;
    request.viewer.require_in_person().map_err(ServiceError::into_graphql)?;
    let result = match token_holder(ctx, member_id).await {
        Ok(target) => {
            access::set_suspended(db(ctx)?, &request.write_context(), access::Authority::Viewer, &target, suspend).await
        }
        Err(error) => Err(error),
    };
    let (member, user_errors) = split_user_errors(result)?;
    Ok(SuspendMemberPayload { member: member.map(Member), user_errors })
}

/// The identity mutations.
#[derive(Default)]
pub struct IdentityMutation;

#[Object]
impl IdentityMutation {
    /// Makes a short-lived, single-use code that links the caller's Discord account when
    /// typed into the bot's `/link` command.
    async fn create_discord_link_code(&self, ctx: &Context<'_>) -> async_graphql::Result<CreateDiscordLinkCodePayload> {
        let request = request(ctx)?;
        let result = identity::create_discord_link_code(db(ctx)?, &request.write_context()).await;
        let (made, user_errors) = split_user_errors(result)?;
        Ok(CreateDiscordLinkCodePayload {
            code: made.as_ref().map(|(code, _)| code.clone()),
            expires_at: made.map(|(_, at)| at),
            user_errors,
        })
    }

    /// Links a Discord user to the member who made the code. The bot's identity only.
    async fn link_discord_account(
        &self,
        ctx: &Context<'_>,
        input: LinkDiscordAccountInput,
    ) -> async_graphql::Result<LinkDiscordAccountPayload> {
        let request = request(ctx)?;
        let result =
            identity::link_discord_account(db(ctx)?, &request.write_context(), &input.code, &input.discord_user_id)
                .await;
        let (member, user_errors) = split_user_errors(result)?;
        Ok(LinkDiscordAccountPayload { member: member.map(Member), user_errors })
    }

    /// Adds a member and returns their first token. Administrators for any partner and
    /// role; coordinators for members and coordinators of their own partner.
    async fn add_member(&self, ctx: &Context<'_>, input: AddMemberInput) -> async_graphql::Result<AddMemberPayload> {
        let request = request(ctx)?;
        let new = access::NewMember {
            partner_slug: input.partner_slug,
            email: input.email,
            display_name: input.display_name,
            role: input.role.into(),
        };
        let result = access::add_member(db(ctx)?, &request.write_context(), access::Authority::Viewer, new).await;
        let (made, user_errors) = split_user_errors(result)?;
        let (member, access) = made.map_or((None, None), |(m, a)| (Some(Member(m)), Some(a)));
        let (_, enrolment) = access_fields(access);
        Ok(AddMemberPayload { member, enrolment, user_errors })
    }

    /// Issues a further API token for yourself, or, as a coordinator or administrator,
    /// an enrolment code with which the member gets one. Never through the bot.
    async fn issue_token(
        &self,
        ctx: &Context<'_>,
        input: MemberTokenInput,
    ) -> async_graphql::Result<IssueTokenPayload> {
        let request = request(ctx)?;
        request.viewer.require_in_person().map_err(ServiceError::into_graphql)?;
        let result = match token_holder(ctx, &input.member_id).await {
            Ok(holder) => {
                access::issue_token(db(ctx)?, &request.write_context(), access::Authority::Viewer, &holder).await
            }
            Err(error) => Err(error),
        };
        let (access, user_errors) = split_user_errors(result)?;
        let (token, enrolment) = access_fields(access);
        Ok(IssueTokenPayload { token, enrolment, user_errors })
    }

    /// Redeems an enrolment code for a new API token of the member it names. Needs no
    /// token: the code is the proof.
    async fn redeem_enrolment_code(
        &self,
        ctx: &Context<'_>,
        input: RedeemEnrolmentCodeInput,
    ) -> async_graphql::Result<RedeemEnrolmentCodePayload> {
        let request = request(ctx)?;
        let result = access::redeem_enrolment(db(ctx)?, &request.write_context(), &input.code).await;
        let (redeemed, user_errors) = split_user_errors(result)?;
        let (member, token) = redeemed.map_or((None, None), |(m, t)| (Some(Member(m)), Some(t)));
        Ok(RedeemEnrolmentCodePayload { member, token, user_errors })
    }

    /// Suspends a member: their tokens, open sockets and the bot acting for their Discord
    /// account stop working within a second, until they are restored. Administrators,
    /// and coordinators for their own partner's staff. Never through the bot.
    async fn suspend_member(
        &self,
        ctx: &Context<'_>,
        input: SuspendMemberInput,
    ) -> async_graphql::Result<SuspendMemberPayload> {
        set_suspended(ctx, &input.member_id, true).await
    }

    /// Lifts a member's suspension. Who may suspend may restore.
    async fn restore_member(
        &self,
        ctx: &Context<'_>,
        input: SuspendMemberInput,
    ) -> async_graphql::Result<SuspendMemberPayload> {
        set_suspended(ctx, &input.member_id, false).await
    }

    /// Revokes every token of a member: yourself, or as a coordinator or administrator.
    /// Never through the bot.
    async fn revoke_tokens(
        &self,
        ctx: &Context<'_>,
        input: MemberTokenInput,
    ) -> async_graphql::Result<RevokeTokensPayload> {
        let request = request(ctx)?;
        request.viewer.require_in_person().map_err(ServiceError::into_graphql)?;
        let result = match token_holder(ctx, &input.member_id).await {
            Ok(holder) => {
                access::revoke_tokens(db(ctx)?, &request.write_context(), access::Authority::Viewer, &holder).await
            }
            Err(error) => Err(error),
        };
        let (revoked, user_errors) = split_user_errors(result)?;
        Ok(RevokeTokensPayload { revoked_count: revoked.map(|n| n as i64), user_errors })
    }
}

/// One entry of the audit trail.
pub struct AuditEvent(pub lkn_entity::audit_event::Model);

#[Object]
impl AuditEvent {
    /// What was done (`thread.post`, `collaboration.advance`, ...).
    async fn action(&self) -> &str {
        &self.0.action
    }
    /// The member whose token made the request (the bot, when it acted for someone).
    async fn actor(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Member>> {
        let Some(id) = self.0.actor_id else {
            return Ok(None);
        };
        Ok(request(ctx)?.loader.load_one(MemberById(id)).await?.map(Member))
    }
    /// The member the bot acted for.
    async fn on_behalf_of(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Member>> {
        let Some(id) = self.0.on_behalf_of_id else {
            return Ok(None);
        };
        Ok(request(ctx)?.loader.load_one(MemberById(id)).await?.map(Member))
    }
    /// The type of object acted on.
    async fn subject_type(&self) -> &str {
        &self.0.subject_type
    }
    /// The global id of the object acted on.
    async fn subject_id(&self) -> ID {
        let kind = match self.0.subject_type.as_str() {
            "Thread" => NodeType::Thread,
            "Reply" => NodeType::Reply,
            "Collaboration" => NodeType::Collaboration,
            "Partner" => NodeType::Partner,
            _ => NodeType::Member,
        };
        ids::encode(kind, self.0.subject_id)
    }
    /// The request id, as in the `x-request-id` response header and the logs.
    async fn request_id(&self) -> Option<&str> {
        self.0.request_id.as_deref()
    }
    /// A short JSON summary of the change.
    async fn detail(&self) -> &str {
        &self.0.detail
    }
    /// When it was done.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

/// The audit trail query.
#[derive(Default)]
pub struct AuditQuery;

#[Object]
impl AuditQuery {
    /// Every write, newest first. Administrators only.
    #[graphql(complexity = "(first.unwrap_or(20).clamp(1, 100) as usize).saturating_mul(child_complexity.max(1))")]
    async fn audit_events(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Conn<AuditEvent>> {
        let page_request = page_request(ctx, first, after.as_deref())?;
        let page = audit::list(db(ctx)?, &request(ctx)?.viewer, &page_request).await.gql()?;
        Ok(connection(page, AuditEvent))
    }
}
