//! The running engine as the API and signal handlers see it: the alert index, the store's persister, the
//! dispatcher and the config in force, with the operations that span them (ingest, silences, acknowledgements;
//! config changes in `config_change`).

mod config_change;

pub(crate) use config_change::{ConfigChange, ConfigChangeError, TeamRoute};

use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::clock::Clock;
use tokio::sync::{Mutex, watch};

use crate::alert::{Alert, AlertIndex};
use crate::cluster::Cluster;
use crate::config::ConfigVersion;
use crate::dispatch::{AckChange, AckError, Dispatcher, GroupId, GroupView};
use crate::inhibit::Inhibitor;
use crate::runtime::Runtime;
use crate::silence::{Changed, Silence, SilenceError, Silences};
use crate::store::{self, CommittedAlerts, Persister, WriteBatch};

/// Shared handles; cheap to clone behind an `Arc`. Every change to state goes through it, so that each is
/// committed before it is published and rolled back when the commit fails.
pub(crate) struct Engine {
    alerts: Arc<AlertIndex>,
    persister: Persister,
    dispatcher: Dispatcher,
    runtime: watch::Receiver<Arc<Runtime>>,
    runtime_tx: watch::Sender<Arc<Runtime>>,
    config_path: PathBuf,
    reloading: Mutex<()>,
    started_at: DateTime<Utc>,
    clock: Clock,
    external_url: String,
    inhibitor: Arc<Inhibitor>,
    silences: Arc<Silences>,
    /// Every config applied, oldest first (the store has them too).
    versions: Arc<std::sync::Mutex<Vec<ConfigVersion>>>,
    /// Where alerts go once stored (to the dispatcher): other replicas' alerts are handed on there too.
    committed: CommittedAlerts,
    /// The other replicas, when there are.
    cluster: Option<Arc<Cluster>>,
}

/// How long a request waits for its commit at the most. The store gives a write up at its own deadline
/// ([`store::COMMIT_DEADLINE`]), so this only ends the wait for a commit that hangs inside the database (a
/// hung disk): the one case where a write answered 503 may still land later.
const ANSWER_DEADLINE: Duration = Duration::from_secs(store::COMMIT_DEADLINE.as_secs() + 2);

/// Waits for a commit, at most [`ANSWER_DEADLINE`], and undoes the change with `roll_back` if the commit
/// fails. If the wait is abandoned (the deadline, or a client that gives up and drops the request), the
/// rest of it moves to a task of its own, so that what the store refuses never stays in memory; the usual
/// path spawns nothing.
async fn settle<F, R>(committed: F, roll_back: R) -> store::Result<()>
where
    F: Future<Output = store::Result<()>> + Send + 'static,
    R: FnOnce() + Send + 'static,
{
    let mut pending = Pending { committed: Some(Box::pin(committed)), roll_back: Some(roll_back) };
    let Some(committed) = pending.committed.as_mut() else { return Err(store::Error::Closed) };
    match tokio::time::timeout(ANSWER_DEADLINE, committed).await {
        Ok(result) => {
            pending.committed = None;
            let roll_back = pending.roll_back.take();
            if result.is_err() {
                roll_back.into_iter().for_each(|roll_back| roll_back());
            }
            result
        }
        // `pending` is dropped on return and hands the wait on.
        Err(_) => Err(store::Error::Timeout(ANSWER_DEADLINE.as_secs())),
    }
}

/// A commit not yet decided, and the roll-back to run if it fails.
struct Pending<F: Future<Output = store::Result<()>> + Send + 'static, R: FnOnce() + Send + 'static> {
    committed: Option<std::pin::Pin<Box<F>>>,
    roll_back: Option<R>,
}

impl<F, R> Drop for Pending<F, R>
where
    F: Future<Output = store::Result<()>> + Send + 'static,
    R: FnOnce() + Send + 'static,
{
    fn drop(&mut self) {
        if let (Some(committed), Some(roll_back)) = (self.committed.take(), self.roll_back.take()) {
            tokio::spawn(async move {
                if committed.await.is_err() {
                    roll_back();
                }
            });
        }
    }
}

