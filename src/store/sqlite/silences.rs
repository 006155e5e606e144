//! The `silences` table.

use rusqlite::{Connection, Transaction, params};

use super::quarantine::{Quarantined, load_rows, unreadable};
use super::{corrupt, db, from_json, to_json};
use crate::silence::Silence;
use crate::store::alert_row::{from_micros, to_micros};
use crate::store::{Error, Result, WriteBatch};

/// Every stored silence; unreadable rows, and silences today's validation refuses, go to `quarantined`.
pub(super) fn load(conn: &Connection, quarantined: &mut Vec<Quarantined>) -> Result<Vec<Silence>> {
    let sql = "SELECT rowid, id, matchers, starts_at, ends_at, updated_at, created_by, comment FROM silences";
    let bad = unreadable("silences");
    load_rows(conn, "silences", sql, quarantined, |row| {
        let matchers = from_json("silences", row.get_ref(2).map_err(&bad)?.as_bytes().map_err(corrupt("silences"))?)?;
        Silence::new(
            row.get(1).map_err(&bad)?,
            matchers,
            from_micros(row.get(3).map_err(&bad)?),
            from_micros(row.get(4).map_err(&bad)?),
            row.get(6).map_err(&bad)?,
            row.get(7).map_err(&bad)?,
            from_micros(row.get(5).map_err(&bad)?),
        )
        .map_err(|reason| Error::Corrupt { table: "silences", reason })
    })
}

/// Deletes and upserts the batch's silences.
pub(super) fn write(tx: &Transaction<'_>, batch: &WriteBatch) -> Result<()> {
    for id in &batch.deleted_silences {
        tx.prepare_cached("DELETE FROM silences WHERE id = ?1").map_err(db)?.execute([id]).map_err(db)?;
    }
    for silence in batch.silences.values() {
        tx.prepare_cached(
            "INSERT OR REPLACE INTO silences (id, matchers, starts_at, ends_at, updated_at, created_by, comment) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        )
        .map_err(db)?
        .execute(params![
            silence.id,
            to_json(&silence.matchers),
            to_micros(silence.starts_at),
            to_micros(silence.ends_at),
            to_micros(silence.updated_at),
            silence.created_by,
            silence.comment,
        ])
        .map_err(db)?;
    }
    Ok(())
}
