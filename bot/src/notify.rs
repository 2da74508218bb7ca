//! Notifications delivered as Discord direct messages.
//!
//! The API decides who hears of what; it cannot reach Discord, so it hands the bot the
//! direct messages to send (`claimDiscordNotifications`, each held for the bot for a
//! minute) and the bot reports what became of each (`settleDiscordNotification`). Every
//! two seconds, and at once when it starts, the bot takes a batch, sends each message
//! (the headline in bold, the link, and an "Unfollow" button when a thread is concerned)
//! and settles it:
//! - sent: delivered;
//! - Discord refused because the member accepts no direct messages from the bot
//!   (403, code 50007): DMs closed, and the API stops sending them (e-mail instead);
//! - Discord's rate limit (429): retry later, after Discord's `retry_after`; the rest of
//!   the batch is settled the same way without being tried, and the bot sends nothing for
//!   that long, so nothing is dropped and Discord is not hammered;
//! - anything else: failed, with the error (the API tries again with backoff).
//!
//! A settlement the API could not take (it was down) is kept and sent again before the
//! next batch is taken, so a message Discord took is not handed out and sent again.
//! Nothing here panics or stops: an API or Discord outage is logged and tried again.
//!
//! Sending goes through a [`Courier`], so the rules here know no Discord types; the
//! Discord one is `discord::DiscordCourier`.

use std::time::Duration;

use async_trait::async_trait;

use crate::api::{ApiError, DirectNotification, Lkn, Settlement};
use crate::catalogue::{Lang, Msg, say};
use crate::render::excerpt;

/// The custom id of a notification's "Unfollow" button, before the thread's id.
pub const UNFOLLOW: &str = "unfollow:";
/// How long the bot waits between two batches when there is nothing more to send.
pub const TICK: Duration = Duration::from_secs(2);
/// How many direct messages the bot takes at once.
const BATCH: i32 = 20;

/// A direct message, ready to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Letter {
    /// The Discord user to message.
    pub user: String,
    /// The text: the headline in bold, then the link.
    pub content: String,
    /// The button under it, if any.
    pub button: Option<Button>,
}

/// A button under a direct message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Button {
    /// What Discord sends back when it is pressed.
    pub custom_id: String,
    /// What it says, in the member's language.
    pub label: String,
}

/// What Discord made of a direct message.
#[derive(Debug, Clone, PartialEq)]
pub enum Sent {
    /// It was delivered.
    Delivered,
    /// The member accepts no direct messages from the bot.
    DmsClosed,
    /// Rate limited: send nothing for this long.
    RateLimited(Duration),
    /// Anything else, with what went wrong.
    Failed(String),
}

/// Sends direct messages: Discord in production, a fake in unit tests.
#[async_trait]
pub trait Courier: Send + Sync {
    /// Sends `letter` and says what became of it. Never panics.
    async fn send(&self, letter: &Letter) -> Sent;
}

/// The direct message for `notification`, in the member's language.
pub fn letter(notification: &DirectNotification) -> Letter {
    let lang = Lang::from_api(notification.language).unwrap_or_default();
    let headline = excerpt(notification.headline.trim(), 1800);
    let button = notification.thread_id.as_ref().map(|thread| Button {
        custom_id: format!("{UNFOLLOW}{}", thread.inner()),
        label: say(lang, &Msg::UnfollowButton),
    });
    Letter {
        user: notification.discord_user_id.clone(),
        content: format!("**{headline}**\n{}", notification.url),
        button,
    }
}

/// `wait` in whole seconds, rounded up, at least one: what the API is told to wait.
fn whole_seconds(wait: Duration) -> i32 {
    let seconds = wait.as_secs_f64().ceil().max(1.0);
    if seconds >= f64::from(i32::MAX) { i32::MAX } else { seconds as i32 }
}

/// Takes direct messages from the API, sends them through a [`Courier`] and settles them.
pub struct Notifier<C> {
    api: Lkn,
    courier: C,
    /// Settlements the API did not take yet (it was unavailable), oldest first.
    unsettled: Vec<(cynic::Id, Settlement)>,
    /// Whether the last claim failed: an outage is logged once as a warning, not every tick.
    failing: bool,
}

