//! Checks against the real RabbitMQ that the test command starts
//! (`BROKERLAB_AMQP_URL`, default `amqp://guest:guest@127.0.0.1:5672/%2f`;
//! `rabbitmqctl -n rabbit@localhost` for definitions, node name overridable
//! with `BROKERLAB_RABBITMQ_NODE`). Without a broker these tests fail with
//! instructions; they never pass silently.

use std::process::Command;
use std::sync::{RwLock, RwLockReadGuard};
use std::time::{Duration, Instant};

use brokerlab_cli::verify::{NO_ALARM, NO_RESTART, Options, Verification, plan_with, verify, verify_with_outcomes};
use brokerlab_rabbit_live::Outcome;
use brokerlab_scenario::definitions::from_definitions;
use brokerlab_scenario::{PolicyApplyTo, PolicyDef, RabbitTopology, RabbitVersion, Scenario, presets};

/// Tests share one broker; the one that restarts it runs alone.
static BROKER: RwLock<()> = RwLock::new(());

fn shared_broker() -> RwLockReadGuard<'static, ()> {
    BROKER.read().unwrap_or_else(|e| e.into_inner())
}

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
    let _broker = shared_broker();
    for id in
        ["exchange-types", "topic-routing", "headers-routing", "dlq-retry", "rpc-reply-queue", "durability-restart"]
    {
        let s = presets::get(id).expect("preset");
        let v = verify(&s, &url()).unwrap_or_else(|e| panic!("{e}\n{START}"));
        // The engine runs as the release the broker announces, whatever the scenario names.
        assert_eq!(
            v.rabbitmq_version.broker.split('.').take(2).collect::<Vec<_>>().join("."),
            v.rabbitmq_version.engine
        );
        assert!(
            v.matches,
            "{id}: the engine and RabbitMQ differ:\n{}",
            serde_json::to_string_pretty(&v.differences).unwrap_or_default()
        );
    }
}

#[test]
fn verify_agrees_with_a_real_rabbitmq_on_the_presets_with_consumers() {
    let _broker = shared_broker();
    for id in
        ["work-queue", "prefetch-slow-consumer", "fanout-pubsub", "push-vs-pull", "queue-vs-log", "kafka-vs-rabbit"]
    {
        let s = presets::get(id).expect("preset");
        let (v, runs) =
            verify_with_outcomes(&s, &url(), &Options::default()).unwrap_or_else(|e| panic!("{e}\n{START}"));
        assert!(v.matches, "{id}: the engine and RabbitMQ differ:\n{}", pretty(&v.differences));
        assert!(v.skipped.is_empty(), "{id}: {}", pretty(&v.skipped));
        // Not a vacuous agreement: the broker pushed messages to consumers.
        let broker = runs[0].broker.as_ref().unwrap_or_else(|e| panic!("{id}: {e}"));
        assert!(broker.consumers.iter().any(|c| !c.deliveries.is_empty()), "{id}: no deliveries");
    }
}

#[test]
fn verify_skips_a_restart_with_the_reason_and_checks_the_rest() {
    let _broker = shared_broker();
    let s = presets::get("durability-restart").expect("preset");
    let v = verify(&s, &url()).unwrap_or_else(|e| panic!("{e}\n{START}"));
    let skipped: Vec<(Option<usize>, &str)> = v.skipped.iter().map(|k| (k.action, k.reason.as_str())).collect();
    assert_eq!(skipped, [(Some(3), NO_RESTART)]);
    assert!(v.matches, "{}", pretty(&v.differences));
}

fn pretty(v: &impl serde::Serialize) -> String {
    serde_json::to_string_pretty(v).unwrap_or_default()
}

fn unique(what: &str) -> String {
    format!("brokerlab-verify-{what}-{}", std::process::id())
}

