//! Reliability: what Herald answers when its store cannot take writes, and that it recovers by itself.

use std::io::Write;
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
    // The answer carries an error id, and the log line with the full cause has the same one.
    let error_id = response.headers()["x-error-id"].to_str().expect("ASCII").to_string();
    assert_eq!(error_id.len(), 16, "{error_id}");
    let body: String = response.json().await.expect("a JSON string");
    assert!(body.ends_with(&format!("(error id {error_id})")), "{body}");
    let logged = herald.wait_for_log(&format!("error_id={error_id}"), Duration::from_secs(5)).await;
    let line = logged.lines().find(|line| line.contains(&format!("error_id={error_id}"))).expect("logged");
    assert!(line.contains("Request refused: the store cannot take writes now.") && line.contains("error="), "{line}");
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

#[tokio::test(start_paused = true)]
async fn a_client_that_sends_its_request_head_slowly_is_cut_off() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let app = crate::in_process::App::start(CONFIG).await;
    let mut slow = tokio::net::TcpStream::connect(&app.address).await.expect("connects");
    slow.write_all(b"GET /-/healthy HTTP/1.1\r\nHost: x\r\n").await.expect("writes part of a head");
    crate::in_process::settle().await;
    app.advance(Duration::from_secs(9)).await;
    assert!(app.get_json("/api/v2/alerts").await.is_array(), "other clients are served meanwhile");
    let mut rest = Vec::new();
    assert!(
        crate::helpers::within(Duration::from_millis(200), slow.read_to_end(&mut rest)).await.is_none(),
        "still open before 10 s"
    );
    app.advance(Duration::from_secs(1)).await;
    let read = crate::helpers::within(Duration::from_secs(10), slow.read_to_end(&mut rest)).await;
    assert!(read.is_some(), "closed at 10 s");
    assert!(rest.is_empty(), "and never answered: {}", String::from_utf8_lossy(&rest));
}

#[tokio::test]
async fn sigterm_with_a_slow_client_and_a_hanging_receiver_exits_within_its_deadline() {
    use tokio::io::AsyncWriteExt;
    let sink = crate::helpers::Sink::start().await;
    sink.delays.lock().expect("delays").push(60_000);
    let herald = Herald::start(&crate::helpers::config(&sink, "  group_wait: 0s\n"));
    herald.post_alerts(json!([{"labels": {"alertname": "Hang"}}])).await;
    sink.wait_for(1, Duration::from_secs(10)).await;
    let mut slow = tokio::net::TcpStream::connect(&herald.address).await.expect("connects");
    slow.write_all(b"POST /api/v2/alerts HTTP/1.1\r\n").await.expect("writes part of a head");

    let started = std::time::Instant::now();
    let status = tokio::task::spawn_blocking(move || herald.terminate()).await.expect("joins");
    let took = started.elapsed();
    assert!(status.success(), "{status:?}");
    // Deliveries in flight get 5 s, then the state is written; the slow connection does not hold the exit.
    assert!(took < Duration::from_secs(8), "exited after {took:?}");
}

#[tokio::test]
async fn a_second_signal_exits_at_once() {
    let sink = crate::helpers::Sink::start().await;
    sink.delays.lock().expect("delays").push(60_000);
    let herald = Herald::start(&crate::helpers::config(&sink, "  group_wait: 0s\n"));
    herald.post_alerts(json!([{"labels": {"alertname": "Hang"}}])).await;
    sink.wait_for(1, Duration::from_secs(10)).await;
    herald.signal("TERM");
    herald.wait_for_log("Shutting down.", Duration::from_secs(5)).await;
    let started = std::time::Instant::now();
    let status = tokio::task::spawn_blocking(move || herald.terminate()).await.expect("joins");
    assert_eq!(status.code(), Some(1), "the second signal ends it at once: {status:?}");
    assert!(started.elapsed() < Duration::from_secs(2), "{:?}", started.elapsed());
}

