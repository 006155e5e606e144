//! Time-based escalation and acknowledgement, Herald's extension: levels climbed at their moment, stopped by
//! an acknowledgement or a resolve, woken by a new alert, restarted by `ack_timeout`, looped by `repeat`,
//! resumed after a restart, and acknowledgements passed on to PagerDuty and Opsgenie.

use std::time::Duration;

use serde_json::{Value, json};
use tokio::time::Instant;

use crate::helpers::{Herald, Received, Sink, alert, herald, secs, stderr, stdout, within};
use crate::in_process::App;

/// Real time allowed for a delivery to reach the sink once its moment has come.
const WAIT: Duration = Duration::from_secs(10);

fn ms(millis: u64) -> Duration {
    Duration::from_millis(millis)
}

/// A config whose route `oncall` escalates per `escalation` (YAML under the key, indented four spaces) to
/// the webhooks `second` and `boss`, all on `sink` (paths `/oncall`, `/second`, `/boss`).
fn escalating(sink: &Sink, timers: &str, escalation: &str) -> String {
    let hook = |name: &str| format!("- name: {name}\n  webhook_configs:\n  - url: {}/{name}\n", sink.url);
    format!(
        "route:\n  receiver: oncall\n  group_by: [alertname]\n{timers}  escalation:\n{escalation}receivers:\n{}{}{}",
        hook("oncall"),
        hook("second"),
        hook("boss")
    )
}

const TIMERS: &str = "  group_wait: 1s\n  group_interval: 2s\n  repeat_interval: 1h\n";
const TWO_LEVELS: &str = "    - after: 10s\n      receiver: second\n    - after: 30s\n      receiver: boss\n";

/// The requests that reached `path`.
fn at_path(sink: &Sink, path: &str) -> Vec<Received> {
    sink.received().into_iter().filter(|r| r.path == path).collect()
}

/// When each request to `path` arrived, in seconds after `t0`.
fn times(sink: &Sink, path: &str, t0: Instant) -> Vec<f64> {
    at_path(sink, path).iter().map(|r| (secs(t0, r.at) * 1000.0).round() / 1000.0).collect()
}

async fn only_group(app: &App) -> Value {
    let page = app.get_json("/api/herald/groups").await;
    let groups = page["groups"].as_array().expect("groups").clone();
    assert_eq!(groups.len(), 1, "{page}");
    groups[0].clone()
}

async fn ack(app: &App, id: &str, body: Value) -> Value {
    let (status, text) = app.post_json(&format!("/api/herald/groups/{id}/ack"), &body).await;
    assert_eq!(status, 200, "{text}");
    serde_json::from_str(&text).expect("JSON group")
}

#[tokio::test(start_paused = true)]
async fn an_unacknowledged_group_climbs_two_levels_at_their_moment() {
    let sink = Sink::start().await;
    let app = App::start(&escalating(&sink, TIMERS, TWO_LEVELS)).await;
    let t0 = Instant::now();
    app.post_alerts(json!([alert("Down", "a")])).await;
    app.advance(ms(1000)).await;
    sink.wait_for(1, WAIT).await;
    let group = only_group(&app).await;
    assert_eq!(group["escalation"]["level"], 0);
    assert_eq!(group["escalation"]["next"]["receiver"], "second");
    assert_eq!(group["escalation"]["next"]["after"], "10s");
    app.advance(ms(8999)).await;
    assert!(at_path(&sink, "/second").is_empty(), "not before 10 s");
    app.advance(ms(1)).await;
    sink.wait_for(2, WAIT).await;
    app.advance(ms(20_000)).await;
    sink.wait_for(3, WAIT).await;
    app.advance(ms(60_000)).await;
    assert_eq!(times(&sink, "/oncall", t0), vec![1.0]);
    assert_eq!(times(&sink, "/second", t0), vec![10.0]);
    assert_eq!(times(&sink, "/boss", t0), vec![30.0], "each level once");

    let level = &at_path(&sink, "/second")[0].body;
    assert_eq!(level["receiver"], "second");
    assert_eq!(level["status"], "firing");
    assert_eq!(level["groupKey"], "{}:{alertname=\"Down\"}");
    assert_eq!(level["escalation"]["level"], 1);
    assert_eq!(level["escalation"]["levels"], 2);
    assert_eq!(level["escalation"]["round"], 1);
    assert_eq!(level["escalation"]["after"], "10s");
    assert_eq!(level["escalation"]["routeReceiver"], "oncall");
    assert!(at_path(&sink, "/oncall")[0].body.get("escalation").is_none(), "the route's own payload is Alertmanager's");

    let group = only_group(&app).await;
    assert_eq!(group["escalation"]["level"], 2);
    assert_eq!(group["escalation"]["levelReceiver"], "boss");
    assert_eq!(group["escalation"]["notified"], json!(["second", "boss"]));
    assert_eq!(group["escalation"]["next"], Value::Null);

    // The resolve reaches everyone who was paged.
    let mut resolved = alert("Down", "a");
    resolved["endsAt"] = json!(app.now().to_rfc3339());
    app.post_alerts(json!([resolved])).await;
    app.advance(ms(2000)).await;
    sink.wait_for(6, WAIT).await;
    for path in ["/oncall", "/second", "/boss"] {
        let last = at_path(&sink, path).pop().expect("notified");
        assert_eq!(last.body["status"], "resolved", "{path}");
    }
    app.stop().await;
}

