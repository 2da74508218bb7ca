//! Per-request DataLoaders: every nested field that needs related rows asks here, and
//! all asks made while one level of the query resolves are served by one statement.
//! This is what keeps a feed of 50 threads with authors, partners, tags and replies at
//! the same handful of statements as a feed of 5. Each loader only adapts a service
//! function, which holds the visibility rule; none reads a table itself.

use std::collections::HashMap;

use async_graphql::dataloader::Loader;
use lkn_entity::{collaboration, collaboration_outcome, collaboration_participant, member, partner, reply, thread};
use sea_orm::DatabaseConnection;

use crate::error::ServiceError;
use crate::service::viewer::Viewer;
use crate::service::{collaborations, partners, profiles, threads};

/// The loader behind every key type below: the pool and the viewer whose visibility
/// rules apply.
pub struct Db {
    db: DatabaseConnection,
    viewer: Viewer,
}

impl Db {
    /// A loader for one request.
    pub fn new(db: DatabaseConnection, viewer: Viewer) -> Self {
        Self { db, viewer }
    }
}

/// Errors are shared between every field that waited on the same batch.
type LoadError = async_graphql::Error;

fn fail(error: impl Into<ServiceError>) -> LoadError {
    error.into().into_graphql()
}

/// A partner by id.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct PartnerById(pub i64);
/// A member by id, if the viewer may see staff records.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct MemberById(pub i64);
/// A thread by id, if the viewer may see it.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct VisibleThread(pub i64);
/// A reply by id, if the viewer may see its thread.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct VisibleReply(pub i64);
/// A collaboration by id, if the viewer may see it.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct VisibleCollaboration(pub i64);
/// The tag names of a thread.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct TagsOfThread(pub i64);
/// The topics a member declares they know about.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct ExpertiseOf(pub i64);
/// The first `n` replies of a thread.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct FirstReplies {
    /// The thread.
    pub thread_id: i64,
    /// How many.
    pub n: u64,
}
/// The participants of a collaboration.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct ParticipantsOf(pub i64);
/// The outcomes of a collaboration.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct OutcomesOf(pub i64);

impl Loader<PartnerById> for Db {
    type Value = partner::Model;
    type Error = LoadError;

    async fn load(&self, keys: &[PartnerById]) -> Result<HashMap<PartnerById, partner::Model>, LoadError> {
        let rows = partners::by_ids(&self.db, keys.iter().map(|k| k.0)).await.map_err(fail)?;
        Ok(rows.into_iter().map(|p| (PartnerById(p.id), p)).collect())
    }
}

impl Loader<MemberById> for Db {
    type Value = member::Model;
    type Error = LoadError;

    async fn load(&self, keys: &[MemberById]) -> Result<HashMap<MemberById, member::Model>, LoadError> {
        let rows = crate::service::members::visible_by_ids(&self.db, &self.viewer, keys.iter().map(|k| k.0))
            .await
            .map_err(fail)?;
        Ok(rows.into_iter().map(|m| (MemberById(m.id), m)).collect())
    }
}

impl Loader<VisibleThread> for Db {
    type Value = thread::Model;
    type Error = LoadError;

    async fn load(&self, keys: &[VisibleThread]) -> Result<HashMap<VisibleThread, thread::Model>, LoadError> {
        let ids: Vec<i64> = keys.iter().map(|k| k.0).collect();
        let rows = threads::visible_by_ids(&self.db, &self.viewer, &ids).await.map_err(fail)?;
        Ok(rows.into_iter().map(|(id, t)| (VisibleThread(id), t)).collect())
    }
}

impl Loader<VisibleReply> for Db {
    type Value = reply::Model;
    type Error = LoadError;

    async fn load(&self, keys: &[VisibleReply]) -> Result<HashMap<VisibleReply, reply::Model>, LoadError> {
        let rows =
            threads::visible_replies_by_ids(&self.db, &self.viewer, keys.iter().map(|k| k.0)).await.map_err(fail)?;
        Ok(rows.into_iter().map(|r| (VisibleReply(r.id), r)).collect())
    }
}

