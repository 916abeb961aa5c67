//! Behaviour tests for the broker model, one RabbitMQ rule each: routing
//! extras (alternate and internal exchanges, mandatory, exchange-to-exchange
//! bindings), queue limits, TTL, dead-lettering with `x-death`, consumers and
//! acknowledgements, restarts, confirms, alarms, permissions and errors.

use brokerlab_rabbit::*;

fn setup() -> (Broker, ChannelId) {
    let mut b = Broker::new(1);
    let ch = b.connect("guest", "guest", "/").unwrap();
    (b, ch)
}

fn args(pairs: &[(&str, FieldValue)]) -> FieldTable {
    pairs.iter().map(|(k, v)| (k.to_string(), v.clone())).collect()
}

fn int(v: i64) -> FieldValue {
    FieldValue::LongLongInt(v)
}

fn bodies(b: &Broker, q: &str) -> Vec<String> {
    b.queue("/", q).unwrap().messages.into_iter().map(|m| m.body).collect()
}

fn tags(ev: &[Event]) -> Vec<u64> {
    ev.iter()
        .filter_map(|e| match e {
            Event::Delivered { delivery_tag, .. } | Event::GetOk { delivery_tag, .. } => Some(*delivery_tag),
            _ => None,
        })
        .collect()
}

fn delivered_bodies(ev: &[Event]) -> Vec<(String, String)> {
    ev.iter()
        .filter_map(|e| match e {
            Event::Delivered { consumer_tag, message, .. } => Some((consumer_tag.clone(), message.body.clone())),
            _ => None,
        })
        .collect()
}

fn dlx_pair(b: &mut Broker, ch: ChannelId, extra: &[(&str, FieldValue)]) {
    b.declare_exchange(ch, "dlx", ExchangeKind::Fanout).unwrap();
    b.declare_queue(ch, "dlq", FieldTable::new()).unwrap();
    b.bind_queue(ch, "dlq", "dlx", "").unwrap();
    let mut a = args(&[("x-dead-letter-exchange", FieldValue::str("dlx"))]);
    a.extend(args(extra));
    b.declare_queue(ch, "q", a).unwrap();
}

#[test]
fn a_queue_reached_by_two_paths_gets_one_copy() {
    let (mut b, ch) = setup();
    b.declare_exchange(ch, "a", ExchangeKind::Topic).unwrap();
    b.declare_exchange(ch, "b", ExchangeKind::Fanout).unwrap();
    b.declare_queue(ch, "q", FieldTable::new()).unwrap();
    b.bind_queue(ch, "q", "a", "x.*").unwrap();
    b.bind_exchange(ch, "b", "a", "#").unwrap();
    b.bind_queue(ch, "q", "b", "").unwrap();
    b.bind_exchange(ch, "a", "b", "").unwrap(); // a loop, which routing must survive
    b.publish(ch, "a", "x.y", "m").unwrap();
    assert_eq!(bodies(&b, "q"), vec!["m"]);
}

#[test]
fn unroutable_messages_go_to_the_alternate_exchange() {
    let (mut b, ch) = setup();
    b.declare_exchange(ch, "ae", ExchangeKind::Fanout).unwrap();
    b.declare_queue(ch, "unrouted", FieldTable::new()).unwrap();
    b.bind_queue(ch, "unrouted", "ae", "").unwrap();
    b.declare_exchange_with(ch, "x", ExchangeKind::Direct, args(&[("alternate-exchange", FieldValue::str("ae"))]))
        .unwrap();
    let ev = b.publish(ch, "x", "nobody", "m").unwrap();
    assert_eq!(bodies(&b, "unrouted"), vec!["m"]);
    let Some(Event::Published { trace: Some(t), .. }) = ev.first() else { panic!("no trace: {ev:?}") };
    assert_eq!(t.exchanges[0].alternate_exchange.as_deref(), Some("ae"));
    assert!(t.exchanges[1].via_alternate);
}

#[test]
fn mandatory_unroutable_publish_is_returned() {
    let (mut b, ch) = setup();
    b.declare_exchange(ch, "x", ExchangeKind::Direct).unwrap();
    let ev = b.publish_with(ch, "x", "k", BasicProperties::default(), "m", true).unwrap();
    assert!(ev.iter().any(|e| matches!(e, Event::Returned { reply_code: 312, .. })));
    let ev = b.publish(ch, "x", "k", "m").unwrap();
    assert!(ev.iter().any(|e| matches!(e, Event::Dropped { reason: DropReason::Unroutable, .. })));
}

#[test]
fn internal_exchanges_refuse_direct_publishes() {
    let (mut b, ch) = setup();
    b.apply(Command::ExchangeDeclare {
        channel: ch,
        exchange: "i".into(),
        kind: ExchangeKind::Fanout,
        passive: false,
        durable: false,
        auto_delete: false,
        internal: true,
        arguments: FieldTable::new(),
    })
    .into_result()
    .unwrap();
    let err = b.publish(ch, "i", "", "m").unwrap_err();
    assert_eq!(err.code, ReplyCode::AccessRefused);
}

