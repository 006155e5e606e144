//! Durable state: the [`Store`] trait and its SQLite implementation (the only place with SQL), and the
//! group-commit [`Persister`] that batches writes from the rest of Herald.

mod alert_row;
mod batch;
mod migrate;
mod persister;
mod sqlite;

use std::future::Future;
use std::pin::Pin;

pub(crate) use batch::{Snapshot, WriteBatch};
pub(crate) use persister::Persister;
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
}

/// Result alias for store operations.
pub(crate) type Result<T, E = Error> = std::result::Result<T, E>;

/// A boxed future, so that [`Store`] can be used as a trait object.
pub(crate) type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A durable backend. Implementations apply each batch atomically.
pub(crate) trait Store: Send + Sync + 'static {
    /// Reads everything back (at start-up).
    fn load(&self) -> BoxFuture<'_, Result<Snapshot>>;
    /// Applies a batch in one transaction.
    fn apply(&self, batch: WriteBatch) -> BoxFuture<'_, Result<()>>;
}
