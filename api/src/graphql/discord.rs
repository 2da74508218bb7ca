//! The bot's records in the API: Discord mirrors and Discord users' languages. Only the
//! bot's identity may use these; the bot never touches the database itself.

use async_graphql::{Context, InputObject, Object, SimpleObject};
use lkn_entity::discord_mirror;

use crate::graphql::user_errors::UserError;
use crate::graphql::viewer::Member;
use crate::graphql::vocabulary::Language;
use crate::graphql::{OrGraphql, db, request, split_user_errors};
use crate::service::discord;

/// A Discord message that mirrors an LKN object.
#[derive(SimpleObject)]
pub struct DiscordMirror {
    /// What is mirrored, e.g. `thread:<thread id>` or `reply:<reply id>`.
    pub key: String,
    /// The Discord channel, once posted (for a thread, its forum post).
    pub channel_id: Option<String>,
    /// The Discord message, once posted.
    pub message_id: Option<String>,
    /// Whether it has been posted.
    pub completed: bool,
}

impl From<discord_mirror::Model> for DiscordMirror {
    fn from(row: discord_mirror::Model) -> Self {
        Self {
            completed: row.completed_at.is_some(),
            key: row.mirror_key,
            channel_id: row.channel_id,
            message_id: row.message_id,
        }
    }
}

/// Claims the right to post a mirror.
#[derive(InputObject)]
pub struct ClaimDiscordMirrorInput {
    /// What is to be mirrored.
    pub key: String,
}

/// What `claimDiscordMirror` returns.
#[derive(SimpleObject)]
pub struct ClaimDiscordMirrorPayload {
    /// True when this caller should post the mirror now; false when another process
    /// holds a live claim or it is already posted.
    pub claimed: bool,
    /// The mirror as it stands.
    pub mirror: Option<DiscordMirror>,
    /// Why the claim was refused, if it was.
    pub user_errors: Vec<UserError>,
}

/// What `releaseDiscordMirror` returns.
#[derive(SimpleObject)]
pub struct ReleaseDiscordMirrorPayload {
    /// Whether an uncompleted claim was given up.
    pub released: bool,
    /// Why it was refused, if it was.
    pub user_errors: Vec<UserError>,
}

/// Records the Discord message that mirrors a key.
#[derive(InputObject)]
pub struct CompleteDiscordMirrorInput {
    /// What is mirrored.
    pub key: String,
    /// The Discord channel (for a thread, its forum post).
    pub channel_id: String,
    /// The Discord message.
    pub message_id: String,
}

/// What `completeDiscordMirror` returns.
#[derive(SimpleObject)]
pub struct CompleteDiscordMirrorPayload {
    /// The completed mirror.
    pub mirror: Option<DiscordMirror>,
    /// Why it was refused, if it was.
    pub user_errors: Vec<UserError>,
}

/// Names a Discord user.
#[derive(InputObject)]
pub struct UnlinkDiscordAccountInput {
    /// The Discord user's id.
    pub discord_user_id: String,
}

/// What `unlinkDiscordAccount` returns.
#[derive(SimpleObject)]
pub struct UnlinkDiscordAccountPayload {
    /// Whether an account was linked (and now is not).
    pub unlinked: bool,
    /// Why it was refused, if it was.
    pub user_errors: Vec<UserError>,
}

/// Keeps a Discord user's language.
#[derive(InputObject)]
pub struct SetDiscordLanguageInput {
    /// The Discord user's id.
    pub discord_user_id: String,
    /// English or Welsh.
    pub language: Language,
}

/// What `setDiscordLanguage` returns.
#[derive(SimpleObject)]
pub struct SetDiscordLanguagePayload {
    /// The language now kept.
    pub language: Option<Language>,
    /// Why it was refused, if it was.
    pub user_errors: Vec<UserError>,
}

/// The bot's queries.
#[derive(Default)]
pub struct DiscordQuery;

#[Object]
impl DiscordQuery {
    /// The mirror of `key`, if it was claimed. Bot only.
    async fn discord_mirror(&self, ctx: &Context<'_>, key: String) -> async_graphql::Result<Option<DiscordMirror>> {
        let viewer = &request(ctx)?.viewer;
        Ok(discord::mirror(db(ctx)?, viewer, &key).await.gql()?.map(DiscordMirror::from))
    }

    /// The thread mirror whose forum post is the Discord channel `channelId`: how the
    /// bot finds the thread a Discord message was written in. Bot only.
    async fn discord_thread_mirror(
        &self,
        ctx: &Context<'_>,
        channel_id: String,
    ) -> async_graphql::Result<Option<DiscordMirror>> {
        let viewer = &request(ctx)?.viewer;
        Ok(discord::mirror_in_channel(db(ctx)?, viewer, &channel_id, "thread:").await.gql()?.map(DiscordMirror::from))
    }

