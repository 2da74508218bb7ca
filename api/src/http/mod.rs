//! The HTTP surface, built without binding anything: [`app`] is the router of every
//! route and layer, [`AppState`] what its handlers share, [`serve`] runs it on a bound
//! listener until shutdown.
//!
//! - [`graphql`]: `POST /graphql` and `GET /graphql`, with the transport rules of GraphQL
//!   over HTTP; [`graphiql`]: the page a browser gets at `GET /graphql`.
//! - [`ws`]: subscriptions over WebSocket at `/graphql/ws`.
//! - [`probes`]: `/healthz`, `/readyz` and `/metrics` (open, behind a token, or on a
//!   listener of its own, [`metrics_app`]).
//! - [`explorer`]: the network explorer page at `/`; [`unsubscribe`]: the one-click
//!   unsubscribe link e-mails carry.
//! - [`serving`]: the accept loop (header deadline, graceful drain); [`request_id`]: the
//!   `x-request-id` each request is known by.
//!
//! Everything here is HTTP's own; what every door enforces (admission, budgets, pool
//! shares) is [`crate::edge`]'s, shared with the WebSocket.

pub mod explorer;
pub mod graphiql;
pub mod graphql;
pub mod probes;
pub mod request_id;
pub mod serving;
pub mod unsubscribe;
pub mod ws;

use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{ConnectInfo, DefaultBodyLimit};
use axum::http::{HeaderName, HeaderValue, Method, StatusCode, header};
use axum::response::Response;
use axum::routing::get;
use sea_orm::DatabaseConnection;
use tokio::net::TcpListener;
use tower::util::MapRequestLayer;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::request_id::{PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;

use crate::edge::EdgeSettings;
use crate::error::ErrorCode;
use crate::events::EventBus;
use crate::graphql::{LknSchema, build_schema};
use crate::metrics::Metrics;
use request_id::RandomRequestId;
use serving::ConnectionSettings;

/// The header that carries each request's id, in both directions.
pub const REQUEST_ID_HEADER: &str = request_id::HEADER;
/// The header with which the bot names the Discord user it acts for.
pub const DISCORD_USER_HEADER: &str = "x-lkn-discord-user";

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    /// The database pool.
    pub db: DatabaseConnection,
    /// The GraphQL schema.
    pub schema: LknSchema,
    /// The counters behind `/metrics`.
    pub metrics: Arc<Metrics>,
    /// What the edge enforces.
    pub edge: Arc<EdgeSettings>,
    /// Committed writes, for subscribers.
    pub events: Arc<EventBus>,
    /// Turns true when the server starts shutting down, to close WebSockets cleanly.
    pub closing: Arc<tokio::sync::watch::Sender<bool>>,
    /// The open subscription sockets per client address.
    pub sockets: Arc<ws::SocketRegistry>,
    /// Each caller's share of the database pool.
    pub pool_shares: Arc<crate::edge::PoolShares>,
}

impl AppState {
    /// State over an open, migrated database with the default edge settings.
    pub fn new(db: DatabaseConnection) -> Self {
        Self::with_edge(db, EdgeSettings::default())
    }

    /// State with the given edge settings; from here on the database's statements are counted.
    pub fn with_edge(db: DatabaseConnection, edge: EdgeSettings) -> Self {
        Self::serving(db, edge, crate::mail::Links::local())
    }

    /// State with the given edge settings, whose e-mails link to `links`; from here on
    /// the database's statements are counted.
    pub fn serving(mut db: DatabaseConnection, edge: EdgeSettings, links: crate::mail::Links) -> Self {
        let metrics = Arc::new(Metrics::default());
        let events = Arc::new(EventBus::default());
        // The access watch's statements are the process's own housekeeping, not requests':
        // it gets a handle made before the counting starts.
        crate::service::access::watch_access(&db, &events);
        metrics.observe(&mut db);
        // The directory hears the listener's first start: it follows the bus before that.
        let partners = crate::service::partners::PartnerDirectory::following(&db, &events);
        events.listen(&db);
        let stats = crate::service::network::StatsCache::following(&events);
        let schema = build_schema(db.clone(), &edge, metrics.clone(), partners, stats, links);
        let closing = Arc::new(tokio::sync::watch::channel(false).0);
        let sockets = Arc::default();
        Self { db, schema, metrics, edge: Arc::new(edge), events, closing, sockets, pool_shares: Arc::default() }
    }
}

