//! The simulated cluster: brokers, controller, topics, producers, consumers and groups.
//!
//! [`Cluster::apply`] is the single entry point: a [`Command`] goes in and an
//! [`Outcome`] with the [`Event`]s it caused comes out. The ergonomic methods
//! (`produce`, `poll`, `crash_broker`, `tick`, ...) are thin wrappers that the
//! UI and tests can call directly. Time is logical and continuous
//! (`time`): everything that falls due inside a tick happens at its own
//! instant. All random choices (replica placement, the sticky partitioner)
//! come from one seeded `ChaCha8Rng`.
//!
//! Each partition keeps one [`Log`] and, per replica, how far that replica
//! has copied it. When a leader with a shorter log takes over, the log is cut
//! back to its end, which is exactly the data loss (or, with acks=all and a
//! clean election, the absence of loss) a learner should see.
//!
//! This module holds the state types and the command dispatch; the children
//! hold the behaviour by concern:
//!
//! - `topics`: brokers, topics, replica placement, leader election, the high watermark;
//! - `replication`: followers fetching, ISR changes, retention and compaction;
//! - `producers`: partition choice, the produce path, in-flight requests;
//! - `transactions`: transactional ids, fencing, commit and abort markers;
//! - `groups`: consumers, membership, rebalances, the coordinator's timeouts;
//! - `consumer_groups`: the consumer group protocol (KIP-848): group and
//!   member epochs, target assignments, heartbeats, online migration;
//! - `offsets`: committed offsets' retention (`offsets.retention.minutes`);
//! - `fetch`: start positions, `poll`, `commit`, `seek`;
//! - `share`: share groups (KIP-932): acquisition locks, acknowledgements, the SPSO;
//! - `controller`: broker sessions and fencing, controlled shutdown, preferred leaders;
//! - `kraft`: the controller quorum and the metadata log;
//! - `time`: `tick` and the agenda of due instants;
//! - `views`: read-only snapshots and record explanations.

use crate::assignor::{self, Assignor, MemberSubscription, TopicPartition};
use crate::command::{
    Command, ConsumerGroupMetadata, ElectionReason, Event, IsrShrinkReason, Outcome, ProduceError, ProducerRecord,
    RebalanceReason, SeekTo,
};
pub use crate::command::{ConsumerRecord, ProduceReceipt};
use crate::config::{
    Acks, CleanupPolicy, ClusterConfig, ConsumerConfig, GroupProtocol, IsolationLevel, OffsetReset, ProducerConfig,
    TopicConfig,
};
use crate::error::KafkaError;
use crate::log::{Log, LogSettings, PartitionReason, Record, RecordData, RecordKind};
use crate::partitioner::{PartitionerKind, RoundRobinPartitioner, StickyPartitioner, murmur2, to_positive};
use crate::view::*;
use rand_chacha::ChaCha8Rng;
use rand_core::{RngCore, SeedableRng};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

mod consumer_groups;
mod controller;
mod fetch;
mod kraft;
pub use kraft::{FIRST_CONTROLLER_ID, METADATA_LOG_KEEP};
mod groups;
mod offsets;
mod producers;
mod replication;
mod share;
mod time;
mod topics;
mod transactions;
pub use transactions::transaction_state_partition;
mod views;

#[derive(Debug, Clone)]
pub(crate) struct BrokerState {
    pub(crate) alive: bool,
    pub(crate) replication_paused: bool,
    /// The controller's view (`controller`): a crashed broker stays
    /// registered and unfenced until its session expires at this instant.
    pub(crate) session_expires_ms: Option<u64>,
    /// Restarted while its old session was still valid: it registers once
    /// the controller has fenced the old incarnation.
    pub(crate) restart_pending: bool,
    /// When the broker process last started: its ISR checks run from here
    /// every `replica.lag.time.max.ms / 2` (`replication`).
    pub(crate) started_ms: u64,
    /// It last stopped by crashing, so it returns without a clean-shutdown
    /// file and registers as an unclean shutdown (KIP-966).
    pub(crate) unclean_shutdown: bool,
}

#[derive(Debug, Clone)]
pub(crate) struct ReplicaState {
    pub(crate) broker: u32,
    pub(crate) log_end_offset: i64,
    pub(crate) high_watermark: i64,
    pub(crate) last_caught_up_ms: u64,
}

