//! The HTTP surface: `/graphql` (POST, GET, GraphiQL), `/healthz`, `/readyz`,
//! `/metrics` (open, behind a token, or on a listener of its own) and the explorer page.
//!
//! The GraphQL handler is written by hand rather than using the stock service so that
//! the transport rules of GraphQL over HTTP live here: JSON bodies only (anything else
//! is 415 and runs nothing, which also stops cross-site form posts), one operation per
//! request, queries only over GET, a body limit and a body read deadline that really
//! apply, rate limits and a time limit before and around execution, and status codes and
//! content types that follow what the client accepts.

use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_graphql::http::parse_query_string;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, DefaultBodyLimit, FromRequest, RawQuery, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use futures_util::FutureExt;
use sea_orm::{ConnectionTrait, DatabaseConnection};
use tokio::net::TcpListener;
use tower::util::MapRequestLayer;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::request_id::{PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;

use crate::edge::EdgeSettings;
use crate::edge::{Credentials, Refusal, admit};
use crate::error::ErrorCode;
use crate::events::EventBus;
use crate::graphql::{LknSchema, RequestContext, build_schema, limits};
use crate::metrics::{Metrics, RequestOutcome, counting_statements};
use crate::request_id::RandomRequestId;
use crate::service::viewer::Viewer;
use crate::serving::ConnectionSettings;

/// The header that carries each request's id, in both directions.
pub const REQUEST_ID_HEADER: &str = crate::request_id::HEADER;
/// The header with which the bot names the Discord user it acts for.
pub const DISCORD_USER_HEADER: &str = "x-lkn-discord-user";
/// The media type of the GraphQL-over-HTTP spec.
const GRAPHQL_RESPONSE_JSON: &str = "application/graphql-response+json";

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
    pub sockets: Arc<crate::ws::SocketRegistry>,
    /// Each caller's share of the database pool.
    pub pool_shares: Arc<crate::edge::PoolShares>,
}

impl AppState {
    /// State over an open, migrated database with the default edge settings.
    pub fn new(db: DatabaseConnection) -> Self {
        Self::with_edge(db, EdgeSettings::default())
    }

    /// State with the given edge settings; from here on the database's statements are counted.
    pub fn with_edge(mut db: DatabaseConnection, edge: EdgeSettings) -> Self {
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
        let schema = build_schema(db.clone(), &edge, metrics.clone(), partners, stats);
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
    graphql_error(StatusCode::INTERNAL_SERVER_ERROR, ErrorCode::Internal, "internal error")
}

/// The application's routes and middleware, without binding anything. `/metrics` is
/// among them unless the edge settings put it on a listener of its own.
pub fn app(state: AppState) -> Router {
    let request_id = HeaderName::from_static(REQUEST_ID_HEADER);
    let cors = cors(&state.edge.cors_origins);
    let body_limit = DefaultBodyLimit::max(state.edge.max_body_bytes);
    let mut routes = Router::new()
        .route("/graphql", get(graphql_get).post(graphql_post).layer(body_limit))
        .route("/graphql/ws", get(crate::ws::graphql_ws))
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(readyz));
    if !state.edge.separate_metrics_listener {
        routes = routes.route("/metrics", get(metrics));
    }
    routes
        .merge(crate::explorer::routes())
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
        .layer(MapRequestLayer::new(crate::request_id::drop_unacceptable::<axum::body::Body>))
}

/// Only `/metrics`, for a listener of its own (`--metrics-bind`).
pub fn metrics_app(state: AppState) -> Router {
    Router::new().route("/metrics", get(metrics)).with_state(state).layer(CatchPanicLayer::custom(panic_response))
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
    crate::serving::serve(listener, app(state), settings, shutdown).await
}

/// Serves [`metrics_app`] on `listener` until `shutdown` completes.
pub async fn serve_metrics(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let settings = connection_settings(&state.edge);
    crate::serving::serve(listener, metrics_app(state), settings, shutdown).await
}

