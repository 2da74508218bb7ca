//! Notifications the bot delivers: the direct messages it is handed to send and what
//! became of each, and the claim that makes the weekly round-up of unanswered questions
//! appear once per channel and week. All three in the bot's own name, never for a member.

use cynic::MutationBuilder;

use super::{ApiError, Caller, Language, Lkn, UserError, accepted, schema};

/// What a notification is about (the API words it; the bot shows its headline).
#[derive(cynic::Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotificationKind {
    /// A reply on a thread the member started.
    ReplyOnYourThread,
    /// A reply on a thread the member follows.
    ReplyOnFollowedThread,
    /// A followed thread had an answer accepted, was edited or was closed.
    FollowedThreadChanged,
    /// Another partner endorsed the member's thread.
    Endorsement,
    /// A partner asked to join a collaboration the member's partner leads.
    JoinRequest,
    /// The member's partner's request to join a collaboration was decided.
    JoinDecision,
    /// A collaboration the member's partner is in changed status.
    CollaborationStatus,
    /// A bid deadline is near.
    BidDeadline,
    /// A new question in one of the member's areas of expertise.
    QuestionInYourExpertise,
}

/// A direct message the API handed the bot to send (held for the bot for a minute).
#[derive(cynic::QueryFragment, Debug, Clone, PartialEq, Eq)]
#[cynic(graphql_type = "DiscordNotification")]
pub struct DirectNotification {
    /// The delivery's id, to settle it with.
    pub id: cynic::Id,
    /// Whom to message.
    pub discord_user_id: String,
    /// The language the member reads (the button's label comes from the catalogue).
    pub language: Language,
    /// One line saying what happened, already in the member's language.
    pub headline: String,
    /// Where to read more.
    pub url: String,
    /// What it is about.
    pub kind: NotificationKind,
    /// The thread concerned, if any: the message offers to unfollow it.
    pub thread_id: Option<cynic::Id>,
}

/// What became of a direct message, as the API records it.
#[derive(cynic::Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum DiscordDeliveryOutcome {
    /// Discord took it.
    Delivered,
    /// The member does not accept direct messages from the bot.
    DmsClosed,
    /// Discord asked the bot to wait.
    RetryLater,
    /// Anything else.
    Failed,
}

/// What the bot reports about one direct message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Settlement {
    /// Discord took it.
    Delivered,
    /// Discord refused: the member does not accept direct messages from the bot.
    DmsClosed,
    /// Discord's rate limit: hand it out again after this many seconds.
    RetryLater {
        /// Discord's `retry_after`, rounded up.
        seconds: i32,
    },
    /// Anything else, with what went wrong.
    Failed {
        /// The error, as Discord or the network gave it.
        error: String,
    },
}

#[derive(cynic::QueryVariables, Debug)]
struct ClaimVariables {
    first: i32,
}

#[derive(cynic::QueryFragment, Debug)]
#[cynic(graphql_type = "MutationRoot", variables = "ClaimVariables")]
struct ClaimDiscordNotifications {
    #[arguments(first: $first)]
    claim_discord_notifications: Vec<DirectNotification>,
}

#[derive(cynic::InputObject, Debug)]
#[cynic(graphql_type = "SettleDiscordNotificationInput")]
struct SettleInput {
    id: cynic::Id,
    outcome: DiscordDeliveryOutcome,
    retry_after_seconds: Option<i32>,
    error: Option<String>,
}

#[derive(cynic::QueryVariables, Debug)]
struct SettleVariables {
    input: SettleInput,
}

#[derive(cynic::QueryFragment, Debug)]
#[cynic(graphql_type = "SettleDiscordNotificationPayload")]
struct SettlePayload {
    settled: bool,
    user_errors: Vec<UserError>,
}

#[derive(cynic::QueryFragment, Debug)]
#[cynic(graphql_type = "MutationRoot", variables = "SettleVariables")]
struct SettleDiscordNotification {
    #[arguments(input: $input)]
    settle_discord_notification: SettlePayload,
}

