//! Transactions as Kafka runs them (KIP-98), with a transaction coordinator.
//!
//! Each `transactional.id` belongs to one partition of `__transaction_state`
//! (`abs(transactionalId.hashCode) % 50`, `TransactionStateManager.partitionFor`),
//! and the broker leading that partition is its coordinator. The coordinator
//! keeps the id's producer id, epoch and state (`TransactionMetadata`):
//!
//! - `initTransactions` bumps the epoch, which fences older instances; an open
//!   transaction of the id is first aborted with an epoch bump of its own
//!   (`prepareFenceProducerEpoch`), so the new instance gets epoch + 2;
//! - the first partition (or the group offsets) added makes the transaction
//!   `Ongoing`, and `transaction.timeout.ms` counts from then: every
//!   `transaction.abort.timed.out.transaction.cleanup.interval.ms` (10 s) the
//!   coordinator aborts the transactions past it, bumping the epoch so the
//!   stalled producer is fenced (`abortTimedOutTransactions`);
//! - commit and abort are logged as `PrepareCommit`/`PrepareAbort`, then the
//!   markers go to every partition of the transaction, written like acks=all
//!   appends (a partition without a leader or below `min.insync.replicas`
//!   gets its marker later), and the transaction is complete once every
//!   marker is below its partition's high watermark;
//! - a partition leader checks every transactional append against the
//!   coordinator's epoch (KIP-890 verification, on by default since 3.6): a
//!   fenced producer's records are refused with `INVALID_PRODUCER_EPOCH`;
//! - transaction version 2 (KIP-890 part 2, the default of a cluster created
//!   with Kafka 4.0 and used by 4.0+ clients): the leader adds a partition to
//!   the transaction when the first batch reaches it (after `linger.ms`),
//!   and every `EndTxn` bumps the producer epoch, so the markers and the
//!   next transaction carry the new one;
//! - `commitTransaction()` flushes: it waits for the transaction's records to
//!   be acknowledged and commits at that instant; a record that fails for
//!   good fails the commit, and the transaction must be aborted.
//!
//! A partition's last stable offset stays at the first offset of a
//! transaction until its marker is replicated (`ProducerStateManager`'s
//! `unreplicatedTxns`), so read_committed consumers never see a decision the
//! partition could still lose. `close()` aborts an open transaction, as the
//! Java client's sender does on shutdown.
//!
//! `sendOffsetsToTransaction` carries the consumer's `ConsumerGroupMetadata`
//! (KIP-447, Kafka 2.5+), and the group coordinator checks it as Kafka 4.0's
//! `OffsetMetadataManager.validateTransactionalOffsetCommit` does (see
//! [`Cluster::validate_txn_offset_commit`]), so a zombie whose consumer was
//! rebalanced away cannot commit offsets with its transaction.
//!
//! Simplifications: `__transaction_state` is not shown as a topic; its
//! partition `p` lives on brokers `p, p+1, p+2 (mod brokers)` and is led by the
//! first live one. The group offsets of `sendOffsetsToTransaction` are stored
//! when the commit is logged.

use super::*;

/// `transaction.state.log.num.partitions` (Kafka: 50).
pub(crate) const TXN_STATE_PARTITIONS: u32 = 50;
/// `transaction.state.log.replication.factor` (Kafka: 3).
const TXN_STATE_REPLICATION: u32 = 3;
/// `transaction.abort.timed.out.transaction.cleanup.interval.ms` (Kafka: 10 s).
pub(crate) const ABORT_TIMED_OUT_INTERVAL_MS: u64 = 10_000;
/// `transaction.max.timeout.ms` (Kafka: 15 min).
pub(crate) const TXN_MAX_TIMEOUT_MS: u64 = 900_000;

/// One partition's marker of a completing transaction: where it was
/// written (offset, leader epoch), once it was.
#[derive(Debug, Clone)]
pub(crate) struct Marker {
    pub(crate) tp: TopicPartition,
    pub(crate) written: Option<i64>,
}

