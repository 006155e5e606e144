//! The `nflog` table: what each integration last notified for each group.

use std::collections::BTreeSet;

use rusqlite::{Connection, Transaction, params};

use super::quarantine::{Quarantined, load_rows, unreadable};
use super::{corrupt, db, from_json, to_json};
use crate::nflog::{NflogEntry, NflogKey};
use crate::store::alert_row::{from_micros, to_micros};
use crate::store::{Result, WriteBatch};

/// Every stored entry; unreadable rows go to `quarantined`.
pub(super) fn load(conn: &Connection, quarantined: &mut Vec<Quarantined>) -> Result<Vec<(NflogKey, NflogEntry)>> {
    let sql = "SELECT rowid, group_key, receiver, integration, idx, firing, resolved, sent_at, expires_at FROM nflog";
    let bad = unreadable("nflog");
    load_rows(conn, "nflog", sql, quarantined, |row| {
        let key = NflogKey {
            group_key: row.get(1).map_err(&bad)?,
            receiver: row.get(2).map_err(&bad)?,
            integration: row.get(3).map_err(&bad)?,
            index: row.get::<_, i64>(4).map_err(&bad)? as usize,
        };
        let hashes = |column: usize| -> Result<BTreeSet<u64>> {
            let text = row.get_ref(column).map_err(&bad)?.as_bytes().map_err(corrupt("nflog"))?;
            let signed: Vec<i64> = from_json("nflog", text)?;
            Ok(signed.into_iter().map(|h| h as u64).collect())
        };
        let entry = NflogEntry {
            firing: hashes(5)?,
            resolved: hashes(6)?,
            sent_at: from_micros(row.get(7).map_err(&bad)?),
            expires_at: from_micros(row.get(8).map_err(&bad)?),
        };
        Ok((key, entry))
    })
}

/// Deletes and upserts the batch's entries.
pub(super) fn write(tx: &Transaction<'_>, batch: &WriteBatch) -> Result<()> {
    for key in &batch.deleted_nflog {
        tx.prepare_cached("DELETE FROM nflog WHERE group_key = ?1 AND receiver = ?2 AND integration = ?3 AND idx = ?4")
            .map_err(db)?
            .execute(params![key.group_key, key.receiver, key.integration, key.index as i64])
            .map_err(db)?;
    }
    for (key, entry) in &batch.nflog {
        let hashes = |set: &BTreeSet<u64>| to_json(&set.iter().map(|h| *h as i64).collect::<Vec<_>>());
        tx.prepare_cached(
            "INSERT OR REPLACE INTO nflog (group_key, receiver, integration, idx, firing, resolved, sent_at, \
             expires_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        )
        .map_err(db)?
        .execute(params![
            key.group_key,
            key.receiver,
            key.integration,
            key.index as i64,
            hashes(&entry.firing),
            hashes(&entry.resolved),
            to_micros(entry.sent_at),
            to_micros(entry.expires_at),
        ])
        .map_err(db)?;
    }
    Ok(())
}
