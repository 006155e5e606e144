//! `POST /api/herald/receivers/{name}/preview`: what each integration of a receiver would send, for posted
//! alerts or for a live group, rendered with the config in force and sent nowhere.

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::AppState;
use super::error::ApiError;
use crate::alert::{Alert, accept};
use crate::dispatch::{GroupId, group_key, sort_alerts};
use crate::notify::data::NotificationData;
use crate::notify::preview::{IntegrationPreview, preview};

/// The request: alerts in the Alertmanager v2 format, or the id of a live group.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct PreviewRequest {
    /// Alerts to render, as `POST /api/v2/alerts` takes them.
    #[serde(default)]
    pub alerts: Option<Value>,
    /// A live group's id (16 hex digits).
    #[serde(default)]
    pub group: Option<String>,
}

/// The answer.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct PreviewResponse {
    /// The receiver.
    pub receiver: String,
    /// The group key the notification would carry.
    pub group_key: String,
    /// Each integration's requests, or its error.
    pub integrations: Vec<IntegrationPreview>,
}

/// Renders the receiver's integrations.
pub(super) async fn preview_receiver(
    State(state): State<AppState>,
    Path(name): Path<String>,
    body: Bytes,
) -> Result<Json<PreviewResponse>, ApiError> {
    let runtime = state.engine.runtime();
    if !runtime.config.receivers.iter().any(|r| r.name == name) {
        return Err(ApiError::herald(
            StatusCode::NOT_FOUND,
            "receiver_not_found",
            format!("no receiver named {name:?}"),
        ));
    }
    let request: PreviewRequest = serde_json::from_slice(&body)
        .map_err(|err| ApiError::herald(StatusCode::BAD_REQUEST, "bad_request", format!("request body: {err}")))?;
    let now = state.engine.now();
    let (key, labels, mut alerts): (String, _, Vec<Arc<Alert>>) = match (request.alerts, request.group) {
        (Some(alerts), None) => {
            let bytes = serde_json::to_vec(&alerts).unwrap_or_default();
            let (alerts, invalid) = accept(&bytes, now, runtime.config.resolve_timeout, &state.limits.ingest)
                .map_err(|err| ApiError::herald(StatusCode::BAD_REQUEST, "bad_alerts", err.to_string()))?;
            if !invalid.is_empty() {
                return Err(ApiError::herald(StatusCode::BAD_REQUEST, "bad_alerts", invalid.join("; ")));
            }
            let first = alerts.first().ok_or_else(|| {
                ApiError::herald(StatusCode::BAD_REQUEST, "bad_alerts", "alerts: give at least one alert")
            })?;
            // Group as the first route to this receiver would.
            let tree = &runtime.tree;
            let node = tree.nodes().iter().find(|node| node.receiver == name).unwrap_or_else(|| tree.root());
            let labels = node.group_labels(&first.labels);
            (group_key(&node.key, &labels), labels, alerts.into_iter().map(Arc::new).collect())
        }
        (None, Some(id)) => {
            let id = GroupId::parse(&id).ok_or_else(|| {
                ApiError::herald(StatusCode::BAD_REQUEST, "bad_group", format!("group {id:?} is not a 16-hex-digit id"))
            })?;
            let group = state.engine.dispatcher().groups().await.into_iter().find(|g| g.id == id && g.receiver == name);
            let group = group.ok_or_else(|| {
                ApiError::herald(
                    StatusCode::NOT_FOUND,
                    "group_not_found",
                    format!("no group {id} for receiver {name:?}"),
                )
            })?;
            (group.key, group.labels, group.alerts)
        }
        _ => {
            return Err(ApiError::herald(
                StatusCode::BAD_REQUEST,
                "bad_request",
                "give either \"alerts\" or \"group\", not both",
            ));
        }
    };
    let external_url = state.engine.external_url().to_string();
    // Rendering templates is CPU work of unbounded size: off the async workers.
    tokio::task::spawn_blocking(move || {
        sort_alerts(&mut alerts);
        let data = NotificationData::new(&name, &labels, &alerts, &external_url, now);
        let integrations = preview(runtime.integrations.of(&name), &runtime.templates, &data, &key);
        Json(PreviewResponse { receiver: name, group_key: key, integrations })
    })
    .await
    .map_err(|err| ApiError::Internal(format!("rendering a preview: {err}")))
}
