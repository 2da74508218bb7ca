//! End-to-end tests: the real lkn-api on a loopback port, over real SQLite and
//! PostgreSQL databases, driven by a GraphQL client over HTTP.

mod support;

mod api_proxy;
mod authorization;
mod bot;
mod cli;
mod collaborations;
mod cost;
mod database;
mod digest_processes;
mod discord_standin;
pub mod edge;
mod explorer;
mod fan_out_benchmark;
mod hardening_edges;
mod http;
mod live_benchmark;
mod mail;
mod mail_catcher;
mod membership_requests;
mod notifications;
mod outage;
mod partners;
mod processes;
mod profiles;
mod revocation;
mod schema;
mod search;
mod sign_in;
pub mod subscriptions;
mod threads;
mod validators;
mod waiting;
mod writes;
