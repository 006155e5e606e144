//! The shared backend for several replicas: one Postgres database, through sqlx. Every batch is one
//! transaction that also appends the batch to the change feed (`changes`), in commit order, and notifies
//! the other replicas; `cluster` has the SQL of the feed, the replicas' heartbeats and the group leases.

mod cluster;
mod history;

use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::{Postgres, Row, Transaction};

use super::rows::{Change, ConfigRow, GroupRow, NflogKeyRow, NflogRow, SilenceRow, alert_from_text, alert_text};
use super::{BoxFuture, Error, Result, Snapshot, Store, WriteBatch};
use crate::notify::history::{Attempt, HistoryQuery};

pub(crate) use cluster::Peer;

/// The channel on which each commit that changed something is announced.
pub(super) const CHANGES_CHANNEL: &str = "herald_changes";

/// The advisory lock every writing transaction takes, so that the feed's sequence numbers are handed out in
/// the order the transactions commit (a replica reading "after N" can never miss a change that commits
/// later with a smaller number).
const FEED_LOCK: i64 = 0x4845_5241_4C44;

/// Most connections one replica holds: the writer, the feed reader, the lease keeper, history reads.
const MAX_CONNECTIONS: u32 = 8;

/// How long a request waits for a connection from the pool (Postgres unreachable: fail, answer 503).
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(3);

/// Postgres-backed [`Store`]. Cloning is cheap; clones share the pool.
#[derive(Clone)]
pub(crate) struct PostgresStore {
    pool: PgPool,
    /// This process's identity among the replicas (`name#start`): written with each change so that it
    /// skips its own, and the owner of its leases. A restarted replica is a new identity.
    replica: String,
    /// The name it was given.
    name: String,
    /// Its start number.
    start: u64,
}

fn db(err: sqlx::Error) -> Error {
    Error::Database(err.to_string())
}

impl PostgresStore {
    /// Connects to `url`, applies pending migrations and takes a start number for this process, whose
    /// identity among the replicas is then `name#start`. The start number's remainder by `tags` differs
    /// from that of every replica seen in the last hour (it tells their alert versions apart).
    pub(crate) async fn open(url: &str, name: &str, tags: u64) -> Result<Self> {
        // The parser's message is not passed on: it could quote the URL, password included.
        let options = PgConnectOptions::from_str(url)
            .map_err(|_| Error::Database("the storage URL is not a valid postgres:// URL".into()))?
            // A replica that vanishes inside a transaction (its host cut off) must not keep the feed's lock, or
            // its leases' rows, for the hours TCP takes to notice: the server ends such a session itself.
            .options([("idle_in_transaction_session_timeout", "15s"), ("lock_timeout", "10s")]);
        let pool = PgPoolOptions::new()
            .max_connections(MAX_CONNECTIONS)
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .connect_with(options)
            .await
            .map_err(db)?;
        sqlx::migrate!("./migrations/postgres")
            .run(&pool)
            .await
            .map_err(|err| Error::Database(format!("migrating the database: {err}")))?;
        let mut store = PostgresStore { pool, replica: String::new(), name: name.to_string(), start: 0 };
        store.start = store.start_number(tags).await?;
        store.replica = format!("{name}#{}", store.start);
        Ok(store)
    }

    /// This process's start number.
    pub(crate) fn start(&self) -> u64 {
        self.start
    }

    /// This process's identity among the replicas (`name#start`).
    pub(crate) fn identity(&self) -> &str {
        &self.replica
    }

    /// Closes every connection.
    pub(crate) async fn close(&self) {
        self.pool.close().await;
    }

