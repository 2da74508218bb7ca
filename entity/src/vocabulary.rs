//! The domain's closed vocabularies, stored as short upper-case strings.
//!
//! Strings rather than integers keep the database readable for operators and let a
//! value be added without renumbering; the migration sizes every column to fit.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// What kind of organisation a partner is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(32))")]
pub enum PartnerKind {
    /// A national library (the British Library, Scotland's, Wales's).
    #[sea_orm(string_value = "NATIONAL_LIBRARY")]
    NationalLibrary,
    /// A local authority running its library service directly.
    #[sea_orm(string_value = "LOCAL_AUTHORITY")]
    LocalAuthority,
    /// A trust, mutual, society or community interest company running public services
    /// for a local authority.
    #[sea_orm(string_value = "LIBRARY_TRUST")]
    LibraryTrust,
    /// An arm's-length public body running a nation's or region's libraries (Libraries NI).
    #[sea_orm(string_value = "PUBLIC_BODY")]
    PublicBody,
    /// An independent or subscription library.
    #[sea_orm(string_value = "INDEPENDENT_LIBRARY")]
    IndependentLibrary,
}

/// The four nations the network spans.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(32))")]
pub enum Nation {
    /// England.
    #[sea_orm(string_value = "ENGLAND")]
    England,
    /// Scotland.
    #[sea_orm(string_value = "SCOTLAND")]
    Scotland,
    /// Wales.
    #[sea_orm(string_value = "WALES")]
    Wales,
    /// Northern Ireland.
    #[sea_orm(string_value = "NORTHERN_IRELAND")]
    NorthernIreland,
}

/// What a member may do. `Bot` is the chat bot's service identity, never a person.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(32))")]
pub enum MemberRole {
    /// Library staff: post, reply, endorse, follow.
    #[sea_orm(string_value = "MEMBER")]
    Member,
    /// Manages their own partner's staff and collaborations.
    #[sea_orm(string_value = "COORDINATOR")]
    Coordinator,
    /// The British Library's network team: network-wide powers.
    #[sea_orm(string_value = "ADMIN")]
    Admin,
    /// The chat bot's service identity: reads public content and links Discord accounts.
    #[sea_orm(string_value = "BOT")]
    Bot,
}

/// The three kinds of knowledge-exchange thread.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(32))")]
pub enum ThreadKind {
    /// A question to other libraries' staff.
    #[sea_orm(string_value = "QUESTION")]
    Question,
    /// An idea, which may grow into a collaboration.
    #[sea_orm(string_value = "IDEA")]
    Idea,
    /// A shared resource: a toolkit, a report, what worked.
    #[sea_orm(string_value = "RESOURCE")]
    Resource,
}

/// Where a thread stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(32))")]
pub enum ThreadStatus {
    /// Open for replies.
    #[sea_orm(string_value = "OPEN")]
    Open,
    /// A reply has been accepted as the answer.
    #[sea_orm(string_value = "ANSWERED")]
    Answered,
    /// Closed to new replies.
    #[sea_orm(string_value = "CLOSED")]
    Closed,
}

/// Who may see a thread or collaboration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(32))")]
pub enum Visibility {
    /// Signed-in members of the network only.
    #[sea_orm(string_value = "NETWORK")]
    Network,
    /// Everyone, including anonymous callers.
    #[sea_orm(string_value = "PUBLIC")]
    Public,
}

/// The languages of the four nations that threads are written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(32))")]
pub enum Language {
    /// English.
    #[sea_orm(string_value = "EN")]
    English,
    /// Welsh (Cymraeg).
    #[sea_orm(string_value = "CY")]
    Welsh,
    /// Scottish Gaelic (Gàidhlig).
    #[sea_orm(string_value = "GD")]
    ScottishGaelic,
    /// Irish (Gaeilge).
    #[sea_orm(string_value = "GA")]
    Irish,
}

/// What partners propose to do together.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(32))")]
pub enum CollaborationKind {
    /// A programme of activity run across libraries.
    #[sea_orm(string_value = "PROGRAMME")]
    Programme,
    /// An activity or event series.
    #[sea_orm(string_value = "ACTIVITY")]
    Activity,
    /// An exhibition, touring or shared.
    #[sea_orm(string_value = "EXHIBITION")]
    Exhibition,
    /// Content made once and shared by several libraries.
    #[sea_orm(string_value = "SHARED_CONTENT")]
    SharedContent,
    /// A joint bid to a funder.
    #[sea_orm(string_value = "FUNDING_APPLICATION")]
    FundingApplication,
    /// Gathering evidence of impact together.
    #[sea_orm(string_value = "EVIDENCE_GATHERING")]
    EvidenceGathering,
}

