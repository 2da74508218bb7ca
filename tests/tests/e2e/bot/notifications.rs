//! Notifications from the bot: direct messages the API hands it (each sent once, whatever
//! Discord answers: closed DMs, rate limits), their "Unfollow" button, Welsh for members who
//! read Welsh, and the weekly round-up of unanswered questions (once a week, across restarts;
//! none when nothing waits).

use std::time::Duration;

use lkn_entity::vocabulary::MemberRole;
use lkn_entity::{follow, job};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};

use super::{RunningBot, WAIT, link, post_thread, wait_for_posts};
use crate::discord_standin::{DiscordStandIn, DiscordUser, Interaction, RestCall, StoredMessage};
use crate::support::{TestApp, TestMember};
use crate::{on_both_databases, on_both_databases_with_mail};

/// The task of the API's job that carries one direct message.
const DM_TASK: &str = "discord.dm";
/// The round-up's title, whatever the week.
const ROUNDUP: &str = "Questions waiting for an answer";

/// `token`'s member replies to the thread `thread_id`.
async fn reply(app: &TestApp, token: &str, thread_id: &str, body: &str) {
    let replied = app
        .data(
            Some(token),
            "mutation($input: ReplyToThreadInput!) { replyToThread(input: $input) { reply { id } userErrors { message } } }",
            json!({ "input": { "threadId": thread_id, "body": body } }),
        )
        .await;
    assert!(replied["replyToThread"]["reply"]["id"].is_string(), "{replied}");
}

/// The direct-message jobs of `member`, as the API keeps them.
async fn dm_jobs(app: &TestApp, member: &TestMember) -> Vec<job::Model> {
    job::Entity::find()
        .filter(job::Column::Task.eq(DM_TASK))
        .filter(job::Column::MemberId.eq(member.id))
        .all(&app.db)
        .await
        .expect("read the jobs")
}

