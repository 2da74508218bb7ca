//! Notifications as GraphQL: a member's list (`viewer.notifications`) and unread count,
//! marking read, preferences, the live `notificationReceived` subscription (in
//! `subscriptions`), the bot's Discord deliveries, and administrators' view of what could
//! not be delivered (`failedDeliveries`).

use async_graphql::connection::{Connection, Edge, EmptyFields};
use async_graphql::{Context, Enum, ID, InputObject, Object, SimpleObject};
use chrono::{DateTime, Utc};
use lkn_entity::vocabulary::{Cadence as StoredCadence, NotificationKind as StoredKind};
use lkn_entity::{member, notification};

use crate::error::{ServiceError, UserErrorCode};
use crate::graphql::collaborations::Collaboration;
use crate::graphql::connection::{OpaqueCursor, page_request};
use crate::graphql::ids::{self, NodeType};
use crate::graphql::loaders::{MemberById, VisibleCollaboration, VisibleThread};
use crate::graphql::sign_in::links;
use crate::graphql::threads::Thread;
use crate::graphql::user_errors::UserError;
use crate::graphql::viewer::Member;
use crate::graphql::vocabulary::Language;
use crate::graphql::{OrGraphql, db, request, split_user_errors};
use crate::mail::notices::{Notice, headline};
use crate::service::notifications::discord::{self as direct, Outcome};
use crate::service::notifications::preferences::{self, PreferenceChange};
use crate::service::notifications::{self, ReadSelection, describe};
use crate::service::page::TotalCount;

/// What a member is told about; preferences are per kind.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "StoredKind")]
pub enum NotificationKind {
    /// Someone replied on a thread you started.
    ReplyOnYourThread,
    /// Someone replied on a thread you follow.
    ReplyOnFollowedThread,
    /// A thread you follow had an answer accepted, was edited or was closed.
    FollowedThreadChanged,
    /// Another partner endorsed a thread you started.
    Endorsement,
    /// A partner asked to join a collaboration your partner leads (coordinators).
    JoinRequest,
    /// Your partner's request to join a collaboration was decided.
    JoinDecision,
    /// A collaboration your partner is in changed status.
    CollaborationStatus,
    /// A bid deadline of a collaboration your partner is in is 14 or 3 days away.
    BidDeadline,
    /// A new question was tagged with one of your areas of expertise (off by default).
    QuestionInYourExpertise,
}

/// When a member hears of a kind of notification on one channel.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "StoredCadence")]
pub enum Cadence {
    /// As it happens.
    Immediately,
    /// In the daily digest (e-mail only).
    Daily,
    /// In the weekly digest (e-mail only).
    Weekly,
    /// Not at all.
    Never,
}

/// Something a member was told.
pub struct Notification {
    row: notification::Model,
    notice: Notice,
    language: lkn_entity::vocabulary::Language,
}

impl Notification {
    /// A notification with its words, shown in `language`.
    pub fn new(row: notification::Model, notice: Notice, language: lkn_entity::vocabulary::Language) -> Self {
        Self { row, notice, language }
    }

    /// Puts `rows` into words in `language`.
    pub async fn describe_all(
        ctx: &Context<'_>,
        rows: Vec<notification::Model>,
        language: lkn_entity::vocabulary::Language,
    ) -> async_graphql::Result<Vec<Self>> {
        let notices = describe::notices(db(ctx)?, &rows, links(ctx)?).await.gql()?;
        Ok(rows.into_iter().zip(notices).map(|(row, notice)| Self::new(row, notice, language)).collect())
    }
}

