//! Read-only snapshots for drawing: brokers, partitions, groups, clients and
//! record explanations. They are owned serde data so the UI can keep them in
//! signals and tests can compare them.

use crate::assignor::{Assignor, TopicPartition};
use crate::command::ProduceError;
use crate::config::{ConsumerConfig, GroupProtocol, ProducerConfig, TopicConfig};
use crate::log::PartitionReason;
use crate::server_assignor::ServerAssignor;
use serde::{Deserialize, Serialize};

/// A broker.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BrokerView {
    /// The broker id.
    pub id: u32,
    /// Whether it is running.
    pub alive: bool,
    /// Whether its followers are paused.
    pub replication_paused: bool,
    /// How many partitions it leads (in the metadata: a crashed broker
    /// leads until the controller fences it).
    pub leader_count: u32,
    /// Whether the controller has fenced it: stopped and out of every ISR
    /// and leadership. A crashed broker is not fenced until its session
    /// expires.
    #[serde(default)]
    pub fenced: bool,
    /// When a crashed, not yet fenced broker's session expires.
    #[serde(default)]
    pub session_expires_ms: Option<u64>,
}

/// What the controller knows about the whole cluster.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ControllerView {
    /// Running brokers.
    pub live_brokers: u32,
    /// Leader elections after topic creation (crashes, restarts, unclean elections).
    pub leader_elections: u64,
    /// Partitions without a leader.
    pub offline_partitions: u32,
    /// Partitions whose ISR is smaller than their replica set.
    pub under_replicated_partitions: u32,
}

/// A topic and its partitions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TopicView {
    /// The name.
    pub name: String,
    /// Its configuration.
    pub config: TopicConfig,
    /// Its partitions.
    pub partitions: Vec<PartitionView>,
}

/// One replica of a partition.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReplicaView {
    /// The broker holding it.
    pub broker: u32,
    /// Whether that broker runs.
    pub alive: bool,
    /// Whether it is in the ISR.
    pub in_isr: bool,
    /// Whether it leads.
    pub is_leader: bool,
    /// Its log end offset.
    pub log_end_offset: i64,
    /// Its high watermark.
    pub high_watermark: i64,
}

/// One partition.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartitionView {
    /// The topic.
    pub topic: String,
    /// The partition index.
    pub partition: u32,
    /// The leader the metadata names, if any: until the controller fences a
    /// crashed leader, it stays the leader, unreachable (its replica is not `alive`).
    pub leader: Option<u32>,
    /// The leader epoch.
    pub leader_epoch: u32,
    /// The replicas in assignment order (the first is the preferred leader).
    pub replicas: Vec<ReplicaView>,
    /// The in-sync replicas.
    pub isr: Vec<u32>,
    /// The partition high watermark.
    pub high_watermark: i64,
    /// The log start offset.
    pub log_start_offset: i64,
    /// The log end offset of the leader's log.
    pub log_end_offset: i64,
    /// The last stable offset (read_committed readers stop here).
    pub last_stable_offset: i64,
    /// Records held.
    pub retained_records: u64,
    /// Bytes held.
    pub retained_bytes: u64,
    /// Segments.
    pub segments: u32,
    /// The eligible leader replicas (KIP-966): replicas that left the ISR
    /// while it was below `min.insync.replicas`, which may still lead
    /// without data loss.
    #[serde(default)]
    pub elr: Vec<u32>,
    /// `LastKnownElr` (KIP-966): the last known leader, kept while the ISR
    /// is empty; with the ELR empty too, only it may lead again.
    #[serde(default)]
    pub last_known_elr: Vec<u32>,
}

/// A group's state as the coordinator sees it between commands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum GroupStateView {
    /// No members.
    Empty,
    /// A rebalance started: the coordinator waits for every member to
    /// rejoin (JoinGroup), at most the rebalance timeout.
    PreparingRebalance,
    /// Everyone joined; the coordinator waits for the leader's assignment (SyncGroup).
    CompletingRebalance,
    /// Members with a settled assignment.
    Stable,
    /// The group is gone.
    Dead,
    /// A consumer-protocol group (KIP-848) whose group epoch is ahead of
    /// its target assignment: the next heartbeat computes a new one.
    Assigning,
    /// A consumer-protocol group whose members have not all reached the
    /// target assignment: some revoke, some wait for partitions.
    Reconciling,
}

