//! Slack delivery against a local mock: Alertmanager's payload byte for byte, and a visible failure when no
//! URL is configured (the example config's trap).

use std::time::Duration;

use serde_json::json;

use crate::helpers::{Herald, Sink, repo_file};

const WAIT: Duration = Duration::from_secs(10);

fn three_alerts() -> serde_json::Value {
    let now = chrono::Utc::now();
    let alert = |instance: &str, description: &str| {
        json!({"labels": {"alertname": "DiskFull", "instance": instance, "severity": "critical", "team": "db"},
               "annotations": {"description": description, "summary": "Disk is full"}})
    };
    let mut resolved = alert("c", "c was full");
    resolved["startsAt"] = json!((now - chrono::Duration::hours(1)).to_rfc3339());
    resolved["endsAt"] = json!((now - chrono::Duration::seconds(1)).to_rfc3339());
    json!([alert("a", "a is full"), alert("b", "b is full"), resolved])
}

#[tokio::test]
async fn slack_messages_match_alertmanagers_byte_for_byte() {
    let sink = Sink::start().await;
    let config = format!(
        "route:
  receiver: s
  group_by: [alertname]
  group_wait: 1s
receivers:
- name: s
  slack_configs:
  - api_url: {}/slack
    send_resolved: true
    text: '{{{{ template \"opsgenie.default.description\" . }}}}'
    pretext: '{{{{ template \"pagerduty.default.instances\" .Alerts.Firing }}}}'
",
        sink.url
    );
    let herald = Herald::start(&config);
    herald.post_alerts(three_alerts()).await;
    let received = sink.wait_for(1, WAIT).await;
    assert_eq!(received.len(), 1, "{}", herald.logs());
    let expected = std::fs::read_to_string(repo_file("tests/fixtures/slack_default_am025.json")).expect("fixture");
    assert_eq!(received[0].raw, expected, "{}", herald.logs());
    assert_eq!(received[0].path, "/slack");
}

#[tokio::test]
async fn a_slack_receiver_without_a_url_fails_visibly() {
    let config = std::fs::read_to_string(repo_file("config/alertmanager.yml")).expect("shipped config");
    let herald = Herald::start(&config.replace("group_wait: 30s", "group_wait: 1s"));
    herald.post_alerts(json!([{"labels": {"alertname": "Load", "severity": "warning"}}])).await;
    let deadline = std::time::Instant::now() + WAIT;
    while !herald.logs().contains("no Slack API URL is configured") && std::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let logs = herald.logs();
    assert!(logs.contains("Notification failed.") && logs.contains("receiver=\"warnings\""), "{logs}");
    assert!(logs.contains("no Slack API URL is configured"), "{logs}");
}
