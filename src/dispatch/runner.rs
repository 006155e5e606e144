//! The dispatcher task: owns the [`DispatchCore`] and the notification log, sleeps until the next group is
//! due, spawns deliveries, and records their outcomes. Everything else talks to it through a
//! [`Dispatcher`] handle.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinSet;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

use super::core::{AckError, DispatchCore, FlushRequest, GroupChanges};
use super::escalation::{GroupState, NextLevel};
use super::group::{Group, GroupId, GroupTimer};
use crate::alert::Alert;
use crate::clock::Clock;
use crate::inhibit::Inhibitor;
use crate::labels::LabelSet;
use crate::nflog::{Nflog, NflogEntry, NflogKey};
use crate::notify::data::NotificationData;
use crate::notify::{
    AckForward, FlushJob, FlushOutcome, HttpClients, IntegrationJob, deliver, due, forward_ack, newest_trace,
};
use crate::runtime::Runtime;
use crate::silence::Silences;
use crate::store::{Persister, WriteBatch};
use crate::telemetry;
use crate::telemetry::metrics::METRICS;
use crate::telemetry::otlp;

/// How often empty groups and expired log entries are cleaned up (Alertmanager: 30 s).
const MAINTENANCE_INTERVAL: Duration = Duration::from_secs(30);
/// Shortest time a flush may keep retrying (Alertmanager: max(group_interval, 10 s)).
const MIN_FLUSH_TIMEOUT: Duration = Duration::from_secs(10);
/// Longest the dispatcher's loop may go without coming round before Herald reports itself unhealthy (it comes
/// round at least every maintenance interval).
const HEARTBEAT_LIMIT: Duration = Duration::from_secs(90);
/// How long the dispatcher sleeps when no group is scheduled (anything that arrives wakes it sooner).
const IDLE_WAKEUP: Duration = Duration::from_secs(3600);
/// How long shutdown waits for deliveries in flight.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// A group as the API shows it.
#[derive(Clone, Debug)]
pub(crate) struct GroupView {
    /// Stable id.
    pub id: GroupId,
    /// Alertmanager's group key.
    pub key: String,
    /// Group labels.
    pub labels: LabelSet,
    /// Receiver.
    pub receiver: String,
    /// The alerts, unsorted.
    pub alerts: Vec<Arc<Alert>>,
    /// Escalation and acknowledgement.
    pub state: GroupState,
    /// The next escalation level, unless acknowledged or none is left.
    pub next_level: Option<NextLevel>,
}

/// A change to a group's acknowledgement.
#[derive(Debug, Clone)]
pub(crate) enum AckChange {
    /// Acknowledge.
    Ack {
        /// Who.
        by: String,
        /// Why.
        comment: String,
        /// When it should end, if the acknowledger said.
        expires_at: Option<chrono::DateTime<chrono::Utc>>,
    },
    /// Withdraw the acknowledgement.
    Unack,
}

/// An applied acknowledgement change: the group as it is now, and the commit to wait for.
pub(crate) struct AckApplied {
    /// The group after the change.
    pub group: GroupView,
    /// Completes once the change is on disk.
    pub committed: std::pin::Pin<Box<dyn std::future::Future<Output = crate::store::Result<()>> + Send>>,
    /// The state before, to put back if the commit fails.
    pub previous: GroupState,
}

enum Command {
    Reload(Arc<Runtime>, Vec<Arc<Alert>>, oneshot::Sender<()>),
    Groups(oneshot::Sender<Vec<GroupView>>),
    Group(GroupId, oneshot::Sender<Option<GroupView>>),
    Ack(GroupId, AckChange, oneshot::Sender<Result<AckApplied, AckError>>),
    RestoreState(GroupId, GroupState),
    ForwardAck(GroupId, AckChange),
    Remote(Box<WriteBatch>),
}

/// Handle to the dispatcher task.
#[derive(Clone)]
pub(crate) struct Dispatcher {
    commands: mpsc::UnboundedSender<Command>,
    heartbeat: Arc<Heartbeat>,
}

/// When the dispatcher's loop last came round, for liveness checks.
struct Heartbeat {
    start: Instant,
    last_millis: AtomicU64,
    /// How many aggregation groups there are, as of the loop's last round (for `/metrics`).
    groups: AtomicU64,
}

