//! The Discord bot end to end: the real lkn-bot (poise on serenity) against the
//! Discord stand-in on loopback, with a real lkn-api behind it; and its console.
//!
//! The assertions are on what Discord would have received (registration, deferrals,
//! follow-ups, forum posts, thread edits, announcements) and on what LKN stored.
//!
//! # Layout
//! - `commands.rs`: the slash commands, modals, buttons, autocomplete and message commands.
//! - `mirroring.rs`: threads, replies and proposals mirrored once, across bots, restarts and
//!   failures.
//! - `pings.rs`: nothing the bot writes notifies anyone.
//! - `access.rs`: who may act through the bot: its own records, suspended members.
//! - `membership.rs`: joining (`/join`, decided by coordinators' buttons) and linking by e-mail.
//! - `people.rs`: `/who-knows` and `/profile`.
//! - `notifications.rs`: notifications by direct message (closed DMs, rate limits, Welsh, the
//!   Unfollow button) and the weekly round-up of unanswered questions.
//! - `console.rs`: the console, running the same commands.
//!
//! This file holds what they share: a running bot and the steps every test takes.

mod access;
mod commands;
mod console;
mod membership;
mod mirroring;
mod notifications;
mod people;
mod pings;

use std::time::Duration;

use lkn_bot::config::{RoundupChannel, RunArgs};
use serde_json::{Value, json};
use tokio::sync::oneshot;

use crate::discord_standin::{DiscordStandIn, DiscordUser, Interaction, RestCall};
use crate::support::TestApp;

const WAIT: Duration = Duration::from_secs(15);

/// A bot process connected to a stand-in and to `app`; stopped when dropped.
struct RunningBot {
    discord: DiscordStandIn,
    stop: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
}

impl RunningBot {
    async fn start(app: &TestApp, bot_token: &str) -> Self {
        Self::start_with_api(&app.url(""), bot_token).await
    }

    /// A bot that reaches the API at `api_url` (a proxy in front of it, say).
    async fn start_with_api(api_url: &str, bot_token: &str) -> Self {
        Self::start_configured(api_url, bot_token, |_| {}).await
    }

    /// A bot that posts the weekly round-up in the forum channel from `weekday` at `hour` (UK
    /// time); other bots post none, so that their forum holds only mirrors.
    async fn start_with_roundup(app: &TestApp, bot_token: &str, weekday: chrono::Weekday, hour: u32) -> Self {
        Self::start_configured(&app.url(""), bot_token, |args| {
            args.roundup_channel = Some(RoundupChannel::Channel(DiscordStandIn::FORUM_CHANNEL_ID));
            args.roundup_weekday = weekday;
            args.roundup_hour = hour;
        })
        .await
    }

    /// A bot with the tests' settings, changed by `configure`.
    async fn start_configured(api_url: &str, bot_token: &str, configure: impl FnOnce(&mut RunArgs)) -> Self {
        if std::env::var_os("RUST_LOG").is_some() {
            lkn_bot::telemetry();
        }
        let discord = DiscordStandIn::start().await;
        let mut args = RunArgs {
            discord_token: discord.bot_token().to_owned(),
            api_url: api_url.to_owned(),
            api_token: bot_token.to_owned(),
            guild_id: Some(DiscordStandIn::GUILD_ID),
            forum_channel_id: DiscordStandIn::FORUM_CHANNEL_ID,
            announce_channel_id: DiscordStandIn::ANNOUNCE_CHANNEL_ID,
            coordinators_channel_id: Some(DiscordStandIn::COORDINATORS_CHANNEL_ID),
            catch_up_hours: 24,
            roundup_channel: Some(RoundupChannel::Off),
            roundup_weekday: chrono::Weekday::Mon,
            roundup_hour: 9,
            discord_base_url: Some(discord.base_url()),
        };
        configure(&mut args);
        let (stop, stopped) = oneshot::channel();
        let task = tokio::spawn(lkn_bot::discord::run(args, async {
            let _ = stopped.await;
        }));
        discord.wait_until_ready(WAIT).await.expect("the bot connects to the stand-in");
        discord
            .wait_for_call("command registration", WAIT, |c| c.method == "PUT" && c.path.ends_with("/commands"))
            .await
            .expect("commands registered");
        Self { discord, stop: Some(stop), task: Some(task) }
    }

    async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = tokio::time::timeout(WAIT, task).await;
        }
    }

    /// The text of the first follow-up answering `interaction`.
    async fn follow_up(&self, interaction: &Interaction) -> String {
        let path = format!("/webhooks/{}/{}", DiscordStandIn::APPLICATION_ID, interaction.token);
        let call = self
            .discord
            .wait_for_call("a follow-up", WAIT, |c| c.method == "POST" && c.path.ends_with(&path))
            .await
            .expect("follow-up");
        call.body["content"].as_str().unwrap_or_default().to_owned()
    }

    /// The callback types Discord received for `interaction` (5 deferral, 9 modal, …).
    fn callbacks(&self, interaction: &Interaction) -> Vec<(i64, Value)> {
        let path = format!("/interactions/{}/{}/callback", interaction.id, interaction.token);
        self.discord
            .calls()
            .into_iter()
            .filter(|c| c.path.ends_with(&path))
            .map(|c| (c.body["type"].as_i64().unwrap_or_default(), c.body))
            .collect()
    }

    fn posts_to(&self, channel: u64) -> Vec<RestCall> {
        let path = format!("/channels/{channel}/messages");
        self.discord.calls().into_iter().filter(|c| c.method == "POST" && c.path.ends_with(&path)).collect()
    }
}

fn option(name: &str, value: Value) -> Value {
    json!({ "name": name, "type": if value.is_string() { 3 } else { 5 }, "value": value })
}

/// Links `user` to the member of `member_token` through `/link`, as staff would.
async fn link(app: &TestApp, bot: &RunningBot, user: &DiscordUser, member_token: &str) {
    let code = app.data(Some(member_token), "mutation { createDiscordLinkCode { code } }", json!({})).await;
    let code = code["createDiscordLinkCode"]["code"].as_str().expect("a link code").to_owned();
    let linking = bot.discord.slash_command(user, "link", json!([option("code", json!(code))])).await;
    let text = bot.follow_up(&linking).await;
    assert!(text.starts_with("Linked"), "{text}");
}

async fn post_thread(app: &TestApp, token: &str, title: &str, tags: &[&str]) -> String {
    let posted = app
        .data(
            Some(token),
            "mutation($input: PostThreadInput!) { postThread(input: $input) { thread { id } userErrors { message } } }",
            json!({ "input": { "kind": "QUESTION", "title": title, "body": "Details.", "tags": tags } }),
        )
        .await;
    posted["postThread"]["thread"]["id"].as_str().expect("thread id").to_owned()
}

async fn wait_for_posts(discord: &DiscordStandIn, title: &str, count: usize) -> Vec<crate::discord_standin::ForumPost> {
    let started = std::time::Instant::now();
    loop {
        let posts: Vec<_> = discord.forum_posts().into_iter().filter(|p| p.name.contains(title)).collect();
        if posts.len() >= count || started.elapsed() > WAIT {
            return posts;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
