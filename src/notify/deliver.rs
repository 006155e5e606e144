//! One flush of one group: for each integration of the receiver, decide from the notification log whether
//! to notify, send with retries, and report what to log. Integrations run concurrently and independently:
//! one failing never makes another send twice.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use reqwest::header::HeaderName;
use tokio::time::Instant;
use tracing::Instrument;

use super::data::NotificationData;
use super::error::Error;
use super::history::{Attempt, Outcome};
use super::http::{self, HttpClients};
use super::integration::{Integration, Notification};
use super::retry;
use crate::alert::Alert;
use crate::api::split_trace_context;
use crate::dispatch::{FlushRequest, split_by_state};
use crate::nflog::{NflogEntry, NflogKey, needs_update};
use crate::telemetry;
use crate::telemetry::metrics::METRICS;
use crate::telemetry::otlp;
use crate::template::{TemplateData, Templates};
use tokio_util::sync::CancellationToken;

/// Everything a flush needs, captured when it came due.
#[derive(Debug, Clone)]
pub(crate) struct FlushJob {
    /// The group's snapshot (all its alerts; what the dispatcher settles when the flush ends).
    pub request: FlushRequest,
    /// The alerts to notify: the snapshot's, less those silenced or inhibited.
    pub alerts: Vec<Arc<Alert>>,
    /// The receiver's integrations with their last log entries.
    pub integrations: Vec<IntegrationJob>,
    /// How long the flush may keep retrying.
    pub timeout: Duration,
    /// Herald's external URL, for the payloads.
    pub external_url: String,
    /// The templates of the config in force.
    pub templates: Arc<Templates>,
    /// Cancelled when the group's next flush comes due during this one: retries stop waiting and the newer
    /// content goes out instead.
    pub superseded: CancellationToken,
}

/// One integration within a flush.
#[derive(Debug, Clone)]
pub(crate) struct IntegrationJob {
    /// Its notification log key.
    pub key: NflogKey,
    /// What it last notified.
    pub prior: Option<NflogEntry>,
    /// How to deliver.
    pub integration: Arc<dyn Integration>,
    /// Whether resolved alerts are sent.
    pub send_resolved: bool,
    /// Send whatever the log says (an escalation level).
    pub force: bool,
}

/// The outcome of a flush.
#[derive(Debug)]
pub(crate) struct FlushOutcome {
    /// The flushed snapshot.
    pub request: FlushRequest,
    /// Whether every integration succeeded (or had nothing to send).
    pub success: bool,
    /// Log entries to record for the integrations that notified.
    pub nflog: Vec<(NflogKey, NflogEntry)>,
    /// Every attempt, for the notification history.
    pub attempts: Vec<Attempt>,
}

/// The trace context (trace id, and span id when kept) of the newest of `alerts` that came with one: what a
/// flush and its notifications continue.
pub(crate) fn newest_trace(alerts: &[Arc<Alert>]) -> Option<(&str, Option<&str>)> {
    alerts
        .iter()
        .filter(|alert| !alert.trace_context.is_empty())
        .max_by_key(|alert| alert.updated_at)
        .and_then(|alert| split_trace_context(&alert.trace_context))
}

/// Runs a flush to completion.
pub(crate) async fn deliver(job: FlushJob, clients: Arc<HttpClients>) -> FlushOutcome {
    let deadline = Instant::now() + job.timeout;
    // The integrations see only the alerts to notify; the outcome carries the whole snapshot back.
    let notified = Arc::new(FlushRequest { alerts: job.alerts, ..job.request.clone() });
    let mut tasks = tokio::task::JoinSet::new();
    for integration in job.integrations {
        let request = Arc::clone(&notified);
        let clients = Arc::clone(&clients);
        let external_url = job.external_url.clone();
        let templates = Arc::clone(&job.templates);
        let superseded = job.superseded.clone();
        let span = if telemetry::spans_wanted() {
            tracing::info_span!("notification", receiver = %integration.key.receiver, integration = %integration.key.integration)
        } else {
            tracing::Span::none()
        };
        tasks.spawn(
            async move {
                deliver_one(&request, integration, &clients, &templates, &external_url, deadline, &superseded).await
            }
            .instrument(span),
        );
    }
    let mut success = true;
    let mut nflog = Vec::new();
    let mut attempts = Vec::new();
    while let Some(joined) = tasks.join_next().await {
        let joined = joined.map(|(result, tried)| {
            attempts.extend(tried);
            result
        });
        match joined {
            Ok(Ok(Some(entry))) => nflog.push(entry),
            Ok(Ok(None)) => {}
            Ok(Err(())) => success = false,
            Err(err) => {
                tracing::error!(error = %err, "A delivery task failed.");
                success = false;
            }
        }
    }
    FlushOutcome { request: job.request, success, nflog, attempts }
}

