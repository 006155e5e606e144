//! The notification log: what each integration last sent for each group, so that a flush only notifies
//! when something changed (or `repeat_interval` passed), as Alertmanager's dedup stage decides.

use std::collections::{BTreeSet, HashMap};
use std::time::Duration;

use chrono::{DateTime, Utc};

/// How long an entry is kept at most (Alertmanager's `--data.retention` default).
pub(crate) const MAX_RETENTION: Duration = Duration::from_secs(120 * 3600);

/// One integration of one receiver, for one aggregation group.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct NflogKey {
    /// Alertmanager's group key (`{}/{...}:{...}`).
    pub group_key: String,
    /// Receiver name.
    pub receiver: String,
    /// Integration kind (`webhook`, `slack`, ...).
    pub integration: String,
    /// Position of the integration in the receiver's list of that kind.
    pub index: usize,
}

/// What was last notified.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct NflogEntry {
    /// Fingerprints of the firing alerts in that notification.
    pub firing: BTreeSet<u64>,
    /// Fingerprints of the resolved alerts in it.
    pub resolved: BTreeSet<u64>,
    /// When it was sent.
    pub sent_at: DateTime<Utc>,
    /// When the entry may be forgotten.
    pub expires_at: DateTime<Utc>,
}

impl NflogEntry {
    /// An entry for a notification sent at `now` by a route with `repeat_interval`.
    pub(crate) fn new(
        firing: BTreeSet<u64>,
        resolved: BTreeSet<u64>,
        now: DateTime<Utc>,
        repeat_interval: Duration,
    ) -> Self {
        let keep = (repeat_interval * 2).min(MAX_RETENTION);
        let keep = chrono::Duration::from_std(keep).unwrap_or(chrono::Duration::MAX);
        NflogEntry { firing, resolved, sent_at: now, expires_at: now.checked_add_signed(keep).unwrap_or(now) }
    }
}

/// Alertmanager's `DedupStage.needsUpdate`: whether a flush with these firing and resolved alerts must notify.
/// `repeat_interval` is `None` for an acknowledged group, which gets no repeats.
pub(crate) fn needs_update(
    entry: Option<&NflogEntry>,
    firing: &BTreeSet<u64>,
    resolved: &BTreeSet<u64>,
    send_resolved: bool,
    repeat_interval: Option<Duration>,
    now: DateTime<Utc>,
) -> bool {
    let Some(entry) = entry else {
        return !firing.is_empty();
    };
    if !firing.is_subset(&entry.firing) {
        return true;
    }
    // Everything resolved: notify (whatever send_resolved says) so that the log forgets the firing alerts,
    // unless the last notification had nothing firing either.
    if firing.is_empty() {
        return !entry.firing.is_empty();
    }
    if send_resolved && !resolved.is_subset(&entry.resolved) {
        return true;
    }
    let Some(repeat_interval) = repeat_interval else { return false };
    let repeat = chrono::Duration::from_std(repeat_interval).unwrap_or(chrono::Duration::MAX);
    entry.sent_at < now.checked_sub_signed(repeat).unwrap_or(DateTime::<Utc>::MIN_UTC)
}

/// The log in memory; the store keeps the durable copy.
#[derive(Debug, Default, Clone)]
pub(crate) struct Nflog {
    entries: HashMap<NflogKey, NflogEntry>,
}

impl Nflog {
    /// The entry for `key`, if any.
    pub(crate) fn get(&self, key: &NflogKey) -> Option<&NflogEntry> {
        self.entries.get(key)
    }

    /// Records a notification.
    pub(crate) fn set(&mut self, key: NflogKey, entry: NflogEntry) {
        self.entries.insert(key, entry);
    }

    /// Takes in an entry another replica recorded, unless this one knows of a later notification.
    pub(crate) fn set_remote(&mut self, key: NflogKey, entry: NflogEntry) {
        if self.entries.get(&key).is_none_or(|known| known.sent_at <= entry.sent_at) {
            self.entries.insert(key, entry);
        }
    }

