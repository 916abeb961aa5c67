//! Replication behaviour of Kafka 4.x that the audit found missing:
//!
//! - eligible leader replicas (KIP-966 part 1): available in 4.0 behind the
//!   `eligible.leader.replicas.version` feature, on by default for new
//!   clusters since 4.1 (Kafka docs "Eligible Leader Replicas";
//!   `PartitionChangeBuilder.maybePopulateTargetElr` and `electAnyLeader`,
//!   apache/kafka 1eb7644);
//! - consumer truncation detection after an unclean election (KIP-320,
//!   Kafka 2.1+, `SubscriptionState.maybeCompleteValidation`);
//! - the replication factor checked against registered brokers, fenced ones
//!   included (`StripedReplicaPlacer`, KRaft);
//! - ISR rejoin at the high watermark (`Partition.isFollowerInSync`) and
//!   `min.insync.replicas` capped per partition (`Partition.effectiveMinIsr`, 3.7+).

use brokerlab_kafka::*;

fn cluster(elr: bool, unclean: bool) -> Cluster {
    Cluster::new(
        ClusterConfig {
            eligible_leader_replicas_enable: elr,
            unclean_leader_election_enable: unclean,
            ..ClusterConfig::default()
        },
        7,
    )
    .expect("cluster")
}

fn topic(c: &mut Cluster, replicas: Vec<Vec<u32>>, min_isr: u32) {
    let cfg = TopicConfig {
        replica_assignment: Some(replicas.clone()),
        min_insync_replicas: Some(min_isr),
        ..TopicConfig::new(replicas.len() as u32, replicas[0].len() as u32)
    };
    c.create_topic("t", cfg).expect("topic");
}

fn record(v: &str) -> ProducerRecord {
    ProducerRecord { topic: "t".into(), partition: Some(0), value: Some(v.as_bytes().to_vec()), ..Default::default() }
}

fn values(c: &Cluster) -> Vec<String> {
    c.records("t", 0)
        .expect("records")
        .iter()
        .map(|r| String::from_utf8(r.data.value.clone().unwrap_or_default()).expect("utf8"))
        .collect()
}

fn acks_one(c: &mut Cluster, name: &str) {
    c.create_producer(name, ProducerConfig { acks: Acks::One, enable_idempotence: false, ..ProducerConfig::default() })
        .expect("producer");
}

/// The audit's A13 scenario: a follower only leaves the ISR when there is
/// data to copy, so each pause is followed by a produce.
fn a13(c: &mut Cluster) {
    topic(c, vec![vec![0, 1, 2]], 2);
    c.create_producer("p", ProducerConfig::default()).expect("producer");
    c.set_replication_paused(2, true).expect("pause 2");
    c.produce("p", record("a")).expect("a");
    c.tick(45_000).expect("2 leaves the ISR at the leader's check at 45 s");
    assert_eq!(c.partition("t", 0).expect("p").isr, vec![0, 1]);
    c.set_replication_paused(1, true).expect("pause 1");
    c.produce("p", record("b")).expect("b");
    c.tick(45_000).expect("1 leaves the ISR at the leader's next check");
}

#[test]
fn kafka_4_1_a_replica_removed_while_the_isr_is_below_min_isr_joins_the_elr_and_is_elected_without_loss() {
    let mut c = cluster(true, false);
    a13(&mut c);
    let p = c.partition("t", 0).expect("p");
    // Broker 2 left while the ISR stayed at the minimum: not eligible.
    // Broker 1 left it below the minimum: eligible.
    assert_eq!((p.isr.clone(), p.elr.clone()), (vec![0], vec![1]));
    c.crash_broker(0).expect("crash");
    let events = c.tick(10_000).expect("fence");
    assert!(events.iter().any(|e| matches!(e, Event::LeaderElected { leader: 1, unclean: false, .. })));
    let p = c.partition("t", 0).expect("p");
    assert_eq!(p.leader, Some(1));
    assert_eq!(p.isr, vec![1], "the ELR member forms the ISR alone");
    assert_eq!(p.elr, vec![0], "the fenced old leader waits in the ELR");
    // "a" was committed (high watermark 1) and survives; "b" never reached
    // the minimum, was never acknowledged and is cut.
    assert_eq!(values(&c), vec!["a"]);
    assert!(!events.iter().any(|e| matches!(e, Event::RecordsTruncated { acknowledged_lost: n, .. } if *n > 0)));
}

