//! Nothing the bot writes notifies anyone: every message it sends parses no mentions.

use lkn_entity::vocabulary::MemberRole;
use serde_json::json;

use super::{RunningBot, WAIT, link, option, wait_for_posts};
use crate::discord_standin::{DiscordStandIn, DiscordUser};
use crate::support::TestApp;

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
