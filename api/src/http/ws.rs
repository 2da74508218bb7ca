//! GraphQL subscriptions over WebSocket at `/graphql/ws`: the `graphql-transport-ws`
//! protocol (what the graphql-ws client library speaks), and the legacy `graphql-ws`.
//!
//! The socket is for subscriptions only, and holds to the same rules as HTTP:
//! - the client signs in with its `connection_init` payload
//!   (`{"Authorization": "Bearer …"}`, plus `X-Lkn-Discord-User` for the bot), admitted
//!   by [`crate::edge::admit`] as an HTTP request is; without a token it is anonymous and
//!   hears of public content only. A socket that sends no `connection_init` within the
//!   set time is closed (4408);
//! - queries and mutations are refused with an `error` message (send them to
//!   `POST /graphql`, where limits and time apply); every `subscribe` spends the caller's
//!   rate limit; a socket holds a bounded number of subscriptions and a client address a
//!   bounded number of sockets;
//! - when the access the socket depends on is cut (tokens revoked, member or bot
//!   suspended) the whole socket is closed with 4403 as soon as the process hears of it
//!   (see `access::watch_access`): one credential check per socket, whatever the
//!   number of its subscriptions or events.
//!
//! The server pings idle `graphql-transport-ws` connections to keep them alive, and closes
//! every connection with a proper close frame when it shuts down.

use std::collections::{HashMap, HashSet};
use std::net::IpAddr;
use std::str::FromStr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_graphql::Data;
use async_graphql::http::{WebSocket as GraphQLSocket, WebSocketProtocols, WsMessage};
use axum::extract::State;
use axum::extract::ws::{CloseFrame, Message, WebSocketUpgrade};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::sync::broadcast::error::RecvError;

use crate::edge::{Credentials, Refusal, SocketLimits, admit, spend};
use crate::error::{ErrorCode, ServiceError};
use crate::events::Event;
use crate::graphql::RequestContext;
use crate::graphql::operation;
use crate::http::{AppState, Peer};
use crate::rate_limit::Caller;
use crate::service::identity;
use crate::service::viewer::Viewer;

/// How often an idle `graphql-transport-ws` connection is pinged.
const KEEPALIVE: Duration = Duration::from_secs(25);
/// The close code for access that no longer holds (graphql-transport-ws's "Forbidden").
const CLOSE_FORBIDDEN: u16 = 4403;
/// The close code for a socket that never sent `connection_init`.
const CLOSE_INIT_TIMEOUT: u16 = 4408;

/// The open sockets of each client address, to cap them.
#[derive(Debug, Default)]
pub struct SocketRegistry(Mutex<HashMap<IpAddr, usize>>);

impl SocketRegistry {
    /// Takes a place for a new socket from `address`, unless it already holds `limit`.
    fn open(self: &Arc<Self>, address: IpAddr, limit: usize) -> Option<SocketPlace> {
        let mut open = self.0.lock().ok()?;
        let count = open.entry(address).or_default();
        if *count >= limit {
            return None;
        }
        *count += 1;
        Some(SocketPlace { registry: Arc::clone(self), address })
    }
}

/// A socket's place in the registry, given back when the socket ends.
struct SocketPlace {
    registry: Arc<SocketRegistry>,
    address: IpAddr,
}

impl Drop for SocketPlace {
    fn drop(&mut self) {
        if let Ok(mut open) = self.registry.0.lock()
            && let Some(count) = open.get_mut(&self.address)
        {
            *count -= 1;
            if *count == 0 {
                open.remove(&self.address);
            }
        }
    }
}

/// Upgrades `GET /graphql/ws` to a subscription connection.
pub async fn graphql_ws(
    State(state): State<AppState>,
    Peer(peer): Peer,
    headers: HeaderMap,
    upgrade: WebSocketUpgrade,
) -> Response {
    let protocol = headers
        .get(header::SEC_WEBSOCKET_PROTOCOL)
        .and_then(|v| v.to_str().ok())
        .and_then(|list| list.split(',').find_map(|p| WebSocketProtocols::from_str(p.trim()).ok()));
    let Some(protocol) = protocol else {
        return (StatusCode::BAD_REQUEST, "use the graphql-transport-ws (or graphql-ws) subprotocol").into_response();
    };
    let address = peer.map_or(IpAddr::from([0, 0, 0, 0]), |p| p.ip());
    let Some(place) = state.sockets.open(address, state.edge.sockets.per_client) else {
        return (StatusCode::TOO_MANY_REQUESTS, "too many open sockets from this address").into_response();
    };
    // Subscription traffic is small and sparse: small buffers keep an idle subscriber
    // cheap, and a bounded write buffer stops a stalled client from growing memory.
    upgrade
        .read_buffer_size(4 * 1024)
        .write_buffer_size(0)
        .max_write_buffer_size(1024 * 1024)
        .max_message_size(256 * 1024)
        .max_frame_size(256 * 1024)
        .protocols(["graphql-transport-ws", "graphql-ws"])
        .on_upgrade(move |socket| async move {
            serve_socket(state, socket, protocol, address).await;
            drop(place);
        })
}

