//! The `groups` table: each aggregation group's key, labels, receiver, timer, and escalation and
//! acknowledgement state.

use rusqlite::{Connection, Transaction, params};

use super::quarantine::{Quarantined, load_rows, unreadable};
use super::{corrupt, db, from_json, to_json};
use crate::dispatch::{GroupId, GroupSnapshot, GroupState, GroupTimer};
use crate::store::alert_row::{from_micros, to_micros};
use crate::store::{Result, WriteBatch};

/// Every stored group; unreadable rows go to `quarantined`.
pub(super) fn load(conn: &Connection, quarantined: &mut Vec<Quarantined>) -> Result<Vec<GroupSnapshot>> {
    let sql =
        "SELECT rowid, id, group_key, labels, receiver, next_flush_at, has_flushed, created_at, state FROM groups";
    let bad = unreadable("groups");
    load_rows(conn, "groups", sql, quarantined, |row| {
        Ok(GroupSnapshot {
            id: GroupId(row.get::<_, i64>(1).map_err(&bad)? as u64),
            key: row.get(2).map_err(&bad)?,
            labels: from_json("groups", row.get_ref(3).map_err(&bad)?.as_bytes().map_err(corrupt("groups"))?)?,
            receiver: row.get(4).map_err(&bad)?,
            timer: GroupTimer {
                next_flush: from_micros(row.get(5).map_err(&bad)?),
                has_flushed: row.get::<_, i64>(6).map_err(&bad)? != 0,
                created_at: from_micros(row.get(7).map_err(&bad)?),
                state: match row.get_ref(8).map_err(&bad)?.as_bytes_or_null().map_err(corrupt("groups"))? {
                    Some(json) => from_json("groups", json)?,
                    None => GroupState::default(),
                },
            },
        })
    })
}

/// Deletes and upserts the batch's groups.
pub(super) fn write(tx: &Transaction<'_>, batch: &WriteBatch) -> Result<()> {
    for id in &batch.deleted_groups {
        tx.prepare_cached("DELETE FROM groups WHERE id = ?1").map_err(db)?.execute([id.0 as i64]).map_err(db)?;
    }
    for group in batch.groups.values() {
        tx.prepare_cached(
            "INSERT OR REPLACE INTO groups \
             (id, group_key, labels, receiver, next_flush_at, has_flushed, created_at, state) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        )
        .map_err(db)?
        .execute(params![
            group.id.0 as i64,
            group.key,
            to_json(&group.labels),
            group.receiver,
            to_micros(group.timer.next_flush),
            i64::from(group.timer.has_flushed),
            to_micros(group.timer.created_at),
            // Most groups never escalate nor get acknowledged: no JSON for them.
            (group.timer.state != GroupState::default()).then(|| to_json(&group.timer.state)),
        ])
        .map_err(db)?;
    }
    Ok(())
}
