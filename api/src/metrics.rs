//! Counters for `/metrics` (Prometheus text format), and the per-request count of SQL
//! statements that shows whether a query is batched or N+1.
//!
//! Every statement sea-orm runs passes through one callback, which bumps the process
//! total and, when the statement runs on behalf of a request, that request's own count.
//! The request's count travels in a task-local, which the DataLoader's spawner carries
//! into its batch tasks.

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use sea_orm::DatabaseConnection;

tokio::task_local! {
    static REQUEST_STATEMENTS: Arc<AtomicU64>;
}

/// Upper bounds (seconds) of the request latency histogram's buckets.
const LATENCY_BUCKETS: [f64; 12] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0];
/// Most distinct operation names kept as labels; others count as `other`.
const MAX_OPERATION_LABELS: usize = 200;

/// The process's counters.
#[derive(Debug, Default)]
pub struct Metrics {
    statements: AtomicU64,
    failed_statements: AtomicU64,
    latency_buckets: [AtomicU64; LATENCY_BUCKETS.len()],
    latency_count: AtomicU64,
    latency_sum_micros: AtomicU64,
    requests: Mutex<BTreeMap<(String, &'static str), u64>>,
    errors: Mutex<BTreeMap<String, u64>>,
    active_subscriptions: AtomicU64,
}

/// How one GraphQL request ended, for the metrics.
#[derive(Debug, Clone)]
pub struct RequestOutcome<'a> {
    /// The operation name the client gave, if any.
    pub operation: Option<&'a str>,
    /// The `extensions.code` of each error in the response.
    pub error_codes: Vec<&'a str>,
    /// Time from arrival to response.
    pub elapsed: Duration,
}

