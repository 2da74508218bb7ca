//! Direct messages and the round-up channel, through serenity: the Discord side of
//! [`crate::notify`] and [`crate::roundup`].
//!
//! A direct message is sent through serenity's own request (its route, token and, in
//! production, its rate limiter), but its answer is read here: serenity's error type keeps
//! neither the headers nor a body without `code`, and Discord's 429 body has none, so
//! `retry_after` would be lost. In production the rate limiter waits out a 429 itself and
//! sends again; with it disabled (tests, through the loopback stand-in) the 429 reaches
//! the bot, which tells the API to hand the message out again later.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use poise::serenity_prelude as serenity;
use serenity::http::{HttpError, LightMethod, Request, Route};
use serenity::{ButtonStyle, ChannelId, ChannelType, CreateActionRow, CreateButton};

use super::Snowflake;
use crate::notify::{Courier, Letter, Sent};
use crate::outgoing;
use crate::roundup::Noticeboard;

/// Discord's error code for "Cannot send messages to this user" (DMs closed, or no
/// server in common).
const CANNOT_MESSAGE_USER: i64 = 50_007;
/// How long to hold off after a 429 that does not say how long.
const DEFAULT_WAIT: Duration = Duration::from_secs(5);

/// Sends direct messages with the bot's serenity client.
pub struct DiscordCourier {
    http: Arc<serenity::Http>,
    /// For sending when serenity's rate limiter is disabled (serenity's own client is private).
    client: reqwest::Client,
}

impl DiscordCourier {
    /// A courier sending with `http`.
    pub fn new(http: Arc<serenity::Http>) -> Self {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(15))
            .build()
            .unwrap_or_else(|_| reqwest::Client::new());
        Self { http, client }
    }

    /// Opens (or finds) the direct-message channel with `user`.
    async fn channel_with(&self, user: &str) -> Result<ChannelId, Sent> {
        let user = Snowflake::parse(user).map_err(|error| Sent::Failed(error.to_string()))?.user();
        match user.create_dm_channel(self.http.as_ref()).await {
            Ok(channel) => Ok(channel.id),
            Err(serenity::Error::Http(HttpError::UnsuccessfulRequest(refused))) => {
                let body = serde_json::json!({ "code": refused.error.code, "message": refused.error.message });
                Err(classify(refused.status_code.as_u16(), None, body.to_string().as_bytes()))
            }
            Err(error) => Err(Sent::Failed(error.to_string())),
        }
    }

    /// Posts `letter` in `channel` and reads Discord's answer.
    async fn post(&self, channel: ChannelId, letter: &Letter) -> Sent {
        let mut message = outgoing::message(&letter.content);
        if let Some(button) = &letter.button {
            let button = CreateButton::new(&button.custom_id).label(&button.label).style(ButtonStyle::Secondary);
            message = message.components(vec![CreateActionRow::Buttons(vec![button])]);
        }
        let body = match serde_json::to_vec(&message) {
            Ok(body) => body,
            Err(error) => return Sent::Failed(error.to_string()),
        };
        let request = Request::new(Route::ChannelMessages { channel_id: channel }, LightMethod::Post).body(Some(body));
        let response = match &self.http.ratelimiter {
            Some(limiter) => limiter.perform(request).await.map_err(|error| error.to_string()),
            None => match request.build(&self.client, self.http.token(), self.http.proxy.as_deref()) {
                Ok(built) => built.send().await.map_err(|error| error.to_string()),
                Err(error) => Err(error.to_string()),
            },
        };
        let response = match response {
            Ok(response) => response,
            Err(error) => return Sent::Failed(error),
        };
        let status = response.status().as_u16();
        let retry_after = response.headers().get("retry-after").and_then(|v| v.to_str().ok()).map(str::to_owned);
        let body = response.bytes().await.unwrap_or_default();
        classify(status, retry_after.as_deref(), &body)
    }
}

#[async_trait]
impl Courier for DiscordCourier {
    async fn send(&self, letter: &Letter) -> Sent {
        match self.channel_with(&letter.user).await {
            Ok(channel) => self.post(channel, letter).await,
            Err(sent) => sent,
        }
    }
}

