//! Who is calling: API tokens, the bot acting for linked Discord users, and the Discord
//! link codes that connect the two. Granting and cutting access (members, tokens,
//! enrolments, suspension) is `access`'s.
//!
//! Tokens are `lkn_` followed by 43 characters of base64url (32 random bytes). Only their
//! SHA-256 is stored, so a leaked database reveals no usable token; the token itself is
//! shown once, when issued.

use chrono::{DateTime, Duration, Utc};
use lkn_entity::vocabulary::{MemberRole, TokenKind};
use lkn_entity::{api_token, discord_link_code, member};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, ExprTrait, JoinType, QueryFilter,
    QuerySelect, Set,
};
use serde_json::json;

use crate::error::{Result, ServiceError, UserErrorCode};
use crate::service::secret::fingerprint;
use crate::service::viewer::Viewer;
use crate::service::write::{Write, WriteContext};

/// What every token starts with, so secret scanners and people can recognise one.
pub const TOKEN_PREFIX: &str = "lkn_";
/// How long a Discord link code stays usable.
pub const LINK_CODE_LIFETIME_MINUTES: i64 = 10;
/// A token's last-used time is refreshed at most this often, to keep reads read-only.
const LAST_USED_GRANULARITY_SECONDS: i64 = 60;

/// Resolves the `Authorization` bearer token and the bot's `X-Lkn-Discord-User` header
/// to the request's viewer: [`token_holder`], then [`acting_viewer`].
#[tracing::instrument(skip_all)]
pub async fn authenticate(
    db: &impl ConnectionTrait,
    bearer: Option<&str>,
    discord_user: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Viewer> {
    let Some(token) = bearer else {
        if discord_user.is_some() {
            return Err(ServiceError::Unauthenticated("X-Lkn-Discord-User needs the bot's API token".into()));
        }
        return Ok(Viewer::Anonymous);
    };
    let holder = token_holder(db, token, now).await?;
    acting_viewer(db, holder, discord_user).await
}

/// The member who holds `token`: refused when the token is unknown, revoked or expired,
/// or its holder is suspended. Notes when the token was last used, at most once a
/// minute; a session's idle expiry moves on with it.
pub async fn token_holder(db: &impl ConnectionTrait, token: &str, now: DateTime<Utc>) -> Result<member::Model> {
    let invalid = || ServiceError::Unauthenticated("the API token is not valid".into());
    if !token.starts_with(TOKEN_PREFIX) {
        return Err(invalid());
    }
    // The token and its member in one statement: this runs on every signed-in request.
    let found = api_token::Entity::find()
        .filter(api_token::Column::TokenHash.eq(fingerprint(token)))
        .filter(api_token::Column::RevokedAt.is_null())
        .filter(api_token::Column::ExpiresAt.is_null().or(api_token::Column::ExpiresAt.gt(now)))
        .join(
            JoinType::InnerJoin,
            api_token::Entity::belongs_to(member::Entity)
                .from(api_token::Column::MemberId)
                .to(member::Column::Id)
                .into(),
        )
        .select_also(member::Entity)
        .one(db)
        .await?;
    let Some((token_row, Some(holder))) = found else { return Err(invalid()) };
    if holder.suspended_at.is_some() {
        return Err(ServiceError::Suspended("this account is suspended; ask your coordinator".into()));
    }
    if token_row.last_used_at.is_none_or(|at| (now - at).num_seconds() >= LAST_USED_GRANULARITY_SECONDS) {
        let mut noted = api_token::Entity::update_many().col_expr(api_token::Column::LastUsedAt, Expr::value(now));
        if token_row.kind == TokenKind::Session {
            let idle_until = now + Duration::days(crate::service::sign_in::SESSION_IDLE_DAYS);
            noted = noted.col_expr(api_token::Column::ExpiresAt, Expr::value(idle_until));
        }
        noted.filter(api_token::Column::Id.eq(token_row.id)).exec(db).await?;
    }
    Ok(holder)
}

/// Who a token's holder acts as: themselves, or — for the bot's identity naming a
/// Discord user — that user's linked member, who must not be suspended.
pub async fn acting_viewer(
    db: &impl ConnectionTrait,
    holder: member::Model,
    discord_user: Option<&str>,
) -> Result<Viewer> {
    match (holder.role, discord_user) {
        (MemberRole::Bot, None) => Ok(Viewer::Bot(holder)),
        (MemberRole::Bot, Some(discord_id)) => {
            let linked = member::Entity::find().filter(member::Column::DiscordUserId.eq(discord_id)).one(db).await?;
            match linked {
                Some(member) if member.suspended_at.is_some() => Err(ServiceError::Suspended(
                    "the network account linked to this Discord account is suspended; ask your coordinator".into(),
                )),
                Some(member) if member.role != MemberRole::Bot => Ok(Viewer::Member { member, via_bot: Some(holder) }),
                _ => Err(ServiceError::Unauthenticated(
                    "this Discord account is not linked to a network member yet: \
                     create a link code in LKN and use /link"
                        .into(),
                )),
            }
        }
        (_, Some(_)) => Err(ServiceError::Forbidden),
        (_, None) => Ok(Viewer::Member { member: holder, via_bot: None }),
    }
}

/// Makes a short-lived, single-use code the member types into Discord's `/link`
/// (see `link_code` for its shape and strength).
#[tracing::instrument(skip(db, context))]
pub async fn create_discord_link_code(
    db: &DatabaseConnection,
    context: &WriteContext<'_>,
) -> Result<(String, DateTime<Utc>)> {
    let now = context.now;
    let member = context.viewer.require_member()?;
    if member.role == MemberRole::Bot {
        return Err(ServiceError::Forbidden);
    }
    let code = crate::service::link_code::generate();
    let expires_at = now + Duration::minutes(LINK_CODE_LIFETIME_MINUTES);
    discord_link_code::ActiveModel {
        member_id: Set(member.id),
        code_hash: Set(code.hash),
        expires_at: Set(expires_at),
        used_at: Set(None),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok((code.shown, expires_at))
}

/// Asks, for a Discord user, that a link code be e-mailed to `email` (`/link email:`).
/// The answer is the same whoever owns the address, so nobody learns who is a member:
/// only when it is an active member's is a code made and sent, in their language, and
/// that code links only the Discord account that asked. Only the bot identity may call
/// it, and each request counts against the Discord user's link attempts (see
/// `link_code`), so nobody can flood an inbox or keep guessing.
#[tracing::instrument(skip(db, context, email))]
pub async fn request_discord_link_by_email(
    db: &DatabaseConnection,
    context: &WriteContext<'_>,
    discord_user_id: &str,
    email: &str,
) -> Result<()> {
    use crate::mail::letters;
    use crate::service::{link_code, outbox};
    context.viewer.require_bot_alone()?;
    crate::service::discord::check_snowflake("discordUserId", discord_user_id)?;
    let email = crate::service::sign_in::normalise_email("email", email)?;
    let now = context.now;
    let attempt = link_code::begin_attempt(db, discord_user_id, now).await?;
    if !attempt.allowed {
        link_code::forget_attempt(db, &attempt).await?;
        return Err(ServiceError::invalid(
            "email",
            UserErrorCode::RateLimited,
            format!(
                "too many link requests from this Discord account: wait up to {} minutes, then try again",
                link_code::ATTEMPT_WINDOW_MINUTES
            ),
        ));
    }
    let write = Write::begin(db, context).await?;
    let holder = member::Entity::find()
        .filter(member::Column::Email.eq(email.as_str()))
        .one(&*write)
        .await?
        .filter(|m| m.suspended_at.is_none() && m.erased_at.is_none() && m.role != MemberRole::Bot);
    let Some(holder) = holder else { return write.commit().await };
    let code = link_code::generate();
    let row = discord_link_code::ActiveModel {
        member_id: Set(holder.id),
        code_hash: Set(code.hash),
        expires_at: Set(now + Duration::minutes(LINK_CODE_LIFETIME_MINUTES)),
        used_at: Set(None),
        created_at: Set(now),
        for_discord_user_id: Set(Some(discord_user_id.to_owned())),
        ..Default::default()
    }
    .insert(&*write)
    .await?;
    let letter = letters::discord_link_code(
        &holder.email,
        holder.id,
        &holder.display_name,
        holder.preferred_language,
        &code.shown,
        LINK_CODE_LIFETIME_MINUTES,
    );
    outbox::enqueue(&write, &format!("discord-link:{}", row.id), letter).await?;
    write.audit("discord.link_code.email", "Member", holder.id, json!({ "discordUserId": discord_user_id })).await?;
    write.commit().await
}

/// Links a Discord user to the member who made `code`, typed in any case. Only the bot
/// identity may call it. A Discord user with too many wrong codes lately is refused
/// (`RATE_LIMITED`) without the code being looked at.
#[tracing::instrument(skip(db, context, code))]
pub async fn link_discord_account(
    db: &DatabaseConnection,
    context: &WriteContext<'_>,
    code: &str,
    discord_user_id: &str,
) -> Result<member::Model> {
    use crate::service::link_code;
    let now = context.now;
    context.viewer.require_bot_alone()?;
    crate::service::discord::check_snowflake("discordUserId", discord_user_id)?;
    let attempt = link_code::begin_attempt(db, discord_user_id, now).await?;
    if !attempt.allowed {
        link_code::forget_attempt(db, &attempt).await?;
        return Err(ServiceError::invalid(
            "code",
            UserErrorCode::RateLimited,
            format!(
                "too many wrong link codes from this Discord account: wait up to {} minutes, then try again",
                link_code::ATTEMPT_WINDOW_MINUTES
            ),
        ));
    }
    // From here on, every way out but success leaves the attempt counted as a failure.
    let unknown =
        || ServiceError::invalid("code", UserErrorCode::Expired, "this link code is unknown, used or expired");
    let hash = link_code::hash_typed(code).ok_or_else(unknown)?;
    let write = Write::begin(db, context).await?;
    let txn = &*write;
    let claimed = discord_link_code::Entity::update_many()
        .col_expr(discord_link_code::Column::UsedAt, Expr::value(now))
        .filter(discord_link_code::Column::CodeHash.eq(hash.as_str()))
        .filter(discord_link_code::Column::UsedAt.is_null())
        .filter(discord_link_code::Column::ExpiresAt.gt(now))
        .filter(
            discord_link_code::Column::ForDiscordUserId
                .is_null()
                .or(discord_link_code::Column::ForDiscordUserId.eq(discord_user_id)),
        )
        .exec(txn)
        .await?;
    if claimed.rows_affected != 1 {
        return Err(unknown());
    }
    let row = discord_link_code::Entity::find()
        .filter(discord_link_code::Column::CodeHash.eq(hash))
        .one(txn)
        .await?
        .ok_or_else(|| ServiceError::Internal("claimed link code vanished".into()))?;
    // A Discord account links one member: move it if it was linked elsewhere before.
    member::Entity::update_many()
        .col_expr(member::Column::DiscordUserId, Expr::value(Option::<String>::None))
        .filter(member::Column::DiscordUserId.eq(discord_user_id))
        .exec(txn)
        .await?;
    member::Entity::update_many()
        .col_expr(member::Column::DiscordUserId, Expr::value(discord_user_id.to_owned()))
        .filter(member::Column::Id.eq(row.member_id))
        .exec(txn)
        .await?;
    let linked = member::Entity::find_by_id(row.member_id).one(txn).await?.ok_or(ServiceError::NotFound("member"))?;
    write.audit("discord.link", "Member", linked.id, json!({ "discordUserId": discord_user_id })).await?;
    link_code::forget_attempt(txn, &attempt).await?;
    write.commit().await?;
    Ok(linked)
}