/// A collaboration's workflow: proposed → seeking partners → active → completed, or withdrawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(32))")]
pub enum CollaborationStatus {
    /// Written up by the lead partner.
    #[sea_orm(string_value = "PROPOSED")]
    Proposed,
    /// Open to other partners joining.
    #[sea_orm(string_value = "SEEKING_PARTNERS")]
    SeekingPartners,
    /// Under way.
    #[sea_orm(string_value = "ACTIVE")]
    Active,
    /// Finished; outcomes recorded as evidence.
    #[sea_orm(string_value = "COMPLETED")]
    Completed,
    /// Abandoned by the lead partner.
    #[sea_orm(string_value = "WITHDRAWN")]
    Withdrawn,
}

/// The part a partner plays in a collaboration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(32))")]
pub enum ParticipantRole {
    /// The partner that proposed and runs it.
    #[sea_orm(string_value = "LEAD")]
    Lead,
    /// A partner delivering part of it.
    #[sea_orm(string_value = "PARTNER")]
    Partner,
    /// A partner lending support or advice without delivering.
    #[sea_orm(string_value = "SUPPORTER")]
    Supporter,
}

/// Whether a partner's request to join a collaboration has been decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(32))")]
pub enum JoinStatus {
    /// Awaiting the lead partner's decision.
    #[sea_orm(string_value = "REQUESTED")]
    Requested,
    /// Taking part.
    #[sea_orm(string_value = "ACCEPTED")]
    Accepted,
    /// Turned down by the lead partner.
    #[sea_orm(string_value = "DECLINED")]
    Declined,
}

/// What a bearer credential is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum TokenKind {
    /// A long-lived token for a program (a script, the bot, a partner's system).
    #[sea_orm(string_value = "API")]
    Api,
    /// A browser session from e-mail sign-in or an accepted invitation: expires when idle.
    #[sea_orm(string_value = "SESSION")]
    Session,
}

/// Where a request to join a partner from Discord stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(32))")]
pub enum MembershipRequestStatus {
    /// Waiting for a coordinator of the partner.
    #[sea_orm(string_value = "PENDING")]
    Pending,
    /// Approved: the member exists, with the Discord account linked.
    #[sea_orm(string_value = "APPROVED")]
    Approved,
    /// Turned down.
    #[sea_orm(string_value = "DECLINED")]
    Declined,
}

/// What a member is told about. Each kind has its own delivery preferences, so a member
/// can hear of replies to their own questions at once and of everything else weekly.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(32))")]
pub enum NotificationKind {
    /// Someone replied on a thread the member started.
    #[sea_orm(string_value = "REPLY_ON_YOUR_THREAD")]
    ReplyOnYourThread,
    /// Someone replied on a thread the member follows.
    #[sea_orm(string_value = "REPLY_ON_FOLLOWED_THREAD")]
    ReplyOnFollowedThread,
    /// A followed thread had an answer accepted, was edited or was closed.
    #[sea_orm(string_value = "FOLLOWED_THREAD_CHANGED")]
    FollowedThreadChanged,
    /// Another partner endorsed a thread the member started.
    #[sea_orm(string_value = "ENDORSEMENT")]
    Endorsement,
    /// A partner asked to join a collaboration the member's partner leads (coordinators).
    #[sea_orm(string_value = "JOIN_REQUEST")]
    JoinRequest,
    /// The member's partner's request to join a collaboration was decided.
    #[sea_orm(string_value = "JOIN_DECISION")]
    JoinDecision,
    /// A collaboration the member's partner takes part in changed status.
    #[sea_orm(string_value = "COLLABORATION_STATUS")]
    CollaborationStatus,
    /// A bid deadline of a collaboration the member's partner is in is 14 or 3 days away.
    #[sea_orm(string_value = "BID_DEADLINE")]
    BidDeadline,
    /// A new question was tagged with one of the member's areas of expertise (off by default).
    #[sea_orm(string_value = "QUESTION_IN_YOUR_EXPERTISE")]
    QuestionInYourExpertise,
}

/// When a member hears of a kind of notification on one channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum Cadence {
    /// As it happens.
    #[sea_orm(string_value = "IMMEDIATELY")]
    Immediately,
    /// Gathered into the daily digest.
    #[sea_orm(string_value = "DAILY")]
    Daily,
    /// Gathered into the weekly digest.
    #[sea_orm(string_value = "WEEKLY")]
    Weekly,
    /// Not at all.
    #[sea_orm(string_value = "NEVER")]
    Never,
}
