//! Digests from real lkn-api processes on one database, counted at the real SMTP server:
//! three processes on one PostgreSQL send a due weekly digest exactly once per member;
//! a process killed with SIGKILL half-way through sending loses nothing and repeats
//! nothing once a process is started again.

use std::path::PathBuf;
use std::time::Duration;

use lkn_api::service::access::{self, Authority, NewMember};
use lkn_api::service::threads::{NewThread, post_thread};
use lkn_api::service::viewer::Viewer;
use lkn_api::service::write::WriteContext;
use lkn_entity::outbox_message;
use lkn_entity::vocabulary::{Language, MemberRole, ThreadKind, Visibility};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter};

use crate::mail_catcher::MailCatcher;
use crate::notifications::mark_an_earlier_slot_sent;
use crate::processes::{LknApi, first_answer, free_port, lkn_api_server};
use crate::support::{Backend, TestDb};
use crate::waiting::eventually;

/// How long the processes get to send everything.
const SENDING: Duration = Duration::from_secs(60);

/// A database with `readers` members at the National Library of Wales who each have
/// something in their weekly digest (a colleague's unanswered question), and a weekly
/// digest due: last week's was sent, this week's slot has begun. Returns the database,
/// a pool on it, and the readers' addresses.
async fn a_weekly_digest_due(
    backend: Backend,
    readers: usize,
    label: impl Fn(usize) -> String,
) -> Option<(TestDb, DatabaseConnection, Vec<String>)> {
    let database = TestDb::create(backend).await?;
    let db = lkn_api::startup::prepare_database(&database.settings).await.expect("prepare the database");
    let viewer = Viewer::Anonymous;
    let context = WriteContext::new(&viewer);
    let add = async |email: String| {
        let new = NewMember {
            partner_slug: "national-library-of-wales".into(),
            email: email.clone(),
            display_name: format!("Reader {email}"),
            role: MemberRole::Member,
        };
        access::add_member(&db, &context, Authority::Operator, new).await.expect("add a member").0
    };
    let tag = rand::random::<u32>();
    let mut addresses = Vec::new();
    for n in 0..readers {
        let email = format!("{}-{tag:08x}@partner.test", label(n));
        add(email.clone()).await;
        addresses.push(email);
    }
    let asker = add(format!("asker-{tag:08x}@partner.test")).await;
    let asking = Viewer::Member { member: asker, via_bot: None };
    let question = NewThread {
        kind: ThreadKind::Question,
        title: "Who runs a Welsh-language rhyme time?".into(),
        body: "We would like to start one in the new year.".into(),
        tags: vec!["early-years".into()],
        language: Language::English,
        visibility: Visibility::Network,
    };
    post_thread(&db, &WriteContext::new(&asking), question, None).await.expect("ask");
    mark_an_earlier_slot_sent(&db).await;
    Some((database, db, addresses))
}

/// `lkn-api serve` on `database`, sending to the catcher, holding work for `lease` seconds.
fn server(database: &TestDb, catcher: &MailCatcher, lease: &str, log: PathBuf) -> (LknApi, String) {
    let bind = format!("127.0.0.1:{}", free_port());
    let smtp = catcher.smtp_url();
    let args = ["serve", "--delivery-lease-secs", lease, "--purge-interval-secs", "0"];
    let env = [
        ("DATABASE_URL", database.settings.url.as_str()),
        ("LKN_BIND", bind.as_str()),
        ("LKN_SMTP_URL", smtp.as_str()),
    ];
    (lkn_api_server(&args, &env, &log), bind)
}

fn log_path(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("lkn-{name}-{}-{:08x}.log", std::process::id(), rand::random::<u32>()))
}

