//! Several replicas on one Postgres database. Every replica keeps the whole state in memory and takes any
//! write; what one commits reaches the others through the change feed (`feed`). The groups are spread over
//! [`SHARDS`] shards whose leases the live replicas share (`leases`): only the holder of a group's shard
//! notifies it, the others keep a copy that follows the holder's, and take it over when its lease runs out.

mod feed;
mod leases;
mod ownership;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::task::JoinHandle;

pub(crate) use ownership::{LEASE_MARGIN, Ownership, SHARDS};

/// The shortest lease: a replica stops counting on its lease [`LEASE_MARGIN`] before it runs out, and renews
/// it at least three times in its life.
pub(crate) const MIN_LEASE: Duration = Duration::from_secs(3);

use crate::engine::Engine;
use crate::store::{Peer, PostgresStore};

/// How a replica works with the others.
#[derive(Debug, Clone)]
pub(crate) struct ClusterSettings {
    /// This replica's identity among the others (`name#start`).
    pub name: String,
    /// Its external URL, as the others list it.
    pub address: String,
    /// How long a lease lasts without renewal: a stopped replica's groups are taken over after this.
    pub lease_duration: Duration,
    /// How often leases are renewed and the live replicas counted.
    pub heartbeat_interval: Duration,
}

/// How long the feed reader waits for a notification before it reads the feed anyway.
pub(crate) const FEED_POLL: Duration = Duration::from_secs(1);

/// This replica's place among the others.
pub(crate) struct Cluster {
    settings: ClusterSettings,
    store: PostgresStore,
    ownership: Arc<Ownership>,
    peers: Mutex<Vec<Peer>>,
    started_at: DateTime<Utc>,
}

impl Cluster {
    /// A replica that holds no lease yet.
    pub(crate) fn new(settings: ClusterSettings, store: PostgresStore, started_at: DateTime<Utc>) -> Self {
        Cluster { settings, store, ownership: Arc::new(Ownership::leased()), peers: Mutex::new(Vec::new()), started_at }
    }

    /// Which groups this replica notifies.
    pub(crate) fn ownership(&self) -> &Arc<Ownership> {
        &self.ownership
    }

    /// This replica's identity (`name#start`).
    pub(crate) fn name(&self) -> &str {
        &self.settings.name
    }

    /// The replicas alive at the last heartbeat, this one included, by name.
    pub(crate) fn peers(&self) -> Vec<Peer> {
        self.peers.lock().map(|peers| peers.clone()).unwrap_or_default()
    }

    /// Starts following the other replicas' changes (from `position`, where the loaded snapshot stood) and
    /// keeping leases.
    pub(crate) fn start(self: &Arc<Self>, engine: Arc<Engine>, position: i64) -> Vec<JoinHandle<()>> {
        vec![
            tokio::spawn(feed::follow(self.store.clone(), engine, position)),
            tokio::spawn(leases::keep(Arc::clone(self))),
        ]
    }

    /// Gives the leases back and leaves (a clean shutdown: the others take over at once).
    pub(crate) async fn leave(&self) {
        self.ownership.release_all();
        if let Err(err) = self.store.leave().await {
            tracing::warn!(error = %err, "The leases could not be given back; the other replicas take them over when they expire.");
        }
    }
}
