//! `userErrors`, as mutation payloads show them: the service's [`crate::error::UserError`]
//! in GraphQL dress. The service layer knows nothing of GraphQL; this module is where
//! its refusals of input become schema types.

use async_graphql::{Enum, SimpleObject};

use crate::error;

/// Why a user's input was refused: shown next to the field it concerns.
#[derive(Debug, Clone, SimpleObject)]
pub struct UserError {
    /// The path of the input field at fault (`["input", "title"]`), empty for the whole input.
    pub field: Vec<String>,
    /// A sentence the user can act on.
    pub message: String,
    /// A stable code for programs.
    pub code: UserErrorCode,
}

impl From<error::UserError> for UserError {
    fn from(error: error::UserError) -> Self {
        Self { field: error.field, message: error.message, code: error.code.into() }
    }
}

/// Stable codes for `userErrors`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[graphql(remote = "error::UserErrorCode")]
pub enum UserErrorCode {
    /// A required value is missing or empty.
    Blank,
    /// A value is longer or larger than allowed.
    TooLong,
    /// A value is shorter or smaller than allowed.
    TooShort,
    /// A value does not have the required shape.
    Invalid,
    /// An id names nothing the caller can see.
    NotFound,
    /// The object changed since the client read it.
    Conflict,
    /// The object is not in a state that allows this.
    InvalidState,
    /// This was already done.
    Taken,
    /// The idempotency key was used before with different input.
    IdempotencyKeyReused,
    /// The caller's role does not allow this on this object.
    Forbidden,
    /// A code has expired or was already used.
    Expired,
    /// Too many attempts in a short time: wait, then try again.
    RateLimited,
}