impl Loader<VisibleCollaboration> for Db {
    type Value = collaboration::Model;
    type Error = LoadError;

    async fn load(
        &self,
        keys: &[VisibleCollaboration],
    ) -> Result<HashMap<VisibleCollaboration, collaboration::Model>, LoadError> {
        let ids: Vec<i64> = keys.iter().map(|k| k.0).collect();
        let rows = collaborations::visible_by_ids(&self.db, &self.viewer, &ids).await.map_err(fail)?;
        Ok(rows.into_iter().map(|(id, c)| (VisibleCollaboration(id), c)).collect())
    }
}

impl Loader<TagsOfThread> for Db {
    type Value = Vec<String>;
    type Error = LoadError;

    async fn load(&self, keys: &[TagsOfThread]) -> Result<HashMap<TagsOfThread, Vec<String>>, LoadError> {
        let ids: Vec<i64> = keys.iter().map(|k| k.0).collect();
        let mut found = threads::tags_of(&self.db, &ids).await.map_err(fail)?;
        Ok(keys.iter().map(|k| (*k, found.remove(&k.0).unwrap_or_default())).collect())
    }
}

impl Loader<ExpertiseOf> for Db {
    type Value = Vec<String>;
    type Error = LoadError;

    async fn load(&self, keys: &[ExpertiseOf]) -> Result<HashMap<ExpertiseOf, Vec<String>>, LoadError> {
        let ids: Vec<i64> = keys.iter().map(|k| k.0).collect();
        let mut found = profiles::expertise_of(&self.db, &ids).await.map_err(fail)?;
        Ok(keys.iter().map(|k| (*k, found.remove(&k.0).unwrap_or_default())).collect())
    }
}

impl Loader<FirstReplies> for Db {
    type Value = Vec<reply::Model>;
    type Error = LoadError;

    async fn load(&self, keys: &[FirstReplies]) -> Result<HashMap<FirstReplies, Vec<reply::Model>>, LoadError> {
        // One statement per distinct page size: a query asks for one size per field.
        let mut by_size: HashMap<u64, Vec<i64>> = HashMap::new();
        for key in keys {
            by_size.entry(key.n).or_default().push(key.thread_id);
        }
        let mut out = HashMap::new();
        for (n, ids) in by_size {
            let mut found = threads::first_replies(&self.db, &ids, n).await.map_err(fail)?;
            for id in ids {
                out.insert(FirstReplies { thread_id: id, n }, found.remove(&id).unwrap_or_default());
            }
        }
        Ok(out)
    }
}

impl Loader<ParticipantsOf> for Db {
    type Value = Vec<collaboration_participant::Model>;
    type Error = LoadError;

    async fn load(
        &self,
        keys: &[ParticipantsOf],
    ) -> Result<HashMap<ParticipantsOf, Vec<collaboration_participant::Model>>, LoadError> {
        let ids: Vec<i64> = keys.iter().map(|k| k.0).collect();
        let mut found = collaborations::participants_of(&self.db, &ids).await.map_err(fail)?;
        Ok(keys.iter().map(|k| (*k, found.remove(&k.0).unwrap_or_default())).collect())
    }
}

impl Loader<OutcomesOf> for Db {
    type Value = Vec<collaboration_outcome::Model>;
    type Error = LoadError;

    async fn load(
        &self,
        keys: &[OutcomesOf],
    ) -> Result<HashMap<OutcomesOf, Vec<collaboration_outcome::Model>>, LoadError> {
        let ids: Vec<i64> = keys.iter().map(|k| k.0).collect();
        let mut found = collaborations::outcomes_of(&self.db, &ids).await.map_err(fail)?;
        Ok(keys.iter().map(|k| (*k, found.remove(&k.0).unwrap_or_default())).collect())
    }
}
