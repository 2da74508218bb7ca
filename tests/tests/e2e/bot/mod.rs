//! The Discord bot end to end: the real lkn-bot (poise on serenity) against the
//! Discord stand-in on loopback, with a real lkn-api behind it; and its console.
//!
//! The assertions are on what Discord would have received (registration, deferrals,
//! follow-ups, forum posts, thread edits, announcements) and on what LKN stored.

use std::time::Duration;

use lkn_bot::config::RunArgs;
use lkn_entity::vocabulary::MemberRole;
use serde_json::{Value, json};
use tokio::sync::oneshot;

use crate::api_proxy::ApiProxy;
use crate::discord_standin::{DiscordStandIn, DiscordUser, Interaction, RestCall};
use crate::on_both_databases;
use crate::support::TestApp;
use crate::waiting::ready_to_hear;

const WAIT: Duration = Duration::from_secs(15);

/// A bot process connected to a stand-in and to `app`; stopped when dropped.
struct RunningBot {
    discord: DiscordStandIn,
    stop: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
}

impl RunningBot {
    async fn start(app: &TestApp, bot_token: &str) -> Self {
        Self::start_with_api(&app.url(""), bot_token).await
    }

    /// A bot that reaches the API at `api_url` (a proxy in front of it, say).
    async fn start_with_api(api_url: &str, bot_token: &str) -> Self {
        if std::env::var_os("RUST_LOG").is_some() {
            lkn_bot::telemetry();
        }
        let discord = DiscordStandIn::start().await;
        let args = RunArgs {
            discord_token: discord.bot_token().to_owned(),
            api_url: api_url.to_owned(),
            api_token: bot_token.to_owned(),
            guild_id: Some(DiscordStandIn::GUILD_ID),
            forum_channel_id: DiscordStandIn::FORUM_CHANNEL_ID,
            announce_channel_id: DiscordStandIn::ANNOUNCE_CHANNEL_ID,
            catch_up_hours: 24,
            discord_base_url: Some(discord.base_url()),
        };
        let (stop, stopped) = oneshot::channel();
        let task = tokio::spawn(lkn_bot::discord::run(args, async {
            let _ = stopped.await;
        }));
        discord.wait_until_ready(WAIT).await.expect("the bot connects to the stand-in");
        discord
            .wait_for_call("command registration", WAIT, |c| c.method == "PUT" && c.path.ends_with("/commands"))
            .await
            .expect("commands registered");
        Self { discord, stop: Some(stop), task: Some(task) }
    }

    async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = tokio::time::timeout(WAIT, task).await;
        }
    }

    /// The text of the first follow-up answering `interaction`.
    async fn follow_up(&self, interaction: &Interaction) -> String {
        let path = format!("/webhooks/{}/{}", DiscordStandIn::APPLICATION_ID, interaction.token);
        let call = self
            .discord
            .wait_for_call("a follow-up", WAIT, |c| c.method == "POST" && c.path.ends_with(&path))
            .await
            .expect("follow-up");
        call.body["content"].as_str().unwrap_or_default().to_owned()
    }

    /// The callback types Discord received for `interaction` (5 deferral, 9 modal, …).
    fn callbacks(&self, interaction: &Interaction) -> Vec<(i64, Value)> {
        let path = format!("/interactions/{}/{}/callback", interaction.id, interaction.token);
        self.discord
            .calls()
            .into_iter()
            .filter(|c| c.path.ends_with(&path))
            .map(|c| (c.body["type"].as_i64().unwrap_or_default(), c.body))
            .collect()
    }

    fn posts_to(&self, channel: u64) -> Vec<RestCall> {
        let path = format!("/channels/{channel}/messages");
        self.discord.calls().into_iter().filter(|c| c.method == "POST" && c.path.ends_with(&path)).collect()
    }
}

fn option(name: &str, value: Value) -> Value {
    json!({ "name": name, "type": if value.is_string() { 3 } else { 5 }, "value": value })
}

/// Links `user` to the member of `member_token` through `/link`, as staff would.
async fn link(app: &TestApp, bot: &RunningBot, user: &DiscordUser, member_token: &str) {
    let code = app.data(Some(member_token), "mutation { createDiscordLinkCode { code } }", json!({})).await;
    let code = code["createDiscordLinkCode"]["code"].as_str().expect("a link code").to_owned();
    let linking = bot.discord.slash_command(user, "link", json!([option("code", json!(code))])).await;
    let text = bot.follow_up(&linking).await;
    assert!(text.starts_with("Linked"), "{text}");
}

async fn post_thread(app: &TestApp, token: &str, title: &str, tags: &[&str]) -> String {
    let posted = app
        .data(
            Some(token),
            "mutation($input: PostThreadInput!) { postThread(input: $input) { thread { id } userErrors { message } } }",
            json!({ "input": { "kind": "QUESTION", "title": title, "body": "Details.", "tags": tags } }),
        )
        .await;
    posted["postThread"]["thread"]["id"].as_str().expect("thread id").to_owned()
}

