//! Cursor pagination shared by every list the API serves.
//!
//! Lists page by keyset, not offset: a cursor names the last row seen by its sort key and
//! id, so pages stay stable while threads are posted, and deep pages cost no more than
//! the first. Cursors are opaque to clients (base64url of a small JSON document) so the
//! encoding can change without breaking anyone.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sea_orm::sea_query::{Alias, Condition, Expr, ExprTrait, Query, SelectStatement, SimpleExpr};
use sea_orm::{ConnectionTrait, FromQueryResult, Order, Statement, Value};
use serde::{Deserialize, Serialize};

use crate::error::{Result, ServiceError};

/// The page size when a client does not say.
pub const DEFAULT_PAGE_SIZE: u64 = 20;
/// The largest page a client may ask for.
pub const MAX_PAGE_SIZE: u64 = 100;

/// The longest text key a cursor may carry: longer than any name a list is sorted by,
/// short enough that a forged key costs nothing to compare.
const MAX_TEXT_KEY_CHARS: usize = 1_000;

/// The value a list is sorted by, besides the id that breaks ties.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum SortKey {
    /// A count.
    Int(i64),
    /// A moment.
    Time(chrono::DateTime<chrono::Utc>),
    /// A name.
    Text(String),
}

/// The type of value a list is sorted by. A cursor is client input: its key must be of
/// the type the list's ordering compares, or PostgreSQL refuses the comparison (`integer <
/// text`) and SQLite silently compares across types and serves the wrong page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyKind {
    /// Ordered by a count.
    Int,
    /// Ordered by a moment.
    Time,
    /// Ordered by a name.
    Text,
}

impl SortKey {
    /// The type of this key.
    fn kind(&self) -> KeyKind {
        match self {
            Self::Int(_) => KeyKind::Int,
            Self::Time(_) => KeyKind::Time,
            Self::Text(_) => KeyKind::Text,
        }
    }

    /// Whether every database can compare a column with this value: text without NUL
    /// (which PostgreSQL refuses) and of a sane length, a moment within years 1 to 9999
    /// (PostgreSQL's `timestamptz` ends before chrono's range does).
    fn comparable(&self) -> bool {
        use chrono::Datelike;
        match self {
            Self::Int(_) => true,
            Self::Time(t) => (1..=9999).contains(&t.year()),
            Self::Text(s) => !s.contains('\0') && s.chars().count() <= MAX_TEXT_KEY_CHARS,
        }
    }
}

/// Where a page ends: the sort key and id of its last row.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Cursor {
    /// The sort key of the row, when the list is not sorted by id alone.
    #[serde(rename = "k", skip_serializing_if = "Option::is_none", default)]
    pub key: Option<SortKey>,
    /// The row's id.
    #[serde(rename = "i")]
    pub id: i64,
}

impl Cursor {
    /// The opaque form handed to clients.
    pub fn encode(&self) -> String {
        let json = serde_json::to_vec(self).unwrap_or_default();
        URL_SAFE_NO_PAD.encode(json)
    }

    /// Reads a cursor a client sent back; anything else is a bad request.
    pub fn decode(text: &str) -> Result<Self> {
        URL_SAFE_NO_PAD
            .decode(text.as_bytes())
            .ok()
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .ok_or_else(|| ServiceError::BadRequest("`after` is not a cursor from this list".into()))
    }

    /// Checks that this cursor can come from a list ordered by a key of type `ordering`
    /// (`None`: by id alone), before any of it reaches SQL.
    pub fn fits(&self, ordering: Option<KeyKind>) -> Result<()> {
        let fits = match (&self.key, ordering) {
            (None, None) => true,
            (Some(key), Some(kind)) => key.kind() == kind && key.comparable(),
            _ => false,
        };
        if fits {
            Ok(())
        } else {
            Err(ServiceError::BadRequest("`after` is a cursor from a different list or ordering".into()))
        }
    }
}

/// What a client asked for: how many rows, after which cursor, and whether the size of
/// the whole list is wanted too.
#[derive(Debug, Clone, Default)]
pub struct PageRequest {
    /// How many rows, already checked to be within 1..=100.
    pub first: u64,
    /// Start after this row.
    pub after: Option<Cursor>,
    /// Count the whole list in the same statement as the page.
    pub with_total: bool,
}

