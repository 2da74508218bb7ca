//! The HTTP surface: health, readiness, GraphiQL, GET queries, and transport refusals.

use serde_json::json;

use crate::on_both_databases;

on_both_databases! {
    async fn health_and_readiness_answer(app) {
        let health = app.http.get(app.url("/healthz")).send().await.expect("healthz");
        assert_eq!(health.status(), 200);
        let ready = app.http.get(app.url("/readyz")).send().await.expect("readyz");
        assert_eq!(ready.status(), 200);
        assert!(health.headers().contains_key("x-request-id"), "every response carries its request id");
    }
}

on_both_databases! {
    async fn graphql_over_get_runs_queries_but_never_mutations(app) {
        let response = app
            .http
            .get(app.url("/graphql"))
            .query(&[("query", "{ partners(first: 1) { totalCount } }")])
            .send()
            .await
            .expect("get");
        assert_eq!(response.status(), 200);
        let body: serde_json::Value = response.json().await.expect("json");
        assert_eq!(body["data"]["partners"]["totalCount"], 24);

        let response = app
            .http
            .get(app.url("/graphql"))
            .query(&[("query", "mutation { createDiscordLinkCode { code } }")])
            .send()
            .await
            .expect("get");
        assert_eq!(response.status(), 405);
        assert_eq!(response.headers()["allow"], "POST");

        let page = app.http.get(app.url("/graphql")).header("accept", "text/html").send().await.expect("graphiql");
        assert_eq!(page.status(), 200);
        assert!(page.text().await.expect("html").contains("GraphiQL"));
    }
}

on_both_databases! {
    async fn non_json_posts_and_malformed_bodies_are_refused(app) {
        let response = app
            .http
            .post(app.url("/graphql"))
            .header("content-type", "text/plain")
            .body(r#"{"query":"{ partners { totalCount } }"}"#)
            .send()
            .await
            .expect("post");
        assert_eq!(response.status(), 415);
        let response = app
            .http
            .post(app.url("/graphql"))
            .header("content-type", "application/json")
            .body("{not json")
            .send()
            .await
            .expect("post");
        assert_eq!(response.status(), 400);
        let body: serde_json::Value = response.json().await.expect("json");
        assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_REQUEST");
        let body = app.graphql(Some("lkn_not-a-real-token"), "{ viewer { id } }", json!({})).await;
        assert_eq!(body["errors"][0]["extensions"]["code"], "UNAUTHENTICATED");
    }
}
