//! Brokers with time, as the KRaft controller runs them (apache/kafka trunk
//! 1eb7644, 4.0.0-SNAPSHOT: `metadata/.../controller/BrokerHeartbeatManager`,
//! `ReplicationControlManager`, `QuorumController`; `KRaftConfigs` and
//! `ReplicationConfigs` defaults):
//!
//! - a crashed broker is fenced only when its session expires,
//!   `broker.session.timeout.ms` (9 s) after its last heartbeat (sent every
//!   `broker.heartbeat.interval.ms`, 2 s); until then it still leads and
//!   stays in every ISR;
//! - a controlled shutdown moves leadership and leaves the ISRs first;
//! - a broker restarted while its old session is valid cannot register
//!   (`DuplicateBrokerRegistrationException`) until that session expires;
//! - `auto.leader.rebalance.enable` (true) moves leadership back to the
//!   preferred replica `leader.imbalance.check.interval.seconds` (300 s)
//!   after a partition lost it; `kafka-leader-election` does it at once.

use brokerlab_kafka::*;

fn cluster(brokers: u32) -> Cluster {
    Cluster::new(ClusterConfig { brokers, ..ClusterConfig::default() }, 7).expect("cluster")
}

fn topic(c: &mut Cluster, replicas: Vec<Vec<u32>>) {
    let cfg = TopicConfig {
        replica_assignment: Some(replicas.clone()),
        ..TopicConfig::new(replicas.len() as u32, replicas[0].len() as u32)
    };
    c.create_topic("t", cfg).expect("topic");
}

fn record(v: &str) -> ProducerRecord {
    ProducerRecord { topic: "t".into(), partition: Some(0), value: Some(v.as_bytes().to_vec()), ..Default::default() }
}

fn fenced_at(events: &[Event], broker: u32) -> bool {
    events.iter().any(|e| matches!(e, Event::BrokerFenced { broker: b } if *b == broker))
}

#[test]
fn kraft_a_crashed_leader_is_fenced_after_broker_session_timeout_ms_not_at_once() {
    let mut c = cluster(3);
    topic(&mut c, vec![vec![0, 1, 2]]);
    c.tick(3_000).expect("tick");
    // Crash at 3 s: the last heartbeat was at 2 s, the session holds until 11 s.
    let events = c.crash_broker(0).expect("crash");
    assert!(!events.iter().any(|e| matches!(e, Event::LeaderElected { .. })), "no election at the crash");
    let p = c.partition("t", 0).expect("p");
    assert_eq!((p.leader, p.isr.clone()), (Some(0), vec![0, 1, 2]), "the metadata still names broker 0");
    assert!(!p.replicas[0].alive);
    let b = &c.brokers()[0];
    assert_eq!((b.alive, b.fenced, b.session_expires_ms, b.leader_count), (false, false, Some(11_001), 1));
    let events = c.tick(8_000).expect("until 11 s");
    assert!(!fenced_at(&events, 0), "still within broker.session.timeout.ms");
    let events = c.tick(1).expect("11.001 s");
    assert!(fenced_at(&events, 0));
    assert!(events.iter().any(|e| matches!(
        e,
        Event::LeaderElected { leader: 1, reason: ElectionReason::LeaderCrashed { broker: 0 }, .. }
    )));
    let p = c.partition("t", 0).expect("p");
    assert_eq!((p.leader, p.isr.clone()), (Some(1), vec![1, 2]));
    assert!(c.brokers()[0].fenced);
}

#[test]
fn kraft_produce_to_a_crashed_unfenced_leader_waits_and_lands_on_the_new_leader() {
    let mut c = cluster(3);
    topic(&mut c, vec![vec![0, 1, 2]]);
    c.create_producer("p", ProducerConfig::default()).expect("producer");
    c.crash_broker(0).expect("crash");
    let (receipt, _) = c.produce("p", record("x")).expect("send() does not fail");
    assert_eq!(receipt.offset, None, "the leader cannot be reached");
    c.tick(9_000).expect("within the session");
    assert_eq!(c.partition("t", 0).expect("p").log_end_offset, 0, "nothing written while broker 0 is unfenced");
    let events = c.tick(1_500).expect("fence and retry");
    assert!(events.iter().any(|e| matches!(e, Event::RecordAcknowledged { offset: 0, .. })));
    assert_eq!(c.partition("t", 0).expect("p").leader, Some(1));
}

