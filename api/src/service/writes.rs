//! What every write shares: a write transaction, the idempotency of creates, the audit
//! record committed with the change, and the checks on user text.
//!
//! A create runs through [`create_once`]: it claims the member's idempotency key inside
//! the write's own transaction before creating anything, so two requests with one key —
//! even at the same moment — create one object; the loser of the race rolls back and
//! answers with the winner's result.

use chrono::{DateTime, Utc};
use lkn_entity::idempotency_key;
use sea_orm::{
    AccessMode, ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction, EntityTrait,
    QueryFilter, Set, SqliteTransactionMode, TransactionOptions, TransactionTrait,
};
use serde::Serialize;

use crate::error::{Result, ServiceError, UserError, UserErrorCode, is_unique_violation};
use crate::events::{Event, EventBus, Staged};
use crate::service::identity::{Viewer, fingerprint};

/// Who is writing, in which request, at what moment.
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
    /// The events of the write under way, announced once it commits.
    pub staged: Staged,
}

impl<'a> WriteContext<'a> {
    /// A write by `viewer`, now, outside any request and announcing nothing locally.
    pub fn new(viewer: &'a Viewer) -> Self {
        Self { viewer, request_id: None, now: Utc::now(), events: None, staged: Staged::default() }
    }

    /// Records the request id in the audit trail.
    pub fn in_request(self, request_id: Option<&'a str>) -> Self {
        Self { request_id, ..self }
    }

    /// Announces committed writes on `events`.
    pub fn announcing(self, events: &'a EventBus) -> Self {
        Self { events: Some(events), ..self }
    }

    /// Stages `event` in the write's transaction (see [`Staged::stage`]).
    pub async fn stage(&self, txn: &impl ConnectionTrait, event: Event) -> Result<()> {
        self.staged.stage(txn, event).await
    }

    /// Announces what the committed write staged.
    pub fn committed(&self) {
        self.staged.committed(self.events);
    }
}

/// Starts a write transaction. On SQLite it takes the write lock at once (`BEGIN
/// IMMEDIATE`), so a transaction never fails half-way by upgrading from read to write.
pub async fn begin_write(db: &DatabaseConnection) -> Result<DatabaseTransaction> {
    let options = TransactionOptions {
        isolation_level: None,
        access_mode: matches!(db.get_database_backend(), sea_orm::DbBackend::Postgres).then_some(AccessMode::ReadWrite),
        sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
    };
    Ok(db.begin_with_options(options).await?)
}

/// The fingerprint of a create's input, to tell a retry from a different request.
pub fn input_fingerprint(input: &impl Serialize) -> String {
    fingerprint(&serde_json::to_string(input).unwrap_or_default())
}

/// How long an idempotency key may be.
const MAX_KEY_LENGTH: usize = 200;

