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
//!
//! This module holds the gallery, the names both directions share
//! (`KIND:NAME` node keys, vhost-qualified names, settings as text); `write`
//! is the topology to the scenario, `read` the scenario to the topology, and
//! `tests` checks both.

mod read;
mod write;

use super::model::{EdgeRole, Failure, Node, NodeId, NodeKind, Topology, pairs_text};
use brokerlab_rabbit::ExchangeKind;
use brokerlab_scenario::{ConsumerFailure, ExchangeType, Scenario};
pub use read::from_scenario;
use std::collections::BTreeMap;
pub use write::to_scenario;

/// The most Kafka broker nodes a scenario may draw on the canvas.
pub const MAX_BROKERS: u32 = 1000;

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

#[cfg(test)]
mod tests;
