//! `GET /api/v2/status` and `GET /api/v2/receivers`.

use axum::Json;
use axum::extract::State;
use serde::Serialize;

use super::AppState;
use super::alerts::ReceiverName;
use crate::alert::format_api_time;

/// Alertmanager's `alertmanagerStatus`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Status {
    /// Always `disabled`: Herald runs without gossip clustering.
    pub cluster: ClusterStatus,
    /// Version of Herald.
    pub version_info: VersionInfo,
    /// The config in force.
    pub config: ConfigStatus,
    /// When Herald started.
    pub uptime: String,
}

/// `clusterStatus`.
#[derive(Debug, Serialize)]
pub(super) struct ClusterStatus {
    /// `disabled`.
    pub status: &'static str,
    /// No peers.
    pub peers: Vec<()>,
}

/// `versionInfo`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct VersionInfo {
    /// Herald's version.
    pub version: &'static str,
    /// Source revision.
    pub revision: &'static str,
    /// Source branch.
    pub branch: &'static str,
    /// Who built it.
    pub build_user: &'static str,
    /// When it was built.
    pub build_date: &'static str,
    /// The compiler (Alertmanager reports its Go version here).
    pub go_version: &'static str,
}

/// `alertmanagerConfig`.
#[derive(Debug, Serialize)]
pub(super) struct ConfigStatus {
    /// The config as YAML, secrets redacted.
    pub original: String,
}

/// `GET /api/v2/status`.
pub(super) async fn get_status(State(state): State<AppState>) -> Json<Status> {
    let runtime = state.engine.runtime();
    Json(Status {
        cluster: ClusterStatus { status: "disabled", peers: Vec::new() },
        version_info: VersionInfo {
            version: env!("CARGO_PKG_VERSION"),
            revision: "",
            branch: "",
            build_user: "",
            build_date: "",
            go_version: "rust",
        },
        config: ConfigStatus { original: runtime.config.to_display_yaml() },
        uptime: format_api_time(state.engine.started_at()),
    })
}

/// `GET /api/v2/receivers`: every receiver, in config order.
pub(super) async fn get_receivers(State(state): State<AppState>) -> Json<Vec<ReceiverName>> {
    let runtime = state.engine.runtime();
    Json(runtime.config.receivers.iter().map(|r| ReceiverName { name: r.name.clone() }).collect())
}