#[test]
fn topic_trace_says_which_words_each_wildcard_took() {
    let (mut b, ch) = setup();
    b.declare_exchange(ch, "t", ExchangeKind::Topic).unwrap();
    b.declare_queue(ch, "q", FieldTable::new()).unwrap();
    b.bind_queue(ch, "q", "t", "logs.#.error").unwrap();
    b.bind_queue(ch, "q", "t", "metrics.*").unwrap();
    let t = b.explain_route("/", "t", "logs.eu.db.error", None);
    let bt = &t.exchanges[0].bindings;
    assert!(bt[0].matched);
    assert_eq!(bt[0].topic_words.as_ref().unwrap()[1].words, vec!["eu", "db"]);
    assert!(!bt[1].matched);
    assert_eq!(t.queues, vec!["q"]);
}

#[test]
fn auto_delete_exchange_goes_with_its_last_binding() {
    let (mut b, ch) = setup();
    b.apply(Command::ExchangeDeclare {
        channel: ch,
        exchange: "ad".into(),
        kind: ExchangeKind::Fanout,
        passive: false,
        durable: false,
        auto_delete: true,
        internal: false,
        arguments: FieldTable::new(),
    })
    .into_result()
    .unwrap();
    b.declare_queue(ch, "q", FieldTable::new()).unwrap();
    b.bind_queue(ch, "q", "ad", "").unwrap();
    let ev = b
        .apply(Command::QueueUnbind {
            channel: ch,
            queue: "q".into(),
            exchange: "ad".into(),
            routing_key: String::new(),
            arguments: FieldTable::new(),
        })
        .into_result()
        .unwrap();
    assert!(ev.iter().any(|e| matches!(e, Event::ExchangeDeleted { exchange, .. } if exchange == "ad")));
}

#[test]
fn drop_head_dead_letters_the_oldest_in_order() {
    let (mut b, ch) = setup();
    dlx_pair(&mut b, ch, &[("x-max-length", int(1))]);
    for m in ["m1", "m2", "m3"] {
        b.publish(ch, "", "q", m).unwrap();
    }
    assert_eq!(bodies(&b, "q"), vec!["m3"]);
    assert_eq!(bodies(&b, "dlq"), vec!["m1", "m2"]);
    let m = &b.queue("/", "dlq").unwrap().messages[0];
    assert_eq!(m.deaths[0].reason, DeathReason::Maxlen);
}

#[test]
fn reject_publish_dlx_keeps_the_first_and_dead_letters_the_rest() {
    let (mut b, ch) = setup();
    dlx_pair(&mut b, ch, &[("x-max-length", int(1)), ("x-overflow", FieldValue::str("reject-publish-dlx"))]);
    b.apply(Command::ConfirmSelect { channel: ch }).into_result().unwrap();
    let mut acks = Vec::new();
    for m in ["m1", "m2", "m3"] {
        for e in b.publish(ch, "", "q", m).unwrap() {
            if let Event::Confirmed { ack, .. } = e {
                acks.push(ack);
            }
        }
    }
    assert_eq!(bodies(&b, "q"), vec!["m1"]);
    assert_eq!(bodies(&b, "dlq"), vec!["m2", "m3"]);
    assert_eq!(acks, vec![true, false, false]);
}

#[test]
fn max_length_bytes_counts_only_bodies() {
    let (mut b, ch) = setup();
    b.declare_queue(
        ch,
        "q",
        args(&[("x-max-length-bytes", int(5)), ("x-overflow", FieldValue::str("reject-publish"))]),
    )
    .unwrap();
    for m in ["abc", "de", "f"] {
        b.publish(ch, "", "q", m).unwrap();
    }
    assert_eq!(bodies(&b, "q"), vec!["abc", "de"]);
}

#[test]
fn the_lower_of_queue_and_message_ttl_wins_and_expiry_happens_at_the_head() {
    let (mut b, ch) = setup();
    dlx_pair(&mut b, ch, &[("x-message-ttl", int(100))]);
    b.publish(ch, "", "q", "long").unwrap();
    b.publish_with(ch, "", "q", BasicProperties::default().with_expiration(10), "short", false).unwrap();
    b.tick(50);
    // "short" expired at 10 ms but waits behind "long", as in RabbitMQ.
    assert_eq!(bodies(&b, "q"), vec!["long", "short"]);
    b.tick(60);
    assert_eq!(bodies(&b, "dlq"), vec!["long", "short"]);
    let dl = &b.queue("/", "dlq").unwrap().messages[1];
    assert_eq!(dl.deaths[0].original_expiration.as_deref(), Some("10"));
    assert_eq!(dl.properties.expiration, None);
    let first = &b.queue("/", "dlq").unwrap().messages[0];
    assert_eq!(first.deaths[0].original_expiration, None);
}

#[test]
fn ttl_zero_expires_unless_a_consumer_is_waiting() {
    let (mut b, ch) = setup();
    dlx_pair(&mut b, ch, &[("x-message-ttl", int(0))]);
    b.publish(ch, "", "q", "gone").unwrap();
    assert_eq!(bodies(&b, "dlq"), vec!["gone"]);
    b.consume(ch, "q", "c", false).unwrap();
    let ev = b.publish(ch, "", "q", "taken").unwrap();
    assert_eq!(delivered_bodies(&ev), vec![("c".to_string(), "taken".to_string())]);
}

