//! A benchmark, not a check (ignored by default; see bench/README.md, "Notification
//! fan-out"): replies on threads with 0, 10, 100 and 1,000 followers, posted to the
//! release `lkn-api serve` running as a process of its own, on SQLite and on PostgreSQL.
//! It measures the write's own latency (which must not grow with followers: the fan-out
//! runs in the worker after the commit), the time from the response until every
//! notification of the reply is stored, and what the fan-out of 1,000 followers would
//! add to the write if it ran inside it.
//!
//! `cargo build --release -p lkn-api && cargo test --release -p lkn-tests --test e2e fan_out_benchmark -- --ignored --nocapture`

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use lkn_api::graphql::ids::{self, NodeType};
use lkn_api::mail::Links;
use lkn_api::service::access::{self, Authority, NewMember};
use lkn_api::service::notifications::discord::DM_TASK;
use lkn_api::service::notifications::{Announcement, Source, fan_out};
use lkn_api::service::threads::{self, NewReply, NewThread};
use lkn_api::service::viewer::Viewer;
use lkn_api::service::write::{Write, WriteContext};
use lkn_entity::vocabulary::{Language, MemberRole, ThreadKind, Visibility};
use lkn_entity::{follow, job, member, outbox_message, partner};
use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter, Set};
use serde_json::{Value, json};

use crate::processes::free_port;
use crate::support::{Backend, TestDb};

/// Followers of the measured threads.
const SIZES: [usize; 4] = [0, 10, 100, 1_000];
/// Replies measured per thread, one after the other.
const REPLIES: usize = 20;
/// Replies on a thread without followers before measuring (connections, statement caches).
const WARM_UP: usize = 3;
/// How often the notifications of a reply are counted.
const POLL: Duration = Duration::from_millis(5);
/// How long a reply's notifications may take before the run fails.
const LIMIT: Duration = Duration::from_secs(60);
/// In-process fan-outs of the largest thread, timed as a synchronous fan-out would be.
const SYNCHRONOUS_RUNS: usize = 5;

const REPLY: &str =
    "mutation($i: ReplyToThreadInput!) { replyToThread(input: $i) { reply { id } userErrors { message } } }";

/// The release `lkn-api` beside this test binary (`<target>/release/deps/e2e-…` →
/// `<target>/release/lkn-api`), whatever the target directory; `LKN_API` overrides it.
fn binary() -> PathBuf {
    if let Ok(path) = std::env::var("LKN_API") {
        return path.into();
    }
    let exe = std::env::current_exe().expect("the test binary");
    let path = exe.parent().and_then(Path::parent).expect("the target directory").join("lkn-api");
    assert!(path.exists(), "{} is missing: run `cargo build --release -p lkn-api` first", path.display());
    path
}

/// `lkn-api serve` as a process of its own, killed when dropped.
struct Server {
    child: Child,
    port: u16,
    outbox: PathBuf,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.outbox);
    }
}

