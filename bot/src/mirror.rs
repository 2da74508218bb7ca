//! Threads, replies, answers and collaborations, mirrored into Discord.
//!
//! Every thread gets one post in the forum channel, every reply posted through the API
//! a message in that post, an accepted answer marks the post solved, and collaboration
//! proposals and status changes are announced. Each mirror is claimed in the API
//! before it is posted and completed after (see `claimDiscordMirror`), so a restarted
//! bot or a second bot process never posts anything twice. Replies written in Discord
//! are recorded with their message, so they are never mirrored back.
//!
//! Posting and recording are two calls to two services, and the second can fail after
//! the first succeeded. A mirror that is on Discord but not yet recorded is kept in
//! memory by its key: this process never claims or posts it again, and records it with
//! growing pauses until the API takes it. (Were it forgotten, its claim would lapse and
//! the next event about it would post it a second time.)

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, SystemTime};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use tokio::time::Instant;

use crate::api::{
    ApiError, Caller, CollaborationChangeKind, CollaborationStatus, CollaborationView, Lkn, MirrorKey, ReplyView,
    ThreadFeed, ThreadFilter, ThreadStatus, ThreadSummary,
};
use crate::catalogue::{self, Lang, Msg, say};
use crate::live::LiveEvent;
use crate::render::excerpt;

/// Where mirrors go: the Discord side, behind a trait so that the mirroring rules
/// know no Discord types.
#[async_trait]
pub trait Sink: Send + Sync {
    /// Creates a forum post; returns its channel id and its first message's id.
    async fn forum_post(&self, title: &str, content: &str, tags: &[String]) -> anyhow::Result<(String, String)>;
    /// Posts a message in a channel; returns its id.
    async fn message(&self, channel_id: &str, content: &str) -> anyhow::Result<String>;
    /// Marks a forum post solved: the solved tag and a ✅ before its title.
    async fn mark_solved(&self, channel_id: &str, title: &str) -> anyhow::Result<()>;
    /// Announces in the announcement channel, with a "request to join" button for the
    /// collaboration when given; returns the channel and message ids.
    async fn announce(&self, content: &str, join: Option<(&str, &str)>) -> anyhow::Result<(String, String)>;
}

/// Mirrors what the API reports into a [`Sink`].
pub struct Mirror<S> {
    api: Lkn,
    sink: S,
    lang: Lang,
    catch_up: Duration,
    /// What is on Discord but not yet recorded in the API, by mirror key.
    unrecorded: Mutex<HashMap<MirrorKey, Unrecorded>>,
}

/// A mirror posted to Discord whose record the API has not taken yet.
#[derive(Debug)]
struct Unrecorded {
    channel: String,
    message: String,
    /// Failed attempts to record it.
    attempts: u32,
    /// When to try again.
    due: Instant,
}

/// Whether this process should post a mirror now.
enum Claim {
    /// Post it, then settle it.
    Won,
    /// Do not: it is posted (in this channel, once known) or another process is posting it.
    Lost(Option<String>),
}

/// The pause before recording again after `attempts` failures: a quarter of a second,
/// doubling, at most half a minute (well inside a claim's two minutes while the API
/// answers at all).
fn retry_after(attempts: u32) -> Duration {
    Duration::from_millis(250).saturating_mul(1 << attempts.saturating_sub(1).min(7)).min(Duration::from_secs(30))
}

fn after(timestamp: &DateTime<Utc>, since: SystemTime) -> bool {
    *timestamp >= DateTime::<Utc>::from(since)
}

impl<S: Sink> Mirror<S> {
    /// A mirror speaking `lang` in shared channels; at start it catches up on the last
    /// `catch_up` of activity.
    pub fn new(api: Lkn, sink: S, lang: Lang, catch_up: Duration) -> Self {
        Self { api, sink, lang, catch_up, unrecorded: Mutex::default() }
    }

    /// Mirrors every event until the stream ends, recording what was posted but not
    /// recorded whenever it is due.
    pub async fn run(&self, mut events: tokio::sync::mpsc::Receiver<LiveEvent>) {
        loop {
            let next_retry = self.unrecorded().values().map(|u| u.due).min();
            let event = tokio::select! {
                event = events.recv() => event,
                () = until(next_retry) => {
                    self.record_due(Instant::now()).await;
                    continue;
                }
            };
            let Some(event) = event else { break };
            if let Err(error) = self.handle(event).await {
                tracing::warn!(error = format!("{error:#}"), "could not mirror an event");
            }
        }
        let left: Vec<String> = self.unrecorded().keys().map(MirrorKey::to_string).collect();
        if !left.is_empty() {
            tracing::error!(?left, "stopped with mirrors posted but not recorded; they may be posted again");
        }
    }