#[test]
fn an_unused_queue_with_x_expires_is_deleted_without_dead_lettering() {
    let (mut b, ch) = setup();
    dlx_pair(&mut b, ch, &[("x-expires", int(1000))]);
    b.publish(ch, "", "q", "m").unwrap();
    b.tick(999);
    assert!(b.queue("/", "q").is_some());
    b.tick(1);
    assert!(b.queue("/", "q").is_none());
    assert!(bodies(&b, "dlq").is_empty());
}

#[test]
fn nack_without_requeue_dead_letters_once() {
    let (mut b, ch) = setup();
    dlx_pair(&mut b, ch, &[]);
    b.publish(ch, "", "q", "m").unwrap();
    let t = tags(&b.get(ch, "q", false).unwrap());
    b.nack(ch, t[0], false, false).unwrap();
    let dl = b.queue("/", "dlq").unwrap().messages;
    assert_eq!(dl.len(), 1);
    let h = dl[0].properties.headers.clone().unwrap();
    let FieldValue::FieldArray(deaths) = &h["x-death"] else { panic!() };
    let FieldValue::FieldTable(d) = &deaths[0] else { panic!() };
    assert_eq!(d["reason"], FieldValue::str("rejected"));
    assert_eq!(d["queue"], FieldValue::str("q"));
    assert_eq!(d["count"], FieldValue::LongLongInt(1));
    assert_eq!(d["exchange"], FieldValue::str(""));
    assert_eq!(d["routing-keys"], FieldValue::FieldArray(vec![FieldValue::str("q")]));
    assert_eq!(h["x-first-death-reason"], FieldValue::str("rejected"));
    assert_eq!(h["x-last-death-queue"], FieldValue::str("q"));
    assert_eq!(dl[0].exchange, "dlx");
    assert!(b.check_invariants().is_ok());
}

#[test]
fn x_death_groups_by_queue_and_reason_newest_first() {
    // The worked sequence from the dead-lettering rules: rejected@q1,
    // expired@q2, expired@q3, rejected@q1, expired@q2.
    let (mut b, ch) = setup();
    let dl_to = |next: &str, ttl: Option<i64>| {
        let mut a = args(&[
            ("x-dead-letter-exchange", FieldValue::str("")),
            ("x-dead-letter-routing-key", FieldValue::str(next)),
        ]);
        if let Some(t) = ttl {
            a.insert("x-message-ttl".into(), int(t));
        }
        a
    };
    b.declare_queue(ch, "q1", dl_to("q2", None)).unwrap();
    b.declare_queue(ch, "q2", dl_to("q3", Some(10))).unwrap();
    b.declare_queue(ch, "q3", dl_to("q1", Some(20))).unwrap();
    b.publish(ch, "", "q1", "m").unwrap();
    let t = tags(&b.get(ch, "q1", false).unwrap());
    b.reject(ch, t[0], false).unwrap();
    b.tick(10); // expires from q2 into q3
    b.tick(20); // expires from q3 into q1
    let t = tags(&b.get(ch, "q1", false).unwrap());
    b.reject(ch, t[0], false).unwrap();
    b.tick(10); // expires from q2 again, into q3
    let m = &b.queue("/", "q3").unwrap().messages[0];
    let got: Vec<(&str, DeathReason, u64)> = m.deaths.iter().map(|d| (d.queue.as_str(), d.reason, d.count)).collect();
    assert_eq!(
        got,
        vec![("q2", DeathReason::Expired, 2), ("q1", DeathReason::Rejected, 2), ("q3", DeathReason::Expired, 1)]
    );
    let h = m.properties.headers.clone().unwrap();
    assert_eq!(h["x-first-death-queue"], FieldValue::str("q1"));
    assert_eq!(h["x-first-death-reason"], FieldValue::str("rejected"));
    assert_eq!(h["x-last-death-queue"], FieldValue::str("q2"));
    assert_eq!(h["x-last-death-reason"], FieldValue::str("expired"));
}

#[test]
fn a_dead_letter_cycle_without_rejection_is_dropped() {
    let (mut b, ch) = setup();
    let a = args(&[
        ("x-dead-letter-exchange", FieldValue::str("")),
        ("x-dead-letter-routing-key", FieldValue::str("q")),
        ("x-message-ttl", int(5)),
    ]);
    b.declare_queue(ch, "q", a).unwrap();
    b.publish(ch, "", "q", "m").unwrap();
    let ev = b.tick(5);
    // First expiry: q is not yet in the history when the check runs? It is:
    // the new death is recorded first, so the copy back into q is a cycle.
    assert!(
        ev.iter()
            .any(|e| matches!(e, Event::Dropped { reason: DropReason::DeadLetterCycle(DeathReason::Expired), .. }))
    );
    assert!(bodies(&b, "q").is_empty());
}

#[test]
fn a_dead_letter_cycle_with_a_rejection_goes_round_again() {
    let (mut b, ch) = setup();
    let a =
        args(&[("x-dead-letter-exchange", FieldValue::str("")), ("x-dead-letter-routing-key", FieldValue::str("q"))]);
    b.declare_queue(ch, "q", a).unwrap();
    b.publish(ch, "", "q", "m").unwrap();
    let t = tags(&b.get(ch, "q", false).unwrap());
    b.reject(ch, t[0], false).unwrap();
    let m = &b.queue("/", "q").unwrap().messages[0];
    assert_eq!(m.deaths[0].count, 1);
}

