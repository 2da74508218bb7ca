//! The Discord adapter: poise slash commands, modals, buttons and autocomplete that
//! turn interactions into [`Command`]s for the core and render its replies, plus the
//! forum and announcement side of mirroring ([`DiscordSink`]), and the Discord side of
//! notifications: direct messages and the weekly round-up ([`DiscordCourier`],
//! [`RoundupChannel`]).
//!
//! This file holds what every command shares (acknowledging, running and answering),
//! the events that are not commands, and [`run`]; `commands/` holds the commands, one
//! file per group, `autocomplete` their suggestions, `sink` the mirror's channels and
//! `direct` the direct messages and the round-up's channel.
//!
//! Every interaction is acknowledged first (a deferral, or the modal that is its
//! answer), well inside Discord's three seconds, and answered by a follow-up. The
//! interaction id is the idempotency key of every create, so a redelivered interaction
//! never creates anything twice. Every message is built by [`outgoing`], so nothing the
//! bot posts can ping anyone.

mod autocomplete;
mod commands;
mod direct;
mod sink;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use poise::serenity_prelude as serenity;
use serenity::{
    ButtonStyle, ChannelId, ComponentInteraction, ComponentInteractionCollector, CreateActionRow, CreateButton,
    CreateInteractionResponse, FullEvent, GatewayIntents, Interaction,
};

pub use self::commands::commands;
pub use self::direct::{DiscordCourier, RoundupChannel};
pub use self::sink::{DiscordSink, Snowflake, SnowflakeError};
use crate::api::{ApiError, Caller, HttpTransport, Lkn, MembershipRequestView, MirrorKey};
use crate::catalogue::{Lang, Msg, say};
use crate::config::{RunArgs, loopback_base_url};
use crate::core::{self, Actor, Command, Offer, Reply};
use crate::live;
use crate::mirror::{self, Mirror};
use crate::notify::{self, Notifier};
use crate::outgoing;
use crate::render;
use crate::roundup::{self, Roundup};

/// What every command handler shares.
pub struct BotData {
    api: Lkn,
    /// Where requests to join are put to partners' coordinators.
    coordinators: ChannelId,
}

type Error = anyhow::Error;
type Ctx<'a> = poise::Context<'a, BotData, Error>;
type AppCtx<'a> = poise::ApplicationContext<'a, BotData, Error>;

/// How long a user has to press "post anyway" after seeing similar threads.
const OFFER_TIMEOUT: Duration = Duration::from_secs(600);
/// The custom id of a request to join's "approve" button, before the request's id.
const APPROVE_MEMBERSHIP: &str = "lkn-membership:approve:";
/// The custom id of a request to join's "decline" button, before the request's id.
const DECLINE_MEMBERSHIP: &str = "lkn-membership:decline:";
/// The language of what the bot writes in shared channels, as the mirror writes.
const SHARED_LANG: Lang = Lang::En;

impl BotData {
    /// The language `user` chose, asked of the API on every interaction (one small
    /// query), so that every bot process follows a change at once.
    async fn language(&self, user: u64) -> Lang {
        match self.api.language(&user.to_string()).await {
            Ok(language) => language.and_then(Lang::from_api).unwrap_or_default(),
            Err(error) => {
                tracing::warn!(%error, "could not read a Discord user's language");
                Lang::default()
            }
        }
    }

    async fn actor(&self, user: serenity::UserId, invocation: impl ToString) -> Actor {
        Actor {
            caller: Caller::Discord(user.to_string()),
            discord_user_id: Some(user.to_string()),
            lang: self.language(user.get()).await,
            invocation: invocation.to_string(),
        }
    }
}

/// The interaction's id: unique per invocation, the same when Discord redelivers it.
fn invocation(ctx: Ctx<'_>) -> u64 {
    match ctx {
        poise::Context::Application(app) => app.interaction.id.get(),
        poise::Context::Prefix(prefix) => prefix.msg.id.get(),
    }
}

/// Acknowledges, runs `command` and answers.
async fn run_command(ctx: Ctx<'_>, command: Command, private: bool) -> Result<(), Error> {
    if private {
        ctx.defer_ephemeral().await?;
    } else {
        ctx.defer().await?;
    }
    let actor = ctx.data().actor(ctx.author().id, invocation(ctx)).await;
    let reply = core::handle(&ctx.data().api, &actor, command).await;
    send(ctx, &actor, reply).await
}

