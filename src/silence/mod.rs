//! Silences: the model, Alertmanager's validation and update rules, and the set of silences in force.

use std::collections::HashMap;
use std::sync::RwLock;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::labels::{LabelSet, MatchType, Matcher, is_valid_label_name};

/// One matcher of a silence, as the API writes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct SilenceMatcher {
    /// Label name.
    pub name: String,
    /// Value or regex.
    pub value: String,
    /// Whether `value` is a regex.
    pub is_regex: bool,
    /// False for `!=` / `!~`.
    #[serde(default = "yes")]
    pub is_equal: bool,
}

fn yes() -> bool {
    true
}

impl SilenceMatcher {
    /// The matcher operator these flags stand for.
    pub(crate) fn kind(&self) -> MatchType {
        match (self.is_regex, self.is_equal) {
            (false, true) => MatchType::Equal,
            (false, false) => MatchType::NotEqual,
            (true, true) => MatchType::Regex,
            (true, false) => MatchType::NotRegex,
        }
    }

    fn compile(&self) -> Result<Matcher, String> {
        Matcher::new(self.kind(), &self.name, &self.value).map_err(|err| err.to_string())
    }
}

/// A silence.
#[derive(Debug, Clone)]
pub(crate) struct Silence {
    /// UUID.
    pub id: String,
    /// What it matches.
    pub matchers: Vec<SilenceMatcher>,
    compiled: Vec<Matcher>,
    /// Start.
    pub starts_at: DateTime<Utc>,
    /// End.
    pub ends_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
    /// Author.
    pub created_by: String,
    /// Why.
    pub comment: String,
}

/// Where a silence is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum State {
    /// Muting now.
    Active,
    /// Starts later.
    Pending,
    /// Ended.
    Expired,
}

impl State {
    /// The API's name for it.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            State::Active => "active",
            State::Pending => "pending",
            State::Expired => "expired",
        }
    }
}

impl Silence {
    /// Builds and validates a silence as Alertmanager's `validateSilence` does.
    pub(crate) fn new(
        id: String,
        matchers: Vec<SilenceMatcher>,
        starts_at: DateTime<Utc>,
        ends_at: DateTime<Utc>,
        created_by: String,
        comment: String,
        updated_at: DateTime<Utc>,
    ) -> Result<Silence, String> {
        if matchers.is_empty() {
            return Err("at least one matcher required".into());
        }
        let mut compiled = Vec::with_capacity(matchers.len());
        for matcher in &matchers {
            if !is_valid_label_name(&matcher.name) {
                return Err(format!("invalid label matcher: invalid label name {:?}", matcher.name));
            }
            compiled.push(matcher.compile().map_err(|err| format!("invalid label matcher: {err}"))?);
        }
        if compiled.iter().all(|m| m.matches_value("")) {
            return Err("at least one matcher must not match the empty string".into());
        }
        if ends_at < starts_at {
            return Err("end time must not be before start time".into());
        }
        Ok(Silence { id, matchers, compiled, starts_at, ends_at, updated_at, created_by, comment })
    }

    /// Its state at `now` (still active at the very instant of its end, as in Alertmanager).
    pub(crate) fn state(&self, now: DateTime<Utc>) -> State {
        if self.ends_at < now {
            State::Expired
        } else if self.starts_at > now {
            State::Pending
        } else {
            State::Active
        }
    }

    /// Whether it mutes an alert with these labels (when active).
    pub(crate) fn matches(&self, labels: &LabelSet) -> bool {
        self.compiled.iter().all(|m| m.matches(labels))
    }
}

/// Why a change to the silences was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum SilenceError {
    /// No silence has that id.
    #[error("silence not found")]
    NotFound,
    /// The silence is not valid.
    #[error("silence invalid: {0}")]
    Invalid(String),
}

/// What a change did: the versions to store, and what each replaced (to undo the change if the store
/// refuses it).
#[derive(Debug, Default)]
pub(crate) struct Changed {
    /// Silences to write.
    pub written: Vec<Silence>,
    /// For each written silence, the version it replaced (`None` for a new one).
    replaced: Vec<Option<Silence>>,
}

impl Changed {
    fn record(&mut self, written: Silence, replaced: Option<Silence>) {
        self.written.push(written);
        self.replaced.push(replaced);
    }
}

