//! Joining from Discord: someone who is not yet a member asks to join a partner with
//! `/join`, and a coordinator of that partner (or an administrator) approves or declines
//! with a button. Approval creates the member with the Discord account already linked,
//! so the person's next command acts as them.
//!
//! The bot asks in its own name, naming the Discord user (who has no member to act as
//! yet); the decision is made by the bot acting for the linked coordinator who pressed
//! the button. Approval hands out no token: the new member acts through Discord, and
//! signs in on the web with the e-mail address they gave (`requestSignIn`), so nobody
//! but them ever holds a secret of theirs.

use lkn_entity::vocabulary::{MemberRole, MembershipRequestStatus};
use lkn_entity::{member, membership_request, partner};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, Set};
use serde_json::json;

use crate::error::{Result, ServiceError, UserErrorCode, is_unique_violation};
use crate::service::discord::is_snowflake;
use crate::service::input::Checks;
use crate::service::sign_in::normalise_email;
use crate::service::viewer::Viewer;
use crate::service::write::{Write, WriteContext};

/// What someone asking to join gives.
#[derive(Debug, Clone)]
pub struct NewMembershipRequest {
    /// The partner they work for.
    pub partner_slug: String,
    /// The Discord account asking, linked to the member an approval creates.
    pub discord_user_id: String,
    /// The name to show on their posts.
    pub display_name: String,
    /// Their work address: they sign in on the web with it.
    pub email: String,
}

/// A request and the partner it asks to join, as the bot needs them to ask the
/// partner's coordinators.
#[derive(Debug, Clone)]
pub struct Asked {
    /// The request.
    pub request: membership_request::Model,
    /// The partner.
    pub partner: partner::Model,
}

fn pending_key(partner_id: i64, discord_user_id: &str) -> String {
    format!("{partner_id}:{discord_user_id}")
}

async fn linked_member(db: &impl ConnectionTrait, discord_user_id: &str) -> Result<Option<member::Model>> {
    Ok(member::Entity::find().filter(member::Column::DiscordUserId.eq(discord_user_id)).one(db).await?)
}

/// Records a request to join a partner, made from Discord. Asking again while a request
/// for the same partner is pending returns that request, so a retried `/join` never
/// makes a second. A Discord account already linked to a member is refused. Whether the
/// address belongs to a member already is not said here (nobody learns who is a member
/// by asking); the coordinator deciding is told.
#[tracing::instrument(skip(db, context, new), fields(partner = %new.partner_slug))]
pub async fn request(db: &DatabaseConnection, context: &WriteContext<'_>, new: NewMembershipRequest) -> Result<Asked> {
    context.viewer.require_bot_alone()?;
    let mut checks = Checks::default();
    if !is_snowflake(&new.discord_user_id) {
        checks.fail("discordUserId", UserErrorCode::Invalid, "a Discord user id is a number of up to 20 digits");
    }
    let email = match normalise_email("email", &new.email) {
        Ok(email) => email,
        Err(_) => {
            checks.fail("email", UserErrorCode::Invalid, "enter a valid e-mail address");
            String::new()
        }
    };
    let name = checks.line("displayName", "Name", &new.display_name, 1, 200);
    checks.finish()?;
    let write = Write::begin(db, context).await?;
    let partner = partner::Entity::find()
        .filter(partner::Column::Slug.eq(new.partner_slug.trim()))
        .one(&*write)
        .await?
        .ok_or_else(|| {
            ServiceError::invalid(
                "partnerSlug",
                UserErrorCode::NotFound,
                format!("no partner has the slug `{}`", new.partner_slug.trim()),
            )
        })?;
    if let Some(member) = linked_member(&*write, &new.discord_user_id).await? {
        let theirs = partner::Entity::find_by_id(member.partner_id).one(&*write).await?;
        let name = theirs.map_or_else(|| "a partner".to_owned(), |p| p.name);
        return Err(ServiceError::invalid(
            "discordUserId",
            UserErrorCode::Taken,
            format!("this Discord account is already linked to a member of {name}"),
        ));
    }
    let key = pending_key(partner.id, &new.discord_user_id);
    let pending = membership_request::Entity::find()
        .filter(membership_request::Column::PendingKey.eq(key.as_str()))
        .one(&*write)
        .await?;
    if let Some(request) = pending {
        return Ok(Asked { request, partner });
    }
    let inserted = membership_request::ActiveModel {
        partner_id: Set(partner.id),
        discord_user_id: Set(new.discord_user_id.clone()),
        display_name: Set(name),
        email: Set(email),
        status: Set(MembershipRequestStatus::Pending),
        pending_key: Set(Some(key)),
        decided_by_id: Set(None),
        member_id: Set(None),
        created_at: Set(write.now()),
        decided_at: Set(None),
        ..Default::default()
    }
    .insert(&*write)
    .await
    .map_err(|error| {
        if is_unique_violation(&error) {
            ServiceError::invalid("partnerSlug", UserErrorCode::Conflict, "this request was just made; try again")
        } else {
            error.into()
        }
    })?;
    write
        .audit(
            "membership.request",
            "MembershipRequest",
            inserted.id,
            json!({ "partnerId": partner.id, "discordUserId": new.discord_user_id }),
        )
        .await?;
    write.commit().await?;
    Ok(Asked { request: inserted, partner })
}