    /// The mirror posted as Discord message `messageId`: how the bot finds the reply a
    /// "Mark as answer" names. Bot only.
    async fn discord_message_mirror(
        &self,
        ctx: &Context<'_>,
        message_id: String,
    ) -> async_graphql::Result<Option<DiscordMirror>> {
        let viewer = &request(ctx)?.viewer;
        Ok(discord::mirror_of_message(db(ctx)?, viewer, &message_id).await.gql()?.map(DiscordMirror::from))
    }

    /// The member linked to a Discord account, for a member asking through the bot
    /// (`/profile member:@…`); null when none is.
    async fn discord_member(
        &self,
        ctx: &Context<'_>,
        discord_user_id: String,
    ) -> async_graphql::Result<Option<Member>> {
        let viewer = &request(ctx)?.viewer;
        Ok(discord::linked_member(db(ctx)?, viewer, &discord_user_id).await.gql()?.map(Member))
    }

    /// The language a Discord user chose with `/language`, if any. Bot only.
    async fn discord_language(
        &self,
        ctx: &Context<'_>,
        discord_user_id: String,
    ) -> async_graphql::Result<Option<Language>> {
        let viewer = &request(ctx)?.viewer;
        Ok(discord::language(db(ctx)?, viewer, &discord_user_id).await.gql()?.map(Language::from))
    }
}

/// The bot's mutations.
#[derive(Default)]
pub struct DiscordMutation;

#[Object]
impl DiscordMutation {
    /// Claims the right to post the mirror of a key; post only when `claimed` is true,
    /// then call `completeDiscordMirror`. A claim not completed within two minutes
    /// lapses, so a crashed bot's work is picked up again. Bot only.
    async fn claim_discord_mirror(
        &self,
        ctx: &Context<'_>,
        input: ClaimDiscordMirrorInput,
    ) -> async_graphql::Result<ClaimDiscordMirrorPayload> {
        let request = request(ctx)?;
        let result = discord::claim_mirror(db(ctx)?, &request.write_context(), &input.key).await;
        let (claim, user_errors) = split_user_errors(result)?;
        let (claimed, mirror) = claim.map_or((false, None), |(c, m)| (c, Some(m.into())));
        Ok(ClaimDiscordMirrorPayload { claimed, mirror, user_errors })
    }

    /// Gives up a claim whose post failed, so it can be claimed again at once. A
    /// completed mirror is kept. Bot only.
    async fn release_discord_mirror(
        &self,
        ctx: &Context<'_>,
        input: ClaimDiscordMirrorInput,
    ) -> async_graphql::Result<ReleaseDiscordMirrorPayload> {
        let request = request(ctx)?;
        let result = discord::release_mirror(db(ctx)?, &request.write_context(), &input.key).await;
        let (released, user_errors) = split_user_errors(result)?;
        Ok(ReleaseDiscordMirrorPayload { released: released.unwrap_or(false), user_errors })
    }

    /// Records the Discord message that mirrors a key. Bot only.
    async fn complete_discord_mirror(
        &self,
        ctx: &Context<'_>,
        input: CompleteDiscordMirrorInput,
    ) -> async_graphql::Result<CompleteDiscordMirrorPayload> {
        let request = request(ctx)?;
        let result = discord::complete_mirror(
            db(ctx)?,
            &request.write_context(),
            &input.key,
            &input.channel_id,
            &input.message_id,
        )
        .await;
        let (mirror, user_errors) = split_user_errors(result)?;
        Ok(CompleteDiscordMirrorPayload { mirror: mirror.map(DiscordMirror::from), user_errors })
    }

    /// Unlinks a Discord account from its member (`/unlink`). Bot only.
    async fn unlink_discord_account(
        &self,
        ctx: &Context<'_>,
        input: UnlinkDiscordAccountInput,
    ) -> async_graphql::Result<UnlinkDiscordAccountPayload> {
        let request = request(ctx)?;
        let result = discord::unlink(db(ctx)?, &request.write_context(), &input.discord_user_id).await;
        let (unlinked, user_errors) = split_user_errors(result)?;
        Ok(UnlinkDiscordAccountPayload { unlinked: unlinked.unwrap_or(false), user_errors })
    }

    /// Keeps the language a Discord user chose with `/language`. Bot only.
    async fn set_discord_language(
        &self,
        ctx: &Context<'_>,
        input: SetDiscordLanguageInput,
    ) -> async_graphql::Result<SetDiscordLanguagePayload> {
        let request = request(ctx)?;
        let result =
            discord::set_language(db(ctx)?, &request.write_context(), &input.discord_user_id, input.language.into())
                .await;
        let (language, user_errors) = split_user_errors(result)?;
        Ok(SetDiscordLanguagePayload { language: language.map(Language::from), user_errors })
    }
}