/// What `job`'s integration is due to notify of `alerts` (the flush's alerts to notify), by Alertmanager's
/// dedup rules: the firing and the resolved fingerprints, or `None` when its log entry says nothing changed.
/// The dispatcher asks this before starting a delivery, so that a group's quiet ticks cost no task.
pub(crate) fn due(
    request: &FlushRequest,
    alerts: &[Arc<Alert>],
    job: &IntegrationJob,
) -> Option<(BTreeSet<u64>, BTreeSet<u64>)> {
    let (firing, resolved) = split_by_state(alerts, request.now);
    if job.force {
        return Some((firing, resolved));
    }
    let repeat = (!request.acked).then_some(request.repeat_interval);
    let wanted = match &job.prior {
        Some(prior) => needs_update(Some(prior), &firing, &resolved, job.send_resolved, repeat, request.now),
        // An acknowledgement covers every alert firing in the group (a new one ends it): with the log entry
        // gone (it lasts twice the repeat interval), the group must not look new.
        None if request.acked => {
            let covered = NflogEntry::new(firing.clone(), BTreeSet::new(), request.now, request.repeat_interval);
            needs_update(Some(&covered), &firing, &resolved, job.send_resolved, repeat, request.now)
        }
        None => needs_update(None, &firing, &resolved, job.send_resolved, repeat, request.now),
    };
    wanted.then_some((firing, resolved))
}

