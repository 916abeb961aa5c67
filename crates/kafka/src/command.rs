//! What goes into the engine ([`Command`]) and what comes out ([`Outcome`]:
//! the [`Event`]s, the error, a produce receipt, polled records).
//!
//! Both are plain serde data: scenario files and share links store command
//! scripts, and the UI animates the events. Every event names the entities it
//! touches (topic, partition, broker, producer, consumer, group) so a view can
//! filter them without looking anything up.

use crate::assignor::{Assignor, TopicPartition};
use crate::config::{ConsumerConfig, OffsetReset, ProducerConfig, ShareConsumerConfig, ShareGroupConfig, TopicConfig};
use crate::error::KafkaError;
use crate::log::{Header, PartitionReason, RemovalReason};
use crate::view::GroupStateView;
use serde::{Deserialize, Serialize};

/// A record as a producer hands it over.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct ProducerRecord {
    /// The topic.
    pub topic: String,
    /// An explicit partition, which overrides every partitioner.
    pub partition: Option<u32>,
    /// The serialized key.
    pub key: Option<Vec<u8>>,
    /// The serialized value; `None` is a tombstone.
    pub value: Option<Vec<u8>>,
    /// Headers.
    pub headers: Vec<Header>,
    /// The timestamp; `None` uses the current logical time.
    pub timestamp: Option<i64>,
}

impl ProducerRecord {
    /// A record with a string key and value.
    pub fn keyed(topic: impl Into<String>, key: impl AsRef<[u8]>, value: impl AsRef<[u8]>) -> Self {
        ProducerRecord {
            topic: topic.into(),
            key: Some(key.as_ref().to_vec()),
            value: Some(value.as_ref().to_vec()),
            ..Default::default()
        }
    }

    /// A record without a key.
    pub fn unkeyed(topic: impl Into<String>, value: impl AsRef<[u8]>) -> Self {
        ProducerRecord { topic: topic.into(), value: Some(value.as_ref().to_vec()), ..Default::default() }
    }
}

/// What `produce` reports back immediately.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProduceReceipt {
    /// The partition chosen.
    pub partition: u32,
    /// The offset the partition leader gave the record if it appended it
    /// within this call: the leader's append offset, which a Java client
    /// learns only from the acknowledgement (for acks=all that comes later,
    /// as [`Event::RecordAcknowledged`]). -1 for acks=0, whose
    /// acknowledgement carries no offset. `None` when the record waits in
    /// the producer: for `linger.ms`, a leader, a retry or earlier records.
    pub offset: Option<i64>,
    /// Why this partition.
    pub reason: PartitionReason,
}

/// What `KafkaConsumer.groupMetadata()` returns and
/// `sendOffsetsToTransaction(offsets, groupMetadata)` sends in its
/// TxnOffsetCommit (KIP-447, Kafka 2.5+): the group coordinator checks the
/// generation (member epoch), member id and instance id like an
/// OffsetCommit's, so a producer whose consumer was rebalanced away cannot
/// commit offsets for partitions it no longer owns. Member ids are the
/// consumers' names, as everywhere in the engine: a classic consumer that
/// was kicked out and has already rejoined keeps its name, where Kafka
/// gives it a new member id, so its old metadata is refused as
/// `ILLEGAL_GENERATION` rather than `UNKNOWN_MEMBER_ID` (both
/// `CommitFailedException` to the producer).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsumerGroupMetadata {
    /// `group.id`.
    pub group_id: String,
    /// The generation (classic) or member epoch (consumer protocol) of the
    /// consumer's last completed join; -1 without one.
    pub generation_id: i32,
    /// The member id of that join; empty without one.
    pub member_id: String,
    /// `group.instance.id`, for a static member.
    pub group_instance_id: Option<String>,
}

impl ConsumerGroupMetadata {
    /// `new ConsumerGroupMetadata(groupId)`: generation -1 and no member id,
    /// what the deprecated `sendOffsetsToTransaction(offsets, groupId)`
    /// sends, which no coordinator can fence.
    pub fn new(group_id: impl Into<String>) -> Self {
        ConsumerGroupMetadata {
            group_id: group_id.into(),
            generation_id: -1,
            member_id: String::new(),
            group_instance_id: None,
        }
    }
}

/// A record as a consumer receives it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsumerRecord {
    /// The topic.
    pub topic: String,
    /// The partition.
    pub partition: u32,
    /// The offset.
    pub offset: i64,
    /// The timestamp.
    pub timestamp: i64,
    /// The key.
    pub key: Option<Vec<u8>>,
    /// The value.
    pub value: Option<Vec<u8>>,
    /// The headers.
    pub headers: Vec<Header>,
}

