//! The docker-compose stack cannot run here (no container engine), so check what it is made of: the compose
//! file's structure and paths, Herald's config in it, and Prometheus' config and rules (with promtool, from
//! Debian's `prometheus`, which `.ci/run` installs).

use std::process::Command;

use serde_yaml_ng::Value;

use crate::helpers::{herald, repo_file, repo_root, stdout, tool_available};

fn compose() -> Value {
    serde_yaml_ng::from_str(&std::fs::read_to_string(repo_file("docker-compose.yml")).expect("compose file"))
        .expect("valid YAML")
}

#[test]
fn the_compose_file_names_files_that_exist() {
    let compose = compose();
    let services = compose["services"].as_mapping().expect("services");
    for name in ["postgres", "herald", "herald-b", "prometheus", "receiver"] {
        assert!(services.contains_key(name), "service {name}");
    }
    for replica in ["herald", "herald-b"] {
        assert_eq!(compose["services"][replica]["build"], Value::String(".".into()));
        let url = compose["services"][replica]["environment"]["HERALD_STORAGE_URL"].as_str().expect("storage URL");
        assert!(url.starts_with("postgres://") && url.ends_with("@postgres:5432/herald"), "{url}");
    }
    assert!(repo_file("Dockerfile").is_file());
    for service in services.values() {
        for volume in service["volumes"].as_sequence().into_iter().flatten() {
            let source = volume.as_str().expect("short volume syntax").split(':').next().unwrap_or_default();
            if source.starts_with("./") {
                assert!(repo_root().join(source).exists(), "{source} is missing");
            } else {
                assert!(compose["volumes"].get(source).is_some(), "named volume {source} is not declared");
            }
        }
    }
    // The Dockerfile copies config/ to /etc/herald; the command's config must be one of those files.
    let command = compose["services"]["herald"]["command"].as_sequence().expect("command list");
    let config = command.iter().filter_map(Value::as_str).find_map(|arg| arg.strip_prefix("--config.file="));
    let inside = config.and_then(|path| path.strip_prefix("/etc/herald/")).expect("a config under /etc/herald");
    assert!(repo_file(&format!("config/{inside}")).is_file(), "config/{inside}");
}

#[test]
fn the_stacks_herald_config_is_valid_without_warnings() {
    let output = herald(&["check-config", "--strict", "config/compose/herald.yml"]);
    assert!(output.status.success(), "{}", stdout(&output));
}

#[test]
fn the_stacks_prometheus_config_and_rules_are_valid() {
    if !tool_available("promtool", "prometheus") {
        return;
    }
    for args in [["check", "config", "config/compose/prometheus.yml"], ["check", "rules", "config/compose/rules.yml"]] {
        let output = Command::new("promtool")
            .args(args)
            .current_dir(repo_root())
            .output()
            .expect("promtool is installed (apt-get install prometheus)");
        assert!(
            output.status.success(),
            "promtool {args:?}: {}{}",
            stdout(&output),
            String::from_utf8_lossy(&output.stderr)
        );
    }
}
