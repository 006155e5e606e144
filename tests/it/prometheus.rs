//! End to end with a real Prometheus (Debian's `prometheus`, which `.ci/run` installs): a rule that fires at
//! once sends its alert to Herald, Herald groups it and notifies a local webhook, amtool queries and
//! silences through the same Herald, and when the rule stops firing Prometheus resolves it and Herald
//! notifies the resolve.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::json;

use crate::helpers::{Herald, Sink, client, tool_available};

const WAIT: Duration = Duration::from_secs(45);

const FIRING_RULES: &str = "groups:
- name: herald-e2e
  interval: 1s
  rules:
  - alert: HeraldEndToEnd
    expr: vector(1)
    labels: {severity: warning, team: e2e}
    annotations: {summary: 'fired by Prometheus'}
";

const QUIET_RULES: &str = "groups:
- name: herald-e2e
  interval: 1s
  rules:
  - alert: HeraldEndToEnd
    expr: vector(1) == 0
    labels: {severity: warning, team: e2e}
";

/// A Prometheus process, killed when dropped.
struct Prometheus {
    child: Child,
    address: String,
}

impl Drop for Prometheus {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("a free loopback port")
}

fn start_prometheus(dir: &std::path::Path, herald: &Herald) -> Prometheus {
    std::fs::write(dir.join("rules.yml"), FIRING_RULES).expect("rules written");
    let config = format!(
        "global:\n  evaluation_interval: 1s\nrule_files: ['rules.yml']\nalerting:\n  alertmanagers:\n  - api_version: v2\n    static_configs:\n    - targets: ['{}']\n",
        herald.address
    );
    std::fs::write(dir.join("prometheus.yml"), config).expect("config written");
    let address = format!("127.0.0.1:{}", free_port());
    let child = Command::new("prometheus")
        .arg(format!("--config.file={}", dir.join("prometheus.yml").display()))
        .arg(format!("--storage.tsdb.path={}", dir.join("tsdb").display()))
        .arg(format!("--web.listen-address={address}"))
        .arg("--web.enable-lifecycle")
        // The first send can come before Prometheus has found its alertmanager and be dropped; the default
        // resend delay (1m) would then hold the alert back for a minute.
        .arg("--rules.alert.resend-delay=1s")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("prometheus is installed (apt-get install prometheus)");
    Prometheus { child, address }
}

#[tokio::test]
async fn prometheus_alerts_are_grouped_notified_and_resolved() {
    if !tool_available("prometheus", "prometheus") || !tool_available("amtool", "prometheus-alertmanager") {
        return;
    }
    let sink = Sink::start().await;
    let config = format!(
        "route:\n  receiver: hook\n  group_by: [alertname, team]\n  group_wait: 1s\n  group_interval: 1s\nreceivers:\n- name: hook\n  webhook_configs: [{{url: '{}/hook'}}]\n",
        sink.url
    );
    let herald = Herald::start(&config);
    let dir = tempfile::tempdir().expect("temp dir");
    let prometheus = start_prometheus(dir.path(), &herald);

    let fired = sink.wait_for(1, WAIT).await;
    assert!(!fired.is_empty(), "no notification from Prometheus' alert:\n{}", herald.logs());
    let body = &fired[0].body;
    assert_eq!(body["status"], "firing");
    assert_eq!(body["groupLabels"], json!({"alertname": "HeraldEndToEnd", "team": "e2e"}));
    assert_eq!(
        body["alerts"][0]["labels"],
        json!({"alertname": "HeraldEndToEnd", "severity": "warning", "team": "e2e"})
    );
    assert_eq!(body["alerts"][0]["annotations"]["summary"], "fired by Prometheus");
    assert!(body["alerts"][0]["generatorURL"].as_str().is_some_and(|url| url.contains("/graph?g0.expr=")), "{body}");

    let listed = herald.get_json("/api/v2/alerts").await;
    assert_eq!(listed[0]["labels"]["alertname"], "HeraldEndToEnd");

    // amtool against the same Herald, while Prometheus keeps sending.
    let amtool = |args: &[&str]| {
        let output = Command::new("amtool")
            .arg(format!("--alertmanager.url=http://{}", herald.address))
            .args(args)
            .output()
            .expect("amtool is installed");
        (output.status.success(), String::from_utf8_lossy(&output.stdout).into_owned())
    };
    let (ok, out) = amtool(&["alert", "query"]);
    assert!(ok && out.contains("HeraldEndToEnd"), "{out}");
    let (ok, out) = amtool(&["config", "routes", "test", "alertname=HeraldEndToEnd"]);
    assert!(ok && out.trim() == "hook", "{out}");
    let (ok, _) = amtool(&["alert", "add", "FromAmtool", "team=e2e"]);
    assert!(ok);
    let (ok, id) = amtool(&["silence", "add", "alertname=FromAmtool", "--comment=e2e", "--author=ci", "--duration=1h"]);
    assert!(ok && id.trim().len() == 36, "{id}");
    let (ok, out) = amtool(&["silence", "query"]);
    assert!(ok && out.contains(id.trim()), "{out}");
    let (ok, out) = amtool(&["alert", "query", "--silenced", "alertname=FromAmtool"]);
    assert!(ok && out.contains("suppressed"), "{out}");
    let (ok, _) = amtool(&["silence", "expire", id.trim()]);
    assert!(ok);

    std::fs::write(dir.path().join("rules.yml"), QUIET_RULES).expect("rules rewritten");
    let reload =
        client().post(format!("http://{}/-/reload", prometheus.address)).send().await.expect("prometheus answers");
    assert!(reload.status().is_success());
    let deadline = std::time::Instant::now() + WAIT;
    let resolved = loop {
        let received = sink.received();
        if let Some(resolved) = received.iter().find(|r| r.body["status"] == "resolved") {
            break resolved.clone();
        }
        assert!(std::time::Instant::now() < deadline, "the resolve never arrived:\n{}", herald.logs());
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(resolved.body["alerts"][0]["status"], "resolved");
    assert_eq!(resolved.body["groupLabels"], json!({"alertname": "HeraldEndToEnd", "team": "e2e"}));
    let firing_sent = sink
        .received()
        .iter()
        .filter(|r| r.body["status"] == "firing" && r.body["groupLabels"]["alertname"] == "HeraldEndToEnd")
        .count();
    assert_eq!(firing_sent, 1, "Prometheus re-sends its alert; Herald notifies it once");
}
