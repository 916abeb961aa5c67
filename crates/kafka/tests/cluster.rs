//! Whole-feature tests of the cluster: replication and elections, producers,
//! the log, consumer groups, delivery semantics, explanations and errors.

use brokerlab_kafka::*;

fn cluster(brokers: u32) -> Cluster {
    Cluster::new(ClusterConfig { brokers, ..ClusterConfig::default() }, 42).expect("cluster")
}

/// A crashed broker stays leader and in the ISR until the controller fences
/// it: `broker.session.timeout.ms` (9 s, KRaft) after its last heartbeat
/// (every 2 s), so at most 9 001 ms after the crash.
const FENCED_AFTER_MS: u64 = 9_001;

/// Crashes a broker and lets time pass until the controller has fenced it;
/// returns the events of both.
fn crash(c: &mut Cluster, broker: u32) -> Vec<Event> {
    let mut events = c.crash_broker(broker).expect("crash");
    events.extend(c.tick(FENCED_AFTER_MS).expect("fence"));
    events
}

fn topic_on(c: &mut Cluster, name: &str, replicas: Vec<Vec<u32>>, tweak: impl FnOnce(&mut TopicConfig)) {
    let mut cfg = TopicConfig {
        replica_assignment: Some(replicas.clone()),
        ..TopicConfig::new(replicas.len() as u32, replicas[0].len() as u32)
    };
    tweak(&mut cfg);
    c.create_topic(name, cfg).expect("topic");
}

/// A producer with `linger.ms=0` (Kafka 3's default; Kafka 4's is 5), so
/// that each send reaches the leader at the instant of `produce()` and the
/// tests below read the log right after it.
fn producer(c: &mut Cluster, name: &str, acks: Acks, idempotent: bool) {
    let cfg = ProducerConfig { acks, enable_idempotence: idempotent, linger_ms: 0, ..ProducerConfig::default() };
    c.create_producer(name, cfg).expect("producer");
}

fn send(c: &mut Cluster, p: &str, topic: &str, partition: u32, value: &str) -> ProduceReceipt {
    let rec = ProducerRecord {
        topic: topic.into(),
        partition: Some(partition),
        value: Some(value.as_bytes().to_vec()),
        ..Default::default()
    };
    c.produce(p, rec).expect("produce").0
}

fn values(c: &Cluster, topic: &str, partition: u32) -> Vec<String> {
    c.records(topic, partition)
        .expect("records")
        .iter()
        .filter(|r| !r.kind.is_control())
        .map(|r| String::from_utf8(r.data.value.clone().unwrap_or_default()).expect("utf8"))
        .collect()
}

fn consumer(c: &mut Cluster, name: &str, group: &str, tweak: impl FnOnce(&mut ConsumerConfig)) {
    let mut cfg = ConsumerConfig { auto_offset_reset: OffsetReset::Earliest, ..ConsumerConfig::new(group) };
    tweak(&mut cfg);
    c.create_consumer(name, cfg).expect("consumer");
}

fn tp(t: &str, p: u32) -> TopicPartition {
    TopicPartition::new(t, p)
}

/// Polls the members in turn until the group is stable and every member
/// has applied its assignment: members join on their `poll()`.
fn settle(c: &mut Cluster, names: &[&str]) {
    for _ in 0..4 {
        for n in names {
            c.poll(n, None).expect("poll");
        }
    }
}

fn polled(c: &mut Cluster, name: &str) -> Vec<String> {
    c.poll(name, None)
        .expect("poll")
        .0
        .into_iter()
        .map(|r| String::from_utf8(r.value.unwrap_or_default()).expect("utf8"))
        .collect()
}

// ----- 1. cluster --------------------------------------------------------------

#[test]
fn replication_factor_above_broker_count_is_refused() {
    let mut c = cluster(2);
    assert_eq!(
        c.create_topic("t", TopicConfig::new(1, 3)),
        Err(KafkaError::InvalidReplicationFactor { replication_factor: 3, brokers: 2 })
    );
}

#[test]
fn followers_copy_records_and_the_high_watermark_follows_the_isr() {
    let mut c = cluster(3);
    topic_on(&mut c, "t", vec![vec![0, 1, 2]], |_| {});
    producer(&mut c, "p", Acks::All, true);
    let r = send(&mut c, "p", "t", 0, "a");
    assert_eq!(r.offset, Some(0), "the leader's append offset");
    let view = c.partition("t", 0).expect("partition");
    assert_eq!((view.log_end_offset, view.high_watermark), (1, 0));
    let events = c.tick(100).expect("tick");
    assert!(events.iter().any(|e| matches!(e, Event::RecordsReplicated { broker: 1, .. })));
    assert!(events.iter().any(|e| matches!(e, Event::HighWatermarkAdvanced { high_watermark: 1, .. })));
    let events = c.tick(100).expect("tick");
    assert!(events.iter().any(|e| matches!(e, Event::RecordAcknowledged { offset: 0, .. })));
    let view = c.partition("t", 0).expect("partition");
    assert!(view.replicas.iter().all(|r| r.log_end_offset == 1 && r.high_watermark == 1));
}

#[test]
fn paused_follower_leaves_the_isr_after_the_lag_time_and_rejoins_when_caught_up() {
    let mut c = cluster(3);
    topic_on(&mut c, "t", vec![vec![0, 1, 2]], |_| {});
    producer(&mut c, "p", Acks::One, false);
    c.set_replication_paused(2, true).expect("pause");
    send(&mut c, "p", "t", 0, "a");
    // Out of sync from just after 30 s, but only broker 0's ISR check,
    // every replica.lag.time.max.ms / 2 from its start (Kafka 4.0
    // `ReplicaManager` "isr-expiration"), removes it: at 45 s.
    c.tick(44_000).expect("tick");
    assert_eq!(c.partition("t", 0).expect("p").isr, vec![0, 1, 2]);
    let events = c.tick(1_000).expect("tick");
    assert!(events.iter().any(|e| matches!(e, Event::IsrShrunk { broker: 2, .. })));
    assert_eq!(c.partition("t", 0).expect("p").isr, vec![0, 1]);
    c.set_replication_paused(2, false).expect("resume");
    let events = c.tick(100).expect("tick");
    assert!(events.iter().any(|e| matches!(e, Event::IsrExpanded { broker: 2, .. })));
    assert_eq!(c.partition("t", 0).expect("p").isr, vec![0, 1, 2]);
}

#[test]
fn follower_falls_out_of_the_isr_only_when_it_lags_the_lag_time() {
    let mut c = cluster(2);
    topic_on(&mut c, "t", vec![vec![0, 1]], |_| {});
    c.set_replication_paused(1, true).expect("pause");
    c.tick(60_000).expect("tick");
    // Nothing to copy means nothing to lag behind.
    assert_eq!(c.partition("t", 0).expect("p").isr, vec![0, 1]);
}

#[test]
fn leader_crash_elects_the_first_live_isr_replica() {
    let mut c = cluster(3);
    topic_on(&mut c, "t", vec![vec![1, 2, 0]], |_| {});
    let events = crash(&mut c, 1);
    assert!(
        events.iter().any(|e| matches!(e, Event::LeaderElected { leader: 2, leader_epoch: 1, unclean: false, .. }))
    );
    let p = c.partition("t", 0).expect("p");
    assert_eq!((p.leader, p.isr.clone()), (Some(2), vec![2, 0]));
    let controller = c.controller();
    assert_eq!(
        (controller.live_brokers, controller.leader_elections, controller.under_replicated_partitions),
        (2, 1, 1)
    );
    c.restart_broker(1).expect("restart");
    c.tick(100).expect("tick");
    assert_eq!(c.partition("t", 0).expect("p").isr, vec![1, 2, 0]);
    assert_eq!(c.crash_broker(9), Err(KafkaError::UnknownBroker(9)));
}

