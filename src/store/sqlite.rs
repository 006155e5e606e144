//! The embedded default backend: one SQLite file in WAL mode. A dedicated thread owns the writing connection
//! and runs each batch as one synchronous transaction; a second thread checkpoints the WAL in the background.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, Transaction, params};
use tokio::sync::{mpsc, oneshot};

use super::alert_row::{self, from_micros, to_micros};
use super::{BoxFuture, Error, Result, Snapshot, Store, WriteBatch, migrate};
use crate::dispatch::{GroupId, GroupSnapshot, GroupTimer};
use crate::nflog::{NflogEntry, NflogKey};
use crate::silence::Silence;

/// The database file inside `--data-dir`.
pub(super) const DATABASE_FILE: &str = "herald.db";

/// How often the WAL is checkpointed into the database file, off the commit path.
const CHECKPOINT_INTERVAL: Duration = Duration::from_millis(250);

/// WAL size (in pages) past which the writer catches the checkpoint up itself. Under continuous writes the
/// background checkpoint never sees the whole WAL copied, and SQLite only starts the WAL over from the
/// beginning when it is: without this the WAL grew to 750 MB during a 1M-alert ingest. The writer copies
/// what the background pass has not (a quarter second of writes at most), and its next transaction
/// restarts the WAL.
const WAL_CATCH_UP_PAGES: i64 = 16_384;

/// The WAL file is truncated back to this size when it restarts (SQLite's `journal_size_limit`).
const WAL_KEPT_BYTES: i64 = 64 * 1024 * 1024;

/// How long a connection waits for a lock held by the other one before failing.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// What the writer thread is asked to do.
enum Command {
    Load(oneshot::Sender<Result<Snapshot>>),
    Apply(Box<WriteBatch>, oneshot::Sender<Result<()>>),
    Close(oneshot::Sender<()>),
}

/// SQLite-backed [`Store`]. Cloning is cheap; every clone talks to the same writer thread.
#[derive(Clone)]
pub(crate) struct SqliteStore {
    commands: mpsc::UnboundedSender<Command>,
    threads: Arc<Threads>,
}

/// The writer and checkpointer threads, stopped by [`SqliteStore::close`].
struct Threads {
    writer: std::sync::Mutex<Option<JoinHandle<()>>>,
    checkpointer: std::sync::Mutex<Option<JoinHandle<()>>>,
    stop_checkpoints: Arc<AtomicBool>,
}

impl SqliteStore {
    /// Opens (creating if needed) `herald.db` in `data_dir` and applies pending migrations.
    pub(crate) async fn open(data_dir: &Path) -> Result<Self> {
        std::fs::create_dir_all(data_dir)
            .map_err(|err| Error::Database(format!("cannot create {}: {err}", data_dir.display())))?;
        let path = data_dir.join(DATABASE_FILE);
        let (opened_tx, opened) = oneshot::channel();
        let (commands, inbox) = mpsc::unbounded_channel();
        let writer_path = path.clone();
        let catch_up = Arc::new(AtomicBool::new(false));
        let writer_catch_up = Arc::clone(&catch_up);
        let writer = std::thread::Builder::new()
            .name("herald-store".into())
            .spawn(move || match open_writer(&writer_path) {
                Ok(conn) => {
                    let _ = opened_tx.send(Ok(()));
                    serve(conn, inbox, &writer_catch_up);
                }
                Err(err) => {
                    let _ = opened_tx.send(Err(err));
                }
            })
            .map_err(|err| Error::Database(format!("cannot start the store thread: {err}")))?;
        opened.await.map_err(|_| Error::Closed)??;
        let stop_checkpoints = Arc::new(AtomicBool::new(false));
        let checkpointer = spawn_checkpointer(path, Arc::clone(&stop_checkpoints), catch_up)?;
        let threads = Threads {
            writer: std::sync::Mutex::new(Some(writer)),
            checkpointer: std::sync::Mutex::new(Some(checkpointer)),
            stop_checkpoints,
        };
        Ok(SqliteStore { commands, threads: Arc::new(threads) })
    }

