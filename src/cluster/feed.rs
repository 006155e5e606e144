//! Following the other replicas: each change they commit is announced (LISTEN/NOTIFY) and read from the
//! feed in commit order, then applied to this replica's memory. The feed is also read every
//! [`FEED_POLL`](super::FEED_POLL), so that a lost announcement delays a change by that much at most.

use std::sync::Arc;
use std::time::Duration;

use super::FEED_POLL;
use crate::engine::Engine;
use crate::store::{PostgresStore, Store};
use crate::telemetry::metrics::METRICS;

/// How long after a failure the feed is tried again.
const RETRY: Duration = Duration::from_secs(1);

/// Applies every change committed after `position` by another replica, for as long as the task runs.
pub(super) async fn follow(store: PostgresStore, engine: Arc<Engine>, mut position: i64) {
    let mut listener = None;
    let mut failing = false;
    loop {
        if listener.is_none() {
            listener = store.listen().await.ok();
        }
        loop {
            match store.changes_after(position).await {
                Ok(page) if page.missed => {
                    tracing::warn!(
                        "Changes this replica had not read were pruned from the feed (it was cut off for over an hour); it reloads the stored state."
                    );
                    match store.load().await {
                        Ok(snapshot) => {
                            position = snapshot.feed_position;
                            engine.apply_snapshot(snapshot).await;
                        }
                        Err(err) => {
                            tracing::warn!(error = %err, "The stored state could not be reloaded; retrying.");
                            failing = true;
                            break;
                        }
                    }
                }
                Ok(page) => {
                    if failing {
                        tracing::info!("The change feed can be read again.");
                        failing = false;
                    }
                    position = page.position;
                    for batch in page.batches {
                        engine.apply_remote(batch).await;
                        METRICS.changes_applied.with_label_values(&[] as &[&str]).inc();
                    }
                    if !page.more {
                        break;
                    }
                }
                Err(err) => {
                    if !failing {
                        tracing::warn!(error = %err, "The change feed cannot be read; retrying.");
                        failing = true;
                    }
                    listener = None;
                    break;
                }
            }
        }
        match listener.as_mut() {
            Some(waiting) => {
                if waiting.wait(FEED_POLL).await.is_err() {
                    listener = None;
                }
            }
            None => tokio::time::sleep(if failing { RETRY } else { FEED_POLL }).await,
        }
    }
}
