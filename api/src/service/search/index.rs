//! Keeping the search indexes current, in the same transaction as each write.

use super::*;

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
pub(super) enum Indexed {
    Thread,
    Collaboration,
}

/// One index an object is written to: its table, key column, the start of its INSERT, the
/// SELECT of its rows (from `documents`), and whether it holds public objects only.
pub(super) struct IndexPart {
    table: &'static str,
    key: &'static str,
    insert: &'static str,
    rows: &'static str,
    public_only: bool,
}

/// The indexes an object is written to on `backend`: on PostgreSQL one document table per
/// kind (public threads are marked inside it); on SQLite the FTS5 index of everything and
/// the one of public objects, which searches by people outside the network read.
pub(super) fn index_parts(backend: DbBackend, what: Indexed) -> Vec<IndexPart> {
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
pub(super) async fn reindex(db: &impl ConnectionTrait, what: Indexed, comparison: &str, id: i64) -> Result<()> {
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
