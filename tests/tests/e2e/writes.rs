//! The write side: refused input changes nothing, retries create nothing new, edits
//! never overwrite a newer version, the workflow holds, and every write is audited.

use lkn_entity::vocabulary::MemberRole;
use lkn_entity::{partner, thread};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{Value, json};

use crate::on_both_databases;
use crate::support::TestApp;

const POST: &str = "mutation($i: PostThreadInput!) { postThread(input: $i) { thread { id title tags version status replyCount } userErrors { field message code } } }";
const REPLY: &str = "mutation($i: ReplyToThreadInput!) { replyToThread(input: $i) { reply { id isAccepted } thread { replyCount status } userErrors { field code } } }";
const PROPOSE: &str = "mutation($i: ProposeCollaborationInput!) { proposeCollaboration(input: $i) { collaboration { id status version combinedAudienceReach { knownTotal knownPartnerCount unknownPartnerCount } participants { partner { slug } role joinStatus } } userErrors { field code } } }";
const ADVANCE: &str = "mutation($i: AdvanceCollaborationInput!) { advanceCollaboration(input: $i) { collaboration { status version } userErrors { field code } } }";

async fn thread_count(app: &TestApp) -> u64 {
    thread::Entity::find().count(&app.db).await.expect("count")
}

fn codes(payload: &Value) -> Vec<(String, String)> {
    payload["userErrors"]
        .as_array()
        .expect("userErrors")
        .iter()
        .map(|e| (e["field"][1].as_str().unwrap_or("").to_owned(), e["code"].as_str().unwrap_or("").to_owned()))
        .collect()
}

on_both_databases! {
    async fn refused_input_gets_typed_user_errors_and_changes_nothing(app) {
        let token = app.member_token("glasgow-life", MemberRole::Member).await;
        let before = thread_count(app).await;
        let cases = [
            (json!({ "kind": "QUESTION", "title": "   " }), ("title", "BLANK")),
            (json!({ "kind": "QUESTION", "title": "x".repeat(201) }), ("title", "TOO_LONG")),
            (json!({ "kind": "QUESTION", "title": "Fine", "body": "b".repeat(20_001) }), ("body", "TOO_LONG")),
            (json!({ "kind": "QUESTION", "title": "Fine", "tags": ["a1", "b2", "c3", "d4", "e5", "f6"] }), ("tags", "TOO_LONG")),
            (json!({ "kind": "QUESTION", "title": "Fine", "tags": ["no_underscores!"] }), ("tags", "INVALID")),
            (json!({ "kind": "QUESTION", "title": "Fine", "body": "nul \u{0000} byte" }), ("body", "INVALID")),
        ];
        for (input, (field, code)) in cases {
            let data = app.data(Some(&token), POST, json!({ "i": input })).await;
            assert!(data["postThread"]["thread"].is_null());
            assert!(codes(&data["postThread"]).contains(&(field.to_owned(), code.to_owned())), "{input}: {data}");
        }
        let data = app.data(Some(&token), POST, json!({ "i": { "kind": "IDEA", "title": "", "body": "b".repeat(20_001) } })).await;
        assert_eq!(codes(&data["postThread"]).len(), 2, "every fault is reported at once");
        assert_eq!(thread_count(app).await, before, "no refused post created anything");

        let data = app.data(Some(&token), REPLY, json!({ "i": { "threadId": "not-an-id", "body": "hello" } })).await;
        assert_eq!(codes(&data["replyToThread"]), vec![("threadId".to_owned(), "NOT_FOUND".to_owned())]);

        let data = app.data(Some(&token), POST, json!({ "i": { "kind": "QUESTION", "title": "  Tags are tidied  ", "tags": [" Local History ", "local-history", "Events"] } })).await;
        let posted = &data["postThread"]["thread"];
        assert_eq!(posted["title"], "Tags are tidied");
        assert_eq!(posted["tags"], json!(["events", "local-history"]));

        let coordinator = app.member_token("glasgow-life", MemberRole::Coordinator).await;
        let data = app.data(Some(&coordinator), PROPOSE, json!({ "i": { "kind": "PROGRAMME", "title": "Backwards", "startsOn": "2027-05-01", "endsOn": "2027-04-01", "budgetPence": -5 } })).await;
        let errors = codes(&data["proposeCollaboration"]);
        assert!(errors.contains(&("endsOn".to_owned(), "INVALID".to_owned())));
        assert!(errors.contains(&("budgetPence".to_owned(), "INVALID".to_owned())));
        let data = app.data(Some(&coordinator), PROPOSE, json!({ "i": { "kind": "PROGRAMME", "title": "From a question", "originThreadId": posted["id"] } })).await;
        assert_eq!(codes(&data["proposeCollaboration"]), vec![("originThreadId".to_owned(), "INVALID".to_owned())]);
        let stored = lkn_entity::collaboration::Entity::find().count(&app.db).await.expect("count");
        assert_eq!(stored, 0);
    }
}

