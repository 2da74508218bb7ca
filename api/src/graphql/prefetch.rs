//! Loading a whole page's related rows up front, so that nested fields find them in
//! the request's DataLoader cache.
//!
//! DataLoaders batch by waiting a moment for sibling fields; under load that moment is
//! not always enough, and a feed would then run more statements than it should. A list
//! resolver therefore looks ahead at what the query selects below it and loads each
//! kind of related row for the whole page in one statement: a feed of threads with
//! authors, partners, tags and first replies with their authors costs the same handful
//! of statements for 5 threads as for 100.

use std::collections::{BTreeSet, HashMap};

use async_graphql::dataloader::DataLoader;
use async_graphql::{Context, Lookahead, Value};
use lkn_entity::{collaboration, member, thread};
use sea_orm::DatabaseConnection;

use crate::error::ServiceError;
use crate::graphql::loaders::{Db, FirstReplies, MemberById, OutcomesOf, ParticipantsOf, PartnerById, TagsOfThread};
use crate::graphql::{db, request};
use crate::service::{collaborations, threads};

/// A field this module looks ahead for, named as the schema names it, with the types
/// that have it. A unit test checks every one against the schema, so renaming a resolver
/// breaks a test instead of silently ending its prefetch.
#[derive(Debug, Clone, Copy)]
struct Field {
    /// The types that have it, for the test that checks the name against the schema.
    #[cfg_attr(not(test), expect(dead_code, reason = "read by the schema check in the tests"))]
    on: &'static [&'static str],
    name: &'static str,
}

const CONNECTIONS: &[&str] = &["ThreadConnection", "ReplyConnection", "CollaborationConnection"];
const NODES: Field = Field { on: CONNECTIONS, name: "nodes" };
const EDGES: Field = Field { on: CONNECTIONS, name: "edges" };
const NODE: Field = Field { on: &["ThreadEdge", "ReplyEdge", "CollaborationEdge"], name: "node" };
const THREAD_TAGS: Field = Field { on: &["Thread"], name: "tags" };
const THREAD_AUTHOR: Field = Field { on: &["Thread"], name: "author" };
const THREAD_PARTNER: Field = Field { on: &["Thread"], name: "partner" };
const THREAD_REPLIES: Field = Field { on: &["Thread"], name: "replies" };
const REPLY_AUTHOR: Field = Field { on: &["Reply"], name: "author" };
const MEMBER_PARTNER: Field = Field { on: &["Member"], name: "partner" };
const LEAD_PARTNER: Field = Field { on: &["Collaboration"], name: "leadPartner" };
const PARTICIPANTS: Field = Field { on: &["Collaboration"], name: "participants" };
const COMBINED_REACH: Field = Field { on: &["Collaboration"], name: "combinedAudienceReach" };
const OUTCOMES: Field = Field { on: &["Collaboration"], name: "outcomes" };
const PARTICIPANT_PARTNER: Field = Field { on: &["Participant"], name: "partner" };
const OUTCOME_PARTNER: Field = Field { on: &["Outcome"], name: "partner" };
/// The argument of `Thread.replies` that sets its page size.
const REPLIES_FIRST: &str = "first";

/// Several selections treated as one: a connection's `nodes` and `edges.node`.
struct Selected<'a>(Vec<Lookahead<'a>>);

impl<'a> Selected<'a> {
    /// The objects of a list field: `nodes`, `edges { node }`, or the field itself for a plain list.
    fn items(list: Lookahead<'a>) -> Self {
        let nodes = list.field(NODES.name);
        let edges = list.field(EDGES.name).field(NODE.name);
        Self(vec![list, nodes, edges])
    }

    fn field(&self, field: Field) -> Selected<'a> {
        Selected(self.0.iter().map(|l| l.field(field.name)).collect())
    }

    fn exists(&self) -> bool {
        self.0.iter().any(Lookahead::exists)
    }

    /// The integer argument `name` of the selected fields, if given literally or by variable.
    fn int_arguments(&self, name: &str) -> Vec<Option<i64>> {
        self.0
            .iter()
            .flat_map(Lookahead::selection_fields)
            .map(|field| {
                field.arguments().ok().and_then(|args| args.into_iter().find(|(n, _)| n.as_str() == name)).and_then(
                    |(_, value)| match value {
                        Value::Number(n) => n.as_i64(),
                        _ => None,
                    },
                )
            })
            .collect()
    }
}