#[tokio::test(start_paused = true)]
async fn acknowledged_and_resolved_groups_do_not_climb_and_acked_ones_are_not_repeated() {
    let sink = Sink::start().await;
    let timers = "  group_wait: 1s\n  group_interval: 2s\n  repeat_interval: 4s\n";
    let app = App::start(&escalating(&sink, timers, TWO_LEVELS)).await;
    app.post_alerts(json!([alert("Acked", "a"), alert("Gone", "a")])).await;
    app.advance(ms(1000)).await;
    sink.wait_for(2, WAIT).await;
    let page = app.get_json("/api/herald/groups").await;
    let id_of = |name: &str| {
        page["groups"].as_array().expect("groups").iter().find(|g| g["labels"]["alertname"] == name).expect("group")["id"]
            .as_str()
            .expect("id")
            .to_string()
    };
    let acked = ack(&app, &id_of("Acked"), json!({"by": "alice", "comment": "looking"})).await;
    assert_eq!(acked["acknowledgement"]["by"], "alice");
    assert_eq!(acked["acknowledgement"]["comment"], "looking");
    assert_eq!(acked["acknowledgement"]["expiresAt"], Value::Null);
    assert_eq!(acked["escalation"]["next"], Value::Null, "no level while acknowledged");
    let mut gone = alert("Gone", "a");
    gone["endsAt"] = json!(app.now().to_rfc3339());
    app.post_alerts(json!([gone])).await;
    for _ in 0..30 {
        app.advance(ms(2000)).await;
    }
    assert!(at_path(&sink, "/second").is_empty() && at_path(&sink, "/boss").is_empty(), "{:?}", sink.received());
    let mut oncall: Vec<(String, String)> = at_path(&sink, "/oncall")
        .iter()
        .map(|r| (r.body["groupLabels"]["alertname"].to_string(), r.body["status"].to_string()))
        .collect();
    oncall.sort();
    let expected = [("Acked", "firing"), ("Gone", "firing"), ("Gone", "resolved")];
    let expected: Vec<(String, String)> = expected.iter().map(|(n, s)| (format!("{n:?}"), format!("{s:?}"))).collect();
    assert_eq!(oncall, expected, "the acknowledged group is not repeated every 4 s, even once its log entry expired");
    app.stop().await;
}

#[tokio::test(start_paused = true)]
async fn a_new_alert_wakes_an_acknowledged_group_and_the_climb_starts_over() {
    let sink = Sink::start().await;
    let app = App::start(&escalating(&sink, TIMERS, TWO_LEVELS)).await;
    let t0 = Instant::now();
    app.post_alerts(json!([alert("Down", "a")])).await;
    // Moving the paused clock one tick at a time keeps every timer on its moment.
    for step in [1000, 2000, 2000] {
        app.advance(ms(step)).await;
    }
    let id = only_group(&app).await["id"].as_str().expect("id").to_string();
    ack(&app, &id, json!({"by": "alice"})).await;
    app.advance(ms(2000)).await;
    app.advance(ms(1000)).await;
    app.post_alerts(json!([alert("Down", "a")])).await;
    assert!(only_group(&app).await["acknowledgement"].is_object(), "the same alert again does not wake it");
    app.post_alerts(json!([alert("Down", "b")])).await;
    let group = only_group(&app).await;
    assert_eq!(group["acknowledgement"], Value::Null, "a new alert ends the acknowledgement");
    assert_eq!(group["escalation"]["next"]["receiver"], "second");
    app.advance(ms(1000)).await;
    app.advance(ms(9000)).await;
    sink.wait_for(3, WAIT).await;
    assert_eq!(times(&sink, "/second", t0), vec![18.0], "level 1 ten seconds after the wake-up");
    assert_eq!(times(&sink, "/oncall", t0), vec![1.0, 9.0], "the new alert went out at the next tick");
    app.stop().await;
}

