//! Bad input never panics. A property test drives random sequences over the
//! whole `Command` vocabulary, in any order: commands on channels and
//! connections that were never opened or are closed, on missing queues,
//! exchanges, vhosts and users, after restarts, with hostile arguments and
//! extreme numbers. Every command must either succeed or be refused with an
//! `AmqpError`, a refusal on an open channel must close that channel (or its
//! connection) in the same `Outcome`, and the engine's invariants must hold
//! after every step. Regression tests for panics found earlier follow.

use brokerlab_rabbit::*;
use proptest::prelude::*;

const VHOSTS: [&str; 3] = ["/", "v", "gone"];
const USERS: [&str; 3] = ["guest", "ann", "nobody"];
const EXCHANGES: [&str; 6] = ["", "x", "y", "amq.topic", "amq.fanout", "dlx"];
const QUEUES: [&str; 5] = ["q", "r", "dlq", "", "amq.q"];
const KEYS: [&str; 5] = ["", "q", "a.b", "#", "r"];

fn name(pool: &[&str], i: u8) -> String {
    pool[i as usize % pool.len()].to_string()
}

fn channel() -> impl Strategy<Value = ChannelId> {
    // Mostly the first few connections and channels, which the run opens;
    // sometimes numbers nobody opened.
    prop_oneof![
        8 => (1u32..3, 1u16..3).prop_map(|(connection, channel)| ChannelId { connection, channel }),
        1 => (any::<u32>(), any::<u16>()).prop_map(|(connection, channel)| ChannelId { connection, channel }),
    ]
}

fn value() -> impl Strategy<Value = FieldValue> {
    prop_oneof![
        (-2i64..12).prop_map(FieldValue::LongLongInt),
        Just(FieldValue::LongLongInt(i64::MAX)),
        Just(FieldValue::LongInt(300)),
        Just(FieldValue::str("dlx")),
        Just(FieldValue::str("quorum")),
        Just(FieldValue::str("classic")),
        Just(FieldValue::str("reject-publish")),
        Just(FieldValue::str("reject-publish-dlx")),
        Just(FieldValue::str("drop-head")),
        Just(FieldValue::str("any")),
        Just(FieldValue::Boolean(true)),
        Just(FieldValue::Double(1.5)),
        Just(FieldValue::Void),
    ]
}

fn arguments() -> impl Strategy<Value = FieldTable> {
    const ARGS: [&str; 14] = [
        "x-max-priority",
        "x-max-length",
        "x-max-length-bytes",
        "x-overflow",
        "x-dead-letter-exchange",
        "x-dead-letter-routing-key",
        "x-message-ttl",
        "x-expires",
        "x-queue-type",
        "x-single-active-consumer",
        "x-delivery-limit",
        "alternate-exchange",
        "x-match",
        "x-priority",
    ];
    proptest::collection::btree_map((0..ARGS.len()).prop_map(|i| ARGS[i].to_string()), value(), 0..4)
}

fn properties() -> impl Strategy<Value = BasicProperties> {
    (
        proptest::option::of(any::<u8>()),
        proptest::option::of(prop_oneof![
            (0u64..200).prop_map(|e| e.to_string()),
            Just(u64::MAX.to_string()),
            Just("-1".to_string()),
            Just("soon".to_string()),
        ]),
        any::<bool>(),
        proptest::option::of(Just(FieldValue::FieldArray(vec![FieldValue::str("r"), FieldValue::Boolean(false)]))),
    )
        .prop_map(|(priority, expiration, persistent, cc)| {
            let mut p = if persistent { BasicProperties::persistent() } else { BasicProperties::default() };
            p.priority = priority;
            p.expiration = expiration;
            if let Some(cc) = cc {
                p.headers = Some([("CC".to_string(), cc)].into_iter().collect());
            }
            p
        })
}

fn kind() -> impl Strategy<Value = ExchangeKind> {
    prop_oneof![
        Just(ExchangeKind::Direct),
        Just(ExchangeKind::Fanout),
        Just(ExchangeKind::Topic),
        Just(ExchangeKind::Headers)
    ]
}

fn tick() -> impl Strategy<Value = u64> {
    prop_oneof![8 => 0u64..300, 1 => Just(u64::MAX)]
}

