//! Passwordless sign-in for browsers, and the sessions it starts.
//!
//! Someone gives their e-mail address and gets a short code by e-mail; typing the code
//! (or opening the link that carries it) starts a session: a bearer token like an API
//! token, of kind `SESSION`, that ends after [`SESSION_IDLE_DAYS`] without use, when
//! its holder signs out or revokes it, or when they are suspended.
//!
//! Nothing tells an outsider whether an address is a member's: a request for any address
//! gets the same answer and writes the same kind of row, and only a member's gets mail.
//! Codes are single-use, live [`CODE_MINUTES`], and lock after [`MAX_WRONG_CODES`] wrong
//! tries for the address; each address may ask [`CODES_PER_EMAIL_PER_HOUR`] times an hour,
//! and each client address is held to the edge's sign-in budget.

use chrono::{DateTime, Duration, Utc};
use lkn_entity::vocabulary::{MemberRole, TokenKind};
use lkn_entity::{api_token, member, sign_in_code};
use rand::Rng;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, ExprTrait, PaginatorTrait,
    QueryFilter, QueryOrder, Set,
};
use serde_json::json;

use crate::error::{Result, ServiceError, UserErrorCode};
use crate::mail::{Links, letters};
use crate::service::access::{self, store_token};
use crate::service::outbox;
use crate::service::secret::fingerprint;
use crate::service::viewer::Viewer;
use crate::service::write::{Write, WriteContext};

/// How long a sign-in code works.
pub const CODE_MINUTES: i64 = 15;
/// A session ends after this many days without use.
pub const SESSION_IDLE_DAYS: i64 = 30;
/// Wrong codes typed for one address before its live code locks.
pub const MAX_WRONG_CODES: i32 = 5;
/// Codes one address may ask for in an hour; later asks get the same answer and no mail.
pub const CODES_PER_EMAIL_PER_HOUR: u64 = 5;

/// The letters codes are made of: no 0/O or 1/I, so a code read aloud or retyped from a
/// phone is not mistyped.
const CODE_ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
/// Letters in a code: 32⁶ ≈ 10⁹ codes, of which an attacker may try five per address.
const CODE_LENGTH: usize = 6;

/// An e-mail address as stored: trimmed and lower-cased, or a typed error.
pub fn normalise_email(field: &str, raw: &str) -> Result<String> {
    let email = raw.trim().to_lowercase();
    let valid = email.len() <= 320
        && !email.contains(char::is_whitespace)
        && email.split_once('@').is_some_and(|(local, domain)| !local.is_empty() && domain.contains('.'));
    if valid {
        Ok(email)
    } else {
        Err(ServiceError::invalid(field, UserErrorCode::Invalid, "enter a valid e-mail address"))
    }
}

/// A new random code.
fn new_code() -> String {
    let mut rng = rand::rng();
    (0..CODE_LENGTH).map(|_| char::from(CODE_ALPHABET[rng.random_range(0..CODE_ALPHABET.len())])).collect()
}

/// The stored fingerprint of a typed code, forgiving case, spaces and dashes; `None` when
/// it cannot be a code at all.
fn typed_code_fingerprint(typed: &str) -> Option<String> {
    let code: String = typed.chars().filter(|c| !c.is_whitespace() && *c != '-').collect::<String>().to_uppercase();
    let shaped = code.len() == CODE_LENGTH && code.bytes().all(|b| CODE_ALPHABET.contains(&b));
    shaped.then(|| fingerprint(&code))
}

/// Whether `member` may sign in at all.
fn may_sign_in(member: &member::Model) -> bool {
    member.suspended_at.is_none() && member.erased_at.is_none() && member.role != MemberRole::Bot
}

