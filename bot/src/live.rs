//! The API's subscriptions, on one `graphql-transport-ws` connection that is opened
//! again after any drop. Each (re)connection is reported first, with the moment the
//! previous connection was lost, so the mirror can catch up on what it missed.

use std::time::{Duration, SystemTime};

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;

use crate::api::{CollaborationView, ReplyInThread, ThreadSummary};

/// Something the API told the bot.
#[derive(Debug, Clone)]
pub enum LiveEvent {
    /// Subscribed; `missed_since` is when the last connection was lost (None at start).
    Connected {
        /// The start of the gap, if there was one.
        missed_since: Option<SystemTime>,
    },
    /// A thread was posted.
    ThreadPosted(ThreadSummary),
    /// A reply was posted.
    ReplyPosted(ReplyInThread),
    /// An answer was accepted.
    AnswerAccepted(ReplyInThread),
    /// A collaboration changed; `change` is the API's CollaborationChangeKind.
    CollaborationChanged {
        /// What happened.
        change: String,
        /// The collaboration after it.
        collaboration: CollaborationView,
    },
}

const THREAD: &str = "id title kind status tags replyCount lastActivityAt author { displayName } partner { name }";

fn subscriptions() -> [(&'static str, String); 4] {
    let reply = format!("id body isAccepted createdAt author {{ displayName }} thread {{ {THREAD} }}");
    [
        ("threads", format!("subscription {{ threadPosted {{ {THREAD} }} }}")),
        ("replies", format!("subscription {{ replyPosted {{ {reply} }} }}")),
        ("answers", format!("subscription {{ answerAccepted {{ {reply} }} }}")),
        (
            "collaborations",
            "subscription { collaborationChanged { change collaboration { id title kind status summary version \
             updatedAt leadPartner { slug name } participants { joinStatus partner { slug name } } } } }"
                .to_owned(),
        ),
    ]
}

/// The WebSocket URL of the API at `api_url`.
fn socket_url(api_url: &str) -> String {
    let base = api_url.trim_end_matches('/');
    let base = base.strip_prefix("https://").map(|rest| format!("wss://{rest}")).unwrap_or_else(|| {
        base.strip_prefix("http://").map(|rest| format!("ws://{rest}")).unwrap_or_else(|| base.to_owned())
    });
    format!("{base}/graphql/ws")
}

fn decode(id: &str, data: &Value) -> Option<LiveEvent> {
    let event = match id {
        "threads" => LiveEvent::ThreadPosted(serde_json::from_value(data["threadPosted"].clone()).ok()?),
        "replies" => LiveEvent::ReplyPosted(serde_json::from_value(data["replyPosted"].clone()).ok()?),
        "answers" => LiveEvent::AnswerAccepted(serde_json::from_value(data["answerAccepted"].clone()).ok()?),
        "collaborations" => LiveEvent::CollaborationChanged {
            change: data["collaborationChanged"]["change"].as_str()?.to_owned(),
            collaboration: serde_json::from_value(data["collaborationChanged"]["collaboration"].clone()).ok()?,
        },
        _ => return None,
    };
    Some(event)
}

/// Keeps the subscriptions open until the receiver is dropped.
pub fn spawn(api_url: &str, bot_token: String) -> mpsc::Receiver<LiveEvent> {
    let (sender, receiver) = mpsc::channel(1024);
    let url = socket_url(api_url);
    tokio::spawn(async move {
        let mut missed_since = None;
        let mut backoff = Duration::from_millis(200);
        loop {
            match session(&url, &bot_token, &sender, missed_since).await {
                Ok(()) => return,
                Err(error) => {
                    tracing::warn!(%error, "API subscriptions lost; reconnecting");
                    missed_since = missed_since.or(Some(SystemTime::now()));
                }
            }
            if sender.is_closed() {
                return;
            }
            tokio::time::sleep(backoff).await;
            backoff = (backoff * 2).min(Duration::from_secs(10));
        }
    });
    receiver
}

/// One connection: returns Ok when the receiver is gone, Err when the connection failed.
async fn session(
    url: &str,
    token: &str,
    sender: &mpsc::Sender<LiveEvent>,
    missed_since: Option<SystemTime>,
) -> anyhow::Result<()> {
    let mut request = url.into_client_request()?;
    request.headers_mut().insert("Sec-WebSocket-Protocol", HeaderValue::from_static("graphql-transport-ws"));
    let (mut socket, _) =
        tokio::time::timeout(Duration::from_secs(10), tokio_tungstenite::connect_async(request)).await??;
    let init = json!({ "type": "connection_init", "payload": { "Authorization": format!("Bearer {token}") } });
    socket.send(Message::text(init.to_string())).await?;
    loop {
        let frame = tokio::time::timeout(Duration::from_secs(10), socket.next()).await?;
        let Some(frame) = frame else { anyhow::bail!("closed before acknowledging") };
        if let Message::Text(text) = frame? {
            let message: Value = serde_json::from_str(&text)?;
            match message["type"].as_str() {
                Some("connection_ack") => break,
                Some("ping") => socket.send(Message::text(json!({ "type": "pong" }).to_string())).await?,
                _ => anyhow::bail!("connection refused: {text}"),
            }
        }
    }
    for (id, query) in subscriptions() {
        let subscribe = json!({ "id": id, "type": "subscribe", "payload": { "query": query } });
        socket.send(Message::text(subscribe.to_string())).await?;
    }
    if sender.send(LiveEvent::Connected { missed_since }).await.is_err() {
        return Ok(());
    }
    tracing::info!("subscribed to the API's live updates");
    loop {
        let frame = tokio::select! {
            frame = socket.next() => frame,
            () = sender.closed() => return Ok(()),
        };
        let Some(frame) = frame else { break };
        let text = match frame? {
            Message::Text(text) => text,
            Message::Close(_) => anyhow::bail!("the API closed the connection"),
            _ => continue,
        };
        let message: Value = serde_json::from_str(&text)?;
        match message["type"].as_str() {
            Some("next") => {
                let id = message["id"].as_str().unwrap_or_default();
                match decode(id, &message["payload"]["data"]) {
                    Some(event) => {
                        if sender.send(event).await.is_err() {
                            return Ok(());
                        }
                    }
                    None => tracing::warn!(%text, "ignoring an event the bot cannot read"),
                }
            }
            Some("ping") => socket.send(Message::text(json!({ "type": "pong" }).to_string())).await?,
            Some("error" | "complete") => anyhow::bail!("a subscription ended: {text}"),
            _ => {}
        }
    }
    anyhow::bail!("the connection ended")
}
