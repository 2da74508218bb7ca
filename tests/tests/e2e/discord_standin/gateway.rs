//! The stand-in's gateway: Hello, Identify (READY and GUILD_CREATE), Resume, heartbeats,
//! and the WebSocket that carries the dispatch events to the bot.

use std::sync::Arc;

use axum::extract::State;
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::response::Response;
use serde_json::{Value, json};
use tokio::sync::mpsc;

use super::json::{ready_json, text};
use super::state::{GatewaySession, Inner, Shared};
use super::{BOT_TOKEN, HEARTBEAT_INTERVAL_MS, SESSION_ID};

/// What the gateway connection does after a frame from the bot.
enum GatewayReply {
    Nothing,
    Send(String),
    Close(u16, &'static str),
}

impl Inner {
    fn on_gateway_frame(
        &mut self,
        connection: u64,
        frames: &mpsc::UnboundedSender<String>,
        frame: &str,
    ) -> GatewayReply {
        let Ok(frame) = serde_json::from_str::<Value>(frame) else {
            return GatewayReply::Close(4002, "Error while decoding payload.");
        };
        let data = &frame["d"];
        match frame["op"].as_u64() {
            Some(1) => GatewayReply::Send(json!({ "op": 11, "s": null, "t": null, "d": null }).to_string()),
            Some(2 | 6) if text(&data["token"]).trim_start_matches("Bot ") != BOT_TOKEN => {
                GatewayReply::Close(4004, "Authentication failed.")
            }
            Some(2) => {
                self.gateway = Some(GatewaySession { connection, frames: frames.clone() });
                self.intents = data["intents"].as_u64().unwrap_or(0);
                self.sequence = 0;
                let shard = if data["shard"].is_array() { data["shard"].clone() } else { json!([0, 1]) };
                let ready = ready_json(&self.gateway_url, shard);
                self.dispatch("READY", ready);
                let guild = self.guild_json();
                self.dispatch("GUILD_CREATE", guild);
                self.ready = true;
                GatewayReply::Nothing
            }
            Some(6) if text(&data["session_id"]) == SESSION_ID => {
                self.gateway = Some(GatewaySession { connection, frames: frames.clone() });
                self.dispatch("RESUMED", json!({}));
                self.ready = true;
                GatewayReply::Nothing
            }
            Some(6) => GatewayReply::Send(json!({ "op": 9, "s": null, "t": null, "d": false }).to_string()),
            Some(3 | 4 | 8 | 31) => GatewayReply::Nothing,
            _ => GatewayReply::Close(4001, "Unknown opcode."),
        }
    }

    fn disconnect(&mut self, connection: u64) {
        if self.gateway.as_ref().is_some_and(|session| session.connection == connection) {
            self.gateway = None;
            self.ready = false;
        }
    }
}

pub(super) async fn gateway(State(shared): State<Arc<Shared>>, upgrade: WebSocketUpgrade) -> Response {
    upgrade.on_upgrade(move |socket| serve_gateway(shared, socket))
}

async fn serve_gateway(shared: Arc<Shared>, mut socket: WebSocket) {
    let connection = shared.lock().next_id();
    let (frames, mut outgoing) = mpsc::unbounded_channel::<String>();
    let mut shutdown = shared.shutdown.subscribe();
    let hello = json!({ "op": 10, "s": null, "t": null, "d": { "heartbeat_interval": HEARTBEAT_INTERVAL_MS } });
    let mut reply = GatewayReply::Send(hello.to_string());
    loop {
        match reply {
            GatewayReply::Nothing => {}
            GatewayReply::Send(frame) => {
                if socket.send(Message::Text(frame.into())).await.is_err() {
                    break;
                }
            }
            GatewayReply::Close(code, reason) => {
                let _ = socket.send(Message::Close(Some(CloseFrame { code, reason: reason.into() }))).await;
                break;
            }
        }
        reply = tokio::select! {
            received = socket.recv() => match received {
                Some(Ok(Message::Text(frame))) => shared.lock().on_gateway_frame(connection, &frames, frame.as_str()),
                Some(Ok(Message::Close(_)) | Err(_)) | None => break,
                Some(Ok(_)) => GatewayReply::Nothing,
            },
            Some(frame) = outgoing.recv() => GatewayReply::Send(frame),
            _ = shutdown.changed() => GatewayReply::Close(1001, "The stand-in is shutting down."),
        };
    }
    shared.lock().disconnect(connection);
}
