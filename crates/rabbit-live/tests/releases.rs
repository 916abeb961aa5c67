//! Differential tests of rules that changed between RabbitMQ releases,
//! played on the engine as the broker's own release (read from
//! `connection.start`) and on the real broker: quorum-queue message
//! priorities (none before 4.0), consumer exclusivity on quorum queues (not
//! enforced), and single active consumer on a quorum queue when a consumer
//! of higher priority attaches (a switch from 4.0 only).
//!
//! The broker URL comes from `BROKERLAB_AMQP_URL` (default
//! `amqp://guest:guest@127.0.0.1:5672/%2f`). Without a reachable broker the
//! tests fail; they never pass silently. Quorum queues are durable, so
//! every test names its queues after the process id and deletes them.

use brokerlab_rabbit::{BasicProperties, Broker, ChannelId, Command, FieldTable, FieldValue, Version};
use brokerlab_rabbit_live::{LiveBroker, Outcome, Settle, Step, run_on_engine, server_version};

mod support;
use support::url;

const CH: ChannelId = ChannelId { connection: 1, channel: 1 };

fn live() -> LiveBroker {
    support::live(200)
}

fn version() -> Version {
    let announced = server_version(&url()).unwrap_or_else(|e| panic!("cannot read the broker's version: {e}"));
    Version::from_server(&announced).unwrap_or_else(|| panic!("RabbitMQ {announced} is older than every profile"))
}

fn name(what: &str) -> String {
    format!("bl-release-{}-{what}", std::process::id())
}

fn args(pairs: &[(&str, FieldValue)]) -> FieldTable {
    pairs.iter().map(|(k, v)| (k.to_string(), v.clone())).collect()
}

fn quorum(extra: &[(&str, FieldValue)]) -> FieldTable {
    let mut a = args(&[("x-queue-type", FieldValue::str("quorum"))]);
    a.extend(args(extra));
    a
}

fn open() -> Vec<Step> {
    vec![
        Step::Do(Command::OpenConnection { user: "guest".into(), password: "guest".into(), vhost: "/".into() }),
        Step::Do(Command::OpenChannel { connection: 1 }),
    ]
}

fn declare(queue: &str, arguments: FieldTable) -> Step {
    Step::Do(Command::QueueDeclare {
        channel: CH,
        queue: queue.into(),
        passive: false,
        durable: true,
        exclusive: false,
        auto_delete: false,
        arguments,
    })
}

fn publish(queue: &str, body: &str, priority: Option<u8>) -> Step {
    Step::Do(Command::BasicPublish {
        channel: CH,
        exchange: String::new(),
        routing_key: queue.into(),
        mandatory: false,
        properties: BasicProperties { priority, ..BasicProperties::default() },
        body: body.into(),
    })
}

fn consume(queue: &str, tag: &str, exclusive: bool, arguments: FieldTable) -> Step {
    Step::Do(Command::BasicConsume {
        channel: CH,
        queue: queue.into(),
        consumer_tag: tag.into(),
        no_ack: false,
        exclusive,
        arguments,
    })
}

/// Plays `steps` on the engine (as the broker's release) and on the broker,
/// deletes `queues`, and returns both outcomes.
fn play(steps: &[Step], queues: &[&str]) -> (Outcome, Outcome) {
    let mut engine = Broker::with_version(1, version());
    let eng = run_on_engine(&mut engine, steps).expect("the engine runs the script");
    engine.check_invariants().expect("the engine's invariants hold");
    let mut l = live();
    let got = l.run_expecting(steps, &eng);
    let _ = l.close();
    let mut clean = open();
    for q in queues {
        clean.push(Step::Do(Command::QueueDelete {
            channel: CH,
            queue: q.to_string(),
            if_unused: false,
            if_empty: false,
        }));
    }
    let mut l = live();
    l.run(&clean).unwrap_or_else(|e| panic!("cleanup of {queues:?} failed: {e}"));
    let _ = l.close();
    (eng, got.unwrap_or_else(|e| panic!("the broker refused the script: {e}")))
}

/// `(consumer tag, body)` of every delivery, consumer by consumer.
fn deliveries(out: &Outcome) -> Vec<(String, String)> {
    out.consumers
        .iter()
        .flat_map(|c| c.deliveries.iter().map(|d| (c.consumer_tag.clone(), d.message.body.clone())))
        .collect()
}

fn bodies(out: &Outcome, queue: &str) -> Vec<String> {
    out.drained.get(queue).map(|ms| ms.iter().map(|m| m.body.clone()).collect()).unwrap_or_default()
}

/// Audit 1.6 on the live broker: a (priority 0), b (none), c (priority 9)
/// drain from a quorum queue in the order of the broker's release.
#[test]
fn quorum_message_priorities_match_rabbitmq() {
    let q = name("prio");
    let mut steps = open();
    steps.push(declare(&q, quorum(&[])));
    steps.push(publish(&q, "a", Some(0)));
    steps.push(publish(&q, "b", None));
    steps.push(publish(&q, "c", Some(9)));
    steps.push(Step::Drain { channel: CH, queues: vec![q.clone()] });
    let (eng, got) = play(&steps, &[&q]);
    assert_eq!(bodies(&got, &q), bodies(&eng, &q), "drain order differs from RabbitMQ's");
    assert_eq!(bodies(&eng, &q).len(), 3, "the engine drained all three");
}

/// Consumer exclusivity is enforced by classic queues only: on a quorum
/// queue an exclusive consumer and another one share the messages.
#[test]
fn an_exclusive_consumer_shares_a_quorum_queue_as_in_rabbitmq() {
    let q = name("excl");
    let mut steps = open();
    steps.push(declare(&q, quorum(&[])));
    steps.push(Step::Do(Command::BasicQos { channel: CH, prefetch_count: 5, global: false }));
    steps.push(consume(&q, "x", true, FieldTable::new()));
    steps.push(consume(&q, "y", false, FieldTable::new()));
    for m in ["m1", "m2", "m3", "m4"] {
        steps.push(publish(&q, m, None));
    }
    let (eng, got) = play(&steps, &[&q]);
    assert_eq!(deliveries(&got), deliveries(&eng), "deliveries differ from RabbitMQ's");
    assert!(deliveries(&eng).iter().any(|d| d.0 == "y"), "the engine fed the second consumer");
}

/// Audit 1.5 on the live broker: a consumer of higher priority attaches to
/// a single-active-consumer quorum queue whose active consumer holds a
/// message; it takes over after the ack from 4.0, never before.
#[test]
fn quorum_single_active_consumer_priority_matches_rabbitmq() {
    let q = name("sac");
    let mut steps = open();
    steps.push(declare(&q, quorum(&[("x-single-active-consumer", FieldValue::Boolean(true))])));
    steps.push(Step::Do(Command::BasicQos { channel: CH, prefetch_count: 10, global: false }));
    steps.push(consume(&q, "A", false, FieldTable::new()));
    steps.push(publish(&q, "m1", None));
    steps.push(consume(&q, "B", false, args(&[("x-priority", FieldValue::LongLongInt(5))])));
    steps.push(publish(&q, "m2", None));
    steps.push(Step::Settle { channel: CH, delivery_tag: Some(1), multiple: false, how: Settle::Ack });
    steps.push(publish(&q, "m3", None));
    let (eng, got) = play(&steps, &[&q]);
    assert_eq!(deliveries(&got), deliveries(&eng), "deliveries differ from RabbitMQ's");
    assert_eq!(deliveries(&eng).len(), 3, "the engine delivered every message");
}
