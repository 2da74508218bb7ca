//! The command line of `lkn-api`: one typed configuration, flags over environment over
//! defaults.

use std::net::SocketAddr;

use clap::{Args, FromArgMatches, Parser, Subcommand, ValueEnum};

use crate::edge::MetricsToken;

/// The Living Knowledge Network's GraphQL API.
#[derive(Debug, Parser)]
#[command(name = "lkn-api", version, about)]
pub struct Cli {
    /// Database URL: `sqlite:lkn.db` (created if absent) or `postgres://user@host/db`.
    #[arg(long, env = "DATABASE_URL", default_value = "sqlite:lkn.db", global = true)]
    pub database_url: String,

    /// Log format: human-readable text or one JSON object per line.
    #[arg(long, env = "LKN_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text, global = true)]
    pub log_format: LogFormat,

    /// What to do; `serve` when omitted, with its settings from the environment.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// How logs are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// For people at a terminal.
    Text,
    /// For log collectors.
    Json,
}

/// `lkn-api`'s commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Migrate, seed the network's partners if absent, and serve HTTP.
    Serve(Box<ServeArgs>),
    /// Apply pending migrations and exit.
    Migrate,
    /// Manage members.
    #[command(subcommand)]
    Member(MemberCommand),
    /// Manage API tokens.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Add data sets.
    #[command(subcommand)]
    Seed(SeedCommand),
    /// Print the GraphQL schema (SDL).
    Schema,
}

