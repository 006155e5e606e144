//! The running engine as the API and signal handlers see it: the alert index, the store's persister, the
//! dispatcher and the config in force, with the operations that span them (ingest, reload).

use std::path::PathBuf;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use tokio::sync::{Mutex, watch};

use crate::alert::{Alert, AlertIndex};
use crate::config::ConfigError;
use crate::dispatch::Dispatcher;
use crate::inhibit::Inhibitor;
use crate::runtime::Runtime;
use crate::silence::Silences;
use crate::store::{self, Persister, WriteBatch};

/// Shared handles; cheap to clone behind an `Arc`.
pub struct Engine {
    /// Every known alert.
    pub alerts: Arc<AlertIndex>,
    /// Durable writes.
    pub persister: Persister,
    /// Aggregation groups.
    pub dispatcher: Dispatcher,
    /// The config in force.
    pub runtime: watch::Receiver<Arc<Runtime>>,
    runtime_tx: watch::Sender<Arc<Runtime>>,
    config_path: PathBuf,
    reloading: Mutex<()>,
    /// When Herald started.
    pub started_at: DateTime<Utc>,
    /// Herald's external URL, as notifications show it.
    pub external_url: String,
    /// Inhibition rules and their source alerts.
    pub inhibitor: Arc<Inhibitor>,
    /// Silences.
    pub silences: Arc<Silences>,
}

/// What the engine is assembled from.
pub struct EngineParts {
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
}

impl Engine {
    /// Assembles the engine.
    pub fn new(parts: EngineParts) -> Self {
        let EngineParts { alerts, persister, dispatcher, runtime, config_path, external_url, inhibitor, silences } =
            parts;
        let (runtime_tx, runtime_rx) = watch::channel(runtime);
        Engine {
            alerts,
            persister,
            dispatcher,
            runtime: runtime_rx,
            runtime_tx,
            config_path,
            reloading: Mutex::new(()),
            started_at: Utc::now(),
            external_url,
            inhibitor,
            silences,
        }
    }

    /// The config in force.
    pub fn runtime(&self) -> Arc<Runtime> {
        Arc::clone(&self.runtime.borrow())
    }

    /// Stores received alerts (merged with what is known) and returns once they are on disk; the dispatcher
    /// gets them right after the commit. If the commit fails, the index is rolled back: nothing the client was
    /// told failed stays visible.
    pub async fn ingest(&self, received: Vec<Alert>) -> store::Result<()> {
        if received.is_empty() {
            return Ok(());
        }
        let persister = &self.persister;
        let (merged, committed) = self.alerts.merge(received, |merged| {
            // Each new version is a new row; the row of the version it replaces goes in the same transaction.
            let deleted_alerts = merged.previous.iter().flatten().map(|old| old.version).collect();
            persister.enqueue(WriteBatch { alerts: merged.stored.clone(), deleted_alerts, ..WriteBatch::default() })
        });
        let result = committed.await;
        if result.is_err() {
            self.alerts.roll_back(merged);
        }
        result
    }

    /// Re-reads the config file; a file that does not load leaves the running config in place.
    pub async fn reload(&self) -> Result<(), ConfigError> {
        let _one_at_a_time = self.reloading.lock().await;
        let runtime = Arc::new(Runtime::load(&self.config_path)?);
        for warning in &runtime.warnings {
            tracing::warn!(config = %self.config_path.display(), "{warning}");
        }
        let alerts = self.alerts.all();
        self.inhibitor.reset(&runtime.config.inhibit_rules, &alerts);
        self.dispatcher.reload(Arc::clone(&runtime), alerts).await;
        self.runtime_tx.send_replace(runtime);
        tracing::info!(config = %self.config_path.display(), "Configuration reloaded.");
        Ok(())
    }
}
