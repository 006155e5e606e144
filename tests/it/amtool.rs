//! amtool (Alertmanager 0.25's CLI, from Debian's `prometheus-alertmanager`, which `.ci/run` installs) driven
//! against a running Herald.

use std::process::Command;

use crate::helpers::{Herald, repo_file, tool_available};

fn amtool(herald: &Herald, args: &[&str]) -> (bool, String) {
    let output = Command::new("amtool")
        .arg(format!("--alertmanager.url=http://{}", herald.address))
        .args(args)
        .output()
        .expect("amtool is installed (apt-get install prometheus-alertmanager)");
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    (output.status.success(), text + &String::from_utf8_lossy(&output.stderr))
}

fn shipped_config() -> String {
    std::fs::read_to_string(repo_file("config/alertmanager.yml")).expect("shipped config")
}

#[tokio::test]
async fn amtool_adds_and_queries_alerts() {
    if !tool_available("amtool", "prometheus-alertmanager") {
        return;
    }
    let herald = Herald::start(&shipped_config());
    let (ok, out) = amtool(
        &herald,
        &["alert", "add", "DiskFull", "severity=critical", "cluster=eu1", "--annotation=summary=Disk is full"],
    );
    assert!(ok, "{out}");
    let (ok, out) = amtool(&herald, &["alert", "add", "HighLoad", "severity=warning"]);
    assert!(ok, "{out}");

    let (ok, out) = amtool(&herald, &["alert", "query"]);
    assert!(ok, "{out}");
    assert!(out.contains("DiskFull") && out.contains("Disk is full") && out.contains("HighLoad"), "{out}");

    let (ok, out) = amtool(&herald, &["alert", "query", "severity=critical", "-o", "extended"]);
    assert!(ok, "{out}");
    assert!(out.contains("DiskFull") && out.contains("cluster=\"eu1\"") && !out.contains("HighLoad"), "{out}");

    let (ok, out) = amtool(&herald, &["alert", "query", "--receiver=warnings"]);
    assert!(ok, "{out}");
    assert!(out.contains("HighLoad") && !out.contains("DiskFull"), "{out}");
}

#[tokio::test]
async fn amtool_tests_routes_against_the_running_config() {
    if !tool_available("amtool", "prometheus-alertmanager") {
        return;
    }
    let herald = Herald::start(&shipped_config());
    let (ok, out) = amtool(&herald, &["config", "routes", "test", "severity=critical", "escalate=true"]);
    assert!(ok, "{out}");
    assert_eq!(out.lines().next(), Some("escalation"), "{out}");
    let (ok, out) = amtool(&herald, &["config", "show"]);
    assert!(ok, "{out}");
    assert!(out.contains("receiver: escalation"), "{out}");
}

#[tokio::test]
async fn amtool_adds_queries_and_expires_silences() {
    if !tool_available("amtool", "prometheus-alertmanager") {
        return;
    }
    let herald = Herald::start(&shipped_config());
    let (ok, out) = amtool(&herald, &["alert", "add", "Noisy", "severity=warning"]);
    assert!(ok, "{out}");
    let (ok, out) = amtool(
        &herald,
        &["silence", "add", "alertname=Noisy", "--comment=maintenance", "--author=ops", "--duration=1h"],
    );
    assert!(ok, "{out}");
    let id = out.lines().find(|line| line.len() == 36).expect("amtool prints the new id").to_string();

    let (ok, out) = amtool(&herald, &["silence", "query"]);
    assert!(ok && out.contains(&id) && out.contains("maintenance"), "{out}");
    let (ok, out) = amtool(&herald, &["alert", "query", "--silenced"]);
    assert!(ok && out.contains("Noisy") && out.contains("suppressed"), "{out}");
    let (ok, out) = amtool(&herald, &["alert", "query"]);
    assert!(ok && !out.contains("Noisy"), "silenced alerts are hidden by default: {out}");

    let (ok, out) = amtool(&herald, &["silence", "expire", &id]);
    assert!(ok, "{out}");
    let (ok, out) = amtool(&herald, &["silence", "query", "--expired"]);
    assert!(ok && out.contains(&id), "{out}");
}

#[tokio::test]
async fn amtool_reads_a_config_with_herald_extensions_and_refuses_the_file_itself() {
    if !tool_available("amtool", "prometheus-alertmanager") {
        return;
    }
    let config = shipped_config().replace(
        "    # Auto-escalation if not resolved\n",
        "    escalation:\n    - after: 15m\n      receiver: escalation\n    # Auto-escalation if not resolved\n",
    );
    assert!(config.contains("escalation:\n    - after: 15m"), "the shipped config changed: update this test");
    let herald = Herald::start(&config);
    let (ok, out) = amtool(&herald, &["config", "routes", "test", "severity=critical"]);
    assert!(ok, "amtool reads the status config without Herald's keys: {out}");
    assert_eq!(out.lines().next(), Some("critical"), "{out}");
    let output = Command::new("amtool").arg("check-config").arg(&herald.config).output().expect("amtool runs");
    assert!(!output.status.success(), "Alertmanager does not know `escalation`");
    let herald_check = crate::helpers::herald(&["check-config", herald.config.to_str().expect("utf-8 path")]);
    let text = crate::helpers::stdout(&herald_check);
    assert!(herald_check.status.success(), "{text}");
    assert!(
        text.contains(
            "Herald extensions (Alertmanager and amtool refuse these keys):\n - route.routes[0].escalation\n"
        ),
        "{text}"
    );
}