/// Settings for `serve`.
#[derive(Debug, Clone, PartialEq, Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "LKN_BIND", default_value = "127.0.0.1:8080")]
    pub bind: SocketAddr,
    /// Seconds a client may take to send a request's headers; also how long a kept-alive connection may sit idle.
    #[arg(long, env = "LKN_HEADER_READ_TIMEOUT_SECS", default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..))]
    pub header_read_timeout_secs: u64,
    /// Seconds a client may take to send the body of a POST /graphql once its headers are in (408 after).
    #[arg(long, env = "LKN_BODY_READ_TIMEOUT_SECS", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..))]
    pub body_read_timeout_secs: u64,
    /// Most database connections in the pool.
    #[arg(long, env = "LKN_DB_MAX_CONNECTIONS", default_value_t = 16)]
    pub db_max_connections: u32,
    /// Seconds a request waits for a database connection before failing with DATABASE_UNAVAILABLE.
    #[arg(long, env = "LKN_DB_ACQUIRE_TIMEOUT_SECS", default_value_t = 2)]
    pub db_acquire_timeout_secs: u64,
    /// Seconds in-flight requests get to finish after a shutdown signal.
    #[arg(long, env = "LKN_SHUTDOWN_GRACE_SECS", default_value_t = 20)]
    pub shutdown_grace_secs: u64,
    /// Browser origins allowed to call the API (CORS), comma-separated; `*` for any. None by default.
    #[arg(long = "cors-origin", env = "LKN_CORS_ORIGINS", value_delimiter = ',')]
    pub cors_origins: Vec<String>,
    /// Requests per minute per member, per Discord user the bot acts for, per client
    /// address for anonymous callers, and per address for invalid tokens; 0 turns it off.
    #[arg(long, env = "LKN_RATE_LIMIT_PER_MINUTE", default_value_t = 1200)]
    pub rate_limit_per_minute: u32,
    /// Mutations per minute per member, Discord user or address, on top of the request limit; 0 turns it off.
    #[arg(long, env = "LKN_WRITE_RATE_LIMIT_PER_MINUTE", default_value_t = 120)]
    pub write_rate_limit_per_minute: u32,
    /// Requests per minute for the bot's own identity (it carries every Discord user's traffic); 0 turns it off.
    #[arg(long, env = "LKN_BOT_RATE_LIMIT_PER_MINUTE", default_value_t = 12_000)]
    pub bot_rate_limit_per_minute: u32,
    /// Sign-in attempts per minute per client address: asking for a code, typing one,
    /// accepting an invitation. 0 turns it off.
    #[arg(long, env = "LKN_SIGN_IN_RATE_LIMIT_PER_MINUTE", default_value_t = 20)]
    pub sign_in_rate_limit_per_minute: u32,
    /// Open subscription sockets per client address.
    #[arg(long, env = "LKN_MAX_SOCKETS_PER_CLIENT", default_value_t = 64)]
    pub max_sockets_per_client: usize,
    /// Live subscriptions per socket.
    #[arg(long, env = "LKN_MAX_SUBSCRIPTIONS_PER_SOCKET", default_value_t = 32)]
    pub max_subscriptions_per_socket: usize,
    /// Seconds a new socket has to send `connection_init` before it is closed (4408).
    #[arg(long, env = "LKN_SOCKET_INIT_TIMEOUT_SECS", default_value_t = 10)]
    pub socket_init_timeout_secs: u64,
    /// Most root fields one caller (address, member or Discord user) resolves at once,
    /// across all their requests; the rest wait, so one heavy caller never holds more
    /// than this share of the database pool (half of it by default). Keep it below
    /// --db-max-connections.
    #[arg(long, env = "LKN_POOL_SHARE_PER_CALLER", default_value_t = 8)]
    pub pool_share_per_caller: usize,
    /// Largest request body in bytes (413 above it).
    #[arg(long, env = "LKN_MAX_BODY_BYTES", default_value_t = 1024 * 1024)]
    pub max_body_bytes: usize,
    /// Deepest selection nesting a query may have.
    #[arg(long, env = "LKN_MAX_QUERY_DEPTH", default_value_t = 12)]
    pub max_query_depth: usize,
    /// Largest query complexity; a connection field costs `first` times its selection.
    #[arg(long, env = "LKN_MAX_QUERY_COMPLEXITY", default_value_t = 20_000)]
    pub max_query_complexity: usize,
    /// Most fields (aliases and `__typename` included) in one query document.
    #[arg(long, env = "LKN_MAX_QUERY_FIELDS", default_value_t = 500)]
    pub max_query_fields: usize,
    /// Most root fields in one operation, aliases included.
    #[arg(long, env = "LKN_MAX_ROOT_FIELDS", default_value_t = 30)]
    pub max_root_fields: usize,
    /// Most of networkStats, search, similarThreads, tags and whoKnows (each reads every thread) in one operation.
    #[arg(long, env = "LKN_MAX_EXPENSIVE_FIELDS", default_value_t = 3)]
    pub max_expensive_fields: usize,
    /// Most directives in one query document.
    #[arg(long, env = "LKN_MAX_QUERY_DIRECTIVES", default_value_t = 50)]
    pub max_query_directives: usize,
    /// Seconds a request may run before it is cut off with TIMEOUT.
    #[arg(long, env = "LKN_REQUEST_TIMEOUT_SECS", default_value_t = 15)]
    pub request_timeout_secs: u64,
    /// Bearer token that GET /metrics requires (401 without it); /metrics is open when unset.
    #[arg(long, env = "LKN_METRICS_TOKEN", hide_env_values = true)]
    pub metrics_token: Option<MetricsToken>,
    /// Serve /metrics on this address instead of the main one (e.g. an address only monitoring reaches).
    #[arg(long, env = "LKN_METRICS_BIND")]
    pub metrics_bind: Option<SocketAddr>,
    /// Seconds between purges of expired link codes, old link attempts and old idempotency keys; 0 turns it off.
    #[arg(long, env = "LKN_PURGE_INTERVAL_SECS", default_value_t = 3600)]
    pub purge_interval_secs: u64,
    /// SMTP server for outgoing mail: `smtp://user:password@host:587` (STARTTLS required
    /// unless the host is loopback or the URL says `?tls=none`), or `smtps://host:465`.
    /// When unset, each message is written as an `.eml` file into --mail-outbox-dir.
    #[arg(long, env = "LKN_SMTP_URL", hide_env_values = true)]
    pub smtp_url: Option<crate::mail::Secret>,
    /// SMTP user name, when it is not in the URL.
    #[arg(long, env = "LKN_SMTP_USERNAME")]
    pub smtp_username: Option<String>,
    /// SMTP password, when it is not in the URL.
    #[arg(long, env = "LKN_SMTP_PASSWORD", hide_env_values = true)]
    pub smtp_password: Option<crate::mail::Secret>,
    /// The sender of outgoing mail.
    #[arg(long, env = "LKN_MAIL_FROM", default_value = crate::mail::DEFAULT_FROM)]
    pub mail_from: String,
    /// Folder that receives outgoing mail as `.eml` files when no SMTP server is set.
    #[arg(long, env = "LKN_MAIL_OUTBOX_DIR", default_value = "outbox")]
    pub mail_outbox_dir: std::path::PathBuf,
    /// Where people reach this server, for links in e-mails (e.g. `https://lkn.bl.uk`);
    /// `http://<bind address>` when unset.
    #[arg(long, env = "LKN_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// The hour (0–23, Europe/London) at which the daily digest, the weekly digest (on
    /// --digest-weekday) and the bid-deadline reminders go out.
    #[arg(long, env = "LKN_DIGEST_HOUR", default_value_t = 7, value_parser = clap::value_parser!(u32).range(0..=23))]
    pub digest_hour: u32,
    /// The day of the weekly digest (monday … sunday).
    #[arg(long, env = "LKN_DIGEST_WEEKDAY", default_value = "monday", value_parser = parse_weekday)]
    pub digest_weekday: chrono::Weekday,
    /// Seconds a process holds a job or an e-mail it took before another process may take
    /// it over (after a crash); longer than any one job or message takes.
    #[arg(long, env = "LKN_DELIVERY_LEASE_SECS", default_value_t = 120, value_parser = clap::value_parser!(i64).range(2..=86_400))]
    pub delivery_lease_secs: i64,
}

