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

/// Who searches and what the filter keeps, with the tag and partner it names looked up
/// once, so that checking a match is a few key lookups.
struct Narrowing<'a> {
    viewer: &'a Viewer,
    filter: &'a SearchFilter,
    /// The id of the tag `filter.tag` names, if it exists.
    tag_id: Option<i64>,
    /// The id of the partner `filter.partner_slug` names, if it exists.
    partner_id: Option<i64>,
}

impl<'a> Narrowing<'a> {
    /// Whether the searcher sees public objects only. On SQLite such a search runs on the
    /// public indexes: FTS5's statistics (word rarity and document lengths in bm25, the
    /// rarity `similar_threads` picks words by) cover every row of an index, visible or
    /// not, so on a shared index scores and suggestions would move when a network-only
    /// thread is posted, telling outsiders about words they may not see.
    fn public_only(&self) -> bool {
        !self.viewer.sees_network()
    }

    /// Looks up the tag and partner `filter` names: one statement, only if it names any.
    async fn resolve(db: &impl ConnectionTrait, viewer: &'a Viewer, filter: &'a SearchFilter) -> Result<Self> {
        let mut narrowing = Self { viewer, filter, tag_id: None, partner_id: None };
        if filter.tag.is_none() && filter.partner_slug.is_none() {
            return Ok(narrowing);
        }
        let mut sql = Sql::new(db.get_database_backend());
        sql.push("SELECT ");
        match &filter.tag {
            Some(tag) => sql.push("(SELECT id FROM tags WHERE name = ").bind(tag.trim().to_lowercase()).push(")"),
            None => sql.push("NULL"),
        };
        sql.push(" AS tag_id, ");
        match &filter.partner_slug {
            Some(slug) => sql.push("(SELECT id FROM partners WHERE slug = ").bind(slug.clone()).push(")"),
            None => sql.push("NULL"),
        };
        sql.push(" AS partner_id");
        if let Some(row) = db.query_one_raw(sql.statement()).await? {
            narrowing.tag_id = row.try_get::<Option<i64>>("", "tag_id")?;
            narrowing.partner_id = row.try_get::<Option<i64>>("", "partner_id")?;
        }
        Ok(narrowing)
    }
}

