//! Generated client code: it names the same topology and script as the
//! scenario, and it parses as Python and as JavaScript (checked with the
//! `python3` and `node` on the machine, which the project's machines have).

use std::io::Write as _;
use std::process::Command;

use brokerlab_scenario::{Scenario, codegen, presets};

fn every_action() -> Scenario {
    Scenario::from_link(include_str!("golden/v1/every-action.link")).expect("opens")
}

fn check_syntax(program: &str, args: &[&str], ext: &str, source: &str, label: &str) {
    let dir = std::env::temp_dir().join(format!("brokerlab-codegen-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join(format!("{label}.{ext}"));
    std::fs::File::create(&path).and_then(|mut f| f.write_all(source.as_bytes())).expect("written");
    let out = Command::new(program).args(args).arg(&path).output().unwrap_or_else(|e| {
        panic!("cannot run `{program}` to check the generated code ({e}); install it (python3, node) to run this test")
    });
    assert!(out.status.success(), "{label}: {}\n{source}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn python_code_declares_the_topology_and_replays_the_script() {
    let code = codegen::python(&presets::get("dlq-retry").expect("preset"));
    assert!(code.contains("import pika"));
    assert!(code.contains(
        "queue_declare(queue=\"work.retry\", durable=True, auto_delete=False, arguments={\"x-dead-letter-exchange\": \"\", \"x-dead-letter-routing-key\": \"work\", \"x-message-ttl\": 5000})"
    ));
    assert!(code.contains("basic_reject(delivery_tag=settle(\"app\", \"/\", None), requeue=False)"));
    assert!(code.contains("time.sleep(6)"));
    assert!(!code.contains("confluent_kafka"), "no Kafka part, no Kafka import");
}

#[test]
fn javascript_code_declares_the_topology_and_replays_the_script() {
    let code = codegen::javascript(&presets::get("kafka-vs-rabbit").expect("preset"));
    assert!(code.contains("require(\"amqplib\")") && code.contains("require(\"kafkajs\")"));
    assert!(code.contains("bindQueue(\"billing\", \"orders\", \"order.#\", {})"));
    assert!(code.contains("createTopics({ topics: [{ topic: \"orders\", numPartitions: 2, replicationFactor: 3"));
    assert!(code.contains("messages: [{ key: \"o-1\", value: \"created\" }]"));
}

/// Every preset and the golden every-action and policies scenarios.
fn everything() -> Vec<Scenario> {
    let mut all = presets::all();
    all.push(every_action());
    all.push(Scenario::from_link(include_str!("golden/v2/policies.link")).expect("opens"));
    all
}

/// Clients cannot set policies over AMQP: both programs give the
/// `rabbitmqctl set_policy` command instead, and a name with quotes or a line
/// break stays inside its comment.
#[test]
fn policies_become_rabbitmqctl_commands() {
    let mut s = Scenario::from_link(include_str!("golden/v2/policies.link")).expect("opens");
    let py = codegen::python(&s);
    assert!(
        py.contains(
            r#"# Set this policy first: rabbitmqctl set_policy -p '/' --priority 2 --apply-to quorum_queues 'cap' '^orders' '{"dead-letter-exchange":"dlx","max-length":2,"overflow":"drop-head"}'"#
        ),
        "{py}"
    );
    assert!(
        py.contains("input(\"Clear a policy by hand: rabbitmqctl clear_policy -p '/' 'cap'; then press Enter\")"),
        "{py}"
    );
    let js = codegen::javascript(&s);
    assert!(
        js.contains("// Set a policy by hand: rabbitmqctl set_policy -p '/' --priority 2 --apply-to queues 'cap'"),
        "{js}"
    );
    s.rabbitmq.policies[0].name = "a'\nimport os\r\u{2028}x".into();
    let py = codegen::python(&s);
    assert!(py.contains(r"$'a\'\u000aimport os\u000d\u2028x'"), "{py}");
    assert!(!py.lines().any(|l| l.starts_with("import os")), "{py}");
    check_syntax("python3", &["-c", "import ast,sys; ast.parse(open(sys.argv[1]).read())"], "py", &py, "policy-name");
}

#[test]
fn generated_python_parses_for_every_preset_and_every_action() {
    // One interpreter parses all programs, each checked on its own.
    let mut checker = String::from("import ast\n");
    for s in everything() {
        checker.push_str(&format!(
            "ast.parse({}, {:?})\n",
            serde_json::to_string(&codegen::python(&s)).expect("json"),
            s.id
        ));
    }
    check_syntax("python3", &[], "py", &checker, "all-python");
}

#[test]
fn generated_javascript_parses_for_every_preset_and_every_action() {
    // Each program in its own block, so one `node --check` covers them all.
    let all: String = everything().iter().map(|s| format!("{{\n{}\n}}\n", codegen::javascript(s))).collect();
    check_syntax("node", &["--check"], "js", &all, "all-javascript");
}

#[test]
fn names_cannot_break_out_of_string_literals() {
    let mut s = presets::get("work-queue").expect("preset");
    s.rabbitmq.queues[0].name = "a\"); import os #\n".into();
    s.rabbitmq.consumers.clear();
    s.script.clear();
    let py = codegen::python(&s);
    assert!(py.contains(r#"queue="a\"); import os #\n""#), "{py}");
    check_syntax("python3", &["-m", "py_compile"], "py", &py, "escape");
    check_syntax("node", &["--check"], "js", &codegen::javascript(&s), "escape");
}

/// A Kafka part with the configs the scenario format has, for both programs.
fn configured_kafka() -> Scenario {
    let mut s = Scenario::default();
    s.kafka.configs.insert("min.insync.replicas".into(), "2".into());
    s.kafka.configs.insert("replica.lag.time.max.ms".into(), "10000".into());
    s.kafka.topics.push(brokerlab_scenario::TopicDef::new("orders", 1, 3));
    let configs = |pairs: &[(&str, &str)]| pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    s.kafka.producers.push(brokerlab_scenario::ProducerDef {
        name: "p".into(),
        configs: configs(&[
            ("linger.ms", "5"),
            ("retries", "3"),
            ("retry.backoff.ms", "50"),
            ("max.in.flight.requests.per.connection", "1"),
            ("delivery.timeout.ms", "30000"),
        ]),
    });
    s.kafka.consumers.push(brokerlab_scenario::KafkaConsumerDef {
        name: "c".into(),
        group_id: "g".into(),
        topics: vec!["orders".into()],
        configs: configs(&[
            ("session.timeout.ms", "10000"),
            ("heartbeat.interval.ms", "2000"),
            ("max.poll.interval.ms", "60000"),
            ("max.poll.records", "7"),
            ("isolation.level", "read_committed"),
        ]),
        rebalance_listener: false,
    });
    s.script.push(brokerlab_scenario::Action::Poll { consumer: "c".into(), max_records: None });
    s
}

/// kafkajs gets each option it has and names the Java client's configs it
/// has not; librdkafka gets every config it accepts and polls
/// `max.poll.records` at a time; both say how to set the cluster's configs.
#[test]
fn kafka_client_and_cluster_configs_reach_both_programs() {
    let s = configured_kafka();
    let js = codegen::javascript(&s);
    assert!(
        js.contains(
            "kafka.producer({ idempotent: true, maxInFlightRequests: 1, retry: { retries: 3, initialRetryTime: 50 } })"
        ),
        "{js}"
    );
    assert!(
        js.contains(
            "// kafkajs has no producer option for: linger.ms=5, delivery.timeout.ms=30000 (the Java client's configs)."
        ),
        "{js}"
    );
    assert!(
        js.contains(
            "kafka.consumer({ groupId: \"g\", readUncommitted: false, sessionTimeout: 10000, heartbeatInterval: 2000, rebalanceTimeout: 60000 })"
        ),
        "{js}"
    );
    assert!(js.contains("// kafkajs has no consumer option for: max.poll.records=7"), "{js}");
    let cluster = "kafka-configs.sh --bootstrap-server localhost:9092 --alter --entity-type brokers --entity-default --add-config min.insync.replicas=2";
    assert!(js.contains(&format!("  // {cluster}")), "{js}");
    assert!(js.contains("read-only, set before it starts): replica.lag.time.max.ms=10000"), "{js}");

    let py = codegen::python(&s);
    assert!(py.contains(&format!("    # {cluster}")), "{py}");
    assert!(
        py.contains(
            "Producer({\"bootstrap.servers\":BOOTSTRAP,\"delivery.timeout.ms\":\"30000\",\"linger.ms\":\"5\",\"max.in.flight.requests.per.connection\":\"1\",\"retries\":\"3\",\"retry.backoff.ms\":\"50\"})"
        ),
        "{py}"
    );
    assert!(py.contains("\"isolation.level\":\"read_committed\""), "{py}");
    assert!(!py.contains("max.poll.records"), "librdkafka has no max.poll.records: {py}");
    assert!(py.contains("consumers[\"c\"].consume(num_messages=7, timeout=2.0)"), "{py}");
    check_syntax("python3", &["-m", "py_compile"], "py", &py, "kafka-configs");
    check_syntax("node", &["--check"], "js", &js, "kafka-configs");
}
