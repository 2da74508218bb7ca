//! The keys under which the bot records what it mirrored into Discord, built here for
//! both sides: the bot claims them before it posts, and the API records a reply written
//! in Discord under the key the bot would have used, so that it is never posted back.
//!
//! The strings are a contract with every record already in the database, so they never
//! change: `thread:<thread id>`, `reply:<reply id>`, `solved:<thread id>`,
//! `collaboration:<collaboration id>:<STATUS>` and `membership:<request id>` (a request
//! to join, put to a partner's coordinators), where ids are the API's global ids.

const THREAD: &str = "thread:";
const REPLY: &str = "reply:";
const SOLVED: &str = "solved:";
const COLLABORATION: &str = "collaboration:";
const MEMBERSHIP: &str = "membership:";

/// The statuses a collaboration's key may name, as the API's schema spells them.
pub const COLLABORATION_STATUSES: &[&str] = &["PROPOSED", "SEEKING_PARTNERS", "ACTIVE", "COMPLETED", "WITHDRAWN"];

/// The forum post of a thread.
pub fn thread(thread_id: &str) -> String {
    format!("{THREAD}{thread_id}")
}

/// The message of a reply in its thread's post.
pub fn reply(reply_id: &str) -> String {
    format!("{REPLY}{reply_id}")
}

/// A thread's post marked solved.
pub fn solved(thread_id: &str) -> String {
    format!("{SOLVED}{thread_id}")
}

/// The announcement of a collaboration reaching `status` (one of [`COLLABORATION_STATUSES`]).
pub fn collaboration(collaboration_id: &str, status: &str) -> String {
    format!("{COLLABORATION}{collaboration_id}:{status}")
}

/// The message that puts a request to join to the partner's coordinators.
pub fn membership(request_id: &str) -> String {
    format!("{MEMBERSHIP}{request_id}")
}

/// The thread whose post `key` is, for a thread's key.
pub fn thread_of(key: &str) -> Option<&str> {
    key.strip_prefix(THREAD)
}

/// The reply that `key` is, for a reply's key.
pub fn reply_of(key: &str) -> Option<&str> {
    key.strip_prefix(REPLY)
}

/// A global id as keys carry it: not empty, no `:` and no spaces.
fn is_id(id: &str) -> bool {
    !id.is_empty() && !id.contains(':') && !id.chars().any(char::is_whitespace)
}

/// Whether `key` has the shape of a mirror key.
pub fn is_key(key: &str) -> bool {
    let simple = [THREAD, REPLY, SOLVED, MEMBERSHIP].iter().any(|prefix| key.strip_prefix(prefix).is_some_and(is_id));
    let collaboration = key
        .strip_prefix(COLLABORATION)
        .and_then(|rest| rest.split_once(':'))
        .is_some_and(|(id, status)| is_id(id) && COLLABORATION_STATUSES.contains(&status));
    simple || collaboration
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_keep_the_shape_of_the_records_already_made() {
        assert_eq!(thread("VGhyZWFkOjE="), "thread:VGhyZWFkOjE=");
        assert_eq!(reply("UmVwbHk6MQ=="), "reply:UmVwbHk6MQ==");
        assert_eq!(solved("VGhyZWFkOjE="), "solved:VGhyZWFkOjE=");
        assert_eq!(collaboration("Q29sbGFib3JhdGlvbjox", "PROPOSED"), "collaboration:Q29sbGFib3JhdGlvbjox:PROPOSED");
    }

    #[test]
    fn every_key_built_here_is_a_key_and_names_what_it_mirrors() {
        let mut keys = vec![thread("a1"), reply("b2"), solved("c3"), membership("e5")];
        keys.extend(COLLABORATION_STATUSES.iter().map(|status| collaboration("d4", status)));
        assert!(keys.iter().all(|key| is_key(key)), "{keys:?}");
        assert_eq!(thread_of(&thread("a1")), Some("a1"));
        assert_eq!(reply_of(&reply("b2")), Some("b2"));
        assert_eq!(thread_of(&solved("c3")), None, "a solved mark is not the post");
    }

    #[test]
    fn what_is_not_a_key_is_refused() {
        for key in
            ["", "thread:", "thread", "post:1", "reply:a:b", "thread:a b", "collaboration:1", "collaboration:1:DONE"]
        {
            assert!(!is_key(key), "{key:?}");
        }
    }
}
