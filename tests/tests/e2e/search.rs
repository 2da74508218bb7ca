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
