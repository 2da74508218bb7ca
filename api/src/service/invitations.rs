//! Invitations: how a partner's coordinator (or an administrator) brings a colleague in.
//! The invitee gets an e-mail with a single-use code and a link; accepting creates their
//! membership and signs them in. Whoever invites never holds the new member's secret.
//!
//! Who may invite whom is who may manage whom (`access::may_manage`): coordinators
//! members and coordinators of their own partner, administrators anyone but the bot.

use chrono::{DateTime, Duration, Utc};
use lkn_entity::vocabulary::{Language, MemberRole};
use lkn_entity::{invitation, member, partner};
use rand::Rng;
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, Set};
use serde_json::json;

use crate::error::{Result, ServiceError, UserErrorCode, is_unique_violation};
use crate::mail::{Links, letters};
use crate::service::access::may_manage;
use crate::service::input::Checks;
use crate::service::outbox;
use crate::service::secret::fingerprint;
use crate::service::sign_in::{Started, normalise_email, start_session};
use crate::service::viewer::Viewer;
use crate::service::write::{Write, WriteContext};

/// How long an invitation works.
pub const LIFETIME_DAYS: i64 = 7;

/// Letters of an invitation code: as for sign-in codes, nothing easily misread.
const CODE_ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
/// Groups of four letters in a code: 32¹² ≈ 10¹⁸ codes, never guessed in a week.
const CODE_GROUPS: usize = 3;

/// Where an invitation stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Standing {
    /// Sent and still usable.
    Pending,
    /// Used to join.
    Accepted,
    /// Taken back by someone who may invite.
    Withdrawn,
    /// Not used in time.
    Expired,
}

/// Where `invitation` stands at `now`.
pub fn standing(invitation: &invitation::Model, now: DateTime<Utc>) -> Standing {
    if invitation.accepted_at.is_some() {
        Standing::Accepted
    } else if invitation.withdrawn_at.is_some() {
        Standing::Withdrawn
    } else if invitation.expires_at <= now {
        Standing::Expired
    } else {
        Standing::Pending
    }
}

/// What an inviter asks for.
#[derive(Debug, Clone)]
pub struct NewInvitation {
    /// The partner the invitee would join.
    pub partner_slug: String,
    /// Where the invitation goes.
    pub email: String,
    /// What the invitee may do.
    pub role: MemberRole,
    /// The name shown on their posts until they change it.
    pub display_name: String,
    /// The language the e-mail is written in.
    pub language: Language,
}

fn new_code() -> String {
    let mut rng = rand::rng();
    let groups: Vec<String> = (0..CODE_GROUPS)
        .map(|_| (0..4).map(|_| char::from(CODE_ALPHABET[rng.random_range(0..CODE_ALPHABET.len())])).collect())
        .collect();
    groups.join("-")
}

/// The stored fingerprint of a typed code, forgiving case and spaces.
fn typed_code_fingerprint(typed: &str) -> Option<String> {
    let letters: String = typed.chars().filter(|c| c.is_ascii_alphanumeric()).collect::<String>().to_uppercase();
    if letters.len() != CODE_GROUPS * 4 || !letters.bytes().all(|b| CODE_ALPHABET.contains(&b)) {
        return None;
    }
    let groups: Vec<&str> = (0..CODE_GROUPS).map(|i| &letters[i * 4..i * 4 + 4]).collect();
    Some(fingerprint(&groups.join("-")))
}

async fn partner_by_slug(db: &impl sea_orm::ConnectionTrait, slug: &str) -> Result<partner::Model> {
    partner::Entity::find().filter(partner::Column::Slug.eq(slug)).one(db).await?.ok_or_else(|| {
        ServiceError::invalid("partnerSlug", UserErrorCode::NotFound, format!("no partner has the slug `{slug}`"))
    })
}

