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

use chrono::{DateTime, Utc};
use lkn_entity::vocabulary::{Language, Nation, ThreadKind, ThreadStatus};
use lkn_entity::{collaboration, thread};
use lkn_migration::search as documents;
use sea_orm::{ConnectionTrait, DbBackend, FromQueryResult, QueryResult, Statement, Value};

use crate::error::{Result, ServiceError};
use crate::service::identity::Viewer;
use crate::service::page::{Cursor, Page, PageRequest, SortKey, TotalCount};

/// Marks the start of a match inside a snippet before it is made HTML-safe.
const MATCH_START: char = '\u{E000}';
/// Marks the end of a match.
const MATCH_END: char = '\u{E001}';
/// The most words of a query that are searched for.
const MAX_WORDS: usize = 32;
/// The longest word searched for.
const MAX_WORD_CHARS: usize = 64;

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

/// SQL text with its bound values, in the placeholder style of one backend.
struct Sql {
    backend: DbBackend,
    text: String,
    values: Vec<Value>,
}

impl Sql {
    fn new(backend: DbBackend) -> Self {
        Self { backend, text: String::new(), values: Vec::new() }
    }

    /// Appends a placeholder bound to `value`.
    fn bind(&mut self, value: impl Into<Value>) -> &mut Self {
        self.values.push(value.into());
        match self.backend {
            DbBackend::Postgres => self.text.push_str(&format!("${}", self.values.len())),
            _ => self.text.push('?'),
        }
        self
    }

    fn push(&mut self, sql: &str) -> &mut Self {
        self.text.push_str(sql);
        self
    }

    fn statement(&self) -> Statement {
        Statement::from_sql_and_values(self.backend, self.text.clone(), self.values.clone())
    }
}

/// The words of user text: letters and digits of any script, nothing else.
fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| w.chars().take(MAX_WORD_CHARS).collect::<String>().to_lowercase())
        .take(MAX_WORDS)
        .collect()
}

/// Words too common to suggest anything.
const STOPWORDS: &[&str] = &[
    "a", "about", "an", "and", "any", "anyone", "are", "as", "at", "be", "by", "can", "do", "does", "for", "from",
    "has", "have", "how", "i", "in", "is", "it", "of", "on", "or", "our", "run", "that", "the", "this", "to", "us",
    "we", "what", "when", "who", "with", "you", "your",
];

/// A safe FTS5 MATCH expression: each word an FTS5 string, joined by `joiner`.
fn fts5_expression(words: &[String], joiner: &str) -> String {
    words.iter().map(|w| format!("\"{w}\"")).collect::<Vec<_>>().join(joiner)
}

/// Turns a backend's marked snippet into escaped HTML with `<mark>` around matches.
fn html_snippet(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len() + 16);
    for c in raw.chars() {
        match c {
            MATCH_START => out.push_str("<mark>"),
            MATCH_END => out.push_str("</mark>"),
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\n' | '\r' => out.push(' '),
            other => out.push(other),
        }
    }
    out
}

/// The part of a WHERE clause that applies `filter` and visibility to threads `t`.
fn thread_conditions(sql: &mut Sql, viewer: &Viewer, filter: &SearchFilter) {
    if !viewer.sees_network() {
        sql.push(" AND t.visibility = 'PUBLIC'");
    }
    if let Some(kind) = filter.thread_kind {
        sql.push(" AND t.kind = ").bind(stored(kind));
    }
    if let Some(status) = filter.status {
        sql.push(" AND t.status = ").bind(stored(status));
    }
    if let Some(language) = filter.language {
        sql.push(" AND t.language = ").bind(stored(language));
    }
    if let Some(tag) = &filter.tag {
        sql.push(
            " AND t.id IN (SELECT tt.thread_id FROM thread_tags tt JOIN tags g ON g.id = tt.tag_id WHERE g.name = ",
        )
        .bind(tag.trim().to_lowercase())
        .push(")");
    }
    if let Some(slug) = &filter.partner_slug {
        sql.push(" AND t.partner_id IN (SELECT id FROM partners WHERE slug = ").bind(slug.clone()).push(")");
    }
    if let Some(nation) = filter.nation {
        sql.push(" AND t.partner_id IN (SELECT id FROM partners WHERE nation = ").bind(stored(nation)).push(")");
    }
    if let Some(after) = filter.created_after {
        sql.push(" AND t.created_at >= ").bind(after);
    }
    if let Some(before) = filter.created_before {
        sql.push(" AND t.created_at < ").bind(before);
    }
}