on_both_databases! {
    async fn concurrent_duplicate_creates_with_one_key_leave_one_row(app) {
        let token = app.member_token("national-library-of-wales", MemberRole::Member).await;
        let input = json!({ "kind": "RESOURCE", "title": "Bilingual storytime toolkit", "body": "Templates inside.", "idempotencyKey": "interaction-1163" });
        let attempts = (0..8).map(|_| app.data(Some(&token), POST, json!({ "i": input.clone() })));
        let results = futures_util::future::join_all(attempts).await;
        let ids: Vec<&Value> = results.iter().map(|d| &d["postThread"]["thread"]["id"]).collect();
        assert!(ids.iter().all(|id| id.is_string() && *id == ids[0]), "every retry answers with the first thread: {ids:?}");
        let stored = thread::Entity::find().filter(thread::Column::Title.eq("Bilingual storytime toolkit")).count(&app.db).await.expect("count");
        assert_eq!(stored, 1);

        let mut changed = input.clone();
        changed["title"] = json!("A different toolkit");
        let data = app.data(Some(&token), POST, json!({ "i": changed })).await;
        assert_eq!(codes(&data["postThread"]), vec![("idempotencyKey".to_owned(), "IDEMPOTENCY_KEY_REUSED".to_owned())]);

        let other = app.member_token("national-library-of-wales", MemberRole::Member).await;
        let data = app.data(Some(&other), POST, json!({ "i": input })).await;
        assert_ne!(data["postThread"]["thread"]["id"], *ids[0], "keys belong to one member");

        let thread_id = ids[0].clone();
        let replies = (0..6).map(|_| app.data(Some(&other), REPLY, json!({ "i": { "threadId": thread_id, "body": "Diolch!", "idempotencyKey": "reply-1" } })));
        let results = futures_util::future::join_all(replies).await;
        assert!(results.iter().all(|d| d["replyToThread"]["reply"]["id"] == results[0]["replyToThread"]["reply"]["id"]));
        let data = app.data(Some(&other), "query($id: ID!) { thread(id: $id) { replyCount replies { totalCount } } }", json!({ "id": thread_id })).await;
        assert_eq!(data["thread"]["replyCount"], 1);
        assert_eq!(data["thread"]["replies"]["totalCount"], 1);
    }
}

on_both_databases! {
    async fn a_stale_edit_is_a_conflict_and_overwrites_nothing(app) {
        let author = app.member_token("leeds-city-council", MemberRole::Member).await;
        let coordinator = app.member_token("leeds-city-council", MemberRole::Coordinator).await;
        let data = app.data(Some(&author), POST, json!({ "i": { "kind": "IDEA", "title": "Original" } })).await;
        let id = data["postThread"]["thread"]["id"].clone();
        const EDIT: &str = "mutation($i: EditThreadInput!) { editThread(input: $i) { thread { title version tags } userErrors { field code } } }";
        let first = app.data(Some(&coordinator), EDIT, json!({ "i": { "threadId": id, "version": 1, "title": "Coordinator's title", "tags": ["events"] } })).await;
        assert_eq!(first["editThread"]["thread"]["version"], 2);
        assert_eq!(first["editThread"]["thread"]["tags"], json!(["events"]));
        let stale = app.data(Some(&author), EDIT, json!({ "i": { "threadId": id, "version": 1, "title": "Author's title" } })).await;
        assert_eq!(codes(&stale["editThread"]), vec![("version".to_owned(), "CONFLICT".to_owned())]);
        let now = app.data(Some(&author), "query($id: ID!) { thread(id: $id) { title version } }", json!({ "id": id })).await;
        assert_eq!(now["thread"]["title"], "Coordinator's title");
        assert_eq!(now["thread"]["version"], 2);
    }
}

