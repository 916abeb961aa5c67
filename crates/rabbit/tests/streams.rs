//! Stream queues (`x-queue-type: stream`), one RabbitMQ rule per test, each
//! naming the release and the source it follows: declaring and what a
//! stream refuses (3.10.8's `rabbit_amqqueue:check_declare_arguments` and
//! `rabbit_stream_queue`), attaching by `x-stream-offset` (osiris v1.3.1's
//! `init_offset_reader`), prefetch credit and acknowledgements, the
//! `x-stream-offset` header, retention by whole segments (osiris_log's
//! `evaluate_retention`), restarts, and a property test that reading never
//! removes a record and every reader reads consecutive offsets.

use brokerlab_rabbit::*;
use proptest::prelude::*;

/// The broker as RabbitMQ 3.10, whose stream rules these tests pin and the
/// differential test checks against the real 3.10.8.
fn setup() -> (Broker, ChannelId) {
    let mut b = Broker::with_version(1, Version::V3_10);
    let ch = b.connect("guest", "guest", "/").unwrap();
    (b, ch)
}

fn args(pairs: &[(&str, FieldValue)]) -> FieldTable {
    pairs.iter().map(|(k, v)| (k.to_string(), v.clone())).collect()
}

fn stream_args(extra: &[(&str, FieldValue)]) -> FieldTable {
    let mut a = args(&[("x-queue-type", FieldValue::str("stream"))]);
    a.extend(args(extra));
    a
}

fn declare(
    b: &mut Broker,
    ch: ChannelId,
    name: &str,
    durable: bool,
    exclusive: bool,
    auto_delete: bool,
    arguments: FieldTable,
) -> Outcome {
    b.apply(Command::QueueDeclare {
        channel: ch,
        queue: name.into(),
        passive: false,
        durable,
        exclusive,
        auto_delete,
        arguments,
    })
}

fn stream(b: &mut Broker, ch: ChannelId, name: &str, extra: &[(&str, FieldValue)]) {
    let out = declare(b, ch, name, true, false, false, stream_args(extra));
    assert!(out.is_ok(), "declaring stream {name}: {:?}", out.error);
}

fn consume_at(b: &mut Broker, ch: ChannelId, queue: &str, tag: &str, offset: Option<FieldValue>) -> Outcome {
    let arguments = offset.map(|o| args(&[("x-stream-offset", o)])).unwrap_or_default();
    b.apply(Command::BasicConsume {
        channel: ch,
        queue: queue.into(),
        consumer_tag: tag.into(),
        no_ack: false,
        exclusive: false,
        arguments,
    })
}

/// `(consumer tag, delivery tag, x-stream-offset, body)` of each delivery.
fn deliveries(ev: &[Event]) -> Vec<(String, u64, i64, String)> {
    ev.iter()
        .filter_map(|e| match e {
            Event::Delivered { consumer_tag, delivery_tag, message, .. } => {
                let offset = match message.properties.headers.as_ref().and_then(|h| h.get("x-stream-offset")) {
                    Some(FieldValue::LongLongInt(o)) => *o,
                    other => panic!("a stream delivery without a long x-stream-offset header: {other:?}"),
                };
                Some((consumer_tag.clone(), *delivery_tag, offset, message.body.clone()))
            }
            _ => None,
        })
        .collect()
}

fn offsets(ev: &[Event], tag: &str) -> Vec<i64> {
    deliveries(ev).into_iter().filter(|d| d.0 == tag).map(|d| d.2).collect()
}

fn publish_n(b: &mut Broker, ch: ChannelId, queue: &str, from: usize, to: usize) -> Vec<Event> {
    (from..to).flat_map(|i| b.publish(ch, "", queue, &format!("m{i}")).unwrap()).collect()
}

fn refusal(out: Outcome) -> (u16, String) {
    let e = out.error.expect("refused");
    (e.reply_code(), e.text)
}

// Declaring: 3.10.8 rabbit_stream_queue:declare runs check_auto_delete,
// check_exclusive and check_non_durable, in that order.
#[test]
fn a_stream_must_be_durable_not_exclusive_and_not_auto_delete_as_in_3_10() {
    let (mut b, ch) = setup();
    let cases = [
        ((false, false, false), "non-durable"),
        ((true, true, false), "exclusive-owner"),
        ((true, false, true), "auto-delete"),
        ((false, true, true), "auto-delete"),
    ];
    for ((durable, exclusive, auto_delete), property) in cases {
        let ch = b.open_channel(ch.connection).unwrap();
        let out = declare(&mut b, ch, "s", durable, exclusive, auto_delete, stream_args(&[]));
        assert_eq!(refusal(out), (406, format!("invalid property '{property}' for queue 's' in vhost '/'")));
    }
    let ch = b.open_channel(ch.connection).unwrap();
    assert!(declare(&mut b, ch, "s", true, false, false, stream_args(&[])).is_ok());
    assert_eq!(b.queue("/", "s").unwrap().queue_type, QueueType::Stream);
}

