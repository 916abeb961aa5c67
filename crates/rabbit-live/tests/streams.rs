//! Differential tests for stream queues: the same scripts on the engine and
//! on a real RabbitMQ (3.10.8 on the development machine; streams over AMQP
//! 0-9-1 need no plugin), whose stream consumers must receive the same
//! records with the same `x-stream-offset` values, and whose refusals must
//! carry the same reply code and text.
//!
//! The broker URL comes from `BROKERLAB_AMQP_URL` (default
//! `amqp://guest:guest@127.0.0.1:5672/%2f`). Without a reachable broker the
//! tests fail; they never pass silently.
//!
//! `basic.nack` and `basic.reject` of a stream delivery are not compared
//! here: 3.10.8 answers them by closing the connection after the
//! settlement was sent, which this harness cannot observe (it opens a new
//! channel for the next step); the engine's own tests pin that refusal to
//! `rabbit_stream_queue:settle/4`.
//!
//! Streams are durable, so every test names its streams after the process
//! id and deletes them when it is done. Each publish is followed by a short
//! pause so that the broker writes it as a chunk of its own, as the engine
//! does; a stream reader is fed whole chunks.

use brokerlab_rabbit::{BasicProperties, Broker, ChannelId, Command, FieldTable, FieldValue, Version};
use brokerlab_rabbit_live::{LiveBroker, Observed, Outcome, Settle, Step, run_on_engine};

mod support;

const CH: ChannelId = ChannelId { connection: 1, channel: 1 };

fn live() -> LiveBroker {
    support::live(150)
}

fn name(what: &str) -> String {
    format!("bl-stream-{}-{what}", std::process::id())
}

fn args(pairs: &[(&str, FieldValue)]) -> FieldTable {
    pairs.iter().map(|(k, v)| (k.to_string(), v.clone())).collect()
}

fn stream_args() -> FieldTable {
    args(&[("x-queue-type", FieldValue::str("stream"))])
}

fn open() -> Vec<Step> {
    vec![
        Step::Do(Command::OpenConnection { user: "guest".into(), password: "guest".into(), vhost: "/".into() }),
        Step::Do(Command::OpenChannel { connection: 1 }),
    ]
}

fn declare(queue: &str, durable: bool, exclusive: bool, auto_delete: bool, arguments: FieldTable) -> Step {
    Step::Do(Command::QueueDeclare {
        channel: CH,
        queue: queue.into(),
        passive: false,
        durable,
        exclusive,
        auto_delete,
        arguments,
    })
}

fn declare_stream(queue: &str) -> Step {
    declare(queue, true, false, false, stream_args())
}

fn qos(n: u16, global: bool) -> Step {
    Step::Do(Command::BasicQos { channel: CH, prefetch_count: n, global })
}

fn publish(queue: &str, body: &str) -> Step {
    publish_with(queue, body, BasicProperties::default())
}

fn publish_with(queue: &str, body: &str, properties: BasicProperties) -> Step {
    Step::Do(Command::BasicPublish {
        channel: CH,
        exchange: String::new(),
        routing_key: queue.into(),
        mandatory: false,
        properties,
        body: body.into(),
    })
}

fn consume(queue: &str, tag: &str, no_ack: bool, arguments: FieldTable) -> Step {
    Step::Do(Command::BasicConsume {
        channel: CH,
        queue: queue.into(),
        consumer_tag: tag.into(),
        no_ack,
        exclusive: false,
        arguments,
    })
}

fn offset(v: FieldValue) -> FieldTable {
    args(&[("x-stream-offset", v)])
}

fn settle_oldest(how: Settle) -> Step {
    Step::Settle { channel: CH, delivery_tag: None, multiple: false, how }
}

