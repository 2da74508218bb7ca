//! Reading the audit trail. Every write records who made it, on whose behalf, what it
//! did and in which request, in the same transaction as the change (see
//! [`crate::service::write::Write::audit`]); administrators read it here.

use lkn_entity::audit_event;
use sea_orm::sea_query::Expr;
use sea_orm::{ConnectionTrait, EntityTrait, Order, QueryFilter, QueryOrder, QuerySelect, QueryTrait};

use crate::error::{Result, ServiceError};
use crate::service::page::{self, Cursor, Page, PageRequest, TotalCount};
use crate::service::viewer::Viewer;

/// The audit trail, newest first. Administrators only.
pub async fn list(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    request: &PageRequest,
) -> Result<Page<audit_event::Model>> {
    if !viewer.is_admin() {
        return Err(if viewer.member().is_some() || matches!(viewer, Viewer::Bot(_)) {
            ServiceError::Forbidden
        } else {
            ServiceError::Unauthenticated("sign in as an administrator to read the audit trail".into())
        });
    }
    let mut select = audit_event::Entity::find();
    let total = TotalCount::of(db, select.clone().into_query());
    if let Some(cursor) = &request.after {
        select = select.filter(page::after(cursor, None, Expr::col(audit_event::Column::Id), Order::Desc)?);
    }
    let rows = select.order_by_desc(audit_event::Column::Id).limit(request.first + 1).all(db).await?;
    Ok(Page::from_rows(request, rows, |e| Cursor { key: None, id: e.id }, total))
}
