//! Live updates over WebSocket with a real graphql-transport-ws client: visibility per
//! subscriber, events only after commit, across two servers on one PostgreSQL, and 500
//! subscribers at once.
//!
//! Each test causes its events only once the server listens for events and counts its
//! subscriptions as live, and proves that something was NOT heard by a marker event
//! heard in its place.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use lkn_entity::vocabulary::MemberRole;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

use crate::on_both_databases;
use crate::support::TestApp;
use crate::waiting::{listening, live_subscriptions, ready_to_hear};

type Socket = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// One graphql-transport-ws subscription.
pub struct Subscriber {
    socket: Socket,
}

impl Subscriber {
    /// Connects to `address`, signs in with `token` if given, and subscribes to `query`.
    pub async fn start(address: std::net::SocketAddr, token: Option<&str>, query: &str, variables: Value) -> Self {
        let payload = token.map_or(json!({}), |t| json!({ "Authorization": format!("Bearer {t}") }));
        let mut subscriber = Self::signed_in(address, payload).await;
        subscriber.send("1", query, variables).await;
        subscriber
    }

    /// Connects without saying anything yet.
    pub async fn connect(address: std::net::SocketAddr) -> Self {
        let mut request = format!("ws://{address}/graphql/ws").into_client_request().expect("request");
        request.headers_mut().insert("sec-websocket-protocol", "graphql-transport-ws".parse().expect("header"));
        let (socket, response) = tokio_tungstenite::connect_async(request).await.expect("connect");
        assert_eq!(response.headers()["sec-websocket-protocol"], "graphql-transport-ws");
        Self { socket }
    }

    /// Connects and signs in with the `connection_init` `payload`, waiting for the ack.
    pub async fn signed_in(address: std::net::SocketAddr, payload: Value) -> Self {
        let mut subscriber = Self::connect(address).await;
        let init = json!({ "type": "connection_init", "payload": payload });
        subscriber.socket.send(Message::text(init.to_string())).await.expect("init");
        let ack = subscriber.message(Duration::from_secs(10)).await.expect("connection_ack");
        assert_eq!(ack["type"], "connection_ack", "{ack}");
        subscriber
    }

    /// Sends any protocol message.
    pub async fn send_raw(&mut self, message: Value) {
        self.socket.send(Message::text(message.to_string())).await.expect("send");
    }

    /// Sends a `subscribe` message with `id` for any document; whether it runs is the server's call.
    pub async fn send(&mut self, id: &str, query: &str, variables: Value) {
        let subscribe = json!({ "id": id, "type": "subscribe", "payload": { "query": query, "variables": variables } });
        self.socket.send(Message::text(subscribe.to_string())).await.expect("subscribe");
    }

    /// The next protocol message (answering pings), or `None` after `wait` or once the
    /// connection has ended; a close frame reads as `{"type": "close", "code": …}`.
    pub async fn message(&mut self, wait: Duration) -> Option<Value> {
        match self.read(wait).await {
            Read::Message(message) => Some(message),
            Read::Ended | Read::Silent => None,
        }
    }

    /// Sends a protocol `ping` and returns the next message: a `pong` from a socket the
    /// server still serves.
    pub async fn ping(&mut self, wait: Duration) -> Option<Value> {
        self.send_raw(json!({ "type": "ping" })).await;
        self.message(wait).await
    }

    /// The messages that come before the server ends the connection. Fails the test if
    /// the connection is still open after `wait`.
    pub async fn until_closed(&mut self, wait: Duration) -> Vec<Value> {
        let deadline = tokio::time::Instant::now() + wait;
        let mut before = Vec::new();
        loop {
            match self.read(deadline.saturating_duration_since(tokio::time::Instant::now())).await {
                Read::Message(message) => before.push(message),
                Read::Ended => return before,
                Read::Silent => panic!("the connection is still open after {wait:?}, having said {before:?}"),
            }
        }
    }

