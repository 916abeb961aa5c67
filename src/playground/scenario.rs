//! Opening a [`brokerlab_scenario::Scenario`] (a gallery starter, a lesson
//! preset or a scenario share link) on the canvas. A scenario names RabbitMQ
//! and Kafka entities and scripts what clients do; the canvas draws parts and
//! wires, so producers are inferred from the script's publishes and
//! produces, consumer groups from their members, and each part sits where
//! the scenario's layout puts it (or at the next free spot).

use super::model::{
    AckMode, ConsumerSettings, NODE_H, NODE_W, NodeConfig, NodeId, NodeKind, Playground, ProducerSettings,
    QueueSettings, TopicSettings, Topology,
};
use brokerlab_rabbit::ExchangeKind;
use brokerlab_scenario::{Action, DestinationType, ExchangeType, Scenario};

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

fn text(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn pairs(args: &brokerlab_scenario::Arguments) -> String {
    args.iter().map(|(k, v)| format!("{k}={}", text(v))).collect::<Vec<_>>().join(", ")
}

struct Canvas<'a> {
    editor: Playground,
    scenario: &'a Scenario,
}

impl Canvas<'_> {
    fn node(&mut self, kind: NodeKind, layout: &str, name: &str) -> NodeId {
        if let Some(n) = self.editor.topology.named(kind, name) {
            return n.id;
        }
        let at = self
            .scenario
            .layout
            .get(&format!("{layout}:{name}"))
            .map(|p| (f64::from(p.x), f64::from(p.y)))
            .unwrap_or_else(|| self.next_in_column(kind));
        let id = self.editor.add_node(kind, Some(at));
        let _ = self.editor.rename(id, name);
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
        let bottom = self
            .editor
            .topology
            .nodes
            .iter()
            .filter(|n| (n.x - x).abs() < 1.0)
            .map(|n| n.y + NODE_H + 30.0)
            .fold(30.0, f64::max);
        (x, bottom)
    }

    fn configure(&mut self, id: NodeId, config: NodeConfig) {
        let _ = self.editor.configure(id, config);
    }

    fn connect(&mut self, from: NodeId, to: NodeId, key: &str, args: &str) {
        if let Ok(edge) = self.editor.connect(from, to)
            && (!key.is_empty() || !args.is_empty())
        {
            let _ = self.editor.set_binding(edge, key, args);
        }
    }

    fn producer(&mut self, name: &str, key: &str, body: &str, headers: String) -> NodeId {
        let fresh = self.editor.topology.named(NodeKind::Producer, name).is_none();
        let id = self.node(NodeKind::Producer, "producer", name);
        if fresh {
            let settings =
                ProducerSettings { routing_key: key.into(), body: body.into(), headers, ..Default::default() };
            self.configure(id, NodeConfig::Producer(settings));
        }
        id
    }
}

