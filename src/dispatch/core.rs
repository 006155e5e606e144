//! The dispatcher's state machine, free of I/O and of the clock: alerts go in, groups come due, flush
//! results come back. The actor in `mod.rs` drives it; tests drive it with explicit times.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};

use super::escalation::{Ack, Episode, GroupState, NextLevel};
use super::group::{Group, GroupId, GroupTimer, group_key};
use crate::alert::Alert;
use crate::cluster::Ownership;
use crate::labels::{Fingerprint, LabelSet};
use crate::routing::{RouteId, RouteTree};
use crate::store::Departure;

/// How soon a replica looks again at a group that came due while another replica owns it: if it takes the
/// group over meanwhile, it notifies what was due within this.
const RECHECK: chrono::Duration = chrono::Duration::seconds(1);

/// What a flush has to deliver: a snapshot of the group.
#[derive(Clone, Debug)]
pub(crate) struct FlushRequest {
    /// The group.
    pub group_id: GroupId,
    /// Alertmanager's group key.
    pub group_key: String,
    /// The group labels.
    pub group_labels: LabelSet,
    /// The receiver to notify.
    pub receiver: String,
    /// The route the group belongs to (for its options).
    pub route: RouteId,
    /// The route's repeat interval.
    pub repeat_interval: Duration,
    /// The alerts, sorted as in notifications.
    pub alerts: Vec<Arc<Alert>>,
    /// When the flush happens.
    pub now: DateTime<Utc>,
    /// Set when this is an escalation level's notification (to `receiver`, the level's) rather than the
    /// group's flush.
    pub escalation: Option<EscalationStep>,
    /// Receivers of the levels that fired in this episode; the group's flushes go to them too.
    pub followers: Vec<String>,
    /// The group is acknowledged: nothing is repeated.
    pub acked: bool,
    /// The group's first flush: its timer is stored when it ends even if nothing was sent, so that a restart
    /// does not wait out group_wait again.
    pub first: bool,
}

/// An escalation level's notification, as the templates see it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct EscalationStep {
    /// The level, from 1.
    pub level: usize,
    /// How many levels the policy has.
    pub levels: usize,
    /// The round, from 1 (more with `repeat`).
    pub round: u32,
    /// When the group began firing.
    pub since: DateTime<Utc>,
    /// The level's `after`.
    pub after: Duration,
    /// The route's receiver, who was notified first.
    pub route_receiver: String,
}

/// Why an acknowledgement was not changed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum AckError {
    /// No such group.
    #[error("group {0} was not found")]
    UnknownGroup(GroupId),
    /// Nothing fires in the group.
    #[error("group {0} has no firing alert to acknowledge")]
    NothingFiring(GroupId),
    /// The group is not acknowledged.
    #[error("group {0} is not acknowledged")]
    NotAcknowledged(GroupId),
    /// The expiry is already past.
    #[error("the acknowledgement's expiry {0} is not in the future")]
    ExpiryPast(DateTime<Utc>),
}

/// Changes to persist, drained by the actor after each step.
#[derive(Debug, Default)]
pub(crate) struct GroupChanges {
    /// Groups created or whose timer moved.
    pub upserted: Vec<GroupSnapshot>,
    /// Groups that are gone.
    pub removed: Vec<GroupId>,
    /// Alert versions that left their last group after being notified as resolved: the store may forget them.
    pub released_alerts: Vec<u64>,
    /// Alerts that left a group after being notified as resolved (for the other replicas' copies).
    pub left: Vec<Departure>,
}

/// The persisted form of a group.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct GroupSnapshot {
    /// Stable id.
    pub id: GroupId,
    /// Alertmanager's group key.
    pub key: String,
    /// Group labels.
    pub labels: LabelSet,
    /// Receiver.
    pub receiver: String,
    /// Timer state.
    pub timer: GroupTimer,
}

/// All aggregation groups and their deadlines.
pub(crate) struct DispatchCore {
    tree: Arc<RouteTree>,
    groups: HashMap<GroupId, Group>,
    schedule: BTreeSet<(DateTime<Utc>, GroupId)>,
    /// Timers of groups known from before (a restart or a reload) that no alert has re-created yet.
    restored: HashMap<GroupId, RestoredGroup>,
    dirty: HashSet<GroupId>,
    removed: Vec<GroupId>,
    /// How many groups hold each alert, to know when a notified resolved alert has left them all.
    holders: HashMap<Fingerprint, u32>,
    released: Vec<u64>,
    /// Groups whose next flush came due while one was in flight.
    superseded: Vec<GroupId>,
    /// When each group's escalation state is next due: a level, or the end of its acknowledgement.
    escalations: BTreeSet<(DateTime<Utc>, GroupId)>,
    /// How long a resolved alert that could not be notified stays in its group.
    resolved_retention: chrono::Duration,
    left: Vec<Departure>,
    /// Stored groups no stored alert holds (found at start-up).
    unclaimed: Vec<GroupId>,
    /// Which groups this replica notifies (and persists); the others are copies kept for the API and for a
    /// takeover.
    ownership: Arc<Ownership>,
}

#[derive(Clone, Debug)]
struct RestoredGroup {
    timer: GroupTimer,
    in_flight: bool,
    flush_pending: bool,
}

impl DispatchCore {
    /// An empty dispatcher for a route tree.
    pub(crate) fn new(tree: Arc<RouteTree>) -> Self {
        DispatchCore {
            tree,
            groups: HashMap::new(),
            schedule: BTreeSet::new(),
            restored: HashMap::new(),
            dirty: HashSet::new(),
            removed: Vec::new(),
            holders: HashMap::new(),
            released: Vec::new(),
            superseded: Vec::new(),
            escalations: BTreeSet::new(),
            resolved_retention: chrono::Duration::hours(120),
            left: Vec::new(),
            unclaimed: Vec::new(),
            ownership: Arc::new(Ownership::everything()),
        }
    }

    /// Notifies only the groups `ownership` says (one replica of several).
    pub(crate) fn set_ownership(&mut self, ownership: Arc<Ownership>) {
        self.ownership = ownership;
    }