type Loader = DataLoader<Db, async_graphql::dataloader::HashMapCache>;

async fn feed_members(
    loader: &Loader,
    db: &DatabaseConnection,
    viewer: &crate::service::viewer::Viewer,
    ids: BTreeSet<i64>,
) -> async_graphql::Result<Vec<member::Model>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let rows = crate::service::members::visible_by_ids(db, viewer, ids).await.map_err(ServiceError::into_graphql)?;
    loader.feed_many(rows.iter().map(|m| (MemberById(m.id), m.clone()))).await;
    Ok(rows)
}

async fn feed_partners(loader: &Loader, db: &DatabaseConnection, ids: BTreeSet<i64>) -> async_graphql::Result<()> {
    if ids.is_empty() {
        return Ok(());
    }
    let rows = crate::service::partners::by_ids(db, ids).await.map_err(ServiceError::into_graphql)?;
    loader.feed_many(rows.into_iter().map(|p| (PartnerById(p.id), p))).await;
    Ok(())
}

/// Loads what the query selects below a list of threads, for all of them at once.
/// `items` is the lookahead of the list field (a connection or a plain list).
pub async fn threads(ctx: &Context<'_>, items: Lookahead<'_>, rows: &[thread::Model]) -> async_graphql::Result<()> {
    if rows.is_empty() {
        return Ok(());
    }
    let selected = Selected::items(items);
    let loader = &request(ctx)?.loader;
    let db = db(ctx)?;
    let ids: Vec<i64> = rows.iter().map(|t| t.id).collect();

    if selected.field(THREAD_TAGS).exists() {
        let mut tags = threads::tags_of(db, &ids).await.map_err(ServiceError::into_graphql)?;
        loader.feed_many(ids.iter().map(|id| (TagsOfThread(*id), tags.remove(id).unwrap_or_default()))).await;
    }

    let mut member_ids = BTreeSet::new();
    let author = selected.field(THREAD_AUTHOR);
    if author.exists() {
        member_ids.extend(rows.iter().map(|t| t.author_id));
    }
    let replies = selected.field(THREAD_REPLIES);
    let reply_items =
        Selected(replies.0.iter().flat_map(|l| [l.field(NODES.name), l.field(EDGES.name).field(NODE.name)]).collect());
    let reply_author = reply_items.field(REPLY_AUTHOR);
    // The same page size as `Thread.replies` asks its loader for: `first` (default 20) plus one.
    let sizes: BTreeSet<u64> = replies
        .int_arguments(REPLIES_FIRST)
        .into_iter()
        .filter_map(|n| {
            let n = n.unwrap_or(crate::service::page::DEFAULT_PAGE_SIZE as i64);
            (1..=crate::service::page::MAX_PAGE_SIZE as i64).contains(&n).then_some(n as u64 + 1)
        })
        .collect();
    for n in sizes {
        let mut found = threads::first_replies(db, &ids, n).await.map_err(ServiceError::into_graphql)?;
        if reply_author.exists() {
            member_ids.extend(found.values().flatten().map(|r| r.author_id));
        }
        loader
            .feed_many(ids.iter().map(|id| (FirstReplies { thread_id: *id, n }, found.remove(id).unwrap_or_default())))
            .await;
    }

    let members = feed_members(loader, db, &request(ctx)?.viewer, member_ids).await?;
    let mut partner_ids = BTreeSet::new();
    if selected.field(THREAD_PARTNER).exists() {
        partner_ids.extend(rows.iter().map(|t| t.partner_id));
    }
    if author.field(MEMBER_PARTNER).exists() || reply_author.field(MEMBER_PARTNER).exists() {
        partner_ids.extend(members.iter().map(|m| m.partner_id));
    }
    feed_partners(loader, db, partner_ids).await
}

