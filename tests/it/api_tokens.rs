//! API tokens: writes need the API token, reads the read token when one is set, probes stay open, tokens
//! never reach the logs; and the `herald config` commands pass the token.

use serde_json::{Value, json};

use crate::helpers::{Herald, client, herald, stderr, stdout};

const CONFIG: &str = "route:\n  receiver: a\n  group_by: [alertname]\nreceivers:\n- name: a\n";

async fn status(request: reqwest::RequestBuilder, token: Option<&str>) -> (u16, Value, Option<String>) {
    let request = match token {
        Some(token) => request.bearer_auth(token),
        None => request,
    };
    let response = request.send().await.expect("sent");
    let code = response.status().as_u16();
    let challenge = response.headers().get("www-authenticate").and_then(|v| v.to_str().ok()).map(str::to_string);
    (code, response.json().await.unwrap_or(Value::Null), challenge)
}

#[tokio::test]
async fn writes_need_the_api_token_and_reads_the_read_token() {
    let dir = tempfile::tempdir().expect("temp dir");
    let token_file = dir.path().join("api-token");
    std::fs::write(&token_file, "write-secret-token\n").expect("written");
    let flag = format!("--web.api-token-file={}", token_file.display());
    let herald_process = Herald::start_with(CONFIG, &[&flag], &[("HERALD_READ_TOKEN", "read-secret-token")]);
    let url = |path: &str| herald_process.url(path);
    let silence = json!({"matchers": [{"name": "a", "value": "b", "isRegex": false}], "startsAt": "2026-01-01T00:00:00Z",
        "endsAt": "2099-01-01T00:00:00Z", "createdBy": "me", "comment": "c"});

    let (code, body, challenge) = status(client().post(url("/api/v2/silences")).json(&silence), None).await;
    assert_eq!((code, challenge.as_deref()), (401, Some("Bearer realm=\"herald\"")));
    assert_eq!(body["code"], 401, "Alertmanager's error shape on its endpoints: {body}");
    assert!(body["message"].as_str().is_some_and(|m| m.contains("needs an API token")), "{body}");
    let (code, _, _) = status(client().post(url("/api/v2/silences")).json(&silence), Some("read-secret-token")).await;
    assert_eq!(code, 401, "the read token cannot write");
    let (code, _, _) = status(client().post(url("/api/v2/silences")).json(&silence), Some("write-secret-token")).await;
    assert_eq!(code, 200);

    for token in [None, Some("nope")] {
        let (code, _, _) = status(client().get(url("/api/v2/alerts")), token).await;
        assert_eq!(code, 401, "{token:?}");
    }
    for token in ["read-secret-token", "write-secret-token"] {
        let (code, _, _) = status(client().get(url("/api/v2/alerts")), Some(token)).await;
        assert_eq!(code, 200);
    }
    let (code, _, _) = status(client().get(url("/-/ready")), None).await;
    assert_eq!(code, 200, "probes stay open");
    let (code, _, _) =
        status(client().post(url("/api/v2/alerts")).json(&json!([{"labels": {"alertname": "A"}}])), None).await;
    assert_eq!(code, 200, "Prometheus posts without a token unless --web.api-token-for-alerts");
    let (code, body, _) = status(client().put(url("/api/herald/config")).body(CONFIG), None).await;
    assert_eq!((code, body["code"].as_str()), (401, Some("unauthorized")), "Herald's shape on its own endpoints");
    let (code, _, _) = status(client().post(url("/-/reload")), None).await;
    assert_eq!(code, 401);
    let (code, _, _) = status(client().post(url("/-/reload")), Some("write-secret-token")).await;
    assert_eq!(code, 200);

    // The command line passes the token.
    let base = format!("http://{}", herald_process.address);
    let refused = herald(&["config", "get", "--herald.url", &base]);
    assert_eq!(refused.status.code(), Some(1));
    assert!(stderr(&refused).contains("(HTTP 401)"), "{}", stderr(&refused));
    let token_arg = format!("--herald.token-file={}", token_file.display());
    let got = herald(&["config", "get", "--herald.url", &base, &token_arg]);
    assert!(got.status.success(), "{}", stderr(&got));
    assert_eq!(stdout(&got), "route:\n  receiver: a\n  group_by:\n  - alertname\nreceivers:\n- name: a\n");
    let etag = stderr(&got).trim().strip_prefix("ETag: ").expect("ETag on stderr").to_string();

    let changed = dir.path().join("changed.yml");
    std::fs::write(
        &changed,
        CONFIG.replace("receivers:", "  routes:\n  - matchers: [team=b]\n    receiver: b\nreceivers:\n- name: b"),
    )
    .expect("written");
    let changed = changed.to_str().expect("utf-8 path").to_string();
    let dry = herald(&["config", "put", &changed, "--dry-run", "--herald.url", &base, &token_arg]);
    assert!(dry.status.success(), "{}", stderr(&dry));
    assert_eq!(stdout(&dry), "0 active alert(s) would change receivers or groups\n");
    let put = herald(&[
        "config",
        "put",
        &changed,
        "--if-match",
        &etag,
        "--author",
        "ops",
        "-c",
        "team b",
        "--herald.url",
        &base,
        &token_arg,
    ]);
    assert!(put.status.success(), "{}", stderr(&put));
    assert!(stdout(&put).starts_with("Applied: version 2 (api), ETag \""), "{}", stdout(&put));
    let stale = herald(&["config", "put", &changed, "--if-match", &etag, "--herald.url", &base, &token_arg]);
    assert_eq!(stale.status.code(), Some(1));
    assert!(stderr(&stale).contains("(HTTP 412)"), "{}", stderr(&stale));
    let versions = stdout(&herald(&["config", "versions", "--herald.url", &base, &token_arg]));
    let lines: Vec<&str> = versions.lines().collect();
    assert!(lines[0].starts_with("VERSION"), "{versions}");
    assert!(
        lines[1].starts_with("2 ")
            && lines[1].contains("api")
            && lines[1].contains("ops")
            && lines[1].ends_with("team b (live)"),
        "{versions}"
    );
    let diff = stdout(&herald(&["config", "diff", "--herald.url", &base, &token_arg]));
    assert!(diff.contains("+  - receiver: b\n"), "{diff}");
    let back = herald(&["config", "rollback", "1", "--herald.url", &base, &token_arg]);
    assert!(stdout(&back).starts_with("Applied: version 3 (rollback)"), "{}{}", stdout(&back), stderr(&back));

    let logs = herald_process.logs();
    assert!(!logs.contains("write-secret-token") && !logs.contains("read-secret-token"), "tokens leaked into the logs");
}

#[tokio::test]
async fn alert_posts_can_require_the_token_too() {
    let herald_process = Herald::start_with(CONFIG, &["--web.api-token-for-alerts"], &[("HERALD_API_TOKEN", "t0k3n")]);
    let post = || client().post(herald_process.url("/api/v2/alerts")).json(&json!([{"labels": {"alertname": "A"}}]));
    assert_eq!(status(post(), None).await.0, 401);
    assert_eq!(status(post(), Some("t0k3n")).await.0, 200);
}

#[test]
fn an_empty_token_file_stops_herald_at_start() {
    let dir = tempfile::tempdir().expect("temp dir");
    let token_file = dir.path().join("empty");
    std::fs::write(&token_file, "\n").expect("written");
    std::fs::write(dir.path().join("config.yml"), CONFIG).expect("written");
    let output = herald(&[
        &format!("--config.file={}", dir.path().join("config.yml").display()),
        &format!("--storage.path={}", dir.path().join("data").display()),
        "--web.listen-address=127.0.0.1:0",
        &format!("--web.api-token-file={}", token_file.display()),
    ]);
    assert_eq!(output.status.code(), Some(1));
    assert!(stderr(&output).contains("API token: the token in"), "{}", stderr(&output));
}