    /// Forgets an entry (another replica let it expire).
    pub(crate) fn remove(&mut self, key: &NflogKey) {
        self.entries.remove(key);
    }

    /// Forgets expired entries and returns their keys.
    pub(crate) fn expire(&mut self, now: DateTime<Utc>) -> Vec<NflogKey> {
        let expired: Vec<NflogKey> =
            self.entries.iter().filter(|(_, entry)| entry.expires_at <= now).map(|(key, _)| key.clone()).collect();
        for key in &expired {
            self.entries.remove(key);
        }
        expired
    }

    #[cfg(test)]
    /// Whether the log is empty.
    pub(crate) fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const REPEAT: Duration = Duration::from_secs(3600);

    fn at(seconds: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_700_000_000 + seconds, 0).expect("valid")
    }

    fn set(items: &[u64]) -> BTreeSet<u64> {
        items.iter().copied().collect()
    }

    fn entry(firing: &[u64], resolved: &[u64], sent: i64) -> NflogEntry {
        NflogEntry::new(set(firing), set(resolved), at(sent), REPEAT)
    }

    #[test]
    fn first_notification_only_when_something_fires() {
        assert!(needs_update(None, &set(&[1]), &set(&[]), true, Some(REPEAT), at(0)));
        assert!(!needs_update(None, &set(&[]), &set(&[1]), true, Some(REPEAT), at(0)));
    }

    #[test]
    fn a_new_firing_alert_notifies() {
        let last = entry(&[1], &[], 0);
        assert!(needs_update(Some(&last), &set(&[1, 2]), &set(&[]), false, Some(REPEAT), at(10)));
        assert!(!needs_update(Some(&last), &set(&[1]), &set(&[]), false, Some(REPEAT), at(10)));
    }

    #[test]
    fn all_resolved_notifies_even_without_send_resolved() {
        let last = entry(&[1], &[], 0);
        assert!(needs_update(Some(&last), &set(&[]), &set(&[1]), false, Some(REPEAT), at(10)));
        let quiet = entry(&[], &[1], 0);
        assert!(
            !needs_update(Some(&quiet), &set(&[]), &set(&[2]), true, Some(REPEAT), at(10)),
            "fired and resolved unseen"
        );
    }

    #[test]
    fn a_partial_resolve_notifies_only_with_send_resolved() {
        let last = entry(&[1, 2], &[], 0);
        assert!(needs_update(Some(&last), &set(&[1]), &set(&[2]), true, Some(REPEAT), at(10)));
        assert!(!needs_update(Some(&last), &set(&[1]), &set(&[2]), false, Some(REPEAT), at(10)));
    }

    #[test]
    fn unchanged_groups_repeat_after_the_repeat_interval() {
        let last = entry(&[1], &[], 0);
        assert!(!needs_update(Some(&last), &set(&[1]), &set(&[]), true, None, at(7200)), "acknowledged: no repeat");
        assert!(needs_update(Some(&last), &set(&[1, 2]), &set(&[]), true, None, at(10)), "but news still goes out");
        assert!(!needs_update(Some(&last), &set(&[1]), &set(&[]), true, Some(REPEAT), at(3600)));
        assert!(needs_update(Some(&last), &set(&[1]), &set(&[]), true, Some(REPEAT), at(3601)));
    }

    #[test]
    fn entries_expire_after_twice_the_repeat_interval() {
        let mut log = Nflog::default();
        let key = NflogKey { group_key: "{}:{}".into(), receiver: "r".into(), integration: "webhook".into(), index: 0 };
        log.set(key.clone(), entry(&[1], &[], 0));
        assert!(log.expire(at(7199)).is_empty());
        assert_eq!(log.expire(at(7200)), vec![key]);
        assert!(log.is_empty());
    }
}
