//! Profiles, "who knows about X?", and a member's personal data exported and erased, over
//! the real server and the operator's commands, on both databases.

use lkn_entity::vocabulary::MemberRole;
use lkn_entity::{audit_event, member};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, PaginatorTrait, QueryFilter, Statement,
};
use serde_json::{Value, json};

use crate::cli::lkn_api;
use crate::support::TestApp;
use crate::{on_both_databases, on_both_databases_with_mail};

const PARTNER: &str = "glasgow-life";

const UPDATE: &str = "mutation($i: UpdateProfileInput!) { updateProfile(input: $i) { member { displayName bio languages preferredLanguage expertise } userErrors { field code message } } }";
const PROFILE: &str = "{ viewer { displayName bio languages preferredLanguage expertise } }";
const WHO_KNOWS: &str = "query($t: String!, $n: Int) { whoKnows(topic: $t, first: $n) { member { id displayName partner { name } } score reasons } }";
const POST: &str = "mutation($i: PostThreadInput!) { postThread(input: $i) { thread { id } userErrors { code } } }";
const REPLY: &str =
    "mutation($i: ReplyToThreadInput!) { replyToThread(input: $i) { reply { id } userErrors { code } } }";

async fn post(app: &TestApp, token: &str, title: &str, tags: &[&str]) -> String {
    let data = app
        .data(
            Some(token),
            POST,
            json!({ "i": { "kind": "QUESTION", "title": title, "body": "We would value advice.", "tags": tags, "visibility": "NETWORK" } }),
        )
        .await;
    data["postThread"]["thread"]["id"].as_str().expect("a thread").to_owned()
}

async fn reply(app: &TestApp, token: &str, thread_id: &str, body: &str) -> String {
    let data = app.data(Some(token), REPLY, json!({ "i": { "threadId": thread_id, "body": body } })).await;
    data["replyToThread"]["reply"]["id"].as_str().expect("a reply").to_owned()
}

async fn rename(app: &TestApp, token: &str, name: &str) {
    let data = app.data(Some(token), UPDATE, json!({ "i": { "displayName": name } })).await;
    assert_eq!(data["updateProfile"]["userErrors"], json!([]), "{data}");
}

on_both_databases! {
    async fn a_member_edits_their_profile_and_bad_input_changes_nothing(app) {
        let me = app.member(PARTNER, MemberRole::Member).await;
        let changes = json!({ "i": {
            "displayName": "Morag Kerr",
            "bio": "Children's librarian; I run storytime in three branches.",
            "languages": ["EN", "GD", "EN"],
            "preferredLanguage": "CY",
            "expertise": ["Storytime", " Local History ", "storytime"],
        } });
        let data = app.data(Some(&me.token), UPDATE, changes.clone()).await;
        let expected = json!({
            "displayName": "Morag Kerr",
            "bio": "Children's librarian; I run storytime in three branches.",
            "languages": ["EN", "GD"],
            "preferredLanguage": "CY",
            "expertise": ["local-history", "storytime"],
        });
        assert_eq!(data["updateProfile"]["member"], expected);
        assert_eq!(app.data(Some(&me.token), PROFILE, json!({})).await["viewer"], expected);

        // A retry changes nothing and records nothing more.
        let again = app.data(Some(&me.token), UPDATE, changes).await;
        assert_eq!(again["updateProfile"]["member"], expected);
        let audited = audit_event::Entity::find()
            .filter(audit_event::Column::Action.eq("member.profile"))
            .filter(audit_event::Column::SubjectId.eq(me.id))
            .count(&app.db)
            .await
            .expect("audit count");
        assert_eq!(audited, 1);

        // Every fault is reported at once, on its field, and nothing changes.
        let too_many: Vec<String> = (0..21).map(|n| format!("topic-{n}")).collect();
        let bad = app
            .data(
                Some(&me.token),
                UPDATE,
                json!({ "i": { "displayName": "New Name", "bio": "x".repeat(1_001), "expertise": too_many, "preferredLanguage": "GD" } }),
            )
            .await;
        let errors = &bad["updateProfile"]["userErrors"];
        let fields: Vec<&str> = errors.as_array().expect("errors").iter().map(|e| e["field"][1].as_str().unwrap_or("")).collect();
        assert_eq!(fields, vec!["bio", "preferredLanguage", "expertise"], "{bad}");
        assert!(errors.as_array().expect("errors").iter().filter(|e| e["field"][1] != "preferredLanguage").all(|e| e["code"] == "TOO_LONG"));
        assert!(bad["updateProfile"]["member"].is_null());
        assert_eq!(app.data(Some(&me.token), PROFILE, json!({})).await["viewer"], expected);

        // Colleagues see the profile; the list of a partner's staff loads expertise too.
        let colleague = app.member(PARTNER, MemberRole::Member).await;
        let staff = app
            .data(Some(&colleague.token), "query($s: String!) { partner(slug: $s) { members(first: 50) { nodes { displayName expertise bio } } } }", json!({ "s": PARTNER }))
            .await;
        let nodes = staff["partner"]["members"]["nodes"].as_array().expect("members").clone();
        let morag = nodes.iter().find(|m| m["displayName"] == "Morag Kerr").expect("Morag is listed");
        assert_eq!(morag["expertise"], json!(["local-history", "storytime"]));
        assert!(nodes.iter().filter(|m| m["displayName"] != "Morag Kerr").all(|m| m["expertise"] == json!([])));
    }
}

