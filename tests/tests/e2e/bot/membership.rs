//! Joining and linking from Discord: `/join` put to the partner's coordinators, decided by
//! their button press (and refused to anyone else), the person told by direct message and
//! acting as the new member at once; `/link email:` with the code read from the e-mail the
//! real SMTP server received.

use lkn_entity::outbox_message;
use lkn_entity::vocabulary::MemberRole;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};

use super::{RunningBot, WAIT, link, option};
use crate::discord_standin::{DiscordStandIn, DiscordUser, Interaction};
use crate::support::TestApp;
use crate::{on_both_databases, on_both_databases_with_mail};

/// `user` runs `/join` for `partner`; returns the follow-up's text.
async fn join(bot: &RunningBot, user: &DiscordUser, partner: &str, name: &str, email: &str) -> String {
    let options =
        json!([option("partner", json!(partner)), option("name", json!(name)), option("email", json!(email))]);
    let joining = bot.discord.slash_command(user, "join", options).await;
    bot.follow_up(&joining).await
}

/// The coordinators' message about `name`'s request, with its approve and decline buttons' ids.
async fn request_message(bot: &RunningBot, name: &str) -> (u64, String, String) {
    let path = format!("/channels/{}/messages", DiscordStandIn::COORDINATORS_CHANNEL_ID);
    let posted = bot
        .discord
        .wait_for_call("the request put to the coordinators", WAIT, |c| {
            c.method == "POST"
                && c.path.ends_with(&path)
                && c.body["content"].as_str().is_some_and(|t| t.contains(name))
        })
        .await
        .expect("the coordinators are asked");
    let buttons = posted.body["components"][0]["components"].as_array().expect("buttons").clone();
    let id = |index: usize| buttons[index]["custom_id"].as_str().expect("a custom id").to_owned();
    let message = posted.response["id"].as_str().and_then(|id| id.parse().ok()).expect("the message's id");
    (message, id(0), id(1))
}

/// How many times the coordinators were asked about `name`.
fn times_asked(bot: &RunningBot, name: &str) -> usize {
    bot.posts_to(DiscordStandIn::COORDINATORS_CHANNEL_ID)
        .iter()
        .filter(|c| c.body["content"].as_str().is_some_and(|t| t.contains(name)))
        .count()
}

async fn press(bot: &RunningBot, user: &DiscordUser, message: u64, custom_id: &str) -> String {
    let click = bot.discord.button_click(user, DiscordStandIn::COORDINATORS_CHANNEL_ID, message, custom_id).await;
    bot.follow_up(&click).await
}

/// The edits of the coordinators' message `message`.
fn edits_of(bot: &RunningBot, message: u64) -> Vec<Value> {
    let path = format!("/channels/{}/messages/{message}", DiscordStandIn::COORDINATORS_CHANNEL_ID);
    bot.discord.calls().into_iter().filter(|c| c.method == "PATCH" && c.path.ends_with(&path)).map(|c| c.body).collect()
}

/// `user` asks a question through `/ask`'s form; returns the follow-up's text.
async fn ask(bot: &RunningBot, user: &DiscordUser, title: &str) -> String {
    let asking: Interaction = bot.discord.slash_command(user, "ask", json!([])).await;
    bot.discord
        .wait_for_call("the /ask modal", WAIT, |c| c.path.contains(&format!("/interactions/{}/", asking.id)))
        .await
        .expect("modal shown");
    let fields = [("title", title), ("body", "Asked from Discord."), ("tags", "")];
    bot.discord.modal_submit(user, &asking.id.to_string(), &fields).await;
    bot.follow_up(&asking).await
}

/// The display name of the author of the thread titled `title`, as a member reads it.
async fn author_of(app: &TestApp, token: &str, title: &str) -> Value {
    let found = app
        .data(
            Some(token),
            "query($t: String) { threads(filter: { titleContains: $t }) { nodes { author { displayName partner { slug } } } } }",
            json!({ "t": title }),
        )
        .await;
    found["threads"]["nodes"][0]["author"].clone()
}

