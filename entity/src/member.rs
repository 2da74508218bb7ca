//! A staff account at one partner, or the bot's service identity.

use sea_orm::entity::prelude::*;

use crate::vocabulary::*;

/// One row of `members`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "members")]
pub struct Model {
    /// Surrogate key; increases with time.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The partner the member works for.
    pub partner_id: i64,
    /// Login e-mail, lower-cased; never shown to other members.
    #[sea_orm(unique)]
    pub email: String,
    /// Name shown next to their posts.
    pub display_name: String,
    /// What they may do.
    pub role: MemberRole,
    /// The Discord user linked to this member, if any.
    #[sea_orm(unique)]
    pub discord_user_id: Option<String>,
    /// When the account was created.
    pub created_at: DateTimeUtc,
    /// Set while the member is suspended: nothing they hold works until it is cleared.
    pub suspended_at: Option<DateTimeUtc>,
}

/// Relations are resolved by the API's loaders, not by the entity.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