#[test]
fn kraft_acks_all_stalls_while_a_crashed_follower_is_still_in_the_isr() {
    let mut c = cluster(3);
    topic(&mut c, vec![vec![0, 1, 2]]);
    c.create_producer("p", ProducerConfig::default()).expect("producer");
    c.crash_broker(2).expect("crash");
    c.produce("p", record("x")).expect("produce");
    let events = c.tick(8_000).expect("within the session");
    assert!(!events.iter().any(|e| matches!(e, Event::RecordAcknowledged { .. })), "broker 2 holds the HW");
    assert_eq!(c.partition("t", 0).expect("p").high_watermark, 0);
    let events = c.tick(1_500).expect("fenced at 9.001 s");
    assert!(
        events.iter().any(|e| matches!(e, Event::IsrShrunk { broker: 2, reason: IsrShrinkReason::BrokerCrashed, .. }))
    );
    assert!(events.iter().any(|e| matches!(e, Event::RecordAcknowledged { offset: 0, .. })));
}

#[test]
fn kraft_a_restart_within_the_old_session_registers_when_it_expires() {
    let mut c = cluster(2);
    topic(&mut c, vec![vec![0, 1]]);
    c.crash_broker(0).expect("crash");
    c.tick(1_000).expect("tick");
    let events = c.restart_broker(0).expect("restart");
    assert!(events.iter().any(|e| matches!(e, Event::BrokerRegistrationDelayed { broker: 0, until: 9_001 })));
    assert_eq!(c.restart_broker(0), Err(KafkaError::BrokerAlreadyRunning(0)));
    assert!(!c.brokers()[0].alive);
    let events = c.tick(8_001).expect("session expires");
    let fenced = events.iter().position(|e| matches!(e, Event::BrokerFenced { broker: 0 }));
    let back = events.iter().position(|e| matches!(e, Event::BrokerRestarted { broker: 0 }));
    assert!(fenced.is_some() && back > fenced, "fenced first, then registered: {events:?}");
    assert_eq!(c.partition("t", 0).expect("p").leader, Some(1), "leadership moved at the fence");
    assert!(c.brokers()[0].alive);
}

#[test]
fn kraft_controlled_shutdown_moves_leadership_first_with_no_unavailability() {
    let mut c = cluster(3);
    topic(&mut c, vec![vec![0, 1, 2]]);
    c.create_producer("p", ProducerConfig::default()).expect("producer");
    let events = c.shutdown_broker(0).expect("shutdown");
    let order: Vec<usize> = [
        events.iter().position(|e| matches!(e, Event::BrokerFenced { broker: 0 })),
        events.iter().position(|e| {
            matches!(
                e,
                Event::LeaderElected { leader: 1, reason: ElectionReason::ControlledShutdown { broker: 0 }, .. }
            )
        }),
        events.iter().position(|e| matches!(e, Event::BrokerShutDown { broker: 0 })),
    ]
    .into_iter()
    .map(|p| p.expect("event"))
    .collect();
    assert!(order.windows(2).all(|w| w[0] < w[1]), "{events:?}");
    assert!(
        events
            .iter()
            .any(|e| matches!(e, Event::IsrShrunk { broker: 0, reason: IsrShrinkReason::ControlledShutdown, .. }))
    );
    c.produce("p", record("x")).expect("produce");
    let events = c.tick(KAFKA_4_LINGER_MS).expect("linger.ms");
    assert!(
        events.iter().any(|e| matches!(e, Event::RecordAppended { offset: 0, leader: 1, retry: false, .. })),
        "the new leader takes the first attempt: {events:?}"
    );
    let b = &c.brokers()[0];
    assert_eq!((b.alive, b.fenced), (false, true));
    assert_eq!(c.shutdown_broker(0), Err(KafkaError::BrokerNotAvailable(0)));
    c.restart_broker(0).expect("a cleanly stopped broker registers at once");
    assert!(c.brokers()[0].alive);
}

