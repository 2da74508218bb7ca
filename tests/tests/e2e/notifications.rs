//! Notifications over the real server, on both databases: a reply to a followed thread
//! tells the follower once — in their list, live on the socket, and by e-mail through the
//! real SMTP server when they asked for e-mail at once; unread counts and marking read;
//! preferences respected ("never" stores nothing at all); the one-click unsubscribe link
//! works without signing in and a forged one changes nothing; digests go out once per
//! slot, in Welsh to a member who prefers it and not at all to a member with nothing new.

use std::time::Duration;

use chrono::Utc;
use lkn_api::events::Event;
use lkn_api::service::notifications::digest::{self, Schedule};
use lkn_entity::vocabulary::MemberRole;
use lkn_entity::{job, notification};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{Value, json};

use crate::on_both_databases_with_mail;
use crate::subscriptions::Subscriber;
use crate::support::{TestApp, TestMember};
use crate::waiting::{PATIENCE, eventually};

const POST: &str = "mutation($i: PostThreadInput!) { postThread(input: $i) { thread { id } userErrors { code } } }";
const REPLY: &str =
    "mutation($i: ReplyToThreadInput!) { replyToThread(input: $i) { reply { id } userErrors { code message } } }";
const FOLLOW: &str = "mutation($id: ID!) { followThread(input: { threadId: $id }) { thread { id } } }";
const PREFER: &str = "mutation($p: [NotificationPreferenceInput!]!) {
    updateNotificationPreferences(input: { preferences: $p }) {
        preferences { kind email discord } userErrors { field code message } } }";
const LIST: &str = "query($unread: Boolean) { viewer { notifications(first: 10, unreadOnly: $unread) {
    totalCount unreadCount edges { node { id kind headline url readAt actor { displayName } thread { id } } } } } }";
const MARK: &str = "mutation($i: MarkNotificationsReadInput!) {
    markNotificationsRead(input: $i) { marked unreadCount userErrors { field code } } }";

/// Posts a question by `author` and returns its id.
pub async fn ask(app: &TestApp, author: &TestMember, title: &str) -> String {
    let input = json!({ "kind": "QUESTION", "title": title, "body": "What have others tried?", "tags": ["reading"],
                        "language": "EN", "visibility": "NETWORK" });
    let data = app.data(Some(&author.token), POST, json!({ "i": input })).await;
    data["postThread"]["thread"]["id"].as_str().expect("a thread id").to_owned()
}

/// Replies to `thread` as `member` and returns the reply's id.
pub async fn reply(app: &TestApp, member: &TestMember, thread: &str, body: &str) -> String {
    let data = app.data(Some(&member.token), REPLY, json!({ "i": { "threadId": thread, "body": body } })).await;
    data["replyToThread"]["reply"]["id"].as_str().expect("a reply id").to_owned()
}

/// Sets `member`'s preference for `kind`.
pub async fn prefer(app: &TestApp, member: &TestMember, kind: &str, email: &str, discord: &str) -> Value {
    let p = json!([{ "kind": kind, "email": email, "discord": discord }]);
    app.data(Some(&member.token), PREFER, json!({ "p": p })).await["updateNotificationPreferences"].clone()
}

/// `member`'s notifications, as the list shows them.
pub async fn list(app: &TestApp, member: &TestMember, unread_only: bool) -> Value {
    app.data(Some(&member.token), LIST, json!({ "unread": unread_only })).await["viewer"]["notifications"].clone()
}

/// Waits until every `notify` job has run (so "nothing was stored" means something).
pub async fn fan_out_settled(app: &TestApp) {
    eventually("every notify job is done", PATIENCE, async || {
        let waiting = job::Entity::find()
            .filter(job::Column::Task.eq("notify"))
            .filter(job::Column::CompletedAt.is_null())
            .count(&app.db)
            .await
            .expect("count jobs");
        if waiting == 0 { Ok(()) } else { Err(format!("{waiting} waiting")) }
    })
    .await;
}

async fn stored_for(app: &TestApp, member: &TestMember) -> Vec<notification::Model> {
    notification::Entity::find()
        .filter(notification::Column::MemberId.eq(member.id))
        .all(&app.db)
        .await
        .expect("read notifications")
}