/// Invites someone and queues the e-mail. Asking again for the same address and partner
/// while an invitation is pending returns that invitation and sends nothing more, so a
/// retried request never sends two.
#[tracing::instrument(skip(db, context, links), fields(partner = %new.partner_slug))]
pub async fn invite(
    db: &DatabaseConnection,
    context: &WriteContext<'_>,
    new: NewInvitation,
    links: &Links,
) -> Result<invitation::Model> {
    let inviter = context.viewer.require_in_person()?.clone();
    let mut checks = Checks::default();
    let email = match normalise_email("email", &new.email) {
        Ok(email) => Some(email),
        Err(_) => {
            checks.fail("email", UserErrorCode::Invalid, "enter a valid e-mail address");
            None
        }
    };
    let name = checks.line("displayName", "Name", &new.display_name, 1, 200);
    checks.finish()?;
    let email = email.unwrap_or_default();
    let write = Write::begin(db, context).await?;
    let partner = partner_by_slug(&*write, &new.partner_slug).await?;
    may_manage(context.viewer, partner.id, new.role)?;
    let now = write.now();
    let member = member::Entity::find().filter(member::Column::Email.eq(email.as_str())).one(&*write).await?;
    if member.is_some() {
        return Err(ServiceError::invalid(
            "email",
            UserErrorCode::Taken,
            "someone with this e-mail is already a member",
        ));
    }
    let pending = invitation::Entity::find()
        .filter(invitation::Column::Email.eq(email.as_str()))
        .filter(invitation::Column::PartnerId.eq(partner.id))
        .filter(invitation::Column::AcceptedAt.is_null())
        .filter(invitation::Column::WithdrawnAt.is_null())
        .filter(invitation::Column::ExpiresAt.gt(now))
        .one(&*write)
        .await?;
    if let Some(pending) = pending {
        return Ok(pending);
    }
    let code = new_code();
    let expires_at = now + Duration::days(LIFETIME_DAYS);
    let row = invitation::ActiveModel {
        partner_id: Set(partner.id),
        email: Set(email.clone()),
        display_name: Set(name.clone()),
        role: Set(new.role),
        language: Set(new.language),
        code_hash: Set(fingerprint(&code)),
        invited_by_id: Set(Some(inviter.id)),
        expires_at: Set(expires_at),
        failed_attempts: Set(0),
        accepted_at: Set(None),
        accepted_member_id: Set(None),
        withdrawn_at: Set(None),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&*write)
    .await?;
    let letter = letters::invitation(
        &letters::InvitationLetter {
            to: &email,
            display_name: &name,
            inviter: &inviter.display_name,
            partner: &partner.name,
            role: new.role,
            language: new.language,
            code: &code,
            expires_at,
        },
        links,
    );
    outbox::enqueue(&write, &format!("invitation:{}", row.id), letter).await?;
    write.audit("invitation.send", "Invitation", row.id, json!({ "partnerId": partner.id, "role": new.role })).await?;
    write.commit().await?;
    Ok(row)
}

