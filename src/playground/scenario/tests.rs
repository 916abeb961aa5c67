//! Tests of the mapping both ways: every built-in scenario draws and runs,
//! a canvas survives the round trip exactly, and what cannot be drawn is
//! refused with a reason.

use super::*;
use crate::playground::model::{
    AckMode, Acks, CleanupPolicy, ConsumerSettings, EdgeId, EdgeRole, ExchangeSettings, Failure, Isolation, NODE_H,
    NODE_W, NodeConfig, NodeId, NodeKind, OffsetReset, Partitioner, ProducerSettings, QueueSettings, QueueType,
    StreamOffset, TopicSettings, Topology, Word, pairs_map,
};
use brokerlab_rabbit::ExchangeKind;
use brokerlab_scenario::{CanvasGroup, CanvasPart, ConsumerFailure, KafkaConsumerDef, Scenario, TopicDef};
use std::collections::BTreeSet;

use crate::playground::sim::Sim;

#[test]
fn every_gallery_starter_opens_and_runs_without_problems() {
    let gallery = gallery();
    assert_eq!(gallery.len(), 9, "{gallery:?}");
    for (id, _) in gallery {
        let topology = preset(&id).unwrap();
        assert!(!topology.nodes.is_empty(), "{id}");
        let mut sim = Sim::new(&topology);
        for _ in 0..20 {
            sim.step();
        }
        assert!(sim.problems().is_empty(), "{id}: {:?}", sim.problems());
    }
}

/// Each starter says what it shows and what to try, naming only parts its
/// canvas draws; its demo has every producer sending, so Play shows traffic.
#[test]
fn every_starter_has_a_story_and_a_demo_that_runs() {
    let starters = starters();
    assert_eq!(starters.len(), gallery().len());
    for s in &starters {
        assert!(!s.shows.is_empty() && !s.try_this.is_empty(), "{}", s.id);
        let demo = demo(&s.id).unwrap();
        let producers: Vec<&str> = demo.of_kind(NodeKind::Producer).map(|n| n.name.as_str()).collect();
        assert!(!producers.is_empty(), "{}", s.id);
        for p in demo.of_kind(NodeKind::Producer) {
            assert!(matches!(&p.config, NodeConfig::Producer(c) if c.rate == DEMO_RATE), "{}: {}", s.id, p.name);
        }
        // What to try names a part of this canvas.
        assert!(
            demo.nodes.iter().any(|n| s.try_this.contains(n.name.as_str())),
            "{}: {:?} names none of its parts",
            s.id,
            s.try_this
        );
        let mut sim = Sim::new(&demo);
        for _ in 0..30 {
            sim.step();
        }
        let sent: u64 = demo.of_kind(NodeKind::Producer).map(|p| sim.counters(p.id).sent).sum();
        assert!(sent >= 5, "{}: the demo sent {sent} in 3 s", s.id);
    }
}

#[test]
fn topic_routing_keeps_its_bindings_and_publisher() {
    let t = preset("topic-routing").unwrap();
    assert!(t.edges.iter().any(|e| e.role.is_binding() && !e.binding_key.is_empty()));
    assert!(t.of_kind(NodeKind::Producer).count() >= 1);
    assert!(t.edges.iter().any(|e| t.node(e.from).is_some_and(|n| n.kind() == NodeKind::Producer)));
}

#[test]
fn starters_open_in_columns_the_way_messages_flow_without_overlaps() {
    for (id, _) in gallery() {
        let t = preset(&id).unwrap();
        let x = |kind: NodeKind| t.of_kind(kind).map(|n| n.x).fold(f64::NAN, f64::min);
        for (before, after) in [
            (NodeKind::Producer, NodeKind::Exchange),
            (NodeKind::Exchange, NodeKind::Queue),
            (NodeKind::Queue, NodeKind::Consumer),
            (NodeKind::Topic, NodeKind::Group),
        ] {
            let (a, b) = (x(before), x(after));
            assert!(a.is_nan() || b.is_nan() || a < b, "{id}: {before:?} at {a} should be left of {after:?} at {b}");
        }
        for (i, a) in t.nodes.iter().enumerate() {
            for b in &t.nodes[i + 1..] {
                let apart = (a.x - b.x).abs() >= NODE_W || (a.y - b.y).abs() >= NODE_H;
                assert!(apart, "{id}: {} and {} overlap", a.name, b.name);
            }
        }
    }
}

#[test]
fn a_scenario_link_opens_on_the_canvas() {
    let scenario = brokerlab_scenario::presets::get("kafka-key-ordering").unwrap();
    let link = scenario.to_link();
    let topology = crate::playground::share::from_link(&link).unwrap();
    assert!(topology.of_kind(NodeKind::Topic).count() >= 1);
    assert!(topology.of_kind(NodeKind::Broker).count() >= 1);
}

// --- The mapping, both ways ---------------------------------------

use crate::playground::model::Playground;
use crate::playground::share;

/// Topology -> scenario -> topology, directly, through a link and
/// through a file.
fn round_trip(t: &Topology) -> Topology {
    let s = to_scenario(t).unwrap();
    let back = from_scenario(&s).unwrap();
    let link = share::link_fragment(t).unwrap();
    let via_link = share::from_link(link.strip_prefix("#/playground?s=").unwrap()).unwrap();
    let via_file = share::from_json(&share::to_json(t).unwrap()).unwrap();
    assert_eq!(via_link, back, "through a link");
    assert_eq!(via_file, back, "through a file");
    back
}

/// SplitMix64: a small seeded generator, so each case can be replayed
/// from its seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }

    fn position(&mut self) -> f64 {
        self.below(3000) as f64 + self.below(1000) as f64 / 1000.0 - 50.0
    }
}

const NAMES: &[&str] = &[
    "orders",
    "q1",
    "a b",
    "naïve café",
    "x:y",
    "shop/orders",
    "q>1",
    "100%",
    "\"quoted\"",
    "emoji 🐇",
    "amq.direct",
    "#",
    "&s=1",
    "line\nbreak",
    "broker-0",
    "broker-1",
    "hello",
];

