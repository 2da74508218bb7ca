//! Granting and cutting members' access: adding members, issuing and revoking tokens,
//! enrolment codes, suspension, and the watch that tells open sockets when access was cut.
//!
//! The rule that runs through it: whoever sets up access for someone else never holds
//! their secret. The operator at the command line and the member themselves get tokens;
//! a coordinator or administrator acting for someone else gets an enrolment code that
//! only that member redeems. None of it is ever done through the bot.

use chrono::{DateTime, Duration, Utc};
use lkn_entity::vocabulary::{MemberRole, TokenKind};
use lkn_entity::{api_token, enrolment_code, member, partner};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait, ExprTrait, QueryFilter,
    QuerySelect, Set,
};
use serde_json::json;

use crate::error::{Result, ServiceError, UserErrorCode, is_unique_violation};
use crate::events::{Event, EventBus};
use crate::service::identity::TOKEN_PREFIX;
use crate::service::input::Checks;
use crate::service::secret::{fingerprint, random_secret};
use crate::service::viewer::Viewer;
use crate::service::write::{Write, WriteContext};

/// How long an enrolment code stays redeemable: long enough for an e-mail to be read
/// after a weekend.
pub const ENROLMENT_LIFETIME_HOURS: i64 = 72;
/// What every enrolment code starts with, so people and secret scanners can tell it
/// from a token.
pub const ENROLMENT_PREFIX: &str = "lkn_enrol_";

fn random_token() -> String {
    format!("{TOKEN_PREFIX}{}", random_secret(32))
}

/// Details of a new member.
#[derive(Debug, Clone)]
pub struct NewMember {
    /// Slug of the partner they work for.
    pub partner_slug: String,
    /// Their e-mail address.
    pub email: String,
    /// The name shown on their posts.
    pub display_name: String,
    /// What they may do.
    pub role: MemberRole,
}

/// On whose authority a member or token is managed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Authority {
    /// The operator at the command line, who holds the database itself.
    Operator,
    /// The request's viewer, whose role is checked: administrators for anyone,
    /// coordinators for members and coordinators of their own partner.
    Viewer,
}

/// Whether the viewer may manage (add, invite, suspend) a member of `role` at
/// `partner_id`: administrators anyone but the bot, coordinators members and coordinators
/// of their own partner.
pub(crate) fn may_manage(viewer: &Viewer, partner_id: i64, role: MemberRole) -> Result<()> {
    let actor = viewer.require_in_person()?;
    let allowed = match actor.role {
        // The bot's identity holds tokens that only the operator hands out.
        MemberRole::Admin => role != MemberRole::Bot,
        MemberRole::Coordinator => {
            actor.partner_id == partner_id && matches!(role, MemberRole::Member | MemberRole::Coordinator)
        }
        MemberRole::Member | MemberRole::Bot => false,
    };
    if allowed { Ok(()) } else { Err(ServiceError::Forbidden) }
}

/// A single-use code that only the member it names can redeem for their own token.
#[derive(Debug, Clone)]
pub struct Enrolment {
    /// The code, shown once (and, later, sent to the member by e-mail).
    pub code: String,
    /// When it stops working.
    pub expires_at: DateTime<Utc>,
}

/// What setting up access for a member hands back: the token itself only to the member
/// or to the operator; anyone else gets an enrolment code for the member to redeem.
#[derive(Debug, Clone)]
pub enum Access {
    /// A new API token.
    Token(String),
    /// A code the member redeems for a token of their own.
    Enrolment(Enrolment),
}

impl Access {
    /// The token, when access was granted as one (to the member or the operator).
    pub fn into_token(self) -> Option<String> {
        match self {
            Self::Token(token) => Some(token),
            Self::Enrolment(_) => None,
        }
    }
}

