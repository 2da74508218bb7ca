//! The bot's client of the LKN GraphQL API: every document the bot sends is in this
//! module, with the types its answers are read into.
//!
//! The bot talks to LKN exactly as a partner's integration would, over HTTP with a
//! bearer token. It acts for a Discord user by sending its own (bot) token with the
//! `X-Lkn-Discord-User` header; the API applies that user's linked member's
//! permissions. Reads for a user who is not linked are retried anonymously, so they can
//! still search what is public.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use lkn_codes::ErrorCode;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// Whose permissions a request carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Caller {
    /// Nobody: public content only.
    Anonymous,
    /// The bot's own identity: mirroring, linking and its Discord records.
    Bot,
    /// A member's own API token (the console).
    Token(String),
    /// The linked member of this Discord user, through the bot.
    Discord(String),
}

/// Why the API did not do what was asked.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ApiError {
    /// The Discord user is not linked (or the token is not accepted).
    #[error("not signed in: {0}")]
    Unauthenticated(String),
    /// The member (this token's, or the Discord user's linked one) is suspended.
    #[error("suspended: {0}")]
    Suspended(String),
    /// The member may not do this.
    #[error("forbidden: {0}")]
    Forbidden(String),
    /// No such object, or not visible to the caller.
    #[error("not found: {0}")]
    NotFound(String),
    /// The input was refused; every fault is listed.
    #[error("refused: {0:?}")]
    Invalid(Vec<UserError>),
    /// The request itself was malformed (a bug in the bot or a bad id).
    #[error("bad request: {0}")]
    BadRequest(String),
    /// The API could not be reached, timed out, was overloaded or failed.
    #[error("unavailable: {0}")]
    Unavailable(String),
}

impl ApiError {
    /// The error for a GraphQL error with `code` (from the API's own table; `None` when
    /// the code is missing or unknown, which the bot treats as the API being unwell).
    fn from_code(code: Option<ErrorCode>, suspended: bool, message: String) -> Self {
        match code {
            Some(ErrorCode::Unauthenticated) if suspended => Self::Suspended(message),
            Some(ErrorCode::Unauthenticated) => Self::Unauthenticated(message),
            Some(ErrorCode::Forbidden) => Self::Forbidden(message),
            Some(ErrorCode::NotFound) => Self::NotFound(message),
            Some(ErrorCode::BadRequest | ErrorCode::QueryTooComplex) => Self::BadRequest(message),
            Some(
                ErrorCode::RateLimited | ErrorCode::DatabaseUnavailable | ErrorCode::Timeout | ErrorCode::Internal,
            )
            | None => Self::Unavailable(message),
        }
    }
}

/// A fault the API found in an input.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct UserError {
    /// The input field at fault.
    pub field: Vec<String>,
    /// A sentence the user can act on (in English: the API's own words).
    pub message: String,
    /// A stable code.
    pub code: String,
}

/// Sends GraphQL documents: the seam between the bot and the network.
#[async_trait]
pub trait Transport: Send + Sync {
    /// Runs `document` with `variables` as `caller` and returns `data`, or the error.
    async fn execute(&self, caller: &Caller, document: &str, variables: Value) -> Result<Value, ApiError>;
}

/// GraphQL over HTTP to a running lkn-api.
pub struct HttpTransport {
    http: reqwest::Client,
    endpoint: String,
    bot_token: Option<String>,
}

