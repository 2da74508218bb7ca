//! Who is calling: API tokens, members, the bot acting for linked Discord users, and
//! the Discord link codes that connect the two.
//!
//! Tokens are `lkn_` followed by 43 characters of base64url (32 random bytes). Only their
//! SHA-256 is stored, so a leaked database reveals no usable token; the token itself is
//! shown once, when issued.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Duration, Utc};
use lkn_entity::vocabulary::MemberRole;
use lkn_entity::{api_token, discord_link_code, enrolment_code, member, partner};
use rand::RngCore;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, JoinType, QueryFilter,
    QuerySelect, Set,
};
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::error::{Result, ServiceError, UserErrorCode, is_unique_violation};
use crate::events::{Event, EventBus};
use crate::service::audit::record as audit;
use crate::service::writes::{Checks, WriteContext, begin_write};

/// What every token starts with, so secret scanners and people can recognise one.
pub const TOKEN_PREFIX: &str = "lkn_";
/// How long a Discord link code stays usable.
pub const LINK_CODE_LIFETIME_MINUTES: i64 = 10;
/// How long an enrolment code stays redeemable: long enough for an e-mail to be read
/// after a weekend.
pub const ENROLMENT_LIFETIME_HOURS: i64 = 72;
/// What every enrolment code starts with, so people and secret scanners can tell it
/// from a token.
pub const ENROLMENT_PREFIX: &str = "lkn_enrol_";
/// A token's last-used time is refreshed at most this often, to keep reads read-only.
const LAST_USED_GRANULARITY_SECONDS: i64 = 60;

/// The caller of a request, as every authorization check sees it.
#[derive(Debug, Clone, Default)]
pub enum Viewer {
    /// No token: sees public content only.
    #[default]
    Anonymous,
    /// A member, acting directly or through the bot on behalf of their linked Discord user.
    Member {
        /// The member whose permissions apply.
        member: member::Model,
        /// The bot identity that carried the request, if it did.
        via_bot: Option<member::Model>,
    },
    /// The bot's own identity, acting for nobody: reads what members read (to mirror
    /// threads into the network's Discord server), links accounts and keeps its Discord
    /// records; it writes nothing else.
    Bot(member::Model),
}

impl Viewer {
    /// The member whose permissions apply, if any.
    pub fn member(&self) -> Option<&member::Model> {
        match self {
            Self::Member { member, .. } => Some(member),
            _ => None,
        }
    }

    /// Whether network-only threads and collaborations are visible: to members, and to
    /// the bot, which mirrors them into the network's own Discord server. The bot asks
    /// anonymously for Discord users who are not linked.
    pub fn sees_network(&self) -> bool {
        matches!(self, Self::Member { .. } | Self::Bot(_))
    }

    /// The acting member, or the refusal every write gives to anyone else.
    pub fn require_member(&self) -> Result<&member::Model> {
        match self {
            Self::Member { member, .. } => Ok(member),
            Self::Anonymous => Err(ServiceError::Unauthenticated("sign in with an API token to do this".into())),
            Self::Bot(_) => Err(ServiceError::Forbidden),
        }
    }

    /// The member who made the request (the bot when it acts for someone) and the member
    /// acted for, as the audit trail records them.
    pub fn audit_pair(&self) -> (Option<i64>, Option<i64>) {
        match self {
            Self::Anonymous => (None, None),
            Self::Bot(bot) => (Some(bot.id), None),
            Self::Member { member, via_bot: None } => (Some(member.id), None),
            Self::Member { member, via_bot: Some(bot) } => (Some(bot.id), Some(member.id)),
        }
    }

    /// The member acting in person, or a refusal: identity and access (members, tokens,
    /// enrolments, suspensions) are never managed through the bot, so a Discord account
    /// cannot be turned into a way to mint or keep credentials.
    pub fn require_in_person(&self) -> Result<&member::Model> {
        match self {
            Self::Member { via_bot: Some(_), .. } => Err(ServiceError::Forbidden),
            other => other.require_member(),
        }
    }

    /// The members whose access this viewer depends on: the member acting, the bot
    /// carrying the request, or both. Suspending or revoking any of them ends it.
    pub fn depends_on(&self, member_id: i64) -> bool {
        match self {
            Self::Anonymous => false,
            Self::Bot(bot) => bot.id == member_id,
            Self::Member { member, via_bot } => {
                member.id == member_id || via_bot.as_ref().is_some_and(|b| b.id == member_id)
            }
        }
    }

    /// Whether this is an administrator of the network.
    pub fn is_admin(&self) -> bool {
        self.member().is_some_and(|m| m.role == MemberRole::Admin)
    }

