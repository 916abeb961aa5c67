//! The settings each kind of part carries, and how the inspector reads a
//! typed value into them.
//!
//! Every struct here is `#[serde(default)]`, and every field added since the
//! first canvas file defaults to what the canvas did before it existed, so a
//! saved canvas or share link from before still opens and runs the same.
//! Kafka settings default to the engine's own default, except where the
//! canvas always chose otherwise (a consumer reads from the earliest offset,
//! commits by hand and leaves its group within six seconds of a crash).
//!
//! [`Word`] is an enumeration with the words the brokers use (`acks=all`,
//! `read_committed`), which the inspector offers as a select and the mapping
//! writes as configs; [`whole`], [`optional_whole`] and [`whole_in`] read a
//! typed number or say, in a sentence, why not.

use brokerlab_rabbit::ExchangeKind;
use serde::{Deserialize, Serialize};
use std::fmt::Display;
use std::ops::RangeInclusive;
use std::str::FromStr;

/// The vhost every part is in unless told otherwise.
pub const DEFAULT_VHOST: &str = "/";

fn default_vhost() -> String {
    DEFAULT_VHOST.to_string()
}

/// An enumeration setting: its values in the order a select offers them,
/// each with the word the broker uses and a label for the page.
pub trait Word: Copy + PartialEq + Sized + 'static {
    /// Every value, in the order the select lists them.
    const ALL: &'static [Self];
    /// The value as the broker spells it (`all`, `read_committed`).
    fn word(self) -> &'static str;
    /// The option's text on the page.
    fn label(self) -> &'static str {
        self.word()
    }
    /// The value the broker spells `word`, if any.
    fn from_word(word: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|v| v.word() == word.trim())
    }
}

/// How a consumer acknowledges.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum AckMode {
    /// `basic.ack` after processing.
    #[default]
    Manual,
    /// `no_ack`: the broker forgets the message on delivery.
    Auto,
}

/// A fault the learner injects into a consumer.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Failure {
    /// Processes normally.
    #[default]
    None,
    /// Dies while processing; its unacknowledged messages go back to the queue.
    Crash,
    /// Rejects every message without requeue (dead-lettered when the queue has a DLX).
    Nack,
    /// Takes five times as long.
    Slow,
}

/// A Kafka producer's `acks`: how many replicas must have a record before
/// the write counts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Acks {
    /// `acks=0`: fire and forget.
    Zero,
    /// `acks=1`: the leader's write is enough.
    One,
    /// `acks=all`: every in-sync replica (Kafka's default).
    #[default]
    All,
}

impl Word for Acks {
    const ALL: &'static [Self] = &[Acks::Zero, Acks::One, Acks::All];
    fn word(self) -> &'static str {
        match self {
            Acks::Zero => "0",
            Acks::One => "1",
            Acks::All => "all",
        }
    }
    fn label(self) -> &'static str {
        match self {
            Acks::Zero => "0 (fire and forget)",
            Acks::One => "1 (the leader has it)",
            Acks::All => "all (every in-sync replica has it)",
        }
    }
}

/// Where a Kafka producer puts records without a key.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Partitioner {
    /// Kafka's default: keyed records by key hash, keyless ones in batches.
    #[default]
    Sticky,
    /// Every record to the next partition in turn, key or not.
    RoundRobin,
}

impl Word for Partitioner {
    const ALL: &'static [Self] = &[Partitioner::Sticky, Partitioner::RoundRobin];
    fn word(self) -> &'static str {
        match self {
            Partitioner::Sticky => "sticky",
            Partitioner::RoundRobin => "round-robin",
        }
    }
    fn label(self) -> &'static str {
        match self {
            Partitioner::Sticky => "default (by key; keyless in batches)",
            Partitioner::RoundRobin => "round-robin (ignores the key)",
        }
    }
}

/// A Kafka consumer's `auto.offset.reset`: where a group without a
/// committed offset starts reading.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum OffsetReset {
    Earliest,
    /// Kafka's default.
    Latest,
}

impl Word for OffsetReset {
    const ALL: &'static [Self] = &[OffsetReset::Earliest, OffsetReset::Latest];
    fn word(self) -> &'static str {
        match self {
            OffsetReset::Earliest => "earliest",
            OffsetReset::Latest => "latest",
        }
    }
    fn label(self) -> &'static str {
        match self {
            OffsetReset::Earliest => "earliest (from the start of the log)",
            OffsetReset::Latest => "latest (only what is written from now on)",
        }
    }
}