on_both_databases! {
    async fn who_knows_ranks_accepted_answers_replies_endorsements_and_declarations(app) {
        let asker = app.member(PARTNER, MemberRole::Member).await;
        let answerer = app.member("national-library-of-wales", MemberRole::Member).await;
        let replier = app.member(PARTNER, MemberRole::Member).await;
        let declarer = app.member(PARTNER, MemberRole::Member).await;
        let suspended = app.member(PARTNER, MemberRole::Member).await;
        for (m, name) in [(&asker, "Asker"), (&answerer, "Answerer"), (&replier, "Replier"), (&declarer, "Declarer"), (&suspended, "Suspended")] {
            rename(app, &m.token, name).await;
        }
        app.data(Some(&declarer.token), UPDATE, json!({ "i": { "expertise": ["storytime"] } })).await;

        let tagged = post(app, &asker.token, "Ideas for a winter session?", &["storytime"]).await;
        let accepted = reply(app, &answerer.token, &tagged, "Puppets and a sing-along work well.").await;
        app.data(Some(&asker.token), "mutation($i: AcceptReplyInput!) { acceptReply(input: $i) { userErrors { code } } }", json!({ "i": { "replyId": accepted } })).await;
        // Matched by its words, not by a tag.
        let worded = post(app, &asker.token, "Storytime for toddlers in a small branch", &[]).await;
        reply(app, &replier.token, &worded, "Keep it to twenty minutes.").await;
        reply(app, &suspended.token, &worded, "Bring bubbles.").await;
        app.data(Some(&replier.token), "mutation($i: ThreadActionInput!) { endorseThread(input: $i) { userErrors { code } } }", json!({ "i": { "threadId": tagged } })).await;
        let unrelated = post(app, &asker.token, "Cataloguing maps", &["archives"]).await;
        reply(app, &declarer.token, &unrelated, "We use MARC 034.").await;
        lkn_api(&app.database_url(), &["member", "suspend", "--email", &suspended.email]).await.expect("suspend");

        let data = app.data(Some(&replier.token), WHO_KNOWS, json!({ "t": " StoryTime " })).await;
        let ranked: Vec<(String, i64, Vec<String>)> = data["whoKnows"]
            .as_array()
            .expect("a list")
            .iter()
            .map(|e| {
                let reasons = e["reasons"].as_array().expect("reasons").iter().map(|r| r.as_str().unwrap_or("").to_owned()).collect();
                (e["member"]["displayName"].as_str().unwrap_or("").to_owned(), e["score"].as_i64().unwrap_or(0), reasons)
            })
            .collect();
        let expected: Vec<(String, i64, Vec<String>)> = vec![
            ("Answerer".into(), 5, vec!["1 accepted answer on storytime".into()]),
            ("Declarer".into(), 3, vec!["declares storytime".into()]),
            ("Replier".into(), 2, vec!["1 reply on storytime".into()]),
            ("Asker".into(), 1, vec!["1 endorsement of their threads on storytime".into()]),
        ];
        assert_eq!(ranked, expected);
        let first = app.data(Some(&replier.token), WHO_KNOWS, json!({ "t": "storytime", "n": 1 })).await;
        assert_eq!(first["whoKnows"].as_array().map(Vec::len), Some(1));
        assert_eq!(first["whoKnows"][0]["member"]["partner"]["name"], "National Library of Wales");

        let anonymous = app.graphql(None, WHO_KNOWS, json!({ "t": "storytime" })).await;
        assert_eq!(anonymous["errors"][0]["extensions"]["code"], "UNAUTHENTICATED", "{anonymous}");
        let long = app.graphql(Some(&replier.token), WHO_KNOWS, json!({ "t": "story ".repeat(40) })).await;
        assert_eq!(long["errors"][0]["extensions"]["code"], "BAD_REQUEST", "{long}");
        let nobody = app.data(Some(&replier.token), WHO_KNOWS, json!({ "t": "bookbinding" })).await;
        assert_eq!(nobody["whoKnows"], json!([]));
    }
}