#[tokio::test(start_paused = true)]
async fn an_ack_that_times_out_restarts_the_climb_and_one_that_expires_too() {
    let sink = Sink::start().await;
    let policy = format!("    levels:\n{TWO_LEVELS}    ack_timeout: 20s\n");
    let app = App::start(&escalating(&sink, TIMERS, &policy)).await;
    let t0 = Instant::now();
    app.post_alerts(json!([alert("Down", "a"), alert("Other", "a")])).await;
    app.advance(ms(1000)).await;
    app.advance(ms(4000)).await;
    let page = app.get_json("/api/herald/groups").await;
    let ids: Vec<String> = page["groups"]
        .as_array()
        .expect("groups")
        .iter()
        .map(|g| (g["labels"]["alertname"].as_str().unwrap_or_default().to_string(), g["id"].clone()))
        .filter_map(|(name, id)| (name == "Down").then(|| id.as_str().map(str::to_string)).flatten())
        .collect();
    let acked = ack(&app, &ids[0], json!({"by": "bob", "duration": "8s"})).await;
    let timeout_at = acked["acknowledgement"]["timeoutAt"].as_str().expect("timeout").to_string();
    let expires_at = acked["acknowledgement"]["expiresAt"].as_str().expect("expiry").to_string();
    assert!(expires_at < timeout_at, "{acked}");
    // The other group climbs on its own schedule (10 s, 30 s); this one waits for its acknowledgement to
    // expire at 13 s, then climbs from there (23 s).
    for step in [5000, 3000, 10_000, 7000] {
        app.advance(ms(step)).await;
    }
    sink.wait_for(5, WAIT).await;
    let second: Vec<(String, f64)> = at_path(&sink, "/second")
        .iter()
        .map(|r| (r.body["groupLabels"]["alertname"].as_str().unwrap_or_default().to_string(), secs(t0, r.at)))
        .collect();
    assert_eq!(second, vec![("Other".to_string(), 10.0), ("Down".to_string(), 23.0)], "expired at 13 s, +10 s");

    // Acknowledged again at 30 s with no expiry: the policy's ack_timeout (20 s) ends it at 50 s.
    let acked = ack(&app, &ids[0], json!({"by": "bob"})).await;
    assert_eq!(acked["acknowledgement"]["expiresAt"], Value::Null);
    app.advance(ms(20_000)).await;
    app.advance(ms(10_000)).await;
    sink.wait_for(6, WAIT).await;
    let down_second: Vec<f64> = at_path(&sink, "/second")
        .iter()
        .filter(|r| r.body["groupLabels"]["alertname"] == "Down")
        .map(|r| secs(t0, r.at))
        .collect();
    assert_eq!(down_second, vec![23.0, 60.0], "timed out at 50 s, level 1 again at 60 s");
    app.stop().await;
}

#[tokio::test(start_paused = true)]
async fn a_repeat_policy_loops_over_its_levels() {
    let sink = Sink::start().await;
    let policy = "    levels:\n    - after: 10s\n      receiver: second\n    - after: 20s\n      receiver: boss\n    repeat: 1\n";
    let app = App::start(&escalating(&sink, TIMERS, policy)).await;
    let t0 = Instant::now();
    app.post_alerts(json!([alert("Down", "a")])).await;
    for _ in 0..10 {
        app.advance(ms(10_000)).await;
        sink.wait_for(1, ms(50)).await;
    }
    assert_eq!(times(&sink, "/second", t0), vec![10.0, 30.0]);
    assert_eq!(times(&sink, "/boss", t0), vec![20.0, 40.0]);
    let rounds: Vec<Value> = at_path(&sink, "/boss").iter().map(|r| r.body["escalation"]["round"].clone()).collect();
    assert_eq!(rounds, vec![json!(1), json!(2)]);
    app.stop().await;
}

