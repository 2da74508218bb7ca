//! The REST routes of application commands and interactions: command registration,
//! interaction callbacks (with their deadline and single acknowledgement), follow-ups and the
//! interaction's webhook messages.

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

use super::checks::{check_command, message_problems};
use super::json::{bot_user_json, edit_message, flags, merged, message_json, snowflake, snowflake_str};
use super::rest::{Reply, error, invalid_form, no_content, not_found, ok, unknown};
use super::state::{Inner, InteractionRecord};
use super::{
    ACKNOWLEDGE_DEADLINE, DiscordStandIn, FLAG_EPHEMERAL, FLAG_LOADING, INTERACTION_AUTOCOMPLETE,
    INTERACTION_COMPONENT, INTERACTION_MODAL_SUBMIT,
};

impl Inner {
    pub(super) fn commands_in(&self, guild: Option<u64>) -> Vec<Value> {
        self.commands.get(&guild).cloned().unwrap_or_default()
    }

    /// PUT of a command list: validated as Discord validates it, answered as Command objects.
    pub(super) fn set_commands(&mut self, guild: Option<u64>, body: &Value) -> Reply {
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

    pub(super) fn acknowledge(&mut self, id: u64, token: &str, body: &Value) -> Reply {
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
    pub(super) fn follow_up(&mut self, token: &str, body: &Value) -> Reply {
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
    pub(super) fn webhook_message(&mut self, method: &Method, token: &str, message: &str, body: &Value) -> Reply {
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
}
