//! The stand-in's REST API: the handler that records every call and the content it writes,
//! the routing of a request to its answer, and Discord's error replies.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::json::{application_json, bot_user_json, in_guild, is_thread, snowflake_str};
use super::pings::content_write;
use super::state::{Inner, Shared};
use super::{BOT_TOKEN, DiscordStandIn, RestCall};

/// A REST answer: status and JSON (`Null` for an empty body).
pub(super) type Reply = (StatusCode, Value);

impl Inner {
    fn handle(&mut self, method: &Method, path: &str, body: &Value, authorized: bool) -> Reply {
        let Some(route) = path.strip_prefix("/api/v10/") else { return not_found() };
        let segments: Vec<&str> = route.split('/').collect();
        let webhook = matches!(segments.first(), Some(&("interactions" | "webhooks")));
        if !webhook && !authorized {
            return error(StatusCode::UNAUTHORIZED, 0, "401: Unauthorized");
        }
        let app = DiscordStandIn::APPLICATION_ID.to_string();
        let guild = DiscordStandIn::GUILD_ID.to_string();
        match (method.as_str(), segments.as_slice()) {
            ("GET", ["gateway"]) => ok(json!({ "url": self.gateway_url })),
            ("GET", ["gateway", "bot"]) => ok(json!({
                "url": self.gateway_url,
                "shards": 1,
                "session_start_limit": {
                    "total": 1000,
                    "remaining": 999,
                    "reset_after": 86_400_000,
                    "max_concurrency": 1,
                },
            })),
            ("GET", ["oauth2", "applications", "@me"]) => ok(application_json()),
            ("GET", ["users", "@me"]) => ok(bot_user_json()),
            ("POST", ["users", "@me", "channels"]) => self.open_direct_messages(body),
            ("GET", ["applications", a, "commands"]) if *a == app => ok(json!(self.commands_in(None))),
            ("GET", ["applications", a, "guilds", g, "commands"]) if *a == app && *g == guild => {
                ok(json!(self.commands_in(Some(DiscordStandIn::GUILD_ID))))
            }
            ("PUT", ["applications", a, "commands"]) if *a == app => self.set_commands(None, body),
            ("PUT", ["applications", a, "guilds", g, "commands"]) if *a == app && *g == guild => {
                self.set_commands(Some(DiscordStandIn::GUILD_ID), body)
            }
            ("POST", ["interactions", id, token, "callback"]) => self.acknowledge(snowflake_str(id), token, body),
            ("POST", ["webhooks", a, token]) if *a == app => self.follow_up(token, body),
            (_, ["webhooks", a, token, "messages", message]) if *a == app => {
                self.webhook_message(method, token, message, body)
            }
            ("GET", ["channels", id]) => self.channel(snowflake_str(id)).map_or_else(unknown_channel, ok),
            ("PATCH", ["channels", id]) => self.edit_channel(snowflake_str(id), body),
            ("POST", ["channels", id, "threads"]) => self.create_thread(snowflake_str(id), body),
            ("GET", ["channels", id, "messages"]) => self.list_messages(snowflake_str(id)),
            ("POST", ["channels", id, "messages"]) => self.create_message(snowflake_str(id), body),
            (_, ["channels", id, "messages", message]) => {
                self.channel_message(method, snowflake_str(id), snowflake_str(message), body)
            }
            ("POST", ["channels", id, "typing"]) => {
                self.channel(snowflake_str(id)).map_or_else(unknown_channel, |_| no_content())
            }
            ("GET", ["guilds", g]) if *g == guild => ok(self.guild_json()),
            ("GET", ["guilds", g, "channels"]) if *g == guild => ok(json!(
                self.channels.values().filter(|channel| in_guild(channel) && !is_thread(channel)).collect::<Vec<_>>()
            )),
            ("GET", ["guilds", g, "threads", "active"]) if *g == guild => ok(json!({
                "threads": self.channels.values().filter(|channel| is_thread(channel)).collect::<Vec<_>>(),
                "members": [],
            })),
            _ => not_found(),
        }
    }
}