/// One group member.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberView {
    /// The member id (the consumer's name).
    pub member_id: String,
    /// The static instance id.
    pub group_instance_id: Option<String>,
    /// Whether the consumer process runs.
    pub alive: bool,
    /// Its partitions; empty for an idle member.
    pub assignment: Vec<TopicPartition>,
    /// Its subscribed topics.
    pub subscription: Vec<String>,
    /// Whether it has rejoined in the current rebalance.
    pub joined: bool,
    /// The protocol the member speaks (a consumer-protocol group may hold
    /// classic members while it migrates).
    pub protocol: GroupProtocol,
    /// Its member epoch, in a consumer-protocol group.
    pub member_epoch: Option<i32>,
    /// Its target assignment, in a consumer-protocol group.
    pub target: Vec<TopicPartition>,
    /// Partitions it still owns and must revoke before it moves to the
    /// target epoch (consumer-protocol groups).
    pub pending_revocation: Vec<TopicPartition>,
}

/// Lag of one partition for one group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartitionLag {
    /// The partition.
    pub partition: TopicPartition,
    /// The committed offset.
    pub committed: Option<i64>,
    /// The end offset consumers can reach: the high watermark, or the last
    /// stable offset when the partition's reader (or, without an owner, a
    /// member of the group) reads committed.
    pub log_end_offset: i64,
    /// How many records are not yet committed; unknown (`None`, "-" in
    /// `kafka-consumer-groups`) without a committed offset.
    pub lag: Option<i64>,
    /// The member that owns it.
    pub owner: Option<String>,
}

/// A consumer group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupView {
    /// The group id.
    pub group_id: String,
    /// The group protocol: classic, or consumer (KIP-848).
    pub protocol: GroupProtocol,
    /// Its assignor (classic groups).
    pub assignor: Assignor,
    /// The current generation; the group epoch of a consumer-protocol group.
    pub generation: i32,
    /// The group epoch (consumer-protocol groups).
    pub group_epoch: Option<i32>,
    /// The epoch of the current target assignment (consumer-protocol groups).
    pub assignment_epoch: Option<i32>,
    /// The server assignor of the current target (consumer-protocol groups).
    pub server_assignor: Option<ServerAssignor>,
    /// The coordinator's state of the group.
    pub state: GroupStateView,
    /// The group's `__consumer_offsets` partition: `abs(groupId.hashCode()) % 50`.
    pub offsets_partition: u32,
    /// The broker coordinating the group (the leader of that partition), if any is alive.
    pub coordinator: Option<u32>,
    /// When the join phase ends at the latest (PreparingRebalance only).
    pub join_deadline_ms: Option<u64>,
    /// Members in join order.
    pub members: Vec<MemberView>,
    /// Committed offsets.
    pub committed: Vec<(TopicPartition, i64)>,
    /// Lag per partition.
    pub lag: Vec<PartitionLag>,
}

/// Whether a client runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ClientStatus {
    /// Running.
    Active,
    /// Killed.
    Crashed,
    /// Closed cleanly.
    Closed,
}

/// A consumer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsumerView {
    /// Its name (member id).
    pub name: String,
    /// Its configuration.
    pub config: ConsumerConfig,
    /// Running or not.
    pub status: ClientStatus,
    /// Whether it is a group member now.
    pub in_group: bool,
    /// Subscribed topics.
    pub subscription: Vec<String>,
    /// The partitions it holds and fetches: its last applied assignment.
    pub assignment: Vec<TopicPartition>,
    /// The generation it is part of; `None` when it is not part of an
    /// active group (not joined yet, left, or kicked out).
    pub generation: Option<i32>,
    /// Whether it has sent JoinGroup and waits for the rebalance to complete.
    pub rebalancing: bool,
    /// Next offset to read per partition.
    pub positions: Vec<(TopicPartition, i64)>,
}

