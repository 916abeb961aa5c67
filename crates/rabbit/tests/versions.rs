//! The release profiles: each test pins one rule in which RabbitMQ releases
//! differ, names the releases and the RabbitMQ source it rests on, and runs
//! the same commands on the profiles on both sides of the change.

use brokerlab_rabbit::*;

fn broker(v: Version) -> (Broker, ChannelId) {
    let mut b = Broker::with_version(1, v);
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

fn got(ev: &[Event]) -> Vec<Message> {
    ev.iter()
        .filter_map(|e| match e {
            Event::GetOk { message, .. } | Event::Delivered { message, .. } => Some((**message).clone()),
            _ => None,
        })
        .collect()
}

fn delivered(ev: &[Event]) -> Vec<(String, String)> {
    ev.iter()
        .filter_map(|e| match e {
            Event::Delivered { consumer_tag, message, .. } => Some((consumer_tag.clone(), message.body.clone())),
            _ => None,
        })
        .collect()
}

fn quorum(extra: &[(&str, FieldValue)]) -> FieldTable {
    let mut a = args(&[("x-queue-type", FieldValue::str("quorum"))]);
    a.extend(args(extra));
    a
}

/// `rabbit_exchange_type_topic:validate_binding/2` arrived in 4.3.5 and
/// refuses more than two `#` words; earlier releases accept any key.
#[test]
fn topic_keys_with_three_hashes_are_refused_only_in_4_3() {
    for v in Version::ALL {
        let (mut b, ch) = broker(v);
        b.declare_exchange(ch, "t", ExchangeKind::Topic).unwrap();
        b.declare_queue(ch, "q", FieldTable::new()).unwrap();
        let out = b.bind_queue(ch, "q", "t", "#.a.#.b.#");
        if v == Version::V4_3 {
            let err = out.unwrap_err();
            assert_eq!(err.code, ReplyCode::PreconditionFailed);
            assert!(err.text.contains("uses 3 '#' wildcards, at most 2 are allowed"), "{}", err.text);
        } else {
            assert!(out.is_ok(), "{v}");
        }
    }
}

/// `x-delivery-limit` defaults to 20 from 4.0 (`rabbit_quorum_queue`);
/// 3.10 and 3.13 have no default, so a message can be returned forever.
#[test]
fn quorum_delivery_limit_defaults_to_20_from_4_0_and_to_none_before() {
    for v in Version::ALL {
        let (mut b, ch) = broker(v);
        b.declare_queue(ch, "qq", quorum(&[])).unwrap();
        b.publish(ch, "", "qq", "m").unwrap();
        let mut returns = 0;
        while let Some(tag) = tags(&b.get(ch, "qq", false).unwrap()).first().copied() {
            b.reject(ch, tag, true).unwrap();
            returns += 1;
            if returns > 30 {
                break;
            }
        }
        let expected = if v >= Version::V4_0 { 21 } else { 31 };
        assert_eq!(returns, expected, "{v}");
    }
}

/// 4.3 counts only `basic.reject` (and a consumer going away) towards the
/// limit; a `basic.nack` with requeue is a plain return. Before 4.3 every
/// return counts (`rabbit_fifo` `return_one` raises the count).
#[test]
fn nack_with_requeue_counts_towards_the_quorum_limit_before_4_3_only() {
    for v in [Version::V3_10, Version::V4_2, Version::V4_3] {
        let (mut b, ch) = broker(v);
        b.declare_queue(ch, "qq", quorum(&[("x-delivery-limit", int(1))])).unwrap();
        b.publish(ch, "", "qq", "m").unwrap();
        for _ in 0..2 {
            let t = tags(&b.get(ch, "qq", false).unwrap());
            b.nack(ch, t[0], false, true).unwrap();
        }
        let left = b.queue("/", "qq").unwrap().ready;
        assert_eq!(left, if v == Version::V4_3 { 1 } else { 0 }, "{v}");
    }
}

/// With the delivery limit disabled, 4.0-4.2 return a message to the tail
/// (`rabbit_fifo_client:return/3` sends `#requeue{}` through the aux
/// handler); 3.x and 4.3 return it to the head.
#[test]
fn quorum_returns_go_to_the_tail_only_in_4_0_to_4_2_when_the_limit_is_disabled() {
    for v in Version::ALL {
        let (mut b, ch) = broker(v);
        b.declare_queue(ch, "qq", quorum(&[("x-delivery-limit", int(-1))])).unwrap();
        for m in ["a", "b"] {
            b.publish(ch, "", "qq", m).unwrap();
        }
        let t = tags(&b.get(ch, "qq", false).unwrap());
        b.reject(ch, t[0], true).unwrap();
        let tail = matches!(v, Version::V4_0 | Version::V4_1 | Version::V4_2);
        assert_eq!(bodies(&b, "qq"), if tail { ["b", "a"] } else { ["a", "b"] }, "{v}");
    }
}

/// 4.3 denies `global_qos`: `basic.qos(global=true)` becomes a per-consumer
/// prefetch (`rabbit_channel`, `basic.qos`). Up to 4.2 it limits the channel.
#[test]
fn global_qos_is_per_consumer_in_4_3_and_channel_wide_before() {
    for v in [Version::V3_10, Version::V4_2, Version::V4_3] {
        let (mut b, ch) = broker(v);
        b.declare_queue(ch, "q", FieldTable::new()).unwrap();
        b.qos(ch, 2, true).unwrap();
        b.consume(ch, "q", "a", false).unwrap();
        b.consume(ch, "q", "b", false).unwrap();
        let mut seen = Vec::new();
        for m in ["1", "2", "3"] {
            seen.extend(delivered(&b.publish(ch, "", "q", m).unwrap()));
        }
        if v == Version::V4_3 {
            assert_eq!(seen.len(), 3, "{v}: each consumer has a prefetch of 2");
            assert!(bodies(&b, "q").is_empty());
        } else {
            assert_eq!(seen.len(), 2, "{v}: the channel holds at most 2");
            assert_eq!(bodies(&b, "q"), ["3"]);
        }
    }
}

/// Every release's `basic.qos(global=false)` clause calls
/// `rabbit_limiter:unlimit_prefetch/1` first (v3.10.8 `rabbit_channel.erl`
/// l.1546-1558): a per-consumer prefetch set after a global one removes it.
#[test]
fn qos_global_false_clears_the_channel_limit_in_every_release() {
    for v in Version::ALL {
        let (mut b, ch) = broker(v);
        b.declare_queue(ch, "q", FieldTable::new()).unwrap();
        b.qos(ch, 3, true).unwrap();
        b.qos(ch, 5, false).unwrap();
        b.consume(ch, "q", "a", false).unwrap();
        b.consume(ch, "q", "b", false).unwrap();
        for m in 1..=6 {
            b.publish(ch, "", "q", &m.to_string()).unwrap();
        }
        assert!(bodies(&b, "q").is_empty(), "{v}: all six delivered");
    }
}

/// `rabbit_priority_queue:priorities/1` takes `max(1, ...)` from 3.13, so
/// `x-max-priority: 0` gives two levels; 3.10 gives one.
#[test]
fn max_priority_zero_has_two_levels_from_3_13_and_one_in_3_10() {
    for v in [Version::V3_10, Version::V3_13, Version::V4_3] {
        let (mut b, ch) = broker(v);
        b.declare_queue(ch, "q", args(&[("x-max-priority", int(0))])).unwrap();
        b.publish(ch, "", "q", "plain").unwrap();
        b.publish_with(ch, "", "q", BasicProperties::default().with_priority(5), "urgent", false).unwrap();
        let expected = if v == Version::V3_10 { ["plain", "urgent"] } else { ["urgent", "plain"] };
        assert_eq!(bodies(&b, "q"), expected, "{v}");
    }
}

/// 3.10's `rabbit_exchange_type_headers:headers_match/5` compares with
/// Erlang `==` (`PV == DV`), so a binding value 1 matches a header 1.0;
/// 3.13 and later use `=:=`.
#[test]
fn headers_exchange_matches_1_with_1_0_only_in_3_10() {
    for v in [Version::V3_10, Version::V3_13, Version::V4_3] {
        let (mut b, ch) = broker(v);
        b.declare_exchange(ch, "h", ExchangeKind::Headers).unwrap();
        b.declare_queue(ch, "q", FieldTable::new()).unwrap();
        b.bind_queue_with(ch, "q", "h", "", args(&[("n", int(1))])).unwrap();
        let props = BasicProperties::default().with_header("n", FieldValue::Double(1.0));
        b.publish_with(ch, "h", "", props, "m", false).unwrap();
        assert_eq!(bodies(&b, "q").len(), usize::from(v == Version::V3_10), "{v}");
    }
}

/// A client that republishes a dead-lettered message with its `x-death`
/// header: 3.10 and 3.13 read it and go on counting (`rabbit_dead_letter`;
/// 3.13.3+ after PR #11339), 4.x treats `x-` headers from clients as the
/// client's own and starts a fresh history. 3.10 also sets no
/// `x-last-death-*` headers, which arrived in 3.13.
#[test]
fn a_republished_x_death_is_counted_on_before_4_0_and_ignored_from_4_0() {
    for v in [Version::V3_10, Version::V3_13, Version::V4_0, Version::V4_3] {
        let (mut b, ch) = broker(v);
        b.declare_exchange(ch, "dlx", ExchangeKind::Fanout).unwrap();
        b.declare_queue(ch, "q", args(&[("x-dead-letter-exchange", FieldValue::str("dlx"))])).unwrap();
        b.declare_queue(ch, "dlq", FieldTable::new()).unwrap();
        b.bind_queue(ch, "dlq", "dlx", "").unwrap();
        b.publish(ch, "", "q", "m").unwrap();
        let t = tags(&b.get(ch, "q", false).unwrap());
        b.reject(ch, t[0], false).unwrap();
        // The client takes the dead letter and publishes it again, headers and all.
        let first = got(&b.get(ch, "dlq", true).unwrap()).remove(0);
        assert_eq!(first.properties.headers.as_ref().unwrap().contains_key("x-last-death-queue"), v >= Version::V3_13);
        b.publish_with(ch, "", "q", first.properties.clone(), "m", false).unwrap();
        let t = tags(&b.get(ch, "q", false).unwrap());
        b.reject(ch, t[0], false).unwrap();
        let second = got(&b.get(ch, "dlq", true).unwrap()).remove(0);
        let count = second.deaths.iter().find(|d| d.queue == "q").map(|d| d.count);
        assert_eq!(count, Some(if v < Version::V4_0 { 2 } else { 1 }), "{v}");
    }
}

fn header(m: &Message, k: &str) -> Option<i64> {
    m.properties.headers.as_ref().and_then(|h| h.get(k)).and_then(FieldValue::as_i64)
}

/// Audit 2.8: a quorum queue's redeliveries carry their counts
/// (`rabbit_fifo_client:add_delivery_count_header`): 3.10 `x-delivery-count`;
/// 4.0-4.2 the acquired count as `x-delivery-count`; 4.3 `x-acquired-count`,
/// and `x-delivery-count` only after a return that counts (a reject).
#[test]
fn quorum_redeliveries_carry_delivery_count_headers_per_release() {
    for v in [Version::V3_10, Version::V4_2, Version::V4_3] {
        let (mut b, ch) = broker(v);
        b.declare_queue(ch, "qq", quorum(&[])).unwrap();
        b.publish(ch, "", "qq", "m").unwrap();
        let first = got(&b.get(ch, "qq", false).unwrap()).remove(0);
        assert_eq!(header(&first, "x-delivery-count"), None, "{v}: nothing before a return");
        let t = tags(&b.get(ch, "qq", false).unwrap_or_default());
        assert!(t.is_empty());
        b.nack(ch, 1, false, true).unwrap();
        let again = got(&b.get(ch, "qq", false).unwrap()).remove(0);
        match v {
            Version::V4_3 => {
                assert_eq!(header(&again, "x-acquired-count"), Some(1));
                assert_eq!(header(&again, "x-delivery-count"), None, "a nack does not count in 4.3");
            }
            _ => assert_eq!(header(&again, "x-delivery-count"), Some(1), "{v}"),
        }
        b.reject(ch, 2, true).unwrap();
        let third = got(&b.get(ch, "qq", false).unwrap()).remove(0);
        match v {
            Version::V4_3 => {
                assert_eq!(header(&third, "x-acquired-count"), Some(2));
                assert_eq!(header(&third, "x-delivery-count"), Some(1));
            }
            _ => assert_eq!(header(&third, "x-delivery-count"), Some(2), "{v}"),
        }
    }
}
