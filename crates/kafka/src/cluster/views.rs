//! Read-only views for drawing and explaining: brokers, controller, topics,
//! partitions, records, groups with lag, consumers, producers, and why a
//! record is where it is.

use super::*;
use brokerlab_order::CollectOrdered;

impl Cluster {
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
                    .filter(|p| p.metadata_leader() == Some(id))
                    .count() as u32;
                BrokerView {
                    id,
                    alive: b.alive,
                    replication_paused: b.replication_paused,
                    leader_count: leads,
                    fenced: !b.alive && b.session_expires_ms.is_none(),
                    session_expires_ms: b.session_expires_ms,
                }
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
            offline_partitions: parts().filter(|p| p.metadata_leader().is_none()).count() as u32,
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
            leader: part.metadata_leader(),
            leader_epoch: part.leader_epoch,
            elr: part.elr.clone(),
            last_known_elr: part.last_known_elr.clone(),
            replicas: part
                .replicas
                .iter()
                .map(|r| ReplicaView {
                    broker: r.broker,
                    alive: self.broker_alive(r.broker),
                    in_isr: part.isr.contains(&r.broker),
                    is_leader: part.metadata_leader() == Some(r.broker),
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

    /// One consumer group: its protocol and state, members, generation (or
    /// group epoch), assignment, committed offsets and lag.
    pub fn group(&self, id: &str) -> Option<GroupView> {
        let g = self.groups.get(id)?;
        let mg = self.modern.get(id);
        let state = match mg {
            Some(mg) => mg.state,
            None => self
                .classic
                .get(id)
                .map_or(if g.members.is_empty() { GroupStateView::Empty } else { GroupStateView::Stable }, |cg| {
                    cg.phase
                }),
        };
        Some(GroupView {
            group_id: id.to_string(),
            protocol: if mg.is_some() { GroupProtocol::Consumer } else { GroupProtocol::Classic },
            assignor: g.assignor,
            generation: g.generation,
            group_epoch: mg.map(|mg| mg.group_epoch),
            assignment_epoch: mg.map(|mg| mg.assignment_epoch),
            server_assignor: mg.map(|mg| mg.assignor),
            state,
            offsets_partition: groups::offsets_partition_for(id),
            coordinator: self.coordinator_of(id),
            join_deadline_ms: if mg.is_some() { None } else { self.classic.get(id).and_then(|cg| cg.join_deadline) },
            members: g
                .members
                .iter()
                .map(|m| {
                    let mm = mg.and_then(|mg| mg.members.get(m));
                    MemberView {
                        member_id: m.clone(),
                        group_instance_id: g.member_state.get(m).and_then(|ms| ms.instance_id.clone()),
                        alive: self.consumers.get(m).is_some_and(|c| c.status == ConsumerStatus::Active),
                        assignment: g.assignment.get(m).cloned().unwrap_or_default(),
                        subscription: match mm {
                            Some(mm) => mm.subscription.clone(),
                            None => self.consumers.get(m).map(|c| c.subscription.clone()).unwrap_or_default(),
                        },
                        joined: mg.is_none() && self.classic.get(id).is_some_and(|cg| cg.joined.contains(m)),
                        protocol: if mm.is_some_and(|mm| !mm.classic) {
                            GroupProtocol::Consumer
                        } else {
                            GroupProtocol::Classic
                        },
                        member_epoch: mm.map(|mm| mm.epoch),
                        target: mg.and_then(|mg| mg.target.get(m)).cloned().unwrap_or_default(),
                        pending_revocation: mm.map(|mm| mm.pending_revocation.clone()).unwrap_or_default(),
                    }
                })
                .collect(),
            committed: g.committed.iter().map(|(tp, o)| (tp.clone(), *o)).collect(),
            lag: self.group_lag(id),
        })
    }

    /// Lag per partition of the group's subscribed topics: the end offset
    /// minus the committed offset, unknown without a commit (as
    /// `kafka-consumer-groups` shows "-"). The end offset is the last stable
    /// offset when the partition's owner reads committed (or, without an
    /// owner, when a member does), as the consumer's own `records-lag`
    /// counts it, and the high watermark otherwise.
    pub fn group_lag(&self, id: &str) -> Vec<PartitionLag> {
        let Some(g) = self.groups.get(id) else {
            return Vec::new();
        };
        let mut topics: BTreeSet<&str> = g.committed.keys().map(|tp| tp.topic.as_str()).collect_set();
        for m in &g.members {
            if let Some(c) = self.consumers.get(m) {
                topics.extend(c.subscription.iter().map(String::as_str));
            }
        }
        let read_committed =
            |m: &str| self.consumers.get(m).is_some_and(|c| c.config.isolation_level == IsolationLevel::ReadCommitted);
        let any_read_committed = g.members.iter().any(|m| read_committed(m));
        let owners: BTreeMap<&TopicPartition, &String> =
            g.assignment.iter().flat_map(|(m, a)| a.iter().map(move |tp| (tp, m))).collect_map();
        let mut out = Vec::new();
        for t in topics {
            let Some(ts) = self.topics.get(t) else {
                continue;
            };
            for (p, part) in ts.partitions.iter().enumerate() {
                let tp = TopicPartition::new(t, p as u32);
                let committed = g.committed.get(&tp).copied();
                let owner = owners.get(&tp).map(|m| (*m).clone());
                let lso = owner.as_deref().map_or(any_read_committed, read_committed);
                let end = if lso { part.last_stable_offset() } else { part.high_watermark };
                let lag = committed.map(|c| (end - c).max(0));
                out.push(PartitionLag { partition: tp, committed, log_end_offset: end, lag, owner });
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
            assignment: c.assigned.clone(),
            generation: c.generation,
            rebalancing: c.joining,
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
                    next_attempt_ms: match f.state {
                        FlightState::Waiting => Some(f.next_attempt_ms),
                        FlightState::Appended { .. } => None,
                    },
                    request_deadline_ms: match f.state {
                        FlightState::Waiting => None,
                        FlightState::Appended { sent_ms, .. } => {
                            Some(sent_ms.saturating_add(p.config.request_timeout_ms))
                        }
                    },
                    delivery_deadline_ms: f.created_ms.saturating_add(p.config.delivery_timeout_ms),
                    last_error: f.last_error.clone(),
                })
                .collect(),
            accumulator: self.accumulator_view(p),
            requests: self.requests_view(p),
            retries: retries_view(p),
            waiting_for_metadata: p
                .metadata_waits
                .iter()
                .map(|w| MetadataWaitView {
                    topic: w.topic.clone(),
                    partition: w.partition,
                    next_request_ms: w.next_request_ms,
                    until: w.until,
                })
                .collect(),
            transaction_open: p.txn.is_some(),
            transaction_state: p.txn.as_ref().map(|t| {
                if t.failed.is_some() || t.offsets_refused.is_some() {
                    ClientTransactionState::AbortableError
                } else if t.committing {
                    ClientTransactionState::CommittingTransaction
                } else {
                    ClientTransactionState::InTransaction
                }
            }),
            transaction: p
                .config
                .transactional_id
                .as_deref()
                .and_then(|t| self.transaction(t))
                .filter(|t| t.producer == name),
            fenced: p.fenced,
            closed: p.closed,
        })
    }

