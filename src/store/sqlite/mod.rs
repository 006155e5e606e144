//! The embedded default backend: one SQLite file in WAL mode. A dedicated thread owns the writing connection
//! and runs each batch as one synchronous transaction; a second thread checkpoints the WAL in the background
//! (`writer`). The SQL of each table is in a module of its own.

mod alerts;
mod config_versions;
mod groups;
mod history;
mod nflog;
mod quarantine;
mod silences;
mod writer;

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use tokio::sync::{mpsc, oneshot};

use super::{BoxFuture, Error, Result, Snapshot, Store, WriteBatch};
use crate::notify::history::{Attempt, HistoryQuery};
use writer::{open_writer, serve, spawn_checkpointer};

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
    Apply(Box<WriteBatch>, Option<std::time::Instant>, oneshot::Sender<Result<()>>),
    Probe(oneshot::Sender<Result<()>>),
    History(HistoryQuery, oneshot::Sender<Result<Vec<Attempt>>>),
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

    fn apply(&self, batch: WriteBatch, deadline: Option<std::time::Instant>) -> BoxFuture<'_, Result<()>> {
        Box::pin(self.request(move |reply| Command::Apply(Box::new(batch), deadline, reply)))
    }

    fn probe(&self) -> BoxFuture<'_, Result<()>> {
        Box::pin(self.request(Command::Probe))
    }

    fn history(&self, query: HistoryQuery) -> BoxFuture<'_, Result<Vec<Attempt>>> {
        Box::pin(self.request(move |reply| Command::History(query, reply)))
    }
}

fn db(err: rusqlite::Error) -> Error {
    Error::Database(err.to_string())
}

fn corrupt(table: &'static str) -> impl Fn(rusqlite::types::FromSqlError) -> Error {
    move |err| Error::Corrupt { table, reason: err.to_string() }
}

fn to_json<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string(value).expect("maps, lists, strings, integers and times always serialize")
}

fn from_json<T: serde::de::DeserializeOwned>(table: &'static str, bytes: &[u8]) -> Result<T> {
    serde_json::from_slice(bytes).map_err(|err| Error::Corrupt { table, reason: err.to_string() })
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use chrono::{DateTime, Utc};
    use rusqlite::Connection;

    use super::*;
    use crate::alert::Alert;
    use crate::dispatch::{GroupId, GroupSnapshot, GroupState, GroupTimer};
    use crate::labels::LabelSet;
    use crate::nflog::{NflogEntry, NflogKey};
    use crate::store::alert_row::{self, from_micros};
    use crate::store::migrate;

    fn at(seconds: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000 + seconds, 123_456_000).expect("valid")
    }

    #[tokio::test]
    async fn everything_written_reads_back_after_reopening() {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = SqliteStore::open(dir.path()).await.expect("opens");
        let alert = alert_row::tests::stored_alert(9);
        let group = GroupSnapshot {
            id: GroupId(u64::MAX - 3),
            key: "{}:{alertname=\"x\"}".into(),
            labels: LabelSet::from([("alertname", "x")]),
            receiver: "hook".into(),
            timer: GroupTimer { next_flush: at(8), has_flushed: true, created_at: at(0), state: GroupState::default() },
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
        store.apply(batch, None).await.expect("applies");
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
        reopened.apply(deletes, None).await.expect("applies");
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

    #[tokio::test]
    async fn rows_that_cannot_be_read_are_quarantined_and_the_rest_loads() {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = SqliteStore::open(dir.path()).await.expect("opens");
        let alert = alert_row::tests::stored_alert(3);
        let mut batch = WriteBatch::default();
        batch.alerts.push(Arc::new(alert.clone()));
        store.apply(batch, None).await.expect("applies");
        store.close().await;

        let conn = Connection::open(dir.path().join(DATABASE_FILE)).expect("opens");
        conn.execute_batch(
            "INSERT INTO alert_versions (version, data) VALUES (10, x'00ff');
             INSERT INTO groups (id, group_key, labels, receiver, next_flush_at, has_flushed, created_at)
                 VALUES (5, 'k', 'not json', 'r', 0, 0, 0);
             INSERT INTO silences (id, matchers, starts_at, ends_at, updated_at, created_by, comment)
                 VALUES ('no-matchers', '[]', 0, 1, 0, 'me', 'refused by validation today');
             INSERT INTO nflog (group_key, receiver, integration, idx, firing, resolved, sent_at, expires_at)
                 VALUES ('k', 'r', 'webhook', 0, '[1', '[]', 0, 0);",
        )
        .expect("bad rows written");
        drop(conn);

        let reopened = SqliteStore::open(dir.path()).await.expect("starts despite the bad rows");
        let snapshot = reopened.load().await.expect("loads");
        assert_eq!(snapshot.alerts, vec![Arc::new(alert)], "the good row loads");
        assert_eq!(snapshot.quarantined, 4);
        assert_eq!(snapshot.last_alert_version, 10, "new versions continue after the unreadable one");
        assert!(snapshot.groups.is_empty() && snapshot.silences.is_empty() && snapshot.nflog.is_empty());
        reopened.close().await;

        let conn = Connection::open(dir.path().join(DATABASE_FILE)).expect("opens");
        let set_aside: Vec<(String, String)> = conn
            .prepare("SELECT source_table, row_data FROM quarantine ORDER BY id")
            .and_then(|mut statement| {
                statement.query_map([], |row| Ok((row.get(0)?, row.get(1)?)))?.collect::<rusqlite::Result<_>>()
            })
            .expect("reads the quarantine");
        let tables: Vec<&str> = set_aside.iter().map(|(table, _)| table.as_str()).collect();
        assert_eq!(tables, ["alert_versions", "groups", "nflog", "silences"]);
        assert!(set_aside[0].1.contains("\"data\":\"00ff\""), "nothing of the row is lost: {}", set_aside[0].1);
        drop(conn);
        let again = SqliteStore::open(dir.path()).await.expect("opens");
        assert_eq!(again.load().await.expect("loads").quarantined, 0, "set aside once, not at every start");
    }
}