/// Every command of the vocabulary, with names from small pools so that
/// commands meet each other's entities often.
fn command() -> impl Strategy<Value = Command> {
    let b = any::<bool>;
    let n = any::<u8>;
    prop_oneof![
        1 => n().prop_map(|v| Command::AddVhost { name: name(&VHOSTS, v) }),
        1 => n().prop_map(|v| Command::DeleteVhost { name: name(&VHOSTS, v) }),
        1 => n().prop_map(|u| Command::AddUser { name: name(&USERS, u), password: "pw".into() }),
        1 => n().prop_map(|u| Command::DeleteUser { name: name(&USERS, u) }),
        1 => (n(), n(), prop_oneof![Just(".*"), Just(""), Just("^q$"), Just("(")]).prop_map(|(u, v, p)| {
            Command::SetPermissions {
                user: name(&USERS, u),
                vhost: name(&VHOSTS, v),
                configure: p.into(),
                write: ".*".into(),
                read: p.into(),
            }
        }),
        3 => (n(), n()).prop_map(|(u, v)| {
            let user = name(&USERS, u);
            let password = if user == "guest" { "guest".into() } else { "pw".into() };
            Command::OpenConnection { user, password, vhost: name(&VHOSTS, v) }
        }),
        1 => (0u32..5).prop_map(|connection| Command::CloseConnection { connection }),
        3 => (0u32..5).prop_map(|connection| Command::OpenChannel { connection }),
        1 => channel().prop_map(|channel| Command::CloseChannel { channel }),
        2 => (channel(), n(), kind(), b(), b(), b(), b(), arguments()).prop_map(
            |(channel, x, kind, passive, durable, auto_delete, internal, arguments)| Command::ExchangeDeclare {
                channel,
                exchange: name(&EXCHANGES, x),
                kind,
                passive,
                durable,
                auto_delete,
                internal,
                arguments,
            }
        ),
        1 => (channel(), n(), b()).prop_map(|(channel, x, if_unused)| Command::ExchangeDelete {
            channel,
            exchange: name(&EXCHANGES, x),
            if_unused
        }),
        4 => (channel(), n(), b(), b(), b(), b(), arguments()).prop_map(
            |(channel, q, passive, durable, exclusive, auto_delete, arguments)| Command::QueueDeclare {
                channel,
                queue: name(&QUEUES, q),
                passive,
                durable,
                exclusive,
                auto_delete,
                arguments,
            }
        ),
        1 => (channel(), n(), b(), b()).prop_map(|(channel, q, if_unused, if_empty)| Command::QueueDelete {
            channel,
            queue: name(&QUEUES, q),
            if_unused,
            if_empty
        }),
        1 => (channel(), n()).prop_map(|(channel, q)| Command::QueuePurge { channel, queue: name(&QUEUES, q) }),
        3 => (channel(), n(), n(), n(), arguments()).prop_map(|(channel, q, x, k, arguments)| Command::QueueBind {
            channel,
            queue: name(&QUEUES, q),
            exchange: name(&EXCHANGES, x),
            routing_key: name(&KEYS, k),
            arguments,
        }),
        1 => (channel(), n(), n(), n()).prop_map(|(channel, q, x, k)| Command::QueueUnbind {
            channel,
            queue: name(&QUEUES, q),
            exchange: name(&EXCHANGES, x),
            routing_key: name(&KEYS, k),
            arguments: FieldTable::new(),
        }),
        1 => (channel(), n(), n(), n()).prop_map(|(channel, d, s, k)| Command::ExchangeBind {
            channel,
            destination: name(&EXCHANGES, d),
            source: name(&EXCHANGES, s),
            routing_key: name(&KEYS, k),
            arguments: FieldTable::new(),
        }),
        1 => (channel(), n(), n(), n()).prop_map(|(channel, d, s, k)| Command::ExchangeUnbind {
            channel,
            destination: name(&EXCHANGES, d),
            source: name(&EXCHANGES, s),
            routing_key: name(&KEYS, k),
            arguments: FieldTable::new(),
        }),
        2 => (channel(), 0u16..4, b()).prop_map(|(channel, prefetch_count, global)| Command::BasicQos {
            channel,
            prefetch_count,
            global
        }),
        8 => (channel(), n(), n(), b(), properties(), prop_oneof![Just(""), Just("body"), Just("a longer body")])
            .prop_map(|(channel, x, k, mandatory, properties, body)| Command::BasicPublish {
                channel,
                exchange: name(&EXCHANGES, x),
                routing_key: name(&KEYS, k),
                mandatory,
                properties,
                body: body.into(),
            }),
        3 => (channel(), n(), prop_oneof![Just(""), Just("c1"), Just("c2")], b(), b(), arguments()).prop_map(
            |(channel, q, tag, no_ack, exclusive, arguments)| Command::BasicConsume {
                channel,
                queue: name(&QUEUES, q),
                consumer_tag: tag.into(),
                no_ack,
                exclusive,
                arguments,
            }
        ),
        1 => (channel(), prop_oneof![Just("c1"), Just("c2"), Just("none")])
            .prop_map(|(channel, tag)| Command::BasicCancel { channel, consumer_tag: tag.into() }),
        3 => (channel(), n(), b()).prop_map(|(channel, q, no_ack)| Command::BasicGet {
            channel,
            queue: name(&QUEUES, q),
            no_ack
        }),
        3 => (channel(), 0u64..6, b()).prop_map(|(channel, delivery_tag, multiple)| Command::BasicAck {
            channel,
            delivery_tag,
            multiple
        }),
        2 => (channel(), 0u64..6, b(), b()).prop_map(|(channel, delivery_tag, multiple, requeue)| {
            Command::BasicNack { channel, delivery_tag, multiple, requeue }
        }),
        2 => (channel(), 0u64..6, b()).prop_map(|(channel, delivery_tag, requeue)| Command::BasicReject {
            channel,
            delivery_tag,
            requeue
        }),
        1 => channel().prop_map(|channel| Command::ConfirmSelect { channel }),
        3 => tick().prop_map(|ms| Command::Tick { ms }),
        1 => Just(Command::Restart),
        1 => (prop_oneof![Just(Alarm::Memory), Just(Alarm::Disk)], b())
            .prop_map(|(alarm, active)| Command::SetAlarm { alarm, active }),
        2 => (
            n(),
            prop_oneof![Just("p1"), Just("p2")],
            prop_oneof![Just(".*"), Just("^q$"), Just("^(q|r)"), Just("(")],
            prop_oneof![Just("all"), Just("queues"), Just("exchanges"), Just("quorum_queues"), Just("bogus")],
            -1i64..3,
            arguments(),
            b(),
        )
            .prop_map(|(v, policy, pattern, apply_to, priority, args, operator)| Command::SetPolicy {
                vhost: name(&VHOSTS, v),
                name: policy.into(),
                pattern: pattern.into(),
                apply_to: apply_to.into(),
                priority,
                // Policy keys are the argument names without `x-`.
                definition: args.into_iter().map(|(k, v)| (k.trim_start_matches("x-").to_string(), v)).collect(),
                operator,
            }),
        1 => (n(), prop_oneof![Just("p1"), Just("p2")], b())
            .prop_map(|(v, policy, operator)| Command::ClearPolicy { vhost: name(&VHOSTS, v), name: policy.into(), operator }),
        1 => (n(), prop_oneof![Just(None), Just(Some(QueueType::Quorum)), Just(Some(QueueType::Stream))])
            .prop_map(|(v, queue_type)| Command::SetDefaultQueueType { vhost: name(&VHOSTS, v), queue_type }),
    ]
}

