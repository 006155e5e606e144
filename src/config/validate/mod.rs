//! Turns the file as written into a checked [`Config`], collecting every problem with its field path.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::duration::PromDuration;
use super::model::{ConfigFile, Receiver};
use super::problem::Problem;
use super::secret::Secret;
use super::{Config, Route};

mod escalation;
mod global;
mod http;
mod receivers;
mod routes;

const DEFAULT_RESOLVE_TIMEOUT: Duration = Duration::from_secs(5 * 60);

/// What checking found: the config when there were no errors, and the warnings either way.
pub(super) struct Checked {
    pub config: Option<Config>,
    pub errors: Vec<Problem>,
    pub warnings: Vec<Problem>,
}

/// Checks a parsed file; relative paths are taken from `base_dir`.
pub(super) fn check(file: ConfigFile, base_dir: &Path) -> Checked {
    let mut checker = Checker { errors: Vec::new(), warnings: Vec::new(), base_dir };
    let config = checker.config(file);
    let Checker { errors, warnings, .. } = checker;
    Checked { config: if errors.is_empty() { Some(config) } else { None }, errors, warnings }
}

/// Collects the problems of one file while its parts are checked; integrations report theirs through it.
pub(crate) struct Checker<'a> {
    errors: Vec<Problem>,
    warnings: Vec<Problem>,
    base_dir: &'a Path,
}

