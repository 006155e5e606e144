//! The HTTP server loop: HTTP/1.1 connections with a deadline for the request head (a client that sends its
//! head slowly cannot hold a connection), and a shutdown that stops accepting, lets requests in flight end,
//! and closes what is still open after a deadline.

use std::time::Duration;

use axum::Router;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

/// Longest a client may take to send a request's head (request line and headers).
const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);

/// How long a shutdown waits for requests in flight before closing their connections.
const DRAIN_DEADLINE: Duration = Duration::from_secs(5);

/// Pause after a failed accept (out of file descriptors, say), so that the loop does not spin.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(100);

/// Serves `app` on `listener` until `stop` is cancelled, then drains for at most [`DRAIN_DEADLINE`] and
/// closes the connections still open (their tasks hold the engine, which must be dropped to stop).
pub(crate) async fn serve(listener: TcpListener, app: Router, stop: CancellationToken) {
    let mut connections = JoinSet::new();
    loop {
        let stream = tokio::select! {
            () = stop.cancelled() => break,
            // Reaps ended connections, so that the set does not grow with every one ever served.
            Some(_) = connections.join_next(), if !connections.is_empty() => continue,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(err) => {
                    tracing::warn!(error = %err, "Accepting a connection failed.");
                    tokio::time::sleep(ACCEPT_BACKOFF).await;
                    continue;
                }
            },
        };
        let _ = stream.set_nodelay(true);
        let service = TowerToHyperService::new(app.clone());
        let stop = stop.clone();
        connections.spawn(async move {
            let mut builder = hyper::server::conn::http1::Builder::new();
            builder.timer(TokioTimer::new()).header_read_timeout(HEADER_READ_TIMEOUT);
            let connection = builder.serve_connection(TokioIo::new(stream), service);
            tokio::pin!(connection);
            let result = tokio::select! {
                result = connection.as_mut() => result,
                () = stop.cancelled() => {
                    // Ends the connection once its request in flight (if any) is answered.
                    connection.as_mut().graceful_shutdown();
                    connection.await
                }
            };
            if let Err(err) = result {
                tracing::debug!(error = %err, "A connection ended with an error.");
            }
        });
    }
    let drained = tokio::time::timeout(DRAIN_DEADLINE, async { while connections.join_next().await.is_some() {} });
    if drained.await.is_err() {
        tracing::warn!(open = connections.len(), "Connections still open after the shutdown deadline are closed.");
        connections.abort_all();
        while connections.join_next().await.is_some() {}
    }
}
