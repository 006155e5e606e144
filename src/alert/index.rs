//! The working set of alerts in memory, by fingerprint. The store holds the durable copy.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

use chrono::{DateTime, Utc};

use super::Alert;
use crate::labels::{Fingerprint, SharedStr};

/// The versions a merge stored, and what they replaced (to roll back if the commit fails).
#[derive(Debug, Default)]
pub(crate) struct Merged {
    /// The stored versions, in the order received.
    pub stored: Vec<Arc<Alert>>,
    /// What each replaced.
    pub previous: Vec<Option<Arc<Alert>>>,
}

/// All alerts Herald knows, resolved ones included until they are collected.
#[derive(Default)]
pub(crate) struct AlertIndex {
    alerts: RwLock<Alerts>,
    /// The last version handed out (see [`Alert::version`]).
    last_version: AtomicU64,
    /// Set on one replica of several: the low bits of every version it hands out (see [`AlertIndex::set_replica`]).
    replica_tag: std::sync::OnceLock<u64>,
}

/// Bits of a replica's version that tell the replicas apart.
const TAG_BITS: u32 = 12;
/// How many replicas' versions can be told apart: live replicas' start numbers differ modulo this.
pub(crate) const REPLICA_TAGS: u64 = 1 << TAG_BITS;
/// Bits of a replica's version below the millisecond: versions made in one millisecond, in order (more borrow
/// the next milliseconds).
const COUNTER_BITS: u32 = 9;

/// The alerts by fingerprint, and the fingerprints by `alertname` (the label listings are most often
/// filtered on; the other labels are scanned).
#[derive(Default)]
struct Alerts {
    by_fingerprint: HashMap<Fingerprint, Arc<Alert>>,
    by_alertname: HashMap<SharedStr, HashSet<Fingerprint>>,
    /// Versions whose commit failed, with the version each had replaced, kept for a while: a later merge
    /// may have been made on top of one (in the same failed commit, or queued behind it), and its roll-back
    /// must go back past it to what was stored. Taken at the time of the roll-back, for pruning.
    undone: HashMap<u64, (Option<Arc<Alert>>, std::time::Instant)>,
}

/// How long a failed version is remembered for the roll-backs of merges made on top of it: longer than any
/// commit can wait (its deadline is 8 s).
const UNDONE_MEMORY: std::time::Duration = std::time::Duration::from_secs(60);

impl Alerts {
    fn insert(&mut self, alert: Arc<Alert>) -> Option<Arc<Alert>> {
        let fingerprint = alert.fingerprint;
        let alertname = alert.labels.get("alertname").cloned();
        let previous = self.by_fingerprint.insert(fingerprint, alert);
        // Labels determine the fingerprint, so a new version never changes the alertname.
        if previous.is_none()
            && let Some(name) = alertname
        {
            self.by_alertname.entry(name).or_default().insert(fingerprint);
        }
        previous
    }

    fn remove(&mut self, fingerprint: Fingerprint) -> Option<Arc<Alert>> {
        let removed = self.by_fingerprint.remove(&fingerprint)?;
        if let Some(name) = removed.labels.get("alertname")
            && let Some(set) = self.by_alertname.get_mut(name.as_str())
        {
            set.remove(&fingerprint);
            if set.is_empty() {
                self.by_alertname.remove(name.as_str());
            }
        }
        Some(removed)
    }
}

impl AlertIndex {
    /// An index holding `alerts` (as loaded at start-up, with their stored versions). `last_version` is the
    /// highest version ever stored, so that new versions never reuse one. Of two versions of one alert the
    /// higher wins; the others are returned, for the store to delete. (Two exist only if a resolved version
    /// was collected from memory before it was notified and the alert fired again.)
    pub(crate) fn with_alerts(alerts: Vec<Arc<Alert>>, last_version: u64) -> (Self, Vec<u64>) {
        let mut map = Alerts { by_fingerprint: HashMap::with_capacity(alerts.len()), ..Alerts::default() };
        let mut stale = Vec::new();
        let mut last_version = last_version;
        for alert in alerts {
            last_version = last_version.max(alert.version);
            match map.by_fingerprint.get(&alert.fingerprint) {
                Some(known) if known.version > alert.version => stale.push(alert.version),
                _ => {
                    if let Some(older) = map.insert(alert) {
                        stale.push(older.version);
                    }
                }
            }
        }
        let index = AlertIndex {
            alerts: RwLock::new(map),
            last_version: AtomicU64::new(last_version),
            replica_tag: std::sync::OnceLock::new(),
        };
        (index, stale)
    }