impl<C: Courier> Notifier<C> {
    /// A notifier sending through `courier` what `api` hands it.
    pub fn new(api: Lkn, courier: C) -> Self {
        Self { api, courier, unsettled: Vec::new(), failing: false }
    }

    /// Delivers until the task is stopped: a round at once, then one after each pause.
    pub async fn run(mut self) {
        loop {
            let pause = self.round().await;
            tokio::time::sleep(pause).await;
        }
    }

    /// One round: settles what is left from before, takes a batch, sends and settles each
    /// message. Returns how long to wait before the next round: none when the batch was
    /// full (there is more), Discord's `retry_after` after a rate limit, [`TICK`] otherwise.
    pub async fn round(&mut self) -> Duration {
        if !self.settle_left_over().await {
            return TICK;
        }
        let batch = match self.api.claim_direct_notifications(BATCH).await {
            Ok(batch) => {
                if std::mem::take(&mut self.failing) {
                    tracing::info!("taking direct messages to send again");
                }
                batch
            }
            Err(error) => {
                if std::mem::replace(&mut self.failing, true) {
                    tracing::debug!(%error, "still cannot take direct messages to send");
                } else {
                    tracing::warn!(%error, "could not take direct messages to send; trying again every few seconds");
                }
                return TICK;
            }
        };
        let more = batch.len() >= BATCH as usize;
        let mut hold: Option<Duration> = None;
        for notification in &batch {
            let settlement = match hold {
                // Rate limited: the rest of the batch goes back untried.
                Some(wait) => Settlement::RetryLater { seconds: whole_seconds(wait) },
                None => match self.courier.send(&letter(notification)).await {
                    Sent::Delivered => Settlement::Delivered,
                    Sent::DmsClosed => Settlement::DmsClosed,
                    Sent::RateLimited(wait) => {
                        tracing::info!(?wait, "Discord asked the bot to wait before sending more direct messages");
                        hold = Some(wait);
                        Settlement::RetryLater { seconds: whole_seconds(wait) }
                    }
                    Sent::Failed(error) => {
                        tracing::warn!(%error, "a direct message could not be sent");
                        Settlement::Failed { error }
                    }
                },
            };
            self.settle(&notification.id, settlement).await;
        }
        match hold {
            Some(wait) => wait.max(TICK),
            None if more => Duration::ZERO,
            None => TICK,
        }
    }

    /// Records one settlement, keeping it for later if the API is unavailable.
    async fn settle(&mut self, id: &cynic::Id, settlement: Settlement) {
        if let Err(error) = self.api.settle_direct_notification(id, settlement.clone()).await {
            if matches!(error, ApiError::Unavailable(_)) {
                tracing::warn!(%error, id = id.inner(), "the API did not take a direct message's outcome; keeping it");
                self.unsettled.push((id.clone(), settlement));
            } else {
                tracing::warn!(%error, id = id.inner(), "the API refused a direct message's outcome");
            }
        }
    }

