//! What the HTTP edge enforces before a request reaches the schema, as one set of
//! settings: body size, query limits, time, CORS and rate limits.

use std::sync::Arc;
use std::time::Duration;

use crate::graphql::limits::DocumentLimits;
use crate::rate_limit::RateLimiter;

/// The edge's settings, from `serve`'s flags (see `config::ServeArgs`).
#[derive(Debug, Clone)]
pub struct EdgeSettings {
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
}

impl Default for EdgeSettings {
    /// The defaults of `lkn-api serve`.
    fn default() -> Self {
        crate::config::ServeArgs::default().edge()
    }
}