async fn wait_for_posts(discord: &DiscordStandIn, title: &str, count: usize) -> Vec<crate::discord_standin::ForumPost> {
    let started = std::time::Instant::now();
    loop {
        let posts: Vec<_> = discord.forum_posts().into_iter().filter(|p| p.name.contains(title)).collect();
        if posts.len() >= count || started.elapsed() > WAIT {
            return posts;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

on_both_databases! {
    /// A linked member asks, the thread becomes a forum post once (even when Discord
    /// delivers the interaction twice), a reply written in the post reaches LKN, a
    /// reply and an accepted answer made through the API reach the post, and a
    /// proposal made through the API is announced with a join button that works.
    async fn staff_work_from_discord(app) {
        let bot_token = app.member_token("british-library", MemberRole::Bot).await;
        let asker_token = app.member_token("national-library-of-wales", MemberRole::Coordinator).await;
        let helper_token = app.member_token("glasgow-life", MemberRole::Member).await;
        let bot = RunningBot::start(app, &bot_token).await;
        let registered = bot.discord.calls().into_iter().find(|c| c.path.ends_with("/commands")).expect("registration");
        let names: Vec<&str> = registered.body.as_array().expect("commands").iter().filter_map(|c| c["name"].as_str()).collect();
        for expected in ["ask", "share", "search", "thread", "unanswered", "follow", "unfollow", "answer", "Mark as answer",
            "partners", "partner", "stats", "collab", "link", "unlink", "help", "language"]
        {
            assert!(names.contains(&expected), "{expected} is not registered: {names:?}");
        }

        let asker = DiscordUser::new(500_000_000_000_000_001, "sian");
        link(app, &bot, &asker, &asker_token).await;

        // /ask shows a modal; the submitted form posts the question.
        let ask = bot.discord.slash_command(&asker, "ask", json!([])).await;
        bot.discord
            .wait_for_call("the /ask modal", WAIT, |c| c.path.contains(&format!("/interactions/{}/", ask.id)))
            .await
            .expect("modal shown");
        assert_eq!(bot.callbacks(&ask)[0].0, 9, "a modal answers /ask");
        bot.discord.redeliver(&ask).await;
        let title = "Who runs baby rhyme time in Welsh?";
        let submit = bot
            .discord
            .modal_submit(&asker, &ask.id.to_string(), &[("title", title), ("body", "Looking for songs."), ("tags", "events, welsh-language")])
            .await;
        let text = bot.follow_up(&ask).await;
        assert!(text.starts_with("Posted"), "{text}");
        bot.discord.redeliver(&submit).await;
        let posts = wait_for_posts(&bot.discord, title, 1).await;
        assert_eq!(posts.len(), 1, "one forum post: {posts:?}");
        let post = posts[0].clone();
        assert!(post.applied_tags.contains(&DiscordStandIn::forum_tag_id("events")), "{post:?}");
        assert!(post.applied_tags.contains(&DiscordStandIn::forum_tag_id("welsh-language")), "{post:?}");
        let found = app.data(Some(&asker_token), "query($t: String) { threads(filter: { titleContains: $t }) { totalCount nodes { id } } }", json!({ "t": title })).await;
        assert_eq!(found["threads"]["totalCount"], 1, "one thread despite the redeliveries: {found}");
        let thread_id = found["threads"]["nodes"][0]["id"].as_str().expect("id").to_owned();

        // A message written in the post by a linked member becomes a reply, and is not mirrored back.
        let helper = DiscordUser::new(500_000_000_000_000_002, "morag");
        link(app, &bot, &helper, &helper_token).await;
        bot.discord.user_message(&helper, post.id, "We sing Dau Gi Bach every Tuesday.").await;
        let mut replies = Value::Null;
        for _ in 0..200 {
            replies = app.data(Some(&asker_token), "query($id: ID!) { thread(id: $id) { replies { nodes { id body author { displayName } } } } }", json!({ "id": thread_id })).await;
            if replies["thread"]["replies"]["nodes"].as_array().is_some_and(|r| !r.is_empty()) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        let from_discord = &replies["thread"]["replies"]["nodes"][0];
        assert_eq!(from_discord["body"], "We sing Dau Gi Bach every Tuesday.", "{replies}");
        assert_eq!(from_discord["author"]["displayName"], "Test Member at glasgow-life");

        // A reply through the API appears in the post; the Discord one was not echoed.
        let replied = app.data(Some(&helper_token), "mutation($input: ReplyToThreadInput!) { replyToThread(input: $input) { reply { id } } }",
            json!({ "input": { "threadId": thread_id, "body": "Also try Mi welais Jac y Do." } })).await;
        let reply_id = replied["replyToThread"]["reply"]["id"].as_str().expect("reply").to_owned();
        bot.discord
            .wait_for_call("the API reply in the post", WAIT, |c| c.method == "POST" && c.path.ends_with(&format!("/channels/{}/messages", post.id)) && c.body["content"].as_str().is_some_and(|t| t.contains("Jac y Do")))
            .await
            .expect("reply mirrored");
        // The mirror handles events one at a time, in order: with the API's reply in the
        // post, whatever the thread and the Discord reply before it made the bot post is there.
        let echoes: Vec<_> = bot.posts_to(post.id).into_iter().filter(|c| c.body["content"].as_str().is_some_and(|t| t.contains("Dau Gi Bach"))).collect();
        assert!(echoes.is_empty(), "a reply written in Discord is not posted back: {echoes:?}");
        assert_eq!(wait_for_posts(&bot.discord, title, 0).await.len(), 1, "still one forum post");

        // The asker accepts it with /answer; the post is marked solved.
        let answer = bot.discord.slash_command_in(&asker, post.id, "answer", json!([option("reply", json!(reply_id))])).await;
        let text = bot.follow_up(&answer).await;
        assert!(text.contains("Marked as the answer"), "{text}");
        assert_eq!(bot.callbacks(&answer)[0].0, 5, "deferred first");
        let edit = bot.discord
            .wait_for_call("the solved mark", WAIT, |c| c.method == "PATCH" && c.path.ends_with(&format!("/channels/{}", post.id)))
            .await
            .expect("post edited");
        assert!(edit.body["name"].as_str().is_some_and(|n| n.starts_with('✅')), "{edit:?}");
        let solved = DiscordStandIn::forum_tag_id("solved").to_string();
        assert!(edit.body["applied_tags"].as_array().is_some_and(|t| t.iter().any(|id| id.as_str() == Some(solved.as_str()))), "{edit:?}");

        // A proposal made through the API is announced; its button asks to join as the clicker.
        let lead_token = app.member_token("leeds-city-council", MemberRole::Coordinator).await;
        let collaboration = app.data(Some(&lead_token), "mutation($input: ProposeCollaborationInput!) { proposeCollaboration(input: $input) { collaboration { id } userErrors { message } } }",
            json!({ "input": { "kind": "PROGRAMME", "title": "Rhyme time across the nations", "summary": "Shared songs." } })).await;
        let collaboration_id = collaboration["proposeCollaboration"]["collaboration"]["id"].as_str().expect("collaboration").to_owned();
        let announced = bot.discord
            .wait_for_call("the announcement", WAIT, |c| c.method == "POST" && c.path.ends_with(&format!("/channels/{}/messages", DiscordStandIn::ANNOUNCE_CHANNEL_ID)) && c.body["content"].as_str().is_some_and(|t| t.contains("Rhyme time across the nations")))
            .await
            .expect("announced");
        let button = &announced.body["components"][0]["components"][0];
        let custom_id = button["custom_id"].as_str().expect("a join button").to_owned();
        let announcement = bot.discord.channel_messages(DiscordStandIn::ANNOUNCE_CHANNEL_ID).into_iter().rev()
            .find(|m| m.content.contains("Rhyme time across the nations")).expect("the announcement is stored");
        let click = bot.discord.button_click(&asker, DiscordStandIn::ANNOUNCE_CHANNEL_ID, announcement.id, &custom_id).await;
        let text = bot.follow_up(&click).await;
        assert!(text.contains("Asked to join"), "{text}");
        let participants = app.data(Some(&lead_token), "query($id: ID!) { collaboration(id: $id) { participants { joinStatus partner { slug } } } }", json!({ "id": collaboration_id })).await;
        let asked = participants["collaboration"]["participants"].as_array().expect("participants").iter()
            .any(|p| p["partner"]["slug"] == "national-library-of-wales" && p["joinStatus"] == "REQUESTED");
        assert!(asked, "{participants}");
        bot.stop().await;
    }
}

/// Someone not linked can search public threads, is told how to link when they try to
/// write, and hears the bot in Welsh once they choose it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn strangers_search_and_hear_welsh() {
    let app = TestApp::spawn(crate::support::Backend::Sqlite).await.expect("SQLite");
    crate::support::run_then_clean_up(app, async |app: &TestApp| {
        let bot_token = app.member_token("british-library", MemberRole::Bot).await;
        let member = app.member_token("national-library-of-wales", MemberRole::Member).await;
        app.data(Some(&member), "mutation { postThread(input: { kind: RESOURCE, title: \"Storytime songbook\", visibility: PUBLIC }) { thread { id } } }", json!({})).await;
        app.data(Some(&member), "mutation { postThread(input: { kind: RESOURCE, title: \"Storytime staff rota\" }) { thread { id } } }", json!({})).await;
        let bot = RunningBot::start(app, &bot_token).await;
        let stranger = DiscordUser::new(500_000_000_000_000_009, "visitor");

        let search = bot.discord.slash_command(&stranger, "search", json!([option("query", json!("storytime"))])).await;
        let text = bot.follow_up(&search).await;
        assert!(text.contains("Storytime songbook"), "{text}");
        assert!(!text.contains("staff rota"), "network-only threads stay hidden: {text}");
        let (kind, _) = bot.callbacks(&search)[0].clone();
        assert_eq!(kind, 5, "deferred within the deadline");

        let follow = bot.discord.slash_command(&stranger, "unanswered", json!([])).await;
        let _ = bot.follow_up(&follow).await;
        let link_first = bot.discord.slash_command(&stranger, "collab", json!([{ "name": "join", "type": 1, "options": [option("id", json!("Q29sbGFib3JhdGlvbjox"))] }])).await;
        let text = bot.follow_up(&link_first).await;
        assert!(text.contains("/link"), "{text}");

        let welsh = bot.discord.slash_command(&stranger, "language", json!([{ "name": "language", "type": 4, "value": 1 }])).await;
        assert_eq!(bot.follow_up(&welsh).await, "Byddaf yn siarad Cymraeg â chi o hyn ymlaen.");
        let help = bot.discord.slash_command(&stranger, "help", json!([])).await;
        assert!(bot.follow_up(&help).await.contains("Rhwydwaith Gwybodaeth Fyw"));
        bot.stop().await;

        // The choice is kept in the API: a new bot process still speaks Welsh.
        let bot = RunningBot::start(app, &bot_token).await;
        let help = bot.discord.slash_command(&stranger, "help", json!([])).await;
        assert!(bot.follow_up(&help).await.contains("Rhwydwaith Gwybodaeth Fyw"));
        bot.stop().await;
    })
    .await;
}

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

/// The console runs the same commands as the token's member and prints the replies.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn console_runs_commands_as_the_tokens_member() {
    let app = TestApp::spawn(crate::support::Backend::Sqlite).await.expect("SQLite");
    crate::support::run_then_clean_up(app, async |app: &TestApp| {
        let token = app.member_token("national-library-of-wales", MemberRole::Member).await;
        let api = lkn_bot::api::Lkn::new(std::sync::Arc::new(
            lkn_bot::api::HttpTransport::new(&app.url(""), None).expect("client"),
        ));
        let script = concat!(
            "/ask title:\"Seed library in every branch?\" body:\"How did you start?\" tags:\"sustainability\"\n",
            "/search query:\"seed library\"\n",
            "/partners nation:wales\n",
            "/share idea title:\"\"\n",
            "/language language:cy\n",
            "/stats\n",
            "/nonsense\n",
        );
        let mut output = Vec::new();
        lkn_bot::console::run(&api, token, script.as_bytes(), &mut output).await.expect("console");
        let output = String::from_utf8(output).expect("utf-8");
        let replies: Vec<&str> = output.split("\n\n").collect();
        assert!(replies[0].starts_with("Posted “Seed library in every branch?”"), "{output}");
        assert!(replies[1].contains("Seed library in every branch?"), "{output}");
        assert!(replies[2].contains("National Library of Wales"), "{output}");
        assert!(replies[3].contains("title:") && replies[3].contains("not accepted"), "{output}");
        assert!(replies[5].starts_with("**Y Rhwydwaith Gwybodaeth Fyw**"), "{output}");
        assert!(replies[6].contains("/nonsense"), "{output}");
        let stored = app.data(None, "{ threads(first: 5) { totalCount } }", json!({})).await;
        assert_eq!(stored["threads"]["totalCount"], 0, "the question is network-only: {stored}");
    })
    .await;
}

/// Similar threads come first and "post anyway" posts; autocomplete offers threads; a
/// reply is accepted with the "Mark as answer" message command; someone not linked who
/// writes in a post is told how to link, and nothing reaches LKN.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn offers_autocomplete_and_mark_as_answer() {
    let app = TestApp::spawn(crate::support::Backend::Sqlite).await.expect("SQLite");
    crate::support::run_then_clean_up(app, async |app: &TestApp| {
        let bot_token = app.member_token("british-library", MemberRole::Bot).await;
        let asker_token = app.member_token("leeds-city-council", MemberRole::Member).await;
        let helper_token = app.member_token("glasgow-life", MemberRole::Member).await;
        let existing = post_thread(app, &asker_token, "Running a seed library from a branch", &[]).await;
        let bot = RunningBot::start(app, &bot_token).await;
        let asker = DiscordUser::new(500_000_000_000_000_011, "leeds");
        link(app, &bot, &asker, &asker_token).await;

        // Similar threads first; "post anyway" posts with the same interaction as key.
        let ask = bot.discord.slash_command(&asker, "ask", json!([])).await;
        bot.discord
            .wait_for_call("the modal", WAIT, |c| c.path.contains(&format!("/interactions/{}/", ask.id)))
            .await
            .expect("modal");
        let title = "Has anyone run a seed library?";
        bot.discord
            .modal_submit(
                &asker,
                &ask.id.to_string(),
                &[("title", title), ("body", "Seed library in a branch"), ("tags", "")],
            )
            .await;
        let path = format!("/webhooks/{}/{}", DiscordStandIn::APPLICATION_ID, ask.token);
        let offer = bot
            .discord
            .wait_for_call("the offer", WAIT, |c| c.method == "POST" && c.path.ends_with(&path))
            .await
            .expect("offer");
        let content = offer.body["content"].as_str().unwrap_or_default();
        assert!(content.contains("Running a seed library from a branch"), "{content}");
        let post_button =
            offer.body["components"][0]["components"][0]["custom_id"].as_str().expect("post button").to_owned();
        let offer_id: u64 = offer.response["id"].as_str().and_then(|id| id.parse().ok()).expect("offer message id");
        let press = bot.discord.button_click(&asker, DiscordStandIn::ANNOUNCE_CHANNEL_ID, offer_id, &post_button).await;
        bot.discord
            .wait_for_call("the press acknowledged", WAIT, |c| c.path.contains(&format!("/interactions/{}/", press.id)))
            .await
            .expect("acknowledged");
        let posted = bot
            .discord
            .wait_for_call("posted", WAIT, |c| {
                c.method == "POST"
                    && c.path.ends_with(&path)
                    && c.body["content"].as_str().is_some_and(|t| t.starts_with("Posted"))
            })
            .await;
        assert!(posted.is_ok(), "{posted:?}");
        let post = wait_for_posts(&bot.discord, title, 1).await.pop().expect("forum post");

        // Autocomplete offers threads by title.
        let typing = bot
            .discord
            .autocomplete(&asker, "thread", json!([{ "name": "id", "type": 3, "value": "seed", "focused": true }]))
            .await;
        let choices = bot
            .discord
            .wait_for_call("choices", WAIT, |c| c.path.contains(&format!("/interactions/{}/", typing.id)))
            .await
            .expect("autocomplete answered");
        assert_eq!(choices.body["type"], 8, "{choices:?}");
        let names: Vec<&str> = choices.body["data"]["choices"]
            .as_array()
            .expect("choices")
            .iter()
            .filter_map(|c| c["name"].as_str())
            .collect();
        assert!(names.contains(&title) && names.contains(&"Running a seed library from a branch"), "{names:?}");

        // A reply through the API lands in the post; "Mark as answer" on it accepts it.
        let replied = app
            .data(
                Some(&helper_token),
                "mutation($input: ReplyToThreadInput!) { replyToThread(input: $input) { reply { id } } }",
                json!({ "input": { "threadId": existing, "body": "unrelated" } }),
            )
            .await;
        assert!(replied["replyToThread"]["reply"]["id"].is_string());
        let found = app
            .data(
                Some(&asker_token),
                "query($t: String) { threads(filter: { titleContains: $t }) { nodes { id } } }",
                json!({ "t": title }),
            )
            .await;
        let thread_id = found["threads"]["nodes"][0]["id"].as_str().expect("thread").to_owned();
        app.data(
            Some(&helper_token),
            "mutation($input: ReplyToThreadInput!) { replyToThread(input: $input) { reply { id } } }",
            json!({ "input": { "threadId": thread_id, "body": "We lend seeds from a card catalogue." } }),
        )
        .await;
        let started = std::time::Instant::now();
        let mirrored = loop {
            let found =
                bot.discord.channel_messages(post.id).into_iter().find(|m| m.content.contains("card catalogue"));
            if found.is_some() || started.elapsed() > WAIT {
                break found.expect("the reply is mirrored into the post");
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        };
        let mark = bot.discord.message_command(&asker, "Mark as answer", &mirrored).await;
        let text = bot.follow_up(&mark).await;
        assert!(text.contains("Marked as the answer"), "{text}");
        let status = app
            .data(
                Some(&asker_token),
                "query($id: ID!) { thread(id: $id) { status acceptedReply { body } } }",
                json!({ "id": thread_id }),
            )
            .await;
        assert_eq!(status["thread"]["status"], "ANSWERED", "{status}");
        let the_question = bot.discord.channel_messages(post.id).into_iter().next().expect("the post's first message");
        let not_a_reply = bot.discord.message_command(&asker, "Mark as answer", &the_question).await;
        assert!(bot.follow_up(&not_a_reply).await.contains("not a reply"));

        // Someone not linked writes in the post: told how to link; LKN gets nothing.
        let stranger = DiscordUser::new(500_000_000_000_000_012, "passer-by");
        bot.discord.user_message(&stranger, post.id, "Me too!").await;
        bot.discord
            .wait_for_call("the notice", WAIT, |c| {
                c.method == "POST"
                    && c.path.ends_with(&format!("/channels/{}/messages", post.id))
                    && c.body["content"].as_str().is_some_and(|t| t.contains("/link"))
            })
            .await
            .expect("notice");
        let replies = app
            .data(Some(&asker_token), "query($id: ID!) { thread(id: $id) { replyCount } }", json!({ "id": thread_id }))
            .await;
        assert_eq!(replies["thread"]["replyCount"], 1, "{replies}");
        bot.stop().await;
    })
    .await;
}

on_both_databases! {
    /// The bot's records are the bot's alone, refuse bad input with typed errors, and
    /// a claim is won once.
    async fn discord_records_belong_to_the_bot(app) {
        let bot = app.member_token("british-library", MemberRole::Bot).await;
        let member = app.member_token("glasgow-life", MemberRole::Member).await;
        let claim = "mutation($key: String!) { claimDiscordMirror(input: { key: $key }) { claimed mirror { completed } userErrors { field code } } }";
        let refused = app.graphql(Some(&member), claim, json!({ "key": "thread:x" })).await;
        assert_eq!(refused["errors"][0]["extensions"]["code"], "FORBIDDEN", "{refused}");
        let anonymous = app.graphql(None, claim, json!({ "key": "thread:x" })).await;
        assert_eq!(anonymous["errors"][0]["extensions"]["code"], "UNAUTHENTICATED", "{anonymous}");

        let first = app.data(Some(&bot), claim, json!({ "key": "thread:x" })).await;
        assert_eq!(first["claimDiscordMirror"]["claimed"], true);
        let second = app.data(Some(&bot), claim, json!({ "key": "thread:x" })).await;
        assert_eq!(second["claimDiscordMirror"]["claimed"], false, "a live claim is won once");
        let bad = app.data(Some(&bot), claim, json!({ "key": "has space" })).await;
        assert_eq!(bad["claimDiscordMirror"]["userErrors"][0]["code"], "INVALID", "{bad}");

        let complete = "mutation($input: CompleteDiscordMirrorInput!) { completeDiscordMirror(input: $input) { mirror { channelId completed } userErrors { field code } } }";
        let faults = app.data(Some(&bot), complete, json!({ "input": { "key": "thread:x", "channelId": "abc", "messageId": "" } })).await;
        assert_eq!(faults["completeDiscordMirror"]["userErrors"].as_array().map(Vec::len), Some(2), "{faults}");
        let done = app.data(Some(&bot), complete, json!({ "input": { "key": "thread:x", "channelId": "123", "messageId": "123" } })).await;
        assert_eq!(done["completeDiscordMirror"]["mirror"]["completed"], true, "{done}");
        let release = "mutation { releaseDiscordMirror(input: { key: \"thread:x\" }) { released } }";
        assert_eq!(app.data(Some(&bot), release, json!({})).await["releaseDiscordMirror"]["released"], false, "a posted mirror is kept");
        let found = app.data(Some(&bot), "{ discordThreadMirror(channelId: \"123\") { key } }", json!({})).await;
        assert_eq!(found["discordThreadMirror"]["key"], "thread:x");

        let language = "mutation($l: Language!) { setDiscordLanguage(input: { discordUserId: \"42\", language: $l }) { language userErrors { code } } }";
        let gaelic = app.data(Some(&bot), language, json!({ "l": "GD" })).await;
        assert_eq!(gaelic["setDiscordLanguage"]["userErrors"][0]["code"], "INVALID", "{gaelic}");
        app.data(Some(&bot), language, json!({ "l": "CY" })).await;
        let kept = app.data(Some(&bot), "{ discordLanguage(discordUserId: \"42\") }", json!({})).await;
        assert_eq!(kept["discordLanguage"], "CY");

        // Only the bot may say a reply came from Discord.
        let thread = post_thread(app, &member, "Origins", &[]).await;
        let reply = "mutation($input: ReplyToThreadInput!) { replyToThread(input: $input) { reply { id } userErrors { field code } } }";
        let claimed = app.data(Some(&member), reply, json!({ "input": { "threadId": thread, "body": "hi", "discordMessage": { "channelId": "1", "messageId": "2" } } })).await;
        assert_eq!(claimed["replyToThread"]["userErrors"][0]["code"], "INVALID", "{claimed}");
        let count = app.data(Some(&member), "query($id: ID!) { thread(id: $id) { replyCount } }", json!({ "id": thread })).await;
        assert_eq!(count["thread"]["replyCount"], 0, "a refused reply changes nothing");
    }
}

/// Every command the console and Discord share reaches the API with a document it
/// accepts, and answers with what happened.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_command_reaches_the_api() {
    let app = TestApp::spawn(crate::support::Backend::Sqlite).await.expect("SQLite");
    crate::support::run_then_clean_up(app, async |app: &TestApp| {
        let lead = app.member_token("leeds-city-council", MemberRole::Coordinator).await;
        let joiner = app.member_token("glasgow-life", MemberRole::Coordinator).await;
        let api = lkn_bot::api::Lkn::new(std::sync::Arc::new(
            lkn_bot::api::HttpTransport::new(&app.url(""), None).expect("client"),
        ));
        let run = async |line: String| {
            let mut output = Vec::new();
            lkn_bot::console::run(&api, lead.clone(), line.as_bytes(), &mut output).await.expect("console");
            String::from_utf8(output).expect("utf-8")
        };
        assert!(run("/ask title:\"Who lends telescopes?\" confirm:yes\n".into()).await.starts_with("Posted"));
        let thread = post_thread(app, &lead, "Telescope loans", &[]).await;
        assert!(run(format!("/thread id:{thread}\n")).await.contains("Telescope loans"));
        assert!(run(format!("/follow thread:{thread}\n")).await.contains("You now follow “Telescope loans”"));
        assert!(run(format!("/unfollow thread:{thread}\n")).await.contains("You no longer follow"));
        assert!(run("/unanswered\n".into()).await.contains("Who lends telescopes?"));
        assert!(run("/partner name:glasgow\n".into()).await.contains("**Glasgow Life** (`glasgow-life`)"));

        let reply = app
            .data(Some(&joiner), "mutation($input: ReplyToThreadInput!) { replyToThread(input: $input) { reply { id } } }",
                json!({ "input": { "threadId": thread, "body": "Ask the observatory." } }))
            .await["replyToThread"]["reply"]["id"].as_str().expect("reply").to_owned();
        assert!(run(format!("/answer reply:{reply}\n")).await.contains("Marked as the answer to “Telescope loans”"));

        assert!(run("/collab propose title:\"Dark skies week\" summary:\"Stargazing.\" kind:activity\n".into()).await.starts_with("Proposed"));
        let found = app.data(Some(&lead), "{ collaborations(first: 1) { nodes { id } } }", json!({})).await;
        let id = found["collaborations"]["nodes"][0]["id"].as_str().expect("collaboration").to_owned();
        assert!(run(format!("/collab show id:{id}\n")).await.contains("Dark skies week"));
        assert!(run(format!("/collab advance id:{id} status:seeking-partners\n")).await.contains("moved on"));
        app.data(Some(&joiner), "mutation($input: RequestToJoinCollaborationInput!) { requestToJoinCollaboration(input: $input) { collaboration { id } } }",
            json!({ "input": { "collaborationId": id } })).await;
        assert!(run(format!("/collab decide id:{id} partner:glasgow-life decision:accept\n")).await.contains("Request accepted"));
        assert!(run("/collab list status:seeking-partners\n".into()).await.contains("Dark skies week"));
    })
    .await;
}

/// Every way of mentioning people at once.
const PINGS: &str = "@everyone @here <@123> <@&456>";

/// Thread text never pings anyone: a thread, a reply and a proposal full of mentions,
/// posted through the API and through the bot's commands, reach Discord only in messages
/// whose `allowed_mentions` parses nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thread_text_never_pings_anyone() {
    let app = TestApp::spawn(crate::support::Backend::Sqlite).await.expect("SQLite");
    crate::support::run_then_clean_up(app, async |app: &TestApp| {
        let bot_token = app.member_token("british-library", MemberRole::Bot).await;
        let asker_token = app.member_token("national-library-of-wales", MemberRole::Coordinator).await;
        let lead_token = app.member_token("leeds-city-council", MemberRole::Coordinator).await;
        let bot = RunningBot::start(app, &bot_token).await;
        let asker = DiscordUser::new(500_000_000_000_000_021, "eira");
        link(app, &bot, &asker, &asker_token).await;

        // Through the API: a thread, a reply in it and a proposal, each full of mentions.
        let title = format!("Pings from the API {PINGS}");
        let posted = app
            .data(
                Some(&asker_token),
                "mutation($input: PostThreadInput!) { postThread(input: $input) { thread { id } userErrors { message } } }",
                json!({ "input": { "kind": "QUESTION", "title": title, "body": PINGS, "tags": [] } }),
            )
            .await;
        let thread_id = posted["postThread"]["thread"]["id"].as_str().expect("thread id").to_owned();
        let post = wait_for_posts(&bot.discord, "Pings from the API", 1).await.pop().expect("the thread's forum post");
        app.data(
            Some(&lead_token),
            "mutation($input: ReplyToThreadInput!) { replyToThread(input: $input) { reply { id } } }",
            json!({ "input": { "threadId": thread_id, "body": format!("Reply {PINGS}") } }),
        )
        .await;
        bot.discord
            .wait_for_call("the reply in the post", WAIT, |c| {
                c.method == "POST"
                    && c.path.ends_with(&format!("/channels/{}/messages", post.id))
                    && c.body["content"].as_str().is_some_and(|t| t.contains("Reply @everyone"))
            })
            .await
            .expect("reply mirrored");
        let proposal = format!("Rhyme time {PINGS}");
        app.data(
            Some(&lead_token),
            "mutation($input: ProposeCollaborationInput!) { proposeCollaboration(input: $input) { collaboration { id } } }",
            json!({ "input": { "kind": "PROGRAMME", "title": proposal, "summary": PINGS } }),
        )
        .await;
        let announce_path = format!("/channels/{}/messages", DiscordStandIn::ANNOUNCE_CHANNEL_ID);
        let announced = bot
            .discord
            .wait_for_call("the announcement", WAIT, |c| {
                c.method == "POST"
                    && c.path.ends_with(&announce_path)
                    && c.body["content"].as_str().is_some_and(|t| t.contains("Rhyme time"))
            })
            .await
            .expect("announced");

        // Through the bot: an idea shared from the form, the thread shown, a join button pressed.
        let share = bot.discord.slash_command(&asker, "share", json!([{ "name": "idea", "type": 1, "options": [] }])).await;
        bot.discord
            .wait_for_call("the /share modal", WAIT, |c| c.path.contains(&format!("/interactions/{}/", share.id)))
            .await
            .expect("modal shown");
        let idea = format!("Pings from Discord {PINGS}");
        bot.discord.modal_submit(&asker, &share.id.to_string(), &[("title", &idea), ("body", PINGS), ("tags", "")]).await;
        assert!(bot.follow_up(&share).await.contains("Pings from Discord @everyone"));
        assert_eq!(wait_for_posts(&bot.discord, "Pings from Discord", 1).await.len(), 1);
        let shown = bot.discord.slash_command(&asker, "thread", json!([option("id", json!(thread_id))])).await;
        assert!(bot.follow_up(&shown).await.contains("Reply @everyone"));
        let button = announced.body["components"][0]["components"][0]["custom_id"].as_str().expect("a join button");
        let announcement = bot
            .discord
            .channel_messages(DiscordStandIn::ANNOUNCE_CHANNEL_ID)
            .into_iter()
            .find(|m| m.content.contains("Rhyme time"))
            .expect("the announcement is stored");
        let click = bot.discord.button_click(&asker, DiscordStandIn::ANNOUNCE_CHANNEL_ID, announcement.id, button).await;
        assert!(bot.follow_up(&click).await.contains("Asked to join"));

        // Someone not linked writes in the post: the notice replies to them.
        let stranger = DiscordUser::new(500_000_000_000_000_022, "passer-by");
        bot.discord.user_message(&stranger, post.id, "Hello?").await;
        bot.discord
            .wait_for_call("the notice", WAIT, |c| {
                c.method == "POST"
                    && c.path.ends_with(&format!("/channels/{}/messages", post.id))
                    && c.body["message_reference"].is_object()
            })
            .await
            .expect("notice");

        // /link, two forum posts, the reply, the announcement, /share, /thread, the join
        // follow-up and the notice: every one of them parsed no mentions.
        let writes = bot.discord.content_writes();
        let count = |suffix: &str| writes.iter().filter(|w| w.path.ends_with(suffix)).count();
        assert_eq!(count("/threads"), 2, "forum posts: {writes:#?}");
        assert!(writes.iter().filter(|w| w.path.contains("/webhooks/")).count() >= 4, "follow-ups: {writes:#?}");
        assert!(count("/messages") >= 3, "channel messages: {writes:#?}");
        assert!(writes.len() >= 9, "{writes:#?}");
        assert!(writes.iter().filter(|w| w.content.contains("@everyone")).count() >= 6, "{writes:#?}");
        for write in &writes {
            let allowed = &write.allowed_mentions;
            assert_eq!(allowed["parse"], json!([]), "{} {} parses mentions: {write:#?}", write.method, write.path);
            for listed in ["users", "roles"] {
                assert!(allowed[listed].as_array().is_none_or(Vec::is_empty), "{write:#?}");
            }
            assert!(write.pings.is_empty(), "{} {} would ping {:?}", write.method, write.path, write.pings);
        }
        bot.stop().await;
    })
    .await;
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

on_both_databases! {
    /// Suspension holds on the bot's door: a suspended member's Discord account can no
    /// longer act for them (their writes are refused and change nothing; they read only
    /// what the public reads), and acts again once they are restored.
    async fn a_suspended_member_is_refused_through_the_bot(app) {
        use sea_orm::{EntityTrait, PaginatorTrait};
        let bot_token = app.member_token("british-library", MemberRole::Bot).await;
        let member = app.member_token("glasgow-life", MemberRole::Member).await;
        let coordinator = app.member_token("glasgow-life", MemberRole::Coordinator).await;
        let thread = post_thread(app, &coordinator, "Staff-only rota swap", &[]).await;
        let bot = RunningBot::start(app, &bot_token).await;
        let user = DiscordUser::new(500_000_000_000_000_021, "eilidh");
        link(app, &bot, &user, &member).await;
        let follow = bot.discord.slash_command(&user, "follow", json!([option("thread", json!(thread))])).await;
        assert!(bot.follow_up(&follow).await.contains("You now follow"));
        let unfollow = bot.discord.slash_command(&user, "unfollow", json!([option("thread", json!(thread))])).await;
        assert!(bot.follow_up(&unfollow).await.contains("You no longer follow"));

        let member_id = app.data(Some(&member), "{ viewer { id } }", json!({})).await["viewer"]["id"].clone();
        let suspended = app
            .data(Some(&coordinator), "mutation($i: SuspendMemberInput!) { suspendMember(input: $i) { member { id } userErrors { code } } }",
                json!({ "i": { "memberId": member_id } }))
            .await;
        assert_eq!(suspended["suspendMember"]["userErrors"], json!([]), "{suspended}");

        let follows = lkn_entity::follow::Entity::find().count(&app.db).await.expect("count");
        let follow = bot.discord.slash_command(&user, "follow", json!([option("thread", json!(thread))])).await;
        let text = bot.follow_up(&follow).await;
        assert!(text.contains("suspended"), "a suspended member cannot act through the bot, and is told why: {text}");
        let after = lkn_entity::follow::Entity::find().count(&app.db).await.expect("count");
        assert_eq!(after, follows, "nothing was written for them");
        let shown = bot.discord.slash_command(&user, "thread", json!([option("id", json!(thread))])).await;
        let text = bot.follow_up(&shown).await;
        assert!(!text.contains("Staff-only rota swap"), "network-only threads are hidden from them: {text}");
        assert!(text.contains("suspended"), "{text}");

        let restored = app
            .data(Some(&coordinator), "mutation($i: SuspendMemberInput!) { restoreMember(input: $i) { member { id } } }",
                json!({ "i": { "memberId": member_id } }))
            .await;
        assert!(restored["restoreMember"]["member"]["id"].is_string());
        let follow = bot.discord.slash_command(&user, "follow", json!([option("thread", json!(thread))])).await;
        assert!(bot.follow_up(&follow).await.contains("You now follow"), "restored, they act again");
        bot.stop().await;
    }
}