    async fn load_all(&self) -> Result<Snapshot> {
        let mut tx = self.pool.begin().await.map_err(db)?;
        // One consistent view of every table, and of where the feed stood in it.
        sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY").execute(&mut *tx).await.map_err(db)?;
        let mut snapshot = Snapshot {
            feed_position: sqlx::query("SELECT COALESCE(max(seq), 0) FROM changes")
                .fetch_one(&mut *tx)
                .await
                .and_then(|row| row.try_get::<i64, _>(0))
                .map_err(db)?,
            ..Snapshot::default()
        };
        let mut unreadable = 0;
        let mut skip = |table: &str, key: String, err: Error| {
            tracing::error!(table, key, error = %err, "A stored row cannot be read and is left out.");
            unreadable += 1;
        };
        for row in rows(&mut tx, "SELECT version, data FROM alert_versions ORDER BY version").await? {
            let version = row.try_get::<i64, _>(0).map_err(db)? as u64;
            snapshot.last_alert_version = snapshot.last_alert_version.max(version);
            match alert_from_text(version, row.try_get(1).map_err(db)?) {
                Ok(alert) => snapshot.alerts.push(alert),
                Err(err) => skip("alert_versions", version.to_string(), err),
            }
        }
        for row in rows(&mut tx, "SELECT id, data FROM groups").await? {
            match decode::<GroupRow>(&row, "groups") {
                Ok(group) => snapshot.groups.push(group.into_snapshot()),
                Err(err) => skip("groups", row.try_get::<i64, _>(0).map_err(db)?.to_string(), err),
            }
        }
        for row in rows(&mut tx, "SELECT key, data FROM nflog").await? {
            match decode::<NflogRow>(&row, "nflog") {
                Ok(entry) => snapshot.nflog.push(entry.into_entry()),
                Err(err) => skip("nflog", row.try_get(0).map_err(db)?, err),
            }
        }
        for row in rows(&mut tx, "SELECT id, data FROM silences").await? {
            match decode::<SilenceRow>(&row, "silences").and_then(SilenceRow::into_silence) {
                Ok(silence) => snapshot.silences.push(silence),
                Err(err) => skip("silences", row.try_get(0).map_err(db)?, err),
            }
        }
        for row in rows(&mut tx, "SELECT number, data FROM config_versions ORDER BY number").await? {
            match decode::<ConfigRow>(&row, "config_versions") {
                Ok(version) => snapshot.config_versions.push(version.into_version()),
                Err(err) => skip("config_versions", row.try_get::<i64, _>(0).map_err(db)?.to_string(), err),
            }
        }
        snapshot.quarantined = unreadable;
        tx.commit().await.map_err(db)?;
        Ok(snapshot)
    }

    async fn write(&self, batch: WriteBatch, deadline: Option<std::time::Instant>) -> Result<()> {
        let change = Change::encode(&batch);
        let mut tx = self.pool.begin().await.map_err(db)?;
        if let Some(deadline) = deadline {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            if left.is_zero() {
                return Err(Error::Timeout(0));
            }
            // No statement of this transaction waits past the deadline (for a lock, for the server).
            sqlx::query("SELECT set_config('statement_timeout', $1, true)")
                .bind(format!("{}ms", left.as_millis().max(1)))
                .execute(&mut *tx)
                .await
                .map_err(db)?;
        }
        if change.is_some() {
            sqlx::query("SELECT pg_advisory_xact_lock($1)").bind(FEED_LOCK).execute(&mut *tx).await.map_err(db)?;
        }
        write_alerts(&mut tx, &batch).await?;
        write_keyed(&mut tx, &batch).await?;
        history::write(&mut tx, &batch).await?;
        if let Some(body) = change {
            sqlx::query("INSERT INTO changes (replica, body) VALUES ($1, $2)")
                .bind(&self.replica)
                .bind(body)
                .execute(&mut *tx)
                .await
                .map_err(db)?;
            sqlx::query("SELECT pg_notify($1, '')").bind(CHANGES_CHANNEL).execute(&mut *tx).await.map_err(db)?;
        }
        tx.commit().await.map_err(db)
    }
}

async fn rows(tx: &mut Transaction<'_, Postgres>, sql: &'static str) -> Result<Vec<sqlx::postgres::PgRow>> {
    sqlx::query(sql).fetch_all(&mut **tx).await.map_err(db)
}

/// The row's JSON `data` (its second column).
fn decode<T: serde::de::DeserializeOwned>(row: &sqlx::postgres::PgRow, table: &'static str) -> Result<T> {
    let data: &str = row.try_get(1).map_err(db)?;
    serde_json::from_str(data).map_err(|err| Error::Corrupt { table, reason: err.to_string() })
}

/// Appends the new alert versions and deletes the replaced ones, as the SQLite store does.
async fn write_alerts(tx: &mut Transaction<'_, Postgres>, batch: &WriteBatch) -> Result<()> {
    if !batch.alerts.is_empty() {
        let versions: Vec<i64> = batch.alerts.iter().map(|alert| alert.version as i64).collect();
        let fingerprints: Vec<i64> = batch.alerts.iter().map(|alert| alert.fingerprint.0 as i64).collect();
        let data: Vec<String> = batch.alerts.iter().map(|alert| alert_text(alert)).collect();
        sqlx::query(
            "INSERT INTO alert_versions (version, fingerprint, data) \
             SELECT * FROM UNNEST($1::bigint[], $2::bigint[], $3::text[]) ON CONFLICT (version) DO NOTHING",
        )
        .bind(versions)
        .bind(fingerprints)
        .bind(data)
        .execute(&mut **tx)
        .await
        .map_err(db)?;
    }
    if !batch.deleted_alerts.is_empty() {
        let versions: Vec<i64> = batch.deleted_alerts.iter().map(|version| *version as i64).collect();
        keyed(tx, "DELETE FROM alert_versions WHERE version = ANY($1)", versions, None).await?;
    }
    Ok(())
}

