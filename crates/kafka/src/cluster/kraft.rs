//! KRaft made visible: the controller quorum and its metadata log.
//!
//! Kafka 4 keeps all cluster metadata in one replicated log, `__cluster_metadata`,
//! written by the active controller (the Raft leader of the controller quorum)
//! and applied by every broker. Brokerlab models three dedicated controllers
//! (node ids 100, 101, 102), the layout Kafka's operations guide asks for
//! outside development ("combined mode ... should be avoided in critical
//! deployment environments"; three controllers tolerate one failure), so that
//! a broker crash and a controller crash stay separate lessons.
//!
//! - The metadata log holds the records the controller writes, with their
//!   offsets and the quorum epoch they were written in: `RegisterBrokerRecord`,
//!   `BrokerRegistrationChangeRecord` (fence, unfence, controlled shutdown),
//!   `TopicRecord`, `PartitionRecord`, `PartitionChangeRecord` (leader, ISR,
//!   ELR, `LastKnownElr`), `ConfigRecord` and the quorum's own `LeaderChangeMessage`. Partition
//!   changes are found by comparing each partition with the last state the log
//!   published (`publish_partitions`), so every leader, ISR or ELR change the
//!   engine makes shows up as one record, in the order it happened.
//! - The quorum needs a majority of its voters. When the active controller
//!   crashes, the others elect a new one after `controller.quorum.fetch.timeout.ms`
//!   (2 s) with the next epoch; the new one starts every broker's session afresh
//!   (`ClusterControlManager.activate`). Without an active controller nothing
//!   in the metadata changes: no fencing, no elections, no ISR changes
//!   (leaders keep serving with the ISR they have), no new topics, and a
//!   restarted broker waits to register.
//! - The log keeps its last [`METADATA_LOG_KEEP`] records; older ones are what
//!   a KRaft snapshot would hold.

use super::*;
use std::collections::VecDeque;

/// The node id of the first controller; the others follow.
pub const FIRST_CONTROLLER_ID: u32 = 100;
/// How many metadata records the log view keeps.
pub const METADATA_LOG_KEEP: usize = 200;
/// `controller.quorum.fetch.timeout.ms` (Kafka: 2000): how long the voters
/// wait without hearing from the leader before they elect another.
pub const QUORUM_FETCH_TIMEOUT_MS: u64 = 2_000;

/// What the metadata log last said about one partition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Published {
    pub(crate) leader: Option<u32>,
    pub(crate) leader_epoch: u32,
    pub(crate) isr: Vec<u32>,
    pub(crate) elr: Vec<u32>,
    pub(crate) last_known_elr: Vec<u32>,
}

/// The controller quorum and the metadata log.
#[derive(Debug, Clone)]
pub(crate) struct Quorum {
    /// Whether each voter runs.
    pub(crate) voters: Vec<bool>,
    /// The active controller (index into `voters`).
    pub(crate) leader: Option<usize>,
    /// The Raft epoch.
    pub(crate) epoch: u32,
    /// When the voters elect a new leader, after the old one stopped.
    pub(crate) election_due: Option<u64>,
    pub(crate) log: VecDeque<MetadataRecord>,
    pub(crate) next_offset: u64,
    /// What the log last published for each partition, by topic and then
    /// partition, so a command compares each topic's name once.
    pub(crate) image: BTreeMap<String, BTreeMap<u32, Published>>,
    /// Each broker's epoch: the offset of its last `RegisterBrokerRecord`.
    pub(crate) broker_epochs: Vec<u64>,
}

impl Quorum {
    pub(crate) fn new(controllers: u32, brokers: u32) -> Quorum {
        Quorum {
            voters: vec![true; controllers as usize],
            leader: Some(0),
            epoch: 1,
            election_due: None,
            log: VecDeque::new(),
            next_offset: 0,
            image: BTreeMap::new(),
            broker_epochs: vec![0; brokers as usize],
        }
    }

    fn majority(&self) -> bool {
        let alive = self.voters.iter().filter(|a| **a).count();
        alive * 2 > self.voters.len()
    }
}

