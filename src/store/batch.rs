//! What goes into the store and what comes out of it.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use crate::alert::Alert;
use crate::config::ConfigVersion;
use crate::dispatch::{GroupId, GroupSnapshot};
use crate::labels::Fingerprint;
use crate::nflog::{NflogEntry, NflogKey};
use crate::notify::history::Attempt;
use crate::silence::Silence;

/// Everything Herald persisted, as read back at start-up.
#[derive(Debug, Default)]
pub(crate) struct Snapshot {
    /// Alerts, resolved ones included until they are collected, in version order.
    pub alerts: Vec<Arc<Alert>>,
    /// The highest alert version ever stored (new versions continue after it).
    pub last_alert_version: u64,
    /// Aggregation groups and their timers.
    pub groups: Vec<GroupSnapshot>,
    /// The notification log.
    pub nflog: Vec<(NflogKey, NflogEntry)>,
    /// Silences, expired ones until their retention ends.
    pub silences: Vec<Silence>,
    /// Every config applied, oldest first.
    pub config_versions: Vec<ConfigVersion>,
    /// How many rows could not be read and were moved to the quarantine table.
    pub quarantined: usize,
    /// Where the change feed stood when the snapshot was read (replicas apply the changes after it; 0 for
    /// a store without a feed).
    pub feed_position: i64,
}

/// An alert version that left a group after it was notified as resolved (replicas drop it from their copy
/// of the group).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Departure {
    /// The group.
    pub group: GroupId,
    /// The alert.
    pub fingerprint: Fingerprint,
    /// Its version that left.
    pub version: u64,
}

/// A set of changes applied atomically. Later changes to the same row replace earlier ones.
#[derive(Debug, Default, Clone)]
pub(crate) struct WriteBatch {
    /// Alert versions to store, each a new row keyed by its [`Alert::version`]: rows are only ever appended
    /// at the end of the table, which is what makes ingest cheap.
    pub alerts: Vec<Arc<Alert>>,
    /// Alert versions to delete (superseded by a newer version, or resolved and notified). Versions are never
    /// reused, so a delete can never remove a newer post of the same alert that raced it.
    pub deleted_alerts: Vec<u64>,
    /// Alerts that left a group (for the other replicas; the groups' rows are written on their own).
    pub left: Vec<Departure>,
    /// Groups to insert or replace.
    pub groups: HashMap<GroupId, GroupSnapshot>,
    /// Groups to delete.
    pub deleted_groups: Vec<GroupId>,
    /// Notification log entries to insert or replace.
    pub nflog: HashMap<NflogKey, NflogEntry>,
    /// Notification log entries to delete.
    pub deleted_nflog: Vec<NflogKey>,
    /// Silences to insert or replace.
    pub silences: HashMap<String, Silence>,
    /// Silences to delete.
    pub deleted_silences: Vec<String>,
    /// Config versions to append.
    pub config_versions: Vec<ConfigVersion>,
    /// Notification attempts to append to the history.
    pub history: Vec<Attempt>,
    /// History older than this goes.
    pub history_before: Option<chrono::DateTime<chrono::Utc>>,
}

impl WriteBatch {
    /// Whether there is nothing to write.
    pub(crate) fn is_empty(&self) -> bool {
        self.alerts.is_empty()
            && self.deleted_alerts.is_empty()
            && self.left.is_empty()
            && self.groups.is_empty()
            && self.deleted_groups.is_empty()
            && self.nflog.is_empty()
            && self.deleted_nflog.is_empty()
            && self.silences.is_empty()
            && self.deleted_silences.is_empty()
            && self.config_versions.is_empty()
            && self.history.is_empty()
            && self.history_before.is_none()
    }

    /// Folds a later batch into this one; for a row touched by both, the later change wins.
    pub(crate) fn absorb(&mut self, later: WriteBatch) {
        if !later.deleted_alerts.is_empty() && !self.alerts.is_empty() {
            // A version written and deleted before the commit need not touch the disk at all.
            let deleted: HashSet<u64> = later.deleted_alerts.iter().copied().collect();
            self.alerts.retain(|alert| !deleted.contains(&alert.version));
        }
        self.deleted_alerts.extend(later.deleted_alerts);
        self.alerts.extend(later.alerts);
        self.left.extend(later.left);
        for id in later.deleted_groups {
            self.groups.remove(&id);
            self.deleted_groups.push(id);
        }
        self.groups.extend(later.groups);
        for key in later.deleted_nflog {
            self.nflog.remove(&key);
            self.deleted_nflog.push(key);
        }
        self.nflog.extend(later.nflog);
        for id in later.deleted_silences {
            self.silences.remove(&id);
            self.deleted_silences.push(id);
        }
        self.silences.extend(later.silences);
        self.config_versions.extend(later.config_versions);
        self.history.extend(later.history);
        self.history_before = self.history_before.max(later.history_before);
    }
}

#[cfg(test)]
mod tests {
    use chrono::Utc;

    use super::*;
    use crate::labels::LabelSet;

    #[test]
    fn a_delete_only_cancels_a_pending_write_of_the_same_version() {
        let now = Utc::now();
        let alert = Alert::new(LabelSet::from([("a", "1")]), LabelSet::new(), now, now, now);
        let mut first = WriteBatch::default();
        first.alerts.push(Arc::new(Alert { version: 7, ..alert.clone() }));
        first.absorb(WriteBatch { deleted_alerts: vec![7], ..WriteBatch::default() });
        assert!(first.alerts.is_empty(), "written then deleted: nothing to write");

        let mut newer = WriteBatch::default();
        newer.alerts.push(Arc::new(Alert { version: 8, ..alert }));
        newer.absorb(WriteBatch { deleted_alerts: vec![7], ..WriteBatch::default() });
        assert_eq!(newer.alerts.len(), 1, "a delete of an older version leaves the newer write");
    }
}
