//! Group commit: writes from every request and from the dispatcher are queued, folded into one batch and
//! committed in one transaction; each waiting writer is told once its data is on disk. Alerts are handed
//! on (to the dispatcher) in commit order, after their commit.
//!
//! The queue of writes that wait for an answer (requests) is bounded: when it is full, a write is refused
//! at once, and the caller answers 503. Herald's own writes (group timers, the notification log, deletions)
//! are never dropped: when their commit fails they are kept and committed again, first, until the store
//! takes them. Each commit's outcome is kept as the store's health, which `/-/ready` reports; after a failure,
//! the store is probed until it takes writes again.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;

use super::{Error, Result, Store, WriteBatch};
use crate::alert::Alert;
use crate::notify::history::{Attempt, HistoryQuery};
use crate::telemetry::metrics::METRICS;

/// Most queued writes folded into one transaction, to bound its size and latency.
const MAX_WRITES_PER_COMMIT: usize = 256;

/// Most requests' writes waiting for the store; more are refused (the client retries).
const QUEUE_CAPACITY: usize = 1024;

/// How long after a failed commit the store is tried again (the failed writes of Herald's own, or a probe).
const RETRY_INTERVAL: Duration = Duration::from_secs(1);

/// How long a request's write may wait, in the queue and for the database, before it is given up: answered
/// with an error and never written (below Prometheus' default 10 s timeout for sending to Alertmanager).
pub(crate) const COMMIT_DEADLINE: Duration = Duration::from_secs(8);

/// A commit pending longer than this makes the store unhealthy (it is stalled: a hung disk, a held lock).
pub(crate) const STALL_LIMIT: Duration = Duration::from_secs(5);

/// Alerts that were committed, in commit order.
pub(crate) type CommittedAlerts = mpsc::UnboundedSender<Vec<Arc<Alert>>>;

type Ack = oneshot::Sender<Result<()>>;

/// A request's write: the batch, who waits for it, and until when it may still be written.
type Queued = (WriteBatch, Ack, std::time::Instant);

/// Handle to the writer task. Cloning is cheap.
#[derive(Clone)]
pub(crate) struct Persister {
    requests: mpsc::Sender<Queued>,
    internal: mpsc::UnboundedSender<WriteBatch>,
    health: Arc<StoreHealth>,
    /// For reads that do not go through the write queue (the notification history).
    store: Arc<dyn Store>,
}

/// Whether the store takes writes, from the outcome of the last commit.
#[derive(Default)]
pub(crate) struct StoreHealth {
    state: Mutex<HealthState>,
}

#[derive(Default)]
struct HealthState {
    pending_since: Option<Instant>,
    last_error: Option<String>,
}

impl StoreHealth {
    /// Why the store cannot be counted on now (its last commit failed, or one has been pending longer than
    /// [`STALL_LIMIT`]), or `None` when it can.
    pub(crate) fn problem(&self) -> Option<String> {
        let state = self.state.lock().expect("health lock is never poisoned");
        if let Some(error) = &state.last_error {
            return Some(format!("the store refused the last write: {error}"));
        }
        match state.pending_since {
            Some(since) if since.elapsed() > STALL_LIMIT => {
                Some(format!("a commit has been pending for {} s", since.elapsed().as_secs()))
            }
            _ => None,
        }
    }

    fn started(&self) {
        let mut state = self.state.lock().expect("health lock is never poisoned");
        state.pending_since.get_or_insert_with(Instant::now);
    }

    fn finished(&self, result: &Result<()>) {
        let mut state = self.state.lock().expect("health lock is never poisoned");
        state.pending_since = None;
        state.last_error = result.as_ref().err().map(ToString::to_string);
    }

    fn failed(&self) -> bool {
        self.state.lock().expect("health lock is never poisoned").last_error.is_some()
    }
}