#[Object]
impl Notification {
    /// Global id, for `markNotificationsRead`.
    async fn id(&self) -> ID {
        ids::encode(NodeType::Notification, self.row.id)
    }
    /// What kind of news it is.
    async fn kind(&self) -> NotificationKind {
        self.row.kind.into()
    }
    /// One line saying what happened, in the member's language (Welsh or English).
    async fn headline(&self) -> String {
        headline(&self.notice, self.language)
    }
    /// Where to read more in the explorer.
    async fn url(&self) -> &str {
        &self.notice.url
    }
    /// The thread concerned, if the member may still see it.
    async fn thread(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Thread>> {
        let Some(id) = self.row.thread_id else { return Ok(None) };
        Ok(request(ctx)?.loader.load_one(VisibleThread(id)).await?.map(Thread))
    }
    /// The collaboration concerned, if the member may still see it.
    async fn collaboration(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Collaboration>> {
        let Some(id) = self.row.collaboration_id else { return Ok(None) };
        Ok(request(ctx)?.loader.load_one(VisibleCollaboration(id)).await?.map(Collaboration))
    }
    /// The member who did it, if a member did.
    async fn actor(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Member>> {
        let Some(id) = self.row.actor_id else { return Ok(None) };
        Ok(request(ctx)?.loader.load_one(MemberById(id)).await?.map(Member))
    }
    /// When it happened.
    async fn created_at(&self) -> DateTime<Utc> {
        self.row.created_at
    }
    /// When the member marked it read; null while unread.
    async fn read_at(&self) -> Option<DateTime<Utc>> {
        self.row.read_at
    }
}

/// The sizes of a member's notification list.
pub struct NotificationTotals {
    total: TotalCount,
    member_id: i64,
}

#[Object]
impl NotificationTotals {
    /// How many notifications the list holds (with `unreadOnly`, how many are unread).
    async fn total_count(&self, ctx: &Context<'_>) -> async_graphql::Result<i64> {
        self.total.run(db(ctx)?).await.gql()
    }
    /// How many of the member's notifications are unread, whatever the list shows.
    async fn unread_count(&self, ctx: &Context<'_>) -> async_graphql::Result<i64> {
        Ok(notifications::unread_count(db(ctx)?, self.member_id).await.gql()? as i64)
    }
}

/// A page of a member's notifications.
pub type NotificationConnection = Connection<OpaqueCursor, Notification, NotificationTotals, EmptyFields>;

/// `member`'s notifications, if the caller is that member (in person or through the bot).
pub async fn notifications_of(
    ctx: &Context<'_>,
    member: &member::Model,
    first: Option<i32>,
    after: Option<&str>,
    unread_only: bool,
) -> async_graphql::Result<Option<NotificationConnection>> {
    if request(ctx)?.viewer.member().map(|m| m.id) != Some(member.id) {
        return Ok(None);
    }
    let page_request = page_request(ctx, first, after)?;
    let page = notifications::list(db(ctx)?, member.id, unread_only, &page_request).await.gql()?;
    let mut connection = Connection::with_additional_fields(
        page.has_previous_page,
        page.has_next_page,
        NotificationTotals { total: page.total, member_id: member.id },
    );
    let (cursors, rows): (Vec<_>, Vec<_>) = page.items.into_iter().unzip();
    let described = Notification::describe_all(ctx, rows, member.preferred_language).await?;
    connection
        .edges
        .extend(cursors.into_iter().zip(described).map(|(cursor, node)| Edge::new(OpaqueCursor(cursor), node)));
    Ok(Some(connection))
}

/// When a member hears of one kind of notification.
#[derive(SimpleObject, Clone, Copy)]
pub struct NotificationPreference {
    /// The kind.
    pub kind: NotificationKind,
    /// By e-mail: at once, in the daily or weekly digest, or never.
    pub email: Cadence,
    /// By Discord direct message (linked members only): at once or never.
    pub discord: Cadence,
}

impl From<preferences::Preference> for NotificationPreference {
    fn from(p: preferences::Preference) -> Self {
        Self { kind: p.kind.into(), email: p.email.into(), discord: p.discord.into() }
    }
}

/// `member`'s preferences, if the caller is that member.
pub async fn preferences_of(
    ctx: &Context<'_>,
    member: &member::Model,
) -> async_graphql::Result<Option<Vec<NotificationPreference>>> {
    if request(ctx)?.viewer.member().map(|m| m.id) != Some(member.id) {
        return Ok(None);
    }
    let all = preferences::of_member(db(ctx)?, member.id).await.gql()?;
    Ok(Some(all.into_iter().map(Into::into).collect()))
}

/// Which notifications to mark read: exactly one of `ids` and `upTo`.
#[derive(InputObject)]
pub struct MarkNotificationsReadInput {
    /// These notifications (at most 100).
    pub ids: Option<Vec<ID>>,
    /// Every notification up to and including this one: "mark all read" as of what the
    /// member has seen, so one that arrived since stays unread.
    pub up_to: Option<ID>,
}

/// What `markNotificationsRead` returns.
#[derive(SimpleObject)]
pub struct MarkNotificationsReadPayload {
    /// How many were unread and are now read.
    pub marked: i32,
    /// How many remain unread.
    pub unread_count: i32,
    /// Why it was refused, if it was.
    pub user_errors: Vec<UserError>,
}

/// One kind's new preference; a channel left out keeps its choice.
#[derive(InputObject)]
pub struct NotificationPreferenceInput {
    /// The kind.
    pub kind: NotificationKind,
    /// New e-mail cadence.
    pub email: Option<Cadence>,
    /// New Discord cadence: `IMMEDIATELY` or `NEVER`.
    pub discord: Option<Cadence>,
}

/// Preferences to change.
#[derive(InputObject)]
pub struct UpdateNotificationPreferencesInput {
    /// The kinds to change.
    pub preferences: Vec<NotificationPreferenceInput>,
}

/// What `updateNotificationPreferences` returns.
#[derive(SimpleObject)]
pub struct UpdateNotificationPreferencesPayload {
    /// Every kind's preference after the change.
    pub preferences: Option<Vec<NotificationPreference>>,
    /// Why it was refused, if it was.
    pub user_errors: Vec<UserError>,
}

/// A Discord direct message for the bot to send.
pub struct DiscordNotification(direct::DirectMessage);

#[Object]
impl DiscordNotification {
    /// The delivery's id, for `settleDiscordNotification`.
    async fn id(&self) -> ID {
        ids::encode(NodeType::Delivery, self.0.job_id)
    }
    /// The Discord user to message.
    async fn discord_user_id(&self) -> &str {
        &self.0.discord_user_id
    }
    /// The language they read.
    async fn language(&self) -> Language {
        self.0.language.into()
    }
    /// What happened, in their language.
    async fn headline(&self) -> String {
        headline(&self.0.notice, self.0.language)
    }
    /// Where to read more.
    async fn url(&self) -> &str {
        &self.0.notice.url
    }
    /// The kind, for the bot's wording.
    async fn kind(&self) -> NotificationKind {
        self.0.notification.kind.into()
    }
    /// The thread concerned, for an Unfollow button.
    async fn thread_id(&self) -> Option<ID> {
        self.0.notification.thread_id.map(|id| ids::encode(NodeType::Thread, id))
    }
}

/// What became of a direct message.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum DiscordDeliveryOutcome {
    /// Discord took it.
    Delivered,
    /// The member does not accept DMs from the bot: stop trying (e-mail instead, if allowed).
    DmsClosed,
    /// Discord's rate limit: hand it out again after `retryAfterSeconds`.
    RetryLater,
    /// Anything else: tried again with backoff, then given up.
    Failed,
}

/// What the bot reports about one direct message.
#[derive(InputObject)]
pub struct SettleDiscordNotificationInput {
    /// The delivery's id.
    pub id: ID,
    /// What happened.
    pub outcome: DiscordDeliveryOutcome,
    /// For `RETRY_LATER`: Discord's `retry_after`, in seconds.
    pub retry_after_seconds: Option<i32>,
    /// For `FAILED`: what went wrong.
    pub error: Option<String>,
}

/// What `settleDiscordNotification` returns.
#[derive(SimpleObject)]
pub struct SettleDiscordNotificationPayload {
    /// True when recorded.
    pub settled: bool,
    /// Why it was refused, if it was.
    pub user_errors: Vec<UserError>,
}

/// Where a delivery was going.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum DeliveryChannel {
    /// An e-mail.
    Email,
    /// A Discord direct message.
    Discord,
    /// Background work (a fan-out, a digest).
    Job,
}

/// Something LKN gave up delivering or doing, for administrators to look into.
#[derive(SimpleObject)]
pub struct FailedDelivery {
    /// Opaque id.
    pub id: ID,
    /// E-mail, Discord or background work.
    pub channel: DeliveryChannel,
    /// What it was (`notify`, `digest.member`, an e-mail's subject).
    pub description: String,
    /// The member it was for, if one.
    pub member: Option<Member>,
    /// Attempts made.
    pub attempts: i32,
    /// The last error.
    pub last_error: Option<String>,
    /// When it was given up.
    pub failed_at: DateTime<Utc>,
}

/// The largest `failedDeliveries` page.
const MAX_FAILED: i32 = 100;

/// `failedDeliveries`.
#[derive(Default)]
pub struct NotificationQuery;

#[Object]
impl NotificationQuery {
    /// What was given up, most recent first, e-mails and jobs together: administrators only.
    #[graphql(complexity = "first.unwrap_or(50).max(0) as usize * child_complexity + 5")]
    async fn failed_deliveries(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
    ) -> async_graphql::Result<Vec<FailedDelivery>> {
        let viewer = &request(ctx)?.viewer;
        viewer.require_member().gql()?;
        if !viewer.is_admin() {
            return Err(ServiceError::Forbidden.into_graphql());
        }
        let first = first.unwrap_or(50);
        if !(1..=MAX_FAILED).contains(&first) {
            return Err(ServiceError::BadRequest(format!("`first` must be between 1 and {MAX_FAILED}")).into_graphql());
        }
        let (jobs, mails) = notifications::given_up(db(ctx)?, first as u64).await.gql()?;
        // Every member named, in one batch.
        let ids = jobs.iter().filter_map(|j| j.member_id).chain(mails.iter().filter_map(|m| m.member_id));
        let members = request(ctx)?.loader.load_many(ids.map(MemberById)).await?;
        let member = |id: Option<i64>| id.and_then(|id| members.get(&MemberById(id)).cloned()).map(Member);
        let mut failed = Vec::new();
        for row in jobs {
            let channel = if row.task == direct::DM_TASK { DeliveryChannel::Discord } else { DeliveryChannel::Job };
            failed.push(FailedDelivery {
                id: ID(format!("job:{}", row.id)),
                channel,
                description: row.task,
                member: member(row.member_id),
                attempts: row.attempts,
                last_error: row.last_error,
                failed_at: row.failed_at.unwrap_or(row.created_at),
            });
        }
        for row in mails {
            failed.push(FailedDelivery {
                id: ID(format!("email:{}", row.id)),
                channel: DeliveryChannel::Email,
                description: row.subject,
                member: member(row.member_id),
                attempts: row.attempts,
                last_error: row.last_error,
                failed_at: row.failed_at.unwrap_or(row.created_at),
            });
        }
        failed.sort_by_key(|delivery| std::cmp::Reverse(delivery.failed_at));
        failed.truncate(first as usize);
        Ok(failed)
    }
}

/// Marking read, preferences, and the bot's deliveries.
#[derive(Default)]
pub struct NotificationMutation;

#[Object]
impl NotificationMutation {
    /// Marks notifications read. Marking again changes nothing; ids of notifications that
    /// are not the member's are ignored.
    async fn mark_notifications_read(
        &self,
        ctx: &Context<'_>,
        input: MarkNotificationsReadInput,
    ) -> async_graphql::Result<MarkNotificationsReadPayload> {
        let context = request(ctx)?;
        let member = context.viewer.require_member().gql()?;
        let db = db(ctx)?;
        let decode = |id: &ID, field: &str| ids::decode_input(NodeType::Notification, id, field);
        let selection = match (input.ids, input.up_to) {
            (Some(list), None) => {
                list.iter().map(|id| decode(id, "ids")).collect::<Result<Vec<_>, _>>().map(ReadSelection::Ids)
            }
            (None, Some(up_to)) => decode(&up_to, "upTo").map(ReadSelection::UpTo),
            _ => Err(ServiceError::invalid("ids", UserErrorCode::Invalid, "give either ids or upTo")),
        };
        let result = match selection {
            Ok(selection) => notifications::mark_read(db, member.id, selection, Utc::now()).await,
            Err(error) => Err(error),
        };
        let (marked, user_errors) = split_user_errors(result)?;
        let unread = notifications::unread_count(db, member.id).await.gql()?;
        Ok(MarkNotificationsReadPayload {
            marked: marked.unwrap_or(0) as i32,
            unread_count: unread.min(i32::MAX as u64) as i32,
            user_errors,
        })
    }

