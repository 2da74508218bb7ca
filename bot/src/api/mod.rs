//! The bot's client of the LKN GraphQL API: its only door to the network.
//!
//! Every document the bot sends is a cynic fragment in this module's files, checked
//! against `api/schema.graphql` when the bot compiles (see `build.rs`): a field renamed
//! or removed in the schema, an argument changed, or an enum variant added or dropped,
//! is a build error here rather than a refusal at run time. The query text is built
//! from those types, so the types the answers are read into are the documents.
//!
//! Why cynic and not graphql_client (both were tried on these documents; they cost the
//! same to compile, about 32 CPU-seconds from cold): graphql_client generates a module
//! per operation with its own copy of every fragment and enum it uses, so the thread
//! summary that seven operations return would be seven types, and its enums always
//! carry an `Other(String)`. Here one [`ThreadSummary`] and one [`ThreadKind`] serve
//! every operation, and enums are exhaustive against the schema.
//!
//! The bot talks to LKN exactly as a partner's integration would, over HTTP with a
//! bearer token. It acts for a Discord user by sending its own (bot) token with the
//! `X-Lkn-Discord-User` header; the API applies that user's linked member's
//! permissions. Reads for a user who is not linked are retried anonymously, so they can
//! still search what is public.
//!
//! # Layout
//! - this file: whose permissions a request carries ([`Caller`]), what can go wrong
//!   ([`ApiError`]), the seam to the network ([`Transport`]) and [`Lkn`], which runs
//!   operations over it;
//! - [`http`]: the transport to a running lkn-api;
//! - `types`: the scalars, enums and small fragments every feature shares;
//! - `threads`, `collaborations`, `network`, `discord`, `membership`, `profiles` and
//!   `notifications`: each feature's documents and the calls that send them;
//! - `mirror_key`: the keys mirrors are recorded under;
//! - [`subscriptions`]: the documents the live connection subscribes with.

mod collaborations;
mod discord;
pub mod http;
mod membership;
mod mirror_key;
mod network;
mod notifications;
mod profiles;
pub mod subscriptions;
mod threads;
mod types;

use std::sync::Arc;

use async_trait::async_trait;
use cynic::{GraphQlResponse, Operation};
use lkn_codes::ErrorCode;
use serde::Serialize;
use serde::de::DeserializeOwned;

pub use collaborations::{CollaborationView, NewCollaboration, ParticipantView};
pub use discord::{MemberView, Mirror};
pub use http::HttpTransport;
pub use membership::{MembershipRequestStatus, MembershipRequestView};
pub use mirror_key::{MirrorKey, MirrorKeyError};
pub use network::{AudienceReach, PartnerView, Stats, TagCount};
pub use notifications::{DirectNotification, NotificationKind, Settlement};
pub use profiles::{Expert, ExpertiseView, ProfileView};
pub use threads::{
    NewThread, Replies, ReplyInThread, ReplyView, SearchHit, SearchResults, ThreadDetail, ThreadFeed, ThreadFilter,
    ThreadSummary,
};
pub use types::{
    CollaborationChangeKind, CollaborationKind, CollaborationStatus, JoinStatus, Language, MemberName, Nation,
    PartnerName, PartnerRef, ThreadKind, ThreadStatus, UserError, UserErrorCode, from_wire,
};

/// The API's schema, registered by `build.rs`: what every document here is checked
/// against (and the slash commands' choices, see `discord::commands`).
#[cynic::schema("lkn")]
pub(crate) mod schema {}

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

    /// An answer the bot cannot read: the API and the bot disagree about the schema.
    fn unexpected(detail: impl std::fmt::Display) -> Self {
        Self::BadRequest(format!("unexpected answer from LKN: {detail}"))
    }
}

/// What the API answered to one request: the HTTP status and the body as sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    /// The HTTP status code.
    pub status: u16,
    /// The response body (a GraphQL response in JSON, when all is well).
    pub body: String,
}

/// Sends GraphQL requests: the seam between the bot and the network, which tests
/// replace.
#[async_trait]
pub trait Transport: Send + Sync {
    /// Sends one GraphQL request (its JSON `body`: query and variables) as `caller`.
    async fn send(&self, caller: &Caller, body: String) -> Result<Answer, ApiError>;
}

/// The `extensions` of a GraphQL error, as the API fills them.
#[derive(Debug, serde::Deserialize)]
struct ErrorExtensions {
    /// The code from the API's table (`NOT_FOUND`, …).
    code: Option<String>,
    /// Why, where the code alone does not say (`SUSPENDED`).
    reason: Option<String>,
}

/// The errors of an answer, read before (and whatever) its data.
#[derive(Debug, serde::Deserialize)]
struct Errors {
    errors: Option<Vec<cynic::GraphQlError<ErrorExtensions>>>,
}

/// Refuses a write whose input the API found fault with.
fn accepted(user_errors: Vec<UserError>) -> Result<(), ApiError> {
    if user_errors.is_empty() { Ok(()) } else { Err(ApiError::Invalid(user_errors)) }
}

/// The object a write returned, or its faults.
fn written<T>(object: Option<T>, user_errors: Vec<UserError>, what: &str) -> Result<T, ApiError> {
    accepted(user_errors)?;
    object.ok_or_else(|| ApiError::unexpected(format!("no {what}")))
}

/// Typed calls on the LKN API, over any [`Transport`].
#[derive(Clone)]
pub struct Lkn {
    transport: Arc<dyn Transport>,
}

impl Lkn {
    /// Typed calls over `transport`.
    pub fn new(transport: Arc<dyn Transport>) -> Self {
        Self { transport }
    }