#[derive(Debug, Clone, Default)]
pub(crate) struct ProducerIdEntry {
    pub(crate) epoch: i16,
    pub(crate) last_sequence: i32,
    /// (sequence, offset, batch) of the records of the last five batches,
    /// like the broker's five cached `BatchMetadata` per producer
    /// (`ProducerStateEntry.NUM_BATCHES_TO_RETAIN`).
    pub(crate) recent: Vec<(i32, i64, u64)>,
}

#[derive(Debug, Clone)]
pub(crate) struct PartitionState {
    pub(crate) replicas: Vec<ReplicaState>,
    pub(crate) leader: Option<usize>,
    /// The leader the metadata still names while its broker is down and not
    /// yet fenced: clients cannot reach it, the controller elects no other.
    pub(crate) unreachable_leader: Option<usize>,
    pub(crate) leader_epoch: u32,
    pub(crate) isr: Vec<u32>,
    /// The eligible leader replicas (KIP-966), empty unless the ISR is below
    /// `min.insync.replicas` with ELR on.
    pub(crate) elr: Vec<u32>,
    /// `LastKnownElr` (KIP-966), which Kafka's controller uses to hold the
    /// last known leader: set when the ISR becomes empty, cleared when the
    /// partition has a leader again.
    pub(crate) last_known_elr: Vec<u32>,
    /// The leader epoch cache: each epoch and the offset its first record
    /// got (`LeaderEpochFileCache`), which answers OffsetsForLeaderEpoch.
    pub(crate) epoch_starts: Vec<(u32, i64)>,
    pub(crate) high_watermark: i64,
    pub(crate) log: Log,
    pub(crate) producers: BTreeMap<i64, ProducerIdEntry>,
    pub(crate) open_txns: BTreeMap<i64, i64>,
    /// Transactions whose marker is written but not yet below the high
    /// watermark: (producer id, first offset, marker offset). They hold the
    /// last stable offset back like open ones (`ProducerStateManager`'s
    /// `unreplicatedTxns`).
    pub(crate) unreplicated_txns: Vec<(i64, i64, i64)>,
    pub(crate) aborted: Vec<(i64, i64, i64)>,
}

impl PartitionState {
    pub(crate) fn replica(&self, broker: u32) -> Option<&ReplicaState> {
        self.replicas.iter().find(|r| r.broker == broker)
    }

    pub(crate) fn leader_broker(&self) -> Option<u32> {
        self.leader.and_then(|i| self.replicas.get(i)).map(|r| r.broker)
    }

    /// The leader the metadata names: the reachable leader, or a crashed one
    /// the controller has not fenced yet.
    pub(crate) fn metadata_leader(&self) -> Option<u32> {
        self.leader.or(self.unreachable_leader).and_then(|i| self.replicas.get(i)).map(|r| r.broker)
    }

    /// The first offset of the oldest transaction that is open or whose
    /// marker is not replicated yet, capped by the high watermark and never
    /// below the log start offset (`UnifiedLog.lastStableOffset`,
    /// `maybeIncrementFirstUnstableOffset`).
    pub(crate) fn last_stable_offset(&self) -> i64 {
        let hw = self.high_watermark;
        let mut lso = hw;
        for &first in self.open_txns.values() {
            lso = lso.min(first);
        }
        for &(_, first, marker) in &self.unreplicated_txns {
            if marker >= hw {
                lso = lso.min(first);
            }
        }
        lso.max(self.log.log_start_offset().min(hw))
    }

    /// OffsetsForLeaderEpoch on the leader: the largest epoch not above
    /// `epoch` in its cache and the offset where the next epoch starts (or
    /// the log end), `None` when the cache knows no such epoch.
    pub(crate) fn end_offset_for_epoch(&self, epoch: u32) -> Option<(u32, i64)> {
        let i = self.epoch_starts.iter().rposition(|&(e, _)| e <= epoch)?;
        let (found, _) = self.epoch_starts[i];
        let end = self.epoch_starts.get(i + 1).map_or(self.log.log_end_offset(), |&(_, start)| start);
        Some((found, end))
    }

