//! Time is continuous: the same timeline of actions gives the same run
//! whether the gaps between actions pass in one tick each or are cut into
//! many random ticks. Events other than `Ticked` and every view must match.

use brokerlab_kafka::*;
use proptest::prelude::*;

#[derive(Debug, Clone)]
enum Action {
    Produce {
        producer: usize,
        key: u8,
    },
    Poll(usize),
    Commit(usize),
    CrashBroker(u32),
    RestartBroker(u32),
    Pause(u32),
    Resume(u32),
    CrashConsumer(usize),
    CloseConsumer(usize),
    Subscribe(usize),
    AddPartitions(u32),
    Transaction {
        commit: bool,
    },
    CrashController(u32),
    RestartController(u32),
    /// A send to `late`, a topic that does not exist until `CreateLate`:
    /// auto-creation is off, so it blocks for its metadata.
    ProduceLate(usize),
    CreateLate,
}

fn action() -> impl Strategy<Value = Action> {
    prop_oneof![
        6 => (0..4usize, 0..8u8).prop_map(|(producer, key)| Action::Produce { producer, key }),
        3 => (0..6usize).prop_map(Action::Poll),
        2 => (0..6usize).prop_map(Action::Commit),
        1 => (0..3u32).prop_map(Action::CrashBroker),
        1 => (0..3u32).prop_map(Action::RestartBroker),
        1 => (0..3u32).prop_map(Action::Pause),
        1 => (0..3u32).prop_map(Action::Resume),
        1 => (0..6usize).prop_map(Action::CrashConsumer),
        1 => (0..6usize).prop_map(Action::CloseConsumer),
        1 => (0..6usize).prop_map(Action::Subscribe),
        1 => (3..6u32).prop_map(Action::AddPartitions),
        1 => any::<bool>().prop_map(|commit| Action::Transaction { commit }),
        1 => (100..103u32).prop_map(Action::CrashController),
        1 => (100..103u32).prop_map(Action::RestartController),
        1 => (0..4usize).prop_map(Action::ProduceLate),
        1 => Just(Action::CreateLate),
    ]
}

/// A gap before the action, in milliseconds, with the points (as fractions
/// of the gap, in thousandths) where the split run cuts it.
fn gap() -> impl Strategy<Value = (u64, Vec<u64>)> {
    // 1..10 ms gaps fall inside Kafka 4's default `linger.ms` (5 ms) of
    // `all` and `tx`, and 10..150 ms ones inside a retry backoff.
    (
        prop_oneof![Just(0u64), 1..10u64, 10..150u64, 150..3_000u64, 3_000..70_000u64],
        prop::collection::vec(0..1_000u64, 0..6),
    )
}

const PRODUCERS: [&str; 4] = ["all", "one", "tx", "batch"];
/// `a` to `d` speak the classic protocol; `e` the consumer protocol in the
/// classic members' `audit` group (so the group migrates both ways), with a
/// rebalance listener, `f` the consumer protocol in a group of its own.
const CONSUMERS: [&str; 6] = ["a", "b", "c", "d", "e", "f"];