/// Runs `sql` (an upsert or a delete of keyed rows) with the keys as `$1` and, for an upsert, the rows'
/// JSON as `$2`.
async fn keyed<K>(
    tx: &mut Transaction<'_, Postgres>,
    sql: &'static str,
    keys: Vec<K>,
    data: Option<Vec<String>>,
) -> Result<()>
where
    Vec<K>: for<'q> sqlx::Encode<'q, Postgres> + sqlx::Type<Postgres> + Send,
{
    let query = sqlx::query(sql).bind(keys);
    let query = match data {
        Some(data) => query.bind(data),
        None => query,
    };
    query.execute(&mut **tx).await.map(drop).map_err(db)
}

/// Deletes and upserts groups, log entries and silences, and appends config versions.
async fn write_keyed(tx: &mut Transaction<'_, Postgres>, batch: &WriteBatch) -> Result<()> {
    if !batch.deleted_groups.is_empty() {
        let ids: Vec<i64> = batch.deleted_groups.iter().map(|id| id.0 as i64).collect();
        keyed(tx, "DELETE FROM groups WHERE id = ANY($1)", ids, None).await?;
    }
    if !batch.groups.is_empty() {
        let ids: Vec<i64> = batch.groups.keys().map(|id| id.0 as i64).collect();
        let data = batch.groups.values().map(|group| json(&GroupRow::of(group))).collect();
        let sql = "INSERT INTO groups (id, data) SELECT * FROM UNNEST($1::bigint[], $2::text[]) \
                   ON CONFLICT (id) DO UPDATE SET data = excluded.data";
        keyed(tx, sql, ids, Some(data)).await?;
    }
    if !batch.deleted_nflog.is_empty() {
        let keys: Vec<String> = batch.deleted_nflog.iter().map(NflogKeyRow::text).collect();
        keyed(tx, "DELETE FROM nflog WHERE key = ANY($1)", keys, None).await?;
    }
    if !batch.nflog.is_empty() {
        let keys: Vec<String> = batch.nflog.keys().map(NflogKeyRow::text).collect();
        let data = batch.nflog.iter().map(|(key, entry)| json(&NflogRow::of(key, entry))).collect();
        let sql = "INSERT INTO nflog (key, data) SELECT * FROM UNNEST($1::text[], $2::text[]) \
                   ON CONFLICT (key) DO UPDATE SET data = excluded.data";
        keyed(tx, sql, keys, Some(data)).await?;
    }
    if !batch.deleted_silences.is_empty() {
        keyed(tx, "DELETE FROM silences WHERE id = ANY($1)", batch.deleted_silences.clone(), None).await?;
    }
    if !batch.silences.is_empty() {
        let ids: Vec<String> = batch.silences.keys().cloned().collect();
        let data = batch.silences.values().map(|silence| json(&SilenceRow::of(silence))).collect();
        let sql = "INSERT INTO silences (id, data) SELECT * FROM UNNEST($1::text[], $2::text[]) \
                   ON CONFLICT (id) DO UPDATE SET data = excluded.data";
        keyed(tx, sql, ids, Some(data)).await?;
    }
    for version in &batch.config_versions {
        // A number another replica took first fails the whole change: two configs applied at once on two
        // replicas cannot both be version N.
        sqlx::query("INSERT INTO config_versions (number, data) VALUES ($1, $2)")
            .bind(version.number as i64)
            .bind(json(&ConfigRow::of(version)))
            .execute(&mut **tx)
            .await
            .map_err(|err| match err {
                sqlx::Error::Database(failure) if failure.is_unique_violation() => Error::Conflict(format!(
                    "config version {} was recorded by another replica at the same moment; send the change again",
                    version.number
                )),
                other => db(other),
            })?;
    }
    Ok(())
}

/// A row's JSON `data`.
fn json<T: serde::Serialize>(row: &T) -> String {
    serde_json::to_string(row).expect("rows of strings, integers and times always serialize")
}

impl Store for PostgresStore {
    fn load(&self) -> BoxFuture<'_, Result<Snapshot>> {
        Box::pin(self.load_all())
    }

    fn apply(&self, batch: WriteBatch, deadline: Option<std::time::Instant>) -> BoxFuture<'_, Result<()>> {
        Box::pin(self.write(batch, deadline))
    }

    fn probe(&self) -> BoxFuture<'_, Result<()>> {
        Box::pin(async move {
            sqlx::query(
                "INSERT INTO store_probe (id, written_at) VALUES (1, $1) \
                 ON CONFLICT (id) DO UPDATE SET written_at = excluded.written_at",
            )
            .bind(chrono::Utc::now().timestamp_micros())
            .execute(&self.pool)
            .await
            .map(drop)
            .map_err(db)
        })
    }

    fn history(&self, query: HistoryQuery) -> BoxFuture<'_, Result<Vec<Attempt>>> {
        Box::pin(history::query(&self.pool, query))
    }
}
