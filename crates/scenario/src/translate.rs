//! Translation from the scenario's external types into the engines' own
//! configuration and values: JSON arguments into AMQP field tables, Kafka
//! config keys (`cleanup.policy`, `acks`, ...) into the engines' config
//! structs. Unknown keys and unparsable values are errors rather than being
//! ignored, so a typo in a lesson shows up when it is loaded. In the other
//! direction, [`kafka_error`] words a Kafka engine error as a Java client
//! prints it, with the exception's name first.

use brokerlab_order::CollectOrdered;
use std::collections::BTreeMap;

use brokerlab_kafka::{
    AcknowledgementMode, Acks, Assignor, CleanupPolicy, ClusterConfig, ConsumerConfig, GroupProtocol, IsolationLevel,
    KafkaError, MigrationPolicy, OffsetReset, PartitionerKind, ProducerConfig, ServerAssignor, ShareConsumerConfig,
    ShareGroupConfig, ShareOffsetReset, TopicConfig,
};
use brokerlab_rabbit::{BasicProperties, ChannelId, Command, ExchangeKind, FieldTable, FieldValue};

use crate::error::ScenarioError;
use crate::model::{
    Arguments, BindingDef, DestinationType, ExchangeDef, ExchangeType, KafkaConsumerDef, KafkaTopology, PolicyDef,
    ProducerDef, Properties, QueueDef, QueueTypeName, ShareAckType, ShareConsumerDef, ShareGroupDef, TopicDef,
};

/// A JSON value as the AMQP field value RabbitMQ's definitions import makes
/// of it: integers are `long`, other numbers `double`, objects tables.
pub fn field_value(v: &serde_json::Value) -> FieldValue {
    match v {
        serde_json::Value::Null => FieldValue::Void,
        serde_json::Value::Bool(b) => FieldValue::Boolean(*b),
        serde_json::Value::Number(n) => match n.as_i64() {
            Some(i) => FieldValue::LongLongInt(i),
            None => FieldValue::Double(n.as_f64().unwrap_or_default()),
        },
        serde_json::Value::String(s) => FieldValue::LongString(s.clone()),
        serde_json::Value::Array(items) => FieldValue::FieldArray(items.iter().map(field_value).collect()),
        serde_json::Value::Object(map) => {
            FieldValue::FieldTable(map.iter().map(|(k, v)| (k.clone(), field_value(v))).collect_map())
        }
    }
}

/// JSON arguments as an AMQP field table.
pub fn field_table(args: &Arguments) -> FieldTable {
    args.iter().map(|(k, v)| (k.clone(), field_value(v))).collect_map()
}

/// An AMQP field value as JSON, the way RabbitMQ's definitions export and
/// management API print it.
pub fn json_value(v: &FieldValue) -> serde_json::Value {
    use serde_json::Value;
    match v {
        FieldValue::Boolean(b) => Value::Bool(*b),
        FieldValue::ShortShortInt(i) => Value::from(*i),
        FieldValue::ShortShortUInt(i) => Value::from(*i),
        FieldValue::ShortInt(i) => Value::from(*i),
        FieldValue::ShortUInt(i) => Value::from(*i),
        FieldValue::LongInt(i) => Value::from(*i),
        FieldValue::LongUInt(i) => Value::from(*i),
        FieldValue::LongLongInt(i) => Value::from(*i),
        FieldValue::Float(f) => Value::from(f64::from(*f)),
        FieldValue::Double(f) => Value::from(*f),
        FieldValue::LongString(s) => Value::String(s.clone()),
        FieldValue::Timestamp(t) => Value::from(*t),
        FieldValue::FieldTable(t) => {
            let mut object = serde_json::Map::new();
            object.extend(t.iter().map(|(k, v)| (k.clone(), json_value(v))));
            Value::Object(object)
        }
        FieldValue::FieldArray(items) => Value::Array(items.iter().map(json_value).collect()),
        FieldValue::ByteArray(b) => Value::String(String::from_utf8_lossy(b).into_owned()),
        FieldValue::Void => Value::Null,
    }
}

