//! What the Discord bot keeps in the API: which Discord message mirrors which LKN
//! object, and each Discord user's language.
//!
//! Mirroring is claim, post, complete: a bot process claims a key before it posts, and
//! only the process whose claim succeeded posts. A claim that was never completed (the
//! process died between claiming and posting) expires after [`CLAIM_EXPIRES`] and can be
//! claimed again, so nothing is lost and nothing is posted twice while a claim is live.
//! Only the bot's identity, alone or acting for a member, may read or write these.

use chrono::Duration;
use lkn_entity::vocabulary::Language;
use lkn_entity::{discord_mirror, discord_preference, member};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, Set};
use serde_json::json;

use crate::error::{Result, ServiceError, UserErrorCode};
use crate::service::viewer::Viewer;
use crate::service::write::{Write, WriteContext};

/// How long an uncompleted claim keeps other bot processes from posting the same thing.
pub const CLAIM_EXPIRES: Duration = Duration::minutes(2);
/// Longest mirror key.
pub const MAX_KEY: usize = 120;

/// Where a reply written in Discord came from: recorded with the reply, in its own
/// transaction, so the bot never mirrors it back.
#[derive(Debug, Clone)]
pub struct DiscordOrigin {
    /// The mirror key of the new reply, from its id.
    pub key: fn(i64) -> String,
    /// The forum post (channel) the message was written in.
    pub channel_id: String,
    /// The message.
    pub message_id: String,
}

/// Whether `value` looks like a Discord id (a snowflake: up to 20 digits).
pub fn is_snowflake(value: &str) -> bool {
    !value.is_empty() && value.len() <= 20 && value.bytes().all(|b| b.is_ascii_digit())
}

/// The refusal for anyone but the bot.
fn require_bot(viewer: &Viewer) -> Result<()> {
    match viewer {
        Viewer::Bot(_) | Viewer::Member { via_bot: Some(_), .. } => Ok(()),
        Viewer::Anonymous => Err(ServiceError::Unauthenticated("sign in with the bot's API token".into())),
        Viewer::Member { .. } => Err(ServiceError::Forbidden),
    }
}

fn check_key(key: &str) -> Result<()> {
    if key.is_empty() || key.len() > MAX_KEY || !key.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(ServiceError::invalid(
            "key",
            UserErrorCode::Invalid,
            format!("a mirror key is 1 to {MAX_KEY} printable ASCII characters without spaces"),
        ));
    }
    Ok(())
}

/// A typed error on `field` unless `value` is a Discord id.
pub fn check_snowflake(field: &str, value: &str) -> Result<()> {
    if is_snowflake(value) {
        Ok(())
    } else {
        Err(ServiceError::invalid(field, UserErrorCode::Invalid, "a Discord id is a number of up to 20 digits"))
    }
}

/// Claims the right to post the mirror of `key`. Returns whether this caller won the
/// claim, and the mirror as it now stands (with its message once completed).
pub async fn claim_mirror(
    db: &DatabaseConnection,
    context: &WriteContext<'_>,
    key: &str,
) -> Result<(bool, discord_mirror::Model)> {
    require_bot(context.viewer)?;
    check_key(key)?;
    let write = Write::begin(db, context).await?;
    let txn = &*write;
    let inserted = discord_mirror::Entity::insert(discord_mirror::ActiveModel {
        mirror_key: Set(key.to_owned()),
        channel_id: Set(None),
        message_id: Set(None),
        claimed_at: Set(context.now),
        completed_at: Set(None),
    })
    .on_conflict(OnConflict::column(discord_mirror::Column::MirrorKey).do_nothing().to_owned())
    .exec_without_returning(txn)
    .await?;
    let claimed = inserted == 1 || {
        let reclaimed = discord_mirror::Entity::update_many()
            .col_expr(discord_mirror::Column::ClaimedAt, Expr::value(context.now))
            .filter(discord_mirror::Column::MirrorKey.eq(key))
            .filter(discord_mirror::Column::CompletedAt.is_null())
            .filter(discord_mirror::Column::ClaimedAt.lt(context.now - CLAIM_EXPIRES))
            .exec(txn)
            .await?;
        reclaimed.rows_affected == 1
    };
    let mirror = find(txn, key).await?.ok_or_else(|| ServiceError::Internal("claimed mirror vanished".into()))?;
    write.commit().await?;
    Ok((claimed, mirror))
}

