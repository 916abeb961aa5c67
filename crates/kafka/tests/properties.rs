//! Random command sequences with random broker and consumer crashes, checking
//! the engine's invariants after every step, plus the determinism check: one
//! seed always gives the same event trace. Every failure message carries the seed.

use brokerlab_kafka::*;
use proptest::prelude::*;
use std::collections::{BTreeMap, BTreeSet};
use std::hash::{DefaultHasher, Hash, Hasher};

#[derive(Debug, Clone)]
enum Op {
    Produce { producer: usize, key: u8, explicit: Option<u32> },
    Tick(u64),
    Crash(u32),
    Restart(u32),
    Pause(u32),
    Resume(u32),
    Poll { consumer: usize, max: u32 },
    Commit(usize),
    CrashConsumer(usize),
    Revive(usize),
    TxnBegin,
    TxnSend(u8),
    TxnEnd { commit: bool },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => (0..3usize, 0..6u8, prop::option::weighted(0.2, 0..3u32)).prop_map(|(producer, key, explicit)| Op::Produce { producer, key, explicit }),
        4 => prop_oneof![Just(50u64), Just(100), Just(500), Just(5_000), Just(31_000), Just(50_000)].prop_map(Op::Tick),
        1 => (0..3u32).prop_map(Op::Crash),
        1 => (0..3u32).prop_map(Op::Restart),
        1 => (0..3u32).prop_map(Op::Pause),
        1 => (0..3u32).prop_map(Op::Resume),
        3 => (0..5usize, 1..20u32).prop_map(|(consumer, max)| Op::Poll { consumer, max }),
        2 => (0..5usize).prop_map(Op::Commit),
        1 => (0..5usize).prop_map(Op::CrashConsumer),
        1 => (0..5usize).prop_map(Op::Revive),
        1 => Just(Op::TxnBegin),
        2 => (0..6u8).prop_map(Op::TxnSend),
        1 => any::<bool>().prop_map(|commit| Op::TxnEnd { commit }),
    ]
}

const PRODUCERS: [&str; 3] = ["idempotent", "plain", "leader-only"];
const CONSUMERS: [(&str, &str, Assignor); 5] = [
    ("a1", "ga", Assignor::Range),
    ("a2", "ga", Assignor::Range),
    ("b1", "gb", Assignor::CooperativeSticky),
    ("b2", "gb", Assignor::CooperativeSticky),
    ("rc", "gc", Assignor::Sticky),
];

/// Every consumer's configuration; group `gc` reads committed data only.
fn consumer_config(group: &str, assignor: Assignor) -> ConsumerConfig {
    ConsumerConfig {
        assignor,
        auto_offset_reset: OffsetReset::Earliest,
        enable_auto_commit: group == "gb",
        isolation_level: if group == "gc" { IsolationLevel::ReadCommitted } else { IsolationLevel::ReadUncommitted },
        ..ConsumerConfig::new(group)
    }
}

struct World {
    cluster: Cluster,
    seed: u64,
    counter: u64,
    /// Records acknowledged to acks=all producers: (partition, offset) -> value.
    acknowledged: BTreeMap<(u32, i64), Vec<u8>>,
    incarnation: [u32; 5],
    /// Values sent in the open transaction, and those of committed ones.
    txn_values: Vec<Vec<u8>>,
    committed_values: BTreeSet<Vec<u8>>,
    /// read_committed deliveries of records not (yet) committed.
    dirty_reads: Vec<String>,
    /// acks=all acknowledgements given while fewer than min.insync.replicas held the record.
    under_min_isr_acks: u32,
}