/// An AMQP field table as JSON arguments.
pub fn json_table(t: &FieldTable) -> Arguments {
    t.iter().map(|(k, v)| (k.clone(), json_value(v))).collect_map()
}

/// The engine's exchange kind.
pub fn exchange_kind(t: ExchangeType) -> ExchangeKind {
    match t {
        ExchangeType::Direct => ExchangeKind::Direct,
        ExchangeType::Fanout => ExchangeKind::Fanout,
        ExchangeType::Topic => ExchangeKind::Topic,
        ExchangeType::Headers => ExchangeKind::Headers,
    }
}

/// Publish properties and headers as the engine's `BasicProperties`.
pub fn basic_properties(p: &Properties, headers: &Arguments) -> BasicProperties {
    BasicProperties {
        content_type: p.content_type.clone(),
        headers: if headers.is_empty() { None } else { Some(field_table(headers)) },
        delivery_mode: p.delivery_mode,
        priority: p.priority,
        correlation_id: p.correlation_id.clone(),
        reply_to: p.reply_to.clone(),
        expiration: p.expiration.clone(),
        message_id: p.message_id.clone(),
        timestamp: p.timestamp,
        app_id: p.app_id.clone(),
    }
}

fn bad(what: &str, key: &str, value: &str) -> ScenarioError {
    ScenarioError::Invalid(format!("{what}: `{key}` cannot be `{value}`"))
}

fn num<T: std::str::FromStr>(what: &str, key: &str, value: &str) -> Result<T, ScenarioError> {
    value.trim().parse().map_err(|_| bad(what, key, value))
}

fn flag(what: &str, key: &str, value: &str) -> Result<bool, ScenarioError> {
    match value.trim() {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err(bad(what, key, value)),
    }
}

fn unknown(what: &str, key: &str) -> ScenarioError {
    ScenarioError::Invalid(format!("{what}: unknown config `{key}`"))
}

/// The cluster configuration of the Kafka part.
pub fn cluster_config(k: &KafkaTopology) -> Result<ClusterConfig, ScenarioError> {
    let what = "kafka cluster";
    let mut c = ClusterConfig { brokers: k.brokers, controllers: k.controllers, ..ClusterConfig::default() };
    for (key, v) in &k.configs {
        match key.as_str() {
            "min.insync.replicas" => c.min_insync_replicas = num(what, key, v)?,
            "unclean.leader.election.enable" => c.unclean_leader_election_enable = flag(what, key, v)?,
            "replica.lag.time.max.ms" => c.replica_lag_time_max_ms = num(what, key, v)?,
            "eligible.leader.replicas.enable" => c.eligible_leader_replicas_enable = flag(what, key, v)?,
            "eligible.leader.replicas.version" => {
                c.eligible_leader_replicas_enable = match v.trim() {
                    "0" => false,
                    "1" => true,
                    _ => return Err(bad(what, key, v)),
                }
            }
            "broker.session.timeout.ms" => c.broker_session_timeout_ms = num(what, key, v)?,
            "broker.heartbeat.interval.ms" => c.broker_heartbeat_interval_ms = num(what, key, v)?,
            "auto.leader.rebalance.enable" => c.auto_leader_rebalance_enable = flag(what, key, v)?,
            "leader.imbalance.check.interval.seconds" => {
                let secs: u64 = num(what, key, v)?;
                c.leader_imbalance_check_interval_ms = secs.saturating_mul(1_000);
            }
            "group.consumer.heartbeat.interval.ms" => c.group_consumer_heartbeat_interval_ms = num(what, key, v)?,
            "group.consumer.session.timeout.ms" => c.group_consumer_session_timeout_ms = num(what, key, v)?,
            "group.consumer.assignors" => {
                c.group_consumer_assignors = v
                    .split(',')
                    .map(|a| server_assignor(a).ok_or_else(|| bad(what, key, v)))
                    .collect::<Result<_, _>>()?
            }
            "group.initial.rebalance.delay.ms" => c.group_initial_rebalance_delay_ms = num(what, key, v)?,
            "offsets.retention.minutes" => c.offsets_retention_minutes = num(what, key, v)?,
            "offsets.retention.check.interval.ms" => c.offsets_retention_check_interval_ms = num(what, key, v)?,
            "group.consumer.migration.policy" => {
                c.group_consumer_migration_policy = match v.trim().to_ascii_lowercase().as_str() {
                    "bidirectional" => MigrationPolicy::Bidirectional,
                    "upgrade" => MigrationPolicy::Upgrade,
                    "downgrade" => MigrationPolicy::Downgrade,
                    "disabled" => MigrationPolicy::Disabled,
                    _ => return Err(bad(what, key, v)),
                }
            }
            "auto.create.topics.enable" => c.auto_create_topics_enable = flag(what, key, v)?,
            "num.partitions" => c.num_partitions = num(what, key, v)?,
            "default.replication.factor" => c.default_replication_factor = num(what, key, v)?,
            _ => return Err(unknown(what, key)),
        }
    }
    c.validate().map_err(|e| ScenarioError::Invalid(format!("{what}: {e}")))?;
    Ok(c)
}