#[test]
fn kafka_4_0_without_elr_the_same_partition_stays_offline_until_the_leader_returns() {
    let mut c = cluster(false, false);
    a13(&mut c);
    let p = c.partition("t", 0).expect("p");
    assert_eq!((p.isr.clone(), p.elr.clone()), (vec![0], vec![]));
    c.crash_broker(0).expect("crash");
    let events = c.tick(10_000).expect("fence");
    assert!(events.iter().any(|e| matches!(e, Event::PartitionOffline { .. })));
    let p = c.partition("t", 0).expect("p");
    assert_eq!((p.leader, p.isr.clone()), (None, vec![0]), "4.0 keeps the last ISR member");
    c.restart_broker(0).expect("restart");
    assert_eq!(c.partition("t", 0).expect("p").leader, Some(0));
}

/// Broker 2 stops with a controlled shutdown, a clean one: it keeps its
/// ELR place when it returns (see
/// `kafka_4_1_a_broker_back_from_an_unclean_shutdown_leaves_the_elr_and_cannot_lead`).
#[test]
fn kafka_4_1_the_isr_may_become_empty_and_the_elr_keeps_every_member_that_left_below_min_isr() {
    let mut c = cluster(true, false);
    topic(&mut c, vec![vec![0, 1, 2]], 2);
    c.crash_broker(1).expect("crash 1");
    c.tick(10_000).expect("fence 1");
    c.shutdown_broker(2).expect("shut 2 down");
    let p = c.partition("t", 0).expect("p");
    // 1 left at the minimum (ISR [0,2]); 2 left below it.
    assert_eq!((p.isr.clone(), p.elr.clone()), (vec![0], vec![2]));
    c.crash_broker(0).expect("crash 0");
    c.tick(10_000).expect("fence 0");
    let p = c.partition("t", 0).expect("p");
    assert_eq!((p.leader, p.isr.clone(), p.elr.clone()), (None, vec![], vec![0, 2]));
    // Broker 1 is not eligible: it would be an unclean leader. Broker 2 is.
    c.restart_broker(1).expect("restart 1");
    assert_eq!(c.partition("t", 0).expect("p").leader, None);
    c.restart_broker(2).expect("restart 2");
    let p = c.partition("t", 0).expect("p");
    assert_eq!((p.leader, p.isr.clone(), p.elr.clone()), (Some(2), vec![2], vec![0]));
}

/// RF 3, min ISR 2, ELR on, unclean election off: brokers 1 and 2 crash
/// (2 leaves the ISR below the minimum, into the ELR), then the leader 0
/// crashes: ISR `[]`, ELR `[0, 2]`, and `LastKnownElr` `[0]`.
fn everyone_crashed(c: &mut Cluster) {
    topic(c, vec![vec![0, 1, 2]], 2);
    c.crash_broker(1).expect("crash 1");
    c.tick(10_000).expect("fence 1");
    c.crash_broker(2).expect("crash 2");
    c.tick(10_000).expect("fence 2");
    c.crash_broker(0).expect("crash 0");
    c.tick(10_000).expect("fence 0");
    let p = c.partition("t", 0).expect("p");
    assert_eq!((p.leader, p.isr.clone(), p.elr.clone()), (None, vec![], vec![0, 2]));
}

fn partition_changes(c: &Cluster) -> Vec<String> {
    c.metadata_log_view()
        .records
        .iter()
        .filter(|r| matches!(r.record, MetadataPayload::PartitionChange { .. }))
        .map(|r| r.record.to_string())
        .collect()
}

/// KIP-966, as Kafka 4.1 runs it (ELR on by default for new clusters): a
/// broker that registers after an unclean shutdown (no clean-shutdown file,
/// so no `PreviousBrokerEpoch`; KAFKA-18635) is taken out of every ELR
/// (`ReplicationControlManager.handleBrokerUncleanShutdown`,
/// `PartitionChangeBuilder.setUncleanShutdownReplicas`), since a crash may
/// have cost it records it had. In the engine a crash is such a shutdown.
/// Broker 2, back from its crash, is live but no longer eligible, so the
/// partition stays offline: the `PartitionChangeRecord` written after its
/// `RegisterBrokerRecord` shows the ELR without it.
#[test]
fn kafka_4_1_a_broker_back_from_an_unclean_shutdown_leaves_the_elr_and_cannot_lead() {
    let mut c = cluster(true, false);
    everyone_crashed(&mut c);
    let events = c.restart_broker(2).expect("restart 2");
    assert!(events.iter().any(|e| matches!(
        e,
        Event::EligibleLeaderReplicaRemoved { broker: 2, elr, .. } if *elr == vec![0]
    )));
    assert!(events.iter().any(|e| matches!(e, Event::PartitionOffline { .. })));
    let p = c.partition("t", 0).expect("p");
    assert_eq!((p.leader, p.isr.clone(), p.elr.clone()), (None, vec![], vec![0]));
    let log = c.metadata_log_view().records;
    let register = log.iter().rposition(|r| matches!(r.record, MetadataPayload::RegisterBroker { broker: 2, .. }));
    let change = log.iter().rposition(|r| r.record.to_string() == "PartitionChangeRecord t-0 elr [0]");
    assert!(register.is_some() && change > register, "{:?}", partition_changes(&c));
}

