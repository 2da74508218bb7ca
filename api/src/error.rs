//! The API's error policy, in one place.
//!
//! Service functions return [`ServiceError`]. Mistakes a user can fix in their input are
//! [`ServiceError::Invalid`] and travel back inside mutation payloads as `userErrors`;
//! everything else becomes a GraphQL error whose `extensions.code` comes from
//! [`ErrorCode`], the one table of codes clients may rely on. Database and unexpected
//! errors are logged here with their whole chain and reach the client only as a generic
//! message, so no SQL, driver text or secret ever leaves the process.

use async_graphql::ErrorExtensions;
use sea_orm::DbErr;

/// The codes clients may rely on, from the one table the API and the bot share.
pub use lkn_codes::{ErrorCode, SUSPENDED};

/// Why a user's input was refused: shown next to the field it concerns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserError {
    /// The path of the input field at fault (`["input", "title"]`), empty for the whole input.
    pub field: Vec<String>,
    /// A sentence the user can act on.
    pub message: String,
    /// A stable code for programs.
    pub code: UserErrorCode,
}

impl UserError {
    /// A refusal of the input field `field` (a name inside `input`).
    pub fn new(field: &str, code: UserErrorCode, message: impl Into<String>) -> Self {
        let mut path = vec!["input".to_owned()];
        if !field.is_empty() {
            path.push(field.to_owned());
        }
        Self { field: path, message: message.into(), code }
    }
}

/// Stable codes for `userErrors`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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

/// Every way a service function can fail.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// The caller must sign in (or link their Discord account) first.
    #[error("{0}")]
    Unauthenticated(String),
    /// The credentials belong to a suspended member (or the bot acts for one): refused
    /// as UNAUTHENTICATED, with `extensions.reason` `SUSPENDED` so that clients can say
    /// so rather than ask the person to sign in or link again.
    #[error("{0}")]
    Suspended(String),
    /// The caller's role does not allow this.
    #[error("you are not allowed to do this")]
    Forbidden,
    /// Nothing the caller may see has this id.
    #[error("{0} not found")]
    NotFound(&'static str),
    /// The request is malformed.
    #[error("{0}")]
    BadRequest(String),
    /// The user's input was refused; nothing changed.
    #[error("the input was refused")]
    Invalid(Vec<UserError>),
    /// The database could not be reached in time.
    #[error("the database is unavailable; try again shortly")]
    DatabaseUnavailable(#[source] DbErr),
    /// Any other database failure.
    #[error("internal error")]
    Database(#[source] DbErr),
    /// A broken invariant inside LKN.
    #[error("internal error")]
    Internal(String),
}

/// The result of a service function.
pub type Result<T, E = ServiceError> = std::result::Result<T, E>;

impl From<DbErr> for ServiceError {
    fn from(error: DbErr) -> Self {
        if is_unavailable(&error) { Self::DatabaseUnavailable(error) } else { Self::Database(error) }
    }
}

/// Whether a database error means "not reachable now" rather than "wrong".
fn is_unavailable(error: &DbErr) -> bool {
    match error {
        DbErr::ConnectionAcquire(_) | DbErr::Conn(_) => true,
        DbErr::Exec(runtime) | DbErr::Query(runtime) => {
            let text = runtime.to_string().to_ascii_lowercase();
            text.contains("database is locked")
                || text.contains("pool timed out")
                || text.contains("connection refused")
                || text.contains("broken pipe")
                || text.contains("connection reset")
                || text.contains("terminating connection")
                || text.contains("io error")
        }
        _ => false,
    }
}

impl ServiceError {
    /// A single user error on `field`.
    pub fn invalid(field: &str, code: UserErrorCode, message: impl Into<String>) -> Self {
        Self::Invalid(vec![UserError::new(field, code, message)])
    }

    /// The code this error carries on the wire.
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::Unauthenticated(_) | Self::Suspended(_) => ErrorCode::Unauthenticated,
            Self::Forbidden => ErrorCode::Forbidden,
            Self::NotFound(_) => ErrorCode::NotFound,
            Self::BadRequest(_) | Self::Invalid(_) => ErrorCode::BadRequest,
            Self::DatabaseUnavailable(_) => ErrorCode::DatabaseUnavailable,
            Self::Database(_) | Self::Internal(_) => ErrorCode::Internal,
        }
    }

    /// Why, beyond the code, for clients that word their answer by it (`extensions.reason`).
    pub fn reason(&self) -> Option<&'static str> {
        matches!(self, Self::Suspended(_)).then_some(SUSPENDED)
    }

    /// Whether the credentials themselves were refused (rather than the action).
    pub fn refuses_credentials(&self) -> bool {
        matches!(self, Self::Unauthenticated(_) | Self::Suspended(_))
    }

    /// Converts to a GraphQL error, logging what the client must not see.
    pub fn into_graphql(self) -> async_graphql::Error {
        match &self {
            Self::Database(error) | Self::DatabaseUnavailable(error) => {
                tracing::error!(error = %error, error.debug = ?error, code = self.code().as_str(), "database error");
            }
            Self::Internal(detail) => tracing::error!(detail, "internal error"),
            _ => {}
        }
        let message = match &self {
            Self::Invalid(errors) => errors.iter().map(|e| e.message.as_str()).collect::<Vec<_>>().join("; "),
            other => other.to_string(),
        };
        let code = self.code().as_str();
        let reason = self.reason();
        async_graphql::Error::new(message).extend_with(|_, extensions| {
            extensions.set("code", code);
            if let Some(reason) = reason {
                extensions.set("reason", reason);
            }
        })
    }
}

