//! Reading a config file: YAML parse, checks, and line numbers for every problem.

use std::path::Path;

use super::Loaded;
use super::locate::LineIndex;
use super::model::ConfigFile;
use super::problem::{ConfigError, Problem};
use super::validate;

/// Reads and checks the config file at `path`; relative paths inside it are taken from its folder.
pub(crate) fn load_file(path: &Path) -> Result<Loaded, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|err| ConfigError {
        problems: vec![Problem::at("", format!("cannot read {}: {err}", path.display()))],
    })?;
    let base_dir = path.parent().unwrap_or_else(|| Path::new("."));
    parse_str(&text, base_dir)
}

/// Parses and checks config text; relative paths inside it are taken from `base_dir`.
pub(crate) fn parse_str(text: &str, base_dir: &Path) -> Result<Loaded, ConfigError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if text.trim().is_empty() {
        return Err(ConfigError { problems: vec![Problem::at("", "no route provided in config")] });
    }
    let file = deserialize(text).map_err(|err| ConfigError { problems: vec![yaml_problem(&err)] })?;
    let index = LineIndex::build(text);
    if let Some((path, line, key)) = index.duplicate_keys().first() {
        return Err(ConfigError {
            problems: vec![Problem {
                path: path.clone(),
                line: Some(*line),
                message: format!("key {key:?} already set in map"),
            }],
        });
    }
    let checked = validate::check(file, base_dir);
    let locate = |mut problems: Vec<Problem>| {
        for problem in &mut problems {
            problem.line = index.line_of(&problem.path);
        }
        // Report in document order; problems without a line (whole-file ones) come first.
        problems.sort_by_key(|problem| problem.line);
        problems
    };
    match checked.config {
        Some(config) => {
            let mut warnings = checked.warnings;
            warnings.extend(super::group_labels::ungrouped_label_warnings(&config));
            Ok(Loaded { config, warnings: locate(warnings) })
        }
        None => Err(ConfigError { problems: locate(checked.errors) }),
    }
}

/// Deserializes straight from the text (errors then carry lines). serde_yaml_ng does not apply YAML merge keys
/// (`<<: *anchor`), which Alertmanager's parser does, so a file using them goes through a merged `Value`.
pub(super) fn deserialize(text: &str) -> Result<ConfigFile, serde_yaml_ng::Error> {
    let direct = first_document(text);
    if direct.is_ok() || !text.contains("<<") {
        return direct;
    }
    let mut value: serde_yaml_ng::Value = serde_yaml_ng::from_str(text)?;
    value.apply_merge()?;
    serde_yaml_ng::from_value(value).or(direct)
}

/// Like go-yaml, reads the first document of a multi-document file and ignores the rest.
fn first_document(text: &str) -> Result<ConfigFile, serde_yaml_ng::Error> {
    use serde::Deserialize;
    match serde_yaml_ng::Deserializer::from_str(text).next() {
        Some(document) => ConfigFile::deserialize(document),
        None => serde_yaml_ng::from_str(text),
    }
}

/// serde_yaml_ng puts the path first and the position last (`route: unknown field ... at line 3 column 3`);
/// split them so the problem prints like the others.
fn yaml_problem(err: &serde_yaml_ng::Error) -> Problem {
    let text = err.to_string();
    let message = match text.rfind(" at line ") {
        Some(cut) if err.location().is_some() => &text[..cut],
        _ => &text,
    };
    let (path, message) = match message.split_once(": ") {
        Some((path, rest)) if !path.contains(' ') => (path, rest),
        _ => ("", message),
    };
    Problem { path: path.to_string(), line: err.location().map(|l| l.line()), message: message.to_string() }
}
