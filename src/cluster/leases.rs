//! Keeping leases: at every heartbeat a replica records that it is alive, counts the live replicas, renews
//! its leases, gives back those beyond its share and takes free or expired ones up to it. A replica that
//! cannot reach the database stops notifying before its leases expire there, so two replicas never
//! notify the same group at once (beyond a delivery already in flight).

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::ownership::LEASE_MARGIN;
use super::{Cluster, SHARDS};
use crate::telemetry::metrics::METRICS;

/// How long the change feed is kept (a replica cut off from the database for longer reloads from a restart).
const CHANGES_KEPT: Duration = Duration::from_secs(3600);

/// How often old changes are pruned.
const PRUNE_EVERY: Duration = Duration::from_secs(60);

/// Renews and balances this replica's leases every heartbeat, for as long as the task runs.
pub(super) async fn keep(cluster: Arc<Cluster>) {
    let settings = &cluster.settings;
    let mut last_prune = Instant::now();
    let mut failing = false;
    loop {
        let started = Instant::now();
        match renew(&cluster).await {
            Ok(held) => {
                if failing {
                    tracing::info!(shards = held, "The leases are renewed again.");
                    failing = false;
                }
            }
            Err(err) => {
                if !failing {
                    tracing::warn!(error = %err, "The leases cannot be renewed; this replica stops notifying when they run out.");
                    failing = true;
                }
            }
        }
        METRICS.leases_held.set(cluster.ownership.held() as i64);
        if last_prune.elapsed() >= PRUNE_EVERY {
            last_prune = Instant::now();
            match cluster.store.prune_changes(CHANGES_KEPT).await {
                Ok(pruned) if pruned > 0 => tracing::debug!(pruned, "Old changes pruned from the feed."),
                Ok(_) => {}
                Err(err) => tracing::debug!(error = %err, "Old changes could not be pruned."),
            }
        }
        tokio::time::sleep_until((started + settings.heartbeat_interval).into()).await;
    }
}

/// One heartbeat; returns how many shards this replica holds.
async fn renew(cluster: &Cluster) -> crate::store::Result<usize> {
    let settings = &cluster.settings;
    // Counted from before the request: the lease in the database runs from a later instant.
    let started = Instant::now();
    let peers = cluster.store.heartbeat(&settings.address, cluster.started_at, settings.lease_duration).await?;
    let share = SHARDS.div_ceil(peers.len().max(1));
    METRICS.replica_peers.set(peers.len() as i64);
    // Another process with this name that has renewed since this one started (not an earlier run of this
    // replica, killed, whose heartbeat has not aged out yet).
    let since = cluster.started_at + chrono::Duration::from_std(settings.heartbeat_interval * 2).unwrap_or_default();
    let me = peers.iter().find(|peer| peer.id == settings.name).map(|peer| peer.name.clone());
    if let Some(name) = me
        && peers.iter().any(|peer| peer.name == name && peer.id != settings.name && peer.heartbeat_at > since)
    {
        tracing::warn!(name, "Another live replica has this replica's name; give each its own --replica.name.");
    }
    // Shards beyond the share are let go here before the database gives them to another replica, so that
    // no group has two owners even for a moment.
    let mine = cluster.ownership.shards();
    if mine.len() > share {
        cluster.ownership.keep_only(&mine[..share]);
    }
    if let Ok(mut known) = cluster.peers.lock() {
        *known = peers;
    }
    let held = cluster.store.balance_leases(settings.lease_duration, share).await?;
    let until = started + settings.lease_duration.saturating_sub(LEASE_MARGIN);
    cluster.ownership.hold(&held, until);
    Ok(held.len())
}