#[test]
fn acks_one_record_is_lost_when_the_leader_crashes_before_followers_copy_it() {
    let mut c = cluster(2);
    topic_on(&mut c, "t", vec![vec![0, 1]], |_| {});
    producer(&mut c, "p", Acks::One, false);
    send(&mut c, "p", "t", 0, "a");
    c.tick(100).expect("tick");
    let (_, events) = c
        .produce(
            "p",
            ProducerRecord { topic: "t".into(), partition: Some(0), value: Some(b"b".to_vec()), ..Default::default() },
        )
        .expect("produce");
    assert!(events.iter().any(|e| matches!(e, Event::RecordAcknowledged { offset: 1, .. })));
    let events = crash(&mut c, 0);
    assert!(events.iter().any(|e| matches!(e, Event::RecordsTruncated { from: 1, to: 2, acknowledged_lost: 1, .. })));
    assert_eq!(values(&c, "t", 0), vec!["a"]);
}

#[test]
fn acks_all_keeps_acknowledged_records_through_a_clean_election() {
    let mut c = cluster(3);
    topic_on(&mut c, "t", vec![vec![0, 1, 2]], |cfg| cfg.min_insync_replicas = Some(2));
    producer(&mut c, "p", Acks::All, true);
    for v in ["a", "b", "c"] {
        send(&mut c, "p", "t", 0, v);
    }
    c.tick(200).expect("tick");
    c.crash_broker(0).expect("crash");
    assert_eq!(values(&c, "t", 0), vec!["a", "b", "c"]);
}

#[test]
fn unclean_election_brings_an_out_of_sync_replica_back_and_loses_data() {
    for unclean in [false, true] {
        let mut c = cluster(2);
        topic_on(&mut c, "t", vec![vec![0, 1]], |cfg| cfg.unclean_leader_election_enable = Some(unclean));
        producer(&mut c, "p", Acks::All, true);
        c.set_replication_paused(1, true).expect("pause");
        send(&mut c, "p", "t", 0, "a");
        // Out of the ISR at the leader's ISR check at 45 s.
        c.tick(45_000).expect("tick");
        assert_eq!(c.partition("t", 0).expect("p").isr, vec![0]);
        // With the follower out of the ISR, acks=all only needs the leader.
        send(&mut c, "p", "t", 0, "b");
        c.tick(100).expect("tick");
        let events = crash(&mut c, 0);
        let p = c.partition("t", 0).expect("p");
        if unclean {
            assert_eq!(p.leader, Some(1));
            assert!(events.iter().any(|e| matches!(e, Event::LeaderElected { unclean: true, .. })));
            assert!(events.iter().any(|e| matches!(e, Event::RecordsTruncated { acknowledged_lost: 2, .. })));
            assert!(values(&c, "t", 0).is_empty());
        } else {
            assert_eq!(p.leader, None);
            // Kafka 4.1+ (ELR on by default): the fenced last ISR member
            // leaves an empty ISR and waits in the ELR (4.0: ISR stays [0]).
            assert!(p.isr.is_empty());
            assert_eq!(p.elr, vec![0]);
            assert!(events.iter().any(|e| matches!(e, Event::PartitionOffline { .. })));
            c.restart_broker(0).expect("restart");
            assert_eq!(c.partition("t", 0).expect("p").leader, Some(0));
            assert_eq!(values(&c, "t", 0), vec!["a", "b"]);
        }
    }
}

#[test]
fn adding_partitions_grows_the_topic_and_rebalances_the_group() {
    let mut c = cluster(3);
    c.create_topic("t", TopicConfig::new(2, 2)).expect("topic");
    consumer(&mut c, "c1", "g", |_| {});
    c.subscribe("c1", &["t".into()]).expect("subscribe");
    c.poll("c1", None).expect("poll");
    assert_eq!(c.add_partitions("t", 1), Err(KafkaError::InvalidPartitions { current: 2, requested: 1 }));
    c.add_partitions("t", 4).expect("grow");
    assert_eq!(c.topic("t").expect("topic").partitions.len(), 4);
    // Audit A15: the leader sees the new partitions at its next metadata
    // refresh (`metadata.max.age.ms`, 5 minutes after it subscribed), and
    // rejoins on the poll after that.
    c.tick(299_999).expect("just before the refresh");
    let events = c.poll("c1", None).expect("poll").1;
    assert!(!events.iter().any(|e| matches!(e, Event::RebalanceStarted { .. })), "{events:?}");
    assert_eq!(c.consumer("c1").expect("c1").assignment.len(), 2);
    c.tick(1).expect("the refresh");
    let events = c.poll("c1", None).expect("poll").1;
    assert!(
        events.iter().any(|e| matches!(e, Event::RebalanceStarted { reason: RebalanceReason::PartitionsAdded(_), .. })),
        "{events:?}"
    );
    assert_eq!(c.consumer("c1").expect("c1").assignment.len(), 4);
}

// ----- 2. producer -------------------------------------------------------------

#[test]
fn acks_all_below_min_insync_replicas_is_retried_and_nothing_is_written_meanwhile() {
    // NotEnoughReplicasException is retriable (Kafka 4.x clients): send()
    // does not fail; each attempt is refused before anything is written.
    let mut c = cluster(3);
    topic_on(&mut c, "t", vec![vec![0, 1, 2]], |cfg| cfg.min_insync_replicas = Some(2));
    producer(&mut c, "all", Acks::All, true);
    producer(&mut c, "one", Acks::One, false);
    crash(&mut c, 1);
    crash(&mut c, 2);
    let rec =
        ProducerRecord { topic: "t".into(), partition: Some(0), value: Some(b"x".to_vec()), ..Default::default() };
    let (receipt, events) = c.produce("all", rec.clone()).expect("send() does not fail");
    assert_eq!(receipt.offset, None);
    assert!(
        events.iter().any(|e| matches!(
            e,
            Event::ProduceFailed { error: ProduceError::NotEnoughReplicas, will_retry: true, .. }
        ))
    );
    assert_eq!(c.partition("t", 0).expect("p").log_end_offset, 0);
    assert_eq!(c.produce("one", rec).expect("acks=1 is not refused").0.offset, Some(0));
}

/// Appends, replicates to every ISR member, then crashes the leader before the
/// acknowledgement reaches the producer, which therefore retries.
fn retry_after_lost_response(idempotent: bool) -> (Cluster, Vec<Event>) {
    let mut c = cluster(3);
    topic_on(&mut c, "t", vec![vec![0, 1, 2]], |_| {});
    producer(&mut c, "p", Acks::All, idempotent);
    send(&mut c, "p", "t", 0, "a");
    c.tick(100).expect("replicate");
    // The request to the crashed leader fails and is retried; the new
    // leader answers once the controller has fenced broker 0.
    let mut events = crash(&mut c, 0);
    events.extend(c.tick(200).expect("retry"));
    (c, events)
}

#[test]
fn acks_all_retry_after_a_lost_response_duplicates_without_idempotence() {
    let (mut c, events) = retry_after_lost_response(false);
    assert!(
        events.iter().any(|e| matches!(
            e,
            Event::ProduceFailed { error: ProduceError::NotLeaderOrFollower, will_retry: true, .. }
        ))
    );
    assert!(events.iter().any(|e| matches!(e, Event::RecordAppended { retry: true, offset: 1, .. })));
    c.tick(200).expect("settle");
    assert_eq!(values(&c, "t", 0), vec!["a", "a"]);
}

#[test]
fn idempotent_producer_drops_the_duplicate_retry() {
    let (mut c, mut events) = retry_after_lost_response(true);
    assert!(events.iter().any(|e| matches!(e, Event::DuplicateDropped { sequence: 0, offset: 0, .. })));
    events.extend(c.tick(200).expect("settle"));
    assert!(events.iter().any(|e| matches!(e, Event::RecordAcknowledged { offset: 0, .. })));
    assert_eq!(values(&c, "t", 0), vec!["a"]);
}