/// The part of a WHERE clause that applies `filter` and visibility to collaborations `c`.
fn collaboration_conditions(sql: &mut Sql, viewer: &Viewer, filter: &SearchFilter) {
    if !viewer.sees_network() {
        sql.push(" AND c.visibility = 'PUBLIC'");
    }
    if let Some(slug) = &filter.partner_slug {
        sql.push(
            " AND c.id IN (SELECT cp.collaboration_id FROM collaboration_participants cp \
             JOIN partners p ON p.id = cp.partner_id WHERE p.slug = ",
        )
        .bind(slug.clone())
        .push(")");
    }
    if let Some(nation) = filter.nation {
        sql.push(" AND c.lead_partner_id IN (SELECT id FROM partners WHERE nation = ").bind(stored(nation)).push(")");
    }
    if let Some(after) = filter.created_after {
        sql.push(" AND c.created_at >= ").bind(after);
    }
    if let Some(before) = filter.created_before {
        sql.push(" AND c.created_at < ").bind(before);
    }
}

/// A stored vocabulary value as a bound parameter.
fn stored<T: sea_orm::ActiveEnum<Value = String>>(value: T) -> Value {
    sea_orm::ActiveEnum::to_value(&value).into()
}

/// What a search asks for: the matching expression, per backend.
enum Matcher {
    /// An FTS5 MATCH expression.
    Fts5(String),
    /// Text for `websearch_to_tsquery`.
    WebSearch(String),
}

fn matcher(backend: DbBackend, text: &str) -> Option<Matcher> {
    let found = words(text);
    if found.is_empty() {
        return None;
    }
    Some(match backend {
        DbBackend::Postgres => {
            let cleaned: String = text.chars().filter(|c| *c != '\0').take(2_000).collect();
            Matcher::WebSearch(cleaned)
        }
        _ => Matcher::Fts5(fts5_expression(&found, " ")),
    })
}

/// The SELECT of matching threads with `score` and `snippet`, filtered, not yet ordered.
fn thread_hits(sql: &mut Sql, matcher: &Matcher, viewer: &Viewer, filter: &SearchFilter) {
    match matcher {
        Matcher::Fts5(expression) => {
            sql.push(&format!(
                "SELECT t.*, -bm25(thread_search, 8.0, 2.0, 6.0, 1.0) AS score, \
                 snippet(thread_search, -1, '{MATCH_START}', '{MATCH_END}', '…', 16) AS snippet \
                 FROM thread_search JOIN threads t ON t.id = thread_search.rowid WHERE thread_search MATCH "
            ))
            .bind(expression.clone());
        }
        Matcher::WebSearch(text) => {
            sql.push(
                "SELECT t.*, ts_rank_cd(s.document, q.query) AS score, \
                 ts_headline(CASE WHEN t.language = 'EN' THEN 'english'::regconfig ELSE 'simple'::regconfig END, \
                   t.title || ' — ' || left(t.body, 3000), q.query, ",
            )
            .push(&format!(
                "'StartSel={MATCH_START}, StopSel={MATCH_END}, MaxWords=24, MinWords=10, MaxFragments=1') AS snippet "
            ))
            .push("FROM thread_search s JOIN threads t ON t.id = s.thread_id, (SELECT websearch_to_tsquery('english', ")
            .bind(text.clone())
            .push(") || websearch_to_tsquery('simple', ")
            .bind(text.clone())
            .push(") AS query) q WHERE s.document @@ q.query");
        }
    }
    thread_conditions(sql, viewer, filter);
}

/// The SELECT of matching collaborations with `score` and `snippet`, filtered.
fn collaboration_hits(sql: &mut Sql, matcher: &Matcher, viewer: &Viewer, filter: &SearchFilter) {
    match matcher {
        Matcher::Fts5(expression) => {
            sql.push(&format!(
                "SELECT c.*, -bm25(collaboration_search, 8.0, 2.0) AS score, \
                 snippet(collaboration_search, -1, '{MATCH_START}', '{MATCH_END}', '…', 16) AS snippet \
                 FROM collaboration_search JOIN collaborations c ON c.id = collaboration_search.rowid \
                 WHERE collaboration_search MATCH "
            ))
            .bind(expression.clone());
        }
        Matcher::WebSearch(text) => {
            sql.push(
                "SELECT c.*, ts_rank_cd(s.document, q.query) AS score, \
                 ts_headline('english', c.title || ' — ' || left(c.summary, 3000), q.query, ",
            )
            .push(&format!("'StartSel={MATCH_START}, StopSel={MATCH_END}, MaxWords=24, MinWords=10, MaxFragments=1') AS snippet "))
            .push("FROM collaboration_search s JOIN collaborations c ON c.id = s.collaboration_id, (SELECT websearch_to_tsquery('english', ")
            .bind(text.clone())
            .push(") || websearch_to_tsquery('simple', ")
            .bind(text.clone())
            .push(") AS query) q WHERE s.document @@ q.query");
        }
    }
    collaboration_conditions(sql, viewer, filter);
}

