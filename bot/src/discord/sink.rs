//! The forum and announcement channels, through serenity's HTTP client: where the
//! mirror's posts, messages, solved marks and announcements go.

use std::num::NonZeroU64;
use std::sync::Arc;

use async_trait::async_trait;
use poise::serenity_prelude as serenity;
use serenity::{ButtonStyle, ChannelId, CreateActionRow, CreateButton, EditThread, ForumTag};

use crate::mirror::Sink;
use crate::outgoing;

/// A Discord id (a channel's, as the API records where a mirror was posted): digits,
/// never zero, read before serenity sees it (its ids panic on zero).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Snowflake(NonZeroU64);

/// Why a string is not a Discord id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a Discord id: {0:?}")]
pub struct SnowflakeError(String);

impl Snowflake {
    /// Reads an id written in decimal.
    pub fn parse(text: &str) -> Result<Self, SnowflakeError> {
        let digits = !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit());
        let id = if digits { text.parse::<NonZeroU64>().ok() } else { None };
        id.map(Self).ok_or_else(|| SnowflakeError(text.to_owned()))
    }

    /// The channel with this id.
    pub fn channel(self) -> ChannelId {
        ChannelId::from(self.0)
    }

    /// The user with this id.
    pub fn user(self) -> serenity::UserId {
        serenity::UserId::from(self.0)
    }
}

/// The forum and announcement channels, through serenity's HTTP client.
pub struct DiscordSink {
    http: Arc<serenity::Http>,
    forum: ChannelId,
    announce: ChannelId,
    tags: tokio::sync::OnceCell<Vec<ForumTag>>,
}

impl DiscordSink {
    /// Posts threads in `forum` and announces collaborations in `announce`.
    pub fn new(http: Arc<serenity::Http>, forum: ChannelId, announce: ChannelId) -> Self {
        Self { http, forum, announce, tags: tokio::sync::OnceCell::new() }
    }

    async fn forum_tags(&self) -> anyhow::Result<&[ForumTag]> {
        let tags = self
            .tags
            .get_or_try_init(|| async {
                let channel = self.forum.to_channel(self.http.as_ref()).await?;
                anyhow::Ok(channel.guild().map(|c| c.available_tags).unwrap_or_default())
            })
            .await?;
        Ok(tags)
    }

    async fn tag_ids(&self, names: &[String]) -> anyhow::Result<Vec<serenity::ForumTagId>> {
        let available = self.forum_tags().await?;
        Ok(names
            .iter()
            .filter_map(|name| available.iter().find(|t| t.name.eq_ignore_ascii_case(name)).map(|t| t.id))
            .take(5)
            .collect())
    }
}

#[async_trait]
impl Sink for DiscordSink {
    async fn forum_post(&self, title: &str, content: &str, tags: &[String]) -> anyhow::Result<(String, String)> {
        let applied = self.tag_ids(tags).await?;
        let post = outgoing::forum_post(title, content).set_applied_tags(applied);
        let channel = self.forum.create_forum_post(self.http.as_ref(), post).await?;
        // A forum post's first message has the post's own id.
        Ok((channel.id.to_string(), channel.id.to_string()))
    }

    async fn message(&self, channel_id: &str, content: &str) -> anyhow::Result<String> {
        let channel = Snowflake::parse(channel_id)?.channel();
        let message = channel.send_message(self.http.as_ref(), outgoing::message(content)).await?;
        Ok(message.id.to_string())
    }

    async fn mark_solved(&self, channel_id: &str, title: &str) -> anyhow::Result<()> {
        let channel = Snowflake::parse(channel_id)?.channel();
        let mut applied =
            channel.to_channel(self.http.as_ref()).await?.guild().map(|c| c.applied_tags).unwrap_or_default();
        for solved in self.tag_ids(&["solved".to_owned()]).await? {
            if !applied.contains(&solved) {
                applied.push(solved);
            }
        }
        applied.truncate(5);
        channel.edit_thread(self.http.as_ref(), EditThread::new().name(title).applied_tags(applied)).await?;
        Ok(())
    }

    async fn announce(&self, content: &str, join: Option<(&str, &str)>) -> anyhow::Result<(String, String)> {
        let mut message = outgoing::message(content);
        if let Some((custom_id, label)) = join {
            let button = CreateButton::new(custom_id).label(label).style(ButtonStyle::Primary);
            message = message.components(vec![CreateActionRow::Buttons(vec![button])]);
        }
        let sent = self.announce.send_message(self.http.as_ref(), message).await?;
        Ok((self.announce.to_string(), sent.id.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_snowflake_is_read_from_its_digits() {
        let id = Snowflake::parse("1234567890123456789").expect("an id");
        assert_eq!(id.channel(), ChannelId::new(1_234_567_890_123_456_789));
    }

    #[test]
    fn zero_signs_spaces_and_words_are_not_snowflakes() {
        for text in ["", "0", "-1", "+1", " 1", "1 ", "12a", "18446744073709551616"] {
            assert_eq!(Snowflake::parse(text), Err(SnowflakeError(text.to_owned())), "{text:?}");
        }
    }
}
