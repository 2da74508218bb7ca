//! Which Discord message mirrors which LKN object (a thread's forum post, a reply's
//! message, a collaboration announcement), claimed before it is posted so that two bot
//! processes, or one restarted, never post it twice.

use sea_orm::entity::prelude::*;

/// One row of `discord_mirrors`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "discord_mirrors")]
pub struct Model {
    /// What is mirrored, e.g. `thread:<id>`, `reply:<id>`, `collaboration:<id>:PROPOSED`.
    #[sea_orm(primary_key, auto_increment = false)]
    pub mirror_key: String,
    /// The Discord channel (for a forum post, the post's own channel) once posted.
    pub channel_id: Option<String>,
    /// The Discord message once posted.
    pub message_id: Option<String>,
    /// When a bot process last claimed the right to post it.
    pub claimed_at: DateTimeUtc,
    /// When it was posted; a claim without this expires so that a crashed bot's work is redone.
    pub completed_at: Option<DateTimeUtc>,
}

/// No relations: the key names the object.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
