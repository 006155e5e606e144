//! `herald routes show|test` against what amtool 0.25 printed for the same config and labels
//! (recorded by `tests/routing/record.py` into `tests/routing/expected.jsonl`).

use serde::Deserialize;

use crate::helpers::{herald, repo_root, stderr, stdout};

#[derive(Deserialize)]
struct Case {
    config: String,
    args: Vec<String>,
    stdout: String,
    status: i32,
}

fn recorded_cases() -> Vec<Case> {
    let path = repo_root().join("tests/routing/expected.jsonl");
    let text = std::fs::read_to_string(&path).expect("expected.jsonl is in the repository");
    text.lines().map(|line| serde_json::from_str(line).expect("each line is a recorded case")).collect()
}

#[test]
fn routes_show_and_test_print_exactly_what_amtool_prints() {
    let cases = recorded_cases();
    assert!(cases.len() >= 50, "the oracle table lost cases: {}", cases.len());
    let mut mismatches = Vec::new();
    for case in &cases {
        let config = format!("tests/routing/configs/{}", case.config);
        let (command, rest) = case.args.split_first().expect("a case names show or test");
        let mut args = vec!["routes", command.as_str(), "--config", config.as_str()];
        args.extend(rest.iter().map(String::as_str));
        let output = herald(&args);
        let status = output.status.code().unwrap_or(-1);
        if stdout(&output) != case.stdout || status != case.status {
            mismatches.push(format!(
                "herald {}\n--- amtool (status {}):\n{}--- herald (status {status}):\n{}{}",
                args.join(" "),
                case.status,
                case.stdout,
                stdout(&output),
                stderr(&output)
            ));
        }
    }
    assert!(mismatches.is_empty(), "{} of {} cases differ:\n{}", mismatches.len(), cases.len(), mismatches.join("\n"));
}
