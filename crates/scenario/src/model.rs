//! The scenario's own data types: the stable, versioned, external format.
//!
//! [`Scenario`] is the root. Its RabbitMQ half, [`RabbitTopology`], uses the
//! field names of RabbitMQ's definitions export (`vhosts`, `exchanges`,
//! `queues`, `bindings` with `source`, `destination`, `destination_type`,
//! `routing_key`, `arguments`) so a definitions file reads almost as a
//! scenario does. Its Kafka half, [`KafkaTopology`], names topics with
//! `partitions`, `replication_factor` and `configs` (Kafka's own config keys,
//! as strings) as `kafka-topics.sh` does. The script is a list of
//! [`Action`]s, one per thing a learner can do in the playground.
//!
//! None of these types is an engine type: engine commands are internal and
//! may change, so the session module translates these into them. Fields that
//! hold their default are left out when serialising, which keeps share links
//! short and files readable.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The format version this build writes. Every earlier version is migrated
/// on reading (see `migrate`); a later one is refused with
/// [`crate::ScenarioError::NewerVersion`].
pub const FORMAT_VERSION: u32 = 2;

/// AMQP arguments and headers as JSON values, exactly as RabbitMQ's
/// definitions file writes them: strings, integers, floats, booleans, lists,
/// nested objects, or null.
pub type Arguments = BTreeMap<String, serde_json::Value>;

fn is_default<T: Default + PartialEq>(v: &T) -> bool {
    *v == T::default()
}

fn default_vhost() -> String {
    "/".to_string()
}

fn is_default_vhost(v: &str) -> bool {
    v == "/"
}

fn default_true() -> bool {
    true
}

fn is_true(v: &bool) -> bool {
    *v
}

fn default_client() -> String {
    "app".to_string()
}

fn is_default_client(v: &str) -> bool {
    v == "app"
}

/// Everything a learner builds, as one value.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Scenario {
    /// The format version; this build writes [`FORMAT_VERSION`].
    pub version: u32,
    /// A stable identifier for presets (`work-queue`); empty for a learner's own.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub id: String,
    /// A short title shown above the playground.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub title: String,
    /// What the scenario shows, in a sentence or two.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// The seed of both engines' random choices; the same seed replays the same run.
    #[serde(default)]
    pub seed: u64,
    /// The RabbitMQ broker: vhosts, exchanges, queues, bindings and consumers.
    #[serde(default, skip_serializing_if = "RabbitTopology::is_empty")]
    pub rabbitmq: RabbitTopology,
    /// The Kafka cluster: brokers, topics, producers and consumers.
    #[serde(default, skip_serializing_if = "KafkaTopology::is_empty")]
    pub kafka: KafkaTopology,
    /// Where each node sits on the canvas, keyed by node id `KIND:NAME` with
    /// kinds `exchange`, `queue`, `consumer`, `client`, `topic`, `producer`,
    /// `kafka-consumer`, `group` and `kafka-broker` (`queue:VHOST/NAME`
    /// outside `/`; `kafka-broker:ID`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub layout: BTreeMap<String, Position>,
    /// What only the playground's canvas uses: its producers and their
    /// settings, consumers' processing time and injected failures, consumer
    /// groups without members, broker names and the canvas's own numbering.
    /// The engines, the session, the command-line runner and the client code
    /// ignore it.
    #[serde(default, skip_serializing_if = "Canvas::is_empty")]
    pub canvas: Canvas,
    /// The actions replayed in order after the topology is built.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub script: Vec<Action>,
    /// A goal for the learner, checked on the engines: this scenario is then
    /// the challenge's start (see [`crate::challenge`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub challenge: Option<Box<crate::challenge::Challenge>>,
}

impl Default for Scenario {
    fn default() -> Self {
        Scenario {
            version: FORMAT_VERSION,
            id: String::new(),
            title: String::new(),
            description: String::new(),
            seed: 0,
            rabbitmq: RabbitTopology::default(),
            kafka: KafkaTopology::default(),
            layout: BTreeMap::new(),
            canvas: Canvas::default(),
            script: Vec::new(),
            challenge: None,
        }
    }
}

/// A node's position on the canvas, in canvas pixels.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Position {
    pub x: i32,
    pub y: i32,
}

