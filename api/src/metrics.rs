//! Counters for `/metrics` (Prometheus text format), and the per-request count of SQL
//! statements that shows whether a query is batched or N+1.
//!
//! Every statement sea-orm runs passes through one callback, which bumps the process
//! total and, when the statement runs on behalf of a request, that request's own count.
//! The request's count travels in a task-local, which the DataLoader's spawner carries
//! into its batch tasks.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use sea_orm::DatabaseConnection;

tokio::task_local! {
    static REQUEST_STATEMENTS: Arc<AtomicU64>;
}

/// The process's counters.
#[derive(Debug, Default)]
pub struct Metrics {
    statements: AtomicU64,
    failed_statements: AtomicU64,
    graphql_requests: AtomicU64,
    graphql_errors: AtomicU64,
}

impl Metrics {
    /// Counts every statement `db` runs from now on. Clones of `db` made afterwards share the count.
    pub fn observe(self: &Arc<Self>, db: &mut DatabaseConnection) {
        let metrics = Arc::clone(self);
        db.set_metric_callback(move |info| {
            metrics.statements.fetch_add(1, Ordering::Relaxed);
            if info.failed {
                metrics.failed_statements.fetch_add(1, Ordering::Relaxed);
            }
            let _ = REQUEST_STATEMENTS.try_with(|count| count.fetch_add(1, Ordering::Relaxed));
        });
    }

    /// Records one GraphQL request and whether it returned errors.
    pub fn graphql_request(&self, had_errors: bool) {
        self.graphql_requests.fetch_add(1, Ordering::Relaxed);
        if had_errors {
            self.graphql_errors.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// The counters in Prometheus text format.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let mut counter = |name: &str, help: &str, value: u64| {
            out.push_str(&format!("# HELP {name} {help}\n# TYPE {name} counter\n{name} {value}\n"));
        };
        counter("lkn_db_statements_total", "SQL statements run.", self.statements.load(Ordering::Relaxed));
        counter(
            "lkn_db_failed_statements_total",
            "SQL statements that failed.",
            self.failed_statements.load(Ordering::Relaxed),
        );
        counter(
            "lkn_graphql_requests_total",
            "GraphQL requests executed.",
            self.graphql_requests.load(Ordering::Relaxed),
        );
        counter(
            "lkn_graphql_error_responses_total",
            "GraphQL responses carrying errors.",
            self.graphql_errors.load(Ordering::Relaxed),
        );
        out
    }
}

/// Runs `work`, counting the statements it (and the batch tasks it spawns) runs.
pub async fn counting_statements<F: Future>(work: F) -> (F::Output, u64) {
    let count = Arc::new(AtomicU64::new(0));
    let output = REQUEST_STATEMENTS.scope(Arc::clone(&count), work).await;
    (output, count.load(Ordering::Relaxed))
}

/// Spawns `work` so that its statements count toward the current request, if any.
pub fn spawn_counted<F>(work: F) -> tokio::task::JoinHandle<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    match REQUEST_STATEMENTS.try_with(Arc::clone) {
        Ok(count) => tokio::spawn(REQUEST_STATEMENTS.scope(count, work)),
        Err(_) => tokio::spawn(work),
    }
}
