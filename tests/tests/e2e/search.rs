//! Search and suggestions: ranked, stemmed, multilingual, current with every write,
//! visibility applied inside the query, and harmless whatever text is sent.

use lkn_entity::vocabulary::MemberRole;
use serde_json::{Value, json};

use crate::on_both_databases;
use crate::support::TestApp;

const SEARCH: &str = r#"query($q: String!, $after: String, $filter: SearchFilter, $first: Int) {
  search(query: $q, first: $first, after: $after, filter: $filter) {
    totalCount
    edges { cursor score snippet node { __typename ... on Thread { id title visibility language kind tags } ... on Collaboration { id title visibility } } }
    pageInfo { hasNextPage endCursor }
  }
}"#;
const POST: &str = "mutation($i: PostThreadInput!) { postThread(input: $i) { thread { id } userErrors { code } } }";

async fn search(app: &TestApp, token: Option<&str>, q: &str, filter: Value) -> Value {
    app.data(token, SEARCH, json!({ "q": q, "filter": filter, "first": 50 })).await["search"].clone()
}

fn titles(result: &Value) -> Vec<String> {
    result["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .map(|e| e["node"]["title"].as_str().unwrap_or("").to_owned())
        .collect()
}

on_both_databases! {
    async fn search_ranks_stems_and_finds_welsh_with_highlighted_snippets(app) {
        let token = app.member_token("national-library-of-wales", MemberRole::Member).await;
        for (title, body, language) in [
            ("Touring exhibition of medieval maps", "We hosted the exhibition for six weeks.", "EN"),
            ("Volunteer rota templates", "Our exhibition volunteers used this rota.", "EN"),
            ("Arddangosfa hanes lleol yn y llyfrgell", "Rydym yn cynnal arddangosfa newydd.", "CY"),
        ] {
            app.data(Some(&token), POST, json!({ "i": { "kind": "RESOURCE", "title": title, "body": body, "language": language, "visibility": "PUBLIC" } })).await;
        }
        let found = search(app, None, "exhibitions", Value::Null).await;
        assert_eq!(found["totalCount"], 2, "English is stemmed: {found}");
        assert_eq!(titles(&found)[0], "Touring exhibition of medieval maps", "a title match ranks first");
        let scores: Vec<f64> = found["edges"].as_array().expect("edges").iter().map(|e| e["score"].as_f64().expect("score")).collect();
        assert!(scores.windows(2).all(|w| w[0] >= w[1]));
        assert!(found["edges"][0]["snippet"].as_str().expect("snippet").to_lowercase().contains("<mark>exhibition</mark>"), "{found}");
        let welsh = search(app, None, "arddangosfa", Value::Null).await;
        assert_eq!(titles(&welsh), vec!["Arddangosfa hanes lleol yn y llyfrgell"]);
        let two_words = search(app, None, "medieval maps", Value::Null).await;
        assert_eq!(titles(&two_words), vec!["Touring exhibition of medieval maps"]);
    }
}

on_both_databases! {
    async fn new_edited_and_replied_content_is_searchable_at_once(app) {
        let token = app.member_token("glasgow-life", MemberRole::Member).await;
        let posted = app.data(Some(&token), POST, json!({ "i": { "kind": "QUESTION", "title": "Quokka-themed reading challenge?", "tags": ["reading"] } })).await;
        let id = posted["postThread"]["thread"]["id"].clone();
        assert_eq!(search(app, Some(&token), "quokka", Value::Null).await["totalCount"], 1);
        assert_eq!(search(app, None, "quokka", Value::Null).await["totalCount"], 0, "network-only stays hidden from the public");
        app.data(Some(&token), "mutation($i: EditThreadInput!) { editThread(input: $i) { userErrors { code } } }",
            json!({ "i": { "threadId": id, "version": 1, "title": "Wombat-themed reading challenge?" } })).await;
        assert_eq!(search(app, Some(&token), "quokka", Value::Null).await["totalCount"], 0);
        assert_eq!(search(app, Some(&token), "wombat", Value::Null).await["totalCount"], 1);
        app.data(Some(&token), "mutation($i: ReplyToThreadInput!) { replyToThread(input: $i) { userErrors { code } } }",
            json!({ "i": { "threadId": id, "body": "We used platypus stickers." } })).await;
        assert_eq!(search(app, Some(&token), "platypus", Value::Null).await["totalCount"], 1, "replies are searchable");
        assert_eq!(search(app, Some(&token), "reading", json!({ "tag": "reading" })).await["totalCount"], 1);
        let coordinator = app.member_token("glasgow-life", MemberRole::Coordinator).await;
        app.data(Some(&coordinator), "mutation($i: ProposeCollaborationInput!) { proposeCollaboration(input: $i) { userErrors { code } } }",
            json!({ "i": { "kind": "PROGRAMME", "title": "Numbat festival", "visibility": "PUBLIC" } })).await;
        let collab = search(app, None, "numbat", Value::Null).await;
        assert_eq!(collab["edges"][0]["node"]["__typename"], "Collaboration");
    }
}

on_both_databases! {
    async fn search_applies_visibility_and_filters_inside_the_query_and_pages_cleanly(app) {
        app.seed_demo(600).await;
        let token = app.member_token("british-library", MemberRole::Member).await;
        let mut after = Value::Null;
        let mut seen = Vec::new();
        let total = loop {
            let page = app.data(None, SEARCH, json!({ "q": "storytime", "after": after, "first": 7 })).await["search"].clone();
            let total = page["totalCount"].as_i64().expect("total");
            for edge in page["edges"].as_array().expect("edges") {
                assert_eq!(edge["node"]["visibility"], "PUBLIC");
                seen.push(edge["node"]["id"].as_str().expect("id").to_owned());
            }
            if !page["pageInfo"]["hasNextPage"].as_bool().expect("next") { break total; }
            after = page["pageInfo"]["endCursor"].clone();
        };
        assert!(total > 7, "enough results to page: {total}");
        assert_eq!(seen.len() as i64, total, "walking the pages returns every public match");
        let mut unique = seen.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), seen.len(), "no result appears twice");
        let member_total = search(app, Some(&token), "storytime", Value::Null).await["totalCount"].as_i64().expect("total");
        assert!(member_total > total, "members also find network-only threads");

        let welsh = search(app, Some(&token), "llyfrgell", json!({ "language": "CY" })).await;
        assert!(welsh["edges"].as_array().expect("edges").iter().all(|e| e["node"]["language"] == "CY"));
        let questions = search(app, Some(&token), "storytime", json!({ "kind": "QUESTION" })).await;
        assert!(questions["edges"].as_array().expect("edges").iter().all(|e| e["node"]["kind"] == "QUESTION"));
        let scots = search(app, Some(&token), "storytime", json!({ "nation": "SCOTLAND", "scope": "THREADS" })).await;
        let from_wales = search(app, Some(&token), "storytime", json!({ "partnerSlug": "national-library-of-wales" })).await;
        assert!(scots["totalCount"].as_i64() < Some(member_total) && from_wales["totalCount"].as_i64() < Some(member_total));
        let future = search(app, Some(&token), "storytime", json!({ "createdAfter": "2030-01-01T00:00:00Z" })).await;
        assert_eq!(future["totalCount"], 0);
        let collaborations = search(app, Some(&token), "festival", json!({ "scope": "COLLABORATIONS" })).await;
        assert!(collaborations["edges"].as_array().expect("edges").iter().all(|e| e["node"]["__typename"] == "Collaboration"));

        let similar = app.data(None, "{ similarThreads(text: \"How do you run storytime sessions for toddlers?\", first: 5) { title visibility } }", json!({})).await;
        let suggestions = similar["similarThreads"].as_array().expect("list");
        assert!(!suggestions.is_empty() && suggestions.len() <= 5);
        assert!(suggestions.iter().all(|t| t["visibility"] == "PUBLIC"));
        assert!(suggestions[0]["title"].as_str().expect("title").to_lowercase().contains("storytime"));
    }
}