/// All silences, expired ones included until the retention passes.
#[derive(Default)]
pub(crate) struct Silences {
    by_id: RwLock<HashMap<String, Silence>>,
    /// Versions whose commit failed, with the version each had replaced, remembered for a while, so that
    /// the roll-back of a change made on top of one goes back past it (see [`Silences::roll_back`]).
    undone: std::sync::Mutex<HashMap<VersionKey, (Option<Silence>, std::time::Instant)>>,
}

/// What tells two versions of one silence apart.
type VersionKey = (String, DateTime<Utc>, DateTime<Utc>, DateTime<Utc>, String);

fn version_key(silence: &Silence) -> VersionKey {
    (silence.id.clone(), silence.updated_at, silence.starts_at, silence.ends_at, silence.comment.clone())
}

/// How long a failed version is remembered: longer than any commit can wait.
const UNDONE_MEMORY: std::time::Duration = std::time::Duration::from_secs(60);

impl Silences {
    /// Silences loaded from the store.
    pub(crate) fn with(silences: impl IntoIterator<Item = Silence>) -> Self {
        Silences {
            by_id: RwLock::new(silences.into_iter().map(|s| (s.id.clone(), s)).collect()),
            undone: std::sync::Mutex::default(),
        }
    }

    /// Creates a silence, or updates the one with `id`, with Alertmanager's rules: an update that changes
    /// the matchers, or moves the start of an active silence, expires the old one and creates a new one.
    /// `while_locked` sees the change before any other can be made (to queue its commit in order); if the
    /// commit fails, [`Silences::roll_back`] undoes it.
    pub(crate) fn set<R>(
        &self,
        id: Option<&str>,
        mut silence: Silence,
        now: DateTime<Utc>,
        while_locked: impl FnOnce(&Changed) -> R,
    ) -> Result<(String, Changed, R), SilenceError> {
        let now = to_millis(now);
        let mut by_id = self.by_id.write().expect("silence lock is never poisoned");
        let mut changed = Changed::default();
        let mut previous = None;
        if let Some(id) = id.filter(|id| !id.is_empty()) {
            let old = by_id.get(id).cloned().ok_or(SilenceError::NotFound)?;
            if can_update(&old, &silence, now) {
                silence.id = id.to_string();
                silence.updated_at = now;
                by_id.insert(silence.id.clone(), silence.clone());
                changed.record(silence, Some(old));
                let result = while_locked(&changed);
                return Ok((id.to_string(), changed, result));
            }
            previous = Some(old);
        }
        silence.id = uuid::Uuid::new_v4().to_string();
        silence.starts_at = silence.starts_at.max(now);
        if silence.ends_at < silence.starts_at {
            return Err(SilenceError::Invalid("end time must not be before start time".into()));
        }
        if let Some(old) = previous.filter(|old| old.state(now) != State::Expired) {
            let expired = expire_at(old.clone(), now);
            by_id.insert(expired.id.clone(), expired.clone());
            changed.record(expired, Some(old));
        }
        silence.updated_at = now;
        let id = silence.id.clone();
        by_id.insert(id.clone(), silence.clone());
        changed.record(silence, None);
        let result = while_locked(&changed);
        Ok((id, changed, result))
    }

    /// Expires a silence now; an expired one stays as it is (and nothing is changed). `while_locked` as for
    /// [`Silences::set`].
    pub(crate) fn expire<R>(
        &self,
        id: &str,
        now: DateTime<Utc>,
        while_locked: impl FnOnce(&Changed) -> R,
    ) -> Result<Option<(Changed, R)>, SilenceError> {
        let now = to_millis(now);
        let mut by_id = self.by_id.write().expect("silence lock is never poisoned");
        let silence = by_id.get(id).cloned().ok_or(SilenceError::NotFound)?;
        if silence.state(now) == State::Expired {
            return Ok(None);
        }
        let expired = expire_at(silence.clone(), now);
        by_id.insert(expired.id.clone(), expired.clone());
        let mut changed = Changed::default();
        changed.record(expired, Some(silence));
        let result = while_locked(&changed);
        Ok(Some((changed, result)))
    }