/// Everything one command did, whether or not it succeeded.
///
/// A command that fails part-way (a poll that rejoined the group and then met
/// `auto.offset.reset=none`, say) may already have changed the cluster; those
/// changes are in `events` next to the `error`, so a driver that animates the
/// events never misses a state change. `receipt` is set by a `Produce` that
/// was accepted and `polled` holds the records a `Poll` returned, so a driver
/// needs nothing but [`crate::Cluster::apply`].
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Outcome {
    /// Every event the command caused, in order, including those before an error.
    pub events: Vec<Event>,
    /// Why the command was refused or stopped, when it was.
    pub error: Option<KafkaError>,
    /// Where a `Produce` put the record.
    pub receipt: Option<ProduceReceipt>,
    /// The records a `Poll` returned.
    pub polled: Vec<ConsumerRecord>,
}

impl Outcome {
    /// True when the command ran to completion.
    pub fn is_ok(&self) -> bool {
        self.error.is_none()
    }

    /// The events, or the error (dropping the events that came before it).
    pub fn into_result(self) -> Result<Vec<Event>, KafkaError> {
        match self.error {
            None => Ok(self.events),
            Some(e) => Err(e),
        }
    }
}

/// Where `seek` moves a consumer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum SeekTo {
    /// An absolute offset.
    Offset(i64),
    /// The log start offset.
    Beginning,
    /// The end visible to this consumer.
    End,
    /// The first record at or after this timestamp.
    Timestamp(i64),
}

/// Everything a learner or a scenario can do.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Command {
    /// Create a topic.
    CreateTopic {
        /// Its name.
        name: String,
        /// Partitions, replication and topic configuration.
        config: TopicConfig,
    },
    /// Grow a topic to `total` partitions.
    AddPartitions {
        /// The topic.
        topic: String,
        /// The new partition count.
        total: u32,
    },
    /// Stop a broker abruptly.
    CrashBroker {
        /// The broker id.
        broker: u32,
    },
    /// Start a crashed broker again with its disk intact.
    RestartBroker {
        /// The broker id.
        broker: u32,
    },
    /// Stop a live broker cleanly (controlled shutdown): the controller moves
    /// its leadership and takes it out of every ISR first.
    ShutdownBroker {
        /// The broker id.
        broker: u32,
    },
    /// Elect the preferred replica (the first in the assignment) of every
    /// partition it does not lead where it is live and in the ISR
    /// (`kafka-leader-election --election-type PREFERRED --all-topic-partitions`).
    ElectPreferredLeaders,
    /// Stop a KRaft controller (node id 100, 101, ...) abruptly.
    CrashController {
        /// The controller's node id.
        controller: u32,
    },
    /// Start a stopped KRaft controller again.
    RestartController {
        /// The controller's node id.
        controller: u32,
    },
    /// Stop a live broker's followers from fetching (a slow disk or network).
    PauseReplication {
        /// The broker id.
        broker: u32,
    },
    /// Let a paused broker's followers fetch again.
    ResumeReplication {
        /// The broker id.
        broker: u32,
    },
    /// Create a producer.
    CreateProducer {
        /// A unique name.
        name: String,
        /// Its configuration.
        config: ProducerConfig,
    },
    /// Send one record.
    Produce {
        /// The producer name.
        producer: String,
        /// The record.
        record: ProducerRecord,
    },
    /// `initTransactions()`.
    InitTransactions {
        /// The producer name.
        producer: String,
    },
    /// `beginTransaction()`.
    BeginTransaction {
        /// The producer name.
        producer: String,
    },
    /// `sendOffsetsToTransaction()`.
    SendOffsetsToTransaction {
        /// The producer name.
        producer: String,
        /// The consumer group metadata the offsets commit under (its
        /// `group_id` names the group).
        group_metadata: ConsumerGroupMetadata,
        /// The offsets (next offset to read) per partition.
        offsets: Vec<(TopicPartition, i64)>,
    },
    /// `commitTransaction()`.
    CommitTransaction {
        /// The producer name.
        producer: String,
    },
    /// `abortTransaction()`.
    AbortTransaction {
        /// The producer name.
        producer: String,
    },
    /// Close a producer; unacknowledged records are abandoned.
    CloseProducer {
        /// The producer name.
        producer: String,
    },
    /// Create a consumer (not yet subscribed).
    CreateConsumer {
        /// A unique name, also its member id.
        name: String,
        /// Its configuration.
        config: ConsumerConfig,
    },
    /// Subscribe to topics and join the group.
    Subscribe {
        /// The consumer name.
        consumer: String,
        /// The topics.
        topics: Vec<String>,
    },
    /// Fetch up to `max_records` (or `max.poll.records`).
    Poll {
        /// The consumer name.
        consumer: String,
        /// The maximum record count for this call.
        max_records: Option<u32>,
    },
    /// Commit offsets: the current positions when `offsets` is `None`.
    Commit {
        /// The consumer name.
        consumer: String,
        /// Explicit offsets (next offset to read) per partition.
        offsets: Option<Vec<(TopicPartition, i64)>>,
    },
    /// Move the consumer's position in one partition.
    Seek {
        /// The consumer name.
        consumer: String,
        /// The partition.
        partition: TopicPartition,
        /// Where to.
        to: SeekTo,
    },
    /// Close cleanly: commit when auto-commit is on, and leave the group
    /// unless the member is static.
    CloseConsumer {
        /// The consumer name.
        consumer: String,
    },
    /// Kill the consumer process: no commit, no leave, heartbeats stop.
    CrashConsumer {
        /// The consumer name.
        consumer: String,
    },
    /// Let logical time pass.
    Tick {
        /// Milliseconds.
        ms: u64,
    },
    /// Set a share group's configs (`kafka-configs.sh --alter --entity-type
    /// groups`, KIP-932); they apply to records acquired from then on.
    AlterShareGroupConfig {
        /// The share group.
        group: String,
        /// Its settings.
        config: ShareGroupConfig,
    },
    /// Create a share consumer (`KafkaShareConsumer`, KIP-932), not yet subscribed.
    CreateShareConsumer {
        /// A unique name, also its member id.
        name: String,
        /// Its configuration.
        config: ShareConsumerConfig,
    },
    /// `subscribe()` on a share consumer: join its share group.
    ShareSubscribe {
        /// The share consumer.
        consumer: String,
        /// The topics.
        topics: Vec<String>,
    },
    /// `poll()` on a share consumer: acquire available records under a lock.
    SharePoll {
        /// The share consumer.
        consumer: String,
        /// The maximum record count for this call.
        max_records: Option<u32>,
    },
    /// `acknowledge(record, type)` followed by `commitSync()` on a share
    /// consumer in explicit mode: one record accepted, released or rejected.
    ShareAcknowledge {
        /// The share consumer.
        consumer: String,
        /// The record's partition.
        partition: TopicPartition,
        /// The record's offset.
        offset: i64,
        /// Accept, release or reject.
        kind: AcknowledgeType,
    },
    /// `close()` on a share consumer: implicit mode accepts the last poll's
    /// records, then the member leaves and the broker releases what it still holds.
    CloseShareConsumer {
        /// The share consumer.
        consumer: String,
    },
}

