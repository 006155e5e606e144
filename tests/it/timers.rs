//! Alertmanager's timers, with Herald in-process and the test's clock paused: group_wait, group_interval,
//! repeat_interval, retries, `Retry-After` and supersession happen at exactly the expected instants, and no
//! test waits for them in real time.

use std::time::Duration;

use serde_json::{Value, json};
use tokio::time::Instant;

use crate::helpers::{FAST, Sink, alert, alert_names, config};
use crate::in_process::App;

/// Real time allowed for a delivery to reach the sink once its moment has come.
const WAIT: Duration = Duration::from_secs(10);

fn ms(millis: u64) -> Duration {
    Duration::from_millis(millis)
}

/// Asserts that `at` is `expected` after `t0` on the paused clock (to the millisecond).
fn assert_at(t0: Instant, at: Instant, expected: Duration, what: &str) {
    let elapsed = at - t0;
    let off = elapsed.abs_diff(expected);
    assert!(off <= ms(1), "{what}: at {elapsed:?}, expected {expected:?}");
}

fn resolved(app: &App, name: &str, instance: &str) -> Value {
    let mut alert = alert(name, instance);
    alert["endsAt"] = json!(app.now().to_rfc3339());
    alert
}

fn names(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs.iter().map(|(n, s)| (n.to_string(), s.to_string())).collect()
}

#[tokio::test(start_paused = true)]
async fn group_wait_batches_alerts_and_group_interval_sends_changes() {
    let sink = Sink::start().await;
    let app = App::start(&config(&sink, FAST)).await;
    let t0 = Instant::now();
    app.post_alerts(json!([alert("Disk", "a")])).await;
    app.advance(ms(300)).await;
    app.post_alerts(json!([alert("Disk", "b")])).await;
    app.advance(ms(699)).await;
    assert!(sink.received().is_empty(), "nothing before group_wait has passed");

    app.advance(ms(1)).await;
    let first = sink.wait_for(1, WAIT).await;
    assert_eq!(first.len(), 1);
    assert_at(t0, first[0].at, ms(1000), "first flush after group_wait");
    let expected_first = names(&[("alertname=Disk,instance=a", "firing"), ("alertname=Disk,instance=b", "firing")]);
    assert_eq!(alert_names(&first[0].body), expected_first);

    app.advance(ms(400)).await;
    app.post_alerts(json!([alert("Disk", "c")])).await;
    app.advance(ms(1599)).await;
    assert_eq!(sink.received().len(), 1, "a change waits for the next tick");
    app.advance(ms(1)).await;
    let second = sink.wait_for(2, WAIT).await;
    assert_eq!(second.len(), 2);
    assert_at(t0, second[1].at, ms(3000), "the change goes out at the tick");
    assert_eq!(alert_names(&second[1].body).len(), 3);

    app.advance(ms(2000)).await;
    assert_eq!(sink.received().len(), 2, "an unchanged group is not re-sent before repeat_interval");
    app.stop().await;
}

#[tokio::test(start_paused = true)]
async fn an_unchanged_group_repeats_at_the_first_tick_after_repeat_interval() {
    let sink = Sink::start().await;
    let app = App::start(&config(&sink, "  group_wait: 1s\n  group_interval: 2s\n  repeat_interval: 3s\n")).await;
    let t0 = Instant::now();
    app.post_alerts(json!([alert("Load", "a")])).await;
    app.advance(ms(1000)).await;
    sink.wait_for(1, WAIT).await;
    // Ticks at 3 s (2 s after the send: too early) and 5 s (4 s > 3 s): Alertmanager repeats at 5 s.
    app.advance(ms(2000)).await;
    assert_eq!(sink.received().len(), 1, "the tick at 3 s is too early to repeat");
    app.advance(ms(2000)).await;
    let received = sink.wait_for(2, WAIT).await;
    assert_eq!(received.len(), 2);
    assert_at(t0, received[0].at, ms(1000), "first");
    assert_at(t0, received[1].at, ms(5000), "repeat");
    assert_eq!(received[0].body["alerts"], received[1].body["alerts"]);
}

