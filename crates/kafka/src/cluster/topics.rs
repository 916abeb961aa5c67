//! Brokers, topics and the controller: creating topics and adding partitions
//! with Kafka's rack-unaware replica placement, crashing and restarting
//! brokers (fencing them out of every ISR), pausing replication, clean and
//! unclean leader election with log truncation, and the high watermark.

use super::*;

impl Cluster {
    pub(super) fn broker_alive(&self, b: u32) -> bool {
        self.brokers.get(b as usize).is_some_and(|s| s.alive)
    }

    pub(super) fn broker_mut(&mut self, b: u32) -> Result<&mut BrokerState, KafkaError> {
        self.brokers.get_mut(b as usize).ok_or(KafkaError::UnknownBroker(b))
    }

    pub(super) fn check_broker(&self, b: u32) -> Result<(), KafkaError> {
        if (b as usize) < self.brokers.len() { Ok(()) } else { Err(KafkaError::UnknownBroker(b)) }
    }

    pub(super) fn topic_ref(&self, topic: &str) -> Result<&TopicState, KafkaError> {
        self.topics.get(topic).ok_or_else(|| KafkaError::UnknownTopic(topic.to_string()))
    }

    pub(super) fn partition_ref(&self, topic: &str, partition: u32) -> Result<&PartitionState, KafkaError> {
        let t = self.topic_ref(topic)?;
        t.partitions.get(partition as usize).ok_or(KafkaError::PartitionOutOfRange {
            topic: topic.to_string(),
            partition,
            partitions: t.partitions.len() as u32,
        })
    }

    /// Refuses a replication factor the controller cannot place: in KRaft
    /// it is checked against the registered brokers, fenced ones included,
    /// and needs at least one unfenced broker (`StripedReplicaPlacer.place`:
    /// "The target replication factor of N cannot be reached because only M
    /// broker(s) are registered", "All brokers are currently fenced").
    pub(super) fn check_replication_factor(&self, rf: u32) -> Result<(), KafkaError> {
        let registered = self.brokers.len() as u32;
        if rf > registered {
            return Err(KafkaError::InvalidReplicationFactor { replication_factor: rf, brokers: registered });
        }
        if !self.brokers.iter().any(|b| b.alive || b.session_expires_ms.is_some()) {
            return Err(KafkaError::InvalidReplicationFactor { replication_factor: rf, brokers: 0 });
        }
        Ok(())
    }

    /// Refuses a request that needs the active controller while the quorum has none.
    pub(super) fn check_quorum(&self) -> Result<(), KafkaError> {
        if self.quorum_active() { Ok(()) } else { Err(KafkaError::NoActiveController) }
    }

    /// Kafka's rack-unaware placement over the registered brokers: a random
    /// first broker and a random shift for the followers, so leaders and
    /// followers spread over the brokers. Kafka 4 (KRaft) places with
    /// `StripedReplicaPlacer` instead, which lays replicas out differently
    /// but spreads them as evenly; Brokerlab keeps this layout so the
    /// course's scenarios keep theirs.
    pub(super) fn place_replicas(&mut self, first_partition: u32, count: u32, rf: u32) -> Vec<Vec<u32>> {
        let live: Vec<u32> = (0..self.brokers.len() as u32).collect();
        let n = live.len() as u32;
        // Callers refuse a replication factor above the registered broker
        // count first, so this only guards the arithmetic below.
        if n == 0 || rf == 0 {
            return Vec::new();
        }
        let start = self.rng.next_u32() % n;
        let mut shift = self.rng.next_u32() % n;
        let mut out = Vec::new();
        for p in first_partition..first_partition + count {
            if p > 0 && p % n == 0 {
                shift += 1;
            }
            let first = (p + start) % n;
            let mut replicas: Vec<u32> = live.get(first as usize).copied().into_iter().collect();
            for j in 0..rf - 1 {
                let idx = (first + 1 + (shift + j) % (n - 1).max(1)) % n;
                replicas.extend(live.get(idx as usize).copied());
            }
            out.push(replicas);
        }
        out
    }

