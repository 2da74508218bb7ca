//! Live updates as GraphQL subscriptions: `threadPosted`, `replyPosted`,
//! `answerAccepted`, `collaborationChanged` and `notificationReceived`.
//!
//! Each subscriber turns the process's events into objects with its own viewer, so a
//! subscriber only ever hears of what it may see. Whether the viewer's access still
//! holds is the socket's to check (see `ws`), once per socket rather than once per event
//! and subscription. A subscriber that falls more than
//! `events::SUBSCRIBER_BUFFER` events behind is told so and its subscription ends,
//! rather than the server buffering without bound.

use async_graphql::{Context, Enum, ID, SimpleObject, Subscription};
use futures_util::{Stream, StreamExt};
use tokio::sync::broadcast::error::RecvError;

use crate::error::ServiceError;
use crate::events::{CollaborationChange as Change, Event};
use crate::graphql::collaborations::{Collaboration, CollaborationFilter};
use crate::graphql::ids::{self, NodeType};
use crate::graphql::notifications::Notification;
use crate::graphql::threads::{Reply, Thread, ThreadFilter};
use crate::graphql::{db, request};
use crate::service::{collaborations, notifications, threads};

/// What happened to a collaboration.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "Change")]
pub enum CollaborationChangeKind {
    /// It was proposed.
    Proposed,
    /// A partner asked to join.
    JoinRequested,
    /// A request to join was decided.
    JoinDecided,
    /// Its status moved along the workflow.
    StatusAdvanced,
    /// An outcome was recorded.
    OutcomeRecorded,
}

/// A change to a collaboration, with the collaboration as it is now.
#[derive(SimpleObject)]
pub struct CollaborationChanged {
    /// What happened.
    pub change: CollaborationChangeKind,
    /// The collaboration after the change.
    pub collaboration: Collaboration,
}

/// How many notification ids a `notificationReceived` subscriber remembers sending.
const RECENTLY_SENT: usize = 256;

/// Why a subscriber's stream ends early.
fn ended(reason: &str) -> async_graphql::Error {
    ServiceError::BadRequest(reason.to_owned()).into_graphql()
}

/// Turns the bus into a stream of what `accept` makes of each event for this subscriber.
/// The stream ends after telling the subscriber it lagged.
fn events<'a, T, F, Fut>(ctx: &Context<'a>, accept: F) -> impl Stream<Item = async_graphql::Result<T>> + 'a
where
    T: Send + 'a,
    F: Fn(Event) -> Fut + Send + Sync + 'a,
    Fut: std::future::Future<Output = async_graphql::Result<Option<T>>> + Send + 'a,
{
    let context = request(ctx).ok();
    let mut receiver = context.map(|c| c.events.subscribe());
    let metrics = ctx.data::<std::sync::Arc<crate::metrics::Metrics>>().ok().cloned();
    async_stream::stream! {
        let Some(receiver) = receiver.as_mut() else {
            yield Err(ServiceError::Internal("subscription context missing".into()).into_graphql());
            return;
        };
        let _gauge = metrics.map(ActiveSubscription::new);
        loop {
            let event = match receiver.recv().await {
                Ok(event) => event,
                Err(RecvError::Lagged(missed)) => {
                    yield Err(ended(&format!("you fell {missed} events behind; subscribe again and catch up with a query")));
                    return;
                }
                Err(RecvError::Closed) => return,
            };
            match accept(event).await {
                Ok(Some(item)) => yield Ok(item),
                Ok(None) => {}
                Err(error) => {
                    yield Err(error);
                    return;
                }
            }
        }
    }
}

/// Counts a subscription in `/metrics` while it lives.
struct ActiveSubscription(std::sync::Arc<crate::metrics::Metrics>);

impl ActiveSubscription {
    fn new(metrics: std::sync::Arc<crate::metrics::Metrics>) -> Self {
        metrics.subscription_changed(true);
        Self(metrics)
    }
}

impl Drop for ActiveSubscription {
    fn drop(&mut self) {
        self.0.subscription_changed(false);
    }
}

/// The thread a reply subscription is limited to, if any: it must be one the subscriber
/// may see.
async fn watched_thread(ctx: &Context<'_>, thread_id: Option<&ID>) -> async_graphql::Result<Option<i64>> {
    let Some(thread_id) = thread_id else { return Ok(None) };
    let watched = ids::decode(NodeType::Thread, thread_id).ok_or(ServiceError::NotFound("thread"))?;
    if threads::visible_by_id(db(ctx)?, &request(ctx)?.viewer, watched).await?.is_none() {
        return Err(ServiceError::NotFound("thread").into());
    }
    Ok(Some(watched))
}

/// The replies that events picked by `pick` name, in threads the subscriber may see
/// (and in the watched thread, if there is one).
fn replies_when<'a>(
    ctx: &Context<'a>,
    watched: Option<i64>,
    pick: fn(Event) -> Option<(i64, i64)>,
) -> async_graphql::Result<impl Stream<Item = async_graphql::Result<Reply>> + 'a> {
    let viewer = request(ctx)?.viewer.clone();
    let database = db(ctx)?.clone();
    Ok(events(ctx, move |event| {
        let (viewer, database) = (viewer.clone(), database.clone());
        async move {
            let Some((thread_id, reply_id)) = pick(event) else { return Ok(None) };
            if watched.is_some_and(|w| w != thread_id) {
                return Ok(None);
            }
            Ok(threads::visible_reply(&database, &viewer, reply_id).await?.map(Reply))
        }
    }))
}