on_both_databases! {
    async fn questions_are_answered_closed_and_endorsed_by_person_and_partner(app) {
        let asker = app.member_token("reading-borough-council", MemberRole::Member).await;
        let helper = app.member_token("hull-city-council", MemberRole::Member).await;
        let colleague = app.member_token("hull-city-council", MemberRole::Member).await;
        let third = app.member_token("sheffield-city-council", MemberRole::Member).await;
        let data = app.data(Some(&asker), POST, json!({ "i": { "kind": "QUESTION", "title": "Who lends laptops?", "visibility": "PUBLIC" } })).await;
        let id = data["postThread"]["thread"]["id"].clone();
        let reply = app.data(Some(&helper), REPLY, json!({ "i": { "threadId": id, "body": "We do, with data SIMs." } })).await;
        assert_eq!(reply["replyToThread"]["thread"]["replyCount"], 1);
        let reply_id = reply["replyToThread"]["reply"]["id"].clone();
        const ACCEPT: &str = "mutation($i: AcceptReplyInput!) { acceptReply(input: $i) { reply { isAccepted } thread { status acceptedReply { id } } userErrors { code } } }";
        let accepted = app.data(Some(&asker), ACCEPT, json!({ "i": { "replyId": reply_id } })).await;
        assert_eq!(accepted["acceptReply"]["reply"]["isAccepted"], true);
        assert_eq!(accepted["acceptReply"]["thread"]["status"], "ANSWERED");
        assert_eq!(accepted["acceptReply"]["thread"]["acceptedReply"]["id"], reply_id);

        const ENDORSE: &str = "mutation($i: ThreadActionInput!) { endorseThread(input: $i) { thread { endorsementCount endorsingPartnerCount } userErrors { code } } }";
        for token in [&helper, &colleague, &third, &helper] {
            app.data(Some(token), ENDORSE, json!({ "i": { "threadId": id } })).await;
        }
        let own = app.data(Some(&asker), ENDORSE, json!({ "i": { "threadId": id } })).await;
        assert_eq!(own["endorseThread"]["userErrors"][0]["code"], "INVALID_STATE");
        let counts = app.data(None, "query($id: ID!) { thread(id: $id) { endorsementCount endorsingPartnerCount } }", json!({ "id": id })).await;
        assert_eq!(counts["thread"]["endorsementCount"], 3, "three members, the repeat counted once");
        assert_eq!(counts["thread"]["endorsingPartnerCount"], 2, "Hull and Sheffield");

        const CLOSE: &str = "mutation($i: ThreadActionInput!) { closeThread(input: $i) { thread { status } userErrors { code } } }";
        let closed = app.data(Some(&asker), CLOSE, json!({ "i": { "threadId": id } })).await;
        assert_eq!(closed["closeThread"]["thread"]["status"], "CLOSED");
        let late = app.data(Some(&helper), REPLY, json!({ "i": { "threadId": id, "body": "One more thing" } })).await;
        assert_eq!(codes(&late["replyToThread"]), vec![("threadId".to_owned(), "INVALID_STATE".to_owned())]);
        let stats = app.data(None, "{ networkStats { answeredRate medianHoursToFirstReply } }", json!({})).await;
        assert_eq!(stats["networkStats"]["answeredRate"], 1.0, "a question answered and then closed still counts as answered");
    }
}

