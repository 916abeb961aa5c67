//! The canvas and the scenario format ([`brokerlab_scenario::Scenario`]),
//! both ways.
//!
//! [`to_scenario`] writes everything a [`Topology`] holds: exchanges, queues,
//! bindings and RabbitMQ consumers in the RabbitMQ part; brokers, topics,
//! Kafka producers and group members in the Kafka part, with the settings the
//! canvas runs them with; positions in the layout; and what only the canvas
//! simulates (producers, processing times, injected failures, groups without
//! members, broker names, its numbering) in the `canvas` section, which the
//! engines and the command-line runner ignore. [`from_scenario`] reads it
//! back, so a topology the editor made comes back exactly.
//!
//! A scenario written elsewhere (a gallery starter, a lesson preset, a
//! hand-written file) opens too: producers are inferred from the script's
//! publishes and produces, consumers from its consumes, and each part sits
//! where the layout puts it or in columns the way messages flow. Parts in a
//! vhost other than `/` are drawn as `VHOST/NAME`, the canvas having one
//! vhost. What the canvas cannot show (durability, queue arguments other than
//! TTL, max length and dead-letter exchange, Kafka configs, the script) is
//! left out.

use super::model::{
    AckMode, ConsumerSettings, EdgeId, EdgeRole, Failure, NODE_H, NODE_W, Node, NodeConfig, NodeId, NodeKind,
    ProducerSettings, QueueSettings, TopicSettings, Topology, pairs_map, pairs_text,
};
use brokerlab_rabbit::ExchangeKind;
use brokerlab_scenario::{
    Action, BindingDef, CanvasConsumer, CanvasGroup, CanvasPart, CanvasProducer, ConsumerDef, ConsumerFailure,
    DestinationType, ExchangeDef, ExchangeType, KafkaConsumerDef, Position, ProducerDef, QueueDef, Scenario, TopicDef,
};
use std::collections::{BTreeMap, BTreeSet};

/// The most Kafka broker nodes a scenario may draw on the canvas.
pub const MAX_BROKERS: u32 = 1000;

/// The longest numbering a link carries; a canvas counted further than this
/// (only a damaged file could) is renumbered instead.
const MAX_ORDER: u32 = 100_000;

/// The gallery's starters: id and title.
pub fn gallery() -> Vec<(String, String)> {
    brokerlab_scenario::presets::ids()
        .skip(brokerlab_scenario::presets::LESSON_COUNT)
        .filter_map(|id| brokerlab_scenario::presets::get(id).map(|s| (id.to_string(), s.title)))
        .collect()
}

/// The canvas for a built-in scenario.
pub fn preset(id: &str) -> Option<Topology> {
    brokerlab_scenario::presets::get(id).map(|s| to_topology(&s))
}

/// Draws a scenario as a topology; one the canvas cannot draw (see
/// [`from_scenario`]'s errors) gives an empty canvas. Every built-in scenario
/// draws (a test makes sure).
pub fn to_topology(scenario: &Scenario) -> Topology {
    from_scenario(scenario).unwrap_or_default()
}

// ---------------------------------------------------------------------------
// Names

fn exchange_type(kind: ExchangeKind) -> ExchangeType {
    match kind {
        ExchangeKind::Direct => ExchangeType::Direct,
        ExchangeKind::Fanout => ExchangeType::Fanout,
        ExchangeKind::Topic => ExchangeType::Topic,
        ExchangeKind::Headers => ExchangeType::Headers,
    }
}

fn failure_word(f: Failure) -> ConsumerFailure {
    match f {
        Failure::None => ConsumerFailure::None,
        Failure::Crash => ConsumerFailure::Crash,
        Failure::Nack => ConsumerFailure::Nack,
        Failure::Slow => ConsumerFailure::Slow,
    }
}

fn failure_of(f: ConsumerFailure) -> Failure {
    match f {
        ConsumerFailure::None => Failure::None,
        ConsumerFailure::Crash => Failure::Crash,
        ConsumerFailure::Nack => Failure::Nack,
        ConsumerFailure::Slow => Failure::Slow,
    }
}

/// The canvas name of an entity of `vhost`: its own name in `/`, otherwise
/// `VHOST/NAME`, which is also how the layout keys it.
fn in_vhost(vhost: &str, name: &str) -> String {
    if vhost == "/" { name.to_string() } else { format!("{vhost}/{name}") }
}

fn is_member(t: &Topology, id: NodeId) -> bool {
    t.incoming(id).any(|e| e.role == EdgeRole::Member)
}