fn setup(seed: u64) -> World {
    let mut cluster = Cluster::new(ClusterConfig { brokers: 3, ..ClusterConfig::default() }, seed).expect("cluster");
    let topic = TopicConfig {
        min_insync_replicas: Some(2),
        unclean_leader_election_enable: Some(false),
        ..TopicConfig::new(3, 3)
    };
    cluster.create_topic("t", topic).expect("topic");
    cluster.create_producer(PRODUCERS[0], ProducerConfig::default()).expect("producer");
    cluster
        .create_producer(PRODUCERS[1], ProducerConfig { enable_idempotence: false, ..ProducerConfig::default() })
        .expect("producer");
    cluster
        .create_producer(
            PRODUCERS[2],
            ProducerConfig { acks: Acks::One, enable_idempotence: false, ..ProducerConfig::default() },
        )
        .expect("producer");
    let tx = ProducerConfig { transactional_id: Some("tx-id".into()), ..ProducerConfig::default() };
    cluster.create_producer("tx", tx).expect("producer");
    cluster.init_transactions("tx").expect("init");
    for (name, group, assignor) in CONSUMERS {
        cluster.create_consumer(name, consumer_config(group, assignor)).expect("consumer");
        cluster.subscribe(name, &["t".to_string()]).expect("subscribe");
    }
    World {
        cluster,
        seed,
        counter: 0,
        acknowledged: BTreeMap::new(),
        incarnation: [0; 5],
        under_min_isr_acks: 0,
        txn_values: Vec::new(),
        committed_values: BTreeSet::new(),
        dirty_reads: Vec::new(),
    }
}

fn consumer_name(w: &World, i: usize) -> String {
    if w.incarnation[i] == 0 { CONSUMERS[i].0.to_string() } else { format!("{}-{}", CONSUMERS[i].0, w.incarnation[i]) }
}

/// Applies one operation; refused commands are fine, panics are not.
fn step(w: &mut World, op: &Op) -> Vec<Event> {
    let c = &mut w.cluster;
    let result = match op {
        Op::Produce { producer, key, explicit } => {
            w.counter += 1;
            // The value carries a global sequence number so order checks can
            // tell which send came first.
            let value = format!("{}:{}:{:08}", PRODUCERS[*producer], key, w.counter).into_bytes();
            let rec = ProducerRecord {
                topic: "t".into(),
                partition: *explicit,
                key: Some(vec![b'k', *key]),
                value: Some(value),
                ..Default::default()
            };
            c.produce(PRODUCERS[*producer], rec).map(|r| r.1)
        }
        Op::Tick(ms) => c.tick(*ms),
        Op::Crash(b) => c.crash_broker(*b),
        Op::Restart(b) => c.restart_broker(*b),
        Op::Pause(b) => c.set_replication_paused(*b, true),
        Op::Resume(b) => c.set_replication_paused(*b, false),
        Op::Poll { consumer, max } => {
            let name = consumer_name(w, *consumer);
            w.cluster.poll(&name, Some(*max)).map(|(records, events)| {
                if CONSUMERS[*consumer].1 == "gc" {
                    for r in records {
                        let v = r.value.unwrap_or_default();
                        if v.starts_with(b"tx:") && !w.committed_values.contains(&v) {
                            w.dirty_reads.push(String::from_utf8_lossy(&v).into_owned());
                        }
                    }
                }
                events
            })
        }
        Op::TxnBegin => w.cluster.begin_transaction("tx"),
        Op::TxnSend(key) => {
            w.counter += 1;
            let value = format!("tx:{}:{:08}", key, w.counter).into_bytes();
            let rec = ProducerRecord {
                topic: "t".into(),
                key: Some(vec![b'k', *key]),
                value: Some(value.clone()),
                ..Default::default()
            };
            w.cluster.produce("tx", rec).map(|(_, events)| {
                w.txn_values.push(value);
                events
            })
        }
        Op::TxnEnd { commit } => {
            let result = if *commit { w.cluster.commit_transaction("tx") } else { w.cluster.abort_transaction("tx") };
            if result.is_ok() {
                let values = std::mem::take(&mut w.txn_values);
                if *commit {
                    w.committed_values.extend(values);
                }
            }
            result
        }
        Op::Commit(i) => {
            let name = consumer_name(w, *i);
            w.cluster.commit(&name, None)
        }
        Op::CrashConsumer(i) => {
            let name = consumer_name(w, *i);
            w.cluster.crash_consumer(&name)
        }
        Op::Revive(i) => {
            let name = consumer_name(w, *i);
            let alive = w.cluster.consumer(&name).is_ok_and(|v| v.status == ClientStatus::Active);
            if alive {
                Ok(Vec::new())
            } else {
                w.incarnation[*i] += 1;
                let name = consumer_name(w, *i);
                let (_, group, assignor) = CONSUMERS[*i];
                w.cluster
                    .create_consumer(&name, consumer_config(group, assignor))
                    .and_then(|_| w.cluster.subscribe(&name, &["t".to_string()]))
            }
        }
    };
    let events = result.unwrap_or_default();
    for e in &events {
        if let Event::RecordAcknowledged { producer, partition, offset, .. } = e
            && producer != "leader-only"
            && let Ok(Some(r)) = w.cluster.record("t", *partition, *offset)
        {
            w.acknowledged.insert((*partition, *offset), r.data.value.clone().unwrap_or_default());
            // acks=all with min.insync.replicas=2: at least two replicas hold it.
            let holders = w
                .cluster
                .partition("t", *partition)
                .expect("partition")
                .replicas
                .iter()
                .filter(|x| x.log_end_offset > *offset)
                .count();
            w.under_min_isr_acks += u32::from(holders < 2);
        }
    }
    events
}

