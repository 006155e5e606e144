//! The notification history: every attempt recorded with its outcome, reason, status and latency, newest
//! first, filtered and paginated over the API and on the command line.

use std::time::Duration;

use serde_json::{Value, json};

use crate::helpers::{Herald, Sink, alert, herald, stdout};
use crate::in_process::App;

const WAIT: Duration = Duration::from_secs(10);

fn config(ok: &Sink, bad: &Sink) -> String {
    format!(
        "route:\n  receiver: a\n  group_by: [alertname]\n  group_wait: 1s\n  group_interval: 1h\n  routes:\n  - matchers: [alertname=B]\n    receiver: b\nreceivers:\n- name: a\n  webhook_configs:\n  - url: {}/a\n- name: b\n  webhook_configs:\n  - url: {}/b\n",
        ok.url, bad.url
    )
}

#[tokio::test(start_paused = true)]
async fn each_retry_is_recorded_with_its_reason_and_the_history_filters_and_pages() {
    let (ok, bad) = (Sink::start().await, Sink::start().await);
    ok.script.lock().expect("script").extend([(500, None), (429, Some(2))]);
    bad.script.lock().expect("script").push((400, None));
    let app = App::start(&config(&ok, &bad)).await;
    app.post_alerts(json!([alert("A", "x"), alert("B", "x")])).await;
    for _ in 0..10 {
        app.advance(Duration::from_millis(1000)).await;
    }
    ok.wait_for(3, WAIT).await;
    bad.wait_for(1, WAIT).await;
    app.advance(Duration::from_millis(100)).await;

    let all = app.get_json("/api/herald/notifications").await;
    let attempts = all["notifications"].as_array().expect("notifications").clone();
    let mut of_a: Vec<(Value, Value, Value, Value, Value)> = attempts
        .iter()
        .filter(|a| a["receiver"] == "a")
        .map(|a| {
            (
                a["attempt"].clone(),
                a["outcome"].clone(),
                a["reason"].clone(),
                a["status"].clone(),
                a["integration"].clone(),
            )
        })
        .collect();
    of_a.reverse();
    assert_eq!(
        of_a,
        vec![
            (json!(1), json!("retrying"), json!("server_error"), json!(500), json!("webhook")),
            (json!(2), json!("retrying"), json!("rate_limited"), json!(429), json!("webhook")),
            (json!(3), json!("delivered"), Value::Null, json!(200), json!("webhook")),
        ],
        "{all}"
    );
    let first = attempts.iter().find(|a| a["receiver"] == "a" && a["attempt"] == 1).expect("first attempt");
    assert_eq!(first["groupKey"], "{}:{alertname=\"A\"}");
    assert_eq!(first["fingerprints"].as_array().map(Vec::len), Some(1));
    assert!(first["error"].as_str().is_some_and(|e| e.contains("500")), "{first}");

    let failed = app.get_json("/api/herald/notifications?status=failed").await;
    let failed = failed["notifications"].as_array().expect("notifications").clone();
    assert_eq!(failed.len(), 1);
    assert_eq!(
        (&failed[0]["receiver"], &failed[0]["reason"], &failed[0]["status"]),
        (&json!("b"), &json!("client_error"), &json!(400))
    );

    let page = app.get_json("/api/herald/notifications?receiver=a&limit=2").await;
    assert_eq!(page["notifications"].as_array().map(Vec::len), Some(2));
    let next = page["next"].as_str().expect("a next page").to_string();
    let rest = app.get_json(&format!("/api/herald/notifications?receiver=a&limit=2&before={next}")).await;
    assert_eq!(rest["notifications"].as_array().map(Vec::len), Some(1));
    assert!(rest.get("next").is_none());
    assert_eq!(rest["notifications"][0]["attempt"], 1, "oldest last");
    let group = first["groupId"].as_str().expect("group id").to_string();
    let by_group = app.get_json(&format!("/api/herald/notifications?group={group}")).await;
    assert_eq!(by_group["notifications"].as_array().map(Vec::len), Some(3));
    let future = app.get_json("/api/herald/notifications?since=2999-01-01T00:00:00Z").await;
    assert_eq!(future["notifications"], json!([]));
    let (status, body) = app.post_json("/api/herald/notifications", &json!({})).await;
    assert_eq!(status, 405, "{body}");
    let bad_query = crate::helpers::client().get(app.url("/api/herald/notifications?status=lost")).send().await;
    assert_eq!(bad_query.expect("sent").status().as_u16(), 400);
    app.stop().await;
}