#[tokio::test(start_paused = true)]
async fn a_reload_that_changes_the_policy_applies_to_the_next_level_and_never_resends_one() {
    let sink = Sink::start().await;
    let app = App::start(&escalating(&sink, TIMERS, TWO_LEVELS)).await;
    let t0 = Instant::now();
    app.post_alerts(json!([alert("Down", "a")])).await;
    for step in [1000, 9000, 2000] {
        app.advance(ms(step)).await;
    }
    sink.wait_for(2, WAIT).await;
    let changed = "    - after: 5s\n      receiver: second\n    - after: 10s\n      receiver: oncall\n    - after: 15s\n      receiver: boss\n";
    app.write_config(&escalating(&sink, TIMERS, changed));
    let (status, body) = app.post_json("/-/reload", &json!(null)).await;
    assert_eq!(status, 200, "{body}");
    app.advance(ms(3000)).await;
    sink.wait_for(3, WAIT).await;
    app.advance(ms(30_000)).await;
    assert_eq!(times(&sink, "/second", t0), vec![10.0], "level 1 is not sent again");
    assert!(times(&sink, "/oncall", t0).len() == 1, "the new level at 10 s is not later than the one sent");
    assert_eq!(times(&sink, "/boss", t0), vec![15.0], "the new level after 15 s is the next one");
    app.stop().await;
}

#[tokio::test(start_paused = true)]
async fn a_level_whose_delivery_failed_goes_out_with_the_groups_next_flush() {
    let sink = Sink::start().await;
    // The first page is taken, the level's request refused (a 400 is not retried).
    sink.script.lock().expect("script lock").extend([(200, None), (400, None)]);
    let app = App::start(&escalating(&sink, TIMERS, TWO_LEVELS)).await;
    let t0 = Instant::now();
    app.post_alerts(json!([alert("Down", "a")])).await;
    for step in [1000, 2000, 2000, 2000, 2000, 1000, 1000, 2000] {
        app.advance(ms(step)).await;
    }
    sink.wait_for(3, WAIT).await;
    assert_eq!(times(&sink, "/second", t0), vec![10.0, 11.0], "refused at 10 s, sent again at the 11 s tick");
    assert_eq!(at_path(&sink, "/second")[1].body.get("escalation"), None, "as the group's update");
    app.stop().await;
}

#[tokio::test(start_paused = true)]
async fn a_level_whose_alerts_are_all_silenced_pages_nobody() {
    let sink = Sink::start().await;
    let app = App::start(&escalating(&sink, TIMERS, TWO_LEVELS)).await;
    app.post_alerts(json!([alert("Down", "a")])).await;
    app.advance(ms(1000)).await;
    let silence = json!({
        "matchers": [{"name": "alertname", "value": "Down", "isRegex": false}],
        "startsAt": app.now().to_rfc3339(),
        "endsAt": (app.now() + chrono::Duration::hours(1)).to_rfc3339(),
        "createdBy": "alice",
        "comment": "maintenance",
    });
    let (status, body) = app.post_json("/api/v2/silences", &silence).await;
    assert_eq!(status, 200, "{body}");
    for step in [9000, 20_000, 30_000] {
        app.advance(ms(step)).await;
    }
    sink.wait_for(2, ms(200)).await;
    assert_eq!(sink.received().len(), 1, "only the first page: {:?}", sink.received());
    let group = only_group(&app).await;
    assert_eq!(group["escalation"]["level"], 2, "the levels passed, without a notification");
    app.stop().await;
}