/// A topic's configuration.
pub fn topic_config(t: &TopicDef) -> Result<TopicConfig, ScenarioError> {
    let what = format!("topic `{}`", t.name);
    let what = what.as_str();
    let mut c = TopicConfig::new(t.partitions, t.replication_factor);
    for (key, v) in &t.configs {
        match key.as_str() {
            "cleanup.policy" => {
                c.cleanup_policy = match v.replace(' ', "").as_str() {
                    "delete" => CleanupPolicy::Delete,
                    "compact" => CleanupPolicy::Compact,
                    "compact,delete" | "delete,compact" => CleanupPolicy::DeleteCompact,
                    _ => return Err(bad(what, key, v)),
                }
            }
            "retention.ms" => c.retention_ms = num(what, key, v)?,
            "retention.bytes" => c.retention_bytes = num(what, key, v)?,
            "segment.bytes" => c.segment_bytes = num(what, key, v)?,
            "segment.ms" => c.segment_ms = num(what, key, v)?,
            "min.insync.replicas" => c.min_insync_replicas = Some(num(what, key, v)?),
            "unclean.leader.election.enable" => c.unclean_leader_election_enable = Some(flag(what, key, v)?),
            "min.cleanable.dirty.ratio" => c.min_cleanable_dirty_ratio = num(what, key, v)?,
            "min.compaction.lag.ms" => c.min_compaction_lag_ms = num(what, key, v)?,
            "delete.retention.ms" => c.delete_retention_ms = num(what, key, v)?,
            "message.timestamp.after.max.ms" => c.message_timestamp_after_max_ms = num(what, key, v)?,
            _ => return Err(unknown(what, key)),
        }
    }
    c.validate().map_err(|e| ScenarioError::Invalid(format!("{what}: {e}")))?;
    Ok(c)
}

