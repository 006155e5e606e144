//! The HTTP API: Alertmanager's `/api/v2` endpoints (same shapes, same status codes) and the `/-/` endpoints.

mod acks;
mod alerts;
mod auth;
mod config;
mod config_check;
mod correlation;
mod error;
mod filter;
mod groups;
mod json_writer;
mod metrics;
mod notifications;
mod pages;
mod pprof;
mod preview;
mod routes;
mod server;
mod silences;
mod status;
mod teams;
mod ui;

use std::sync::Arc;

use axum::Router;
use axum::extract::{DefaultBodyLimit, OriginalUri, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, post};

pub(crate) use auth::ApiTokens;
pub(crate) use correlation::{derived_correlation_id, split_trace_context};

/// A new W3C span id (16 hex digits), for the notifications that continue an alert's trace.
pub(crate) fn new_span_id() -> String {
    correlation::new_id(16)
}
pub(crate) use error::ApiError;
pub(crate) use server::serve;

use crate::engine::Engine;

/// Every route Herald serves, as `(method, path)` with `{param}` placeholders; `openapi.yaml` documents
/// exactly these (checked by a test).
pub const ROUTES: [(&str, &str); 35] = [
    ("GET", "/api/v2/alerts"),
    ("POST", "/api/v2/alerts"),
    ("GET", "/api/v2/alerts/groups"),
    ("GET", "/api/v2/status"),
    ("GET", "/api/v2/receivers"),
    ("GET", "/api/v2/silences"),
    ("POST", "/api/v2/silences"),
    ("GET", "/api/v2/silence/{silenceID}"),
    ("DELETE", "/api/v2/silence/{silenceID}"),
    ("POST", "/api/herald/receivers/{name}/preview"),
    ("GET", "/api/herald/alerts"),
    ("GET", "/api/herald/groups"),
    ("GET", "/api/herald/groups/{id}"),
    ("POST", "/api/herald/groups/{id}/ack"),
    ("DELETE", "/api/herald/groups/{id}/ack"),
    ("GET", "/api/herald/config"),
    ("PUT", "/api/herald/config"),
    ("GET", "/api/herald/config/versions"),
    ("GET", "/api/herald/config/versions/{number}"),
    ("POST", "/api/herald/config/versions/{number}/rollback"),
    ("GET", "/api/herald/config/diff"),
    ("POST", "/api/herald/config/check"),
    ("GET", "/api/herald/config/teams"),
    ("GET", "/api/herald/config/teams/{team}"),
    ("PUT", "/api/herald/config/teams/{team}"),
    ("POST", "/api/herald/config/teams/{team}/versions/{number}/rollback"),
    ("GET", "/api/herald/routes"),
    ("POST", "/api/herald/routes/test"),
    ("GET", "/api/herald/notifications"),
    ("GET", "/metrics"),
    ("GET", "/debug/pprof/profile"),
    ("GET", "/-/healthy"),
    ("GET", "/-/ready"),
    ("POST", "/-/reload"),
    ("HEAD", "/-/healthy"),
];

/// Largest accepted request body by default (`--web.max-request-bytes`).
pub const MAX_BODY_BYTES: usize = 32 * 1024 * 1024;

/// Bounds on what a request may carry (the `--web.max-request-bytes` and `--alerts.max-*` flags).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    /// Largest request body, in bytes.
    pub body_bytes: usize,
    /// Bounds on posted alerts.
    pub ingest: crate::alert::IngestLimits,
}

/// What every handler can reach.
#[derive(Clone)]
pub(crate) struct AppState {
    /// Bounds on what a request may carry.
    pub limits: Limits,
    /// The running engine.
    pub engine: Arc<Engine>,
    /// The API tokens, if any.
    pub tokens: ApiTokens,
    /// Where the database is (its size is a metric).
    pub data_dir: std::path::PathBuf,
    /// Whether `/debug/pprof/profile` serves CPU profiles (`--web.enable-pprof`).
    pub profiling: bool,
}