    /// Changes when the member hears of each kind of notification. Asking for Discord
    /// messages again after closing DMs makes the bot try again.
    async fn update_notification_preferences(
        &self,
        ctx: &Context<'_>,
        input: UpdateNotificationPreferencesInput,
    ) -> async_graphql::Result<UpdateNotificationPreferencesPayload> {
        let member = request(ctx)?.viewer.require_member().gql()?;
        let changes: Vec<PreferenceChange> = input
            .preferences
            .iter()
            .map(|p| PreferenceChange {
                kind: p.kind.into(),
                email: p.email.map(Into::into),
                discord: p.discord.map(Into::into),
            })
            .collect();
        let result = preferences::update(db(ctx)?, member.id, &changes, Utc::now()).await;
        let (stored, user_errors) = split_user_errors(result)?;
        Ok(UpdateNotificationPreferencesPayload {
            preferences: stored.map(|all| all.into_iter().map(Into::into).collect()),
            user_errors,
        })
    }

    /// Hands the bot up to `first` (1–50) direct messages to send, each held for a minute:
    /// the bot only, in its own name.
    async fn claim_discord_notifications(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 20)] first: i32,
    ) -> async_graphql::Result<Vec<DiscordNotification>> {
        request(ctx)?.viewer.require_bot_alone().gql()?;
        let claimed = direct::claim(db(ctx)?, links(ctx)?, first.max(1) as u64, Utc::now()).await.gql()?;
        Ok(claimed.into_iter().map(DiscordNotification).collect())
    }

    /// Claims the weekly round-up of unanswered questions for `channelId` in ISO week
    /// `week` (`2026-W49`): true for the first claim of that channel and week, false for
    /// every later one, so a restarted bot or a second bot process posts it once. The bot
    /// only, in its own name.
    async fn claim_weekly_roundup(
        &self,
        ctx: &Context<'_>,
        channel_id: String,
        week: String,
    ) -> async_graphql::Result<bool> {
        request(ctx)?.viewer.require_bot_alone().gql()?;
        crate::service::notifications::discord::claim_roundup(db(ctx)?, &channel_id, &week, Utc::now()).await.gql()
    }

    /// Records what became of a direct message: the bot only, in its own name.
    async fn settle_discord_notification(
        &self,
        ctx: &Context<'_>,
        input: SettleDiscordNotificationInput,
    ) -> async_graphql::Result<SettleDiscordNotificationPayload> {
        let context = request(ctx)?;
        context.viewer.require_bot_alone().gql()?;
        let outcome = match input.outcome {
            DiscordDeliveryOutcome::Delivered => Outcome::Delivered,
            DiscordDeliveryOutcome::DmsClosed => Outcome::DmsClosed,
            DiscordDeliveryOutcome::RetryLater => {
                Outcome::RetryAfter(i64::from(input.retry_after_seconds.unwrap_or(5)))
            }
            DiscordDeliveryOutcome::Failed => {
                Outcome::Failed(input.error.unwrap_or_else(|| "the bot did not say".into()).chars().take(500).collect())
            }
        };
        let result = match ids::decode_input(NodeType::Delivery, &input.id, "id") {
            Ok(job_id) => direct::settle(db(ctx)?, &context.write_context(), job_id, outcome, links(ctx)?).await,
            Err(error) => Err(error),
        };
        let (settled, user_errors) = split_user_errors(result)?;
        Ok(SettleDiscordNotificationPayload { settled: settled.is_some(), user_errors })
    }
}