    /// Takes in a group as another replica stored it. A copy of a group another replica owns takes its timer
    /// and state; a group this replica owns takes only the acknowledgement (the one change other replicas
    /// make to it). A group not routed here yet keeps the timer for when an alert creates it.
    pub(crate) fn apply_remote(&mut self, snapshot: GroupSnapshot, now: DateTime<Utc>) {
        let id = snapshot.id;
        let owned = self.ownership.owns(id);
        let Some(group) = self.groups.get_mut(&id) else {
            self.restored.insert(id, RestoredGroup { timer: snapshot.timer, in_flight: false, flush_pending: false });
            return;
        };
        if owned {
            let remote = snapshot.timer.state.ack;
            if group.timer.state.ack == remote {
                return;
            }
            match remote {
                Some(ack) => group.timer.state.ack = Some(ack),
                None => {
                    group.timer.state.end_ack(now);
                }
            }
            self.dirty.insert(id);
        } else {
            self.schedule.remove(&(group.timer.next_flush, id));
            group.timer = snapshot.timer;
            self.schedule.insert((group.timer.next_flush, id));
        }
        self.reschedule_state(id);
    }

    /// Forgets a group another replica removed, unless alerts it has not seen yet hold it here.
    pub(crate) fn remove_remote(&mut self, id: GroupId) {
        self.restored.remove(&id);
        if self.ownership.owns(id) || self.groups.get(&id).is_none_or(|group| !group.alerts.is_empty()) {
            return;
        }
        if let Some(group) = self.groups.remove(&id) {
            self.schedule.remove(&(group.timer.next_flush, id));
            if let Some(due) = group.state_due {
                self.escalations.remove(&(due, id));
            }
            self.dirty.remove(&id);
        }
    }

    /// An alert left a group on the replica that owns it (it was notified as resolved): the copy here
    /// lets it go too (or an older version of it), unless a newer version of it arrived since.
    pub(crate) fn depart_remote(&mut self, departure: Departure) {
        let Some(group) = self.groups.get_mut(&departure.group) else { return };
        if group.alerts.get(&departure.fingerprint).is_some_and(|alert| alert.version <= departure.version) {
            group.alerts.remove(&departure.fingerprint);
            if let Some(count) = self.holders.get_mut(&departure.fingerprint) {
                *count = count.saturating_sub(1);
                if *count == 0 {
                    self.holders.remove(&departure.fingerprint);
                }
            }
        }
    }

    /// How long a resolved alert whose notification keeps failing stays in its group (`--data.retention`).
    pub(crate) fn set_resolved_retention(&mut self, retention: Duration) {
        self.resolved_retention = chrono::Duration::from_std(retention).unwrap_or(chrono::Duration::MAX);
    }

    /// The route tree in use.
    pub(crate) fn tree(&self) -> &Arc<RouteTree> {
        &self.tree
    }

    /// Remembers the timers of groups persisted before a restart; they apply when alerts re-create them.
    pub(crate) fn restore(&mut self, groups: impl IntoIterator<Item = (GroupId, GroupTimer)>) {
        for (id, timer) in groups {
            self.restored.insert(id, RestoredGroup { timer, in_flight: false, flush_pending: false });
        }
    }

    /// Forgets restored timers that no alert re-created (their groups are gone) and marks them removed; the
    /// rows go whichever replica owns them, since no alert in the store holds them.
    pub(crate) fn drop_unclaimed(&mut self) {
        let unclaimed: Vec<GroupId> = self.restored.drain().map(|(id, _)| id).collect();
        self.unclaimed.extend(unclaimed);
    }

    /// Routes an alert (a new version of it) into one group per matching route.
    pub(crate) fn insert(&mut self, alert: Arc<Alert>, now: DateTime<Utc>) {
        let tree = Arc::clone(&self.tree);
        for route_id in tree.matching_routes(&alert.labels) {
            let route = tree.node(route_id);
            let id = GroupId::of_pairs(&route.ident, route.group_pairs(&alert.labels));
            if !self.groups.contains_key(&id) {
                let group = self.new_group(id, route_id, route.group_labels(&alert.labels), now);
                self.schedule.insert((group.timer.next_flush, id));
                self.groups.insert(id, group);
                self.dirty.insert(id);
                self.reschedule_state(id);
            }
            if !alert.resolved_at(now) && self.wakes(id, &alert, now) {
                self.dirty.insert(id);
                self.reschedule_state(id);
            }
            let group = self.groups.get_mut(&id).expect("inserted above");
            match group.alerts.get(&alert.fingerprint) {
                None => {
                    group.alerts.insert(alert.fingerprint, Arc::clone(&alert));
                    *self.holders.entry(alert.fingerprint).or_default() += 1;
                }
                // Versions arrive in commit order; the check only matters when a reload replays older copies.
                Some(old) if old.updated_at <= alert.updated_at => {
                    group.alerts.insert(alert.fingerprint, Arc::clone(&alert));
                }
                Some(_) => {}
            }
            // An alert that has already waited out group_wait does not wait again (old alerts, restarts).
            let waited = chrono::Duration::from_std(route.group_wait).map(|wait| alert.starts_at + wait < now);
            if !group.timer.has_flushed && waited.unwrap_or(false) && group.timer.next_flush > now {
                self.schedule.remove(&(group.timer.next_flush, id));
                group.timer.next_flush = now;
                self.schedule.insert((now, id));
                self.dirty.insert(id);
            }
        }
    }

    fn new_group(&mut self, id: GroupId, route_id: RouteId, labels: LabelSet, now: DateTime<Utc>) -> Group {
        let route = self.tree.node(route_id);
        let restored = self.restored.remove(&id);
        let timer = match &restored {
            Some(restored) => restored.timer.clone(),
            None => GroupTimer {
                next_flush: now + chrono::Duration::from_std(route.group_wait).unwrap_or(chrono::Duration::MAX),
                has_flushed: false,
                created_at: now,
                state: GroupState::default(),
            },
        };
        Group {
            id,
            route: route_id,
            key: group_key(&route.key, &labels),
            labels,
            receiver: route.receiver.clone(),
            alerts: HashMap::new(),
            timer,
            in_flight: restored.as_ref().is_some_and(|r| r.in_flight),
            flush_pending: restored.as_ref().is_some_and(|r| r.flush_pending),
            state_due: None,
        }
    }

