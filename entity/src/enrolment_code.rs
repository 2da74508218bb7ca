//! Single-use codes with which a member gets their own API token, after a coordinator or
//! administrator set up their access: the issuer never sees the member's secret.

use sea_orm::entity::prelude::*;

/// One row of `enrolment_codes`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "enrolment_codes")]
pub struct Model {
    /// Surrogate key; increases with time.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The member the code enrols: the token it yields is theirs.
    pub member_id: i64,
    /// Who issued it (null when the operator did, at the command line).
    pub issued_by_id: Option<i64>,
    /// SHA-256 of the code, hex.
    #[sea_orm(unique)]
    pub code_hash: String,
    /// After this the code yields nothing.
    pub expires_at: DateTimeUtc,
    /// Set when the code has been redeemed; a used code yields nothing.
    pub used_at: Option<DateTimeUtc>,
    /// When the code was made.
    pub created_at: DateTimeUtc,
}

/// Relations are resolved by the API's loaders, not by the entity.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