// 3.10.8 rabbit_amqqueue:check_arguments_key refuses any argument another
// queue type takes and a stream does not.
#[test]
fn a_stream_refuses_the_arguments_of_other_queue_types_as_in_3_10() {
    let (mut b, ch) = setup();
    for (key, value) in [
        ("x-message-ttl", FieldValue::LongLongInt(1000)),
        ("x-max-priority", FieldValue::LongLongInt(5)),
        ("x-dead-letter-exchange", FieldValue::str("dlx")),
        ("x-expires", FieldValue::LongLongInt(1000)),
        ("x-max-length", FieldValue::LongLongInt(10)),
        ("x-overflow", FieldValue::str("reject-publish")),
        ("x-single-active-consumer", FieldValue::Boolean(true)),
        ("x-delivery-limit", FieldValue::LongLongInt(3)),
    ] {
        let ch = b.open_channel(ch.connection).unwrap();
        let out = declare(&mut b, ch, "s", true, false, false, stream_args(&[(key, value)]));
        assert_eq!(
            refusal(out),
            (406, format!("invalid arg '{key}' for queue 's' in vhost '/' of queue type rabbit_stream_queue"))
        );
    }
    // An argument no queue type knows is ignored, as RabbitMQ ignores it.
    let ch = b.open_channel(ch.connection).unwrap();
    assert!(
        declare(&mut b, ch, "s", true, false, false, stream_args(&[("x-custom", FieldValue::str("kept"))])).is_ok()
    );
}

#[test]
fn a_stream_checks_its_own_arguments_as_in_3_10() {
    let (mut b, ch) = setup();
    let cases = [
        (("x-max-age", FieldValue::str("0h")), "invalid arg 'x-max-age' for queue 's' in vhost '/': invalid_max_age"),
        (
            ("x-max-length-bytes", FieldValue::LongLongInt(-1)),
            "invalid arg 'x-max-length-bytes' for queue 's' in vhost '/': {value_negative,-1}",
        ),
        (
            ("x-stream-max-segment-size-bytes", FieldValue::LongLongInt(3_000_000_001)),
            "Exceeded max value for x-stream-max-segment-size-bytes",
        ),
    ];
    for ((key, value), text) in cases {
        let ch = b.open_channel(ch.connection).unwrap();
        let out = declare(&mut b, ch, "s", true, false, false, stream_args(&[(key, value)]));
        assert_eq!(refusal(out), (406, text.to_string()));
    }
}

// rabbit_stream_queue:consume (3.10.8): no prefetch is a 406, automatic
// acknowledgement and global QoS are 540s, x-priority belongs to other types.
#[test]
fn a_stream_consumer_needs_a_prefetch_and_manual_acks_as_in_3_10() {
    let (mut b, ch) = setup();
    stream(&mut b, ch, "s", &[]);
    assert_eq!(
        refusal(consume_at(&mut b, ch, "s", "c", None)),
        (406, "consumer prefetch count is not set for 'queue 's' in vhost '/''".into())
    );
    let ch = b.connect("guest", "guest", "/").unwrap();
    b.qos(ch, 10, false).unwrap();
    let out = b.apply(Command::BasicConsume {
        channel: ch,
        queue: "s".into(),
        consumer_tag: "c".into(),
        no_ack: true,
        exclusive: false,
        arguments: FieldTable::new(),
    });
    assert_eq!(
        refusal(out),
        (540, "automatic acknowledgement not supported by stream queues queue 's' in vhost '/'".into())
    );
    let ch = b.connect("guest", "guest", "/").unwrap();
    b.qos(ch, 10, false).unwrap();
    b.qos(ch, 10, true).unwrap();
    assert_eq!(
        refusal(consume_at(&mut b, ch, "s", "c", None)),
        (540, "queue 's' in vhost '/' does not support global qos".into())
    );
    let ch = b.connect("guest", "guest", "/").unwrap();
    b.qos(ch, 10, false).unwrap();
    let out = b.apply(Command::BasicConsume {
        channel: ch,
        queue: "s".into(),
        consumer_tag: "c".into(),
        no_ack: false,
        exclusive: false,
        arguments: args(&[("x-priority", FieldValue::LongLongInt(1))]),
    });
    assert_eq!(
        refusal(out),
        (406, "invalid arg 'x-priority' for queue 's' in vhost '/' of queue type rabbit_stream_queue".into())
    );
}

// 540 NOT_IMPLEMENTED closes the connection, as RabbitMQ treats it as a hard error.
#[test]
fn a_stream_refuses_basic_get_and_purge_with_540_and_the_connection_closes() {
    let (mut b, ch) = setup();
    stream(&mut b, ch, "s", &[]);
    b.publish(ch, "", "s", "a").unwrap();
    let out = b.apply(Command::BasicGet { channel: ch, queue: "s".into(), no_ack: false });
    assert!(out.events.iter().any(|e| matches!(e, Event::ConnectionClosed { .. })));
    assert_eq!(refusal(out), (540, "basic.get not supported by stream queues queue 's' in vhost '/'".into()));
    let ch = b.connect("guest", "guest", "/").unwrap();
    let out = b.apply(Command::QueuePurge { channel: ch, queue: "s".into() });
    assert_eq!(refusal(out), (540, "queue.purge not supported by stream queues queue 's' in vhost '/'".into()));
    assert_eq!(b.stream("/", "s").unwrap().records.len(), 1, "nothing was removed");
}

