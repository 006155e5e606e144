//! `GET /api/herald/routes`: the route tree as it is in force, depth first, each route with its settings
//! (own or inherited), how many active alerts it holds now and the first of them — what the UI's tree view
//! shows.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use serde_json::{Value, json};

use super::AppState;
use super::error::ApiError;
use crate::config::PromDuration;

/// Most alerts listed under one route (all are counted).
const LISTED_PER_ROUTE: usize = 20;

/// `GET /api/herald/routes`.
pub(super) async fn get_routes(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    let engine = Arc::clone(&state.engine);
    // Off the async workers: every active alert is routed.
    let routes = tokio::task::spawn_blocking(move || {
        let runtime = engine.runtime();
        let tree = &runtime.tree;
        let now = engine.now();
        let mut counts = vec![0usize; tree.nodes().len()];
        let mut listed: Vec<Vec<Value>> = vec![Vec::new(); tree.nodes().len()];
        for alert in engine.alerts().all() {
            if alert.resolved_at(now) {
                continue;
            }
            // Every route on the alert's way counts it: a parent holds what its children hold.
            tree.visit_matching(&alert.labels, &mut |id| {
                counts[id.0] += 1;
                if listed[id.0].len() < LISTED_PER_ROUTE {
                    listed[id.0].push(json!({"fingerprint": alert.fingerprint.to_string(), "labels": alert.labels}));
                }
            });
        }
        let mut out = Vec::with_capacity(tree.nodes().len());
        let mut stack = vec![(0usize, 0usize)];
        while let Some((id, depth)) = stack.pop() {
            let node = tree.node(crate::routing::RouteId(id));
            out.push(json!({
                "id": id,
                "path": node.path,
                "depth": depth,
                "receiver": node.receiver,
                "matchers": node.matchers.iter().map(ToString::to_string).collect::<Vec<_>>(),
                "groupBy": if node.group_by_all { vec!["...".to_string()] } else { node.group_by.iter().cloned().collect() },
                "continue": node.continue_matching,
                "groupWait": PromDuration(node.group_wait).to_string(),
                "groupInterval": PromDuration(node.group_interval).to_string(),
                "repeatInterval": PromDuration(node.repeat_interval).to_string(),
                "muteTimeIntervals": node.mute_time_intervals,
                "activeAlerts": counts[id],
                "alerts": listed[id],
            }));
            for child in node.children.iter().rev() {
                stack.push((child.0, depth + 1));
            }
        }
        out
    })
    .await
    .map_err(|err| ApiError::Internal(format!("listing routes: {err}")))?;
    Ok(Json(json!({ "routes": routes })))
}