    /// A firing alert arrives in group `id`: it ends an acknowledgement it is news to, and, where the route
    /// escalates, begins an episode if none is in progress (groups of other routes keep no episode, so
    /// their stored state stays empty). Returns whether the group's state changed.
    fn wakes(&mut self, id: GroupId, alert: &Alert, now: DateTime<Utc>) -> bool {
        let Some(group) = self.groups.get_mut(&id) else { return false };
        let escalates = self.tree.node(group.route).escalation.as_ref().is_some_and(|p| !p.levels.is_empty());
        let state = &mut group.timer.state;
        let mut changed = false;
        if state.ack.as_ref().is_some_and(|ack| ack.woken_by(alert)) {
            state.end_ack(now);
            tracing::info!(group = %group.key, "A new alert ended the group's acknowledgement.");
            changed = true;
        }
        if escalates && state.episode.is_none() {
            state.episode = Some(Episode::start(now));
            changed = true;
        }
        changed
    }

    /// Puts group `id` in the escalation schedule at the time its state is next due, if any.
    fn reschedule_state(&mut self, id: GroupId) {
        let Some(group) = self.groups.get_mut(&id) else { return };
        if let Some(old) = group.state_due.take() {
            self.escalations.remove(&(old, id));
        }
        let policy = self.tree.node(group.route).escalation.as_deref();
        group.state_due = group.timer.state.due(policy);
        if let Some(due) = group.state_due {
            self.escalations.insert((due, id));
        }
    }

    /// Brings group `id`'s escalation up to `now`: an acknowledgement that ended restarts the climb; each
    /// level due notifies its receiver (pushed to `out`); an episode found with nothing firing ends.
    fn escalate(&mut self, id: GroupId, now: DateTime<Utc>, out: &mut Vec<FlushRequest>) {
        let Some(group) = self.groups.get_mut(&id) else { return };
        let node = self.tree.node(group.route);
        let state = &mut group.timer.state;
        if let Some(end) = state.ack.as_ref().and_then(|ack| ack.ends_at()).filter(|end| *end <= now) {
            state.end_ack(end);
            tracing::info!(group = %group.key, "The group's acknowledgement ended; escalation starts over.");
            self.dirty.insert(id);
        }
        while let Some(policy) = node.escalation.as_deref() {
            let Some(next) = group.timer.state.next_level(Some(policy)).filter(|next| next.at <= now) else { break };
            if !group.is_firing(now) {
                group.timer.state.episode = None;
                self.dirty.insert(id);
                break;
            }
            let Some(episode) = group.timer.state.episode.as_mut() else { break };
            episode.fired(policy, &next, now);
            let since = episode.since;
            // The receiver follows the group from now on, stored with the level: if Herald stops before the
            // level is delivered, the group's next flush finds no log entry for it and sends it then.
            group.timer.state.follow(&next.receiver);
            self.dirty.insert(id);
            tracing::info!(group = %group.key, level = next.level, round = next.round + 1, receiver = %next.receiver, "Escalating: nobody acknowledged the group.");
            out.push(FlushRequest {
                group_id: id,
                group_key: group.key.clone(),
                group_labels: group.labels.clone(),
                receiver: next.receiver.clone(),
                route: group.route,
                repeat_interval: node.repeat_interval,
                alerts: group.firing_alerts(now),
                now,
                escalation: Some(EscalationStep {
                    level: next.level,
                    levels: policy.levels.len(),
                    round: next.round + 1,
                    since,
                    after: next.after,
                    route_receiver: group.receiver.clone(),
                }),
                followers: Vec::new(),
                acked: false,
                first: false,
            });
        }
        self.reschedule_state(id);
    }