/// Who a socket signed in as, once `connection_init` was accepted.
struct Session {
    viewer: Viewer,
    credentials: Credentials,
    budgets: Vec<Caller>,
}

/// What the socket knows between its messages.
struct SocketState {
    protocol: WebSocketProtocols,
    limits: SocketLimits,
    limiter: Arc<crate::rate_limit::RateLimiter>,
    session: Option<Session>,
    /// Set when `connection_init` was refused, so the close says so (4403).
    refused_sign_in: bool,
    subscriptions: HashSet<String>,
}

/// What to do with a client's message.
enum Verdict {
    /// Hand it to the GraphQL protocol.
    Pass,
    /// Answer it with this frame instead.
    Refuse(Message),
}

impl SocketState {
    /// An `error` message for the operation `id`, in the socket's protocol.
    fn error(&self, id: &str, code: ErrorCode, message: &str) -> Message {
        let error = json!({ "message": message, "extensions": { "code": code.as_str() } });
        let payload = if self.protocol == WebSocketProtocols::GraphQLWS { json!([error]) } else { error };
        Message::Text(json!({ "id": id, "type": "error", "payload": payload }).to_string().into())
    }

    /// Decides on a message from the client: subscriptions only, within the caps and the
    /// caller's rate limit.
    fn inspect(&mut self, bytes: &[u8]) -> Verdict {
        let Ok(message) = serde_json::from_slice::<Value>(bytes) else { return Verdict::Pass };
        let kind = message["type"].as_str().unwrap_or_default();
        let id = message["id"].as_str().unwrap_or_default().to_owned();
        match kind {
            "subscribe" | "start" => {
                let Some(session) = &self.session else { return Verdict::Pass };
                let query = message["payload"]["query"].as_str().unwrap_or_default();
                let name = message["payload"]["operationName"].as_str();
                if !operation::selected(query, name).is_some_and(|s| s.is_subscription()) {
                    return Verdict::Refuse(self.error(
                        &id,
                        ErrorCode::BadRequest,
                        "only subscriptions run over this socket; send queries and mutations to POST /graphql",
                    ));
                }
                if self.subscriptions.contains(&id) {
                    return Verdict::Pass;
                }
                if self.subscriptions.len() >= self.limits.subscriptions_per_socket {
                    let text = format!("at most {} subscriptions per socket", self.limits.subscriptions_per_socket);
                    return Verdict::Refuse(self.error(&id, ErrorCode::BadRequest, &text));
                }
                if let Err(Refusal::RateLimited(wait)) = spend(&self.limiter, &session.budgets, false, Instant::now()) {
                    let text = format!("too many requests; retry in {} s", wait.as_secs().max(1));
                    return Verdict::Refuse(self.error(&id, ErrorCode::RateLimited, &text));
                }
                self.subscriptions.insert(id);
                Verdict::Pass
            }
            "complete" | "stop" => {
                self.subscriptions.remove(&id);
                Verdict::Pass
            }
            _ => Verdict::Pass,
        }
    }

    /// Notes a message to the client that ends an operation.
    fn sent(&mut self, text: &str) {
        if !(text.contains("\"complete\"") || text.contains("\"error\"")) {
            return;
        }
        if let Ok(message) = serde_json::from_str::<Value>(text)
            && matches!(message["type"].as_str(), Some("complete" | "error"))
            && let Some(id) = message["id"].as_str()
        {
            self.subscriptions.remove(id);
        }
    }
}

/// Whether the socket's access still holds after `event`; `None` when the event does not
/// concern it.
async fn still_admitted(
    state: &AppState,
    socket: &Mutex<SocketState>,
    event: Result<Event, RecvError>,
) -> Option<bool> {
    let credentials = {
        let socket = socket.lock().ok()?;
        let session = socket.session.as_ref()?;
        let concerned = match &event {
            Ok(Event::AccessRevoked { member_id }) => session.viewer.depends_on(*member_id),
            // Missed events may have been revocations.
            Err(RecvError::Lagged(_)) => true,
            _ => false,
        };
        if !concerned || session.credentials.bearer.is_none() {
            return None;
        }
        session.credentials.clone()
    };
    let now = chrono::Utc::now();
    match identity::authenticate(&state.db, credentials.bearer.as_deref(), credentials.discord_user.as_deref(), now)
        .await
    {
        Ok(_) => Some(true),
        Err(error) if error.refuses_credentials() || matches!(error, ServiceError::Forbidden) => Some(false),
        // The database could not say: keep the socket, and look again at the next event.
        Err(_) => None,
    }
}