on_both_databases_with_mail! {
    async fn a_reply_to_a_followed_thread_tells_the_follower_once_in_the_list_live_and_by_email(app) {
        let author = app.member("british-library", MemberRole::Member).await;
        let follower = app.member("glasgow-life", MemberRole::Member).await;
        let replier = app.member("leeds-city-council", MemberRole::Member).await;
        let thread = ask(app, &author, "Dementia-friendly reading groups").await;
        app.data(Some(&follower.token), FOLLOW, json!({ "id": thread })).await;
        let changed = prefer(app, &follower, "REPLY_ON_FOLLOWED_THREAD", "IMMEDIATELY", "NEVER").await;
        assert!(changed["userErrors"].as_array().expect("errors").is_empty(), "{changed}");

        let mut live = Subscriber::start(
            app.address,
            Some(&follower.token),
            "subscription { notificationReceived { kind headline thread { id } } }",
            json!({}),
        )
        .await;
        crate::waiting::live_subscriptions(app.address, 1).await;
        reply(app, &replier, &thread, "We ran one at Leeds Central; happy to share the plan.").await;

        let heard = live.next_event(PATIENCE).await.expect("the notification arrives live");
        let heard = &heard["data"]["notificationReceived"];
        assert_eq!(heard["kind"], "REPLY_ON_FOLLOWED_THREAD");
        assert_eq!(heard["thread"]["id"], thread.as_str());
        assert!(heard["headline"].as_str().unwrap_or_default().contains("Dementia-friendly reading groups"), "{heard}");

        let mail = app.mail().wait_for(&follower.email).await;
        assert!(mail.subject.contains("Dementia-friendly reading groups"), "{}", mail.subject);
        let unsubscribe = mail.header("List-Unsubscribe").expect("a List-Unsubscribe header");
        assert!(unsubscribe.contains("/unsubscribe?token="), "{unsubscribe}");
        assert_eq!(mail.header("List-Unsubscribe-Post"), Some("List-Unsubscribe=One-Click"));

        let listed = list(app, &follower, false).await;
        assert_eq!(listed["totalCount"], 1, "{listed}");
        assert_eq!(listed["unreadCount"], 1);
        let node = &listed["edges"][0]["node"];
        assert_eq!(node["kind"], "REPLY_ON_FOLLOWED_THREAD");
        assert_eq!(node["actor"]["displayName"], "Test Member at leeds-city-council");
        assert!(node["readAt"].is_null());

        // The author hears too (their own thread), by the weekly digest: listed, not mailed.
        let authors = list(app, &author, false).await;
        assert_eq!(authors["totalCount"], 1, "{authors}");
        assert_eq!(authors["edges"][0]["node"]["kind"], "REPLY_ON_YOUR_THREAD");
        // Nobody hears of their own reply.
        assert_eq!(list(app, &replier, false).await["totalCount"], 0);

        let marked = app.data(Some(&follower.token), MARK, json!({ "i": { "upTo": node["id"] } })).await;
        assert_eq!(marked["markNotificationsRead"]["marked"], 1, "{marked}");
        assert_eq!(marked["markNotificationsRead"]["unreadCount"], 0);
        let again = app.data(Some(&follower.token), MARK, json!({ "i": { "ids": [node["id"]] } })).await;
        assert_eq!(again["markNotificationsRead"]["marked"], 0, "marking again changes nothing");
        assert_eq!(list(app, &follower, true).await["totalCount"], 0);
        // Someone else's ids change nothing of theirs.
        let stranger = app.member("kirklees-council", MemberRole::Member).await;
        let foreign = app.data(Some(&stranger.token), MARK, json!({ "i": { "ids": [authors["edges"][0]["node"]["id"]] } })).await;
        assert_eq!(foreign["markNotificationsRead"]["marked"], 0);
        assert_eq!(list(app, &author, true).await["totalCount"], 1);

        // Exactly one e-mail, even after the sender and worker had time to repeat themselves.
        tokio::time::sleep(Duration::from_secs(3)).await;
        assert_eq!(app.mail().messages_to(&follower.email).len(), 1);
        assert!(app.mail().messages_to(&author.email).is_empty(), "the author's kind is in the weekly digest");
        assert_eq!(stored_for(app, &follower).await.len(), 1);
    }
}