fn pairs(rng: &mut Rng) -> String {
    const KEYS: &[&str] = &["x-match", "region", "a", "format", "k é", "n"];
    const VALUES: &[&str] = &["all", "any", "eu", "1", "", "x=y", "pdf report", "ü"];
    let n = rng.below(4);
    let mut parts: Vec<String> = (0..n)
        .map(|_| {
            let (k, v) = (rng.pick(KEYS), rng.pick(VALUES));
            let pad = if rng.chance(30) { " " } else { "" };
            format!("{pad}{k}{pad}={pad}{v}")
        })
        .collect();
    if rng.chance(5) {
        parts.push("not-a-pair".into());
    }
    parts.join(if rng.chance(50) { ", " } else { "," })
}

fn random_config(rng: &mut Rng, kind: NodeKind) -> NodeConfig {
    let maybe = |rng: &mut Rng| rng.chance(50).then(|| *rng.pick(&[0, 1, 5_000, 60_000, u32::MAX]));
    match kind {
        NodeKind::Producer => NodeConfig::Producer(ProducerSettings {
            routing_key: rng.pick(&["", "eu.orders", "o-1", "a b"]).to_string(),
            body: rng.pick(&["hello", "", "{\"id\": 1}", "ünï"]).to_string(),
            headers: pairs(rng),
            rate: *rng.pick(&[0, 1, 20, 100_000]),
            burst: *rng.pick(&[1, 10, 25, 1000]),
            acks: *rng.pick(&[Acks::Zero, Acks::One, Acks::All]),
            idempotence: rng.chance(50),
            partitioner: *rng.pick(&[Partitioner::Sticky, Partitioner::RoundRobin]),
            transactional_id: rng.pick(&["", "tx-1", " padded "]).to_string(),
            linger_ms: *rng.pick(&[0, 5, 100]),
        }),
        NodeKind::Exchange => NodeConfig::Exchange(ExchangeSettings {
            kind: *rng.pick(&[ExchangeKind::Direct, ExchangeKind::Fanout, ExchangeKind::Topic, ExchangeKind::Headers]),
            durable: rng.chance(50),
            alternate_exchange: rng.pick(&["", "unrouted", " padded "]).to_string(),
            vhost: rng.pick(&["/", "/", "staging", "a b", ""]).to_string(),
        }),
        NodeKind::Queue => NodeConfig::Queue(QueueSettings {
            message_ttl: maybe(rng),
            max_length: maybe(rng),
            dead_letter_exchange: rng.pick(&["", "dlx", " padded ", "orders"]).to_string(),
            dead_letter_routing_key: rng.pick(&["", "", "work", " padded "]).to_string(),
            queue_type: *rng.pick(&[QueueType::Classic, QueueType::Quorum, QueueType::Stream]),
            delivery_limit: maybe(rng),
            max_length_bytes: *rng.pick(&[None, Some(0), Some(20_000), Some(u64::MAX)]),
            max_age: rng.pick(&["", "7D", "30m", " 1h "]).to_string(),
            durable: rng.chance(50),
            vhost: rng.pick(&["/", "/", "staging", "a b", ""]).to_string(),
        }),
        NodeKind::Consumer => NodeConfig::Consumer(ConsumerSettings {
            processing_ms: *rng.pick(&[0, 300, 1_500, 600_000]),
            prefetch: *rng.pick(&[0, 1, 10, 250, u16::MAX]),
            ack_mode: *rng.pick(&[AckMode::Manual, AckMode::Auto]),
            failure: *rng.pick(&[Failure::None, Failure::Crash, Failure::Nack, Failure::Slow]),
            offset_reset: *rng.pick(&[OffsetReset::Earliest, OffsetReset::Latest]),
            isolation: *rng.pick(&[Isolation::ReadUncommitted, Isolation::ReadCommitted]),
            auto_commit: rng.chance(50),
            session_timeout_ms: *rng.pick(&[5_999, 6_000, 10_000, 45_000, 1_800_000]),
            heartbeat_ms: *rng.pick(&[0, 1_000, 3_000, 9_000]),
            group_instance_id: rng.pick(&["", "packer-1", " padded "]).to_string(),
            group_protocol: *rng.pick(&[GroupProtocol::Classic, GroupProtocol::Consumer]),
            stream_offset: *rng.pick(&[
                StreamOffset::Next,
                StreamOffset::First,
                StreamOffset::Last,
                StreamOffset::Offset(0),
                StreamOffset::Offset(u64::MAX),
            ]),
        }),
        NodeKind::Topic => NodeConfig::Topic(TopicSettings {
            partitions: *rng.pick(&[0, 1, 2, 3, 64, 65]),
            replication_factor: *rng.pick(&[0, 1, 2, 3, 9, 10]),
            min_insync_replicas: *rng.pick(&[None, Some(0), Some(1), Some(2), Some(9)]),
            retention_ms: *rng.pick(&[-2, -1, 0, 3_600_000, 604_800_000, i64::MAX]),
            cleanup_policy: *rng.pick(&[CleanupPolicy::Delete, CleanupPolicy::Compact, CleanupPolicy::CompactDelete]),
        }),
        NodeKind::Broker => NodeConfig::Broker,
        NodeKind::Group => NodeConfig::Group,
        NodeKind::ShareGroup => NodeConfig::ShareGroup,
    }
}