on_both_databases! {
    async fn hostile_search_text_is_harmless(app) {
        app.seed_demo(100).await;
        let long = "exhibition ".repeat(1_000);
        let hostile = [
            "\"", "\"\"\"", "'", "*", "NEAR(a b)", "a AND OR NOT b", "title:secret", "-", "()", "^", "{}",
            "'; DROP TABLE threads; --", "\\", "%_%", "😀📚", "\u{202E}gnirts\u{202C}", "\u{0000}nul", "   ",
            "storytime OR", "\"unclosed phrase", "a:b:c", "!!!", long.as_str(),
        ];
        for text in hostile {
            let body = app.graphql(None, SEARCH, json!({ "q": text, "first": 5 })).await;
            assert!(body.get("errors").is_none(), "search for {:?} failed: {body}", text.chars().take(40).collect::<String>());
            let body = app.graphql(None, "query($t: String!) { similarThreads(text: $t) { id } }", json!({ "t": text })).await;
            assert!(body.get("errors").is_none(), "similarThreads for {:?} failed: {body}", text.chars().take(40).collect::<String>());
        }
        let count = app.data(None, "{ threads { totalCount } }", json!({})).await;
        assert!(count["threads"]["totalCount"].as_i64().expect("count") > 0, "nothing was dropped");
        let script = app.data(None, SEARCH, json!({ "q": "storytime", "first": 1 })).await;
        let snippet = script["search"]["edges"][0]["snippet"].as_str().unwrap_or("");
        assert!(!snippet.contains("<script"), "snippets are HTML-escaped");
    }
}

