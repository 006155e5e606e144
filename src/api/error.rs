//! Errors at the HTTP edge, in Alertmanager's shapes: `{"code":N,"message":"..."}` for what its OpenAPI
//! layer rejects, a bare JSON string for what its handlers reject.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// An error answer.
#[derive(Debug)]
pub(crate) enum ApiError {
    /// Schema-level rejection: `{"code": code, "message": message}` with HTTP `status`.
    Schema {
        /// HTTP status.
        status: StatusCode,
        /// The `code` field (Alertmanager uses the HTTP status, or 6xx for validation).
        code: u16,
        /// What and where.
        message: String,
    },
    /// Handler-level rejection: a JSON string body.
    Handler {
        /// HTTP status.
        status: StatusCode,
        /// What and where.
        message: String,
    },
    /// An error on Herald's own endpoints: `{"code": code, "detail": detail}`.
    Herald {
        /// HTTP status.
        status: StatusCode,
        /// A stable, machine-readable code.
        code: &'static str,
        /// What and where, for a person.
        detail: String,
    },
    /// The store cannot take the write now (full queue, failing or stalled store): 503 with `Retry-After`,
    /// so that the client (Prometheus) sends again. Nothing of the request was kept.
    Unavailable(String),
    /// Something failed on Herald's side; the cause is logged, the client gets a generic message.
    Internal(String),
}

/// Seconds a client is asked to wait before sending again after a 503.
const RETRY_AFTER_SECONDS: u64 = 5;

impl ApiError {
    /// 400 with a bare JSON string, as Alertmanager's handlers answer bad input.
    pub(crate) fn bad_request(message: impl Into<String>) -> Self {
        ApiError::Handler { status: StatusCode::BAD_REQUEST, message: message.into() }
    }

    /// An error on one of Herald's own endpoints.
    pub(crate) fn herald(status: StatusCode, code: &'static str, detail: impl Into<String>) -> Self {
        ApiError::Herald { status, code, detail: detail.into() }
    }

    /// The answer to a write the store did not take.
    pub(crate) fn store(err: crate::store::Error) -> Self {
        match err {
            crate::store::Error::Conflict(reason) => ApiError::herald(StatusCode::CONFLICT, "conflict", reason),
            other => ApiError::Unavailable(other.to_string()),
        }
    }

    /// A schema error with the HTTP status as its code.
    pub(crate) fn schema(status: StatusCode, message: impl Into<String>) -> Self {
        ApiError::Schema { status, code: status.as_u16(), message: message.into() }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        match self {
            ApiError::Schema { status, code, message } => {
                (status, Json(json!({"code": code, "message": message}))).into_response()
            }
            ApiError::Handler { status, message } => (status, Json(message)).into_response(),
            ApiError::Herald { status, code, detail } if status.is_server_error() => {
                let id = error_id();
                tracing::error!(error_id = %id, code, error = %detail, "Request failed.");
                let body = Json(json!({"code": code, "detail": detail, "errorId": id}));
                with_error_id((status, body).into_response(), &id)
            }
            ApiError::Herald { status, code, detail } => {
                (status, Json(json!({"code": code, "detail": detail}))).into_response()
            }
            ApiError::Unavailable(cause) => {
                let id = error_id();
                tracing::warn!(error_id = %id, error = %cause, "Request refused: the store cannot take writes now.");
                let message = format!("service unavailable: {cause}; nothing was stored, send again (error id {id})");
                let retry_after = [(axum::http::header::RETRY_AFTER, RETRY_AFTER_SECONDS.to_string())];
                with_error_id((StatusCode::SERVICE_UNAVAILABLE, retry_after, Json(message)).into_response(), &id)
            }
            ApiError::Internal(cause) => {
                let id = error_id();
                tracing::error!(error_id = %id, error = %cause, "Request failed.");
                let message = format!(
                    "internal error: the request was not completed; Herald's log has the cause under error id {id}"
                );
                with_error_id((StatusCode::INTERNAL_SERVER_ERROR, Json(message)).into_response(), &id)
            }
        }
    }
}

/// A new error id: 16 hex digits, in the answer and in the log line holding the cause, so that a user's
/// report leads straight to it.
fn error_id() -> String {
    format!("{:016x}", crate::notify::http::random_u64())
}

/// Adds `X-Error-Id` to a 5xx answer.
fn with_error_id(mut response: Response, id: &str) -> Response {
    if let Ok(value) = axum::http::HeaderValue::from_str(id) {
        response.headers_mut().insert("x-error-id", value);
    }
    response
}
