//! A stand-in for Discord: its REST API and its gateway on a loopback port, speaking the dialect of
//! serenity 0.12 closely enough that the real bot runs against it unchanged.
//!
//! Tests play Discord's side (users run slash commands, click buttons, post messages) and inspect
//! what the bot did through the REST calls it recorded. Like Discord, the stand-in refuses what
//! Discord refuses: a second acknowledgement of an interaction (40060), an acknowledgement later
//! than three seconds (10062), a follow-up before the acknowledgement, empty or over-long
//! messages and embeds, malformed command definitions, unknown forum tags, contradictory
//! `allowed_mentions`. It sends `MESSAGE_CREATE` for the bot's own visible messages too, and
//! blanks the content of other users' messages when the bot did not ask for the
//! `MESSAGE_CONTENT` intent.
//!
//! Every request that creates or edits message text is also kept as a [`ContentWrite`]: its
//! `allowed_mentions` as sent and whom Discord would have notified because of it.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::{Value, json};
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

const BOT_TOKEN: &str = "MTMwMDAwMDAwMDAwMDAwMDAwMQ.GstAnd.c3RhbmQtaW4tZm9yLWRpc2NvcmQtaW4tZTJlLXRlc3Rz";
const BOT_NAME: &str = "LKN";
const OWNER_ID: u64 = 1_300_000_000_000_000_002;
const SESSION_ID: &str = "0f1e2d3c4b5a69788796a5b4c3d2e1f0";
const DISCORD_EPOCH_MS: u64 = 1_420_070_400_000;
const JOINED_AT: &str = "2024-11-01T12:00:00.000000+00:00";
const HEARTBEAT_INTERVAL_MS: u64 = 41_250;
const ACKNOWLEDGE_DEADLINE: Duration = Duration::from_secs(3);
/// GATEWAY_MESSAGE_CONTENT_LIMITED | APPLICATION_COMMAND_BADGE
const APPLICATION_FLAGS: u64 = (1 << 19) | (1 << 23);
/// Everything but administrator, as a string the way Discord sends permissions.
const BOT_PERMISSIONS: &str = "2251799813685239";
/// What @everyone may do in a typical community server.
const MEMBER_PERMISSIONS: &str = "2248473465835073";
const INTENT_GUILDS: u64 = 1;
const INTENT_GUILD_MESSAGES: u64 = 1 << 9;
const INTENT_MESSAGE_CONTENT: u64 = 1 << 15;
const FLAG_EPHEMERAL: u64 = 1 << 6;
const FLAG_LOADING: u64 = 1 << 7;
const CHANNEL_TEXT: u64 = 0;
const CHANNEL_PUBLIC_THREAD: u64 = 11;
const CHANNEL_PRIVATE_THREAD: u64 = 12;
const CHANNEL_FORUM: u64 = 15;
const INTERACTION_COMMAND: u64 = 2;
const INTERACTION_COMPONENT: u64 = 3;
const INTERACTION_AUTOCOMPLETE: u64 = 4;
const INTERACTION_MODAL_SUBMIT: u64 = 5;
const FORUM_TAGS: [&str; 8] =
    ["events", "digital", "reading", "funding", "heritage", "wellbeing", "solved", "welsh-language"];
const FIRST_FORUM_TAG_ID: u64 = 1_300_000_000_000_000_101;

/// The fake Discord: REST and gateway on one loopback port. Dropping it stops the servers.
pub struct DiscordStandIn {
    shared: Arc<Shared>,
    base_url: String,
    server: JoinHandle<()>,
}

/// A Discord user who acts in tests (always a member of the guild, never a bot).
#[derive(Clone, Debug)]
pub struct DiscordUser {
    /// The user's snowflake.
    pub id: u64,
    /// The user's username.
    pub name: String,
}

/// An interaction the stand-in delivered: what the bot needs to answer it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Interaction {
    /// The interaction's snowflake.
    pub id: u64,
    /// The interaction's token (used in the callback and webhook paths).
    pub token: String,
}

/// One REST request the bot made, with the stand-in's answer.
#[derive(Clone, Debug)]
pub struct RestCall {
    /// HTTP method, e.g. "POST".
    pub method: String,
    /// Path without the query, e.g. "/api/v10/channels/1/messages".
    pub path: String,
    /// The JSON body, the `payload_json` part of a multipart body, or `Null`.
    pub body: Value,
    /// The status the stand-in answered with.
    pub status: u16,
    /// The JSON the stand-in answered with (`Null` for 204).
    pub response: Value,
}

/// A request that created or edited message text (a message, a forum post's first message, an
/// interaction response or follow-up, an edit), with how Discord would have notified people.
#[derive(Clone, Debug)]
pub struct ContentWrite {
    /// HTTP method, e.g. "POST".
    pub method: String,
    /// Path without the query.
    pub path: String,
    /// The text sent.
    pub content: String,
    /// The message's `allowed_mentions` as sent (for a forum post, its first message's); `Null`
    /// when the request had none, which lets Discord parse every mention.
    pub allowed_mentions: Value,
    /// Whom Discord would notify: `@everyone`, `@here`, `<@id>`, `<@&id>` as written, and
    /// `reply` for the author of a message replied to.
    pub pings: Vec<String>,
}

/// A message as the stand-in stores it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredMessage {
    /// The message's snowflake.
    pub id: u64,
    /// The channel (or thread) it was posted in.
    pub channel_id: u64,
    /// Its text.
    pub content: String,
    /// Who posted it ([`DiscordStandIn::BOT_USER_ID`] for the bot).
    pub author_id: u64,
}

/// A thread created in the forum channel.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ForumPost {
    /// The thread's snowflake (also the id of its first message).
    pub id: u64,
    /// The post's title.
    pub name: String,
    /// The forum tags applied to the post.
    pub applied_tags: Vec<u64>,
    /// The content of the post's first message.
    pub content: String,
}

impl DiscordUser {
    /// A guild member with this id and username.
    pub fn new(id: u64, name: impl Into<String>) -> Self {
        Self { id, name: name.into() }
    }
}

impl DiscordStandIn {
    /// The bot's application; equal to the bot's user id, as for every modern Discord app.
    pub const APPLICATION_ID: u64 = 1_300_000_000_000_000_001;
    /// The bot's user.
    pub const BOT_USER_ID: u64 = Self::APPLICATION_ID;
    /// The only guild, which the bot is in.
    pub const GUILD_ID: u64 = 1_300_000_000_000_000_010;
    /// A forum channel (type 15) with the tags of [`Self::forum_tag_id`].
    pub const FORUM_CHANNEL_ID: u64 = 1_300_000_000_000_000_020;
    /// A text channel (type 0); interactions happen here unless a test says otherwise.
    pub const ANNOUNCE_CHANNEL_ID: u64 = 1_300_000_000_000_000_030;