/// Whether a channel is open right now.
fn is_open(b: &Broker, ch: ChannelId) -> bool {
    b.channels().iter().any(|c| c.channel == ch)
}

fn run(seed: u64, commands: Vec<Command>) -> Result<(), TestCaseError> {
    let mut b = Broker::new(seed);
    // Two connections with channels so most commands find something open.
    for _ in 0..2 {
        let ch = b.connect("guest", "guest", "/").map_err(|e| TestCaseError::fail(e.to_string()))?;
        b.open_channel(ch.connection).map_err(|e| TestCaseError::fail(e.to_string()))?;
    }
    for (i, cmd) in commands.into_iter().enumerate() {
        let on = cmd.channel().filter(|ch| is_open(&b, *ch));
        let shown = format!("{cmd:?}");
        let out = b.apply(cmd);
        if let Some(err) = &out.error {
            // A refusal on an open channel closes it (or its connection) and
            // says so in the same outcome, with the same error.
            if let Some(ch) = on {
                let closed = out.events.iter().any(|e| match e {
                    Event::ChannelClosed { channel, error: Some(e) } => *channel == ch && e == err,
                    Event::ConnectionClosed { connection, error: Some(e) } => *connection == ch.connection && e == err,
                    _ => false,
                });
                prop_assert!(closed, "seed {seed}, step {i} ({shown}): refused with {err} but did not close {ch:?}");
                prop_assert!(!is_open(&b, ch), "seed {seed}, step {i} ({shown}): {ch:?} is still open after {err}");
            }
            prop_assert!(!err.text.is_empty(), "seed {seed}, step {i} ({shown}): an error without a text");
        }
        if let Err(e) = b.check_invariants() {
            return Err(TestCaseError::fail(format!("seed {seed}, step {i} ({shown}): {e}")));
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn no_command_sequence_panics_and_every_refusal_is_an_amqp_error(
        seed in any::<u64>(),
        commands in proptest::collection::vec(command(), 1..120),
    ) {
        run(seed, commands)?;
    }
}

fn args(pairs: &[(&str, FieldValue)]) -> FieldTable {
    pairs.iter().map(|(k, v)| (k.to_string(), v.clone())).collect()
}

fn declare(b: &mut Broker, ch: ChannelId, queue: &str, arguments: FieldTable) {
    b.apply(Command::QueueDeclare {
        channel: ch,
        queue: queue.into(),
        passive: false,
        durable: true,
        exclusive: false,
        auto_delete: false,
        arguments,
    })
    .into_result()
    .unwrap();
}

#[test]
fn a_delivery_from_a_deleted_queue_is_not_requeued_into_a_new_queue_of_the_same_name() {
    let mut b = Broker::new(1);
    let ch = b.connect("guest", "guest", "/").unwrap();
    declare(&mut b, ch, "q", args(&[("x-max-priority", FieldValue::LongLongInt(9))]));
    b.publish_with(ch, "", "q", BasicProperties::default().with_priority(9), "m", false).unwrap();
    b.get(ch, "q", false).unwrap();
    let other = b.connect("guest", "guest", "/").unwrap();
    b.apply(Command::QueueDelete { channel: other, queue: "q".into(), if_unused: false, if_empty: false })
        .into_result()
        .unwrap();
    // The new queue has one priority level where the old had ten.
    declare(&mut b, other, "q", FieldTable::new());
    let ev = b.nack(ch, 1, false, true).unwrap();
    assert!(
        ev.iter().any(|e| matches!(e, Event::Dropped { reason: DropReason::QueueDeleted, message_id: Some(_), .. })),
        "{ev:?}"
    );
    assert_eq!(b.queue("/", "q").unwrap().ready, 0);
    assert_eq!(b.queue("/", "q").unwrap().unacked, 0);
    b.check_invariants().unwrap();
}

#[test]
fn closing_a_channel_after_its_queue_was_redeclared_with_fewer_priorities_drops_the_delivery() {
    let mut b = Broker::new(1);
    let ch = b.connect("guest", "guest", "/").unwrap();
    declare(&mut b, ch, "q", args(&[("x-max-priority", FieldValue::LongLongInt(5))]));
    b.publish_with(ch, "", "q", BasicProperties::default().with_priority(5), "m", false).unwrap();
    b.consume(ch, "q", "c", false).unwrap();
    let other = b.connect("guest", "guest", "/").unwrap();
    b.apply(Command::QueueDelete { channel: other, queue: "q".into(), if_unused: false, if_empty: false })
        .into_result()
        .unwrap();
    declare(&mut b, other, "q", args(&[("x-max-priority", FieldValue::LongLongInt(1))]));
    let out = b.apply(Command::CloseChannel { channel: ch });
    assert!(out.is_ok());
    assert!(out.events.iter().any(|e| matches!(e, Event::Dropped { reason: DropReason::QueueDeleted, .. })));
    b.check_invariants().unwrap();
}

#[test]
fn huge_ttls_and_ticks_saturate_instead_of_overflowing() {
    let mut b = Broker::new(1);
    let ch = b.connect("guest", "guest", "/").unwrap();
    declare(
        &mut b,
        ch,
        "q",
        args(&[("x-message-ttl", FieldValue::LongLongInt(i64::MAX)), ("x-expires", FieldValue::LongLongInt(i64::MAX))]),
    );
    b.publish_with(ch, "", "q", BasicProperties::default().with_expiration(u64::MAX), "m", false).unwrap();
    b.tick(u64::MAX);
    b.tick(u64::MAX);
    assert_eq!(b.now(), u64::MAX);
    b.check_invariants().unwrap();
}

#[test]
fn a_connection_refuses_channels_beyond_channel_max_and_never_reuses_an_open_number() {
    let mut b = Broker::new(1);
    let ch = b.connect("guest", "guest", "/").unwrap();
    b.declare_queue(ch, "q", FieldTable::new()).unwrap();
    b.publish(ch, "", "q", "m").unwrap();
    b.get(ch, "q", false).unwrap();
    for _ in 1..2047 {
        b.open_channel(ch.connection).unwrap();
    }
    let err = b.open_channel(ch.connection).unwrap_err();
    assert_eq!(err.code, ReplyCode::NotAllowed);
    // Channel 1 still holds its delivery: no new channel replaced it.
    b.apply(Command::CloseChannel { channel: ChannelId { connection: ch.connection, channel: 7 } })
        .into_result()
        .unwrap();
    assert_eq!(b.open_channel(ch.connection).unwrap().channel, 7);
    assert_eq!(b.channels().iter().find(|c| c.channel == ch).unwrap().unacked.len(), 1);
    b.check_invariants().unwrap();
}

/// The scenario fuzzer's reproducer: a fetched priority message outlives its
/// queue, which is declared again without priorities; a nack, a reject or
/// the connection closing then gives the message back.
#[test]
fn settling_a_delivery_whose_queue_was_redeclared_without_priorities_never_panics() {
    for how in ["nack", "reject", "close"] {
        let mut b = Broker::new(0);
        let ch = b.connect("guest", "guest", "/").unwrap();
        declare(&mut b, ch, "prio", args(&[("x-max-priority", FieldValue::LongLongInt(1))]));
        b.publish_with(ch, "", "prio", BasicProperties::default().with_priority(1), "m", false).unwrap();
        b.get(ch, "prio", false).unwrap();
        b.apply(Command::QueueDelete { channel: ch, queue: "prio".into(), if_unused: false, if_empty: false })
            .into_result()
            .unwrap();
        declare(&mut b, ch, "prio", FieldTable::new());
        let out = match how {
            "nack" => b.apply(Command::BasicNack { channel: ch, delivery_tag: 1, multiple: false, requeue: true }),
            "reject" => b.apply(Command::BasicReject { channel: ch, delivery_tag: 1, requeue: true }),
            _ => b.apply(Command::CloseConnection { connection: ch.connection }),
        };
        assert!(out.is_ok(), "{how}: {:?}", out.error);
        assert!(
            out.events.iter().any(|e| matches!(e, Event::Dropped { reason: DropReason::QueueDeleted, .. })),
            "{how}: {:?}",
            out.events
        );
        if how != "close" {
            assert_eq!(b.queue("/", "prio").unwrap().ready, 0, "{how}");
        }
        assert_eq!(b.ledger().dropped, 1, "{how}");
    }
}

/// The scenario fuzzer's second reproducer: consumer `t1` holds a delivery,
/// its queue is deleted (cancelling it) and declared again, and a new `t1`
/// starts on the same channel. The old delivery belongs to the old consumer.
#[test]
fn acking_a_cancelled_consumers_delivery_leaves_a_new_consumer_with_the_same_tag_alone() {
    let mut b = Broker::new(0);
    let ch = b.connect("guest", "guest", "/").unwrap();
    declare(&mut b, ch, "q1", FieldTable::new());
    b.consume(ch, "q1", "t1", false).unwrap();
    b.publish(ch, "", "q1", "m").unwrap();
    b.apply(Command::QueueDelete { channel: ch, queue: "q1".into(), if_unused: false, if_empty: false })
        .into_result()
        .unwrap();
    declare(&mut b, ch, "q1", FieldTable::new());
    b.consume(ch, "q1", "t1", false).unwrap();
    b.publish(ch, "", "q1", "n").unwrap();
    let consumer = &b.queue("/", "q1").unwrap().consumers[0];
    assert_eq!(consumer.unacked, vec![2], "only the new delivery is the new consumer's");
    let ev = b.ack(ch, 1, false).unwrap();
    assert!(ev.iter().any(|e| matches!(e, Event::Acked { .. })), "{ev:?}");
    assert_eq!(b.queue("/", "q1").unwrap().consumers[0].unacked, vec![2]);
    b.ack(ch, 2, false).unwrap();
    assert_eq!(b.ledger().acked, 2);
    b.check_invariants().unwrap();
}