#[test]
fn quorum_delivery_limit_dead_letters_with_delivery_limit() {
    let (mut b, ch) = setup();
    b.declare_exchange(ch, "dlx", ExchangeKind::Fanout).unwrap();
    b.declare_queue(ch, "dlq", FieldTable::new()).unwrap();
    b.bind_queue(ch, "dlq", "dlx", "").unwrap();
    b.apply(Command::QueueDeclare {
        channel: ch,
        queue: "qq".into(),
        passive: false,
        durable: true,
        exclusive: false,
        auto_delete: false,
        arguments: args(&[
            ("x-queue-type", FieldValue::str("quorum")),
            ("x-delivery-limit", int(1)),
            ("x-dead-letter-exchange", FieldValue::str("dlx")),
        ]),
    })
    .into_result()
    .unwrap();
    b.publish(ch, "", "qq", "m").unwrap();
    for _ in 0..2 {
        let t = tags(&b.get(ch, "qq", false).unwrap());
        b.reject(ch, t[0], true).unwrap();
    }
    let dl = b.queue("/", "dlq").unwrap().messages;
    assert_eq!(dl.len(), 1);
    assert_eq!(dl[0].deaths[0].reason, DeathReason::DeliveryLimit);
}

#[test]
fn quorum_queues_must_be_durable() {
    // 4.2 lets the transient declare reach the quorum queue type, which refuses it.
    let mut b = Broker::with_version(1, Version::V4_2);
    let ch = b.connect("guest", "guest", "/").unwrap();
    let err = b
        .apply(Command::QueueDeclare {
            channel: ch,
            queue: "qq".into(),
            passive: false,
            durable: false,
            exclusive: false,
            auto_delete: false,
            arguments: args(&[("x-queue-type", FieldValue::str("quorum"))]),
        })
        .into_result()
        .unwrap_err();
    assert_eq!(err.code, ReplyCode::PreconditionFailed);
    assert_eq!(err.text, "invalid property 'non-durable' for queue 'qq' in vhost '/'");
}

/// `rabbit_quorum_queue:declare/2` (3.10 to 4.3) checks auto-delete, then
/// the exclusive owner, then durability (`rabbit_queue_type_util`), and
/// names the property as RabbitMQ does (audit section 3 item 11).
#[test]
fn a_quorum_queue_refuses_auto_delete_then_exclusive_then_non_durable() {
    for v in [Version::V3_10, Version::V4_3] {
        let cases = [
            ((true, false, true), "auto-delete"),
            ((true, true, true), "auto-delete"),
            ((true, true, false), "exclusive-owner"),
            ((false, true, false), "exclusive-owner"),
        ];
        for ((durable, exclusive, auto_delete), property) in cases {
            let mut b = Broker::with_version(1, v);
            let ch = b.connect("guest", "guest", "/").unwrap();
            let err = b
                .apply(Command::QueueDeclare {
                    channel: ch,
                    queue: "qq".into(),
                    passive: false,
                    durable,
                    exclusive,
                    auto_delete,
                    arguments: args(&[("x-queue-type", FieldValue::str("quorum"))]),
                })
                .into_result()
                .unwrap_err();
            assert_eq!(err.text, format!("invalid property '{property}' for queue 'qq' in vhost '/'"), "{v}");
        }
    }
}

/// RabbitMQ 4.3.0 denies the deprecated feature `transient_nonexcl_queues`
/// (`rabbit_amqqueue:declare/7`, `is_queue_args_combination_permitted/2`):
/// 541 INTERNAL_ERROR closes the connection. 4.2 and older accept the queue.
#[test]
fn transient_non_exclusive_queues_are_refused_with_541_in_4_3_only() {
    let declare = |durable: bool, exclusive: bool| Command::QueueDeclare {
        channel: ChannelId { connection: 1, channel: 1 },
        queue: "t".into(),
        passive: false,
        durable,
        exclusive,
        auto_delete: false,
        arguments: FieldTable::new(),
    };
    let (mut b, _) = setup();
    let out = b.apply(declare(false, false));
    assert_eq!(out.error.as_ref().map(AmqpError::reply_code), Some(541));
    assert!(out.events.iter().any(|e| matches!(e, Event::ConnectionClosed { connection: 1, .. })));
    assert!(b.queue("/", "t").is_none());
    for (durable, exclusive) in [(true, false), (false, true)] {
        let (mut b, _) = setup();
        assert_eq!(b.apply(declare(durable, exclusive)).error, None);
    }
    for v in [Version::V3_10, Version::V3_13, Version::V4_0, Version::V4_1, Version::V4_2] {
        let mut b = Broker::with_version(1, v);
        b.connect("guest", "guest", "/").unwrap();
        assert_eq!(b.apply(declare(false, false)).error, None, "{v}");
    }
}

#[test]
fn priority_queues_deliver_higher_priorities_first() {
    let (mut b, ch) = setup();
    b.declare_queue(ch, "q", args(&[("x-max-priority", int(5))])).unwrap();
    for (p, m) in [(1, "low"), (9, "capped"), (3, "mid"), (1, "low2")] {
        b.publish_with(ch, "", "q", BasicProperties::default().with_priority(p), m, false).unwrap();
    }
    assert_eq!(bodies(&b, "q"), vec!["capped", "mid", "low", "low2"]);
}

