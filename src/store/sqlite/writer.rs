//! The threads that own SQLite connections: the writer, which runs every load and batch in order, and the
//! checkpointer, which copies the WAL into the database file off the commit path.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;

use rusqlite::{Connection, OpenFlags};
use tokio::sync::mpsc;

use super::{
    BUSY_TIMEOUT, CHECKPOINT_INTERVAL, Command, WAL_CATCH_UP_PAGES, WAL_KEPT_BYTES, alerts, config_versions, db,
    groups, history, nflog, quarantine, silences,
};
use crate::store::{Error, Result, Snapshot, WriteBatch, migrate};

pub(super) fn open_writer(path: &Path) -> Result<Connection> {
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

pub(super) fn open_connection(path: &Path) -> Result<Connection> {
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
pub(super) fn serve(mut conn: Connection, mut inbox: mpsc::UnboundedReceiver<Command>, catch_up: &AtomicBool) {
    while let Some(command) = inbox.blocking_recv() {
        match command {
            Command::Load(reply) => {
                let _ = reply.send(load_all(&mut conn));
            }
            Command::Apply(batch, deadline, reply) => {
                let _ = reply.send(apply_batch(&mut conn, &batch, deadline));
                if catch_up.swap(false, Ordering::Relaxed)
                    && let Err(err) = conn.execute_batch("PRAGMA wal_checkpoint(PASSIVE)")
                {
                    tracing::warn!(error = %err, "WAL checkpoint failed.");
                }
            }
            Command::History(query, reply) => {
                let _ = reply.send(history::query(&conn, &query));
            }
            Command::Probe(reply) => {
                let _ = reply.send(probe(&mut conn));
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

pub(super) fn spawn_checkpointer(
    path: PathBuf,
    stop: Arc<AtomicBool>,
    catch_up: Arc<AtomicBool>,
) -> Result<JoinHandle<()>> {
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

/// Reads everything back; rows that cannot be read are moved to the quarantine table.
fn load_all(conn: &mut Connection) -> Result<Snapshot> {
    let mut snapshot = Snapshot::default();
    let mut quarantined = Vec::new();
    alerts::load(conn, &mut snapshot, &mut quarantined)?;
    snapshot.groups = groups::load(conn, &mut quarantined)?;
    snapshot.nflog = nflog::load(conn, &mut quarantined)?;
    snapshot.silences = silences::load(conn, &mut quarantined)?;
    snapshot.config_versions = config_versions::load(conn, &mut quarantined)?;
    quarantine::set_aside(conn, &quarantined)?;
    snapshot.quarantined = quarantined.len();
    Ok(snapshot)
}

/// Rewrites the probe row in a transaction of its own: it fails as a real write would (a held lock, a full
/// disk).
fn probe(conn: &mut Connection) -> Result<()> {
    let tx = conn.transaction().map_err(db)?;
    let now = chrono::Utc::now().timestamp_micros();
    tx.execute("INSERT OR REPLACE INTO store_probe (id, written_at) VALUES (1, ?1)", [now]).map_err(db)?;
    tx.commit().map_err(db)
}

/// Applies a batch in one transaction, waiting for a lock at most until `deadline`.
fn apply_batch(conn: &mut Connection, batch: &WriteBatch, deadline: Option<std::time::Instant>) -> Result<()> {
    if batch.is_empty() {
        return Ok(());
    }
    let wait = deadline.map_or(BUSY_TIMEOUT, |at| at.saturating_duration_since(std::time::Instant::now()));
    if wait.is_zero() {
        return Err(Error::Timeout(0));
    }
    conn.busy_timeout(wait.min(BUSY_TIMEOUT)).map_err(db)?;
    let result = write_batch(conn, batch);
    // Back to the usual wait for what comes next (a probe, a load, the final checkpoint).
    conn.busy_timeout(BUSY_TIMEOUT).map_err(db)?;
    result
}

fn write_batch(conn: &mut Connection, batch: &WriteBatch) -> Result<()> {
    let tx = conn.transaction().map_err(db)?;
    alerts::write(&tx, batch)?;
    groups::write(&tx, batch)?;
    nflog::write(&tx, batch)?;
    silences::write(&tx, batch)?;
    config_versions::write(&tx, batch)?;
    history::write(&tx, batch)?;
    tx.commit().map_err(db)
}