/// A topology made the way a learner makes one: a random run of edits
/// (adding, wiring, renaming, configuring, binding, moving, deleting,
/// undoing) in the editor, which refuses what it refuses.
fn random_topology(seed: u64) -> Topology {
    const KINDS: &[NodeKind] = &[
        NodeKind::Producer,
        NodeKind::Exchange,
        NodeKind::Queue,
        NodeKind::Consumer,
        NodeKind::Broker,
        NodeKind::Topic,
        NodeKind::Group,
        NodeKind::ShareGroup,
    ];
    let mut rng = Rng(seed);
    let mut p = Playground::default();
    let steps = rng.below(60);
    for _ in 0..steps {
        let nodes: Vec<NodeId> = p.topology.nodes.iter().map(|n| n.id).collect();
        let edges: Vec<EdgeId> = p.topology.edges.iter().map(|e| e.id).collect();
        let node = |rng: &mut Rng| (!nodes.is_empty()).then(|| *rng.pick(&nodes));
        match rng.below(21) {
            0..=5 => {
                let kind = *rng.pick(KINDS);
                let at = rng.chance(70).then(|| (rng.position(), rng.position()));
                p.add_node(kind, at);
            }
            6..=10 => {
                if let (Some(a), Some(b)) = (node(&mut rng), node(&mut rng)) {
                    let _ = p.connect(a, b);
                }
            }
            11 => {
                if let Some(id) = node(&mut rng) {
                    let name = format!("{}{}", rng.pick(NAMES), if rng.chance(50) { "" } else { "-2" });
                    let _ = p.rename(id, &name);
                }
            }
            12 | 13 => {
                if let Some(id) = node(&mut rng) {
                    let kind = p.topology.node(id).unwrap().kind();
                    let _ = p.configure(id, random_config(&mut rng, kind));
                }
            }
            14 => {
                if !edges.is_empty() {
                    let e = *rng.pick(&edges);
                    if p.topology.edge(e).unwrap().role.is_binding() {
                        let key = rng.pick(&["", "#", "eu.*", "a b", "q1"]).to_string();
                        let _ = p.set_binding(e, &key, &pairs(&mut rng));
                    }
                }
            }
            15 => {
                if let Some(id) = node(&mut rng) {
                    p.begin_drag();
                    p.drag_to(id, rng.position(), rng.position());
                } else {
                    let _ = p.undo();
                }
            }
            16 => {
                if rng.chance(50) {
                    if let Some(id) = node(&mut rng) {
                        p.delete_node(id);
                    }
                } else if !edges.is_empty() {
                    p.delete_edge(*rng.pick(&edges));
                }
            }
            17 => {
                let _ = p.undo();
            }
            18 => {
                if let Some(id) = node(&mut rng) {
                    let _ = p.nudge(id, -10.0, 10.0);
                }
            }
            19 => p.set_rabbitmq_version(*rng.pick(<brokerlab_scenario::RabbitVersion as Word>::ALL)),
            _ => p.set_seed(rng.next()),
        }
    }
    p.topology
}

/// Whether every binding's arguments and every producer's headers are
/// pairs, which is what a scenario can hold.
fn all_pairs(t: &Topology) -> bool {
    t.edges.iter().filter(|e| e.role.is_binding()).all(|e| pairs_map(&e.arguments).is_ok())
        && t.nodes.iter().all(|n| match &n.config {
            NodeConfig::Producer(p) => pairs_map(&p.headers).is_ok(),
            _ => true,
        })
}

/// What a scenario keeps of a topology: all of it, except the Kafka
/// settings of a producer that is not a Kafka client (it publishes only to
/// RabbitMQ, or the canvas has no Kafka parts) and of a consumer that is not
/// in a consumer group, which the scenario has no place for; those are the
/// defaults again.
fn as_kept(t: &Topology) -> Topology {
    let mut kept = t.clone();
    let kafka = crate::playground::sim::uses_kafka(t);
    for n in &mut kept.nodes {
        let out = |role: EdgeRole| t.outgoing(n.id).any(|e| e.role == role);
        let amqp = out(EdgeRole::Publish) || out(EdgeRole::PublishToQueue);
        match &mut n.config {
            NodeConfig::Producer(p) if !(out(EdgeRole::Produce) || (!amqp && kafka)) => {
                let d = ProducerSettings::default();
                (p.acks, p.idempotence, p.partitioner, p.transactional_id, p.linger_ms) =
                    (d.acks, d.idempotence, d.partitioner, d.transactional_id, d.linger_ms);
            }
            // A share consumer keeps only what every consumer keeps: its
            // share group hands out records, and it has none of a group
            // member's configs.
            NodeConfig::Consumer(c) if !t.in_consumer_group(n.id) => {
                *c = ConsumerSettings {
                    processing_ms: c.processing_ms,
                    prefetch: c.prefetch,
                    ack_mode: c.ack_mode,
                    failure: c.failure,
                    // A stream offset is a consume argument: only a
                    // RabbitMQ consumer has a place for it.
                    stream_offset: if t.incoming(n.id).any(|e| e.role == EdgeRole::Consume) {
                        c.stream_offset
                    } else {
                        StreamOffset::Next
                    },
                    ..ConsumerSettings::default()
                };
            }
            // A group member is a Kafka client: its stream offset has no
            // place in the scenario either.
            NodeConfig::Consumer(c) => c.stream_offset = StreamOffset::Next,
            _ => {}
        }
    }
    kept
}

#[test]
fn random_topologies_round_trip_exactly() {
    let (mut exact, mut refused) = (0, 0);
    for case in 0..400u64 {
        let seed = 0x5EED_0000 + case;
        let t = random_topology(seed);
        assert_eq!(t.canonical(), t, "seed {seed}: the editor keeps its canonical form");
        match to_scenario(&t) {
            Ok(_) => {
                assert!(all_pairs(&t), "seed {seed}: a topology with unreadable pairs was written");
                assert_eq!(round_trip(&t), as_kept(&t), "seed {seed}");
                exact += 1;
            }
            Err(e) => {
                assert!(!all_pairs(&t), "seed {seed}: refused for no reason: {e}");
                assert!(e.contains("not a name=value pair") || e.contains("given twice"), "seed {seed}: {e}");
                refused += 1;
            }
        }
    }
    assert!(exact > 300 && refused > 0, "{exact} exact, {refused} refused: the generator should reach both");
}

#[test]
fn the_random_topologies_cover_every_kind_of_part_and_connection() {
    let mut kinds = BTreeSet::new();
    let mut roles = BTreeSet::new();
    let mut ordered = 0;
    for case in 0..400u64 {
        let t = random_topology(0x5EED_0000 + case);
        kinds.extend(t.nodes.iter().map(|n| n.kind()));
        roles.extend(t.edges.iter().map(|e| format!("{:?}", e.role)));
        if to_scenario(&t).is_ok_and(|s| !s.canvas.order.is_empty()) {
            ordered += 1;
        }
    }
    assert_eq!(kinds.len(), 8, "{kinds:?}");
    assert_eq!(roles.len(), 8, "{roles:?}");
    assert!(ordered > 100, "only {ordered} cases needed the canvas numbering");
}

