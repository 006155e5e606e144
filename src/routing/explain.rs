//! Which routes a label set matches, with everything in effect on each (receiver, grouping, timers,
//! escalation, time intervals): the answer of `POST /api/herald/routes/test` and `herald routes test -o json`.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::config::PromDuration;
use crate::dispatch::group_key;
use crate::labels::LabelSet;
use crate::runtime::Runtime;

/// The routes a label set goes to.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RouteTest {
    /// The receivers, in match order (as `amtool config routes test` prints them).
    pub receivers: Vec<String>,
    /// Each matching route.
    pub routes: Vec<MatchedRoute>,
}

/// One matching route and what applies there.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct MatchedRoute {
    /// Where it is in the file (`route.routes[0]`).
    pub path: String,
    /// Its receiver (own or inherited).
    pub receiver: String,
    /// The group the labels would join.
    pub group_key: String,
    /// The labels grouped by (`["..."]` for all).
    pub group_by: Vec<String>,
    /// Timers in effect.
    pub group_wait: String,
    /// Timers in effect.
    pub group_interval: String,
    /// Timers in effect.
    pub repeat_interval: String,
    /// Whether matching goes on to later siblings.
    #[serde(rename = "continue")]
    pub continue_matching: bool,
    /// Its time intervals.
    pub mute_time_intervals: Vec<String>,
    /// Its time intervals.
    pub active_time_intervals: Vec<String>,
    /// Whether its notifications are muted at the time of the test.
    pub muted_now: bool,
    /// The escalation policy in effect, if any.
    pub escalation: Option<EscalationJson>,
}

/// An escalation policy as the test shows it.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct EscalationJson {
    /// `{after, receiver}` per level.
    pub levels: Vec<LevelJson>,
    /// Extra rounds.
    pub repeat: u32,
    /// How long an acknowledgement holds.
    pub ack_timeout: Option<String>,
}

/// One level.
#[derive(Debug, Serialize)]
pub(crate) struct LevelJson {
    /// After how long.
    pub after: String,
    /// Who.
    pub receiver: String,
}

/// Routes `labels` through `runtime`'s tree as the dispatcher would at `now`.
pub(crate) fn explain(runtime: &Runtime, labels: &LabelSet, now: DateTime<Utc>) -> RouteTest {
    let tree = &runtime.tree;
    let routes: Vec<MatchedRoute> = tree
        .matching_routes(labels)
        .into_iter()
        .map(|id| {
            let node = tree.node(id);
            let group_by =
                if node.group_by_all { vec!["...".to_string()] } else { node.group_by.iter().cloned().collect() };
            MatchedRoute {
                path: node.path.clone(),
                receiver: node.receiver.clone(),
                group_key: group_key(&node.key, &node.group_labels(labels)),
                group_by,
                group_wait: PromDuration(node.group_wait).to_string(),
                group_interval: PromDuration(node.group_interval).to_string(),
                repeat_interval: PromDuration(node.repeat_interval).to_string(),
                continue_matching: node.continue_matching,
                mute_time_intervals: node.mute_time_intervals.clone(),
                active_time_intervals: node.active_time_intervals.clone(),
                muted_now: runtime.muted(id, now),
                escalation: node.escalation.as_ref().map(|policy| EscalationJson {
                    levels: policy
                        .levels
                        .iter()
                        .map(|level| LevelJson {
                            after: PromDuration(level.after).to_string(),
                            receiver: level.receiver.clone(),
                        })
                        .collect(),
                    repeat: policy.repeat,
                    ack_timeout: policy.ack_timeout.map(|t| PromDuration(t).to_string()),
                }),
            }
        })
        .collect();
    RouteTest { receivers: routes.iter().map(|route| route.receiver.clone()).collect(), routes }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    #[test]
    fn the_seed_sends_a_critical_escalate_alert_to_the_escalation_route_with_its_timers() {
        let text = std::fs::read_to_string("config/alertmanager.yml").expect("shipped config");
        let runtime = Runtime::from_text(&text, Path::new("config")).expect("loads");
        let labels = LabelSet::from([("alertname", "Down"), ("severity", "critical"), ("escalate", "true")]);
        let answer = explain(&runtime, &labels, Utc::now());
        assert_eq!(answer.receivers, vec!["escalation"]);
        let route = &answer.routes[0];
        assert_eq!(route.path, "route.routes[0].routes[0]");
        assert_eq!((route.group_wait.as_str(), route.repeat_interval.as_str()), ("5m", "30m"));
        assert_eq!(route.group_interval, "1m", "inherited from the critical route");
        assert!(route.escalation.is_none() && !route.muted_now);
    }
}
