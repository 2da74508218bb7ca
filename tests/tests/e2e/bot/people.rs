//! The network's people from Discord: `/who-knows` names who answered, replied to and
//! declared a topic, with the reasons; `/profile` shows one's own profile or a colleague's.

use lkn_entity::vocabulary::MemberRole;
use serde_json::json;

use super::{RunningBot, link, option, post_thread};
use crate::discord_standin::DiscordUser;
use crate::on_both_databases;

const UPDATE: &str = "mutation($i: UpdateProfileInput!) { updateProfile(input: $i) { userErrors { code message } } }";

on_both_databases! {
    /// Members ask who knows about storytime and get names, partners and reasons; someone
    /// not linked is asked to link; a profile shows bio, languages and expertise, one's own
    /// or a colleague's picked in Discord.
    async fn members_find_who_knows_and_read_profiles(app) {
        let bot_token = app.member_token("british-library", MemberRole::Bot).await;
        let asker = app.member("glasgow-life", MemberRole::Member).await;
        let answerer = app.member("national-library-of-wales", MemberRole::Member).await;
        let declarer = app.member("glasgow-life", MemberRole::Member).await;
        app.data(Some(&answerer.token), UPDATE, json!({ "i": { "displayName": "Siân Answerer" } })).await;
        let profile = json!({ "i": {
            "displayName": "Morag Declarer",
            "bio": "Children's librarian; rhyme time every Tuesday.",
            "languages": ["EN", "GD"],
            "expertise": ["storytime", "early-years"],
        } });
        let updated = app.data(Some(&declarer.token), UPDATE, profile).await;
        assert_eq!(updated["updateProfile"]["userErrors"], json!([]), "{updated}");
        let thread = post_thread(app, &asker.token, "Ideas for a winter storytime?", &["storytime"]).await;
        let replied = app
            .data(Some(&answerer.token), "mutation($i: ReplyToThreadInput!) { replyToThread(input: $i) { reply { id } } }",
                json!({ "i": { "threadId": thread, "body": "Puppets and a sing-along." } }))
            .await;
        let reply = replied["replyToThread"]["reply"]["id"].as_str().expect("a reply").to_owned();
        app.data(Some(&asker.token), "mutation($i: AcceptReplyInput!) { acceptReply(input: $i) { userErrors { code } } }", json!({ "i": { "replyId": reply } })).await;

        let bot = RunningBot::start(app, &bot_token).await;
        let registered = bot.discord.calls().into_iter().find(|c| c.path.ends_with("/commands")).expect("registration");
        let names: Vec<&str> = registered.body.as_array().expect("commands").iter().filter_map(|c| c["name"].as_str()).collect();
        assert!(names.contains(&"who-knows") && names.contains(&"profile"), "{names:?}");
        let ailsa = DiscordUser::new(500_000_000_000_000_301, "ailsa");
        let morag = DiscordUser::new(500_000_000_000_000_302, "morag");
        link(app, &bot, &ailsa, &asker.token).await;
        link(app, &bot, &morag, &declarer.token).await;

        let asking = bot.discord.slash_command(&ailsa, "who-knows", json!([option("topic", json!("storytime"))])).await;
        let text = bot.follow_up(&asking).await;
        assert!(text.starts_with("Who knows about “storytime”:"), "{text}");
        let answerer_line = text.lines().position(|l| l.contains("Siân Answerer")).expect("the answerer is named");
        let declarer_line = text.lines().position(|l| l.contains("Morag Declarer")).expect("the declarer is named");
        assert!(answerer_line < declarer_line, "who answered comes first: {text}");
        assert!(text.contains("Siân Answerer** — National Library of Wales: 1 accepted answer on storytime"), "{text}");
        assert!(text.contains("declares storytime"), "{text}");

        let stranger = DiscordUser::new(500_000_000_000_000_303, "visitor");
        let refused = bot.discord.slash_command(&stranger, "who-knows", json!([option("topic", json!("storytime"))])).await;
        let text = bot.follow_up(&refused).await;
        assert!(text.contains("/link"), "members only: {text}");

        let own = bot.discord.slash_command(&morag, "profile", json!([])).await;
        let text = bot.follow_up(&own).await;
        assert!(text.starts_with("**Morag Declarer** — Glasgow Life"), "{text}");
        assert!(text.contains("rhyme time every Tuesday"), "{text}");
        assert!(text.contains("Languages: English, Scottish Gaelic"), "{text}");
        assert!(text.contains("Knows about: early-years, storytime"), "{text}");

        let named = json!([{ "name": "member", "type": 6, "value": morag.id.to_string() }]);
        let colleague = bot.discord.slash_command_naming(&ailsa, "profile", named, &[&morag]).await;
        let seen = bot.follow_up(&colleague).await;
        assert!(seen.starts_with("**Morag Declarer**") && seen.contains("storytime"), "{seen}");
        let nobody = json!([{ "name": "member", "type": 6, "value": stranger.id.to_string() }]);
        let unlinked = bot.discord.slash_command_naming(&ailsa, "profile", nobody, &[&stranger]).await;
        assert_eq!(bot.follow_up(&unlinked).await, "That Discord account is not linked to a member of LKN.");
        bot.stop().await;
    }
}