impl AppState {
    /// The pool share of the caller who spends `budgets` (the most specific of them).
    pub fn pool_share(&self, budgets: &[crate::rate_limit::Caller]) -> crate::graphql::limits::CallerShare {
        let caller = budgets.last().cloned().unwrap_or(crate::rate_limit::Caller::Address(IpAddr::from([0, 0, 0, 0])));
        self.pool_shares.of(&caller, self.edge.pool_share_per_caller)
    }
}

/// CORS for partners' browser frontends: only the configured origins; bearer tokens,
/// never cookies, so credentials are never allowed.
fn cors(origins: &[String]) -> CorsLayer {
    let base = CorsLayer::new()
        .allow_methods([Method::GET, Method::POST])
        .allow_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            header::ACCEPT,
            HeaderName::from_static(REQUEST_ID_HEADER),
        ])
        .expose_headers([HeaderName::from_static(REQUEST_ID_HEADER), header::RETRY_AFTER])
        .max_age(Duration::from_secs(600));
    if origins.iter().any(|o| o == "*") {
        return base.allow_origin(AllowOrigin::any());
    }
    let allowed: Vec<HeaderValue> = origins.iter().filter_map(|o| HeaderValue::from_str(o.trim()).ok()).collect();
    base.allow_origin(AllowOrigin::list(allowed))
}

/// A panic outside the GraphQL executor: INTERNAL, and the process lives on.
fn panic_response(_: Box<dyn std::any::Any + Send + 'static>) -> Response {
    tracing::error!("a request handler panicked");
    graphql::error_response(StatusCode::INTERNAL_SERVER_ERROR, ErrorCode::Internal, "internal error")
}

/// The application's routes and middleware, without binding anything. `/metrics` is
/// among them unless the edge settings put it on a listener of its own.
pub fn app(state: AppState) -> Router {
    let request_id = HeaderName::from_static(REQUEST_ID_HEADER);
    let cors = cors(&state.edge.cors_origins);
    let body_limit = DefaultBodyLimit::max(state.edge.max_body_bytes);
    let mut routes = Router::new()
        .route("/graphql", get(graphql::get).post(graphql::post).layer(body_limit))
        .route("/graphql/ws", get(ws::graphql_ws))
        .route("/unsubscribe", get(unsubscribe::confirm).post(unsubscribe::one_click))
        .route("/healthz", get(probes::healthz))
        .route("/readyz", get(probes::readyz));
    if !state.edge.separate_metrics_listener {
        routes = routes.route("/metrics", get(probes::metrics));
    }
    routes
        .merge(explorer::routes())
        .with_state(state)
        .layer(CatchPanicLayer::custom(panic_response))
        .layer(cors)
        .layer(TraceLayer::new_for_http().make_span_with(|request: &axum::http::Request<_>| {
            let path =
                request.extensions().get::<axum::extract::MatchedPath>().map_or(request.uri().path(), |p| p.as_str());
            let id = request.headers().get(REQUEST_ID_HEADER).and_then(|v| v.to_str().ok()).unwrap_or("-");
            tracing::info_span!("request", method = %request.method(), path, request_id = id)
        }))
        .layer(PropagateRequestIdLayer::new(request_id.clone()))
        .layer(SetRequestIdLayer::new(request_id, RandomRequestId))
        .layer(MapRequestLayer::new(request_id::drop_unacceptable::<axum::body::Body>))
}

/// Only `/metrics`, for a listener of its own (`--metrics-bind`).
pub fn metrics_app(state: AppState) -> Router {
    Router::new()
        .route("/metrics", get(probes::metrics))
        .with_state(state)
        .layer(CatchPanicLayer::custom(panic_response))
}

/// How the edge settings want connections served.
fn connection_settings(edge: &EdgeSettings) -> ConnectionSettings {
    ConnectionSettings { header_read_timeout: edge.header_read_timeout }
}

/// Serves `app(state)` on `listener` until `shutdown` completes, then lets in-flight
/// requests finish and closes the WebSockets.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let closing = state.closing.clone();
    let shutdown = async move {
        shutdown.await;
        closing.send_replace(true);
    };
    let settings = connection_settings(&state.edge);
    serving::serve(listener, app(state), settings, shutdown).await
}

/// Serves [`metrics_app`] on `listener` until `shutdown` completes.
pub async fn serve_metrics(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let settings = connection_settings(&state.edge);
    serving::serve(listener, metrics_app(state), settings, shutdown).await
}

/// The client's address, when the server was started with connection info.
pub struct Peer(pub Option<SocketAddr>);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for Peer {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut axum::http::request::Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Self(parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|info| info.0)))
    }
}