/// KIP-966's last known leader (Kafka 4.1 docs, "Eligible Leader Replicas":
/// "Select the last known leader if it is unfenced"): when the ISR became
/// empty the controller recorded the leader in `LastKnownElr`
/// (`PartitionChangeBuilder.maybeUpdateLastKnownLeader`). With the ELR
/// empty too, that replica leads again when it is back, even after an
/// unclean shutdown and with unclean election off, and no other live
/// replica may; electing it clears `LastKnownElr`. With the ELR off the
/// field is never set.
#[test]
fn kafka_4_1_with_isr_and_elr_empty_only_the_last_known_leader_is_elected() {
    let mut c = cluster(true, false);
    everyone_crashed(&mut c);
    assert!(
        partition_changes(&c)
            .iter()
            .any(|r| r == "PartitionChangeRecord t-0 leader none isr [] elr [0,2] lastKnownElr [0]"),
        "{:?}",
        partition_changes(&c)
    );
    c.restart_broker(2).expect("restart 2");
    c.restart_broker(1).expect("restart 1");
    let p = c.partition("t", 0).expect("p");
    assert_eq!((p.leader, p.isr.clone(), p.elr.clone()), (None, vec![], vec![0]));
    // Broker 0 is back: out of the ELR (unclean shutdown), so ISR and ELR are
    // empty, and it is the last known leader.
    let events = c.restart_broker(0).expect("restart 0");
    assert!(events.iter().any(|e| matches!(e, Event::LeaderElected { leader: 0, unclean: false, .. })), "{events:?}");
    let p = c.partition("t", 0).expect("p");
    assert_eq!((p.leader, p.isr.clone(), p.elr.clone()), (Some(0), vec![0], vec![]));
    let changes = partition_changes(&c);
    let last = changes.last().expect("a change");
    assert!(last.contains("leader 0") && last.ends_with("lastKnownElr []"), "{changes:?}");

    let mut off = cluster(false, false);
    topic(&mut off, vec![vec![0, 1, 2]], 2);
    for b in [1, 2, 0] {
        off.crash_broker(b).expect("crash");
        off.tick(10_000).expect("fence");
    }
    assert!(partition_changes(&off).iter().all(|r| !r.contains("lastKnownElr")), "{:?}", partition_changes(&off));
}

#[test]
fn kafka_4_1_a_replica_back_in_the_isr_at_the_minimum_clears_the_elr() {
    let mut c = cluster(true, false);
    a13(&mut c);
    c.set_replication_paused(1, false).expect("resume 1");
    c.tick(200).expect("catch up");
    let p = c.partition("t", 0).expect("p");
    assert_eq!((p.isr.clone(), p.elr.clone()), (vec![0, 1], vec![]));
}

#[test]
fn kafka_3_7_the_high_watermark_stays_frozen_under_min_isr_whatever_the_elr_setting() {
    // Audit A2: the freeze has been unconditional since 3.7.0 (KAFKA-15583).
    for elr in [false, true] {
        let mut c = cluster(elr, false);
        topic(&mut c, vec![vec![0, 1, 2]], 2);
        c.crash_broker(1).expect("crash 1");
        c.crash_broker(2).expect("crash 2");
        c.tick(10_000).expect("fence");
        acks_one(&mut c, "p");
        c.produce("p", record("x")).expect("x");
        c.tick(100).expect("tick");
        let p = c.partition("t", 0).expect("p");
        assert_eq!((p.high_watermark, p.log_end_offset), (0, 1), "elr {elr}");
        c.restart_broker(1).expect("restart 1");
        c.tick(200).expect("catch up");
        assert_eq!(c.partition("t", 0).expect("p").high_watermark, 1, "elr {elr}");
    }
}

#[test]
fn kafka_4_1_with_unclean_election_enabled_the_elr_goes_first_and_an_unclean_leader_clears_it() {
    let mut c = cluster(true, true);
    a13(&mut c);
    c.crash_broker(0).expect("crash");
    let events = c.tick(10_000).expect("fence");
    assert!(events.iter().any(|e| matches!(e, Event::LeaderElected { leader: 1, unclean: false, .. })));
    // Now only broker 2 (outside ISR and ELR) is left.
    c.crash_broker(1).expect("crash 1");
    let events = c.tick(10_000).expect("fence 1");
    assert!(events.iter().any(|e| matches!(e, Event::LeaderElected { leader: 2, unclean: true, .. })));
    let p = c.partition("t", 0).expect("p");
    assert_eq!((p.isr.clone(), p.elr.clone()), (vec![2], vec![]));
}