on_both_databases! {
    async fn who_knows_storytime_on_the_demo_data_names_those_who_answered_storytime_questions_first(app) {
        app.seed_demo(600).await;
        let me = app.member(PARTNER, MemberRole::Member).await;
        let data = app.data(Some(&me.token), WHO_KNOWS, json!({ "t": "storytime", "n": 5 })).await;
        let experts = data["whoKnows"].as_array().expect("a list").clone();
        assert_eq!(experts.len(), 5, "{data:#}");
        let scores: Vec<i64> = experts.iter().map(|e| e["score"].as_i64().unwrap_or(0)).collect();
        assert!(scores.windows(2).all(|w| w[0] >= w[1]), "best first: {scores:?}");

        // Who answered storytime questions, counted from the tables themselves.
        let rows = app
            .db
            .query_all_raw(Statement::from_string(
                app.db.get_database_backend(),
                "SELECT r.author_id AS author_id, COUNT(*) AS n FROM replies r \
                 JOIN thread_tags tt ON tt.thread_id = r.thread_id JOIN tags g ON g.id = tt.tag_id \
                 WHERE g.name = 'storytime' AND r.is_accepted = TRUE GROUP BY r.author_id ORDER BY n DESC",
            ))
            .await
            .expect("accepted storytime answers");
        let answered: Vec<(i64, i64)> =
            rows.iter().map(|r| (r.try_get::<i64>("", "author_id").expect("id"), r.try_get::<i64>("", "n").expect("n"))).collect();
        assert!(!answered.is_empty(), "the demo data has accepted answers on storytime");
        let most = answered[0].1;

        let top = &experts[0];
        let top_name = top["member"]["displayName"].as_str().expect("a name");
        let top_id = member::Entity::find()
            .filter(member::Column::DisplayName.eq(top_name))
            .all(&app.db)
            .await
            .expect("members")
            .into_iter()
            .map(|m| m.id)
            .find(|id| answered.iter().any(|(a, _)| a == id))
            .unwrap_or_else(|| panic!("{top_name} answered no storytime question: {data:#}"));
        let their_answers = answered.iter().find(|(a, _)| *a == top_id).map_or(0, |(_, n)| *n);
        assert!(their_answers * 2 >= most, "the first named has among the most accepted storytime answers");
        let reasons: Vec<&str> = top["reasons"].as_array().expect("reasons").iter().filter_map(Value::as_str).collect();
        assert!(reasons[0].ends_with("accepted answers on storytime") || reasons[0].ends_with("accepted answer on storytime"), "{reasons:?}");
        let declares = experts.iter().any(|e| e["reasons"].as_array().is_some_and(|r| r.iter().any(|r| r == "declares storytime")));
        assert!(declares, "the demo's storytime leads declare it: {data:#}");
    }
}