#[tokio::test(start_paused = true)]
async fn resolved_alerts_are_notified_once_then_the_group_ends() {
    let sink = Sink::start().await;
    let app = App::start(&config(&sink, FAST)).await;
    let t0 = Instant::now();
    app.post_alerts(json!([alert("Net", "x"), alert("Net", "y")])).await;
    app.advance(ms(1000)).await;
    sink.wait_for(1, WAIT).await;

    app.advance(ms(400)).await;
    app.post_alerts(json!([resolved(&app, "Net", "x")])).await;
    app.advance(ms(1600)).await;
    let second = sink.wait_for(2, WAIT).await;
    assert_at(t0, second[1].at, ms(3000), "partial resolve");
    assert_eq!(second[1].body["status"], "firing");
    assert_eq!(
        alert_names(&second[1].body),
        names(&[("alertname=Net,instance=x", "resolved"), ("alertname=Net,instance=y", "firing")])
    );
    assert_ne!(second[1].body["alerts"][0]["endsAt"], "0001-01-01T00:00:00Z", "a resolved alert carries its end time");

    app.post_alerts(json!([resolved(&app, "Net", "y")])).await;
    app.advance(ms(2000)).await;
    let third = sink.wait_for(3, WAIT).await;
    assert_at(t0, third[2].at, ms(5000), "all resolved");
    assert_eq!(third[2].body["status"], "resolved");
    assert_eq!(alert_names(&third[2].body), names(&[("alertname=Net,instance=y", "resolved")]), "x was already sent");

    for _ in 0..3 {
        app.advance(ms(2000)).await;
    }
    assert_eq!(sink.received().len(), 3, "nothing after the group resolved");
    let groups = app.get_json("/api/v2/alerts/groups").await;
    assert_eq!(groups, json!([]), "the group is gone");
}

