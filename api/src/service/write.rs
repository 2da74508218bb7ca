//! A write is a unit of work: [`Write::begin`] opens the transaction (taking the write
//! lock at once on SQLite), the write carries who is writing and when, stages the events
//! and the audit record inside the transaction, and [`Write::commit`] commits and only
//! then announces. Nothing else in the service layer opens a write transaction, so no
//! write can commit without announcing or announce without committing.
//!
//! A create runs through [`create_once`]: it claims the member's idempotency key inside
//! the write's own transaction before creating anything, so two requests with one key —
//! even at the same moment — create one object; the loser of the race rolls back and
//! answers with the winner's result.

use std::ops::Deref;

use chrono::{DateTime, Utc};
use lkn_entity::{audit_event, idempotency_key};
use sea_orm::{
    AccessMode, ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction, EntityTrait,
    QueryFilter, Set, SqliteTransactionMode, TransactionOptions, TransactionTrait,
};
use serde::Serialize;

use crate::error::{Result, ServiceError, UserErrorCode, is_unique_violation};
use crate::events::{Event, EventBus, Staged};
use crate::service::secret::fingerprint;
use crate::service::viewer::Viewer;

/// Who is writing, in which request, at what moment, and who hears of it.
#[derive(Debug)]
pub struct WriteContext<'a> {
    /// The caller.
    pub viewer: &'a Viewer,
    /// The request id, recorded in the audit trail.
    pub request_id: Option<&'a str>,
    /// The time the write is stamped with.
    pub now: DateTime<Utc>,
    /// Where committed writes are announced, if anyone listens in this process.
    pub events: Option<&'a EventBus>,
}

impl<'a> WriteContext<'a> {
    /// A write by `viewer`, now, outside any request and announcing nothing locally.
    pub fn new(viewer: &'a Viewer) -> Self {
        Self { viewer, request_id: None, now: Utc::now(), events: None }
    }

    /// Records the request id in the audit trail.
    pub fn in_request(self, request_id: Option<&'a str>) -> Self {
        Self { request_id, ..self }
    }

    /// Announces committed writes on `events`.
    pub fn announcing(self, events: &'a EventBus) -> Self {
        Self { events: Some(events), ..self }
    }
}

/// One write under way: its transaction, its context and the events it will announce.
/// Dropping it without [`Self::commit`] rolls the transaction back and announces nothing.
/// It dereferences to the transaction, for the statements of the write.
pub struct Write<'a> {
    txn: DatabaseTransaction,
    context: &'a WriteContext<'a>,
    staged: Staged,
}

impl<'a> Write<'a> {
    /// Opens a write. On SQLite it takes the write lock at once (`BEGIN IMMEDIATE`), so a
    /// write never fails half-way by upgrading from read to write.
    pub async fn begin(db: &DatabaseConnection, context: &'a WriteContext<'a>) -> Result<Self> {
        let options = TransactionOptions {
            isolation_level: None,
            access_mode: matches!(db.get_database_backend(), sea_orm::DbBackend::Postgres)
                .then_some(AccessMode::ReadWrite),
            sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
        };
        let txn = db.begin_with_options(options).await?;
        Ok(Self { txn, context, staged: Staged::default() })
    }

    /// Who is writing.
    pub fn viewer(&self) -> &'a Viewer {
        self.context.viewer
    }

    /// The time the write is stamped with.
    pub fn now(&self) -> DateTime<Utc> {
        self.context.now
    }

    /// Stages `event`, to be heard by subscribers only if the write commits (see
    /// [`Staged::stage`]).
    pub async fn stage(&self, event: Event) -> Result<()> {
        self.staged.stage(&self.txn, event).await
    }

    /// Records in the audit trail, in this write, who did what to which object.
    pub async fn audit(
        &self,
        action: &str,
        subject_type: &str,
        subject_id: i64,
        detail: serde_json::Value,
    ) -> Result<()> {
        let (actor_id, on_behalf_of_id) = self.context.viewer.audit_pair();
        audit_event::ActiveModel {
            actor_id: Set(actor_id),
            on_behalf_of_id: Set(on_behalf_of_id),
            action: Set(action.to_owned()),
            subject_type: Set(subject_type.to_owned()),
            subject_id: Set(subject_id),
            request_id: Set(self.context.request_id.map(str::to_owned)),
            detail: Set(detail.to_string()),
            created_at: Set(self.context.now),
            ..Default::default()
        }
        .insert(&self.txn)
        .await?;
        Ok(())
    }

    /// Commits the write, then announces what it staged.
    pub async fn commit(self) -> Result<()> {
        self.txn.commit().await?;
        self.staged.committed(self.context.events);
        Ok(())
    }

    /// Rolls the write back on purpose (a replayed create), announcing nothing.
    async fn abandon(self) -> Result<()> {
        Ok(self.txn.rollback().await?)
    }
}

