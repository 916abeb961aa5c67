//! The canvas and the scenario format ([`brokerlab_scenario::Scenario`]),
//! both ways.
//!
//! [`to_scenario`] writes everything a [`Topology`] holds: vhosts, exchanges
//! (durability, alternate exchange), queues (durability, type, the `x-`
//! arguments the inspector edits), bindings and RabbitMQ consumers in the
//! RabbitMQ part; brokers, topics with their configs, Kafka producers and
//! group members with theirs, share groups and their members as share
//! consumers in the Kafka part; positions in the layout; and
//! what only the canvas simulates (producers, processing times, injected
//! failures, groups without members, broker names, its numbering) in the
//! `canvas` section, which the engines and the command-line runner ignore.
//! [`from_scenario`] reads it back, so a topology the editor made comes back
//! exactly, except the Kafka settings of a producer or consumer that is not a
//! Kafka client, which the scenario has no place for.
//!
//! A scenario written elsewhere (a gallery starter, a lesson preset, a
//! hand-written file) opens too: producers are inferred from the script's
//! publishes and produces, consumers from its consumes, and each part sits
//! where the layout puts it or in columns the way messages flow. A part in a
//! vhost other than `/` keeps its vhost and is keyed `KIND:VHOST/NAME`. What
//! the inspector has no field for (other exchange, queue and consumer
//! arguments, other Kafka configs, the script) is left out; a Kafka config a
//! scenario leaves out reads as Kafka's default.
//!
//! This module holds the gallery, the names both directions share
//! (`KIND:NAME` node keys, vhost-qualified names, settings as text); `write`
//! is the topology to the scenario, `read` the scenario to the topology, and
//! `tests` checks both.

mod read;
mod write;

use super::model::{
    Acks, CleanupPolicy, ConsumerSettings, Failure, GroupProtocol, Isolation, Node, NodeConfig, NodeId, NodeKind,
    OffsetReset, Partitioner, ProducerSettings, TopicSettings, Topology, Word, kafka_defaults, pairs_text,
};
use brokerlab_order::CollectOrdered;
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

/// A gallery starter as the playground offers it: what it shows (its
/// scenario's description) and what to try on it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Starter {
    pub id: String,
    pub title: String,
    pub shows: String,
    pub try_this: &'static str,
}

/// What to try on each gallery starter, by preset id, in the words of the
/// parts its canvas draws.
const TRY: &[(&str, &str)] = &[
    (
        "work-queue",
        "Run the demo: app sends tasks and worker-1 and worker-2 take turns. Give worker-2 a processing time of 3000 ms: with prefetch 1 the other worker takes the rest. Set a worker's failure to reject, and its task is dead-lettered through tasks-dlx to tasks-dead-letters.",
    ),
    (
        "fanout-pubsub",
        "Run the demo: every message app sends is copied to email, sms and push. Only email has a consumer (mailer), so sms and push fill up. Connect a consumer to sms and watch it drain.",
    ),
    (
        "topic-routing",
        "app's key auth.critical matches all three bindings. Change the routing key to app.critical, then to auth.login, publish each, and open a message in a queue to see which bindings matched and why.",
    ),
    (
        "headers-routing",
        "app sends the headers format=pdf, kind=report: pdf-reports (x-match=all) takes it and urgent (x-match=any) does not. Add priority=high to the headers and both take it.",
    ),
    (
        "rpc-reply-queue",
        "Publish from client, then from server: each goes through the default exchange straight to the queue its routing key names. Connect a consumer to rpc.requests to play the server taking requests.",
    ),
    (
        "retry-dead-letter",
        "Connect a consumer to orders and set its failure to crash: each crash puts the message back, the quorum queue counts the delivery, and past its delivery limit it is dead-lettered to orders.dlq. Open it there to read its history.",
    ),
    (
        "kafka-key-ordering",
        "Run the demo: bank sends without a key, so records spread over the partitions of transfers. Give bank a key such as account-7: every record then goes to one partition, in order.",
    ),
    (
        "scale-consumer-group",
        "Run the demo: app writes to the six partitions of events, shared by the members of workers. Add a consumer to the group and step through the rebalance; the seventh member would sit idle.",
    ),
    (
        "replication-failover",
        "Run the demo, then crash the broker that leads a partition of orders (its card says which): once its session times out, the controller elects a new leader from the ISR. Restart it and it catches up as a follower.",
    ),
];

/// The gallery's starters with what each shows and what to try.
pub fn starters() -> Vec<Starter> {
    brokerlab_scenario::presets::ids()
        .skip(brokerlab_scenario::presets::LESSON_COUNT)
        .filter_map(|id| {
            let s = brokerlab_scenario::presets::get(id)?;
            let try_this = TRY.iter().find(|(t, _)| *t == id).map_or("", |(_, text)| text);
            Some(Starter { id: id.to_string(), title: s.title, shows: s.description, try_this })
        })
        .collect()
}

/// Messages a second each producer of a starter's demo sends, so Play has
/// something to show at once.
pub const DEMO_RATE: u32 = 2;

