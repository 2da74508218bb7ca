//! Collaborations read back with their partners, participants and outcomes.

use lkn_entity::vocabulary::MemberRole;
use serde_json::json;

use crate::on_both_databases;

on_both_databases! {
    async fn collaborations_read_back_with_participants_and_outcomes(app) {
        app.seed_demo(2500).await;
        let token = app.member_token("british-library", MemberRole::Member).await;
        let data = app
            .data(
                Some(&token),
                r#"{ collaborations(first: 100) {
                    totalCount
                    nodes {
                      id kind title summary status visibility startsOn endsOn bidDeadline funder budgetPence
                      leadPartner { slug }
                      participants { partner { slug } role joinStatus }
                      combinedAudienceReach { knownTotal knownPartnerCount unknownPartnerCount }
                      outcomes { attendance attendanceEstimated reach note occurredOn partner { slug } }
                      originThread { kind }
                    }
                } }"#,
                json!({}),
            )
            .await;
        let nodes = data["collaborations"]["nodes"].as_array().expect("nodes");
        assert_eq!(data["collaborations"]["totalCount"], json!(nodes.len()));
        assert!(nodes.len() >= 10);
        for status in ["PROPOSED", "SEEKING_PARTNERS", "ACTIVE", "COMPLETED", "WITHDRAWN"] {
            assert!(nodes.iter().any(|c| c["status"] == status), "some collaboration is {status}");
        }
        for collaboration in nodes {
            let participants = collaboration["participants"].as_array().expect("participants");
            let lead = &participants[0];
            assert_eq!(lead["role"], "LEAD");
            assert_eq!(lead["partner"]["slug"], collaboration["leadPartner"]["slug"]);
            let accepted = participants.iter().filter(|p| p["joinStatus"] == "ACCEPTED").count() as i64;
            let reach = &collaboration["combinedAudienceReach"];
            assert_eq!(reach["knownPartnerCount"].as_i64().unwrap_or(-1) + reach["unknownPartnerCount"].as_i64().unwrap_or(-1), accepted);
            if collaboration["status"] == "COMPLETED" {
                assert!(!collaboration["outcomes"].as_array().expect("outcomes").is_empty(), "completed work has evidence");
            }
            if !collaboration["originThread"].is_null() {
                assert_eq!(collaboration["originThread"]["kind"], "IDEA");
            }
        }
        let active = app
            .data(Some(&token), "{ collaborations(first: 100, filter: {status: ACTIVE}) { nodes { status } } networkStats { activeCollaborationCount } }", json!({}))
            .await;
        let shown = active["collaborations"]["nodes"].as_array().expect("nodes");
        assert!(shown.iter().all(|c| c["status"] == "ACTIVE"));
        assert_eq!(active["networkStats"]["activeCollaborationCount"], json!(shown.len()));
        let first_id = nodes[0]["id"].clone();
        let one = app.data(Some(&token), "query($id: ID!) { collaboration(id: $id) { id } node(id: $id) { id } }", json!({ "id": first_id })).await;
        assert_eq!(one["collaboration"]["id"], first_id);
        assert_eq!(one["node"]["id"], first_id);
    }
}

on_both_databases! {
    async fn network_figures_count_what_the_demo_holds(app) {
        app.seed_demo(400).await;
        let token = app.member_token("british-library", MemberRole::Member).await;
        let data = app
            .data(
                Some(&token),
                "{ networkStats { partnerCount threadCount answeredRate medianHoursToFirstReply activeCollaborationCount topTags { name threadCount } partnersByNation { nation count } } }",
                json!({}),
            )
            .await;
        let stats = &data["networkStats"];
        assert_eq!(stats["threadCount"], 400);
        let rate = stats["answeredRate"].as_f64().expect("answeredRate");
        assert!(rate > 0.0 && rate < 1.0);
        let hours = stats["medianHoursToFirstReply"].as_f64().expect("median");
        assert!(hours > 0.0 && hours < 24.0 * 4.0);
        assert_eq!(stats["topTags"].as_array().expect("tags").len(), 10);
        let by_nation: i64 = stats["partnersByNation"].as_array().expect("nations").iter().map(|n| n["count"].as_i64().expect("n")).sum();
        assert_eq!(by_nation, 24);
    }
}