/// How a share consumer settles one acquired record (KIP-932's `AcknowledgeType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum AcknowledgeType {
    /// Processed: the record is acknowledged and never delivered again.
    Accept,
    /// Not processed: the record becomes available again with its delivery
    /// count kept (archived instead once the count reaches the limit).
    Release,
    /// Unprocessable: the record is archived and never delivered again.
    Reject,
}

/// Why a share-group record left the acquired state without an acknowledgement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ShareReleaseReason {
    /// The consumer released it.
    Released,
    /// Its acquisition lock expired.
    LockExpired,
    /// Its consumer left the share group.
    MemberLeft,
}

/// Why a rebalance started.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum RebalanceReason {
    /// A member joined.
    MemberJoined(String),
    /// A member left with LeaveGroup.
    MemberLeft(String),
    /// The coordinator evicted a member that stopped heartbeating.
    SessionTimeout(String),
    /// A member did not poll within `max.poll.interval.ms`.
    MaxPollIntervalExceeded(String),
    /// A subscribed topic gained partitions.
    PartitionsAdded(String),
    /// A member changed its subscription.
    SubscriptionChanged(String),
    /// The cooperative follow-up round that hands over revoked partitions.
    CooperativeFollowUp,
    /// A dynamic member had not rejoined when the join phase's rebalance
    /// timeout ran out.
    RebalanceTimeout(String),
    /// A consumer-protocol member had not acknowledged a revocation within
    /// its rebalance timeout (`max.poll.interval.ms`), so the coordinator
    /// fenced it (KIP-848).
    RevocationTimeout(String),
    /// The last consumer-protocol member left a group whose other members
    /// use the classic protocol, so the group became a classic group again.
    ProtocolDowngrade,
}

