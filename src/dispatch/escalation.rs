//! A group's escalation and acknowledgement: the episode it is in (since it began firing), how far up its
//! route's policy it has climbed, who acknowledged it and until when. State and arithmetic only; the core
//! schedules it and the runner delivers the levels.

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::alert::Alert;
use crate::config::EscalationPolicy;

/// What is persisted with a group besides its flush timer.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct GroupState {
    /// The episode in progress: set while the group has firing alerts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub episode: Option<Episode>,
    /// Receivers of the levels that fired: they follow the group (its changes, repeats and resolve) until a
    /// notification finds nothing firing.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub followers: Vec<String>,
    /// The acknowledgement in force.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ack: Option<Ack>,
}

/// An episode: from the first firing alert until nothing fires.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Episode {
    /// When the group began firing.
    pub since: DateTime<Utc>,
    /// When the current round of the climb began: `since`, the end of an acknowledgement, or the time the
    /// previous round's last level was due.
    pub round_start: DateTime<Utc>,
    /// The round, from 0; `repeat: N` allows rounds up to N.
    pub round: u32,
    /// The `after` of the last level sent in this round, in milliseconds: the next level is the first one
    /// after it, whatever a reload did to the policy, so a level is never sent twice in a round.
    pub sent_after_ms: Option<u64>,
    /// The last level that fired in this episode.
    pub last: Option<FiredLevel>,
}

/// A level that fired.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct FiredLevel {
    /// Its number in the policy, from 1.
    pub level: usize,
    /// The round it fired in, from 0.
    pub round: u32,
    /// Who it notified.
    pub receiver: String,
    /// When.
    pub at: DateTime<Utc>,
}

/// The next level due.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct NextLevel {
    /// Its number in the policy, from 1.
    pub level: usize,
    /// The round it belongs to, from 0.
    pub round: u32,
    /// When it is due.
    pub at: DateTime<Utc>,
    /// Its receiver.
    pub receiver: String,
    /// Its `after`.
    pub after: Duration,
}

/// An acknowledgement.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Ack {
    /// Who acknowledged.
    pub by: String,
    /// Why, or what they are doing.
    #[serde(default)]
    pub comment: String,
    /// When.
    pub at: DateTime<Utc>,
    /// When the acknowledger said it should end.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<DateTime<Utc>>,
    /// When the policy's `ack_timeout` ends it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout_at: Option<DateTime<Utc>>,
    /// The firing alerts it covers (fingerprint to start time, in microseconds): any other firing alert, or
    /// one of these firing again, ends it.
    #[serde(default)]
    pub alerts: BTreeMap<u64, i64>,
}

impl Ack {
    /// When it ends by itself, if it does.
    pub(crate) fn ends_at(&self) -> Option<DateTime<Utc>> {
        match (self.expires_at, self.timeout_at) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Whether `alert`, firing, is news to this acknowledgement.
    pub(crate) fn woken_by(&self, alert: &Alert) -> bool {
        self.alerts.get(&alert.fingerprint.0) != Some(&alert.starts_at.timestamp_micros())
    }
}

impl Episode {
    /// An episode beginning at `at`.
    pub(crate) fn start(at: DateTime<Utc>) -> Self {
        Episode { since: at, round_start: at, round: 0, sent_after_ms: None, last: None }
    }

    /// Starts the climb over from the first level, counted from `at` (an acknowledgement ended).
    pub(crate) fn restart(&mut self, at: DateTime<Utc>) {
        self.round_start = at;
        self.round = 0;
        self.sent_after_ms = None;
    }

    /// The next level of `policy` and when it is due, if any is left.
    pub(crate) fn next(&self, policy: &EscalationPolicy) -> Option<NextLevel> {
        let at =
            |start: DateTime<Utc>, after: Duration| start.checked_add_signed(chrono::Duration::from_std(after).ok()?);
        let sent = self.sent_after_ms.map(Duration::from_millis);
        if let Some((i, level)) =
            policy.levels.iter().enumerate().find(|(_, level)| sent.is_none_or(|s| level.after > s))
        {
            return Some(NextLevel {
                level: i + 1,
                round: self.round,
                at: at(self.round_start, level.after)?,
                receiver: level.receiver.clone(),
                after: level.after,
            });
        }
        let (first, last) = (policy.levels.first()?, policy.levels.last()?);
        if self.round >= policy.repeat {
            return None;
        }
        // The next round starts when this round's last level was due, with the same spacing.
        Some(NextLevel {
            level: 1,
            round: self.round + 1,
            at: at(at(self.round_start, last.after)?, first.after)?,
            receiver: first.receiver.clone(),
            after: first.after,
        })
    }

