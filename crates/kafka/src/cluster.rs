//! The simulated cluster: brokers, controller, topics, producers, consumers and groups.
//!
//! [`Cluster::apply`] is the single entry point: a [`Command`] goes in and the
//! [`Event`]s it caused come out. The ergonomic methods (`produce`, `poll`,
//! `crash_broker`, `tick`, ...) are thin wrappers that the UI can call
//! directly. Time is logical: [`Cluster::tick`] advances it in steps of
//! `step_ms`, and every step delivers produce responses, lets followers fetch,
//! maintains the ISR and high watermarks, runs group heartbeats and timeouts,
//! and applies retention and compaction. All random choices (replica placement,
//! the sticky partitioner) come from one seeded `ChaCha8Rng`.
//!
//! Each partition keeps one [`Log`] and, per replica, how far that replica
//! has copied it. When a leader with a shorter log takes over, the log is cut
//! back to its end, which is exactly the data loss (or, with acks=all and a
//! clean election, the absence of loss) a learner should see.

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

    // ----- brokers and topics -------------------------------------------------

    fn broker_alive(&self, b: u32) -> bool {
        self.brokers.get(b as usize).is_some_and(|s| s.alive)
    }

    fn check_broker(&self, b: u32) -> Result<(), KafkaError> {
        if (b as usize) < self.brokers.len() { Ok(()) } else { Err(KafkaError::UnknownBroker(b)) }
    }

    fn topic_ref(&self, topic: &str) -> Result<&TopicState, KafkaError> {
        self.topics.get(topic).ok_or_else(|| KafkaError::UnknownTopic(topic.to_string()))
    }

    fn partition_ref(&self, topic: &str, partition: u32) -> Result<&PartitionState, KafkaError> {
        let t = self.topic_ref(topic)?;
        t.partitions.get(partition as usize).ok_or(KafkaError::PartitionOutOfRange {
            topic: topic.to_string(),
            partition,
            partitions: t.partitions.len() as u32,
        })
    }

    /// Kafka's rack-unaware placement: a random first broker and a random shift
    /// for the followers, so leaders and followers spread over the brokers.
    fn place_replicas(&mut self, first_partition: u32, count: u32, rf: u32) -> Vec<Vec<u32>> {
        let live: Vec<u32> = (0..self.brokers.len() as u32).filter(|&b| self.broker_alive(b)).collect();
        let n = live.len() as u32;
        let start = self.rng.next_u32() % n;
        let mut shift = self.rng.next_u32() % n;
        let mut out = Vec::new();
        for p in first_partition..first_partition + count {
            if p > 0 && p % n == 0 {
                shift += 1;
            }
            let first = (p + start) % n;
            let mut replicas = vec![live[first as usize]];
            for j in 0..rf - 1 {
                let idx = (first + 1 + (shift + j) % (n - 1).max(1)) % n;
                replicas.push(live[idx as usize]);
            }
            out.push(replicas);
        }
        out
    }

    fn new_partition(&self, replicas: &[u32]) -> PartitionState {
        let live: Vec<u32> = replicas.iter().copied().filter(|&b| self.broker_alive(b)).collect();
        let leader = replicas.iter().position(|&b| self.broker_alive(b));
        PartitionState {
            replicas: replicas
                .iter()
                .map(|&b| ReplicaState { broker: b, log_end_offset: 0, high_watermark: 0, last_caught_up_ms: self.now })
                .collect(),
            leader,
            leader_epoch: 0,
            isr: if live.is_empty() { replicas[..1].to_vec() } else { live },
            high_watermark: 0,
            log: Log::new(self.now),
            producers: BTreeMap::new(),
            open_txns: BTreeMap::new(),
            aborted: Vec::new(),
        }
    }

    /// Creates a topic.
    pub fn create_topic(&mut self, name: &str, config: TopicConfig) -> Result<Vec<Event>, KafkaError> {
        self.run(|c| {
            config.validate()?;
            if name.is_empty() {
                return Err(KafkaError::InvalidConfig { key: "topic".into(), reason: "a topic needs a name".into() });
            }
            if c.topics.contains_key(name) {
                return Err(KafkaError::TopicAlreadyExists(name.to_string()));
            }
            let live = c.brokers.iter().filter(|b| b.alive).count() as u32;
            let replicas = match &config.replica_assignment {
                Some(a) => {
                    for r in a.iter().flatten() {
                        c.check_broker(*r)?;
                    }
                    a.clone()
                }
                None => {
                    if config.replication_factor > live {
                        return Err(KafkaError::InvalidReplicationFactor {
                            replication_factor: config.replication_factor,
                            brokers: live,
                        });
                    }
                    c.place_replicas(0, config.partitions, config.replication_factor)
                }
            };
            let partitions = replicas.iter().map(|r| c.new_partition(r)).collect();
            let settings = log_settings(&config);
            c.topics.insert(
                name.to_string(),
                TopicState { name: Arc::from(name), config, settings, partitions, available: Vec::new() },
            );
            c.refresh_available(name);
            c.emit(Event::TopicCreated { topic: name.to_string(), replicas: replicas.clone() });
            for (p, r) in replicas.iter().enumerate() {
                let part = &c.topics[name].partitions[p];
                match part.leader_broker() {
                    Some(l) => {
                        let isr = part.isr.clone();
                        c.emit(Event::LeaderElected {
                            topic: name.to_string(),
                            partition: p as u32,
                            leader: l,
                            leader_epoch: 0,
                            unclean: false,
                            isr,
                        });
                    }
                    None => {
                        let _ = r;
                        c.emit(Event::PartitionOffline { topic: name.to_string(), partition: p as u32 });
                    }
                }
            }
            Ok(())
        })
        .map(|(_, e)| e)
    }

    /// Grows a topic to `total` partitions. Keys then hash to different
    /// partitions, which is why Kafka warns about it for keyed topics.
    pub fn add_partitions(&mut self, topic: &str, total: u32) -> Result<Vec<Event>, KafkaError> {
        self.run(|c| {
            let t = c.topic_ref(topic)?;
            let current = t.partitions.len() as u32;
            if total <= current {
                return Err(KafkaError::InvalidPartitions { current, requested: total });
            }
            if total > 10_000 {
                return Err(KafkaError::InvalidConfig { key: "num.partitions".into(), reason: "at most 10000".into() });
            }
            let rf = t.config.replication_factor;
            let live = c.brokers.iter().filter(|b| b.alive).count() as u32;
            if rf > live {
                return Err(KafkaError::InvalidReplicationFactor { replication_factor: rf, brokers: live });
            }
            let replicas = c.place_replicas(current, total - current, rf);
            for r in &replicas {
                let p = c.new_partition(r);
                c.topics.get_mut(topic).expect("topic").partitions.push(p);
            }
            c.refresh_available(topic);
            c.emit(Event::PartitionsAdded { topic: topic.to_string(), from: current, to: total });
            for p in current..total {
                let part = &c.topics[topic].partitions[p as usize];
                if let Some(l) = part.leader_broker() {
                    let isr = part.isr.clone();
                    c.emit(Event::LeaderElected {
                        topic: topic.to_string(),
                        partition: p,
                        leader: l,
                        leader_epoch: 0,
                        unclean: false,
                        isr,
                    });
                }
            }
            Ok(())
        })
        .map(|(_, e)| e)
    }

    fn refresh_available(&mut self, topic: &str) {
        if let Some(t) = self.topics.get_mut(topic) {
            t.available =
                t.partitions.iter().enumerate().filter(|(_, p)| p.leader.is_some()).map(|(i, _)| i as u32).collect();
        }
    }

    fn effective_min_isr(&self, topic: &str) -> u32 {
        let t = &self.topics[topic];
        t.config
            .min_insync_replicas
            .unwrap_or(self.config.min_insync_replicas)
            .min(t.partitions.first().map_or(1, |p| p.replicas.len() as u32))
    }

    fn unclean_allowed(&self, topic: &str) -> bool {
        self.topics[topic].config.unclean_leader_election_enable.unwrap_or(self.config.unclean_leader_election_enable)
    }

    /// Crashes a broker: its replicas stop, the controller fences it out of
    /// every ISR (keeping the last member so the ISR never empties) and elects
    /// new leaders for the partitions it led.
    pub fn crash_broker(&mut self, broker: u32) -> Result<Vec<Event>, KafkaError> {
        self.run(|c| {
            c.check_broker(broker)?;
            if !c.broker_alive(broker) {
                return Err(KafkaError::BrokerNotAvailable(broker));
            }
            c.brokers[broker as usize].alive = false;
            c.emit(Event::BrokerCrashed { broker });
            let names: Vec<String> = c.topics.keys().cloned().collect();
            for name in names {
                let count = c.topics[&name].partitions.len();
                for p in 0..count {
                    let part = &c.topics[&name].partitions[p];
                    if part.replica(broker).is_none() {
                        continue;
                    }
                    let was_leader = part.leader_broker() == Some(broker);
                    if part.isr.contains(&broker) && part.isr.len() > 1 {
                        let part = &mut c.topics.get_mut(&name).expect("topic").partitions[p];
                        part.isr.retain(|&b| b != broker);
                        let isr = part.isr.clone();
                        c.emit(Event::IsrShrunk {
                            topic: name.clone(),
                            partition: p as u32,
                            broker,
                            isr,
                            reason: IsrShrinkReason::BrokerCrashed,
                        });
                    }
                    if was_leader {
                        c.topics.get_mut(&name).expect("topic").partitions[p].leader = None;
                        c.elect_leader(&name, p);
                    }
                    c.update_high_watermark(&name, p);
                }
                c.refresh_available(&name);
            }
            Ok(())
        })
        .map(|(_, e)| e)
    }

    /// Restarts a crashed broker. Its followers must catch up before they
    /// rejoin the ISR; offline partitions it can lead get a leader again.
    pub fn restart_broker(&mut self, broker: u32) -> Result<Vec<Event>, KafkaError> {
        self.run(|c| {
            c.check_broker(broker)?;
            if c.broker_alive(broker) {
                return Err(KafkaError::BrokerAlreadyRunning(broker));
            }
            c.brokers[broker as usize].alive = true;
            c.emit(Event::BrokerRestarted { broker });
            let now = c.now;
            let names: Vec<String> = c.topics.keys().cloned().collect();
            for name in names {
                let count = c.topics[&name].partitions.len();
                for p in 0..count {
                    let part = &mut c.topics.get_mut(&name).expect("topic").partitions[p];
                    let leo = part.log.log_end_offset();
                    let Some(r) = part.replicas.iter_mut().find(|r| r.broker == broker) else {
                        continue;
                    };
                    // A returning replica truncates anything the current log no longer has.
                    r.log_end_offset = r.log_end_offset.min(leo);
                    r.last_caught_up_ms = now;
                    if part.leader.is_none() {
                        c.elect_leader(&name, p);
                        c.update_high_watermark(&name, p);
                    }
                }
                c.refresh_available(&name);
            }
            Ok(())
        })
        .map(|(_, e)| e)
    }

    /// Pauses or resumes the fetching of a live broker's followers.
    pub fn set_replication_paused(&mut self, broker: u32, paused: bool) -> Result<Vec<Event>, KafkaError> {
        self.run(|c| {
            c.check_broker(broker)?;
            if !c.broker_alive(broker) {
                return Err(KafkaError::BrokerNotAvailable(broker));
            }
            c.brokers[broker as usize].replication_paused = paused;
            c.emit(Event::ReplicationPaused { broker, paused });
            Ok(())
        })
        .map(|(_, e)| e)
    }

    /// Chooses a leader for a partition without one: the first live ISR member
    /// in assignment order; failing that, with unclean election enabled, the
    /// first live replica (data loss); otherwise the partition stays offline.
    fn elect_leader(&mut self, topic: &str, p: usize) {
        let unclean_allowed = self.unclean_allowed(topic);
        let alive: Vec<bool> = self.brokers.iter().map(|b| b.alive).collect();
        let part = &self.topics[topic].partitions[p];
        let clean = part.replicas.iter().position(|r| alive[r.broker as usize] && part.isr.contains(&r.broker));
        let (choice, unclean) = match clean {
            Some(i) => (Some(i), false),
            None if unclean_allowed => (part.replicas.iter().position(|r| alive[r.broker as usize]), true),
            None => (None, false),
        };
        let Some(i) = choice else {
            self.emit(Event::PartitionOffline { topic: topic.to_string(), partition: p as u32 });
            return;
        };
        self.elections += 1;
        let part = &mut self.topics.get_mut(topic).expect("topic").partitions[p];
        let new_leo = part.replicas[i].log_end_offset;
        let broker = part.replicas[i].broker;
        part.leader = Some(i);
        part.leader_epoch += 1;
        if unclean {
            part.isr = vec![broker];
            part.high_watermark = part.high_watermark.min(new_leo);
        }
        let old_leo = part.log.log_end_offset();
        let removed = part.log.truncate_to(new_leo);
        for r in &mut part.replicas {
            r.log_end_offset = r.log_end_offset.min(new_leo);
            r.high_watermark = r.high_watermark.min(part.high_watermark);
        }
        if !removed.is_empty() {
            part.open_txns.retain(|_, first| *first < new_leo);
            for a in &mut part.aborted {
                a.2 = a.2.min(new_leo - 1);
            }
            rebuild_producer_state(part);
        }
        let epoch = part.leader_epoch;
        let isr = part.isr.clone();
        let lost = removed.iter().filter(|r| r.acknowledged).count() as u64;
        self.emit(Event::LeaderElected {
            topic: topic.to_string(),
            partition: p as u32,
            leader: broker,
            leader_epoch: epoch,
            unclean,
            isr,
        });
        if !removed.is_empty() {
            self.emit(Event::RecordsTruncated {
                topic: topic.to_string(),
                partition: p as u32,
                from: new_leo,
                to: old_leo,
                acknowledged_lost: lost,
                leader: broker,
            });
        }
    }

    /// Advances the high watermark to the smallest log end offset in the ISR
    /// (optionally waiting for the minimum ISR, as Kafka 4 does with ELR).
    fn update_high_watermark(&mut self, topic: &str, p: usize) {
        let min_isr = self.effective_min_isr(topic) as usize;
        let elr = self.config.eligible_leader_replicas_enable;
        let part = &mut self.topics.get_mut(topic).expect("topic").partitions[p];
        if let Some(hw) = advance_high_watermark(part, min_isr, elr)
            && self.record_events
        {
            self.events.push(Event::HighWatermarkAdvanced {
                topic: topic.to_string(),
                partition: p as u32,
                high_watermark: hw,
            });
        }
    }

    // ----- producers ----------------------------------------------------------

    /// Creates a producer. Idempotent and transactional producers get a producer id.
    pub fn create_producer(&mut self, name: &str, config: ProducerConfig) -> Result<Vec<Event>, KafkaError> {
        self.run(|c| {
            config.validate()?;
            if c.producers.contains_key(name) || c.consumers.contains_key(name) {
                return Err(KafkaError::DuplicateClient(name.to_string()));
            }
            let producer_id = if config.enable_idempotence {
                c.next_producer_id += 1;
                c.next_producer_id
            } else {
                -1
            };
            let initialized = config.transactional_id.is_none();
            c.producers.insert(
                name.to_string(),
                ProducerState {
                    config,
                    producer_id,
                    epoch: 0,
                    sequences: BTreeMap::new(),
                    sticky: BTreeMap::new(),
                    round_robin: BTreeMap::new(),
                    in_flight: Vec::new(),
                    initialized,
                    txn: None,
                    fenced: false,
                    closed: false,
                },
            );
            Ok(())
        })
        .map(|(_, e)| e)
    }

    fn producer_mut(&mut self, name: &str) -> Result<&mut ProducerState, KafkaError> {
        let p = self.producers.get_mut(name).ok_or_else(|| KafkaError::UnknownProducer(name.to_string()))?;
        if p.fenced {
            return Err(KafkaError::ProducerFenced(name.to_string()));
        }
        if p.closed {
            return Err(KafkaError::InvalidTxnState(format!("producer {name} is closed")));
        }
        Ok(p)
    }

    /// Sends one record: picks the partition exactly as the Java client does,
    /// then appends it to the leader (or queues it when there is no leader or
    /// earlier records to that partition are waiting to be retried).
    pub fn produce(
        &mut self,
        producer: &str,
        record: ProducerRecord,
    ) -> Result<(ProduceReceipt, Vec<Event>), KafkaError> {
        let ProducerRecord { topic, partition, key, value, headers, timestamp } = record;
        self.send_record(producer, &topic, partition, RecordData { key, value, headers }, timestamp)
    }

    /// The allocation-light form of [`Cluster::produce`]: the topic is
    /// borrowed, so with event recording off the record data is the only
    /// allocation.
    pub fn send_record(
        &mut self,
        producer: &str,
        topic: &str,
        partition: Option<u32>,
        data: RecordData,
        timestamp: Option<i64>,
    ) -> Result<(ProduceReceipt, Vec<Event>), KafkaError> {
        self.run(|c| c.send_record_inner(producer, topic, partition, data, timestamp))
    }

    fn send_record_inner(
        &mut self,
        producer: &str,
        topic: &str,
        partition: Option<u32>,
        data: RecordData,
        timestamp: Option<i64>,
    ) -> Result<ProduceReceipt, KafkaError> {
        let now = self.now;
        let t = self.topics.get(topic).ok_or_else(|| KafkaError::UnknownTopic(topic.to_string()))?;
        let num = t.partitions.len() as u32;
        let compact = t.settings.compact;
        let topic_name = Arc::clone(&t.name);
        let p = self.producers.get_mut(producer).ok_or_else(|| KafkaError::UnknownProducer(producer.to_string()))?;
        if p.fenced {
            return Err(KafkaError::ProducerFenced(producer.to_string()));
        }
        if p.closed {
            return Err(KafkaError::InvalidTxnState(format!("producer {producer} is closed")));
        }
        let transactional = p.config.transactional_id.is_some();
        if transactional && p.txn.is_none() {
            return Err(KafkaError::InvalidTxnState(
                "a transactional producer must begin a transaction before sending".into(),
            ));
        }
        if compact && data.key.is_none() {
            return Err(KafkaError::CompactedTopicRequiresKey(topic.to_string()));
        }
        let size = data.size_bytes();
        let (partition, reason) = match (partition, &data.key, p.config.partitioner) {
            (Some(n), _, _) => {
                if n >= num {
                    return Err(KafkaError::PartitionOutOfRange {
                        topic: topic.to_string(),
                        partition: n,
                        partitions: num,
                    });
                }
                (n, PartitionReason::Explicit)
            }
            (None, _, PartitionerKind::RoundRobin) => {
                let rr = match p.round_robin.get_mut(topic) {
                    Some(rr) => rr,
                    None => p.round_robin.entry(topic.to_string()).or_default(),
                };
                let (n, counter) = rr.next(&t.available, num);
                let available = if t.available.is_empty() { num } else { t.available.len() as u32 };
                (n, PartitionReason::RoundRobin { counter, available })
            }
            (None, Some(k), PartitionerKind::Sticky) => {
                let hash = murmur2(k);
                ((to_positive(hash) as u32) % num, PartitionReason::Key { hash, partitions: num })
            }
            (None, None, PartitionerKind::Sticky) => {
                let rng = &mut self.rng;
                let sticky = match p.sticky.get_mut(topic) {
                    Some(s) => s,
                    None => p.sticky.entry(topic.to_string()).or_default(),
                };
                let n = sticky.peek(&t.available, num, || rng.next_u32() as i32);
                sticky.update(size, p.config.batch_size);
                (n, PartitionReason::Sticky)
            }
        };
        let acks = p.config.acks;
        let part = &t.partitions[partition as usize];
        if acks == Acks::All {
            let min_isr = self.effective_min_isr(topic);
            if part.leader.is_some() && (part.isr.len() as u32) < min_isr {
                return Err(KafkaError::NotEnoughReplicas {
                    topic: topic.to_string(),
                    partition,
                    isr: part.isr.len() as u32,
                    min_insync_replicas: min_isr,
                });
            }
        }
        let current_epoch = part.leader_epoch;
        let has_leader = part.leader.is_some();
        let p = self.producers.get_mut(producer).expect("producer");
        let sequence = if p.producer_id >= 0 {
            let seqs = match p.sequences.get_mut(topic) {
                Some(s) => s,
                None => p.sequences.entry(topic.to_string()).or_default(),
            };
            if seqs.len() <= partition as usize {
                seqs.resize(partition as usize + 1, 0);
            }
            let s = seqs[partition as usize];
            seqs[partition as usize] = s.wrapping_add(1);
            s
        } else {
            -1
        };
        if let Some(txn) = &mut p.txn {
            txn.partitions.insert(TopicPartition::new(topic, partition));
        }
        // Records queue behind earlier ones to the same partition that wait for
        // a retry or whose leader changed, so a retry never overtakes them.
        let blocked = p.in_flight.iter().any(|f| {
            &*f.topic == topic
                && f.partition == partition
                && match f.state {
                    FlightState::Waiting => true,
                    FlightState::Appended { leader_epoch, .. } => leader_epoch != current_epoch,
                }
        });
        let flight = InFlight {
            topic: topic_name,
            partition,
            data,
            timestamp: timestamp.unwrap_or(now as i64),
            sequence,
            reason,
            transactional,
            state: FlightState::Waiting,
            attempts: 0,
            first_sent_ms: now,
        };
        if blocked || !has_leader {
            if acks == Acks::Zero && !blocked {
                self.emit(Event::RecordDropped { producer: producer.to_string(), topic: topic.to_string(), partition });
                return Ok(ProduceReceipt { partition, offset: None, reason });
            }
            self.producers.get_mut(producer).expect("producer").in_flight.push(flight);
            return Ok(ProduceReceipt { partition, offset: None, reason });
        }
        let offset = self.send(producer, flight);
        Ok(ProduceReceipt { partition, offset, reason })
    }

    /// Delivers one attempt to the partition leader and settles what can be
    /// settled now; returns the offset the record has in the log.
    fn send(&mut self, producer: &str, mut flight: InFlight) -> Option<i64> {
        let (pid, epoch, acks) = {
            let p = &self.producers[producer];
            (p.producer_id, p.epoch, p.config.acks)
        };
        let retry = flight.attempts > 0;
        flight.attempts += 1;
        let now = self.now;
        let record_events = self.record_events;
        let min_isr = self.effective_min_isr(&flight.topic) as usize;
        let elr = self.config.eligible_leader_replicas_enable;
        let t = self.topics.get_mut(&*flight.topic).expect("topic");
        let settings = t.settings;
        let part = &mut t.partitions[flight.partition as usize];
        let Some(li) = part.leader else {
            self.producers.get_mut(producer).expect("producer").in_flight.push(flight);
            return None;
        };
        let leader = part.replicas[li].broker;
        // The broker's idempotence check: a sequence it has seen is a duplicate
        // retry and gets the original offset back; a gap means lost records.
        let mut duplicate_of = None;
        let mut out_of_order = false;
        if pid >= 0 {
            match part.producers.get(&pid) {
                Some(entry) if entry.epoch == epoch => {
                    if flight.sequence <= entry.last_sequence {
                        duplicate_of =
                            Some(entry.recent.iter().find(|(s, _)| *s == flight.sequence).map_or(-1, |(_, o)| *o));
                    } else if flight.sequence > entry.last_sequence.wrapping_add(1) {
                        out_of_order = true;
                    }
                }
                Some(_) => {}
                None => out_of_order = retry && flight.sequence > 0,
            }
        }
        if out_of_order {
            self.emit(Event::ProduceFailed {
                producer: producer.to_string(),
                topic: flight.topic.to_string(),
                partition: flight.partition,
                error: ProduceError::OutOfOrderSequence,
                will_retry: false,
            });
            return None;
        }
        let offset = if let Some(original) = duplicate_of {
            if record_events {
                self.events.push(Event::DuplicateDropped {
                    producer: producer.to_string(),
                    topic: flight.topic.to_string(),
                    partition: flight.partition,
                    sequence: flight.sequence,
                    offset: original,
                });
            }
            original
        } else {
            let record = Record {
                offset: 0,
                timestamp: flight.timestamp,
                // acks=all keeps the record for retries, as the Java producer
                // keeps its batch; otherwise the data moves into the log.
                data: if acks == Acks::All { flight.data.clone() } else { std::mem::take(&mut flight.data) },
                producer_id: pid,
                producer_epoch: if pid >= 0 { epoch } else { -1 },
                sequence: flight.sequence,
                kind: if flight.transactional { RecordKind::Transactional } else { RecordKind::Data },
                partitioning: flight.reason,
                leader_epoch: part.leader_epoch,
                acknowledged: false,
            };
            let (offset, rolled) = part.log.append(record, now, &settings);
            part.replicas[li].log_end_offset = offset + 1;
            let hw = advance_high_watermark(part, min_isr, elr);
            if acks == Acks::One
                && let Some(r) = part.log.last_mut()
            {
                r.acknowledged = true;
            }
            if pid >= 0 {
                let entry = part.producers.entry(pid).or_default();
                entry.epoch = epoch;
                entry.last_sequence = flight.sequence;
                if entry.recent.len() == 5 {
                    entry.recent.remove(0);
                }
                entry.recent.push((flight.sequence, offset));
            }
            if flight.transactional {
                part.open_txns.entry(pid).or_insert(offset);
            }
            if record_events {
                self.events.push(Event::RecordAppended {
                    producer: producer.to_string(),
                    topic: flight.topic.to_string(),
                    partition: flight.partition,
                    offset,
                    leader,
                    reason: flight.reason,
                    retry,
                });
                if let Some(high_watermark) = hw {
                    self.events.push(Event::HighWatermarkAdvanced {
                        topic: flight.topic.to_string(),
                        partition: flight.partition,
                        high_watermark,
                    });
                }
                if acks == Acks::One {
                    self.events.push(Event::RecordAcknowledged {
                        producer: producer.to_string(),
                        topic: flight.topic.to_string(),
                        partition: flight.partition,
                        offset,
                    });
                }
            }
            if rolled {
                // Retention is checked as segments roll, so memory stays bounded
                // by retention even without ticks; compaction waits for the
                // cleaner's pass on a tick, so learners see the duplicates first.
                self.update_high_watermark(&flight.topic, flight.partition as usize);
                self.apply_log_cleanup(&flight.topic, flight.partition as usize, now, false);
            }
            offset
        };
        let partition = flight.partition as usize;
        match acks {
            Acks::Zero => {}
            Acks::One if duplicate_of.is_none() => {}
            Acks::One => self.acknowledge(producer, &flight.topic, flight.partition, offset),
            Acks::All => {
                let epoch = self.topics[&*flight.topic].partitions[partition].leader_epoch;
                flight.state = FlightState::Appended { offset, leader_epoch: epoch };
                self.producers.get_mut(producer).expect("producer").in_flight.push(flight);
            }
        }
        Some(offset)
    }

    fn acknowledge(&mut self, producer: &str, topic: &str, partition: u32, offset: i64) {
        if let Some(r) = self.topics.get_mut(topic).and_then(|t| t.partitions[partition as usize].log.get_mut(offset)) {
            r.acknowledged = true;
        }
        if self.record_events {
            self.events.push(Event::RecordAcknowledged {
                producer: producer.to_string(),
                topic: topic.to_string(),
                partition,
                offset,
            });
        }
    }

    /// Settles in-flight requests: acknowledgements once the high watermark
    /// passes, failures when the leader changed, retries and timeouts.
    fn step_producers(&mut self) {
        let names: Vec<String> =
            self.producers.iter().filter(|(_, p)| !p.in_flight.is_empty()).map(|(n, _)| n.clone()).collect();
        for name in names {
            self.step_producer(&name);
        }
    }

    fn step_producer(&mut self, name: &str) {
        {
            let name = name.to_string();
            let flights = std::mem::take(&mut self.producers.get_mut(&name).expect("producer").in_flight);
            let (retries, timeout) = {
                let p = &self.producers[&name];
                (p.config.retries, p.config.delivery_timeout_ms)
            };
            let mut blocked: BTreeSet<(Arc<str>, u32)> = BTreeSet::new();
            for mut f in flights {
                let key = (f.topic.clone(), f.partition);
                let min_isr = self.effective_min_isr(&f.topic);
                let part = &self.topics[&*f.topic].partitions[f.partition as usize];
                match f.state {
                    FlightState::Appended { offset, leader_epoch } => {
                        let leader_ok = part.leader.is_some() && part.leader_epoch == leader_epoch;
                        let failure = if !leader_ok {
                            Some(ProduceError::NotLeaderOrFollower)
                        } else if part.high_watermark > offset {
                            if (part.isr.len() as u32) < min_isr {
                                Some(ProduceError::NotEnoughReplicasAfterAppend)
                            } else {
                                None
                            }
                        } else {
                            self.producers.get_mut(&name).expect("producer").in_flight.push(f);
                            continue;
                        };
                        match failure {
                            None => self.acknowledge(&name, &key.0, key.1, offset),
                            Some(error) => {
                                let will_retry = f.attempts <= retries && self.now - f.first_sent_ms < timeout;
                                self.emit(Event::ProduceFailed {
                                    producer: name.clone(),
                                    topic: key.0.to_string(),
                                    partition: key.1,
                                    error,
                                    will_retry,
                                });
                                if will_retry {
                                    f.state = FlightState::Waiting;
                                    self.retry_or_queue(&name, f, &mut blocked);
                                }
                            }
                        }
                    }
                    FlightState::Waiting => {
                        if self.now - f.first_sent_ms >= timeout {
                            self.emit(Event::ProduceFailed {
                                producer: name.clone(),
                                topic: key.0.to_string(),
                                partition: key.1,
                                error: ProduceError::DeliveryTimeout,
                                will_retry: false,
                            });
                            continue;
                        }
                        self.retry_or_queue(&name, f, &mut blocked);
                    }
                }
            }
        }
    }

    fn retry_or_queue(&mut self, name: &str, f: InFlight, blocked: &mut BTreeSet<(Arc<str>, u32)>) {
        let key = (f.topic.clone(), f.partition);
        let has_leader = self.topics[&*f.topic].partitions[f.partition as usize].leader.is_some();
        if has_leader && !blocked.contains(&key) {
            self.send(name, f);
        } else {
            blocked.insert(key);
            self.producers.get_mut(name).expect("producer").in_flight.push(f);
        }
    }

    /// Closes a producer; anything not yet acknowledged is abandoned.
    pub fn close_producer(&mut self, producer: &str) -> Result<Vec<Event>, KafkaError> {
        self.run(|c| {
            let p = c.producers.get_mut(producer).ok_or_else(|| KafkaError::UnknownProducer(producer.to_string()))?;
            p.closed = true;
            let flights = std::mem::take(&mut p.in_flight);
            for f in flights {
                c.emit(Event::ProduceFailed {
                    producer: producer.to_string(),
                    topic: f.topic.to_string(),
                    partition: f.partition,
                    error: ProduceError::ProducerClosed,
                    will_retry: false,
                });
            }
            Ok(())
        })
        .map(|(_, e)| e)
    }

    // ----- transactions -------------------------------------------------------

    /// `initTransactions()`: registers the transactional id, bumps its epoch
    /// and fences (and aborts the open transaction of) any older producer with it.
    pub fn init_transactions(&mut self, producer: &str) -> Result<Vec<Event>, KafkaError> {
        self.run(|c| {
            let p = c.producer_mut(producer)?;
            let Some(tid) = p.config.transactional_id.clone() else {
                return Err(KafkaError::InvalidTxnState("initTransactions needs transactional.id".into()));
            };
            let (pid, epoch) = match c.transactional_ids.get(&tid).cloned() {
                Some((pid, epoch, owner)) => {
                    if owner != producer
                        && let Some(old) = c.producers.get(&owner)
                        && !old.fenced
                    {
                        if old.txn.is_some() {
                            c.end_transaction(&owner, false)?;
                        }
                        let old = c.producers.get_mut(&owner).expect("producer");
                        old.fenced = true;
                        old.in_flight.clear();
                        c.emit(Event::ProducerFenced { producer: owner, transactional_id: tid.clone() });
                    }
                    (pid, epoch + 1)
                }
                None => {
                    let p = &c.producers[producer];
                    (p.producer_id, 0)
                }
            };
            c.transactional_ids.insert(tid, (pid, epoch, producer.to_string()));
            let p = c.producers.get_mut(producer).expect("producer");
            p.producer_id = pid;
            p.epoch = epoch;
            p.sequences.clear();
            p.initialized = true;
            Ok(())
        })
        .map(|(_, e)| e)
    }

    /// `beginTransaction()`.
    pub fn begin_transaction(&mut self, producer: &str) -> Result<Vec<Event>, KafkaError> {
        self.run(|c| {
            let p = c.producer_mut(producer)?;
            let Some(tid) = p.config.transactional_id.clone() else {
                return Err(KafkaError::InvalidTxnState("beginTransaction needs transactional.id".into()));
            };
            if !p.initialized {
                return Err(KafkaError::InvalidTxnState("call initTransactions first".into()));
            }
            if p.txn.is_some() {
                return Err(KafkaError::InvalidTxnState("a transaction is already open".into()));
            }
            p.txn = Some(TxnState::default());
            c.emit(Event::TransactionBegun { producer: producer.to_string(), transactional_id: tid });
            Ok(())
        })
        .map(|(_, e)| e)
    }

    /// `sendOffsetsToTransaction()`: the offsets commit if and only if the transaction does.
    pub fn send_offsets_to_transaction(
        &mut self,
        producer: &str,
        group: &str,
        offsets: Vec<(TopicPartition, i64)>,
    ) -> Result<Vec<Event>, KafkaError> {
        self.run(|c| {
            for (tp, o) in &offsets {
                let part = c.partition_ref(&tp.topic, tp.partition)?;
                if *o < 0 || *o > part.high_watermark {
                    return Err(KafkaError::OffsetOutOfRange {
                        topic: tp.topic.clone(),
                        partition: tp.partition,
                        offset: *o,
                    });
                }
            }
            let p = c.producer_mut(producer)?;
            let Some(txn) = &mut p.txn else {
                return Err(KafkaError::InvalidTxnState("no open transaction".into()));
            };
            txn.offsets.extend(offsets.into_iter().map(|(tp, o)| (group.to_string(), tp, o)));
            Ok(())
        })
        .map(|(_, e)| e)
    }

    /// `commitTransaction()`.
    pub fn commit_transaction(&mut self, producer: &str) -> Result<Vec<Event>, KafkaError> {
        self.run(|c| {
            c.producer_mut(producer)?;
            c.end_transaction(producer, true)
        })
        .map(|(_, e)| e)
    }

    /// `abortTransaction()`.
    pub fn abort_transaction(&mut self, producer: &str) -> Result<Vec<Event>, KafkaError> {
        self.run(|c| {
            c.producer_mut(producer)?;
            c.end_transaction(producer, false)
        })
        .map(|(_, e)| e)
    }

    /// Writes a commit or abort marker to every partition of the transaction
    /// and, on commit, stores its group offsets.
    fn end_transaction(&mut self, producer: &str, commit: bool) -> Result<(), KafkaError> {
        let p = &self.producers[producer];
        let tid = p.config.transactional_id.clone().unwrap_or_default();
        let Some(txn) = p.txn.clone() else {
            return Err(KafkaError::InvalidTxnState("no open transaction".into()));
        };
        // commitTransaction flushes first: every record of the transaction must
        // be acknowledged before the markers go out, or a late retry could land
        // after the commit marker.
        if commit {
            let unsettled = p.in_flight.iter().find(|f| {
                let part = &self.topics[&*f.topic].partitions[f.partition as usize];
                match f.state {
                    FlightState::Waiting => true,
                    FlightState::Appended { offset, leader_epoch } => {
                        part.leader.is_none()
                            || part.leader_epoch != leader_epoch
                            || part.high_watermark <= offset
                            || (part.isr.len() as u32) < self.effective_min_isr(&f.topic)
                    }
                }
            });
            if let Some(f) = unsettled {
                return Err(KafkaError::InvalidTxnState(format!(
                    "the record to {}-{} is not acknowledged yet; let time pass before committing",
                    f.topic, f.partition
                )));
            }
        }
        for tp in &txn.partitions {
            if self.topics[&tp.topic].partitions[tp.partition as usize].leader.is_none() {
                return Err(KafkaError::LeaderNotAvailable { topic: tp.topic.clone(), partition: tp.partition });
            }
        }
        let (pid, epoch) = (p.producer_id, p.epoch);
        let now = self.now;
        if commit {
            // Deliver the acknowledgements the flush waited for.
            self.step_producer(producer);
        } else {
            // Aborting abandons the transaction's unsettled records: those in
            // the log fall inside the aborted range, the rest are never sent.
            self.producers.get_mut(producer).expect("producer").in_flight.retain(|f| !f.transactional);
        }
        for tp in &txn.partitions {
            let t = self.topics.get_mut(&tp.topic).expect("topic");
            let settings = t.settings;
            let part = &mut t.partitions[tp.partition as usize];
            let li = part.leader.expect("checked above");
            let marker = Record {
                offset: 0,
                timestamp: now as i64,
                data: RecordData::default(),
                producer_id: pid,
                producer_epoch: epoch,
                sequence: -1,
                kind: if commit { RecordKind::CommitMarker } else { RecordKind::AbortMarker },
                partitioning: PartitionReason::Control,
                leader_epoch: part.leader_epoch,
                acknowledged: true,
            };
            let (offset, _) = part.log.append(marker, now, &settings);
            part.replicas[li].log_end_offset = offset + 1;
            let first = part.open_txns.remove(&pid).unwrap_or(offset);
            if !commit {
                part.aborted.push((pid, first, offset));
            }
            self.update_high_watermark(&tp.topic, tp.partition as usize);
        }
        let partitions: Vec<TopicPartition> = txn.partitions.iter().cloned().collect();
        if commit {
            for (group, tp, offset) in &txn.offsets {
                let g = self.groups.entry(group.clone()).or_insert_with(|| GroupState {
                    assignor: Assignor::Range,
                    generation: 0,
                    members: Vec::new(),
                    member_state: BTreeMap::new(),
                    assignment: BTreeMap::new(),
                    committed: BTreeMap::new(),
                    partition_counts: BTreeMap::new(),
                });
                g.committed.insert(tp.clone(), *offset);
            }
            let mut by_group: BTreeMap<String, Vec<(TopicPartition, i64)>> = BTreeMap::new();
            for (g, tp, o) in &txn.offsets {
                by_group.entry(g.clone()).or_default().push((tp.clone(), *o));
            }
            self.emit(Event::TransactionCommitted {
                producer: producer.to_string(),
                transactional_id: tid,
                partitions,
                offsets: txn.offsets.clone(),
            });
            for (group, offsets) in by_group {
                self.emit(Event::OffsetsCommitted { group, by: producer.to_string(), offsets, auto: false });
            }
        } else {
            self.emit(Event::TransactionAborted { producer: producer.to_string(), transactional_id: tid, partitions });
        }
        self.producers.get_mut(producer).expect("producer").txn = None;
        Ok(())
    }

    // ----- consumers and groups -----------------------------------------------

    /// Creates a consumer; it joins its group when it subscribes.
    pub fn create_consumer(&mut self, name: &str, config: ConsumerConfig) -> Result<Vec<Event>, KafkaError> {
        self.run(|c| {
            config.validate()?;
            if c.producers.contains_key(name)
                || c.consumers.get(name).is_some_and(|s| s.status != ConsumerStatus::Closed)
            {
                return Err(KafkaError::DuplicateClient(name.to_string()));
            }
            if let Some(g) = c.groups.get(&config.group_id)
                && !g.members.is_empty()
                && g.assignor != config.assignor
            {
                return Err(KafkaError::InconsistentGroupProtocol { group: config.group_id.clone() });
            }
            let now = c.now;
            c.consumers.insert(
                name.to_string(),
                ConsumerState {
                    config,
                    subscription: Vec::new(),
                    positions: BTreeMap::new(),
                    status: ConsumerStatus::Active,
                    in_group: false,
                    last_poll_ms: now,
                    last_auto_commit_ms: now,
                    cursor: 0,
                },
            );
            Ok(())
        })
        .map(|(_, e)| e)
    }

    fn active_consumer(&self, name: &str) -> Result<&ConsumerState, KafkaError> {
        let c = self.consumers.get(name).ok_or_else(|| KafkaError::UnknownConsumer(name.to_string()))?;
        if c.status != ConsumerStatus::Active {
            return Err(KafkaError::ConsumerClosed(name.to_string()));
        }
        Ok(c)
    }

    /// Subscribes to topics and joins (or rejoins) the group, which rebalances.
    pub fn subscribe(&mut self, consumer: &str, topics: &[String]) -> Result<Vec<Event>, KafkaError> {
        self.run(|c| {
            c.active_consumer(consumer)?;
            for t in topics {
                c.topic_ref(t)?;
            }
            let mut topics: Vec<String> = topics.to_vec();
            topics.sort();
            topics.dedup();
            let state = c.consumers.get_mut(consumer).expect("consumer");
            let changed = state.subscription != topics;
            state.subscription = topics;
            if !state.in_group {
                c.join_group(consumer);
            } else if changed {
                let group = c.consumers[consumer].config.group_id.clone();
                c.rebalance(&group, RebalanceReason::SubscriptionChanged(consumer.to_string()));
            }
            Ok(())
        })
        .map(|(_, e)| e)
    }

    fn join_group(&mut self, consumer: &str) {
        let now = self.now;
        let cfg = self.consumers[consumer].config.clone();
        let group = cfg.group_id.clone();
        let g = self.groups.entry(group.clone()).or_insert_with(|| GroupState {
            assignor: cfg.assignor,
            generation: 0,
            members: Vec::new(),
            member_state: BTreeMap::new(),
            assignment: BTreeMap::new(),
            committed: BTreeMap::new(),
            partition_counts: BTreeMap::new(),
        });
        if g.members.is_empty() {
            g.assignor = cfg.assignor;
        }
        self.consumers.get_mut(consumer).expect("consumer").in_group = true;
        // A static member that comes back before its session times out takes
        // over its old membership and partitions without a rebalance.
        if let Some(instance) = &cfg.group_instance_id {
            let g = self.groups.get_mut(&group).expect("group");
            if let Some(old) =
                g.members.iter().find(|m| g.member_state[*m].instance_id.as_ref() == Some(instance)).cloned()
            {
                let same_subscription =
                    self.consumers.get(&old).is_some_and(|o| o.subscription == self.consumers[consumer].subscription);
                let idx = g.members.iter().position(|m| *m == old).expect("member");
                g.members[idx] = consumer.to_string();
                let mut ms = g.member_state.remove(&old).expect("member state");
                ms.last_heartbeat_ms = now;
                ms.session_timeout_ms = cfg.session_timeout_ms;
                g.member_state.insert(consumer.to_string(), ms);
                let owned = g.assignment.remove(&old).unwrap_or_default();
                g.assignment.insert(consumer.to_string(), owned);
                if old != consumer
                    && let Some(o) = self.consumers.get_mut(&old)
                {
                    o.in_group = false;
                }
                self.emit(Event::StaticMemberRejoined {
                    group: group.clone(),
                    member: consumer.to_string(),
                    replaced: old,
                    group_instance_id: instance.clone(),
                });
                if !same_subscription {
                    self.rebalance(&group, RebalanceReason::SubscriptionChanged(consumer.to_string()));
                }
                return;
            }
        }
        let g = self.groups.get_mut(&group).expect("group");
        g.members.push(consumer.to_string());
        g.member_state.insert(
            consumer.to_string(),
            MemberState {
                instance_id: cfg.group_instance_id.clone(),
                last_heartbeat_ms: now,
                session_timeout_ms: cfg.session_timeout_ms,
                owned_generation: -1,
            },
        );
        self.emit(Event::MemberJoined {
            group: group.clone(),
            member: consumer.to_string(),
            group_instance_id: cfg.group_instance_id,
        });
        self.rebalance(&group, RebalanceReason::MemberJoined(consumer.to_string()));
    }

    fn remove_member(&mut self, group: &str, member: &str, reason: RebalanceReason) {
        let g = self.groups.get_mut(group).expect("group");
        g.members.retain(|m| m != member);
        g.member_state.remove(member);
        g.assignment.remove(member);
        if let Some(c) = self.consumers.get_mut(member) {
            c.in_group = false;
            c.positions.clear();
        }
        self.emit(Event::MemberLeft { group: group.to_string(), member: member.to_string(), reason: reason.clone() });
        self.rebalance(group, reason);
    }

    fn commit_positions(&mut self, consumer: &str, auto: bool) {
        let c = &self.consumers[consumer];
        let group = c.config.group_id.clone();
        let owned: BTreeSet<TopicPartition> = self
            .groups
            .get(&group)
            .and_then(|g| g.assignment.get(consumer))
            .map(|a| a.iter().cloned().collect())
            .unwrap_or_default();
        let offsets: Vec<(TopicPartition, i64)> =
            c.positions.iter().filter(|(tp, _)| owned.contains(*tp)).map(|(tp, o)| (tp.clone(), *o)).collect();
        if offsets.is_empty() {
            return;
        }
        let g = self.groups.get_mut(&group).expect("group");
        let mut changed = Vec::new();
        for (tp, o) in offsets {
            if g.committed.get(&tp) != Some(&o) {
                g.committed.insert(tp.clone(), o);
                changed.push((tp, o));
            }
        }
        if !changed.is_empty() {
            self.emit(Event::OffsetsCommitted { group, by: consumer.to_string(), offsets: changed, auto });
        }
    }

    /// Runs a rebalance to completion. Eager assignors revoke everything
    /// first; the cooperative assignor revokes only partitions that move and
    /// hands them over in a follow-up round.
    fn rebalance(&mut self, group: &str, reason: RebalanceReason) {
        let Some(g) = self.groups.get(group) else {
            return;
        };
        let assignor = g.assignor;
        let cooperative = assignor.is_cooperative();
        let members: Vec<String> = g.members.clone();
        let g = self.groups.get_mut(group).expect("group");
        g.generation += 1;
        let generation = g.generation;
        self.emit(Event::RebalanceStarted { group: group.to_string(), generation, reason, assignor, cooperative });
        if members.is_empty() {
            self.groups.get_mut(group).expect("group").assignment.clear();
            self.emit(Event::RebalanceCompleted { group: group.to_string(), generation, assignment: Vec::new() });
            return;
        }
        // Members commit before giving partitions up (onJoinPrepare with auto-commit).
        for m in &members {
            if self.consumers.get(m).is_some_and(|c| c.status == ConsumerStatus::Active && c.config.enable_auto_commit)
            {
                self.commit_positions(m, true);
            }
        }
        let counts: BTreeMap<String, u32> =
            self.topics.iter().map(|(n, t)| (n.clone(), t.partitions.len() as u32)).collect();
        let g = &self.groups[group];
        let subscriptions: Vec<MemberSubscription> = members
            .iter()
            .map(|m| MemberSubscription {
                member_id: m.clone(),
                group_instance_id: g.member_state[m].instance_id.clone(),
                topics: self.consumers.get(m).map(|c| c.subscription.clone()).unwrap_or_default(),
                owned_partitions: g.assignment.get(m).cloned().unwrap_or_default(),
                generation: Some(g.member_state[m].owned_generation).filter(|&x| x >= 0),
            })
            .collect();
        let outcome = assignor::assign(assignor, &counts, &subscriptions);
        let mut follow_up = false;
        for s in &subscriptions {
            let new = outcome.assignment.get(&s.member_id).cloned().unwrap_or_default();
            let revoked: Vec<TopicPartition> = if cooperative {
                s.owned_partitions.iter().filter(|tp| !new.contains(tp)).cloned().collect()
            } else {
                s.owned_partitions.clone()
            };
            if cooperative && !revoked.is_empty() {
                follow_up = true;
            }
            if !revoked.is_empty() {
                if let Some(c) = self.consumers.get_mut(&s.member_id) {
                    for tp in &revoked {
                        c.positions.remove(tp);
                    }
                }
                self.emit(Event::PartitionsRevoked {
                    group: group.to_string(),
                    generation,
                    member: s.member_id.clone(),
                    partitions: revoked,
                });
            }
            let kept: Vec<TopicPartition> = if cooperative {
                s.owned_partitions.iter().filter(|tp| new.contains(tp)).cloned().collect()
            } else {
                Vec::new()
            };
            let added: Vec<TopicPartition> = new.iter().filter(|tp| !kept.contains(tp)).cloned().collect();
            if !added.is_empty() {
                if let Some(c) = self.consumers.get_mut(&s.member_id) {
                    for tp in &added {
                        c.positions.remove(tp);
                    }
                }
                self.emit(Event::PartitionsAssigned {
                    group: group.to_string(),
                    generation,
                    member: s.member_id.clone(),
                    partitions: added,
                });
            }
        }
        let g = self.groups.get_mut(group).expect("group");
        g.assignment = outcome.assignment.clone();
        for m in &members {
            if let Some(ms) = g.member_state.get_mut(m) {
                ms.owned_generation = generation;
            }
        }
        g.partition_counts = members
            .iter()
            .flat_map(|m| self.consumers.get(m).map(|c| c.subscription.clone()).unwrap_or_default())
            .map(|t| {
                let n = counts.get(&t).copied().unwrap_or(0);
                (t, n)
            })
            .collect();
        self.emit(Event::RebalanceCompleted {
            group: group.to_string(),
            generation,
            assignment: outcome.assignment.into_iter().collect(),
        });
        if follow_up {
            self.rebalance(group, RebalanceReason::CooperativeFollowUp);
        }
    }

    fn end_offset_for(&self, consumer: &ConsumerState, tp: &TopicPartition) -> i64 {
        let part = &self.topics[&tp.topic].partitions[tp.partition as usize];
        match consumer.config.isolation_level {
            IsolationLevel::ReadUncommitted => part.high_watermark,
            IsolationLevel::ReadCommitted => part.last_stable_offset(),
        }
    }

    /// Where a consumer starts in a partition: the committed offset, or
    /// `auto.offset.reset` when there is none or it fell out of the log.
    fn resolve_position(&mut self, consumer: &str, tp: &TopicPartition) -> Result<i64, KafkaError> {
        let c = &self.consumers[consumer];
        let part = &self.topics[&tp.topic].partitions[tp.partition as usize];
        let (start, end) = (part.log.log_start_offset(), part.log.log_end_offset());
        let candidate = c
            .positions
            .get(tp)
            .copied()
            .or_else(|| self.groups.get(&c.config.group_id).and_then(|g| g.committed.get(tp).copied()));
        if let Some(o) = candidate
            && o >= start
            && o <= end
        {
            self.consumers.get_mut(consumer).expect("consumer").positions.insert(tp.clone(), o);
            return Ok(o);
        }
        let strategy = c.config.auto_offset_reset;
        let offset = match strategy {
            OffsetReset::Earliest => start,
            OffsetReset::Latest => self.end_offset_for(c, tp),
            OffsetReset::None => {
                return Err(match candidate {
                    Some(o) => {
                        KafkaError::OffsetOutOfRange { topic: tp.topic.clone(), partition: tp.partition, offset: o }
                    }
                    None => KafkaError::NoOffsetForPartition { topic: tp.topic.clone(), partition: tp.partition },
                });
            }
        };
        self.consumers.get_mut(consumer).expect("consumer").positions.insert(tp.clone(), offset);
        self.emit(Event::OffsetReset {
            consumer: consumer.to_string(),
            invalid: candidate,
            partition: tp.clone(),
            offset,
            strategy,
        });
        Ok(offset)
    }

    /// `poll`: rejoins the group if needed, auto-commits when the interval has
    /// passed (the positions from earlier polls, as the Java client does), then
    /// fetches up to `max_records` from the leaders of the assigned partitions,
    /// never past the high watermark (or the last stable offset for read_committed).
    pub fn poll(
        &mut self,
        consumer: &str,
        max_records: Option<u32>,
    ) -> Result<(Vec<ConsumerRecord>, Vec<Event>), KafkaError> {
        self.run(|c| c.poll_inner(consumer, max_records))
    }

    fn poll_inner(&mut self, consumer: &str, max_records: Option<u32>) -> Result<Vec<ConsumerRecord>, KafkaError> {
        let state = self.active_consumer(consumer)?;
        let max = max_records.unwrap_or(state.config.max_poll_records).max(1) as usize;
        let now = self.now;
        let rejoin = !state.in_group && !state.subscription.is_empty();
        let group = state.config.group_id.clone();
        {
            let s = self.consumers.get_mut(consumer).expect("consumer");
            s.last_poll_ms = now;
        }
        if rejoin {
            self.join_group(consumer);
        }
        if let Some(ms) = self.groups.get_mut(&group).and_then(|g| g.member_state.get_mut(consumer)) {
            ms.last_heartbeat_ms = now;
        }
        let s = &self.consumers[consumer];
        if s.config.enable_auto_commit && now.saturating_sub(s.last_auto_commit_ms) >= s.config.auto_commit_interval_ms
        {
            self.commit_positions(consumer, true);
            self.consumers.get_mut(consumer).expect("consumer").last_auto_commit_ms = now;
        }
        let assigned: Vec<TopicPartition> =
            self.groups.get(&group).and_then(|g| g.assignment.get(consumer)).cloned().unwrap_or_default();
        let mut out = Vec::new();
        if assigned.is_empty() {
            return Ok(out);
        }
        let start = self.consumers[consumer].cursor % assigned.len();
        for k in 0..assigned.len() {
            if out.len() >= max {
                break;
            }
            let tp = &assigned[(start + k) % assigned.len()];
            let position = self.resolve_position(consumer, tp)?;
            let s = &self.consumers[consumer];
            let part = &self.topics[&tp.topic].partitions[tp.partition as usize];
            let Some(li) = part.leader else { continue };
            if !self.brokers[part.replicas[li].broker as usize].alive {
                continue;
            }
            let read_committed = s.config.isolation_level == IsolationLevel::ReadCommitted;
            let upper = self.end_offset_for(s, tp);
            let mut next = position;
            let mut first = None;
            let mut last = 0;
            let mut count = 0u32;
            for r in part.log.records_from(position) {
                if r.offset >= upper || out.len() >= max {
                    break;
                }
                next = r.offset + 1;
                if r.kind.is_control()
                    || (read_committed
                        && r.kind == RecordKind::Transactional
                        && part.is_aborted(r.producer_id, r.offset))
                {
                    continue;
                }
                first.get_or_insert(r.offset);
                last = r.offset;
                count += 1;
                out.push(ConsumerRecord {
                    topic: tp.topic.clone(),
                    partition: tp.partition,
                    offset: r.offset,
                    timestamp: r.timestamp,
                    key: r.data.key.clone(),
                    value: r.data.value.clone(),
                    headers: r.data.headers.clone(),
                });
            }
            self.consumers.get_mut(consumer).expect("consumer").positions.insert(tp.clone(), next);
            if let Some(from) = first {
                self.emit(Event::RecordsFetched {
                    consumer: consumer.to_string(),
                    group: group.clone(),
                    partition: tp.clone(),
                    from,
                    to: last,
                    count,
                });
            }
        }
        self.consumers.get_mut(consumer).expect("consumer").cursor = start + 1;
        Ok(out)
    }

    /// Commits offsets: the current positions (`commitSync()`), or explicit ones.
    pub fn commit(
        &mut self,
        consumer: &str,
        offsets: Option<Vec<(TopicPartition, i64)>>,
    ) -> Result<Vec<Event>, KafkaError> {
        self.run(|c| {
            let state = c.active_consumer(consumer)?;
            let group = state.config.group_id.clone();
            let owned: Vec<TopicPartition> =
                c.groups.get(&group).and_then(|g| g.assignment.get(consumer)).cloned().unwrap_or_default();
            let offsets = match offsets {
                Some(o) => o,
                None => state
                    .positions
                    .iter()
                    .filter(|(tp, _)| owned.contains(tp))
                    .map(|(tp, o)| (tp.clone(), *o))
                    .collect(),
            };
            for (tp, o) in &offsets {
                let part = c.partition_ref(&tp.topic, tp.partition)?;
                if !owned.contains(tp) {
                    return Err(KafkaError::CommitFailed { consumer: consumer.to_string(), partition: tp.to_string() });
                }
                if *o < 0 || *o > part.high_watermark {
                    return Err(KafkaError::OffsetOutOfRange {
                        topic: tp.topic.clone(),
                        partition: tp.partition,
                        offset: *o,
                    });
                }
            }
            let g = c.groups.get_mut(&group).expect("group");
            for (tp, o) in &offsets {
                g.committed.insert(tp.clone(), *o);
            }
            if !offsets.is_empty() {
                c.emit(Event::OffsetsCommitted { group, by: consumer.to_string(), offsets, auto: false });
            }
            Ok(())
        })
        .map(|(_, e)| e)
    }

    /// Moves the consumer's position in an assigned partition.
    pub fn seek(&mut self, consumer: &str, tp: &TopicPartition, to: SeekTo) -> Result<Vec<Event>, KafkaError> {
        self.run(|c| {
            let state = c.active_consumer(consumer)?;
            let part = c.partition_ref(&tp.topic, tp.partition)?;
            let owned = c
                .groups
                .get(&state.config.group_id)
                .and_then(|g| g.assignment.get(consumer))
                .is_some_and(|a| a.contains(tp));
            if !owned {
                return Err(KafkaError::CommitFailed { consumer: consumer.to_string(), partition: tp.to_string() });
            }
            let end = c.end_offset_for(state, tp);
            let offset = match to {
                SeekTo::Offset(o) => {
                    if o < 0 {
                        return Err(KafkaError::OffsetOutOfRange {
                            topic: tp.topic.clone(),
                            partition: tp.partition,
                            offset: o,
                        });
                    }
                    o
                }
                SeekTo::Beginning => part.log.log_start_offset(),
                SeekTo::End => end,
                SeekTo::Timestamp(ts) => part.log.offset_for_timestamp(ts).map_or(end, |o| o.min(end)),
            };
            c.consumers.get_mut(consumer).expect("consumer").positions.insert(tp.clone(), offset);
            c.emit(Event::Seeked { consumer: consumer.to_string(), partition: tp.clone(), offset });
            Ok(())
        })
        .map(|(_, e)| e)
    }

    /// Closes a consumer cleanly.
    pub fn close_consumer(&mut self, consumer: &str) -> Result<Vec<Event>, KafkaError> {
        self.run(|c| {
            let state = c.active_consumer(consumer)?;
            let group = state.config.group_id.clone();
            let is_static = state.config.group_instance_id.is_some();
            let in_group = state.in_group;
            if state.config.enable_auto_commit && in_group {
                c.commit_positions(consumer, true);
            }
            c.consumers.get_mut(consumer).expect("consumer").status = ConsumerStatus::Closed;
            // Static members do not send LeaveGroup: the coordinator keeps
            // their partitions until the session times out.
            if in_group && !is_static {
                c.remove_member(&group, consumer, RebalanceReason::MemberLeft(consumer.to_string()));
            }
            Ok(())
        })
        .map(|(_, e)| e)
    }

    /// Kills a consumer process: nothing is committed and nobody is told.
    pub fn crash_consumer(&mut self, consumer: &str) -> Result<Vec<Event>, KafkaError> {
        self.run(|c| {
            c.active_consumer(consumer)?;
            c.consumers.get_mut(consumer).expect("consumer").status = ConsumerStatus::Crashed;
            Ok(())
        })
        .map(|(_, e)| e)
    }

    fn step_groups(&mut self) {
        let now = self.now;
        let names: Vec<String> = self.groups.keys().cloned().collect();
        for group in names {
            let members = self.groups[&group].members.clone();
            for m in members {
                let Some(c) = self.consumers.get(&m) else {
                    continue;
                };
                let (status, last_poll, max_poll, is_static) =
                    (c.status, c.last_poll_ms, c.config.max_poll_interval_ms, c.config.group_instance_id.is_some());
                let g = self.groups.get_mut(&group).expect("group");
                let Some(ms) = g.member_state.get_mut(&m) else {
                    continue;
                };
                // The background heartbeat thread keeps a live member in the
                // group until it stops polling for too long.
                let polling = now.saturating_sub(last_poll) <= max_poll;
                if status == ConsumerStatus::Active && polling {
                    ms.last_heartbeat_ms = now;
                    continue;
                }
                if status == ConsumerStatus::Active && !polling && !is_static {
                    self.remove_member(&group, &m, RebalanceReason::MaxPollIntervalExceeded(m.clone()));
                    continue;
                }
                if now.saturating_sub(ms.last_heartbeat_ms) > ms.session_timeout_ms {
                    self.remove_member(&group, &m, RebalanceReason::SessionTimeout(m.clone()));
                }
            }
            // The leader notices partitions added to a subscribed topic.
            let g = &self.groups[&group];
            let grown = g
                .partition_counts
                .iter()
                .find(|(t, n)| self.topics.get(*t).is_some_and(|ts| ts.partitions.len() as u32 != **n))
                .map(|(t, _)| t.clone());
            if let Some(t) = grown
                && !g.members.is_empty()
            {
                self.rebalance(&group, RebalanceReason::PartitionsAdded(t));
            }
        }
    }

    // ----- time ---------------------------------------------------------------

    /// Lets `ms` milliseconds of logical time pass, in steps of `step_ms`.
    pub fn tick(&mut self, ms: u64) -> Result<Vec<Event>, KafkaError> {
        self.run(|c| {
            let mut remaining = ms;
            // Long jumps (days of retention) use longer steps so a tick stays cheap.
            let step = c.config.step_ms.max(ms / 2_000);
            while remaining > 0 {
                let dt = remaining.min(step);
                remaining -= dt;
                c.step(dt);
            }
            let now = c.now;
            c.emit(Event::Ticked { now });
            Ok(())
        })
        .map(|(_, e)| e)
    }

    fn step(&mut self, dt: u64) {
        self.now += dt;
        self.step_producers();
        self.step_replication();
        self.step_groups();
        self.step_logs();
    }

    fn step_replication(&mut self) {
        let now = self.now;
        let lag_max = self.config.replica_lag_time_max_ms;
        let fetch_max = i64::from(self.config.replica_fetch_max_records);
        let names: Vec<String> = self.topics.keys().cloned().collect();
        for name in names {
            let count = self.topics[&name].partitions.len();
            for p in 0..count {
                let brokers = &self.brokers;
                let part = &mut self.topics.get_mut(&name).expect("topic").partitions[p];
                let Some(li) = part.leader else { continue };
                let leader_leo = part.log.log_end_offset();
                let hw = part.high_watermark;
                let mut copied = Vec::new();
                let mut shrunk = Vec::new();
                let mut expanded = Vec::new();
                for (i, r) in part.replicas.iter_mut().enumerate() {
                    if i == li {
                        r.last_caught_up_ms = now;
                        continue;
                    }
                    let b = &brokers[r.broker as usize];
                    if b.alive && !b.replication_paused {
                        let from = r.log_end_offset;
                        let n = (leader_leo - from).min(fetch_max);
                        if n > 0 {
                            r.log_end_offset += n;
                            copied.push((r.broker, from, from + n));
                        }
                        if r.log_end_offset == leader_leo {
                            r.last_caught_up_ms = now;
                        }
                        r.high_watermark = r.log_end_offset.min(hw);
                    }
                    let in_isr = part.isr.contains(&r.broker);
                    let lagging = r.log_end_offset < leader_leo && now.saturating_sub(r.last_caught_up_ms) > lag_max;
                    if in_isr && lagging {
                        shrunk.push(r.broker);
                    } else if !in_isr && b.alive && r.log_end_offset >= hw && r.log_end_offset == leader_leo {
                        expanded.push(r.broker);
                    }
                }
                for b in &shrunk {
                    part.isr.retain(|x| x != b);
                }
                for b in &expanded {
                    part.isr.push(*b);
                }
                if !expanded.is_empty() {
                    let order: Vec<u32> = part.replicas.iter().map(|r| r.broker).collect();
                    part.isr.sort_by_key(|b| order.iter().position(|x| x == b));
                }
                let isr = part.isr.clone();
                if self.record_events {
                    for (broker, from, to) in copied {
                        self.events.push(Event::RecordsReplicated {
                            topic: name.clone(),
                            partition: p as u32,
                            broker,
                            from,
                            to,
                        });
                    }
                    for broker in shrunk {
                        self.events.push(Event::IsrShrunk {
                            topic: name.clone(),
                            partition: p as u32,
                            broker,
                            isr: isr.clone(),
                            reason: IsrShrinkReason::LagTimeExceeded,
                        });
                    }
                    for broker in expanded {
                        self.events.push(Event::IsrExpanded {
                            topic: name.clone(),
                            partition: p as u32,
                            broker,
                            isr: isr.clone(),
                        });
                    }
                }
                self.update_high_watermark(&name, p);
                let part = &mut self.topics.get_mut(&name).expect("topic").partitions[p];
                let hw = part.high_watermark;
                for r in &mut part.replicas {
                    r.high_watermark = r.high_watermark.max(r.log_end_offset.min(hw)).min(hw);
                }
            }
        }
    }

    fn step_logs(&mut self) {
        let now = self.now;
        let names: Vec<String> = self.topics.keys().cloned().collect();
        for name in names {
            let count = self.topics[&name].partitions.len();
            for p in 0..count {
                self.apply_log_cleanup(&name, p, now, true);
            }
        }
    }

    fn apply_log_cleanup(&mut self, name: &str, p: usize, now: u64, compact: bool) {
        let t = self.topics.get_mut(name).expect("topic");
        let settings = t.settings;
        let part = &mut t.partitions[p];
        let hw = part.high_watermark;
        let before = part.log.log_start_offset();
        let removed = part.log.apply_retention(now, hw, &settings);
        let compacted = if compact { part.log.compact(now, hw, &settings) } else { Vec::new() };
        let after = part.log.log_start_offset();
        for r in &mut part.replicas {
            r.log_end_offset = r.log_end_offset.max(after.min(part.log.log_end_offset()));
        }
        if !self.record_events {
            return;
        }
        for (from, to, reason, count) in removed {
            self.events.push(Event::RecordsRemoved {
                topic: name.to_string(),
                partition: p as u32,
                from,
                to,
                count,
                reason,
            });
        }
        for (offset, reason) in compacted {
            self.events.push(Event::RecordsRemoved {
                topic: name.to_string(),
                partition: p as u32,
                from: offset,
                to: offset + 1,
                count: 1,
                reason,
            });
        }
        if after > before {
            self.events.push(Event::LogStartOffsetMoved {
                topic: name.to_string(),
                partition: p as u32,
                log_start_offset: after,
            });
        }
    }

    // ----- read-only views ----------------------------------------------------

    /// Every broker with its liveness.
    pub fn brokers(&self) -> Vec<BrokerView> {
        self.brokers
            .iter()
            .enumerate()
            .map(|(i, b)| {
                let id = i as u32;
                let leads = self
                    .topics
                    .values()
                    .flat_map(|t| t.partitions.iter())
                    .filter(|p| p.leader_broker() == Some(id))
                    .count() as u32;
                BrokerView { id, alive: b.alive, replication_paused: b.replication_paused, leader_count: leads }
            })
            .collect()
    }

    /// The controller's summary of the cluster: elections so far, offline and
    /// under-replicated partitions.
    pub fn controller(&self) -> ControllerView {
        let parts = || self.topics.values().flat_map(|t| t.partitions.iter());
        ControllerView {
            live_brokers: self.brokers.iter().filter(|b| b.alive).count() as u32,
            leader_elections: self.elections,
            offline_partitions: parts().filter(|p| p.leader.is_none()).count() as u32,
            under_replicated_partitions: parts().filter(|p| p.isr.len() < p.replicas.len()).count() as u32,
        }
    }

    /// Topic names, sorted.
    pub fn topic_names(&self) -> Vec<String> {
        self.topics.keys().cloned().collect()
    }

    /// One topic with all its partitions.
    pub fn topic(&self, name: &str) -> Result<TopicView, KafkaError> {
        let t = self.topic_ref(name)?;
        Ok(TopicView {
            name: name.to_string(),
            config: t.config.clone(),
            partitions: (0..t.partitions.len() as u32).map(|p| self.partition(name, p)).collect::<Result<_, _>>()?,
        })
    }

    /// One partition: leader, replicas with their log end offsets and high
    /// watermarks, ISR, offsets and size.
    pub fn partition(&self, topic: &str, partition: u32) -> Result<PartitionView, KafkaError> {
        let part = self.partition_ref(topic, partition)?;
        Ok(PartitionView {
            topic: topic.to_string(),
            partition,
            leader: part.leader_broker(),
            leader_epoch: part.leader_epoch,
            replicas: part
                .replicas
                .iter()
                .map(|r| ReplicaView {
                    broker: r.broker,
                    alive: self.broker_alive(r.broker),
                    in_isr: part.isr.contains(&r.broker),
                    is_leader: part.leader_broker() == Some(r.broker),
                    log_end_offset: r.log_end_offset,
                    high_watermark: r.high_watermark,
                })
                .collect(),
            isr: part.isr.clone(),
            high_watermark: part.high_watermark,
            log_start_offset: part.log.log_start_offset(),
            log_end_offset: part.log.log_end_offset(),
            last_stable_offset: part.last_stable_offset(),
            retained_records: part.log.retained_records(),
            retained_bytes: part.log.retained_bytes(),
            segments: part.log.segments().count() as u32,
        })
    }

    /// The records a partition holds, in offset order (transaction markers included).
    pub fn records(&self, topic: &str, partition: u32) -> Result<Vec<Record>, KafkaError> {
        Ok(self.partition_ref(topic, partition)?.log.iter().cloned().collect())
    }

    /// Up to `max` records from `from` on, for drawing one page of a long log.
    pub fn records_page(&self, topic: &str, partition: u32, from: i64, max: usize) -> Result<Vec<Record>, KafkaError> {
        Ok(self.partition_ref(topic, partition)?.log.records_from(from).take(max).cloned().collect())
    }

    /// The record at an offset, if the log still holds it.
    pub fn record(&self, topic: &str, partition: u32, offset: i64) -> Result<Option<Record>, KafkaError> {
        Ok(self.partition_ref(topic, partition)?.log.get(offset).cloned())
    }

    /// Group ids, sorted.
    pub fn group_ids(&self) -> Vec<String> {
        self.groups.keys().cloned().collect()
    }

    /// One consumer group: members, generation, assignment, committed offsets and lag.
    pub fn group(&self, id: &str) -> Option<GroupView> {
        let g = self.groups.get(id)?;
        Some(GroupView {
            group_id: id.to_string(),
            assignor: g.assignor,
            generation: g.generation,
            state: if g.members.is_empty() { GroupStateView::Empty } else { GroupStateView::Stable },
            members: g
                .members
                .iter()
                .map(|m| MemberView {
                    member_id: m.clone(),
                    group_instance_id: g.member_state[m].instance_id.clone(),
                    alive: self.consumers.get(m).is_some_and(|c| c.status == ConsumerStatus::Active),
                    assignment: g.assignment.get(m).cloned().unwrap_or_default(),
                    subscription: self.consumers.get(m).map(|c| c.subscription.clone()).unwrap_or_default(),
                })
                .collect(),
            committed: g.committed.iter().map(|(tp, o)| (tp.clone(), *o)).collect(),
            lag: self.group_lag(id),
        })
    }

    /// Lag per partition of the group's subscribed topics: the high watermark
    /// minus the committed offset (the whole readable log when nothing is committed).
    pub fn group_lag(&self, id: &str) -> Vec<PartitionLag> {
        let Some(g) = self.groups.get(id) else {
            return Vec::new();
        };
        let mut topics: BTreeSet<&str> = g.committed.keys().map(|tp| tp.topic.as_str()).collect();
        for m in &g.members {
            if let Some(c) = self.consumers.get(m) {
                topics.extend(c.subscription.iter().map(String::as_str));
            }
        }
        let mut out = Vec::new();
        for t in topics {
            let Some(ts) = self.topics.get(t) else {
                continue;
            };
            for (p, part) in ts.partitions.iter().enumerate() {
                let tp = TopicPartition::new(t, p as u32);
                let committed = g.committed.get(&tp).copied();
                let end = part.high_watermark;
                let lag = end - committed.unwrap_or(part.log.log_start_offset()).max(part.log.log_start_offset());
                let owner = g.assignment.iter().find(|(_, a)| a.contains(&tp)).map(|(m, _)| m.clone());
                out.push(PartitionLag { partition: tp, committed, log_end_offset: end, lag: lag.max(0), owner });
            }
        }
        out
    }

    /// One consumer: status, subscription, assignment and positions.
    pub fn consumer(&self, name: &str) -> Result<ConsumerView, KafkaError> {
        let c = self.consumers.get(name).ok_or_else(|| KafkaError::UnknownConsumer(name.to_string()))?;
        Ok(ConsumerView {
            name: name.to_string(),
            config: c.config.clone(),
            status: match c.status {
                ConsumerStatus::Active => ClientStatus::Active,
                ConsumerStatus::Crashed => ClientStatus::Crashed,
                ConsumerStatus::Closed => ClientStatus::Closed,
            },
            in_group: c.in_group,
            subscription: c.subscription.clone(),
            assignment: self
                .groups
                .get(&c.config.group_id)
                .and_then(|g| g.assignment.get(name))
                .cloned()
                .unwrap_or_default(),
            positions: c.positions.iter().map(|(tp, o)| (tp.clone(), *o)).collect(),
        })
    }

    /// Consumer names, sorted.
    pub fn consumer_names(&self) -> Vec<String> {
        self.consumers.keys().cloned().collect()
    }

    /// Producer names, sorted.
    pub fn producer_names(&self) -> Vec<String> {
        self.producers.keys().cloned().collect()
    }

    /// One producer: id, epoch, in-flight records and transaction state.
    pub fn producer(&self, name: &str) -> Result<ProducerView, KafkaError> {
        let p = self.producers.get(name).ok_or_else(|| KafkaError::UnknownProducer(name.to_string()))?;
        Ok(ProducerView {
            name: name.to_string(),
            config: p.config.clone(),
            producer_id: p.producer_id,
            epoch: p.epoch,
            in_flight: p
                .in_flight
                .iter()
                .map(|f| InFlightView {
                    partition: TopicPartition::new(&*f.topic, f.partition),
                    sequence: f.sequence,
                    attempts: f.attempts,
                    appended_at: match f.state {
                        FlightState::Waiting => None,
                        FlightState::Appended { offset, .. } => Some(offset),
                    },
                })
                .collect(),
            transaction_open: p.txn.is_some(),
            fenced: p.fenced,
            closed: p.closed,
        })
    }

    /// Why a record is where it is, who reads it, and how far it has replicated.
    pub fn explain_record(&self, topic: &str, partition: u32, offset: i64) -> Result<RecordExplanation, KafkaError> {
        let part = self.partition_ref(topic, partition)?;
        let Some(r) = part.log.get(offset) else {
            return Err(KafkaError::OffsetOutOfRange { topic: topic.to_string(), partition, offset });
        };
        let placement = match r.partitioning {
            PartitionReason::Explicit => {
                format!("The producer named partition {partition} explicitly, which overrides every partitioner.")
            }
            PartitionReason::Key { hash, partitions } => format!(
                "The key hashes with murmur2 to {hash}; toPositive gives {}; {} mod {partitions} partitions = {partition}. Every record with this key goes here while the partition count stays {partitions}.",
                crate::partitioner::to_positive(hash),
                crate::partitioner::to_positive(hash)
            ),
            PartitionReason::Sticky => {
                format!(
                    "The record has no key, so the sticky partitioner sent it to partition {partition}, where the producer's current batch was; it moves on once about batch.size bytes have gone there."
                )
            }
            PartitionReason::RoundRobin { counter, available } => {
                format!(
                    "The round-robin partitioner's counter was {counter}; {counter} mod {available} available partitions picked partition {partition}."
                )
            }
            PartitionReason::Control => {
                "A transaction marker, written by the transaction coordinator to every partition of the transaction."
                    .to_string()
            }
        };
        let mut readers = Vec::new();
        for (gid, g) in &self.groups {
            let tp = TopicPartition::new(topic, partition);
            let subscribed = g
                .members
                .iter()
                .any(|m| self.consumers.get(m).is_some_and(|c| c.subscription.iter().any(|t| t == topic)))
                || g.committed.contains_key(&tp);
            if !subscribed {
                continue;
            }
            let owner = g.assignment.iter().find(|(_, a)| a.contains(&tp)).map(|(m, _)| m.clone());
            let committed = g.committed.get(&tp).copied();
            let consumed = committed.is_some_and(|c| c > offset);
            let reason = match &owner {
                Some(m) => format!(
                    "{m} owns {tp} in generation {} of group {gid}, assigned by the {} assignor; only one member of a group reads a partition.",
                    g.generation,
                    g.assignor.protocol_name()
                ),
                None => format!(
                    "No member of group {gid} owns {tp} right now (no members, more partitions than members can hold, or a rebalance is pending)."
                ),
            };
            let status = if consumed {
                format!(
                    "Group {gid} has committed offset {}, past this record, so it counts as consumed.",
                    committed.unwrap_or(0)
                )
            } else if offset >= part.high_watermark {
                "The record is above the high watermark, so no consumer can read it yet.".to_string()
            } else {
                format!("Group {gid} has not committed past it yet (committed: {committed:?}).")
            };
            readers.push(GroupReader {
                group: gid.clone(),
                member: owner,
                committed,
                consumed,
                reason: format!("{reason} {status}"),
            });
        }
        let replication = part
            .replicas
            .iter()
            .map(|rep| ReplicaProgress {
                broker: rep.broker,
                alive: self.broker_alive(rep.broker),
                in_isr: part.isr.contains(&rep.broker),
                is_leader: part.leader_broker() == Some(rep.broker),
                has_record: rep.log_end_offset > offset,
                log_end_offset: rep.log_end_offset,
            })
            .collect::<Vec<_>>();
        let copies = replication.iter().filter(|x| x.has_record).count();
        let committed = offset < part.high_watermark;
        let replication_summary = format!(
            "{copies} of {} replicas hold it; {}",
            replication.len(),
            if committed {
                "it is below the high watermark, so every in-sync replica has it and consumers may read it."
            } else {
                "it is not yet on every in-sync replica, so it is above the high watermark and invisible to consumers."
            }
        );
        Ok(RecordExplanation {
            topic: topic.to_string(),
            partition,
            offset,
            key: r.data.key.clone(),
            reason: r.partitioning,
            murmur2: r.data.key.as_deref().map(murmur2),
            placement,
            readers,
            replication,
            below_high_watermark: committed,
            replication_summary,
            aborted: r.kind == RecordKind::Transactional && part.is_aborted(r.producer_id, r.offset),
            transactional: r.kind == RecordKind::Transactional,
        })
    }

    /// The number of records retained over every partition of a topic.
    pub fn retained_records(&self, topic: &str) -> Result<u64, KafkaError> {
        Ok(self.topic_ref(topic)?.partitions.iter().map(|p| p.log.retained_records()).sum())
    }

    /// The bytes retained over every partition of a topic.
    pub fn retained_bytes(&self, topic: &str) -> Result<u64, KafkaError> {
        Ok(self.topic_ref(topic)?.partitions.iter().map(|p| p.log.retained_bytes()).sum())
    }

    /// Applies retention and compaction right now, as the log cleaner's next pass would.
    pub fn run_log_cleanup(&mut self) -> Vec<Event> {
        self.events.clear();
        self.step_logs();
        self.take_events()
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