impl Server {
    async fn start(url: &str) -> Self {
        let port = free_port();
        let outbox = std::env::temp_dir().join(format!(
            "lkn-fan-out-outbox-{}-{:08x}",
            std::process::id(),
            rand::random::<u32>()
        ));
        let mut command = Command::new(binary());
        command
            .args(["serve", "--bind", &format!("127.0.0.1:{port}"), "--purge-interval-secs", "0"])
            .args(["--rate-limit-per-minute", "0", "--write-rate-limit-per-minute", "0"])
            .arg("--mail-outbox-dir")
            .arg(&outbox);
        for (name, _) in std::env::vars() {
            if name.starts_with("LKN_") || name == "DATABASE_URL" {
                command.env_remove(name);
            }
        }
        let child = command
            .env("DATABASE_URL", url)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .spawn()
            .expect("start lkn-api");
        let server = Self { child, port, outbox };
        let http = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(30);
        while http.get(server.url("/readyz")).send().await.map(|r| r.status().as_u16()).unwrap_or(0) != 200 {
            assert!(Instant::now() < deadline, "lkn-api did not become ready");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        server
    }

    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// Messages written to the mail folder.
    fn mail_written(&self) -> usize {
        std::fs::read_dir(&self.outbox).map(|entries| entries.count()).unwrap_or(0)
    }
}

/// A member who can post, with the API token the operator gets for them.
struct Poster {
    member: member::Model,
    token: String,
}

async fn add_poster(db: &DatabaseConnection, partner_slug: &str, email: String) -> Poster {
    let viewer = Viewer::Anonymous;
    let new = NewMember {
        partner_slug: partner_slug.to_owned(),
        display_name: format!("Poster {email}"),
        email,
        role: MemberRole::Member,
    };
    let (member, access) =
        access::add_member(db, &WriteContext::new(&viewer), Authority::Operator, new).await.expect("add a member");
    Poster { member, token: access.into_token().expect("the operator gets a token") }
}

/// A thread by a member of its own, followed by its author and by the first `followers`
/// of `pool`; every preference left at its default.
async fn thread_followed_by(db: &DatabaseConnection, author: &Poster, pool: &[i64], followers: usize) -> i64 {
    let viewer = Viewer::Member { member: author.member.clone(), via_bot: None };
    let new = NewThread {
        kind: ThreadKind::Idea,
        title: format!("A reading festival with {followers} followers"),
        body: "Who would join a festival across the network next spring?".into(),
        tags: vec!["reading".into()],
        language: Language::English,
        visibility: Visibility::Network,
    };
    let thread = threads::post_thread(db, &WriteContext::new(&viewer), new, None).await.expect("post a thread");
    let now = Utc::now();
    let rows: Vec<follow::ActiveModel> = pool[..followers]
        .iter()
        .map(|id| follow::ActiveModel { thread_id: Set(thread.id), member_id: Set(*id), created_at: Set(now) })
        .collect();
    for chunk in rows.chunks(500) {
        follow::Entity::insert_many(chunk.to_vec()).exec_without_returning(db).await.expect("insert follows");
    }
    thread.id
}

/// 1,000 members spread over the founding partners, inserted directly (the service would
/// take minutes on SQLite): the followers.
async fn follower_pool(db: &DatabaseConnection, partners: &[partner::Model], tag: u32) -> Vec<i64> {
    let now = Utc::now();
    let rows: Vec<member::ActiveModel> = (0..SIZES[SIZES.len() - 1])
        .map(|n| member::ActiveModel {
            partner_id: Set(partners[n % partners.len()].id),
            email: Set(format!("follower{n}-{tag:08x}@partner.test")),
            display_name: Set(format!("Follower {n}")),
            role: Set(MemberRole::Member),
            discord_user_id: Set(None),
            created_at: Set(now),
            suspended_at: Set(None),
            bio: Set(None),
            languages: Set(String::new()),
            preferred_language: Set(Language::English),
            erased_at: Set(None),
            discord_dms_closed_at: Set(None),
            ..Default::default()
        })
        .collect();
    for chunk in rows.chunks(200) {
        member::Entity::insert_many(chunk.to_vec()).exec_without_returning(db).await.expect("insert members");
    }
    member::Entity::find()
        .filter(member::Column::Email.like(format!("follower%-{tag:08x}@partner.test")))
        .all(db)
        .await
        .expect("read the followers")
        .into_iter()
        .map(|m| m.id)
        .collect()
}

async fn notifications_of(db: &DatabaseConnection, reply_id: i64) -> i64 {
    let sql = format!("SELECT COUNT(*) AS n FROM notifications WHERE source_key = 'reply:{reply_id}'");
    let row = db
        .query_one_raw(sea_orm::Statement::from_string(db.get_database_backend(), sql))
        .await
        .expect("count notifications")
        .expect("a row");
    row.try_get::<i64>("", "n").expect("a count")
}

fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

fn ms_between(from: DateTime<Utc>, to: DateTime<Utc>) -> f64 {
    (to - from).num_microseconds().unwrap_or(i64::MAX) as f64 / 1000.0
}

/// Nearest rank.
fn percentile(values: &[f64], p: f64) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

/// What one reply took.
struct Measured {
    /// `POST /graphql` sent → its response read.
    write: f64,
    /// Response read → every notification counted.
    stored: f64,
    /// The job's start (`jobs.completed_at`, stamped when the worker begins the job) →
    /// every notification counted: the fan-out's own work, to within a poll.
    work: f64,
    /// `jobs.completed_at - jobs.created_at`.
    job_row: f64,
    /// The reply.
    reply_id: i64,
}

/// Posts one reply by `replier` and waits for its `expected` notifications; then takes
/// the replier off the thread's followers again, so every reply has the same audience.
async fn reply_and_wait(
    server: &Server,
    http: &reqwest::Client,
    db: &DatabaseConnection,
    thread_id: i64,
    replier: &Poster,
    expected: i64,
) -> Measured {
    let body = json!({ "query": REPLY, "variables": { "i": {
        "threadId": ids::encode(NodeType::Thread, thread_id).0,
        "body": format!("We would. {}", replier.member.display_name),
    } } });
    let sent = Instant::now();
    let response = http.post(server.url("/graphql")).bearer_auth(&replier.token).json(&body).send().await;
    let answer: Value = response.expect("post the reply").json().await.expect("a JSON answer");
    let answered = Instant::now();
    let write = ms(answered - sent);
    let reply = &answer["data"]["replyToThread"];
    assert!(
        answer["errors"].is_null() && reply["userErrors"].as_array().is_some_and(Vec::is_empty),
        "the reply was refused: {answer}"
    );
    let reply_id = ids::decode(NodeType::Reply, reply["reply"]["id"].as_str().expect("a reply id")).expect("an id");
    let (stored, stored_at) = loop {
        let n = notifications_of(db, reply_id).await;
        if n == expected {
            break (ms(answered.elapsed()), Utc::now());
        }
        assert!(n < expected, "reply {reply_id}: {n} notifications, {expected} expected");
        assert!(answered.elapsed() < LIMIT, "reply {reply_id}: {n} of {expected} notifications after {LIMIT:?}");
        tokio::time::sleep(POLL).await;
    };
    let job = job::Entity::find()
        .filter(job::Column::JobKey.eq(format!("notify:reply:{reply_id}")))
        .one(db)
        .await
        .expect("read the job")
        .expect("the reply's notify job");
    let started = job.completed_at.expect("the job is done once its notifications are stored");
    unfollow(db, thread_id, replier.member.id).await;
    Measured {
        write,
        stored,
        work: ms_between(started, stored_at),
        job_row: ms_between(job.created_at, started),
        reply_id,
    }
}

async fn unfollow(db: &DatabaseConnection, thread_id: i64, member_id: i64) {
    follow::Entity::delete_many()
        .filter(follow::Column::ThreadId.eq(thread_id))
        .filter(follow::Column::MemberId.eq(member_id))
        .exec(db)
        .await
        .expect("unfollow");
}

/// The fan-out of a reply on the thread `thread_id`, run in the test process in one
/// transaction of its own, as a synchronous fan-out would run inside the write; in ms.
async fn synchronous_fan_out(db: &DatabaseConnection, thread_id: i64, replier: &Poster, expected: usize) -> f64 {
    let viewer = Viewer::Member { member: replier.member.clone(), via_bot: None };
    let new = NewReply { thread_id, body: "We would too.".into() };
    let reply = threads::reply_to_thread(db, &WriteContext::new(&viewer), new, None, None).await.expect("reply");
    unfollow(db, thread_id, replier.member.id).await;
    let announcement =
        Announcement { source: Source::Reply { thread_id, reply_id: reply.id }, actor_id: Some(replier.member.id) };
    let system = Viewer::Anonymous;
    let context = WriteContext::new(&system);
    let started = Instant::now();
    let write = Write::begin(db, &context).await.expect("begin");
    let told = fan_out::run(&write, &announcement, &Links::local()).await.expect("fan out");
    write.commit().await.expect("commit");
    let took = ms(started.elapsed());
    assert_eq!(told, expected, "everyone told");
    took
}

/// One database: arranges the members and threads, starts the server, measures.
async fn run(backend: Backend, name: &str) -> Vec<String> {
    let database = TestDb::create(backend).await.expect("a database (PostgreSQL at 127.0.0.1:5432 for its half)");
    let db = lkn_api::prepare_database(&database.settings).await.expect("prepare the database");
    let partners = partner::Entity::find().all(&db).await.expect("the founding partners");
    let tag = rand::random::<u32>();
    let pool = follower_pool(&db, &partners, tag).await;
    let mut posters = 0;
    let mut poster = async || {
        posters += 1;
        let slug = partners[posters % partners.len()].slug.clone();
        add_poster(&db, &slug, format!("poster{posters}-{tag:08x}@partner.test")).await
    };
    let warm_up = thread_followed_by(&db, &poster().await, &pool, 0).await;
    let mut measured_threads = Vec::new();
    for followers in SIZES {
        let thread = thread_followed_by(&db, &poster().await, &pool, followers).await;
        let mut repliers = Vec::new();
        for _ in 0..REPLIES {
            repliers.push(poster().await);
        }
        measured_threads.push((followers, thread, repliers));
    }
    let mut warm_up_repliers = Vec::new();
    for _ in 0..WARM_UP {
        warm_up_repliers.push(poster().await);
    }
    let mut synchronous_repliers = Vec::new();
    for _ in 0..SYNCHRONOUS_RUNS {
        synchronous_repliers.push(poster().await);
    }

    let server = Server::start(&database.settings.url).await;
    let http = reqwest::Client::new();
    for replier in &warm_up_repliers {
        reply_and_wait(&server, &http, &db, warm_up, replier, 1).await;
    }
    let mut rows = Vec::new();
    let mut largest_work = Vec::new();
    let mut job_rows = Vec::new();
    let mut last_reply = 0;
    for (followers, thread, repliers) in &measured_threads {
        let mut runs = Vec::new();
        for replier in repliers {
            runs.push(reply_and_wait(&server, &http, &db, *thread, replier, *followers as i64 + 1).await);
        }
        let write: Vec<f64> = runs.iter().map(|m| m.write).collect();
        let stored: Vec<f64> = runs.iter().map(|m| m.stored).collect();
        let work: Vec<f64> = runs.iter().map(|m| m.work).collect();
        job_rows = runs.iter().map(|m| m.job_row).collect();
        largest_work.clone_from(&work);
        last_reply = runs.last().map_or(0, |m| m.reply_id);
        rows.push(format!(
            "| {name} | {followers} | {:.1} | {:.1} | {:.1} | {:.1} | {:.1} | {:.1} |",
            percentile(&write, 0.5),
            percentile(&write, 0.95),
            percentile(&stored, 0.5),
            percentile(&stored, 0.95),
            percentile(&stored, 1.0),
            percentile(&work, 0.5),
        ));
    }
    let mail_files = server.mail_written();
    drop(server);

    let (largest, largest_thread, _) = measured_threads.last().expect("sizes");
    let mut synchronous = Vec::new();
    for replier in &synchronous_repliers {
        synchronous.push(synchronous_fan_out(&db, *largest_thread, replier, largest + 1).await);
    }
    // What one poll costs once the table holds every reply's notifications.
    let mut poll_costs = Vec::new();
    for _ in 0..20 {
        let started = Instant::now();
        notifications_of(&db, last_reply).await;
        poll_costs.push(ms(started.elapsed()));
    }
    let notifications: i64 = {
        let sql = "SELECT COUNT(*) AS n FROM notifications";
        let row = db.query_one_raw(sea_orm::Statement::from_string(db.get_database_backend(), sql)).await;
        row.expect("count").expect("a row").try_get("", "n").expect("a count")
    };
    let mail = outbox_message::Entity::find().count(&db).await.expect("count the outbox");
    let direct_messages =
        job::Entity::find().filter(job::Column::Task.eq(DM_TASK)).count(&db).await.expect("count DM jobs");
    let failed =
        job::Entity::find().filter(job::Column::FailedAt.is_not_null()).count(&db).await.expect("count failed jobs");
    db.close().await.ok();
    database.drop_database().await;
    assert_eq!((mail, direct_messages, mail_files, failed), (0, 0, 0, 0), "no mail, no DM, nothing failed");

    rows.push(format!(
        "\n{name}, {largest} followers: the fan-out's own work (job start → all stored, from the poll) p50 {:.1} ms, \
         max {:.1} ms; the same fan-out run in-process in one transaction (what a synchronous fan-out would add to \
         the write): median {:.1} ms, min {:.1}, max {:.1} of {SYNCHRONOUS_RUNS}; jobs.completed_at − created_at \
         p50 {:.1} ms (completed_at is stamped when the job starts, so this is the reply's write and the wait for \
         the worker, not the fan-out); one poll at the end ({notifications} notifications in the table): median \
         {:.2} ms. Outbox messages, mail files, Discord DM jobs, failed jobs: 0.",
        percentile(&largest_work, 0.5),
        percentile(&largest_work, 1.0),
        percentile(&synchronous, 0.5),
        percentile(&synchronous, 0.0),
        percentile(&synchronous, 1.0),
        percentile(&job_rows, 0.5),
        percentile(&poll_costs, 0.5),
    ));
    rows
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a benchmark: run with --ignored --nocapture against a release build"]
async fn fan_out_benchmark() {
    let mut lines = vec![
        [
            "| db | followers | write p50 ms | write p95 ms",
            "| stored p50 ms | stored p95 ms | stored max ms",
            "| fan-out work p50 ms |",
        ]
        .join(" "),
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |".to_owned(),
    ];
    let sqlite = run(Backend::Sqlite, "SQLite").await;
    let postgres = run(Backend::Postgres, "PostgreSQL").await;
    let (sqlite_rows, sqlite_notes): (Vec<_>, Vec<_>) = sqlite.into_iter().partition(|l| l.starts_with('|'));
    let (postgres_rows, postgres_notes): (Vec<_>, Vec<_>) = postgres.into_iter().partition(|l| l.starts_with('|'));
    lines.extend(sqlite_rows);
    lines.extend(postgres_rows);
    lines.extend(sqlite_notes);
    lines.extend(postgres_notes);
    println!(
        "\nReplies on threads with N followers, {REPLIES} per thread, each by a member who does not follow it; \
         `stored` = response → all N + 1 notifications counted (polled every {} ms); nearest-rank percentiles.\n",
        POLL.as_millis()
    );
    println!("{}", lines.join("\n"));
}
