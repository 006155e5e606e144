//! `POST /api/v2/alerts` bodies: parse, fill in defaults and validate each alert as Alertmanager does.

use std::borrow::Cow;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer};

use super::{Alert, parse_time};
use crate::labels::{LabelSet, SharedStr, deserialize_interned, deserialize_interned_names, is_valid_label_name};

/// One alert as posted (Alertmanager's `postableAlert`). Strings are borrowed from the body where they
/// can be; label names and values, annotation names and the generator URL are interned, since alerts from
/// one Prometheus repeat them.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct PostableAlert<'a> {
    /// Required; may not be empty after empty values are dropped.
    #[serde(default, deserialize_with = "optional_labels")]
    pub labels: Option<LabelSet>,
    /// Optional annotations.
    #[serde(default, deserialize_with = "optional_annotations")]
    pub annotations: Option<LabelSet>,
    /// When it started; defaults to `endsAt`, else now.
    #[serde(default, borrow)]
    pub starts_at: Option<Cow<'a, str>>,
    /// When it ends; defaults to now + `resolve_timeout`.
    #[serde(default, borrow)]
    pub ends_at: Option<Cow<'a, str>>,
    /// Link to the source.
    #[serde(default, borrow, rename = "generatorURL")]
    pub generator_url: Option<Cow<'a, str>>,
}

fn optional_labels<'de, D: Deserializer<'de>>(d: D) -> Result<Option<LabelSet>, D::Error> {
    Option::<Interned>::deserialize(d).map(|set| set.map(|set| set.0))
}

fn optional_annotations<'de, D: Deserializer<'de>>(d: D) -> Result<Option<LabelSet>, D::Error> {
    Option::<InternedNames>::deserialize(d).map(|set| set.map(|set| set.0))
}

#[derive(Deserialize)]
struct Interned(#[serde(deserialize_with = "deserialize_interned")] LabelSet);

#[derive(Deserialize)]
struct InternedNames(#[serde(deserialize_with = "deserialize_interned_names")] LabelSet);

/// Bounds on what one request may carry; an alert beyond them is refused with the others' reasons, a body
/// with too many alerts as a whole.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct IngestLimits {
    /// Most alerts in one request.
    pub(crate) max_alerts: usize,
    /// Most labels, and most annotations, on one alert.
    pub(crate) max_labels: usize,
    /// Longest label or annotation name, in bytes.
    pub(crate) max_name_bytes: usize,
    /// Longest label or annotation value, in bytes.
    pub(crate) max_value_bytes: usize,
}

impl Default for IngestLimits {
    /// Generous: far above what Prometheus sends (64 alerts a request; a few dozen labels).
    fn default() -> Self {
        IngestLimits { max_alerts: 10_000, max_labels: 256, max_name_bytes: 1024, max_value_bytes: 64 * 1024 }
    }
}

impl IngestLimits {
    /// Why a label set breaks a limit, if it does (`what` names it: labels, annotations).
    fn check(&self, what: &str, set: &LabelSet) -> Result<(), String> {
        if set.len() > self.max_labels {
            return Err(format!("{} {what}, more than the limit of {}", set.len(), self.max_labels));
        }
        for (name, value) in set.iter() {
            if name.len() > self.max_name_bytes {
                return Err(format!(
                    "a name in {what} is {} bytes, more than the limit of {}",
                    name.len(),
                    self.max_name_bytes
                ));
            }
            if value.len() > self.max_value_bytes {
                return Err(format!(
                    "the value of {what} {name:?} is {} bytes, more than the limit of {}",
                    value.len(),
                    self.max_value_bytes
                ));
            }
        }
        Ok(())
    }
}

/// Why a whole body was refused (nothing in it is stored).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum IngestError {
    /// Not a JSON array of alert objects, or a timestamp that does not parse. Alertmanager: 400.
    #[error("parsing alerts body from \"\" failed, because {0}")]
    Malformed(String),
    /// An alert without `labels`. Alertmanager: 422 with code 602.
    #[error("{0}.labels in body is required")]
    MissingLabels(usize),
    /// More alerts than one request may carry.
    #[error("the body holds {count} alerts, more than the limit of {limit} a request")]
    TooMany {
        /// Alerts in the body.
        count: usize,
        /// The limit.
        limit: usize,
    },
}

