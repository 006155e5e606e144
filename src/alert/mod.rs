//! Alerts: the model, how a posted alert becomes one, and how two versions of the same alert merge.

mod index;
mod ingest;
mod time;

use chrono::{DateTime, Utc};

pub(crate) use index::{AlertIndex, REPLICA_TAGS};
pub(crate) use ingest::{IngestError, IngestLimits, accept};
pub(crate) use time::{ApiTime, format_api_time, format_go_time, parse_time};

use crate::labels::{Fingerprint, LabelSet, SharedStr, fingerprint};

/// One alert, identified by the fingerprint of its labels. Shared between the alert store and the
/// aggregation groups as `Arc<Alert>`; a new version replaces the old one, it is never mutated in place.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Alert {
    /// Identity: the fingerprint of `labels`.
    pub fingerprint: Fingerprint,
    /// Labels; never empty, no empty values.
    pub labels: LabelSet,
    /// Annotations.
    pub annotations: LabelSet,
    /// When the alert started firing.
    pub starts_at: DateTime<Utc>,
    /// When it resolves (or resolved); always set.
    pub ends_at: DateTime<Utc>,
    /// When Herald last received it.
    pub updated_at: DateTime<Utc>,
    /// Link to what generated it.
    pub generator_url: SharedStr,
    /// `ends_at` was not sent but derived from `resolve_timeout`.
    pub timeout: bool,
    /// Which stored row holds this version: assigned when the version is stored, increasing with every store,
    /// never reused; 0 before then.
    pub version: u64,
    /// The correlation id of the request that brought this version (`X-Correlation-ID`); empty if none.
    pub correlation_id: SharedStr,
    /// The trace context of the request that brought this version, `<trace id>-<span id>` (a lone trace id
    /// in rows stored before spans were kept); empty if none.
    pub trace_context: SharedStr,
}

impl Alert {
    /// Builds an alert; the fingerprint is computed from the labels.
    pub(crate) fn new(
        labels: LabelSet,
        annotations: LabelSet,
        starts_at: DateTime<Utc>,
        ends_at: DateTime<Utc>,
        updated_at: DateTime<Utc>,
    ) -> Self {
        Alert {
            fingerprint: fingerprint(&labels),
            labels,
            annotations,
            starts_at,
            ends_at,
            updated_at,
            generator_url: SharedStr::default(),
            timeout: false,
            version: 0,
            correlation_id: SharedStr::default(),
            trace_context: SharedStr::default(),
        }
    }

    /// Whether the alert is resolved at `now` (its end time has come).
    pub(crate) fn resolved_at(&self, now: DateTime<Utc>) -> bool {
        self.ends_at <= now
    }

    /// Merges a newer post of the same alert into the stored one, as Alertmanager's store does: the two are
    /// merged only if their activity ranges overlap, otherwise the new one replaces the old.
    pub(crate) fn merge_into(old: &Alert, new: Alert, now: DateTime<Utc>) -> Alert {
        let overlaps = (new.ends_at > old.starts_at && new.ends_at < old.ends_at)
            || (new.starts_at > old.starts_at && new.starts_at < old.ends_at);
        if !overlaps {
            return new;
        }
        Self::merge(old, new, now)
    }

    /// Alertmanager's `Alert.Merge`: the more recently updated version wins, with the earliest start, and the
    /// end time chosen so that an explicit end is not replaced by a derived one. The new version is changed in
    /// place when it wins (it always does when just received), not copied.
    fn merge(old: &Alert, new: Alert, now: DateTime<Utc>) -> Alert {
        if new.updated_at < old.updated_at { Self::merged(&new, old.clone(), now) } else { Self::merged(old, new, now) }
    }

    fn merged(older: &Alert, mut newer: Alert, now: DateTime<Utc>) -> Alert {
        if older.starts_at < newer.starts_at {
            newer.starts_at = older.starts_at;
        }
        if newer.resolved_at(now) {
            if older.resolved_at(now) && older.ends_at > newer.ends_at {
                newer.ends_at = older.ends_at;
            }
        } else if older.ends_at > newer.ends_at && !older.timeout {
            newer.ends_at = older.ends_at;
        }
        newer
    }
}

#[cfg(test)]
mod tests {
    use chrono::Duration;

    use super::*;

    fn at(seconds: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_700_000_000 + seconds, 0).expect("valid timestamp")
    }

    fn alert(starts: i64, ends: i64, updated: i64) -> Alert {
        let labels = LabelSet::from([("alertname".to_string(), "A".to_string())]);
        Alert::new(labels, LabelSet::new(), at(starts), at(ends), at(updated))
    }

    #[test]
    fn an_overlapping_repost_keeps_the_earliest_start() {
        let old = alert(0, 300, 0);
        let new = alert(60, 360, 60);
        let merged = Alert::merge_into(&old, new, at(60));
        assert_eq!((merged.starts_at, merged.ends_at, merged.updated_at), (at(0), at(360), at(60)));
    }

    #[test]
    fn an_older_copy_arriving_late_loses_to_the_stored_version_but_lends_its_earlier_start() {
        let mut old = alert(10, 600, 100);
        old.annotations = LabelSet::from([("summary", "stored")]);
        let mut late = alert(0, 300, 50);
        late.annotations = LabelSet::from([("summary", "late")]);
        let merged = Alert::merge_into(&old, late, at(60));
        assert_eq!((merged.starts_at, merged.ends_at, merged.updated_at), (at(0), at(600), at(100)));
        assert_eq!(merged.annotations, old.annotations);
    }

    #[test]
    fn a_later_explicit_end_is_not_replaced_by_a_shorter_one() {
        let old = alert(0, 600, 0);
        let new = alert(0, 300, 60);
        let merged = Alert::merge_into(&old, new, at(60));
        assert_eq!(merged.ends_at, at(600));
    }

    #[test]
    fn a_derived_end_gives_way_to_the_newer_post() {
        let mut old = alert(0, 600, 0);
        old.timeout = true;
        let merged = Alert::merge_into(&old, alert(0, 300, 60), at(60));
        assert_eq!(merged.ends_at, at(300));
    }

    #[test]
    fn resolving_an_alert_takes_the_new_end_time() {
        let old = alert(0, 600, 0);
        let merged = Alert::merge_into(&old, alert(0, 100, 100), at(100));
        assert!(merged.resolved_at(at(100)));
        assert_eq!(merged.ends_at, at(100));
    }

    #[test]
    fn a_refire_after_resolution_replaces_the_old_alert() {
        let old = alert(0, 100, 100);
        let refire = alert(500, 800, 500);
        let merged = Alert::merge_into(&old, refire.clone(), at(500));
        assert_eq!(merged, refire);
        assert!(!merged.resolved_at(at(500) + Duration::seconds(1)));
    }
}
