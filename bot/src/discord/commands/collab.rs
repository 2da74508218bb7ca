//! Collaborations: `/collab propose`, `list`, `show`, `join`, `decide` and `advance`.

use crate::api::{CollaborationStatus, schema};
use crate::core::{self, Command};
use crate::discord::autocomplete::{autocomplete_collaboration, autocomplete_partner};
use crate::discord::{AppCtx, Ctx, Error, invocation, run_command, send};

/// A collaboration status, as `/collab` offers it.
#[derive(Debug, Clone, Copy, poise::ChoiceParameter, cynic::Enum)]
#[cynic(graphql_type = "CollaborationStatus")]
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

/// Collaborations between partners.
#[poise::command(
    slash_command,
    subcommands("collab_propose", "collab_list", "collab_show", "collab_join", "collab_decide", "collab_advance"),
    subcommand_required
)]
pub(super) async fn collab(_ctx: Ctx<'_>) -> Result<(), Error> {
    Ok(())
}

/// Propose a collaboration led by your partner.
#[poise::command(slash_command, rename = "propose")]
pub(super) async fn collab_propose(ctx: AppCtx<'_>) -> Result<(), Error> {
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
pub(super) async fn collab_list(
    ctx: Ctx<'_>,
    #[description = "Only this status"] status: Option<StatusChoice>,
) -> Result<(), Error> {
    run_command(ctx, Command::CollabList { status: status.map(Into::into) }, true).await
}

/// One collaboration and who takes part.
#[poise::command(slash_command, rename = "show")]
pub(super) async fn collab_show(
    ctx: Ctx<'_>,
    #[description = "The collaboration"]
    #[autocomplete = "autocomplete_collaboration"]
    id: String,
) -> Result<(), Error> {
    run_command(ctx, Command::CollabShow { id }, true).await
}

/// Ask for your partner to join a collaboration.
#[poise::command(slash_command, rename = "join")]
pub(super) async fn collab_join(
    ctx: Ctx<'_>,
    #[description = "The collaboration"]
    #[autocomplete = "autocomplete_collaboration"]
    id: String,
) -> Result<(), Error> {
    run_command(ctx, Command::CollabJoin { id }, true).await
}

/// Accept or decline a partner's request to join (lead partner's coordinators).
#[poise::command(slash_command, rename = "decide")]
pub(super) async fn collab_decide(
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
pub(super) async fn collab_advance(
    ctx: Ctx<'_>,
    #[description = "The collaboration"]
    #[autocomplete = "autocomplete_collaboration"]
    id: String,
    #[description = "The new status"] status: StatusChoice,
) -> Result<(), Error> {
    run_command(ctx, Command::CollabAdvance { id, status: status.into() }, false).await
}