/// Parses a body and turns each valid alert into an [`Alert`] received at `now`. Invalid alerts are left
/// out and described (with their index) in the second list; the valid ones are still to be stored.
pub(crate) fn accept(
    body: &[u8],
    now: DateTime<Utc>,
    resolve_timeout: Duration,
    limits: &IngestLimits,
) -> Result<(Vec<Alert>, Vec<String>), IngestError> {
    let posted: Vec<PostableAlert<'_>> =
        serde_json::from_slice(body).map_err(|err| IngestError::Malformed(err.to_string()))?;
    if posted.len() > limits.max_alerts {
        return Err(IngestError::TooMany { count: posted.len(), limit: limits.max_alerts });
    }
    let mut parsed = Vec::with_capacity(posted.len());
    for (i, alert) in posted.into_iter().enumerate() {
        let labels = alert.labels.ok_or(IngestError::MissingLabels(i))?;
        let time = |field: &str, text: &Option<Cow<'_, str>>| match text {
            None => Ok(None),
            Some(text) => parse_time(text).map_err(|err| IngestError::Malformed(format!("{i}.{field}: {err}"))),
        };
        let starts_at = time("startsAt", &alert.starts_at)?;
        let ends_at = time("endsAt", &alert.ends_at)?;
        let annotations = alert.annotations.unwrap_or_default();
        parsed.push((labels, annotations, starts_at, ends_at, alert.generator_url));
    }

    let resolve_timeout = chrono::Duration::from_std(resolve_timeout).unwrap_or(chrono::Duration::MAX);
    let mut alerts = Vec::with_capacity(parsed.len());
    let mut errors = Vec::new();
    for (i, (labels, annotations, starts_at, ends_at, generator_url)) in parsed.into_iter().enumerate() {
        let mut labels = labels;
        labels.retain(|_, value| !value.is_empty());
        let starts_at = starts_at.or(ends_at).unwrap_or(now);
        let (ends_at, timeout) = match ends_at {
            Some(ends_at) => (ends_at, false),
            None => (now.checked_add_signed(resolve_timeout).unwrap_or(DateTime::<Utc>::MAX_UTC), true),
        };
        let checked = validate(&labels, &annotations, starts_at, ends_at)
            .and_then(|()| limits.check("labels", &labels))
            .and_then(|()| limits.check("annotations", &annotations));
        if let Err(message) = checked {
            errors.push(format!("alerts[{i}]: {message}"));
            continue;
        }
        let mut alert = Alert::new(labels, annotations, starts_at, ends_at, now);
        alert.generator_url = generator_url.map(|url| SharedStr::interned(&url)).unwrap_or_default();
        alert.timeout = timeout;
        alerts.push(alert);
    }
    Ok((alerts, errors))
}

