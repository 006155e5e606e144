//! Opsgenie delivery against a local mock: the requests Alertmanager 0.25 makes (create, update, close),
//! byte for byte, and an API key that renders empty failing visibly.

use std::time::Duration;

use serde::Deserialize;
use serde_json::json;

use crate::helpers::{Herald, Sink, repo_file};

const WAIT: Duration = Duration::from_secs(10);

#[derive(Deserialize)]
struct Recorded {
    method: String,
    path: String,
    authorization: String,
    body: String,
}

fn config(sink: &Sink) -> String {
    format!(
        "route:
  receiver: og
  group_by: [alertname]
  group_wait: 1s
  group_interval: 1s
receivers:
- name: og
  opsgenie_configs:
  - api_key: 'k-{{{{ .GroupLabels.alertname }}}}'
    api_url: {}/og
    responders:
    - {{name: '{{{{ .CommonLabels.team }}}}', type: team}}
    - {{name: 'x, y', type: teams}}
    - {{name: '{{{{ .CommonLabels.nope }}}}', type: user}}
    tags: ' a,b,,c '
    actions: 'restart,page'
    priority: P1
    note: 'see {{{{ .GroupLabels.alertname }}}}'
    entity: disk
    details: {{extra: 'v-{{{{ .Status }}}}', team: 'override'}}
    update_alerts: true
",
        sink.url
    )
}

#[tokio::test]
async fn opsgenie_requests_match_alertmanagers() {
    let sink = Sink::start().await;
    let herald = Herald::start(&config(&sink));
    let alert = json!({"labels": {"alertname": "DiskFull", "instance": "a", "severity": "critical", "team": "db"},
                       "annotations": {"description": "a is full", "summary": "Disk is full"}});
    herald.post_alerts(json!([alert.clone()])).await;
    sink.wait_for(3, WAIT).await;
    herald.post_alerts(json!([crate::helpers::resolved_a_second_ago(alert)])).await;
    let received = sink.wait_for(4, WAIT).await;

    let expected: Vec<Recorded> = serde_json::from_str(
        &std::fs::read_to_string(repo_file("tests/fixtures/opsgenie_am025.json")).expect("fixture"),
    )
    .expect("fixture JSON");
    assert_eq!(received.len(), expected.len(), "{}", herald.logs());
    for (got, want) in received.iter().zip(&expected) {
        assert_eq!((got.method.as_str(), got.path.as_str()), (want.method.as_str(), want.path.as_str()));
        assert_eq!(got.headers["authorization"].to_str().expect("ascii"), want.authorization);
        assert_eq!(got.headers["content-type"], "application/json");
        assert_eq!(got.raw, want.body);
    }
}

#[tokio::test]
async fn an_api_key_that_renders_empty_is_a_visible_failure() {
    let sink = Sink::start().await;
    let herald =
        Herald::start(&config(&sink).replace("'k-{{ .GroupLabels.alertname }}'", "'{{ .GroupLabels.opsgenie_key }}'"));
    herald.post_alerts(json!([{"labels": {"alertname": "DiskFull"}}])).await;
    herald.wait_for_log("the API key is empty", WAIT).await;
    assert!(herald.logs().contains("the API key is empty"), "{}", herald.logs());
    assert!(sink.received().is_empty());
}