    /// Undoes a change whose commit failed, for every silence no later change has replaced since.
    /// Changes made on top of each other may be rolled back in any order: whichever comes last restores
    /// what was stored.
    pub(crate) fn roll_back(&self, changed: Changed) {
        let mut by_id = self.by_id.write().expect("silence lock is never poisoned");
        let mut undone = self.undone.lock().expect("silence lock is never poisoned");
        let now = std::time::Instant::now();
        undone.retain(|_, (_, at)| now.duration_since(*at) < UNDONE_MEMORY);
        for (written, replaced) in changed.written.iter().zip(&changed.replaced) {
            undone.insert(version_key(written), (replaced.clone(), now));
        }
        for (written, replaced) in changed.written.into_iter().zip(changed.replaced) {
            // The current version is this change's, or one undone already (a later change undone first).
            let current_undone =
                by_id.get(&written.id).is_some_and(|current| undone.contains_key(&version_key(current)));
            if !current_undone {
                continue;
            }
            let mut restore = replaced;
            while let Some((earlier, _)) = restore.as_ref().and_then(|silence| undone.get(&version_key(silence))) {
                restore = earlier.clone();
            }
            match restore {
                Some(previous) => by_id.insert(previous.id.clone(), previous),
                None => by_id.remove(&written.id),
            };
        }
    }

    /// Takes in silences another replica stored (created, updated, expired), unless this replica holds a
    /// later change of the same silence, and forgets those it deleted.
    pub(crate) fn apply_remote(&self, written: impl IntoIterator<Item = Silence>, deleted: &[String]) {
        let mut by_id = self.by_id.write().expect("silence lock is never poisoned");
        for silence in written {
            if by_id.get(&silence.id).is_none_or(|known| known.updated_at <= silence.updated_at) {
                by_id.insert(silence.id.clone(), silence);
            }
        }
        for id in deleted {
            by_id.remove(id);
        }
    }

    /// A silence by id.
    pub(crate) fn get(&self, id: &str) -> Option<Silence> {
        self.by_id.read().expect("silence lock is never poisoned").get(id).cloned()
    }

    /// Every silence.
    pub(crate) fn all(&self) -> Vec<Silence> {
        self.by_id.read().expect("silence lock is never poisoned").values().cloned().collect()
    }

    /// The silences active at `now`, to test many alerts against without taking the lock for each.
    pub(crate) fn active(&self, now: DateTime<Utc>) -> Vec<Silence> {
        let by_id = self.by_id.read().expect("silence lock is never poisoned");
        by_id.values().filter(|s| s.state(now) == State::Active).cloned().collect()
    }

    /// Ids of the active silences muting an alert with these labels, sorted.
    pub(crate) fn silenced_by(&self, labels: &LabelSet, now: DateTime<Utc>) -> Vec<String> {
        let by_id = self.by_id.read().expect("silence lock is never poisoned");
        let mut ids: Vec<String> = by_id
            .values()
            .filter(|s| s.state(now) == State::Active && s.matches(labels))
            .map(|s| s.id.clone())
            .collect();
        ids.sort();
        ids
    }

    /// Removes silences expired for longer than `retention` (`--data.retention`) and returns their ids.
    pub(crate) fn collect_expired(&self, now: DateTime<Utc>, retention: Duration) -> Vec<String> {
        let keep = chrono::Duration::from_std(retention).unwrap_or(chrono::Duration::MAX);
        let mut by_id = self.by_id.write().expect("silence lock is never poisoned");
        let old: Vec<String> = by_id.values().filter(|s| s.ends_at + keep <= now).map(|s| s.id.clone()).collect();
        for id in &old {
            by_id.remove(id);
        }
        old
    }
}

/// Times Herald sets are whole milliseconds, the API's precision, so that a client posting back the
/// `startsAt` it read updates the silence in place (as Alertmanager's clients do).
fn to_millis(time: DateTime<Utc>) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(time.timestamp_millis()).unwrap_or(time)
}

fn expire_at(mut silence: Silence, now: DateTime<Utc>) -> Silence {
    match silence.state(now) {
        State::Active => silence.ends_at = now,
        State::Pending => {
            silence.starts_at = now;
            silence.ends_at = now;
        }
        State::Expired => {}
    }
    silence.updated_at = now;
    silence
}

