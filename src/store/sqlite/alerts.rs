//! The `alert_versions` table: one row per stored version of an alert, keyed by its increasing version.

use std::sync::Arc;

use rusqlite::{Connection, Transaction, params};

use super::quarantine::{Quarantined, load_rows, unreadable};
use super::{corrupt, db};
use crate::store::alert_row;
use crate::store::{Error, Result, Snapshot, WriteBatch};

/// Reads every alert version, in version order; unreadable rows go to `quarantined`.
pub(super) fn load(conn: &Connection, snapshot: &mut Snapshot, quarantined: &mut Vec<Quarantined>) -> Result<()> {
    let sql = "SELECT rowid, version, data FROM alert_versions ORDER BY version";
    let bad = unreadable("alert_versions");
    let mut last_version = 0;
    let alerts = load_rows(conn, "alert_versions", sql, quarantined, |row| {
        let version = row.get::<_, i64>(1).map_err(&bad)? as u64;
        // Even a version whose data cannot be read was handed out: new versions continue after it.
        last_version = last_version.max(version);
        let data = row.get_ref(2).map_err(&bad)?.as_bytes().map_err(corrupt("alert_versions"))?;
        let alert =
            alert_row::decode(version, data).map_err(|reason| Error::Corrupt { table: "alert_versions", reason })?;
        Ok(Arc::new(alert))
    })?;
    snapshot.alerts = alerts;
    snapshot.last_alert_version = snapshot.last_alert_version.max(last_version);
    Ok(())
}

/// Appends the new alert versions, then deletes the replaced ones (versions are never reused, so the order
/// cannot delete a row just written).
pub(super) fn write(tx: &Transaction<'_>, batch: &WriteBatch) -> Result<()> {
    if !batch.alerts.is_empty() {
        let mut insert = tx.prepare_cached("INSERT INTO alert_versions (version, data) VALUES (?1, ?2)").map_err(db)?;
        let mut data = Vec::new();
        for alert in &batch.alerts {
            data.clear();
            alert_row::encode_into(alert, &mut data);
            insert.execute(params![alert.version as i64, data]).map_err(db)?;
        }
    }
    if !batch.deleted_alerts.is_empty() {
        let mut delete = tx.prepare_cached("DELETE FROM alert_versions WHERE version = ?1").map_err(db)?;
        for version in &batch.deleted_alerts {
            delete.execute([*version as i64]).map_err(db)?;
        }
    }
    Ok(())
}