/// Gives up a claim that was not completed (posting failed), so that the next attempt,
/// by any process, can claim it at once. A completed mirror is kept.
pub async fn release_mirror(db: &DatabaseConnection, context: &WriteContext<'_>, key: &str) -> Result<bool> {
    require_bot(context.viewer)?;
    check_key(key)?;
    let released = discord_mirror::Entity::delete_many()
        .filter(discord_mirror::Column::MirrorKey.eq(key))
        .filter(discord_mirror::Column::CompletedAt.is_null())
        .exec(db)
        .await?;
    Ok(released.rows_affected == 1)
}

/// Records the Discord message that mirrors `key`, whether or not it was claimed first.
pub async fn complete_mirror(
    db: &DatabaseConnection,
    context: &WriteContext<'_>,
    key: &str,
    channel_id: &str,
    message_id: &str,
) -> Result<discord_mirror::Model> {
    require_bot(context.viewer)?;
    let mut faults = Vec::new();
    for fault in [check_key(key), check_snowflake("channelId", channel_id), check_snowflake("messageId", message_id)] {
        if let Err(ServiceError::Invalid(errors)) = fault {
            faults.extend(errors);
        }
    }
    if !faults.is_empty() {
        return Err(ServiceError::Invalid(faults));
    }
    let write = Write::begin(db, context).await?;
    let txn = &*write;
    record_completed(txn, context, key, channel_id, message_id).await?;
    let mirror = find(txn, key).await?.ok_or_else(|| ServiceError::Internal("completed mirror vanished".into()))?;
    write.commit().await?;
    Ok(mirror)
}

/// Writes a completed mirror in the caller's transaction.
pub async fn record_completed(
    txn: &impl ConnectionTrait,
    context: &WriteContext<'_>,
    key: &str,
    channel_id: &str,
    message_id: &str,
) -> Result<()> {
    discord_mirror::Entity::insert(discord_mirror::ActiveModel {
        mirror_key: Set(key.to_owned()),
        channel_id: Set(Some(channel_id.to_owned())),
        message_id: Set(Some(message_id.to_owned())),
        claimed_at: Set(context.now),
        completed_at: Set(Some(context.now)),
    })
    .on_conflict(
        OnConflict::column(discord_mirror::Column::MirrorKey)
            .update_columns([
                discord_mirror::Column::ChannelId,
                discord_mirror::Column::MessageId,
                discord_mirror::Column::CompletedAt,
            ])
            .to_owned(),
    )
    .exec_without_returning(txn)
    .await?;
    Ok(())
}

/// Checks a Discord origin before a write that records it.
pub fn check_origin(origin: &DiscordOrigin) -> Result<()> {
    check_snowflake("discordMessage.channelId", &origin.channel_id)?;
    check_snowflake("discordMessage.messageId", &origin.message_id)
}

async fn find(db: &impl ConnectionTrait, key: &str) -> Result<Option<discord_mirror::Model>> {
    Ok(discord_mirror::Entity::find_by_id(key.to_owned()).one(db).await?)
}

/// The mirror of `key`, if one was claimed.
pub async fn mirror(db: &DatabaseConnection, viewer: &Viewer, key: &str) -> Result<Option<discord_mirror::Model>> {
    require_bot(viewer)?;
    find(db, key).await
}

