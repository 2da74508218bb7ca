//! GraphQL subscriptions over WebSocket at `/graphql/ws`: the `graphql-transport-ws`
//! protocol (what the graphql-ws client library speaks), and the legacy `graphql-ws`.
//!
//! The client signs in with its `connection_init` payload
//! (`{"Authorization": "Bearer …"}`, plus `X-Lkn-Discord-User` for the bot); without one
//! it is anonymous and hears of public content only. The server pings idle
//! `graphql-transport-ws` connections to keep them alive, and closes every connection
//! with a proper close frame when it shuts down.

use std::str::FromStr;
use std::time::Duration;

use async_graphql::Data;
use async_graphql::http::{WebSocket as GraphQLSocket, WebSocketProtocols, WsMessage};
use axum::extract::State;
use axum::extract::ws::{CloseFrame, Message, WebSocketUpgrade};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures_util::{SinkExt, StreamExt};

use crate::graphql::RequestContext;
use crate::graphql::subscriptions::SubscriberCredentials;
use crate::http::AppState;
use crate::service::identity;

/// How often an idle `graphql-transport-ws` connection is pinged.
const KEEPALIVE: Duration = Duration::from_secs(25);

/// The value of `key` in a connection_init payload, whatever its case.
fn payload_value(payload: &serde_json::Value, key: &str) -> Option<String> {
    payload
        .as_object()?
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(key))
        .and_then(|(_, v)| v.as_str().map(str::to_owned))
}

/// Upgrades `GET /graphql/ws` to a subscription connection.
pub async fn graphql_ws(State(state): State<AppState>, headers: HeaderMap, upgrade: WebSocketUpgrade) -> Response {
    let protocol = headers
        .get(header::SEC_WEBSOCKET_PROTOCOL)
        .and_then(|v| v.to_str().ok())
        .and_then(|list| list.split(',').find_map(|p| WebSocketProtocols::from_str(p.trim()).ok()));
    let Some(protocol) = protocol else {
        return (StatusCode::BAD_REQUEST, "use the graphql-transport-ws (or graphql-ws) subprotocol").into_response();
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
        .on_upgrade(move |socket| serve_socket(state, socket, protocol))
}

async fn serve_socket(state: AppState, socket: axum::extract::ws::WebSocket, protocol: WebSocketProtocols) {
    let (mut sink, stream) = socket.split();
    let input = stream.take_while(|message| futures_util::future::ready(message.is_ok())).filter_map(|message| {
        futures_util::future::ready(match message {
            Ok(Message::Text(text)) => Some(text.as_str().as_bytes().to_vec()),
            Ok(Message::Binary(bytes)) => Some(bytes.to_vec()),
            _ => None,
        })
    });
    let init_state = state.clone();
    let messages =
        GraphQLSocket::new(state.schema.clone(), input, protocol).on_connection_init(move |payload| async move {
            let bearer = payload_value(&payload, "authorization").map(|v| {
                v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")).unwrap_or(&v).trim().to_owned()
            });
            let discord_user = payload_value(&payload, "x-lkn-discord-user");
            let viewer =
                identity::authenticate(&init_state.db, bearer.as_deref(), discord_user.as_deref(), chrono::Utc::now())
                    .await
                    .map_err(|e| e.into_graphql())?;
            let mut data = Data::default();
            data.insert(RequestContext::for_subscriptions(init_state.db.clone(), viewer, init_state.events.clone()));
            data.insert(SubscriberCredentials { bearer, discord_user });
            Ok(data)
        });
    futures_util::pin_mut!(messages);
    let mut closing = state.closing.subscribe();
    let mut keepalive = tokio::time::interval(KEEPALIVE);
    keepalive.tick().await;
    let pings = protocol == WebSocketProtocols::GraphQLWS;
    loop {
        tokio::select! {
            message = messages.next() => {
                let Some(message) = message else { break };
                let frame = match message {
                    WsMessage::Text(text) => Message::Text(text.into()),
                    WsMessage::Close(code, reason) => Message::Close(Some(CloseFrame { code, reason: reason.into() })),
                };
                if sink.send(frame).await.is_err() {
                    return;
                }
            }
            _ = keepalive.tick(), if pings => {
                if sink.send(Message::Text(r#"{"type":"ping"}"#.into())).await.is_err() {
                    return;
                }
            }
            () = async { let _ = closing.wait_for(|closing| *closing).await; } => {
                let frame = CloseFrame { code: 1001, reason: "the server is shutting down".into() };
                let _ = sink.send(Message::Close(Some(frame))).await;
                break;
            }
        }
    }
    let _ = sink.close().await;
}
