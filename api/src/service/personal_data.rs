//! A member's personal data, as UK GDPR gives them rights over it: everything LKN holds
//! about them, exported as one JSON document, and erasure of what identifies them.
//!
//! Erasure keeps what the network wrote together: threads and replies stay, attributed to
//! "A former member of <partner>", and the member row stays so that they keep an author.
//! Everything that names or reaches the person goes, in one write: their name, e-mail
//! address, bio, languages and expertise; every token and session; their Discord link and
//! everything kept about that Discord account; codes and invitations sent to them; mail
//! to them; their notifications, notification preferences, unsubscribe links and the
//! deliveries still waiting for them (digests, Discord messages); and copies of their name, address or Discord id in the audit trail and in
//! mail to others. The erasure itself is recorded in the audit trail, naming nobody.
//!
//! Both run from the command line only (`lkn-api member export|erase --email E`): they
//! are the operator's answer to a request from the person, not a self-service feature.

use chrono::{DateTime, Utc};
use lkn_entity::{
    api_token, audit_event, collaboration, collaboration_outcome, collaboration_participant, discord_link_attempt,
    discord_link_code, discord_preference, endorsement, enrolment_code, follow, idempotency_key, invitation, job,
    member, member_expertise, membership_request, notification, notification_preference, outbox_message, partner,
    reply, sign_in_code, thread, unsubscribe_link,
};
use sea_orm::sea_query::{Expr, ExprTrait, LikeExpr};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, Set,
};
use serde_json::{Value, json};

use crate::error::{Result, ServiceError};
use crate::events::Event;
use crate::mail::letters::escape;
use crate::service::profiles::{expertise_of, languages_of};
use crate::service::secret::fingerprint;
use crate::service::threads::escape_like;
use crate::service::write::{Write, WriteContext};

/// What takes the place of a name, an address or a Discord id wherever a copy of it is
/// scrubbed from text that stays (audit details, mail to others).
pub const ERASED: &str = "[erased]";

/// The member whose address is `email`. An erased member's address is no longer held,
/// so asking for it again says so rather than "not found" alone.
async fn member_by_email(db: &impl ConnectionTrait, email: &str) -> Result<member::Model> {
    member::Entity::find().filter(member::Column::Email.eq(email.trim().to_lowercase())).one(db).await?.ok_or_else(
        || {
            ServiceError::BadRequest(
                "no member has this e-mail address (an erased member's address is no longer held)".into(),
            )
        },
    )
}

/// The name an erased member's posts are shown under.
pub fn former_member_name(partner_name: &str) -> String {
    format!("A former member of {partner_name}")
}

/// The placeholder that takes the place of an erased member's e-mail address: unique, as
/// the column requires, and not an address anyone can receive mail at or sign in with.
pub fn erased_email(member_id: i64) -> String {
    format!("erased-{member_id}@invalid")
}

fn time(at: DateTime<Utc>) -> Value {
    json!(at)
}

