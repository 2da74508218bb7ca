//! Figures across the whole network: partners by nation, audience, how well questions
//! get answered, active collaborations and the busiest tags.

use lkn_entity::vocabulary::{CollaborationStatus, Nation, ThreadKind};
use lkn_entity::{collaboration, network_figure, partner, thread};

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, PaginatorTrait, QueryFilter, QuerySelect};

use crate::error::Result;
use crate::service::collaborations::{self, AudienceReach};
use crate::service::identity::Viewer;
use crate::service::threads::{self, TagUsage};

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

fn median(sorted: &[f64]) -> Option<f64> {
    match sorted.len() {
        0 => None,
        n if n % 2 == 1 => Some(sorted[n / 2]),
        n => Some((sorted[n / 2 - 1] + sorted[n / 2]) / 2.0),
    }
}