async fn serve_socket(
    state: AppState,
    socket: axum::extract::ws::WebSocket,
    protocol: WebSocketProtocols,
    address: IpAddr,
) {
    let limits = state.edge.sockets;
    let shared = Arc::new(Mutex::new(SocketState {
        protocol,
        limits,
        limiter: state.edge.rate_limiter.clone(),
        session: None,
        refused_sign_in: false,
        subscriptions: HashSet::new(),
    }));
    let (refusals, mut refused) = tokio::sync::mpsc::unbounded_channel::<Message>();
    let (mut sink, stream) = socket.split();
    let inspected = Arc::clone(&shared);
    let input = stream.take_while(|message| futures_util::future::ready(message.is_ok())).filter_map(move |message| {
        let bytes = match message {
            Ok(Message::Text(text)) => Some(text.as_str().as_bytes().to_vec()),
            Ok(Message::Binary(bytes)) => Some(bytes.to_vec()),
            _ => None,
        };
        let passed = bytes.and_then(|bytes| {
            let verdict = inspected.lock().map_or(Verdict::Pass, |mut socket| socket.inspect(&bytes));
            match verdict {
                Verdict::Pass => Some(bytes),
                Verdict::Refuse(frame) => {
                    let _ = refusals.send(frame);
                    None
                }
            }
        });
        futures_util::future::ready(passed)
    });
    let init_state = state.clone();
    let signed_in = Arc::clone(&shared);
    let messages =
        GraphQLSocket::new(state.schema.clone(), input, protocol).on_connection_init(move |payload| async move {
            let credentials = Credentials::from_init_payload(&payload);
            let limiter = &init_state.edge.rate_limiter;
            let admitted = admit(&init_state.db, limiter, &credentials, address, false).await;
            if admitted.is_err()
                && let Ok(mut socket) = signed_in.lock()
            {
                socket.refused_sign_in = true;
            }
            let (viewer, budgets) = match admitted {
                Ok(admitted) => admitted,
                Err(Refusal::Denied(error)) => return Err(error.into_graphql()),
                Err(Refusal::RateLimited(_)) => return Err(async_graphql::Error::new("too many requests")),
            };
            let mut data = Data::default();
            data.insert(RequestContext::for_subscriptions(
                init_state.db.clone(),
                viewer.clone(),
                init_state.events.clone(),
            ));
            data.insert(init_state.pool_share(&budgets));
            if let Ok(mut socket) = signed_in.lock() {
                socket.session = Some(Session { viewer, credentials, budgets });
            }
            Ok(data)
        });
    futures_util::pin_mut!(messages);
    let mut closing = state.closing.subscribe();
    let mut heard = state.events.subscribe();
    let mut keepalive = tokio::time::interval(KEEPALIVE);
    keepalive.tick().await;
    let pings = protocol == WebSocketProtocols::GraphQLWS;
    let init_deadline = tokio::time::sleep(limits.init_timeout);
    tokio::pin!(init_deadline);
    let signed_in = || shared.lock().is_ok_and(|socket| socket.session.is_some());
    loop {
        let close = tokio::select! {
            message = messages.next() => {
                let Some(message) = message else { break };
                let frame = match message {
                    WsMessage::Text(text) => {
                        if let Ok(mut socket) = shared.lock() {
                            socket.sent(&text);
                        }
                        Message::Text(text.into())
                    }
                    WsMessage::Close(code, reason) => {
                        // graphql-transport-ws closes a refused `connection_init` with 4403.
                        let refused = shared.lock().is_ok_and(|socket| socket.refused_sign_in);
                        let code = if refused { CLOSE_FORBIDDEN } else { code };
                        Message::Close(Some(CloseFrame { code, reason: reason.into() }))
                    }
                };
                if sink.send(frame).await.is_err() {
                    return;
                }
                None
            }
            Some(frame) = refused.recv() => {
                if sink.send(frame).await.is_err() {
                    return;
                }
                None
            }
            event = heard.recv() => {
                if matches!(event, Err(RecvError::Closed)) {
                    break;
                }
                match still_admitted(&state, &shared, event).await {
                    Some(false) => Some(CloseFrame { code: CLOSE_FORBIDDEN, reason: "access revoked".into() }),
                    _ => None,
                }
            }
            () = &mut init_deadline, if !signed_in() => {
                Some(CloseFrame { code: CLOSE_INIT_TIMEOUT, reason: "connection initialisation timeout".into() })
            }
            _ = keepalive.tick(), if pings => {
                if sink.send(Message::Text(r#"{"type":"ping"}"#.into())).await.is_err() {
                    return;
                }
                None
            }
            () = async { let _ = closing.wait_for(|closing| *closing).await; } => {
                Some(CloseFrame { code: 1001, reason: "the server is shutting down".into() })
            }
        };
        if let Some(frame) = close {
            let _ = sink.send(Message::Close(Some(frame))).await;
            break;
        }
    }
    let _ = sink.close().await;
}
