//! Trace export: with `OTEL_EXPORTER_OTLP_ENDPOINT` set, Herald's request, flush and notification spans reach
//! a local collector stand-in over OTLP/HTTP, in the caller's trace, each the parent of the next, and the
//! receiver is handed the notification span as its parent.

use std::time::Duration;

use serde_json::{Value, json};

use crate::helpers::{FAST, Herald, Sink, alert, config, stderr};

const WAIT: Duration = Duration::from_secs(10);

/// Every span the collector received, across requests.
fn spans(collector: &Sink) -> Vec<Value> {
    let mut spans = Vec::new();
    for request in collector.received() {
        for resource in request.body["resourceSpans"].as_array().into_iter().flatten() {
            for scope in resource["scopeSpans"].as_array().into_iter().flatten() {
                spans.extend(scope["spans"].as_array().into_iter().flatten().cloned());
            }
        }
    }
    spans
}

/// The first span called `name`.
fn span<'a>(spans: &'a [Value], name: &str) -> &'a Value {
    spans.iter().find(|span| span["name"] == name).unwrap_or_else(|| panic!("no {name} span in {spans:#?}"))
}

/// The string value of attribute `key` of an OTLP JSON span or resource.
fn attribute<'a>(item: &'a Value, key: &str) -> Option<&'a str> {
    item["attributes"].as_array()?.iter().find(|kv| kv["key"] == key)?["value"]["stringValue"].as_str()
}

#[tokio::test]
async fn spans_of_an_alert_are_exported_in_the_callers_trace() {
    let (collector, receiver) = (Sink::start().await, Sink::start().await);
    let herald = Herald::start_with(
        &config(&receiver, FAST),
        &[],
        &[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", &collector.url),
            ("OTEL_EXPORTER_OTLP_PROTOCOL", "http/json"),
            ("OTEL_BSP_SCHEDULE_DELAY", "100"),
        ],
    );
    let (trace, caller_span) = ("4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7");
    let answer = crate::helpers::client()
        .post(herald.url("/api/v2/alerts"))
        .header("traceparent", format!("00-{trace}-{caller_span}-01"))
        .header("x-correlation-id", "rollout-7")
        .json(&json!([alert("Exported", "x")]))
        .send()
        .await
        .expect("sent");
    assert_eq!(answer.status().as_u16(), 200);

    let notified = receiver.wait_for(1, WAIT).await;
    assert_eq!(notified.len(), 1, "the webhook is notified once");
    let traceparent = notified[0].headers["traceparent"].to_str().expect("ASCII").to_string();
    let parts: Vec<&str> = traceparent.split('-').collect();
    assert_eq!((parts[0], parts[1], parts[3]), ("00", trace, "01"), "{traceparent}");

    let deadline = tokio::time::Instant::now() + WAIT;
    let mut exported = spans(&collector);
    while !["request", "flush", "notification"].iter().all(|name| exported.iter().any(|span| span["name"] == *name))
        && tokio::time::Instant::now() < deadline
    {
        tokio::time::sleep(Duration::from_millis(50)).await;
        exported = spans(&collector);
    }
    let first = &collector.received()[0];
    assert_eq!(first.method, "POST");
    assert_eq!(first.path, "/v1/traces");
    assert_eq!(first.headers["content-type"], "application/json");
    let resource = &first.body["resourceSpans"][0]["resource"];
    assert_eq!(attribute(resource, "service.name"), Some("herald"), "{resource}");

    let request = exported
        .iter()
        .find(|span| span["name"] == "request" && attribute(span, "path") == Some("/api/v2/alerts"))
        .unwrap_or_else(|| panic!("no request span for the post in {exported:#?}"));
    let (flush, notification) = (span(&exported, "flush"), span(&exported, "notification"));
    assert_eq!(request["traceId"], trace, "the caller's trace continues");
    assert_eq!(request["parentSpanId"], caller_span, "under the caller's span");
    assert_eq!(attribute(request, "correlation_id"), Some("rollout-7"));
    assert_eq!(flush["traceId"], trace);
    assert_eq!(flush["parentSpanId"], request["spanId"], "the flush follows the request that brought the alert");
    assert_eq!(notification["traceId"], trace);
    assert_eq!(notification["parentSpanId"], flush["spanId"]);
    assert_eq!(attribute(notification, "receiver"), Some("hook"));
    assert_eq!(notification["spanId"], parts[2], "the receiver continues under the notification span");
    drop(herald);
}

#[test]
fn a_grpc_exporter_is_refused_by_name() {
    let folder = tempfile::tempdir().expect("temp dir");
    let config = folder.path().join("config.yml");
    std::fs::write(&config, "route:\n  receiver: x\nreceivers:\n- name: x\n").expect("written");
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_herald"))
        .arg(format!("--config.file={}", config.display()))
        .arg(format!("--storage.path={}", folder.path().join("data").display()))
        .arg("--web.listen-address=127.0.0.1:0")
        .env("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:4317")
        .env("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc")
        .output()
        .expect("herald runs");
    assert!(!output.status.success());
    let said = stderr(&output);
    assert!(said.contains("OTEL_EXPORTER_OTLP_PROTOCOL=\"grpc\"") && said.contains("http/protobuf"), "{said}");
}
