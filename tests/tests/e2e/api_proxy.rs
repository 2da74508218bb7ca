//! A proxy on loopback between the bot and the API, for the faults the Discord stand-in
//! cannot make: the API refusing to record a mirror, and the bot's subscriptions dropping.
//!
//! GraphQL over HTTP is forwarded request by request (and noted, so a test can wait for
//! one); the subscription WebSocket is piped frame by frame until the test cuts it.

use std::collections::HashSet;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

/// The proxy; dropping it stops it.
pub struct ApiProxy {
    shared: Arc<Shared>,
    base_url: String,
    server: JoinHandle<()>,
}

/// A GraphQL request the proxy passed on to the API.
#[derive(Clone, Debug)]
pub struct Forwarded {
    /// The document.
    pub query: String,
    /// Its variables.
    pub variables: Value,
    /// Whether the bot sent it for a Discord user (`X-Lkn-Discord-User`) rather than as itself.
    pub for_discord_user: bool,
}

struct Shared {
    upstream: String,
    http: reqwest::Client,
    inner: Mutex<Inner>,
    cut: watch::Sender<u64>,
}

#[derive(Default)]
struct Inner {
    refuse_first_records: bool,
    tried: HashSet<String>,
    refused: Vec<String>,
    forwarded: Vec<Forwarded>,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl ApiProxy {
    /// Starts a proxy on 127.0.0.1 for the API at `upstream` (its base URL).
    pub async fn start(upstream: &str) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind the API proxy");
        let base_url = format!("http://{}", listener.local_addr().expect("the proxy's address"));
        let shared = Arc::new(Shared {
            upstream: upstream.trim_end_matches('/').to_owned(),
            http: reqwest::Client::new(),
            inner: Mutex::default(),
            cut: watch::channel(0).0,
        });
        let app = Router::new().route("/graphql/ws", get(socket)).fallback(forward).with_state(Arc::clone(&shared));
        let server = tokio::spawn(async move {
            axum::serve(listener, app).await.expect("serve the API proxy");
        });
        Self { shared, base_url, server }
    }

    /// "http://127.0.0.1:PORT": the API URL to give the bot.
    pub fn base_url(&self) -> String {
        self.base_url.clone()
    }

    /// From now on, the first `completeDiscordMirror` of every key is answered as an API whose
    /// database is down would answer it, without reaching the API; later ones pass.
    pub fn refuse_first_records(&self) {
        self.shared.lock().refuse_first_records = true;
    }

    /// Waits until the first record of `key` has been refused.
    pub async fn wait_for_refusal(&self, key: &str, timeout: Duration) -> anyhow::Result<()> {
        let started = Instant::now();
        while !self.shared.lock().refused.iter().any(|refused| refused == key) {
            if started.elapsed() > timeout {
                anyhow::bail!("no record of {key} was refused within {timeout:?}: {:?}", self.shared.lock().refused);
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        Ok(())
    }

    /// How many GraphQL requests have been passed on so far.
    pub fn forwarded_count(&self) -> usize {
        self.shared.lock().forwarded.len()
    }

    /// Waits for a request passed on after the first `skip` that satisfies `pred`, and
    /// returns its position among all those passed on.
    pub async fn wait_for_forwarded(
        &self,
        what: &str,
        skip: usize,
        timeout: Duration,
        pred: impl Fn(&Forwarded) -> bool,
    ) -> anyhow::Result<usize> {
        let started = Instant::now();
        loop {
            if let Some(found) = self.shared.lock().forwarded.iter().skip(skip).position(&pred) {
                return Ok(skip + found);
            }
            if started.elapsed() > timeout {
                anyhow::bail!("timed out after {timeout:?} waiting for {what}");
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// Drops every open subscription connection, as a network fault would, without a close frame.
    pub fn cut_subscriptions(&self) {
        self.shared.cut.send_modify(|generation| *generation += 1);
    }
}

impl Drop for ApiProxy {
    fn drop(&mut self) {
        self.cut_subscriptions();
        self.server.abort();
    }
}

/// The refusal of a first record, when the proxy refuses those.
fn refusal(shared: &Shared, request: &Value) -> Option<Response> {
    let query = request["query"].as_str()?;
    if !query.contains("completeDiscordMirror") {
        return None;
    }
    let key = request["variables"]["input"]["key"].as_str()?.to_owned();
    let mut inner = shared.lock();
    if !inner.refuse_first_records || !inner.tried.insert(key.clone()) {
        return None;
    }
    inner.refused.push(key);
    let body = json!({ "data": null, "errors": [{
        "message": "The database is unavailable; try again shortly.",
        "extensions": { "code": "DATABASE_UNAVAILABLE" },
    }] });
    Some((StatusCode::SERVICE_UNAVAILABLE, axum::Json(body)).into_response())
}

async fn forward(
    State(shared): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let request: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    if let Some(refused) = refusal(&shared, &request) {
        return refused;
    }
    if let Some(query) = request["query"].as_str() {
        let for_discord_user = headers.contains_key("x-lkn-discord-user");
        let variables = request["variables"].clone();
        shared.lock().forwarded.push(Forwarded { query: query.to_owned(), variables, for_discord_user });
    }
    let target = format!("{}{}", shared.upstream, uri.path_and_query().map_or("/", |path| path.as_str()));
    let mut onward = shared.http.request(method, target).body(body);
    for (name, value) in &headers {
        if name != header::HOST && name != header::CONTENT_LENGTH {
            onward = onward.header(name, value);
        }
    }
    match onward.send().await {
        Ok(answer) => {
            let status = answer.status();
            let content_type = answer.headers().get(header::CONTENT_TYPE).cloned();
            let bytes = answer.bytes().await.unwrap_or_default();
            let mut response = (status, bytes).into_response();
            if let Some(content_type) = content_type {
                response.headers_mut().insert(header::CONTENT_TYPE, content_type);
            }
            response
        }
        Err(error) => (StatusCode::BAD_GATEWAY, error.to_string()).into_response(),
    }
}

async fn socket(State(shared): State<Arc<Shared>>, upgrade: WebSocketUpgrade) -> Response {
    upgrade.protocols(["graphql-transport-ws"]).on_upgrade(move |client| pipe(shared, client))
}

/// Passes frames both ways between the bot and the API until either side closes or the test
/// cuts the connection.
async fn pipe(shared: Arc<Shared>, mut client: WebSocket) {
    let mut cut = shared.cut.subscribe();
    let url = format!("{}/graphql/ws", shared.upstream.replacen("http://", "ws://", 1));
    let Ok(mut request) = url.into_client_request() else { return };
    request.headers_mut().insert("Sec-WebSocket-Protocol", header::HeaderValue::from_static("graphql-transport-ws"));
    let Ok((mut api, _)) = tokio_tungstenite::connect_async(request).await else { return };
    loop {
        tokio::select! {
            from_bot = client.recv() => match from_bot {
                Some(Ok(Message::Text(text))) => {
                    if api.send(tungstenite::Message::text(text.as_str())).await.is_err() {
                        break;
                    }
                }
                Some(Ok(Message::Close(_)) | Err(_)) | None => break,
                Some(Ok(_)) => {}
            },
            from_api = api.next() => match from_api {
                Some(Ok(tungstenite::Message::Text(text))) => {
                    if client.send(Message::Text(text.as_str().into())).await.is_err() {
                        break;
                    }
                }
                Some(Ok(tungstenite::Message::Close(_)) | Err(_)) | None => break,
                Some(Ok(_)) => {}
            },
            _ = cut.changed() => break,
        }
    }
}
