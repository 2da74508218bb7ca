//! The REST routes of channels, threads and messages: reading and editing channels, forum
//! posts and threads, posting, reading, editing and deleting messages, and opening a
//! direct-message channel with a user.

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

use super::checks::{check_length, check_tags, message_problems};
use super::json::{
    bot_user_json, edit_message, is_thread, message_json, now_timestamp, snowflake, text, user_json, visible,
};
use super::rest::{Reply, error, invalid_form, no_content, not_found, ok, unknown, unknown_channel};
use super::state::Inner;
use super::{CHANNEL_DM, CHANNEL_FORUM, CHANNEL_PRIVATE_THREAD, CHANNEL_PUBLIC_THREAD, CHANNEL_TEXT, DiscordStandIn};

impl Inner {
    pub(super) fn channel(&self, id: u64) -> Option<Value> {
        self.channels.get(&id).cloned()
    }

    /// The direct-message channel with `user_id`, if the bot opened one.
    pub(super) fn dm_channel_of(&self, user_id: u64) -> Option<u64> {
        self.channels.iter().find_map(|(id, channel)| {
            let with_user = channel["type"] == CHANNEL_DM && snowflake(&channel["recipients"][0]["id"]) == user_id;
            with_user.then_some(*id)
        })
    }

    /// POST /users/@me/channels: the direct-message channel with `recipient_id`, opened once.
    pub(super) fn open_direct_messages(&mut self, body: &Value) -> Reply {
        let recipient = body["recipient_id"].as_u64().unwrap_or_else(|| snowflake(&body["recipient_id"]));
        if recipient == 0 {
            return invalid_form(vec![("recipient_id".to_owned(), "This field is required".to_owned())]);
        }
        if let Some(id) = self.dm_channel_of(recipient) {
            return ok(self.channels[&id].clone());
        }
        let id = self.next_id();
        let channel = json!({
            "id": id.to_string(),
            "type": CHANNEL_DM,
            "last_message_id": null,
            "flags": 0,
            "recipients": [user_json(recipient, &format!("user{recipient}"), false)],
        });
        self.channels.insert(id, channel.clone());
        ok(channel)
    }

    /// PATCH /channels/{id}: rename, retag, archive or lock a thread; rename or retopic a channel.
    pub(super) fn edit_channel(&mut self, id: u64, body: &Value) -> Reply {
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
    pub(super) fn create_thread(&mut self, parent_id: u64, body: &Value) -> Reply {
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
    pub(super) fn list_messages(&self, channel_id: u64) -> Reply {
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

    /// The user a direct-message channel is with, if `channel_id` is one.
    pub(super) fn dm_recipient(&self, channel_id: u64) -> Option<u64> {
        let channel = self.channels.get(&channel_id).filter(|channel| channel["type"] == CHANNEL_DM)?;
        Some(snowflake(&channel["recipients"][0]["id"]))
    }

    pub(super) fn create_message(&mut self, channel_id: u64, body: &Value) -> Reply {
        let Some(channel) = self.channels.get(&channel_id) else { return unknown_channel() };
        if channel["type"] == CHANNEL_FORUM {
            return error(StatusCode::BAD_REQUEST, 50024, "Cannot execute action on this channel type");
        }
        if self.dm_recipient(channel_id).is_some_and(|user| self.closed_dms.contains(&user)) {
            return error(StatusCode::FORBIDDEN, 50007, "Cannot send messages to this user");
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
    pub(super) fn channel_message(&mut self, method: &Method, channel_id: u64, id: u64, body: &Value) -> Reply {
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
