//! Trace export over OTLP/HTTP, switched on by the standard `OTEL_EXPORTER_OTLP_ENDPOINT` (or
//! `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`) and off by default. The OpenTelemetry SDK reads the rest of the
//! standard variables itself: `OTEL_EXPORTER_OTLP_PROTOCOL` (`http/protobuf`, the default, or `http/json`),
//! `OTEL_EXPORTER_OTLP_HEADERS`, `OTEL_EXPORTER_OTLP_TIMEOUT`, `OTEL_SERVICE_NAME`, `OTEL_RESOURCE_ATTRIBUTES`
//! and the batch processor's `OTEL_BSP_*`.
//!
//! Only Herald's own spans are exported (a request, a flush of a group, a notification attempt), each with
//! the log lines written inside it as span events.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, Ordering};

use opentelemetry::trace::{SpanContext, SpanId, TraceContextExt, TraceFlags, TraceId, TraceState, TracerProvider};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::trace::SdkTracerProvider;
use tracing::Subscriber;
use tracing_opentelemetry::OpenTelemetrySpanExt;
use tracing_subscriber::Layer;
use tracing_subscriber::filter::Targets;
use tracing_subscriber::registry::LookupSpan;

/// Whether spans are exported: checked before any work done only for the exporter.
static ENABLED: AtomicBool = AtomicBool::new(false);

/// The provider, kept to flush what is queued when Herald stops.
static PROVIDER: OnceLock<SdkTracerProvider> = OnceLock::new();

/// Whether the environment asks for trace export.
fn wanted() -> bool {
    let set = |name: &str| std::env::var(name).is_ok_and(|value| !value.trim().is_empty());
    let disabled = std::env::var("OTEL_SDK_DISABLED").is_ok_and(|value| value.trim().eq_ignore_ascii_case("true"))
        || std::env::var("OTEL_TRACES_EXPORTER").is_ok_and(|value| value.trim().eq_ignore_ascii_case("none"));
    !disabled && (set("OTEL_EXPORTER_OTLP_ENDPOINT") || set("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"))
}

/// The exporting layer when the environment asks for one; an error names the variable that is wrong (gRPC,
/// which needs a gRPC stack Herald does not carry, is refused by name).
pub(super) fn layer<S>() -> Result<Option<impl Layer<S>>, String>
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    if !wanted() {
        return Ok(None);
    }
    for name in ["OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "OTEL_EXPORTER_OTLP_PROTOCOL"] {
        if let Ok(value) = std::env::var(name) {
            let value = value.trim();
            if !value.is_empty() && value != "http/protobuf" && value != "http/json" {
                return Err(format!(
                    "{name}={value:?}: Herald exports traces over HTTP only; use http/protobuf (port 4318) or http/json"
                ));
            }
            if !value.is_empty() {
                break;
            }
        }
    }
    crate::notify::http::install_tls_provider();
    let exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .build()
        .map_err(|err| format!("the OTLP trace exporter: {err}"))?;
    let mut resource =
        Resource::builder().with_attribute(opentelemetry::KeyValue::new("service.version", env!("CARGO_PKG_VERSION")));
    if std::env::var("OTEL_SERVICE_NAME").is_err() {
        resource = resource.with_service_name("herald");
    }
    let provider = SdkTracerProvider::builder().with_batch_exporter(exporter).with_resource(resource.build()).build();
    let tracer = provider.tracer("herald");
    let _ = PROVIDER.set(provider);
    ENABLED.store(true, Ordering::Relaxed);
    // Herald's spans only: not those of the HTTP libraries, and not the exporter's own requests.
    let targets = Targets::new().with_target("herald", tracing::Level::INFO);
    Ok(Some(tracing_opentelemetry::layer().with_tracer(tracer).with_filter(targets)))
}

/// Sends what is queued and stops the exporter (at most a few seconds).
pub(crate) fn shutdown() {
    if let Some(provider) = PROVIDER.get()
        && let Err(err) = provider.shutdown_with_timeout(std::time::Duration::from_secs(5))
    {
        eprintln!("herald: exporting the last traces: {err}");
    }
}

/// Whether spans are exported.
pub(crate) fn enabled() -> bool {
    ENABLED.load(Ordering::Relaxed)
}

/// Makes `span` a child of the span `parent` (16 hex digits) of trace `trace` (32 hex digits), kept with
/// alerts or given by a caller's `traceparent`; a span already started, or ids that do not parse, are left.
pub(crate) fn continue_trace(span: &tracing::Span, trace: &str, parent: &str) {
    if !enabled() {
        return;
    }
    let (Ok(trace), Ok(parent)) = (TraceId::from_hex(trace), SpanId::from_hex(parent)) else { return };
    let remote = SpanContext::new(trace, parent, TraceFlags::SAMPLED, true, TraceState::default());
    if remote.is_valid() {
        let _ = span.set_parent(opentelemetry::Context::new().with_remote_span_context(remote));
    }
}

/// The trace id and span id (hex) `span` is exported with, when spans are exported.
pub(crate) fn ids(span: &tracing::Span) -> Option<(String, String)> {
    if !enabled() {
        return None;
    }
    let context = span.context();
    let span_context = context.span().span_context().clone();
    span_context.is_valid().then(|| (span_context.trace_id().to_string(), span_context.span_id().to_string()))
}
