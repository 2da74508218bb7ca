//! What the edge enforces before a request reaches the schema, as one set of settings
//! (how long a client may take to send its request, body size, query limits, time,
//! CORS, rate limits, sockets, who may read `/metrics`), and the one way callers are
//! admitted — by address, then by token — that HTTP and the WebSocket share.

use std::net::IpAddr;
use std::str::FromStr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use lkn_entity::vocabulary::MemberRole;

use crate::error::ServiceError;
use crate::graphql::limits::DocumentLimits;
use crate::rate_limit::{Caller, RateLimiter};
use crate::service::identity;
use crate::service::viewer::Viewer;
use sha2::{Digest, Sha256};

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
    /// What one client may hold open on `/graphql/ws`.
    pub sockets: SocketLimits,
    /// Most root fields one caller resolves at once, across their requests.
    pub pool_share_per_caller: usize,
    /// When set, `/metrics` answers only requests bearing this token (401 otherwise):
    /// the metrics show traffic and operation names an operator may not want public.
    pub metrics_token: Option<MetricsToken>,
    /// When true, `/metrics` is left off the main listener because it is served on a
    /// listener of its own (`--metrics-bind`), typically on an address only the
    /// monitoring network reaches.
    pub separate_metrics_listener: bool,
}

/// The pool share of every caller with a request in flight, made when their first
/// request arrives and forgotten when their last one ends.
#[derive(Debug, Default)]
pub struct PoolShares {
    shares: std::sync::Mutex<(std::collections::HashMap<Caller, std::sync::Weak<tokio::sync::Semaphore>>, usize)>,
}

impl PoolShares {
    /// `caller`'s share, `size` root fields at once.
    pub fn of(&self, caller: &Caller, size: usize) -> crate::graphql::limits::CallerShare {
        let fresh = || Arc::new(tokio::sync::Semaphore::new(size.max(1)));
        let Ok(mut guard) = self.shares.lock() else {
            return crate::graphql::limits::CallerShare(fresh());
        };
        let (shares, sweep_at) = &mut *guard;
        if let Some(share) = shares.get(caller).and_then(std::sync::Weak::upgrade) {
            return crate::graphql::limits::CallerShare(share);
        }
        // Forget callers with nothing in flight, once the map has doubled since the last sweep.
        if shares.len() >= (*sweep_at).max(1024) {
            shares.retain(|_, share| share.strong_count() > 0);
            *sweep_at = shares.len() * 2;
        }
        let share = fresh();
        shares.insert(caller.clone(), Arc::downgrade(&share));
        crate::graphql::limits::CallerShare(share)
    }
}

/// Limits on subscription sockets.
#[derive(Debug, Clone, Copy)]
pub struct SocketLimits {
    /// Open sockets per client address.
    pub per_client: usize,
    /// Live subscriptions per socket.
    pub subscriptions_per_socket: usize,
    /// How long a socket may stay silent before `connection_init`.
    pub init_timeout: Duration,
}

impl Default for EdgeSettings {
    /// The defaults of `lkn-api serve`.
    fn default() -> Self {
        crate::config::ServeArgs::default().edge()
    }
}

/// What a caller presents: a bearer token and, from the bot, the Discord user it acts
/// for. Read the same way from HTTP headers and from a socket's `connection_init`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Credentials {
    /// The bearer token, without its scheme.
    pub bearer: Option<String>,
    /// The Discord user the bot acts for.
    pub discord_user: Option<String>,
}

impl Credentials {
    /// From `Authorization` and `X-Lkn-Discord-User` headers.
    pub fn from_headers(headers: &axum::http::HeaderMap) -> Self {
        let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
        Self::from_values(header(axum::http::header::AUTHORIZATION.as_str()), header(crate::http::DISCORD_USER_HEADER))
    }

    /// From a `connection_init` payload (`{"Authorization": "Bearer …"}`), keys in any case.
    pub fn from_init_payload(payload: &serde_json::Value) -> Self {
        let value = |key: &str| {
            payload.as_object()?.iter().find(|(k, _)| k.eq_ignore_ascii_case(key)).and_then(|(_, v)| v.as_str())
        };
        Self::from_values(value("authorization"), value(crate::http::DISCORD_USER_HEADER))
    }

