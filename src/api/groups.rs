//! `GET /api/v2/alerts/groups`: the aggregation groups with their alerts.

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde::Serialize;

use super::AppState;
use super::alerts::{AlertStatus, GettableAlert, ReceiverRef};
use super::error::ApiError;
use super::filter::AlertQuery;
use super::json_writer::{WriteJson, array_body, write_elements, write_labels, write_str};
use crate::alert::Alert;
use crate::dispatch::GroupView;
use crate::engine::Engine;
use crate::labels::{Fingerprint, LabelSet};

/// Alertmanager's `alertGroup`, borrowing from the dispatcher's snapshot.
#[derive(Debug, Serialize)]
pub(super) struct AlertGroup<'a> {
    /// The alerts of the group that pass the filters.
    pub alerts: Vec<GettableAlert<'a>>,
    /// Group labels.
    pub labels: &'a LabelSet,
    /// The group's receiver.
    pub receiver: ReceiverRef<'a>,
}

impl WriteJson for AlertGroup<'_> {
    fn write_json(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(b"{\"alerts\":[");
        for (i, alert) in self.alerts.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            alert.write_json(out);
        }
        out.extend_from_slice(b"],\"labels\":");
        write_labels(out, self.labels);
        out.extend_from_slice(b",\"receiver\":{\"name\":");
        write_str(out, self.receiver.name);
        out.extend_from_slice(b"}}");
    }
}

/// `GET /api/v2/alerts/groups`: groups with at least one alert passing the filters, sorted by labels, then
/// receiver. Built off the async workers, like the alert listing.
pub(super) async fn get_groups(State(state): State<AppState>, RawQuery(query): RawQuery) -> Result<Response, ApiError> {
    let query = AlertQuery::parse(query.as_deref())?;
    let groups = state.engine.dispatcher().groups().await;
    let engine = Arc::clone(&state.engine);
    tokio::task::spawn_blocking(move || list_groups(&engine, groups, &query))
        .await
        .map_err(|err| ApiError::Internal(format!("listing groups: {err}")))?
}

fn list_groups(engine: &Engine, groups: Vec<GroupView>, query: &AlertQuery) -> Result<Response, ApiError> {
    let now = engine.now();
    let mut groups: Vec<GroupView> =
        groups.into_iter().filter(|group| query.matches_receivers(std::iter::once(group.receiver.as_str()))).collect();
    groups.sort_by(compare_groups);
    let several = receivers_of_shared_alerts(engine, &groups);
    let listing = Listing { engine, query, now, several: &several };
    let total: usize = groups.iter().map(|group| group.alerts.len()).sum();
    let written = if total < PARALLEL_FROM {
        vec![listing.sort_and_write(&mut groups)]
    } else {
        // Split where half of the alerts are on each side.
        let (mut split, mut seen) = (0, 0);
        while split < groups.len() && seen < total / 2 {
            seen += groups[split].alerts.len();
            split += 1;
        }
        let (first, second) = groups.split_at_mut(split);
        std::thread::scope(|scope| {
            let first = scope.spawn(|| listing.sort_and_write(first));
            let rest = listing.sort_and_write(second);
            vec![first.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)), rest]
        })
    };
    Ok(([(header::CONTENT_TYPE, "application/json")], array_body(written)).into_response())
}

/// Alerts listed together with at least this many alerts are sorted and listed on two threads.
const PARALLEL_FROM: usize = 10_000;

/// For each alert in several of `groups`, the sorted receivers of all of them. Without `continue` in the
/// route tree every alert is in one group, and the walk over every alert is skipped.
fn receivers_of_shared_alerts(engine: &Engine, groups: &[GroupView]) -> HashMap<Fingerprint, Vec<String>> {
    let mut several: HashMap<Fingerprint, Vec<String>> = HashMap::new();
    if engine.runtime().tree.routes_each_alert_once() {
        return several;
    }
    let mut first_group: HashMap<Fingerprint, &str> = HashMap::new();
    for group in groups {
        for alert in &group.alerts {
            if let Some(first) = first_group.insert(alert.fingerprint, &group.receiver) {
                let names = several.entry(alert.fingerprint).or_insert_with(|| vec![first.to_string()]);
                names.push(group.receiver.clone());
            }
        }
    }
    for names in several.values_mut() {
        names.sort_unstable();
    }
    several
}

/// What listing a group's alerts needs.
#[derive(Clone, Copy)]
struct Listing<'q> {
    engine: &'q Engine,
    query: &'q AlertQuery,
    now: DateTime<Utc>,
    several: &'q HashMap<Fingerprint, Vec<String>>,
}

impl<'q> Listing<'q> {
    /// Sorts each group's alerts, lists the group and writes it in one go, while its alerts are in the cache
    /// (sorting every group first, and writing the listing after, fetched each alert from memory three times).
    fn sort_and_write(&self, groups: &mut [GroupView]) -> Vec<Bytes> {
        let several = self.several;
        write_elements(groups.iter_mut().filter_map(|group| {
            crate::dispatch::sort_alerts(&mut group.alerts);
            let group: &GroupView = group;
            let receivers = |alert: &Alert| match several.get(&alert.fingerprint) {
                Some(names) => names.iter().map(String::as_str).collect(),
                None => vec![group.receiver.as_str()],
            };
            let alerts = group_listing(self.engine, self.query, &group.alerts, self.now, receivers);
            (!alerts.is_empty()).then(|| AlertGroup {
                alerts,
                labels: &group.labels,
                receiver: ReceiverRef { name: &group.receiver },
            })
        }))
    }
}

/// The API form of a group's alerts that pass the query, each with the receivers `receivers` gives it.
pub(super) fn group_listing<'a>(
    engine: &Engine,
    query: &AlertQuery,
    alerts: &'a [Arc<Alert>],
    now: DateTime<Utc>,
    receivers: impl Fn(&Alert) -> Vec<&'a str>,
) -> Vec<GettableAlert<'a>> {
    alerts
        .iter()
        .filter(|alert| !alert.resolved_at(now) && query.matches_labels(&alert.labels))
        .filter_map(|alert| {
            let status = AlertStatus::of(engine, alert, now);
            status.passes(query).then(|| GettableAlert::new(alert, receivers(alert), status))
        })
        .collect()
}

/// Alertmanager's `AlertGroups` order: by labels (fewer first, then values), then receiver.
fn compare_groups(a: &GroupView, b: &GroupView) -> std::cmp::Ordering {
    crate::dispatch::compare_label_sets(&a.labels, &b.labels).then_with(|| a.receiver.cmp(&b.receiver))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::alerts::tests::{gettable, tricky_alert};

    #[test]
    fn the_hand_written_encoding_is_byte_for_byte_serdes() {
        let (first, second) = (tricky_alert(""), tricky_alert("http://p"));
        let labels = LabelSet::from([("alertname", "Disk \"full\"")]);
        let group = AlertGroup {
            alerts: vec![gettable(&first), gettable(&second)],
            labels: &labels,
            receiver: ReceiverRef { name: "team \"x\"" },
        };
        let mut out = Vec::new();
        group.write_json(&mut out);
        assert_eq!(String::from_utf8(out).expect("utf-8"), serde_json::to_string(&group).expect("serializes"));
    }
}