    /// Whether this is a coordinator (or admin) entitled to act for `partner_id`.
    pub fn coordinates(&self, partner_id: i64) -> bool {
        self.member().is_some_and(|m| {
            m.role == MemberRole::Admin || (m.role == MemberRole::Coordinator && m.partner_id == partner_id)
        })
    }
}

/// SHA-256 as lower-case hex: how tokens and link codes are stored.
pub fn fingerprint(secret: &str) -> String {
    let digest = Sha256::digest(secret.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// `bytes` random bytes as base64url.
fn random_secret(bytes: usize) -> String {
    let mut buffer = vec![0u8; bytes];
    rand::rng().fill_bytes(&mut buffer);
    URL_SAFE_NO_PAD.encode(buffer)
}

fn random_token() -> String {
    format!("{TOKEN_PREFIX}{}", random_secret(32))
}

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

/// The member who holds `token`: refused when the token is unknown or revoked, or its
/// holder is suspended. Notes when the token was last used, at most once a minute.
pub async fn token_holder(db: &impl ConnectionTrait, token: &str, now: DateTime<Utc>) -> Result<member::Model> {
    let invalid = || ServiceError::Unauthenticated("the API token is not valid".into());
    if !token.starts_with(TOKEN_PREFIX) {
        return Err(invalid());
    }
    // The token and its member in one statement: this runs on every signed-in request.
    let found = api_token::Entity::find()
        .filter(api_token::Column::TokenHash.eq(fingerprint(token)))
        .filter(api_token::Column::RevokedAt.is_null())
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
        return Err(ServiceError::Unauthenticated("this account is suspended; ask your coordinator".into()));
    }
    if token_row.last_used_at.is_none_or(|at| (now - at).num_seconds() >= LAST_USED_GRANULARITY_SECONDS) {
        api_token::Entity::update_many()
            .col_expr(api_token::Column::LastUsedAt, Expr::value(now))
            .filter(api_token::Column::Id.eq(token_row.id))
            .exec(db)
            .await?;
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
                Some(member) if member.suspended_at.is_some() => Err(ServiceError::Unauthenticated(
                    "the network account linked to this Discord account is suspended".into(),
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

fn may_manage(viewer: &Viewer, partner_id: i64, role: MemberRole) -> Result<()> {
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
    let txn = begin_write(db).await?;
    let partner = partner::Entity::find()
        .filter(partner::Column::Slug.eq(new.partner_slug.as_str()))
        .one(&txn)
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
    let taken = member::Entity::find().filter(member::Column::Email.eq(email.as_str())).one(&txn).await?;
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
    .insert(&txn)
    .await
    .map_err(|error| {
        if is_unique_violation(&error) {
            ServiceError::invalid("email", UserErrorCode::Taken, "a member with this e-mail already exists")
        } else {
            error.into()
        }
    })?;
    let access = grant(&txn, context, authority, &inserted).await?;
    audit(&txn, context, "member.add", "Member", inserted.id, json!({ "role": new.role, "partnerId": partner.id }))
        .await?;
    txn.commit().await?;
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
        return Ok(Access::Token(store_token(txn, holder.id, context.now).await?));
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

async fn store_token(db: &impl ConnectionTrait, member_id: i64, now: DateTime<Utc>) -> Result<String> {
    let token = random_token();
    api_token::ActiveModel {
        member_id: Set(member_id),
        display_prefix: Set(token.chars().take(TOKEN_PREFIX.len() + 6).collect()),
        token_hash: Set(fingerprint(&token)),
        created_at: Set(now),
        last_used_at: Set(None),
        revoked_at: Set(None),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(token)
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
    let txn = begin_write(db).await?;
    let access = grant(&txn, context, authority, holder).await?;
    let kind = if matches!(access, Access::Token(_)) { "token" } else { "enrolment" };
    audit(&txn, context, "token.issue", "Member", holder.id, json!({ "as": kind })).await?;
    txn.commit().await?;
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
    let txn = begin_write(db).await?;
    let claimed = enrolment_code::Entity::update_many()
        .col_expr(enrolment_code::Column::UsedAt, Expr::value(context.now))
        .filter(enrolment_code::Column::CodeHash.eq(fingerprint(code)))
        .filter(enrolment_code::Column::UsedAt.is_null())
        .filter(enrolment_code::Column::ExpiresAt.gt(context.now))
        .exec(&txn)
        .await?;
    if claimed.rows_affected != 1 {
        return Err(refused());
    }
    let row = enrolment_code::Entity::find()
        .filter(enrolment_code::Column::CodeHash.eq(fingerprint(code)))
        .one(&txn)
        .await?
        .ok_or_else(|| ServiceError::Internal("claimed enrolment code vanished".into()))?;
    let holder = member_by_id(&txn, row.member_id).await?;
    if holder.suspended_at.is_some() {
        return Err(ServiceError::invalid("code", UserErrorCode::InvalidState, "this account is suspended"));
    }
    let token = store_token(&txn, holder.id, context.now).await?;
    audit(&txn, context, "token.enrol", "Member", holder.id, json!({})).await?;
    txn.commit().await?;
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
    let txn = begin_write(db).await?;
    let result = api_token::Entity::update_many()
        .col_expr(api_token::Column::RevokedAt, Expr::value(context.now))
        .filter(api_token::Column::MemberId.eq(holder.id))
        .filter(api_token::Column::RevokedAt.is_null())
        .exec(&txn)
        .await?;
    audit(&txn, context, "token.revoke", "Member", holder.id, json!({ "revoked": result.rows_affected })).await?;
    context.stage(&txn, Event::AccessRevoked { member_id: holder.id }).await?;
    txn.commit().await?;
    context.committed();
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
    let txn = begin_write(db).await?;
    let stamp = suspended.then_some(context.now);
    member::Entity::update_many()
        .col_expr(member::Column::SuspendedAt, Expr::value(stamp))
        .filter(member::Column::Id.eq(target.id))
        .exec(&txn)
        .await?;
    let action = if suspended { "member.suspend" } else { "member.restore" };
    audit(&txn, context, action, "Member", target.id, json!({})).await?;
    if suspended {
        context.stage(&txn, Event::AccessRevoked { member_id: target.id }).await?;
    }
    let updated = member_by_id(&txn, target.id).await?;
    txn.commit().await?;
    context.committed();
    Ok(updated)
}

/// How often each process looks for access that was cut.
pub const ACCESS_WATCH_INTERVAL: std::time::Duration = std::time::Duration::from_millis(500);
/// How far back each look reaches beyond the previous one, for clocks that differ
/// between the processes that write and this one.
const ACCESS_WATCH_OVERLAP_SECONDS: i64 = 5;

/// Members whose tokens were revoked, or who were suspended, at or after `since`.
pub async fn access_cut_since(db: &impl ConnectionTrait, since: DateTime<Utc>) -> Result<Vec<i64>> {
    let mut ids: Vec<i64> = api_token::Entity::find()
        .select_only()
        .column(api_token::Column::MemberId)
        .filter(api_token::Column::RevokedAt.gte(since))
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
    match context.viewer {
        Viewer::Bot(_) => {}
        Viewer::Anonymous => {
            return Err(ServiceError::Unauthenticated("sign in with the bot's API token".into()));
        }
        Viewer::Member { .. } => return Err(ServiceError::Forbidden),
    }
    if !crate::service::discord::is_snowflake(discord_user_id) {
        return Err(ServiceError::invalid("discordUserId", UserErrorCode::Invalid, "a Discord user id is a number"));
    }
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
    let txn = begin_write(db).await?;
    let claimed = discord_link_code::Entity::update_many()
        .col_expr(discord_link_code::Column::UsedAt, Expr::value(now))
        .filter(discord_link_code::Column::CodeHash.eq(hash.as_str()))
        .filter(discord_link_code::Column::UsedAt.is_null())
        .filter(discord_link_code::Column::ExpiresAt.gt(now))
        .exec(&txn)
        .await?;
    if claimed.rows_affected != 1 {
        return Err(unknown());
    }
    let row = discord_link_code::Entity::find()
        .filter(discord_link_code::Column::CodeHash.eq(hash))
        .one(&txn)
        .await?
        .ok_or_else(|| ServiceError::Internal("claimed link code vanished".into()))?;
    // A Discord account links one member: move it if it was linked elsewhere before.
    member::Entity::update_many()
        .col_expr(member::Column::DiscordUserId, Expr::value(Option::<String>::None))
        .filter(member::Column::DiscordUserId.eq(discord_user_id))
        .exec(&txn)
        .await?;
    member::Entity::update_many()
        .col_expr(member::Column::DiscordUserId, Expr::value(discord_user_id.to_owned()))
        .filter(member::Column::Id.eq(row.member_id))
        .exec(&txn)
        .await?;
    let linked = member::Entity::find_by_id(row.member_id).one(&txn).await?.ok_or(ServiceError::NotFound("member"))?;
    audit(&txn, context, "discord.link", "Member", linked.id, json!({ "discordUserId": discord_user_id })).await?;
    link_code::forget_attempt(&txn, &attempt).await?;
    txn.commit().await?;
    Ok(linked)
}