impl Heartbeat {
    fn new() -> Self {
        Heartbeat { start: Instant::now(), last_millis: AtomicU64::new(0), groups: AtomicU64::new(0) }
    }

    fn beat(&self) {
        let millis = u64::try_from(self.start.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.last_millis.store(millis, Ordering::Relaxed);
    }

    fn idle(&self) -> Duration {
        self.start.elapsed().saturating_sub(Duration::from_millis(self.last_millis.load(Ordering::Relaxed)))
    }
}

/// What the dispatcher starts from.
pub(crate) struct DispatcherSetup {
    /// The config in force.
    pub runtime: Arc<Runtime>,
    /// Alerts known at start-up (from the store).
    pub alerts: Vec<Arc<Alert>>,
    /// Persisted group timers.
    pub groups: Vec<(GroupId, GroupTimer)>,
    /// Persisted notification log.
    pub nflog: Vec<(NflogKey, NflogEntry)>,
    /// Where group and log changes are written.
    pub persister: Persister,
    /// Outbound HTTP.
    pub clients: Arc<HttpClients>,
    /// Herald's external URL, for payloads.
    pub external_url: String,
    /// Inhibition rules and their sources.
    pub inhibitor: Arc<Inhibitor>,
    /// Silences.
    pub silences: Arc<Silences>,
    /// Herald's clock: due times are wall-clock times, slept on Tokio's clock.
    pub clock: Clock,
    /// How long a resolved alert whose notification keeps failing stays in its group.
    pub retention: Duration,
    /// Which groups this replica notifies.
    pub ownership: Arc<crate::cluster::Ownership>,
    /// Whether each attempt is kept in the notification history (`--history.retention` above zero).
    pub record_history: bool,
}

impl Dispatcher {
    /// Starts the task. Committed alerts arrive on `alerts`; it stops when `shutdown` is cancelled, after
    /// giving deliveries in flight a few seconds and persisting its state.
    pub(crate) fn spawn(
        setup: DispatcherSetup,
        alerts: mpsc::UnboundedReceiver<Vec<Arc<Alert>>>,
        shutdown: CancellationToken,
    ) -> (Dispatcher, tokio::task::JoinHandle<()>) {
        let (commands, inbox) = mpsc::unbounded_channel();
        let now = setup.clock.now();
        let mut core = DispatchCore::new(Arc::clone(&setup.runtime.tree));
        core.set_resolved_retention(setup.retention);
        core.set_ownership(Arc::clone(&setup.ownership));
        core.restore(setup.groups);
        for alert in setup.alerts {
            core.insert(alert, now);
        }
        core.drop_unclaimed();
        let mut nflog = Nflog::default();
        for (key, entry) in setup.nflog {
            nflog.set(key, entry);
        }
        let heartbeat = Arc::new(Heartbeat::new());
        let actor = Actor {
            core,
            nflog,
            runtime: setup.runtime,
            persister: setup.persister,
            clients: setup.clients,
            external_url: setup.external_url,
            deliveries: JoinSet::new(),
            inhibitor: setup.inhibitor,
            silences: setup.silences,
            in_flight: HashMap::new(),
            escalating: HashSet::new(),
            clock: setup.clock,
            heartbeat: Arc::clone(&heartbeat),
            record_history: setup.record_history,
        };
        let task = tokio::spawn(actor.run(inbox, alerts, shutdown));
        (Dispatcher { commands, heartbeat }, task)
    }

    /// Switches to a new config, re-routing `alerts` (the whole alert store). Returns once it is in effect.
    pub(crate) async fn reload(&self, runtime: Arc<Runtime>, alerts: Vec<Arc<Alert>>) {
        let (done, wait) = oneshot::channel();
        if self.commands.send(Command::Reload(runtime, alerts, done)).is_ok() {
            let _ = wait.await;
        }
    }

