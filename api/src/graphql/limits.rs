//! Limits on what one GraphQL document may ask for, checked right after parsing and
//! before any work: how many fields (aliases and `__typename` included) and how many
//! directives. Depth and complexity are checked by async-graphql's own validation; this
//! module also gives its refusals, and every other error that lacks one, a code.

use std::sync::Arc;

use async_graphql::extensions::{Extension, ExtensionContext, ExtensionFactory, NextParseQuery};
use async_graphql::parser::types::{ExecutableDocument, Selection, SelectionSet};
use async_graphql::{ServerError, ServerResult, Variables};

use crate::error::ErrorCode;

/// The per-document limits.
#[derive(Debug, Clone, Copy)]
pub struct DocumentLimits {
    /// Most field selections in the document, counting aliases and `__typename`.
    pub max_fields: usize,
    /// Most directives in the document.
    pub max_directives: usize,
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