    pub(crate) fn is_aborted(&self, producer_id: i64, offset: i64) -> bool {
        self.aborted.iter().any(|&(pid, first, last)| pid == producer_id && first <= offset && offset <= last)
    }
}

#[derive(Debug, Clone)]
pub(crate) struct TopicState {
    pub(crate) name: Arc<str>,
    pub(crate) config: TopicConfig,
    pub(crate) settings: LogSettings,
    pub(crate) partitions: Vec<PartitionState>,
    /// Partitions that currently have a leader, for the keyless partitioners.
    pub(crate) available: Vec<u32>,
}

#[derive(Debug, Clone)]
pub(crate) enum FlightState {
    /// In the accumulator: not sent yet, or waiting for its retry.
    Waiting,
    /// Appended by the leader at `offset`; the request, sent at `sent_ms`,
    /// waits for the high watermark to pass it.
    Appended { offset: i64, leader_epoch: u32, sent_ms: u64 },
}

#[derive(Debug, Clone)]
pub(crate) struct InFlight {
    pub(crate) topic: Arc<str>,
    pub(crate) partition: u32,
    pub(crate) data: RecordData,
    pub(crate) timestamp: i64,
    /// -1 until the record is first sent (or without idempotence).
    pub(crate) sequence: i32,
    /// The producer epoch the sequence belongs to.
    pub(crate) sequence_epoch: i16,
    pub(crate) reason: PartitionReason,
    pub(crate) transactional: bool,
    pub(crate) state: FlightState,
    pub(crate) attempts: u32,
    /// When `send()` was called: `delivery.timeout.ms` counts from here.
    pub(crate) created_ms: u64,
    /// The earliest instant of the next attempt (after `retry.backoff.ms`).
    pub(crate) next_attempt_ms: u64,
    /// Why the last attempt failed, when it did.
    pub(crate) last_error: Option<ProduceError>,
    /// The produce request of the last attempt (0 before the first): records
    /// drained together up to `batch.size` share one.
    pub(crate) request: u64,
}

#[derive(Debug, Clone, Default)]
pub(crate) struct TxnState {
    pub(crate) partitions: BTreeSet<TopicPartition>,
    pub(crate) offsets: Vec<(String, TopicPartition, i64)>,
    /// `commitTransaction()` was called and waits for the transaction's
    /// records to be acknowledged before it sends `EndTxn` (the client's
    /// `COMMITTING_TRANSACTION` state).
    pub(crate) committing: bool,
    /// A send of the transaction failed for good: the transaction can only
    /// be aborted (the client's `ABORTABLE_ERROR` state).
    pub(crate) failed: Option<ProduceError>,
    /// The group coordinator refused the transaction's offsets (KIP-447
    /// fencing): the client's `ABORTABLE_ERROR` state, with the error.
    pub(crate) offsets_refused: Option<KafkaError>,
}