/// A node's id in a scenario's layout and canvas order: `KIND:NAME`, with
/// `kafka-consumer` for group members and `kafka-broker:ID` for brokers.
pub fn node_key(t: &Topology, n: &Node) -> String {
    match n.kind() {
        NodeKind::Producer => format!("producer:{}", n.name),
        NodeKind::Exchange => format!("exchange:{}", n.name),
        NodeKind::Queue => format!("queue:{}", n.name),
        NodeKind::Consumer if is_member(t, n.id) => format!("kafka-consumer:{}", n.name),
        NodeKind::Consumer => format!("consumer:{}", n.name),
        NodeKind::Broker => format!("kafka-broker:{}", t.broker_id(n.id).unwrap_or_default()),
        NodeKind::Topic => format!("topic:{}", n.name),
        NodeKind::Group => format!("group:{}", n.name),
    }
}

/// The node a `KIND:NAME` id names, if it is on the canvas.
fn resolve(t: &Topology, key: &str) -> Option<NodeId> {
    let (kind, name) = key.split_once(':')?;
    let kind = match kind {
        "producer" | "client" => NodeKind::Producer,
        "exchange" => NodeKind::Exchange,
        "queue" => NodeKind::Queue,
        "consumer" | "kafka-consumer" => NodeKind::Consumer,
        "topic" => NodeKind::Topic,
        "group" => NodeKind::Group,
        "kafka-broker" => {
            let index: usize = name.parse().ok()?;
            return t.of_kind(NodeKind::Broker).nth(index).map(|n| n.id);
        }
        _ => return None,
    };
    t.named(kind, name).map(|n| n.id)
}