/// The audit's A12 scenario (KIP-320): RF 2, unclean election, acks=1.
fn a12() -> Result<(Vec<ConsumerRecord>, Vec<Event>), KafkaError> {
    let mut c = cluster(true, true);
    topic(&mut c, vec![vec![0, 1]], 1);
    acks_one(&mut c, "p");
    for v in ["r0", "r1"] {
        c.produce("p", record(v)).expect("produce");
    }
    c.tick(100).expect("both replicas");
    c.set_replication_paused(1, true).expect("pause");
    for v in ["r2", "r3", "r4"] {
        c.produce("p", record(v)).expect("produce");
    }
    c.tick(45_000).expect("1 leaves the ISR at the leader's next check");
    c.create_consumer("c", ConsumerConfig { auto_offset_reset: OffsetReset::Earliest, ..ConsumerConfig::new("g") })
        .expect("consumer");
    c.subscribe("c", &["t".to_string()]).expect("subscribe");
    let (read, _) = c.poll("c", None).expect("poll");
    assert_eq!(read.iter().map(|r| r.offset).collect::<Vec<_>>(), vec![0, 1, 2, 3, 4]);
    c.crash_broker(0).expect("crash");
    let events = c.tick(10_000).expect("unclean election");
    assert!(events.iter().any(|e| matches!(e, Event::LeaderElected { leader: 1, unclean: true, .. })));
    assert!(events.iter().any(|e| matches!(e, Event::RecordsTruncated { from: 2, to: 5, .. })));
    for v in ["n2", "n3", "n4", "n5", "n6"] {
        c.produce("p", record(v)).expect("produce");
    }
    c.tick(100).expect("tick");
    c.poll("c", None)
}

#[test]
fn kip_320_after_an_unclean_election_a_consumer_seeks_back_to_the_first_diverging_offset() {
    let (records, events) = a12().expect("poll");
    assert!(events.iter().any(|e| matches!(e, Event::LogTruncationDetected { position: 5, reset_to: Some(2), .. })));
    assert_eq!(records.iter().map(|r| r.offset).collect::<Vec<_>>(), vec![2, 3, 4, 5, 6]);
    let v: Vec<String> =
        records.iter().map(|r| String::from_utf8(r.value.clone().unwrap_or_default()).expect("utf8")).collect();
    assert_eq!(v, vec!["n2", "n3", "n4", "n5", "n6"]);
}

#[test]
fn kip_320_with_auto_offset_reset_none_the_poll_fails_with_log_truncation_exception() {
    let mut c = cluster(true, true);
    topic(&mut c, vec![vec![0, 1]], 1);
    acks_one(&mut c, "p");
    c.produce("p", record("r0")).expect("produce");
    c.tick(100).expect("both replicas");
    c.set_replication_paused(1, true).expect("pause");
    c.produce("p", record("r1")).expect("produce");
    c.tick(45_000).expect("1 leaves the ISR at the leader's next check");
    c.create_consumer("c", ConsumerConfig { auto_offset_reset: OffsetReset::None, ..ConsumerConfig::new("g") })
        .expect("consumer");
    c.subscribe("c", &["t".to_string()]).expect("subscribe");
    c.poll("c", None).expect_err("no committed offset");
    c.commit("c", Some(vec![(TopicPartition::new("t", 0), 0)])).expect("commit 0");
    let (read, _) = c.poll("c", None).expect("poll");
    assert_eq!(read.len(), 2);
    c.crash_broker(0).expect("crash");
    c.tick(10_000).expect("unclean election");
    c.produce("p", record("n1")).expect("produce");
    c.tick(100).expect("tick");
    let outcome = c.apply(Command::Poll { consumer: "c".into(), max_records: None });
    assert_eq!(
        outcome.error,
        Some(KafkaError::LogTruncation { topic: "t".into(), partition: 0, offset: 2, diverging_offset: Some(1) })
    );
    assert!(outcome.events.iter().any(|e| matches!(e, Event::LogTruncationDetected { reset_to: None, .. })));
}