// rabbit_stream_queue:settle in 3.10 to 3.12 refuses every settlement but
// an acknowledgement (3.13 made them all give credit back).
#[test]
fn nack_and_reject_of_a_stream_delivery_are_refused_as_in_3_10() {
    for requeue in [true, false] {
        for reject in [true, false] {
            let (mut b, ch) = setup();
            stream(&mut b, ch, "s", &[]);
            b.publish(ch, "", "s", "a").unwrap();
            b.qos(ch, 5, false).unwrap();
            let ev = consume_at(&mut b, ch, "s", "c", Some(FieldValue::str("first"))).into_result().unwrap();
            let tag = deliveries(&ev)[0].1;
            let out = if reject {
                b.apply(Command::BasicReject { channel: ch, delivery_tag: tag, requeue })
            } else {
                b.apply(Command::BasicNack { channel: ch, delivery_tag: tag, multiple: false, requeue })
            };
            assert_eq!(
                refusal(out),
                (540, "basic.nack and basic.reject not supported by stream queues queue 's' in vhost '/'".into())
            );
            assert_eq!(b.stream("/", "s").unwrap().records.len(), 1);
        }
    }
}

// rabbit_stream_queue:settle/5 from 3.13.0: "all settle reasons will give
// credit to the stream queue", so a nack or reject, with requeue or
// without, acts as an ack: the reader reads on, nothing is redelivered or
// dead-lettered, and the log keeps every record.
#[test]
fn nack_and_reject_of_a_stream_delivery_give_credit_back_from_3_13() {
    for v in [Version::V3_13, Version::V4_0, Version::V4_3] {
        let mut b = Broker::with_version(1, v);
        let ch = b.connect("guest", "guest", "/").unwrap();
        stream(&mut b, ch, "s", &[]);
        publish_n(&mut b, ch, "s", 0, 3);
        b.qos(ch, 1, false).unwrap();
        let ev = consume_at(&mut b, ch, "s", "c", Some(FieldValue::str("first"))).into_result().unwrap();
        assert_eq!(offsets(&ev, "c"), [0]);
        let ev = b.nack(ch, deliveries(&ev)[0].1, false, true).unwrap();
        assert_eq!(offsets(&ev, "c"), [1], "{v}: the next record, not offset 0 again");
        let ev = b.reject(ch, deliveries(&ev)[0].1, false).unwrap();
        assert_eq!(offsets(&ev, "c"), [2], "{v}");
        assert!(!ev.iter().any(|e| matches!(e, Event::DeadLettered { .. })), "{v}");
        assert_eq!(b.stream("/", "s").unwrap().records.len(), 3, "{v}");
    }
}

// osiris_log:init_offset_reader (v1.3.1) and 3.10.8's begin_stream.
#[test]
fn readers_attach_at_first_last_next_an_offset_a_timestamp_and_an_interval() {
    let (mut b, ch) = setup();
    stream(&mut b, ch, "s", &[]);
    for i in 0..5 {
        b.publish(ch, "", "s", &format!("m{i}")).unwrap();
        b.tick(1_000);
    }
    // Records 0..5 were appended at 0, 1000, 2000, 3000 and 4000 ms; now is 5000.
    b.qos(ch, 100, false).unwrap();
    let cases: [(&str, Option<FieldValue>, Vec<i64>); 9] = [
        ("first", Some(FieldValue::str("first")), vec![0, 1, 2, 3, 4]),
        ("last", Some(FieldValue::str("last")), vec![4]),
        ("next", Some(FieldValue::str("next")), vec![]),
        ("default", None, vec![]),
        ("offset", Some(FieldValue::LongLongInt(3)), vec![3, 4]),
        ("short-int", Some(FieldValue::ShortInt(1)), vec![1, 2, 3, 4]),
        // A timestamp is in seconds: 2 s is the record appended at 2000 ms.
        ("timestamp", Some(FieldValue::Timestamp(2)), vec![2, 3, 4]),
        // "2s" reaches back two seconds from now (5000 ms): 3000 ms on.
        ("interval", Some(FieldValue::str("2s")), vec![3, 4]),
        ("past-end", Some(FieldValue::LongLongInt(7)), vec![]),
    ];
    for (tag, offset, want) in cases {
        let ev = consume_at(&mut b, ch, "s", tag, offset).into_result().unwrap();
        assert_eq!(offsets(&ev, tag), want, "reader {tag}");
    }
    // A reader past the end shows the offset it waits for as its next.
    let view = b.stream("/", "s").unwrap();
    let next = |tag: &str| view.consumers.iter().find(|c| c.consumer_tag == tag).map(|c| c.next_offset);
    assert_eq!((next("past-end"), next("next"), next("first")), (Some(7), Some(5), Some(5)));
    // Two more records reach every reader that waits at the end, and the
    // reader past the end only from offset 7.
    let ev = publish_n(&mut b, ch, "s", 5, 8);
    assert_eq!(offsets(&ev, "next"), [5, 6, 7]);
    assert_eq!(offsets(&ev, "default"), [5, 6, 7]);
    assert_eq!(offsets(&ev, "past-end"), [7]);
    assert_eq!(offsets(&ev, "first"), [5, 6, 7]);
    let view = b.stream("/", "s").unwrap();
    assert_eq!(view.records.len(), 8, "reading removed nothing");
    assert!(view.consumers.iter().all(|c| c.next_offset == 8));
}

