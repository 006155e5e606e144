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
use super::correlation::{CorrelationId, TraceContext};
use super::error::ApiError;
use super::filter::AlertQuery;
use super::json_writer::{WriteJson, json_array_body_of, write_key, write_labels, write_str, write_strs};
use crate::alert::{Alert, ApiTime, IngestError, accept};
use crate::engine::Engine;
use crate::labels::{Fingerprint, LabelSet};
use crate::routing::RouteTree;
use crate::telemetry::metrics::METRICS;

/// Alertmanager's `gettableAlert`, borrowing from the stored alert and writing its times and fingerprint
/// without allocating (listings serialise hundreds of thousands of them).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct GettableAlert<'a> {
    /// Annotations.
    pub annotations: &'a LabelSet,
    /// End (the stored one, also while firing).
    pub ends_at: ApiTime,
    /// 16 hex digits.
    pub fingerprint: Fingerprint,
    /// Receivers, in routing order.
    pub receivers: Vec<ReceiverRef<'a>>,
    /// Start.
    pub starts_at: ApiTime,
    /// State and what suppresses it.
    pub status: AlertStatus,
    /// Last update.
    pub updated_at: ApiTime,
    /// Link to the source.
    #[serde(rename = "generatorURL", skip_serializing_if = "str::is_empty")]
    pub generator_url: &'a str,
    /// Labels.
    pub labels: &'a LabelSet,
}

/// `{"name": ...}`.
#[derive(Debug, Serialize, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(super) struct ReceiverName {
    /// Receiver name.
    pub name: String,
}

/// `{"name": ...}`, borrowed.
#[derive(Debug, Serialize, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(super) struct ReceiverRef<'a> {
    /// Receiver name.
    pub name: &'a str,
}

/// Alertmanager's `alertStatus`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct AlertStatus {
    /// Fingerprints of the alerts inhibiting this one.
    pub inhibited_by: Vec<String>,
    /// Ids of the silences muting this one.
    pub silenced_by: Vec<String>,
    /// `active`, `suppressed` or `unprocessed`.
    pub state: &'static str,
}

impl AlertStatus {
    /// The status of an alert at `now`: suppressed while a silence or an inhibiting alert mutes it.
    pub(super) fn of(engine: &Engine, alert: &Alert, now: DateTime<Utc>) -> Self {
        let inhibited_by: Vec<String> =
            engine.inhibitor().inhibited_by(&alert.labels, now).into_iter().map(|fp| fp.to_string()).collect();
        let silenced_by = engine.silences().silenced_by(&alert.labels, now);
        let suppressed = !inhibited_by.is_empty() || !silenced_by.is_empty();
        AlertStatus { inhibited_by, silenced_by, state: if suppressed { "suppressed" } else { "active" } }
    }

    /// Whether the `active`, `silenced` and `inhibited` switches of a query let this status through.
    pub(super) fn passes(&self, query: &AlertQuery) -> bool {
        (query.active || self.state != "active")
            && (query.silenced || self.silenced_by.is_empty())
            && (query.inhibited || self.inhibited_by.is_empty())
    }
}

impl<'a> GettableAlert<'a> {
    /// The API form of an alert routed to `receivers`.
    pub(super) fn new(alert: &'a Alert, receivers: Vec<&'a str>, status: AlertStatus) -> Self {
        GettableAlert {
            annotations: &alert.annotations,
            ends_at: ApiTime(alert.ends_at),
            fingerprint: alert.fingerprint,
            receivers: receivers.into_iter().map(|name| ReceiverRef { name }).collect(),
            starts_at: ApiTime(alert.starts_at),
            status,
            updated_at: ApiTime(alert.updated_at),
            generator_url: &alert.generator_url,
            labels: &alert.labels,
        }
    }
}