#[tokio::test(start_paused = true)]
async fn a_client_that_sends_its_body_slowly_gets_408() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let app = crate::in_process::App::start(CONFIG).await;
    let mut slow = tokio::net::TcpStream::connect(&app.address).await.expect("connects");
    let head =
        "POST /api/v2/alerts HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n[";
    slow.write_all(head.as_bytes()).await.expect("writes the head and a byte of the body");
    crate::in_process::settle().await;
    app.advance(Duration::from_secs(59)).await;
    assert!(app.get_json("/api/v2/alerts").await.is_array(), "other requests are served meanwhile");
    app.advance(Duration::from_secs(2)).await;
    let mut answer = vec![0u8; 256];
    let read = crate::helpers::within(Duration::from_secs(10), slow.read(&mut answer)).await;
    let answer = String::from_utf8_lossy(&answer[..read.and_then(Result::ok).unwrap_or(0)]).into_owned();
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
}

#[tokio::test]
async fn request_limits_are_configurable_and_answered_with_clear_4xx() {
    let herald = Herald::start_with(
        CONFIG,
        &[
            "--alerts.max-per-request=4",
            "--alerts.max-labels=3",
            "--alerts.max-value-bytes=16",
            "--alerts.max-name-bytes=10",
            "--web.max-request-bytes=2000",
        ],
        &[],
    );
    let post = |body: serde_json::Value| {
        let url = herald.url("/api/v2/alerts");
        async move {
            let response = client().post(url).json(&body).send().await.expect("answers");
            (response.status().as_u16(), response.text().await.expect("body"))
        }
    };
    let five: Vec<serde_json::Value> = (0..5).map(|i| json!({"labels": {"a": i.to_string()}})).collect();
    let (status, body) = post(json!(five)).await;
    let expected = r#"{"code":400,"message":"the body holds 5 alerts, more than the limit of 4 a request"}"#;
    assert_eq!((status, body.as_str()), (400, expected));

    let (status, body) = post(json!([
        {"labels": {"alertname": "Fine"}},
        {"labels": {"alertname": "x".repeat(17)}},
        {"labels": {"a": "1", "b": "2", "c": "3", "d": "4"}},
        {"labels": {"alertname": "A"}, "annotations": {"a_very_long_name": "x"}},
    ]))
    .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(
        serde_json::from_str::<String>(&body).unwrap_or_else(|_| panic!("a JSON string: {body}")),
        "alerts[1]: the value of labels \"alertname\" is 17 bytes, more than the limit of 16; \
         alerts[2]: 4 labels, more than the limit of 3; \
         alerts[3]: a name in annotations is 16 bytes, more than the limit of 10"
    );
    let listed = herald.get_json("/api/v2/alerts").await;
    assert_eq!(listed.as_array().map(Vec::len), Some(1), "the valid alert is stored: {listed}");

    let big = json!([{"labels": {"alertname": "Big"}, "annotations": {"text": "x".repeat(3000)}}]);
    assert_eq!(post(big).await.0, 413);
}

/// A small tmpfs mounted for a test, unmounted when dropped.
struct SmallDisk {
    path: std::path::PathBuf,
    _parent: tempfile::TempDir,
}

impl SmallDisk {
    /// Mounts a tmpfs of `megabytes`; `None` where this machine does not allow it (not root, no capability).
    fn mount(megabytes: u32) -> Option<SmallDisk> {
        let parent = tempfile::tempdir().expect("temp dir");
        let path = parent.path().join("disk");
        std::fs::create_dir(&path).expect("mount point");
        let mounted = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={megabytes}m"), "tmpfs"])
            .arg(&path)
            .output()
            .is_ok_and(|output| output.status.success());
        mounted.then_some(SmallDisk { path, _parent: parent })
    }

    /// Writes a file until the disk is full; returns its path.
    fn fill(&self) -> std::path::PathBuf {
        use std::io::Write;
        let filler = self.path.join("filler");
        let mut file = std::fs::File::create(&filler).expect("filler created");
        let chunk = vec![0u8; 64 * 1024];
        while file.write_all(&chunk).is_ok() {}
        let _ = file.sync_all();
        filler
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount").arg("-l").arg(&self.path).status();
    }
}

