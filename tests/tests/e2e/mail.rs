//! Outgoing mail through a real SMTP server: a message queued by a write reaches the
//! server after the write commits, exactly once, in the member's language, as text and
//! HTML; a refused address is given up, a deferred one tried again; a write that rolls
//! back sends nothing.

use lkn_api::mail::{Letter, Links, letters};
use lkn_api::service::outbox;
use lkn_api::service::viewer::Viewer;
use lkn_api::service::write::{Write, WriteContext};
use lkn_entity::outbox_message;
use lkn_entity::vocabulary::Language;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use crate::on_both_databases_with_mail;
use crate::support::TestApp;

fn address(label: &str) -> String {
    format!("{label}-{:08x}@partner.test", rand::random::<u32>())
}

fn sign_in_letter(to: &str, language: Language) -> Letter {
    letters::sign_in_code(
        to,
        1,
        "Siân Owen",
        language,
        "K7P2QX",
        15,
        &Links { public_url: "https://lkn.example".into() },
    )
}

/// Queues `letter` under `key` in a write of its own that commits, announcing on the
/// server's bus as a request's write does.
async fn queue(app: &TestApp, key: &str, letter: Letter) -> bool {
    let viewer = Viewer::Anonymous;
    let context = WriteContext::new(&viewer).announcing(&app.events);
    let write = Write::begin(&app.db, &context).await.expect("begin");
    let queued = outbox::enqueue(&write, key, letter).await.expect("enqueue");
    write.commit().await.expect("commit");
    queued
}

async fn row(app: &TestApp, key: &str) -> outbox_message::Model {
    outbox_message::Entity::find()
        .filter(outbox_message::Column::DedupeKey.eq(key))
        .one(&app.db)
        .await
        .expect("read the outbox")
        .expect("the message is in the outbox")
}