/// Whether the viewer may decide requests to join `partner_id`: its coordinators and the
/// network's administrators, in person or through the bot (pressing the button). The
/// bot alone decides nothing.
fn may_decide(viewer: &Viewer, partner_id: i64) -> Result<()> {
    viewer.require_member()?;
    if viewer.coordinates(partner_id) { Ok(()) } else { Err(ServiceError::Forbidden) }
}

/// Approves or declines a pending request. Approval creates the member (role member,
/// the Discord account linked) in the same transaction as the decision; a request
/// decided already is refused with the decision it had. Who may decide: see
/// [`may_decide`].
#[tracing::instrument(skip(db, context))]
pub async fn decide(db: &DatabaseConnection, context: &WriteContext<'_>, id: i64, approve: bool) -> Result<Asked> {
    context.viewer.require_member()?;
    let not_found = || ServiceError::invalid("id", UserErrorCode::NotFound, "there is no such request to join");
    let write = Write::begin(db, context).await?;
    let row = membership_request::Entity::find_by_id(id).one(&*write).await?.ok_or_else(not_found)?;
    may_decide(context.viewer, row.partner_id)?;
    let decided_already = |status| {
        let word = if status == MembershipRequestStatus::Approved { "approved" } else { "declined" };
        ServiceError::invalid("id", UserErrorCode::InvalidState, format!("this request was already {word}"))
    };
    if row.status != MembershipRequestStatus::Pending {
        return Err(decided_already(row.status));
    }
    let partner = partner::Entity::find_by_id(row.partner_id).one(&*write).await?.ok_or_else(not_found)?;
    let decider = context.viewer.require_member()?.id;
    let now = write.now();
    let status = if approve { MembershipRequestStatus::Approved } else { MembershipRequestStatus::Declined };
    let claimed = membership_request::Entity::update_many()
        .col_expr(membership_request::Column::Status, Expr::value(status))
        .col_expr(membership_request::Column::PendingKey, Expr::value(Option::<String>::None))
        .col_expr(membership_request::Column::DecidedById, Expr::value(decider))
        .col_expr(membership_request::Column::DecidedAt, Expr::value(now))
        .filter(membership_request::Column::Id.eq(row.id))
        .filter(membership_request::Column::Status.eq(MembershipRequestStatus::Pending))
        .exec(&*write)
        .await?;
    if claimed.rows_affected != 1 {
        return Err(ServiceError::invalid("id", UserErrorCode::Conflict, "this request was decided just now"));
    }
    if approve {
        let member_id = admit(&write, &row).await?;
        membership_request::Entity::update_many()
            .col_expr(membership_request::Column::MemberId, Expr::value(member_id))
            .filter(membership_request::Column::Id.eq(row.id))
            .exec(&*write)
            .await?;
    }
    let action = if approve { "membership.approve" } else { "membership.decline" };
    write.audit(action, "MembershipRequest", row.id, json!({ "partnerId": row.partner_id })).await?;
    let request = membership_request::Entity::find_by_id(id).one(&*write).await?.ok_or_else(not_found)?;
    write.commit().await?;
    Ok(Asked { request, partner })
}

