//! How a classic queue hands messages to its consumers, after
//! `rabbit_queue_consumers` (RabbitMQ 3.10 to 4.3 alike): a priority queue of
//! consumers whose head is served and put back at the tail
//! (`deliver/6`), new consumers joining at the tail (`add_consumer/2`), a
//! consumer found without room leaving the rotation (`block_consumer/2`)
//! and rejoining at the tail once an acknowledgement frees it (`unblock/2`),
//! and single active consumer handing over to the highest-priority waiting
//! consumer (`rabbit_amqqueue_process:new_single_active_consumer_after_basic_cancel/5`).

use brokerlab_rabbit::*;

fn setup() -> Broker {
    Broker::new(1)
}

fn args(pairs: &[(&str, FieldValue)]) -> FieldTable {
    pairs.iter().map(|(k, v)| (k.to_string(), v.clone())).collect()
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

fn consume_with(b: &mut Broker, ch: ChannelId, q: &str, tag: &str, arguments: FieldTable) -> Vec<Event> {
    b.apply(Command::BasicConsume {
        channel: ch,
        queue: q.into(),
        consumer_tag: tag.into(),
        no_ack: false,
        exclusive: false,
        arguments,
    })
    .into_result()
    .unwrap()
}

/// Audit 1.3 A: a consumer that joins waits its turn behind the others.
#[test]
fn round_robin_new_consumer_waits_its_turn() {
    let mut b = setup();
    let a = b.connect("guest", "guest", "/").unwrap();
    let bb = b.connect("guest", "guest", "/").unwrap();
    let c = b.connect("guest", "guest", "/").unwrap();
    b.declare_queue(a, "q", FieldTable::new()).unwrap();
    b.consume(a, "q", "A", true).unwrap();
    b.consume(bb, "q", "B", true).unwrap();
    let mut got = Vec::new();
    for m in ["m1", "m2"] {
        got.extend(delivered(&b.publish(a, "", "q", m).unwrap()));
    }
    b.consume(c, "q", "C", true).unwrap();
    for m in ["m3", "m4", "m5"] {
        got.extend(delivered(&b.publish(a, "", "q", m).unwrap()));
    }
    assert_eq!(got, pairs(&[("A", "m1"), ("B", "m2"), ("A", "m3"), ("B", "m4"), ("C", "m5")]));
}

/// Audit 1.3 B: a consumer blocked by its prefetch rejoins at the tail.
#[test]
fn unblocked_consumer_rejoins_at_tail() {
    let mut b = setup();
    let ch1 = b.connect("guest", "guest", "/").unwrap();
    let ch2 = b.connect("guest", "guest", "/").unwrap();
    b.declare_queue(ch1, "q", FieldTable::new()).unwrap();
    b.qos(ch1, 1, false).unwrap();
    b.consume(ch1, "q", "A", false).unwrap();
    b.consume(ch2, "q", "B", false).unwrap();
    let mut got = Vec::new();
    for m in ["m1", "m2", "m3", "m4"] {
        got.extend(delivered(&b.publish(ch1, "", "q", m).unwrap()));
    }
    got.extend(delivered(&b.ack(ch1, 1, false).unwrap()));
    for m in ["m5", "m6"] {
        got.extend(delivered(&b.publish(ch1, "", "q", m).unwrap()));
    }
    assert_eq!(got, pairs(&[("A", "m1"), ("B", "m2"), ("B", "m3"), ("B", "m4"), ("B", "m5"), ("A", "m6")]));
}

/// Consumers blocked together rejoin in the order their acknowledgements
/// free them, each at the tail behind whoever is in the rotation.
#[test]
fn blocked_consumers_rejoin_in_the_order_they_are_freed() {
    let mut b = setup();
    let chans: Vec<ChannelId> = (0..3).map(|_| b.connect("guest", "guest", "/").unwrap()).collect();
    b.declare_queue(chans[0], "q", FieldTable::new()).unwrap();
    for (ch, tag) in chans.iter().zip(["A", "B", "C"]) {
        b.qos(*ch, 1, false).unwrap();
        b.consume(*ch, "q", tag, false).unwrap();
    }
    let mut got = Vec::new();
    // m1..m3 fill A, B and C; m4 finds all three full and blocks them; m5 waits.
    for m in ["m1", "m2", "m3", "m4", "m5"] {
        got.extend(delivered(&b.publish(chans[0], "", "q", m).unwrap()));
    }
    got.extend(delivered(&b.ack(chans[2], 1, false).unwrap())); // C back: takes m4
    got.extend(delivered(&b.ack(chans[1], 1, false).unwrap())); // B back: takes m5
    got.extend(delivered(&b.ack(chans[0], 1, false).unwrap())); // A back, at the tail
    got.extend(delivered(&b.ack(chans[2], 2, false).unwrap())); // C back, behind A
    got.extend(delivered(&b.ack(chans[1], 2, false).unwrap())); // B was never blocked
    for m in ["m6", "m7", "m8"] {
        got.extend(delivered(&b.publish(chans[0], "", "q", m).unwrap()));
    }
    assert_eq!(
        got,
        pairs(&[
            ("A", "m1"),
            ("B", "m2"),
            ("C", "m3"),
            ("C", "m4"),
            ("B", "m5"),
            ("B", "m6"),
            ("A", "m7"),
            ("C", "m8")
        ])
    );
}

/// Audit 1.5 (classic): when the active consumer of a single-active-consumer
/// queue is cancelled, the highest-priority waiting consumer takes over.
#[test]
fn sac_fails_over_to_highest_priority() {
    let mut b = setup();
    let ch = b.connect("guest", "guest", "/").unwrap();
    b.declare_queue(ch, "q", args(&[("x-single-active-consumer", FieldValue::Boolean(true))])).unwrap();
    consume_with(&mut b, ch, "q", "A", FieldTable::new());
    consume_with(&mut b, ch, "q", "B", FieldTable::new());
    consume_with(&mut b, ch, "q", "C", args(&[("x-priority", FieldValue::LongLongInt(10))]));
    let ev = b.cancel(ch, "A").unwrap();
    assert!(ev.iter().any(|e| matches!(e,
        Event::SingleActiveConsumerChanged { consumer_tag: Some(t), .. } if t == "C")));
    let ev = b.publish(ch, "", "q", "m").unwrap();
    assert_eq!(delivered(&ev), pairs(&[("C", "m")]));
}

/// Audit 3 item 9: closing the channel of the active consumer hands over
/// too, and says so.
#[test]
fn sac_handover_on_channel_close_is_announced() {
    let mut b = setup();
    let ch1 = b.connect("guest", "guest", "/").unwrap();
    let ch2 = b.connect("guest", "guest", "/").unwrap();
    b.declare_queue(ch1, "q", args(&[("x-single-active-consumer", FieldValue::Boolean(true))])).unwrap();
    consume_with(&mut b, ch1, "q", "A", FieldTable::new());
    consume_with(&mut b, ch2, "q", "B", FieldTable::new());
    let ev = b.apply(Command::CloseChannel { channel: ch1 }).events;
    assert!(ev.iter().any(|e| matches!(e,
        Event::SingleActiveConsumerChanged { consumer_tag: Some(t), .. } if t == "B")));
    assert_eq!(delivered(&b.publish(ch2, "", "q", "m").unwrap()), pairs(&[("B", "m")]));
}

/// Audit 1.4: `rabbit_reader` (3.10 to 4.3) blocks a connection only when a
/// publish arrives during an alarm (`publish_received/1`), then stops
/// reading its socket, so its later acknowledgements wait too. A connection
/// that only consumes is never blocked.
#[test]
fn alarm_blocks_only_publishing_connections_and_all_their_frames() {
    let mut b = setup();
    let ch1 = b.connect("guest", "guest", "/").unwrap();
    let ch2 = b.connect("guest", "guest", "/").unwrap();
    b.declare_queue(ch1, "q", FieldTable::new()).unwrap();
    b.declare_queue(ch1, "q2", FieldTable::new()).unwrap();
    b.qos(ch1, 1, false).unwrap();
    b.consume(ch1, "q", "c", false).unwrap();
    b.publish(ch1, "", "q", "m1").unwrap();
    b.publish(ch2, "", "q2", "x").unwrap();
    let ev = b.set_alarm(Alarm::Memory, true);
    assert!(!ev.iter().any(|e| matches!(e, Event::ConnectionBlocked { .. })));
    // The consuming-only connection carries on.
    let got = b.get(ch2, "q2", false).unwrap();
    assert!(got.iter().any(|e| matches!(e, Event::GetOk { .. })));
    let ev = b.publish(ch1, "", "q", "m2").unwrap();
    assert!(ev.iter().any(|e| matches!(e, Event::ConnectionBlocked { connection: 1, .. })));
    // The ack is not read: c keeps holding m1 and m2 stays unpublished.
    let ev = b.ack(ch1, 1, false).unwrap();
    assert!(matches!(ev[..], [Event::PublishHeld { .. }]));
    assert_eq!(b.queue("/", "q").unwrap().unacked, 1);
    let ev = b.set_alarm(Alarm::Memory, false);
    assert!(ev.iter().any(|e| matches!(e, Event::ConnectionUnblocked { connection: 1 })));
    assert!(!ev.iter().any(|e| matches!(e, Event::ConnectionUnblocked { connection: 2 })));
    // Replayed in order: the publish, then the ack that lets c take m2.
    assert_eq!(delivered(&ev), pairs(&[("c", "m2")]));
}

/// `rabbit_reader` reads no frame of a blocked connection, so a
/// `channel.open` sent after the publish that blocked it waits like the
/// rest, and is answered, on the number the client expects, once the alarm
/// clears (3.10 to 4.3).
#[test]
fn channel_open_on_a_blocked_connection_waits_for_the_alarm_to_clear() {
    let mut b = setup();
    let ch1 = b.connect("guest", "guest", "/").unwrap();
    b.declare_queue(ch1, "q", FieldTable::new()).unwrap();
    b.set_alarm(Alarm::Disk, true);
    b.publish(ch1, "", "q", "m1").unwrap();
    let out = b.apply(Command::OpenChannel { connection: ch1.connection });
    assert!(out.error.is_none());
    assert_eq!(out.events, vec![Event::PublishHeld { channel: ChannelId { connection: ch1.connection, channel: 2 } }]);
    // A second open waits too and is promised the next number.
    let ch3 = b.open_channel(ch1.connection).unwrap();
    assert_eq!(ch3.channel, 3);
    b.publish(ch3, "", "q", "m3").unwrap();
    assert!(b.queue("/", "q").unwrap().messages.is_empty());
    let ev = b.set_alarm(Alarm::Disk, false);
    let opened: Vec<u16> = ev
        .iter()
        .filter_map(|e| match e {
            Event::ChannelOpened { channel } => Some(channel.channel),
            _ => None,
        })
        .collect();
    assert_eq!(opened, vec![2, 3]);
    let bodies: Vec<String> = b.queue("/", "q").unwrap().messages.into_iter().map(|m| m.body).collect();
    assert_eq!(bodies, vec!["m1", "m3"]);
}

/// A connection opened during an alarm is not blocked until it publishes,
/// and then hears `connection.blocked` like any other
/// (`rabbit_reader:maybe_send_blocked_or_unblocked/1`; audit item 19).
#[test]
fn a_connection_opened_during_an_alarm_is_told_it_is_blocked_when_it_publishes() {
    let mut b = setup();
    let admin = b.connect("guest", "guest", "/").unwrap();
    b.declare_queue(admin, "q", FieldTable::new()).unwrap();
    b.set_alarm(Alarm::Memory, true);
    let ch = b.connect("guest", "guest", "/").unwrap();
    assert!(b.get(ch, "q", true).unwrap().iter().any(|e| matches!(e, Event::GetEmpty { .. })));
    let ev = b.publish(ch, "", "q", "m").unwrap();
    assert!(
        ev.iter().any(|e| matches!(e, Event::ConnectionBlocked { connection, .. } if *connection == ch.connection))
    );
    let ev = b.set_alarm(Alarm::Memory, false);
    assert!(ev.iter().any(|e| matches!(e, Event::ConnectionUnblocked { connection } if *connection == ch.connection)));
}

/// Audit 1.5 and 2.6 (classic, 3.10 to 4.3): a consumer of higher priority
/// that attaches to a single-active-consumer classic queue waits; the
/// active one keeps the queue (`rabbit_amqqueue_process` switches only when
/// the active consumer goes). An exclusive consumer is refused with 403
/// (`exclusive_consume_unavailable`), even on a queue without consumers.
#[test]
fn classic_sac_keeps_its_active_consumer_and_refuses_exclusive_ones() {
    for v in [Version::V3_10, Version::V4_3] {
        let mut b = Broker::with_version(1, v);
        let ch = b.connect("guest", "guest", "/").unwrap();
        let sac = args(&[("x-single-active-consumer", FieldValue::Boolean(true))]);
        b.declare_queue(ch, "empty", sac.clone()).unwrap();
        let out = b.apply(Command::BasicConsume {
            channel: ch,
            queue: "empty".into(),
            consumer_tag: "x".into(),
            no_ack: false,
            exclusive: true,
            arguments: FieldTable::new(),
        });
        assert_eq!(out.error.map(|e| e.code), Some(ReplyCode::AccessRefused), "{v}");
        let ch = b.open_channel(ch.connection).unwrap();
        b.declare_queue(ch, "q", sac).unwrap();
        consume_with(&mut b, ch, "q", "A", FieldTable::new());
        let ev = consume_with(&mut b, ch, "q", "B", args(&[("x-priority", FieldValue::LongLongInt(10))]));
        assert!(!ev.iter().any(|e| matches!(e, Event::SingleActiveConsumerChanged { .. })), "{v}");
        assert_eq!(delivered(&b.publish(ch, "", "q", "m").unwrap()), pairs(&[("A", "m")]), "{v}");
    }
}
