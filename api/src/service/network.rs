//! Figures across the whole network: partners by nation, audience, how well questions
//! get answered, active collaborations and the busiest tags.
//!
//! The figures read every thread, so they are computed once for everyone who may see the
//! same things and kept in [`StatsCache`] for a few seconds: a crowd of anonymous callers
//! asking at once costs one computation, not one each, and any write heard on the event
//! bus makes the next caller compute them afresh.

use lkn_entity::vocabulary::{CollaborationStatus, Nation, ThreadKind};
use lkn_entity::{collaboration, network_figure, partner, thread};

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, PaginatorTrait, QueryFilter, QuerySelect};

use crate::error::Result;
use crate::service::collaborations::{self, AudienceReach};
use crate::service::threads::{self, TagUsage};
use crate::service::viewer::Viewer;

/// The network's figures as `viewer` may see them (threads and collaborations counted
/// only where visible).
#[derive(Debug, Clone)]
pub struct NetworkStats {
    /// Partners in the network.
    pub partner_count: i64,
    /// Partners per nation, in the order England, Scotland, Wales, Northern Ireland.
    pub partners_by_nation: Vec<(Nation, i64)>,
    /// The partners' combined audience as far as known.
    pub audience: AudienceReach,
    /// The combined audience the network reported, with its source.
    pub reported_audience: Option<(i64, String)>,
    /// Visible threads.
    pub thread_count: i64,
    /// Share of visible questions with an accepted answer (closed or not), if there are questions.
    pub answered_rate: Option<f64>,
    /// Median hours from a visible question to its first reply, if any were replied to.
    pub median_hours_to_first_reply: Option<f64>,
    /// Visible collaborations that are active.
    pub active_collaboration_count: i64,
    /// The ten most used tags.
    pub top_tags: Vec<TagUsage>,
}

const NATIONS: [Nation; 4] = [Nation::England, Nation::Scotland, Nation::Wales, Nation::NorthernIreland];

/// Computes the figures. Each is one aggregate statement; the median reads only the
/// first-reply delays of questions.
#[tracing::instrument(skip(db, viewer))]
pub async fn stats(db: &impl ConnectionTrait, viewer: &Viewer) -> Result<NetworkStats> {
    let partners = partner::Entity::find().all(db).await?;
    let partners_by_nation = NATIONS
        .iter()
        .map(|nation| (*nation, partners.iter().filter(|p| p.nation == *nation).count() as i64))
        .collect();
    let reported_audience = network_figure::Entity::find()
        .filter(network_figure::Column::Key.eq("combined_audience"))
        .one(db)
        .await?
        .map(|f| (f.value, f.source));

    let visible = threads::visible_to(viewer);
    let thread_count = thread::Entity::find().filter(visible.clone()).count(db).await? as i64;
    let questions =
        thread::Entity::find().filter(visible.clone()).filter(thread::Column::Kind.eq(ThreadKind::Question));
    let question_count = questions.clone().count(db).await? as i64;
    let answered = questions.clone().filter(thread::Column::AcceptedReplyId.is_not_null()).count(db).await? as i64;
    let answered_rate = (question_count > 0).then(|| answered as f64 / question_count as f64);

    #[derive(FromQueryResult)]
    struct Delay {
        created_at: chrono::DateTime<chrono::Utc>,
        first_reply_at: chrono::DateTime<chrono::Utc>,
    }
    let delays = questions
        .filter(thread::Column::FirstReplyAt.is_not_null())
        .select_only()
        .column(thread::Column::CreatedAt)
        .column(thread::Column::FirstReplyAt)
        .into_model::<Delay>()
        .all(db)
        .await?;
    let mut hours: Vec<f64> =
        delays.iter().map(|d| (d.first_reply_at - d.created_at).num_seconds() as f64 / 3600.0).collect();
    hours.sort_by(f64::total_cmp);
    let median_hours_to_first_reply = median(&hours);

    let active_collaboration_count = collaboration::Entity::find()
        .filter(collaborations::visible_to(viewer))
        .filter(collaboration::Column::Status.eq(CollaborationStatus::Active))
        .count(db)
        .await? as i64;
    let top_tags = threads::tag_usage(db, viewer, 10).await?;

    Ok(NetworkStats {
        partner_count: partners.len() as i64,
        partners_by_nation,
        audience: AudienceReach::of(&partners),
        reported_audience,
        thread_count,
        answered_rate,
        median_hours_to_first_reply,
        active_collaboration_count,
        top_tags,
    })
}

/// How long computed figures are served when no write was heard (edits, endorsements and
/// closes announce nothing on the bus, so this bounds how stale they can be).
pub const STATS_FRESH_FOR: std::time::Duration = std::time::Duration::from_secs(10);

/// The figures last computed for one audience, and for which generation of writes.
type Slot = tokio::sync::Mutex<Option<(std::time::Instant, u64, NetworkStats)>>;

/// Figures computed once for everyone who sees the same things (the public, and signed-in
/// members), shared until a write is heard or [`STATS_FRESH_FOR`] passes. Callers who ask
/// while they are being computed wait for that computation instead of starting their own.
#[derive(Debug, Default)]
pub struct StatsCache {
    public: Slot,
    network: Slot,
    writes_heard: std::sync::atomic::AtomicU64,
}

impl StatsCache {
    /// A cache that forgets its figures whenever `events` carries a write (or the process
    /// may have missed some), until the bus is dropped.
    pub fn following(events: &std::sync::Arc<crate::events::EventBus>) -> std::sync::Arc<Self> {
        let cache = std::sync::Arc::new(Self::default());
        let mut heard = events.subscribe();
        let watched = std::sync::Arc::downgrade(&cache);
        tokio::spawn(async move {
            use tokio::sync::broadcast::error::RecvError;
            loop {
                match heard.recv().await {
                    Ok(crate::events::Event::AccessRevoked { .. }) => continue,
                    Ok(_) | Err(RecvError::Lagged(_)) => {}
                    Err(RecvError::Closed) => return,
                }
                let Some(cache) = watched.upgrade() else { return };
                cache.writes_heard.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            }
        });
        cache
    }

    /// The figures as `viewer` may see them, computed at most once per audience while fresh.
    pub async fn stats(&self, db: &impl ConnectionTrait, viewer: &Viewer) -> Result<NetworkStats> {
        let slot = if viewer.sees_network() { &self.network } else { &self.public };
        let mut kept = slot.lock().await;
        let generation = self.writes_heard.load(std::sync::atomic::Ordering::Relaxed);
        if let Some((at, computed_for, stats)) = kept.as_ref()
            && *computed_for == generation
            && at.elapsed() < STATS_FRESH_FOR
        {
            return Ok(stats.clone());
        }
        let fresh = stats(db, viewer).await?;
        *kept = Some((std::time::Instant::now(), generation, fresh.clone()));
        Ok(fresh)
    }
}

fn median(sorted: &[f64]) -> Option<f64> {
    match sorted.len() {
        0 => None,
        n if n % 2 == 1 => Some(sorted[n / 2]),
        n => Some((sorted[n / 2 - 1] + sorted[n / 2]) / 2.0),
    }
}
