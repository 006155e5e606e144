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
    /// `disabled` for a single Herald; with replicas on Postgres, this one's name and the live replicas.
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
    /// This replica's identity, `name#start` (absent for a single Herald, as in Alertmanager without
    /// gossip).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// `ready` with replicas, `disabled` without.
    pub status: &'static str,
    /// The live replicas, this one included.
    pub peers: Vec<PeerStatus>,
}

/// `peerStatus`, with when the replica started and last renewed its leases.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct PeerStatus {
    /// Its identity (`name#start`: a restarted replica is a new peer).
    pub name: String,
    /// Its external URL.
    pub address: String,
    /// When it started.
    pub started_at: String,
    /// Its last heartbeat.
    pub heartbeat_at: String,
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
        cluster: match state.engine.cluster() {
            None => ClusterStatus { name: None, status: "disabled", peers: Vec::new() },
            Some(cluster) => ClusterStatus {
                name: Some(cluster.name().to_string()),
                status: "ready",
                peers: cluster
                    .peers()
                    .into_iter()
                    .map(|peer| PeerStatus {
                        name: peer.id,
                        address: peer.address,
                        started_at: format_api_time(peer.started_at),
                        heartbeat_at: format_api_time(peer.heartbeat_at),
                    })
                    .collect(),
            },
        },
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
