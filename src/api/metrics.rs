//! `GET /metrics`: Herald's metrics in the Prometheus text format, and the duration of every API request.

use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::header::CONTENT_TYPE;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::AppState;
use super::error::ApiError;
use crate::engine::Engine;
use crate::silence::State as SilenceState;
use crate::telemetry::metrics::{CONTENT_TYPE as TEXT_FORMAT, METRICS, Scraped};

/// `GET /metrics`.
pub(super) async fn get_metrics(State(state): State<AppState>) -> Result<Response, ApiError> {
    let engine = Arc::clone(&state.engine);
    let data_dir = state.data_dir.clone();
    // Off the async workers: counting alerts by state walks every alert.
    let text = tokio::task::spawn_blocking(move || METRICS.render(&scrape(&engine, &data_dir)))
        .await
        .map_err(|err| ApiError::Internal(format!("rendering metrics: {err}")))?;
    Ok(([(CONTENT_TYPE, TEXT_FORMAT)], text).into_response())
}

fn scrape(engine: &Engine, data_dir: &Path) -> Scraped {
    let now = engine.now();
    let silences = engine.silences().active(now);
    let (mut active, mut suppressed) = (0, 0);
    if silences.is_empty() && !engine.inhibitor().any_source(now) {
        // Nothing mutes: every alert not resolved is active (the usual case, and the cheap one).
        active = i64::try_from(engine.alerts().count_unresolved(now)).unwrap_or(i64::MAX);
    } else {
        for alert in engine.alerts().all() {
            if alert.resolved_at(now) {
                continue;
            }
            let muted = silences.iter().any(|silence| silence.matches(&alert.labels))
                || engine.inhibitor().inhibited_by(&alert.labels, now).is_some();
            if muted {
                suppressed += 1;
            } else {
                active += 1;
            }
        }
    }
    let (mut silence_active, mut pending, mut expired) = (0, 0, 0);
    for silence in engine.silences().all() {
        match silence.state(now) {
            SilenceState::Active => silence_active += 1,
            SilenceState::Pending => pending += 1,
            SilenceState::Expired => expired += 1,
        }
    }
    let size = |name: &str| std::fs::metadata(data_dir.join(name)).map(|m| m.len()).unwrap_or(0);
    let store_size = size("herald.db") + size("herald.db-wal");
    Scraped {
        alerts: [("active", active), ("suppressed", suppressed), ("unprocessed", 0)],
        silences: [("active", silence_active), ("pending", pending), ("expired", expired)],
        groups: i64::try_from(engine.dispatcher().group_count()).unwrap_or(i64::MAX),
        store_queue: i64::try_from(engine.store_queue_depth()).unwrap_or(i64::MAX),
        store_size: i64::try_from(store_size).unwrap_or(i64::MAX),
    }
}

/// Observes each matched request's duration as `alertmanager_http_request_duration_seconds{handler, method}`.
pub(super) async fn observe_duration(request: Request, next: Next) -> Response {
    let handler = request.extensions().get::<MatchedPath>().map(|path| path.as_str().to_string());
    let method = request.method().clone();
    let started = Instant::now();
    let response = next.run(request).await;
    if let Some(handler) = handler {
        METRICS
            .http_duration
            .with_label_values(&[handler.as_str(), method.as_str()])
            .observe(started.elapsed().as_secs_f64());
    }
    response
}