impl ServeArgs {
    /// The worker's settings these flags describe.
    pub fn worker(&self) -> crate::worker::WorkerSettings {
        crate::worker::WorkerSettings {
            schedule: crate::service::notifications::digest::Schedule {
                hour: self.digest_hour,
                weekday: self.digest_weekday,
            },
            lease_seconds: self.delivery_lease_secs,
        }
    }

    /// `serve`'s settings from the environment and the defaults alone: what `lkn-api`
    /// runs with when no subcommand is given, so that it means exactly `lkn-api serve`.
    pub fn from_environment() -> Result<Self, clap::Error> {
        let command = Self::augment_args(clap::Command::new("serve").no_binary_name(true));
        Self::from_arg_matches(&command.try_get_matches_from(std::iter::empty::<String>())?)
    }

    /// The edge settings these flags describe.
    pub fn edge(&self) -> crate::edge::EdgeSettings {
        crate::edge::EdgeSettings {
            header_read_timeout: std::time::Duration::from_secs(self.header_read_timeout_secs),
            body_read_timeout: std::time::Duration::from_secs(self.body_read_timeout_secs),
            max_body_bytes: self.max_body_bytes,
            max_depth: self.max_query_depth,
            max_complexity: self.max_query_complexity,
            document: crate::graphql::limits::DocumentLimits {
                max_fields: self.max_query_fields,
                max_directives: self.max_query_directives,
                max_root_fields: self.max_root_fields,
                max_expensive_fields: self.max_expensive_fields,
            },
            request_timeout: std::time::Duration::from_secs(self.request_timeout_secs),
            cors_origins: self.cors_origins.clone(),
            rate_limiter: std::sync::Arc::new(crate::rate_limit::RateLimiter::new(crate::rate_limit::Limits {
                per_minute: self.rate_limit_per_minute,
                writes_per_minute: self.write_rate_limit_per_minute,
                bot_per_minute: self.bot_rate_limit_per_minute,
                sign_in_per_minute: self.sign_in_rate_limit_per_minute,
            })),
            sockets: crate::edge::SocketLimits {
                per_client: self.max_sockets_per_client,
                subscriptions_per_socket: self.max_subscriptions_per_socket,
                init_timeout: std::time::Duration::from_secs(self.socket_init_timeout_secs),
            },
            pool_share_per_caller: self.pool_share_per_caller.max(1),
            metrics_token: self.metrics_token.clone(),
            separate_metrics_listener: self.metrics_bind.is_some(),
        }
    }
}

