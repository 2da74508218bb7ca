//! A one-click unsubscribe link an e-mail carried (RFC 8058), kept as the fingerprint of
//! its secret so that whoever holds the e-mail, and nobody else, can turn that mail off
//! without signing in.

use sea_orm::entity::prelude::*;

/// One row of `unsubscribe_links`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "unsubscribe_links")]
pub struct Model {
    /// Surrogate key.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// SHA-256 of the link's secret.
    #[sea_orm(unique)]
    pub fingerprint: String,
    /// Whose mail it turns off.
    pub member_id: i64,
    /// What it turns off: a notification kind (`REPLY_ON_YOUR_THREAD`) or a digest
    /// (`DIGEST_DAILY`, `DIGEST_WEEKLY`).
    pub scope: String,
    /// When the e-mail carrying it was written.
    pub created_at: DateTimeUtc,
}

/// Relations are resolved by the API's loaders, not by the entity.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