/// Accepts an invitation: creates the member it describes (under `display_name` if
/// given) and starts their first session.
#[tracing::instrument(skip_all)]
pub async fn accept(
    db: &DatabaseConnection,
    context: &WriteContext<'_>,
    code: &str,
    display_name: Option<&str>,
) -> Result<Started> {
    let refused = || {
        ServiceError::invalid(
            "code",
            UserErrorCode::Expired,
            "this invitation does not work: it may be mistyped, used, withdrawn or expired; ask for a new one",
        )
    };
    context.viewer.refuse_bot()?;
    let mut checks = Checks::default();
    let name = display_name.map(|name| checks.line("displayName", "Name", name, 1, 200));
    checks.finish()?;
    let code_hash = typed_code_fingerprint(code).ok_or_else(refused)?;
    let write = Write::begin(db, context).await?;
    let now = write.now();
    let row = invitation::Entity::find()
        .filter(invitation::Column::CodeHash.eq(code_hash))
        .one(&*write)
        .await?
        .filter(|row| standing(row, now) == Standing::Pending)
        .ok_or_else(refused)?;
    let inserted = member::ActiveModel {
        partner_id: Set(row.partner_id),
        email: Set(row.email.clone()),
        display_name: Set(name.unwrap_or_else(|| row.display_name.clone())),
        role: Set(row.role),
        discord_user_id: Set(None),
        created_at: Set(now),
        suspended_at: Set(None),
        preferred_language: Set(row.language),
        ..Default::default()
    }
    .insert(&*write)
    .await
    .map_err(|error| {
        if is_unique_violation(&error) {
            ServiceError::invalid("code", UserErrorCode::Taken, "someone with this e-mail is already a member")
        } else {
            error.into()
        }
    })?;
    let claimed = invitation::Entity::update_many()
        .col_expr(invitation::Column::AcceptedAt, Expr::value(now))
        .col_expr(invitation::Column::AcceptedMemberId, Expr::value(inserted.id))
        .filter(invitation::Column::Id.eq(row.id))
        .filter(invitation::Column::AcceptedAt.is_null())
        .exec(&*write)
        .await?;
    if claimed.rows_affected != 1 {
        return Err(refused());
    }
    let (token, session) = start_session(&*write, inserted.id, now).await?;
    write.audit("invitation.accept", "Invitation", row.id, json!({ "memberId": inserted.id })).await?;
    write.audit("member.add", "Member", inserted.id, json!({ "role": row.role, "partnerId": row.partner_id })).await?;
    write.commit().await?;
    Ok(Started { member: inserted, token, session })
}

/// Withdraws a pending invitation; its code stops working at once.
#[tracing::instrument(skip(db, context))]
pub async fn withdraw(db: &DatabaseConnection, context: &WriteContext<'_>, id: i64) -> Result<invitation::Model> {
    context.viewer.require_in_person()?;
    let write = Write::begin(db, context).await?;
    let not_found = || ServiceError::invalid("id", UserErrorCode::NotFound, "there is no such invitation");
    let row = invitation::Entity::find_by_id(id).one(&*write).await?.ok_or_else(not_found)?;
    may_manage(context.viewer, row.partner_id, row.role).map_err(|_| not_found())?;
    match standing(&row, write.now()) {
        Standing::Pending => {}
        Standing::Withdrawn => return Ok(row),
        Standing::Accepted | Standing::Expired => {
            return Err(ServiceError::invalid(
                "id",
                UserErrorCode::InvalidState,
                "this invitation is no longer pending",
            ));
        }
    }
    invitation::Entity::update_many()
        .col_expr(invitation::Column::WithdrawnAt, Expr::value(write.now()))
        .filter(invitation::Column::Id.eq(row.id))
        .exec(&*write)
        .await?;
    write.audit("invitation.withdraw", "Invitation", row.id, json!({})).await?;
    let updated = invitation::Entity::find_by_id(id).one(&*write).await?.ok_or_else(not_found)?;
    write.commit().await?;
    Ok(updated)
}

/// A partner's invitations, newest first, for those who may invite to it: coordinators
/// of the partner and administrators.
pub async fn of_partner(
    db: &impl sea_orm::ConnectionTrait,
    viewer: &Viewer,
    partner_slug: &str,
) -> Result<Vec<invitation::Model>> {
    viewer.require_in_person()?;
    let partner = partner_by_slug(db, partner_slug).await?;
    may_manage(viewer, partner.id, MemberRole::Member)?;
    Ok(invitation::Entity::find()
        .filter(invitation::Column::PartnerId.eq(partner.id))
        .order_by_desc(invitation::Column::Id)
        .all(db)
        .await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_three_groups_of_four_and_forgive_case_and_spacing() {
        let code = new_code();
        assert_eq!(code.len(), 14);
        assert_eq!(typed_code_fingerprint(&code.to_lowercase().replace('-', " ")), Some(fingerprint(&code)));
        assert_eq!(typed_code_fingerprint("ABCD-EFGH"), None);
    }
}
