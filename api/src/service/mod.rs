//! The network's rules, shared by the GraphQL resolvers, the CLI and (through the API)
//! the bot. Each function takes a connection or transaction and the viewer, and is the
//! only place its rule is written.

pub mod access;
pub mod audit;
pub mod collaborating;
pub mod collaborations;
pub mod demo;
pub mod discord;
pub mod housekeeping;
pub mod identity;
pub mod link_code;
pub mod members;
pub mod network;
pub mod page;
pub mod partners;
pub mod posting;
pub mod search;
pub mod threads;
pub mod writes;