on_both_databases! {
    async fn a_collaboration_moves_through_its_workflow_with_partners_and_evidence(app) {
        let lead = app.member_token("british-library", MemberRole::Coordinator).await;
        let wales = app.member_token("national-library-of-wales", MemberRole::Coordinator).await;
        let scotland = app.member_token("national-library-of-scotland", MemberRole::Coordinator).await;
        let author = app.member_token("british-library", MemberRole::Member).await;
        for (slug, reach) in [("british-library", Some(1_500_000_i64)), ("national-library-of-wales", Some(250_000))] {
            partner::Entity::update_many()
                .col_expr(partner::Column::AudienceReach, sea_orm::sea_query::Expr::value(reach))
                .filter(partner::Column::Slug.eq(slug))
                .exec(&app.db)
                .await
                .expect("set reach");
        }
        let idea = app.data(Some(&author), POST, json!({ "i": { "kind": "IDEA", "title": "A four-nations map exhibition" } })).await;
        let idea_id = idea["postThread"]["thread"]["id"].clone();
        let proposed = app.data(Some(&lead), PROPOSE, json!({ "i": {
            "kind": "FUNDING_APPLICATION", "title": "Maps of the four nations", "summary": "A joint bid.",
            "startsOn": "2027-03-01", "endsOn": "2027-09-30", "bidDeadline": "2027-01-15", "funder": "National Lottery Heritage Fund",
            "budgetPence": 4_500_000_000_i64, "originThreadId": idea_id, "idempotencyKey": "bid-1" } })).await;
        let collaboration = &proposed["proposeCollaboration"]["collaboration"];
        assert_eq!(collaboration["status"], "PROPOSED");
        assert_eq!(collaboration["participants"], json!([{ "partner": { "slug": "british-library" }, "role": "LEAD", "joinStatus": "ACCEPTED" }]));
        let id = collaboration["id"].clone();

        const JOIN: &str = "mutation($i: RequestToJoinCollaborationInput!) { requestToJoinCollaboration(input: $i) { collaboration { participants { partner { slug } joinStatus } } userErrors { code } } }";
        const DECIDE: &str = "mutation($i: DecideJoinRequestInput!) { decideJoinRequest(input: $i) { collaboration { combinedAudienceReach { knownTotal knownPartnerCount unknownPartnerCount } participants { partner { slug } joinStatus } } userErrors { field code } } }";
        app.data(Some(&wales), JOIN, json!({ "i": { "collaborationId": id } })).await;
        app.data(Some(&scotland), JOIN, json!({ "i": { "collaborationId": id, "role": "SUPPORTER" } })).await;
        app.data(Some(&lead), DECIDE, json!({ "i": { "collaborationId": id, "partnerSlug": "national-library-of-wales", "accept": true } })).await;
        let decided = app.data(Some(&lead), DECIDE, json!({ "i": { "collaborationId": id, "partnerSlug": "national-library-of-scotland", "accept": true } })).await;
        let reach = &decided["decideJoinRequest"]["collaboration"]["combinedAudienceReach"];
        assert_eq!(reach, &json!({ "knownTotal": 1_750_000, "knownPartnerCount": 2, "unknownPartnerCount": 1 }));
        let flip = app.data(Some(&lead), DECIDE, json!({ "i": { "collaborationId": id, "partnerSlug": "national-library-of-scotland", "accept": false } })).await;
        assert_eq!(codes(&flip["decideJoinRequest"]), vec![("partnerSlug".to_owned(), "INVALID_STATE".to_owned())]);

        let illegal = app.data(Some(&lead), ADVANCE, json!({ "i": { "collaborationId": id, "status": "COMPLETED" } })).await;
        assert_eq!(codes(&illegal["advanceCollaboration"]), vec![("status".to_owned(), "INVALID_STATE".to_owned())]);
        let stale = app.data(Some(&lead), ADVANCE, json!({ "i": { "collaborationId": id, "status": "SEEKING_PARTNERS", "version": 1 } })).await;
        assert_eq!(codes(&stale["advanceCollaboration"]), vec![("version".to_owned(), "CONFLICT".to_owned())]);
        for status in ["SEEKING_PARTNERS", "ACTIVE"] {
            let moved = app.data(Some(&lead), ADVANCE, json!({ "i": { "collaborationId": id, "status": status } })).await;
            assert_eq!(moved["advanceCollaboration"]["collaboration"]["status"], status);
        }
        const RECORD: &str = "mutation($i: RecordOutcomeInput!) { recordOutcome(input: $i) { outcome { attendance attendanceEstimated reach partner { slug } } collaboration { outcomes { note } } userErrors { field code } } }";
        let recorded = app.data(Some(&wales), RECORD, json!({ "i": { "collaborationId": id, "occurredOn": "2027-04-12", "attendance": 120, "attendanceEstimated": true, "reach": 4000, "note": "Launch in Aberystwyth", "idempotencyKey": "o-1" } })).await;
        assert_eq!(recorded["recordOutcome"]["outcome"]["partner"]["slug"], "national-library-of-wales");
        app.data(Some(&wales), RECORD, json!({ "i": { "collaborationId": id, "occurredOn": "2027-04-12", "attendance": 120, "attendanceEstimated": true, "reach": 4000, "note": "Launch in Aberystwyth", "idempotencyKey": "o-1" } })).await;
        let negative = app.data(Some(&wales), RECORD, json!({ "i": { "collaborationId": id, "occurredOn": "2027-04-12", "attendance": -1 } })).await;
        assert_eq!(codes(&negative["recordOutcome"]), vec![("attendance".to_owned(), "INVALID".to_owned())]);
        let completed = app.data(Some(&lead), ADVANCE, json!({ "i": { "collaborationId": id, "status": "COMPLETED" } })).await;
        assert_eq!(completed["advanceCollaboration"]["collaboration"]["status"], "COMPLETED");
        let back = app.data(Some(&lead), ADVANCE, json!({ "i": { "collaborationId": id, "status": "ACTIVE" } })).await;
        assert_eq!(codes(&back["advanceCollaboration"]), vec![("status".to_owned(), "INVALID_STATE".to_owned())]);
        let read = app.data(Some(&author), "query($id: ID!) { collaboration(id: $id) { status budgetPence funder bidDeadline outcomes { attendance } originThread { title collaborations { id } } } }", json!({ "id": id })).await;
        assert_eq!(read["collaboration"]["outcomes"].as_array().map(Vec::len), Some(1), "the retried outcome was recorded once");
        assert_eq!(read["collaboration"]["budgetPence"], 4_500_000_000_i64);
        assert_eq!(read["collaboration"]["originThread"]["collaborations"][0]["id"], id);
        let hidden = app.data(None, "query($id: ID!) { collaboration(id: $id) { id } }", json!({ "id": id })).await;
        assert!(hidden["collaboration"].is_null(), "a network-only collaboration is hidden from the public");
    }
}