impl WriteJson for GettableAlert<'_> {
    fn write_json(&self, out: &mut Vec<u8>) {
        let time = |out: &mut Vec<u8>, key: &str, value: ApiTime| {
            write_key(out, key);
            value.write_quoted(out);
        };
        out.push(b'{');
        write_key(out, "annotations");
        write_labels(out, self.annotations);
        out.push(b',');
        time(out, "endsAt", self.ends_at);
        out.push(b',');
        write_key(out, "fingerprint");
        out.push(b'"');
        out.extend_from_slice(&self.fingerprint.hex());
        out.push(b'"');
        out.extend_from_slice(b",\"receivers\":[");
        for (i, receiver) in self.receivers.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            out.extend_from_slice(b"{\"name\":");
            write_str(out, receiver.name);
            out.push(b'}');
        }
        out.extend_from_slice(b"],");
        time(out, "startsAt", self.starts_at);
        out.extend_from_slice(b",\"status\":{\"inhibitedBy\":");
        write_strs(out, &self.status.inhibited_by);
        out.extend_from_slice(b",\"silencedBy\":");
        write_strs(out, &self.status.silenced_by);
        out.extend_from_slice(b",\"state\":");
        write_str(out, self.status.state);
        out.extend_from_slice(b"},");
        time(out, "updatedAt", self.updated_at);
        if !self.generator_url.is_empty() {
            out.push(b',');
            write_key(out, "generatorURL");
            write_str(out, self.generator_url);
        }
        out.push(b',');
        write_key(out, "labels");
        write_labels(out, self.labels);
        out.push(b'}');
    }
}

/// The receivers of the routes an alert goes to, in routing order.
pub(super) fn receivers_of<'t>(tree: &'t RouteTree, labels: &LabelSet) -> Vec<&'t str> {
    tree.matching_routes(labels).into_iter().map(|id| tree.node(id).receiver.as_str()).collect()
}

/// Bodies up to this size are parsed on the async worker (a hand-off would cost more than the parse).
const INLINE_PARSE_BYTES: usize = 256 * 1024;

