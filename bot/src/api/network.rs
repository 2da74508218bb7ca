//! The network as a whole: its partners, its figures and its most used tags.

use cynic::QueryBuilder;

use super::{ApiError, Caller, Lkn, Nation, schema};

/// A partner.
#[derive(cynic::QueryFragment, Debug, Clone, PartialEq, Eq)]
#[cynic(graphql_type = "Partner")]
pub struct PartnerView {
    /// Stable handle.
    pub slug: String,
    /// Name.
    pub name: String,
    /// Nation.
    pub nation: Nation,
    /// City or area.
    pub city: String,
    /// Website, where known.
    pub website: Option<String>,
    /// Reported audience reach, where known.
    pub audience_reach: Option<i32>,
}

/// A tag and how many visible threads carry it.
#[derive(cynic::QueryFragment, Debug, Clone, PartialEq, Eq)]
#[cynic(graphql_type = "Tag")]
pub struct TagCount {
    /// The tag.
    pub name: String,
    /// Threads carrying it.
    pub thread_count: i32,
}

/// An audience figure, as far as known.
#[derive(cynic::QueryFragment, Debug, Clone, PartialEq, Eq)]
#[cynic(graphql_type = "AudienceReach")]
pub struct AudienceReach {
    /// The sum of the known partner figures.
    pub known_total: i32,
    /// The network's reported figure.
    pub reported_total: Option<i32>,
}

/// The network's figures.
#[derive(cynic::QueryFragment, Debug, Clone, PartialEq)]
#[cynic(graphql_type = "NetworkStats")]
pub struct Stats {
    /// Partners.
    pub partner_count: i32,
    /// Threads visible to the caller.
    pub thread_count: i32,
    /// Share of questions answered.
    pub answered_rate: Option<f64>,
    /// Median hours to a first reply.
    pub median_hours_to_first_reply: Option<f64>,
    /// Collaborations under way.
    pub active_collaboration_count: i32,
    /// Most used tags.
    pub top_tags: Vec<TagCount>,
    /// The audience figure.
    pub combined_audience_reach: AudienceReach,
}

#[derive(cynic::InputObject, Debug)]
#[cynic(graphql_type = "PartnerFilter")]
struct PartnerFilter {
    nation: Option<Nation>,
}

#[derive(cynic::QueryVariables, Debug)]
struct PartnersVariables {
    filter: Option<PartnerFilter>,
}

#[derive(cynic::QueryFragment, Debug)]
#[cynic(graphql_type = "PartnerConnection")]
struct PartnerPage {
    nodes: Vec<PartnerView>,
}

#[derive(cynic::QueryFragment, Debug)]
#[cynic(graphql_type = "QueryRoot", variables = "PartnersVariables")]
struct Partners {
    #[arguments(first: 100, filter: $filter)]
    partners: PartnerPage,
}

#[derive(cynic::QueryFragment, Debug)]
#[cynic(graphql_type = "QueryRoot")]
struct NetworkStats {
    network_stats: Stats,
}

#[derive(cynic::QueryFragment, Debug)]
#[cynic(graphql_type = "QueryRoot")]
struct Tags {
    #[arguments(first: 100)]
    tags: Vec<TagCount>,
}

impl Lkn {
    /// The partners, in one nation or all.
    pub async fn partners(&self, caller: &Caller, nation: Option<Nation>) -> Result<Vec<PartnerView>, ApiError> {
        let variables = PartnersVariables { filter: Some(PartnerFilter { nation }) };
        Ok(self.read(caller, Partners::build(variables)).await?.partners.nodes)
    }

    /// The network's figures.
    pub async fn stats(&self, caller: &Caller) -> Result<Stats, ApiError> {
        Ok(self.read(caller, NetworkStats::build(())).await?.network_stats)
    }

    /// The most used tags.
    pub async fn tags(&self, caller: &Caller) -> Result<Vec<TagCount>, ApiError> {
        Ok(self.read(caller, Tags::build(())).await?.tags)
    }
}
