//! The dispatcher's state machine, free of I/O and of the clock: alerts go in, groups come due, flush
//! results come back. The actor in `mod.rs` drives it; tests drive it with explicit times.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};

use super::group::{Group, GroupId, GroupTimer, group_key};
use crate::alert::Alert;
use crate::labels::{Fingerprint, LabelSet};
use crate::routing::{RouteId, RouteTree};

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
    /// How long a resolved alert that could not be notified stays in its group.
    resolved_retention: chrono::Duration,
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
            resolved_retention: chrono::Duration::hours(120),
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

    /// Forgets restored timers that no alert re-created (their groups are gone) and marks them removed.
    pub(crate) fn drop_unclaimed(&mut self) {
        let unclaimed: Vec<GroupId> = self.restored.drain().map(|(id, _)| id).collect();
        self.removed.extend(unclaimed);
    }

    /// Routes an alert (a new version of it) into one group per matching route.
    pub(crate) fn insert(&mut self, alert: Arc<Alert>, now: DateTime<Utc>) {
        let tree = Arc::clone(&self.tree);
        for route_id in tree.matching_routes(&alert.labels) {
            let route = tree.node(route_id);
            let labels = route.group_labels(&alert.labels);
            let id = GroupId::of(&route.ident, &labels);
            if !self.groups.contains_key(&id) {
                let group = self.new_group(id, route_id, labels, now);
                self.schedule.insert((group.timer.next_flush, id));
                self.groups.insert(id, group);
                self.dirty.insert(id);
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
        }
    }

    /// Groups whose delivery in flight has newer content waiting (since the last call).
    pub(crate) fn take_superseded(&mut self) -> Vec<GroupId> {
        std::mem::take(&mut self.superseded)
    }

    /// When the earliest group comes due.
    pub(crate) fn next_deadline(&self) -> Option<DateTime<Utc>> {
        self.schedule.first().map(|(at, _)| *at)
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
            let interval = self.tree.node(group.route).group_interval;
            group.timer.has_flushed = true;
            group.timer.next_flush = now + chrono::Duration::from_std(interval).unwrap_or(chrono::Duration::MAX);
            self.schedule.insert((group.timer.next_flush, id));
            if group.in_flight {
                group.flush_pending = true;
                self.superseded.push(id);
                continue;
            }
            group.in_flight = true;
            flushes.push(flush_request(&self.tree, group, now));
        }
        flushes
    }

    /// Records the end of a flush. After a successful one, the alerts it sent as resolved are removed from the
    /// group unless they changed since. Returns the pending flush, if one came due meanwhile.
    pub(crate) fn flush_done(
        &mut self,
        done: &FlushRequest,
        success: bool,
        now: DateTime<Utc>,
    ) -> Option<FlushRequest> {
        let group = self.groups.get_mut(&done.group_id)?;
        group.in_flight = false;
        self.dirty.insert(done.group_id);
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
                release(&mut self.holders, &mut self.released, alert);
            }
        }
        if std::mem::take(&mut group.flush_pending) {
            group.in_flight = true;
            return Some(flush_request(&self.tree, group, now));
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

    /// The groups, in no particular order.
    pub(crate) fn groups(&self) -> impl Iterator<Item = &Group> {
        self.groups.values()
    }

    /// Drains what changed since the last call, for the store.
    pub(crate) fn take_changes(&mut self) -> GroupChanges {
        let removed = std::mem::take(&mut self.removed);
        let released_alerts = std::mem::take(&mut self.released);
        let upserted = std::mem::take(&mut self.dirty)
            .into_iter()
            .filter_map(|id| self.groups.get(&id))
            .map(|group| GroupSnapshot {
                id: group.id,
                key: group.key.clone(),
                labels: group.labels.clone(),
                receiver: group.receiver.clone(),
                timer: group.timer.clone(),
            })
            .collect();
        GroupChanges { upserted, removed, released_alerts }
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

fn flush_request(tree: &RouteTree, group: &Group, now: DateTime<Utc>) -> FlushRequest {
    FlushRequest {
        group_id: group.id,
        group_key: group.key.clone(),
        group_labels: group.labels.clone(),
        receiver: group.receiver.clone(),
        route: group.route,
        repeat_interval: tree.node(group.route).repeat_interval,
        alerts: group.sorted_alerts(),
        now,
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
                assert!(core.flush_done(&request, true, t(second)).is_none());
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
        assert!(core.flush_done(&first, true, t(2)).is_none());
        let failed = core.take_due(t(8)).pop().expect("due at 8s");
        assert!(failed.alerts[0].resolved_at(t(8)));
        core.flush_done(&failed, false, t(8));
        assert_eq!(core.groups().next().map(|g| g.alerts.len()), Some(1), "kept for the retry");
        let retried = core.take_due(t(14)).pop().expect("due at 14s");
        core.flush_done(&retried, true, t(14));
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
        core.flush_done(&flush, true, t(3));
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
        let pending = core.flush_done(&slow, true, t(9)).expect("the tick that came due");
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
        let timer = GroupTimer { next_flush: t(1), has_flushed: true, created_at: t(0) };
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
                assert!(core.flush_done(&request, false, t(second)).is_none());
            }
        }
        assert_eq!(flushes, 12, "tried at every tick while it was kept");
        assert!(core.groups().all(|group| group.alerts.is_empty()), "given up once resolved for over 60 s");
        assert_eq!(core.take_changes().released_alerts, vec![100], "and its row may go");
    }
}