/// The coordinator's metadata for one `transactional.id`.
#[derive(Debug, Clone)]
pub(crate) struct TxnMeta {
    pub(crate) producer_id: i64,
    pub(crate) epoch: i16,
    /// The producer instance that called `initTransactions` last.
    pub(crate) owner: String,
    pub(crate) state: TransactionState,
    pub(crate) partitions: BTreeSet<TopicPartition>,
    pub(crate) start_ms: u64,
    pub(crate) timeout_ms: u64,
    pub(crate) markers: Vec<Marker>,
    /// The epoch the markers of the completing transaction carry (a new
    /// instance may bump the epoch while they are still being written).
    pub(crate) marker_epoch: i16,
}

impl TxnMeta {
    fn completing(&self) -> bool {
        matches!(self.state, TransactionState::PrepareCommit | TransactionState::PrepareAbort)
    }
}

/// Java's `String.hashCode`: `s[0]·31^(n-1) + … + s[n-1]` over UTF-16 code
/// units, wrapping.
fn java_string_hash(s: &str) -> i32 {
    s.encode_utf16().fold(0i32, |h, c| h.wrapping_mul(31).wrapping_add(i32::from(c)))
}

/// The `__transaction_state` partition of a transactional id:
/// `Utils.abs(transactionalId.hashCode) % 50`.
pub fn transaction_state_partition(transactional_id: &str) -> u32 {
    let h = java_string_hash(transactional_id);
    let abs = if h == i32::MIN { 0 } else { h.unsigned_abs() };
    abs % TXN_STATE_PARTITIONS
}

/// Whether a marker written at `offset` is no longer in the log because a
/// leader change cut it off (one that retention removed after it was
/// replicated is not).
fn marker_cut(part: &PartitionState, offset: i64, pid: i64, epoch: i16) -> bool {
    if offset < part.log.log_start_offset() {
        return false;
    }
    !part.log.get(offset).is_some_and(|r| r.kind.is_control() && r.producer_id == pid && r.producer_epoch == epoch)
}

/// The error a transaction in the client's `ABORTABLE_ERROR` state gives
/// every transactional call but `abortTransaction()`
/// (`TransactionManager.maybeFailWithError`).
fn abortable_error(txn: &TxnState) -> Option<KafkaError> {
    let cause = match (&txn.offsets_refused, &txn.failed) {
        (Some(e), _) => e.to_string(),
        (None, Some(e)) => format!("a send of the transaction failed ({e:?})"),
        (None, None) => return None,
    };
    Some(KafkaError::InvalidTxnState(format!(
        "Cannot execute transactional method because we are in an error state: {cause}; abort the transaction"
    )))
}

/// What a partition leader says to a transactional append.
enum Verification {
    Ok,
    /// The id's previous transaction is still writing its markers
    /// (`CONCURRENT_TRANSACTIONS`, retried by the client).
    Wait,
    /// A newer epoch exists (`INVALID_PRODUCER_EPOCH`).
    Fenced,
}

impl Cluster {
    /// The broker coordinating a transactional id: the leader of its
    /// `__transaction_state` partition, `None` while no replica is alive.
    pub fn transaction_coordinator(&self, transactional_id: &str) -> Option<u32> {
        let n = self.brokers.len() as u32;
        if n == 0 {
            return None;
        }
        let p = transaction_state_partition(transactional_id);
        (0..TXN_STATE_REPLICATION.min(n))
            .map(|i| (p + i) % n)
            .find(|&b| self.brokers.get(b as usize).is_some_and(|s| s.alive))
    }

    /// Every transactional id the coordinators know, by id.
    pub fn transactions(&self) -> Vec<TransactionView> {
        self.transactional_ids.keys().filter_map(|t| self.transaction(t)).collect()
    }

