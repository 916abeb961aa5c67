//! Share groups (KIP-932, "Queues for Kafka", production-ready in Kafka 4.2).
//! Each test names the behaviour and where Kafka pins it:
//!
//! - KIP-932 (cwiki.apache.org/confluence/display/KAFKA/KIP-932) for the
//!   record states, delivery counts, acquisition locks and the SPSO/SPEO;
//! - `core/src/main/java/kafka/server/share/SharePartition.java` for how
//!   acquisition, release, lock timeout and the start offset move
//!   (`acquire`, `InFlightState.tryUpdateState`,
//!   `releaseAcquisitionLockOnTimeout`, `maybeUpdateCachedStateAndOffsets`);
//! - `ShareGroupConfig.java` for the defaults (`group.share.delivery.count.limit`
//!   5, `group.share.record.lock.duration.ms` 30000) and the Kafka 4.2 group
//!   configs page for `share.auto.offset.reset` (latest);
//! - the Kafka 4.1+ share consumer for `share.acknowledgement.mode`
//!   (implicit by default; explicit mode refuses a poll before every record
//!   of the previous one is acknowledged).

use brokerlab_kafka::*;
use proptest::prelude::*;
use std::collections::BTreeSet;

fn cluster_with(partitions: u32, records: u32) -> Cluster {
    let mut c = Cluster::new(ClusterConfig { brokers: 1, ..ClusterConfig::default() }, 11).expect("cluster");
    c.create_topic("jobs", TopicConfig::new(partitions, 1)).expect("topic");
    c.create_producer("p", ProducerConfig::default()).expect("producer");
    for i in 0..records {
        let record =
            ProducerRecord { partition: Some(i % partitions), ..ProducerRecord::unkeyed("jobs", format!("j{i}")) };
        c.produce("p", record).expect("produce");
    }
    c.tick(100).expect("tick");
    c
}

fn earliest(c: &mut Cluster, group: &str) {
    let config = ShareGroupConfig { auto_offset_reset: ShareOffsetReset::Earliest, ..ShareGroupConfig::default() };
    c.alter_share_group_config(group, config).expect("group config");
}

fn join(c: &mut Cluster, name: &str, mode: AcknowledgementMode) {
    let config = ShareConsumerConfig { acknowledgement_mode: mode, ..ShareConsumerConfig::new("workers") };
    c.create_share_consumer(name, config).expect("share consumer");
    c.share_subscribe(name, &["jobs".to_string()]).expect("subscribe");
}

fn offsets(records: &[ConsumerRecord]) -> Vec<i64> {
    records.iter().map(|r| r.offset).collect()
}

fn tp() -> TopicPartition {
    TopicPartition::new("jobs", 0)
}

fn record(c: &Cluster, offset: i64) -> ShareRecordView {
    let view = c.share_partition("workers", "jobs", 0).expect("share-partition");
    view.in_flight.into_iter().find(|r| r.offset == offset).expect("in flight")
}

#[test]
fn more_consumers_than_partitions_all_receive_work() {
    // KIP-932: a share group has no limit of one consumer per partition;
    // several members acquire different records of the same partition.
    let mut c = cluster_with(2, 20);
    earliest(&mut c, "workers");
    let names = ["w1", "w2", "w3", "w4", "w5"];
    for n in names {
        join(&mut c, n, AcknowledgementMode::Explicit);
    }
    let mut seen = BTreeSet::new();
    for n in names {
        let (records, _) = c.share_poll(n, Some(3)).expect("poll");
        assert_eq!(records.len(), 3, "{n} got {records:?}");
        for r in records {
            assert!(seen.insert((r.partition, r.offset)), "{n} got {}-{} twice", r.partition, r.offset);
        }
    }
    assert_eq!(seen.len(), 15);
}