impl Persister {
    /// Starts the writer task over `store`. Committed alerts go to `committed`. The task ends once every
    /// handle is dropped and the queue is drained.
    pub(crate) fn spawn(store: Arc<dyn Store>, committed: CommittedAlerts) -> (Persister, tokio::task::JoinHandle<()>) {
        let (requests, request_inbox) = mpsc::channel(QUEUE_CAPACITY);
        let (internal, internal_inbox) = mpsc::unbounded_channel();
        let health = Arc::new(StoreHealth::default());
        let writer = Writer { store: Arc::clone(&store), committed, health: Arc::clone(&health), retry: None };
        let task = tokio::spawn(writer.run(request_inbox, internal_inbox));
        (Persister { requests, internal, health, store }, task)
    }

    /// Whether the store takes writes.
    pub(crate) fn health(&self) -> &StoreHealth {
        &self.health
    }

    /// A page of the notification history.
    pub(crate) async fn history(&self, query: HistoryQuery) -> Result<Vec<Attempt>> {
        self.store.history(query).await
    }

    /// How many requests wait for the store.
    pub(crate) fn queue_depth(&self) -> usize {
        self.requests.max_capacity() - self.requests.capacity()
    }

    /// Whether the writer task still runs.
    pub(crate) fn is_running(&self) -> bool {
        !self.internal.is_closed()
    }

    /// Queues a batch and waits until it is committed.
    /// Queues a batch and waits until it is committed.
    #[cfg(test)]
    pub(crate) async fn commit(&self, batch: WriteBatch) -> Result<()> {
        self.enqueue(batch).await
    }

    /// Queues a batch now and returns a future that completes once it is committed. Queueing is
    /// synchronous, so callers can order their batches under their own lock. A full queue is refused at once
    /// ([`Error::Overloaded`]).
    pub(crate) fn enqueue(&self, batch: WriteBatch) -> impl std::future::Future<Output = Result<()>> + Send + use<> {
        let (ack, done) = oneshot::channel();
        let deadline = std::time::Instant::now() + COMMIT_DEADLINE;
        let queued = self.requests.try_send((batch, ack, deadline)).map_err(|err| match err {
            mpsc::error::TrySendError::Full(_) => Error::Overloaded,
            mpsc::error::TrySendError::Closed(_) => Error::Closed,
        });
        async move {
            queued?;
            done.await.map_err(|_| Error::Closed)?
        }
    }

    /// Commits a batch in a transaction of its own, outside the group commit: for a write that may be refused
    /// on its own (a config version whose number another replica took first) without failing the writes
    /// it would have been committed with.
    pub(crate) fn commit_alone(
        &self,
        batch: WriteBatch,
    ) -> impl std::future::Future<Output = Result<()>> + Send + use<> {
        let store = Arc::clone(&self.store);
        async move { store.apply(batch, Some(std::time::Instant::now() + COMMIT_DEADLINE)).await }
    }

    /// Queues Herald's own state changes (group timers, the notification log, deletions) without waiting;
    /// they are committed again after a failure until the store takes them.
    pub(crate) fn submit(&self, batch: WriteBatch) {
        if !batch.is_empty() && self.internal.send(batch).is_err() {
            tracing::warn!("A state change was dropped: the store is shut down.");
        }
    }
}

/// The writer task's state.
struct Writer {
    store: Arc<dyn Store>,
    committed: CommittedAlerts,
    health: Arc<StoreHealth>,
    /// Herald's own writes whose commit failed, to be committed first next time.
    retry: Option<WriteBatch>,
}

/// What woke the writer.
enum Incoming {
    Request(WriteBatch, Ack, std::time::Instant),
    Internal(WriteBatch),
    /// Time to try the store again.
    Retry,
}

/// How often the writes of Herald's own are tried once every handle is gone (at shutdown), before they are
/// given up.
const RETRIES_AT_SHUTDOWN: u32 = 3;

