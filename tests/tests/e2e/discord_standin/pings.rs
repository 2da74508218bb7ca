//! Whom Discord would notify for a message the bot writes, kept as a [`ContentWrite`].

use axum::http::Method;
use serde_json::Value;

use super::ContentWrite;
use super::json::text;

/// The message text a request creates or edits, as a [`ContentWrite`]; `None` for any other
/// request.
pub(super) fn content_write(method: &Method, path: &str, body: &Value) -> Option<ContentWrite> {
    let segments: Vec<&str> = path.strip_prefix("/api/v10/")?.split('/').collect();
    let message = match (method.as_str(), segments.as_slice()) {
        ("POST", ["channels", _, "threads"]) => &body["message"],
        ("POST", ["channels", _, "messages"] | ["webhooks", _, _])
        | ("PATCH", ["channels", _, "messages", _] | ["webhooks", _, _, "messages", _]) => body,
        ("POST", ["interactions", _, _, "callback"]) if matches!(body["type"].as_u64(), Some(4 | 7)) => &body["data"],
        _ => return None,
    };
    let content = message["content"].as_str()?;
    Some(ContentWrite {
        method: method.to_string(),
        path: path.to_owned(),
        content: content.to_owned(),
        allowed_mentions: message["allowed_mentions"].clone(),
        pings: pings(message),
    })
}

/// Whom Discord notifies for a message body: mentions in its content that its
/// `allowed_mentions` lets through (all of them when it has none; `@everyone` and `@here` are
/// allowed because the bot has the permission to mention everyone), and the author of the
/// message it replies to unless `replied_user` is false or left out of an `allowed_mentions`.
fn pings(message: &Value) -> Vec<String> {
    let allowed = &message["allowed_mentions"];
    let parse = |kind: &str| {
        allowed.is_null() || allowed["parse"].as_array().is_some_and(|parse| parse.iter().any(|p| p == kind))
    };
    let listed = |field: &str, id: &str| {
        allowed[field].as_array().is_some_and(|ids| ids.iter().any(|listed| listed.as_str() == Some(id)))
    };
    let content = text(&message["content"]);
    let mut pings = Vec::new();
    for everyone in ["@everyone", "@here"] {
        if content.contains(everyone) && parse("everyone") {
            pings.push(everyone.to_owned());
        }
    }
    for mention in content.split("<@").skip(1).filter_map(|rest| rest.split_once('>').map(|(inside, _)| inside)) {
        let (role, id) = match mention.strip_prefix('&') {
            Some(id) => (true, id),
            None => (false, mention.trim_start_matches('!')),
        };
        if id.is_empty() || !id.bytes().all(|b| b.is_ascii_digit()) {
            continue;
        }
        let notified = if role { parse("roles") || listed("roles", id) } else { parse("users") || listed("users", id) };
        if notified {
            pings.push(format!("<@{}{id}>", if role { "&" } else { "" }));
        }
    }
    let replied_user = if allowed.is_null() { true } else { allowed["replied_user"].as_bool().unwrap_or(false) };
    if message["message_reference"].is_object() && replied_user {
        pings.push("reply".to_owned());
    }
    pings
}