/// Sends a reply as a follow-up; an offer to post a draft waits for the button. A new
/// request to join is put to the partner's coordinators first.
async fn send(ctx: Ctx<'_>, actor: &Actor, reply: Reply) -> Result<(), Error> {
    if let Some(request) = &reply.membership
        && let Err(error) = ask_coordinators(ctx.serenity_context(), ctx.data(), request, &ctx.author().name).await
    {
        tracing::warn!(error = format!("{error:#}"), "could not put a request to join to the coordinators");
    }
    let Some(Offer::PostDraft { draft, post_label, cancel_label }) = reply.offer else {
        ctx.send(outgoing::reply(reply.text).ephemeral(reply.private)).await?;
        return Ok(());
    };
    let post_id = format!("{}:post", invocation(ctx));
    let cancel_id = format!("{}:cancel", invocation(ctx));
    let buttons = CreateActionRow::Buttons(vec![
        CreateButton::new(&post_id).label(post_label).style(ButtonStyle::Primary),
        CreateButton::new(&cancel_id).label(cancel_label).style(ButtonStyle::Secondary),
    ]);
    ctx.send(outgoing::reply(reply.text).ephemeral(true).components(vec![buttons])).await?;
    let pressed = ComponentInteractionCollector::new(ctx.serenity_context())
        .author_id(ctx.author().id)
        .custom_ids(vec![post_id.clone(), cancel_id])
        .timeout(OFFER_TIMEOUT)
        .next()
        .await;
    let Some(pressed) = pressed else { return Ok(()) };
    pressed.create_response(ctx, CreateInteractionResponse::Acknowledge).await?;
    let text = if pressed.data.custom_id == post_id {
        core::handle(&ctx.data().api, actor, Command::Ask { draft, confirmed: true }).await.text
    } else {
        say(actor.lang, &Msg::Cancelled)
    };
    ctx.send(outgoing::reply(text).ephemeral(true)).await?;
    Ok(())
}

/// Puts a pending request to join to the partner's coordinators: a message with Approve
/// and Decline buttons. The message is claimed in the API like a mirror
/// (`membership:<id>`), so a retried `/join`, or a second bot process, never posts it twice.
async fn ask_coordinators(
    ctx: &serenity::Context,
    data: &BotData,
    request: &MembershipRequestView,
    discord_name: &str,
) -> anyhow::Result<()> {
    let key = MirrorKey::membership(request.id.inner());
    let (claimed, _) = data.api.claim_mirror(&key).await?;
    if !claimed {
        return Ok(());
    }
    let id = request.id.inner();
    let buttons = CreateActionRow::Buttons(vec![
        CreateButton::new(format!("{APPROVE_MEMBERSHIP}{id}"))
            .label(say(SHARED_LANG, &Msg::Approve))
            .style(ButtonStyle::Success),
        CreateButton::new(format!("{DECLINE_MEMBERSHIP}{id}"))
            .label(say(SHARED_LANG, &Msg::Decline))
            .style(ButtonStyle::Danger),
    ]);
    let text = render::membership_text(SHARED_LANG, request, discord_name);
    match data.coordinators.send_message(ctx, outgoing::message(text).components(vec![buttons])).await {
        Ok(sent) => {
            data.api.complete_mirror(&key, &data.coordinators.to_string(), &sent.id.to_string()).await?;
            Ok(())
        }
        Err(error) => {
            if let Err(release) = data.api.release_mirror(&key).await {
                tracing::warn!(%release, %key, "could not release a claim whose post failed");
            }
            Err(error.into())
        }
    }
}

/// Whether a button approves or declines a request to join, and which.
fn membership_decision(custom_id: &str) -> Option<(bool, &str)> {
    custom_id
        .strip_prefix(APPROVE_MEMBERSHIP)
        .map(|id| (true, id))
        .or_else(|| custom_id.strip_prefix(DECLINE_MEMBERSHIP).map(|id| (false, id)))
}

/// A coordinator pressed Approve or Decline: decides as the presser (the API refuses
/// anyone who may not), then shows the decision in place of the buttons and tells the
/// person who asked, by direct message. A refusal is told to the presser alone and
/// changes nothing.
async fn decide_membership(
    ctx: &serenity::Context,
    data: &BotData,
    press: &ComponentInteraction,
    approve: bool,
    request: &str,
) -> Result<(), Error> {
    press.defer_ephemeral(ctx).await?;
    let actor = data.actor(press.user.id, press.id).await;
    let reply =
        core::handle(&data.api, &actor, Command::DecideMembership { request: request.to_owned(), approve }).await;
    if let Some(decided) = &reply.membership {
        let shown = outgoing::edit(render::membership_text(SHARED_LANG, decided, "")).components(vec![]);
        if let Err(error) = press.message.channel_id.edit_message(ctx, press.message.id, shown).await {
            tracing::warn!(%error, "could not show a decision on the coordinators' message");
        }
        if let Err(error) = tell_applicant(ctx, data, decided).await {
            tracing::warn!(error = format!("{error:#}"), "could not tell someone the decision on their request");
        }
    }
    press.create_followup(ctx, outgoing::followup(reply.text).ephemeral(true)).await?;
    Ok(())
}

