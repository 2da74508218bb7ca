//! What a database is seeded with: the founding partners (real data, from the network's
//! founding press release) and, on request, a generated demo network. Neither holds a
//! network rule; both write rows the way the rules would.

pub mod demo;
pub mod founders;
mod words;
