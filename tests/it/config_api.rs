//! The config over the API: read with an ETag, replaced without a restart (groups kept, alerts re-routed),
//! refused whole when invalid, guarded against lost updates, secrets kept through a round trip, versions
//! listed, compared and rolled back, the file on disk kept in step, and the latest version kept by a restart.

use std::time::Duration;

use serde_json::{Value, json};

use crate::helpers::{Herald, Sink, alert, client};
use crate::in_process::App;

const WAIT: Duration = Duration::from_secs(10);

fn ms(millis: u64) -> Duration {
    Duration::from_millis(millis)
}

/// Everything to `{sink}/a`; with `extra`, child routes (indented two spaces) and receivers `b` (`{sink}/b`).
fn config(sink: &Sink, routes: &str) -> String {
    format!(
        "route:\n  receiver: a\n  group_by: [alertname]\n  group_wait: 1s\n  group_interval: 2s\n  repeat_interval: 1h\n{routes}receivers:\n- name: a\n  webhook_configs:\n  - url: {0}/a\n- name: b\n  webhook_configs:\n  - url: {0}/b?token=kept-secret\n",
        sink.url
    )
}

const TO_B: &str = "  routes:\n  - matchers: [alertname=Y]\n    receiver: b\n";

async fn get_config(app_url: &str) -> (String, String) {
    let response = client().get(format!("{app_url}/api/herald/config")).send().await.expect("sent");
    assert_eq!(response.status().as_u16(), 200);
    let etag = response.headers().get("etag").and_then(|v| v.to_str().ok()).expect("ETag").to_string();
    (etag, response.text().await.expect("body"))
}

async fn put_config(app_url: &str, yaml: &str, etag: Option<&str>, query: &str) -> (u16, Value) {
    let mut request = client().put(format!("{app_url}/api/herald/config{query}")).body(yaml.to_string());
    if let Some(etag) = etag {
        request = request.header("if-match", etag);
    }
    let response = request.send().await.expect("sent");
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

fn paths(sink: &Sink) -> Vec<String> {
    sink.received().into_iter().map(|r| r.path).collect()
}

#[tokio::test(start_paused = true)]
async fn a_put_reroutes_the_next_alert_without_a_restart_and_keeps_the_groups() {
    let sink = Sink::start().await;
    let app = App::start(&config(&sink, "")).await;
    let base = app.url("");
    app.post_alerts(json!([alert("X", "a")])).await;
    app.advance(ms(1000)).await;
    sink.wait_for(1, WAIT).await;
    let groups_before = app.get_json("/api/herald/groups").await;

    let (etag, _) = get_config(&base).await;
    let wanted = config(&sink, TO_B);
    let (status, body) = put_config(&base, &wanted, Some(&etag), "?author=alice&comment=route%20Y%20to%20b").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["version"]["number"], 2);
    assert_eq!(body["version"]["author"], "alice");
    assert_eq!(body["version"]["comment"], "route Y to b");
    assert_eq!(body["version"]["source"], "api");

    app.post_alerts(json!([alert("Y", "a")])).await;
    for _ in 0..5 {
        app.advance(ms(1000)).await;
    }
    sink.wait_for(2, WAIT).await;
    assert_eq!(paths(&sink), vec!["/a", "/b?token=kept-secret"], "Y went to b; X was not notified again");
    let groups_after = app.get_json("/api/herald/groups").await;
    let x_after = groups_after["groups"].as_array().expect("groups").iter().find(|g| g["labels"]["alertname"] == "X");
    assert_eq!(x_after.map(|g| &g["id"]), Some(&groups_before["groups"][0]["id"]), "X's group kept");

    let versions = app.get_json("/api/herald/config/versions").await;
    let listed: Vec<(Value, Value, Value)> = versions
        .as_array()
        .expect("versions")
        .iter()
        .map(|v| (v["number"].clone(), v["source"].clone(), v["live"].clone()))
        .collect();
    assert_eq!(listed, vec![(json!(2), json!("api"), json!(true)), (json!(1), json!("file"), json!(false))]);
    let diff = client().get(app.url("/api/herald/config/diff?from=1&to=2")).send().await.expect("sent");
    let diff = diff.text().await.expect("text");
    assert!(diff.starts_with("--- version 1\n+++ version 2\n"), "{diff}");
    assert!(diff.contains("+  routes:\n+  - receiver: b\n+    matchers:\n+    - alertname=Y\n"), "{diff}");
    assert!(!diff.contains("kept-secret"), "{diff}");
    app.stop().await;
}