#[test]
fn a_released_record_is_redelivered_with_its_delivery_count_raised() {
    // KIP-932 RELEASE: the record is available again and keeps its count;
    // the next acquisition raises it (tryUpdateState(ACQUIRED, increment)).
    let mut c = cluster_with(1, 3);
    earliest(&mut c, "workers");
    join(&mut c, "a", AcknowledgementMode::Explicit);
    join(&mut c, "b", AcknowledgementMode::Explicit);
    let (first, _) = c.share_poll("a", Some(1)).expect("poll");
    assert_eq!(offsets(&first), vec![0]);
    let events = c.share_acknowledge("a", &tp(), 0, AcknowledgeType::Release).expect("release");
    assert!(events.iter().any(|e| matches!(
        e,
        Event::ShareRecordReleased { offset: 0, delivery_count: 1, reason: ShareReleaseReason::Released, .. }
    )));
    assert_eq!(record(&c, 0).state, ShareRecordState::Available);
    let (again, events) = c.share_poll("b", Some(1)).expect("poll");
    assert_eq!(offsets(&again), vec![0]);
    assert!(events.iter().any(|e| matches!(e, Event::ShareRecordAcquired { offset: 0, delivery_count: 2, .. })));
    let r = record(&c, 0);
    assert_eq!((r.state, r.delivery_count, r.consumer.as_deref()), (ShareRecordState::Acquired, 2, Some("b")));
}

#[test]
fn the_fifth_failed_delivery_archives_the_record() {
    // group.share.delivery.count.limit = 5 (ShareGroupConfig): a release
    // with the count at the limit archives instead of making it available.
    let mut c = cluster_with(1, 2);
    earliest(&mut c, "workers");
    join(&mut c, "a", AcknowledgementMode::Explicit);
    for attempt in 1..=5u16 {
        let (got, events) = c.share_poll("a", Some(1)).expect("poll");
        assert_eq!(offsets(&got), vec![0], "attempt {attempt}");
        assert!(
            events
                .iter()
                .any(|e| matches!(e, Event::ShareRecordAcquired { delivery_count, .. } if *delivery_count == attempt))
        );
        let events = c.share_acknowledge("a", &tp(), 0, AcknowledgeType::Release).expect("release");
        let archived =
            events.iter().any(|e| matches!(e, Event::ShareRecordArchived { offset: 0, delivery_count: 5, .. }));
        assert_eq!(archived, attempt == 5, "attempt {attempt}");
    }
    // Archived at the start, so the SPSO moved past it; the next poll gets offset 1.
    let view = c.share_partition("workers", "jobs", 0).expect("view");
    assert_eq!(view.start_offset, 1);
    let (next, _) = c.share_poll("a", None).expect("poll");
    assert_eq!(offsets(&next), vec![1]);
}

#[test]
fn lock_expiry_releases_the_record() {
    // share.record.lock.duration.ms defaults to 30000 (group.share.record.lock.duration.ms);
    // on timeout the record becomes available again (releaseAcquisitionLockOnTimeout),
    // and the late acknowledgement gets INVALID_RECORD_STATE.
    let mut c = cluster_with(1, 1);
    earliest(&mut c, "workers");
    join(&mut c, "a", AcknowledgementMode::Explicit);
    join(&mut c, "b", AcknowledgementMode::Explicit);
    let now = c.now();
    c.share_poll("a", None).expect("poll");
    assert_eq!(record(&c, 0).locked_until, Some(now + 30_000));
    c.tick(29_999).expect("tick");
    assert_eq!(record(&c, 0).state, ShareRecordState::Acquired);
    let events = c.tick(1).expect("tick");
    assert!(
        events.iter().any(|e| matches!(
            e,
            Event::ShareRecordReleased { offset: 0, reason: ShareReleaseReason::LockExpired, .. }
        ))
    );
    assert_eq!(record(&c, 0).state, ShareRecordState::Available);
    let late = c.share_acknowledge("a", &tp(), 0, AcknowledgeType::Accept).expect_err("expired");
    assert!(matches!(late, KafkaError::InvalidRecordState { offset: 0, .. }), "{late:?}");
    let (got, _) = c.share_poll("b", None).expect("poll");
    assert_eq!(offsets(&got), vec![0]);
    assert_eq!(record(&c, 0).delivery_count, 2);
}