    /// One transactional id as its coordinator sees it.
    pub fn transaction(&self, transactional_id: &str) -> Option<TransactionView> {
        let m = self.transactional_ids.get(transactional_id)?;
        Some(TransactionView {
            transactional_id: transactional_id.to_string(),
            producer: m.owner.clone(),
            producer_id: m.producer_id,
            producer_epoch: m.epoch,
            state: m.state,
            coordinator_partition: transaction_state_partition(transactional_id),
            coordinator: self.transaction_coordinator(transactional_id),
            partitions: m.partitions.iter().cloned().collect(),
            started_ms: (m.state == TransactionState::Ongoing).then_some(m.start_ms),
            timeout_ms: m.timeout_ms,
            pending_markers: m.markers.iter().map(|k| k.tp.clone()).collect(),
        })
    }

    fn require_coordinator(&self, tid: &str) -> Result<(), KafkaError> {
        match self.transaction_coordinator(tid) {
            Some(_) => Ok(()),
            None => Err(KafkaError::TransactionCoordinatorNotAvailable(tid.to_string())),
        }
    }

    /// A transactional producer learns on its next request that a newer
    /// epoch of its id exists (a new instance, or the coordinator's timeout
    /// abort): it is fenced for good and its unsent records fail.
    pub(super) fn check_fenced(&mut self, producer: &str) -> Result<(), KafkaError> {
        let Some(p) = self.producers.get(producer) else { return Ok(()) };
        if p.fenced {
            return Err(KafkaError::ProducerFenced(producer.to_string()));
        }
        let Some(tid) = &p.config.transactional_id else { return Ok(()) };
        if !p.initialized {
            return Ok(());
        }
        let stale = self
            .transactional_ids
            .get(tid)
            .is_some_and(|m| m.producer_id != p.producer_id || m.epoch > p.epoch || m.owner != producer);
        if stale {
            self.fence(producer);
            return Err(KafkaError::ProducerFenced(producer.to_string()));
        }
        Ok(())
    }

    fn fence(&mut self, producer: &str) {
        let Some(p) = self.producers.get_mut(producer) else { return };
        if p.fenced {
            return;
        }
        p.fenced = true;
        p.txn = None;
        let tid = p.config.transactional_id.clone().unwrap_or_default();
        let flights = std::mem::take(&mut p.in_flight);
        for f in flights {
            self.emit(Event::ProduceFailed {
                producer: producer.to_string(),
                topic: f.topic.to_string(),
                partition: f.partition,
                error: ProduceError::ProducerFenced,
                will_retry: false,
            });
        }
        self.emit(Event::ProducerFenced { producer: producer.to_string(), transactional_id: tid });
    }

    /// Whether `producer`'s transactional id is still writing the markers of
    /// its previous transaction, so new transactional sends wait.
    pub(super) fn txn_completing(&self, producer: &str) -> bool {
        self.producers
            .get(producer)
            .and_then(|p| p.config.transactional_id.as_ref())
            .and_then(|t| self.transactional_ids.get(t))
            .is_some_and(TxnMeta::completing)
    }

    /// The partition leader's check of a transactional append, with the
    /// partition added to the transaction (`AddPartitionsToTxn`) first; the
    /// first partition starts the transaction and its timeout.
    fn verify_transactional(&mut self, producer: &str, tp: (&str, u32), pid: i64, epoch: i16) -> Verification {
        let now = self.now;
        let Some(tid) = self.producers.get(producer).and_then(|p| p.config.transactional_id.as_ref()) else {
            return Verification::Fenced;
        };
        let Some(m) = self.transactional_ids.get_mut(tid) else { return Verification::Fenced };
        if m.producer_id != pid || m.epoch != epoch || m.owner != producer {
            return Verification::Fenced;
        }
        if m.completing() {
            return Verification::Wait;
        }
        if m.state != TransactionState::Ongoing {
            m.state = TransactionState::Ongoing;
            m.start_ms = now;
            m.partitions.clear();
        }
        let key = TopicPartition::new(tp.0, tp.1);
        if !m.partitions.contains(&key) {
            m.partitions.insert(key);
        }
        Verification::Ok
    }

