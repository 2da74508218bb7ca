//! The network's figures as GraphQL: `networkStats`.

use async_graphql::{Context, Object, SimpleObject};

use crate::graphql::collaborations::AudienceReach;
use crate::graphql::threads::Tag;
use crate::graphql::vocabulary::Nation;
use crate::graphql::{OrGraphql, db, request};
use crate::service::network;

/// How many partners a nation has.
#[derive(SimpleObject)]
pub struct NationCount {
    /// The nation.
    pub nation: Nation,
    /// Its partners.
    pub count: i64,
}

/// Figures across the whole network, counting only what the caller may see.
#[derive(SimpleObject)]
pub struct NetworkStats {
    /// Partners in the network.
    pub partner_count: i64,
    /// Partners per nation.
    pub partners_by_nation: Vec<NationCount>,
    /// The partners' combined audience as far as known, and the network's reported figure.
    pub combined_audience_reach: AudienceReach,
    /// Threads.
    pub thread_count: i64,
    /// Share of questions with an accepted answer (0 to 1), null without questions.
    pub answered_rate: Option<f64>,
    /// Median hours from a question to its first reply, null if none has a reply.
    pub median_hours_to_first_reply: Option<f64>,
    /// Collaborations under way.
    pub active_collaboration_count: i64,
    /// The ten most used tags.
    pub top_tags: Vec<Tag>,
}

/// The network query.
#[derive(Default)]
pub struct NetworkQuery;

#[Object]
impl NetworkQuery {
    /// Figures across the network. They read every thread, so they cost as much as a
    /// long list, and are shared between callers for a few seconds.
    #[graphql(complexity = "crate::graphql::limits::SCAN_COST + child_complexity")]
    async fn network_stats(&self, ctx: &Context<'_>) -> async_graphql::Result<NetworkStats> {
        let cache = ctx
            .data::<std::sync::Arc<network::StatsCache>>()
            .map_err(|_| crate::error::ServiceError::Internal("figures cache missing".into()).into_graphql())?;
        let stats = cache.stats(db(ctx)?, &request(ctx)?.viewer).await.gql()?;
        let mut audience = AudienceReach::from(stats.audience);
        if let Some((total, source)) = stats.reported_audience {
            audience.reported_total = Some(total);
            audience.reported_source = Some(source);
        }
        Ok(NetworkStats {
            partner_count: stats.partner_count,
            partners_by_nation: stats
                .partners_by_nation
                .into_iter()
                .map(|(nation, count)| NationCount { nation: nation.into(), count })
                .collect(),
            combined_audience_reach: audience,
            thread_count: stats.thread_count,
            answered_rate: stats.answered_rate,
            median_hours_to_first_reply: stats.median_hours_to_first_reply,
            active_collaboration_count: stats.active_collaboration_count,
            top_tags: stats.top_tags.into_iter().map(|t| Tag { name: t.name, thread_count: t.thread_count }).collect(),
        })
    }
}