#[test]
fn a_rejected_record_is_never_redelivered() {
    // KIP-932 REJECT: archived, never delivered to any consumer again.
    let mut c = cluster_with(1, 2);
    earliest(&mut c, "workers");
    join(&mut c, "a", AcknowledgementMode::Explicit);
    join(&mut c, "b", AcknowledgementMode::Explicit);
    c.share_poll("a", Some(1)).expect("poll");
    let events = c.share_acknowledge("a", &tp(), 0, AcknowledgeType::Reject).expect("reject");
    assert!(events.iter().any(|e| matches!(e, Event::ShareRecordRejected { offset: 0, .. })));
    c.tick(60_000).expect("tick");
    for n in ["a", "b"] {
        let (got, _) = c.share_poll(n, None).expect("poll");
        assert!(!offsets(&got).contains(&0), "{n} got the rejected record");
        for r in got {
            c.share_acknowledge(n, &tp(), r.offset, AcknowledgeType::Release).expect("release");
        }
    }
}

#[test]
fn the_start_offset_moves_only_past_acknowledged_and_archived_records() {
    // maybeUpdateCachedStateAndOffsets: the SPSO moves only when the record
    // at it is ACKNOWLEDGED or ARCHIVED, then past every such record in a row.
    let mut c = cluster_with(1, 4);
    earliest(&mut c, "workers");
    join(&mut c, "a", AcknowledgementMode::Explicit);
    let (got, _) = c.share_poll("a", None).expect("poll");
    assert_eq!(offsets(&got), vec![0, 1, 2, 3]);
    let view = c.share_partition("workers", "jobs", 0).expect("view");
    assert_eq!((view.start_offset, view.end_offset), (0, 3));
    c.share_acknowledge("a", &tp(), 1, AcknowledgeType::Accept).expect("accept");
    c.share_acknowledge("a", &tp(), 2, AcknowledgeType::Reject).expect("reject");
    assert_eq!(c.share_partition("workers", "jobs", 0).expect("view").start_offset, 0);
    c.share_acknowledge("a", &tp(), 3, AcknowledgeType::Release).expect("release");
    assert_eq!(c.share_partition("workers", "jobs", 0).expect("view").start_offset, 0);
    let events = c.share_acknowledge("a", &tp(), 0, AcknowledgeType::Accept).expect("accept");
    assert!(events.iter().any(|e| matches!(e, Event::ShareStartOffsetMoved { start_offset: 3, .. })));
    let view = c.share_partition("workers", "jobs", 0).expect("view");
    // Offset 3 was released, so it is the one record still in flight.
    assert_eq!((view.start_offset, view.end_offset), (3, 3));
    assert_eq!(view.in_flight.len(), 1);
    assert_eq!(view.in_flight[0].state, ShareRecordState::Available);
}

#[test]
fn implicit_mode_accepts_the_previous_poll_and_refuses_acknowledge() {
    // share.acknowledgement.mode=implicit (the default since Kafka 4.1): the
    // next poll accepts what the last one delivered; acknowledge() is an
    // IllegalStateException.
    let mut c = cluster_with(1, 6);
    earliest(&mut c, "workers");
    join(&mut c, "a", AcknowledgementMode::Implicit);
    assert_eq!(ShareConsumerConfig::default().acknowledgement_mode, AcknowledgementMode::Implicit);
    let (got, _) = c.share_poll("a", Some(3)).expect("poll");
    assert_eq!(offsets(&got), vec![0, 1, 2]);
    let refused = c.share_acknowledge("a", &tp(), 0, AcknowledgeType::Accept).expect_err("implicit");
    assert!(matches!(refused, KafkaError::ShareConsumerMisuse { .. }), "{refused:?}");
    let (next, events) = c.share_poll("a", Some(3)).expect("poll");
    assert_eq!(offsets(&next), vec![3, 4, 5]);
    let accepted = events.iter().filter(|e| matches!(e, Event::ShareRecordAccepted { .. })).count();
    assert_eq!(accepted, 3);
    assert_eq!(c.share_partition("workers", "jobs", 0).expect("view").start_offset, 3);
}

#[test]
fn explicit_mode_refuses_to_poll_before_every_record_is_acknowledged() {
    let mut c = cluster_with(1, 4);
    earliest(&mut c, "workers");
    join(&mut c, "a", AcknowledgementMode::Explicit);
    c.share_poll("a", Some(2)).expect("poll");
    c.share_acknowledge("a", &tp(), 0, AcknowledgeType::Accept).expect("accept");
    let refused = c.share_poll("a", None).expect_err("one left");
    assert!(matches!(refused, KafkaError::ShareConsumerMisuse { .. }), "{refused:?}");
    let twice = c.share_acknowledge("a", &tp(), 0, AcknowledgeType::Accept).expect_err("twice");
    assert!(matches!(twice, KafkaError::ShareConsumerMisuse { .. }), "{twice:?}");
    c.share_acknowledge("a", &tp(), 1, AcknowledgeType::Accept).expect("accept");
    let (next, _) = c.share_poll("a", None).expect("poll");
    assert_eq!(offsets(&next), vec![2, 3]);
}

