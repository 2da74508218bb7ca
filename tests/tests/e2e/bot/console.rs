//! The bot's console: the same commands as Discord, run as the token's member, their replies
//! printed.

use lkn_entity::vocabulary::MemberRole;
use serde_json::json;

use super::post_thread;
use crate::support::TestApp;

/// The console runs the same commands as the token's member and prints the replies.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn console_runs_commands_as_the_tokens_member() {
    let app = TestApp::spawn(crate::support::Backend::Sqlite).await.expect("SQLite");
    crate::support::run_then_clean_up(app, async |app: &TestApp| {
        let token = app.member_token("national-library-of-wales", MemberRole::Member).await;
        let api = lkn_bot::api::Lkn::new(std::sync::Arc::new(
            lkn_bot::api::HttpTransport::new(&app.url(""), None).expect("client"),
        ));
        let script = concat!(
            "/ask title:\"Seed library in every branch?\" body:\"How did you start?\" tags:\"sustainability\"\n",
            "/search query:\"seed library\"\n",
            "/partners nation:wales\n",
            "/share idea title:\"\"\n",
            "/language language:cy\n",
            "/stats\n",
            "/nonsense\n",
        );
        let mut output = Vec::new();
        lkn_bot::console::run(&api, token, script.as_bytes(), &mut output).await.expect("console");
        let output = String::from_utf8(output).expect("utf-8");
        let replies: Vec<&str> = output.split("\n\n").collect();
        assert!(replies[0].starts_with("Posted “Seed library in every branch?”"), "{output}");
        assert!(replies[1].contains("Seed library in every branch?"), "{output}");
        assert!(replies[2].contains("National Library of Wales"), "{output}");
        assert!(replies[3].contains("title:") && replies[3].contains("not accepted"), "{output}");
        assert!(replies[5].starts_with("**Y Rhwydwaith Gwybodaeth Fyw**"), "{output}");
        assert!(replies[6].contains("/nonsense"), "{output}");
        let stored = app.data(None, "{ threads(first: 5) { totalCount } }", json!({})).await;
        assert_eq!(stored["threads"]["totalCount"], 0, "the question is network-only: {stored}");
    })
    .await;
}

/// Every command the console and Discord share reaches the API with a document it
/// accepts, and answers with what happened.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_command_reaches_the_api() {
    let app = TestApp::spawn(crate::support::Backend::Sqlite).await.expect("SQLite");
    crate::support::run_then_clean_up(app, async |app: &TestApp| {
        let lead = app.member_token("leeds-city-council", MemberRole::Coordinator).await;
        let joiner = app.member_token("glasgow-life", MemberRole::Coordinator).await;
        let api = lkn_bot::api::Lkn::new(std::sync::Arc::new(
            lkn_bot::api::HttpTransport::new(&app.url(""), None).expect("client"),
        ));
        let run = async |line: String| {
            let mut output = Vec::new();
            lkn_bot::console::run(&api, lead.clone(), line.as_bytes(), &mut output).await.expect("console");
            String::from_utf8(output).expect("utf-8")
        };
        assert!(run("/ask title:\"Who lends telescopes?\" confirm:yes\n".into()).await.starts_with("Posted"));
        let thread = post_thread(app, &lead, "Telescope loans", &[]).await;
        assert!(run(format!("/thread id:{thread}\n")).await.contains("Telescope loans"));
        assert!(run(format!("/follow thread:{thread}\n")).await.contains("You now follow “Telescope loans”"));
        assert!(run(format!("/unfollow thread:{thread}\n")).await.contains("You no longer follow"));
        assert!(run("/unanswered\n".into()).await.contains("Who lends telescopes?"));
        assert!(run("/partner name:glasgow\n".into()).await.contains("**Glasgow Life** (`glasgow-life`)"));

        let reply = app
            .data(Some(&joiner), "mutation($input: ReplyToThreadInput!) { replyToThread(input: $input) { reply { id } } }",
                json!({ "input": { "threadId": thread, "body": "Ask the observatory." } }))
            .await["replyToThread"]["reply"]["id"].as_str().expect("reply").to_owned();
        assert!(run(format!("/answer reply:{reply}\n")).await.contains("Marked as the answer to “Telescope loans”"));

        assert!(run("/collab propose title:\"Dark skies week\" summary:\"Stargazing.\" kind:activity\n".into()).await.starts_with("Proposed"));
        let found = app.data(Some(&lead), "{ collaborations(first: 1) { nodes { id } } }", json!({})).await;
        let id = found["collaborations"]["nodes"][0]["id"].as_str().expect("collaboration").to_owned();
        assert!(run(format!("/collab show id:{id}\n")).await.contains("Dark skies week"));
        assert!(run(format!("/collab advance id:{id} status:seeking-partners\n")).await.contains("moved on"));
        app.data(Some(&joiner), "mutation($input: RequestToJoinCollaborationInput!) { requestToJoinCollaboration(input: $input) { collaboration { id } } }",
            json!({ "input": { "collaborationId": id } })).await;
        assert!(run(format!("/collab decide id:{id} partner:glasgow-life decision:accept\n")).await.contains("Request accepted"));
        assert!(run("/collab list status:seeking-partners\n".into()).await.contains("Dark skies week"));
    })
    .await;
}