    /// Whether the dispatcher's loop is running and has come round lately (it does at least every
    /// maintenance interval).
    pub(crate) fn alive(&self) -> Result<(), String> {
        if self.commands.is_closed() {
            return Err("the dispatcher has stopped".to_string());
        }
        let idle = self.heartbeat.idle();
        if idle > HEARTBEAT_LIMIT {
            return Err(format!("the dispatcher has not come round for {} s", idle.as_secs()));
        }
        Ok(())
    }

    /// Acknowledges a group or withdraws its acknowledgement. The change is in force when this returns;
    /// the caller waits for [`AckApplied::committed`] and calls [`Dispatcher::restore_state`] if it fails.
    pub(crate) async fn change_ack(&self, id: GroupId, change: AckChange) -> Result<AckApplied, AckError> {
        let (reply, answer) = oneshot::channel();
        if self.commands.send(Command::Ack(id, change, reply)).is_err() {
            return Err(AckError::UnknownGroup(id));
        }
        answer.await.unwrap_or(Err(AckError::UnknownGroup(id)))
    }

    /// Puts back a group's escalation state after the store refused a change to it.
    pub(crate) fn restore_state(&self, id: GroupId, state: GroupState) {
        let _ = self.commands.send(Command::RestoreState(id, state));
    }

    /// Passes a stored acknowledgement change on to the PagerDuty and Opsgenie integrations the group was
    /// notified through (in the background).
    pub(crate) fn forward_ack(&self, id: GroupId, change: AckChange) {
        let _ = self.commands.send(Command::ForwardAck(id, change));
    }

    /// Takes in what another replica stored: its groups' timers and state, the alerts that left them, and
    /// its notification log (so that a takeover sends nothing twice).
    pub(crate) fn apply_remote(&self, batch: WriteBatch) {
        let _ = self.commands.send(Command::Remote(Box::new(batch)));
    }

    /// How many aggregation groups there are (as of the dispatcher's last round).
    pub(crate) fn group_count(&self) -> u64 {
        self.heartbeat.groups.load(Ordering::Relaxed)
    }

    /// A snapshot of one group.
    pub(crate) async fn group(&self, id: GroupId) -> Option<GroupView> {
        let (reply, answer) = oneshot::channel();
        self.commands.send(Command::Group(id, reply)).ok()?;
        answer.await.ok().flatten()
    }

    /// A snapshot of every group.
    pub(crate) async fn groups(&self) -> Vec<GroupView> {
        let (reply, answer) = oneshot::channel();
        if self.commands.send(Command::Groups(reply)).is_err() {
            return Vec::new();
        }
        answer.await.unwrap_or_default()
    }
}

struct Actor {
    core: DispatchCore,
    nflog: Nflog,
    runtime: Arc<Runtime>,
    persister: Persister,
    clients: Arc<HttpClients>,
    external_url: String,
    deliveries: JoinSet<FlushOutcome>,
    inhibitor: Arc<Inhibitor>,
    silences: Arc<Silences>,
    /// Per group with a delivery in flight, the token that tells it newer content is waiting.
    in_flight: HashMap<GroupId, CancellationToken>,
    /// Escalation levels being delivered: their receivers sit out the group's flushes meanwhile, so that
    /// a flush at the same moment does not notify them twice.
    escalating: HashSet<(GroupId, String)>,
    clock: Clock,
    heartbeat: Arc<Heartbeat>,
    record_history: bool,
}

impl Actor {
    async fn run(
        mut self,
        mut commands: mpsc::UnboundedReceiver<Command>,
        mut alerts: mpsc::UnboundedReceiver<Vec<Arc<Alert>>>,
        shutdown: CancellationToken,
    ) {
        let mut maintenance = tokio::time::interval(MAINTENANCE_INTERVAL);
        maintenance.reset();
        loop {
            self.heartbeat.beat();
            self.heartbeat.groups.store(self.core.group_count() as u64, Ordering::Relaxed);
            self.persist_changes();
            let next_flush = self.next_flush();
            tokio::select! {
                () = shutdown.cancelled() => break,
                Some(command) = commands.recv() => self.handle(command),
                Some(batch) = alerts.recv() => {
                    let now = self.clock.now();
                    for alert in batch {
                        // Before routing, so that a source and its target posted together are flushed knowing both.
                        self.inhibitor.observe(&alert);
                        // group_wait counts from when the alert was received, not from when its commit reached
                        // this task: under load that lag would be added to every new group's first notification.
                        let received = alert.updated_at.min(now);
                        self.core.insert(alert, received);
                    }
                }
                Some(joined) = self.deliveries.join_next(), if !self.deliveries.is_empty() => match joined {
                    Ok(outcome) => self.record(outcome),
                    Err(err) => tracing::error!(error = %err, "A flush task failed."),
                },
                () = tokio::time::sleep_until(next_flush) => self.flush_due(),
                _ = maintenance.tick() => self.maintain(),
            }
        }
        self.shut_down().await;
    }