on_both_databases! {
    async fn the_bot_acts_only_for_linked_members_and_the_audit_trail_says_so(app) {
        let member = app.member_token("kirklees-council", MemberRole::Member).await;
        let bot = app.member_token("british-library", MemberRole::Bot).await;
        let admin = app.member_token("british-library", MemberRole::Admin).await;
        let body = app.graphql_with(Some(&bot), &[("x-lkn-discord-user", "700000000000000001")], "{ viewer { id } }", json!({})).await;
        assert_eq!(body["errors"][0]["extensions"]["code"], "UNAUTHENTICATED");
        assert!(body["errors"][0]["message"].as_str().is_some_and(|m| m.contains("/link")), "the bot can show the message: {body}");
        let alone = app.data(Some(&bot), "{ viewer { id } }", json!({})).await;
        assert!(alone["viewer"].is_null());

        let code = app.data(Some(&member), "mutation { createDiscordLinkCode { code expiresAt } }", json!({})).await;
        let code = code["createDiscordLinkCode"]["code"].clone();
        const LINK: &str = "mutation($i: LinkDiscordAccountInput!) { linkDiscordAccount(input: $i) { member { displayName discordLinked } userErrors { field code } } }";
        let linked = app.data(Some(&bot), LINK, json!({ "i": { "code": code, "discordUserId": "700000000000000001" } })).await;
        assert_eq!(linked["linkDiscordAccount"]["member"]["discordLinked"], true);
        let reused = app.data(Some(&bot), LINK, json!({ "i": { "code": code, "discordUserId": "700000000000000002" } })).await;
        assert_eq!(codes(&reused["linkDiscordAccount"]), vec![("code".to_owned(), "EXPIRED".to_owned())]);
        let late = app.data(Some(&member), "mutation { createDiscordLinkCode { code } }", json!({})).await;
        lkn_entity::discord_link_code::Entity::update_many()
            .col_expr(lkn_entity::discord_link_code::Column::ExpiresAt, sea_orm::sea_query::Expr::value(chrono::Utc::now() - chrono::Duration::seconds(1)))
            .exec(&app.db)
            .await
            .expect("age the code");
        let expired = app.data(Some(&bot), LINK, json!({ "i": { "code": late["createDiscordLinkCode"]["code"], "discordUserId": "700000000000000003" } })).await;
        assert_eq!(codes(&expired["linkDiscordAccount"]), vec![("code".to_owned(), "EXPIRED".to_owned())]);

        let acting = [("x-lkn-discord-user", "700000000000000001"), ("x-request-id", "req-from-discord-42")];
        let me = app.graphql_with(Some(&bot), &acting, "{ viewer { partner { slug } } }", json!({})).await;
        assert_eq!(me["data"]["viewer"]["partner"]["slug"], "kirklees-council");
        let posted = app.graphql_with(Some(&bot), &acting, POST, json!({ "i": { "kind": "QUESTION", "title": "Asked from Discord" } })).await;
        assert!(posted["data"]["postThread"]["thread"]["id"].is_string(), "{posted}");

        let trail = app.data(Some(&admin), "{ auditEvents(first: 20) { nodes { action actor { role } onBehalfOf { partner { slug } } requestId subjectType } } }", json!({})).await;
        let post = trail["auditEvents"]["nodes"].as_array().expect("nodes").iter().find(|e| e["action"] == "thread.post").expect("audited");
        assert_eq!(post["actor"]["role"], "BOT");
        assert_eq!(post["onBehalfOf"]["partner"]["slug"], "kirklees-council");
        assert_eq!(post["requestId"], "req-from-discord-42");
        assert!(trail["auditEvents"]["nodes"].as_array().expect("nodes").iter().any(|e| e["action"] == "discord.link"));
        let refused = app.graphql(Some(&member), "{ auditEvents { totalCount } }", json!({})).await;
        assert_eq!(refused["errors"][0]["extensions"]["code"], "FORBIDDEN");
    }
}