/// Every value of every column of every table, as text (SQLite's bytes read leniently).
async fn every_stored_text(app: &TestApp) -> Vec<(String, String)> {
    let db = &app.db;
    let backend = db.get_database_backend();
    let list = match backend {
        DbBackend::Postgres => {
            "SELECT table_name AS t, column_name AS c FROM information_schema.columns WHERE table_schema = 'public'"
        }
        _ => {
            "SELECT m.name AS t, p.name AS c FROM sqlite_master m JOIN pragma_table_info(m.name) p WHERE m.type = 'table'"
        }
    };
    let columns = db.query_all_raw(Statement::from_string(backend, list)).await.expect("the catalogue");
    assert!(columns.len() > 50, "the catalogue lists the tables' columns");
    let mut found = Vec::new();
    for column in columns {
        let table: String = column.try_get("", "t").expect("table");
        let name: String = column.try_get("", "c").expect("column");
        let select = match backend {
            DbBackend::Postgres => format!("SELECT \"{name}\"::text AS v FROM \"{table}\""),
            _ => format!("SELECT CAST(\"{name}\" AS BLOB) AS v FROM \"{table}\""),
        };
        for row in db.query_all_raw(Statement::from_string(backend, select)).await.expect("a column") {
            let text = match backend {
                DbBackend::Postgres => row.try_get::<Option<String>>("", "v").expect("text"),
                _ => row
                    .try_get::<Option<Vec<u8>>>("", "v")
                    .expect("bytes")
                    .map(|b| String::from_utf8_lossy(&b).into_owned()),
            };
            if let Some(text) = text {
                found.push((format!("{table}.{name}"), text));
            }
        }
    }
    found
}