fn build(seed: u64) -> Cluster {
    // Short group timers so that the gaps cross them: the initial
    // rebalance delay, consumer-protocol sessions, offsets retention.
    let config = ClusterConfig {
        brokers: 3,
        group_initial_rebalance_delay_ms: 1_500,
        group_consumer_session_timeout_ms: 12_000,
        offsets_retention_minutes: 1,
        offsets_retention_check_interval_ms: 20_000,
        // Sends to a missing topic wait for it (`max.block.ms`) and ask
        // for its metadata on the backoff schedule.
        auto_create_topics_enable: false,
        ..ClusterConfig::default()
    };
    let mut c = Cluster::new(config, seed).expect("cluster");
    c.create_topic("orders", TopicConfig { min_insync_replicas: Some(2), ..TopicConfig::new(3, 3) }).expect("topic");
    c.create_topic(
        "compacted",
        TopicConfig {
            cleanup_policy: CleanupPolicy::DeleteCompact,
            segment_bytes: 200,
            retention_ms: 20_000,
            min_compaction_lag_ms: 1_500,
            delete_retention_ms: 4_000,
            ..TopicConfig::new(2, 2)
        },
    )
    .expect("compacted topic");
    // Kafka 4's defaults (linger.ms 5, retries with the exponential backoff)
    // on a min-ISR-2 topic that crashes and pauses push below the minimum.
    c.create_producer("all", ProducerConfig { delivery_timeout_ms: 9_000, ..ProducerConfig::default() })
        .expect("producer");
    c.create_producer(
        "one",
        ProducerConfig { acks: Acks::One, enable_idempotence: false, ..ProducerConfig::default() },
    )
    .expect("producer");
    c.create_producer(
        "tx",
        ProducerConfig {
            transactional_id: Some("tx-1".into()),
            delivery_timeout_ms: 5_000,
            // Long gaps let the coordinator abort a stalled transaction.
            transaction_timeout_ms: 25_000,
            ..ProducerConfig::default()
        },
    )
    .expect("producer");
    c.init_transactions("tx").expect("init");
    // Batching, a small in-flight cap, short request timeouts and a fast
    // backoff: every timed step of the produce path falls inside the gaps.
    c.create_producer(
        "batch",
        ProducerConfig {
            enable_idempotence: false,
            linger_ms: 20,
            batch_size: 120,
            max_in_flight_requests_per_connection: 2,
            request_timeout_ms: 2_500,
            retry_backoff_ms: 70,
            retry_backoff_max_ms: 900,
            delivery_timeout_ms: 20_000,
            max_block_ms: 8_000,
            ..ProducerConfig::default()
        },
    )
    .expect("producer");
    for (i, name) in CONSUMERS.iter().enumerate().take(4) {
        let config = ConsumerConfig {
            assignor: if i < 2 { Assignor::Range } else { Assignor::CooperativeSticky },
            auto_offset_reset: OffsetReset::Earliest,
            enable_auto_commit: i % 2 == 0,
            auto_commit_interval_ms: 700,
            session_timeout_ms: 6_000 + 1_000 * i as u64,
            heartbeat_interval_ms: 1_000,
            max_poll_interval_ms: 4_000 + 3_000 * i as u64,
            group_instance_id: (i == 3).then(|| "static-d".to_string()),
            isolation_level: if i == 2 { IsolationLevel::ReadCommitted } else { IsolationLevel::ReadUncommitted },
            // Leaders refresh their metadata within the gaps.
            metadata_max_age_ms: 15_000 + 5_000 * i as u64,
            ..ConsumerConfig::new(if i < 2 { "billing" } else { "audit" })
        };
        c.create_consumer(name, config).expect("consumer");
    }
    for (name, group) in [("e", "audit"), ("f", "fresh")] {
        let config = ConsumerConfig {
            group_protocol: GroupProtocol::Consumer,
            auto_offset_reset: OffsetReset::Earliest,
            enable_auto_commit: name == "e",
            auto_commit_interval_ms: 900,
            max_poll_interval_ms: 9_000,
            group_instance_id: (name == "f").then(|| "static-f".to_string()),
            group_remote_assignor: (name == "f").then_some(ServerAssignor::Range),
            // `e` revokes only in its polls (a rebalance listener), so a
            // revocation can outlast its rebalance timeout and be fenced at
            // that deadline (KIP-848).
            rebalance_listener: name == "e",
            ..ConsumerConfig::new(group)
        };
        c.create_consumer(name, config).expect("consumer");
        // Subscribed from the start, so that any poll joins.
        c.subscribe(name, &["orders".to_string()]).expect("subscribe");
    }
    c.set_event_recording(true);
    c
}