    /// When the earliest group comes due, on Tokio's clock.
    fn next_flush(&self) -> Instant {
        match self.core.next_deadline() {
            Some(at) => self.clock.instant_at(at),
            // Nothing scheduled: sleep until something arrives.
            None => Instant::now() + IDLE_WAKEUP,
        }
    }

    fn handle(&mut self, command: Command) {
        match command {
            Command::Reload(runtime, alerts, done) => {
                self.core.reload(Arc::clone(&runtime.tree), alerts, self.clock.now());
                self.runtime = runtime;
                let _ = done.send(());
            }
            Command::Groups(reply) => {
                let groups = self.core.groups().map(|group| self.view(group)).collect();
                let _ = reply.send(groups);
            }
            Command::Group(id, reply) => {
                let _ = reply.send(self.core.group(id).map(|group| self.view(group)));
            }
            Command::Ack(id, change, reply) => {
                let _ = reply.send(self.change_ack(id, change));
            }
            Command::RestoreState(id, state) => {
                tracing::warn!(group = %id, "An acknowledgement change was not stored and is undone.");
                self.core.restore_state(id, state);
            }
            Command::ForwardAck(id, change) => self.forward_ack(id, &change),
            Command::Remote(batch) => self.apply_remote(*batch),
        }
    }

    fn apply_remote(&mut self, batch: WriteBatch) {
        let now = self.clock.now();
        for departure in batch.left {
            self.core.depart_remote(departure);
        }
        // In the order the store applied them: a group deleted and created again in one batch stays.
        for id in batch.deleted_groups {
            self.core.remove_remote(id);
        }
        for group in batch.groups.into_values() {
            self.core.apply_remote(group, now);
        }
        for key in batch.deleted_nflog {
            self.nflog.remove(&key);
        }
        for (key, entry) in batch.nflog {
            self.nflog.set_remote(key, entry);
        }
    }

    /// Starts passing `change` on to each integration that was last sent the group firing (the route's
    /// receiver's and its followers').
    fn forward_ack(&self, id: GroupId, change: &AckChange) {
        let Some(group) = self.core.group(id) else { return };
        let now = self.clock.now();
        let alerts = group.firing_alerts(now);
        let (acknowledged, by, comment) = match change {
            AckChange::Ack { by, comment, .. } => (true, by.clone(), comment.clone()),
            AckChange::Unack => (false, String::new(), String::new()),
        };
        let receivers = std::iter::once(&group.receiver).chain(group.timer.state.followers.iter());
        for receiver in receivers {
            for spec in self.runtime.integrations.of(receiver) {
                let key = NflogKey {
                    group_key: group.key.clone(),
                    receiver: receiver.clone(),
                    integration: spec.kind.to_string(),
                    index: spec.index,
                };
                if self.nflog.get(&key).is_none_or(|entry| entry.firing.is_empty()) {
                    continue;
                }
                let data = NotificationData::new(receiver, &group.labels, &alerts, &self.external_url, now);
                let job = AckForward {
                    integration: Arc::clone(&spec.integration),
                    data,
                    group_key: group.key.clone(),
                    templates: Arc::clone(&self.runtime.templates),
                    acknowledged,
                    by: by.clone(),
                    comment: comment.clone(),
                };
                tokio::spawn(forward_ack(job, Arc::clone(&self.clients)));
            }
        }
    }

    fn view(&self, group: &Group) -> GroupView {
        GroupView {
            id: group.id,
            key: group.key.clone(),
            labels: group.labels.clone(),
            receiver: group.receiver.clone(),
            // Sorted by the API handler, off the dispatcher's task.
            alerts: group.alerts.values().cloned().collect(),
            state: group.timer.state.clone(),
            next_level: self.core.next_level(group),
        }
    }