/// A Kafka consumer's `isolation.level`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Isolation {
    /// Kafka's default: every record up to the high watermark.
    #[default]
    ReadUncommitted,
    /// Only records of committed transactions.
    ReadCommitted,
}

impl Word for Isolation {
    const ALL: &'static [Self] = &[Isolation::ReadUncommitted, Isolation::ReadCommitted];
    fn word(self) -> &'static str {
        match self {
            Isolation::ReadUncommitted => "read_uncommitted",
            Isolation::ReadCommitted => "read_committed",
        }
    }
}

/// A Kafka consumer's `group.protocol`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum GroupProtocol {
    /// The Java client's default in Kafka 4.0: JoinGroup and SyncGroup rebalances.
    #[default]
    Classic,
    /// KIP-848 (GA in Kafka 4.0): the broker assigns, heartbeats reconcile.
    Consumer,
}

impl Word for GroupProtocol {
    const ALL: &'static [Self] = &[GroupProtocol::Classic, GroupProtocol::Consumer];
    fn word(self) -> &'static str {
        match self {
            GroupProtocol::Classic => "classic",
            GroupProtocol::Consumer => "consumer",
        }
    }
    fn label(self) -> &'static str {
        match self {
            GroupProtocol::Classic => "classic (rebalances)",
            GroupProtocol::Consumer => "consumer (KIP-848, broker-side assignment)",
        }
    }
}

/// A topic's `cleanup.policy`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum CleanupPolicy {
    /// Kafka's default: old segments are deleted by retention.
    #[default]
    Delete,
    /// Only the latest record of each key is kept.
    Compact,
    /// Both.
    CompactDelete,
}

impl Word for CleanupPolicy {
    const ALL: &'static [Self] = &[CleanupPolicy::Delete, CleanupPolicy::Compact, CleanupPolicy::CompactDelete];
    fn word(self) -> &'static str {
        match self {
            CleanupPolicy::Delete => "delete",
            CleanupPolicy::Compact => "compact",
            CleanupPolicy::CompactDelete => "compact,delete",
        }
    }
    fn label(self) -> &'static str {
        match self {
            CleanupPolicy::Delete => "delete (by retention)",
            CleanupPolicy::Compact => "compact (latest record per key)",
            CleanupPolicy::CompactDelete => "compact,delete (both)",
        }
    }
}

/// A queue's `x-queue-type`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum QueueType {
    #[default]
    Classic,
    /// Replicated; counts redeliveries towards a delivery limit.
    Quorum,
    /// An append-only log (RabbitMQ 3.9 and later): reading removes
    /// nothing, and each consumer keeps its own position.
    Stream,
}

impl Word for QueueType {
    const ALL: &'static [Self] = &[QueueType::Classic, QueueType::Quorum, QueueType::Stream];
    fn word(self) -> &'static str {
        match self {
            QueueType::Classic => "classic",
            QueueType::Quorum => "quorum",
            QueueType::Stream => "stream",
        }
    }
}

/// The RabbitMQ release a canvas runs as, offered as a select: the release
/// as the scenario format writes it (`4.3`), and its text with the patch
/// release each profile follows.
impl Word for brokerlab_scenario::RabbitVersion {
    const ALL: &'static [Self] = {
        use brokerlab_scenario::RabbitVersion as V;
        &[V::V3_10, V::V3_13, V::V4_0, V::V4_1, V::V4_2, V::V4_3]
    };
    fn word(self) -> &'static str {
        use brokerlab_scenario::RabbitVersion as V;
        match self {
            V::V3_10 => "3.10",
            V::V3_13 => "3.13",
            V::V4_0 => "4.0",
            V::V4_1 => "4.1",
            V::V4_2 => "4.2",
            V::V4_3 => "4.3",
        }
    }
    fn label(self) -> &'static str {
        use brokerlab_scenario::RabbitVersion as V;
        match self {
            V::V3_10 => "3.10 (3.10.8)",
            V::V3_13 => "3.13 (3.13.7)",
            V::V4_0 => "4.0 (4.0.9)",
            V::V4_1 => "4.1 (4.1.8)",
            V::V4_2 => "4.2 (4.2.9)",
            V::V4_3 => "4.3 (4.3.5)",
        }
    }
}