#[test]
fn an_invalid_x_stream_offset_is_refused() {
    let (mut b, ch) = setup();
    stream(&mut b, ch, "s", &[]);
    b.qos(ch, 1, false).unwrap();
    let out = consume_at(&mut b, ch, "s", "c", Some(FieldValue::str("yesterday")));
    assert_eq!(
        refusal(out),
        (406, "invalid arg 'x-stream-offset' for queue 's' in vhost '/': {invalid_stream_offset_arg,{longstr,<<\"yesterday\">>}}".into())
    );
}

// rabbit_stream_queue: credit starts at the prefetch, each delivery spends
// one, each acknowledgement gives one back (settle/4 with `complete`).
#[test]
fn acknowledgements_only_give_credit_back_and_never_remove_a_record() {
    let (mut b, ch) = setup();
    stream(&mut b, ch, "s", &[]);
    publish_n(&mut b, ch, "s", 0, 6);
    b.qos(ch, 2, false).unwrap();
    let ev = consume_at(&mut b, ch, "s", "c", Some(FieldValue::str("first"))).into_result().unwrap();
    let got = deliveries(&ev);
    assert_eq!(got.iter().map(|d| (d.1, d.2)).collect::<Vec<_>>(), [(1, 0), (2, 1)]);
    assert_eq!(b.stream("/", "s").unwrap().consumers[0].credit, 0);
    // One acknowledgement, one more record.
    let ev = b.ack(ch, 1, false).unwrap();
    assert_eq!(offsets(&ev, "c"), [2]);
    // A multiple acknowledgement of two deliveries gives two credits.
    let ev = b.ack(ch, 3, true).unwrap();
    assert_eq!(offsets(&ev, "c"), [3, 4]);
    let view = b.stream("/", "s").unwrap();
    assert_eq!(view.records.len(), 6);
    assert_eq!(view.consumers[0].next_offset, 5);
    assert_eq!(view.consumers[0].unacked, [(4, 3), (5, 4)]);
    // The channel view lists stream deliveries with their offsets.
    let unacked = &b.channels()[0].unacked;
    assert_eq!(unacked.iter().map(|u| u.delivery_tag).collect::<Vec<_>>(), [4, 5]);
    assert_eq!(b.ledger(), Ledger::default(), "stream records are not message copies");
    // An unknown tag is still a 406.
    assert_eq!(refusal(b.apply(Command::BasicAck { channel: ch, delivery_tag: 99, multiple: false })).0, 406);
}

#[test]
fn two_readers_keep_their_own_positions_and_a_cancelled_one_stops() {
    let (mut b, ch) = setup();
    stream(&mut b, ch, "s", &[]);
    publish_n(&mut b, ch, "s", 0, 3);
    b.qos(ch, 10, false).unwrap();
    let ev = consume_at(&mut b, ch, "s", "a", Some(FieldValue::str("first"))).into_result().unwrap();
    assert_eq!(offsets(&ev, "a"), [0, 1, 2]);
    let ev = consume_at(&mut b, ch, "s", "b", Some(FieldValue::LongLongInt(1))).into_result().unwrap();
    assert_eq!(offsets(&ev, "b"), [1, 2]);
    b.cancel(ch, "a").unwrap();
    let ev = b.publish(ch, "", "s", "m3").unwrap();
    assert_eq!(deliveries(&ev).iter().map(|d| (d.0.as_str(), d.2)).collect::<Vec<_>>(), [("b", 3)]);
    // Acknowledging the cancelled reader's deliveries is still allowed.
    b.ack(ch, 3, true).unwrap();
    assert_eq!(b.stream("/", "s").unwrap().consumers.len(), 1);
}

#[test]
fn publishing_through_an_exchange_appends_to_a_stream_and_enqueues_in_a_classic_queue() {
    let (mut b, ch) = setup();
    stream(&mut b, ch, "s", &[]);
    b.declare_queue(ch, "q", FieldTable::new()).unwrap();
    b.declare_exchange(ch, "x", ExchangeKind::Fanout).unwrap();
    b.bind_queue(ch, "s", "x", "").unwrap();
    b.bind_queue(ch, "q", "x", "").unwrap();
    let ev = b.publish(ch, "x", "k", "hello").unwrap();
    assert!(ev.iter().any(|e| matches!(e, Event::StreamAppended { queue, offset: 0, .. } if &**queue == "s")));
    assert!(ev.iter().any(|e| matches!(e, Event::Enqueued { queue, .. } if &**queue == "q")));
    let rec = &b.stream("/", "s").unwrap().records[0];
    assert_eq!((rec.offset, rec.message.exchange.as_str(), rec.message.routing_key.as_str()), (0, "x", "k"));
}

