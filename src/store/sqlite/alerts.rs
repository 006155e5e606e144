//! The `alert_versions` table: one row per stored version of an alert, keyed by its increasing version.

use std::sync::Arc;

use rusqlite::{Connection, Transaction, params};

use super::{corrupt, db};
use crate::store::alert_row;
use crate::store::{Error, Result, Snapshot, WriteBatch};

/// Reads every alert version, in version order.
pub(super) fn load(conn: &Connection, snapshot: &mut Snapshot) -> Result<()> {
    {
        let mut statement = conn.prepare("SELECT version, data FROM alert_versions ORDER BY version").map_err(db)?;
        let mut rows = statement.query([]).map_err(db)?;
        while let Some(row) = rows.next().map_err(db)? {
            let version = row.get::<_, i64>(0).map_err(db)? as u64;
            snapshot.last_alert_version = snapshot.last_alert_version.max(version);
            let data = row.get_ref(1).map_err(db)?.as_bytes().map_err(corrupt("alert_versions"))?;
            let alert = alert_row::decode(version, data)
                .map_err(|reason| Error::Corrupt { table: "alert_versions", reason })?;
            snapshot.alerts.push(Arc::new(alert));
        }
    }
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