    /// Runs the leader's transactional check for a send. Returns the flight
    /// back when it may be appended.
    pub(super) fn check_transactional_send(
        &mut self,
        producer: &str,
        mut flight: InFlight,
        pid: i64,
        epoch: i16,
    ) -> Option<InFlight> {
        match self.verify_transactional(producer, (&flight.topic, flight.partition), pid, epoch) {
            Verification::Ok => Some(flight),
            Verification::Wait => {
                flight.state = FlightState::Waiting;
                if let Some(p) = self.producers.get_mut(producer) {
                    p.in_flight.push(flight);
                }
                None
            }
            Verification::Fenced => {
                self.emit(Event::ProduceFailed {
                    producer: producer.to_string(),
                    topic: flight.topic.to_string(),
                    partition: flight.partition,
                    error: ProduceError::ProducerFenced,
                    will_retry: false,
                });
                self.fence(producer);
                None
            }
        }
    }

    /// `initTransactions()`: registers the transactional id with its
    /// coordinator and bumps its epoch. An open transaction of the id is
    /// aborted first with an epoch bump, which fences its producer.
    pub fn init_transactions(&mut self, producer: &str) -> Result<Vec<Event>, KafkaError> {
        self.run(|c| {
            let p = c.producer_mut(producer)?;
            let Some(tid) = p.config.transactional_id.clone() else {
                return Err(KafkaError::InvalidTxnState("initTransactions needs transactional.id".into()));
            };
            let timeout_ms = p.config.transaction_timeout_ms;
            let own_pid = p.producer_id;
            if timeout_ms == 0 || timeout_ms > TXN_MAX_TIMEOUT_MS {
                return Err(KafkaError::InvalidConfig {
                    key: "transaction.timeout.ms".into(),
                    reason: format!(
                        "InvalidTxnTimeoutException: {timeout_ms} is not between 1 and \
                         transaction.max.timeout.ms ({TXN_MAX_TIMEOUT_MS})"
                    ),
                });
            }
            c.require_coordinator(&tid)?;
            let (pid, epoch) = match c.transactional_ids.get(&tid).map(|m| (m.state, m.owner.clone())) {
                Some((state, owner)) => {
                    if state == TransactionState::Ongoing {
                        c.coordinator_end(&tid, false, true);
                        c.emit(Event::TransactionAborted {
                            producer: owner,
                            transactional_id: tid.clone(),
                            partitions: c
                                .transactional_ids
                                .get(&tid)
                                .map(|m| m.partitions.iter().cloned().collect())
                                .unwrap_or_default(),
                        });
                    }
                    let Some(m) = c.transactional_ids.get(&tid) else { return Ok(()) };
                    match m.epoch.checked_add(1) {
                        Some(next) => (m.producer_id, next),
                        // An exhausted epoch gets a fresh producer id, as the
                        // transaction coordinator does.
                        None => {
                            c.next_producer_id += 1;
                            (c.next_producer_id, 0)
                        }
                    }
                }
                None => (own_pid, 0),
            };
            let m = c.transactional_ids.entry(tid).or_insert_with(|| TxnMeta {
                producer_id: pid,
                epoch,
                owner: producer.to_string(),
                state: TransactionState::Empty,
                partitions: BTreeSet::new(),
                start_ms: 0,
                timeout_ms,
                markers: Vec::new(),
                marker_epoch: epoch,
            });
            m.producer_id = pid;
            m.epoch = epoch;
            m.owner = producer.to_string();
            m.timeout_ms = timeout_ms;
            let p = c.producer_mut(producer)?;
            p.producer_id = pid;
            p.epoch = epoch;
            p.sequences.clear();
            p.initialized = true;
            Ok(())
        })
        .map(|(_, e)| e)
    }

    /// `beginTransaction()`: local to the client; the coordinator hears of the
    /// transaction when its first partition is added.
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