#[test]
fn acks_zero_record_sent_to_an_offline_partition_waits_for_a_leader() {
    // Kafka keeps it in the RecordAccumulator until a leader is known; the
    // callback then reports offset -1.
    let mut c = cluster(1);
    topic_on(&mut c, "t", vec![vec![0]], |_| {});
    producer(&mut c, "p", Acks::Zero, false);
    crash(&mut c, 0);
    let rec =
        ProducerRecord { topic: "t".into(), partition: Some(0), value: Some(b"x".to_vec()), ..Default::default() };
    let (receipt, _) = c.produce("p", rec).expect("produce");
    assert_eq!(receipt.offset, None);
    c.restart_broker(0).expect("restart");
    let events = c.tick(200).expect("tick");
    assert!(events.iter().any(|e| matches!(e, Event::RecordAcknowledged { offset: -1, .. })));
    assert_eq!(values(&c, "t", 0), vec!["x"]);
}

#[test]
fn acks_all_record_waits_for_a_leader_and_then_lands() {
    let mut c = cluster(1);
    topic_on(&mut c, "t", vec![vec![0]], |_| {});
    producer(&mut c, "p", Acks::All, true);
    crash(&mut c, 0);
    assert_eq!(send(&mut c, "p", "t", 0, "x").offset, None);
    c.tick(1_000).expect("tick");
    c.restart_broker(0).expect("restart");
    let events = c.tick(200).expect("tick");
    assert!(events.iter().any(|e| matches!(e, Event::RecordAcknowledged { offset: 0, .. })));
    assert_eq!(values(&c, "t", 0), vec!["x"]);
}

#[test]
fn records_keep_key_value_headers_and_timestamp() {
    let mut c = cluster(1);
    c.create_topic("t", TopicConfig::new(3, 1)).expect("topic");
    producer(&mut c, "p", Acks::One, false);
    let rec = ProducerRecord {
        topic: "t".into(),
        key: Some(b"user-7".to_vec()),
        value: Some(b"hello".to_vec()),
        headers: vec![Header { key: "trace".into(), value: Some(b"1".to_vec()) }],
        timestamp: Some(1234),
        partition: None,
    };
    let (receipt, _) = c.produce("p", rec).expect("produce");
    assert_eq!(receipt.partition, partition_for_key(b"user-7", 3));
    let r = c.record("t", receipt.partition, 0).expect("record").expect("exists");
    assert_eq!(r.data.key.as_deref(), Some(&b"user-7"[..]));
    assert_eq!(r.data.headers[0].key, "trace");
    assert_eq!(r.timestamp, 1234);
    assert_eq!(r.partitioning, PartitionReason::Key { hash: murmur2(b"user-7"), partitions: 3 });
}

// ----- 3. log ------------------------------------------------------------------

fn fill(c: &mut Cluster, topic: &str, n: usize, key: impl Fn(usize) -> Option<String>) {
    for i in 0..n {
        let rec = ProducerRecord {
            topic: topic.into(),
            partition: Some(0),
            key: key(i).map(String::into_bytes),
            value: Some(format!("v{i}").into_bytes()),
            ..Default::default()
        };
        c.produce("p", rec).expect("produce");
    }
}

#[test]
fn size_retention_deletes_whole_segments_and_moves_the_log_start_offset() {
    let mut c = cluster(1);
    // Each record is 16 bytes (14 of framing plus a 2-byte value).
    topic_on(&mut c, "t", vec![vec![0]], |cfg| {
        cfg.segment_bytes = 16 * 10;
        cfg.retention_bytes = 16 * 25;
    });
    producer(&mut c, "p", Acks::One, false);
    fill(&mut c, "t", 10, |_| None);
    assert_eq!(c.partition("t", 0).expect("p").segments, 1);
    for i in 0..40 {
        let rec = ProducerRecord {
            topic: "t".into(),
            partition: Some(0),
            value: Some(format!("{:02}", i % 100).into_bytes()),
            ..Default::default()
        };
        c.produce("p", rec).expect("produce");
    }
    let events = c.tick(100).expect("tick");
    assert!(events.iter().any(|e| matches!(e, Event::RecordsRemoved { reason: RemovalReason::RetentionSize, .. })));
    let p = c.partition("t", 0).expect("p");
    let page = c.records_page("t", 0, p.log_start_offset, 3).expect("page");
    assert_eq!(
        page.iter().map(|r| r.offset).collect::<Vec<_>>(),
        (p.log_start_offset..p.log_start_offset + 3).collect::<Vec<_>>()
    );
    assert_eq!(p.log_start_offset % 10, 0, "retention removes whole segments");
    assert!(p.retained_bytes >= 16 * 25 && p.retained_bytes < 16 * 35, "kept {} bytes", p.retained_bytes);
    assert_eq!(p.log_end_offset, 50);
}

#[test]
fn segment_ms_counts_from_the_first_records_timestamp_to_the_new_records() {
    // LogSegment.timeWaitedForRoll: messageTimestamp - rollingBasedTimestamp
    // (the first batch's timestamp), rolled once it exceeds segment.ms.
    let mut c = cluster(1);
    topic_on(&mut c, "t", vec![vec![0]], |cfg| cfg.segment_ms = 10_000);
    producer(&mut c, "p", Acks::One, false);
    let at = |ts: i64| ProducerRecord { timestamp: Some(ts), ..ProducerRecord::unkeyed("t", "x") };
    let with_partition = |r: ProducerRecord| ProducerRecord { partition: Some(0), ..r };
    c.produce("p", with_partition(at(1_000))).expect("produce");
    // A record stamped exactly segment.ms later still fits; one beyond rolls,
    // though no logical time passed.
    c.produce("p", with_partition(at(11_000))).expect("produce");
    assert_eq!(c.partition("t", 0).expect("p").segments, 1);
    c.produce("p", with_partition(at(11_001))).expect("produce");
    assert_eq!(c.partition("t", 0).expect("p").segments, 2);
    // Time alone does not roll: only the timestamps count.
    c.tick(60_000).expect("tick");
    c.produce("p", with_partition(at(12_000))).expect("produce");
    assert_eq!(c.partition("t", 0).expect("p").segments, 2);
}

#[test]
fn kafka_4_refuses_a_record_stamped_more_than_an_hour_ahead() {
    // KIP-1030 (4.0): message.timestamp.after.max.ms defaults to 3600000;
    // LogValidator answers INVALID_TIMESTAMP, which the producer does not retry.
    let mut c = cluster(1);
    topic_on(&mut c, "t", vec![vec![0]], |_| {});
    producer(&mut c, "p", Acks::One, false);
    c.tick(1_000).expect("tick");
    let at = |ts: i64| ProducerRecord { partition: Some(0), timestamp: Some(ts), ..ProducerRecord::unkeyed("t", "x") };
    let (receipt, _) = c.produce("p", at(1_000 + 3_600_000)).expect("an hour ahead is accepted");
    assert_eq!(receipt.offset, Some(0));
    let (receipt, events) = c.produce("p", at(1_000 + 3_600_001)).expect("send() itself does not fail");
    assert_eq!(receipt.offset, None);
    assert!(
        events.iter().any(|e| matches!(
            e,
            Event::ProduceFailed { error: ProduceError::InvalidTimestamp, will_retry: false, .. }
        ))
    );
    assert_eq!(c.partition("t", 0).expect("p").log_end_offset, 1);
}