    /// Runs `operation` as `caller` and reads its data. GraphQL errors come first
    /// (their code says what went wrong), then an HTTP status that is not a success.
    async fn run<Data, Variables>(
        &self,
        caller: &Caller,
        operation: &Operation<Data, Variables>,
    ) -> Result<Data, ApiError>
    where
        Data: DeserializeOwned,
        Variables: Serialize,
    {
        let body = serde_json::to_string(operation).map_err(|e| ApiError::BadRequest(e.to_string()))?;
        let Answer { status, body } = self.transport.send(caller, body).await?;
        let Errors { errors } =
            serde_json::from_str(&body).map_err(|e| ApiError::Unavailable(format!("HTTP {status}: {e}")))?;
        if let Some(error) = errors.into_iter().flatten().next() {
            let extensions = error.extensions.unwrap_or(ErrorExtensions { code: None, reason: None });
            let code = extensions.code.as_deref().and_then(ErrorCode::from_wire);
            let suspended = extensions.reason.as_deref() == Some(lkn_codes::SUSPENDED);
            return Err(ApiError::from_code(code, suspended, error.message));
        }
        if !(200..300).contains(&status) {
            return Err(ApiError::Unavailable(format!("HTTP {status}")));
        }
        let response: GraphQlResponse<Data> = serde_json::from_str(&body).map_err(ApiError::unexpected)?;
        response.data.ok_or_else(|| ApiError::unexpected("no data"))
    }

    /// A read: for a Discord user who is not linked, asked again anonymously.
    async fn read<Data, Variables>(
        &self,
        caller: &Caller,
        operation: Operation<Data, Variables>,
    ) -> Result<Data, ApiError>
    where
        Data: DeserializeOwned,
        Variables: Serialize,
    {
        match self.run(caller, &operation).await {
            Err(ApiError::Unauthenticated(_)) if matches!(caller, Caller::Discord(_)) => {
                self.run(&Caller::Anonymous, &operation).await
            }
            other => other,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

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

    /// Answers every request with the next of its answers, and keeps who asked.
    struct Scripted {
        answers: Mutex<Vec<Answer>>,
        callers: Mutex<Vec<Caller>>,
    }

    impl Scripted {
        fn new(answers: &[(u16, &str)]) -> Arc<Self> {
            let answers = answers.iter().rev().map(|(status, body)| Answer { status: *status, body: (*body).into() });
            Arc::new(Self { answers: Mutex::new(answers.collect()), callers: Mutex::default() })
        }
    }

    #[async_trait]
    impl Transport for Scripted {
        async fn send(&self, caller: &Caller, _body: String) -> Result<Answer, ApiError> {
            self.callers.lock().expect("not poisoned").push(caller.clone());
            self.answers.lock().expect("not poisoned").pop().ok_or_else(|| ApiError::Unavailable("no answer".into()))
        }
    }

    const UNLINKED: &str =
        r#"{"data":null,"errors":[{"message":"link first","extensions":{"code":"UNAUTHENTICATED"}}]}"#;

    #[tokio::test]
    async fn a_read_for_an_unlinked_discord_user_is_asked_again_anonymously() {
        let transport =
            Scripted::new(&[(401, UNLINKED), (200, r#"{"data":{"tags":[{"name":"events","threadCount":2}]}}"#)]);
        let tags = Lkn::new(transport.clone()).tags(&Caller::Discord("42".into())).await.expect("tags");
        assert_eq!(tags, vec![TagCount { name: "events".into(), thread_count: 2 }]);
        let callers = transport.callers.lock().expect("not poisoned").clone();
        assert_eq!(callers, vec![Caller::Discord("42".into()), Caller::Anonymous]);
    }

    #[tokio::test]
    async fn a_write_for_an_unlinked_discord_user_is_not_retried() {
        let transport = Scripted::new(&[(401, UNLINKED)]);
        let refused = Lkn::new(transport.clone()).accept_reply(&Caller::Discord("42".into()), "UmVwbHk6MQ==").await;
        assert_eq!(refused, Err(ApiError::Unauthenticated("link first".into())));
        assert_eq!(transport.callers.lock().expect("not poisoned").len(), 1);
    }

    #[tokio::test]
    async fn user_errors_refuse_a_write_with_every_fault() {
        let body = r#"{"data":{"acceptReply":{"thread":null,"userErrors":[
            {"field":["input","replyId"],"message":"Only the asker may accept.","code":"FORBIDDEN"},
            {"field":[],"message":"Something new.","code":"SOMETHING_NEW"}]}}}"#;
        let refused = Lkn::new(Scripted::new(&[(200, body)])).accept_reply(&Caller::Bot, "UmVwbHk6MQ==").await;
        let Err(ApiError::Invalid(errors)) = refused else { panic!("refused, not {refused:?}") };
        assert_eq!(errors[0].code, UserErrorCode::Forbidden);
        assert_eq!(errors[1].code, UserErrorCode::Other("SOMETHING_NEW".into()), "a code the bot does not know yet");
    }

    #[tokio::test]
    async fn what_is_not_a_graphql_answer_reads_as_unavailable() {
        let lkn = Lkn::new(Scripted::new(&[(502, "<html>bad gateway</html>"), (503, r#"{"data":null}"#)]));
        assert!(matches!(lkn.tags(&Caller::Bot).await, Err(ApiError::Unavailable(_))));
        assert_eq!(lkn.tags(&Caller::Bot).await, Err(ApiError::Unavailable("HTTP 503".into())));
    }

    #[tokio::test]
    async fn an_answer_in_another_shape_is_a_bad_request() {
        let lkn = Lkn::new(Scripted::new(&[(200, r#"{"data":{"tags":[{"name":7}]}}"#)]));
        assert!(matches!(lkn.tags(&Caller::Bot).await, Err(ApiError::BadRequest(_))));
    }
}
