//! Reliability: what Herald answers when its store cannot take writes, and that it recovers by itself.

use std::time::Duration;

use serde_json::json;

use crate::helpers::{Herald, client, client_builder};

const CONFIG: &str = "route:\n  receiver: r\nreceivers: [{name: r}]\n";

async fn status_of(herald: &Herald, path: &str) -> (u16, String) {
    let response = client().get(herald.url(path)).send().await.expect("answers");
    (response.status().as_u16(), response.text().await.expect("body"))
}

/// Polls `/-/ready` until it answers `want`, at most `limit`.
async fn ready_becomes(herald: &Herald, want: u16, limit: Duration) -> (u16, String) {
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        let answer = status_of(herald, "/-/ready").await;
        if answer.0 == want || tokio::time::Instant::now() > deadline {
            return answer;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn a_locked_store_is_answered_503_reported_unready_and_recovered_from_by_itself() {
    let herald = Herald::start(CONFIG);
    let db = rusqlite::Connection::open(herald.folder().path().join("data/herald.db")).expect("database opens");
    db.execute_batch("BEGIN IMMEDIATE").expect("write lock taken");

    // A client that gives up before the commit is decided: its alert must not stay in memory.
    let impatient = client_builder().timeout(Duration::from_millis(500)).build().expect("client");
    let gave_up = impatient
        .post(herald.url("/api/v2/alerts"))
        .json(&json!([{"labels": {"alertname": "Abandoned"}}]))
        .send()
        .await;
    assert!(gave_up.is_err(), "the client timed out");

    let response = client()
        .post(herald.url("/api/v2/alerts"))
        .json(&json!([{"labels": {"alertname": "Refused"}}]))
        .send()
        .await
        .expect("answers");
    assert_eq!(response.status().as_u16(), 503, "never 200 for what is not stored");
    assert_eq!(response.headers()["retry-after"], "5");
    let (status, reason) = ready_becomes(&herald, 503, Duration::from_secs(10)).await;
    assert_eq!(status, 503);
    assert!(reason.starts_with("not ready: "), "{reason}");
    assert_eq!(status_of(&herald, "/-/healthy").await.0, 200, "the process is alive; only writes fail");

    db.execute_batch("ROLLBACK").expect("lock released");
    let (status, reason) = ready_becomes(&herald, 200, Duration::from_secs(10)).await;
    assert_eq!(status, 200, "ready again without a restart: {reason}");
    let names = |listed: serde_json::Value| -> Vec<String> {
        let mut names: Vec<String> = listed
            .as_array()
            .expect("a list")
            .iter()
            .filter_map(|alert| alert["labels"]["alertname"].as_str().map(String::from))
            .collect();
        names.sort();
        names
    };
    let in_memory = names(herald.get_json("/api/v2/alerts").await);
    assert!(in_memory.is_empty(), "neither the refused nor the abandoned alert is kept: {in_memory:?}");
    // A write answered 503 is not written later either: what is in memory is what is on disk.
    let folder = herald.folder();
    herald.kill();
    let herald = Herald::start_in(folder);
    assert_eq!(names(herald.get_json("/api/v2/alerts").await), in_memory, "memory and store agree");
    herald.post_alerts(json!([{"labels": {"alertname": "Later"}}])).await;
    assert!(names(herald.get_json("/api/v2/alerts").await).contains(&"Later".to_string()));
}