// osiris_log: a segment rolls once it holds max_segment_size_bytes; the
// roll evaluates retention, which keeps the newest segment and then older
// ones while they fit in max_bytes (eval_max_bytes).
#[test]
fn max_length_bytes_removes_whole_segments_from_the_oldest() {
    let (mut b, ch) = setup();
    stream(
        &mut b,
        ch,
        "s",
        &[
            ("x-max-length-bytes", FieldValue::LongLongInt(25)),
            ("x-stream-max-segment-size-bytes", FieldValue::LongLongInt(10)),
        ],
    );
    // Bodies of 5 bytes: two records fill a segment of 10 bytes.
    let mut removed = Vec::new();
    for i in 0..9 {
        let ev = b.publish(ch, "", "s", &format!("rec-{i}")).unwrap();
        removed.extend(ev.into_iter().filter_map(|e| match e {
            Event::StreamSegmentsRemoved { first_offset, records, .. } => Some((first_offset, records)),
            _ => None,
        }));
    }
    let view = b.stream("/", "s").unwrap();
    // Segments [0,1] [2,3] [4,5] [6,7] [8]: at the roll that opened [8],
    // the newest (5 bytes) and two full ones (20 bytes) fit in 25.
    assert_eq!(removed, [(2, 2), (4, 2)]);
    assert_eq!(view.first_offset, 4);
    assert_eq!(view.records.iter().map(|r| r.offset).collect::<Vec<_>>(), [4, 5, 6, 7, 8]);
    assert_eq!(view.segments.iter().map(|s| (s.first_offset, s.records)).collect::<Vec<_>>(), [(4, 2), (6, 2), (8, 1)]);
    // A reader at `first` starts at the first record kept.
    b.qos(ch, 100, false).unwrap();
    let ev = consume_at(&mut b, ch, "s", "c", Some(FieldValue::str("first"))).into_result().unwrap();
    assert_eq!(offsets(&ev, "c"), [4, 5, 6, 7, 8]);
}

// osiris_log eval_age: a segment whose last record is older than the age
// goes at the next roll; the newest segment always stays.
#[test]
fn max_age_removes_old_segments_at_a_roll_by_the_logical_clock() {
    let (mut b, ch) = setup();
    stream(
        &mut b,
        ch,
        "s",
        &[("x-max-age", FieldValue::str("10s")), ("x-stream-max-segment-size-bytes", FieldValue::LongLongInt(1))],
    );
    // Each record fills its own segment.
    b.publish(ch, "", "s", "old").unwrap();
    b.tick(5_000);
    b.publish(ch, "", "s", "mid").unwrap();
    b.tick(20_000);
    // Time alone removes nothing: retention runs when a segment rolls.
    assert_eq!(b.stream("/", "s").unwrap().records.len(), 2);
    let ev = b.publish(ch, "", "s", "new").unwrap();
    assert!(ev.iter().any(|e| matches!(e, Event::StreamSegmentsRemoved { first_offset: 2, records: 2, .. })));
    let view = b.stream("/", "s").unwrap();
    assert_eq!(view.records.iter().map(|r| r.message.body.as_str()).collect::<Vec<_>>(), ["new"]);
}

#[test]
fn a_reader_behind_retention_goes_on_from_the_first_record_kept() {
    let (mut b, ch) = setup();
    stream(
        &mut b,
        ch,
        "s",
        &[
            ("x-max-length-bytes", FieldValue::LongLongInt(4)),
            ("x-stream-max-segment-size-bytes", FieldValue::LongLongInt(1)),
        ],
    );
    b.publish(ch, "", "s", "a").unwrap();
    b.qos(ch, 1, false).unwrap();
    let ev = consume_at(&mut b, ch, "s", "c", Some(FieldValue::str("first"))).into_result().unwrap();
    assert_eq!(offsets(&ev, "c"), [0]);
    // The reader holds its one credit while records 1..5 (two bytes each,
    // a segment each) arrive and retention keeps the last two segments.
    publish_n(&mut b, ch, "s", 1, 6);
    assert_eq!(b.stream("/", "s").unwrap().first_offset, 4);
    let ev = b.ack(ch, 1, false).unwrap();
    assert_eq!(offsets(&ev, "c"), [4]);
}

#[test]
fn a_restart_keeps_every_record_and_drops_the_readers() {
    let (mut b, ch) = setup();
    stream(&mut b, ch, "s", &[]);
    b.publish(ch, "", "s", "transient").unwrap();
    b.qos(ch, 5, false).unwrap();
    consume_at(&mut b, ch, "s", "c", Some(FieldValue::str("first"))).into_result().unwrap();
    b.restart();
    let view = b.stream("/", "s").unwrap();
    assert_eq!(view.records.len(), 1, "a stream stores every message, persistent or not");
    assert!(view.consumers.is_empty());
}

#[test]
fn closing_a_channel_returns_nothing_to_a_stream() {
    let (mut b, ch) = setup();
    stream(&mut b, ch, "s", &[]);
    publish_n(&mut b, ch, "s", 0, 3);
    let reader = b.open_channel(ch.connection).unwrap();
    b.qos(reader, 2, false).unwrap();
    consume_at(&mut b, reader, "s", "c", Some(FieldValue::str("first"))).into_result().unwrap();
    let ev = b.apply(Command::CloseChannel { channel: reader }).into_result().unwrap();
    assert!(!ev.iter().any(|e| matches!(e, Event::Enqueued { .. } | Event::Delivered { .. })));
    let view = b.stream("/", "s").unwrap();
    assert_eq!((view.records.len(), view.consumers.len()), (3, 0));
}

