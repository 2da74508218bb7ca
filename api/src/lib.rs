//! `lkn-api`: the Living Knowledge Network's GraphQL API over sea-orm.
//!
//! The binary only parses its configuration and calls into this library; tests start
//! the server through the same [`startup::Application`] (`build`, then
//! `run_until_stopped`) on loopback port 0 against real databases, or call
//! [`http::app`], [`http::serve`] and [`db::connect`] directly.
//!
//! # Layout
//!
//! From the wire inwards:
//! - [`cli`], [`config`]: the commands and their one typed configuration; [`telemetry`]: logs;
//!   [`startup`]: start-up in one place (prepare the database, bind, wire, serve, drain).
//! - [`http`]: the router and [`http::AppState`]; in it [`http::serving`] (the accept loop:
//!   header deadlines, graceful drain), [`http::graphql`] (the GraphQL-over-HTTP rules),
//!   [`http::ws`] (subscriptions over WebSocket, subscriptions only, closed when access is
//!   cut), [`http::probes`] (`/healthz`, `/readyz`, `/metrics`), [`http::graphiql`],
//!   [`http::explorer`] (the web page at `/`) and [`http::request_id`].
//! - [`edge`]: what every door enforces before the schema — admission by address then
//!   token, budgets ([`rate_limit`]), pool shares, socket caps; [`metrics`]: the counters,
//!   which the schema feeds too.
//! - [`graphql`]: the schema, one module per feature. Resolvers are thin: they read the
//!   viewer, call `service`, and dress results and errors for GraphQL; the DataLoaders
//!   ([`graphql::loaders`]) and look-ahead prefetch ([`graphql::prefetch`]) only adapt
//!   service functions, and nothing here reads a table itself.
//! - [`service`]: the network's rules, the only layer that touches the database: a leaf
//!   [`service::viewer`] (who is asking, what they may see); [`service::write`] (a write
//!   as a unit of work); [`service::input`] (user text parsed once); one folder per noun
//!   with reads and writes ([`service::threads`], [`service::collaborations`],
//!   [`service::search`]); partners, members, network figures; [`service::identity`] and
//!   [`service::access`] (recognising callers, granting and cutting access); and
//!   [`service::seed`] (founding partners, demo data). Shared by resolvers, the CLI and,
//!   through the API, the bot. Its modules form no import circle.
//! - [`mail`]: outgoing e-mail — what messages say (English and Welsh), how they leave
//!   (SMTP or an outbox folder), and the sender that works through the outbox table.
//! - [`events`]: committed writes for subscribers, across processes on PostgreSQL.
//! - [`error`]: the one error policy and table of codes; [`db`]: opening and migrating.

pub mod cli;
pub mod config;
pub mod db;
pub mod edge;
pub mod error;
pub mod events;
pub mod graphql;
pub mod http;
pub mod mail;
pub mod metrics;
pub mod rate_limit;
pub mod service;
pub mod startup;
pub mod telemetry;
pub mod worker;

pub use http::{AppState, app, serve};
pub use startup::prepare_database;

/// The schema as sorted SDL, as `lkn-api schema` prints it and `api/schema.graphql` keeps it.
pub fn schema_sdl() -> String {
    use async_graphql::SDLExportOptions;
    let schema = async_graphql::Schema::build(
        graphql::QueryRoot::default(),
        graphql::MutationRoot::default(),
        graphql::subscriptions::SubscriptionRoot,
    )
    .finish();
    schema.sdl_with_options(SDLExportOptions::new().sorted_fields().sorted_arguments().sorted_enum_items())
}