impl HttpTransport {
    /// A client of the API at `api_url` (its base, e.g. `http://127.0.0.1:8080`), with the
    /// bot's token when it has one.
    pub fn new(api_url: &str, bot_token: Option<String>) -> Result<Self, ApiError> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .connect_timeout(Duration::from_secs(3))
            .user_agent(concat!("lkn-bot/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| ApiError::Unavailable(e.to_string()))?;
        Ok(Self { http, endpoint: format!("{}/graphql", api_url.trim_end_matches('/')), bot_token })
    }
}

#[async_trait]
impl Transport for HttpTransport {
    async fn execute(&self, caller: &Caller, document: &str, variables: Value) -> Result<Value, ApiError> {
        let mut request = self.http.post(&self.endpoint).json(&json!({ "query": document, "variables": variables }));
        let bot =
            || self.bot_token.as_deref().ok_or_else(|| ApiError::Unauthenticated("the bot has no API token".into()));
        request = match caller {
            Caller::Anonymous => request,
            Caller::Bot => request.bearer_auth(bot()?),
            Caller::Token(token) => request.bearer_auth(token),
            Caller::Discord(user) => request.bearer_auth(bot()?).header("X-Lkn-Discord-User", user),
        };
        let response = request.send().await.map_err(|e| ApiError::Unavailable(e.to_string()))?;
        let status = response.status();
        let body: Value = response.json().await.map_err(|e| ApiError::Unavailable(format!("HTTP {status}: {e}")))?;
        if let Some(error) = body["errors"].as_array().and_then(|errors| errors.first()) {
            let message = error["message"].as_str().unwrap_or("unknown error").to_owned();
            let code = error["extensions"]["code"].as_str().and_then(ErrorCode::from_wire);
            let suspended = error["extensions"]["reason"] == lkn_codes::SUSPENDED;
            return Err(ApiError::from_code(code, suspended, message));
        }
        if !status.is_success() {
            return Err(ApiError::Unavailable(format!("HTTP {status}")));
        }
        Ok(body["data"].clone())
    }
}

/// Question, idea or resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ThreadKind {
    /// A question.
    Question,
    /// An idea.
    Idea,
    /// A shared resource.
    Resource,
}

/// Open, answered or closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ThreadStatus {
    /// Open.
    Open,
    /// Has an accepted answer.
    Answered,
    /// Closed to replies.
    Closed,
}

/// Where a collaboration is in its workflow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum CollaborationStatus {
    /// Proposed.
    Proposed,
    /// Open to partners joining.
    SeekingPartners,
    /// Under way.
    Active,
    /// Finished.
    Completed,
    /// Abandoned.
    Withdrawn,
}

/// A nation of the UK.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Nation {
    /// England.
    England,
    /// Scotland.
    Scotland,
    /// Wales.
    Wales,
    /// Northern Ireland.
    NorthernIreland,
}

/// A name, as nested objects carry it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Named {
    /// Display name of a member or name of a partner.
    #[serde(alias = "displayName")]
    pub name: String,
}

/// A thread as lists show it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ThreadSummary {
    /// Global id.
    pub id: String,
    /// Title.
    pub title: String,
    /// Kind.
    pub kind: ThreadKind,
    /// Status.
    pub status: ThreadStatus,
    /// Tags, in name order.
    pub tags: Vec<String>,
    /// Replies so far.
    pub reply_count: i64,
    /// Who posted it.
    pub author: Option<Named>,
    /// Their partner.
    pub partner: Option<Named>,
    /// When it was posted or last replied to (RFC 3339).
    pub last_activity_at: String,
}

/// A reply.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReplyView {
    /// Global id.
    pub id: String,
    /// Markdown body.
    pub body: String,
    /// Whether it is the accepted answer.
    pub is_accepted: bool,
    /// Who wrote it.
    pub author: Option<Named>,
    /// When (RFC 3339).
    pub created_at: String,
}

/// A reply with its thread's id and title, as subscriptions deliver it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReplyInThread {
    /// The reply.
    #[serde(flatten)]
    pub reply: ReplyView,
    /// Its thread.
    pub thread: Option<ThreadSummary>,
}

/// A thread with its body and replies.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ThreadDetail {
    /// What lists show.
    #[serde(flatten)]
    pub summary: ThreadSummary,
    /// Markdown body.
    pub body: String,
    /// The first replies, oldest first.
    pub replies: Nodes<ReplyView>,
}

/// A list of nodes with its total.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Nodes<T> {
    /// The items.
    pub nodes: Vec<T>,
    /// How many there are in all, when asked.
    #[serde(default)]
    pub total_count: Option<i64>,
}

/// A partner.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PartnerView {
    /// Stable handle.
    pub slug: String,
    /// Name.
    pub name: String,
    /// Nation.
    pub nation: Nation,
    /// City or area.
    pub city: String,
    /// Website, where known.
    pub website: Option<String>,
    /// Reported audience, where known.
    pub audience_reach: Option<i64>,
}

/// A tag with its use.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TagCount {
    /// The tag.
    pub name: String,
    /// Threads carrying it.
    pub thread_count: i64,
}