/// Alertmanager's `Alert.Validate`, in its order and words.
fn validate(
    labels: &LabelSet,
    annotations: &LabelSet,
    starts_at: DateTime<Utc>,
    ends_at: DateTime<Utc>,
) -> Result<(), String> {
    if ends_at < starts_at {
        return Err("start time must be before end time".into());
    }
    if let Some(name) = labels.keys().find(|name| !is_valid_label_name(name)) {
        return Err(format!("invalid label set: invalid name {name:?}"));
    }
    if labels.is_empty() {
        return Err("at least one label pair required".into());
    }
    if let Some(name) = annotations.keys().find(|name| !is_valid_label_name(name)) {
        return Err(format!("invalid annotations: invalid name {name:?}"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const RESOLVE_TIMEOUT: Duration = Duration::from_secs(300);

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-11-25T12:00:00Z").expect("valid").with_timezone(&Utc)
    }

    fn accept_json(json: &str) -> Result<(Vec<Alert>, Vec<String>), IngestError> {
        accept(json.as_bytes(), now(), RESOLVE_TIMEOUT, &IngestLimits::default())
    }

    #[test]
    fn missing_times_get_alertmanagers_defaults() {
        let (alerts, errors) = accept_json(r#"[{"labels":{"alertname":"A","empty":""}}]"#).expect("valid body");
        assert!(errors.is_empty());
        let alert = &alerts[0];
        assert_eq!(alert.labels.len(), 1, "empty-valued labels are dropped");
        assert_eq!(alert.starts_at, now());
        assert_eq!(alert.ends_at, now() + chrono::Duration::seconds(300));
        assert!(alert.timeout);
        assert_eq!(alert.fingerprint.to_string(), crate::labels::fingerprint(&alert.labels).to_string());
    }

    #[test]
    fn repeated_label_values_and_urls_are_shared_and_annotation_values_are_not() {
        let body = r#"[
            {"labels":{"alertname":"Shared","instance":"a"},"annotations":{"summary":"same"},"generatorURL":"http://p"},
            {"labels":{"alertname":"Shared","instance":"b"},"annotations":{"summary":"same"},"generatorURL":"http://p"}
        ]"#;
        let (alerts, _) = accept_json(body).expect("valid body");
        let same = |a: &str, b: &str| std::ptr::eq(a.as_ptr(), b.as_ptr());
        assert!(same(&alerts[0].labels["alertname"], &alerts[1].labels["alertname"]));
        assert!(same(&alerts[0].generator_url, &alerts[1].generator_url));
        assert!(same(
            alerts[0].annotations.keys().next().expect("one"),
            alerts[1].annotations.keys().next().expect("one")
        ));
        assert!(!same(&alerts[0].annotations["summary"], &alerts[1].annotations["summary"]));
    }

    #[test]
    fn a_start_defaults_to_the_given_end() {
        let (alerts, _) = accept_json(r#"[{"labels":{"a":"b"},"endsAt":"2026-11-25T11:00:00Z"}]"#).expect("valid body");
        assert_eq!(alerts[0].starts_at, alerts[0].ends_at);
        assert!(!alerts[0].timeout);
        assert!(alerts[0].resolved_at(now()));
    }

    #[test]
    fn invalid_alerts_are_reported_by_index_and_valid_ones_kept() {
        let body = r#"[
            {"labels":{"alertname":"ok"}},
            {"labels":{}},
            {"labels":{"0bad":"x"}},
            {"labels":{"a":"b"},"startsAt":"2026-11-25T12:00:00Z","endsAt":"2026-11-25T11:00:00Z"},
            {"labels":{"a":"b"},"annotations":{"bad-name":"x"}}
        ]"#;
        let (alerts, errors) = accept_json(body).expect("the body parses");
        assert_eq!(alerts.len(), 1);
        assert_eq!(
            errors,
            vec![
                "alerts[1]: at least one label pair required",
                "alerts[2]: invalid label set: invalid name \"0bad\"",
                "alerts[3]: start time must be before end time",
                "alerts[4]: invalid annotations: invalid name \"bad-name\"",
            ]
        );
    }

    #[test]
    fn malformed_bodies_are_refused_whole() {
        assert!(matches!(accept_json("{"), Err(IngestError::Malformed(_))));
        assert!(matches!(accept_json(r#"{"labels":{}}"#), Err(IngestError::Malformed(_))));
        assert!(matches!(accept_json(r#"[{"labels":{"a":1}}]"#), Err(IngestError::Malformed(_))));
        assert_eq!(accept_json(r#"[{"labels":{"a":"b"}},{"annotations":{}}]"#), Err(IngestError::MissingLabels(1)));
        let bad_time = accept_json(r#"[{"labels":{"a":"b"},"startsAt":"noon"}]"#).expect_err("bad time");
        assert!(bad_time.to_string().contains("0.startsAt: parsing time \"noon\""), "{bad_time}");
        assert_eq!(accept_json("[]"), Ok((vec![], vec![])));
    }
}
