//! What goes into the store and what comes out of it.

use std::collections::HashMap;
use std::sync::Arc;

use crate::alert::Alert;
use crate::dispatch::{GroupId, GroupSnapshot};
use crate::labels::Fingerprint;
use crate::nflog::{NflogEntry, NflogKey};

/// Everything Herald persisted, as read back at start-up.
#[derive(Debug, Default)]
pub struct Snapshot {
    /// Alerts, resolved ones included until they are collected.
    pub alerts: Vec<Alert>,
    /// Aggregation groups and their timers.
    pub groups: Vec<GroupSnapshot>,
    /// The notification log.
    pub nflog: Vec<(NflogKey, NflogEntry)>,
}

/// A set of changes applied atomically. Later changes to the same row replace earlier ones.
#[derive(Debug, Default, Clone)]
pub struct WriteBatch {
    /// Alerts to insert or replace, by fingerprint.
    pub alerts: HashMap<Fingerprint, Arc<Alert>>,
    /// Alerts to delete.
    pub deleted_alerts: Vec<Fingerprint>,
    /// Groups to insert or replace.
    pub groups: HashMap<GroupId, GroupSnapshot>,
    /// Groups to delete.
    pub deleted_groups: Vec<GroupId>,
    /// Notification log entries to insert or replace.
    pub nflog: HashMap<NflogKey, NflogEntry>,
    /// Notification log entries to delete.
    pub deleted_nflog: Vec<NflogKey>,
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
    }

    /// Folds a later batch into this one; for a row touched by both, the later change wins.
    pub fn absorb(&mut self, later: WriteBatch) {
        for fingerprint in later.deleted_alerts {
            self.alerts.remove(&fingerprint);
            self.deleted_alerts.push(fingerprint);
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
    }
}

#[cfg(test)]
mod tests {
    use chrono::Utc;

    use super::*;
    use crate::labels::LabelSet;

    #[test]
    fn a_later_write_wins_over_an_earlier_delete_and_vice_versa() {
        let now = Utc::now();
        let alert = Arc::new(Alert::new(LabelSet::from([("a".into(), "1".into())]), LabelSet::new(), now, now, now));
        let fp = alert.fingerprint;
        let mut first = WriteBatch::default();
        first.alerts.insert(fp, Arc::clone(&alert));
        let mut delete = WriteBatch::default();
        delete.deleted_alerts.push(fp);
        first.absorb(delete);
        assert!(first.alerts.is_empty());
        let mut again = WriteBatch::default();
        again.alerts.insert(fp, alert);
        first.absorb(again);
        assert_eq!(first.alerts.len(), 1, "deleted first, then written: the row exists");
    }
}