impl Checker<'_> {
    /// Reports an error at a field path: the file is refused.
    pub(crate) fn error(&mut self, path: impl Into<String>, message: impl Into<String>) {
        self.errors.push(Problem::at(path, message));
    }

    /// Reports a warning at a field path: the file loads, but something will not work as written.
    pub(crate) fn warn(&mut self, path: impl Into<String>, message: impl Into<String>) {
        self.warnings.push(Problem::at(path, message));
    }

    fn config(&mut self, file: ConfigFile) -> Config {
        let global = self.global(file.global.clone().unwrap_or_default());
        let resolve_timeout = self
            .duration("global.resolve_timeout", global.resolve_timeout.as_deref())
            .unwrap_or(DEFAULT_RESOLVE_TIMEOUT);
        let receivers: Vec<Receiver> = file
            .receivers
            .iter()
            .enumerate()
            .map(|(i, receiver)| self.receiver(&format!("receivers[{i}]"), receiver.clone(), &global))
            .collect();
        self.unique_receiver_names(&receivers);
        let time_intervals = self.time_intervals(&file);
        let receiver_names: HashSet<&str> = receivers.iter().map(|r| r.name.as_str()).collect();
        let route = match &file.route {
            Some(root) => self.root_route(root, &receiver_names, &time_intervals),
            None => {
                self.error("route", "no routes provided");
                Route::default()
            }
        };
        let inhibit_rules = file
            .inhibit_rules
            .iter()
            .enumerate()
            .map(|(i, rule)| self.inhibit_rule(&format!("inhibit_rules[{i}]"), rule))
            .collect();
        let templates: Vec<PathBuf> = file.templates.iter().map(|glob| self.base_dir.join(glob)).collect();
        let template_files = self.template_files(&templates);
        for (path, source) in super::templated_fields(&receivers) {
            if let Err(err) = crate::template::check(source) {
                self.error(path, format!("template: {err}"));
            }
        }
        Config {
            global,
            resolve_timeout,
            route,
            inhibit_rules,
            receivers,
            time_intervals,
            templates,
            template_files,
            file,
        }
    }

    /// Reads the files the `templates:` globs match and checks that each parses, as Alertmanager does at load.
    fn template_files(&mut self, globs: &[PathBuf]) -> Vec<super::TemplateFile> {
        let mut files = Vec::new();
        for (i, pattern) in globs.iter().enumerate() {
            let path = format!("templates[{i}]");
            let matches = match glob::glob(&pattern.to_string_lossy()) {
                Ok(matches) => matches,
                Err(err) => {
                    self.error(path, format!("invalid glob {}: {err}", pattern.display()));
                    continue;
                }
            };
            for entry in matches {
                let file = match entry {
                    Ok(file) => file,
                    Err(err) => {
                        self.error(path.clone(), err.to_string());
                        continue;
                    }
                };
                let source = match std::fs::read_to_string(&file) {
                    Ok(source) => source,
                    Err(err) => {
                        self.error(path.clone(), format!("read {}: {err}", file.display()));
                        continue;
                    }
                };
                if let Err(err) = crate::template::Templates::new().add_go_file(&source) {
                    self.error(path.clone(), format!("template file {}: {err}", file.display()));
                    continue;
                }
                files.push(super::TemplateFile { path: file, source });
            }
        }
        files
    }

    /// Parses an optional Prometheus duration; a bad one is reported and read as unset.
    fn duration(&mut self, path: &str, text: Option<&str>) -> Option<Duration> {
        match PromDuration::parse(text?) {
            Ok(duration) => Some(duration.0),
            Err(err) => {
                self.error(path, err.to_string());
                None
            }
        }
    }

    /// Checks an http(s) URL as Alertmanager's config `URL` type does.
    pub(crate) fn url(&mut self, path: &str, text: &str) {
        if let Some(problem) = go_url_problem(text) {
            return self.error(path, problem);
        }
        match url::Url::parse(text) {
            Err(err) => self.error(path, format!("invalid URL {text:?}: {err}")),
            Ok(url) if url.scheme() != "http" && url.scheme() != "https" => {
                self.error(path, format!("unsupported scheme {:?} for URL", url.scheme()))
            }
            Ok(url) if url.host_str().is_none_or(str::is_empty) || !has_go_host(text) => {
                self.error(path, "missing host for URL")
            }
            Ok(_) => {}
        }
    }

    /// An integration's API URL: its own, else the global one, else the service's; checked and filled in.
    pub(crate) fn api_url(&mut self, path: &str, own: &mut Option<String>, global: Option<&String>, default: &str) {
        let url = own.clone().or_else(|| global.cloned()).unwrap_or_else(|| default.to_string());
        self.url(path, &url);
        *own = Some(url);
    }

    /// Like [`Checker::url`], without repeating the URL (it is a secret) in the message.
    pub(crate) fn secret_url(&mut self, path: &str, secret: &Secret) {
        if secret.expose() == super::secret::REDACTED {
            return;
        }
        if let Some(problem) = go_url_problem(secret.expose()) {
            return self.error(path, problem);
        }
        match url::Url::parse(secret.expose()) {
            Err(err) => self.error(path, format!("invalid URL: {err}")),
            Ok(url) if url.scheme() != "http" && url.scheme() != "https" => {
                self.error(path, format!("unsupported scheme {:?} for URL", url.scheme()))
            }
            Ok(url) if url.host_str().is_none_or(str::is_empty) || !has_go_host(secret.expose()) => {
                self.error(path, "missing host for URL")
            }
            Ok(_) => {}
        }
    }

    /// Resolves a `*_file` path against the config folder, and warns when the file is not there yet.
    pub(crate) fn existing_file(&mut self, path: &str, file: &str) -> String {
        let resolved = self.base_dir.join(file);
        if !resolved.is_file() {
            self.warn(path, format!("file {} does not exist; sends that need it will fail", resolved.display()));
        }
        resolved.to_string_lossy().into_owned()
    }
}

/// Alertmanager treats an empty secret as not set.
pub(crate) fn clear_empty_secret(secret: &mut Option<Secret>) {
    if secret.as_ref().is_some_and(Secret::is_empty) {
        *secret = None;
    }
}

/// Alertmanager treats an empty string as not set.
pub(crate) fn clear_empty(value: &mut Option<String>) {
    if value.as_deref().is_some_and(str::is_empty) {
        *value = None;
    }
}

/// What Go's URL parser refuses that the WHATWG parser (the `url` crate) quietly repairs: surrounding or
/// control whitespace.
fn go_url_problem(text: &str) -> Option<String> {
    if text.chars().any(char::is_control) || text.trim() != text {
        return Some("invalid URL: it contains spaces or control characters".to_string());
    }
    None
}

/// Go needs `scheme://host`; the WHATWG parser also takes `http:x` and `http:///x`.
fn has_go_host(text: &str) -> bool {
    text.split_once("://").is_some_and(|(_, rest)| !rest.is_empty() && !rest.starts_with('/'))
}
