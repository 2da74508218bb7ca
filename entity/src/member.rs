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
    /// A few lines about their work, shown to other members; never public.
    pub bio: Option<String>,
    /// The languages they work in, as the thread language codes joined by commas (`EN,CY`).
    pub languages: String,
    /// The language LKN writes to them in: e-mails and the bot (`EN` or `CY`).
    pub preferred_language: Language,
    /// Set when their personal data was erased: the row stays so their threads keep an
    /// author, but it names nobody and can sign in to nothing.
    pub erased_at: Option<DateTimeUtc>,
    /// Set when Discord refused a direct message because they closed their DMs: the bot
    /// stops trying, and what would have gone there goes by e-mail if they allow it.
    pub discord_dms_closed_at: Option<DateTimeUtc>,
}

/// Relations are resolved by the API's loaders, not by the entity.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
