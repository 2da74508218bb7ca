//! The API's subscriptions, on one `graphql-transport-ws` connection that is opened
//! again after any drop. Each (re)connection is reported first, with the moment the
//! previous connection was lost, so the mirror can catch up on what it missed.

use std::time::{Duration, SystemTime};

use futures_util::{SinkExt, StreamExt};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;

use crate::api::subscriptions::{AnswerAccepted, CollaborationChanged, ReplyPosted, Subscription, ThreadPosted};
use crate::api::{CollaborationChangeKind, CollaborationView, ReplyInThread, ThreadSummary};

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
    /// A collaboration changed.
    CollaborationChanged {
        /// What happened.
        change: CollaborationChangeKind,
        /// The collaboration after it.
        collaboration: CollaborationView,
    },
}

/// What the bot says on the socket (`graphql-transport-ws`).
#[derive(Debug, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Outgoing {
    /// Signs in, as the bot.
    ConnectionInit {
        /// The bot's credentials.
        payload: Credentials,
    },
    /// Starts one subscription.
    Subscribe {
        /// The subscription's id on the socket.
        id: &'static str,
        /// Its document.
        payload: Document,
    },
    /// Answers a ping.
    Pong,
}

/// The `connection_init` payload: the same header an HTTP request carries.
#[derive(Debug, Serialize)]
struct Credentials {
    #[serde(rename = "Authorization")]
    authorization: String,
}

/// A `subscribe` payload.
#[derive(Debug, Serialize)]
struct Document {
    query: String,
}

impl Outgoing {
    fn frame(&self) -> anyhow::Result<Message> {
        Ok(Message::text(serde_json::to_string(self)?))
    }
}

/// The type and id of a message from the API, read before its payload.
#[derive(Debug, Deserialize)]
struct Envelope {
    #[serde(rename = "type")]
    kind: String,
    id: Option<String>,
}

/// A `next` message: what one subscription delivers.
#[derive(Debug, Deserialize)]
struct Next<T> {
    payload: cynic::GraphQlResponse<T>,
}

/// The data of a `next` message, if it is the shape `T` describes.
fn data<T: DeserializeOwned>(text: &str) -> Option<T> {
    serde_json::from_str::<Next<T>>(text).ok()?.payload.data
}

/// The WebSocket URL of the API at `api_url`.
fn socket_url(api_url: &str) -> String {
    let base = api_url.trim_end_matches('/');
    let base = base.strip_prefix("https://").map(|rest| format!("wss://{rest}")).unwrap_or_else(|| {
        base.strip_prefix("http://").map(|rest| format!("ws://{rest}")).unwrap_or_else(|| base.to_owned())
    });
    format!("{base}/graphql/ws")
}

/// The event in the `next` message `text` for the subscription `id`.
fn decode(id: &str, text: &str) -> Option<LiveEvent> {
    let event = match Subscription::with_id(id)? {
        Subscription::Threads => LiveEvent::ThreadPosted(data::<ThreadPosted>(text)?.thread_posted),
        Subscription::Replies => LiveEvent::ReplyPosted(data::<ReplyPosted>(text)?.reply_posted),
        Subscription::Answers => LiveEvent::AnswerAccepted(data::<AnswerAccepted>(text)?.answer_accepted),
        Subscription::Collaborations => {
            let changed = data::<CollaborationChanged>(text)?.collaboration_changed;
            LiveEvent::CollaborationChanged { change: changed.change, collaboration: changed.collaboration }
        }
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
    let init = Outgoing::ConnectionInit { payload: Credentials { authorization: format!("Bearer {token}") } };
    socket.send(init.frame()?).await?;
    loop {
        let frame = tokio::time::timeout(Duration::from_secs(10), socket.next()).await?;
        let Some(frame) = frame else { anyhow::bail!("closed before acknowledging") };
        if let Message::Text(text) = frame? {
            let message: Envelope = serde_json::from_str(&text)?;
            match message.kind.as_str() {
                "connection_ack" => break,
                "ping" => socket.send(Outgoing::Pong.frame()?).await?,
                _ => anyhow::bail!("connection refused: {text}"),
            }
        }
    }
    for subscription in Subscription::ALL {
        let document = Document { query: subscription.document() };
        socket.send(Outgoing::Subscribe { id: subscription.id(), payload: document }.frame()?).await?;
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
        let message: Envelope = serde_json::from_str(&text)?;
        match message.kind.as_str() {
            "next" => match decode(message.id.as_deref().unwrap_or_default(), &text) {
                Some(event) => {
                    if sender.send(event).await.is_err() {
                        return Ok(());
                    }
                }
                None => tracing::warn!(%text, "ignoring an event the bot cannot read"),
            },
            "ping" => socket.send(Outgoing::Pong.frame()?).await?,
            "error" | "complete" => anyhow::bail!("a subscription ended: {text}"),
            _ => {}
        }
    }
    anyhow::bail!("the connection ended")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_socket_is_beside_the_graphql_endpoint() {
        assert_eq!(socket_url("http://127.0.0.1:8080/"), "ws://127.0.0.1:8080/graphql/ws");
        assert_eq!(socket_url("https://lkn.example.org"), "wss://lkn.example.org/graphql/ws");
    }

    #[test]
    fn the_bot_signs_in_and_subscribes_in_the_protocols_words() {
        let init = Outgoing::ConnectionInit { payload: Credentials { authorization: "Bearer lkn_x".into() } };
        let text = serde_json::to_string(&init).expect("serialises");
        assert_eq!(text, r#"{"type":"connection_init","payload":{"Authorization":"Bearer lkn_x"}}"#);
        assert_eq!(serde_json::to_string(&Outgoing::Pong).expect("serialises"), r#"{"type":"pong"}"#);
        for subscription in Subscription::ALL {
            assert!(subscription.document().starts_with("subscription"), "{subscription:?}");
            assert_eq!(Subscription::with_id(subscription.id()), Some(subscription));
        }
    }

    #[test]
    fn a_next_message_becomes_its_event() {
        let text = r#"{"type":"next","id":"collaborations","payload":{"data":{"collaborationChanged":{
            "change":"PROPOSED","collaboration":{"id":"Q29sbGFib3JhdGlvbjox","title":"Seed swap week",
            "kind":"PROGRAMME","status":"PROPOSED","summary":"Seeds.","version":1,
            "updatedAt":"2026-11-01T12:00:00Z","leadPartner":null,"participants":[]}}}}}"#;
        let Some(LiveEvent::CollaborationChanged { change, collaboration }) = decode("collaborations", text) else {
            panic!("a collaboration change")
        };
        assert_eq!(change, CollaborationChangeKind::Proposed);
        assert_eq!(collaboration.title, "Seed swap week");
        assert!(decode("threads", text).is_none(), "not what the threads subscription delivers");
        assert!(decode("nobody", text).is_none(), "no such subscription");
    }
}