#[test]
fn an_empty_topology_is_an_empty_scenario_with_its_seed() {
    let t = Topology::default();
    let s = to_scenario(&t).unwrap();
    assert_eq!(s, Scenario { seed: 1, ..Scenario::default() });
    assert_eq!(serde_json::to_string(&s).unwrap(), r#"{"version":2,"seed":1}"#);
    assert_eq!(round_trip(&t), t);
    assert_eq!(from_scenario(&Scenario::default()).unwrap(), Topology { seed: 0, ..Topology::default() });
}

#[test]
fn names_that_need_escaping_survive() {
    let mut p = Playground::default();
    let x = p.add_exchange(ExchangeKind::Topic, None);
    let q = p.add_node(NodeKind::Queue, None);
    let c = p.add_node(NodeKind::Consumer, None);
    let prod = p.add_node(NodeKind::Producer, None);
    for (id, name) in [(x, "a \"b\" & c=d#e?s=f"), (q, "x:y/z>w 100% 🐇"), (c, "line\nbreak"), (prod, "naïve")] {
        p.rename(id, name).unwrap();
    }
    let e = p.connect(x, q).unwrap();
    p.set_binding(e, "k:ey/#", "h é=v=w, x-match=any").unwrap();
    p.connect(q, c).unwrap();
    p.connect(prod, x).unwrap();
    let t = p.topology;
    assert_eq!(round_trip(&t), t);
    let s = to_scenario(&t).unwrap();
    assert!(s.layout.contains_key("queue:x:y/z>w 100% 🐇"));
    assert_eq!(s.canvas.producers[0].to, ["exchange:a \"b\" & c=d#e?s=f"]);
    let link = s.to_link();
    assert!(link.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b)));
}

#[test]
fn kafka_and_rabbitmq_in_one_topology() {
    let mut p = Playground::default();
    let prod = p.add_node(NodeKind::Producer, Some((30.0, 30.0)));
    let x = p.add_exchange(ExchangeKind::Fanout, Some((280.0, 30.0)));
    let q = p.add_node(NodeKind::Queue, Some((530.0, 30.0)));
    let c = p.add_node(NodeKind::Consumer, Some((780.0, 30.0)));
    let brokers: Vec<NodeId> =
        (0..3).map(|i| p.add_node(NodeKind::Broker, Some((1030.0, 30.0 + 150.0 * f64::from(i))))).collect();
    let t1 = p.add_node(NodeKind::Topic, Some((280.0, 300.0)));
    let g = p.add_node(NodeKind::Group, Some((530.0, 300.0)));
    let k = p.add_node(NodeKind::Consumer, Some((780.0, 300.0)));
    p.configure(
        t1,
        NodeConfig::Topic(TopicSettings { partitions: 3, replication_factor: 3, ..TopicSettings::default() }),
    )
    .unwrap();
    p.connect(prod, x).unwrap();
    p.connect(prod, t1).unwrap();
    p.connect(x, q).unwrap();
    p.connect(q, c).unwrap();
    p.connect(g, t1).unwrap();
    p.connect(k, g).unwrap();
    p.configure(
        k,
        NodeConfig::Consumer(ConsumerSettings { prefetch: 0, failure: Failure::Crash, ..Default::default() }),
    )
    .unwrap();
    let t = p.topology;
    assert_eq!(round_trip(&t), t);

    let s = to_scenario(&t).unwrap();
    s.validate().unwrap();
    assert_eq!(s.kafka.brokers, 3);
    assert_eq!(s.kafka.producers.iter().map(|p| p.name.as_str()).collect::<Vec<_>>(), ["p1"]);
    assert_eq!(s.kafka.consumers[0].topics, ["t1"]);
    assert_eq!(s.kafka.consumers[0].configs["max.poll.records"], "1");
    assert_eq!(s.rabbitmq.consumers[0].queue, "q1");
    assert_eq!(s.canvas.producers[0].to, ["exchange:x1", "topic:t1"]);
    let consumer = s.canvas.consumers.iter().find(|c| c.name == "c2").unwrap();
    assert_eq!((consumer.prefetch, consumer.failure), (Some(0), ConsumerFailure::Crash));
    assert!(s.canvas.brokers.is_empty(), "{:?}", s.canvas);
    // The engines build what the canvas runs, and ignore the canvas section.
    let session = s.start().unwrap();
    let queues = session.rabbit().queues("/");
    assert_eq!(queues.iter().map(|q| (q.name.as_str(), q.durable)).collect::<Vec<_>>(), [("q1", true)]);
    assert_eq!(brokers.len() as u32, session.kafka().brokers().len() as u32);
}

#[test]
fn canvas_only_parts_come_back() {
    let mut p = Playground::default();
    let lonely_producer = p.add_node(NodeKind::Producer, None);
    let lonely_consumer = p.add_node(NodeKind::Consumer, None);
    p.configure(
        lonely_consumer,
        NodeConfig::Consumer(ConsumerSettings { ack_mode: AckMode::Auto, processing_ms: 5, ..Default::default() }),
    )
    .unwrap();
    let t = p.add_node(NodeKind::Topic, None);
    let g = p.add_node(NodeKind::Group, None);
    p.connect(t, g).unwrap();
    p.add_node(NodeKind::Group, None);
    for _ in 0..3 {
        p.add_node(NodeKind::Broker, None);
    }
    let b1 = p.topology.of_kind(NodeKind::Broker).nth(1).unwrap().id;
    p.rename(b1, "the slow one").unwrap();
    let _ = lonely_producer;
    let topology = p.topology.clone();
    assert_eq!(round_trip(&topology), topology);
    let s = to_scenario(&topology).unwrap();
    assert_eq!(
        s.canvas.groups.iter().map(|g| (g.name.as_str(), g.topics.len())).collect::<Vec<_>>(),
        [("g1", 1), ("g2", 0)]
    );
    assert_eq!(s.canvas.brokers, ["broker-0", "the slow one", "broker-2"]);
    assert_eq!(s.canvas.consumers[0].auto_ack, Some(true));

    // Three brokers and nothing else of Kafka: the broker count is the
    // default, so the canvas section names them.
    let mut only = Playground::default();
    for _ in 0..3 {
        only.add_node(NodeKind::Broker, None);
    }
    assert_eq!(round_trip(&only.topology), only.topology);
    // Topics without a broker: the Kafka part says 0.
    let mut none = Playground::default();
    none.add_node(NodeKind::Topic, None);
    let s = to_scenario(&none.topology).unwrap();
    assert_eq!(s.kafka.brokers, 0);
    assert_eq!(round_trip(&none.topology), none.topology);
}

