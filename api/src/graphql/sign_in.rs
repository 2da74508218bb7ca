//! Signing in as GraphQL: e-mail codes, sessions, invitations. What a browser (the
//! explorer, or a partner's own frontend on an allowed origin) uses to get a bearer
//! token without anyone handing one over.

use async_graphql::{Context, Enum, ID, InputObject, Object, SimpleObject};
use chrono::{DateTime, Utc};
use lkn_entity::vocabulary::TokenKind;
use lkn_entity::{api_token, invitation, member};

use crate::error::{ServiceError, UserErrorCode};
use crate::graphql::ids::{self, NodeType};
use crate::graphql::loaders::{MemberById, PartnerById};
use crate::graphql::partners::Partner;
use crate::graphql::user_errors::UserError;
use crate::graphql::viewer::Member;
use crate::graphql::vocabulary::{Language, MemberRole};
use crate::graphql::{OrGraphql, db, request, split_user_errors};
use crate::mail::Links;
use crate::service::invitations::{self, NewInvitation, Standing};
use crate::service::sign_in::{self, Started};

/// A way in that a member holds: a browser session or an API token. Never its secret.
pub struct Session(pub api_token::Model, pub bool);

/// What kind of access a session is.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub enum SessionKind {
    /// Started by signing in from a browser; ends after 30 days without use.
    Session,
    /// An API token, for scripts and integrations; ends only when revoked.
    Api,
}

#[Object]
impl Session {
    /// Global id, for `revokeSession`.
    async fn id(&self) -> ID {
        ids::encode(NodeType::Session, self.0.id)
    }
    /// Browser session or API token.
    async fn kind(&self) -> SessionKind {
        match self.0.kind {
            TokenKind::Session => SessionKind::Session,
            TokenKind::Api => SessionKind::Api,
        }
    }
    /// The token's first characters, to recognise it by (`lkn_abc123…`).
    async fn display_prefix(&self) -> &str {
        &self.0.display_prefix
    }
    /// When it started.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// When it was last used (to the minute).
    async fn last_used_at(&self) -> Option<DateTime<Utc>> {
        self.0.last_used_at
    }
    /// When it ends unless used again; null for API tokens, which end only when revoked.
    async fn expires_at(&self) -> Option<DateTime<Utc>> {
        self.0.expires_at
    }
    /// Whether this request came with it.
    async fn current(&self) -> bool {
        self.1
    }
}

/// The sessions of `member`, for the member themselves.
pub async fn sessions_of(ctx: &Context<'_>, member: &member::Model) -> async_graphql::Result<Option<Vec<Session>>> {
    let request = request(ctx)?;
    let in_person = request.viewer.require_in_person().ok();
    if in_person.is_none_or(|viewer| viewer.id != member.id) {
        return Ok(None);
    }
    let rows = sign_in::sessions(db(ctx)?, &request.viewer, Utc::now()).await.gql()?;
    let current = request.origin.token_fingerprint.as_deref();
    Ok(Some(
        rows.into_iter()
            .map(|row| {
                let is_current = current == Some(row.token_hash.as_str());
                Session(row, is_current)
            })
            .collect(),
    ))
}

/// Where an invitation stands.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub enum InvitationStatus {
    /// Sent and still usable.
    Pending,
    /// Used to join.
    Accepted,
    /// Taken back.
    Withdrawn,
    /// Not used within 7 days.
    Expired,
}

/// An invitation to join a partner.
pub struct Invitation(pub invitation::Model);

