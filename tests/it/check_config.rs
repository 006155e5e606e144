//! `herald check-config`: amtool's summary layout, warnings, `--strict`, and the exit status.

use std::path::PathBuf;

use crate::helpers::{herald, stderr, stdout};

fn write_config(dir: &tempfile::TempDir, name: &str, yaml: &str) -> PathBuf {
    let path = dir.path().join(name);
    std::fs::write(&path, yaml).expect("temp file is writable");
    path
}

#[test]
fn the_shipped_config_passes_and_names_each_slack_receiver_that_cannot_deliver() {
    let output = herald(&["check-config", "config/alertmanager.yml"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let text = stdout(&output);
    assert!(
        text.starts_with(
            "Checking 'config/alertmanager.yml'  SUCCESS\nFound:\n - global config\n - route\n - 0 inhibit rules\n - 5 receivers\n - 0 templates\nWarnings:\n"
        ),
        "{text}"
    );
    for (line, receiver) in [(49, "default"), (55, "critical"), (72, "warnings"), (76, "info")] {
        assert!(text.contains(&format!(" - line {line}: ")), "line {line} missing:\n{text}");
        assert!(text.contains(&format!("receiver \"{receiver}\": no Slack API URL")), "{receiver} missing:\n{text}");
    }
    assert!(!text.contains("receiver \"escalation\": no Slack"), "escalation has no Slack config:\n{text}");
    assert!(text.contains("Herald extensions: none (Alertmanager and amtool load this file as it is)\n"), "{text}");
    for (line, label) in [(58, "pagerduty_key"), (63, "escalation_key"), (65, "opsgenie_key"), (67, "team")] {
        assert!(
            text.contains(&format!(" - line {line}: ")) && text.contains(&format!("reads .GroupLabels.{label}")),
            "{label}:\n{text}"
        );
    }
}

#[test]
fn strict_mode_turns_warnings_into_a_failure() {
    let output = herald(&["check-config", "--strict", "config/alertmanager.yml"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stdout(&output)
            .starts_with("Checking 'config/alertmanager.yml'  FAILED: 8 warning(s), which --strict makes errors\n")
    );
    assert_eq!(stderr(&output), "herald: error: failed to validate 1 file(s)\n");
}

#[test]
fn every_problem_of_an_invalid_file_is_listed_with_line_and_path() {
    let dir = tempfile::tempdir().expect("temp dir");
    let bad = write_config(
        &dir,
        "bad.yml",
        "route:\n  receiver: default\n  routes:\n  - receiver: nope\n    matchers: ['a=~(']\nreceivers:\n- name: default\n",
    );
    let output = herald(&["check-config", bad.to_str().expect("utf-8 path")]);
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        stdout(&output),
        format!(
            "Checking '{}'  FAILED: 2 problems\n - line 4: route.routes[0].receiver: undefined receiver \"nope\" used in route\n \
             - line 5: route.routes[0].matchers[0]: invalid regular expression \"(\": unclosed group\n\n",
            bad.display()
        )
    );
}

#[test]
fn several_files_are_checked_and_each_failure_counted() {
    let dir = tempfile::tempdir().expect("temp dir");
    let good = write_config(&dir, "good.yml", "route:\n  receiver: a\nreceivers:\n- name: a\n");
    let bad = write_config(&dir, "bad.yml", "route:\n  receiver: a\n  recever: b\nreceivers:\n- name: a\n");
    let empty = write_config(&dir, "empty.yml", "");
    let paths = [&good, &bad, &empty].map(|p| p.to_str().expect("utf-8 path").to_string());
    let output = herald(&["check-config", &paths[0], &paths[1], &paths[2]]);
    assert_eq!(output.status.code(), Some(1));
    let text = stdout(&output);
    assert!(text.contains(&format!("Checking '{}'  SUCCESS\n", paths[0])), "{text}");
    assert!(
        text.contains(&format!("Checking '{}'  FAILED: line 3: route: unknown field `recever`", paths[1])),
        "{text}"
    );
    assert!(text.contains(&format!("Checking '{}'  FAILED: no route provided in config\n\n", paths[2])), "{text}");
    assert_eq!(stderr(&output), "herald: error: failed to validate 2 file(s)\n");
}

#[test]
fn a_missing_file_is_a_failure_not_a_panic() {
    let output = herald(&["check-config", "does/not/exist.yml"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(stdout(&output).contains("FAILED: cannot read does/not/exist.yml"), "{}", stdout(&output));
}

#[test]
fn the_escalation_example_passes_and_lists_herald_extensions() {
    let output = herald(&["check-config", "--strict", "config/escalation.yml"]);
    assert!(output.status.success(), "{}", stdout(&output));
    assert!(
        stdout(&output).ends_with(
            "Herald extensions (Alertmanager and amtool refuse these keys):\n - route.routes[0].escalation\n \
             - route.routes[0].routes[0].escalation\n - route.routes[1].escalation\n\n"
        ),
        "{}",
        stdout(&output)
    );
}
