//! Discord's state as the stand-in knows it (channels, messages, interactions, registered
//! commands, the gateway session), shared by the test, the REST handler and the gateway, and
//! how events about it are dispatched to the bot.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};
use tokio::sync::{mpsc, watch};

use super::json::{member_json, merged, snowflake, visible};
use super::{
    CHANNEL_DM, CHANNEL_FORUM, CHANNEL_TEXT, ContentWrite, DISCORD_EPOCH_MS, DiscordStandIn, FORUM_TAGS,
    INTENT_DIRECT_MESSAGES, INTENT_GUILD_MESSAGES, INTENT_GUILDS, INTENT_MESSAGE_CONTENT, RestCall,
};

/// What the test, the REST handler and the gateway connections share.
pub(super) struct Shared {
    pub(super) inner: Mutex<Inner>,
    pub(super) shutdown: watch::Sender<bool>,
}

impl Shared {
    pub(super) fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Discord's state as the stand-in knows it.
pub(super) struct Inner {
    pub(super) gateway_url: String,
    last_id: u64,
    pub(super) calls: Vec<RestCall>,
    pub(super) content_writes: Vec<ContentWrite>,
    pub(super) gateway: Option<GatewaySession>,
    pub(super) intents: u64,
    pub(super) ready: bool,
    pub(super) sequence: u64,
    pub(super) events_sent: usize,
    pub(super) channels: BTreeMap<u64, Value>,
    pub(super) messages: BTreeMap<u64, Value>,
    pub(super) interactions: HashMap<u64, InteractionRecord>,
    pub(super) commands: BTreeMap<Option<u64>, Vec<Value>>,
    /// Users who accept no direct messages from the bot (Discord answers 403, code 50007).
    pub(super) closed_dms: HashSet<u64>,
    /// Direct messages still to answer with 429, and the `retry_after` to give (seconds).
    pub(super) rate_limited: (usize, f64),
}

/// The bot's identified gateway connection, where dispatch events go.
pub(super) struct GatewaySession {
    pub(super) connection: u64,
    pub(super) frames: mpsc::UnboundedSender<String>,
}

/// An interaction delivered to the bot, and what became of it.
pub(super) struct InteractionRecord {
    pub(super) token: String,
    pub(super) kind: u64,
    pub(super) channel_id: u64,
    pub(super) payload: Value,
    pub(super) delivered_at: Instant,
    pub(super) acknowledged: bool,
    pub(super) original: Option<u64>,
}

impl Inner {
    pub(super) fn new(gateway_url: String) -> Self {
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
        let mut coordinators = announce.clone();
        coordinators["id"] = json!(DiscordStandIn::COORDINATORS_CHANNEL_ID.to_string());
        coordinators["name"] = json!("coordinators");
        coordinators["position"] = json!(2);
        let channels = BTreeMap::from([
            (DiscordStandIn::FORUM_CHANNEL_ID, forum),
            (DiscordStandIn::ANNOUNCE_CHANNEL_ID, announce),
            (DiscordStandIn::COORDINATORS_CHANNEL_ID, coordinators),
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
            closed_dms: HashSet::new(),
            rate_limited: (0, 0.0),
        }
    }

    /// A fresh snowflake: the current time since Discord's epoch, strictly increasing.
    pub(super) fn next_id(&mut self) -> u64 {
        let now_ms = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |now| now.as_millis() as u64);
        self.last_id = (self.last_id + 1).max(now_ms.saturating_sub(DISCORD_EPOCH_MS) << 22);
        self.last_id
    }

    /// The last 20 calls, one a line: request body, status and, for refusals, Discord's error.
    pub(super) fn recent_calls(&self) -> String {
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
    pub(super) fn dispatch(&mut self, event: &str, data: Value) {
        let Some(session) = &self.gateway else { return };
        self.sequence += 1;
        let frame = json!({ "op": 0, "s": self.sequence, "t": event, "d": data });
        if session.frames.send(frame.to_string()).is_ok() {
            self.events_sent += 1;
        }
    }

    pub(super) fn dispatch_message_create(&mut self, message: &Value) {
        let direct = self.channels.get(&snowflake(&message["channel_id"])).is_some_and(|c| c["type"] == CHANNEL_DM);
        let intent = if direct { INTENT_DIRECT_MESSAGES } else { INTENT_GUILD_MESSAGES };
        if self.intents & intent == 0 || !visible(message) {
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

    pub(super) fn dispatch_thread_event(&mut self, event: &str, thread: &Value) {
        if self.intents & INTENT_GUILDS != 0 {
            self.dispatch(event, thread.clone());
        }
    }

    /// `data` of an application command interaction: id, name and type, plus `extra` fields.
    pub(super) fn command_data(&mut self, name: &str, kind: u64, extra: Value) -> Value {
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
}
