//! Two things that searching and filtering threads must not get wrong.
//!
//! - `threads.title_folded`: each title folded by [`crate::folding::fold`], so that
//!   `titleContains` ignores case beyond ASCII on both databases (SQLite's `lower()` and
//!   `LIKE` fold ASCII only; PostgreSQL's `lower()` depends on the database's ctype). The
//!   API writes it with every title; this step fills it, in Rust, for the threads already
//!   stored.
//! - SQLite only: FTS5 indexes of public threads and collaborations alone
//!   (`public_thread_search`, `public_collaboration_search`), for searches by people
//!   outside the network. FTS5's statistics (bm25's word rarity and document lengths)
//!   cover every row of an index, visible or not, so on the shared indexes an anonymous
//!   caller's scores moved when a network-only thread was posted. The API writes them in
//!   each write's transaction, as it writes the shared ones; triggers take an object out
//!   or put it in when its visibility flips and drop it when it is deleted, whatever code
//!   path does that. PostgreSQL needs nothing: `ts_rank` reads one document at a time.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

use crate::folding::fold;
use crate::search::{SQLITE_COLLABORATION_ROWS, SQLITE_THREAD_ROWS};

/// This step.
#[derive(DeriveMigrationName)]
pub struct Migration;

/// How many threads one statement folds while filling `title_folded`.
const BATCH: u64 = 500;

/// The FTS5 options of every search index (as in the step that created the first ones).
const TOKENIZE: &str = "tokenize = 'porter unicode61 remove_diacritics 2'";

/// SQLite: the triggers that keep the public indexes right when visibility flips or an
/// object is deleted.
fn sqlite_triggers() -> [String; 4] {
    [
        format!(
            "CREATE TRIGGER threads_public_search_visibility AFTER UPDATE OF visibility ON threads \
             WHEN NEW.visibility IS NOT OLD.visibility BEGIN \
             DELETE FROM public_thread_search WHERE rowid = NEW.id; \
             INSERT INTO public_thread_search(rowid, title, body, tags, replies) {SQLITE_THREAD_ROWS} \
             WHERE t.id = NEW.id AND t.visibility = 'PUBLIC'; \
             END"
        ),
        "CREATE TRIGGER threads_public_search_delete AFTER DELETE ON threads BEGIN \
         DELETE FROM public_thread_search WHERE rowid = OLD.id; \
         END"
        .to_owned(),
        format!(
            "CREATE TRIGGER collaborations_public_search_visibility AFTER UPDATE OF visibility ON collaborations \
             WHEN NEW.visibility IS NOT OLD.visibility BEGIN \
             DELETE FROM public_collaboration_search WHERE rowid = NEW.id; \
             INSERT INTO public_collaboration_search(rowid, title, summary) {SQLITE_COLLABORATION_ROWS} \
             WHERE c.id = NEW.id AND c.visibility = 'PUBLIC'; \
             END"
        ),
        "CREATE TRIGGER collaborations_public_search_delete AFTER DELETE ON collaborations BEGIN \
         DELETE FROM public_collaboration_search WHERE rowid = OLD.id; \
         END"
        .to_owned(),
    ]
}

/// SQLite: creates the public indexes and fills them with what is public now.
async fn create_public_indexes(db: &impl ConnectionTrait) -> Result<(), DbErr> {
    let statements = [
        format!("CREATE VIRTUAL TABLE public_thread_search USING fts5(title, body, tags, replies, {TOKENIZE})"),
        format!("CREATE VIRTUAL TABLE public_collaboration_search USING fts5(title, summary, {TOKENIZE})"),
        format!(
            "INSERT INTO public_thread_search(rowid, title, body, tags, replies) {SQLITE_THREAD_ROWS} \
             WHERE t.visibility = 'PUBLIC'"
        ),
        format!(
            "INSERT INTO public_collaboration_search(rowid, title, summary) {SQLITE_COLLABORATION_ROWS} \
             WHERE c.visibility = 'PUBLIC'"
        ),
    ];
    for statement in statements.iter().chain(sqlite_triggers().iter()) {
        db.execute_unprepared(statement).await?;
    }
    Ok(())
}

/// Fills `title_folded` for every stored thread, a batch of ids at a time, each batch one
/// `UPDATE … SET title_folded = CASE id WHEN … END`.
async fn fold_stored_titles(db: &impl ConnectionTrait) -> Result<(), DbErr> {
    let mut after = 0_i64;
    loop {
        let batch = Query::select()
            .columns(["id", "title"])
            .from("threads")
            .and_where(Expr::col("id").gt(after))
            .order_by("id", Order::Asc)
            .limit(BATCH)
            .to_owned();
        let rows = db.query_all(&batch).await?;
        if rows.is_empty() {
            return Ok(());
        }
        let mut folded = CaseStatement::new();
        let mut ids = Vec::with_capacity(rows.len());
        for row in &rows {
            let id: i64 = row.try_get("", "id")?;
            let title: String = row.try_get("", "title")?;
            folded = folded.case(Expr::col("id").eq(id), fold(&title));
            ids.push(id);
            after = Ord::max(after, id);
        }
        let update = Query::update()
            .table("threads")
            .value("title_folded", folded.finally(Expr::col("title_folded")))
            .and_where(Expr::col("id").is_in(ids))
            .to_owned();
        db.execute(&update).await?;
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        db.execute_unprepared("ALTER TABLE threads ADD COLUMN title_folded TEXT NOT NULL DEFAULT ''").await?;
        fold_stored_titles(db).await?;
        if manager.get_database_backend() != DbBackend::Postgres {
            create_public_indexes(db).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        if manager.get_database_backend() != DbBackend::Postgres {
            for statement in [
                "DROP TRIGGER IF EXISTS collaborations_public_search_delete",
                "DROP TRIGGER IF EXISTS collaborations_public_search_visibility",
                "DROP TRIGGER IF EXISTS threads_public_search_delete",
                "DROP TRIGGER IF EXISTS threads_public_search_visibility",
                "DROP TABLE IF EXISTS public_collaboration_search",
                "DROP TABLE IF EXISTS public_thread_search",
            ] {
                db.execute_unprepared(statement).await?;
            }
        }
        db.execute_unprepared("ALTER TABLE threads DROP COLUMN title_folded").await?;
        Ok(())
    }
}