on_both_databases! {
    /// Someone who is not a member asks to join from Discord; the partner's coordinators are
    /// asked once (a retried /join asks nobody again); a plain member's press is refused and
    /// changes nothing; the coordinator's approval creates the member with Discord linked, shows
    /// the decision, tells the person, and their next /ask posts as them; deciding twice is
    /// refused; a declined request links nobody; someone linked is told they are a member; nothing
    /// pings anyone, and the audit trail has it all.
    async fn strangers_join_from_discord_and_coordinators_decide(app) {
        let bot_token = app.member_token("british-library", MemberRole::Bot).await;
        let coordinator_token = app.member_token("national-library-of-wales", MemberRole::Coordinator).await;
        let colleague_token = app.member_token("national-library-of-wales", MemberRole::Member).await;
        let bot = RunningBot::start(app, &bot_token).await;
        let registered = bot.discord.calls().into_iter().find(|c| c.path.ends_with("/commands")).expect("registration");
        assert!(registered.body.as_array().expect("commands").iter().any(|c| c["name"] == "join"), "/join is registered");
        let coordinator = DiscordUser::new(500_000_000_000_000_101, "eleri");
        let colleague = DiscordUser::new(500_000_000_000_000_102, "dafydd");
        link(app, &bot, &coordinator, &coordinator_token).await;
        link(app, &bot, &colleague, &colleague_token).await;

        let gwen = DiscordUser::new(500_000_000_000_000_103, "gwen");
        let email = format!("gwen-{:08x}@llgc.test", rand::random::<u32>());
        let text = join(&bot, &gwen, "national-library-of-wales", "Gwen Ellis", &email).await;
        assert!(text.contains("Asked to join **National Library of Wales**"), "{text}");
        let (message, approve, decline) = request_message(&bot, "Gwen Ellis").await;
        assert!(approve.starts_with("lkn-membership:approve:") && decline.starts_with("lkn-membership:decline:"), "{approve} {decline}");
        let text = join(&bot, &gwen, "national-library-of-wales", "Gwen Ellis", &email).await;
        assert!(text.contains("Asked to join"), "{text}");
        assert_eq!(times_asked(&bot, "Gwen Ellis"), 1, "a retried /join asks the coordinators once");

        // A member who is not a coordinator may not decide; nothing changes.
        let refused = press(&bot, &colleague, message, &approve).await;
        assert_eq!(refused, "You may not do that.");
        assert!(edits_of(&bot, message).is_empty(), "the request stays as it was");
        let still_out = ask(&bot, &gwen, "Can I post before I am approved?").await;
        assert!(still_out.contains("/join") || still_out.contains("/link"), "not a member yet: {still_out}");

        // The coordinator approves: the message shows it, the person is told, and acts as the new member.
        let approved = press(&bot, &coordinator, message, &approve).await;
        assert!(approved.contains("Approved by") && approved.contains("Gwen Ellis"), "{approved}");
        let edit = edits_of(&bot, message).pop().expect("the coordinators' message is edited");
        assert!(edit["content"].as_str().is_some_and(|t| t.contains("Approved by")), "{edit}");
        assert_eq!(edit["components"], json!([]), "the buttons are gone: {edit}");
        let welcome = bot.discord.wait_for_direct_message(gwen.id, "Welcome", WAIT).await.expect("the person is told");
        assert!(welcome.content.contains("National Library of Wales"), "{welcome:?}");
        let title = "Where are the Welsh-language picture books kept?";
        let posted = ask(&bot, &gwen, title).await;
        assert!(posted.starts_with("Posted"), "{posted}");
        let author = author_of(app, &coordinator_token, title).await;
        assert_eq!(author["displayName"], "Gwen Ellis", "{author}");
        assert_eq!(author["partner"]["slug"], "national-library-of-wales", "{author}");

        // Deciding again is refused with the decision it had.
        let again = press(&bot, &coordinator, message, &decline).await;
        assert!(again.contains("already approved"), "{again}");
        let already = join(&bot, &gwen, "glasgow-life", "Gwen Ellis", &email).await;
        assert!(already.contains("already a member of **National Library of Wales**"), "{already}");

        // A declined request links nobody, and the person hears so (the partner typed by name this time).
        let rhys = DiscordUser::new(500_000_000_000_000_104, "rhys");
        let rhys_email = format!("rhys-{:08x}@llgc.test", rand::random::<u32>());
        join(&bot, &rhys, "Library of Wales", "Rhys Pugh @everyone <@500000000000000101>", &rhys_email).await;
        let (message, _, decline) = request_message(&bot, "Rhys Pugh").await;
        let declined = press(&bot, &coordinator, message, &decline).await;
        assert!(declined.contains("Declined by"), "{declined}");
        bot.discord.wait_for_direct_message(rhys.id, "declined", WAIT).await.expect("the person is told");
        let not_linked = ask(&bot, &rhys, "Declined but asking anyway").await;
        assert!(not_linked.contains("/join"), "{not_linked}");
        // The requests, their decisions and the direct messages ping nobody, whatever the names say.
        let writes = bot.discord.content_writes();
        assert!(writes.iter().any(|w| w.content.contains("Rhys Pugh @everyone") && w.method == "PATCH"), "{writes:#?}");
        for write in &writes {
            assert_eq!(write.allowed_mentions["parse"], json!([]), "{} {} parses mentions", write.method, write.path);
            assert!(write.pings.is_empty(), "{} {} would ping {:?}", write.method, write.path, write.pings);
        }
        let admin_token = app.member_token("british-library", MemberRole::Admin).await;
        let audit = app.data(Some(&admin_token), "{ auditEvents(first: 50) { nodes { action } } }", json!({})).await;
        let actions: Vec<&str> = audit["auditEvents"]["nodes"].as_array().expect("events").iter().filter_map(|e| e["action"].as_str()).collect();
        for expected in ["membership.request", "membership.approve", "membership.decline", "member.add", "discord.link"] {
            assert!(actions.contains(&expected), "{expected} is in the audit trail: {actions:?}");
        }
        bot.stop().await;
    }
}