#[tokio::test]
async fn a_full_disk_is_answered_503_and_herald_recovers_when_space_is_freed() {
    let Some(disk) = SmallDisk::mount(8) else {
        use std::io::Write;
        let _ = writeln!(std::io::stderr(), "skipped: the full-disk test needs to mount a tmpfs (root)");
        return;
    };
    let storage = format!("--storage.path={}", disk.path.join("data").display());
    let herald = Herald::start_with(CONFIG, &[&storage], &[]);
    herald.post_alerts(json!([{"labels": {"alertname": "Before"}}])).await;

    let filler = disk.fill();
    let mut refused = 0;
    for i in 0..20 {
        let labels = json!({"alertname": "DuringFull", "i": i.to_string(), "pad": "x".repeat(2000)});
        let response = client()
            .post(herald.url("/api/v2/alerts"))
            .json(&json!([{"labels": labels}]))
            .send()
            .await
            .expect("answers");
        match response.status().as_u16() {
            200 => {}
            503 => refused += 1,
            other => panic!("unexpected {other}: {}", response.text().await.unwrap_or_default()),
        }
    }
    assert!(refused > 0, "a full disk refuses writes");
    assert_eq!(ready_becomes(&herald, 503, Duration::from_secs(5)).await.0, 503);

    std::fs::remove_file(filler).expect("space freed");
    let (status, reason) = ready_becomes(&herald, 200, Duration::from_secs(10)).await;
    assert_eq!(status, 200, "ready again without a restart: {reason}");
    herald.post_alerts(json!([{"labels": {"alertname": "After"}}])).await;
    let in_memory = herald.get_json("/api/v2/alerts").await;
    let folder = herald.folder();
    herald.kill();
    let herald = Herald::start_in_with(folder, &[&storage]);
    assert_eq!(herald.get_json("/api/v2/alerts").await, in_memory, "what was answered 200 is on disk, nothing else");
}

/// A random number from the standard library's per-process keys (for kill moments).
fn random_below(limit: u64) -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u64(0);
    hasher.finish() % limit.max(1)
}

