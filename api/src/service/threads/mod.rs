//! Knowledge-exchange threads, their replies and tags: [`query`] reads them (visibility
//! and filters are part of every query), [`write`](mod@write) posts, edits, replies, accepts,
//! closes, endorses and follows.

pub mod query;
pub mod write;

pub use query::*;
pub use write::*;
