//! The proof that the stand-in speaks serenity's dialect: a minimal poise bot runs against it.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use poise::serenity_prelude as serenity;
use serde_json::json;

use super::{DiscordStandIn, DiscordUser, ForumPost};

type Error = Box<dyn std::error::Error + Send + Sync>;

/// The bot's data: how many gateway dispatches reached its event handler.
struct Handled(Arc<AtomicUsize>);

const APP: u64 = DiscordStandIn::APPLICATION_ID;
const ANNOUNCE: u64 = DiscordStandIn::ANNOUNCE_CHANNEL_ID;
const FORUM: u64 = DiscordStandIn::FORUM_CHANNEL_ID;
const WAIT: Duration = Duration::from_secs(5);

/// Defers, then answers "pong" in a follow-up.
#[poise::command(slash_command)]
async fn ping(ctx: poise::Context<'_, Handled, Error>) -> Result<(), Error> {
    ctx.defer().await?;
    ctx.say("pong").await?;
    Ok(())
}

/// Counts the events serenity makes of gateway dispatches (an event it cannot deserialize
/// becomes `Event::Unknown` and never gets here).
fn count_dispatches<'a>(
    framework: poise::FrameworkContext<'a, Handled, Error>,
    event: &'a serenity::FullEvent,
) -> poise::BoxFuture<'a, Result<(), Error>> {
    Box::pin(async move {
        if matches!(
            event,
            serenity::FullEvent::Ready { .. }
                | serenity::FullEvent::GuildCreate { .. }
                | serenity::FullEvent::InteractionCreate { .. }
                | serenity::FullEvent::Message { .. }
                | serenity::FullEvent::ThreadCreate { .. }
                | serenity::FullEvent::ThreadUpdate { .. }
        ) {
            framework.user_data.0.fetch_add(1, Ordering::SeqCst);
        }
        Ok(())
    })
}

