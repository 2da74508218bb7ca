//! The mirror of LKN into Discord: each thread, reply and proposal is posted once, whether two
//! bots run, a bot restarts and catches up, or the API fails to record what was posted.

use std::time::Duration;

use lkn_entity::vocabulary::MemberRole;
use serde_json::json;

use super::{RunningBot, WAIT, post_thread, wait_for_posts};
use crate::api_proxy::ApiProxy;
use crate::on_both_databases;
use crate::support::TestApp;
use crate::waiting::ready_to_hear;

on_both_databases! {
    /// Two bot processes mirror one thread once between them, and a bot started after
    /// a thread was posted catches up without posting what was already mirrored.
    async fn two_bots_and_a_restart_never_duplicate(app) {
        let bot_token = app.member_token("british-library", MemberRole::Bot).await;
        let member = app.member_token("glasgow-life", MemberRole::Member).await;
        let (first_api, second_api) = (ApiProxy::start(&app.url("")).await, ApiProxy::start(&app.url("")).await);
        let first = RunningBot::start_with_api(&first_api.base_url(), &bot_token).await;
        let second = RunningBot::start_with_api(&second_api.base_url(), &bot_token).await;
        ready_to_hear(app, 8).await;
        past_first_catch_up(&first_api).await;
        past_first_catch_up(&second_api).await;
        for n in 0..5 {
            post_thread(app, &member, &format!("Mirrored once {n}"), &["heritage"]).await;
        }
        // Each bot handles the threads one at a time, in order: once each has claimed the
        // last, each is done with the five before it.
        let last = post_thread(app, &member, "Mirrored last", &["heritage"]).await;
        claimed(&first_api, &format!("thread:{last}")).await;
        claimed(&second_api, &format!("thread:{last}")).await;
        let mut total = 0;
        for n in 0..5 {
            let title = format!("Mirrored once {n}");
            let count = wait_for_posts(&first.discord, &title, 0).await.len() + wait_for_posts(&second.discord, &title, 0).await.len();
            assert_eq!(count, 1, "{title} posted {count} times");
            total += count;
        }
        assert_eq!(total, 5);
        first.stop().await;
        second.stop().await;

        // Posted while no bot runs: the next bot catches up, and only on that one.
        post_thread(app, &member, "Posted while the bot was down", &[]).await;
        let third = RunningBot::start(app, &bot_token).await;
        assert_eq!(wait_for_posts(&third.discord, "Posted while the bot was down", 1).await.len(), 1);
        // Its catch-up has read the threads; a thread posted now is heard live, and the
        // mirror handles it after the catch-up is over.
        ready_to_hear(app, 4).await;
        post_thread(app, &member, "Posted after the catch-up", &[]).await;
        assert_eq!(wait_for_posts(&third.discord, "Posted after the catch-up", 1).await.len(), 1);
        assert!(wait_for_posts(&third.discord, "Mirrored", 0).await.is_empty(), "already mirrored threads are not posted again");
        third.stop().await;
    }
}

/// Lets every claim not completed lapse, as two minutes without a record would.
async fn lapse_claims(app: &TestApp) {
    use lkn_entity::discord_mirror::{Column, Entity};
    use sea_orm::sea_query::Expr;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let long_ago = chrono::Utc::now() - chrono::Duration::minutes(10);
    Entity::update_many()
        .col_expr(Column::ClaimedAt, Expr::value(long_ago))
        .filter(Column::CompletedAt.is_null())
        .exec(&app.db)
        .await
        .expect("claims lapsed");
}

/// What the bot posted in any channel (not forum posts) whose text contains `text`.
fn posts_containing(bot: &RunningBot, text: &str) -> usize {
    bot.discord
        .calls()
        .into_iter()
        .filter(|c| {
            c.method == "POST"
                && c.path.ends_with("/messages")
                && c.body["content"].as_str().is_some_and(|content| content.contains(text))
        })
        .count()
}

/// Drops the bot's subscriptions and waits until the catch-up that follows is over. The
/// mirror handles one event at a time, so when the catch-up after a second drop reads the
/// threads, the first catch-up is done.
async fn catch_up_after_a_drop(proxy: &ApiProxy) {
    for _ in 0..2 {
        let before = proxy.forwarded_count();
        proxy.cut_subscriptions();
        proxy
            .wait_for_forwarded("a catch-up", before, WAIT, |r| {
                r.query.contains("RECENTLY_ACTIVE") && !r.for_discord_user
            })
            .await
            .expect("the bot reconnects and catches up");
    }
}

