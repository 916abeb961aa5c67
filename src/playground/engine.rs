//! Translation of the canvas into engine commands: exchanges, queues and
//! bindings for the RabbitMQ engine; topics, producers, consumers and
//! subscriptions for the Kafka engine. Each command carries the node or edge
//! it came from, so an engine error can be pinned to the part that caused it.

use super::model::{EdgeId, EdgeRole, NodeConfig, NodeId, NodeKind, Topology, parse_pairs};
use brokerlab_kafka as kafka;
use brokerlab_rabbit as rabbit;
use brokerlab_rabbit::{ChannelId, FieldTable, FieldValue};

/// The part of the canvas a command came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Origin {
    Node(NodeId),
    Edge(EdgeId),
}

/// Binding or header pairs as an AMQP field table. Values stay strings, as
/// a header typed into a form is; `x-match` is an ordinary string argument.
pub fn field_table(text: &str) -> Result<FieldTable, String> {
    Ok(parse_pairs(text)?.into_iter().map(|(k, v)| (k, FieldValue::str(v))).collect())
}

/// The queue arguments a queue node's settings stand for.
pub fn queue_arguments(settings: &super::model::QueueSettings) -> FieldTable {
    let mut args = FieldTable::new();
    if let Some(ttl) = settings.message_ttl {
        args.insert("x-message-ttl".into(), FieldValue::LongLongInt(ttl.into()));
    }
    if let Some(max) = settings.max_length {
        args.insert("x-max-length".into(), FieldValue::LongLongInt(max.into()));
    }
    if !settings.dead_letter_exchange.trim().is_empty() {
        args.insert("x-dead-letter-exchange".into(), FieldValue::str(settings.dead_letter_exchange.trim()));
    }
    args
}

/// The RabbitMQ declarations for a topology, in an order that always works:
/// exchanges, then queues, then bindings. Consumers are started separately,
/// each on its own channel, because prefetch belongs to a channel.
pub fn rabbit_commands(topology: &Topology, channel: ChannelId) -> Vec<(Origin, Result<rabbit::Command, String>)> {
    let mut out = Vec::new();
    for node in &topology.nodes {
        if let NodeConfig::Exchange(kind) = node.config {
            out.push((
                Origin::Node(node.id),
                Ok(rabbit::Command::ExchangeDeclare {
                    channel,
                    exchange: node.name.clone(),
                    kind,
                    passive: false,
                    durable: false,
                    auto_delete: false,
                    internal: false,
                    arguments: FieldTable::new(),
                }),
            ));
        }
    }
    for node in &topology.nodes {
        if let NodeConfig::Queue(settings) = &node.config {
            out.push((
                Origin::Node(node.id),
                Ok(rabbit::Command::QueueDeclare {
                    channel,
                    queue: node.name.clone(),
                    passive: false,
                    durable: false,
                    exclusive: false,
                    auto_delete: false,
                    arguments: queue_arguments(settings),
                }),
            ));
        }
    }
    for edge in topology.edges.iter().filter(|e| e.role.is_binding()) {
        let (Some(source), Some(dest)) = (topology.node(edge.from), topology.node(edge.to)) else { continue };
        let command = field_table(&edge.arguments).map(|arguments| match edge.role {
            EdgeRole::ExchangeBinding => rabbit::Command::ExchangeBind {
                channel,
                destination: dest.name.clone(),
                source: source.name.clone(),
                routing_key: edge.binding_key.clone(),
                arguments,
            },
            _ => rabbit::Command::QueueBind {
                channel,
                queue: dest.name.clone(),
                exchange: source.name.clone(),
                routing_key: edge.binding_key.clone(),
                arguments,
            },
        });
        out.push((Origin::Edge(edge.id), command));
    }
    out
}

/// Consumer settings tuned for a playground: a short session timeout so a
/// crashed member leaves its group within seconds, and manual commits.
pub fn kafka_consumer_config(group: &str, max_poll_records: u16) -> kafka::ConsumerConfig {
    kafka::ConsumerConfig {
        auto_offset_reset: kafka::OffsetReset::Earliest,
        enable_auto_commit: false,
        session_timeout_ms: 6_000,
        heartbeat_interval_ms: 1_000,
        max_poll_records: u32::from(max_poll_records.max(1)),
        ..kafka::ConsumerConfig::new(group)
    }
}

/// How many brokers the Kafka cluster has: one per broker node.
pub fn kafka_brokers(topology: &Topology) -> u32 {
    topology.of_kind(NodeKind::Broker).count() as u32
}

/// Whether the topology has any Kafka part at all.
pub fn uses_kafka(topology: &Topology) -> bool {
    topology.nodes.iter().any(|n| matches!(n.kind(), NodeKind::Broker | NodeKind::Topic | NodeKind::Group))
}

