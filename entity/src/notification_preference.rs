//! A member's choice of when they hear of one kind of notification, per channel. Only
//! changed choices are stored; a kind without a row has the defaults.

use sea_orm::entity::prelude::*;

use crate::vocabulary::{Cadence, NotificationKind};

/// One row of `notification_preferences`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "notification_preferences")]
pub struct Model {
    /// The member.
    #[sea_orm(primary_key, auto_increment = false)]
    pub member_id: i64,
    /// The kind of notification.
    #[sea_orm(primary_key, auto_increment = false)]
    pub kind: NotificationKind,
    /// By e-mail: at once, in a digest, or never.
    pub email: Cadence,
    /// By Discord direct message: at once or never.
    pub discord: Cadence,
    /// When they last changed it.
    pub updated_at: DateTimeUtc,
}

/// Relations are resolved by the API's loaders, not by the entity.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