/// A record the producer has not settled yet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InFlightView {
    /// Where it goes.
    pub partition: TopicPartition,
    /// Its sequence number (-1 without idempotence).
    pub sequence: i32,
    /// Attempts so far.
    pub attempts: u32,
    /// The offset of the last attempt, if the leader appended it.
    pub appended_at: Option<i64>,
    /// When it waits in the producer: the instant of its next attempt
    /// (after `retry.backoff.ms` when it failed, or once a leader is known).
    pub next_attempt_ms: Option<u64>,
    /// When it was appended: the instant its request times out
    /// (`request.timeout.ms`) unless the acknowledgement comes first.
    pub request_deadline_ms: Option<u64>,
    /// When the send fails for good (`delivery.timeout.ms` after `send()`).
    pub delivery_deadline_ms: u64,
    /// Why the last attempt failed, if one did.
    pub last_error: Option<ProduceError>,
}

/// An open batch in the producer's accumulator (`RecordAccumulator`): records
/// to one partition that have not been sent yet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccumulatorBatchView {
    /// Where it goes.
    pub partition: TopicPartition,
    /// How many records it holds.
    pub records: u32,
    /// Their size, by [`crate::RecordData::size_bytes`]; a batch is sent at
    /// once when it reaches `batch.size`.
    pub bytes: u64,
    /// When its first record was sent (`send()`).
    pub created_ms: u64,
    /// How long its first record has waited, at the time of the view.
    pub age_ms: u64,
    /// When it may go: its first record's instant plus `linger.ms`. It
    /// waits longer while the partition has no leader, while earlier records
    /// to the partition wait for a retry, or while
    /// `max.in.flight.requests.per.connection` requests are unanswered.
    pub ready_at_ms: u64,
    /// Whether the partition has a leader to send it to.
    pub leader_known: bool,
}

/// One produce request sent to a partition leader and not answered yet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProduceRequestView {
    /// The producer's request number (first request is 1).
    pub request: u64,
    /// The broker it was sent to: the partition leader, or `None` when
    /// leadership has moved since (the answer will be NOT_LEADER_OR_FOLLOWER).
    pub broker: Option<u32>,
    /// Where its records go.
    pub partition: TopicPartition,
    /// How many records it carries.
    pub records: u32,
    /// The offsets the leader appended them at (first and last).
    pub offsets: (i64, i64),
    /// Which attempt this is for its records (1 for a first send).
    pub attempt: u32,
    /// When it was sent.
    pub sent_ms: u64,
    /// When it times out unless answered (`request.timeout.ms`).
    pub deadline_ms: u64,
}

/// Records that failed an attempt with a retriable error and wait for their
/// next one (after `retry.backoff.ms`, doubling up to `retry.backoff.max.ms`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RetryView {
    /// Where they go.
    pub partition: TopicPartition,
    /// How many records wait together.
    pub records: u32,
    /// The number of the coming attempt (2 for the first retry).
    pub attempt: u32,
    /// The earliest instant of that attempt.
    pub next_attempt_ms: u64,
    /// Why the last attempt failed.
    pub error: Option<ProduceError>,
    /// When they fail for good (`delivery.timeout.ms` after the first one's `send()`).
    pub delivery_deadline_ms: u64,
}

/// The transactional client's own state (`TransactionManager.State`), beside
/// its coordinator's [`TransactionState`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ClientTransactionState {
    /// `beginTransaction()` was called: sends belong to the transaction.
    InTransaction,
    /// `commitTransaction()` was called and flushes the transaction's
    /// records before it sends `EndTxn`.
    CommittingTransaction,
    /// A send of the transaction failed for good: it can only be aborted.
    AbortableError,
}

/// A `send()` blocked until its topic's metadata arrives.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MetadataWaitView {
    /// The topic it waits for.
    pub topic: String,
    /// The partition the record names, if it names one.
    pub partition: Option<u32>,
    /// When the producer asks for the metadata again.
    pub next_request_ms: u64,
    /// When the send fails with `TimeoutException` (`max.block.ms`).
    pub until: u64,
}

