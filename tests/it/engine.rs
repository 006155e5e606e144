//! The engine end to end: the real binary, a local webhook sink, short timers. Timings are checked with
//! tolerances against Alertmanager's schedule (first flush after group_wait, then every group_interval).

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::helpers::{Herald, Sink, alert_names, assert_near, secs};

const TOLERANCE: f64 = 0.45;
const WAIT: Duration = Duration::from_secs(10);

fn config(sink: &Sink, timers: &str) -> String {
    format!(
        "route:\n  receiver: hook\n  group_by: [alertname]\n{timers}receivers:\n- name: hook\n  webhook_configs:\n  - url: {}/hook\n",
        sink.url
    )
}

const FAST: &str = "  group_wait: 1s\n  group_interval: 2s\n  repeat_interval: 1h\n";

fn alert(name: &str, instance: &str) -> Value {
    json!({"labels": {"alertname": name, "instance": instance}, "annotations": {"summary": format!("{name} on {instance}")}})
}

fn resolved(name: &str, instance: &str) -> Value {
    let mut alert = alert(name, instance);
    alert["endsAt"] = json!(chrono::Utc::now().to_rfc3339());
    alert
}

fn names(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs.iter().map(|(n, s)| (n.to_string(), s.to_string())).collect()
}

#[tokio::test]
async fn group_wait_batches_alerts_and_group_interval_sends_changes() {
    let sink = Sink::start().await;
    let herald = Herald::start(&config(&sink, FAST));
    let t0 = Instant::now();
    herald.post_alerts(json!([alert("Disk", "a")])).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    herald.post_alerts(json!([alert("Disk", "b")])).await;

    let first = sink.wait_for(1, WAIT).await;
    assert_eq!(first.len(), 1, "{}", herald.logs());
    assert_near(secs(t0, first[0].at), 1.0, TOLERANCE, "first flush after group_wait");
    let expected_first = names(&[("alertname=Disk,instance=a", "firing"), ("alertname=Disk,instance=b", "firing")]);
    assert_eq!(alert_names(&first[0].body), expected_first);

    tokio::time::sleep(Duration::from_millis(400)).await;
    herald.post_alerts(json!([alert("Disk", "c")])).await;
    let second = sink.wait_for(2, WAIT).await;
    assert_eq!(second.len(), 2);
    assert_near(secs(t0, second[1].at), 3.0, TOLERANCE, "a change goes out at the next tick, not at once");
    assert_eq!(alert_names(&second[1].body).len(), 3);

    tokio::time::sleep(Duration::from_millis(2600)).await;
    assert_eq!(sink.received().len(), 2, "an unchanged group is not re-sent before repeat_interval");
}

#[tokio::test]
async fn an_unchanged_group_repeats_at_the_first_tick_after_repeat_interval() {
    let sink = Sink::start().await;
    let timers = "  group_wait: 1s\n  group_interval: 2s\n  repeat_interval: 3s\n";
    let herald = Herald::start(&config(&sink, timers));
    let t0 = Instant::now();
    herald.post_alerts(json!([alert("Load", "a")])).await;
    let received = sink.wait_for(2, WAIT).await;
    assert_eq!(received.len(), 2, "{}", herald.logs());
    assert_near(secs(t0, received[0].at), 1.0, TOLERANCE, "first");
    // Ticks at 3 s (2 s after the send: too early) and 5 s (4 s > 3 s): Alertmanager repeats at 5 s.
    assert_near(secs(t0, received[1].at), 5.0, TOLERANCE, "repeat");
    assert_eq!(received[0].body["alerts"], received[1].body["alerts"]);
}