/// Verifies `json`, requires agreement, and returns what the broker observed
/// in the part of `vhost`.
fn agreed(json: &str, vhost: &str) -> (Verification, Outcome) {
    let s = Scenario::from_json(json).unwrap_or_else(|e| panic!("{e}\n{json}"));
    let (v, runs) = verify_with_outcomes(&s, &url(), &Options::default()).unwrap_or_else(|e| panic!("{e}\n{START}"));
    assert!(v.matches, "the engine and RabbitMQ differ:\n{}", pretty(&v.differences));
    let run = runs.into_iter().find(|r| r.vhost == vhost).unwrap_or_else(|| panic!("no part in vhost `{vhost}`"));
    let broker = run.broker.unwrap_or_else(|e| panic!("the broker's run stopped: {e}"));
    (v, broker)
}

/// Each consumer's deliveries: body, redelivered flag and the script action
/// after which it arrived (`None` while the topology was built).
fn received(s: &str, vhost: &str, o: &Outcome) -> Vec<Vec<(String, bool, Option<usize>)>> {
    received_with(s, vhost, o, &Options::default())
}

/// [`received`] for a run with `options`, whose plan may have more steps.
fn received_with(s: &str, vhost: &str, o: &Outcome, options: &Options) -> Vec<Vec<(String, bool, Option<usize>)>> {
    let p = plan_with(&Scenario::from_json(s).expect("scenario"), options);
    let part = p.parts.iter().find(|p| p.vhost == vhost).expect("part");
    o.consumers
        .iter()
        .map(|c| {
            c.deliveries.iter().map(|d| (d.message.body.clone(), d.message.redelivered, part.origins[d.step])).collect()
        })
        .collect()
}

fn left(o: &Outcome, queue: &str) -> Vec<(String, bool)> {
    o.drained.get(queue).map(|m| m.iter().map(|m| (m.body.clone(), m.redelivered)).collect()).unwrap_or_default()
}

fn d(body: &str, redelivered: bool, after: Option<usize>) -> (String, bool, Option<usize>) {
    (body.to_string(), redelivered, after)
}

#[test]
fn prefetch_holds_deliveries_back_until_acknowledgements_make_room() {
    let _broker = shared_broker();
    let q = unique("prefetch");
    let json = format!(
        r#"{{ "version": 1, "rabbitmq": {{ "queues": [{{ "name": "{q}" }}],
            "consumers": [{{ "tag": "slow", "queue": "{q}", "prefetch": 2 }}] }},
          "script": [
            {{ "action": "publish", "routing_key": "{q}", "body": "m1" }},
            {{ "action": "publish", "routing_key": "{q}", "body": "m2" }},
            {{ "action": "publish", "routing_key": "{q}", "body": "m3" }},
            {{ "action": "publish", "routing_key": "{q}", "body": "m4" }},
            {{ "action": "publish", "routing_key": "{q}", "body": "m5" }},
            {{ "action": "ack", "client": "slow" }},
            {{ "action": "ack", "client": "slow", "delivery_tag": 3, "multiple": true }}
          ] }}"#
    );
    let (v, broker) = agreed(&json, "/");
    assert_eq!(
        received(&json, "/", &broker),
        [vec![
            d("m1", false, Some(0)),
            d("m2", false, Some(1)),
            d("m3", false, Some(5)),
            d("m4", false, Some(6)),
            d("m5", false, Some(6)),
        ]]
    );
    assert_eq!(broker.settled, [Some(1), Some(3)]);
    assert_eq!(left(&broker, &q), []);
    let compared = v.vhosts[0].compared.expect("compared");
    assert_eq!((compared.consumers, compared.deliveries, compared.settles), (1, 5, 2));
}

