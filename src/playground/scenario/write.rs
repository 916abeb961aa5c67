//! The canvas written as a scenario: [`to_scenario`] puts each part where
//! the format has a place for it and the rest in the `canvas` section, with
//! the canvas's numbering, so reading it back gives the same topology.

use super::read::from_scenario;
use super::{
    exchange_type, failure_word, kafka_consumer_configs, node_key, producer_configs, share_consumer_configs,
    topic_configs,
};
use crate::playground::model::{
    AckMode, ConsumerSettings, DEFAULT_VHOST, EdgeRole, NodeConfig, NodeId, NodeKind, QueueSettings, QueueType,
    StreamOffset, Topology, Word, pairs_map,
};
use brokerlab_order::CollectOrdered;
use brokerlab_scenario::{
    BindingDef, CanvasConsumer, CanvasGroup, CanvasPart, CanvasProducer, ConsumerDef, ConsumerFailure, DestinationType,
    ExchangeDef, KafkaConsumerDef, Position, ProducerDef, QueueDef, Scenario, ShareConsumerDef, ShareGroupDef,
    TopicDef, VhostDef,
};
use std::collections::BTreeSet;

/// The longest numbering a link carries; a canvas counted further than this
/// (only a damaged file could) is renumbered instead.
const MAX_ORDER: u32 = 100_000;