#[derive(cynic::QueryVariables, Debug)]
struct RoundupVariables {
    channel_id: String,
    week: String,
}

#[derive(cynic::QueryFragment, Debug)]
#[cynic(graphql_type = "MutationRoot", variables = "RoundupVariables")]
struct ClaimWeeklyRoundup {
    #[arguments(channelId: $channel_id, week: $week)]
    claim_weekly_roundup: bool,
}

impl SettleInput {
    fn new(id: &cynic::Id, settlement: Settlement) -> Self {
        let (outcome, retry_after_seconds, error) = match settlement {
            Settlement::Delivered => (DiscordDeliveryOutcome::Delivered, None, None),
            Settlement::DmsClosed => (DiscordDeliveryOutcome::DmsClosed, None, None),
            Settlement::RetryLater { seconds } => (DiscordDeliveryOutcome::RetryLater, Some(seconds), None),
            Settlement::Failed { error } => (DiscordDeliveryOutcome::Failed, None, Some(error)),
        };
        Self { id: id.clone(), outcome, retry_after_seconds, error }
    }
}

impl Lkn {
    /// Takes up to `first` (1–50) direct messages to send; each is the bot's for a minute.
    pub async fn claim_direct_notifications(&self, first: i32) -> Result<Vec<DirectNotification>, ApiError> {
        let operation = ClaimDiscordNotifications::build(ClaimVariables { first });
        Ok(self.run(&Caller::Bot, &operation).await?.claim_discord_notifications)
    }

    /// Records what became of the direct message `id`; whether the API took the record
    /// (it refuses one it no longer holds for the bot, such as a lapsed claim).
    pub async fn settle_direct_notification(&self, id: &cynic::Id, settlement: Settlement) -> Result<bool, ApiError> {
        let variables = SettleVariables { input: SettleInput::new(id, settlement) };
        let payload = self.run(&Caller::Bot, &SettleDiscordNotification::build(variables)).await?;
        let payload = payload.settle_discord_notification;
        accepted(payload.user_errors)?;
        Ok(payload.settled)
    }

    /// Claims the weekly round-up for `channel_id` in ISO week `week` (`2026-W49`): true
    /// the first time, for whichever process asks first; false ever after.
    pub async fn claim_weekly_roundup(&self, channel_id: &str, week: &str) -> Result<bool, ApiError> {
        let variables = RoundupVariables { channel_id: channel_id.to_owned(), week: week.to_owned() };
        Ok(self.run(&Caller::Bot, &ClaimWeeklyRoundup::build(variables)).await?.claim_weekly_roundup)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_settlement_sends_only_what_its_outcome_needs() {
        let id = cynic::Id::new("RGVsaXZlcnk6MQ");
        let later = SettleInput::new(&id, Settlement::RetryLater { seconds: 2 });
        assert_eq!(
            (later.outcome, later.retry_after_seconds, later.error),
            (DiscordDeliveryOutcome::RetryLater, Some(2), None)
        );
        let failed = SettleInput::new(&id, Settlement::Failed { error: "boom".into() });
        assert_eq!((failed.outcome, failed.retry_after_seconds), (DiscordDeliveryOutcome::Failed, None));
        assert_eq!(failed.error.as_deref(), Some("boom"));
        let closed = SettleInput::new(&id, Settlement::DmsClosed);
        assert_eq!(
            (closed.outcome, closed.retry_after_seconds, closed.error),
            (DiscordDeliveryOutcome::DmsClosed, None, None)
        );
    }

    #[test]
    fn the_documents_ask_in_the_schemas_words() {
        let claim = ClaimDiscordNotifications::build(ClaimVariables { first: 20 }).query;
        assert!(claim.contains("claimDiscordNotifications(first: $first)") && claim.contains("threadId"), "{claim}");
        let variables = RoundupVariables { channel_id: "1".into(), week: "2026-W49".into() };
        let roundup = ClaimWeeklyRoundup::build(variables).query;
        assert!(roundup.contains("claimWeeklyRoundup(channelId: $channelId, week: $week)"), "{roundup}");
    }
}