#[test]
fn time_retention_deletes_segments_older_than_retention_ms() {
    let mut c = cluster(1);
    topic_on(&mut c, "t", vec![vec![0]], |cfg| {
        cfg.retention_ms = 60_000;
        cfg.segment_ms = 10_000;
    });
    producer(&mut c, "p", Acks::One, false);
    fill(&mut c, "t", 5, |_| None);
    c.tick(20_000).expect("tick");
    fill(&mut c, "t", 5, |_| None);
    let events = c.tick(50_000).expect("tick");
    assert!(events.iter().any(|e| matches!(
        e,
        Event::RecordsRemoved { reason: RemovalReason::RetentionTime, from: 0, to: 5, count: 5, .. }
    )));
    assert!(events.iter().any(|e| matches!(e, Event::LogStartOffsetMoved { log_start_offset: 5, .. })));
    assert_eq!(c.partition("t", 0).expect("p").retained_records, 5);
}

#[test]
fn compaction_keeps_the_latest_value_per_key_and_later_drops_tombstones() {
    let mut c = cluster(1);
    topic_on(&mut c, "t", vec![vec![0]], |cfg| {
        cfg.cleanup_policy = CleanupPolicy::Compact;
        cfg.segment_bytes = 17 * 4;
        cfg.delete_retention_ms = 10_000;
        cfg.min_cleanable_dirty_ratio = 0.01;
    });
    producer(&mut c, "p", Acks::One, false);
    let rec = ProducerRecord::unkeyed("t", "x");
    assert_eq!(c.produce("p", rec).map(|r| r.0), Err(KafkaError::CompactedTopicRequiresKey("t".into())));
    fill(&mut c, "t", 12, |i| Some(format!("k{}", i % 3)));
    let tombstone = ProducerRecord {
        topic: "t".into(),
        partition: Some(0),
        key: Some(b"k0".to_vec()),
        value: None,
        ..Default::default()
    };
    c.produce("p", tombstone).expect("tombstone");
    fill(&mut c, "t", 4, |_| Some("z".into()));
    let events = c.tick(100).expect("tick");
    assert!(events.iter().any(|e| matches!(e, Event::RecordsRemoved { reason: RemovalReason::Compaction, .. })));
    let offsets: Vec<i64> = c.records("t", 0).expect("records").iter().map(|r| r.offset).collect();
    assert!(offsets.windows(2).all(|w| w[0] < w[1]), "order is kept: {offsets:?}");
    let keys_before_active: Vec<(i64, Option<Vec<u8>>)> = c
        .records("t", 0)
        .expect("records")
        .iter()
        .filter(|r| r.offset < 12)
        .map(|r| (r.offset, r.data.key.clone()))
        .collect();
    // k0's values all precede its tombstone at 12, so only k1 and k2 survive below it.
    assert_eq!(keys_before_active, vec![(10, Some(b"k1".to_vec())), (11, Some(b"k2".to_vec()))]);
    // The cleaner only runs when there is new dirty data, so the tombstone goes
    // in the first pass after delete.retention.ms.
    c.tick(20_000).expect("tick");
    assert!(c.record("t", 0, 12).expect("record").is_some());
    fill(&mut c, "t", 8, |_| Some("z".into()));
    c.tick(200).expect("tick");
    assert!(c.record("t", 0, 12).expect("record").is_none(), "the tombstone is gone after delete.retention.ms");
}

#[test]
fn kip_534_a_tombstone_is_kept_until_delete_retention_ms_after_the_first_cleaning_pass_over_it() {
    // KIP-534 (Kafka 3.1+): the cleaner stamps deleteHorizonMs = now +
    // delete.retention.ms on a tombstone's batch the first time it cleans it
    // (MemoryRecords.filterTo) and drops it only in a pass at or after that
    // horizon (LogCleaner.shouldRetainRecord), whatever the record's own
    // timestamp. Audit A11: an old-timestamped tombstone used to vanish in
    // the first pass.
    let mut c = cluster(1);
    topic_on(&mut c, "t", vec![vec![0]], |cfg| {
        cfg.cleanup_policy = CleanupPolicy::Compact;
        cfg.segment_bytes = 17 * 4;
        cfg.delete_retention_ms = 10_000;
        cfg.min_cleanable_dirty_ratio = 0.01;
    });
    producer(&mut c, "p", Acks::One, false);
    c.tick(50_000).expect("time passes");
    fill(&mut c, "t", 4, |i| Some(format!("k{i}")));
    let tombstone = ProducerRecord {
        topic: "t".into(),
        partition: Some(0),
        key: Some(b"k0".to_vec()),
        value: None,
        timestamp: Some(1_000),
        ..Default::default()
    };
    c.produce("p", tombstone).expect("tombstone");
    fill(&mut c, "t", 8, |_| Some("z".into()));
    c.tick(100).expect("first pass");
    assert!(c.record("t", 0, 0).expect("record").is_none(), "k0's value is compacted away");
    assert!(c.record("t", 0, 4).expect("record").is_some(), "the tombstone survives the first pass");
    // Another pass within the horizon (50 100 + 10 000) keeps it too.
    fill(&mut c, "t", 8, |_| Some("y".into()));
    c.tick(5_000).expect("second pass");
    assert!(c.record("t", 0, 4).expect("record").is_some(), "still within the delete horizon");
    // The cleaner runs again only for new dirty data, as Kafka's does.
    c.tick(6_000).expect("past the horizon");
    assert!(c.record("t", 0, 4).expect("record").is_some(), "no pass without dirty data");
    fill(&mut c, "t", 8, |_| Some("x".into()));
    let events = c.tick(200).expect("a pass past the horizon");
    assert!(c.record("t", 0, 4).expect("record").is_none());
    assert!(events.iter().any(|e| matches!(e, Event::RecordsRemoved { reason: RemovalReason::TombstoneExpired, .. })));
}

#[test]
fn retention_bounds_memory_to_the_retained_window() {
    let mut c = cluster(1);
    // 1,000 records of 22 bytes are retained, in segments of 100 records.
    topic_on(&mut c, "t", vec![vec![0]], |cfg| {
        cfg.segment_bytes = 22 * 100;
        cfg.retention_bytes = 22 * 900;
    });
    producer(&mut c, "p", Acks::One, false);
    c.set_event_recording(false);
    for i in 0..50_000u64 {
        let rec = ProducerRecord {
            topic: "t".into(),
            partition: Some(0),
            value: Some(i.to_le_bytes().to_vec()),
            ..Default::default()
        };
        c.produce("p", rec).expect("produce");
        if i % 1_000 == 999 {
            assert!(c.retained_records("t").expect("t") <= 1_000);
        }
    }
    let p = c.partition("t", 0).expect("p");
    assert!(p.retained_records <= 1_000 && p.retained_records >= 900, "kept {}", p.retained_records);
    assert_eq!(p.log_end_offset, 50_000);
}

// ----- 4. consumers and groups -------------------------------------------------

#[test]
fn poll_returns_at_most_max_records_in_offset_order() {
    let mut c = cluster(1);
    c.create_topic("t", TopicConfig::new(1, 1)).expect("topic");
    producer(&mut c, "p", Acks::One, false);
    for i in 0..10 {
        send(&mut c, "p", "t", 0, &format!("{i}"));
    }
    consumer(&mut c, "c", "g", |_| {});
    c.subscribe("c", &["t".into()]).expect("subscribe");
    let (recs, _) = c.poll("c", Some(4)).expect("poll");
    assert_eq!(recs.iter().map(|r| r.offset).collect::<Vec<_>>(), vec![0, 1, 2, 3]);
    let (recs, _) = c.poll("c", Some(100)).expect("poll");
    assert_eq!(recs.len(), 6);
}

