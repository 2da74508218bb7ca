//! API tokens: only a hash is stored; the token itself is shown once.

use sea_orm::entity::prelude::*;

use crate::vocabulary::TokenKind;

/// One row of `api_tokens`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "api_tokens")]
pub struct Model {
    /// Surrogate key; increases with time.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// Whose token it is.
    pub member_id: i64,
    /// The first characters of the token, so a member can tell their tokens apart.
    pub display_prefix: String,
    /// SHA-256 of the whole token, hex.
    #[sea_orm(unique)]
    pub token_hash: String,
    /// When it was issued.
    pub created_at: DateTimeUtc,
    /// When it last authenticated a request (updated at most once a minute).
    pub last_used_at: Option<DateTimeUtc>,
    /// When it was revoked; a revoked token authenticates nothing.
    pub revoked_at: Option<DateTimeUtc>,
    /// An API token for programs, or a browser session from e-mail sign-in.
    pub kind: TokenKind,
    /// When it stops working unless used again: sessions slide forward on use; API
    /// tokens have none.
    pub expires_at: Option<DateTimeUtc>,
}

/// Relations are resolved by the API's loaders, not by the entity.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
