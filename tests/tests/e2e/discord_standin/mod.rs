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
//!
//! Direct messages can be made to fail as Discord fails them: to a user who accepts none
//! ([`DiscordStandIn::close_dms`], 403 with code 50007) and under a rate limit
//! ([`DiscordStandIn::rate_limit_next`], 429 with Discord's body and headers); tests count
//! the attempts against what was delivered ([`DiscordStandIn::direct_message_attempts`]).
//! Buttons on direct messages are clicked as Discord delivers those clicks: with the user,
//! and no guild or member.
//!
//! # Layout
//! - `state.rs`: what the stand-in knows (channels, messages, interactions, commands) and how it
//!   dispatches events.
//! - `gateway.rs`: the gateway WebSocket: Hello, Identify, Resume, heartbeats.
//! - `rest.rs`: the REST handler and its routes; `channels.rs` (channels, threads, messages,
//!   direct messages)
//!   and `interactions.rs` (commands, interaction callbacks, webhooks) answer them.
//! - `checks.rs`: what Discord refuses; `pings.rs`: whom Discord would notify.
//! - `json.rs`: Discord's payloads as the stand-in builds and reads them.
//! - `self_test.rs`: a minimal poise bot run against the stand-in.

mod channels;
mod checks;
mod gateway;
mod interactions;
mod json;
mod pings;
mod rest;
mod self_test;
mod state;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::routing::get;
use serde_json::{Value, json};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use gateway::gateway;
use json::{interaction_json, message_json, snowflake, snowflakes, stored, text, user_json, visible};
use rest::rest;
use state::{Inner, InteractionRecord, Shared};

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
const INTENT_DIRECT_MESSAGES: u64 = 1 << 12;
const INTENT_MESSAGE_CONTENT: u64 = 1 << 15;
const FLAG_EPHEMERAL: u64 = 1 << 6;
const FLAG_LOADING: u64 = 1 << 7;
const CHANNEL_TEXT: u64 = 0;
const CHANNEL_DM: u64 = 1;
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
    /// When the stand-in received it.
    pub at: Instant,
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
    /// A second text channel (type 0), where the bot puts requests to join to coordinators.
    pub const COORDINATORS_CHANNEL_ID: u64 = 1_300_000_000_000_000_040;

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

    /// A user runs a slash command in the announce channel whose options name Discord users
    /// (option type 6, the user's id as value): Discord sends those users in `resolved`.
    pub async fn slash_command_naming(
        &self,
        user: &DiscordUser,
        name: &str,
        options: Value,
        named: &[&DiscordUser],
    ) -> Interaction {
        let users: serde_json::Map<String, Value> =
            named.iter().map(|u| (u.id.to_string(), user_json(u.id, &u.name, false))).collect();
        let extra = json!({ "options": options, "resolved": { "users": users } });
        let data = self.shared.lock().command_data(name, 1, extra);
        self.deliver(INTERACTION_COMMAND, user, Self::ANNOUNCE_CHANNEL_ID, data, None).await
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

    /// A user submits a modal: `fields` are (text input custom_id, value) pairs. For a form
    /// a command of ours opened (poise names it after the interaction), it submits as a
    /// person does, only once the form is on screen and a moment has passed: poise listens for the submission only after its
    /// answer went out, and on a loaded machine an instant submission would race that.
    pub async fn modal_submit(&self, user: &DiscordUser, custom_id: &str, fields: &[(&str, &str)]) -> Interaction {
        let answers_one_of_ours =
            custom_id.parse::<u64>().is_ok_and(|id| self.shared.lock().interactions.contains_key(&id));
        if answers_one_of_ours {
            self.wait_for_call("the modal on screen", std::time::Duration::from_secs(15), |c| {
                c.body["type"] == 9 && c.body["data"]["custom_id"] == custom_id
            })
            .await
            .expect("the bot showed the modal");
            tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        }
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

    /// The direct messages the bot sent `user_id`, oldest first.
    pub fn direct_messages(&self, user_id: u64) -> Vec<StoredMessage> {
        let inner = self.shared.lock();
        let Some(dm) = inner.dm_channel_of(user_id) else { return Vec::new() };
        inner.messages.values().filter(|message| snowflake(&message["channel_id"]) == dm).map(stored).collect()
    }

    /// Every attempt the bot made to send `user_id` a direct message, delivered or refused.
    pub fn direct_message_attempts(&self, user_id: u64) -> usize {
        let inner = self.shared.lock();
        let Some(dm) = inner.dm_channel_of(user_id) else { return 0 };
        let path = format!("/api/v10/channels/{dm}/messages");
        inner.calls.iter().filter(|call| call.method == "POST" && call.path == path).count()
    }

    /// From now on `user_id` accepts no direct messages from the bot: Discord still opens the
    /// channel, but refuses each message with 403 and code 50007 ("Cannot send messages to this
    /// user").
    pub fn close_dms(&self, user_id: u64) {
        self.shared.lock().closed_dms.insert(user_id);
    }

    /// Answers the next `count` direct messages the bot sends (to anyone) with 429, as Discord
    /// answers a per-route rate limit: `{"message": "You are being rate limited.",
    /// "retry_after": <seconds>, "global": false}`, with `Retry-After` (whole seconds, rounded
    /// up) and the `X-RateLimit-*` headers. Only direct messages, so that the mirror's posts are
    /// not caught by it.
    pub fn rate_limit_next(&self, count: usize, retry_after_seconds: f64) {
        self.shared.lock().rate_limited = (count, retry_after_seconds);
    }

    /// Polls until the bot has sent `user_id` a direct message containing `text`.
    pub async fn wait_for_direct_message(
        &self,
        user_id: u64,
        text: &str,
        timeout: Duration,
    ) -> anyhow::Result<StoredMessage> {
        let started = Instant::now();
        loop {
            if let Some(message) = self.direct_messages(user_id).into_iter().find(|m| m.content.contains(text)) {
                return Ok(message);
            }
            if started.elapsed() > timeout {
                anyhow::bail!(
                    "timed out after {timeout:?} waiting for a direct message to {user_id} containing {text:?}; recent REST calls:\n{}",
                    self.shared.lock().recent_calls()
                );
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
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
