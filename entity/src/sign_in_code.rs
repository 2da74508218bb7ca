//! A short code e-mailed for passwordless sign-in. A request for an address that is no
//! member's is recorded the same way (without a member), so both look alike from outside
//! and the per-address limits count both.

use sea_orm::entity::prelude::*;

/// One row of `sign_in_codes`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sign_in_codes")]
pub struct Model {
    /// Surrogate key; increases with time.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// SHA-256 of the lower-cased e-mail address the code was asked for.
    pub email_hash: String,
    /// The member it signs in; none when the address is no member's.
    pub member_id: Option<i64>,
    /// SHA-256 of the code, hex.
    #[sea_orm(unique)]
    pub code_hash: String,
    /// After this the code yields nothing.
    pub expires_at: DateTimeUtc,
    /// Wrong codes typed for this address while the code was live.
    pub failed_attempts: i32,
    /// When it was used; a used code yields nothing.
    pub used_at: Option<DateTimeUtc>,
    /// When too many wrong codes locked it.
    pub locked_at: Option<DateTimeUtc>,
    /// When it was asked for.
    pub created_at: DateTimeUtc,
}

/// Relations are resolved by the API's loaders, not by the entity.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
