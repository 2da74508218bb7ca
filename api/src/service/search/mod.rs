//! Ranked full-text search over threads and collaborations, "has this been asked
//! already?" suggestions, and keeping the indexes current.
//!
//! One service, a backend per database: SQLite uses FTS5 (Porter-stemmed, so
//! "exhibitions" finds "exhibition"), PostgreSQL uses `tsvector` documents with GIN
//! indexes and `websearch_to_tsquery` (English threads stemmed, Welsh, Gaelic and Irish
//! word for word). User text never reaches SQL as SQL: on SQLite it is cut into
//! alphanumeric words, each quoted as an FTS5 string; on PostgreSQL it is a bound
//! parameter of `websearch_to_tsquery`. Visibility and filters are part of the same
//! statement, before ranking and paging.
//!
//! Common words match thousands of threads, so the work per match is kept to the index
//! and a score: a search ranks matches by id and score alone, and reads objects and
//! builds snippets only for the rows that can reach the page; its count comes from the
//! same statement. The objects' table is read per match only for filters the index
//! cannot answer (and on PostgreSQL, public threads carry a lexeme so that visibility is
//! answered in the index). Suggestions search the threads that share the most words
//! first and stop as soon as they have enough.
//!
//! What someone outside the network sees depends on public objects alone. On SQLite they
//! search separate FTS5 indexes of public threads and collaborations, because FTS5's
//! statistics (bm25's word rarity and document lengths) cover every row of an index;
//! PostgreSQL's `ts_rank` reads one document at a time. A search reaches its best
//! [`MAX_SEARCH_DEPTH`] matches, and a cursor pointing elsewhere is refused before any
//! statement runs.

mod index;
mod similar;
mod sql;
mod text;

use chrono::{DateTime, Utc};
use lkn_entity::vocabulary::{Language, Nation, ThreadKind, ThreadStatus};
use lkn_entity::{collaboration, thread};
use lkn_migration::search as documents;
use sea_orm::{ConnectionTrait, DbBackend, FromQueryResult, QueryResult, Statement, Value};

use crate::error::{Result, ServiceError};
use crate::service::page::{Cursor, Page, PageRequest, SortKey, TotalCount};
use crate::service::viewer::Viewer;

pub use index::{reindex_collaboration, reindex_from, reindex_thread};
pub use similar::similar_threads;
use sql::*;
use text::*;

/// How deep a search can be paged: its best 1,000 matches. Relevance has no key to page
/// by, so a page starts at a position, and serving position n means ranking and reading
/// the best n matches. The bound keeps the deepest page cheap and lets a forged cursor
/// be refused before any statement runs.
pub const MAX_SEARCH_DEPTH: u64 = 1_000;

/// Which objects a search covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SearchScope {
    /// Threads and collaborations.
    #[default]
    Everything,
    /// Threads only.
    Threads,
    /// Collaborations only.
    Collaborations,
}

/// Narrows a search.
#[derive(Debug, Clone, Default)]
pub struct SearchFilter {
    /// Threads, collaborations or both.
    pub scope: SearchScope,
    /// Only threads of this kind.
    pub thread_kind: Option<ThreadKind>,
    /// Only threads with this status.
    pub status: Option<ThreadStatus>,
    /// Only threads with this tag.
    pub tag: Option<String>,
    /// Only threads in this language.
    pub language: Option<Language>,
    /// Only threads from, or collaborations involving, this partner.
    pub partner_slug: Option<String>,
    /// Only threads from, or collaborations led by, partners in this nation.
    pub nation: Option<Nation>,
    /// Only what was created at or after this moment.
    pub created_after: Option<DateTime<Utc>>,
    /// Only what was created before this moment.
    pub created_before: Option<DateTime<Utc>>,
}

impl SearchFilter {
    /// Whether a filter that only threads have is set, which leaves collaborations out.
    fn thread_only(&self) -> bool {
        self.thread_kind.is_some() || self.status.is_some() || self.tag.is_some() || self.language.is_some()
    }

    fn covers_threads(&self) -> bool {
        self.scope != SearchScope::Collaborations
    }

    fn covers_collaborations(&self) -> bool {
        self.scope != SearchScope::Threads && !self.thread_only()
    }
}

/// A found object.
#[derive(Debug, Clone)]
pub enum Found {
    /// A thread.
    Thread(thread::Model),
    /// A collaboration.
    Collaboration(collaboration::Model),
}

/// One search result.
#[derive(Debug, Clone)]
pub struct Hit {
    /// What was found.
    pub found: Found,
    /// Relevance: higher is better; comparable within one database.
    pub score: f64,
    /// An HTML-safe extract with the matching words in `<mark>`.
    pub snippet: String,
}

fn score_and_snippet(row: &QueryResult) -> Result<(f64, String)> {
    let score: f64 = row.try_get("", "score").or_else(|_| row.try_get::<f32>("", "score").map(f64::from))?;
    let snippet: String = row.try_get("", "snippet").unwrap_or_default();
    Ok((score, html_snippet(&snippet)))
}