#[test]
fn deleted_parts_leave_gaps_in_the_numbering_that_come_back() {
    let mut p = Playground::default();
    let a = p.add_node(NodeKind::Queue, None);
    let b = p.add_node(NodeKind::Exchange, None);
    let e = p.connect(b, a).unwrap();
    p.delete_edge(e);
    let c = p.add_node(NodeKind::Consumer, None);
    p.connect(a, c).unwrap();
    p.add_node(NodeKind::Producer, None);
    p.delete_node(b);
    let t = p.topology;
    let s = to_scenario(&t).unwrap();
    assert_eq!(s.canvas.order.len() as u32, t.next_id - 1);
    assert_eq!(s.canvas.order[1], None, "the deleted exchange");
    assert_eq!(s.canvas.order[4], Some(CanvasPart::Connection([a, c])));
    assert_eq!(round_trip(&t), t);
}

#[test]
fn parts_keep_their_vhost_both_ways_and_are_keyed_as_vhost_slash_name() {
    let s = brokerlab_scenario::presets::get("vhosts-channels").unwrap();
    let t = from_scenario(&s).unwrap();
    let queues: Vec<(&str, &str)> = t.of_kind(NodeKind::Queue).map(|n| (n.vhost(), n.name.as_str())).collect();
    assert_eq!(queues, [("shop", "orders"), ("billing", "orders")]);
    let shop = t.named(NodeKind::Producer, "shop-app").unwrap();
    let target = t.outgoing(shop.id).next().and_then(|e| t.node(e.to)).unwrap();
    assert_eq!(target.qualified_name(), "shop/orders", "a publish in vhost shop reaches that vhost's queue");
    let written = to_scenario(&t).unwrap();
    let vhosts: Vec<&str> = written.rabbitmq.queues.iter().map(|q| q.vhost.as_str()).collect();
    assert_eq!(vhosts, ["shop", "billing"]);
    let declared: Vec<&str> = written.rabbitmq.vhosts.iter().map(|v| v.name.as_str()).collect();
    assert_eq!(declared, ["billing", "shop"], "every vhost a part is in is declared");
    assert!(written.layout.contains_key("queue:shop/orders"));
    assert_eq!(round_trip(&t), t);
}

#[test]
fn binding_arguments_map_to_text_and_bad_ones_are_refused_with_the_binding_named() {
    let mut s = brokerlab_scenario::presets::get("headers-routing").unwrap();
    let t = from_scenario(&s).unwrap();
    let pdf = t.named(NodeKind::Queue, "pdf-reports").unwrap();
    let binding = t.incoming(pdf.id).find(|e| e.role.is_binding()).unwrap();
    assert_eq!(binding.arguments, "format=pdf, kind=report, x-match=all");
    s.rabbitmq.bindings[0].arguments.insert("count".into(), serde_json::json!(3));
    let err = from_scenario(&s).unwrap_err();
    assert!(err.contains("binding documents \u{2192} pdf-reports") && err.contains("not text"), "{err}");
    s.rabbitmq.bindings[0].arguments.insert("count".into(), serde_json::json!("1,2"));
    assert!(from_scenario(&s).unwrap_err().contains("cannot be written as a name=value pair"));
}

#[test]
fn a_canvas_section_that_disagrees_with_the_rest_is_refused_clearly() {
    let mut p = Playground::default();
    let prod = p.add_node(NodeKind::Producer, None);
    let q = p.add_node(NodeKind::Queue, None);
    p.connect(prod, q).unwrap();
    p.add_node(NodeKind::Broker, None);
    let good = to_scenario(&p.topology).unwrap();
    let check = |edit: &dyn Fn(&mut Scenario), words: &str| {
        let mut s = good.clone();
        edit(&mut s);
        let err = from_scenario(&s).unwrap_err();
        assert!(err.contains(words), "{err}");
    };
    check(&|s| s.canvas.producers[0].to = vec!["queue:nope".into()], "sends to queue:nope, which is not there");
    check(&|s| s.canvas.producers[0].to = vec!["consumer:c1".into()], "not an exchange, queue or topic");
    check(&|s| s.canvas.producers[0].to = vec!["topic:t9".into()], "topic:t9, which is not there");
    check(&|s| s.canvas.producers.push(s.canvas.producers[0].clone()), "listed twice");
    check(&|s| s.canvas.order = vec![Some(CanvasPart::Node("queue:q9".into()))], "names queue:q9");
    check(&|s| s.canvas.order = vec![Some(CanvasPart::Connection([1, 2]))], "which are not parts");
    check(&|s| s.canvas.brokers = vec!["a".into(), "b".into()], "names 2 brokers but the Kafka part has 1");
    check(&|s| s.kafka.brokers = MAX_BROKERS + 1, "draws at most");
    check(&|s| s.kafka.topics.push(TopicDef::new("t", 100, 1)), "holds 1 to 64 partitions");
    check(
        &|s| s.canvas.groups.push(CanvasGroup { name: "g".into(), topics: vec!["t".into()] }),
        "topic t, which is not there",
    );
}

/// The example in docs/scenario.md is exactly what the canvas writes.
#[test]
fn the_documented_canvas_example_is_what_the_canvas_writes() {
    let doc = include_str!("../../../docs/scenario.md");
    let section = &doc[doc.find("## The canvas section").unwrap()..];
    let start = section.find("```json\n").unwrap() + "```json\n".len();
    let example = &section[start..start + section[start..].find("```").unwrap()];
    let s = Scenario::from_json(example).unwrap();
    let t = from_scenario(&s).unwrap();
    assert_eq!(to_scenario(&t).unwrap(), s);
    assert_eq!(round_trip(&t), t);
    let shop = t.named(NodeKind::Producer, "shop").unwrap();
    assert!(matches!(&shop.config, NodeConfig::Producer(p) if p.rate == 2 && p.headers == "region=eu"));
    assert_eq!(t.outgoing(shop.id).count(), 2);
    let late = t.named(NodeKind::Group, "late").unwrap();
    assert_eq!(t.incoming(late.id).count(), 1);
    assert!(t.named(NodeKind::Consumer, "spare").is_some_and(|c| t.incoming(c.id).next().is_none()));
    assert_eq!(t.of_kind(NodeKind::Broker).count(), 2);
}

#[test]
fn canvas_consumers_commit_by_hand_and_leave_a_group_quickly() {
    for prefetch in [0, 1, 10, u16::MAX] {
        let def = KafkaConsumerDef {
            name: "c".into(),
            group_id: "g".into(),
            topics: Vec::new(),
            configs: kafka_consumer_configs(&ConsumerSettings { prefetch, ..ConsumerSettings::default() }),
            rebalance_listener: false,
        };
        let expected = brokerlab_kafka::ConsumerConfig {
            auto_offset_reset: brokerlab_kafka::OffsetReset::Earliest,
            enable_auto_commit: false,
            session_timeout_ms: 6_000,
            heartbeat_interval_ms: 1_000,
            max_poll_records: u32::from(prefetch.max(1)),
            ..brokerlab_kafka::ConsumerConfig::new("g")
        };
        assert_eq!(brokerlab_scenario::translate::consumer_config(&def).unwrap(), expected);
    }
}

