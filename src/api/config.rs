//! The config over the API: read it (secrets as `<secret>`, with an ETag), replace it, list, read and compare
//! its versions, and roll back to one. Every change is checked like a file and applied without a restart.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::header::{CONTENT_TYPE, ETAG, IF_MATCH};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::json;

use super::AppState;
use super::config_check::problem_json;
use super::error::ApiError;
use crate::alert::format_api_time;
use crate::config::{self, ConfigVersion, Problem};
use crate::engine::{ConfigChange, ConfigChangeError};

/// A version as listed (its text is read one at a time).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct VersionJson {
    number: u64,
    at: String,
    author: String,
    comment: String,
    source: String,
    hash: String,
    live: bool,
}

impl VersionJson {
    fn of(version: &ConfigVersion, live: u64) -> Self {
        VersionJson {
            number: version.number,
            at: format_api_time(version.at),
            author: version.author.clone(),
            comment: version.comment.clone(),
            source: version.source.clone(),
            hash: version.hash.clone(),
            live: version.number == live,
        }
    }
}

/// `GET /api/herald/config`: the live config as written, secrets as `<secret>`; `ETag` is its hash.
pub(super) async fn get_config(State(state): State<AppState>) -> Response {
    let runtime = state.engine.runtime();
    yaml_response(runtime.config.to_api_yaml(), &runtime.hash, state.engine.live_version())
}

/// `PUT /api/herald/config`: applies a new config (`author` and `comment` in the query).
pub(super) async fn put_config(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let text = String::from_utf8(body.to_vec())
        .map_err(|_| ApiError::herald(StatusCode::BAD_REQUEST, "bad_config", "the body is not UTF-8 text"))?;
    let (author, comment) = author_and_comment(query.as_deref());
    let change = ConfigChange { text, if_match: if_match(&headers)?, author, comment, source: "api" };
    applied(state.engine.change_config(change).await)
}

/// `GET /api/herald/config/versions`: every version, newest first.
pub(super) async fn get_versions(State(state): State<AppState>) -> Json<Vec<serde_json::Value>> {
    let live = state.engine.live_version();
    let versions = state.engine.config_versions();
    Json(versions.iter().rev().filter_map(|v| serde_json::to_value(VersionJson::of(v, live)).ok()).collect())
}

/// `GET /api/herald/config/versions/{number}`: one version's YAML, secrets as `<secret>`.
pub(super) async fn get_version(
    State(state): State<AppState>,
    Path(number): Path<String>,
) -> Result<Response, ApiError> {
    let version = version(&state, &number)?;
    let text = redacted(&version)?;
    Ok(yaml_response(text, &version.hash, version.number))
}

/// `GET /api/herald/config/diff?from=N&to=M`: a unified diff between two versions (`to` defaults to the live
/// one, `from` to the one before `to`), secrets as `<secret>`.
pub(super) async fn get_diff(State(state): State<AppState>, RawQuery(query): RawQuery) -> Result<Response, ApiError> {
    let mut from = None;
    let mut to = None;
    for (name, value) in url::form_urlencoded::parse(query.unwrap_or_default().as_bytes()) {
        match name.as_ref() {
            "from" => from = Some(version(&state, &value)?),
            "to" => to = Some(version(&state, &value)?),
            _ => {}
        }
    }
    let to = match to {
        Some(to) => to,
        None => version(&state, &state.engine.live_version().to_string())?,
    };
    let from = match from {
        Some(from) => from,
        None => version(&state, &to.number.saturating_sub(1).to_string())?,
    };
    let text = config::diff(
        &format!("version {}", from.number),
        &redacted(&from)?,
        &format!("version {}", to.number),
        &redacted(&to)?,
    );
    Ok(([(CONTENT_TYPE, HeaderValue::from_static("text/plain; charset=utf-8"))], text).into_response())
}

/// `POST /api/herald/config/versions/{number}/rollback`: applies that version again, as a new version.
pub(super) async fn post_rollback(
    State(state): State<AppState>,
    Path(number): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let number = version(&state, &number)?.number;
    let (author, comment) = author_and_comment(query.as_deref());
    let comment = if comment.is_empty() { String::new() } else { comment };
    applied(state.engine.roll_back_config(number, if_match(&headers)?, author, comment).await)
}

