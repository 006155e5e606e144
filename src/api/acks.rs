//! Acknowledging a group: `POST` and `DELETE /api/herald/groups/{id}/ack`, and `GET /api/herald/groups/{id}`;
//! and the acknowledgement and escalation state every group shows in Herald's listings.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};

use super::AppState;
use super::alerts::receivers_of;
use super::error::ApiError;
use super::filter::AlertQuery;
use super::groups::group_listing;
use super::pages::PagedGroup;
use crate::alert::{format_api_time, parse_time};
use crate::config::PromDuration;
use crate::dispatch::{AckChange, AckError, GroupId, GroupView, sort_alerts};
use crate::engine::AckChangeError;

/// The body of `POST /api/herald/groups/{id}/ack`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct PostableAck {
    /// Who acknowledges (required, like a silence's `createdBy`).
    #[serde(default)]
    by: Option<String>,
    /// What they are doing about it.
    #[serde(default)]
    comment: Option<String>,
    /// When the acknowledgement ends (RFC 3339).
    #[serde(default)]
    expires_at: Option<String>,
    /// How long it lasts (`30m`, `2h`), instead of `expiresAt`.
    #[serde(default)]
    duration: Option<String>,
}

/// A group's acknowledgement and escalation, as Herald's group listings show them.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct GroupStateJson {
    /// The acknowledgement in force, if any.
    pub acknowledgement: Option<AckJson>,
    /// Where the group is in its escalation; `null` when nothing fires and nobody follows it.
    pub escalation: Option<EscalationJson>,
}

/// An acknowledgement.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct AckJson {
    by: String,
    comment: String,
    at: String,
    expires_at: Option<String>,
    timeout_at: Option<String>,
}

/// The escalation of a group's current episode.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct EscalationJson {
    /// When the group began firing.
    firing_since: Option<String>,
    /// The last level that fired in this episode (0: none yet, only the route's receiver was notified).
    level: usize,
    /// Its round, from 1 (0 when no level fired).
    round: u32,
    /// Its receiver.
    level_receiver: Option<String>,
    /// When it fired.
    level_at: Option<String>,
    /// The receivers of the levels that fired: they get the group's updates and its resolve.
    notified: Vec<String>,
    /// The next level and when it is due; `null` when acknowledged or none is left.
    next: Option<NextLevelJson>,
}

/// The next level due.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct NextLevelJson {
    level: usize,
    round: u32,
    receiver: String,
    at: String,
    after: String,
}

impl GroupStateJson {
    /// The state shown for `group`.
    pub(super) fn of(group: &GroupView) -> Self {
        let state = &group.state;
        let acknowledgement = state.ack.as_ref().map(|ack| AckJson {
            by: ack.by.clone(),
            comment: ack.comment.clone(),
            at: format_api_time(ack.at),
            expires_at: ack.expires_at.map(format_api_time),
            timeout_at: ack.timeout_at.map(format_api_time),
        });
        let escalation = (state.episode.is_some() || !state.followers.is_empty()).then(|| {
            let last = state.episode.as_ref().and_then(|episode| episode.last.as_ref());
            EscalationJson {
                firing_since: state.episode.as_ref().map(|episode| format_api_time(episode.since)),
                level: last.map_or(0, |last| last.level),
                round: last.map_or(0, |last| last.round + 1),
                level_receiver: last.map(|last| last.receiver.clone()),
                level_at: last.map(|last| format_api_time(last.at)),
                notified: state.followers.clone(),
                next: group.next_level.as_ref().map(|next| NextLevelJson {
                    level: next.level,
                    round: next.round + 1,
                    receiver: next.receiver.clone(),
                    at: format_api_time(next.at),
                    after: PromDuration(next.after).to_string(),
                }),
            }
        });
        GroupStateJson { acknowledgement, escalation }
    }
}

/// `GET /api/herald/groups/{id}`: one group with all its active alerts, its acknowledgement and escalation.
pub(super) async fn get_group(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let id = group_id(&id)?;
    let group = state.engine.dispatcher().group(id).await.ok_or_else(|| unknown(id))?;
    group_json(&state, group)
}