/// 200 when the database answers within a second, 503 otherwise.
async fn readyz(State(state): State<AppState>) -> impl IntoResponse {
    let ping = state.db.execute_unprepared("SELECT 1");
    match tokio::time::timeout(Duration::from_secs(1), ping).await {
        Ok(Ok(_)) => (StatusCode::OK, "ready"),
        _ => (StatusCode::SERVICE_UNAVAILABLE, "database unavailable"),
    }
}

/// The metrics in Prometheus text format; 401 without the metrics token when one is set.
async fn metrics(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if let Some(token) = &state.edge.metrics_token
        && !token.admits(Credentials::from_headers(&headers).bearer.as_deref())
    {
        return (StatusCode::UNAUTHORIZED, [(header::WWW_AUTHENTICATE, "Bearer")], "the metrics need a bearer token\n")
            .into_response();
    }
    let pool = pool_usage(&state.db);
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")], state.metrics.render(pool)).into_response()
}

/// The pool's (size, idle connections).
fn pool_usage(db: &DatabaseConnection) -> Option<(u32, usize)> {
    match db.get_database_backend() {
        sea_orm::DbBackend::Postgres => {
            let pool = db.get_postgres_connection_pool();
            Some((pool.size(), pool.num_idle()))
        }
        sea_orm::DbBackend::Sqlite => {
            let pool = db.get_sqlite_connection_pool();
            Some((pool.size(), pool.num_idle()))
        }
        _ => None,
    }
}

/// A GraphQL-shaped error response with one error and its code.
fn graphql_error(status: StatusCode, code: ErrorCode, message: &str) -> Response {
    refusal(status, code, None, message)
}

/// Like [`graphql_error`], with the `extensions.reason` some refusals carry.
fn refusal(status: StatusCode, code: ErrorCode, reason: Option<&str>, message: &str) -> Response {
    let mut extensions = serde_json::json!({ "code": code.as_str() });
    if let Some(reason) = reason {
        extensions["reason"] = serde_json::Value::from(reason);
    }
    let body = serde_json::json!({ "errors": [{ "message": message, "extensions": extensions }] });
    (status, [(header::CONTENT_TYPE, "application/json")], body.to_string()).into_response()
}

/// Whether the client accepts the GraphQL-over-HTTP media type (or anything).
fn accepts_graphql_response(headers: &HeaderMap) -> bool {
    match headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()) {
        None => true,
        Some(accept) => accept.contains(GRAPHQL_RESPONSE_JSON) || accept.contains("*/*"),
    }
}

/// The client's address, when the server was started with connection info.
pub struct Peer(pub Option<SocketAddr>);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for Peer {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut axum::http::request::Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Self(parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|info| info.0)))
    }
}

/// A 429 with `Retry-After`.
fn rate_limited(wait: Duration) -> Response {
    let seconds = wait.as_secs().max(1);
    let mut response = graphql_error(
        StatusCode::TOO_MANY_REQUESTS,
        ErrorCode::RateLimited,
        &format!("too many requests; retry in {seconds} s"),
    );
    if let Ok(value) = HeaderValue::from_str(&seconds.to_string()) {
        response.headers_mut().insert(header::RETRY_AFTER, value);
    }
    response
}