/// Runs `create` in a write transaction at most once per (member, key): the first
/// request creates and commits; a retry with the same key and input returns the first
/// result's id; the same key with different input is a user error. Without a key,
/// `create` simply runs once.
pub async fn create_once(
    db: &DatabaseConnection,
    member_id: i64,
    key: Option<&str>,
    operation: &'static str,
    input_hash: String,
    create: impl AsyncFnOnce(&DatabaseTransaction) -> Result<i64>,
) -> Result<i64> {
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
    let txn = begin_write(db).await?;
    if let Some(key) = key {
        if let Some(existing) = stored_key(&txn, member_id, key).await? {
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
        .insert(&txn)
        .await;
        if let Err(error) = claim {
            if is_unique_violation(&error) {
                // Another request with this key committed first: answer with its result.
                txn.rollback().await?;
                let existing = stored_key(db, member_id, key)
                    .await?
                    .ok_or_else(|| ServiceError::Internal("idempotency key vanished after a conflict".into()))?;
                return replay(existing, operation, &input_hash);
            }
            return Err(error.into());
        }
    }
    let id = create(&txn).await?;
    if let Some(key) = key {
        idempotency_key::Entity::update_many()
            .col_expr(idempotency_key::Column::ResultId, sea_orm::sea_query::Expr::value(id))
            .filter(idempotency_key::Column::MemberId.eq(member_id))
            .filter(idempotency_key::Column::Key.eq(key))
            .exec(&txn)
            .await?;
    }
    txn.commit().await?;
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

/// Whether `c` is invisible formatting that can make a name or title read as something
/// else: the bidirectional embeddings, overrides and isolates (U+202A–U+202E,
/// U+2066–U+2069), which reorder the text around them (`\u{202E}gpj.exe` shows as
/// `exe.jpg`), and the zero-width characters (U+200B–U+200D, U+2060, U+FEFF), which make
/// two names that look the same differ. None of them has a place in one line of text.
pub fn is_deceptive_formatting(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200B}'..='\u{200D}' | '\u{2060}' | '\u{FEFF}')
}

/// Collects user errors so that one response reports every fault in the input.
#[derive(Debug, Default)]
pub struct Checks(Vec<UserError>);

impl Checks {
    /// Adds a fault.
    pub fn fail(&mut self, field: &str, code: UserErrorCode, message: impl Into<String>) {
        self.0.push(UserError::new(field, code, message));
    }

    /// Checks a one-line text (a title, a name): trimmed, `min..=max` characters, no
    /// control characters and no [deceptive formatting](is_deceptive_formatting).
    pub fn line(&mut self, field: &str, label: &str, value: &str, min: usize, max: usize) -> String {
        let value = value.trim();
        let length = value.chars().count();
        if length < min {
            let code = if length == 0 { UserErrorCode::Blank } else { UserErrorCode::TooShort };
            self.fail(field, code, format!("{label} can't be blank"));
        } else if length > max {
            self.fail(
                field,
                UserErrorCode::TooLong,
                format!("{label} is too long ({length} characters; at most {max})"),
            );
        } else if value.chars().any(char::is_control) {
            self.fail(field, UserErrorCode::Invalid, format!("{label} must be one line of text"));
        } else if value.chars().any(is_deceptive_formatting) {
            self.fail(
                field,
                UserErrorCode::Invalid,
                format!("{label} contains invisible characters that reorder or disguise text"),
            );
        }
        value.to_owned()
    }

    /// Checks a Markdown text: at most `max` characters, no NUL characters.
    pub fn text(&mut self, field: &str, label: &str, value: &str, required: bool, max: usize) -> String {
        let length = value.chars().count();
        if required && value.trim().is_empty() {
            self.fail(field, UserErrorCode::Blank, format!("{label} can't be blank"));
        } else if length > max {
            self.fail(
                field,
                UserErrorCode::TooLong,
                format!("{label} is too long ({length} characters; at most {max})"),
            );
        } else if value.contains('\0') {
            self.fail(field, UserErrorCode::Invalid, format!("{label} contains a NUL character"));
        }
        value.trim_end().to_owned()
    }

    /// Fails with every fault found, or passes.
    pub fn finish(self) -> Result<()> {
        if self.0.is_empty() { Ok(()) } else { Err(ServiceError::Invalid(self.0)) }
    }
}

/// The most tags a thread may carry.
pub const MAX_TAGS: usize = 5;

/// Normalises tags (`" Local History "` → `local-history`) and checks their shape:
/// 2 to 40 lower-case letters, digits and single hyphens.
pub fn normalise_tags(checks: &mut Checks, tags: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for raw in tags {
        if raw.chars().any(is_deceptive_formatting) {
            // Not echoed back: the message would carry the characters it refuses.
            checks.fail(
                "tags",
                UserErrorCode::Invalid,
                "a tag contains invisible characters that reorder or disguise text",
            );
            continue;
        }
        let tag = raw.split_whitespace().collect::<Vec<_>>().join("-").to_lowercase();
        let shape_ok = (2..=40).contains(&tag.chars().count())
            && tag
                .split('-')
                .all(|part| !part.is_empty() && part.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit()));
        if !shape_ok {
            checks.fail(
                "tags",
                UserErrorCode::Invalid,
                format!("`{}` is not a tag: use 2 to 40 letters, digits and single hyphens", raw.trim()),
            );
        } else if !out.contains(&tag) {
            out.push(tag);
        }
    }
    if out.len() > MAX_TAGS {
        checks.fail("tags", UserErrorCode::TooLong, format!("a thread has at most {MAX_TAGS} tags"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bidirectional_controls_and_zero_width_characters_are_deceptive() {
        for c in
            ['\u{202A}', '\u{202B}', '\u{202C}', '\u{202D}', '\u{202E}', '\u{2066}', '\u{2067}', '\u{2068}', '\u{2069}']
        {
            assert!(is_deceptive_formatting(c), "{:04X}", c as u32);
        }
        for c in ['\u{200B}', '\u{200C}', '\u{200D}', '\u{2060}', '\u{FEFF}'] {
            assert!(is_deceptive_formatting(c), "{:04X}", c as u32);
        }
    }

    #[test]
    fn letters_of_the_networks_languages_are_not_deceptive() {
        let text = "Ŵyl Lyfrau · Leabharlann Náisiúnta · Leabharlann Nàiseanta · école — 100% 📚";
        assert!(!text.chars().any(is_deceptive_formatting));
        for c in ['\u{2029}', '\u{200A}', '\u{200E}', '\u{2065}', '\u{206A}', '\u{FEFE}'] {
            assert!(!is_deceptive_formatting(c), "{:04X} is outside the refused ranges", c as u32);
        }
    }

    #[test]
    fn a_line_with_deceptive_formatting_is_refused_on_its_field() {
        for value in ["Invoice\u{202E}gpj.exe", "Story\u{200B}time", "\u{FEFF}Storytime", "a\u{2066}b\u{2069}"] {
            let mut checks = Checks::default();
            checks.line("title", "Title", value, 1, 200);
            match checks.finish() {
                Err(ServiceError::Invalid(errors)) => {
                    assert_eq!(errors.len(), 1);
                    assert_eq!(errors[0].field, vec!["input".to_owned(), "title".to_owned()]);
                    assert_eq!(errors[0].code, UserErrorCode::Invalid);
                }
                other => panic!("{value:?} passed: {other:?}"),
            }
        }
        let mut checks = Checks::default();
        assert_eq!(checks.line("title", "Title", "  Ŵyl Lyfrau  ", 1, 200), "Ŵyl Lyfrau");
        assert!(checks.finish().is_ok());
    }

    #[test]
    fn a_tag_with_deceptive_formatting_is_refused_without_echoing_it() {
        let mut checks = Checks::default();
        let tags = normalise_tags(&mut checks, &["story\u{200B}time".to_owned(), "reading".to_owned()]);
        assert_eq!(tags, vec!["reading".to_owned()]);
        match checks.finish() {
            Err(ServiceError::Invalid(errors)) => {
                assert_eq!(errors[0].field, vec!["input".to_owned(), "tags".to_owned()]);
                assert_eq!(errors[0].code, UserErrorCode::Invalid);
                assert!(!errors[0].message.chars().any(is_deceptive_formatting));
            }
            other => panic!("the tag passed: {other:?}"),
        }
    }
}
