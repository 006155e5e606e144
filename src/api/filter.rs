//! Query parameters shared by the alert listings: `filter`, `receiver`, and the boolean switches.

use regex::Regex;

use super::error::ApiError;
use crate::labels::{LabelSet, MatchType, Matcher, compile_anchored, parse_matcher};

/// The parsed parameters of `GET /api/v2/alerts` and `/api/v2/alerts/groups`.
#[derive(Debug)]
pub(super) struct AlertQuery {
    /// Show alerts that are neither silenced nor inhibited.
    pub active: bool,
    /// Show silenced alerts.
    pub silenced: bool,
    /// Show inhibited alerts.
    pub inhibited: bool,
    /// Label matchers, all of which must hold.
    pub filter: Vec<Matcher>,
    /// Anchored regex over receiver names.
    pub receiver: Option<Regex>,
}

impl AlertQuery {
    /// Parses a raw query string. Boolean switches default to true; a value that is not a "true" word is
    /// false (not an error), as in Alertmanager.
    pub(super) fn parse(query: Option<&str>) -> Result<Self, ApiError> {
        let mut parsed =
            AlertQuery { active: true, silenced: true, inhibited: true, filter: Vec::new(), receiver: None };
        for (name, value) in url::form_urlencoded::parse(query.unwrap_or_default().as_bytes()) {
            match name.as_ref() {
                "active" => parsed.active = truthy(&value),
                "silenced" => parsed.silenced = truthy(&value),
                "inhibited" => parsed.inhibited = truthy(&value),
                // One matcher per `filter` value, as Alertmanager 0.25 parses them.
                "filter" => {
                    let matcher = parse_matcher(&value).map_err(|err| ApiError::bad_request(err.to_string()))?;
                    parsed.filter.push(matcher);
                }
                "receiver" => {
                    let regex = compile_anchored(&value)
                        .map_err(|err| ApiError::bad_request(format!("failed to parse receiver param: {err}")))?;
                    parsed.receiver = Some(regex);
                }
                _ => {}
            }
        }
        Ok(parsed)
    }

    /// The value of an `alertname="..."` equality filter, if there is one (it can be answered from the
    /// alert index).
    pub(super) fn alertname_equals(&self) -> Option<&str> {
        self.filter
            .iter()
            // `alertname=""` also matches alerts without the label, which the index does not hold.
            .find(|matcher| {
                matcher.name() == "alertname" && matcher.kind() == MatchType::Equal && !matcher.value().is_empty()
            })
            .map(Matcher::value)
    }

    /// Whether every `filter` matcher holds (an absent label matches as the empty string).
    pub(super) fn matches_labels(&self, labels: &LabelSet) -> bool {
        self.filter.iter().all(|matcher| matcher.matches(labels))
    }

    /// Whether any of the receivers matches the `receiver` parameter (always, when it is not given).
    pub(super) fn matches_receivers<'a>(&self, mut receivers: impl Iterator<Item = &'a str>) -> bool {
        match &self.receiver {
            None => true,
            Some(regex) => receivers.any(|name| regex.is_match(name)),
        }
    }
}

/// go-openapi's `swag.ConvertBool`.
fn truthy(value: &str) -> bool {
    matches!(
        value.to_ascii_lowercase().as_str(),
        "true" | "1" | "yes" | "ok" | "y" | "on" | "selected" | "checked" | "t" | "enabled"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(pairs: &[(&str, &str)]) -> LabelSet {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn switches_default_to_true_and_odd_values_are_false() {
        let query = AlertQuery::parse(Some("active=maybe&silenced=0&inhibited=YES")).expect("parses");
        assert!(!query.active && !query.silenced && query.inhibited);
        let defaults = AlertQuery::parse(None).expect("parses");
        assert!(defaults.active && defaults.silenced && defaults.inhibited);
    }

    #[test]
    fn filters_and_receivers() {
        let query = AlertQuery::parse(Some("filter=severity%3D%22critical%22&filter=team%3D~a%7Cb&receiver=pager.*"))
            .expect("parses");
        assert!(query.matches_labels(&labels(&[("severity", "critical"), ("team", "a")])));
        assert!(!query.matches_labels(&labels(&[("severity", "critical"), ("team", "c")])));
        assert!(query.matches_receivers(["x", "pager-1"].into_iter()));
        assert!(!query.matches_receivers(["my-pager"].into_iter()), "anchored");
    }

    #[test]
    fn bad_parameters_are_400s_with_alertmanagers_text() {
        let err = AlertQuery::parse(Some("filter=foo")).expect_err("bad matcher");
        assert!(
            matches!(err, ApiError::Handler { ref message, .. } if message == "bad matcher format: foo"),
            "{err:?}"
        );
        let err = AlertQuery::parse(Some("filter=%7Ba%3D%221%22%7D")).expect_err("braces are not a single matcher");
        assert!(matches!(err, ApiError::Handler { .. }), "{err:?}");
        let err = AlertQuery::parse(Some("receiver=(")).expect_err("bad regex");
        assert!(
            matches!(err, ApiError::Handler { ref message, .. } if message.starts_with("failed to parse receiver param: ")),
            "{err:?}"
        );
    }
}