on_both_databases_with_mail! {
    async fn member_erase_leaves_no_trace_of_their_name_or_email_and_keeps_their_threads(app) {
        let url = app.database_url();
        // Unique to the run: the SMTP catcher is shared by every test in the binary.
        let email = format!("zephyrine.quillfeather.{:08x}@glasgow.example", rand::random::<u32>());
        let email = email.as_str();
        let name = "Zephyrine Quillfeather";
        let discord_id = "712398754321098765";
        let token = lkn_api(&url, &["member", "add", "--partner", PARTNER, "--email", &email.to_uppercase(), "--name", name]).await.expect("member add");
        let token = token.trim().to_owned();
        let second = lkn_api(&url, &["token", "issue", "--email", email]).await.expect("token issue");
        app.data(Some(&token), UPDATE, json!({ "i": { "bio": format!("{name} runs reading groups."), "languages": ["EN", "GD"], "expertise": ["reading-groups"] } })).await;

        // A session from an e-mailed sign-in code, which leaves mail to them in the outbox.
        app.data(None, "mutation($i: RequestSignInInput!) { requestSignIn(input: $i) { accepted } }", json!({ "i": { "email": email } })).await;
        let mail = app.mail().wait_for(email).await;
        let code = mail
            .text
            .lines()
            .filter_map(|line| line.strip_prefix("    ").map(str::trim))
            .find(|word| word.len() == 6 && word.chars().all(|c| c.is_ascii_alphanumeric()))
            .expect("the code, indented on its own line")
            .to_owned();
        let session = app.data(None, "mutation($i: CompleteSignInInput!) { completeSignIn(input: $i) { token } }", json!({ "i": { "code": code, "email": email } })).await;
        let session = session["completeSignIn"]["token"].as_str().expect("a session").to_owned();

        // A linked Discord account, and a link code left unused.
        let bot = app.member_token(PARTNER, MemberRole::Bot).await;
        let link = app.data(Some(&token), "mutation { createDiscordLinkCode { code } }", json!({})).await;
        let link = link["createDiscordLinkCode"]["code"].as_str().expect("a code").to_owned();
        let linked = app.data(Some(&bot), "mutation($i: LinkDiscordAccountInput!) { linkDiscordAccount(input: $i) { member { discordLinked } userErrors { code } } }", json!({ "i": { "code": link, "discordUserId": discord_id } })).await;
        assert_eq!(linked["linkDiscordAccount"]["member"]["discordLinked"], true, "{linked}");
        app.data(Some(&token), "mutation { createDiscordLinkCode { code } }", json!({})).await;
        // An earlier request to join from that Discord account, turned down.
        let partner_id = lkn_entity::partner::Entity::find()
            .filter(lkn_entity::partner::Column::Slug.eq(PARTNER))
            .one(&app.db)
            .await
            .expect("read")
            .expect("the partner")
            .id;
        lkn_entity::membership_request::ActiveModel {
            partner_id: sea_orm::Set(partner_id),
            discord_user_id: sea_orm::Set(discord_id.to_owned()),
            display_name: sea_orm::Set(name.to_owned()),
            email: sea_orm::Set(email.to_owned()),
            status: sea_orm::Set(lkn_entity::vocabulary::MembershipRequestStatus::Declined),
            pending_key: sea_orm::Set(None),
            decided_by_id: sea_orm::Set(None),
            member_id: sea_orm::Set(None),
            created_at: sea_orm::Set(chrono::Utc::now()),
            decided_at: sea_orm::Set(Some(chrono::Utc::now())),
            ..Default::default()
        }
        .insert(&app.db)
        .await
        .expect("a request to join");

        // Threads, replies, an endorsement and a follow.
        let colleague = app.member(PARTNER, MemberRole::Member).await;
        let theirs = post(app, &token, "Large-print stock for reading groups", &["reading-groups"]).await;
        let other = post(app, &colleague.token, "Reading group sets by post?", &[]).await;
        reply(app, &token, &other, "We share sets with the next authority over.").await;
        reply(app, &colleague.token, &theirs, "We buy from the big supplier.").await;
        app.data(Some(&token), "mutation($i: ThreadActionInput!) { endorseThread(input: $i) { userErrors { code } } }", json!({ "i": { "threadId": other } })).await;

        // Notifications: a preference of their own, and the colleague's reply on their thread told to them
        // (in the list, and by e-mail at once, with its one-click link).
        let prefer = "mutation { updateNotificationPreferences(input: { preferences: [{ kind: REPLY_ON_YOUR_THREAD, email: IMMEDIATELY }] }) { userErrors { code } } }";
        app.data(Some(&token), prefer, json!({})).await;
        reply(app, &colleague.token, &theirs, "And the library suppliers' framework.").await;
        app.mail().wait_for_count(email, 2).await;

        let export = lkn_api(&url, &["member", "export", "--email", email]).await.expect("member export");
        let held: Value = serde_json::from_str(&export).expect("export is JSON");
        assert_eq!(held["member"]["email"], email);
        assert_eq!(held["member"]["displayName"], name);
        assert_eq!(held["partner"]["slug"], PARTNER);
        assert_eq!(held["expertise"], json!(["reading-groups"]));
        assert_eq!(held["threads"][0]["title"], "Large-print stock for reading groups");
        assert_eq!(held["replies"][0]["body"], "We share sets with the next authority over.");
        assert_eq!(held["discord"]["userId"], discord_id);
        assert_eq!(held["tokens"].as_array().map(Vec::len), Some(3), "two API tokens and a session");
        assert_eq!(held["endorsements"].as_array().map(Vec::len), Some(1));
        assert!(held["mail"].as_array().is_some_and(|m| !m.is_empty()));
        assert_eq!(held["requestsToJoin"][0]["status"], "Declined");
        assert_eq!(held["notifications"][0]["kind"], "ReplyOnYourThread", "{held:#}");
        assert_eq!(held["notificationPreferences"][0]["email"], "Immediately");
        for secret in [&token, &second.trim().to_owned(), &session, &code] {
            assert!(!export.contains(secret.as_str()), "the export carries no secrets");
        }
        assert!(!export.contains("hash"), "nor any fingerprint of one");

        lkn_api(&url, &["member", "erase", "--email", email]).await.expect("member erase");

        let needles = [name.to_lowercase(), "zephyrine".to_owned(), "quillfeather".to_owned(), email.to_owned(), discord_id.to_owned()];
        let stored = every_stored_text(app).await;
        let traces: Vec<&(String, String)> =
            stored.iter().filter(|(_, text)| needles.iter().any(|n| text.to_lowercase().contains(n.as_str()))).collect();
        assert!(traces.is_empty(), "traces left: {traces:?}");
        let member_id = lkn_entity::member::Entity::find()
            .filter(lkn_entity::member::Column::DisplayName.eq("A former member of Glasgow Life"))
            .one(&app.db)
            .await
            .expect("read")
            .expect("the erased member")
            .id;
        for (table, left) in [
            ("notifications", lkn_entity::notification::Entity::find().filter(lkn_entity::notification::Column::MemberId.eq(member_id)).count(&app.db).await),
            ("notification_preferences", lkn_entity::notification_preference::Entity::find().filter(lkn_entity::notification_preference::Column::MemberId.eq(member_id)).count(&app.db).await),
            ("unsubscribe_links", lkn_entity::unsubscribe_link::Entity::find().filter(lkn_entity::unsubscribe_link::Column::MemberId.eq(member_id)).count(&app.db).await),
            ("jobs", lkn_entity::job::Entity::find().filter(lkn_entity::job::Column::MemberId.eq(member_id)).count(&app.db).await),
        ] {
            assert_eq!(left.expect("count"), 0, "{table} still holds rows of the erased member");
        }
        assert!(stored.iter().any(|(column, text)| column == "members.display_name" && text == "A former member of Glasgow Life"));

        // Threads and replies stay, attributed to a former member of the partner.
        let thread = app
            .data(Some(&colleague.token), "query($id: ID!) { node(id: $id) { ... on Thread { title author { displayName bio expertise discordLinked } replies(first: 5) { nodes { body } } } } }", json!({ "id": theirs }))
            .await;
        assert_eq!(thread["node"]["title"], "Large-print stock for reading groups");
        assert_eq!(
            thread["node"]["author"],
            json!({ "displayName": "A former member of Glasgow Life", "bio": "", "expertise": [], "discordLinked": false })
        );
        assert_eq!(thread["node"]["replies"]["nodes"][0]["body"], "We buy from the big supplier.");
        let replied = app.data(Some(&colleague.token), "query($id: ID!) { node(id: $id) { ... on Thread { replies(first: 5) { nodes { author { displayName } } } } } }", json!({ "id": other })).await;
        assert_eq!(replied["node"]["replies"]["nodes"][0]["author"]["displayName"], "A former member of Glasgow Life");

        // They are no longer listed among the partner's staff.
        let staff = app
            .data(Some(&colleague.token), "query($s: String!) { partner(slug: $s) { members(first: 100) { nodes { displayName } } } }", json!({ "s": PARTNER }))
            .await;
        let names = staff["partner"]["members"]["nodes"].as_array().expect("staff").clone();
        assert!(names.iter().all(|m| m["displayName"] != "A former member of Glasgow Life"), "{staff}");

        // Nothing they held works; they cannot be found by e-mail; erasing again says why.
        for held in [&token, &session] {
            let body = app.graphql(Some(held), "{ viewer { id } }", json!({})).await;
            assert_eq!(body["errors"][0]["extensions"]["code"], "UNAUTHENTICATED", "{body}");
        }
        let again = lkn_api(&url, &["member", "erase", "--email", email]).await;
        assert!(again.as_ref().is_err_and(|e| e.contains("no member has this e-mail address")), "{again:?}");
        assert!(lkn_api(&url, &["member", "export", "--email", email]).await.is_err());
        let erasures = audit_event::Entity::find().filter(audit_event::Column::Action.eq("member.erase")).count(&app.db).await.expect("audit");
        assert_eq!(erasures, 1);
    }
}
