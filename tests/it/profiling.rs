//! `/debug/pprof/profile`: off by default; when enabled, a gzipped pprof CPU profile of the running process
//! naming Herald's functions, one at a time, behind the API token when there is one.

use std::io::Read;
use std::time::Duration;

use serde_json::{Value, json};

use crate::helpers::{Herald, alert, client};

const CONFIG: &str = "route:\n  receiver: x\nreceivers:\n- name: x\n";

async fn get(herald: &Herald, path: &str, token: Option<&str>) -> reqwest::Response {
    let mut request = client().get(herald.url(path));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request.send().await.expect("sent")
}

#[tokio::test]
async fn profiles_are_off_unless_enabled() {
    let herald = Herald::start(CONFIG);
    let answer = get(&herald, "/debug/pprof/profile?seconds=1", None).await;
    assert_eq!(answer.status().as_u16(), 404);
    let body: Value = answer.json().await.expect("JSON");
    assert_eq!(body["code"], "profiling_off");
    assert!(body["detail"].as_str().unwrap_or_default().contains("--web.enable-pprof"), "{body}");
}

#[tokio::test]
async fn a_cpu_profile_of_the_busy_process_comes_back_in_pprof_format() {
    let herald = Herald::start_with(CONFIG, &["--web.enable-pprof"], &[]);
    for bad in ["abc", "0", "-1", "301", "1.5"] {
        let answer = get(&herald, &format!("/debug/pprof/profile?seconds={bad}"), None).await;
        assert_eq!(answer.status().as_u16(), 400, "seconds={bad}");
        let body: Value = answer.json().await.expect("JSON");
        assert_eq!(body["code"], "invalid_seconds", "{body}");
    }
    let profiling = tokio::spawn({
        let url = herald.url("/debug/pprof/profile?seconds=2");
        async move { client().get(url).send().await.expect("sent") }
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    let second = get(&herald, "/debug/pprof/profile?seconds=1", None).await;
    assert_eq!(second.status().as_u16(), 409, "one profile at a time");
    // Work for the profiler to see: alerts posted until the profile is done (bounded in count and time).
    let until = tokio::time::Instant::now() + Duration::from_secs(10);
    let mut batch = 0;
    while !profiling.is_finished() && tokio::time::Instant::now() < until && batch < 2000 {
        let alerts: Vec<Value> = (0..200).map(|i| alert(&format!("Load{batch}"), &format!("host-{i}"))).collect();
        herald.post_json("/api/v2/alerts", &json!(alerts)).await;
        batch += 1;
    }
    let answer = profiling.await.expect("joined");
    assert_eq!(answer.status().as_u16(), 200);
    assert_eq!(answer.headers()["content-type"], "application/octet-stream");
    assert_eq!(answer.headers()["content-disposition"], "attachment; filename=\"profile\"");
    let gzipped = answer.bytes().await.expect("body");
    assert_eq!(&gzipped[..2], [0x1f, 0x8b], "gzipped, as Go serves profiles");
    let mut profile = Vec::new();
    flate2::read::GzDecoder::new(&gzipped[..]).read_to_end(&mut profile).expect("gunzips");
    // The string table holds the sample types and the sampled functions' names, as plain strings.
    let text = String::from_utf8_lossy(&profile);
    for expected in ["samples", "count", "cpu", "nanoseconds", "thread", "herald::"] {
        assert!(text.contains(expected), "{expected} is in the profile");
    }
}

#[tokio::test]
async fn with_an_api_token_a_profile_needs_it() {
    let herald = Herald::start_with(CONFIG, &["--web.enable-pprof"], &[("HERALD_API_TOKEN", "s3cr3t")]);
    assert_eq!(get(&herald, "/debug/pprof/profile?seconds=1", None).await.status().as_u16(), 401);
    assert_eq!(get(&herald, "/debug/pprof/profile?seconds=1", Some("wrong")).await.status().as_u16(), 401);
    assert_eq!(get(&herald, "/debug/pprof/profile?seconds=1", Some("s3cr3t")).await.status().as_u16(), 200);
}
