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

/// A partner's staff (not the bot), in id order. Callers check the viewer may see them.
pub async fn of_partner(
    db: &impl ConnectionTrait,
    partner_id: i64,
    request: &PageRequest,
) -> Result<Page<member::Model>> {
    let mut select = member::Entity::find()
        .filter(member::Column::PartnerId.eq(partner_id))
        .filter(member::Column::Role.ne(MemberRole::Bot));
    let total = TotalCount::of(db, select.clone().into_query());
    if let Some(cursor) = &request.after {
        select = select.filter(page::after(cursor, None, Expr::col(member::Column::Id), Order::Asc)?);
    }
    let rows = select.order_by_asc(member::Column::Id).limit(request.first + 1).all(db).await?;
    Ok(Page::from_rows(request, rows, |m| Cursor { key: None, id: m.id }, total))
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
