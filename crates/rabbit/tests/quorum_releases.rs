//! Quorum-queue rules that changed between RabbitMQ releases: message
//! priorities (none in 3.x, two weighted buckets in 4.0-4.2, 32 strict
//! levels in 4.3) and consumer priority under single active consumer (4.0+).
//! Each test names the releases and the `rabbit_fifo` code it pins.

use brokerlab_rabbit::*;

fn broker(v: Version) -> (Broker, ChannelId) {
    let mut b = Broker::with_version(1, v);
    let ch = b.connect("guest", "guest", "/").unwrap();
    (b, ch)
}

fn args(pairs: &[(&str, FieldValue)]) -> FieldTable {
    pairs.iter().map(|(k, v)| (k.to_string(), v.clone())).collect()
}

fn quorum(extra: &[(&str, FieldValue)]) -> FieldTable {
    let mut a = args(&[("x-queue-type", FieldValue::str("quorum"))]);
    a.extend(args(extra));
    a
}

fn publish(b: &mut Broker, ch: ChannelId, q: &str, body: &str, priority: Option<u8>) {
    let properties = BasicProperties { priority, ..BasicProperties::default() };
    b.publish_with(ch, "", q, properties, body, false).unwrap();
}

/// The body of each `basic.get` until the queue is empty.
fn drain(b: &mut Broker, ch: ChannelId, q: &str) -> Vec<String> {
    let mut out = Vec::new();
    loop {
        let ev = b.get(ch, q, true).unwrap();
        let Some(body) = ev.iter().find_map(|e| match e {
            Event::GetOk { message, .. } => Some(message.body.clone()),
            _ => None,
        }) else {
            return out;
        };
        out.push(body);
    }
}

fn delivered(ev: &[Event]) -> Vec<(String, String)> {
    ev.iter()
        .filter_map(|e| match e {
            Event::Delivered { consumer_tag, message, .. } => Some((consumer_tag.clone(), message.body.clone())),
            _ => None,
        })
        .collect()
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect()
}

fn active_changed_to(ev: &[Event]) -> Vec<String> {
    ev.iter()
        .filter_map(|e| match e {
            Event::SingleActiveConsumerChanged { consumer_tag: Some(t), .. } => Some(t.clone()),
            _ => None,
        })
        .collect()
}

fn consume(b: &mut Broker, ch: ChannelId, q: &str, tag: &str, priority: i64, no_ack: bool) -> Vec<Event> {
    b.apply(Command::BasicConsume {
        channel: ch,
        queue: q.into(),
        consumer_tag: tag.into(),
        no_ack,
        exclusive: false,
        arguments: args(&[("x-priority", FieldValue::LongLongInt(priority))]),
    })
    .into_result()
    .unwrap()
}

