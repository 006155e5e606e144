//! An aggregation group: the alerts of one route that share the values of the route's `group_by` labels.

use std::collections::HashMap;
use std::fmt::{self, Write as _};
use std::sync::Arc;

use chrono::{DateTime, Utc};

use super::escalation::GroupState;
use crate::alert::Alert;
use crate::labels::{Fingerprint, FingerprintHasher, LabelSet, SharedStr, format_label_set, write_label_pairs};
use crate::routing::RouteId;

/// A group's stable identity: a hash of its route's ident and its group labels. It stays the same across
/// restarts and across reloads that keep the route, so state attached to it (timers, and later
/// acknowledgements and escalation) carries over.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct GroupId(pub u64);

impl GroupId {
    /// The id of the group of `group_labels` under the route with `route_ident`.
    pub fn of(route_ident: &str, group_labels: &LabelSet) -> Self {
        Self::of_pairs(route_ident, group_labels.iter())
    }

    /// [`GroupId::of`] the set of `pairs` (sorted by name), without building it: most alerts join a group
    /// that already exists.
    pub fn of_pairs<'a>(route_ident: &str, pairs: impl Iterator<Item = (&'a SharedStr, &'a SharedStr)>) -> Self {
        // The fingerprint of `{labels="<the group labels, formatted>", route="<ident>"}`, written into the hasher
        // instead of built: ids are stored, so this must never change.
        let mut hash = FingerprintHasher::default();
        hash.pair("labels", |hash| write_label_pairs(hash, pairs));
        hash.pair("route", |hash| {
            let _ = hash.write_str(route_ident);
        });
        GroupId(hash.finish().0)
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
pub(crate) fn group_key(route_key: &str, group_labels: &LabelSet) -> String {
    format!("{route_key}:{}", format_label_set(group_labels))
}

/// Where a group is in its life: the part that is persisted, so that timers resume after a restart.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct GroupTimer {
    /// When the next flush is due.
    pub next_flush: DateTime<Utc>,
    /// Whether the first flush (after `group_wait`) has happened.
    pub has_flushed: bool,
    /// When the group was created.
    pub created_at: DateTime<Utc>,
    /// Escalation and acknowledgement.
    pub state: GroupState,
}

/// One aggregation group.
#[derive(Clone, Debug)]
pub(crate) struct Group {
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
    /// When its escalation state is next due (its entry in the core's escalation schedule).
    pub state_due: Option<DateTime<Utc>>,
}

impl Group {
    /// Alerts sorted as Alertmanager sorts them in notifications: by `job`, then `instance`, then all labels;
    /// alerts without a `job` come after those with one.
    pub(crate) fn sorted_alerts(&self) -> Vec<Arc<Alert>> {
        let mut alerts: Vec<Arc<Alert>> = self.alerts.values().cloned().collect();
        sort_alerts(&mut alerts);
        alerts
    }

    /// Its alerts firing at `now`, sorted as in notifications.
    pub(crate) fn firing_alerts(&self, now: DateTime<Utc>) -> Vec<Arc<Alert>> {
        let mut alerts: Vec<Arc<Alert>> = self.alerts.values().filter(|a| !a.resolved_at(now)).cloned().collect();
        sort_alerts(&mut alerts);
        alerts
    }

    /// Whether any of its alerts fires at `now`.
    pub(crate) fn is_firing(&self, now: DateTime<Utc>) -> bool {
        self.alerts.values().any(|alert| !alert.resolved_at(now))
    }
}

/// Sorts alerts the way Alertmanager's `AlertSlice` does.
pub(crate) fn sort_alerts(alerts: &mut [Arc<Alert>]) {
    // The job and instance of each alert are looked up once, not at every comparison, and their first bytes
    // are kept inline: most comparisons are settled without reaching the strings (a cache miss each).
    let mut keyed: Vec<SortKey<'_>> = alerts
        .iter()
        .map(|alert| {
            let job = alert.labels.get("job").map(|v| v.as_str());
            let instance = alert.labels.get("instance").map(|v| v.as_str());
            (SortPrefix::of(job, instance), job, instance, alert)
        })
        .collect();
    // A set with the label comes before one without it.
    let present_first = |x: Option<&str>, y: Option<&str>| match (x, y) {
        (Some(x), Some(y)) => x.cmp(y),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => std::cmp::Ordering::Equal,
    };
    keyed.sort_by(|(prefix_a, job_a, instance_a, a), (prefix_b, job_b, instance_b, b)| {
        prefix_a
            .job
            .cmp(&prefix_b.job)
            .then_with(|| present_first(*job_a, *job_b))
            .then_with(|| prefix_a.instance.cmp(&prefix_b.instance))
            .then_with(|| present_first(*instance_a, *instance_b))
            .then_with(|| compare_label_sets(&a.labels, &b.labels))
    });
    let sorted: Vec<Arc<Alert>> = keyed.into_iter().map(|(_, _, _, alert)| Arc::clone(alert)).collect();
    for (slot, alert) in alerts.iter_mut().zip(sorted) {
        *slot = alert;
    }
}

