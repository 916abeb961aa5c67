//! Replica placement as Kafka 4's KRaft controller does it: a port of
//! `StripedReplicaPlacer` (metadata/src/main/java/org/apache/kafka/metadata/
//! placement/StripedReplicaPlacer.java). The first tests are Kafka's own
//! `StripedReplicaPlacerTest` cases, run with its `MockRandom`
//! (server-common/src/test/java/org/apache/kafka/server/util/MockRandom.java)
//! and `java.util.Random.nextInt`, so they expect Kafka's exact layouts.

use brokerlab_kafka::placement::{BrokerList, JavaRandom, RackList, UsableBroker, place};
use brokerlab_kafka::*;
use std::collections::BTreeMap;

/// Kafka's `MockRandom`: a fixed linear congruential generator behind
/// `java.util.Random.next(bits)`, seeded with 17.
struct MockRandom(u64);

impl MockRandom {
    fn new() -> Self {
        MockRandom(17)
    }

    fn next(&mut self, bits: u32) -> i32 {
        self.0 = self.0.wrapping_mul(2_862_933_555_777_941_757).wrapping_add(3_037_000_493);
        (self.0 >> (64 - bits)) as i32
    }
}

impl JavaRandom for MockRandom {
    /// `java.util.Random.nextInt(int bound)`.
    fn next_int(&mut self, bound: u32) -> u32 {
        let bound = bound as i32;
        let mut r = self.next(31);
        let m = bound - 1;
        if bound & m == 0 {
            r = ((i64::from(bound) * i64::from(r)) >> 31) as i32;
        } else {
            let mut u = r;
            loop {
                r = u % bound;
                if u.wrapping_sub(r).wrapping_add(m) >= 0 {
                    break;
                }
                u = self.next(31);
            }
        }
        r as u32
    }
}

fn broker(id: u32, rack: Option<&str>, fenced: bool) -> UsableBroker {
    UsableBroker { id, rack: rack.map(str::to_string), fenced }
}

#[test]
fn kafka_test_broker_list() {
    let mut empty = BrokerList::new(&[]);
    assert_eq!((empty.size(), empty.next(1)), (0, None));
    let mut brokers = BrokerList::new(&[0, 1, 2, 3]);
    assert_eq!(brokers.size(), 4);
    let epoch0: Vec<Option<u32>> = (0..6).map(|_| brokers.next(0)).collect();
    assert_eq!(epoch0, vec![Some(0), Some(1), Some(2), Some(3), None, None]);
    let epoch1: Vec<Option<u32>> = (0..5).map(|_| brokers.next(1)).collect();
    assert_eq!(epoch1, vec![Some(1), Some(2), Some(3), Some(0), None]);
}

#[test]
fn kafka_test_avoid_fenced_replica_if_possible_on_single_rack() {
    let mut random = MockRandom::new();
    let brokers = [
        broker(3, None, false),
        broker(1, None, true),
        broker(0, None, false),
        broker(4, None, false),
        broker(2, None, false),
    ];
    let mut racks = RackList::new(&mut random, &brokers);
    assert_eq!((racks.num_total_brokers(), racks.num_unfenced_brokers()), (5, 4));
    assert_eq!(racks.rack_names(), vec![None]);
    assert!(matches!(racks.place(&mut random, 0), Err(KafkaError::InvalidReplicationFactor { .. })));
    let placed: Vec<Vec<u32>> = (0..5).map(|_| racks.place(&mut random, 4).expect("place")).collect();
    assert_eq!(placed, vec![vec![3, 4, 0, 2], vec![4, 0, 2, 3], vec![0, 2, 3, 4], vec![2, 3, 4, 0], vec![0, 4, 3, 2]]);
}

#[test]
fn kafka_test_multi_partition_topic_placement_on_single_unfenced_broker() {
    let mut random = MockRandom::new();
    let placed = place(&mut random, &[broker(0, None, false), broker(1, None, true)], 3, 1).expect("place");
    assert_eq!(placed, vec![vec![0], vec![0], vec![0]]);
}

#[test]
fn kafka_test_placement_on_fenced_replica_on_single_rack() {
    let mut random = MockRandom::new();
    let brokers = [broker(3, None, false), broker(1, None, true), broker(2, None, false)];
    let mut racks = RackList::new(&mut random, &brokers);
    assert_eq!((racks.num_total_brokers(), racks.num_unfenced_brokers()), (3, 2));
    let placed: Vec<Vec<u32>> = (0..4).map(|_| racks.place(&mut random, 3).expect("place")).collect();
    assert_eq!(placed, vec![vec![3, 2, 1], vec![2, 3, 1], vec![3, 2, 1], vec![2, 3, 1]]);
}

#[test]
fn kafka_test_rack_list_with_multiple_racks() {
    let mut random = MockRandom::new();
    let brokers = [
        broker(11, Some("1"), false),
        broker(10, Some("1"), false),
        broker(30, Some("3"), false),
        broker(31, Some("3"), false),
        broker(21, Some("2"), false),
        broker(20, Some("2"), true),
    ];
    let mut racks = RackList::new(&mut random, &brokers);
    assert_eq!((racks.num_total_brokers(), racks.num_unfenced_brokers()), (6, 5));
    let names: Vec<Option<String>> = ["1", "2", "3"].iter().map(|n| Some(n.to_string())).collect();
    assert_eq!(racks.rack_names(), names);
    let placed: Vec<Vec<u32>> = (0..3).map(|_| racks.place(&mut random, 4).expect("place")).collect();
    assert_eq!(placed, vec![vec![11, 21, 31, 10], vec![21, 30, 10, 20], vec![31, 11, 21, 30]]);
}