#[tokio::test(start_paused = true)]
async fn group_by_makes_several_groups_and_continue_reaches_two_receivers() {
    let sink = Sink::start().await;
    let yaml = format!(
        "route:
  receiver: root
  group_by: [alertname, cluster]
  group_wait: 1s
  group_interval: 2s
  routes:
  - matchers: [team=a]
    receiver: a
    continue: true
  - matchers: [team=a]
    receiver: b
receivers:
- name: root
  webhook_configs: [{{url: '{0}/root'}}]
- name: a
  webhook_configs: [{{url: '{0}/a'}}]
- name: b
  webhook_configs: [{{url: '{0}/b'}}]
",
        sink.url
    );
    let app = App::start(&yaml).await;
    app.post_alerts(json!([
        {"labels": {"alertname": "A", "cluster": "c1", "team": "a"}},
        {"labels": {"alertname": "A", "cluster": "c2", "team": "a"}},
        {"labels": {"alertname": "B", "cluster": "c1", "team": "z"}},
    ]))
    .await;
    app.advance(ms(1000)).await;
    let received = sink.wait_for(5, WAIT).await;
    let mut seen: Vec<(String, String, String)> = received
        .iter()
        .map(|r| {
            (
                r.path.clone(),
                r.body["receiver"].as_str().unwrap_or_default().to_string(),
                r.body["groupKey"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    seen.sort();
    let key = |route: &str, alertname: &str, cluster: &str| {
        format!("{route}:{{alertname=\"{alertname}\", cluster=\"{cluster}\"}}")
    };
    assert_eq!(
        seen,
        vec![
            ("/a".into(), "a".into(), key("{}/{team=\"a\"}", "A", "c1")),
            ("/a".into(), "a".into(), key("{}/{team=\"a\"}", "A", "c2")),
            ("/b".into(), "b".into(), key("{}/{team=\"a\"}", "A", "c1")),
            ("/b".into(), "b".into(), key("{}/{team=\"a\"}", "A", "c2")),
            ("/root".into(), "root".into(), key("{}", "B", "c1")),
        ]
    );
    app.advance(ms(2000)).await;
    assert_eq!(sink.received().len(), 5);
}

#[tokio::test(start_paused = true)]
async fn the_webhook_payload_matches_alertmanagers_field_by_field() {
    let sink = Sink::start().await;
    let app = App::start(&config(&sink, FAST)).await;
    let labels = json!({"alertname": "Disk", "instance": "db1", "job": "node", "severity": "critical"});
    // Go's encoder escapes <, > and & (and ends the body with a newline); the summary checks that.
    app.post_alerts(json!([{
        "labels": labels,
        "annotations": {"summary": "Disk <full> & more", "runbook": "http://wiki/disk"},
        "startsAt": "2026-01-01T00:00:00.5Z",
        "endsAt": "2099-01-01T00:00:00Z",
        "generatorURL": "http://prom:9090/graph?g0.expr=up"
    }]))
    .await;
    let received = sink.wait_for(1, WAIT).await;
    let fingerprint = herald::fingerprint(&serde_json::from_value(labels.clone()).expect("label map"));
    let expected = format!(
        concat!(
            r#"{{"receiver":"hook","status":"firing","alerts":[{{"status":"firing","labels":{{"alertname":"Disk","instance":"db1","job":"node","severity":"critical"}},"#,
            r#""annotations":{{"runbook":"http://wiki/disk","summary":"Disk \u003cfull\u003e \u0026 more"}},"startsAt":"2026-01-01T00:00:00.5Z","endsAt":"0001-01-01T00:00:00Z","#,
            r#""generatorURL":"http://prom:9090/graph?g0.expr=up","fingerprint":"{}"}}],"groupLabels":{{"alertname":"Disk"}},"#,
            r#""commonLabels":{{"alertname":"Disk","instance":"db1","job":"node","severity":"critical"}},"commonAnnotations":{{"runbook":"http://wiki/disk","summary":"Disk \u003cfull\u003e \u0026 more"}},"#,
            r#""externalURL":"http://herald.test:9093","version":"4","groupKey":"{{}}:{{alertname=\"Disk\"}}","truncatedAlerts":0}}"#,
            "\n"
        ),
        fingerprint
    );
    assert_eq!(received.len(), 1, "an alert that started long ago goes out without group_wait");
    assert_eq!(received[0].raw, expected);
    assert_eq!(received[0].headers["content-type"], "application/json");
    assert!(received[0].headers["user-agent"].to_str().expect("ascii").starts_with("Herald/"));
}

#[tokio::test(start_paused = true)]
async fn max_alerts_truncates_and_counts_what_it_left_out() {
    let sink = Sink::start().await;
    let yaml = config(&sink, FAST).replace("/hook\n", "/hook\n    max_alerts: 2\n");
    let app = App::start(&yaml).await;
    let cpu = |instance: &str, team: &str| json!({"labels": {"alertname": "Cpu", "instance": instance, "team": team}, "annotations": {"runbook": team}});
    app.post_alerts(json!([cpu("1", "a"), cpu("2", "a"), cpu("3", "b")])).await;
    app.advance(ms(1000)).await;
    let received = sink.wait_for(1, WAIT).await;
    assert_eq!(received[0].body["alerts"].as_array().map(Vec::len), Some(2));
    assert_eq!(received[0].body["truncatedAlerts"], 1);
    // As Alertmanager, the data is that of the alerts sent: what the two kept share is common.
    assert_eq!(received[0].body["commonLabels"], json!({"alertname": "Cpu", "team": "a"}));
    assert_eq!(received[0].body["commonAnnotations"], json!({"runbook": "a"}));
}

#[tokio::test(start_paused = true)]
async fn an_alert_that_started_long_ago_is_notified_at_once() {
    let sink = Sink::start().await;
    let app = App::start(&config(&sink, "  group_wait: 30s\n")).await;
    let t0 = Instant::now();
    let started = (app.now() - chrono::Duration::hours(1)).to_rfc3339();
    app.post_alerts(json!([{"labels": {"alertname": "Old"}, "startsAt": started}])).await;
    let received = sink.wait_for(1, WAIT).await;
    assert_eq!(received.len(), 1);
    assert_at(t0, received[0].at, Duration::ZERO, "no group_wait for an old alert");
}

#[tokio::test(start_paused = true)]
async fn a_failing_webhook_is_retried_and_the_flush_is_not_lost() {
    let sink = Sink::start().await;
    sink.script.lock().expect("script").extend([(500, None), (503, None)]);
    let app = App::start(&config(&sink, FAST)).await;
    app.post_alerts(json!([alert("Flaky", "a")])).await;
    // Backoff with jitter: the retries come 0.25-0.75 s and 0.375-1.125 s after each failure.
    for _ in 0..40 {
        if sink.received().len() >= 3 {
            break;
        }
        app.advance(ms(100)).await;
    }
    let received = sink.wait_for(3, WAIT).await;
    assert_eq!(received.len(), 3, "two failures, then success");
    assert_eq!(received[0].body, received[2].body);
    app.advance(ms(2500)).await;
    assert_eq!(sink.received().len(), 3, "logged after the success, not re-sent");
}

#[tokio::test(start_paused = true)]
async fn a_send_waiting_to_retry_is_superseded_by_newer_content_at_the_next_tick() {
    let sink = Sink::start().await;
    sink.script.lock().expect("script").push((503, Some(3)));
    let app = App::start(&config(&sink, FAST)).await;
    let t0 = Instant::now();
    app.post_alerts(json!([alert("Slow", "a")])).await;
    app.advance(ms(1000)).await;
    sink.wait_for(1, WAIT).await;
    app.advance(ms(500)).await;
    app.post_alerts(json!([alert("Slow", "b")])).await;
    // The tick at 3 s brings newer content, which replaces the retry of the old; it still waits for the
    // endpoint's Retry-After (until 4 s).
    app.advance(ms(1500)).await;
    app.advance(ms(999)).await;
    assert_eq!(sink.received().len(), 1, "Retry-After holds the endpoint until 4 s");
    app.advance(ms(1)).await;
    let received = sink.wait_for(2, WAIT).await;
    assert_eq!(received.len(), 2);
    assert_at(t0, received[1].at, ms(4000), "superseding send");
    assert_eq!(alert_names(&received[1].body).len(), 2);
    app.advance(ms(2500)).await;
    assert_eq!(sink.received().len(), 2, "the old content is not sent after all");
}

#[tokio::test(start_paused = true)]
async fn a_slow_send_is_not_cancelled_by_the_next_tick() {
    let sink = Sink::start().await;
    sink.delays.lock().expect("delays").push(2500);
    let app = App::start(&config(&sink, FAST)).await;
    let t0 = Instant::now();
    app.post_alerts(json!([alert("Sluggish", "a")])).await;
    app.advance(ms(1000)).await;
    sink.wait_for(1, WAIT).await;
    app.advance(ms(500)).await;
    app.post_alerts(json!([alert("Sluggish", "b")])).await;
    // The first send takes until 3.5 s, past the tick at 3 s; it is let finish, then the tick's flush runs.
    app.advance(ms(1500)).await;
    assert_eq!(sink.received().len(), 1, "the tick waits for the send in flight");
    app.advance(ms(500)).await;
    let received = sink.wait_for(2, WAIT).await;
    assert_eq!(received.len(), 2);
    assert_at(t0, received[1].at, ms(3500), "the tick's flush after the slow send");
    assert_eq!(alert_names(&received[1].body).len(), 2);
    app.advance(ms(4000)).await;
    assert_eq!(sink.received().len(), 2, "the slow send succeeded: nothing is sent again");
}

#[tokio::test(start_paused = true)]
async fn http_config_credentials_are_sent() {
    let sink = Sink::start().await;
    let folder = tempfile::tempdir().expect("temp dir");
    let token_file = folder.path().join("token");
    std::fs::write(&token_file, "from-a-file\n").expect("written");
    let yaml = format!(
        "route:\n  receiver: r\n  group_by: [alertname]\n  group_wait: 1s\nreceivers:\n- name: r\n  webhook_configs:\n  - url: {0}/basic\n    http_config: {{basic_auth: {{username: u, password: p}}}}\n  - url: {0}/bearer\n    http_config: {{authorization: {{credentials_file: {1}}}}}\n",
        sink.url,
        token_file.display()
    );
    let app = App::start(&yaml).await;
    app.post_alerts(json!([alert("Auth", "a")])).await;
    app.advance(ms(1000)).await;
    let received = sink.wait_for(2, WAIT).await;
    let header = |path: &str| {
        received
            .iter()
            .find(|r| r.path == path)
            .map(|r| r.headers["authorization"].to_str().expect("ascii").to_string())
    };
    assert_eq!(header("/basic").as_deref(), Some("Basic dTpw"));
    assert_eq!(header("/bearer").as_deref(), Some("Bearer from-a-file"));
}