on_both_databases_with_mail! {
    async fn never_on_every_channel_means_nothing_at_all(app) {
        let author = app.member("british-library", MemberRole::Member).await;
        let follower = app.member("glasgow-life", MemberRole::Member).await;
        let thread = ask(app, &author, "Home library service volunteers").await;
        app.data(Some(&follower.token), FOLLOW, json!({ "id": thread })).await;
        prefer(app, &follower, "REPLY_ON_FOLLOWED_THREAD", "NEVER", "NEVER").await;
        prefer(app, &author, "REPLY_ON_YOUR_THREAD", "IMMEDIATELY", "NEVER").await;
        let replier = app.member("leeds-city-council", MemberRole::Member).await;
        reply(app, &replier, &thread, "We train ours in two evenings.").await;
        app.mail().wait_for(&author.email).await;
        fan_out_settled(app).await;
        assert!(stored_for(app, &follower).await.is_empty(), "nothing stored for a kind that is off");
        assert_eq!(list(app, &follower, false).await["totalCount"], 0);
        assert!(app.mail().messages_to(&follower.email).is_empty());

        // Discord has no digest: refused, and nothing changes.
        let refused = prefer(app, &follower, "REPLY_ON_FOLLOWED_THREAD", "WEEKLY", "DAILY").await;
        assert_eq!(refused["userErrors"][0]["field"], json!(["input", "discord"]), "{refused}");
        let after = app.data(Some(&follower.token), "{ viewer { notificationPreferences { kind email discord } } }", json!({})).await;
        let kinds = after["viewer"]["notificationPreferences"].as_array().expect("preferences").clone();
        let followed = kinds.iter().find(|p| p["kind"] == "REPLY_ON_FOLLOWED_THREAD").expect("the kind");
        assert_eq!((followed["email"].as_str(), followed["discord"].as_str()), (Some("NEVER"), Some("NEVER")));
        let own = kinds.iter().find(|p| p["kind"] == "REPLY_ON_YOUR_THREAD").expect("the kind");
        assert_eq!((own["email"].as_str(), own["discord"].as_str()), (Some("WEEKLY"), Some("IMMEDIATELY")), "the defaults");
        let expertise = kinds.iter().find(|p| p["kind"] == "QUESTION_IN_YOUR_EXPERTISE").expect("the kind");
        assert_eq!((expertise["email"].as_str(), expertise["discord"].as_str()), (Some("NEVER"), Some("NEVER")), "off by default");
    }
}