#[test]
fn kip_320_a_clean_leader_change_passes_validation_and_the_consumer_goes_on() {
    let mut c = cluster(true, false);
    topic(&mut c, vec![vec![0, 1, 2]], 2);
    c.create_producer("p", ProducerConfig::default()).expect("producer");
    for v in ["a", "b"] {
        c.produce("p", record(v)).expect("produce");
    }
    c.tick(200).expect("tick");
    c.create_consumer("c", ConsumerConfig { auto_offset_reset: OffsetReset::Earliest, ..ConsumerConfig::new("g") })
        .expect("consumer");
    c.subscribe("c", &["t".to_string()]).expect("subscribe");
    assert_eq!(c.poll("c", None).expect("poll").0.len(), 2);
    c.shutdown_broker(0).expect("controlled shutdown");
    c.produce("p", record("c")).expect("produce");
    c.tick(200).expect("tick");
    let (records, events) = c.poll("c", None).expect("poll");
    assert!(!events.iter().any(|e| matches!(e, Event::LogTruncationDetected { .. })));
    assert_eq!(records.iter().map(|r| r.offset).collect::<Vec<_>>(), vec![2]);
}

#[test]
fn kraft_a16_the_replication_factor_counts_registered_brokers_fenced_ones_included() {
    let mut c = cluster(true, false);
    c.crash_broker(2).expect("crash");
    c.tick(10_000).expect("fenced");
    assert!(c.brokers()[2].fenced);
    c.create_topic("rf3", TopicConfig::new(1, 3)).expect("an RF-3 topic on 2 live of 3 registered brokers");
    let p = c.partition("rf3", 0).expect("p");
    assert_eq!(p.replicas.len(), 3);
    assert!(p.leader.is_some_and(|l| l != 2));
    assert!(!p.isr.contains(&2), "created under-replicated");
    assert_eq!(
        c.create_topic("rf4", TopicConfig::new(1, 4)),
        Err(KafkaError::InvalidReplicationFactor { replication_factor: 4, brokers: 3 })
    );
}

#[test]
fn kafka_isr_rejoin_needs_the_high_watermark_not_the_leaders_whole_log() {
    // `Partition.isFollowerInSync`: LEO >= HW and >= the leader epoch's start.
    let mut c =
        Cluster::new(ClusterConfig { replica_fetch_max_records: 1, ..ClusterConfig::default() }, 7).expect("cluster");
    topic(&mut c, vec![vec![0, 1, 2]], 2);
    c.crash_broker(1).expect("crash 1");
    c.crash_broker(2).expect("crash 2");
    c.tick(10_000).expect("fence");
    acks_one(&mut c, "p");
    for v in ["x", "y", "z"] {
        c.produce("p", record(v)).expect("produce");
    }
    c.tick(100).expect("tick");
    assert_eq!(c.partition("t", 0).expect("p").high_watermark, 0, "frozen under min ISR");
    let events = c.restart_broker(1).expect("restart");
    assert!(events.iter().any(|e| matches!(e, Event::BrokerRestarted { broker: 1 })));
    let events = c.tick(100).expect("first fetch");
    assert!(events.iter().any(|e| matches!(e, Event::IsrExpanded { broker: 1, .. })));
    let p = c.partition("t", 0).expect("p");
    assert!(p.replicas[1].log_end_offset < p.log_end_offset, "it rejoined before copying everything");
    c.tick(300).expect("catch up");
    assert_eq!(c.partition("t", 0).expect("p").high_watermark, 3);
}

#[test]
fn kafka_3_7_min_insync_replicas_is_capped_by_each_partitions_own_replica_count() {
    let mut c = cluster(true, false);
    c.create_topic(
        "t",
        TopicConfig {
            replica_assignment: Some(vec![vec![0], vec![0, 1, 2]]),
            min_insync_replicas: Some(2),
            ..TopicConfig::new(2, 1)
        },
    )
    .expect("topic");
    c.crash_broker(1).expect("crash 1");
    c.crash_broker(2).expect("crash 2");
    c.tick(10_000).expect("fence");
    c.create_producer("p", ProducerConfig { retries: 0, ..ProducerConfig::default() }).expect("producer");
    // Partition 0 has one replica: its effective minimum is 1.
    c.produce("p", record("ok")).expect("produce");
    let events = c.tick(100).expect("tick");
    assert!(events.iter().any(|e| matches!(e, Event::RecordAcknowledged { partition: 0, .. })));
    // Partition 1 keeps the minimum of 2, which its ISR [0] is below.
    let (_, mut events) = c.produce("p", ProducerRecord { partition: Some(1), ..record("refused") }).expect("produce");
    events.extend(c.tick(100).expect("tick"));
    assert!(
        events
            .iter()
            .any(|e| matches!(e, Event::ProduceFailed { partition: 1, error: ProduceError::NotEnoughReplicas, .. }))
    );
}
