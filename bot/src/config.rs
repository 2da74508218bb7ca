//! The bot's command line and settings: flags first, then the environment.

use clap::{Args, Parser, Subcommand};

/// The Living Knowledge Network's Discord bot, a client of the LKN GraphQL API.
#[derive(Debug, Parser)]
#[command(name = "lkn-bot", version, about)]
pub struct Cli {
    /// What to do; `run` when omitted.
    #[command(subcommand)]
    pub command: BotCommand,
}

impl Cli {
    /// Reads the command line, taking `run` as the subcommand when none is named (so
    /// `lkn-bot` alone, or `lkn-bot --api-url …`, runs the bot).
    pub fn from_args(args: impl IntoIterator<Item = std::ffi::OsString>) -> Self {
        let mut args: Vec<std::ffi::OsString> = args.into_iter().collect();
        let first = args.get(1).and_then(|a| a.to_str()).unwrap_or("");
        let names_one = !first.is_empty() && !first.starts_with('-');
        let asks_about_itself = matches!(first, "-h" | "--help" | "-V" | "--version");
        if !names_one && !asks_about_itself {
            args.insert(args.len().min(1), "run".into());
        }
        <Self as Parser>::parse_from(args)
    }
}

/// The bot's subcommands.
#[derive(Debug, Subcommand)]
pub enum BotCommand {
    /// Connects to Discord and to the API, registers the commands and mirrors threads.
    Run(Box<RunArgs>),
    /// Runs commands read as lines from standard input, as the token's member.
    Console(ConsoleArgs),
}

/// Settings of `lkn-bot run`.
#[derive(Debug, Clone, Args)]
pub struct RunArgs {
    /// The Discord bot token.
    #[arg(long, env = "DISCORD_TOKEN", hide_env_values = true)]
    pub discord_token: String,
    /// The LKN API's base URL.
    #[arg(long, env = "LKN_API_URL", default_value = "http://127.0.0.1:8080")]
    pub api_url: String,
    /// An LKN API token with role `bot` (`lkn-api member add --role bot`).
    #[arg(long, env = "LKN_API_TOKEN", hide_env_values = true)]
    pub api_token: String,
    /// Register the commands in this Discord server only (updates at once); globally otherwise.
    #[arg(long, env = "LKN_GUILD_ID")]
    pub guild_id: Option<u64>,
    /// The forum channel where every thread gets a post.
    #[arg(long = "forum-channel", env = "LKN_FORUM_CHANNEL_ID")]
    pub forum_channel_id: u64,
    /// The channel where collaboration proposals and status changes are announced.
    #[arg(long = "announce-channel", env = "LKN_ANNOUNCE_CHANNEL_ID")]
    pub announce_channel_id: u64,
    /// The channel where requests to join (`/join`) are put to partners' coordinators;
    /// the announcement channel when not set.
    #[arg(long = "coordinators-channel", env = "LKN_COORDINATORS_CHANNEL_ID")]
    pub coordinators_channel_id: Option<u64>,
    /// How far back, in hours, the bot mirrors what it missed when it starts.
    #[arg(long, env = "LKN_CATCH_UP_HOURS", default_value_t = 24)]
    pub catch_up_hours: u32,
    /// For tests only: send Discord's REST calls and gateway discovery here instead of
    /// discord.com. Refused unless the host is a loopback address.
    #[arg(long, env = "LKN_DISCORD_BASE_URL", hide = true)]
    pub discord_base_url: Option<String>,
}

/// Settings of `lkn-bot console`.
#[derive(Debug, Clone, Args)]
pub struct ConsoleArgs {
    /// The LKN API's base URL.
    #[arg(long, env = "LKN_API_URL", default_value = "http://127.0.0.1:8080")]
    pub api_url: String,
    /// A member's API token: the commands run as that member.
    #[arg(long, env = "LKN_TOKEN", hide_env_values = true)]
    pub token: String,
}

/// Why a setting was refused.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    /// The stand-in URL is not on this machine.
    #[error("--discord-base-url must be an http:// URL on a loopback address (127.0.0.1, ::1 or localhost), not {0}")]
    NotLoopback(String),
}

/// Checks the test-only Discord base URL: only loopback hosts, so that the production
/// binary can never be pointed at a third party posing as Discord.
pub fn loopback_base_url(url: &str) -> Result<String, SettingsError> {
    let refused = || SettingsError::NotLoopback(url.to_owned());
    let rest = url.strip_prefix("http://").ok_or_else(refused)?;
    let authority = rest.split('/').next().unwrap_or_default();
    let host = match authority.strip_prefix('[') {
        Some(bracketed) => bracketed.split(']').next().unwrap_or_default(),
        None => authority.rsplit_once(':').map_or(authority, |(host, _)| host),
    };
    let loopback = host == "localhost" || host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback());
    if loopback { Ok(url.trim_end_matches('/').to_owned()) } else { Err(refused()) }
}

#[cfg(test)]
mod tests {
    use super::loopback_base_url;

    #[test]
    fn only_loopback_stand_ins_are_accepted() {
        assert!(loopback_base_url("http://127.0.0.1:4000").is_ok());
        assert!(loopback_base_url("http://[::1]:4000/").is_ok());
        assert!(loopback_base_url("http://localhost:4000").is_ok());
        assert!(loopback_base_url("https://discord.com").is_err());
        assert!(loopback_base_url("http://10.0.0.1:4000").is_err());
        assert!(loopback_base_url("http://127.0.0.1.evil.example:80").is_err());
    }
}
