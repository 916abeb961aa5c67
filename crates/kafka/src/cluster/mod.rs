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
//! - `fetch`: start positions, `poll`, `commit`, `seek`;
//! - `time`: `tick` and the agenda of due instants;
//! - `views`: read-only snapshots and record explanations.

use crate::assignor::{self, Assignor, MemberSubscription, TopicPartition};
use crate::command::{Command, Event, IsrShrinkReason, Outcome, ProduceError, ProducerRecord, RebalanceReason, SeekTo};
pub use crate::command::{ConsumerRecord, ProduceReceipt};
use crate::config::{
    Acks, CleanupPolicy, ClusterConfig, ConsumerConfig, IsolationLevel, OffsetReset, ProducerConfig, TopicConfig,
};
use crate::error::KafkaError;
use crate::log::{Log, LogSettings, PartitionReason, Record, RecordData, RecordKind};
use crate::partitioner::{PartitionerKind, RoundRobinPartitioner, StickyPartitioner, murmur2, to_positive};
use crate::view::*;
use rand_chacha::ChaCha8Rng;
use rand_core::{RngCore, SeedableRng};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

mod fetch;
mod groups;
mod producers;
mod replication;
mod time;
mod topics;
mod transactions;
mod views;

#[derive(Debug, Clone)]
struct BrokerState {
    alive: bool,
    replication_paused: bool,
}

#[derive(Debug, Clone)]
struct ReplicaState {
    broker: u32,
    log_end_offset: i64,
    high_watermark: i64,
    last_caught_up_ms: u64,
}

#[derive(Debug, Clone, Default)]
struct ProducerIdEntry {
    epoch: i16,
    last_sequence: i32,
    /// The last few (sequence, offset) pairs, like the broker's five cached batches.
    recent: Vec<(i32, i64)>,
}

#[derive(Debug, Clone)]
struct PartitionState {
    replicas: Vec<ReplicaState>,
    leader: Option<usize>,
    leader_epoch: u32,
    isr: Vec<u32>,
    high_watermark: i64,
    log: Log,
    producers: BTreeMap<i64, ProducerIdEntry>,
    open_txns: BTreeMap<i64, i64>,
    aborted: Vec<(i64, i64, i64)>,
}

impl PartitionState {
    fn replica(&self, broker: u32) -> Option<&ReplicaState> {
        self.replicas.iter().find(|r| r.broker == broker)
    }

    fn leader_broker(&self) -> Option<u32> {
        self.leader.map(|i| self.replicas[i].broker)
    }

    fn last_stable_offset(&self) -> i64 {
        self.open_txns.values().copied().min().map_or(self.high_watermark, |first| first.min(self.high_watermark))
    }

    fn is_aborted(&self, producer_id: i64, offset: i64) -> bool {
        self.aborted.iter().any(|&(pid, first, last)| pid == producer_id && first <= offset && offset <= last)
    }
}

#[derive(Debug, Clone)]
struct TopicState {
    name: Arc<str>,
    config: TopicConfig,
    settings: LogSettings,
    partitions: Vec<PartitionState>,
    /// Partitions that currently have a leader, for the keyless partitioners.
    available: Vec<u32>,
}

#[derive(Debug, Clone)]
enum FlightState {
    Waiting,
    Appended { offset: i64, leader_epoch: u32 },
}

#[derive(Debug, Clone)]
struct InFlight {
    topic: Arc<str>,
    partition: u32,
    data: RecordData,
    timestamp: i64,
    sequence: i32,
    reason: PartitionReason,
    transactional: bool,
    state: FlightState,
    attempts: u32,
    first_sent_ms: u64,
}

#[derive(Debug, Clone, Default)]
struct TxnState {
    partitions: BTreeSet<TopicPartition>,
    offsets: Vec<(String, TopicPartition, i64)>,
}

