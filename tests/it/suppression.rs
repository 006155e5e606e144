//! Suppression: inhibition rules and time intervals, on Alertmanager's timeline (in-process, paused clock).

use std::time::Duration;

use tokio::time::Instant;

use serde_json::{Value, json};

use crate::helpers::{Sink, alert_names, assert_near, secs};
use crate::in_process::App;

const WAIT: Duration = Duration::from_secs(10);
const TOLERANCE: f64 = 0.001;

fn inhibiting_config(sink: &Sink) -> String {
    format!(
        "route:
  receiver: hook
  group_by: [alertname]
  group_wait: 1s
  group_interval: 2s
inhibit_rules:
- source_matchers: [severity=critical]
  target_matchers: [severity=warning]
  equal: [cluster]
receivers:
- name: hook
  webhook_configs: [{{url: '{}/hook'}}]
",
        sink.url
    )
}

fn warning() -> Value {
    json!({"labels": {"alertname": "Slow", "severity": "warning", "cluster": "a"}})
}

fn critical() -> Value {
    json!({"labels": {"alertname": "Down", "severity": "critical", "cluster": "a"}})
}

#[tokio::test(start_paused = true)]
async fn an_inhibited_alert_is_not_notified_until_its_source_resolves() {
    let sink = Sink::start().await;
    let herald = App::start(&inhibiting_config(&sink)).await;
    let t0 = Instant::now();
    herald.post_alerts(json!([critical(), warning()])).await;
    herald.advance(Duration::from_secs(1)).await;
    let first = sink.wait_for(1, WAIT).await;
    assert_near(secs(t0, first[0].at), 1.0, TOLERANCE, "the source's group");
    assert_eq!(first[0].body["groupLabels"], json!({"alertname": "Down"}));

    let listed = herald.get_json("/api/v2/alerts").await;
    let slow =
        listed.as_array().expect("list").iter().find(|a| a["labels"]["alertname"] == "Slow").expect("listed").clone();
    assert_eq!(slow["status"]["state"], "suppressed");
    let source =
        listed.as_array().expect("list").iter().find(|a| a["labels"]["alertname"] == "Down").expect("listed").clone();
    assert_eq!(slow["status"]["inhibitedBy"], json!([source["fingerprint"]]));
    let visible = herald.get_json("/api/v2/alerts?inhibited=false").await;
    assert_eq!(visible.as_array().map(Vec::len), Some(1), "inhibited=false hides the inhibited alert");

    herald.advance(Duration::from_millis(400)).await;
    let mut resolved = critical();
    resolved["endsAt"] = json!(herald.now().to_rfc3339());
    herald.post_alerts(json!([resolved])).await;
    herald.advance(Duration::from_millis(1599)).await;
    assert_eq!(
        sink.received().len(),
        1,
        "the target stays inhibited until the source's group has notified its resolve"
    );
    herald.advance(Duration::from_millis(1)).await;
    let received = sink.wait_for(3, WAIT).await;
    assert_eq!(received.len(), 3);
    let later: Vec<(String, f64)> = received[1..]
        .iter()
        .map(|r| (r.body["groupLabels"]["alertname"].as_str().unwrap_or_default().to_string(), secs(t0, r.at)))
        .collect();
    for (name, at) in &later {
        // Both groups tick at 3 s: the source's resolve, and the target, no longer inhibited.
        assert_near(*at, 3.0, TOLERANCE, name);
    }
    let slow = received.iter().find(|r| r.body["groupLabels"]["alertname"] == "Slow").expect("the warning went out");
    assert_eq!(alert_names(&slow.body)[0].1, "firing");
}

fn interval_config(sink: &Sink, route_intervals: &str) -> String {
    format!(
        "route:
  receiver: hook
  group_by: [alertname]
  group_wait: 1s
  group_interval: 1s
  routes:
  - matchers: [team=night]
{route_intervals}
time_intervals:
- name: always
  time_intervals: [{{weekdays: ['sunday:saturday']}}]
- name: never
  time_intervals: [{{years: ['2000']}}]
receivers:
- name: hook
  webhook_configs: [{{url: '{}/hook'}}]
",
        sink.url
    )
}

#[tokio::test(start_paused = true)]
async fn a_route_inside_its_mute_interval_sends_nothing() {
    let sink = Sink::start().await;
    let herald = App::start(&interval_config(&sink, "    mute_time_intervals: [always]")).await;
    herald
        .post_alerts(json!([{"labels": {"alertname": "Quiet", "team": "night"}}, {"labels": {"alertname": "Loud"}}]))
        .await;
    herald.advance(Duration::from_secs(1)).await;
    let received = sink.wait_for(1, WAIT).await;
    for _ in 0..3 {
        herald.advance(Duration::from_secs(1)).await;
    }
    let received_all = sink.received();
    assert_eq!(received_all.len(), 1);
    assert_eq!(received[0].body["groupLabels"], json!({"alertname": "Loud"}), "the other route is not muted");
}

#[tokio::test(start_paused = true)]
async fn a_route_outside_its_active_interval_sends_nothing_and_inside_it_does() {
    let sink = Sink::start().await;
    let herald = App::start(&interval_config(&sink, "    active_time_intervals: [never]")).await;
    herald.post_alerts(json!([{"labels": {"alertname": "Off", "team": "night"}}])).await;
    for _ in 0..3 {
        herald.advance(Duration::from_secs(1)).await;
    }
    assert!(sink.received().is_empty());

    let active = Sink::start().await;
    let herald = App::start(&interval_config(&active, "    active_time_intervals: [always]")).await;
    herald.post_alerts(json!([{"labels": {"alertname": "On", "team": "night"}}])).await;
    herald.advance(Duration::from_secs(1)).await;
    assert_eq!(active.wait_for(1, WAIT).await.len(), 1);
}
