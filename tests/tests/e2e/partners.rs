//! The network's partners: seeded from the press release, paged, and reachable by id.

use serde_json::{Value, json};

use crate::on_both_databases;

const PAGE: &str = r#"query($after: String) {
  partners(first: 5, after: $after) {
    totalCount
    nodes { id slug name nation city kind website audienceReach }
    pageInfo { hasNextPage endCursor }
  }
}"#;

async fn all_partners(app: &crate::support::TestApp) -> Vec<Value> {
    let mut after = Value::Null;
    let mut seen = Vec::new();
    loop {
        let data = app.data(None, PAGE, json!({ "after": after })).await;
        let page = &data["partners"];
        assert_eq!(page["totalCount"], 24);
        let nodes = page["nodes"].as_array().expect("nodes");
        assert!(nodes.len() <= 5);
        seen.extend(nodes.iter().cloned());
        if !page["pageInfo"]["hasNextPage"].as_bool().expect("hasNextPage") {
            break;
        }
        after = page["pageInfo"]["endCursor"].clone();
    }
    seen
}

on_both_databases! {
    async fn partners_paged_five_at_a_time_are_all_walked_without_overlap(app) {
        let partners = all_partners(app).await;
        assert_eq!(partners.len(), 24, "the British Library and the 23 partners of the press release");
        let mut slugs: Vec<&str> = partners.iter().map(|p| p["slug"].as_str().expect("slug")).collect();
        let names: Vec<&str> = partners.iter().map(|p| p["name"].as_str().expect("name")).collect();
        let mut sorted_names = names.clone();
        sorted_names.sort();
        assert_eq!(names, sorted_names, "pages come in name order");
        slugs.dedup();
        assert_eq!(slugs.len(), 24, "no partner appears twice");
        let wales = partners.iter().find(|p| p["slug"] == "national-library-of-wales").expect("NLW");
        assert_eq!(wales["nation"], "WALES");
        let glasgow = partners.iter().find(|p| p["slug"] == "glasgow-life").expect("Glasgow Life");
        assert_eq!((glasgow["nation"].as_str(), glasgow["city"].as_str()), (Some("SCOTLAND"), Some("Glasgow")));
        let devon = partners.iter().find(|p| p["slug"] == "libraries-unlimited").expect("Libraries Unlimited");
        assert_eq!(devon["city"], "Devon");
        let ni = partners.iter().find(|p| p["slug"] == "northern-ireland-library-authorities").expect("NI");
        assert_eq!(ni["nation"], "NORTHERN_IRELAND");
        assert!(partners.iter().all(|p| p["audienceReach"].is_null()), "no audience figure is invented");
    }
}

on_both_databases! {
    async fn every_partner_resolves_through_node(app) {
        for partner in all_partners(app).await {
            let data = app
                .data(None, "query($id: ID!) { node(id: $id) { id ... on Partner { slug } } }", json!({ "id": partner["id"] }))
                .await;
            assert_eq!(data["node"]["slug"], partner["slug"]);
        }
    }
}

on_both_databases! {
    async fn seeding_again_adds_no_partner(app) {
        let added = lkn_api::service::seed::founders::seed_founders(&app.db, chrono::Utc::now()).await.expect("seed");
        assert_eq!(added, 0);
        lkn_api::prepare_database(&lkn_api::db::DatabaseSettings::new(app.database_url())).await.expect("prepare again");
        let data = app.data(None, "{ partners { totalCount } networkStats { partnerCount combinedAudienceReach { reportedTotal reportedSource } } }", json!({})).await;
        assert_eq!(data["partners"]["totalCount"], 24);
        assert_eq!(data["networkStats"]["partnerCount"], 24);
        assert_eq!(data["networkStats"]["combinedAudienceReach"]["reportedTotal"], 13_000_000);
        assert!(data["networkStats"]["combinedAudienceReach"]["reportedSource"].as_str().is_some_and(|s| s.contains("2016")));
    }
}

on_both_databases! {
    async fn partners_filter_by_nation_and_page_size_is_checked(app) {
        let data = app.data(None, "{ partners(filter: {nation: SCOTLAND}) { totalCount nodes { slug } } }", json!({})).await;
        assert_eq!(data["partners"]["totalCount"], 3);
        let body = app.graphql(None, "{ partners(first: 101) { totalCount } }", json!({})).await;
        assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_REQUEST");
        let body = app.graphql(None, "{ partners(first: 5, after: \"not-a-cursor\") { totalCount } }", json!({})).await;
        assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_REQUEST");
        let data = app.data(None, "{ partner(slug: \"glasgow-life\") { name nation } nope: partner(slug: \"nope\") { name } }", json!({})).await;
        assert_eq!(data["partner"]["name"], "Glasgow Life");
        assert!(data["nope"].is_null());
    }
}

on_both_databases! {
    /// Partners may be held in memory (on PostgreSQL), but a change to the directory,
    /// made by anyone (here an operator's SQL), is served as soon as it is committed
    /// and announced; paging still walks every partner once.
    async fn a_changed_partner_directory_is_served_at_once(app) {
        use sea_orm::ConnectionTrait;
        let glasgow = async || {
            let data = app.data(None, "{ partner(slug: \"glasgow-life\") { id } partners(first: 50) { totalCount nodes { slug audienceReach } } }", json!({})).await;
            let partners = data["partners"].clone();
            let reach = partners["nodes"].as_array().expect("nodes").iter().find(|p| p["slug"] == "glasgow-life").map(|p| p["audienceReach"].clone());
            (partners["totalCount"].as_i64().expect("total"), reach.expect("glasgow-life is listed"))
        };
        assert_eq!(glasgow().await, (24, Value::Null));
        app.db.execute_unprepared("UPDATE partners SET audience_reach = 4242 WHERE slug = 'glasgow-life'").await.expect("update");
        app.db
            .execute_unprepared(
                "INSERT INTO partners (slug, name, kind, nation, area, created_at) \
                 VALUES ('orkney-library', 'Orkney Library & Archive', 'LOCAL_AUTHORITY', 'SCOTLAND', 'Orkney', CURRENT_TIMESTAMP)",
            )
            .await
            .expect("insert");
        let started = std::time::Instant::now();
        let mut seen = glasgow().await;
        while seen != (25, json!(4242)) && started.elapsed() < std::time::Duration::from_secs(5) {
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
            seen = glasgow().await;
        }
        assert_eq!(seen, (25, json!(4242)), "the change is served");
        let (mut after, mut slugs) = (Value::Null, Vec::new());
        loop {
            let page = app.data(None, PAGE, json!({ "after": after })).await["partners"].clone();
            assert_eq!(page["totalCount"], 25);
            slugs.extend(page["nodes"].as_array().expect("nodes").iter().map(|p| p["slug"].clone()));
            if page["pageInfo"]["hasNextPage"] != true {
                break;
            }
            after = page["pageInfo"]["endCursor"].clone();
        }
        let distinct: std::collections::HashSet<String> = slugs.iter().map(Value::to_string).collect();
        assert_eq!((slugs.len(), distinct.len()), (25, 25), "paging walks every partner once");
    }
}
