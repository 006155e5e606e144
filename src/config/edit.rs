//! The config as the API shows it for editing (the file as written, Herald's extensions kept, every secret
//! `<secret>`), and the way back: a `<secret>` left where the API showed one keeps the live secret there.

use serde_yaml_ng::Value;

use super::locate::LineIndex;
use super::secret::{REDACTED, exposing_secrets};
use super::{Config, ConfigError, Problem};

impl Config {
    /// The YAML `GET /api/herald/config` returns: the file as written (no defaults filled in), secrets shown
    /// as `<secret>`.
    pub(crate) fn to_api_yaml(&self) -> String {
        serde_yaml_ng::to_string(&self.file).unwrap_or_else(|err| format!("# cannot render the config: {err}\n"))
    }
}

/// The API form of a stored config's text, without checking it again (a stored version may name template
/// files that have changed since): for listing and comparing versions.
pub(crate) fn api_yaml_of(text: &str) -> Result<String, String> {
    let file =
        super::load::deserialize(text.strip_prefix('\u{feff}').unwrap_or(text)).map_err(|err| err.to_string())?;
    serde_yaml_ng::to_string(&file).map_err(|err| err.to_string())
}

/// A unified diff between two configs' API forms (secrets never show), `from` and `to` naming them.
pub(crate) fn diff(from_name: &str, from: &str, to_name: &str, to: &str) -> String {
    similar::TextDiff::from_lines(from, to).unified_diff().context_radius(3).header(from_name, to_name).to_string()
}

/// Puts the live secrets back into `text` wherever it still holds what [`Config::to_api_yaml`] showed at the
/// same place (`<secret>`, or a webhook URL's `https://host/<secret>`). Returns `None` when `text` holds no
/// placeholder (it is used as it is, comments included), the completed YAML otherwise; a placeholder with no
/// live secret at its place is an error naming it.
pub(crate) fn restore_secrets(text: &str, live: &Config) -> Result<Option<String>, ConfigError> {
    if !text.contains(REDACTED) {
        return Ok(None);
    }
    // A text that does not parse is left to the loader, which reports it with its line.
    let Ok(mut edited) = serde_yaml_ng::from_str::<Value>(text) else { return Ok(None) };
    let shown = serde_yaml_ng::to_value(&live.file).unwrap_or(Value::Null);
    let real = exposing_secrets(|| serde_yaml_ng::to_value(&live.file)).unwrap_or(Value::Null);
    let mut unmatched = Vec::new();
    restore(&mut edited, Some(&shown), Some(&real), String::new(), &mut unmatched);
    if !unmatched.is_empty() {
        let index = LineIndex::build(text);
        let problems = unmatched
            .into_iter()
            .map(|path| Problem {
                line: index.line_of(&path),
                message: format!(
                    "{REDACTED} stands for the live secret at the same place, and there is none at {path}: write the value"
                ),
                path,
            })
            .collect();
        return Err(ConfigError { problems });
    }
    serde_yaml_ng::to_string(&edited).map(Some).map_err(|err| ConfigError {
        problems: vec![Problem::at("", format!("cannot render the config with its secrets: {err}"))],
    })
}

fn restore(edited: &mut Value, shown: Option<&Value>, real: Option<&Value>, path: String, unmatched: &mut Vec<String>) {
    match edited {
        Value::String(text) if text.contains(REDACTED) => match (shown, real) {
            (Some(Value::String(was)), Some(Value::String(secret))) if was == text => *text = secret.clone(),
            _ => unmatched.push(path),
        },
        Value::Mapping(map) => {
            for (key, value) in map.iter_mut() {
                let Some(name) = key.as_str() else { continue };
                let child = if path.is_empty() { name.to_string() } else { format!("{path}.{name}") };
                restore(value, shown.and_then(|s| s.get(name)), real.and_then(|r| r.get(name)), child, unmatched);
            }
        }
        Value::Sequence(items) => {
            for (i, value) in items.iter_mut().enumerate() {
                let child = format!("{path}[{i}]");
                restore(value, shown.and_then(|s| s.get(i)), real.and_then(|r| r.get(i)), child, unmatched);
            }
        }
        Value::Tagged(tagged) => restore(&mut tagged.value, shown, real, path, unmatched),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::config::parse_str;

    const LIVE: &str = "route:\n  receiver: r\n  group_by: [alertname]\nreceivers:\n- name: r\n  pagerduty_configs:\n  - routing_key: pd-secret\n  webhook_configs:\n  - url: https://hooks.example/T0/B0/TOKEN\n";

    #[test]
    fn the_api_form_hides_secrets_and_a_round_trip_keeps_them() {
        let live = parse_str(LIVE, Path::new(".")).expect("loads").config;
        let shown = live.to_api_yaml();
        assert!(!shown.contains("pd-secret") && !shown.contains("TOKEN"), "{shown}");
        assert!(shown.contains("routing_key: <secret>") && shown.contains("url: https://hooks.example/<secret>"));
        let edited = shown.replace("group_by:\n  - alertname", "group_by:\n  - alertname\n  - cluster");
        let restored = restore_secrets(&edited, &live).expect("restored").expect("had placeholders");
        let again = parse_str(&restored, Path::new(".")).expect("loads").config;
        assert_eq!(again.route.group_by, vec!["alertname", "cluster"]);
        let receiver = &again.receivers[0];
        assert_eq!(receiver.pagerduty_configs[0].routing_key.as_ref().map(|s| s.expose()), Some("pd-secret"));
        assert_eq!(
            receiver.webhook_configs[0].url.as_ref().map(|s| s.expose()),
            Some("https://hooks.example/T0/B0/TOKEN")
        );
    }

    #[test]
    fn a_placeholder_without_a_live_secret_is_an_error_and_plain_text_is_kept() {
        let live = parse_str(LIVE, Path::new(".")).expect("loads").config;
        let moved = format!(
            "{}- name: s\n  pagerduty_configs:\n  - routing_key: <secret>\n",
            LIVE.replace("pd-secret", "<secret>")
        );
        let err = restore_secrets(&moved, &live).expect_err("receivers[1] has no live key");
        let places: Vec<(String, Option<usize>)> = err.problems.into_iter().map(|p| (p.path, p.line)).collect();
        assert_eq!(places, vec![("receivers[1].pagerduty_configs[0].routing_key".to_string(), Some(12))]);
        let commented = format!("# ours\n{LIVE}");
        assert_eq!(restore_secrets(&commented, &live).expect("fine"), None, "no placeholder: used as written");
    }
}