/// Draws a scenario as a topology. Nothing in a scenario can make this fail:
/// what the canvas cannot show (vhosts, scripted acks) is left out.
pub fn to_topology(scenario: &Scenario) -> Topology {
    let mut c = Canvas { editor: Playground::default(), scenario };
    let rabbit = &scenario.rabbitmq;
    for x in rabbit.exchanges.iter().filter(|x| !x.name.is_empty() && !x.name.starts_with("amq.")) {
        let id = c.node(NodeKind::Exchange, "exchange", &x.name);
        let kind = match x.kind {
            ExchangeType::Direct => ExchangeKind::Direct,
            ExchangeType::Fanout => ExchangeKind::Fanout,
            ExchangeType::Topic => ExchangeKind::Topic,
            ExchangeType::Headers => ExchangeKind::Headers,
        };
        c.configure(id, NodeConfig::Exchange(kind));
    }
    for q in &rabbit.queues {
        let id = c.node(NodeKind::Queue, "queue", &q.name);
        let num =
            |k: &str| q.arguments.get(k).and_then(serde_json::Value::as_u64).map(|v| v.min(u64::from(u32::MAX)) as u32);
        let settings = QueueSettings {
            message_ttl: num("x-message-ttl"),
            max_length: num("x-max-length"),
            dead_letter_exchange: q.arguments.get("x-dead-letter-exchange").map(text).unwrap_or_default(),
        };
        c.configure(id, NodeConfig::Queue(settings));
    }
    for b in rabbit.bindings.iter().filter(|b| !b.source.is_empty()) {
        let (Some(from), layout, kind) = (
            c.editor.topology.named(NodeKind::Exchange, &b.source).map(|n| n.id),
            if b.destination_type == DestinationType::Queue { "queue" } else { "exchange" },
            if b.destination_type == DestinationType::Queue { NodeKind::Queue } else { NodeKind::Exchange },
        ) else {
            continue;
        };
        let to = c.node(kind, layout, &b.destination);
        c.connect(from, to, &b.routing_key, &pairs(&b.arguments));
    }
    let consumers = rabbit.consumers.iter().chain(scenario.script.iter().filter_map(|a| match a {
        Action::Consume { consumer } => Some(consumer),
        _ => None,
    }));
    for def in consumers {
        let Some(queue) = c.editor.topology.named(NodeKind::Queue, &def.queue).map(|n| n.id) else { continue };
        let id = c.node(NodeKind::Consumer, "consumer", &def.tag);
        let settings = ConsumerSettings {
            prefetch: def.prefetch,
            ack_mode: if def.auto_ack { AckMode::Auto } else { AckMode::Manual },
            ..ConsumerSettings::default()
        };
        c.configure(id, NodeConfig::Consumer(settings));
        c.connect(queue, id, "", "");
    }
    for action in &scenario.script {
        if let Action::Publish { client, exchange, routing_key, body, headers, .. } = action {
            let id = c.producer(client, routing_key, body, pairs(headers));
            let target = if exchange.is_empty() {
                c.editor.topology.named(NodeKind::Queue, routing_key)
            } else {
                c.editor.topology.named(NodeKind::Exchange, exchange)
            };
            if let Some(to) = target.map(|n| n.id) {
                c.connect(id, to, "", "");
            }
        }
    }
    let kafka = &scenario.kafka;
    if !kafka.topics.is_empty() || !kafka.consumers.is_empty() || !kafka.producers.is_empty() {
        for b in 0..kafka.brokers.min(9) {
            c.node(NodeKind::Broker, "kafka-broker", &b.to_string());
        }
        // Broker nodes are named like the rest of the canvas.
        let brokers: Vec<NodeId> = c.editor.topology.of_kind(NodeKind::Broker).map(|n| n.id).collect();
        for (i, id) in brokers.into_iter().enumerate() {
            let _ = c.editor.rename(id, &format!("broker-{i}"));
        }
        for t in &kafka.topics {
            let id = c.node(NodeKind::Topic, "topic", &t.name);
            let settings = TopicSettings { partitions: t.partitions, replication_factor: t.replication_factor };
            c.configure(id, NodeConfig::Topic(settings));
        }
        for p in &kafka.producers {
            c.producer(&p.name, "", "hello", String::new());
        }
        for action in &scenario.script {
            if let Action::Produce { producer, topic, key, value, .. } = action {
                let id =
                    c.producer(producer, key.as_deref().unwrap_or(""), value.as_deref().unwrap_or(""), String::new());
                if let Some(t) = c.editor.topology.named(NodeKind::Topic, topic).map(|n| n.id) {
                    c.connect(id, t, "", "");
                }
            }
        }
        for k in &kafka.consumers {
            let group = c.node(NodeKind::Group, "group", &k.group_id);
            let member = c.node(NodeKind::Consumer, "consumer", &k.name);
            c.connect(member, group, "", "");
            let subscribed = scenario.script.iter().filter_map(|a| match a {
                Action::Subscribe { consumer, topics } if *consumer == k.name => Some(topics),
                _ => None,
            });
            for topic in k.topics.iter().chain(subscribed.flatten()) {
                if let Some(t) = c.editor.topology.named(NodeKind::Topic, topic).map(|n| n.id) {
                    c.connect(t, group, "", "");
                }
            }
        }
    }
    let mut topology = c.editor.topology;
    topology.seed = scenario.seed;
    topology
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
}