#[tokio::test]
async fn the_command_line_shows_the_history() {
    let (ok, bad) = (Sink::start().await, Sink::start().await);
    bad.script.lock().expect("script").push((400, None));
    let herald_process = Herald::start(&config(&ok, &bad).replace("group_wait: 1s", "group_wait: 100ms"));
    herald_process.post_alerts(json!([alert("A", "x"), alert("B", "x")])).await;
    ok.wait_for(1, WAIT).await;
    bad.wait_for(1, WAIT).await;
    let url = format!("http://{}", herald_process.address);
    let mut text = String::new();
    for _ in 0..50 {
        text = stdout(&herald(&["notifications", "--status", "failed", "--herald.url", &url]));
        if text.lines().count() == 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[0].starts_with("AT") && lines[0].contains("OUTCOME"), "{text}");
    assert!(
        lines[1].contains(" b ")
            && lines[1].contains("webhook[0]")
            && lines[1].contains("failed (client_error)")
            && lines[1].contains(" 400 "),
        "{text}"
    );
}

#[tokio::test]
async fn a_zero_retention_notifies_but_records_no_history() {
    let (ok, bad) = (Sink::start().await, Sink::start().await);
    bad.script.lock().expect("script").push((400, None));
    let config = config(&ok, &bad).replace("group_wait: 1s", "group_wait: 100ms");
    let herald_process = Herald::start_with(&config, &["--history.retention", "0s"], &[]);
    herald_process.post_alerts(json!([alert("A", "x"), alert("B", "x")])).await;
    ok.wait_for(1, WAIT).await;
    bad.wait_for(1, WAIT).await;
    // The failed one is tried again at the next tick; neither attempt is kept.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let url = format!("http://{}/api/herald/notifications", herald_process.address);
    let page: Value = crate::helpers::client().get(url).send().await.expect("sent").json().await.expect("json");
    assert_eq!(page["notifications"], json!([]), "{page}");
}

#[tokio::test(start_paused = true)]
async fn a_correlation_id_comes_back_on_the_answer_the_notification_and_the_history() {
    let (ok, bad) = (Sink::start().await, Sink::start().await);
    let app = App::start(&config(&ok, &bad)).await;
    let post = |alerts: Value, id: Option<&str>| {
        let mut request = crate::helpers::client().post(app.url("/api/v2/alerts")).json(&alerts);
        if let Some(id) = id {
            request = request.header("x-correlation-id", id);
        }
        request.send()
    };
    let answer = post(json!([alert("A", "x")]), Some("deploy-42")).await.expect("sent");
    assert_eq!(answer.status().as_u16(), 200);
    assert_eq!(answer.headers()["x-correlation-id"], "deploy-42");
    let made = post(json!([alert("B", "x")]), None).await.expect("sent");
    let made = made.headers()["x-correlation-id"].to_str().expect("ASCII").to_string();
    assert_eq!(made.len(), 16, "one is made when none is given: {made}");
    crate::in_process::settle().await;
    app.advance(Duration::from_millis(1000)).await;
    let to_a = ok.wait_for(1, WAIT).await;
    let to_b = bad.wait_for(1, WAIT).await;
    assert_eq!(to_a[0].headers["x-correlation-id"], "deploy-42");
    assert_eq!(to_b[0].headers["x-correlation-id"], made.as_str());
    app.advance(Duration::from_millis(100)).await;
    let history = app.get_json("/api/herald/notifications?receiver=a").await;
    assert_eq!(history["notifications"][0]["correlationId"], "deploy-42");
    app.stop().await;
}

#[tokio::test(start_paused = true)]
async fn a_traceparent_on_ingest_is_continued_by_the_notification() {
    let (ok, bad) = (Sink::start().await, Sink::start().await);
    let app = App::start(&config(&ok, &bad)).await;
    let trace = "0af7651916cd43dd8448eb211c80319c";
    let response = crate::helpers::client()
        .post(app.url("/api/v2/alerts"))
        .header("traceparent", format!("00-{trace}-b7ad6b7169203331-01"))
        .json(&json!([alert("A", "x")]))
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status().as_u16(), 200);
    let refused = crate::helpers::client()
        .post(app.url("/api/v2/alerts"))
        .header("traceparent", "00-not-a-trace-01")
        .json(&json!([alert("B", "x")]))
        .send()
        .await
        .expect("sent");
    assert_eq!(refused.status().as_u16(), 200, "a bad traceparent starts a new trace, it is not an error");
    crate::in_process::settle().await;
    app.advance(Duration::from_millis(1000)).await;
    let to_a = ok.wait_for(1, WAIT).await;
    let to_b = bad.wait_for(1, WAIT).await;
    let continued = to_a[0].headers["traceparent"].to_str().expect("ASCII").to_string();
    let parts: Vec<&str> = continued.split('-').collect();
    assert_eq!((parts[0], parts[1], parts[3]), ("00", trace, "01"), "{continued}");
    assert!(parts[2].len() == 16 && parts[2] != "b7ad6b7169203331", "a span of its own: {continued}");
    let fresh = to_b[0].headers["traceparent"].to_str().expect("ASCII").to_string();
    assert!(fresh.len() == 55 && !fresh.contains("not"), "{fresh}");
    app.stop().await;
}
