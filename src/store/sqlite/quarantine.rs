//! Reading rows back at start-up without letting one bad row stop Herald: a row that cannot be read is moved
//! to the `quarantine` table (all its columns, and why), logged and counted, and the rest loads.

use std::fmt::Write as _;

use rusqlite::types::ValueRef;
use rusqlite::{Connection, Row, params};

use super::db;
use crate::store::{Error, Result};

/// A row set aside.
pub(super) struct Quarantined {
    table: &'static str,
    rowid: i64,
    data: String,
    reason: String,
}

/// Reads every row `sql` selects from `table` (its first column must be `rowid`), turning each into a `T`
/// with `parse`, which sees the row's other columns from index 1. Rows `parse` refuses go to `quarantined`.
pub(super) fn load_rows<T>(
    conn: &Connection,
    table: &'static str,
    sql: &str,
    quarantined: &mut Vec<Quarantined>,
    mut parse: impl FnMut(&Row<'_>) -> Result<T>,
) -> Result<Vec<T>> {
    let mut out = Vec::new();
    let mut statement = conn.prepare(sql).map_err(db)?;
    let columns = statement.column_count();
    let mut rows = statement.query([]).map_err(db)?;
    while let Some(row) = rows.next().map_err(db)? {
        match parse(row) {
            Ok(item) => out.push(item),
            Err(err) => quarantined.push(Quarantined {
                table,
                rowid: row.get(0).map_err(db)?,
                data: row_json(row, columns),
                reason: err.to_string(),
            }),
        }
    }
    Ok(out)
}

/// Moves the rows set aside to the `quarantine` table, in one transaction, and logs each.
pub(super) fn set_aside(conn: &mut Connection, quarantined: &[Quarantined]) -> Result<()> {
    if quarantined.is_empty() {
        return Ok(());
    }
    let now = chrono::Utc::now().timestamp_micros();
    let tx = conn.transaction().map_err(db)?;
    for row in quarantined {
        tracing::error!(table = row.table, rowid = row.rowid, reason = %row.reason, "A stored row cannot be read; it is moved to the quarantine table.");
        tx.execute(
            "INSERT INTO quarantine (source_table, row_key, row_data, reason, quarantined_at) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![row.table, row.rowid.to_string(), row.data, row.reason, now],
        )
        .map_err(db)?;
        // The table name is one of Herald's own, never input.
        tx.execute(&format!("DELETE FROM {} WHERE rowid = ?1", row.table), [row.rowid]).map_err(db)?;
    }
    tx.commit().map_err(db)
}

/// The row's columns as a JSON object (blobs in hex), so that nothing of it is lost.
fn row_json(row: &Row<'_>, columns: usize) -> String {
    let mut object = serde_json::Map::new();
    for column in 1..columns {
        let name = row.as_ref().column_name(column).map_or_else(|_| column.to_string(), str::to_string);
        let value = match row.get_ref(column) {
            Ok(ValueRef::Null) | Err(_) => serde_json::Value::Null,
            Ok(ValueRef::Integer(n)) => serde_json::json!(n),
            Ok(ValueRef::Real(x)) => serde_json::json!(x),
            Ok(ValueRef::Text(text)) => serde_json::json!(String::from_utf8_lossy(text)),
            Ok(ValueRef::Blob(bytes)) => {
                let mut hex = String::with_capacity(bytes.len() * 2);
                for byte in bytes {
                    let _ = write!(hex, "{byte:02x}");
                }
                serde_json::json!(hex)
            }
        };
        object.insert(name, value);
    }
    serde_json::Value::Object(object).to_string()
}

/// Maps a row-level read failure to the table it came from.
pub(super) fn unreadable(table: &'static str) -> impl Fn(rusqlite::Error) -> Error {
    move |err| Error::Corrupt { table, reason: err.to_string() }
}
