//! The machine-readable codes of errors outside `userErrors` (API-CONTRACT.md), in one
//! table: each code's name on the wire, the HTTP status it answers with when it ends a
//! request, and whether a client may simply retry. The API maps its errors through it,
//! and the bot (or any Rust client) recognises what it receives through it, so a code
//! added here is known to both at once — in the manner of meilisearch's error table.
//! This crate depends on chrono alone, so clients need not build the API to use it.
//!
//! It also holds the other things both sides must spell alike: the [`mirror`] keys, and
//! UK time and written dates ([`calendar`]).

pub mod calendar;
pub mod mirror;

/// Declares [`ErrorCode`] and its table from one line per code.
macro_rules! error_codes {
    ($($(#[doc = $doc:literal])* $code:ident = $wire:literal, $status:literal, $retryable:literal;)+) => {
        /// A code in `extensions.code`.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum ErrorCode {
            $($(#[doc = $doc])* $code,)+
        }

        impl ErrorCode {
            /// Every code, in the table's order.
            pub const ALL: &'static [Self] = &[$(Self::$code,)+];

            /// The code as it appears in `extensions.code`.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(Self::$code => $wire,)+
                }
            }

            /// The HTTP status of a response that this error ends.
            pub const fn http_status(self) -> u16 {
                match self {
                    $(Self::$code => $status,)+
                }
            }

            /// Whether the same request may succeed if sent again later, unchanged.
            pub const fn is_retryable(self) -> bool {
                match self {
                    $(Self::$code => $retryable,)+
                }
            }
        }
    };
}

error_codes! {
    /// No valid credentials, a suspended member, or a Discord user who has not linked an account.
    Unauthenticated = "UNAUTHENTICATED", 401, false;
    /// Signed in, but the role does not allow this.
    Forbidden = "FORBIDDEN", 403, false;
    /// The object does not exist, or the caller may not see it.
    NotFound = "NOT_FOUND", 404, false;
    /// The request itself is malformed (a bad cursor, an out-of-range argument).
    BadRequest = "BAD_REQUEST", 400, false;
    /// Too many requests; retry after the `Retry-After` seconds.
    RateLimited = "RATE_LIMITED", 429, true;
    /// The query is too deep, too wide or too expensive.
    QueryTooComplex = "QUERY_TOO_COMPLEX", 400, false;
    /// The database did not answer in time; the request may be retried.
    DatabaseUnavailable = "DATABASE_UNAVAILABLE", 503, true;
    /// The request ran past the server's time limit (or its body arrived too slowly) and
    /// was abandoned; a retry may succeed, a cheaper query more surely.
    Timeout = "TIMEOUT", 503, true;
    /// Something went wrong that the caller cannot fix.
    Internal = "INTERNAL", 500, false;
}

impl ErrorCode {
    /// The code whose wire name is `wire`, for codes read back from a response.
    pub fn from_wire(wire: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|code| code.as_str() == wire)
    }
}

/// The `extensions.reason` of a refusal because the member is suspended (with
/// [`ErrorCode::Unauthenticated`]): clients say so rather than ask them to sign in again.
pub const SUSPENDED: &str = "SUSPENDED";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_reads_back_from_its_wire_name() {
        for code in ErrorCode::ALL {
            assert_eq!(ErrorCode::from_wire(code.as_str()), Some(*code));
        }
        assert_eq!(ErrorCode::from_wire("GRAPHQL_PARSE_FAILED"), None);
    }

    #[test]
    fn wire_names_are_distinct_and_shouting_snake_case() {
        let mut names: Vec<&str> = ErrorCode::ALL.iter().map(|c| c.as_str()).collect();
        assert!(names.iter().all(|n| n.bytes().all(|b| b.is_ascii_uppercase() || b == b'_')));
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), ErrorCode::ALL.len());
    }

    #[test]
    fn only_passing_troubles_are_retryable() {
        let retryable: Vec<ErrorCode> = ErrorCode::ALL.iter().copied().filter(|c| c.is_retryable()).collect();
        assert_eq!(retryable, [ErrorCode::RateLimited, ErrorCode::DatabaseUnavailable, ErrorCode::Timeout]);
        assert_eq!(ErrorCode::Unauthenticated.http_status(), 401);
        assert_eq!(ErrorCode::RateLimited.http_status(), 429);
    }
}