fn check(w: &World) -> Result<(), TestCaseError> {
    let seed = w.seed;
    let c = &w.cluster;
    let topic = c.topic("t").expect("topic");
    for p in &topic.partitions {
        let records = c.records("t", p.partition).expect("records");
        // Offsets are contiguous from the log start to the log end.
        let offsets: Vec<i64> = records.iter().map(|r| r.offset).collect();
        let expected: Vec<i64> = (p.log_start_offset..p.log_end_offset).collect();
        prop_assert_eq!(&offsets, &expected, "seed {}: partition {} offsets", seed, p.partition);
        // The high watermark never passes an ISR member's log end.
        for r in &p.replicas {
            if r.in_isr {
                prop_assert!(
                    p.high_watermark <= r.log_end_offset,
                    "seed {}: hw {} above ISR member {} leo {}",
                    seed,
                    p.high_watermark,
                    r.broker,
                    r.log_end_offset
                );
            }
        }
        // Only a leaderless partition may have an empty ISR (KIP-966, ELR on
        // by default since Kafka 4.1); its last members wait in the ELR, or,
        // once unclean shutdowns took them out of it, its last known leader
        // is recorded.
        prop_assert!(
            !p.isr.is_empty() || (p.leader.is_none() && (!p.elr.is_empty() || p.last_known_elr.len() == 1)),
            "seed {}: empty ISR",
            seed
        );
        // Per key and producer, the first copy of each send appears in send order.
        let mut last: BTreeMap<(String, String), u64> = BTreeMap::new();
        let mut seen: BTreeSet<Vec<u8>> = BTreeSet::new();
        for r in records.iter().filter(|r| !r.kind.is_control()) {
            let v = r.data.value.clone().unwrap_or_default();
            if !seen.insert(v.clone()) {
                continue;
            }
            let text = String::from_utf8(v).expect("utf8");
            let mut parts = text.split(':');
            let (producer, key, n) = (
                parts.next().expect("p").to_string(),
                parts.next().expect("k").to_string(),
                parts.next().expect("n").parse::<u64>().expect("n"),
            );
            if let Some(prev) = last.insert((producer.clone(), key.clone()), n) {
                prop_assert!(
                    prev < n,
                    "seed {}: partition {} key {} from {} out of order ({} after {})",
                    seed,
                    p.partition,
                    key,
                    producer,
                    n,
                    prev
                );
            }
        }
    }
    prop_assert!(w.dirty_reads.is_empty(), "seed {}: read_committed saw uncommitted records {:?}", seed, w.dirty_reads);
    prop_assert_eq!(
        w.under_min_isr_acks,
        0,
        "seed {}: an acks=all record was acknowledged below min.insync.replicas",
        seed
    );
    // No record acknowledged to an acks=all producer is ever lost.
    for ((partition, offset), value) in &w.acknowledged {
        let r = c.record("t", *partition, *offset).expect("record");
        prop_assert_eq!(
            r.map(|r| r.data.value.clone().unwrap_or_default()),
            Some(value.clone()),
            "seed {}: acknowledged record {}-{} lost",
            seed,
            partition,
            offset
        );
    }
    for g in ["ga", "gb", "gc"] {
        let Some(group) = c.group(g) else { continue };
        // Committed offsets never pass the high watermark.
        for (tp, o) in &group.committed {
            let hw = c.partition(&tp.topic, tp.partition).expect("partition").high_watermark;
            prop_assert!(*o <= hw, "seed {}: group {} committed {} above hw {} on {}", seed, g, o, hw, tp);
        }
        // At most one member of a group owns a partition.
        let mut owners: BTreeSet<TopicPartition> = BTreeSet::new();
        for m in &group.members {
            for tp in &m.assignment {
                prop_assert!(owners.insert(tp.clone()), "seed {}: {} owned twice in {}", seed, tp, g);
            }
        }
    }
    Ok(())
}

