//! The HTTP surface: `/graphql` (POST, GET, GraphiQL), `/healthz` and `/readyz`.
//!
//! The GraphQL handler is written by hand rather than using the stock service so that
//! the transport rules live here: JSON bodies only, one operation per request, queries
//! only over GET, authentication before execution.

use std::future::Future;
use std::time::Duration;

use async_graphql::http::parse_query_string;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use sea_orm::{ConnectionTrait, DatabaseConnection};
use tokio::net::TcpListener;
use tower_http::request_id::{MakeRequestId, PropagateRequestIdLayer, RequestId, SetRequestIdLayer};
use tower_http::trace::TraceLayer;

use std::sync::Arc;

use crate::error::ErrorCode;
use crate::graphql::{LknSchema, RequestContext, build_schema};
use crate::metrics::{Metrics, counting_statements};
use crate::service::identity;

/// The header that carries each request's id, in both directions.
pub const REQUEST_ID_HEADER: &str = "x-request-id";
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
}

impl AppState {
    /// State over an open, migrated database; from here on its statements are counted.
    pub fn new(mut db: DatabaseConnection) -> Self {
        let metrics = Arc::new(Metrics::default());
        metrics.observe(&mut db);
        let schema = build_schema(db.clone());
        Self { db, schema, metrics }
    }
}

/// Request ids: 16 random hex digits, unless the caller sent one.
#[derive(Clone, Copy, Default)]
struct RandomRequestId;

impl MakeRequestId for RandomRequestId {
    fn make_request_id<B>(&mut self, _: &axum::http::Request<B>) -> Option<RequestId> {
        let id = format!("{:016x}", rand::random::<u64>());
        HeaderValue::from_str(&id).ok().map(RequestId::new)
    }
}

/// The application's routes and middleware, without binding anything.
pub fn app(state: AppState) -> Router {
    let request_id = axum::http::HeaderName::from_static(REQUEST_ID_HEADER);
    Router::new()
        .route("/graphql", get(graphql_get).post(graphql_post))
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .merge(crate::explorer::routes())
        .with_state(state)
        .layer(TraceLayer::new_for_http().make_span_with(|request: &axum::http::Request<_>| {
            let path =
                request.extensions().get::<axum::extract::MatchedPath>().map_or(request.uri().path(), |p| p.as_str());
            let id = request.headers().get(REQUEST_ID_HEADER).and_then(|v| v.to_str().ok()).unwrap_or("-");
            tracing::info_span!("request", method = %request.method(), path, request_id = id)
        }))
        .layer(PropagateRequestIdLayer::new(request_id.clone()))
        .layer(SetRequestIdLayer::new(request_id, RandomRequestId))
}

/// Serves `app(state)` on `listener` until `shutdown` completes, then lets in-flight
/// requests finish.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, app(state)).with_graceful_shutdown(shutdown).await
}

/// 200 when the database answers within a second, 503 otherwise.
async fn readyz(State(state): State<AppState>) -> impl IntoResponse {
    let ping = state.db.execute_unprepared("SELECT 1");
    match tokio::time::timeout(Duration::from_secs(1), ping).await {
        Ok(Ok(_)) => (StatusCode::OK, "ready"),
        _ => (StatusCode::SERVICE_UNAVAILABLE, "database unavailable"),
    }
}

/// The counters in Prometheus text format.
async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")], state.metrics.render())
}

/// A GraphQL-shaped error response with one error and its code.
fn graphql_error(status: StatusCode, code: ErrorCode, message: &str) -> Response {
    let body = serde_json::json!({
        "errors": [{ "message": message, "extensions": { "code": code.as_str() } }]
    });
    (status, [(header::CONTENT_TYPE, "application/json")], body.to_string()).into_response()
}

/// Authenticates and executes one GraphQL request, counting its SQL statements.
async fn execute(state: &AppState, headers: &HeaderMap, request: async_graphql::Request) -> Response {
    let operation = request.operation_name.clone().unwrap_or_default();
    let (response, statements) = counting_statements(authenticate_and_execute(state, headers, request)).await;
    tracing::debug!(operation, statements, status = response.status().as_u16(), "graphql request");
    response
}

async fn authenticate_and_execute(state: &AppState, headers: &HeaderMap, request: async_graphql::Request) -> Response {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let bearer = header(header::AUTHORIZATION.as_str())
        .map(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")).unwrap_or(v).trim());
    let discord_user = header(DISCORD_USER_HEADER).map(str::trim);
    let viewer = match identity::authenticate(&state.db, bearer, discord_user, chrono::Utc::now()).await {
        Ok(viewer) => viewer,
        Err(error) => {
            let code = error.code();
            let status = match code {
                ErrorCode::Unauthenticated => StatusCode::UNAUTHORIZED,
                ErrorCode::Forbidden => StatusCode::FORBIDDEN,
                ErrorCode::DatabaseUnavailable => StatusCode::SERVICE_UNAVAILABLE,
                _ => StatusCode::INTERNAL_SERVER_ERROR,
            };
            let message = error.into_graphql().message;
            return graphql_error(status, code, &message);
        }
    };
    let request_id = header(REQUEST_ID_HEADER).map(str::to_owned);
    let context = RequestContext::new(state.db.clone(), viewer, request_id);
    let response = state.schema.execute(request.data(context)).await;
    state.metrics.graphql_request(response.is_err());
    let body = serde_json::to_string(&response).unwrap_or_else(|_| "{}".to_owned());
    (StatusCode::OK, [(header::CONTENT_TYPE, "application/json")], body).into_response()
}

async fn graphql_post(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
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
    execute(&state, &headers, request).await
}

async fn graphql_get(State(state): State<AppState>, headers: HeaderMap, RawQuery(query): RawQuery) -> Response {
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
    if is_mutation(&request) {
        let mut response =
            graphql_error(StatusCode::METHOD_NOT_ALLOWED, ErrorCode::BadRequest, "mutations must be sent with POST");
        response.headers_mut().insert(header::ALLOW, HeaderValue::from_static("POST"));
        return response;
    }
    execute(&state, &headers, request).await
}

/// Whether the operation the request would run is a mutation.
fn is_mutation(request: &async_graphql::Request) -> bool {
    use async_graphql::parser::types::OperationType;
    let Ok(document) = async_graphql::parser::parse_query(&request.query) else {
        return false;
    };
    document.operations.iter().any(|(name, operation)| {
        let selected = match (&request.operation_name, name) {
            (Some(wanted), Some(name)) => wanted.as_str() == name.as_str(),
            (Some(_), None) => false,
            (None, _) => true,
        };
        selected && operation.node.ty != OperationType::Query
    })
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