/// A producer's configuration.
pub fn producer_config(p: &ProducerDef) -> Result<ProducerConfig, ScenarioError> {
    let what = format!("producer `{}`", p.name);
    let what = what.as_str();
    let mut c = ProducerConfig::default();
    for (key, v) in &p.configs {
        match key.as_str() {
            "acks" => {
                c.acks = match v.trim() {
                    "0" => Acks::Zero,
                    "1" => Acks::One,
                    "all" | "-1" => Acks::All,
                    _ => return Err(bad(what, key, v)),
                }
            }
            "retries" => c.retries = num(what, key, v)?,
            "enable.idempotence" => {
                c.enable_idempotence = flag(what, key, v)?;
                c.enable_idempotence_explicit = true;
            }
            "transactional.id" => c.transactional_id = Some(v.clone()),
            "partitioner" | "partitioner.class" => {
                c.partitioner = match v.trim() {
                    "sticky" | "default" => PartitionerKind::Sticky,
                    "round-robin" | "roundrobin" | "org.apache.kafka.clients.producer.RoundRobinPartitioner" => {
                        PartitionerKind::RoundRobin
                    }
                    _ => return Err(bad(what, key, v)),
                }
            }
            "batch.size" => c.batch_size = num(what, key, v)?,
            "delivery.timeout.ms" => c.delivery_timeout_ms = num(what, key, v)?,
            "request.timeout.ms" => c.request_timeout_ms = num(what, key, v)?,
            "retry.backoff.ms" => c.retry_backoff_ms = num(what, key, v)?,
            "retry.backoff.max.ms" => c.retry_backoff_max_ms = num(what, key, v)?,
            "linger.ms" => c.linger_ms = num(what, key, v)?,
            "transaction.timeout.ms" => c.transaction_timeout_ms = num(what, key, v)?,
            "max.in.flight.requests.per.connection" => c.max_in_flight_requests_per_connection = num(what, key, v)?,
            "max.block.ms" => c.max_block_ms = num(what, key, v)?,
            _ => return Err(unknown(what, key)),
        }
    }
    // Kafka turns default idempotence off by itself when acks is not `all`
    // or retries is 0, unless it was asked for explicitly.
    c.resolved().and_then(|c| c.validate().map(|()| c)).map_err(|e| ScenarioError::Invalid(format!("{what}: {e}")))
}

/// A consumer's configuration.
pub fn consumer_config(k: &KafkaConsumerDef) -> Result<ConsumerConfig, ScenarioError> {
    let what = format!("consumer `{}`", k.name);
    let what = what.as_str();
    let mut c = ConsumerConfig::new(k.group_id.clone());
    for (key, v) in &k.configs {
        match key.as_str() {
            "auto.offset.reset" => {
                c.auto_offset_reset = match v.trim() {
                    "earliest" => OffsetReset::Earliest,
                    "latest" => OffsetReset::Latest,
                    "none" => OffsetReset::None,
                    _ => return Err(bad(what, key, v)),
                }
            }
            "enable.auto.commit" => c.enable_auto_commit = flag(what, key, v)?,
            "auto.commit.interval.ms" => c.auto_commit_interval_ms = num(what, key, v)?,
            "partition.assignment.strategy" => c.assignor = assignor(v).ok_or_else(|| bad(what, key, v))?,
            "isolation.level" => {
                c.isolation_level = match v.trim() {
                    "read_uncommitted" => IsolationLevel::ReadUncommitted,
                    "read_committed" => IsolationLevel::ReadCommitted,
                    _ => return Err(bad(what, key, v)),
                }
            }
            "group.instance.id" => c.group_instance_id = Some(v.clone()),
            "session.timeout.ms" => c.session_timeout_ms = num(what, key, v)?,
            "heartbeat.interval.ms" => c.heartbeat_interval_ms = num(what, key, v)?,
            "max.poll.interval.ms" => c.max_poll_interval_ms = num(what, key, v)?,
            "max.poll.records" => c.max_poll_records = num(what, key, v)?,
            "metadata.max.age.ms" => c.metadata_max_age_ms = num(what, key, v)?,
            // Kafka validates both case-insensitively (`CaseInsensitiveValidString`).
            "group.protocol" => {
                c.group_protocol = match v.trim().to_ascii_lowercase().as_str() {
                    "classic" => GroupProtocol::Classic,
                    "consumer" => GroupProtocol::Consumer,
                    _ => return Err(bad(what, key, v)),
                }
            }
            "group.remote.assignor" => {
                c.group_remote_assignor = Some(server_assignor(v).ok_or_else(|| bad(what, key, v))?)
            }
            "allow.auto.create.topics" => c.allow_auto_create_topics = flag(what, key, v)?,
            _ => return Err(unknown(what, key)),
        }
    }
    c.rebalance_listener = k.rebalance_listener;
    c.validate().map_err(|e| ScenarioError::Invalid(format!("{what}: {e}")))?;
    Ok(c)
}

