//! GraphQL over HTTP at `/graphql`: the transport rules, and the handler that admits,
//! executes and answers one request.
//!
//! The handler is written by hand rather than using the stock service so that the
//! transport rules of GraphQL over HTTP live here: JSON bodies only (anything else is
//! 415 and runs nothing, which also stops cross-site form posts), one operation per
//! request, queries only over GET, a body limit and a body read deadline that really
//! apply, rate limits and a time limit before and around execution, and status codes and
//! content types that follow what the client accepts.

use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use async_graphql::http::parse_query_string;
use axum::body::Bytes;
use axum::extract::{FromRequest, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures_util::FutureExt;

use super::{AppState, Peer, REQUEST_ID_HEADER, graphiql};
use crate::edge::{Credentials, Refusal, admit};
use crate::error::ErrorCode;
use crate::graphql::{RequestContext, limits};
use crate::metrics::{RequestOutcome, counting_statements};
use crate::service::viewer::Viewer;

/// The media type of the GraphQL-over-HTTP spec.
const GRAPHQL_RESPONSE_JSON: &str = "application/graphql-response+json";

/// A GraphQL-shaped error response with one error and its code.
pub(super) fn error_response(status: StatusCode, code: ErrorCode, message: &str) -> Response {
    refusal(status, code, None, message)
}

/// Like [`error_response`], with the `extensions.reason` some refusals carry.
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

/// A 429 with `Retry-After`.
fn rate_limited(wait: Duration) -> Response {
    let seconds = wait.as_secs().max(1);
    let mut response = error_response(
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
                let origin = crate::graphql::Origin {
                    address,
                    token_fingerprint: credentials.bearer.as_deref().map(crate::service::secret::fingerprint),
                };
                execute_as(state, headers, viewer, origin, request.data(share)).await
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
            let timed_out = error_response(StatusCode::SERVICE_UNAVAILABLE, ErrorCode::Timeout, &message);
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
async fn execute_as(
    state: &AppState,
    headers: &HeaderMap,
    viewer: Viewer,
    origin: crate::graphql::Origin,
    request: async_graphql::Request,
) -> Outcome {
    let request_id = headers.get(REQUEST_ID_HEADER).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let context =
        RequestContext::new(state.db.clone(), viewer, request_id.clone(), state.events.clone()).from_origin(origin);
    let execution = std::panic::AssertUnwindSafe(state.schema.execute(request.data(context))).catch_unwind();
    let mut response = match execution.await {
        Ok(response) => response,
        Err(_) => {
            tracing::error!(request_id = request_id.as_deref().unwrap_or("-"), "a resolver panicked");
            let message = format!("internal error (request {})", request_id.as_deref().unwrap_or("-"));
            return Outcome {
                response: error_response(StatusCode::INTERNAL_SERVER_ERROR, ErrorCode::Internal, &message),
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

/// `POST /graphql`: one JSON request, read within the body limit and deadline.
pub(super) async fn post(State(state): State<AppState>, Peer(peer): Peer, request: axum::extract::Request) -> Response {
    let headers = request.headers().clone();
    let is_json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("application/json"));
    if !is_json {
        return error_response(
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
            let mut response = error_response(
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
        return error_response(StatusCode::BAD_REQUEST, ErrorCode::BadRequest, "batched requests are not supported");
    }
    let request: async_graphql::Request = match serde_json::from_slice(&body) {
        Ok(request) => request,
        Err(_) => {
            return error_response(
                StatusCode::BAD_REQUEST,
                ErrorCode::BadRequest,
                "the body is not a JSON GraphQL request ({\"query\": ..., \"variables\": ...})",
            );
        }
    };
    execute(&state, &headers, peer, request).await
}

/// `GET /graphql`: a query in the URL (never a mutation), or GraphiQL for a browser.
pub(super) async fn get(
    State(state): State<AppState>,
    Peer(peer): Peer,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let query = query.unwrap_or_default();
    let wants_html = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()).is_some_and(|v| v.contains("text/html"));
    if wants_html && query.is_empty() {
        return graphiql::page();
    }
    let Ok(request) = parse_query_string(&query) else {
        return error_response(
            StatusCode::BAD_REQUEST,
            ErrorCode::BadRequest,
            "pass `query` (and optionally `variables` and `operationName`) in the URL",
        );
    };
    if operation_of(&request).1 {
        let mut response =
            error_response(StatusCode::METHOD_NOT_ALLOWED, ErrorCode::BadRequest, "mutations must be sent with POST");
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
