//! The embedded default backend: one SQLite file in WAL mode, written by a single connection.

use std::collections::BTreeSet;
use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Row, Sqlite, Transaction};

use super::{BoxFuture, Error, Result, Snapshot, Store, WriteBatch};
use crate::alert::Alert;
use crate::dispatch::{GroupId, GroupSnapshot, GroupTimer};
use crate::labels::{Fingerprint, LabelSet};
use crate::nflog::{NflogEntry, NflogKey};
use crate::silence::Silence;

/// The database file inside `--data-dir`.
pub const DATABASE_FILE: &str = "herald.db";

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// How often the WAL is checkpointed into the database file, off the commit path.
const CHECKPOINT_INTERVAL: std::time::Duration = std::time::Duration::from_secs(1);

/// SQLite-backed [`Store`].
#[derive(Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
    /// A second connection that checkpoints the WAL in the background, so that commits do not pay for it.
    checkpointer: SqlitePool,
}

impl SqliteStore {
    /// Opens (creating if needed) `herald.db` in `data_dir` and applies pending migrations.
    pub async fn open(data_dir: &Path) -> Result<Self> {
        std::fs::create_dir_all(data_dir)
            .map_err(|err| Error::Database(format!("cannot create {}: {err}", data_dir.display())))?;
        let options = SqliteConnectOptions::from_str("sqlite://")
            .map_err(db)?
            .filename(data_dir.join(DATABASE_FILE))
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // FULL: a commit is on disk before the API answers 200.
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true);
        // The writer never checkpoints (profiling showed a fifth of ingest time there); the checkpointer does.
        let writer_options = options.clone().pragma("wal_autocheckpoint", "0");
        let pool = SqlitePoolOptions::new().max_connections(1).connect_with(writer_options).await.map_err(db)?;
        MIGRATOR.run(&pool).await.map_err(|err| Error::Database(format!("migrations: {err}")))?;
        let checkpointer = SqlitePoolOptions::new().max_connections(1).connect_with(options).await.map_err(db)?;
        let background = checkpointer.clone();
        tokio::spawn(async move {
            let mut ticks = tokio::time::interval(CHECKPOINT_INTERVAL);
            while !background.is_closed() {
                ticks.tick().await;
                // PASSIVE: copies what it can without blocking the writer.
                if let Err(err) = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)").execute(&background).await
                    && !background.is_closed()
                {
                    tracing::warn!(error = %err, "WAL checkpoint failed.");
                }
            }
        });
        Ok(SqliteStore { pool, checkpointer })
    }

    /// Checkpoints the WAL completely and closes the connections.
    pub async fn close(&self) {
        if let Err(err) = sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)").execute(&self.pool).await {
            tracing::warn!(error = %err, "Final WAL checkpoint failed.");
        }
        self.checkpointer.close().await;
        self.pool.close().await;
    }

    async fn load_all(&self) -> Result<Snapshot> {
        let mut snapshot = Snapshot::default();
        let rows = sqlx::query(
            "SELECT fingerprint, labels, annotations, starts_at, ends_at, updated_at, generator_url, timeout FROM alerts",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(db)?;
        for row in rows {
            let labels: LabelSet = from_json("alerts", row.get("labels"))?;
            let mut alert = Alert::new(
                labels,
                from_json("alerts", row.get("annotations"))?,
                from_micros(row.get("starts_at")),
                from_micros(row.get("ends_at")),
                from_micros(row.get("updated_at")),
            );
            alert.generator_url = row.get("generator_url");
            alert.timeout = row.get::<i64, _>("timeout") != 0;
            let stored = Fingerprint(row.get::<i64, _>("fingerprint") as u64);
            if stored != alert.fingerprint {
                return Err(Error::Corrupt {
                    table: "alerts",
                    reason: format!("fingerprint {stored} does not match its labels"),
                });
            }
            snapshot.alerts.push(alert);
        }
        let rows =
            sqlx::query("SELECT id, group_key, labels, receiver, next_flush_at, has_flushed, created_at FROM groups")
                .fetch_all(&self.pool)
                .await
                .map_err(db)?;
        for row in rows {
            snapshot.groups.push(GroupSnapshot {
                id: GroupId(row.get::<i64, _>("id") as u64),
                key: row.get("group_key"),
                labels: from_json("groups", row.get("labels"))?,
                receiver: row.get("receiver"),
                timer: GroupTimer {
                    next_flush: from_micros(row.get("next_flush_at")),
                    has_flushed: row.get::<i64, _>("has_flushed") != 0,
                    created_at: from_micros(row.get("created_at")),
                },
            });
        }
        let rows = sqlx::query(
            "SELECT group_key, receiver, integration, idx, firing, resolved, sent_at, expires_at FROM nflog",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(db)?;
        for row in rows {
            let key = NflogKey {
                group_key: row.get("group_key"),
                receiver: row.get("receiver"),
                integration: row.get("integration"),
                index: row.get::<i64, _>("idx") as usize,
            };
            let hashes = |column: &str| -> Result<BTreeSet<u64>> {
                let signed: Vec<i64> = from_json("nflog", row.get(column))?;
                Ok(signed.into_iter().map(|h| h as u64).collect())
            };
            let entry = NflogEntry {
                firing: hashes("firing")?,
                resolved: hashes("resolved")?,
                sent_at: from_micros(row.get("sent_at")),
                expires_at: from_micros(row.get("expires_at")),
            };
            snapshot.nflog.push((key, entry));
        }
        let rows =
            sqlx::query("SELECT id, matchers, starts_at, ends_at, updated_at, created_by, comment FROM silences")
                .fetch_all(&self.pool)
                .await
                .map_err(db)?;
        for row in rows {
            let silence = Silence::new(
                row.get("id"),
                from_json("silences", row.get("matchers"))?,
                from_micros(row.get("starts_at")),
                from_micros(row.get("ends_at")),
                row.get("created_by"),
                row.get("comment"),
                from_micros(row.get("updated_at")),
            )
            .map_err(|reason| Error::Corrupt { table: "silences", reason })?;
            snapshot.silences.push(silence);
        }
        Ok(snapshot)
    }

    async fn apply_batch(&self, batch: &WriteBatch) -> Result<()> {
        let mut tx = self.pool.begin().await.map_err(db)?;
        // Deletes first: a batch may delete a row and then write it again.
        for (fingerprint, version) in &batch.deleted_alerts {
            sqlx::query("DELETE FROM alerts WHERE fingerprint = ? AND updated_at = ?")
                .bind(fingerprint.0 as i64)
                .bind(to_micros(*version))
                .execute(&mut *tx)
                .await
                .map_err(db)?;
        }
        let alerts: Vec<&Arc<Alert>> = batch.alerts.values().collect();
        for chunk in alerts.chunks(ALERTS_PER_STATEMENT) {
            upsert_alerts(&mut tx, chunk).await?;
        }
        for id in &batch.deleted_groups {
            sqlx::query("DELETE FROM groups WHERE id = ?").bind(id.0 as i64).execute(&mut *tx).await.map_err(db)?;
        }
        for group in batch.groups.values() {
            sqlx::query(
                "INSERT INTO groups (id, group_key, labels, receiver, next_flush_at, has_flushed, created_at) \
                 VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET group_key = excluded.group_key, \
                 labels = excluded.labels, receiver = excluded.receiver, next_flush_at = excluded.next_flush_at, \
                 has_flushed = excluded.has_flushed, created_at = excluded.created_at",
            )
            .bind(group.id.0 as i64)
            .bind(&group.key)
            .bind(to_json(&group.labels))
            .bind(&group.receiver)
            .bind(to_micros(group.timer.next_flush))
            .bind(i64::from(group.timer.has_flushed))
            .bind(to_micros(group.timer.created_at))
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        }
        for key in &batch.deleted_nflog {
            sqlx::query("DELETE FROM nflog WHERE group_key = ? AND receiver = ? AND integration = ? AND idx = ?")
                .bind(&key.group_key)
                .bind(&key.receiver)
                .bind(&key.integration)
                .bind(key.index as i64)
                .execute(&mut *tx)
                .await
                .map_err(db)?;
        }
        for (key, entry) in &batch.nflog {
            let hashes = |set: &BTreeSet<u64>| to_json(&set.iter().map(|h| *h as i64).collect::<Vec<_>>());
            sqlx::query(
                "INSERT INTO nflog (group_key, receiver, integration, idx, firing, resolved, sent_at, expires_at) \
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (group_key, receiver, integration, idx) DO UPDATE SET \
                 firing = excluded.firing, resolved = excluded.resolved, sent_at = excluded.sent_at, \
                 expires_at = excluded.expires_at",
            )
            .bind(&key.group_key)
            .bind(&key.receiver)
            .bind(&key.integration)
            .bind(key.index as i64)
            .bind(hashes(&entry.firing))
            .bind(hashes(&entry.resolved))
            .bind(to_micros(entry.sent_at))
            .bind(to_micros(entry.expires_at))
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        }
        for id in &batch.deleted_silences {
            sqlx::query("DELETE FROM silences WHERE id = ?").bind(id).execute(&mut *tx).await.map_err(db)?;
        }
        for silence in batch.silences.values() {
            sqlx::query(
                "INSERT INTO silences (id, matchers, starts_at, ends_at, updated_at, created_by, comment) \
                 VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET matchers = excluded.matchers, \
                 starts_at = excluded.starts_at, ends_at = excluded.ends_at, updated_at = excluded.updated_at, \
                 created_by = excluded.created_by, comment = excluded.comment",
            )
            .bind(&silence.id)
            .bind(to_json(&silence.matchers))
            .bind(to_micros(silence.starts_at))
            .bind(to_micros(silence.ends_at))
            .bind(to_micros(silence.updated_at))
            .bind(&silence.created_by)
            .bind(&silence.comment)
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        }
        tx.commit().await.map_err(db)
    }
}

/// Rows per multi-row INSERT: one statement per few hundred alerts instead of one per alert (8 bound values
/// each, well under SQLite's limit of 32766).
const ALERTS_PER_STATEMENT: usize = 500;

async fn upsert_alerts(tx: &mut Transaction<'_, Sqlite>, alerts: &[&Arc<Alert>]) -> Result<()> {
    let mut sql = String::from(
        "INSERT INTO alerts (fingerprint, labels, annotations, starts_at, ends_at, updated_at, generator_url, timeout) VALUES ",
    );
    for i in 0..alerts.len() {
        sql.push_str(if i == 0 { "(?, ?, ?, ?, ?, ?, ?, ?)" } else { ", (?, ?, ?, ?, ?, ?, ?, ?)" });
    }
    sql.push_str(
        " ON CONFLICT (fingerprint) DO UPDATE SET labels = excluded.labels, annotations = excluded.annotations, \
         starts_at = excluded.starts_at, ends_at = excluded.ends_at, updated_at = excluded.updated_at, \
         generator_url = excluded.generator_url, timeout = excluded.timeout",
    );
    let mut query = sqlx::query(&sql);
    for alert in alerts {
        query = query
            .bind(alert.fingerprint.0 as i64)
            .bind(to_json(&alert.labels))
            .bind(to_json(&alert.annotations))
            .bind(to_micros(alert.starts_at))
            .bind(to_micros(alert.ends_at))
            .bind(to_micros(alert.updated_at))
            .bind(alert.generator_url.as_str())
            .bind(i64::from(alert.timeout));
    }
    query.execute(&mut **tx).await.map_err(db)?;
    Ok(())
}

impl Store for SqliteStore {
    fn load(&self) -> BoxFuture<'_, Result<Snapshot>> {
        Box::pin(self.load_all())
    }

    fn apply<'a>(&'a self, batch: &'a WriteBatch) -> BoxFuture<'a, Result<()>> {
        Box::pin(self.apply_batch(batch))
    }
}