    fn unrecorded(&self) -> MutexGuard<'_, HashMap<MirrorKey, Unrecorded>> {
        self.unrecorded.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Records every unrecorded mirror due by `now`; what the API still refuses is tried
    /// again later.
    async fn record_due(&self, now: Instant) {
        let due: Vec<(MirrorKey, String, String)> = self
            .unrecorded()
            .iter()
            .filter(|(_, u)| u.due <= now)
            .map(|(key, u)| (key.clone(), u.channel.clone(), u.message.clone()))
            .collect();
        for (key, channel, message) in due {
            match self.api.complete_mirror(&key, &channel, &message).await {
                Ok(()) => {
                    self.unrecorded().remove(&key);
                    tracing::info!(%key, "recorded a mirror posted earlier");
                }
                Err(error) => {
                    let mut unrecorded = self.unrecorded();
                    if let Some(entry) = unrecorded.get_mut(&key) {
                        entry.attempts += 1;
                        entry.due = Instant::now() + retry_after(entry.attempts);
                        tracing::warn!(%error, %key, attempts = entry.attempts, "still cannot record a posted mirror");
                    }
                }
            }
        }
    }

    /// Claims `key` unless this process has posted it already; see [`Claim`].
    async fn claim(&self, key: &MirrorKey) -> anyhow::Result<Claim> {
        let posted_here = self.unrecorded().get(key).map(|posted| posted.channel.clone());
        if posted_here.is_some() {
            return Ok(Claim::Lost(posted_here));
        }
        let (claimed, mirror) = self.api.claim_mirror(key).await?;
        Ok(if claimed { Claim::Won } else { Claim::Lost(mirror.and_then(|m| m.channel_id)) })
    }

    /// Mirrors one event.
    pub async fn handle(&self, event: LiveEvent) -> anyhow::Result<()> {
        match event {
            LiveEvent::Connected { missed_since } => {
                let since = missed_since.unwrap_or_else(|| SystemTime::now() - self.catch_up);
                self.catch_up(since - Duration::from_secs(5)).await
            }
            LiveEvent::ThreadPosted(thread) => self.thread(&thread).await.map(drop),
            LiveEvent::ReplyPosted(posted) => match &posted.thread {
                Some(thread) => self.reply(thread, &posted.reply).await,
                None => Ok(()),
            },
            LiveEvent::AnswerAccepted(accepted) => match &accepted.thread {
                Some(thread) => self.solved(thread).await,
                None => Ok(()),
            },
            LiveEvent::CollaborationChanged { change, collaboration } => {
                self.collaboration(change, &collaboration).await
            }
        }
    }