/// A producer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProducerView {
    /// Its name.
    pub name: String,
    /// Its configuration.
    pub config: ProducerConfig,
    /// The producer id (-1 without idempotence).
    pub producer_id: i64,
    /// The producer epoch.
    pub epoch: i16,
    /// Unsettled records, one by one, in the order they were sent.
    pub in_flight: Vec<InFlightView>,
    /// The same records grouped as the producer holds them: first the
    /// batches in the accumulator (never sent yet) ...
    pub accumulator: Vec<AccumulatorBatchView>,
    /// ... then the requests sent and waiting for their answer ...
    pub requests: Vec<ProduceRequestView>,
    /// ... and the records waiting to be retried.
    pub retries: Vec<RetryView>,
    /// Sends blocked in `send()` for their topic's metadata, before any
    /// partition is chosen (`max.block.ms`).
    pub waiting_for_metadata: Vec<MetadataWaitView>,
    /// Whether a transaction is open.
    pub transaction_open: bool,
    /// The client's transaction state while a transaction is open.
    pub transaction_state: Option<ClientTransactionState>,
    /// Its `transactional.id` as the coordinator sees it: the coordinator's
    /// [`TransactionState`] and the broker coordinating it (`None` without a
    /// transactional id, before `initTransactions()`, or once a newer
    /// instance of the id has taken it over).
    pub transaction: Option<TransactionView>,
    /// Whether it learned that a newer epoch of its transactional id fenced it
    /// (a new instance, or its transaction timed out).
    pub fenced: bool,
    /// Whether it was closed.
    pub closed: bool,
}

/// Who in one group reads a record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupReader {
    /// The group.
    pub group: String,
    /// The member owning the partition, if any.
    pub member: Option<String>,
    /// The group's committed offset for the partition.
    pub committed: Option<i64>,
    /// Whether the committed offset is past the record.
    pub consumed: bool,
    /// A sentence saying why.
    pub reason: String,
}

/// How far a record has replicated to one replica.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReplicaProgress {
    /// The broker.
    pub broker: u32,
    /// Whether it runs.
    pub alive: bool,
    /// Whether it is in the ISR.
    pub in_isr: bool,
    /// Whether it leads.
    pub is_leader: bool,
    /// Whether its log reaches the record.
    pub has_record: bool,
    /// Its log end offset.
    pub log_end_offset: i64,
}

/// Everything the engine can say about one record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordExplanation {
    /// The topic.
    pub topic: String,
    /// The partition.
    pub partition: u32,
    /// The offset.
    pub offset: i64,
    /// The key.
    pub key: Option<Vec<u8>>,
    /// The partitioning decision as data.
    pub reason: PartitionReason,
    /// The murmur2 hash of the key, when it has one.
    pub murmur2: Option<i32>,
    /// The partitioning decision in words.
    pub placement: String,
    /// Per group: who reads it and why.
    pub readers: Vec<GroupReader>,
    /// Per replica: whether it has the record.
    pub replication: Vec<ReplicaProgress>,
    /// Whether it is below the high watermark (committed, readable).
    pub below_high_watermark: bool,
    /// Replication progress in words.
    pub replication_summary: String,
    /// Whether it belongs to an aborted transaction.
    pub aborted: bool,
    /// Whether it was written in a transaction.
    pub transactional: bool,
}

/// A share-group record's state, Kafka's `SharePartition.RecordState` (KIP-932).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ShareRecordState {
    /// Ready to be acquired by the next share fetch.
    Available,
    /// Locked to one consumer until its lock expires.
    Acquired,
    /// Accepted: processed, never delivered again.
    Acknowledged,
    /// Rejected, or out of delivery attempts: never delivered again.
    Archived,
}

/// One in-flight record of a share-partition.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShareRecordView {
    /// The offset.
    pub offset: i64,
    /// Its state.
    pub state: ShareRecordState,
    /// How many times it has been acquired.
    pub delivery_count: u16,
    /// The consumer that holds it (acquired) or held it last.
    pub consumer: Option<String>,
    /// When its lock expires, while it is acquired.
    pub locked_until: Option<u64>,
}

/// A share group's view of one partition (a share-partition).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SharePartitionView {
    /// The partition.
    pub partition: TopicPartition,
    /// The share-partition start offset (SPSO): every record below it is
    /// acknowledged or archived.
    pub start_offset: i64,
    /// The share-partition end offset (SPEO) as Kafka keeps it: the last
    /// in-flight offset, or the start offset when nothing is in flight.
    pub end_offset: i64,
    /// The records from the start offset up to the end offset, in order.
    pub in_flight: Vec<ShareRecordView>,
}

