//! The Discord adapter: poise slash commands, modals, buttons and autocomplete that
//! turn interactions into [`Command`]s for the core and render its replies, plus the
//! forum and announcement side of mirroring ([`DiscordSink`]).
//!
//! Every interaction is acknowledged first (a deferral, or the modal that is its
//! answer), well inside Discord's three seconds, and answered by a follow-up. The
//! interaction id is the idempotency key of every create, so a redelivered interaction
//! never creates anything twice. Every message is built by [`outgoing`], so nothing the
//! bot posts can ping anyone.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use poise::serenity_prelude as serenity;
use serenity::{
    ButtonStyle, ChannelId, ComponentInteractionCollector, CreateActionRow, CreateAutocompleteResponse, CreateButton,
    CreateInteractionResponse, EditThread, ForumTag, FullEvent, GatewayIntents, Interaction,
};

use crate::api::{ApiError, Caller, CollaborationStatus, HttpTransport, Lkn, Nation, ThreadKind};
use crate::catalogue::{Lang, Msg, say};
use crate::config::{RunArgs, loopback_base_url};
use crate::core::{self, Actor, Command, Draft, Offer, Reply};
use crate::live;
use crate::mirror::{self, Mirror, Sink};
use crate::outgoing;

/// What every command handler shares.
pub struct BotData {
    api: Lkn,
}

type Error = anyhow::Error;
type Ctx<'a> = poise::Context<'a, BotData, Error>;
type AppCtx<'a> = poise::ApplicationContext<'a, BotData, Error>;

/// How long a user has to press "post anyway" after seeing similar threads.
const OFFER_TIMEOUT: Duration = Duration::from_secs(600);