/// Admits (address, then token budgets), authenticates and executes one GraphQL request
/// within the time limit, counting its SQL statements and recording its outcome.
async fn execute(
    state: &AppState,
    headers: &HeaderMap,
    peer: Option<SocketAddr>,
    request: async_graphql::Request,
) -> Response {
    let started = Instant::now();
    let (operation, is_write) = operation_of(&request);
    let address = peer.map_or(IpAddr::from([0, 0, 0, 0]), |p| p.ip());
    let credentials = Credentials::from_headers(headers);
    let work = counting_statements(async {
        match admit(&state.db, &state.edge.rate_limiter, &credentials, address, is_write).await {
            Ok((viewer, budgets)) => {
                let share = state.pool_share(&budgets);
                execute_as(state, headers, viewer, request.data(share)).await
            }
            Err(Refusal::RateLimited(wait)) => {
                Outcome { response: rate_limited(wait), codes: vec![ErrorCode::RateLimited.as_str()] }
            }
            Err(Refusal::Denied(error)) => {
                let code = error.code();
                let status = StatusCode::from_u16(code.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
                let reason = error.reason();
                let message = error.into_graphql().message;
                Outcome { response: refusal(status, code, reason, &message), codes: vec![code.as_str()] }
            }
        }
    });
    let (response, statements) = match tokio::time::timeout(state.edge.request_timeout, work).await {
        Ok(done) => done,
        Err(_) => {
            tracing::warn!(timeout = ?state.edge.request_timeout, "request timed out");
            let message = format!("the request took longer than {} s", state.edge.request_timeout.as_secs_f64());
            let timed_out = graphql_error(StatusCode::SERVICE_UNAVAILABLE, ErrorCode::Timeout, &message);
            (Outcome { response: timed_out, codes: vec![ErrorCode::Timeout.as_str()] }, 0)
        }
    };
    let codes: Vec<&str> = response.codes.to_vec();
    state.metrics.record(&RequestOutcome {
        operation: operation.as_deref(),
        error_codes: codes,
        elapsed: started.elapsed(),
    });
    tracing::debug!(
        operation = operation.as_deref().unwrap_or(""),
        statements,
        status = response.response.status().as_u16(),
        "graphql request"
    );
    response.response
}

/// A response with the error codes it carries, for the metrics.
struct Outcome {
    response: Response,
    codes: Vec<&'static str>,
}

fn code_of(code: &str) -> &'static str {
    ErrorCode::from_wire(code).unwrap_or(ErrorCode::Internal).as_str()
}

/// Executes an admitted request as `viewer`.
async fn execute_as(state: &AppState, headers: &HeaderMap, viewer: Viewer, request: async_graphql::Request) -> Outcome {
    let request_id = headers.get(REQUEST_ID_HEADER).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let context = RequestContext::new(state.db.clone(), viewer, request_id.clone(), state.events.clone());
    let execution = std::panic::AssertUnwindSafe(state.schema.execute(request.data(context))).catch_unwind();
    let mut response = match execution.await {
        Ok(response) => response,
        Err(_) => {
            tracing::error!(request_id = request_id.as_deref().unwrap_or("-"), "a resolver panicked");
            let message = format!("internal error (request {})", request_id.as_deref().unwrap_or("-"));
            return Outcome {
                response: graphql_error(StatusCode::INTERNAL_SERVER_ERROR, ErrorCode::Internal, &message),
                codes: vec![ErrorCode::Internal.as_str()],
            };
        }
    };
    limits::code_uncoded_errors(&mut response);
    let codes: Vec<&'static str> = response
        .errors
        .iter()
        .map(|e| {
            e.extensions.as_ref().and_then(|x| x.get("code")).map_or("INTERNAL", |v| match v {
                async_graphql::Value::String(code) => code_of(code),
                _ => ErrorCode::Internal.as_str(),
            })
        })
        .collect();
    for error in &response.errors {
        tracing::info!(message = %error.message, code = ?error.extensions.as_ref().and_then(|x| x.get("code")), "graphql error");
    }
    // GraphQL-over-HTTP: a request that failed before execution (no data) is a 4xx for
    // clients that accept the spec's media type; plain JSON clients get 200.
    let spec_client = accepts_graphql_response(headers);
    let content_type = if spec_client { GRAPHQL_RESPONSE_JSON } else { "application/json" };
    let status = if spec_client && response.data == async_graphql::Value::Null && !response.errors.is_empty() {
        if codes.contains(&ErrorCode::QueryTooComplex.as_str()) || codes.contains(&ErrorCode::BadRequest.as_str()) {
            StatusCode::BAD_REQUEST
        } else {
            StatusCode::OK
        }
    } else {
        StatusCode::OK
    };
    let body = serde_json::to_string(&response).unwrap_or_else(|_| "{}".to_owned());
    Outcome { response: (status, [(header::CONTENT_TYPE, content_type)], body).into_response(), codes }
}

