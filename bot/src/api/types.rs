//! What every feature's documents share: the schema's scalars and enums as the bot
//! reads them, and the small fragments that name members and partners.
//!
//! Each enum is checked against the schema variant by variant: one added to or dropped
//! from `api/schema.graphql` fails the build here, so the bot never meets a value it has
//! no word for.

use serde::de::{DeserializeOwned, IntoDeserializer};

use super::schema;

cynic::impl_scalar!(chrono::DateTime<chrono::Utc>, schema::DateTime);

/// Reads an enum from the API's own name for one of its values (`SEEKING_PARTNERS`),
/// as people type them into the console and `/collab propose`.
pub fn from_wire<T: DeserializeOwned>(word: &str) -> Option<T> {
    let read: Result<T, serde::de::value::Error> = T::deserialize(word.into_deserializer());
    read.ok()
}

/// Question, idea or resource.
#[derive(cynic::Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum ThreadKind {
    /// A question.
    Question,
    /// An idea.
    Idea,
    /// A shared resource.
    Resource,
}

/// Open, answered or closed.
#[derive(cynic::Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum ThreadStatus {
    /// Open.
    Open,
    /// Has an accepted answer.
    Answered,
    /// Closed to replies.
    Closed,
}

/// Where a collaboration is in its workflow.
#[derive(cynic::Enum, Debug, Clone, Copy, PartialEq, Eq, Hash)]
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

/// What partners propose to do together. `/collab propose` takes it as typed, so a
/// word the schema does not know travels as [`CollaborationKind::Other`] and the API
/// refuses it with its own message.
#[derive(cynic::Enum, Debug, Clone, PartialEq, Eq)]
pub enum CollaborationKind {
    /// A programme of activity.
    Programme,
    /// An activity or event series.
    Activity,
    /// An exhibition.
    Exhibition,
    /// Shared content.
    SharedContent,
    /// A joint funding application.
    FundingApplication,
    /// Evidence gathering.
    EvidenceGathering,
    /// Any other word, sent as typed (upper case, `_` for spaces).
    #[cynic(fallback)]
    Other(String),
}

/// What happened to a collaboration, as its subscription reports it.
#[derive(cynic::Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum CollaborationChangeKind {
    /// It was proposed: announced.
    Proposed,
    /// A partner asked to join.
    JoinRequested,
    /// A request to join was decided.
    JoinDecided,
    /// Its status moved along the workflow: announced.
    StatusAdvanced,
    /// An outcome was recorded.
    OutcomeRecorded,
}

/// Whether a partner's request to join was decided.
#[derive(cynic::Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum JoinStatus {
    /// Awaiting the lead partner.
    Requested,
    /// Taking part.
    Accepted,
    /// Turned down.
    Declined,
}

/// A nation of the UK.
#[derive(cynic::Enum, Debug, Clone, Copy, PartialEq, Eq)]
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

/// The languages threads are written in, and the one a Discord user chose.
#[derive(cynic::Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum Language {
    /// English.
    En,
    /// Welsh.
    Cy,
    /// Scottish Gaelic.
    Gd,
    /// Irish.
    Ga,
}

/// The stable codes of `userErrors`. A code newer than the bot reads as
/// [`UserErrorCode::Other`], so a refusal is still shown.
#[derive(cynic::Enum, Debug, Clone, PartialEq, Eq)]
pub enum UserErrorCode {
    /// A required value is missing or empty.
    Blank,
    /// A value is longer or larger than allowed.
    TooLong,
    /// A value is shorter or smaller than allowed.
    TooShort,
    /// A value does not have the required shape.
    Invalid,
    /// An id names nothing the caller can see.
    NotFound,
    /// This was already done.
    Taken,
    /// The object changed since the client read it.
    Conflict,
    /// The object is not in a state that allows this.
    InvalidState,
    /// The caller's role does not allow this on this object.
    Forbidden,
    /// A code has expired or was already used.
    Expired,
    /// The idempotency key was used before with different input.
    IdempotencyKeyReused,
    /// Too many attempts in a short time.
    RateLimited,
    /// A code the bot does not know yet.
    #[cynic(fallback)]
    Other(String),
}

/// A fault the API found in an input.
#[derive(cynic::QueryFragment, Debug, Clone, PartialEq, Eq)]
pub struct UserError {
    /// The input field at fault.
    pub field: Vec<String>,
    /// A sentence the user can act on (in English: the API's own words).
    pub message: String,
    /// A stable code.
    pub code: UserErrorCode,
}

/// A member, by the name shown on their posts.
#[derive(cynic::QueryFragment, Debug, Clone, PartialEq, Eq)]
#[cynic(graphql_type = "Member")]
pub struct MemberName {
    /// Their display name.
    pub display_name: String,
}

/// A partner, by name.
#[derive(cynic::QueryFragment, Debug, Clone, PartialEq, Eq)]
#[cynic(graphql_type = "Partner")]
pub struct PartnerName {
    /// The name the partner uses.
    pub name: String,
}

/// A partner, by handle and name.
#[derive(cynic::QueryFragment, Debug, Clone, PartialEq, Eq)]
#[cynic(graphql_type = "Partner")]
pub struct PartnerRef {
    /// Handle, as filters and `/collab decide` take it.
    pub slug: String,
    /// Name.
    pub name: String,
}