    fn change_ack(&mut self, id: GroupId, change: AckChange) -> Result<AckApplied, AckError> {
        let now = self.clock.now();
        let previous = self.core.group(id).ok_or(AckError::UnknownGroup(id))?.timer.state.clone();
        let snapshot = match change {
            AckChange::Ack { by, comment, expires_at } => {
                let snapshot = self.core.acknowledge(id, by.clone(), comment, expires_at, now)?;
                METRICS.acknowledgements.with_label_values(&["ack"]).inc();
                tracing::info!(group = %snapshot.key, by = %by, "Group acknowledged.");
                snapshot
            }
            AckChange::Unack => {
                let snapshot = self.core.unacknowledge(id, now)?;
                METRICS.acknowledgements.with_label_values(&["unack"]).inc();
                tracing::info!(group = %snapshot.key, "Group acknowledgement withdrawn.");
                snapshot
            }
        };
        // The group is also marked changed, so Herald's own write of it follows this one: whichever order the
        // store takes them in, the last one holds the acknowledgement.
        let mut batch = WriteBatch::default();
        batch.groups.insert(id, snapshot);
        let committed = Box::pin(self.persister.enqueue(batch));
        let group = self.core.group(id).map(|group| self.view(group)).ok_or(AckError::UnknownGroup(id))?;
        Ok(AckApplied { group, committed, previous })
    }

    fn flush_due(&mut self) {
        for request in self.core.take_due(self.clock.now()) {
            self.start_flush(request);
        }
        for id in self.core.take_superseded() {
            if let Some(token) = self.in_flight.get(&id) {
                token.cancel();
            }
        }
    }

    fn start_flush(&mut self, request: FlushRequest) {
        // As in Alertmanager's pipeline: a muted route drops the whole flush, then inhibited and silenced
        // alerts are left out. Either way an empty flush sends nothing and logs nothing, but counts as done (so resolved
        // alerts leave the group).
        let alerts: Vec<Arc<Alert>> = if self.runtime.muted(request.route, request.now) {
            tracing::debug!(group = %request.group_key, "Flush muted by a time interval.");
            Vec::new()
        } else {
            request
                .alerts
                .iter()
                .filter(|alert| self.inhibitor.inhibited_by(&alert.labels, request.now).is_none())
                .filter(|alert| self.silences.silenced_by(&alert.labels, request.now).is_empty())
                .cloned()
                .collect()
        };
        let escalation = request.escalation.is_some();
        if alerts.is_empty() {
            if escalation {
                tracing::info!(group = %request.group_key, receiver = %request.receiver, "Escalation level passed without a notification: every firing alert is silenced, inhibited or muted.");
            } else {
                self.record(FlushOutcome { request, success: true, nflog: Vec::new(), attempts: Vec::new() });
            }
            return;
        }
        let route = self.core.tree().node(request.route);
        let timeout = route.group_interval.max(MIN_FLUSH_TIMEOUT);
        // A level notifies its receiver whatever the log says; a flush goes to the route's receiver and to
        // the followers not being escalated to right now.
        let receivers: Vec<&String> = if escalation {
            vec![&request.receiver]
        } else {
            std::iter::once(&request.receiver)
                .chain(request.followers.iter().filter(|follower| {
                    **follower != request.receiver
                        && !self.escalating.contains(&(request.group_id, (*follower).clone()))
                }))
                .collect()
        };
        let integrations = receivers
            .into_iter()
            .flat_map(|receiver| self.runtime.integrations.of(receiver).iter().map(move |spec| (receiver, spec)))
            .map(|(receiver, spec)| {
                let key = NflogKey {
                    group_key: request.group_key.clone(),
                    receiver: receiver.clone(),
                    integration: spec.kind.to_string(),
                    index: spec.index,
                };
                IntegrationJob {
                    prior: self.nflog.get(&key).cloned(),
                    key,
                    integration: spec.integration.clone(),
                    send_resolved: spec.send_resolved,
                    force: escalation,
                }
            })
            .collect::<Vec<IntegrationJob>>();
        // Most ticks of a group that was notified find nothing new to send (Alertmanager's dedup): they end here,
        // without a task, a span or a write.
        if !integrations.iter().any(|job| due(&request, &alerts, job).is_some()) {
            self.record(FlushOutcome { request, success: true, nflog: Vec::new(), attempts: Vec::new() });
            return;
        }
        let superseded = CancellationToken::new();
        if escalation {
            METRICS.escalation_levels.with_label_values(&[request.receiver.as_str()]).inc();
            self.escalating.insert((request.group_id, request.receiver.clone()));
        } else {
            self.in_flight.insert(request.group_id, superseded.clone());
        }
        let job = FlushJob {
            superseded,
            alerts,
            request,
            integrations,
            timeout,
            external_url: self.external_url.clone(),
            templates: Arc::clone(&self.runtime.templates),
        };
        let span = if telemetry::spans_wanted() {
            tracing::info_span!("flush", group = %job.request.group_key, group_id = %job.request.group_id)
        } else {
            tracing::Span::none()
        };
        if otlp::enabled()
            && let Some((trace, Some(parent))) = newest_trace(&job.alerts)
        {
            otlp::continue_trace(&span, trace, parent);
        }
        self.deliveries.spawn(deliver(job, Arc::clone(&self.clients)).instrument(span));
    }