#[test]
fn the_in_flight_window_caps_records_between_start_and_end() {
    // group.share.partition.max.record.locks: no new records are acquired
    // while the window from the SPSO is full.
    let mut c = cluster_with(1, 150);
    let config = ShareGroupConfig {
        auto_offset_reset: ShareOffsetReset::Earliest,
        partition_max_record_locks: 100,
        ..ShareGroupConfig::default()
    };
    c.alter_share_group_config("workers", config).expect("config");
    join(&mut c, "a", AcknowledgementMode::Implicit);
    join(&mut c, "b", AcknowledgementMode::Implicit);
    let (got, _) = c.share_poll("a", None).expect("poll");
    assert_eq!(got.len(), 100);
    let (none, _) = c.share_poll("b", None).expect("poll");
    assert!(none.is_empty());
    // a's next poll accepts its 100, the SPSO moves to 100 and 50 more fit.
    let (rest, _) = c.share_poll("a", None).expect("poll");
    assert_eq!(offsets(&rest), (100..150).collect::<Vec<i64>>());
}

#[test]
fn a_share_group_starts_at_the_latest_offset_by_default() {
    // share.auto.offset.reset defaults to latest (Kafka 4.2 group configs).
    let mut c = cluster_with(1, 5);
    join(&mut c, "a", AcknowledgementMode::Implicit);
    assert_eq!(c.share_partition("workers", "jobs", 0).expect("view").start_offset, 5);
    let (none, _) = c.share_poll("a", None).expect("poll");
    assert!(none.is_empty());
    c.produce("p", ProducerRecord::unkeyed("jobs", "late")).expect("produce");
    c.tick(100).expect("tick");
    let (got, _) = c.share_poll("a", None).expect("poll");
    assert_eq!(offsets(&got), vec![5]);
}

#[test]
fn closing_a_member_releases_what_it_still_holds() {
    let mut c = cluster_with(1, 3);
    earliest(&mut c, "workers");
    join(&mut c, "a", AcknowledgementMode::Explicit);
    c.share_poll("a", None).expect("poll");
    let events = c.close_share_consumer("a").expect("close");
    let released = events
        .iter()
        .filter(|e| matches!(e, Event::ShareRecordReleased { reason: ShareReleaseReason::MemberLeft, .. }))
        .count();
    assert_eq!(released, 3);
    assert!(events.iter().any(|e| matches!(e, Event::ShareMemberLeft { .. })));
    assert_eq!(c.share_poll("a", None).expect_err("closed"), KafkaError::ConsumerClosed("a".into()));
    assert_eq!(c.share_group("workers").expect("group").members, Vec::<String>::new());
}

#[test]
fn a_group_id_has_one_type() {
    // KIP-932: a group id is a consumer group or a share group, not both
    // (GROUP_ID_NOT_FOUND for the other type).
    let mut c = cluster_with(1, 0);
    c.create_consumer("classic", ConsumerConfig::new("orders")).expect("consumer");
    let refused = c.create_share_consumer("s", ShareConsumerConfig::new("orders")).expect_err("taken");
    assert!(matches!(refused, KafkaError::GroupIdNotFound { .. }), "{refused:?}");
    join(&mut c, "w", AcknowledgementMode::Implicit);
    let refused = c.create_consumer("c2", ConsumerConfig::new("workers")).expect_err("share group");
    assert!(matches!(refused, KafkaError::GroupIdNotFound { .. }), "{refused:?}");
    let bad = ShareGroupConfig { delivery_count_limit: 1, ..ShareGroupConfig::default() };
    let refused = c.alter_share_group_config("workers", bad).expect_err("range");
    assert!(matches!(refused, KafkaError::InvalidConfig { ref key, .. } if key == "group.share.delivery.count.limit"));
}