on_both_databases_with_mail! {
    async fn the_unsubscribe_link_turns_its_kind_off_without_signing_in_and_a_forged_one_does_nothing(app) {
        let author = app.member("british-library", MemberRole::Member).await;
        prefer(app, &author, "REPLY_ON_YOUR_THREAD", "IMMEDIATELY", "NEVER").await;
        let thread = ask(app, &author, "Warm spaces this winter").await;
        let replier = app.member("leeds-city-council", MemberRole::Member).await;
        reply(app, &replier, &thread, "Ours opened in November.").await;
        let mail = app.mail().wait_for(&author.email).await;
        let header = mail.header("List-Unsubscribe").expect("the header").to_owned();
        let link = header.trim_start_matches('<').trim_end_matches('>').to_owned();
        assert!(mail.text.contains(&link), "the link is in the text too");
        let path = &link[link.find("/unsubscribe").expect("a path")..];
        let email_of = async || {
            let data = app.data(Some(&author.token), "{ viewer { notificationPreferences { kind email } } }", json!({})).await;
            data["viewer"]["notificationPreferences"]
                .as_array()
                .expect("preferences")
                .iter()
                .find(|p| p["kind"] == "REPLY_ON_YOUR_THREAD")
                .map(|p| p["email"].as_str().unwrap_or_default().to_owned())
                .expect("the kind")
        };

        // Looking at the link (a scanner, a preview) changes nothing.
        let shown = app.http.get(app.url(path)).send().await.expect("GET");
        assert_eq!(shown.status(), 200);
        let page = shown.text().await.expect("a page");
        assert!(page.contains("<form method=\"post\""), "{page}");
        assert_eq!(email_of().await, "IMMEDIATELY");

        // A forged token: 404, nothing changes.
        let forged = app
            .http
            .post(app.url("/unsubscribe?token=forged-not-a-token-we-made-0123456789"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body("List-Unsubscribe=One-Click")
            .send()
            .await
            .expect("POST");
        assert_eq!(forged.status(), 404);
        assert_eq!(email_of().await, "IMMEDIATELY");

        // The one-click POST a mail program sends, with no session: off.
        let done = app
            .http
            .post(app.url(path))
            .header("content-type", "application/x-www-form-urlencoded")
            .body("List-Unsubscribe=One-Click")
            .send()
            .await
            .expect("POST");
        assert_eq!(done.status(), 200);
        assert_eq!(email_of().await, "NEVER");

        // No more e-mail of that kind (with Discord off too, the kind is off entirely).
        reply(app, &replier, &thread, "And a second one in December.").await;
        fan_out_settled(app).await;
        tokio::time::sleep(Duration::from_secs(2)).await;
        assert_eq!(app.mail().messages_to(&author.email).len(), 1);
    }
}

/// Makes the latest weekly slot due now, as if the service had sent last week's digest
/// and then been down: the scheduler (what every process runs each minute) then writes
/// the slot's job once, and the worker is woken.
pub async fn weekly_digest_due(app: &TestApp) {
    let schedule = Schedule::default();
    let now = Utc::now();
    let (slot, _) = digest::latest_slot(now, schedule, lkn_api::mail::digest::DigestCadence::Weekly);
    let key = digest::slot_key(lkn_api::mail::digest::DigestCadence::Weekly, slot);
    // The server's scheduler looks at start, then each minute: let its first look (which
    // records this slot as skipped on a new database) happen before rearranging.
    eventually("the server's first look at the schedule", PATIENCE, async || {
        let seen =
            job::Entity::find().filter(job::Column::JobKey.eq(key.as_str())).count(&app.db).await.expect("count");
        if seen == 1 { Ok(()) } else { Err("no slot yet".to_owned()) }
    })
    .await;
    job::Entity::delete_many().filter(job::Column::JobKey.eq(key)).exec(&app.db).await.expect("forget the slot");
    mark_an_earlier_slot_sent(&app.db).await;
    let done = digest::schedule_due(&app.db, schedule, now).await.expect("schedule");
    assert!(done.created.iter().any(|k| k.starts_with("digest:weekly:")), "{done:?}");
    app.events.announce(Event::JobQueued);
}

/// Records a weekly digest slot long past as sent: the database has had digests before.
pub async fn mark_an_earlier_slot_sent(db: &sea_orm::DatabaseConnection) {
    use lkn_api::service::jobs::{self, NewJob};
    let now = Utc::now();
    let key = "digest:weekly:2026-01-05";
    jobs::insert(db, NewJob::new(digest::DIGEST_TASK, json!({}), now).keyed(key), now).await.expect("insert");
    jobs::skip(db, key, "sent long ago", now).await.expect("mark done");
}

/// Waits until every digest job has run.
pub async fn digests_settled(app: &TestApp) {
    eventually("every digest job is done", PATIENCE, async || {
        let waiting = job::Entity::find()
            .filter(job::Column::Task.is_in(["digest", "digest.member"]))
            .filter(job::Column::CompletedAt.is_null())
            .count(&app.db)
            .await
            .expect("count jobs");
        if waiting == 0 { Ok(()) } else { Err(format!("{waiting} waiting")) }
    })
    .await;
}

on_both_databases_with_mail! {
    async fn the_weekly_digest_is_in_welsh_for_a_welsh_reader_and_nobody_with_nothing_new_gets_one(app) {
        let welsh = app.member("national-library-of-wales", MemberRole::Member).await;
        let profile = "mutation { updateProfile(input: { preferredLanguage: CY }) { userErrors { field } } }";
        app.data(Some(&welsh.token), profile, json!({})).await;
        let asker = app.member("national-library-of-wales", MemberRole::Member).await;
        ask(app, &asker, "Llyfrau Cymraeg i ddysgwyr").await;
        let quiet = app.member("edinburgh-council", MemberRole::Member).await;

        weekly_digest_due(app).await;
        digests_settled(app).await;
        let mail = app.mail().wait_for(&welsh.email).await;
        assert!(mail.subject.contains("wythnos"), "a Welsh subject: {}", mail.subject);
        assert!(mail.text.contains("Llyfrau Cymraeg i ddysgwyr"), "the unanswered question in their nation");
        assert!(mail.header("Content-Language").unwrap_or_default().starts_with("cy"), "{:?}", mail.headers);
        assert!(mail.header("List-Unsubscribe").is_some());

        tokio::time::sleep(Duration::from_secs(2)).await;
        assert!(app.mail().messages_to(&quiet.email).is_empty(), "nothing new, nothing sent");
        assert_eq!(app.mail().messages_to(&welsh.email).len(), 1);

        // The scheduler looking again (every process does, every minute) sends nothing more.
        let again = digest::schedule_due(&app.db, Schedule::default(), Utc::now()).await.expect("schedule");
        assert!(!again.created.iter().any(|k| k.starts_with("digest:")), "{again:?}");
    }
}

on_both_databases_with_mail! {
    async fn mail_that_cannot_be_delivered_is_shown_to_administrators_only(app) {
        let author = app.member("british-library", MemberRole::Member).await;
        sea_orm::ConnectionTrait::execute_unprepared(
            &app.db,
            &format!("UPDATE members SET email = 'refuse-{}@partner.test' WHERE id = {}", author.id, author.id),
        )
        .await
        .expect("give the author an address the server refuses");
        prefer(app, &author, "REPLY_ON_YOUR_THREAD", "IMMEDIATELY", "NEVER").await;
        let thread = ask(app, &author, "Makerspaces in branch libraries").await;
        let replier = app.member("leeds-city-council", MemberRole::Member).await;
        reply(app, &replier, &thread, "We have a 3D printer at two branches.").await;

        let admin = app.member("british-library", MemberRole::Admin).await;
        let query = "{ failedDeliveries { channel description attempts lastError member { displayName } } }";
        eventually("the refused e-mail is listed", PATIENCE, async || {
            let body = app.graphql(Some(&admin.token), query, json!({})).await;
            let listed = body["data"]["failedDeliveries"].as_array().is_some_and(|list| {
                list.iter().any(|d| d["channel"] == "EMAIL" && d["lastError"].as_str().unwrap_or_default().contains("550"))
            });
            if listed { Ok(()) } else { Err(body.to_string()) }
        })
        .await;
        let refused = app.graphql(Some(&replier.token), query, json!({})).await;
        assert_eq!(refused["errors"][0]["extensions"]["code"], "FORBIDDEN", "{refused}");

        let metrics = app.http.get(app.url("/metrics")).send().await.expect("metrics").text().await.expect("text");
        assert!(metrics.contains("lkn_mail_messages{state=\"failed\"} 1"), "{metrics}");
        assert!(metrics.contains("lkn_jobs{task=\"notify\",state=\"waiting\"} 0"), "{metrics}");
    }
}

on_both_databases_with_mail! {
    async fn suspended_members_are_told_nothing_and_others_cannot_read_a_members_notifications(app) {
        let author = app.member("british-library", MemberRole::Member).await;
        let follower = app.member("glasgow-life", MemberRole::Member).await;
        let thread = ask(app, &author, "Libraries of Sanctuary").await;
        app.data(Some(&follower.token), FOLLOW, json!({ "id": thread })).await;
        sea_orm::ConnectionTrait::execute_unprepared(
            &app.db,
            &format!("UPDATE members SET suspended_at = '2026-12-01 00:00:00+00:00' WHERE id = {}", follower.id),
        )
        .await
        .expect("suspend");
        let replier = app.member("leeds-city-council", MemberRole::Member).await;
        reply(app, &replier, &thread, "Leeds became one in 2024.").await;
        fan_out_settled(app).await;
        assert!(stored_for(app, &follower).await.is_empty());
        assert_eq!(stored_for(app, &author).await.len(), 1);

        // Another member sees the author, but not the author's notifications.
        let author_id = list(app, &author, false).await;
        assert_eq!(author_id["totalCount"], 1);
        let node = "query($id: ID!) { node(id: $id) { ... on Member { displayName notifications { totalCount } notificationPreferences { kind } } } }";
        let thread_author = app.data(Some(&replier.token), "query($id: ID!) { thread(id: $id) { author { id } } }", json!({ "id": thread })).await;
        let member_id = thread_author["thread"]["author"]["id"].clone();
        let seen = app.data(Some(&replier.token), node, json!({ "id": member_id })).await;
        assert!(seen["node"]["displayName"].is_string());
        assert!(seen["node"]["notifications"].is_null(), "{seen}");
        assert!(seen["node"]["notificationPreferences"].is_null());
        let anonymous = app.graphql(None, "{ viewer { notifications { totalCount } } }", json!({})).await;
        assert!(anonymous["data"]["viewer"].is_null(), "{anonymous}");
    }
}

/// Links `member`'s Discord account `discord_id` through the bot, as `/link` does.
async fn link(app: &TestApp, bot: &str, member: &TestMember, discord_id: &str) {
    let code = app.data(Some(&member.token), "mutation { createDiscordLinkCode { code } }", json!({})).await;
    let code = code["createDiscordLinkCode"]["code"].as_str().expect("a code").to_owned();
    let link = "mutation($i: LinkDiscordAccountInput!) { linkDiscordAccount(input: $i) { userErrors { code } } }";
    app.data(Some(bot), link, json!({ "i": { "code": code, "discordUserId": discord_id } })).await;
}

on_both_databases_with_mail! {
    async fn through_the_bot_a_member_reads_and_marks_their_own_and_only_the_bot_takes_direct_messages(app) {
        let bot = app.member_token("british-library", MemberRole::Bot).await;
        let author = app.member("glasgow-life", MemberRole::Member).await;
        let discord_id = format!("71{:016}", rand::random::<u32>());
        link(app, &bot, &author, &discord_id).await;
        let thread = ask(app, &author, "Reading Friends groups online").await;
        let replier = app.member("leeds-city-council", MemberRole::Member).await;
        reply(app, &replier, &thread, "Ours meet on Tuesdays.").await;
        fan_out_settled(app).await;

        // The bot acting for the linked member reads their list and marks it read.
        let acting = [("x-lkn-discord-user", discord_id.as_str())];
        let listed = app.graphql_with(Some(&bot), &acting, LIST, json!({ "unread": true })).await;
        let notifications = &listed["data"]["viewer"]["notifications"];
        assert_eq!(notifications["unreadCount"], 1, "{listed}");
        let id = notifications["edges"][0]["node"]["id"].clone();
        let marked = app.graphql_with(Some(&bot), &acting, MARK, json!({ "i": { "ids": [id] } })).await;
        assert_eq!(marked["data"]["markNotificationsRead"]["unreadCount"], 0, "{marked}");

        // Direct messages are the bot's alone: a member (in person or through the bot) is refused.
        let claim = "mutation { claimDiscordNotifications(first: 5) { id discordUserId headline threadId } }";
        for refused in [
            app.graphql(Some(&author.token), claim, json!({})).await,
            app.graphql_with(Some(&bot), &acting, claim, json!({})).await,
        ] {
            assert_eq!(refused["errors"][0]["extensions"]["code"], "FORBIDDEN", "{refused}");
        }
        // The bot alone gets the member's direct message (Discord at once is the default for their own threads).
        let claimed = app.data(Some(&bot), claim, json!({})).await;
        let messages = claimed["claimDiscordNotifications"].as_array().expect("messages").clone();
        assert_eq!(messages.len(), 1, "{claimed}");
        assert_eq!(messages[0]["discordUserId"], discord_id.as_str());
        assert_eq!(messages[0]["threadId"], thread.as_str());
        // Held for the bot: a second claim gets nothing until it is settled or its lease ends.
        let again = app.data(Some(&bot), claim, json!({})).await;
        assert_eq!(again["claimDiscordNotifications"], json!([]));
        let settle = "mutation($i: SettleDiscordNotificationInput!) { settleDiscordNotification(input: $i) { settled userErrors { code } } }";
        let done = app.data(Some(&bot), settle, json!({ "i": { "id": messages[0]["id"], "outcome": "DELIVERED" } })).await;
        assert_eq!(done["settleDiscordNotification"]["settled"], true, "{done}");
        let twice = app.data(Some(&bot), settle, json!({ "i": { "id": messages[0]["id"], "outcome": "DELIVERED" } })).await;
        assert_eq!(twice["settleDiscordNotification"]["userErrors"][0]["code"], "NOT_FOUND", "settled once: {twice}");
    }
}

/// The kinds and headlines of `member`'s notifications, newest first.
async fn told(app: &TestApp, member: &TestMember) -> Vec<(String, String)> {
    let listed = list(app, member, false).await;
    listed["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .map(|e| {
            let node = &e["node"];
            (
                node["kind"].as_str().unwrap_or_default().to_owned(),
                node["headline"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

on_both_databases_with_mail! {
    async fn collaborations_tell_the_coordinators_concerned_and_bid_deadlines_are_reminded_once(app) {
        // The server's own reminders of the day run at its first look at the schedule (after
        // the digest hour): let them run before there is a collaboration to remind anyone of.
        eventually("the server's first deadline reminders are done", PATIENCE, async || {
            let done = job::Entity::find()
                .filter(job::Column::Task.eq(digest::DEADLINES_TASK))
                .count(&app.db)
                .await
                .expect("count");
            if done == 1 { Ok(()) } else { Err("not yet".to_owned()) }
        })
        .await;
        let deadline_job = job::Entity::find().filter(job::Column::Task.eq(digest::DEADLINES_TASK)).one(&app.db).await.expect("read").expect("the job");
        if deadline_job.run_at <= Utc::now() {
            eventually("the server's first deadline reminders are done", PATIENCE, async || {
                let row = job::Entity::find_by_id(deadline_job.id).one(&app.db).await.expect("read").expect("the job");
                if row.completed_at.is_some() { Ok(()) } else { Err("not yet".to_owned()) }
            })
            .await;
        } else {
            // Before the digest hour: the server's reminders wait until then; keep them out of this test.
            job::Entity::delete_by_id(deadline_job.id).exec(&app.db).await.expect("drop the day's reminders");
        }
        let lead = app.member("glasgow-life", MemberRole::Coordinator).await;
        let asking = app.member("leeds-city-council", MemberRole::Coordinator).await;
        let due = (Utc::now() + chrono::Duration::days(10)).date_naive();
        let propose = "mutation($i: ProposeCollaborationInput!) { proposeCollaboration(input: $i) { collaboration { id } userErrors { code } } }";
        let input = json!({ "kind": "FUNDING_APPLICATION", "title": "Libraries of Sanctuary bid", "visibility": "NETWORK",
                            "bidDeadline": due.to_string() });
        let proposed = app.data(Some(&lead.token), propose, json!({ "i": input })).await;
        let collaboration = proposed["proposeCollaboration"]["collaboration"]["id"].clone();
        let advance = "mutation($i: AdvanceCollaborationInput!) { advanceCollaboration(input: $i) { userErrors { code } } }";
        app.data(Some(&lead.token), advance, json!({ "i": { "collaborationId": collaboration, "status": "SEEKING_PARTNERS" } })).await;

        let join = "mutation($i: RequestToJoinCollaborationInput!) { requestToJoinCollaboration(input: $i) { userErrors { code } } }";
        app.data(Some(&asking.token), join, json!({ "i": { "collaborationId": collaboration } })).await;
        fan_out_settled(app).await;
        let lead_told = told(app, &lead).await;
        assert_eq!(lead_told.len(), 1, "{lead_told:?}");
        assert_eq!(lead_told[0].0, "JOIN_REQUEST");
        assert!(lead_told[0].1.contains("Leeds"), "{lead_told:?}");

        let decide = "mutation($i: DecideJoinRequestInput!) { decideJoinRequest(input: $i) { userErrors { code } } }";
        app.data(Some(&lead.token), decide, json!({ "i": { "collaborationId": collaboration, "partnerSlug": "leeds-city-council", "accept": true } })).await;
        app.data(Some(&lead.token), advance, json!({ "i": { "collaborationId": collaboration, "status": "ACTIVE" } })).await;
        fan_out_settled(app).await;
        let kinds: Vec<String> = told(app, &asking).await.into_iter().map(|(kind, _)| kind).collect();
        assert_eq!(kinds, ["COLLABORATION_STATUS", "JOIN_DECISION"], "the asker hears the decision, then the start");

        // The day's reminders, run twice (a repeated day): one reminder each, saying the real days left.
        use lkn_api::service::jobs::{self, NewJob};
        for run in ["a", "b"] {
            let now = Utc::now();
            let job = NewJob::new(digest::DEADLINES_TASK, digest::london_today(now), now).keyed(format!("deadlines:test-{run}"));
            jobs::insert(&app.db, job, now).await.expect("a reminders job");
            app.events.announce(Event::JobQueued);
            eventually("the reminders ran", PATIENCE, async || {
                let done = job::Entity::find()
                    .filter(job::Column::JobKey.eq(format!("deadlines:test-{run}")))
                    .filter(job::Column::CompletedAt.is_not_null())
                    .count(&app.db)
                    .await
                    .expect("count");
                if done == 1 { Ok(()) } else { Err("not yet".to_owned()) }
            })
            .await;
            fan_out_settled(app).await;
        }
        for member in [&lead, &asking] {
            let reminders: Vec<String> =
                told(app, member).await.into_iter().filter(|(kind, _)| kind == "BID_DEADLINE").map(|(_, h)| h).collect();
            assert_eq!(reminders.len(), 1, "{reminders:?}");
            assert!(reminders[0].contains("10 days"), "{reminders:?}");
        }
    }
}

on_both_databases_with_mail! {
    async fn a_reply_to_a_thread_with_hundreds_of_followers_leaves_every_subscriber_listening(app) {
        let author = app.member("british-library", MemberRole::Member).await;
        let thread = ask(app, &author, "Digital inclusion volunteers").await;
        let thread_id = lkn_api::graphql::ids::decode(lkn_api::graphql::ids::NodeType::Thread, &thread).expect("an id");
        // More followers than a subscriber's buffer holds events (256).
        let mut followers = Vec::new();
        for _ in 0..300 {
            followers.push(app.member("glasgow-life", MemberRole::Member).await);
        }
        let rows: Vec<lkn_entity::follow::ActiveModel> = followers
            .iter()
            .map(|f| lkn_entity::follow::ActiveModel {
                thread_id: sea_orm::Set(thread_id),
                member_id: sea_orm::Set(f.id),
                created_at: sea_orm::Set(Utc::now()),
            })
            .collect();
        lkn_entity::follow::Entity::insert_many(rows).exec_without_returning(&app.db).await.expect("follows");
        let last = followers.last().expect("a follower");
        let mut theirs = Subscriber::start(app.address, Some(&last.token), "subscription { notificationReceived { kind } }", json!({})).await;
        let mut replies = Subscriber::start(app.address, Some(&author.token), "subscription { replyPosted { body } }", json!({})).await;
        crate::waiting::live_subscriptions(app.address, 2).await;
        let replier = app.member("leeds-city-council", MemberRole::Member).await;
        reply(app, &replier, &thread, "We train ours with the Good Things Foundation.").await;
        let heard = theirs.next_event(PATIENCE).await.expect("the follower hears of it");
        assert_eq!(heard["data"]["notificationReceived"]["kind"], "REPLY_ON_FOLLOWED_THREAD");
        fan_out_settled(app).await;
        // Both sockets are still subscribed: a second reply reaches them too.
        assert!(replies.next_event(PATIENCE).await.is_some(), "the first reply");
        reply(app, &replier, &thread, "And a second session in March.").await;
        let second = replies.next_event(PATIENCE).await.expect("the reply subscriber is still listening");
        assert_eq!(second["data"]["replyPosted"]["body"], "And a second session in March.");
        let again = theirs.next_event(PATIENCE).await.expect("the follower still listens");
        assert_eq!(again["data"]["notificationReceived"]["kind"], "REPLY_ON_FOLLOWED_THREAD");
    }
}