impl Writer {
    async fn run(mut self, mut requests: mpsc::Receiver<Queued>, mut internal: mpsc::UnboundedReceiver<WriteBatch>) {
        let mut retries_left = RETRIES_AT_SHUTDOWN;
        loop {
            let waiting = self.retry.is_some() || self.health.failed();
            let incoming = tokio::select! {
                biased;
                Some((batch, ack, deadline)) = requests.recv() => Incoming::Request(batch, ack, deadline),
                Some(batch) = internal.recv() => Incoming::Internal(batch),
                () = tokio::time::sleep(RETRY_INTERVAL), if waiting => {
                    if requests.is_closed() && internal.is_closed() {
                        // Shutting down: try what Herald still owes the store a few times, then give up.
                        if retries_left == 0 {
                            if let Some(lost) = self.retry.take() {
                                tracing::error!(?lost, "State changes could not be stored before shutdown.");
                            }
                            return;
                        }
                        retries_left -= 1;
                    }
                    Incoming::Retry
                }
                else => return,
            };
            self.commit(incoming, &mut requests, &mut internal).await;
        }
    }

    /// Commits what woke the writer, with whatever else is queued. Normally that is one transaction. While
    /// Herald owes the store writes of its own (from a failed commit), those go first in a transaction of
    /// their own, so that if they keep failing they never hold up the clients' writes.
    async fn commit(
        &mut self,
        first: Incoming,
        requests: &mut mpsc::Receiver<Queued>,
        internal: &mut mpsc::UnboundedReceiver<WriteBatch>,
    ) {
        let owed = self.retry.take();
        let mut own = owed.clone().unwrap_or_default();
        // What the clients' transaction writes: everything when nothing is owed, else their writes only.
        let mut batch = WriteBatch::default();
        let separate = owed.is_some();
        drop(owed);
        let mut acks: Vec<Ack> = Vec::new();
        let mut alerts: Vec<Arc<Alert>> = Vec::new();
        let mut deadline: Option<std::time::Instant> = None;
        let mut add = |incoming: Incoming, batch: &mut WriteBatch| match incoming {
            Incoming::Request(next, ack, until) => {
                if until <= std::time::Instant::now() {
                    // Waited out its deadline in the queue: its writer is answered and it is not written.
                    let _ = ack.send(Err(Error::Timeout(COMMIT_DEADLINE.as_secs())));
                    return;
                }
                deadline = Some(deadline.map_or(until, |earliest| earliest.min(until)));
                alerts.extend(next.alerts.iter().cloned());
                batch.absorb(next);
                acks.push(ack);
            }
            Incoming::Internal(next) => {
                if !separate {
                    batch.absorb(next.clone());
                }
                own.absorb(next);
            }
            Incoming::Retry => {}
        };
        add(first, &mut batch);
        for _ in 1..MAX_WRITES_PER_COMMIT {
            if let Ok(next) = internal.try_recv() {
                add(Incoming::Internal(next), &mut batch);
            } else if let Ok((next, ack, until)) = requests.try_recv() {
                add(Incoming::Request(next, ack, until), &mut batch);
            } else {
                break;
            }
        }
        if separate {
            self.health.started();
            let started = std::time::Instant::now();
            let result = self.store.apply(own.clone(), None).await;
            METRICS.store_commit.observe(started.elapsed().as_secs_f64());
            self.health.finished(&result);
            if let Err(err) = &result {
                tracing::error!(error = %err, "Herald's own state changes could not be stored; trying again.");
                self.retry = Some(std::mem::take(&mut own));
            }
            if acks.is_empty() {
                return;
            }
        }
        self.health.started();
        let started = std::time::Instant::now();
        let result = if batch.is_empty() { self.store.probe().await } else { self.store.apply(batch, deadline).await };
        METRICS.store_commit.observe(started.elapsed().as_secs_f64());
        self.health.finished(&result);
        match &result {
            Err(err) => {
                tracing::error!(error = %err, writes = acks.len(), "Commit failed.");
                if !separate && !own.is_empty() {
                    self.retry = Some(own);
                }
            }
            Ok(()) => {
                if !alerts.is_empty() && self.committed.send(alerts).is_err() {
                    tracing::debug!("Committed alerts have no consumer (shutting down).");
                }
            }
        }
        for ack in acks {
            let _ = ack.send(result.clone());
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use chrono::Utc;

    use super::*;
    use crate::dispatch::GroupId;
    use crate::labels::LabelSet;
    use crate::store::{BoxFuture, Snapshot};

    /// Records each applied batch; fails the first `failures` commits (probes included).
    #[derive(Default)]
    struct Recorder {
        applied: Mutex<Vec<WriteBatch>>,
        failures: AtomicUsize,
        probes: AtomicUsize,
    }

    impl Recorder {
        fn failing(failures: usize) -> Self {
            Recorder { failures: AtomicUsize::new(failures), ..Recorder::default() }
        }

        fn outcome(&self) -> Result<()> {
            let failing = self.failures.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1)).is_ok();
            if failing { Err(Error::Database("disk full".into())) } else { Ok(()) }
        }

        fn alert_counts(&self) -> Vec<usize> {
            self.applied.lock().expect("not poisoned").iter().map(|b| b.alerts.len()).collect()
        }
    }