#[tokio::test]
async fn sigkill_at_random_moments_loses_no_acknowledged_alert_and_skips_no_group() {
    let sink = crate::helpers::Sink::start().await;
    let config = crate::helpers::config(&sink, "  group_wait: 300ms\n  group_interval: 1s\n  repeat_interval: 1h\n");
    let mut herald = Herald::start(&config);
    let folder = herald.folder();
    let mut acknowledged: Vec<String> = Vec::new();
    let rounds = 4;
    for round in 0..rounds {
        // Posts new alerts (one group each) as fast as answers come, until the kill.
        let url = herald.url("/api/v2/alerts");
        let poster = tokio::spawn(async move {
            let mut ok = Vec::new();
            for i in 0..10_000 {
                let name = format!("R{round}A{i}");
                let posted = client().post(&url).json(&json!([{"labels": {"alertname": name}}])).send().await;
                match posted {
                    Ok(response) if response.status() == 200 => ok.push(name),
                    _ => break,
                }
            }
            ok
        });
        tokio::time::sleep(Duration::from_millis(300 + random_below(900))).await;
        herald.kill();
        acknowledged.extend(poster.await.expect("the poster ends"));
        herald = Herald::start_in(folder.clone());
    }
    assert!(acknowledged.len() > 20, "alerts were posted: {}", acknowledged.len());

    // Every acknowledged alert is there after the restarts, and every group gets notified.
    let listed = herald.get_json("/api/v2/alerts").await;
    let listed: std::collections::HashSet<String> = listed
        .as_array()
        .expect("a list")
        .iter()
        .filter_map(|a| a["labels"]["alertname"].as_str().map(String::from))
        .collect();
    let lost: Vec<&String> = acknowledged.iter().filter(|name| !listed.contains(*name)).collect();
    assert!(lost.is_empty(), "{} of {} acknowledged alerts lost: {lost:?}", lost.len(), acknowledged.len());

    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    let mut notified: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    loop {
        notified.clear();
        for received in sink.received() {
            if let Some(name) = received.body["groupLabels"]["alertname"].as_str() {
                *notified.entry(name.to_string()).or_default() += 1;
            }
        }
        if acknowledged.iter().all(|name| notified.contains_key(name)) || tokio::time::Instant::now() > deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let skipped: Vec<&String> = acknowledged.iter().filter(|name| !notified.contains_key(*name)).collect();
    assert!(skipped.is_empty(), "groups never notified: {skipped:?}");
    // A group notified just before a kill, whose log entry was not yet on disk, is notified again after the
    // restart: the at-least-once window. Each kill can repeat at most the sends in flight at that moment.
    let duplicates: usize = notified.values().map(|count| count - 1).sum();
    let _ = writeln!(
        std::io::stderr(),
        "kill test: {} alerts acknowledged over {rounds} kills, none lost, {} groups notified, {duplicates} repeated",
        acknowledged.len(),
        notified.len()
    );
    assert!(duplicates <= acknowledged.len() / 2, "{duplicates} repeats for {} groups", acknowledged.len());
}

/// Answers every request with 500 and a 20 MiB body.
async fn huge_error_server() -> String {
    let app = axum::Router::new()
        .fallback(|| async { (axum::http::StatusCode::INTERNAL_SERVER_ERROR, "x".repeat(20 * 1024 * 1024)) });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("binds");
    let address = listener.local_addr().expect("bound");
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{address}")
}

#[tokio::test(start_paused = true)]
async fn failing_receivers_are_each_bounded_and_slow_neither_the_others_nor_ingest() {
    use crate::helpers::Sink;
    let healthy = Sink::start().await;
    let hanging = Sink::start().await;
    hanging.delays.lock().expect("delays").extend([3_600_000; 8]);
    let failing = Sink::start().await;
    failing.script.lock().expect("script").extend([(500, None); 50]);
    let limited = Sink::start().await;
    limited.script.lock().expect("script").extend([(429, Some(3)); 50]);
    let huge = huge_error_server().await;
    let closed = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("binds");
    let refused = format!("http://{}", closed.local_addr().expect("bound"));
    drop(closed);
    let config = format!(
        "route:\n  receiver: all\n  group_by: [alertname]\n  group_wait: 1s\n  group_interval: 5s\nreceivers:\n- name: all\n  webhook_configs:\n  - url: {}/ok\n  - url: {}/hang\n  - url: {}/fail\n  - url: {}/limited\n  - url: {huge}/huge\n  - url: {refused}/refused\n",
        healthy.url, hanging.url, failing.url, limited.url
    );
    let app = crate::in_process::App::start(&config).await;
    let t0 = tokio::time::Instant::now();
    app.post_alerts(json!([{"labels": {"alertname": "First"}}])).await;
    app.advance(Duration::from_secs(1)).await;
    let first = healthy.wait_for(1, Duration::from_secs(10)).await;
    assert_eq!(first.len(), 1);
    assert_eq!(first[0].at - t0, Duration::from_secs(1), "the healthy receiver is not held up by the others");

    // Ingest goes on while five integrations fail, retry and hang.
    for _ in 0..10 {
        app.advance(Duration::from_millis(500)).await;
    }
    app.post_alerts(json!([{"labels": {"alertname": "Second"}}])).await;
    app.advance(Duration::from_secs(1)).await;
    let second = healthy.wait_for(2, Duration::from_secs(10)).await;
    assert_eq!(second.len(), 2, "the second group reaches the healthy receiver");
    assert_eq!(second[1].at - t0, Duration::from_secs(7), "at its own group_wait");
    for _ in 0..20 {
        app.advance(Duration::from_secs(1)).await;
    }
    let groups = app.get_json("/api/v2/alerts/groups").await;
    assert_eq!(groups.as_array().map(Vec::len), Some(2), "both groups are still kept for the failing receivers");
    assert_eq!(healthy.received().len(), 2, "the healthy receiver is notified once per group, not at each retry");
    assert!(failing.received().len() >= 4, "500s are retried: {}", failing.received().len());
    assert!(limited.received().len() >= 2, "429s are retried after Retry-After: {}", limited.received().len());
    let waits: Vec<Duration> = limited.received().windows(2).map(|pair| pair[1].at - pair[0].at).collect();
    assert!(waits.iter().all(|wait| *wait >= Duration::from_secs(3)), "never sooner than Retry-After: {waits:?}");
}
