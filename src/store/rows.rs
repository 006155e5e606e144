//! The JSON form of each kind of row, shared by the Postgres tables (their `data` column) and the change
//! feed, so that a replica decodes a stored row and a change from another replica with the same code.

use std::collections::BTreeSet;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::alert_row::{self, from_micros, to_micros};
use super::{Departure, Error, Result, WriteBatch};
use crate::alert::Alert;
use crate::config::ConfigVersion;
use crate::dispatch::{GroupId, GroupSnapshot, GroupState, GroupTimer};
use crate::labels::{Fingerprint, LabelSet};
use crate::nflog::{NflogEntry, NflogKey};
use crate::silence::{Silence, SilenceMatcher};

/// A group: its identity, timer and escalation state.
#[derive(Serialize, Deserialize)]
pub(super) struct GroupRow {
    id: u64,
    key: String,
    labels: LabelSet,
    receiver: String,
    next_flush: i64,
    has_flushed: bool,
    created_at: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    state: Option<GroupState>,
}

impl GroupRow {
    pub(super) fn of(group: &GroupSnapshot) -> Self {
        GroupRow {
            id: group.id.0,
            key: group.key.clone(),
            labels: group.labels.clone(),
            receiver: group.receiver.clone(),
            next_flush: to_micros(group.timer.next_flush),
            has_flushed: group.timer.has_flushed,
            created_at: to_micros(group.timer.created_at),
            // Most groups never escalate nor get acknowledged: no state for them.
            state: (group.timer.state != GroupState::default()).then(|| group.timer.state.clone()),
        }
    }

    pub(super) fn into_snapshot(self) -> GroupSnapshot {
        GroupSnapshot {
            id: GroupId(self.id),
            key: self.key,
            labels: self.labels,
            receiver: self.receiver,
            timer: GroupTimer {
                next_flush: from_micros(self.next_flush),
                has_flushed: self.has_flushed,
                created_at: from_micros(self.created_at),
                state: self.state.unwrap_or_default(),
            },
        }
    }
}

/// The key of a notification log entry.
#[derive(Serialize, Deserialize)]
pub(super) struct NflogKeyRow {
    group_key: String,
    receiver: String,
    integration: String,
    index: usize,
}

impl NflogKeyRow {
    pub(super) fn of(key: &NflogKey) -> Self {
        NflogKeyRow {
            group_key: key.group_key.clone(),
            receiver: key.receiver.clone(),
            integration: key.integration.clone(),
            index: key.index,
        }
    }

    fn into_key(self) -> NflogKey {
        NflogKey {
            group_key: self.group_key,
            receiver: self.receiver,
            integration: self.integration,
            index: self.index,
        }
    }

    /// The entry's primary key in the Postgres table.
    pub(super) fn text(key: &NflogKey) -> String {
        serde_json::to_string(&NflogKeyRow::of(key)).expect("strings and integers always serialize")
    }
}

/// A notification log entry with its key.
#[derive(Serialize, Deserialize)]
pub(super) struct NflogRow {
    #[serde(flatten)]
    key: NflogKeyRow,
    firing: BTreeSet<u64>,
    resolved: BTreeSet<u64>,
    sent_at: i64,
    expires_at: i64,
}

impl NflogRow {
    pub(super) fn of(key: &NflogKey, entry: &NflogEntry) -> Self {
        NflogRow {
            key: NflogKeyRow::of(key),
            firing: entry.firing.clone(),
            resolved: entry.resolved.clone(),
            sent_at: to_micros(entry.sent_at),
            expires_at: to_micros(entry.expires_at),
        }
    }

    pub(super) fn into_entry(self) -> (NflogKey, NflogEntry) {
        let entry = NflogEntry {
            firing: self.firing,
            resolved: self.resolved,
            sent_at: from_micros(self.sent_at),
            expires_at: from_micros(self.expires_at),
        };
        (self.key.into_key(), entry)
    }
}

/// A silence.
#[derive(Serialize, Deserialize)]
pub(super) struct SilenceRow {
    id: String,
    matchers: Vec<SilenceMatcher>,
    starts_at: i64,
    ends_at: i64,
    updated_at: i64,
    created_by: String,
    comment: String,
}

impl SilenceRow {
    pub(super) fn of(silence: &Silence) -> Self {
        SilenceRow {
            id: silence.id.clone(),
            matchers: silence.matchers.clone(),
            starts_at: to_micros(silence.starts_at),
            ends_at: to_micros(silence.ends_at),
            updated_at: to_micros(silence.updated_at),
            created_by: silence.created_by.clone(),
            comment: silence.comment.clone(),
        }
    }

