//! `/api/v2/alerts`: receive alerts (POST) and list them (GET).

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde::Serialize;

use super::AppState;
use super::error::ApiError;
use super::filter::AlertQuery;
use crate::alert::{Alert, IngestError, accept, format_api_time};
use crate::engine::Engine;
use crate::labels::LabelSet;
use crate::routing::RouteTree;

/// Alertmanager's `gettableAlert`, borrowing from the stored alert (listings serialise many of them).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GettableAlert<'a> {
    /// Annotations.
    pub annotations: &'a LabelSet,
    /// End (the stored one, also while firing).
    pub ends_at: String,
    /// 16 hex digits.
    pub fingerprint: String,
    /// Receivers, in routing order.
    pub receivers: Vec<ReceiverName>,
    /// Start.
    pub starts_at: String,
    /// State and what suppresses it.
    pub status: AlertStatus,
    /// Last update.
    pub updated_at: String,
    /// Link to the source.
    #[serde(rename = "generatorURL", skip_serializing_if = "str::is_empty")]
    pub generator_url: &'a str,
    /// Labels.
    pub labels: &'a LabelSet,
}

/// `{"name": ...}`.
#[derive(Debug, Serialize, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct ReceiverName {
    /// Receiver name.
    pub name: String,
}

/// Alertmanager's `alertStatus`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AlertStatus {
    /// Fingerprints of the alerts inhibiting this one.
    pub inhibited_by: Vec<String>,
    /// Ids of the silences muting this one.
    pub silenced_by: Vec<String>,
    /// `active`, `suppressed` or `unprocessed`.
    pub state: &'static str,
}

impl AlertStatus {
    /// The status of an alert at `now`: suppressed while a silence or an inhibiting alert mutes it.
    pub fn of(engine: &Engine, alert: &Alert, now: DateTime<Utc>) -> Self {
        let inhibited_by: Vec<String> =
            engine.inhibitor.inhibited_by(&alert.labels, now).into_iter().map(|fp| fp.to_string()).collect();
        let silenced_by = engine.silences.silenced_by(&alert.labels, now);
        let suppressed = !inhibited_by.is_empty() || !silenced_by.is_empty();
        AlertStatus { inhibited_by, silenced_by, state: if suppressed { "suppressed" } else { "active" } }
    }

    /// Whether the `active`, `silenced` and `inhibited` switches of a query let this status through.
    pub fn passes(&self, query: &AlertQuery) -> bool {
        (query.active || self.state != "active")
            && (query.silenced || self.silenced_by.is_empty())
            && (query.inhibited || self.inhibited_by.is_empty())
    }
}

impl<'a> GettableAlert<'a> {
    /// The API form of an alert routed to `receivers`.
    pub fn new(alert: &'a Alert, receivers: Vec<String>, status: AlertStatus) -> Self {
        GettableAlert {
            annotations: &alert.annotations,
            ends_at: format_api_time(alert.ends_at),
            fingerprint: alert.fingerprint.to_string(),
            receivers: receivers.into_iter().map(|name| ReceiverName { name }).collect(),
            starts_at: format_api_time(alert.starts_at),
            status,
            updated_at: format_api_time(alert.updated_at),
            generator_url: &alert.generator_url,
            labels: &alert.labels,
        }
    }
}

/// The receivers of the routes an alert goes to, in routing order.
pub fn receivers_of(tree: &RouteTree, labels: &LabelSet) -> Vec<String> {
    tree.matching_routes(labels).into_iter().map(|id| tree.node(id).receiver.clone()).collect()
}

/// `POST /api/v2/alerts`.
pub async fn post_alerts(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<StatusCode, ApiError> {
    require_json(&headers)?;
    let body = body.map_err(|rejection| match rejection.status() {
        StatusCode::PAYLOAD_TOO_LARGE => ApiError::schema(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("request body is larger than {} bytes", super::MAX_BODY_BYTES),
        ),
        status => ApiError::schema(status, rejection.body_text()),
    })?;
    let now = Utc::now();
    let runtime = state.engine.runtime();
    let (alerts, invalid) = accept(&body, now, runtime.config.resolve_timeout).map_err(|err| match err {
        IngestError::Malformed(_) => ApiError::schema(StatusCode::BAD_REQUEST, err.to_string()),
        IngestError::MissingLabels(_) => {
            ApiError::Schema { status: StatusCode::UNPROCESSABLE_ENTITY, code: 602, message: err.to_string() }
        }
    })?;
    state.engine.ingest(alerts).await.map_err(|err| ApiError::Internal(format!("storing alerts: {err}")))?;
    if !invalid.is_empty() {
        tracing::warn!(invalid = invalid.len(), error = %invalid.join("; "), "Rejected invalid alerts.");
        return Err(ApiError::bad_request(invalid.join("; ")));
    }
    Ok(StatusCode::OK)
}

pub(super) fn require_json(headers: &HeaderMap) -> Result<(), ApiError> {
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default();
    let mime = content_type.split(';').next().unwrap_or_default().trim();
    if mime.eq_ignore_ascii_case("application/json") {
        return Ok(());
    }
    Err(ApiError::schema(
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        format!("unsupported media type {content_type:?}, only [application/json] are allowed"),
    ))
}

/// `GET /api/v2/alerts`: alerts not yet ended, sorted by fingerprint.
pub async fn get_alerts(State(state): State<AppState>, RawQuery(query): RawQuery) -> Result<Response, ApiError> {
    let query = AlertQuery::parse(query.as_deref())?;
    let tree = Arc::clone(&state.engine.runtime().tree);
    let now = Utc::now();
    let mut alerts = state.engine.alerts.all();
    alerts.retain(|alert| !alert.resolved_at(now) && query.matches_labels(&alert.labels));
    alerts.sort_by_key(|alert| alert.fingerprint);
    let mut listed = Vec::with_capacity(alerts.len());
    for alert in &alerts {
        let receivers = receivers_of(&tree, &alert.labels);
        if !query.matches_receivers(receivers.iter().map(String::as_str)) {
            continue;
        }
        let status = AlertStatus::of(&state.engine, alert, now);
        if status.passes(&query) {
            listed.push(GettableAlert::new(alert, receivers, status));
        }
    }
    Ok(axum::Json(listed).into_response())
}