on_both_databases! {
    async fn snippets_escape_html_in_user_text(app) {
        let token = app.member_token("glasgow-life", MemberRole::Member).await;
        app.data(Some(&token), POST, json!({ "i": { "kind": "IDEA", "title": "Axolotl <script>alert(1)</script> day", "visibility": "PUBLIC" } })).await;
        let found = search(app, None, "axolotl", Value::Null).await;
        let snippet = found["edges"][0]["snippet"].as_str().expect("snippet");
        assert!(!snippet.contains("<script>"), "user markup never comes back live: {snippet}");
        if snippet.contains("script") {
            assert!(snippet.contains("&lt;script&gt;"), "kept markup is escaped: {snippet}");
        }
        assert!(snippet.contains("<mark>"), "{snippet}");
    }
}

/// A cursor as the API would encode it, naming any key: what a forger can send.
fn forged(key: Option<lkn_api::service::page::SortKey>) -> String {
    lkn_api::service::page::Cursor { key, id: 1 }.encode()
}

async fn statements_so_far(app: &TestApp) -> u64 {
    let text = app.http.get(app.url("/metrics")).send().await.expect("metrics").text().await.expect("text");
    text.lines()
        .find_map(|line| line.strip_prefix("lkn_db_statements_total "))
        .and_then(|n| n.trim().parse().ok())
        .expect("lkn_db_statements_total is exported")
}

on_both_databases! {
    /// A search page starts at a position; a forged position is refused before any
    /// statement runs, so it costs the same however deep it points.
    async fn forged_search_cursors_are_refused_at_once_without_ranking_anything(app) {
        use lkn_api::service::page::SortKey;
        use lkn_api::service::search::MAX_SEARCH_DEPTH;
        app.seed_demo(300).await;
        let depth = MAX_SEARCH_DEPTH as i64;
        for position in [depth, 1_000_000, i64::MAX, -1] {
            let before = statements_so_far(app).await;
            let started = std::time::Instant::now();
            let body = app.graphql(None, SEARCH, json!({ "q": "storytime library", "after": forged(Some(SortKey::Int(position))), "first": 20 })).await;
            let took = started.elapsed();
            eprintln!("a cursor at position {position} was answered in {took:?}");
            assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_REQUEST", "position {position}: {body}");
            assert!(body["data"].is_null() || body["data"]["search"].is_null(), "{body}");
            assert_eq!(statements_so_far(app).await, before, "position {position}: refused before any statement ran");
            assert!(took < std::time::Duration::from_secs(2), "position {position} took {took:?}");
        }
        for key in [None, Some(SortKey::Text("5".into())), Some(SortKey::Time(chrono::Utc::now()))] {
            let body = app.graphql(None, SEARCH, json!({ "q": "storytime", "after": forged(key.clone()) })).await;
            assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_REQUEST", "{key:?}: {body}");
        }
        // The deepest cursor a search issues is still accepted: its page is past the depth.
        let last = app.data(None, SEARCH, json!({ "q": "storytime", "after": forged(Some(SortKey::Int(depth - 1))), "first": 20 })).await;
        assert_eq!(last["search"]["edges"].as_array().map(Vec::len), Some(0), "{last}");
        assert_eq!(last["search"]["pageInfo"]["hasNextPage"], false);
        assert!(last["search"]["totalCount"].as_i64().is_some_and(|n| n > 0), "the count still counts every match");
        let near = app.data(None, SEARCH, json!({ "q": "storytime", "after": forged(Some(SortKey::Int(depth - 2))), "first": 20 })).await;
        assert_eq!(near["search"]["pageInfo"]["hasNextPage"], false, "no page starts past the depth");
    }
}