#[test]
fn group_members_split_partitions_and_extra_members_stay_idle() {
    let mut c = cluster(3);
    c.create_topic("t", TopicConfig::new(3, 1)).expect("topic");
    for n in ["c1", "c2", "c3", "c4"] {
        consumer(&mut c, n, "g", |_| {});
        c.subscribe(n, &["t".into()]).expect("subscribe");
    }
    // c1 polls first and forms generation 1 alone; c2, c3 and c4 join on
    // their polls, and generation 2 forms when c1 rejoins on its next one.
    settle(&mut c, &["c1", "c2", "c3", "c4"]);
    let g = c.group("g").expect("group");
    let sizes: Vec<usize> = g.members.iter().map(|m| m.assignment.len()).collect();
    assert_eq!(sizes, vec![1, 1, 1, 0]);
    assert_eq!(g.generation, 2);
}

#[test]
fn eager_rebalance_revokes_everything_and_cooperative_only_what_moves() {
    for (assignor, expect_full_revoke) in [(Assignor::Sticky, true), (Assignor::CooperativeSticky, false)] {
        let mut c = cluster(1);
        c.create_topic("t", TopicConfig::new(4, 1)).expect("topic");
        consumer(&mut c, "c1", "g", |cfg| cfg.assignor = assignor);
        c.subscribe("c1", &["t".into()]).expect("subscribe");
        c.poll("c1", None).expect("poll");
        consumer(&mut c, "c2", "g", |cfg| cfg.assignor = assignor);
        c.subscribe("c2", &["t".into()]).expect("subscribe");
        let mut events = Vec::new();
        for n in ["c2", "c1", "c2", "c1"] {
            events.extend(c.poll(n, None).expect("poll").1);
        }
        let revoked: usize = events
            .iter()
            .map(|e| {
                if let Event::PartitionsRevoked { member, partitions, .. } = e {
                    if member == "c1" { partitions.len() } else { 0 }
                } else {
                    0
                }
            })
            .sum();
        assert_eq!(revoked, if expect_full_revoke { 4 } else { 2 }, "{assignor:?}");
        let rounds = events.iter().filter(|e| matches!(e, Event::RebalanceCompleted { .. })).count();
        assert_eq!(rounds, if expect_full_revoke { 1 } else { 2 }, "{assignor:?}");
        let g = c.group("g").expect("group");
        assert!(g.members.iter().all(|m| m.assignment.len() == 2), "{assignor:?}");
    }
}

#[test]
fn mixing_assignors_in_one_group_is_refused() {
    let mut c = cluster(1);
    c.create_topic("t", TopicConfig::new(1, 1)).expect("topic");
    consumer(&mut c, "c1", "g", |_| {});
    c.subscribe("c1", &["t".into()]).expect("subscribe");
    c.poll("c1", None).expect("poll");
    let cfg = ConsumerConfig { assignor: Assignor::RoundRobin, ..ConsumerConfig::new("g") };
    assert_eq!(c.create_consumer("c2", cfg), Err(KafkaError::InconsistentGroupProtocol { group: "g".into() }));
}

#[test]
fn session_timeout_evicts_a_crashed_consumer() {
    let mut c = cluster(1);
    c.create_topic("t", TopicConfig::new(2, 1)).expect("topic");
    for n in ["c1", "c2"] {
        consumer(&mut c, n, "g", |_| {});
        c.subscribe(n, &["t".into()]).expect("subscribe");
    }
    settle(&mut c, &["c1", "c2"]);
    c.crash_consumer("c2").expect("crash");
    c.tick(40_000).expect("tick");
    assert_eq!(c.group("g").expect("g").members.len(), 2);
    let events = c.tick(10_000).expect("tick");
    assert!(events.iter().any(|e| matches!(e, Event::MemberLeft { reason: RebalanceReason::SessionTimeout(_), .. })));
    c.poll("c1", None).expect("poll");
    assert_eq!(c.consumer("c1").expect("c1").assignment.len(), 2);
    assert_eq!(c.poll("c2", None).map(|r| r.0), Err(KafkaError::ConsumerClosed("c2".into())));
}

#[test]
fn max_poll_interval_evicts_a_consumer_that_stops_polling_and_it_rejoins_on_poll() {
    let mut c = cluster(1);
    c.create_topic("t", TopicConfig::new(2, 1)).expect("topic");
    for n in ["c1", "c2"] {
        consumer(&mut c, n, "g", |cfg| cfg.max_poll_interval_ms = 10_000);
        c.subscribe(n, &["t".into()]).expect("subscribe");
    }
    settle(&mut c, &["c1", "c2"]);
    for _ in 0..3 {
        c.tick(4_000).expect("tick");
        c.poll("c1", None).expect("poll");
    }
    assert_eq!(c.group("g").expect("g").members.len(), 1);
    let events = c.poll("c2", None).expect("poll").1;
    assert!(events.iter().any(|e| matches!(e, Event::MemberJoined { .. })));
    assert_eq!(c.group("g").expect("g").members.len(), 2);
}

#[test]
fn static_member_restarting_within_the_session_keeps_its_partitions_without_a_rebalance() {
    let mut c = cluster(1);
    c.create_topic("t", TopicConfig::new(4, 1)).expect("topic");
    for (n, id) in [("c1", "a"), ("c2", "b")] {
        consumer(&mut c, n, "g", |cfg| cfg.group_instance_id = Some(id.into()));
        c.subscribe(n, &["t".into()]).expect("subscribe");
    }
    settle(&mut c, &["c1", "c2"]);
    let before = c.consumer("c2").expect("c2").assignment;
    let generation = c.group("g").expect("g").generation;
    c.close_consumer("c2").expect("close");
    c.tick(10_000).expect("tick");
    consumer(&mut c, "c2-restarted", "g", |cfg| cfg.group_instance_id = Some("b".into()));
    c.subscribe("c2-restarted", &["t".into()]).expect("subscribe");
    let events = c.poll("c2-restarted", None).expect("poll").1;
    assert!(events.iter().any(|e| matches!(e, Event::StaticMemberRejoined { .. })));
    assert_eq!(c.group("g").expect("g").generation, generation);
    assert_eq!(c.consumer("c2-restarted").expect("c").assignment, before);
}

/// A closed static member keeps its membership until its session times out.
/// A new consumer under the same name without that instance id is a new
/// member and replaces the stale entry: the group never lists a name twice
/// (found by the command-sequence property test).
#[test]
fn a_new_consumer_reusing_a_closed_static_members_name_is_listed_once() {
    let mut c = cluster(1);
    c.create_topic("t", TopicConfig::new(2, 1)).expect("topic");
    consumer(&mut c, "c2", "g", |cfg| cfg.group_instance_id = Some("b".into()));
    c.subscribe("c2", &["t".into()]).expect("subscribe");
    c.close_consumer("c2").expect("close");
    consumer(&mut c, "c2", "g", |_| {});
    c.subscribe("c2", &["t".into()]).expect("subscribe");
    polled(&mut c, "c2");
    let g = c.group("g").expect("g");
    assert_eq!(g.members.iter().filter(|m| m.member_id == "c2").count(), 1, "{:?}", g.members);
    assert_eq!(c.consumer("c2").expect("c2").assignment.len(), 2);
}

#[test]
fn auto_commit_commits_the_positions_of_earlier_polls_on_the_interval() {
    let mut c = cluster(1);
    c.create_topic("t", TopicConfig::new(1, 1)).expect("topic");
    producer(&mut c, "p", Acks::One, false);
    for i in 0..3 {
        send(&mut c, "p", "t", 0, &format!("{i}"));
    }
    consumer(&mut c, "c", "g", |_| {});
    c.subscribe("c", &["t".into()]).expect("subscribe");
    c.poll("c", None).expect("poll");
    assert!(c.group("g").expect("g").committed.is_empty());
    c.tick(5_000).expect("tick");
    let events = c.poll("c", None).expect("poll").1;
    assert!(events.iter().any(|e| matches!(e, Event::OffsetsCommitted { auto: true, .. })));
    assert_eq!(c.group("g").expect("g").committed, vec![(tp("t", 0), 3)]);
}