/// Asks for a sign-in code for `email`. The answer is the same whoever owns the address:
/// a member who may sign in is sent a code, anyone else nothing.
#[tracing::instrument(skip_all)]
pub async fn request_code(
    db: &DatabaseConnection,
    context: &WriteContext<'_>,
    email: &str,
    links: &Links,
) -> Result<()> {
    context.viewer.refuse_bot()?;
    let email = normalise_email("email", email)?;
    let email_hash = fingerprint(&email);
    let write = Write::begin(db, context).await?;
    let now = write.now();
    let recent = sign_in_code::Entity::find()
        .filter(sign_in_code::Column::EmailHash.eq(email_hash.as_str()))
        .filter(sign_in_code::Column::CreatedAt.gt(now - Duration::hours(1)))
        .count(&*write)
        .await?;
    if recent >= CODES_PER_EMAIL_PER_HOUR {
        return Ok(());
    }
    let member =
        member::Entity::find().filter(member::Column::Email.eq(email.as_str())).one(&*write).await?.filter(may_sign_in);
    let code = new_code();
    let row = sign_in_code::ActiveModel {
        email_hash: Set(email_hash),
        member_id: Set(member.as_ref().map(|m| m.id)),
        code_hash: Set(fingerprint(&code)),
        expires_at: Set(now + Duration::minutes(CODE_MINUTES)),
        failed_attempts: Set(0),
        used_at: Set(None),
        locked_at: Set(None),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&*write)
    .await?;
    if let Some(member) = member {
        let letter = letters::sign_in_code(
            &member.email,
            member.id,
            &member.display_name,
            member.preferred_language,
            &code,
            CODE_MINUTES,
            links,
        );
        outbox::enqueue(&write, &format!("sign-in:{}", row.id), letter).await?;
    }
    write.commit().await
}

/// A session just started: the bearer token, shown this once, and whose it is.
#[derive(Debug, Clone)]
pub struct Started {
    /// The member signed in.
    pub member: member::Model,
    /// The session's bearer token.
    pub token: String,
    /// The session's row (no secret in it).
    pub session: api_token::Model,
}

fn refused() -> ServiceError {
    ServiceError::invalid(
        "code",
        UserErrorCode::Expired,
        "this code does not work: it may be mistyped, used, expired or locked; ask for a new one",
    )
}

/// Completes a sign-in with the code from the e-mail. With the address it was sent to,
/// a wrong code counts against that address's live code, which locks after
/// [`MAX_WRONG_CODES`] tries.
#[tracing::instrument(skip_all)]
pub async fn complete(
    db: &DatabaseConnection,
    context: &WriteContext<'_>,
    code: &str,
    email: Option<&str>,
) -> Result<Started> {
    context.viewer.refuse_bot()?;
    let email_hash = match email {
        Some(email) => Some(fingerprint(&normalise_email("email", email)?)),
        None => None,
    };
    let write = Write::begin(db, context).await?;
    let now = write.now();
    let found = match typed_code_fingerprint(code) {
        Some(code_hash) => {
            sign_in_code::Entity::find().filter(sign_in_code::Column::CodeHash.eq(code_hash)).one(&*write).await?
        }
        None => None,
    };
    let usable = found.filter(|row| {
        row.used_at.is_none()
            && row.locked_at.is_none()
            && row.expires_at > now
            && row.member_id.is_some()
            && email_hash.as_ref().is_none_or(|hash| *hash == row.email_hash)
    });
    let Some(row) = usable else {
        if let Some(hash) = email_hash {
            count_wrong_code(&*write, &hash, now).await?;
            write.commit().await?;
        }
        return Err(refused());
    };
    let claimed = sign_in_code::Entity::update_many()
        .col_expr(sign_in_code::Column::UsedAt, Expr::value(now))
        .filter(sign_in_code::Column::Id.eq(row.id))
        .filter(sign_in_code::Column::UsedAt.is_null())
        .exec(&*write)
        .await?;
    let member_id = row.member_id.ok_or_else(refused)?;
    let member = access::member_by_id(&*write, member_id).await?;
    if claimed.rows_affected != 1 || !may_sign_in(&member) {
        return Err(refused());
    }
    let (token, session) = start_session(&*write, member.id, now).await?;
    write.audit("session.start", "Member", member.id, json!({ "sessionId": session.id, "via": "email" })).await?;
    write.commit().await?;
    Ok(Started { member, token, session })
}

/// Counts a wrong code against the live code of the address with `email_hash`, locking
/// it at the limit.
async fn count_wrong_code(db: &impl ConnectionTrait, email_hash: &str, now: DateTime<Utc>) -> Result<()> {
    let live = sign_in_code::Entity::find()
        .filter(sign_in_code::Column::EmailHash.eq(email_hash))
        .filter(sign_in_code::Column::UsedAt.is_null())
        .filter(sign_in_code::Column::LockedAt.is_null())
        .filter(sign_in_code::Column::ExpiresAt.gt(now))
        .order_by_desc(sign_in_code::Column::Id)
        .one(db)
        .await?;
    let Some(live) = live else { return Ok(()) };
    sign_in_code::Entity::update_many()
        .col_expr(sign_in_code::Column::FailedAttempts, Expr::col(sign_in_code::Column::FailedAttempts).add(1))
        .filter(sign_in_code::Column::Id.eq(live.id))
        .exec(db)
        .await?;
    sign_in_code::Entity::update_many()
        .col_expr(sign_in_code::Column::LockedAt, Expr::value(now))
        .filter(sign_in_code::Column::Id.eq(live.id))
        .filter(sign_in_code::Column::FailedAttempts.gte(MAX_WRONG_CODES))
        .exec(db)
        .await?;
    Ok(())
}