proptest! {
    // 96 cases keep the debug run short; PROPTEST_CASES asks for more.
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(96),
        ..ProptestConfig::default()
    })]

    #[test]
    fn invariants_hold_after_every_step_with_random_crashes(seed in any::<u64>(), ops in prop::collection::vec(op(), 1..80)) {
        let mut w = setup(seed);
        check(&w)?;
        for op in &ops {
            step(&mut w, op);
            check(&w)?;
        }
    }
}

fn trace_hash(seed: u64) -> (u64, usize) {
    use rand_chacha::ChaCha8Rng;
    use rand_core::{RngCore, SeedableRng};
    let mut w = setup(seed);
    let mut script = ChaCha8Rng::seed_from_u64(seed ^ 0x5eed);
    let mut hasher = DefaultHasher::new();
    let mut count = 0;
    for _ in 0..400 {
        let r = script.next_u32();
        let op = match r % 10 {
            0..=3 => Op::Produce { producer: (r as usize / 10) % 3, key: (r / 100 % 6) as u8, explicit: None },
            4 => Op::Tick(u64::from(r % 7_000)),
            5 => Op::Crash(r / 10 % 3),
            6 => Op::Restart(r / 10 % 3),
            7 => Op::Poll { consumer: (r as usize / 10) % 5, max: 5 },
            8 => Op::Commit((r as usize / 10) % 5),
            _ => match r / 10 % 4 {
                0 => Op::TxnBegin,
                1 => Op::TxnEnd { commit: r % 3 != 0 },
                2 => Op::TxnSend((r / 100 % 6) as u8),
                _ => Op::Revive((r as usize / 10) % 5),
            },
        };
        for e in step(&mut w, &op) {
            serde_json::to_string(&e).expect("event serializes").hash(&mut hasher);
            count += 1;
        }
    }
    (hasher.finish(), count)
}

#[test]
fn the_same_seed_gives_the_same_event_trace() {
    for seed in [1u64, 7, 2024] {
        let (a, n) = trace_hash(seed);
        let (b, _) = trace_hash(seed);
        assert_eq!(a, b, "seed {seed}: two runs gave different traces");
        assert!(n > 100, "seed {seed}: only {n} events");
    }
    assert_ne!(trace_hash(1).0, trace_hash(2).0, "seeds 1 and 2 should differ (replica placement and sticky choices)");
}

// ----- the whole command vocabulary, in any order ---------------------------

const TOPICS: [&str; 3] = ["t", "u", "missing"];
const PRODUCER_NAMES: [&str; 4] = ["p", "tx", "tx-twin", "ghost"];
const CONSUMER_NAMES: [&str; 4] = ["c0", "c1", "c2", "ghost"];
const GROUPS: [&str; 2] = ["g", "h"];

