//! The documents the bot's live connection subscribes with, and what each delivers:
//! every thread posted, reply posted, answer accepted and collaboration changed that
//! the bot may see.

use cynic::SubscriptionBuilder;

use super::{CollaborationChangeKind, CollaborationView, ReplyInThread, ThreadSummary, schema};

/// One of the bot's subscriptions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subscription {
    /// Threads as they are posted.
    Threads,
    /// Replies as they are posted.
    Replies,
    /// Answers as they are accepted.
    Answers,
    /// Collaborations as they change.
    Collaborations,
}

impl Subscription {
    /// Every subscription the bot holds.
    pub const ALL: [Self; 4] = [Self::Threads, Self::Replies, Self::Answers, Self::Collaborations];

    /// The id it has on the socket.
    pub fn id(self) -> &'static str {
        match self {
            Self::Threads => "threads",
            Self::Replies => "replies",
            Self::Answers => "answers",
            Self::Collaborations => "collaborations",
        }
    }

    /// The subscription with the socket id `id`.
    pub fn with_id(id: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|subscription| subscription.id() == id)
    }

    /// The document to subscribe with.
    pub fn document(self) -> String {
        match self {
            Self::Threads => ThreadPosted::build(()).query().to_owned(),
            Self::Replies => ReplyPosted::build(()).query().to_owned(),
            Self::Answers => AnswerAccepted::build(()).query().to_owned(),
            Self::Collaborations => CollaborationChanged::build(()).query().to_owned(),
        }
    }
}

/// What [`Subscription::Threads`] delivers.
#[derive(cynic::QueryFragment, Debug, Clone)]
#[cynic(graphql_type = "SubscriptionRoot")]
pub struct ThreadPosted {
    /// The thread posted.
    pub thread_posted: ThreadSummary,
}

/// What [`Subscription::Replies`] delivers.
#[derive(cynic::QueryFragment, Debug, Clone)]
#[cynic(graphql_type = "SubscriptionRoot")]
pub struct ReplyPosted {
    /// The reply posted, with its thread.
    pub reply_posted: ReplyInThread,
}

/// What [`Subscription::Answers`] delivers.
#[derive(cynic::QueryFragment, Debug, Clone)]
#[cynic(graphql_type = "SubscriptionRoot")]
pub struct AnswerAccepted {
    /// The accepted reply, with its thread (now answered).
    pub answer_accepted: ReplyInThread,
}

/// A change to a collaboration, with the collaboration as it is now.
#[derive(cynic::QueryFragment, Debug, Clone)]
#[cynic(graphql_type = "CollaborationChanged")]
pub struct CollaborationChange {
    /// What happened.
    pub change: CollaborationChangeKind,
    /// The collaboration after it.
    pub collaboration: CollaborationView,
}

/// What [`Subscription::Collaborations`] delivers.
#[derive(cynic::QueryFragment, Debug, Clone)]
#[cynic(graphql_type = "SubscriptionRoot")]
pub struct CollaborationChanged {
    /// The change.
    pub collaboration_changed: CollaborationChange,
}