/// The subscriptions.
#[derive(Default)]
pub struct SubscriptionRoot;

#[Subscription]
impl SubscriptionRoot {
    /// Threads as they are posted, that the subscriber may see and the filter matches.
    async fn thread_posted<'a>(
        &self,
        ctx: &Context<'a>,
        filter: Option<ThreadFilter>,
    ) -> impl Stream<Item = async_graphql::Result<Thread>> + 'a {
        let filter = std::sync::Arc::new(threads::ThreadFilter::from(filter.unwrap_or_default()));
        let viewer = request(ctx).map(|c| c.viewer.clone()).unwrap_or_default();
        let database = db(ctx).ok().cloned();
        events(ctx, move |event| {
            let (filter, viewer, database) = (filter.clone(), viewer.clone(), database.clone());
            async move {
                let (Event::ThreadPosted { thread_id }, Some(database)) = (event, database) else { return Ok(None) };
                Ok(threads::matching_by_id(&database, &viewer, &filter, thread_id).await?.map(Thread))
            }
        })
    }

    /// Replies as they are posted: to one thread the subscriber may see, or, without
    /// `threadId`, to every thread the subscriber may see.
    async fn reply_posted<'a>(
        &self,
        ctx: &Context<'a>,
        thread_id: Option<ID>,
    ) -> async_graphql::Result<impl Stream<Item = async_graphql::Result<Reply>> + 'a> {
        let watched = watched_thread(ctx, thread_id.as_ref()).await?;
        replies_when(ctx, watched, |event| match event {
            Event::ReplyPosted { thread_id, reply_id } => Some((thread_id, reply_id)),
            _ => None,
        })
    }

    /// Answers as they are accepted: the accepted reply, whose thread is now answered;
    /// for one thread the subscriber may see, or, without `threadId`, for all of them.
    async fn answer_accepted<'a>(
        &self,
        ctx: &Context<'a>,
        thread_id: Option<ID>,
    ) -> async_graphql::Result<impl Stream<Item = async_graphql::Result<Reply>> + 'a> {
        let watched = watched_thread(ctx, thread_id.as_ref()).await?;
        replies_when(ctx, watched, |event| match event {
            Event::AnswerAccepted { thread_id, reply_id } => Some((thread_id, reply_id)),
            _ => None,
        })
    }

    /// The subscriber's own notifications as they arrive (a member, in person or through
    /// the bot; anyone else hears nothing).
    async fn notification_received<'a>(
        &self,
        ctx: &Context<'a>,
    ) -> async_graphql::Result<impl Stream<Item = async_graphql::Result<Notification>> + 'a> {
        let member = request(ctx)?.viewer.require_member().map_err(ServiceError::into_graphql)?.clone();
        let database = db(ctx)?.clone();
        let links = crate::graphql::sign_in::links(ctx)?.clone();
        // Ids already sent: side-by-side fan-outs may name overlapping ranges.
        let sent = std::sync::Arc::new(std::sync::Mutex::new(std::collections::VecDeque::<i64>::new()));
        let batches = events(ctx, move |event| {
            let (member, database, links, sent) = (member.clone(), database.clone(), links.clone(), sent.clone());
            async move {
                let Event::NotificationsCreated { first_id, last_id } = event else { return Ok(None) };
                let mut rows = notifications::in_range(&database, member.id, first_id, last_id).await?;
                if let Ok(mut sent) = sent.lock() {
                    rows.retain(|row| !sent.contains(&row.id));
                    for row in &rows {
                        sent.push_back(row.id);
                        if sent.len() > RECENTLY_SENT {
                            sent.pop_front();
                        }
                    }
                }
                if rows.is_empty() {
                    return Ok(None);
                }
                let notices = notifications::describe::notices(&database, &rows, &links).await?;
                let language = member.preferred_language;
                Ok(Some(
                    rows.into_iter()
                        .zip(notices)
                        .map(|(row, notice)| Notification::new(row, notice, language))
                        .collect::<Vec<_>>(),
                ))
            }
        });
        Ok(batches.flat_map(|batch: async_graphql::Result<Vec<Notification>>| {
            futures_util::stream::iter(match batch {
                Ok(all) => all.into_iter().map(Ok).collect::<Vec<_>>(),
                Err(error) => vec![Err(error)],
            })
        }))
    }

    /// Collaborations as they are proposed, joined, decided, advanced and evidenced.
    async fn collaboration_changed<'a>(
        &self,
        ctx: &Context<'a>,
        filter: Option<CollaborationFilter>,
    ) -> impl Stream<Item = async_graphql::Result<CollaborationChanged>> + 'a {
        let filter = std::sync::Arc::new(collaborations::CollaborationFilter::from(filter.unwrap_or_default()));
        let viewer = request(ctx).map(|c| c.viewer.clone()).unwrap_or_default();
        let database = db(ctx).ok().cloned();
        events(ctx, move |event| {
            let (filter, viewer, database) = (filter.clone(), viewer.clone(), database.clone());
            async move {
                let (Event::CollaborationChanged { collaboration_id, change }, Some(database)) = (event, database)
                else {
                    return Ok(None);
                };
                let Some(found) = collaborations::matching_by_id(&database, &viewer, &filter, collaboration_id).await?
                else {
                    return Ok(None);
                };
                Ok(Some(CollaborationChanged { change: change.into(), collaboration: Collaboration(found) }))
            }
        })
    }
}