    /// Acknowledges group `id` at `now` and returns its persisted form. The acknowledgement covers the alerts
    /// firing now and times out after the route's `ack_timeout`, if it has one.
    pub(crate) fn acknowledge(
        &mut self,
        id: GroupId,
        by: String,
        comment: String,
        expires_at: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> Result<GroupSnapshot, AckError> {
        if let Some(expiry) = expires_at.filter(|expiry| *expiry <= now) {
            return Err(AckError::ExpiryPast(expiry));
        }
        let group = self.groups.get_mut(&id).ok_or(AckError::UnknownGroup(id))?;
        let firing = group.firing_alerts(now);
        if firing.is_empty() {
            return Err(AckError::NothingFiring(id));
        }
        let timeout = self.tree.node(group.route).escalation.as_ref().and_then(|policy| policy.ack_timeout);
        let timeout_at = timeout.and_then(|t| now.checked_add_signed(chrono::Duration::from_std(t).ok()?));
        let alerts = firing.iter().map(|alert| (alert.fingerprint.0, alert.starts_at.timestamp_micros())).collect();
        group.timer.state.ack = Some(Ack { by, comment, at: now, expires_at, timeout_at, alerts });
        self.dirty.insert(id);
        self.reschedule_state(id);
        self.snapshot(id).ok_or(AckError::UnknownGroup(id))
    }

    /// Withdraws group `id`'s acknowledgement at `now`: the climb starts over from level 1.
    pub(crate) fn unacknowledge(&mut self, id: GroupId, now: DateTime<Utc>) -> Result<GroupSnapshot, AckError> {
        let group = self.groups.get_mut(&id).ok_or(AckError::UnknownGroup(id))?;
        group.timer.state.end_ack(now).ok_or(AckError::NotAcknowledged(id))?;
        self.dirty.insert(id);
        self.reschedule_state(id);
        self.snapshot(id).ok_or(AckError::UnknownGroup(id))
    }

    /// Puts back group `id`'s state as it was before a change the store refused.
    pub(crate) fn restore_state(&mut self, id: GroupId, state: GroupState) {
        if let Some(group) = self.groups.get_mut(&id) {
            group.timer.state = state;
            self.dirty.insert(id);
            self.reschedule_state(id);
        }
    }

    /// A group by id.
    pub(crate) fn group(&self, id: GroupId) -> Option<&Group> {
        self.groups.get(&id)
    }

    /// The next escalation level of a group, unless it is acknowledged or has none left.
    pub(crate) fn next_level(&self, group: &Group) -> Option<NextLevel> {
        group.timer.state.next_level(self.tree.node(group.route).escalation.as_deref())
    }

    fn snapshot(&self, id: GroupId) -> Option<GroupSnapshot> {
        self.groups.get(&id).map(|group| GroupSnapshot {
            id: group.id,
            key: group.key.clone(),
            labels: group.labels.clone(),
            receiver: group.receiver.clone(),
            timer: group.timer.clone(),
        })
    }

    /// Groups whose delivery in flight has newer content waiting (since the last call).
    pub(crate) fn take_superseded(&mut self) -> Vec<GroupId> {
        std::mem::take(&mut self.superseded)
    }

    /// When the earliest group comes due.
    pub(crate) fn next_deadline(&self) -> Option<DateTime<Utc>> {
        let flush = self.schedule.first().map(|(at, _)| *at);
        let state = self.escalations.first().map(|(at, _)| *at);
        flush.into_iter().chain(state).min()
    }

    /// Takes every group due at `now`: re-arms its timer to `group_interval` and returns what to deliver.
    /// A group whose previous flush is still being delivered flushes when that one ends. The re-armed timer is
    /// persisted only when the flush ends, so that a crash in the middle of a delivery flushes again at once
    /// after the restart instead of a group_interval later.
    pub(crate) fn take_due(&mut self, now: DateTime<Utc>) -> Vec<FlushRequest> {
        let mut flushes = Vec::new();
        while let Some(&(at, id)) = self.schedule.first() {
            if at > now {
                break;
            }
            self.schedule.pop_first();
            let Some(group) = self.groups.get_mut(&id) else { continue };
            if !self.ownership.owns(id) {
                // Another replica notifies it, and its stored timer will replace this copy's; should this
                // replica take the group over first, it notifies at the next look.
                group.timer.next_flush = now + RECHECK;
                self.schedule.insert((group.timer.next_flush, id));
                continue;
            }
            let interval = self.tree.node(group.route).group_interval;
            let first = !group.timer.has_flushed;
            group.timer.has_flushed = true;
            group.timer.next_flush = now + chrono::Duration::from_std(interval).unwrap_or(chrono::Duration::MAX);
            self.schedule.insert((group.timer.next_flush, id));
            if group.in_flight {
                group.flush_pending = true;
                self.superseded.push(id);
                continue;
            }
            group.in_flight = true;
            flushes.push(flush_request(&self.tree, group, now, first));
        }
        while let Some(&(at, id)) = self.escalations.first() {
            if at > now {
                break;
            }
            self.escalations.pop_first();
            if let Some(group) = self.groups.get_mut(&id) {
                group.state_due = None;
                if !self.ownership.owns(id) {
                    group.state_due = Some(now + RECHECK);
                    self.escalations.insert((now + RECHECK, id));
                    continue;
                }
            }
            self.escalate(id, now, &mut flushes);
        }
        flushes
    }

    /// Records the end of a flush. After a successful one, the alerts it sent as resolved are removed from the
    /// group unless they changed since. Returns the pending flush, if one came due meanwhile.
    ///
    /// A `quiet` flush sent nothing (the log said nothing changed): its re-armed timer stays in memory, so
    /// that a group's idle ticks cost no write. The stored timer then lags; after a restart the group flushes
    /// at once, which sends nothing unless something changed meanwhile, and keeps its interval from then.
    pub(crate) fn flush_done(
        &mut self,
        done: &FlushRequest,
        success: bool,
        quiet: bool,
        now: DateTime<Utc>,
    ) -> Option<FlushRequest> {
        let group = self.groups.get_mut(&done.group_id)?;
        group.in_flight = false;
        if !quiet || done.first {
            self.dirty.insert(done.group_id);
        }
        // After a success, the resolved alerts it sent leave the group. After a failure they stay, to be sent
        // at the next tick, but not forever: one resolved longer than the retention is given up, so that a
        // receiver that keeps failing does not keep every resolved alert of its groups.
        let give_up_before = now.checked_sub_signed(self.resolved_retention).unwrap_or(DateTime::<Utc>::MIN_UTC);
        for alert in done.alerts.iter().filter(|alert| alert.resolved_at(done.now)) {
            let leaves = success || alert.ends_at < give_up_before;
            if leaves && group.alerts.get(&alert.fingerprint).is_some_and(|current| Arc::ptr_eq(current, alert)) {
                if !success {
                    tracing::warn!(group = %group.key, receiver = %group.receiver, "A resolved alert was never notified (the receiver kept failing) and is given up.");
                }
                group.alerts.remove(&alert.fingerprint);
                self.left.push(Departure {
                    group: done.group_id,
                    fingerprint: alert.fingerprint,
                    version: alert.version,
                });
                release(&mut self.holders, &mut self.released, alert);
            }
        }
        // A notification that found nothing firing ends the episode: the climb, the acknowledgement, and the
        // followers, who have had the resolve.
        // Most groups have no such state: the walk over their alerts is skipped for them.
        let has_state = group.timer.state != GroupState::default();
        if has_state && success && !group.is_firing(done.now) && !group.is_firing(now) {
            group.timer.state = GroupState::default();
            self.dirty.insert(done.group_id);
            self.reschedule_state(done.group_id);
        }
        let group = self.groups.get_mut(&done.group_id)?;
        if std::mem::take(&mut group.flush_pending) {
            group.in_flight = true;
            return Some(flush_request(&self.tree, group, now, false));
        }
        None
    }

    /// Removes groups that are empty and idle, as Alertmanager's periodic clean-up does.
    pub(crate) fn remove_empty(&mut self) {
        let empty: Vec<GroupId> =
            self.groups.values().filter(|g| g.alerts.is_empty() && !g.in_flight).map(|g| g.id).collect();
        for id in empty {
            if let Some(group) = self.groups.remove(&id) {
                self.schedule.remove(&(group.timer.next_flush, id));
                if let Some(due) = group.state_due {
                    self.escalations.remove(&(due, id));
                }
                self.dirty.remove(&id);
                self.removed.push(id);
            }
        }
    }

    /// Swaps in a new route tree. Groups that the new tree still produces keep their timers and any delivery
    /// in flight. Alerts are routed afresh: those of the old groups (which may be newer than the caller's copy,
    /// or already gone from it) and `alerts` (the alert store); of two versions the newer wins.
    pub(crate) fn reload(
        &mut self,
        tree: Arc<RouteTree>,
        alerts: impl IntoIterator<Item = Arc<Alert>>,
        now: DateTime<Utc>,
    ) {
        let old = std::mem::take(&mut self.groups);
        self.schedule.clear();
        self.escalations.clear();
        self.holders.clear();
        self.tree = tree;
        let previous: HashSet<GroupId> = old.keys().copied().collect();
        let mut replay: HashMap<Fingerprint, Arc<Alert>> = HashMap::new();
        let mut keep_newer = |alert: Arc<Alert>| match replay.get(&alert.fingerprint) {
            Some(known) if known.updated_at > alert.updated_at => {}
            _ => {
                replay.insert(alert.fingerprint, alert);
            }
        };
        for (id, group) in old {
            group.alerts.into_values().for_each(&mut keep_newer);
            let restored =
                RestoredGroup { timer: group.timer, in_flight: group.in_flight, flush_pending: group.flush_pending };
            self.restored.insert(id, restored);
        }
        alerts.into_iter().for_each(&mut keep_newer);
        for alert in replay.into_values() {
            self.insert(alert, now);
        }
        let gone: Vec<GroupId> = previous.into_iter().filter(|id| !self.groups.contains_key(id)).collect();
        for id in gone {
            self.restored.remove(&id);
            self.removed.push(id);
        }
    }

    /// How many groups there are.
    pub(crate) fn group_count(&self) -> usize {
        self.groups.len()
    }

    /// The groups, in no particular order.
    pub(crate) fn groups(&self) -> impl Iterator<Item = &Group> {
        self.groups.values()
    }

    /// Drains what changed since the last call, for the store.
    pub(crate) fn take_changes(&mut self) -> GroupChanges {
        let removed = std::mem::take(&mut self.removed);
        let released_alerts = std::mem::take(&mut self.released);
        let left = std::mem::take(&mut self.left);
        // Only the owner of a group stores it: the other replicas' copies follow the owner's.
        let dirty = std::mem::take(&mut self.dirty);
        let upserted =
            dirty.into_iter().filter(|id| self.ownership.owns(*id)).filter_map(|id| self.snapshot(id)).collect();
        let mut removed: Vec<GroupId> = removed.into_iter().filter(|id| self.ownership.owns(*id)).collect();
        removed.append(&mut self.unclaimed);
        GroupChanges { upserted, removed, released_alerts, left }
    }
}

/// One group fewer holds `alert`; when none does, the store may forget this version.
fn release(holders: &mut HashMap<Fingerprint, u32>, released: &mut Vec<u64>, alert: &Alert) {
    let Some(count) = holders.get_mut(&alert.fingerprint) else { return };
    *count = count.saturating_sub(1);
    if *count == 0 {
        holders.remove(&alert.fingerprint);
        released.push(alert.version);
    }
}

fn flush_request(tree: &RouteTree, group: &Group, now: DateTime<Utc>, first: bool) -> FlushRequest {
    FlushRequest {
        group_id: group.id,
        group_key: group.key.clone(),
        group_labels: group.labels.clone(),
        receiver: group.receiver.clone(),
        route: group.route,
        repeat_interval: tree.node(group.route).repeat_interval,
        alerts: group.sorted_alerts(),
        now,
        escalation: None,
        followers: group.timer.state.followers.clone(),
        acked: group.timer.state.ack.is_some(),
        first,
    }
}

/// The fingerprints of a flush's alerts, split into firing and resolved at the flush time.
pub(crate) fn split_by_state(alerts: &[Arc<Alert>], now: DateTime<Utc>) -> (BTreeSet<u64>, BTreeSet<u64>) {
    let mut firing = BTreeSet::new();
    let mut resolved = BTreeSet::new();
    for alert in alerts {
        let set = if alert.resolved_at(now) { &mut resolved } else { &mut firing };
        set.insert(alert.fingerprint.0);
    }
    (firing, resolved)
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    const CONFIG: &str = "
route:
  receiver: hook
  group_by: [alertname]
  group_wait: 2s
  group_interval: 6s
  repeat_interval: 1h
  routes:
  - matchers: [team=b]
    receiver: team-b
    continue: true
  - matchers: [team=b]
    receiver: hook
receivers: [{name: hook}, {name: team-b}]
";

    fn tree(yaml: &str) -> Arc<RouteTree> {
        let loaded = crate::config::parse_str(yaml, Path::new(".")).unwrap_or_else(|err| panic!("{err}"));
        Arc::new(RouteTree::new(&loaded.config.route))
    }

    fn t(seconds: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000 + seconds, 0).expect("valid")
    }

