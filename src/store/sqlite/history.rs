//! The `notification_history` table: one row per delivery attempt, appended, read newest first by page.

use rusqlite::{Connection, Transaction, params};

use super::{db, to_json};
use crate::notify::history::{Attempt, HistoryQuery, Outcome};
use crate::store::alert_row::{from_micros, to_micros};
use crate::store::rows::known_reason;
use crate::store::{Error, Result, WriteBatch};

/// Appends the batch's attempts and drops what its retention let go.
pub(super) fn write(tx: &Transaction<'_>, batch: &WriteBatch) -> Result<()> {
    if let Some(before) = batch.history_before {
        tx.prepare_cached("DELETE FROM notification_history WHERE at < ?1")
            .map_err(db)?
            .execute([to_micros(before)])
            .map_err(db)?;
    }
    for attempt in &batch.history {
        tx.prepare_cached(
            "INSERT INTO notification_history (at, receiver, integration, idx, group_key, group_id, fingerprints, \
             attempt, outcome, reason, status, latency_ms, error, level, correlation_id) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
        )
        .map_err(db)?
        .execute(params![
            to_micros(attempt.at),
            attempt.receiver,
            attempt.integration,
            attempt.index as i64,
            attempt.group_key,
            attempt.group_id,
            to_json(&attempt.fingerprints),
            attempt.attempt,
            attempt.outcome.as_str(),
            attempt.reason,
            attempt.status,
            i64::try_from(attempt.latency_ms).unwrap_or(i64::MAX),
            attempt.error,
            attempt.level.map(|level| level as i64),
            attempt.correlation_id,
        ])
        .map_err(db)?;
    }
    Ok(())
}

/// A page of attempts, newest first.
pub(super) fn query(conn: &Connection, query: &HistoryQuery) -> Result<Vec<Attempt>> {
    let sql = "SELECT id, at, receiver, integration, idx, group_key, group_id, fingerprints, attempt, outcome, \
               reason, status, latency_ms, error, level, correlation_id FROM notification_history \
               WHERE (?1 IS NULL OR receiver = ?1) AND (?2 IS NULL OR group_id = ?2 OR group_key = ?2) \
               AND (?3 IS NULL OR outcome = ?3) AND (?4 IS NULL OR at >= ?4) AND (?5 IS NULL OR id < ?5) \
               ORDER BY id DESC LIMIT ?6";
    let mut statement = conn.prepare_cached(sql).map_err(db)?;
    let rows = statement
        .query_map(
            params![
                query.receiver,
                query.group,
                query.outcome.map(Outcome::as_str),
                query.since.map(to_micros),
                query.before.map(|id| i64::try_from(id).unwrap_or(i64::MAX)),
                i64::try_from(query.limit).unwrap_or(i64::MAX),
            ],
            |row| {
                let fingerprints: String = row.get(7)?;
                let outcome: String = row.get(9)?;
                let reason: Option<String> = row.get(10)?;
                Ok((
                    Attempt {
                        id: row.get::<_, i64>(0)? as u64,
                        at: from_micros(row.get(1)?),
                        receiver: row.get(2)?,
                        integration: row.get(3)?,
                        index: row.get::<_, i64>(4)? as usize,
                        group_key: row.get(5)?,
                        group_id: row.get(6)?,
                        fingerprints: Vec::new(),
                        attempt: row.get(8)?,
                        outcome: Outcome::Failed,
                        reason: None,
                        status: row.get(11)?,
                        latency_ms: row.get::<_, i64>(12)? as u64,
                        error: row.get(13)?,
                        level: row.get::<_, Option<i64>>(14)?.map(|level| level as usize),
                        correlation_id: row.get(15)?,
                    },
                    fingerprints,
                    outcome,
                    reason,
                ))
            },
        )
        .map_err(db)?;
    let mut page = Vec::new();
    for row in rows {
        let (mut attempt, fingerprints, outcome, reason) = row.map_err(db)?;
        let corrupt = |reason: String| Error::Corrupt { table: "notification_history", reason };
        attempt.fingerprints = serde_json::from_str(&fingerprints).map_err(|err| corrupt(err.to_string()))?;
        attempt.outcome = Outcome::parse(&outcome).ok_or_else(|| corrupt(format!("unknown outcome {outcome:?}")))?;
        attempt.reason = reason.as_deref().and_then(known_reason);
        page.push(attempt);
    }
    Ok(page)
}
