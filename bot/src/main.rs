//! `lkn-bot`: the Discord bot, a client of the LKN GraphQL API.
//!
//! Its commands, Discord adapter and API client arrive with their own issue; until then
//! the binary says so and exits with an error, so nobody mistakes it for a running bot.

fn main() -> std::process::ExitCode {
    eprintln!("lkn-bot is not built yet: the Discord bot has its own issue. Use the GraphQL API (lkn-api) meanwhile.");
    std::process::ExitCode::from(2)
}