    fn alert(name: &str, starts: i64, ends: i64, updated: i64) -> Arc<Alert> {
        let labels = LabelSet::from([("alertname".to_string(), name.to_string())]);
        let version = 100 + updated as u64;
        Arc::new(Alert { version, ..Alert::new(labels, LabelSet::new(), t(starts), t(ends), t(updated)) })
    }

    fn names(request: &FlushRequest) -> Vec<String> {
        request.alerts.iter().map(|a| a.labels["alertname"].to_string()).collect()
    }

    /// Runs the core second by second from `from` to `to`, completing each flush at once, and returns
    /// `(second, alerts)` for every flush.
    fn run(core: &mut DispatchCore, from: i64, to: i64) -> Vec<(i64, Vec<String>)> {
        let mut seen = Vec::new();
        for second in from..=to {
            for request in core.take_due(t(second)) {
                seen.push((second, names(&request)));
                assert!(core.flush_done(&request, true, false, t(second)).is_none());
            }
        }
        seen
    }

    #[test]
    fn first_flush_after_group_wait_then_every_group_interval() {
        let mut core = DispatchCore::new(tree(CONFIG));
        core.insert(alert("X", 0, 3600, 0), t(0));
        assert_eq!(core.next_deadline(), Some(t(2)));
        assert_eq!(run(&mut core, 0, 2), vec![(2, vec!["X".to_string()])]);
        core.insert(alert("X", 0, 3600, 3), t(3));
        assert_eq!(run(&mut core, 3, 7), vec![], "a change after the first flush waits for the next tick");
        assert_eq!(run(&mut core, 8, 14), vec![(8, vec!["X".to_string()]), (14, vec!["X".to_string()])]);
    }

    #[test]
    fn an_alert_that_already_waited_flushes_immediately() {
        let mut core = DispatchCore::new(tree(CONFIG));
        core.insert(alert("Old", -3600, 3600, 0), t(0));
        assert_eq!(core.next_deadline(), Some(t(0)));
    }

