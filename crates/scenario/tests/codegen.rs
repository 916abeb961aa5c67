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