#[tokio::test]
async fn a_poise_bot_runs_against_the_stand_in() -> anyhow::Result<()> {
    let discord = DiscordStandIn::start().await;
    let handled = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&handled);
    let framework = poise::Framework::builder()
        .options(poise::FrameworkOptions {
            commands: vec![ping()],
            event_handler: count_dispatches,
            ..Default::default()
        })
        .initialize_owners(false)
        .setup(move |ctx, _ready, framework| {
            Box::pin(async move {
                let guild = serenity::GuildId::new(DiscordStandIn::GUILD_ID);
                poise::builtins::register_in_guild(ctx, &framework.options().commands, guild).await?;
                Ok(Handled(counter))
            })
        })
        .build();
    let http = serenity::HttpBuilder::new(discord.bot_token())
        .proxy(discord.base_url())
        .ratelimiter_disabled(true)
        .application_id(serenity::ApplicationId::new(APP))
        .build();
    let intents = serenity::GatewayIntents::non_privileged() | serenity::GatewayIntents::MESSAGE_CONTENT;
    let mut client = serenity::ClientBuilder::new_with_http(http, intents).framework(framework).await?;
    let http = Arc::clone(&client.http);
    let shards = Arc::clone(&client.shard_manager);
    let bot = tokio::spawn(async move { client.start().await });

    discord.wait_until_ready(WAIT).await?;
    let guild_commands = format!("/api/v10/applications/{APP}/guilds/{}/commands", DiscordStandIn::GUILD_ID);
    let registration = discord
        .wait_for_call("guild command registration", WAIT, |call| call.method == "PUT" && call.path == guild_commands)
        .await?;
    assert_eq!((registration.status, &registration.response[0]["name"]), (200, &json!("ping")));

    // A slash command: deferred, then answered by a follow-up that fills the deferred response.
    let alice = DiscordUser::new(1_300_000_000_000_000_500, "alice");
    let interaction = discord.slash_command(&alice, "ping", json!([])).await;
    let callback = format!("/api/v10/interactions/{}/{}/callback", interaction.id, interaction.token);
    let deferral = discord.wait_for_call("the deferral", WAIT, |call| call.path == callback).await?;
    assert_eq!((deferral.status, &deferral.body["type"]), (204, &json!(5)));
    let webhook = format!("/api/v10/webhooks/{APP}/{}", interaction.token);
    let follow_up =
        discord.wait_for_call("the follow-up", WAIT, |call| call.method == "POST" && call.path == webhook).await?;
    assert_eq!((follow_up.status, &follow_up.body["content"]), (200, &json!("pong")));
    assert_eq!(http.get_original_interaction_response(&interaction.token).await?.content, "pong");
    let edit = json!({ "content": "pong!" });
    assert_eq!(http.edit_original_interaction_response(&interaction.token, &edit, vec![]).await?.content, "pong!");

    // Redelivered, the interaction is refused a second acknowledgement.
    discord.redeliver(&interaction).await;
    let refusal = discord
        .wait_for_call("a refused second acknowledgement", WAIT, |call| call.path == callback && call.status == 400)
        .await?;
    assert_eq!(refusal.response["code"], 40060);

    // The other interaction shapes (counted at the end).
    let pong = discord.channel_messages(ANNOUNCE).into_iter().find(|message| message.content == "pong!");
    let pong = pong.expect("the bot's answer is in the channel");
    assert_eq!(pong.author_id, DiscordStandIn::BOT_USER_ID);
    discord.button_click(&alice, ANNOUNCE, pong.id, "again").await;
    discord.modal_submit(&alice, "feedback", &[("comment", "Very useful"), ("contact", "")]).await;
    discord.message_command(&alice, "Save to LKN", &pong).await;
    discord
        .autocomplete(&alice, "ping", json!([{ "type": 3, "name": "topic", "value": "herit", "focused": true }]))
        .await;

    // A user's message reaches the bot, and the bot can read it back.
    let hello = discord.user_message(&alice, ANNOUNCE, "hello bot").await;
    assert_eq!(serenity::ChannelId::new(ANNOUNCE).message(&http, hello.id).await?.content, "hello bot");

    // REST reads deserialize.
    assert_eq!(http.get_current_user().await?.id.get(), DiscordStandIn::BOT_USER_ID);
    assert_eq!(http.get_current_application_info().await?.id.get(), APP);
    assert_eq!(
        http.get_guild(serenity::GuildId::new(DiscordStandIn::GUILD_ID)).await?.name,
        "Living Knowledge Network"
    );
    let forum = serenity::ChannelId::new(FORUM).to_channel(&http).await?.guild().expect("a guild channel");
    assert_eq!((forum.kind, forum.available_tags.len()), (serenity::ChannelType::Forum, 8));

    // A message with an embed and a button round-trips.
    let button = serenity::CreateButton::new("rsvp").label("RSVP");
    let announcement = serenity::CreateMessage::new()
        .content("New event")
        .embed(serenity::CreateEmbed::new().title("Workshop").description("Saturday, 10:00"))
        .components(vec![serenity::CreateActionRow::Buttons(vec![button])]);
    let announcement = serenity::ChannelId::new(ANNOUNCE).send_message(&http, announcement).await?;
    assert_eq!((announcement.embeds[0].title.as_deref(), announcement.components.len()), (Some("Workshop"), 1));

    // A forum post, then retagged.
    let funding = DiscordStandIn::forum_tag_id("funding");
    let solved = DiscordStandIn::forum_tag_id("solved");
    let first = serenity::CreateMessage::new().content("Who knows a grant?");
    let post = serenity::CreateForumPost::new("Funding for village halls", first)
        .add_applied_tag(serenity::ForumTagId::new(funding));
    let post = serenity::ChannelId::new(FORUM).create_forum_post(&http, post).await?;
    assert_eq!(
        (post.kind, post.parent_id),
        (serenity::ChannelType::PublicThread, Some(serenity::ChannelId::new(FORUM)))
    );
    let threads = format!("/api/v10/channels/{FORUM}/threads");
    let posted = discord.wait_for_call("the forum post", WAIT, |call| call.path == threads).await?;
    assert_eq!(posted.body["message"]["content"], "Who knows a grant?");
    let tags = [funding, solved].map(serenity::ForumTagId::new);
    post.id.edit_thread(&http, serenity::EditThread::new().applied_tags(tags)).await?;
    let expected = ForumPost {
        id: post.id.get(),
        name: "Funding for village halls".to_owned(),
        applied_tags: vec![funding, solved],
        content: "Who knows a grant?".to_owned(),
    };
    assert_eq!(discord.forum_posts(), vec![expected]);

    // In the post: a user's reply, then a command answered there.
    discord.user_message(&alice, post.id.get(), "The heritage fund does.").await;
    let in_post = discord.slash_command_in(&alice, post.id.get(), "ping", json!([])).await;
    let in_post_webhook = format!("/api/v10/webhooks/{APP}/{}", in_post.token);
    discord.wait_for_call("the follow-up in the post", WAIT, |call| call.path == in_post_webhook).await?;
    let contents: Vec<String> = discord.channel_messages(post.id.get()).into_iter().map(|m| m.content).collect();
    assert_eq!(contents, ["Who knows a grant?", "The heritage fund does.", "pong"]);

    // READY, GUILD_CREATE; 7 interactions; MESSAGE_CREATE of both pongs, hello, the announcement,
    // the post's first message and the reply in it; THREAD_CREATE, THREAD_UPDATE: each reached
    // the bot's handler.
    let deadline = Instant::now() + WAIT;
    while handled.load(Ordering::SeqCst) < discord.events_sent() && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!((discord.events_sent(), handled.load(Ordering::SeqCst)), (17, 17));

    // Nothing but the redelivered interaction's acknowledgements was refused.
    let refused: Vec<_> = discord.calls().into_iter().filter(|call| call.status >= 400).collect();
    assert!(refused.iter().all(|call| call.path == callback && call.response["code"] == 40060), "{refused:#?}");
    shards.shutdown_all().await;
    bot.await??;
    Ok(())
}