async fn graphql_post(State(state): State<AppState>, Peer(peer): Peer, request: axum::extract::Request) -> Response {
    let headers = request.headers().clone();
    let is_json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("application/json"));
    if !is_json {
        return graphql_error(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ErrorCode::BadRequest,
            "send GraphQL requests as application/json",
        );
    }
    // The body limit applies inside the extractor (413); the deadline around it cuts a
    // body that trickles in, and the connection with it.
    let body = match tokio::time::timeout(state.edge.body_read_timeout, Bytes::from_request(request, &state)).await {
        Ok(Ok(body)) => body,
        Ok(Err(rejection)) => return rejection.into_response(),
        Err(_) => {
            tracing::info!(timeout = ?state.edge.body_read_timeout, "request body too slow");
            let mut response = graphql_error(
                StatusCode::REQUEST_TIMEOUT,
                ErrorCode::Timeout,
                &format!(
                    "the request body took longer than {} s to arrive",
                    state.edge.body_read_timeout.as_secs_f64()
                ),
            );
            response.headers_mut().insert(header::CONNECTION, HeaderValue::from_static("close"));
            return response;
        }
    };
    if body.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'[') {
        return graphql_error(StatusCode::BAD_REQUEST, ErrorCode::BadRequest, "batched requests are not supported");
    }
    let request: async_graphql::Request = match serde_json::from_slice(&body) {
        Ok(request) => request,
        Err(_) => {
            return graphql_error(
                StatusCode::BAD_REQUEST,
                ErrorCode::BadRequest,
                "the body is not a JSON GraphQL request ({\"query\": ..., \"variables\": ...})",
            );
        }
    };
    execute(&state, &headers, peer, request).await
}

async fn graphql_get(
    State(state): State<AppState>,
    Peer(peer): Peer,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let query = query.unwrap_or_default();
    let wants_html = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()).is_some_and(|v| v.contains("text/html"));
    if wants_html && query.is_empty() {
        return Html(GRAPHIQL).into_response();
    }
    let Ok(request) = parse_query_string(&query) else {
        return graphql_error(
            StatusCode::BAD_REQUEST,
            ErrorCode::BadRequest,
            "pass `query` (and optionally `variables` and `operationName`) in the URL",
        );
    };
    if operation_of(&request).1 {
        let mut response =
            graphql_error(StatusCode::METHOD_NOT_ALLOWED, ErrorCode::BadRequest, "mutations must be sent with POST");
        response.headers_mut().insert(header::ALLOW, HeaderValue::from_static("POST"));
        return response;
    }
    execute(&state, &headers, peer, request).await
}

/// The operation a request would run: its name (given, or from the document) and
/// whether it writes. Unparseable documents count as unnamed reads; execution rejects them.
fn operation_of(request: &async_graphql::Request) -> (Option<String>, bool) {
    match crate::graphql::operation::selected(&request.query, request.operation_name.as_deref()) {
        Some(selected) => (selected.name.clone(), selected.may_write()),
        None => (request.operation_name.clone(), false),
    }
}

/// GraphiQL, which loads its scripts from a CDN.
const GRAPHIQL: &str = r#"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>LKN GraphiQL</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="https://unpkg.com/graphiql@3/graphiql.min.css">
<style>body{margin:0;height:100vh}#graphiql{height:100vh}</style>
</head>
<body>
<div id="graphiql">Loading GraphiQL from unpkg.com&hellip; (it needs internet access)</div>
<script crossorigin src="https://unpkg.com/react@18/umd/react.production.min.js"></script>
<script crossorigin src="https://unpkg.com/react-dom@18/umd/react-dom.production.min.js"></script>
<script crossorigin src="https://unpkg.com/graphiql@3/graphiql.min.js"></script>
<script>
  const fetcher = GraphiQL.createFetcher({ url: '/graphql', subscriptionUrl: (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/graphql/ws' });
  ReactDOM.createRoot(document.getElementById('graphiql')).render(React.createElement(GraphiQL, { fetcher, defaultEditorToolsVisibility: true }));
</script>
</body>
</html>"#;