/// The network's figures.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Stats {
    /// Partners.
    pub partner_count: i64,
    /// Threads visible to the caller.
    pub thread_count: i64,
    /// Share of questions answered.
    pub answered_rate: Option<f64>,
    /// Median hours to a first reply.
    pub median_hours_to_first_reply: Option<f64>,
    /// Collaborations under way.
    pub active_collaboration_count: i64,
    /// Most used tags.
    pub top_tags: Vec<TagCount>,
    /// The audience figure.
    pub combined_audience_reach: AudienceReach,
}

/// An audience figure, as far as known.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AudienceReach {
    /// The sum of the known partner figures.
    pub known_total: i64,
    /// The network's reported figure.
    pub reported_total: Option<i64>,
}

/// A partner taking part in a collaboration.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ParticipantView {
    /// The partner.
    pub partner: Option<PartnerRef>,
    /// REQUESTED, ACCEPTED or DECLINED.
    pub join_status: String,
}

/// A partner named by a collaboration.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PartnerRef {
    /// Handle.
    pub slug: String,
    /// Name.
    pub name: String,
}

/// A collaboration.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CollaborationView {
    /// Global id.
    pub id: String,
    /// Title.
    pub title: String,
    /// Kind (as the API names it).
    pub kind: String,
    /// Status.
    pub status: CollaborationStatus,
    /// Markdown summary.
    pub summary: String,
    /// The version a change must name.
    pub version: i64,
    /// The lead partner.
    pub lead_partner: Option<PartnerRef>,
    /// Partners involved, the lead first.
    pub participants: Vec<ParticipantView>,
    /// When it last changed (RFC 3339).
    pub updated_at: String,
}

/// A search result.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(tag = "__typename")]
pub enum SearchHit {
    /// A thread.
    Thread(ThreadSummary),
    /// A collaboration.
    Collaboration(CollaborationView),
}

/// A member, as `viewer` and `linkDiscordAccount` return them.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MemberView {
    /// Display name.
    pub display_name: String,
    /// Their partner.
    pub partner: Option<PartnerRef>,
}

/// A Discord message that mirrors an LKN object.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Mirror {
    /// What it mirrors.
    pub key: String,
    /// Its channel (for a thread, the forum post).
    pub channel_id: Option<String>,
    /// The message.
    pub message_id: Option<String>,
    /// Whether it has been posted.
    pub completed: bool,
}

/// A thread to post.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NewThread {
    /// Question, idea or resource.
    pub kind: ThreadKind,
    /// Title.
    pub title: String,
    /// Markdown body.
    pub body: String,
    /// Tags.
    pub tags: Vec<String>,
    /// EN, CY, GD or GA.
    pub language: String,
}

/// A collaboration to propose.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NewCollaboration {
    /// PROGRAMME, ACTIVITY, EXHIBITION, SHARED_CONTENT, FUNDING_APPLICATION or EVIDENCE_GATHERING.
    pub kind: String,
    /// Title.
    pub title: String,
    /// Markdown summary.
    pub summary: String,
}

const THREAD_SUMMARY: &str = "fragment ThreadSummary on Thread { id title kind status tags replyCount \
    lastActivityAt author { displayName } partner { name } }";
const COLLABORATION: &str = "fragment CollaborationView on Collaboration { id title kind status summary version \
    updatedAt leadPartner { slug name } participants { joinStatus partner { slug name } } }";
const REPLY: &str = "fragment ReplyView on Reply { id body isAccepted createdAt author { displayName } }";
const USER_ERRORS: &str = "userErrors { field message code }";

/// Typed calls on the LKN API, over any [`Transport`].
#[derive(Clone)]
pub struct Lkn {
    transport: Arc<dyn Transport>,
}

fn read<T: DeserializeOwned>(value: Value) -> Result<T, ApiError> {
    serde_json::from_value(value).map_err(|e| ApiError::BadRequest(format!("unexpected answer from LKN: {e}")))
}

impl Lkn {
    /// Typed calls over `transport`.
    pub fn new(transport: Arc<dyn Transport>) -> Self {
        Self { transport }
    }

