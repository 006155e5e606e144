//! Silences through the API: Alertmanager's shapes, validation and update rules, persistence, and their
//! effect on notifications.

use std::time::Duration;

use tokio::time::Instant;

use serde_json::{Value, json};

use crate::helpers::{Herald, Sink, assert_near, client, secs};
use crate::in_process::App;

const WAIT: Duration = Duration::from_secs(10);
const CONFIG: &str = "route:\n  receiver: r\nreceivers: [{name: r}]\n";

fn in_hours(hours: i64) -> String {
    (chrono::Utc::now() + chrono::Duration::hours(hours)).to_rfc3339()
}

fn silence_body(matchers: Value) -> Value {
    json!({"matchers": matchers, "startsAt": in_hours(0), "endsAt": in_hours(1), "createdBy": "me", "comment": "why"})
}

async fn post_silence(herald: &Herald, body: &Value) -> (u16, Value) {
    let (status, text) = herald.post_json("/api/v2/silences", body).await;
    (status.as_u16(), serde_json::from_str(&text).unwrap_or(Value::String(text)))
}

async fn delete(herald: &Herald, id: &str) -> u16 {
    client().delete(herald.url(&format!("/api/v2/silence/{id}"))).send().await.expect("answers").status().as_u16()
}

#[tokio::test]
async fn silences_are_created_updated_listed_and_expired() {
    let herald = Herald::start(CONFIG);
    let matchers = json!([{"name": "alertname", "value": "Disk", "isRegex": false}]);
    let (status, created) = post_silence(&herald, &silence_body(matchers.clone())).await;
    assert_eq!(status, 200, "{created}");
    let id = created["silenceID"].as_str().expect("an id").to_string();

    let silence = herald.get_json(&format!("/api/v2/silence/{id}")).await;
    assert_eq!(silence["status"]["state"], "active");
    assert_eq!(silence["matchers"], json!([{"name": "alertname", "value": "Disk", "isRegex": false, "isEqual": true}]));
    assert_eq!((silence["createdBy"].as_str(), silence["comment"].as_str()), (Some("me"), Some("why")));

    // Same matchers and start, a later end: updated in place.
    let mut longer = silence_body(matchers.clone());
    longer["id"] = json!(id);
    longer["startsAt"] = silence["startsAt"].clone();
    longer["endsAt"] = json!(in_hours(2));
    let (status, updated) = post_silence(&herald, &longer).await;
    assert_eq!((status, updated["silenceID"].as_str()), (200, Some(id.as_str())));

    // Other matchers: a new silence, the old one expired.
    let mut other = silence_body(json!([{"name": "alertname", "value": "Cpu", "isRegex": false}]));
    other["id"] = json!(id);
    let (_, replaced) = post_silence(&herald, &other).await;
    let new_id = replaced["silenceID"].as_str().expect("an id").to_string();
    assert_ne!(new_id, id);
    assert_eq!(herald.get_json(&format!("/api/v2/silence/{id}")).await["status"]["state"], "expired");

    let listed = herald.get_json("/api/v2/silences").await;
    let states: Vec<&str> =
        listed.as_array().expect("list").iter().map(|s| s["status"]["state"].as_str().unwrap_or_default()).collect();
    assert_eq!(states, vec!["active", "expired"], "active first");
    let filtered = herald.get_json("/api/v2/silences?filter=alertname%3D%22Cpu%22").await;
    assert_eq!(filtered.as_array().map(Vec::len), Some(1));

    assert_eq!(delete(&herald, &new_id).await, 200);
    assert_eq!(herald.get_json(&format!("/api/v2/silence/{new_id}")).await["status"]["state"], "expired");
    assert_eq!(delete(&herald, &new_id).await, 200, "expiring an expired silence is a no-op");
    assert_eq!(delete(&herald, "8f6c2b1e-0000-4000-8000-000000000000").await, 404);
    assert_eq!(delete(&herald, "not-a-uuid").await, 422);
}

#[tokio::test]
async fn invalid_silences_get_alertmanagers_errors() {
    let herald = Herald::start(CONFIG);
    let good = json!([{"name": "a", "value": "x", "isRegex": false}]);
    let mut no_author = silence_body(good.clone());
    no_author.as_object_mut().expect("object").remove("createdBy");
    assert_eq!(
        post_silence(&herald, &no_author).await,
        (422, json!({"code": 602, "message": "createdBy in body is required"}))
    );
    assert_eq!(
        post_silence(&herald, &silence_body(json!([]))).await,
        (422, json!({"code": 602, "message": "matchers in body should have at least 1 items"}))
    );
    let mut backwards = silence_body(good.clone());
    backwards["endsAt"] = json!(in_hours(-1));
    backwards["startsAt"] = json!(in_hours(0));
    assert_eq!(
        post_silence(&herald, &backwards).await,
        (400, json!("Failed to create silence: start time must be before end time"))
    );
    let mut past = silence_body(good.clone());
    past["startsAt"] = json!(in_hours(-3));
    past["endsAt"] = json!(in_hours(-2));
    assert_eq!(
        post_silence(&herald, &past).await,
        (400, json!("Failed to create silence: end time can't be in the past"))
    );
    let everything = silence_body(json!([{"name": "a", "value": ".*", "isRegex": true}]));
    assert_eq!(
        post_silence(&herald, &everything).await,
        (400, json!("silence invalid: at least one matcher must not match the empty string"))
    );
    let mut unknown = silence_body(good);
    unknown["id"] = json!("8f6c2b1e-0000-4000-8000-000000000000");
    assert_eq!(post_silence(&herald, &unknown).await.0, 404);
}

