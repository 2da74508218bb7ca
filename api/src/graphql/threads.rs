//! Knowledge-exchange threads as GraphQL: `Thread`, `Reply`, `Tag`, and the `threads`,
//! `thread` and `tags` queries.

use async_graphql::{Context, Enum, ID, InputObject, Object, SimpleObject};
use chrono::{DateTime, Utc};
use lkn_entity::{reply, thread};

use crate::error::ServiceError;
use crate::graphql::collaborations::Collaboration;
use crate::graphql::connection::{Conn, connection, page_request};
use crate::graphql::ids::{self, NodeType};
use crate::graphql::loaders::{FirstReplies, MemberById, PartnerById, TagsOfThread, VisibleReply};
use crate::graphql::partners::Partner;
use crate::graphql::user_errors::UserError;
use crate::graphql::viewer::Member;
use crate::graphql::vocabulary::{Language, ThreadKind, ThreadStatus, Visibility};
use crate::graphql::{OrGraphql, db, prefetch, request, split_user_errors};
use crate::service::discord::DiscordOrigin;
use crate::service::page::{Cursor, Page, TotalCount};
use crate::service::{collaborations, threads};

/// A knowledge-exchange thread: a question, an idea or a shared resource.
pub struct Thread(pub thread::Model);

#[Object]
impl Thread {
    /// Global id.
    pub async fn id(&self) -> ID {
        ids::encode(NodeType::Thread, self.0.id)
    }
    /// Question, idea or resource.
    async fn kind(&self) -> ThreadKind {
        self.0.kind.into()
    }
    /// One-line title.
    async fn title(&self) -> &str {
        &self.0.title
    }
    /// Markdown body.
    async fn body(&self) -> &str {
        &self.0.body
    }
    /// The language it is written in.
    async fn language(&self) -> Language {
        self.0.language.into()
    }
    /// Open, answered or closed.
    async fn status(&self) -> ThreadStatus {
        self.0.status.into()
    }
    /// Network-only or public.
    async fn visibility(&self) -> Visibility {
        self.0.visibility.into()
    }
    /// Who posted it.
    async fn author(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Member>> {
        Ok(request(ctx)?.loader.load_one(MemberById(self.0.author_id)).await?.map(Member))
    }
    /// The author's partner when it was posted.
    async fn partner(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Partner>> {
        Ok(request(ctx)?.loader.load_one(PartnerById(self.0.partner_id)).await?.map(Partner))
    }
    /// Its tags, in name order.
    async fn tags(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<String>> {
        Ok(request(ctx)?.loader.load_one(TagsOfThread(self.0.id)).await?.unwrap_or_default())
    }
    /// Its replies, oldest first.
    #[graphql(complexity = "(first.unwrap_or(20).clamp(1, 100) as usize).saturating_mul(child_complexity.max(1))")]
    async fn replies(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Conn<Reply>> {
        let page_request = page_request(ctx, first, after.as_deref())?;
        if page_request.after.is_some() {
            let page = threads::replies(db(ctx)?, self.0.id, &page_request).await.gql()?;
            return Ok(connection(page, Reply));
        }
        // The first page of many threads' replies is one batched statement.
        let key = FirstReplies { thread_id: self.0.id, n: page_request.first + 1 };
        let rows = request(ctx)?.loader.load_one(key).await?.unwrap_or_default();
        let total = TotalCount::Known(self.0.reply_count.into());
        let page = Page::from_rows(&page_request, rows, |r| Cursor { key: None, id: r.id }, total);
        Ok(connection(page, Reply))
    }
    /// How many replies it has.
    async fn reply_count(&self) -> i32 {
        self.0.reply_count
    }
    /// The reply accepted as the answer.
    async fn accepted_reply(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Reply>> {
        let Some(id) = self.0.accepted_reply_id else {
            return Ok(None);
        };
        Ok(request(ctx)?.loader.load_one(VisibleReply(id)).await?.map(Reply))
    }
    /// Members who endorse it.
    async fn endorsement_count(&self) -> i32 {
        self.0.endorsement_count
    }
    /// Distinct partners whose members endorse it.
    async fn endorsing_partner_count(&self) -> i32 {
        self.0.endorsing_partner_count
    }
    /// Collaborations that grew from this idea.
    async fn collaborations(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Collaboration>> {
        let rows = collaborations::by_origin_thread(db(ctx)?, &request(ctx)?.viewer, self.0.id).await.gql()?;
        Ok(rows.into_iter().map(Collaboration).collect())
    }
    /// The version an edit must name, to refuse overwriting someone else's change.
    async fn version(&self) -> i32 {
        self.0.version
    }
    /// When it was posted.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// When its content or status last changed.
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
    /// When it was posted or last replied to.
    async fn last_activity_at(&self) -> DateTime<Utc> {
        self.0.last_activity_at
    }
}

/// A reply in a thread.
pub struct Reply(pub reply::Model);

#[Object]
impl Reply {
    /// Global id.
    pub async fn id(&self) -> ID {
        ids::encode(NodeType::Reply, self.0.id)
    }
    /// Markdown body.
    async fn body(&self) -> &str {
        &self.0.body
    }
    /// Who wrote it.
    async fn author(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Member>> {
        Ok(request(ctx)?.loader.load_one(MemberById(self.0.author_id)).await?.map(Member))
    }
    /// Whether it is the thread's accepted answer.
    async fn is_accepted(&self) -> bool {
        self.0.is_accepted
    }
    /// When it was posted.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// The thread it answers.
    async fn thread(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Thread>> {
        use crate::graphql::loaders::VisibleThread;
        Ok(request(ctx)?.loader.load_one(VisibleThread(self.0.thread_id)).await?.map(Thread))
    }
}

/// A tag and how many visible threads carry it.
#[derive(SimpleObject)]
pub struct Tag {
    /// Lower-case words joined by hyphens.
    pub name: String,
    /// Visible threads carrying it.
    pub thread_count: i64,
}

/// The orders a thread feed can take.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Default)]
#[graphql(remote = "threads::ThreadOrder")]
pub enum ThreadOrder {
    /// Newest first.
    #[default]
    Newest,
    /// Most recently posted or replied to first.
    RecentlyActive,
    /// Most endorsed first.
    MostEndorsed,
    /// Threads without replies first.
    UnansweredFirst,
}

/// Narrows a thread feed.
#[derive(InputObject, Default)]
pub struct ThreadFilter {
    /// Only this kind.
    pub kind: Option<ThreadKind>,
    /// Only this status.
    pub status: Option<ThreadStatus>,
    /// Only threads with this tag.
    pub tag: Option<String>,
    /// Only threads from this partner.
    pub partner_slug: Option<String>,
    /// Only threads in this language.
    pub language: Option<Language>,
    /// Only threads whose title contains this text, ignoring case in any script
    /// (`ÉCOLE` finds `école`); `%` and `_` match themselves.
    pub title_contains: Option<String>,
}

impl From<ThreadFilter> for threads::ThreadFilter {
    fn from(filter: ThreadFilter) -> Self {
        Self {
            kind: filter.kind.map(Into::into),
            status: filter.status.map(Into::into),
            tag: filter.tag,
            partner_slug: filter.partner_slug,
            language: filter.language.map(Into::into),
            title_contains: filter.title_contains,
        }
    }
}

/// The thread queries.
#[derive(Default)]
pub struct ThreadQuery;

#[Object]
impl ThreadQuery {
    /// A feed of the threads the caller may see.
    #[graphql(complexity = "(first.unwrap_or(20).clamp(1, 100) as usize).saturating_mul(child_complexity.max(1))")]
    async fn threads(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        filter: Option<ThreadFilter>,
        #[graphql(default)] order_by: ThreadOrder,
    ) -> async_graphql::Result<Conn<Thread>> {
        let page_request = page_request(ctx, first, after.as_deref())?;
        let query = threads::ThreadQuery { filter: filter.unwrap_or_default().into(), order: order_by.into() };
        let page = threads::list(db(ctx)?, &request(ctx)?.viewer, &query, &page_request).await.gql()?;
        let rows: Vec<_> = page.items.iter().map(|(_, row)| row.clone()).collect();
        prefetch::threads(ctx, ctx.look_ahead(), &rows).await?;
        Ok(connection(page, Thread))
    }

    /// A thread by global id; null if there is none the caller may see.
    async fn thread(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Option<Thread>> {
        let Some(id) = ids::decode(NodeType::Thread, &id) else {
            return Ok(None);
        };
        let found = threads::visible_by_id(db(ctx)?, &request(ctx)?.viewer, id).await.gql()?;
        Ok(found.map(Thread))
    }

    /// The most used tags with their visible thread counts. Counting reads every tagged
    /// thread, so it costs as much as a long list.
    #[graphql(complexity = "crate::graphql::limits::SCAN_COST + (first.clamp(1, 100) as usize) * child_complexity")]
    async fn tags(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 20, validator(minimum = 1, maximum = 100))] first: i32,
    ) -> async_graphql::Result<Vec<Tag>> {
        let rows = threads::tag_usage(db(ctx)?, &request(ctx)?.viewer, first as u64).await.gql()?;
        Ok(rows.into_iter().map(|t| Tag { name: t.name, thread_count: t.thread_count }).collect())
    }
}

/// Posts a thread.
#[derive(InputObject)]
pub struct PostThreadInput {
    /// Question, idea or resource.
    pub kind: ThreadKind,
    /// 1 to 200 characters.
    pub title: String,
    /// Markdown, at most 20,000 characters.
    #[graphql(default)]
    pub body: String,
    /// Up to five tags (`local-history`); new tags are created.
    #[graphql(default)]
    pub tags: Vec<String>,
    /// The language it is written in.
    #[graphql(default_with = "Language::English")]
    pub language: Language,
    /// Who may see it: network members (the default) or everyone.
    #[graphql(default_with = "Visibility::Network")]
    pub visibility: Visibility,
    /// Sending the same key again returns the first thread and creates nothing.
    pub idempotency_key: Option<String>,
}

/// What `postThread` returns.
#[derive(SimpleObject)]
pub struct PostThreadPayload {
    /// The thread posted.
    pub thread: Option<Thread>,
    /// What to fix in the input, if it was refused.
    pub user_errors: Vec<UserError>,
}

/// Edits a thread the caller last saw at `version`.
#[derive(InputObject)]
pub struct EditThreadInput {
    /// The thread.
    pub thread_id: ID,
    /// The version the editor last saw; a newer one means someone else edited it.
    pub version: i32,
    /// A new title.
    pub title: Option<String>,
    /// A new body.
    pub body: Option<String>,
    /// New tags, replacing the old.
    pub tags: Option<Vec<String>>,
    /// A new language.
    pub language: Option<Language>,
    /// A new visibility.
    pub visibility: Option<Visibility>,
}

/// Replies to a thread.
#[derive(InputObject)]
pub struct ReplyToThreadInput {
    /// The thread.
    pub thread_id: ID,
    /// Markdown, 1 to 20,000 characters.
    pub body: String,
    /// Sending the same key again returns the first reply and creates nothing.
    pub idempotency_key: Option<String>,
    /// The Discord message this reply was written as (the bot only), so that the bot
    /// does not mirror it back into Discord.
    pub discord_message: Option<DiscordMessageInput>,
}

/// A message in the network's Discord server.
#[derive(InputObject)]
pub struct DiscordMessageInput {
    /// The channel (for a forum post, the post itself).
    pub channel_id: String,
    /// The message.
    pub message_id: String,
}

/// The mirror key of a reply: what the bot claims before posting it into Discord.
pub fn reply_mirror_key(id: i64) -> String {
    lkn_codes::mirror::reply(ids::encode(NodeType::Reply, id).as_str())
}

/// What `replyToThread` returns.
#[derive(SimpleObject)]
pub struct ReplyToThreadPayload {
    /// The reply posted.
    pub reply: Option<Reply>,
    /// The thread, with its counts updated.
    pub thread: Option<Thread>,
    /// What to fix in the input, if it was refused.
    pub user_errors: Vec<UserError>,
}

/// Accepts a reply as the answer to its question.
#[derive(InputObject)]
pub struct AcceptReplyInput {
    /// The reply.
    pub reply_id: ID,
}

/// What `acceptReply` returns.
#[derive(SimpleObject)]
pub struct AcceptReplyPayload {
    /// The accepted reply.
    pub reply: Option<Reply>,
    /// Its thread, now answered.
    pub thread: Option<Thread>,
    /// What to fix in the input, if it was refused.
    pub user_errors: Vec<UserError>,
}

/// Names a thread to act on.
#[derive(InputObject)]
pub struct ThreadActionInput {
    /// The thread.
    pub thread_id: ID,
}

/// What the thread actions (`editThread`, `closeThread`, `endorseThread`, `followThread`,
/// `unfollowThread`) return.
#[derive(SimpleObject)]
pub struct ThreadPayload {
    /// The thread after the change.
    pub thread: Option<Thread>,
    /// What to fix in the input, if it was refused.
    pub user_errors: Vec<UserError>,
}

fn thread_id(id: &ID) -> Result<i64, ServiceError> {
    ids::decode_input(NodeType::Thread, id, "threadId")
}

/// The thread mutations.
#[derive(Default)]
pub struct ThreadMutation;

#[Object]
impl ThreadMutation {
    /// Posts a question, idea or resource. Members only.
    async fn post_thread(&self, ctx: &Context<'_>, input: PostThreadInput) -> async_graphql::Result<PostThreadPayload> {
        let request = request(ctx)?;
        let new = threads::NewThread {
            kind: input.kind.into(),
            title: input.title,
            body: input.body,
            tags: input.tags,
            language: input.language.into(),
            visibility: input.visibility.into(),
        };
        let result =
            threads::post_thread(db(ctx)?, &request.write_context(), new, input.idempotency_key.as_deref()).await;
        let (thread, user_errors) = split_user_errors(result)?;
        Ok(PostThreadPayload { thread: thread.map(Thread), user_errors })
    }

    /// Edits a thread: its author, a coordinator of the author's partner, or an administrator.
    async fn edit_thread(&self, ctx: &Context<'_>, input: EditThreadInput) -> async_graphql::Result<ThreadPayload> {
        let request = request(ctx)?;
        let result = match thread_id(&input.thread_id) {
            Ok(id) => {
                let edit = threads::ThreadEdit {
                    thread_id: id,
                    version: input.version,
                    title: input.title,
                    body: input.body,
                    tags: input.tags,
                    language: input.language.map(Into::into),
                    visibility: input.visibility.map(Into::into),
                };
                threads::edit_thread(db(ctx)?, &request.write_context(), edit).await
            }
            Err(error) => Err(error),
        };
        let (thread, user_errors) = split_user_errors(result)?;
        Ok(ThreadPayload { thread: thread.map(Thread), user_errors })
    }

    /// Replies to a thread that is not closed. Members only.
    async fn reply_to_thread(
        &self,
        ctx: &Context<'_>,
        input: ReplyToThreadInput,
    ) -> async_graphql::Result<ReplyToThreadPayload> {
        let request = request(ctx)?;
        let result = match thread_id(&input.thread_id) {
            Ok(id) => {
                let new = threads::NewReply { thread_id: id, body: input.body };
                let origin = input.discord_message.map(|m| DiscordOrigin {
                    key: reply_mirror_key,
                    channel_id: m.channel_id,
                    message_id: m.message_id,
                });
                let key = input.idempotency_key.as_deref();
                threads::reply_to_thread(db(ctx)?, &request.write_context(), new, key, origin.as_ref()).await
            }
            Err(error) => Err(error),
        };
        let (reply, user_errors) = split_user_errors(result)?;
        let thread = match &reply {
            Some(r) => threads::visible_by_id(db(ctx)?, &request.viewer, r.thread_id).await.gql()?.map(Thread),
            None => None,
        };
        Ok(ReplyToThreadPayload { reply: reply.map(Reply), thread, user_errors })
    }

    /// Accepts a reply as the answer: the question's author, a coordinator of the
    /// author's partner, or an administrator.
    async fn accept_reply(
        &self,
        ctx: &Context<'_>,
        input: AcceptReplyInput,
    ) -> async_graphql::Result<AcceptReplyPayload> {
        let request = request(ctx)?;
        let result = match ids::decode_input(NodeType::Reply, &input.reply_id, "replyId") {
            Ok(id) => threads::accept_reply(db(ctx)?, &request.write_context(), id).await,
            Err(error) => Err(error),
        };
        let (accepted, user_errors) = split_user_errors(result)?;
        let (reply, thread) = accepted.map_or((None, None), |(r, t)| (Some(Reply(r)), Some(Thread(t))));
        Ok(AcceptReplyPayload { reply, thread, user_errors })
    }

    /// Closes a thread to replies: its author, a coordinator of the author's partner, or an administrator.
    async fn close_thread(&self, ctx: &Context<'_>, input: ThreadActionInput) -> async_graphql::Result<ThreadPayload> {
        let request = request(ctx)?;
        let result = match thread_id(&input.thread_id) {
            Ok(id) => threads::close_thread(db(ctx)?, &request.write_context(), id).await,
            Err(error) => Err(error),
        };
        let (thread, user_errors) = split_user_errors(result)?;
        Ok(ThreadPayload { thread: thread.map(Thread), user_errors })
    }

    /// Endorses someone else's thread, once per member.
    async fn endorse_thread(
        &self,
        ctx: &Context<'_>,
        input: ThreadActionInput,
    ) -> async_graphql::Result<ThreadPayload> {
        let request = request(ctx)?;
        let result = match thread_id(&input.thread_id) {
            Ok(id) => threads::endorse_thread(db(ctx)?, &request.write_context(), id).await,
            Err(error) => Err(error),
        };
        let (thread, user_errors) = split_user_errors(result)?;
        Ok(ThreadPayload { thread: thread.map(Thread), user_errors })
    }

    /// Follows a thread, to hear of its replies.
    async fn follow_thread(&self, ctx: &Context<'_>, input: ThreadActionInput) -> async_graphql::Result<ThreadPayload> {
        self.set_following(ctx, input, true).await
    }

    /// Stops following a thread.
    async fn unfollow_thread(
        &self,
        ctx: &Context<'_>,
        input: ThreadActionInput,
    ) -> async_graphql::Result<ThreadPayload> {
        self.set_following(ctx, input, false).await
    }
}

impl ThreadMutation {
    async fn set_following(
        &self,
        ctx: &Context<'_>,
        input: ThreadActionInput,
        following: bool,
    ) -> async_graphql::Result<ThreadPayload> {
        let request = request(ctx)?;
        let result = match thread_id(&input.thread_id) {
            Ok(id) => threads::set_following(db(ctx)?, &request.write_context(), id, following).await,
            Err(error) => Err(error),
        };
        let (thread, user_errors) = split_user_errors(result)?;
        Ok(ThreadPayload { thread: thread.map(Thread), user_errors })
    }
}
