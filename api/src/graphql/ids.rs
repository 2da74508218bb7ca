//! Relay global object ids: `base64url("Thread:42")`.
//!
//! Clients treat ids as opaque; the type prefix lets `node(id:)` find any object and
//! stops an id of one type being used as another.

use async_graphql::ID;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::error::{Result, ServiceError};

/// The object types that have global ids.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NodeType {
    /// A partner.
    Partner,
    /// A member.
    Member,
    /// A thread.
    Thread,
    /// A reply.
    Reply,
    /// A collaboration.
    Collaboration,
    /// A member's session or API token (never reachable through `node`).
    Session,
    /// An invitation to join a partner (never reachable through `node`).
    Invitation,
    /// A request to join a partner from Discord (never reachable through `node`).
    MembershipRequest,
    /// A notification (never reachable through `node`).
    Notification,
    /// A delivery: a Discord direct message handed to the bot, or a job or e-mail given up
    /// (never reachable through `node`).
    Delivery,
}

impl NodeType {
    fn name(self) -> &'static str {
        match self {
            Self::Partner => "Partner",
            Self::Member => "Member",
            Self::Thread => "Thread",
            Self::Reply => "Reply",
            Self::Collaboration => "Collaboration",
            Self::Session => "Session",
            Self::Invitation => "Invitation",
            Self::MembershipRequest => "MembershipRequest",
            Self::Notification => "Notification",
            Self::Delivery => "Delivery",
        }
    }

    fn parse(name: &str) -> Option<Self> {
        Some(match name {
            "Partner" => Self::Partner,
            "Member" => Self::Member,
            "Thread" => Self::Thread,
            "Reply" => Self::Reply,
            "Collaboration" => Self::Collaboration,
            "Session" => Self::Session,
            "Invitation" => Self::Invitation,
            "MembershipRequest" => Self::MembershipRequest,
            "Notification" => Self::Notification,
            "Delivery" => Self::Delivery,
            _ => return None,
        })
    }
}

/// The global id of row `id` of `kind`.
pub fn encode(kind: NodeType, id: i64) -> ID {
    ID(URL_SAFE_NO_PAD.encode(format!("{}:{id}", kind.name())))
}

/// Reads any global id.
pub fn decode_any(id: &str) -> Option<(NodeType, i64)> {
    let bytes = URL_SAFE_NO_PAD.decode(id.trim().as_bytes()).ok()?;
    let text = String::from_utf8(bytes).ok()?;
    let (kind, number) = text.split_once(':')?;
    Some((NodeType::parse(kind)?, number.parse().ok()?))
}

/// Reads a global id that must be of `kind`; anything else names nothing.
pub fn decode(kind: NodeType, id: &str) -> Option<i64> {
    match decode_any(id) {
        Some((found, number)) if found == kind => Some(number),
        _ => None,
    }
}

/// Like [`decode`], for input fields: a wrong id is a user error on `field`.
pub fn decode_input(kind: NodeType, id: &str, field: &str) -> Result<i64> {
    decode(kind, id).ok_or_else(|| {
        ServiceError::invalid(
            field,
            crate::error::UserErrorCode::NotFound,
            format!("`{id}` is not the id of a {}", kind.name().to_lowercase()),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: [NodeType; 5] =
        [NodeType::Partner, NodeType::Member, NodeType::Thread, NodeType::Reply, NodeType::Collaboration];

    #[test]
    fn every_kind_of_id_round_trips() {
        for kind in ALL {
            for id in [1, 42, i64::MAX] {
                assert_eq!(decode(kind, &encode(kind, id)), Some(id), "{kind:?} {id}");
                assert_eq!(decode_any(&encode(kind, id)), Some((kind, id)));
            }
        }
    }

    #[test]
    fn an_id_is_base64url_of_type_colon_number() {
        assert_eq!(encode(NodeType::Thread, 42).0, "VGhyZWFkOjQy");
    }

    #[test]
    fn an_id_of_one_type_names_nothing_of_another() {
        let thread = encode(NodeType::Thread, 7);
        for kind in ALL.into_iter().filter(|k| *k != NodeType::Thread) {
            assert_eq!(decode(kind, &thread), None);
        }
    }

    #[test]
    fn malformed_ids_name_nothing() {
        for bad in ["", "!!", "VGhyZWFk", "VGhyZWFkOg", "VGhyZWFkOmFi", "R2hvc3Q6MQ"] {
            assert_eq!(decode_any(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn a_wrong_input_id_is_a_user_error_on_its_field() {
        match decode_input(NodeType::Thread, "nope", "threadId") {
            Err(ServiceError::Invalid(errors)) => {
                assert_eq!(errors[0].field, vec!["input".to_owned(), "threadId".to_owned()]);
                assert_eq!(errors[0].code, crate::error::UserErrorCode::NotFound);
            }
            other => panic!("{other:?}"),
        }
    }
}