fn db(err: sqlx::Error) -> Error {
    Error::Database(err.to_string())
}

fn to_json<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string(value).expect("maps of strings and lists of integers always serialize")
}

fn from_json<T: serde::de::DeserializeOwned>(table: &'static str, text: String) -> Result<T> {
    serde_json::from_str(&text).map_err(|err| Error::Corrupt { table, reason: err.to_string() })
}

fn to_micros(time: DateTime<Utc>) -> i64 {
    time.timestamp_micros()
}

fn from_micros(micros: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_micros(micros).unwrap_or(DateTime::<Utc>::MAX_UTC)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(seconds: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000 + seconds, 123_456_000).expect("valid")
    }

    #[tokio::test]
    async fn everything_written_reads_back_after_reopening() {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = SqliteStore::open(dir.path()).await.expect("opens");
        let mut alert = Alert::new(
            LabelSet::from([("alertname".into(), "Disk \"full\"".into())]),
            LabelSet::from([("summary".into(), "ünïcode".into())]),
            at(0),
            at(300),
            at(1),
        );
        alert.generator_url = "http://prom/graph".into();
        alert.timeout = true;
        let group = GroupSnapshot {
            id: GroupId(u64::MAX - 3),
            key: "{}:{alertname=\"x\"}".into(),
            labels: LabelSet::from([("alertname".into(), "x".into())]),
            receiver: "hook".into(),
            timer: GroupTimer { next_flush: at(8), has_flushed: true, created_at: at(0) },
        };
        let key =
            NflogKey { group_key: group.key.clone(), receiver: "hook".into(), integration: "webhook".into(), index: 0 };
        let entry = NflogEntry {
            firing: BTreeSet::from([u64::MAX, 1]),
            resolved: BTreeSet::new(),
            sent_at: at(2),
            expires_at: at(7202),
        };
        let mut batch = WriteBatch::default();
        batch.alerts.insert(alert.fingerprint, Arc::new(alert.clone()));
        batch.groups.insert(group.id, group.clone());
        batch.nflog.insert(key.clone(), entry.clone());
        store.apply(&batch).await.expect("applies");
        store.close().await;

        let reopened = SqliteStore::open(dir.path()).await.expect("reopens");
        let snapshot = reopened.load().await.expect("loads");
        assert_eq!(snapshot.alerts, vec![alert.clone()]);
        assert_eq!(snapshot.groups, vec![group.clone()]);
        assert_eq!(snapshot.nflog, vec![(key.clone(), entry)]);

        let mut deletes = WriteBatch::default();
        deletes.deleted_alerts.push((alert.fingerprint, alert.updated_at));
        deletes.deleted_groups.push(group.id);
        deletes.deleted_nflog.push(key);
        reopened.apply(&deletes).await.expect("applies");
        let empty = reopened.load().await.expect("loads");
        assert!(empty.alerts.is_empty() && empty.groups.is_empty() && empty.nflog.is_empty());
    }
}