impl Default for ServeArgs {
    fn default() -> Self {
        Self {
            bind: SocketAddr::from(([127, 0, 0, 1], 8080)),
            header_read_timeout_secs: 10,
            body_read_timeout_secs: 30,
            db_max_connections: 16,
            db_acquire_timeout_secs: 2,
            shutdown_grace_secs: 20,
            cors_origins: Vec::new(),
            rate_limit_per_minute: 1200,
            write_rate_limit_per_minute: 120,
            sign_in_rate_limit_per_minute: 20,
            bot_rate_limit_per_minute: 12_000,
            max_sockets_per_client: 64,
            max_subscriptions_per_socket: 32,
            socket_init_timeout_secs: 10,
            pool_share_per_caller: 8,
            max_body_bytes: 1024 * 1024,
            max_query_depth: 12,
            max_query_complexity: 20_000,
            max_query_fields: 500,
            max_root_fields: 30,
            max_expensive_fields: 3,
            max_query_directives: 50,
            request_timeout_secs: 15,
            metrics_token: None,
            metrics_bind: None,
            purge_interval_secs: 3600,
            smtp_url: None,
            smtp_username: None,
            smtp_password: None,
            mail_from: crate::mail::DEFAULT_FROM.to_owned(),
            mail_outbox_dir: std::path::PathBuf::from("outbox"),
            public_url: None,
            digest_hour: 7,
            digest_weekday: chrono::Weekday::Mon,
            delivery_lease_secs: 120,
        }
    }
}

/// `member` subcommands.
#[derive(Debug, Subcommand)]
pub enum MemberCommand {
    /// Create a member and print their first API token, alone on standard output.
    Add {
        /// Slug of the member's partner (`lkn-api` lists them in `partners`).
        #[arg(long)]
        partner: String,
        /// E-mail address.
        #[arg(long)]
        email: String,
        /// Name shown on their posts.
        #[arg(long)]
        name: String,
        /// member, coordinator, admin, or bot (the chat bot's service identity).
        #[arg(long, value_enum, default_value_t = RoleArg::Member)]
        role: RoleArg,
    },
    /// Suspend a member: their tokens, open sockets and the bot acting for their Discord
    /// account are refused until they are restored. Their content and link stay.
    Suspend {
        /// The member's e-mail address.
        #[arg(long)]
        email: String,
    },
    /// Lift a member's suspension.
    Restore {
        /// The member's e-mail address.
        #[arg(long)]
        email: String,
    },
    /// Print everything LKN holds about a member as one JSON document (a subject access
    /// request under UK GDPR). Tokens and codes appear without their secrets.
    Export {
        /// The member's e-mail address.
        #[arg(long)]
        email: String,
    },
    /// Erase a member's personal data: name, e-mail, bio, expertise, tokens, sessions,
    /// Discord link and mail to them. Their threads and replies stay, attributed to "A
    /// former member of <partner>"; the erasure is recorded in the audit trail.
    Erase {
        /// The member's e-mail address.
        #[arg(long)]
        email: String,
    },
}

/// Roles as typed on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RoleArg {
    /// Library staff.
    Member,
    /// A partner's coordinator.
    Coordinator,
    /// A network administrator.
    Admin,
    /// The chat bot's service identity.
    Bot,
}

/// `token` subcommands.
#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Issue a further token for a member and print it.
    Issue {
        /// The member's e-mail address.
        #[arg(long)]
        email: String,
    },
    /// Revoke every token a member holds.
    Revoke {
        /// The member's e-mail address.
        #[arg(long)]
        email: String,
    },
}

/// `seed` subcommands.
#[derive(Debug, Subcommand)]
pub enum SeedCommand {
    /// Add the deterministic demo data set scaled to N threads.
    Demo {
        /// How many threads.
        #[arg(long, default_value_t = 1000)]
        threads: usize,
    },
}

/// A day of the week by its English name (`monday`, `Mon`, ...).
fn parse_weekday(text: &str) -> Result<chrono::Weekday, String> {
    text.parse::<chrono::Weekday>().map_err(|_| format!("`{text}` is not a day of the week (monday … sunday)"))
}

#[cfg(test)]
mod tests {
    use clap::{Args, FromArgMatches};

    use super::ServeArgs;

    #[test]
    fn the_default_serve_settings_are_the_flags_defaults() {
        // Parsed with every `env` removed, so the test's own environment cannot leak in.
        let command =
            ServeArgs::augment_args(clap::Command::new("serve").no_binary_name(true)).mut_args(|a| a.env(None));
        let matches = command.try_get_matches_from(std::iter::empty::<String>()).expect("defaults parse");
        assert_eq!(ServeArgs::from_arg_matches(&matches).expect("settings"), ServeArgs::default());
    }
}
