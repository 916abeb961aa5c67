//! Every applicable vector from `tests/vectors/kafka_*.json`, read at
//! test time: murmur2 and key-to-partition values, the partitioner behaviour
//! cases, and the range, round-robin, sticky and cooperative-sticky assignor
//! cases (including the rack-aware cases that carry no rack information on one
//! side, which the Java assignors treat exactly like the plain ones).

use brokerlab_kafka::assignor::{
    self, Assignor, MemberSubscription, TopicPartition, java_hash_map_order, sorted_member_indices,
};
use brokerlab_kafka::partitioner::{RoundRobinPartitioner, StickyPartitioner};
use brokerlab_kafka::*;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

fn load(name: &str) -> Value {
    let path = format!("{}/tests/vectors/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {path}: {e}"));
    serde_json::from_str(&text).expect("valid JSON")
}

fn hex(s: &str) -> Vec<u8> {
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex")).collect()
}

#[test]
fn murmur2_matches_every_vector() {
    let d = load("kafka_murmur2.json");
    let mut n = 0;
    for list in ["cases", "supplementary_murmur2_cases_non_apache"] {
        for c in d[list].as_array().expect("cases") {
            let key = hex(c["key_hex"].as_str().expect("key_hex"));
            let id = c["id"].as_str().unwrap_or("?");
            assert_eq!(i64::from(murmur2(&key)), c["expected_murmur2_i32"].as_i64().expect("i32"), "{id}");
            assert_eq!(
                i64::from(to_positive(murmur2(&key))),
                c["expected_to_positive"].as_i64().expect("positive"),
                "{id}"
            );
            n += 1;
        }
    }
    assert!(n >= 17, "only {n} murmur2 vectors found");
}

#[test]
fn key_to_partition_matches_every_vector() {
    let d = load("kafka_murmur2.json");
    let cases = d["key_to_partition_cases"].as_array().expect("cases");
    assert!(!cases.is_empty());
    for c in cases {
        let key = hex(c["key_hex"].as_str().expect("key_hex"));
        let n = c["num_partitions"].as_u64().expect("num_partitions") as u32;
        assert_eq!(
            u64::from(partition_for_key(&key, n)),
            c["expected_partition"].as_u64().expect("expected"),
            "{}",
            c["id"]
        );
    }
}

fn case_ids(d: &Value, list: &str) -> BTreeSet<String> {
    d[list].as_array().expect("cases").iter().map(|c| c["id"].as_str().expect("id").to_string()).collect()
}

/// A cluster where each partition of `topic` lives on one broker, with the
/// listed partitions' brokers crashed so they have no leader.
fn cluster_with_offline(
    topic: &str,
    partitions: u32,
    offline: &[u32],
    partitioner: PartitionerKind,
    batch_size: u64,
) -> Cluster {
    let mut c =
        Cluster::new(ClusterConfig { brokers: partitions.max(2), ..ClusterConfig::default() }, 7).expect("cluster");
    let cfg = TopicConfig {
        replica_assignment: Some((0..partitions).map(|p| vec![p]).collect()),
        ..TopicConfig::new(partitions, 1)
    };
    c.create_topic(topic, cfg).expect("topic");
    for &p in offline {
        c.crash_broker(p).expect("crash");
    }
    // Offline once the controller fences the brokers, `broker.session.timeout.ms`
    // (9 s) after their last heartbeat.
    c.tick(9_001).expect("fence");
    let pc = ProducerConfig {
        acks: Acks::One,
        enable_idempotence: false,
        partitioner,
        batch_size,
        ..ProducerConfig::default()
    };
    c.create_producer("p", pc).expect("producer");
    c
}