impl Cluster {
    /// Whether the quorum has an active controller, so metadata can change.
    pub(super) fn quorum_active(&self) -> bool {
        self.kraft.leader.is_some()
    }

    /// Appends one record to the metadata log.
    pub(super) fn append_metadata(&mut self, record: MetadataPayload) {
        let q = &mut self.kraft;
        let entry = MetadataRecord { offset: q.next_offset, epoch: q.epoch, time_ms: self.now, record };
        q.next_offset += 1;
        q.log.push_back(entry);
        while q.log.len() > METADATA_LOG_KEEP {
            q.log.pop_front();
        }
    }

    /// The records a new cluster's log starts with: the quorum's first
    /// leader, then each broker registering (fenced) and being unfenced once
    /// it has caught up with the log.
    pub(super) fn bootstrap_metadata(&mut self) {
        let id = FIRST_CONTROLLER_ID;
        self.append_metadata(MetadataPayload::LeaderChange { leader: id, epoch: 1 });
        for b in 0..self.brokers.len() as u32 {
            self.register_broker_record(b);
        }
        if self.config.min_insync_replicas != 1 {
            let value = self.config.min_insync_replicas.to_string();
            self.append_metadata(MetadataPayload::Config {
                resource: "broker".into(),
                key: "min.insync.replicas".into(),
                value: Some(value),
            });
        }
        if self.config.unclean_leader_election_enable {
            self.append_metadata(MetadataPayload::Config {
                resource: "broker".into(),
                key: "unclean.leader.election.enable".into(),
                value: Some("true".into()),
            });
        }
    }

    /// `RegisterBrokerRecord` (the broker is fenced until it catches up) and
    /// the `BrokerRegistrationChangeRecord` that unfences it.
    pub(super) fn register_broker_record(&mut self, broker: u32) {
        self.register_record(broker);
        self.broker_change_record(broker, BrokerChange::Unfence);
    }

    /// `RegisterBrokerRecord`, which gives the broker its new epoch. Returns it.
    pub(super) fn register_record(&mut self, broker: u32) -> u64 {
        let epoch = self.kraft.next_offset;
        if let Some(e) = self.kraft.broker_epochs.get_mut(broker as usize) {
            *e = epoch;
        }
        self.append_metadata(MetadataPayload::RegisterBroker { broker, broker_epoch: epoch });
        epoch
    }

    /// A `BrokerRegistrationChangeRecord`.
    pub(super) fn broker_change_record(&mut self, broker: u32, change: BrokerChange) {
        let broker_epoch = self.kraft.broker_epochs.get(broker as usize).copied().unwrap_or(0);
        self.append_metadata(MetadataPayload::BrokerRegistrationChange { broker, broker_epoch, change });
    }

    /// `TopicRecord`, the topic's non-default `ConfigRecord`s and one
    /// `PartitionRecord` per partition from `first`.
    pub(super) fn topic_records(&mut self, name: &str, first: usize) {
        let Some(t) = self.topics.get(name) else { return };
        let mut records = Vec::new();
        if first == 0 {
            records.push(MetadataPayload::Topic { name: name.to_string() });
            let c = &t.config;
            let mut configs = Vec::new();
            if let Some(m) = c.min_insync_replicas {
                configs.push(("min.insync.replicas", m.to_string()));
            }
            if let Some(u) = c.unclean_leader_election_enable {
                configs.push(("unclean.leader.election.enable", u.to_string()));
            }
            if c.cleanup_policy != CleanupPolicy::Delete {
                let v = match c.cleanup_policy {
                    CleanupPolicy::Compact => "compact",
                    _ => "compact,delete",
                };
                configs.push(("cleanup.policy", v.to_string()));
            }
            for (key, value) in configs {
                records.push(MetadataPayload::Config {
                    resource: format!("topic {name}"),
                    key: key.to_string(),
                    value: Some(value),
                });
            }
        }
        for (p, part) in t.partitions.iter().enumerate().skip(first) {
            records.push(MetadataPayload::Partition {
                topic: name.to_string(),
                partition: p as u32,
                replicas: part.replicas.iter().map(|r| r.broker).collect(),
                isr: part.isr.clone(),
                leader: part.metadata_leader(),
                leader_epoch: part.leader_epoch,
            });
            self.kraft.image.entry(name.to_string()).or_default().insert(
                p as u32,
                Published {
                    leader: part.metadata_leader(),
                    leader_epoch: part.leader_epoch,
                    isr: part.isr.clone(),
                    elr: part.elr.clone(),
                    last_known_elr: part.last_known_elr.clone(),
                },
            );
        }
        for r in records {
            self.append_metadata(r);
        }
    }

