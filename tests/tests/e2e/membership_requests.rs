//! Joining and linking from Discord, over the API as the bot calls it: who may ask, who
//! may decide, what deciding does (in one transaction), and how often a Discord user may
//! have a link code e-mailed.

use lkn_entity::vocabulary::MemberRole;
use serde_json::{Value, json};

use crate::on_both_databases;
use crate::support::TestApp;

const REQUEST: &str = "mutation($i: RequestMembershipInput!) { requestMembership(input: $i) {
    request { id status displayName discordUserId partner { slug } } userErrors { field code message } } }";
const DECIDE: &str = "mutation($i: DecideMembershipRequestInput!) { decideMembershipRequest(input: $i) {
    request { id status decidedBy { displayName } member { displayName role partner { slug } } } userErrors { code message } } }";
const LINK_BY_EMAIL: &str = "mutation($i: RequestDiscordLinkByEmailInput!) { requestDiscordLinkByEmail(input: $i) {
    accepted userErrors { code message } } }";
const PARTNER: &str = "national-library-of-wales";

fn error_code(body: &Value) -> &str {
    body["errors"][0]["extensions"]["code"].as_str().unwrap_or("none")
}

fn asking(discord_user: &str, name: &str, email: &str) -> Value {
    json!({ "i": { "partnerSlug": PARTNER, "discordUserId": discord_user, "displayName": name, "email": email } })
}

fn deciding(id: &Value, approve: bool) -> Value {
    json!({ "i": { "id": id, "approve": approve } })
}

/// Links `discord_user` to the member of `token`, as `/link` does.
async fn link(app: &TestApp, bot: &str, token: &str, discord_user: &str) {
    let code = app.data(Some(token), "mutation { createDiscordLinkCode { code } }", json!({})).await;
    let linked = app
        .data(
            Some(bot),
            "mutation($i: LinkDiscordAccountInput!) { linkDiscordAccount(input: $i) { userErrors { code } } }",
            json!({ "i": { "code": code["createDiscordLinkCode"]["code"], "discordUserId": discord_user } }),
        )
        .await;
    assert_eq!(linked["linkDiscordAccount"]["userErrors"], json!([]), "{linked}");
}