/// A share group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShareGroupView {
    /// The group id.
    pub group_id: String,
    /// Its settings.
    pub config: crate::config::ShareGroupConfig,
    /// Its members in join order.
    pub members: Vec<String>,
    /// Every initialised share-partition, by topic and partition.
    pub partitions: Vec<SharePartitionView>,
}

/// A share consumer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShareConsumerView {
    /// Its name, also its member id.
    pub name: String,
    /// Its configuration.
    pub config: crate::config::ShareConsumerConfig,
    /// The topics it subscribed to.
    pub subscription: Vec<String>,
    /// Whether it was closed.
    pub closed: bool,
    /// The records its last poll delivered that it has not acknowledged yet,
    /// in topic, partition and offset order.
    pub unacknowledged: Vec<(TopicPartition, i64)>,
}

/// A transaction's state at its coordinator (`TransactionState` in
/// `TransactionMetadata.scala`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum TransactionState {
    /// `initTransactions` ran; no transaction yet.
    Empty,
    /// A partition or the group offsets were added: the transaction is open
    /// and `transaction.timeout.ms` runs from this moment.
    Ongoing,
    /// `commitTransaction` was logged; the commit markers are being written.
    PrepareCommit,
    /// `abortTransaction`, a close, a new instance or the timeout: the abort
    /// markers are being written.
    PrepareAbort,
    /// Every commit marker is written and replicated.
    CompleteCommit,
    /// Every abort marker is written and replicated.
    CompleteAbort,
}

/// A `transactional.id` as its transaction coordinator sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransactionView {
    /// The transactional id.
    pub transactional_id: String,
    /// The producer instance that owns it now.
    pub producer: String,
    /// The producer id.
    pub producer_id: i64,
    /// The coordinator's producer epoch: requests with an older one are fenced.
    pub producer_epoch: i16,
    /// The state.
    pub state: TransactionState,
    /// The `__transaction_state` partition that holds it:
    /// `abs(transactionalId.hashCode) % 50`.
    pub coordinator_partition: u32,
    /// The broker leading that partition, which coordinates the transaction
    /// (`None` while none of its replicas is alive).
    pub coordinator: Option<u32>,
    /// The partitions of the current (or last) transaction.
    pub partitions: Vec<TopicPartition>,
    /// When the open transaction started (its first partition was added).
    pub started_ms: Option<u64>,
    /// `transaction.timeout.ms`.
    pub timeout_ms: u64,
    /// Partitions whose marker is not yet written and replicated.
    pub pending_markers: Vec<TopicPartition>,
}

/// One voter of the KRaft controller quorum.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuorumVoterView {
    /// Its node id (100, 101, ...).
    pub id: u32,
    /// Whether it runs.
    pub alive: bool,
    /// Whether it is the active controller (the Raft leader).
    pub leader: bool,
}

/// The controller quorum and the tail of its metadata log (`__cluster_metadata`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MetadataLogView {
    /// The voters.
    pub controllers: Vec<QuorumVoterView>,
    /// The active controller, if the quorum has one.
    pub leader: Option<u32>,
    /// The quorum's epoch (it grows with every leader election).
    pub epoch: u32,
    /// Whether a majority of the voters run.
    pub has_majority: bool,
    /// The offset the next record will get.
    pub end_offset: u64,
    /// The latest records, oldest first.
    pub records: Vec<MetadataRecord>,
}

/// What a `BrokerRegistrationChangeRecord` changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum BrokerChange {
    /// The broker may lead and be in ISRs again.
    Unfence,
    /// The broker's session expired or it shut down: it leads nothing.
    Fence,
    /// The broker asked to shut down cleanly.
    ControlledShutdown,
}

