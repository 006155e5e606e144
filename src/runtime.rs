//! Everything derived from one loaded config: the checked config, its route tree and its integrations.
//! Built completely before it replaces the running one, so a bad file never replaces a good one.

use std::path::Path;
use std::sync::Arc;

use crate::config::{self, Config, ConfigError, Problem};
use crate::notify::Integrations;
use crate::routing::RouteTree;
use crate::template::Templates;

/// The config in force and what is derived from it.
pub struct Runtime {
    /// The checked config.
    pub config: Arc<Config>,
    /// Its route tree.
    pub tree: Arc<RouteTree>,
    /// Its receivers' integrations.
    pub integrations: Arc<Integrations>,
    /// Its templates, compiled.
    pub templates: Arc<Templates>,
    /// Warnings found when loading it.
    pub warnings: Vec<Problem>,
}

impl Runtime {
    /// Loads and checks the config file at `path`.
    pub fn load(path: &Path) -> Result<Runtime, ConfigError> {
        let loaded = config::load_file(path)?;
        Runtime::from_config(loaded.config, loaded.warnings)
    }

    /// Derives the route tree, integrations and templates of a checked config.
    pub fn from_config(config: Config, warnings: Vec<Problem>) -> Result<Runtime, ConfigError> {
        // Validation already compiled every template; an error here is a file changed under our feet.
        let templates = Templates::from_config(&config)
            .map_err(|message| ConfigError { problems: vec![Problem::at("templates", message)] })?;
        Ok(Runtime {
            tree: Arc::new(RouteTree::new(&config.route)),
            integrations: Arc::new(Integrations::new(&config.receivers)),
            templates: Arc::new(templates),
            config: Arc::new(config),
            warnings,
        })
    }
}
