//! What a consumer does with its partitions: resolving a start position
//! (`auto.offset.reset`), `poll` up to the high watermark or the last stable
//! offset, `commitSync`, and `seek`.

use super::*;

impl Cluster {
    pub(super) fn end_offset_for(&self, consumer: &ConsumerState, tp: &TopicPartition) -> i64 {
        let Some(part) = self.partition_at(&tp.topic, tp.partition as usize) else { return 0 };
        match consumer.config.isolation_level {
            IsolationLevel::ReadUncommitted => part.high_watermark,
            IsolationLevel::ReadCommitted => part.last_stable_offset(),
        }
    }

    /// Where a consumer starts in a partition: the committed offset, or
    /// `auto.offset.reset` when there is none or it fell out of the log.
    pub(super) fn resolve_position(&mut self, consumer: &str, tp: &TopicPartition) -> Result<i64, KafkaError> {
        let c = self.consumers.get(consumer).ok_or_else(|| KafkaError::UnknownConsumer(consumer.to_string()))?;
        let part = self.partition_ref(&tp.topic, tp.partition)?;
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
            if let Some(entry) = self.consumers.get_mut(consumer) {
                entry.positions.insert(tp.clone(), o);
            }
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
        if let Some(entry) = self.consumers.get_mut(consumer) {
            entry.positions.insert(tp.clone(), offset);
        }
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
        self.run_data(|c| c.poll_inner(consumer, max_records))
    }