/// The part of a WHERE clause that applies the filter and visibility to threads `t`. Each
/// condition is a comparison or a key lookup: searches check it for every match.
fn thread_conditions(sql: &mut Sql, narrowing: &Narrowing) {
    let filter = narrowing.filter;
    if !narrowing.viewer.sees_network() {
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
    if filter.tag.is_some() {
        match narrowing.tag_id {
            Some(id) => {
                sql.push(" AND EXISTS (SELECT 1 FROM thread_tags tt WHERE tt.thread_id = t.id AND tt.tag_id = ")
                    .bind(id)
                    .push(")");
            }
            None => {
                sql.push(" AND 1 = 0");
            }
        }
    }
    if filter.partner_slug.is_some() {
        match narrowing.partner_id {
            Some(id) => {
                sql.push(" AND t.partner_id = ").bind(id);
            }
            None => {
                sql.push(" AND 1 = 0");
            }
        }
    }
    if let Some(nation) = filter.nation {
        sql.push(" AND EXISTS (SELECT 1 FROM partners p WHERE p.id = t.partner_id AND p.nation = ")
            .bind(stored(nation))
            .push(")");
    }
    if let Some(after) = filter.created_after {
        sql.push(" AND t.created_at >= ").bind(after);
    }
    if let Some(before) = filter.created_before {
        sql.push(" AND t.created_at < ").bind(before);
    }
}

/// The part of a WHERE clause that applies the filter and visibility to collaborations `c`.
fn collaboration_conditions(sql: &mut Sql, narrowing: &Narrowing) {
    let filter = narrowing.filter;
    if !narrowing.viewer.sees_network() {
        sql.push(" AND c.visibility = 'PUBLIC'");
    }
    if filter.partner_slug.is_some() {
        match narrowing.partner_id {
            Some(id) => {
                sql.push(
                    " AND EXISTS (SELECT 1 FROM collaboration_participants cp \
                     WHERE cp.collaboration_id = c.id AND cp.partner_id = ",
                )
                .bind(id)
                .push(")");
            }
            None => {
                sql.push(" AND 1 = 0");
            }
        }
    }
    if let Some(nation) = filter.nation {
        sql.push(" AND EXISTS (SELECT 1 FROM partners p WHERE p.id = c.lead_partner_id AND p.nation = ")
            .bind(stored(nation))
            .push(")");
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

/// SQLite: bm25 weights of a thread's title, body, tags and replies.
const THREAD_WEIGHTS: &str = "8.0, 2.0, 6.0, 1.0";
/// SQLite: bm25 weights of a collaboration's title and summary.
const COLLABORATION_WEIGHTS: &str = "8.0, 2.0";

/// The kinds of object a search covers, with the tables and SQL each one needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Thread,
    Collaboration,
}

impl Kind {
    /// The objects' table and its alias in conditions.
    fn table(self) -> (&'static str, &'static str) {
        match self {
            Self::Thread => ("threads", "t"),
            Self::Collaboration => ("collaborations", "c"),
        }
    }

    /// SQLite: the FTS5 table and its bm25 column weights; with `public`, the index of
    /// public objects alone (see [`Narrowing::public_only`]).
    fn fts5(self, public: bool) -> (&'static str, &'static str) {
        match (self, public) {
            (Self::Thread, false) => ("thread_search", THREAD_WEIGHTS),
            (Self::Thread, true) => ("public_thread_search", THREAD_WEIGHTS),
            (Self::Collaboration, false) => ("collaboration_search", COLLABORATION_WEIGHTS),
            (Self::Collaboration, true) => ("public_collaboration_search", COLLABORATION_WEIGHTS),
        }
    }

    /// PostgreSQL: the document table and its key column.
    fn documents(self) -> (&'static str, &'static str) {
        match self {
            Self::Thread => ("thread_search", "thread_id"),
            Self::Collaboration => ("collaboration_search", "collaboration_id"),
        }
    }

    /// PostgreSQL: the text search configuration and text of a snippet.
    fn headline(self) -> (&'static str, &'static str) {
        match self {
            Self::Thread => (
                "CASE WHEN t.language = 'EN' THEN 'english'::regconfig ELSE 'simple'::regconfig END",
                "t.title || ' — ' || left(t.body, 3000)",
            ),
            Self::Collaboration => ("'english'::regconfig", "c.title || ' — ' || left(c.summary, 3000)"),
        }
    }

    /// Appends the visibility and filter conditions of this kind.
    fn conditions(self, sql: &mut Sql, narrowing: &Narrowing) {
        match self {
            Self::Thread => thread_conditions(sql, narrowing),
            Self::Collaboration => collaboration_conditions(sql, narrowing),
        }
    }

    /// Whether visibility or the filter restrict this kind beyond the text match, so that
    /// matching needs the objects' table and not only the index.
    fn restricted(self, backend: DbBackend, narrowing: &Narrowing) -> bool {
        let mut probe = Sql::new(backend);
        self.conditions(&mut probe, narrowing);
        !probe.text.is_empty()
    }
}

/// What a statement over the matches of one kind selects.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Selecting {
    /// `id` and `score` of every match.
    Scores,
    /// Their number.
    Count,
}

/// PostgreSQL: the `q` CTE holding the query, English-stemmed or word for word.
fn push_postgres_query(sql: &mut Sql, text: &str) {
    sql.push("q AS (SELECT websearch_to_tsquery('english', ")
        .bind(text.to_owned())
        .push(") || websearch_to_tsquery('simple', ")
        .bind(text.to_owned())
        .push(") AS query)");
}

/// PostgreSQL: the tsquery of the lexeme that public threads' documents carry.
fn public_tsquery() -> String {
    format!("'''{}'''::tsquery", documents::POSTGRES_PUBLIC_LEXEME)
}

/// Whether `filter` narrows threads beyond visibility.
fn filters_threads(filter: &SearchFilter) -> bool {
    filter.thread_only()
        || filter.partner_slug.is_some()
        || filter.nation.is_some()
        || filter.created_after.is_some()
        || filter.created_before.is_some()
}

/// Appends a SELECT over the matches of `kind` that the viewer may see and the filter
/// keeps, with visibility and filters applied before any ranking or counting. The index
/// drives it, and the objects' table is read (one primary-key lookup per match) only when
/// a condition needs it: without statistics (after a bulk load) planners misjudge these
/// conditions and would walk every visible object, probing the index for each. On
/// PostgreSQL the statement must define the `q` CTE, and public threads are told apart in
/// the index itself by their public lexeme.
fn push_matches(sql: &mut Sql, kind: Kind, matcher: &Matcher, selecting: Selecting, narrowing: &Narrowing) {
    let restricted = kind.restricted(sql.backend, narrowing);
    let (table, alias) = kind.table();
    match matcher {
        Matcher::Fts5(expression) => {
            let (index, weights) = kind.fts5(narrowing.public_only());
            sql.push(&match selecting {
                Selecting::Scores => format!("SELECT {index}.rowid AS id, -bm25({index}, {weights}) AS score"),
                Selecting::Count => "SELECT COUNT(*)".to_owned(),
            });
            sql.push(&format!(" FROM {index}"));
            if restricted {
                // CROSS JOIN keeps the index as the outer loop.
                sql.push(&format!(" CROSS JOIN {table} {alias}"));
            }
            sql.push(&format!(" WHERE {index} MATCH ")).bind(expression.clone());
            if restricted {
                sql.push(&format!(" AND {alias}.id = {index}.rowid"));
                kind.conditions(sql, narrowing);
            }
        }
        Matcher::WebSearch(_) => {
            let (documents, key) = kind.documents();
            let public_only = kind == Kind::Thread && !narrowing.viewer.sees_network();
            let reads_table = match kind {
                Kind::Thread => filters_threads(narrowing.filter),
                Kind::Collaboration => restricted,
            };
            sql.push(&match selecting {
                Selecting::Scores => format!("SELECT s.{key} AS id, ts_rank(s.document, q.query) AS score"),
                Selecting::Count => "SELECT COUNT(*)".to_owned(),
            });
            sql.push(&format!(" FROM {documents} s CROSS JOIN q"));
            if reads_table {
                // OFFSET 0 keeps the subquery from being flattened into a join that the
                // planner could turn around.
                sql.push(&format!(" CROSS JOIN LATERAL (SELECT 1 FROM {table} {alias} WHERE {alias}.id = s.{key}"));
                kind.conditions(sql, narrowing);
                sql.push(&format!(" OFFSET 0) kept_{alias}"));
            }
            if public_only {
                sql.push(&format!(" WHERE s.document @@ (q.query && {})", public_tsquery()));
            } else {
                sql.push(" WHERE s.document @@ q.query");
            }
        }
    }
}

/// One statement for a page of one kind: ranks every match by id and score alone, keeps
/// the best `window`, and only for those reads the object and builds the snippet. With
/// `with_total` it also counts the matches, as `lkn_total` on every row.
fn page_statement(
    kind: Kind,
    matcher: &Matcher,
    narrowing: &Narrowing,
    window: u64,
    with_total: bool,
    backend: DbBackend,
) -> Sql {
    let (table, alias) = kind.table();
    let mut sql = Sql::new(backend);
    match matcher {
        Matcher::Fts5(expression) => {
            let (index, _) = kind.fts5(narrowing.public_only());
            // The scores are materialized once when the count needs the joined table too;
            // otherwise the count is the index's own, which needs no score at all.
            let materialize = with_total && kind.restricted(backend, narrowing);
            sql.push("WITH ");
            if materialize {
                sql.push("matches AS MATERIALIZED (");
                push_matches(&mut sql, kind, matcher, Selecting::Scores, narrowing);
                sql.push("), ranked AS (SELECT id, score FROM matches");
            } else {
                sql.push("ranked AS (");
                push_matches(&mut sql, kind, matcher, Selecting::Scores, narrowing);
            }
            sql.push(&format!(
                " ORDER BY score DESC, id DESC LIMIT {window}) SELECT {alias}.*, ranked.score AS score, "
            ));
            sql.push(&format!("snippet({index}, -1, '{MATCH_START}', '{MATCH_END}', '…', 16) AS snippet"));
            if with_total {
                if materialize {
                    sql.push(", (SELECT COUNT(*) FROM matches) AS lkn_total");
                } else {
                    sql.push(", (");
                    push_matches(&mut sql, kind, matcher, Selecting::Count, narrowing);
                    sql.push(") AS lkn_total");
                }
            }
            // The snippet needs the FTS5 cursor positioned on the row, with the query.
            sql.push(&format!(" FROM ranked CROSS JOIN {index} CROSS JOIN {table} {alias} WHERE {index} MATCH "))
                .bind(expression.clone())
                .push(&format!(
                    " AND {index}.rowid = ranked.id AND {alias}.id = ranked.id ORDER BY ranked.score DESC, ranked.id DESC"
                ));
        }
        Matcher::WebSearch(text) => {
            let (config, headline_text) = kind.headline();
            sql.push("WITH ");
            push_postgres_query(&mut sql, text);
            sql.push(", matches AS MATERIALIZED (");
            push_matches(&mut sql, kind, matcher, Selecting::Scores, narrowing);
            sql.push(&format!(
                "), ranked AS (SELECT id, score FROM matches ORDER BY score DESC, id DESC LIMIT {window}) \
                 SELECT {alias}.*, ranked.score AS score, ts_headline({config}, {headline_text}, q.query, \
                 'StartSel={MATCH_START}, StopSel={MATCH_END}, MaxWords=24, MinWords=10, MaxFragments=1') AS snippet"
            ));
            if with_total {
                sql.push(", (SELECT COUNT(*) FROM matches) AS lkn_total");
            }
            // The conditions again, on the page's rows only: the objects' table is the
            // authority on visibility, whatever the documents say.
            sql.push(&format!(
                " FROM ranked CROSS JOIN q CROSS JOIN LATERAL \
                 (SELECT {alias}.* FROM {table} {alias} WHERE {alias}.id = ranked.id"
            ));
            kind.conditions(&mut sql, narrowing);
            sql.push(&format!(" OFFSET 0) {alias} ORDER BY ranked.score DESC, ranked.id DESC"));
        }
    }
    sql
}

/// The count of one kind's matches as a statement of its own, for a client that did not
/// ask for it with the page but might still read it.
fn count_statement(kind: Kind, matcher: &Matcher, narrowing: &Narrowing, backend: DbBackend) -> Sql {
    let mut sql = Sql::new(backend);
    if let Matcher::WebSearch(text) = matcher {
        sql.push("WITH ");
        push_postgres_query(&mut sql, text);
        sql.push(" ");
    }
    push_matches(&mut sql, kind, matcher, Selecting::Count, narrowing);
    sql
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

fn found_id(found: &Found) -> i64 {
    match found {
        Found::Thread(t) => t.id,
        Found::Collaboration(c) => c.id,
    }
}

/// PostgreSQL: how many of a draft's significant words `similar_threads` matches on.
const SIMILAR_WORDS: usize = 6;
/// SQLite: how many of a draft's significant words are looked up in the index to find
/// the rarest ones.
const SIMILAR_CANDIDATE_WORDS: usize = 8;
/// SQLite: how many of the rarest of those `similar_threads` matches on. Fewer than on
/// PostgreSQL because bm25 looks up every word of every combination in the index.
const SIMILAR_RARE_WORDS: usize = 4;

/// Every `k`-element subset of `0..n`, in lexicographic order.
fn combinations(n: usize, k: usize) -> Vec<Vec<usize>> {
    fn extend(start: usize, n: usize, k: usize, current: &mut Vec<usize>, out: &mut Vec<Vec<usize>>) {
        if current.len() == k {
            out.push(current.clone());
            return;
        }
        for i in start..n {
            if n - i < k - current.len() {
                break;
            }
            current.push(i);
            extend(i + 1, n, k, current, out);
            current.pop();
        }
    }
    let mut out = Vec::new();
    if k <= n {
        extend(0, n, k, &mut Vec::new(), &mut out);
    }
    out
}

/// The distinct significant words of a draft, in order.
fn significant_words(text: &str) -> Vec<String> {
    let mut significant: Vec<String> = Vec::new();
    for word in words(text) {
        if !STOPWORDS.contains(&word.as_str()) && !significant.contains(&word) {
            significant.push(word);
        }
    }
    significant
}

/// SQLite: the words the FTS5 table `index` holds, rarest first (by how many threads
/// contain them), at most `SIMILAR_RARE_WORDS`. One statement; rarity is counted over
/// the whole index, as bm25 counts it, so the caller passes the index of what the
/// searcher may see.
async fn rarest_indexed_words(db: &impl ConnectionTrait, index: &str, words: &[String]) -> Result<Vec<String>> {
    let mut sql = Sql::new(db.get_database_backend());
    sql.push("SELECT ");
    for (i, word) in words.iter().enumerate() {
        if i > 0 {
            sql.push(", ");
        }
        sql.push(&format!("(SELECT COUNT(*) FROM {index} WHERE {index} MATCH "))
            .bind(fts5_expression(std::slice::from_ref(word), " "))
            .push(&format!(") AS n{i}"));
    }
    let Some(row) = db.query_one_raw(sql.statement()).await? else {
        return Ok(Vec::new());
    };
    let mut known = Vec::new();
    for (i, word) in words.iter().enumerate() {
        let threads: i64 = row.try_get("", &format!("n{i}"))?;
        if threads > 0 {
            known.push((threads, i, word.clone()));
        }
    }
    known.sort();
    Ok(known.into_iter().take(SIMILAR_RARE_WORDS).map(|(_, _, word)| word).collect())
}

/// Threads that look like `text`: what to show someone about to ask a question.
///
/// Threads sharing more of the draft's significant words come first: those with all of
/// them, then those with all but one, and so on down to one word, each tier ranked by
/// relevance (bm25 on SQLite, `ts_rank` on PostgreSQL). A tier is one arm of a
/// `UNION ALL` under the final `LIMIT`, which the database evaluates lazily: a tier is
/// searched only when the tiers above it found fewer than `first` threads, so a precise
/// draft never ranks the many threads that share a single common word with it. On SQLite
/// the words are the rarest ones the index holds (bm25 favours rare words within a tier);
/// PostgreSQL matches on the first significant words.
///
/// Nothing the searcher may not see moves their suggestions: on SQLite someone outside
/// the network is served from the public index, whose rarities and bm25 statistics
/// count public threads alone; PostgreSQL's `ts_rank` reads one document at a time, and
/// its words are chosen from the draft alone.
#[tracing::instrument(skip(db, viewer, text))]
pub async fn similar_threads(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    text: &str,
    first: u64,
) -> Result<Vec<thread::Model>> {
    let mut significant = significant_words(text);
    if significant.is_empty() {
        return Ok(Vec::new());
    }
    let backend = db.get_database_backend();
    let unfiltered = SearchFilter::default();
    let narrowing = Narrowing { viewer, filter: &unfiltered, tag_id: None, partner_id: None };
    let restricted = Kind::Thread.restricted(backend, &narrowing);
    let mut sql = Sql::new(backend);
    match backend {
        DbBackend::Postgres => {
            significant.truncate(SIMILAR_WORDS);
            let n = significant.len();
            let any_word = (0..n).map(|i| format!("w.w{i}")).collect::<Vec<_>>().join(" || ");
            sql.push("WITH q AS (SELECT w.*, ").push(&any_word).push(" AS any_word FROM (SELECT ");
            for (i, word) in significant.iter().enumerate() {
                if i > 0 {
                    sql.push(", ");
                }
                sql.push("plainto_tsquery('english', ")
                    .bind(word.clone())
                    .push(") || plainto_tsquery('simple', ")
                    .bind(word.clone())
                    .push(&format!(") AS w{i}"));
            }
            sql.push(") w) SELECT t.* FROM (");
            let all_of = |subset: &[usize]| subset.iter().map(|i| format!("q.w{i}")).collect::<Vec<_>>().join(" && ");
            // Someone outside the network: public threads only, told apart in the index.
            let public = if viewer.sees_network() { String::new() } else { format!(" && {}", public_tsquery()) };
            for k in (1..=n).rev() {
                if k < n {
                    sql.push(" UNION ALL ");
                }
                // Each combination is its own condition so that the planner can OR their
                // index scans, each of which skips along its rarest word.
                let tier = combinations(n, k)
                    .iter()
                    .map(|subset| format!("s.document @@ ({}{public})", all_of(subset)))
                    .collect::<Vec<_>>()
                    .join(" OR ");
                sql.push(&format!(
                    "SELECT * FROM (SELECT s.thread_id AS id, {k} AS tier, ts_rank(s.document, q.any_word) AS score \
                     FROM thread_search s CROSS JOIN q WHERE ({tier})"
                ));
                if k < n {
                    let above = combinations(n, k + 1)
                        .iter()
                        .map(|subset| format!("({})", all_of(subset)))
                        .collect::<Vec<_>>()
                        .join(" || ");
                    sql.push(&format!(" AND NOT s.document @@ ({above})"));
                }
                sql.push(&format!(" ORDER BY score DESC, id DESC LIMIT {first}) tier{k}"));
            }
            // Visibility again on the suggestions themselves: the threads' table is the
            // authority, whatever the documents say.
            sql.push(&format!(" LIMIT {first}) x CROSS JOIN LATERAL (SELECT t.* FROM threads t WHERE t.id = x.id"));
            thread_conditions(&mut sql, &narrowing);
            sql.push(" OFFSET 0) t ORDER BY x.tier DESC, x.score DESC, x.id DESC");
        }
        _ => {
            significant.truncate(SIMILAR_CANDIDATE_WORDS);
            let (index, weights) = Kind::Thread.fts5(narrowing.public_only());
            let rare = rarest_indexed_words(db, index, &significant).await?;
            if rare.is_empty() {
                return Ok(Vec::new());
            }
            let n = rare.len();
            let at_least = |k: usize| {
                combinations(n, k)
                    .iter()
                    .map(|subset| {
                        let all: Vec<String> = subset.iter().map(|&i| rare[i].clone()).collect();
                        format!("({})", fts5_expression(&all, " AND "))
                    })
                    .collect::<Vec<_>>()
                    .join(" OR ")
            };
            sql.push("SELECT t.* FROM (");
            for k in (1..=n).rev() {
                if k < n {
                    sql.push(" UNION ALL ");
                }
                let expression =
                    if k == n { at_least(k) } else { format!("({}) NOT ({})", at_least(k), at_least(k + 1)) };
                sql.push(&format!(
                    "SELECT * FROM (SELECT {index}.rowid AS id, {k} AS tier, \
                     bm25({index}, {weights}) AS relevance FROM {index}"
                ));
                if restricted {
                    sql.push(" CROSS JOIN threads t");
                }
                sql.push(&format!(" WHERE {index} MATCH ")).bind(expression);
                if restricted {
                    sql.push(&format!(" AND t.id = {index}.rowid"));
                }
                thread_conditions(&mut sql, &narrowing);
                sql.push(&format!(" ORDER BY relevance, id DESC LIMIT {first})"));
            }
            sql.push(&format!(
                " LIMIT {first}) x CROSS JOIN threads t WHERE t.id = x.id ORDER BY x.tier DESC, x.relevance, x.id DESC"
            ));
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
/// `first_collaboration`: after bulk loads such as the demo data. Then compacts the
/// indexes, so that searches right after the load read one compact index: SQLite merges
/// the FTS5 segments the load wrote; PostgreSQL merges the GIN pending lists, which every
/// search would otherwise read in full until the next VACUUM.
pub async fn reindex_from(db: &impl ConnectionTrait, first_thread: i64, first_collaboration: i64) -> Result<()> {
    reindex(db, Indexed::Thread, ">=", first_thread).await?;
    reindex(db, Indexed::Collaboration, ">=", first_collaboration).await?;
    match db.get_database_backend() {
        DbBackend::Postgres => {
            // Only the index's owner may merge; anyone else leaves it to VACUUM.
            db.execute_unprepared(
                "DO $$ BEGIN \
                   PERFORM gin_clean_pending_list('ix_thread_search_document'::regclass); \
                   PERFORM gin_clean_pending_list('ix_collaboration_search_document'::regclass); \
                 EXCEPTION WHEN insufficient_privilege THEN NULL; END $$",
            )
            .await?;
        }
        _ => {
            for table in
                ["thread_search", "collaboration_search", "public_thread_search", "public_collaboration_search"]
            {
                db.execute_unprepared(&format!("INSERT INTO {table}({table}) VALUES ('optimize')")).await?;
            }
        }
    }
    Ok(())
}

#[derive(Clone, Copy)]
enum Indexed {
    Thread,
    Collaboration,
}

/// One index an object is written to: its table, key column, the start of its INSERT, the
/// SELECT of its rows (from `documents`), and whether it holds public objects only.
struct IndexPart {
    table: &'static str,
    key: &'static str,
    insert: &'static str,
    rows: &'static str,
    public_only: bool,
}

/// The indexes an object is written to on `backend`: on PostgreSQL one document table per
/// kind (public threads are marked inside it); on SQLite the FTS5 index of everything and
/// the one of public objects, which searches by people outside the network read.
fn index_parts(backend: DbBackend, what: Indexed) -> Vec<IndexPart> {
    let part = |table, key, insert, rows, public_only| IndexPart { table, key, insert, rows, public_only };
    match (backend, what) {
        (DbBackend::Postgres, Indexed::Thread) => vec![part(
            "thread_search",
            "thread_id",
            "INSERT INTO thread_search(thread_id, document) ",
            documents::POSTGRES_THREAD_ROWS,
            false,
        )],
        (DbBackend::Postgres, Indexed::Collaboration) => vec![part(
            "collaboration_search",
            "collaboration_id",
            "INSERT INTO collaboration_search(collaboration_id, document) ",
            documents::POSTGRES_COLLABORATION_ROWS,
            false,
        )],
        (_, Indexed::Thread) => vec![
            part(
                "thread_search",
                "rowid",
                "INSERT INTO thread_search(rowid, title, body, tags, replies) ",
                documents::SQLITE_THREAD_ROWS,
                false,
            ),
            part(
                "public_thread_search",
                "rowid",
                "INSERT INTO public_thread_search(rowid, title, body, tags, replies) ",
                documents::SQLITE_THREAD_ROWS,
                true,
            ),
        ],
        (_, Indexed::Collaboration) => vec![
            part(
                "collaboration_search",
                "rowid",
                "INSERT INTO collaboration_search(rowid, title, summary) ",
                documents::SQLITE_COLLABORATION_ROWS,
                false,
            ),
            part(
                "public_collaboration_search",
                "rowid",
                "INSERT INTO public_collaboration_search(rowid, title, summary) ",
                documents::SQLITE_COLLABORATION_ROWS,
                true,
            ),
        ],
    }
}

/// Replaces the index entries of the rows whose id compares to `id` as `comparison`
/// (`=` for one object, `>=` for everything from a bulk load on), in every index they
/// belong to: an object made network-only leaves the public index here.
async fn reindex(db: &impl ConnectionTrait, what: Indexed, comparison: &str, id: i64) -> Result<()> {
    let backend = db.get_database_backend();
    let alias = match what {
        Indexed::Thread => "t",
        Indexed::Collaboration => "c",
    };
    for IndexPart { table, key, insert, rows, public_only } in index_parts(backend, what) {
        let mut delete = Sql::new(backend);
        delete.push(&format!("DELETE FROM {table} WHERE {key} {comparison} ")).bind(id);
        db.execute_raw(delete.statement()).await?;
        let mut fill = Sql::new(backend);
        fill.push(insert).push(rows).push(&format!(" WHERE {alias}.id {comparison} ")).bind(id);
        if public_only {
            fill.push(&format!(" AND {alias}.visibility = 'PUBLIC'"));
        }
        db.execute_raw(fill.statement()).await?;
    }
    Ok(())
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
