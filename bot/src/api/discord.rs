//! The bot's own records in the API: linked Discord accounts, each user's language,
//! and the mirrors (claimed, released, completed and looked up by key, message or
//! forum post).

use cynic::{MutationBuilder, QueryBuilder};

use super::{ApiError, Caller, Language, Lkn, MirrorKey, PartnerRef, UserError, accepted, schema, written};

/// A member, as linking returns them.
#[derive(cynic::QueryFragment, Debug, Clone, PartialEq, Eq)]
#[cynic(graphql_type = "Member")]
pub struct MemberView {
    /// Display name.
    pub display_name: String,
    /// Their partner.
    pub partner: Option<PartnerRef>,
}

/// A Discord message that mirrors an LKN object.
#[derive(cynic::QueryFragment, Debug, Clone, PartialEq, Eq)]
#[cynic(graphql_type = "DiscordMirror")]
pub struct Mirror {
    /// What it mirrors.
    pub key: MirrorKey,
    /// Its channel (for a thread, the forum post).
    pub channel_id: Option<String>,
    /// The message.
    pub message_id: Option<String>,
    /// Whether it has been posted.
    pub completed: bool,
}

#[derive(cynic::InputObject, Debug)]
#[cynic(graphql_type = "LinkDiscordAccountInput")]
struct LinkInput {
    code: String,
    discord_user_id: String,
}

#[derive(cynic::QueryVariables, Debug)]
struct LinkVariables {
    input: LinkInput,
}

#[derive(cynic::QueryFragment, Debug)]
#[cynic(graphql_type = "LinkDiscordAccountPayload")]
struct LinkPayload {
    member: Option<MemberView>,
    user_errors: Vec<UserError>,
}

#[derive(cynic::QueryFragment, Debug)]
#[cynic(graphql_type = "MutationRoot", variables = "LinkVariables")]
struct LinkDiscordAccount {
    #[arguments(input: $input)]
    link_discord_account: LinkPayload,
}

#[derive(cynic::InputObject, Debug)]
#[cynic(graphql_type = "UnlinkDiscordAccountInput")]
struct UnlinkInput {
    discord_user_id: String,
}

#[derive(cynic::QueryVariables, Debug)]
struct UnlinkVariables {
    input: UnlinkInput,
}

#[derive(cynic::QueryFragment, Debug)]
#[cynic(graphql_type = "UnlinkDiscordAccountPayload")]
struct UnlinkPayload {
    unlinked: bool,
    user_errors: Vec<UserError>,
}

#[derive(cynic::QueryFragment, Debug)]
#[cynic(graphql_type = "MutationRoot", variables = "UnlinkVariables")]
struct UnlinkDiscordAccount {
    #[arguments(input: $input)]
    unlink_discord_account: UnlinkPayload,
}

#[derive(cynic::QueryVariables, Debug)]
struct DiscordUserVariables {
    id: String,
}

#[derive(cynic::QueryFragment, Debug)]
#[cynic(graphql_type = "QueryRoot", variables = "DiscordUserVariables")]
struct DiscordLanguage {
    #[arguments(discordUserId: $id)]
    discord_language: Option<Language>,
}

#[derive(cynic::InputObject, Debug)]
#[cynic(graphql_type = "SetDiscordLanguageInput")]
struct SetLanguageInput {
    discord_user_id: String,
    language: Language,
}

#[derive(cynic::QueryVariables, Debug)]
struct SetLanguageVariables {
    input: SetLanguageInput,
}

#[derive(cynic::QueryFragment, Debug)]
#[cynic(graphql_type = "SetDiscordLanguagePayload")]
struct SetLanguagePayload {
    user_errors: Vec<UserError>,
}

#[derive(cynic::QueryFragment, Debug)]
#[cynic(graphql_type = "MutationRoot", variables = "SetLanguageVariables")]
struct SetDiscordLanguage {
    #[arguments(input: $input)]
    set_discord_language: SetLanguagePayload,
}

#[derive(cynic::InputObject, Debug)]
#[cynic(graphql_type = "ClaimDiscordMirrorInput")]
struct ClaimInput {
    key: MirrorKey,
}

#[derive(cynic::QueryVariables, Debug)]
struct ClaimVariables {
    input: ClaimInput,
}

#[derive(cynic::QueryFragment, Debug)]
#[cynic(graphql_type = "ClaimDiscordMirrorPayload")]
struct ClaimPayload {
    claimed: bool,
    mirror: Option<Mirror>,
    user_errors: Vec<UserError>,
}

#[derive(cynic::QueryFragment, Debug)]
#[cynic(graphql_type = "MutationRoot", variables = "ClaimVariables")]
struct ClaimDiscordMirror {
    #[arguments(input: $input)]
    claim_discord_mirror: ClaimPayload,
}

#[derive(cynic::QueryFragment, Debug)]
#[cynic(graphql_type = "ReleaseDiscordMirrorPayload")]
struct ReleasePayload {
    user_errors: Vec<UserError>,
}

#[derive(cynic::QueryFragment, Debug)]
#[cynic(graphql_type = "MutationRoot", variables = "ClaimVariables")]
struct ReleaseDiscordMirror {
    #[arguments(input: $input)]
    release_discord_mirror: ReleasePayload,
}

#[derive(cynic::InputObject, Debug)]
#[cynic(graphql_type = "CompleteDiscordMirrorInput")]
struct CompleteInput {
    key: MirrorKey,
    channel_id: String,
    message_id: String,
}

#[derive(cynic::QueryVariables, Debug)]
struct CompleteVariables {
    input: CompleteInput,
}

