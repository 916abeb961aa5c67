//! Differential test of policies: policies set with `rabbitmqctl set_policy`
//! on a real RabbitMQ and with `Command::SetPolicy` on the engine (as the
//! broker's own release, read from `connection.start`), then the same
//! declarations, publishes and waits on both. What is left in each queue,
//! and the dead-letter reason and source of each dead-lettered message, must
//! be identical.
//!
//! Covered: the highest-priority matching policy applies; a classic queue
//! takes the lower `max-length` and `message-ttl` of policy and argument
//! (`rabbit_amqqueue_process:process_args_policy/1`); a policy's
//! `dead-letter-exchange` dead-letters expired messages, and a queue's own
//! `x-dead-letter-exchange` wins over it; lowering `max-length` on an
//! existing queue drops its head at once; clearing a policy lifts it.
//!
//! The broker URL comes from `BROKERLAB_AMQP_URL` (default
//! `amqp://guest:guest@127.0.0.1:5672/%2f`), the node for `rabbitmqctl -n`
//! from `BROKERLAB_RABBITMQ_NODE` (default `rabbit@localhost`, the node
//! `cargo xtask test` starts). Without either the test fails; it never
//! passes silently. Every name starts with this run's own prefix, and the
//! policies and queues are removed afterwards.

use brokerlab_rabbit::{BasicProperties, Broker, ChannelId, Command, ExchangeKind, FieldTable, FieldValue, Version};
use brokerlab_rabbit_live::{LiveBroker, Outcome, Step, run_on_engine, server_version};

mod support;
use support::url;

const CH: ChannelId = ChannelId { connection: 1, channel: 1 };

fn node() -> String {
    std::env::var("BROKERLAB_RABBITMQ_NODE").unwrap_or_else(|_| "rabbit@localhost".to_string())
}

fn live() -> LiveBroker {
    let mut live = support::live(100);
    live.set_rabbitmqctl_node(Some(node()));
    live
}

fn name(what: &str) -> String {
    format!("bl-policy-{}-{what}", std::process::id())
}

fn int(v: i64) -> FieldValue {
    FieldValue::LongLongInt(v)
}

fn table(pairs: &[(&str, FieldValue)]) -> FieldTable {
    pairs.iter().map(|(k, v)| (k.to_string(), v.clone())).collect()
}

fn set_policy(policy: &str, pattern: &str, priority: i64, definition: FieldTable) -> Step {
    Step::Do(Command::SetPolicy {
        vhost: "/".into(),
        name: name(policy),
        pattern: pattern.into(),
        apply_to: "queues".into(),
        priority,
        definition,
        operator: false,
    })
}

fn clear_policy(policy: &str) -> Step {
    Step::Do(Command::ClearPolicy { vhost: "/".into(), name: name(policy), operator: false })
}

fn declare(queue: &str, arguments: FieldTable) -> Step {
    Step::Do(Command::QueueDeclare {
        channel: CH,
        queue: name(queue),
        passive: false,
        durable: true,
        exclusive: false,
        auto_delete: false,
        arguments,
    })
}

fn fanout(exchange: &str) -> Step {
    Step::Do(Command::ExchangeDeclare {
        channel: CH,
        exchange: name(exchange),
        kind: ExchangeKind::Fanout,
        passive: false,
        durable: true,
        auto_delete: false,
        internal: false,
        arguments: FieldTable::new(),
    })
}

fn bind(queue: &str, exchange: &str) -> Step {
    Step::Do(Command::QueueBind {
        channel: CH,
        queue: name(queue),
        exchange: name(exchange),
        routing_key: String::new(),
        arguments: FieldTable::new(),
    })
}

fn publish(queue: &str, body: &str) -> Step {
    Step::Do(Command::BasicPublish {
        channel: CH,
        exchange: String::new(),
        routing_key: name(queue),
        mandatory: false,
        properties: BasicProperties::default(),
        body: body.into(),
    })
}

/// A queue's messages as their bodies, each with its first `x-death`
/// entry's reason and queue.
type Contents = Vec<(String, Option<String>)>;

/// Each drained queue's contents (an `x-death` time is a wall clock on the
/// broker, so it is left out).
fn summary(out: &Outcome) -> Vec<(String, Contents)> {
    out.drained
        .iter()
        .map(|(q, msgs)| {
            let msgs = msgs
                .iter()
                .map(|m| {
                    let death = match m.headers.get("x-death") {
                        Some(FieldValue::FieldArray(items)) => items.first().and_then(|d| match d {
                            FieldValue::FieldTable(t) => Some(format!(
                                "{:?}/{:?}",
                                t.get("reason").and_then(FieldValue::as_str),
                                t.get("queue").and_then(FieldValue::as_str)
                            )),
                            _ => None,
                        }),
                        _ => None,
                    };
                    (m.body.clone(), death)
                })
                .collect();
            (q.clone(), msgs)
        })
        .collect()
}