#[test]
fn prefetch_limits_each_consumer_and_round_robin_alternates() {
    let (mut b, ch) = setup();
    b.declare_queue(ch, "q", FieldTable::new()).unwrap();
    b.qos(ch, 1, false).unwrap();
    b.consume(ch, "q", "a", false).unwrap();
    b.consume(ch, "q", "b", false).unwrap();
    let mut got = Vec::new();
    for m in ["1", "2", "3"] {
        got.extend(delivered_bodies(&b.publish(ch, "", "q", m).unwrap()));
    }
    assert_eq!(got, vec![("a".into(), "1".into()), ("b".into(), "2".into())]);
    assert_eq!(bodies(&b, "q"), vec!["3"]);
    let ev = b.ack(ch, 1, false).unwrap();
    assert_eq!(delivered_bodies(&ev), vec![("a".into(), "3".into())]);
    assert!(b.check_invariants().is_ok());
}

/// RabbitMQ up to 4.2 applies `basic.qos(global=true)` to the whole channel
/// through `rabbit_limiter` (`rabbit_channel`, `basic.qos`).
#[test]
fn global_prefetch_is_shared_by_the_channel_up_to_4_2() {
    let mut b = Broker::with_version(1, Version::V4_2);
    let ch = b.connect("guest", "guest", "/").unwrap();
    b.declare_queue(ch, "q", FieldTable::new()).unwrap();
    b.qos(ch, 2, true).unwrap();
    b.consume(ch, "q", "a", false).unwrap();
    b.consume(ch, "q", "b", false).unwrap();
    for m in ["1", "2", "3"] {
        b.publish(ch, "", "q", m).unwrap();
    }
    assert_eq!(bodies(&b, "q"), vec!["3"]);
}

#[test]
fn ack_multiple_settles_everything_up_to_the_tag() {
    let (mut b, ch) = setup();
    b.declare_queue(ch, "q", FieldTable::new()).unwrap();
    for m in ["1", "2", "3"] {
        b.publish(ch, "", "q", m).unwrap();
    }
    b.consume(ch, "q", "c", false).unwrap();
    b.ack(ch, 2, true).unwrap();
    assert_eq!(b.queue("/", "q").unwrap().unacked, 1);
    let err = b.ack(ch, 2, false).unwrap_err();
    assert_eq!(err.code, ReplyCode::PreconditionFailed);
    assert_eq!(err.to_string(), "406 PRECONDITION_FAILED - unknown delivery tag 2");
}

#[test]
fn a_requeued_message_returns_to_its_place_marked_redelivered() {
    let (mut b, ch) = setup();
    b.declare_queue(ch, "q", FieldTable::new()).unwrap();
    for m in ["1", "2", "3"] {
        b.publish(ch, "", "q", m).unwrap();
    }
    let t1 = tags(&b.get(ch, "q", false).unwrap())[0];
    let t2 = tags(&b.get(ch, "q", false).unwrap())[0];
    b.reject(ch, t2, true).unwrap();
    b.nack(ch, t1, false, true).unwrap();
    let msgs = b.queue("/", "q").unwrap().messages;
    let order: Vec<(&str, bool)> = msgs.iter().map(|m| (m.body.as_str(), m.redelivered)).collect();
    assert_eq!(order, vec![("1", true), ("2", true), ("3", false)]);
}

#[test]
fn auto_ack_deliveries_are_settled_at_once() {
    let (mut b, ch) = setup();
    b.declare_queue(ch, "q", FieldTable::new()).unwrap();
    b.consume(ch, "q", "c", true).unwrap();
    b.publish(ch, "", "q", "m").unwrap();
    assert_eq!(b.queue("/", "q").unwrap().unacked, 0);
    assert_eq!(b.ledger().acked, 1);
}

#[test]
fn a_crashed_consumers_unacked_messages_return_to_the_queue() {
    let (mut b, ch) = setup();
    b.declare_queue(ch, "q", FieldTable::new()).unwrap();
    let other = b.connect("guest", "guest", "/").unwrap();
    b.consume(other, "q", "c", false).unwrap();
    b.publish(ch, "", "q", "m").unwrap();
    assert!(bodies(&b, "q").is_empty());
    b.apply(Command::CloseConnection { connection: other.connection }).into_result().unwrap();
    let m = &b.queue("/", "q").unwrap().messages[0];
    assert!(m.redelivered);
    assert!(b.check_invariants().is_ok());
}

#[test]
fn cancel_keeps_unacked_deliveries_on_the_channel() {
    let (mut b, ch) = setup();
    b.declare_queue(ch, "q", FieldTable::new()).unwrap();
    b.consume(ch, "q", "c", false).unwrap();
    b.publish(ch, "", "q", "m").unwrap();
    b.cancel(ch, "c").unwrap();
    b.ack(ch, 1, false).unwrap();
    assert_eq!(b.ledger().acked, 1);
}

