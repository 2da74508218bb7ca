//! Request ids: the `x-request-id` each request is known by in the logs, the response
//! and the audit trail.
//!
//! A caller may send its own id to trace a request through its systems, but the header
//! is client-controlled and the audit trail stores it in a column of 64 characters: an
//! id is kept only if it is 1 to 64 characters of `A-Z a-z 0-9 . _ -`. Anything else is
//! replaced by a generated id, which the response carries back.

use axum::http::{HeaderValue, Request};
use tower_http::request_id::{MakeRequestId, RequestId};

/// The header that carries each request's id, in both directions.
pub const HEADER: &str = "x-request-id";

/// The longest request id kept.
pub const MAX_LENGTH: usize = 64;

/// Whether `value` may be used as a request id as sent: 1 to [`MAX_LENGTH`] ASCII
/// letters, digits, dots, underscores and hyphens.
pub fn is_acceptable(value: &[u8]) -> bool {
    (1..=MAX_LENGTH).contains(&value.len())
        && value.iter().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

/// Removes every `x-request-id` the caller sent unless there is exactly one and it is
/// acceptable, so that the request-id layer generates one in its place.
pub fn drop_unacceptable<B>(mut request: Request<B>) -> Request<B> {
    let headers = request.headers_mut();
    let mut sent = headers.get_all(HEADER).iter();
    let keep = matches!((sent.next(), sent.next()), (Some(value), None) if is_acceptable(value.as_bytes()));
    if !keep {
        headers.remove(HEADER);
    }
    request
}

/// Generated request ids: 16 random hex digits.
#[derive(Clone, Copy, Default)]
pub struct RandomRequestId;

impl MakeRequestId for RandomRequestId {
    fn make_request_id<B>(&mut self, _: &Request<B>) -> Option<RequestId> {
        let id = format!("{:016x}", rand::random::<u64>());
        HeaderValue::from_str(&id).ok().map(RequestId::new)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_of_1_to_64_safe_ascii_characters_are_kept() {
        assert!(is_acceptable(b"req-from-discord-42"));
        assert!(is_acceptable(b"a"));
        assert!(is_acceptable(b"Trace_1.2-3"));
        assert!(is_acceptable("x".repeat(64).as_bytes()));
    }

    #[test]
    fn an_id_longer_than_64_characters_is_refused() {
        assert!(!is_acceptable("x".repeat(65).as_bytes()));
    }

    #[test]
    fn empty_non_ascii_and_punctuated_ids_are_refused() {
        assert!(!is_acceptable(b""));
        assert!(!is_acceptable("requête".as_bytes()));
        assert!(!is_acceptable(b"has space"));
        assert!(!is_acceptable(b"semi;colon"));
        assert!(!is_acceptable(b"new\tline"));
    }

    #[test]
    fn an_unacceptable_or_repeated_header_is_removed_and_a_good_one_kept() {
        let with = |values: &[&[u8]]| {
            let mut request = Request::new(());
            for value in values {
                request.headers_mut().append(HEADER, HeaderValue::from_bytes(value).expect("header value"));
            }
            drop_unacceptable(request).headers().get_all(HEADER).iter().count()
        };
        assert_eq!(with(&[b"good-id"]), 1);
        assert_eq!(with(&["x".repeat(65).as_bytes()]), 0);
        assert_eq!(with(&["café".as_bytes()]), 0);
        assert_eq!(with(&[b"one", b"two"]), 0);
    }

    #[test]
    fn generated_ids_are_acceptable() {
        let id = RandomRequestId.make_request_id(&Request::new(())).expect("an id");
        assert!(is_acceptable(id.header_value().as_bytes()));
    }
}
