//! Producers and the produce path, as the Java client and the partition
//! leader run them: partition choice exactly as the client makes it; the
//! accumulator, where records wait for `linger.ms` or a full `batch.size`;
//! requests capped by `max.in.flight.requests.per.connection`; each attempt
//! checked by the leader like a first one (the minimum ISR for acks=all, then
//! the idempotence check against the last five batches); acknowledgements per
//! `acks`; retriable failures sent again after the exponential
//! `retry.backoff.ms` until `retries` or `delivery.timeout.ms` runs out,
//! `request.timeout.ms` for answers that do not come, and the KIP-360 epoch
//! bump when an idempotent producer loses track of its sequences.

use super::*;

impl Cluster {
    /// Creates a producer. Idempotent and transactional producers get a
    /// producer id. The producer runs with [`ProducerConfig::resolved`]:
    /// default idempotence is turned off by `acks` other than `all` or by
    /// `retries=0`, as Kafka's client does.
    pub fn create_producer(&mut self, name: &str, config: ProducerConfig) -> Result<Vec<Event>, KafkaError> {
        self.run(|c| {
            config.validate()?;
            let config = config.resolved()?;
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
                    last_request: 0,
                    initialized,
                    txn: None,
                    fenced: false,
                    closed: false,
                    metadata_waits: Vec::new(),
                },
            );
            Ok(())
        })
        .map(|(_, e)| e)
    }

    pub(super) fn producer_mut(&mut self, name: &str) -> Result<&mut ProducerState, KafkaError> {
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
        self.run_data(|c| c.send_record_inner(producer, topic, partition, data, timestamp))
    }

    pub(super) fn send_record_inner(
        &mut self,
        producer: &str,
        topic: &str,
        partition: Option<u32>,
        data: RecordData,
        timestamp: Option<i64>,
    ) -> Result<ProduceReceipt, KafkaError> {
        let now = self.now;
        // A transactional producer's request tells it whether a newer epoch
        // fenced it; its sends also wait while the coordinator still writes
        // the markers of its previous transaction.
        let txn_wait = match self.producers.get(producer) {
            Some(p) if p.config.transactional_id.is_some() => {
                if self.topics.contains_key(topic) {
                    self.check_fenced(producer)?;
                }
                self.txn_completing(producer)
            }
            _ => false,
        };
        let Some(t) = self.topics.get(topic) else {
            return self.send_without_metadata(producer, topic, partition, data, timestamp);
        };
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
        if p.txn.as_ref().is_some_and(|t| t.committing) {
            return Err(KafkaError::InvalidTxnState(
                "cannot send while commitTransaction flushes the transaction (COMMITTING_TRANSACTION)".into(),
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
        let Some(part) = t.partitions.get(partition as usize) else {
            return Err(KafkaError::PartitionOutOfRange { topic: topic.to_string(), partition, partitions: num });
        };
        let current_epoch = part.leader_epoch;
        let has_leader = part.leader.is_some();
        let Some(p) = self.producers.get_mut(producer) else {
            return Err(KafkaError::UnknownProducer(producer.to_string()));
        };
        if let Some(txn) = &mut p.txn {
            txn.partitions.insert(TopicPartition::new(topic, partition));
        }
        // Records queue behind earlier ones to the same partition that wait for
        // a retry or whose leader changed, so a retry never overtakes them.
        let nothing_in_flight = p.in_flight.is_empty();
        let blocked = p.in_flight.iter().any(|f| {
            &*f.topic == topic
                && f.partition == partition
                && match f.state {
                    FlightState::Waiting => true,
                    FlightState::Appended { leader_epoch, .. } => leader_epoch != current_epoch,
                }
        });
        let linger_ms = p.config.linger_ms;
        let batch_size = p.config.batch_size;
        // The common case, sent at once as its own request, without another
        // lookup.
        let blocked = blocked || txn_wait;
        let fast = !blocked && has_leader && linger_ms == 0 && nothing_in_flight;
        let fast_request = if fast {
            p.last_request += 1;
            p.last_request
        } else {
            0
        };
        let flight = InFlight {
            topic: topic_name,
            partition,
            data,
            timestamp: timestamp.unwrap_or(now as i64),
            // The sequence is given when the record is first sent, as
            // `RecordAccumulator.drain` does, so a record that expires unsent
            // never leaves a gap.
            sequence: -1,
            sequence_epoch: 0,
            reason,
            transactional,
            state: FlightState::Waiting,
            attempts: 0,
            created_ms: now,
            // The batch is sent once `linger.ms` has passed.
            next_attempt_ms: now.saturating_add(linger_ms),
            last_error: None,
            request: 0,
        };
        if fast {
            let mut flight = flight;
            flight.request = fast_request;
            let offset = self.send(producer, flight);
            return Ok(ProduceReceipt { partition, offset, reason });
        }
        if !blocked && has_leader && linger_ms == 0 && self.request_slot_free(producer, topic, partition) {
            let mut flight = flight;
            flight.request = self.new_request(producer);
            let offset = self.send(producer, flight);
            return Ok(ProduceReceipt { partition, offset, reason });
        }
        // Without a leader the record stays in the accumulator until one is
        // elected or `delivery.timeout.ms` passes, whatever `acks` is.
        let Some(p) = self.producers.get_mut(producer) else {
            return Err(KafkaError::UnknownProducer(producer.to_string()));
        };
        // The record joins the partition's open batch, which is sent when the
        // `linger.ms` of its first record has passed, or at once when it is
        // full (`RecordAccumulator.append`/`ready`): a record that does not
        // fit closes the batch, which then goes, and opens the next one.
        let mut flight = flight;
        let size = flight.data.size_bytes();
        let same = |f: &InFlight| &*f.topic == topic && f.partition == partition && f.attempts == 0;
        let open_deadline = p.in_flight.iter().rev().find(|f| same(f)).map(|f| f.next_attempt_ms);
        let open_bytes: u64 = match open_deadline {
            Some(d) => {
                p.in_flight.iter().filter(|f| same(f) && f.next_attempt_ms == d).map(|f| f.data.size_bytes()).sum()
            }
            None => 0,
        };
        let mut send_now = false;
        match open_deadline {
            Some(d) if open_bytes.saturating_add(size) <= batch_size => {
                flight.next_attempt_ms = d;
                if open_bytes.saturating_add(size) >= batch_size {
                    flight.next_attempt_ms = now;
                    for f in p.in_flight.iter_mut().filter(|f| same(f) && f.next_attempt_ms == d) {
                        f.next_attempt_ms = now;
                    }
                    send_now = true;
                }
            }
            Some(d) => {
                for f in p.in_flight.iter_mut().filter(|f| same(f) && f.next_attempt_ms == d) {
                    f.next_attempt_ms = f.next_attempt_ms.min(now);
                }
                send_now = true;
            }
            None => {}
        }
        if size >= batch_size {
            flight.next_attempt_ms = now;
            send_now = true;
        }
        p.in_flight.push(flight);
        if has_leader && send_now {
            self.step_producer(producer);
        }
        Ok(ProduceReceipt { partition, offset: None, reason })
    }

    /// `send()` to a topic the producer has no metadata for
    /// (`KafkaProducer.waitOnMetadata`, Kafka 4.0): its metadata request
    /// lets the broker auto-create the topic (`ProducerMetadata` always
    /// allows it), and the send goes on at once when it did. Otherwise the
    /// send blocks: the record waits, without a partition, while the
    /// producer asks for the metadata again after `retry.backoff.ms`,
    /// doubling up to `retry.backoff.max.ms` (`Metadata.refreshBackoff`),
    /// and fails with `TimeoutException` once `max.block.ms` has passed. An
    /// illegal name fails at once with `InvalidTopicException`, and so does
    /// an internal topic, which the broker refuses to clients
    /// (`ReplicaManager.appendToLocalLog`: "Cannot append to internal topic").
    fn send_without_metadata(
        &mut self,
        producer: &str,
        topic: &str,
        partition: Option<u32>,
        data: RecordData,
        timestamp: Option<i64>,
    ) -> Result<ProduceReceipt, KafkaError> {
        let p = self.producer_mut(producer)?;
        if p.config.transactional_id.is_some() && p.txn.is_none() {
            return Err(KafkaError::InvalidTxnState(
                "a transactional producer must begin a transaction before sending".into(),
            ));
        }
        if super::topics::is_internal_topic(topic) {
            return Err(KafkaError::InvalidTopic {
                topic: topic.to_string(),
                reason: format!("Cannot append to internal topic {topic}"),
            });
        }
        if self.topic_metadata(topic, producer, true)? {
            if self.quorum_active() {
                self.publish_partitions();
            }
            return self.send_record_inner(producer, topic, partition, data, timestamp);
        }
        let now = self.now;
        let p = self.producer_mut(producer)?;
        let until = now.saturating_add(p.config.max_block_ms).min(super::time::MAX_TIME);
        let next_request_ms = now.saturating_add(p.config.retry_backoff(0));
        let wait =
            MetadataWait { topic: topic.to_string(), partition, data, timestamp, until, next_request_ms, requests: 1 };
        let receipt = ProduceReceipt {
            partition: partition.unwrap_or(0),
            offset: None,
            reason: PartitionReason::AwaitingMetadata,
        };
        if until <= now {
            // `max.block.ms=0`: the send's future fails at once.
            self.metadata_timeout(producer, wait);
            return Ok(receipt);
        }
        p.metadata_waits.push(wait);
        self.emit(Event::WaitingForMetadata { producer: producer.to_string(), topic: topic.to_string(), until });
        Ok(receipt)
    }

    /// The sends blocked on metadata whose producer asks again at this
    /// instant: those whose topic has appeared go on (and meet whatever a
    /// send meets then), the rest ask the broker again, which may now
    /// auto-create the topic, or fail once `max.block.ms` is up.
    pub(super) fn step_metadata_waits(&mut self) {
        let now = self.now;
        let names: Vec<String> = self
            .producers
            .iter()
            .filter(|(_, p)| p.metadata_waits.iter().any(|w| w.next_request_ms <= now || w.until <= now))
            .map(|(n, _)| n.clone())
            .collect();
        for name in names {
            let Some(p) = self.producers.get_mut(&name) else { continue };
            let waits = std::mem::take(&mut p.metadata_waits);
            let mut keep = Vec::new();
            for mut w in waits {
                if w.next_request_ms > now && w.until > now {
                    keep.push(w);
                    continue;
                }
                // The metadata request of this instant, then the check.
                let known = match self.topic_metadata(&w.topic, &name, true) {
                    Ok(k) => k,
                    Err(error) => {
                        self.emit(Event::SendFailed { producer: name.clone(), topic: w.topic.clone(), error });
                        continue;
                    }
                };
                // `waitOnMetadata` also waits for a named partition the
                // topic does not have (yet).
                let fits = known
                    && w.partition
                        .is_none_or(|n| self.topics.get(&w.topic).is_some_and(|t| n < t.partitions.len() as u32));
                if fits {
                    let MetadataWait { topic, partition, data, timestamp, .. } = w;
                    if let Err(error) = self.send_record_inner(&name, &topic, partition, data, timestamp) {
                        self.emit(Event::SendFailed { producer: name.clone(), topic, error });
                    }
                    continue;
                }
                if w.until <= now {
                    self.metadata_timeout(&name, w);
                    continue;
                }
                let backoff = self.producers.get(&name).map_or(0, |p| p.config.retry_backoff(w.requests));
                w.next_request_ms = now.saturating_add(backoff.max(1)).min(w.until);
                w.requests = w.requests.saturating_add(1);
                keep.push(w);
            }
            if let Some(p) = self.producers.get_mut(&name) {
                keep.append(&mut p.metadata_waits);
                p.metadata_waits = keep;
            }
        }
    }

    /// `max.block.ms` passed without the topic's metadata: `send()` fails
    /// with `TimeoutException`, which puts a transaction in the client's
    /// abortable state (`TransactionManager.maybeTransitionToErrorState`).
    fn metadata_timeout(&mut self, name: &str, w: MetadataWait) {
        let Some(p) = self.producers.get_mut(name) else { return };
        let max_block_ms = p.config.max_block_ms;
        if let Some(txn) = p.txn.as_mut()
            && txn.failed.is_none()
        {
            txn.failed = Some(ProduceError::MetadataTimeout);
        }
        self.emit(Event::SendFailed {
            producer: name.to_string(),
            topic: w.topic.clone(),
            error: KafkaError::MetadataTimeout { topic: w.topic, max_block_ms },
        });
    }

    /// The instants at which producers blocked on metadata ask again or give up.
    pub(super) fn metadata_wait_deadlines(&self, at: &mut impl FnMut(u64)) {
        for p in self.producers.values() {
            for w in &p.metadata_waits {
                at(w.next_request_ms.min(w.until));
            }
        }
    }

    /// A fresh produce request id for `producer`.
    fn new_request(&mut self, producer: &str) -> u64 {
        let Some(p) = self.producers.get_mut(producer) else { return 0 };
        p.last_request += 1;
        p.last_request
    }

    /// Whether `producer` may send one more request to the leader of a
    /// partition: fewer than `max.in.flight.requests.per.connection` of its
    /// requests to that broker wait for their answer.
    pub(super) fn request_slot_free(&self, producer: &str, topic: &str, partition: u32) -> bool {
        let Some(p) = self.producers.get(producer) else { return false };
        let Some(broker) = self.partition_at(topic, partition as usize).and_then(|x| x.leader_broker()) else {
            return false;
        };
        self.requests_in_flight(p.in_flight.iter(), broker) < p.config.max_in_flight_requests_per_connection as usize
    }

    /// How many distinct requests among `flights` wait for an answer from `broker`.
    pub(super) fn requests_in_flight<'a>(&self, flights: impl Iterator<Item = &'a InFlight>, broker: u32) -> usize {
        let mut ids: Vec<u64> = Vec::new();
        for f in flights {
            if matches!(f.state, FlightState::Appended { .. })
                && !ids.contains(&f.request)
                && self.partition_at(&f.topic, f.partition as usize).and_then(|x| x.leader_broker()) == Some(broker)
            {
                ids.push(f.request);
            }
        }
        ids.len()
    }

    /// Sends one attempt to the partition leader, which runs every check a
    /// first attempt gets (`Partition.appendRecordsToLeader`: the minimum ISR
    /// for acks=all, then the idempotence check), and settles what can be
    /// settled now. Returns the offset the leader gave the record (acks=1
    /// and acks=all), or -1 for acks=0, whose acknowledgement carries no
    /// offset (`RecordMetadata.offset()` is always -1 there); `None` when
    /// nothing was appended.
    pub(super) fn send(&mut self, producer: &str, flight: InFlight) -> Option<i64> {
        let (pid, acks, epoch) = {
            let p = self.producers.get(producer)?;
            (p.producer_id, p.config.acks, p.epoch)
        };
        // A transactional append is verified with the coordinator first
        // (KIP-890): a fenced epoch is refused.
        let mut flight =
            if flight.transactional { self.check_transactional_send(producer, flight, pid, epoch)? } else { flight };
        let now = self.now;
        let default_min_isr = self.config.min_insync_replicas;
        let record_events = self.record_events;
        // Topics are never deleted, so the flight's partition exists. One
        // lookup serves the whole attempt: this is the hot path.
        let t = self.topics.get_mut(&*flight.topic)?;
        // `effective_min_isr`, read from the topic already at hand.
        let min_isr = t
            .config
            .min_insync_replicas
            .unwrap_or(default_min_isr)
            .min(t.partitions.get(flight.partition as usize).map_or(1, |p| p.replicas.len() as u32).max(1))
            as usize;
        let settings = t.settings;
        let timestamp_after_max = t.config.message_timestamp_after_max_ms;
        let part = t.partitions.get_mut(flight.partition as usize)?;
        let Some((li, leader)) = part.leader.and_then(|li| part.replicas.get(li).map(|r| (li, r.broker))) else {
            flight.state = FlightState::Waiting;
            flight.next_attempt_ms = now;
            if let Some(entry) = self.producers.get_mut(producer) {
                entry.in_flight.push(flight);
            }
            return None;
        };
        let retry = flight.attempts > 0;
        flight.attempts += 1;
        // A record waiting to be retried when the epoch was bumped gets a
        // sequence of the new epoch.
        if pid >= 0
            && (flight.sequence < 0 || flight.sequence_epoch != epoch)
            && let Some(p) = self.producers.get_mut(producer)
        {
            flight.sequence = next_sequence(p, &flight.topic, flight.partition);
            flight.sequence_epoch = epoch;
        }
        if acks == Acks::All && part.isr.len() < min_isr {
            // Refused before anything is written, on a retry as on a first
            // attempt; NotEnoughReplicasException is retriable.
            self.fail_attempt(producer, flight, ProduceError::NotEnoughReplicas, true);
            return None;
        }
        // `LogValidator` checks CreateTime against
        // `message.timestamp.after.max.ms` before the sequence check.
        if flight.timestamp.saturating_sub(i64::try_from(now).unwrap_or(i64::MAX))
            > i64::try_from(timestamp_after_max).unwrap_or(i64::MAX)
        {
            self.fail_attempt(producer, flight, ProduceError::InvalidTimestamp, false);
            return None;
        }
        // The broker's idempotence check: a sequence it has seen is a duplicate
        // retry and gets the original offset back; a gap means lost records.
        let mut duplicate_of = None;
        let mut out_of_order = false;
        if pid >= 0 {
            match part.producers.get(&pid) {
                Some(entry) if entry.epoch == epoch => {
                    if flight.sequence <= entry.last_sequence {
                        duplicate_of = Some(
                            entry.recent.iter().find(|(s, _, _)| *s == flight.sequence).map_or(-1, |(_, o, _)| *o),
                        );
                    } else if flight.sequence > entry.last_sequence.wrapping_add(1) {
                        out_of_order = true;
                    }
                }
                Some(_) => {}
                None => out_of_order = retry && flight.sequence > 0,
            }
        }
        if out_of_order {
            // KIP-360 (Kafka 2.5+): an idempotent producer answers a sequence
            // gap by bumping its epoch and sending again from sequence 0; a
            // transactional one has to abort first.
            let idempotent_only = !flight.transactional;
            self.fail_attempt(producer, flight, ProduceError::OutOfOrderSequence, idempotent_only);
            if idempotent_only {
                self.bump_producer_epoch(producer);
            }
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
            note_caught_up(part, &self.brokers, now);
            let (offset, rolled) = part.log.append(record, now, &settings);
            self.cleaner_pending = true;
            if let Some(r) = part.replicas.get_mut(li) {
                r.log_end_offset = offset + 1;
            }
            let hw = advance_high_watermark(part, min_isr);
            if acks == Acks::One
                && let Some(r) = part.log.last_mut()
            {
                r.acknowledged = true;
            }
            if pid >= 0 {
                let entry = part.producers.entry(pid).or_default();
                if entry.epoch != epoch {
                    // A new epoch starts a new sequence space.
                    entry.recent.clear();
                }
                entry.epoch = epoch;
                entry.last_sequence = flight.sequence;
                remember_batch(entry, flight.sequence, offset, flight.request);
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
            Acks::Zero => {
                // The client completes the send as soon as it is written to
                // the socket, with no offset.
                if record_events {
                    self.events.push(Event::RecordAcknowledged {
                        producer: producer.to_string(),
                        topic: flight.topic.to_string(),
                        partition: flight.partition,
                        offset: -1,
                    });
                }
                Some(-1)
            }
            Acks::One => {
                if duplicate_of.is_some() {
                    self.acknowledge(producer, &flight.topic, flight.partition, offset);
                }
                Some(offset)
            }
            Acks::All => {
                // The answer comes at the next step, once the high watermark
                // has passed the record (at once when the ISR is the leader).
                let epoch = self.partition_at(&flight.topic, partition).map_or(0, |p| p.leader_epoch);
                flight.state = FlightState::Appended { offset, leader_epoch: epoch, sent_ms: now };
                if let Some(entry) = self.producers.get_mut(producer) {
                    entry.in_flight.push(flight);
                }
                Some(offset)
            }
        }
    }

    /// One attempt failed with `error`. A retriable error sends the record
    /// again after the exponential `retry.backoff.ms` while `retries` and
    /// `delivery.timeout.ms` allow (`Sender.canRetry`); otherwise the send
    /// fails for good. Returns whether it will be retried.
    pub(super) fn fail_attempt(&mut self, name: &str, mut f: InFlight, error: ProduceError, retriable: bool) -> bool {
        let now = self.now;
        let Some(p) = self.producers.get(name) else { return false };
        let deadline = f.created_ms.saturating_add(p.config.delivery_timeout_ms);
        let will_retry = retriable && f.attempts <= p.config.retries && now < deadline;
        let backoff = p.config.retry_backoff(f.attempts.saturating_sub(1));
        self.emit(Event::ProduceFailed {
            producer: name.to_string(),
            topic: f.topic.to_string(),
            partition: f.partition,
            error: error.clone(),
            will_retry,
        });
        if will_retry {
            f.state = FlightState::Waiting;
            f.next_attempt_ms = now.saturating_add(backoff);
            f.last_error = Some(error);
            if let Some(entry) = self.producers.get_mut(name) {
                entry.in_flight.push(f);
            }
        } else {
            self.give_up(name, &f, &error);
        }
        will_retry
    }

    /// A send failed for good. If it had been sent with a sequence number the
    /// broker may or may not hold it, so an idempotent (not transactional)
    /// producer bumps its epoch to start its sequences again (KIP-360,
    /// `TransactionManager.handleFailedBatch`).
    /// A transactional record that fails for good puts its transaction in
    /// the client's `ABORTABLE_ERROR` state: it can only be aborted.
    fn give_up(&mut self, name: &str, f: &InFlight, error: &ProduceError) {
        if f.sequence >= 0 && !f.transactional {
            self.bump_producer_epoch(name);
        }
        if f.transactional
            && let Some(txn) = self.producers.get_mut(name).and_then(|p| p.txn.as_mut())
            && txn.failed.is_none()
        {
            txn.failed = Some(error.clone());
        }
    }

    /// Bumps an idempotent producer's epoch and restarts every partition's
    /// sequence at 0; records not yet appended get sequences of the new
    /// epoch when next sent.
    pub(super) fn bump_producer_epoch(&mut self, name: &str) {
        let Some(p) = self.producers.get_mut(name) else { return };
        if p.producer_id < 0 || p.config.transactional_id.is_some() {
            return;
        }
        p.epoch = p.epoch.wrapping_add(1);
        p.sequences.clear();
        let (producer_id, epoch) = (p.producer_id, p.epoch);
        self.emit(Event::ProducerEpochBumped { producer: name.to_string(), producer_id, epoch });
    }

    pub(super) fn acknowledge(&mut self, producer: &str, topic: &str, partition: u32, offset: i64) {
        if let Some(r) = self.partition_at_mut(topic, partition as usize).and_then(|p| p.log.get_mut(offset)) {
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
    pub(super) fn step_producers(&mut self) {
        let names: Vec<String> = self
            .producers
            .iter()
            .filter(|(_, p)| !p.in_flight.is_empty() || p.txn.as_ref().is_some_and(|t| t.committing))
            .map(|(n, _)| n.clone())
            .collect();
        for name in names {
            self.step_producer(&name);
        }
    }

    /// Answers, retries and sends for one producer at this instant. Records
    /// of a partition that go out in one step share a request until it holds
    /// `batch.size` bytes; a new request waits while
    /// `max.in.flight.requests.per.connection` requests to that broker are
    /// unanswered.
    pub(super) fn step_producer(&mut self, name: &str) {
        let now = self.now;
        let Some(p) = self.producers.get_mut(name) else { return };
        let mut flights: Vec<Option<InFlight>> = std::mem::take(&mut p.in_flight).into_iter().map(Some).collect();
        let (timeout, request_timeout) = (p.config.delivery_timeout_ms, p.config.request_timeout_ms);
        let (batch_size, max_in_flight) =
            (p.config.batch_size, p.config.max_in_flight_requests_per_connection as usize);
        let mut blocked: BTreeSet<(Arc<str>, u32)> = BTreeSet::new();
        let txn_wait = self.txn_completing(name);
        // Partitions whose batch went out in this step: (request, bytes).
        let mut draining: BTreeMap<(Arc<str>, u32), (u64, u64)> = BTreeMap::new();
        for i in 0..flights.len() {
            let Some(f) = flights[i].take() else { continue };
            let key = (f.topic.clone(), f.partition);
            let min_isr = self.effective_min_isr(&f.topic, f.partition as usize);
            let Some(part) = self.partition_at(&f.topic, f.partition as usize) else { continue };
            let expired = now >= f.created_ms.saturating_add(timeout);
            match f.state {
                FlightState::Appended { offset, leader_epoch, sent_ms } => {
                    let leader_ok = part.leader.is_some() && part.leader_epoch == leader_epoch;
                    let failure = if !leader_ok {
                        Some(ProduceError::NotLeaderOrFollower)
                    } else if part.high_watermark > offset {
                        // `Partition.checkEnoughReplicasReachOffset`: reached,
                        // but the ISR shrank below the minimum meanwhile.
                        ((part.isr.len() as u32) < min_isr).then_some(ProduceError::NotEnoughReplicasAfterAppend)
                    } else if expired {
                        // `Sender.getExpiredInflightBatches`: in flight too long.
                        self.expire(name, f);
                        continue;
                    } else if now >= sent_ms.saturating_add(request_timeout) {
                        Some(ProduceError::RequestTimedOut)
                    } else {
                        if let Some(entry) = self.producers.get_mut(name) {
                            entry.in_flight.push(f);
                        }
                        continue;
                    };
                    match failure {
                        None => self.acknowledge(name, &key.0, key.1, offset),
                        Some(error) => {
                            if self.fail_attempt(name, f, error, true) {
                                blocked.insert(key);
                            }
                        }
                    }
                }
                FlightState::Waiting => {
                    if expired {
                        self.expire(name, f);
                        continue;
                    }
                    let leader = part.leader_broker();
                    let due = now >= f.next_attempt_ms;
                    let mut go = leader.is_some() && due && !blocked.contains(&key) && !(f.transactional && txn_wait);
                    let size = f.data.size_bytes();
                    let mut request = None;
                    if go {
                        request = match draining.get(&key) {
                            Some(&(r, bytes)) if bytes.saturating_add(size) <= batch_size => Some(r),
                            _ => None,
                        };
                        if request.is_none() {
                            let p = self.producers.get(name);
                            let unanswered = leader.map_or(0, |b| {
                                let sent = p.map(|p| p.in_flight.iter()).into_iter().flatten();
                                let later = flights[i + 1..].iter().flatten();
                                self.requests_in_flight(sent.chain(later), b)
                            });
                            go = unanswered < max_in_flight;
                        }
                    }
                    if go {
                        let request = match request {
                            Some(r) => r,
                            None => self.new_request(name),
                        };
                        let bytes = draining.get(&key).filter(|(r, _)| *r == request).map_or(0, |(_, b)| *b);
                        draining.insert(key.clone(), (request, bytes.saturating_add(size)));
                        let mut f = f;
                        f.request = request;
                        self.send(name, f);
                    } else if let Some(entry) = self.producers.get_mut(name) {
                        entry.in_flight.push(f);
                    }
                    // Later records to this partition wait behind this one,
                    // or behind its retry if it just failed again.
                    let still_waiting = self.producers.get(name).is_some_and(|p| {
                        p.in_flight.iter().any(|g| {
                            g.topic == key.0 && g.partition == key.1 && matches!(g.state, FlightState::Waiting)
                        })
                    });
                    if still_waiting {
                        blocked.insert(key);
                    }
                }
            }
        }
        // A commit that waited for these acknowledgements goes now.
        self.finish_commit(name);
    }

    /// `delivery.timeout.ms` passed: the send fails for good.
    fn expire(&mut self, name: &str, f: InFlight) {
        self.emit(Event::ProduceFailed {
            producer: name.to_string(),
            topic: f.topic.to_string(),
            partition: f.partition,
            error: ProduceError::DeliveryTimeout,
            will_retry: false,
        });
        self.give_up(name, &f, &ProduceError::DeliveryTimeout);
    }

    /// Closes a producer: an open transaction is aborted (Kafka's sender does
    /// so on shutdown), and anything not yet acknowledged is abandoned.
    pub fn close_producer(&mut self, producer: &str) -> Result<Vec<Event>, KafkaError> {
        self.run(|c| {
            if !c.producers.contains_key(producer) {
                return Err(KafkaError::UnknownProducer(producer.to_string()));
            }
            c.abort_on_close(producer);
            let p = c.producers.get_mut(producer).ok_or_else(|| KafkaError::UnknownProducer(producer.to_string()))?;
            p.closed = true;
            let waits = std::mem::take(&mut p.metadata_waits);
            let flights = std::mem::take(&mut p.in_flight);
            for w in waits {
                c.emit(Event::SendFailed {
                    producer: producer.to_string(),
                    topic: w.topic,
                    error: KafkaError::InvalidTxnState(format!("producer {producer} was closed")),
                });
            }
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
}

/// The next sequence number of a producer for a partition, counted up.
fn next_sequence(p: &mut ProducerState, topic: &str, partition: u32) -> i32 {
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
}

/// A `send()` blocked until its topic's metadata arrives.
#[derive(Debug, Clone)]
pub(crate) struct MetadataWait {
    pub(crate) topic: String,
    pub(crate) partition: Option<u32>,
    pub(crate) data: RecordData,
    pub(crate) timestamp: Option<i64>,
    /// `send()`'s call plus `max.block.ms`.
    pub(crate) until: u64,
    /// When the producer next asks for the topic's metadata.
    pub(crate) next_request_ms: u64,
    /// How many metadata requests it has made for it.
    pub(crate) requests: u32,
}