/// Everything LKN holds about the member with this e-mail address, as one JSON document:
/// their record and partner, expertise, tokens and sessions (no secrets or fingerprints),
/// Discord link, threads, replies, endorsements, follows, collaborations they proposed
/// or asked to join, outcomes they recorded, the audit trail about or by them,
/// invitations to or from them, how many sign-in and enrolment codes they were sent, and
/// mail to them (without bodies, which may carry live codes).
#[tracing::instrument(skip_all)]
pub async fn export(db: &impl ConnectionTrait, email: &str) -> Result<Value> {
    let person = member_by_email(db, email).await?;
    let id = person.id;
    let partner = partner::Entity::find_by_id(person.partner_id).one(db).await?;
    let expertise = expertise_of(db, &[id]).await?.remove(&id).unwrap_or_default();
    let tokens = api_token::Entity::find()
        .filter(api_token::Column::MemberId.eq(id))
        .order_by_asc(api_token::Column::Id)
        .all(db)
        .await?;
    let discord_language = match &person.discord_user_id {
        Some(discord_id) => {
            discord_preference::Entity::find_by_id(discord_id.clone()).one(db).await?.map(|p| p.language)
        }
        None => None,
    };
    let threads =
        thread::Entity::find().filter(thread::Column::AuthorId.eq(id)).order_by_asc(thread::Column::Id).all(db).await?;
    let replies =
        reply::Entity::find().filter(reply::Column::AuthorId.eq(id)).order_by_asc(reply::Column::Id).all(db).await?;
    let endorsements = endorsement::Entity::find()
        .filter(endorsement::Column::MemberId.eq(id))
        .order_by_asc(endorsement::Column::ThreadId)
        .all(db)
        .await?;
    let follows = follow::Entity::find()
        .filter(follow::Column::MemberId.eq(id))
        .order_by_asc(follow::Column::ThreadId)
        .all(db)
        .await?;
    let proposed = collaboration::Entity::find()
        .filter(collaboration::Column::ProposedById.eq(id))
        .order_by_asc(collaboration::Column::Id)
        .all(db)
        .await?;
    let joined = collaboration_participant::Entity::find()
        .filter(collaboration_participant::Column::RequestedById.eq(id))
        .order_by_asc(collaboration_participant::Column::CollaborationId)
        .all(db)
        .await?;
    let outcomes = collaboration_outcome::Entity::find()
        .filter(collaboration_outcome::Column::RecordedById.eq(id))
        .order_by_asc(collaboration_outcome::Column::Id)
        .all(db)
        .await?;
    let audit = audit_event::Entity::find()
        .filter(
            Condition::any()
                .add(audit_event::Column::ActorId.eq(id))
                .add(audit_event::Column::OnBehalfOfId.eq(id))
                .add(
                    Condition::all()
                        .add(audit_event::Column::SubjectType.eq("Member"))
                        .add(audit_event::Column::SubjectId.eq(id)),
                ),
        )
        .order_by_asc(audit_event::Column::Id)
        .all(db)
        .await?;
    let invitations = invitation::Entity::find()
        .filter(
            Condition::any()
                .add(invitation::Column::Email.eq(person.email.as_str()))
                .add(invitation::Column::InvitedById.eq(id))
                .add(invitation::Column::AcceptedMemberId.eq(id)),
        )
        .order_by_asc(invitation::Column::Id)
        .all(db)
        .await?;
    let mut asked_to_join = Condition::any()
        .add(membership_request::Column::MemberId.eq(id))
        .add(membership_request::Column::Email.eq(person.email.as_str()));
    if let Some(discord_id) = &person.discord_user_id {
        asked_to_join = asked_to_join.add(membership_request::Column::DiscordUserId.eq(discord_id.as_str()));
    }
    let requests_to_join = membership_request::Entity::find()
        .filter(asked_to_join)
        .order_by_asc(membership_request::Column::Id)
        .all(db)
        .await?;
    let sign_in_codes = sign_in_code::Entity::find()
        .filter(
            Condition::any()
                .add(sign_in_code::Column::MemberId.eq(id))
                .add(sign_in_code::Column::EmailHash.eq(fingerprint(&person.email))),
        )
        .count(db)
        .await?;
    let enrolment_codes =
        enrolment_code::Entity::find().filter(enrolment_code::Column::MemberId.eq(id)).count(db).await?;
    let discord_link_codes =
        discord_link_code::Entity::find().filter(discord_link_code::Column::MemberId.eq(id)).count(db).await?;
    let mail = outbox_message::Entity::find()
        .filter(
            Condition::any()
                .add(outbox_message::Column::MemberId.eq(id))
                .add(outbox_message::Column::Recipient.eq(person.email.as_str())),
        )
        .order_by_asc(outbox_message::Column::Id)
        .all(db)
        .await?;
    let notifications = notification::Entity::find()
        .filter(notification::Column::MemberId.eq(id))
        .order_by_asc(notification::Column::Id)
        .all(db)
        .await?;
    let notification_preferences = notification_preference::Entity::find()
        .filter(notification_preference::Column::MemberId.eq(id))
        .all(db)
        .await?;

    Ok(json!({
        "member": {
            "id": person.id,
            "email": person.email,
            "displayName": person.display_name,
            "role": person.role,
            "bio": person.bio,
            "languages": languages_of(&person),
            "preferredLanguage": person.preferred_language,
            "createdAt": time(person.created_at),
            "suspendedAt": person.suspended_at,
            "erasedAt": person.erased_at,
        },
        "partner": partner.map(|p| json!({ "id": p.id, "slug": p.slug, "name": p.name })),
        "expertise": expertise,
        "tokens": tokens.iter().map(|t| json!({
            "id": t.id,
            "kind": t.kind,
            "createdAt": time(t.created_at),
            "lastUsedAt": t.last_used_at,
            "expiresAt": t.expires_at,
            "revokedAt": t.revoked_at,
        })).collect::<Vec<_>>(),
        "discord": person.discord_user_id.as_ref().map(|discord_id| json!({
            "userId": discord_id,
            "language": discord_language,
        })),
        "threads": threads.iter().map(|t| json!({
            "id": t.id,
            "kind": t.kind,
            "title": t.title,
            "body": t.body,
            "language": t.language,
            "status": t.status,
            "visibility": t.visibility,
            "createdAt": time(t.created_at),
            "updatedAt": time(t.updated_at),
        })).collect::<Vec<_>>(),
        "replies": replies.iter().map(|r| json!({
            "id": r.id,
            "threadId": r.thread_id,
            "body": r.body,
            "isAccepted": r.is_accepted,
            "createdAt": time(r.created_at),
        })).collect::<Vec<_>>(),
        "endorsements": endorsements.iter().map(|e| json!({
            "threadId": e.thread_id,
            "createdAt": time(e.created_at),
        })).collect::<Vec<_>>(),
        "follows": follows.iter().map(|f| json!({
            "threadId": f.thread_id,
            "createdAt": time(f.created_at),
        })).collect::<Vec<_>>(),
        "collaborationsProposed": proposed.iter().map(|c| json!({
            "id": c.id,
            "kind": c.kind,
            "title": c.title,
            "status": c.status,
            "leadPartnerId": c.lead_partner_id,
            "createdAt": time(c.created_at),
        })).collect::<Vec<_>>(),
        "collaborationsJoined": joined.iter().map(|p| json!({
            "collaborationId": p.collaboration_id,
            "partnerId": p.partner_id,
            "role": p.role,
            "joinStatus": p.join_status,
            "requestedAt": time(p.requested_at),
            "decidedAt": p.decided_at,
        })).collect::<Vec<_>>(),
        "outcomesRecorded": outcomes.iter().map(|o| json!({
            "id": o.id,
            "collaborationId": o.collaboration_id,
            "occurredOn": o.occurred_on,
            "attendance": o.attendance,
            "reach": o.reach,
            "note": o.note,
            "createdAt": time(o.created_at),
        })).collect::<Vec<_>>(),
        "auditEvents": audit.iter().map(|e| json!({
            "id": e.id,
            "action": e.action,
            "actorId": e.actor_id,
            "onBehalfOfId": e.on_behalf_of_id,
            "subjectType": e.subject_type,
            "subjectId": e.subject_id,
            "detail": serde_json::from_str::<Value>(&e.detail).unwrap_or_else(|_| json!(e.detail)),
            "createdAt": time(e.created_at),
        })).collect::<Vec<_>>(),
        "invitations": invitations.iter().map(|i| json!({
            "id": i.id,
            "direction": if i.invited_by_id == Some(id) { "sent" } else { "received" },
            "partnerId": i.partner_id,
            "email": i.email,
            "displayName": i.display_name,
            "role": i.role,
            "createdAt": time(i.created_at),
            "expiresAt": time(i.expires_at),
            "acceptedAt": i.accepted_at,
            "withdrawnAt": i.withdrawn_at,
        })).collect::<Vec<_>>(),
        "requestsToJoin": requests_to_join.iter().map(|r| json!({
            "id": r.id,
            "partnerId": r.partner_id,
            "discordUserId": r.discord_user_id,
            "displayName": r.display_name,
            "email": r.email,
            "status": r.status,
            "createdAt": time(r.created_at),
            "decidedAt": r.decided_at,
        })).collect::<Vec<_>>(),
        "signInCodes": sign_in_codes,
        "enrolmentCodes": enrolment_codes,
        "discordLinkCodes": discord_link_codes,
        "mail": mail.iter().map(|m| json!({
            "id": m.id,
            "recipient": m.recipient,
            "subject": m.subject,
            "language": m.language,
            "createdAt": time(m.created_at),
            "sentAt": m.sent_at,
            "failedAt": m.failed_at,
        })).collect::<Vec<_>>(),
        "notifications": notifications.iter().map(|n| json!({
            "id": n.id,
            "kind": n.kind,
            "what": n.what,
            "threadId": n.thread_id,
            "replyId": n.reply_id,
            "collaborationId": n.collaboration_id,
            "actorId": n.actor_id,
            "partnerId": n.partner_id,
            "createdAt": time(n.created_at),
            "readAt": n.read_at,
        })).collect::<Vec<_>>(),
        "notificationPreferences": notification_preferences.iter().map(|p| json!({
            "kind": p.kind,
            "email": p.email,
            "discord": p.discord,
            "updatedAt": time(p.updated_at),
        })).collect::<Vec<_>>(),
        "discordDirectMessagesClosedAt": person.discord_dms_closed_at,
    }))
}

