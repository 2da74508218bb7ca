//! The one-click unsubscribe links e-mails carry (RFC 8058): whoever holds the e-mail can
//! turn that mail off without signing in, and nobody else can. Each link's secret is made
//! for one e-mail and kept only as its fingerprint; a link names one kind of
//! notification, or one digest (turning off every kind gathered into it).

use chrono::{DateTime, Duration, Utc};
use lkn_entity::unsubscribe_link;
use lkn_entity::vocabulary::{Cadence, NotificationKind};
use sea_orm::{ActiveEnum, ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, Iterable, QueryFilter, Set};

use super::preferences;
use crate::error::Result;
use crate::mail::Links;
use crate::mail::digest::DigestCadence;
use crate::service::secret::{fingerprint, random_secret};
use crate::service::write::Write;

/// How long a link keeps working: a year, longer than anyone keeps a digest unread.
pub const LINK_RETENTION_DAYS: i64 = 365;

/// What a link turns off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// E-mail about one kind of notification.
    Kind(NotificationKind),
    /// One digest.
    Digest(DigestCadence),
}

impl Scope {
    /// How it is stored.
    pub fn stored(&self) -> String {
        match self {
            Self::Kind(kind) => kind.to_value(),
            Self::Digest(DigestCadence::Daily) => "DIGEST_DAILY".into(),
            Self::Digest(DigestCadence::Weekly) => "DIGEST_WEEKLY".into(),
        }
    }

    /// The scope `stored` names, if any.
    pub fn parse(stored: &str) -> Option<Self> {
        match stored {
            "DIGEST_DAILY" => Some(Self::Digest(DigestCadence::Daily)),
            "DIGEST_WEEKLY" => Some(Self::Digest(DigestCadence::Weekly)),
            other => NotificationKind::iter().find(|kind| Self::Kind(*kind).stored() == other).map(Self::Kind),
        }
    }
}

/// Makes a link for an e-mail to `member_id` that turns `scope` off; its address.
pub async fn issue(write: &Write<'_>, member_id: i64, scope: Scope, links: &Links) -> Result<String> {
    let secret = random_secret(24);
    unsubscribe_link::ActiveModel {
        fingerprint: Set(fingerprint(&secret)),
        member_id: Set(member_id),
        scope: Set(scope.stored()),
        created_at: Set(write.now()),
        ..Default::default()
    }
    .insert(&**write)
    .await?;
    Ok(format!("{}/unsubscribe?token={secret}", links.public_url))
}

/// What the link with `secret` would turn off, if it is a link LKN made and still honours.
pub async fn peek(db: &impl ConnectionTrait, secret: &str, now: DateTime<Utc>) -> Result<Option<(i64, Scope)>> {
    if secret.is_empty() || secret.len() > 100 {
        return Ok(None);
    }
    let Some(link) = unsubscribe_link::Entity::find()
        .filter(unsubscribe_link::Column::Fingerprint.eq(fingerprint(secret)))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    if link.created_at < now - Duration::days(LINK_RETENTION_DAYS) {
        return Ok(None);
    }
    Ok(Scope::parse(&link.scope).map(|scope| (link.member_id, scope)))
}

/// Turns off what the link with `secret` names; what that was, or `None` for a link LKN
/// did not make (which changes nothing). Using a link twice changes nothing more.
pub async fn apply(db: &impl ConnectionTrait, secret: &str, now: DateTime<Utc>) -> Result<Option<Scope>> {
    let Some((member_id, scope)) = peek(db, secret, now).await? else { return Ok(None) };
    let current = preferences::of_member(db, member_id).await?;
    let off = |cadence: Cadence| match scope {
        Scope::Kind(_) => true,
        Scope::Digest(DigestCadence::Daily) => cadence == Cadence::Daily,
        Scope::Digest(DigestCadence::Weekly) => cadence == Cadence::Weekly,
    };
    for preference in current {
        let concerned = match scope {
            Scope::Kind(kind) => preference.kind == kind,
            Scope::Digest(_) => true,
        };
        if concerned && preference.email != Cadence::Never && off(preference.email) {
            preferences::store(db, member_id, preferences::Preference { email: Cadence::Never, ..preference }, now)
                .await?;
        }
    }
    tracing::info!(member_id, scope = %scope.stored(), "unsubscribed by one-click link");
    Ok(Some(scope))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_scope_is_stored_and_read_back() {
        for kind in NotificationKind::iter() {
            assert_eq!(Scope::parse(&Scope::Kind(kind).stored()), Some(Scope::Kind(kind)));
        }
        for cadence in [DigestCadence::Daily, DigestCadence::Weekly] {
            assert_eq!(Scope::parse(&Scope::Digest(cadence).stored()), Some(Scope::Digest(cadence)));
        }
        assert_eq!(Scope::parse("EVERYTHING"), None);
    }
}