#[Object]
impl Invitation {
    /// Global id, for `withdrawInvitation`.
    async fn id(&self) -> ID {
        ids::encode(NodeType::Invitation, self.0.id)
    }
    /// Where it went.
    async fn email(&self) -> &str {
        &self.0.email
    }
    /// The name it was addressed to.
    async fn display_name(&self) -> &str {
        &self.0.display_name
    }
    /// The role the invitee gets.
    async fn role(&self) -> MemberRole {
        self.0.role.into()
    }
    /// The language the e-mail was written in.
    async fn language(&self) -> Language {
        self.0.language.into()
    }
    /// The partner the invitee joins.
    async fn partner(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Partner>> {
        Ok(request(ctx)?.loader.load_one(PartnerById(self.0.partner_id)).await?.map(Partner))
    }
    /// Who sent it.
    async fn invited_by(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Member>> {
        let Some(id) = self.0.invited_by_id else { return Ok(None) };
        Ok(request(ctx)?.loader.load_one(MemberById(id)).await?.map(Member))
    }
    /// The member it made, once accepted.
    async fn member(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Member>> {
        let Some(id) = self.0.accepted_member_id else { return Ok(None) };
        Ok(request(ctx)?.loader.load_one(MemberById(id)).await?.map(Member))
    }
    /// Where it stands now.
    async fn status(&self) -> InvitationStatus {
        match invitations::standing(&self.0, Utc::now()) {
            Standing::Pending => InvitationStatus::Pending,
            Standing::Accepted => InvitationStatus::Accepted,
            Standing::Withdrawn => InvitationStatus::Withdrawn,
            Standing::Expired => InvitationStatus::Expired,
        }
    }
    /// When it was sent.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// When it stops working.
    async fn expires_at(&self) -> DateTime<Utc> {
        self.0.expires_at
    }
}

/// Asks for a sign-in code by e-mail.
#[derive(InputObject)]
pub struct RequestSignInInput {
    /// The address the member signs in with.
    pub email: String,
}

/// What `requestSignIn` returns: the same for every address, member or not.
#[derive(SimpleObject)]
pub struct RequestSignInPayload {
    /// True when the request was taken: a member of the network with this address gets
    /// an e-mail with a code within a minute; anyone else gets nothing.
    pub accepted: bool,
    /// Why the request was refused (an address that is not an address), if it was.
    pub user_errors: Vec<UserError>,
}

/// Completes a sign-in.
#[derive(InputObject)]
pub struct CompleteSignInInput {
    /// The code from the e-mail (case, spaces and dashes do not matter).
    pub code: String,
    /// The address the code was sent to. Optional, but with it five wrong codes lock the
    /// address's live code, so clients should send it.
    pub email: Option<String>,
}

/// What `completeSignIn` and `acceptInvitation` return.
#[derive(SimpleObject)]
pub struct SignedInPayload {
    /// The session's bearer token, shown only this once: send it as
    /// `Authorization: Bearer <token>`. Keep it out of URLs.
    pub token: Option<String>,
    /// The member signed in.
    pub member: Option<Member>,
    /// The session started.
    pub session: Option<Session>,
    /// Why the code was refused, if it was.
    pub user_errors: Vec<UserError>,
}

impl From<Option<Started>> for SignedInPayload {
    fn from(started: Option<Started>) -> Self {
        match started {
            Some(Started { member, token, session }) => Self {
                token: Some(token),
                member: Some(Member(member)),
                session: Some(Session(session, false)),
                user_errors: Vec::new(),
            },
            None => Self { token: None, member: None, session: None, user_errors: Vec::new() },
        }
    }
}

/// Names a session or token to end.
#[derive(InputObject)]
pub struct RevokeSessionInput {
    /// The session's global id.
    pub id: ID,
}

/// What `signOut` and `revokeSession` return.
#[derive(SimpleObject)]
pub struct SessionEndedPayload {
    /// True once the session has ended.
    pub ended: bool,
    /// Why it was refused, if it was.
    pub user_errors: Vec<UserError>,
}

/// Invites someone to join a partner.
#[derive(InputObject)]
pub struct InviteMemberInput {
    /// The partner they would join.
    pub partner_slug: String,
    /// Where the invitation goes.
    pub email: String,
    /// What they may do: MEMBER or COORDINATOR (administrators may also invite ADMIN).
    #[graphql(default_with = "MemberRole::Member")]
    pub role: MemberRole,
    /// The name shown on their posts until they change it.
    pub display_name: String,
    /// The language to write the e-mail in (Welsh letters carry English too).
    #[graphql(default_with = "Language::English")]
    pub language: Language,
}

/// What `inviteMember` and `withdrawInvitation` return.
#[derive(SimpleObject)]
pub struct InvitationPayload {
    /// The invitation.
    pub invitation: Option<Invitation>,
    /// Why the request was refused, if it was.
    pub user_errors: Vec<UserError>,
}

/// Accepts an invitation.
#[derive(InputObject)]
pub struct AcceptInvitationInput {
    /// The code from the invitation e-mail or link.
    pub code: String,
    /// The name to show on posts, if not the one the invitation gave.
    pub display_name: Option<String>,
}

/// Withdraws an invitation.
#[derive(InputObject)]
pub struct WithdrawInvitationInput {
    /// The invitation's global id.
    pub id: ID,
}

/// Takes one sign-in attempt from the caller's address; when none is left, the user
/// error (on `field`) says how long to wait.
fn spend_sign_in_attempt(ctx: &Context<'_>, field: &str) -> async_graphql::Result<Result<(), ServiceError>> {
    let request = request(ctx)?;
    let limiter = ctx
        .data::<std::sync::Arc<crate::rate_limit::RateLimiter>>()
        .map_err(|_| ServiceError::Internal("rate limiter missing from schema".into()).into_graphql())?;
    Ok(limiter.check_sign_in(request.origin.address, std::time::Instant::now()).map_err(|wait| {
        ServiceError::invalid(
            field,
            UserErrorCode::RateLimited,
            format!("too many sign-in attempts from your address; try again in {} s", wait.as_secs().max(1)),
        )
    }))
}

/// The links e-mails and notifications carry.
pub(crate) fn links<'a>(ctx: &Context<'a>) -> async_graphql::Result<&'a Links> {
    ctx.data::<Links>().map_err(|_| ServiceError::Internal("mail links missing from schema".into()).into_graphql())
}

fn decode_id(kind: NodeType, id: &ID, field: &str) -> Result<i64, ServiceError> {
    ids::decode(kind, id).ok_or_else(|| ServiceError::invalid(field, UserErrorCode::NotFound, "no such id"))
}

/// `invitations`.
#[derive(Default)]
pub struct SignInQuery;

#[Object]
impl SignInQuery {
    /// A partner's invitations, newest first: for its coordinators and administrators.
    async fn invitations(&self, ctx: &Context<'_>, partner_slug: String) -> async_graphql::Result<Vec<Invitation>> {
        let request = request(ctx)?;
        let rows = invitations::of_partner(db(ctx)?, &request.viewer, &partner_slug).await.gql()?;
        Ok(rows.into_iter().map(Invitation).collect())
    }
}

/// Sign-in, sessions and invitations.
#[derive(Default)]
pub struct SignInMutation;

#[Object]
impl SignInMutation {
    /// Sends a sign-in code to `email` if it is a member's. The answer is the same for
    /// every address, so nobody learns who is a member. Limited per address asked for
    /// and per client address.
    async fn request_sign_in(
        &self,
        ctx: &Context<'_>,
        input: RequestSignInInput,
    ) -> async_graphql::Result<RequestSignInPayload> {
        let request = request(ctx)?;
        let result = match spend_sign_in_attempt(ctx, "email")? {
            Ok(()) => sign_in::request_code(db(ctx)?, &request.write_context(), &input.email, links(ctx)?).await,
            Err(refused) => Err(refused),
        };
        let (done, user_errors) = split_user_errors(result)?;
        Ok(RequestSignInPayload { accepted: done.is_some(), user_errors })
    }

