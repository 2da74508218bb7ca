//! The user's own account: `/link`, `/unlink`, `/language` and `/help`.

use crate::core::Command;
use crate::discord::{Ctx, Error, run_command};

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

/// Link your Discord account to your LKN membership.
#[poise::command(slash_command)]
pub(super) async fn link(ctx: Ctx<'_>, #[description = "The code from LKN"] code: String) -> Result<(), Error> {
    run_command(ctx, Command::Link { code }, true).await
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