/// The settings a Kafka consumer is created with on the canvas, as Kafka
/// config keys: a short session timeout, so a crashed member leaves its
/// group within seconds, and manual commits.
pub fn kafka_consumer_configs(prefetch: u16) -> BTreeMap<String, String> {
    [
        ("auto.offset.reset", "earliest".to_string()),
        ("enable.auto.commit", "false".to_string()),
        ("session.timeout.ms", "6000".to_string()),
        ("heartbeat.interval.ms", "1000".to_string()),
        ("max.poll.records", prefetch.max(1).to_string()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect()
}

/// The queue arguments a queue node's settings stand for.
fn queue_arguments(q: &QueueSettings) -> brokerlab_scenario::Arguments {
    let mut args = brokerlab_scenario::Arguments::new();
    if let Some(ttl) = q.message_ttl {
        args.insert("x-message-ttl".into(), ttl.into());
    }
    if let Some(max) = q.max_length {
        args.insert("x-max-length".into(), max.into());
    }
    if !q.dead_letter_exchange.trim().is_empty() {
        args.insert("x-dead-letter-exchange".into(), q.dead_letter_exchange.trim().into());
    }
    args
}

fn text(v: &serde_json::Value) -> Option<String> {
    match v {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Number(_) | serde_json::Value::Bool(_) => Some(v.to_string()),
        _ => None,
    }
}

/// Binding arguments as the canvas's text: each value must be text.
fn arguments_text(args: &brokerlab_scenario::Arguments) -> Result<String, String> {
    let mut map = BTreeMap::new();
    for (name, value) in args {
        let serde_json::Value::String(value) = value else {
            return Err(format!(
                "argument \u{201c}{name}\u{201d} is {value}, not text; the canvas keeps binding arguments as text"
            ));
        };
        map.insert(name.clone(), value.clone());
    }
    pairs_text(&map)
}

/// Headers of a scripted publish as a producer's text, leaving out what
/// text cannot hold (the producer is inferred, not written by the canvas).
fn headers_text(args: &brokerlab_scenario::Arguments) -> String {
    let map: BTreeMap<String, String> = args.iter().filter_map(|(k, v)| Some((k.clone(), text(v)?))).collect();
    pairs_text(&map).unwrap_or_default()
}

// ---------------------------------------------------------------------------
// Topology -> Scenario

/// The topology as a scenario. Fails, naming the part, only when binding
/// arguments or producer headers are not `name=value` pairs (which the
/// inspector accepts as typed, and the run reports).
pub fn to_scenario(t: &Topology) -> Result<Scenario, String> {
    let mut s = Scenario { seed: t.seed, ..Scenario::default() };
    let group_topics = |group: NodeId| -> Vec<String> {
        t.incoming(group)
            .filter(|e| e.role == EdgeRole::Subscribe)
            .filter_map(|e| t.node(e.from).map(|n| n.name.clone()))
            .collect()
    };
    for n in &t.nodes {
        match &n.config {
            NodeConfig::Exchange(kind) => s
                .rabbitmq
                .exchanges
                .push(ExchangeDef { durable: false, ..ExchangeDef::new(n.name.clone(), exchange_type(*kind)) }),
            NodeConfig::Queue(q) => s.rabbitmq.queues.push(QueueDef {
                durable: false,
                arguments: queue_arguments(q),
                ..QueueDef::new(n.name.clone())
            }),
            NodeConfig::Topic(ts) => {
                s.kafka.topics.push(TopicDef::new(n.name.clone(), ts.partitions, ts.replication_factor))
            }
            NodeConfig::Producer(p) => {
                let to = t
                    .outgoing(n.id)
                    .filter_map(|e| {
                        let target = t.node(e.to)?;
                        let kind = match e.role {
                            EdgeRole::Publish => "exchange",
                            EdgeRole::PublishToQueue => "queue",
                            EdgeRole::Produce => "topic",
                            _ => return None,
                        };
                        Some(format!("{kind}:{}", target.name))
                    })
                    .collect();
                let headers = pairs_map(&p.headers).map_err(|e| format!("producer {}: headers: {e}", n.name))?;
                s.canvas.producers.push(CanvasProducer {
                    name: n.name.clone(),
                    to,
                    key: p.routing_key.clone(),
                    body: p.body.clone(),
                    headers,
                    rate: p.rate,
                    burst: p.burst,
                });
                if t.outgoing(n.id).any(|e| e.role == EdgeRole::Produce) {
                    s.kafka.producers.push(ProducerDef { name: n.name.clone(), configs: BTreeMap::new() });
                }
            }
            NodeConfig::Group if !t.outgoing(n.id).any(|e| e.role == EdgeRole::Member) => {
                s.canvas.groups.push(CanvasGroup { name: n.name.clone(), topics: group_topics(n.id) })
            }
            _ => {}
        }
        let position = Position { x: whole(n.x), y: whole(n.y) };
        s.layout.insert(node_key(t, n), position);
    }
    for e in &t.edges {
        let (Some(from), Some(to)) = (t.node(e.from), t.node(e.to)) else { continue };
        match (e.role, &to.config) {
            (EdgeRole::QueueBinding | EdgeRole::ExchangeBinding, _) => {
                let arguments = pairs_map(&e.arguments)
                    .map_err(|err| format!("binding {} \u{2192} {}: {err}", from.name, to.name))?
                    .into_iter()
                    .map(|(k, v)| (k, serde_json::Value::String(v)))
                    .collect();
                let destination_type = if e.role == EdgeRole::ExchangeBinding {
                    DestinationType::Exchange
                } else {
                    DestinationType::Queue
                };
                s.rabbitmq.bindings.push(BindingDef {
                    destination_type,
                    arguments,
                    ..BindingDef::queue(from.name.clone(), to.name.clone(), e.binding_key.clone())
                });
            }
            (EdgeRole::Consume, NodeConfig::Consumer(c)) => s.rabbitmq.consumers.push(ConsumerDef {
                tag: to.name.clone(),
                queue: from.name.clone(),
                vhost: "/".into(),
                client: String::new(),
                prefetch: c.prefetch,
                auto_ack: c.ack_mode == AckMode::Auto,
                exclusive: false,
                arguments: Default::default(),
            }),
            (EdgeRole::Member, NodeConfig::Consumer(c)) => s.kafka.consumers.push(KafkaConsumerDef {
                name: to.name.clone(),
                group_id: from.name.clone(),
                topics: group_topics(from.id),
                configs: kafka_consumer_configs(c.prefetch),
            }),
            _ => {}
        }
    }
    if super::sim::uses_kafka(t) {
        s.kafka.brokers = t.of_kind(NodeKind::Broker).count() as u32;
    }
    // Every consumer gets its canvas settings; the ones its broker part
    // already gives are dropped again below.
    for n in t.of_kind(NodeKind::Consumer) {
        if let NodeConfig::Consumer(c) = &n.config {
            s.canvas.consumers.push(CanvasConsumer {
                name: n.name.clone(),
                processing_ms: c.processing_ms,
                failure: failure_word(c.failure),
                prefetch: None,
                auto_ack: None,
            });
        }
    }

    // What the broker parts imply, read back, decides what else the canvas
    // section must say: broker names, consumer settings, numbering.
    let back = from_scenario(&s)?;
    let brokers: Vec<String> = t.of_kind(NodeKind::Broker).map(|n| n.name.clone()).collect();
    if back.of_kind(NodeKind::Broker).map(|n| n.name.clone()).collect::<Vec<_>>() != brokers {
        s.canvas.brokers = brokers;
    }
    for entry in &mut s.canvas.consumers {
        let settings = |t: &Topology| match t.named(NodeKind::Consumer, &entry.name).map(|n| &n.config) {
            Some(NodeConfig::Consumer(c)) => Some(c.clone()),
            _ => None,
        };
        let (Some(want), Some(got)) = (settings(t), settings(&back)) else { continue };
        if want.prefetch != got.prefetch {
            entry.prefetch = Some(want.prefetch);
        }
        if want.ack_mode != got.ack_mode {
            entry.auto_ack = Some(want.ack_mode == AckMode::Auto);
        }
    }
    let known: BTreeSet<&str> = s
        .rabbitmq
        .consumers
        .iter()
        .map(|c| c.tag.as_str())
        .chain(s.kafka.consumers.iter().map(|c| c.name.as_str()))
        .collect();
    let default_processing = ConsumerSettings::default().processing_ms;
    s.canvas.consumers.retain(|c| {
        let plain = c.processing_ms == default_processing
            && c.failure == ConsumerFailure::None
            && c.prefetch.is_none()
            && c.auto_ack.is_none();
        !(plain && known.contains(c.name.as_str()))
    });

    let back = from_scenario(&s)?;
    if back.next_id != t.next_id || !same_numbering(&back, t) {
        s.canvas.order = order(t);
    }
    Ok(s)
}

fn whole(v: f64) -> i32 {
    v.round().clamp(f64::from(i32::MIN), f64::from(i32::MAX)) as i32
}

/// Whether two topologies number the same parts and connections alike.
fn same_numbering(a: &Topology, b: &Topology) -> bool {
    let nodes = |t: &Topology| t.nodes.iter().map(|n| (n.id, n.kind(), n.name.clone())).collect::<Vec<_>>();
    let edges = |t: &Topology| t.edges.iter().map(|e| (e.id, e.from, e.to)).collect::<Vec<_>>();
    nodes(a) == nodes(b) && edges(a) == edges(b)
}

/// The canvas's numbering as [`brokerlab_scenario::Canvas::order`].
fn order(t: &Topology) -> Vec<Option<CanvasPart>> {
    let last = t.nodes.iter().map(|n| n.id).chain(t.edges.iter().map(|e| e.id)).max().unwrap_or(0);
    let last = last.max(t.next_id.saturating_sub(1));
    if last > MAX_ORDER {
        return Vec::new();
    }
    let mut order = vec![None; last as usize];
    for n in &t.nodes {
        if let Some(slot) = n.id.checked_sub(1).and_then(|i| order.get_mut(i as usize)) {
            *slot = Some(CanvasPart::Node(node_key(t, n)));
        }
    }
    for e in &t.edges {
        if let Some(slot) = e.id.checked_sub(1).and_then(|i| order.get_mut(i as usize)) {
            *slot = Some(CanvasPart::Connection([e.from, e.to]));
        }
    }
    order
}

// ---------------------------------------------------------------------------
// Scenario -> Topology

/// Builds a topology part by part, numbering as the editor does.
struct Builder<'a> {
    t: Topology,
    layout: &'a BTreeMap<String, Position>,
}

impl Builder<'_> {
    fn find(&self, kind: NodeKind, name: &str) -> Option<NodeId> {
        self.t.named(kind, name).map(|n| n.id)
    }

    /// The node of `kind` called `name`, added (where the layout puts it, or
    /// in its column) when it is not there yet.
    fn node(&mut self, kind: NodeKind, name: &str) -> NodeId {
        if let Some(id) = self.find(kind, name) {
            return id;
        }
        let keys: &[&str] = match kind {
            NodeKind::Producer => &["producer", "client"],
            NodeKind::Exchange => &["exchange"],
            NodeKind::Queue => &["queue"],
            NodeKind::Consumer => &["consumer", "kafka-consumer"],
            NodeKind::Topic => &["topic"],
            NodeKind::Group => &["group"],
            NodeKind::Broker => &[],
        };
        let at = keys.iter().find_map(|k| self.layout.get(&format!("{k}:{name}")).copied());
        self.add(kind, name, at)
    }

    fn add(&mut self, kind: NodeKind, name: &str, at: Option<Position>) -> NodeId {
        let (x, y) = at.map(|p| (f64::from(p.x), f64::from(p.y))).unwrap_or_else(|| self.next_in_column(kind));
        let id = self.t.next_id;
        self.t.next_id += 1;
        let (x, y) = (super::model::place(x), super::model::place(y));
        self.t.nodes.push(Node { id, name: name.to_string(), x, y, config: NodeConfig::new(kind) });
        id
    }

    /// Without a layout, parts go in columns the way messages flow:
    /// producers, then exchanges or topics, then queues or groups, then
    /// consumers, with Kafka brokers last; each new part under the last
    /// one in its column.
    fn next_in_column(&self, kind: NodeKind) -> (f64, f64) {
        let column = match kind {
            NodeKind::Producer => 0,
            NodeKind::Exchange | NodeKind::Topic => 1,
            NodeKind::Queue | NodeKind::Group => 2,
            NodeKind::Consumer => 3,
            NodeKind::Broker => 4,
        };
        let x = 30.0 + f64::from(column) * (NODE_W + 60.0);
        let bottom =
            self.t.nodes.iter().filter(|n| (n.x - x).abs() < 1.0).map(|n| n.y + NODE_H + 30.0).fold(30.0, f64::max);
        (x, bottom)
    }

    fn config(&mut self, id: NodeId) -> Option<&mut NodeConfig> {
        self.t.nodes.iter_mut().find(|n| n.id == id).map(|n| &mut n.config)
    }

    fn set(&mut self, id: NodeId, config: NodeConfig) {
        if let Some(c) = self.config(id) {
            *c = config;
        }
    }

    fn connect(&mut self, from: NodeId, to: NodeId) -> Option<EdgeId> {
        let id = self.t.connect(from, to).ok()?;
        if let Some(e) = self.t.edges.iter_mut().find(|e| e.id == id) {
            e.binding_key.clear();
        }
        Some(id)
    }

    /// A producer added for a scripted client, with the settings of its
    /// first message.
    fn scripted_producer(&mut self, name: &str, settings: ProducerSettings) -> NodeId {
        match self.find(NodeKind::Producer, name) {
            Some(id) => id,
            None => {
                let id = self.node(NodeKind::Producer, name);
                self.set(id, NodeConfig::Producer(settings));
                id
            }
        }
    }
}

