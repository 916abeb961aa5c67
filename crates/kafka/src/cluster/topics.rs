//! Brokers, topics and the controller: creating topics (also auto-created
//! ones) and adding partitions with the KRaft controller's replica
//! placement, crashing and restarting brokers (fencing them out of every
//! ISR), pausing replication, clean and unclean leader election with log
//! truncation, and the high watermark.

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

    /// Refuses a request that needs the active controller while the quorum has none.
    pub(super) fn check_quorum(&self) -> Result<(), KafkaError> {
        if self.quorum_active() { Ok(()) } else { Err(KafkaError::NoActiveController) }
    }

    /// The KRaft controller's placement (`StripedReplicaPlacer`, Kafka 4):
    /// over every registered broker, a broker fenced when its session has
    /// expired or it shut down (the engine's brokers have no `broker.rack`,
    /// so all share one rack). A topic's creation and each partition
    /// increase start from fresh random offsets drawn from the seeded
    /// generator.
    pub(super) fn place_replicas(&mut self, count: u32, rf: u32) -> Result<Vec<Vec<u32>>, KafkaError> {
        let brokers: Vec<crate::placement::UsableBroker> = self
            .brokers
            .iter()
            .enumerate()
            .map(|(id, b)| crate::placement::UsableBroker {
                id: id as u32,
                rack: None,
                fenced: !(b.alive || b.session_expires_ms.is_some()),
            })
            .collect();
        crate::placement::place(&mut self.rng, &brokers, count, rf)
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
        self.run(|c| c.create_topic_now(name, config)).map(|(_, e)| e)
    }

    /// The controller's `CreateTopics`: the name is checked as Kafka's
    /// `Topic.validate` does, then the replicas are placed and every
    /// partition gets its first leader.
    fn create_topic_now(&mut self, name: &str, config: TopicConfig) -> Result<(), KafkaError> {
        config.validate()?;
        validate_topic_name(name)?;
        if self.topics.contains_key(name) {
            return Err(KafkaError::TopicAlreadyExists(name.to_string()));
        }
        self.check_quorum()?;
        let replicas = match &config.replica_assignment {
            Some(a) => {
                for r in a.iter().flatten() {
                    self.check_broker(*r)?;
                }
                a.clone()
            }
            None => self.place_replicas(config.partitions, config.replication_factor)?,
        };
        let partitions = replicas.iter().map(|r| self.new_partition(r)).collect();
        let settings = log_settings(&config);
        self.topics.insert(
            name.to_string(),
            TopicState { name: Arc::from(name), config, settings, partitions, available: Vec::new() },
        );
        self.refresh_available(name);
        self.schedule_leader_balance();
        self.topic_records(name, 0);
        self.emit(Event::TopicCreated { topic: name.to_string(), replicas: replicas.clone() });
        for p in 0..replicas.len() {
            let Some(part) = self.partition_at(name, p) else { continue };
            match part.leader_broker() {
                Some(l) => {
                    let isr = part.isr.clone();
                    self.emit(Event::LeaderElected {
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
                    self.emit(Event::PartitionOffline { topic: name.to_string(), partition: p as u32 });
                }
            }
        }
        Ok(())
    }

    /// A client's metadata request for `topic`, which it allows the broker
    /// to auto-create (`allow`: always for a producer, a consumer's
    /// `allow.auto.create.topics`). Returns whether the topic exists
    /// afterwards. An illegal name is `InvalidTopicException`
    /// (`KafkaApis.getTopicMetadata`). A legal missing one is created as
    /// `DefaultAutoTopicCreationManager.createTopics` does (Kafka 4.0) when
    /// the broker's `auto.create.topics.enable` is on: with `num.partitions`
    /// and `default.replication.factor`, through the controller, which
    /// refuses a replication factor above the registered brokers as for any
    /// other topic; the refusal only shows in the broker's log, and the
    /// topic stays missing. Internal topics (`__consumer_offsets`,
    /// `__transaction_state`, `__share_group_state`) are the coordinators'
    /// own, which the engine keeps outside the topic list, so no user topic
    /// is made under their names.
    pub(super) fn topic_metadata(&mut self, topic: &str, client: &str, allow: bool) -> Result<bool, KafkaError> {
        if self.topics.contains_key(topic) {
            return Ok(true);
        }
        validate_topic_name(topic)?;
        if !allow || !self.config.auto_create_topics_enable || is_internal_topic(topic) {
            return Ok(false);
        }
        let config = TopicConfig::new(self.config.num_partitions, self.config.default_replication_factor);
        let mark = self.events.len();
        self.emit(Event::TopicAutoCreated {
            topic: topic.to_string(),
            client: client.to_string(),
            partitions: config.partitions,
            replication_factor: config.replication_factor,
        });
        match self.create_topic_now(topic, config) {
            Ok(()) => Ok(true),
            Err(error) => {
                self.events.truncate(mark);
                self.emit(Event::TopicAutoCreationFailed {
                    topic: topic.to_string(),
                    client: client.to_string(),
                    error,
                });
                Ok(false)
            }
        }
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
            // `ReplicationControlManager.createPartitions`: the replica count
            // of the topic's first partition.
            let rf = t.partitions.first().map_or(t.config.replication_factor, |p| p.replicas.len() as u32);
            c.check_quorum()?;
            let replicas = c.place_replicas(total - current, rf)?;
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
                brokerlab_order::sort_by_key(&mut elr, |b| order.iter().position(|x| x == b));
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

/// Kafka's `Topic.validate` (clients, `org.apache.kafka.common.internals.Topic`):
/// a legal topic name is 1 to 249 characters of ASCII alphanumerics, `.`,
/// `_` and `-`, and neither `.` nor `..`.
pub(crate) fn validate_topic_name(name: &str) -> Result<(), KafkaError> {
    let reason = if name.is_empty() {
        Some("the empty string is not allowed".to_string())
    } else if name == "." {
        Some("'.' is not allowed".to_string())
    } else if name == ".." {
        Some("'..' is not allowed".to_string())
    } else if name.len() > 249 {
        Some(format!("the length of '{name}' is longer than the max allowed length 249"))
    } else if !name.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-')) {
        Some(format!("'{name}' contains one or more characters other than ASCII alphanumerics, '.', '_' and '-'"))
    } else {
        None
    };
    match reason {
        Some(r) => {
            Err(KafkaError::InvalidTopic { topic: name.to_string(), reason: format!("Topic name is invalid: {r}") })
        }
        None => Ok(()),
    }
}

/// `Topic.isInternal`: the coordinators' topics.
pub(crate) fn is_internal_topic(name: &str) -> bool {
    matches!(name, "__consumer_offsets" | "__transaction_state" | "__share_group_state")
}
