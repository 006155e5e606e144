//! Everything derived from one loaded config: the checked config, its route tree and its integrations.
//! Built completely before it replaces the running one, so a bad file never replaces a good one.

use std::path::Path;
use std::sync::Arc;

use crate::config::{self, Config, ConfigError, Problem};
use crate::notify::Integrations;
use crate::routing::RouteTree;

/// The config in force and what is derived from it.
pub struct Runtime {
    /// The checked config.
    pub config: Arc<Config>,
    /// Its route tree.
    pub tree: Arc<RouteTree>,
    /// Its receivers' integrations.
    pub integrations: Arc<Integrations>,
    /// Warnings found when loading it.
    pub warnings: Vec<Problem>,
}

impl Runtime {
    /// Loads and checks the config file at `path`.
    pub fn load(path: &Path) -> Result<Runtime, ConfigError> {
        let loaded = config::load_file(path)?;
        Ok(Runtime::from_config(loaded.config, loaded.warnings))
    }

    /// Derives the route tree and integrations of a checked config.
    pub fn from_config(config: Config, warnings: Vec<Problem>) -> Runtime {
        Runtime {
            tree: Arc::new(RouteTree::new(&config.route)),
            integrations: Arc::new(Integrations::new(&config.receivers)),
            config: Arc::new(config),
            warnings,
        }
    }
}
