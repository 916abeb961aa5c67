//! Checks against the real RabbitMQ that the test command starts
//! (`BROKERLAB_AMQP_URL`, default `amqp://guest:guest@127.0.0.1:5672/%2f`;
//! `rabbitmqctl -n rabbit@localhost` for definitions, node name overridable
//! with `BROKERLAB_RABBITMQ_NODE`). Without a broker these tests fail with
//! instructions; they never pass silently.

use std::process::Command;
use std::time::{Duration, Instant};

use brokerlab_cli::verify::verify;
use brokerlab_scenario::definitions::from_definitions;
use brokerlab_scenario::{RabbitTopology, Scenario, presets};

fn url() -> String {
    std::env::var("BROKERLAB_AMQP_URL").unwrap_or_else(|_| "amqp://guest:guest@127.0.0.1:5672/%2f".to_string())
}

fn node() -> String {
    std::env::var("BROKERLAB_RABBITMQ_NODE").unwrap_or_else(|_| "rabbit@localhost".to_string())
}

const START: &str = "Start one with:\n  RABBITMQ_NODE_IP_ADDRESS=127.0.0.1 RABBITMQ_NODENAME=rabbit@localhost rabbitmq-server -detached\n  \
    rabbitmqctl -n rabbit@localhost await_startup\nor run `cargo xtask test`. This test never passes without a broker.";

#[test]
fn verify_finds_the_engine_and_a_real_rabbitmq_agree_on_routing_and_dead_lettering() {
    for id in
        ["exchange-types", "topic-routing", "headers-routing", "dlq-retry", "rpc-reply-queue", "durability-restart"]
    {
        let s = presets::get(id).expect("preset");
        let v = verify(&s, &url()).unwrap_or_else(|e| panic!("{e}\n{START}"));
        assert!(
            v.matches,
            "{id}: the engine and RabbitMQ differ:\n{}",
            serde_json::to_string_pretty(&v.differences).unwrap_or_default()
        );
    }
}

#[test]
fn verify_lists_what_it_cannot_replay_on_a_live_broker() {
    let s = presets::get("work-queue").expect("preset");
    let v = verify(&s, &url()).unwrap_or_else(|e| panic!("{e}\n{START}"));
    assert!(v.matches);
    let reasons: Vec<&str> = v.skipped.iter().map(|s| s.reason.as_str()).collect();
    assert_eq!(reasons.len(), 5, "{reasons:?}");
    assert!(reasons[0].starts_with("consumer `worker-1`"), "{reasons:?}");
}

#[test]
fn verify_without_a_broker_says_it_cannot_reach_it() {
    let s = presets::get("work-queue").expect("preset");
    let err = verify(&s, "amqp://guest:guest@127.0.0.1:1/%2f").unwrap_err();
    assert!(err.starts_with("cannot reach RabbitMQ at amqp://guest:guest@127.0.0.1:1/%2f"), "{err}");
}

fn rabbitmqctl(args: &[&str]) -> String {
    let out = Command::new("rabbitmqctl")
        .arg("-n")
        .arg(node())
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run rabbitmqctl: {e}\n{START}"));
    assert!(out.status.success(), "rabbitmqctl {args:?} failed: {}\n{START}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The part of a topology in one vhost, sorted, for comparison.
fn in_vhost(t: &RabbitTopology, vhost: &str) -> RabbitTopology {
    let mut out = RabbitTopology {
        vhosts: t.vhosts.iter().filter(|v| v.name == vhost).cloned().collect(),
        exchanges: t.exchanges.iter().filter(|x| x.vhost == vhost).cloned().collect(),
        queues: t.queues.iter().filter(|q| q.vhost == vhost).cloned().collect(),
        bindings: t.bindings.iter().filter(|b| b.vhost == vhost).cloned().collect(),
        consumers: Vec::new(),
    };
    out.exchanges.sort_by(|a, b| a.name.cmp(&b.name));
    out.queues.sort_by(|a, b| a.name.cmp(&b.name));
    out.bindings
        .sort_by(|a, b| (&a.source, &a.destination, &a.routing_key).cmp(&(&b.source, &b.destination, &b.routing_key)));
    out
}

#[test]
fn a_definitions_file_round_trips_through_a_real_rabbitmq() {
    let vhost = format!("brokerlab-defs-{}", std::process::id());
    let json = include_str!("../../scenario/tests/golden/v1/every-action.json")
        .replace("\"staging\"", &format!("\"{vhost}\""));
    let mut s = Scenario::from_json(&json).expect("golden file");
    // Only the vhost of this run goes through the broker, so concurrent runs
    // and other tests' entities in `/` cannot interfere.
    s.rabbitmq = in_vhost(&s.rabbitmq, &vhost);
    let mut moved = presets::get("dlq-retry").expect("preset").rabbitmq;
    for x in &mut moved.exchanges {
        x.vhost = vhost.clone();
    }
    for q in &mut moved.queues {
        q.vhost = vhost.clone();
    }
    for b in &mut moved.bindings {
        b.vhost = vhost.clone();
    }
    s.rabbitmq.exchanges.extend(moved.exchanges);
    s.rabbitmq.queues.extend(moved.queues);
    s.rabbitmq.bindings.extend(moved.bindings);
    let expected = in_vhost(&s.rabbitmq, &vhost);

    let dir = std::env::temp_dir().join(format!("brokerlab-defs-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let input = dir.join("in.json");
    std::fs::write(&input, s.export_definitions()).expect("written");
    rabbitmqctl(&["import_definitions", input.to_str().expect("utf-8 path")]);

    // The import is asynchronous: export until the whole vhost is there.
    let started = Instant::now();
    let got = loop {
        // To standard output: the broker's own user may not write to our temp dir.
        let exported = rabbitmqctl(&["export_definitions", "-", "--silent"]);
        let got = in_vhost(&from_definitions(&exported).expect("RabbitMQ's export imports"), &vhost);
        if got == expected || started.elapsed() > Duration::from_secs(20) {
            break got;
        }
        std::thread::sleep(Duration::from_millis(250));
    };
    rabbitmqctl(&["delete_vhost", &vhost]);
    assert_eq!(got, expected);
}
