//! Correlation ids and trace context: `X-Correlation-ID` on a request is kept (or one is made) and returned on
//! the answer; the W3C `traceparent` is continued (or a trace begins). Both are stored with the alerts the
//! request brought and sent with the notifications they cause, and the request runs in a span carrying them
//! (exported over OTLP as a child of the caller's span when export is on).

use axum::extract::Request;
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;
use tracing::Instrument;

use crate::labels::SharedStr;
use crate::telemetry::otlp;

/// The header.
pub(crate) const HEADER: &str = "x-correlation-id";

/// Longest correlation id kept; a longer one is replaced by a new id.
const MAX_LENGTH: usize = 128;

/// A request's correlation id, in its extensions.
#[derive(Debug, Clone)]
pub(crate) struct CorrelationId(pub SharedStr);

/// A request's trace context, in its extensions: `<trace id>-<span id>` (32 and 16 hex digits) when spans are
/// exported (the span is the request's own, which what the request causes later continues), else the trace
/// id alone. The trace is the caller's (from `traceparent`) or a new one.
#[derive(Debug, Clone)]
pub(crate) struct TraceContext(pub SharedStr);

/// The trace id and the parent (span) id of a valid W3C `traceparent` (`00-<32 hex>-<16 hex>-<2 hex>`,
/// neither id all zeros).
fn caller_trace(value: &str) -> Option<(&str, &str)> {
    let mut parts = value.trim().split('-');
    let (version, trace, parent, flags) = (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    let hex = |text: &str, len: usize| {
        text.len() == len && text.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    };
    let zero = |text: &str| text.bytes().all(|b| b == b'0');
    let valid = hex(version, 2)
        && version != "ff"
        && (version != "00" || parts.next().is_none())
        && hex(trace, 32)
        && !zero(trace)
        && hex(parent, 16)
        && !zero(parent)
        && hex(flags, 2);
    valid.then_some((trace, parent))
}

/// The trace id and span id of a stored trace context (`<trace>-<span>`, or a lone trace id as versions
/// before 0.2 stored).
pub(crate) fn split_trace_context(context: &str) -> Option<(&str, Option<&str>)> {
    match context.split_once('-') {
        _ if context.is_empty() => None,
        Some((trace, span)) => Some((trace, Some(span))),
        None => Some((context, None)),
    }
}

/// The correlation id Herald makes for a request with trace context `context`: its trace id's first 16 hex
/// digits.
pub(crate) fn derived_correlation_id(context: &str) -> &str {
    context.get(..16).unwrap_or(context)
}

/// A new id of `digits` hex digits (16 or 32).
pub(crate) fn new_id(digits: usize) -> String {
    let random = || format!("{:016x}", crate::notify::http::random_u64());
    if digits == 32 { random() + &random() } else { random() }
}

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
    let caller = request.headers().get("traceparent").and_then(|value| value.to_str().ok()).and_then(caller_trace);
    let span = if crate::telemetry::spans_wanted() {
        tracing::info_span!("request", method = %request.method(), path = %request.uri().path(), correlation_id = tracing::field::Empty, trace_id = tracing::field::Empty)
    } else {
        tracing::Span::none()
    };
    if let Some((trace, parent)) = caller {
        otlp::continue_trace(&span, trace, parent);
    }
    // The span kept for what the alerts cause later is the request's own, when it is exported; otherwise no
    // span outlives the request and only the trace id is kept.
    let context = match (otlp::ids(&span), caller) {
        (Some((trace, own_span)), _) => format!("{trace}-{own_span}"),
        (None, Some((trace, _))) => trace.to_string(),
        (None, None) => new_id(32),
    };
    // A made correlation id is the trace id's first half, so that a stored alert needs to keep only one.
    let id = given.unwrap_or_else(|| derived_correlation_id(&context).to_string());
    span.record("correlation_id", id.as_str());
    span.record("trace_id", &context[..context.len().min(32)]);
    request.extensions_mut().insert(CorrelationId(SharedStr::from(id.as_str())));
    request.extensions_mut().insert(TraceContext(SharedStr::from(context.as_str())));
    let mut response = next.run(request).instrument(span).await;
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(HEADER, value);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_well_formed_traceparent_continues_the_callers_trace() {
        let trace = "0af7651916cd43dd8448eb211c80319c";
        let parent = "b7ad6b7169203331";
        assert_eq!(caller_trace(&format!("00-{trace}-{parent}-01")), Some((trace, parent)));
        assert_eq!(
            caller_trace(&format!("01-{trace}-{parent}-01-more")),
            Some((trace, parent)),
            "later versions may add fields"
        );
        for bad in [
            format!("00-{trace}-b7ad6b7169203331-01-more"),
            format!("ff-{trace}-b7ad6b7169203331-01"),
            "00-00000000000000000000000000000000-b7ad6b7169203331-01".to_string(),
            format!("00-{trace}-0000000000000000-01"),
            format!("00-{}-b7ad6b7169203331-01", trace.to_uppercase()),
            "00-abc-def-01".to_string(),
            String::new(),
        ] {
            assert_eq!(caller_trace(&bad), None, "{bad}");
        }
        assert_eq!(new_id(32).len(), 32);
        assert_eq!(split_trace_context(&format!("{trace}-{parent}")), Some((trace, Some(parent))));
        assert_eq!(split_trace_context(trace), Some((trace, None)), "as stored before spans were kept");
        assert_eq!(split_trace_context(""), None);
    }
}