    fn from_values(authorization: Option<&str>, discord_user: Option<&str>) -> Self {
        let bearer = authorization
            .map(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")).unwrap_or(v).trim())
            .filter(|v| !v.is_empty())
            .map(str::to_owned);
        let discord_user = discord_user.map(str::trim).filter(|v| !v.is_empty()).map(str::to_owned);
        Self { bearer, discord_user }
    }
}

/// Why the edge turned a caller away.
#[derive(Debug)]
pub enum Refusal {
    /// Over a budget; try again after this long.
    RateLimited(Duration),
    /// The credentials were refused (or could not be checked).
    Denied(ServiceError),
}

/// The budgets a signed-in caller spends: the member's own, or the bot's and that of the
/// Discord user it acts for.
pub fn budgets_of(holder: &lkn_entity::member::Model, discord_user: Option<&str>) -> Vec<Caller> {
    match (holder.role, discord_user) {
        (MemberRole::Bot, Some(user)) => vec![Caller::Bot(holder.id), Caller::DiscordUser(user.to_owned())],
        (MemberRole::Bot, None) => vec![Caller::Bot(holder.id)],
        _ => vec![Caller::Member(holder.id)],
    }
}

/// Spends one request (and one write) from each budget, stopping at the first refusal.
pub fn spend(limiter: &RateLimiter, budgets: &[Caller], is_write: bool, now: Instant) -> Result<(), Refusal> {
    for budget in budgets {
        limiter.check(budget, is_write, now).map_err(Refusal::RateLimited)?;
    }
    Ok(())
}

/// Admits one request (or one socket) from `address` presenting `credentials`, in the
/// order the budgets allow: the address first — anonymous callers spend its budget, and
/// an address that sent too many invalid tokens is refused before another token is
/// looked up — then the token's own budgets. Returns the viewer and the budgets a socket
/// keeps spending for each subscription.
pub async fn admit(
    db: &impl sea_orm::ConnectionTrait,
    limiter: &RateLimiter,
    credentials: &Credentials,
    address: IpAddr,
    is_write: bool,
) -> Result<(Viewer, Vec<Caller>), Refusal> {
    let now = Instant::now();
    let Some(token) = credentials.bearer.as_deref() else {
        let budgets = vec![Caller::Address(address)];
        spend(limiter, &budgets, is_write, now)?;
        let viewer = identity::authenticate(db, None, credentials.discord_user.as_deref(), chrono::Utc::now())
            .await
            .map_err(Refusal::Denied)?;
        return Ok((viewer, budgets));
    };
    let failed = Caller::FailedSignIn(address);
    let fingerprint = crate::service::secret::fingerprint(token);
    if !limiter.was_valid(&fingerprint) {
        limiter.peek(&failed, now).map_err(Refusal::RateLimited)?;
    }
    let holder = match identity::token_holder(db, token, chrono::Utc::now()).await {
        Ok(holder) => {
            limiter.remember_valid(&fingerprint);
            holder
        }
        Err(error) => {
            if error.refuses_credentials() {
                // Counted, not refused: this answer says the token is not valid.
                let _ = limiter.check(&failed, false, now);
            }
            return Err(Refusal::Denied(error));
        }
    };
    let budgets = budgets_of(&holder, credentials.discord_user.as_deref());
    spend(limiter, &budgets, is_write, now)?;
    let viewer =
        identity::acting_viewer(db, holder, credentials.discord_user.as_deref()).await.map_err(Refusal::Denied)?;
    Ok((viewer, budgets))
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
    use super::*;

    #[test]
    fn credentials_read_the_bearer_token_whatever_the_scheme_case() {
        let mut headers = axum::http::HeaderMap::new();
        headers.insert("authorization", "bearer lkn_abc ".parse().expect("header"));
        headers.insert("x-lkn-discord-user", " 123 ".parse().expect("header"));
        let credentials = Credentials::from_headers(&headers);
        assert_eq!(credentials.bearer.as_deref(), Some("lkn_abc"));
        assert_eq!(credentials.discord_user.as_deref(), Some("123"));
    }

    #[test]
    fn a_socket_signs_in_with_the_same_names_in_any_case() {
        let payload = serde_json::json!({ "AUTHORIZATION": "Bearer lkn_abc", "X-Lkn-Discord-User": "42" });
        let from_socket = Credentials::from_init_payload(&payload);
        let mut headers = axum::http::HeaderMap::new();
        headers.insert("authorization", "Bearer lkn_abc".parse().expect("header"));
        headers.insert("x-lkn-discord-user", "42".parse().expect("header"));
        assert_eq!(from_socket, Credentials::from_headers(&headers));
    }

    #[test]
    fn an_empty_authorization_is_no_token() {
        let credentials = Credentials::from_init_payload(&serde_json::json!({ "Authorization": "Bearer " }));
        assert_eq!(credentials.bearer, None);
        assert_eq!(Credentials::from_init_payload(&serde_json::json!(null)), Credentials::default());
    }

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
