//! The keys mirrors are recorded under in the API: what a Discord post or message
//! mirrors, as one type. Their shape is `lkn_codes::mirror`'s, which the API builds
//! its keys with too.
//!
//! The strings are a contract with every record already in the database (and with the
//! API, which records replies written in Discord as `reply:<id>`), so they never change:
//! `thread:<thread id>`, `reply:<reply id>`, `solved:<thread id>`,
//! `collaboration:<collaboration id>:<STATUS>` and `membership:<request id>`.

use std::fmt;

use lkn_codes::mirror;

use super::{CollaborationStatus, schema};

/// What a Discord post or message mirrors.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct MirrorKey(String);

cynic::impl_scalar!(MirrorKey, schema::String);

/// Why a string is not a mirror key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a mirror key: {0:?}")]
pub struct MirrorKeyError(String);

/// The word a status takes in a collaboration's key (the API's own name for it).
fn status_word(status: CollaborationStatus) -> &'static str {
    match status {
        CollaborationStatus::Proposed => "PROPOSED",
        CollaborationStatus::SeekingPartners => "SEEKING_PARTNERS",
        CollaborationStatus::Active => "ACTIVE",
        CollaborationStatus::Completed => "COMPLETED",
        CollaborationStatus::Withdrawn => "WITHDRAWN",
    }
}

impl MirrorKey {
    /// The forum post of a thread.
    pub fn thread(thread_id: &str) -> Self {
        Self(mirror::thread(thread_id))
    }

    /// The message of a reply in its thread's post.
    pub fn reply(reply_id: &str) -> Self {
        Self(mirror::reply(reply_id))
    }

    /// A thread's post marked solved.
    pub fn solved(thread_id: &str) -> Self {
        Self(mirror::solved(thread_id))
    }

    /// The announcement of a collaboration reaching `status` (its proposal is
    /// [`CollaborationStatus::Proposed`]).
    pub fn collaboration(collaboration_id: &str, status: CollaborationStatus) -> Self {
        Self(mirror::collaboration(collaboration_id, status_word(status)))
    }

    /// The message that puts a request to join to the partner's coordinators.
    pub fn membership(request_id: &str) -> Self {
        Self(mirror::membership(request_id))
    }

    /// Reads a key as the API returns it.
    pub fn parse(key: &str) -> Result<Self, MirrorKeyError> {
        if mirror::is_key(key) { Ok(Self(key.to_owned())) } else { Err(MirrorKeyError(key.to_owned())) }
    }

    /// The thread whose post this is, for a thread's key.
    pub fn thread_id(&self) -> Option<&str> {
        mirror::thread_of(&self.0)
    }

    /// The reply this message is, for a reply's key.
    pub fn reply_id(&self) -> Option<&str> {
        mirror::reply_of(&self.0)
    }

    /// The key as the API records it.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for MirrorKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for MirrorKey {
    type Error = MirrorKeyError;

    fn try_from(key: String) -> Result<Self, Self::Error> {
        Self::parse(&key)
    }
}

impl From<MirrorKey> for String {
    fn from(key: MirrorKey) -> Self {
        key.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_keep_the_shape_of_the_records_already_made() {
        assert_eq!(MirrorKey::thread("VGhyZWFkOjE=").as_str(), "thread:VGhyZWFkOjE=");
        assert_eq!(MirrorKey::reply("UmVwbHk6MQ==").as_str(), "reply:UmVwbHk6MQ==");
        assert_eq!(MirrorKey::solved("VGhyZWFkOjE=").as_str(), "solved:VGhyZWFkOjE=");
        let proposed = MirrorKey::collaboration("Q29sbGFib3JhdGlvbjox", CollaborationStatus::Proposed);
        assert_eq!(proposed.as_str(), "collaboration:Q29sbGFib3JhdGlvbjox:PROPOSED");
        let seeking = MirrorKey::collaboration("Q29sbGFib3JhdGlvbjox", CollaborationStatus::SeekingPartners);
        assert_eq!(seeking.to_string(), "collaboration:Q29sbGFib3JhdGlvbjox:SEEKING_PARTNERS");
        assert_eq!(
            MirrorKey::membership("TWVtYmVyc2hpcFJlcXVlc3Q6MQ").as_str(),
            "membership:TWVtYmVyc2hpcFJlcXVlc3Q6MQ"
        );
    }

    #[test]
    fn every_key_built_here_parses_back_to_itself() {
        let statuses = [
            CollaborationStatus::Proposed,
            CollaborationStatus::SeekingPartners,
            CollaborationStatus::Active,
            CollaborationStatus::Completed,
            CollaborationStatus::Withdrawn,
        ];
        let mut keys = vec![MirrorKey::thread("a1"), MirrorKey::reply("b2"), MirrorKey::solved("c3")];
        keys.extend(statuses.map(|status| MirrorKey::collaboration("d4", status)));
        for key in keys {
            assert_eq!(MirrorKey::parse(key.as_str()), Ok(key.clone()));
        }
    }

    #[test]
    fn a_thread_key_names_its_thread_and_a_reply_key_its_reply() {
        assert_eq!(MirrorKey::thread("VGhyZWFkOjE=").thread_id(), Some("VGhyZWFkOjE="));
        assert_eq!(MirrorKey::thread("VGhyZWFkOjE=").reply_id(), None);
        assert_eq!(MirrorKey::reply("UmVwbHk6MQ==").reply_id(), Some("UmVwbHk6MQ=="));
        assert_eq!(MirrorKey::solved("VGhyZWFkOjE=").thread_id(), None, "a solved mark is not the post");
    }

    #[test]
    fn what_is_not_a_key_is_refused() {
        for key in
            ["", "thread:", "thread", "post:1", "reply:a:b", "thread:a b", "collaboration:1", "collaboration:1:DONE"]
        {
            assert_eq!(MirrorKey::parse(key), Err(MirrorKeyError(key.to_owned())), "{key:?}");
        }
    }

    #[test]
    fn a_key_travels_as_a_plain_string() {
        let key = MirrorKey::reply("UmVwbHk6MQ==");
        assert_eq!(serde_json::to_string(&key).expect("serialises"), r#""reply:UmVwbHk6MQ==""#);
        let read: MirrorKey = serde_json::from_str(r#""reply:UmVwbHk6MQ==""#).expect("parses");
        assert_eq!(read, key);
        assert!(serde_json::from_str::<MirrorKey>(r#""discord-message:1""#).is_err());
    }
}
