//! Discord's JSON as the stand-in builds it (users, members, messages, the guild, READY, the
//! application, interactions) and reads it (snowflakes, text, flags).

use serde_json::{Value, json};

use super::state::Inner;
use super::{
    APPLICATION_FLAGS, BOT_NAME, BOT_PERMISSIONS, CHANNEL_DM, CHANNEL_PRIVATE_THREAD, CHANNEL_PUBLIC_THREAD,
    DiscordStandIn, DiscordUser, FLAG_EPHEMERAL, FLAG_LOADING, JOINED_AT, MEMBER_PERMISSIONS, OWNER_ID, SESSION_ID,
    StoredMessage,
};

impl Inner {
    pub(super) fn guild_json(&self) -> Value {
        let (threads, channels): (Vec<Value>, Vec<Value>) =
            self.channels.values().filter(|channel| in_guild(channel)).cloned().partition(is_thread);
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
}

pub(super) fn edit_message(message: &mut Value, body: &Value) {
    for field in ["content", "embeds", "components", "attachments"] {
        if !body[field].is_null() {
            message[field] = body[field].clone();
        }
    }
    message["mentions"] = mentions(text(&message["content"]));
    message["edited_timestamp"] = json!(now_timestamp());
}

/// `base` with the non-null fields of `extra` added or replaced.
pub(super) fn merged(mut base: Value, extra: &Value) -> Value {
    if let (Some(base), Some(extra)) = (base.as_object_mut(), extra.as_object()) {
        base.extend(
            extra.iter().filter(|(_, value)| !value.is_null()).map(|(key, value)| (key.clone(), value.clone())),
        );
    }
    base
}

pub(super) fn now_timestamp() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, false)
}

pub(super) fn text(value: &Value) -> &str {
    value.as_str().unwrap_or("")
}

pub(super) fn snowflake(value: &Value) -> u64 {
    snowflake_str(text(value))
}

pub(super) fn snowflake_str(value: &str) -> u64 {
    value.parse().unwrap_or(0)
}

pub(super) fn snowflakes(value: &Value) -> Vec<u64> {
    value.as_array().map(|values| values.iter().map(snowflake).collect()).unwrap_or_default()
}

pub(super) fn flags(message: &Value) -> u64 {
    message["flags"].as_u64().unwrap_or(0)
}

/// Whether everyone in the channel sees the message: not ephemeral, not a deferral "thinking".
pub(super) fn visible(message: &Value) -> bool {
    flags(message) & (FLAG_EPHEMERAL | FLAG_LOADING) == 0
}

/// Whether a channel belongs to the guild (every channel but direct messages).
pub(super) fn in_guild(channel: &Value) -> bool {
    channel["type"] != CHANNEL_DM
}

pub(super) fn is_thread(channel: &Value) -> bool {
    matches!(channel["type"].as_u64(), Some(CHANNEL_PUBLIC_THREAD | CHANNEL_PRIVATE_THREAD))
}

pub(super) fn stored(message: &Value) -> StoredMessage {
    StoredMessage {
        id: snowflake(&message["id"]),
        channel_id: snowflake(&message["channel_id"]),
        content: text(&message["content"]).to_owned(),
        author_id: snowflake(&message["author"]["id"]),
    }
}

pub(super) fn user_json(id: u64, name: &str, bot: bool) -> Value {
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

pub(super) fn bot_user_json() -> Value {
    let mut user = user_json(DiscordStandIn::BOT_USER_ID, BOT_NAME, true);
    user["verified"] = json!(true);
    user["mfa_enabled"] = json!(false);
    user["email"] = Value::Null;
    user
}

/// A guild member; `user` is left out in MESSAGE_CREATE, where the message's author is the user.
pub(super) fn member_json(user: Option<Value>) -> Value {
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
pub(super) fn message_json(id: u64, channel_id: u64, author: Value, body: &Value) -> Value {
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

pub(super) fn ready_json(gateway_url: &str, shard: Value) -> Value {
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

pub(super) fn application_json() -> Value {
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

pub(super) fn interaction_json(
    kind: u64,
    id: u64,
    token: &str,
    user: &DiscordUser,
    channel: Value,
    data: Value,
) -> Value {
    let mut member = member_json(Some(user_json(user.id, &user.name, false)));
    member["permissions"] = json!(MEMBER_PERMISSIONS);
    let direct = channel["type"] == CHANNEL_DM;
    let mut channel = channel;
    channel["permissions"] = json!(MEMBER_PERMISSIONS);
    let mut interaction = json!({
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
    });
    if direct {
        // In a direct message Discord sends the user, not a guild member, and no guild; the
        // context is BOT_DM and the guild-install owner is "0".
        if let Some(fields) = interaction.as_object_mut() {
            for guild_only in ["guild_id", "guild", "member", "guild_locale"] {
                fields.remove(guild_only);
            }
        }
        interaction["user"] = user_json(user.id, &user.name, false);
        interaction["context"] = json!(1);
        interaction["authorizing_integration_owners"] = json!({ "0": "0" });
    }
    interaction
}