#[test]
fn auto_offset_reset_earliest_latest_and_none() {
    let mut c = cluster(1);
    c.create_topic("t", TopicConfig::new(1, 1)).expect("topic");
    producer(&mut c, "p", Acks::One, false);
    send(&mut c, "p", "t", 0, "old");
    for (name, reset) in [("e", OffsetReset::Earliest), ("l", OffsetReset::Latest), ("n", OffsetReset::None)] {
        consumer(&mut c, name, name, |cfg| cfg.auto_offset_reset = reset);
        c.subscribe(name, &["t".into()]).expect("subscribe");
    }
    assert_eq!(polled(&mut c, "e"), vec!["old"]);
    assert!(polled(&mut c, "l").is_empty());
    assert_eq!(
        c.poll("n", None).map(|r| r.0),
        Err(KafkaError::NoOffsetForPartition { topic: "t".into(), partition: 0 })
    );
    send(&mut c, "p", "t", 0, "new");
    assert_eq!(polled(&mut c, "l"), vec!["new"]);
}

#[test]
fn seek_moves_to_an_offset_the_beginning_the_end_or_a_timestamp() {
    let mut c = cluster(1);
    c.create_topic("t", TopicConfig::new(1, 1)).expect("topic");
    producer(&mut c, "p", Acks::One, false);
    for i in 0..5 {
        let rec = ProducerRecord {
            topic: "t".into(),
            partition: Some(0),
            value: Some(format!("{i}").into_bytes()),
            timestamp: Some(i * 100),
            ..Default::default()
        };
        c.produce("p", rec).expect("produce");
    }
    consumer(&mut c, "c", "g", |_| {});
    c.subscribe("c", &["t".into()]).expect("subscribe");
    // Before its first poll the consumer holds no partition (Java:
    // IllegalStateException "No current assignment for partition").
    assert!(matches!(c.seek("c", &tp("t", 0), SeekTo::Offset(3)), Err(KafkaError::NoCurrentAssignment { .. })));
    assert_eq!(polled(&mut c, "c").len(), 5);
    c.seek("c", &tp("t", 0), SeekTo::Offset(3)).expect("seek");
    assert_eq!(polled(&mut c, "c"), vec!["3", "4"]);
    c.seek("c", &tp("t", 0), SeekTo::Beginning).expect("seek");
    assert_eq!(polled(&mut c, "c").len(), 5);
    c.seek("c", &tp("t", 0), SeekTo::Timestamp(250)).expect("seek");
    assert_eq!(polled(&mut c, "c"), vec!["3", "4"]);
    c.seek("c", &tp("t", 0), SeekTo::End).expect("seek");
    assert!(polled(&mut c, "c").is_empty());
    assert!(matches!(c.seek("c", &tp("t", 0), SeekTo::Offset(-1)), Err(KafkaError::OffsetOutOfRange { .. })));
}

#[test]
fn several_groups_read_one_topic_independently_and_report_lag() {
    let mut c = cluster(1);
    c.create_topic("t", TopicConfig::new(2, 1)).expect("topic");
    producer(&mut c, "p", Acks::One, false);
    for i in 0..6 {
        send(&mut c, "p", "t", i % 2, &format!("{i}"));
    }
    for (n, g) in [("a", "ga"), ("b", "gb")] {
        consumer(&mut c, n, g, |cfg| cfg.enable_auto_commit = false);
        c.subscribe(n, &["t".into()]).expect("subscribe");
    }
    assert_eq!(polled(&mut c, "a").len(), 6);
    c.commit("a", None).expect("commit");
    assert_eq!(polled(&mut c, "b").len(), 6);
    c.commit("b", Some(vec![(tp("t", 0), 1)])).expect("commit");
    let lag_a: Vec<Option<i64>> = c.group_lag("ga").iter().map(|l| l.lag).collect();
    let lag_b: Vec<Option<i64>> = c.group_lag("gb").iter().map(|l| l.lag).collect();
    assert_eq!(lag_a, vec![Some(0), Some(0)]);
    // Without a commit the lag is unknown, as `kafka-consumer-groups` shows "-".
    assert_eq!(lag_b, vec![Some(2), None]);
    // The coordinator stores an offset past the high watermark (A8): the
    // lag view then shows none left, and a consumer reading from it resets.
    c.commit("b", Some(vec![(tp("t", 0), 99)])).expect("commit past the end");
    assert_eq!(c.group("gb").expect("gb").committed[0], (tp("t", 0), 99));
}

// ----- 5. delivery semantics ---------------------------------------------------

fn delivery_setup() -> Cluster {
    let mut c = cluster(1);
    c.create_topic("t", TopicConfig::new(1, 1)).expect("topic");
    producer(&mut c, "p", Acks::One, false);
    for i in 0..4 {
        send(&mut c, "p", "t", 0, &format!("{i}"));
    }
    consumer(&mut c, "c1", "g", |cfg| cfg.enable_auto_commit = false);
    c.subscribe("c1", &["t".into()]).expect("subscribe");
    c
}

#[test]
fn at_most_once_commits_first_so_a_crash_skips_the_batch() {
    let mut c = delivery_setup();
    let batch = polled(&mut c, "c1");
    assert_eq!(batch.len(), 4);
    c.commit("c1", None).expect("commit before processing");
    c.crash_consumer("c1").expect("crash before processing");
    consumer(&mut c, "c2", "g", |cfg| cfg.enable_auto_commit = false);
    c.subscribe("c2", &["t".into()]).expect("subscribe");
    c.tick(50_000).expect("session timeout");
    assert!(polled(&mut c, "c2").is_empty(), "the batch was never processed and is not redelivered");
}

#[test]
fn at_least_once_processes_first_so_a_crash_redelivers_the_batch() {
    let mut c = delivery_setup();
    assert_eq!(polled(&mut c, "c1").len(), 4);
    c.crash_consumer("c1").expect("crash before committing");
    consumer(&mut c, "c2", "g", |cfg| cfg.enable_auto_commit = false);
    c.subscribe("c2", &["t".into()]).expect("subscribe");
    c.tick(50_000).expect("session timeout");
    assert_eq!(polled(&mut c, "c2"), vec!["0", "1", "2", "3"], "processed records come again");
}

fn txn_producer(c: &mut Cluster, name: &str, tid: &str) {
    c.create_producer(
        name,
        ProducerConfig { transactional_id: Some(tid.into()), linger_ms: 0, ..ProducerConfig::default() },
    )
    .expect("producer");
    c.init_transactions(name).expect("init");
}

#[test]
fn read_committed_consumers_never_see_aborted_or_open_transactions() {
    let mut c = cluster(1);
    c.create_topic("t", TopicConfig::new(1, 1)).expect("topic");
    txn_producer(&mut c, "tx", "tid");
    c.begin_transaction("tx").expect("begin");
    send(&mut c, "tx", "t", 0, "aborted");
    c.abort_transaction("tx").expect("abort");
    c.begin_transaction("tx").expect("begin");
    send(&mut c, "tx", "t", 0, "committed");
    c.tick(100).expect("tick");
    for (n, level) in [("rc", IsolationLevel::ReadCommitted), ("ru", IsolationLevel::ReadUncommitted)] {
        consumer(&mut c, n, n, |cfg| cfg.isolation_level = level);
        c.subscribe(n, &["t".into()]).expect("subscribe");
    }
    assert!(polled(&mut c, "rc").is_empty(), "the open transaction holds the last stable offset back");
    assert_eq!(polled(&mut c, "ru"), vec!["aborted", "committed"]);
    c.commit_transaction("tx").expect("commit");
    assert_eq!(polled(&mut c, "rc"), vec!["committed"]);
    let explanation = c.explain_record("t", 0, 0).expect("explain");
    assert!(explanation.aborted && explanation.transactional);
}