#[test]
fn policies_behave_on_the_engine_as_on_a_real_rabbitmq() {
    let url = url();
    let announced = server_version(&url).unwrap_or_else(|e| panic!("cannot read RabbitMQ's version at {url}: {e}"));
    let version = Version::from_server(&announced).expect("a release the engine models");
    let queues = ["len", "ttl", "arg-dlx", "later", "dead", "dead-arg"];
    let policies = ["len-high", "len-low", "ttl", "later"];
    let mut steps = vec![
        Step::Do(Command::OpenConnection { user: "guest".into(), password: "guest".into(), vhost: "/".into() }),
        Step::Do(Command::OpenChannel { connection: 1 }),
        // Two policies match `len`: the priority-5 one applies, and the
        // queue's own x-max-length 3 is higher, so 2 is the limit.
        set_policy("len-low", &format!("^{}$", name("len")), 0, table(&[("max-length", int(1))])),
        set_policy("len-high", &format!("^{}", name("len")), 5, table(&[("max-length", int(2))])),
        // `ttl` and `arg-dlx`: a policy's TTL of 100 ms beats the argument's
        // minute, and its dead-letter exchange takes the expired messages,
        // except where the queue names its own.
        set_policy(
            "ttl",
            &format!("^{}(ttl|arg-dlx)$", name("")),
            0,
            table(&[("message-ttl", int(100)), ("dead-letter-exchange", FieldValue::str(name("dlx")))]),
        ),
        fanout("dlx"),
        fanout("dlx-arg"),
        declare("dead", FieldTable::new()),
        declare("dead-arg", FieldTable::new()),
        bind("dead", "dlx"),
        bind("dead-arg", "dlx-arg"),
        declare("len", table(&[("x-max-length", int(3))])),
        declare("ttl", table(&[("x-message-ttl", int(60_000))])),
        declare("arg-dlx", table(&[("x-dead-letter-exchange", FieldValue::str(name("dlx-arg")))])),
        declare("later", FieldTable::new()),
    ];
    for i in 0..5 {
        steps.push(publish("len", &format!("len-{i}")));
    }
    steps.push(publish("ttl", "ttl-0"));
    steps.push(publish("arg-dlx", "arg-0"));
    for i in 0..4 {
        steps.push(publish("later", &format!("later-{i}")));
    }
    // A policy set on a queue that already holds four messages drops three
    // from the head at once; clearing it lets the queue grow again.
    steps.push(set_policy("later", &format!("^{}$", name("later")), 0, table(&[("max-length", int(1))])));
    steps.push(clear_policy("later"));
    steps.push(publish("later", "later-4"));
    steps.push(Step::Wait { ms: 400 });
    steps.push(Step::Drain { channel: CH, queues: queues.iter().map(|q| name(q)).collect() });

    let mut engine = Broker::with_version(7, version);
    let expected = run_on_engine(&mut engine, &steps).expect("the engine runs the script");
    let mut l = live();
    let observed = l.run(&steps);
    // Clean up whatever happened.
    let mut cleanup = vec![
        Step::Do(Command::OpenConnection { user: "guest".into(), password: "guest".into(), vhost: "/".into() }),
        Step::Do(Command::OpenChannel { connection: 1 }),
    ];
    for q in queues {
        cleanup.push(Step::Do(Command::QueueDelete { channel: CH, queue: name(q), if_unused: false, if_empty: false }));
    }
    for x in ["dlx", "dlx-arg"] {
        cleanup.push(Step::Do(Command::ExchangeDelete { channel: CH, exchange: name(x), if_unused: false }));
    }
    let mut c = live();
    for step in cleanup.iter().chain(policies.iter().map(|p| clear_policy(p)).collect::<Vec<_>>().iter()) {
        // `later` is cleared by the script already; the others are not.
        let _ = c.run(std::slice::from_ref(step));
    }
    let _ = c.close();
    let observed = observed.unwrap_or_else(|e| panic!("the broker ran the script: {e}"));

    let want = summary(&expected);
    assert_eq!(want, summary(&observed), "engine ({version}) and RabbitMQ {announced} differ");
    // And the engine did what the sources say, so the comparison is not of two wrong answers.
    let bodies = |q: &str| -> Vec<String> {
        want.iter().find(|(n, _)| *n == name(q)).map(|(_, m)| m.iter().map(|(b, _)| b.clone()).collect()).unwrap()
    };
    assert_eq!(bodies("len"), ["len-3", "len-4"]);
    assert!(bodies("ttl").is_empty() && bodies("arg-dlx").is_empty());
    assert_eq!(bodies("dead"), ["ttl-0"]);
    assert_eq!(bodies("dead-arg"), ["arg-0"]);
    assert_eq!(bodies("later"), ["later-3", "later-4"]);
}
