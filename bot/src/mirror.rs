//! Threads, replies, answers and collaborations, mirrored into Discord.
//!
//! Every thread gets one post in the forum channel, every reply posted through the API
//! a message in that post, an accepted answer marks the post solved, and collaboration
//! proposals and status changes are announced. Each mirror is claimed in the API
//! before it is posted and completed after (see `claimDiscordMirror`), so a restarted
//! bot or a second bot process never posts anything twice. Replies written in Discord
//! are recorded with their message, so they are never mirrored back.

use std::time::{Duration, SystemTime};

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::api::{ApiError, Caller, CollaborationStatus, CollaborationView, Lkn, ReplyView, ThreadSummary};
use crate::catalogue::{self, Lang, Msg, say};
use crate::core::excerpt;
use crate::live::LiveEvent;

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
}

fn thread_key(id: &str) -> String {
    format!("thread:{id}")
}

/// The mirror key of a reply: the same as the API's (`reply:<reply id>`).
fn reply_key(id: &str) -> String {
    format!("reply:{id}")
}

fn after(timestamp: &str, since: SystemTime) -> bool {
    DateTime::parse_from_rfc3339(timestamp).map_or(true, |t| t.with_timezone(&Utc) >= DateTime::<Utc>::from(since))
}

impl<S: Sink> Mirror<S> {
    /// A mirror speaking `lang` in shared channels; at start it catches up on the last
    /// `catch_up` of activity.
    pub fn new(api: Lkn, sink: S, lang: Lang, catch_up: Duration) -> Self {
        Self { api, sink, lang, catch_up }
    }

    /// Mirrors every event until the stream ends.
    pub async fn run(&self, mut events: tokio::sync::mpsc::Receiver<LiveEvent>) {
        while let Some(event) = events.recv().await {
            if let Err(error) = self.handle(event).await {
                tracing::warn!(error = format!("{error:#}"), "could not mirror an event");
            }
        }
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
                self.collaboration(&change, &collaboration).await
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
                .threads(&Caller::Bot, 50, after_cursor.as_deref(), "RECENTLY_ACTIVE", serde_json::json!({}))
                .await?;
            for thread in &threads {
                if !after(&thread.last_activity_at, since) {
                    break 'pages;
                }
                self.thread(thread).await?;
                if thread.reply_count > 0 {
                    for reply in self.api.replies(&Caller::Bot, &thread.id).await? {
                        if after(&reply.created_at, since) {
                            self.reply(thread, &reply).await?;
                        }
                    }
                }
                if thread.status == crate::api::ThreadStatus::Answered {
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
                let change =
                    if collaboration.status == CollaborationStatus::Proposed { "PROPOSED" } else { "STATUS_ADVANCED" };
                self.collaboration(change, &collaboration).await?;
            }
        }
        Ok(())
    }

    /// The forum post of `thread`, posting it if this process wins the claim. Returns
    /// the post's channel id once it exists.
    async fn thread(&self, thread: &ThreadSummary) -> anyhow::Result<Option<String>> {
        let key = thread_key(&thread.id);
        let (claimed, mirror) = self.api.claim_mirror(&key).await?;
        if !claimed {
            return Ok(mirror.and_then(|m| m.channel_id));
        }
        let body = self.api.thread(&Caller::Bot, &thread.id).await?.map(|t| t.body).unwrap_or_default();
        let author = thread.author.as_ref().map_or("?", |a| a.name.as_str());
        let partner = thread.partner.as_ref().map_or("", |p| p.name.as_str());
        let content = format!(
            "**{}** · {} {author}, {partner}\n\n{}\n\n`{}`",
            catalogue::thread_kind(self.lang, thread.kind),
            say(self.lang, &Msg::By),
            excerpt(&body, 1700),
            thread.id
        );
        let mut tags = thread.tags.clone();
        tags.push(catalogue::thread_kind(Lang::En, thread.kind).to_lowercase());
        let posted = self.sink.forum_post(&excerpt(&thread.title, 100), &content, &tags).await;
        Ok(Some(self.settle(&key, posted).await?))
    }

    /// Records where the mirror of `key` was posted and returns its channel; if posting
    /// failed, gives the claim up so that the next attempt (by any process) posts it.
    async fn settle(&self, key: &str, posted: anyhow::Result<(String, String)>) -> anyhow::Result<String> {
        match posted {
            Ok((channel, message)) => {
                self.api.complete_mirror(key, &channel, &message).await?;
                Ok(channel)
            }
            Err(error) => {
                if let Err(release) = self.api.release_mirror(key).await {
                    tracing::warn!(%release, key, "could not give up a failed claim; it lapses in two minutes");
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
        let key = reply_key(&reply.id);
        if self.api.mirror(&key).await?.is_some() {
            return Ok(());
        }
        let Some(post) = self.post_of(thread).await? else {
            anyhow::bail!("the post of thread {} is not there yet", thread.id)
        };
        let (claimed, _) = self.api.claim_mirror(&key).await?;
        if !claimed {
            return Ok(());
        }
        let author = reply.author.as_ref().map_or("?", |a| a.name.as_str());
        let posted = self.sink.message(&post, &format!("**{author}:** {}", excerpt(&reply.body, 1900))).await;
        self.settle(&key, posted.map(|message| (post.clone(), message))).await.map(drop)
    }

    async fn solved(&self, thread: &ThreadSummary) -> anyhow::Result<()> {
        let Some(post) = self.post_of(thread).await? else { return Ok(()) };
        let key = format!("solved:{}", thread.id);
        let (claimed, _) = self.api.claim_mirror(&key).await?;
        if claimed {
            let marked = self.sink.mark_solved(&post, &excerpt(&format!("✅ {}", thread.title), 100)).await;
            self.settle(&key, marked.map(|()| (post.clone(), post.clone()))).await?;
        }
        Ok(())
    }

    async fn collaboration(&self, change: &str, collaboration: &CollaborationView) -> anyhow::Result<()> {
        let (key, heading) = match change {
            "PROPOSED" => (format!("collaboration:{}:PROPOSED", collaboration.id), Msg::AnnounceProposed),
            "STATUS_ADVANCED" => {
                let status = serde_json::to_value(collaboration.status)?;
                (format!("collaboration:{}:{}", collaboration.id, status.as_str().unwrap_or("?")), Msg::AnnounceStatus)
            }
            _ => return Ok(()),
        };
        let (claimed, _) = self.api.claim_mirror(&key).await?;
        if !claimed {
            return Ok(());
        }
        let content =
            format!("**{}:** {}", say(self.lang, &heading), crate::core::collaboration_text(self.lang, collaboration));
        let open = matches!(collaboration.status, CollaborationStatus::Proposed | CollaborationStatus::SeekingPartners);
        let custom_id = format!("lkn-join:{}", collaboration.id);
        let label = say(self.lang, &Msg::RequestToJoin);
        let join = open.then_some((custom_id.as_str(), label.as_str()));
        let posted = self.sink.announce(&excerpt(&content, 1900), join).await;
        self.settle(&key, posted).await.map(drop)
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
    let Some(thread_id) = mirror.key.strip_prefix("thread:") else { return Ok(false) };
    let key = format!("discord-message:{message_id}");
    api.reply(&Caller::Discord(author_id.to_owned()), thread_id, content, &key, Some((channel_id, message_id))).await?;
    Ok(true)
}