fn act(c: &mut Cluster, a: &Action, n: u64) -> Outcome {
    let command = match a {
        Action::Produce { producer, key } => {
            let topic = if key % 2 == 0 { "orders" } else { "compacted" };
            let value = (key % 3 != 0).then(|| format!("v{n}").into_bytes());
            let record =
                ProducerRecord { topic: topic.into(), key: Some(vec![b'k', *key]), value, ..ProducerRecord::default() };
            if PRODUCERS[*producer] == "tx" {
                let _ = c.apply(Command::BeginTransaction { producer: "tx".into() });
            }
            Command::Produce { producer: PRODUCERS[*producer].into(), record }
        }
        Action::Poll(i) => Command::Poll { consumer: CONSUMERS[*i].into(), max_records: Some(5) },
        Action::Commit(i) => Command::Commit { consumer: CONSUMERS[*i].into(), offsets: None },
        Action::CrashBroker(b) => Command::CrashBroker { broker: *b },
        Action::RestartBroker(b) => Command::RestartBroker { broker: *b },
        Action::Pause(b) => Command::PauseReplication { broker: *b },
        Action::Resume(b) => Command::ResumeReplication { broker: *b },
        Action::CrashConsumer(i) => Command::CrashConsumer { consumer: CONSUMERS[*i].into() },
        Action::CloseConsumer(i) => Command::CloseConsumer { consumer: CONSUMERS[*i].into() },
        Action::Subscribe(i) => {
            let topics =
                if *i < 2 || *i == 5 { vec!["orders".to_string()] } else { vec!["orders".into(), "compacted".into()] };
            Command::Subscribe { consumer: CONSUMERS[*i].into(), topics }
        }
        Action::AddPartitions(total) => Command::AddPartitions { topic: "orders".into(), total: *total },
        Action::Transaction { commit: true } => Command::CommitTransaction { producer: "tx".into() },
        Action::Transaction { commit: false } => Command::AbortTransaction { producer: "tx".into() },
        Action::CrashController(id) => Command::CrashController { controller: *id },
        Action::RestartController(id) => Command::RestartController { controller: *id },
        Action::ProduceLate(producer) => {
            if PRODUCERS[*producer] == "tx" {
                let _ = c.apply(Command::BeginTransaction { producer: "tx".into() });
            }
            let record = ProducerRecord::keyed("late", format!("k{n}"), "v");
            Command::Produce { producer: PRODUCERS[*producer].into(), record }
        }
        Action::CreateLate => Command::CreateTopic { name: "late".into(), config: TopicConfig::new(2, 2) },
    };
    c.apply(command)
}

/// Everything a view can show, as one comparable text.
fn snapshot(c: &Cluster) -> String {
    let mut out = format!("now {}\n{:?}\n{:?}\n{:?}\n", c.now(), c.brokers(), c.controller(), c.metadata_log_view());
    for t in c.topic_names() {
        out += &format!("{:?}\n", c.topic(&t));
        for p in 0..c.topic(&t).map(|v| v.partitions.len() as u32).unwrap_or(0) {
            out += &format!("{:?}\n", c.records(&t, p));
        }
    }
    for g in c.group_ids() {
        out += &format!("{:?}\n", c.group(&g));
    }
    for n in c.consumer_names() {
        out += &format!("{:?}\n", c.consumer(&n));
    }
    for n in c.producer_names() {
        out += &format!("{:?}\n", c.producer(&n));
    }
    out
}

fn without_ticks(events: Vec<Event>) -> impl Iterator<Item = Event> {
    events.into_iter().filter(|e| !matches!(e, Event::Ticked { .. }))
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(128),
        ..ProptestConfig::default()
    })]

    #[test]
    fn cutting_the_gaps_into_other_ticks_gives_the_same_run(
        seed in any::<u64>(),
        timeline in prop::collection::vec((gap(), action()), 1..40),
    ) {
        let (mut whole, mut cut) = (build(seed), build(seed));
        let (mut whole_events, mut cut_events) = (Vec::new(), Vec::new());
        for (n, ((gap, cuts), a)) in timeline.iter().enumerate() {
            whole_events.extend(without_ticks(whole.tick(*gap).expect("tick")));
            let mut points: Vec<u64> = cuts.iter().map(|f| gap * f / 1_000).collect();
            points.sort_unstable();
            let mut at = 0;
            for p in points.into_iter().chain([*gap]) {
                cut_events.extend(without_ticks(cut.tick(p - at).expect("tick")));
                at = p;
            }
            prop_assert_eq!(whole.now(), cut.now());
            let (x, y) = (act(&mut whole, a, n as u64), act(&mut cut, a, n as u64));
            prop_assert_eq!(&x, &y, "seed {} step {} {:?}", seed, n, a);
            whole_events.extend(x.events);
            cut_events.extend(y.events);
        }
        prop_assert_eq!(whole_events, cut_events, "seed {}", seed);
        prop_assert_eq!(snapshot(&whole), snapshot(&cut), "seed {}", seed);
    }
}