/// Names that usually exist, and now and then one that never does.
fn name_from(names: &'static [&'static str]) -> impl Strategy<Value = String> {
    let (known, unknown) = names.split_at(names.len() - 1);
    prop_oneof![8 => prop::sample::select(known), 1 => prop::sample::select(unknown)].prop_map(str::to_string)
}

fn topic_name() -> impl Strategy<Value = String> {
    name_from(&TOPICS)
}

fn producer_name() -> impl Strategy<Value = String> {
    name_from(&PRODUCER_NAMES)
}

fn consumer_name_any() -> impl Strategy<Value = String> {
    name_from(&CONSUMER_NAMES)
}

fn topic_partition() -> impl Strategy<Value = TopicPartition> {
    (topic_name(), 0..4u32).prop_map(|(t, p)| TopicPartition::new(t, p))
}

fn offsets() -> impl Strategy<Value = Vec<(TopicPartition, i64)>> {
    prop::collection::vec((topic_partition(), -2..12i64), 0..3)
}

fn topic_config() -> impl Strategy<Value = TopicConfig> {
    (
        prop_oneof![1 => Just(0u32), 6 => 1..5u32],
        prop_oneof![1 => Just(0u32), 6 => 1..4u32, 1 => Just(4u32)],
        prop::option::weighted(0.2, prop::collection::vec(prop::collection::vec(0..4u32, 0..4), 0..4)),
        prop::option::weighted(0.3, 0..4u32),
        prop::option::of(any::<bool>()),
        prop_oneof![Just(CleanupPolicy::Delete), Just(CleanupPolicy::Compact), Just(CleanupPolicy::DeleteCompact)],
        prop_oneof![Just(-1i64), Just(0), Just(1_000), Just(60_000)],
        prop_oneof![Just(-1i64), Just(0), Just(200)],
        prop_oneof![Just(14u64), Just(300), Just(1 << 20)],
    )
        .prop_map(
            |(partitions, rf, assignment, min_isr, unclean, cleanup, retention_ms, retention_bytes, segment)| {
                TopicConfig {
                    partitions,
                    replication_factor: rf,
                    replica_assignment: assignment,
                    min_insync_replicas: min_isr,
                    unclean_leader_election_enable: unclean,
                    cleanup_policy: cleanup,
                    retention_ms,
                    retention_bytes,
                    segment_bytes: segment,
                    segment_ms: 5_000,
                    min_compaction_lag_ms: 0,
                    delete_retention_ms: 1_000,
                    ..TopicConfig::default()
                }
            },
        )
}

fn producer_config() -> impl Strategy<Value = ProducerConfig> {
    (0..4u8, any::<bool>(), any::<bool>(), 0..3u32, prop_oneof![Just(0u64), Just(2_000), Just(120_000)]).prop_map(
        |(kind, round_robin, idempotent, retries, delivery_timeout_ms)| ProducerConfig {
            acks: match kind {
                0 => Acks::Zero,
                1 => Acks::One,
                _ => Acks::All,
            },
            enable_idempotence: idempotent,
            transactional_id: (kind == 3).then(|| "shared-tx".to_string()),
            partitioner: if round_robin { PartitionerKind::RoundRobin } else { PartitionerKind::Sticky },
            retries,
            delivery_timeout_ms,
            ..ProducerConfig::default()
        },
    )
}