    /// Writes a `PartitionChangeRecord` for every partition whose leader,
    /// leader epoch, ISR or ELR differ from what the log last published.
    pub(super) fn publish_partitions(&mut self) {
        let mut changes = Vec::new();
        for (name, t) in &self.topics {
            // One lookup per topic: this runs after every command, and a
            // name compared per partition made the produce path slow.
            let published = self.kraft.image.get(name);
            for (p, part) in t.partitions.iter().enumerate() {
                let old = published.and_then(|ps| ps.get(&(p as u32)));
                let same = old.is_some_and(|o| {
                    o.leader == part.metadata_leader()
                        && o.leader_epoch == part.leader_epoch
                        && o.isr == part.isr
                        && o.elr == part.elr
                        && o.last_known_elr == part.last_known_elr
                });
                if !same {
                    let now = Published {
                        leader: part.metadata_leader(),
                        leader_epoch: part.leader_epoch,
                        isr: part.isr.clone(),
                        elr: part.elr.clone(),
                        last_known_elr: part.last_known_elr.clone(),
                    };
                    changes.push(((name.clone(), p as u32), old.cloned(), now));
                }
            }
        }
        for ((topic, partition), old, now) in changes {
            let leader_changed =
                old.as_ref().is_none_or(|o| o.leader != now.leader || o.leader_epoch != now.leader_epoch);
            let record = MetadataPayload::PartitionChange {
                topic: topic.clone(),
                partition,
                leader: leader_changed.then_some(now.leader),
                leader_epoch: now.leader_epoch,
                isr: (old.as_ref().is_none_or(|o| o.isr != now.isr)).then(|| now.isr.clone()),
                elr: (old.as_ref().is_none_or(|o| o.elr != now.elr)).then(|| now.elr.clone()),
                last_known_elr: (old.as_ref().is_none_or(|o| o.last_known_elr != now.last_known_elr))
                    .then(|| now.last_known_elr.clone()),
            };
            self.kraft.image.entry(topic).or_default().insert(partition, now);
            self.append_metadata(record);
        }
    }

    /// Stops a controller. When it was the active one, the others elect a
    /// new leader after `controller.quorum.fetch.timeout.ms`, if they are a majority.
    pub fn crash_controller(&mut self, controller: u32) -> Result<Vec<Event>, KafkaError> {
        self.run(|c| {
            let i = c.controller_index(controller)?;
            if !c.kraft.voters.get(i).copied().unwrap_or(false) {
                return Err(KafkaError::ControllerNotAvailable(controller));
            }
            c.publish_partitions();
            if let Some(v) = c.kraft.voters.get_mut(i) {
                *v = false;
            }
            c.emit(Event::ControllerCrashed { controller });
            if c.kraft.leader == Some(i) {
                c.kraft.leader = None;
                c.kraft.election_due = Some(c.now.saturating_add(QUORUM_FETCH_TIMEOUT_MS));
            }
            if !c.kraft.majority() {
                c.emit(Event::QuorumLost { alive: c.kraft.voters.iter().filter(|a| **a).count() as u32 });
            }
            Ok(())
        })
        .map(|(_, e)| e)
    }

