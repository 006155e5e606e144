//! The embedded default backend: one SQLite file in WAL mode, written by a single connection.

use std::collections::{BTreeSet, HashMap};
use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;

use futures_util::TryStreamExt;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Row, Sqlite, Transaction};

use super::alert_row::{self, from_micros, to_micros};
use super::{BoxFuture, Error, Result, Snapshot, Store, WriteBatch};
use crate::alert::Alert;
use crate::dispatch::{GroupId, GroupSnapshot, GroupTimer};
use crate::labels::Fingerprint;
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
        self.load_alerts(&mut snapshot).await?;
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

    /// Reads every alert version. Two versions of one alert exist only if a resolved version was collected
    /// from memory before it was notified and the alert fired again; the newer one wins and the older row is
    /// deleted, as the dispatcher would have done.
    async fn load_alerts(&self, snapshot: &mut Snapshot) -> Result<()> {
        let mut rows = sqlx::query("SELECT version, data FROM alert_versions ORDER BY version").fetch(&self.pool);
        let mut latest: HashMap<Fingerprint, usize> = HashMap::new();
        let mut stale = Vec::new();
        while let Some(row) = rows.try_next().await.map_err(db)? {
            let version = row.get::<i64, _>(0) as u64;
            snapshot.last_alert_version = snapshot.last_alert_version.max(version);
            let data: &str = row.try_get(1).map_err(db)?;
            let alert = alert_row::decode(version, data)
                .map_err(|reason| Error::Corrupt { table: "alert_versions", reason })?;
            match latest.insert(alert.fingerprint, snapshot.alerts.len()) {
                Some(older) => {
                    stale.push(snapshot.alerts[older].version);
                    snapshot.alerts[older] = alert;
                    latest.insert(snapshot.alerts[older].fingerprint, older);
                }
                None => snapshot.alerts.push(alert),
            }
        }
        drop(rows);
        if !stale.is_empty() {
            let mut tx = self.pool.begin().await.map_err(db)?;
            write_alerts(&mut tx, &[], &stale).await?;
            tx.commit().await.map_err(db)?;
        }
        Ok(())
    }

    async fn apply_batch(&self, batch: &WriteBatch) -> Result<()> {
        let mut tx = self.pool.begin().await.map_err(db)?;
        write_alerts(&mut tx, &batch.alerts, &batch.deleted_alerts).await?;
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

/// Rows per multi-row statement: one statement per few hundred alerts instead of one per alert (well under
/// SQLite's limit of 32766 bound values).
const ROWS_PER_STATEMENT: usize = 500;

/// Appends the new versions, then deletes the replaced ones (versions are never reused, so the order cannot
/// delete a row just written). No statement can fail half-way (no NOT NULL, and OR REPLACE on the key), so
/// SQLite needs no statement journal for the multi-row statements.
async fn write_alerts(tx: &mut Transaction<'_, Sqlite>, alerts: &[Arc<Alert>], deleted: &[u64]) -> Result<()> {
    for chunk in alerts.chunks(ROWS_PER_STATEMENT) {
        let mut sql = String::with_capacity(64 + chunk.len() * 8);
        sql.push_str("INSERT OR REPLACE INTO alert_versions (version, data) VALUES ");
        push_placeholders(&mut sql, chunk.len(), "(?, ?)");
        let mut query = sqlx::query(&sql);
        for alert in chunk {
            query = query.bind(alert.version as i64).bind(alert_row::encode(alert));
        }
        query.execute(&mut **tx).await.map_err(db)?;
    }
    for chunk in deleted.chunks(ROWS_PER_STATEMENT) {
        let mut sql = String::with_capacity(64 + chunk.len() * 3);
        sql.push_str("DELETE FROM alert_versions WHERE version IN (");
        push_placeholders(&mut sql, chunk.len(), "?");
        sql.push(')');
        let mut query = sqlx::query(&sql);
        for version in chunk {
            query = query.bind(*version as i64);
        }
        query.execute(&mut **tx).await.map_err(db)?;
    }
    Ok(())
}

fn push_placeholders(sql: &mut String, count: usize, one: &str) {
    for i in 0..count {
        if i > 0 {
            sql.push_str(", ");
        }
        sql.push_str(one);
    }
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

#[cfg(test)]
mod tests {
    use chrono::{DateTime, Utc};

    use super::*;
    use crate::labels::LabelSet;

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
        alert.version = 9;
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
        batch.alerts.push(Arc::new(alert.clone()));
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
        deletes.deleted_alerts.push(alert.version);
        deletes.deleted_groups.push(group.id);
        deletes.deleted_nflog.push(key);
        reopened.apply(&deletes).await.expect("applies");
        let empty = reopened.load().await.expect("loads");
        assert!(empty.alerts.is_empty() && empty.groups.is_empty() && empty.nflog.is_empty());
    }

    #[tokio::test]
    async fn alerts_stored_by_an_earlier_release_survive_the_move_to_versioned_rows() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join(DATABASE_FILE);
        let options = SqliteConnectOptions::new().filename(&path).create_if_missing(true);
        let old = SqlitePoolOptions::new().max_connections(1).connect_with(options).await.expect("opens");
        let mut before = sqlx::migrate!("./migrations");
        before.migrations = std::borrow::Cow::Owned(before.migrations[..2].to_vec());
        before.run(&old).await.expect("the first two migrations apply");
        sqlx::query(
            "INSERT INTO alerts (fingerprint, labels, annotations, starts_at, ends_at, updated_at, generator_url, \
             timeout) VALUES (?, '{\"alertname\":\"Old\"}', '{\"summary\":\"kept\"}', 1, 2, 3, 'http://g', 1)",
        )
        .bind(crate::labels::fingerprint(&LabelSet::from([("alertname".into(), "Old".into())])).0 as i64)
        .execute(&old)
        .await
        .expect("inserts");
        old.close().await;

        let store = SqliteStore::open(dir.path()).await.expect("migrates");
        let snapshot = store.load().await.expect("loads");
        let mut expected = Alert::new(
            LabelSet::from([("alertname".into(), "Old".into())]),
            LabelSet::from([("summary".into(), "kept".into())]),
            from_micros(1),
            from_micros(2),
            from_micros(3),
        );
        expected.generator_url = "http://g".into();
        expected.timeout = true;
        expected.version = 1;
        assert_eq!(snapshot.alerts, vec![expected]);
        assert_eq!(snapshot.last_alert_version, 1);
    }

    #[tokio::test]
    async fn of_two_stored_versions_of_one_alert_the_newer_is_loaded_and_the_older_deleted() {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = SqliteStore::open(dir.path()).await.expect("opens");
        let alert = Alert::new(LabelSet::from([("a".into(), "1".into())]), LabelSet::new(), at(0), at(9), at(0));
        let mut batch = WriteBatch::default();
        batch.alerts.push(Arc::new(Alert { version: 3, ..alert.clone() }));
        batch.alerts.push(Arc::new(Alert { version: 5, ends_at: at(99), ..alert.clone() }));
        store.apply(&batch).await.expect("applies");
        let snapshot = store.load().await.expect("loads");
        assert_eq!(snapshot.alerts.iter().map(|a| (a.version, a.ends_at)).collect::<Vec<_>>(), vec![(5, at(99))]);
        let rows: i64 =
            sqlx::query_scalar("SELECT count(*) FROM alert_versions").fetch_one(&store.pool).await.expect("counts");
        assert_eq!(rows, 1, "the stale row is gone");
    }
}