fn consumer_config_any() -> impl Strategy<Value = ConsumerConfig> {
    (
        prop::sample::select(&GROUPS[..]),
        0..4u8,
        0..3u8,
        any::<bool>(),
        any::<bool>(),
        prop::option::weighted(0.3, prop::sample::select(&["static-a", "static-b"][..])),
        prop_oneof![Just(6_000u64), Just(10_000)],
        prop_oneof![Just(1_000u64), Just(300_000)],
        prop::bool::weighted(0.3),
    )
        .prop_map(|(group, assignor, reset, auto_commit, read_committed, instance, session, max_poll, modern)| {
            ConsumerConfig {
                // Some speak the consumer group protocol (KIP-848), so
                // groups migrate between the two protocols.
                group_protocol: if modern { GroupProtocol::Consumer } else { GroupProtocol::Classic },
                assignor: [Assignor::Range, Assignor::RoundRobin, Assignor::Sticky, Assignor::CooperativeSticky]
                    [assignor as usize],
                auto_offset_reset: [OffsetReset::Earliest, OffsetReset::Latest, OffsetReset::None][reset as usize],
                enable_auto_commit: auto_commit,
                auto_commit_interval_ms: 500,
                isolation_level: if read_committed {
                    IsolationLevel::ReadCommitted
                } else {
                    IsolationLevel::ReadUncommitted
                },
                group_instance_id: instance.map(str::to_string),
                session_timeout_ms: session,
                heartbeat_interval_ms: 1_000,
                max_poll_interval_ms: max_poll,
                ..ConsumerConfig::new(group)
            }
        })
}

fn record() -> impl Strategy<Value = ProducerRecord> {
    let timestamp =
        prop::option::weighted(0.2, prop_oneof![Just(i64::MIN), Just(-1i64), 0..100_000i64, Just(i64::MAX)]);
    (
        topic_name(),
        prop::option::weighted(0.2, 0..4u32),
        prop::option::of(0..4u8),
        prop::option::weighted(0.9, 0..4u8),
        timestamp,
    )
        .prop_map(|(topic, partition, key, value, timestamp)| ProducerRecord {
            topic,
            partition,
            key: key.map(|k| vec![b'k', k]),
            value: value.map(|v| vec![b'v', v]),
            timestamp,
            ..ProducerRecord::default()
        })
}

fn any_command() -> impl Strategy<Value = Command> {
    let seek = prop_oneof![
        (-3..15i64).prop_map(SeekTo::Offset),
        Just(SeekTo::Beginning),
        Just(SeekTo::End),
        (-5..100_000i64).prop_map(SeekTo::Timestamp),
    ];
    prop_oneof![
        2 => (topic_name(), topic_config()).prop_map(|(name, config)| Command::CreateTopic { name, config }),
        1 => (topic_name(), 0..6u32).prop_map(|(topic, total)| Command::AddPartitions { topic, total }),
        2 => (0..4u32).prop_map(|broker| Command::CrashBroker { broker }),
        2 => (0..4u32).prop_map(|broker| Command::RestartBroker { broker }),
        1 => (0..4u32).prop_map(|broker| Command::PauseReplication { broker }),
        1 => (0..4u32).prop_map(|broker| Command::ResumeReplication { broker }),
        2 => (producer_name(), producer_config()).prop_map(|(name, config)| Command::CreateProducer { name, config }),
        6 => (producer_name(), record()).prop_map(|(producer, record)| Command::Produce { producer, record }),
        1 => producer_name().prop_map(|producer| Command::InitTransactions { producer }),
        1 => producer_name().prop_map(|producer| Command::BeginTransaction { producer }),
        1 => (producer_name(), prop::sample::select(&GROUPS[..]), offsets()).prop_map(|(producer, group, offsets)| {
            Command::SendOffsetsToTransaction { producer, group_metadata: ConsumerGroupMetadata::new(group), offsets }
        }),
        1 => producer_name().prop_map(|producer| Command::CommitTransaction { producer }),
        1 => producer_name().prop_map(|producer| Command::AbortTransaction { producer }),
        1 => producer_name().prop_map(|producer| Command::CloseProducer { producer }),
        2 => (consumer_name_any(), consumer_config_any()).prop_map(|(name, config)| Command::CreateConsumer { name, config }),
        2 => (consumer_name_any(), prop::collection::vec(topic_name(), 0..3))
            .prop_map(|(consumer, topics)| Command::Subscribe { consumer, topics }),
        4 => (consumer_name_any(), prop::option::of(0..6u32))
            .prop_map(|(consumer, max_records)| Command::Poll { consumer, max_records }),
        3 => (consumer_name_any(), prop::option::weighted(0.4, offsets()))
            .prop_map(|(consumer, offsets)| Command::Commit { consumer, offsets }),
        1 => (consumer_name_any(), topic_partition(), seek)
            .prop_map(|(consumer, partition, to)| Command::Seek { consumer, partition, to }),
        1 => consumer_name_any().prop_map(|consumer| Command::CloseConsumer { consumer }),
        1 => consumer_name_any().prop_map(|consumer| Command::CrashConsumer { consumer }),
        4 => prop_oneof![Just(0u64), Just(1), Just(99), Just(700), Just(12_000), Just(400_000), Just(u64::MAX)]
            .prop_map(|ms| Command::Tick { ms }),
    ]
}