#[test]
fn queue_settings_become_x_arguments() {
    let args = write::queue_arguments(&QueueSettings {
        message_ttl: Some(5000),
        max_length: Some(3),
        dead_letter_exchange: " dlx ".into(),
        ..QueueSettings::default()
    });
    assert_eq!(args.get("x-message-ttl"), Some(&serde_json::Value::from(5000)));
    assert_eq!(args.get("x-max-length"), Some(&serde_json::Value::from(3)));
    assert_eq!(args.get("x-dead-letter-exchange"), Some(&serde_json::Value::from("dlx")));
    assert!(write::queue_arguments(&QueueSettings::default()).is_empty());
}

#[test]
fn every_preset_draws_without_falling_back_to_an_empty_canvas() {
    for s in brokerlab_scenario::presets::all() {
        let t = from_scenario(&s).unwrap_or_else(|e| panic!("{}: {e}", s.id));
        assert!(!t.nodes.is_empty(), "{}", s.id);
        // Opened on the canvas and shared again, it reopens the same.
        assert_eq!(round_trip(&t), t, "{}", s.id);
    }
}

/// Link lengths: every preset opened on the canvas and shared again,
/// and a typical hand-built canvas (the old golden one: 13 parts,
/// RabbitMQ and Kafka), all well under 2,000 characters.
#[test]
fn canvas_links_stay_short() {
    for s in brokerlab_scenario::presets::all() {
        let t = from_scenario(&s).unwrap();
        let link = share::link_fragment(&t).unwrap();
        assert!(link.len() < 1_000, "{}: {} characters", s.id, link.len());
    }
    let t = share::from_json(include_str!("../golden/canvas-v1.json")).unwrap();
    let link = share::link_fragment(&t).unwrap();
    assert!(link.len() < 1_200, "{} characters", link.len());
    assert!(link.len() * 3 < include_str!("../golden/canvas-v1.link").len(), "a third of the old format's length");
}

fn set(p: &mut Playground, id: NodeId, f: impl FnOnce(&mut NodeConfig)) {
    let mut c = p.topology.node(id).unwrap().config.clone();
    f(&mut c);
    p.configure(id, c).unwrap();
}

fn configs(pairs: &[(&str, &str)]) -> std::collections::BTreeMap<String, String> {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

#[test]
fn every_kafka_setting_is_written_as_its_config_and_read_back() {
    let mut p = Playground::default();
    p.add_node(NodeKind::Broker, None);
    let prod = p.add_node(NodeKind::Producer, None);
    let t = p.add_node(NodeKind::Topic, None);
    let g = p.add_node(NodeKind::Group, None);
    let c = p.add_node(NodeKind::Consumer, None);
    p.connect(prod, t).unwrap();
    p.connect(t, g).unwrap();
    p.connect(c, g).unwrap();
    let plain = to_scenario(&p.topology).unwrap();
    assert!(plain.kafka.producers[0].configs.is_empty(), "Kafka's defaults are not spelled out");
    assert!(plain.kafka.topics[0].configs.is_empty());
    set(&mut p, prod, |c| {
        if let NodeConfig::Producer(s) = c {
            s.set_acks(Acks::One);
            s.partitioner = Partitioner::RoundRobin;
            s.transactional_id = "tx-1".into();
        }
    });
    set(&mut p, t, |c| {
        if let NodeConfig::Topic(s) = c {
            (s.min_insync_replicas, s.retention_ms, s.cleanup_policy) = (Some(2), 86_400_000, CleanupPolicy::Compact);
        }
    });
    set(&mut p, c, |c| {
        if let NodeConfig::Consumer(s) = c {
            s.offset_reset = OffsetReset::Latest;
            s.isolation = Isolation::ReadCommitted;
            s.auto_commit = true;
            (s.session_timeout_ms, s.heartbeat_ms, s.prefetch) = (10_000, 2_000, 2);
            s.group_instance_id = "c1-static".into();
        }
    });
    let s = to_scenario(&p.topology).unwrap();
    assert_eq!(
        s.kafka.producers[0].configs,
        configs(&[("acks", "1"), ("partitioner", "round-robin"), ("transactional.id", "tx-1")])
    );
    assert_eq!(
        s.kafka.topics[0].configs,
        configs(&[("cleanup.policy", "compact"), ("min.insync.replicas", "2"), ("retention.ms", "86400000")])
    );
    assert_eq!(
        s.kafka.consumers[0].configs,
        configs(&[
            ("auto.offset.reset", "latest"),
            ("enable.auto.commit", "true"),
            ("group.instance.id", "c1-static"),
            ("heartbeat.interval.ms", "2000"),
            ("isolation.level", "read_committed"),
            ("max.poll.records", "2"),
            ("session.timeout.ms", "10000"),
        ])
    );
    assert_eq!(round_trip(&p.topology), p.topology);
    // Idempotence is written only when it is not what acks implies.
    set(&mut p, prod, |c| {
        if let NodeConfig::Producer(s) = c {
            s.idempotence = true;
        }
    });
    let s = to_scenario(&p.topology).unwrap();
    assert_eq!(s.kafka.producers[0].configs.get("enable.idempotence").map(String::as_str), Some("true"));
    assert_eq!(round_trip(&p.topology), p.topology);
}

#[test]
fn a_scenario_that_leaves_kafka_configs_out_reads_as_kafkas_defaults() {
    let s = Scenario::decode_json(
        r#"{"version":1,"kafka":{"topics":[{"name":"t"}],"producers":[{"name":"p"}],
            "consumers":[{"name":"c","group_id":"g","topics":["t"]}]}}"#,
    )
    .unwrap();
    let t = from_scenario(&s).unwrap();
    let NodeConfig::Consumer(c) = &t.named(NodeKind::Consumer, "c").unwrap().config else { unreachable!() };
    assert_eq!(
        (c.offset_reset, c.auto_commit, c.session_timeout_ms, c.heartbeat_ms, c.prefetch),
        (OffsetReset::Latest, true, 45_000, 3_000, 500)
    );
    let NodeConfig::Producer(p) = &t.named(NodeKind::Producer, "p").unwrap().config else { unreachable!() };
    assert_eq!((p.acks, p.idempotence, p.partitioner), (Acks::All, true, Partitioner::Sticky));
    let NodeConfig::Topic(topic) = &t.named(NodeKind::Topic, "t").unwrap().config else { unreachable!() };
    assert_eq!((topic.min_insync_replicas, topic.retention_ms), (None, 604_800_000));
    // Written back, the same engine settings result.
    let back = to_scenario(&t).unwrap();
    let config = brokerlab_scenario::translate::consumer_config;
    assert_eq!(config(&back.kafka.consumers[0]).unwrap(), config(&s.kafka.consumers[0]).unwrap());
    assert_eq!(back.kafka.producers[0].configs, s.kafka.producers[0].configs);
}

