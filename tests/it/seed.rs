//! The example config every user starts from, extended as its comments intend: routes also group by the
//! labels its key and responder templates read, and every integration points at a local mock.

use std::time::Duration;

use serde_json::json;

use crate::helpers::{Herald, Sink, repo_file};

const WAIT: Duration = Duration::from_secs(10);

fn extended_seed(sink: &Sink) -> String {
    let seed = std::fs::read_to_string(repo_file("config/alertmanager.yml")).expect("shipped config");
    seed.replace(
        "  resolve_timeout: 5m\n",
        &format!(
            "  resolve_timeout: 5m\n  slack_api_url: {0}/slack\n  pagerduty_url: {0}/pd\n  opsgenie_api_url: {0}/og\n",
            sink.url
        ),
    )
    // The escalation receiver's PagerDuty key reads escalation_key, so group by it too.
    .replace(
        "group_by: ['alertname', 'cluster']",
        "group_by: ['alertname', 'cluster', 'pagerduty_key', 'opsgenie_key', 'team', 'escalation_key']",
    )
    .replace("group_wait: 5m", "group_wait: 1s")
    .replace("group_wait: 30s", "group_wait: 1s")
}

#[tokio::test]
async fn an_escalated_critical_alert_pages_and_a_warning_reaches_slack() {
    let sink = Sink::start().await;
    let herald = Herald::start(&extended_seed(&sink));
    herald
        .post_alerts(json!([
            {"labels": {"alertname": "DBDown", "cluster": "eu1", "severity": "critical", "escalate": "true",
                        "pagerduty_key": "pd-1", "escalation_key": "esc-1", "opsgenie_key": "og-1", "team": "dba"}},
            {"labels": {"alertname": "DiskSlow", "severity": "warning"}}
        ]))
        .await;
    let received = sink.wait_for(3, WAIT).await;
    assert_eq!(received.len(), 3, "{}", herald.logs());

    let pagerduty = received.iter().find(|r| r.path == "/pd").expect("a PagerDuty event");
    assert_eq!(pagerduty.body["service_key"], "esc-1");
    assert_eq!(pagerduty.body["event_type"], "trigger");

    let opsgenie = received.iter().find(|r| r.path == "/og/v2/alerts").expect("an Opsgenie alert");
    assert_eq!(opsgenie.headers["authorization"], "GenieKey og-1");
    assert_eq!(opsgenie.body["responders"], json!([{"name": "dba", "type": "team"}]));

    let slack = received.iter().find(|r| r.path == "/slack").expect("a Slack message");
    assert_eq!(slack.body["channel"], "#warnings");
    assert_eq!(slack.body["username"], "Alertmanager");
    let attachment = &slack.body["attachments"][0];
    assert_eq!(attachment["title"], "[FIRING:1] DiskSlow (warning)");
    assert_eq!(attachment["text"], "");
    assert_eq!(attachment["color"], "danger");
}

#[tokio::test]
async fn the_extended_example_config_has_no_warnings() {
    let sink = Sink::start().await;
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("extended.yml");
    std::fs::write(&path, extended_seed(&sink)).expect("written");
    let output = crate::helpers::herald(&["check-config", "--strict", path.to_str().expect("utf-8")]);
    assert!(output.status.success(), "{}", crate::helpers::stdout(&output));
}