#[test]
fn partitioner_behaviour_cases_hold() {
    let d = load("kafka_murmur2.json");
    let ids = case_ids(&d, "partitioner_behaviour_cases");
    let mut covered = BTreeSet::new();

    // Sticky: stays for a full batch, then switches (random sequence 0, 1, 2, ...).
    let id = "BuiltInPartitionerTest.testStickyPartitioning/topicA";
    let mut sticky = StickyPartitioner::default();
    let mut seq = 0;
    let mut next = || {
        seq += 1;
        seq - 1
    };
    let first = sticky.peek(&[0, 1, 2], 3, &mut next);
    assert_eq!(first, 0, "{id}");
    for _ in 0..2 {
        sticky.update(1, 3);
        assert_eq!(sticky.peek(&[0, 1, 2], 3, &mut next), first, "{id}");
    }
    sticky.update(1, 3);
    assert_eq!(sticky.peek(&[0, 1, 2], 3, &mut next), 1, "{id}");
    covered.insert(id);

    let id = "BuiltInPartitionerTest.testStickyPartitioning/topicB";
    let mut sticky = StickyPartitioner::default();
    for _ in 0..10 {
        assert_eq!(sticky.peek(&[0], 1, || 5), 0, "{id}");
        sticky.update(1, 1);
    }
    covered.insert(id);

    let id = "BuiltInPartitionerTest.unavailablePartitionsTest/topicA";
    let mut c = cluster_with_offline("topicA", 3, &[1], PartitionerKind::Sticky, 1);
    let chosen: Vec<u32> = (0..101)
        .map(|_| c.produce("p", ProducerRecord::unkeyed("topicA", b"v")).expect("produce").0.partition)
        .collect();
    assert!(!chosen.contains(&1), "{id}");
    assert!(chosen.iter().any(|&p| p != chosen[0]), "{id}");
    covered.insert(id);

    let id = "BuiltInPartitionerTest.unavailablePartitionsTest/topicB";
    let mut c = cluster_with_offline("topicB", 2, &[0], PartitionerKind::Sticky, 1);
    for _ in 0..101 {
        assert_eq!(c.produce("p", ProducerRecord::unkeyed("topicB", b"v")).expect("produce").0.partition, 1, "{id}");
    }
    covered.insert(id);

    let id = "BuiltInPartitionerTest.unavailablePartitionsTest/topicC";
    let mut c = cluster_with_offline("topicC", 1, &[0], PartitionerKind::Sticky, 1);
    assert_eq!(c.produce("p", ProducerRecord::unkeyed("topicC", b"v")).expect("produce").0.partition, 0, "{id}");
    covered.insert(id);

    let id = "BuiltInPartitionerTest.testStickyBatchSizeMoreThatZero";
    let zero = ProducerConfig { batch_size: 0, ..ProducerConfig::default() };
    assert!(matches!(zero.validate(), Err(KafkaError::InvalidConfig { .. })), "{id}");
    assert_eq!(ProducerConfig { batch_size: 1, ..ProducerConfig::default() }.validate(), Ok(()), "{id}");
    covered.insert(id);

    let id = "RoundRobinPartitionerTest.testRoundRobinWithUnavailablePartitions";
    let mut c = cluster_with_offline("test", 3, &[1], PartitionerKind::RoundRobin, 16_384);
    let mut counts = BTreeMap::new();
    for _ in 0..100 {
        *counts
            .entry(c.produce("p", ProducerRecord::unkeyed("test", b"v")).expect("produce").0.partition)
            .or_insert(0) += 1;
    }
    assert_eq!(counts, BTreeMap::from([(0, 50), (2, 50)]), "{id}");
    covered.insert(id);

    for (id, key) in [
        ("RoundRobinPartitionerTest.testRoundRobinWithKeyBytes", Some(b"key".to_vec())),
        ("RoundRobinPartitionerTest.testRoundRobinWithNullKeyBytes", None),
    ] {
        let mut c = Cluster::new(ClusterConfig::default(), 1).expect("cluster");
        c.create_topic("topicA", TopicConfig::new(3, 1)).expect("topic");
        c.create_topic("topicB", TopicConfig::new(1, 1)).expect("topic");
        let pc = ProducerConfig {
            acks: Acks::One,
            enable_idempotence: false,
            partitioner: PartitionerKind::RoundRobin,
            ..ProducerConfig::default()
        };
        c.create_producer("p", pc).expect("producer");
        let mut counts = BTreeMap::new();
        for i in 0..30 {
            let rec = ProducerRecord {
                topic: "topicA".into(),
                key: key.clone(),
                value: Some(b"v".to_vec()),
                ..Default::default()
            };
            *counts.entry(c.produce("p", rec).expect("produce").0.partition).or_insert(0) += 1;
            if i % 5 == 0 {
                let rec = ProducerRecord {
                    topic: "topicB".into(),
                    key: key.clone(),
                    value: Some(b"v".to_vec()),
                    ..Default::default()
                };
                c.produce("p", rec).expect("produce");
            }
        }
        assert_eq!(counts, BTreeMap::from([(0, 10), (1, 10), (2, 10)]), "{id}");
        covered.insert(id);
    }
    let mut rr = RoundRobinPartitioner::default();
    assert_eq!(rr.next(&[], 2).0, 0);

    let id = "DefaultPartitionerTest.testKeyPartitionIsStable";
    let mut c = Cluster::new(ClusterConfig::default(), 3).expect("cluster");
    c.create_topic("test", TopicConfig::new(3, 1)).expect("topic");
    c.create_producer("p", ProducerConfig::default()).expect("producer");
    let a = c.produce("p", ProducerRecord::keyed("test", "key", "v")).expect("produce").0.partition;
    let b = c.produce("p", ProducerRecord::keyed("test", "key", "v")).expect("produce").0.partition;
    assert_eq!(a, b, "{id}");
    covered.insert(id);

    // The adaptive case needs producer queue sizes, which a simulated producer
    // that sends every record at once never has; it is the only one left out.
    let left: Vec<&String> = ids.iter().filter(|i| !covered.contains(i.as_str())).collect();
    assert_eq!(left, vec!["BuiltInPartitionerTest.adaptivePartitionsTest"]);
}