/// Why the controller elected a partition leader.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ElectionReason {
    /// The partition was just created (the first live replica leads).
    PartitionCreated,
    /// The leader's broker crashed.
    LeaderCrashed {
        /// The crashed broker.
        broker: u32,
    },
    /// The partition was offline and a replica's broker came back.
    BrokerRestarted {
        /// The restarted broker.
        broker: u32,
    },
    /// The leader's broker shut down cleanly and handed leadership over.
    ControlledShutdown {
        /// The broker shutting down.
        broker: u32,
    },
    /// Leadership went back to the preferred replica.
    PreferredLeader,
    /// The controller quorum has an active controller again, and the
    /// partition that lost its leader meanwhile gets one.
    QuorumRecovered,
}

/// Why a follower left the ISR.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum IsrShrinkReason {
    /// Its broker crashed and the controller fenced it out.
    BrokerCrashed,
    /// It fell behind the leader for longer than `replica.lag.time.max.ms`.
    LagTimeExceeded,
    /// Its broker is shutting down cleanly.
    ControlledShutdown,
}

/// Why a produce attempt failed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ProduceError {
    /// The leader changed or crashed before answering.
    NotLeaderOrFollower,
    /// acks=all and the ISR is below `min.insync.replicas`: refused before
    /// anything was written, and retriable.
    NotEnoughReplicas,
    /// The record is in the log but the ISR shrank below the minimum while
    /// waiting (`Partition.checkEnoughReplicasReachOffset`). Rare since
    /// Kafka 3.7, where the high watermark does not move under the minimum.
    NotEnoughReplicasAfterAppend,
    /// No answer within `request.timeout.ms`; retriable.
    RequestTimedOut,
    /// The idempotent producer's sequence has a gap (records were lost).
    OutOfOrderSequence,
    /// `delivery.timeout.ms` passed.
    DeliveryTimeout,
    /// The producer was closed first.
    ProducerClosed,
    /// `send()` found no metadata for its topic within `max.block.ms`
    /// (`TimeoutException`); a transactional producer's transaction can
    /// then only be aborted.
    MetadataTimeout,
    /// `INVALID_TIMESTAMP`: the record's timestamp is more than
    /// `message.timestamp.after.max.ms` ahead of the leader's clock (Kafka 4.0:
    /// 1 hour). Not retriable.
    InvalidTimestamp,
    /// `INVALID_PRODUCER_EPOCH`: the transaction coordinator has a newer
    /// epoch for the producer's transactional id (a new instance called
    /// `initTransactions`, or the transaction timed out), so the partition
    /// leader refuses the append and the producer is fenced.
    ProducerFenced,
}

