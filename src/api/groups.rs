//! `GET /api/v2/alerts/groups`: the aggregation groups with their alerts.

use std::collections::HashMap;

use axum::Json;
use axum::extract::{RawQuery, State};
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use serde::Serialize;

use super::AppState;
use super::alerts::{AlertStatus, GettableAlert, ReceiverName};
use super::error::ApiError;
use super::filter::AlertQuery;
use crate::dispatch::GroupView;
use crate::labels::{Fingerprint, LabelSet};

/// Alertmanager's `alertGroup`, borrowing from the dispatcher's snapshot.
#[derive(Debug, Serialize)]
pub struct AlertGroup<'a> {
    /// The alerts of the group that pass the filters.
    pub alerts: Vec<GettableAlert<'a>>,
    /// Group labels.
    pub labels: &'a LabelSet,
    /// The group's receiver.
    pub receiver: ReceiverName,
}

/// `GET /api/v2/alerts/groups`: groups with at least one alert passing the filters, sorted by labels, then
/// receiver.
pub async fn get_groups(State(state): State<AppState>, RawQuery(query): RawQuery) -> Result<Response, ApiError> {
    let query = AlertQuery::parse(query.as_deref())?;
    let now = Utc::now();
    let mut groups: Vec<GroupView> = state
        .engine
        .dispatcher
        .groups()
        .await
        .into_iter()
        .filter(|group| query.matches_receivers(std::iter::once(group.receiver.as_str())))
        .collect();
    // Each alert lists the receivers of all the groups it is in.
    let mut receivers: HashMap<Fingerprint, Vec<String>> = HashMap::new();
    for group in &groups {
        for alert in &group.alerts {
            receivers.entry(alert.fingerprint).or_default().push(group.receiver.clone());
        }
    }
    for names in receivers.values_mut() {
        names.sort();
    }
    groups.sort_by(compare_groups);
    for group in &mut groups {
        crate::dispatch::sort_alerts(&mut group.alerts);
    }
    let listed: Vec<AlertGroup<'_>> = groups
        .iter()
        .filter_map(|group| {
            let alerts: Vec<GettableAlert<'_>> = group
                .alerts
                .iter()
                .filter(|alert| !alert.resolved_at(now) && query.matches_labels(&alert.labels))
                .filter_map(|alert| {
                    let status = AlertStatus::of(&state.engine, alert, now);
                    let receivers = receivers.get(&alert.fingerprint).cloned().unwrap_or_default();
                    status.passes(&query).then(|| GettableAlert::new(alert, receivers, status))
                })
                .collect();
            (!alerts.is_empty()).then(|| AlertGroup {
                alerts,
                labels: &group.labels,
                receiver: ReceiverName { name: group.receiver.clone() },
            })
        })
        .collect();
    Ok(Json(listed).into_response())
}

/// Alertmanager's `AlertGroups` order: by labels (fewer first, then values), then receiver.
fn compare_groups(a: &GroupView, b: &GroupView) -> std::cmp::Ordering {
    crate::dispatch::compare_label_sets(&a.labels, &b.labels).then_with(|| a.receiver.cmp(&b.receiver))
}