    /// Stops the checkpointer, lets the writer finish what is queued, checkpoints the WAL completely and
    /// closes the database. Call it once every other user of the store is done.
    pub(crate) async fn close(&self) {
        self.threads.stop_checkpoints.store(true, Ordering::Relaxed);
        let checkpointer = self.threads.checkpointer.lock().ok().and_then(|mut handle| handle.take());
        let writer = self.threads.writer.lock().ok().and_then(|mut handle| handle.take());
        let (closed_tx, closed) = oneshot::channel();
        if self.commands.send(Command::Close(closed_tx)).is_ok() {
            let _ = closed.await;
        }
        let joined = tokio::task::spawn_blocking(move || {
            for handle in [checkpointer, writer].into_iter().flatten() {
                handle.thread().unpark();
                if handle.join().is_err() {
                    tracing::error!("A store thread panicked.");
                }
            }
        });
        let _ = joined.await;
    }

    async fn request<T>(&self, command: impl FnOnce(oneshot::Sender<Result<T>>) -> Command) -> Result<T> {
        let (reply, answer) = oneshot::channel();
        self.commands.send(command(reply)).map_err(|_| Error::Closed)?;
        answer.await.map_err(|_| Error::Closed)?
    }
}

impl Store for SqliteStore {
    fn load(&self) -> BoxFuture<'_, Result<Snapshot>> {
        Box::pin(self.request(Command::Load))
    }

    fn apply(&self, batch: WriteBatch) -> BoxFuture<'_, Result<()>> {
        Box::pin(self.request(move |reply| Command::Apply(Box::new(batch), reply)))
    }
}

fn open_writer(path: &Path) -> Result<Connection> {
    let mut conn = open_connection(path)?;
    // FULL: a commit is on disk before the API answers 200. The writer never checkpoints (profiling showed a
    // fifth of ingest time there); the checkpointer thread does.
    conn.execute_batch(&format!(
        "PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; PRAGMA wal_autocheckpoint = 0; \
         PRAGMA journal_size_limit = {WAL_KEPT_BYTES};"
    ))
    .map_err(db)?;
    migrate::run(&mut conn, migrate::MIGRATIONS)?;
    Ok(conn)
}

fn open_connection(path: &Path) -> Result<Connection> {
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags)
        .map_err(|err| Error::Database(format!("cannot open {}: {err}", path.display())))?;
    conn.busy_timeout(BUSY_TIMEOUT).map_err(db)?;
    let mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0)).map_err(db)?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(Error::Database(format!("{} cannot use WAL mode (got {mode})", path.display())));
    }
    Ok(conn)
}

/// The writer thread: runs commands in order until told to close or every handle is gone.
fn serve(mut conn: Connection, mut inbox: mpsc::UnboundedReceiver<Command>, catch_up: &AtomicBool) {
    while let Some(command) = inbox.blocking_recv() {
        match command {
            Command::Load(reply) => {
                let _ = reply.send(load_all(&mut conn));
            }
            Command::Apply(batch, reply) => {
                let _ = reply.send(apply_batch(&mut conn, &batch));
                if catch_up.swap(false, Ordering::Relaxed)
                    && let Err(err) = conn.execute_batch("PRAGMA wal_checkpoint(PASSIVE)")
                {
                    tracing::warn!(error = %err, "WAL checkpoint failed.");
                }
            }
            Command::Close(reply) => {
                if let Err(err) = conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE)") {
                    tracing::warn!(error = %err, "Final WAL checkpoint failed.");
                }
                if let Err((_, err)) = conn.close() {
                    tracing::warn!(error = %err, "Closing the database failed.");
                }
                let _ = reply.send(());
                return;
            }
        }
    }
}

fn spawn_checkpointer(path: PathBuf, stop: Arc<AtomicBool>, catch_up: Arc<AtomicBool>) -> Result<JoinHandle<()>> {
    let conn = open_connection(&path)?;
    std::thread::Builder::new()
        .name("herald-checkpoint".into())
        .spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                std::thread::park_timeout(CHECKPOINT_INTERVAL);
                if stop.load(Ordering::Relaxed) {
                    break;
                }
                // PASSIVE: copies what it can without blocking the writer.
                let pass = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |row| row.get::<_, i64>(1));
                match pass {
                    Ok(wal_pages) if wal_pages > WAL_CATCH_UP_PAGES => catch_up.store(true, Ordering::Relaxed),
                    Ok(_) => {}
                    Err(err) => tracing::warn!(error = %err, "WAL checkpoint failed."),
                }
            }
        })
        .map_err(|err| Error::Database(format!("cannot start the checkpoint thread: {err}")))
}

