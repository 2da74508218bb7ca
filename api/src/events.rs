//! Live updates: the events writes publish and subscribers hear, across processes.
//!
//! An event names what changed by id only; each subscriber loads the object itself,
//! with its own viewer, so visibility is checked per event and per subscriber. Events
//! are published only once their write has committed, and never for one that rolled
//! back:
//! - on PostgreSQL, the write's transaction runs `pg_notify` (delivered at commit only),
//!   and every process keeps one listening connection that feeds its local subscribers
//!   — so several lkn-api processes on one database behave as one service;
//! - on SQLite (one process), events are staged with the write and handed to the local
//!   subscribers after the commit.

use std::sync::Mutex;
use std::time::Duration;

use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement};
use serde::{Deserialize, Serialize};
use tokio::sync::broadcast;

use crate::error::Result;

/// The PostgreSQL channel events travel on.
pub const CHANNEL: &str = "lkn_events";
/// Events a subscriber may fall behind by before it is told and disconnected.
pub const SUBSCRIBER_BUFFER: usize = 256;

/// What happened to a collaboration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum CollaborationChange {
    /// It was proposed.
    Proposed,
    /// A partner asked to join.
    JoinRequested,
    /// The lead partner accepted or declined a request.
    JoinDecided,
    /// Its status moved along the workflow.
    StatusAdvanced,
    /// An outcome was recorded.
    OutcomeRecorded,
}

/// A committed change subscribers may want to hear about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "t")]
pub enum Event {
    /// A thread was posted.
    ThreadPosted {
        /// The thread.
        thread_id: i64,
    },
    /// A reply was posted.
    ReplyPosted {
        /// The thread replied to.
        thread_id: i64,
        /// The reply.
        reply_id: i64,
    },
    /// A reply was accepted as the answer to its question.
    AnswerAccepted {
        /// The question.
        thread_id: i64,
        /// The accepted reply.
        reply_id: i64,
    },
    /// A member's access was cut (tokens revoked, or the member suspended): sockets that
    /// depend on them check their credentials again and close if they no longer hold.
    AccessRevoked {
        /// The member.
        member_id: i64,
    },
    /// The partner directory changed (a trigger on `partners` sends this).
    PartnersChanged,
    /// This process (re)started listening: events before it may have been missed, so
    /// what is cached must be read again.
    ListenerRestarted,
    /// This process stopped hearing events until it listens again: nothing cached may
    /// be trusted meanwhile.
    ListenerLost,
    /// A write queued e-mail in the outbox: senders look at it now rather than at their
    /// next periodic look.
    MailQueued,
    /// A write queued a job: workers look now rather than at their next periodic look.
    JobQueued,
    /// One change was told to its members: one event for the whole fan-out, however many
    /// were told (one per member would overrun every subscriber's buffer on a thread with
    /// a thousand followers). Subscribers look up their own rows in the range.
    NotificationsCreated {
        /// The smallest id stored.
        first_id: i64,
        /// The largest id stored.
        last_id: i64,
    },
    /// A collaboration changed.
    CollaborationChanged {
        /// The collaboration.
        collaboration_id: i64,
        /// How.
        change: CollaborationChange,
    },
}

/// The process's event bus: one broadcast channel fed by committed writes (SQLite) or
/// by the database's notifications (PostgreSQL).
#[derive(Debug)]
pub struct EventBus {
    sender: broadcast::Sender<Event>,
}

impl Default for EventBus {
    fn default() -> Self {
        Self { sender: broadcast::channel(SUBSCRIBER_BUFFER).0 }
    }
}

impl EventBus {
    /// A new receiver of every event from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<Event> {
        self.sender.subscribe()
    }

    /// Tells this process's subscribers of `event`: committed writes, what the listener
    /// hears from other processes, and what watchers find in the database.
    pub fn announce(&self, event: Event) {
        // No receivers is fine: nobody is listening.
        let _ = self.sender.send(event);
    }

    /// On PostgreSQL, listens for events from every process (this one included) on one
    /// connection, reconnecting after failures, until the bus is dropped. On SQLite there
    /// is nothing to listen to.
    pub fn listen(self: &std::sync::Arc<Self>, db: &DatabaseConnection) {
        if db.get_database_backend() != DbBackend::Postgres {
            return;
        }
        let pool = db.get_postgres_connection_pool().clone();
        let bus = std::sync::Arc::downgrade(self);
        tokio::spawn(async move {
            let mut backoff = Duration::from_millis(100);
            loop {
                let mut listener = match sea_orm::sqlx::postgres::PgListener::connect_with(&pool).await {
                    Ok(listener) => listener,
                    Err(error) => {
                        tracing::warn!(%error, "cannot listen for events yet; retrying");
                        tokio::time::sleep(backoff).await;
                        backoff = (backoff * 2).min(Duration::from_secs(5));
                        if bus.strong_count() == 0 {
                            return;
                        }
                        continue;
                    }
                };
                if let Err(error) = listener.listen(CHANNEL).await {
                    tracing::warn!(%error, "LISTEN failed; retrying");
                    tokio::time::sleep(backoff).await;
                    continue;
                }
                backoff = Duration::from_millis(100);
                tracing::info!("listening for events");
                match bus.upgrade() {
                    Some(bus) => bus.announce(Event::ListenerRestarted),
                    None => return,
                }
                loop {
                    match listener.try_recv().await {
                        Ok(Some(notification)) => {
                            let Some(bus) = bus.upgrade() else { return };
                            match serde_json::from_str::<Event>(notification.payload()) {
                                Ok(event) => bus.announce(event),
                                Err(error) => tracing::warn!(%error, "ignoring a malformed event"),
                            }
                        }
                        Ok(None) => {
                            tracing::warn!("event connection lost; reconnecting (events in the gap are missed)");
                            break;
                        }
                        Err(error) => {
                            tracing::warn!(%error, "event connection failed; reconnecting");
                            break;
                        }
                    }
                }
                match bus.upgrade() {
                    Some(bus) => bus.announce(Event::ListenerLost),
                    None => return,
                }
            }
        });
    }
}

/// The events of one write, held until it commits.
#[derive(Debug, Default)]
pub struct Staged(Mutex<Vec<Event>>);

impl Staged {
    /// Records `event` as part of the write running in `txn`: on PostgreSQL a
    /// `pg_notify` in the same transaction; on SQLite a note kept for [`Self::committed`].
    pub async fn stage(&self, txn: &impl ConnectionTrait, event: Event) -> Result<()> {
        if txn.get_database_backend() == DbBackend::Postgres {
            let payload = serde_json::to_string(&event).unwrap_or_default();
            txn.execute_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "SELECT pg_notify($1, $2)",
                [CHANNEL.into(), payload.into()],
            ))
            .await?;
        } else if let Ok(mut staged) = self.0.lock() {
            staged.push(event);
        }
        Ok(())
    }

    /// Hands the staged events to local subscribers once the write has committed.
    pub fn committed(&self, bus: Option<&EventBus>) {
        let events = self.0.lock().map(|mut staged| std::mem::take(&mut *staged)).unwrap_or_default();
        if let Some(bus) = bus {
            for event in events {
                bus.announce(event);
            }
        }
    }
}
