//! `/unsubscribe`: the one-click link every notification and digest e-mail carries
//! (RFC 8058), usable without signing in.
//!
//! - `POST /unsubscribe?token=…` turns the mail off: what mail programs send for the
//!   `List-Unsubscribe-Post: List-Unsubscribe=One-Click` header, and what the page's
//!   button sends.
//! - `GET /unsubscribe?token=…` only shows what the link would turn off and a button:
//!   link scanners and previews fetch links, and must not unsubscribe anyone.
//!
//! A link LKN did not make answers 404 and changes nothing. The pages are plain HTML with
//! the explorer's stylesheet and its Content-Security-Policy; no script.

use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use lkn_entity::vocabulary::NotificationKind;
use serde::Deserialize;

use super::AppState;
use super::explorer::CONTENT_SECURITY_POLICY;
use crate::mail::digest::DigestCadence;
use crate::mail::letters::escape;
use crate::service::notifications::unsubscribe::{self, Scope};

/// The link's query.
#[derive(Debug, Deserialize)]
pub struct LinkQuery {
    /// The link's secret.
    #[serde(default)]
    token: String,
}

/// What the mail a scope names is, in English and Welsh.
fn mail_of(scope: Scope) -> (&'static str, &'static str) {
    match scope {
        Scope::Digest(DigestCadence::Daily) => ("the daily digest", "y crynodeb dyddiol"),
        Scope::Digest(DigestCadence::Weekly) => ("the weekly digest", "y crynodeb wythnosol"),
        Scope::Kind(kind) => match kind {
            NotificationKind::ReplyOnYourThread => {
                ("e-mails about replies on threads you started", "e-byst am atebion ar edafedd a ddechreuoch chi")
            }
            NotificationKind::ReplyOnFollowedThread => {
                ("e-mails about replies on threads you follow", "e-byst am atebion ar edafedd rydych chi'n eu dilyn")
            }
            NotificationKind::FollowedThreadChanged => {
                ("e-mails about changes to threads you follow", "e-byst am newidiadau i edafedd rydych chi'n eu dilyn")
            }
            NotificationKind::Endorsement => ("e-mails about endorsements", "e-byst am gymeradwyaethau"),
            NotificationKind::JoinRequest => (
                "e-mails about requests to join your collaborations",
                "e-byst am geisiadau i ymuno â'ch cydweithrediadau",
            ),
            NotificationKind::JoinDecision => {
                ("e-mails about your requests to join", "e-byst am eich ceisiadau i ymuno")
            }
            NotificationKind::CollaborationStatus => {
                ("e-mails about your collaborations' progress", "e-byst am gynnydd eich cydweithrediadau")
            }
            NotificationKind::BidDeadline => ("bid deadline reminders", "nodiadau atgoffa am derfynau cynigion"),
            NotificationKind::QuestionInYourExpertise => {
                ("e-mails about new questions in your expertise", "e-byst am gwestiynau newydd yn eich maes")
            }
        },
    }
}

fn page(status: StatusCode, title: &str, body: &str) -> Response {
    let html = format!(
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"robots\" content=\"noindex\">\n<title>{title} — Living Knowledge Network</title>\n\
         <link rel=\"stylesheet\" href=\"/explorer/app.css\">\n</head>\n<body>\n<main class=\"unsubscribe\">\n\
         <h1>{title}</h1>\n{body}\n<p><a href=\"/\">Living Knowledge Network</a></p>\n</main>\n</body>\n</html>\n",
        title = escape(title),
    );
    (
        status,
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
            (header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            (header::REFERRER_POLICY, "no-referrer"),
        ],
        html,
    )
        .into_response()
}

fn not_a_link() -> Response {
    page(
        StatusCode::NOT_FOUND,
        "This link does not work",
        "<p>This unsubscribe link is not one we sent, or it is more than a year old. You can change what we send \
         you in your notification settings after signing in.</p>\n<p lang=\"cy\">Nid yw'r ddolen hon yn gweithio. \
         Gallwch newid yr hyn a anfonwn atoch yn eich gosodiadau hysbysiadau ar ôl mewngofnodi.</p>",
    )
}

fn failed(error: &crate::error::ServiceError) -> Response {
    tracing::warn!(%error, "unsubscribe link could not be read");
    page(
        StatusCode::SERVICE_UNAVAILABLE,
        "Please try again",
        "<p>We could not do this just now; please try again in a minute.</p>",
    )
}

/// Shows what the link would turn off, with the button that does it.
pub async fn confirm(State(state): State<AppState>, Query(link): Query<LinkQuery>) -> Response {
    match unsubscribe::peek(&state.db, &link.token, Utc::now()).await {
        Ok(Some((_, scope))) => {
            let (english, welsh) = mail_of(scope);
            let action = format!("/unsubscribe?token={}", escape(&link.token));
            page(
                StatusCode::OK,
                "Unsubscribe",
                &format!(
                    "<p>Stop sending me {english}?</p>\n<p lang=\"cy\">Peidio ag anfon {welsh} ataf?</p>\n\
                     <form method=\"post\" action=\"{action}\">\n<input type=\"hidden\" name=\"List-Unsubscribe\" \
                     value=\"One-Click\">\n<button type=\"submit\" class=\"button\">Unsubscribe · Dad-danysgrifio</button>\n</form>"
                ),
            )
        }
        Ok(None) => not_a_link(),
        Err(error) => failed(&error),
    }
}

/// Turns off what the link names (RFC 8058 one-click, or the page's button).
pub async fn one_click(State(state): State<AppState>, Query(link): Query<LinkQuery>) -> Response {
    match unsubscribe::apply(&state.db, &link.token, Utc::now()).await {
        Ok(Some(scope)) => {
            let (english, welsh) = mail_of(scope);
            page(
                StatusCode::OK,
                "You are unsubscribed",
                &format!(
                    "<p>We will not send you {english} any more. You can turn it back on in your notification \
                     settings.</p>\n<p lang=\"cy\">Ni fyddwn yn anfon {welsh} atoch mwyach. Gallwch ei droi'n ôl \
                     ymlaen yn eich gosodiadau hysbysiadau.</p>"
                ),
            )
        }
        Ok(None) => not_a_link(),
        Err(error) => failed(&error),
    }
}