/// The playground canvas's own part of a scenario: what the canvas draws and
/// simulates beyond the brokers' topology. Producers, consumers' processing
/// and injected faults are simulated clients of the canvas, not engine
/// entities, so nothing outside the playground reads this section.
///
/// Parts are named by node id as in [`Scenario::layout`] (`exchange:NAME`,
/// `queue:NAME`, `topic:NAME`, ...).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Canvas {
    /// Every producer on the canvas, with where it sends and what.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub producers: Vec<CanvasProducer>,
    /// Consumer settings the broker parts cannot hold (processing time, an
    /// injected failure), and consumers not yet connected to anything.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub consumers: Vec<CanvasConsumer>,
    /// Consumer groups without members, with the topics they subscribe to.
    /// A group with members is given by `kafka.consumers[].group_id`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub groups: Vec<CanvasGroup>,
    /// The names of the Kafka broker nodes, by broker id, when they are not
    /// `broker-0`, `broker-1`, ... or the Kafka part would not otherwise show
    /// them; as many as `kafka.brokers`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub brokers: Vec<String>,
    /// The canvas's numbering: its parts and connections in the order they
    /// were made, so that it reopens exactly as it was. Entry *i* is number
    /// *i* + 1: a part's node id (`queue:orders`), a connection as the
    /// numbers of the two parts it joins in the direction messages flow
    /// (`[3, 5]`), or `null` for one since deleted. Left out when the canvas
    /// numbers the scenario the same way by itself.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub order: Vec<Option<CanvasPart>>,
}

impl Canvas {
    /// True when the scenario has no canvas section.
    pub fn is_empty(&self) -> bool {
        *self == Canvas::default()
    }
}

fn default_body() -> String {
    "hello".to_string()
}

fn is_default_body(v: &str) -> bool {
    v == "hello"
}

fn default_burst() -> u32 {
    10
}

fn is_default_burst(v: &u32) -> bool {
    *v == 10
}

fn default_processing_ms() -> u32 {
    300
}

fn is_default_processing_ms(v: &u32) -> bool {
    *v == 300
}

/// A producer on the canvas: a simulated client that publishes to
/// exchanges and queues and produces to topics, on request or at a rate.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct CanvasProducer {
    pub name: String,
    /// Where each message goes, in order: `exchange:NAME`, `queue:NAME`
    /// (through the default exchange, with the queue's name as routing key)
    /// or `topic:NAME`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub to: Vec<String>,
    /// The routing key for exchanges, the record key for topics; empty for none.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub key: String,
    /// The message body; `hello` when left out.
    #[serde(default = "default_body", skip_serializing_if = "is_default_body")]
    pub body: String,
    /// Headers sent with every message, as text.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub headers: BTreeMap<String, String>,
    /// Messages per second while the playground runs; 0 sends only on request.
    #[serde(default, skip_serializing_if = "is_default")]
    pub rate: u32,
    /// How many messages one burst sends; 10 when left out.
    #[serde(default = "default_burst", skip_serializing_if = "is_default_burst")]
    pub burst: u32,
}

/// A fault injected into a canvas consumer.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum ConsumerFailure {
    /// Processes normally.
    #[default]
    None,
    /// Dies while processing; its unacknowledged messages go back to the queue.
    Crash,
    /// Rejects every message without requeue (Kafka: seeks back to it).
    Nack,
    /// Takes five times as long over each message.
    Slow,
}

/// A canvas consumer's simulated behaviour.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct CanvasConsumer {
    /// A RabbitMQ consumer's tag or a Kafka consumer's name.
    pub name: String,
    /// Logical milliseconds spent on each message; 300 when left out.
    #[serde(default = "default_processing_ms", skip_serializing_if = "is_default_processing_ms")]
    pub processing_ms: u32,
    #[serde(default, skip_serializing_if = "is_default")]
    pub failure: ConsumerFailure,
    /// The prefetch the inspector shows, when the broker part does not give
    /// it: `rabbitmq.consumers[].prefetch` for a RabbitMQ consumer,
    /// `max.poll.records` for a Kafka one, otherwise 10.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prefetch: Option<u16>,
    /// Automatic acknowledgement, when the broker part does not give it
    /// (`rabbitmq.consumers[].auto_ack`); otherwise manual.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auto_ack: Option<bool>,
}

/// A consumer group drawn without members.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct CanvasGroup {
    /// The group id.
    pub name: String,
    /// The topics it subscribes to.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub topics: Vec<String>,
}

/// One entry of [`Canvas::order`]: a part by node id, or a connection by
/// the numbers of the parts it joins.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum CanvasPart {
    Node(String),
    Connection([u32; 2]),
}

/// The RabbitMQ release a scenario's broker behaves as. Releases differ in
/// rules a learner meets (transient queues, global prefetch, quorum delivery
/// limits, the topic `#` limit); `brokerlab_rabbit::Version` lists them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum RabbitVersion {
    #[serde(rename = "3.10")]
    V3_10,
    #[serde(rename = "3.13")]
    V3_13,
    #[serde(rename = "4.0")]
    V4_0,
    #[serde(rename = "4.1")]
    V4_1,
    #[serde(rename = "4.2")]
    V4_2,
    #[default]
    #[serde(rename = "4.3")]
    V4_3,
}