fn load_all(conn: &mut Connection) -> Result<Snapshot> {
    let mut snapshot = Snapshot::default();
    load_alerts(conn, &mut snapshot)?;
    let mut statement = conn
        .prepare("SELECT id, group_key, labels, receiver, next_flush_at, has_flushed, created_at FROM groups")
        .map_err(db)?;
    let mut rows = statement.query([]).map_err(db)?;
    while let Some(row) = rows.next().map_err(db)? {
        snapshot.groups.push(GroupSnapshot {
            id: GroupId(row.get::<_, i64>(0).map_err(db)? as u64),
            key: row.get(1).map_err(db)?,
            labels: from_json("groups", row.get_ref(2).map_err(db)?.as_bytes().map_err(corrupt("groups"))?)?,
            receiver: row.get(3).map_err(db)?,
            timer: GroupTimer {
                next_flush: from_micros(row.get(4).map_err(db)?),
                has_flushed: row.get::<_, i64>(5).map_err(db)? != 0,
                created_at: from_micros(row.get(6).map_err(db)?),
            },
        });
    }
    drop(rows);
    drop(statement);
    let mut statement = conn
        .prepare("SELECT group_key, receiver, integration, idx, firing, resolved, sent_at, expires_at FROM nflog")
        .map_err(db)?;
    let mut rows = statement.query([]).map_err(db)?;
    while let Some(row) = rows.next().map_err(db)? {
        let key = NflogKey {
            group_key: row.get(0).map_err(db)?,
            receiver: row.get(1).map_err(db)?,
            integration: row.get(2).map_err(db)?,
            index: row.get::<_, i64>(3).map_err(db)? as usize,
        };
        let hashes = |column: usize| -> Result<BTreeSet<u64>> {
            let text = row.get_ref(column).map_err(db)?.as_bytes().map_err(corrupt("nflog"))?;
            let signed: Vec<i64> = from_json("nflog", text)?;
            Ok(signed.into_iter().map(|h| h as u64).collect())
        };
        let entry = NflogEntry {
            firing: hashes(4)?,
            resolved: hashes(5)?,
            sent_at: from_micros(row.get(6).map_err(db)?),
            expires_at: from_micros(row.get(7).map_err(db)?),
        };
        snapshot.nflog.push((key, entry));
    }
    drop(rows);
    drop(statement);
    let mut statement = conn
        .prepare("SELECT id, matchers, starts_at, ends_at, updated_at, created_by, comment FROM silences")
        .map_err(db)?;
    let mut rows = statement.query([]).map_err(db)?;
    while let Some(row) = rows.next().map_err(db)? {
        let matchers = from_json("silences", row.get_ref(1).map_err(db)?.as_bytes().map_err(corrupt("silences"))?)?;
        let silence = Silence::new(
            row.get(0).map_err(db)?,
            matchers,
            from_micros(row.get(2).map_err(db)?),
            from_micros(row.get(3).map_err(db)?),
            row.get(5).map_err(db)?,
            row.get(6).map_err(db)?,
            from_micros(row.get(4).map_err(db)?),
        )
        .map_err(|reason| Error::Corrupt { table: "silences", reason })?;
        snapshot.silences.push(silence);
    }
    Ok(snapshot)
}