    /// Sends again the settlements the API did not take, oldest first, stopping (and keeping
    /// the rest) while it is still unavailable; whether none is left.
    async fn settle_left_over(&mut self) -> bool {
        while let Some((id, settlement)) = self.unsettled.first().cloned() {
            match self.api.settle_direct_notification(&id, settlement).await {
                Ok(_) => tracing::info!(id = id.inner(), "the API took a direct message's outcome kept for it"),
                Err(ApiError::Unavailable(_)) => return false,
                Err(error) => tracing::warn!(%error, id = id.inner(), "the API refused a direct message's outcome"),
            }
            self.unsettled.remove(0);
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use std::collections::VecDeque;
    use std::sync::{Arc, Mutex};

    use serde_json::{Value, json};

    use super::*;
    use crate::api::{Answer, Caller, Language, NotificationKind, Transport};

    fn notification(id: &str, language: Language, thread: Option<&str>) -> DirectNotification {
        DirectNotification {
            id: cynic::Id::new(id),
            discord_user_id: "500000000000000001".into(),
            language,
            headline: "Rhian replied to “Story time”".into(),
            url: "https://lkn.example/threads/VGhyZWFkOjE".into(),
            kind: NotificationKind::ReplyOnYourThread,
            thread_id: thread.map(cynic::Id::new),
        }
    }

    #[test]
    fn a_letter_is_the_headline_in_bold_the_link_and_an_unfollow_button_in_the_members_language() {
        let english = letter(&notification("RDox", Language::En, Some("VGhyZWFkOjE")));
        assert_eq!(english.user, "500000000000000001");
        assert_eq!(english.content, "**Rhian replied to “Story time”**\nhttps://lkn.example/threads/VGhyZWFkOjE");
        let button = english.button.expect("a thread is concerned");
        assert_eq!((button.custom_id.as_str(), button.label.as_str()), ("unfollow:VGhyZWFkOjE", "Unfollow"));
        let welsh = letter(&notification("RDoy", Language::Cy, Some("VGhyZWFkOjE")));
        assert_eq!(welsh.button.expect("a button").label, "Dad-ddilyn");
        assert_eq!(letter(&notification("RDoz", Language::En, None)).button, None, "no thread, nothing to unfollow");
    }

    #[test]
    fn the_api_is_told_to_wait_whole_seconds_rounded_up() {
        assert_eq!(whole_seconds(Duration::from_millis(300)), 1);
        assert_eq!(whole_seconds(Duration::from_millis(1001)), 2);
        assert_eq!(whole_seconds(Duration::from_secs(3)), 3);
        assert_eq!(whole_seconds(Duration::ZERO), 1);
    }

    /// The API as a script: claims hand out what is queued; every request is kept.
    #[derive(Default)]
    struct FakeApi {
        batches: Mutex<VecDeque<Vec<Value>>>,
        requests: Mutex<Vec<Value>>,
        down: Mutex<bool>,
    }

    impl FakeApi {
        fn settlements(&self) -> Vec<(String, String, Value)> {
            let requests = self.requests.lock().expect("not poisoned");
            requests
                .iter()
                .filter(|r| r["query"].as_str().is_some_and(|q| q.contains("settleDiscordNotification")))
                .map(|r| {
                    let input = &r["variables"]["input"];
                    let id = input["id"].as_str().unwrap_or_default().to_owned();
                    (id, input["outcome"].as_str().unwrap_or_default().to_owned(), input["retryAfterSeconds"].clone())
                })
                .collect()
        }
    }

    #[async_trait]
    impl Transport for FakeApi {
        async fn send(&self, _caller: &Caller, body: String) -> Result<Answer, ApiError> {
            let request: Value = serde_json::from_str(&body).expect("JSON");
            let query = request["query"].as_str().unwrap_or_default().to_owned();
            if *self.down.lock().expect("not poisoned") {
                return Err(ApiError::Unavailable("connection refused".into()));
            }
            self.requests.lock().expect("not poisoned").push(request);
            let data = if query.contains("claimDiscordNotifications") {
                let batch = self.batches.lock().expect("not poisoned").pop_front().unwrap_or_default();
                json!({ "claimDiscordNotifications": batch })
            } else {
                json!({ "settleDiscordNotification": { "settled": true, "userErrors": [] } })
            };
            Ok(Answer { status: 200, body: json!({ "data": data }).to_string() })
        }
    }

    fn wire(id: &str) -> Value {
        json!({ "id": id, "discordUserId": "500000000000000001", "language": "EN", "headline": "News",
            "url": "https://lkn.example/n", "kind": "REPLY_ON_YOUR_THREAD", "threadId": "VGhyZWFkOjE" })
    }

    /// Discord as a script: each send gets the next answer (delivered when none is left).
    #[derive(Default, Clone)]
    struct FakeDiscord {
        answers: Arc<Mutex<VecDeque<Sent>>>,
        sent: Arc<Mutex<Vec<Letter>>>,
        /// An API that goes down at the next send.
        takes_down: Arc<Mutex<Option<Arc<FakeApi>>>>,
    }

    #[async_trait]
    impl Courier for FakeDiscord {
        async fn send(&self, letter: &Letter) -> Sent {
            self.sent.lock().expect("not poisoned").push(letter.clone());
            if let Some(api) = self.takes_down.lock().expect("not poisoned").take() {
                *api.down.lock().expect("not poisoned") = true;
            }
            self.answers.lock().expect("not poisoned").pop_front().unwrap_or(Sent::Delivered)
        }
    }

    fn notifier(batches: Vec<Vec<Value>>, answers: Vec<Sent>) -> (Notifier<FakeDiscord>, Arc<FakeApi>, FakeDiscord) {
        let api = Arc::new(FakeApi { batches: Mutex::new(batches.into()), ..FakeApi::default() });
        let discord = FakeDiscord { answers: Arc::new(Mutex::new(answers.into())), ..FakeDiscord::default() };
        (Notifier::new(Lkn::new(api.clone()), discord.clone()), api, discord)
    }

    #[tokio::test]
    async fn each_message_is_settled_as_discord_answered() {
        let batch = vec![wire("A"), wire("B"), wire("C")];
        let answers = vec![Sent::Delivered, Sent::DmsClosed, Sent::Failed("HTTP 500".into())];
        let (mut notifier, api, discord) = notifier(vec![batch], answers);
        assert_eq!(notifier.round().await, TICK);
        assert_eq!(discord.sent.lock().expect("not poisoned").len(), 3);
        let outcomes: Vec<(String, String)> = api.settlements().into_iter().map(|(id, o, _)| (id, o)).collect();
        let expected = [("A", "DELIVERED"), ("B", "DMS_CLOSED"), ("C", "FAILED")];
        assert_eq!(outcomes, expected.map(|(id, o)| (id.to_owned(), o.to_owned())));
    }

    #[tokio::test]
    async fn a_rate_limit_puts_the_rest_of_the_batch_back_untried_and_holds_the_bot() {
        let batch = vec![wire("A"), wire("B"), wire("C")];
        let (mut notifier, api, discord) =
            notifier(vec![batch], vec![Sent::Delivered, Sent::RateLimited(Duration::from_millis(4500))]);
        assert_eq!(notifier.round().await, Duration::from_millis(4500), "nothing is sent for that long");
        assert_eq!(discord.sent.lock().expect("not poisoned").len(), 2, "C is not tried");
        let settled = api.settlements();
        assert_eq!(settled[0].1, "DELIVERED");
        for (id, outcome, seconds) in &settled[1..] {
            assert_eq!((outcome.as_str(), seconds), ("RETRY_LATER", &json!(5)), "{id}: retry_after rounded up");
        }
        assert_eq!(settled.len(), 3, "nothing is dropped");
    }

    #[tokio::test]
    async fn a_full_batch_is_followed_by_the_next_at_once() {
        let batch: Vec<Value> = (0..BATCH).map(|n| wire(&format!("N{n}"))).collect();
        let (mut notifier, _, _) = notifier(vec![batch], vec![]);
        assert_eq!(notifier.round().await, Duration::ZERO);
        assert_eq!(notifier.round().await, TICK, "an empty batch: wait for the next tick");
    }

    #[tokio::test]
    async fn an_outcome_the_api_could_not_take_is_sent_again_before_anything_new_is_taken() {
        let (mut notifier, api, discord) = notifier(vec![vec![wire("A")], vec![wire("B")]], vec![]);
        // The API goes down once Discord has A, before A's outcome reaches it.
        *discord.takes_down.lock().expect("not poisoned") = Some(api.clone());
        assert_eq!(notifier.round().await, TICK);
        assert_eq!(notifier.unsettled.len(), 1, "A's outcome is kept");
        assert_eq!(notifier.round().await, TICK, "still down: nothing new is taken");
        *api.down.lock().expect("not poisoned") = false;
        assert_eq!(notifier.round().await, TICK);
        let settled: Vec<String> =
            api.settlements().into_iter().map(|(id, outcome, _)| format!("{id} {outcome}")).collect();
        assert_eq!(settled, ["A DELIVERED", "B DELIVERED"], "A is settled first, once");
        assert_eq!(discord.sent.lock().expect("not poisoned").len(), 2, "A is not sent again");
    }
}
