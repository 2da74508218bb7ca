//! The search statements for each database: matching, visibility and filters in one
//! statement before ranking and paging, and the count from the same conditions.

use super::*;

/// SQL text with its bound values, in the placeholder style of one backend.
pub(super) struct Sql {
    backend: DbBackend,
    text: String,
    values: Vec<Value>,
}

impl Sql {
    pub(super) fn new(backend: DbBackend) -> Self {
        Self { backend, text: String::new(), values: Vec::new() }
    }

    /// Appends a placeholder bound to `value`.
    pub(super) fn bind(&mut self, value: impl Into<Value>) -> &mut Self {
        self.values.push(value.into());
        match self.backend {
            DbBackend::Postgres => self.text.push_str(&format!("${}", self.values.len())),
            _ => self.text.push('?'),
        }
        self
    }

    pub(super) fn push(&mut self, sql: &str) -> &mut Self {
        self.text.push_str(sql);
        self
    }

    pub(super) fn statement(&self) -> Statement {
        Statement::from_sql_and_values(self.backend, self.text.clone(), self.values.clone())
    }
}

/// Who searches and what the filter keeps, with the tag and partner it names looked up
/// once, so that checking a match is a few key lookups.
pub(super) struct Narrowing<'a> {
    /// Who searches.
    pub(super) viewer: &'a Viewer,
    /// What the filter keeps.
    pub(super) filter: &'a SearchFilter,
    /// The id of the tag `filter.tag` names, if it exists.
    pub(super) tag_id: Option<i64>,
    /// The id of the partner `filter.partner_slug` names, if it exists.
    pub(super) partner_id: Option<i64>,
}

impl<'a> Narrowing<'a> {
    /// Whether the searcher sees public objects only. On SQLite such a search runs on the
    /// public indexes: FTS5's statistics (word rarity and document lengths in bm25, the
    /// rarity `similar_threads` picks words by) cover every row of an index, visible or
    /// not, so on a shared index scores and suggestions would move when a network-only
    /// thread is posted, telling outsiders about words they may not see.
    pub(super) fn public_only(&self) -> bool {
        !self.viewer.sees_network()
    }

    /// Looks up the tag and partner `filter` names: one statement, only if it names any.
    pub(super) async fn resolve(
        db: &impl ConnectionTrait,
        viewer: &'a Viewer,
        filter: &'a SearchFilter,
    ) -> Result<Self> {
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
pub(super) fn thread_conditions(sql: &mut Sql, narrowing: &Narrowing) {
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
pub(super) fn collaboration_conditions(sql: &mut Sql, narrowing: &Narrowing) {
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
pub(super) fn stored<T: sea_orm::ActiveEnum<Value = String>>(value: T) -> Value {
    sea_orm::ActiveEnum::to_value(&value).into()
}

/// What a search asks for: the matching expression, per backend.
pub(super) enum Matcher {
    /// An FTS5 MATCH expression.
    Fts5(String),
    /// Text for `websearch_to_tsquery`.
    WebSearch(String),
}

pub(super) fn matcher(backend: DbBackend, text: &str) -> Option<Matcher> {
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
pub(super) const THREAD_WEIGHTS: &str = "8.0, 2.0, 6.0, 1.0";
/// SQLite: bm25 weights of a collaboration's title and summary.
pub(super) const COLLABORATION_WEIGHTS: &str = "8.0, 2.0";

/// The kinds of object a search covers, with the tables and SQL each one needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    Thread,
    Collaboration,
}

impl Kind {
    /// The objects' table and its alias in conditions.
    pub(super) fn table(self) -> (&'static str, &'static str) {
        match self {
            Self::Thread => ("threads", "t"),
            Self::Collaboration => ("collaborations", "c"),
        }
    }

    /// SQLite: the FTS5 table and its bm25 column weights; with `public`, the index of
    /// public objects alone (see [`Narrowing::public_only`]).
    pub(super) fn fts5(self, public: bool) -> (&'static str, &'static str) {
        match (self, public) {
            (Self::Thread, false) => ("thread_search", THREAD_WEIGHTS),
            (Self::Thread, true) => ("public_thread_search", THREAD_WEIGHTS),
            (Self::Collaboration, false) => ("collaboration_search", COLLABORATION_WEIGHTS),
            (Self::Collaboration, true) => ("public_collaboration_search", COLLABORATION_WEIGHTS),
        }
    }

    /// PostgreSQL: the document table and its key column.
    pub(super) fn documents(self) -> (&'static str, &'static str) {
        match self {
            Self::Thread => ("thread_search", "thread_id"),
            Self::Collaboration => ("collaboration_search", "collaboration_id"),
        }
    }

    /// PostgreSQL: the text search configuration and text of a snippet.
    pub(super) fn headline(self) -> (&'static str, &'static str) {
        match self {
            Self::Thread => (
                "CASE WHEN t.language = 'EN' THEN 'english'::regconfig ELSE 'simple'::regconfig END",
                "t.title || ' — ' || left(t.body, 3000)",
            ),
            Self::Collaboration => ("'english'::regconfig", "c.title || ' — ' || left(c.summary, 3000)"),
        }
    }

    /// Appends the visibility and filter conditions of this kind.
    pub(super) fn conditions(self, sql: &mut Sql, narrowing: &Narrowing) {
        match self {
            Self::Thread => thread_conditions(sql, narrowing),
            Self::Collaboration => collaboration_conditions(sql, narrowing),
        }
    }

    /// Whether visibility or the filter restrict this kind beyond the text match, so that
    /// matching needs the objects' table and not only the index.
    pub(super) fn restricted(self, backend: DbBackend, narrowing: &Narrowing) -> bool {
        let mut probe = Sql::new(backend);
        self.conditions(&mut probe, narrowing);
        !probe.text.is_empty()
    }
}

/// What a statement over the matches of one kind selects.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Selecting {
    /// `id` and `score` of every match.
    Scores,
    /// Their number.
    Count,
}

/// PostgreSQL: the `q` CTE holding the query, English-stemmed or word for word.
pub(super) fn push_postgres_query(sql: &mut Sql, text: &str) {
    sql.push("q AS (SELECT websearch_to_tsquery('english', ")
        .bind(text.to_owned())
        .push(") || websearch_to_tsquery('simple', ")
        .bind(text.to_owned())
        .push(") AS query)");
}

/// PostgreSQL: the tsquery of the lexeme that public threads' documents carry.
pub(super) fn public_tsquery() -> String {
    format!("'''{}'''::tsquery", documents::POSTGRES_PUBLIC_LEXEME)
}

/// Whether `filter` narrows threads beyond visibility.
pub(super) fn filters_threads(filter: &SearchFilter) -> bool {
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
pub(super) fn push_matches(sql: &mut Sql, kind: Kind, matcher: &Matcher, selecting: Selecting, narrowing: &Narrowing) {
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
pub(super) fn page_statement(
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
pub(super) fn count_statement(kind: Kind, matcher: &Matcher, narrowing: &Narrowing, backend: DbBackend) -> Sql {
    let mut sql = Sql::new(backend);
    if let Matcher::WebSearch(text) = matcher {
        sql.push("WITH ");
        push_postgres_query(&mut sql, text);
        sql.push(" ");
    }
    push_matches(&mut sql, kind, matcher, Selecting::Count, narrowing);
    sql
}