pub(super) async fn rest(
    State(shared): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let body = request_json(&headers, &body);
    let expected = format!("Bot {BOT_TOKEN}");
    let authorized = headers.get(header::AUTHORIZATION).is_some_and(|value| value.as_bytes() == expected.as_bytes());
    let path = uri.path().to_owned();
    let (status, response, limited) = {
        let mut inner = shared.lock();
        let limited = if authorized { inner.rate_limit(&method, &path) } else { None };
        let (status, response) = match limited {
            Some(retry_after) => rate_limited(retry_after),
            None => inner.handle(&method, &path, &body, authorized),
        };
        if let Some(write) = content_write(&method, &path, &body) {
            inner.content_writes.push(write);
        }
        let call = RestCall {
            method: method.to_string(),
            path,
            body,
            status: status.as_u16(),
            response: response.clone(),
            at: std::time::Instant::now(),
        };
        inner.calls.push(call);
        (status, response, limited)
    };
    let mut answer =
        if response.is_null() { status.into_response() } else { (status, axum::Json(response)).into_response() };
    if let Some(retry_after) = limited {
        for (name, value) in rate_limit_headers(retry_after) {
            if let Ok(value) = header::HeaderValue::from_str(&value) {
                answer.headers_mut().insert(name, value);
            }
        }
    }
    answer
}

impl Inner {
    /// Whether this request is a direct message to answer with 429 (see
    /// [`DiscordStandIn::rate_limit_next`]); its `retry_after` if so.
    fn rate_limit(&mut self, method: &Method, path: &str) -> Option<f64> {
        let route = path.strip_prefix("/api/v10/channels/")?;
        let channel = route.strip_suffix("/messages").filter(|id| !id.contains('/'))?;
        if *method != Method::POST || self.rate_limited.0 == 0 || self.dm_recipient(snowflake_str(channel)).is_none() {
            return None;
        }
        self.rate_limited.0 -= 1;
        Some(self.rate_limited.1)
    }
}

/// Discord's 429 body for a per-route (not global) limit.
fn rate_limited(retry_after: f64) -> Reply {
    let body = json!({ "message": "You are being rate limited.", "retry_after": retry_after, "global": false });
    (StatusCode::TOO_MANY_REQUESTS, body)
}

/// The headers Discord sends with a 429: `Retry-After` in whole seconds, the bucket's state
/// with the exact time to its reset.
fn rate_limit_headers(retry_after: f64) -> [(&'static str, String); 7] {
    let reset = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0.0, |now| now.as_secs_f64() + retry_after);
    [
        ("retry-after", format!("{}", retry_after.ceil() as u64)),
        ("x-ratelimit-limit", "5".to_owned()),
        ("x-ratelimit-remaining", "0".to_owned()),
        ("x-ratelimit-reset", format!("{reset:.3}")),
        ("x-ratelimit-reset-after", format!("{retry_after:.3}")),
        ("x-ratelimit-bucket", "d1a2e3c4b5f60718293a4b5c6d7e8f90".to_owned()),
        ("x-ratelimit-scope", "user".to_owned()),
    ]
}

/// The request body as JSON: the JSON body, the `payload_json` part of a multipart body, or `Null`.
fn request_json(headers: &HeaderMap, body: &[u8]) -> Value {
    if body.is_empty() {
        return Value::Null;
    }
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|value| value.to_str().ok()).unwrap_or("");
    if content_type.starts_with("multipart/form-data") {
        let boundary = content_type.split("boundary=").nth(1).unwrap_or("").trim_matches('"');
        let body = String::from_utf8_lossy(body);
        let payload = body.split(&format!("--{boundary}")).find_map(|part| {
            let (part_headers, content) = part.split_once("\r\n\r\n")?;
            part_headers.contains("name=\"payload_json\"").then(|| content.strip_suffix("\r\n").unwrap_or(content))
        });
        return payload.and_then(|payload| serde_json::from_str(payload).ok()).unwrap_or(Value::Null);
    }
    serde_json::from_slice(body).unwrap_or_else(|_| Value::String(String::from_utf8_lossy(body).into_owned()))
}

pub(super) fn ok(value: Value) -> Reply {
    (StatusCode::OK, value)
}

pub(super) fn no_content() -> Reply {
    (StatusCode::NO_CONTENT, Value::Null)
}

pub(super) fn error(status: StatusCode, code: u64, message: &str) -> Reply {
    (status, json!({ "message": message, "code": code }))
}

pub(super) fn not_found() -> Reply {
    error(StatusCode::NOT_FOUND, 0, "404: Not Found")
}

pub(super) fn unknown(what: &str, code: u64) -> Reply {
    error(StatusCode::NOT_FOUND, code, &format!("Unknown {what}"))
}

pub(super) fn unknown_channel() -> Reply {
    unknown("Channel", 10003)
}

/// Discord's 50035 "Invalid Form Body", one error per (path, problem).
pub(super) fn invalid_form(problems: Vec<(String, String)>) -> Reply {
    let errors: serde_json::Map<String, Value> = problems
        .into_iter()
        .map(|(path, message)| (path, json!({ "_errors": [{ "code": "BASE_TYPE_INVALID", "message": message }] })))
        .collect();
    (StatusCode::BAD_REQUEST, json!({ "message": "Invalid Form Body", "code": 50035, "errors": errors }))
}
