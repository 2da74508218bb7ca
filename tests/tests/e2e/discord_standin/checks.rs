//! What Discord refuses: over-long names and texts, malformed command definitions, unknown or
//! too many forum tags, over-long embeds, contradictory `allowed_mentions`, empty messages.

use axum::http::StatusCode;
use serde_json::Value;

use super::json::{snowflake, text};
use super::rest::{Reply, error, invalid_form};
use super::{FIRST_FORUM_TAG_ID, FORUM_TAGS};

pub(super) fn check_length(value: &str, min: usize, max: usize, path: &str, problems: &mut Vec<(String, String)>) {
    let length = value.chars().count();
    if !(min..=max).contains(&length) {
        problems.push((path.to_owned(), format!("Must be between {min} and {max} in length (was {length}).")));
    }
}

/// A command definition as Discord checks it on registration: names, descriptions, option
/// counts and order.
pub(super) fn check_command(command: &Value, path: &str, problems: &mut Vec<(String, String)>) {
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

pub(super) fn check_tags(tags: &Value, problems: &mut Vec<(String, String)>) {
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

/// Discord's refusals of a message body: over-long content or embeds, `allowed_mentions` that
/// both parses a kind of mention and lists some of it, and, when creating, an empty message.
pub(super) fn message_problems(body: &Value, creating: bool) -> Option<Reply> {
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
