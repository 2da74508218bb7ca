//! The network: `/partners`, `/partner` and `/stats`.

use crate::api::{Nation, schema};
use crate::core::Command;
use crate::discord::autocomplete::autocomplete_partner;
use crate::discord::{Ctx, Error, run_command};

/// A nation, as `/partners` offers it.
#[derive(Debug, Clone, Copy, poise::ChoiceParameter, cynic::Enum)]
#[cynic(graphql_type = "Nation")]
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

/// The partners of the network.
#[poise::command(slash_command)]
pub(super) async fn partners(
    ctx: Ctx<'_>,
    #[description = "Only this nation"] nation: Option<NationChoice>,
) -> Result<(), Error> {
    run_command(ctx, Command::Partners { nation: nation.map(Into::into) }, true).await
}

/// One partner.
#[poise::command(slash_command)]
pub(super) async fn partner(
    ctx: Ctx<'_>,
    #[description = "The partner"]
    #[autocomplete = "autocomplete_partner"]
    name: String,
) -> Result<(), Error> {
    run_command(ctx, Command::Partner { name }, true).await
}

/// The network's figures.
#[poise::command(slash_command)]
pub(super) async fn stats(ctx: Ctx<'_>) -> Result<(), Error> {
    run_command(ctx, Command::Stats, true).await
}
