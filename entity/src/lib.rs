//! The Living Knowledge Network's tables as sea-orm entities, one module per table.
//!
//! The entities carry no relations on purpose: the API batches related rows with
//! DataLoaders and hand-written joins, so lazy relation helpers would only invite N+1
//! queries. The enums here are the stored vocabulary of the domain; the API maps them
//! to GraphQL enums of the same names.

pub mod api_token;
pub mod audit_event;
pub mod collaboration;
pub mod collaboration_outcome;
pub mod collaboration_participant;
pub mod discord_link_attempt;
pub mod discord_link_code;
pub mod discord_mirror;
pub mod discord_preference;
pub mod endorsement;
pub mod enrolment_code;
pub mod follow;
pub mod idempotency_key;
pub mod invitation;
pub mod job;
pub mod member;
pub mod member_expertise;
pub mod membership_request;
pub mod network_figure;
pub mod notification;
pub mod notification_preference;
pub mod outbox_message;
pub mod partner;
pub mod reply;
pub mod sign_in_code;
pub mod tag;
pub mod thread;
pub mod thread_tag;
pub mod unsubscribe_link;
pub mod vocabulary;
