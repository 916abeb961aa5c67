//! A scenario drawn on the canvas: [`from_scenario`] reads back what
//! [`to_scenario`](super::to_scenario) wrote exactly, and draws any other
//! scenario (a gallery starter, a lesson preset, a hand-written file) with
//! producers and consumers inferred from its script and parts laid out in
//! columns the way messages flow.

use super::{
    MAX_BROKERS, arguments_text, consumer_settings, failure_of, headers_text, in_vhost, producer_settings, resolve,
    share_consumer_settings, text, topic_settings,
};
use crate::playground::model::{
    AckMode, ConsumerSettings, EdgeId, ExchangeSettings, NODE_H, NODE_W, Node, NodeConfig, NodeId, NodeKind,
    ProducerSettings, QueueSettings, QueueType, StreamOffset, Topology, Word, pairs_text,
};
use brokerlab_order::CollectOrdered;
use brokerlab_scenario::{Action, CanvasPart, DestinationType, Position, Scenario};
use std::collections::{BTreeMap, BTreeSet};

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
        self.node_in(kind, "/", name)
    }

    /// The exchange or queue `name` of `vhost`, added in that vhost when it
    /// is not there yet.
    fn node_in(&mut self, kind: NodeKind, vhost: &str, plain: &str) -> NodeId {
        let name = in_vhost(vhost, plain);
        let name = name.as_str();
        if let Some(id) = self.find(kind, name) {
            return id;
        }
        let keys: &[&str] = match kind {
            NodeKind::Producer => &["producer", "client"],
            NodeKind::Exchange => &["exchange"],
            NodeKind::Queue => &["queue"],
            NodeKind::Consumer => &["consumer", "kafka-consumer", "share-consumer"],
            NodeKind::Topic => &["topic"],
            NodeKind::Group => &["group"],
            NodeKind::ShareGroup => &["share-group"],
            NodeKind::Broker => &[],
        };
        let at = keys.iter().find_map(|k| self.layout.get(&format!("{k}:{name}")).copied());
        let id = self.add(kind, plain, at);
        match self.config(id) {
            Some(NodeConfig::Exchange(x)) => x.vhost = vhost.to_string(),
            Some(NodeConfig::Queue(q)) => q.vhost = vhost.to_string(),
            _ => {}
        }
        id
    }

    fn add(&mut self, kind: NodeKind, name: &str, at: Option<Position>) -> NodeId {
        let (x, y) = at.map(|p| (f64::from(p.x), f64::from(p.y))).unwrap_or_else(|| self.next_in_column(kind));
        let id = self.t.next_id;
        self.t.next_id += 1;
        let (x, y) = (crate::playground::model::place(x), crate::playground::model::place(y));
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
            NodeKind::Queue | NodeKind::Group | NodeKind::ShareGroup => 2,
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
        if self.t.edges.iter().any(|e| e.from == from && e.to == to && !e.role.is_binding()) {
            return None;
        }
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
        let id = b.node_in(NodeKind::Exchange, &x.vhost, &x.name);
        let settings = ExchangeSettings {
            kind: brokerlab_scenario::translate::exchange_kind(x.kind),
            durable: x.durable,
            alternate_exchange: x.arguments.get("alternate-exchange").and_then(text).unwrap_or_default(),
            vhost: x.vhost.clone(),
        };
        b.set(id, NodeConfig::Exchange(settings));
    }
    for q in r.queues.iter().filter(|q| !q.name.is_empty()) {
        let id = b.node_in(NodeKind::Queue, &q.vhost, &q.name);
        let num = |k: &str| {
            q.arguments.get(k).and_then(serde_json::Value::as_u64).map(|v| u32::try_from(v).unwrap_or(u32::MAX))
        };
        let word = |k: &str| q.arguments.get(k).and_then(text).unwrap_or_default();
        let settings = QueueSettings {
            message_ttl: num("x-message-ttl"),
            max_length: num("x-max-length"),
            dead_letter_exchange: word("x-dead-letter-exchange"),
            dead_letter_routing_key: word("x-dead-letter-routing-key"),
            queue_type: QueueType::from_word(&word("x-queue-type")).unwrap_or_else(|| {
                // Without `x-queue-type`, a durable queue that is not
                // auto-delete takes its vhost's default type.
                let default = r.vhosts.iter().find(|v| v.name == q.vhost).and_then(|v| v.metadata.default_queue_type);
                match default {
                    Some(d) if q.durable && !q.auto_delete => QueueType::from_word(d.as_str()).unwrap_or_default(),
                    _ => QueueType::default(),
                }
            }),
            delivery_limit: num("x-delivery-limit"),
            max_length_bytes: q.arguments.get("x-max-length-bytes").and_then(serde_json::Value::as_u64),
            max_age: word("x-max-age"),
            durable: q.durable,
            vhost: q.vhost.clone(),
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
        let to = b.node_in(kind, &bd.vhost, &bd.destination);
        // The same binding twice is one binding, as in the broker.
        let same = |e: &&crate::playground::model::Edge| {
            e.from == from && e.to == to && e.binding_key == bd.routing_key && e.arguments == arguments
        };
        if b.t.edges.iter().any(|e| same(&e)) {
            continue;
        }
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
        let name = def.tag.clone();
        let fresh = b.find(NodeKind::Consumer, &name).is_none();
        let id = b.node(NodeKind::Consumer, &name);
        if fresh {
            let settings = ConsumerSettings {
                prefetch: def.prefetch,
                ack_mode: if def.auto_ack { AckMode::Auto } else { AckMode::Manual },
                stream_offset: def
                    .arguments
                    .get("x-stream-offset")
                    .and_then(StreamOffset::from_argument)
                    .unwrap_or_default(),
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
            ..ProducerSettings::default()
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
            let id = b.scripted_producer(client, settings);
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
        b.set(id, NodeConfig::Topic(topic_settings(topic)));
    }
    for p in k.producers.iter().filter(|p| !p.name.is_empty()) {
        let id = b.node(NodeKind::Producer, &p.name);
        let base = match b.config(id) {
            Some(NodeConfig::Producer(settings)) => settings.clone(),
            _ => ProducerSettings::default(),
        };
        b.set(id, NodeConfig::Producer(producer_settings(&p.configs, base)));
    }
    let kafka_configs = |name: &str| k.producers.iter().find(|p| p.name == name).map(|p| &p.configs);
    for (p, settings) in canvas_producers {
        let id = b.node(NodeKind::Producer, &p.name);
        let settings = match kafka_configs(&p.name) {
            Some(configs) => producer_settings(configs, settings),
            None => settings,
        };
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
            b.set(member, NodeConfig::Consumer(consumer_settings(&def.configs, ConsumerSettings::default())));
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
    let share_groups: BTreeSet<&str> = k
        .share_groups
        .iter()
        .map(|g| g.group_id.as_str())
        .chain(k.share_consumers.iter().map(|c| c.group_id.as_str()))
        .filter(|g| !g.is_empty())
        .collect();
    for g in &k.share_groups {
        if !g.group_id.is_empty() {
            b.node(NodeKind::ShareGroup, &g.group_id);
        }
    }
    for def in k.share_consumers.iter().filter(|c| !c.name.is_empty() && !c.group_id.is_empty()) {
        let group = b.node(NodeKind::ShareGroup, &def.group_id);
        let fresh = b.find(NodeKind::Consumer, &def.name).is_none();
        let member = b.node(NodeKind::Consumer, &def.name);
        if fresh {
            b.set(member, NodeConfig::Consumer(share_consumer_settings(&def.configs, ConsumerSettings::default())));
        }
        b.connect(member, group);
        let subscribed = s.script.iter().filter_map(|a| match a {
            Action::ShareSubscribe { consumer, topics } if *consumer == def.name => Some(topics),
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
        // A group the Kafka part lists as a share group is one.
        let kind = if share_groups.contains(g.name.as_str()) { NodeKind::ShareGroup } else { NodeKind::Group };
        let id = b.node(kind, &g.name);
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
    t.rabbitmq_version = s.rabbitmq.version;
    t.policies = s.rabbitmq.policies.clone();
    t.default_queue_types =
        s.rabbitmq.vhosts.iter().filter_map(|v| Some((v.name.clone(), v.metadata.default_queue_type?))).collect_map();
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
                // Two bindings may join the same two parts; each entry
                // numbers the next of them in the order they were read.
                let between = |e: &&crate::playground::model::Edge| e.from == *from && e.to == *to;
                if !t.edges.iter().any(|e| between(&e)) {
                    return Err(format!(
                        "the canvas numbering connects parts {a} and {b}, which the scenario does not connect"
                    ));
                }
                let edge = t
                    .edges
                    .iter()
                    .filter(between)
                    .map(|e| e.id)
                    .find(|id| !edges.contains_key(id))
                    .ok_or_else(|| format!("the canvas numbering connects parts {a} and {b} twice"))?;
                edges.insert(edge, number);
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
    brokerlab_order::sort_by_key(&mut t.nodes, |n| n.id);
    brokerlab_order::sort_by_key(&mut t.edges, |e| e.id);
    t.next_id = next;
    Ok(())
}