on_both_databases! {
    /// A search pages through its best matches down to the depth and stops there, even
    /// when threads and collaborations together match far more.
    async fn a_search_pages_to_its_depth_and_stops_there(app) {
        use lkn_api::service::page::SortKey;
        use lkn_api::service::search::MAX_SEARCH_DEPTH;
        app.seed_demo(4_000).await;
        let token = app.member_token("british-library", MemberRole::Member).await;
        let depth = MAX_SEARCH_DEPTH as i64;
        let page = async |position: i64| {
            app.data(Some(&token), SEARCH, json!({ "q": "library", "after": forged(Some(SortKey::Int(position))), "first": 20 })).await["search"].clone()
        };
        let threads = search(app, Some(&token), "library", json!({ "scope": "THREADS" })).await;
        let collaborations = search(app, Some(&token), "library", json!({ "scope": "COLLABORATIONS" })).await;
        assert!(threads["totalCount"].as_i64() > Some(depth), "more threads match than the depth: {}", threads["totalCount"]);
        assert!(collaborations["totalCount"].as_i64() > Some(0), "collaborations match too");

        let before_last = page(depth - 41).await;
        assert_eq!(before_last["edges"].as_array().map(Vec::len), Some(20));
        assert_eq!(before_last["pageInfo"]["hasNextPage"], true);
        let last = page(depth - 21).await;
        assert_eq!(last["edges"].as_array().map(Vec::len), Some(20));
        assert_eq!(last["pageInfo"]["hasNextPage"], false, "the page that ends at the depth is the last");
        let end = lkn_api::service::page::Cursor::decode(last["pageInfo"]["endCursor"].as_str().expect("endCursor")).expect("a cursor");
        assert_eq!(end.key, Some(SortKey::Int(depth - 1)), "positions run to the depth");
        let short = page(depth - 6).await;
        assert_eq!(short["edges"].as_array().map(Vec::len), Some(5), "a page near the depth is cut at it");
        assert_eq!(short["pageInfo"]["hasNextPage"], false);
        assert!(short["totalCount"].as_i64() > Some(depth), "the count still counts every match");
    }
}

const SUGGEST: &str = "query($t: String!) { similarThreads(text: $t, first: 5) { id title } }";
/// A draft with more significant words than SQLite's suggestions match on, so that which
/// of them count as rarest decides what is suggested.
const DRAFT: &str = "merlin harrier buzzard osprey goshawk";

/// What an anonymous caller learns from searching for kestrels and asking for threads like
/// a draft about birds of prey: every edge (node, score, snippet, cursor), the count, and
/// the suggestions in order.
async fn what_outsiders_see(app: &TestApp) -> (Value, Value) {
    let found = app.data(None, SEARCH, json!({ "q": "kestrel", "first": 50 })).await["search"].clone();
    let suggested = app.data(None, SUGGEST, json!({ "t": DRAFT })).await["similarThreads"].clone();
    (found, suggested)
}