#[derive(Debug, Clone)]
pub(crate) struct ProducerState {
    pub(crate) config: ProducerConfig,
    pub(crate) producer_id: i64,
    pub(crate) epoch: i16,
    pub(crate) sequences: BTreeMap<String, Vec<i32>>,
    pub(crate) sticky: BTreeMap<String, StickyPartitioner>,
    pub(crate) round_robin: BTreeMap<String, RoundRobinPartitioner>,
    pub(crate) in_flight: Vec<InFlight>,
    /// The id of the last produce request sent.
    pub(crate) last_request: u64,
    pub(crate) initialized: bool,
    pub(crate) txn: Option<TxnState>,
    pub(crate) fenced: bool,
    pub(crate) closed: bool,
    /// Sends blocked in `send()` until their topic's metadata arrives
    /// (`max.block.ms`).
    pub(crate) metadata_waits: Vec<producers::MetadataWait>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ConsumerStatus {
    Active,
    Crashed,
    Closed,
}

#[derive(Debug, Clone)]
pub(crate) struct ConsumerState {
    pub(crate) config: ConsumerConfig,
    pub(crate) subscription: Vec<String>,
    pub(crate) positions: BTreeMap<TopicPartition, i64>,
    pub(crate) status: ConsumerStatus,
    pub(crate) in_group: bool,
    pub(crate) last_poll_ms: u64,
    pub(crate) last_auto_commit_ms: u64,
    pub(crate) cursor: usize,
    /// The partitions the client holds and fetches (its last applied
    /// assignment), which can differ from the coordinator's during a rebalance.
    pub(crate) assigned: Vec<TopicPartition>,
    /// The generation the client is part of, `None` when it is not part of
    /// an active group (never joined, left, or kicked out).
    pub(crate) generation: Option<i32>,
    /// JoinGroup sent, the new assignment not applied yet.
    pub(crate) joining: bool,
    /// The client must rejoin on its next `poll()`, and why: its
    /// subscription changed, or a cooperative round revoked partitions.
    pub(crate) rejoin_needed: Option<RebalanceReason>,
    /// When a consumer-protocol member's background thread sends its next
    /// heartbeat (`None` outside a consumer-protocol group).
    pub(crate) next_heartbeat_ms: Option<u64>,
    /// The last forced metadata refresh (creation, `subscribe()`); the
    /// client refreshes every `metadata.max.age.ms` from then on.
    pub(crate) metadata_refreshed_ms: u64,
    /// The generation (member epoch) and member id of the last completed
    /// join, which `groupMetadata()` returns: set in `onJoinComplete` (a
    /// consumer-protocol member: at each new member epoch) and kept when the
    /// consumer leaves or is kicked out.
    pub(crate) joined: Option<(i32, String)>,
}

#[derive(Debug, Clone)]
pub(crate) struct MemberState {
    pub(crate) instance_id: Option<String>,
    pub(crate) last_heartbeat_ms: u64,
    pub(crate) session_timeout_ms: u64,
    pub(crate) owned_generation: i32,
}

#[derive(Debug, Clone)]
pub(crate) struct GroupState {
    pub(crate) assignor: Assignor,
    pub(crate) generation: i32,
    /// Members in join order (the coordinator's insertion order).
    pub(crate) members: Vec<String>,
    pub(crate) member_state: BTreeMap<String, MemberState>,
    pub(crate) assignment: BTreeMap<String, Vec<TopicPartition>>,
    pub(crate) committed: BTreeMap<TopicPartition, i64>,
    pub(crate) partition_counts: BTreeMap<String, u32>,
}

/// The simulated Kafka cluster.
#[derive(Debug, Clone)]
pub struct Cluster {
    pub(crate) config: ClusterConfig,
    pub(crate) now: u64,
    pub(crate) rng: ChaCha8Rng,
    pub(crate) brokers: Vec<BrokerState>,
    pub(crate) topics: BTreeMap<String, TopicState>,
    pub(crate) producers: BTreeMap<String, ProducerState>,
    pub(crate) consumers: BTreeMap<String, ConsumerState>,
    pub(crate) groups: BTreeMap<String, GroupState>,
    /// The transaction coordinator's metadata per `transactional.id`.
    pub(crate) transactional_ids: BTreeMap<String, transactions::TxnMeta>,
    pub(crate) next_producer_id: i64,
    pub(crate) elections: u64,
    pub(crate) events: Vec<Event>,
    pub(crate) record_events: bool,
    /// A log changed (append, truncation, a high watermark move) since the
    /// log cleaner last ran, so it runs at the next point of the grid.
    pub(crate) cleaner_pending: bool,
    /// When the log cleaner last ran (`None` before its first pass).
    pub(crate) last_cleaned: Option<u64>,
    /// The seed the cluster was created with, for invariant failure messages.
    pub(crate) seed: u64,
    /// Share groups and share consumers (KIP-932).
    pub(crate) shares: share::ShareState,
    /// The coordinator's protocol state of each classic group.
    pub(crate) classic: BTreeMap<String, groups::ClassicGroup>,
    /// The coordinator's state of each consumer-protocol group (KIP-848);
    /// a group is a consumer group exactly when it has an entry here.
    pub(crate) modern: BTreeMap<String, consumer_groups::ModernGroup>,
    /// When each group's offsets were committed and when it became Empty,
    /// for `offsets.retention.minutes`.
    pub(crate) offsets_meta: BTreeMap<String, offsets::OffsetsMeta>,
    /// When the controller next looks for leaders that are not the
    /// preferred replica (`controller`).
    pub(crate) leader_balance_due: Option<u64>,
    /// The controller quorum and the metadata log (`kraft`).
    pub(crate) kraft: kraft::Quorum,
    /// Per consumer and partition: the position a fetch left, the leader
    /// epoch of the last record it returned and the partition leader epoch
    /// the position was last validated against (KIP-320).
    pub(crate) fetch_epochs: BTreeMap<(String, TopicPartition), FetchEpoch>,
}

/// What a consumer knows about the epoch of its position (KIP-320's
/// `FetchPosition.offsetEpoch` and `currentLeader`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct FetchEpoch {
    pub(crate) offset: i64,
    pub(crate) record_epoch: u32,
    pub(crate) leader_epoch: u32,
}

