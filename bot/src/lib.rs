//! The Living Knowledge Network's Discord bot: staff ask, answer, search and
//! collaborate from Discord, and every thread lives as a post in a forum channel.
//!
//! The bot is a client of the LKN GraphQL API and nothing else: it never touches the
//! database.
//!
//! # Layout
//! - [`api`]: the only door to LKN. Every GraphQL document the bot sends, one file per
//!   feature (`threads`, `collaborations`, `network`, `discord`, `subscriptions`), typed
//!   by cynic and checked against `api/schema.graphql` when the bot compiles; the
//!   transport ([`api::http`]) and the keys mirrors are recorded under
//!   ([`api::MirrorKey`]);
//! - [`core`]: commands → replies, knowing no Discord types;
//! - [`catalogue`]: every sentence, in English and Welsh;
//! - [`console`]: the same commands from standard input;
//! - [`discord`]: the poise/serenity adapter: `commands/` (one file per group),
//!   autocomplete, and the forum and announcement channels ([`discord::DiscordSink`]);
//! - [`mirror`]: threads, replies and collaborations into Discord; [`live`]: the API's
//!   subscriptions, kept connected;
//! - [`notify`]: notifications the API hands the bot, sent as direct messages;
//!   [`roundup`]: the weekly round-up of unanswered questions;
//! - [`outgoing`]: every message the bot sends, built so that it pings nobody;
//! - [`config`]: the command line.

pub mod api;
pub mod catalogue;
pub mod config;
pub mod console;
pub mod core;
pub mod discord;
pub mod live;
pub mod mirror;
pub mod notify;
pub mod outgoing;
pub mod render;
pub mod roundup;

use std::sync::Arc;

use anyhow::Context as _;

use crate::api::{HttpTransport, Lkn};
use crate::config::{BotCommand, Cli};

/// Logs to standard error, filtered by `RUST_LOG` (default `info`).
pub fn telemetry() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).try_init();
}

/// Runs what the command line asks until it is done (console) or the process is
/// told to stop (Ctrl-C or SIGTERM).
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        BotCommand::Run(args) => discord::run(*args, shutdown_signal()).await,
        BotCommand::Console(args) => {
            let api = Lkn::new(Arc::new(HttpTransport::new(&args.api_url, None)?));
            let input = tokio::io::BufReader::new(tokio::io::stdin());
            console::run(&api, args.token, input, tokio::io::stdout()).await.context("console")
        }
    }
}

/// Resolves on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut terminate = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(signal) => signal,
            Err(_) => return std::future::pending().await,
        };
        tokio::select! {
            _ = interrupt => {}
            _ = terminate.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = interrupt.await;
}
