//! The user's own account: `/join`, `/link`, `/unlink`, `/language` and `/help`.

use crate::catalogue::{Msg, say};
use crate::core::{Command, Reply};
use crate::discord::autocomplete::autocomplete_partner;
use crate::discord::{Ctx, Error, invocation, run_command, send};

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

/// Link your Discord account to your LKN membership: with a code, or get one by e-mail.
#[poise::command(slash_command)]
pub(super) async fn link(
    ctx: Ctx<'_>,
    #[description = "The code from LKN"] code: Option<String>,
    #[description = "Your work e-mail address: a code is sent there"] email: Option<String>,
) -> Result<(), Error> {
    let command = match (code, email) {
        (Some(code), _) => Command::Link { code },
        (None, Some(email)) => Command::LinkByEmail { email },
        (None, None) => {
            ctx.defer_ephemeral().await?;
            let actor = ctx.data().actor(ctx.author().id, invocation(ctx)).await;
            return send(ctx, &actor, Reply::private(say(actor.lang, &Msg::LinkHow))).await;
        }
    };
    run_command(ctx, command, true).await
}

/// Ask to join a partner of the network; its coordinators decide.
#[poise::command(slash_command)]
pub(super) async fn join(
    ctx: Ctx<'_>,
    #[description = "The partner you work for"]
    #[autocomplete = "autocomplete_partner"]
    partner: String,
    #[description = "Your name, as shown on your posts"]
    #[max_length = 200]
    name: String,
    #[description = "Your work e-mail address: you sign in on the web with it"]
    #[max_length = 320]
    email: String,
) -> Result<(), Error> {
    run_command(ctx, Command::Join { partner, name, email }, true).await
}

/// Unlink your Discord account.
#[poise::command(slash_command)]
pub(super) async fn unlink(ctx: Ctx<'_>) -> Result<(), Error> {
    run_command(ctx, Command::Unlink, true).await
}

/// What the bot can do.
#[poise::command(slash_command)]
pub(super) async fn help(ctx: Ctx<'_>) -> Result<(), Error> {
    run_command(ctx, Command::Help, true).await
}

/// Speak English or Welsh to me.
#[poise::command(slash_command)]
pub(super) async fn language(ctx: Ctx<'_>, #[description = "en or cy"] language: LanguageChoice) -> Result<(), Error> {
    let code = match language {
        LanguageChoice::English => "en",
        LanguageChoice::Welsh => "cy",
    };
    run_command(ctx, Command::Language { code: code.into() }, true).await
}