fn tp_list(v: &Value) -> Vec<TopicPartition> {
    v.as_array()
        .map(|a| {
            a.iter()
                .map(|p| TopicPartition::new(p[0].as_str().expect("topic"), p[1].as_u64().expect("partition") as u32))
                .collect()
        })
        .unwrap_or_default()
}

fn topics_of(v: &Value) -> BTreeMap<String, u32> {
    v.as_object()
        .map(|o| o.iter().map(|(k, n)| (k.clone(), n.as_u64().expect("count") as u32)).collect())
        .unwrap_or_default()
}

fn members_of(v: &Value) -> Vec<MemberSubscription> {
    v.as_array()
        .expect("members")
        .iter()
        .map(|m| MemberSubscription {
            member_id: m["member_id"].as_str().expect("member_id").to_string(),
            group_instance_id: m["group_instance_id"].as_str().map(str::to_string),
            topics: m["topics"]
                .as_array()
                .map(|a| a.iter().map(|t| t.as_str().expect("topic").to_string()).collect())
                .unwrap_or_default(),
            owned_partitions: tp_list(&m["owned_partitions"]),
            generation: m["generation"].as_i64().map(|g| g as i32),
        })
        .collect()
}

fn compare(
    id: &str,
    comparison: &str,
    expected: &Value,
    actual: &BTreeMap<String, Vec<TopicPartition>>,
    only: Option<&BTreeSet<String>>,
) {
    let expected = expected.as_object().expect("expected assignment");
    for (member, list) in expected {
        if only.is_some_and(|o| !o.contains(member)) {
            continue;
        }
        let want = tp_list(list);
        let got = actual.get(member).cloned().unwrap_or_default();
        if comparison == "set" {
            let (w, g): (BTreeSet<_>, BTreeSet<_>) = (want.iter().collect(), got.iter().collect());
            assert_eq!(g, w, "{id}: member {member}");
        } else {
            assert_eq!(got, want, "{id}: member {member}");
        }
    }
    if only.is_none() {
        assert_eq!(actual.len(), expected.len(), "{id}: member count");
    }
}

fn by_instance(
    members: &[MemberSubscription],
    a: &BTreeMap<String, Vec<TopicPartition>>,
) -> BTreeMap<String, Vec<TopicPartition>> {
    members.iter().map(|m| (m.group_instance_id.clone().expect("instance id"), a[&m.member_id].clone())).collect()
}