/// Runs the page statement of one kind: its best `window` hits, and its count. A window
/// of none (a page past the reachable depth) reads nothing and leaves the count for later.
async fn search_kind(
    db: &impl ConnectionTrait,
    kind: Kind,
    matcher: &Matcher,
    narrowing: &Narrowing<'_>,
    window: u64,
    with_total: bool,
    hits: &mut Vec<Hit>,
) -> Result<TotalCount> {
    let backend = db.get_database_backend();
    if window == 0 {
        return Ok(TotalCount::Deferred(count_statement(kind, matcher, narrowing, backend).statement()));
    }
    let statement = page_statement(kind, matcher, narrowing, window, with_total, backend);
    let rows = db.query_all_raw(statement.statement()).await?;
    let total = if !with_total {
        TotalCount::Deferred(count_statement(kind, matcher, narrowing, backend).statement())
    } else if let Some(first) = rows.first() {
        TotalCount::Known(first.try_get("", "lkn_total")?)
    } else {
        // The window starts at the best match, so no rows means no matches at all.
        TotalCount::Known(0)
    };
    for row in rows {
        let (score, snippet) = score_and_snippet(&row)?;
        let found = match kind {
            Kind::Thread => Found::Thread(thread::Model::from_query_result(&row, "")?),
            Kind::Collaboration => Found::Collaboration(collaboration::Model::from_query_result(&row, "")?),
        };
        hits.push(Hit { found, score, snippet });
    }
    Ok(total)
}

/// Where a page of results starts: just after the position the cursor `after` names.
/// Anything this search cannot have issued — another list's cursor, a negative position,
/// one at or beyond [`MAX_SEARCH_DEPTH`] — is a bad request, refused before any statement
/// runs, so a forged cursor costs the same whatever position it names.
fn start_after(after: Option<&Cursor>) -> Result<u64> {
    match after {
        None => Ok(0),
        Some(Cursor { key: Some(SortKey::Int(position)), .. })
            if u64::try_from(*position).is_ok_and(|p| p < MAX_SEARCH_DEPTH) =>
        {
            Ok(*position as u64 + 1)
        }
        Some(_) => Err(ServiceError::BadRequest(format!(
            "`after` is not a cursor from this search (a search reaches its best {MAX_SEARCH_DEPTH} matches)"
        ))),
    }
}

/// The part of the ranking a page covers: `shown` results from position `offset`, and how
/// many of each kind's best matches are enough to cut them from the merge of all kinds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Window {
    /// The position of the page's first result.
    offset: u64,
    /// How many results the page holds at most: `first`, never past [`MAX_SEARCH_DEPTH`].
    shown: u64,
    /// How many of each kind's best matches to read: one beyond the page, to tell whether
    /// another follows, unless the page ends at the depth; none for a page beyond it.
    fetched: u64,
}

impl Window {
    fn new(offset: u64, first: u64) -> Self {
        let shown = first.min(MAX_SEARCH_DEPTH.saturating_sub(offset));
        let fetched = if shown == 0 { 0 } else { (offset + shown + 1).min(MAX_SEARCH_DEPTH) };
        Self { offset, shown, fetched }
    }

    /// Whether a page follows this one, given how many merged matches lie from `offset`
    /// on. Each kind reads up to the depth, so their merge can reach beyond it: no page
    /// starts there.
    fn has_next(&self, from_offset: usize) -> bool {
        from_offset as u64 > self.shown && self.offset + self.shown < MAX_SEARCH_DEPTH
    }
}

/// Searches what `viewer` may see, best matches first. Pages are by position in the
/// ranking: relevance has no stable key to page by. Only the best [`MAX_SEARCH_DEPTH`]
/// matches can be paged to; `totalCount` still counts them all.
///
/// One statement per kind of object: it ranks the matches by id and score only, reads
/// objects and builds snippets for the best `offset + first + 1` alone, and, when the
/// client selects `totalCount`, counts the matches in the same statement. A filter that
/// names a tag or partner costs one more statement, to look them up.
#[tracing::instrument(skip(db, viewer, text), fields(words = words(text).len()))]
pub async fn search(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    text: &str,
    filter: &SearchFilter,
    request: &PageRequest,
) -> Result<Page<Hit>> {
    let backend = db.get_database_backend();
    let window = Window::new(start_after(request.after.as_ref())?, request.first);
    let offset = window.offset;
    let Some(matcher) = matcher(backend, text) else {
        return Ok(Page {
            items: Vec::new(),
            has_next_page: false,
            has_previous_page: offset > 0,
            total: TotalCount::Known(0),
        });
    };
    let narrowing = Narrowing::resolve(db, viewer, filter).await?;
    let mut hits = Vec::new();
    let mut counts = Vec::new();
    if filter.covers_threads() {
        counts.push(
            search_kind(db, Kind::Thread, &matcher, &narrowing, window.fetched, request.with_total, &mut hits).await?,
        );
    }
    if filter.covers_collaborations() {
        counts.push(
            search_kind(db, Kind::Collaboration, &matcher, &narrowing, window.fetched, request.with_total, &mut hits)
                .await?,
        );
    }
    hits.sort_by(|a, b| b.score.total_cmp(&a.score));
    let rows: Vec<Hit> = hits.into_iter().skip(offset as usize).collect();
    let total = match counts.as_slice() {
        [one] => one.clone(),
        _ => TotalCount::Sum(counts),
    };
    let has_next_page = window.has_next(rows.len());
    let items = rows
        .into_iter()
        .take(window.shown as usize)
        .enumerate()
        .map(|(i, hit)| {
            let position = (offset + i as u64) as i64;
            (Cursor { key: Some(SortKey::Int(position)), id: found_id(&hit.found) }, hit)
        })
        .collect();
    Ok(Page { items, has_next_page, has_previous_page: offset > 0, total })
}