#[test]
fn competing_consumers_with_manual_acks_share_the_work() {
    let _broker = shared_broker();
    let q = unique("workers");
    let json = format!(
        r#"{{ "version": 1, "rabbitmq": {{ "queues": [{{ "name": "{q}" }}],
            "consumers": [{{ "tag": "w1", "queue": "{q}", "prefetch": 1 }}, {{ "tag": "w2", "queue": "{q}", "prefetch": 1 }}] }},
          "script": [
            {{ "action": "publish", "client": "shop", "routing_key": "{q}", "body": "t1" }},
            {{ "action": "publish", "client": "shop", "routing_key": "{q}", "body": "t2" }},
            {{ "action": "publish", "client": "shop", "routing_key": "{q}", "body": "t3" }},
            {{ "action": "publish", "client": "shop", "routing_key": "{q}", "body": "t4" }},
            {{ "action": "ack", "client": "w2" }},
            {{ "action": "ack", "client": "w1" }},
            {{ "action": "get", "client": "shop", "queue": "{q}" }}
          ] }}"#
    );
    let (_, broker) = agreed(&json, "/");
    assert_eq!(
        received(&json, "/", &broker),
        [
            vec![d("t1", false, Some(0)), d("t4", false, Some(5))],
            vec![d("t2", false, Some(1)), d("t3", false, Some(4))]
        ]
    );
    // Both workers are full again, so the get finds the queue empty.
    assert_eq!(broker.gets, [None]);
}

#[test]
fn a_nack_with_requeue_redelivers_and_a_reject_without_it_drops() {
    let _broker = shared_broker();
    let q = unique("nack");
    let json = format!(
        r#"{{ "version": 1, "rabbitmq": {{ "queues": [{{ "name": "{q}" }}] }},
          "script": [
            {{ "action": "consume", "tag": "c", "queue": "{q}", "prefetch": 1 }},
            {{ "action": "publish", "routing_key": "{q}", "body": "a", "headers": {{ "attempt": 1 }} }},
            {{ "action": "publish", "routing_key": "{q}", "body": "b" }},
            {{ "action": "nack", "client": "c" }},
            {{ "action": "reject", "client": "c", "requeue": false }},
            {{ "action": "nack", "client": "c", "requeue": true }},
            {{ "action": "ack", "client": "c" }}
          ] }}"#
    );
    let (_, broker) = agreed(&json, "/");
    assert_eq!(
        received(&json, "/", &broker),
        [vec![d("a", false, Some(1)), d("a", true, Some(3)), d("b", false, Some(4)), d("b", true, Some(5))]]
    );
    let first = &broker.consumers[0].deliveries[0].message;
    assert_eq!(first.headers.get("attempt"), Some(&brokerlab_rabbit::FieldValue::LongLongInt(1)));
    assert_eq!(first.routing_key, q);
    assert_eq!(broker.settled, [Some(1), Some(2), Some(3), Some(4)]);
    assert_eq!(left(&broker, &q), []);
}

#[test]
fn a_cancelled_consumer_gets_nothing_more_and_keeps_its_unacked_message() {
    let _broker = shared_broker();
    let q = unique("cancel");
    let json = format!(
        r#"{{ "version": 1, "rabbitmq": {{ "queues": [{{ "name": "{q}" }}] }},
          "script": [
            {{ "action": "consume", "tag": "c", "client": "worker", "queue": "{q}", "prefetch": 1 }},
            {{ "action": "publish", "routing_key": "{q}", "body": "one" }},
            {{ "action": "publish", "routing_key": "{q}", "body": "two" }},
            {{ "action": "cancel", "client": "worker", "tag": "c" }},
            {{ "action": "ack", "client": "worker" }},
            {{ "action": "publish", "routing_key": "{q}", "body": "three" }}
          ] }}"#
    );
    let (_, broker) = agreed(&json, "/");
    assert_eq!(received(&json, "/", &broker), [vec![d("one", false, Some(1))]]);
    assert_eq!(broker.settled, [Some(1)]);
    assert_eq!(left(&broker, &q), [("two".to_string(), false), ("three".to_string(), false)]);
}