/// Where a consumer of a stream starts reading: its `x-stream-offset`
/// consume argument. RabbitMQ reads from `next` when the argument is left
/// out (`rabbit_stream_queue:consume`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum StreamOffset {
    /// The oldest record the stream still keeps.
    First,
    /// The last chunk written (with one record per publish, the last record).
    Last,
    /// Only what is written after the consumer attaches.
    #[default]
    Next,
    /// A given offset; past the end, the consumer waits for it.
    Offset(u64),
}

impl StreamOffset {
    /// The choices the inspector offers, by word; `offset` stands for
    /// [`StreamOffset::Offset`], whose number is a field of its own.
    pub const WORDS: [(&'static str, &'static str); 4] = [
        ("first", "first (the oldest record kept)"),
        ("last", "last (the last chunk written)"),
        ("next", "next (only new records)"),
        ("offset", "an offset"),
    ];

    /// The word of the choice this is (see [`StreamOffset::WORDS`]).
    pub fn word(self) -> &'static str {
        match self {
            StreamOffset::First => "first",
            StreamOffset::Last => "last",
            StreamOffset::Next => "next",
            StreamOffset::Offset(_) => "offset",
        }
    }

    /// The choice named `word`; `offset` starts at `offset`.
    pub fn from_word(word: &str, offset: u64) -> Option<Self> {
        Some(match word.trim() {
            "first" => StreamOffset::First,
            "last" => StreamOffset::Last,
            "next" => StreamOffset::Next,
            "offset" => StreamOffset::Offset(offset),
            _ => return None,
        })
    }

    /// The argument's value as a consumer sends it: the word as a string,
    /// or the offset as a number.
    pub fn argument(self) -> serde_json::Value {
        match self {
            StreamOffset::Offset(n) => n.into(),
            other => other.word().into(),
        }
    }

    /// The setting an `x-stream-offset` argument stands for, if the
    /// inspector has a choice for it (a timestamp or an interval such as
    /// `10m` it has not).
    pub fn from_argument(value: &serde_json::Value) -> Option<Self> {
        match value {
            serde_json::Value::String(s) if s != "offset" => StreamOffset::from_word(s, 0),
            serde_json::Value::Number(n) => n.as_u64().map(StreamOffset::Offset),
            _ => None,
        }
    }
}

/// Settings of a producer. The Kafka ones are used only when it produces to
/// a topic.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ProducerSettings {
    /// The AMQP routing key, or the Kafka record key (empty: no key).
    pub routing_key: String,
    /// The message body.
    pub body: String,
    /// Headers as `name=value` pairs separated by commas.
    pub headers: String,
    /// Messages per second while running; 0 publishes only on request.
    pub rate: u32,
    /// How many messages one burst sends.
    pub burst: u32,
    /// Kafka `acks`.
    pub acks: Acks,
    /// Kafka `enable.idempotence`. Kafka turns it on with `acks=all` and off
    /// otherwise unless told; the canvas keeps the effective value.
    pub idempotence: bool,
    /// Kafka `partitioner`.
    pub partitioner: Partitioner,
    /// Kafka `transactional.id`; empty for none. A transactional producer
    /// on the canvas commits each message in its own transaction.
    pub transactional_id: String,
    /// Kafka `linger.ms`: how long a record waits in the accumulator for
    /// others to the same partition. The engine's 0 unless set (Kafka 4.0
    /// made the client's default 5).
    pub linger_ms: u32,
}

impl Default for ProducerSettings {
    fn default() -> Self {
        ProducerSettings {
            routing_key: String::new(),
            body: "hello".into(),
            headers: String::new(),
            rate: 0,
            burst: 10,
            acks: Acks::All,
            idempotence: true,
            partitioner: Partitioner::Sticky,
            transactional_id: String::new(),
            linger_ms: 0,
        }
    }
}

/// The settings of an exchange. Canvas files from before exchanges had
/// settings stored only the type (`"Exchange": "Topic"`), which still reads.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(from = "ExchangeRepr")]
pub struct ExchangeSettings {
    pub kind: ExchangeKind,
    /// Survives a broker restart.
    pub durable: bool,
    /// The `alternate-exchange` argument: where messages that no binding
    /// routes go; empty for none.
    pub alternate_exchange: String,
    /// The vhost it is declared in.
    pub vhost: String,
}

impl ExchangeSettings {
    /// A transient exchange of `kind` in `/`, as the palette adds it.
    pub fn new(kind: ExchangeKind) -> Self {
        ExchangeSettings { kind, durable: false, alternate_exchange: String::new(), vhost: default_vhost() }
    }
}