/// An alert with what it sorts on: digests, job, instance.
type SortKey<'a> = (SortPrefix, Option<&'a str>, Option<&'a str>, &'a Arc<Alert>);

/// Order-preserving digests of an alert's job and instance: whether each is absent (present sorts first) and
/// its first 16 bytes, zero-padded. Equal digests say nothing; the full value decides then.
#[derive(Clone, Copy)]
struct SortPrefix {
    job: (bool, u128),
    instance: (bool, u128),
}

impl SortPrefix {
    fn of(job: Option<&str>, instance: Option<&str>) -> Self {
        let head = |value: Option<&str>| {
            let mut bytes = [0u8; 16];
            if let Some(value) = value {
                let n = value.len().min(16);
                bytes[..n].copy_from_slice(&value.as_bytes()[..n]);
            }
            u128::from_be_bytes(bytes)
        };
        SortPrefix { job: (job.is_none(), head(job)), instance: (instance.is_none(), head(instance)) }
    }
}

/// Prometheus' `LabelSet.Before`: fewer labels first, then the first differing value in name order (a set
/// lacking a name the other has comes first).
pub(crate) fn compare_label_sets(a: &LabelSet, b: &LabelSet) -> std::cmp::Ordering {
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
    fn group_ids_are_the_fingerprint_of_the_route_and_the_formatted_labels() {
        // Ids are stored: this is how they were first computed, and they must stay the same.
        let built = |ident: &str, group_labels: &LabelSet| {
            let identity = LabelSet::from([
                ("route".to_string(), ident.to_string()),
                ("labels".to_string(), format_label_set(group_labels)),
            ]);
            GroupId(crate::labels::fingerprint(&identity).0)
        };
        let cases = [
            ("{}", LabelSet::new()),
            ("{}", labels(&[("alertname", "A1")])),
            ("{}/{team=\"b\"}", labels(&[("alertname", "A1"), ("cluster", "c1")])),
            ("{}/0", labels(&[("a", "say \"hi\"\n\u{1}é\u{200b}"), ("b", "back\\slash")])),
        ];
        for (ident, group_labels) in &cases {
            assert_eq!(GroupId::of(ident, group_labels), built(ident, group_labels), "{ident} {group_labels:?}");
        }
        assert_eq!(GroupId::of("{}", &labels(&[("alertname", "A1")])).to_string(), "0e75841f15f155cd");
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

    #[test]
    fn the_inline_prefixes_never_change_the_order() {
        let now = Utc::now();
        let values = [
            "",
            "a",
            "ab",
            "ab\u{0}",
            "ab\u{0}x",
            "host-0000001.dc1.example.net:1",
            "host-0000001.dc1.example.net:2",
            "host-0000001.dc1.ex",
            "zz",
        ];
        let mut alerts = Vec::new();
        for job in values {
            for instance in values {
                let mut pairs = vec![("alertname", "A")];
                if !job.is_empty() {
                    pairs.push(("job", job));
                }
                if !instance.is_empty() {
                    pairs.push(("instance", instance));
                }
                alerts.push(Arc::new(Alert::new(labels(&pairs), LabelSet::new(), now, now, now)));
            }
        }
        alerts.reverse();
        let mut expected = alerts.clone();
        // The plain comparison, straight from the definition.
        expected.sort_by(|a, b| {
            let key = |x: &Alert, name: &str| x.labels.get(name).map(|v| v.to_string());
            let present_first = |x: Option<String>, y: Option<String>| match (x, y) {
                (Some(x), Some(y)) => x.cmp(&y),
                (Some(_), None) => std::cmp::Ordering::Less,
                (None, Some(_)) => std::cmp::Ordering::Greater,
                (None, None) => std::cmp::Ordering::Equal,
            };
            present_first(key(a, "job"), key(b, "job"))
                .then_with(|| present_first(key(a, "instance"), key(b, "instance")))
                .then_with(|| compare_label_sets(&a.labels, &b.labels))
        });
        sort_alerts(&mut alerts);
        let names = |list: &[Arc<Alert>]| list.iter().map(|a| format_label_set(&a.labels)).collect::<Vec<_>>();
        assert_eq!(names(&alerts), names(&expected));
    }
}
