//! Who may act through the bot: the Discord records are the bot's alone, and a suspended
//! member's Discord account cannot act for them.

use lkn_entity::vocabulary::MemberRole;
use serde_json::json;

use super::{RunningBot, link, option, post_thread};
use crate::discord_standin::DiscordUser;
use crate::on_both_databases;

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
