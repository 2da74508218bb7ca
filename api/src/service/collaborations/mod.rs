//! Collaborations between partners: [`query`] reads them with their participants and
//! outcomes, [`write`](mod@write) proposes them and moves them through their workflow.

pub mod query;
pub mod write;

pub use query::*;
pub use write::*;