#[test]
fn exclusive_consumers_lock_out_others() {
    let (mut b, ch) = setup();
    b.declare_queue(ch, "q", FieldTable::new()).unwrap();
    b.apply(Command::BasicConsume {
        channel: ch,
        queue: "q".into(),
        consumer_tag: "x".into(),
        no_ack: false,
        exclusive: true,
        arguments: FieldTable::new(),
    })
    .into_result()
    .unwrap();
    let other = b.connect("guest", "guest", "/").unwrap();
    let err = b.consume(other, "q", "y", false).unwrap_err();
    assert_eq!(err.code, ReplyCode::AccessRefused);
}

#[test]
fn single_active_consumer_hands_over_on_cancel() {
    let (mut b, ch) = setup();
    b.declare_queue(ch, "q", args(&[("x-single-active-consumer", FieldValue::Boolean(true))])).unwrap();
    b.consume(ch, "q", "a", false).unwrap();
    b.consume(ch, "q", "b", false).unwrap();
    let mut got = Vec::new();
    for m in ["1", "2"] {
        got.extend(delivered_bodies(&b.publish(ch, "", "q", m).unwrap()));
    }
    assert_eq!(got, vec![("a".into(), "1".into()), ("a".into(), "2".into())]);
    let ev = b.cancel(ch, "a").unwrap();
    assert!(
        ev.iter().any(|e| matches!(e, Event::SingleActiveConsumerChanged { consumer_tag: Some(t), .. } if t == "b"))
    );
    let ev = b.publish(ch, "", "q", "3").unwrap();
    assert_eq!(delivered_bodies(&ev), vec![("b".into(), "3".into())]);
}

#[test]
fn higher_priority_consumers_are_served_first() {
    let (mut b, ch) = setup();
    b.declare_queue(ch, "q", FieldTable::new()).unwrap();
    b.qos(ch, 1, false).unwrap();
    b.consume(ch, "q", "low", false).unwrap();
    b.apply(Command::BasicConsume {
        channel: ch,
        queue: "q".into(),
        consumer_tag: "high".into(),
        no_ack: false,
        exclusive: false,
        arguments: args(&[("x-priority", int(10))]),
    })
    .into_result()
    .unwrap();
    let mut got = Vec::new();
    for m in ["1", "2"] {
        got.extend(delivered_bodies(&b.publish(ch, "", "q", m).unwrap()));
    }
    assert_eq!(got, vec![("high".into(), "1".into()), ("low".into(), "2".into())]);
}

#[test]
fn restart_keeps_durable_queues_and_persistent_messages_only() {
    let (mut b, ch) = setup();
    b.apply(Command::QueueDeclare {
        channel: ch,
        queue: "durable".into(),
        passive: false,
        durable: true,
        exclusive: false,
        auto_delete: false,
        arguments: FieldTable::new(),
    })
    .into_result()
    .unwrap();
    let mut old = Broker::with_version(1, Version::V4_2);
    let old_ch = old.connect("guest", "guest", "/").unwrap();
    old.apply(Command::QueueDeclare {
        channel: old_ch,
        queue: "transient".into(),
        passive: false,
        durable: false,
        exclusive: false,
        auto_delete: false,
        arguments: FieldTable::new(),
    })
    .into_result()
    .unwrap();
    old.publish_with(old_ch, "", "transient", BasicProperties::persistent(), "lost", false).unwrap();
    old.restart();
    assert!(old.queue("/", "transient").is_none(), "4.2 still has transient queues, and loses them");
    b.apply(Command::QueueDeclare {
        channel: ch,
        queue: "exclusive".into(),
        passive: false,
        durable: false,
        exclusive: true,
        auto_delete: false,
        arguments: FieldTable::new(),
    })
    .into_result()
    .unwrap();
    b.publish_with(ch, "", "durable", BasicProperties::persistent(), "kept", false).unwrap();
    b.publish(ch, "", "durable", "lost").unwrap();
    b.publish_with(ch, "", "exclusive", BasicProperties::persistent(), "lost with it", false).unwrap();
    b.restart();
    assert!(b.queue("/", "exclusive").is_none());
    assert_eq!(bodies(&b, "durable"), vec!["kept"]);
    assert!(b.check_invariants().is_ok());
    let err = b.publish(ch, "", "durable", "m").unwrap_err();
    assert_eq!(err.code, ReplyCode::ChannelError);
}

#[test]
fn alarms_hold_publishes_until_cleared() {
    let (mut b, ch) = setup();
    b.declare_queue(ch, "q", FieldTable::new()).unwrap();
    let ev = b.set_alarm(Alarm::Memory, true);
    assert!(!ev.iter().any(|e| matches!(e, Event::ConnectionBlocked { .. })), "nobody has published yet");
    let ev = b.publish(ch, "", "q", "m").unwrap();
    assert!(matches!(ev[0], Event::ConnectionBlocked { connection: 1, .. }));
    assert!(matches!(ev[1], Event::PublishHeld { .. }));
    assert!(bodies(&b, "q").is_empty());
    b.set_alarm(Alarm::Disk, true);
    b.set_alarm(Alarm::Memory, false);
    assert!(bodies(&b, "q").is_empty());
    let ev = b.set_alarm(Alarm::Disk, false);
    assert!(ev.iter().any(|e| matches!(e, Event::ConnectionUnblocked { .. })));
    assert_eq!(bodies(&b, "q"), vec!["m"]);
}