#[derive(Debug, Clone)]
enum Step {
    Produce(u8),
    Poll(usize),
    Ack(usize, u8),
    Close(usize),
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        4 => any::<u8>().prop_map(Step::Produce),
        3 => (0..3usize).prop_map(Step::Poll),
        4 => (0..3usize, 0..3u8).prop_map(|(i, k)| Step::Ack(i, k)),
        1 => (0..3usize).prop_map(Step::Close),
    ]
}

const MEMBERS: [&str; 3] = ["x", "y", "z"];

fn build(seed: u64) -> Cluster {
    let mut c = Cluster::new(ClusterConfig { brokers: 1, ..ClusterConfig::default() }, seed).expect("cluster");
    c.create_topic("jobs", TopicConfig::new(2, 1)).expect("topic");
    c.create_producer("p", ProducerConfig::default()).expect("producer");
    let config = ShareGroupConfig {
        auto_offset_reset: ShareOffsetReset::Earliest,
        record_lock_duration_ms: 2_000,
        delivery_count_limit: 3,
        ..ShareGroupConfig::default()
    };
    c.alter_share_group_config("workers", config).expect("config");
    for (i, n) in MEMBERS.iter().enumerate() {
        let mode = if i == 0 { AcknowledgementMode::Implicit } else { AcknowledgementMode::Explicit };
        join(&mut c, n, mode);
    }
    c
}

/// Runs one step; an explicit member acknowledges the oldest record it holds.
fn run(c: &mut Cluster, s: &Step) -> Outcome {
    match s {
        Step::Produce(k) => {
            c.apply(Command::Produce { producer: "p".into(), record: ProducerRecord::keyed("jobs", [*k], "v") })
        }
        Step::Poll(i) => c.apply(Command::SharePoll { consumer: MEMBERS[*i].into(), max_records: Some(3) }),
        Step::Ack(i, k) => {
            let member = MEMBERS[*i];
            let held = c.share_consumer_view(member).ok().and_then(|v| v.unacknowledged.into_iter().next());
            let kind = [AcknowledgeType::Accept, AcknowledgeType::Release, AcknowledgeType::Reject][*k as usize];
            let (partition, offset) = held.unwrap_or((TopicPartition::new("jobs", 0), 0));
            c.apply(Command::ShareAcknowledge { consumer: member.into(), partition, offset, kind })
        }
        Step::Close(i) => c.apply(Command::CloseShareConsumer { consumer: MEMBERS[*i].into() }),
    }
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(64),
        ..ProptestConfig::default()
    })]

    /// Lock expiry is an exact deadline of continuous time: cutting the gaps
    /// between steps into other ticks gives the same events and views.
    #[test]
    fn cutting_time_differently_gives_the_same_share_group_run(
        seed in any::<u64>(),
        timeline in prop::collection::vec(((0..5_000u64, prop::collection::vec(0..1_000u64, 0..5)), step()), 1..40),
    ) {
        let (mut whole, mut cut) = (build(seed), build(seed));
        let (mut whole_events, mut cut_events) = (Vec::new(), Vec::new());
        let quiet = |e: &Event| !matches!(e, Event::Ticked { .. });
        for (n, ((gap, cuts), s)) in timeline.iter().enumerate() {
            whole_events.extend(whole.tick(*gap).expect("tick").into_iter().filter(quiet));
            let mut points: Vec<u64> = cuts.iter().map(|f| gap * f / 1_000).collect();
            points.sort_unstable();
            let mut at = 0;
            for p in points.into_iter().chain([*gap]) {
                cut_events.extend(cut.tick(p - at).expect("tick").into_iter().filter(quiet));
                at = p;
            }
            let (x, y) = (run(&mut whole, s), run(&mut cut, s));
            prop_assert_eq!(&x, &y, "seed {} step {} {:?}", seed, n, s);
            whole_events.extend(x.events);
            cut_events.extend(y.events);
        }
        prop_assert_eq!(whole_events, cut_events, "seed {}", seed);
        prop_assert_eq!(whole.share_group("workers"), cut.share_group("workers"), "seed {}", seed);
        for m in MEMBERS {
            prop_assert_eq!(whole.share_consumer_view(m), cut.share_consumer_view(m), "seed {}", seed);
        }
    }
}
