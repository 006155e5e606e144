//! `GET /debug/pprof/profile?seconds=N`: a CPU profile of the whole process, as Alertmanager (Go's
//! `net/http/pprof`) serves it, for `go tool pprof http://herald:9093/debug/pprof/profile`. Off unless Herald
//! runs with `--web.enable-pprof`; with API tokens, it needs the API token (a profile costs CPU and shows
//! the code).

use std::collections::HashMap;
use std::time::Duration;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE, X_CONTENT_TYPE_OPTIONS};
use axum::response::{IntoResponse, Response};

use super::AppState;
use super::error::ApiError;
use crate::telemetry::profile::{ProfileError, cpu_profile};

/// Go's default length of a profile.
const DEFAULT_SECONDS: u64 = 30;

/// The longest profile: the request stays open meanwhile.
pub(super) const MAX_SECONDS: u64 = 300;

/// `GET /debug/pprof/profile`.
pub(super) async fn get_profile(
    State(state): State<AppState>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    if !state.profiling {
        return Err(ApiError::herald(
            StatusCode::NOT_FOUND,
            "profiling_off",
            "CPU profiles are off: start Herald with --web.enable-pprof to serve them",
        ));
    }
    let seconds = match query.get("seconds").map(|text| text.trim()) {
        None | Some("") => DEFAULT_SECONDS,
        Some(text) => {
            text.parse::<u64>().ok().filter(|seconds| (1..=MAX_SECONDS).contains(seconds)).ok_or_else(|| {
                ApiError::herald(
                    StatusCode::BAD_REQUEST,
                    "invalid_seconds",
                    format!("seconds: a whole number from 1 to {MAX_SECONDS} is expected, got {text:?}"),
                )
            })?
        }
    };
    let profile = tokio::task::spawn_blocking(move || cpu_profile(Duration::from_secs(seconds)))
        .await
        .map_err(|err| ApiError::Internal(format!("taking a CPU profile: {err}")))?
        .map_err(|err| match err {
            ProfileError::Busy => ApiError::herald(StatusCode::CONFLICT, "profile_in_progress", err.to_string()),
            ProfileError::Profiler(_) => ApiError::Internal(err.to_string()),
        })?;
    Ok((
        [
            (CONTENT_TYPE, "application/octet-stream"),
            (CONTENT_DISPOSITION, "attachment; filename=\"profile\""),
            (X_CONTENT_TYPE_OPTIONS, "nosniff"),
        ],
        profile,
    )
        .into_response())
}
