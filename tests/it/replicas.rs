//! Several replicas on one Postgres database (Debian's PostgreSQL 15, started by the test): alerts posted to
//! any replica are grouped and notified once, a killed replica's groups are taken over within the bound,
//! silences, acknowledgements and config changes reach every replica, and a restart of them all loses
//! nothing.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::helpers::{FAST, Herald, Sink, alert, client, config, report_missing};
use crate::postgres::{self, Postgres};

/// A new server, or `None` (the test is skipped, unless `HERALD_REQUIRE_TOOLS=1`) without PostgreSQL 15.
fn start_postgres() -> Option<Postgres> {
    if !postgres::installed() {
        report_missing(&format!("{}/initdb", postgres::BIN), "postgresql-15");
        return None;
    }
    Some(Postgres::start())
}

/// Real time allowed for something to happen once it is due.
const WAIT: Duration = Duration::from_secs(20);

/// The failover bound README documents for the default lease (10 s) and heartbeat (2 s).
const FAILOVER_BOUND: Duration = Duration::from_secs(15);

fn replica(postgres: &Postgres, config: &str, name: &str, extra: &[&str]) -> Herald {
    let mut args = vec![format!("--storage.url={}", postgres.url()), format!("--replica.name={name}")];
    args.extend(extra.iter().map(|arg| arg.to_string()));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    Herald::start_with(config, &args, &[])
}

/// Stops a replica (SIGTERM) and starts a new process on its folder.
async fn restart(postgres: &Postgres, old: Herald, name: &str) -> Herald {
    let folder = old.folder();
    // Off the test's thread: the sink answering the replica's last deliveries runs on it.
    let stopped = tokio::task::spawn_blocking(move || old.terminate()).await.expect("joined");
    assert!(stopped.success(), "a replica stops cleanly");
    let args = [format!("--storage.url={}", postgres.url()), format!("--replica.name={name}")];
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    Herald::start_in_with(folder, &args)
}

/// The number after `name ` in a Prometheus text exposition.
async fn metric(herald: &Herald, name: &str) -> Option<f64> {
    let text = client().get(herald.url("/metrics")).send().await.ok()?.text().await.ok()?;
    text.lines().find_map(|line| line.strip_prefix(&format!("{name} "))).and_then(|value| value.trim().parse().ok())
}