    /// The silence, validated as a new one is (a row today's rules refuse is reported, not loaded).
    pub(super) fn into_silence(self) -> Result<Silence> {
        Silence::new(
            self.id,
            self.matchers,
            from_micros(self.starts_at),
            from_micros(self.ends_at),
            self.created_by,
            self.comment,
            from_micros(self.updated_at),
        )
        .map_err(|reason| Error::Corrupt { table: "silences", reason })
    }
}

/// A config version.
#[derive(Serialize, Deserialize)]
pub(super) struct ConfigRow {
    number: u64,
    at: i64,
    author: String,
    comment: String,
    source: String,
    hash: String,
    text: String,
}

impl ConfigRow {
    pub(super) fn of(version: &ConfigVersion) -> Self {
        ConfigRow {
            number: version.number,
            at: to_micros(version.at),
            author: version.author.clone(),
            comment: version.comment.clone(),
            source: version.source.clone(),
            hash: version.hash.clone(),
            text: version.text.clone(),
        }
    }

    pub(super) fn into_version(self) -> ConfigVersion {
        ConfigVersion {
            number: self.number,
            at: from_micros(self.at),
            author: self.author,
            comment: self.comment,
            source: self.source,
            hash: self.hash,
            text: self.text,
        }
    }
}

/// One committed batch as the other replicas receive it: everything in it but the notification history
/// (which is only ever read from the database).
#[derive(Default, Serialize, Deserialize)]
pub(super) struct Change {
    /// Alert versions: (version, the alert's row).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    alerts: Vec<(u64, String)>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    deleted_alerts: Vec<u64>,
    /// Alerts that left a group: (group, fingerprint, version).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    left: Vec<(u64, u64, u64)>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    groups: Vec<GroupRow>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    deleted_groups: Vec<u64>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    nflog: Vec<NflogRow>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    deleted_nflog: Vec<NflogKeyRow>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    silences: Vec<SilenceRow>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    deleted_silences: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    config_versions: Vec<ConfigRow>,
}

/// An alert's row as text.
pub(super) fn alert_text(alert: &Alert) -> String {
    let mut data = Vec::new();
    alert_row::encode_into(alert, &mut data);
    // The encoder writes JSON, which is UTF-8.
    String::from_utf8(data).unwrap_or_default()
}

/// Decodes an alert's row.
pub(super) fn alert_from_text(version: u64, text: &str) -> Result<Arc<Alert>> {
    alert_row::decode(version, text.as_bytes())
        .map(Arc::new)
        .map_err(|reason| Error::Corrupt { table: "alert_versions", reason })
}

impl Change {
    /// What of `batch` the other replicas apply, as JSON; `None` when there is nothing for them.
    pub(super) fn encode(batch: &WriteBatch) -> Option<String> {
        let change = Change {
            alerts: batch.alerts.iter().map(|alert| (alert.version, alert_text(alert))).collect(),
            deleted_alerts: batch.deleted_alerts.clone(),
            left: batch.left.iter().map(|d| (d.group.0, d.fingerprint.0, d.version)).collect(),
            groups: batch.groups.values().map(GroupRow::of).collect(),
            deleted_groups: batch.deleted_groups.iter().map(|id| id.0).collect(),
            nflog: batch.nflog.iter().map(|(key, entry)| NflogRow::of(key, entry)).collect(),
            deleted_nflog: batch.deleted_nflog.iter().map(NflogKeyRow::of).collect(),
            silences: batch.silences.values().map(SilenceRow::of).collect(),
            deleted_silences: batch.deleted_silences.clone(),
            config_versions: batch.config_versions.iter().map(ConfigRow::of).collect(),
        };
        let empty = change.alerts.is_empty()
            && change.deleted_alerts.is_empty()
            && change.left.is_empty()
            && change.groups.is_empty()
            && change.deleted_groups.is_empty()
            && change.nflog.is_empty()
            && change.deleted_nflog.is_empty()
            && change.silences.is_empty()
            && change.deleted_silences.is_empty()
            && change.config_versions.is_empty();
        (!empty).then(|| serde_json::to_string(&change).expect("rows of strings and integers always serialize"))
    }