/// Creates a member. The operator at the command line gets their first token; a
/// coordinator or administrator gets an enrolment code for the new member to redeem.
#[tracing::instrument(skip(db, context), fields(email = %new.email))]
pub async fn add_member(
    db: &DatabaseConnection,
    context: &WriteContext<'_>,
    authority: Authority,
    new: NewMember,
) -> Result<(member::Model, Access)> {
    if authority == Authority::Viewer {
        context.viewer.require_in_person()?;
    }
    let email = new.email.trim().to_lowercase();
    let mut checks = Checks::default();
    if !email.contains('@') || email.len() > 320 || email.contains(char::is_whitespace) {
        checks.fail("email", UserErrorCode::Invalid, "enter a valid e-mail address");
    }
    let name = checks.line("displayName", "Name", &new.display_name, 1, 200);
    checks.finish()?;
    let write = Write::begin(db, context).await?;
    let txn = &*write;
    let partner = partner::Entity::find()
        .filter(partner::Column::Slug.eq(new.partner_slug.as_str()))
        .one(txn)
        .await?
        .ok_or_else(|| {
        ServiceError::invalid(
            "partnerSlug",
            UserErrorCode::NotFound,
            format!("no partner has the slug `{}`", new.partner_slug),
        )
    })?;
    if authority == Authority::Viewer {
        may_manage(context.viewer, partner.id, new.role)?;
    }
    let taken = member::Entity::find().filter(member::Column::Email.eq(email.as_str())).one(txn).await?;
    if taken.is_some() {
        return Err(ServiceError::invalid("email", UserErrorCode::Taken, "a member with this e-mail already exists"));
    }
    let inserted = member::ActiveModel {
        partner_id: Set(partner.id),
        email: Set(email),
        display_name: Set(name),
        role: Set(new.role),
        discord_user_id: Set(None),
        created_at: Set(context.now),
        suspended_at: Set(None),
        ..Default::default()
    }
    .insert(txn)
    .await
    .map_err(|error| {
        if is_unique_violation(&error) {
            ServiceError::invalid("email", UserErrorCode::Taken, "a member with this e-mail already exists")
        } else {
            error.into()
        }
    })?;
    let access = grant(txn, context, authority, &inserted).await?;
    write.audit("member.add", "Member", inserted.id, json!({ "role": new.role, "partnerId": partner.id })).await?;
    write.commit().await?;
    Ok((inserted, access))
}