fn score_and_snippet(row: &QueryResult) -> Result<(f64, String)> {
    let score: f64 = row.try_get("", "score").or_else(|_| row.try_get::<f32>("", "score").map(f64::from))?;
    let snippet: String = row.try_get("", "snippet").unwrap_or_default();
    Ok((score, html_snippet(&snippet)))
}

/// Searches what `viewer` may see, best matches first. Pages are by position in the
/// ranking: relevance has no stable key to page by.
#[tracing::instrument(skip(db, viewer, text), fields(words = words(text).len()))]
pub async fn search(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    text: &str,
    filter: &SearchFilter,
    request: &PageRequest,
) -> Result<Page<Hit>> {
    let backend = db.get_database_backend();
    let offset = match &request.after {
        None => 0,
        Some(Cursor { key: Some(SortKey::Int(position)), .. }) if *position >= 0 => *position as u64 + 1,
        Some(_) => {
            return Err(ServiceError::BadRequest("`after` is not a cursor from this search".into()));
        }
    };
    let Some(matcher) = matcher(backend, text) else {
        return Ok(Page {
            items: Vec::new(),
            has_next_page: false,
            has_previous_page: offset > 0,
            total: TotalCount::Known(0),
        });
    };
    // Each kind's best `offset + first + 1` are enough to cut this page from their merge.
    let window = offset + request.first + 1;
    let mut hits = Vec::new();
    let mut counts = Vec::new();
    if filter.covers_threads() {
        let mut sql = Sql::new(backend);
        thread_hits(&mut sql, &matcher, viewer, filter);
        counts.push(count_of(&sql));
        sql.push(&format!(" ORDER BY score DESC, t.id DESC LIMIT {window}"));
        for row in db.query_all_raw(sql.statement()).await? {
            let (score, snippet) = score_and_snippet(&row)?;
            hits.push(Hit { found: Found::Thread(thread::Model::from_query_result(&row, "")?), score, snippet });
        }
    }
    if filter.covers_collaborations() {
        let mut sql = Sql::new(backend);
        collaboration_hits(&mut sql, &matcher, viewer, filter);
        counts.push(count_of(&sql));
        sql.push(&format!(" ORDER BY score DESC, c.id DESC LIMIT {window}"));
        for row in db.query_all_raw(sql.statement()).await? {
            let (score, snippet) = score_and_snippet(&row)?;
            hits.push(Hit {
                found: Found::Collaboration(collaboration::Model::from_query_result(&row, "")?),
                score,
                snippet,
            });
        }
    }
    hits.sort_by(|a, b| b.score.total_cmp(&a.score));
    let rows: Vec<Hit> = hits.into_iter().skip(offset as usize).collect();
    let total = match counts.as_slice() {
        [one] => one.clone(),
        _ => TotalCount::Sum(counts),
    };
    let has_next_page = rows.len() as u64 > request.first;
    let items = rows
        .into_iter()
        .take(request.first as usize)
        .enumerate()
        .map(|(i, hit)| {
            let position = (offset + i as u64) as i64;
            (Cursor { key: Some(SortKey::Int(position)), id: found_id(&hit.found) }, hit)
        })
        .collect();
    Ok(Page { items, has_next_page, has_previous_page: offset > 0, total })
}

fn found_id(found: &Found) -> i64 {
    match found {
        Found::Thread(t) => t.id,
        Found::Collaboration(c) => c.id,
    }
}

fn count_of(hits: &Sql) -> TotalCount {
    let mut count = Sql::new(hits.backend);
    count.text = format!("SELECT COUNT(*) FROM ({}) matches", hits.text);
    count.values = hits.values.clone();
    TotalCount::Deferred(count.statement())
}

