//! `/api/v2/silences` and `/api/v2/silence/{id}`: create, update, list, read and expire silences, with
//! Alertmanager's shapes, validation and status codes (but 404, not 500, for an unknown id on DELETE).

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::AppState;
use super::error::ApiError;
use crate::alert::{format_api_time, parse_time};
use crate::engine::SilenceChangeError;
use crate::labels::parse_matcher;
use crate::silence::{Silence, SilenceError, SilenceMatcher, State as SilenceState};

/// Alertmanager's `postableSilence`; required fields are checked by hand to answer 422 as it does.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct PostableSilence {
    #[serde(default)]
    id: Option<String>,
    matchers: Option<Vec<PostableMatcher>>,
    starts_at: Option<String>,
    ends_at: Option<String>,
    created_by: Option<String>,
    comment: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct PostableMatcher {
    name: Option<String>,
    value: Option<String>,
    is_regex: Option<bool>,
    #[serde(default)]
    is_equal: Option<bool>,
}

/// Alertmanager's `gettableSilence`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct GettableSilence {
    id: String,
    status: SilenceStatus,
    updated_at: String,
    comment: String,
    created_by: String,
    ends_at: String,
    matchers: Vec<SilenceMatcher>,
    starts_at: String,
}

#[derive(Debug, Serialize)]
struct SilenceStatus {
    state: &'static str,
}

impl GettableSilence {
    fn new(silence: &Silence, now: DateTime<Utc>) -> Self {
        GettableSilence {
            id: silence.id.clone(),
            status: SilenceStatus { state: silence.state(now).as_str() },
            updated_at: format_api_time(silence.updated_at),
            comment: silence.comment.clone(),
            created_by: silence.created_by.clone(),
            ends_at: format_api_time(silence.ends_at),
            matchers: silence.matchers.clone(),
            starts_at: format_api_time(silence.starts_at),
        }
    }
}

fn schema(message: String) -> ApiError {
    ApiError::Schema { status: StatusCode::UNPROCESSABLE_ENTITY, code: 602, message }
}

fn required<T>(value: Option<T>, field: &str) -> Result<T, ApiError> {
    value.ok_or_else(|| schema(format!("{field} in body is required")))
}

fn time(field: &str, text: Option<String>) -> Result<DateTime<Utc>, ApiError> {
    let text = required(text, field)?;
    match parse_time(&text) {
        Ok(Some(time)) => Ok(time),
        Ok(None) => Err(ApiError::bad_request(format!("invalid zero {field}"))),
        Err(err) => {
            Err(ApiError::schema(StatusCode::BAD_REQUEST, format!("parsing silence body failed: {field}: {err}")))
        }
    }
}

/// `POST /api/v2/silences`.
pub(super) async fn post_silence(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<serde_json::Value>, ApiError> {
    super::alerts::require_json(&headers)?;
    let posted: PostableSilence = serde_json::from_slice(&body).map_err(|err| {
        ApiError::schema(StatusCode::BAD_REQUEST, format!("parsing silence body failed, because {err}"))
    })?;
    let matchers = required(posted.matchers, "matchers")?;
    if matchers.is_empty() {
        return Err(schema("matchers in body should have at least 1 items".into()));
    }
    let mut checked = Vec::with_capacity(matchers.len());
    for (i, matcher) in matchers.into_iter().enumerate() {
        checked.push(SilenceMatcher {
            name: required(matcher.name, &format!("matchers.{i}.name"))?,
            value: required(matcher.value, &format!("matchers.{i}.value"))?,
            is_regex: required(matcher.is_regex, &format!("matchers.{i}.isRegex"))?,
            is_equal: matcher.is_equal.unwrap_or(true),
        });
    }
    let starts_at = time("startsAt", posted.starts_at)?;
    let ends_at = time("endsAt", posted.ends_at)?;
    let created_by = required(posted.created_by, "createdBy")?;
    let comment = required(posted.comment, "comment")?;
    let now = state.engine.now();
    if starts_at >= ends_at {
        return Err(ApiError::bad_request("Failed to create silence: start time must be before end time"));
    }
    if ends_at < now {
        return Err(ApiError::bad_request("Failed to create silence: end time can't be in the past"));
    }
    let silence = Silence::new(String::new(), checked, starts_at, ends_at, created_by, comment, now)
        .map_err(|err| ApiError::bad_request(SilenceError::Invalid(err).to_string()))?;
    let id = state.engine.set_silence(posted.id.as_deref(), silence, now).await.map_err(|err| match err {
        SilenceChangeError::Refused(err @ SilenceError::NotFound) => {
            ApiError::Handler { status: StatusCode::NOT_FOUND, message: err.to_string() }
        }
        SilenceChangeError::Refused(err @ SilenceError::Invalid(_)) => ApiError::bad_request(err.to_string()),
        SilenceChangeError::Store(err) => ApiError::store(err),
    })?;
    Ok(Json(json!({"silenceID": id})))
}

/// `GET /api/v2/silences`: filtered by matchers the silences contain, sorted as Alertmanager sorts them.
pub(super) async fn get_silences(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
) -> Result<Json<Vec<GettableSilence>>, ApiError> {
    let mut filters = Vec::new();
    for (name, value) in url::form_urlencoded::parse(query.unwrap_or_default().as_bytes()) {
        if name == "filter" {
            filters.push(parse_matcher(&value).map_err(|err| ApiError::bad_request(err.to_string()))?);
        }
    }
    let now = state.engine.now();
    let mut silences: Vec<Silence> = state
        .engine
        .silences()
        .all()
        .into_iter()
        .filter(|silence| {
            filters.iter().all(|filter| {
                silence
                    .matchers
                    .iter()
                    .any(|m| m.name == filter.name() && m.value == filter.value() && m.kind() == filter.kind())
            })
        })
        .collect();
    // Active (soonest end first), then pending (soonest start first), then expired (latest end first).
    silences.sort_by(|a, b| {
        let (sa, sb) = (a.state(now), b.state(now));
        sa.cmp(&sb).then_with(|| match sa {
            SilenceState::Active => a.ends_at.cmp(&b.ends_at),
            SilenceState::Pending => a.starts_at.cmp(&b.starts_at),
            SilenceState::Expired => b.ends_at.cmp(&a.ends_at),
        })
    });
    Ok(Json(silences.iter().map(|s| GettableSilence::new(s, now)).collect()))
}

/// `GET /api/v2/silence/{id}`.
pub(super) async fn get_silence(State(state): State<AppState>, Path(id): Path<String>) -> Result<Response, ApiError> {
    check_uuid(&id)?;
    match state.engine.silences().get(&id) {
        Some(silence) => Ok(Json(GettableSilence::new(&silence, state.engine.now())).into_response()),
        None => Ok(StatusCode::NOT_FOUND.into_response()),
    }
}

/// `DELETE /api/v2/silence/{id}`: expires it (an expired one is left as it is).
pub(super) async fn delete_silence(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    check_uuid(&id)?;
    state.engine.expire_silence(&id, state.engine.now()).await.map_err(|err| match err {
        SilenceChangeError::Refused(err) => {
            ApiError::Handler { status: StatusCode::NOT_FOUND, message: err.to_string() }
        }
        SilenceChangeError::Store(err) => ApiError::store(err),
    })?;
    Ok(StatusCode::OK)
}

fn check_uuid(id: &str) -> Result<(), ApiError> {
    uuid::Uuid::parse_str(id).map(drop).map_err(|_| ApiError::Schema {
        status: StatusCode::UNPROCESSABLE_ENTITY,
        code: 601,
        message: format!("silenceID in path must be of type uuid: {id:?}"),
    })
}