#[derive(Deserialize)]
#[serde(untagged)]
enum ExchangeRepr {
    Kind(ExchangeKind),
    Settings(ExchangeFields),
}

#[derive(Deserialize)]
struct ExchangeFields {
    kind: ExchangeKind,
    #[serde(default)]
    durable: bool,
    #[serde(default)]
    alternate_exchange: String,
    #[serde(default = "default_vhost")]
    vhost: String,
}

impl From<ExchangeRepr> for ExchangeSettings {
    fn from(r: ExchangeRepr) -> Self {
        match r {
            ExchangeRepr::Kind(kind) => ExchangeSettings::new(kind),
            ExchangeRepr::Settings(f) => ExchangeSettings {
                kind: f.kind,
                durable: f.durable,
                alternate_exchange: f.alternate_exchange,
                vhost: f.vhost,
            },
        }
    }
}

/// Settings of a queue: the `x-` arguments a learner meets, durability and
/// the vhost.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct QueueSettings {
    /// `x-message-ttl` in milliseconds.
    pub message_ttl: Option<u32>,
    /// `x-max-length`.
    pub max_length: Option<u32>,
    /// `x-dead-letter-exchange`; empty for none, or, with a dead-letter
    /// routing key, the default exchange.
    pub dead_letter_exchange: String,
    /// `x-dead-letter-routing-key`; empty to keep each message's own key.
    pub dead_letter_routing_key: String,
    /// `x-queue-type`.
    pub queue_type: QueueType,
    /// `x-delivery-limit` (quorum queues): deliveries after which a message
    /// is dead-lettered instead of returned.
    pub delivery_limit: Option<u32>,
    /// `x-max-length-bytes`: a stream's retention by size (RabbitMQ removes
    /// whole segments, oldest first, once it is passed).
    pub max_length_bytes: Option<u64>,
    /// `x-max-age`: a stream's retention by age, as RabbitMQ writes it
    /// (`7D`, `12h`, `30m`); empty for none.
    pub max_age: String,
    /// Survives a broker restart.
    pub durable: bool,
    /// The vhost it is declared in.
    pub vhost: String,
}

impl Default for QueueSettings {
    fn default() -> Self {
        QueueSettings {
            message_ttl: None,
            max_length: None,
            dead_letter_exchange: String::new(),
            dead_letter_routing_key: String::new(),
            queue_type: QueueType::Classic,
            delivery_limit: None,
            max_length_bytes: None,
            max_age: String::new(),
            // RabbitMQ 4.3, the default release, refuses transient queues
            // that are not exclusive.
            durable: true,
            vhost: default_vhost(),
        }
    }
}

/// Settings of a consumer, for either broker. The Kafka ones are used only
/// when it is a member of a group.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ConsumerSettings {
    /// Logical milliseconds spent on each message.
    pub processing_ms: u32,
    /// `basic.qos` prefetch count (AMQP) or `max.poll.records` (Kafka).
    pub prefetch: u16,
    /// Manual or automatic acknowledgement (AMQP).
    pub ack_mode: AckMode,
    /// The injected fault.
    pub failure: Failure,
    /// Kafka `auto.offset.reset`.
    pub offset_reset: OffsetReset,
    /// Kafka `isolation.level`.
    pub isolation: Isolation,
    /// Kafka `enable.auto.commit`; the canvas's members commit what they
    /// have processed by hand unless this is on.
    pub auto_commit: bool,
    /// Kafka `session.timeout.ms`.
    pub session_timeout_ms: u32,
    /// Kafka `heartbeat.interval.ms`.
    pub heartbeat_ms: u32,
    /// Kafka `group.instance.id`, which makes the member static; empty for none.
    pub group_instance_id: String,
    /// Kafka `group.protocol`.
    pub group_protocol: GroupProtocol,
    /// `x-stream-offset`: where it starts reading a stream (AMQP, streams only).
    pub stream_offset: StreamOffset,
}

impl Default for ConsumerSettings {
    fn default() -> Self {
        ConsumerSettings {
            processing_ms: 300,
            prefetch: 10,
            ack_mode: AckMode::Manual,
            failure: Failure::None,
            offset_reset: OffsetReset::Earliest,
            isolation: Isolation::ReadUncommitted,
            auto_commit: false,
            session_timeout_ms: CANVAS_SESSION_TIMEOUT_MS,
            heartbeat_ms: CANVAS_HEARTBEAT_MS,
            group_instance_id: String::new(),
            group_protocol: GroupProtocol::Classic,
            stream_offset: StreamOffset::Next,
        }
    }
}