fn log_settings(c: &TopicConfig) -> LogSettings {
    LogSettings {
        segment_bytes: c.segment_bytes,
        segment_ms: c.segment_ms,
        retention_ms: c.retention_ms,
        retention_bytes: c.retention_bytes,
        delete: matches!(c.cleanup_policy, CleanupPolicy::Delete | CleanupPolicy::DeleteCompact),
        compact: matches!(c.cleanup_policy, CleanupPolicy::Compact | CleanupPolicy::DeleteCompact),
        min_cleanable_dirty_ratio: c.min_cleanable_dirty_ratio,
        min_compaction_lag_ms: c.min_compaction_lag_ms,
        delete_retention_ms: c.delete_retention_ms,
    }
}

impl Cluster {
    /// A cluster of live brokers with no topics, seeded for every random choice.
    pub fn new(config: ClusterConfig, seed: u64) -> Result<Cluster, KafkaError> {
        config.validate()?;
        let brokers = (0..config.brokers)
            .map(|_| BrokerState {
                alive: true,
                replication_paused: false,
                session_expires_ms: None,
                restart_pending: false,
                started_ms: 0,
                unclean_shutdown: false,
            })
            .collect();
        let quorum = kraft::Quorum::new(config.controllers, config.brokers);
        Ok(Cluster {
            config,
            now: 0,
            rng: ChaCha8Rng::seed_from_u64(seed),
            brokers,
            topics: BTreeMap::new(),
            producers: BTreeMap::new(),
            consumers: BTreeMap::new(),
            groups: BTreeMap::new(),
            transactional_ids: BTreeMap::new(),
            next_producer_id: 1000,
            elections: 0,
            events: Vec::new(),
            record_events: true,
            cleaner_pending: false,
            last_cleaned: None,
            seed,
            shares: share::ShareState::default(),
            classic: BTreeMap::new(),
            modern: BTreeMap::new(),
            offsets_meta: BTreeMap::new(),
            leader_balance_due: None,
            kraft: quorum,
            fetch_epochs: BTreeMap::new(),
        })
        .map(|mut c| {
            c.bootstrap_metadata();
            c
        })
    }

    /// The cluster configuration.
    pub fn config(&self) -> &ClusterConfig {
        &self.config
    }

    /// The logical time in milliseconds.
    pub fn now(&self) -> u64 {
        self.now
    }

    /// Turns event collection on or off. Off, commands still run but return
    /// no events, which keeps the hot paths free of event allocations.
    pub fn set_event_recording(&mut self, on: bool) {
        self.record_events = on;
    }

    fn emit(&mut self, e: Event) {
        // Every offset commit, whoever makes it (a consumer, auto-commit, a
        // transaction), passes here: its instant starts its retention.
        if let Event::OffsetsCommitted { group, offsets, .. } = &e {
            self.note_commit(group, offsets);
        }
        if self.record_events {
            self.events.push(e);
        }
    }

    fn take_events(&mut self) -> Vec<Event> {
        std::mem::take(&mut self.events)
    }

    /// Runs one command body. On success the events come back with the
    /// value; on an error they stay in `self.events`, where
    /// [`Cluster::apply`] picks them up for its [`Outcome`] (the convenience
    /// methods drop them, and the next command clears them).
    fn run<T>(&mut self, f: impl FnOnce(&mut Self) -> Result<T, KafkaError>) -> Result<(T, Vec<Event>), KafkaError> {
        self.run_then(f, true)
    }