#[test]
fn consume_transform_produce_commits_input_offsets_only_with_the_transaction() {
    let mut c = cluster(1);
    c.create_topic("in", TopicConfig::new(1, 1)).expect("topic");
    c.create_topic("out", TopicConfig::new(1, 1)).expect("topic");
    producer(&mut c, "p", Acks::One, false);
    for i in 0..3 {
        send(&mut c, "p", "in", 0, &format!("{i}"));
    }
    consumer(&mut c, "app", "app", |cfg| {
        cfg.enable_auto_commit = false;
        cfg.isolation_level = IsolationLevel::ReadCommitted;
    });
    c.subscribe("app", &["in".into()]).expect("subscribe");
    txn_producer(&mut c, "tx", "app-tx");
    for attempt in ["abort", "commit"] {
        let batch = polled(&mut c, "app");
        if attempt == "commit" {
            c.seek(
                "app",
                &tp("in", 0),
                SeekTo::Offset(c.group("app").expect("g").committed.first().map_or(0, |x| x.1)),
            )
            .expect("seek");
        }
        let batch = if batch.is_empty() { polled(&mut c, "app") } else { batch };
        c.begin_transaction("tx").expect("begin");
        for v in &batch {
            send(&mut c, "tx", "out", 0, &format!("{v}!"));
        }
        c.send_offsets_to_transaction("tx", &ConsumerGroupMetadata::new("app"), vec![(tp("in", 0), 3)])
            .expect("offsets");
        if attempt == "abort" {
            c.abort_transaction("tx").expect("abort");
            assert!(c.group("app").expect("g").committed.is_empty(), "aborted offsets are not committed");
        } else {
            let events = c.commit_transaction("tx").expect("commit");
            assert!(events.iter().any(|e| matches!(e, Event::TransactionCommitted { .. })));
        }
    }
    assert_eq!(c.group("app").expect("g").committed, vec![(tp("in", 0), 3)]);
    consumer(&mut c, "reader", "reader", |cfg| cfg.isolation_level = IsolationLevel::ReadCommitted);
    c.subscribe("reader", &["out".into()]).expect("subscribe");
    assert_eq!(polled(&mut c, "reader"), vec!["0!", "1!", "2!"], "exactly once: the aborted copies stay invisible");
}

#[test]
fn a_new_instance_with_the_same_transactional_id_fences_the_old_one() {
    let mut c = cluster(1);
    c.create_topic("t", TopicConfig::new(1, 1)).expect("topic");
    txn_producer(&mut c, "old", "tid");
    c.begin_transaction("old").expect("begin");
    send(&mut c, "old", "t", 0, "zombie");
    c.create_producer("new", ProducerConfig { transactional_id: Some("tid".into()), ..ProducerConfig::default() })
        .expect("producer");
    let events = c.init_transactions("new").expect("init");
    assert!(events.iter().any(|e| matches!(e, Event::TransactionAborted { .. })));
    // The coordinator does not call the zombie: it learns it is fenced on
    // its next request (Kafka: ProducerFencedException from EndTxn).
    assert!(!events.iter().any(|e| matches!(e, Event::ProducerFenced { .. })));
    let out = c.apply(Command::CommitTransaction { producer: "old".into() });
    assert_eq!(out.error, Some(KafkaError::ProducerFenced("old".into())));
    assert!(out.events.iter().any(|e| matches!(e, Event::ProducerFenced { .. })));
    assert!(c.producer("old").expect("old").fenced);
}

// ----- 6. explanations ---------------------------------------------------------

#[test]
fn explain_record_gives_the_hash_the_reader_and_the_replication_progress() {
    let mut c = cluster(3);
    c.create_topic("t", TopicConfig::new(4, 3)).expect("topic");
    producer(&mut c, "p", Acks::All, true);
    let (r, _) = c.produce("p", ProducerRecord::keyed("t", "alice", "1")).expect("produce");
    consumer(&mut c, "c1", "g", |_| {});
    c.subscribe("c1", &["t".into()]).expect("subscribe");
    c.poll("c1", None).expect("poll");
    let e = c.explain_record("t", r.partition, 0).expect("explain");
    assert_eq!(e.murmur2, Some(murmur2(b"alice")));
    assert!(e.placement.contains(&format!("mod 4 partitions = {}", r.partition)), "{}", e.placement);
    assert_eq!(e.readers.len(), 1);
    assert_eq!(e.readers[0].member.as_deref(), Some("c1"));
    assert_eq!(e.replication.iter().filter(|x| x.has_record).count(), 1);
    assert!(!e.below_high_watermark);
    c.tick(100).expect("tick");
    let e = c.explain_record("t", r.partition, 0).expect("explain");
    assert!(e.replication.iter().all(|x| x.has_record) && e.below_high_watermark);
    let json = serde_json::to_string(&e).expect("serialize");
    assert!(json.contains("alice") || json.contains("97"));
}

// ----- 7. errors ---------------------------------------------------------------

#[test]
fn bad_input_returns_typed_errors() {
    let mut c = cluster(2);
    assert!(matches!(
        Cluster::new(ClusterConfig { brokers: 10, ..ClusterConfig::default() }, 1),
        Err(KafkaError::InvalidConfig { .. })
    ));
    assert!(matches!(
        Cluster::new(ClusterConfig { brokers: 0, ..ClusterConfig::default() }, 1),
        Err(KafkaError::InvalidConfig { .. })
    ));
    assert!(matches!(c.create_topic("t", TopicConfig::new(0, 1)), Err(KafkaError::InvalidConfig { .. })));
    c.create_topic("t", TopicConfig::new(2, 2)).expect("topic");
    assert_eq!(c.create_topic("t", TopicConfig::new(1, 1)), Err(KafkaError::TopicAlreadyExists("t".into())));
    producer(&mut c, "p", Acks::One, false);
    assert!(matches!(
        c.produce("p", ProducerRecord::unkeyed("no pe", "x")).map(|r| r.0),
        Err(KafkaError::InvalidTopic { .. })
    ));
    let rec = ProducerRecord { topic: "t".into(), partition: Some(5), ..Default::default() };
    assert_eq!(
        c.produce("p", rec).map(|r| r.0),
        Err(KafkaError::PartitionOutOfRange { topic: "t".into(), partition: 5, partitions: 2 })
    );
    assert_eq!(
        c.produce("ghost", ProducerRecord::unkeyed("t", "x")).map(|r| r.0),
        Err(KafkaError::UnknownProducer("ghost".into()))
    );
    assert!(matches!(
        c.create_producer(
            "q",
            ProducerConfig { acks: Acks::One, enable_idempotence_explicit: true, ..ProducerConfig::default() }
        ),
        Err(KafkaError::InvalidConfig { .. })
    ));
    assert!(matches!(
        c.create_consumer("c", ConsumerConfig { session_timeout_ms: 10, ..ConsumerConfig::default() }),
        Err(KafkaError::InvalidConfig { .. })
    ));
    c.crash_broker(1).expect("crash");
    assert_eq!(c.crash_broker(1), Err(KafkaError::BrokerNotAvailable(1)));
    assert_eq!(c.set_replication_paused(1, true), Err(KafkaError::BrokerNotAvailable(1)));
    assert_eq!(c.restart_broker(0), Err(KafkaError::BrokerAlreadyRunning(0)));
    assert!(matches!(c.begin_transaction("p"), Err(KafkaError::InvalidTxnState(_))));
    assert_eq!(c.poll("nobody", None).map(|r| r.0), Err(KafkaError::UnknownConsumer("nobody".into())));
    assert!(matches!(c.partition("t", 9), Err(KafkaError::PartitionOutOfRange { .. })));
    let text =
        KafkaError::NotEnoughReplicas { topic: "t".into(), partition: 0, isr: 1, min_insync_replicas: 2 }.to_string();
    assert!(text.contains("NotEnoughReplicas"));
    let _: &dyn std::error::Error = &KafkaError::UnknownBroker(3);
}