    /// Starts REST and gateway on 127.0.0.1, on an ephemeral port.
    pub async fn start() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind the Discord stand-in");
        let address = listener.local_addr().expect("the stand-in's address");
        let base_url = format!("http://{address}");
        let (shutdown, _) = watch::channel(false);
        let shared = Arc::new(Shared { inner: Mutex::new(Inner::new(format!("ws://{address}/gateway"))), shutdown });
        let app = Router::new().route("/gateway", get(gateway)).fallback(rest).with_state(Arc::clone(&shared));
        let server = tokio::spawn(async move {
            axum::serve(listener, app).await.expect("serve the Discord stand-in");
        });
        Self { shared, base_url, server }
    }

    /// "http://127.0.0.1:PORT": what the bot passes to `HttpBuilder::proxy`.
    pub fn base_url(&self) -> String {
        self.base_url.clone()
    }

    /// The bot token the stand-in accepts (REST: `Authorization: Bot <token>`; gateway: Identify).
    pub fn bot_token(&self) -> &str {
        BOT_TOKEN
    }

    /// The id of one of the forum's tags ("events", "digital", "reading", "funding", "heritage",
    /// "wellbeing", "solved", "welsh-language"). Panics on another name.
    pub fn forum_tag_id(name: &str) -> u64 {
        let index = FORUM_TAGS.iter().position(|tag| *tag == name).unwrap_or_else(|| panic!("no forum tag {name:?}"));
        FIRST_FORUM_TAG_ID + index as u64
    }

    /// Waits until the bot has identified on the gateway and received READY and GUILD_CREATE.
    pub async fn wait_until_ready(&self, timeout: Duration) -> anyhow::Result<()> {
        let started = Instant::now();
        while !self.shared.lock().ready {
            if started.elapsed() > timeout {
                anyhow::bail!(
                    "the bot did not identify on the stand-in's gateway within {timeout:?}; REST calls so far:\n{}",
                    self.shared.lock().recent_calls()
                );
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        Ok(())
    }

    /// A user runs a slash command in the announce channel. `options` is Discord's `data.options`
    /// array, subcommands nested as Discord nests them.
    pub async fn slash_command(&self, user: &DiscordUser, name: &str, options: Value) -> Interaction {
        self.slash_command_in(user, Self::ANNOUNCE_CHANNEL_ID, name, options).await
    }

    /// A user runs a slash command in a given channel or thread.
    pub async fn slash_command_in(
        &self,
        user: &DiscordUser,
        channel_id: u64,
        name: &str,
        options: Value,
    ) -> Interaction {
        let data = self.shared.lock().command_data(name, 1, json!({ "options": options }));
        self.deliver(INTERACTION_COMMAND, user, channel_id, data, None).await
    }

    /// Sends the same INTERACTION_CREATE again (same id and token), as if Discord redelivered it.
    /// The three-second deadline for acknowledging starts over; an acknowledgement is still
    /// refused with 40060 if the first delivery was acknowledged.
    pub async fn redeliver(&self, interaction: &Interaction) {
        self.expect_ready().await;
        let mut inner = self.shared.lock();
        let record = inner.interactions.get_mut(&interaction.id).expect("redeliver an interaction the stand-in sent");
        record.delivered_at = Instant::now();
        let payload = record.payload.clone();
        inner.dispatch("INTERACTION_CREATE", payload);
    }

    /// A user submits a modal: `fields` are (text input custom_id, value) pairs.
    pub async fn modal_submit(&self, user: &DiscordUser, custom_id: &str, fields: &[(&str, &str)]) -> Interaction {
        let rows: Vec<Value> = fields
            .iter()
            .map(|(id, value)| json!({ "type": 1, "components": [{ "type": 4, "custom_id": id, "value": value }] }))
            .collect();
        let data = json!({ "custom_id": custom_id, "components": rows });
        self.deliver(INTERACTION_MODAL_SUBMIT, user, Self::ANNOUNCE_CHANNEL_ID, data, None).await
    }

    /// A user clicks a button of a message the stand-in knows (posted by the bot, maybe ephemeral).
    pub async fn button_click(
        &self,
        user: &DiscordUser,
        channel_id: u64,
        message_id: u64,
        custom_id: &str,
    ) -> Interaction {
        let message = self.shared.lock().messages.get(&message_id).cloned();
        let message = message
            .filter(|message| snowflake(&message["channel_id"]) == channel_id)
            .unwrap_or_else(|| panic!("no message {message_id} in channel {channel_id} to click a button on"));
        let data = json!({ "custom_id": custom_id, "component_type": 2 });
        self.deliver(INTERACTION_COMPONENT, user, channel_id, data, Some(message)).await
    }

    /// A user runs a message context-menu command on `target`.
    pub async fn message_command(&self, user: &DiscordUser, name: &str, target: &StoredMessage) -> Interaction {
        let data = {
            let mut inner = self.shared.lock();
            let message = inner.messages.get(&target.id).cloned().expect("a message command on a stored message");
            let resolved = json!({ "messages": { target.id.to_string(): message } });
            inner.command_data(name, 3, json!({ "target_id": target.id.to_string(), "resolved": resolved }))
        };
        self.deliver(INTERACTION_COMMAND, user, target.channel_id, data, None).await
    }

    /// A user types into a slash command's option: `options` as in [`Self::slash_command`], the
    /// option being typed carrying `"focused": true` and a string `value`.
    pub async fn autocomplete(&self, user: &DiscordUser, name: &str, options: Value) -> Interaction {
        let data = self.shared.lock().command_data(name, 1, json!({ "options": options }));
        self.deliver(INTERACTION_AUTOCOMPLETE, user, Self::ANNOUNCE_CHANNEL_ID, data, None).await
    }

    /// A user posts a message (sent as MESSAGE_CREATE, and stored so a later GET returns it).
    pub async fn user_message(&self, user: &DiscordUser, channel_id: u64, content: &str) -> StoredMessage {
        self.expect_ready().await;
        let mut inner = self.shared.lock();
        let postable = inner.channels.get(&channel_id).is_some_and(|channel| channel["type"] != CHANNEL_FORUM);
        assert!(postable, "no text channel or thread {channel_id} to post in");
        let id = inner.next_id();
        let message =
            message_json(id, channel_id, user_json(user.id, &user.name, false), &json!({ "content": content }));
        inner.messages.insert(id, message.clone());
        inner.dispatch_message_create(&message);
        stored(&message)
    }

    /// Every REST call received, in order (unknown routes included, answered 404).
    pub fn calls(&self) -> Vec<RestCall> {
        self.shared.lock().calls.clone()
    }

    /// Every request that created or edited message text, in order, refused ones included.
    pub fn content_writes(&self) -> Vec<ContentWrite> {
        self.shared.lock().content_writes.clone()
    }

    /// Polls until a recorded call (from the start) satisfies `pred`; the error names `what` and
    /// lists the recent calls.
    pub async fn wait_for_call(
        &self,
        what: &str,
        timeout: Duration,
        pred: impl Fn(&RestCall) -> bool,
    ) -> anyhow::Result<RestCall> {
        let started = Instant::now();
        loop {
            if let Some(call) = self.shared.lock().calls.iter().find(|call| pred(call)) {
                return Ok(call.clone());
            }
            if started.elapsed() > timeout {
                anyhow::bail!(
                    "timed out after {timeout:?} waiting for {what}; recent REST calls:\n{}",
                    self.shared.lock().recent_calls()
                );
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// How many dispatch events (op 0) the gateway has sent, READY and GUILD_CREATE included.
    pub fn events_sent(&self) -> usize {
        self.shared.lock().events_sent
    }

    /// The threads created in the forum channel, oldest first.
    pub fn forum_posts(&self) -> Vec<ForumPost> {
        let inner = self.shared.lock();
        inner
            .channels
            .values()
            .filter(|channel| snowflake(&channel["parent_id"]) == Self::FORUM_CHANNEL_ID)
            .map(|thread| {
                let id = snowflake(&thread["id"]);
                ForumPost {
                    id,
                    name: text(&thread["name"]).to_owned(),
                    applied_tags: snowflakes(&thread["applied_tags"]),
                    content: inner
                        .messages
                        .get(&id)
                        .map(|message| text(&message["content"]).to_owned())
                        .unwrap_or_default(),
                }
            })
            .collect()
    }

    /// The messages everyone can see in a channel or thread, oldest first (not ephemeral ones,
    /// nor a deferred response still "thinking").
    pub fn channel_messages(&self, channel_id: u64) -> Vec<StoredMessage> {
        self.shared
            .lock()
            .messages
            .values()
            .filter(|message| snowflake(&message["channel_id"]) == channel_id && visible(message))
            .map(stored)
            .collect()
    }

    async fn expect_ready(&self) {
        self.wait_until_ready(Duration::from_secs(10)).await.expect("the bot is connected to the stand-in's gateway");
    }

    async fn deliver(
        &self,
        kind: u64,
        user: &DiscordUser,
        channel_id: u64,
        data: Value,
        message: Option<Value>,
    ) -> Interaction {
        self.expect_ready().await;
        let mut inner = self.shared.lock();
        let channel = inner.channels.get(&channel_id).cloned().unwrap_or_else(|| panic!("no channel {channel_id}"));
        let id = inner.next_id();
        let token = format!("aW50ZXJhY3Rpb246{id}OnN0YW5kLWlu");
        let mut payload = interaction_json(kind, id, &token, user, channel, data);
        if let Some(message) = message {
            payload["message"] = message;
        }
        let record = InteractionRecord {
            token: token.clone(),
            kind,
            channel_id,
            payload: payload.clone(),
            delivered_at: Instant::now(),
            acknowledged: false,
            original: None,
        };
        inner.interactions.insert(id, record);
        inner.dispatch("INTERACTION_CREATE", payload);
        Interaction { id, token }
    }
}

impl Drop for DiscordStandIn {
    fn drop(&mut self) {
        self.shared.shutdown.send_replace(true);
        self.server.abort();
    }
}

/// What the test, the REST handler and the gateway connections share.
struct Shared {
    inner: Mutex<Inner>,
    shutdown: watch::Sender<bool>,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Discord's state as the stand-in knows it.
struct Inner {
    gateway_url: String,
    last_id: u64,
    calls: Vec<RestCall>,
    content_writes: Vec<ContentWrite>,
    gateway: Option<GatewaySession>,
    intents: u64,
    ready: bool,
    sequence: u64,
    events_sent: usize,
    channels: BTreeMap<u64, Value>,
    messages: BTreeMap<u64, Value>,
    interactions: HashMap<u64, InteractionRecord>,
    commands: BTreeMap<Option<u64>, Vec<Value>>,
}

/// The bot's identified gateway connection, where dispatch events go.
struct GatewaySession {
    connection: u64,
    frames: mpsc::UnboundedSender<String>,
}

/// An interaction delivered to the bot, and what became of it.
struct InteractionRecord {
    token: String,
    kind: u64,
    channel_id: u64,
    payload: Value,
    delivered_at: Instant,
    acknowledged: bool,
    original: Option<u64>,
}

/// What the gateway connection does after a frame from the bot.
enum GatewayReply {
    Nothing,
    Send(String),
    Close(u16, &'static str),
}

/// A REST answer: status and JSON (`Null` for an empty body).
type Reply = (StatusCode, Value);

impl Inner {
    fn new(gateway_url: String) -> Self {
        let forum = json!({
            "id": DiscordStandIn::FORUM_CHANNEL_ID.to_string(),
            "type": CHANNEL_FORUM,
            "guild_id": DiscordStandIn::GUILD_ID.to_string(),
            "name": "knowledge-exchange",
            "position": 1,
            "permission_overwrites": [],
            "parent_id": null,
            "nsfw": false,
            "topic": "Ask the network; share what you know.",
            "rate_limit_per_user": 0,
            "last_message_id": null,
            "flags": 0,
            "available_tags": FORUM_TAGS.iter().map(|name| json!({
                "id": DiscordStandIn::forum_tag_id(name).to_string(),
                "name": name,
                "moderated": false,
                "emoji_id": null,
                "emoji_name": null,
            })).collect::<Vec<_>>(),
            "default_reaction_emoji": null,
            "default_thread_rate_limit_per_user": 0,
            "default_sort_order": null,
            "default_forum_layout": 1,
        });
        let announce = json!({
            "id": DiscordStandIn::ANNOUNCE_CHANNEL_ID.to_string(),
            "type": CHANNEL_TEXT,
            "guild_id": DiscordStandIn::GUILD_ID.to_string(),
            "name": "announcements",
            "position": 0,
            "permission_overwrites": [],
            "parent_id": null,
            "nsfw": false,
            "topic": null,
            "rate_limit_per_user": 0,
            "last_message_id": null,
            "flags": 0,
        });
        let channels = BTreeMap::from([
            (DiscordStandIn::FORUM_CHANNEL_ID, forum),
            (DiscordStandIn::ANNOUNCE_CHANNEL_ID, announce),
        ]);
        Self {
            gateway_url,
            last_id: 0,
            calls: Vec::new(),
            content_writes: Vec::new(),
            gateway: None,
            intents: 0,
            ready: false,
            sequence: 0,
            events_sent: 0,
            channels,
            messages: BTreeMap::new(),
            interactions: HashMap::new(),
            commands: BTreeMap::new(),
        }
    }

    /// A fresh snowflake: the current time since Discord's epoch, strictly increasing.
    fn next_id(&mut self) -> u64 {
        let now_ms = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |now| now.as_millis() as u64);
        self.last_id = (self.last_id + 1).max(now_ms.saturating_sub(DISCORD_EPOCH_MS) << 22);
        self.last_id
    }

    /// The last 20 calls, one a line: request body, status and, for refusals, Discord's error.
    fn recent_calls(&self) -> String {
        let shortened = |value: &Value| {
            let value = value.to_string();
            if value.chars().count() > 300 {
                format!("{}…", value.chars().take(300).collect::<String>())
            } else {
                value
            }
        };
        let start = self.calls.len().saturating_sub(20);
        let lines: Vec<String> = self.calls[start..]
            .iter()
            .map(|call| {
                let refusal = if call.status >= 400 { shortened(&call.response) } else { String::new() };
                format!("  {} {} {} -> {} {refusal}", call.method, call.path, shortened(&call.body), call.status)
            })
            .collect();
        if lines.is_empty() { "  (none)".to_owned() } else { lines.join("\n") }
    }

    /// Sends a dispatch event on the gateway, if the bot is connected.
    fn dispatch(&mut self, event: &str, data: Value) {
        let Some(session) = &self.gateway else { return };
        self.sequence += 1;
        let frame = json!({ "op": 0, "s": self.sequence, "t": event, "d": data });
        if session.frames.send(frame.to_string()).is_ok() {
            self.events_sent += 1;
        }
    }

    fn dispatch_message_create(&mut self, message: &Value) {
        if self.intents & INTENT_GUILD_MESSAGES == 0 || !visible(message) {
            return;
        }
        let mut event = message.clone();
        let from_bot = snowflake(&message["author"]["id"]) == DiscordStandIn::BOT_USER_ID;
        let mentions_bot = message["mentions"]
            .as_array()
            .is_some_and(|users| users.iter().any(|user| snowflake(&user["id"]) == DiscordStandIn::BOT_USER_ID));
        if self.intents & INTENT_MESSAGE_CONTENT == 0 && !from_bot && !mentions_bot {
            event["content"] = json!("");
            for field in ["embeds", "attachments", "components"] {
                event[field] = json!([]);
            }
        }
        event["guild_id"] = json!(DiscordStandIn::GUILD_ID.to_string());
        if message["webhook_id"].is_null() {
            event["member"] = member_json(None);
        }
        self.dispatch("MESSAGE_CREATE", event);
    }

    fn dispatch_thread_event(&mut self, event: &str, thread: &Value) {
        if self.intents & INTENT_GUILDS != 0 {
            self.dispatch(event, thread.clone());
        }
    }

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

    fn guild_json(&self) -> Value {
        let (threads, channels): (Vec<Value>, Vec<Value>) = self.channels.values().cloned().partition(is_thread);
        let guild = json!({
            "id": DiscordStandIn::GUILD_ID.to_string(),
            "name": "Living Knowledge Network",
            "icon": null,
            "icon_hash": null,
            "splash": null,
            "discovery_splash": null,
            "owner_id": OWNER_ID.to_string(),
            "afk_channel_id": null,
            "afk_timeout": 300,
            "widget_enabled": false,
            "widget_channel_id": null,
            "verification_level": 1,
            "default_message_notifications": 1,
            "explicit_content_filter": 2,
            "roles": [{
                "id": DiscordStandIn::GUILD_ID.to_string(),
                "name": "@everyone",
                "color": 0,
                "colors": { "primary_color": 0, "secondary_color": null, "tertiary_color": null },
                "hoist": false,
                "icon": null,
                "unicode_emoji": null,
                "position": 0,
                "permissions": MEMBER_PERMISSIONS,
                "managed": false,
                "mentionable": false,
                "flags": 0,
            }],
            "emojis": [],
            "features": ["COMMUNITY", "NEWS"],
            "mfa_level": 0,
            "application_id": null,
            "system_channel_id": DiscordStandIn::ANNOUNCE_CHANNEL_ID.to_string(),
            "system_channel_flags": 0,
            "rules_channel_id": null,
            "max_presences": null,
            "max_members": 500_000,
            "vanity_url_code": null,
            "description": null,
            "banner": null,
            "premium_tier": 0,
            "premium_subscription_count": 0,
            "preferred_locale": "en-GB",
            "public_updates_channel_id": null,
            "max_video_channel_users": 25,
            "max_stage_video_channel_users": 50,
            "nsfw_level": 0,
            "stickers": [],
            "premium_progress_bar_enabled": false,
        });
        let gateway_extras = json!({
            "safety_alerts_channel_id": null,
            "incidents_data": null,
            "joined_at": JOINED_AT,
            "large": false,
            "unavailable": false,
            "member_count": 2,
            "voice_states": [],
            "members": [member_json(Some(bot_user_json()))],
            "channels": channels,
            "threads": threads,
            "presences": [],
            "stage_instances": [],
            "guild_scheduled_events": [],
        });
        merged(guild, &gateway_extras)
    }

    /// `data` of an application command interaction: id, name and type, plus `extra` fields.
    fn command_data(&mut self, name: &str, kind: u64, extra: Value) -> Value {
        let registered = self.commands.iter().find_map(|(guild, commands)| {
            commands.iter().find(|command| command["name"] == name).map(|command| (*guild, snowflake(&command["id"])))
        });
        let (guild, id) = match registered {
            Some(found) => found,
            None => (None, self.next_id()),
        };
        let mut data = json!({ "id": id.to_string(), "name": name, "type": kind });
        if let Some(guild) = guild {
            data["guild_id"] = json!(guild.to_string());
        }
        merged(data, &extra)
    }

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
            ("GET", ["guilds", g, "channels"]) if *g == guild => {
                ok(json!(self.channels.values().filter(|channel| !is_thread(channel)).collect::<Vec<_>>()))
            }
            ("GET", ["guilds", g, "threads", "active"]) if *g == guild => ok(json!({
                "threads": self.channels.values().filter(|channel| is_thread(channel)).collect::<Vec<_>>(),
                "members": [],
            })),
            _ => not_found(),
        }
    }

    fn commands_in(&self, guild: Option<u64>) -> Vec<Value> {
        self.commands.get(&guild).cloned().unwrap_or_default()
    }

    /// PUT of a command list: validated as Discord validates it, answered as Command objects.
    fn set_commands(&mut self, guild: Option<u64>, body: &Value) -> Reply {
        let Some(definitions) = body.as_array() else {
            return invalid_form(vec![("_".to_owned(), "Expected an array of application commands.".to_owned())]);
        };
        let mut problems = Vec::new();
        for (index, definition) in definitions.iter().enumerate() {
            check_command(definition, &index.to_string(), &mut problems);
        }
        if !problems.is_empty() {
            return invalid_form(problems);
        }
        let previous = self.commands_in(guild);
        let mut commands = Vec::new();
        for definition in definitions {
            let id = previous
                .iter()
                .find(|command| {
                    command["name"] == definition["name"]
                        && command["type"].as_u64() == Some(definition["type"].as_u64().unwrap_or(1))
                })
                .map_or_else(|| self.next_id(), |command| snowflake(&command["id"]));
            let mut command = json!({
                "id": id.to_string(),
                "application_id": DiscordStandIn::APPLICATION_ID.to_string(),
                "version": self.next_id().to_string(),
                "type": 1,
                "description": "",
                "options": [],
                "default_member_permissions": null,
                "nsfw": false,
                "integration_types": [0],
                "contexts": null,
            });
            command["guild_id"] = guild.map_or(Value::Null, |guild| json!(guild.to_string()));
            if guild.is_none() {
                command["dm_permission"] = json!(true);
            }
            commands.push(merged(command, definition));
        }
        self.commands.insert(guild, commands.clone());
        ok(json!(commands))
    }

    fn acknowledge(&mut self, id: u64, token: &str, body: &Value) -> Reply {
        let Some(record) = self.interactions.get(&id).filter(|record| record.token == token) else {
            return unknown("interaction", 10062);
        };
        if record.delivered_at.elapsed() > ACKNOWLEDGE_DEADLINE {
            return unknown("interaction", 10062);
        }
        if record.acknowledged {
            return error(StatusCode::BAD_REQUEST, 40060, "Interaction has already been acknowledged.");
        }
        let response_type = body["type"].as_u64().unwrap_or(0);
        let allowed: &[u64] = match record.kind {
            INTERACTION_AUTOCOMPLETE => &[8],
            INTERACTION_COMPONENT => &[4, 5, 6, 7, 9],
            INTERACTION_MODAL_SUBMIT => &[4, 5, 6, 7],
            _ => &[4, 5, 9],
        };
        if !allowed.contains(&response_type) {
            let problem = format!("Interaction response type {response_type} is invalid for this interaction");
            return invalid_form(vec![("type".to_owned(), problem)]);
        }
        let data = &body["data"];
        if response_type == 4
            && let Some(refusal) = message_problems(data, true)
        {
            return refusal;
        }
        let channel_id = record.channel_id;
        let component_message = snowflake(&record.payload["message"]["id"]);
        let original = match response_type {
            4 | 5 => {
                let id = self.next_id();
                let mut message = message_json(id, channel_id, bot_user_json(), data);
                message["type"] = json!(20);
                message["webhook_id"] = json!(DiscordStandIn::APPLICATION_ID.to_string());
                message["application_id"] = json!(DiscordStandIn::APPLICATION_ID.to_string());
                if response_type == 5 {
                    message["content"] = json!("");
                    message["flags"] = json!(FLAG_LOADING | (data["flags"].as_u64().unwrap_or(0) & FLAG_EPHEMERAL));
                }
                self.messages.insert(id, message.clone());
                self.dispatch_message_create(&message);
                Some(id)
            }
            7 => {
                if let Some(message) = self.messages.get_mut(&component_message) {
                    edit_message(message, data);
                }
                None
            }
            _ => None,
        };
        if let Some(record) = self.interactions.get_mut(&id) {
            record.acknowledged = true;
            record.original = original;
        }
        no_content()
    }

    /// The interaction a webhook token belongs to, if it has been acknowledged.
    fn acknowledged_interaction(&self, token: &str) -> Option<&InteractionRecord> {
        self.interactions.values().find(|record| record.token == token && record.acknowledged)
    }

    /// POST /webhooks/{app}/{token}: the first follow-up after a deferral fills the deferred
    /// ("thinking") response; later ones are new messages.
    fn follow_up(&mut self, token: &str, body: &Value) -> Reply {
        let Some(record) = self.acknowledged_interaction(token) else { return unknown("Webhook", 10015) };
        if let Some(refusal) = message_problems(body, true) {
            return refusal;
        }
        let channel_id = record.channel_id;
        let deferred = record
            .original
            .filter(|id| self.messages.get(id).is_some_and(|message| flags(message) & FLAG_LOADING != 0));
        let message = match deferred.and_then(|id| self.messages.get_mut(&id)) {
            Some(message) => {
                edit_message(message, body);
                message["flags"] = json!(flags(message) & FLAG_EPHEMERAL);
                message["edited_timestamp"] = Value::Null;
                message.clone()
            }
            None => {
                let id = self.next_id();
                let mut message = message_json(id, channel_id, bot_user_json(), body);
                message["type"] = json!(20);
                message["webhook_id"] = json!(DiscordStandIn::APPLICATION_ID.to_string());
                message["application_id"] = json!(DiscordStandIn::APPLICATION_ID.to_string());
                self.messages.insert(id, message.clone());
                message
            }
        };
        self.dispatch_message_create(&message);
        ok(message)
    }

    /// GET, PATCH, DELETE of /webhooks/{app}/{token}/messages/{@original or id}.
    fn webhook_message(&mut self, method: &Method, token: &str, message: &str, body: &Value) -> Reply {
        let Some(record) = self.acknowledged_interaction(token) else { return unknown("Webhook", 10015) };
        let id = if message == "@original" { record.original.unwrap_or(0) } else { snowflake_str(message) };
        if !self.messages.contains_key(&id) {
            return unknown("Message", 10008);
        }
        match method.as_str() {
            "GET" => ok(self.messages[&id].clone()),
            "PATCH" => {
                if let Some(refusal) = message_problems(body, false) {
                    return refusal;
                }
                let Some(message) = self.messages.get_mut(&id) else { return unknown("Message", 10008) };
                edit_message(message, body);
                message["flags"] = json!(flags(message) & !FLAG_LOADING);
                ok(message.clone())
            }
            "DELETE" => {
                self.messages.remove(&id);
                no_content()
            }
            _ => not_found(),
        }
    }

    fn channel(&self, id: u64) -> Option<Value> {
        self.channels.get(&id).cloned()
    }

    /// PATCH /channels/{id}: rename, retag, archive or lock a thread; rename or retopic a channel.
    fn edit_channel(&mut self, id: u64, body: &Value) -> Reply {
        let Some(channel) = self.channels.get(&id) else { return unknown_channel() };
        let mut problems = Vec::new();
        if let Some(name) = body["name"].as_str() {
            check_length(name, 1, 100, "name", &mut problems);
        }
        if !body["applied_tags"].is_null() {
            check_tags(&body["applied_tags"], &mut problems);
        }
        if !problems.is_empty() {
            return invalid_form(problems);
        }
        let mut channel = channel.clone();
        for field in ["name", "topic", "applied_tags", "rate_limit_per_user"] {
            if !body[field].is_null() {
                channel[field] = body[field].clone();
            }
        }
        if is_thread(&channel) {
            for field in ["archived", "locked", "auto_archive_duration"] {
                if !body[field].is_null() {
                    channel["thread_metadata"][field] = body[field].clone();
                }
            }
        }
        self.channels.insert(id, channel.clone());
        if is_thread(&channel) {
            self.dispatch_thread_event("THREAD_UPDATE", &channel);
        }
        ok(channel)
    }

    /// POST /channels/{id}/threads: a forum post (with its first message) or a thread without one.
    fn create_thread(&mut self, parent_id: u64, body: &Value) -> Reply {
        let Some(parent) = self.channels.get(&parent_id) else { return unknown_channel() };
        let forum = parent["type"] == CHANNEL_FORUM;
        if !forum && parent["type"] != CHANNEL_TEXT {
            return error(StatusCode::BAD_REQUEST, 50024, "Cannot execute action on this channel type");
        }
        let mut problems = Vec::new();
        check_length(text(&body["name"]), 1, 100, "name", &mut problems);
        if forum {
            check_tags(&body["applied_tags"], &mut problems);
            if !body["message"].is_object() {
                problems.push(("message".to_owned(), "This field is required".to_owned()));
            }
        }
        if !problems.is_empty() {
            return invalid_form(problems);
        }
        if forum && let Some(refusal) = message_problems(&body["message"], true) {
            return refusal;
        }
        let id = self.next_id();
        let now = now_timestamp();
        let kind = if forum { CHANNEL_PUBLIC_THREAD } else { body["type"].as_u64().unwrap_or(CHANNEL_PRIVATE_THREAD) };
        let mut thread = json!({
            "id": id.to_string(),
            "type": kind,
            "guild_id": DiscordStandIn::GUILD_ID.to_string(),
            "parent_id": parent_id.to_string(),
            "owner_id": DiscordStandIn::BOT_USER_ID.to_string(),
            "name": body["name"],
            "last_message_id": if forum { json!(id.to_string()) } else { Value::Null },
            "rate_limit_per_user": body["rate_limit_per_user"].as_u64().unwrap_or(0),
            "flags": 0,
            "applied_tags": body["applied_tags"],
            "message_count": 0,
            "member_count": 1,
            "total_message_sent": u64::from(forum),
            "thread_metadata": {
                "archived": false,
                "auto_archive_duration": body["auto_archive_duration"].as_u64().unwrap_or(4320),
                "archive_timestamp": now,
                "locked": false,
                "create_timestamp": now,
            },
        });
        if !thread["applied_tags"].is_array() {
            thread["applied_tags"] = json!([]);
        }
        self.channels.insert(id, thread.clone());
        let mut event = thread.clone();
        event["newly_created"] = json!(true);
        self.dispatch_thread_event("THREAD_CREATE", &event);
        if forum {
            let message = message_json(id, id, bot_user_json(), &body["message"]);
            self.messages.insert(id, message.clone());
            self.dispatch_message_create(&message);
            thread["message"] = message;
        }
        ok(thread)
    }

    /// GET /channels/{id}/messages: newest first, as Discord lists them.
    fn list_messages(&self, channel_id: u64) -> Reply {
        if !self.channels.contains_key(&channel_id) {
            return unknown_channel();
        }
        let messages: Vec<&Value> = self
            .messages
            .values()
            .rev()
            .filter(|message| snowflake(&message["channel_id"]) == channel_id && visible(message))
            .collect();
        ok(json!(messages))
    }

    fn create_message(&mut self, channel_id: u64, body: &Value) -> Reply {
        let Some(channel) = self.channels.get(&channel_id) else { return unknown_channel() };
        if channel["type"] == CHANNEL_FORUM {
            return error(StatusCode::BAD_REQUEST, 50024, "Cannot execute action on this channel type");
        }
        if let Some(refusal) = message_problems(body, true) {
            return refusal;
        }
        let id = self.next_id();
        let message = message_json(id, channel_id, bot_user_json(), body);
        self.messages.insert(id, message.clone());
        self.dispatch_message_create(&message);
        ok(message)
    }

    /// GET, PATCH, DELETE of /channels/{id}/messages/{message}.
    fn channel_message(&mut self, method: &Method, channel_id: u64, id: u64, body: &Value) -> Reply {
        let Some(message) =
            self.messages.get_mut(&id).filter(|message| snowflake(&message["channel_id"]) == channel_id)
        else {
            return unknown("Message", 10008);
        };
        match method.as_str() {
            "GET" => ok(message.clone()),
            "PATCH" if snowflake(&message["author"]["id"]) != DiscordStandIn::BOT_USER_ID => {
                error(StatusCode::FORBIDDEN, 50005, "Cannot edit a message authored by another user")
            }
            "PATCH" => match message_problems(body, false) {
                Some(refusal) => refusal,
                None => {
                    edit_message(message, body);
                    ok(message.clone())
                }
            },
            "DELETE" => {
                self.messages.remove(&id);
                no_content()
            }
            _ => not_found(),
        }
    }
}

async fn rest(
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
    let (status, response) = {
        let mut inner = shared.lock();
        let (status, response) = inner.handle(&method, &path, &body, authorized);
        if let Some(write) = content_write(&method, &path, &body) {
            inner.content_writes.push(write);
        }
        let call =
            RestCall { method: method.to_string(), path, body, status: status.as_u16(), response: response.clone() };
        inner.calls.push(call);
        (status, response)
    };
    if response.is_null() { status.into_response() } else { (status, axum::Json(response)).into_response() }
}

async fn gateway(State(shared): State<Arc<Shared>>, upgrade: WebSocketUpgrade) -> Response {
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

fn ok(value: Value) -> Reply {
    (StatusCode::OK, value)
}

fn no_content() -> Reply {
    (StatusCode::NO_CONTENT, Value::Null)
}

fn error(status: StatusCode, code: u64, message: &str) -> Reply {
    (status, json!({ "message": message, "code": code }))
}

fn not_found() -> Reply {
    error(StatusCode::NOT_FOUND, 0, "404: Not Found")
}

fn unknown(what: &str, code: u64) -> Reply {
    error(StatusCode::NOT_FOUND, code, &format!("Unknown {what}"))
}

fn unknown_channel() -> Reply {
    unknown("Channel", 10003)
}

/// Discord's 50035 "Invalid Form Body", one error per (path, problem).
fn invalid_form(problems: Vec<(String, String)>) -> Reply {
    let errors: serde_json::Map<String, Value> = problems
        .into_iter()
        .map(|(path, message)| (path, json!({ "_errors": [{ "code": "BASE_TYPE_INVALID", "message": message }] })))
        .collect();
    (StatusCode::BAD_REQUEST, json!({ "message": "Invalid Form Body", "code": 50035, "errors": errors }))
}

fn check_length(value: &str, min: usize, max: usize, path: &str, problems: &mut Vec<(String, String)>) {
    let length = value.chars().count();
    if !(min..=max).contains(&length) {
        problems.push((path.to_owned(), format!("Must be between {min} and {max} in length (was {length}).")));
    }
}

/// A command definition as Discord checks it on registration: names, descriptions, option
/// counts and order.
fn check_command(command: &Value, path: &str, problems: &mut Vec<(String, String)>) {
    let chat_input = command["type"].as_u64().unwrap_or(1) == 1;
    check_name(command, path, chat_input, problems);
    let description = text(&command["description"]);
    if chat_input {
        check_length(description, 1, 100, &format!("{path}.description"), problems);
    } else if !description.is_empty() {
        problems.push((format!("{path}.description"), "Context menu commands cannot have a description".to_owned()));
    }
    check_options(&command["options"], path, problems);
}

fn check_options(options: &Value, path: &str, problems: &mut Vec<(String, String)>) {
    let Some(options) = options.as_array() else { return };
    if options.len() > 25 {
        problems.push((format!("{path}.options"), "Must be 25 or fewer in length.".to_owned()));
    }
    let mut optional_seen = false;
    for (index, option) in options.iter().enumerate() {
        let path = format!("{path}.options.{index}");
        check_name(option, &path, true, problems);
        check_length(text(&option["description"]), 1, 100, &format!("{path}.description"), problems);
        if !matches!(option["type"].as_u64(), Some(1 | 2)) {
            let required = option["required"].as_bool().unwrap_or(false);
            if required && optional_seen {
                problems.push((
                    format!("{path}.required"),
                    "Required options must be placed before non-required options".to_owned(),
                ));
            }
            optional_seen |= !required;
        }
        if option["choices"].as_array().is_some_and(|choices| choices.len() > 25) {
            problems.push((format!("{path}.choices"), "Must be 25 or fewer in length.".to_owned()));
        }
        check_options(&option["options"], &path, problems);
    }
}

fn check_name(value: &Value, path: &str, chat_input: bool, problems: &mut Vec<(String, String)>) {
    let name = text(&value["name"]);
    let length = name.chars().count();
    let well_formed =
        !chat_input || name.chars().all(|c| c == '-' || c == '_' || (c.is_alphanumeric() && !c.is_uppercase()));
    if !(1..=32).contains(&length) || !well_formed {
        problems.push((format!("{path}.name"), format!("Invalid application command name {name:?}")));
    }
}

fn check_tags(tags: &Value, problems: &mut Vec<(String, String)>) {
    let tags = tags.as_array().map(Vec::as_slice).unwrap_or_default();
    if tags.len() > 5 {
        problems.push(("applied_tags".to_owned(), "Must be 5 or fewer in length.".to_owned()));
    }
    let known = FIRST_FORUM_TAG_ID..FIRST_FORUM_TAG_ID + FORUM_TAGS.len() as u64;
    for (index, tag) in tags.iter().enumerate() {
        if !known.contains(&snowflake(tag)) {
            problems.push((format!("applied_tags.{index}"), format!("Unknown forum tag {tag}")));
        }
    }
}

/// The message text a request creates or edits, as a [`ContentWrite`]; `None` for any other
/// request.
fn content_write(method: &Method, path: &str, body: &Value) -> Option<ContentWrite> {
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

/// Discord's refusals of a message body: over-long content or embeds, `allowed_mentions` that
/// both parses a kind of mention and lists some of it, and, when creating, an empty message.
fn message_problems(body: &Value, creating: bool) -> Option<Reply> {
    let content = text(&body["content"]);
    let mut problems = Vec::new();
    check_length(content, 0, 2000, "content", &mut problems);
    let allowed = &body["allowed_mentions"];
    for (kind, field) in [("users", "users"), ("roles", "roles")] {
        let parsed = allowed["parse"].as_array().is_some_and(|parse| parse.iter().any(|p| p == kind));
        let listed = allowed[field].as_array().is_some_and(|ids| !ids.is_empty());
        if parsed && listed {
            problems.push((
                format!("allowed_mentions.{field}"),
                format!("parse:[\"{kind}\"] and {field}: [ids] are mutually exclusive."),
            ));
        }
    }
    let embeds = body["embeds"].as_array().map(Vec::as_slice).unwrap_or_default();
    if embeds.len() > 10 {
        problems.push(("embeds".to_owned(), "Must be 10 or fewer in length.".to_owned()));
    }
    for (index, embed) in embeds.iter().enumerate() {
        let fields = embed["fields"].as_array().map(Vec::as_slice).unwrap_or_default();
        let mut limits = vec![
            ("title".to_owned(), &embed["title"], 256),
            ("description".to_owned(), &embed["description"], 4096),
            ("footer.text".to_owned(), &embed["footer"]["text"], 2048),
            ("author.name".to_owned(), &embed["author"]["name"], 256),
        ];
        for (field_index, field) in fields.iter().enumerate() {
            limits.push((format!("fields.{field_index}.name"), &field["name"], 256));
            limits.push((format!("fields.{field_index}.value"), &field["value"], 1024));
        }
        let total: usize = limits.iter().map(|(_, value, _)| text(value).chars().count()).sum();
        for (path, value, max) in limits {
            check_length(text(value), 0, max, &format!("embeds.{index}.{path}"), &mut problems);
        }
        if fields.len() > 25 {
            problems.push((format!("embeds.{index}.fields"), "Must be 25 or fewer in length.".to_owned()));
        }
        if total > 6000 {
            problems.push((format!("embeds.{index}"), "Embed size exceeds maximum size of 6000".to_owned()));
        }
    }
    if !problems.is_empty() {
        return Some(invalid_form(problems));
    }
    let nothing_else = ["embeds", "components", "attachments", "sticker_ids"]
        .iter()
        .all(|field| body[*field].as_array().is_none_or(Vec::is_empty));
    let empty = content.is_empty() && nothing_else && body["poll"].is_null();
    (creating && empty).then(|| error(StatusCode::BAD_REQUEST, 50006, "Cannot send an empty message"))
}

fn edit_message(message: &mut Value, body: &Value) {
    for field in ["content", "embeds", "components", "attachments"] {
        if !body[field].is_null() {
            message[field] = body[field].clone();
        }
    }
    message["mentions"] = mentions(text(&message["content"]));
    message["edited_timestamp"] = json!(now_timestamp());
}

/// `base` with the non-null fields of `extra` added or replaced.
fn merged(mut base: Value, extra: &Value) -> Value {
    if let (Some(base), Some(extra)) = (base.as_object_mut(), extra.as_object()) {
        base.extend(
            extra.iter().filter(|(_, value)| !value.is_null()).map(|(key, value)| (key.clone(), value.clone())),
        );
    }
    base
}

fn now_timestamp() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, false)
}

fn text(value: &Value) -> &str {
    value.as_str().unwrap_or("")
}

fn snowflake(value: &Value) -> u64 {
    snowflake_str(text(value))
}

fn snowflake_str(value: &str) -> u64 {
    value.parse().unwrap_or(0)
}

fn snowflakes(value: &Value) -> Vec<u64> {
    value.as_array().map(|values| values.iter().map(snowflake).collect()).unwrap_or_default()
}

fn flags(message: &Value) -> u64 {
    message["flags"].as_u64().unwrap_or(0)
}

/// Whether everyone in the channel sees the message: not ephemeral, not a deferral "thinking".
fn visible(message: &Value) -> bool {
    flags(message) & (FLAG_EPHEMERAL | FLAG_LOADING) == 0
}

fn is_thread(channel: &Value) -> bool {
    matches!(channel["type"].as_u64(), Some(CHANNEL_PUBLIC_THREAD | CHANNEL_PRIVATE_THREAD))
}

fn stored(message: &Value) -> StoredMessage {
    StoredMessage {
        id: snowflake(&message["id"]),
        channel_id: snowflake(&message["channel_id"]),
        content: text(&message["content"]).to_owned(),
        author_id: snowflake(&message["author"]["id"]),
    }
}

fn user_json(id: u64, name: &str, bot: bool) -> Value {
    json!({
        "id": id.to_string(),
        "username": name,
        "discriminator": if bot { "4021" } else { "0" },
        "global_name": if bot { Value::Null } else { json!(name) },
        "avatar": null,
        "bot": bot,
        "public_flags": 0,
        "flags": 0,
        "banner": null,
        "accent_color": null,
        "avatar_decoration_data": null,
    })
}

fn bot_user_json() -> Value {
    let mut user = user_json(DiscordStandIn::BOT_USER_ID, BOT_NAME, true);
    user["verified"] = json!(true);
    user["mfa_enabled"] = json!(false);
    user["email"] = Value::Null;
    user
}

/// A guild member; `user` is left out in MESSAGE_CREATE, where the message's author is the user.
fn member_json(user: Option<Value>) -> Value {
    let mut member = json!({
        "nick": null,
        "avatar": null,
        "banner": null,
        "roles": [],
        "joined_at": JOINED_AT,
        "premium_since": null,
        "deaf": false,
        "mute": false,
        "flags": 0,
        "pending": false,
        "communication_disabled_until": null,
    });
    if let Some(user) = user {
        member["user"] = user;
    }
    member
}

fn mentions(content: &str) -> Value {
    let bot = format!("<@{}>", DiscordStandIn::BOT_USER_ID);
    if content.contains(&bot) { json!([bot_user_json()]) } else { json!([]) }
}

/// A message as the REST API returns it; `body` supplies content, embeds, components, flags and
/// a reply's message_reference.
fn message_json(id: u64, channel_id: u64, author: Value, body: &Value) -> Value {
    let content = text(&body["content"]);
    let reply = body["message_reference"].is_object();
    let list = |field: &str| if body[field].is_array() { body[field].clone() } else { json!([]) };
    json!({
        "id": id.to_string(),
        "channel_id": channel_id.to_string(),
        "author": author,
        "content": content,
        "timestamp": now_timestamp(),
        "edited_timestamp": null,
        "tts": false,
        "mention_everyone": false,
        "mentions": mentions(content),
        "mention_roles": [],
        "attachments": [],
        "embeds": list("embeds"),
        "components": list("components"),
        "pinned": false,
        "type": if reply { 19 } else { 0 },
        "flags": body["flags"].as_u64().unwrap_or(0),
        "message_reference": if reply { body["message_reference"].clone() } else { Value::Null },
        "webhook_id": null,
    })
}

fn ready_json(gateway_url: &str, shard: Value) -> Value {
    json!({
        "v": 10,
        "user": bot_user_json(),
        "guilds": [{ "id": DiscordStandIn::GUILD_ID.to_string(), "unavailable": true }],
        "session_id": SESSION_ID,
        "resume_gateway_url": gateway_url,
        "shard": shard,
        "application": { "id": DiscordStandIn::APPLICATION_ID.to_string(), "flags": APPLICATION_FLAGS },
        "private_channels": [],
        "relationships": [],
        "presences": [],
        "guild_join_requests": [],
        "geo_ordered_rtc_regions": ["london", "rotterdam"],
        "_trace": ["[\"gateway-stand-in\"]"],
    })
}

fn application_json() -> Value {
    json!({
        "id": DiscordStandIn::APPLICATION_ID.to_string(),
        "name": BOT_NAME,
        "icon": null,
        "description": "The Living Knowledge Network's bot",
        "summary": "",
        "type": null,
        "hook": true,
        "bot_public": false,
        "bot_require_code_grant": false,
        "verify_key": "5b1f6c36b6e2c0a1e0f4b7a4c8d9e2f10a3b4c5d6e7f8091a2b3c4d5e6f70819",
        "flags": APPLICATION_FLAGS,
        "owner": user_json(OWNER_ID, "network-admin", false),
        "team": null,
        "rpc_origins": [],
        "redirect_uris": [],
        "interactions_endpoint_url": null,
        "role_connections_verification_url": null,
        "approximate_guild_count": 1,
        "bot": bot_user_json(),
    })
}

fn interaction_json(kind: u64, id: u64, token: &str, user: &DiscordUser, channel: Value, data: Value) -> Value {
    let mut member = member_json(Some(user_json(user.id, &user.name, false)));
    member["permissions"] = json!(MEMBER_PERMISSIONS);
    let mut channel = channel;
    channel["permissions"] = json!(MEMBER_PERMISSIONS);
    json!({
        "id": id.to_string(),
        "application_id": DiscordStandIn::APPLICATION_ID.to_string(),
        "type": kind,
        "data": data,
        "guild_id": DiscordStandIn::GUILD_ID.to_string(),
        "guild": { "id": DiscordStandIn::GUILD_ID.to_string(), "locale": "en-GB", "features": ["COMMUNITY", "NEWS"] },
        "channel_id": channel["id"],
        "channel": channel,
        "member": member,
        "token": token,
        "version": 1,
        "app_permissions": BOT_PERMISSIONS,
        "locale": "en-GB",
        "guild_locale": "en-GB",
        "entitlements": [],
        "entitlement_sku_ids": [],
        "authorizing_integration_owners": { "0": DiscordStandIn::GUILD_ID.to_string() },
        "context": 0,
        "attachment_size_limit": 10_485_760,
    })
}

/// The proof that the stand-in speaks serenity's dialect: a minimal poise bot runs against it.
mod self_test {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::{Duration, Instant};

    use poise::serenity_prelude as serenity;
    use serde_json::json;

    use super::{DiscordStandIn, DiscordUser, ForumPost};

    type Error = Box<dyn std::error::Error + Send + Sync>;

    /// The bot's data: how many gateway dispatches reached its event handler.
    struct Handled(Arc<AtomicUsize>);

    const APP: u64 = DiscordStandIn::APPLICATION_ID;
    const ANNOUNCE: u64 = DiscordStandIn::ANNOUNCE_CHANNEL_ID;
    const FORUM: u64 = DiscordStandIn::FORUM_CHANNEL_ID;
    const WAIT: Duration = Duration::from_secs(5);

    /// Defers, then answers "pong" in a follow-up.
    #[poise::command(slash_command)]
    async fn ping(ctx: poise::Context<'_, Handled, Error>) -> Result<(), Error> {
        ctx.defer().await?;
        ctx.say("pong").await?;
        Ok(())
    }

    /// Counts the events serenity makes of gateway dispatches (an event it cannot deserialize
    /// becomes `Event::Unknown` and never gets here).
    fn count_dispatches<'a>(
        framework: poise::FrameworkContext<'a, Handled, Error>,
        event: &'a serenity::FullEvent,
    ) -> poise::BoxFuture<'a, Result<(), Error>> {
        Box::pin(async move {
            if matches!(
                event,
                serenity::FullEvent::Ready { .. }
                    | serenity::FullEvent::GuildCreate { .. }
                    | serenity::FullEvent::InteractionCreate { .. }
                    | serenity::FullEvent::Message { .. }
                    | serenity::FullEvent::ThreadCreate { .. }
                    | serenity::FullEvent::ThreadUpdate { .. }
            ) {
                framework.user_data.0.fetch_add(1, Ordering::SeqCst);
            }
            Ok(())
        })
    }

    #[tokio::test]
    async fn a_poise_bot_runs_against_the_stand_in() -> anyhow::Result<()> {
        let discord = DiscordStandIn::start().await;
        let handled = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&handled);
        let framework = poise::Framework::builder()
            .options(poise::FrameworkOptions {
                commands: vec![ping()],
                event_handler: count_dispatches,
                ..Default::default()
            })
            .initialize_owners(false)
            .setup(move |ctx, _ready, framework| {
                Box::pin(async move {
                    let guild = serenity::GuildId::new(DiscordStandIn::GUILD_ID);
                    poise::builtins::register_in_guild(ctx, &framework.options().commands, guild).await?;
                    Ok(Handled(counter))
                })
            })
            .build();
        let http = serenity::HttpBuilder::new(discord.bot_token())
            .proxy(discord.base_url())
            .ratelimiter_disabled(true)
            .application_id(serenity::ApplicationId::new(APP))
            .build();
        let intents = serenity::GatewayIntents::non_privileged() | serenity::GatewayIntents::MESSAGE_CONTENT;
        let mut client = serenity::ClientBuilder::new_with_http(http, intents).framework(framework).await?;
        let http = Arc::clone(&client.http);
        let shards = Arc::clone(&client.shard_manager);
        let bot = tokio::spawn(async move { client.start().await });

        discord.wait_until_ready(WAIT).await?;
        let guild_commands = format!("/api/v10/applications/{APP}/guilds/{}/commands", DiscordStandIn::GUILD_ID);
        let registration = discord
            .wait_for_call("guild command registration", WAIT, |call| {
                call.method == "PUT" && call.path == guild_commands
            })
            .await?;
        assert_eq!((registration.status, &registration.response[0]["name"]), (200, &json!("ping")));

        // A slash command: deferred, then answered by a follow-up that fills the deferred response.
        let alice = DiscordUser::new(1_300_000_000_000_000_500, "alice");
        let interaction = discord.slash_command(&alice, "ping", json!([])).await;
        let callback = format!("/api/v10/interactions/{}/{}/callback", interaction.id, interaction.token);
        let deferral = discord.wait_for_call("the deferral", WAIT, |call| call.path == callback).await?;
        assert_eq!((deferral.status, &deferral.body["type"]), (204, &json!(5)));
        let webhook = format!("/api/v10/webhooks/{APP}/{}", interaction.token);
        let follow_up =
            discord.wait_for_call("the follow-up", WAIT, |call| call.method == "POST" && call.path == webhook).await?;
        assert_eq!((follow_up.status, &follow_up.body["content"]), (200, &json!("pong")));
        assert_eq!(http.get_original_interaction_response(&interaction.token).await?.content, "pong");
        let edit = json!({ "content": "pong!" });
        assert_eq!(http.edit_original_interaction_response(&interaction.token, &edit, vec![]).await?.content, "pong!");

        // Redelivered, the interaction is refused a second acknowledgement.
        discord.redeliver(&interaction).await;
        let refusal = discord
            .wait_for_call("a refused second acknowledgement", WAIT, |call| call.path == callback && call.status == 400)
            .await?;
        assert_eq!(refusal.response["code"], 40060);

        // The other interaction shapes (counted at the end).
        let pong = discord.channel_messages(ANNOUNCE).into_iter().find(|message| message.content == "pong!");
        let pong = pong.expect("the bot's answer is in the channel");
        assert_eq!(pong.author_id, DiscordStandIn::BOT_USER_ID);
        discord.button_click(&alice, ANNOUNCE, pong.id, "again").await;
        discord.modal_submit(&alice, "feedback", &[("comment", "Very useful"), ("contact", "")]).await;
        discord.message_command(&alice, "Save to LKN", &pong).await;
        discord
            .autocomplete(&alice, "ping", json!([{ "type": 3, "name": "topic", "value": "herit", "focused": true }]))
            .await;

        // A user's message reaches the bot, and the bot can read it back.
        let hello = discord.user_message(&alice, ANNOUNCE, "hello bot").await;
        assert_eq!(serenity::ChannelId::new(ANNOUNCE).message(&http, hello.id).await?.content, "hello bot");

        // REST reads deserialize.
        assert_eq!(http.get_current_user().await?.id.get(), DiscordStandIn::BOT_USER_ID);
        assert_eq!(http.get_current_application_info().await?.id.get(), APP);
        assert_eq!(
            http.get_guild(serenity::GuildId::new(DiscordStandIn::GUILD_ID)).await?.name,
            "Living Knowledge Network"
        );
        let forum = serenity::ChannelId::new(FORUM).to_channel(&http).await?.guild().expect("a guild channel");
        assert_eq!((forum.kind, forum.available_tags.len()), (serenity::ChannelType::Forum, 8));

        // A message with an embed and a button round-trips.
        let button = serenity::CreateButton::new("rsvp").label("RSVP");
        let announcement = serenity::CreateMessage::new()
            .content("New event")
            .embed(serenity::CreateEmbed::new().title("Workshop").description("Saturday, 10:00"))
            .components(vec![serenity::CreateActionRow::Buttons(vec![button])]);
        let announcement = serenity::ChannelId::new(ANNOUNCE).send_message(&http, announcement).await?;
        assert_eq!((announcement.embeds[0].title.as_deref(), announcement.components.len()), (Some("Workshop"), 1));

        // A forum post, then retagged.
        let funding = DiscordStandIn::forum_tag_id("funding");
        let solved = DiscordStandIn::forum_tag_id("solved");
        let first = serenity::CreateMessage::new().content("Who knows a grant?");
        let post = serenity::CreateForumPost::new("Funding for village halls", first)
            .add_applied_tag(serenity::ForumTagId::new(funding));
        let post = serenity::ChannelId::new(FORUM).create_forum_post(&http, post).await?;
        assert_eq!(
            (post.kind, post.parent_id),
            (serenity::ChannelType::PublicThread, Some(serenity::ChannelId::new(FORUM)))
        );
        let threads = format!("/api/v10/channels/{FORUM}/threads");
        let posted = discord.wait_for_call("the forum post", WAIT, |call| call.path == threads).await?;
        assert_eq!(posted.body["message"]["content"], "Who knows a grant?");
        let tags = [funding, solved].map(serenity::ForumTagId::new);
        post.id.edit_thread(&http, serenity::EditThread::new().applied_tags(tags)).await?;
        let expected = ForumPost {
            id: post.id.get(),
            name: "Funding for village halls".to_owned(),
            applied_tags: vec![funding, solved],
            content: "Who knows a grant?".to_owned(),
        };
        assert_eq!(discord.forum_posts(), vec![expected]);

        // In the post: a user's reply, then a command answered there.
        discord.user_message(&alice, post.id.get(), "The heritage fund does.").await;
        let in_post = discord.slash_command_in(&alice, post.id.get(), "ping", json!([])).await;
        let in_post_webhook = format!("/api/v10/webhooks/{APP}/{}", in_post.token);
        discord.wait_for_call("the follow-up in the post", WAIT, |call| call.path == in_post_webhook).await?;
        let contents: Vec<String> = discord.channel_messages(post.id.get()).into_iter().map(|m| m.content).collect();
        assert_eq!(contents, ["Who knows a grant?", "The heritage fund does.", "pong"]);

        // READY, GUILD_CREATE; 7 interactions; MESSAGE_CREATE of both pongs, hello, the announcement,
        // the post's first message and the reply in it; THREAD_CREATE, THREAD_UPDATE: each reached
        // the bot's handler.
        let deadline = Instant::now() + WAIT;
        while handled.load(Ordering::SeqCst) < discord.events_sent() && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert_eq!((discord.events_sent(), handled.load(Ordering::SeqCst)), (17, 17));

        // Nothing but the redelivered interaction's acknowledgements was refused.
        let refused: Vec<_> = discord.calls().into_iter().filter(|call| call.status >= 400).collect();
        assert!(refused.iter().all(|call| call.path == callback && call.response["code"] == 40060), "{refused:#?}");
        shards.shutdown_all().await;
        bot.await??;
        Ok(())
    }
}