/// Deletes the named queues on a connection of their own.
fn cleanup(queues: &[&str]) {
    let mut steps = open();
    for q in queues {
        steps.push(Step::Do(Command::QueueDelete {
            channel: CH,
            queue: q.to_string(),
            if_unused: false,
            if_empty: false,
        }));
    }
    let mut l = live();
    l.run(&steps).unwrap_or_else(|e| panic!("cleanup of {queues:?} failed: {e}"));
    let _ = l.close();
}

/// Each consumer's deliveries as `(consumer tag, body, x-stream-offset)`.
fn deliveries(out: &Outcome) -> Vec<(String, String, Option<FieldValue>)> {
    out.consumers
        .iter()
        .flat_map(|c| {
            c.deliveries.iter().map(|d| {
                (c.consumer_tag.clone(), d.message.body.clone(), d.message.headers.get("x-stream-offset").cloned())
            })
        })
        .collect()
}

#[test]
fn stream_consumers_at_first_last_next_and_an_offset_receive_what_rabbitmq_delivers() {
    let s = name("offsets");
    let mut steps = open();
    steps.push(declare_stream(&s));
    for i in 0..5 {
        steps.push(publish(&s, &format!("m{i}")));
    }
    steps.push(qos(2, false));
    steps.push(consume(&s, "first", false, offset(FieldValue::str("first"))));
    steps.push(consume(&s, "last", false, offset(FieldValue::str("last"))));
    steps.push(consume(&s, "next", false, offset(FieldValue::str("next"))));
    steps.push(consume(&s, "at3", false, offset(FieldValue::LongLongInt(3))));
    steps.push(consume(&s, "default", false, FieldTable::new()));
    // Acknowledging the oldest delivery (the "first" reader's offset 0)
    // gives that reader one more credit: it reads offset 2.
    steps.push(settle_oldest(Settle::Ack));
    for i in 5..8 {
        steps.push(publish(&s, &format!("m{i}")));
    }
    // Acknowledge everything the channel holds: every reader reads on.
    steps.push(Step::Do(Command::BasicAck { channel: CH, delivery_tag: 0, multiple: true }));

    let mut engine = Broker::with_version(1, Version::V3_10);
    let eng = run_on_engine(&mut engine, &steps).expect("the engine runs the script");
    engine.check_invariants().expect("the engine's invariants hold");
    let mut l = live();
    let got = l.run_expecting(&steps, &eng);
    let _ = l.close();
    cleanup(&[&s]);
    let got = got.unwrap_or_else(|e| panic!("the broker refused the script: {e}"));

    let eng_d = deliveries(&eng);
    assert_eq!(deliveries(&got), eng_d, "stream deliveries differ from RabbitMQ's");
    // The delivery tags too: the channel numbers deliveries in the order
    // its readers are served (descending consumer tags when records
    // arrive, ascending when acknowledgements give credit back).
    let tags = |o: &Outcome| -> Vec<(String, u64)> {
        o.consumers.iter().flat_map(|c| c.deliveries.iter().map(|d| (c.consumer_tag.clone(), d.delivery_tag))).collect()
    };
    assert_eq!(tags(&got), tags(&eng), "delivery tags differ from RabbitMQ's");
    // The engine's own figures, so this test cannot pass on two empty lists.
    let by = |tag: &str| -> Vec<i64> {
        eng_d
            .iter()
            .filter(|d| d.0 == tag)
            .filter_map(|d| match d.2 {
                Some(FieldValue::LongLongInt(o)) => Some(o),
                _ => None,
            })
            .collect()
    };
    assert_eq!(by("first"), [0, 1, 2, 3, 4]);
    assert_eq!(by("last"), [4, 5, 6, 7]);
    assert_eq!(by("next"), [5, 6, 7]);
    assert_eq!(by("at3"), [3, 4, 5, 6]);
    assert_eq!(by("default"), [5, 6, 7]);
}