    /// The batch a change stands for.
    pub(super) fn decode(body: &str) -> Result<WriteBatch> {
        let change: Change =
            serde_json::from_str(body).map_err(|err| Error::Corrupt { table: "changes", reason: err.to_string() })?;
        let mut batch = WriteBatch {
            deleted_alerts: change.deleted_alerts,
            left: change
                .left
                .into_iter()
                .map(|(group, fingerprint, version)| Departure {
                    group: GroupId(group),
                    fingerprint: Fingerprint(fingerprint),
                    version,
                })
                .collect(),
            deleted_groups: change.deleted_groups.into_iter().map(GroupId).collect(),
            deleted_nflog: change.deleted_nflog.into_iter().map(NflogKeyRow::into_key).collect(),
            deleted_silences: change.deleted_silences,
            config_versions: change.config_versions.into_iter().map(ConfigRow::into_version).collect(),
            ..WriteBatch::default()
        };
        for (version, text) in change.alerts {
            batch.alerts.push(alert_from_text(version, &text)?);
        }
        batch.groups = change.groups.into_iter().map(|row| row.into_snapshot()).map(|g| (g.id, g)).collect();
        batch.nflog = change.nflog.into_iter().map(NflogRow::into_entry).collect();
        for row in change.silences {
            let silence = row.into_silence()?;
            batch.silences.insert(silence.id.clone(), silence);
        }
        Ok(batch)
    }
}

/// The static name of a failure reason read back from the store.
pub(super) fn known_reason(text: &str) -> Option<&'static str> {
    ["timeout", "connection", "rate_limited", "client_error", "server_error", "bad_config"]
        .into_iter()
        .find(|known| *known == text)
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, Utc};

    use super::*;

    fn at(seconds: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000 + seconds, 123_456_000).expect("valid")
    }

    #[test]
    fn a_change_decodes_to_the_batch_it_was_encoded_from() {
        let alert = alert_row::tests::stored_alert(77);
        let group = GroupSnapshot {
            id: GroupId(u64::MAX - 1),
            key: "{}:{alertname=\"x\"}".into(),
            labels: LabelSet::from([("alertname", "x")]),
            receiver: "hook".into(),
            timer: GroupTimer { next_flush: at(8), has_flushed: true, created_at: at(0), state: GroupState::default() },
        };
        let key =
            NflogKey { group_key: group.key.clone(), receiver: "hook".into(), integration: "webhook".into(), index: 1 };
        let entry = NflogEntry {
            firing: BTreeSet::from([u64::MAX]),
            resolved: BTreeSet::new(),
            sent_at: at(2),
            expires_at: at(9),
        };
        let silence = Silence::new(
            "s1".into(),
            vec![SilenceMatcher { name: "a".into(), value: "b".into(), is_regex: false, is_equal: true }],
            at(0),
            at(60),
            "me".into(),
            "why".into(),
            at(1),
        )
        .expect("valid");
        let mut batch = WriteBatch::default();
        batch.alerts.push(Arc::new(alert.clone()));
        batch.deleted_alerts.push(5);
        batch.left.push(Departure { group: group.id, fingerprint: alert.fingerprint, version: 4 });
        batch.groups.insert(group.id, group.clone());
        batch.deleted_groups.push(GroupId(3));
        batch.nflog.insert(key.clone(), entry.clone());
        batch.deleted_nflog.push(key.clone());
        batch.silences.insert("s1".into(), silence.clone());
        batch.deleted_silences.push("old".into());

        let body = Change::encode(&batch).expect("something to replicate");
        let decoded = Change::decode(&body).expect("decodes");
        assert_eq!(decoded.alerts, vec![Arc::new(alert.clone())]);
        assert_eq!(decoded.deleted_alerts, vec![5]);
        assert_eq!(decoded.left, batch.left);
        assert_eq!(decoded.groups.get(&group.id), Some(&group));
        assert_eq!(decoded.deleted_groups, vec![GroupId(3)]);
        assert_eq!(decoded.nflog.get(&key), Some(&entry));
        assert_eq!(decoded.deleted_nflog, vec![key]);
        assert_eq!(decoded.silences.get("s1").map(|s| (&s.matchers, s.ends_at)), Some((&silence.matchers, at(60))));
        assert_eq!(decoded.deleted_silences, vec!["old".to_string()]);
    }

    #[test]
    fn the_history_alone_is_not_replicated() {
        let batch = WriteBatch { history_before: Some(at(0)), ..WriteBatch::default() };
        assert_eq!(Change::encode(&batch), None);
    }
}