/// Starts a session for `member_id`: a `SESSION` token that ends after
/// [`SESSION_IDLE_DAYS`] without use. Returns the token and its row.
pub async fn start_session(
    db: &impl ConnectionTrait,
    member_id: i64,
    now: DateTime<Utc>,
) -> Result<(String, api_token::Model)> {
    let expires_at = now + Duration::days(SESSION_IDLE_DAYS);
    store_token(db, member_id, TokenKind::Session, Some(expires_at), now).await
}

/// The viewer's sessions and API tokens that still work, newest first.
pub async fn sessions(db: &impl ConnectionTrait, viewer: &Viewer, now: DateTime<Utc>) -> Result<Vec<api_token::Model>> {
    let member = viewer.require_in_person()?;
    Ok(api_token::Entity::find()
        .filter(api_token::Column::MemberId.eq(member.id))
        .filter(api_token::Column::RevokedAt.is_null())
        .filter(api_token::Column::ExpiresAt.is_null().or(api_token::Column::ExpiresAt.gt(now)))
        .order_by_desc(api_token::Column::Id)
        .all(db)
        .await?)
}

/// Ends one of the viewer's own sessions or tokens, by id; sockets opened with it close.
/// Ending one already ended is not an error: the outcome is the same.
#[tracing::instrument(skip(db, context))]
pub async fn revoke_session(db: &DatabaseConnection, context: &WriteContext<'_>, session_id: i64) -> Result<()> {
    let member = context.viewer.require_in_person()?;
    let write = Write::begin(db, context).await?;
    let row = api_token::Entity::find_by_id(session_id)
        .one(&*write)
        .await?
        .filter(|row| row.member_id == member.id)
        .ok_or_else(|| ServiceError::invalid("id", UserErrorCode::NotFound, "you have no session with this id"))?;
    end(&write, &row).await?;
    write.commit().await
}

/// Signs out: ends the session whose token has `token_fingerprint`, if it is the viewer's.
#[tracing::instrument(skip_all)]
pub async fn sign_out(db: &DatabaseConnection, context: &WriteContext<'_>, token_fingerprint: &str) -> Result<()> {
    let member = context.viewer.require_in_person()?;
    let write = Write::begin(db, context).await?;
    let row = api_token::Entity::find()
        .filter(api_token::Column::TokenHash.eq(token_fingerprint))
        .filter(api_token::Column::MemberId.eq(member.id))
        .one(&*write)
        .await?
        .ok_or(ServiceError::Unauthenticated("sign in first".into()))?;
    end(&write, &row).await?;
    write.commit().await
}

/// Revokes `row` (if live), records it and tells open sockets to look at their tokens.
async fn end(write: &Write<'_>, row: &api_token::Model) -> Result<()> {
    if row.revoked_at.is_some() {
        return Ok(());
    }
    api_token::Entity::update_many()
        .col_expr(api_token::Column::RevokedAt, Expr::value(write.now()))
        .filter(api_token::Column::Id.eq(row.id))
        .exec(&**write)
        .await?;
    write.audit("session.end", "Member", row.member_id, json!({ "sessionId": row.id, "kind": row.kind })).await?;
    write.stage(crate::events::Event::AccessRevoked { member_id: row.member_id }).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_six_unambiguous_letters() {
        for _ in 0..100 {
            let code = new_code();
            assert_eq!(code.len(), CODE_LENGTH);
            assert!(!code.contains(['0', 'O', '1', 'I']));
        }
    }

    #[test]
    fn a_typed_code_forgives_case_spaces_and_dashes() {
        let stored = fingerprint("K7P2QX");
        assert_eq!(typed_code_fingerprint(" k7p-2qx ").as_deref(), Some(stored.as_str()));
        assert_eq!(typed_code_fingerprint("K7P2Q"), None);
        assert_eq!(typed_code_fingerprint("K7P2Q0"), None);
    }

    #[test]
    fn addresses_are_trimmed_lower_cased_and_checked() {
        assert_eq!(normalise_email("email", " Ann@Library.Example ").ok().as_deref(), Some("ann@library.example"));
        assert!(normalise_email("email", "ann").is_err());
        assert!(normalise_email("email", "@library.example").is_err());
        assert!(normalise_email("email", "ann @x.example").is_err());
    }
}