    /// Starts a stopped controller again. If it brings the quorum back to a
    /// majority without a leader, the voters elect one at once.
    pub fn restart_controller(&mut self, controller: u32) -> Result<Vec<Event>, KafkaError> {
        self.run(|c| {
            let i = c.controller_index(controller)?;
            if c.kraft.voters.get(i).copied().unwrap_or(true) {
                return Err(KafkaError::ControllerAlreadyRunning(controller));
            }
            if let Some(v) = c.kraft.voters.get_mut(i) {
                *v = true;
            }
            c.emit(Event::ControllerRestarted { controller });
            if c.kraft.leader.is_none() && c.kraft.majority() {
                let due = c.kraft.election_due.map_or(c.now, |d| d.max(c.now));
                c.kraft.election_due = Some(due);
                if due <= c.now {
                    c.elect_quorum_leader();
                }
            }
            Ok(())
        })
        .map(|(_, e)| e)
    }

    fn controller_index(&self, controller: u32) -> Result<usize, KafkaError> {
        let i = controller.checked_sub(FIRST_CONTROLLER_ID).map(|i| i as usize);
        match i {
            Some(i) if i < self.kraft.voters.len() => Ok(i),
            _ => Err(KafkaError::UnknownController(controller)),
        }
    }

    /// The voters elect the first live one (their logs are equal here, so
    /// any could win) with the next epoch; it becomes active, gives every
    /// broker a fresh session, and catches up on what waited.
    pub(super) fn elect_quorum_leader(&mut self) {
        if !self.kraft.majority() {
            return;
        }
        let Some(i) = self.kraft.voters.iter().position(|a| *a) else { return };
        self.kraft.election_due = None;
        self.kraft.leader = Some(i);
        self.kraft.epoch = self.kraft.epoch.saturating_add(1);
        let controller = FIRST_CONTROLLER_ID + i as u32;
        let epoch = self.kraft.epoch;
        self.append_metadata(MetadataPayload::LeaderChange { leader: controller, epoch });
        self.emit(Event::QuorumLeaderElected { controller, epoch });
        // `ClusterControlManager.activate`: every registered broker starts a
        // new session now, so a stopped one is fenced a full session later.
        let expires = self.now.saturating_add(self.config.broker_session_timeout_ms).saturating_add(1);
        let mut waiting = Vec::new();
        for (i, b) in self.brokers.iter_mut().enumerate() {
            if b.session_expires_ms.is_some() {
                b.session_expires_ms = Some(expires);
            } else if b.restart_pending {
                waiting.push(i as u32);
            }
        }
        // Brokers that restarted meanwhile register now.
        for b in waiting {
            self.register(b);
        }
        // Partitions left without a leader while the quorum was down.
        let names: Vec<String> = self.topics.keys().cloned().collect();
        for name in names {
            let count = self.topics.get(&name).map_or(0, |t| t.partitions.len());
            for p in 0..count {
                if self.partition_at(&name, p).is_some_and(|x| x.leader.is_none() && x.unreachable_leader.is_none()) {
                    self.elect_leader(&name, p, ElectionReason::QuorumRecovered);
                }
            }
            self.refresh_available(&name);
        }
    }

    /// The quorum's work due at `t`: a pending election.
    pub(super) fn step_quorum(&mut self, t: u64) {
        if self.kraft.election_due.is_some_and(|d| d <= t) {
            if self.kraft.majority() {
                self.elect_quorum_leader();
            } else {
                self.kraft.election_due = None;
            }
        }
    }

    /// The controller quorum and the latest records of the metadata log.
    pub fn metadata_log_view(&self) -> MetadataLogView {
        let q = &self.kraft;
        MetadataLogView {
            controllers: q
                .voters
                .iter()
                .enumerate()
                .map(|(i, alive)| QuorumVoterView {
                    id: FIRST_CONTROLLER_ID + i as u32,
                    alive: *alive,
                    leader: q.leader == Some(i),
                })
                .collect(),
            leader: q.leader.map(|i| FIRST_CONTROLLER_ID + i as u32),
            epoch: q.epoch,
            has_majority: q.majority(),
            end_offset: q.next_offset,
            records: q.log.iter().cloned().collect(),
        }
    }
}