/// Alertmanager's `canUpdate`: same matchers, and only the changes its state allows.
fn can_update(old: &Silence, new: &Silence, now: DateTime<Utc>) -> bool {
    if old.matchers != new.matchers {
        return false;
    }
    match old.state(now) {
        State::Active => new.starts_at == old.starts_at && new.ends_at >= now,
        State::Pending => new.starts_at >= now,
        State::Expired => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Alertmanager's `--data.retention` default.
    const RETENTION: Duration = Duration::from_secs(120 * 3600);
    fn at(seconds: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000 + seconds, 0).expect("valid")
    }

    fn matcher(name: &str, value: &str) -> SilenceMatcher {
        SilenceMatcher { name: name.into(), value: value.into(), is_regex: false, is_equal: true }
    }

    fn silence(matchers: Vec<SilenceMatcher>, starts: i64, ends: i64) -> Result<Silence, String> {
        Silence::new(String::new(), matchers, at(starts), at(ends), "me".into(), "why".into(), at(0))
    }

    #[test]
    fn validation_follows_alertmanager() {
        assert_eq!(silence(vec![], 0, 10).expect_err("no matchers"), "at least one matcher required");
        let empty = SilenceMatcher { is_regex: true, ..matcher("a", ".*") };
        assert_eq!(
            silence(vec![empty], 0, 10).expect_err("matches empty"),
            "at least one matcher must not match the empty string"
        );
        assert!(silence(vec![matcher("0a", "x")], 0, 10).expect_err("bad name").contains("invalid label name"));
        assert!(silence(vec![SilenceMatcher { is_regex: true, ..matcher("a", "(") }], 0, 10).is_err());
        assert_eq!(
            silence(vec![matcher("a", "x")], 10, 0).expect_err("backwards"),
            "end time must not be before start time"
        );
    }

    #[test]
    fn states_and_matching() {
        let s = silence(vec![matcher("a", "x"), SilenceMatcher { is_equal: false, ..matcher("b", "y") }], 10, 20)
            .expect("valid");
        assert_eq!((s.state(at(5)), s.state(at(10)), s.state(at(21))), (State::Pending, State::Active, State::Expired));
        let labels: LabelSet = [("a".to_string(), "x".to_string())].into_iter().collect();
        assert!(s.matches(&labels));
        let mut with_b = labels.clone();
        with_b.insert("b", "y");
        assert!(!s.matches(&with_b));
    }

    fn set(
        silences: &Silences,
        id: Option<&str>,
        silence: Silence,
        now: DateTime<Utc>,
    ) -> Result<(String, Changed), SilenceError> {
        silences.set(id, silence, now, |_| ()).map(|(id, changed, ())| (id, changed))
    }

    fn expire(silences: &Silences, id: &str, now: DateTime<Utc>) -> Result<Option<Silence>, SilenceError> {
        silences.expire(id, now, |_| ()).map(|changed| changed.map(|(mut changed, ())| changed.written.remove(0)))
    }

    #[test]
    fn creating_moves_a_past_start_to_now_and_updates_follow_canupdate() {
        let silences = Silences::default();
        let (id, _) =
            set(&silences, None, silence(vec![matcher("a", "x")], -100, 100).expect("valid"), at(0)).expect("created");
        let stored = silences.get(&id).expect("stored");
        assert_eq!(stored.starts_at, at(0));
        // Same matchers and start, later end: in place.
        let longer = silence(vec![matcher("a", "x")], 0, 200).expect("valid");
        let (same, _) = set(&silences, Some(&id), longer, at(10)).expect("updated");
        assert_eq!(same, id);
        // New matchers: the old one is expired and a new id returned.
        let other = silence(vec![matcher("a", "y")], 0, 200).expect("valid");
        let (new_id, changed) = set(&silences, Some(&id), other, at(20)).expect("replaced");
        assert_ne!(new_id, id);
        assert_eq!(changed.written.len(), 2);
        assert_eq!(silences.get(&id).expect("kept").state(at(21)), State::Expired);
        assert_eq!(
            set(&silences, Some("nope"), silence(vec![matcher("a", "x")], 0, 10).expect("valid"), at(0)).err(),
            Some(SilenceError::NotFound)
        );
    }

    #[test]
    fn a_refused_replacement_leaves_the_old_silence_as_it_was() {
        let silences = Silences::default();
        let (id, _) =
            set(&silences, None, silence(vec![matcher("a", "x")], 0, 100).expect("valid"), at(0)).expect("set");
        // New matchers and an end before the (moved) start: refused, and the old one must not be expired.
        let bad = silence(vec![matcher("a", "y")], -50, -10).expect("valid on its own");
        assert!(set(&silences, Some(&id), bad, at(20)).is_err());
        assert_eq!(silences.get(&id).expect("kept").state(at(21)), State::Active);
    }

    #[test]
    fn a_rolled_back_change_restores_what_it_replaced() {
        let silences = Silences::default();
        let (id, _) =
            set(&silences, None, silence(vec![matcher("a", "x")], 0, 100).expect("valid"), at(0)).expect("set");
        let other = silence(vec![matcher("a", "y")], 0, 200).expect("valid");
        let (new_id, changed) = set(&silences, Some(&id), other, at(20)).expect("replaced");
        silences.roll_back(changed);
        assert!(silences.get(&new_id).is_none(), "the new silence is gone");
        assert_eq!(silences.get(&id).expect("kept").state(at(21)), State::Active, "the old one is active again");

        let (changed, ()) = silences.expire(&id, at(30), |_| ()).expect("found").expect("changed");
        silences.roll_back(changed);
        assert_eq!(silences.get(&id).expect("kept").state(at(31)), State::Active);
    }

    #[test]
    fn expiring_and_collecting() {
        let silences = Silences::default();
        let (active, _) =
            set(&silences, None, silence(vec![matcher("a", "x")], 0, 100).expect("valid"), at(0)).expect("set");
        let (pending, _) =
            set(&silences, None, silence(vec![matcher("a", "x")], 50, 100).expect("valid"), at(0)).expect("set");
        assert_eq!(expire(&silences, &active, at(10)).expect("expired").map(|s| s.ends_at), Some(at(10)));
        let expired_pending = expire(&silences, &pending, at(10)).expect("expired").expect("changed");
        assert_eq!((expired_pending.starts_at, expired_pending.ends_at), (at(10), at(10)));
        assert!(expire(&silences, &active, at(11)).expect("no-op").is_none(), "already expired");
        assert_eq!(expire(&silences, "nope", at(11)).err(), Some(SilenceError::NotFound));
        assert!(silences.collect_expired(at(11), RETENTION).is_empty());
        assert_eq!(silences.collect_expired(at(10 + 120 * 3600), RETENTION).len(), 2);
    }

    #[test]
    fn changes_on_top_of_each_other_that_fail_roll_back_to_what_was_stored_in_either_order() {
        for first_undone_first in [true, false] {
            let silences = Silences::default();
            let (id, _) =
                set(&silences, None, silence(vec![matcher("a", "x")], 0, 100).expect("valid"), at(0)).expect("set");
            let longer = |end| silence(vec![matcher("a", "x")], 0, end).expect("valid");
            let (_, a, ()) = silences.set(Some(&id), longer(200), at(10), |_| ()).expect("updated");
            let (_, b, ()) = silences.set(Some(&id), longer(300), at(20), |_| ()).expect("updated");
            if first_undone_first {
                silences.roll_back(a);
                silences.roll_back(b);
            } else {
                silences.roll_back(b);
                silences.roll_back(a);
            }
            assert_eq!(silences.get(&id).expect("kept").ends_at, at(100), "first undone first: {first_undone_first}");
        }
    }

    #[test]
    fn a_silence_from_another_replica_replaces_only_an_older_change() {
        let silences = Silences::default();
        let version = |ends: i64, updated: i64| Silence {
            id: "s".into(),
            updated_at: at(updated),
            ..silence(vec![matcher("a", "x")], 0, ends).expect("valid")
        };
        silences.apply_remote([version(60, 5)], &[]);
        silences.apply_remote([version(30, 3)], &[]);
        assert_eq!(silences.get("s").map(|s| s.ends_at), Some(at(60)), "an older change arriving late is ignored");
        silences.apply_remote([version(90, 7)], &[]);
        assert_eq!(silences.get("s").map(|s| s.ends_at), Some(at(90)));
        silences.apply_remote([], &["s".to_string()]);
        assert!(silences.get("s").is_none());
    }
}