impl RabbitVersion {
    /// The patch release each profile follows, as a broker reports it.
    pub fn server_version(self) -> &'static str {
        match self {
            RabbitVersion::V3_10 => "3.10.8",
            RabbitVersion::V3_13 => "3.13.7",
            RabbitVersion::V4_0 => "4.0.9",
            RabbitVersion::V4_1 => "4.1.8",
            RabbitVersion::V4_2 => "4.2.9",
            RabbitVersion::V4_3 => "4.3.5",
        }
    }

    /// The profile for a server's version string (`"3.10.8"`), as
    /// `brokerlab_rabbit::Version::from_server` maps it.
    pub fn from_server(version: &str) -> Option<RabbitVersion> {
        use brokerlab_rabbit::Version as V;
        Some(match V::from_server(version)? {
            V::V3_10 => RabbitVersion::V3_10,
            V::V3_13 => RabbitVersion::V3_13,
            V::V4_0 => RabbitVersion::V4_0,
            V::V4_1 => RabbitVersion::V4_1,
            V::V4_2 => RabbitVersion::V4_2,
            V::V4_3 => RabbitVersion::V4_3,
        })
    }

    /// The engine's profile for this release.
    pub fn engine(self) -> brokerlab_rabbit::Version {
        use brokerlab_rabbit::Version as V;
        match self {
            RabbitVersion::V3_10 => V::V3_10,
            RabbitVersion::V3_13 => V::V3_13,
            RabbitVersion::V4_0 => V::V4_0,
            RabbitVersion::V4_1 => V::V4_1,
            RabbitVersion::V4_2 => V::V4_2,
            RabbitVersion::V4_3 => V::V4_3,
        }
    }
}

/// The RabbitMQ part, named as in RabbitMQ's definitions export.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct RabbitTopology {
    /// The RabbitMQ release the broker behaves as: `"3.10"`, `"3.13"`,
    /// `"4.0"`, `"4.1"`, `"4.2"` or `"4.3"`; `"4.3"` when left out.
    #[serde(default, skip_serializing_if = "is_default")]
    pub version: RabbitVersion,
    /// Virtual hosts besides `/`, which always exists.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub vhosts: Vec<VhostDef>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exchanges: Vec<ExchangeDef>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub queues: Vec<QueueDef>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub bindings: Vec<BindingDef>,
    /// Consumers started when the scenario starts (a playground extension;
    /// definitions files have none).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub consumers: Vec<ConsumerDef>,
    /// Policies, as in a definitions file; set before any exchange or queue
    /// is declared.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub policies: Vec<PolicyDef>,
}

impl RabbitTopology {
    /// True when the scenario has no RabbitMQ part at all.
    pub fn is_empty(&self) -> bool {
        *self == RabbitTopology::default()
    }
}

/// A virtual host. `/` may be listed to give it metadata.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct VhostDef {
    pub name: String,
    /// Its metadata, as in a definitions file.
    #[serde(default, skip_serializing_if = "is_default")]
    pub metadata: VhostMetadata,
}

impl VhostDef {
    /// A vhost without metadata.
    pub fn new(name: impl Into<String>) -> Self {
        VhostDef { name: name.into(), metadata: VhostMetadata::default() }
    }
}

/// A vhost's metadata (RabbitMQ 3.10 and later): only the default queue
/// type is modelled.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct VhostMetadata {
    /// The type a queue declared without `x-queue-type` gets when it is
    /// durable, not exclusive and not auto-delete.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_queue_type: Option<QueueTypeName>,
}

/// A queue type as RabbitMQ names it in `x-queue-type`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum QueueTypeName {
    Classic,
    Quorum,
    Stream,
}

impl QueueTypeName {
    /// The name as RabbitMQ writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            QueueTypeName::Classic => "classic",
            QueueTypeName::Quorum => "quorum",
            QueueTypeName::Stream => "stream",
        }
    }
}

/// What a policy applies to (`apply-to`). The per-queue-type values exist
/// from RabbitMQ 3.12; a 3.10 broker refuses them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum PolicyApplyTo {
    #[default]
    All,
    Queues,
    ClassicQueues,
    QuorumQueues,
    Streams,
    Exchanges,
}

impl PolicyApplyTo {
    /// The value as RabbitMQ writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            PolicyApplyTo::All => "all",
            PolicyApplyTo::Queues => "queues",
            PolicyApplyTo::ClassicQueues => "classic_queues",
            PolicyApplyTo::QuorumQueues => "quorum_queues",
            PolicyApplyTo::Streams => "streams",
            PolicyApplyTo::Exchanges => "exchanges",
        }
    }
}

