//! Group commit: writes from every request and from the dispatcher are queued, folded into one batch and
//! committed in one transaction; each waiting writer is told once its data is on disk. Alerts are handed
//! on (to the dispatcher) in commit order, after their commit.

use std::sync::Arc;

use tokio::sync::{mpsc, oneshot};

use super::{Error, Result, Store, WriteBatch};
use crate::alert::Alert;

/// Most queued writes folded into one transaction, to bound its size and latency.
const MAX_WRITES_PER_COMMIT: usize = 256;

/// Alerts that were committed, in commit order.
pub(crate) type CommittedAlerts = mpsc::UnboundedSender<Vec<Arc<Alert>>>;

type Ack = oneshot::Sender<Result<()>>;

/// Handle to the writer task. Cloning is cheap.
#[derive(Clone)]
pub(crate) struct Persister {
    queue: mpsc::UnboundedSender<(WriteBatch, Option<Ack>)>,
}

impl Persister {
    /// Starts the writer task over `store`. Committed alerts go to `committed`. The task ends once every
    /// handle is dropped and the queue is drained.
    pub(crate) fn spawn(store: Arc<dyn Store>, committed: CommittedAlerts) -> (Persister, tokio::task::JoinHandle<()>) {
        let (queue, inbox) = mpsc::unbounded_channel();
        let task = tokio::spawn(run(store, inbox, committed));
        (Persister { queue }, task)
    }

    #[cfg(test)]
    /// Queues a batch and waits until it is committed.
    pub(crate) async fn commit(&self, batch: WriteBatch) -> Result<()> {
        self.enqueue(batch).await
    }

    /// Queues a batch now and returns a future that completes once it is committed. Queueing is
    /// synchronous, so callers can order their batches under their own lock.
    pub(crate) fn enqueue(&self, batch: WriteBatch) -> impl std::future::Future<Output = Result<()>> + Send + use<> {
        let (ack, done) = oneshot::channel();
        let queued = self.queue.send((batch, Some(ack))).map_err(|_| Error::Closed);
        async move {
            queued?;
            done.await.map_err(|_| Error::Closed)?
        }
    }

    /// Queues a batch without waiting (state that can be rebuilt if lost, such as group timers).
    pub(crate) fn submit(&self, batch: WriteBatch) {
        if !batch.is_empty() && self.queue.send((batch, None)).is_err() {
            tracing::warn!("A state change was dropped: the store is shut down.");
        }
    }
}

async fn run(
    store: Arc<dyn Store>,
    mut inbox: mpsc::UnboundedReceiver<(WriteBatch, Option<Ack>)>,
    committed: CommittedAlerts,
) {
    while let Some((first, ack)) = inbox.recv().await {
        let mut batch = first;
        let mut acks: Vec<Ack> = ack.into_iter().collect();
        let mut alerts: Vec<Arc<Alert>> = batch.alerts.clone();
        for _ in 1..MAX_WRITES_PER_COMMIT {
            let Ok((next, ack)) = inbox.try_recv() else { break };
            alerts.extend(next.alerts.iter().cloned());
            batch.absorb(next);
            acks.extend(ack);
        }
        let result = store.apply(batch).await;
        if let Err(err) = &result {
            tracing::error!(error = %err, writes = acks.len(), "Commit failed.");
        } else if !alerts.is_empty() && committed.send(alerts).is_err() {
            tracing::debug!("Committed alerts have no consumer (shutting down).");
        }
        for ack in acks {
            let _ = ack.send(result.clone());
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use chrono::Utc;

    use super::*;
    use crate::labels::LabelSet;
    use crate::store::{BoxFuture, Snapshot};

    /// Records each applied batch's alert count; fails when told to.
    #[derive(Default)]
    struct Recorder {
        applied: Mutex<Vec<usize>>,
        fail: bool,
    }

    impl Store for Recorder {
        fn load(&self) -> BoxFuture<'_, Result<Snapshot>> {
            Box::pin(async { Ok(Snapshot::default()) })
        }

        fn apply(&self, batch: WriteBatch) -> BoxFuture<'_, Result<()>> {
            Box::pin(async move {
                self.applied.lock().expect("not poisoned").push(batch.alerts.len());
                if self.fail { Err(Error::Database("disk full".into())) } else { Ok(()) }
            })
        }
    }

    fn batch_of(name: &str) -> WriteBatch {
        let now = Utc::now();
        let alert = Arc::new(Alert::new(LabelSet::from([("a", name)]), LabelSet::new(), now, now, now));
        let mut batch = WriteBatch::default();
        batch.alerts.push(alert);
        batch
    }

    #[tokio::test]
    async fn queued_writes_commit_together_and_alerts_follow_in_order() {
        let store = Arc::new(Recorder::default());
        let (tx, mut rx) = mpsc::unbounded_channel();
        let (persister, _task) = Persister::spawn(store.clone(), tx);
        let (a, b, c) = tokio::join!(
            persister.commit(batch_of("a")),
            persister.commit(batch_of("b")),
            persister.commit(batch_of("c"))
        );
        for result in [a, b, c] {
            result.expect("committed");
        }
        assert_eq!(*store.applied.lock().expect("not poisoned"), vec![3], "one transaction for all three");
        let mut seen = Vec::new();
        while let Ok(alerts) = rx.try_recv() {
            seen.extend(alerts.iter().map(|a| a.labels["a"].clone()));
        }
        assert_eq!(seen, vec!["a", "b", "c"]);
    }

    #[tokio::test]
    async fn a_failed_commit_is_reported_to_every_writer_and_nothing_is_dispatched() {
        let store = Arc::new(Recorder { fail: true, ..Recorder::default() });
        let (tx, mut rx) = mpsc::unbounded_channel();
        let (persister, _task) = Persister::spawn(store, tx);
        let err = persister.commit(batch_of("a")).await.expect_err("the store fails");
        assert!(err.to_string().contains("disk full"));
        assert!(rx.try_recv().is_err());
    }
}