#[test]
fn permissions_are_enforced_per_operation() {
    let mut b = Broker::new(3);
    b.apply(Command::AddVhost { name: "v".into() }).into_result().unwrap();
    b.apply(Command::AddUser { name: "ann".into(), password: "pw".into() }).into_result().unwrap();
    let err = b.connect("ann", "pw", "v").unwrap_err();
    assert_eq!(err.code, ReplyCode::NotAllowed);
    b.apply(Command::SetPermissions {
        user: "ann".into(),
        vhost: "v".into(),
        configure: "^ann-".into(),
        write: "^(ann-.*|amq\\.default)$".into(),
        read: "^ann-".into(),
    })
    .into_result()
    .unwrap();
    let ch = b.connect("ann", "pw", "v").unwrap();
    b.declare_queue(ch, "ann-q", FieldTable::new()).unwrap();
    b.publish(ch, "", "ann-q", "m").unwrap();
    let err = b.declare_queue(ch, "bob-q", FieldTable::new()).unwrap_err();
    assert_eq!((err.code, err.reply_code()), (ReplyCode::AccessRefused, 403));
    let ch = b.open_channel(ch.connection).unwrap();
    let err = b.publish(ch, "amq.fanout", "", "m").unwrap_err();
    assert_eq!(err.code, ReplyCode::AccessRefused);
    // vhosts are separate namespaces: the default vhost has no ann-q.
    assert!(b.queue("/", "ann-q").is_none());
    assert_eq!(b.queue("v", "ann-q").unwrap().ready, 1);
    assert_eq!(b.connect("ann", "wrong", "v").unwrap_err().code, ReplyCode::AccessRefused);
}

#[test]
fn redeclaring_with_other_arguments_is_a_precondition_failure() {
    let (mut b, ch) = setup();
    b.declare_queue(ch, "q", args(&[("x-max-length", int(1))])).unwrap();
    b.declare_queue(ch, "q", args(&[("x-max-length", FieldValue::LongInt(1))])).unwrap();
    let out = b.apply(Command::QueueDeclare {
        channel: ch,
        queue: "q".into(),
        passive: false,
        durable: false,
        exclusive: false,
        auto_delete: false,
        arguments: args(&[("x-max-length", int(2))]),
    });
    let err = out.error.clone().unwrap();
    assert_eq!((err.code, err.reply_code()), (ReplyCode::PreconditionFailed, 406));
    assert!(out.events.iter().any(|e| matches!(e, Event::ChannelClosed { channel, error: Some(_) } if *channel == ch)));
    let ch = b.open_channel(ch.connection).unwrap();
    b.declare_exchange(ch, "x", ExchangeKind::Direct).unwrap();
    let err = b.declare_exchange(ch, "x", ExchangeKind::Fanout).unwrap_err();
    assert_eq!(err.code, ReplyCode::PreconditionFailed);
}

#[test]
fn exclusive_queues_are_locked_to_their_connection_and_die_with_it() {
    let (mut b, ch) = setup();
    b.apply(Command::QueueDeclare {
        channel: ch,
        queue: "mine".into(),
        passive: false,
        durable: false,
        exclusive: true,
        auto_delete: false,
        arguments: FieldTable::new(),
    })
    .into_result()
    .unwrap();
    let other = b.connect("guest", "guest", "/").unwrap();
    let err = b.get(other, "mine", false).unwrap_err();
    assert_eq!((err.code, err.reply_code()), (ReplyCode::ResourceLocked, 405));
    b.apply(Command::CloseConnection { connection: ch.connection }).into_result().unwrap();
    assert!(b.queue("/", "mine").is_none());
}

#[test]
fn missing_entities_are_not_found() {
    let (mut b, ch) = setup();
    let err = b.get(ch, "nope", false).unwrap_err();
    assert_eq!((err.code, err.reply_code()), (ReplyCode::NotFound, 404));
    assert_eq!(err.to_string(), "404 NOT_FOUND - no queue 'nope' in vhost '/'");
    let ch = b.open_channel(ch.connection).unwrap();
    assert_eq!(b.publish(ch, "nope", "", "m").unwrap_err().code, ReplyCode::NotFound);
}

#[test]
fn auto_delete_queue_goes_when_its_last_consumer_cancels() {
    let (mut b, ch) = setup();
    b.apply(Command::QueueDeclare {
        channel: ch,
        queue: "ad".into(),
        passive: false,
        durable: true,
        exclusive: false,
        auto_delete: true,
        arguments: FieldTable::new(),
    })
    .into_result()
    .unwrap();
    b.consume(ch, "ad", "c", false).unwrap();
    b.cancel(ch, "ad-other").unwrap();
    assert!(b.queue("/", "ad").is_some());
    b.cancel(ch, "c").unwrap();
    assert!(b.queue("/", "ad").is_none());
}

#[test]
fn server_named_queues_come_from_the_seeded_generator() {
    let name = |seed| {
        let mut b = Broker::new(seed);
        let ch = b.connect("guest", "guest", "/").unwrap();
        match &b.declare_queue(ch, "", FieldTable::new()).unwrap()[0] {
            Event::QueueDeclared { queue, .. } => queue.clone(),
            e => panic!("unexpected {e:?}"),
        }
    };
    assert_eq!(name(5), name(5));
    assert_ne!(name(5), name(6));
    assert!(name(5).starts_with("amq.gen-"));
}