/// Waits until each address has exactly one message and the outbox has nothing left to
/// send, then a little longer, and says how many each got.
async fn settled_counts(catcher: &MailCatcher, db: &DatabaseConnection, addresses: &[String]) -> Vec<usize> {
    eventually("every reader's digest is sent", SENDING, async || {
        let counts: Vec<usize> = addresses.iter().map(|a| catcher.messages_to(a).len()).collect();
        let unsent = outbox_message::Entity::find()
            .filter(outbox_message::Column::SentAt.is_null())
            .filter(outbox_message::Column::FailedAt.is_null())
            .count(db)
            .await
            .expect("count the outbox");
        if counts.iter().all(|n| *n >= 1) && unsent == 0 { Ok(()) } else { Err(format!("{counts:?}, {unsent} unsent")) }
    })
    .await;
    // Long enough for a duplicate to show: more than a lease, several worker looks.
    tokio::time::sleep(Duration::from_secs(4)).await;
    addresses.iter().map(|a| catcher.messages_to(a).len()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_processes_on_one_postgresql_send_a_due_weekly_digest_once_per_member() {
    let Some(catcher) = MailCatcher::shared() else { return };
    let Some((database, db, readers)) = a_weekly_digest_due(Backend::Postgres, 12, |n| format!("reader{n}")).await
    else {
        return;
    };
    let logs: Vec<PathBuf> = (0..3).map(|n| log_path(&format!("digest-{n}"))).collect();
    let servers: Vec<(LknApi, String)> =
        logs.iter().map(|log| server(&database, catcher, "120", log.clone())).collect();
    for (_, bind) in &servers {
        assert_eq!(first_answer(&format!("http://{bind}/healthz"), SENDING).await, Some(200));
    }
    let counts = settled_counts(catcher, &db, &readers).await;
    let slot_jobs: u64 = lkn_entity::job::Entity::find()
        .filter(lkn_entity::job::Column::Task.eq("digest"))
        .filter(lkn_entity::job::Column::JobKey.starts_with("digest:weekly:"))
        .count(&db)
        .await
        .expect("count");
    // Which process did which member's digest: the jobs keep who held them.
    let holders: Vec<Option<String>> = lkn_entity::job::Entity::find()
        .filter(lkn_entity::job::Column::Task.eq("digest.member"))
        .all(&db)
        .await
        .expect("read jobs")
        .into_iter()
        .map(|job| job.locked_by)
        .collect();
    let workers: std::collections::BTreeSet<_> = holders.iter().flatten().collect();
    drop(servers);
    for log in &logs {
        let _ = std::fs::remove_file(log);
    }
    db.close().await.ok();
    database.drop_database().await;
    assert_eq!(counts, vec![1; readers.len()], "exactly one digest per member");
    assert_eq!(slot_jobs, 2, "last week's slot and this week's, once");
    assert_eq!(holders.len(), readers.len() + 1, "one digest job per member (the asker has nothing new: no mail)");
    assert!(!workers.is_empty() && workers.len() <= 3, "done by the three processes: {workers:?}");
}

/// The SIGKILL test on `backend`: the sending process dies while the mail server holds
/// one message mid-conversation; a fresh process takes over once the lease runs out.
async fn killed_mid_batch_then_restarted(backend: Backend) {
    let Some(catcher) = MailCatcher::shared() else { return };
    let label = |n: usize| if n == 3 { format!("hold-reader{n}") } else { format!("reader{n}") };
    let Some((database, db, readers)) = a_weekly_digest_due(backend, 7, label).await else { return };
    let held = readers[3].clone();

    let (mut first, bind) = server(&database, catcher, "3", log_path("killed"));
    assert_eq!(first_answer(&format!("http://{bind}/healthz"), SENDING).await, Some(200));
    let holding = catcher.dir().join(format!("holding-{held}"));
    eventually("the sender reaches the held reader", SENDING, async || {
        if holding.exists() { Ok(()) } else { Err("not yet".to_owned()) }
    })
    .await;
    first.kill();
    std::fs::write(catcher.dir().join(format!("release-{held}")), b"").expect("release the held conversation");
    let before: Vec<usize> = readers.iter().map(|a| catcher.messages_to(a).len()).collect();
    assert_eq!(before[3], 0, "the held message was not taken before the kill");

    let (second, bind) = server(&database, catcher, "3", log_path("restarted"));
    assert_eq!(first_answer(&format!("http://{bind}/healthz"), SENDING).await, Some(200));
    let counts = settled_counts(catcher, &db, &readers).await;
    drop(second);
    db.close().await.ok();
    database.drop_database().await;
    assert!(before.iter().sum::<usize>() < readers.len(), "the kill came mid-batch: {before:?}");
    assert_eq!(counts, vec![1; readers.len()], "nothing lost, nothing repeated (before the kill: {before:?})");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sender_killed_mid_batch_loses_and_repeats_nothing_on_sqlite() {
    killed_mid_batch_then_restarted(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sender_killed_mid_batch_loses_and_repeats_nothing_on_postgresql() {
    killed_mid_batch_then_restarted(Backend::Postgres).await;
}
