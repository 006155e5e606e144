//! The data a notification is made from: Alertmanager's template data (`.Receiver`, `.Status`, `.Alerts`,
//! `.GroupLabels`, `.CommonLabels`, `.CommonAnnotations`, `.ExternalURL`).

use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::alert::Alert;
use crate::dispatch::EscalationStep;
use crate::labels::LabelSet;

/// One alert as notified.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct AlertData {
    /// `firing` or `resolved`, at the flush time.
    pub status: &'static str,
    /// Labels.
    pub labels: LabelSet,
    /// Annotations.
    pub annotations: LabelSet,
    /// Start.
    pub starts_at: DateTime<Utc>,
    /// End; `None` while firing (Alertmanager sends Go's zero time).
    pub ends_at: Option<DateTime<Utc>>,
    /// Link to the source.
    pub generator_url: String,
    /// Fingerprint, 16 hex digits.
    pub fingerprint: String,
}

/// The data of one notification.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct NotificationData {
    /// Receiver name, regex-escaped as Alertmanager does.
    pub receiver: String,
    /// `resolved` when every alert is resolved, else `firing`.
    pub status: &'static str,
    /// The alerts, in notification order.
    pub alerts: Vec<AlertData>,
    /// The group's labels.
    pub group_labels: LabelSet,
    /// Labels every alert has with the same value.
    pub common_labels: LabelSet,
    /// Annotations every alert has with the same value.
    pub common_annotations: LabelSet,
    /// Herald's external URL.
    pub external_url: String,
    /// Set on an escalation level's notification: which level, and since when the group fires.
    pub escalation: Option<EscalationStep>,
    /// When the notification is made (templates' `since`).
    pub now: DateTime<Utc>,
}

impl NotificationData {
    /// Builds the data for `alerts` (already sorted) as seen at `now`.
    pub(crate) fn new(
        receiver: &str,
        group_labels: &LabelSet,
        alerts: &[Arc<Alert>],
        external_url: &str,
        now: DateTime<Utc>,
    ) -> Self {
        let alerts: Vec<AlertData> = alerts
            .iter()
            .map(|alert| {
                let resolved = alert.resolved_at(now);
                AlertData {
                    status: if resolved { "resolved" } else { "firing" },
                    labels: alert.labels.clone(),
                    annotations: alert.annotations.clone(),
                    starts_at: alert.starts_at,
                    ends_at: resolved.then_some(alert.ends_at),
                    generator_url: alert.generator_url.to_string(),
                    fingerprint: alert.fingerprint.to_string(),
                }
            })
            .collect();
        NotificationData {
            receiver: quote_meta(receiver),
            status: status_of(&alerts),
            common_labels: common(alerts.iter().map(|a| &a.labels)),
            common_annotations: common(alerts.iter().map(|a| &a.annotations)),
            alerts,
            group_labels: group_labels.clone(),
            external_url: external_url.to_string(),
            escalation: None,
            now,
        }
    }

    /// The data of the first `max` alerts only, status and common labels and annotations recomputed from
    /// them, as Alertmanager builds a webhook's data after `max_alerts`; `None` when nothing is cut.
    pub(crate) fn truncated(&self, max: usize) -> Option<NotificationData> {
        if self.alerts.len() <= max {
            return None;
        }
        let alerts = self.alerts[..max].to_vec();
        Some(NotificationData {
            status: status_of(&alerts),
            common_labels: common(alerts.iter().map(|a| &a.labels)),
            common_annotations: common(alerts.iter().map(|a| &a.annotations)),
            alerts,
            ..self.clone()
        })
    }
}

/// `resolved` when every alert is (and there is one), else `firing`.
fn status_of(alerts: &[AlertData]) -> &'static str {
    if !alerts.is_empty() && alerts.iter().all(|a| a.status == "resolved") { "resolved" } else { "firing" }
}

/// The pairs present with the same value in every set.
fn common<'a>(mut sets: impl Iterator<Item = &'a LabelSet>) -> LabelSet {
    let Some(first) = sets.next() else { return LabelSet::new() };
    let mut common = first.clone();
    for set in sets {
        common.retain(|name, value| set.get(name) == Some(value));
    }
    common
}

/// Go's `regexp.QuoteMeta`.
pub(crate) fn quote_meta(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if "\\.+*?()|[]{}^$".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(pairs: &[(&str, &str)]) -> LabelSet {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn status_common_labels_and_escaping() {
        let now = Utc::now();
        let hour = chrono::Duration::hours(1);
        let firing = Arc::new(Alert::new(
            labels(&[("a", "1"), ("b", "x")]),
            labels(&[("s", "same")]),
            now - hour,
            now + hour,
            now,
        ));
        let resolved =
            Arc::new(Alert::new(labels(&[("a", "1"), ("b", "y")]), labels(&[("s", "same")]), now - hour, now, now));
        let data =
            NotificationData::new("team.a", &labels(&[("a", "1")]), &[firing, resolved.clone()], "http://h", now);
        assert_eq!(data.receiver, "team\\.a");
        assert_eq!(data.status, "firing");
        assert_eq!(data.common_labels, labels(&[("a", "1")]));
        assert_eq!(data.common_annotations, labels(&[("s", "same")]));
        assert_eq!(data.alerts[0].ends_at, None);
        assert_eq!(data.alerts[1].ends_at, Some(now));
        let done = NotificationData::new("r", &LabelSet::new(), &[resolved], "http://h", now);
        assert_eq!(done.status, "resolved");
    }
}