impl Deref for Write<'_> {
    type Target = DatabaseTransaction;

    fn deref(&self) -> &DatabaseTransaction {
        &self.txn
    }
}

/// The fingerprint of a create's input, to tell a retry from a different request.
pub fn input_fingerprint(input: &impl Serialize) -> String {
    fingerprint(&serde_json::to_string(input).unwrap_or_default())
}

/// How long an idempotency key may be.
const MAX_KEY_LENGTH: usize = 200;

/// Runs `create` in one write at most once per (acting member, key) and commits it: the
/// first request creates; a retry with the same key and input returns the first result's
/// id; the same key with different input is a user error. Without a key, `create`
/// simply runs once.
pub async fn create_once(
    db: &DatabaseConnection,
    context: &WriteContext<'_>,
    key: Option<&str>,
    operation: &'static str,
    input_hash: String,
    create: impl AsyncFnOnce(&Write<'_>) -> Result<i64>,
) -> Result<i64> {
    let member_id = context.viewer.require_member()?.id;
    let key = key.map(str::trim).filter(|k| !k.is_empty());
    if let Some(key) = key
        && key.len() > MAX_KEY_LENGTH
    {
        return Err(ServiceError::invalid(
            "idempotencyKey",
            UserErrorCode::TooLong,
            format!("an idempotency key has at most {MAX_KEY_LENGTH} characters"),
        ));
    }
    let write = Write::begin(db, context).await?;
    if let Some(key) = key {
        if let Some(existing) = stored_key(&*write, member_id, key).await? {
            write.abandon().await?;
            return replay(existing, operation, &input_hash);
        }
        let claim = idempotency_key::ActiveModel {
            member_id: Set(member_id),
            key: Set(key.to_owned()),
            operation: Set(operation.to_owned()),
            request_hash: Set(input_hash.clone()),
            result_id: Set(0),
            created_at: Set(Utc::now()),
        }
        .insert(&*write)
        .await;
        if let Err(error) = claim {
            if is_unique_violation(&error) {
                // Another request with this key committed first: answer with its result.
                write.abandon().await?;
                let existing = stored_key(db, member_id, key)
                    .await?
                    .ok_or_else(|| ServiceError::Internal("idempotency key vanished after a conflict".into()))?;
                return replay(existing, operation, &input_hash);
            }
            return Err(error.into());
        }
    }
    let id = create(&write).await?;
    if let Some(key) = key {
        idempotency_key::Entity::update_many()
            .col_expr(idempotency_key::Column::ResultId, sea_orm::sea_query::Expr::value(id))
            .filter(idempotency_key::Column::MemberId.eq(member_id))
            .filter(idempotency_key::Column::Key.eq(key))
            .exec(&*write)
            .await?;
    }
    write.commit().await?;
    Ok(id)
}

async fn stored_key(db: &impl ConnectionTrait, member_id: i64, key: &str) -> Result<Option<idempotency_key::Model>> {
    Ok(idempotency_key::Entity::find()
        .filter(idempotency_key::Column::MemberId.eq(member_id))
        .filter(idempotency_key::Column::Key.eq(key))
        .one(db)
        .await?)
}

fn replay(existing: idempotency_key::Model, operation: &str, input_hash: &str) -> Result<i64> {
    if existing.operation != operation || existing.request_hash != input_hash {
        return Err(ServiceError::invalid(
            "idempotencyKey",
            UserErrorCode::IdempotencyKeyReused,
            "this idempotency key was already used for a different request",
        ));
    }
    Ok(existing.result_id)
}
