//! An invitation to join a partner: e-mailed with a single-use code that only its
//! recipient redeems, so whoever invites never holds the new member's secret.

use sea_orm::entity::prelude::*;

use crate::vocabulary::{Language, MemberRole};

/// One row of `invitations`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "invitations")]
pub struct Model {
    /// Surrogate key; increases with time.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The partner the invitee will belong to.
    pub partner_id: i64,
    /// Where the invitation was sent, lower-cased.
    pub email: String,
    /// The name the inviter suggested; the invitee may change it when accepting.
    pub display_name: String,
    /// The role the new member gets.
    pub role: MemberRole,
    /// The language the invitation was written in.
    pub language: Language,
    /// SHA-256 of the code, hex.
    #[sea_orm(unique)]
    pub code_hash: String,
    /// Who sent it (null once that member is gone).
    pub invited_by_id: Option<i64>,
    /// After this the code yields nothing.
    pub expires_at: DateTimeUtc,
    /// Wrong codes typed against this invitation's address.
    pub failed_attempts: i32,
    /// When it was accepted.
    pub accepted_at: Option<DateTimeUtc>,
    /// The member accepting it created.
    pub accepted_member_id: Option<i64>,
    /// When whoever may send it took it back.
    pub withdrawn_at: Option<DateTimeUtc>,
    /// When it was sent.
    pub created_at: DateTimeUtc,
}

/// Relations are resolved by the API's loaders, not by the entity.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
