//! The network's rules, shared by the GraphQL resolvers, the CLI and (through the API)
//! the bot. Each function takes a connection or a [`write::Write`] and the viewer, and is
//! the only place its rule is written.
//!
//! # Layout
//!
//! Leaves first; nothing below depends on anything above it in this list:
//! - [`viewer`]: who is asking and what they may see; [`secret`]: tokens and their
//!   fingerprints; [`page`]: cursors and pages; [`input`]: user text parsed once
//!   (`Title`, `Markdown`, `Tag`).
//! - [`write`](mod@write): a write as a unit of work (lock, audit record, events announced on commit)
//!   and idempotent creates; [`outbox`]: e-mail queued by a write, claimed and marked by the sender;
//!   [`jobs`]: durable work queued by a write and done once after it commits.
//! - [`audit`] (reading the trail), [`search`], [`partners`], [`members`], [`profiles`]
//!   (bios, languages, declared expertise).
//! - [`threads`] and [`collaborations`]: each a `query` (reads, visibility, filters) and a
//!   `write` (posting, editing, the workflow); [`network`]: the figures across them.
//! - [`identity`] (recognising a caller, linking Discord), [`link_code`], [`discord`]
//!   (the bot's records), [`access`] (granting and cutting access), [`membership_requests`]
//!   (joining from Discord), [`housekeeping`].
//! - [`sign_in`] (e-mailed codes and the sessions they start) and [`invitations`]
//!   (joining a partner by e-mail), on top of `access`.
//! - [`notifications`]: who is told of what, how and when (fan-out, preferences, digests,
//!   unsubscribe links, Discord direct messages), on top of `jobs` and `outbox`.
//! - [`expertise`] ("who knows about X?", over threads, search and profiles);
//!   [`personal_data`] (a member's data exported, or erased, at the command line).
//! - [`seed`]: the founding partners and the demo generator — data, not rules.

pub mod access;
pub mod audit;
pub mod collaborations;
pub mod discord;
pub mod expertise;
pub mod housekeeping;
pub mod identity;
pub mod input;
pub mod invitations;
pub mod jobs;
pub mod link_code;
pub mod members;
pub mod membership_requests;
pub mod network;
pub mod notifications;
pub mod outbox;
pub mod page;
pub mod partners;
pub mod personal_data;
pub mod profiles;
pub mod search;
pub mod secret;
pub mod seed;
pub mod sign_in;
pub mod threads;
pub mod viewer;
pub mod write;