    #[test]
    fn continue_puts_an_alert_in_one_group_per_route() {
        let mut core = DispatchCore::new(tree(CONFIG));
        let labels =
            LabelSet::from([("alertname".to_string(), "A".to_string()), ("team".to_string(), "b".to_string())]);
        core.insert(Arc::new(Alert::new(labels, LabelSet::new(), t(0), t(3600), t(0))), t(0));
        let mut keys: Vec<(String, String)> = core.groups().map(|g| (g.receiver.clone(), g.key.clone())).collect();
        keys.sort();
        assert_eq!(
            keys,
            vec![
                ("hook".to_string(), "{}/{team=\"b\"}:{alertname=\"A\"}".to_string()),
                ("team-b".to_string(), "{}/{team=\"b\"}:{alertname=\"A\"}".to_string()),
            ]
        );
        assert_eq!(core.groups().map(|g| g.id).collect::<HashSet<_>>().len(), 2, "same key, distinct ids");
    }

    #[test]
    fn resolved_alerts_leave_the_group_only_after_a_successful_flush() {
        let mut core = DispatchCore::new(tree(CONFIG));
        core.insert(alert("X", 0, 5, 0), t(0));
        let first = core.take_due(t(2)).pop().expect("due at 2s");
        assert!(core.flush_done(&first, true, false, t(2)).is_none());
        let failed = core.take_due(t(8)).pop().expect("due at 8s");
        assert!(failed.alerts[0].resolved_at(t(8)));
        core.flush_done(&failed, false, false, t(8));
        assert_eq!(core.groups().next().map(|g| g.alerts.len()), Some(1), "kept for the retry");
        let retried = core.take_due(t(14)).pop().expect("due at 14s");
        core.flush_done(&retried, true, false, t(14));
        assert_eq!(core.groups().next().map(|g| g.alerts.len()), Some(0));
        core.remove_empty();
        assert_eq!(core.groups().count(), 0);
        let changes = core.take_changes();
        assert_eq!(changes.removed.len(), 1);
        assert_eq!(changes.released_alerts, vec![retried.alerts[0].version], "the store may forget it now");
    }

    #[test]
    fn an_alert_updated_during_the_flush_is_not_removed() {
        let mut core = DispatchCore::new(tree(CONFIG));
        core.insert(alert("X", 0, 1, 0), t(0));
        let flush = core.take_due(t(2)).pop().expect("due");
        core.insert(alert("X", 0, 3600, 3), t(3));
        core.flush_done(&flush, true, false, t(3));
        assert_eq!(core.groups().next().map(|g| g.alerts.len()), Some(1));
    }

    #[test]
    fn a_tick_during_a_slow_delivery_runs_when_it_ends() {
        let mut core = DispatchCore::new(tree(CONFIG));
        core.insert(alert("X", 0, 3600, 0), t(0));
        let slow = core.take_due(t(2)).pop().expect("due");
        let mut second = (*alert("X", 5, 3600, 5)).clone();
        second.labels.insert("instance".to_string(), "b".to_string());
        second.fingerprint = crate::labels::fingerprint(&second.labels);
        core.insert(Arc::new(second), t(5));
        assert!(core.take_due(t(8)).is_empty(), "not in parallel with the slow one");
        let pending = core.flush_done(&slow, true, false, t(9)).expect("the tick that came due");
        assert_eq!(pending.alerts.len(), 2);
        assert_eq!(core.next_deadline(), Some(t(14)), "the schedule did not slip");
    }

    #[test]
    fn restored_timers_resume_where_they_were() {
        let mut before = DispatchCore::new(tree(CONFIG));
        before.insert(alert("X", 0, 3600, 0), t(0));
        run(&mut before, 0, 2);
        let snapshots = before.take_changes().upserted;
        assert_eq!(snapshots[0].timer.next_flush, t(8));

        let mut after = DispatchCore::new(tree(CONFIG));
        after.restore(snapshots.iter().map(|s| (s.id, s.timer.clone())));
        after.insert(alert("X", 0, 3600, 0), t(5));
        after.drop_unclaimed();
        assert_eq!(after.next_deadline(), Some(t(8)), "neither group_wait again nor an early flush");
        assert!(after.take_changes().removed.is_empty());

        let mut late = DispatchCore::new(tree(CONFIG));
        late.restore(snapshots.iter().map(|s| (s.id, s.timer.clone())));
        late.insert(alert("X", 0, 3600, 0), t(30));
        assert_eq!(run(&mut late, 30, 30), vec![(30, vec!["X".to_string()])], "a missed tick is not skipped");
    }

    #[test]
    fn quiet_ticks_are_not_stored_but_the_first_flush_is() {
        let mut core = DispatchCore::new(tree(CONFIG));
        core.insert(alert("X", 0, 3600, 0), t(0));
        core.take_changes();
        let first = core.take_due(t(2)).pop().expect("due at 2s");
        assert!(first.first);
        core.flush_done(&first, true, true, t(2));
        let stored = core.take_changes().upserted;
        assert_eq!(stored.len(), 1, "the first flush is stored even when it sent nothing");
        assert!(stored[0].timer.has_flushed);
        let tick = core.take_due(t(8)).pop().expect("due at 8s");
        assert!(!tick.first);
        core.flush_done(&tick, true, true, t(8));
        assert!(core.take_changes().upserted.is_empty(), "a quiet tick writes nothing");
        assert_eq!(core.next_deadline(), Some(t(14)), "but its timer moved on");
        let sent = core.take_due(t(14)).pop().expect("due at 14s");
        core.flush_done(&sent, true, false, t(14));
        assert_eq!(core.take_changes().upserted[0].timer.next_flush, t(20), "a notification stores the timer");
    }

    #[test]
    fn a_reload_keeps_alerts_newer_than_the_callers_copy() {
        let mut core = DispatchCore::new(tree(CONFIG));
        core.insert(alert("X", 0, 3600, 0), t(0));
        let resolved = alert("X", 0, 5, 5);
        core.insert(Arc::clone(&resolved), t(5));
        core.insert(alert("Y", 6, 3600, 6), t(6));
        core.reload(tree(CONFIG), [alert("X", 0, 3600, 0)], t(7));
        let versions: Vec<i64> = {
            let mut v: Vec<i64> = core
                .groups()
                .flat_map(|g| g.alerts.values().map(|a| a.updated_at.timestamp() - t(0).timestamp()))
                .collect();
            v.sort();
            v
        };
        assert_eq!(versions, vec![5, 6], "the resolved X and the new Y survive a reload from an older copy");
    }