    impl Store for Recorder {
        fn load(&self) -> BoxFuture<'_, Result<Snapshot>> {
            Box::pin(async { Ok(Snapshot::default()) })
        }

        fn apply(&self, batch: WriteBatch, _: Option<std::time::Instant>) -> BoxFuture<'_, Result<()>> {
            Box::pin(async move {
                let outcome = self.outcome();
                if outcome.is_ok() {
                    self.applied.lock().expect("not poisoned").push(batch);
                }
                outcome
            })
        }

        fn probe(&self) -> BoxFuture<'_, Result<()>> {
            Box::pin(async move {
                self.probes.fetch_add(1, Ordering::SeqCst);
                self.outcome()
            })
        }

        fn history(&self, _: HistoryQuery) -> BoxFuture<'_, Result<Vec<Attempt>>> {
            Box::pin(async { Ok(Vec::new()) })
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
        assert_eq!(store.alert_counts(), vec![3], "one transaction for all three");
        let mut seen = Vec::new();
        while let Ok(alerts) = rx.try_recv() {
            seen.extend(alerts.iter().map(|a| a.labels["a"].clone()));
        }
        assert_eq!(seen, vec!["a", "b", "c"]);
    }

    #[tokio::test]
    async fn a_failed_commit_is_reported_to_every_writer_and_nothing_is_dispatched() {
        let store = Arc::new(Recorder::failing(1));
        let (tx, mut rx) = mpsc::unbounded_channel();
        let (persister, _task) = Persister::spawn(store, tx);
        let err = persister.commit(batch_of("a")).await.expect_err("the store fails");
        assert!(err.to_string().contains("disk full"));
        assert!(rx.try_recv().is_err());
        assert!(persister.health().problem().is_some_and(|p| p.contains("disk full")));
    }

    #[tokio::test(start_paused = true)]
    async fn herald_s_own_writes_are_committed_again_until_the_store_takes_them() {
        let store = Arc::new(Recorder::failing(2));
        let (tx, _rx) = mpsc::unbounded_channel();
        let (persister, _task) = Persister::spawn(store.clone(), tx);
        persister.submit(WriteBatch { deleted_groups: vec![GroupId(7)], ..WriteBatch::default() });
        tokio::task::yield_now().await;
        for _ in 0..3 {
            tokio::time::advance(RETRY_INTERVAL).await;
            tokio::task::yield_now().await;
        }
        let applied = store.applied.lock().expect("not poisoned").clone();
        assert_eq!(applied.len(), 1, "committed once the store took it");
        assert_eq!(applied[0].deleted_groups, vec![GroupId(7)]);
        assert_eq!(persister.health().problem(), None, "healthy again");
    }

    #[tokio::test(start_paused = true)]
    async fn after_a_failure_the_store_is_probed_until_it_takes_writes() {
        let store = Arc::new(Recorder::failing(3));
        let (tx, _rx) = mpsc::unbounded_channel();
        let (persister, _task) = Persister::spawn(store.clone(), tx);
        assert!(persister.commit(batch_of("a")).await.is_err());
        for _ in 0..4 {
            tokio::time::advance(RETRY_INTERVAL).await;
            tokio::task::yield_now().await;
        }
        assert_eq!(store.probes.load(Ordering::SeqCst), 3, "two probes fail, the third succeeds, then none");
        assert_eq!(persister.health().problem(), None);
    }

    /// Never finishes a commit.
    struct Stuck;

    impl Store for Stuck {
        fn load(&self) -> BoxFuture<'_, Result<Snapshot>> {
            Box::pin(async { Ok(Snapshot::default()) })
        }

        fn apply(&self, _: WriteBatch, _: Option<std::time::Instant>) -> BoxFuture<'_, Result<()>> {
            Box::pin(std::future::pending())
        }

        fn probe(&self) -> BoxFuture<'_, Result<()>> {
            Box::pin(std::future::pending())
        }

        fn history(&self, _: HistoryQuery) -> BoxFuture<'_, Result<Vec<Attempt>>> {
            Box::pin(std::future::pending())
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_stalled_store_fills_the_queue_and_further_writes_are_refused_at_once() {
        let (tx, _rx) = mpsc::unbounded_channel();
        let (persister, _task) = Persister::spawn(Arc::new(Stuck), tx);
        let first = persister.enqueue(batch_of("stuck"));
        tokio::task::yield_now().await;
        let queued: Vec<_> = (0..QUEUE_CAPACITY).map(|_| persister.enqueue(batch_of("queued"))).collect();
        let refused = persister.enqueue(batch_of("refused")).await;
        assert!(matches!(refused, Err(Error::Overloaded)), "{refused:?}");
        tokio::time::advance(STALL_LIMIT + Duration::from_secs(1)).await;
        assert!(persister.health().problem().is_some_and(|p| p.contains("pending")), "a stall is reported");
        drop((first, queued));
    }

    /// Fails every batch that deletes a group (Herald's own write), takes everything else.
    #[derive(Default)]
    struct RefusesGroupDeletes {
        applied: Mutex<Vec<WriteBatch>>,
    }

    impl Store for RefusesGroupDeletes {
        fn load(&self) -> BoxFuture<'_, Result<Snapshot>> {
            Box::pin(async { Ok(Snapshot::default()) })
        }

        fn apply(&self, batch: WriteBatch, _: Option<std::time::Instant>) -> BoxFuture<'_, Result<()>> {
            Box::pin(async move {
                if !batch.deleted_groups.is_empty() {
                    return Err(Error::Database("this row cannot be deleted".into()));
                }
                self.applied.lock().expect("not poisoned").push(batch);
                Ok(())
            })
        }

        fn probe(&self) -> BoxFuture<'_, Result<()>> {
            Box::pin(async { Ok(()) })
        }

        fn history(&self, _: HistoryQuery) -> BoxFuture<'_, Result<Vec<Attempt>>> {
            Box::pin(async { Ok(Vec::new()) })
        }
    }

    #[tokio::test(start_paused = true)]
    async fn an_own_write_that_keeps_failing_does_not_hold_up_clients_writes() {
        let store = Arc::new(RefusesGroupDeletes::default());
        let (tx, _rx) = mpsc::unbounded_channel();
        let (persister, _task) = Persister::spawn(store.clone(), tx);
        persister.submit(WriteBatch { deleted_groups: vec![GroupId(1)], ..WriteBatch::default() });
        tokio::task::yield_now().await;
        for name in ["a", "b", "c"] {
            persister.commit(batch_of(name)).await.expect("the clients' writes are committed");
            tokio::time::advance(RETRY_INTERVAL).await;
        }
        let applied = store.applied.lock().expect("not poisoned").iter().map(|b| b.alerts.len()).sum::<usize>();
        assert_eq!(applied, 3);
    }
}