/// Tells the person who asked to join what was decided, by direct message in their language.
async fn tell_applicant(
    ctx: &serenity::Context,
    data: &BotData,
    request: &MembershipRequestView,
) -> anyhow::Result<()> {
    let user = Snowflake::parse(&request.discord_user_id)?.user();
    let lang = data.language(user.get()).await;
    let Some(text) = render::membership_outcome(lang, request) else { return Ok(()) };
    let channel = user.create_dm_channel(ctx).await?;
    channel.send_message(ctx, outgoing::message(text)).await?;
    Ok(())
}

/// The language a notification was written in (the member's, as the API wrote it), known
/// by the label of the button pressed under it; `None` if no label is the catalogue's.
fn language_of_notification(press: &ComponentInteraction) -> Option<Lang> {
    let mut labels = press.message.components.iter().flat_map(|row| row.components.iter()).filter_map(|c| match c {
        serenity::ActionRowComponent::Button(button) => button.label.as_deref(),
        _ => None,
    });
    labels.find_map(|label| Lang::ALL.into_iter().find(|lang| say(*lang, &Msg::UnfollowButton) == label))
}

/// "Unfollow" under a notification sent by direct message: acknowledged first (a redelivered
/// press is refused by Discord there, so nothing runs twice), then the thread is unfollowed
/// as the presser, who is told so, or told kindly to link their account first, in the
/// language of the notification (else the one they chose with `/language`).
async fn unfollow_pressed(
    ctx: &serenity::Context,
    data: &BotData,
    press: &ComponentInteraction,
    thread: &str,
) -> Result<(), Error> {
    press.defer_ephemeral(ctx).await?;
    let mut actor = data.actor(press.user.id, press.id).await;
    actor.lang = language_of_notification(press).unwrap_or(actor.lang);
    let reply = core::handle(&data.api, &actor, Command::Unfollow { thread: thread.to_owned() }).await;
    press.create_followup(ctx, outgoing::followup(reply.text).ephemeral(true)).await?;
    Ok(())
}

/// Messages written in mirrored posts become replies; "request to join" buttons on
/// announcements ask to join; Approve and Decline on requests to join decide them;
/// "Unfollow" under a notification unfollows its thread.
async fn on_event(ctx: &serenity::Context, event: &FullEvent, data: &BotData) -> Result<(), Error> {
    match event {
        FullEvent::Message { new_message: message } if !message.author.bot => {
            let outcome = mirror::reply_from_discord(
                &data.api,
                &message.channel_id.to_string(),
                &message.id.to_string(),
                &message.author.id.to_string(),
                &message.content,
            )
            .await;
            match outcome {
                Ok(_) => {}
                Err(refused @ (ApiError::Unauthenticated(_) | ApiError::Suspended(_))) => {
                    let lang = data.language(message.author.id.get()).await;
                    let why =
                        if matches!(refused, ApiError::Suspended(_)) { Msg::Suspended } else { Msg::ReplyNotMirrored };
                    let notice = outgoing::message(say(lang, &why)).reference_message(message);
                    message.channel_id.send_message(ctx, notice).await?;
                }
                Err(error) => tracing::warn!(%error, "a Discord message did not become a reply"),
            }
        }
        FullEvent::InteractionCreate { interaction: Interaction::Component(press) } => {
            if let Some((approve, request)) = membership_decision(&press.data.custom_id) {
                decide_membership(ctx, data, press, approve, request).await?;
            } else if let Some(thread) = press.data.custom_id.strip_prefix(notify::UNFOLLOW) {
                unfollow_pressed(ctx, data, press, thread).await?;
            } else if let Some(id) = press.data.custom_id.strip_prefix("lkn-join:") {
                press.defer_ephemeral(ctx).await?;
                let actor = data.actor(press.user.id, press.id).await;
                let reply = core::handle(&data.api, &actor, Command::CollabJoin { id: id.to_owned() }).await;
                let followup = outgoing::followup(reply.text).ephemeral(true);
                press.create_followup(ctx, followup).await?;
            }
        }
        _ => {}
    }
    Ok(())
}

