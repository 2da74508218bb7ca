//! The probes operators and monitoring read: `/healthz` (the process is up), `/readyz`
//! (the database answers) and `/metrics` (Prometheus text, behind a token when one is set).

use std::time::Duration;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use sea_orm::{ConnectionTrait, DatabaseConnection};

use super::AppState;
use crate::edge::Credentials;

/// 200 while the process is up.
pub async fn healthz() -> &'static str {
    "ok"
}

/// 200 when the database answers within a second, 503 otherwise.
pub async fn readyz(State(state): State<AppState>) -> impl IntoResponse {
    let ping = state.db.execute_unprepared("SELECT 1");
    match tokio::time::timeout(Duration::from_secs(1), ping).await {
        Ok(Ok(_)) => (StatusCode::OK, "ready"),
        _ => (StatusCode::SERVICE_UNAVAILABLE, "database unavailable"),
    }
}

/// The metrics in Prometheus text format; 401 without the metrics token when one is set.
pub async fn metrics(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if let Some(token) = &state.edge.metrics_token
        && !token.admits(Credentials::from_headers(&headers).bearer.as_deref())
    {
        return (StatusCode::UNAUTHORIZED, [(header::WWW_AUTHENTICATE, "Bearer")], "the metrics need a bearer token\n")
            .into_response();
    }
    let pool = pool_usage(&state.db);
    let mut text = state.metrics.render(pool);
    match crate::service::jobs::backlog(&state.db, chrono::Utc::now()).await {
        Ok(backlog) => text.push_str(&crate::metrics::render_backlog(&backlog)),
        Err(error) => tracing::warn!(%error, "cannot count the delivery queues for /metrics"),
    }
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")], text).into_response()
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