    /// Makes the versions this process hands out unique among replicas and ordered across them, as a
    /// hybrid logical clock: the wall-clock millisecond, a counter, and `start_number`'s low bits (each
    /// process start takes a new number from the database). Versions of one alert written by two replicas
    /// then compare as their times do, and the higher wins everywhere.
    pub(crate) fn set_replica(&self, start_number: u64) {
        let _ = self.replica_tag.set(start_number % (1 << TAG_BITS));
    }

    /// The next version; called with the write lock held.
    fn next_version(&self, now: DateTime<Utc>) -> u64 {
        let Some(tag) = self.replica_tag.get() else {
            return self.last_version.fetch_add(1, Ordering::Relaxed) + 1;
        };
        let clock = u64::try_from(now.timestamp_millis()).unwrap_or(0) << COUNTER_BITS;
        let last = self.last_version.load(Ordering::Relaxed) >> TAG_BITS;
        let version = ((last + 1).max(clock) << TAG_BITS) | tag;
        self.last_version.store(version, Ordering::Relaxed);
        version
    }

    /// Takes in alert versions another replica stored. Of two versions of one alert the higher wins, on
    /// every replica alike. Returns the versions taken (for the dispatcher) and those that lost (whose rows
    /// no replica will delete otherwise).
    pub(crate) fn apply_remote(&self, remote: Vec<Arc<Alert>>) -> (Vec<Arc<Alert>>, Vec<u64>) {
        let mut alerts = self.alerts.write().expect("alert index lock is never poisoned");
        let mut taken = Vec::with_capacity(remote.len());
        let mut lost = Vec::new();
        for alert in remote {
            // Versions handed out here from now on come after the other replica's.
            let seen = (alert.version >> TAG_BITS) << TAG_BITS;
            self.last_version.fetch_max(seen, Ordering::Relaxed);
            match alerts.by_fingerprint.get(&alert.fingerprint) {
                Some(known) if known.version == alert.version => {}
                Some(known) if known.version > alert.version => lost.push(alert.version),
                known => {
                    if let Some(known) = known {
                        lost.push(known.version);
                    }
                    alerts.insert(Arc::clone(&alert));
                    taken.push(alert);
                }
            }
        }
        (taken, lost)
    }

    /// Merges received alerts into the index. `while_locked` runs before the lock is released, so that
    /// whatever it queues (the store write) is ordered like the merges. Each alert's `updated_at` and
    /// `version` are stamped under the lock, so versions of one alert are ordered exactly as they are committed.
    pub(crate) fn merge<R>(
        &self,
        received: Vec<Alert>,
        now: DateTime<Utc>,
        while_locked: impl FnOnce(&Merged) -> R,
    ) -> (Merged, R) {
        let mut alerts = self.alerts.write().expect("alert index lock is never poisoned");
        let mut merged =
            Merged { stored: Vec::with_capacity(received.len()), previous: Vec::with_capacity(received.len()) };
        for mut alert in received {
            alert.updated_at = now;
            let previous = alerts.by_fingerprint.get(&alert.fingerprint).cloned();
            let mut version = match &previous {
                Some(old) => Alert::merge_into(old, alert, now),
                None => alert,
            };
            version.version = self.next_version(now);
            let version = Arc::new(version);
            alerts.insert(Arc::clone(&version));
            merged.stored.push(version);
            merged.previous.push(previous);
        }
        let result = while_locked(&merged);
        (merged, result)
    }

