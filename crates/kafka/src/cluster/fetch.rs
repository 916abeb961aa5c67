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
        self.run(|c| c.poll_inner(consumer, max_records))
    }

    pub(super) fn poll_inner(
        &mut self,
        consumer: &str,
        max_records: Option<u32>,
    ) -> Result<Vec<ConsumerRecord>, KafkaError> {
        let state = self.active_consumer(consumer)?;
        let max = max_records.unwrap_or(state.config.max_poll_records).max(1) as usize;
        let now = self.now;
        let rejoin = !state.in_group && !state.subscription.is_empty();
        let group = state.config.group_id.clone();
        if let Some(s) = self.consumers.get_mut(consumer) {
            s.last_poll_ms = now;
        }
        if rejoin {
            self.join_group(consumer);
        }
        if let Some(ms) = self.groups.get_mut(&group).and_then(|g| g.member_state.get_mut(consumer)) {
            ms.last_heartbeat_ms = now;
        }
        let s = self.active_consumer(consumer)?;
        if s.config.enable_auto_commit && now.saturating_sub(s.last_auto_commit_ms) >= s.config.auto_commit_interval_ms
        {
            self.commit_positions(consumer, true);
            if let Some(entry) = self.consumers.get_mut(consumer) {
                entry.last_auto_commit_ms = now;
            }
        }
        let assigned: Vec<TopicPartition> =
            self.groups.get(&group).and_then(|g| g.assignment.get(consumer)).cloned().unwrap_or_default();
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
            let s = self.active_consumer(consumer)?;
            let part = self.partition_ref(&tp.topic, tp.partition)?;
            let leader = part.leader_broker();
            if !leader.is_some_and(|b| self.broker_alive(b)) {
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
            if let Some(entry) = self.consumers.get_mut(consumer) {
                entry.positions.insert(tp.clone(), next);
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
            // A consumer that owns nothing (it has not joined yet, or read
            // nothing) has nothing to commit: commitSync() returns at once.
            if offsets.is_empty() {
                return Ok(());
            }
            // Every offset names an owned partition, so the group exists.
            let Some(g) = c.groups.get_mut(&group) else {
                return Err(KafkaError::CommitFailed { consumer: consumer.to_string(), partition: group });
            };
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
            if let Some(entry) = c.consumers.get_mut(consumer) {
                entry.positions.insert(tp.clone(), offset);
            }
            c.emit(Event::Seeked { consumer: consumer.to_string(), partition: tp.clone(), offset });
            Ok(())
        })
        .map(|(_, e)| e)
    }
}