    /// [`Cluster::run`] for the commands that only write or read records
    /// (produce, poll, share poll and acknowledge): they never change a
    /// partition's leader, ISR or ELR, so the controller has nothing to
    /// publish, and the walk over every partition is skipped on the hot path.
    fn run_data<T>(
        &mut self,
        f: impl FnOnce(&mut Self) -> Result<T, KafkaError>,
    ) -> Result<(T, Vec<Event>), KafkaError> {
        self.run_then(f, false)
    }

    fn run_then<T>(
        &mut self,
        f: impl FnOnce(&mut Self) -> Result<T, KafkaError>,
        publish: bool,
    ) -> Result<(T, Vec<Event>), KafkaError> {
        self.events.clear();
        let result = f(self);
        if publish && self.quorum_active() {
            self.publish_partitions();
        }
        // `cfg!` rather than `#[cfg]`: release builds still type-check the
        // invariants (and use the seed), and the optimiser drops the call.
        if cfg!(debug_assertions) {
            crate::invariants::assert_holds(self);
        }
        match result {
            Ok(v) => Ok((v, self.take_events())),
            Err(e) => Err(e),
        }
    }

    /// A partition by topic name and index, if both exist.
    pub(crate) fn partition_at(&self, topic: &str, partition: usize) -> Option<&PartitionState> {
        self.topics.get(topic).and_then(|t| t.partitions.get(partition))
    }

    /// The mutable form of [`Cluster::partition_at`].
    pub(crate) fn partition_at_mut(&mut self, topic: &str, partition: usize) -> Option<&mut PartitionState> {
        self.topics.get_mut(topic).and_then(|t| t.partitions.get_mut(partition))
    }

    /// Runs one command and returns everything it did: its events (also
    /// those before an error), the error, a produce receipt, polled records.
    pub fn apply(&mut self, command: Command) -> Outcome {
        let mut receipt = None;
        let mut polled = Vec::new();
        let result = match command {
            Command::CreateTopic { name, config } => self.create_topic(&name, config),
            Command::AddPartitions { topic, total } => self.add_partitions(&topic, total),
            Command::CrashBroker { broker } => self.crash_broker(broker),
            Command::RestartBroker { broker } => self.restart_broker(broker),
            Command::ShutdownBroker { broker } => self.shutdown_broker(broker),
            Command::ElectPreferredLeaders => self.elect_preferred_leaders(),
            Command::CrashController { controller } => self.crash_controller(controller),
            Command::RestartController { controller } => self.restart_controller(controller),
            Command::PauseReplication { broker } => self.set_replication_paused(broker, true),
            Command::ResumeReplication { broker } => self.set_replication_paused(broker, false),
            Command::CreateProducer { name, config } => self.create_producer(&name, config),
            Command::Produce { producer, record } => self.produce(&producer, record).map(|(r, e)| {
                receipt = Some(r);
                e
            }),
            Command::InitTransactions { producer } => self.init_transactions(&producer),
            Command::BeginTransaction { producer } => self.begin_transaction(&producer),
            Command::SendOffsetsToTransaction { producer, group_metadata, offsets } => {
                self.send_offsets_to_transaction(&producer, &group_metadata, offsets)
            }
            Command::CommitTransaction { producer } => self.commit_transaction(&producer),
            Command::AbortTransaction { producer } => self.abort_transaction(&producer),
            Command::CloseProducer { producer } => self.close_producer(&producer),
            Command::CreateConsumer { name, config } => self.create_consumer(&name, config),
            Command::Subscribe { consumer, topics } => self.subscribe(&consumer, &topics),
            Command::Poll { consumer, max_records } => self.poll(&consumer, max_records).map(|(r, e)| {
                polled = r;
                e
            }),
            Command::Commit { consumer, offsets } => self.commit(&consumer, offsets),
            Command::Seek { consumer, partition, to } => self.seek(&consumer, &partition, to),
            Command::CloseConsumer { consumer } => self.close_consumer(&consumer),
            Command::CrashConsumer { consumer } => self.crash_consumer(&consumer),
            Command::Tick { ms } => self.tick(ms),
            Command::AlterShareGroupConfig { group, config } => self.alter_share_group_config(&group, config),
            Command::CreateShareConsumer { name, config } => self.create_share_consumer(&name, config),
            Command::ShareSubscribe { consumer, topics } => self.share_subscribe(&consumer, &topics),
            Command::SharePoll { consumer, max_records } => self.share_poll(&consumer, max_records).map(|(r, e)| {
                polled = r;
                e
            }),
            Command::ShareAcknowledge { consumer, partition, offset, kind } => {
                self.share_acknowledge(&consumer, &partition, offset, kind)
            }
            Command::CloseShareConsumer { consumer } => self.close_share_consumer(&consumer),
        };
        match result {
            Ok(events) => Outcome { events, error: None, receipt, polled },
            Err(error) => Outcome { events: self.take_events(), error: Some(error), receipt, polled },
        }
    }
}