#[tokio::test(start_paused = true)]
async fn acknowledgement_errors_are_clear() {
    let sink = Sink::start().await;
    let app = App::start(&escalating(&sink, TIMERS, TWO_LEVELS)).await;
    app.post_alerts(json!([alert("Down", "a")])).await;
    let id = only_group(&app).await["id"].as_str().expect("id").to_string();
    let cases = [
        ("/api/herald/groups/xyz/ack".to_string(), json!({"by": "a"}), 400, "bad_group_id"),
        ("/api/herald/groups/00000000000000ff/ack".to_string(), json!({"by": "a"}), 404, "unknown_group"),
        (format!("/api/herald/groups/{id}/ack"), json!({"comment": "who?"}), 400, "bad_ack"),
        (format!("/api/herald/groups/{id}/ack"), json!({"by": "a", "duration": "soon"}), 400, "bad_ack"),
        (
            format!("/api/herald/groups/{id}/ack"),
            json!({"by": "a", "expiresAt": "2001-01-01T00:00:00Z"}),
            400,
            "bad_ack",
        ),
        (
            format!("/api/herald/groups/{id}/ack"),
            json!({"by": "a", "duration": "1h", "expiresAt": "2099-01-01T00:00:00Z"}),
            400,
            "bad_ack",
        ),
        (format!("/api/herald/groups/{id}/ack"), json!({"by": "a", "bogus": 1}), 400, "bad_ack"),
    ];
    for (path, body, status, code) in cases {
        let (got, text) = app.post_json(&path, &body).await;
        let answer: Value = serde_json::from_str(&text).expect("JSON error");
        assert_eq!((got, answer["code"].as_str()), (status, Some(code)), "{path} {body}: {text}");
        assert!(answer["detail"].as_str().is_some_and(|d| !d.is_empty()), "{text}");
    }
    let response = crate::helpers::client().delete(app.url(&format!("/api/herald/groups/{id}/ack"))).send().await;
    let response = response.expect("sent");
    assert_eq!(response.status().as_u16(), 409);
    assert_eq!(response.json::<Value>().await.expect("JSON")["code"], "not_acknowledged");
    ack(&app, &id, json!({"by": "a"})).await;
    assert_eq!(app.delete(&format!("/api/herald/groups/{id}/ack")).await, 200);
    let group = app.get_json(&format!("/api/herald/groups/{id}")).await;
    assert_eq!(group["acknowledgement"], Value::Null);
    assert_eq!(group["alerts"].as_array().map(Vec::len), Some(1));
    app.stop().await;
}

#[tokio::test(start_paused = true)]
async fn acknowledgements_are_passed_on_to_pagerduty_and_opsgenie_and_a_resolve_still_resolves_there() {
    let sink = Sink::start().await;
    let config = format!(
        "route:\n  receiver: pager\n  group_by: [alertname]\n{TIMERS}receivers:\n- name: pager\n  pagerduty_configs:\n  - routing_key: pd-key\n    url: {0}/pd/v2/enqueue\n  opsgenie_configs:\n  - api_key: og-key\n    api_url: {0}/og/\n",
        sink.url
    );
    let app = App::start(&config).await;
    app.post_alerts(json!([alert("Down", "a")])).await;
    app.advance(ms(1000)).await;
    let sent = sink.wait_for(2, WAIT).await;
    let trigger = sent.iter().find(|r| r.path == "/pd/v2/enqueue").expect("PagerDuty trigger");
    let dedup = trigger.body["dedup_key"].as_str().expect("dedup key").to_string();
    let create = sent.iter().find(|r| r.path == "/og/v2/alerts").expect("Opsgenie create");
    let alias = create.body["alias"].as_str().expect("alias").to_string();

    let id = only_group(&app).await["id"].as_str().expect("id").to_string();
    ack(&app, &id, json!({"by": "alice", "comment": "on it"})).await;
    app.advance(ms(10)).await;
    let sent = sink.wait_for(4, WAIT).await;
    let pd_ack = sent.iter().skip(2).find(|r| r.path == "/pd/v2/enqueue").expect("PagerDuty acknowledge");
    assert_eq!(
        pd_ack.raw,
        format!("{{\"dedup_key\":\"{dedup}\",\"event_action\":\"acknowledge\",\"routing_key\":\"pd-key\"}}\n")
    );
    let og_ack = sent.iter().find(|r| r.path.contains("/acknowledge")).expect("Opsgenie acknowledge");
    assert_eq!(og_ack.path, format!("/og/v2/alerts/{alias}/acknowledge?identifierType=alias"));
    assert_eq!(og_ack.body, json!({"user": "alice", "note": "on it", "source": "Herald"}));
    assert_eq!(og_ack.headers.get("authorization").and_then(|v| v.to_str().ok()), Some("GenieKey og-key"));

    assert_eq!(app.delete(&format!("/api/herald/groups/{id}/ack")).await, 200);
    app.advance(ms(10)).await;
    let sent = sink.wait_for(5, WAIT).await;
    assert_eq!(sent[4].path, format!("/og/v2/alerts/{alias}/unacknowledge?identifierType=alias"));
    assert_eq!(sent[4].body, json!({"source": "Herald"}));
    ack(&app, &id, json!({"by": "alice"})).await;
    app.advance(ms(10)).await;
    sink.wait_for(7, WAIT).await;

    let mut resolved = alert("Down", "a");
    resolved["endsAt"] = json!(app.now().to_rfc3339());
    app.post_alerts(json!([resolved])).await;
    app.advance(ms(2000)).await;
    let sent = sink.wait_for(9, WAIT).await;
    let pd_resolve = sent.iter().skip(7).find(|r| r.path == "/pd/v2/enqueue").expect("PagerDuty resolve");
    assert_eq!(pd_resolve.body["event_action"], "resolve");
    assert_eq!(pd_resolve.body["dedup_key"].as_str(), Some(dedup.as_str()));
    assert!(sent.iter().skip(7).any(|r| r.path == format!("/og/v2/alerts/{alias}/close?identifierType=alias")));
    app.stop().await;
}

