//! Threads and replies: what lists, search and the forum show of them, and the calls
//! that read, post, reply, accept and follow.

use chrono::{DateTime, Utc};
use cynic::{MutationBuilder, QueryBuilder};

use super::{
    ApiError, Caller, CollaborationView, Language, Lkn, MemberName, PartnerName, ThreadKind, ThreadStatus, UserError,
    schema, written,
};

/// A thread as lists show it.
#[derive(cynic::QueryFragment, Debug, Clone, PartialEq, Eq)]
#[cynic(graphql_type = "Thread")]
pub struct ThreadSummary {
    /// Global id.
    pub id: cynic::Id,
    /// Title.
    pub title: String,
    /// Kind.
    pub kind: ThreadKind,
    /// Status.
    pub status: ThreadStatus,
    /// Tags, in name order.
    pub tags: Vec<String>,
    /// Replies so far.
    pub reply_count: i32,
    /// When it was posted or last replied to.
    pub last_activity_at: DateTime<Utc>,
    /// Who posted it.
    pub author: Option<MemberName>,
    /// Their partner.
    pub partner: Option<PartnerName>,
}

/// A reply.
#[derive(cynic::QueryFragment, Debug, Clone, PartialEq, Eq)]
#[cynic(graphql_type = "Reply")]
pub struct ReplyView {
    /// Global id.
    pub id: cynic::Id,
    /// Markdown body.
    pub body: String,
    /// Whether it is the accepted answer.
    pub is_accepted: bool,
    /// When.
    pub created_at: DateTime<Utc>,
    /// Who wrote it.
    pub author: Option<MemberName>,
}

/// A reply with its thread, as subscriptions deliver it.
#[derive(cynic::QueryFragment, Debug, Clone, PartialEq, Eq)]
#[cynic(graphql_type = "Reply")]
pub struct ReplyInThread {
    /// The reply.
    #[cynic(spread)]
    pub reply: ReplyView,
    /// Its thread.
    pub thread: Option<ThreadSummary>,
}

/// The first replies of a thread.
#[derive(cynic::QueryFragment, Debug, Clone, PartialEq, Eq)]
#[cynic(graphql_type = "ReplyConnection")]
pub struct Replies {
    /// Oldest first.
    pub nodes: Vec<ReplyView>,
}

/// A thread with its body and first 25 replies.
#[derive(cynic::QueryFragment, Debug, Clone, PartialEq, Eq)]
#[cynic(graphql_type = "Thread")]
pub struct ThreadDetail {
    /// What lists show.
    #[cynic(spread)]
    pub summary: ThreadSummary,
    /// Markdown body.
    pub body: String,
    /// The first replies, oldest first.
    #[arguments(first: 25)]
    pub replies: Replies,
}

/// A search result.
#[derive(cynic::InlineFragments, Debug, Clone, PartialEq, Eq)]
#[cynic(graphql_type = "SearchResult")]
pub enum SearchHit {
    /// A thread.
    Thread(ThreadSummary),
    /// A collaboration.
    Collaboration(CollaborationView),
    /// A kind of result newer than the bot (cynic asks for a fallback on unions): not
    /// listed.
    #[cynic(fallback)]
    Other,
}

/// The best ten results of a search, with how many there are in all.
#[derive(cynic::QueryFragment, Debug, Clone, PartialEq, Eq)]
#[cynic(graphql_type = "SearchResultConnection")]
pub struct SearchResults {
    /// How many matched.
    pub total_count: i32,
    /// The best of them.
    pub nodes: Vec<SearchHit>,
}

/// Narrows a search.
#[derive(cynic::InputObject, Debug, Clone)]
#[cynic(graphql_type = "SearchFilter")]
struct SearchFilter {
    kind: Option<ThreadKind>,
    tag: Option<String>,
    partner_slug: Option<String>,
}

#[derive(cynic::QueryVariables, Debug)]
struct SearchVariables {
    query: String,
    filter: Option<SearchFilter>,
}

