//! Changing the config in force: a reload of the file, a new config through the API, a rollback to a stored
//! version. Each is checked completely first, written to the file (atomically) and recorded as a version
//! before it applies, so the file, the store and what runs never disagree; one runs at a time.

use std::path::Path;
use std::sync::Arc;

use super::{Engine, settle};
use crate::config::{self, ConfigError, ConfigVersion};
use crate::runtime::Runtime;
use crate::store::{self, WriteBatch};
use crate::telemetry::metrics::METRICS;

/// A new config to apply.
#[derive(Debug, Clone)]
pub(crate) struct ConfigChange {
    /// Its YAML; `<secret>` where the API showed one keeps the live secret.
    pub text: String,
    /// The ETag the change was made from: refused if the live config is another one (`*`: any).
    pub if_match: Option<String>,
    /// Who.
    pub author: String,
    /// Why.
    pub comment: String,
    /// `api` or `rollback`.
    pub source: &'static str,
}

/// A team's new sub-tree.
#[derive(Debug, Clone)]
pub(crate) enum TeamRoute {
    /// YAML of one route.
    Text(String),
    /// The team's sub-tree in a stored version.
    Version(u64),
}

/// Why a config change was not applied; the running config stays in every case.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ConfigChangeError {
    /// The config does not load; every problem is listed.
    #[error("{0}")]
    Invalid(#[from] ConfigError),
    /// `If-Match` names a config that is no longer live.
    #[error("the config changed since it was read (live ETag \"{live}\")")]
    Stale {
        /// The live config's hash.
        live: String,
    },
    /// No version has that number.
    #[error("config version {0} does not exist")]
    UnknownVersion(u64),
    /// The team has no sub-tree, or the new one is refused.
    #[error(transparent)]
    Team(#[from] config::TeamError),
    /// The version could not be stored.
    #[error("storing the config version: {0}")]
    Store(#[from] store::Error),
    /// The config file could not be written.
    #[error("writing {path}: {reason}")]
    File {
        /// The file.
        path: String,
        /// What failed.
        reason: String,
    },
}

impl Engine {
    /// Every version, oldest first.
    pub(crate) fn config_versions(&self) -> Vec<ConfigVersion> {
        self.versions.lock().map(|versions| versions.clone()).unwrap_or_default()
    }

    /// The version numbered `number`.
    pub(crate) fn config_version(&self, number: u64) -> Option<ConfigVersion> {
        self.versions.lock().ok()?.iter().find(|version| version.number == number).cloned()
    }

    /// The number of the version in force (0 before any was recorded).
    pub(crate) fn live_version(&self) -> u64 {
        let hash = self.runtime().hash.clone();
        let versions = self.versions.lock();
        versions.ok().and_then(|v| v.iter().rev().find(|v| v.hash == hash).map(|v| v.number)).unwrap_or(0)
    }

    /// Records the config loaded at start-up as a version, unless it is the last one recorded. One replica
    /// of several whose file holds an earlier version (it was stopped while the config changed) puts the
    /// latest version in force instead, and writes it to its file: a restart must not take the others back.
    pub(crate) async fn record_loaded_config(&self) -> store::Result<()> {
        let runtime = self.runtime();
        if self.cluster().is_some()
            && let Some(latest) = self.newer_than_file(&runtime)
        {
            let base_dir = self.config_path.parent().unwrap_or_else(|| Path::new("."));
            match Runtime::from_text(&latest.text, base_dir) {
                Ok(adopted) => {
                    let _one_at_a_time = self.reloading.lock().await;
                    if let Err(err) = write_atomically(&self.config_path, latest.text.as_bytes()) {
                        tracing::warn!(error = %err, config = %self.config_path.display(), "The replicas' latest config could not be written to the config file.");
                    }
                    self.apply(Arc::new(adopted)).await;
                    tracing::info!(version = latest.number, config = %self.config_path.display(), "The config file held an earlier version; the replicas' latest is in force and written to the file.");
                    return Ok(());
                }
                Err(err) => {
                    tracing::warn!(version = latest.number, error = %err, "The replicas' latest config does not load here; the config file is used.");
                }
            }
        }
        self.record(&runtime, "file", "file", "loaded at start-up").await.map(|_| ())
    }

    /// The latest version, when the loaded config is an earlier one (an edited file is a new config, and wins).
    fn newer_than_file(&self, loaded: &Runtime) -> Option<ConfigVersion> {
        let versions = self.versions.lock().ok()?;
        let latest = versions.last()?;
        let earlier = versions.iter().any(|version| version.hash == loaded.hash);
        (latest.hash != loaded.hash && earlier).then(|| latest.clone())
    }

    /// Re-reads the config file; a file that does not load leaves the running config in place. A file that
    /// changed is recorded as a version first.
    pub(crate) async fn reload(&self) -> Result<(), ConfigChangeError> {
        let _one_at_a_time = self.reloading.lock().await;
        let loaded = Runtime::load(&self.config_path);
        if loaded.is_err() {
            METRICS.config_reload_successful.set(0);
        }
        let runtime = Arc::new(loaded?);
        for warning in &runtime.warnings {
            tracing::warn!(config = %self.config_path.display(), "{warning}");
        }
        self.record(&runtime, "file", "file", "reloaded from the file").await?;
        self.apply(runtime).await;
        tracing::info!(config = %self.config_path.display(), "Configuration reloaded.");
        Ok(())
    }

    /// Applies a new config: checked like a file, written to the config file, recorded, then in force
    /// without a restart. Returns the version in force afterwards (the same one when nothing changed) and
    /// the new config's warnings.
    pub(crate) async fn change_config(
        &self,
        change: ConfigChange,
    ) -> Result<(ConfigVersion, Vec<config::Problem>), ConfigChangeError> {
        let _one_at_a_time = self.reloading.lock().await;
        let live = self.runtime();
        check_if_match(change.if_match.as_deref(), &live.hash)?;
        let text = config::restore_secrets(&change.text, &live.config)?.unwrap_or(change.text);
        self.apply_text(&live, text, change.source, &change.author, &change.comment).await
    }

    /// Replaces the sub-tree `team` owns with `route` (YAML of one route), or with its sub-tree in a stored
    /// version; the rest of the config stays as it is. `if_match` is the ETag of the team's sub-tree.
    pub(crate) async fn change_team(
        &self,
        team: &str,
        route: TeamRoute,
        if_match: Option<&str>,
        author: &str,
        comment: &str,
    ) -> Result<(ConfigVersion, Vec<config::Problem>), ConfigChangeError> {
        let _one_at_a_time = self.reloading.lock().await;
        let live = self.runtime();
        let (_, current) = config::team_route(&live.source, team)?;
        check_if_match(if_match, &config::hash_text(&current))?;
        let new_route = match route {
            TeamRoute::Text(text) => text,
            TeamRoute::Version(number) => {
                let version = self.config_version(number).ok_or(ConfigChangeError::UnknownVersion(number))?;
                config::team_route(&version.text, team)?.1
            }
        };
        let text = config::splice_team(&live.source, team, &new_route)?;
        self.apply_text(&live, text, &format!("team:{team}"), author, comment).await
    }

    async fn apply_text(
        &self,
        live: &Runtime,
        text: String,
        source: &str,
        author: &str,
        comment: &str,
    ) -> Result<(ConfigVersion, Vec<config::Problem>), ConfigChangeError> {
        let base_dir = self.config_path.parent().unwrap_or_else(|| Path::new("."));
        let runtime = Arc::new(Runtime::from_text(&text, base_dir)?);
        let warnings = runtime.warnings.clone();
        if runtime.hash == live.hash {
            let current = self.config_versions().into_iter().rev().find(|v| v.hash == live.hash);
            if let Some(current) = current {
                return Ok((current, warnings));
            }
        }
        let previous = std::fs::read(&self.config_path).ok();
        write_atomically(&self.config_path, text.as_bytes())?;
        let version = match self.record(&runtime, source, author, comment).await {
            Ok(version) => version,
            Err(err) => {
                // The store did not take it: the file goes back to what it was, and nothing changed.
                if let Some(previous) = previous
                    && let Err(restore) = write_atomically(&self.config_path, &previous)
                {
                    tracing::error!(error = %restore, "The config file could not be put back after a failed change.");
                }
                return Err(err.into());
            }
        };
        self.apply(runtime).await;
        tracing::info!(version = version.number, author = %version.author, source = %version.source, "Configuration changed.");
        Ok((version, warnings))
    }

    /// Puts in force a config version another replica recorded, and writes it to this replica's config file
    /// (which a restart or reload reads). A config this Herald cannot load stays recorded but not in force.
    pub(crate) async fn apply_remote_config(&self, version: ConfigVersion) {
        let _one_at_a_time = self.reloading.lock().await;
        if let Ok(mut versions) = self.versions.lock() {
            if versions.iter().any(|known| known.number == version.number) {
                return;
            }
            versions.push(version.clone());
            versions.sort_by_key(|known| known.number);
        }
        if self.runtime().hash == version.hash {
            return;
        }
        let base_dir = self.config_path.parent().unwrap_or_else(|| Path::new("."));
        let runtime = match Runtime::from_text(&version.text, base_dir) {
            Ok(runtime) => Arc::new(runtime),
            Err(err) => {
                tracing::error!(version = version.number, error = %err, "A config version from another replica does not load here; the running configuration stays in force.");
                return;
            }
        };
        if let Err(err) = write_atomically(&self.config_path, version.text.as_bytes()) {
            tracing::warn!(error = %err, config = %self.config_path.display(), "A config version from another replica could not be written to the config file.");
        }
        self.apply(runtime).await;
        tracing::info!(version = version.number, author = %version.author, source = %version.source, "Configuration changed on another replica.");
    }

    /// Rolls back to a stored version: applied like a new config, recorded as a new version.
    pub(crate) async fn roll_back_config(
        &self,
        number: u64,
        if_match: Option<String>,
        author: String,
        comment: String,
    ) -> Result<(ConfigVersion, Vec<config::Problem>), ConfigChangeError> {
        let target = self.config_version(number).ok_or(ConfigChangeError::UnknownVersion(number))?;
        let comment = if comment.is_empty() { format!("rollback to version {number}") } else { comment };
        self.change_config(ConfigChange { text: target.text, if_match, author, comment, source: "rollback" }).await
    }

    /// Stores `runtime`'s config as a new version, unless it is the last one recorded; returns the version.
    async fn record(
        &self,
        runtime: &Runtime,
        source: &str,
        author: &str,
        comment: &str,
    ) -> store::Result<ConfigVersion> {
        let (version, committed) = {
            let Ok(mut versions) = self.versions.lock() else { return Err(store::Error::Closed) };
            if let Some(last) = versions.last().filter(|last| last.hash == runtime.hash) {
                return Ok(last.clone());
            }
            let version = ConfigVersion {
                number: versions.last().map_or(1, |last| last.number + 1),
                at: self.now(),
                author: author.to_string(),
                comment: comment.to_string(),
                source: source.to_string(),
                hash: runtime.hash.clone(),
                text: runtime.source.to_string(),
            };
            let committed = self
                .persister
                .commit_alone(WriteBatch { config_versions: vec![version.clone()], ..WriteBatch::default() });
            versions.push(version.clone());
            (version, committed)
        };
        let versions = Arc::clone(&self.versions);
        let number = version.number;
        settle(committed, move || {
            if let Ok(mut versions) = versions.lock() {
                versions.retain(|version| version.number != number);
            }
        })
        .await?;
        Ok(version)
    }

    /// Puts a checked config in force: inhibition sources, groups (re-routed, timers kept), then the API.
    async fn apply(&self, runtime: Arc<Runtime>) {
        let alerts = self.alerts.all();
        self.inhibitor.reset(&runtime.config.inhibit_rules, &alerts);
        self.dispatcher.reload(Arc::clone(&runtime), alerts).await;
        METRICS.config_loaded(&runtime.hash, self.now().timestamp_millis() as f64 / 1000.0);
        self.runtime_tx.send_replace(runtime);
    }
}

/// Refuses a change made from another config than the live one (`*` matches any).
fn check_if_match(if_match: Option<&str>, live: &str) -> Result<(), ConfigChangeError> {
    let Some(tag) = if_match else { return Ok(()) };
    let tag = tag.trim().trim_start_matches("W/").trim_matches('"');
    if tag == "*" || tag == live {
        return Ok(());
    }
    Err(ConfigChangeError::Stale { live: live.to_string() })
}

/// Replaces `path` with `contents` so that a reader (or a crash) sees the old file or the new one, never
/// part of either: a temporary file beside it, synced, then renamed over it.
fn write_atomically(path: &Path, contents: &[u8]) -> Result<(), ConfigChangeError> {
    use std::io::Write;
    let failed = |reason: std::io::Error| ConfigChangeError::File {
        path: path.display().to_string(),
        reason: reason.to_string(),
    };
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "config".into());
    let temporary = path.with_file_name(format!(".{name}.herald-tmp"));
    let mut file = std::fs::File::create(&temporary).map_err(failed)?;
    file.write_all(contents).and_then(|()| file.sync_all()).map_err(failed)?;
    std::fs::rename(&temporary, path).map_err(failed)?;
    if let Some(folder) = path.parent().and_then(|folder| std::fs::File::open(folder).ok()) {
        // The rename itself is durable once the folder is synced.
        let _ = folder.sync_all();
    }
    Ok(())
}
