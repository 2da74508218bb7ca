//! Identity as GraphQL: the `Member` type, `viewer`, `node(id:)`, and the Discord
//! linking mutations.

use async_graphql::{Context, ID, InputObject, Interface, Object, SimpleObject};
use chrono::{DateTime, Utc};
use lkn_entity::member;

use crate::error::{ServiceError, UserError};
use crate::graphql::collaborations::Collaboration;
use crate::graphql::ids::{self, NodeType};
use crate::graphql::loaders::{MemberById, PartnerById, ReplyById, VisibleCollaboration, VisibleThread};
use crate::graphql::partners::Partner;
use crate::graphql::threads::{Reply, Thread};
use crate::graphql::vocabulary::MemberRole;
use crate::graphql::{db, request};
use crate::service::identity;

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
    /// Their e-mail address: shown only to themselves and to administrators.
    async fn email(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<&str>> {
        let viewer = &request(ctx)?.viewer;
        let allowed = viewer.is_admin() || viewer.member().is_some_and(|m| m.id == self.0.id);
        Ok(allowed.then_some(self.0.email.as_str()))
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
        let Some((kind, id)) = ids::decode_any(&id) else { return Ok(None) };
        let loader = &request(ctx)?.loader;
        Ok(match kind {
            NodeType::Partner => loader.load_one(PartnerById(id)).await?.map(|p| Node::Partner(Partner(p))),
            NodeType::Member => loader.load_one(MemberById(id)).await?.map(|m| Node::Member(Member(m))),
            NodeType::Thread => loader.load_one(VisibleThread(id)).await?.map(|t| Node::Thread(Thread(t))),
            NodeType::Reply => match loader.load_one(ReplyById(id)).await? {
                Some(reply) if loader.load_one(VisibleThread(reply.thread_id)).await?.is_some() => {
                    Some(Node::Reply(Reply(reply)))
                }
                _ => None,
            },
            NodeType::Collaboration => {
                loader.load_one(VisibleCollaboration(id)).await?.map(|c| Node::Collaboration(Collaboration(c)))
            }
        })
    }
}

/// Splits a service result into a payload's object and its user errors; other errors
/// become GraphQL errors.
pub fn split_user_errors<T>(result: Result<T, ServiceError>) -> async_graphql::Result<(Option<T>, Vec<UserError>)> {
    match result {
        Ok(value) => Ok((Some(value), Vec::new())),
        Err(ServiceError::Invalid(errors)) => Ok((None, errors)),
        Err(other) => Err(other.into_graphql()),
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

/// The identity mutations.
#[derive(Default)]
pub struct IdentityMutation;

#[Object]
impl IdentityMutation {
    /// Makes a short-lived, single-use code that links the caller's Discord account when
    /// typed into the bot's `/link` command.
    async fn create_discord_link_code(&self, ctx: &Context<'_>) -> async_graphql::Result<CreateDiscordLinkCodePayload> {
        let result = identity::create_discord_link_code(db(ctx)?, &request(ctx)?.viewer, Utc::now()).await;
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
        let result = identity::link_discord_account(
            db(ctx)?,
            &request(ctx)?.viewer,
            &input.code,
            &input.discord_user_id,
            Utc::now(),
        )
        .await;
        let (member, user_errors) = split_user_errors(result)?;
        Ok(LinkDiscordAccountPayload { member: member.map(Member), user_errors })
    }
}