/// Draws a scenario on the canvas; see the module documentation. Fails with
/// a sentence naming the part when the scenario holds what the canvas cannot
/// (binding arguments that are not text, a topic beyond the canvas's
/// limits, more than [`MAX_BROKERS`] brokers) or its `canvas` section does
/// not agree with the rest (a producer sending to a queue that is not
/// there, a numbering that names a missing part).
pub fn from_scenario(s: &Scenario) -> Result<Topology, String> {
    let mut b = Builder { t: Topology::default(), layout: &s.layout };
    let r = &s.rabbitmq;
    let canvas = &s.canvas;

    for x in r.exchanges.iter().filter(|x| !x.name.is_empty()) {
        let id = b.node(NodeKind::Exchange, &in_vhost(&x.vhost, &x.name));
        b.set(id, NodeConfig::Exchange(brokerlab_scenario::translate::exchange_kind(x.kind)));
    }
    for q in r.queues.iter().filter(|q| !q.name.is_empty()) {
        let id = b.node(NodeKind::Queue, &in_vhost(&q.vhost, &q.name));
        let num = |k: &str| {
            q.arguments.get(k).and_then(serde_json::Value::as_u64).map(|v| u32::try_from(v).unwrap_or(u32::MAX))
        };
        let settings = QueueSettings {
            message_ttl: num("x-message-ttl"),
            max_length: num("x-max-length"),
            dead_letter_exchange: q.arguments.get("x-dead-letter-exchange").and_then(text).unwrap_or_default(),
        };
        b.set(id, NodeConfig::Queue(settings));
    }
    for bd in r.bindings.iter().filter(|bd| !bd.destination.is_empty()) {
        let source = in_vhost(&bd.vhost, &bd.source);
        let destination = in_vhost(&bd.vhost, &bd.destination);
        let Some(from) = b.find(NodeKind::Exchange, &source) else { continue };
        let kind = match bd.destination_type {
            DestinationType::Queue => NodeKind::Queue,
            DestinationType::Exchange => NodeKind::Exchange,
        };
        let arguments =
            arguments_text(&bd.arguments).map_err(|e| format!("binding {source} \u{2192} {destination}: {e}"))?;
        let to = b.node(kind, &destination);
        if let Some(edge) = b.connect(from, to)
            && let Some(e) = b.t.edges.iter_mut().find(|e| e.id == edge)
        {
            e.binding_key = bd.routing_key.clone();
            e.arguments = arguments;
        }
    }
    let consumes = r.consumers.iter().chain(s.script.iter().filter_map(|a| match a {
        Action::Consume { consumer } => Some(consumer),
        _ => None,
    }));
    for def in consumes {
        let Some(queue) = b.find(NodeKind::Queue, &in_vhost(&def.vhost, &def.queue)) else { continue };
        let name = in_vhost(&def.vhost, &def.tag);
        let fresh = b.find(NodeKind::Consumer, &name).is_none();
        let id = b.node(NodeKind::Consumer, &name);
        if fresh {
            let settings = ConsumerSettings {
                prefetch: def.prefetch,
                ack_mode: if def.auto_ack { AckMode::Auto } else { AckMode::Manual },
                ..ConsumerSettings::default()
            };
            b.set(id, NodeConfig::Consumer(settings));
        }
        b.connect(queue, id);
    }

    // Canvas producers: those sending to RabbitMQ here, the rest with the
    // Kafka part (where a scripted producer would be drawn too).
    let mut producers = BTreeSet::new();
    let mut canvas_producers = Vec::new();
    for p in &canvas.producers {
        if !producers.insert(p.name.as_str()) {
            return Err(format!("producer {} is listed twice", p.name));
        }
        let headers = pairs_text(&p.headers).map_err(|e| format!("producer {}: headers: {e}", p.name))?;
        if let Some(bad) = p.to.iter().find(|t| !["exchange:", "queue:", "topic:"].iter().any(|k| t.starts_with(k))) {
            return Err(format!(
                "producer {} sends to \u{201c}{bad}\u{201d}, which is not an exchange, queue or topic",
                p.name
            ));
        }
        let settings = ProducerSettings {
            routing_key: p.key.clone(),
            body: p.body.clone(),
            headers,
            rate: p.rate,
            burst: p.burst,
        };
        canvas_producers.push((p, settings));
    }
    for (p, settings) in &canvas_producers {
        if !p.to.iter().any(|t| t.starts_with("exchange:") || t.starts_with("queue:")) {
            continue;
        }
        let id = b.node(NodeKind::Producer, &p.name);
        b.set(id, NodeConfig::Producer(settings.clone()));
        for target in p.to.iter().filter(|t| !t.starts_with("topic:")) {
            let to = resolve(&b.t, target)
                .ok_or_else(|| format!("producer {} sends to {target}, which is not there", p.name))?;
            b.connect(id, to).ok_or_else(|| format!("producer {} sends to {target} twice", p.name))?;
        }
    }
    for action in &s.script {
        if let Action::Publish { client, vhost, exchange, routing_key, body, headers, .. } = action {
            let settings = ProducerSettings {
                routing_key: routing_key.clone(),
                body: body.clone(),
                headers: headers_text(headers),
                ..Default::default()
            };
            let id = b.scripted_producer(&in_vhost(vhost, client), settings);
            let target = if exchange.is_empty() {
                b.find(NodeKind::Queue, &in_vhost(vhost, routing_key))
            } else {
                b.find(NodeKind::Exchange, &in_vhost(vhost, exchange))
            };
            if let Some(to) = target {
                b.connect(id, to);
            }
        }
    }

    let k = &s.kafka;
    let brokers: Vec<String> = if !canvas.brokers.is_empty() {
        if u32::try_from(canvas.brokers.len()).ok() != Some(k.brokers) {
            return Err(format!(
                "the canvas names {} brokers but the Kafka part has {}",
                canvas.brokers.len(),
                k.brokers
            ));
        }
        canvas.brokers.clone()
    } else if !k.is_empty() {
        (0..k.brokers.min(MAX_BROKERS + 1)).map(|i| format!("broker-{i}")).collect()
    } else {
        Vec::new()
    };
    if k.brokers > MAX_BROKERS && !brokers.is_empty() {
        return Err(format!("the Kafka part has {} brokers; the canvas draws at most {MAX_BROKERS}", k.brokers));
    }
    for (i, name) in brokers.iter().enumerate() {
        let at = s.layout.get(&format!("kafka-broker:{i}")).copied();
        b.add(NodeKind::Broker, name, at);
    }
    for topic in k.topics.iter().filter(|t| !t.name.is_empty()) {
        if !(1..=64).contains(&topic.partitions) || !(1..=9).contains(&topic.replication_factor) {
            return Err(format!(
                "topic {} has {} partitions and replication factor {}; the canvas holds 1 to 64 partitions and a factor of 1 to 9",
                topic.name, topic.partitions, topic.replication_factor
            ));
        }
        let id = b.node(NodeKind::Topic, &topic.name);
        let settings = TopicSettings { partitions: topic.partitions, replication_factor: topic.replication_factor };
        b.set(id, NodeConfig::Topic(settings));
    }
    for p in k.producers.iter().filter(|p| !p.name.is_empty()) {
        b.node(NodeKind::Producer, &p.name);
    }
    for (p, settings) in canvas_producers {
        let id = b.node(NodeKind::Producer, &p.name);
        b.set(id, NodeConfig::Producer(settings));
        for topic in p.to.iter().filter_map(|t| t.strip_prefix("topic:")) {
            let to = b
                .find(NodeKind::Topic, topic)
                .ok_or_else(|| format!("producer {} sends to topic:{topic}, which is not there", p.name))?;
            b.connect(id, to).ok_or_else(|| format!("producer {} sends to topic:{topic} twice", p.name))?;
        }
    }
    for action in &s.script {
        if let Action::Produce { producer, topic, key, value, .. } = action {
            let settings = ProducerSettings {
                routing_key: key.clone().unwrap_or_default(),
                body: value.clone().unwrap_or_default(),
                ..Default::default()
            };
            let id = b.scripted_producer(producer, settings);
            if let Some(t) = b.find(NodeKind::Topic, topic) {
                b.connect(id, t);
            }
        }
    }
    for def in k.consumers.iter().filter(|c| !c.name.is_empty() && !c.group_id.is_empty()) {
        let group = b.node(NodeKind::Group, &def.group_id);
        let fresh = b.find(NodeKind::Consumer, &def.name).is_none();
        let member = b.node(NodeKind::Consumer, &def.name);
        if fresh {
            let prefetch = def
                .configs
                .get("max.poll.records")
                .and_then(|v| v.trim().parse::<u32>().ok())
                .map(|v| u16::try_from(v).unwrap_or(u16::MAX));
            let defaults = ConsumerSettings::default();
            let settings = ConsumerSettings { prefetch: prefetch.unwrap_or(defaults.prefetch), ..defaults };
            b.set(member, NodeConfig::Consumer(settings));
        }
        b.connect(member, group);
        let subscribed = s.script.iter().filter_map(|a| match a {
            Action::Subscribe { consumer, topics } if *consumer == def.name => Some(topics),
            _ => None,
        });
        for topic in def.topics.iter().chain(subscribed.flatten()) {
            if let Some(t) = b.find(NodeKind::Topic, topic) {
                b.connect(t, group);
            }
        }
    }
    let mut groups = BTreeSet::new();
    for g in &canvas.groups {
        if !groups.insert(g.name.as_str()) {
            return Err(format!("group {} is listed twice", g.name));
        }
        let id = b.node(NodeKind::Group, &g.name);
        for topic in &g.topics {
            let t = b
                .find(NodeKind::Topic, topic)
                .ok_or_else(|| format!("group {} subscribes to topic {topic}, which is not there", g.name))?;
            b.connect(t, id);
        }
    }

    let mut consumers = BTreeSet::new();
    for c in &canvas.consumers {
        if !consumers.insert(c.name.as_str()) {
            return Err(format!("consumer {} is listed twice", c.name));
        }
        let id = b.node(NodeKind::Consumer, &c.name);
        if let Some(NodeConfig::Consumer(settings)) = b.config(id) {
            settings.processing_ms = c.processing_ms;
            settings.failure = failure_of(c.failure);
            if let Some(prefetch) = c.prefetch {
                settings.prefetch = prefetch;
            }
            if let Some(auto) = c.auto_ack {
                settings.ack_mode = if auto { AckMode::Auto } else { AckMode::Manual };
            }
        }
    }

    let mut t = b.t;
    t.seed = s.seed;
    renumber(&mut t, &canvas.order)?;
    Ok(t)
}