/// Why a silence change was not made.
#[derive(Debug, thiserror::Error)]
pub(crate) enum SilenceChangeError {
    /// The change was refused (unknown id, invalid silence).
    #[error(transparent)]
    Refused(#[from] SilenceError),
    /// The store failed; the change was undone.
    #[error("storing a silence: {0}")]
    Store(#[from] store::Error),
}

/// Why an acknowledgement change was not made.
#[derive(Debug, thiserror::Error)]
pub(crate) enum AckChangeError {
    /// The change was refused (unknown group, nothing firing, not acknowledged).
    #[error(transparent)]
    Refused(#[from] AckError),
    /// The store failed; the change was undone.
    #[error("storing an acknowledgement: {0}")]
    Store(#[from] store::Error),
}

/// What the engine is assembled from.
pub(crate) struct EngineParts {
    /// Every known alert.
    pub alerts: Arc<AlertIndex>,
    /// Durable writes.
    pub persister: Persister,
    /// Aggregation groups.
    pub dispatcher: Dispatcher,
    /// The config in force.
    pub runtime: Arc<Runtime>,
    /// Where the config is read from (for reloads).
    pub config_path: PathBuf,
    /// Herald's external URL.
    pub external_url: String,
    /// Inhibition rules and their source alerts.
    pub inhibitor: Arc<Inhibitor>,
    /// Silences.
    pub silences: Arc<Silences>,
    /// Herald's clock.
    pub clock: Clock,
    /// The config versions stored so far.
    pub config_versions: Vec<ConfigVersion>,
    /// Where stored alerts go to the dispatcher.
    pub committed: CommittedAlerts,
    /// The other replicas, when there are.
    pub cluster: Option<Arc<Cluster>>,
}

impl Engine {
    /// Assembles the engine.
    pub(crate) fn new(parts: EngineParts) -> Self {
        let EngineParts {
            alerts,
            persister,
            dispatcher,
            runtime,
            config_path,
            external_url,
            inhibitor,
            silences,
            clock,
            config_versions,
            committed,
            cluster,
        } = parts;
        let (runtime_tx, runtime_rx) = watch::channel(runtime);
        Engine {
            alerts,
            persister,
            dispatcher,
            runtime: runtime_rx,
            runtime_tx,
            config_path,
            reloading: Mutex::new(()),
            started_at: clock.now(),
            clock,
            external_url,
            inhibitor,
            silences,
            versions: Arc::new(std::sync::Mutex::new(config_versions)),
            committed,
            cluster,
        }
    }

    /// The other replicas, when there are.
    pub(crate) fn cluster(&self) -> Option<&Arc<Cluster>> {
        self.cluster.as_ref()
    }

    /// Brings this replica's memory up to the stored state after it missed changes of the others (the feed
    /// was pruned past it): everything stored is applied as if another replica had just written it, and
    /// silences no longer stored are dropped.
    pub(crate) async fn apply_snapshot(&self, snapshot: store::Snapshot) {
        let stored: std::collections::HashSet<&str> = snapshot.silences.iter().map(|s| s.id.as_str()).collect();
        let deleted_silences = self
            .silences
            .all()
            .into_iter()
            .map(|silence| silence.id)
            .filter(|id| !stored.contains(id.as_str()))
            .collect();
        let batch = WriteBatch {
            silences: snapshot.silences.iter().map(|s| (s.id.clone(), s.clone())).collect(),
            deleted_silences,
            alerts: snapshot.alerts,
            groups: snapshot.groups.into_iter().map(|group| (group.id, group)).collect(),
            nflog: snapshot.nflog.into_iter().collect(),
            config_versions: snapshot.config_versions,
            ..WriteBatch::default()
        };
        self.apply_remote(batch).await;
    }

    /// Applies what another replica committed: its alerts (routed here as if received), silences, config
    /// versions, and its groups' timers, departures and notification log. Nothing is written back, but for
    /// the rows of alert versions that lost to another replica's.
    pub(crate) async fn apply_remote(&self, batch: WriteBatch) {
        let WriteBatch { alerts, silences, deleted_silences, config_versions, .. } = &batch;
        if !alerts.is_empty() {
            let (taken, lost) = self.alerts.apply_remote(alerts.clone());
            if !taken.is_empty() {
                let _ = self.committed.send(taken);
            }
            if !lost.is_empty() {
                self.persister.submit(WriteBatch { deleted_alerts: lost, ..WriteBatch::default() });
            }
        }
        if !silences.is_empty() || !deleted_silences.is_empty() {
            self.silences.apply_remote(silences.values().cloned(), deleted_silences);
        }
        for version in config_versions {
            self.apply_remote_config(version.clone()).await;
        }
        let WriteBatch { groups, deleted_groups, nflog, deleted_nflog, left, .. } = batch;
        if !(groups.is_empty()
            && deleted_groups.is_empty()
            && nflog.is_empty()
            && deleted_nflog.is_empty()
            && left.is_empty())
        {
            self.dispatcher.apply_remote(WriteBatch {
                groups,
                deleted_groups,
                nflog,
                deleted_nflog,
                left,
                ..WriteBatch::default()
            });
        }
    }

    /// The config in force.
    pub(crate) fn runtime(&self) -> Arc<Runtime> {
        Arc::clone(&self.runtime.borrow())
    }

    /// Now, by Herald's clock (which tests can pause).
    pub(crate) fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// Every known alert.
    pub(crate) fn alerts(&self) -> &AlertIndex {
        &self.alerts
    }

    /// The silences (to read; changes go through [`Engine::set_silence`] and [`Engine::expire_silence`]).
    pub(crate) fn silences(&self) -> &Silences {
        &self.silences
    }

    /// Inhibition rules and their source alerts.
    pub(crate) fn inhibitor(&self) -> &Inhibitor {
        &self.inhibitor
    }

    /// The aggregation groups.
    pub(crate) fn dispatcher(&self) -> &Dispatcher {
        &self.dispatcher
    }

    /// A page of the notification history, newest first.
    pub(crate) async fn notification_history(
        &self,
        query: crate::notify::history::HistoryQuery,
    ) -> store::Result<Vec<crate::notify::history::Attempt>> {
        self.persister.history(query).await
    }

    /// How many requests wait for the store.
    pub(crate) fn store_queue_depth(&self) -> usize {
        self.persister.queue_depth()
    }

    /// The config file.
    pub(crate) fn config_path(&self) -> &std::path::Path {
        &self.config_path
    }

    /// When Herald started.
    pub(crate) fn started_at(&self) -> DateTime<Utc> {
        self.started_at
    }

    /// Herald's external URL, as notifications show it.
    pub(crate) fn external_url(&self) -> &str {
        &self.external_url
    }

    /// Creates or updates a silence (see [`Silences::set`]) and returns its id once it is on disk. If the
    /// commit fails, the change is undone: nothing the client was told failed stays in force.
    pub(crate) async fn set_silence(
        &self,
        id: Option<&str>,
        silence: Silence,
        now: DateTime<Utc>,
    ) -> Result<String, SilenceChangeError> {
        let (id, changed, committed) = self.silences.set(id, silence, now, |changed| self.enqueue_silences(changed))?;
        let silences = Arc::clone(&self.silences);
        settle(committed, move || silences.roll_back(changed)).await?;
        Ok(id)
    }

    /// Expires a silence (an expired one stays as it is) once that is on disk, as [`Engine::set_silence`].
    pub(crate) async fn expire_silence(&self, id: &str, now: DateTime<Utc>) -> Result<(), SilenceChangeError> {
        let Some((changed, committed)) = self.silences.expire(id, now, |changed| self.enqueue_silences(changed))?
        else {
            return Ok(());
        };
        let silences = Arc::clone(&self.silences);
        settle(committed, move || silences.roll_back(changed)).await?;
        Ok(())
    }

    /// Acknowledges a group or withdraws its acknowledgement, and returns the group once the change is on
    /// disk; undone if the commit fails.
    pub(crate) async fn change_ack(&self, id: GroupId, change: AckChange) -> Result<GroupView, AckChangeError> {
        let applied = self.dispatcher.change_ack(id, change.clone()).await?;
        let dispatcher = self.dispatcher.clone();
        let previous = applied.previous;
        settle(applied.committed, move || dispatcher.restore_state(id, previous)).await?;
        // Only what is stored is passed on.
        self.dispatcher.forward_ack(id, change);
        Ok(applied.group)
    }

    fn enqueue_silences(&self, changed: &Changed) -> impl Future<Output = store::Result<()>> + Send + use<> {
        let silences = changed.written.iter().map(|s| (s.id.clone(), s.clone())).collect();
        self.persister.enqueue(WriteBatch { silences, ..WriteBatch::default() })
    }

    /// Drops from memory what has served its time: resolved alerts (their rows go once notified), expired
    /// inhibition sources, and silences expired longer than `retention` (from the store too).
    pub(crate) fn collect_garbage(&self, now: DateTime<Utc>, retention: Duration, history_retention: Duration) {
        let history_before =
            chrono::Duration::from_std(history_retention).ok().and_then(|keep| now.checked_sub_signed(keep));
        if history_before.is_some() {
            self.persister.submit(WriteBatch { history_before, ..WriteBatch::default() });
        }
        self.inhibitor.collect_resolved(now);
        let expired = self.silences.collect_expired(now, retention);
        if !expired.is_empty() {
            self.persister.submit(WriteBatch { deleted_silences: expired, ..WriteBatch::default() });
        }
        let resolved = self.alerts.collect_resolved(now);
        if !resolved.is_empty() {
            tracing::debug!(alerts = resolved.len(), "Removed resolved alerts from the index.");
        }
    }

    /// Stores received alerts (merged with what is known) and returns once they are on disk; the dispatcher
    /// gets them right after the commit. If the commit fails, the index is rolled back: nothing the client was
    /// told failed stays visible.
    pub(crate) async fn ingest(&self, received: Vec<Alert>) -> store::Result<()> {
        if received.is_empty() {
            return Ok(());
        }
        let persister = &self.persister;
        let (merged, committed) = self.alerts.merge(received, self.clock.now(), |merged| {
            // Each new version is a new row; the row of the version it replaces goes in the same transaction.
            let deleted_alerts = merged.previous.iter().flatten().map(|old| old.version).collect();
            persister.enqueue(WriteBatch { alerts: merged.stored.clone(), deleted_alerts, ..WriteBatch::default() })
        });
        let alerts = Arc::clone(&self.alerts);
        settle(committed, move || alerts.roll_back(merged)).await
    }

    /// Why Herald cannot take writes now, if it cannot: the store failing or stalled, or its writer gone.
    pub(crate) fn store_problem(&self) -> Option<String> {
        if !self.persister.is_running() {
            return Some("the store writer has stopped".to_string());
        }
        self.persister.health().problem()
    }

    /// Whether the loops Herald needs are alive: the store writer and the dispatcher.
    pub(crate) fn alive(&self) -> Result<(), String> {
        if !self.persister.is_running() {
            return Err("the store writer has stopped".to_string());
        }
        self.dispatcher.alive()
    }
}
