//! Knowledge-exchange threads and their replies and tags: the read side.
//!
//! Visibility is part of every query here, never a filter applied after paging: an
//! anonymous caller or the bot alone gets PUBLIC threads only, wherever the thread is
//! reached from.

use std::collections::HashMap;

use lkn_entity::vocabulary::{Language, ThreadKind, ThreadStatus, Visibility};
use lkn_entity::{partner, reply, tag, thread, thread_tag};
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, FromQueryResult, JoinType, Order, QueryFilter, QueryOrder,
    QuerySelect, QueryTrait, RelationDef, Statement,
};

use crate::error::Result;
use crate::service::page::{self, Cursor, KeyKind, Page, PageRequest, SortKey, TotalCount};
use crate::service::viewer::Viewer;

/// The orders a thread feed can take.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ThreadOrder {
    /// Newest first.
    #[default]
    Newest,
    /// Most recently posted or replied to first.
    RecentlyActive,
    /// Most endorsed first.
    MostEndorsed,
    /// Threads with no replies first, newest first among them.
    UnansweredFirst,
}

/// Which threads a feed or a live `threadPosted` subscription shows. One definition for
/// both: the feed runs [`Self::condition`] over the table, and a subscriber asks
/// [`matching_by_id`], which runs the same condition on the one thread just posted.
#[derive(Debug, Clone, Default)]
pub struct ThreadFilter {
    /// Only this kind.
    pub kind: Option<ThreadKind>,
    /// Only this status.
    pub status: Option<ThreadStatus>,
    /// Only threads carrying this tag.
    pub tag: Option<String>,
    /// Only threads from this partner.
    pub partner_slug: Option<String>,
    /// Only threads in this language.
    pub language: Option<Language>,
    /// Only threads whose title contains this text, ignoring case.
    pub title_contains: Option<String>,
}

impl ThreadFilter {
    /// The text looked for in titles, if there is any.
    fn title_text(&self) -> Option<&str> {
        self.title_contains.as_deref().map(str::trim).filter(|t| !t.is_empty())
    }

    /// Whether the filter lets every thread through (a feed can then use a stored count).
    pub fn is_empty(&self) -> bool {
        self.kind.is_none()
            && self.status.is_none()
            && self.language.is_none()
            && self.partner_slug.is_none()
            && self.tag.is_none()
            && self.title_text().is_none()
    }

    /// The filter as a condition on `threads`.
    pub fn condition(&self) -> Condition {
        let mut condition = Condition::all();
        if let Some(kind) = self.kind {
            condition = condition.add(thread::Column::Kind.eq(kind));
        }
        if let Some(status) = self.status {
            condition = condition.add(thread::Column::Status.eq(status));
        }
        if let Some(language) = self.language {
            condition = condition.add(thread::Column::Language.eq(language));
        }
        if let Some(slug) = &self.partner_slug {
            condition = condition.add(
                thread::Column::PartnerId.in_subquery(
                    Query::select()
                        .column(partner::Column::Id)
                        .from(partner::Entity)
                        .and_where(partner::Column::Slug.eq(slug.as_str()))
                        .to_owned(),
                ),
            );
        }
        if let Some(name) = &self.tag {
            condition = condition.add(
                thread::Column::Id.in_subquery(
                    Query::select()
                        .column((thread_tag::Entity, thread_tag::Column::ThreadId))
                        .from(thread_tag::Entity)
                        .inner_join(
                            tag::Entity,
                            Expr::col((tag::Entity, tag::Column::Id))
                                .equals((thread_tag::Entity, thread_tag::Column::TagId)),
                        )
                        .and_where(Expr::col((tag::Entity, tag::Column::Name)).eq(name.trim().to_lowercase()))
                        .to_owned(),
                ),
            );
        }
        if let Some(text) = self.title_text() {
            let pattern = format!("%{}%", escape_like(&fold_title(text)));
            condition = condition.add(
                Expr::col(thread::Column::TitleFolded).like(sea_orm::sea_query::LikeExpr::new(pattern).escape('\\')),
            );
        }
        condition
    }
}

/// Which threads a feed shows, in which order.
#[derive(Debug, Clone, Default)]
pub struct ThreadQuery {
    /// Which threads.
    pub filter: ThreadFilter,
    /// The order of the feed.
    pub order: ThreadOrder,
}

/// The condition that limits threads to what `viewer` may see.
pub fn visible_to(viewer: &Viewer) -> Condition {
    if viewer.sees_network() {
        Condition::all()
    } else {
        Condition::all().add(thread::Column::Visibility.eq(Visibility::Public))
    }
}