fn run_simple_assignor(file: &str, assignor: Assignor) -> usize {
    let d = load(file);
    let mut n = 0;
    let mut cases: Vec<Value> = d["cases"].as_array().expect("cases").clone();
    if let Some(rack) = d.get("rack_aware_cases") {
        cases.extend(rack["cases"].as_array().expect("rack cases").iter().filter(|c| no_rack_information(c)).cloned());
    }
    for c in &cases {
        let id = c["id"].as_str().expect("id");
        let members = members_of(&c["members"]);
        let out = assignor::assign(assignor, &topics_of(&c["topics"]), &members);
        let comparison = c["comparison"].as_str().expect("comparison");
        if c.get("expected_assignment").is_some() {
            compare(id, comparison, &c["expected_assignment"], &out.assignment, None);
        } else {
            compare(
                id,
                comparison,
                &c["expected_assignment_by_group_instance_id"],
                &by_instance(&members, &out.assignment),
                None,
            );
        }
        n += 1;
    }
    n
}

/// Rack-aware vectors apply to an engine without racks when the Java
/// assignors would not use rack logic for them (`useRackAwareAssignment`): no
/// consumer racks, consumer racks disjoint from the replica racks, or, unless
/// the test forces rack logic, every partition replicated on every rack.
fn no_rack_information(c: &Value) -> bool {
    use std::collections::BTreeSet as Set;
    let consumer_racks: Set<&str> =
        c["members"].as_array().map(|a| a.iter().filter_map(|m| m["rack"].as_str()).collect()).unwrap_or_default();
    let mut per_partition: Vec<Set<&str>> = Vec::new();
    if let Some(topics) = c["partition_replica_racks"].as_object() {
        for parts in topics.values() {
            for replicas in parts.as_array().into_iter().flatten() {
                per_partition.push(replicas.as_array().into_iter().flatten().filter_map(Value::as_str).collect());
            }
        }
    }
    let partition_racks: Set<&str> = per_partition.iter().flatten().copied().collect();
    if consumer_racks.is_empty() || consumer_racks.is_disjoint(&partition_racks) {
        return true;
    }
    let prefer = c["prefer_rack_aware_logic"].as_bool().unwrap_or(false);
    !prefer && per_partition.iter().all(|r| *r == partition_racks)
}

#[test]
fn range_assignor_matches_every_vector() {
    assert!(run_simple_assignor("kafka_range_assignor.json", Assignor::Range) >= 23);
}

#[test]
fn round_robin_assignor_matches_every_vector() {
    assert!(run_simple_assignor("kafka_roundrobin_assignor.json", Assignor::RoundRobin) >= 19);
}

#[test]
fn member_ordering_puts_static_members_first() {
    let d = load("kafka_range_assignor.json");
    for c in d["member_ordering_cases"].as_array().expect("cases") {
        let members: Vec<MemberSubscription> = c["input"]
            .as_array()
            .expect("input")
            .iter()
            .map(|m| MemberSubscription {
                member_id: m[0].as_str().expect("id").into(),
                group_instance_id: m[1].as_str().map(str::to_string),
                ..Default::default()
            })
            .collect();
        let got: Vec<&str> =
            sorted_member_indices(&members).into_iter().map(|i| members[i].member_id.as_str()).collect();
        let want: Vec<&str> =
            c["expected_sorted_member_ids"].as_array().expect("ids").iter().map(|v| v.as_str().expect("id")).collect();
        assert_eq!(got, want, "{}", c["test"]);
    }
}

/// Every subscribed partition assigned exactly once, only to subscribers.
fn assert_valid(
    id: &str,
    topics: &BTreeMap<String, u32>,
    members: &[MemberSubscription],
    a: &BTreeMap<String, Vec<TopicPartition>>,
) {
    let mut seen = BTreeSet::new();
    for m in members {
        for tp in &a[&m.member_id] {
            assert!(m.topics.contains(&tp.topic), "{id}: {} got unsubscribed {tp}", m.member_id);
            assert!(seen.insert(tp.clone()), "{id}: {tp} assigned twice");
        }
    }
    for (t, &n) in topics {
        if members.iter().any(|m| m.topics.contains(t)) {
            for p in 0..n {
                assert!(seen.contains(&TopicPartition::new(t.as_str(), p)), "{id}: {t}-{p} unassigned");
            }
        }
    }
}

