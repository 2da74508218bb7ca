//! The accept loop: HTTP/1.1 connections served by hyper with a timer, so that clients
//! too slow to send their headers are disconnected, and a graceful drain on shutdown.
//!
//! `axum::serve` (0.8) installs no hyper `Timer`, which leaves hyper's
//! `header_read_timeout` inert: a client that sends half a request and waits holds its
//! connection (and a task) forever, and a few thousand of them exhaust the process. This
//! module is axum's loop ported onto hyper's own HTTP/1 connection builder with
//! [`TokioTimer`]: the same accept-error handling, the client's address as
//! [`ConnectInfo`] for the handlers, upgrades (WebSockets) kept working, and on shutdown
//! no new connections while in-flight requests finish. A slow *body* is not covered by
//! hyper; the GraphQL handler reads it under its own deadline.

use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tower::ServiceExt;

/// How each connection is served.
#[derive(Debug, Clone, Copy)]
pub struct ConnectionSettings {
    /// Longest a client may take to send a request's headers; hyper applies it while
    /// waiting for a kept-alive connection's next request too, so it is also the idle
    /// timeout.
    pub header_read_timeout: Duration,
}

/// Serves `router` on `listener` until `shutdown` completes; then stops accepting and
/// returns once every connection has finished its in-flight request. Upgraded
/// connections (WebSockets) are no longer the server's once upgraded: whoever owns
/// them closes them.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    settings: ConnectionSettings,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    // Dropping `drain`, the receiver of `draining`, tells every connection to finish up.
    // Each connection's task holds a clone of `alive`, so `finished.closed()` completes
    // when the last one ends.
    let (draining, drain) = watch::channel(());
    tokio::spawn(async move {
        shutdown.await;
        drop(drain);
    });
    let (finished, alive) = watch::channel(());
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            () = draining.closed() => break,
        };
        match accepted {
            Ok((stream, remote)) => {
                let connection = serve_connection(stream, remote, router.clone(), settings, draining.clone());
                let alive = alive.clone();
                tokio::spawn(async move {
                    connection.await;
                    drop(alive);
                });
            }
            Err(error) if is_connection_error(&error) => {}
            Err(error) => {
                // Out of file descriptors, or the like: accepting again at once would spin.
                tracing::error!(%error, "accepting a connection failed; pausing for a second");
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
    }
    drop(listener);
    drop(alive);
    tracing::debug!(connections = finished.receiver_count(), "waiting for in-flight requests to finish");
    finished.closed().await;
    Ok(())
}

/// Errors that concern one connection only; the listener is fine.
fn is_connection_error(error: &std::io::Error) -> bool {
    use std::io::ErrorKind::{ConnectionAborted, ConnectionRefused, ConnectionReset};
    matches!(error.kind(), ConnectionRefused | ConnectionAborted | ConnectionReset)
}

/// Serves one connection: requests carry the client's address; a shutdown lets the
/// request under way finish, then closes.
async fn serve_connection(
    stream: TcpStream,
    remote: SocketAddr,
    router: Router,
    settings: ConnectionSettings,
    draining: watch::Sender<()>,
) {
    let service = router.map_request(move |mut request: axum::http::Request<Incoming>| {
        request.extensions_mut().insert(ConnectInfo(remote));
        request
    });
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder.timer(TokioTimer::new()).header_read_timeout(settings.header_read_timeout);
    let connection = builder.serve_connection(TokioIo::new(stream), TowerToHyperService::new(service)).with_upgrades();
    tokio::pin!(connection);
    let mut shutting_down = false;
    loop {
        tokio::select! {
            result = connection.as_mut() => {
                if let Err(error) = result {
                    tracing::debug!(%error, %remote, "connection ended with an error");
                }
                break;
            }
            () = draining.closed(), if !shutting_down => {
                shutting_down = true;
                connection.as_mut().graceful_shutdown();
            }
        }
    }
}