/// The session timeout a canvas consumer starts with: Kafka's least, so a
/// crashed member leaves its group within seconds.
pub const CANVAS_SESSION_TIMEOUT_MS: u32 = 6_000;
/// The heartbeat interval a canvas consumer starts with.
pub const CANVAS_HEARTBEAT_MS: u32 = 1_000;
/// Kafka's own defaults for what a scenario leaves out.
pub mod kafka_defaults {
    pub const SESSION_TIMEOUT_MS: u32 = 45_000;
    pub const HEARTBEAT_MS: u32 = 3_000;
    pub const MAX_POLL_RECORDS: u16 = 500;
    pub const RETENTION_MS: i64 = 604_800_000;
}

/// Settings of a topic.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct TopicSettings {
    /// Partition count.
    pub partitions: u32,
    /// Replication factor.
    pub replication_factor: u32,
    /// `min.insync.replicas`; `None` for the cluster's (1).
    pub min_insync_replicas: Option<u32>,
    /// `retention.ms`; -1 keeps records forever.
    pub retention_ms: i64,
    /// `cleanup.policy`.
    pub cleanup_policy: CleanupPolicy,
}

impl Default for TopicSettings {
    fn default() -> Self {
        TopicSettings {
            partitions: 2,
            replication_factor: 1,
            min_insync_replicas: None,
            retention_ms: kafka_defaults::RETENTION_MS,
            cleanup_policy: CleanupPolicy::Delete,
        }
    }
}

/// A whole number typed into the inspector, or why not: "`what` must be a
/// whole number."
pub fn whole<T: FromStr>(text: &str, what: &str) -> Result<T, String> {
    text.trim().parse().map_err(|_| format!("{what} must be a whole number."))
}

/// A whole number in `range`, or why not, naming the range.
pub fn whole_in<T: FromStr + PartialOrd + Display>(
    text: &str,
    what: &str,
    range: RangeInclusive<T>,
) -> Result<T, String> {
    let v: T = whole(text, what)?;
    if range.contains(&v) { Ok(v) } else { Err(format!("{what} must be from {} to {}.", range.start(), range.end())) }
}

/// An optional whole number in `range`: empty text is `None`.
pub fn optional_whole<T: FromStr + PartialOrd + Display>(
    text: &str,
    what: &str,
    range: RangeInclusive<T>,
) -> Result<Option<T>, String> {
    if text.trim().is_empty() { Ok(None) } else { whole_in(text, what, range).map(Some) }
}

/// A topic's retention in milliseconds: -1 (forever) or a number of
/// milliseconds.
pub fn retention(text: &str) -> Result<i64, String> {
    whole_in(text, "Retention", -1..=i64::MAX)
        .map_err(|_| "Retention must be -1 (keep forever) or a whole number of milliseconds.".to_string())
}

/// A stream's `x-max-age` typed into the inspector: empty for none, or a
/// whole number followed by one of RabbitMQ's units, `Y`, `M`, `D`, `h`,
/// `m` or `s` (`rabbit_amqqueue:check_max_age`), kept as typed.
pub fn max_age(text: &str) -> Result<String, String> {
    let v = text.trim();
    let digits = v.trim_end_matches(['Y', 'M', 'D', 'h', 'm', 's']);
    let unit = &v[digits.len()..];
    if v.is_empty() || (unit.len() == 1 && !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())) {
        Ok(v.to_string())
    } else {
        Err("The max age is a whole number with a unit: Y, M, D, h, m or s (for example 7D or 30m).".into())
    }
}

/// A vhost name typed into the inspector: trimmed, and not empty.
pub fn vhost_name(text: &str) -> Result<String, String> {
    let v = text.trim();
    if v.is_empty() { Err("A vhost name cannot be empty; the default vhost is /.".into()) } else { Ok(v.to_string()) }
}

impl ProducerSettings {
    /// Sets `acks` as Kafka does: idempotence follows it (on with `all`,
    /// off otherwise), since an idempotent producer needs every in-sync
    /// replica's acknowledgement; it can be changed afterwards.
    pub fn set_acks(&mut self, acks: Acks) {
        self.acks = acks;
        self.idempotence = acks == Acks::All;
    }
}