/// A token when the holder or the operator asks, an enrolment code otherwise.
async fn grant(
    txn: &impl ConnectionTrait,
    context: &WriteContext<'_>,
    authority: Authority,
    holder: &member::Model,
) -> Result<Access> {
    let for_themselves = context.viewer.member().is_some_and(|m| m.id == holder.id);
    if authority == Authority::Operator || for_themselves {
        return Ok(Access::Token(store_token(txn, holder.id, TokenKind::Api, None, context.now).await?.0));
    }
    let code = format!("{ENROLMENT_PREFIX}{}", random_secret(16));
    let expires_at = context.now + Duration::hours(ENROLMENT_LIFETIME_HOURS);
    enrolment_code::ActiveModel {
        member_id: Set(holder.id),
        issued_by_id: Set(context.viewer.member().map(|m| m.id)),
        code_hash: Set(fingerprint(&code)),
        expires_at: Set(expires_at),
        used_at: Set(None),
        created_at: Set(context.now),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    Ok(Access::Enrolment(Enrolment { code, expires_at }))
}

/// Stores a new token of `kind` for `member_id`, ending at `expires_at` if given (and
/// later, for a session in use: see `identity::token_holder`). Returns the token, shown
/// this once, and its row.
pub(crate) async fn store_token(
    db: &impl ConnectionTrait,
    member_id: i64,
    kind: TokenKind,
    expires_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Result<(String, api_token::Model)> {
    let token = random_token();
    let row = api_token::ActiveModel {
        member_id: Set(member_id),
        display_prefix: Set(token.chars().take(TOKEN_PREFIX.len() + 6).collect()),
        token_hash: Set(fingerprint(&token)),
        kind: Set(kind),
        expires_at: Set(expires_at),
        created_at: Set(now),
        last_used_at: Set(None),
        revoked_at: Set(None),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok((token, row))
}

/// Finds a member by e-mail.
pub async fn member_by_email(db: &impl ConnectionTrait, email: &str) -> Result<member::Model> {
    member::Entity::find()
        .filter(member::Column::Email.eq(email.trim().to_lowercase()))
        .one(db)
        .await?
        .ok_or(ServiceError::NotFound("member"))
}

/// A member by id, for managing their tokens.
pub async fn member_by_id(db: &impl ConnectionTrait, id: i64) -> Result<member::Model> {
    member::Entity::find_by_id(id).one(db).await?.ok_or(ServiceError::NotFound("member"))
}

fn may_manage_tokens(context: &WriteContext<'_>, authority: Authority, holder: &member::Model) -> Result<()> {
    if authority == Authority::Operator {
        return Ok(());
    }
    let actor = context.viewer.require_in_person()?;
    if actor.id == holder.id {
        return Ok(());
    }
    may_manage(context.viewer, holder.partner_id, holder.role)
}

/// Issues further access for a member: a token for themselves or the operator, an
/// enrolment code when their coordinator or an administrator asks.
#[tracing::instrument(skip(db, context, holder), fields(member_id = holder.id))]
pub async fn issue_token(
    db: &DatabaseConnection,
    context: &WriteContext<'_>,
    authority: Authority,
    holder: &member::Model,
) -> Result<Access> {
    may_manage_tokens(context, authority, holder)?;
    if holder.suspended_at.is_some() {
        return Err(ServiceError::invalid("memberId", UserErrorCode::InvalidState, "this member is suspended"));
    }
    let write = Write::begin(db, context).await?;
    let txn = &*write;
    let access = grant(txn, context, authority, holder).await?;
    let kind = if matches!(access, Access::Token(_)) { "token" } else { "enrolment" };
    write.audit("token.issue", "Member", holder.id, json!({ "as": kind })).await?;
    write.commit().await?;
    Ok(access)
}

/// Redeems an enrolment code for a new token of the member it names. Anyone holding the
/// code may redeem it once, before it expires; a suspended member gets nothing.
#[tracing::instrument(skip_all)]
pub async fn redeem_enrolment(
    db: &DatabaseConnection,
    context: &WriteContext<'_>,
    code: &str,
) -> Result<(member::Model, String)> {
    let refused =
        || ServiceError::invalid("code", UserErrorCode::Expired, "this enrolment code is unknown, used or expired");
    let code = code.trim();
    if !code.starts_with(ENROLMENT_PREFIX) || code.len() > 100 {
        return Err(refused());
    }
    let write = Write::begin(db, context).await?;
    let txn = &*write;
    let claimed = enrolment_code::Entity::update_many()
        .col_expr(enrolment_code::Column::UsedAt, Expr::value(context.now))
        .filter(enrolment_code::Column::CodeHash.eq(fingerprint(code)))
        .filter(enrolment_code::Column::UsedAt.is_null())
        .filter(enrolment_code::Column::ExpiresAt.gt(context.now))
        .exec(txn)
        .await?;
    if claimed.rows_affected != 1 {
        return Err(refused());
    }
    let row = enrolment_code::Entity::find()
        .filter(enrolment_code::Column::CodeHash.eq(fingerprint(code)))
        .one(txn)
        .await?
        .ok_or_else(|| ServiceError::Internal("claimed enrolment code vanished".into()))?;
    let holder = member_by_id(txn, row.member_id).await?;
    if holder.suspended_at.is_some() {
        return Err(ServiceError::invalid("code", UserErrorCode::InvalidState, "this account is suspended"));
    }
    let (token, _) = store_token(txn, holder.id, TokenKind::Api, None, context.now).await?;
    write.audit("token.enrol", "Member", holder.id, json!({})).await?;
    write.commit().await?;
    Ok((holder, token))
}

/// Revokes every token a member holds; returns how many were live. Open sockets that
/// depend on them are closed as the revocation is heard.
#[tracing::instrument(skip(db, context, holder), fields(member_id = holder.id))]
pub async fn revoke_tokens(
    db: &DatabaseConnection,
    context: &WriteContext<'_>,
    authority: Authority,
    holder: &member::Model,
) -> Result<u64> {
    may_manage_tokens(context, authority, holder)?;
    let write = Write::begin(db, context).await?;
    let txn = &*write;
    let result = api_token::Entity::update_many()
        .col_expr(api_token::Column::RevokedAt, Expr::value(context.now))
        .filter(api_token::Column::MemberId.eq(holder.id))
        .filter(api_token::Column::RevokedAt.is_null())
        .exec(txn)
        .await?;
    write.audit("token.revoke", "Member", holder.id, json!({ "revoked": result.rows_affected })).await?;
    write.stage(Event::AccessRevoked { member_id: holder.id }).await?;
    write.commit().await?;
    Ok(result.rows_affected)
}

/// Suspends a member, or restores them. While suspended, nothing they hold works: their
/// tokens, the sockets they opened, the bot acting for their Discord account, their
/// enrolment codes. Their content and Discord link stay. Administrators may suspend
/// anyone but themselves; coordinators their own partner's members and coordinators.
#[tracing::instrument(skip(db, context, target), fields(member_id = target.id))]
pub async fn set_suspended(
    db: &DatabaseConnection,
    context: &WriteContext<'_>,
    authority: Authority,
    target: &member::Model,
    suspended: bool,
) -> Result<member::Model> {
    if authority == Authority::Viewer {
        let actor = context.viewer.require_in_person()?;
        if actor.id == target.id {
            return Err(ServiceError::invalid("memberId", UserErrorCode::Invalid, "you cannot suspend yourself"));
        }
        // Administrators may stop the bot in an emergency, though only the operator
        // issues its tokens.
        let admin_stops_bot = actor.role == MemberRole::Admin && target.role == MemberRole::Bot;
        if !admin_stops_bot {
            may_manage(context.viewer, target.partner_id, target.role)?;
        }
    }
    let write = Write::begin(db, context).await?;
    let txn = &*write;
    let stamp = suspended.then_some(context.now);
    member::Entity::update_many()
        .col_expr(member::Column::SuspendedAt, Expr::value(stamp))
        .filter(member::Column::Id.eq(target.id))
        .exec(txn)
        .await?;
    let action = if suspended { "member.suspend" } else { "member.restore" };
    write.audit(action, "Member", target.id, json!({})).await?;
    if suspended {
        write.stage(Event::AccessRevoked { member_id: target.id }).await?;
    }
    let updated = member_by_id(txn, target.id).await?;
    write.commit().await?;
    Ok(updated)
}

/// How often each process looks for access that was cut.
pub const ACCESS_WATCH_INTERVAL: std::time::Duration = std::time::Duration::from_millis(500);
/// How far back each look reaches beyond the previous one, for clocks that differ
/// between the processes that write and this one.
const ACCESS_WATCH_OVERLAP_SECONDS: i64 = 5;

/// Members whose tokens were revoked or whose sessions expired, or who were suspended,
/// at or after `since` (and before now).
pub async fn access_cut_since(db: &impl ConnectionTrait, since: DateTime<Utc>) -> Result<Vec<i64>> {
    let now = Utc::now();
    let mut ids: Vec<i64> = api_token::Entity::find()
        .select_only()
        .column(api_token::Column::MemberId)
        .filter(
            Condition::any()
                .add(api_token::Column::RevokedAt.gte(since))
                .add(api_token::Column::ExpiresAt.gte(since).and(api_token::Column::ExpiresAt.lte(now))),
        )
        .into_tuple()
        .all(db)
        .await?;
    let suspended: Vec<i64> = member::Entity::find()
        .select_only()
        .column(member::Column::Id)
        .filter(member::Column::SuspendedAt.gte(since))
        .into_tuple()
        .all(db)
        .await?;
    ids.extend(suspended);
    ids.sort_unstable();
    ids.dedup();
    Ok(ids)
}

/// Announces on `bus`, within [`ACCESS_WATCH_INTERVAL`], every member whose access was cut
/// by any process, so the sockets that depend on them close. A revocation or suspension
/// also announces itself when it commits (at once, on PostgreSQL to every process); this
/// watch catches what the bus cannot carry: a command-line change on SQLite, or
/// notifications missed while a listener reconnected. One look at the database per
/// interval serves every socket of the process; it runs until the bus is dropped.
pub fn watch_access(db: &DatabaseConnection, bus: &std::sync::Arc<EventBus>) {
    let db = db.clone();
    let bus = std::sync::Arc::downgrade(bus);
    tokio::spawn(async move {
        let mut since = Utc::now();
        let mut ticks = tokio::time::interval(ACCESS_WATCH_INTERVAL);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            let Some(bus) = bus.upgrade() else { return };
            let looked_at = Utc::now();
            match access_cut_since(&db, since - Duration::seconds(ACCESS_WATCH_OVERLAP_SECONDS)).await {
                Ok(members) => {
                    for member_id in members {
                        bus.announce(Event::AccessRevoked { member_id });
                    }
                    since = looked_at;
                }
                Err(error) => tracing::warn!(%error, "cannot look for revoked access; trying again"),
            }
        }
    });
}