/// One timeline run whole and cut at every millisecond boundary of the
/// linger and the first retries: the default producer's batch goes at
/// `linger.ms` (5 ms) after the send and its retries under
/// `min.insync.replicas` at 100 ms, 200 ms, 400 ms … after each refusal,
/// whatever the ticks.
#[test]
fn the_default_linger_and_retry_backoff_land_at_their_own_instants_however_time_is_cut() {
    let run = |cuts: &[u64]| {
        let mut c = build(3);
        let mut events = Vec::new();
        c.apply(Command::CrashBroker { broker: 1 }).into_result().expect("crash");
        c.apply(Command::CrashBroker { broker: 2 }).into_result().expect("crash");
        // Both fenced: broker 0 leads every `orders` partition alone, below
        // min.insync.replicas.
        events.extend(without_ticks(c.tick(40_000).expect("tick")));
        let record = ProducerRecord { topic: "orders".into(), key: Some(b"k0".to_vec()), ..ProducerRecord::default() };
        events.extend(c.apply(Command::Produce { producer: "all".into(), record }).events);
        // Broker 1 registers at once and rejoins the ISR on the next 100 ms
        // step, after the first attempt (at 5 ms) was refused.
        events.extend(c.apply(Command::RestartBroker { broker: 1 }).events);
        let mut at = 0;
        for &p in cuts.iter().chain([&3_000]) {
            events.extend(without_ticks(c.tick(p - at).expect("tick")));
            at = p;
        }
        (events, snapshot(&c), c)
    };
    let (whole, whole_view, c) = run(&[]);
    let cuts: Vec<u64> = (1..12).chain([99, 100, 101, 104, 105, 106, 205, 206, 405, 406, 999]).collect();
    let (cut, cut_view, _) = run(&cuts);
    assert_eq!(whole, cut);
    assert_eq!(whole_view, cut_view);
    let refusals = whole
        .iter()
        .filter(|e| matches!(e, Event::ProduceFailed { error: ProduceError::NotEnoughReplicas, will_retry: true, .. }))
        .count();
    assert!(refusals >= 1, "the send lingers, is refused and retried: {whole:?}");
    let retried =
        whole.iter().any(|e| matches!(e, Event::RecordAppended { producer, retry: true, .. } if producer == "all"));
    assert!(retried, "{whole:?}");
    assert!(whole.iter().any(|e| matches!(e, Event::RecordAcknowledged { producer, .. } if producer == "all")));
    assert!(c.producer("all").expect("all").in_flight.is_empty());
}

/// KIP-848's revocation deadline (Kafka 4.0
/// `GroupMetadataManager.scheduleConsumerGroupRebalanceTimeout`) lands at
/// its own instant however time is cut: `e` (a rebalance listener,
/// `max.poll.interval.ms` 9 s) owns every `orders` partition and polls at
/// 6 s, when `c` joins its group; `e`'s heartbeat at 10 s asks it to give partitions up,
/// which waits for its next poll, and `e` crashes at 11 s. It is fenced at
/// 19 s, 9 s after that heartbeat, before its 12 s session would end.
#[test]
fn the_revocation_deadline_lands_at_its_own_instant_however_time_is_cut() {
    let run = |cuts: &[u64]| {
        let mut c = build(5);
        let mut events = Vec::new();
        let poll = |name: &str| Command::Poll { consumer: name.into(), max_records: Some(5) };
        events.extend(c.apply(poll("e")).events);
        events.extend(without_ticks(c.tick(6_000).expect("tick")));
        events.extend(c.apply(poll("e")).events);
        events.extend(c.apply(Command::Subscribe { consumer: "c".into(), topics: vec!["orders".into()] }).events);
        events.extend(c.apply(poll("c")).events);
        events.extend(without_ticks(c.tick(5_000).expect("tick")));
        events.extend(c.apply(Command::CrashConsumer { consumer: "e".into() }).events);
        let mut at = 0;
        for &p in cuts.iter().chain([&12_000]) {
            events.extend(without_ticks(c.tick(p - at).expect("tick")));
            at = p;
        }
        (events, snapshot(&c))
    };
    let (whole, whole_view) = run(&[]);
    let (cut, cut_view) = run(&[1, 999, 5_000, 7_999, 8_000, 8_001, 10_999, 11_000, 11_001]);
    assert_eq!(whole, cut);
    assert_eq!(whole_view, cut_view);
    assert!(
        whole.iter().any(|e| matches!(
            e,
            Event::MemberRevocationTimedOut { member, rebalance_timeout_ms: 9_000, .. } if member == "e"
        )),
        "{whole:?}"
    );
    assert!(!whole.iter().any(|e| matches!(
        e,
        Event::MemberLeft { member, reason: RebalanceReason::SessionTimeout(_), .. } if member == "e"
    )));
}