/// `POST /api/herald/groups/{id}/ack`: acknowledges the group; 200 with the group once it is stored.
pub(super) async fn post_ack(
    State(state): State<AppState>,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> Result<Json<serde_json::Value>, ApiError> {
    let id = group_id(&id)?;
    let posted: PostableAck = serde_json::from_slice(&body).map_err(|err| bad_ack(format!("body: {err}")))?;
    let by = posted.by.unwrap_or_default();
    if by.trim().is_empty() {
        return Err(bad_ack("by: who acknowledges is required"));
    }
    let now = state.engine.now();
    let expires_at = match (posted.expires_at.as_deref(), posted.duration.as_deref()) {
        (Some(_), Some(_)) => return Err(bad_ack("give either expiresAt or duration, not both")),
        (Some(text), None) => parse_time(text).map_err(|err| bad_ack(format!("expiresAt: {err}")))?,
        (None, Some(text)) => {
            let duration = PromDuration::parse(text).map_err(|err| bad_ack(format!("duration: {err}")))?.0;
            let duration = chrono::Duration::from_std(duration)
                .ok()
                .filter(|d| *d > chrono::Duration::zero())
                .ok_or_else(|| bad_ack(format!("duration: {text:?} must be a positive duration")))?;
            now.checked_add_signed(duration)
        }
        (None, None) => None,
    };
    let change = AckChange::Ack { by, comment: posted.comment.unwrap_or_default(), expires_at };
    let group = state.engine.change_ack(id, change).await.map_err(ack_error)?;
    group_json(&state, group)
}

/// `DELETE /api/herald/groups/{id}/ack`: withdraws the acknowledgement; escalation starts over.
pub(super) async fn delete_ack(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let id = group_id(&id)?;
    let group = state.engine.change_ack(id, AckChange::Unack).await.map_err(ack_error)?;
    group_json(&state, group)
}

fn group_json(state: &AppState, mut group: GroupView) -> Result<Json<serde_json::Value>, ApiError> {
    let engine = &state.engine;
    let tree = Arc::clone(&engine.runtime().tree);
    let now = engine.now();
    sort_alerts(&mut group.alerts);
    let query = AlertQuery::parse(None)?;
    let alerts = group_listing(engine, &query, &group.alerts, now, |alert| receivers_of(&tree, &alert.labels));
    let json = PagedGroup {
        id: group.id.to_string(),
        labels: &group.labels,
        receiver: &group.receiver,
        alerts,
        state: GroupStateJson::of(&group),
    };
    serde_json::to_value(&json).map(Json).map_err(|err| ApiError::Internal(format!("encoding a group: {err}")))
}

fn group_id(text: &str) -> Result<GroupId, ApiError> {
    GroupId::parse(text).ok_or_else(|| {
        ApiError::herald(
            StatusCode::BAD_REQUEST,
            "bad_group_id",
            format!("{text:?} is not a group id (16 hex digits, as GET /api/herald/groups lists them)"),
        )
    })
}

fn unknown(id: GroupId) -> ApiError {
    ApiError::herald(StatusCode::NOT_FOUND, "unknown_group", AckError::UnknownGroup(id).to_string())
}

fn bad_ack(detail: impl Into<String>) -> ApiError {
    ApiError::herald(StatusCode::BAD_REQUEST, "bad_ack", detail)
}

fn ack_error(err: AckChangeError) -> ApiError {
    match err {
        AckChangeError::Refused(AckError::UnknownGroup(id)) => unknown(id),
        AckChangeError::Refused(err @ AckError::NothingFiring(_)) => {
            ApiError::herald(StatusCode::CONFLICT, "nothing_firing", err.to_string())
        }
        AckChangeError::Refused(err @ AckError::NotAcknowledged(_)) => {
            ApiError::herald(StatusCode::CONFLICT, "not_acknowledged", err.to_string())
        }
        AckChangeError::Refused(err @ AckError::ExpiryPast(_)) => bad_ack(format!("expiresAt: {err}")),
        AckChangeError::Store(err) => ApiError::store(err),
    }
}