    pub(super) fn poll_inner(
        &mut self,
        consumer: &str,
        max_records: Option<u32>,
    ) -> Result<Vec<ConsumerRecord>, KafkaError> {
        let state = self.active_consumer(consumer)?;
        let max = max_records.unwrap_or(state.config.max_poll_records).max(1) as usize;
        let now = self.now;
        let group = state.config.group_id.clone();
        if let Some(s) = self.consumers.get_mut(consumer) {
            s.last_poll_ms = now;
        }
        self.poll_group(consumer)?;
        // A classic member's heartbeat thread runs while it polls; a
        // consumer-protocol member heartbeats on its own interval.
        if !self.uses_consumer_protocol(consumer)
            && let Some(ms) = self.groups.get_mut(&group).and_then(|g| g.member_state.get_mut(consumer))
        {
            ms.last_heartbeat_ms = now;
        }
        let assigned: Vec<TopicPartition> = self.active_consumer(consumer)?.assigned.clone();
        let mut out = Vec::new();
        if assigned.is_empty() {
            return Ok(out);
        }
        let start = self.active_consumer(consumer)?.cursor % assigned.len();
        for k in 0..assigned.len() {
            if out.len() >= max {
                break;
            }
            let tp = &assigned[(start + k) % assigned.len()];
            let position = self.resolve_position(consumer, tp)?;
            let part = self.partition_ref(&tp.topic, tp.partition)?;
            let leader = part.leader_broker();
            if !leader.is_some_and(|b| self.broker_alive(b)) {
                continue;
            }
            let position = self.validate_position(consumer, tp, position)?;
            let s = self.active_consumer(consumer)?;
            let part = self.partition_ref(&tp.topic, tp.partition)?;
            let read_committed = s.config.isolation_level == IsolationLevel::ReadCommitted;
            let upper = self.end_offset_for(s, tp);
            let mut next = position;
            let mut first = None;
            let mut last = 0;
            let mut count = 0u32;
            let mut record_epoch = None;
            for r in part.log.records_from(position) {
                if r.offset >= upper || out.len() >= max {
                    break;
                }
                next = r.offset + 1;
                record_epoch = Some(r.leader_epoch);
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
            let leader_epoch = part.leader_epoch;
            if let Some(entry) = self.consumers.get_mut(consumer) {
                entry.positions.insert(tp.clone(), next);
            }
            let key = (consumer.to_string(), tp.clone());
            let known = self.fetch_epochs.get(&key).filter(|f| f.offset == position).map(|f| f.record_epoch);
            match record_epoch.or(known) {
                Some(record_epoch) => {
                    self.fetch_epochs.insert(key, FetchEpoch { offset: next, record_epoch, leader_epoch });
                }
                None => {
                    self.fetch_epochs.remove(&key);
                }
            }
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
        if let Some(entry) = self.consumers.get_mut(consumer) {
            entry.cursor = start + 1;
        }
        Ok(out)
    }

    /// KIP-320 (Kafka 2.1+): when the partition's leader epoch changed since
    /// the consumer last fetched, it asks the leader where the epoch of the
    /// last record it read ends (OffsetsForLeaderEpoch,
    /// `SubscriptionState.maybeCompleteValidation`). A position past that
    /// end was truncated away by an unclean election: with a reset policy the
    /// consumer seeks back to the first offset known to diverge (or resets
    /// when the leader does not know the epoch at all); with
    /// `auto.offset.reset=none` the poll fails with `LogTruncationException`.
    fn validate_position(&mut self, consumer: &str, tp: &TopicPartition, position: i64) -> Result<i64, KafkaError> {
        let key = (consumer.to_string(), tp.clone());
        let Some(f) = self.fetch_epochs.get(&key).copied() else { return Ok(position) };
        let part = self.partition_ref(&tp.topic, tp.partition)?;
        if f.offset != position || f.leader_epoch == part.leader_epoch {
            return Ok(position);
        }
        let current = part.leader_epoch;
        let answer = part.end_offset_for_epoch(f.record_epoch);
        let log_start = part.log.log_start_offset();
        let strategy = self.active_consumer(consumer)?.config.auto_offset_reset;
        let diverging = match answer {
            Some((_, end)) if end >= position => {
                if let Some(e) = self.fetch_epochs.get_mut(&key) {
                    e.leader_epoch = current;
                }
                return Ok(position);
            }
            Some((_, end)) => Some(end),
            None => None,
        };
        self.fetch_epochs.remove(&key);
        if strategy == OffsetReset::None {
            self.emit(Event::LogTruncationDetected {
                consumer: consumer.to_string(),
                partition: tp.clone(),
                position,
                reset_to: None,
            });
            return Err(KafkaError::LogTruncation {
                topic: tp.topic.clone(),
                partition: tp.partition,
                offset: position,
                diverging_offset: diverging,
            });
        }
        let to = match diverging {
            Some(end) => end,
            None => match strategy {
                OffsetReset::Earliest => log_start,
                _ => {
                    let s = self.active_consumer(consumer)?;
                    self.end_offset_for(s, tp)
                }
            },
        };
        if let Some(entry) = self.consumers.get_mut(consumer) {
            entry.positions.insert(tp.clone(), to);
        }
        self.emit(Event::LogTruncationDetected {
            consumer: consumer.to_string(),
            partition: tp.clone(),
            position,
            reset_to: Some(to),
        });
        Ok(to)
    }

    /// `commitSync()`: the current positions of the partitions the consumer
    /// holds, or explicit offsets. As Kafka accepts them: the client refuses
    /// a negative offset, the coordinator checks only that the member is in
    /// the group's current generation (`ClassicGroup.validateOffsetCommit`)
    /// and stores any offset for an existing partition, owned or not, past
    /// the high watermark or not; a consumer that reads from a bad one
    /// applies `auto.offset.reset` (Kafka 3.9/4.0).
    pub fn commit(
        &mut self,
        consumer: &str,
        offsets: Option<Vec<(TopicPartition, i64)>>,
    ) -> Result<Vec<Event>, KafkaError> {
        self.run(|c| {
            let state = c.active_consumer(consumer)?;
            let group = state.config.group_id.clone();
            let offsets = match offsets {
                Some(o) => o,
                None => {
                    state.assigned.iter().filter_map(|tp| state.positions.get(tp).map(|o| (tp.clone(), *o))).collect()
                }
            };
            for (tp, o) in &offsets {
                if *o < 0 {
                    return Err(KafkaError::NegativeOffset { offset: *o });
                }
                c.partition_ref(&tp.topic, tp.partition)?;
            }
            // commitSync() with nothing to commit returns at once.
            if offsets.is_empty() {
                return Ok(());
            }
            c.check_commit(consumer)?;
            let g = c.groups.entry(group.clone()).or_insert_with(|| GroupState {
                assignor: state_assignor(&c.consumers, consumer),
                generation: 0,
                members: Vec::new(),
                member_state: BTreeMap::new(),
                assignment: BTreeMap::new(),
                committed: BTreeMap::new(),
                partition_counts: BTreeMap::new(),
            });
            for (tp, o) in &offsets {
                g.committed.insert(tp.clone(), *o);
            }
            c.emit(Event::OffsetsCommitted { group, by: consumer.to_string(), offsets, auto: false });
            Ok(())
        })
        .map(|(_, e)| e)
    }

    /// Moves the consumer's position in an assigned partition.
    pub fn seek(&mut self, consumer: &str, tp: &TopicPartition, to: SeekTo) -> Result<Vec<Event>, KafkaError> {
        self.run(|c| {
            let state = c.active_consumer(consumer)?;
            let part = c.partition_ref(&tp.topic, tp.partition)?;
            if !state.assigned.contains(tp) {
                return Err(KafkaError::NoCurrentAssignment {
                    consumer: consumer.to_string(),
                    partition: tp.to_string(),
                });
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
            if let Some(entry) = c.consumers.get_mut(consumer) {
                entry.positions.insert(tp.clone(), offset);
            }
            c.emit(Event::Seeked { consumer: consumer.to_string(), partition: tp.clone(), offset });
            Ok(())
        })
        .map(|(_, e)| e)
    }
}

/// The assignor a consumer is configured with.
fn state_assignor(consumers: &BTreeMap<String, ConsumerState>, consumer: &str) -> Assignor {
    consumers.get(consumer).map_or(Assignor::Range, |c| c.config.assignor)
}
