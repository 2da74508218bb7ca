//! Autocomplete for slash-command options: threads, tags, partners, collaborations
//! and the replies of the forum post a command is used in.

use poise::serenity_prelude as serenity;
use serenity::CreateAutocompleteResponse;

use crate::api::{Caller, ThreadFeed, ThreadFilter};
use crate::discord::Ctx;
use crate::render;

async fn choices(items: impl Iterator<Item = (String, String)>) -> CreateAutocompleteResponse {
    let choices = items
        .take(25)
        .map(|(name, value)| serenity::AutocompleteChoice::new(render::excerpt(&name, 100), value))
        .collect();
    CreateAutocompleteResponse::new().set_choices(choices)
}

pub(super) async fn autocomplete_tag(ctx: Ctx<'_>, partial: &str) -> CreateAutocompleteResponse {
    let caller = Caller::Discord(ctx.author().id.to_string());
    let tags = ctx.data().api.tags(&caller).await.unwrap_or_default();
    let partial = partial.to_lowercase();
    choices(tags.into_iter().filter(|t| t.name.contains(&partial)).map(|t| (t.name.clone(), t.name))).await
}

pub(super) async fn autocomplete_partner(ctx: Ctx<'_>, partial: &str) -> CreateAutocompleteResponse {
    let caller = Caller::Discord(ctx.author().id.to_string());
    let partners = ctx.data().api.partners(&caller, None).await.unwrap_or_default();
    let partial = partial.to_lowercase();
    choices(partners.into_iter().filter(|p| p.name.to_lowercase().contains(&partial)).map(|p| (p.name, p.slug))).await
}

pub(super) async fn autocomplete_thread(ctx: Ctx<'_>, partial: &str) -> CreateAutocompleteResponse {
    let caller = Caller::Discord(ctx.author().id.to_string());
    let filter = ThreadFilter { title_contains: Some(partial.to_owned()), ..ThreadFilter::default() };
    let found = ctx.data().api.threads(&caller, 25, None, ThreadFeed::RecentlyActive, filter).await;
    let (threads, _) = found.unwrap_or_default();
    choices(threads.into_iter().map(|t| (t.title, t.id.into_inner()))).await
}

pub(super) async fn autocomplete_collaboration(ctx: Ctx<'_>, partial: &str) -> CreateAutocompleteResponse {
    let caller = Caller::Discord(ctx.author().id.to_string());
    let found = ctx.data().api.collaborations(&caller, None).await.unwrap_or_default();
    let partial = partial.to_lowercase();
    choices(
        found.into_iter().filter(|c| c.title.to_lowercase().contains(&partial)).map(|c| (c.title, c.id.into_inner())),
    )
    .await
}

/// The replies of the thread whose forum post the command is used in.
pub(super) async fn autocomplete_reply(ctx: Ctx<'_>, partial: &str) -> CreateAutocompleteResponse {
    let api = &ctx.data().api;
    let caller = Caller::Discord(ctx.author().id.to_string());
    let Ok(Some(mirror)) = api.thread_mirror(&ctx.channel_id().to_string()).await else {
        return CreateAutocompleteResponse::new();
    };
    let Some(thread_id) = mirror.key.thread_id() else { return CreateAutocompleteResponse::new() };
    let replies = api.replies(&caller, thread_id).await.unwrap_or_default();
    let partial = partial.to_lowercase();
    let items = replies.into_iter().filter(|r| r.body.to_lowercase().contains(&partial)).map(|r| {
        let author = r.author.map(|a| a.display_name).unwrap_or_default();
        (format!("{author}: {}", r.body), r.id.into_inner())
    });
    choices(items).await
}
