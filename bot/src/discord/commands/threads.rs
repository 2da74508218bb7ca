//! Threads: `/ask`, `/share`, `/search`, `/thread`, `/unanswered`, `/follow`,
//! `/unfollow`, `/answer` and the "Mark as answer" message command.

use poise::serenity_prelude as serenity;

use crate::api::{ThreadKind, schema};
use crate::catalogue::{Msg, say};
use crate::core::{self, Command, Draft, Reply};
use crate::discord::autocomplete::{autocomplete_partner, autocomplete_reply, autocomplete_tag, autocomplete_thread};
use crate::discord::{AppCtx, Ctx, Error, invocation, run_command, send};

/// A thread kind, as slash commands offer it.
#[derive(Debug, Clone, Copy, poise::ChoiceParameter, cynic::Enum)]
#[cynic(graphql_type = "ThreadKind")]
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

/// Shows the thread form and posts (or, for a question, first shows similar threads).
pub(super) async fn thread_from_form(ctx: AppCtx<'_>, kind: ThreadKind) -> Result<(), Error> {
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

/// Ask the network a question; similar threads are shown first.
#[poise::command(slash_command)]
pub(super) async fn ask(ctx: AppCtx<'_>) -> Result<(), Error> {
    thread_from_form(ctx, ThreadKind::Question).await
}

/// Share an idea or a resource with the network.
#[poise::command(slash_command, subcommands("share_idea", "share_resource"), subcommand_required)]
pub(super) async fn share(_ctx: Ctx<'_>) -> Result<(), Error> {
    Ok(())
}

/// Share an idea.
#[poise::command(slash_command, rename = "idea")]
pub(super) async fn share_idea(ctx: AppCtx<'_>) -> Result<(), Error> {
    thread_from_form(ctx, ThreadKind::Idea).await
}

/// Share a resource.
#[poise::command(slash_command, rename = "resource")]
pub(super) async fn share_resource(ctx: AppCtx<'_>) -> Result<(), Error> {
    thread_from_form(ctx, ThreadKind::Resource).await
}

/// Search threads and collaborations.
#[poise::command(slash_command)]
pub(super) async fn search(
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
pub(super) async fn thread(
    ctx: Ctx<'_>,
    #[description = "The thread"]
    #[autocomplete = "autocomplete_thread"]
    id: String,
) -> Result<(), Error> {
    run_command(ctx, Command::Thread { id }, true).await
}

/// Questions still waiting for an answer.
#[poise::command(slash_command)]
pub(super) async fn unanswered(ctx: Ctx<'_>) -> Result<(), Error> {
    run_command(ctx, Command::Unanswered, true).await
}

/// Follow a thread.
#[poise::command(slash_command)]
pub(super) async fn follow(
    ctx: Ctx<'_>,
    #[description = "The thread"]
    #[autocomplete = "autocomplete_thread"]
    thread: String,
) -> Result<(), Error> {
    run_command(ctx, Command::Follow { thread }, true).await
}

/// Stop following a thread.
#[poise::command(slash_command)]
pub(super) async fn unfollow(
    ctx: Ctx<'_>,
    #[description = "The thread"]
    #[autocomplete = "autocomplete_thread"]
    thread: String,
) -> Result<(), Error> {
    run_command(ctx, Command::Unfollow { thread }, true).await
}

/// Accept a reply as the answer to your question.
#[poise::command(slash_command)]
pub(super) async fn answer(
    ctx: Ctx<'_>,
    #[description = "The reply"]
    #[autocomplete = "autocomplete_reply"]
    reply: String,
) -> Result<(), Error> {
    run_command(ctx, Command::Answer { reply }, false).await
}

/// Accept this message's reply as the answer.
#[poise::command(context_menu_command = "Mark as answer")]
pub(super) async fn mark_as_answer(ctx: Ctx<'_>, message: serenity::Message) -> Result<(), Error> {
    ctx.defer().await?;
    let actor = ctx.data().actor(ctx.author().id, invocation(ctx)).await;
    let reply = match ctx.data().api.message_mirror(&message.id.to_string()).await {
        Ok(mirror) => match mirror.as_ref().and_then(|mirror| mirror.key.reply_id()) {
            Some(reply) => core::handle(&ctx.data().api, &actor, Command::Answer { reply: reply.to_owned() }).await,
            None => Reply::private(say(actor.lang, &Msg::NotAReply)),
        },
        Err(error) => core::refusal(actor.lang, &error),
    };
    send(ctx, &actor, reply).await
}