/// A feed of threads, filtered and ordered, a page at a time.
#[tracing::instrument(skip(db, viewer))]
pub async fn list(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    query: &ThreadQuery,
    request: &PageRequest,
) -> Result<Page<thread::Model>> {
    let mut select = thread::Entity::find().filter(visible_to(viewer)).filter(query.filter.condition());
    let filtered = select.clone().into_query();
    let id = || Expr::col((thread::Entity, thread::Column::Id));
    let key = match query.order {
        ThreadOrder::Newest => None,
        ThreadOrder::RecentlyActive => Some((Expr::col(thread::Column::LastActivityAt), Order::Desc, KeyKind::Time)),
        ThreadOrder::MostEndorsed => Some((Expr::col(thread::Column::EndorsementCount), Order::Desc, KeyKind::Int)),
        ThreadOrder::UnansweredFirst => Some((Expr::col(thread::Column::ReplyCount), Order::Asc, KeyKind::Int)),
    };
    if let Some(cursor) = &request.after {
        select = select.filter(page::after(cursor, key.clone(), id(), Order::Desc)?);
    }
    if let Some((key, key_order, _)) = key {
        select = select.order_by(key, key_order);
    }
    let ordered = select.order_by_desc(thread::Column::Id).limit(request.first + 1).into_query();
    let unfiltered = query.filter.is_empty();
    let (rows, total) = if unfiltered {
        let count = page::stored_count(if viewer.sees_network() { "threads" } else { "threads:public" });
        page::fetch_counted(db, request, count, ordered).await?
    } else {
        page::fetch(db, request, filtered, ordered).await?
    };
    let order = query.order;
    Ok(Page::from_rows(request, rows, move |t| cursor_of(order, t), total))
}

fn cursor_of(order: ThreadOrder, t: &thread::Model) -> Cursor {
    let key = match order {
        ThreadOrder::Newest => None,
        ThreadOrder::RecentlyActive => Some(SortKey::Time(t.last_activity_at)),
        ThreadOrder::MostEndorsed => Some(SortKey::Int(t.endorsement_count.into())),
        ThreadOrder::UnansweredFirst => Some(SortKey::Int(t.reply_count.into())),
    };
    Cursor { key, id: t.id }
}

/// Folds a title, or text looked for in titles, for matching regardless of case in any
/// script (`ÉCOLE` finds `école`, `Ŵ` finds `ŵ`). The one folding the API uses: for the
/// `title_folded` stored with every title written, for the feed's `titleContains` and for
/// the live `threadPosted` filter, so all three agree. The rule lives in the migration
/// crate, which needs it to fold the titles stored before the column existed.
pub fn fold_title(text: &str) -> String {
    lkn_migration::folding::fold(text)
}

