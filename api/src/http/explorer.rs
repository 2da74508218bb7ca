//! The network explorer: a self-contained page at `/` for people, embedded in the
//! binary so it works with no internet. It reads the API only through `POST /graphql`,
//! anonymously, exactly as a partner's frontend would.

use axum::Router;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;

const INDEX: &str = include_str!("../../assets/explorer/index.html");
const STYLES: &str = include_str!("../../assets/explorer/app.css");
const SCRIPT: &str = include_str!("../../assets/explorer/app.js");

fn asset(content_type: &'static str, body: &'static str) -> impl IntoResponse {
    ([(header::CONTENT_TYPE, content_type), (header::CACHE_CONTROL, "no-cache")], body)
}

/// The explorer's routes.
pub fn routes<S: Clone + Send + Sync + 'static>() -> Router<S> {
    Router::new()
        .route("/", get(|| async { asset("text/html; charset=utf-8", INDEX) }))
        .route("/explorer/app.css", get(|| async { asset("text/css; charset=utf-8", STYLES) }))
        .route("/explorer/app.js", get(|| async { asset("text/javascript; charset=utf-8", SCRIPT) }))
}