/// Waits until `member` has `count` direct-message jobs and every one is finished (settled
/// delivered or DMs closed): from then on the bot has nothing more to send them.
async fn wait_until_settled(app: &TestApp, member: &TestMember, count: usize) -> Vec<job::Model> {
    let started = std::time::Instant::now();
    loop {
        let jobs = dm_jobs(app, member).await;
        if jobs.len() == count && jobs.iter().all(|j| j.completed_at.is_some()) {
            return jobs;
        }
        assert!(started.elapsed() < WAIT * 2, "direct messages not settled in time: {jobs:#?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Whether `member` follows the thread `thread_id` (a global id), as the API stored it.
async fn follows(app: &TestApp, member: &TestMember, thread_id: &str) -> bool {
    use lkn_api::graphql::ids::{NodeType, decode};
    let thread = decode(NodeType::Thread, thread_id).expect("a thread's id");
    let rows = follow::Entity::find().filter(follow::Column::MemberId.eq(member.id)).all(&app.db).await;
    rows.expect("read the follows").iter().any(|row| row.thread_id == thread)
}

/// The REST call that delivered `message` (its body has the components as the bot sent them).
fn delivery_of(bot: &RunningBot, message: &StoredMessage) -> RestCall {
    let id = message.id.to_string();
    bot.discord
        .calls()
        .into_iter()
        .find(|c| c.method == "POST" && c.status == 200 && c.response["id"] == json!(id))
        .expect("the call that sent the direct message")
}

/// The custom id and label of the only button under a message sent in `call`.
fn only_button(call: &RestCall) -> (String, String) {
    let rows = call.body["components"].as_array().expect("components");
    assert_eq!(rows.len(), 1, "{:#}", call.body);
    let buttons = rows[0]["components"].as_array().expect("buttons");
    assert_eq!(buttons.len(), 1, "{:#}", call.body);
    let text = |field: &str| buttons[0][field].as_str().unwrap_or_default().to_owned();
    (text("custom_id"), text("label"))
}

/// The callback types and flags Discord received for `interaction`.
fn callbacks(bot: &RunningBot, interaction: &Interaction) -> Vec<(u16, Value)> {
    let path = format!("/interactions/{}/{}/callback", interaction.id, interaction.token);
    bot.discord.calls().into_iter().filter(|c| c.path.ends_with(&path)).map(|c| (c.status, c.body)).collect()
}

/// How many follow-ups answered `interaction`.
fn follow_ups(bot: &RunningBot, interaction: &Interaction) -> usize {
    let path = format!("/webhooks/{}/{}", DiscordStandIn::APPLICATION_ID, interaction.token);
    bot.discord.calls().into_iter().filter(|c| c.method == "POST" && c.path.ends_with(&path)).count()
}

/// The forum posts whose title contains `title`, waiting up to `within` for there to be any.
async fn posts_within(bot: &RunningBot, title: &str, within: Duration) -> Vec<crate::discord_standin::ForumPost> {
    let started = std::time::Instant::now();
    loop {
        let posts: Vec<_> = bot.discord.forum_posts().into_iter().filter(|p| p.name.contains(title)).collect();
        if !posts.is_empty() || started.elapsed() > within {
            return posts;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The ISO week (`2026-W49`) of today in the UK, as the bot names it.
fn this_week() -> String {
    lkn_bot::roundup::iso_week(lkn_bot::roundup::london(chrono::Utc::now()).date())
}

on_both_databases! {
    /// A linked member whose thread gets a reply from someone else receives exactly one direct
    /// message (Discord at once is the default for replies on one's own thread): the headline
    /// in bold, the link, and an Unfollow button. Pressing it is acknowledged at once,
    /// unfollows the thread as the member and says so; pressed again after unlinking, it says
    /// kindly to link first; a redelivered press does nothing twice.
    async fn a_reply_reaches_the_threads_author_by_direct_message_and_its_button_unfollows(app) {
        let bot_token = app.member_token("british-library", MemberRole::Bot).await;
        let author = app.member("national-library-of-wales", MemberRole::Member).await;
        let helper_token = app.member_token("glasgow-life", MemberRole::Member).await;
        let bot = RunningBot::start(app, &bot_token).await;
        let eira = DiscordUser::new(500_000_000_000_000_301, "eira");
        link(app, &bot, &eira, &author.token).await;

        let title = "Who lends out telescopes?";
        let thread_id = post_thread(app, &author.token, title, &[]).await;
        assert!(follows(app, &author, &thread_id).await, "an author follows their thread");
        reply(app, &helper_token, &thread_id, "We do, in Glasgow.").await;

        let dm = bot.discord.wait_for_direct_message(eira.id, title, WAIT).await.expect("the author is told");
        wait_until_settled(app, &author, 1).await;
        assert_eq!(bot.discord.direct_messages(eira.id), vec![dm.clone()], "exactly one direct message");
        assert_eq!(bot.discord.direct_message_attempts(eira.id), 1);
        let (headline, url) = dm.content.split_once('\n').expect("a headline, then the link");
        assert!(headline.starts_with("**") && headline.ends_with("**") && headline.contains(title), "{}", dm.content);
        assert!(url.starts_with("http") && !url.contains(' '), "{}", dm.content);
        let (custom_id, label) = only_button(&delivery_of(&bot, &dm));
        assert_eq!((custom_id.as_str(), label.as_str()), (format!("unfollow:{thread_id}").as_str(), "Unfollow"));

        let click = bot.discord.button_click(&eira, dm.channel_id, dm.id, &custom_id).await;
        assert_eq!(bot.follow_up(&click).await, format!("You no longer follow “{title}”."));
        let acknowledged = callbacks(&bot, &click);
        assert_eq!(acknowledged.len(), 1, "{acknowledged:?}");
        assert_eq!((acknowledged[0].0, acknowledged[0].1["type"].as_u64()), (204, Some(5)), "deferred first");
        assert_eq!(acknowledged[0].1["data"]["flags"].as_u64(), Some(64), "seen by the member alone");
        assert!(!follows(app, &author, &thread_id).await, "the member no longer follows the thread");

        // Discord delivers the press again: the second acknowledgement is refused, nothing more happens.
        bot.discord.redeliver(&click).await;
        bot.discord
            .wait_for_call("the refused second acknowledgement", WAIT, |c| {
                c.path.ends_with(&format!("/interactions/{}/{}/callback", click.id, click.token)) && c.status == 400
            })
            .await
            .expect("the bot tried to acknowledge once more");
        assert_eq!(follow_ups(&bot, &click), 1, "one answer to one press");

        // Unlinked, the same button says what to do, kindly, and changes nothing.
        let unlinking = bot.discord.slash_command(&eira, "unlink", json!([])).await;
        assert!(bot.follow_up(&unlinking).await.starts_with("Unlinked"));
        let again = bot.discord.button_click(&eira, dm.channel_id, dm.id, &custom_id).await;
        let text = bot.follow_up(&again).await;
        assert!(text.starts_with("Your Discord account is not linked") && text.contains("/link"), "{text}");
        bot.stop().await;
    }
}

on_both_databases_with_mail! {
    /// A member who accepts no direct messages from the bot: Discord refuses the one attempt,
    /// the API records it, an e-mail goes instead (their e-mail choice is the weekly digest, but
    /// Discord was their choice for it), and a second reply causes no attempt at all, only
    /// another e-mail.
    async fn closed_dms_are_tried_once_and_e_mail_is_sent_instead(app) {
        let bot_token = app.member_token("british-library", MemberRole::Bot).await;
        let author = app.member("leeds-city-council", MemberRole::Member).await;
        let helper_token = app.member_token("glasgow-life", MemberRole::Member).await;
        let bot = RunningBot::start(app, &bot_token).await;
        let sam = DiscordUser::new(500_000_000_000_000_311, "sam");
        link(app, &bot, &sam, &author.token).await;
        bot.discord.close_dms(sam.id);

        let title = "Has anyone digitised parish maps?";
        let thread_id = post_thread(app, &author.token, title, &[]).await;
        reply(app, &helper_token, &thread_id, "Glasgow did, in 2019.").await;
        let mail = app.mail().wait_for(&author.email).await;
        assert!(mail.text.contains(title), "the e-mail is about the reply: {}", mail.text);
        wait_until_settled(app, &author, 1).await;
        assert_eq!(bot.discord.direct_message_attempts(sam.id), 1, "one attempt");
        assert!(bot.discord.direct_messages(sam.id).is_empty(), "nothing delivered");
        let refused: Vec<RestCall> = bot.discord.calls().into_iter().filter(|c| c.status == 403).collect();
        assert_eq!(refused.len(), 1, "{refused:#?}");
        assert_eq!(refused[0].response["code"], 50007);

        reply(app, &helper_token, &thread_id, "And Leeds has the 1850 survey.").await;
        let mails = app.mail().wait_for_count(&author.email, 2).await;
        assert_eq!(mails.len(), 2, "the second reply is e-mailed too");
        assert_eq!(dm_jobs(app, &author).await.len(), 1, "no direct message is queued for a member with DMs closed");
        assert_eq!(bot.discord.direct_message_attempts(sam.id), 1, "and none is attempted");
        bot.stop().await;
    }
}

on_both_databases! {
    /// Discord rate-limits the bot's first two direct messages (429, retry after 0.3 s): the
    /// bot tells the API to hand them out again later and holds off; all three notifications
    /// arrive exactly once, and no message was sent that Discord did not ask for.
    async fn rate_limited_direct_messages_all_arrive_once(app) {
        let bot_token = app.member_token("british-library", MemberRole::Bot).await;
        let author = app.member("glasgow-life", MemberRole::Member).await;
        let helper_token = app.member_token("national-library-of-wales", MemberRole::Member).await;
        let bot = RunningBot::start(app, &bot_token).await;
        let morag = DiscordUser::new(500_000_000_000_000_321, "morag");
        link(app, &bot, &morag, &author.token).await;
        bot.discord.rate_limit_next(2, 0.3);

        let titles = ["Seed library rules?", "Lego club insurance?", "Repair café volunteers?"];
        for title in titles {
            let thread_id = post_thread(app, &author.token, title, &[]).await;
            reply(app, &helper_token, &thread_id, "Here is what we do.").await;
        }
        wait_until_settled(app, &author, 3).await;
        let delivered = bot.discord.direct_messages(morag.id);
        for title in titles {
            let copies = delivered.iter().filter(|m| m.content.contains(title)).count();
            assert_eq!(copies, 1, "{title} arrives exactly once: {delivered:#?}");
        }
        assert_eq!(delivered.len(), 3, "{delivered:#?}");
        assert_eq!(bot.discord.direct_message_attempts(morag.id), 5, "three delivered and the two refused, nothing more");
        // After each 429 the bot sent nothing until Discord's retry_after had passed.
        let dm_path = format!("/channels/{}/messages", delivered[0].channel_id);
        let sends: Vec<RestCall> =
            bot.discord.calls().into_iter().filter(|c| c.method == "POST" && c.path.ends_with(&dm_path)).collect();
        let limited: Vec<usize> = (0..sends.len()).filter(|i| sends[*i].status == 429).collect();
        assert_eq!(limited.len(), 2, "{sends:#?}");
        assert_eq!(sends[limited[0]].response["retry_after"], 0.3);
        for i in limited {
            let next = sends.get(i + 1).expect("something was sent after the rate limit");
            let waited = next.at.duration_since(sends[i].at);
            assert!(waited >= Duration::from_millis(300), "the bot waited only {waited:?} after a 429");
        }
        bot.stop().await;
    }
}

on_both_databases! {
    /// A member who reads Welsh gets the button in Welsh, and its answer.
    async fn a_member_who_reads_welsh_gets_the_button_in_welsh(app) {
        let bot_token = app.member_token("british-library", MemberRole::Bot).await;
        let author = app.member("national-library-of-wales", MemberRole::Member).await;
        let helper_token = app.member_token("leeds-city-council", MemberRole::Member).await;
        let set = app
            .data(
                Some(&author.token),
                "mutation { updateProfile(input: { preferredLanguage: CY }) { userErrors { message } } }",
                json!({}),
            )
            .await;
        assert_eq!(set["updateProfile"]["userErrors"], json!([]), "{set}");
        let bot = RunningBot::start(app, &bot_token).await;
        let gwen = DiscordUser::new(500_000_000_000_000_331, "gwen");
        link(app, &bot, &gwen, &author.token).await;

        let title = "Llyfrau lluniau Cymraeg?";
        let thread_id = post_thread(app, &author.token, title, &[]).await;
        reply(app, &helper_token, &thread_id, "Try the Books Council.").await;
        let dm = bot.discord.wait_for_direct_message(gwen.id, title, WAIT).await.expect("the author is told");
        let (custom_id, label) = only_button(&delivery_of(&bot, &dm));
        assert_eq!(label, "Dad-ddilyn");
        let click = bot.discord.button_click(&gwen, dm.channel_id, dm.id, &custom_id).await;
        assert_eq!(bot.follow_up(&click).await, format!("Nid ydych yn dilyn “{title}” mwyach."));
        assert!(!follows(app, &author, &thread_id).await);
        bot.stop().await;
    }
}

on_both_databases! {
    /// With the round-up's day and hour already past this week, the bot posts one round-up in the
    /// forum: a forum post listing the open question with a link to it. Restarted, it posts no
    /// second one (the week is claimed), and the week's claim answers false from then on.
    async fn the_weekly_roundup_is_posted_once_across_restarts(app) {
        let bot_token = app.member_token("british-library", MemberRole::Bot).await;
        let asker_token = app.member_token("leeds-city-council", MemberRole::Member).await;
        let question = "Who runs a library of things?";
        post_thread(app, &asker_token, question, &[]).await;

        let bot = RunningBot::start_with_roundup(app, &bot_token, chrono::Weekday::Mon, 0).await;
        let posted = wait_for_posts(&bot.discord, ROUNDUP, 1).await;
        assert_eq!(posted.len(), 1, "one round-up: {posted:#?}");
        let roundup = &posted[0];
        assert!(roundup.content.contains(&format!("**{question}**")), "{}", roundup.content);
        let mirror = wait_for_posts(&bot.discord, question, 1).await.pop().expect("the question's own post");
        assert!(
            roundup.content.contains(&format!("<#{}>", mirror.id)) || roundup.content.contains('`'),
            "linked to its post, or named by its id: {}",
            roundup.content
        );
        bot.stop().await;

        let restarted = RunningBot::start_with_roundup(app, &bot_token, chrono::Weekday::Mon, 0).await;
        wait_for_posts(&restarted.discord, question, 1).await;
        let again = posts_within(&restarted, ROUNDUP, Duration::from_secs(3)).await;
        assert!(again.is_empty(), "the restarted bot posts no second round-up: {again:#?}");
        let claim = app
            .data(
                Some(&bot_token),
                "mutation($channel: String!, $week: String!) { claimWeeklyRoundup(channelId: $channel, week: $week) }",
                json!({ "channel": DiscordStandIn::FORUM_CHANNEL_ID.to_string(), "week": this_week() }),
            )
            .await;
        assert_eq!(claim["claimWeeklyRoundup"], false, "this week's round-up is claimed");
        restarted.stop().await;
    }
}

on_both_databases! {
    /// With no question waiting for an answer, the bot claims the week and posts nothing.
    async fn no_roundup_is_posted_when_nothing_waits(app) {
        let bot_token = app.member_token("british-library", MemberRole::Bot).await;
        let bot = RunningBot::start_with_roundup(app, &bot_token, chrono::Weekday::Mon, 0).await;
        let started = std::time::Instant::now();
        loop {
            let claimed = job::Entity::find()
                .filter(job::Column::JobKey.starts_with("roundup:"))
                .all(&app.db)
                .await
                .expect("read the jobs");
            if !claimed.is_empty() {
                break;
            }
            assert!(started.elapsed() < WAIT, "the bot never claimed this week's round-up");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let posts = posts_within(&bot, ROUNDUP, Duration::from_secs(2)).await;
        assert!(posts.is_empty(), "nothing to list, nothing posted: {posts:#?}");
        assert!(bot.discord.forum_posts().is_empty(), "{:#?}", bot.discord.forum_posts());
        bot.stop().await;
    }
}

on_both_databases_with_mail! {
    /// A follower who asked for e-mail and Discord at once hears of a reply exactly once on
    /// each: one notification, one e-mail at the SMTP server, one direct message at Discord.
    async fn a_reply_to_a_followed_thread_is_one_notification_one_e_mail_and_one_direct_message(app) {
        let bot_token = app.member_token("british-library", MemberRole::Bot).await;
        let author = app.member("national-library-of-wales", MemberRole::Member).await;
        let follower = app.member("glasgow-life", MemberRole::Member).await;
        let replier = app.member_token("leeds-city-council", MemberRole::Member).await;
        let bot = RunningBot::start(app, &bot_token).await;
        let rhona = DiscordUser::new(500_000_000_000_000_311, "rhona");
        link(app, &bot, &rhona, &follower.token).await;
        let prefer = "mutation { updateNotificationPreferences(input: { preferences: [
            { kind: REPLY_ON_FOLLOWED_THREAD, email: IMMEDIATELY, discord: IMMEDIATELY }] }) { userErrors { code } } }";
        app.data(Some(&follower.token), prefer, json!({})).await;

        let title = "Seed libraries in branch libraries";
        let thread_id = post_thread(app, &author.token, title, &[]).await;
        app.data(Some(&follower.token), "mutation($id: ID!) { followThread(input: { threadId: $id }) { thread { id } } }", json!({ "id": thread_id })).await;
        reply(app, &replier, &thread_id, "Ours lends tomato seeds every spring.").await;

        bot.discord.wait_for_direct_message(rhona.id, title, WAIT).await.expect("the follower is told on Discord");
        let mail = app.mail().wait_for(&follower.email).await;
        assert!(mail.subject.contains(title), "{}", mail.subject);
        wait_until_settled(app, &follower, 1).await;
        tokio::time::sleep(Duration::from_secs(2)).await;
        assert_eq!(bot.discord.direct_messages(rhona.id).len(), 1, "one direct message");
        assert_eq!(app.mail().messages_to(&follower.email).len(), 1, "one e-mail");
        let listed = app.data(Some(&follower.token), "{ viewer { notifications { totalCount edges { node { kind } } } } }", json!({})).await;
        assert_eq!(listed["viewer"]["notifications"]["totalCount"], 1, "one notification: {listed}");
        assert_eq!(listed["viewer"]["notifications"]["edges"][0]["node"]["kind"], "REPLY_ON_FOLLOWED_THREAD");
        bot.stop().await;
    }
}
