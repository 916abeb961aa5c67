//! Throughput and memory figures for the Kafka engine, one line per figure.
//!
//! Only `std` and no threads, so the same file builds for `wasm32-wasip1` and
//! runs under Node's WASI. Run natively with `cargo bench -p brokerlab-kafka`.

use brokerlab_kafka::assignor::{self, Assignor, MemberSubscription, TopicPartition};
use brokerlab_kafka::*;
use std::collections::BTreeMap;
use std::hint::black_box;
use std::time::Instant;

/// acks=1 with `linger.ms=0`, so that every `send_record` appends at once
/// and the figure measures the append path rather than the accumulator.
fn producer_config() -> ProducerConfig {
    ProducerConfig { acks: Acks::One, enable_idempotence: false, linger_ms: 0, ..ProducerConfig::default() }
}

fn append_one_partition(n: u64) {
    let mut c = Cluster::new(ClusterConfig { brokers: 1, ..ClusterConfig::default() }, 1).expect("cluster");
    // Size retention keeps the benchmark's memory flat (1 MB in 128 KB segments).
    let topic = TopicConfig { retention_bytes: 1 << 20, segment_bytes: 128 << 10, ..TopicConfig::new(1, 1) };
    c.create_topic("bench", topic).expect("topic");
    c.create_producer("p", producer_config()).expect("producer");
    c.set_event_recording(false);
    let start = Instant::now();
    for i in 0..n {
        let data = RecordData { key: None, value: Some(i.to_le_bytes().to_vec()), headers: Vec::new() };
        black_box(c.send_record("p", "bench", Some(0), data, None).expect("append"));
    }
    let secs = start.elapsed().as_secs_f64();
    println!("kafka/append_one_partition: {:.2} M records/s ({n} records in {:.3} s)", n as f64 / secs / 1e6, secs);
}

fn keyed_produce_twelve_partitions(n: u64) {
    let mut c = Cluster::new(ClusterConfig { brokers: 3, ..ClusterConfig::default() }, 1).expect("cluster");
    let topic = TopicConfig { retention_bytes: 3 << 20, segment_bytes: 1 << 20, ..TopicConfig::new(12, 1) };
    let keys: Vec<Vec<u8>> = (0..10_000).map(|i| format!("user-{i}").into_bytes()).collect();
    c.create_topic("bench", topic).expect("topic");
    c.create_producer("p", producer_config()).expect("producer");
    c.set_event_recording(false);
    let start = Instant::now();
    for i in 0..n {
        // The key is copied per record because the record owns it.
        let key = keys[(i % 10_000) as usize].clone();
        let data = RecordData { key: Some(key), value: Some(i.to_le_bytes().to_vec()), headers: Vec::new() };
        black_box(c.send_record("p", "bench", None, data, None).expect("produce"));
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "kafka/keyed_produce_12_partitions: {:.2} M records/s ({n} records in {:.3} s)",
        n as f64 / secs / 1e6,
        secs
    );
}

fn rebalance(assignor: Assignor) {
    let topics: BTreeMap<String, u32> = BTreeMap::from([("bench".to_string(), 1_000)]);
    let mut members: Vec<MemberSubscription> = (0..100)
        .map(|i| MemberSubscription {
            member_id: format!("consumer-{i:03}"),
            topics: vec!["bench".into()],
            ..Default::default()
        })
        .collect();
    // A full rebalance from scratch.
    let start = Instant::now();
    let first = assignor::assign(assignor, &topics, &members);
    let fresh = start.elapsed();
    // And the common case: one member leaves, the rest report what they own.
    for m in &mut members {
        m.owned_partitions = first.assignment[&m.member_id].clone();
        m.generation = Some(1);
    }
    members.remove(37);
    let start = Instant::now();
    let second = assignor::assign(assignor, &topics, &members);
    let again = start.elapsed();
    black_box(second);
    println!(
        "kafka/rebalance_100_members_1000_partitions/{}: {:.2} ms fresh, {:.2} ms after a member left",
        assignor.protocol_name(),
        fresh.as_secs_f64() * 1e3,
        again.as_secs_f64() * 1e3
    );
}

