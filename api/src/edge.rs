//! What the HTTP edge enforces before a request reaches the schema, as one set of
//! settings: how long a client may take to send its request, body size, query limits,
//! time, CORS, rate limits and who may read `/metrics`.

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use sha2::{Digest, Sha256};

use crate::graphql::limits::DocumentLimits;
use crate::rate_limit::RateLimiter;

/// The edge's settings, from `serve`'s flags (see `config::ServeArgs`).
#[derive(Debug, Clone)]
pub struct EdgeSettings {
    /// Longest a client may take to send a request's headers (and longest a kept-alive
    /// connection may sit idle), so that slow or stalled clients cannot hold
    /// connections open.
    pub header_read_timeout: Duration,
    /// Longest a client may take to send the body of `POST /graphql`, once its headers
    /// are in: a body that trickles in is cut off with 408.
    pub body_read_timeout: Duration,
    /// Largest request body, in bytes.
    pub max_body_bytes: usize,
    /// Deepest selection nesting.
    pub max_depth: usize,
    /// Largest query complexity; connection fields cost `first` × their selection.
    pub max_complexity: usize,
    /// Fields and directives per document.
    pub document: DocumentLimits,
    /// Longest a request may run.
    pub request_timeout: Duration,
    /// Origins allowed to call from browsers; `*` allows any (without credentials).
    pub cors_origins: Vec<String>,
    /// Per-caller request and write budgets.
    pub rate_limiter: Arc<RateLimiter>,
    /// When set, `/metrics` answers only requests bearing this token (401 otherwise):
    /// the metrics show traffic and operation names an operator may not want public.
    pub metrics_token: Option<MetricsToken>,
    /// When true, `/metrics` is left off the main listener because it is served on a
    /// listener of its own (`--metrics-bind`), typically on an address only the
    /// monitoring network reaches.
    pub separate_metrics_listener: bool,
}

impl Default for EdgeSettings {
    /// The defaults of `lkn-api serve`.
    fn default() -> Self {
        crate::config::ServeArgs::default().edge()
    }
}

/// The bearer token that `/metrics` requires when one is configured. It never appears
/// in `Debug` output, so settings can be logged.
#[derive(Clone, PartialEq, Eq)]
pub struct MetricsToken(String);

impl MetricsToken {
    /// Whether `presented` (the request's bearer token, if any) is this token. The
    /// comparison is between SHA-256 digests, so its timing reveals nothing useful
    /// about the token.
    pub fn admits(&self, presented: Option<&str>) -> bool {
        presented.is_some_and(|presented| Sha256::digest(presented.as_bytes()) == Sha256::digest(self.0.as_bytes()))
    }
}

impl FromStr for MetricsToken {
    type Err = String;

    /// A token is any non-blank text; surrounding spaces are dropped, since they
    /// cannot be sent in an `Authorization` header anyway.
    fn from_str(value: &str) -> Result<Self, Self::Err> {
        let value = value.trim();
        if value.is_empty() {
            return Err("the metrics token must not be blank".into());
        }
        Ok(Self(value.to_owned()))
    }
}

impl std::fmt::Debug for MetricsToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MetricsToken(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::MetricsToken;

    #[test]
    fn a_metrics_token_admits_only_itself_and_is_never_printed() {
        let token: MetricsToken = " s3cret ".parse().expect("a token");
        assert!(token.admits(Some("s3cret")));
        assert!(!token.admits(Some("s3cre")));
        assert!(!token.admits(None));
        assert!(!format!("{token:?}").contains("s3cret"));
        assert!("  ".parse::<MetricsToken>().is_err());
    }
}