impl PageRequest {
    /// Checks `first` (default 20, 1 to 100) and decodes `after`.
    pub fn new(first: Option<i32>, after: Option<&str>) -> Result<Self> {
        let first = match first {
            None => DEFAULT_PAGE_SIZE,
            Some(n) if n >= 1 && (n as u64) <= MAX_PAGE_SIZE => n as u64,
            Some(n) => {
                return Err(ServiceError::BadRequest(format!(
                    "`first` must be between 1 and {MAX_PAGE_SIZE}, not {n}"
                )));
            }
        };
        let after = after.map(Cursor::decode).transpose()?;
        Ok(Self { first, after, with_total: false })
    }

    /// Asks for the whole list's size with the page (when a client selects `totalCount`).
    pub fn counting(self, with_total: bool) -> Self {
        Self { with_total, ..self }
    }
}

/// One page of a list, with a way to count the whole list if the client asks.
#[derive(Debug)]
pub struct Page<T> {
    /// The rows with their cursors.
    pub items: Vec<(Cursor, T)>,
    /// Whether rows follow this page.
    pub has_next_page: bool,
    /// Whether the page started after a cursor.
    pub has_previous_page: bool,
    /// Counts the whole list; run only when `totalCount` is selected.
    pub total: TotalCount,
}

impl<T> Page<T> {
    /// Builds a page from up to `first + 1` rows fetched in order.
    pub fn from_rows(
        request: &PageRequest,
        mut rows: Vec<T>,
        cursor_of: impl Fn(&T) -> Cursor,
        total: TotalCount,
    ) -> Self {
        let has_next_page = rows.len() as u64 > request.first;
        rows.truncate(request.first as usize);
        let items = rows.into_iter().map(|row| (cursor_of(&row), row)).collect();
        Self { items, has_next_page, has_previous_page: request.after.is_some(), total }
    }

    /// Converts every row, keeping cursors and counts.
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        let mut f = f;
        Page {
            items: self.items.into_iter().map(|(cursor, row)| (cursor, f(row))).collect(),
            has_next_page: self.has_next_page,
            has_previous_page: self.has_previous_page,
            total: self.total,
        }
    }
}

/// The size of a whole list, counted only when a client selects `totalCount`.
#[derive(Debug, Clone)]
pub enum TotalCount {
    /// A `COUNT(*)` over the list's filtered rows, not yet run.
    Deferred(Statement),
    /// A size known without a query.
    Known(i64),
    /// The sum of several counts (a search over threads and collaborations).
    Sum(Vec<TotalCount>),
}

/// `SELECT COUNT(*)` over the rows `filtered` returns.
fn count_of(filtered: SelectStatement) -> SelectStatement {
    let mut count = Query::select();
    count.expr(Expr::cust("COUNT(*)")).from_subquery(filtered, "filtered");
    count
}

/// The size of a whole list kept in `list_counts` by triggers (see the migration that
/// creates it): `threads` or `threads:public`.
pub fn stored_count(name: &str) -> SelectStatement {
    Query::select()
        .column(Alias::new("count"))
        .from(Alias::new("list_counts"))
        .and_where(Expr::col(Alias::new("name")).eq(name))
        .to_owned()
}

/// Runs a page query. `filtered` selects the whole list (what `totalCount` counts);
/// `page` is the same with the cursor, order and limit applied. When the request asks
/// for the total, a subquery of the page's own statement computes it, so a list with
/// its count costs one round trip.
pub async fn fetch<M: FromQueryResult>(
    db: &impl ConnectionTrait,
    request: &PageRequest,
    filtered: SelectStatement,
    page: SelectStatement,
) -> Result<(Vec<M>, TotalCount)> {
    fetch_counted(db, request, count_of(filtered), page).await
}

/// Like [`fetch`], with the statement that counts the whole list given: a
/// [`stored_count`] where the list's size is kept.
pub async fn fetch_counted<M: FromQueryResult>(
    db: &impl ConnectionTrait,
    request: &PageRequest,
    count: SelectStatement,
    mut page: SelectStatement,
) -> Result<(Vec<M>, TotalCount)> {
    let backend = db.get_database_backend();
    if !request.with_total {
        let rows = M::find_by_statement(backend.build(&page)).all(db).await?;
        return Ok((rows, TotalCount::Deferred(backend.build(&count))));
    }
    page.expr_as(Expr::SubQuery(None, Box::new(count.clone().into())), "lkn_total_count");
    let rows = db.query_all(&page).await?;
    let total = match rows.first() {
        Some(row) => TotalCount::Known(row.try_get("", "lkn_total_count")?),
        None => TotalCount::Deferred(backend.build(&count)),
    };
    let models = rows.iter().map(|row| M::from_query_result(row, "")).collect::<Result<Vec<M>, _>>()?;
    Ok((models, total))
}