#[test]
fn closing_a_client_requeues_its_unacked_deliveries_to_another_consumer() {
    let _broker = shared_broker();
    let q = unique("close");
    let json = format!(
        r#"{{ "version": 1, "rabbitmq": {{ "queues": [{{ "name": "{q}" }}],
            "consumers": [{{ "tag": "first", "queue": "{q}", "prefetch": 2 }}] }},
          "script": [
            {{ "action": "publish", "routing_key": "{q}", "body": "m1" }},
            {{ "action": "publish", "routing_key": "{q}", "body": "m2" }},
            {{ "action": "publish", "routing_key": "{q}", "body": "m3" }},
            {{ "action": "consume", "tag": "second", "queue": "{q}", "prefetch": 10 }},
            {{ "action": "close_client", "client": "first" }},
            {{ "action": "ack", "client": "second", "delivery_tag": 2 }},
            {{ "action": "close_client", "client": "second" }}
          ] }}"#
    );
    let (_, broker) = agreed(&json, "/");
    assert_eq!(
        received(&json, "/", &broker),
        [
            vec![d("m1", false, Some(0)), d("m2", false, Some(1))],
            vec![d("m3", false, Some(3)), d("m1", true, Some(4)), d("m2", true, Some(4))],
        ]
    );
    // Closing the second client puts back what it had not acknowledged.
    assert_eq!(left(&broker, &q), [("m2".to_string(), true), ("m3".to_string(), true)]);
}

/// A vhost created for one test and deleted when it ends, pass or fail.
struct TestVhost(String);

impl TestVhost {
    fn create(name: String) -> Self {
        rabbitmqctl(&["add_vhost", &name]);
        let vhost = TestVhost(name);
        rabbitmqctl(&["set_permissions", "-p", &vhost.0, "guest", ".*", ".*", ".*"]);
        vhost
    }
}

impl Drop for TestVhost {
    fn drop(&mut self) {
        let _ = Command::new("rabbitmqctl").arg("-n").arg(node()).args(["delete_vhost", &self.0]).output();
    }
}

#[test]
fn a_part_in_another_vhost_runs_on_a_connection_to_that_vhost() {
    let _broker = shared_broker();
    let vhost = TestVhost::create(unique("vhost"));
    let v = &vhost.0;
    let q = unique("in-vhost");
    let json = format!(
        r#"{{ "version": 1, "rabbitmq": {{ "vhosts": [{{ "name": "{v}" }}],
            "exchanges": [{{ "name": "{q}.x", "vhost": "{v}", "type": "fanout" }}],
            "queues": [{{ "name": "{q}", "vhost": "{v}" }}, {{ "name": "{q}", "durable": false }}],
            "bindings": [{{ "source": "{q}.x", "vhost": "{v}", "destination": "{q}" }}],
            "consumers": [{{ "tag": "c", "vhost": "{v}", "queue": "{q}", "prefetch": 1 }}] }},
          "script": [
            {{ "action": "publish", "vhost": "{v}", "exchange": "{q}.x", "body": "in {v}" }},
            {{ "action": "publish", "vhost": "{v}", "exchange": "{q}.x", "body": "second" }},
            {{ "action": "publish", "routing_key": "{q}", "body": "in /" }},
            {{ "action": "nack", "vhost": "{v}", "client": "c" }},
            {{ "action": "get", "queue": "{q}", "auto_ack": true }}
          ] }}"#
    );
    let (verification, broker) = agreed(&json, v);
    let ran: Vec<(&str, bool)> = verification.vhosts.iter().map(|r| (r.vhost.as_str(), r.ran)).collect();
    assert_eq!(ran, [("/", true), (v.as_str(), true)]);
    assert_eq!(
        received(&json, v, &broker),
        [vec![d(&format!("in {v}"), false, Some(0)), d(&format!("in {v}"), true, Some(3))]]
    );
    assert_eq!(left(&broker, &q), [("second".to_string(), false)]);
    assert!(verification.skipped.is_empty(), "{}", pretty(&verification.skipped));
    // The `/` part saw only its own message.
    let slash = verification.vhosts[0].compared.expect("compared");
    assert_eq!((slash.gets, slash.deliveries, slash.messages_left), (1, 0, 0));
}

