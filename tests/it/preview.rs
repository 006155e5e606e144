//! `POST /api/herald/receivers/{name}/preview`: rendered payloads for posted alerts or a live group, never sent.

use std::time::Duration;

use serde_json::{Value, json};

use crate::helpers::{Herald, Sink, client};

fn config(sink: &Sink) -> String {
    format!(
        "route:
  receiver: ops
  group_by: [alertname]
  group_wait: 1h
receivers:
- name: ops
  slack_configs:
  - api_url: {0}/slack-secret-path
    title: 'Alert: {{{{ .GroupLabels.alertname }}}}'
  pagerduty_configs:
  - routing_key: '{{{{ .CommonLabels.key }}}}'
    url: {0}/pd
",
        sink.url
    )
}

async fn preview(herald: &Herald, receiver: &str, body: Value) -> (u16, Value) {
    let response = client()
        .post(herald.url(&format!("/api/herald/receivers/{receiver}/preview")))
        .json(&body)
        .send()
        .await
        .expect("answers");
    let status = response.status().as_u16();
    (status, response.json().await.expect("JSON"))
}

#[tokio::test]
async fn previews_render_each_integration_and_send_nothing() {
    let sink = Sink::start().await;
    let herald = Herald::start(&config(&sink));
    let (status, body) =
        preview(&herald, "ops", json!({"alerts": [{"labels": {"alertname": "Disk", "key": "rk-1"}}]})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["groupKey"], "{}:{alertname=\"Disk\"}");
    let integrations = body["integrations"].as_array().expect("list");
    assert_eq!(integrations.len(), 2);
    let slack = &integrations[0];
    assert_eq!((slack["integration"].as_str(), slack["index"].as_u64()), (Some("slack"), Some(0)));
    assert_eq!(slack["requests"][0]["url"], "<secret>", "a Slack webhook URL is a credential");
    assert_eq!(slack["requests"][0]["body"]["attachments"][0]["title"], "Alert: Disk");
    let pagerduty = &integrations[1];
    assert_eq!(pagerduty["requests"][0]["body"]["routing_key"], "<secret>", "a rendered key is shown redacted");
    assert_eq!(pagerduty["requests"][0]["body"]["payload"]["summary"], "[FIRING:1] Disk (rk-1)");

    let (_, body) = preview(&herald, "ops", json!({"alerts": [{"labels": {"alertname": "Disk"}}]})).await;
    assert!(
        body["integrations"][1]["error"].as_str().expect("an error").contains("routing key cannot be empty"),
        "{body}"
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(sink.received().is_empty(), "a preview sends nothing");
}

#[tokio::test]
async fn preview_errors_are_json_with_a_code() {
    let sink = Sink::start().await;
    let herald = Herald::start(&config(&sink));
    let (status, body) = preview(&herald, "nobody", json!({"alerts": []})).await;
    assert_eq!((status, body["code"].as_str()), (404, Some("receiver_not_found")));
    let (status, body) = preview(&herald, "ops", json!({"alerts": []})).await;
    assert_eq!((status, body["code"].as_str()), (400, Some("bad_alerts")));
    let (status, body) = preview(&herald, "ops", json!({"group": "nothex"})).await;
    assert_eq!((status, body["code"].as_str()), (400, Some("bad_group")));
    let (status, body) = preview(&herald, "ops", json!({"group": "0000000000000001"})).await;
    assert_eq!((status, body["code"].as_str()), (404, Some("group_not_found")));
    let (status, body) = preview(&herald, "ops", json!({"nonsense": 1})).await;
    assert_eq!((status, body["code"].as_str()), (400, Some("bad_request")), "{body}");
}

#[tokio::test]
async fn a_live_group_can_be_previewed() {
    let sink = Sink::start().await;
    let herald = Herald::start(&config(&sink));
    herald.post_alerts(json!([{"labels": {"alertname": "Live", "key": "rk-2"}}])).await;
    let id = herald::GroupId::of("{}", &[("alertname".to_string(), "Live".to_string())].into_iter().collect());
    let (status, body) = preview(&herald, "ops", json!({"group": id.to_string()})).await;
    assert_eq!(status, 200, "{body}");
    let event = &body["integrations"][1]["requests"][0]["body"];
    assert_eq!(event["routing_key"], "<secret>");
    assert_eq!(event["payload"]["summary"], "[FIRING:1] Live (rk-2)");
}

#[tokio::test]
async fn a_template_that_calls_itself_is_an_error_not_a_crash() {
    let sink = Sink::start().await;
    let folder = tempfile::tempdir().expect("temp dir");
    let file = folder.path().join("loop.tmpl");
    std::fs::write(&file, r#"{{ define "loop" }}x{{ template "loop" . }}{{ end }}"#).expect("written");
    let config = format!(
        "templates: ['{}']\nroute:\n  receiver: ops\n  group_by: [alertname]\n  group_wait: 1s\nreceivers:\n- name: ops\n  slack_configs:\n  - api_url: {}/slack\n    title: '{{{{ template \"loop\" . }}}}'\n",
        file.display(),
        sink.url
    );
    let herald = Herald::start(&config);
    let (status, body) = preview(&herald, "ops", json!({"alerts": [{"labels": {"alertname": "Loop"}}]})).await;
    assert_eq!(status, 200, "{body}");
    let error = body["integrations"][0]["error"].as_str().expect("an error");
    assert!(error.contains("exceeded maximum template depth"), "{error}");

    herald.post_alerts(json!([{"labels": {"alertname": "Loop"}}])).await;
    herald.wait_for_log("Notification failed.", Duration::from_secs(10)).await;
    assert!(herald.logs().contains("exceeded maximum template depth"), "{}", herald.logs());
    let healthy = client().get(herald.url("/-/healthy")).send().await.expect("still alive");
    assert_eq!(healthy.status(), 200);
    assert!(sink.received().is_empty(), "nothing half-rendered is sent");
}

#[tokio::test]
async fn a_webhook_url_is_not_shown_by_the_preview() {
    let config = "route:\n  receiver: hook\nreceivers:\n- name: hook\n  webhook_configs:\n  - url: http://127.0.0.1:9/hook?token=TOKEN\n";
    let herald = Herald::start(config);
    let (status, body) = preview(&herald, "hook", json!({"alerts": [{"labels": {"alertname": "A"}}]})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["integrations"][0]["requests"][0]["url"], "<secret>");
    assert!(!body.to_string().contains("TOKEN"), "{body}");
}

#[tokio::test]
async fn previews_render_every_receiver_type() {
    let config = std::fs::read_to_string(crate::helpers::repo_file("tests/fixtures/integrations/every_field.yml"))
        .expect("config")
        .replace("auth_password_file: /etc/alertmanager/smtp.password", "auth_password: p")
        .replace("api_key_file: /etc/alertmanager/victorops.key", "api_key: k");
    // The SNS entries without keys take them from the environment.
    let herald =
        Herald::start_with(&config, &[], &[("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE"), ("AWS_SECRET_ACCESS_KEY", "secret")]);
    let (status, body) = preview(
        &herald,
        "everything",
        json!({"alerts": [{"labels": {"alertname": "Disk", "severity": "page"}, "annotations": {"summary": "Disk is full"}}]}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let integrations = body["integrations"].as_array().expect("list");
    let kinds: std::collections::BTreeSet<&str> =
        integrations.iter().filter_map(|i| i["integration"].as_str()).collect();
    assert_eq!(
        kinds.into_iter().collect::<Vec<_>>(),
        ["discord", "email", "pushover", "sns", "telegram", "victorops", "webex", "wechat"]
    );
    for integration in integrations {
        assert!(integration["error"].is_null(), "{integration}");
        assert!(!integration["requests"].as_array().expect("requests").is_empty(), "{integration}");
    }
    let email = integrations.iter().find(|i| i["integration"] == "email").expect("email");
    let message = email["requests"][0]["body"]["message"].as_str().expect("the message");
    assert!(message.contains("Subject: [firing] \r\n") && message.contains("Disk is full"), "{message}");
    assert_eq!(email["requests"][0]["url"], "smtp://smtp.example.com:465");
}