#[derive(Debug, Clone)]
enum Op {
    Publish(u8),
    Consume(u8, u8),
    Ack(u8, bool),
    Cancel(u8),
    Tick(u16),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (1u8..20).prop_map(Op::Publish),
        1 => (0u8..4, 0u8..6).prop_map(|(c, o)| Op::Consume(c, o)),
        3 => (0u8..30, any::<bool>()).prop_map(|(t, m)| Op::Ack(t, m)),
        1 => (0u8..4).prop_map(Op::Cancel),
        1 => (0u16..5000).prop_map(Op::Tick),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 150, ..ProptestConfig::default() })]

    /// Whatever happens, reading never removes a record (only retention
    /// does, from the front), each reader receives consecutive offsets
    /// that are still or were once in the log, and its credit plus what it
    /// holds is its prefetch (the engine checks that after every command).
    #[test]
    fn readers_read_consecutive_offsets_and_only_retention_removes_records(
        seed in any::<u64>(),
        prefetch in 1u16..5,
        ops in proptest::collection::vec(op(), 1..80),
    ) {
        let mut b = Broker::with_version(seed, Version::V3_10);
        let ch = b.connect("guest", "guest", "/").unwrap();
        let out = declare(&mut b, ch, "s", true, false, false, stream_args(&[
            ("x-max-length-bytes", FieldValue::LongLongInt(60)),
            ("x-stream-max-segment-size-bytes", FieldValue::LongLongInt(20)),
            ("x-max-age", FieldValue::str("3s")),
        ]));
        prop_assert!(out.is_ok());
        b.qos(ch, prefetch, false).unwrap();
        let mut last: std::collections::BTreeMap<String, i64> = Default::default();
        let mut appended = 0u64;
        for op in ops {
            let before = b.stream("/", "s").unwrap();
            let out = match op {
                Op::Publish(len) => { appended += 1; b.apply(Command::BasicPublish { channel: ch, exchange: String::new(), routing_key: "s".into(), mandatory: false, properties: BasicProperties::default(), body: "x".repeat(usize::from(len)) }) }
                Op::Consume(c, o) => {
                    let tag = format!("c{c}");
                    if before.consumers.iter().any(|r| r.consumer_tag == tag) {
                        continue;
                    }
                    last.remove(&tag);
                    let offset = match o { 0 => FieldValue::str("first"), 1 => FieldValue::str("last"), 2 => FieldValue::str("next"), 3 => FieldValue::Timestamp(1), n => FieldValue::LongLongInt(i64::from(n) * 3) };
                    consume_at(&mut b, ch, "s", &tag, Some(offset))
                }
                Op::Ack(i, multiple) => {
                    let held: Vec<u64> = b.channels()[0].unacked.iter().map(|u| u.delivery_tag).collect();
                    let Some(tag) = held.get(usize::from(i) % held.len().max(1)) else { continue };
                    b.apply(Command::BasicAck { channel: ch, delivery_tag: *tag, multiple })
                }
                Op::Cancel(c) => b.apply(Command::BasicCancel { channel: ch, consumer_tag: format!("c{c}") }),
                Op::Tick(ms) => b.apply(Command::Tick { ms: u64::from(ms) }),
            };
            prop_assert!(out.error.is_none(), "refused: {:?}", out.error);
            for (tag, _, offset, _) in deliveries(&out.events) {
                if let Some(prev) = last.get(&tag) {
                    prop_assert!(offset > *prev, "{tag} went back from {prev} to {offset}");
                }
                last.insert(tag, offset);
            }
            let after = b.stream("/", "s").unwrap();
            prop_assert_eq!(after.next_offset, appended);
            prop_assert!(after.first_offset >= before.first_offset);
            if !matches!(op, Op::Publish(_)) {
                prop_assert_eq!(after.records.len(), before.records.len(), "only an append can change the log");
            }
            prop_assert!(!after.records.is_empty() || appended == 0, "retention never removes the newest segment");
        }
        prop_assert!(b.check_invariants().is_ok());
    }
}

// MurmurHash3 x86 32-bit, checked against the reference vectors of
// Appleby's SMHasher (as quoted with the algorithm's description).
#[test]
fn murmur3_matches_the_reference_vectors() {
    assert_eq!(murmur3_32(b"", 0), 0);
    assert_eq!(murmur3_32(b"", 1), 0x514e_28b7);
    assert_eq!(murmur3_32(b"", 0xffff_ffff), 0x81f1_6f39);
    assert_eq!(murmur3_32(&[0, 0, 0, 0], 0), 0x2362_f9de);
    assert_eq!(murmur3_32(b"aaaa", 0x9747_b28c), 0x5a97_808a);
    assert_eq!(murmur3_32(b"abc", 0x9747_b28c), 0xc84a_62dd);
    assert_eq!(murmur3_32(b"Hello, world!", 0x9747_b28c), 0x2488_4cba);
    assert_eq!(murmur3_32(b"The quick brown fox jumps over the lazy dog", 0x9747_b28c), 0x2fa8_26cd);
}