/// A server assignor by its name or class name (`uniform`, `range`).
fn server_assignor(v: &str) -> Option<ServerAssignor> {
    let v = v.trim();
    match v.rsplit('.').next().unwrap_or(v) {
        "uniform" | "UniformAssignor" => Some(ServerAssignor::Uniform),
        "range" | "RangeAssignor" => Some(ServerAssignor::Range),
        _ => None,
    }
}

/// A share group's configs (KIP-932). The group configs use Kafka's
/// `share.*` keys; the broker-wide `group.share.*` spellings of the same
/// settings are accepted as well, since Kafka 4.2 sets the delivery count
/// limit and the record-lock window on the broker (Kafka 4.3, KIP-1240, adds
/// them as group configs).
pub fn share_group_config(g: &ShareGroupDef) -> Result<ShareGroupConfig, ScenarioError> {
    let what = format!("share group `{}`", g.group_id);
    let what = what.as_str();
    let mut c = ShareGroupConfig::default();
    for (key, v) in &g.configs {
        match key.as_str() {
            "share.auto.offset.reset" => {
                c.auto_offset_reset = match v.trim() {
                    "earliest" => ShareOffsetReset::Earliest,
                    "latest" => ShareOffsetReset::Latest,
                    _ => return Err(bad(what, key, v)),
                }
            }
            "share.record.lock.duration.ms" | "group.share.record.lock.duration.ms" => {
                c.record_lock_duration_ms = num(what, key, v)?
            }
            "share.delivery.count.limit" | "group.share.delivery.count.limit" => {
                c.delivery_count_limit = num(what, key, v)?
            }
            "share.partition.max.record.locks" | "group.share.partition.max.record.locks" => {
                c.partition_max_record_locks = num(what, key, v)?
            }
            _ => return Err(unknown(what, key)),
        }
    }
    c.validate().map_err(|e| ScenarioError::Invalid(format!("{what}: {e}")))?;
    Ok(c)
}

/// A share consumer's configs: `share.acknowledgement.mode` and `max.poll.records`.
pub fn share_consumer_config(k: &ShareConsumerDef) -> Result<ShareConsumerConfig, ScenarioError> {
    let what = format!("share consumer `{}`", k.name);
    let what = what.as_str();
    let mut c = ShareConsumerConfig::new(k.group_id.clone());
    for (key, v) in &k.configs {
        match key.as_str() {
            "share.acknowledgement.mode" => {
                c.acknowledgement_mode = match v.trim() {
                    "implicit" => AcknowledgementMode::Implicit,
                    "explicit" => AcknowledgementMode::Explicit,
                    _ => return Err(bad(what, key, v)),
                }
            }
            "max.poll.records" => c.max_poll_records = num(what, key, v)?,
            _ => return Err(unknown(what, key)),
        }
    }
    c.validate().map_err(|e| ScenarioError::Invalid(format!("{what}: {e}")))?;
    Ok(c)
}

/// The engine's acknowledgement type.
pub fn acknowledge_type(t: ShareAckType) -> brokerlab_kafka::AcknowledgeType {
    match t {
        ShareAckType::Accept => brokerlab_kafka::AcknowledgeType::Accept,
        ShareAckType::Release => brokerlab_kafka::AcknowledgeType::Release,
        ShareAckType::Reject => brokerlab_kafka::AcknowledgeType::Reject,
    }
}