    /// A producer's records never sent yet, as batches: consecutive records
    /// to one partition that share a send instant.
    fn accumulator_view(&self, p: &ProducerState) -> Vec<AccumulatorBatchView> {
        let mut out: Vec<AccumulatorBatchView> = Vec::new();
        for f in p.in_flight.iter().filter(|f| f.attempts == 0 && matches!(f.state, FlightState::Waiting)) {
            let tp = TopicPartition::new(&*f.topic, f.partition);
            let size = f.data.size_bytes();
            match out.iter_mut().find(|b| b.partition == tp && b.ready_at_ms == f.next_attempt_ms) {
                Some(b) => {
                    b.records += 1;
                    b.bytes += size;
                }
                None => out.push(AccumulatorBatchView {
                    leader_known: self.partition_at(&f.topic, f.partition as usize).is_some_and(|x| x.leader.is_some()),
                    partition: tp,
                    records: 1,
                    bytes: size,
                    created_ms: f.created_ms,
                    age_ms: self.now.saturating_sub(f.created_ms),
                    ready_at_ms: f.next_attempt_ms,
                }),
            }
        }
        out
    }

    /// A producer's requests waiting for their answer, one per request and partition.
    fn requests_view(&self, p: &ProducerState) -> Vec<ProduceRequestView> {
        let mut out: Vec<ProduceRequestView> = Vec::new();
        for f in &p.in_flight {
            let FlightState::Appended { offset, leader_epoch, sent_ms } = f.state else { continue };
            let tp = TopicPartition::new(&*f.topic, f.partition);
            match out.iter_mut().find(|r| r.request == f.request && r.partition == tp) {
                Some(r) => {
                    r.records += 1;
                    r.offsets = (r.offsets.0.min(offset), r.offsets.1.max(offset));
                }
                None => out.push(ProduceRequestView {
                    request: f.request,
                    broker: self
                        .partition_at(&f.topic, f.partition as usize)
                        .filter(|x| x.leader_epoch == leader_epoch)
                        .and_then(|x| x.leader_broker()),
                    partition: tp,
                    records: 1,
                    offsets: (offset, offset),
                    attempt: f.attempts,
                    sent_ms,
                    deadline_ms: sent_ms.saturating_add(p.config.request_timeout_ms),
                }),
            }
        }
        out
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
            // A record in a log always got its partition once its topic's
            // metadata arrived; the reason only appears on a receipt.
            PartitionReason::AwaitingMetadata => {
                "The producer waited for the topic's metadata before it could choose a partition.".to_string()
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
            let modern = self.modern.get(gid);
            let reason = match (&owner, modern) {
                (Some(m), Some(mg)) => format!(
                    "{m} owns {tp} at member epoch {} of group {gid} (group epoch {}), assigned by the coordinator's {} assignor under the consumer group protocol; only one member of a group reads a partition.",
                    mg.members.get(m).map_or(0, |mm| mm.epoch),
                    mg.group_epoch,
                    mg.assignor.name()
                ),
                (Some(m), None) => format!(
                    "{m} owns {tp} in generation {} of group {gid}, assigned by the {} assignor; only one member of a group reads a partition.",
                    g.generation,
                    g.assignor.protocol_name()
                ),
                (None, _) => format!(
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
                is_leader: part.metadata_leader() == Some(rep.broker),
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
        let cleaned: Result<((), Vec<Event>), KafkaError> = self.run(|c| {
            c.step_logs();
            Ok(())
        });
        cleaned.map(|(_, events)| events).unwrap_or_default()
    }
}

/// A producer's records waiting for a retry, grouped by partition, attempt,
/// instant and error.
fn retries_view(p: &ProducerState) -> Vec<RetryView> {
    let mut out: Vec<RetryView> = Vec::new();
    for f in p.in_flight.iter().filter(|f| f.attempts > 0 && matches!(f.state, FlightState::Waiting)) {
        let tp = TopicPartition::new(&*f.topic, f.partition);
        let attempt = f.attempts.saturating_add(1);
        match out.iter_mut().find(|r| {
            r.partition == tp
                && r.attempt == attempt
                && r.next_attempt_ms == f.next_attempt_ms
                && r.error == f.last_error
        }) {
            Some(r) => r.records += 1,
            None => out.push(RetryView {
                partition: tp,
                records: 1,
                attempt,
                next_attempt_ms: f.next_attempt_ms,
                error: f.last_error.clone(),
                delivery_deadline_ms: f.created_ms.saturating_add(p.config.delivery_timeout_ms),
            }),
        }
    }
    out
}