impl From<ServiceError> for async_graphql::Error {
    fn from(error: ServiceError) -> Self {
        error.into_graphql()
    }
}

/// Whether `error` is a unique-key violation, which callers turn into a client error.
pub fn is_unique_violation(error: &DbErr) -> bool {
    matches!(error.sql_err(), Some(sea_orm::SqlErr::UniqueConstraintViolation(_)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn extension(error: &async_graphql::Error, key: &str) -> Option<String> {
        match error.extensions.as_ref()?.get(key)? {
            async_graphql::Value::String(value) => Some(value.clone()),
            _ => None,
        }
    }

    #[test]
    fn a_suspension_is_unauthenticated_and_says_why() {
        let error = ServiceError::Suspended("this account is suspended".into()).into_graphql();
        assert_eq!(extension(&error, "code").as_deref(), Some("UNAUTHENTICATED"));
        assert_eq!(extension(&error, "reason").as_deref(), Some(SUSPENDED));
        let plain = ServiceError::Unauthenticated("sign in".into()).into_graphql();
        assert_eq!(extension(&plain, "reason"), None);
    }

    #[test]
    fn database_failures_reach_the_client_without_their_text() {
        let error = ServiceError::from(DbErr::Custom("relation \"members\" violates secret_idx".into()));
        assert_eq!(error.code(), ErrorCode::Internal);
        let shown = error.into_graphql();
        assert_eq!(shown.message, "internal error");
        let unavailable = ServiceError::from(DbErr::ConnectionAcquire(sea_orm::ConnAcquireErr::Timeout));
        assert_eq!(unavailable.code(), ErrorCode::DatabaseUnavailable);
        assert!(unavailable.code().is_retryable());
    }

    #[test]
    fn input_mistakes_are_bad_requests_that_list_every_fault() {
        let error = ServiceError::Invalid(vec![
            UserError::new("title", UserErrorCode::Blank, "Enter a title"),
            UserError::new("tags", UserErrorCode::TooLong, "At most 10 tags"),
        ]);
        assert_eq!(error.code(), ErrorCode::BadRequest);
        assert_eq!(error.into_graphql().message, "Enter a title; At most 10 tags");
        assert_eq!(UserError::new("title", UserErrorCode::Blank, "x").field, ["input", "title"]);
    }
}