/// Commands that build a working cluster (topics, producers, subscribed
/// consumers, an open transaction), most of them, shuffled, so the random
/// commands after them reach deep states and not only refusals.
fn working_cluster() -> impl Strategy<Value = Vec<Command>> {
    (
        (1..4u32, 1..4u32, 1..4u32, 1..4u32),
        prop::collection::vec(consumer_config_any(), 3),
        prop::collection::vec(prop::bool::weighted(0.85), 12),
        any::<prop::sample::Index>(),
    )
        .prop_flat_map(|((tp, trf, up, urf), configs, keep, _)| {
            let mut all = vec![
                Command::CreateTopic { name: "t".into(), config: TopicConfig::new(tp, trf) },
                Command::CreateTopic { name: "u".into(), config: TopicConfig::new(up, urf) },
                Command::CreateProducer { name: "p".into(), config: ProducerConfig::default() },
                Command::CreateProducer {
                    name: "tx".into(),
                    config: ProducerConfig { transactional_id: Some("shared-tx".into()), ..ProducerConfig::default() },
                },
                Command::InitTransactions { producer: "tx".into() },
                Command::BeginTransaction { producer: "tx".into() },
            ];
            for (name, config) in CONSUMER_NAMES.iter().zip(configs) {
                all.push(Command::CreateConsumer { name: name.to_string(), config });
                all.push(Command::Subscribe { consumer: name.to_string(), topics: vec!["t".into(), "u".into()] });
            }
            let kept: Vec<Command> = all.into_iter().zip(keep).filter(|(_, k)| *k).map(|(c, _)| c).collect();
            // Mostly in the order a program would run them, sometimes shuffled.
            prop_oneof![3 => Just(kept.clone()), 1 => Just(kept).prop_shuffle()]
        })
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(256),
        ..ProptestConfig::default()
    })]

    /// Any command in any order (unknown names, missing topics, commits
    /// before joining, transactions out of order, crashed brokers) either
    /// runs or is refused with a `KafkaError`; nothing panics. The engine's
    /// own invariants run after every command in debug builds.
    #[test]
    fn any_command_sequence_runs_or_is_refused_without_panicking(
        seed in any::<u64>(),
        brokers in 1..4u32,
        setup in working_cluster(),
        commands in prop::collection::vec(any_command(), 1..60),
    ) {
        let mut c = Cluster::new(ClusterConfig { brokers, ..ClusterConfig::default() }, seed).expect("cluster");
        for command in setup.into_iter().chain(commands) {
            let is_produce = matches!(command, Command::Produce { .. });
            let before = c.now();
            let outcome = c.apply(command);
            prop_assert!(c.now() >= before, "time went backwards");
            match &outcome.error {
                Some(e) => {
                    prop_assert!(outcome.receipt.is_none(), "a refused command has no receipt: {e}");
                    prop_assert!(!e.to_string().is_empty());
                }
                None => prop_assert_eq!(outcome.receipt.is_some(), is_produce),
            }
        }
    }
}
