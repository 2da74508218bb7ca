//! The audit trail: every write records who made it, on whose behalf, what it did and
//! in which request, in the same transaction as the change. Administrators read it.

use lkn_entity::audit_event;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, Order, QueryFilter, QueryOrder, QuerySelect,
    QueryTrait, Set,
};

use crate::error::{Result, ServiceError};
use crate::service::identity::Viewer;
use crate::service::page::{self, Cursor, Page, PageRequest, TotalCount};
use crate::service::writes::WriteContext;

/// Records who did what in the same transaction as the change.
pub async fn record(
    txn: &DatabaseTransaction,
    context: &WriteContext<'_>,
    action: &str,
    subject_type: &str,
    subject_id: i64,
    detail: serde_json::Value,
) -> Result<()> {
    let (actor_id, on_behalf_of_id) = context.viewer.audit_pair();
    audit_event::ActiveModel {
        actor_id: Set(actor_id),
        on_behalf_of_id: Set(on_behalf_of_id),
        action: Set(action.to_owned()),
        subject_type: Set(subject_type.to_owned()),
        subject_id: Set(subject_id),
        request_id: Set(context.request_id.map(str::to_owned)),
        detail: Set(detail.to_string()),
        created_at: Set(context.now),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    Ok(())
}

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