/// Gives the parts and connections `order` lists their numbers there, and
/// the rest the next numbers in the order they were drawn.
fn renumber(t: &mut Topology, order: &[Option<CanvasPart>]) -> Result<(), String> {
    let mut nodes: BTreeMap<NodeId, u32> = BTreeMap::new();
    let mut edges: BTreeMap<EdgeId, u32> = BTreeMap::new();
    let mut drawn: BTreeMap<u32, NodeId> = BTreeMap::new();
    let numbered =
        order.iter().enumerate().filter_map(|(i, entry)| Some((u32::try_from(i + 1).ok()?, entry.as_ref()?)));
    for (number, entry) in numbered.clone() {
        if let CanvasPart::Node(key) = entry {
            let id = resolve(t, key)
                .ok_or_else(|| format!("the canvas numbering names {key}, which is not on the canvas"))?;
            if nodes.insert(id, number).is_some() {
                return Err(format!("the canvas numbering names {key} twice"));
            }
            drawn.insert(number, id);
        }
    }
    for (number, entry) in numbered {
        match entry {
            CanvasPart::Node(_) => {}
            CanvasPart::Connection([a, b]) => {
                let (Some(from), Some(to)) = (drawn.get(a), drawn.get(b)) else {
                    return Err(format!("the canvas numbering connects {a} and {b}, which are not parts"));
                };
                let edge = t.edges.iter().find(|e| e.from == *from && e.to == *to).map(|e| e.id).ok_or_else(|| {
                    format!("the canvas numbering connects parts {a} and {b}, which the scenario does not connect")
                })?;
                if edges.insert(edge, number).is_some() {
                    return Err(format!("the canvas numbering connects parts {a} and {b} twice"));
                }
            }
        }
    }
    let mut next = u32::try_from(order.len() + 1).map_err(|_| "the canvas numbering is too long".to_string())?;
    let mut rest: Vec<(u32, bool)> = t
        .nodes
        .iter()
        .filter(|n| !nodes.contains_key(&n.id))
        .map(|n| (n.id, true))
        .chain(t.edges.iter().filter(|e| !edges.contains_key(&e.id)).map(|e| (e.id, false)))
        .collect();
    rest.sort_unstable();
    for (id, is_node) in rest {
        if is_node {
            nodes.insert(id, next)
        } else {
            edges.insert(id, next)
        };
        next += 1;
    }
    for n in &mut t.nodes {
        n.id = nodes[&n.id];
    }
    for e in &mut t.edges {
        e.id = edges[&e.id];
        e.from = nodes[&e.from];
        e.to = nodes[&e.to];
    }
    t.nodes.sort_by_key(|n| n.id);
    t.edges.sort_by_key(|e| e.id);
    t.next_id = next;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
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
                assert!(
                    a.is_nan() || b.is_nan() || a < b,
                    "{id}: {before:?} at {a} should be left of {after:?} at {b}"
                );
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

    use crate::playground::model::{Playground, QueueSettings, pairs_map};
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
            }),
            NodeKind::Exchange => NodeConfig::Exchange(*rng.pick(&[
                ExchangeKind::Direct,
                ExchangeKind::Fanout,
                ExchangeKind::Topic,
                ExchangeKind::Headers,
            ])),
            NodeKind::Queue => NodeConfig::Queue(QueueSettings {
                message_ttl: maybe(rng),
                max_length: maybe(rng),
                dead_letter_exchange: rng.pick(&["", "dlx", " padded ", "orders"]).to_string(),
            }),
            NodeKind::Consumer => NodeConfig::Consumer(ConsumerSettings {
                processing_ms: *rng.pick(&[0, 300, 1_500, 600_000]),
                prefetch: *rng.pick(&[0, 1, 10, 250, u16::MAX]),
                ack_mode: *rng.pick(&[AckMode::Manual, AckMode::Auto]),
                failure: *rng.pick(&[Failure::None, Failure::Crash, Failure::Nack, Failure::Slow]),
            }),
            NodeKind::Topic => NodeConfig::Topic(TopicSettings {
                partitions: *rng.pick(&[0, 1, 2, 3, 64, 65]),
                replication_factor: *rng.pick(&[0, 1, 2, 3, 9, 10]),
            }),
            NodeKind::Broker => NodeConfig::Broker,
            NodeKind::Group => NodeConfig::Group,
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
        ];
        let mut rng = Rng(seed);
        let mut p = Playground::default();
        let steps = rng.below(60);
        for _ in 0..steps {
            let nodes: Vec<NodeId> = p.topology.nodes.iter().map(|n| n.id).collect();
            let edges: Vec<EdgeId> = p.topology.edges.iter().map(|e| e.id).collect();
            let node = |rng: &mut Rng| (!nodes.is_empty()).then(|| *rng.pick(&nodes));
            match rng.below(20) {
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
                    assert_eq!(round_trip(&t), t, "seed {seed}");
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
        assert_eq!(kinds.len(), 7, "{kinds:?}");
        assert_eq!(roles.len(), 8, "{roles:?}");
        assert!(ordered > 100, "only {ordered} cases needed the canvas numbering");
    }

    #[test]
    fn an_empty_topology_is_an_empty_scenario_with_its_seed() {
        let t = Topology::default();
        let s = to_scenario(&t).unwrap();
        assert_eq!(s, Scenario { seed: 1, ..Scenario::default() });
        assert_eq!(serde_json::to_string(&s).unwrap(), r#"{"version":1,"seed":1}"#);
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
        p.configure(t1, NodeConfig::Topic(TopicSettings { partitions: 3, replication_factor: 3 })).unwrap();
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
        assert_eq!(queues.iter().map(|q| (q.name.as_str(), q.durable)).collect::<Vec<_>>(), [("q1", false)]);
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
    fn other_vhosts_are_drawn_as_vhost_slash_name() {
        let s = brokerlab_scenario::presets::get("vhosts-channels").unwrap();
        let t = from_scenario(&s).unwrap();
        let queues: Vec<&str> = t.of_kind(NodeKind::Queue).map(|n| n.name.as_str()).collect();
        assert_eq!(queues, ["shop/orders", "billing/orders"]);
        let shop = t.named(NodeKind::Producer, "shop/shop-app").unwrap();
        let target = t.outgoing(shop.id).next().and_then(|e| t.node(e.to)).unwrap();
        assert_eq!(target.name, "shop/orders", "a publish in vhost shop reaches that vhost's queue");
        // Written back, the canvas is one vhost: the names keep the prefix.
        let written = to_scenario(&t).unwrap();
        assert!(written.rabbitmq.queues.iter().all(|q| q.vhost == "/"));
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
        let doc = include_str!("../../docs/scenario.md");
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
                configs: kafka_consumer_configs(prefetch),
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
        let args = queue_arguments(&QueueSettings {
            message_ttl: Some(5000),
            max_length: Some(3),
            dead_letter_exchange: " dlx ".into(),
        });
        assert_eq!(args.get("x-message-ttl"), Some(&serde_json::Value::from(5000)));
        assert_eq!(args.get("x-max-length"), Some(&serde_json::Value::from(3)));
        assert_eq!(args.get("x-dead-letter-exchange"), Some(&serde_json::Value::from("dlx")));
        assert!(queue_arguments(&QueueSettings::default()).is_empty());
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
        let t = share::from_json(include_str!("golden/canvas-v1.json")).unwrap();
        let link = share::link_fragment(&t).unwrap();
        assert!(link.len() < 1_200, "{} characters", link.len());
        assert!(link.len() * 3 < include_str!("golden/canvas-v1.link").len(), "a third of the old format's length");
    }
}