/// Something that happened, for the UI to animate and explain.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Event {
    /// A topic was created.
    TopicCreated {
        /// The topic.
        topic: String,
        /// Replica lists per partition.
        replicas: Vec<Vec<u32>>,
    },
    /// A client's metadata request named a missing topic and the broker
    /// created it (`auto.create.topics.enable`, `DefaultAutoTopicCreationManager`)
    /// with `num.partitions` and `default.replication.factor`; `TopicCreated`
    /// follows.
    TopicAutoCreated {
        /// The topic.
        topic: String,
        /// The producer or consumer whose metadata request asked for it.
        client: String,
        /// Its partition count (`num.partitions`).
        partitions: u32,
        /// Its replication factor (`default.replication.factor`).
        replication_factor: u32,
    },
    /// The broker asked the controller to auto-create a topic and the
    /// controller refused (more replicas than registered brokers, every
    /// broker fenced, no active controller): the topic stays missing and
    /// the client keeps asking for its metadata.
    TopicAutoCreationFailed {
        /// The topic.
        topic: String,
        /// The producer or consumer whose metadata request asked for it.
        client: String,
        /// Why the controller refused.
        error: KafkaError,
    },
    /// `send()` to a topic the producer has no metadata for blocks until
    /// the topic appears, for at most `max.block.ms`.
    WaitingForMetadata {
        /// The producer.
        producer: String,
        /// The topic.
        topic: String,
        /// When the send gives up.
        until: u64,
    },
    /// A `send()` that waited for its topic's metadata failed: after
    /// `max.block.ms` with `TimeoutException` ([`KafkaError::MetadataTimeout`]),
    /// or with the error the record met once the topic appeared.
    SendFailed {
        /// The producer.
        producer: String,
        /// The topic.
        topic: String,
        /// Why.
        error: KafkaError,
    },
    /// Partitions were added.
    PartitionsAdded {
        /// The topic.
        topic: String,
        /// The old count.
        from: u32,
        /// The new count.
        to: u32,
    },
    /// A broker crashed.
    BrokerCrashed {
        /// The broker.
        broker: u32,
    },
    /// A broker came back.
    BrokerRestarted {
        /// The broker.
        broker: u32,
    },
    /// The controller fenced a broker: its session expired
    /// (`broker.session.timeout.ms` without a heartbeat) or it shut down
    /// cleanly. Only now do its partitions get new leaders and lose it from
    /// their ISR.
    BrokerFenced {
        /// The broker.
        broker: u32,
    },
    /// A broker shut down cleanly after its leadership moved.
    BrokerShutDown {
        /// The broker.
        broker: u32,
    },
    /// A restarted broker cannot register while the controller still holds
    /// its previous session (`DuplicateBrokerRegistrationException`); it
    /// registers once that session has expired and the old one is fenced.
    BrokerRegistrationDelayed {
        /// The broker.
        broker: u32,
        /// When the old session expires.
        until: u64,
    },
    /// A KRaft controller stopped.
    ControllerCrashed {
        /// Its node id.
        controller: u32,
    },
    /// A KRaft controller started again.
    ControllerRestarted {
        /// Its node id.
        controller: u32,
    },
    /// Fewer than a majority of the controllers run: no metadata can change
    /// (no fencing, no elections, no ISR changes) until a majority is back.
    QuorumLost {
        /// How many controllers still run.
        alive: u32,
    },
    /// The controllers elected an active controller (Raft leader).
    QuorumLeaderElected {
        /// Its node id.
        controller: u32,
        /// The new quorum epoch.
        epoch: u32,
    },
    /// A consumer's position validation (KIP-320, OffsetsForLeaderEpoch)
    /// found that the log it read was truncated by a new leader: with a
    /// reset policy it moves back to the first offset known to diverge.
    LogTruncationDetected {
        /// The consumer.
        consumer: String,
        /// The partition.
        partition: TopicPartition,
        /// Its position before.
        position: i64,
        /// Where it continues, `None` when `auto.offset.reset=none` made the
        /// poll fail with `LogTruncationException`.
        reset_to: Option<i64>,
    },
    /// A broker's followers stopped or resumed fetching.
    ReplicationPaused {
        /// The broker.
        broker: u32,
        /// True when paused, false when resumed.
        paused: bool,
    },
    /// The controller chose a partition leader.
    LeaderElected {
        /// The topic.
        topic: String,
        /// The partition.
        partition: u32,
        /// The new leader.
        leader: u32,
        /// The new leader epoch.
        leader_epoch: u32,
        /// True when the leader came from outside the ISR.
        unclean: bool,
        /// The ISR after the election.
        isr: Vec<u32>,
        /// Why there was an election.
        reason: ElectionReason,
    },
    /// No replica can lead: the partition is offline.
    PartitionOffline {
        /// The topic.
        topic: String,
        /// The partition.
        partition: u32,
    },
    /// A consumer-protocol member that had to revoke partitions did not
    /// acknowledge the revocation within its rebalance timeout (its
    /// `max.poll.interval.ms`, counted from the heartbeat that asked): the
    /// coordinator fences it and its partitions go to the others (Kafka 4.0
    /// `GroupMetadataManager.scheduleConsumerGroupRebalanceTimeout`). A
    /// `MemberLeft` with [`RebalanceReason::RevocationTimeout`] follows.
    MemberRevocationTimedOut {
        /// The group.
        group: String,
        /// The member.
        member: String,
        /// The member epoch it was stuck at.
        member_epoch: i32,
        /// The partitions it still had to revoke.
        partitions: Vec<TopicPartition>,
        /// Its rebalance timeout.
        rebalance_timeout_ms: u64,
    },
    /// A broker that restarted after an unclean shutdown (a crash) was taken
    /// out of a partition's eligible leader replicas (KIP-966): it may have
    /// lost records it had, so it can no longer be elected from the ELR.
    EligibleLeaderReplicaRemoved {
        /// The topic.
        topic: String,
        /// The partition.
        partition: u32,
        /// The broker.
        broker: u32,
        /// The ELR after the change.
        elr: Vec<u32>,
    },
    /// A follower left the ISR.
    IsrShrunk {
        /// The topic.
        topic: String,
        /// The partition.
        partition: u32,
        /// The follower.
        broker: u32,
        /// The ISR afterwards.
        isr: Vec<u32>,
        /// Why it left.
        reason: IsrShrinkReason,
    },
    /// A follower caught up and rejoined the ISR.
    IsrExpanded {
        /// The topic.
        topic: String,
        /// The partition.
        partition: u32,
        /// The follower.
        broker: u32,
        /// The ISR afterwards.
        isr: Vec<u32>,
    },
    /// The leader appended a record.
    RecordAppended {
        /// The producer.
        producer: String,
        /// The topic.
        topic: String,
        /// The partition.
        partition: u32,
        /// The offset.
        offset: i64,
        /// The leader that wrote it.
        leader: u32,
        /// Why this partition.
        reason: PartitionReason,
        /// True when this was a retry of an earlier attempt.
        retry: bool,
    },
    /// An idempotent retry was recognised by its sequence number and not written again.
    DuplicateDropped {
        /// The producer.
        producer: String,
        /// The topic.
        topic: String,
        /// The partition.
        partition: u32,
        /// The sequence number.
        sequence: i32,
        /// The offset the original copy has.
        offset: i64,
    },
    /// The producer got a successful acknowledgement.
    RecordAcknowledged {
        /// The producer.
        producer: String,
        /// The topic.
        topic: String,
        /// The partition.
        partition: u32,
        /// The offset.
        offset: i64,
    },
    /// A produce attempt failed.
    ProduceFailed {
        /// The producer.
        producer: String,
        /// The topic.
        topic: String,
        /// The partition.
        partition: u32,
        /// Why.
        error: ProduceError,
        /// Whether the producer will send it again.
        will_retry: bool,
    },
    /// An idempotent producer bumped its epoch after a send failed for good
    /// with a sequence number the broker may hold (KIP-360); its sequences
    /// start again at 0.
    ProducerEpochBumped {
        /// The producer.
        producer: String,
        /// Its producer id.
        producer_id: i64,
        /// The new epoch.
        epoch: i16,
    },
    /// A follower copied records from the leader.
    RecordsReplicated {
        /// The topic.
        topic: String,
        /// The partition.
        partition: u32,
        /// The follower.
        broker: u32,
        /// First offset copied.
        from: i64,
        /// One past the last offset copied.
        to: i64,
    },
    /// The high watermark moved forward.
    HighWatermarkAdvanced {
        /// The topic.
        topic: String,
        /// The partition.
        partition: u32,
        /// The new high watermark.
        high_watermark: i64,
    },
    /// A new leader had a shorter log; records above its end were cut.
    RecordsTruncated {
        /// The topic.
        topic: String,
        /// The partition.
        partition: u32,
        /// First removed offset.
        from: i64,
        /// One past the last removed offset.
        to: i64,
        /// How many of them had been acknowledged to a producer (data loss).
        acknowledged_lost: u64,
        /// The new leader whose shorter log caused the cut.
        leader: u32,
    },
    /// Retention or compaction removed records.
    RecordsRemoved {
        /// The topic.
        topic: String,
        /// The partition.
        partition: u32,
        /// First offset of the removed range (compaction removes single offsets).
        from: i64,
        /// One past the last offset of the range.
        to: i64,
        /// How many records went.
        count: u64,
        /// Why.
        reason: RemovalReason,
    },
    /// The log start offset moved forward.
    LogStartOffsetMoved {
        /// The topic.
        topic: String,
        /// The partition.
        partition: u32,
        /// The new log start offset.
        log_start_offset: i64,
    },
    /// A transaction began.
    TransactionBegun {
        /// The producer.
        producer: String,
        /// The transactional id.
        transactional_id: String,
    },
    /// A transaction committed: markers written, offsets committed.
    TransactionCommitted {
        /// The producer.
        producer: String,
        /// The transactional id.
        transactional_id: String,
        /// Partitions that got a commit marker.
        partitions: Vec<TopicPartition>,
        /// Group offsets committed with it.
        offsets: Vec<(String, TopicPartition, i64)>,
    },
    /// `commitTransaction()` flushes first: the commit waits until every
    /// record of the transaction is acknowledged, then commits at that
    /// instant (`TransactionManager` holds `EndTxn` while batches are
    /// incomplete).
    TransactionFlushing {
        /// The producer.
        producer: String,
        /// The transactional id.
        transactional_id: String,
        /// How many of its records wait for their acknowledgement.
        records: u32,
    },
    /// A record of a committing transaction failed for good, so the commit
    /// fails and the transaction can only be aborted (`abortTransaction()`).
    TransactionCommitFailed {
        /// The producer.
        producer: String,
        /// The transactional id.
        transactional_id: String,
        /// Why the record failed.
        error: ProduceError,
    },
    /// A transaction aborted: markers written, its records hidden from read_committed.
    TransactionAborted {
        /// The producer.
        producer: String,
        /// The transactional id.
        transactional_id: String,
        /// Partitions that got an abort marker.
        partitions: Vec<TopicPartition>,
    },
    /// The transaction coordinator aborted a transaction open longer than
    /// its `transaction.timeout.ms` and bumped the epoch, fencing the producer.
    TransactionTimedOut {
        /// The producer that owned the transaction.
        producer: String,
        /// The transactional id.
        transactional_id: String,
        /// The new producer epoch.
        producer_epoch: i16,
    },
    /// The coordinator wrote a commit or abort marker to a partition.
    TransactionMarkerWritten {
        /// The transactional id.
        transactional_id: String,
        /// The topic.
        topic: String,
        /// The partition.
        partition: u32,
        /// The marker's offset.
        offset: i64,
        /// Commit (true) or abort.
        committed: bool,
    },
    /// Every marker of a transaction is written and replicated
    /// (`CompleteCommit`/`CompleteAbort`): read_committed consumers can read
    /// past it everywhere.
    TransactionCompleted {
        /// The producer that owned the transaction.
        producer: String,
        /// The transactional id.
        transactional_id: String,
        /// Commit (true) or abort.
        committed: bool,
    },
    /// The producer learned that a newer epoch of its transactional id
    /// exists (a new instance, or its transaction timed out): it is fenced.
    ProducerFenced {
        /// The fenced producer.
        producer: String,
        /// The transactional id.
        transactional_id: String,
    },
    /// A consumer joined its group.
    MemberJoined {
        /// The group.
        group: String,
        /// The member.
        member: String,
        /// The static instance id, if any.
        group_instance_id: Option<String>,
    },
    /// A static member came back under its instance id and kept its partitions without a rebalance.
    StaticMemberRejoined {
        /// The group.
        group: String,
        /// The new member.
        member: String,
        /// The member it replaced.
        replaced: String,
        /// The instance id.
        group_instance_id: String,
    },
    /// A member left the group.
    MemberLeft {
        /// The group.
        group: String,
        /// The member.
        member: String,
        /// Why.
        reason: RebalanceReason,
    },
    /// A rebalance started.
    RebalanceStarted {
        /// The group.
        group: String,
        /// The generation being formed.
        generation: i32,
        /// Why.
        reason: RebalanceReason,
        /// The assignor.
        assignor: Assignor,
        /// True for cooperative incremental, false for eager.
        cooperative: bool,
    },
    /// A member gave partitions up.
    PartitionsRevoked {
        /// The group.
        group: String,
        /// The generation being formed.
        generation: i32,
        /// The member.
        member: String,
        /// The partitions.
        partitions: Vec<TopicPartition>,
    },
    /// A member received partitions.
    PartitionsAssigned {
        /// The group.
        group: String,
        /// The generation being formed.
        generation: i32,
        /// The member.
        member: String,
        /// The newly added partitions.
        partitions: Vec<TopicPartition>,
    },
    /// A classic group moved between the coordinator's states
    /// (`ClassicGroupState`: Empty, PreparingRebalance, CompletingRebalance, Stable, Dead).
    GroupStateChanged {
        /// The group.
        group: String,
        /// The state before.
        from: GroupStateView,
        /// The state now.
        to: GroupStateView,
    },
    /// The broker coordinating a group changed: the leader of the group's
    /// `__consumer_offsets` partition moved (or there is none).
    CoordinatorMoved {
        /// The group.
        group: String,
        /// The group's `__consumer_offsets` partition.
        offsets_partition: u32,
        /// The coordinator before.
        from: Option<u32>,
        /// The coordinator now.
        to: Option<u32>,
    },
    /// A rebalance finished; every member's full assignment.
    RebalanceCompleted {
        /// The group.
        group: String,
        /// The generation.
        generation: i32,
        /// The assignment.
        assignment: Vec<(String, Vec<TopicPartition>)>,
    },
    /// A consumer-protocol group's epoch moved (KIP-848): a member joined
    /// or left, a subscription changed, or a subscribed topic grew.
    GroupEpochBumped {
        /// The group.
        group: String,
        /// The new group epoch.
        epoch: i32,
        /// Why.
        reason: RebalanceReason,
    },
    /// The coordinator computed a consumer-protocol group's target
    /// assignment for the group epoch, with a server assignor.
    TargetAssignmentComputed {
        /// The group.
        group: String,
        /// The assignment epoch (the group epoch it was computed for).
        epoch: i32,
        /// The server assignor.
        assignor: crate::server_assignor::ServerAssignor,
        /// Every member's target.
        assignment: Vec<(String, Vec<TopicPartition>)>,
    },
    /// A consumer-protocol member's state at the coordinator changed on a
    /// heartbeat: its member epoch, the partitions it may own, and those it
    /// must revoke before it moves to the new epoch.
    MemberReconciled {
        /// The group.
        group: String,
        /// The member.
        member: String,
        /// Its member epoch.
        member_epoch: i32,
        /// The partitions the heartbeat response gives it.
        assigned: Vec<TopicPartition>,
        /// The partitions it must revoke first.
        pending_revocation: Vec<TopicPartition>,
    },
    /// A group changed protocol (Kafka 4.0's online migration): a
    /// consumer-protocol member joined a classic group, or the last one
    /// left a group of classic members.
    GroupConverted {
        /// The group.
        group: String,
        /// The protocol it has now.
        to: crate::config::GroupProtocol,
    },
    /// The coordinator deleted committed offsets past `offsets.retention.minutes`.
    OffsetsExpired {
        /// The group.
        group: String,
        /// The partitions whose offsets expired.
        partitions: Vec<TopicPartition>,
    },
    /// A consumer had no valid position and applied `auto.offset.reset`.
    OffsetReset {
        /// The consumer.
        consumer: String,
        /// The offset it could not use: an out-of-range committed or
        /// current position, or `None` when the group had committed nothing.
        invalid: Option<i64>,
        /// The partition.
        partition: TopicPartition,
        /// The new position.
        offset: i64,
        /// The strategy used.
        strategy: OffsetReset,
    },
    /// A poll returned records from one partition.
    RecordsFetched {
        /// The consumer.
        consumer: String,
        /// Its group.
        group: String,
        /// The partition.
        partition: TopicPartition,
        /// First offset returned.
        from: i64,
        /// Last offset returned.
        to: i64,
        /// How many records.
        count: u32,
    },
    /// Offsets were committed for a group.
    OffsetsCommitted {
        /// The group.
        group: String,
        /// The consumer that committed, or the transactional producer.
        by: String,
        /// The offsets.
        offsets: Vec<(TopicPartition, i64)>,
        /// True for auto-commit.
        auto: bool,
    },
    /// A consumer moved its position.
    Seeked {
        /// The consumer.
        consumer: String,
        /// The partition.
        partition: TopicPartition,
        /// The new position.
        offset: i64,
    },
    /// A share consumer joined its share group.
    ShareMemberJoined {
        /// The share group.
        group: String,
        /// The member.
        member: String,
        /// The topics it subscribed to.
        topics: Vec<String>,
    },
    /// A share consumer left its share group.
    ShareMemberLeft {
        /// The share group.
        group: String,
        /// The member.
        member: String,
    },
    /// A share-partition was initialised by `share.auto.offset.reset`.
    SharePartitionInitialized {
        /// The share group.
        group: String,
        /// The partition.
        partition: TopicPartition,
        /// The share-partition start offset it begins at.
        start_offset: i64,
        /// The strategy used.
        strategy: crate::config::ShareOffsetReset,
    },
    /// A share fetch acquired a record under a lock.
    ShareRecordAcquired {
        /// The share group.
        group: String,
        /// The consumer that holds it.
        consumer: String,
        /// The partition.
        partition: TopicPartition,
        /// The offset.
        offset: i64,
        /// Which delivery attempt this is (1 for the first).
        delivery_count: u16,
        /// When the lock expires, in logical milliseconds.
        locked_until: u64,
    },
    /// A consumer accepted a record: it is acknowledged.
    ShareRecordAccepted {
        /// The share group.
        group: String,
        /// The consumer.
        consumer: String,
        /// The partition.
        partition: TopicPartition,
        /// The offset.
        offset: i64,
    },
    /// An acquired record became available again: released by its consumer,
    /// its lock expired, or its consumer left.
    ShareRecordReleased {
        /// The share group.
        group: String,
        /// The consumer that held it.
        consumer: String,
        /// The partition.
        partition: TopicPartition,
        /// The offset.
        offset: i64,
        /// Deliveries so far, kept for the next attempt.
        delivery_count: u16,
        /// Why.
        reason: ShareReleaseReason,
    },
    /// A consumer rejected a record: it is archived and never delivered again.
    ShareRecordRejected {
        /// The share group.
        group: String,
        /// The consumer.
        consumer: String,
        /// The partition.
        partition: TopicPartition,
        /// The offset.
        offset: i64,
    },
    /// A record's last allowed delivery failed (released, lock expired or
    /// its consumer left with `group.share.delivery.count.limit` reached), so
    /// it is archived instead of becoming available again.
    ShareRecordArchived {
        /// The share group.
        group: String,
        /// The consumer that held it last.
        consumer: String,
        /// The partition.
        partition: TopicPartition,
        /// The offset.
        offset: i64,
        /// Deliveries made.
        delivery_count: u16,
        /// How the last delivery failed.
        reason: ShareReleaseReason,
    },
    /// The share-partition start offset moved past acknowledged and archived records.
    ShareStartOffsetMoved {
        /// The share group.
        group: String,
        /// The partition.
        partition: TopicPartition,
        /// The new share-partition start offset.
        start_offset: i64,
    },
    /// Time passed.
    Ticked {
        /// The logical time now, in milliseconds.
        now: u64,
    },
}