/// A starter's canvas set up to run: every producer without a rate sends
/// [`DEMO_RATE`] messages a second.
pub fn demo(id: &str) -> Option<Topology> {
    let mut topology = preset(id)?;
    for node in &mut topology.nodes {
        if let NodeConfig::Producer(p) = &mut node.config
            && p.rate == 0
        {
            p.rate = DEMO_RATE;
        }
    }
    Some(topology)
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

use super::model::in_vhost;

/// A node's id in a scenario's layout and canvas order: `KIND:NAME`, with
/// `kafka-consumer` for group members, `share-consumer` for share group
/// members and `kafka-broker:ID` for brokers.
pub fn node_key(t: &Topology, n: &Node) -> String {
    match n.kind() {
        NodeKind::Producer => format!("producer:{}", n.name),
        NodeKind::Exchange => format!("exchange:{}", n.qualified_name()),
        NodeKind::Queue => format!("queue:{}", n.qualified_name()),
        NodeKind::Consumer if t.in_consumer_group(n.id) => format!("kafka-consumer:{}", n.name),
        NodeKind::Consumer if t.share_group_of(n.id).is_some() => format!("share-consumer:{}", n.name),
        NodeKind::Consumer => format!("consumer:{}", n.name),
        NodeKind::Broker => format!("kafka-broker:{}", t.broker_id(n.id).unwrap_or_default()),
        NodeKind::Topic => format!("topic:{}", n.name),
        NodeKind::Group => format!("group:{}", n.name),
        NodeKind::ShareGroup => format!("share-group:{}", n.name),
    }
}

/// The node a `KIND:NAME` id names, if it is on the canvas.
fn resolve(t: &Topology, key: &str) -> Option<NodeId> {
    let (kind, name) = key.split_once(':')?;
    let kind = match kind {
        "producer" | "client" => NodeKind::Producer,
        "exchange" => NodeKind::Exchange,
        "queue" => NodeKind::Queue,
        "consumer" | "kafka-consumer" | "share-consumer" => NodeKind::Consumer,
        "topic" => NodeKind::Topic,
        "group" => NodeKind::Group,
        "share-group" => NodeKind::ShareGroup,
        "kafka-broker" => {
            let index: usize = name.parse().ok()?;
            return t.of_kind(NodeKind::Broker).nth(index).map(|n| n.id);
        }
        _ => return None,
    };
    t.named(kind, name).map(|n| n.id)
}

/// A group member's settings as Kafka consumer configs. `max.poll.records`
/// and the offset reset, commit mode, session timeout and heartbeat are
/// always written, since the canvas's own defaults for them differ from
/// Kafka's; the isolation level, a static member's id and the consumer
/// group protocol when set.
pub fn kafka_consumer_configs(c: &ConsumerSettings) -> BTreeMap<String, String> {
    let mut configs: BTreeMap<String, String> = [
        ("auto.offset.reset", c.offset_reset.word().to_string()),
        ("enable.auto.commit", c.auto_commit.to_string()),
        ("session.timeout.ms", c.session_timeout_ms.to_string()),
        ("heartbeat.interval.ms", c.heartbeat_ms.to_string()),
        ("max.poll.records", c.prefetch.max(1).to_string()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect_map();
    if c.isolation != Isolation::ReadUncommitted {
        configs.insert("isolation.level".into(), c.isolation.word().into());
    }
    if !c.group_instance_id.is_empty() {
        configs.insert("group.instance.id".into(), c.group_instance_id.clone());
    }
    if c.group_protocol != GroupProtocol::Classic {
        configs.insert("group.protocol".into(), c.group_protocol.word().into());
    }
    configs
}

/// A group member's settings from its Kafka configs: what a config leaves
/// out is Kafka's default; the rest of `base` (processing time, failure)
/// is kept. A value that does not parse keeps Kafka's default too, as the
/// engine would refuse it anyway.
pub(crate) fn consumer_settings(configs: &BTreeMap<String, String>, base: ConsumerSettings) -> ConsumerSettings {
    let get = |k: &str| configs.get(k).map(|v| v.trim());
    ConsumerSettings {
        prefetch: get("max.poll.records")
            .and_then(|v| v.parse::<u32>().ok())
            .map_or(kafka_defaults::MAX_POLL_RECORDS, |v| u16::try_from(v).unwrap_or(u16::MAX)),
        offset_reset: get("auto.offset.reset").and_then(OffsetReset::from_word).unwrap_or(OffsetReset::Latest),
        isolation: get("isolation.level").and_then(Isolation::from_word).unwrap_or_default(),
        auto_commit: get("enable.auto.commit").is_none_or(|v| v != "false"),
        session_timeout_ms: get("session.timeout.ms")
            .and_then(|v| v.parse().ok())
            .unwrap_or(kafka_defaults::SESSION_TIMEOUT_MS),
        heartbeat_ms: get("heartbeat.interval.ms").and_then(|v| v.parse().ok()).unwrap_or(kafka_defaults::HEARTBEAT_MS),
        group_instance_id: get("group.instance.id").unwrap_or_default().to_string(),
        group_protocol: get("group.protocol")
            .and_then(|v| GroupProtocol::from_word(&v.to_ascii_lowercase()))
            .unwrap_or_default(),
        ..base
    }
}

/// A share group member's settings as share consumer configs. The canvas's
/// share consumers settle each record themselves (accept, or reject when
/// told to fail), so they always run in explicit acknowledgement mode;
/// `max.poll.records` is always written, since the canvas's prefetch
/// differs from Kafka's default.
pub fn share_consumer_configs(c: &ConsumerSettings) -> BTreeMap<String, String> {
    [("share.acknowledgement.mode", "explicit".to_string()), ("max.poll.records", c.prefetch.max(1).to_string())]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect_map()
}

/// A share consumer's settings from its configs: `max.poll.records` (Kafka's
/// 500 when left out) over `base`.
pub(crate) fn share_consumer_settings(configs: &BTreeMap<String, String>, base: ConsumerSettings) -> ConsumerSettings {
    let prefetch = configs
        .get("max.poll.records")
        .and_then(|v| v.trim().parse::<u32>().ok())
        .map_or(kafka_defaults::MAX_POLL_RECORDS, |v| u16::try_from(v).unwrap_or(u16::MAX));
    ConsumerSettings { prefetch, ..base }
}

/// A producer's Kafka settings as configs: only what differs from what
/// Kafka does by itself (idempotence follows `acks` unless told otherwise).
pub fn producer_configs(p: &ProducerSettings) -> BTreeMap<String, String> {
    let mut configs = BTreeMap::new();
    if p.acks != Acks::All {
        configs.insert("acks".to_string(), p.acks.word().to_string());
    }
    if p.idempotence != (p.acks == Acks::All) {
        configs.insert("enable.idempotence".to_string(), p.idempotence.to_string());
    }
    if p.partitioner != Partitioner::Sticky {
        configs.insert("partitioner".to_string(), p.partitioner.word().to_string());
    }
    if !p.transactional_id.is_empty() {
        configs.insert("transactional.id".to_string(), p.transactional_id.clone());
    }
    if p.linger_ms != 0 {
        configs.insert("linger.ms".to_string(), p.linger_ms.to_string());
    }
    configs
}

/// A producer's Kafka settings from its configs, over `base`.
pub(crate) fn producer_settings(configs: &BTreeMap<String, String>, base: ProducerSettings) -> ProducerSettings {
    let get = |k: &str| configs.get(k).map(|v| v.trim());
    let acks = match get("acks") {
        Some("-1") => Acks::All,
        Some(v) => Acks::from_word(v).unwrap_or_default(),
        None => Acks::All,
    };
    let partitioner = match get("partitioner").or_else(|| get("partitioner.class")) {
        Some("round-robin" | "roundrobin" | "org.apache.kafka.clients.producer.RoundRobinPartitioner") => {
            Partitioner::RoundRobin
        }
        _ => Partitioner::Sticky,
    };
    ProducerSettings {
        acks,
        idempotence: get("enable.idempotence").map_or(acks == Acks::All, |v| v == "true"),
        partitioner,
        transactional_id: get("transactional.id").unwrap_or_default().to_string(),
        linger_ms: get("linger.ms").and_then(|v| v.parse().ok()).unwrap_or_default(),
        ..base
    }
}

/// A topic's settings as configs: only what differs from Kafka's defaults.
pub fn topic_configs(t: &TopicSettings) -> BTreeMap<String, String> {
    let mut configs = BTreeMap::new();
    if let Some(m) = t.min_insync_replicas {
        configs.insert("min.insync.replicas".to_string(), m.to_string());
    }
    if t.retention_ms != kafka_defaults::RETENTION_MS {
        configs.insert("retention.ms".to_string(), t.retention_ms.to_string());
    }
    if t.cleanup_policy != CleanupPolicy::Delete {
        configs.insert("cleanup.policy".to_string(), t.cleanup_policy.word().to_string());
    }
    configs
}

/// A topic's settings from its definition.
pub(crate) fn topic_settings(def: &brokerlab_scenario::TopicDef) -> TopicSettings {
    let get = |k: &str| def.configs.get(k).map(|v| v.trim());
    let cleanup = get("cleanup.policy").map(|v| v.replace(' ', ""));
    TopicSettings {
        partitions: def.partitions,
        replication_factor: def.replication_factor,
        min_insync_replicas: get("min.insync.replicas").and_then(|v| v.parse().ok()),
        retention_ms: get("retention.ms").and_then(|v| v.parse().ok()).unwrap_or(kafka_defaults::RETENTION_MS),
        cleanup_policy: match cleanup.as_deref() {
            Some("compact") => CleanupPolicy::Compact,
            Some("compact,delete" | "delete,compact") => CleanupPolicy::CompactDelete,
            _ => CleanupPolicy::Delete,
        },
    }
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
    let map: BTreeMap<String, String> = args.iter().filter_map(|(k, v)| Some((k.clone(), text(v)?))).collect_map();
    pairs_text(&map).unwrap_or_default()
}

#[cfg(test)]
mod tests;
