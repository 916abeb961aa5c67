//! The typed errors every command can return instead of panicking.
//!
//! Names follow the Kafka error codes a client would see where one exists
//! (`UnknownTopicOrPartition`, `NotEnoughReplicas`, `InvalidReplicationFactor`,
//! `NoOffsetForPartition`, `ProducerFenced`, ...); the rest describe misuse of
//! the simulation itself (unknown producer or consumer names, a crashed broker).

use serde::{Deserialize, Serialize};

/// Why a command was refused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum KafkaError {
    /// A configuration value is outside its allowed range.
    InvalidConfig {
        /// The configuration key, in Kafka's spelling.
        key: String,
        /// Why the value was refused.
        reason: String,
    },
    /// The topic does not exist.
    UnknownTopic(String),
    /// The topic exists, but not this partition.
    PartitionOutOfRange {
        /// The topic.
        topic: String,
        /// The requested partition.
        partition: u32,
        /// How many partitions the topic has.
        partitions: u32,
    },
    /// A topic with this name already exists.
    TopicAlreadyExists(String),
    /// The topic name is not legal (`Topic.validate`: empty, `.` or `..`,
    /// longer than 249 characters, or a character other than ASCII
    /// alphanumerics, `.`, `_` and `-`), or the topic is internal and a
    /// client may not write to it: `InvalidTopicException`.
    InvalidTopic {
        /// The topic.
        topic: String,
        /// Kafka's message.
        reason: String,
    },
    /// `send()` waited `max.block.ms` for the metadata of a topic that did
    /// not appear: `TimeoutException` (`KafkaProducer.waitOnMetadata`).
    MetadataTimeout {
        /// The topic.
        topic: String,
        /// How long it waited (`max.block.ms`).
        max_block_ms: u64,
    },
    /// The controller cannot place the replicas (`StripedReplicaPlacer`):
    /// the replication factor is 0, above the registered brokers, or every
    /// broker is fenced (`brokers` is then 0).
    InvalidReplicationFactor {
        /// The requested factor.
        replication_factor: u32,
        /// How many brokers are registered, fenced ones included; 0 when
        /// none is unfenced.
        brokers: u32,
    },
    /// A partition count can only grow.
    InvalidPartitions {
        /// The current count.
        current: u32,
        /// The requested count.
        requested: u32,
    },
    /// No broker with this id.
    UnknownBroker(u32),
    /// The broker is down, so it cannot do this.
    BrokerNotAvailable(u32),
    /// The broker is already running.
    BrokerAlreadyRunning(u32),
    /// No KRaft controller with this node id.
    UnknownController(u32),
    /// The controller is already stopped.
    ControllerNotAvailable(u32),
    /// The controller is already running.
    ControllerAlreadyRunning(u32),
    /// The controller quorum has no active controller (no majority), so the
    /// request that needs a metadata change times out.
    NoActiveController,
    /// KIP-320: the consumer's position is past the end of its leader epoch
    /// on the new leader (an unclean election truncated what it had read)
    /// and `auto.offset.reset=none` (`LogTruncationException`).
    LogTruncation {
        /// The topic.
        topic: String,
        /// The partition.
        partition: u32,
        /// The consumer's position.
        offset: i64,
        /// The first offset known to diverge, when the leader knows its epoch.
        diverging_offset: Option<i64>,
    },
    /// No producer with this name.
    UnknownProducer(String),
    /// No consumer with this name.
    UnknownConsumer(String),
    /// A producer or consumer with this name already exists.
    DuplicateClient(String),
    /// The consumer was closed.
    ConsumerClosed(String),
    /// acks=all and the ISR is smaller than `min.insync.replicas`.
    NotEnoughReplicas {
        /// The topic.
        topic: String,
        /// The partition.
        partition: u32,
        /// The current ISR size.
        isr: u32,
        /// The effective minimum.
        min_insync_replicas: u32,
    },
    /// A compacted topic only accepts records with a key.
    CompactedTopicRequiresKey(String),
    /// `auto.offset.reset=none` and the group has no committed offset.
    NoOffsetForPartition {
        /// The topic.
        topic: String,
        /// The partition.
        partition: u32,
    },
    /// The offset is outside what the log holds.
    OffsetOutOfRange {
        /// The topic.
        topic: String,
        /// The partition.
        partition: u32,
        /// The requested offset.
        offset: i64,
    },
    /// The consumer is not part of an active group (it left, or was kicked
    /// out for `max.poll.interval.ms` or its session), or the coordinator
    /// refused its member id or generation: the Java client's
    /// `CommitFailedException` (`ConsumerCoordinator`).
    CommitFailed {
        /// The consumer.
        consumer: String,
        /// Why.
        reason: String,
    },
    /// The group coordinator refused a TxnOffsetCommit's consumer group
    /// metadata (KIP-447): its member is not in the group any more
    /// (`UNKNOWN_MEMBER_ID`) or its generation or member epoch is not the
    /// current one (`ILLEGAL_GENERATION`). The producer's
    /// `sendOffsetsToTransaction` throws `CommitFailedException`
    /// (`TransactionManager.TxnOffsetCommitHandler`) and the transaction can
    /// only be aborted.
    TxnOffsetCommitFailed {
        /// The producer.
        producer: String,
        /// The group.
        group: String,
        /// The coordinator's error, `UNKNOWN_MEMBER_ID` or `ILLEGAL_GENERATION`.
        error: String,
        /// Why.
        reason: String,
    },
    /// Another member holds the metadata's `group.instance.id`
    /// (`FENCED_INSTANCE_ID`): `FencedInstanceIdException`, after which the
    /// transaction can only be aborted.
    FencedInstanceId {
        /// The group.
        group: String,
        /// The static member's instance id.
        group_instance_id: String,
    },
    /// The consumer is rejoining its group: `commitSync()` fails with the
    /// retriable `RebalanceInProgressException` until a `poll()` completes
    /// the rebalance.
    RebalanceInProgress {
        /// The consumer.
        consumer: String,
    },
    /// No live broker leads the group's `__consumer_offsets` partition, so
    /// the group has no coordinator (`COORDINATOR_NOT_AVAILABLE`).
    CoordinatorNotAvailable {
        /// The group.
        group: String,
    },
    /// `new OffsetAndMetadata(offset)` refuses a negative offset with an
    /// `IllegalArgumentException`.
    NegativeOffset {
        /// The offset.
        offset: i64,
    },
    /// `seek` on a partition the consumer is not assigned: the Java client's
    /// `IllegalStateException("No current assignment for partition ...")`.
    NoCurrentAssignment {
        /// The consumer.
        consumer: String,
        /// The partition.
        partition: String,
    },
    /// All members of a group must use the same assignor.
    InconsistentGroupProtocol {
        /// The group.
        group: String,
    },
    /// A transactional call on a producer without `transactional.id`, or out of order.
    InvalidTxnState(String),
    /// A newer epoch of the producer's `transactional.id` exists: another
    /// instance took over, or its transaction timed out.
    ProducerFenced(String),
    /// No broker holding the `__transaction_state` partition of this
    /// transactional id is alive.
    TransactionCoordinatorNotAvailable(String),
    /// The partition has no leader right now.
    LeaderNotAvailable {
        /// The topic.
        topic: String,
        /// The partition.
        partition: u32,
    },
    /// A share-group acknowledgement names a record that is not acquired by
    /// this member (its lock expired, or it was never delivered to it):
    /// Kafka's `INVALID_RECORD_STATE` (KIP-932).
    InvalidRecordState {
        /// The share group.
        group: String,
        /// The topic.
        topic: String,
        /// The partition.
        partition: u32,
        /// The record's offset.
        offset: i64,
        /// What state the record is in instead.
        reason: String,
    },
    /// A share consumer was used against its contract, which the Java
    /// client refuses with an `IllegalStateException`: acknowledging in
    /// implicit mode, acknowledging a record the last poll did not deliver
    /// or twice, or polling in explicit mode before acknowledging every
    /// record of the previous poll.
    ShareConsumerMisuse {
        /// The share consumer.
        consumer: String,
        /// What was wrong.
        reason: String,
    },
    /// The group id belongs to a group of the other type (a consumer group
    /// where a share group was expected, or the reverse): Kafka's
    /// `GROUP_ID_NOT_FOUND`.
    GroupIdNotFound {
        /// The group.
        group: String,
        /// Which type it is.
        reason: String,
    },
    /// A consumer-protocol member asked for a server assignor the broker
    /// does not offer (`UNSUPPORTED_ASSIGNOR`, `UnsupportedAssignorException`).
    UnsupportedAssignor {
        /// The group.
        group: String,
        /// The assignor asked for (`group.remote.assignor`).
        assignor: String,
    },
    /// A static consumer-protocol member joined under an instance id that
    /// a member still holds, one that has not left with epoch -2
    /// (`UNRELEASED_INSTANCE_ID`, `UnreleasedInstanceIdException`).
    UnreleasedInstanceId {
        /// The group.
        group: String,
        /// The `group.instance.id`.
        instance: String,
    },
}