#[test]
fn a_vhost_missing_on_the_broker_is_skipped_with_the_command_that_creates_it() {
    let _broker = shared_broker();
    let v = unique("missing");
    let q = unique("beside-missing");
    let json = format!(
        r#"{{ "version": 1, "rabbitmq": {{ "vhosts": [{{ "name": "{v}" }}],
            "queues": [{{ "name": "orders", "vhost": "{v}" }}, {{ "name": "{q}" }}] }},
          "script": [
            {{ "action": "publish", "vhost": "{v}", "routing_key": "orders", "body": "lost" }},
            {{ "action": "publish", "routing_key": "{q}", "body": "kept" }}
          ] }}"#
    );
    let (verification, broker) = agreed(&json, "/");
    let ran: Vec<(&str, bool)> = verification.vhosts.iter().map(|r| (r.vhost.as_str(), r.ran)).collect();
    assert_eq!(ran, [("/", true), (v.as_str(), false)]);
    assert_eq!(verification.skipped.len(), 1, "{}", pretty(&verification.skipped));
    let skipped = &verification.skipped[0];
    assert_eq!((skipped.action, skipped.vhost.as_deref()), (None, Some(v.as_str())));
    assert!(skipped.reason.contains(&format!("`rabbitmqctl add_vhost {v}`")), "{}", skipped.reason);
    assert!(skipped.reason.contains("set_permissions"), "{}", skipped.reason);
    assert_eq!(left(&broker, &q), [("kept".to_string(), false)]);
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
        // The release is the exporting broker's, not part of the vhost.
        version: RabbitVersion::default(),
        vhosts: t.vhosts.iter().filter(|v| v.name == vhost).cloned().collect(),
        exchanges: t.exchanges.iter().filter(|x| x.vhost == vhost).cloned().collect(),
        queues: t.queues.iter().filter(|q| q.vhost == vhost).cloned().collect(),
        bindings: t.bindings.iter().filter(|b| b.vhost == vhost).cloned().collect(),
        consumers: Vec::new(),
        policies: t.policies.iter().filter(|p| p.vhost == vhost).cloned().collect(),
    };
    out.exchanges.sort_by(|a, b| a.name.cmp(&b.name));
    out.queues.sort_by(|a, b| a.name.cmp(&b.name));
    out.bindings
        .sort_by(|a, b| (&a.source, &a.destination, &a.routing_key).cmp(&(&b.source, &b.destination, &b.routing_key)));
    out
}

#[test]
fn a_definitions_file_round_trips_through_a_real_rabbitmq() {
    let _broker = shared_broker();
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
    // Policies travel too, as RabbitMQ writes them (`apply-to`, `priority`).
    s.rabbitmq.policies.push(PolicyDef {
        name: "cap".into(),
        vhost: vhost.clone(),
        pattern: "^work".into(),
        apply_to: PolicyApplyTo::Queues,
        priority: 3,
        definition: serde_json::from_str(r#"{"max-length": 5, "dead-letter-exchange": "retry"}"#).expect("json"),
    });
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

#[test]
fn with_rabbitmqctl_a_restart_is_replayed_and_compared() {
    // Restarting the node would break every other test's run: this one runs alone.
    let _alone = BROKER.write().unwrap_or_else(|e| e.into_inner());
    let (x, q, t) = (unique("restart-x"), unique("restart-q"), unique("restart-t"));
    let json = format!(
        r#"{{ "version": 1, "rabbitmq": {{
            "exchanges": [{{ "name": "{x}", "type": "fanout" }}],
            "queues": [{{ "name": "{q}" }}, {{ "name": "{t}", "durable": false }}],
            "bindings": [{{ "source": "{x}", "destination": "{q}" }}, {{ "source": "{x}", "destination": "{t}" }}],
            "consumers": [{{ "tag": "before", "queue": "{q}", "prefetch": 1 }}] }},
          "script": [
            {{ "action": "publish", "exchange": "{x}", "body": "p1", "properties": {{ "delivery_mode": 2 }} }},
            {{ "action": "publish", "exchange": "{x}", "body": "p2", "properties": {{ "delivery_mode": 2 }} }},
            {{ "action": "publish", "exchange": "{x}", "body": "t3" }},
            {{ "action": "restart_rabbitmq" }},
            {{ "action": "consume", "tag": "after", "queue": "{q}", "prefetch": 10 }},
            {{ "action": "ack", "client": "after" }},
            {{ "action": "publish", "exchange": "{x}", "body": "p4", "properties": {{ "delivery_mode": 2 }} }},
            {{ "action": "alarm", "alarm": "memory", "active": true }}
          ] }}"#
    );
    let s = Scenario::from_json(&json).expect("scenario");
    let options = Options { rabbitmqctl: Some(node()) };
    let (v, runs) = verify_with_outcomes(&s, &url(), &options).unwrap_or_else(|e| panic!("{e}\n{START}"));
    assert!(v.matches, "the engine and RabbitMQ differ:\n{}", pretty(&v.differences));
    let skipped: Vec<(Option<usize>, &str)> = v.skipped.iter().map(|k| (k.action, k.reason.as_str())).collect();
    assert_eq!(skipped, [(Some(7), NO_ALARM)]);
    let broker = runs[0].broker.as_ref().unwrap_or_else(|e| panic!("the broker's run stopped: {e}"));
    // The unacknowledged persistent message comes back redelivered, the
    // transient one is lost, and so is the transient queue.
    assert_eq!(
        received_with(&json, "/", broker, &options),
        [vec![d("p1", false, Some(0))], vec![d("p1", true, Some(4)), d("p2", false, Some(4)), d("p4", false, Some(6))]]
    );
    assert!(broker.drained.contains_key(&q) && !broker.drained.contains_key(&t), "{:?}", broker.drained.keys());
}