// The stream clients' hash routing (Java HashRoutingStrategy, .NET
// HashRoutingMurmurStrategy): unsigned murmur3 of the UTF-8 key, seed
// 104729, modulo the partition count.
#[test]
fn super_stream_routing_is_the_unsigned_hash_modulo_the_partitions() {
    assert_eq!(SUPER_STREAM_HASH_SEED, 104_729);
    assert_eq!(super_stream_partition("any", 0), None);
    for key in ["order-1", "order-2", "ünïcode", ""] {
        let h = murmur3_32(key.as_bytes(), 104_729);
        for n in 1..6 {
            assert_eq!(super_stream_partition(key, n), Some((h % n as u32) as usize));
        }
    }
}

// rabbitmq-streams add_super_stream (3.11 rabbit_stream_manager): a direct
// exchange with x-super-stream, streams NAME-i bound with key i and
// x-stream-partition-order i.
#[test]
fn a_super_stream_is_streams_bound_to_a_direct_exchange_in_partition_order() {
    let (mut b, ch) = setup();
    b.declare_super_stream(ch, "invoices", 3, args(&[("x-max-age", FieldValue::str("7D"))])).unwrap();
    let x = b.exchanges("/").into_iter().find(|x| x.name == "invoices").unwrap();
    assert_eq!((x.kind, x.durable), (ExchangeKind::Direct, true));
    assert_eq!(x.arguments.get("x-super-stream"), Some(&FieldValue::Boolean(true)));
    let parts = b.super_stream_partitions("/", "invoices");
    assert_eq!(
        parts,
        [("invoices-0", "0"), ("invoices-1", "1"), ("invoices-2", "2")].map(|(q, k)| (q.to_string(), k.to_string()))
    );
    for (q, _) in &parts {
        assert_eq!(b.stream("/", q).unwrap().max_age_ms, Some(7 * 86_400_000));
    }
    // Each key lands on the partition hash routing picks, and only there.
    for key in ["a", "b", "c", "d", "e", "f"] {
        b.publish_to_super_stream(ch, "invoices", key, key).unwrap();
    }
    for (i, (q, _)) in parts.iter().enumerate() {
        let bodies: Vec<String> = b.stream("/", q).unwrap().records.into_iter().map(|r| r.message.body).collect();
        let want: Vec<String> = ["a", "b", "c", "d", "e", "f"]
            .into_iter()
            .filter(|k| super_stream_partition(k, 3) == Some(i))
            .map(String::from)
            .collect();
        assert_eq!(bodies, want, "partition {q}");
    }
    assert!(
        b.apply(Command::BasicQos { channel: ch, prefetch_count: 0, global: false }).is_ok(),
        "the channel is still open"
    );
}

fn sac(name: &str, super_stream: Option<&str>) -> FieldTable {
    let mut a = args(&[
        ("single-active-consumer", FieldValue::Boolean(true)),
        ("name", FieldValue::str(name)),
        ("x-stream-offset", FieldValue::str("first")),
    ]);
    if let Some(s) = super_stream {
        a.insert("super-stream".into(), FieldValue::str(s));
    }
    a
}

fn consume_with(b: &mut Broker, ch: ChannelId, queue: &str, tag: &str, arguments: FieldTable) -> Vec<Event> {
    b.apply(Command::BasicConsume {
        channel: ch,
        queue: queue.into(),
        consumer_tag: tag.into(),
        no_ack: false,
        exclusive: false,
        arguments,
    })
    .into_result()
    .unwrap()
}

fn active(b: &Broker, q: &str) -> Vec<(String, bool)> {
    b.stream("/", q).unwrap().consumers.into_iter().map(|c| (c.consumer_tag, c.active)).collect()
}

/// Single active consumer on streams is 3.11's, so these tests run on the
/// first profile that has it.
fn setup_sac() -> (Broker, ChannelId) {
    let mut b = Broker::with_version(1, Version::V3_13);
    let ch = b.connect("guest", "guest", "/").unwrap();
    (b, ch)
}

// RabbitMQ 3.10.8's `rabbit_stream_reader` has no single active consumer
// (`rabbit_stream_sac_coordinator` arrived in 3.11): the property is
// ignored, a member needs no name, and every consumer of the group reads.
#[test]
fn single_active_consumer_on_a_stream_is_ignored_by_3_10() {
    let (mut b, ch) = setup();
    b.declare_super_stream(ch, "orders", 2, FieldTable::new()).unwrap();
    publish_n(&mut b, ch, "orders-0", 0, 2);
    b.qos(ch, 10, false).unwrap();
    let ev = consume_with(&mut b, ch, "orders-0", "one", sac("app", Some("orders")));
    assert_eq!(offsets(&ev, "one"), [0, 1]);
    let ev = consume_with(&mut b, ch, "orders-0", "two", sac("app", Some("orders")));
    assert_eq!(offsets(&ev, "two"), [0, 1], "no group: the second consumer reads too");
    let mut nameless = sac("x", None);
    nameless.remove("name");
    consume_with(&mut b, ch, "orders-0", "three", nameless);
    assert!(active(&b, "orders-0").iter().all(|(_, a)| *a));
}

