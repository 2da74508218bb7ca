//! Everything the bot sends to Discord with text in it is built here, so that none of it
//! can ping anyone.
//!
//! Thread titles, bodies and replies are written by people, and Discord turns
//! `@everyone`, `@here`, `<@id>` and `<@&id>` in a message into notifications unless the
//! message says otherwise. Every builder here carries [`no_pings`]; the HTTP client and
//! poise get the same as their default, so that a send built elsewhere is quiet too
//! (except a forum post, which serenity sends without its client's default: build those
//! with [`forum_post`]).

use poise::serenity_prelude::{
    CreateAllowedMentions, CreateForumPost, CreateInteractionResponseFollowup, CreateMessage, EditMessage,
};

/// Mentions that notify nobody: Discord parses no `@everyone` or `@here`, no role and no
/// user mention, and does not ping the author of a message replied to.
pub fn no_pings() -> CreateAllowedMentions {
    CreateAllowedMentions::new().replied_user(false)
}

/// A message in a channel or a forum post.
pub fn message(content: impl Into<String>) -> CreateMessage {
    CreateMessage::new().content(content).allowed_mentions(no_pings())
}

/// New text for a message the bot posted before (a request to join, once decided).
pub fn edit(content: impl Into<String>) -> EditMessage {
    EditMessage::new().content(content).allowed_mentions(no_pings())
}

/// A forum post titled `title` whose first message is `content`.
pub fn forum_post(title: impl Into<String>, content: impl Into<String>) -> CreateForumPost<'static> {
    CreateForumPost::new(title, message(content))
}

/// The answer to a command: a follow-up once the interaction is deferred.
pub fn reply(content: impl Into<String>) -> poise::CreateReply {
    poise::CreateReply::default().content(content).allowed_mentions(no_pings())
}

/// A follow-up to an interaction that poise does not handle (a button press).
pub fn followup(content: impl Into<String>) -> CreateInteractionResponseFollowup {
    CreateInteractionResponseFollowup::new().content(content).allowed_mentions(no_pings())
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::{edit, followup, forum_post, message};

    fn quiet() -> Value {
        json!({ "parse": [], "users": [], "roles": [], "replied_user": false })
    }

    #[test]
    fn every_builder_parses_no_mentions() {
        let text = "@everyone @here <@123> <@&456>";
        let as_json = |value: Result<Value, serde_json::Error>| value.expect("serializes");
        assert_eq!(as_json(serde_json::to_value(message(text)))["allowed_mentions"], quiet());
        assert_eq!(as_json(serde_json::to_value(followup(text)))["allowed_mentions"], quiet());
        assert_eq!(as_json(serde_json::to_value(edit(text)))["allowed_mentions"], quiet());
        let post = as_json(serde_json::to_value(forum_post(text, text)));
        assert_eq!(post["message"]["allowed_mentions"], quiet(), "{post}");
    }
}