pub(super) fn applied(result: Result<(ConfigVersion, Vec<Problem>), ConfigChangeError>) -> Result<Response, ApiError> {
    match result {
        Ok((version, warnings)) => {
            let body = json!({
                "version": VersionJson::of(&version, version.number),
                "warnings": warnings.iter().map(problem_json).collect::<Vec<_>>(),
            });
            let mut response = Json(body).into_response();
            if let Ok(tag) = HeaderValue::from_str(&format!("\"{}\"", version.hash)) {
                response.headers_mut().insert(ETAG, tag);
            }
            Ok(response)
        }
        Err(ConfigChangeError::Invalid(err)) => {
            let body = json!({
                "code": "invalid_config",
                "detail": format!("the config has {} problem(s); the running config is unchanged", err.problems.len()),
                "problems": err.problems.iter().map(problem_json).collect::<Vec<_>>(),
            });
            Ok((StatusCode::BAD_REQUEST, Json(body)).into_response())
        }
        Err(err @ ConfigChangeError::Stale { .. }) => {
            Err(ApiError::herald(StatusCode::PRECONDITION_FAILED, "stale_etag", err.to_string()))
        }
        Err(err @ ConfigChangeError::UnknownVersion(_)) => {
            Err(ApiError::herald(StatusCode::NOT_FOUND, "unknown_version", err.to_string()))
        }
        Err(ConfigChangeError::Team(err @ config::TeamError::Unknown(_))) => {
            Err(ApiError::herald(StatusCode::NOT_FOUND, "unknown_team", err.to_string()))
        }
        Err(ConfigChangeError::Team(err @ config::TeamError::Refused(_))) => {
            Err(ApiError::herald(StatusCode::BAD_REQUEST, "bad_team_route", err.to_string()))
        }
        Err(ConfigChangeError::Store(err)) => Err(ApiError::store(err)),
        Err(err @ ConfigChangeError::File { .. }) => {
            tracing::error!(error = %err, "A config change could not be written to the config file; nothing changed.");
            Err(ApiError::herald(
                StatusCode::INTERNAL_SERVER_ERROR,
                "config_file_not_written",
                format!("{err}; nothing changed"),
            ))
        }
    }
}

pub(super) fn yaml_response(text: String, hash: &str, number: u64) -> Response {
    let mut response =
        ([(CONTENT_TYPE, HeaderValue::from_static("application/yaml; charset=utf-8"))], text).into_response();
    if let Ok(tag) = HeaderValue::from_str(&format!("\"{hash}\"")) {
        response.headers_mut().insert(ETAG, tag);
    }
    response.headers_mut().insert("x-herald-config-version", HeaderValue::from(number));
    response
}

pub(super) fn version(state: &AppState, text: &str) -> Result<ConfigVersion, ApiError> {
    let number: u64 = text.parse().map_err(|_| {
        ApiError::herald(StatusCode::BAD_REQUEST, "bad_version", format!("{text:?} is not a version number"))
    })?;
    state.engine.config_version(number).ok_or_else(|| {
        ApiError::herald(StatusCode::NOT_FOUND, "unknown_version", format!("config version {number} does not exist"))
    })
}

fn redacted(version: &ConfigVersion) -> Result<String, ApiError> {
    config::api_yaml_of(&version.text)
        .map_err(|err| ApiError::Internal(format!("config version {} cannot be read back: {err}", version.number)))
}

pub(super) fn if_match(headers: &HeaderMap) -> Result<Option<String>, ApiError> {
    headers
        .get(IF_MATCH)
        .map(|value| {
            value.to_str().map(str::to_string).map_err(|_| {
                ApiError::herald(StatusCode::BAD_REQUEST, "bad_if_match", "If-Match is not a readable ETag")
            })
        })
        .transpose()
}

pub(super) fn author_and_comment(query: Option<&str>) -> (String, String) {
    let mut author = "api".to_string();
    let mut comment = String::new();
    for (name, value) in url::form_urlencoded::parse(query.unwrap_or_default().as_bytes()) {
        match name.as_ref() {
            "author" if !value.trim().is_empty() => author = value.into_owned(),
            "comment" => comment = value.into_owned(),
            _ => {}
        }
    }
    (author, comment)
}