/// Java's balance check: a member holding two or more partitions more than
/// another may not hold any partition the other could take.
fn assert_balanced(id: &str, members: &[MemberSubscription], a: &BTreeMap<String, Vec<TopicPartition>>) {
    for x in members {
        for y in members {
            let (ax, ay) = (&a[&x.member_id], &a[&y.member_id]);
            if ax.len() > ay.len() + 1 {
                assert!(
                    ax.iter().all(|tp| !y.topics.contains(&tp.topic)),
                    "{id}: {} ({}) vs {} ({}) unbalanced",
                    x.member_id,
                    ax.len(),
                    y.member_id,
                    ay.len()
                );
            }
        }
    }
}

fn owned_from(
    members: &[MemberSubscription],
    a: &BTreeMap<String, Vec<TopicPartition>>,
    generation: i32,
) -> Vec<MemberSubscription> {
    members
        .iter()
        .map(|m| MemberSubscription {
            owned_partitions: a[&m.member_id].clone(),
            generation: Some(generation),
            ..m.clone()
        })
        .collect()
}

/// Runs the cooperative assignor until no partition is still in transfer,
/// as `verifyValidityAndBalance` does for the cooperative tests.
fn cooperative_fixpoint(
    topics: &BTreeMap<String, u32>,
    members: &[MemberSubscription],
) -> BTreeMap<String, Vec<TopicPartition>> {
    let mut out = assignor::assign(Assignor::CooperativeSticky, topics, members);
    let first_generation = members.iter().filter_map(|m| m.generation).max().unwrap_or(0) + 1;
    for generation in first_generation..first_generation + 10 {
        if out.partitions_transferring_ownership.as_ref().is_none_or(BTreeMap::is_empty) {
            break;
        }
        let next = owned_from(members, &out.assignment, generation);
        out = assignor::assign(Assignor::CooperativeSticky, topics, &next);
    }
    out.assignment
}

fn parse_transfer_key(k: &str) -> TopicPartition {
    let (t, p) = k.rsplit_once('-').expect("topic-partition");
    TopicPartition::new(t, p.parse().expect("partition"))
}