/// Moves the high watermark up to the smallest log end offset in the ISR
/// and returns the new value when it moved. It never moves while the ISR is
/// smaller than the effective `min.insync.replicas`: Kafka 3.7.0 added that
/// check at the top of `Partition.maybeIncrementLeaderHW` (KAFKA-15583) with
/// no switch, so an acks=0 or acks=1 record written then stays invisible to
/// consumers until the ISR is back to the minimum.
fn advance_high_watermark(part: &mut PartitionState, min_isr: usize) -> Option<i64> {
    let li = part.leader?;
    if part.isr.len() < min_isr {
        return None;
    }
    let mut hw = part.log.log_end_offset();
    for r in &part.replicas {
        if part.isr.contains(&r.broker) {
            hw = hw.min(r.log_end_offset);
        }
    }
    if hw > part.high_watermark {
        part.high_watermark = hw;
        if !part.unreplicated_txns.is_empty() {
            part.unreplicated_txns.retain(|&(_, _, marker)| marker >= hw);
        }
        if let Some(r) = part.replicas.get_mut(li) {
            r.high_watermark = hw;
        }
        Some(hw)
    } else {
        None
    }
}

/// Recomputes the idempotence state from what the log still holds.
fn rebuild_producer_state(part: &mut PartitionState) {
    let mut producers: BTreeMap<i64, ProducerIdEntry> = BTreeMap::new();
    for r in part.log.iter() {
        if r.producer_id < 0 {
            continue;
        }
        if r.kind.is_control() {
            // A marker carries the producer's latest epoch, which fences
            // older ones (`ProducerAppendInfo.appendEndTxnMarker`).
            let e = producers
                .entry(r.producer_id)
                .or_insert_with(|| ProducerIdEntry { last_sequence: -1, ..Default::default() });
            if r.producer_epoch > e.epoch {
                e.epoch = r.producer_epoch;
                e.last_sequence = -1;
                e.recent.clear();
            }
            continue;
        }
        let e = producers.entry(r.producer_id).or_default();
        e.epoch = r.producer_epoch;
        e.last_sequence = r.sequence;
        // The log does not keep batch boundaries: each record counts as one.
        remember_batch(e, r.sequence, r.offset, r.offset as u64);
    }
    part.producers = producers;
}

/// Marks every follower that is at the leader's log end and fetching as
/// caught up now. Called before the leader appends, so a follower that was
/// in step is measured against `replica.lag.time.max.ms` from this instant.
fn note_caught_up(part: &mut PartitionState, brokers: &[BrokerState], now: u64) {
    let leo = part.log.log_end_offset();
    for r in &mut part.replicas {
        let fetching = brokers.get(r.broker as usize).is_some_and(|b| b.alive && !b.replication_paused);
        if fetching && r.log_end_offset >= leo {
            r.last_caught_up_ms = now;
        }
    }
}

/// Adds an appended record to a producer's cache of its last five batches
/// and forgets the records of older batches.
pub(crate) fn remember_batch(entry: &mut ProducerIdEntry, sequence: i32, offset: i64, batch: u64) {
    entry.recent.push((sequence, offset, batch));
    let mut batches = 0;
    let mut keep_from = 0;
    for i in (0..entry.recent.len()).rev() {
        if i + 1 == entry.recent.len() || entry.recent[i].2 != entry.recent[i + 1].2 {
            batches += 1;
            if batches > 5 {
                keep_from = i + 1;
                break;
            }
        }
    }
    if keep_from > 0 {
        entry.recent.drain(..keep_from);
    }
}
