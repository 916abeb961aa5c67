//! When a lagging follower leaves the ISR, as Kafka 4.0 times it: a
//! follower is out of sync once it has not caught up for more than
//! `replica.lag.time.max.ms` (`Partition.getOutOfSyncReplicas`,
//! core/src/main/scala/kafka/cluster/Partition.scala), but only the leader
//! broker's "isr-expiration" task removes it, which `ReplicaManager.startup`
//! schedules at a fixed rate of `replica.lag.time.max.ms / 2` from the
//! broker's start (core/src/main/scala/kafka/server/ReplicaManager.scala).
//! With the default 30 s a follower leaves 30 to 45 s after it stopped.

use brokerlab_kafka::*;

fn shrunk(events: &[Event], broker: u32) -> bool {
    events.iter().any(|e| matches!(e, Event::IsrShrunk { broker: b, .. } if *b == broker))
}

fn topic(c: &mut Cluster, replicas: Vec<u32>) {
    let n = replicas.len() as u32;
    c.create_topic("t", TopicConfig { replica_assignment: Some(vec![replicas]), ..TopicConfig::new(1, n) })
        .expect("topic");
}

#[test]
fn kafka_4_a_follower_that_stops_at_0_s_is_out_of_sync_after_30_s_and_leaves_at_the_check_at_45_s() {
    let mut c = Cluster::new(ClusterConfig::default(), 1).expect("cluster");
    topic(&mut c, vec![0, 1, 2]);
    c.create_producer("p", ProducerConfig::default()).expect("producer");
    c.set_replication_paused(2, true).expect("pause");
    c.produce("p", ProducerRecord::unkeyed("t", "a")).expect("send");
    let events = c.tick(44_999).expect("tick");
    assert!(!shrunk(&events, 2), "the checks at 15 s and 30 s found it in sync");
    assert_eq!(c.partition("t", 0).expect("p").isr, vec![0, 1, 2]);
    let events = c.tick(1).expect("tick");
    assert!(shrunk(&events, 2));
    assert_eq!(c.partition("t", 0).expect("p").isr, vec![0, 1]);
}

#[test]
fn kafka_4_a_follower_that_stops_at_10_s_leaves_at_the_check_at_45_s_too() {
    let mut c = Cluster::new(ClusterConfig::default(), 1).expect("cluster");
    topic(&mut c, vec![0, 1]);
    c.create_producer("p", ProducerConfig::default()).expect("producer");
    c.tick(10_000).expect("tick");
    c.set_replication_paused(1, true).expect("pause");
    c.produce("p", ProducerRecord::unkeyed("t", "a")).expect("send");
    // Out of sync after 40 s; the checks run at 0, 15, 30, 45 s.
    let events = c.tick(34_999).expect("tick");
    assert!(!shrunk(&events, 1));
    let events = c.tick(1).expect("tick");
    assert!(shrunk(&events, 1), "35 s after it stopped");
}

#[test]
fn kafka_4_the_checks_run_from_the_leader_broker_start_so_a_restarted_leader_checks_on_its_own_schedule() {
    let mut c = Cluster::new(ClusterConfig::default(), 1).expect("cluster");
    topic(&mut c, vec![0, 1, 2]);
    c.crash_broker(0).expect("crash");
    // Fenced after broker.session.timeout.ms (9 s); broker 1 leads.
    c.tick(12_345).expect("tick");
    c.restart_broker(0).expect("restart at 12.345 s");
    c.tick(1_000).expect("catch up and rejoin the ISR");
    c.elect_preferred_leaders().expect("broker 0 leads again");
    assert_eq!(c.partition("t", 0).expect("p").leader, Some(0));
    c.tick(20_000 - c.now()).expect("tick");
    c.create_producer("p", ProducerConfig::default()).expect("producer");
    c.set_replication_paused(2, true).expect("pause");
    c.produce("p", ProducerRecord::unkeyed("t", "a")).expect("send at 20 s");
    // Out of sync after 50 s; broker 0 checks at 12.345 s + k × 15 s.
    let events = c.tick(57_344 - 20_000).expect("tick");
    assert!(!shrunk(&events, 2));
    let events = c.tick(1).expect("tick");
    assert!(shrunk(&events, 2), "at 57.345 s, broker 0's check");
}

#[test]
fn kafka_4_a_short_lag_time_checks_every_half_of_it() {
    let config = ClusterConfig { replica_lag_time_max_ms: 1_000, ..ClusterConfig::default() };
    let mut c = Cluster::new(config, 1).expect("cluster");
    topic(&mut c, vec![0, 1]);
    c.create_producer("p", ProducerConfig::default()).expect("producer");
    c.tick(200).expect("tick");
    c.set_replication_paused(1, true).expect("pause at 200 ms");
    c.produce("p", ProducerRecord::unkeyed("t", "a")).expect("send");
    // Out of sync after 1.2 s; checks every 500 ms: the one at 1.5 s.
    let events = c.tick(1_299).expect("tick");
    assert!(!shrunk(&events, 1));
    let events = c.tick(1).expect("tick");
    assert!(shrunk(&events, 1));
}

/// The restarted-leader run, whole and cut at every millisecond around its
/// checks: the same events and the same views (the time-split property of
/// `time.rs` for the ISR schedule).
#[test]
fn the_isr_checks_land_at_their_own_instants_however_time_is_cut() {
    let run = |cuts: &[u64]| {
        let mut c = Cluster::new(ClusterConfig::default(), 5).expect("cluster");
        topic(&mut c, vec![0, 1, 2]);
        c.create_producer("p", ProducerConfig::default()).expect("producer");
        let mut events = Vec::new();
        events.extend(c.crash_broker(0).expect("crash"));
        events.extend(c.tick(12_345).expect("tick"));
        events.extend(c.restart_broker(0).expect("restart"));
        events.extend(c.tick(1_000).expect("tick"));
        events.extend(c.elect_preferred_leaders().expect("elect"));
        events.extend(c.set_replication_paused(2, true).expect("pause"));
        events.extend(c.produce("p", ProducerRecord::unkeyed("t", "a")).expect("send").1);
        let mut at = 0;
        for &p in cuts.iter().chain([&70_000]) {
            events.extend(c.tick(p - at).expect("tick"));
            at = p;
        }
        events.retain(|e| !matches!(e, Event::Ticked { .. }));
        (events, format!("{:?}", c.partition("t", 0)), c.now())
    };
    let whole = run(&[]);
    // The send is at 13.345 s: the checks at 42.345 s and 57.345 s are 29 s
    // and 44 s later.
    let cuts: Vec<u64> = (28_995..29_005).chain(43_995..44_005).chain([50_000, 60_001]).collect();
    let cut = run(&cuts);
    assert_eq!(whole, cut);
    assert!(shrunk(&whole.0, 2));
}