/// Returns the log entry to record (`None` when there was nothing to notify), or `Err` after logging why
/// the delivery failed.
async fn deliver_one(
    request: &FlushRequest,
    job: IntegrationJob,
    clients: &HttpClients,
    templates: &Templates,
    external_url: &str,
    deadline: Instant,
    superseded: &CancellationToken,
) -> (Result<Option<(NflogKey, NflogEntry)>, ()>, Vec<Attempt>) {
    let Some((firing, resolved)) = due(request, &request.alerts, &job) else {
        return (Ok(None), Vec::new());
    };
    let entry = NflogEntry::new(firing.clone(), resolved, request.now, request.repeat_interval);
    let alerts: Vec<_> = if job.send_resolved {
        request.alerts.clone()
    } else {
        request.alerts.iter().filter(|a| !a.resolved_at(request.now)).cloned().collect()
    };
    if alerts.is_empty() {
        // Only resolved alerts and send_resolved off: nothing to send, but logged so the next flush knows.
        return (Ok(Some((job.key, entry))), Vec::new());
    }
    let receiver = &job.key.receiver;
    let attempts: std::sync::Mutex<Vec<Attempt>> = std::sync::Mutex::default();
    let mut data = NotificationData::new(receiver, &request.group_labels, &alerts, external_url, request.now);
    data.escalation = request.escalation.clone();
    let integration = job.key.integration.as_str();
    // Webhooks send the data as it is; only the templated integrations need the template view of it.
    let template_data = job.integration.uses_templates().then(|| TemplateData::new(&data));
    let notification =
        Notification { data: &data, template_data: template_data.as_ref(), templates, group_key: &request.group_key };
    METRICS.notifications.with_label_values(&[integration]).inc();
    // Attempt times are the flush's time plus what has passed since, on Herald's clock.
    let (flush_time, flush_start) = (request.now, Instant::now());
    let fingerprints: Vec<String> = alerts.iter().map(|alert| alert.fingerprint.to_string()).collect();
    let correlation = correlation_ids(&alerts);
    // The notification span, when exported, is the receiver's parent; otherwise the receiver continues the
    // trace of the newest alert that came with one, under a span id of its own.
    let traceparent = match otlp::ids(&tracing::Span::current()) {
        Some((trace, span)) => Some(format!("00-{trace}-{span}-01")),
        None => newest_trace(&alerts).map(|(trace, _)| format!("00-{trace}-{}-01", crate::api::new_span_id())),
    };
    let attempt = || async {
        let started = Instant::now();
        let sent = async {
            if let Some(mail) = job.integration.mail(&notification) {
                METRICS.notification_requests.with_label_values(&[integration]).inc();
                return super::email::send(mail?).await;
            }
            let mut requests = job.integration.requests(&notification)?;
            for request in &mut requests {
                if let Some(ids) = &correlation {
                    request.headers.push((HeaderName::from_static(CORRELATION_HEADER), ids.clone()));
                }
                if let Some(traceparent) = &traceparent {
                    request.headers.push((HeaderName::from_static("traceparent"), traceparent.clone()));
                }
            }
            METRICS.notification_requests.with_label_values(&[integration]).inc();
            http::send(clients, job.integration.http_config(), requests).await
        }
        .await;
        let elapsed = started.elapsed();
        METRICS.notification_latency.with_label_values(&[integration]).observe(elapsed.as_secs_f64());
        let mut record = Attempt {
            id: 0,
            at: flush_time + chrono::Duration::from_std(started - flush_start).unwrap_or_default(),
            receiver: receiver.clone(),
            integration: integration.to_string(),
            index: job.key.index,
            group_key: request.group_key.clone(),
            group_id: request.group_id.to_string(),
            fingerprints: fingerprints.clone(),
            attempt: 0,
            outcome: Outcome::Delivered,
            reason: None,
            status: sent.as_ref().ok().copied().filter(|status| *status != 0),
            latency_ms: u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX),
            error: None,
            level: request.escalation.as_ref().map(|step| step.level),
            correlation_id: correlation.clone(),
        };
        if let Err(err) = &sent {
            record.failed(err);
        }
        if let Ok(mut attempts) = attempts.lock() {
            record.attempt = u32::try_from(attempts.len() + 1).unwrap_or(u32::MAX);
            attempts.push(record);
        }
        sent.map(|_| ())
    };
    let log_failure = |number: u32, err: &Error| {
        METRICS.notification_requests_failed.with_label_values(&[integration]).inc();
        tracing::warn!(receiver, integration, attempt = number, kind = %err.kind, retryable = err.retryable(), error = %err, "Notification attempt failed.");
    };
    let result = retry::retry(deadline, superseded, attempt, log_failure).await;
    let mut attempts = attempts.into_inner().unwrap_or_default();
    if result.is_err()
        && let Some(last) = attempts.last_mut()
    {
        last.outcome = Outcome::Failed;
    }
    let outcome = match result {
        Ok(()) => {
            METRICS.notifications_delivered.with_label_values(&[integration]).inc();
            tracing::info!(receiver, integration, group = %request.group_key, group_id = %request.group_id, alerts = alerts.len(), firing = firing.len(), level = request.escalation.as_ref().map(|step| step.level), correlation_id = correlation.as_deref().unwrap_or_default(), "Notification sent.");
            Ok(Some((job.key, entry)))
        }
        Err(err) => {
            METRICS.notifications_failed.with_label_values(&[integration, err.kind.as_str()]).inc();
            tracing::error!(receiver, integration, group = %request.group_key, group_id = %request.group_id, kind = %err.kind, correlation_id = correlation.as_deref().unwrap_or_default(), error = %err, "Notification failed.");
            Err(())
        }
    };
    (outcome, attempts)
}

/// The header notifications carry the correlation ids in.
const CORRELATION_HEADER: &str = "x-correlation-id";

/// At most this many correlation ids go with one notification.
const MAX_CORRELATION_IDS: usize = 10;

/// The distinct correlation ids of the requests that brought `alerts`, newest first, `, `-separated (as a
/// repeated HTTP header folds); `None` when none has one.
fn correlation_ids(alerts: &[Arc<Alert>]) -> Option<String> {
    let mut newest_first: Vec<&Arc<Alert>> = alerts.iter().filter(|alert| !alert.correlation_id.is_empty()).collect();
    newest_first.sort_by_key(|alert| std::cmp::Reverse(alert.updated_at));
    let mut ids: Vec<&str> = Vec::new();
    for alert in newest_first {
        let id: &str = &alert.correlation_id;
        if !ids.contains(&id) {
            ids.push(id);
        }
        if ids.len() == MAX_CORRELATION_IDS {
            break;
        }
    }
    (!ids.is_empty()).then(|| ids.join(", "))
}