fn assignor(v: &str) -> Option<Assignor> {
    let v = v.trim();
    let short = v.rsplit('.').next().unwrap_or(v);
    match short {
        "range" | "RangeAssignor" => Some(Assignor::Range),
        "roundrobin" | "round-robin" | "RoundRobinAssignor" => Some(Assignor::RoundRobin),
        "sticky" | "StickyAssignor" => Some(Assignor::Sticky),
        "cooperative-sticky" | "CooperativeStickyAssignor" => Some(Assignor::CooperativeSticky),
        _ => None,
    }
}

/// Kafka header map as the engine's ordered header list.
pub fn kafka_headers(h: &BTreeMap<String, String>) -> Vec<brokerlab_kafka::Header> {
    h.iter().map(|(k, v)| brokerlab_kafka::Header { key: k.clone(), value: Some(v.as_bytes().to_vec()) }).collect()
}

/// The engine command that declares `x` on `channel`.
pub fn exchange_declare(channel: ChannelId, x: &ExchangeDef) -> Command {
    Command::ExchangeDeclare {
        channel,
        exchange: x.name.clone(),
        kind: exchange_kind(x.kind),
        passive: false,
        durable: x.durable,
        auto_delete: x.auto_delete,
        internal: x.internal,
        arguments: field_table(&x.arguments),
    }
}

/// The engine command that declares `q` on `channel` (never exclusive: a
/// scenario's queues belong to no one client).
pub fn queue_declare(channel: ChannelId, q: &QueueDef) -> Command {
    Command::QueueDeclare {
        channel,
        queue: q.name.clone(),
        passive: false,
        durable: q.durable,
        exclusive: false,
        auto_delete: q.auto_delete,
        arguments: field_table(&q.arguments),
    }
}

/// The engine command that sets policy `p` (`rabbitmqctl set_policy`).
pub fn set_policy(p: &PolicyDef) -> Command {
    Command::SetPolicy {
        vhost: p.vhost.clone(),
        name: p.name.clone(),
        pattern: p.pattern.clone(),
        apply_to: p.apply_to.as_str().to_string(),
        priority: p.priority,
        definition: field_table(&p.definition),
        operator: false,
    }
}

/// The engine's queue type for a vhost's `default_queue_type`.
pub fn queue_type(t: QueueTypeName) -> brokerlab_rabbit::QueueType {
    match t {
        QueueTypeName::Classic => brokerlab_rabbit::QueueType::Classic,
        QueueTypeName::Quorum => brokerlab_rabbit::QueueType::Quorum,
        QueueTypeName::Stream => brokerlab_rabbit::QueueType::Stream,
    }
}

/// The engine command that binds (or, with `bind` false, unbinds) `b` on `channel`.
pub fn bind_command(channel: ChannelId, b: &BindingDef, bind: bool) -> Command {
    let arguments = field_table(&b.arguments);
    let (source, destination, routing_key) = (b.source.clone(), b.destination.clone(), b.routing_key.clone());
    match (b.destination_type, bind) {
        (DestinationType::Queue, true) => {
            Command::QueueBind { channel, queue: destination, exchange: source, routing_key, arguments }
        }
        (DestinationType::Queue, false) => {
            Command::QueueUnbind { channel, queue: destination, exchange: source, routing_key, arguments }
        }
        (DestinationType::Exchange, true) => {
            Command::ExchangeBind { channel, destination, source, routing_key, arguments }
        }
        (DestinationType::Exchange, false) => {
            Command::ExchangeUnbind { channel, destination, source, routing_key, arguments }
        }
    }
}