    /// `sendOffsetsToTransaction(offsets, groupMetadata)`: the offsets commit
    /// if and only if the transaction does. Like a first partition, it
    /// starts the transaction at the transaction coordinator
    /// (`AddOffsetsToTxn`); then the group coordinator checks the metadata
    /// (TxnOffsetCommit, KIP-447), and a refusal leaves the transaction in
    /// the client's `ABORTABLE_ERROR` state: the call fails with
    /// `CommitFailedException` (or `FencedInstanceIdException`) and the
    /// transaction can only be aborted. [`ConsumerGroupMetadata::new`] is the
    /// deprecated form with a group id alone, which no coordinator fences.
    pub fn send_offsets_to_transaction(
        &mut self,
        producer: &str,
        group_metadata: &ConsumerGroupMetadata,
        offsets: Vec<(TopicPartition, i64)>,
    ) -> Result<Vec<Event>, KafkaError> {
        let group = group_metadata.group_id.as_str();
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
            c.producer_mut(producer)?;
            c.check_fenced(producer)?;
            let p = c.producer_mut(producer)?;
            let Some(txn) = &p.txn else {
                return Err(KafkaError::InvalidTxnState("no open transaction".into()));
            };
            if let Some(e) = abortable_error(txn) {
                return Err(e);
            }
            let tid = p.config.transactional_id.clone().unwrap_or_default();
            c.require_coordinator(&tid)?;
            if c.coordinator_of(group).is_none() {
                return Err(KafkaError::CoordinatorNotAvailable { group: group.to_string() });
            }
            let now = c.now;
            if let Some(m) = c.transactional_ids.get_mut(&tid) {
                if m.completing() {
                    return Err(KafkaError::InvalidTxnState(
                        "CONCURRENT_TRANSACTIONS: the previous transaction is still writing its markers; let time pass"
                            .into(),
                    ));
                }
                if m.state != TransactionState::Ongoing {
                    m.state = TransactionState::Ongoing;
                    m.start_ms = now;
                    m.partitions.clear();
                }
            }
            // TxnOffsetCommit, once AddOffsetsToTxn made the transaction Ongoing.
            let refused = c.validate_txn_offset_commit(producer, group_metadata).err();
            let p = c.producer_mut(producer)?;
            if let Some(txn) = &mut p.txn {
                if let Some(e) = refused {
                    txn.offsets_refused = Some(e.clone());
                    return Err(e);
                }
                txn.offsets.extend(offsets.into_iter().map(|(tp, o)| (group.to_string(), tp, o)));
            }
            Ok(())
        })
        .map(|(_, e)| e)
    }

    /// `commitTransaction()`. It flushes first, as the Java client does: when
    /// records of the transaction still wait in the accumulator or for their
    /// acknowledgement, the call returns with a
    /// [`Event::TransactionFlushing`] and the commit happens at the instant
    /// the last of them is acknowledged (or fails with
    /// [`Event::TransactionCommitFailed`] if one fails for good). Sends are
    /// refused meanwhile, as the blocked `commitTransaction()` would not let
    /// the application make them.
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

    /// The client side of commit and abort (`EndTxn`): the coordinator logs
    /// the decision and the markers follow; on commit the group offsets are
    /// stored.
    pub(super) fn end_transaction(&mut self, producer: &str, commit: bool) -> Result<(), KafkaError> {
        self.check_fenced(producer)?;
        let p = self.producers.get(producer).ok_or_else(|| KafkaError::UnknownProducer(producer.to_string()))?;
        let tid = p.config.transactional_id.clone().unwrap_or_default();
        let Some(txn) = p.txn.clone() else {
            return Err(KafkaError::InvalidTxnState("no open transaction".into()));
        };
        if commit && let Some(e) = &txn.offsets_refused {
            return Err(KafkaError::InvalidTxnState(format!(
                "Cannot execute transactional method because we are in an error state ({e}); abort the transaction"
            )));
        }
        if commit && let Some(error) = &txn.failed {
            return Err(KafkaError::InvalidTxnState(format!(
                "TransactionAbortableException: a send of the transaction failed ({error:?}); abort the transaction"
            )));
        }
        if !commit && txn.committing {
            return Err(KafkaError::InvalidTxnState(
                "commitTransaction is still flushing the transaction's records; let time pass".into(),
            ));
        }
        // commitTransaction flushes first: every record of the transaction must
        // be acknowledged before EndTxn goes out, or a late retry could land
        // after the commit marker (`TransactionManager.nextRequest` holds
        // EndTxn while the accumulator has incomplete batches).
        if commit {
            let unsettled = p
                .in_flight
                .iter()
                .filter(|f| {
                    let Some(part) = self.partition_at(&f.topic, f.partition as usize) else { return false };
                    match f.state {
                        FlightState::Waiting => true,
                        FlightState::Appended { offset, leader_epoch, .. } => {
                            part.leader.is_none()
                                || part.leader_epoch != leader_epoch
                                || part.high_watermark <= offset
                                || (part.isr.len() as u32) < self.effective_min_isr(&f.topic, f.partition as usize)
                        }
                    }
                })
                .count();
            if unsettled > 0 {
                if !txn.committing {
                    if let Some(t) = self.producers.get_mut(producer).and_then(|p| p.txn.as_mut()) {
                        t.committing = true;
                    }
                    self.emit(Event::TransactionFlushing {
                        producer: producer.to_string(),
                        transactional_id: tid,
                        records: u32::try_from(unsettled).unwrap_or(u32::MAX),
                    });
                }
                return Ok(());
            }
        }
        let started = self.transactional_ids.get(&tid).map(|m| (m.state, m.completing()));
        if matches!(started, Some((TransactionState::Ongoing, _))) {
            self.require_coordinator(&tid)?;
        }
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
        // A transaction that never added a partition or offsets ends in the
        // client alone.
        if matches!(started, Some((TransactionState::Ongoing, _))) {
            self.bump_transaction_epoch(producer, &tid);
            self.coordinator_end(&tid, commit, false);
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

    /// A committing transaction whose records are all acknowledged commits
    /// now; one whose record failed for good fails its commit and waits for
    /// `abortTransaction()`.
    pub(super) fn finish_commit(&mut self, producer: &str) {
        let Some(p) = self.producers.get_mut(producer) else { return };
        let Some(txn) = p.txn.as_mut() else { return };
        if !txn.committing {
            return;
        }
        if let Some(error) = txn.failed.clone() {
            txn.committing = false;
            let tid = p.config.transactional_id.clone().unwrap_or_default();
            self.emit(Event::TransactionCommitFailed { producer: producer.to_string(), transactional_id: tid, error });
            return;
        }
        if p.in_flight.iter().any(|f| f.transactional) {
            return;
        }
        txn.committing = false;
        if let Err(error) = self.end_transaction(producer, true) {
            // The coordinator is gone or the producer was fenced meanwhile:
            // the client keeps the transaction and retries the commit when
            // the application calls it again.
            if let Some(t) = self.producers.get_mut(producer).and_then(|p| p.txn.as_mut()) {
                t.committing = !matches!(error, KafkaError::ProducerFenced(_));
            }
        }
    }

    /// `close()` on a transactional producer with an open transaction aborts
    /// it ("Aborting incomplete transaction due to shutdown", `Sender.run`),
    /// unless it was fenced or no coordinator is reachable, in which case
    /// `transaction.timeout.ms` will.
    pub(super) fn abort_on_close(&mut self, producer: &str) {
        let Some(p) = self.producers.get(producer) else { return };
        if p.fenced || p.txn.is_none() {
            return;
        }
        let Some(tid) = p.config.transactional_id.clone() else { return };
        if self.transaction_coordinator(&tid).is_none() || self.check_fenced(producer).is_err() {
            return;
        }
        // A commit still flushing is given up: close() aborts instead.
        if let Some(t) = self.producers.get_mut(producer).and_then(|p| p.txn.as_mut()) {
            t.committing = false;
        }
        // Unrelated to the transaction's outcome: an abort cannot fail here.
        let _ = self.end_transaction(producer, false);
    }

    /// Transaction version 2 (KIP-890 part 2; on by default for clusters
    /// created with Kafka 4.0, used by 4.0+ clients): `EndTxn` bumps the
    /// producer epoch of every transaction, the markers carry the new epoch
    /// and the producer continues with it, its sequences from 0, so a late
    /// write of the finished transaction is refused as fenced. An exhausted
    /// epoch gets a new producer id (KAFKA-18660).
    fn bump_transaction_epoch(&mut self, producer: &str, tid: &str) {
        let Some(m) = self.transactional_ids.get_mut(tid) else { return };
        match m.epoch.checked_add(1) {
            Some(next) => m.epoch = next,
            None => {
                self.next_producer_id += 1;
                m.producer_id = self.next_producer_id;
                m.epoch = 0;
            }
        }
        let (pid, epoch) = (m.producer_id, m.epoch);
        if let Some(p) = self.producers.get_mut(producer) {
            p.producer_id = pid;
            p.epoch = epoch;
            p.sequences.clear();
        }
    }

    /// The coordinator logs `PrepareCommit`/`PrepareAbort` (bumping the epoch
    /// first when it fences the producer) and starts writing the markers.
    pub(super) fn coordinator_end(&mut self, tid: &str, commit: bool, fence: bool) {
        let Some(m) = self.transactional_ids.get_mut(tid) else { return };
        if fence && let Some(next) = m.epoch.checked_add(1) {
            m.epoch = next;
        }
        m.state = if commit { TransactionState::PrepareCommit } else { TransactionState::PrepareAbort };
        m.marker_epoch = m.epoch;
        m.markers = m.partitions.iter().map(|tp| Marker { tp: tp.clone(), written: None }).collect();
        self.progress_markers(tid);
    }

    /// Writes the markers that can be written now, notices markers a leader
    /// change cut off, and completes the transaction once every marker is
    /// below its partition's high watermark. Returns whether it completed.
    fn progress_markers(&mut self, tid: &str) -> bool {
        let Some(m) = self.transactional_ids.get(tid) else { return false };
        if !m.completing() {
            return false;
        }
        let (pid, epoch, commit) = (m.producer_id, m.marker_epoch, m.state == TransactionState::PrepareCommit);
        let markers = m.markers.clone();
        let mut done = true;
        let mut updated = Vec::with_capacity(markers.len());
        for mut k in markers {
            let (topic, p) = (k.tp.topic.clone(), k.tp.partition as usize);
            let min_isr = self.effective_min_isr(&topic, p) as usize;
            if let Some(offset) = k.written
                && self.partition_at(&topic, p).is_none_or(|part| marker_cut(part, offset, pid, epoch))
            {
                k.written = None;
            }
            if k.written.is_none() {
                k.written = self.write_marker(tid, (&topic, p), (pid, epoch), commit, min_isr);
            }
            let replicated =
                k.written.is_some_and(|o| self.partition_at(&topic, p).is_some_and(|x| x.high_watermark > o));
            if !replicated {
                done = false;
                updated.push(k);
            }
        }
        let Some(m) = self.transactional_ids.get_mut(tid) else { return false };
        m.markers = updated;
        if done {
            m.state = if commit { TransactionState::CompleteCommit } else { TransactionState::CompleteAbort };
            let producer = m.owner.clone();
            self.emit(Event::TransactionCompleted { producer, transactional_id: tid.to_string(), committed: commit });
        }
        done
    }

    /// Appends one marker like an acks=all write: only with a leader and the
    /// ISR at `min.insync.replicas`. Returns its offset.
    fn write_marker(
        &mut self,
        tid: &str,
        (topic, p): (&str, usize),
        (pid, epoch): (i64, i16),
        commit: bool,
        min_isr: usize,
    ) -> Option<i64> {
        let now = self.now;
        let t = self.topics.get_mut(topic)?;
        let settings = t.settings;
        let part = t.partitions.get_mut(p)?;
        let li = part.leader?;
        if part.isr.len() < min_isr {
            return None;
        }
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
        part.unreplicated_txns.push((pid, first, offset));
        if !commit {
            part.aborted.push((pid, first, offset));
        }
        // The marker carries the coordinator's epoch, which fences older
        // ones at this partition (`ProducerAppendInfo.appendEndTxnMarker`).
        let entry =
            part.producers.entry(pid).or_insert_with(|| ProducerIdEntry { last_sequence: -1, ..Default::default() });
        if epoch > entry.epoch {
            entry.epoch = epoch;
            entry.last_sequence = -1;
            entry.recent.clear();
        }
        if self.record_events {
            self.events.push(Event::TransactionMarkerWritten {
                transactional_id: tid.to_string(),
                topic: topic.to_string(),
                partition: p as u32,
                offset,
                committed: commit,
            });
        }
        self.update_high_watermark(topic, p);
        Some(offset)
    }

    /// The coordinators' work at this instant: on the 10 s grid, abort the
    /// transactions past `transaction.timeout.ms` (fencing their producers);
    /// then write and check the markers of completing transactions. Returns
    /// whether a transaction completed, so waiting sends can go.
    pub(super) fn step_transactions(&mut self) -> bool {
        if self.transactional_ids.is_empty() {
            return false;
        }
        let now = self.now;
        if now.is_multiple_of(ABORT_TIMED_OUT_INTERVAL_MS) {
            let timed_out: Vec<String> = self
                .transactional_ids
                .iter()
                .filter(|(t, m)| {
                    m.state == TransactionState::Ongoing
                        && m.start_ms.saturating_add(m.timeout_ms) < now
                        && self.transaction_coordinator(t).is_some()
                })
                .map(|(t, _)| t.clone())
                .collect();
            for tid in timed_out {
                let Some(m) = self.transactional_ids.get(&tid) else { continue };
                let (producer, partitions) = (m.owner.clone(), m.partitions.iter().cloned().collect());
                self.coordinator_end(&tid, false, true);
                let epoch = self.transactional_ids.get(&tid).map_or(0, |m| m.epoch);
                self.emit(Event::TransactionTimedOut {
                    producer: producer.clone(),
                    transactional_id: tid.clone(),
                    producer_epoch: epoch,
                });
                self.emit(Event::TransactionAborted { producer, transactional_id: tid, partitions });
            }
        }

        let completing: Vec<String> =
            self.transactional_ids.iter().filter(|(_, m)| m.completing()).map(|(t, _)| t.clone()).collect();
        let mut completed = false;
        for tid in completing {
            completed |= self.progress_markers(&tid);
        }
        completed
    }

    /// The next timeout check of each open transaction, and whether a
    /// completing one can progress at the next point of the grid (a marker
    /// can be written, was cut off, or is now below the high watermark).
    pub(super) fn transactions_pending(&self, at: &mut impl FnMut(u64)) -> bool {
        let mut pending = false;
        for (tid, m) in &self.transactional_ids {
            match m.state {
                // Without a live coordinator nothing is checked; a broker
                // coming back is a command, after which this is asked again.
                TransactionState::Ongoing if self.transaction_coordinator(tid).is_some() => {
                    // The next check of the 10 s schedule at which it is past
                    // its timeout.
                    let due = m.start_ms.saturating_add(m.timeout_ms).saturating_add(1).max(self.now.saturating_add(1));
                    let interval = ABORT_TIMED_OUT_INTERVAL_MS;
                    at(due.div_ceil(interval).saturating_mul(interval).min(time::MAX_TIME));
                }
                TransactionState::PrepareCommit | TransactionState::PrepareAbort => {
                    for k in &m.markers {
                        let Some(part) = self.partition_at(&k.tp.topic, k.tp.partition as usize) else { continue };
                        let writable = part.leader.is_some()
                            && part.isr.len() >= self.effective_min_isr(&k.tp.topic, k.tp.partition as usize) as usize;
                        let progress = match k.written {
                            None => writable,
                            Some(o) => {
                                part.high_watermark > o
                                    || (writable && marker_cut(part, o, m.producer_id, m.marker_epoch))
                            }
                        };
                        pending |= progress;
                    }
                }
                _ => {}
            }
        }
        pending
    }
}