/// What an erasure removed, for the operator and the audit trail (counts, no data).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Erased {
    /// The member row kept, now naming nobody.
    pub member_id: i64,
    /// Tokens and sessions deleted.
    pub tokens: u64,
    /// Declared topics deleted.
    pub expertise: u64,
    /// Invitations to their address deleted.
    pub invitations: u64,
    /// Their requests to join from Discord deleted.
    pub requests_to_join: u64,
    /// Sign-in, enrolment and Discord link codes deleted.
    pub codes: u64,
    /// Mail to them deleted.
    pub mail: u64,
    /// Follows deleted.
    pub follows: u64,
    /// Notifications to them, their preferences, unsubscribe links and pending deliveries
    /// (digests, Discord messages) deleted.
    pub notifications: u64,
    /// Audit entries and mail to others whose copies of their name, address or Discord
    /// id were scrubbed.
    pub scrubbed: u64,
}

/// Erases the personal data of the member with this e-mail address, in one write (see
/// the module's documentation for what goes and what stays). Their access ends at once:
/// tokens are deleted and open sockets are told. Erasing again finds no such address.
#[tracing::instrument(skip_all)]
pub async fn erase(db: &DatabaseConnection, context: &WriteContext<'_>, email: &str) -> Result<Erased> {
    let write = Write::begin(db, context).await?;
    let txn = &*write;
    let person = member_by_email(txn, email).await?;
    if person.erased_at.is_some() {
        return Err(ServiceError::BadRequest("this member's personal data was already erased".into()));
    }
    let id = person.id;
    let partner = partner::Entity::find_by_id(person.partner_id)
        .one(txn)
        .await?
        .ok_or_else(|| ServiceError::Internal(format!("member {id} has no partner")))?;
    let mut erased = Erased { member_id: id, ..Erased::default() };

    erased.tokens =
        api_token::Entity::delete_many().filter(api_token::Column::MemberId.eq(id)).exec(txn).await?.rows_affected;
    erased.expertise = member_expertise::Entity::delete_many()
        .filter(member_expertise::Column::MemberId.eq(id))
        .exec(txn)
        .await?
        .rows_affected;
    erased.follows =
        follow::Entity::delete_many().filter(follow::Column::MemberId.eq(id)).exec(txn).await?.rows_affected;
    idempotency_key::Entity::delete_many().filter(idempotency_key::Column::MemberId.eq(id)).exec(txn).await?;
    erased.invitations = invitation::Entity::delete_many()
        .filter(
            Condition::any()
                .add(invitation::Column::Email.eq(person.email.as_str()))
                .add(invitation::Column::AcceptedMemberId.eq(id)),
        )
        .exec(txn)
        .await?
        .rows_affected;
    let mut asked_to_join = Condition::any()
        .add(membership_request::Column::MemberId.eq(id))
        .add(membership_request::Column::Email.eq(person.email.as_str()));
    if let Some(discord_id) = &person.discord_user_id {
        asked_to_join = asked_to_join.add(membership_request::Column::DiscordUserId.eq(discord_id.as_str()));
    }
    erased.requests_to_join =
        membership_request::Entity::delete_many().filter(asked_to_join).exec(txn).await?.rows_affected;
    erased.codes += sign_in_code::Entity::delete_many()
        .filter(
            Condition::any()
                .add(sign_in_code::Column::MemberId.eq(id))
                .add(sign_in_code::Column::EmailHash.eq(fingerprint(&person.email))),
        )
        .exec(txn)
        .await?
        .rows_affected;
    erased.codes += enrolment_code::Entity::delete_many()
        .filter(enrolment_code::Column::MemberId.eq(id))
        .exec(txn)
        .await?
        .rows_affected;
    erased.codes += discord_link_code::Entity::delete_many()
        .filter(discord_link_code::Column::MemberId.eq(id))
        .exec(txn)
        .await?
        .rows_affected;
    if let Some(discord_id) = &person.discord_user_id {
        discord_link_attempt::Entity::delete_many()
            .filter(discord_link_attempt::Column::DiscordUserId.eq(discord_id.as_str()))
            .exec(txn)
            .await?;
        discord_preference::Entity::delete_many()
            .filter(discord_preference::Column::DiscordUserId.eq(discord_id.as_str()))
            .exec(txn)
            .await?;
    }
    erased.mail = outbox_message::Entity::delete_many()
        .filter(
            Condition::any()
                .add(outbox_message::Column::MemberId.eq(id))
                .add(outbox_message::Column::Recipient.eq(person.email.as_str())),
        )
        .exec(txn)
        .await?
        .rows_affected;

    erased.notifications = notification::Entity::delete_many()
        .filter(notification::Column::MemberId.eq(id))
        .exec(txn)
        .await?
        .rows_affected;
    erased.notifications += notification_preference::Entity::delete_many()
        .filter(notification_preference::Column::MemberId.eq(id))
        .exec(txn)
        .await?
        .rows_affected;
    erased.notifications += unsubscribe_link::Entity::delete_many()
        .filter(unsubscribe_link::Column::MemberId.eq(id))
        .exec(txn)
        .await?
        .rows_affected;
    erased.notifications +=
        job::Entity::delete_many().filter(job::Column::MemberId.eq(id)).exec(txn).await?.rows_affected;

    let mut copies = vec![person.email.clone(), person.display_name.clone(), escape(&person.display_name)];
    copies.extend(person.discord_user_id.clone());
    copies.sort_by_key(|copy| std::cmp::Reverse(copy.len()));
    copies.dedup();
    erased.scrubbed = scrub_copies(&write, &copies).await?;

    let mut row: member::ActiveModel = person.clone().into();
    row.display_name = Set(former_member_name(&partner.name));
    row.email = Set(erased_email(id));
    row.bio = Set(None);
    row.languages = Set(String::new());
    row.preferred_language = Set(lkn_entity::vocabulary::Language::English);
    row.discord_user_id = Set(None);
    row.discord_dms_closed_at = Set(None);
    row.erased_at = Set(Some(write.now()));
    row.update(txn).await?;

    write.audit("member.erase", "Member", id, json!({ "partnerId": partner.id, "removed": &erased })).await?;
    write.stage(Event::AccessRevoked { member_id: id }).await?;
    write.commit().await?;
    Ok(erased)
}