    /// Signs in with the code from the e-mail: returns a session token (ends after 30
    /// days without use, or at `signOut`) and the member.
    async fn complete_sign_in(
        &self,
        ctx: &Context<'_>,
        input: CompleteSignInInput,
    ) -> async_graphql::Result<SignedInPayload> {
        let request = request(ctx)?;
        let result = match spend_sign_in_attempt(ctx, "code")? {
            Ok(()) => sign_in::complete(db(ctx)?, &request.write_context(), &input.code, input.email.as_deref()).await,
            Err(refused) => Err(refused),
        };
        let (started, user_errors) = split_user_errors(result)?;
        Ok(SignedInPayload { user_errors, ..started.into() })
    }

    /// Ends the session this request came with; its open sockets close.
    async fn sign_out(&self, ctx: &Context<'_>) -> async_graphql::Result<SessionEndedPayload> {
        let request = request(ctx)?;
        let Some(fingerprint) = request.origin.token_fingerprint.as_deref() else {
            return Err(ServiceError::Unauthenticated("sign in first".into()).into_graphql());
        };
        let result = sign_in::sign_out(db(ctx)?, &request.write_context(), fingerprint).await;
        let (done, user_errors) = split_user_errors(result)?;
        Ok(SessionEndedPayload { ended: done.is_some(), user_errors })
    }