/// The coordinator's `uniform` assignor of the consumer group protocol
/// (KIP-848) on 100 members and 1,000 partitions: a fresh target, and the
/// next one after a member left (every member keeps what fits its quota).
fn server_uniform_assignor() {
    let topics: BTreeMap<String, u32> = BTreeMap::from([("bench".to_string(), 1_000)]);
    let mut members: Vec<ServerMember> = (0..100)
        .map(|i| ServerMember {
            member_id: format!("member-{i:03}"),
            topics: vec!["bench".into()],
            ..Default::default()
        })
        .collect();
    let start = Instant::now();
    let first = assign_server(ServerAssignor::Uniform, &topics, &members);
    let fresh = start.elapsed();
    for m in &mut members {
        m.target = first[&m.member_id].clone();
    }
    members.remove(37);
    let start = Instant::now();
    let second = assign_server(ServerAssignor::Uniform, &topics, &members);
    let again = start.elapsed();
    black_box(second);
    println!(
        "kafka/server_assignor_100_members_1000_partitions/uniform: {:.2} ms fresh, {:.2} ms after a member left",
        fresh.as_secs_f64() * 1e3,
        again.as_secs_f64() * 1e3
    );
}

/// A consumer-protocol group of 99 members on 1,000 partitions takes a
/// 100th: its join, the target assignment, and every member's heartbeats
/// until the group is Stable again (two heartbeat intervals of logical time).
fn consumer_group_join_in_cluster() {
    let mut c = Cluster::new(ClusterConfig { brokers: 3, ..ClusterConfig::default() }, 1).expect("cluster");
    c.create_topic("bench", TopicConfig::new(1_000, 1)).expect("topic");
    let cfg = ConsumerConfig {
        group_protocol: GroupProtocol::Consumer,
        max_poll_interval_ms: 3_600_000,
        ..ConsumerConfig::new("g")
    };
    for i in 0..100 {
        let n = format!("c{i:03}");
        c.create_consumer(&n, cfg.clone()).expect("consumer");
        c.subscribe(&n, &["bench".to_string()]).expect("subscribe");
    }
    for i in 0..99 {
        c.poll(&format!("c{i:03}"), Some(1)).expect("join");
    }
    c.tick(10_000).expect("settle");
    // The same stretch of logical time with nothing to reconcile, to tell
    // the protocol's cost from the clock's.
    let mut idle = c.clone();
    let start = Instant::now();
    idle.tick(5_000).expect("tick");
    let baseline = start.elapsed();
    let start = Instant::now();
    c.poll("c099", Some(1)).expect("join");
    // Everyone's next heartbeat falls within the next 5 s.
    c.tick(5_000).expect("heartbeats");
    let t = start.elapsed();
    let state = c.group("g").expect("group").state;
    println!(
        "kafka/consumer_group_join_100th_member_1000_partitions/uniform: {:.2} ms for the join and 5 s of heartbeats, {:?} after ({:.2} ms for 5 s with nothing to reconcile)",
        t.as_secs_f64() * 1e3,
        state,
        baseline.as_secs_f64() * 1e3
    );
}

/// Members join on their polls: settles the group by polling every member
/// in turn until the group is stable and everyone holds its assignment.
fn settle(c: &mut Cluster, names: &[String]) -> usize {
    let mut events = 0;
    for _ in 0..8 {
        for n in names {
            events += c.poll(n, Some(1)).expect("poll").1.len();
        }
        let g = c.group("g").expect("group");
        let settled = g.state == GroupStateView::Stable
            && names.iter().all(|n| c.consumer(n).is_ok_and(|v| !v.rebalancing && v.generation == Some(g.generation)));
        if settled {
            break;
        }
    }
    events
}

fn group_rebalance_in_cluster() {
    let mut c = Cluster::new(ClusterConfig { brokers: 3, ..ClusterConfig::default() }, 1).expect("cluster");
    c.create_topic("bench", TopicConfig::new(1_000, 1)).expect("topic");
    let mut names: Vec<String> = (0..99).map(|i| format!("c{i:03}")).collect();
    for n in &names {
        let cfg = ConsumerConfig { assignor: Assignor::CooperativeSticky, ..ConsumerConfig::new("g") };
        c.create_consumer(n, cfg).expect("consumer");
        c.subscribe(n, &["bench".to_string()]).expect("subscribe");
    }
    settle(&mut c, &names);
    let cfg = ConsumerConfig { assignor: Assignor::CooperativeSticky, ..ConsumerConfig::new("g") };
    c.create_consumer("c099", cfg).expect("consumer");
    c.subscribe("c099", &["bench".to_string()]).expect("subscribe");
    names.push("c099".to_string());
    // The 100th member joins on its poll; the others rejoin on theirs, and
    // the partitions that move are handed over in a second round.
    let start = Instant::now();
    let events = settle(&mut c, &names);
    let t = start.elapsed();
    let generation = c.group("g").expect("group").generation;
    println!(
        "kafka/group_join_100th_member_1000_partitions/cooperative-sticky: {:.2} ms for both rounds and 100 polls each, {} events, generation {}",
        t.as_secs_f64() * 1e3,
        events,
        generation
    );
}

