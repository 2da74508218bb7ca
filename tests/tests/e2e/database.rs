//! How the embedded database is opened.

use sea_orm::{ConnectionTrait, Statement};

use crate::support::{Backend, TestDb};

#[tokio::test]
async fn sqlite_runs_in_wal_mode_with_foreign_keys_and_a_busy_timeout() {
    let database = TestDb::create(Backend::Sqlite).await.expect("SQLite");
    let db = lkn_api::prepare_database(&database.settings).await.expect("prepare");
    let pragma = async |name: &str| -> String {
        let row = db
            .query_one_raw(Statement::from_string(db.get_database_backend(), format!("PRAGMA {name}")))
            .await
            .expect("pragma")
            .expect("row");
        row.try_get_by_index::<String>(0)
            .or_else(|_| row.try_get_by_index::<i64>(0).map(|n| n.to_string()))
            .expect("value")
    };
    assert_eq!(pragma("journal_mode").await, "wal");
    assert_eq!(pragma("foreign_keys").await, "1");
    assert_eq!(pragma("busy_timeout").await, "5000");
    db.close().await.ok();
    database.drop_database().await;
}
