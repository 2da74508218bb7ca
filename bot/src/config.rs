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
    /// Connects to Discord and to the API, registers the commands, mirrors threads, sends
    /// members their notifications by direct message and posts the weekly round-up.
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
    /// Where the weekly round-up of unanswered questions is posted (a forum post in a forum
    /// channel, a message in any other): a channel id, or `off`; the forum channel when not set.
    #[arg(long = "roundup-channel", env = "LKN_ROUNDUP_CHANNEL_ID", value_parser = parse_roundup_channel)]
    pub roundup_channel: Option<RoundupChannel>,
    /// The day of the week the round-up is posted (monday … sunday).
    #[arg(long, env = "LKN_ROUNDUP_WEEKDAY", default_value = "monday", value_parser = parse_weekday)]
    pub roundup_weekday: chrono::Weekday,
    /// The hour (0–23, UK time) from which the round-up is posted on that day.
    #[arg(long, env = "LKN_ROUNDUP_HOUR", default_value_t = 9, value_parser = clap::value_parser!(u32).range(0..=23))]
    pub roundup_hour: u32,
    /// For tests only: send Discord's REST calls and gateway discovery here instead of
    /// discord.com. Refused unless the host is a loopback address.
    #[arg(long, env = "LKN_DISCORD_BASE_URL", hide = true)]
    pub discord_base_url: Option<String>,
}

impl RunArgs {
    /// The channel the weekly round-up goes to, if any: the one given, or the forum channel.
    pub fn roundup_channel_id(&self) -> Option<u64> {
        match self.roundup_channel {
            Some(RoundupChannel::Off) => None,
            Some(RoundupChannel::Channel(id)) => Some(id),
            None => Some(self.forum_channel_id),
        }
    }
}

/// `--roundup-channel`: a channel, or no round-up at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RoundupChannel {
    /// No weekly round-up.
    Off,
    /// Post it in this channel.
    Channel(u64),
}

fn parse_roundup_channel(text: &str) -> Result<RoundupChannel, String> {
    let text = text.trim();
    if text.eq_ignore_ascii_case("off") {
        return Ok(RoundupChannel::Off);
    }
    match text.parse::<u64>() {
        Ok(id) if id > 0 => Ok(RoundupChannel::Channel(id)),
        _ => Err(format!("`{text}` is neither a Discord channel id nor `off`")),
    }
}

/// A day of the week by its English name (`monday`, `Mon`, …).
fn parse_weekday(text: &str) -> Result<chrono::Weekday, String> {
    text.trim().parse::<chrono::Weekday>().map_err(|_| format!("`{text}` is not a day of the week (monday … sunday)"))
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
    use clap::Parser as _;

    use super::*;

    fn run_args(extra: &[&str]) -> RunArgs {
        let mut args = vec!["lkn-bot", "run", "--discord-token", "t", "--api-token", "a"];
        args.extend(["--forum-channel", "20", "--announce-channel", "30"]);
        args.extend(extra);
        let BotCommand::Run(run) = Cli::try_parse_from(args).expect("the arguments parse").command else {
            panic!("run")
        };
        *run
    }

    #[test]
    fn the_roundup_goes_to_the_forum_on_monday_at_nine_unless_told_otherwise() {
        let defaults = run_args(&[]);
        assert_eq!(defaults.roundup_channel_id(), Some(20));
        assert_eq!((defaults.roundup_weekday, defaults.roundup_hour), (chrono::Weekday::Mon, 9));
        let elsewhere = run_args(&["--roundup-channel", "40", "--roundup-weekday", "Friday", "--roundup-hour", "16"]);
        assert_eq!(elsewhere.roundup_channel_id(), Some(40));
        assert_eq!((elsewhere.roundup_weekday, elsewhere.roundup_hour), (chrono::Weekday::Fri, 16));
        assert_eq!(run_args(&["--roundup-channel", "off"]).roundup_channel_id(), None);
    }

    #[test]
    fn a_roundup_setting_that_makes_no_sense_is_refused() {
        let base = ["lkn-bot", "run", "--discord-token", "t", "--api-token", "a", "--forum-channel", "20"];
        let base = base.iter().chain(["--announce-channel", "30"].iter());
        for wrong in [["--roundup-hour", "24"], ["--roundup-weekday", "someday"], ["--roundup-channel", "general"]] {
            let args: Vec<&str> = base.clone().copied().chain(wrong).collect();
            assert!(Cli::try_parse_from(args).is_err(), "{wrong:?}");
        }
    }

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