/// The Kafka commands for a topology: topics, producers that write to a
/// topic, group members, and each member's subscription (its group's topics).
pub fn kafka_commands(topology: &Topology) -> Vec<(Origin, kafka::Command)> {
    let mut out = Vec::new();
    for node in &topology.nodes {
        if let NodeConfig::Topic(t) = &node.config {
            out.push((
                Origin::Node(node.id),
                kafka::Command::CreateTopic {
                    name: node.name.clone(),
                    config: kafka::TopicConfig::new(t.partitions, t.replication_factor),
                },
            ));
        }
    }
    for node in topology.of_kind(NodeKind::Producer) {
        if topology.outgoing(node.id).any(|e| e.role == EdgeRole::Produce) {
            out.push((
                Origin::Node(node.id),
                kafka::Command::CreateProducer { name: node.name.clone(), config: kafka::ProducerConfig::default() },
            ));
        }
    }
    for edge in topology.edges.iter().filter(|e| e.role == EdgeRole::Member) {
        let (Some(group), Some(consumer)) = (topology.node(edge.from), topology.node(edge.to)) else { continue };
        let prefetch = match &consumer.config {
            NodeConfig::Consumer(c) => c.prefetch,
            _ => 10,
        };
        out.push((
            Origin::Node(consumer.id),
            kafka::Command::CreateConsumer {
                name: consumer.name.clone(),
                config: kafka_consumer_config(&group.name, prefetch),
            },
        ));
        let topics: Vec<String> = topology
            .incoming(group.id)
            .filter(|e| e.role == EdgeRole::Subscribe)
            .filter_map(|e| topology.node(e.from).map(|t| t.name.clone()))
            .collect();
        if !topics.is_empty() {
            out.push((
                Origin::Node(consumer.id),
                kafka::Command::Subscribe { consumer: consumer.name.clone(), topics },
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::playground::model::{Playground, QueueSettings, TopicSettings};
    use brokerlab_rabbit::ExchangeKind;

    const CH: ChannelId = ChannelId { connection: 1, channel: 1 };

    #[test]
    fn exchanges_come_before_queues_and_bindings() {
        let mut p = Playground::default();
        let q = p.add_node(NodeKind::Queue, None);
        let x = p.add_exchange(ExchangeKind::Topic, None);
        let e = p.connect(x, q).unwrap();
        p.set_binding(e, "eu.#", "").unwrap();
        let cmds: Vec<_> = rabbit_commands(&p.topology, CH).into_iter().map(|(_, c)| c.unwrap()).collect();
        assert!(
            matches!(&cmds[0], rabbit::Command::ExchangeDeclare { exchange, kind: ExchangeKind::Topic, .. } if exchange == "x1")
        );
        assert!(matches!(&cmds[1], rabbit::Command::QueueDeclare { queue, .. } if queue == "q1"));
        assert!(
            matches!(&cmds[2], rabbit::Command::QueueBind { routing_key, exchange, .. } if routing_key == "eu.#" && exchange == "x1")
        );
    }

    #[test]
    fn queue_settings_become_x_arguments() {
        let args = queue_arguments(&QueueSettings {
            message_ttl: Some(5000),
            max_length: Some(3),
            dead_letter_exchange: "dlx".into(),
        });
        assert_eq!(args.get("x-message-ttl").and_then(FieldValue::as_i64), Some(5000));
        assert_eq!(args.get("x-max-length").and_then(FieldValue::as_i64), Some(3));
        assert_eq!(args.get("x-dead-letter-exchange").and_then(FieldValue::as_str), Some("dlx"));
    }

    #[test]
    fn a_malformed_binding_argument_is_an_error_on_its_edge() {
        let mut p = Playground::default();
        let x = p.add_exchange(ExchangeKind::Headers, None);
        let q = p.add_node(NodeKind::Queue, None);
        let e = p.connect(x, q).unwrap();
        p.set_binding(e, "", "x-match").unwrap();
        let cmds = rabbit_commands(&p.topology, CH);
        assert!(matches!(&cmds[2], (Origin::Edge(id), Err(_)) if *id == e));
    }

    #[test]
    fn group_members_subscribe_to_their_groups_topics() {
        let mut p = Playground::default();
        p.add_node(NodeKind::Broker, None);
        let t = p.add_node(NodeKind::Topic, None);
        p.configure(t, NodeConfig::Topic(TopicSettings { partitions: 2, replication_factor: 1 })).unwrap();
        let g = p.add_node(NodeKind::Group, None);
        let c = p.add_node(NodeKind::Consumer, None);
        p.connect(g, t).unwrap();
        p.connect(c, g).unwrap();
        let cmds: Vec<_> = kafka_commands(&p.topology).into_iter().map(|(_, c)| c).collect();
        assert!(
            matches!(&cmds[0], kafka::Command::CreateTopic { name, config } if name == "t1" && config.partitions == 2)
        );
        assert!(
            matches!(&cmds[1], kafka::Command::CreateConsumer { name, config } if name == "c1" && config.group_id == "g1")
        );
        assert!(matches!(&cmds[2], kafka::Command::Subscribe { topics, .. } if topics == &["t1".to_string()]));
        assert_eq!(kafka_brokers(&p.topology), 1);
    }
}
