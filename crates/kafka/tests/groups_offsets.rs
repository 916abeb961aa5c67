//! Committed offsets and lag over time, and the classic group's initial
//! rebalance delay (Kafka 4.0 `group-coordinator`: `OffsetMetadataManager`,
//! `ClassicGroup.offsetExpirationCondition`, `GroupMetadataManager.prepareRebalance`).

use brokerlab_kafka::*;

const MINUTE: u64 = 60_000;
const DAY: u64 = 24 * 60 * MINUTE;

fn cluster(config: ClusterConfig) -> Cluster {
    let mut c = Cluster::new(ClusterConfig { brokers: 1, ..config }, 3).expect("cluster");
    c.create_topic("t", TopicConfig { retention_ms: -1, ..TopicConfig::new(1, 1) }).expect("topic");
    c.create_producer("p", ProducerConfig { acks: Acks::One, enable_idempotence: false, ..ProducerConfig::default() })
        .expect("producer");
    for i in 0..3 {
        c.produce("p", ProducerRecord::unkeyed("t", format!("{i}"))).expect("produce");
    }
    c.tick(100).expect("replicate");
    c
}

fn tp() -> TopicPartition {
    TopicPartition::new("t", 0)
}

fn consumer(c: &mut Cluster, name: &str, group: &str, tweak: impl FnOnce(&mut ConsumerConfig)) {
    let mut cfg = ConsumerConfig {
        auto_offset_reset: OffsetReset::Earliest,
        enable_auto_commit: false,
        ..ConsumerConfig::new(group)
    };
    tweak(&mut cfg);
    c.create_consumer(name, cfg).expect("consumer");
    c.subscribe(name, &["t".to_string()]).expect("subscribe");
}

/// Audit A19; `offsets.retention.minutes` (7 days since Kafka 2.0, KIP-186)
/// counts from the instant a classic group became Empty
/// (`currentStateTimestamp`), and the coordinator deletes expired offsets at
/// its next check (`offsets.retention.check.interval.ms`, 10 minutes); an
/// Empty group without offsets is deleted.
#[test]
fn offsets_expire_seven_days_after_a_classic_group_became_empty() {
    let mut c = cluster(ClusterConfig::default());
    // A member that may go two days between polls stays for the first day.
    consumer(&mut c, "c", "g", |cfg| cfg.max_poll_interval_ms = 2 * DAY);
    c.poll("c", None).expect("read");
    c.commit("c", None).expect("commit");
    c.tick(DAY).expect("a day of membership does not count");
    assert_eq!(c.group("g").expect("g").state, GroupStateView::Stable);
    c.close_consumer("c").expect("close");
    let empty_at = c.now();
    assert_eq!(c.group("g").expect("g").state, GroupStateView::Empty);
    c.tick(7 * DAY - 1).expect("just short of seven days");
    assert_eq!(c.group("g").expect("g").committed, vec![(tp(), 3)]);
    // The first check at or after empty_at + 7 days removes it.
    let check = (empty_at + 7 * DAY).div_ceil(10 * MINUTE) * (10 * MINUTE);
    let events = c.tick(check - c.now()).expect("to the check");
    assert!(events.iter().any(|e| matches!(e, Event::OffsetsExpired { group, .. } if group == "g")), "{events:?}");
    assert!(
        events.iter().any(|e| matches!(e, Event::GroupStateChanged { to: GroupStateView::Dead, .. })),
        "{events:?}"
    );
    assert_eq!(c.group("g"), None);
}

