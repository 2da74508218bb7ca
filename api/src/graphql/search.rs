//! Discovery as GraphQL: `search` over threads and collaborations, and
//! `similarThreads`, the "has this been asked already?" suggestion.

use async_graphql::connection::{Connection, Edge};
use async_graphql::{Context, Enum, InputObject, Object, SimpleObject, Union};
use chrono::{DateTime, Utc};

use crate::graphql::collaborations::Collaboration;
use crate::graphql::connection::{ListTotal, OpaqueCursor, page_request};
use crate::graphql::threads::Thread;
use crate::graphql::vocabulary::{Language, Nation, ThreadKind, ThreadStatus};
use crate::graphql::{OrGraphql, db, prefetch, request};
use crate::service::search::{self, Found};

/// A search result: a thread or a collaboration.
#[derive(Union)]
pub enum SearchResult {
    /// A thread.
    Thread(Thread),
    /// A collaboration.
    Collaboration(Collaboration),
}

/// Why an edge matched.
#[derive(SimpleObject)]
pub struct SearchMatch {
    /// An HTML-safe extract of the match: text escaped, matching words in `<mark>`.
    pub snippet: String,
    /// Relevance, higher is better; comparable within one response.
    pub score: f64,
}

/// The search connection: edges carry `snippet` and `score`.
pub type SearchConnection = Connection<OpaqueCursor, SearchResult, ListTotal, SearchMatch>;

/// What a search covers.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Default)]
#[graphql(remote = "search::SearchScope")]
pub enum SearchScope {
    /// Threads and collaborations.
    #[default]
    Everything,
    /// Threads only.
    Threads,
    /// Collaborations only.
    Collaborations,
}

/// Narrows a search. Thread-only filters (kind, status, tag, language) leave
/// collaborations out.
#[derive(InputObject, Default)]
pub struct SearchFilter {
    /// Threads, collaborations or both.
    #[graphql(default)]
    pub scope: SearchScope,
    /// Only threads of this kind.
    pub kind: Option<ThreadKind>,
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

/// The discovery queries.
#[derive(Default)]
pub struct SearchQuery;

#[Object]
impl SearchQuery {
    /// Full-text search over threads (title, body, tags, replies) and collaborations
    /// (title, summary) the caller may see, best first. Any text is safe to send. Pages
    /// reach the best 1,000 matches; `totalCount` counts them all.
    #[graphql(complexity = "crate::graphql::limits::SCAN_COST
        + (first.unwrap_or(20).clamp(1, 100) as usize).saturating_mul(child_complexity.max(1))")]
    async fn search(
        &self,
        ctx: &Context<'_>,
        query: String,
        first: Option<i32>,
        after: Option<String>,
        filter: Option<SearchFilter>,
    ) -> async_graphql::Result<SearchConnection> {
        let page_request = page_request(ctx, first, after.as_deref())?;
        let filter = filter.unwrap_or_default();
        let filter = search::SearchFilter {
            scope: filter.scope.into(),
            thread_kind: filter.kind.map(Into::into),
            status: filter.status.map(Into::into),
            tag: filter.tag,
            language: filter.language.map(Into::into),
            partner_slug: filter.partner_slug,
            nation: filter.nation.map(Into::into),
            created_after: filter.created_after,
            created_before: filter.created_before,
        };
        let page = search::search(db(ctx)?, &request(ctx)?.viewer, &query, &filter, &page_request).await.gql()?;
        let (mut found_threads, mut found_collaborations) = (Vec::new(), Vec::new());
        for (_, hit) in &page.items {
            match &hit.found {
                Found::Thread(t) => found_threads.push(t.clone()),
                Found::Collaboration(c) => found_collaborations.push(c.clone()),
            }
        }
        prefetch::threads(ctx, ctx.look_ahead(), &found_threads).await?;
        prefetch::collaborations(ctx, ctx.look_ahead(), &found_collaborations).await?;
        let mut connection =
            Connection::with_additional_fields(page.has_previous_page, page.has_next_page, ListTotal::new(page.total));
        connection.edges.extend(page.items.into_iter().map(|(cursor, hit)| {
            let node = match hit.found {
                Found::Thread(t) => SearchResult::Thread(Thread(t)),
                Found::Collaboration(c) => SearchResult::Collaboration(Collaboration(c)),
            };
            Edge::with_additional_fields(
                OpaqueCursor(cursor),
                node,
                SearchMatch { snippet: hit.snippet, score: hit.score },
            )
        }));
        Ok(connection)
    }

    /// Threads like `text`, for showing someone about to post a question what has been
    /// asked already.
    #[graphql(complexity = "crate::graphql::limits::SCAN_COST
        + (first.clamp(1, 20) as usize).saturating_mul(child_complexity.max(1))")]
    async fn similar_threads(
        &self,
        ctx: &Context<'_>,
        text: String,
        #[graphql(default = 5, validator(minimum = 1, maximum = 20))] first: i32,
    ) -> async_graphql::Result<Vec<Thread>> {
        let rows = search::similar_threads(db(ctx)?, &request(ctx)?.viewer, &text, first as u64).await.gql()?;
        prefetch::threads(ctx, ctx.look_ahead(), &rows).await?;
        Ok(rows.into_iter().map(Thread).collect())
    }
}
