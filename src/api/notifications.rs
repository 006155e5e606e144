//! `GET /api/herald/notifications`: the notification history, newest first, a page at a time: every attempt
//! with its outcome and reason, HTTP status, latency and error.

use axum::Json;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use serde_json::{Value, json};

use super::AppState;
use super::error::ApiError;
use super::pages::{DEFAULT_LIMIT, MAX_LIMIT};
use crate::alert::{format_api_time, parse_time};
use crate::config::PromDuration;
use crate::notify::history::{HistoryQuery, Outcome};

/// `GET /api/herald/notifications?receiver=&group=&status=&since=&limit=&before=`.
pub(super) async fn get_notifications(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>, ApiError> {
    let query = parse(raw.as_deref(), state.engine.now())?;
    let limit = query.limit;
    // One more than asked, to know whether another page follows.
    let mut page =
        state.engine.notification_history(HistoryQuery { limit: limit + 1, ..query }).await.map_err(ApiError::store)?;
    let more = page.len() > limit;
    page.truncate(limit);
    let next = more.then(|| page.last().map(|attempt| attempt.id.to_string())).flatten();
    let notifications: Vec<Value> = page
        .iter()
        .map(|attempt| {
            json!({
                "id": attempt.id,
                "at": format_api_time(attempt.at),
                "receiver": attempt.receiver,
                "integration": attempt.integration,
                "index": attempt.index,
                "groupKey": attempt.group_key,
                "groupId": attempt.group_id,
                "fingerprints": attempt.fingerprints,
                "attempt": attempt.attempt,
                "outcome": attempt.outcome.as_str(),
                "reason": attempt.reason,
                "status": attempt.status,
                "latencyMs": attempt.latency_ms,
                "error": attempt.error,
                "level": attempt.level,
                "correlationId": attempt.correlation_id,
            })
        })
        .collect();
    let mut answer = json!({"notifications": notifications});
    if let Some(next) = next {
        answer["next"] = Value::from(next);
    }
    Ok(Json(answer))
}

fn parse(raw: Option<&str>, now: chrono::DateTime<chrono::Utc>) -> Result<HistoryQuery, ApiError> {
    let bad = |code: &'static str, detail: String| ApiError::herald(StatusCode::BAD_REQUEST, code, detail);
    let mut query = HistoryQuery { limit: DEFAULT_LIMIT, ..HistoryQuery::default() };
    for (name, value) in url::form_urlencoded::parse(raw.unwrap_or_default().as_bytes()) {
        let value = value.into_owned();
        match name.as_ref() {
            "receiver" => query.receiver = Some(value),
            "group" => query.group = Some(value),
            "status" => {
                query.outcome = Some(Outcome::parse(&value).ok_or_else(|| {
                    bad("bad_status", format!("status: {value:?} is not delivered, retrying or failed"))
                })?);
            }
            "since" => {
                // A time, or how long ago (`1h`).
                let since = match PromDuration::parse(&value) {
                    Ok(ago) => chrono::Duration::from_std(ago.0).ok().and_then(|ago| now.checked_sub_signed(ago)),
                    Err(_) => parse_time(&value).map_err(|err| bad("bad_since", format!("since: {err}")))?,
                };
                query.since = since;
            }
            "limit" => {
                query.limit = value.parse().ok().filter(|n| (1..=MAX_LIMIT).contains(n)).ok_or_else(|| {
                    bad("bad_limit", format!("limit: {value:?} is not a whole number from 1 to {MAX_LIMIT}"))
                })?;
            }
            "before" => {
                query.before = Some(value.parse().map_err(|_| {
                    bad("bad_cursor", format!("before: {value:?} is not a cursor from a previous page"))
                })?);
            }
            _ => {}
        }
    }
    Ok(query)
}
