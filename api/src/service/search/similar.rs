//! "Has this been asked already?": threads that share the most significant words with a
//! draft, searched in tiers and stopped as soon as there are enough.

use super::*;

/// PostgreSQL: how many of a draft's significant words `similar_threads` matches on.
pub(super) const SIMILAR_WORDS: usize = 6;
/// SQLite: how many of a draft's significant words are looked up in the index to find
/// the rarest ones.
pub(super) const SIMILAR_CANDIDATE_WORDS: usize = 8;
/// SQLite: how many of the rarest of those `similar_threads` matches on. Fewer than on
/// PostgreSQL because bm25 looks up every word of every combination in the index.
pub(super) const SIMILAR_RARE_WORDS: usize = 4;

/// Every `k`-element subset of `0..n`, in lexicographic order.
pub(super) fn combinations(n: usize, k: usize) -> Vec<Vec<usize>> {
    pub(super) fn extend(start: usize, n: usize, k: usize, current: &mut Vec<usize>, out: &mut Vec<Vec<usize>>) {
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
pub(super) fn significant_words(text: &str) -> Vec<String> {
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
pub(super) async fn rarest_indexed_words(
    db: &impl ConnectionTrait,
    index: &str,
    words: &[String],
) -> Result<Vec<String>> {
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
