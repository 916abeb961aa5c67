//! The `brokerlab` binary as a user runs it.

use std::process::Command;

fn brokerlab(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_brokerlab")).args(args).output().expect("runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn run_prints_queues_consumers_partitions_groups_and_the_trace() {
    let (code, out, err) = brokerlab(&["run", "preset:kafka-vs-rabbit"]);
    assert_eq!(code, 0, "{err}");
    let r: serde_json::Value = serde_json::from_str(&out).expect("a JSON report");
    let shipping =
        r["rabbitmq"]["queues"].as_array().expect("queues").iter().find(|q| q["name"] == "shipping").cloned();
    assert_eq!(shipping.expect("shipping queue")["messages"][0]["body"], "o-1 paid");
    let deliveries = &r["rabbitmq"]["consumers"][0]["deliveries"];
    assert_eq!(deliveries[0]["outcome"], "acked");
    assert_eq!(deliveries[1]["outcome"], "acked");
    assert_eq!(r["rabbitmq"]["publishes"][1]["queues"], serde_json::json!(["billing", "shipping"]));
    assert!(r["rabbitmq"]["publishes"][0]["trace"]["exchanges"].is_array());
    let records: Vec<&serde_json::Value> = r["kafka"]["partitions"]
        .as_array()
        .expect("partitions")
        .iter()
        .flat_map(|p| p["records"].as_array().expect("records"))
        .collect();
    assert_eq!(
        records.iter().map(|r| r["value"].as_str().unwrap_or_default()).collect::<Vec<_>>(),
        ["created", "paid"]
    );
    assert_eq!(r["kafka"]["groups"].as_array().expect("groups").len(), 2);
    // The KRaft metadata log: the active controller and its records.
    let metadata = &r["kafka"]["metadata"];
    assert_eq!(metadata["leader"], 100);
    let log: Vec<&str> =
        metadata["records"].as_array().expect("records").iter().map(|l| l.as_str().unwrap_or_default()).collect();
    assert!(log[0].ends_with("LeaderChange controller 100 epoch 1"), "{log:?}");
    assert!(log.iter().any(|l| l.contains("TopicRecord ")), "{log:?}");
    assert!(r["events"].as_array().expect("events").len() > 10);
    assert!(r["errors"].as_array().expect("errors").is_empty());
}

#[test]
fn run_shows_x_death_headers_of_dead_lettered_messages() {
    let (code, out, _) = brokerlab(&["run", "--no-events", "preset:dlq-retry"]);
    assert_eq!(code, 0);
    let r: serde_json::Value = serde_json::from_str(&out).expect("json");
    let deaths = &r["rabbitmq"]["gets"][1]["message"]["headers"]["x-death"];
    assert_eq!(deaths[0]["reason"], "expired");
    assert_eq!(deaths[1]["reason"], "rejected");
    assert_eq!(r["events"], serde_json::json!([]));
}

#[test]
fn run_twice_prints_the_same_report() {
    assert_eq!(
        brokerlab(&["run", "preset:consumer-group-rebalance"]),
        brokerlab(&["run", "preset:consumer-group-rebalance"])
    );
}

#[test]
fn a_link_printed_by_link_runs_like_its_file() {
    let (_, link, _) = brokerlab(&["link", "preset:topic-routing"]);
    assert_eq!(brokerlab(&["run", link.trim()]).1, brokerlab(&["run", "preset:topic-routing"]).1);
}

#[test]
fn a_damaged_link_fails_with_a_message_and_exit_code_2() {
    let (_, link, _) = brokerlab(&["link", "preset:topic-routing"]);
    let (code, out, err) = brokerlab(&["run", &link.trim()[..40]]);
    assert_eq!(code, 2);
    assert!(out.is_empty());
    assert!(err.starts_with("brokerlab: the link is damaged"), "{err}");
}

#[test]
fn help_lists_every_command() {
    let (code, out, _) = brokerlab(&["--help"]);
    assert_eq!(code, 0);
    for cmd in [
        "run",
        "verify",
        "link",
        "json",
        "export-definitions",
        "import-definitions",
        "kafka-topics",
        "code",
        "presets",
        "schema",
    ] {
        assert!(out.contains(&format!("  {cmd} ")), "--help lacks {cmd}:\n{out}");
    }
}

#[test]
fn definitions_export_then_import_gives_back_the_topology() {
    let (_, defs, _) = brokerlab(&["export-definitions", "preset:exchange-types"]);
    let path = std::env::temp_dir().join(format!("brokerlab-cli-defs-{}.json", std::process::id()));
    std::fs::write(&path, defs).expect("written");
    let (code, out, err) =
        brokerlab(&["import-definitions", path.to_str().expect("utf-8"), "--into", "preset:exchange-types"]);
    assert_eq!(code, 0, "{err}");
    let (_, original, _) = brokerlab(&["json", "preset:exchange-types"]);
    assert_eq!(out, original);
}

/// Runs `brokerlab ARGS` with its standard output read for at most one byte
/// and then closed, as `brokerlab ... | head -c 1` does, and returns the exit
/// code and standard error.
fn brokerlab_into_a_closed_pipe(args: &[&str]) -> (i32, String) {
    use std::io::Read;
    use std::process::Stdio;
    let mut child = Command::new(env!("CARGO_BIN_EXE_brokerlab"))
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("starts");
    let mut stdout = child.stdout.take().expect("piped");
    let mut first = [0u8; 1];
    let _ = stdout.read(&mut first);
    drop(stdout);
    let out = child.wait_with_output().expect("finishes");
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stderr).into_owned())
}

#[test]
fn every_command_ends_quietly_when_its_reader_closes_the_pipe() {
    // A scenario whose report, file and client code are each far larger than
    // a pipe's buffer, so that the writer must meet the closed pipe.
    let mut s = brokerlab_scenario::Scenario::default();
    s.rabbitmq.queues.push(brokerlab_scenario::QueueDef::new("q"));
    for i in 0..2_000 {
        s.script.push(brokerlab_scenario::Action::Publish {
            client: "app".into(),
            vhost: "/".into(),
            exchange: String::new(),
            routing_key: "q".into(),
            body: format!("message {i} with a body long enough to fill the pipe quickly"),
            properties: Default::default(),
            headers: Default::default(),
            mandatory: false,
        });
    }
    let path = std::env::temp_dir().join(format!("brokerlab-cli-pipe-{}.json", std::process::id()));
    std::fs::write(&path, s.to_json()).expect("writes the scenario");
    let file = path.to_str().expect("a UTF-8 path");
    let commands: &[(&[&str], i32)] = &[
        (&["run", file], 0),
        (&["json", file], 0),
        (&["link", file], 0),
        (&["code", "--lang", "python", file], 0),
        (&["code", "--lang", "javascript", file], 0),
        (&["export-definitions", file], 0),
        (&["kafka-topics", "preset:key-partitioning"], 0),
        (&["presets"], 0),
        (&["schema"], 0),
        (&["run", "preset:work-queue"], 0),
    ];
    for (args, code) in commands {
        let (got, err) = brokerlab_into_a_closed_pipe(args);
        assert!(!err.contains("panicked"), "brokerlab {args:?} panicked: {err}");
        assert_eq!(got, *code, "brokerlab {args:?}: {err}");
        assert_eq!(err, "", "brokerlab {args:?}");
    }
    let _ = std::fs::remove_file(&path);
}