impl std::fmt::Display for KafkaError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            KafkaError::InvalidConfig { key, reason } => {
                write!(f, "invalid value for {key}: {reason}")
            }
            KafkaError::UnknownTopic(t) => write!(f, "unknown topic {t}"),
            KafkaError::PartitionOutOfRange { topic, partition, partitions } => {
                write!(f, "partition {partition} is out of range for topic {topic} with {partitions} partitions")
            }
            KafkaError::TopicAlreadyExists(t) => write!(f, "topic {t} already exists"),
            KafkaError::InvalidTopic { reason, .. } => write!(f, "{reason}"),
            KafkaError::MetadataTimeout { topic, max_block_ms } => {
                write!(f, "Topic {topic} not present in metadata after {max_block_ms} ms.")
            }
            // `StripedReplicaPlacer`'s three messages (Kafka 3.0 to 4.x).
            KafkaError::InvalidReplicationFactor { replication_factor: 0, .. } => {
                write!(f, "Invalid replication factor 0: the replication factor must be positive.")
            }
            KafkaError::InvalidReplicationFactor { brokers: 0, .. } => write!(f, "All brokers are currently fenced."),
            KafkaError::InvalidReplicationFactor { replication_factor, brokers } => write!(
                f,
                "The target replication factor of {replication_factor} cannot be reached because only {brokers} broker(s) are registered."
            ),
            KafkaError::InvalidPartitions { current, requested } => {
                write!(
                    f,
                    "a topic with {current} partitions cannot be changed to {requested}; partitions can only be added"
                )
            }
            KafkaError::UnknownBroker(b) => write!(f, "unknown broker {b}"),
            KafkaError::BrokerNotAvailable(b) => write!(f, "broker {b} is down"),
            KafkaError::BrokerAlreadyRunning(b) => write!(f, "broker {b} is already running"),
            KafkaError::UnknownController(c) => write!(f, "unknown controller {c}"),
            KafkaError::ControllerNotAvailable(c) => write!(f, "controller {c} is down"),
            KafkaError::ControllerAlreadyRunning(c) => write!(f, "controller {c} is already running"),
            KafkaError::NoActiveController => write!(
                f,
                "Timed out waiting for the controller: the KRaft quorum has no active controller (no majority of controllers running)"
            ),
            KafkaError::LogTruncation { topic, partition, offset, diverging_offset } => match diverging_offset {
                Some(d) => write!(
                    f,
                    "LogTruncationException: truncation detected for {topic}-{partition} at offset {offset}; the first offset known to diverge is {d}, and auto.offset.reset=none"
                ),
                None => write!(
                    f,
                    "LogTruncationException: truncation detected for {topic}-{partition} at offset {offset}, and auto.offset.reset=none"
                ),
            },
            KafkaError::UnknownProducer(p) => write!(f, "unknown producer {p}"),
            KafkaError::UnknownConsumer(c) => write!(f, "unknown consumer {c}"),
            KafkaError::DuplicateClient(c) => write!(f, "a client named {c} already exists"),
            KafkaError::ConsumerClosed(c) => write!(f, "consumer {c} is closed"),
            KafkaError::NotEnoughReplicas { topic, partition, isr, min_insync_replicas } => write!(
                f,
                "NotEnoughReplicas: {topic}-{partition} has {isr} in-sync replicas, fewer than min.insync.replicas={min_insync_replicas}"
            ),
            KafkaError::CompactedTopicRequiresKey(t) => {
                write!(f, "compacted topic {t} only accepts records with a key")
            }
            KafkaError::NoOffsetForPartition { topic, partition } => {
                write!(f, "no committed offset for {topic}-{partition} and auto.offset.reset=none")
            }
            KafkaError::OffsetOutOfRange { topic, partition, offset } => {
                write!(f, "offset {offset} is out of range for {topic}-{partition}")
            }
            KafkaError::CommitFailed { consumer, reason } => {
                write!(f, "commit of consumer {consumer} cannot be completed: {reason}")
            }
            KafkaError::TxnOffsetCommitFailed { producer, group, error, reason } => write!(
                f,
                "Transaction offset Commit failed due to consumer group metadata mismatch ({error}): {reason} \
                 (producer {producer}, group {group}); abort the transaction"
            ),
            KafkaError::FencedInstanceId { group, group_instance_id } => write!(
                f,
                "another member of group {group} holds group.instance.id {group_instance_id} (FENCED_INSTANCE_ID)"
            ),
            KafkaError::RebalanceInProgress { consumer } => write!(
                f,
                "consumer {consumer} is undergoing a rebalance; call poll() to complete it, then retry the commit"
            ),
            KafkaError::CoordinatorNotAvailable { group } => {
                write!(f, "group {group} has no coordinator: no live broker leads its __consumer_offsets partition")
            }
            KafkaError::NegativeOffset { offset } => write!(f, "Invalid negative offset {offset}"),
            KafkaError::NoCurrentAssignment { consumer, partition } => {
                write!(f, "No current assignment for partition {partition} (consumer {consumer})")
            }
            KafkaError::InconsistentGroupProtocol { group } => {
                write!(f, "members of group {group} must use the same assignor")
            }
            KafkaError::InvalidTxnState(m) => write!(f, "invalid transaction state: {m}"),
            KafkaError::ProducerFenced(p) => {
                write!(
                    f,
                    "producer {p} was fenced: its transactional.id has a newer epoch (a new instance, or its transaction timed out)"
                )
            }
            KafkaError::TransactionCoordinatorNotAvailable(t) => {
                write!(
                    f,
                    "no transaction coordinator for transactional.id {t}: the brokers of its __transaction_state partition are down"
                )
            }
            KafkaError::LeaderNotAvailable { topic, partition } => {
                write!(f, "{topic}-{partition} has no leader")
            }
            KafkaError::InvalidRecordState { group, topic, partition, offset, reason } => {
                write!(f, "share group {group} cannot acknowledge {topic}-{partition} offset {offset}: {reason}")
            }
            KafkaError::ShareConsumerMisuse { consumer, reason } => {
                write!(f, "share consumer {consumer}: {reason}")
            }
            KafkaError::GroupIdNotFound { group, reason } => write!(f, "group {group} {reason}"),
            KafkaError::UnreleasedInstanceId { group, instance } => write!(
                f,
                "group {group}: the static member {instance} has not released its instance id; its session must expire first"
            ),
            KafkaError::UnsupportedAssignor { group, assignor } => {
                write!(f, "group {group}: the assignor {assignor} is not one of group.consumer.assignors")
            }
        }
    }
}

impl std::error::Error for KafkaError {}