    /// Mirrors what happened since `since`: threads active since then with their new
    /// replies and answers, and collaborations changed since then.
    pub async fn catch_up(&self, since: SystemTime) -> anyhow::Result<()> {
        let mut after_cursor: Option<String> = None;
        'pages: loop {
            let (threads, next) = self
                .api
                .threads(&Caller::Bot, 50, after_cursor.as_deref(), ThreadFeed::RecentlyActive, ThreadFilter::default())
                .await?;
            for thread in &threads {
                if !after(&thread.last_activity_at, since) {
                    break 'pages;
                }
                self.thread(thread).await?;
                if thread.reply_count > 0 {
                    for reply in self.api.replies(&Caller::Bot, thread.id.inner()).await? {
                        if after(&reply.created_at, since) {
                            self.reply(thread, &reply).await?;
                        }
                    }
                }
                if thread.status == ThreadStatus::Answered {
                    self.solved(thread).await?;
                }
            }
            match next {
                Some(cursor) => after_cursor = Some(cursor),
                None => break,
            }
        }
        for collaboration in self.api.collaborations(&Caller::Bot, None).await? {
            if after(&collaboration.updated_at, since) {
                let change = if collaboration.status == CollaborationStatus::Proposed {
                    CollaborationChangeKind::Proposed
                } else {
                    CollaborationChangeKind::StatusAdvanced
                };
                self.collaboration(change, &collaboration).await?;
            }
        }
        Ok(())
    }

    /// The forum post of `thread`, posting it if this process wins the claim. Returns
    /// the post's channel id once it exists.
    async fn thread(&self, thread: &ThreadSummary) -> anyhow::Result<Option<String>> {
        let key = MirrorKey::thread(thread.id.inner());
        if let Claim::Lost(channel) = self.claim(&key).await? {
            return Ok(channel);
        }
        let body = self.api.thread(&Caller::Bot, thread.id.inner()).await?.map(|t| t.body).unwrap_or_default();
        let author = thread.author.as_ref().map_or("?", |a| a.display_name.as_str());
        let partner = thread.partner.as_ref().map_or("", |p| p.name.as_str());
        let content = format!(
            "**{}** · {} {author}, {partner}\n\n{}\n\n`{}`",
            catalogue::thread_kind(self.lang, thread.kind),
            say(self.lang, &Msg::By),
            excerpt(&body, 1700),
            thread.id.inner()
        );
        let mut tags = thread.tags.clone();
        tags.push(catalogue::thread_kind(Lang::En, thread.kind).to_lowercase());
        let posted = self.sink.forum_post(&excerpt(&thread.title, 100), &content, &tags).await;
        Ok(Some(self.settle(&key, posted).await?))
    }

    /// Records where the mirror of `key` was posted and returns its channel (keeping it
    /// to record later if the API does not take it now); if posting failed, gives the
    /// claim up so that the next attempt (by any process) posts it.
    async fn settle(&self, key: &MirrorKey, posted: anyhow::Result<(String, String)>) -> anyhow::Result<String> {
        match posted {
            Ok((channel, message)) => {
                if let Err(error) = self.api.complete_mirror(key, &channel, &message).await {
                    tracing::warn!(%error, %key, "posted, but the API did not record it; recording it again shortly");
                    let due = Instant::now() + retry_after(1);
                    let entry = Unrecorded { channel: channel.clone(), message, attempts: 1, due };
                    self.unrecorded().insert(key.clone(), entry);
                }
                Ok(channel)
            }
            Err(error) => {
                if let Err(release) = self.api.release_mirror(key).await {
                    tracing::warn!(%release, %key, "could not give up a failed claim; it lapses in two minutes");
                }
                Err(error)
            }
        }
    }

    /// The post of a thread once it exists, waiting briefly for another process that
    /// holds the claim.
    async fn post_of(&self, thread: &ThreadSummary) -> anyhow::Result<Option<String>> {
        for _ in 0..20 {
            if let Some(channel) = self.thread(thread).await? {
                return Ok(Some(channel));
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
        Ok(None)
    }

    async fn reply(&self, thread: &ThreadSummary, reply: &ReplyView) -> anyhow::Result<()> {
        let key = MirrorKey::reply(reply.id.inner());
        let posted_here = self.unrecorded().contains_key(&key);
        if posted_here || self.api.mirror(&key).await?.is_some() {
            return Ok(());
        }
        let Some(post) = self.post_of(thread).await? else {
            anyhow::bail!("the post of thread {} is not there yet", thread.id.inner())
        };
        if let Claim::Lost(_) = self.claim(&key).await? {
            return Ok(());
        }
        let author = reply.author.as_ref().map_or("?", |a| a.display_name.as_str());
        let posted = self.sink.message(&post, &format!("**{author}:** {}", excerpt(&reply.body, 1900))).await;
        self.settle(&key, posted.map(|message| (post.clone(), message))).await.map(drop)
    }

    async fn solved(&self, thread: &ThreadSummary) -> anyhow::Result<()> {
        let Some(post) = self.post_of(thread).await? else { return Ok(()) };
        let key = MirrorKey::solved(thread.id.inner());
        if let Claim::Won = self.claim(&key).await? {
            let marked = self.sink.mark_solved(&post, &excerpt(&format!("✅ {}", thread.title), 100)).await;
            self.settle(&key, marked.map(|()| (post.clone(), post.clone()))).await?;
        }
        Ok(())
    }

    /// Announces a proposal or a status change (other changes are not announced).
    async fn collaboration(
        &self,
        change: CollaborationChangeKind,
        collaboration: &CollaborationView,
    ) -> anyhow::Result<()> {
        let id = collaboration.id.inner();
        let (key, heading) = match change {
            CollaborationChangeKind::Proposed => {
                (MirrorKey::collaboration(id, CollaborationStatus::Proposed), Msg::AnnounceProposed)
            }
            CollaborationChangeKind::StatusAdvanced => {
                (MirrorKey::collaboration(id, collaboration.status), Msg::AnnounceStatus)
            }
            CollaborationChangeKind::JoinRequested
            | CollaborationChangeKind::JoinDecided
            | CollaborationChangeKind::OutcomeRecorded => return Ok(()),
        };
        if let Claim::Lost(_) = self.claim(&key).await? {
            return Ok(());
        }
        let content = format!(
            "**{}:** {}",
            say(self.lang, &heading),
            crate::render::collaboration_text(self.lang, collaboration)
        );
        let open = matches!(collaboration.status, CollaborationStatus::Proposed | CollaborationStatus::SeekingPartners);
        let custom_id = format!("lkn-join:{id}");
        let label = say(self.lang, &Msg::RequestToJoin);
        let join = open.then_some((custom_id.as_str(), label.as_str()));
        let posted = self.sink.announce(&excerpt(&content, 1900), join).await;
        self.settle(&key, posted).await.map(drop)
    }
}

/// Resolves at `due`, or never when nothing is due.
async fn until(due: Option<Instant>) {
    match due {
        Some(due) => tokio::time::sleep_until(due).await,
        None => std::future::pending().await,
    }
}

/// Turns a Discord message written in a mirrored post into a reply, as its linked
/// author. Returns false when the channel is not a mirrored post.
pub async fn reply_from_discord(
    api: &Lkn,
    channel_id: &str,
    message_id: &str,
    author_id: &str,
    content: &str,
) -> Result<bool, ApiError> {
    let Some(mirror) = api.thread_mirror(channel_id).await? else { return Ok(false) };
    let Some(thread_id) = mirror.key.thread_id() else { return Ok(false) };
    let key = format!("discord-message:{message_id}");
    api.reply(&Caller::Discord(author_id.to_owned()), thread_id, content, &key, Some((channel_id, message_id))).await?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use std::collections::{HashMap, HashSet};
    use std::sync::{Arc, Mutex};
    use std::time::Duration;

    use async_trait::async_trait;
    use serde_json::{Value, json};
    use tokio::time::Instant;

    use super::{Mirror, Sink};
    use crate::api::{
        Answer, ApiError, Caller, CollaborationChangeKind, CollaborationKind, CollaborationStatus, CollaborationView,
        Lkn, ReplyInThread, ReplyView, ThreadKind, ThreadStatus, ThreadSummary, Transport,
    };
    use crate::catalogue::Lang;
    use crate::live::LiveEvent;

    /// An API whose claims lapse at once (as if every event came two minutes after the
    /// last) and which fails the first record of every key.
    #[derive(Default)]
    struct ForgetfulApi {
        /// Key → (channel, message) once recorded, `None` while only claimed.
        mirrors: Mutex<HashMap<String, Option<(String, String)>>>,
        refused: Mutex<HashSet<String>>,
    }

    impl ForgetfulApi {
        fn recorded(&self) -> usize {
            self.mirrors.lock().expect("not poisoned").values().filter(|m| m.is_some()).count()
        }
    }

    fn mirror_json(key: &str, recorded: Option<&(String, String)>) -> Value {
        json!({ "key": key, "channelId": recorded.map(|r| &r.0), "messageId": recorded.map(|r| &r.1),
            "completed": recorded.is_some() })
    }

    #[async_trait]
    impl Transport for ForgetfulApi {
        async fn send(&self, _caller: &Caller, body: String) -> Result<Answer, ApiError> {
            let request: Value = serde_json::from_str(&body).map_err(|e| ApiError::BadRequest(e.to_string()))?;
            let document = request["query"].as_str().unwrap_or_default();
            let data = self.data(document, &request["variables"])?;
            Ok(Answer { status: 200, body: json!({ "data": data }).to_string() })
        }
    }

    impl ForgetfulApi {
        /// The `data` of the answer to `document`.
        fn data(&self, document: &str, variables: &Value) -> Result<Value, ApiError> {
            let input = &variables["input"];
            let key = input["key"].as_str().or(variables["key"].as_str()).unwrap_or_default().to_owned();
            let mut mirrors = self.mirrors.lock().expect("not poisoned");
            if document.contains("claimDiscordMirror") {
                let recorded = mirrors.entry(key.clone()).or_default().clone();
                let mirror = mirror_json(&key, recorded.as_ref());
                return Ok(json!({ "claimDiscordMirror": {
                    "claimed": recorded.is_none(), "mirror": mirror, "userErrors": [] } }));
            }
            if document.contains("completeDiscordMirror") {
                if self.refused.lock().expect("not poisoned").insert(key.clone()) {
                    return Err(ApiError::Unavailable("the database is unavailable".into()));
                }
                let text = |field: &str| input[field].as_str().unwrap_or_default().to_owned();
                mirrors.insert(key.clone(), Some((text("channelId"), text("messageId"))));
                return Ok(json!({ "completeDiscordMirror": { "mirror": { "key": key }, "userErrors": [] } }));
            }
            if document.contains("discordMirror(") {
                let mirror = mirrors.get(&key).map(|recorded| mirror_json(&key, recorded.as_ref()));
                return Ok(json!({ "discordMirror": mirror }));
            }
            if document.contains("thread(id:") {
                return Ok(json!({ "thread": { "id": variables["id"], "title": "Seed libraries", "kind": "QUESTION",
                    "status": "OPEN", "tags": [], "replyCount": 1, "lastActivityAt": "2026-11-01T12:00:00Z",
                    "author": null, "partner": null, "body": "How?", "replies": { "nodes": [] } } }));
            }
            Err(ApiError::BadRequest(format!("the fake API does not know {document}")))
        }
    }

    /// Keeps what was posted: "post", "message" or "announcement".
    #[derive(Clone, Default)]
    struct CountingSink(Arc<Mutex<Vec<&'static str>>>);

    impl CountingSink {
        fn post(&self, what: &'static str) -> String {
            let mut posted = self.0.lock().expect("not poisoned");
            posted.push(what);
            (1000 + posted.len()).to_string()
        }

        fn count(&self, what: &str) -> usize {
            self.0.lock().expect("not poisoned").iter().filter(|posted| **posted == what).count()
        }
    }

    #[async_trait]
    impl Sink for CountingSink {
        async fn forum_post(&self, _: &str, _: &str, _: &[String]) -> anyhow::Result<(String, String)> {
            let id = self.post("post");
            Ok((id.clone(), id))
        }
        async fn message(&self, _: &str, _: &str) -> anyhow::Result<String> {
            Ok(self.post("message"))
        }
        async fn mark_solved(&self, _: &str, _: &str) -> anyhow::Result<()> {
            anyhow::bail!("not used")
        }
        async fn announce(&self, _: &str, _: Option<(&str, &str)>) -> anyhow::Result<(String, String)> {
            Ok(("2000".to_owned(), self.post("announcement")))
        }
    }

    fn events() -> [LiveEvent; 3] {
        let at = "2026-11-01T12:00:00Z".parse().expect("a moment");
        let thread = ThreadSummary {
            id: "VGhyZWFkOjE=".into(),
            title: "Seed libraries".into(),
            kind: ThreadKind::Question,
            status: ThreadStatus::Open,
            tags: vec![],
            reply_count: 1,
            author: None,
            partner: None,
            last_activity_at: at,
        };
        let reply = ReplyView {
            id: "UmVwbHk6MQ==".into(),
            body: "Try a seed swap.".into(),
            is_accepted: false,
            author: None,
            created_at: at,
        };
        let collaboration = CollaborationView {
            id: "Q29sbGFib3JhdGlvbjox".into(),
            title: "Seed swap week".into(),
            kind: CollaborationKind::Programme,
            status: CollaborationStatus::Proposed,
            summary: "Seeds.".into(),
            version: 1,
            lead_partner: None,
            participants: vec![],
            updated_at: at,
        };
        [
            LiveEvent::ThreadPosted(thread.clone()),
            LiveEvent::ReplyPosted(ReplyInThread { reply, thread: Some(thread) }),
            LiveEvent::CollaborationChanged { change: CollaborationChangeKind::Proposed, collaboration },
        ]
    }

    #[tokio::test]
    async fn a_post_the_api_did_not_record_is_never_posted_again() {
        let api = Arc::new(ForgetfulApi::default());
        let sink = CountingSink::default();
        let mirror = Mirror::new(Lkn::new(api.clone()), sink.clone(), Lang::En, Duration::from_secs(60));
        for _ in 0..3 {
            for event in events() {
                mirror.handle(event).await.expect("mirrored");
            }
        }
        let counts = || (sink.count("post"), sink.count("message"), sink.count("announcement"));
        assert_eq!(counts(), (1, 1, 1), "each posted once");
        assert_eq!(api.recorded(), 0, "no record taken yet");

        mirror.record_due(Instant::now() + Duration::from_secs(60)).await;
        assert_eq!(api.recorded(), 3, "recorded on the retry");
        for event in events() {
            mirror.handle(event).await.expect("mirrored");
        }
        assert_eq!(counts(), (1, 1, 1), "still posted once");
    }
}