/// A policy, as in a definitions file: of the policies whose `pattern` (a
/// regular expression, searched in the name) matches a queue or exchange,
/// the one of highest `priority` applies its `definition` keys
/// (`max-length`, `message-ttl`, `dead-letter-exchange`, ...).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct PolicyDef {
    pub name: String,
    #[serde(default = "default_vhost", skip_serializing_if = "is_default_vhost")]
    pub vhost: String,
    pub pattern: String,
    /// `all` when left out.
    #[serde(rename = "apply-to", default, skip_serializing_if = "is_default")]
    pub apply_to: PolicyApplyTo,
    #[serde(default, skip_serializing_if = "is_default")]
    pub priority: i64,
    pub definition: Arguments,
}

/// The four exchange types of AMQP 0-9-1, spelled as RabbitMQ writes them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum ExchangeType {
    #[default]
    Direct,
    Fanout,
    Topic,
    Headers,
}

impl ExchangeType {
    /// The type name as RabbitMQ and client libraries spell it.
    pub fn as_str(self) -> &'static str {
        match self {
            ExchangeType::Direct => "direct",
            ExchangeType::Fanout => "fanout",
            ExchangeType::Topic => "topic",
            ExchangeType::Headers => "headers",
        }
    }
}

/// An exchange, as in a definitions file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ExchangeDef {
    pub name: String,
    /// The vhost; `/` when left out.
    #[serde(default = "default_vhost", skip_serializing_if = "is_default_vhost")]
    pub vhost: String,
    #[serde(rename = "type")]
    pub kind: ExchangeType,
    /// Survives a broker restart; `true` when left out, as in the management UI.
    #[serde(default = "default_true", skip_serializing_if = "is_true")]
    pub durable: bool,
    #[serde(default, skip_serializing_if = "is_default")]
    pub auto_delete: bool,
    #[serde(default, skip_serializing_if = "is_default")]
    pub internal: bool,
    /// For example `alternate-exchange`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub arguments: Arguments,
}

impl ExchangeDef {
    /// A durable exchange in `/` with no arguments.
    pub fn new(name: impl Into<String>, kind: ExchangeType) -> Self {
        ExchangeDef {
            name: name.into(),
            vhost: default_vhost(),
            kind,
            durable: true,
            auto_delete: false,
            internal: false,
            arguments: Arguments::new(),
        }
    }
}

/// A queue, as in a definitions file. The queue type is the
/// `x-queue-type` argument, as RabbitMQ stores it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct QueueDef {
    pub name: String,
    #[serde(default = "default_vhost", skip_serializing_if = "is_default_vhost")]
    pub vhost: String,
    #[serde(default = "default_true", skip_serializing_if = "is_true")]
    pub durable: bool,
    #[serde(default, skip_serializing_if = "is_default")]
    pub auto_delete: bool,
    /// For example `x-message-ttl`, `x-max-length`, `x-dead-letter-exchange`, `x-queue-type`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub arguments: Arguments,
}

impl QueueDef {
    /// A durable classic queue in `/` with no arguments.
    pub fn new(name: impl Into<String>) -> Self {
        QueueDef {
            name: name.into(),
            vhost: default_vhost(),
            durable: true,
            auto_delete: false,
            arguments: Arguments::new(),
        }
    }
}

/// Whether a binding leads to a queue or an exchange.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum DestinationType {
    #[default]
    Queue,
    Exchange,
}

/// A binding, as in a definitions file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct BindingDef {
    /// The exchange messages come from.
    pub source: String,
    #[serde(default = "default_vhost", skip_serializing_if = "is_default_vhost")]
    pub vhost: String,
    /// The queue or exchange they go to.
    pub destination: String,
    #[serde(default, skip_serializing_if = "is_default")]
    pub destination_type: DestinationType,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub routing_key: String,
    /// For headers exchanges: `x-match` and the header values to match.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub arguments: Arguments,
}

impl BindingDef {
    /// A binding from an exchange to a queue in `/`.
    pub fn queue(source: impl Into<String>, destination: impl Into<String>, routing_key: impl Into<String>) -> Self {
        BindingDef {
            source: source.into(),
            vhost: default_vhost(),
            destination: destination.into(),
            destination_type: DestinationType::Queue,
            routing_key: routing_key.into(),
            arguments: Arguments::new(),
        }
    }
}