/// Threads that look like `text`: what to show someone about to ask a question. Any
/// significant word may match; the more and rarer the shared words, the higher.
#[tracing::instrument(skip(db, viewer, text))]
pub async fn similar_threads(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    text: &str,
    first: u64,
) -> Result<Vec<thread::Model>> {
    let significant: Vec<String> = words(text).into_iter().filter(|w| !STOPWORDS.contains(&w.as_str())).collect();
    if significant.is_empty() {
        return Ok(Vec::new());
    }
    let backend = db.get_database_backend();
    let mut sql = Sql::new(backend);
    match backend {
        DbBackend::Postgres => {
            let any = significant.join(" | ");
            sql.push(
                "SELECT t.* FROM thread_search s JOIN threads t ON t.id = s.thread_id, (SELECT to_tsquery('english', ",
            )
            .bind(any.clone())
            .push(") || to_tsquery('simple', ")
            .bind(any)
            .push(") AS query) q WHERE s.document @@ q.query");
            thread_conditions(&mut sql, viewer, &SearchFilter::default());
            sql.push(&format!(" ORDER BY ts_rank_cd(s.document, q.query) DESC, t.id DESC LIMIT {first}"));
        }
        _ => {
            sql.push(
                "SELECT t.* FROM thread_search JOIN threads t ON t.id = thread_search.rowid WHERE thread_search MATCH ",
            )
            .bind(fts5_expression(&significant, " OR "));
            thread_conditions(&mut sql, viewer, &SearchFilter::default());
            sql.push(&format!(" ORDER BY bm25(thread_search, 8.0, 2.0, 6.0, 1.0), t.id DESC LIMIT {first}"));
        }
    }
    Ok(thread::Model::find_by_statement(sql.statement()).all(db).await?)
}

/// Re-indexes one thread (after a post, edit or reply), in the caller's transaction.
pub async fn reindex_thread(db: &impl ConnectionTrait, thread_id: i64) -> Result<()> {
    reindex(db, Indexed::Thread, "=", thread_id).await
}

/// Re-indexes one collaboration, in the caller's transaction.
pub async fn reindex_collaboration(db: &impl ConnectionTrait, collaboration_id: i64) -> Result<()> {
    reindex(db, Indexed::Collaboration, "=", collaboration_id).await
}

/// Re-indexes every thread and collaboration with an id of at least `first_thread` /
/// `first_collaboration`: after bulk loads such as the demo data.
pub async fn reindex_from(db: &impl ConnectionTrait, first_thread: i64, first_collaboration: i64) -> Result<()> {
    reindex(db, Indexed::Thread, ">=", first_thread).await?;
    reindex(db, Indexed::Collaboration, ">=", first_collaboration).await
}

#[derive(Clone, Copy)]
enum Indexed {
    Thread,
    Collaboration,
}

fn index_parts(backend: DbBackend, what: Indexed) -> (&'static str, &'static str, &'static str, &'static str) {
    match (backend, what) {
        (DbBackend::Postgres, Indexed::Thread) => (
            "thread_search",
            "thread_id",
            "INSERT INTO thread_search(thread_id, document) ",
            documents::POSTGRES_THREAD_ROWS,
        ),
        (DbBackend::Postgres, Indexed::Collaboration) => (
            "collaboration_search",
            "collaboration_id",
            "INSERT INTO collaboration_search(collaboration_id, document) ",
            documents::POSTGRES_COLLABORATION_ROWS,
        ),
        (_, Indexed::Thread) => (
            "thread_search",
            "rowid",
            "INSERT INTO thread_search(rowid, title, body, tags, replies) ",
            documents::SQLITE_THREAD_ROWS,
        ),
        (_, Indexed::Collaboration) => (
            "collaboration_search",
            "rowid",
            "INSERT INTO collaboration_search(rowid, title, summary) ",
            documents::SQLITE_COLLABORATION_ROWS,
        ),
    }
}

/// Replaces the index entries of the rows whose id compares to `id` as `comparison`
/// (`=` for one object, `>=` for everything from a bulk load on).
async fn reindex(db: &impl ConnectionTrait, what: Indexed, comparison: &str, id: i64) -> Result<()> {
    let backend = db.get_database_backend();
    let (table, key, insert, rows) = index_parts(backend, what);
    let alias = match what {
        Indexed::Thread => "t",
        Indexed::Collaboration => "c",
    };
    let mut delete = Sql::new(backend);
    delete.push(&format!("DELETE FROM {table} WHERE {key} {comparison} ")).bind(id);
    db.execute_raw(delete.statement()).await?;
    let mut fill = Sql::new(backend);
    fill.push(insert).push(rows).push(&format!(" WHERE {alias}.id {comparison} ")).bind(id);
    db.execute_raw(fill.statement()).await?;
    Ok(())
}
