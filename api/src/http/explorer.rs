//! The network explorer: a self-contained page at `/` for people, embedded in the
//! binary so it works with no internet. Anyone can browse what is public; staff sign in
//! on the page (an e-mail code, or the links in the sign-in and invitation e-mails at
//! `/sign-in` and `/join`) and then ask, reply, endorse and follow from it. It reads and
//! writes only through `POST /graphql`, exactly as a partner's frontend would.
//!
//! Every response carries a strict Content-Security-Policy: the page runs only its own
//! script and style and talks only to its own origin, so a thread that smuggles markup
//! into the page (it never should: the page builds the DOM from text) still could not
//! run code or send a session token anywhere.

use axum::Router;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;

const INDEX: &str = include_str!("../../assets/explorer/index.html");
const STYLES: &str = include_str!("../../assets/explorer/app.css");
const SCRIPT: &str = include_str!("../../assets/explorer/app.js");

/// What the explorer's pages may load and do: nothing from another origin, no inline
/// script or style, no framing, and forms that post only back to the page.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
     img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

fn asset(content_type: &'static str, body: &'static str) -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "no-cache"),
            (header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            // The sign-in and joining links carry a code in their query until the page
            // removes it: never pass the address on to another site.
            (header::REFERRER_POLICY, "no-referrer"),
        ],
        body,
    )
}

async fn page() -> impl IntoResponse {
    asset("text/html; charset=utf-8", INDEX)
}

/// The explorer's routes. `/join?code=…` (the invitation e-mail's link) and
/// `/sign-in?code=…&email=…` (the sign-in e-mail's link) serve the same page, which
/// reads the code, removes it from the address bar and completes the step.
pub fn routes<S: Clone + Send + Sync + 'static>() -> Router<S> {
    Router::new()
        .route("/", get(page))
        .route("/join", get(page))
        .route("/sign-in", get(page))
        .route("/explorer/app.css", get(|| async { asset("text/css; charset=utf-8", STYLES) }))
        .route("/explorer/app.js", get(|| async { asset("text/javascript; charset=utf-8", SCRIPT) }))
}