/// The completed mirror whose Discord channel is `channel_id` — for a forum post, the
/// thread it mirrors.
pub async fn mirror_in_channel(
    db: &DatabaseConnection,
    viewer: &Viewer,
    channel_id: &str,
    key_prefix: &str,
) -> Result<Option<discord_mirror::Model>> {
    require_bot(viewer)?;
    Ok(discord_mirror::Entity::find()
        .filter(discord_mirror::Column::ChannelId.eq(channel_id))
        .filter(discord_mirror::Column::MirrorKey.starts_with(key_prefix))
        .one(db)
        .await?)
}

/// The mirror posted as Discord message `message_id`.
pub async fn mirror_of_message(
    db: &DatabaseConnection,
    viewer: &Viewer,
    message_id: &str,
) -> Result<Option<discord_mirror::Model>> {
    require_bot(viewer)?;
    Ok(discord_mirror::Entity::find().filter(discord_mirror::Column::MessageId.eq(message_id)).one(db).await?)
}

/// Unlinks a Discord account from its member; the member's own tokens keep working.
/// Returns whether an account was linked.
pub async fn unlink(db: &DatabaseConnection, context: &WriteContext<'_>, discord_user_id: &str) -> Result<bool> {
    require_bot(context.viewer)?;
    check_snowflake("discordUserId", discord_user_id)?;
    let write = Write::begin(db, context).await?;
    let txn = &*write;
    let Some(linked) =
        member::Entity::find().filter(member::Column::DiscordUserId.eq(discord_user_id)).one(txn).await?
    else {
        return Ok(false);
    };
    member::Entity::update_many()
        .col_expr(member::Column::DiscordUserId, Expr::value(Option::<String>::None))
        .filter(member::Column::Id.eq(linked.id))
        .exec(txn)
        .await?;
    write.audit("discord.unlink", "Member", linked.id, json!({})).await?;
    write.commit().await?;
    Ok(true)
}

/// The member linked to a Discord account (not erased), for a member asking through the
/// bot about a colleague they see in Discord (`/profile member:@…`). Nobody else may
/// ask: linking is the bot's record, and profiles are for members.
pub async fn linked_member(
    db: &DatabaseConnection,
    viewer: &Viewer,
    discord_user_id: &str,
) -> Result<Option<member::Model>> {
    match viewer {
        Viewer::Member { via_bot: Some(_), .. } => {}
        Viewer::Anonymous => return Err(ServiceError::Unauthenticated("sign in with the bot's API token".into())),
        Viewer::Member { .. } | Viewer::Bot(_) => return Err(ServiceError::Forbidden),
    }
    check_snowflake("discordUserId", discord_user_id)?;
    Ok(member::Entity::find()
        .filter(member::Column::DiscordUserId.eq(discord_user_id))
        .filter(member::Column::ErasedAt.is_null())
        .one(db)
        .await?)
}

/// The language a Discord user chose, if they chose one.
pub async fn language(db: &DatabaseConnection, viewer: &Viewer, discord_user_id: &str) -> Result<Option<Language>> {
    require_bot(viewer)?;
    check_snowflake("discordUserId", discord_user_id)?;
    Ok(discord_preference::Entity::find_by_id(discord_user_id.to_owned()).one(db).await?.map(|p| p.language))
}

/// Keeps the language a Discord user chose.
pub async fn set_language(
    db: &DatabaseConnection,
    context: &WriteContext<'_>,
    discord_user_id: &str,
    language: Language,
) -> Result<Language> {
    require_bot(context.viewer)?;
    check_snowflake("discordUserId", discord_user_id)?;
    if !matches!(language, Language::English | Language::Welsh) {
        return Err(ServiceError::invalid(
            "language",
            UserErrorCode::Invalid,
            "the bot speaks English (EN) or Welsh (CY)",
        ));
    }
    discord_preference::Entity::insert(discord_preference::ActiveModel {
        discord_user_id: Set(discord_user_id.to_owned()),
        language: Set(language),
        updated_at: Set(context.now),
    })
    .on_conflict(
        OnConflict::column(discord_preference::Column::DiscordUserId)
            .update_columns([discord_preference::Column::Language, discord_preference::Column::UpdatedAt])
            .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    Ok(language)
}