    /// Undoes a merge whose commit failed, for every alert that no later merge has replaced since, back to
    /// the last version that is not itself undone. Roll-backs of merges made on top of each other may come in
    /// any order: whichever comes last restores what was stored.
    pub(crate) fn roll_back(&self, merged: Merged) {
        let mut alerts = self.alerts.write().expect("alert index lock is never poisoned");
        let now = std::time::Instant::now();
        alerts.undone.retain(|_, (_, at)| now.duration_since(*at) < UNDONE_MEMORY);
        for (stored, previous) in merged.stored.iter().zip(&merged.previous) {
            alerts.undone.insert(stored.version, (previous.clone(), now));
        }
        for (stored, previous) in merged.stored.into_iter().zip(merged.previous) {
            let current = alerts.by_fingerprint.get(&stored.fingerprint).cloned();
            // The current version is this merge's, or one undone already (a later merge undone first).
            let undone = current.is_some_and(|current| alerts.undone.contains_key(&current.version));
            if !undone {
                continue;
            }
            let mut restore = previous;
            while let Some(version) = restore.as_ref().map(|alert| alert.version)
                && let Some((earlier, _)) = alerts.undone.get(&version)
            {
                restore = earlier.clone();
            }
            match restore {
                Some(previous) => alerts.insert(previous),
                None => alerts.remove(stored.fingerprint),
            };
        }
    }

    /// How many alerts are not resolved at `now`, counted in place: at a million alerts, copying them out
    /// first costs more than the count.
    pub(crate) fn count_unresolved(&self, now: DateTime<Utc>) -> usize {
        let alerts = self.alerts.read().expect("alert index lock is never poisoned");
        alerts.by_fingerprint.values().filter(|alert| !alert.resolved_at(now)).count()
    }

    /// Every alert.
    pub(crate) fn all(&self) -> Vec<Arc<Alert>> {
        self.alerts.read().expect("alert index lock is never poisoned").by_fingerprint.values().cloned().collect()
    }

    /// The alerts whose `alertname` label is `name`.
    pub(crate) fn with_alertname(&self, name: &str) -> Vec<Arc<Alert>> {
        let alerts = self.alerts.read().expect("alert index lock is never poisoned");
        let Some(fingerprints) = alerts.by_alertname.get(name) else { return Vec::new() };
        fingerprints.iter().filter_map(|fingerprint| alerts.by_fingerprint.get(fingerprint)).cloned().collect()
    }

    #[cfg(test)]
    /// How many alerts there are.
    pub(crate) fn len(&self) -> usize {
        self.alerts.read().expect("alert index lock is never poisoned").by_fingerprint.len()
    }