fn steps_for(id: &str, topics: &BTreeMap<String, u32>, members: &[MemberSubscription], assignor: Assignor) {
    let run = |m: &[MemberSubscription]| assignor::assign(assignor, topics, m).assignment;
    let check = |m: &[MemberSubscription], a: &BTreeMap<String, Vec<TopicPartition>>| {
        assert_valid(id, topics, m, a);
        assert_balanced(id, m, a);
    };
    let first = run(members);
    check(members, &first);
    if id.ends_with("testStickiness") {
        assert!(first.values().all(|a| a.len() <= 1), "{id}");
        let rest: Vec<MemberSubscription> =
            owned_from(members, &first, 1).into_iter().filter(|m| m.member_id != "consumer1").collect();
        let second = run(&rest);
        check(&rest, &second);
        for m in &rest {
            assert_eq!(second[&m.member_id].len(), 1, "{id}");
            if !m.owned_partitions.is_empty() {
                assert_eq!(second[&m.member_id], m.owned_partitions, "{id}: {} kept its partition", m.member_id);
            }
        }
    } else if id.ends_with("testTopicBalanceAfterReassignment") {
        let per_topic = |a: &[TopicPartition], t: &str| a.iter().filter(|tp| tp.topic == t).count();
        assert_eq!(per_topic(&first["consumer1"], "topic1"), 12, "{id}");
        let mut m2 = owned_from(members, &first, 1);
        m2.push(MemberSubscription {
            member_id: "consumer2".into(),
            topics: m2[0].topics.clone(),
            generation: Some(1),
            ..Default::default()
        });
        let second = cooperative_or_plain(assignor, topics, &m2);
        for m in &m2 {
            assert_eq!(per_topic(&second[&m.member_id], "topic1"), 6, "{id}");
            assert_eq!(per_topic(&second[&m.member_id], "topic2"), 6, "{id}");
        }
        let mut m3 = owned_from(&m2, &second, 2);
        for name in ["consumer3", "consumer4"] {
            m3.push(MemberSubscription { member_id: name.into(), topics: m2[0].topics.clone(), ..Default::default() });
        }
        let third = cooperative_or_plain(assignor, topics, &m3);
        for m in &m3 {
            assert_eq!(per_topic(&third[&m.member_id], "topic1"), 3, "{id}: {}", m.member_id);
            assert_eq!(per_topic(&third[&m.member_id], "topic2"), 3, "{id}: {}", m.member_id);
        }
        let m4: Vec<MemberSubscription> = owned_from(&m3, &third, 3)
            .into_iter()
            .filter(|m| m.member_id == "consumer3" || m.member_id == "consumer4")
            .collect();
        let fourth = assignor::assign(assignor, topics, &m4);
        assert_eq!(fourth.partitions_transferring_ownership.as_ref().map(BTreeMap::len), Some(0), "{id}");
        for m in &m4 {
            assert_eq!(per_topic(&fourth.assignment[&m.member_id], "topic1"), 6, "{id}");
        }
    } else if id.ends_with("testAssignmentUpdatedForDeletedTopic") {
        assert_eq!(first["consumer"].len(), 101, "{id}");
    } else if id.ends_with("testSubscriptionNotEqualAndAssignSamePartitionWith3Generation") {
        for perm in [[1, 2, 3], [1, 3, 2], [2, 1, 3], [2, 3, 1], [3, 1, 2], [3, 2, 1]] {
            let mut m = members.to_vec();
            for (i, g) in perm.iter().enumerate() {
                m[i].generation = Some(*g);
            }
            let a = run(&m);
            assert_valid(id, topics, &m, &a);
            for x in &m {
                let n = a[&x.member_id].len();
                assert!((1..=2).contains(&n), "{id}: {} got {n} with generations {perm:?}", x.member_id);
            }
        }
    } else if id.contains("testReassignmentAfterOne")
        || id.ends_with("testSameSubscriptions")
        || id.ends_with("testNewSubscription")
    {
        let mut next = owned_from(members, &first, 1);
        if id.ends_with("testReassignmentAfterOneConsumerAdded") {
            next = members.to_vec();
            next.push(MemberSubscription {
                member_id: "c10".into(),
                topics: members[0].topics.clone(),
                ..Default::default()
            });
        } else if id.ends_with("testSameSubscriptions") {
            next.retain(|m| m.member_id != "c5");
        } else if id.ends_with("testNewSubscription") {
            next[0].topics.push("t1".into());
            for m in &mut next {
                m.owned_partitions.clear();
            }
        }
        let second = cooperative_or_plain(assignor, topics, &next);
        check(&next, &second);
    }
}

fn cooperative_or_plain(
    assignor: Assignor,
    topics: &BTreeMap<String, u32>,
    members: &[MemberSubscription],
) -> BTreeMap<String, Vec<TopicPartition>> {
    if assignor == Assignor::CooperativeSticky {
        cooperative_fixpoint(topics, members)
    } else {
        assignor::assign(assignor, topics, members).assignment
    }
}