    /// A read: for a Discord user who is not linked, asked again anonymously.
    async fn query(&self, caller: &Caller, document: String, variables: Value) -> Result<Value, ApiError> {
        match self.transport.execute(caller, &document, variables.clone()).await {
            Err(ApiError::Unauthenticated(_)) if matches!(caller, Caller::Discord(_)) => {
                self.transport.execute(&Caller::Anonymous, &document, variables).await
            }
            other => other,
        }
    }

    /// A write: the payload under `field`, or its user errors.
    async fn mutate(&self, caller: &Caller, field: &str, document: String, input: Value) -> Result<Value, ApiError> {
        let data = self.transport.execute(caller, &document, json!({ "input": input })).await?;
        let payload = data[field].clone();
        let errors: Vec<UserError> = read(payload["userErrors"].clone()).unwrap_or_default();
        if errors.is_empty() { Ok(payload) } else { Err(ApiError::Invalid(errors)) }
    }

    /// The member the caller acts as, if any.
    pub async fn viewer(&self, caller: &Caller) -> Result<Option<MemberView>, ApiError> {
        let data =
            self.transport.execute(caller, "{ viewer { displayName partner { slug name } } }", json!({})).await?;
        read(data["viewer"].clone())
    }

    /// Full-text search over threads and collaborations.
    pub async fn search(
        &self,
        caller: &Caller,
        text: &str,
        kind: Option<ThreadKind>,
        tag: Option<&str>,
        partner_slug: Option<&str>,
    ) -> Result<Nodes<SearchHit>, ApiError> {
        let document = format!(
            "query($q: String!, $filter: SearchFilter) {{ search(query: $q, first: 10, filter: $filter) {{ totalCount \
             nodes {{ __typename ...ThreadSummary ...CollaborationView }} }} }} {THREAD_SUMMARY} {COLLABORATION}"
        );
        let filter = json!({ "kind": kind, "tag": tag, "partnerSlug": partner_slug });
        let data = self.query(caller, document, json!({ "q": text, "filter": filter })).await?;
        read(data["search"].clone())
    }

    /// Threads like a draft, most similar first.
    pub async fn similar_threads(&self, caller: &Caller, text: &str) -> Result<Vec<ThreadSummary>, ApiError> {
        let document = format!(
            "query($text: String!) {{ similarThreads(text: $text, first: 5) {{ ...ThreadSummary }} }} {THREAD_SUMMARY}"
        );
        let data = self.query(caller, document, json!({ "text": text })).await?;
        read(data["similarThreads"].clone())
    }

    /// One thread with its first 25 replies.
    pub async fn thread(&self, caller: &Caller, id: &str) -> Result<Option<ThreadDetail>, ApiError> {
        let document = format!(
            "query($id: ID!) {{ thread(id: $id) {{ ...ThreadSummary body replies(first: 25) {{ nodes {{ ...ReplyView }} }} }} }} \
             {THREAD_SUMMARY} {REPLY}"
        );
        let data = self.query(caller, document, json!({ "id": id })).await?;
        read(data["thread"].clone())
    }

    /// A page of threads: `order` is a ThreadOrder, `filter` a ThreadFilter.
    pub async fn threads(
        &self,
        caller: &Caller,
        first: i64,
        after: Option<&str>,
        order: &str,
        filter: Value,
    ) -> Result<(Vec<ThreadSummary>, Option<String>), ApiError> {
        let document = format!(
            "query($first: Int, $after: String, $filter: ThreadFilter) {{ threads(first: $first, after: $after, \
             filter: $filter, orderBy: {order}) {{ nodes {{ ...ThreadSummary }} pageInfo {{ hasNextPage endCursor }} }} }} \
             {THREAD_SUMMARY}"
        );
        let data = self.query(caller, document, json!({ "first": first, "after": after, "filter": filter })).await?;
        let threads = data["threads"].clone();
        let next = threads["pageInfo"]["hasNextPage"]
            .as_bool()
            .filter(|more| *more)
            .and_then(|_| threads["pageInfo"]["endCursor"].as_str().map(str::to_owned));
        Ok((read(threads["nodes"].clone())?, next))
    }

    /// The first 25 replies of one thread, oldest first.
    pub async fn replies(&self, caller: &Caller, thread_id: &str) -> Result<Vec<ReplyView>, ApiError> {
        Ok(self.thread(caller, thread_id).await?.map(|t| t.replies.nodes).unwrap_or_default())
    }