/// Reads every alert version, in version order.
fn load_alerts(conn: &mut Connection, snapshot: &mut Snapshot) -> Result<()> {
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

fn apply_batch(conn: &mut Connection, batch: &WriteBatch) -> Result<()> {
    if batch.is_empty() {
        return Ok(());
    }
    let tx = conn.transaction().map_err(db)?;
    write_alerts(&tx, batch)?;
    for id in &batch.deleted_groups {
        tx.prepare_cached("DELETE FROM groups WHERE id = ?1").map_err(db)?.execute([id.0 as i64]).map_err(db)?;
    }
    for group in batch.groups.values() {
        tx.prepare_cached(
            "INSERT OR REPLACE INTO groups (id, group_key, labels, receiver, next_flush_at, has_flushed, created_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        )
        .map_err(db)?
        .execute(params![
            group.id.0 as i64,
            group.key,
            to_json(&group.labels),
            group.receiver,
            to_micros(group.timer.next_flush),
            i64::from(group.timer.has_flushed),
            to_micros(group.timer.created_at),
        ])
        .map_err(db)?;
    }
    for key in &batch.deleted_nflog {
        tx.prepare_cached("DELETE FROM nflog WHERE group_key = ?1 AND receiver = ?2 AND integration = ?3 AND idx = ?4")
            .map_err(db)?
            .execute(params![key.group_key, key.receiver, key.integration, key.index as i64])
            .map_err(db)?;
    }
    for (key, entry) in &batch.nflog {
        let hashes = |set: &BTreeSet<u64>| to_json(&set.iter().map(|h| *h as i64).collect::<Vec<_>>());
        tx.prepare_cached(
            "INSERT OR REPLACE INTO nflog (group_key, receiver, integration, idx, firing, resolved, sent_at, \
             expires_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        )
        .map_err(db)?
        .execute(params![
            key.group_key,
            key.receiver,
            key.integration,
            key.index as i64,
            hashes(&entry.firing),
            hashes(&entry.resolved),
            to_micros(entry.sent_at),
            to_micros(entry.expires_at),
        ])
        .map_err(db)?;
    }
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
    tx.commit().map_err(db)
}

/// Appends the new alert versions, then deletes the replaced ones (versions are never reused, so the order
/// cannot delete a row just written).
fn write_alerts(tx: &Transaction<'_>, batch: &WriteBatch) -> Result<()> {
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

fn db(err: rusqlite::Error) -> Error {
    Error::Database(err.to_string())
}

fn corrupt(table: &'static str) -> impl Fn(rusqlite::types::FromSqlError) -> Error {
    move |err| Error::Corrupt { table, reason: err.to_string() }
}

fn to_json<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string(value).expect("maps of strings and lists of integers always serialize")
}

fn from_json<T: serde::de::DeserializeOwned>(table: &'static str, bytes: &[u8]) -> Result<T> {
    serde_json::from_slice(bytes).map_err(|err| Error::Corrupt { table, reason: err.to_string() })
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, Utc};

    use super::*;
    use crate::alert::Alert;
    use crate::labels::LabelSet;

    fn at(seconds: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000 + seconds, 123_456_000).expect("valid")
    }

    #[tokio::test]
    async fn everything_written_reads_back_after_reopening() {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = SqliteStore::open(dir.path()).await.expect("opens");
        let alert = super::alert_row::tests::stored_alert(9);
        let group = GroupSnapshot {
            id: GroupId(u64::MAX - 3),
            key: "{}:{alertname=\"x\"}".into(),
            labels: LabelSet::from([("alertname", "x")]),
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
        store.apply(batch).await.expect("applies");
        store.close().await;

        let reopened = SqliteStore::open(dir.path()).await.expect("reopens");
        let snapshot = reopened.load().await.expect("loads");
        assert_eq!(snapshot.alerts, vec![Arc::new(alert.clone())]);
        assert_eq!(snapshot.groups, vec![group.clone()]);
        assert_eq!(snapshot.nflog, vec![(key.clone(), entry)]);

        let mut deletes = WriteBatch::default();
        deletes.deleted_alerts.push(alert.version);
        deletes.deleted_groups.push(group.id);
        deletes.deleted_nflog.push(key);
        reopened.apply(deletes).await.expect("applies");
        let empty = reopened.load().await.expect("loads");
        assert!(empty.alerts.is_empty() && empty.groups.is_empty() && empty.nflog.is_empty());
    }

    #[tokio::test]
    async fn alerts_stored_by_an_earlier_release_survive_the_move_to_versioned_rows() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join(DATABASE_FILE);
        let mut old = Connection::open(&path).expect("opens");
        migrate::run(&mut old, &migrate::MIGRATIONS[..2]).expect("the first two migrations apply");
        old.execute(
            "INSERT INTO alerts (fingerprint, labels, annotations, starts_at, ends_at, updated_at, generator_url, \
             timeout) VALUES (?1, '{\"alertname\":\"Old\"}', '{\"summary\":\"kept\"}', 1, 2, 3, 'http://g', 1)",
            [crate::labels::fingerprint(&LabelSet::from([("alertname", "Old")])).0 as i64],
        )
        .expect("inserts");
        drop(old);

        let store = SqliteStore::open(dir.path()).await.expect("migrates");
        let snapshot = store.load().await.expect("loads");
        let mut expected = Alert::new(
            LabelSet::from([("alertname", "Old")]),
            LabelSet::from([("summary", "kept")]),
            from_micros(1),
            from_micros(2),
            from_micros(3),
        );
        expected.generator_url = "http://g".into();
        expected.timeout = true;
        expected.version = 1;
        assert_eq!(snapshot.alerts, vec![Arc::new(expected)]);
        assert_eq!(snapshot.last_alert_version, 1);
    }
}