fn operation_label(operation: Option<&str>, known: &BTreeMap<(String, &'static str), u64>) -> String {
    let Some(name) = operation
        .filter(|n| !n.is_empty() && n.len() <= 64 && n.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'))
    else {
        return "anonymous".to_owned();
    };
    let seen = known.keys().any(|(op, _)| op == name);
    if seen || known.len() < MAX_OPERATION_LABELS { name.to_owned() } else { "other".to_owned() }
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

    /// Records one GraphQL request: its operation, outcome, error codes and latency.
    pub fn record(&self, outcome: &RequestOutcome<'_>) {
        let seconds = outcome.elapsed.as_secs_f64();
        for (bucket, bound) in self.latency_buckets.iter().zip(LATENCY_BUCKETS) {
            if seconds <= bound {
                bucket.fetch_add(1, Ordering::Relaxed);
            }
        }
        self.latency_count.fetch_add(1, Ordering::Relaxed);
        self.latency_sum_micros.fetch_add(outcome.elapsed.as_micros() as u64, Ordering::Relaxed);
        let result = if outcome.error_codes.is_empty() { "ok" } else { "error" };
        if let Ok(mut requests) = self.requests.lock() {
            let label = operation_label(outcome.operation, &requests);
            *requests.entry((label, result)).or_default() += 1;
        }
        if let Ok(mut errors) = self.errors.lock() {
            for code in &outcome.error_codes {
                *errors.entry((*code).to_owned()).or_default() += 1;
            }
        }
    }

    /// A subscription started or ended.
    pub fn subscription_changed(&self, started: bool) {
        if started {
            self.active_subscriptions.fetch_add(1, Ordering::Relaxed);
        } else {
            self.active_subscriptions.fetch_sub(1, Ordering::Relaxed);
        }
    }

    /// The metrics in Prometheus text format; `pool` is the database pool's (size, idle).
    pub fn render(&self, pool: Option<(u32, usize)>) -> String {
        let mut out = String::new();
        let header = |out: &mut String, name: &str, kind: &str, help: &str| {
            out.push_str(&format!("# HELP {name} {help}\n# TYPE {name} {kind}\n"));
        };
        header(&mut out, "lkn_db_statements_total", "counter", "SQL statements run.");
        out.push_str(&format!("lkn_db_statements_total {}\n", self.statements.load(Ordering::Relaxed)));
        header(&mut out, "lkn_db_failed_statements_total", "counter", "SQL statements that failed.");
        out.push_str(&format!("lkn_db_failed_statements_total {}\n", self.failed_statements.load(Ordering::Relaxed)));
        header(&mut out, "lkn_graphql_requests_total", "counter", "GraphQL requests by operation and outcome.");
        if let Ok(requests) = self.requests.lock() {
            for ((operation, result), n) in requests.iter() {
                out.push_str(&format!(
                    "lkn_graphql_requests_total{{operation=\"{operation}\",outcome=\"{result}\"}} {n}\n"
                ));
            }
        }
        header(&mut out, "lkn_graphql_errors_total", "counter", "GraphQL errors by code.");
        if let Ok(errors) = self.errors.lock() {
            for (code, n) in errors.iter() {
                out.push_str(&format!("lkn_graphql_errors_total{{code=\"{code}\"}} {n}\n"));
            }
        }
        header(&mut out, "lkn_graphql_request_duration_seconds", "histogram", "GraphQL request latency.");
        for (bucket, bound) in self.latency_buckets.iter().zip(LATENCY_BUCKETS) {
            let n = bucket.load(Ordering::Relaxed);
            out.push_str(&format!("lkn_graphql_request_duration_seconds_bucket{{le=\"{bound}\"}} {n}\n"));
        }
        let count = self.latency_count.load(Ordering::Relaxed);
        let sum = self.latency_sum_micros.load(Ordering::Relaxed) as f64 / 1e6;
        out.push_str(&format!("lkn_graphql_request_duration_seconds_bucket{{le=\"+Inf\"}} {count}\n"));
        out.push_str(&format!("lkn_graphql_request_duration_seconds_sum {sum}\n"));
        out.push_str(&format!("lkn_graphql_request_duration_seconds_count {count}\n"));
        if let Some((size, idle)) = pool {
            header(&mut out, "lkn_db_pool_connections", "gauge", "Database pool connections by state.");
            out.push_str(&format!("lkn_db_pool_connections{{state=\"idle\"}} {idle}\n"));
            let in_use = (size as usize).saturating_sub(idle);
            out.push_str(&format!("lkn_db_pool_connections{{state=\"in_use\"}} {in_use}\n"));
        }
        header(&mut out, "lkn_active_subscriptions", "gauge", "GraphQL subscriptions being served.");
        out.push_str(&format!("lkn_active_subscriptions {}\n", self.active_subscriptions.load(Ordering::Relaxed)));
        out
    }
}

/// The delivery queues in Prometheus text format: what waits and what was given up, per
/// job task and for e-mail, and how long the oldest due job has waited. Read from the
/// database at each scrape, so every process reports the same, whole-service figures.
pub fn render_backlog(backlog: &crate::service::jobs::Backlog) -> String {
    let mut out = String::new();
    out.push_str(
        "# HELP lkn_jobs Durable jobs by task and state (waiting: not done yet; failed: given up).
# TYPE lkn_jobs gauge
",
    );
    for (task, waiting, failed) in &backlog.jobs {
        out.push_str(&format!("lkn_jobs{{task=\"{task}\",state=\"waiting\"}} {waiting}\n"));
        out.push_str(&format!("lkn_jobs{{task=\"{task}\",state=\"failed\"}} {failed}\n"));
    }
    out.push_str(
        "# HELP lkn_mail_messages E-mails in the outbox by state (waiting: not sent yet; failed: given up).
# TYPE lkn_mail_messages gauge
",
    );
    out.push_str(&format!("lkn_mail_messages{{state=\"waiting\"}} {}\n", backlog.mail.0));
    out.push_str(&format!("lkn_mail_messages{{state=\"failed\"}} {}\n", backlog.mail.1));
    out.push_str(
        "# HELP lkn_jobs_oldest_due_seconds How long the oldest due job has waited.
# TYPE lkn_jobs_oldest_due_seconds gauge
",
    );
    out.push_str(&format!("lkn_jobs_oldest_due_seconds {}\n", backlog.oldest_due_seconds));
    out
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