    /// Posts a thread; `key` makes a retry return the first one.
    pub async fn post_thread(&self, caller: &Caller, new: &NewThread, key: &str) -> Result<ThreadSummary, ApiError> {
        let document = format!(
            "mutation($input: PostThreadInput!) {{ postThread(input: $input) {{ thread {{ ...ThreadSummary }} {USER_ERRORS} }} }} \
             {THREAD_SUMMARY}"
        );
        let mut input = serde_json::to_value(new).map_err(|e| ApiError::BadRequest(e.to_string()))?;
        input["idempotencyKey"] = json!(key);
        read(self.mutate(caller, "postThread", document, input).await?["thread"].clone())
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
        let document = format!(
            "mutation($input: ReplyToThreadInput!) {{ replyToThread(input: $input) {{ reply {{ ...ReplyView }} {USER_ERRORS} }} }} \
             {REPLY}"
        );
        let input = json!({
            "threadId": thread_id,
            "body": body,
            "idempotencyKey": key,
            "discordMessage": discord_message.map(|(channel, message)| json!({ "channelId": channel, "messageId": message })),
        });
        read(self.mutate(caller, "replyToThread", document, input).await?["reply"].clone())
    }

    /// Accepts a reply as its question's answer; returns the question.
    pub async fn accept_reply(&self, caller: &Caller, reply_id: &str) -> Result<ThreadSummary, ApiError> {
        let document = format!(
            "mutation($input: AcceptReplyInput!) {{ acceptReply(input: $input) {{ thread {{ ...ThreadSummary }} {USER_ERRORS} }} }} \
             {THREAD_SUMMARY}"
        );
        read(self.mutate(caller, "acceptReply", document, json!({ "replyId": reply_id })).await?["thread"].clone())
    }

    /// Follows or unfollows a thread.
    pub async fn follow(&self, caller: &Caller, thread_id: &str, follow: bool) -> Result<ThreadSummary, ApiError> {
        let field = if follow { "followThread" } else { "unfollowThread" };
        let document = format!(
            "mutation($input: ThreadActionInput!) {{ {field}(input: $input) {{ thread {{ ...ThreadSummary }} {USER_ERRORS} }} }} \
             {THREAD_SUMMARY}"
        );
        read(self.mutate(caller, field, document, json!({ "threadId": thread_id })).await?["thread"].clone())
    }

    /// The partners, in one nation or all.
    pub async fn partners(&self, caller: &Caller, nation: Option<Nation>) -> Result<Vec<PartnerView>, ApiError> {
        let document = "query($filter: PartnerFilter) { partners(first: 100, filter: $filter) { nodes { slug name \
                        nation city website audienceReach } } }";
        let data = self.query(caller, document.into(), json!({ "filter": { "nation": nation } })).await?;
        read(data["partners"]["nodes"].clone())
    }

    /// The network's figures.
    pub async fn stats(&self, caller: &Caller) -> Result<Stats, ApiError> {
        let document = "{ networkStats { partnerCount threadCount answeredRate medianHoursToFirstReply \
                        activeCollaborationCount topTags { name threadCount } \
                        combinedAudienceReach { knownTotal reportedTotal } } }";
        read(self.query(caller, document.into(), json!({})).await?["networkStats"].clone())
    }

    /// The most used tags.
    pub async fn tags(&self, caller: &Caller) -> Result<Vec<TagCount>, ApiError> {
        let document = "{ tags(first: 100) { name threadCount } }";
        read(self.query(caller, document.into(), json!({})).await?["tags"].clone())
    }

    /// The newest collaborations, optionally in one status.
    pub async fn collaborations(
        &self,
        caller: &Caller,
        status: Option<CollaborationStatus>,
    ) -> Result<Vec<CollaborationView>, ApiError> {
        let document = format!(
            "query($filter: CollaborationFilter) {{ collaborations(first: 25, filter: $filter) {{ nodes {{ ...CollaborationView }} }} }} \
             {COLLABORATION}"
        );
        let data = self.query(caller, document, json!({ "filter": { "status": status } })).await?;
        read(data["collaborations"]["nodes"].clone())
    }

