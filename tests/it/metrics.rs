//! `/metrics`: Alertmanager's metric names move as alerts arrive and notifications succeed, retry and fail,
//! Herald's own beside them, and the exposition passes `promtool check metrics`.

use std::collections::HashMap;
use std::io::Write;
use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::json;

use crate::helpers::{Herald, Sink, client, tool_available};

/// `name{labels}` → value, from the text exposition.
fn samples(text: &str) -> HashMap<String, f64> {
    text.lines()
        .filter(|line| !line.starts_with('#') && !line.is_empty())
        .filter_map(|line| {
            let (name, value) = line.rsplit_once(' ')?;
            Some((name.to_string(), value.parse().ok()?))
        })
        .collect()
}

async fn scrape(herald: &Herald) -> String {
    let response = client().get(herald.url("/metrics")).send().await.expect("sent");
    assert_eq!(response.status().as_u16(), 200);
    let content_type = response.headers().get("content-type").and_then(|v| v.to_str().ok()).map(str::to_string);
    assert_eq!(content_type.as_deref(), Some("text/plain; version=0.0.4; charset=utf-8"));
    response.text().await.expect("body")
}

#[tokio::test]
async fn counters_and_histograms_move_as_notifications_succeed_retry_and_fail() {
    let (ok, bad) = (Sink::start().await, Sink::start().await);
    ok.script.lock().expect("script").push((500, None));
    bad.script.lock().expect("script").push((400, None));
    let config = format!(
        "route:\n  receiver: a\n  group_by: [alertname]\n  group_wait: 100ms\n  group_interval: 1h\n  routes:\n  - matchers: [alertname=B]\n    receiver: b\nreceivers:\n- name: a\n  webhook_configs:\n  - url: {}/a\n- name: b\n  webhook_configs:\n  - url: {}/b\n",
        ok.url, bad.url
    );
    let herald = Herald::start(&config);
    let alerts = json!([{"labels": {"alertname": "A"}}, {"labels": {"alertname": "B"}}, {"labels": {}}]);
    let response = client().post(herald.url("/api/v2/alerts")).json(&alerts).send().await.expect("sent");
    assert_eq!(response.status().as_u16(), 400, "one invalid alert");
    ok.wait_for(2, Duration::from_secs(10)).await;
    bad.wait_for(1, Duration::from_secs(10)).await;
    // The outcomes are counted when the deliveries end: wait for the last of them.
    let mut text = String::new();
    for _ in 0..100 {
        text = scrape(&herald).await;
        if samples(&text).get("herald_notifications_delivered_total{integration=\"webhook\"}") == Some(&1.0)
            && text
                .contains("alertmanager_notifications_failed_total{integration=\"webhook\",reason=\"client_error\"} 1")
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let got = samples(&text);
    for (name, expected) in [
        ("alertmanager_alerts_received_total{status=\"firing\",version=\"v2\"}", 2.0),
        ("alertmanager_alerts_received_total{status=\"resolved\",version=\"v2\"}", 0.0),
        ("alertmanager_alerts_invalid_total{version=\"v2\"}", 1.0),
        ("alertmanager_notifications_total{integration=\"webhook\"}", 2.0),
        ("alertmanager_notification_requests_total{integration=\"webhook\"}", 3.0),
        ("alertmanager_notification_requests_failed_total{integration=\"webhook\"}", 2.0),
        ("alertmanager_notifications_failed_total{integration=\"webhook\",reason=\"client_error\"}", 1.0),
        ("herald_notifications_delivered_total{integration=\"webhook\"}", 1.0),
        ("alertmanager_notification_latency_seconds_count{integration=\"webhook\"}", 3.0),
        ("alertmanager_alerts{state=\"active\"}", 2.0),
        ("alertmanager_alerts{state=\"suppressed\"}", 0.0),
        ("alertmanager_dispatcher_aggregation_groups", 2.0),
        ("alertmanager_config_last_reload_successful", 1.0),
        ("alertmanager_cluster_enabled", 0.0),
        ("alertmanager_silences{state=\"active\"}", 0.0),
    ] {
        assert_eq!(got.get(name), Some(&expected), "{name}\n{text}");
    }
    let requests = "alertmanager_http_request_duration_seconds_count{handler=\"/api/v2/alerts\",method=\"POST\"}";
    assert_eq!(got.get(requests), Some(&1.0), "{text}");
    assert!(got.get("herald_store_commit_duration_seconds_count").is_some_and(|n| *n >= 1.0), "{text}");
    assert!(got.get("herald_store_size_bytes").is_some_and(|n| *n > 0.0), "{text}");
    assert!(got.get("alertmanager_config_hash").is_some_and(|n| *n > 0.0), "{text}");
    assert!(
        text.contains("alertmanager_build_info{branch=\"\",goversion=\"herald\",revision=\"\",version=\""),
        "{text}"
    );

    if tool_available("promtool", "prometheus") {
        let mut child = Command::new("promtool")
            .args(["check", "metrics"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("promtool runs");
        child.stdin.take().expect("stdin").write_all(text.as_bytes()).expect("written");
        let output = child.wait_with_output().expect("promtool ends");
        let report = String::from_utf8_lossy(&output.stdout).into_owned() + &String::from_utf8_lossy(&output.stderr);
        assert!(output.status.success(), "promtool check metrics:\n{report}");
    }
}

#[tokio::test]
async fn alerts_are_counted_active_or_suppressed_by_a_silence_or_an_inhibition() {
    let config = "route:\n  receiver: a\n  group_wait: 1h\nreceivers:\n- name: a\ninhibit_rules:\n- source_matchers: [alertname=Down]\n  target_matchers: [alertname=Slow]\n  equal: [host]\n";
    let herald = Herald::start(config);
    let alerts = json!([
        {"labels": {"alertname": "Slow", "host": "a"}},
        {"labels": {"alertname": "Slow", "host": "b"}},
        {"labels": {"alertname": "Noisy", "host": "c"}},
        {"labels": {"alertname": "Quiet", "host": "d"}},
    ]);
    herald.post_alerts(alerts).await;
    let counts = |text: &str| {
        let got = samples(text);
        (
            got.get("alertmanager_alerts{state=\"active\"}").copied(),
            got.get("alertmanager_alerts{state=\"suppressed\"}").copied(),
        )
    };
    assert_eq!(counts(&scrape(&herald).await), (Some(4.0), Some(0.0)), "nothing mutes yet");
    let now = chrono::Utc::now();
    let silence = json!({"matchers": [{"name": "alertname", "value": "Noisy", "isRegex": false}],
        "startsAt": now.to_rfc3339(), "endsAt": (now + chrono::Duration::hours(1)).to_rfc3339(), "createdBy": "t", "comment": "c"});
    assert_eq!(herald.post_json("/api/v2/silences", &silence).await.0, 200);
    herald.post_alerts(json!([{"labels": {"alertname": "Down", "host": "a"}}])).await;
    assert_eq!(counts(&scrape(&herald).await), (Some(3.0), Some(2.0)), "Noisy silenced, Slow on a inhibited");
}