#[tokio::test]
async fn resolved_alerts_are_notified_once_then_the_group_ends() {
    let sink = Sink::start().await;
    let herald = Herald::start(&config(&sink, FAST));
    let t0 = Instant::now();
    herald.post_alerts(json!([alert("Net", "x"), alert("Net", "y")])).await;
    sink.wait_for(1, WAIT).await;

    tokio::time::sleep(Duration::from_millis(400)).await;
    herald.post_alerts(json!([resolved("Net", "x")])).await;
    let second = sink.wait_for(2, WAIT).await;
    assert_near(secs(t0, second[1].at), 3.0, TOLERANCE, "partial resolve");
    assert_eq!(second[1].body["status"], "firing");
    assert_eq!(
        alert_names(&second[1].body),
        names(&[("alertname=Net,instance=x", "resolved"), ("alertname=Net,instance=y", "firing")])
    );
    let x = &second[1].body["alerts"][0];
    assert_ne!(x["endsAt"], "0001-01-01T00:00:00Z", "a resolved alert carries its end time");

    herald.post_alerts(json!([resolved("Net", "y")])).await;
    let third = sink.wait_for(3, WAIT).await;
    assert_near(secs(t0, third[2].at), 5.0, TOLERANCE, "all resolved");
    assert_eq!(third[2].body["status"], "resolved");
    assert_eq!(alert_names(&third[2].body), names(&[("alertname=Net,instance=y", "resolved")]), "x was already sent");

    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(sink.received().len(), 3, "nothing after the group resolved");
}

#[tokio::test]
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
    let herald = Herald::start(&yaml);
    herald
        .post_alerts(json!([
            {"labels": {"alertname": "A", "cluster": "c1", "team": "a"}},
            {"labels": {"alertname": "A", "cluster": "c2", "team": "a"}},
            {"labels": {"alertname": "B", "cluster": "c1", "team": "z"}},
        ]))
        .await;
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
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(sink.received().len(), 5);
}

#[tokio::test]
async fn the_webhook_payload_matches_alertmanagers_field_by_field() {
    let sink = Sink::start().await;
    let herald = Herald::start(&config(&sink, FAST));
    let labels = json!({"alertname": "Disk", "instance": "db1", "job": "node", "severity": "critical"});
    // Go's encoder escapes <, > and & (and ends the body with a newline); the summary checks that.
    herald
        .post_alerts(json!([{
            "labels": labels,
            "annotations": {"summary": "Disk <full> & more", "runbook": "http://wiki/disk"},
            "startsAt": "2026-01-01T00:00:00.5Z",
            "endsAt": "2099-01-01T00:00:00Z",
            "generatorURL": "http://prom:9090/graph?g0.expr=up"
        }]))
        .await;
    let received = sink.wait_for(1, WAIT).await;
    let fingerprint = herald::labels::fingerprint(&serde_json::from_value(labels.clone()).expect("label map"));
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
    assert_eq!(received[0].raw, expected);
    assert_eq!(received[0].headers["content-type"], "application/json");
    assert!(received[0].headers["user-agent"].to_str().expect("ascii").starts_with("Herald/"));
}

#[tokio::test]
async fn max_alerts_truncates_and_counts_what_it_left_out() {
    let sink = Sink::start().await;
    let yaml = config(&sink, FAST).replace("/hook\n", "/hook\n    max_alerts: 2\n");
    let herald = Herald::start(&yaml);
    herald.post_alerts(json!([alert("Cpu", "1"), alert("Cpu", "2"), alert("Cpu", "3")])).await;
    let received = sink.wait_for(1, WAIT).await;
    assert_eq!(received[0].body["alerts"].as_array().map(Vec::len), Some(2));
    assert_eq!(received[0].body["truncatedAlerts"], 1);
}

#[tokio::test]
async fn an_alert_that_started_long_ago_is_notified_at_once() {
    let sink = Sink::start().await;
    let herald = Herald::start(&config(&sink, "  group_wait: 30s\n"));
    let t0 = Instant::now();
    let started = (chrono::Utc::now() - chrono::Duration::hours(1)).to_rfc3339();
    herald.post_alerts(json!([{"labels": {"alertname": "Old"}, "startsAt": started}])).await;
    let received = sink.wait_for(1, WAIT).await;
    assert_eq!(received.len(), 1);
    assert_near(secs(t0, received[0].at), 0.0, TOLERANCE, "no group_wait for an old alert");
}

