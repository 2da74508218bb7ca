//! When a member hears of each kind of notification, by e-mail and by Discord.
//!
//! Only choices a member changed are stored; every other kind has [`default_for`]: e-mail
//! in the weekly digest for everything, a Discord message at once for replies to your own
//! threads, and nothing at all for new questions in your expertise until you ask for
//! them. A kind set to `NEVER` on both channels is off entirely: not even the list in the
//! explorer records it.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use lkn_entity::vocabulary::{Cadence, NotificationKind};
use lkn_entity::{member, notification_preference};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, Iterable, QueryFilter, Set};

use crate::error::{Result, ServiceError, UserErrorCode};

/// When one member hears of one kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Preference {
    /// The kind.
    pub kind: NotificationKind,
    /// By e-mail: at once, in the daily or weekly digest, or never.
    pub email: Cadence,
    /// By Discord direct message: at once or never.
    pub discord: Cadence,
}

impl Preference {
    /// Whether the kind is off on every channel (and so not recorded at all).
    pub fn is_off(&self) -> bool {
        self.email == Cadence::Never && self.discord == Cadence::Never
    }
}

/// The defaults every member starts with.
pub fn default_for(kind: NotificationKind) -> Preference {
    let (email, discord) = match kind {
        NotificationKind::ReplyOnYourThread => (Cadence::Weekly, Cadence::Immediately),
        NotificationKind::QuestionInYourExpertise => (Cadence::Never, Cadence::Never),
        _ => (Cadence::Weekly, Cadence::Never),
    };
    Preference { kind, email, discord }
}

/// Every kind's preference for each of `member_ids`, defaults filled in.
pub async fn for_members(
    db: &impl ConnectionTrait,
    member_ids: &[i64],
) -> Result<HashMap<i64, HashMap<NotificationKind, Preference>>> {
    let mut all: HashMap<i64, HashMap<NotificationKind, Preference>> = member_ids
        .iter()
        .map(|id| (*id, NotificationKind::iter().map(|kind| (kind, default_for(kind))).collect()))
        .collect();
    for chunk in member_ids.chunks(500) {
        let stored = notification_preference::Entity::find()
            .filter(notification_preference::Column::MemberId.is_in(chunk.to_vec()))
            .all(db)
            .await?;
        for row in stored {
            if let Some(kinds) = all.get_mut(&row.member_id) {
                kinds.insert(row.kind, Preference { kind: row.kind, email: row.email, discord: row.discord });
            }
        }
    }
    Ok(all)
}

/// One member's preferences for every kind, in the vocabulary's order.
pub async fn of_member(db: &impl ConnectionTrait, member_id: i64) -> Result<Vec<Preference>> {
    let mut all = for_members(db, &[member_id]).await?;
    let kinds = all.remove(&member_id).unwrap_or_default();
    Ok(NotificationKind::iter().filter_map(|kind| kinds.get(&kind).copied()).collect())
}

/// A change a member asks for: any channel left out keeps its current choice.
#[derive(Debug, Clone, Copy)]
pub struct PreferenceChange {
    /// The kind.
    pub kind: NotificationKind,
    /// New e-mail cadence.
    pub email: Option<Cadence>,
    /// New Discord cadence (`IMMEDIATELY` or `NEVER`).
    pub discord: Option<Cadence>,
}

/// Applies `changes` to `member_id`'s preferences. Discord has no digest, so a daily or
/// weekly Discord cadence is refused (and nothing changes). Turning a Discord kind on
/// again clears a record that the member had closed their DMs.
pub async fn update(
    db: &impl ConnectionTrait,
    member_id: i64,
    changes: &[PreferenceChange],
    now: DateTime<Utc>,
) -> Result<Vec<Preference>> {
    for change in changes {
        if matches!(change.discord, Some(Cadence::Daily | Cadence::Weekly)) {
            return Err(ServiceError::invalid(
                "discord",
                UserErrorCode::Invalid,
                "Discord messages come at once or never; digests come by e-mail",
            ));
        }
    }
    let current: HashMap<NotificationKind, Preference> =
        of_member(db, member_id).await?.into_iter().map(|p| (p.kind, p)).collect();
    for change in changes {
        let before = current.get(&change.kind).copied().unwrap_or_else(|| default_for(change.kind));
        let after = Preference {
            kind: change.kind,
            email: change.email.unwrap_or(before.email),
            discord: change.discord.unwrap_or(before.discord),
        };
        store(db, member_id, after, now).await?;
    }
    if changes.iter().any(|change| change.discord == Some(Cadence::Immediately)) {
        // Asking for Discord messages again is the way back after closing DMs.
        member::Entity::update_many()
            .col_expr(member::Column::DiscordDmsClosedAt, Expr::value(Option::<DateTime<Utc>>::None))
            .filter(member::Column::Id.eq(member_id))
            .exec(db)
            .await?;
    }
    of_member(db, member_id).await
}

/// Stores one preference, replacing what was there.
pub async fn store(
    db: &impl ConnectionTrait,
    member_id: i64,
    preference: Preference,
    now: DateTime<Utc>,
) -> Result<()> {
    notification_preference::Entity::insert(notification_preference::ActiveModel {
        member_id: Set(member_id),
        kind: Set(preference.kind),
        email: Set(preference.email),
        discord: Set(preference.discord),
        updated_at: Set(now),
    })
    .on_conflict(
        OnConflict::columns([notification_preference::Column::MemberId, notification_preference::Column::Kind])
            .update_columns([
                notification_preference::Column::Email,
                notification_preference::Column::Discord,
                notification_preference::Column::UpdatedAt,
            ])
            .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn members_start_with_a_weekly_digest_and_discord_for_replies_to_their_own_threads() {
        assert_eq!(default_for(NotificationKind::ReplyOnYourThread).discord, Cadence::Immediately);
        assert_eq!(default_for(NotificationKind::ReplyOnFollowedThread).email, Cadence::Weekly);
        assert_eq!(default_for(NotificationKind::ReplyOnFollowedThread).discord, Cadence::Never);
        assert!(default_for(NotificationKind::QuestionInYourExpertise).is_off());
    }
}