    pub(super) fn new_partition(&self, replicas: &[u32]) -> PartitionState {
        let live: Vec<u32> = replicas.iter().copied().filter(|&b| self.broker_alive(b)).collect();
        let leader = replicas.iter().position(|&b| self.broker_alive(b));
        PartitionState {
            replicas: replicas
                .iter()
                .map(|&b| ReplicaState { broker: b, log_end_offset: 0, high_watermark: 0, last_caught_up_ms: self.now })
                .collect(),
            leader,
            unreachable_leader: None,
            leader_epoch: 0,
            isr: if live.is_empty() { replicas.iter().take(1).copied().collect() } else { live },
            elr: Vec::new(),
            last_known_elr: Vec::new(),
            epoch_starts: vec![(0, 0)],
            high_watermark: 0,
            log: Log::new(self.now),
            producers: BTreeMap::new(),
            open_txns: BTreeMap::new(),
            unreplicated_txns: Vec::new(),
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
            c.check_quorum()?;
            let replicas = match &config.replica_assignment {
                Some(a) => {
                    for r in a.iter().flatten() {
                        c.check_broker(*r)?;
                    }
                    a.clone()
                }
                None => {
                    c.check_replication_factor(config.replication_factor)?;
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
            c.schedule_leader_balance();
            c.topic_records(name, 0);
            c.emit(Event::TopicCreated { topic: name.to_string(), replicas: replicas.clone() });
            for p in 0..replicas.len() {
                let Some(part) = c.partition_at(name, p) else { continue };
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
                            reason: ElectionReason::PartitionCreated,
                        });
                    }
                    None => {
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
            c.check_quorum()?;
            c.check_replication_factor(rf)?;
            let replicas = c.place_replicas(current, total - current, rf);
            for r in &replicas {
                let p = c.new_partition(r);
                if let Some(t) = c.topics.get_mut(topic) {
                    t.partitions.push(p);
                }
            }
            c.refresh_available(topic);
            c.schedule_leader_balance();
            c.topic_records(topic, current as usize);
            c.emit(Event::PartitionsAdded { topic: topic.to_string(), from: current, to: total });
            for p in current..total {
                let Some(part) = c.partition_at(topic, p as usize) else { continue };
                if let Some(l) = part.leader_broker() {
                    let isr = part.isr.clone();
                    c.emit(Event::LeaderElected {
                        topic: topic.to_string(),
                        partition: p,
                        leader: l,
                        leader_epoch: 0,
                        unclean: false,
                        isr,
                        reason: ElectionReason::PartitionCreated,
                    });
                }
            }
            Ok(())
        })
        .map(|(_, e)| e)
    }

    pub(super) fn refresh_available(&mut self, topic: &str) {
        if let Some(t) = self.topics.get_mut(topic) {
            t.available = t
                .partitions
                .iter()
                .enumerate()
                .filter(|(_, p)| p.leader.or(p.unreachable_leader).is_some())
                .map(|(i, _)| i as u32)
                .collect();
        }
    }

    /// `min.insync.replicas` capped at the partition's replica count
    /// (`Partition.effectiveMinIsr`, Kafka 3.7+), per partition.
    pub(super) fn effective_min_isr(&self, topic: &str, p: usize) -> u32 {
        let Some(t) = self.topics.get(topic) else { return 1 };
        t.config
            .min_insync_replicas
            .unwrap_or(self.config.min_insync_replicas)
            .min(t.partitions.get(p).map_or(1, |p| p.replicas.len() as u32).max(1))
    }