/// Discord's error body, as much of it as the bot reads.
#[derive(Debug, Default, serde::Deserialize)]
struct DiscordError {
    code: Option<i64>,
    message: Option<String>,
    retry_after: Option<f64>,
}

/// What Discord's answer (status, `Retry-After` header, body) means for a direct message.
fn classify(status: u16, retry_after_header: Option<&str>, body: &[u8]) -> Sent {
    if (200..300).contains(&status) {
        return Sent::Delivered;
    }
    let error: DiscordError = serde_json::from_slice(body).unwrap_or_default();
    if status == 429 {
        let seconds = error.retry_after.or_else(|| retry_after_header.and_then(|h| h.trim().parse::<f64>().ok()));
        let wait = seconds
            .filter(|s| s.is_finite() && *s >= 0.0)
            .map_or(DEFAULT_WAIT, |s| Duration::from_secs_f64(s.min(3_600.0)));
        return Sent::RateLimited(wait);
    }
    if status == 403 && error.code == Some(CANNOT_MESSAGE_USER) {
        return Sent::DmsClosed;
    }
    let message = error.message.unwrap_or_else(|| String::from_utf8_lossy(body).chars().take(200).collect());
    match error.code {
        Some(code) => Sent::Failed(format!("HTTP {status}: {message} (code {code})")),
        None => Sent::Failed(format!("HTTP {status}: {message}")),
    }
}

/// The channel the weekly round-up goes to: a forum post in a forum channel, a message in
/// any other (what kind it is, is asked of Discord once).
pub struct RoundupChannel {
    http: Arc<serenity::Http>,
    channel: ChannelId,
    forum: tokio::sync::OnceCell<bool>,
}

impl RoundupChannel {
    /// The round-up channel `channel`, posted to with `http`.
    pub fn new(http: Arc<serenity::Http>, channel: ChannelId) -> Self {
        Self { http, channel, forum: tokio::sync::OnceCell::new() }
    }

    async fn is_forum(&self) -> anyhow::Result<bool> {
        let forum = self
            .forum
            .get_or_try_init(|| async {
                let channel = self.channel.to_channel(self.http.as_ref()).await?;
                anyhow::Ok(channel.guild().is_some_and(|c| c.kind == ChannelType::Forum))
            })
            .await?;
        Ok(*forum)
    }
}

#[async_trait]
impl Noticeboard for RoundupChannel {
    fn channel_id(&self) -> String {
        self.channel.to_string()
    }

    async fn post(&self, title: &str, content: &str) -> anyhow::Result<()> {
        if self.is_forum().await? {
            self.channel.create_forum_post(self.http.as_ref(), outgoing::forum_post(title, content)).await?;
        } else {
            let text = crate::render::excerpt(&format!("**{title}**\n{content}"), 2000);
            self.channel.send_message(self.http.as_ref(), outgoing::message(text)).await?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn discords_answers_mean_what_discord_says_they_mean() {
        assert_eq!(classify(200, None, b"{}"), Sent::Delivered);
        let closed = br#"{"message": "Cannot send messages to this user", "code": 50007}"#;
        assert_eq!(classify(403, None, closed), Sent::DmsClosed);
        let missing_access = br#"{"message": "Missing Access", "code": 50001}"#;
        assert_eq!(classify(403, None, missing_access), Sent::Failed("HTTP 403: Missing Access (code 50001)".into()));
        let limited = br#"{"message": "You are being rate limited.", "retry_after": 0.3, "global": false}"#;
        assert_eq!(classify(429, Some("1"), limited), Sent::RateLimited(Duration::from_millis(300)));
        assert_eq!(classify(429, Some("2.5"), b"<html>"), Sent::RateLimited(Duration::from_millis(2500)));
        assert_eq!(classify(429, None, b""), Sent::RateLimited(DEFAULT_WAIT));
        assert_eq!(classify(502, None, b"bad gateway"), Sent::Failed("HTTP 502: bad gateway".into()));
    }
}