#[test]
fn every_rabbitmq_setting_is_written_as_a_definition_and_read_back() {
    let mut p = Playground::default();
    let x = p.add_exchange(ExchangeKind::Topic, None);
    let q = p.add_node(NodeKind::Queue, None);
    set(&mut p, x, |c| {
        if let NodeConfig::Exchange(s) = c {
            (s.durable, s.alternate_exchange, s.vhost) = (true, "unrouted".into(), "staging".into());
        }
    });
    set(&mut p, q, |c| {
        if let NodeConfig::Queue(s) = c {
            (s.durable, s.vhost, s.queue_type, s.delivery_limit) = (true, "staging".into(), QueueType::Quorum, Some(2));
            s.dead_letter_routing_key = "work".into();
        }
    });
    p.connect(x, q).unwrap();
    let s = to_scenario(&p.topology).unwrap();
    let r = &s.rabbitmq;
    assert_eq!(r.vhosts.iter().map(|v| v.name.as_str()).collect::<Vec<_>>(), ["staging"]);
    assert!(r.exchanges[0].durable && r.exchanges[0].vhost == "staging");
    assert_eq!(r.exchanges[0].arguments.get("alternate-exchange"), Some(&serde_json::Value::from("unrouted")));
    assert!(r.queues[0].durable && r.queues[0].vhost == "staging");
    let args = &r.queues[0].arguments;
    assert_eq!(args.get("x-queue-type"), Some(&serde_json::Value::from("quorum")));
    assert_eq!(args.get("x-delivery-limit"), Some(&serde_json::Value::from(2)));
    assert_eq!(args.get("x-dead-letter-exchange"), Some(&serde_json::Value::from("")), "the default exchange");
    assert_eq!(args.get("x-dead-letter-routing-key"), Some(&serde_json::Value::from("work")));
    assert_eq!(r.bindings[0].vhost, "staging");
    assert_eq!(round_trip(&p.topology), p.topology);
    // A transient, argument-free part in `/` is written as before.
    let plain = to_scenario(&Playground::default().topology).unwrap();
    assert!(plain.rabbitmq.vhosts.is_empty());
}

#[test]
fn two_bindings_between_one_exchange_and_queue_round_trip_with_their_numbering() {
    let mut p = Playground::default();
    let x = p.add_exchange(ExchangeKind::Direct, None);
    let q = p.add_node(NodeKind::Queue, None);
    let filler = p.add_node(NodeKind::Queue, None);
    let a = p.connect(x, q).unwrap();
    p.set_binding(a, "error", "").unwrap();
    p.connect(x, filler).unwrap();
    let b = p.connect(x, q).unwrap();
    p.set_binding(b, "warning", "").unwrap();
    p.delete_node(filler);
    let s = to_scenario(&p.topology).unwrap();
    let keys: Vec<&str> = s.rabbitmq.bindings.iter().map(|b| b.routing_key.as_str()).collect();
    assert_eq!(keys, ["error", "warning"]);
    assert_eq!(round_trip(&p.topology), p.topology);
    // The same binding twice in a scenario is one binding, as in the broker.
    let mut twice = s.clone();
    twice.rabbitmq.bindings.push(twice.rabbitmq.bindings[0].clone());
    twice.canvas.order.clear();
    assert_eq!(from_scenario(&twice).unwrap().edges.len(), 2);
}

#[test]
fn the_rabbitmq_release_a_scenario_names_is_kept_on_the_canvas_and_written_back() {
    let mut s = Scenario::default();
    s.rabbitmq.version = brokerlab_scenario::RabbitVersion::V3_10;
    s.rabbitmq.queues.push(brokerlab_scenario::QueueDef { durable: false, ..brokerlab_scenario::QueueDef::new("tmp") });
    let t = to_topology(&s);
    assert_eq!(t.rabbitmq_version, brokerlab_scenario::RabbitVersion::V3_10);
    let back = to_scenario(&t).expect("writes");
    assert_eq!(back.rabbitmq.version, brokerlab_scenario::RabbitVersion::V3_10);
    assert!(!back.rabbitmq.queues[0].durable, "a transient queue stays transient where its release allows it");
    assert!(back.start().is_ok(), "3.10 accepts a transient queue");
    let mut now = back.clone();
    now.rabbitmq.version = brokerlab_scenario::RabbitVersion::V4_3;
    assert!(now.start().is_err(), "4.3 refuses it");
}

#[test]
fn a_stream_and_its_readers_are_written_as_rabbitmq_arguments_and_read_back() {
    let mut p = Playground::default();
    let prod = p.add_node(NodeKind::Producer, None);
    let q = p.add_stream(None);
    let c1 = p.add_node(NodeKind::Consumer, None);
    let c2 = p.add_node(NodeKind::Consumer, None);
    let c3 = p.add_node(NodeKind::Consumer, None);
    p.connect(prod, q).unwrap();
    for c in [c1, c2, c3] {
        p.connect(q, c).unwrap();
    }
    let stream = QueueSettings {
        queue_type: QueueType::Stream,
        max_length_bytes: Some(20_000),
        max_age: "7D".into(),
        ..QueueSettings::default()
    };
    p.configure(q, NodeConfig::Queue(stream)).unwrap();
    let reading = |offset| NodeConfig::Consumer(ConsumerSettings { stream_offset: offset, ..Default::default() });
    p.configure(c1, reading(StreamOffset::First)).unwrap();
    p.configure(c2, reading(StreamOffset::Offset(3))).unwrap();
    p.set_rabbitmq_version(brokerlab_scenario::RabbitVersion::V3_13);

    let s = to_scenario(&p.topology).unwrap();
    let args = &s.rabbitmq.queues[0].arguments;
    assert_eq!(args.get("x-queue-type"), Some(&serde_json::json!("stream")));
    assert_eq!(args.get("x-max-length-bytes"), Some(&serde_json::json!(20_000)));
    assert_eq!(args.get("x-max-age"), Some(&serde_json::json!("7D")));
    let offsets: Vec<Option<&serde_json::Value>> =
        s.rabbitmq.consumers.iter().map(|c| c.arguments.get("x-stream-offset")).collect();
    assert_eq!(offsets, [Some(&serde_json::json!("first")), Some(&serde_json::json!(3)), None], "next is the default");
    assert_eq!(s.rabbitmq.version, brokerlab_scenario::RabbitVersion::V3_13);
    assert!(s.start().is_ok(), "RabbitMQ 3.13 declares the stream and attaches its readers");
    assert_eq!(round_trip(&p.topology), p.topology, "through a scenario, a link and a file");
}