    /// Ends one of your own sessions or API tokens (see `viewer { sessions }`).
    async fn revoke_session(
        &self,
        ctx: &Context<'_>,
        input: RevokeSessionInput,
    ) -> async_graphql::Result<SessionEndedPayload> {
        let request = request(ctx)?;
        let result = match decode_id(NodeType::Session, &input.id, "id") {
            Ok(id) => sign_in::revoke_session(db(ctx)?, &request.write_context(), id).await,
            Err(error) => Err(error),
        };
        let (done, user_errors) = split_user_errors(result)?;
        Ok(SessionEndedPayload { ended: done.is_some(), user_errors })
    }

    /// Invites someone by e-mail to join a partner: coordinators for their own partner
    /// (as member or coordinator), administrators for any. The invitation works once,
    /// for 7 days. Asking again while one is pending returns it and sends nothing.
    async fn invite_member(
        &self,
        ctx: &Context<'_>,
        input: InviteMemberInput,
    ) -> async_graphql::Result<InvitationPayload> {
        let request = request(ctx)?;
        let new = NewInvitation {
            partner_slug: input.partner_slug,
            email: input.email,
            role: input.role.into(),
            display_name: input.display_name,
            language: input.language.into(),
        };
        let result = invitations::invite(db(ctx)?, &request.write_context(), new, links(ctx)?).await;
        let (invitation, user_errors) = split_user_errors(result)?;
        Ok(InvitationPayload { invitation: invitation.map(Invitation), user_errors })
    }

    /// Accepts an invitation with its code: creates the membership and signs in. Needs no
    /// token: the code is the proof.
    async fn accept_invitation(
        &self,
        ctx: &Context<'_>,
        input: AcceptInvitationInput,
    ) -> async_graphql::Result<SignedInPayload> {
        let request = request(ctx)?;
        let result = match spend_sign_in_attempt(ctx, "code")? {
            Ok(()) => {
                let context = request.write_context();
                invitations::accept(db(ctx)?, &context, &input.code, input.display_name.as_deref()).await
            }
            Err(refused) => Err(refused),
        };
        let (started, user_errors) = split_user_errors(result)?;
        Ok(SignedInPayload { user_errors, ..started.into() })
    }

    /// Withdraws a pending invitation: whoever may send it may withdraw it.
    async fn withdraw_invitation(
        &self,
        ctx: &Context<'_>,
        input: WithdrawInvitationInput,
    ) -> async_graphql::Result<InvitationPayload> {
        let request = request(ctx)?;
        let result = match decode_id(NodeType::Invitation, &input.id, "id") {
            Ok(id) => invitations::withdraw(db(ctx)?, &request.write_context(), id).await,
            Err(error) => Err(error),
        };
        let (invitation, user_errors) = split_user_errors(result)?;
        Ok(InvitationPayload { invitation: invitation.map(Invitation), user_errors })
    }
}