/// Replaces every copy of `copies` (longest first) in audit details and in mail to
/// others with [`ERASED`]; returns how many rows changed. Only rows that contain a copy
/// are read.
async fn scrub_copies(write: &Write<'_>, copies: &[String]) -> Result<u64> {
    let txn = &**write;
    let copies: Vec<&String> = copies.iter().filter(|c| !c.trim().is_empty()).collect();
    let containing = |column: Expr| {
        copies.iter().fold(Condition::any(), |any, copy| {
            any.add(column.clone().like(LikeExpr::new(format!("%{}%", escape_like(copy))).escape('\\')))
        })
    };
    let scrubbed = |text: &str| copies.iter().fold(text.to_owned(), |text, copy| text.replace(copy.as_str(), ERASED));
    let mut changed = 0;
    let events =
        audit_event::Entity::find().filter(containing(Expr::col(audit_event::Column::Detail))).all(txn).await?;
    for event in events {
        let detail = scrubbed(&event.detail);
        let mut row: audit_event::ActiveModel = event.into();
        row.detail = Set(detail);
        row.update(txn).await?;
        changed += 1;
    }
    let letters = outbox_message::Entity::find()
        .filter(
            Condition::any()
                .add(containing(Expr::col(outbox_message::Column::Subject)))
                .add(containing(Expr::col(outbox_message::Column::TextBody)))
                .add(containing(Expr::col(outbox_message::Column::HtmlBody))),
        )
        .all(txn)
        .await?;
    for letter in letters {
        let (subject, text, html) =
            (scrubbed(&letter.subject), scrubbed(&letter.text_body), scrubbed(&letter.html_body));
        let mut row: outbox_message::ActiveModel = letter.into();
        row.subject = Set(subject);
        row.text_body = Set(text);
        row.html_body = Set(html);
        row.update(txn).await?;
        changed += 1;
    }
    Ok(changed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_erased_address_is_unique_and_cannot_receive_mail() {
        assert_eq!(erased_email(42), "erased-42@invalid");
        assert!(crate::service::sign_in::normalise_email("email", &erased_email(42)).is_err());
    }

    #[test]
    fn an_erased_member_is_named_by_their_partner() {
        assert_eq!(former_member_name("Cardiff Libraries"), "A former member of Cardiff Libraries");
    }
}