    #[test]
    fn a_flush_cut_short_by_a_crash_is_redone_at_once_after_the_restart() {
        let mut core = DispatchCore::new(tree(CONFIG));
        core.insert(alert("X", 0, 3600, 0), t(0));
        let snapshot_before = core.take_changes().upserted;
        let _in_flight = core.take_due(t(2)).pop().expect("due");
        assert!(core.take_changes().upserted.is_empty(), "the re-armed timer is not persisted mid-flight");
        assert_eq!(snapshot_before[0].timer.next_flush, t(2));
    }

    #[test]
    fn unclaimed_restored_groups_are_removed() {
        let mut core = DispatchCore::new(tree(CONFIG));
        let timer = GroupTimer { next_flush: t(1), has_flushed: true, created_at: t(0), state: GroupState::default() };
        core.restore([(GroupId(42), timer)]);
        core.drop_unclaimed();
        assert_eq!(core.take_changes().removed, vec![GroupId(42)]);
    }

    #[test]
    fn a_reload_keeps_groups_whose_route_is_unchanged() {
        let mut core = DispatchCore::new(tree(CONFIG));
        let x = alert("X", 0, 3600, 0);
        core.insert(Arc::clone(&x), t(0));
        run(&mut core, 0, 2);
        let changed = CONFIG
            .replace("group_interval: 6s", "group_interval: 6s\n  repeat_interval: 2h")
            .replace("  repeat_interval: 1h\n", "");
        core.reload(tree(&changed), [Arc::clone(&x)], t(4));
        assert_eq!(core.groups().count(), 1);
        assert_eq!(core.next_deadline(), Some(t(8)), "the timer carried over");
        assert!(core.take_changes().removed.is_empty());

        let regrouped = CONFIG.replace("group_by: [alertname]", "group_by: [cluster]");
        core.reload(tree(&regrouped), [x], t(5));
        let changes = core.take_changes();
        assert_eq!(changes.removed.len(), 1, "the old group is gone");
        assert_eq!(core.next_deadline(), Some(t(5)), "the new group flushes at once: its alert already waited");
    }

    #[test]
    fn a_resolved_alert_whose_notification_keeps_failing_is_given_up_after_the_retention() {
        let mut core = DispatchCore::new(tree(CONFIG));
        core.set_resolved_retention(Duration::from_secs(60));
        core.insert(alert("Gone", -10, 1, 0), t(0));
        let mut flushes = 0;
        for second in 0..=70 {
            for request in core.take_due(t(second)) {
                flushes += 1;
                assert!(core.flush_done(&request, false, false, t(second)).is_none());
            }
        }
        assert_eq!(flushes, 12, "tried at every tick while it was kept");
        assert!(core.groups().all(|group| group.alerts.is_empty()), "given up once resolved for over 60 s");
        assert_eq!(core.take_changes().released_alerts, vec![100], "and its row may go");
    }

    const ESCALATING: &str = "
route:
  receiver: hook
  group_by: [alertname]
  group_wait: 2s
  group_interval: 6s
  repeat_interval: 1h
  escalation:
    levels: [{after: 60s, receiver: second}, {after: 180s, receiver: boss}]
    ack_timeout: 300s
receivers: [{name: hook}, {name: second}, {name: boss}]
";

    /// Runs the core second by second, completing each flush at once, and returns the escalation levels
    /// that fired as `(second, receiver)`.
    fn levels(core: &mut DispatchCore, from: i64, to: i64) -> Vec<(i64, String)> {
        let mut seen = Vec::new();
        for second in from..=to {
            for request in core.take_due(t(second)) {
                match &request.escalation {
                    Some(_) => seen.push((second, request.receiver.clone())),
                    None => assert!(core.flush_done(&request, true, false, t(second)).is_none()),
                }
            }
        }
        seen
    }

    fn only_group(core: &DispatchCore) -> GroupId {
        core.groups().next().map(|g| g.id).expect("one group")
    }

    #[test]
    fn an_unacknowledged_group_climbs_each_level_once() {
        let mut core = DispatchCore::new(tree(ESCALATING));
        core.insert(alert("X", 0, 3600, 0), t(0));
        assert_eq!(levels(&mut core, 0, 400), vec![(60, "second".to_string()), (180, "boss".to_string())]);
        let group = core.group(only_group(&core)).expect("group");
        assert_eq!(group.timer.state.followers, vec!["second", "boss"]);
        let flush = flush_request(core.tree(), group, t(401), false);
        assert_eq!(flush.followers, vec!["second", "boss"], "the group's flushes now go to them too");
    }

    #[test]
    fn an_acknowledged_group_does_not_climb_until_the_ack_times_out() {
        let mut core = DispatchCore::new(tree(ESCALATING));
        core.insert(alert("X", 0, 3600, 0), t(0));
        let id = only_group(&core);
        assert_eq!(levels(&mut core, 0, 30), vec![]);
        let snapshot = core.acknowledge(id, "alice".into(), "on it".into(), None, t(30)).expect("acked");
        assert_eq!(snapshot.timer.state.ack.as_ref().and_then(|a| a.timeout_at), Some(t(330)));
        assert!(core.take_changes().upserted.iter().any(|g| g.timer.state.ack.is_some()), "persisted");
        assert_eq!(levels(&mut core, 31, 329), vec![], "no level while acknowledged");
        assert_eq!(levels(&mut core, 330, 600), vec![(390, "second".to_string()), (510, "boss".to_string())]);
    }

    #[test]
    fn a_new_alert_wakes_an_acknowledged_group_and_a_known_one_does_not() {
        let mut core = DispatchCore::new(tree(ESCALATING));
        core.insert(alert("X", 0, 3600, 0), t(0));
        let id = only_group(&core);
        core.acknowledge(id, "alice".into(), String::new(), None, t(10)).expect("acked");
        core.insert(alert("X", 0, 3600, 20), t(20));
        assert!(core.group(id).expect("group").timer.state.ack.is_some(), "the same alert again changes nothing");
        let mut other = (*alert("X", 25, 3600, 25)).clone();
        other.labels.insert("instance".to_string(), "b".to_string());
        other.fingerprint = crate::labels::fingerprint(&other.labels);
        core.insert(Arc::new(other), t(25));
        assert!(core.group(id).expect("group").timer.state.ack.is_none(), "a new alert ends the ack");
        assert_eq!(levels(&mut core, 21, 100), vec![(85, "second".to_string())], "the climb restarts from then");
    }