/// Runs `steps` on a fresh engine (as 3.10, the real broker's release) and on the broker, and returns both
/// refusals as `(reply code, text)`.
fn refusal(steps: &[Step]) -> ((u16, String), String) {
    let mut engine = Broker::with_version(1, Version::V3_10);
    let err = run_on_engine(&mut engine, steps).expect_err("the engine refuses the script");
    let mut l = live();
    let live_err = l.run(steps).expect_err("the broker refuses the script");
    let _ = l.close();
    ((err.reply_code(), err.text), live_err.0)
}

/// The broker's refusal in the engine's words: lapin reports
/// `... error: PRECONDITION-FAILED: PRECONDITION_FAILED - text`, so the
/// code is read from its name and the text from after the dash.
fn live_refusal(live: &str) -> (u16, String) {
    let code =
        [(406, "PRECONDITION_FAILED"), (540, "NOT_IMPLEMENTED"), (541, "INTERNAL_ERROR"), (405, "RESOURCE_LOCKED")]
            .into_iter()
            .find(|(_, n)| live.contains(n))
            .map_or(0, |(c, _)| c);
    let text = live.split_once(" - ").map_or(String::new(), |(_, t)| t.to_string());
    (code, text)
}

#[test]
fn a_stream_refuses_what_rabbitmq_3_10_refuses_with_its_code_and_text() {
    let s = name("refuse");
    let with = |extra: &[(&str, FieldValue)]| {
        let mut a = stream_args();
        a.extend(args(extra));
        a
    };
    let cases: Vec<(&str, Vec<Step>)> = vec![
        ("non-durable", vec![declare(&s, false, false, false, stream_args())]),
        ("exclusive", vec![declare(&s, true, true, false, stream_args())]),
        ("auto-delete", vec![declare(&s, true, false, true, stream_args())]),
        (
            "x-message-ttl",
            vec![declare(&s, true, false, false, with(&[("x-message-ttl", FieldValue::LongLongInt(1000))]))],
        ),
        (
            "x-max-priority",
            vec![declare(&s, true, false, false, with(&[("x-max-priority", FieldValue::LongLongInt(5))]))],
        ),
        (
            "x-dead-letter-exchange",
            vec![declare(&s, true, false, false, with(&[("x-dead-letter-exchange", FieldValue::str("dlx"))]))],
        ),
        ("x-max-age", vec![declare(&s, true, false, false, with(&[("x-max-age", FieldValue::str("0h"))]))]),
        ("no prefetch", vec![declare_stream(&s), consume(&s, "c", false, FieldTable::new())]),
        ("no-ack", vec![declare_stream(&s), qos(10, false), consume(&s, "c", true, FieldTable::new())]),
        (
            "global qos",
            vec![declare_stream(&s), qos(10, false), qos(10, true), consume(&s, "c", false, FieldTable::new())],
        ),
        (
            "x-priority",
            vec![
                declare_stream(&s),
                qos(10, false),
                consume(&s, "c", false, args(&[("x-priority", FieldValue::LongLongInt(3))])),
            ],
        ),
        ("basic.get", vec![declare_stream(&s), Step::Get { channel: CH, queue: s.clone(), no_ack: false }]),
        ("queue.purge", vec![declare_stream(&s), Step::Do(Command::QueuePurge { channel: CH, queue: s.clone() })]),
    ];
    let mut differences = Vec::new();
    for (what, body) in &cases {
        let mut steps = open();
        steps.extend(body.iter().cloned());
        let (engine, live) = refusal(&steps);
        cleanup(&[&s]);
        if engine != live_refusal(&live) {
            differences.push(format!("{what}: engine {engine:?}, broker: {live}"));
        }
    }
    assert!(
        differences.is_empty(),
        "{} of {} refusals differ:\n{}",
        differences.len(),
        cases.len(),
        differences.join("\n")
    );
}

/// Each consumer's deliveries as `(consumer tag, message)`, the message as
/// the client saw it (body, exchange, routing key, headers, properties).
fn messages(out: &Outcome) -> Vec<(String, Observed)> {
    out.consumers
        .iter()
        .flat_map(|c| c.deliveries.iter().map(|d| (c.consumer_tag.clone(), d.message.clone())))
        .collect()
}

