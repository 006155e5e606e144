//! `herald` as a process: Alertmanager's command line, health endpoints, clean stop on SIGTERM, refusal of an
//! invalid config.

use crate::helpers::{Herald, client, herald, repo_file, stderr};

const MINIMAL: &str = "route:\n  receiver: r\nreceivers:\n- name: r\n";

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
    let output = herald(&["--web.listen-address=127.0.0.1:0", "--config.file", config.to_str().expect("utf-8")]);
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        stderr(&output),
        format!(
            "herald: error: loading config from {}: line 2: route.receiver: undefined receiver \"nope\" used in route\n",
            config.display()
        )
    );
}

#[test]
fn herald_s_own_flag_names_and_the_serve_command_still_work() {
    let dir = tempfile::tempdir().expect("temp dir");
    let config = dir.path().join("c.yml");
    std::fs::write(&config, "route:\n  receiver: nope\nreceivers:\n- name: a\n").expect("written");
    let output = herald(&[
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--data-dir",
        "/nonexistent/x",
        "--config",
        config.to_str().expect("utf-8"),
    ]);
    assert!(stderr(&output).contains("undefined receiver \"nope\""), "{}", stderr(&output));
}

#[tokio::test]
async fn the_external_url_s_path_is_the_route_prefix_as_in_alertmanager() {
    let server = Herald::start_with(MINIMAL, &["--web.external-url=http://herald.test:9093/alerting/"], &[]);
    let client = client();
    let healthy = client.get(server.url("/alerting/-/healthy")).send().await.expect("answers");
    assert_eq!(healthy.status(), 200);
    let receivers = client.get(server.url("/alerting/api/v2/receivers")).send().await.expect("answers");
    assert_eq!(receivers.text().await.expect("body"), r#"[{"name":"r"}]"#);
    let outside = client.get(server.url("/api/v2/receivers")).send().await.expect("answers");
    assert_eq!(outside.status(), 404, "nothing is served outside the prefix");
    let redirect = crate::helpers::client_builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client builds")
        .get(server.url("/"))
        .send()
        .await
        .expect("answers");
    assert_eq!(redirect.status(), 302);
    assert_eq!(redirect.headers()["location"], "/alerting");
}

#[tokio::test]
async fn flags_come_from_the_environment_and_cluster_flags_are_accepted_with_a_warning() {
    let server = Herald::start_with(
        MINIMAL,
        &["--cluster.listen-address=0.0.0.0:9094", "--cluster.peer=other:9094"],
        &[("HERALD_WEB_ROUTE_PREFIX", "/env-prefix"), ("HERALD_LOG_FORMAT", "json")],
    );
    let healthy = client().get(server.url("/env-prefix/-/ready")).send().await.expect("answers");
    assert_eq!(healthy.status(), 200);
    let logs = server.logs();
    let warning = logs.lines().find(|line| line.contains("--cluster.* flags")).expect("a warning about --cluster.*");
    let parsed: serde_json::Value = serde_json::from_str(warning).expect("--log.format=json writes JSON lines");
    assert_eq!(parsed["level"], "WARN");
}

#[test]
fn bad_flag_values_are_refused_with_the_flag_named() {
    let output = herald(&["--web.listen-address=nowhere"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("--web.listen-address"), "{}", stderr(&output));
    let output = herald(&["--web.external-url=ftp://x/"]);
    assert!(stderr(&output).contains("must be http:// or https://"), "{}", stderr(&output));
}

#[test]
fn the_binary_links_no_system_tls_library() {
    if !crate::helpers::tool_available("ldd", "libc-bin") {
        return;
    }
    let output = std::process::Command::new("ldd").arg(env!("CARGO_BIN_EXE_herald")).output().expect("ldd runs");
    let libraries = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{libraries}");
    assert!(!libraries.contains("libssl") && !libraries.contains("libcrypto"), "TLS is rustls:\n{libraries}");
}