/// Waits until every replica sees them all and the 64 shards are shared out among them.
async fn balanced(replicas: &[&Herald]) {
    let deadline = Instant::now() + WAIT;
    loop {
        let mut held = Vec::new();
        for replica in replicas {
            let peers = replica.get_json("/api/v2/status").await["cluster"]["peers"].as_array().map_or(0, Vec::len);
            held.push((peers, metric(replica, "herald_replica_leases_held").await.unwrap_or(0.0) as usize));
        }
        let share = 64usize.div_ceil(replicas.len());
        if held.iter().all(|(peers, leases)| *peers == replicas.len() && *leases >= 64 - share * (replicas.len() - 1))
            && held.iter().map(|(_, leases)| leases).sum::<usize>() == 64
        {
            return;
        }
        assert!(Instant::now() < deadline, "the shards were not shared out: {held:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// The notifications the sink received for each `alertname` group, in order.
fn per_group(sink: &Sink) -> std::collections::BTreeMap<String, Vec<Value>> {
    let mut groups = std::collections::BTreeMap::<String, Vec<Value>>::new();
    for received in sink.received() {
        let name = received.body["groupLabels"]["alertname"].as_str().unwrap_or_default().to_string();
        groups.entry(name).or_default().push(received.body);
    }
    groups
}

fn instances(notification: &Value) -> Vec<String> {
    let mut found: Vec<String> = notification["alerts"]
        .as_array()
        .map(|alerts| alerts.iter().filter_map(|a| a["labels"]["instance"].as_str().map(String::from)).collect())
        .unwrap_or_default();
    found.sort();
    found
}

#[tokio::test]
async fn alerts_posted_to_different_replicas_group_together_and_are_notified_once() {
    let Some(postgres) = start_postgres() else { return };
    let sink = Sink::start().await;
    let config = config(&sink, "  group_wait: 2s\n  group_interval: 3s\n  repeat_interval: 1h\n");
    let (a, b) = (replica(&postgres, &config, "a", &[]), replica(&postgres, &config, "b", &[]));
    balanced(&[&a, &b]).await;
    assert_eq!(metric(&a, "alertmanager_cluster_enabled").await, Some(1.0));
    let status = b.get_json("/api/v2/status").await;
    assert_eq!(status["cluster"]["status"], "ready");
    let name = status["cluster"]["name"].as_str().expect("a name").to_string();
    assert!(name.starts_with("b#"), "{name}");
    let peers: Vec<&str> =
        status["cluster"]["peers"].as_array().expect("peers").iter().filter_map(|p| p["name"].as_str()).collect();
    assert!(peers.contains(&name.as_str()) && peers.iter().any(|peer| peer.starts_with("a#")), "{peers:?}");

    a.post_alerts(json!([alert("Disk", "one")])).await;
    b.post_alerts(json!([alert("Disk", "two")])).await;
    sink.wait_for(1, WAIT).await;
    // Two more group intervals: a second replica notifying the group would have done so by now.
    tokio::time::sleep(Duration::from_secs(7)).await;
    let groups = per_group(&sink);
    assert_eq!(groups.len(), 1, "{groups:?}");
    assert_eq!(groups["Disk"].len(), 1, "notified once: {:?}", groups["Disk"]);
    assert_eq!(instances(&groups["Disk"][0]), ["one", "two"], "both replicas' alerts in the one group");
    for replica in [&a, &b] {
        let listed = replica.get_json("/api/v2/alerts/groups").await;
        let alerts = listed[0]["alerts"].as_array().map_or(0, Vec::len);
        assert_eq!((listed.as_array().map_or(0, Vec::len), alerts), (1, 2), "every replica lists the group: {listed}");
    }
}

#[tokio::test]
async fn identical_posts_to_every_replica_notify_once() {
    let Some(postgres) = start_postgres() else { return };
    let sink = Sink::start().await;
    let config = config(&sink, "  group_wait: 1s\n  group_interval: 2s\n  repeat_interval: 1h\n");
    let replicas = [
        replica(&postgres, &config, "a", &[]),
        replica(&postgres, &config, "b", &[]),
        replica(&postgres, &config, "c", &[]),
    ];
    balanced(&replicas.iter().collect::<Vec<_>>()).await;

    // As Prometheus does: the same alerts to every Alertmanager, again at each evaluation.
    let batch = json!([alert("Api", "x"), alert("Api", "y"), alert("Queue", "z")]);
    for _ in 0..6 {
        for replica in &replicas {
            replica.post_alerts(batch.clone()).await;
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    tokio::time::sleep(Duration::from_secs(3)).await;
    let groups = per_group(&sink);
    assert_eq!(groups.keys().collect::<Vec<_>>(), ["Api", "Queue"]);
    assert_eq!(groups["Api"].len(), 1, "{:?}", groups["Api"]);
    assert_eq!(groups["Queue"].len(), 1, "{:?}", groups["Queue"]);
    assert_eq!(instances(&groups["Api"][0]), ["x", "y"]);
    let listed = replicas[2].get_json("/api/v2/alerts").await;
    assert_eq!(listed.as_array().map_or(0, Vec::len), 3, "one alert each, not one per replica: {listed}");
}

#[tokio::test]
async fn the_groups_of_a_killed_replica_are_notified_once_by_another_within_the_bound() {
    let Some(postgres) = start_postgres() else { return };
    let sink = Sink::start().await;
    let config = config(&sink, "  group_wait: 2s\n  group_interval: 1m\n  repeat_interval: 1h\n");
    // The default lease and heartbeat: the bound tested is the one README gives.
    let (doomed, survivor) = (replica(&postgres, &config, "doomed", &[]), replica(&postgres, &config, "survivor", &[]));
    balanced(&[&doomed, &survivor]).await;

    let names: Vec<String> = (0..16).map(|i| format!("G{i:02}")).collect();
    let alerts: Vec<Value> = names.iter().map(|name| alert(name, "x")).collect();
    doomed.post_alerts(Value::Array(alerts)).await;
    // Stored before the 200: the survivor has them from the database, whoever owned their groups.
    let killed_at = tokio::time::Instant::now();
    doomed.kill();
    sink.wait_for(names.len(), FAILOVER_BOUND + Duration::from_secs(5)).await;
    let took = killed_at.elapsed();
    // Long enough for any second notification of a group to show.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let groups = per_group(&sink);
    assert_eq!(groups.keys().cloned().collect::<Vec<_>>(), names, "every group notified");
    for (name, sent) in &groups {
        assert_eq!(sent.len(), 1, "{name} notified once: {sent:?}");
    }
    assert!(took <= FAILOVER_BOUND, "the last group was notified {took:?} after the kill");
    // The groups the killed replica owned waited for its leases to run out (about 16 × ½ of them; that
    // none was its is a chance of 1 in 65,536).
    let taken_over = sink.received().iter().filter(|r| r.at.duration_since(killed_at) > Duration::from_secs(5)).count();
    assert!(taken_over > 0, "some groups were the killed replica's and were taken over");
    assert!(
        survivor.logs().contains("Notification sent."),
        "the survivor notified (the killed replica could not): {}",
        survivor.logs()
    );
}

#[tokio::test]
async fn silences_acknowledgements_and_config_changes_made_on_one_replica_hold_on_the_others() {
    let Some(postgres) = start_postgres() else { return };
    let sink = Sink::start().await;
    let hook = |name: &str| format!("- name: {name}\n  webhook_configs:\n  - url: {}/{name}\n", sink.url);
    let config = format!(
        "route:\n  receiver: oncall\n  group_by: [alertname]\n{FAST}  escalation:\n    - after: 4s\n      receiver: boss\n\
         receivers:\n{}{}",
        hook("oncall"),
        hook("boss")
    );
    let (a, b) = (replica(&postgres, &config, "a", &[]), replica(&postgres, &config, "b", &[]));
    balanced(&[&a, &b]).await;

    let silence = json!({"matchers": [{"name": "alertname", "value": "Quiet", "isRegex": false}],
        "startsAt": chrono::Utc::now().to_rfc3339(), "endsAt": (chrono::Utc::now() + chrono::Duration::hours(1)).to_rfc3339(),
        "createdBy": "test", "comment": "maintenance"});
    let (status, body) = a.post_json("/api/v2/silences", &silence).await;
    assert_eq!(status, 200, "{body}");
    let created = Instant::now();
    let id = serde_json::from_str::<Value>(&body).expect("JSON")["silenceID"].as_str().expect("id").to_string();
    while b.get_json("/api/v2/silences").await.as_array().map_or(0, Vec::len) == 0 {
        assert!(created.elapsed() < Duration::from_secs(2), "the silence reached the other replica within 2 s");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(b.get_json(&format!("/api/v2/silence/{id}")).await["comment"], "maintenance");

    for replica in [&a, &b] {
        replica.post_alerts(json!([alert("Quiet", "x"), alert("Loud", "y")])).await;
    }
    let first = sink.wait_for(1, WAIT).await;
    assert_eq!(first[0].body["groupLabels"]["alertname"], "Loud");
    let groups = b.get_json("/api/herald/groups").await;
    let loud = groups["groups"].as_array().and_then(|g| g.iter().find(|g| g["labels"]["alertname"] == "Loud").cloned());
    let id = loud.expect("the Loud group")["id"].as_str().expect("id").to_string();
    let (status, body) = b.post_json(&format!("/api/herald/groups/{id}/ack"), &json!({"by": "alice"})).await;
    assert_eq!(status, 200, "{body}");
    // The level was due 4 s after the group began firing: past it, nobody was paged.
    tokio::time::sleep(Duration::from_secs(6)).await;
    let paths: Vec<String> = sink.received().iter().map(|r| r.path.clone()).collect();
    assert_eq!(paths, ["/oncall"], "the silenced group never, the acknowledged one not escalated");
    let seen_on_a = a.get_json(&format!("/api/herald/groups/{id}")).await;
    assert_eq!(seen_on_a["acknowledgement"]["by"], "alice", "{seen_on_a}");

    let changed = config.replace("after: 4s", "after: 30s");
    let response = client()
        .put(a.url("/api/herald/config"))
        .header("content-type", "application/yaml")
        .body(changed)
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), 200, "{}", response.text().await.unwrap_or_default());
    let etag = response.headers().get("etag").and_then(|v| v.to_str().ok()).expect("ETag").to_string();
    let deadline = Instant::now() + Duration::from_secs(3);
    loop {
        let seen = client().get(b.url("/api/herald/config")).send().await.expect("sent");
        if seen.headers().get("etag").and_then(|v| v.to_str().ok()) == Some(etag.as_str()) {
            assert!(seen.text().await.expect("body").contains("after: 30s"));
            break;
        }
        assert!(Instant::now() < deadline, "the config change reached the other replica: {}", b.logs());
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    // Another replica took the next version number first (written here behind the replicas' backs): the
    // change is refused with the reason and nothing changes.
    postgres.sql(
        "INSERT INTO config_versions (number, data) SELECT max(number) + 1, '{\"number\":0,\"at\":0,\"author\":\"x\",\
         \"comment\":\"\",\"source\":\"api\",\"hash\":\"x\",\"text\":\"\"}' FROM config_versions",
    );
    let response = client()
        .put(b.url("/api/herald/config"))
        .body(config.replace("after: 4s", "after: 40s"))
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), 409);
    let refusal: Value = response.json().await.expect("JSON");
    assert_eq!(refusal["code"], "conflict", "{refusal}");
    for replica in [&a, &b] {
        let seen = client().get(replica.url("/api/herald/config")).send().await.expect("sent");
        assert_eq!(seen.headers().get("etag").and_then(|v| v.to_str().ok()), Some(etag.as_str()), "nothing changed");
    }
}

#[tokio::test]
async fn all_replicas_restarted_lose_nothing_and_an_outage_of_the_database_is_answered_503_then_recovered() {
    let Some(mut postgres) = start_postgres() else { return };
    let sink = Sink::start().await;
    let config = config(&sink, "  group_wait: 1s\n  group_interval: 2s\n  repeat_interval: 1h\n");
    let (a, b) = (replica(&postgres, &config, "a", &[]), replica(&postgres, &config, "b", &[]));
    balanced(&[&a, &b]).await;
    a.post_alerts(json!([alert("Kept", "one")])).await;
    b.post_alerts(json!([alert("Kept", "two")])).await;
    let silence = json!({"matchers": [{"name": "alertname", "value": "Muted", "isRegex": false}],
        "startsAt": chrono::Utc::now().to_rfc3339(), "endsAt": (chrono::Utc::now() + chrono::Duration::hours(1)).to_rfc3339(),
        "createdBy": "test", "comment": "kept too"});
    assert_eq!(b.post_json("/api/v2/silences", &silence).await.0, 200);
    sink.wait_for(1, WAIT).await;

    // Every replica goes; new processes on the same database find everything.
    let (a2, b2) = (restart(&postgres, a, "a").await, restart(&postgres, b, "b").await);
    balanced(&[&a2, &b2]).await;
    for replica in [&a2, &b2] {
        assert_eq!(replica.get_json("/api/v2/alerts").await.as_array().map_or(0, Vec::len), 2, "alerts kept");
        assert_eq!(replica.get_json("/api/v2/silences").await[0]["comment"], "kept too", "silence kept");
    }
    tokio::time::sleep(Duration::from_secs(4)).await;
    assert_eq!(
        sink.received().len(),
        1,
        "the notification log was kept: nothing sent twice: {:?}\n{}\n{}",
        sink.received().iter().map(|r| r.raw.clone()).collect::<Vec<_>>(),
        a2.logs(),
        b2.logs()
    );

    // The database goes away: writes are refused, not lost quietly; it comes back and so do the replicas.
    postgres.stop();
    let (status, _) = a2.post_json("/api/v2/alerts", &json!([alert("During", "outage")])).await;
    assert_eq!(status, 503, "a write the database cannot take is answered 503");
    postgres.resume();
    let deadline = Instant::now() + WAIT;
    loop {
        let (status, _) = a2.post_json("/api/v2/alerts", &json!([alert("After", "outage")])).await;
        if status == 200 {
            break;
        }
        assert!(Instant::now() < deadline, "the replica did not recover: {}", a2.logs());
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let notified = sink.wait_for(2, WAIT).await;
    assert_eq!(notified.last().map(|r| r.body["groupLabels"]["alertname"].clone()), Some(json!("After")));
    let deadline = Instant::now() + Duration::from_secs(5);
    while b2.get_json("/api/v2/alerts?filter=alertname%3D%22After%22").await.as_array().map_or(0, Vec::len) != 1 {
        assert!(Instant::now() < deadline, "the other replica follows again after the outage");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn a_replica_that_missed_pruned_changes_reloads_the_stored_state_and_a_stale_config_file_does_not_win() {
    let Some(postgres) = start_postgres() else { return };
    let sink = Sink::start().await;
    let config = config(&sink, FAST);
    let (a, b) = (replica(&postgres, &config, "a", &[]), replica(&postgres, &config, "b", &[]));
    balanced(&[&a, &b]).await;

    // b stops reading (SIGSTOP); meanwhile a silence is made on a and the feed is pruned past it.
    b.signal("STOP");
    let silence = json!({"matchers": [{"name": "alertname", "value": "Missed", "isRegex": false}],
        "startsAt": chrono::Utc::now().to_rfc3339(), "endsAt": (chrono::Utc::now() + chrono::Duration::hours(1)).to_rfc3339(),
        "createdBy": "test", "comment": "made while b slept"});
    assert_eq!(a.post_json("/api/v2/silences", &silence).await.0, 200);
    postgres.sql("UPDATE feed_state SET pruned_through = (SELECT max(seq) FROM changes); DELETE FROM changes");
    b.signal("CONT");
    let deadline = Instant::now() + Duration::from_secs(5);
    while b.get_json("/api/v2/silences").await.as_array().map_or(0, Vec::len) == 0 {
        assert!(Instant::now() < deadline, "b reloaded the stored state: {}", b.logs());
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(b.logs().contains("it reloads the stored state"));

    // b is stopped while the config changes on a; its file then holds the earlier version, and its restart
    // must put the latest in force rather than take a back.
    let changed = config.replace("repeat_interval: 1h", "repeat_interval: 2h");
    let folder = b.folder();
    assert!(tokio::task::spawn_blocking(move || b.terminate()).await.expect("joined").success());
    let response = client().put(a.url("/api/herald/config")).body(changed.clone()).send().await.expect("sent");
    assert_eq!(response.status(), 200);
    let etag = response.headers().get("etag").and_then(|v| v.to_str().ok()).expect("ETag").to_string();
    let args = [format!("--storage.url={}", postgres.url()), "--replica.name=b".to_string()];
    let b = Herald::start_in_with(folder, &args.iter().map(String::as_str).collect::<Vec<_>>());
    balanced(&[&a, &b]).await;
    for replica in [&a, &b] {
        let seen = client().get(replica.url("/api/herald/config")).send().await.expect("sent");
        assert_eq!(seen.headers().get("etag").and_then(|v| v.to_str().ok()), Some(etag.as_str()));
    }
    assert!(std::fs::read_to_string(&b.config).expect("readable").contains("repeat_interval: 2h"), "b's file updated");
}
