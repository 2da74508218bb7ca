//! Members' profiles and expertise: `/profile` (one's own, or a colleague's by their
//! Discord account) and `/who-knows` ("who knows about X?").

use cynic::QueryBuilder;

use super::{ApiError, Caller, Language, Lkn, PartnerName, schema};

/// A member's profile, as `/profile` shows it.
#[derive(cynic::QueryFragment, Debug, Clone, PartialEq, Eq)]
#[cynic(graphql_type = "Member")]
pub struct ProfileView {
    /// The name shown on their posts.
    pub display_name: String,
    /// Their partner.
    pub partner: Option<PartnerName>,
    /// A few lines about their work; empty until they write some.
    pub bio: String,
    /// The languages they work in.
    pub languages: Vec<Language>,
    /// The topics they declare they know about.
    pub expertise: Vec<String>,
}

/// Someone who knows about a topic, by name and partner.
#[derive(cynic::QueryFragment, Debug, Clone, PartialEq, Eq)]
#[cynic(graphql_type = "Member")]
pub struct Expert {
    /// Their display name.
    pub display_name: String,
    /// Their partner.
    pub partner: Option<PartnerName>,
}

/// A member who knows about a topic, and why LKN thinks so.
#[derive(cynic::QueryFragment, Debug, Clone, PartialEq, Eq)]
#[cynic(graphql_type = "Expertise")]
pub struct ExpertiseView {
    /// Who.
    pub member: Expert,
    /// What their signals add up to, higher first.
    pub score: i32,
    /// Why, one sentence per signal.
    pub reasons: Vec<String>,
}

#[derive(cynic::QueryVariables, Debug)]
struct TopicVariables {
    topic: String,
}

#[derive(cynic::QueryFragment, Debug)]
#[cynic(graphql_type = "QueryRoot", variables = "TopicVariables")]
struct WhoKnows {
    #[arguments(topic: $topic, first: 5)]
    who_knows: Vec<ExpertiseView>,
}

#[derive(cynic::QueryFragment, Debug)]
#[cynic(graphql_type = "QueryRoot")]
struct OwnProfile {
    viewer: Option<ProfileView>,
}

#[derive(cynic::QueryVariables, Debug)]
struct DiscordUserVariables {
    id: String,
}

#[derive(cynic::QueryFragment, Debug)]
#[cynic(graphql_type = "QueryRoot", variables = "DiscordUserVariables")]
struct DiscordMemberProfile {
    #[arguments(discordUserId: $id)]
    discord_member: Option<ProfileView>,
}

impl Lkn {
    /// The five members who know most about `topic`, with their reasons. Members only:
    /// a Discord user who is not linked is refused, not answered anonymously.
    pub async fn who_knows(&self, caller: &Caller, topic: &str) -> Result<Vec<ExpertiseView>, ApiError> {
        let variables = TopicVariables { topic: topic.to_owned() };
        Ok(self.run(caller, &WhoKnows::build(variables)).await?.who_knows)
    }

    /// The profile of the member `caller` acts as.
    pub async fn own_profile(&self, caller: &Caller) -> Result<Option<ProfileView>, ApiError> {
        Ok(self.run(caller, &OwnProfile::build(())).await?.viewer)
    }

    /// The profile of the member linked to Discord user `discord_user_id`, if one is, as
    /// `caller` (a member through the bot) sees it.
    pub async fn discord_member_profile(
        &self,
        caller: &Caller,
        discord_user_id: &str,
    ) -> Result<Option<ProfileView>, ApiError> {
        let variables = DiscordUserVariables { id: discord_user_id.to_owned() };
        Ok(self.run(caller, &DiscordMemberProfile::build(variables)).await?.discord_member)
    }
}
