//! The slash commands, one file per group (as mini-redis keeps one per command).
//! Each command's `///` line is its help text in Discord.
//!
//! A choice a command offers from one of the API's enums (kinds, nations, statuses)
//! is an enum of its own, for poise, that also derives `cynic::Enum` against the same
//! schema type: a variant added to or dropped from the schema fails the build here too,
//! and `From` turns it into the client's enum with an exhaustive `match`.

mod account;
mod collab;
mod network;
mod people;
mod threads;

use crate::discord::{BotData, Error};

/// Every command the bot registers.
pub fn commands() -> Vec<poise::Command<BotData, Error>> {
    vec![
        threads::ask(),
        threads::share(),
        threads::search(),
        threads::thread(),
        threads::unanswered(),
        threads::follow(),
        threads::unfollow(),
        threads::answer(),
        threads::mark_as_answer(),
        network::partners(),
        network::partner(),
        network::stats(),
        people::who_knows(),
        people::profile(),
        collab::collab(),
        account::join(),
        account::link(),
        account::unlink(),
        account::help(),
        account::language(),
    ]
}