/// Escapes `%`, `_` and `\` so user text matches literally inside `LIKE`.
pub fn escape_like(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Threads by id that `viewer` may see; the rest are simply absent.
pub async fn visible_by_ids(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    ids: &[i64],
) -> Result<HashMap<i64, thread::Model>> {
    let rows = thread::Entity::find()
        .filter(thread::Column::Id.is_in(ids.iter().copied()))
        .filter(visible_to(viewer))
        .all(db)
        .await?;
    Ok(rows.into_iter().map(|t| (t.id, t)).collect())
}

/// The thread `id` if `viewer` may see it and `filter` matches it: how a live
/// subscription decides, by the very condition the feed uses.
pub async fn matching_by_id(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    filter: &ThreadFilter,
    id: i64,
) -> Result<Option<thread::Model>> {
    Ok(thread::Entity::find_by_id(id).filter(visible_to(viewer)).filter(filter.condition()).one(db).await?)
}

/// One thread if `viewer` may see it.
pub async fn visible_by_id(db: &impl ConnectionTrait, viewer: &Viewer, id: i64) -> Result<Option<thread::Model>> {
    Ok(visible_by_ids(db, viewer, &[id]).await?.remove(&id))
}

/// Replies by id that `viewer` may see — those in threads `viewer` may see; the rest
/// are simply absent. The one place the visibility of a reply is decided.
pub async fn visible_replies_by_ids(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    ids: impl IntoIterator<Item = i64>,
) -> Result<Vec<reply::Model>> {
    Ok(reply::Entity::find()
        .filter(reply::Column::Id.is_in(ids))
        .filter(reply::Column::ThreadId.in_subquery(
            Query::select().column(thread::Column::Id).from(thread::Entity).cond_where(visible_to(viewer)).to_owned(),
        ))
        .all(db)
        .await?)
}

/// One reply if `viewer` may see it.
pub async fn visible_reply(db: &impl ConnectionTrait, viewer: &Viewer, id: i64) -> Result<Option<reply::Model>> {
    Ok(visible_replies_by_ids(db, viewer, [id]).await?.pop())
}

/// A thread's replies, oldest first, a page at a time. The caller has already checked
/// that the thread is visible.
pub async fn replies(db: &impl ConnectionTrait, thread_id: i64, request: &PageRequest) -> Result<Page<reply::Model>> {
    let mut select = reply::Entity::find().filter(reply::Column::ThreadId.eq(thread_id));
    let total = TotalCount::of(db, select.clone().into_query());
    if let Some(cursor) = &request.after {
        select = select.filter(page::after(cursor, None, Expr::col(reply::Column::Id), Order::Asc)?);
    }
    let rows = select.order_by_asc(reply::Column::Id).limit(request.first + 1).all(db).await?;
    Ok(Page::from_rows(request, rows, |r| Cursor { key: None, id: r.id }, total))
}

/// The first `limit` replies of each thread, in one statement however many threads.
pub async fn first_replies(
    db: &impl ConnectionTrait,
    thread_ids: &[i64],
    limit: u64,
) -> Result<HashMap<i64, Vec<reply::Model>>> {
    if thread_ids.is_empty() {
        return Ok(HashMap::new());
    }
    let backend = db.get_database_backend();
    let placeholders = placeholders(backend, thread_ids.len(), 1);
    let sql = format!(
        "SELECT id, thread_id, author_id, body, is_accepted, created_at FROM ( \
           SELECT r.*, ROW_NUMBER() OVER (PARTITION BY r.thread_id ORDER BY r.id) AS position \
           FROM replies r WHERE r.thread_id IN ({placeholders}) \
         ) ranked WHERE position <= {limit} ORDER BY thread_id, id"
    );
    let values = thread_ids.iter().map(|id| (*id).into());
    let rows = reply::Model::find_by_statement(Statement::from_sql_and_values(backend, sql, values)).all(db).await?;
    let mut grouped: HashMap<i64, Vec<reply::Model>> = HashMap::new();
    for row in rows {
        grouped.entry(row.thread_id).or_default().push(row);
    }
    Ok(grouped)
}

/// `$1, $2, …` or `?, ?, …` for `n` values starting at `first`.
pub fn placeholders(backend: sea_orm::DbBackend, n: usize, first: usize) -> String {
    (first..first + n)
        .map(|i| match backend {
            sea_orm::DbBackend::Postgres => format!("${i}"),
            _ => "?".to_owned(),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The tag names of each thread, in one statement.
pub async fn tags_of(db: &impl ConnectionTrait, thread_ids: &[i64]) -> Result<HashMap<i64, Vec<String>>> {
    #[derive(FromQueryResult)]
    struct Row {
        thread_id: i64,
        name: String,
    }
    let rows = thread_tag::Entity::find()
        .select_only()
        .column(thread_tag::Column::ThreadId)
        .column(tag::Column::Name)
        .join(JoinType::InnerJoin, tag_join())
        .filter(thread_tag::Column::ThreadId.is_in(thread_ids.iter().copied()))
        .order_by_asc(tag::Column::Name)
        .into_model::<Row>()
        .all(db)
        .await?;
    let mut grouped: HashMap<i64, Vec<String>> = HashMap::new();
    for row in rows {
        grouped.entry(row.thread_id).or_default().push(row.name);
    }
    Ok(grouped)
}

fn tag_join() -> RelationDef {
    thread_tag::Entity::belongs_to(tag::Entity).from(thread_tag::Column::TagId).to(tag::Column::Id).into()
}

/// A tag with the number of threads the caller can see that carry it.
#[derive(Debug, Clone, FromQueryResult)]
pub struct TagUsage {
    /// The tag's name.
    pub name: String,
    /// Visible threads carrying it.
    pub thread_count: i64,
}

/// The most used tags, most used first.
#[tracing::instrument(skip(db, viewer))]
pub async fn tag_usage(db: &impl ConnectionTrait, viewer: &Viewer, first: u64) -> Result<Vec<TagUsage>> {
    let mut select = thread_tag::Entity::find()
        .select_only()
        .column(tag::Column::Name)
        .column_as(Expr::col((thread_tag::Entity, thread_tag::Column::ThreadId)).count(), "thread_count")
        .join(JoinType::InnerJoin, tag_join());
    if !viewer.sees_network() {
        select = select
            .join(
                JoinType::InnerJoin,
                thread_tag::Entity::belongs_to(thread::Entity)
                    .from(thread_tag::Column::ThreadId)
                    .to(thread::Column::Id)
                    .into(),
            )
            .filter(thread::Column::Visibility.eq(Visibility::Public));
    }
    Ok(select
        .group_by(tag::Column::Name)
        .order_by_desc(Expr::cust("thread_count"))
        .order_by_asc(tag::Column::Name)
        .limit(first)
        .into_model::<TagUsage>()
        .all(db)
        .await?)
}