on_both_databases! {
    /// Scores and suggestions for anonymous callers come from public statistics alone:
    /// posting network-only threads and collaborations full of the words searched for,
    /// or flipping one to public and back, tells them nothing.
    async fn anonymous_search_and_suggestions_learn_nothing_from_network_only_content(app) {
        let token = app.member_token("national-library-of-scotland", MemberRole::Member).await;
        let coordinator = app.member_token("national-library-of-scotland", MemberRole::Coordinator).await;
        let post = async |title: &str, body: &str, tags: Value, visibility: &str| {
            let posted = app.data(Some(&token), POST, json!({ "i": { "kind": "RESOURCE", "title": title, "body": body, "tags": tags, "visibility": visibility } })).await;
            assert!(posted["postThread"]["userErrors"].as_array().is_some_and(Vec::is_empty), "{posted}");
            posted["postThread"]["thread"]["id"].clone()
        };
        let propose = async |title: &str, summary: &str, visibility: &str| {
            let proposed = app.data(Some(&coordinator), "mutation($i: ProposeCollaborationInput!) { proposeCollaboration(input: $i) { userErrors { code } } }",
                json!({ "i": { "kind": "PROGRAMME", "title": title, "summary": summary, "visibility": visibility } })).await;
            assert!(proposed["proposeCollaboration"]["userErrors"].as_array().is_some_and(Vec::is_empty), "{proposed}");
        };
        post("Kestrel nest camera in the reading room", "Children watched the chicks hatch.", json!([]), "PUBLIC").await;
        post("Osprey webcam for the children's library", "A live stream from the loch.", json!([]), "PUBLIC").await;
        post("Merlin falconry display day", "A falconer brought three birds.", json!([]), "PUBLIC").await;
        post("Harrier conservation talk", "The ranger spoke about moorland.", json!([]), "PUBLIC").await;
        post("Buzzard sightings logbook", "Visitors record what they see.", json!([]), "PUBLIC").await;
        post("Birds of prey reading list", "Books for young readers, with a chapter on the kestrel and its hovering flight over fields and verges.", json!([]), "PUBLIC").await;
        post("Nature trail leaflets", "Printed for the summer.", json!(["kestrel"]), "PUBLIC").await;
        post("Goshawk recovery project", "A partner's archive of field notes.", json!([]), "PUBLIC").await;
        propose("Kestrel festival", "Talks and walks about birds of prey.", "PUBLIC").await;
        let before = what_outsiders_see(app).await;
        assert!(before.0["totalCount"].as_i64().is_some_and(|n| n >= 4), "{}", before.0);
        assert!(before.1.as_array().is_some_and(|s| !s.is_empty()), "{}", before.1);

        let staff_only = post("Kestrel, osprey, merlin, harrier, buzzard and goshawk survey", &format!("kestrel {DRAFT} ").repeat(20), json!(["kestrel"]), "NETWORK").await;
        for n in 0..3 {
            post(&format!("Kestrel and merlin ringing session {n}"), "Kestrel kestrel merlin.", json!([]), "NETWORK").await;
        }
        propose("Kestrel kestrel partnership", "Kestrel monitoring across partners.", "NETWORK").await;
        let after = what_outsiders_see(app).await;
        assert_eq!(after.0, before.0, "anonymous search results and scores are unchanged");
        assert_eq!(after.1, before.1, "anonymous suggestions are unchanged");

        let member_found = app.data(Some(&token), SEARCH, json!({ "q": "kestrel", "first": 50 })).await["search"].clone();
        assert!(member_found["edges"].as_array().expect("edges").iter().any(|e| e["node"]["id"] == staff_only), "members find it: {member_found}");
        let member_suggested = app.data(Some(&token), SUGGEST, json!({ "t": DRAFT })).await["similarThreads"].clone();
        assert_eq!(member_suggested[0]["id"], staff_only, "members are shown the thread that has every word: {member_suggested}");

        // Made public, it is found by everyone; made network-only again, it is gone and
        // the public statistics are as they were.
        let edit = "mutation($i: EditThreadInput!) { editThread(input: $i) { thread { version } userErrors { code } } }";
        let edited = app.data(Some(&token), edit, json!({ "i": { "threadId": staff_only, "version": 1, "visibility": "PUBLIC" } })).await;
        let public_now = app.data(None, SEARCH, json!({ "q": "kestrel", "first": 50 })).await["search"].clone();
        assert!(public_now["edges"].as_array().expect("edges").iter().any(|e| e["node"]["id"] == staff_only), "{public_now}");
        app.data(Some(&token), edit, json!({ "i": { "threadId": staff_only, "version": edited["editThread"]["thread"]["version"], "visibility": "NETWORK" } })).await;
        assert_eq!(what_outsiders_see(app).await, before, "after the thread went back to the network");

        // On SQLite, triggers keep the public index right whatever flips visibility, such
        // as an operator's SQL; PostgreSQL's documents are rewritten by the API's writes.
        if app.db.get_database_backend() == sea_orm::DbBackend::Sqlite {
            use sea_orm::ConnectionTrait;
            let id = lkn_api::graphql::ids::decode(lkn_api::graphql::ids::NodeType::Thread, staff_only.as_str().expect("id")).expect("a thread id");
            let flip = |visibility: &str| format!("UPDATE threads SET visibility = '{visibility}' WHERE id = {id}");
            app.db.execute_unprepared(&flip("PUBLIC")).await.expect("flip to public");
            let public_now = app.data(None, SEARCH, json!({ "q": "kestrel", "first": 50 })).await["search"].clone();
            assert!(public_now["edges"].as_array().expect("edges").iter().any(|e| e["node"]["id"] == staff_only), "{public_now}");
            app.db.execute_unprepared(&flip("NETWORK")).await.expect("flip back");
            assert_eq!(what_outsiders_see(app).await, before, "after SQL made it network-only again");
        }
    }
}

