//! An aggregation group: the alerts of one route that share the values of the route's `group_by` labels.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::alert::Alert;
use crate::labels::{Fingerprint, LabelSet, fingerprint, format_label_set};
use crate::routing::RouteId;

/// A group's stable identity: a hash of its route's ident and its group labels. It stays the same across
/// restarts and across reloads that keep the route, so state attached to it (timers, and later
/// acknowledgements and escalation) carries over.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct GroupId(pub u64);

impl GroupId {
    /// The id of the group of `group_labels` under the route with `route_ident`.
    pub fn of(route_ident: &str, group_labels: &LabelSet) -> Self {
        let identity = LabelSet::from([
            ("route".to_string(), route_ident.to_string()),
            ("labels".to_string(), format_label_set(group_labels)),
        ]);
        GroupId(fingerprint(&identity).0)
    }

    /// Parses the 16-hex-digit form.
    pub fn parse(text: &str) -> Option<Self> {
        (text.len() == 16).then(|| u64::from_str_radix(text, 16).ok()).flatten().map(GroupId)
    }
}

impl fmt::Display for GroupId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:016x}", self.0)
    }
}

/// Alertmanager's group key, `<route key>:<group labels>`, e.g. `{}/{team="b"}:{alertname="A1"}`.
/// Webhooks carry it, and PagerDuty and Opsgenie dedup on a hash of it.
pub fn group_key(route_key: &str, group_labels: &LabelSet) -> String {
    format!("{route_key}:{}", format_label_set(group_labels))
}

/// Where a group is in its life: the part that is persisted, so that timers resume after a restart.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GroupTimer {
    /// When the next flush is due.
    pub next_flush: DateTime<Utc>,
    /// Whether the first flush (after `group_wait`) has happened.
    pub has_flushed: bool,
    /// When the group was created.
    pub created_at: DateTime<Utc>,
}

/// One aggregation group.
#[derive(Clone, Debug)]
pub struct Group {
    /// Stable id.
    pub id: GroupId,
    /// The route in the current tree.
    pub route: RouteId,
    /// Alertmanager's group key.
    pub key: String,
    /// The values of the route's `group_by` labels.
    pub labels: LabelSet,
    /// The receiver, resolved from the route.
    pub receiver: String,
    /// Latest version of each alert in the group.
    pub alerts: HashMap<Fingerprint, Arc<Alert>>,
    /// Timer state.
    pub timer: GroupTimer,
    /// A flush is being delivered.
    pub in_flight: bool,
    /// A flush came due while one was in flight; it runs as soon as that one ends.
    pub flush_pending: bool,
}

impl Group {
    /// Alerts sorted as Alertmanager sorts them in notifications: by `job`, then `instance`, then all labels;
    /// alerts without a `job` come after those with one.
    pub fn sorted_alerts(&self) -> Vec<Arc<Alert>> {
        let mut alerts: Vec<Arc<Alert>> = self.alerts.values().cloned().collect();
        sort_alerts(&mut alerts);
        alerts
    }
}

/// Sorts alerts the way Alertmanager's `AlertSlice` does.
pub fn sort_alerts(alerts: &mut [Arc<Alert>]) {
    // The job and instance of each alert are looked up once, not at every comparison.
    let mut keyed: Vec<(Option<&str>, Option<&str>, &Arc<Alert>)> = alerts
        .iter()
        .map(|alert| {
            (alert.labels.get("job").map(|v| v.as_str()), alert.labels.get("instance").map(|v| v.as_str()), alert)
        })
        .collect();
    keyed.sort_by(|a, b| {
        // A set with the label comes before one without it.
        let present_first = |x: Option<&str>, y: Option<&str>| match (x, y) {
            (Some(x), Some(y)) => x.cmp(y),
            (Some(_), None) => std::cmp::Ordering::Less,
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (None, None) => std::cmp::Ordering::Equal,
        };
        present_first(a.0, b.0)
            .then_with(|| present_first(a.1, b.1))
            .then_with(|| compare_label_sets(&a.2.labels, &b.2.labels))
    });
    let sorted: Vec<Arc<Alert>> = keyed.into_iter().map(|(_, _, alert)| Arc::clone(alert)).collect();
    for (slot, alert) in alerts.iter_mut().zip(sorted) {
        *slot = alert;
    }
}

/// Prometheus' `LabelSet.Before`: fewer labels first, then the first differing value in name order (a set
/// lacking a name the other has comes first).
pub fn compare_label_sets(a: &LabelSet, b: &LabelSet) -> std::cmp::Ordering {
    use std::cmp::Ordering;
    if a.len() != b.len() {
        return a.len().cmp(&b.len());
    }
    // Walk both sorted maps together: at the first differing name, the set that has the smaller name lacks
    // the other's, and a set lacking a name comes first.
    for ((name_a, value_a), (name_b, value_b)) in a.iter().zip(b.iter()) {
        match name_a.cmp(name_b) {
            Ordering::Less => return Ordering::Greater,
            Ordering::Greater => return Ordering::Less,
            Ordering::Equal if value_a != value_b => return value_a.cmp(value_b),
            Ordering::Equal => {}
        }
    }
    Ordering::Equal
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(pairs: &[(&str, &str)]) -> LabelSet {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn group_keys_look_like_alertmanagers() {
        assert_eq!(group_key("{}/{team=\"b\"}", &labels(&[("alertname", "A1")])), "{}/{team=\"b\"}:{alertname=\"A1\"}");
        assert_eq!(group_key("{}", &LabelSet::new()), "{}:{}");
    }

    #[test]
    fn group_ids_are_stable_and_distinct() {
        let a = GroupId::of("{}", &labels(&[("alertname", "A")]));
        assert_eq!(a, GroupId::of("{}", &labels(&[("alertname", "A")])));
        assert_ne!(a, GroupId::of("{}#1", &labels(&[("alertname", "A")])));
        assert_ne!(a, GroupId::of("{}", &labels(&[("alertname", "B")])));
        assert_eq!(GroupId::parse(&a.to_string()), Some(a));
    }

    #[test]
    fn alerts_sort_by_job_then_instance_then_labels() {
        let now = Utc::now();
        let alert = |pairs: &[(&str, &str)]| Arc::new(Alert::new(labels(pairs), LabelSet::new(), now, now, now));
        let mut alerts = vec![
            alert(&[("alertname", "z")]),
            alert(&[("alertname", "b"), ("x", "1")]),
            alert(&[("job", "b"), ("instance", "1")]),
            alert(&[("job", "a"), ("instance", "2")]),
            alert(&[("job", "a"), ("instance", "1")]),
            alert(&[("alertname", "a")]),
            alert(&[("job", "a")]),
        ];
        sort_alerts(&mut alerts);
        let order: Vec<String> = alerts.iter().map(|a| format_label_set(&a.labels)).collect();
        assert_eq!(
            order,
            vec![
                r#"{instance="1", job="a"}"#,
                r#"{instance="2", job="a"}"#,
                r#"{job="a"}"#,
                r#"{instance="1", job="b"}"#,
                r#"{alertname="a"}"#,
                r#"{alertname="z"}"#,
                r#"{alertname="b", x="1"}"#,
            ]
        );
    }
}
