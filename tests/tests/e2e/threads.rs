//! Thread feeds: nested data read back complete, every ordering pages cleanly, filters
//! narrow, and anonymous callers see public threads only, wherever they look.

use std::collections::HashSet;

use lkn_entity::thread;
use lkn_entity::vocabulary::{MemberRole, Visibility};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{Value, json};

use crate::on_both_databases;
use crate::support::TestApp;

const FEED: &str = r#"query($after: String, $order: ThreadOrder!, $filter: ThreadFilter) {
  threads(first: 50, after: $after, orderBy: $order, filter: $filter) {
    totalCount
    nodes {
      id kind title language status visibility replyCount endorsementCount endorsingPartnerCount
      tags createdAt lastActivityAt
      author { displayName partner { name } }
      partner { slug }
      replies(first: 5) { totalCount nodes { id body isAccepted author { displayName } } }
      acceptedReply { id isAccepted }
    }
    pageInfo { hasNextPage endCursor }
  }
}"#;

async fn walk(app: &TestApp, token: Option<&str>, order: &str, filter: Value) -> (i64, Vec<Value>) {
    let mut after = Value::Null;
    let mut nodes = Vec::new();
    loop {
        let data = app.data(token, FEED, json!({ "after": after, "order": order, "filter": filter })).await;
        let page = &data["threads"];
        let total = page["totalCount"].as_i64().expect("totalCount");
        nodes.extend(page["nodes"].as_array().expect("nodes").iter().cloned());
        if !page["pageInfo"]["hasNextPage"].as_bool().expect("hasNextPage") {
            return (total, nodes);
        }
        after = page["pageInfo"]["endCursor"].clone();
        assert!(nodes.len() as i64 <= total, "paging ran past totalCount");
    }
}

async fn count(app: &TestApp, public_only: bool) -> i64 {
    let mut select = thread::Entity::find();
    if public_only {
        select = select.filter(thread::Column::Visibility.eq(Visibility::Public));
    }
    select.count(&app.db).await.expect("count") as i64
}

on_both_databases! {
    async fn a_demo_feed_reads_back_complete_in_every_order(app) {
        app.seed_demo(240).await;
        let token = app.member_token("british-library", MemberRole::Member).await;
        let all = count(app, false).await;
        for order in ["NEWEST", "RECENTLY_ACTIVE", "MOST_ENDORSED", "UNANSWERED_FIRST"] {
            let (total, nodes) = walk(app, Some(&token), order, Value::Null).await;
            assert_eq!(total, all, "{order}: a member sees every thread");
            assert_eq!(nodes.len() as i64, all, "{order}: walking the pages returns every thread");
            let ids: HashSet<&str> = nodes.iter().map(|n| n["id"].as_str().expect("id")).collect();
            assert_eq!(ids.len(), nodes.len(), "{order}: no thread appears twice");
            let keys: Vec<i64> = nodes
                .iter()
                .map(|n| match order {
                    "MOST_ENDORSED" => -n["endorsementCount"].as_i64().expect("count"),
                    "UNANSWERED_FIRST" => n["replyCount"].as_i64().expect("count"),
                    "RECENTLY_ACTIVE" => -chrono::DateTime::parse_from_rfc3339(n["lastActivityAt"].as_str().expect("time"))
                        .expect("rfc3339")
                        .timestamp_micros(),
                    _ => -chrono::DateTime::parse_from_rfc3339(n["createdAt"].as_str().expect("time"))
                        .expect("rfc3339")
                        .timestamp_micros(),
                })
                .collect();
            assert!(keys.windows(2).all(|w| w[0] <= w[1]), "{order}: the feed is in order");
        }
        let (_, nodes) = walk(app, Some(&token), "NEWEST", Value::Null).await;
        for node in &nodes {
            assert!(node["author"]["displayName"].as_str().is_some_and(|s| !s.is_empty()));
            assert!(node["author"]["partner"]["name"].is_string());
            assert!(node["partner"]["slug"].is_string());
            let tags = node["tags"].as_array().expect("tags");
            assert!(!tags.is_empty() && tags.len() <= 5);
            let replies = &node["replies"];
            assert_eq!(replies["totalCount"], node["replyCount"]);
            let shown = replies["nodes"].as_array().expect("replies").len() as i64;
            assert_eq!(shown, node["replyCount"].as_i64().expect("replyCount").min(5));
            assert!(replies["nodes"].as_array().expect("replies").iter().all(|r| r["author"]["displayName"].is_string()));
            if node["status"] == "ANSWERED" {
                assert_eq!(node["acceptedReply"]["isAccepted"], true);
            }
        }
        assert!(nodes.iter().any(|n| n["language"] == "CY"), "some threads are in Welsh");
        assert!(nodes.iter().any(|n| n["visibility"] == "NETWORK"));
        for kind in ["QUESTION", "IDEA", "RESOURCE"] {
            assert!(nodes.iter().any(|n| n["kind"] == kind), "some {kind} threads");
        }
    }
}