on_both_databases! {
    /// Titles, names and tags refuse characters that reorder text or hide inside it
    /// (bidirectional overrides and isolates, zero-width characters): a title that shows
    /// one thing and stores another, or two names that look the same, are refused on
    /// their field and change nothing.
    async fn titles_names_and_tags_refuse_invisible_reordering_characters(app) {
        let token = app.member_token("glasgow-life", MemberRole::Member).await;
        let coordinator = app.member_token("glasgow-life", MemberRole::Coordinator).await;
        let before = thread_count(app).await;
        let sneaky = [
            "Minutes\u{202E}fdp.exe", "Story\u{200B}time", "Story\u{200C}time", "Story\u{200D}time", "Story\u{2060}time",
            "\u{FEFF}Storytime", "Left \u{2066}isolated\u{2069} right", "\u{202A}embedded\u{202C}", "\u{2067}\u{2068}",
        ];
        for title in sneaky {
            let data = app.data(Some(&token), POST, json!({ "i": { "kind": "IDEA", "title": title } })).await;
            assert!(data["postThread"]["thread"].is_null(), "{title:?}: {data}");
            assert_eq!(codes(&data["postThread"]), vec![("title".to_owned(), "INVALID".to_owned())], "{title:?}: {data}");
            assert_eq!(data["postThread"]["userErrors"][0]["field"], json!(["input", "title"]));
        }
        let data = app.data(Some(&token), POST, json!({ "i": { "kind": "IDEA", "title": "Fine", "tags": ["story\u{200B}time"] } })).await;
        assert_eq!(codes(&data["postThread"]), vec![("tags".to_owned(), "INVALID".to_owned())], "{data}");
        assert_eq!(thread_count(app).await, before, "no refused post created anything");

        let posted = app.data(Some(&token), POST, json!({ "i": { "kind": "IDEA", "title": "Reading café" } })).await;
        let edit = "mutation($i: EditThreadInput!) { editThread(input: $i) { thread { id } userErrors { field code } } }";
        let data = app.data(Some(&token), edit, json!({ "i": { "threadId": posted["postThread"]["thread"]["id"], "version": 1, "title": "Reading\u{202E}café" } })).await;
        assert_eq!(codes(&data["editThread"]), vec![("title".to_owned(), "INVALID".to_owned())], "{data}");
        let stored = thread::Entity::find().filter(thread::Column::Title.eq("Reading café")).one(&app.db).await.expect("query").expect("kept");
        assert_eq!(stored.version, 1, "the refused edit changed nothing");

        let data = app.data(Some(&coordinator), PROPOSE, json!({ "i": { "kind": "PROGRAMME", "title": "Summer \u{2067}reading\u{2069}" } })).await;
        assert_eq!(codes(&data["proposeCollaboration"]), vec![("title".to_owned(), "INVALID".to_owned())], "{data}");
        assert_eq!(lkn_entity::collaboration::Entity::find().count(&app.db).await.expect("count"), 0);

        let add = "mutation($i: AddMemberInput!) { addMember(input: $i) { member { id } userErrors { field code } } }";
        let members_before = lkn_entity::member::Entity::find().count(&app.db).await.expect("count");
        for name in ["Ann\u{200B}Smith", "\u{202E}htimS nnA"] {
            let data = app.data(Some(&coordinator), add, json!({ "i": { "partnerSlug": "glasgow-life", "email": "ann@glasgow.test", "displayName": name } })).await;
            assert_eq!(codes(&data["addMember"]), vec![("displayName".to_owned(), "INVALID".to_owned())], "{name:?}: {data}");
        }
        assert_eq!(lkn_entity::member::Entity::find().count(&app.db).await.expect("count"), members_before);
        let data = app.data(Some(&coordinator), add, json!({ "i": { "partnerSlug": "glasgow-life", "email": "ann@glasgow.test", "displayName": "Ann Ní Bhriain" } })).await;
        assert!(data["addMember"]["member"]["id"].is_string(), "an ordinary name is fine: {data}");
    }
}