/// The name of the exception a Kafka Java client raises for `e`: one of
/// `org.apache.kafka.common.errors` (the broker's error code as the client
/// names it) or the consumer's own. Errors that only a simulation can make
/// take the name of the nearest real one: a consumer the cluster does not
/// know is an unknown member id (its name is its member id), a producer it
/// does not know an unknown producer id, a closed client an
/// `IllegalStateException` as in the Java client, restarting a broker that is
/// running a duplicate broker registration.
pub fn kafka_exception(e: &KafkaError) -> &'static str {
    match e {
        KafkaError::InvalidConfig { .. } => "InvalidConfigurationException",
        KafkaError::UnknownTopic(_) | KafkaError::PartitionOutOfRange { .. } => "UnknownTopicOrPartitionException",
        KafkaError::TopicAlreadyExists(_) => "TopicExistsException",
        KafkaError::InvalidTopic { .. } => "InvalidTopicException",
        KafkaError::MetadataTimeout { .. } => "TimeoutException",
        KafkaError::InvalidReplicationFactor { .. } => "InvalidReplicationFactorException",
        KafkaError::InvalidPartitions { .. } => "InvalidPartitionsException",
        KafkaError::UnknownBroker(_) | KafkaError::BrokerNotAvailable(_) => "BrokerNotAvailableException",
        KafkaError::BrokerAlreadyRunning(_) | KafkaError::ControllerAlreadyRunning(_) => {
            "DuplicateBrokerRegistrationException"
        }
        KafkaError::UnknownController(_) | KafkaError::ControllerNotAvailable(_) => "BrokerNotAvailableException",
        KafkaError::NoActiveController => "TimeoutException",
        KafkaError::LogTruncation { .. } => "LogTruncationException",
        KafkaError::UnknownProducer(_) => "UnknownProducerIdException",
        KafkaError::UnknownConsumer(_) => "UnknownMemberIdException",
        KafkaError::DuplicateClient(_) => "InvalidRequestException",
        KafkaError::ConsumerClosed(_) => "IllegalStateException",
        KafkaError::NotEnoughReplicas { .. } => "NotEnoughReplicasException",
        KafkaError::CompactedTopicRequiresKey(_) => "InvalidRecordException",
        KafkaError::NoOffsetForPartition { .. } => "NoOffsetForPartitionException",
        KafkaError::OffsetOutOfRange { .. } => "OffsetOutOfRangeException",
        KafkaError::CommitFailed { .. } | KafkaError::TxnOffsetCommitFailed { .. } => "CommitFailedException",
        KafkaError::FencedInstanceId { .. } => "FencedInstanceIdException",
        KafkaError::RebalanceInProgress { .. } => "RebalanceInProgressException",
        KafkaError::CoordinatorNotAvailable { .. } => "CoordinatorNotAvailableException",
        KafkaError::NegativeOffset { .. } => "IllegalArgumentException",
        KafkaError::NoCurrentAssignment { .. } => "IllegalStateException",
        KafkaError::InconsistentGroupProtocol { .. } => "InconsistentGroupProtocolException",
        KafkaError::InvalidTxnState(_) => "InvalidTxnStateException",
        KafkaError::ProducerFenced(_) => "ProducerFencedException",
        KafkaError::TransactionCoordinatorNotAvailable(_) => "CoordinatorNotAvailableException",
        KafkaError::LeaderNotAvailable { .. } => "LeaderNotAvailableException",
        KafkaError::InvalidRecordState { .. } => "InvalidRecordStateException",
        KafkaError::ShareConsumerMisuse { .. } => "IllegalStateException",
        KafkaError::GroupIdNotFound { .. } => "GroupIdNotFoundException",
        KafkaError::UnsupportedAssignor { .. } => "UnsupportedAssignorException",
        KafkaError::UnreleasedInstanceId { .. } => "UnreleasedInstanceIdException",
    }
}

/// A Kafka engine error as a Java client prints it,
/// `UnknownTopicOrPartitionException: unknown topic orders`, so a refused
/// Kafka action reads as recognisably as a RabbitMQ `404 NOT_FOUND - ...`.
pub fn kafka_error(e: &KafkaError) -> String {
    format!("{}: {e}", kafka_exception(e))
}