#[test]
fn kafka_test_rack_list_with_invalid_racks() {
    let mut random = MockRandom::new();
    let brokers = [
        broker(11, Some("1"), false),
        broker(10, Some("1"), false),
        broker(30, Some("3"), true),
        broker(31, Some("3"), true),
        broker(20, Some("2"), true),
        broker(21, Some("2"), true),
        broker(41, Some("4"), false),
        broker(40, Some("4"), true),
    ];
    let mut racks = RackList::new(&mut random, &brokers);
    assert_eq!((racks.num_total_brokers(), racks.num_unfenced_brokers()), (8, 3));
    let placed: Vec<Vec<u32>> = (0..3).map(|_| racks.place(&mut random, 4).expect("place")).collect();
    assert_eq!(placed, vec![vec![41, 11, 21, 30], vec![10, 20, 31, 41], vec![41, 21, 30, 11]]);
}

#[test]
fn kafka_test_refusals_have_kafkas_messages() {
    let mut random = MockRandom::new();
    let fenced = [broker(11, Some("1"), true), broker(10, Some("1"), true)];
    let err = place(&mut random, &fenced, 1, 1).expect_err("all fenced");
    assert_eq!(err.to_string(), "All brokers are currently fenced.");
    let two = [broker(11, Some("1"), false), broker(10, Some("1"), false)];
    let err = place(&mut random, &two, 1, 3).expect_err("too few");
    assert_eq!(
        err.to_string(),
        "The target replication factor of 3 cannot be reached because only 2 broker(s) are registered."
    );
    let err = place(&mut random, &two, 1, 0).expect_err("zero");
    assert_eq!(err.to_string(), "Invalid replication factor 0: the replication factor must be positive.");
}

#[test]
fn kafka_test_successful_placement() {
    let mut random = MockRandom::new();
    let brokers = [broker(0, None, false), broker(3, None, false), broker(2, None, false), broker(1, None, false)];
    let placed = place(&mut random, &brokers, 5, 3).expect("place");
    assert_eq!(placed, vec![vec![2, 3, 0], vec![3, 0, 1], vec![0, 1, 2], vec![1, 2, 3], vec![1, 0, 2]]);
}

#[test]
fn kafka_test_even_distribution() {
    let mut random = MockRandom::new();
    let brokers: Vec<UsableBroker> = (0..4).map(|id| broker(id, None, false)).collect();
    let placed = place(&mut random, &brokers, 200, 2).expect("place");
    let mut counts: BTreeMap<Vec<u32>, u32> = BTreeMap::new();
    for p in placed {
        *counts.entry(p).or_default() += 1;
    }
    let expected = [
        ([0, 1], 14),
        ([0, 2], 22),
        ([0, 3], 14),
        ([1, 0], 17),
        ([1, 2], 17),
        ([1, 3], 16),
        ([2, 0], 13),
        ([2, 1], 17),
        ([2, 3], 20),
        ([3, 0], 20),
        ([3, 1], 19),
        ([3, 2], 11),
    ];
    for (pair, n) in expected {
        assert_eq!(counts.get(pair.as_slice()), Some(&n), "{pair:?}");
    }
}

#[test]
fn kafka_4_an_rf_3_topic_is_created_with_a_crashed_broker_still_registered() {
    // Audit A16: KRaft checks the replication factor against the registered
    // brokers, fenced ones included, and needs one unfenced broker.
    let mut c = Cluster::new(ClusterConfig::default(), 3).expect("cluster");
    c.crash_broker(2).expect("crash");
    c.tick(10_000).expect("fenced after its session");
    c.create_topic("t", TopicConfig::new(6, 3)).expect("placed on the fenced broker too");
    let topic = c.topic("t").expect("t");
    assert!(topic.partitions.iter().all(|p| p.replicas.len() == 3));
    // The fenced broker is never a leader: the placer takes leaders from
    // unfenced brokers, and it is out of every ISR.
    assert!(topic.partitions.iter().all(|p| p.leader != Some(2) && !p.isr.contains(&2)));
    let one = Cluster::new(ClusterConfig { brokers: 1, ..ClusterConfig::default() }, 3);
    let mut one = one.expect("cluster");
    assert_eq!(
        one.create_topic("t", TopicConfig::new(1, 2)),
        Err(KafkaError::InvalidReplicationFactor { replication_factor: 2, brokers: 1 })
    );
}

#[test]
fn kafka_4_every_broker_leads_as_many_partitions_and_adding_partitions_places_them_the_same_way() {
    let mut c = Cluster::new(ClusterConfig::default(), 8).expect("cluster");
    c.create_topic("t", TopicConfig::new(6, 3)).expect("topic");
    let leaders = |c: &Cluster| {
        let mut n = [0u32; 3];
        for p in &c.topic("t").expect("t").partitions {
            n[p.replicas[0].broker as usize] += 1;
        }
        n
    };
    assert_eq!(leaders(&c), [2, 2, 2]);
    c.add_partitions("t", 12).expect("add");
    assert_eq!(leaders(&c), [4, 4, 4]);
    let topic = c.topic("t").expect("t");
    assert!(topic.partitions.iter().all(|p| {
        let mut r: Vec<u32> = p.replicas.iter().map(|r| r.broker).collect();
        r.sort_unstable();
        r == vec![0, 1, 2]
    }));
}