fn retention_window(n: u64) {
    let mut c = Cluster::new(ClusterConfig { brokers: 1, ..ClusterConfig::default() }, 1).expect("cluster");
    // Every record is 22 bytes (14 of framing and an 8-byte value); segments
    // hold 100 records and retention.bytes keeps 900, so at most 1,000 remain.
    let topic = TopicConfig { retention_bytes: 22 * 900, segment_bytes: 22 * 100, ..TopicConfig::new(1, 1) };
    c.create_topic("bench", topic).expect("topic");
    c.create_producer("p", producer_config()).expect("producer");
    c.set_event_recording(false);
    let mut max_records = 0;
    let start = Instant::now();
    for i in 0..n {
        let data = RecordData { key: None, value: Some(i.to_le_bytes().to_vec()), headers: Vec::new() };
        c.send_record("p", "bench", Some(0), data, None).expect("append");
        if i % 4_096 == 0 {
            max_records = max_records.max(c.retained_records("bench").expect("topic"));
        }
    }
    let secs = start.elapsed().as_secs_f64();
    let p = c.partition("bench", 0).expect("partition");
    println!(
        "kafka/retention_window: {} records through, {} retained ({} bytes of record data, {} segments, log start {}), peak {} retained, {:.2} M records/s",
        n,
        p.retained_records,
        p.retained_bytes,
        p.segments,
        p.log_start_offset,
        max_records,
        n as f64 / secs / 1e6
    );
}

/// A share group (KIP-932) of 50 explicit-mode consumers on 10 partitions:
/// each round every consumer polls up to 500 records and accepts them one
/// by one; the figure counts acknowledgements per second, polls included.
fn share_group_acknowledgements(n: u64) {
    let mut c = Cluster::new(ClusterConfig { brokers: 1, ..ClusterConfig::default() }, 1).expect("cluster");
    let partitions = 10;
    c.create_topic("bench", TopicConfig::new(partitions, 1)).expect("topic");
    c.create_producer("p", producer_config()).expect("producer");
    c.set_event_recording(false);
    for i in 0..n {
        let data = RecordData { key: None, value: Some(i.to_le_bytes().to_vec()), headers: Vec::new() };
        c.send_record("p", "bench", Some((i % u64::from(partitions)) as u32), data, None).expect("append");
    }
    c.tick(100).expect("tick");
    let group = ShareGroupConfig { auto_offset_reset: ShareOffsetReset::Earliest, ..ShareGroupConfig::default() };
    c.alter_share_group_config("workers", group).expect("group");
    let names: Vec<String> = (0..50).map(|i| format!("worker-{i:02}")).collect();
    for name in &names {
        let config = ShareConsumerConfig {
            acknowledgement_mode: AcknowledgementMode::Explicit,
            ..ShareConsumerConfig::new("workers")
        };
        c.create_share_consumer(name, config).expect("share consumer");
        c.share_subscribe(name, &["bench".to_string()]).expect("subscribe");
    }
    let start = Instant::now();
    let (mut acknowledged, mut polls) = (0u64, 0u64);
    while acknowledged < n {
        for name in &names {
            let (records, _) = c.share_poll(name, None).expect("poll");
            polls += 1;
            for r in records {
                let tp = TopicPartition::new(r.topic, r.partition);
                c.share_acknowledge(name, &tp, r.offset, AcknowledgeType::Accept).expect("accept");
                acknowledged += 1;
            }
        }
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "kafka/share_group_50_consumers: {:.2} M acknowledgements/s ({acknowledged} records, {polls} polls in {:.3} s)",
        acknowledged as f64 / secs / 1e6,
        secs
    );
}

fn main() {
    // `cargo bench` passes `--bench`; a numeric argument scales the runs down
    // (for slow targets): 1 = full size.
    let scale: u64 = std::env::args().skip(1).find_map(|a| a.parse().ok()).unwrap_or(1).max(1);
    append_one_partition(5_000_000 / scale);
    keyed_produce_twelve_partitions(3_000_000 / scale);
    for a in [Assignor::Range, Assignor::RoundRobin, Assignor::Sticky, Assignor::CooperativeSticky] {
        rebalance(a);
    }
    group_rebalance_in_cluster();
    server_uniform_assignor();
    consumer_group_join_in_cluster();
    retention_window(10_000_000 / scale);
    share_group_acknowledgements(1_000_000 / scale);
}