#[derive(cynic::QueryFragment, Debug)]
#[cynic(graphql_type = "QueryRoot", variables = "SearchVariables")]
struct Search {
    #[arguments(query: $query, first: 10, filter: $filter)]
    search: SearchResults,
}

#[derive(cynic::QueryVariables, Debug)]
struct TextVariables {
    text: String,
}

#[derive(cynic::QueryFragment, Debug)]
#[cynic(graphql_type = "QueryRoot", variables = "TextVariables")]
struct SimilarThreads {
    #[arguments(text: $text, first: 5)]
    similar_threads: Vec<ThreadSummary>,
}

#[derive(cynic::QueryVariables, Debug)]
struct IdVariables {
    id: cynic::Id,
}

#[derive(cynic::QueryFragment, Debug)]
#[cynic(graphql_type = "QueryRoot", variables = "IdVariables")]
struct ThreadById {
    #[arguments(id: $id)]
    thread: Option<ThreadDetail>,
}

/// Narrows a thread feed.
#[derive(cynic::InputObject, Debug, Clone, Default, PartialEq, Eq)]
pub struct ThreadFilter {
    /// Only this kind.
    pub kind: Option<ThreadKind>,
    /// Only this status.
    pub status: Option<ThreadStatus>,
    /// Only threads whose title contains this text.
    pub title_contains: Option<String>,
}

/// The orders the bot reads thread feeds in. Each is a document of its own, with the
/// order written in it (as observers of the bot's traffic, and its tests, expect).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ThreadFeed {
    /// Most recently posted or replied to first: autocomplete and catching up.
    RecentlyActive,
    /// Threads without replies first: `/unanswered`.
    UnansweredFirst,
}

#[derive(cynic::QueryVariables, Debug)]
struct ThreadsVariables {
    first: Option<i32>,
    after: Option<String>,
    filter: Option<ThreadFilter>,
}

#[derive(cynic::QueryFragment, Debug)]
#[cynic(graphql_type = "PageInfo")]
struct PageInfo {
    has_next_page: bool,
    end_cursor: Option<String>,
}

#[derive(cynic::QueryFragment, Debug)]
#[cynic(graphql_type = "ThreadConnection")]
struct ThreadPage {
    nodes: Vec<ThreadSummary>,
    page_info: PageInfo,
}

#[derive(cynic::QueryFragment, Debug)]
#[cynic(graphql_type = "QueryRoot", variables = "ThreadsVariables")]
struct RecentlyActiveThreads {
    #[arguments(first: $first, after: $after, filter: $filter, orderBy: RECENTLY_ACTIVE)]
    threads: ThreadPage,
}

#[derive(cynic::QueryFragment, Debug)]
#[cynic(graphql_type = "QueryRoot", variables = "ThreadsVariables")]
struct UnansweredFirstThreads {
    #[arguments(first: $first, after: $after, filter: $filter, orderBy: UNANSWERED_FIRST)]
    threads: ThreadPage,
}

/// A thread to post.
#[derive(cynic::InputObject, Debug, Clone, PartialEq, Eq)]
#[cynic(graphql_type = "PostThreadInput")]
pub struct NewThread {
    /// Question, idea or resource.
    pub kind: ThreadKind,
    /// Title.
    pub title: String,
    /// Markdown body.
    pub body: String,
    /// Tags.
    pub tags: Vec<String>,
    /// The language it is written in.
    pub language: Language,
    /// Makes a retry return the first thread (the interaction's id).
    pub idempotency_key: String,
}

#[derive(cynic::QueryVariables, Debug)]
struct PostThreadVariables {
    input: NewThread,
}

#[derive(cynic::QueryFragment, Debug)]
#[cynic(graphql_type = "PostThreadPayload")]
struct PostThreadPayload {
    thread: Option<ThreadSummary>,
    user_errors: Vec<UserError>,
}

#[derive(cynic::QueryFragment, Debug)]
#[cynic(graphql_type = "MutationRoot", variables = "PostThreadVariables")]
struct PostThread {
    #[arguments(input: $input)]
    post_thread: PostThreadPayload,
}

#[derive(cynic::InputObject, Debug)]
#[cynic(graphql_type = "DiscordMessageInput")]
struct DiscordMessageInput {
    channel_id: String,
    message_id: String,
}