/// Loads what the query selects below a list of collaborations, for all of them at once.
pub async fn collaborations(
    ctx: &Context<'_>,
    items: Lookahead<'_>,
    rows: &[collaboration::Model],
) -> async_graphql::Result<()> {
    if rows.is_empty() {
        return Ok(());
    }
    let selected = Selected::items(items);
    let loader = &request(ctx)?.loader;
    let db = db(ctx)?;
    let ids: Vec<i64> = rows.iter().map(|c| c.id).collect();
    let mut partner_ids = BTreeSet::new();
    if selected.field(LEAD_PARTNER).exists() {
        partner_ids.extend(rows.iter().map(|c| c.lead_partner_id));
    }
    let participants = selected.field(PARTICIPANTS);
    let reach = selected.field(COMBINED_REACH);
    if participants.exists() || reach.exists() {
        let mut found: HashMap<i64, Vec<_>> =
            collaborations::participants_of(db, &ids).await.map_err(ServiceError::into_graphql)?;
        if participants.field(PARTICIPANT_PARTNER).exists() || reach.exists() {
            partner_ids.extend(found.values().flatten().map(|p| p.partner_id));
        }
        loader.feed_many(ids.iter().map(|id| (ParticipantsOf(*id), found.remove(id).unwrap_or_default()))).await;
    }
    let outcomes = selected.field(OUTCOMES);
    if outcomes.exists() {
        let mut found = collaborations::outcomes_of(db, &ids).await.map_err(ServiceError::into_graphql)?;
        if outcomes.field(OUTCOME_PARTNER).exists() {
            partner_ids.extend(found.values().flatten().map(|o| o.partner_id));
        }
        loader.feed_many(ids.iter().map(|id| (OutcomesOf(*id), found.remove(id).unwrap_or_default()))).await;
    }
    feed_partners(loader, db, partner_ids).await
}

#[cfg(test)]
mod tests {
    use async_graphql::parser::types::{TypeKind, TypeSystemDefinition};

    use super::*;

    const ALL: &[Field] = &[
        NODES,
        EDGES,
        NODE,
        THREAD_TAGS,
        THREAD_AUTHOR,
        THREAD_PARTNER,
        THREAD_REPLIES,
        REPLY_AUTHOR,
        MEMBER_PARTNER,
        LEAD_PARTNER,
        PARTICIPANTS,
        COMBINED_REACH,
        OUTCOMES,
        PARTICIPANT_PARTNER,
        OUTCOME_PARTNER,
    ];

    /// The fields of each object type in the schema as served.
    fn schema_fields() -> HashMap<String, Vec<(String, Vec<String>)>> {
        let document = async_graphql::parser::parse_schema(crate::schema_sdl()).expect("the schema parses");
        let mut types = HashMap::new();
        for definition in document.definitions {
            if let TypeSystemDefinition::Type(definition) = definition
                && let TypeKind::Object(object) = &definition.node.kind
            {
                let fields = object
                    .fields
                    .iter()
                    .map(|f| {
                        let arguments = f.node.arguments.iter().map(|a| a.node.name.node.to_string()).collect();
                        (f.node.name.node.to_string(), arguments)
                    })
                    .collect();
                types.insert(definition.node.name.node.to_string(), fields);
            }
        }
        types
    }

    #[test]
    fn every_field_prefetch_looks_for_is_in_the_schema() {
        let types = schema_fields();
        for field in ALL {
            for on in field.on {
                let fields = types.get(*on).unwrap_or_else(|| panic!("no type {on} in the schema"));
                assert!(
                    fields.iter().any(|(name, _)| name == field.name),
                    "{on}.{} is gone: prefetch would silently stop loading it",
                    field.name
                );
            }
        }
    }

    #[test]
    fn the_replies_page_size_argument_is_in_the_schema() {
        let types = schema_fields();
        let replies = types["Thread"].iter().find(|(name, _)| name == THREAD_REPLIES.name).expect("Thread.replies");
        assert!(replies.1.iter().any(|a| a == REPLIES_FIRST));
    }
}