#[tokio::test]
async fn after_a_crash_alerts_and_timers_come_back_and_nothing_is_sent_twice() {
    let sink = Sink::start().await;
    let herald = Herald::start(&config(&sink, FAST));
    let folder = herald.folder();
    let t0 = Instant::now();
    herald.post_alerts(json!([alert("Crash", "a")])).await;
    sink.wait_for(1, WAIT).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    herald.kill();

    let herald = Herald::start_in(folder);
    let listed = herald.get_json("/api/v2/alerts").await;
    assert_eq!(listed.as_array().map(Vec::len), Some(1), "the accepted alert is back");
    herald.post_alerts(json!([alert("Crash", "b")])).await;
    let received = sink.wait_for(2, WAIT).await;
    assert_eq!(received.len(), 2, "{}", herald.logs());
    // The timer resumed: the change went out at the tick due 3 s after the start, not after a new group_wait
    // counted from the restart.
    assert_near(secs(t0, received[1].at), 3.0, TOLERANCE + 0.3, "resumed tick");
    assert_eq!(alert_names(&received[1].body).len(), 2);
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(sink.received().len(), 2, "no duplicate after the restart");
}

#[tokio::test]
async fn a_flush_that_came_due_while_herald_was_down_is_sent_after_the_restart() {
    let sink = Sink::start().await;
    let herald = Herald::start(&config(&sink, "  group_wait: 1s\n  group_interval: 2s\n"));
    let folder = herald.folder();
    herald.post_alerts(json!([alert("Down", "a")])).await;
    herald.kill();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(sink.received().is_empty());

    let restarted_at = Instant::now();
    let herald = Herald::start_in(folder);
    let received = sink.wait_for(1, WAIT).await;
    assert_eq!(received.len(), 1, "{}", herald.logs());
    assert!(secs(restarted_at, received[0].at) < 1.0, "sent right after the restart, not skipped");
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(sink.received().len(), 1);
}

#[tokio::test]
async fn a_graceful_stop_keeps_everything() {
    let sink = Sink::start().await;
    let herald = Herald::start(&config(&sink, FAST));
    let folder = herald.folder();
    herald.post_alerts(json!([alert("Stop", "a")])).await;
    sink.wait_for(1, WAIT).await;
    // The sink answers from this test's runtime, which `terminate` blocks: wait until Herald has the answer,
    // or the send is still in flight at the stop (and rightly retried after the restart).
    herald.wait_for_log("Notification sent.", WAIT).await;
    assert!(herald.terminate().success());
    let herald = Herald::start_in(folder);
    let groups = herald.get_json("/api/v2/alerts/groups").await;
    assert_eq!(groups[0]["labels"], json!({"alertname": "Stop"}));
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(sink.received().len(), 1, "no duplicate after a graceful restart");
}

#[tokio::test]
async fn reloading_an_unchanged_config_resends_nothing_and_a_bad_one_changes_nothing() {
    let sink = Sink::start().await;
    let herald = Herald::start(&config(&sink, FAST));
    herald.post_alerts(json!([alert("Reload", "a")])).await;
    sink.wait_for(1, WAIT).await;

    let (status, body) = herald.post_json("/-/reload", &json!(null)).await;
    assert_eq!((status.as_u16(), body.as_str()), (200, ""));
    herald.signal("HUP");

    let good = std::fs::read_to_string(&herald.config).expect("config");
    std::fs::write(&herald.config, "route:\n  receiver: nope\nreceivers: []\n").expect("written");
    let (status, body) = herald.post_json("/-/reload", &json!(null)).await;
    assert_eq!(status.as_u16(), 500);
    assert!(body.starts_with("failed to reload config: line 2: route.receiver: undefined receiver \"nope\""), "{body}");
    std::fs::write(&herald.config, good).expect("restored");

    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(sink.received().len(), 1, "{}", herald.logs());
    let receivers = herald.get_json("/api/v2/receivers").await;
    assert_eq!(receivers, json!([{"name": "hook"}]), "the running config stayed");
}

