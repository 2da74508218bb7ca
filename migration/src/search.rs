//! How a thread or collaboration becomes a search document, shared by the migration
//! that creates the indexes and by the API, which re-indexes an object inside each
//! write's transaction. Each constant selects `(id, …document…)` rows and ends before
//! any `WHERE`, so callers append the rows they want.

/// SQLite: `(rowid, title, body, tags, replies)` rows of `thread_search`.
pub const SQLITE_THREAD_ROWS: &str = "SELECT t.id, t.title, t.body, \
    COALESCE((SELECT group_concat(g.name, ' ') FROM thread_tags tt JOIN tags g ON g.id = tt.tag_id WHERE tt.thread_id = t.id), ''), \
    COALESCE((SELECT group_concat(r.body, ' ') FROM replies r WHERE r.thread_id = t.id), '') \
    FROM threads t";

/// SQLite: `(rowid, title, summary)` rows of `collaboration_search`.
pub const SQLITE_COLLABORATION_ROWS: &str = "SELECT c.id, c.title, c.summary FROM collaborations c";

/// PostgreSQL: a lexeme in the document of every public thread, so that a search by
/// someone outside the network finds public threads in the GIN index alone instead of
/// looking up every match's thread. It contains a space, which no parsed text yields, so
/// no search text can match it. `threads.visibility` stays the authority: searches check
/// it again on the rows they return. [`POSTGRES_THREAD_ROWS`] spells it out too.
pub const POSTGRES_PUBLIC_LEXEME: &str = "lkn public";

/// PostgreSQL: `(thread_id, document)` rows of `thread_search`. English threads are
/// stemmed; threads in Welsh, Gaelic and Irish are indexed word for word. Public threads
/// also carry [`POSTGRES_PUBLIC_LEXEME`].
pub const POSTGRES_THREAD_ROWS: &str = "SELECT t.id, \
    setweight(to_tsvector(CASE WHEN t.language = 'EN' THEN 'english'::regconfig ELSE 'simple'::regconfig END, t.title), 'A') || \
    setweight(to_tsvector('simple', COALESCE((SELECT string_agg(g.name, ' ') FROM thread_tags tt JOIN tags g ON g.id = tt.tag_id WHERE tt.thread_id = t.id), '')), 'A') || \
    setweight(to_tsvector(CASE WHEN t.language = 'EN' THEN 'english'::regconfig ELSE 'simple'::regconfig END, t.body), 'B') || \
    setweight(to_tsvector(CASE WHEN t.language = 'EN' THEN 'english'::regconfig ELSE 'simple'::regconfig END, \
      COALESCE((SELECT string_agg(r.body, ' ') FROM replies r WHERE r.thread_id = t.id), '')), 'C') || \
    CASE WHEN t.visibility = 'PUBLIC' THEN array_to_tsvector(ARRAY['lkn public']) ELSE ''::tsvector END \
    FROM threads t";

/// PostgreSQL: `(collaboration_id, document)` rows of `collaboration_search`.
pub const POSTGRES_COLLABORATION_ROWS: &str = "SELECT c.id, \
    setweight(to_tsvector('english', c.title), 'A') || setweight(to_tsvector('english', c.summary), 'B') \
    FROM collaborations c";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_threads_carry_the_public_lexeme() {
        assert!(POSTGRES_THREAD_ROWS.contains(&format!("ARRAY['{POSTGRES_PUBLIC_LEXEME}']")));
    }
}