#[test]
fn a_stream_offset_the_inspector_has_no_choice_for_reads_as_next() {
    let mut s = Scenario::default();
    s.rabbitmq.queues.push(brokerlab_scenario::QueueDef::new("log"));
    let mut def = brokerlab_scenario::ConsumerDef {
        tag: "c".into(),
        queue: "log".into(),
        vhost: "/".into(),
        client: String::new(),
        prefetch: 5,
        auto_ack: false,
        exclusive: false,
        arguments: Default::default(),
    };
    def.arguments.insert("x-stream-offset".into(), serde_json::json!("10m"));
    s.rabbitmq.consumers.push(def.clone());
    def.tag = "d".into();
    def.arguments.insert("x-stream-offset".into(), serde_json::json!("last"));
    s.rabbitmq.consumers.push(def);
    let t = to_topology(&s);
    let offset = |name: &str| match &t.named(NodeKind::Consumer, name).unwrap().config {
        NodeConfig::Consumer(c) => c.stream_offset,
        _ => unreachable!(),
    };
    assert_eq!((offset("c"), offset("d")), (StreamOffset::Next, StreamOffset::Last));
}

#[test]
fn policies_and_default_queue_types_are_kept_through_links_and_files() {
    let mut s = brokerlab_scenario::Scenario::default();
    s.rabbitmq.queues.push(brokerlab_scenario::QueueDef::new("orders"));
    let mut shop = brokerlab_scenario::VhostDef::new("/");
    shop.metadata.default_queue_type = Some(brokerlab_scenario::QueueTypeName::Quorum);
    s.rabbitmq.vhosts.push(shop);
    s.rabbitmq.policies.push(brokerlab_scenario::PolicyDef {
        name: "cap".into(),
        vhost: "/".into(),
        pattern: "^orders$".into(),
        apply_to: brokerlab_scenario::PolicyApplyTo::Queues,
        priority: 2,
        definition: [("max-length".to_string(), serde_json::json!(3))].into_iter().collect(),
    });
    let t = from_scenario(&s).unwrap();
    assert_eq!(t.policies, s.rabbitmq.policies);
    assert_eq!(t.default_queue_types.get("/"), Some(&brokerlab_scenario::QueueTypeName::Quorum));
    let back = round_trip(&t);
    assert_eq!(back.policies, t.policies);
    assert_eq!(back.default_queue_types, t.default_queue_types);
    let written = to_scenario(&back).unwrap();
    assert_eq!(written.rabbitmq.policies, s.rabbitmq.policies);
    assert_eq!(written.rabbitmq.vhosts, s.rabbitmq.vhosts, "only / is listed, for its default queue type");
}

/// The inspector's "Group protocol" choice is the consumer's
/// `group.protocol` config: written only when it is not `classic` (the Java
/// client's default in Kafka 4.0), read back, and run by the engine.
#[test]
fn the_group_protocol_is_a_consumer_config() {
    let classic = ConsumerSettings::default();
    assert!(!kafka_consumer_configs(&classic).contains_key("group.protocol"));
    let modern = ConsumerSettings { group_protocol: GroupProtocol::Consumer, ..ConsumerSettings::default() };
    let configs = kafka_consumer_configs(&modern);
    assert_eq!(configs["group.protocol"], "consumer");
    assert_eq!(consumer_settings(&configs, ConsumerSettings::default()).group_protocol, GroupProtocol::Consumer);
    let def = KafkaConsumerDef {
        name: "c".into(),
        group_id: "g".into(),
        topics: Vec::new(),
        configs,
        rebalance_listener: false,
    };
    let engine = brokerlab_scenario::translate::consumer_config(&def).unwrap();
    assert_eq!(engine.group_protocol, brokerlab_kafka::GroupProtocol::Consumer);
}

#[test]
fn a_queue_without_a_type_is_drawn_as_its_vhosts_default_and_a_classic_one_keeps_its_type() {
    let mut s = brokerlab_scenario::Scenario::default();
    s.rabbitmq.queues.push(brokerlab_scenario::QueueDef::new("orders"));
    let mut prices = brokerlab_scenario::QueueDef::new("prices");
    prices.arguments.insert("x-queue-type".into(), serde_json::json!("classic"));
    s.rabbitmq.queues.push(prices);
    let mut root = brokerlab_scenario::VhostDef::new("/");
    root.metadata.default_queue_type = Some(brokerlab_scenario::QueueTypeName::Quorum);
    s.rabbitmq.vhosts.push(root);
    let t = from_scenario(&s).unwrap();
    let kind = |name: &str| match &t.named(NodeKind::Queue, name).unwrap().config {
        NodeConfig::Queue(q) => q.queue_type,
        _ => unreachable!(),
    };
    // RabbitMQ makes `orders` a quorum queue, so the canvas shows one.
    assert_eq!((kind("orders"), kind("prices")), (QueueType::Quorum, QueueType::Classic));
    let written = to_scenario(&t).unwrap();
    let typed = |name: &str| {
        let q = written.rabbitmq.queues.iter().find(|q| q.name == name).unwrap();
        q.arguments.get("x-queue-type").cloned()
    };
    // Written back, each names its type, so neither changes on the engine.
    assert_eq!(typed("orders"), Some(serde_json::json!("quorum")));
    assert_eq!(typed("prices"), Some(serde_json::json!("classic")));
}
