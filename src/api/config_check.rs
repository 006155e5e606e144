//! Trying a config before applying it: `POST /api/herald/config/check` (its problems, and the active alerts
//! that would change receivers or groups under it) and `POST /api/herald/routes/test` (where a label set goes
//! under the live config).

use std::path::Path;
use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::AppState;
use super::error::ApiError;
use crate::config::{self, Problem};
use crate::labels::{LabelSet, is_valid_label_name};
use crate::routing::{RouteTest, RouteTree, explain};
use crate::runtime::Runtime;

/// Where an alert goes: `(receiver, group key)` per matching route.
type Destinations = Vec<(String, String)>;

/// An active alert whose receivers or groups the candidate config changes.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Moved {
    fingerprint: String,
    labels: LabelSet,
    before: Vec<Value>,
    after: Vec<Value>,
}

/// `POST /api/herald/config/check`: checks a candidate config exactly as a PUT would, without applying it.
pub(super) async fn post_check(State(state): State<AppState>, body: Bytes) -> Result<Json<Value>, ApiError> {
    let text = String::from_utf8(body.to_vec())
        .map_err(|_| ApiError::herald(StatusCode::BAD_REQUEST, "bad_config", "the body is not UTF-8 text"))?;
    let engine = Arc::clone(&state.engine);
    tokio::task::spawn_blocking(move || {
        let live = engine.runtime();
        let problems = |err: config::ConfigError| {
            json!({"valid": false, "problems": err.problems.iter().map(problem_json).collect::<Vec<_>>(),
                   "warnings": [], "extensions": [], "changes": []})
        };
        let text = match config::restore_secrets(&text, &live.config) {
            Ok(restored) => restored.unwrap_or(text),
            Err(err) => return Json(problems(err)),
        };
        let base_dir = engine.config_path().parent().unwrap_or_else(|| Path::new(".")).to_path_buf();
        let candidate = match Runtime::from_text(&text, &base_dir) {
            Ok(candidate) => candidate,
            Err(err) => return Json(problems(err)),
        };
        let now = engine.now();
        let moved: Vec<Moved> = engine
            .alerts()
            .all()
            .into_iter()
            .filter(|alert| !alert.resolved_at(now))
            .filter_map(|alert| {
                let before = destinations(&live.tree, &alert.labels);
                let after = destinations(&candidate.tree, &alert.labels);
                (before != after).then(|| Moved {
                    fingerprint: alert.fingerprint.to_string(),
                    labels: alert.labels.clone(),
                    before: before.iter().map(destination_json).collect(),
                    after: after.iter().map(destination_json).collect(),
                })
            })
            .collect();
        Json(json!({
            "valid": true,
            "problems": [],
            "warnings": candidate.warnings.iter().map(problem_json).collect::<Vec<_>>(),
            "extensions": config::extensions(&candidate.config.file),
            "changes": moved,
        }))
    })
    .await
    .map_err(|err| ApiError::Internal(format!("checking a config: {err}")))
}

/// The body of `POST /api/herald/routes/test`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RouteTestRequest {
    labels: LabelSet,
}

/// `POST /api/herald/routes/test`: the routes `{"labels": {...}}` matches under the live config.
pub(super) async fn post_route_test(State(state): State<AppState>, body: Bytes) -> Result<Json<RouteTest>, ApiError> {
    let bad = |detail: String| ApiError::herald(StatusCode::BAD_REQUEST, "bad_labels", detail);
    let request: RouteTestRequest = serde_json::from_slice(&body).map_err(|err| bad(format!("body: {err}")))?;
    if let Some(name) = request.labels.keys().find(|name| !is_valid_label_name(name)) {
        return Err(bad(format!("labels: {name:?} is not a valid label name")));
    }
    Ok(Json(explain(&state.engine.runtime(), &request.labels, state.engine.now())))
}

fn destinations(tree: &RouteTree, labels: &LabelSet) -> Destinations {
    tree.matching_routes(labels)
        .into_iter()
        .map(|id| {
            let node = tree.node(id);
            (node.receiver.clone(), crate::dispatch::group_key(&node.key, &node.group_labels(labels)))
        })
        .collect()
}

fn destination_json((receiver, group_key): &(String, String)) -> Value {
    json!({"receiver": receiver, "groupKey": group_key})
}

pub(super) fn problem_json(problem: &Problem) -> Value {
    json!({"path": problem.path, "line": problem.line, "message": problem.message})
}