#[test]
fn commands_and_events_round_trip_through_json() {
    let script = vec![
        Command::CreateTopic { name: "t".into(), config: TopicConfig::new(3, 2) },
        Command::CreateProducer { name: "p".into(), config: ProducerConfig::default() },
        Command::Produce { producer: "p".into(), record: ProducerRecord::keyed("t", "k", "v") },
        Command::CreateConsumer { name: "c".into(), config: ConsumerConfig::new("g") },
        Command::Subscribe { consumer: "c".into(), topics: vec!["t".into()] },
        Command::Tick { ms: 500 },
        Command::Poll { consumer: "c".into(), max_records: Some(10) },
        Command::CrashBroker { broker: 0 },
    ];
    let json = serde_json::to_string(&script).expect("serialize");
    let back: Vec<Command> = serde_json::from_str(&json).expect("deserialize");
    assert_eq!(back, script);
    let mut c = cluster(3);
    for cmd in back {
        let outcome = c.apply(cmd);
        assert!(outcome.is_ok(), "{:?}", outcome.error);
        let text = serde_json::to_string(&outcome).expect("outcome serializes");
        let again: Outcome = serde_json::from_str(&text).expect("outcome deserializes");
        assert_eq!(again, outcome);
    }
}

#[test]
fn apply_returns_the_receipt_and_the_polled_records() {
    let mut c = cluster(3);
    c.create_topic("t", TopicConfig::new(1, 3)).expect("topic");
    c.create_producer("p", ProducerConfig::default()).expect("producer");
    let produced = c.apply(Command::Produce { producer: "p".into(), record: ProducerRecord::keyed("t", "k", "v") });
    assert!(produced.is_ok());
    // Kafka 4's linger.ms=5: the record waits in the accumulator, so the
    // receipt has its partition but no offset yet.
    assert_eq!(produced.receipt.as_ref().map(|r| (r.partition, r.offset)), Some((0, None)));
    c.create_consumer("c", ConsumerConfig { auto_offset_reset: OffsetReset::Earliest, ..ConsumerConfig::new("g") })
        .expect("consumer");
    c.subscribe("c", &["t".to_string()]).expect("subscribe");
    c.tick(500).expect("tick");
    let polled = c.apply(Command::Poll { consumer: "c".into(), max_records: None });
    assert_eq!(polled.polled.iter().map(|r| r.offset).collect::<Vec<_>>(), vec![0]);
    assert!(polled.events.iter().any(|e| matches!(e, Event::RecordsFetched { consumer, .. } if consumer == "c")));
}

#[test]
fn a_refused_poll_still_reports_the_rejoin_it_caused() {
    let mut c = cluster(3);
    c.create_topic("t", TopicConfig::new(1, 3)).expect("topic");
    c.create_consumer("c", ConsumerConfig { auto_offset_reset: OffsetReset::None, ..ConsumerConfig::new("g") })
        .expect("consumer");
    // Subscribing joins the group; crashing the consumer's session by a long
    // pause makes the next poll rejoin before it meets the missing offset.
    c.subscribe("c", &["t".to_string()]).expect("subscribe");
    c.tick(600_000).expect("tick");
    let outcome = c.apply(Command::Poll { consumer: "c".into(), max_records: None });
    assert_eq!(outcome.error, Some(KafkaError::NoOffsetForPartition { topic: "t".into(), partition: 0 }));
    assert!(outcome.events.iter().any(|e| matches!(e, Event::MemberJoined { member, .. } if member == "c")));
    assert!(outcome.events.iter().any(|e| matches!(e, Event::RebalanceCompleted { .. })));
}

/// A consumer that does not use group management commits with generation
/// -1, which the coordinator accepts while the group is empty
/// (`ClassicGroup.validateOffsetCommit`, Kafka 3.9/4.0); with nothing to
/// commit, `commitSync()` returns at once.
#[test]
fn a_commit_before_joining_the_group_commits_nothing_or_what_it_names() {
    let mut c = cluster(3);
    c.create_topic("t", TopicConfig::new(1, 3)).expect("topic");
    c.create_consumer("c", ConsumerConfig::new("g")).expect("consumer");
    // Once this panicked: the group did not exist yet.
    assert_eq!(c.commit("c", None), Ok(Vec::new()));
    assert_eq!(c.commit("c", Some(Vec::new())), Ok(Vec::new()));
    let outcome = c.apply(Command::Commit { consumer: "c".into(), offsets: None });
    assert!(outcome.is_ok() && outcome.events.is_empty(), "{outcome:?}");
    assert_eq!(c.group("g"), None);
    assert!(c.commit("c", Some(vec![(TopicPartition::new("t", 0), 0)])).is_ok());
    assert_eq!(c.group("g").map(|g| g.committed), Some(vec![(TopicPartition::new("t", 0), 0)]));
}

#[test]
fn a_tick_to_the_end_of_time_saturates_instead_of_overflowing() {
    let mut c = cluster(1);
    c.tick(u64::MAX).expect("tick");
    assert_eq!(c.now(), i64::MAX as u64);
    c.tick(1).expect("tick");
    assert_eq!(c.now(), i64::MAX as u64);
}

#[test]
fn records_with_extreme_timestamps_are_retained_and_compacted_without_overflow() {
    let mut c = cluster(1);
    let config = TopicConfig {
        cleanup_policy: CleanupPolicy::DeleteCompact,
        segment_bytes: 14,
        retention_ms: 1_000,
        // Kafka 3.x's unlimited message.timestamp.after.max.ms, so that a
        // record stamped i64::MAX is accepted.
        message_timestamp_after_max_ms: u64::MAX,
        ..TopicConfig::new(1, 1)
    };
    c.create_topic("t", config).expect("topic");
    c.create_producer("p", ProducerConfig::default()).expect("producer");
    for (i, ts) in [i64::MIN, i64::MAX, -1, 0].into_iter().enumerate() {
        let record = ProducerRecord { timestamp: Some(ts), ..ProducerRecord::keyed("t", "k", format!("v{i}")) };
        c.produce("p", record).expect("produce");
    }
    c.tick(5_000).expect("tick");
    // The record stamped i64::MIN is far past retention; the one stamped
    // i64::MAX never expires, and holds the segments after it.
    let records = c.records("t", 0).expect("records");
    assert!(records.iter().all(|r| r.timestamp != i64::MIN), "{records:?}");
    assert!(records.iter().any(|r| r.timestamp == i64::MAX), "{records:?}");
}

#[test]
fn elections_and_isr_changes_name_their_cause() {
    let mut c = cluster(3);
    c.create_topic("t", TopicConfig::new(1, 3)).expect("topic");
    let leader = c.partition("t", 0).expect("partition").leader.expect("leader");
    let events = crash(&mut c, leader);
    assert!(events.iter().any(|e| matches!(
        e,
        Event::LeaderElected { reason: ElectionReason::LeaderCrashed { broker }, .. } if *broker == leader
    )));
    assert!(events.iter().any(|e| matches!(
        e,
        Event::IsrShrunk { broker, reason: IsrShrinkReason::BrokerCrashed, .. } if *broker == leader
    )));
    let mut single = cluster(1);
    let created = single.create_topic("s", TopicConfig::new(1, 1)).expect("topic");
    assert!(created.iter().any(|e| matches!(e, Event::LeaderElected { reason: ElectionReason::PartitionCreated, .. })));
    crash(&mut single, 0);
    let restarted = single.restart_broker(0).expect("restart");
    assert!(
        restarted
            .iter()
            .any(|e| matches!(e, Event::LeaderElected { reason: ElectionReason::BrokerRestarted { broker: 0 }, .. }))
    );
}