on_both_databases! {
    async fn anonymous_callers_see_public_threads_only_wherever_they_look(app) {
        app.seed_demo(200).await;
        let public = count(app, true).await;
        let (total, nodes) = walk(app, None, "NEWEST", Value::Null).await;
        assert_eq!(total, public);
        assert_eq!(nodes.len() as i64, public);
        assert!(nodes.iter().all(|n| n["visibility"] == "PUBLIC"));

        let hidden = thread::Entity::find()
            .filter(thread::Column::Visibility.eq(Visibility::Network))
            .one(&app.db)
            .await
            .expect("query")
            .expect("the demo has network-only threads");
        let hidden_id = lkn_api::graphql::ids::encode(lkn_api::graphql::ids::NodeType::Thread, hidden.id);
        let data = app
            .data(None, "query($id: ID!) { thread(id: $id) { id } node(id: $id) { id } }", json!({ "id": hidden_id }))
            .await;
        assert!(data["thread"].is_null() && data["node"].is_null(), "a network-only thread is not found: {data}");
        let token = app.member_token("glasgow-life", MemberRole::Member).await;
        let data = app
            .data(Some(&token), "query($id: ID!) { thread(id: $id) { id } node(id: $id) { id } }", json!({ "id": hidden_id }))
            .await;
        assert_eq!(data["thread"]["id"], json!(hidden_id.0));

        if let Some(reply_id) = hidden.accepted_reply_id {
            let id = lkn_api::graphql::ids::encode(lkn_api::graphql::ids::NodeType::Reply, reply_id);
            let data = app.data(None, "query($id: ID!) { node(id: $id) { id } }", json!({ "id": id })).await;
            assert!(data["node"].is_null(), "a reply in a hidden thread is hidden too");
        }

        let data = app
            .data(None, "{ partners(first: 30) { nodes { threads(first: 100) { totalCount nodes { visibility } } } } }", json!({}))
            .await;
        let nested: Vec<&Value> = data["partners"]["nodes"]
            .as_array()
            .expect("partners")
            .iter()
            .flat_map(|p| p["threads"]["nodes"].as_array().expect("threads").iter())
            .collect();
        assert!(nested.iter().all(|t| t["visibility"] == "PUBLIC"));
        let nested_total: i64 = data["partners"]["nodes"]
            .as_array()
            .expect("partners")
            .iter()
            .map(|p| p["threads"]["totalCount"].as_i64().expect("totalCount"))
            .sum();
        assert_eq!(nested_total, public);

        let data = app
            .data(None, "{ collaborations(first: 100) { nodes { visibility originThread { visibility } } } }", json!({}))
            .await;
        for collaboration in data["collaborations"]["nodes"].as_array().expect("collaborations") {
            assert_eq!(collaboration["visibility"], "PUBLIC");
            assert!(collaboration["originThread"].is_null() || collaboration["originThread"]["visibility"] == "PUBLIC");
        }
        let stats = app.data(None, "{ networkStats { threadCount } }", json!({})).await;
        assert_eq!(stats["networkStats"]["threadCount"], json!(public));
    }
}

on_both_databases! {
    async fn filters_narrow_the_feed(app) {
        app.seed_demo(300).await;
        let token = app.member_token("national-library-of-wales", MemberRole::Member).await;
        let (_, welsh) = walk(app, Some(&token), "NEWEST", json!({ "language": "CY" })).await;
        assert!(!welsh.is_empty());
        assert!(welsh.iter().all(|n| n["language"] == "CY"));
        let (_, questions) = walk(app, Some(&token), "NEWEST", json!({ "kind": "QUESTION", "status": "ANSWERED" })).await;
        assert!(questions.iter().all(|n| n["kind"] == "QUESTION" && n["status"] == "ANSWERED"));
        let (_, tagged) = walk(app, Some(&token), "NEWEST", json!({ "tag": "storytime" })).await;
        assert!(!tagged.is_empty());
        assert!(tagged.iter().all(|n| n["tags"].as_array().expect("tags").contains(&json!("storytime"))));
        let (_, from_glasgow) = walk(app, Some(&token), "NEWEST", json!({ "partnerSlug": "glasgow-life" })).await;
        assert!(from_glasgow.iter().all(|n| n["partner"]["slug"] == "glasgow-life"));
        let (_, titled) = walk(app, Some(&token), "NEWEST", json!({ "titleContains": "STORYTIME" })).await;
        assert!(!titled.is_empty());
        assert!(titled.iter().all(|n| n["title"].as_str().expect("title").to_lowercase().contains("storytime")));
        let (total, _) = walk(app, Some(&token), "NEWEST", json!({ "titleContains": "100% _'; DROP TABLE threads; --" })).await;
        assert_eq!(total, 0, "LIKE wildcards and SQL in the filter match literally");
        let tags = app.data(Some(&token), "{ tags(first: 5) { name threadCount } }", json!({})).await;
        let counts: Vec<i64> = tags["tags"].as_array().expect("tags").iter().map(|t| t["threadCount"].as_i64().expect("n")).collect();
        assert_eq!(counts.len(), 5);
        assert!(counts.windows(2).all(|w| w[0] >= w[1]), "most used first");
    }
}

