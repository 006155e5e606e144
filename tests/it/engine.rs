//! The engine across process lifetimes: the real binary killed, stopped, restarted and reloaded, with a local
//! webhook sink and short timers; timings are checked with tolerances. The timers themselves are tested
//! in-process with a paused clock (`timers.rs`).

use std::time::Duration;

use tokio::time::Instant;

use serde_json::{Value, json};

use crate::helpers::{FAST, Herald, Sink, alert, alert_names, assert_near, config, secs};

const TOLERANCE: f64 = 0.45;
const WAIT: Duration = Duration::from_secs(10);

fn resolved(name: &str, instance: &str) -> Value {
    let mut alert = alert(name, instance);
    alert["endsAt"] = json!(chrono::Utc::now().to_rfc3339());
    alert
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