#[derive(cynic::QueryFragment, Debug)]
#[cynic(graphql_type = "CompleteDiscordMirrorPayload")]
struct CompletePayload {
    user_errors: Vec<UserError>,
}

#[derive(cynic::QueryFragment, Debug)]
#[cynic(graphql_type = "MutationRoot", variables = "CompleteVariables")]
struct CompleteDiscordMirror {
    #[arguments(input: $input)]
    complete_discord_mirror: CompletePayload,
}

#[derive(cynic::QueryVariables, Debug)]
struct KeyVariables {
    key: MirrorKey,
}

#[derive(cynic::QueryFragment, Debug)]
#[cynic(graphql_type = "QueryRoot", variables = "KeyVariables")]
struct MirrorByKey {
    #[arguments(key: $key)]
    discord_mirror: Option<Mirror>,
}

#[derive(cynic::QueryVariables, Debug)]
struct DiscordIdVariables {
    id: String,
}

#[derive(cynic::QueryFragment, Debug)]
#[cynic(graphql_type = "QueryRoot", variables = "DiscordIdVariables")]
struct MirrorByMessage {
    #[arguments(messageId: $id)]
    discord_message_mirror: Option<Mirror>,
}

#[derive(cynic::QueryFragment, Debug)]
#[cynic(graphql_type = "QueryRoot", variables = "DiscordIdVariables")]
struct MirrorByPost {
    #[arguments(channelId: $id)]
    discord_thread_mirror: Option<Mirror>,
}

impl Lkn {
    /// Links a Discord user to the member who made `code`.
    pub async fn link(&self, code: &str, discord_user_id: &str) -> Result<MemberView, ApiError> {
        let input = LinkInput { code: code.to_owned(), discord_user_id: discord_user_id.to_owned() };
        let payload = self.run(&Caller::Bot, &LinkDiscordAccount::build(LinkVariables { input })).await?;
        let payload = payload.link_discord_account;
        written(payload.member, payload.user_errors, "member")
    }

    /// Unlinks a Discord user; whether one was linked.
    pub async fn unlink(&self, discord_user_id: &str) -> Result<bool, ApiError> {
        let input = UnlinkInput { discord_user_id: discord_user_id.to_owned() };
        let payload = self.run(&Caller::Bot, &UnlinkDiscordAccount::build(UnlinkVariables { input })).await?;
        let payload = payload.unlink_discord_account;
        accepted(payload.user_errors)?;
        Ok(payload.unlinked)
    }

    /// The language a Discord user chose, if any.
    pub async fn language(&self, discord_user_id: &str) -> Result<Option<Language>, ApiError> {
        let variables = DiscordUserVariables { id: discord_user_id.to_owned() };
        Ok(self.run(&Caller::Bot, &DiscordLanguage::build(variables)).await?.discord_language)
    }

    /// Keeps a Discord user's language.
    pub async fn set_language(&self, discord_user_id: &str, language: Language) -> Result<(), ApiError> {
        let input = SetLanguageInput { discord_user_id: discord_user_id.to_owned(), language };
        let payload = self.run(&Caller::Bot, &SetDiscordLanguage::build(SetLanguageVariables { input })).await?;
        accepted(payload.set_discord_language.user_errors)
    }

    /// Claims the right to post the mirror of `key`: true when this process should post.
    pub async fn claim_mirror(&self, key: &MirrorKey) -> Result<(bool, Option<Mirror>), ApiError> {
        let variables = ClaimVariables { input: ClaimInput { key: key.clone() } };
        let payload = self.run(&Caller::Bot, &ClaimDiscordMirror::build(variables)).await?.claim_discord_mirror;
        accepted(payload.user_errors)?;
        Ok((payload.claimed, payload.mirror))
    }

    /// Gives up a claim whose post failed.
    pub async fn release_mirror(&self, key: &MirrorKey) -> Result<(), ApiError> {
        let variables = ClaimVariables { input: ClaimInput { key: key.clone() } };
        let payload = self.run(&Caller::Bot, &ReleaseDiscordMirror::build(variables)).await?;
        accepted(payload.release_discord_mirror.user_errors)
    }

    /// Records the Discord message that mirrors `key`.
    pub async fn complete_mirror(&self, key: &MirrorKey, channel_id: &str, message_id: &str) -> Result<(), ApiError> {
        let input =
            CompleteInput { key: key.clone(), channel_id: channel_id.to_owned(), message_id: message_id.to_owned() };
        let payload = self.run(&Caller::Bot, &CompleteDiscordMirror::build(CompleteVariables { input })).await?;
        accepted(payload.complete_discord_mirror.user_errors)
    }

    /// The mirror of `key`, if claimed.
    pub async fn mirror(&self, key: &MirrorKey) -> Result<Option<Mirror>, ApiError> {
        let variables = KeyVariables { key: key.clone() };
        Ok(self.run(&Caller::Bot, &MirrorByKey::build(variables)).await?.discord_mirror)
    }

    /// The mirror posted as Discord message `message_id`.
    pub async fn message_mirror(&self, message_id: &str) -> Result<Option<Mirror>, ApiError> {
        let variables = DiscordIdVariables { id: message_id.to_owned() };
        Ok(self.run(&Caller::Bot, &MirrorByMessage::build(variables)).await?.discord_message_mirror)
    }

    /// The thread mirror whose forum post is `channel_id`.
    pub async fn thread_mirror(&self, channel_id: &str) -> Result<Option<Mirror>, ApiError> {
        let variables = DiscordIdVariables { id: channel_id.to_owned() };
        Ok(self.run(&Caller::Bot, &MirrorByPost::build(variables)).await?.discord_thread_mirror)
    }
}