async fn statements_so_far(app: &TestApp) -> u64 {
    let text = app.http.get(app.url("/metrics")).send().await.expect("metrics").text().await.expect("text");
    text.lines()
        .find_map(|line| line.strip_prefix("lkn_db_statements_total "))
        .and_then(|n| n.trim().parse().ok())
        .expect("lkn_db_statements_total is exported")
}

const NESTED_FEED: &str = r#"query($n: Int!) { threads(first: $n) { totalCount nodes {
  id title tags author { displayName partner { name } } partner { name }
  replies(first: 5) { nodes { body author { displayName } } }
} } }"#;

on_both_databases! {
    async fn a_feed_of_fifty_runs_as_few_statements_as_a_feed_of_five(app) {
        app.seed_demo(300).await;
        let token = app.member_token("british-library", MemberRole::Member).await;
        app.data(Some(&token), "{ viewer { id } }", json!({})).await;
        let mut counts = Vec::new();
        for n in [5, 50, 5, 50] {
            let before = statements_so_far(app).await;
            let data = app.data(Some(&token), NESTED_FEED, json!({ "n": n })).await;
            assert_eq!(data["threads"]["nodes"].as_array().map(Vec::len), Some(n as usize));
            counts.push(statements_so_far(app).await - before);
        }
        assert_eq!(counts[0], counts[1], "statements do not grow with the page: {counts:?}");
        assert!(
            counts.iter().all(|c| *c <= 6),
            "token, threads with their count, tags, replies, members, partners: {counts:?}"
        );
    }
}

on_both_databases! {
    /// The unfiltered feed's size is kept by triggers, so it follows every post and
    /// visibility change at once, for members and for everyone else.
    async fn the_feeds_size_follows_every_write(app) {
        app.seed_demo(30).await;
        let token = app.member_token("glasgow-life", MemberRole::Member).await;
        let totals = async || {
            let query = "{ threads(first: 1) { totalCount } }";
            let member = app.data(Some(&token), query, json!({})).await["threads"]["totalCount"].as_i64();
            let anonymous = app.data(None, query, json!({})).await["threads"]["totalCount"].as_i64();
            (member.expect("member total"), anonymous.expect("anonymous total"))
        };
        assert_eq!(totals().await, (count(app, false).await, count(app, true).await));
        let posted = app
            .data(
                Some(&token),
                "mutation { postThread(input: { kind: IDEA, title: \"Counted\" }) { thread { id version } } }",
                json!({}),
            )
            .await;
        let id = posted["postThread"]["thread"]["id"].clone();
        assert_eq!(totals().await, (count(app, false).await, count(app, true).await));
        let mut version = posted["postThread"]["thread"]["version"].clone();
        for visibility in ["PUBLIC", "NETWORK"] {
            let edited = app
                .data(
                    Some(&token),
                    "mutation($input: EditThreadInput!) { editThread(input: $input) { thread { version } userErrors { message } } }",
                    json!({ "input": { "threadId": id, "version": version, "visibility": visibility } }),
                )
                .await;
            version = edited["editThread"]["thread"]["version"].clone();
            assert!(version.is_i64(), "{edited}");
            assert_eq!(totals().await, (count(app, false).await, count(app, true).await), "after making it {visibility}");
        }
    }
}

/// A cursor as the API would encode it, with any key: what a forger can send.
fn forged(key: Option<lkn_api::service::page::SortKey>, id: i64) -> String {
    lkn_api::service::page::Cursor { key, id }.encode()
}