impl BotData {
    /// The language `user` chose, asked of the API on every interaction (one small
    /// query), so that every bot process follows a change at once.
    async fn language(&self, user: u64) -> Lang {
        match self.api.language(&user.to_string()).await {
            Ok(code) => code.as_deref().and_then(Lang::parse).unwrap_or_default(),
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

/// Sends a reply as a follow-up; an offer to post a draft waits for the button.
async fn send(ctx: Ctx<'_>, actor: &Actor, reply: Reply) -> Result<(), Error> {
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

/// A thread kind, as slash commands offer it.
#[derive(Debug, Clone, Copy, poise::ChoiceParameter)]
enum KindChoice {
    /// A question.
    Question,
    /// An idea.
    Idea,
    /// A resource.
    Resource,
}

impl From<KindChoice> for ThreadKind {
    fn from(choice: KindChoice) -> Self {
        match choice {
            KindChoice::Question => Self::Question,
            KindChoice::Idea => Self::Idea,
            KindChoice::Resource => Self::Resource,
        }
    }
}

/// A nation, as `/partners` offers it.
#[derive(Debug, Clone, Copy, poise::ChoiceParameter)]
enum NationChoice {
    /// England.
    England,
    /// Scotland.
    Scotland,
    /// Wales.
    Wales,
    /// Northern Ireland.
    #[name = "Northern Ireland"]
    NorthernIreland,
}

impl From<NationChoice> for Nation {
    fn from(choice: NationChoice) -> Self {
        match choice {
            NationChoice::England => Self::England,
            NationChoice::Scotland => Self::Scotland,
            NationChoice::Wales => Self::Wales,
            NationChoice::NorthernIreland => Self::NorthernIreland,
        }
    }
}

/// A collaboration status, as `/collab` offers it.
#[derive(Debug, Clone, Copy, poise::ChoiceParameter)]
enum StatusChoice {
    /// Proposed.
    Proposed,
    /// Seeking partners.
    #[name = "seeking partners"]
    SeekingPartners,
    /// Under way.
    Active,
    /// Completed.
    Completed,
    /// Withdrawn.
    Withdrawn,
}

impl From<StatusChoice> for CollaborationStatus {
    fn from(choice: StatusChoice) -> Self {
        match choice {
            StatusChoice::Proposed => Self::Proposed,
            StatusChoice::SeekingPartners => Self::SeekingPartners,
            StatusChoice::Active => Self::Active,
            StatusChoice::Completed => Self::Completed,
            StatusChoice::Withdrawn => Self::Withdrawn,
        }
    }
}

/// Accept or decline.
#[derive(Debug, Clone, Copy, poise::ChoiceParameter)]
enum Decision {
    /// Accept.
    Accept,
    /// Decline.
    Decline,
}

/// English or Welsh.
#[derive(Debug, Clone, Copy, poise::ChoiceParameter)]
enum LanguageChoice {
    /// English.
    #[name = "en"]
    English,
    /// Cymraeg.
    #[name = "cy"]
    Welsh,
}

/// The thread form of `/ask` and `/share`. Modal labels are fixed when the commands
/// are registered, so they carry both languages.
#[derive(Debug, poise::Modal)]
#[name = "LKN · Rhwydwaith Gwybodaeth Fyw"]
struct ThreadForm {
    #[name = "Title · Teitl"]
    #[max_length = 200]
    title: String,
    #[name = "Details · Manylion"]
    #[paragraph]
    #[max_length = 4000]
    body: String,
    #[name = "Tags, comma-separated · Tagiau"]
    tags: Option<String>,
}

/// The form of `/collab propose`.
#[derive(Debug, poise::Modal)]
#[name = "Propose a collaboration · Cynnig"]
struct CollaborationForm {
    #[name = "Title · Teitl"]
    #[max_length = 200]
    title: String,
    #[name = "Summary · Crynodeb"]
    #[paragraph]
    #[max_length = 4000]
    summary: String,
    #[name = "Kind: programme, activity, exhibition…"]
    kind: Option<String>,
}

/// Shows the thread form and posts (or, for a question, first shows similar threads).
async fn thread_from_form(ctx: AppCtx<'_>, kind: ThreadKind) -> Result<(), Error> {
    use poise::Modal as _;
    let Some(form) = ThreadForm::execute(ctx).await? else { return Ok(()) };
    let ctx = Ctx::from(ctx);
    let actor = ctx.data().actor(ctx.author().id, invocation(ctx)).await;
    let draft = Draft { kind, title: form.title, body: form.body, tags: form.tags.unwrap_or_default() };
    let command = match kind {
        ThreadKind::Question => Command::Ask { draft, confirmed: false },
        _ => Command::Share { draft },
    };
    let reply = core::handle(&ctx.data().api, &actor, command).await;
    send(ctx, &actor, reply).await
}

async fn choices(items: impl Iterator<Item = (String, String)>) -> CreateAutocompleteResponse {
    let choices = items
        .take(25)
        .map(|(name, value)| serenity::AutocompleteChoice::new(core::excerpt(&name, 100), value))
        .collect();
    CreateAutocompleteResponse::new().set_choices(choices)
}

async fn autocomplete_tag(ctx: Ctx<'_>, partial: &str) -> CreateAutocompleteResponse {
    let caller = Caller::Discord(ctx.author().id.to_string());
    let tags = ctx.data().api.tags(&caller).await.unwrap_or_default();
    let partial = partial.to_lowercase();
    choices(tags.into_iter().filter(|t| t.name.contains(&partial)).map(|t| (t.name.clone(), t.name))).await
}

async fn autocomplete_partner(ctx: Ctx<'_>, partial: &str) -> CreateAutocompleteResponse {
    let caller = Caller::Discord(ctx.author().id.to_string());
    let partners = ctx.data().api.partners(&caller, None).await.unwrap_or_default();
    let partial = partial.to_lowercase();
    choices(partners.into_iter().filter(|p| p.name.to_lowercase().contains(&partial)).map(|p| (p.name, p.slug))).await
}

async fn autocomplete_thread(ctx: Ctx<'_>, partial: &str) -> CreateAutocompleteResponse {
    let caller = Caller::Discord(ctx.author().id.to_string());
    let filter = serde_json::json!({ "titleContains": partial });
    let (threads, _) = ctx.data().api.threads(&caller, 25, None, "RECENTLY_ACTIVE", filter).await.unwrap_or_default();
    choices(threads.into_iter().map(|t| (t.title, t.id))).await
}

async fn autocomplete_collaboration(ctx: Ctx<'_>, partial: &str) -> CreateAutocompleteResponse {
    let caller = Caller::Discord(ctx.author().id.to_string());
    let found = ctx.data().api.collaborations(&caller, None).await.unwrap_or_default();
    let partial = partial.to_lowercase();
    choices(found.into_iter().filter(|c| c.title.to_lowercase().contains(&partial)).map(|c| (c.title, c.id))).await
}

/// The replies of the thread whose forum post the command is used in.
async fn autocomplete_reply(ctx: Ctx<'_>, partial: &str) -> CreateAutocompleteResponse {
    let api = &ctx.data().api;
    let caller = Caller::Discord(ctx.author().id.to_string());
    let Ok(Some(mirror)) = api.thread_mirror(&ctx.channel_id().to_string()).await else {
        return CreateAutocompleteResponse::new();
    };
    let thread_id = mirror.key.trim_start_matches("thread:");
    let replies = api.replies(&caller, thread_id).await.unwrap_or_default();
    let partial = partial.to_lowercase();
    let items = replies.into_iter().filter(|r| r.body.to_lowercase().contains(&partial)).map(|r| {
        let author = r.author.map(|a| a.name).unwrap_or_default();
        (format!("{author}: {}", r.body), r.id)
    });
    choices(items).await
}

/// Ask the network a question; similar threads are shown first.
#[poise::command(slash_command)]
async fn ask(ctx: AppCtx<'_>) -> Result<(), Error> {
    thread_from_form(ctx, ThreadKind::Question).await
}

/// Share an idea or a resource with the network.
#[poise::command(slash_command, subcommands("share_idea", "share_resource"), subcommand_required)]
async fn share(_ctx: Ctx<'_>) -> Result<(), Error> {
    Ok(())
}

/// Share an idea.
#[poise::command(slash_command, rename = "idea")]
async fn share_idea(ctx: AppCtx<'_>) -> Result<(), Error> {
    thread_from_form(ctx, ThreadKind::Idea).await
}

/// Share a resource.
#[poise::command(slash_command, rename = "resource")]
async fn share_resource(ctx: AppCtx<'_>) -> Result<(), Error> {
    thread_from_form(ctx, ThreadKind::Resource).await
}

/// Search threads and collaborations.
#[poise::command(slash_command)]
async fn search(
    ctx: Ctx<'_>,
    #[description = "Words to look for"] query: String,
    #[description = "Only this kind"] kind: Option<KindChoice>,
    #[description = "Only this tag"]
    #[autocomplete = "autocomplete_tag"]
    tag: Option<String>,
    #[description = "Only this partner"]
    #[autocomplete = "autocomplete_partner"]
    partner: Option<String>,
) -> Result<(), Error> {
    run_command(ctx, Command::Search { query, kind: kind.map(Into::into), tag, partner }, true).await
}

/// Show a thread and its replies.
#[poise::command(slash_command)]
async fn thread(
    ctx: Ctx<'_>,
    #[description = "The thread"]
    #[autocomplete = "autocomplete_thread"]
    id: String,
) -> Result<(), Error> {
    run_command(ctx, Command::Thread { id }, true).await
}

/// Questions still waiting for an answer.
#[poise::command(slash_command)]
async fn unanswered(ctx: Ctx<'_>) -> Result<(), Error> {
    run_command(ctx, Command::Unanswered, true).await
}

/// Follow a thread.
#[poise::command(slash_command)]
async fn follow(
    ctx: Ctx<'_>,
    #[description = "The thread"]
    #[autocomplete = "autocomplete_thread"]
    thread: String,
) -> Result<(), Error> {
    run_command(ctx, Command::Follow { thread }, true).await
}

/// Stop following a thread.
#[poise::command(slash_command)]
async fn unfollow(
    ctx: Ctx<'_>,
    #[description = "The thread"]
    #[autocomplete = "autocomplete_thread"]
    thread: String,
) -> Result<(), Error> {
    run_command(ctx, Command::Unfollow { thread }, true).await
}

/// Accept a reply as the answer to your question.
#[poise::command(slash_command)]
async fn answer(
    ctx: Ctx<'_>,
    #[description = "The reply"]
    #[autocomplete = "autocomplete_reply"]
    reply: String,
) -> Result<(), Error> {
    run_command(ctx, Command::Answer { reply }, false).await
}

/// Accept this message's reply as the answer.
#[poise::command(context_menu_command = "Mark as answer")]
async fn mark_as_answer(ctx: Ctx<'_>, message: serenity::Message) -> Result<(), Error> {
    ctx.defer().await?;
    let actor = ctx.data().actor(ctx.author().id, invocation(ctx)).await;
    let reply = match ctx.data().api.message_mirror(&message.id.to_string()).await {
        Ok(Some(mirror)) if mirror.key.starts_with("reply:") => {
            let reply = mirror.key.trim_start_matches("reply:").to_owned();
            core::handle(&ctx.data().api, &actor, Command::Answer { reply }).await
        }
        Ok(_) => Reply::private(say(actor.lang, &Msg::NotAReply)),
        Err(error) => core::refusal(actor.lang, &error),
    };
    send(ctx, &actor, reply).await
}

/// The partners of the network.
#[poise::command(slash_command)]
async fn partners(ctx: Ctx<'_>, #[description = "Only this nation"] nation: Option<NationChoice>) -> Result<(), Error> {
    run_command(ctx, Command::Partners { nation: nation.map(Into::into) }, true).await
}

/// One partner.
#[poise::command(slash_command)]
async fn partner(
    ctx: Ctx<'_>,
    #[description = "The partner"]
    #[autocomplete = "autocomplete_partner"]
    name: String,
) -> Result<(), Error> {
    run_command(ctx, Command::Partner { name }, true).await
}

/// The network's figures.
#[poise::command(slash_command)]
async fn stats(ctx: Ctx<'_>) -> Result<(), Error> {
    run_command(ctx, Command::Stats, true).await
}

/// Collaborations between partners.
#[poise::command(
    slash_command,
    subcommands("collab_propose", "collab_list", "collab_show", "collab_join", "collab_decide", "collab_advance"),
    subcommand_required
)]
async fn collab(_ctx: Ctx<'_>) -> Result<(), Error> {
    Ok(())
}

/// Propose a collaboration led by your partner.
#[poise::command(slash_command, rename = "propose")]
async fn collab_propose(ctx: AppCtx<'_>) -> Result<(), Error> {
    use poise::Modal as _;
    let Some(form) = CollaborationForm::execute(ctx).await? else { return Ok(()) };
    let ctx = Ctx::from(ctx);
    let actor = ctx.data().actor(ctx.author().id, invocation(ctx)).await;
    let command = Command::CollabPropose {
        kind: form.kind.unwrap_or_else(|| "programme".into()),
        title: form.title,
        summary: form.summary,
    };
    let reply = core::handle(&ctx.data().api, &actor, command).await;
    send(ctx, &actor, reply).await
}

/// The newest collaborations.
#[poise::command(slash_command, rename = "list")]
async fn collab_list(
    ctx: Ctx<'_>,
    #[description = "Only this status"] status: Option<StatusChoice>,
) -> Result<(), Error> {
    run_command(ctx, Command::CollabList { status: status.map(Into::into) }, true).await
}

/// One collaboration and who takes part.
#[poise::command(slash_command, rename = "show")]
async fn collab_show(
    ctx: Ctx<'_>,
    #[description = "The collaboration"]
    #[autocomplete = "autocomplete_collaboration"]
    id: String,
) -> Result<(), Error> {
    run_command(ctx, Command::CollabShow { id }, true).await
}

/// Ask for your partner to join a collaboration.
#[poise::command(slash_command, rename = "join")]
async fn collab_join(
    ctx: Ctx<'_>,
    #[description = "The collaboration"]
    #[autocomplete = "autocomplete_collaboration"]
    id: String,
) -> Result<(), Error> {
    run_command(ctx, Command::CollabJoin { id }, true).await
}

/// Accept or decline a partner's request to join (lead partner's coordinators).
#[poise::command(slash_command, rename = "decide")]
async fn collab_decide(
    ctx: Ctx<'_>,
    #[description = "The collaboration"]
    #[autocomplete = "autocomplete_collaboration"]
    id: String,
    #[description = "The partner asking"]
    #[autocomplete = "autocomplete_partner"]
    partner: String,
    #[description = "Accept or decline"] decision: Decision,
) -> Result<(), Error> {
    let accept = matches!(decision, Decision::Accept);
    run_command(ctx, Command::CollabDecide { id, partner, accept }, true).await
}

/// Move a collaboration along its workflow.
#[poise::command(slash_command, rename = "advance")]
async fn collab_advance(
    ctx: Ctx<'_>,
    #[description = "The collaboration"]
    #[autocomplete = "autocomplete_collaboration"]
    id: String,
    #[description = "The new status"] status: StatusChoice,
) -> Result<(), Error> {
    run_command(ctx, Command::CollabAdvance { id, status: status.into() }, false).await
}

/// Link your Discord account to your LKN membership.
#[poise::command(slash_command)]
async fn link(ctx: Ctx<'_>, #[description = "The code from LKN"] code: String) -> Result<(), Error> {
    run_command(ctx, Command::Link { code }, true).await
}

/// Unlink your Discord account.
#[poise::command(slash_command)]
async fn unlink(ctx: Ctx<'_>) -> Result<(), Error> {
    run_command(ctx, Command::Unlink, true).await
}

/// What the bot can do.
#[poise::command(slash_command)]
async fn help(ctx: Ctx<'_>) -> Result<(), Error> {
    run_command(ctx, Command::Help, true).await
}

/// Speak English or Welsh to me.
#[poise::command(slash_command)]
async fn language(ctx: Ctx<'_>, #[description = "en or cy"] language: LanguageChoice) -> Result<(), Error> {
    let code = match language {
        LanguageChoice::English => "en",
        LanguageChoice::Welsh => "cy",
    };
    run_command(ctx, Command::Language { code: code.into() }, true).await
}

/// Every command the bot registers.
pub fn commands() -> Vec<poise::Command<BotData, Error>> {
    vec![
        ask(),
        share(),
        search(),
        thread(),
        unanswered(),
        follow(),
        unfollow(),
        answer(),
        mark_as_answer(),
        partners(),
        partner(),
        stats(),
        collab(),
        link(),
        unlink(),
        help(),
        language(),
    ]
}

/// Messages written in mirrored posts become replies; "request to join" buttons on
/// announcements ask to join.
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
            if let Some(id) = press.data.custom_id.strip_prefix("lkn-join:") {
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

/// The forum and announcement channels, through serenity's HTTP client.
pub struct DiscordSink {
    http: Arc<serenity::Http>,
    forum: ChannelId,
    announce: ChannelId,
    tags: tokio::sync::OnceCell<Vec<ForumTag>>,
}

impl DiscordSink {
    async fn forum_tags(&self) -> anyhow::Result<&[ForumTag]> {
        let tags = self
            .tags
            .get_or_try_init(|| async {
                let channel = self.forum.to_channel(self.http.as_ref()).await?;
                anyhow::Ok(channel.guild().map(|c| c.available_tags).unwrap_or_default())
            })
            .await?;
        Ok(tags)
    }

    async fn tag_ids(&self, names: &[String]) -> anyhow::Result<Vec<serenity::ForumTagId>> {
        let available = self.forum_tags().await?;
        Ok(names
            .iter()
            .filter_map(|name| available.iter().find(|t| t.name.eq_ignore_ascii_case(name)).map(|t| t.id))
            .take(5)
            .collect())
    }
}

#[async_trait]
impl Sink for DiscordSink {
    async fn forum_post(&self, title: &str, content: &str, tags: &[String]) -> anyhow::Result<(String, String)> {
        let applied = self.tag_ids(tags).await?;
        let post = outgoing::forum_post(title, content).set_applied_tags(applied);
        let channel = self.forum.create_forum_post(self.http.as_ref(), post).await?;
        // A forum post's first message has the post's own id.
        Ok((channel.id.to_string(), channel.id.to_string()))
    }

    async fn message(&self, channel_id: &str, content: &str) -> anyhow::Result<String> {
        let channel = ChannelId::new(channel_id.parse()?);
        let message = channel.send_message(self.http.as_ref(), outgoing::message(content)).await?;
        Ok(message.id.to_string())
    }

    async fn mark_solved(&self, channel_id: &str, title: &str) -> anyhow::Result<()> {
        let channel = ChannelId::new(channel_id.parse()?);
        let mut applied =
            channel.to_channel(self.http.as_ref()).await?.guild().map(|c| c.applied_tags).unwrap_or_default();
        for solved in self.tag_ids(&["solved".to_owned()]).await? {
            if !applied.contains(&solved) {
                applied.push(solved);
            }
        }
        applied.truncate(5);
        channel.edit_thread(self.http.as_ref(), EditThread::new().name(title).applied_tags(applied)).await?;
        Ok(())
    }

    async fn announce(&self, content: &str, join: Option<(&str, &str)>) -> anyhow::Result<(String, String)> {
        let mut message = outgoing::message(content);
        if let Some((custom_id, label)) = join {
            let button = CreateButton::new(custom_id).label(label).style(ButtonStyle::Primary);
            message = message.components(vec![CreateActionRow::Buttons(vec![button])]);
        }
        let sent = self.announce.send_message(self.http.as_ref(), message).await?;
        Ok((self.announce.to_string(), sent.id.to_string()))
    }
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
    let mirroring: Arc<Mutex<Option<tokio::task::JoinHandle<()>>>> = Arc::default();
    let mirror_task = Arc::clone(&mirroring);
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
                let sink = DiscordSink {
                    http: ctx.http.clone(),
                    forum: ChannelId::new(settings.forum_channel_id),
                    announce: ChannelId::new(settings.announce_channel_id),
                    tags: tokio::sync::OnceCell::new(),
                };
                let catch_up = Duration::from_secs(u64::from(settings.catch_up_hours) * 3600);
                let mirror = Mirror::new(api.clone(), sink, Lang::En, catch_up);
                let events = live::spawn(&settings.api_url, settings.api_token.clone());
                let task = tokio::spawn(async move { mirror.run(events).await });
                if let Ok(mut slot) = mirror_task.lock() {
                    *slot = Some(task);
                }
                tracing::info!("commands registered; mirroring threads");
                Ok(BotData { api })
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
    // Mirroring stops with the bot: its subscriptions close when the task ends.
    if let Some(task) = mirroring.lock().ok().and_then(|mut slot| slot.take()) {
        task.abort();
    }
    Ok(outcome?)
}
