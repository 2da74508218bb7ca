//! The sender: one task per process that works through the outbox. It wakes when a write
//! that queued mail commits (on PostgreSQL, in any process) and otherwise looks every few
//! seconds, for retries that fall due and for mail queued where nobody announced it.
//!
//! Delivery is at least once, never twice on purpose: a message is claimed before it is
//! sent and marked sent right after, so two processes never send the same message, and
//! only a crash between the server's acceptance and the mark can repeat one — with the
//! same Message-ID, by which mail systems recognise the repeat.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use sea_orm::DatabaseConnection;
use tokio::sync::broadcast::error::RecvError;

use super::delivery::{Delivery, DeliveryError};
use crate::events::{Event, EventBus};
use crate::service::outbox;

/// How often the sender looks at the outbox when nothing wakes it.
pub const LOOK_INTERVAL: Duration = Duration::from_secs(5);
/// Messages taken per look.
const BATCH: u64 = 20;

/// Starts the sender for `db`, delivering through `delivery` as `from` and holding each
/// message for `lease` while it sends; it stops when the bus is dropped.
pub fn spawn(db: DatabaseConnection, bus: &Arc<EventBus>, delivery: Delivery, from: String, lease: chrono::Duration) {
    let mut events = bus.subscribe();
    let bus = Arc::downgrade(bus);
    tracing::info!(to = %delivery.describe(), "sending mail");
    tokio::spawn(async move {
        loop {
            if bus.strong_count() == 0 {
                return;
            }
            send_due(&db, &delivery, &from, lease).await;
            let woken = tokio::time::timeout(LOOK_INTERVAL, async {
                loop {
                    match events.recv().await {
                        Ok(Event::MailQueued | Event::ListenerRestarted) | Err(RecvError::Lagged(_)) => return true,
                        Ok(_) => continue,
                        Err(RecvError::Closed) => return false,
                    }
                }
            })
            .await;
            if woken == Ok(false) {
                return;
            }
        }
    });
}

/// Sends every message due now, one at a time, holding each for `lease`.
pub async fn send_due(db: &DatabaseConnection, delivery: &Delivery, from: &str, lease: chrono::Duration) {
    loop {
        let ids = match outbox::due(db, Utc::now(), BATCH).await {
            Ok(ids) => ids,
            Err(error) => {
                tracing::warn!(%error, "cannot read the outbox; trying again soon");
                return;
            }
        };
        if ids.is_empty() {
            return;
        }
        let mut progressed = false;
        for id in ids {
            let row = match outbox::claim(db, id, Utc::now(), lease).await {
                Ok(Some(row)) => row,
                Ok(None) => continue,
                Err(error) => {
                    tracing::warn!(%error, id, "cannot claim a message; trying again soon");
                    return;
                }
            };
            progressed = true;
            let outcome = delivery.deliver(&row, from).await;
            let recorded = match &outcome {
                Ok(()) => {
                    tracing::info!(id, attempt = row.attempts, "mail sent");
                    outbox::mark_sent(db, id, Utc::now()).await
                }
                Err(error) => {
                    let permanent = matches!(error, DeliveryError::Permanent(_));
                    tracing::warn!(id, attempt = row.attempts, permanent, %error, "mail not sent");
                    outbox::mark_failed(db, &row, &error.to_string(), permanent, Utc::now()).await
                }
            };
            if let Err(error) = recorded {
                // The lease runs out and the message is tried again: a repeat, never a loss.
                tracing::warn!(%error, id, "cannot record the outcome of sending a message");
            }
        }
        if !progressed {
            return;
        }
    }
}
