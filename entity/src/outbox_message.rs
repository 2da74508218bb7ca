//! An e-mail waiting to be sent, or sent. Written in the transaction of the change it
//! reports, so it exists exactly when that change committed; sent afterwards by whichever
//! process claims it first.

use sea_orm::entity::prelude::*;

use crate::vocabulary::Language;

/// One row of `outbox_messages`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "outbox_messages")]
pub struct Model {
    /// Surrogate key; increases with time. Also names the message (its Message-ID).
    #[sea_orm(primary_key)]
    pub id: i64,
    /// What the message is about, unique: a retried write finds its message queued already.
    #[sea_orm(unique)]
    pub dedupe_key: String,
    /// The address it goes to.
    pub recipient: String,
    /// The member it goes to, when it goes to one.
    pub member_id: Option<i64>,
    /// The language it is written in.
    pub language: Language,
    /// Subject line.
    pub subject: String,
    /// Plain-text body.
    pub text_body: String,
    /// HTML body (every value in it escaped when it was written).
    pub html_body: String,
    /// The one-click unsubscribe address (RFC 8058) the message carries in its
    /// `List-Unsubscribe` header, for notifications and digests; none for messages a
    /// member cannot opt out of (sign-in codes, invitations). Holds a secret token, so it
    /// is cleared once the message is sent.
    pub unsubscribe_url: Option<String>,
    /// Sending attempts so far.
    pub attempts: i32,
    /// Not to be tried before this.
    pub next_attempt_at: DateTimeUtc,
    /// A sender is working on it until then; another may take it over after.
    pub claimed_until: Option<DateTimeUtc>,
    /// When the mail server accepted it.
    pub sent_at: Option<DateTimeUtc>,
    /// When sending was given up (the server refused it for good, or attempts ran out).
    pub failed_at: Option<DateTimeUtc>,
    /// Why the last attempt failed.
    pub last_error: Option<String>,
    /// When it was queued.
    pub created_at: DateTimeUtc,
}

/// Relations are resolved by the API's loaders, not by the entity.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
