//! Who is asking and what they may see: the one type every rule is checked against.
//!
//! A leaf of the service layer: it knows members and roles and nothing of how a caller
//! was recognised (that is `identity`'s) or what they write (each noun's `write`), so
//! every service module can depend on it without import circles.

use lkn_entity::member;
use lkn_entity::vocabulary::MemberRole;

use crate::error::{Result, ServiceError};

/// The caller of a request, as every authorization check sees it.
#[derive(Debug, Clone, Default)]
pub enum Viewer {
    /// No token: sees public content only.
    #[default]
    Anonymous,
    /// A member, acting directly or through the bot on behalf of their linked Discord user.
    Member {
        /// The member whose permissions apply.
        member: member::Model,
        /// The bot identity that carried the request, if it did.
        via_bot: Option<member::Model>,
    },
    /// The bot's own identity, acting for nobody: reads what members read (to mirror
    /// threads into the network's Discord server), links accounts and keeps its Discord
    /// records; it writes nothing else.
    Bot(member::Model),
}

impl Viewer {
    /// The member whose permissions apply, if any.
    pub fn member(&self) -> Option<&member::Model> {
        match self {
            Self::Member { member, .. } => Some(member),
            _ => None,
        }
    }

    /// Whether network-only threads and collaborations are visible: to members, and to
    /// the bot, which mirrors them into the network's own Discord server. The bot asks
    /// anonymously for Discord users who are not linked.
    pub fn sees_network(&self) -> bool {
        matches!(self, Self::Member { .. } | Self::Bot(_))
    }

    /// The acting member, or the refusal every write gives to anyone else.
    pub fn require_member(&self) -> Result<&member::Model> {
        match self {
            Self::Member { member, .. } => Ok(member),
            Self::Anonymous => Err(ServiceError::Unauthenticated("sign in with an API token to do this".into())),
            Self::Bot(_) => Err(ServiceError::Forbidden),
        }
    }

    /// Passes members and the bot, which see staff records; refuses anonymous callers as
    /// every member-only read does, asking them to sign in.
    pub fn require_network(&self) -> Result<()> {
        if self.sees_network() { Ok(()) } else { self.require_member().map(|_| ()) }
    }

    /// The member who made the request (the bot when it acts for someone) and the member
    /// acted for, as the audit trail records them.
    pub fn audit_pair(&self) -> (Option<i64>, Option<i64>) {
        match self {
            Self::Anonymous => (None, None),
            Self::Bot(bot) => (Some(bot.id), None),
            Self::Member { member, via_bot: None } => (Some(member.id), None),
            Self::Member { member, via_bot: Some(bot) } => (Some(bot.id), Some(member.id)),
        }
    }

    /// The member acting in person, or a refusal: identity and access (members, tokens,
    /// enrolments, suspensions) are never managed through the bot, so a Discord account
    /// cannot be turned into a way to mint or keep credentials.
    pub fn require_in_person(&self) -> Result<&member::Model> {
        match self {
            Self::Member { via_bot: Some(_), .. } => Err(ServiceError::Forbidden),
            other => other.require_member(),
        }
    }

    /// Only the bot, in its own name: for what it does for Discord users who have no member
    /// to act as yet (linking an account, asking to join).
    pub fn require_bot_alone(&self) -> Result<()> {
        match self {
            Self::Bot(_) => Ok(()),
            Self::Anonymous => Err(ServiceError::Unauthenticated("sign in with the bot's API token".into())),
            Self::Member { .. } => Err(ServiceError::Forbidden),
        }
    }

    /// Refuses the bot, for itself or for anyone: signing in hands out session tokens, and
    /// a Discord account must never become a way to mint one.
    pub fn refuse_bot(&self) -> Result<()> {
        match self {
            Self::Bot(_) | Self::Member { via_bot: Some(_), .. } => Err(ServiceError::Forbidden),
            _ => Ok(()),
        }
    }

    /// The members whose access this viewer depends on: the member acting, the bot
    /// carrying the request, or both. Suspending or revoking any of them ends it.
    pub fn depends_on(&self, member_id: i64) -> bool {
        match self {
            Self::Anonymous => false,
            Self::Bot(bot) => bot.id == member_id,
            Self::Member { member, via_bot } => {
                member.id == member_id || via_bot.as_ref().is_some_and(|b| b.id == member_id)
            }
        }
    }

    /// Whether this is an administrator of the network.
    pub fn is_admin(&self) -> bool {
        self.member().is_some_and(|m| m.role == MemberRole::Admin)
    }

    /// Whether this is a coordinator (or admin) entitled to act for `partner_id`.
    pub fn coordinates(&self, partner_id: i64) -> bool {
        self.member().is_some_and(|m| {
            m.role == MemberRole::Admin || (m.role == MemberRole::Coordinator && m.partner_id == partner_id)
        })
    }
}