    /// Removes alerts resolved at `now` and returns their fingerprints.
    pub(crate) fn collect_resolved(&self, now: DateTime<Utc>) -> Vec<Fingerprint> {
        let mut alerts = self.alerts.write().expect("alert index lock is never poisoned");
        let resolved: Vec<Fingerprint> =
            alerts.by_fingerprint.values().filter(|a| a.resolved_at(now)).map(|a| a.fingerprint).collect();
        for fingerprint in &resolved {
            alerts.remove(*fingerprint);
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
        let alert =
            |name: &str, ends| Alert::new(LabelSet::from([("a", name)]), LabelSet::new(), now - hour, ends, now);
        let (merged, count) =
            index.merge(vec![alert("x", now + hour), alert("y", now - hour)], now, |m| m.stored.len());
        assert_eq!(merged.stored.iter().map(|a| a.version).collect::<Vec<_>>(), vec![1, 2]);
        assert_eq!((merged.stored.len(), count), (2, 2));
        let (newer, ()) = index.merge(vec![alert("x", now + hour + hour)], now, |_| ());
        assert_eq!(index.len(), 2);
        index.roll_back(newer);
        assert_eq!(
            index.all().iter().find(|a| a.labels["a"] == "x").map(|a| a.ends_at),
            Some(now + hour),
            "rolled back"
        );
        assert_eq!(index.collect_resolved(now).len(), 1);
        assert_eq!(index.all()[0].labels["a"], "x");
    }

    #[test]
    fn the_alertname_index_follows_merges_roll_backs_collection_and_loading() {
        let index = AlertIndex::default();
        let now = Utc::now();
        let hour = chrono::Duration::hours(1);
        let alert = |name: &str, instance: &str, ends| {
            let labels = LabelSet::from([("alertname", name), ("instance", instance)]);
            Alert::new(labels, LabelSet::new(), now - hour, ends, now)
        };
        let instances = |alerts: Vec<Arc<Alert>>| {
            let mut found: Vec<String> = alerts.iter().map(|a| a.labels["instance"].to_string()).collect();
            found.sort();
            found
        };
        index.merge(
            vec![alert("Up", "a", now + hour), alert("Up", "b", now - hour), alert("Down", "c", now + hour)],
            now,
            |_| (),
        );
        assert_eq!(instances(index.with_alertname("Up")), ["a", "b"]);
        let (failed, ()) =
            index.merge(vec![alert("Up", "d", now + hour), alert("Up", "a", now + hour + hour)], now, |_| ());
        assert_eq!(instances(index.with_alertname("Up")), ["a", "b", "d"]);
        index.roll_back(failed);
        assert_eq!(instances(index.with_alertname("Up")), ["a", "b"], "the new alert is gone, the updated one stays");
        index.collect_resolved(now);
        assert_eq!(instances(index.with_alertname("Up")), ["a"]);
        assert!(index.with_alertname("Nothing").is_empty());
        let (loaded, _) = AlertIndex::with_alerts(index.all(), 0);
        assert_eq!(instances(loaded.with_alertname("Down")), ["c"]);
    }

    #[test]
    fn of_two_loaded_versions_of_one_alert_the_higher_wins_and_the_other_is_returned() {
        let now = Utc::now();
        let alert = Alert::new(LabelSet::from([("a", "1")]), LabelSet::new(), now, now, now);
        let versions = [3, 5, 4].map(|version| Arc::new(Alert { version, ..alert.clone() }));
        let (index, stale) = AlertIndex::with_alerts(versions.to_vec(), 7);
        assert_eq!(index.all().iter().map(|a| a.version).collect::<Vec<_>>(), vec![5]);
        assert_eq!(stale, vec![3, 4]);
        let (merged, ()) = index.merge(vec![alert], now, |_| ());
        assert_eq!(merged.stored[0].version, 8, "new versions continue after the highest stored");
    }

    #[test]
    fn merges_on_top_of_each_other_that_fail_together_roll_back_to_what_was_stored_in_either_order() {
        let now = Utc::now();
        let hour = chrono::Duration::hours(1);
        let version = |ends| Alert::new(LabelSet::from([("alertname", "X")]), LabelSet::new(), now - hour, ends, now);
        for a_first in [true, false] {
            let index = AlertIndex::default();
            index.merge(vec![version(now + hour)], now, |_| ());
            let (a, ()) = index.merge(vec![version(now + hour + hour)], now, |_| ());
            let (b, ()) = index.merge(vec![version(now + hour * 3)], now, |_| ());
            if a_first {
                index.roll_back(a);
                index.roll_back(b);
            } else {
                index.roll_back(b);
                index.roll_back(a);
            }
            let current = index.all();
            assert_eq!(current.len(), 1);
            assert_eq!(current[0].ends_at, now + hour, "back to the stored version (A first: {a_first})");
        }
    }

    #[test]
    fn replicas_hand_out_their_own_versions_in_time_order_and_agree_on_the_higher() {
        let now = Utc::now();
        let (a, b) = (AlertIndex::default(), AlertIndex::default());
        a.set_replica(1);
        b.set_replica(2);
        let alert = || Alert::new(LabelSet::from([("alertname", "X")]), LabelSet::new(), now, now, now);
        let (from_a, ()) = a.merge(vec![alert()], now, |_| ());
        let (from_b, ()) = b.merge(vec![alert()], now + chrono::Duration::milliseconds(5), |_| ());
        let (va, vb) = (from_a.stored[0].version, from_b.stored[0].version);
        assert_eq!((va % 4096, vb % 4096), (1, 2), "each replica's versions are its own");
        assert!(vb > va, "a later version is higher");

        let (taken, lost) = a.apply_remote(from_b.stored.clone());
        assert_eq!((taken.len(), lost), (1, vec![va]), "the higher wins; the row it replaced is given up");
        let (taken, lost) = b.apply_remote(from_a.stored.clone());
        assert_eq!((taken.len(), lost), (0, vec![va]), "the lower loses on the other replica too");
        assert_eq!(a.all()[0].version, b.all()[0].version);
        let (next, ()) = a.merge(vec![alert()], now, |_| ());
        assert!(next.stored[0].version > vb, "versions made after seeing another replica's come after it");
    }
}