#[test]
fn sticky_and_cooperative_sticky_assignors_match_every_vector() {
    let d = load("kafka_sticky_assignor.json");
    let mut cases: Vec<Value> = d["cases"].as_array().expect("cases").clone();
    cases.extend(
        d["rack_aware_cases"]["cases"].as_array().expect("rack cases").iter().filter(|c| no_rack_information(c)).map(
            |c| {
                let mut c = c.clone();
                c["from_rack_tests"] = Value::Bool(true);
                c
            },
        ),
    );
    let mut checked = 0;
    for c in &cases {
        let id = c["id"].as_str().expect("id");
        for name in c["applies_to"].as_array().expect("applies_to") {
            let assignor = match name.as_str() {
                Some("sticky") => Assignor::Sticky,
                Some("cooperative-sticky") => Assignor::CooperativeSticky,
                other => panic!("{id}: unknown assignor {other:?}"),
            };
            let label = format!("{id} [{}]", assignor.protocol_name());
            if let Some(variants) = c.get("variants").and_then(Value::as_array) {
                for v in variants {
                    let topics = topics_of(&v["topics"]);
                    let members = members_of(&v["members"]);
                    let a = assignor::assign(assignor, &topics, &members).assignment;
                    assert_valid(&label, &topics, &members, &a);
                    assert_balanced(&label, &members, &a);
                    for m in &members {
                        assert_eq!(a[&m.member_id].len(), 4, "{label}: {}", m.member_id);
                        if m.generation == Some(2) {
                            assert!(
                                a[&m.member_id].iter().all(|tp| m.owned_partitions.contains(tp)),
                                "{label}: {} kept only owned",
                                m.member_id
                            );
                        }
                    }
                }
                checked += 1;
                continue;
            }
            let topics = topics_of(&c["topics"]);
            let from_rack_tests = c["from_rack_tests"] == Value::Bool(true);
            let mut members = members_of(&c["members"]);
            if from_rack_tests && assignor == Assignor::Sticky {
                // The rack tests pass owned partitions only in the
                // subscription, with no user data. The eager StickyAssignor
                // reads what a member owned from its user data alone, so to
                // it these members own nothing.
                for m in &mut members {
                    m.owned_partitions.clear();
                }
            }
            let single = assignor::assign(assignor, &topics, &members);
            if let Some(expected) = c.get("expected_assignment") {
                let comparison = c["comparison"].as_str().unwrap_or("set");
                let only: Option<BTreeSet<String>> = c
                    .get("expected_assignment_covers_only")
                    .and_then(Value::as_array)
                    .map(|a| a.iter().map(|v| v.as_str().expect("id").to_string()).collect());
                // The rack tests call the assignor once, so their expected
                // cooperative result is the first round, revocations included.
                let actual =
                    if assignor == Assignor::CooperativeSticky && !id.starts_with("sticky/coop/") && !from_rack_tests {
                        if let Some(first_round) = c.get("cooperative_first_round_assignment") {
                            compare(&format!("{label} first round"), comparison, first_round, &single.assignment, None);
                        }
                        cooperative_fixpoint(&topics, &members)
                    } else {
                        single.assignment.clone()
                    };
                compare(&label, comparison, expected, &actual, only.as_ref());
            } else {
                steps_for(&label, &topics, &members, assignor);
            }
            if assignor == Assignor::Sticky {
                match &c["expected_partitions_transferring_ownership"] {
                    Value::String(s) if s == "empty" => {
                        assert_eq!(
                            single.partitions_transferring_ownership,
                            Some(BTreeMap::new()),
                            "{label}: transferring"
                        )
                    }
                    Value::Null if c.get("expected_partitions_transferring_ownership").is_some() => {
                        assert_eq!(single.partitions_transferring_ownership, None, "{label}: transferring")
                    }
                    Value::Object(o) => {
                        let want: BTreeMap<TopicPartition, String> = o
                            .iter()
                            .map(|(k, v)| (parse_transfer_key(k), v.as_str().expect("owner").to_string()))
                            .collect();
                        assert_eq!(single.partitions_transferring_ownership, Some(want), "{label}: transferring");
                    }
                    _ => {}
                }
            }
            checked += 1;
        }
    }
    assert!(checked >= 130, "only {checked} sticky checks ran");
}

#[test]
fn java_hash_map_order_is_bucket_order() {
    let keys = ["consumer1", "consumer2", "consumer3", "consumer4"];
    let order: Vec<&str> = java_hash_map_order(&keys).into_iter().map(|i| keys[i]).collect();
    assert_eq!(order, ["consumer4", "consumer3", "consumer2", "consumer1"]);
}