/// Waits until the bot behind `proxy` is past the threads of its first catch-up (it has
/// asked the API for something after them), so that threads posted from now on reach its
/// mirror as live events only, one at a time and in the order they were posted.
async fn past_first_catch_up(proxy: &ApiProxy) {
    let threads = proxy
        .wait_for_forwarded("the catch-up", 0, WAIT, |r| {
            !r.for_discord_user
                && (r.query.contains("RECENTLY_ACTIVE") || r.variables.to_string().contains("RECENTLY_ACTIVE"))
        })
        .await
        .expect("the bot catches up when it starts");
    proxy
        .wait_for_forwarded("the request after the catch-up's threads", threads + 1, WAIT, |_| true)
        .await
        .expect("the bot reads on after the threads");
}

/// Waits until the bot behind `proxy` has claimed (or tried to claim) the mirror of `key`.
async fn claimed(proxy: &ApiProxy, key: &str) {
    proxy
        .wait_for_forwarded(&format!("the claim of {key}"), 0, WAIT, |r| {
            r.query.contains("claimDiscordMirror") && r.variables.to_string().contains(key)
        })
        .await
        .expect("the bot claims the mirror");
}

/// Posting to Discord succeeded but the API failed to record it: the bot keeps what it
/// posted and records it again, and when it hears about the thread again, after the
/// claims would have lapsed, it posts nothing a second time.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_post_the_api_failed_to_record_is_never_posted_again() {
    let app = TestApp::spawn(crate::support::Backend::Sqlite).await.expect("SQLite");
    crate::support::run_then_clean_up(app, async |app: &TestApp| {
        let bot_token = app.member_token("british-library", MemberRole::Bot).await;
        let member = app.member_token("glasgow-life", MemberRole::Member).await;
        let lead = app.member_token("leeds-city-council", MemberRole::Coordinator).await;

        // Posted before the bot starts, so that its first catch-up mirrors them.
        let title = "Recorded at the second try";
        let thread_id = post_thread(app, &member, title, &[]).await;
        let proposed = app
            .data(
                Some(&lead),
                "mutation($input: ProposeCollaborationInput!) { proposeCollaboration(input: $input) { collaboration { id } } }",
                json!({ "input": { "kind": "PROGRAMME", "title": "Seed swap week", "summary": "Seeds." } }),
            )
            .await;
        let collaboration_id = proposed["proposeCollaboration"]["collaboration"]["id"].as_str().expect("id").to_owned();

        // The API fails the first record of every mirror.
        let proxy = ApiProxy::start(&app.url("")).await;
        proxy.refuse_first_records();
        let bot = RunningBot::start_with_api(&proxy.base_url(), &bot_token).await;
        assert_eq!(wait_for_posts(&bot.discord, title, 1).await.len(), 1);
        proxy.wait_for_refusal(&format!("thread:{thread_id}"), WAIT).await.expect("the record refused");
        lapse_claims(app).await;

        // A reply brings the thread into the catch-up after the subscriptions drop.
        let replied = app
            .data(
                Some(&member),
                "mutation($input: ReplyToThreadInput!) { replyToThread(input: $input) { reply { id } } }",
                json!({ "input": { "threadId": thread_id, "body": "Try the seed swap." } }),
            )
            .await;
        let reply_id = replied["replyToThread"]["reply"]["id"].as_str().expect("reply").to_owned();
        catch_up_after_a_drop(&proxy).await;

        let posts = wait_for_posts(&bot.discord, title, 0).await;
        assert_eq!(posts.len(), 1, "the thread is posted once: {posts:?}");
        assert_eq!(posts_containing(&bot, "seed swap"), 1, "the reply is posted once");
        assert_eq!(posts_containing(&bot, "Seed swap week"), 1, "the proposal is announced once");
        let keys =
            [format!("thread:{thread_id}"), format!("reply:{reply_id}"), format!("collaboration:{collaboration_id}:PROPOSED")];
        let started = std::time::Instant::now();
        for key in keys {
            loop {
                let mirror = app
                    .data(Some(&bot_token), "query($key: String!) { discordMirror(key: $key) { completed } }", json!({ "key": key }))
                    .await;
                if mirror["discordMirror"]["completed"] == true {
                    break;
                }
                assert!(started.elapsed() < WAIT, "{key} is never recorded: {mirror}");
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
        bot.stop().await;
    })
    .await;
}