/// `POST /api/v2/alerts`.
pub(super) async fn post_alerts(
    State(state): State<AppState>,
    correlation: Option<axum::Extension<CorrelationId>>,
    trace: Option<axum::Extension<TraceContext>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<StatusCode, ApiError> {
    require_json(&headers)?;
    let body = body.map_err(|rejection| match rejection.status() {
        StatusCode::PAYLOAD_TOO_LARGE => ApiError::schema(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("request body is larger than {} bytes", state.limits.body_bytes),
        ),
        status => ApiError::schema(status, rejection.body_text()),
    })?;
    let now = state.engine.now();
    let runtime = state.engine.runtime();
    let (resolve_timeout, limits) = (runtime.config.resolve_timeout, state.limits.ingest);
    let parsed = if body.len() <= INLINE_PARSE_BYTES {
        accept(&body, now, resolve_timeout, &limits)
    } else {
        // A large body takes milliseconds to parse: off the async workers the dispatcher needs.
        tokio::task::spawn_blocking(move || accept(&body, now, resolve_timeout, &limits))
            .await
            .map_err(|err| ApiError::Internal(format!("parsing alerts: {err}")))?
    };
    let (alerts, invalid) = parsed.map_err(|err| match err {
        IngestError::Malformed(_) | IngestError::TooMany { .. } => {
            ApiError::schema(StatusCode::BAD_REQUEST, err.to_string())
        }
        IngestError::MissingLabels(_) => {
            ApiError::Schema { status: StatusCode::UNPROCESSABLE_ENTITY, code: 602, message: err.to_string() }
        }
    })?;
    let correlation_id = correlation.map(|axum::Extension(CorrelationId(id))| id).unwrap_or_default();
    let trace_context = trace.map(|axum::Extension(TraceContext(context))| context).unwrap_or_default();
    let mut alerts = alerts;
    for alert in &mut alerts {
        alert.correlation_id = correlation_id.clone();
        alert.trace_context = trace_context.clone();
    }
    let resolved = alerts.iter().filter(|alert| alert.resolved_at(now)).count() as u64;
    let firing = alerts.len() as u64 - resolved;
    state.engine.ingest(alerts).await.map_err(ApiError::store)?;
    // Counted per request, once stored (Alertmanager counts on receipt; a refused request is not received).
    let received = &METRICS.alerts_received;
    received.with_label_values(&["v2", "firing"]).inc_by(firing);
    received.with_label_values(&["v2", "resolved"]).inc_by(resolved);
    if !invalid.is_empty() {
        METRICS.alerts_invalid.with_label_values(&["v2"]).inc_by(invalid.len() as u64);
        tracing::warn!(invalid = invalid.len(), correlation_id = %correlation_id, error = %invalid.join("; "), "Rejected invalid alerts.");
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

/// `GET /api/v2/alerts`: alerts not yet ended, sorted by fingerprint. Built off the async workers: at 100k
/// alerts it is tens of megabytes of JSON.
pub(super) async fn get_alerts(State(state): State<AppState>, RawQuery(query): RawQuery) -> Result<Response, ApiError> {
    let query = AlertQuery::parse(query.as_deref())?;
    let engine = Arc::clone(&state.engine);
    tokio::task::spawn_blocking(move || list_alerts(&engine, &query))
        .await
        .map_err(|err| ApiError::Internal(format!("listing alerts: {err}")))?
}

fn list_alerts(engine: &Engine, query: &AlertQuery) -> Result<Response, ApiError> {
    let tree = Arc::clone(&engine.runtime().tree);
    let now = engine.now();
    let alerts = matching_alerts(engine, query, None, now);
    let body = json_array_body_of(&alerts, |(_, alert)| routed_listing(engine, &tree, query, alert, now));
    Ok(([(header::CONTENT_TYPE, "application/json")], body).into_response())
}

/// The alerts a listing starts from: not resolved, matching the label filters, after the `after`
/// fingerprint if given, by fingerprint. An alertname equality is answered from the index; other filters scan.
pub(super) fn matching_alerts(
    engine: &Engine,
    query: &AlertQuery,
    after: Option<u64>,
    now: DateTime<Utc>,
) -> Vec<(Fingerprint, Arc<Alert>)> {
    let alerts = match query.alertname_equals() {
        Some(name) => engine.alerts().with_alertname(name),
        None => engine.alerts().all(),
    };
    // Sorted on keys copied out of the alerts: comparing through the pointers missed the cache at every step.
    let mut alerts: Vec<(Fingerprint, Arc<Alert>)> = alerts
        .into_iter()
        .filter(|alert| after.is_none_or(|after| alert.fingerprint.0 > after))
        .filter(|alert| !alert.resolved_at(now) && query.matches_labels(&alert.labels))
        .map(|alert| (alert.fingerprint, alert))
        .collect();
    alerts.sort_unstable_by_key(|(fingerprint, _)| *fingerprint);
    alerts
}

/// The API form of an alert routed by `tree`, if its receivers and status pass the query.
pub(super) fn routed_listing<'a>(
    engine: &Engine,
    tree: &'a RouteTree,
    query: &AlertQuery,
    alert: &'a Alert,
    now: DateTime<Utc>,
) -> Option<GettableAlert<'a>> {
    let receivers = receivers_of(tree, &alert.labels);
    if !query.matches_receivers(receivers.iter().copied()) {
        return None;
    }
    let status = AlertStatus::of(engine, alert, now);
    status.passes(query).then(|| GettableAlert::new(alert, receivers, status))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// An alert with everything the encoder has to get right: escapes, non-ASCII, several receivers,
    /// suppression, and (or not) a generator URL.
    pub(crate) fn tricky_alert(generator_url: &str) -> Alert {
        let at = |s: i64| DateTime::from_timestamp(1_800_000_000 + s, 7_000_000).expect("valid");
        let mut alert = Alert::new(
            LabelSet::from([("alertname", "Disk \"full\""), ("path", "C:\\temp"), ("zone", "ünï <&>")]),
            LabelSet::from([("description", "line 1\nline 2\ttab\u{1}"), ("summary", "")]),
            at(0),
            at(300),
            at(1),
        );
        alert.generator_url = generator_url.into();
        alert
    }

    pub(crate) fn gettable(alert: &Alert) -> GettableAlert<'_> {
        let status = AlertStatus {
            inhibited_by: vec!["0123456789abcdef".into()],
            silenced_by: vec!["a\"b".into(), "c".into()],
            state: "suppressed",
        };
        GettableAlert::new(alert, vec!["team \"x\"", "pager"], status)
    }

    #[test]
    fn the_hand_written_encoding_is_byte_for_byte_serdes() {
        for url in ["", "http://prometheus/graph?g0.expr=up%3D%3D0&x=\"y\""] {
            let alert = tricky_alert(url);
            let listed = gettable(&alert);
            let mut out = Vec::new();
            listed.write_json(&mut out);
            assert_eq!(String::from_utf8(out).expect("utf-8"), serde_json::to_string(&listed).expect("serializes"));
        }
    }
}
