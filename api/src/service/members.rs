//! Members as others see them: a partner's staff list, and staff records by id.
//!
//! Staff records (names, roles, partners) are for signed-in members only, on every path:
//! `node(id:)`, authors of threads and replies, proposers, the audit trail. Anonymous
//! callers see which partner posted, never who.

use lkn_entity::member;
use lkn_entity::vocabulary::MemberRole;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, Order, QueryFilter, QueryOrder, QuerySelect, QueryTrait};

use crate::error::Result;
use crate::service::page::{self, Cursor, Page, PageRequest, TotalCount};
use crate::service::viewer::Viewer;

/// A partner's staff (not the bot, nor members whose personal data was erased), in id
/// order: for signed-in members and the bot; an anonymous caller gets an empty list
/// (staff records are not public).
pub async fn of_partner(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    partner_id: i64,
    request: &PageRequest,
) -> Result<Page<member::Model>> {
    if !viewer.sees_network() {
        return Ok(Page {
            items: Vec::new(),
            has_next_page: false,
            has_previous_page: false,
            total: TotalCount::Known(0),
        });
    }
    let mut select = member::Entity::find()
        .filter(member::Column::PartnerId.eq(partner_id))
        .filter(member::Column::Role.ne(MemberRole::Bot))
        .filter(member::Column::ErasedAt.is_null());
    let total = TotalCount::of(db, select.clone().into_query());
    if let Some(cursor) = &request.after {
        select = select.filter(page::after(cursor, None, Expr::col(member::Column::Id), Order::Asc)?);
    }
    let rows = select.order_by_asc(member::Column::Id).limit(request.first + 1).all(db).await?;
    Ok(Page::from_rows(request, rows, |m| Cursor { key: None, id: m.id }, total))
}

/// A member's e-mail address, if `viewer` may read it: the member themselves and
/// administrators.
pub fn email_for<'m>(viewer: &Viewer, member: &'m member::Model) -> Option<&'m str> {
    let allowed = viewer.is_admin() || viewer.member().is_some_and(|m| m.id == member.id);
    allowed.then_some(member.email.as_str())
}

/// When a member was suspended, if they are and `viewer` may know: administrators and
/// the coordinators of the member's partner, who may lift it.
pub fn suspension_for(viewer: &Viewer, member: &member::Model) -> Option<chrono::DateTime<chrono::Utc>> {
    viewer.coordinates(member.partner_id).then_some(member.suspended_at).flatten()
}

/// The members with these ids that `viewer` may see: all of them for signed-in members
/// and the bot, none for anonymous callers (sequential ids must not enumerate staff).
pub async fn visible_by_ids(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    ids: impl IntoIterator<Item = i64>,
) -> Result<Vec<member::Model>> {
    if !viewer.sees_network() {
        return Ok(Vec::new());
    }
    Ok(member::Entity::find().filter(member::Column::Id.is_in(ids)).all(db).await?)
}

#[cfg(test)]
mod tests {
    use chrono::Utc;

    use super::*;

    fn member(id: i64, partner_id: i64, role: MemberRole) -> member::Model {
        member::Model {
            id,
            partner_id,
            display_name: format!("Member {id}"),
            email: format!("m{id}@library.example"),
            role,
            discord_user_id: None,
            created_at: Utc::now(),
            suspended_at: Some(Utc::now()),
            bio: None,
            languages: String::new(),
            preferred_language: lkn_entity::vocabulary::Language::English,
            erased_at: None,
            discord_dms_closed_at: None,
        }
    }

    fn signed_in(member: member::Model) -> Viewer {
        Viewer::Member { member, via_bot: None }
    }

    #[test]
    fn an_email_address_is_read_by_its_owner_and_administrators_only() {
        let owner = member(1, 10, MemberRole::Member);
        assert_eq!(email_for(&signed_in(owner.clone()), &owner), Some("m1@library.example"));
        assert!(email_for(&signed_in(member(2, 20, MemberRole::Admin)), &owner).is_some());
        assert_eq!(email_for(&signed_in(member(3, 10, MemberRole::Coordinator)), &owner), None);
        assert_eq!(email_for(&signed_in(member(4, 10, MemberRole::Member)), &owner), None);
        assert_eq!(email_for(&Viewer::Anonymous, &owner), None);
        assert_eq!(email_for(&Viewer::Bot(member(5, 10, MemberRole::Bot)), &owner), None);
    }

    #[test]
    fn a_suspension_is_seen_by_the_partners_coordinators_and_administrators() {
        let suspended = member(1, 10, MemberRole::Member);
        assert!(suspension_for(&signed_in(member(2, 10, MemberRole::Coordinator)), &suspended).is_some());
        assert!(suspension_for(&signed_in(member(3, 20, MemberRole::Admin)), &suspended).is_some());
        assert_eq!(suspension_for(&signed_in(member(4, 20, MemberRole::Coordinator)), &suspended), None);
        assert_eq!(suspension_for(&signed_in(member(5, 10, MemberRole::Member)), &suspended), None);
        assert_eq!(suspension_for(&Viewer::Anonymous, &suspended), None);
    }
}