/// The ids of the threads `viewer` may see whose text (title, body, tags, replies)
/// matches `text`, best first, at most `limit`: what "who knows about X?" counts as a
/// thread on topic X. One statement over the index; nothing is read beyond ids.
#[tracing::instrument(skip(db, viewer, text), fields(words = words(text).len()))]
pub async fn matching_thread_ids(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    text: &str,
    limit: u64,
) -> Result<Vec<i64>> {
    let backend = db.get_database_backend();
    let Some(matcher) = matcher(backend, text) else {
        return Ok(Vec::new());
    };
    let filter = SearchFilter { scope: SearchScope::Threads, ..SearchFilter::default() };
    let narrowing = Narrowing { viewer, filter: &filter, tag_id: None, partner_id: None };
    let mut sql = Sql::new(backend);
    if let Matcher::WebSearch(text) = &matcher {
        sql.push("WITH ");
        push_postgres_query(&mut sql, text);
        sql.push(" ");
    }
    sql.push("SELECT id FROM (");
    push_matches(&mut sql, Kind::Thread, &matcher, Selecting::Scores, &narrowing);
    sql.push(&format!(") matched ORDER BY score DESC, id DESC LIMIT {limit}"));
    let rows = db.query_all_raw(sql.statement()).await?;
    Ok(rows.iter().map(|row| row.try_get::<i64>("", "id")).collect::<Result<_, _>>()?)
}

fn found_id(found: &Found) -> i64 {
    match found {
        Found::Thread(t) => t.id,
        Found::Collaboration(c) => c.id,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(position: i64) -> Cursor {
        Cursor { key: Some(SortKey::Int(position)), id: 1 }
    }

    #[test]
    fn a_page_starts_after_the_position_its_cursor_names() {
        assert_eq!(start_after(None).ok(), Some(0));
        assert_eq!(start_after(Some(&at(0))).ok(), Some(1));
        assert_eq!(start_after(Some(&at(MAX_SEARCH_DEPTH as i64 - 1))).ok(), Some(MAX_SEARCH_DEPTH));
    }

    #[test]
    fn a_cursor_this_search_cannot_have_issued_is_a_bad_request() {
        let depth = MAX_SEARCH_DEPTH as i64;
        for cursor in [
            at(-1),
            at(depth),
            at(1_000_000),
            at(i64::MAX),
            at(i64::MIN),
            Cursor { key: None, id: 1 },
            Cursor { key: Some(SortKey::Text("5".into())), id: 1 },
        ] {
            assert!(matches!(start_after(Some(&cursor)), Err(ServiceError::BadRequest(_))), "{cursor:?}");
        }
    }

    #[test]
    fn a_window_reads_one_beyond_the_page_but_never_past_the_depth() {
        let depth = MAX_SEARCH_DEPTH;
        assert_eq!(Window::new(0, 20), Window { offset: 0, shown: 20, fetched: 21 });
        assert_eq!(Window::new(depth - 21, 20), Window { offset: depth - 21, shown: 20, fetched: depth });
        assert_eq!(Window::new(depth - 20, 20), Window { offset: depth - 20, shown: 20, fetched: depth });
        assert_eq!(Window::new(depth - 5, 20), Window { offset: depth - 5, shown: 5, fetched: depth });
        assert_eq!(Window::new(depth, 20), Window { offset: depth, shown: 0, fetched: 0 });
    }

    #[test]
    fn no_page_follows_one_that_ends_at_the_depth_whatever_the_merge_holds() {
        let depth = MAX_SEARCH_DEPTH;
        assert!(Window::new(0, 20).has_next(21));
        assert!(!Window::new(0, 20).has_next(20));
        assert!(Window::new(depth - 21, 20).has_next(21));
        // Threads and collaborations each read up to the depth: their merge holds more.
        assert!(!Window::new(depth - 20, 20).has_next(2 * depth as usize - (depth as usize - 20)));
        assert!(!Window::new(depth - 1, 20).has_next(1_001));
        assert!(!Window::new(depth, 20).has_next(0));
    }
}