/// Waits until the sender has recorded an outcome for `key`.
async fn settled(app: &TestApp, key: &str, done: impl Fn(&outbox_message::Model) -> bool) -> outbox_message::Model {
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let row = row(app, key).await;
        if done(&row) {
            return row;
        }
        assert!(tokio::time::Instant::now() < deadline, "the sender did not settle {key}: {row:?}");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

on_both_databases_with_mail! {
    async fn delivered_once_in_welsh(app) {
        let to = address("sian");
        assert!(queue(app, "test:welsh", sign_in_letter(&to, Language::Welsh)).await);
        // The same write retried finds its message and queues nothing.
        assert!(!queue(app, "test:welsh", sign_in_letter(&to, Language::Welsh)).await);

        let mail = app.mail().wait_for(&to).await;
        assert_eq!(mail.to, std::slice::from_ref(&to));
        assert!(mail.subject.contains("mewngofnodi"), "a Welsh subject: {}", mail.subject);
        assert!(mail.text.contains("K7P2QX") && mail.text.contains("Siân Owen"), "the code in the text: {}", mail.text);
        assert!(mail.text.contains("sign-in code"), "the English follows the Welsh: {}", mail.text);
        assert!(mail.html.contains("K7P2QX") && mail.html.contains("https://lkn.example/sign-in?code=K7P2QX"));
        assert_eq!(mail.header("Content-Language"), Some("cy, en"));
        let message_id = mail.header("Message-ID").expect("a Message-ID").to_owned();
        assert!(message_id.contains("lkn-outbox-"), "a stable Message-ID: {message_id}");

        let sent = settled(app, "test:welsh", |row| row.sent_at.is_some()).await;
        assert_eq!(sent.attempts, 1);
        assert!(!sent.text_body.contains("K7P2QX") && !sent.html_body.contains("K7P2QX"), "the code is not kept");
        // Nothing goes twice: the sender looks again at least once more before we count.
        tokio::time::sleep(lkn_api::mail::sender::LOOK_INTERVAL + std::time::Duration::from_millis(500)).await;
        assert_eq!(app.mail().messages_to(&to).len(), 1);
    }
}

on_both_databases_with_mail! {
    async fn refused_given_up_deferred_retried(app) {
        let refused = address("refuse");
        let deferred = address("tempfail-once");
        queue(app, "test:refused", sign_in_letter(&refused, Language::English)).await;
        queue(app, "test:deferred", sign_in_letter(&deferred, Language::English)).await;

        let given_up = settled(app, "test:refused", |row| row.failed_at.is_some()).await;
        assert!(given_up.last_error.as_deref().is_some_and(|e| e.contains("550")), "{given_up:?}");
        assert_eq!(given_up.attempts, 1, "a refusal for good is not tried again");
        let waiting = settled(app, "test:deferred", |row| row.attempts >= 1 && row.claimed_until.is_none()).await;
        assert!(waiting.failed_at.is_none() && waiting.sent_at.is_none(), "a deferral is not the end: {waiting:?}");
        let delay = waiting.next_attempt_at - chrono::Utc::now();
        assert!(delay > chrono::Duration::seconds(20), "tried again after a backoff: {waiting:?}");
        assert!(app.mail().messages_to(&deferred).is_empty());

        // The backoff passes (the clock is moved by moving the message's time), and the
        // second attempt goes through.
        outbox_message::Entity::update_many()
            .col_expr(outbox_message::Column::NextAttemptAt, sea_orm::sea_query::Expr::value(chrono::Utc::now()))
            .filter(outbox_message::Column::Id.eq(waiting.id))
            .exec(&app.db)
            .await
            .expect("move the clock");
        app.mail().wait_for(&deferred).await;
        let sent = settled(app, "test:deferred", |row| row.sent_at.is_some()).await;
        assert_eq!(sent.attempts, 2);
        assert!(app.mail().messages_to(&refused).is_empty());
    }
}

on_both_databases_with_mail! {
    async fn rolled_back_sends_nothing(app) {
        let to = address("rolled-back");
        let viewer = Viewer::Anonymous;
        let context = WriteContext::new(&viewer).announcing(&app.events);
        let write = Write::begin(&app.db, &context).await.expect("begin");
        outbox::enqueue(&write, "test:rolled-back", sign_in_letter(&to, Language::English)).await.expect("enqueue");
        drop(write);
        // A later message that commits goes; the rolled-back one never existed.
        let later = address("later");
        queue(app, "test:later", sign_in_letter(&later, Language::English)).await;
        app.mail().wait_for(&later).await;
        assert!(app.mail().messages_to(&to).is_empty());
        let none = outbox_message::Entity::find()
            .filter(outbox_message::Column::DedupeKey.eq("test:rolled-back"))
            .one(&app.db)
            .await
            .expect("read the outbox");
        assert!(none.is_none());
    }
}

on_both_databases_with_mail! {
    async fn mail_queued_by_a_process_that_died_at_the_commit_is_sent_once_by_the_others(app) {
        // Queued without a wake-up, as by a process that crashed right after its commit.
        let viewer = Viewer::Anonymous;
        let context = WriteContext::new(&viewer);
        let recipients: Vec<String> = (0..10).map(|n| address(&format!("crash{n}"))).collect();
        let write = Write::begin(&app.db, &context).await.expect("begin");
        for (n, to) in recipients.iter().enumerate() {
            outbox::enqueue(&write, &format!("test:crash:{n}"), sign_in_letter(to, Language::English)).await.expect("enqueue");
        }
        write.commit().await.expect("commit");

        // Two more senders race the server's own over the same outbox.
        let catcher = app.mail();
        let delivery = lkn_api::mail::delivery::Delivery::from_settings(&lkn_api::mail::MailSettings::to_smtp(catcher.smtp_url()))
            .expect("delivery");
        let from = lkn_api::mail::DEFAULT_FROM;
        tokio::join!(
            lkn_api::mail::sender::send_due(&app.db, &delivery, from, chrono::Duration::seconds(120)),
            lkn_api::mail::sender::send_due(&app.db, &delivery, from, chrono::Duration::seconds(120)),
        );
        for to in &recipients {
            catcher.wait_for(to).await;
        }
        tokio::time::sleep(lkn_api::mail::sender::LOOK_INTERVAL + std::time::Duration::from_millis(500)).await;
        for to in &recipients {
            assert_eq!(catcher.messages_to(to).len(), 1, "{to} got exactly one message");
        }
    }
}