on_both_databases! {
    /// A cursor's key must be of the type its list is ordered by; anything else is the
    /// caller's mistake on both databases, never a database error or a wrong page.
    async fn cursors_whose_key_does_not_fit_the_ordering_are_bad_requests(app) {
        use lkn_api::service::page::SortKey;
        app.seed_demo(30).await;
        let admin = app.member_token("british-library", MemberRole::Admin).await;
        let moment = chrono::Utc::now();
        let threads = "query($after: String, $order: ThreadOrder!) { threads(first: 5, after: $after, orderBy: $order) { nodes { id } } }";
        let cases = [
            (threads, json!({ "order": "MOST_ENDORSED", "after": forged(Some(SortKey::Text("zzz".into())), 5) })),
            (threads, json!({ "order": "MOST_ENDORSED", "after": forged(Some(SortKey::Time(moment)), 5) })),
            (threads, json!({ "order": "UNANSWERED_FIRST", "after": forged(Some(SortKey::Text("0".into())), 5) })),
            (threads, json!({ "order": "RECENTLY_ACTIVE", "after": forged(Some(SortKey::Int(3)), 5) })),
            (threads, json!({ "order": "RECENTLY_ACTIVE", "after": forged(Some(SortKey::Text("2026-01-01".into())), 5) })),
            (threads, json!({ "order": "NEWEST", "after": forged(Some(SortKey::Int(3)), 5) })),
            (threads, json!({ "order": "MOST_ENDORSED", "after": forged(None, 5) })),
            ("query($after: String) { partners(after: $after) { nodes { slug } } }", json!({ "after": forged(Some(SortKey::Int(3)), 1) })),
            ("query($after: String) { partners(after: $after) { nodes { slug } } }", json!({ "after": forged(Some(SortKey::Time(moment)), 1) })),
            ("query($after: String) { partners(after: $after) { nodes { slug } } }", json!({ "after": forged(Some(SortKey::Text("a\u{0}b".into())), 1) })),
            ("query($after: String) { collaborations(after: $after) { nodes { id } } }", json!({ "after": forged(Some(SortKey::Int(3)), 1) })),
            ("query($after: String) { auditEvents(after: $after) { nodes { action } } }", json!({ "after": forged(Some(SortKey::Text("x".into())), 1) })),
        ];
        for (query, variables) in cases {
            let body = app.graphql(Some(&admin), query, variables.clone()).await;
            assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_REQUEST", "{variables}: {body}");
        }
        // Cursors the lists issued still page them.
        let first = app.data(Some(&admin), threads, json!({ "order": "MOST_ENDORSED" })).await;
        assert_eq!(first["threads"]["nodes"].as_array().map(Vec::len), Some(5));
        let partners = app.data(None, "{ partners(first: 2) { pageInfo { endCursor } } }", json!({})).await;
        let next = app.data(None, "query($after: String) { partners(first: 2, after: $after) { nodes { slug } } }", json!({ "after": partners["partners"]["pageInfo"]["endCursor"] })).await;
        assert_eq!(next["partners"]["nodes"].as_array().map(Vec::len), Some(2));
    }
}

on_both_databases! {
    /// `titleContains` ignores case in every script the network writes in, however the
    /// accents were typed, and matches `%` and `_` literally.
    async fn title_filters_ignore_case_beyond_ascii(app) {
        let token = app.member_token("national-library-of-wales", MemberRole::Member).await;
        let post = "mutation($i: PostThreadInput!) { postThread(input: $i) { thread { id version } userErrors { code } } }";
        let mut ids = Vec::new();
        for title in ["École d'été: storytelling for teachers", "Ŵyl Lyfrau Caerdydd volunteers", "100% of branches open late", "Plain English title"] {
            let posted = app.data(Some(&token), post, json!({ "i": { "kind": "IDEA", "title": title } })).await;
            ids.push(posted["postThread"]["thread"].clone());
        }
        let titled = async |text: &str| -> Vec<String> {
            let data = app.data(Some(&token), "query($t: String) { threads(first: 50, filter: { titleContains: $t }) { nodes { title } } }", json!({ "t": text })).await;
            data["threads"]["nodes"].as_array().expect("nodes").iter().map(|n| n["title"].as_str().expect("title").to_owned()).collect()
        };
        let ecole = vec!["École d'été: storytelling for teachers".to_owned()];
        assert_eq!(titled("ÉCOLE").await, ecole);
        assert_eq!(titled("école").await, ecole);
        assert_eq!(titled("E\u{301}COLE D'E\u{301}TE\u{301}").await, ecole, "decomposed accents fold as composed ones");
        let wyl = vec!["Ŵyl Lyfrau Caerdydd volunteers".to_owned()];
        assert_eq!(titled("ŵyl").await, wyl);
        assert_eq!(titled("ŴYL LYFRAU").await, wyl);
        assert_eq!(titled("100%").await, vec!["100% of branches open late".to_owned()]);
        assert!(titled("_").await.is_empty(), "`_` matches itself only");
        assert!(titled("ecole").await.is_empty(), "accents are letters, not case");

        let edit = "mutation($i: EditThreadInput!) { editThread(input: $i) { thread { title } userErrors { code } } }";
        app.data(Some(&token), edit, json!({ "i": { "threadId": ids[3]["id"], "version": ids[3]["version"], "title": "ÓRÁID faoi leabharlanna" } })).await;
        assert_eq!(titled("óráid").await, vec!["ÓRÁID faoi leabharlanna".to_owned()], "an edited title is folded too");
        assert!(titled("plain english").await.is_empty());
    }
}