// rabbit_stream_sac_coordinator (3.11): outside a super stream the first
// consumer of a group is active, and the next takes over when it goes.
#[test]
fn single_active_consumer_on_a_stream_reads_with_one_member_at_a_time() {
    let (mut b, ch) = setup_sac();
    stream(&mut b, ch, "s", &[]);
    publish_n(&mut b, ch, "s", 0, 2);
    b.qos(ch, 10, false).unwrap();
    let ev = consume_with(&mut b, ch, "s", "one", sac("app", None));
    assert_eq!(offsets(&ev, "one"), [0, 1]);
    let ev = consume_with(&mut b, ch, "s", "two", sac("app", None));
    assert!(deliveries(&ev).is_empty(), "a waiting member reads nothing");
    let ev = consume_with(&mut b, ch, "s", "other-app", sac("other", None));
    assert_eq!(offsets(&ev, "other-app"), [0, 1], "another name is another group");
    assert_eq!(active(&b, "s"), [("one".into(), true), ("two".into(), false), ("other-app".into(), true)]);
    let ev = b.cancel(ch, "one").unwrap();
    assert!(
        ev.iter().any(|e| matches!(e, Event::SingleActiveConsumerChanged { consumer_tag: Some(t), .. } if t == "two"))
    );
    assert_eq!(offsets(&ev, "two"), [0, 1]);
    // A member without a name is refused.
    let out = consume_at(&mut b, ch, "s", "nameless", None);
    assert!(out.is_ok());
    let mut a = sac("x", None);
    a.remove("name");
    let out = b.apply(Command::BasicConsume {
        channel: ch,
        queue: "s".into(),
        consumer_tag: "bad".into(),
        no_ack: false,
        exclusive: false,
        arguments: a,
    });
    assert_eq!(refusal(out).0, 406);
}

// rabbit_stream_sac_coordinator (3.11) on a super stream partition: the
// active member is the partition index modulo the group's size, so two
// application instances share three partitions.
#[test]
fn single_active_consumer_spreads_a_group_over_super_stream_partitions() {
    let (mut b, ch) = setup_sac();
    b.declare_super_stream(ch, "orders", 3, FieldTable::new()).unwrap();
    b.qos(ch, 10, false).unwrap();
    for instance in ["i1", "i2"] {
        for p in 0..3 {
            consume_with(&mut b, ch, &format!("orders-{p}"), &format!("{instance}-{p}"), sac("app", Some("orders")));
        }
    }
    let actives: Vec<String> =
        (0..3).map(|p| active(&b, &format!("orders-{p}")).into_iter().find(|a| a.1).unwrap().0).collect();
    assert_eq!(actives, ["i1-0", "i2-1", "i1-2"]);
    // Instance 1 leaves partition 0: instance 2 takes it over.
    b.cancel(ch, "i1-0").unwrap();
    assert_eq!(active(&b, "orders-0"), [("i2-0".into(), true)]);
    // Naming a super stream the queue is not part of is refused.
    stream(&mut b, ch, "loose", &[]);
    let out = b.apply(Command::BasicConsume {
        channel: ch,
        queue: "loose".into(),
        consumer_tag: "c".into(),
        no_ack: false,
        exclusive: false,
        arguments: sac("app", Some("orders")),
    });
    assert_eq!(refusal(out).0, 406);
}

#[test]
fn declaring_a_stream_again_with_another_retention_is_refused() {
    let (mut b, ch) = setup();
    stream(&mut b, ch, "s", &[("x-max-age", FieldValue::str("1D"))]);
    assert!(declare(&mut b, ch, "s", true, false, false, stream_args(&[("x-max-age", FieldValue::str("1D"))])).is_ok());
    let out = declare(&mut b, ch, "s", true, false, false, stream_args(&[("x-max-age", FieldValue::str("2D"))]));
    let (code, text) = refusal(out);
    assert_eq!(code, 406);
    assert!(text.starts_with("inequivalent arg 'x-max-age' for queue 's' in vhost '/'"), "{text}");
}

// rabbit_stream_queue:delete/4 (3.10.8) ignores if-unused and if-empty.
#[test]
fn deleting_a_stream_ignores_if_unused_and_if_empty() {
    let (mut b, ch) = setup();
    stream(&mut b, ch, "s", &[]);
    b.publish(ch, "", "s", "a").unwrap();
    b.qos(ch, 5, false).unwrap();
    consume_at(&mut b, ch, "s", "c", Some(FieldValue::str("first"))).into_result().unwrap();
    let ev = b
        .apply(Command::QueueDelete { channel: ch, queue: "s".into(), if_unused: true, if_empty: true })
        .into_result()
        .unwrap();
    assert!(ev.iter().any(|e| matches!(e, Event::ConsumerCancelled { by_broker: true, .. })));
    assert!(b.stream("/", "s").is_none());
    // The reader's delivery can still be acknowledged.
    b.ack(ch, 1, false).unwrap();
}