/// The topology as a scenario. Fails, naming the part, only when binding
/// arguments or producer headers are not `name=value` pairs (which the
/// inspector accepts as typed, and the run reports).
pub fn to_scenario(t: &Topology) -> Result<Scenario, String> {
    let mut s = Scenario { seed: t.seed, ..Scenario::default() };
    s.rabbitmq.version = t.rabbitmq_version;
    let group_topics = |group: NodeId| -> Vec<String> {
        t.incoming(group)
            .filter(|e| e.role == EdgeRole::Subscribe)
            .filter_map(|e| t.node(e.from).map(|n| n.name.clone()))
            .collect()
    };
    for n in &t.nodes {
        match &n.config {
            NodeConfig::Exchange(x) => {
                let mut arguments = brokerlab_scenario::Arguments::new();
                if !x.alternate_exchange.is_empty() {
                    arguments.insert("alternate-exchange".into(), x.alternate_exchange.clone().into());
                }
                s.rabbitmq.exchanges.push(ExchangeDef {
                    durable: x.durable,
                    vhost: x.vhost.clone(),
                    arguments,
                    ..ExchangeDef::new(n.name.clone(), exchange_type(x.kind))
                })
            }
            NodeConfig::Queue(q) => {
                let mut arguments = queue_arguments(q);
                // A queue declared without `x-queue-type` takes its vhost's
                // default type, so a classic queue in a vhost whose default
                // is another type says that it is classic.
                let default = t.default_queue_types.get(&q.vhost);
                if q.queue_type == QueueType::Classic
                    && default.is_some_and(|d| *d != brokerlab_scenario::QueueTypeName::Classic)
                {
                    arguments.insert("x-queue-type".into(), QueueType::Classic.word().into());
                }
                s.rabbitmq.queues.push(QueueDef {
                    durable: q.durable,
                    vhost: q.vhost.clone(),
                    arguments,
                    ..QueueDef::new(n.name.clone())
                })
            }
            NodeConfig::Topic(ts) => s.kafka.topics.push(TopicDef {
                configs: topic_configs(ts),
                ..TopicDef::new(n.name.clone(), ts.partitions, ts.replication_factor)
            }),
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
                        Some(format!("{kind}:{}", target.qualified_name()))
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
                // A producer is a Kafka client when it produces to a topic, or,
                // on a canvas with Kafka parts, when it is not connected to
                // RabbitMQ (a challenge's producer that its script drives).
                let produces = t.outgoing(n.id).any(|e| e.role == EdgeRole::Produce);
                let publishes =
                    t.outgoing(n.id).any(|e| matches!(e.role, EdgeRole::Publish | EdgeRole::PublishToQueue));
                if produces || (!publishes && crate::playground::sim::uses_kafka(t)) {
                    s.kafka.producers.push(ProducerDef { name: n.name.clone(), configs: producer_configs(p) });
                }
            }
            NodeConfig::Group if !t.outgoing(n.id).any(|e| e.role == EdgeRole::Member) => {
                s.canvas.groups.push(CanvasGroup { name: n.name.clone(), topics: group_topics(n.id) })
            }
            // Every share group is listed with the Kafka part, which is how
            // it reads back as a share group; one without members keeps its
            // subscriptions in the canvas section, as a consumer group does.
            NodeConfig::ShareGroup => {
                s.kafka.share_groups.push(ShareGroupDef { group_id: n.name.clone(), configs: Default::default() });
                if !t.outgoing(n.id).any(|e| e.role == EdgeRole::Member) {
                    s.canvas.groups.push(CanvasGroup { name: n.name.clone(), topics: group_topics(n.id) })
                }
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
                    .collect_map();
                let destination_type = if e.role == EdgeRole::ExchangeBinding {
                    DestinationType::Exchange
                } else {
                    DestinationType::Queue
                };
                s.rabbitmq.bindings.push(BindingDef {
                    destination_type,
                    arguments,
                    vhost: from.vhost().to_string(),
                    ..BindingDef::queue(from.name.clone(), to.name.clone(), e.binding_key.clone())
                });
            }
            (EdgeRole::Consume, NodeConfig::Consumer(c)) => s.rabbitmq.consumers.push(ConsumerDef {
                tag: to.name.clone(),
                queue: from.name.clone(),
                vhost: from.vhost().to_string(),
                client: String::new(),
                prefetch: c.prefetch,
                auto_ack: c.ack_mode == AckMode::Auto,
                exclusive: false,
                arguments: consumer_arguments(c),
            }),
            (EdgeRole::Member, NodeConfig::Consumer(c)) if from.kind() == NodeKind::ShareGroup => {
                s.kafka.share_consumers.push(ShareConsumerDef {
                    name: to.name.clone(),
                    group_id: from.name.clone(),
                    topics: group_topics(from.id),
                    configs: share_consumer_configs(c),
                })
            }
            (EdgeRole::Member, NodeConfig::Consumer(c)) => s.kafka.consumers.push(KafkaConsumerDef {
                name: to.name.clone(),
                group_id: from.name.clone(),
                topics: group_topics(from.id),
                configs: kafka_consumer_configs(c),
                rebalance_listener: false,
            }),
            _ => {}
        }
    }
    // Every vhost a part, a policy or a default queue type names; `/`
    // exists already and is listed only to carry its default queue type.
    let vhosts: BTreeSet<&str> = t
        .nodes
        .iter()
        .map(|n| n.vhost())
        .chain(t.policies.iter().map(|p| p.vhost.as_str()))
        .chain(t.default_queue_types.keys().map(String::as_str))
        .filter(|v| *v != DEFAULT_VHOST || t.default_queue_types.contains_key(*v))
        .collect_set();
    s.rabbitmq.vhosts = vhosts
        .into_iter()
        .map(|name| {
            let mut v = VhostDef::new(name);
            v.metadata.default_queue_type = t.default_queue_types.get(name).copied();
            v
        })
        .collect();
    s.rabbitmq.policies = t.policies.clone();
    if crate::playground::sim::uses_kafka(t) {
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
        .chain(s.kafka.share_consumers.iter().map(|c| c.name.as_str()))
        .collect_set();
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

/// The queue arguments a queue node's settings stand for.
pub(super) fn queue_arguments(q: &QueueSettings) -> brokerlab_scenario::Arguments {
    let mut args = brokerlab_scenario::Arguments::new();
    if let Some(ttl) = q.message_ttl {
        args.insert("x-message-ttl".into(), ttl.into());
    }
    if let Some(max) = q.max_length {
        args.insert("x-max-length".into(), max.into());
    }
    // A dead-letter routing key without an exchange dead-letters through
    // the default exchange, which RabbitMQ names with the empty string.
    if !q.dead_letter_exchange.trim().is_empty() || !q.dead_letter_routing_key.trim().is_empty() {
        args.insert("x-dead-letter-exchange".into(), q.dead_letter_exchange.trim().into());
    }
    if !q.dead_letter_routing_key.trim().is_empty() {
        args.insert("x-dead-letter-routing-key".into(), q.dead_letter_routing_key.trim().into());
    }
    if q.queue_type != QueueType::Classic {
        args.insert("x-queue-type".into(), q.queue_type.word().into());
    }
    if let Some(limit) = q.delivery_limit {
        args.insert("x-delivery-limit".into(), limit.into());
    }
    if let Some(bytes) = q.max_length_bytes {
        args.insert("x-max-length-bytes".into(), bytes.into());
    }
    if !q.max_age.trim().is_empty() {
        args.insert("x-max-age".into(), q.max_age.trim().into());
    }
    args
}

/// The consume arguments a RabbitMQ consumer's settings stand for: its
/// `x-stream-offset` unless it is RabbitMQ's own default, `next`. Another
/// queue type ignores the argument, as RabbitMQ does, so it is written
/// whatever the consumer reads from and a consumer moved to a stream later
/// keeps it.
pub(super) fn consumer_arguments(c: &ConsumerSettings) -> brokerlab_scenario::Arguments {
    let mut args = brokerlab_scenario::Arguments::new();
    if c.stream_offset != StreamOffset::Next {
        args.insert("x-stream-offset".into(), c.stream_offset.argument());
    }
    args
}