#[tokio::test(start_paused = true)]
async fn an_invalid_put_lists_every_problem_and_changes_nothing() {
    let sink = Sink::start().await;
    let yaml = config(&sink, "");
    let app = App::start(&yaml).await;
    let base = app.url("");
    let (etag, before) = get_config(&base).await;
    let bad = config(&sink, "  routes:\n  - matchers: ['a=~(']\n    receiver: nobody\n");
    let (status, body) = put_config(&base, &bad, Some(&etag), "").await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["code"], "invalid_config");
    assert_eq!(
        body["problems"],
        json!([
            {"path": "route.routes[0].matchers[0]", "line": 8, "message": "invalid regular expression \"(\": unclosed group"},
            {"path": "route.routes[0].receiver", "line": 9, "message": "undefined receiver \"nobody\" used in route"},
        ])
    );
    let (status, body) = put_config(&base, "route: [", None, "").await;
    assert_eq!((status, body["code"].as_str()), (400, Some("invalid_config")), "{body}");
    let (etag_after, after) = get_config(&base).await;
    assert_eq!((etag_after, after), (etag, before), "the running config is unchanged");
    assert_eq!(app.get_json("/api/herald/config/versions").await.as_array().map(Vec::len), Some(1));
    app.stop().await;
}

#[tokio::test(start_paused = true)]
async fn two_puts_from_the_same_etag_give_one_200_and_one_412() {
    let sink = Sink::start().await;
    let app = App::start(&config(&sink, "")).await;
    let base = app.url("");
    let (etag, _) = get_config(&base).await;
    let first = config(&sink, TO_B);
    let second = config(&sink, "").replace("group_wait: 1s", "group_wait: 5s");
    let (one, two) =
        tokio::join!(put_config(&base, &first, Some(&etag), ""), put_config(&base, &second, Some(&etag), ""));
    let mut statuses = [one.0, two.0];
    statuses.sort_unstable();
    assert_eq!(statuses, [200, 412], "{one:?} {two:?}");
    let refused = if one.0 == 412 { one.1 } else { two.1 };
    assert_eq!(refused["code"], "stale_etag");
    let (status, _) = put_config(&base, &second, Some("\"0000\""), "").await;
    assert_eq!(status, 412, "an ETag from nowhere");
    app.stop().await;
}

#[tokio::test(start_paused = true)]
async fn a_secret_round_trip_keeps_the_key_and_a_rollback_restores_the_routing() {
    let sink = Sink::start().await;
    let app = App::start(&config(&sink, TO_B)).await;
    let base = app.url("");
    let (etag, shown) = get_config(&base).await;
    assert!(!shown.contains("kept-secret"), "{shown}");
    assert!(shown.contains("/<secret>"), "{shown}");
    // The user edits what GET returned, leaving the redacted URL as it was.
    let edited = shown.replace("group_wait: 1s", "group_wait: 2s");
    let (status, body) = put_config(&base, &edited, Some(&etag), "").await;
    assert_eq!(status, 200, "{body}");
    app.post_alerts(json!([alert("Y", "a")])).await;
    app.advance(ms(2000)).await;
    let sent = sink.wait_for(1, WAIT).await;
    assert_eq!(sent[0].path, "/b?token=kept-secret", "the live secret was kept");

    // A placeholder where nothing is live is refused.
    let moved = edited
        .replace("receivers:\n", "receivers:\n- name: c\n  webhook_configs:\n  - url: http://127.0.0.1:1/<secret>\n");
    let (status, body) = put_config(&base, &moved, None, "").await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["problems"][0]["path"], "receivers[0].webhook_configs[0].url", "{body}");

    // Back to version 1 (group_wait 1s): a new version, the routing of version 1.
    let response = client().post(app.url("/api/herald/config/versions/1/rollback?author=bob")).send().await;
    let body: Value = response.expect("sent").json().await.expect("JSON");
    assert_eq!(body["version"]["number"], 3, "{body}");
    assert_eq!(body["version"]["source"], "rollback");
    assert_eq!(body["version"]["comment"], "rollback to version 1");
    let (_, now_shown) = get_config(&base).await;
    assert!(now_shown.contains("group_wait: 1s"), "{now_shown}");
    let missing = client().post(app.url("/api/herald/config/versions/9/rollback")).send().await.expect("sent");
    assert_eq!(missing.status().as_u16(), 404);
    app.stop().await;
}

/// Real process: the file on disk follows the API, and a restart keeps the latest version.
#[tokio::test]
async fn the_file_follows_the_api_and_a_restart_keeps_the_latest_version() {
    let sink = Sink::start().await;
    let herald = Herald::start(&config(&sink, ""));
    let base = format!("http://{}", herald.address);
    let (etag, _) = get_config(&base).await;
    let wanted = format!("# routed by the API\n{}", config(&sink, TO_B));
    let (status, body) = put_config(&base, &wanted, Some(&etag), "").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(std::fs::read_to_string(&herald.config).expect("config file"), wanted, "written as sent");
    let new_etag = format!("\"{}\"", body["version"]["hash"].as_str().expect("hash"));
    let folder = herald.folder();
    herald.kill();
    let herald = Herald::start_in(folder);
    let base = format!("http://{}", herald.address);
    let (etag, shown) = get_config(&base).await;
    assert_eq!(etag, new_etag);
    assert!(shown.contains("receiver: b"), "{shown}");
    let versions = client().get(format!("{base}/api/herald/config/versions")).send().await.expect("sent");
    let versions: Value = versions.json().await.expect("JSON");
    assert_eq!(versions.as_array().map(Vec::len), Some(2), "no new version for the same file: {versions}");
    assert_eq!(versions[0]["live"], true);
}