#[test]
fn commands_and_events_round_trip_through_json() {
    let (mut b, ch) = setup();
    let cmd = Command::BasicPublish {
        channel: ch,
        exchange: String::new(),
        routing_key: "q".into(),
        mandatory: true,
        properties: BasicProperties::persistent().with_header("k", FieldValue::LongInt(1)),
        body: "m".into(),
    };
    let text = serde_json::to_string(&cmd).unwrap();
    assert_eq!(serde_json::from_str::<Command>(&text).unwrap(), cmd);
    let ev = b.apply(cmd).into_result().unwrap();
    let text = serde_json::to_string(&ev).unwrap();
    assert_eq!(serde_json::from_str::<Vec<Event>>(&text).unwrap(), ev);
}

#[test]
fn a_mandatory_publish_caught_by_an_alternate_exchange_is_not_returned() {
    let (mut b, ch) = setup();
    b.declare_exchange(ch, "ae", ExchangeKind::Fanout).unwrap();
    b.declare_queue(ch, "unrouted", FieldTable::new()).unwrap();
    b.bind_queue(ch, "unrouted", "ae", "").unwrap();
    b.declare_exchange_with(ch, "x", ExchangeKind::Topic, args(&[("alternate-exchange", FieldValue::str("ae"))]))
        .unwrap();
    let ev = b.publish_with(ch, "x", "nobody.home", BasicProperties::default(), "m", true).unwrap();
    assert!(!ev.iter().any(|e| matches!(e, Event::Returned { .. })));
    let Some(Event::Published { trace: Some(t), .. }) = ev.first() else { panic!("no trace: {ev:?}") };
    assert_eq!(t.outcome, RouteOutcome::Routed);
    assert_eq!(t.queues, vec!["unrouted"]);
}

#[test]
fn the_trace_records_a_returned_publish() {
    let (mut b, ch) = setup();
    b.declare_exchange(ch, "x", ExchangeKind::Direct).unwrap();
    b.declare_queue(ch, "q", FieldTable::new()).unwrap();
    b.bind_queue(ch, "q", "x", "k").unwrap();
    let ev = b.publish_with(ch, "x", "other", BasicProperties::default(), "m", true).unwrap();
    let Some(Event::Published { trace: Some(t), .. }) = ev.first() else { panic!("no trace: {ev:?}") };
    assert_eq!(t.outcome, RouteOutcome::Returned);
    let bt = &t.exchanges[0].bindings[0];
    assert!(!bt.matched);
    assert!(bt.reason.contains("differs"), "{}", bt.reason);
}

#[test]
fn headers_trace_explains_x_match() {
    let (mut b, ch) = setup();
    b.declare_exchange(ch, "h", ExchangeKind::Headers).unwrap();
    b.declare_queue(ch, "q", FieldTable::new()).unwrap();
    b.bind_queue_with(ch, "q", "h", "", args(&[("x-match", FieldValue::str("any")), ("k", FieldValue::str("v"))]))
        .unwrap();
    let headers = args(&[("k", FieldValue::str("v"))]);
    let t = b.explain_route("/", "h", "", Some(&headers));
    assert!(t.exchanges[0].bindings[0].matched);
    assert!(t.exchanges[0].bindings[0].reason.starts_with("x-match=any"));
    assert_eq!(t.queues, vec!["q"]);
}

#[test]
fn a_requeue_into_a_full_drop_head_queue_drops_from_the_head() {
    let (mut b, ch) = setup();
    b.declare_queue(ch, "q", args(&[("x-max-length", int(2))])).unwrap();
    for body in ["a", "b"] {
        b.publish(ch, "", "q", body).unwrap();
    }
    b.get(ch, "q", false).unwrap();
    b.publish(ch, "", "q", "c").unwrap();
    let ev = b.nack(ch, 1, false, true).unwrap();
    assert!(ev.iter().any(|e| matches!(e, Event::Enqueued { cause: EnqueueCause::Requeue { .. }, .. })));
    assert!(
        ev.iter()
            .any(|e| matches!(e, Event::Dropped { reason: DropReason::NoDeadLetterExchange(DeathReason::Maxlen), .. })),
        "{ev:?}"
    );
    let bodies: Vec<String> = b.queue("/", "q").unwrap().messages.into_iter().map(|m| m.body).collect();
    assert_eq!(bodies, ["b", "c"]);
}

#[test]
fn a_message_keeps_exactly_the_properties_it_was_published_with() {
    let (mut b, ch) = setup();
    b.declare_queue(ch, "q", FieldTable::new()).unwrap();
    let sent = [
        BasicProperties::default(),
        // An empty header table is not the same as no table.
        BasicProperties { headers: Some(FieldTable::new()), ..Default::default() },
        BasicProperties { content_type: Some("text/plain".into()), ..BasicProperties::persistent() },
        BasicProperties::default().with_header("CC", FieldValue::FieldArray(vec![FieldValue::str("q")])),
    ];
    for (i, p) in sent.iter().enumerate() {
        b.publish_with(ch, "", "q", p.clone(), &i.to_string(), false).unwrap();
    }
    let kept: Vec<BasicProperties> = b.queue("/", "q").unwrap().messages.into_iter().map(|m| m.properties).collect();
    // The last names `q` twice (routing key and CC) and reaches it once.
    assert_eq!(kept, sent);
}
