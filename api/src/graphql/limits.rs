//! Limits on what one GraphQL document may ask for, checked right after parsing and
//! before any work: how many fields (aliases and `__typename` included), how many
//! directives, how many root fields and how many expensive root fields (the ones that
//! read every thread). Depth and complexity are checked by async-graphql's own
//! validation, with the costs below; this module also gives its refusals, and every other
//! error that lacks one, a code. While a request runs, [`PoolShare`] lets only a few of
//! its root fields work at once, so one request holds only a share of the pool.

use std::sync::Arc;

use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextParseQuery, NextResolve, ResolveInfo,
};
use async_graphql::parser::types::{ExecutableDocument, Selection, SelectionSet};
use async_graphql::{ServerError, ServerResult, Variables};

use crate::error::ErrorCode;

/// The complexity of a field that reads every visible thread (figures, tag counts, a
/// ranking with its count): as much as a page of 100 items with ten fields each. Lists'
/// own `totalCount` is not priced apart: it sits inside the connection's selection,
/// whose cost is multiplied by `first`, and the unfiltered feeds read it from a counter.
pub const SCAN_COST: usize = 1_000;
/// Root fields that read every visible thread whatever their arguments.
pub const EXPENSIVE_ROOT_FIELDS: [&str; 5] = ["networkStats", "search", "similarThreads", "tags", "whoKnows"];

/// The per-document limits.
#[derive(Debug, Clone, Copy)]
pub struct DocumentLimits {
    /// Most field selections in the document, counting aliases and `__typename`.
    pub max_fields: usize,
    /// Most directives in the document.
    pub max_directives: usize,
    /// Most root fields in one operation, aliases included.
    pub max_root_fields: usize,
    /// Most [`EXPENSIVE_ROOT_FIELDS`] in one operation, aliases included.
    pub max_expensive_fields: usize,
}

/// The root fields an operation selects, by name, following fragments at the root.
fn root_fields<'a>(set: &'a SelectionSet, document: &'a ExecutableDocument, names: &mut Vec<&'a str>, depth: usize) {
    if depth > 8 {
        return;
    }
    for item in &set.items {
        match &item.node {
            Selection::Field(field) => names.push(field.node.name.node.as_str()),
            Selection::InlineFragment(fragment) => {
                root_fields(&fragment.node.selection_set.node, document, names, depth + 1);
            }
            Selection::FragmentSpread(spread) => {
                if let Some(fragment) = document.fragments.get(&spread.node.fragment_name.node) {
                    root_fields(&fragment.node.selection_set.node, document, names, depth + 1);
                }
            }
        }
    }
}

impl ExtensionFactory for DocumentLimits {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(DocumentLimitsCheck(*self))
    }
}

struct DocumentLimitsCheck(DocumentLimits);

/// Fields and directives in a selection set, fragments' own sets counted where defined.
fn count(set: &SelectionSet, fields: &mut usize, directives: &mut usize) {
    for item in &set.items {
        match &item.node {
            Selection::Field(field) => {
                *fields += 1;
                *directives += field.node.directives.len();
                count(&field.node.selection_set.node, fields, directives);
            }
            Selection::FragmentSpread(spread) => *directives += spread.node.directives.len(),
            Selection::InlineFragment(fragment) => {
                *directives += fragment.node.directives.len();
                count(&fragment.node.selection_set.node, fields, directives);
            }
        }
    }
}

/// A refusal with the code QUERY_TOO_COMPLEX.
pub fn too_complex(message: impl Into<String>) -> ServerError {
    let mut error = ServerError::new(message, None);
    let mut extensions = async_graphql::ErrorExtensionValues::default();
    extensions.set("code", ErrorCode::QueryTooComplex.as_str());
    error.extensions = Some(extensions);
    error
}

#[async_graphql::async_trait::async_trait]
impl Extension for DocumentLimitsCheck {
    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        let document: ExecutableDocument = next.run(ctx, query, variables).await?;
        let (mut fields, mut directives) = (0, 0);
        for (_, operation) in document.operations.iter() {
            directives += operation.node.directives.len();
            count(&operation.node.selection_set.node, &mut fields, &mut directives);
        }
        for fragment in document.fragments.values() {
            directives += fragment.node.directives.len();
            count(&fragment.node.selection_set.node, &mut fields, &mut directives);
        }
        if fields > self.0.max_fields {
            return Err(too_complex(format!(
                "the query selects {fields} fields; at most {} are allowed",
                self.0.max_fields
            )));
        }
        if directives > self.0.max_directives {
            return Err(too_complex(format!(
                "the query has {directives} directives; at most {} are allowed",
                self.0.max_directives
            )));
        }
        for (_, operation) in document.operations.iter() {
            let mut names = Vec::new();
            root_fields(&operation.node.selection_set.node, &document, &mut names, 0);
            if names.len() > self.0.max_root_fields {
                return Err(too_complex(format!(
                    "the operation selects {} root fields; at most {} are allowed",
                    names.len(),
                    self.0.max_root_fields
                )));
            }
            let expensive = names.iter().filter(|name| EXPENSIVE_ROOT_FIELDS.contains(name)).count();
            if expensive > self.0.max_expensive_fields {
                return Err(too_complex(format!(
                    "the operation asks for {expensive} of networkStats, search, similarThreads, tags and whoKnows; \
                     at most {} are allowed in one request",
                    self.0.max_expensive_fields
                )));
            }
        }
        Ok(document)
    }
}

/// Gives every error in a response a code: the limit refusals of validation become
/// QUERY_TOO_COMPLEX, other parse and validation errors BAD_REQUEST.
pub fn code_uncoded_errors(response: &mut async_graphql::Response) {
    for error in &mut response.errors {
        let has_code = error.extensions.as_ref().is_some_and(|e| e.get("code").is_some());
        if has_code {
            continue;
        }
        let code = if error.message.contains("too complex") || error.message.contains("nested too deep") {
            ErrorCode::QueryTooComplex
        } else {
            ErrorCode::BadRequest
        };
        error.extensions.get_or_insert_with(Default::default).set("code", code.as_str());
    }
}

/// The share of the database pool one caller may hold: however many requests and
/// aliases they send, at most this many of their root fields (each with everything below
/// it) resolve at once; the rest wait their turn. Transports attach the caller's share to
/// each request (see `edge::PoolShares`); a request without one is not limited.
#[derive(Debug, Clone)]
pub struct CallerShare(pub Arc<tokio::sync::Semaphore>);

/// The extension that makes root fields wait for their caller's [`CallerShare`].
#[derive(Debug, Clone, Copy, Default)]
pub struct PoolShare;

impl ExtensionFactory for PoolShare {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(PoolShare)
    }
}

#[async_graphql::async_trait::async_trait]
impl Extension for PoolShare {
    async fn resolve(
        &self,
        ctx: &ExtensionContext<'_>,
        info: ResolveInfo<'_>,
        next: NextResolve<'_>,
    ) -> ServerResult<Option<async_graphql::Value>> {
        let share = match ctx.data_opt::<CallerShare>() {
            Some(share) if info.path_node.parent.is_none() => share,
            _ => return next.run(ctx, info).await,
        };
        // A share is never closed, so acquiring only waits.
        let _permit = share.0.acquire().await.ok();
        next.run(ctx, info).await
    }
}