#[test]
fn with_rabbitmqctl_policies_are_set_on_the_broker_and_compared() {
    let _broker = shared_broker();
    let (dlx, q, dead) = (unique("pol-dlx"), unique("pol-q"), unique("pol-dead"));
    let policy = unique("pol");
    let json = format!(
        r#"{{ "version": 2, "rabbitmq": {{
            "policies": [{{ "name": "{policy}", "pattern": "^{q}$", "apply-to": "queues",
                           "definition": {{ "max-length": 2, "dead-letter-exchange": "{dlx}" }} }}],
            "exchanges": [{{ "name": "{dlx}", "type": "fanout" }}],
            "queues": [{{ "name": "{q}", "arguments": {{ "x-max-length": 10 }} }}, {{ "name": "{dead}" }}],
            "bindings": [{{ "source": "{dlx}", "destination": "{dead}" }}] }},
          "script": [
            {{ "action": "publish", "routing_key": "{q}", "body": "m1" }},
            {{ "action": "publish", "routing_key": "{q}", "body": "m2" }},
            {{ "action": "publish", "routing_key": "{q}", "body": "m3" }},
            {{ "action": "set_policy", "policy": {{ "name": "{policy}", "pattern": "^{q}$", "apply-to": "queues",
                                                   "definition": {{ "max-length": 1 }} }} }},
            {{ "action": "clear_policy", "name": "{policy}" }},
            {{ "action": "publish", "routing_key": "{q}", "body": "m4" }}
          ] }}"#
    );
    let s = Scenario::from_json(&json).expect("scenario");
    let options = Options { rabbitmqctl: Some(node()) };
    let (v, runs) = verify_with_outcomes(&s, &url(), &options).unwrap_or_else(|e| panic!("{e}\n{START}"));
    let left = rabbitmqctl(&["list_policies", "--silent"]);
    assert!(!left.contains(&policy), "the policy was cleared afterwards: {left}");
    assert!(v.matches, "the engine and RabbitMQ differ:\n{}", pretty(&v.differences));
    assert!(v.skipped.is_empty(), "{}", pretty(&v.skipped));
    let broker = runs[0].broker.as_ref().unwrap_or_else(|e| panic!("the broker's run stopped: {e}"));
    let bodies = |queue: &str| -> Vec<String> {
        broker.drained.get(queue).map(|m| m.iter().map(|o| o.body.clone()).collect()).unwrap_or_default()
    };
    // max-length 2 from the policy (lower than the argument's 10) dead-letters
    // m1; the replacing policy, without a dead-letter exchange, drops m2.
    assert_eq!(bodies(&q), ["m3", "m4"]);
    assert_eq!(bodies(&dead), ["m1"]);
}
