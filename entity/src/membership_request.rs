//! A request to join a partner, made from Discord by someone who is not yet a member
//! and decided by a coordinator of that partner or an administrator.

use sea_orm::entity::prelude::*;

use crate::vocabulary::MembershipRequestStatus;

/// One row of `membership_requests`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "membership_requests")]
pub struct Model {
    /// Surrogate key; increases with time.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The partner the person asks to join.
    pub partner_id: i64,
    /// The Discord account that asked, linked to the member an approval creates.
    pub discord_user_id: String,
    /// The name the person gave, shown on their posts once approved.
    pub display_name: String,
    /// The address the person gave, lower-cased: the new member's, for signing in.
    pub email: String,
    /// Pending, approved or declined.
    pub status: MembershipRequestStatus,
    /// `<partner id>:<Discord user id>` while pending, null once decided: unique, so
    /// one person has at most one pending request per partner.
    #[sea_orm(unique)]
    pub pending_key: Option<String>,
    /// The coordinator or administrator who decided.
    pub decided_by_id: Option<i64>,
    /// The member an approval created.
    pub member_id: Option<i64>,
    /// When the person asked.
    pub created_at: DateTimeUtc,
    /// When it was decided.
    pub decided_at: Option<DateTimeUtc>,
}

/// Relations are resolved by the API's loaders, not by the entity.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