/// A RabbitMQ consumer started with the scenario.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ConsumerDef {
    /// The consumer tag, unique on its client.
    pub tag: String,
    pub queue: String,
    #[serde(default = "default_vhost", skip_serializing_if = "is_default_vhost")]
    pub vhost: String,
    /// The client (one connection with one channel) it consumes on; the tag when left out.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub client: String,
    /// `basic.qos` prefetch count; 0 is unlimited.
    #[serde(default, skip_serializing_if = "is_default")]
    pub prefetch: u16,
    /// Deliveries count as acknowledged when sent (`no_ack`).
    #[serde(default, skip_serializing_if = "is_default")]
    pub auto_ack: bool,
    #[serde(default, skip_serializing_if = "is_default")]
    pub exclusive: bool,
    /// For example `x-priority` or `x-stream-offset`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub arguments: Arguments,
}

impl ConsumerDef {
    /// The client this consumer runs on.
    pub fn client_name(&self) -> &str {
        if self.client.is_empty() { &self.tag } else { &self.client }
    }
}

fn default_brokers() -> u32 {
    3
}

fn is_default_brokers(v: &u32) -> bool {
    *v == 3
}

/// The Kafka part: the cluster, topics as `kafka-topics.sh` describes them,
/// and the clients.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct KafkaTopology {
    /// How many brokers (ids 0 to n-1); 3 when left out.
    #[serde(default = "default_brokers", skip_serializing_if = "is_default_brokers")]
    pub brokers: u32,
    /// How many KRaft controllers vote in the quorum (node ids 100, 101, ...);
    /// 3 when left out.
    #[serde(default = "default_brokers", skip_serializing_if = "is_default_brokers")]
    pub controllers: u32,
    /// Cluster-wide broker settings by Kafka key: `min.insync.replicas`,
    /// `unclean.leader.election.enable`, `replica.lag.time.max.ms`,
    /// `broker.session.timeout.ms`, `broker.heartbeat.interval.ms`,
    /// `auto.leader.rebalance.enable`, `leader.imbalance.check.interval.seconds`,
    /// `group.consumer.heartbeat.interval.ms` (5000),
    /// `group.consumer.session.timeout.ms` (45000), `group.consumer.assignors`
    /// (`uniform,range`), `group.initial.rebalance.delay.ms` (0 in the
    /// simulation; Kafka's default is 3000), `offsets.retention.minutes`
    /// (10080), `offsets.retention.check.interval.ms` (600000),
    /// `group.consumer.migration.policy` (`bidirectional`, `upgrade`,
    /// `downgrade`, `disabled`), `eligible.leader.replicas.version` (1, on,
    /// since Kafka 4.1; 0 is 4.0's default), `auto.create.topics.enable`
    /// (true: a producer's send or a consumer's subscription creates a
    /// missing topic), `num.partitions` (1) and `default.replication.factor`
    /// (1) for the topics it creates.
    /// The cluster has [`KafkaTopology::controllers`] KRaft controllers besides.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub configs: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub topics: Vec<TopicDef>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub producers: Vec<ProducerDef>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub consumers: Vec<KafkaConsumerDef>,
    /// Share groups' configs (KIP-932), for groups that do not keep the
    /// defaults; a share group also exists without an entry here once a
    /// share consumer joins it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub share_groups: Vec<ShareGroupDef>,
    /// Share consumers (KIP-932): members of a share group that read the
    /// same partitions together, record by record.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub share_consumers: Vec<ShareConsumerDef>,
}

impl Default for KafkaTopology {
    fn default() -> Self {
        KafkaTopology {
            brokers: default_brokers(),
            controllers: default_brokers(),
            configs: BTreeMap::new(),
            topics: Vec::new(),
            producers: Vec::new(),
            consumers: Vec::new(),
            share_groups: Vec::new(),
            share_consumers: Vec::new(),
        }
    }
}

impl KafkaTopology {
    /// True when the scenario has no Kafka part at all.
    pub fn is_empty(&self) -> bool {
        *self == KafkaTopology::default()
    }
}

fn one() -> u32 {
    1
}

fn is_one(v: &u32) -> bool {
    *v == 1
}

/// A topic.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct TopicDef {
    pub name: String,
    #[serde(default = "one", skip_serializing_if = "is_one")]
    pub partitions: u32,
    #[serde(default = "one", skip_serializing_if = "is_one")]
    pub replication_factor: u32,
    /// Topic configs by Kafka key: `cleanup.policy`, `retention.ms`,
    /// `retention.bytes`, `segment.bytes`, `segment.ms`, `min.insync.replicas`,
    /// `unclean.leader.election.enable`, `min.cleanable.dirty.ratio`,
    /// `min.compaction.lag.ms`, `delete.retention.ms`,
    /// `message.timestamp.after.max.ms`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub configs: BTreeMap<String, String>,
}

impl TopicDef {
    /// A topic with default configs.
    pub fn new(name: impl Into<String>, partitions: u32, replication_factor: u32) -> Self {
        TopicDef { name: name.into(), partitions, replication_factor, configs: BTreeMap::new() }
    }
}

