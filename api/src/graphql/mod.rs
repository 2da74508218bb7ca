//! The GraphQL schema: one module per feature, merged here.
//!
//! Transports (HTTP, WebSocket) stay thin: they authenticate, build a
//! [`RequestContext`] and hand the request to the schema built by [`build_schema`].

use async_graphql::dataloader::DataLoader;
use async_graphql::{Context, MergedObject, Schema};
use sea_orm::DatabaseConnection;

use crate::error::ServiceError;
use crate::service::viewer::Viewer;

pub mod collaborations;
pub mod connection;
pub mod discord;
pub mod ids;
pub mod limits;
pub mod loaders;
pub mod membership;
pub mod network;
pub mod notifications;
pub mod operation;
pub mod partners;
pub mod prefetch;
pub mod profiles;
pub mod search;
pub mod sign_in;
pub mod subscriptions;
pub mod threads;
pub mod user_errors;
pub mod viewer;
pub mod vocabulary;

/// Every query field, merged from the feature modules.
#[derive(MergedObject, Default)]
pub struct QueryRoot(
    viewer::ViewerQuery,
    partners::PartnerQuery,
    threads::ThreadQuery,
    collaborations::CollaborationQuery,
    network::NetworkQuery,
    viewer::AuditQuery,
    search::SearchQuery,
    discord::DiscordQuery,
    sign_in::SignInQuery,
    profiles::ProfileQuery,
    notifications::NotificationQuery,
);

/// Every mutation, merged from the feature modules.
#[derive(MergedObject, Default)]
pub struct MutationRoot(
    threads::ThreadMutation,
    collaborations::CollaborationMutation,
    viewer::IdentityMutation,
    discord::DiscordMutation,
    sign_in::SignInMutation,
    profiles::ProfileMutation,
    membership::MembershipMutation,
    notifications::NotificationMutation,
);

/// The LKN schema type.
pub type LknSchema = Schema<QueryRoot, MutationRoot, subscriptions::SubscriptionRoot>;

/// Builds the schema with the edge's limits. The database pool is schema data; the
/// viewer and loaders are attached per request. Field suggestions ("did you mean …?")
/// are off: they would describe the schema to anyone probing it.
pub fn build_schema(
    db: DatabaseConnection,
    edge: &crate::edge::EdgeSettings,
    metrics: std::sync::Arc<crate::metrics::Metrics>,
    partners: std::sync::Arc<crate::service::partners::PartnerDirectory>,
    stats: std::sync::Arc<crate::service::network::StatsCache>,
    links: crate::mail::Links,
) -> LknSchema {
    Schema::build(QueryRoot::default(), MutationRoot::default(), subscriptions::SubscriptionRoot)
        .data(db)
        .data(metrics)
        .data(partners)
        .data(stats)
        .data(links)
        .data(edge.rate_limiter.clone())
        .limit_depth(edge.max_depth)
        .limit_complexity(edge.max_complexity)
        .limit_recursive_depth(32)
        .extension(edge.document)
        .extension(limits::PoolShare)
        .disable_suggestions()
        .finish()
}

/// What one request carries: who is asking, the loaders that batch its reads, and its
/// id for logs and the audit trail.
pub struct RequestContext {
    /// The caller.
    pub viewer: Viewer,
    /// Batched, per-request loads of related rows.
    pub loader: DataLoader<loaders::Db, async_graphql::dataloader::HashMapCache>,
    /// The request id, as in the `x-request-id` header.
    pub request_id: Option<String>,
    /// Where committed writes are announced to subscribers.
    pub events: std::sync::Arc<crate::events::EventBus>,
    /// Where the request came from and with which token.
    pub origin: Origin,
}

/// Where a request came from: the client's address (for the sign-in limits) and the
/// fingerprint of the bearer token it carried (so `signOut` knows which session to end
/// and `sessions` which one is current).
#[derive(Debug, Clone)]
pub struct Origin {
    /// The client's address.
    pub address: std::net::IpAddr,
    /// SHA-256 of the bearer token, when one came.
    pub token_fingerprint: Option<String>,
}

impl Default for Origin {
    fn default() -> Self {
        Self { address: std::net::IpAddr::from([0, 0, 0, 0]), token_fingerprint: None }
    }
}

impl RequestContext {
    /// A context for `viewer` over `db`, announcing writes on `events`.
    pub fn new(
        db: DatabaseConnection,
        viewer: Viewer,
        request_id: Option<String>,
        events: std::sync::Arc<crate::events::EventBus>,
    ) -> Self {
        // Lists prefetch what their items need (see `prefetch`); what is left is batched
        // after a short wait rather than the default 1 ms per nesting level. The cache
        // lives for this request only, so it never serves another viewer or a stale row.
        let loader = DataLoader::with_cache(
            loaders::Db::new(db, viewer.clone()),
            crate::metrics::spawn_counted,
            async_graphql::dataloader::HashMapCache::default(),
        )
        .delay(std::time::Duration::from_micros(250));
        Self { viewer, loader, request_id, events, origin: Origin::default() }
    }

    /// The same context, for a request from `origin`.
    pub fn from_origin(mut self, origin: Origin) -> Self {
        self.origin = origin;
        self
    }

    /// A context for a long-lived subscription connection: nothing is cached between
    /// events, so every event is read fresh.
    pub fn for_subscriptions(
        db: DatabaseConnection,
        viewer: Viewer,
        events: std::sync::Arc<crate::events::EventBus>,
    ) -> Self {
        let context = Self::new(db, viewer, None, events);
        context.loader.enable_all_cache(false);
        context
    }
}

impl RequestContext {
    /// The viewer, request id, time and event bus of a write.
    pub fn write_context(&self) -> crate::service::write::WriteContext<'_> {
        crate::service::write::WriteContext::new(&self.viewer)
            .in_request(self.request_id.as_deref())
            .announcing(&self.events)
    }
}

/// Splits a service result into a payload's object and its user errors; other errors
/// become GraphQL errors with their codes.
pub fn split_user_errors<T>(
    result: Result<T, ServiceError>,
) -> async_graphql::Result<(Option<T>, Vec<user_errors::UserError>)> {
    match result {
        Ok(value) => Ok((Some(value), Vec::new())),
        Err(ServiceError::Invalid(errors)) => Ok((None, errors.into_iter().map(Into::into).collect())),
        Err(other) => Err(other.into_graphql()),
    }
}

/// The request's context; missing only if a transport forgot to attach it.
pub fn request<'a>(ctx: &Context<'a>) -> async_graphql::Result<&'a RequestContext> {
    ctx.data::<RequestContext>().map_err(|_| ServiceError::Internal("request context missing".into()).into_graphql())
}

/// The database pool.
pub fn db<'a>(ctx: &Context<'a>) -> async_graphql::Result<&'a DatabaseConnection> {
    ctx.data::<DatabaseConnection>()
        .map_err(|_| ServiceError::Internal("database missing from schema".into()).into_graphql())
}

/// Service results as GraphQL results.
pub trait OrGraphql<T> {
    /// Maps the service error through the error policy.
    fn gql(self) -> async_graphql::Result<T>;
}

impl<T> OrGraphql<T> for Result<T, ServiceError> {
    fn gql(self) -> async_graphql::Result<T> {
        self.map_err(ServiceError::into_graphql)
    }
}