#[derive(cynic::InputObject, Debug)]
#[cynic(graphql_type = "ReplyToThreadInput")]
struct ReplyToThreadInput {
    thread_id: cynic::Id,
    body: String,
    idempotency_key: String,
    discord_message: Option<DiscordMessageInput>,
}

#[derive(cynic::QueryVariables, Debug)]
struct ReplyVariables {
    input: ReplyToThreadInput,
}

#[derive(cynic::QueryFragment, Debug)]
#[cynic(graphql_type = "ReplyToThreadPayload")]
struct ReplyPayload {
    reply: Option<ReplyView>,
    user_errors: Vec<UserError>,
}

#[derive(cynic::QueryFragment, Debug)]
#[cynic(graphql_type = "MutationRoot", variables = "ReplyVariables")]
struct ReplyToThread {
    #[arguments(input: $input)]
    reply_to_thread: ReplyPayload,
}

#[derive(cynic::InputObject, Debug)]
#[cynic(graphql_type = "AcceptReplyInput")]
struct AcceptReplyInput {
    reply_id: cynic::Id,
}

#[derive(cynic::QueryVariables, Debug)]
struct AcceptVariables {
    input: AcceptReplyInput,
}

#[derive(cynic::QueryFragment, Debug)]
#[cynic(graphql_type = "AcceptReplyPayload")]
struct AcceptReplyPayload {
    thread: Option<ThreadSummary>,
    user_errors: Vec<UserError>,
}

#[derive(cynic::QueryFragment, Debug)]
#[cynic(graphql_type = "MutationRoot", variables = "AcceptVariables")]
struct AcceptReply {
    #[arguments(input: $input)]
    accept_reply: AcceptReplyPayload,
}

#[derive(cynic::InputObject, Debug)]
#[cynic(graphql_type = "ThreadActionInput")]
struct ThreadActionInput {
    thread_id: cynic::Id,
}

#[derive(cynic::QueryVariables, Debug)]
struct ThreadActionVariables {
    input: ThreadActionInput,
}

#[derive(cynic::QueryFragment, Debug)]
#[cynic(graphql_type = "ThreadPayload")]
struct ThreadPayload {
    thread: Option<ThreadSummary>,
    user_errors: Vec<UserError>,
}

#[derive(cynic::QueryFragment, Debug)]
#[cynic(graphql_type = "MutationRoot", variables = "ThreadActionVariables")]
struct FollowThread {
    #[arguments(input: $input)]
    follow_thread: ThreadPayload,
}

#[derive(cynic::QueryFragment, Debug)]
#[cynic(graphql_type = "MutationRoot", variables = "ThreadActionVariables")]
struct UnfollowThread {
    #[arguments(input: $input)]
    unfollow_thread: ThreadPayload,
}

impl Lkn {
    /// Full-text search over threads and collaborations.
    pub async fn search(
        &self,
        caller: &Caller,
        text: &str,
        kind: Option<ThreadKind>,
        tag: Option<&str>,
        partner_slug: Option<&str>,
    ) -> Result<SearchResults, ApiError> {
        let filter = SearchFilter { kind, tag: tag.map(str::to_owned), partner_slug: partner_slug.map(str::to_owned) };
        let variables = SearchVariables { query: text.to_owned(), filter: Some(filter) };
        Ok(self.read(caller, Search::build(variables)).await?.search)
    }

    /// Threads like a draft, most similar first.
    pub async fn similar_threads(&self, caller: &Caller, text: &str) -> Result<Vec<ThreadSummary>, ApiError> {
        let variables = TextVariables { text: text.to_owned() };
        Ok(self.read(caller, SimilarThreads::build(variables)).await?.similar_threads)
    }

    /// One thread with its first 25 replies.
    pub async fn thread(&self, caller: &Caller, id: &str) -> Result<Option<ThreadDetail>, ApiError> {
        Ok(self.read(caller, ThreadById::build(IdVariables { id: id.into() })).await?.thread)
    }