impl TotalCount {
    /// Counts the rows `filtered` would return (before ordering and paging).
    pub fn of(db: &impl ConnectionTrait, filtered: SelectStatement) -> Self {
        Self::Deferred(db.get_database_backend().build(&count_of(filtered)))
    }

    /// Runs the count if it is not known yet.
    pub async fn run(&self, db: &impl ConnectionTrait) -> Result<i64> {
        let statement = match self {
            Self::Known(n) => return Ok(*n),
            Self::Sum(parts) => {
                let mut total = 0;
                for part in parts {
                    total += Box::pin(part.run(db)).await?;
                }
                return Ok(total);
            }
            Self::Deferred(statement) => statement.clone(),
        };
        let row = db.query_one_raw(statement).await?;
        Ok(match row {
            Some(row) => row.try_get_by_index(0)?,
            None => 0,
        })
    }
}

/// The rows after `cursor` in a list ordered by `key` (of type `KeyKind`, in `Order`) and
/// then id (in `id_order`): `key ⋚ k OR (key = k AND id ⋚ i)`. A cursor that does not fit
/// the ordering is a bad request (see [`Cursor::fits`]).
pub fn after(
    cursor: &Cursor,
    key: Option<(SimpleExpr, Order, KeyKind)>,
    id: SimpleExpr,
    id_order: Order,
) -> Result<Condition> {
    cursor.fits(key.as_ref().map(|(_, _, kind)| *kind))?;
    let beyond = |expr: SimpleExpr, value: Value, order: &Order| match order {
        Order::Asc => expr.gt(value),
        _ => expr.lt(value),
    };
    let id_beyond = beyond(id, cursor.id.into(), &id_order);
    match (key, &cursor.key) {
        (Some((expr, order, _)), Some(value)) => {
            let value: Value = match value {
                SortKey::Int(n) => (*n).into(),
                SortKey::Time(t) => (*t).into(),
                SortKey::Text(s) => s.clone().into(),
            };
            Ok(Condition::any()
                .add(beyond(expr.clone(), value.clone(), &order))
                .add(Condition::all().add(expr.eq(value)).add(id_beyond)))
        }
        _ => Ok(Condition::all().add(id_beyond)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cursor(key: Option<SortKey>) -> Cursor {
        Cursor { key, id: 7 }
    }

    #[test]
    fn a_cursor_fits_only_an_ordering_of_its_own_key_type() {
        let now = chrono::Utc::now();
        assert!(cursor(None).fits(None).is_ok());
        assert!(cursor(Some(SortKey::Int(3))).fits(Some(KeyKind::Int)).is_ok());
        assert!(cursor(Some(SortKey::Time(now))).fits(Some(KeyKind::Time)).is_ok());
        assert!(cursor(Some(SortKey::Text("Glasgow Life".into()))).fits(Some(KeyKind::Text)).is_ok());
        for (key, ordering) in [
            (Some(SortKey::Text("3".into())), Some(KeyKind::Int)),
            (Some(SortKey::Int(3)), Some(KeyKind::Time)),
            (Some(SortKey::Time(now)), Some(KeyKind::Text)),
            (Some(SortKey::Int(3)), None),
            (None, Some(KeyKind::Int)),
        ] {
            let error = cursor(key.clone()).fits(ordering);
            assert!(matches!(error, Err(ServiceError::BadRequest(_))), "{key:?} against {ordering:?}");
        }
    }

    #[test]
    fn a_key_no_database_can_compare_is_refused() {
        let nul = cursor(Some(SortKey::Text("a\0b".into())));
        assert!(nul.fits(Some(KeyKind::Text)).is_err());
        let long = cursor(Some(SortKey::Text("x".repeat(MAX_TEXT_KEY_CHARS + 1))));
        assert!(long.fits(Some(KeyKind::Text)).is_err());
        let far: chrono::DateTime<chrono::Utc> = "+200000-01-01T00:00:00Z".parse().expect("a far moment");
        assert!(cursor(Some(SortKey::Time(far))).fits(Some(KeyKind::Time)).is_err());
    }

    #[test]
    fn a_forged_cursor_decodes_but_does_not_fit() {
        let forged = URL_SAFE_NO_PAD.encode(r#"{"k":{"Text":"zzz"},"i":1}"#);
        let decoded = Cursor::decode(&forged).expect("well-formed");
        assert!(decoded.fits(Some(KeyKind::Int)).is_err());
    }
}