    /// Reads up to the next protocol message, answering pings on the way.
    async fn read(&mut self, wait: Duration) -> Read {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let Ok(frame) = tokio::time::timeout_at(deadline, self.socket.next()).await else { return Read::Silent };
            let Some(Ok(frame)) = frame else { return Read::Ended };
            match frame {
                Message::Text(text) => {
                    let message: Value = serde_json::from_str(text.as_str()).expect("json");
                    if message["type"] == "ping" {
                        let _ = self.socket.send(Message::text(r#"{"type":"pong"}"#)).await;
                        continue;
                    }
                    return Read::Message(message);
                }
                Message::Close(frame) => {
                    return Read::Message(json!({ "type": "close", "code": frame.map(|f| u16::from(f.code)) }));
                }
                _ => {}
            }
        }
    }

    /// The data of the next event, or `None` if none comes within `wait`.
    pub async fn next_event(&mut self, wait: Duration) -> Option<Value> {
        let message = self.message(wait).await?;
        assert_eq!(message["type"], "next", "expected an event: {message}");
        Some(message["payload"].clone())
    }
}

/// What one read of the socket gave.
enum Read {
    /// A protocol message, or the close frame.
    Message(Value),
    /// The connection is over.
    Ended,
    /// Nothing came in the time allowed.
    Silent,
}

const THREADS: &str = "subscription { threadPosted { title visibility author { displayName } } }";
const POST: &str = "mutation($i: PostThreadInput!) { postThread(input: $i) { thread { id } userErrors { code } } }";
const LONG: Duration = Duration::from_secs(10);

on_both_databases! {
    async fn subscribers_hear_only_what_they_may_see_after_it_commits(app) {
        let token = app.member_token("glasgow-life", MemberRole::Member).await;
        let mut anonymous = Subscriber::start(app.address, None, THREADS, json!({})).await;
        let mut member = Subscriber::start(app.address, Some(&token), THREADS, json!({})).await;
        let mut welsh = Subscriber::start(app.address, None, "subscription { threadPosted(filter: {language: CY}) { title } }", json!({})).await;
        ready_to_hear(app, 3).await;

        app.data(Some(&token), POST, json!({ "i": { "kind": "IDEA", "title": "Staff only" } })).await;
        let refused = app.data(Some(&token), POST, json!({ "i": { "kind": "IDEA", "title": "" } })).await;
        assert_eq!(refused["postThread"]["userErrors"][0]["code"], "BLANK");
        app.data(Some(&token), POST, json!({ "i": { "kind": "IDEA", "title": "For everyone", "visibility": "PUBLIC" } })).await;
        app.data(Some(&token), POST, json!({ "i": { "kind": "IDEA", "title": "Syniad i bawb", "visibility": "PUBLIC", "language": "CY" } })).await;

        let first = member.next_event(LONG).await.expect("member hears the network thread");
        assert_eq!(first["data"]["threadPosted"]["title"], "Staff only");
        assert_eq!(member.next_event(LONG).await.expect("then the public one")["data"]["threadPosted"]["title"], "For everyone");
        let public = anonymous.next_event(LONG).await.expect("the public thread");
        assert_eq!(public["data"]["threadPosted"]["title"], "For everyone", "anonymous never hears of network threads");
        assert_eq!(anonymous.next_event(LONG).await.expect("welsh")["data"]["threadPosted"]["title"], "Syniad i bawb");
        assert_eq!(welsh.next_event(LONG).await.expect("filtered")["data"]["threadPosted"]["title"], "Syniad i bawb");
        app.data(Some(&token), POST, json!({ "i": { "kind": "IDEA", "title": "Heard last", "visibility": "PUBLIC" } })).await;
        let last = anonymous.next_event(LONG).await.expect("the marker");
        assert_eq!(last["data"]["threadPosted"]["title"], "Heard last", "a refused post announces nothing, nor anything else before the marker");
    }
}

on_both_databases! {
    /// The rolled-back write names a thread the listener may see, so that announcing it
    /// would be heard ahead of the committed post that follows.
    async fn a_write_that_rolls_back_announces_nothing(app) {
        use lkn_api::graphql::ids::{NodeType, decode};
        let token = app.member_token("leeds-city-council", MemberRole::Member).await;
        let mut listener = Subscriber::start(app.address, None, THREADS, json!({})).await;
        ready_to_hear(app, 1).await;
        let before = app.data(Some(&token), POST, json!({ "i": { "kind": "IDEA", "title": "Before the rollback", "visibility": "PUBLIC" } })).await;
        let id = before["postThread"]["thread"]["id"].as_str().expect("thread id");
        let thread_id = decode(NodeType::Thread, id).expect("a thread id");
        assert_eq!(listener.next_event(LONG).await.expect("the first post")["data"]["threadPosted"]["title"], "Before the rollback");
        let viewer = lkn_api::service::viewer::Viewer::Anonymous;
        // Announcing on the server's own bus, so that on SQLite too a rolled-back write
        // would be heard if the guard announced anything it did not commit.
        let context = lkn_api::service::write::WriteContext::new(&viewer).announcing(&app.events);
        let write = lkn_api::service::write::Write::begin(&app.db, &context).await.expect("begin");
        write.stage(lkn_api::events::Event::ThreadPosted { thread_id }).await.expect("stage");
        drop(write);
        app.data(Some(&token), POST, json!({ "i": { "kind": "IDEA", "title": "After the rollback", "visibility": "PUBLIC" } })).await;
        let event = listener.next_event(LONG).await.expect("the committed post");
        assert_eq!(event["data"]["threadPosted"]["title"], "After the rollback", "a rolled-back write is never announced");
    }
}

on_both_databases! {
    async fn replies_and_collaboration_changes_are_heard_and_revoked_members_stop_hearing(app) {
        let coordinator = app.member_token("british-library", MemberRole::Coordinator).await;
        let member = app.member_token("british-library", MemberRole::Member).await;
        let posted = app.data(Some(&member), POST, json!({ "i": { "kind": "QUESTION", "title": "Who runs coding clubs?" } })).await;
        let thread_id = posted["postThread"]["thread"]["id"].clone();
        let mut replies = Subscriber::start(app.address, Some(&member), "subscription($t: ID!) { replyPosted(threadId: $t) { body } }", json!({ "t": thread_id })).await;
        let mut changes = Subscriber::start(app.address, Some(&coordinator), "subscription { collaborationChanged { change collaboration { title status } } }", json!({})).await;
        ready_to_hear(app, 2).await;
        app.data(Some(&coordinator), "mutation($i: ReplyToThreadInput!) { replyToThread(input: $i) { userErrors { code } } }", json!({ "i": { "threadId": thread_id, "body": "We do, on Tuesdays." } })).await;
        assert_eq!(replies.next_event(LONG).await.expect("reply")["data"]["replyPosted"]["body"], "We do, on Tuesdays.");
        let proposed = app.data(Some(&coordinator), "mutation { proposeCollaboration(input: {kind: ACTIVITY, title: \"Code week\"}) { collaboration { id } } }", json!({})).await;
        let event = changes.next_event(LONG).await.expect("proposal");
        assert_eq!(event["data"]["collaborationChanged"]["change"], "PROPOSED");
        let id = proposed["proposeCollaboration"]["collaboration"]["id"].clone();
        app.data(Some(&coordinator), "mutation($i: AdvanceCollaborationInput!) { advanceCollaboration(input: $i) { userErrors { code } } }", json!({ "i": { "collaborationId": id, "status": "SEEKING_PARTNERS" } })).await;
        let event = changes.next_event(LONG).await.expect("advance");
        assert_eq!(event["data"]["collaborationChanged"]["change"], "STATUS_ADVANCED");
        assert_eq!(event["data"]["collaborationChanged"]["collaboration"]["status"], "SEEKING_PARTNERS");

        let holder = lkn_api::service::access::member_by_email(&app.db, &lkn_api::service::identity::authenticate(&app.db, Some(&member), None, chrono::Utc::now()).await.expect("auth").member().expect("member").email).await.expect("member");
        let viewer = lkn_api::service::viewer::Viewer::Anonymous;
        lkn_api::service::access::revoke_tokens(&app.db, &lkn_api::service::write::WriteContext::new(&viewer), lkn_api::service::access::Authority::Operator, &holder).await.expect("revoke");
        let told = replies.message(LONG).await.expect("a last message");
        assert_eq!(told, json!({ "type": "close", "code": 4403 }), "a revoked member's socket is closed, with no more content");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_servers_on_one_postgres_behave_as_one_service() {
    let Some(writer) = TestApp::spawn(crate::support::Backend::Postgres).await else { return };
    crate::support::run_then_clean_up(writer, async |writer: &TestApp| {
        let db = lkn_api::prepare_database(&lkn_api::db::DatabaseSettings::new(writer.database_url()))
            .await
            .expect("second pool");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let reader_address = listener.local_addr().expect("addr");
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let reader = tokio::spawn(lkn_api::serve(listener, lkn_api::AppState::new(db), async {
            let _ = stopped.await;
        }));
        let token = writer.member_token("sheffield-city-council", MemberRole::Member).await;
        let mut subscriber = Subscriber::start(reader_address, Some(&token), THREADS, json!({})).await;
        listening(&writer.db, 2).await;
        live_subscriptions(reader_address, 1).await;
        writer
            .data(Some(&token), POST, json!({ "i": { "kind": "RESOURCE", "title": "Posted on the other server" } }))
            .await;
        let event = subscriber.next_event(LONG).await.expect("heard across servers");
        assert_eq!(event["data"]["threadPosted"]["title"], "Posted on the other server");
        let _ = stop.send(());
        let closed = subscriber.message(LONG).await.expect("close");
        assert_eq!(closed["code"], 1001, "a shutting-down server closes subscriptions cleanly: {closed}");
        let _ = reader.await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn five_hundred_subscribers_all_hear_an_event_on_sqlite() {
    five_hundred_subscribers_all_hear_an_event(crate::support::Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn five_hundred_subscribers_all_hear_an_event_on_postgres() {
    five_hundred_subscribers_all_hear_an_event(crate::support::Backend::Postgres).await;
}

/// 500 sockets from one test client: more than one address may open by default, so the
/// cap is raised for this capacity test.
async fn five_hundred_subscribers_all_hear_an_event(backend: crate::support::Backend) {
    let mut edge = lkn_api::edge::EdgeSettings::default();
    edge.sockets.per_client = 600;
    let Some(app) = TestApp::spawn_with(backend, edge).await else { return };
    crate::support::run_then_clean_up(app, async |app: &TestApp| {
        let token = app.member_token("wakefield-council", MemberRole::Member).await;
        let mut subscribers = Vec::new();
        for chunk in 0..10 {
            let joined = (0..50).map(|_| Subscriber::start(app.address, None, THREADS, json!({})));
            subscribers.extend(futures_util::future::join_all(joined).await);
            let _ = chunk;
        }
        assert_eq!(subscribers.len(), 500);
        ready_to_hear(app, 500).await;
        app.data(
            Some(&token),
            POST,
            json!({ "i": { "kind": "IDEA", "title": "Heard by everyone", "visibility": "PUBLIC" } }),
        )
        .await;
        let heard =
            futures_util::future::join_all(subscribers.iter_mut().map(|s| s.next_event(Duration::from_secs(30)))).await;
        let count = heard
            .iter()
            .filter(|e| e.as_ref().is_some_and(|e| e["data"]["threadPosted"]["title"] == "Heard by everyone"))
            .count();
        assert_eq!(count, 500, "every subscriber hears the event");
    })
    .await;
}

on_both_databases! {
    /// A live `titleContains` filter folds case as the feed does.
    async fn live_title_filters_fold_case_as_the_feed_does(app) {
        let token = app.member_token("national-library-of-wales", MemberRole::Member).await;
        let query = "subscription($t: String) { threadPosted(filter: { titleContains: $t }) { title } }";
        let mut decomposed = Subscriber::start(app.address, Some(&token), query, json!({ "t": "E\u{301}COLE" })).await;
        let mut welsh = Subscriber::start(app.address, Some(&token), query, json!({ "t": "ŴYL" })).await;
        ready_to_hear(app, 2).await;
        app.data(Some(&token), POST, json!({ "i": { "kind": "IDEA", "title": "Ŵyl lyfrau" } })).await;
        app.data(Some(&token), POST, json!({ "i": { "kind": "IDEA", "title": "École d'été" } })).await;
        app.data(Some(&token), POST, json!({ "i": { "kind": "IDEA", "title": "ŵyl y gaeaf" } })).await;
        let heard = welsh.next_event(LONG).await.expect("the Welsh thread");
        assert_eq!(heard["data"]["threadPosted"]["title"], "Ŵyl lyfrau");
        let heard = welsh.next_event(LONG).await.expect("the next Welsh thread");
        assert_eq!(heard["data"]["threadPosted"]["title"], "ŵyl y gaeaf", "nothing else matches");
        let heard = decomposed.next_event(LONG).await.expect("the école thread");
        assert_eq!(heard["data"]["threadPosted"]["title"], "École d'été");
    }
}
