//! `herald serve` as a process: health endpoints, clean stop on SIGTERM, refusal of an invalid config.

use crate::helpers::{Herald, client, herald, repo_file, stderr};

#[tokio::test]
async fn serve_answers_health_checks_and_stops_on_sigterm() {
    let config = std::fs::read_to_string(repo_file("config/alertmanager.yml")).expect("shipped config");
    let server = Herald::start(&config);
    for path in ["/-/healthy", "/-/ready"] {
        let response = client().get(server.url(path)).send().await.expect("answers");
        assert_eq!(response.status(), 200, "{path}");
        assert_eq!(response.text().await.expect("body"), "OK");
    }
    let status = server.terminate();
    assert!(status.success(), "{status:?}");
}

#[test]
fn serve_refuses_an_invalid_config_and_says_why() {
    let dir = tempfile::tempdir().expect("temp dir");
    let config = dir.path().join("bad.yml");
    std::fs::write(&config, "route:\n  receiver: nope\nreceivers:\n- name: a\n").expect("written");
    let output = herald(&["serve", "--listen", "127.0.0.1:0", "--config", config.to_str().expect("utf-8")]);
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        stderr(&output),
        format!(
            "herald: error: loading config from {}: line 2: route.receiver: undefined receiver \"nope\" used in route\n",
            config.display()
        )
    );
}