/// A consumer-protocol group keeps the offsets of topics its members
/// subscribe to however old, and expires the others from their commit
/// (`ConsumerGroup.offsetExpirationCondition`, `isSubscribedToTopic`).
#[test]
fn a_consumer_group_expires_only_offsets_of_topics_no_member_subscribes_to() {
    let mut c = cluster(ClusterConfig { offsets_retention_minutes: 60, ..ClusterConfig::default() });
    c.create_topic("other", TopicConfig::new(1, 1)).expect("topic");
    consumer(&mut c, "c", "g", |cfg| {
        cfg.group_protocol = GroupProtocol::Consumer;
        cfg.max_poll_interval_ms = 3 * 60 * MINUTE;
    });
    c.poll("c", None).expect("join and read");
    c.commit("c", Some(vec![(tp(), 3), (TopicPartition::new("other", 0), 0)])).expect("commit");
    let events = c.tick(2 * 60 * MINUTE).expect("two hours");
    assert!(events.iter().any(|e| matches!(e, Event::OffsetsExpired { partitions, .. } if partitions == &vec![TopicPartition::new("other", 0)])));
    assert_eq!(c.group("g").expect("g").committed, vec![(tp(), 3)]);
}

/// Audit A19: without a commit the lag is unknown (`kafka-consumer-groups`
/// prints "-"); for a read_committed reader it ends at the last stable
/// offset, as the consumer's `records-lag` does, so an open transaction is not lag.
#[test]
fn lag_is_unknown_without_a_commit_and_ends_at_the_lso_for_read_committed() {
    let mut c = cluster(ClusterConfig::default());
    consumer(&mut c, "plain", "g1", |_| {});
    consumer(&mut c, "rc", "g2", |cfg| cfg.isolation_level = IsolationLevel::ReadCommitted);
    c.poll("plain", None).expect("join");
    c.poll("rc", None).expect("join");
    assert_eq!(c.group_lag("g1")[0].lag, None);
    c.commit("plain", Some(vec![(tp(), 3)])).expect("commit");
    c.commit("rc", Some(vec![(tp(), 3)])).expect("commit");
    c.create_producer("tx", ProducerConfig { transactional_id: Some("tx".into()), ..ProducerConfig::default() })
        .expect("producer");
    c.init_transactions("tx").expect("init");
    c.begin_transaction("tx").expect("begin");
    c.produce("tx", ProducerRecord::unkeyed("t", "open")).expect("produce");
    c.tick(100).expect("replicate");
    let plain = &c.group_lag("g1")[0];
    let rc = &c.group_lag("g2")[0];
    assert_eq!((plain.log_end_offset, plain.lag), (4, Some(1)));
    assert_eq!((rc.log_end_offset, rc.lag), (3, Some(0)));
}

/// Audit A15; `group.initial.rebalance.delay.ms` (Kafka's default 3000): a
/// new classic group waits that long after the first JoinGroup, and each
/// newcomer within the delay extends it by as much again
/// (`tryCompleteInitialRebalanceElseSchedule`), so members starting together
/// form one generation.
#[test]
fn members_joining_within_the_initial_delay_form_one_generation() {
    let mut c = cluster(ClusterConfig {
        group_initial_rebalance_delay_ms: KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS,
        ..ClusterConfig::default()
    });
    for n in ["a", "b"] {
        consumer(&mut c, n, "g", |_| {});
    }
    c.poll("a", None).expect("a joins at 100");
    assert_eq!(c.group("g").expect("g").state, GroupStateView::PreparingRebalance);
    c.tick(2_000).expect("tick");
    c.poll("b", None).expect("b joins at 2100");
    c.tick(999).expect("to 3099");
    assert_eq!(c.group("g").expect("g").state, GroupStateView::PreparingRebalance);
    // The first delay ends at 3100 with a newcomer: it runs another 3 s.
    c.tick(1).expect("3100");
    assert_eq!(c.group("g").expect("g").join_deadline_ms, Some(6_100));
    let events = c.tick(3_000).expect("6100");
    assert!(events.iter().any(|e| matches!(e, Event::RebalanceCompleted { generation: 1, .. })), "{events:?}");
    assert_eq!(c.group("g").expect("g").generation, 1, "one generation for both");
    c.poll("a", None).expect("apply");
    c.poll("b", None).expect("apply");
    let a = c.consumer("a").expect("a").assignment.len();
    let b = c.consumer("b").expect("b").assignment.len();
    assert_eq!(a + b, 1);
}
