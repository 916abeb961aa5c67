//! KRaft made visible (Kafka 4.x, where ZooKeeper is gone): three dedicated
//! controllers vote in a Raft quorum and the active one writes every
//! metadata change to `__cluster_metadata` (apache/kafka 1eb7644:
//! `QuorumController`, `ReplicationControlManager.handleBrokerFenced` writes
//! the `PartitionChangeRecord`s before the `BrokerRegistrationChangeRecord`,
//! `ClusterControlManager.activate` gives every broker a fresh session;
//! `controller.quorum.fetch.timeout.ms` 2000). Without a majority of
//! controllers nothing in the metadata changes.

use brokerlab_kafka::*;

fn cluster() -> Cluster {
    Cluster::new(ClusterConfig::default(), 7).expect("cluster")
}

fn topic(c: &mut Cluster) {
    let cfg = TopicConfig {
        replica_assignment: Some(vec![vec![0, 1, 2]]),
        min_insync_replicas: Some(2),
        ..TopicConfig::new(1, 3)
    };
    c.create_topic("t", cfg).expect("topic");
}

fn texts(c: &Cluster, from: u64) -> Vec<String> {
    c.metadata_log_view().records.iter().filter(|r| r.offset >= from).map(|r| r.record.to_string()).collect()
}

#[test]
fn kraft_a_new_cluster_has_three_controllers_and_its_log_registers_and_unfences_every_broker() {
    let c = cluster();
    let view = c.metadata_log_view();
    assert_eq!(view.controllers.iter().map(|v| v.id).collect::<Vec<_>>(), vec![100, 101, 102]);
    assert_eq!((view.leader, view.epoch, view.has_majority), (Some(100), 1, true));
    assert_eq!(
        texts(&c, 0),
        vec![
            "LeaderChange controller 100 epoch 1",
            "RegisterBrokerRecord broker 0 epoch 1",
            "BrokerRegistrationChangeRecord broker 0 unfence",
            "RegisterBrokerRecord broker 1 epoch 3",
            "BrokerRegistrationChangeRecord broker 1 unfence",
            "RegisterBrokerRecord broker 2 epoch 5",
            "BrokerRegistrationChangeRecord broker 2 unfence",
        ]
    );
    assert_eq!(view.records.iter().map(|r| r.offset).collect::<Vec<_>>(), (0..7).collect::<Vec<_>>());
}

#[test]
fn kraft_creating_a_topic_writes_topic_config_and_partition_records() {
    let mut c = cluster();
    let end = c.metadata_log_view().end_offset;
    topic(&mut c);
    assert_eq!(
        texts(&c, end),
        vec![
            "TopicRecord t",
            "ConfigRecord topic t min.insync.replicas=2",
            "PartitionRecord t-0 replicas [0,1,2] isr [0,1,2] leader 0 epoch 0",
        ]
    );
}

#[test]
fn kraft_a_crashed_leader_shows_in_the_log_only_when_fenced_partition_change_first_then_fence() {
    let mut c = cluster();
    topic(&mut c);
    let end = c.metadata_log_view().end_offset;
    c.crash_broker(0).expect("crash");
    c.tick(8_000).expect("within the session");
    assert!(texts(&c, end).is_empty(), "the controller has not noticed yet");
    c.tick(2_000).expect("fence");
    assert_eq!(
        texts(&c, end),
        vec!["PartitionChangeRecord t-0 leader 1 epoch 1 isr [1,2]", "BrokerRegistrationChangeRecord broker 0 fence",]
    );
    let records = c.metadata_log_view().records;
    assert!(records.iter().filter(|r| r.offset >= end).all(|r| r.time_ms == 9_001 && r.epoch == 1));
}

#[test]
fn kraft_partition_change_records_carry_the_elr() {
    let mut c = cluster();
    topic(&mut c);
    c.crash_broker(1).expect("crash 1");
    c.crash_broker(2).expect("crash 2");
    let end = c.metadata_log_view().end_offset;
    c.tick(10_000).expect("fence");
    assert_eq!(
        texts(&c, end),
        vec![
            "PartitionChangeRecord t-0 isr [0,2]",
            "BrokerRegistrationChangeRecord broker 1 fence",
            "PartitionChangeRecord t-0 isr [0] elr [2]",
            "BrokerRegistrationChangeRecord broker 2 fence",
        ]
    );
    let end = c.metadata_log_view().end_offset;
    c.restart_broker(2).expect("restart");
    c.tick(200).expect("rejoin");
    // Back from a crash, an unclean shutdown: its registration takes it out
    // of the ELR (`handleBrokerUncleanShutdown`) before it is unfenced.
    assert_eq!(
        texts(&c, end),
        vec![
            "RegisterBrokerRecord broker 2 epoch 14",
            "PartitionChangeRecord t-0 elr []",
            "BrokerRegistrationChangeRecord broker 2 unfence",
            "PartitionChangeRecord t-0 isr [0,2]",
        ]
    );
}