    /// Records that `level` (from [`Episode::next`] with the same policy) fired at `now`.
    pub(crate) fn fired(&mut self, policy: &EscalationPolicy, level: &NextLevel, now: DateTime<Utc>) {
        if level.round != self.round {
            let last = policy.levels.last().map_or(Duration::ZERO, |last| last.after);
            let last = chrono::Duration::from_std(last).unwrap_or_default();
            self.round_start = self.round_start.checked_add_signed(last).unwrap_or(self.round_start);
            self.round = level.round;
        }
        self.sent_after_ms = Some(u64::try_from(level.after.as_millis()).unwrap_or(u64::MAX));
        self.last =
            Some(FiredLevel { level: level.level, round: level.round, receiver: level.receiver.clone(), at: now });
    }
}

impl GroupState {
    /// When something is next due for this group: the end of its acknowledgement while it has one,
    /// otherwise its next escalation level.
    pub(crate) fn due(&self, policy: Option<&EscalationPolicy>) -> Option<DateTime<Utc>> {
        if let Some(ack) = &self.ack {
            return ack.ends_at();
        }
        Some(self.episode.as_ref()?.next(policy?)?.at)
    }

    /// The next level, unless acknowledged.
    pub(crate) fn next_level(&self, policy: Option<&EscalationPolicy>) -> Option<NextLevel> {
        if self.ack.is_some() {
            return None;
        }
        self.episode.as_ref()?.next(policy?)
    }

    /// Ends the acknowledgement at `at` (it expired, timed out, was withdrawn, or a new alert woke the group):
    /// the climb starts over from there.
    pub(crate) fn end_ack(&mut self, at: DateTime<Utc>) -> Option<Ack> {
        let ack = self.ack.take()?;
        if let Some(episode) = &mut self.episode {
            episode.restart(at);
        }
        Some(ack)
    }

    /// Adds a receiver that now follows the group.
    pub(crate) fn follow(&mut self, receiver: &str) {
        if !self.followers.iter().any(|known| known == receiver) {
            self.followers.push(receiver.to_string());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::EscalationLevel;

    fn t(seconds: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000 + seconds, 0).expect("valid")
    }

    fn policy(levels: &[(u64, &str)], repeat: u32) -> EscalationPolicy {
        EscalationPolicy {
            levels: levels
                .iter()
                .map(|(after, receiver)| EscalationLevel {
                    after: Duration::from_secs(*after),
                    receiver: receiver.to_string(),
                })
                .collect(),
            repeat,
            ack_timeout: None,
        }
    }

    /// Fires every level in order and returns `(second, level, round, receiver)`.
    fn climb(policy: &EscalationPolicy, episode: &mut Episode) -> Vec<(i64, usize, u32, String)> {
        let mut fired = Vec::new();
        while let Some(next) = episode.next(policy) {
            fired.push((next.at.timestamp() - t(0).timestamp(), next.level, next.round, next.receiver.clone()));
            episode.fired(policy, &next, next.at);
            assert!(fired.len() < 100, "the climb ends");
        }
        fired
    }

    #[test]
    fn levels_fire_in_order_then_the_climb_ends() {
        let policy = policy(&[(900, "escalation"), (2700, "management")], 0);
        let fired = climb(&policy, &mut Episode::start(t(0)));
        assert_eq!(fired, vec![(900, 1, 0, "escalation".into()), (2700, 2, 0, "management".into())]);
    }

    #[test]
    fn repeat_loops_with_the_same_spacing_from_the_last_level() {
        let policy = policy(&[(60, "a"), (180, "b")], 2);
        let fired = climb(&policy, &mut Episode::start(t(0)));
        let times: Vec<(i64, usize, u32)> = fired.iter().map(|(at, level, round, _)| (*at, *level, *round)).collect();
        assert_eq!(times, vec![(60, 1, 0), (180, 2, 0), (240, 1, 1), (360, 2, 1), (420, 1, 2), (540, 2, 2)]);
    }

    #[test]
    fn a_changed_policy_applies_to_the_next_level_and_never_repeats_one_sent() {
        let before = policy(&[(60, "a"), (180, "b")], 0);
        let mut episode = Episode::start(t(0));
        let first = episode.next(&before).expect("level 1");
        episode.fired(&before, &first, first.at);
        let after = policy(&[(30, "early"), (60, "a"), (120, "sooner"), (300, "later")], 0);
        let next = episode.next(&after).expect("a level after 60 s");
        assert_eq!((next.level, next.receiver.as_str(), next.at), (3, "sooner", t(120)));
    }

    #[test]
    fn an_ack_pauses_and_its_end_restarts_the_climb() {
        let policy = policy(&[(60, "a"), (180, "b")], 0);
        let mut state = GroupState { episode: Some(Episode::start(t(0))), ..GroupState::default() };
        assert_eq!(state.due(Some(&policy)), Some(t(60)));
        state.ack = Some(Ack {
            by: "alice".into(),
            comment: String::new(),
            at: t(30),
            expires_at: Some(t(600)),
            timeout_at: Some(t(300)),
            alerts: BTreeMap::new(),
        });
        assert_eq!(state.due(Some(&policy)), Some(t(300)), "the ack's end is what comes next");
        assert_eq!(state.next_level(Some(&policy)), None);
        state.end_ack(t(300));
        assert_eq!(state.due(Some(&policy)), Some(t(360)), "level 1 again, counted from the ack's end");
    }
}