    /// Sets a partition's ISR as the controller does (`PartitionChangeBuilder`)
    /// and keeps the eligible leader replicas (KIP-966,
    /// `maybePopulateTargetElr`): with ELR on and the new ISR below the
    /// effective minimum, the old ISR and ELR minus the new ISR (and minus
    /// `unclean`, replicas back from an unclean shutdown) become the ELR; at
    /// or above the minimum the ELR is empty.
    pub(super) fn set_isr(&mut self, topic: &str, p: usize, isr: Vec<u32>, unclean: &[u32]) {
        let min_isr = self.effective_min_isr(topic, p) as usize;
        let elr_on = self.config.eligible_leader_replicas_enable;
        let Some(part) = self.partition_at_mut(topic, p) else { return };
        if elr_on {
            if isr.len() >= min_isr {
                part.elr.clear();
            } else {
                let mut elr: Vec<u32> = part.elr.iter().chain(part.isr.iter()).copied().collect();
                elr.retain(|b| !isr.contains(b) && !unclean.contains(b));
                let order: Vec<u32> = part.replicas.iter().map(|r| r.broker).collect();
                elr.sort_by_key(|b| order.iter().position(|x| x == b));
                elr.dedup();
                part.elr = elr;
            }
        } else {
            part.elr.clear();
        }
        part.isr = isr;
    }

    pub(super) fn unclean_allowed(&self, topic: &str) -> bool {
        self.topics
            .get(topic)
            .and_then(|t| t.config.unclean_leader_election_enable)
            .unwrap_or(self.config.unclean_leader_election_enable)
    }

    /// Pauses or resumes the fetching of a live broker's followers.
    pub fn set_replication_paused(&mut self, broker: u32, paused: bool) -> Result<Vec<Event>, KafkaError> {
        self.run(|c| {
            c.check_broker(broker)?;
            if !c.broker_alive(broker) {
                return Err(KafkaError::BrokerNotAvailable(broker));
            }
            c.note_all_caught_up();
            c.broker_mut(broker)?.replication_paused = paused;
            c.emit(Event::ReplicationPaused { broker, paused });
            Ok(())
        })
        .map(|(_, e)| e)
    }

    /// Records, before a broker stops fetching, which followers were in step
    /// with their leader until now.
    pub(super) fn note_all_caught_up(&mut self) {
        let now = self.now;
        for t in self.topics.values_mut() {
            for part in &mut t.partitions {
                note_caught_up(part, &self.brokers, now);
            }
        }
    }

    /// Chooses a leader for a partition without one, in the controller's
    /// order (`PartitionChangeBuilder.electAnyLeader`, Kafka 4 docs "Eligible
    /// Leader Replicas"): the first live ISR member in assignment order; when
    /// the ISR is empty, the first live member of the ELR, which then forms
    /// the ISR alone (no data loss: it has everything up to the high
    /// watermark); when the ELR is empty too, the last known leader if it is
    /// live; failing these, with unclean election enabled, the first
    /// live replica (data loss, and the ELR is cleared); otherwise the
    /// partition stays offline. Nothing is elected while the quorum has no
    /// active controller.
    pub(super) fn elect_leader(&mut self, topic: &str, p: usize, reason: ElectionReason) {
        if !self.quorum_active() {
            return;
        }
        let unclean_allowed = self.unclean_allowed(topic);
        let Some(part) = self.partition_at(topic, p) else { return };
        let alive = |r: &ReplicaState| self.broker_alive(r.broker);
        let clean = part.replicas.iter().position(|r| alive(r) && part.isr.contains(&r.broker));
        let from_elr = if part.isr.is_empty() {
            part.replicas.iter().position(|r| alive(r) && part.elr.contains(&r.broker))
        } else {
            None
        };
        // KIP-966's last known leader (`PartitionChangeBuilder.canElectLastKnownLeader`;
        // Kafka 4.1 docs, "Eligible Leader Replicas": "Select the last known
        // leader if it is unfenced"): with the ISR and the ELR both empty,
        // the replica `LastKnownElr` holds may lead again, whatever
        // `unclean.leader.election.enable` says. It was the last member of
        // the ISR, so it has every committed record. (The October 2024
        // trunk logs a fenced last known leader but elects it anyway; the
        // engine follows the documented rule.)
        let last_known = match part.last_known_elr.as_slice() {
            [b] if part.isr.is_empty() && part.elr.is_empty() => {
                part.replicas.iter().position(|r| alive(r) && r.broker == *b)
            }
            _ => None,
        };
        let (choice, unclean) = match (clean, from_elr.or(last_known)) {
            (Some(i), _) => (Some(i), false),
            (None, Some(i)) => (Some(i), false),
            (None, None) if unclean_allowed => (part.replicas.iter().position(alive), true),
            (None, None) => (None, false),
        };
        let Some(i) = choice else {
            self.emit(Event::PartitionOffline { topic: topic.to_string(), partition: p as u32 });
            return;
        };
        if let Some(part) = self.partition_at_mut(topic, p) {
            // A partition with a leader has no last known leader.
            part.last_known_elr.clear();
            if (from_elr == Some(i) || last_known == Some(i))
                && let Some(b) = part.replicas.get(i).map(|r| r.broker)
            {
                part.elr.retain(|&x| x != b);
                part.isr = vec![b];
            }
        }
        self.cleaner_pending = true;
        self.install_leader(topic, p, i, unclean, reason);
        self.schedule_leader_balance();
    }