/// A Kafka producer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ProducerDef {
    pub name: String,
    /// Producer configs by Kafka key: `acks` (`0`, `1`, `all`), `retries`,
    /// `enable.idempotence`, `transactional.id`, `partitioner` (`sticky`,
    /// `round-robin`), `batch.size`, `linger.ms`, `delivery.timeout.ms`,
    /// `request.timeout.ms`, `retry.backoff.ms`, `retry.backoff.max.ms`,
    /// `max.in.flight.requests.per.connection`, `transaction.timeout.ms`,
    /// `max.block.ms` (60000: how long a send to a missing topic waits for
    /// it before `TimeoutException`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub configs: BTreeMap<String, String>,
}

/// A Kafka consumer in a group.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct KafkaConsumerDef {
    /// Its name, which is also its member id.
    pub name: String,
    pub group_id: String,
    /// Topics it subscribes to when the scenario starts; empty to join later
    /// with a `subscribe` action.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub topics: Vec<String>,
    /// Consumer configs by Kafka key: `auto.offset.reset`, `enable.auto.commit`,
    /// `auto.commit.interval.ms`, `partition.assignment.strategy` (`range`,
    /// `roundrobin`, `sticky`, `cooperative-sticky`), `isolation.level`,
    /// `group.instance.id`, `session.timeout.ms`, `heartbeat.interval.ms`,
    /// `max.poll.interval.ms`, `max.poll.records`, `metadata.max.age.ms`, `group.protocol`
    /// (`classic`, the default, or `consumer` for KIP-848),
    /// `group.remote.assignor` (`uniform` or `range`, with `consumer` only)
    /// and `allow.auto.create.topics` (true).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub configs: BTreeMap<String, String>,
    /// Whether it subscribes with a `ConsumerRebalanceListener`. On the
    /// consumer group protocol (Kafka 4.0) a member with one gives up its
    /// partitions only in its next `poll()`, and the coordinator fences it
    /// if that does not happen within its `max.poll.interval.ms`; without
    /// one it gives them up at once. No effect on the classic protocol.
    #[serde(default, skip_serializing_if = "is_default")]
    pub rebalance_listener: bool,
}

/// A share group's configs (KIP-932; Kafka 4.2).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ShareGroupDef {
    pub group_id: String,
    /// Group configs by Kafka key: `share.auto.offset.reset` (`latest`, the
    /// default, or `earliest`), `share.record.lock.duration.ms` (30000),
    /// `share.delivery.count.limit` (5) and `share.partition.max.record.locks`
    /// (2000); the broker-wide spellings `group.share.record.lock.duration.ms`,
    /// `group.share.delivery.count.limit` and
    /// `group.share.partition.max.record.locks` are accepted too.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub configs: BTreeMap<String, String>,
}

/// A Kafka share consumer (`KafkaShareConsumer`, KIP-932) in a share group.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ShareConsumerDef {
    /// Its name, which is also its member id.
    pub name: String,
    pub group_id: String,
    /// Topics it subscribes to when the scenario starts; empty to join later
    /// with a `share_subscribe` action.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub topics: Vec<String>,
    /// Consumer configs by Kafka key: `share.acknowledgement.mode`
    /// (`implicit`, the default, or `explicit`), `max.poll.records` (500).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub configs: BTreeMap<String, String>,
}

/// How a share consumer settles a record (KIP-932's `AcknowledgeType`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ShareAckType {
    /// Processed: never delivered again.
    Accept,
    /// Not processed: available again for any member, its delivery count kept.
    Release,
    /// Unprocessable: archived, never delivered again.
    Reject,
}

/// Message properties of a publish, the `basic` class fields besides headers.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Properties {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_type: Option<String>,
    /// 1 is transient, 2 is persistent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delivery_mode: Option<u8>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority: Option<u8>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub correlation_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply_to: Option<String>,
    /// Per-message TTL in milliseconds, as a decimal string.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expiration: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app_id: Option<String>,
}

/// Where a Kafka `seek` moves a consumer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum SeekTarget {
    Beginning,
    End,
    /// An absolute offset.
    Offset(i64),
    /// The first record at or after this timestamp (logical milliseconds).
    Timestamp(i64),
}

/// One partition offset, for explicit commits.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct PartitionOffset {
    pub topic: String,
    pub partition: u32,
    /// The next offset to read.
    pub offset: i64,
}

/// A RabbitMQ resource alarm.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum AlarmKind {
    Memory,
    Disk,
}

