//! Short-lived, single-use codes that link a Discord account to a member.

use sea_orm::entity::prelude::*;

/// One row of `discord_link_codes`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "discord_link_codes")]
pub struct Model {
    /// Surrogate key; increases with time.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The member who asked for the code.
    pub member_id: i64,
    /// SHA-256 of the code, hex.
    #[sea_orm(unique)]
    pub code_hash: String,
    /// After this the code links nothing.
    pub expires_at: DateTimeUtc,
    /// Set when the code has been used; a used code links nothing.
    pub used_at: Option<DateTimeUtc>,
    /// When the code was made.
    pub created_at: DateTimeUtc,
    /// The only Discord account the code links, when it was e-mailed because that account
    /// asked (`/link email:`); any account when the member made it themselves.
    pub for_discord_user_id: Option<String>,
}

/// Relations are resolved by the API's loaders, not by the entity.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