    /// Makes the replica at `index` the leader, cleanly or (when `unclean`)
    /// from outside the ISR: a new leader epoch; the log and every replica cut
    /// back to the new leader's log end, so what it never had is lost; a
    /// transaction whose marker was cut off open again; and the election, with
    /// any truncation, announced. Returns whether records were removed.
    pub(super) fn install_leader(
        &mut self,
        topic: &str,
        p: usize,
        index: usize,
        unclean: bool,
        reason: ElectionReason,
    ) -> bool {
        self.elections += 1;
        let Some(part) = self.topics.get_mut(topic).and_then(|t| t.partitions.get_mut(p)) else {
            return false;
        };
        let Some((new_leo, broker)) = part.replicas.get(index).map(|r| (r.log_end_offset, r.broker)) else {
            return false;
        };
        part.leader = Some(index);
        part.leader_epoch = part.leader_epoch.saturating_add(1);
        if unclean {
            part.isr = vec![broker];
            part.elr.clear();
            part.high_watermark = part.high_watermark.min(new_leo);
        }
        let old_leo = part.log.log_end_offset();
        let removed = part.log.truncate_to(new_leo);
        // The leader epoch cache forgets epochs whose records were cut and
        // starts the new epoch at the new leader's log end.
        part.epoch_starts.retain(|&(_, start)| start < new_leo);
        if part.epoch_starts.is_empty() {
            part.epoch_starts.push((0, part.log.log_start_offset().min(new_leo)));
        }
        part.epoch_starts.push((part.leader_epoch, new_leo));
        for r in &mut part.replicas {
            r.log_end_offset = r.log_end_offset.min(new_leo);
            r.high_watermark = r.high_watermark.min(part.high_watermark);
        }
        if !removed.is_empty() {
            part.open_txns.retain(|_, first| *first < new_leo);
            // A marker cut off reopens its transaction until the coordinator
            // writes it again.
            for (pid, first, marker) in std::mem::take(&mut part.unreplicated_txns) {
                if marker < new_leo {
                    part.unreplicated_txns.push((pid, first, marker));
                } else if first < new_leo {
                    part.open_txns.insert(pid, first);
                }
            }
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
            reason,
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
        !removed.is_empty()
    }

    /// Advances the high watermark to the smallest log end offset in the ISR,
    /// never while the ISR is below the effective minimum (Kafka 3.7+).
    pub(super) fn update_high_watermark(&mut self, topic: &str, p: usize) {
        let min_isr = self.effective_min_isr(topic, p) as usize;
        let Some(part) = self.topics.get_mut(topic).and_then(|t| t.partitions.get_mut(p)) else {
            return;
        };
        let moved = advance_high_watermark(part, min_isr);
        self.cleaner_pending |= moved.is_some();
        if let Some(hw) = moved
            && self.record_events
        {
            self.events.push(Event::HighWatermarkAdvanced {
                topic: topic.to_string(),
                partition: p as u32,
                high_watermark: hw,
            });
        }
    }
}
