//! Everything derived from one loaded config: the checked config, its route tree and its integrations.
//! Built completely before it replaces the running one, so a bad file never replaces a good one.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use crate::config::{self, Config, ConfigError, Problem};
use crate::notify::Integrations;
use crate::routing::RouteTree;
use crate::template::Templates;
use crate::timeinterval::{self, TimeInterval};

/// The config in force and what is derived from it.
pub(crate) struct Runtime {
    /// The checked config.
    pub config: Arc<Config>,
    /// Its route tree.
    pub tree: Arc<RouteTree>,
    /// Its receivers' integrations.
    pub integrations: Arc<Integrations>,
    /// Its templates, compiled.
    pub templates: Arc<Templates>,
    /// Its time intervals by name, parsed.
    pub time_intervals: HashMap<String, Vec<TimeInterval>>,
    /// Warnings found when loading it.
    pub warnings: Vec<Problem>,
    /// The text it was loaded from, secrets included (the store keeps it as a config version).
    pub source: Arc<str>,
    /// SHA-256 of `source`, hex: the config's version identity and the API's ETag.
    pub hash: String,
}

impl Runtime {
    /// Loads and checks the config file at `path`.
    pub(crate) fn load(path: &Path) -> Result<Runtime, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|err| ConfigError {
            problems: vec![Problem::at("", format!("cannot read {}: {err}", path.display()))],
        })?;
        Runtime::from_text(&text, path.parent().unwrap_or_else(|| Path::new(".")))
    }

    /// Loads and checks config text; relative paths inside it are taken from `base_dir`.
    pub(crate) fn from_text(text: &str, base_dir: &Path) -> Result<Runtime, ConfigError> {
        let loaded = config::parse_str(text, base_dir)?;
        Runtime::from_config(loaded.config, loaded.warnings, text)
    }

    /// Derives the route tree, integrations and templates of a checked config read from `source`.
    fn from_config(config: Config, warnings: Vec<Problem>, source: &str) -> Result<Runtime, ConfigError> {
        // Validation already compiled every template; an error here is a file changed under our feet.
        let templates = Templates::from_config(&config)
            .map_err(|message| ConfigError { problems: vec![Problem::at("templates", message)] })?;
        let mut time_intervals = HashMap::new();
        for (name, specs) in &config.time_intervals {
            let parsed = specs.iter().map(timeinterval::parse).collect::<Result<Vec<_>, _>>().map_err(|message| {
                ConfigError { problems: vec![Problem::at("time_intervals", format!("{name}: {message}"))] }
            })?;
            time_intervals.insert(name.clone(), parsed);
        }
        Ok(Runtime {
            time_intervals,
            tree: Arc::new(RouteTree::new(&config.route)),
            integrations: Arc::new(Integrations::new(&config.receivers)),
            templates: Arc::new(templates),
            config: Arc::new(config),
            warnings,
            hash: config::hash_text(source),
            source: Arc::from(source),
        })
    }
}

impl Runtime {
    /// Whether a route's notifications are muted at `now`: one of its `mute_time_intervals` contains it, or it
    /// has `active_time_intervals` and none does. Each route has only its own intervals (none inherited).
    pub(crate) fn muted(&self, route: crate::routing::RouteId, now: chrono::DateTime<chrono::Utc>) -> bool {
        let node = self.tree.node(route);
        let contains =
            |name: &String| self.time_intervals.get(name).is_some_and(|i| timeinterval::any_contains(i, now));
        node.mute_time_intervals.iter().any(contains)
            || (!node.active_time_intervals.is_empty() && !node.active_time_intervals.iter().any(contains))
    }
}