    /// One collaboration.
    pub async fn collaboration(&self, caller: &Caller, id: &str) -> Result<Option<CollaborationView>, ApiError> {
        let document =
            format!("query($id: ID!) {{ collaboration(id: $id) {{ ...CollaborationView }} }} {COLLABORATION}");
        read(self.query(caller, document, json!({ "id": id })).await?["collaboration"].clone())
    }

    /// Proposes a collaboration led by the caller's partner.
    pub async fn propose(
        &self,
        caller: &Caller,
        new: &NewCollaboration,
        key: &str,
    ) -> Result<CollaborationView, ApiError> {
        let mut input = serde_json::to_value(new).map_err(|e| ApiError::BadRequest(e.to_string()))?;
        input["idempotencyKey"] = json!(key);
        self.collaboration_write(caller, "proposeCollaboration", "ProposeCollaborationInput", input).await
    }

    /// Asks for the caller's partner to join.
    pub async fn request_to_join(&self, caller: &Caller, id: &str) -> Result<CollaborationView, ApiError> {
        let input = json!({ "collaborationId": id });
        self.collaboration_write(caller, "requestToJoinCollaboration", "RequestToJoinCollaborationInput", input).await
    }

    /// Accepts or declines a partner's request (lead partner's coordinators).
    pub async fn decide(
        &self,
        caller: &Caller,
        id: &str,
        partner_slug: &str,
        accept: bool,
    ) -> Result<CollaborationView, ApiError> {
        let input = json!({ "collaborationId": id, "partnerSlug": partner_slug, "accept": accept });
        self.collaboration_write(caller, "decideJoinRequest", "DecideJoinRequestInput", input).await
    }

    /// Moves a collaboration along its workflow.
    pub async fn advance(
        &self,
        caller: &Caller,
        id: &str,
        status: CollaborationStatus,
    ) -> Result<CollaborationView, ApiError> {
        let input = json!({ "collaborationId": id, "status": status });
        self.collaboration_write(caller, "advanceCollaboration", "AdvanceCollaborationInput", input).await
    }

    async fn collaboration_write(
        &self,
        caller: &Caller,
        field: &str,
        input_type: &str,
        input: Value,
    ) -> Result<CollaborationView, ApiError> {
        let document = format!(
            "mutation($input: {input_type}!) {{ {field}(input: $input) {{ collaboration {{ ...CollaborationView }} {USER_ERRORS} }} }} \
             {COLLABORATION}"
        );
        read(self.mutate(caller, field, document, input).await?["collaboration"].clone())
    }

    /// Links a Discord user to the member who made `code`.
    pub async fn link(&self, code: &str, discord_user_id: &str) -> Result<MemberView, ApiError> {
        let document = format!(
            "mutation($input: LinkDiscordAccountInput!) {{ linkDiscordAccount(input: $input) {{ \
             member {{ displayName partner {{ slug name }} }} {USER_ERRORS} }} }}"
        );
        let input = json!({ "code": code, "discordUserId": discord_user_id });
        read(self.mutate(&Caller::Bot, "linkDiscordAccount", document, input).await?["member"].clone())
    }

    /// Unlinks a Discord user; whether one was linked.
    pub async fn unlink(&self, discord_user_id: &str) -> Result<bool, ApiError> {
        let document = format!(
            "mutation($input: UnlinkDiscordAccountInput!) {{ unlinkDiscordAccount(input: $input) {{ unlinked {USER_ERRORS} }} }}"
        );
        let input = json!({ "discordUserId": discord_user_id });
        Ok(self.mutate(&Caller::Bot, "unlinkDiscordAccount", document, input).await?["unlinked"] == json!(true))
    }

    /// The language a Discord user chose (`EN` or `CY`), if any.
    pub async fn language(&self, discord_user_id: &str) -> Result<Option<String>, ApiError> {
        let document = "query($id: String!) { discordLanguage(discordUserId: $id) }";
        let data = self.transport.execute(&Caller::Bot, document, json!({ "id": discord_user_id })).await?;
        Ok(data["discordLanguage"].as_str().map(str::to_owned))
    }