/// All routes.
pub(crate) fn router(state: AppState) -> Router {
    let api = Router::new()
        .route("/alerts", post(alerts::post_alerts).get(alerts::get_alerts))
        .route("/alerts/groups", get(groups::get_groups))
        .route("/status", get(status::get_status))
        .route("/receivers", get(status::get_receivers))
        .route("/silences", get(silences::get_silences).post(silences::post_silence))
        .route("/silence/{id}", get(silences::get_silence).delete(silences::delete_silence))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed);
    Router::new()
        .nest("/api/v2", api)
        .route("/-/healthy", get(healthy).head(healthy))
        .route("/-/ready", get(ready).head(ready))
        .route("/-/reload", post(reload))
        .route("/", get(ui::index))
        .route("/ui/app.js", get(ui::script))
        .route("/ui/app.css", get(ui::style))
        .route("/metrics", get(metrics::get_metrics))
        .route("/debug/pprof/profile", get(pprof::get_profile))
        .route("/api/herald/notifications", get(notifications::get_notifications))
        .route("/api/herald/receivers/{name}/preview", post(preview::preview_receiver))
        .route("/api/herald/alerts", get(pages::get_alert_page))
        .route("/api/herald/groups", get(pages::get_group_page))
        .route("/api/herald/groups/{id}", get(acks::get_group))
        .route("/api/herald/groups/{id}/ack", post(acks::post_ack).delete(acks::delete_ack))
        .route("/api/herald/config", get(config::get_config).put(config::put_config))
        .route("/api/herald/config/versions", get(config::get_versions))
        .route("/api/herald/config/versions/{number}", get(config::get_version))
        .route("/api/herald/config/versions/{number}/rollback", post(config::post_rollback))
        .route("/api/herald/config/diff", get(config::get_diff))
        .route("/api/herald/config/check", post(config_check::post_check))
        .route("/api/herald/config/teams", get(teams::get_teams))
        .route("/api/herald/config/teams/{team}", get(teams::get_team).put(teams::put_team))
        .route("/api/herald/config/teams/{team}/versions/{number}/rollback", post(teams::post_team_rollback))
        .route("/api/herald/routes", get(routes::get_routes))
        .route("/api/herald/routes/test", post(config_check::post_route_test))
        .route_layer(axum::middleware::from_fn(metrics::observe_duration))
        .layer(DefaultBodyLimit::max(state.limits.body_bytes))
        .layer(axum::middleware::from_fn_with_state(state.tokens.clone(), auth::require_token))
        .layer(axum::middleware::from_fn(request_deadline))
        .layer(axum::middleware::from_fn(correlation::correlate))
        .with_state(state)
}

/// Longest a request may take, its body included (a client that sends its body slowly cannot hold a
/// connection and a worker), well above what any of Herald's answers takes.
const REQUEST_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(60);

/// Answers 408 to a request not done within [`REQUEST_TIMEOUT`].
async fn request_deadline(request: axum::extract::Request, next: axum::middleware::Next) -> axum::response::Response {
    let path = request.uri().path().to_string();
    // A profile takes as long as it was asked to (bounded by its handler).
    let limit = if path.ends_with("/debug/pprof/profile") {
        REQUEST_TIMEOUT + std::time::Duration::from_secs(pprof::MAX_SECONDS)
    } else {
        REQUEST_TIMEOUT
    };
    match tokio::time::timeout(limit, next.run(request)).await {
        Ok(response) => response,
        Err(_) => ApiError::schema(
            StatusCode::REQUEST_TIMEOUT,
            format!("the request to {path} was not completed within {} s", REQUEST_TIMEOUT.as_secs()),
        )
        .into_response(),
    }
}

/// All routes under `prefix` (`/` or `/a/b`), as `--web.route-prefix` asks; `/` then redirects to the
/// prefix, as in Alertmanager.
pub(crate) fn router_at(prefix: &str, state: AppState) -> Router {
    if prefix == "/" {
        return router(state);
    }
    let target = prefix.to_string();
    Router::new()
        .route("/", get(move || async move { (StatusCode::FOUND, [(axum::http::header::LOCATION, target)]) }))
        // The UI's page at the prefix with its trailing slash, which the nested routes do not match.
        .route(&format!("{prefix}/"), get(ui::index))
        .nest(prefix, router(state))
        .fallback(not_found)
}

/// `/-/healthy`: the process and the loops it needs (dispatcher, store writer) are alive; 503 with the
/// reason otherwise, so that an orchestrator restarts it.
async fn healthy(State(state): State<AppState>) -> (StatusCode, String) {
    match state.engine.alive() {
        Ok(()) => (StatusCode::OK, "OK".to_string()),
        Err(reason) => (StatusCode::SERVICE_UNAVAILABLE, format!("not healthy: {reason}\n")),
    }
}

/// `/-/ready`: the config is loaded (it is, once Herald serves) and the store takes writes; 503 with the
/// reason otherwise, so that a load balancer sends alerts to another replica meanwhile.
async fn ready(State(state): State<AppState>) -> (StatusCode, String) {
    match state.engine.store_problem() {
        None => (StatusCode::OK, "OK".to_string()),
        Some(reason) => (StatusCode::SERVICE_UNAVAILABLE, format!("not ready: {reason}\n")),
    }
}

async fn not_found(OriginalUri(uri): OriginalUri) -> ApiError {
    ApiError::schema(StatusCode::NOT_FOUND, format!("path {} was not found", uri.path()))
}

async fn method_not_allowed(method: axum::http::Method, OriginalUri(uri): OriginalUri) -> ApiError {
    ApiError::schema(StatusCode::METHOD_NOT_ALLOWED, format!("method {method} is not allowed on {}", uri.path()))
}

/// `POST /-/reload`: 200 when the new config is in force; 500 with the reason when it does not load (the
/// running config stays), as Alertmanager answers.
async fn reload(State(state): State<AppState>) -> impl IntoResponse {
    match state.engine.reload().await {
        Ok(()) => (StatusCode::OK, String::new()),
        Err(err) => {
            tracing::error!(error = %err, "Reload failed; the running configuration stays in force.");
            (StatusCode::INTERNAL_SERVER_ERROR, format!("failed to reload config: {err}\n"))
        }
    }
}