#[derive(Debug, Clone)]
struct ProducerState {
    config: ProducerConfig,
    producer_id: i64,
    epoch: i16,
    sequences: BTreeMap<String, Vec<i32>>,
    sticky: BTreeMap<String, StickyPartitioner>,
    round_robin: BTreeMap<String, RoundRobinPartitioner>,
    in_flight: Vec<InFlight>,
    initialized: bool,
    txn: Option<TxnState>,
    fenced: bool,
    closed: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ConsumerStatus {
    Active,
    Crashed,
    Closed,
}

#[derive(Debug, Clone)]
struct ConsumerState {
    config: ConsumerConfig,
    subscription: Vec<String>,
    positions: BTreeMap<TopicPartition, i64>,
    status: ConsumerStatus,
    in_group: bool,
    last_poll_ms: u64,
    last_auto_commit_ms: u64,
    cursor: usize,
}

#[derive(Debug, Clone)]
struct MemberState {
    instance_id: Option<String>,
    last_heartbeat_ms: u64,
    session_timeout_ms: u64,
    owned_generation: i32,
}

#[derive(Debug, Clone)]
struct GroupState {
    assignor: Assignor,
    generation: i32,
    /// Members in join order (the coordinator's insertion order).
    members: Vec<String>,
    member_state: BTreeMap<String, MemberState>,
    assignment: BTreeMap<String, Vec<TopicPartition>>,
    committed: BTreeMap<TopicPartition, i64>,
    partition_counts: BTreeMap<String, u32>,
}

/// The simulated Kafka cluster.
#[derive(Debug, Clone)]
pub struct Cluster {
    config: ClusterConfig,
    now: u64,
    rng: ChaCha8Rng,
    brokers: Vec<BrokerState>,
    topics: BTreeMap<String, TopicState>,
    producers: BTreeMap<String, ProducerState>,
    consumers: BTreeMap<String, ConsumerState>,
    groups: BTreeMap<String, GroupState>,
    transactional_ids: BTreeMap<String, (i64, i16, String)>,
    next_producer_id: i64,
    elections: u64,
    events: Vec<Event>,
    record_events: bool,
    /// A log changed (append, truncation, a high watermark move) since the
    /// log cleaner last ran, so it runs at the next point of the grid.
    cleaner_pending: bool,
    /// When the log cleaner last ran (`None` before its first pass).
    last_cleaned: Option<u64>,
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
        let brokers = (0..config.brokers).map(|_| BrokerState { alive: true, replication_paused: false }).collect();
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
        self.events.clear();
        let result = f(self);
        match result {
            Ok(v) => Ok((v, self.take_events())),
            Err(e) => Err(e),
        }
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
            Command::PauseReplication { broker } => self.set_replication_paused(broker, true),
            Command::ResumeReplication { broker } => self.set_replication_paused(broker, false),
            Command::CreateProducer { name, config } => self.create_producer(&name, config),
            Command::Produce { producer, record } => self.produce(&producer, record).map(|(r, e)| {
                receipt = Some(r);
                e
            }),
            Command::InitTransactions { producer } => self.init_transactions(&producer),
            Command::BeginTransaction { producer } => self.begin_transaction(&producer),
            Command::SendOffsetsToTransaction { producer, group, offsets } => {
                self.send_offsets_to_transaction(&producer, &group, offsets)
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
        };
        match result {
            Ok(events) => Outcome { events, error: None, receipt, polled },
            Err(error) => Outcome { events: self.take_events(), error: Some(error), receipt, polled },
        }
    }
}

/// Moves the high watermark up to the smallest log end offset in the ISR
/// (but not while the ISR is below the minimum when `elr` is on) and returns
/// the new value when it moved.
fn advance_high_watermark(part: &mut PartitionState, min_isr: usize, elr: bool) -> Option<i64> {
    let li = part.leader?;
    if elr && part.isr.len() < min_isr {
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
        part.replicas[li].high_watermark = hw;
        Some(hw)
    } else {
        None
    }
}

/// Recomputes the idempotence state from what the log still holds.
fn rebuild_producer_state(part: &mut PartitionState) {
    let mut producers: BTreeMap<i64, ProducerIdEntry> = BTreeMap::new();
    for r in part.log.iter() {
        if r.producer_id < 0 || r.kind.is_control() {
            continue;
        }
        let e = producers.entry(r.producer_id).or_default();
        e.epoch = r.producer_epoch;
        e.last_sequence = r.sequence;
        if e.recent.len() == 5 {
            e.recent.remove(0);
        }
        e.recent.push((r.sequence, r.offset));
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