/// Real process and real time: a kill in the middle of a climb, a restart, and the next level on time;
/// and the `herald groups` commands against it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_in_the_middle_of_a_climb_resumes_it_on_time_and_the_cli_acknowledges() {
    let sink = Sink::start().await;
    let levels = "    - after: 2s\n      receiver: second\n    - after: 5s\n      receiver: boss\n";
    let timers = "  group_wait: 500ms\n  group_interval: 1s\n  repeat_interval: 1h\n";
    let first = Herald::start(&escalating(&sink, timers, levels));
    let t0 = Instant::now();
    first.post_alerts(json!([alert("Down", "a"), alert("Other", "a")])).await;
    sink.wait_for(4, WAIT).await;
    assert_eq!(at_path(&sink, "/second").len(), 2, "level 1 of both groups");
    tokio::time::sleep(ms(300)).await;
    let folder = first.folder();
    first.kill();
    let second = Herald::start_in(folder);
    let url = format!("http://{}", second.address);
    let listed = stdout(&herald(&["groups", "list", "--herald.url", &url]));
    assert!(listed.starts_with("ID  "), "{listed}");
    let down = listed.lines().find(|line| line.contains("alertname=Down")).expect("Down listed").to_string();
    assert!(down.contains("level 1 (second), next 2 (boss) at "), "{listed}");
    let id = down.split_whitespace().next().expect("id").to_string();
    let output = herald(&["groups", "ack", &id, "--by", "carol", "--comment", "rebooting", "--herald.url", &url]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(stdout(&output), format!("Acknowledged group {id} as carol\n"));
    let listed = stdout(&herald(&["groups", "list", "--herald.url", &url]));
    assert!(listed.lines().any(|l| l.contains("alertname=Down") && l.contains("carol: rebooting")), "{listed}");
    let unknown = herald(&["groups", "unack", "00000000000000ff", "--herald.url", &url]);
    assert_eq!(unknown.status.code(), Some(1));
    assert!(stderr(&unknown).contains("group 00000000000000ff was not found (HTTP 404)"), "{}", stderr(&unknown));

    let boss = within(WAIT, async {
        loop {
            if let Some(page) = at_path(&sink, "/boss").into_iter().next() {
                return page;
            }
            tokio::time::sleep(ms(20)).await;
        }
    })
    .await
    .expect("level 2 after the restart");
    assert_eq!(boss.body["groupLabels"]["alertname"], "Other", "the acknowledged group does not climb");
    let at = secs(t0, boss.at);
    assert!((4.5..=6.0).contains(&at), "level 2 at {at:.2} s, expected 5 s");
    assert_eq!(at_path(&sink, "/second").len(), 2, "level 1 not sent again after the restart");
    tokio::time::sleep(ms(1500)).await;
    assert_eq!(at_path(&sink, "/boss").len(), 1);

    // The acknowledgement is stored: it is still there after another restart.
    let folder = second.folder();
    second.kill();
    let third = Herald::start_in(folder);
    let url = format!("http://{}", third.address);
    let listed = stdout(&herald(&["groups", "list", "--herald.url", &url]));
    let down = listed.lines().find(|line| line.contains("alertname=Down")).expect("Down listed");
    assert!(
        down.contains("carol: rebooting") && down.contains("level 1 (second)") && !down.contains("next"),
        "{listed}"
    );
}
