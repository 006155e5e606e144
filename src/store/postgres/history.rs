//! The `notification_history` table in Postgres: appended with each batch, read newest first by page.

use sqlx::postgres::PgPool;
use sqlx::{Postgres, Row, Transaction};

use super::db;
use crate::notify::history::{Attempt, HistoryQuery, Outcome};
use crate::store::alert_row::{from_micros, to_micros};
use crate::store::rows::known_reason;
use crate::store::{Error, Result, WriteBatch};

/// Appends the batch's attempts and drops what its retention let go.
pub(super) async fn write(tx: &mut Transaction<'_, Postgres>, batch: &WriteBatch) -> Result<()> {
    if let Some(before) = batch.history_before {
        sqlx::query("DELETE FROM notification_history WHERE at < $1")
            .bind(to_micros(before))
            .execute(&mut **tx)
            .await
            .map_err(db)?;
    }
    for attempt in &batch.history {
        sqlx::query(
            "INSERT INTO notification_history (at, receiver, integration, idx, group_key, group_id, fingerprints, \
             attempt, outcome, reason, status, latency_ms, error, level, correlation_id) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
        )
        .bind(to_micros(attempt.at))
        .bind(&attempt.receiver)
        .bind(&attempt.integration)
        .bind(attempt.index as i64)
        .bind(&attempt.group_key)
        .bind(&attempt.group_id)
        .bind(serde_json::to_string(&attempt.fingerprints).unwrap_or_else(|_| "[]".into()))
        .bind(i64::from(attempt.attempt))
        .bind(attempt.outcome.as_str())
        .bind(attempt.reason)
        .bind(attempt.status.map(i32::from))
        .bind(i64::try_from(attempt.latency_ms).unwrap_or(i64::MAX))
        .bind(&attempt.error)
        .bind(attempt.level.map(|level| level as i64))
        .bind(&attempt.correlation_id)
        .execute(&mut **tx)
        .await
        .map_err(db)?;
    }
    Ok(())
}

/// A page of attempts, newest first.
pub(super) async fn query(pool: &PgPool, query: HistoryQuery) -> Result<Vec<Attempt>> {
    let sql = "SELECT id, at, receiver, integration, idx, group_key, group_id, fingerprints, attempt, outcome, \
               reason, status, latency_ms, error, level, correlation_id FROM notification_history \
               WHERE ($1::text IS NULL OR receiver = $1) AND ($2::text IS NULL OR group_id = $2 OR group_key = $2) \
               AND ($3::text IS NULL OR outcome = $3) AND ($4::bigint IS NULL OR at >= $4) \
               AND ($5::bigint IS NULL OR id < $5) ORDER BY id DESC LIMIT $6";
    let rows = sqlx::query(sql)
        .bind(&query.receiver)
        .bind(&query.group)
        .bind(query.outcome.map(Outcome::as_str))
        .bind(query.since.map(to_micros))
        .bind(query.before.map(|id| i64::try_from(id).unwrap_or(i64::MAX)))
        .bind(i64::try_from(query.limit).unwrap_or(i64::MAX))
        .fetch_all(pool)
        .await
        .map_err(db)?;
    let corrupt = |reason: String| Error::Corrupt { table: "notification_history", reason };
    let mut page = Vec::with_capacity(rows.len());
    for row in rows {
        let fingerprints: String = row.try_get(7).map_err(db)?;
        let outcome: String = row.try_get(9).map_err(db)?;
        let reason: Option<String> = row.try_get(10).map_err(db)?;
        page.push(Attempt {
            id: row.try_get::<i64, _>(0).map_err(db)? as u64,
            at: from_micros(row.try_get(1).map_err(db)?),
            receiver: row.try_get(2).map_err(db)?,
            integration: row.try_get(3).map_err(db)?,
            index: row.try_get::<i64, _>(4).map_err(db)? as usize,
            group_key: row.try_get(5).map_err(db)?,
            group_id: row.try_get(6).map_err(db)?,
            fingerprints: serde_json::from_str(&fingerprints).map_err(|err| corrupt(err.to_string()))?,
            attempt: u32::try_from(row.try_get::<i64, _>(8).map_err(db)?).unwrap_or(u32::MAX),
            outcome: Outcome::parse(&outcome).ok_or_else(|| corrupt(format!("unknown outcome {outcome:?}")))?,
            reason: reason.as_deref().and_then(known_reason),
            status: row.try_get::<Option<i32>, _>(11).map_err(db)?.and_then(|status| u16::try_from(status).ok()),
            latency_ms: row.try_get::<i64, _>(12).map_err(db)? as u64,
            error: row.try_get(13).map_err(db)?,
            level: row.try_get::<Option<i64>, _>(14).map_err(db)?.map(|level| level as usize),
            correlation_id: row.try_get(15).map_err(db)?,
        });
    }
    Ok(page)
}
