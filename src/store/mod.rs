//! Durable state: the [`Store`] trait and its SQLite implementation (the only place with SQL), and the
//! group-commit [`Persister`] that batches writes from the rest of Herald.

mod alert_row;
mod batch;
mod migrate;
mod persister;
mod postgres;
mod rows;
mod sqlite;

use std::future::Future;
use std::pin::Pin;

use crate::notify::history::{Attempt, HistoryQuery};

pub(crate) use batch::{Departure, Snapshot, WriteBatch};
pub(crate) use persister::{COMMIT_DEADLINE, CommittedAlerts, Persister};
pub(crate) use postgres::{Peer, PostgresStore};
pub(crate) use sqlite::SqliteStore;

/// Why the store failed.
#[derive(Debug, Clone, thiserror::Error)]
pub(crate) enum Error {
    /// The database refused or failed an operation.
    #[error("database: {0}")]
    Database(String),
    /// A stored row could not be read back.
    #[error("corrupt row in {table}: {reason}")]
    Corrupt {
        /// The table.
        table: &'static str,
        /// What was wrong.
        reason: String,
    },
    /// The persister has stopped (shutdown).
    #[error("the store is shut down")]
    Closed,
    /// Too many writes are waiting for the store; try again shortly.
    #[error("too many writes are waiting for the store")]
    Overloaded,
    /// The commit did not finish in time (it may still finish, or fail and be undone).
    #[error("the store did not commit within {0} s")]
    Timeout(u64),
    /// Another replica stored a conflicting change first (nothing of this one was written).
    #[error("{0}")]
    Conflict(String),
}

/// Result alias for store operations.
pub(crate) type Result<T, E = Error> = std::result::Result<T, E>;

/// A boxed future, so that [`Store`] can be used as a trait object.
pub(crate) type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A durable backend. Implementations apply each batch atomically.
pub(crate) trait Store: Send + Sync + 'static {
    /// Reads everything back (at start-up).
    fn load(&self) -> BoxFuture<'_, Result<Snapshot>>;
    /// Applies a batch in one transaction. With a `deadline`, waiting for the database (a lock another
    /// process holds) stops there, and the batch fails instead of landing after its writers were answered.
    fn apply(&self, batch: WriteBatch, deadline: Option<std::time::Instant>) -> BoxFuture<'_, Result<()>>;
    /// Writes something small, to learn whether the store takes writes again after a failure.
    fn probe(&self) -> BoxFuture<'_, Result<()>>;
    /// A page of the notification history, newest first.
    fn history(&self, query: HistoryQuery) -> BoxFuture<'_, Result<Vec<Attempt>>>;
}