/// Connects to Discord (or, for tests, to a loopback stand-in) and to the API, registers
/// the commands, mirrors threads and answers commands until `shutdown` resolves.
pub async fn run(args: RunArgs, shutdown: impl std::future::Future<Output = ()>) -> anyhow::Result<()> {
    let mut http = serenity::HttpBuilder::new(&args.discord_token).default_allowed_mentions(outgoing::no_pings());
    if let Some(base) = &args.discord_base_url {
        http = http.proxy(loopback_base_url(base)?).ratelimiter_disabled(true);
    }
    let http = http.build();
    let api = Lkn::new(Arc::new(HttpTransport::new(&args.api_url, Some(args.api_token.clone()))?));
    let settings = args.clone();
    let background: Arc<Mutex<Vec<tokio::task::JoinHandle<()>>>> = Arc::default();
    let tasks = Arc::clone(&background);
    let framework = poise::Framework::builder()
        .options(poise::FrameworkOptions {
            commands: commands(),
            event_handler: |framework, event| {
                Box::pin(on_event(framework.serenity_context, event, framework.user_data))
            },
            on_error: |error| {
                Box::pin(async move {
                    tracing::warn!(error = %error, "a command failed");
                })
            },
            initialize_owners: false,
            allowed_mentions: Some(outgoing::no_pings()),
            ..Default::default()
        })
        .setup(move |ctx, _ready, framework| {
            Box::pin(async move {
                match settings.guild_id {
                    Some(guild) => {
                        let guild = serenity::GuildId::new(guild);
                        poise::builtins::register_in_guild(ctx, &framework.options().commands, guild).await?;
                    }
                    None => poise::builtins::register_globally(ctx, &framework.options().commands).await?,
                }
                let forum = ChannelId::new(settings.forum_channel_id);
                let announce = ChannelId::new(settings.announce_channel_id);
                let coordinators = settings.coordinators_channel_id.map_or(announce, ChannelId::new);
                let sink = DiscordSink::new(ctx.http.clone(), forum, announce);
                let catch_up = Duration::from_secs(u64::from(settings.catch_up_hours) * 3600);
                let mirror = Mirror::new(api.clone(), sink, Lang::En, catch_up);
                let events = live::spawn(&settings.api_url, settings.api_token.clone());
                let mut started = vec![tokio::spawn(async move { mirror.run(events).await })];
                let notifier = Notifier::new(api.clone(), DiscordCourier::new(ctx.http.clone()));
                started.push(tokio::spawn(notifier.run()));
                if let Some(channel) = settings.roundup_channel_id() {
                    let board = RoundupChannel::new(ctx.http.clone(), ChannelId::new(channel));
                    let schedule = roundup::Schedule { weekday: settings.roundup_weekday, hour: settings.roundup_hour };
                    started.push(tokio::spawn(Roundup::new(api.clone(), board, schedule, SHARED_LANG).run()));
                }
                if let Ok(mut slot) = tasks.lock() {
                    slot.extend(started);
                }
                tracing::info!("commands registered; mirroring threads and delivering notifications");
                Ok(BotData { api, coordinators })
            })
        })
        .build();
    let intents = GatewayIntents::GUILDS | GatewayIntents::GUILD_MESSAGES | GatewayIntents::MESSAGE_CONTENT;
    let mut client = serenity::ClientBuilder::new_with_http(http, intents).framework(framework).await?;
    let shards = client.shard_manager.clone();
    let outcome = tokio::select! {
        result = client.start() => result,
        () = shutdown => {
            shards.shutdown_all().await;
            Ok(())
        }
    };
    // Mirroring, notifications and the round-up stop with the bot: the subscriptions
    // close when the mirror's task ends.
    let stopping = background.lock().map(|mut slot| std::mem::take(&mut *slot)).unwrap_or_default();
    for task in stopping {
        task.abort();
    }
    Ok(outcome?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_to_joins_buttons_say_what_they_decide_and_on_which_request() {
        assert_eq!(
            membership_decision("lkn-membership:approve:TWVtYmVyc2hpcFJlcXVlc3Q6MQ"),
            Some((true, "TWVtYmVyc2hpcFJlcXVlc3Q6MQ"))
        );
        assert_eq!(membership_decision("lkn-membership:decline:abc"), Some((false, "abc")));
        assert_eq!(membership_decision("lkn-join:Q29sbGFib3JhdGlvbjox"), None);
        assert_eq!(membership_decision("lkn-membership:maybe:abc"), None);
    }
}