on_both_databases! {
    async fn only_the_partners_coordinators_or_an_admin_decide_a_request_to_join(app) {
        let bot = app.member_token("british-library", MemberRole::Bot).await;
        let coordinator = app.member_token(PARTNER, MemberRole::Coordinator).await;
        let colleague = app.member_token(PARTNER, MemberRole::Member).await;
        let elsewhere = app.member_token("glasgow-life", MemberRole::Coordinator).await;
        let admin = app.member_token("british-library", MemberRole::Admin).await;
        link(app, &bot, &coordinator, "600000000000000001").await;
        link(app, &bot, &colleague, "600000000000000002").await;

        // Only the bot asks, in its own name; a retry finds the same request.
        let gwen = asking("600000000000000010", "Gwen Ellis", "Gwen.Ellis@llgc.test");
        let asked = app.data(Some(&bot), REQUEST, gwen.clone()).await;
        let request = asked["requestMembership"]["request"].clone();
        assert_eq!(request["status"], "PENDING", "{asked}");
        let again = app.data(Some(&bot), REQUEST, gwen.clone()).await;
        assert_eq!(again["requestMembership"]["request"]["id"], request["id"], "one pending request per person and partner");
        assert_eq!(error_code(&app.graphql(Some(&colleague), REQUEST, gwen.clone()).await), "FORBIDDEN");
        assert_eq!(error_code(&app.graphql(None, REQUEST, gwen.clone()).await), "UNAUTHENTICATED");
        let as_colleague = [("x-lkn-discord-user", "600000000000000002")];
        assert_eq!(error_code(&app.graphql_with(Some(&bot), &as_colleague, REQUEST, gwen).await), "FORBIDDEN");
        let bad = app.data(Some(&bot), REQUEST, asking("600000000000000011", "", "not-an-address")).await;
        let faults: Vec<&str> = bad["requestMembership"]["userErrors"].as_array().expect("faults").iter().filter_map(|e| e["field"][1].as_str()).collect();
        assert_eq!(faults, ["email", "displayName"], "{bad}");

        // Nobody but the partner's coordinators and administrators decides.
        let id = &request["id"];
        assert_eq!(error_code(&app.graphql(Some(&elsewhere), DECIDE, deciding(id, true)).await), "FORBIDDEN");
        assert_eq!(error_code(&app.graphql(Some(&bot), DECIDE, deciding(id, true)).await), "FORBIDDEN");
        assert_eq!(error_code(&app.graphql_with(Some(&bot), &as_colleague, DECIDE, deciding(id, true)).await), "FORBIDDEN");

        // The coordinator, through the bot, approves: the member exists, linked, as a plain member.
        let as_coordinator = [("x-lkn-discord-user", "600000000000000001")];
        let approved = app.graphql_with(Some(&bot), &as_coordinator, DECIDE, deciding(id, true)).await;
        let decided = &approved["data"]["decideMembershipRequest"]["request"];
        assert_eq!(decided["status"], "APPROVED", "{approved}");
        assert_eq!(decided["decidedBy"]["displayName"], format!("Test Coordinator at {PARTNER}"));
        assert_eq!(decided["member"], json!({ "displayName": "Gwen Ellis", "role": "MEMBER", "partner": { "slug": PARTNER } }));
        let as_gwen = [("x-lkn-discord-user", "600000000000000010")];
        let viewer = app.graphql_with(Some(&bot), &as_gwen, "{ viewer { displayName email } }", json!({})).await;
        assert_eq!(viewer["data"]["viewer"]["displayName"], "Gwen Ellis", "{viewer}");
        let twice = app.data(Some(&admin), DECIDE, deciding(id, false)).await;
        assert_eq!(twice["decideMembershipRequest"]["userErrors"][0]["code"], "INVALID_STATE", "{twice}");
        assert!(twice["decideMembershipRequest"]["userErrors"][0]["message"].as_str().is_some_and(|m| m.contains("already approved")));
        let linked_already = app.data(Some(&bot), REQUEST, asking("600000000000000010", "Gwen", "gwen2@llgc.test")).await;
        assert_eq!(linked_already["requestMembership"]["userErrors"][0]["code"], "TAKEN", "{linked_already}");

        // An address that is a member's already cannot be approved (and nothing changes); it can be declined.
        let taken = app.data(Some(&bot), REQUEST, asking("600000000000000012", "Someone Else", "gwen.ellis@llgc.test")).await;
        let taken_id = taken["requestMembership"]["request"]["id"].clone();
        let refused = app.data(Some(&admin), DECIDE, deciding(&taken_id, true)).await;
        assert_eq!(refused["decideMembershipRequest"]["userErrors"][0]["code"], "TAKEN", "{refused}");
        let declined = app.data(Some(&admin), DECIDE, deciding(&taken_id, false)).await;
        assert_eq!(declined["decideMembershipRequest"]["request"]["status"], "DECLINED", "{declined}");
        assert_eq!(declined["decideMembershipRequest"]["request"]["member"], Value::Null);
        let asks_again = app.data(Some(&bot), REQUEST, asking("600000000000000012", "Someone Else", "else@llgc.test")).await;
        assert_eq!(asks_again["requestMembership"]["request"]["status"], "PENDING", "a declined person may ask again: {asks_again}");
    }
}

on_both_databases! {
    async fn link_codes_by_email_answer_alike_and_are_limited_per_discord_user(app) {
        let bot = app.member_token("british-library", MemberRole::Bot).await;
        let member = app.member(PARTNER, MemberRole::Member).await;
        let ask = |email: &str| json!({ "i": { "discordUserId": "600000000000000020", "email": email } });
        assert_eq!(error_code(&app.graphql(Some(&member.token), LINK_BY_EMAIL, ask(&member.email)).await), "FORBIDDEN");
        assert_eq!(error_code(&app.graphql(None, LINK_BY_EMAIL, ask(&member.email)).await), "UNAUTHENTICATED");
        let for_member = app.data(Some(&bot), LINK_BY_EMAIL, ask(&member.email)).await;
        let for_nobody = app.data(Some(&bot), LINK_BY_EMAIL, ask("nobody@llgc.test")).await;
        assert_eq!(for_member, for_nobody, "the same answer whoever owns the address");
        assert_eq!(for_member["requestDiscordLinkByEmail"], json!({ "accepted": true, "userErrors": [] }));
        for _ in 0..3 {
            app.data(Some(&bot), LINK_BY_EMAIL, ask("nobody@llgc.test")).await;
        }
        let limited = app.data(Some(&bot), LINK_BY_EMAIL, ask(&member.email)).await;
        assert_eq!(limited["requestDiscordLinkByEmail"]["userErrors"][0]["code"], "RATE_LIMITED", "{limited}");
        let other_user = json!({ "i": { "discordUserId": "600000000000000021", "email": member.email } });
        let other = app.data(Some(&bot), LINK_BY_EMAIL, other_user).await;
        assert_eq!(other["requestDiscordLinkByEmail"]["accepted"], true, "the limit is per Discord user: {other}");
    }
}
