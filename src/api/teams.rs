//! Team-owned sub-trees over the API: `/api/herald/config/teams/{team}` reads, replaces and rolls back the
//! route a team owns (and everything below it) without touching the rest of the config.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;
use serde_json::{Value, json};

use super::AppState;
use super::config::{applied, author_and_comment, if_match, version, yaml_response};
use super::error::ApiError;
use crate::config;
use crate::engine::TeamRoute;

/// `GET /api/herald/config/teams`: each team with the path of its route and the ETag of its sub-tree.
pub(super) async fn get_teams(State(state): State<AppState>) -> Json<Vec<Value>> {
    let source = state.engine.runtime().source.clone();
    let teams = config::teams(&source)
        .into_iter()
        .map(|(team, path)| {
            let etag = config::team_route(&source, &team).map(|(_, yaml)| config::hash_text(&yaml)).unwrap_or_default();
            json!({"team": team, "path": path, "etag": etag})
        })
        .collect();
    Json(teams)
}

/// `GET /api/herald/config/teams/{team}`: the team's route as YAML; `ETag` is its hash, `X-Herald-Route-Path`
/// where it is.
pub(super) async fn get_team(State(state): State<AppState>, Path(team): Path<String>) -> Result<Response, ApiError> {
    let source = state.engine.runtime().source.clone();
    let (path, yaml) = config::team_route(&source, &team).map_err(unknown)?;
    let hash = config::hash_text(&yaml);
    let mut response = yaml_response(yaml, &hash, state.engine.live_version());
    if let Ok(path) = HeaderValue::from_str(&path) {
        response.headers_mut().insert("x-herald-route-path", path);
    }
    Ok(response)
}

/// `PUT /api/herald/config/teams/{team}`: replaces the team's route with the body (YAML of one route; its
/// matchers must stay); the whole config is checked and applied as for a PUT of the config.
pub(super) async fn put_team(
    State(state): State<AppState>,
    Path(team): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let text = String::from_utf8(body.to_vec())
        .map_err(|_| ApiError::herald(StatusCode::BAD_REQUEST, "bad_team_route", "the body is not UTF-8 text"))?;
    let (author, comment) = author_and_comment(query.as_deref());
    let tag = if_match(&headers)?;
    applied(state.engine.change_team(&team, TeamRoute::Text(text), tag.as_deref(), &author, &comment).await)
}

/// `POST /api/herald/config/teams/{team}/versions/{number}/rollback`: the team's route as it was in that
/// version, the rest of the config as it is now.
pub(super) async fn post_team_rollback(
    State(state): State<AppState>,
    Path((team, number)): Path<(String, String)>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let number = version(&state, &number)?.number;
    let (author, comment) = author_and_comment(query.as_deref());
    let comment = if comment.is_empty() { format!("rollback of team {team} to version {number}") } else { comment };
    let tag = if_match(&headers)?;
    applied(state.engine.change_team(&team, TeamRoute::Version(number), tag.as_deref(), &author, &comment).await)
}

fn unknown(err: config::TeamError) -> ApiError {
    ApiError::herald(StatusCode::NOT_FOUND, "unknown_team", err.to_string())
}