#[tokio::test]
async fn silences_survive_a_restart() {
    let herald = Herald::start(CONFIG);
    let folder = herald.folder();
    let (_, created) =
        post_silence(&herald, &silence_body(json!([{"name": "a", "value": "x", "isRegex": false}]))).await;
    herald.kill();
    let herald = Herald::start_in(folder);
    let id = created["silenceID"].as_str().expect("id");
    assert_eq!(herald.get_json(&format!("/api/v2/silence/{id}")).await["status"]["state"], "active");
}

#[tokio::test(start_paused = true)]
async fn a_silenced_alert_is_notified_once_the_silence_ends() {
    let sink = Sink::start().await;
    let config = format!(
        "route:\n  receiver: hook\n  group_by: [alertname]\n  group_wait: 1s\n  group_interval: 2s\nreceivers:\n- name: hook\n  webhook_configs: [{{url: '{}/hook'}}]\n",
        sink.url
    );
    let herald = App::start(&config).await;
    let muted = json!([{"name": "alertname", "value": "Muted", "isRegex": false}]);
    let (status, created) = herald.post_json("/api/v2/silences", &silence_body(muted)).await;
    assert_eq!(status, 200, "{created}");
    let id = serde_json::from_str::<Value>(&created).expect("JSON")["silenceID"].as_str().expect("id").to_string();
    let t0 = Instant::now();
    herald.post_alerts(json!([{"labels": {"alertname": "Muted"}}, {"labels": {"alertname": "Heard"}}])).await;
    herald.advance(Duration::from_secs(1)).await;
    let first = sink.wait_for(1, WAIT).await;
    assert_eq!(first[0].body["groupLabels"], json!({"alertname": "Heard"}));
    let listed = herald.get_json("/api/v2/alerts?silenced=false").await;
    assert_eq!(listed.as_array().map(Vec::len), Some(1), "silenced=false hides the silenced alert");
    let muted = herald.get_json("/api/v2/alerts?filter=alertname%3DMuted").await;
    assert_eq!(muted[0]["status"]["silencedBy"], json!([id]));
    assert_eq!(muted[0]["status"]["state"], "suppressed");

    // To each tick, then past it: a timer fires when the clock reaches it, and re-arms from there.
    herald.advance(Duration::from_millis(2000)).await;
    herald.advance(Duration::from_millis(500)).await;
    assert_eq!(sink.received().len(), 1, "nothing while silenced");
    assert_eq!(herald.delete(&format!("/api/v2/silence/{id}")).await, 200);
    herald.advance(Duration::from_millis(1500)).await;
    let received = sink.wait_for(2, WAIT).await;
    assert_eq!(received.len(), 2);
    assert_eq!(received[1].body["groupLabels"], json!({"alertname": "Muted"}));
    assert_near(secs(t0, received[1].at), 5.0, 0.001, "at the group's next tick after the silence ended");
}

#[tokio::test]
async fn a_silence_change_the_store_cannot_commit_is_refused_and_undone() {
    let herald = Herald::start(CONFIG);
    let disk = json!([{"name": "alertname", "value": "Disk", "isRegex": false}]);
    let (status, created) = post_silence(&herald, &silence_body(disk)).await;
    assert_eq!(status, 200, "{created}");
    let id = created["silenceID"].as_str().expect("an id").to_string();
    let cpu = json!([{"name": "alertname", "value": "Cpu", "isRegex": false}]);
    let (_, other) = post_silence(&herald, &silence_body(cpu)).await;
    let other = other["silenceID"].as_str().expect("an id").to_string();

    // Another connection holds the write lock longer than Herald waits for it (5 s).
    let db = rusqlite::Connection::open(herald.folder().path().join("data/herald.db")).expect("database opens");
    db.execute_batch("BEGIN IMMEDIATE").expect("write lock taken");
    let mut replacement = silence_body(json!([{"name": "alertname", "value": "Net", "isRegex": false}]));
    replacement["id"] = json!(id);
    // Both wait for the lock at once (Herald gives up after 5 s).
    let ((status, body), expired) = tokio::join!(post_silence(&herald, &replacement), delete(&herald, &other));
    assert_eq!(status, 503, "{body}");
    assert_eq!(expired, 503, "expiring fails the same way");
    db.execute_batch("ROLLBACK").expect("lock released");

    let listed = herald.get_json("/api/v2/silences").await;
    let listed = listed.as_array().expect("a list");
    assert_eq!(listed.len(), 2, "the replacement was not kept: {listed:?}");
    for silence in listed {
        assert_eq!(silence["status"]["state"], "active", "neither was expired or replaced: {silence}");
    }
    let ids: Vec<&str> = listed.iter().filter_map(|s| s["id"].as_str()).collect();
    assert!(ids.contains(&id.as_str()) && ids.contains(&other.as_str()), "{ids:?}");
}
