//! The network's people: `/who-knows` (who knows most about a topic) and `/profile`.

use poise::serenity_prelude as serenity;

use crate::core::Command;
use crate::discord::autocomplete::autocomplete_tag;
use crate::discord::{Ctx, Error, run_command};

/// Who knows most about a topic, and why.
#[poise::command(slash_command, rename = "who-knows")]
pub(super) async fn who_knows(
    ctx: Ctx<'_>,
    #[description = "A tag or a few words"]
    #[autocomplete = "autocomplete_tag"]
    #[max_length = 200]
    topic: String,
) -> Result<(), Error> {
    run_command(ctx, Command::WhoKnows { topic }, true).await
}

/// Your profile, or a colleague's: bio, languages and what they know about.
#[poise::command(slash_command)]
pub(super) async fn profile(
    ctx: Ctx<'_>,
    #[description = "A colleague on Discord; yourself when left out"] member: Option<serenity::User>,
) -> Result<(), Error> {
    let discord_user_id = member.filter(|user| user.id != ctx.author().id).map(|user| user.id.to_string());
    run_command(ctx, Command::Profile { discord_user_id }, true).await
}