    /// A page of `first` threads of `feed` after the cursor `after`; with the cursor
    /// of the next page, if there is one.
    pub async fn threads(
        &self,
        caller: &Caller,
        first: i32,
        after: Option<&str>,
        feed: ThreadFeed,
        filter: ThreadFilter,
    ) -> Result<(Vec<ThreadSummary>, Option<String>), ApiError> {
        let variables = ThreadsVariables { first: Some(first), after: after.map(str::to_owned), filter: Some(filter) };
        let page = match feed {
            ThreadFeed::RecentlyActive => self.read(caller, RecentlyActiveThreads::build(variables)).await?.threads,
            ThreadFeed::UnansweredFirst => self.read(caller, UnansweredFirstThreads::build(variables)).await?.threads,
        };
        let next = page.page_info.end_cursor.filter(|_| page.page_info.has_next_page);
        Ok((page.nodes, next))
    }

    /// The first 25 replies of one thread, oldest first.
    pub async fn replies(&self, caller: &Caller, thread_id: &str) -> Result<Vec<ReplyView>, ApiError> {
        Ok(self.thread(caller, thread_id).await?.map(|t| t.replies.nodes).unwrap_or_default())
    }

    /// Posts a thread; its idempotency key makes a retry return the first one.
    pub async fn post_thread(&self, caller: &Caller, new: NewThread) -> Result<ThreadSummary, ApiError> {
        let payload = self.run(caller, &PostThread::build(PostThreadVariables { input: new })).await?.post_thread;
        written(payload.thread, payload.user_errors, "thread")
    }

    /// Replies to a thread. `discord_message` is `(channel, message)` when the reply
    /// was written in Discord, so that it is not mirrored back.
    pub async fn reply(
        &self,
        caller: &Caller,
        thread_id: &str,
        body: &str,
        key: &str,
        discord_message: Option<(&str, &str)>,
    ) -> Result<ReplyView, ApiError> {
        let input = ReplyToThreadInput {
            thread_id: thread_id.into(),
            body: body.to_owned(),
            idempotency_key: key.to_owned(),
            discord_message: discord_message.map(|(channel, message)| DiscordMessageInput {
                channel_id: channel.to_owned(),
                message_id: message.to_owned(),
            }),
        };
        let payload = self.run(caller, &ReplyToThread::build(ReplyVariables { input })).await?.reply_to_thread;
        written(payload.reply, payload.user_errors, "reply")
    }

    /// Accepts a reply as its question's answer; returns the question.
    pub async fn accept_reply(&self, caller: &Caller, reply_id: &str) -> Result<ThreadSummary, ApiError> {
        let variables = AcceptVariables { input: AcceptReplyInput { reply_id: reply_id.into() } };
        let payload = self.run(caller, &AcceptReply::build(variables)).await?.accept_reply;
        written(payload.thread, payload.user_errors, "thread")
    }

    /// Follows or unfollows a thread.
    pub async fn follow(&self, caller: &Caller, thread_id: &str, follow: bool) -> Result<ThreadSummary, ApiError> {
        let variables = ThreadActionVariables { input: ThreadActionInput { thread_id: thread_id.into() } };
        let payload = if follow {
            self.run(caller, &FollowThread::build(variables)).await?.follow_thread
        } else {
            self.run(caller, &UnfollowThread::build(variables)).await?.unfollow_thread
        };
        written(payload.thread, payload.user_errors, "thread")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_feed_names_its_order_in_its_document() {
        let variables = || ThreadsVariables { first: Some(1), after: None, filter: None };
        assert!(RecentlyActiveThreads::build(variables()).query.contains("orderBy: RECENTLY_ACTIVE"));
        assert!(UnansweredFirstThreads::build(variables()).query.contains("orderBy: UNANSWERED_FIRST"));
    }

    #[test]
    fn a_search_asks_which_kind_each_result_is() {
        let variables = SearchVariables { query: "seeds".into(), filter: None };
        let document = Search::build(variables).query;
        assert!(document.contains("__typename"), "{document}");
        assert!(document.contains("... on Thread") && document.contains("... on Collaboration"), "{document}");
    }
}
