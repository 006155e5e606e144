//! Slack delivery against a local mock: Alertmanager's payload byte for byte, and a visible failure when no
//! URL is configured (the example config's trap).

use std::time::Duration;

use serde_json::json;

use crate::helpers::{Herald, Sink, repo_file};
use crate::in_process::App;

const WAIT: Duration = Duration::from_secs(10);

fn three_alerts() -> serde_json::Value {
    let alert = |instance: &str, description: &str| {
        json!({"labels": {"alertname": "DiskFull", "instance": instance, "severity": "critical", "team": "db"},
               "annotations": {"description": description, "summary": "Disk is full"}})
    };
    let resolved = crate::helpers::resolved_a_second_ago(alert("c", "c was full"));
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
    herald.wait_for_log("no Slack API URL is configured", WAIT).await;
    let logs = herald.logs();
    assert!(logs.contains("Notification failed.") && logs.contains("receiver=warnings"), "{logs}");
    assert!(logs.contains("no Slack API URL is configured"), "{logs}");
}

fn slack_config(sink: &Sink) -> String {
    format!(
        "route:\n  receiver: s\n  group_by: [alertname]\n  group_wait: 1s\n  group_interval: 1s\nreceivers:\n- name: s\n  slack_configs:\n  - api_url: {}/slack\n    channel: '#ops'\n",
        sink.url
    )
}

#[tokio::test(start_paused = true)]
async fn a_429_is_retried_after_the_time_slack_asks_for() {
    let sink = Sink::start().await;
    sink.script.lock().expect("script").push((429, Some(2)));
    let herald = App::start(&slack_config(&sink)).await;
    herald.post_alerts(json!([{"labels": {"alertname": "Busy"}}])).await;
    herald.advance(Duration::from_secs(1)).await;
    sink.wait_for(1, WAIT).await;
    herald.advance(Duration::from_millis(1999)).await;
    assert_eq!(sink.received().len(), 1, "Retry-After: 2 holds the retry");
    herald.advance(Duration::from_millis(1)).await;
    let received = sink.wait_for(2, WAIT).await;
    assert_eq!(received.len(), 2);
    assert_eq!(received[1].at - received[0].at, Duration::from_secs(2), "retried as soon as Slack allows");
    assert_eq!(received[0].raw, received[1].raw);
    for _ in 0..3 {
        herald.advance(Duration::from_secs(1)).await;
    }
    assert_eq!(sink.received().len(), 2, "sent once it succeeded, not again");
}

#[tokio::test]
async fn a_500_is_retried_and_a_400_is_not() {
    let sink = Sink::start().await;
    sink.script.lock().expect("script").push((500, None));
    let herald = Herald::start(&slack_config(&sink));
    herald.post_alerts(json!([{"labels": {"alertname": "Flaky"}}])).await;
    assert_eq!(sink.wait_for(2, WAIT).await.len(), 2, "{}", herald.logs());

    let bad = Sink::start().await;
    bad.script.lock().expect("script").extend([(400, None), (400, None), (400, None), (400, None)]);
    let herald = Herald::start(&slack_config(&bad).replace("group_interval: 1s", "group_interval: 30s"));
    herald.post_alerts(json!([{"labels": {"alertname": "Refused"}}])).await;
    bad.wait_for(1, WAIT).await;
    tokio::time::sleep(Duration::from_millis(2000)).await;
    assert_eq!(bad.received().len(), 1, "a 400 is not retried");
    let logs = herald.logs();
    assert!(logs.contains("unexpected status 400 Bad Request") && logs.contains("retryable=false"), "{logs}");
}

#[tokio::test(start_paused = true)]
async fn one_failing_integration_does_not_make_another_send_twice() {
    let good = Sink::start().await;
    let bad = Sink::start().await;
    bad.script.lock().expect("script").extend((0..20).map(|_| (400, None)));
    let config = format!(
        "route:\n  receiver: both\n  group_by: [alertname]\n  group_wait: 1s\n  group_interval: 1s\nreceivers:\n- name: both\n  webhook_configs:\n  - url: {}/ok\n  - url: {}/refuses\n",
        good.url, bad.url
    );
    let herald = App::start(&config).await;
    herald.post_alerts(json!([{"labels": {"alertname": "Split"}}])).await;
    for _ in 0..3 {
        herald.advance(Duration::from_secs(1)).await;
    }
    good.wait_for(1, WAIT).await;
    bad.wait_for(3, WAIT).await;
    assert_eq!(good.received().len(), 1, "the working webhook was not re-sent");
    assert!(bad.received().len() >= 3, "the failing one is tried again at each tick");
}

#[tokio::test]
async fn firing_and_resolved_messages_with_fields_and_actions_match_alertmanagers() {
    let sink = Sink::start().await;
    let config = format!(
        "route:
  receiver: s
  group_by: [alertname]
  group_wait: 1s
  group_interval: 1s
receivers:
- name: s
  slack_configs:
  - api_url: {}/slack
    send_resolved: true
    channel: '#ops'
    fields: [{{title: 'Team', value: '{{{{ .CommonLabels.team }}}}'}}, {{title: 'Sev', value: 'x', short: false}}]
    short_fields: true
    actions: [{{type: button, text: 'Runbook', url: 'http://rb/{{{{ .GroupLabels.alertname }}}}', style: primary}}]
    link_names: true
    footer: 'herald'
",
        sink.url
    );
    let herald = Herald::start(&config);
    let alert = json!({"labels": {"alertname": "DiskFull", "team": "db"}, "annotations": {"summary": "Disk is full"}});
    herald.post_alerts(json!([alert.clone()])).await;
    sink.wait_for(1, WAIT).await;
    herald.post_alerts(json!([crate::helpers::resolved_a_second_ago(alert)])).await;
    let received = sink.wait_for(2, WAIT).await;
    let expected =
        std::fs::read_to_string(repo_file("tests/fixtures/slack_firing_resolved_am025.txt")).expect("fixture");
    let sent: String = received.iter().map(|r| r.raw.as_str()).collect();
    assert_eq!(sent, expected, "{}", herald.logs());
}
