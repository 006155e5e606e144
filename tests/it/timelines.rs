//! Side-by-side timelines: what Alertmanager 0.25 sent, recorded by `tests/timelines/record.py` against the
//! real binary, replayed against Herald. Same config, same posts at the same offsets; Herald must send the
//! same notifications (receiver, group, status, alerts) at the same moments, within a tolerance. Herald runs
//! in-process with the clock paused, moved forward in steps, so a 15-second timeline replays in about a
//! second.

use std::time::Duration;

use tokio::time::Instant;

use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::helpers::{Received, Sink, client, repo_file, secs};
use crate::in_process::App;

const TOLERANCE: f64 = 0.4;

/// How far the paused clock moves at a time: the moments Herald acts at land within a step of it.
const STEP: Duration = Duration::from_millis(50);

#[derive(Deserialize)]
struct Timeline {
    duration: f64,
    config: String,
    posts: Vec<Post>,
    notifications: Vec<Notification>,
}

#[derive(Deserialize)]
struct Post {
    at: f64,
    #[serde(default)]
    alerts: Vec<PostedAlert>,
    /// Create a silence (remembered by name).
    #[serde(default)]
    silence: Option<SilenceStep>,
    /// Expire the silence of that name.
    #[serde(default)]
    expire: Option<String>,
}

#[derive(Deserialize)]
struct SilenceStep {
    name: String,
    matchers: Value,
    duration: f64,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PostedAlert {
    labels: Value,
    starts_at: Option<f64>,
    ends_at: Option<f64>,
}

#[derive(Deserialize, Debug, Clone, PartialEq)]
#[serde(rename_all = "camelCase")]
struct Notification {
    at: f64,
    path: String,
    status: String,
    group_key: String,
    group_labels: Value,
    alerts: Vec<(String, String)>,
}

impl Notification {
    fn from_received(received: &Received, t0: Instant) -> Notification {
        let mut alerts: Vec<(String, String)> = received.body["alerts"]
            .as_array()
            .map(|alerts| {
                alerts
                    .iter()
                    .map(|a| {
                        let labels = a["labels"].as_object().expect("labels");
                        let text = labels
                            .iter()
                            .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or_default()))
                            .collect::<Vec<_>>();
                        (text.join(","), a["status"].as_str().unwrap_or_default().to_string())
                    })
                    .collect()
            })
            .unwrap_or_default();
        alerts.sort();
        let text = |field: &str| received.body[field].as_str().unwrap_or_default().to_string();
        Notification {
            at: secs(t0, received.at),
            path: received.path.clone(),
            status: text("status"),
            group_key: text("groupKey"),
            group_labels: received.body["groupLabels"].clone(),
            alerts,
        }
    }

    fn same_content(&self, other: &Notification) -> bool {
        (&self.path, &self.status, &self.group_key, &self.group_labels, &self.alerts)
            == (&other.path, &other.status, &other.group_key, &other.group_labels, &other.alerts)
    }
}

fn at_offset(t0: DateTime<Utc>, offset: f64) -> String {
    (t0 + chrono::Duration::milliseconds((offset * 1000.0).round() as i64))
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

async fn replay(name: &str) {
    let path = repo_file(&format!("tests/timelines/{name}.json"));
    let timeline: Timeline =
        serde_json::from_str(&std::fs::read_to_string(&path).expect("timeline file")).expect("timeline JSON");
    let sink = Sink::start().await;
    let herald = App::start(&timeline.config.replace("{sink}", &sink.url)).await;
    let (t0, t0_wall) = (Instant::now(), herald.now());
    let mut silences = std::collections::HashMap::new();
    for post in &timeline.posts {
        herald.advance_to(t0 + Duration::from_secs_f64(post.at), STEP).await;
        if let Some(step) = &post.silence {
            let now = herald.now();
            let ends = now + chrono::Duration::milliseconds((step.duration * 1000.0) as i64);
            let body = json!({"matchers": step.matchers, "startsAt": now.to_rfc3339(), "endsAt": ends.to_rfc3339(),
                              "createdBy": "timeline", "comment": "timeline"});
            let response = client().post(herald.url("/api/v2/silences")).json(&body).send().await.expect("answers");
            assert_eq!(response.status().as_u16(), 200);
            let id: Value = response.json().await.expect("silence id");
            silences.insert(step.name.clone(), id["silenceID"].as_str().unwrap_or_default().to_string());
            continue;
        }
        if let Some(name) = &post.expire {
            let id = silences.get(name).expect("the timeline created this silence");
            let response = client().delete(herald.url(&format!("/api/v2/silence/{id}"))).send().await;
            assert_eq!(response.expect("answers").status().as_u16(), 200);
            continue;
        }
        let alerts: Vec<Value> = post
            .alerts
            .iter()
            .map(|alert| {
                let mut body = json!({"labels": alert.labels});
                if let Some(offset) = alert.starts_at {
                    body["startsAt"] = json!(at_offset(t0_wall, offset));
                }
                if let Some(offset) = alert.ends_at {
                    body["endsAt"] = json!(at_offset(t0_wall, offset));
                }
                body
            })
            .collect();
        herald.post_alerts(Value::Array(alerts)).await;
    }
    herald.advance_to(t0 + Duration::from_secs_f64(timeline.duration), STEP).await;

    let key =
        |n: &Notification| (n.path.clone(), n.group_key.clone(), n.group_labels.to_string(), (n.at * 1000.0) as i64);
    let mut expected = timeline.notifications.clone();
    expected.sort_by_key(key);
    let mut actual: Vec<Notification> = sink.received().iter().map(|r| Notification::from_received(r, t0)).collect();
    actual.sort_by_key(key);
    let show = |list: &[Notification]| {
        list.iter()
            .map(|n| format!("  {:6.3}s {} {} {:?}", n.at, n.path, n.status, n.alerts))
            .collect::<Vec<_>>()
            .join("\n")
    };
    let report = format!("Alertmanager sent:\n{}\nHerald sent:\n{}", show(&expected), show(&actual));
    assert_eq!(actual.len(), expected.len(), "{name}: notification count\n{report}");
    for (got, want) in actual.iter().zip(&expected) {
        assert!(got.same_content(want), "{name}: content differs\n{report}");
        assert!((got.at - want.at).abs() <= TOLERANCE, "{name}: timing differs\n{report}");
    }
}

#[tokio::test(start_paused = true)]
async fn timeline_batching_matches_alertmanager() {
    replay("batching").await;
}

#[tokio::test(start_paused = true)]
async fn timeline_resolve_matches_alertmanager() {
    replay("resolve").await;
}

#[tokio::test(start_paused = true)]
async fn timeline_repeat_matches_alertmanager() {
    replay("repeat").await;
}

#[tokio::test(start_paused = true)]
async fn timeline_groups_and_continue_matches_alertmanager() {
    replay("groups_and_continue").await;
}

#[tokio::test(start_paused = true)]
async fn timeline_old_alert_matches_alertmanager() {
    replay("old_alert").await;
}

#[tokio::test(start_paused = true)]
async fn timeline_send_resolved_false_matches_alertmanager() {
    replay("send_resolved_false").await;
}

#[tokio::test(start_paused = true)]
async fn timeline_silence_mid_group_matches_alertmanager() {
    replay("silence_mid_group").await;
}

#[tokio::test(start_paused = true)]
async fn timeline_inhibition_matches_alertmanager() {
    replay("inhibition").await;
}

#[tokio::test(start_paused = true)]
async fn timeline_mute_interval_matches_alertmanager() {
    replay("mute_interval").await;
}
