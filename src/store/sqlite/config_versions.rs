//! The `config_versions` table: every config applied, with its text.

use rusqlite::{Connection, Transaction, params};

use super::db;
use super::quarantine::{Quarantined, load_rows, unreadable};
use crate::config::ConfigVersion;
use crate::store::alert_row::{from_micros, to_micros};
use crate::store::{Result, WriteBatch};

/// Every stored version, oldest first; unreadable rows go to `quarantined`.
pub(super) fn load(conn: &Connection, quarantined: &mut Vec<Quarantined>) -> Result<Vec<ConfigVersion>> {
    let sql =
        "SELECT rowid, number, applied_at, author, comment, source, hash, text FROM config_versions ORDER BY number";
    let bad = unreadable("config_versions");
    load_rows(conn, "config_versions", sql, quarantined, |row| {
        Ok(ConfigVersion {
            number: row.get::<_, i64>(1).map_err(&bad)? as u64,
            at: from_micros(row.get(2).map_err(&bad)?),
            author: row.get(3).map_err(&bad)?,
            comment: row.get(4).map_err(&bad)?,
            source: row.get(5).map_err(&bad)?,
            hash: row.get(6).map_err(&bad)?,
            text: row.get(7).map_err(&bad)?,
        })
    })
}

/// Appends the batch's versions.
pub(super) fn write(tx: &Transaction<'_>, batch: &WriteBatch) -> Result<()> {
    for version in &batch.config_versions {
        tx.prepare_cached(
            "INSERT OR REPLACE INTO config_versions (number, applied_at, author, comment, source, hash, text) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        )
        .map_err(db)?
        .execute(params![
            version.number as i64,
            to_micros(version.at),
            version.author,
            version.comment,
            version.source,
            version.hash,
            version.text,
        ])
        .map_err(db)?;
    }
    Ok(())
}