#[tokio::test]
async fn a_failing_webhook_is_retried_and_the_flush_is_not_lost() {
    let sink = Sink::start().await;
    sink.script.lock().expect("script").extend([(500, None), (503, None)]);
    let herald = Herald::start(&config(&sink, FAST));
    herald.post_alerts(json!([alert("Flaky", "a")])).await;
    let received = sink.wait_for(3, WAIT).await;
    assert_eq!(received.len(), 3, "two failures, then success: {}", herald.logs());
    assert_eq!(received[0].body, received[2].body);
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(sink.received().len(), 3, "logged after the success, not re-sent");
}

#[tokio::test]
async fn a_resolve_already_notified_is_not_sent_again_after_a_crash() {
    let sink = Sink::start().await;
    let herald = Herald::start(&config(&sink, FAST));
    let folder = herald.folder();
    herald.post_alerts(json!([alert("Once", "x"), alert("Once", "y")])).await;
    sink.wait_for(1, WAIT).await;
    herald.post_alerts(json!([resolved("Once", "y")])).await;
    let second = sink.wait_for(2, WAIT).await;
    assert_eq!(alert_names(&second[1].body)[1], ("alertname=Once,instance=y".to_string(), "resolved".to_string()));
    herald.post_alerts(json!([alert("Once", "z")])).await;
    let third = sink.wait_for(3, WAIT).await;
    assert_eq!(alert_names(&third[2].body).len(), 2, "x and z; y already went out as resolved");
    tokio::time::sleep(Duration::from_millis(300)).await;
    herald.kill();

    let herald = Herald::start_in(folder);
    tokio::time::sleep(Duration::from_millis(2800)).await;
    assert_eq!(sink.received().len(), 3, "nothing re-sent after the restart:\n{}", herald.logs());
    let listed = herald.get_json("/api/v2/alerts").await;
    assert_eq!(listed.as_array().map(Vec::len), Some(2));
}

#[tokio::test]
async fn a_send_waiting_to_retry_is_superseded_by_newer_content_at_the_next_tick() {
    let sink = Sink::start().await;
    sink.script.lock().expect("script").push((503, Some(3)));
    let herald = Herald::start(&config(&sink, FAST));
    let t0 = Instant::now();
    herald.post_alerts(json!([alert("Slow", "a")])).await;
    sink.wait_for(1, WAIT).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    herald.post_alerts(json!([alert("Slow", "b")])).await;
    let received = sink.wait_for(2, WAIT).await;
    assert_eq!(received.len(), 2, "{}", herald.logs());
    // The tick at 3 s brought newer content, which replaced the retry of the old; it still waited for the
    // endpoint's Retry-After (until 4 s).
    assert_near(secs(t0, received[1].at), 4.0, TOLERANCE, "superseding send");
    assert_eq!(alert_names(&received[1].body).len(), 2);
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(sink.received().len(), 2, "the old content is not sent after all:\n{}", herald.logs());
}

#[tokio::test]
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
    let herald = Herald::start(&yaml);
    herald.post_alerts(json!([alert("Auth", "a")])).await;
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

#[tokio::test]
async fn a_slow_send_is_not_cancelled_by_the_next_tick() {
    let sink = Sink::start().await;
    sink.delays.lock().expect("delays").push(2500);
    let herald = Herald::start(&config(&sink, FAST));
    let t0 = Instant::now();
    herald.post_alerts(json!([alert("Sluggish", "a")])).await;
    sink.wait_for(1, WAIT).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    herald.post_alerts(json!([alert("Sluggish", "b")])).await;
    let received = sink.wait_for(2, WAIT).await;
    assert_eq!(received.len(), 2, "{}", herald.logs());
    // The first send took until 3.5 s, past the tick at 3 s; it was let finish, then the tick's flush ran.
    assert_near(secs(t0, received[1].at), 3.5, TOLERANCE, "the tick's flush after the slow send");
    assert_eq!(alert_names(&received[1].body).len(), 2);
    assert!(!herald.logs().contains("Notification failed."), "{}", herald.logs());
}