fn strs(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

/// Audit 1.6: a (priority 0), b (no priority), c (priority 9) come out of a
/// quorum queue as a, b, c in 3.10 and 3.13 (no message priorities in
/// `rabbit_fifo`), c, a, b in 4.0-4.2 (`rabbit_fifo_q`: c is "hi", a and b
/// "no") and c, b, a in 4.3 (`rabbit_fifo_pq`: an unmarked message is 4,
/// above 0).
#[test]
fn quorum_message_priorities_per_release() {
    for v in Version::ALL {
        let (mut b, ch) = broker(v);
        b.declare_queue(ch, "qq", quorum(&[])).unwrap();
        publish(&mut b, ch, "qq", "a", Some(0));
        publish(&mut b, ch, "qq", "b", None);
        publish(&mut b, ch, "qq", "c", Some(9));
        let expected = match v {
            Version::V3_10 | Version::V3_13 => ["a", "b", "c"],
            Version::V4_0 | Version::V4_1 | Version::V4_2 => ["c", "a", "b"],
            Version::V4_3 => ["c", "b", "a"],
        };
        assert_eq!(drain(&mut b, ch, "qq"), strs(&expected), "{v}");
    }
}

/// 4.0-4.2 `rabbit_fifo_q:out/1` serves "hi" first twice, then on every
/// third take (`dequeue_counter == ?WEIGHT`, 2) the older of the two heads,
/// so a backlog of normal messages is never starved. 4.3 is strict.
#[test]
fn quorum_priority_buckets_are_weighted_two_to_one_in_4_0_to_4_2_and_strict_in_4_3() {
    for v in [Version::V4_0, Version::V4_1, Version::V4_2, Version::V4_3] {
        let (mut b, ch) = broker(v);
        b.declare_queue(ch, "qq", quorum(&[])).unwrap();
        for n in ["n1", "n2", "n3"] {
            publish(&mut b, ch, "qq", n, Some(4));
        }
        for h in ["h1", "h2", "h3", "h4"] {
            publish(&mut b, ch, "qq", h, Some(5));
        }
        let expected: &[&str] = if v == Version::V4_3 {
            &["h1", "h2", "h3", "h4", "n1", "n2", "n3"]
        } else {
            // Takes 1 and 2 are "hi"; take 3 the older head (n1); then again.
            &["h1", "h2", "n1", "h3", "h4", "n2", "n3"]
        };
        assert_eq!(drain(&mut b, ch, "qq"), strs(expected), "{v}");
    }
}

/// 4.3's `rabbit_fifo:msg_priority/1` caps a priority at 31
/// (`?MAX_PRIORITY`), so 31 and 200 share the top level in arrival order.
#[test]
fn quorum_priorities_above_31_share_the_top_level_in_4_3() {
    let (mut b, ch) = broker(Version::V4_3);
    b.declare_queue(ch, "qq", quorum(&[])).unwrap();
    publish(&mut b, ch, "qq", "p30", Some(30));
    publish(&mut b, ch, "qq", "p31", Some(31));
    publish(&mut b, ch, "qq", "p200", Some(200));
    assert_eq!(drain(&mut b, ch, "qq"), strs(&["p31", "p200", "p30"]));
}

/// `rabbit_fifo:take_next_msg/1` takes from `returns` before it asks the
/// priority queue (4.0-4.3), so a returned low-priority message is served
/// before a waiting high-priority one.
#[test]
fn quorum_returns_come_before_higher_priorities_from_4_0() {
    for v in [Version::V4_0, Version::V4_2, Version::V4_3] {
        let (mut b, ch) = broker(v);
        b.declare_queue(ch, "qq", quorum(&[])).unwrap();
        publish(&mut b, ch, "qq", "low", Some(0));
        b.get(ch, "qq", false).unwrap();
        publish(&mut b, ch, "qq", "high", Some(9));
        b.reject(ch, 1, true).unwrap();
        assert_eq!(drain(&mut b, ch, "qq"), strs(&["low", "high"]), "{v}");
    }
}

/// `x-max-priority` belongs to classic queues: every release refuses it on
/// a quorum queue (`rabbit_amqqueue:check_declare_arguments/2`, 406).
#[test]
fn quorum_queues_refuse_x_max_priority_in_every_release() {
    for v in Version::ALL {
        let (mut b, ch) = broker(v);
        let err = b.declare_queue(ch, "qq", quorum(&[("x-max-priority", FieldValue::LongLongInt(10))])).unwrap_err();
        assert_eq!(err.code, ReplyCode::PreconditionFailed, "{v}");
        assert!(err.text.contains("of queue type rabbit_quorum_queue"), "{v}: {}", err.text);
    }
}

/// Audit 1.5 (quorum): from 4.0 a waiting consumer of higher priority takes
/// over a single-active-consumer quorum queue. The active one holds m1, so it
/// quiesces (`status = quiescing`: m2 stays ready) and hands over when it
/// acks m1 (`rabbit_fifo:activate_next_consumer/2`, `update_or_remove_con/4`).
/// 3.10 and 3.13 keep the first consumer active.
#[test]
fn quorum_sac_switches_to_higher_priority_after_settle() {
    for v in Version::ALL {
        let (mut b, ch) = broker(v);
        let ch2 = b.connect("guest", "guest", "/").unwrap();
        b.declare_queue(ch, "qq", quorum(&[("x-single-active-consumer", FieldValue::Boolean(true))])).unwrap();
        b.qos(ch, 10, false).unwrap();
        consume(&mut b, ch, "qq", "A", 0, false);
        assert_eq!(delivered(&b.publish(ch, "", "qq", "m1").unwrap()), pairs(&[("A", "m1")]));
        let ev = consume(&mut b, ch2, "qq", "B", 5, false);
        assert!(active_changed_to(&ev).is_empty(), "{v}: A still holds m1");
        let ev = b.publish(ch, "", "qq", "m2").unwrap();
        let ev2 = b.ack(ch, 1, false).unwrap();
        if v >= Version::V4_0 {
            assert!(delivered(&ev).is_empty(), "{v}: a quiescing consumer gets nothing new");
            assert_eq!(active_changed_to(&ev2), strs(&["B"]), "{v}");
            assert_eq!(delivered(&ev2), pairs(&[("B", "m2")]), "{v}");
        } else {
            assert_eq!(delivered(&ev), pairs(&[("A", "m2")]), "{v}");
            assert!(active_changed_to(&ev2).is_empty(), "{v}");
        }
    }
}

/// When the active consumer holds nothing, the higher-priority consumer
/// takes over as it attaches (4.0+), and the old one waits.
#[test]
fn quorum_sac_switches_at_once_when_the_active_consumer_holds_nothing() {
    for v in [Version::V3_13, Version::V4_0, Version::V4_3] {
        let (mut b, ch) = broker(v);
        b.declare_queue(ch, "qq", quorum(&[("x-single-active-consumer", FieldValue::Boolean(true))])).unwrap();
        consume(&mut b, ch, "qq", "A", 0, true);
        let ev = consume(&mut b, ch, "qq", "B", 5, true);
        let ev2 = b.publish(ch, "", "qq", "m").unwrap();
        if v >= Version::V4_0 {
            assert_eq!(active_changed_to(&ev), strs(&["B"]), "{v}");
            assert_eq!(delivered(&ev2), pairs(&[("B", "m")]), "{v}");
            // B leaves: A is the only one waiting and takes over again.
            assert_eq!(active_changed_to(&b.cancel(ch, "B").unwrap()), strs(&["A"]), "{v}");
        } else {
            assert!(active_changed_to(&ev).is_empty(), "{v}");
            assert_eq!(delivered(&ev2), pairs(&[("A", "m")]), "{v}");
        }
    }
}

/// When the active consumer of a quorum queue is cancelled, 4.0+ activate
/// the first waiting consumer in `sort_waiting/1` order (priority, then
/// credit, then attach order); 3.10 and 3.13 the one that attached first,
/// whatever its priority (waiting consumers are appended to a list).
#[test]
fn quorum_sac_handover_order_per_release() {
    for v in Version::ALL {
        let (mut b, ch) = broker(v);
        let ch2 = b.connect("guest", "guest", "/").unwrap();
        b.declare_queue(ch, "qq", quorum(&[("x-single-active-consumer", FieldValue::Boolean(true))])).unwrap();
        b.qos(ch, 1, false).unwrap();
        b.qos(ch2, 50, false).unwrap();
        consume(&mut b, ch, "qq", "A", 9, false);
        consume(&mut b, ch, "qq", "B", 0, false);
        consume(&mut b, ch, "qq", "C", 5, false);
        consume(&mut b, ch2, "qq", "D", 5, false);
        let ev = b.cancel(ch, "A").unwrap();
        // C and D share priority 5; D has more credit (50 against 1).
        let expected = if v >= Version::V4_0 { "D" } else { "B" };
        assert_eq!(active_changed_to(&ev), strs(&[expected]), "{v}");
    }
}

fn consume_exclusive(b: &mut Broker, ch: ChannelId, q: &str, tag: &str, exclusive: bool) -> Outcome {
    b.apply(Command::BasicConsume {
        channel: ch,
        queue: q.into(),
        consumer_tag: tag.into(),
        no_ack: false,
        exclusive,
        arguments: FieldTable::new(),
    })
}

/// Consumer exclusivity is a classic queue's (`rabbit_amqqueue_process`,
/// `exclusive_consume_unavailable`, 403). `rabbit_quorum_queue:consume/3`
/// and `rabbit_stream_queue:consume/3` (3.10 to 4.3) hand the flag to
/// metrics only, so on them an exclusive consumer shares the queue, and one
/// may join a single-active-consumer quorum queue.
#[test]
fn exclusive_consumers_lock_out_others_only_on_classic_queues() {
    for v in [Version::V3_10, Version::V4_3] {
        let (mut b, ch) = broker(v);
        b.qos(ch, 10, false).unwrap();
        b.declare_queue(ch, "cq", FieldTable::new()).unwrap();
        b.declare_queue(ch, "qq", quorum(&[])).unwrap();
        b.declare_queue(ch, "sac", quorum(&[("x-single-active-consumer", FieldValue::Boolean(true))])).unwrap();
        b.declare_queue(ch, "s", args(&[("x-queue-type", FieldValue::str("stream"))])).unwrap();
        for q in ["qq", "s"] {
            assert!(consume_exclusive(&mut b, ch, q, &format!("{q}-x"), true).is_ok(), "{v} {q}");
            assert!(consume_exclusive(&mut b, ch, q, &format!("{q}-other"), false).is_ok(), "{v} {q}");
        }
        assert!(consume_exclusive(&mut b, ch, "sac", "sac-x", true).is_ok(), "{v}");
        assert_eq!(b.queue("/", "qq").unwrap().consumers.len(), 2);
        publish(&mut b, ch, "qq", "m1", None);
        publish(&mut b, ch, "qq", "m2", None);
        assert_eq!(b.queue("/", "qq").unwrap().unacked, 2, "{v}: both consumers took one");
        // The classic queue refuses the second consumer.
        assert!(consume_exclusive(&mut b, ch, "cq", "cq-x", true).is_ok());
        let out = consume_exclusive(&mut b, ch, "cq", "cq-other", false);
        assert_eq!(out.error.map(|e| e.code), Some(ReplyCode::AccessRefused), "{v}");
    }
}

/// The queue view lists a 4.0-4.2 quorum queue's messages in the weighted
/// order `basic.get` takes them.
#[test]
fn the_queue_view_lists_weighted_quorum_messages_in_taking_order() {
    let (mut b, ch) = broker(Version::V4_1);
    b.declare_queue(ch, "qq", quorum(&[])).unwrap();
    for (body, p) in [("n1", None), ("n2", Some(1)), ("h1", Some(7)), ("h2", Some(9)), ("h3", Some(5))] {
        publish(&mut b, ch, "qq", body, p);
    }
    let listed: Vec<String> = b.queue("/", "qq").unwrap().messages.into_iter().map(|m| m.body).collect();
    assert_eq!(listed, strs(&["h1", "h2", "n1", "h3", "n2"]));
    assert_eq!(drain(&mut b, ch, "qq"), listed);
}

/// Per-message TTL meets quorum priorities. 4.3 expires the head of every
/// priority (`rabbit_fifo:expire_batch/3` with `rabbit_fifo_pq:take_while/2`,
/// its timer set from `fold_priorities_next/3`), so an expired low-priority
/// message goes while a live high one waits. 4.0-4.2 look only at the
/// message taken next (`get_next_msg/1`), and 3.x has one FIFO, so there
/// the live message shields the expired one until it is taken.
#[test]
fn quorum_expiry_meets_priorities_per_release() {
    for v in Version::ALL {
        let (mut b, ch) = broker(v);
        b.declare_queue(ch, "qq", quorum(&[])).unwrap();
        publish(&mut b, ch, "qq", "hi", Some(9));
        let properties = BasicProperties { priority: Some(0), expiration: Some("100".into()), ..Default::default() };
        b.publish_with(ch, "", "qq", properties, "lo", false).unwrap();
        b.tick(200);
        let ready = b.queue("/", "qq").unwrap().ready;
        assert_eq!(ready, if v == Version::V4_3 { 1 } else { 2 }, "{v}");
        // Taking "hi" uncovers "lo", which is dropped as expired.
        assert_eq!(drain(&mut b, ch, "qq"), strs(&["hi"]), "{v}");
    }
}