#[tokio::test(start_paused = true)]
async fn the_dry_run_names_exactly_the_alerts_that_would_move_and_applies_nothing() {
    let sink = Sink::start().await;
    let app = App::start(&config(&sink, "")).await;
    let base = app.url("");
    app.post_alerts(json!([alert("X", "a"), alert("Y", "a"), alert("Y", "b")])).await;
    let (etag, _) = get_config(&base).await;
    let response = client().post(app.url("/api/herald/config/check")).body(config(&sink, TO_B)).send().await;
    let answer: Value = response.expect("sent").json().await.expect("JSON");
    assert_eq!(answer["valid"], true, "{answer}");
    let mut moved: Vec<(String, Value, Value)> = answer["changes"]
        .as_array()
        .expect("changes")
        .iter()
        .map(|c| {
            (c["labels"]["instance"].as_str().unwrap_or_default().to_string(), c["before"].clone(), c["after"].clone())
        })
        .collect();
    moved.sort_by(|a, b| a.0.cmp(&b.0));
    let before = json!([{"receiver": "a", "groupKey": "{}:{alertname=\"Y\"}"}]);
    let after = json!([{"receiver": "b", "groupKey": "{}/{alertname=\"Y\"}:{alertname=\"Y\"}"}]);
    assert_eq!(moved, vec![("a".into(), before.clone(), after.clone()), ("b".into(), before, after)]);
    assert_eq!(get_config(&base).await.0, etag, "nothing applied");

    let response = client().post(app.url("/api/herald/config/check")).body("route:\n  receiver: nobody\n").send().await;
    let answer: Value = response.expect("sent").json().await.expect("JSON");
    assert_eq!(answer["valid"], false);
    assert_eq!(answer["problems"][0]["path"], "route.receiver", "{answer}");
    app.stop().await;
}

#[tokio::test(start_paused = true)]
async fn the_route_test_api_gives_the_same_answer_as_the_command_line() {
    let sink = Sink::start().await;
    let yaml = config(&sink, TO_B);
    let app = App::start(&yaml).await;
    let labels = json!({"alertname": "Y", "instance": "a"});
    let response = client().post(app.url("/api/herald/routes/test")).json(&json!({"labels": labels})).send().await;
    let answer: Value = response.expect("sent").json().await.expect("JSON");
    assert_eq!(answer["receivers"], json!(["b"]));
    let route = &answer["routes"][0];
    assert_eq!(route["path"], "route.routes[0]");
    assert_eq!(route["groupKey"], "{}/{alertname=\"Y\"}:{alertname=\"Y\"}");
    assert_eq!((&route["groupWait"], &route["groupInterval"]), (&json!("1s"), &json!("2s")));

    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("config.yml");
    std::fs::write(&file, &yaml).expect("written");
    let output = crate::helpers::herald(&[
        "routes",
        "test",
        "-o",
        "json",
        "--config.file",
        file.to_str().expect("utf-8 path"),
        "alertname=Y",
        "instance=a",
    ]);
    let printed: Value = serde_json::from_slice(&output.stdout).expect("JSON on stdout");
    assert_eq!(printed, answer, "the CLI and the API agree");

    let response =
        client().post(app.url("/api/herald/routes/test")).json(&json!({"labels": {"0bad": "x"}})).send().await;
    let response = response.expect("sent");
    assert_eq!(response.status().as_u16(), 400);
    assert_eq!(response.json::<Value>().await.expect("JSON")["code"], "bad_labels");
    app.stop().await;
}

#[tokio::test(start_paused = true)]
async fn a_reload_from_the_file_records_a_version_and_an_unchanged_file_does_not() {
    let sink = Sink::start().await;
    let app = App::start(&config(&sink, "")).await;
    let reload = || async { client().post(app.url("/-/reload")).send().await.expect("sent").status().as_u16() };
    assert_eq!(reload().await, 200);
    app.write_config(&config(&sink, TO_B));
    assert_eq!(reload().await, 200);
    let versions = app.get_json("/api/herald/config/versions").await;
    let listed: Vec<(Value, Value, Value)> = versions
        .as_array()
        .expect("versions")
        .iter()
        .map(|v| (v["number"].clone(), v["source"].clone(), v["comment"].clone()))
        .collect();
    assert_eq!(
        listed,
        vec![
            (json!(2), json!("file"), json!("reloaded from the file")),
            (json!(1), json!("file"), json!("loaded at start-up")),
        ]
    );
    app.stop().await;
}