/// Creates the member an approved request describes, with its Discord account linked;
/// returns their id. Refused, with the reason for the coordinator, when the address is a
/// member's already or the Discord account was linked meanwhile.
async fn admit(write: &Write<'_>, row: &membership_request::Model) -> Result<i64> {
    let taken_email = || {
        ServiceError::invalid(
            "id",
            UserErrorCode::Taken,
            "someone with this e-mail is already a member: they can link Discord with `/link email:` instead",
        )
    };
    let existing = member::Entity::find().filter(member::Column::Email.eq(row.email.as_str())).one(&**write).await?;
    if existing.is_some() {
        return Err(taken_email());
    }
    if linked_member(&**write, &row.discord_user_id).await?.is_some() {
        return Err(ServiceError::invalid(
            "id",
            UserErrorCode::Taken,
            "this Discord account was linked to a member after asking; decline the request",
        ));
    }
    let inserted = member::ActiveModel {
        partner_id: Set(row.partner_id),
        email: Set(row.email.clone()),
        display_name: Set(row.display_name.clone()),
        role: Set(MemberRole::Member),
        discord_user_id: Set(Some(row.discord_user_id.clone())),
        created_at: Set(write.now()),
        suspended_at: Set(None),
        ..Default::default()
    }
    .insert(&**write)
    .await
    .map_err(|error| if is_unique_violation(&error) { taken_email() } else { error.into() })?;
    write
        .audit(
            "member.add",
            "Member",
            inserted.id,
            json!({ "role": MemberRole::Member, "partnerId": row.partner_id, "via": "membershipRequest" }),
        )
        .await?;
    write.audit("discord.link", "Member", inserted.id, json!({ "discordUserId": row.discord_user_id })).await?;
    Ok(inserted.id)
}

#[cfg(test)]
mod tests {
    use chrono::Utc;

    use super::*;

    const PARTNER: i64 = 7;

    fn member(id: i64, partner_id: i64, role: MemberRole) -> member::Model {
        member::Model {
            id,
            partner_id,
            display_name: format!("Member {id}"),
            email: format!("m{id}@library.example"),
            role,
            discord_user_id: Some(format!("60000000000000000{id}")),
            created_at: Utc::now(),
            suspended_at: None,
            bio: None,
            languages: String::new(),
            preferred_language: lkn_entity::vocabulary::Language::English,
            erased_at: None,
            discord_dms_closed_at: None,
        }
    }

    fn through_the_bot(member: member::Model) -> Viewer {
        Viewer::Member { member, via_bot: Some(self::member(99, 1, MemberRole::Bot)) }
    }

    #[test]
    fn the_partners_coordinators_and_administrators_decide_in_person_or_through_the_bot() {
        let coordinator = member(1, PARTNER, MemberRole::Coordinator);
        let admin = member(2, PARTNER + 1, MemberRole::Admin);
        for viewer in [
            Viewer::Member { member: coordinator.clone(), via_bot: None },
            through_the_bot(coordinator),
            through_the_bot(admin),
        ] {
            assert!(may_decide(&viewer, PARTNER).is_ok(), "{viewer:?}");
        }
    }

    #[test]
    fn colleagues_other_partners_coordinators_and_the_bot_alone_do_not_decide() {
        let refused = [
            through_the_bot(member(3, PARTNER, MemberRole::Member)),
            through_the_bot(member(4, PARTNER + 1, MemberRole::Coordinator)),
            Viewer::Bot(member(99, 1, MemberRole::Bot)),
        ];
        for viewer in refused {
            assert!(matches!(may_decide(&viewer, PARTNER), Err(ServiceError::Forbidden)), "{viewer:?}");
        }
        assert!(matches!(may_decide(&Viewer::Anonymous, PARTNER), Err(ServiceError::Unauthenticated(_))));
    }

    #[test]
    fn only_the_bot_in_its_own_name_asks_for_someone_to_join() {
        assert!(Viewer::Bot(member(99, 1, MemberRole::Bot)).require_bot_alone().is_ok());
        let member_through_the_bot = through_the_bot(member(3, PARTNER, MemberRole::Member));
        assert!(matches!(member_through_the_bot.require_bot_alone(), Err(ServiceError::Forbidden)));
        assert!(matches!(Viewer::Anonymous.require_bot_alone(), Err(ServiceError::Unauthenticated(_))));
    }

    #[test]
    fn a_pending_request_is_keyed_by_partner_and_discord_account() {
        assert_eq!(pending_key(PARTNER, "500000000000000001"), "7:500000000000000001");
    }
}
