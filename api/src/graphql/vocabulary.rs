//! The stored vocabularies as GraphQL enums, with the same names clients see in
//! API-CONTRACT.md.

use async_graphql::Enum;
use lkn_entity::vocabulary as stored;

/// What kind of organisation a partner is.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "stored::PartnerKind")]
pub enum PartnerKind {
    /// A national library.
    NationalLibrary,
    /// A local authority running its library service directly.
    LocalAuthority,
    /// A trust, mutual, society or community interest company.
    LibraryTrust,
    /// An arm's-length public body (Libraries NI).
    PublicBody,
    /// An independent or subscription library.
    IndependentLibrary,
}

/// The four nations.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "stored::Nation")]
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

/// A member's role.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "stored::MemberRole")]
pub enum MemberRole {
    /// Library staff.
    Member,
    /// Manages their partner's staff and collaborations.
    Coordinator,
    /// The network team, with network-wide powers.
    Admin,
    /// The chat bot's service identity.
    Bot,
}

/// The kinds of thread.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "stored::ThreadKind")]
pub enum ThreadKind {
    /// A question.
    Question,
    /// An idea.
    Idea,
    /// A shared resource.
    Resource,
}

/// Where a thread stands.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "stored::ThreadStatus")]
pub enum ThreadStatus {
    /// Open for replies.
    Open,
    /// A reply was accepted as the answer.
    Answered,
    /// Closed.
    Closed,
}

/// Who may see a thread or collaboration.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "stored::Visibility")]
pub enum Visibility {
    /// Signed-in members of the network.
    Network,
    /// Everyone.
    Public,
}

/// The languages threads are written in.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "stored::Language")]
pub enum Language {
    /// English.
    #[graphql(name = "EN")]
    English,
    /// Welsh.
    #[graphql(name = "CY")]
    Welsh,
    /// Scottish Gaelic.
    #[graphql(name = "GD")]
    ScottishGaelic,
    /// Irish.
    #[graphql(name = "GA")]
    Irish,
}

/// What partners propose to do together.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "stored::CollaborationKind")]
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
}

/// A collaboration's workflow status.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "stored::CollaborationStatus")]
pub enum CollaborationStatus {
    /// Proposed by the lead partner.
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

/// A partner's part in a collaboration.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "stored::ParticipantRole")]
pub enum ParticipantRole {
    /// Leads it.
    Lead,
    /// Delivers part of it.
    Partner,
    /// Supports or advises.
    Supporter,
}

/// Whether a partner's request to join was decided.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "stored::JoinStatus")]
pub enum JoinStatus {
    /// Awaiting the lead partner.
    Requested,
    /// Taking part.
    Accepted,
    /// Turned down.
    Declined,
}

/// Where a request to join a partner from Discord stands.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "stored::MembershipRequestStatus")]
pub enum MembershipRequestStatus {
    /// Waiting for a coordinator of the partner.
    Pending,
    /// Approved: the member exists, with the Discord account linked.
    Approved,
    /// Turned down.
    Declined,
}