/// One thing a learner does in the playground, replayed in order.
///
/// RabbitMQ actions run on a *client*: a named connection with one channel
/// in a vhost (`app` in `/` when left out). Acknowledgements without a
/// `delivery_tag` settle the client's oldest unacknowledged delivery, so a
/// script need not predict delivery tags.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum Action {
    /// `basic.publish`.
    Publish {
        #[serde(default = "default_client", skip_serializing_if = "is_default_client")]
        client: String,
        #[serde(default = "default_vhost", skip_serializing_if = "is_default_vhost")]
        vhost: String,
        /// The exchange; empty for the default exchange.
        #[serde(default, skip_serializing_if = "String::is_empty")]
        exchange: String,
        #[serde(default, skip_serializing_if = "String::is_empty")]
        routing_key: String,
        #[serde(default)]
        body: String,
        #[serde(default, skip_serializing_if = "is_default")]
        properties: Properties,
        #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
        headers: Arguments,
        /// Return the message to the publisher when no queue takes it.
        #[serde(default, skip_serializing_if = "is_default")]
        mandatory: bool,
    },
    /// `basic.get`: fetch one message.
    Get {
        #[serde(default = "default_client", skip_serializing_if = "is_default_client")]
        client: String,
        #[serde(default = "default_vhost", skip_serializing_if = "is_default_vhost")]
        vhost: String,
        queue: String,
        #[serde(default, skip_serializing_if = "is_default")]
        auto_ack: bool,
    },
    /// `basic.ack`.
    Ack {
        #[serde(default = "default_client", skip_serializing_if = "is_default_client")]
        client: String,
        #[serde(default = "default_vhost", skip_serializing_if = "is_default_vhost")]
        vhost: String,
        /// The delivery to settle; the oldest unacknowledged one when left out.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        delivery_tag: Option<u64>,
        #[serde(default, skip_serializing_if = "is_default")]
        multiple: bool,
    },
    /// `basic.nack`.
    Nack {
        #[serde(default = "default_client", skip_serializing_if = "is_default_client")]
        client: String,
        #[serde(default = "default_vhost", skip_serializing_if = "is_default_vhost")]
        vhost: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        delivery_tag: Option<u64>,
        #[serde(default, skip_serializing_if = "is_default")]
        multiple: bool,
        /// Put the message back in its queue (`true` when left out) or dead-letter it.
        #[serde(default = "default_true", skip_serializing_if = "is_true")]
        requeue: bool,
    },
    /// `basic.reject`.
    Reject {
        #[serde(default = "default_client", skip_serializing_if = "is_default_client")]
        client: String,
        #[serde(default = "default_vhost", skip_serializing_if = "is_default_vhost")]
        vhost: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        delivery_tag: Option<u64>,
        #[serde(default = "default_true", skip_serializing_if = "is_true")]
        requeue: bool,
    },
    /// `basic.consume`: start a consumer (see [`ConsumerDef`]).
    Consume {
        #[serde(flatten)]
        consumer: ConsumerDef,
    },
    /// `basic.cancel`.
    Cancel {
        #[serde(default = "default_client", skip_serializing_if = "is_default_client")]
        client: String,
        #[serde(default = "default_vhost", skip_serializing_if = "is_default_vhost")]
        vhost: String,
        /// The consumer tag; the client's name when left out.
        #[serde(default, skip_serializing_if = "String::is_empty")]
        tag: String,
    },
    /// `basic.qos` on a client's channel.
    Qos {
        #[serde(default = "default_client", skip_serializing_if = "is_default_client")]
        client: String,
        #[serde(default = "default_vhost", skip_serializing_if = "is_default_vhost")]
        vhost: String,
        prefetch: u16,
        #[serde(default, skip_serializing_if = "is_default")]
        global: bool,
    },
    /// `confirm.select`: the broker confirms each later publish on this client.
    ConfirmSelect {
        #[serde(default = "default_client", skip_serializing_if = "is_default_client")]
        client: String,
        #[serde(default = "default_vhost", skip_serializing_if = "is_default_vhost")]
        vhost: String,
    },
    /// Declare an exchange while the script runs.
    DeclareExchange { exchange: ExchangeDef },
    /// Declare a queue while the script runs.
    DeclareQueue { queue: QueueDef },
    /// Add a binding while the script runs.
    Bind { binding: BindingDef },
    /// Remove a binding.
    Unbind { binding: BindingDef },
    /// Delete an exchange.
    DeleteExchange {
        #[serde(default = "default_vhost", skip_serializing_if = "is_default_vhost")]
        vhost: String,
        name: String,
    },
    /// Delete a queue and its messages.
    DeleteQueue {
        #[serde(default = "default_vhost", skip_serializing_if = "is_default_vhost")]
        vhost: String,
        name: String,
    },
    /// Set (or replace) a policy while the script runs; existing queues and
    /// exchanges take it at once.
    SetPolicy { policy: PolicyDef },
    /// Clear a policy.
    ClearPolicy {
        #[serde(default = "default_vhost", skip_serializing_if = "is_default_vhost")]
        vhost: String,
        name: String,
    },
    /// Remove every ready message from a queue.
    Purge {
        #[serde(default = "default_vhost", skip_serializing_if = "is_default_vhost")]
        vhost: String,
        queue: String,
    },
    /// Close a client's connection (its unacknowledged deliveries go back to their queues).
    CloseClient {
        client: String,
        #[serde(default = "default_vhost", skip_serializing_if = "is_default_vhost")]
        vhost: String,
    },
    /// Stop and start the RabbitMQ broker: connections drop, transient queues
    /// and transient messages are lost.
    RestartRabbitmq,
    /// Raise or clear a resource alarm that blocks publishers.
    Alarm { alarm: AlarmKind, active: bool },
    /// Send one Kafka record. `value` left out is a tombstone.
    Produce {
        producer: String,
        topic: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        key: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        value: Option<String>,
        /// An explicit partition, which overrides the partitioner.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        partition: Option<u32>,
        #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
        headers: BTreeMap<String, String>,
    },
    /// `poll()` on a Kafka consumer.
    Poll {
        consumer: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        max_records: Option<u32>,
    },
    /// `commitSync()`: the current positions, or explicit offsets.
    Commit {
        consumer: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        offsets: Option<Vec<PartitionOffset>>,
    },
    /// `seek()` in one partition.
    Seek { consumer: String, topic: String, partition: u32, to: SeekTarget },
    /// `subscribe()`: join the consumer's group for these topics.
    Subscribe { consumer: String, topics: Vec<String> },
    /// `close()` a consumer cleanly: commit (with auto-commit) and leave the group.
    CloseConsumer { consumer: String },
    /// Kill a consumer process: no commit, no leave; its session times out.
    CrashConsumer { consumer: String },
    /// Stop a Kafka broker abruptly.
    CrashBroker { broker: u32 },
    /// Start a crashed Kafka broker again with its disk intact.
    RestartBroker { broker: u32 },
    /// Stop a Kafka broker cleanly (controlled shutdown): its leadership
    /// moves and it leaves every ISR before it stops.
    ShutdownBroker { broker: u32 },
    /// `kafka-leader-election --election-type PREFERRED --all-topic-partitions`.
    ElectPreferredLeaders,
    /// Stop a KRaft controller (node id 100, 101, ...) abruptly.
    CrashController { controller: u32 },
    /// Start a stopped KRaft controller again.
    RestartController { controller: u32 },
    /// Stop a Kafka broker's followers from fetching (a slow disk or network).
    PauseReplication { broker: u32 },
    /// Let a paused broker's followers fetch again.
    ResumeReplication { broker: u32 },
    /// Grow a topic to `total` partitions.
    AddPartitions { topic: String, total: u32 },
    /// `close()` a producer; records not yet acknowledged are abandoned.
    CloseProducer { producer: String },
    /// `beginTransaction()` on a transactional producer.
    BeginTransaction { producer: String },
    /// `sendOffsetsToTransaction(offsets, consumer.groupMetadata())`: with
    /// `consumer`, the group metadata that consumer's `groupMetadata()`
    /// returns at this step (its generation and member id, which the group
    /// coordinator checks, KIP-447); without it, the deprecated form with
    /// the group id alone, which is never fenced.
    SendOffsetsToTransaction {
        producer: String,
        group_id: String,
        offsets: Vec<PartitionOffset>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        consumer: Option<String>,
    },
    /// `commitTransaction()`.
    CommitTransaction { producer: String },
    /// `abortTransaction()`.
    AbortTransaction { producer: String },
    /// `subscribe()` on a Kafka share consumer: join its share group.
    ShareSubscribe { consumer: String, topics: Vec<String> },
    /// `poll()` on a Kafka share consumer: acquire records under a lock. In
    /// implicit mode it first accepts what the previous poll delivered.
    SharePoll {
        consumer: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        max_records: Option<u32>,
    },
    /// `acknowledge()` and `commitSync()` on a share consumer in explicit
    /// mode: accept, release or reject one record. Without `topic`,
    /// `partition` and `offset` it settles the oldest record of the last
    /// poll that is not acknowledged yet.
    ShareAcknowledge {
        consumer: String,
        #[serde(rename = "type")]
        kind: ShareAckType,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        topic: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        partition: Option<u32>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        offset: Option<i64>,
    },
    /// `close()` a share consumer: implicit mode accepts the last poll's
    /// records, and the records it still holds are released.
    CloseShareConsumer { consumer: String },
    /// Let logical time pass on both engines (TTLs expire, followers fetch,
    /// sessions time out).
    AdvanceTime { ms: u64 },
    /// A line of narration shown while replaying; changes nothing.
    Note { text: String },
}