    #[test]
    fn resolution_stops_the_climb_and_a_flush_of_nothing_firing_ends_the_episode() {
        let mut core = DispatchCore::new(tree(ESCALATING));
        core.insert(alert("X", 0, 3600, 0), t(0));
        assert_eq!(levels(&mut core, 0, 70), vec![(60, "second".to_string())]);
        core.insert(alert("X", 0, 100, 100), t(100));
        assert_eq!(levels(&mut core, 100, 400), vec![], "resolved: no more levels");
        let state = &core.group(only_group(&core)).expect("group").timer.state;
        assert_eq!(state, &GroupState::default(), "episode, followers and ack gone after the resolve was sent");
        core.insert(alert("X", 500, 3600, 500), t(500));
        assert_eq!(levels(&mut core, 500, 600), vec![(560, "second".to_string())], "a new episode climbs again");
    }

    #[test]
    fn acknowledgement_errors_and_undo() {
        let mut core = DispatchCore::new(tree(ESCALATING));
        assert_eq!(
            core.acknowledge(GroupId(7), "a".into(), String::new(), None, t(0)).err(),
            Some(AckError::UnknownGroup(GroupId(7)))
        );
        core.insert(alert("X", 0, 3600, 0), t(0));
        let id = only_group(&core);
        assert_eq!(core.unacknowledge(id, t(1)).err(), Some(AckError::NotAcknowledged(id)));
        assert_eq!(
            core.acknowledge(id, "a".into(), String::new(), Some(t(1)), t(1)).err(),
            Some(AckError::ExpiryPast(t(1)))
        );
        core.acknowledge(id, "a".into(), String::new(), Some(t(100)), t(10)).expect("acked");
        assert_eq!(core.next_deadline(), Some(t(2)), "the first flush still comes first");
        levels(&mut core, 0, 20);
        core.unacknowledge(id, t(20)).expect("withdrawn");
        assert_eq!(levels(&mut core, 21, 90), vec![(80, "second".to_string())]);
        core.insert(alert("X", 0, 95, 95), t(95));
        levels(&mut core, 95, 200);
        assert_eq!(
            core.acknowledge(id, "a".into(), String::new(), None, t(200)).err(),
            Some(AckError::NothingFiring(id))
        );
    }

    #[test]
    fn escalation_state_survives_a_restart() {
        let mut before = DispatchCore::new(tree(ESCALATING));
        before.insert(alert("X", 0, 3600, 0), t(0));
        levels(&mut before, 0, 100);
        let snapshots = before.take_changes().upserted;
        let mut after = DispatchCore::new(tree(ESCALATING));
        after.restore(snapshots.iter().map(|s| (s.id, s.timer.clone())));
        after.insert(alert("X", 0, 3600, 0), t(150));
        assert_eq!(levels(&mut after, 150, 400), vec![(180, "boss".to_string())], "level 2 on time, level 1 not again");
    }

    /// Ownership of the shard of group `id` only, for an hour.
    fn holding(id: GroupId) -> Arc<Ownership> {
        let ownership = Ownership::leased();
        let shard = u32::try_from(Ownership::shard(id)).expect("a small shard number");
        ownership.hold(&[shard], std::time::Instant::now() + Duration::from_secs(3600));
        Arc::new(ownership)
    }

    #[test]
    fn a_replica_notifies_only_the_groups_it_owns_and_its_copies_follow_the_owner() {
        let (mut owner, mut copy) = (DispatchCore::new(tree(CONFIG)), DispatchCore::new(tree(CONFIG)));
        owner.insert(alert("X", 0, 3600, 0), t(0));
        copy.insert(alert("X", 0, 3600, 0), t(0));
        let id = owner.groups().next().expect("a group").id;
        owner.set_ownership(holding(id));
        copy.set_ownership(Arc::new(Ownership::leased()));

        assert!(copy.take_due(t(2)).is_empty(), "another replica owns the group");
        assert_eq!(copy.next_deadline(), Some(t(3)), "it looks again a second later, in case it takes over");
        assert!(copy.take_changes().upserted.is_empty(), "only the owner stores a group");
        let flush = owner.take_due(t(2)).pop().expect("the owner flushes");
        assert!(owner.flush_done(&flush, true, false, t(2)).is_none());
        for group in owner.take_changes().upserted {
            copy.apply_remote(group, t(2));
        }
        assert_eq!(copy.next_deadline(), Some(t(8)), "the copy's timer follows the owner's");

        // The owner stops: the copy takes the shard and flushes on the owner's schedule, no sooner.
        copy.set_ownership(holding(id));
        assert_eq!(run(&mut copy, 3, 8), vec![(8, vec!["X".to_string()])]);
    }

    #[test]
    fn an_owner_takes_only_the_acknowledgement_from_another_replica_and_copies_drop_what_left_the_group() {
        let (mut owner, mut copy) = (DispatchCore::new(tree(CONFIG)), DispatchCore::new(tree(CONFIG)));
        let resolving = alert("X", 0, 5, 0);
        owner.insert(Arc::clone(&resolving), t(0));
        copy.insert(Arc::clone(&resolving), t(0));
        let id = owner.groups().next().expect("a group").id;
        owner.set_ownership(holding(id));
        copy.set_ownership(Arc::new(Ownership::leased()));
        let flush = owner.take_due(t(2)).pop().expect("the owner flushes");
        owner.flush_done(&flush, true, false, t(2));
        owner.take_changes();

        let acked = copy.acknowledge(id, "alice".into(), "on it".into(), None, t(3)).expect("acknowledged");
        owner.apply_remote(acked, t(3));
        let group = owner.group(id).expect("the group");
        assert_eq!(group.timer.state.ack.as_ref().map(|ack| ack.by.as_str()), Some("alice"));
        assert_eq!(group.timer.next_flush, t(8), "the owner keeps its own timer");
        assert_eq!(owner.take_changes().upserted.len(), 1, "and stores the group with the acknowledgement");

        let flush = owner.take_due(t(8)).pop().expect("due at 8s");
        owner.flush_done(&flush, true, false, t(8));
        let left = owner.take_changes().left;
        assert_eq!(left, vec![Departure { group: id, fingerprint: resolving.fingerprint, version: resolving.version }]);
        for departure in left {
            copy.depart_remote(departure);
        }
        assert_eq!(copy.group(id).map(|g| g.alerts.len()), Some(0), "the copy lets the notified resolve go");
        copy.remove_remote(id);
        assert_eq!(copy.groups().count(), 0);
    }
}