#[test]
fn a_stream_ignores_per_message_ttl_and_attaches_by_timestamp_interval_and_an_offset_past_its_end() {
    let s = name("attach");
    let mut steps = open();
    steps.push(declare_stream(&s));
    // RabbitMQ 3.10.8 stores the expiration property and never expires a
    // stream record: the reader after the wait still receives it, with
    // its properties and headers as published.
    let props = BasicProperties::default().with_expiration(1).with_header("h", FieldValue::str("v"));
    steps.push(publish_with(&s, "a", props));
    steps.push(qos(5, false));
    steps.push(consume(&s, "first", false, offset(FieldValue::str("first"))));
    steps.push(Step::Wait { ms: 100 });
    // A timestamp (in seconds) before every record attaches at the first.
    steps.push(consume(&s, "epoch", false, offset(FieldValue::Timestamp(0))));
    // An interval reaches back from now: an hour covers every record.
    steps.push(consume(&s, "hour", false, offset(FieldValue::str("1h"))));
    // An offset past the end waits for that offset (3.10.8's start_offset
    // filter), so record 1 is skipped.
    steps.push(consume(&s, "at2", false, offset(FieldValue::LongLongInt(2))));
    steps.push(publish(&s, "b"));
    steps.push(publish_with(&s, "c", BasicProperties { delivery_mode: Some(2), ..BasicProperties::default() }));
    let mut engine = Broker::with_version(1, Version::V3_10);
    let eng = run_on_engine(&mut engine, &steps).expect("the engine runs the script");
    engine.check_invariants().expect("the engine's invariants hold");
    let mut l = live();
    let got = l.run_expecting(&steps, &eng);
    let _ = l.close();
    cleanup(&[&s]);
    let got = got.unwrap_or_else(|e| panic!("the broker refused the script: {e}"));
    assert_eq!(messages(&got), messages(&eng), "stream deliveries differ from RabbitMQ's");
    let tags: Vec<(String, String)> = messages(&eng).into_iter().map(|(t, m)| (t, m.body)).collect();
    let want: Vec<(String, String)> = [
        ("first", "a"),
        ("first", "b"),
        ("first", "c"),
        ("epoch", "a"),
        ("epoch", "b"),
        ("epoch", "c"),
        ("hour", "a"),
        ("hour", "b"),
        ("hour", "c"),
        ("at2", "c"),
    ]
    .into_iter()
    .map(|(t, b)| (t.to_string(), b.to_string()))
    .collect();
    assert_eq!(tags, want);
}

#[test]
fn deleting_a_stream_ignores_if_unused_and_if_empty_as_rabbitmq_does() {
    let s = name("delete");
    let mut steps = open();
    steps.push(declare_stream(&s));
    steps.push(publish(&s, "a"));
    steps.push(qos(5, false));
    steps.push(consume(&s, "c", false, offset(FieldValue::str("first"))));
    // In use and not empty, and deleted all the same (3.10.8's
    // rabbit_stream_queue:delete/4 ignores both flags).
    steps.push(Step::Do(Command::QueueDelete { channel: CH, queue: s.clone(), if_unused: true, if_empty: true }));
    // A classic queue of the same name can only be declared once the
    // stream is gone (otherwise x-queue-type is inequivalent).
    steps.push(declare(&s, true, false, false, FieldTable::new()));
    let mut engine = Broker::with_version(1, Version::V3_10);
    let eng = run_on_engine(&mut engine, &steps);
    let mut l = live();
    let got = l.run(&steps);
    let _ = l.close();
    cleanup(&[&s]);
    got.unwrap_or_else(|e| panic!("the broker refused the script: {e}"));
    eng.unwrap_or_else(|e| panic!("the engine refused the script: {e}"));
    assert_eq!(engine.queue("/", &s).map(|q| q.queue_type), Some(brokerlab_rabbit::QueueType::Classic));
}
