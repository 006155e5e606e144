//! What goes into the store and what comes out of it.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::alert::Alert;
use crate::dispatch::{GroupId, GroupSnapshot};
use crate::labels::Fingerprint;
use crate::nflog::{NflogEntry, NflogKey};
use crate::silence::Silence;

/// Everything Herald persisted, as read back at start-up.
#[derive(Debug, Default)]
pub struct Snapshot {
    /// Alerts, resolved ones included until they are collected.
    pub alerts: Vec<Alert>,
    /// Aggregation groups and their timers.
    pub groups: Vec<GroupSnapshot>,
    /// The notification log.
    pub nflog: Vec<(NflogKey, NflogEntry)>,
    /// Silences, expired ones until their retention ends.
    pub silences: Vec<Silence>,
}

/// A set of changes applied atomically. Later changes to the same row replace earlier ones.
#[derive(Debug, Default, Clone)]
pub struct WriteBatch {
    /// Alerts to insert or replace, by fingerprint.
    pub alerts: HashMap<Fingerprint, Arc<Alert>>,
    /// Alert versions to delete: a row is deleted only if it still holds that version (its `updated_at`), so
    /// a delete can never remove a newer post of the same alert that raced it.
    pub deleted_alerts: Vec<(Fingerprint, DateTime<Utc>)>,
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
}

impl WriteBatch {
    /// Whether there is nothing to write.
    pub fn is_empty(&self) -> bool {
        self.alerts.is_empty()
            && self.deleted_alerts.is_empty()
            && self.groups.is_empty()
            && self.deleted_groups.is_empty()
            && self.nflog.is_empty()
            && self.deleted_nflog.is_empty()
            && self.silences.is_empty()
            && self.deleted_silences.is_empty()
    }

    /// Folds a later batch into this one; for a row touched by both, the later change wins.
    pub fn absorb(&mut self, later: WriteBatch) {
        for (fingerprint, version) in later.deleted_alerts {
            if self.alerts.get(&fingerprint).is_some_and(|alert| alert.updated_at == version) {
                self.alerts.remove(&fingerprint);
            }
            self.deleted_alerts.push((fingerprint, version));
        }
        self.alerts.extend(later.alerts);
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
        let alert = Arc::new(Alert::new(LabelSet::from([("a".into(), "1".into())]), LabelSet::new(), now, now, now));
        let fp = alert.fingerprint;
        let mut first = WriteBatch::default();
        first.alerts.insert(fp, Arc::clone(&alert));
        first.absorb(WriteBatch { deleted_alerts: vec![(fp, now)], ..WriteBatch::default() });
        assert!(first.alerts.is_empty(), "written then deleted: nothing to write");

        let mut newer = WriteBatch::default();
        let later = now + chrono::Duration::seconds(1);
        newer.alerts.insert(fp, Arc::new(Alert { updated_at: later, ..(*alert).clone() }));
        newer.absorb(WriteBatch { deleted_alerts: vec![(fp, now)], ..WriteBatch::default() });
        assert_eq!(newer.alerts.len(), 1, "a delete of an older version leaves the newer write");
    }
}
