//! Correlation ids: `X-Correlation-ID` on a request is kept (or one is made), returned on the answer, stored
//! with the alerts the request brought, and sent with the notifications they cause.

use axum::extract::Request;
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;

use crate::labels::SharedStr;

/// The header.
pub(crate) const HEADER: &str = "x-correlation-id";

/// Longest correlation id kept; a longer one is replaced by a new id.
const MAX_LENGTH: usize = 128;

/// A request's correlation id, in its extensions.
#[derive(Debug, Clone)]
pub(crate) struct CorrelationId(pub SharedStr);

/// Keeps the caller's correlation id (printable ASCII, at most 128 characters) or makes one, for the handler
/// and on the answer.
pub(crate) async fn correlate(mut request: Request, next: Next) -> Response {
    let given = request
        .headers()
        .get(HEADER)
        .and_then(|value| value.to_str().ok())
        .map(str::trim)
        .filter(|id| !id.is_empty() && id.len() <= MAX_LENGTH && id.bytes().all(|b| b.is_ascii_graphic()))
        .map(str::to_string);
    let id = given.unwrap_or_else(|| format!("{:016x}", crate::notify::http::random_u64()));
    request.extensions_mut().insert(CorrelationId(SharedStr::from(id.as_str())));
    let mut response = next.run(request).await;
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(HEADER, value);
    }
    response
}
