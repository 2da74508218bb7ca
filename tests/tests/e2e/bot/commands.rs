//! The bot's commands from Discord: /ask through a modal (redelivered interactions included),
//! a reply written in the forum post, /answer and "Mark as answer", a join button, /search and
//! /language for someone not linked, autocomplete.

use std::time::Duration;

use lkn_entity::vocabulary::MemberRole;
use serde_json::{Value, json};

use super::{RunningBot, WAIT, link, option, post_thread, wait_for_posts};
use crate::discord_standin::{DiscordStandIn, DiscordUser};
use crate::on_both_databases;
use crate::support::TestApp;

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