#[test]
fn kafka_auto_leader_rebalance_returns_leadership_to_the_preferred_replica_after_300_s() {
    let mut c = cluster(3);
    c.create_topic("t", TopicConfig::new(3, 3)).expect("topic");
    let preferred = |c: &Cluster| -> Vec<(Option<u32>, u32)> {
        c.topic("t").expect("t").partitions.iter().map(|p| (p.leader, p.replicas[0].broker)).collect()
    };
    c.shutdown_broker(0).expect("shutdown");
    c.restart_broker(0).expect("restart");
    c.tick(1_000).expect("catch up");
    assert_eq!(c.brokers()[0].leader_count, 0, "nothing moves back by itself at once");
    // The imbalance arose at 0 s; the check runs 300 s later.
    let events = c.tick(298_999).expect("until 299.999 s");
    assert!(!events.iter().any(|e| matches!(e, Event::LeaderElected { reason: ElectionReason::PreferredLeader, .. })));
    let events = c.tick(1).expect("300 s");
    assert!(events.iter().any(|e| matches!(e, Event::LeaderElected { reason: ElectionReason::PreferredLeader, .. })));
    assert!(preferred(&c).iter().all(|(l, p)| *l == Some(*p)), "{:?}", preferred(&c));
    assert_eq!(c.brokers()[0].leader_count, 1);
}

#[test]
fn kafka_auto_leader_rebalance_disabled_leaves_leadership_where_it_is() {
    let mut c =
        Cluster::new(ClusterConfig { auto_leader_rebalance_enable: false, ..ClusterConfig::default() }, 7).expect("c");
    topic(&mut c, vec![vec![0, 1, 2]]);
    c.shutdown_broker(0).expect("shutdown");
    c.restart_broker(0).expect("restart");
    c.tick(600_000).expect("tick");
    assert_eq!(c.partition("t", 0).expect("p").leader, Some(1));
}

#[test]
fn kafka_leader_election_preferred_moves_leadership_when_the_preferred_replica_is_in_sync() {
    let mut c =
        Cluster::new(ClusterConfig { auto_leader_rebalance_enable: false, ..ClusterConfig::default() }, 7).expect("c");
    topic(&mut c, vec![vec![0, 1, 2]]);
    c.create_producer("p", ProducerConfig::default()).expect("producer");
    c.shutdown_broker(0).expect("shutdown");
    c.produce("p", record("a")).expect("produce");
    c.tick(200).expect("ack");
    c.restart_broker(0).expect("restart");
    // Not yet back in the ISR: a preferred election does nothing.
    let events = c.elect_preferred_leaders().expect("elect");
    assert!(!events.iter().any(|e| matches!(e, Event::LeaderElected { .. })));
    c.tick(200).expect("catch up");
    assert_eq!(c.partition("t", 0).expect("p").isr, vec![0, 1, 2]);
    let events = c.elect_preferred_leaders().expect("elect");
    assert!(events.iter().any(|e| matches!(
        e,
        Event::LeaderElected { leader: 0, reason: ElectionReason::PreferredLeader, unclean: false, .. }
    )));
    let p = c.partition("t", 0).expect("p");
    assert_eq!((p.leader, p.log_end_offset, p.high_watermark), (Some(0), 1, 1), "no record lost");
}

#[test]
fn kraft_splitting_time_differently_fences_at_the_same_instant() {
    let run = |cuts: &[u64]| {
        let mut c = cluster(3);
        topic(&mut c, vec![vec![0, 1, 2]]);
        c.tick(2_500).expect("tick");
        c.crash_broker(0).expect("crash");
        let mut events = Vec::new();
        for &cut in cuts {
            events.extend(c.tick(cut).expect("tick").into_iter().filter(|e| !matches!(e, Event::Ticked { .. })));
        }
        (events, format!("{:?}", c.partition("t", 0).expect("p")), c.now())
    };
    let one = run(&[400_000]);
    assert_eq!(one, run(&[1, 8_499, 1, 1, 91_498, 300_000]));
    assert_eq!(one, run(&[8_500, 1, 391_499]));
}
