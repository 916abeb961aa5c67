//! Transactions: `initTransactions` with fencing by epoch, begin, offsets
//! sent to the transaction, and commit or abort with control markers in every
//! partition of the transaction.

use super::*;

impl Cluster {
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
                        if let Some(old) = c.producers.get_mut(&owner) {
                            old.fenced = true;
                            old.in_flight.clear();
                        }
                        c.emit(Event::ProducerFenced { producer: owner, transactional_id: tid.clone() });
                    }
                    match epoch.checked_add(1) {
                        Some(next) => (pid, next),
                        // An exhausted epoch gets a fresh producer id, as the
                        // transaction coordinator does.
                        None => {
                            c.next_producer_id += 1;
                            (c.next_producer_id, 0)
                        }
                    }
                }
                None => (c.producer_mut(producer)?.producer_id, 0),
            };
            c.transactional_ids.insert(tid, (pid, epoch, producer.to_string()));
            let p = c.producer_mut(producer)?;
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
    pub(super) fn end_transaction(&mut self, producer: &str, commit: bool) -> Result<(), KafkaError> {
        let p = self.producers.get(producer).ok_or_else(|| KafkaError::UnknownProducer(producer.to_string()))?;
        let tid = p.config.transactional_id.clone().unwrap_or_default();
        let Some(txn) = p.txn.clone() else {
            return Err(KafkaError::InvalidTxnState("no open transaction".into()));
        };
        // commitTransaction flushes first: every record of the transaction must
        // be acknowledged before the markers go out, or a late retry could land
        // after the commit marker.
        if commit {
            let unsettled = p.in_flight.iter().find(|f| {
                let Some(part) = self.partition_at(&f.topic, f.partition as usize) else { return false };
                match f.state {
                    FlightState::Waiting => true,
                    FlightState::Appended { offset, leader_epoch, .. } => {
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
            if self.partition_ref(&tp.topic, tp.partition)?.leader.is_none() {
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
            if let Some(entry) = self.producers.get_mut(producer) {
                entry.in_flight.retain(|f| !f.transactional);
            }
        }
        for tp in &txn.partitions {
            // Every partition was checked above to exist and have a leader.
            let Some(t) = self.topics.get_mut(&tp.topic) else { continue };
            let settings = t.settings;
            let Some(part) = t.partitions.get_mut(tp.partition as usize) else { continue };
            let Some(li) = part.leader else { continue };
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
            note_caught_up(part, &self.brokers, now);
            let (offset, _) = part.log.append(marker, now, &settings);
            self.cleaner_pending = true;
            if let Some(r) = part.replicas.get_mut(li) {
                r.log_end_offset = offset + 1;
            }
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
        if let Some(entry) = self.producers.get_mut(producer) {
            entry.txn = None;
        }
        Ok(())
    }
}