#[test]
fn kraft_when_the_active_controller_crashes_another_takes_over_after_the_fetch_timeout() {
    let mut c = cluster();
    let events = c.crash_controller(100).expect("crash");
    assert!(events.iter().any(|e| matches!(e, Event::ControllerCrashed { controller: 100 })));
    assert_eq!(c.metadata_log_view().leader, None);
    c.tick(1_999).expect("not yet");
    assert_eq!(c.metadata_log_view().leader, None);
    let events = c.tick(1).expect("election");
    assert!(events.iter().any(|e| matches!(e, Event::QuorumLeaderElected { controller: 101, epoch: 2 })));
    let view = c.metadata_log_view();
    assert_eq!((view.leader, view.epoch, view.has_majority), (Some(101), 2, true));
    assert_eq!(
        view.records.last().map(|r| r.record.to_string()).as_deref(),
        Some("LeaderChange controller 101 epoch 2")
    );
    assert_eq!(c.crash_controller(100), Err(KafkaError::ControllerNotAvailable(100)));
    assert_eq!(c.crash_controller(7), Err(KafkaError::UnknownController(7)));
    assert_eq!(c.restart_controller(101), Err(KafkaError::ControllerAlreadyRunning(101)));
}

#[test]
fn kraft_without_a_controller_majority_no_broker_is_fenced_and_no_leader_elected_but_leaders_keep_serving() {
    let mut c = cluster();
    topic(&mut c);
    c.crash_controller(101).expect("crash 101");
    let events = c.crash_controller(100).expect("crash 100");
    assert!(events.iter().any(|e| matches!(e, Event::QuorumLost { alive: 1 })));
    c.crash_broker(1).expect("crash a follower");
    let events = c.tick(60_000).expect("a minute");
    assert!(!events.iter().any(|e| matches!(e, Event::BrokerFenced { .. } | Event::IsrShrunk { .. })));
    assert!(!c.metadata_log_view().has_majority);
    assert_eq!(c.partition("t", 0).expect("p").isr, vec![0, 1, 2], "no ISR change without a controller");
    // The leader still serves: acks=1 is appended (the HW waits for broker 1).
    c.create_producer(
        "p",
        ProducerConfig { acks: Acks::One, enable_idempotence: false, linger_ms: 0, ..ProducerConfig::default() },
    )
    .expect("producer");
    let (receipt, _) = c.produce("p", ProducerRecord::unkeyed("t", "v")).expect("produce");
    assert_eq!(receipt.offset, Some(0));
    assert_eq!(c.create_topic("u", TopicConfig::new(1, 1)), Err(KafkaError::NoActiveController));
    assert_eq!(c.shutdown_broker(2), Err(KafkaError::NoActiveController));
    assert_eq!(c.elect_preferred_leaders(), Err(KafkaError::NoActiveController));
    // A majority again: a leader is elected at once and every broker gets a
    // fresh session, so broker 1 is fenced a full session later.
    let events = c.restart_controller(100).expect("restart");
    assert!(events.iter().any(|e| matches!(e, Event::QuorumLeaderElected { controller: 100, epoch: 2 })));
    let events = c.tick(9_000).expect("session");
    assert!(!events.iter().any(|e| matches!(e, Event::BrokerFenced { .. })));
    let events = c.tick(1).expect("fence");
    assert!(events.iter().any(|e| matches!(e, Event::BrokerFenced { broker: 1 })));
}

#[test]
fn kraft_a_broker_restarted_without_a_controller_registers_when_the_quorum_is_back() {
    let mut c = cluster();
    topic(&mut c);
    c.shutdown_broker(2).expect("clean stop");
    c.crash_controller(100).expect("crash 100");
    c.crash_controller(101).expect("crash 101");
    let events = c.restart_broker(2).expect("restart");
    assert!(!events.iter().any(|e| matches!(e, Event::BrokerRestarted { .. })));
    assert!(!c.brokers()[2].alive);
    c.restart_controller(101).expect("a majority again");
    // The voters still wait out controller.quorum.fetch.timeout.ms from
    // the leader's crash, then elect; the new leader registers broker 2.
    let events = c.tick(2_000).expect("election");
    assert!(events.iter().any(|e| matches!(e, Event::QuorumLeaderElected { controller: 101, epoch: 2 })));
    assert!(events.iter().any(|e| matches!(e, Event::BrokerRestarted { broker: 2 })));
    assert!(c.brokers()[2].alive);
}

#[test]
fn kraft_a_single_controller_quorum_stops_with_its_controller() {
    let mut c = Cluster::new(ClusterConfig { controllers: 1, ..ClusterConfig::default() }, 7).expect("cluster");
    let events = c.crash_controller(100).expect("crash");
    assert!(events.iter().any(|e| matches!(e, Event::QuorumLost { alive: 0 })));
    c.tick(5_000).expect("tick");
    assert_eq!(c.metadata_log_view().leader, None);
    c.restart_controller(100).expect("restart");
    assert_eq!(c.metadata_log_view().leader, Some(100));
    assert!(Cluster::new(ClusterConfig { controllers: 6, ..ClusterConfig::default() }, 7).is_err());
}