    fn record(&mut self, outcome: FlushOutcome) {
        // A flush that sent nothing and tried nothing changed nothing durable but the group's timer, which is
        // re-armed in memory only (see `DispatchCore::flush_done`).
        let quiet = outcome.success && outcome.nflog.is_empty() && outcome.attempts.is_empty();
        if !quiet {
            let history = if self.record_history { outcome.attempts } else { Vec::new() };
            let mut batch = WriteBatch { history, ..WriteBatch::default() };
            for (key, entry) in outcome.nflog {
                self.nflog.set(key.clone(), entry.clone());
                batch.nflog.insert(key, entry);
            }
            self.persister.submit(batch);
        }
        let request = &outcome.request;
        if request.escalation.is_some() {
            // The level's receiver already follows the group: if this delivery failed, the group's next flush
            // finds no log entry for it and sends it then.
            self.escalating.remove(&(request.group_id, request.receiver.clone()));
            return;
        }
        self.in_flight.remove(&outcome.request.group_id);
        if let Some(next) = self.core.flush_done(&outcome.request, outcome.success, quiet, self.clock.now()) {
            self.start_flush(next);
        }
    }

    fn maintain(&mut self) {
        if let Some(moved) = self.clock.catch_up() {
            tracing::warn!(
                seconds = moved.num_seconds(),
                "The system clock is ahead of Herald's (a suspend, or a clock set forward); Herald's clock moves forward to it."
            );
        }
        self.core.remove_empty();
        let expired = self.nflog.expire(self.clock.now());
        if !expired.is_empty() {
            self.persister.submit(WriteBatch { deleted_nflog: expired, ..WriteBatch::default() });
        }
    }

    fn persist_changes(&mut self) {
        let GroupChanges { upserted, removed, released_alerts, left } = self.core.take_changes();
        if upserted.is_empty() && removed.is_empty() && released_alerts.is_empty() && left.is_empty() {
            return;
        }
        let mut batch =
            WriteBatch { deleted_groups: removed, deleted_alerts: released_alerts, left, ..WriteBatch::default() };
        batch.groups = upserted.into_iter().map(|group| (group.id, group)).collect();
        self.persister.submit(batch);
    }

    async fn shut_down(mut self) {
        let grace = tokio::time::sleep(SHUTDOWN_GRACE);
        tokio::pin!(grace);
        while !self.deliveries.is_empty() {
            tokio::select! {
                Some(joined) = self.deliveries.join_next() => {
                    if let Ok(outcome) = joined {
                        self.record(outcome);
                    }
                }
                () = &mut grace => {
                    tracing::warn!(in_flight = self.deliveries.len(), "Deliveries still running at shutdown were abandoned; they will be retried after the restart.");
                    break;
                }
            }
        }
        self.persist_changes();
    }
}
