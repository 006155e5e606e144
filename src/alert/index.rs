//! The working set of alerts in memory, by fingerprint. The store holds the durable copy.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use chrono::{DateTime, Utc};

use super::Alert;
use crate::labels::Fingerprint;

/// All alerts Herald knows, resolved ones included until they are collected.
#[derive(Default)]
pub struct AlertIndex {
    alerts: RwLock<HashMap<Fingerprint, Arc<Alert>>>,
}

impl AlertIndex {
    /// An index holding `alerts` (as loaded at start-up).
    pub fn with_alerts(alerts: impl IntoIterator<Item = Alert>) -> Self {
        let map = alerts.into_iter().map(|a| (a.fingerprint, Arc::new(a))).collect();
        AlertIndex { alerts: RwLock::new(map) }
    }

    /// Merges received alerts into the index and returns the stored versions. `while_locked` runs before the
    /// lock is released, so that whatever it queues (the store write) is ordered like the merges.
    pub fn merge<R>(
        &self,
        received: Vec<Alert>,
        now: DateTime<Utc>,
        while_locked: impl FnOnce(&[Arc<Alert>]) -> R,
    ) -> (Vec<Arc<Alert>>, R) {
        let mut alerts = self.alerts.write().expect("alert index lock is never poisoned");
        let mut stored = Vec::with_capacity(received.len());
        for alert in received {
            let merged = match alerts.get(&alert.fingerprint) {
                Some(old) => Alert::merge_into(old, alert, now),
                None => alert,
            };
            let merged = Arc::new(merged);
            alerts.insert(merged.fingerprint, Arc::clone(&merged));
            stored.push(merged);
        }
        let result = while_locked(&stored);
        (stored, result)
    }

    /// Every alert.
    pub fn all(&self) -> Vec<Arc<Alert>> {
        self.alerts.read().expect("alert index lock is never poisoned").values().cloned().collect()
    }

    /// How many alerts there are.
    pub fn len(&self) -> usize {
        self.alerts.read().expect("alert index lock is never poisoned").len()
    }

    /// Whether the index is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Removes alerts resolved at `now` and returns their fingerprints.
    pub fn collect_resolved(&self, now: DateTime<Utc>) -> Vec<Fingerprint> {
        let mut alerts = self.alerts.write().expect("alert index lock is never poisoned");
        let resolved: Vec<Fingerprint> =
            alerts.values().filter(|alert| alert.resolved_at(now)).map(|alert| alert.fingerprint).collect();
        for fingerprint in &resolved {
            alerts.remove(fingerprint);
        }
        resolved
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::labels::LabelSet;

    #[test]
    fn merging_keeps_one_version_per_fingerprint_and_collection_drops_resolved_ones() {
        let index = AlertIndex::default();
        let now = Utc::now();
        let hour = chrono::Duration::hours(1);
        let alert = |name: &str, ends| {
            Alert::new(LabelSet::from([("a".into(), name.into())]), LabelSet::new(), now - hour, ends, now)
        };
        let (stored, count) = index.merge(vec![alert("x", now + hour), alert("y", now - hour)], now, <[_]>::len);
        assert_eq!((stored.len(), count), (2, 2));
        index.merge(vec![alert("x", now + hour + hour)], now, |_| ());
        assert_eq!(index.len(), 2);
        assert_eq!(index.collect_resolved(now).len(), 1);
        assert_eq!(index.all()[0].labels["a"], "x");
    }
}
