//! Time is continuous: within one tick everything that falls due happens in
//! time order, so one long tick and the same span cut into shorter ticks
//! give the same events (apart from the `Ticked` markers) and the same
//! final state. A property test checks that over random topologies with
//! message TTLs, queue expiry and dead-letter exchanges; the known case of a
//! queue expiring before its message's TTL is pinned on its own.

use brokerlab_rabbit::*;
use proptest::prelude::*;

fn int(v: i64) -> FieldValue {
    FieldValue::LongLongInt(v)
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

/// A queue that expires at 100 holding a message whose TTL ends at 150.
fn expiring_queue_with_a_longer_message_ttl() -> (Broker, ChannelId) {
    let mut b = Broker::new(3);
    let ch = b.connect("guest", "guest", "/").unwrap();
    b.declare_exchange(ch, "dlx", ExchangeKind::Fanout).unwrap();
    declare(&mut b, ch, "dlq", FieldTable::new());
    b.bind_queue(ch, "dlq", "dlx", "").unwrap();
    let args: FieldTable = [
        ("x-expires".to_string(), int(100)),
        ("x-message-ttl".to_string(), int(150)),
        ("x-dead-letter-exchange".to_string(), FieldValue::str("dlx")),
    ]
    .into_iter()
    .collect();
    declare(&mut b, ch, "q", args);
    b.publish(ch, "", "q", "m").unwrap();
    (b, ch)
}

#[test]
fn a_queue_expiring_before_its_messages_ttl_deletes_them_without_dead_lettering_in_one_tick_or_two() {
    for ticks in [vec![200], vec![100, 100], vec![99, 1, 100], vec![150, 50]] {
        let (mut b, _) = expiring_queue_with_a_longer_message_ttl();
        let mut events = Vec::new();
        for t in &ticks {
            events.extend(b.tick(*t));
        }
        assert!(b.queue("/", "q").is_none(), "{ticks:?}: the queue should have expired");
        assert_eq!(b.queue("/", "dlq").unwrap().ready, 0, "{ticks:?}: nothing is dead-lettered");
        assert!(
            events.iter().any(|e| matches!(e, Event::Dropped { reason: DropReason::QueueDeleted, .. })),
            "{ticks:?}: {events:?}"
        );
        assert!(!events.iter().any(|e| matches!(e, Event::DeadLettered { .. })), "{ticks:?}: {events:?}");
        assert_eq!(b.now(), 200);
    }
}

#[test]
fn a_queue_lease_starts_when_its_last_consumer_leaves() {
    let mut b = Broker::new(3);
    let ch = b.connect("guest", "guest", "/").unwrap();
    declare(&mut b, ch, "q", [("x-expires".to_string(), int(100))].into_iter().collect());
    b.consume(ch, "q", "c", false).unwrap();
    b.tick(500);
    b.cancel(ch, "c").unwrap();
    b.tick(99);
    assert!(b.queue("/", "q").is_some(), "unused for 99 ms only");
    b.tick(1);
    assert!(b.queue("/", "q").is_none());
}

/// One random queue: its TTL, expiry, length limit and dead-letter target.
#[derive(Clone, Debug)]
struct QueueSpec {
    ttl: Option<u16>,
    expires: Option<u16>,
    max_length: Option<u8>,
    dead_letter_to: Option<u8>,
    bound_to: u8,
}

#[derive(Clone, Debug)]
enum Act {
    Publish { exchange: u8, expiration: Option<u16>, persistent: bool },
    Get { queue: u8 },
    Redeclare { queue: u8 },
}

const N: usize = 4;

fn queue_spec() -> impl Strategy<Value = QueueSpec> {
    (
        proptest::option::of(0u16..300),
        proptest::option::of(1u16..400),
        proptest::option::of(1u8..4),
        proptest::option::of(0u8..N as u8),
        0u8..N as u8,
    )
        .prop_map(|(ttl, expires, max_length, dead_letter_to, bound_to)| QueueSpec {
            ttl,
            expires,
            max_length,
            dead_letter_to,
            bound_to,
        })
}

fn act() -> impl Strategy<Value = Act> {
    prop_oneof![
        6 => (0u8..N as u8, proptest::option::of(0u16..300), any::<bool>())
            .prop_map(|(exchange, expiration, persistent)| Act::Publish { exchange, expiration, persistent }),
        2 => (0u8..N as u8).prop_map(|queue| Act::Get { queue }),
        1 => (0u8..N as u8).prop_map(|queue| Act::Redeclare { queue }),
    ]
}

fn queue_args(i: usize, spec: &QueueSpec) -> FieldTable {
    let mut t = FieldTable::new();
    if let Some(v) = spec.ttl {
        t.insert("x-message-ttl".into(), int(i64::from(v)));
    }
    if let Some(v) = spec.expires {
        t.insert("x-expires".into(), int(i64::from(v)));
    }
    if let Some(v) = spec.max_length {
        t.insert("x-max-length".into(), int(i64::from(v)));
    }
    if let Some(d) = spec.dead_letter_to {
        t.insert("x-dead-letter-exchange".into(), FieldValue::str(format!("x{d}")));
        t.insert("x-dead-letter-routing-key".into(), FieldValue::str(format!("from-q{i}")));
    }
    t
}

/// Builds the topology: exchanges x0..x3 (fanout), queues q0..q3 each bound
/// to one exchange, with the random arguments.
fn build(seed: u64, specs: &[QueueSpec]) -> (Broker, ChannelId) {
    let mut b = Broker::new(seed);
    let ch = b.connect("guest", "guest", "/").unwrap();
    for x in 0..N {
        b.declare_exchange(ch, &format!("x{x}"), ExchangeKind::Fanout).unwrap();
    }
    for (i, spec) in specs.iter().enumerate() {
        declare(&mut b, ch, &format!("q{i}"), queue_args(i, spec));
        b.bind_queue(ch, &format!("q{i}"), &format!("x{}", spec.bound_to), "").unwrap();
    }
    (b, ch)
}

/// Plays the timeline, advancing each wait through `cut` ticks, and returns
/// every event except the `Ticked` markers.
fn play(
    seed: u64,
    specs: &[QueueSpec],
    timeline: &[(u16, Act)],
    cut: impl Fn(usize, u64) -> Vec<u64>,
) -> (Broker, Vec<Event>) {
    let (mut b, mut ch) = build(seed, specs);
    let mut events = Vec::new();
    for (i, (wait, act)) in timeline.iter().enumerate() {
        for piece in cut(i, u64::from(*wait)) {
            events.extend(b.tick(piece));
        }
        let command = match act {
            Act::Publish { exchange, expiration, persistent } => {
                let mut properties =
                    if *persistent { BasicProperties::persistent() } else { BasicProperties::default() };
                properties.expiration = expiration.map(|e| e.to_string());
                Command::BasicPublish {
                    channel: ch,
                    exchange: format!("x{exchange}"),
                    routing_key: String::new(),
                    mandatory: false,
                    properties,
                    body: format!("m{i}"),
                }
            }
            Act::Get { queue } => Command::BasicGet { channel: ch, queue: format!("q{queue}"), no_ack: true },
            Act::Redeclare { queue } => Command::QueueDeclare {
                channel: ch,
                queue: format!("q{queue}"),
                passive: false,
                durable: true,
                exclusive: false,
                auto_delete: false,
                arguments: queue_args(*queue as usize, &specs[*queue as usize]),
            },
        };
        // A get or publish on an expired queue is refused and closes the
        // channel; both runs see the same refusals, and the channel is
        // reopened the same way.
        let out = b.apply(command);
        events.extend(out.events);
        if out.error.is_some() && !b.channels().iter().any(|c| c.channel == ch) {
            ch = b.open_channel(ch.connection).unwrap();
        }
    }
    // Let everything run out.
    for piece in cut(timeline.len(), 2_000) {
        events.extend(b.tick(piece));
    }
    events.retain(|e| !matches!(e, Event::Ticked { .. }));
    (b, events)
}

fn split(wait: u64, cuts: &[u16]) -> Vec<u64> {
    let mut points: Vec<u64> = cuts.iter().map(|c| u64::from(*c) % (wait + 1)).collect();
    points.sort_unstable();
    let mut pieces = Vec::new();
    let mut at = 0;
    for p in points {
        pieces.push(p - at);
        at = p;
    }
    pieces.push(wait - at);
    pieces
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn one_tick_and_the_same_span_cut_into_random_ticks_do_the_same_things(
        seed in any::<u64>(),
        specs in proptest::collection::vec(queue_spec(), N),
        timeline in proptest::collection::vec((0u16..250, act()), 1..30),
        cuts in proptest::collection::vec(proptest::collection::vec(any::<u16>(), 0..4), 31),
    ) {
        let (whole, whole_events) = play(seed, &specs, &timeline, |_, wait| vec![wait]);
        let (cut, cut_events) = play(seed, &specs, &timeline, |i, wait| split(wait, &cuts[i.min(cuts.len() - 1)]));
        prop_assert_eq!(whole.now(), cut.now());
        prop_assert_eq!(&whole_events, &cut_events);
        prop_assert_eq!(whole.queues("/"), cut.queues("/"));
        prop_assert_eq!(whole.exchanges("/"), cut.exchanges("/"));
        prop_assert_eq!(whole.ledger(), cut.ledger());
    }
}