/// A record of the metadata log, in Kafka's record names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum MetadataPayload {
    /// The quorum's `LeaderChangeMessage`: a controller won an election.
    LeaderChange {
        /// The new active controller.
        leader: u32,
        /// Its epoch.
        epoch: u32,
    },
    /// `RegisterBrokerRecord`.
    RegisterBroker {
        /// The broker.
        broker: u32,
        /// Its new broker epoch (this record's offset).
        broker_epoch: u64,
    },
    /// `BrokerRegistrationChangeRecord`.
    BrokerRegistrationChange {
        /// The broker.
        broker: u32,
        /// Its broker epoch.
        broker_epoch: u64,
        /// What changed.
        change: BrokerChange,
    },
    /// `TopicRecord`.
    Topic {
        /// The topic.
        name: String,
    },
    /// `PartitionRecord`: a new partition.
    Partition {
        /// The topic.
        topic: String,
        /// The partition.
        partition: u32,
        /// Its replicas.
        replicas: Vec<u32>,
        /// Its ISR.
        isr: Vec<u32>,
        /// Its leader.
        leader: Option<u32>,
        /// Its leader epoch.
        leader_epoch: u32,
    },
    /// `PartitionChangeRecord`: only the fields that changed are set.
    PartitionChange {
        /// The topic.
        topic: String,
        /// The partition.
        partition: u32,
        /// The new leader (`Some(None)`: no leader), when it changed.
        leader: Option<Option<u32>>,
        /// The leader epoch after the change.
        leader_epoch: u32,
        /// The new ISR, when it changed.
        isr: Option<Vec<u32>>,
        /// The new eligible leader replicas (KIP-966), when they changed.
        elr: Option<Vec<u32>>,
        /// The new `LastKnownElr` (KIP-966: the last known leader, set when
        /// the ISR becomes empty), when it changed.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        last_known_elr: Option<Vec<u32>>,
    },
    /// `ConfigRecord`.
    Config {
        /// `broker` (the cluster default) or `topic NAME`.
        resource: String,
        /// The key.
        key: String,
        /// The value; `None` deletes it.
        value: Option<String>,
    },
}

/// One record of the metadata log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MetadataRecord {
    /// Its offset in `__cluster_metadata`.
    pub offset: u64,
    /// The quorum epoch it was written in.
    pub epoch: u32,
    /// When, in logical milliseconds.
    pub time_ms: u64,
    /// What it says.
    pub record: MetadataPayload,
}

fn ids(v: &[u32]) -> String {
    let parts: Vec<String> = v.iter().map(u32::to_string).collect();
    format!("[{}]", parts.join(","))
}

impl std::fmt::Display for MetadataPayload {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            MetadataPayload::LeaderChange { leader, epoch } => {
                write!(f, "LeaderChange controller {leader} epoch {epoch}")
            }
            MetadataPayload::RegisterBroker { broker, broker_epoch } => {
                write!(f, "RegisterBrokerRecord broker {broker} epoch {broker_epoch}")
            }
            MetadataPayload::BrokerRegistrationChange { broker, change, .. } => {
                let what = match change {
                    BrokerChange::Unfence => "unfence",
                    BrokerChange::Fence => "fence",
                    BrokerChange::ControlledShutdown => "controlled shutdown",
                };
                write!(f, "BrokerRegistrationChangeRecord broker {broker} {what}")
            }
            MetadataPayload::Topic { name } => write!(f, "TopicRecord {name}"),
            MetadataPayload::Partition { topic, partition, replicas, isr, leader, leader_epoch } => {
                let leader = leader.map_or("none".to_string(), |l| l.to_string());
                write!(
                    f,
                    "PartitionRecord {topic}-{partition} replicas {} isr {} leader {leader} epoch {leader_epoch}",
                    ids(replicas),
                    ids(isr)
                )
            }
            MetadataPayload::PartitionChange { topic, partition, leader, leader_epoch, isr, elr, last_known_elr } => {
                write!(f, "PartitionChangeRecord {topic}-{partition}")?;
                if let Some(l) = leader {
                    match l {
                        Some(l) => write!(f, " leader {l} epoch {leader_epoch}")?,
                        None => write!(f, " leader none")?,
                    }
                }
                if let Some(isr) = isr {
                    write!(f, " isr {}", ids(isr))?;
                }
                if let Some(elr) = elr {
                    write!(f, " elr {}", ids(elr))?;
                }
                if let Some(last) = last_known_elr {
                    write!(f, " lastKnownElr {}", ids(last))?;
                }
                Ok(())
            }
            MetadataPayload::Config { resource, key, value } => match value {
                Some(v) => write!(f, "ConfigRecord {resource} {key}={v}"),
                None => write!(f, "ConfigRecord {resource} {key} deleted"),
            },
        }
    }
}