on_both_databases! {
    /// The hardening step works on a database that already holds threads: it folds the
    /// stored titles and, on SQLite, indexes the public ones for outsiders' searches.
    async fn the_hardening_migration_folds_stored_titles_and_indexes_public_threads(app) {
        use lkn_migration::{Migrator, MigratorTrait};
        let token = app.member_token("national-library-of-wales", MemberRole::Member).await;
        for (title, visibility) in [("Ŵyl Lyfrau Caerdydd: pangolin stall", "PUBLIC"), ("ÉCOLE pangolin visit", "NETWORK")] {
            app.data(Some(&token), POST, json!({ "i": { "kind": "IDEA", "title": title, "visibility": visibility } })).await;
        }
        let steps = Migrator::migrations();
        let at = steps.iter().position(|m| m.name() == "m20261202_000014_harden_thread_search").expect("the step is registered");
        // One connection of its own for the steps: on SQLite a pooled connection that did
        // not make a schema change may still parse against the schema it cached, and would
        // refuse to add back a column another connection just dropped.
        let migrating = sea_orm::Database::connect(sea_orm::ConnectOptions::new(app.database_url()).max_connections(1).to_owned())
            .await
            .expect("a connection for the migration");
        Migrator::down(&migrating, Some((steps.len() - at) as u32)).await.expect("down to before the step");
        Migrator::up(&migrating, None).await.expect("up again, over the stored threads");
        migrating.close().await.expect("close");

        let feed = "query($t: String) { threads(filter: { titleContains: $t }) { nodes { title } } }";
        let found = app.data(Some(&token), feed, json!({ "t": "ŵyl" })).await;
        assert_eq!(found["threads"]["nodes"][0]["title"], "Ŵyl Lyfrau Caerdydd: pangolin stall", "{found}");
        let found = app.data(Some(&token), feed, json!({ "t": "école" })).await;
        assert_eq!(found["threads"]["nodes"][0]["title"], "ÉCOLE pangolin visit", "{found}");
        let public = search(app, None, "pangolin", Value::Null).await;
        assert_eq!(titles(&public), vec!["Ŵyl Lyfrau Caerdydd: pangolin stall"], "only the public thread: {public}");
        assert_eq!(search(app, Some(&token), "pangolin", Value::Null).await["totalCount"], 2);
    }
}
