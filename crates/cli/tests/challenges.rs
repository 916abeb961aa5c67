//! `brokerlab challenges`, `challenge` and `check` as a teacher or a learner
//! runs them.

use std::process::Command;

fn brokerlab(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_brokerlab")).args(args).output().expect("runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn temp(name: &str, text: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("brokerlab-cli-challenges-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join(name);
    std::fs::write(&path, text).expect("writable");
    path
}

#[test]
fn help_lists_the_challenge_commands() {
    let (code, out, _) = brokerlab(&["--help"]);
    assert_eq!(code, 0);
    for cmd in ["challenges", "challenge", "check"] {
        assert!(out.contains(&format!("  {cmd} ")), "--help lacks {cmd}:\n{out}");
    }
}

#[test]
fn challenges_lists_every_course_challenge_as_text_and_json() {
    let (code, out, _) = brokerlab(&["challenges"]);
    assert_eq!(code, 0);
    let line = out.lines().find(|l| l.starts_with("topic-billing ")).expect("topic-billing listed");
    assert!(line.contains("rabbitmq") && line.contains("Paid EU orders for billing"), "{line}");
    let (code, json, _) = brokerlab(&["challenges", "--json"]);
    assert_eq!(code, 0);
    let rows: serde_json::Value = serde_json::from_str(&json).expect("json");
    let rows = rows.as_array().expect("an array");
    assert_eq!(rows.len(), out.lines().count());
    assert!(rows.iter().any(|r| r["id"] == "kafka-no-idle" && r["module"] == "kafka" && r["level"] == 1));
}

#[test]
fn check_passes_the_solution_and_fails_the_start_with_reasons() {
    let (code, solution, _) = brokerlab(&["challenge", "topic-billing", "--solution"]);
    assert_eq!(code, 0);
    let path = temp("solution.json", &solution);
    let (code, out, err) = brokerlab(&["check", "topic-billing", path.to_str().expect("utf-8")]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("Solved: all"), "{out}");

    let (_, start, _) = brokerlab(&["challenge", "topic-billing", "--start"]);
    let path = temp("start.json", &start);
    let (code, out, _) = brokerlab(&["check", "topic-billing", path.to_str().expect("utf-8")]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("FAILED  publish paid EU orders - `billing` holds exactly"), "{out}");
    assert!(out.contains("checks failed."), "{out}");
}

#[test]
fn check_reads_a_challenge_the_scenario_carries() {
    let (_, start, _) = brokerlab(&["challenge", "poison-dlq"]);
    let (_, solution, _) = brokerlab(&["challenge", "poison-dlq", "--solution"]);
    let mut attempt: serde_json::Value = serde_json::from_str(&solution).expect("json");
    let start: serde_json::Value = serde_json::from_str(&start).expect("json");
    attempt["challenge"] = start["challenge"].clone();
    let path = temp("attempt.json", &attempt.to_string());
    let (code, out, err) = brokerlab(&["check", path.to_str().expect("utf-8"), "--json"]);
    assert_eq!(code, 0, "{out}{err}");
    let verdict: serde_json::Value = serde_json::from_str(&out).expect("json");
    assert_eq!(verdict["passed"], true);

    let (_, plain, _) = brokerlab(&["challenge", "poison-dlq", "--solution"]);
    let path = temp("plain.json", &plain);
    let (code, _, err) = brokerlab(&["check", path.to_str().expect("utf-8")]);
    assert_eq!(code, 2);
    assert!(err.contains("carries no challenge"), "{err}");
}

#[test]
fn an_unknown_challenge_names_the_known_ones() {
    let (code, _, err) = brokerlab(&["challenge", "nope"]);
    assert_eq!(code, 2);
    assert!(err.contains("no challenge `nope`") && err.contains("topic-billing"), "{err}");
}
