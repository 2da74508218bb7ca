//! Partners as GraphQL: the `Partner` type and the `partners` and `partner` queries.

use async_graphql::{Context, ID, InputObject, Object};
use lkn_entity::partner;

use crate::graphql::collaborations::Collaboration;
use crate::graphql::connection::{Conn, connection, page_request};
use crate::graphql::ids::{self, NodeType};
use crate::graphql::threads::{Thread, ThreadOrder};
use crate::graphql::viewer::Member;
use crate::graphql::vocabulary::{Nation, PartnerKind};
use crate::graphql::{OrGraphql, db, prefetch, request};
use crate::service::{collaborations, partners, threads};

/// An organisation in the network.
pub struct Partner(pub partner::Model);

#[Object]
impl Partner {
    /// Global id.
    pub async fn id(&self) -> ID {
        ids::encode(NodeType::Partner, self.0.id)
    }
    /// Stable handle (`national-library-of-wales`), used in filters and by the bot.
    async fn slug(&self) -> &str {
        &self.0.slug
    }
    /// Name as the partner uses it.
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// What kind of organisation it is.
    async fn kind(&self) -> PartnerKind {
        self.0.kind.into()
    }
    /// Which nation it serves.
    async fn nation(&self) -> Nation {
        self.0.nation.into()
    }
    /// The city, county or area it serves.
    async fn city(&self) -> &str {
        &self.0.area
    }
    /// Its website, where known.
    async fn website(&self) -> Option<&str> {
        self.0.website.as_deref()
    }
    /// Its reported audience reach; null when not known (LKN never estimates one).
    async fn audience_reach(&self) -> Option<i64> {
        self.0.audience_reach
    }
    /// Where the audience figure comes from.
    async fn audience_source(&self) -> Option<&str> {
        self.0.audience_source.as_deref()
    }
    /// Its staff on LKN. Signed-in members only; others see an empty list.
    #[graphql(complexity = "(first.unwrap_or(20).clamp(1, 100) as usize).saturating_mul(child_complexity.max(1))")]
    async fn members(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Conn<Member>> {
        let request_page = page_request(ctx, first, after.as_deref())?;
        let page = crate::service::members::of_partner(db(ctx)?, &request(ctx)?.viewer, self.0.id, &request_page)
            .await
            .gql()?;
        Ok(connection(page, Member))
    }
    /// Threads posted by its staff that the caller may see.
    #[graphql(complexity = "(first.unwrap_or(20).clamp(1, 100) as usize).saturating_mul(child_complexity.max(1))")]
    async fn threads(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        #[graphql(default)] order_by: ThreadOrder,
    ) -> async_graphql::Result<Conn<Thread>> {
        let page_request = page_request(ctx, first, after.as_deref())?;
        let query = threads::ThreadQuery {
            filter: threads::ThreadFilter { partner_slug: Some(self.0.slug.clone()), ..Default::default() },
            order: order_by.into(),
        };
        let page = threads::list(db(ctx)?, &request(ctx)?.viewer, &query, &page_request).await.gql()?;
        let rows: Vec<_> = page.items.iter().map(|(_, row)| row.clone()).collect();
        prefetch::threads(ctx, ctx.look_ahead(), &rows).await?;
        Ok(connection(page, Thread))
    }
    /// Collaborations it leads or takes part in that the caller may see.
    #[graphql(complexity = "(first.unwrap_or(20).clamp(1, 100) as usize).saturating_mul(child_complexity.max(1))")]
    async fn collaborations(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Conn<Collaboration>> {
        let page_request = page_request(ctx, first, after.as_deref())?;
        let query =
            collaborations::CollaborationFilter { partner_slug: Some(self.0.slug.clone()), ..Default::default() };
        let page = collaborations::list(db(ctx)?, &request(ctx)?.viewer, &query, &page_request).await.gql()?;
        let rows: Vec<_> = page.items.iter().map(|(_, row)| row.clone()).collect();
        prefetch::collaborations(ctx, ctx.look_ahead(), &rows).await?;
        Ok(connection(page, Collaboration))
    }
}

/// Narrows the partner list.
#[derive(InputObject, Default)]
pub struct PartnerFilter {
    /// Only partners in this nation.
    pub nation: Option<Nation>,
    /// Only partners of this kind.
    pub kind: Option<PartnerKind>,
}

/// The partner queries.
#[derive(Default)]
pub struct PartnerQuery;

#[Object]
impl PartnerQuery {
    /// The network's partners in name order. Public.
    #[graphql(complexity = "(first.unwrap_or(20).clamp(1, 100) as usize).saturating_mul(child_complexity.max(1))")]
    async fn partners(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        filter: Option<PartnerFilter>,
    ) -> async_graphql::Result<Conn<Partner>> {
        let page_request = page_request(ctx, first, after.as_deref())?;
        let filter = filter.unwrap_or_default();
        let query = partners::PartnerQuery { nation: filter.nation.map(Into::into), kind: filter.kind.map(Into::into) };
        let directory = ctx.data::<std::sync::Arc<partners::PartnerDirectory>>()?;
        let page = directory.list(db(ctx)?, &query, &page_request).await.gql()?;
        Ok(connection(page, Partner))
    }

    /// A partner by slug, or null.
    async fn partner(&self, ctx: &Context<'_>, slug: String) -> async_graphql::Result<Option<Partner>> {
        Ok(partners::by_slug(db(ctx)?, &slug).await.gql()?.map(Partner))
    }
}
