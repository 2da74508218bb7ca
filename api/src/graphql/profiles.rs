//! Profiles and expertise as GraphQL: `updateProfile`, and `whoKnows`, which finds the
//! colleagues who know about a topic. The profile fields themselves live on `Member`.

use async_graphql::{Context, InputObject, Object, SimpleObject};

use crate::graphql::user_errors::UserError;
use crate::graphql::viewer::Member;
use crate::graphql::vocabulary::Language;
use crate::graphql::{OrGraphql, db, request, split_user_errors};
use crate::service::{expertise, profiles};

/// Changes to the viewer's own profile; fields left out stay as they are.
#[derive(InputObject)]
pub struct UpdateProfileInput {
    /// The name shown on their posts.
    pub display_name: Option<String>,
    /// A few lines about their work, at most 1,000 characters; empty removes it.
    pub bio: Option<String>,
    /// The languages they work in.
    pub languages: Option<Vec<Language>>,
    /// The language LKN writes to them in: `EN` or `CY`.
    pub preferred_language: Option<Language>,
    /// The topics they know about, at most 20, each made a tag as thread tags are
    /// (`"Local History"` → `local-history`). Replaces the list.
    pub expertise: Option<Vec<String>>,
}

/// What `updateProfile` returns.
#[derive(SimpleObject)]
pub struct UpdateProfilePayload {
    /// The member as they are now.
    pub member: Option<Member>,
    /// Why the changes were refused, if they were; then nothing changed.
    pub user_errors: Vec<UserError>,
}

/// A member who knows about a topic, and why LKN thinks so.
#[derive(SimpleObject)]
pub struct Expertise {
    /// Who.
    pub member: Member,
    /// What their signals add up to, higher first: 5 per accepted answer, 2 per other
    /// reply, 1 per endorsement of a thread they posted, 3 for declaring the topic.
    pub score: i32,
    /// Why, one sentence per signal ("3 accepted answers on storytime").
    pub reasons: Vec<String>,
}

/// The expertise query.
#[derive(Default)]
pub struct ProfileQuery;

#[Object]
impl ProfileQuery {
    /// The members who know most about `topic` (a tag or a few words), best first, with
    /// their reasons: what they have shown in the threads on it that the caller may see
    /// (tagged with it or matching it by full-text search), and what they declare. A
    /// topic has at most 200 characters. Members only.
    #[graphql(complexity = "crate::graphql::limits::SCAN_COST
        + (first.unwrap_or(10).clamp(1, 50) as usize).saturating_mul(child_complexity.max(1))")]
    async fn who_knows(
        &self,
        ctx: &Context<'_>,
        topic: String,
        #[graphql(default = 10, validator(minimum = 1, maximum = 50))] first: Option<i32>,
    ) -> async_graphql::Result<Vec<Expertise>> {
        let first = first.unwrap_or(10) as u64;
        let experts = expertise::who_knows(db(ctx)?, &request(ctx)?.viewer, &topic, first).await.gql()?;
        Ok(experts
            .into_iter()
            .map(|e| Expertise {
                member: Member(e.member),
                score: i32::try_from(e.score).unwrap_or(i32::MAX),
                reasons: e.reasons,
            })
            .collect())
    }
}

/// The profile mutation.
#[derive(Default)]
pub struct ProfileMutation;

#[Object]
impl ProfileMutation {
    /// Changes the viewer's own profile. Every field is checked first, so a refused
    /// change changes nothing; sending the same changes again is harmless.
    async fn update_profile(
        &self,
        ctx: &Context<'_>,
        input: UpdateProfileInput,
    ) -> async_graphql::Result<UpdateProfilePayload> {
        let request = request(ctx)?;
        let changes = profiles::ProfileChanges {
            display_name: input.display_name,
            bio: input.bio,
            languages: input.languages.map(|l| l.into_iter().map(Into::into).collect()),
            preferred_language: input.preferred_language.map(Into::into),
            expertise: input.expertise,
        };
        let result = profiles::update_profile(db(ctx)?, &request.write_context(), changes).await;
        let (member, user_errors) = split_user_errors(result)?;
        Ok(UpdateProfilePayload { member: member.map(Member), user_errors })
    }
}