    /// Keeps a Discord user's language (`EN` or `CY`).
    pub async fn set_language(&self, discord_user_id: &str, code: &str) -> Result<(), ApiError> {
        let document = format!(
            "mutation($input: SetDiscordLanguageInput!) {{ setDiscordLanguage(input: $input) {{ language {USER_ERRORS} }} }}"
        );
        let input = json!({ "discordUserId": discord_user_id, "language": code });
        self.mutate(&Caller::Bot, "setDiscordLanguage", document, input).await.map(drop)
    }

    /// Claims the right to post the mirror of `key`: true when this process should post.
    pub async fn claim_mirror(&self, key: &str) -> Result<(bool, Option<Mirror>), ApiError> {
        let document = format!(
            "mutation($input: ClaimDiscordMirrorInput!) {{ claimDiscordMirror(input: $input) {{ claimed \
             mirror {{ key channelId messageId completed }} {USER_ERRORS} }} }}"
        );
        let payload = self.mutate(&Caller::Bot, "claimDiscordMirror", document, json!({ "key": key })).await?;
        Ok((payload["claimed"] == json!(true), read(payload["mirror"].clone())?))
    }

    /// Gives up a claim whose post failed.
    pub async fn release_mirror(&self, key: &str) -> Result<(), ApiError> {
        let document = format!(
            "mutation($input: ClaimDiscordMirrorInput!) {{ releaseDiscordMirror(input: $input) {{ released {USER_ERRORS} }} }}"
        );
        self.mutate(&Caller::Bot, "releaseDiscordMirror", document, json!({ "key": key })).await.map(drop)
    }

    /// Records the Discord message that mirrors `key`.
    pub async fn complete_mirror(&self, key: &str, channel_id: &str, message_id: &str) -> Result<(), ApiError> {
        let document = format!(
            "mutation($input: CompleteDiscordMirrorInput!) {{ completeDiscordMirror(input: $input) {{ \
             mirror {{ key }} {USER_ERRORS} }} }}"
        );
        let input = json!({ "key": key, "channelId": channel_id, "messageId": message_id });
        self.mutate(&Caller::Bot, "completeDiscordMirror", document, input).await.map(drop)
    }

    /// The mirror of `key`, if claimed.
    pub async fn mirror(&self, key: &str) -> Result<Option<Mirror>, ApiError> {
        let document = "query($key: String!) { discordMirror(key: $key) { key channelId messageId completed } }";
        read(self.transport.execute(&Caller::Bot, document, json!({ "key": key })).await?["discordMirror"].clone())
    }

    /// The mirror posted as Discord message `message_id`.
    pub async fn message_mirror(&self, message_id: &str) -> Result<Option<Mirror>, ApiError> {
        let document =
            "query($id: String!) { discordMessageMirror(messageId: $id) { key channelId messageId completed } }";
        let data = self.transport.execute(&Caller::Bot, document, json!({ "id": message_id })).await?;
        read(data["discordMessageMirror"].clone())
    }

    /// The thread mirror whose forum post is `channel_id`.
    pub async fn thread_mirror(&self, channel_id: &str) -> Result<Option<Mirror>, ApiError> {
        let document =
            "query($id: String!) { discordThreadMirror(channelId: $id) { key channelId messageId completed } }";
        let data = self.transport.execute(&Caller::Bot, document, json!({ "id": channel_id })).await?;
        read(data["discordThreadMirror"].clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_in_the_apis_table_has_a_meaning_for_the_bot() {
        for code in ErrorCode::ALL {
            let error = ApiError::from_code(Some(*code), false, String::new());
            let unavailable = matches!(error, ApiError::Unavailable(_));
            assert!(!code.is_retryable() || unavailable, "{code:?}: a passing trouble reads as unavailable");
        }
        assert_eq!(ApiError::from_code(None, false, "x".into()), ApiError::Unavailable("x".into()));
    }

    #[test]
    fn a_suspended_member_is_told_apart_from_one_who_is_not_linked() {
        let suspended = ApiError::from_code(Some(ErrorCode::Unauthenticated), true, "s".into());
        assert_eq!(suspended, ApiError::Suspended("s".into()));
        let unlinked = ApiError::from_code(Some(ErrorCode::Unauthenticated), false, "u".into());
        assert_eq!(unlinked, ApiError::Unauthenticated("u".into()));
    }
}