on_both_databases_with_mail! {
    /// A member links Discord without touching the API: `/link email:` answers the same for
    /// their address and for one that is no member's, the code arrives by real e-mail (and
    /// only for the member), it links no other Discord account, `/link code:` links, and the
    /// next /ask posts as the member.
    async fn members_link_discord_with_a_code_sent_by_email(app) {
        let bot_token = app.member_token("british-library", MemberRole::Bot).await;
        let member = app.member("glasgow-life", MemberRole::Member).await;
        let bot = RunningBot::start(app, &bot_token).await;
        let morag = DiscordUser::new(500_000_000_000_000_201, "morag");
        let other = DiscordUser::new(500_000_000_000_000_202, "someone-else");

        let asking = bot.discord.slash_command(&morag, "link", json!([option("email", json!(member.email.to_uppercase()))])).await;
        let for_member = bot.follow_up(&asking).await;
        assert!(for_member.starts_with("If that address belongs to a member"), "{for_member}");
        let stranger = format!("nobody-{:08x}@glasgow-life.test", rand::random::<u32>());
        let asking = bot.discord.slash_command(&other, "link", json!([option("email", json!(stranger))])).await;
        assert_eq!(bot.follow_up(&asking).await, for_member, "the same answer for an address that is no member's");

        let mail = app.mail().wait_for(&member.email).await;
        let start = mail.text.find("/link code:LKN-").expect("the e-mail carries the command") + "/link code:".len();
        let code: String = mail.text[start..].chars().take("LKN-XXXX-XXXX-XXXX-XXXX".len()).collect();
        assert!(mail.html.contains(&code), "the HTML part carries the code too");
        let queued = outbox_message::Entity::find()
            .filter(outbox_message::Column::Recipient.eq(stranger.as_str()))
            .all(&app.db)
            .await
            .expect("read the outbox");
        assert!(queued.is_empty(), "nothing is sent to an address that is no member's: {queued:?}");

        let stolen = bot.discord.slash_command(&other, "link", json!([option("code", json!(code))])).await;
        let text = bot.follow_up(&stolen).await;
        assert!(!text.starts_with("Linked"), "the code links only the account that asked: {text}");
        let linking = bot.discord.slash_command(&morag, "link", json!([option("code", json!(code))])).await;
        let text = bot.follow_up(&linking).await;
        assert!(text.starts_with("Linked"), "{text}");

        let title = "Who has run a seed library in Glasgow?";
        let posted = ask(&bot, &morag, title).await;
        assert!(posted.starts_with("Posted"), "{posted}");
        let author = author_of(app, &member.token, title).await;
        assert_eq!(author["displayName"], "Test Member at glasgow-life", "{author}");
        bot.stop().await;
    }
}
