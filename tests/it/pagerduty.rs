//! PagerDuty delivery against a local mock: Alertmanager's Events API v2 bodies byte for byte, v1 bodies,
//! and the seed config's trap (a key template that renders empty) failing visibly.

use std::time::Duration;

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::helpers::{Herald, Sink, repo_file};

const WAIT: Duration = Duration::from_secs(10);

fn alert(instance: &str, description: &str) -> Value {
    json!({"labels": {"alertname": "DiskFull", "instance": instance, "severity": "critical", "team": "db"},
           "annotations": {"description": description, "summary": "Disk is full"}})
}

fn resolved(alert: Value) -> Value {
    crate::helpers::resolved_a_second_ago(alert)
}

#[tokio::test]
async fn events_api_v2_bodies_match_alertmanagers() {
    let sink = Sink::start().await;
    let config = format!(
        "route:
  receiver: pd
  group_by: [alertname]
  group_wait: 1s
  group_interval: 1s
receivers:
- name: pd
  pagerduty_configs:
  - routing_key: 'key-{{{{ .GroupLabels.alertname }}}}'
    url: {}/pd
    images: [{{src: 'http://img/{{{{ .Status }}}}', alt: 'a', href: ''}}]
    links: [{{href: 'http://runbook', text: 'rb'}}, {{href: '', text: 'dropped'}}]
    component: 'disk'
",
        sink.url
    );
    let herald = Herald::start(&config);
    herald.post_alerts(json!([alert("a", "a is full"), resolved(alert("c", "c was full"))])).await;
    let trigger = sink.wait_for(1, WAIT).await;
    let expected =
        std::fs::read_to_string(repo_file("tests/fixtures/pagerduty_v2_trigger_am025.json")).expect("fixture");
    assert_eq!(trigger[0].raw, expected, "{}", herald.logs());

    herald.post_alerts(json!([resolved(alert("a", "a is full"))])).await;
    let resolve = sink.wait_for(2, WAIT).await;
    let expected =
        std::fs::read_to_string(repo_file("tests/fixtures/pagerduty_v2_resolve_am025.json")).expect("fixture");
    assert_eq!(resolve.get(1).map(|r| r.raw.as_str()), Some(expected.as_str()), "{}", herald.logs());
}

#[tokio::test]
async fn events_api_v1_uses_the_service_key_and_honours_url() {
    let sink = Sink::start().await;
    let config = format!(
        "route:
  receiver: pd
  group_by: [alertname, pagerduty_key]
  group_wait: 1s
receivers:
- name: pd
  pagerduty_configs:
  - service_key: '{{{{ .GroupLabels.pagerduty_key }}}}'
    description: '{{{{ .GroupLabels.alertname }}}}'
    url: {}/v1
",
        sink.url
    );
    let herald = Herald::start(&config);
    herald.post_alerts(json!([{"labels": {"alertname": "DiskFull", "pagerduty_key": "svc-123"}}])).await;
    let received = sink.wait_for(1, WAIT).await;
    assert_eq!(received.len(), 1, "{}", herald.logs());
    let body = &received[0].body;
    assert_eq!(received[0].path, "/v1");
    assert_eq!(body["service_key"], "svc-123");
    assert_eq!(body["event_type"], "trigger");
    assert_eq!(body["description"], "DiskFull");
    assert_eq!(body["event_action"], "", "present and empty, as Alertmanager sends it");
    assert_eq!(body["payload"], Value::Null);
    assert_eq!(body["client"], "Alertmanager");
    // The dedup key is the hex SHA-256 of Alertmanager's group key.
    let group_key = "{}:{alertname=\"DiskFull\", pagerduty_key=\"svc-123\"}";
    let key: String = Sha256::digest(group_key.as_bytes()).iter().map(|byte| format!("{byte:02x}")).collect();
    assert_eq!(body["incident_key"], key.as_str());
    assert_eq!(body["details"]["num_firing"], "1");
}

#[tokio::test]
async fn a_key_template_that_renders_empty_is_a_visible_failure() {
    let sink = Sink::start().await;
    let config = format!(
        "route:
  receiver: pd
  group_by: [alertname]
  group_wait: 1s
receivers:
- name: pd
  pagerduty_configs:
  - service_key: '{{{{ .GroupLabels.pagerduty_key }}}}'
    url: {}/v1
",
        sink.url
    );
    let herald = Herald::start(&config);
    herald.post_alerts(json!([{"labels": {"alertname": "DiskFull", "pagerduty_key": "svc-123"}}])).await;
    herald.wait_for_log("service key cannot be empty", WAIT).await;
    assert!(herald.logs().contains("service key cannot be empty"), "{}", herald.logs());
    assert!(sink.received().is_empty(), "nothing is sent with an empty key");
}
