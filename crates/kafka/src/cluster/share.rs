//! Share groups (KIP-932, "Queues for Kafka", production-ready in Kafka 4.2):
//! consumers of one share group read the same partitions together, record by
//! record, instead of owning partitions.
//!
//! The parts, following Kafka's `SharePartition` (core/src/main/java/kafka/
//! server/share/SharePartition.java):
//!
//! - the state types: per group its config, members and share-partitions;
//!   per share-partition the start offset (SPSO), the next offset to bring
//!   in flight, and one [`InFlightRecord`] per offset in between (Kafka keeps
//!   batches and splits them per offset on demand; one entry per offset is
//!   the same state machine without the batching);
//! - membership: `create_share_consumer`, `share_subscribe`,
//!   `close_share_consumer`, and `alter_share_group_config`;
//! - the share fetch, `share_poll`: redelivers available in-flight records
//!   first, lowest offset first, then brings new records up to the high
//!   watermark into flight while the window `group.share.partition.max.record.locks`
//!   allows, each acquired under a lock of `share.record.lock.duration.ms`
//!   with its delivery count raised;
//! - acknowledgement, `share_acknowledge`: accept (acknowledged), release
//!   (available again, or archived once the count reached
//!   `group.share.delivery.count.limit`) and reject (archived), after which
//!   the SPSO moves past every leading acknowledged or archived record;
//! - time: locks that fall due release their records at their own instant
//!   (`share_lock_deadlines` and `step_share_locks`, called from `time`);
//! - views and the share invariants.
//!
//! Two simplifications: every member fetches from every partition of its
//! topics (the `SimpleAssignor` of the first KIP-932 code, in 2024's trunk,
//! did exactly this; later releases balance partitions over the members,
//! which changes who fetches where but not how a share-partition's records
//! move between states), and an explicit acknowledgement is sent at once, as
//! `acknowledge()` followed by `commitSync()` would be. Share consumers have
//! no heartbeat or session here: a member that stops polling only loses its
//! records when their locks expire, as Kafka's would before its session
//! times out.

use super::*;
use crate::command::{AcknowledgeType, ShareReleaseReason};
use crate::config::{AcknowledgementMode, ShareConsumerConfig, ShareGroupConfig, ShareOffsetReset};
use std::collections::VecDeque;

/// One offset of a share-partition between its start offset and its next offset.
#[derive(Debug, Clone)]
pub(crate) struct InFlightRecord {
    pub(crate) state: ShareRecordState,
    pub(crate) delivery_count: u16,
    /// The consumer holding it while acquired, the last holder afterwards.
    pub(crate) member: Option<Arc<str>>,
    /// When the acquisition lock expires; meaningful only while acquired.
    pub(crate) locked_until: u64,
}

/// A share group's view of one partition.
#[derive(Debug, Clone)]
pub(crate) struct SharePartitionState {
    /// The share-partition start offset (SPSO).
    pub(crate) start_offset: i64,
    /// One past the last offset brought in flight: new records are acquired from here.
    pub(crate) next_offset: i64,
    /// The offsets `start_offset..next_offset`, in order.
    pub(crate) records: VecDeque<InFlightRecord>,
}

#[derive(Debug, Clone)]
pub(crate) struct ShareGroupState {
    pub(crate) config: ShareGroupConfig,
    /// Members in join order.
    pub(crate) members: Vec<String>,
    pub(crate) partitions: BTreeMap<TopicPartition, SharePartitionState>,
}

#[derive(Debug, Clone)]
pub(crate) struct ShareConsumerState {
    pub(crate) config: ShareConsumerConfig,
    pub(crate) id: Arc<str>,
    pub(crate) subscription: Vec<String>,
    pub(crate) closed: bool,
    /// The records the last poll delivered that the application has not
    /// acknowledged yet (the client's current batch).
    pub(crate) delivered: BTreeMap<TopicPartition, BTreeSet<i64>>,
    /// Which partition the next poll starts at, so polls take turns.
    pub(crate) cursor: usize,
}

/// Every share group and share consumer.
#[derive(Debug, Clone, Default)]
pub(crate) struct ShareState {
    pub(crate) groups: BTreeMap<String, ShareGroupState>,
    pub(crate) consumers: BTreeMap<String, ShareConsumerState>,
}

fn terminal(s: ShareRecordState) -> bool {
    matches!(s, ShareRecordState::Acknowledged | ShareRecordState::Archived)
}

/// Where events go: collected only when the cluster records them, so the
/// hot paths build no event when recording is off.
struct Sink<'a> {
    group: &'a str,
    tp: &'a TopicPartition,
    events: &'a mut Vec<Event>,
    on: bool,
}

impl Sink<'_> {
    fn push(&mut self, make: impl FnOnce(String, TopicPartition) -> Event) {
        if self.on {
            self.events.push(make(self.group.to_string(), self.tp.clone()));
        }
    }
}

impl SharePartitionState {
    fn new(start: i64) -> Self {
        SharePartitionState { start_offset: start, next_offset: start, records: VecDeque::new() }
    }

    fn get_mut(&mut self, offset: i64) -> Option<&mut InFlightRecord> {
        if offset < self.start_offset {
            return None;
        }
        self.records.get_mut((offset - self.start_offset) as usize)
    }

    /// Kafka's `endOffset`: the last in-flight offset, or the start offset
    /// when nothing is in flight.
    fn end_offset(&self) -> i64 {
        if self.records.is_empty() { self.start_offset } else { self.next_offset - 1 }
    }

    /// Ends an acquisition without an acknowledgement: the record becomes
    /// available again, or is archived when its delivery count has reached
    /// the limit (`InFlightState.tryUpdateState` in `SharePartition`).
    fn end_acquisition(&mut self, offset: i64, limit: u16, reason: ShareReleaseReason, sink: &mut Sink<'_>) {
        let Some(r) = self.get_mut(offset) else { return };
        let holder = r.member.as_deref().unwrap_or_default().to_string();
        let delivery_count = r.delivery_count;
        if r.delivery_count >= limit {
            r.state = ShareRecordState::Archived;
            sink.push(|group, partition| Event::ShareRecordArchived {
                group,
                consumer: holder,
                partition,
                offset,
                delivery_count,
                reason,
            });
        } else {
            r.state = ShareRecordState::Available;
            sink.push(|group, partition| Event::ShareRecordReleased {
                group,
                consumer: holder,
                partition,
                offset,
                delivery_count,
                reason,
            });
        }
    }

    /// Moves the SPSO past every leading acknowledged or archived record
    /// (`maybeUpdateCachedStateAndOffsets`: the start offset moves only
    /// when the record at it is in a terminal state).
    fn advance_start(&mut self, sink: &mut Sink<'_>) {
        let before = self.start_offset;
        while self.records.front().is_some_and(|r| terminal(r.state)) {
            self.records.pop_front();
            self.start_offset += 1;
        }
        if self.start_offset != before {
            let start_offset = self.start_offset;
            sink.push(|group, partition| Event::ShareStartOffsetMoved { group, partition, start_offset });
        }
    }

    /// Retention moved the log start past the SPSO: the records below it are
    /// gone, so they are archived and the SPSO follows the log start.
    fn follow_log_start(&mut self, log_start: i64, sink: &mut Sink<'_>) {
        if self.start_offset >= log_start {
            return;
        }
        while self.start_offset < log_start && self.start_offset < self.next_offset {
            self.records.pop_front();
            self.start_offset += 1;
        }
        self.start_offset = log_start;
        self.next_offset = self.next_offset.max(log_start);
        let start_offset = self.start_offset;
        sink.push(|group, partition| Event::ShareStartOffsetMoved { group, partition, start_offset });
    }

    fn acquire_one(
        r: &mut InFlightRecord,
        member: &Arc<str>,
        locked_until: u64,
        offset: i64,
        sink: &mut Sink<'_>,
    ) -> u16 {
        r.state = ShareRecordState::Acquired;
        r.delivery_count = r.delivery_count.saturating_add(1);
        r.member = Some(member.clone());
        r.locked_until = locked_until;
        let delivery_count = r.delivery_count;
        sink.push(|group, partition| Event::ShareRecordAcquired {
            group,
            consumer: member.to_string(),
            partition,
            offset,
            delivery_count,
            locked_until,
        });
        delivery_count
    }

    /// A share fetch for one member: available in-flight records first
    /// (lowest offset first, as `SharePartition.acquire` finds the next
    /// fetch offset), then new records below the high watermark while the
    /// in-flight window has room. Control records, aborted transactional
    /// records and offsets that compaction removed come in already archived,
    /// as the client's "gap" acknowledgements would leave them.
    #[allow(clippy::too_many_arguments)]
    fn acquire(
        &mut self,
        part: &PartitionState,
        config: &ShareGroupConfig,
        member: &Arc<str>,
        now: u64,
        max: usize,
        out: &mut Vec<ConsumerRecord>,
        delivered: &mut BTreeSet<i64>,
        sink: &mut Sink<'_>,
    ) {
        let locked_until = now.saturating_add(config.record_lock_duration_ms);
        let deliver = |r: &Record, tp: &TopicPartition| ConsumerRecord {
            topic: tp.topic.clone(),
            partition: tp.partition,
            offset: r.offset,
            timestamp: r.timestamp,
            key: r.data.key.clone(),
            value: r.data.value.clone(),
            headers: r.data.headers.clone(),
        };
        let tp = sink.tp;
        let mut taken = 0;
        let start = self.start_offset;
        for i in 0..self.records.len() {
            if taken >= max {
                return;
            }
            if self.records[i].state != ShareRecordState::Available {
                continue;
            }
            let offset = start + i as i64;
            let Some(rec) = part.log.get(offset) else {
                // Compaction removed it while it waited: nothing to deliver.
                self.records[i].state = ShareRecordState::Archived;
                continue;
            };
            Self::acquire_one(&mut self.records[i], member, locked_until, offset, sink);
            out.push(deliver(rec, tp));
            delivered.insert(offset);
            taken += 1;
        }
        let window = i64::from(config.partition_max_record_locks);
        let upper = part.high_watermark;
        if taken >= max || self.next_offset >= upper {
            return;
        }
        for rec in part.log.records_from(self.next_offset) {
            if rec.offset >= upper || taken >= max {
                break;
            }
            // Offsets compaction removed are gaps: archived at once.
            while self.next_offset < rec.offset && self.next_offset - self.start_offset < window {
                self.records.push_back(InFlightRecord {
                    state: ShareRecordState::Archived,
                    delivery_count: 0,
                    member: None,
                    locked_until: 0,
                });
                self.next_offset += 1;
            }
            if self.next_offset - self.start_offset >= window {
                break;
            }
            let skip = rec.kind.is_control()
                || (rec.kind == RecordKind::Transactional && part.is_aborted(rec.producer_id, rec.offset));
            let mut entry =
                InFlightRecord { state: ShareRecordState::Archived, delivery_count: 0, member: None, locked_until: 0 };
            if !skip {
                Self::acquire_one(&mut entry, member, locked_until, rec.offset, sink);
                out.push(deliver(rec, tp));
                delivered.insert(rec.offset);
                taken += 1;
            }
            self.records.push_back(entry);
            self.next_offset = rec.offset + 1;
        }
    }
}

impl Cluster {
    fn share_consumer(&self, name: &str) -> Result<&ShareConsumerState, KafkaError> {
        let c = self.shares.consumers.get(name).ok_or_else(|| KafkaError::UnknownConsumer(name.to_string()))?;
        if c.closed {
            return Err(KafkaError::ConsumerClosed(name.to_string()));
        }
        Ok(c)
    }

    /// Refuses a share-group id that a consumer group already uses (KIP-932:
    /// one group id, one group type; Kafka answers `GROUP_ID_NOT_FOUND`).
    fn check_share_group_id(&self, group: &str) -> Result<(), KafkaError> {
        let consumer_group = self.groups.get(group).is_some_and(|g| !g.members.is_empty())
            || self.consumers.values().any(|c| c.status != ConsumerStatus::Closed && c.config.group_id == group);
        if consumer_group {
            return Err(KafkaError::GroupIdNotFound {
                group: group.to_string(),
                reason: "is a consumer group, not a share group".to_string(),
            });
        }
        Ok(())
    }

    /// Refuses a consumer-group id that a share group already uses; called
    /// when an ordinary consumer is created.
    pub(super) fn check_consumer_group_id(&self, group: &str) -> Result<(), KafkaError> {
        if self.shares.groups.contains_key(group) {
            return Err(KafkaError::GroupIdNotFound {
                group: group.to_string(),
                reason: "is a share group, not a consumer group".to_string(),
            });
        }
        Ok(())
    }

    /// Whether a client of any kind already uses this name.
    pub(super) fn share_consumer_active(&self, name: &str) -> bool {
        self.shares.consumers.get(name).is_some_and(|c| !c.closed)
    }

    /// Sets a share group's configs, creating the group if it does not exist
    /// yet (group configs may be set before any member joins).
    pub fn alter_share_group_config(
        &mut self,
        group: &str,
        config: ShareGroupConfig,
    ) -> Result<Vec<Event>, KafkaError> {
        self.run(|c| {
            config.validate()?;
            c.check_share_group_id(group)?;
            match c.shares.groups.get_mut(group) {
                Some(g) => g.config = config,
                None => {
                    let g = ShareGroupState { config, members: Vec::new(), partitions: BTreeMap::new() };
                    c.shares.groups.insert(group.to_string(), g);
                }
            }
            Ok(())
        })
        .map(|(_, e)| e)
    }

    /// Creates a share consumer; it joins its share group when it subscribes.
    pub fn create_share_consumer(&mut self, name: &str, config: ShareConsumerConfig) -> Result<Vec<Event>, KafkaError> {
        self.run(|c| {
            config.validate()?;
            if c.producers.contains_key(name)
                || c.consumers.get(name).is_some_and(|s| s.status != ConsumerStatus::Closed)
                || c.share_consumer_active(name)
            {
                return Err(KafkaError::DuplicateClient(name.to_string()));
            }
            c.check_share_group_id(&config.group_id)?;
            c.shares.consumers.insert(
                name.to_string(),
                ShareConsumerState {
                    config,
                    id: Arc::from(name),
                    subscription: Vec::new(),
                    closed: false,
                    delivered: BTreeMap::new(),
                    cursor: 0,
                },
            );
            Ok(())
        })
        .map(|(_, e)| e)
    }

    /// `subscribe()`: joins the share group (creating it) and initialises
    /// the share-partitions of the topics that have none yet.
    pub fn share_subscribe(&mut self, consumer: &str, topics: &[String]) -> Result<Vec<Event>, KafkaError> {
        self.run(|c| {
            let group = c.share_consumer(consumer)?.config.group_id.clone();
            for t in topics {
                // `ShareConsumerImpl` uses `ConsumerMetadata`, which allows
                // auto-creation (`allow.auto.create.topics` defaults to true).
                c.topic_metadata(t, consumer, true)?;
            }
            c.check_share_group_id(&group)?;
            let mut topics = topics.to_vec();
            brokerlab_order::sort(&mut topics);
            topics.dedup();
            if let Some(s) = c.shares.consumers.get_mut(consumer) {
                s.subscription = topics.clone();
            }
            let g = c.shares.groups.entry(group.clone()).or_insert_with(|| ShareGroupState {
                config: ShareGroupConfig::default(),
                members: Vec::new(),
                partitions: BTreeMap::new(),
            });
            if !g.members.iter().any(|m| m == consumer) {
                g.members.push(consumer.to_string());
                c.emit(Event::ShareMemberJoined { group: group.clone(), member: consumer.to_string(), topics });
            }
            for tp in c.share_targets(consumer) {
                c.init_share_partition(&group, &tp);
            }
            Ok(())
        })
        .map(|(_, e)| e)
    }

    /// Every partition of the consumer's topics, in topic and partition order.
    fn share_targets(&self, consumer: &str) -> Vec<TopicPartition> {
        let Some(s) = self.shares.consumers.get(consumer) else { return Vec::new() };
        let mut out = Vec::new();
        for t in &s.subscription {
            if let Some(ts) = self.topics.get(t) {
                for p in 0..ts.partitions.len() as u32 {
                    out.push(TopicPartition::new(t.clone(), p));
                }
            }
        }
        out
    }

    /// Starts a share-partition where `share.auto.offset.reset` says: the
    /// log start (earliest) or the high watermark (latest).
    fn init_share_partition(&mut self, group: &str, tp: &TopicPartition) {
        let Some(part) = self.partition_at(&tp.topic, tp.partition as usize) else { return };
        let (earliest, latest) = (part.log.log_start_offset(), part.high_watermark);
        let Some(g) = self.shares.groups.get_mut(group) else { return };
        if g.partitions.contains_key(tp) {
            return;
        }
        let strategy = g.config.auto_offset_reset;
        let start_offset = match strategy {
            ShareOffsetReset::Earliest => earliest,
            ShareOffsetReset::Latest => latest,
        };
        g.partitions.insert(tp.clone(), SharePartitionState::new(start_offset));
        self.emit(Event::SharePartitionInitialized {
            group: group.to_string(),
            partition: tp.clone(),
            start_offset,
            strategy,
        });
    }

    /// Accepts every record of the consumer's last poll that it still holds
    /// (implicit acknowledgement); those whose lock expired meanwhile are
    /// skipped, as the broker refuses them into the acknowledgement callback.
    fn accept_delivered(&mut self, consumer: &str) {
        let Some(s) = self.shares.consumers.get_mut(consumer) else { return };
        let delivered = std::mem::take(&mut s.delivered);
        let group = s.config.group_id.clone();
        let Some(g) = self.shares.groups.get_mut(&group) else { return };
        let on = self.record_events;
        for (tp, offsets) in delivered {
            let Some(sp) = g.partitions.get_mut(&tp) else { continue };
            let mut sink = Sink { group: &group, tp: &tp, events: &mut self.events, on };
            for offset in offsets {
                if let Some(r) = sp.get_mut(offset)
                    && r.state == ShareRecordState::Acquired
                    && r.member.as_deref() == Some(consumer)
                {
                    r.state = ShareRecordState::Acknowledged;
                    sink.push(|group, partition| Event::ShareRecordAccepted {
                        group,
                        consumer: consumer.to_string(),
                        partition,
                        offset,
                    });
                }
            }
            sp.advance_start(&mut sink);
        }
    }

    /// `poll()` on a share consumer. Implicit mode first accepts what the
    /// previous poll delivered; explicit mode refuses to poll until every
    /// record of the previous poll has been acknowledged (the Java client's
    /// `IllegalStateException`). Then each partition of its topics, taking
    /// turns, acquires records for it up to `max_records`.
    pub fn share_poll(
        &mut self,
        consumer: &str,
        max_records: Option<u32>,
    ) -> Result<(Vec<ConsumerRecord>, Vec<Event>), KafkaError> {
        self.run_data(|c| c.share_poll_inner(consumer, max_records))
    }

    fn share_poll_inner(
        &mut self,
        consumer: &str,
        max_records: Option<u32>,
    ) -> Result<Vec<ConsumerRecord>, KafkaError> {
        let s = self.share_consumer(consumer)?;
        let max = max_records.unwrap_or(s.config.max_poll_records).max(1) as usize;
        if s.subscription.is_empty() {
            return Err(KafkaError::ShareConsumerMisuse {
                consumer: consumer.to_string(),
                reason: "it is not subscribed to any topics".to_string(),
            });
        }
        match s.config.acknowledgement_mode {
            AcknowledgementMode::Implicit => self.accept_delivered(consumer),
            AcknowledgementMode::Explicit => {
                if s.delivered.values().any(|o| !o.is_empty()) {
                    return Err(KafkaError::ShareConsumerMisuse {
                        consumer: consumer.to_string(),
                        reason: "all records from the previous poll must be acknowledged in explicit \
                                 acknowledgement mode before polling again"
                            .to_string(),
                    });
                }
            }
        }
        let targets = self.share_targets(consumer);
        let Some(s) = self.shares.consumers.get_mut(consumer) else { return Ok(Vec::new()) };
        let group = s.config.group_id.clone();
        let member = s.id.clone();
        let first = if targets.is_empty() { 0 } else { s.cursor % targets.len() };
        s.cursor = first + 1;
        s.delivered.clear();
        for tp in &targets {
            self.init_share_partition(&group, tp);
        }
        let now = self.now;
        let on = self.record_events;
        let mut out = Vec::new();
        for k in 0..targets.len() {
            if out.len() >= max {
                break;
            }
            let tp = &targets[(first + k) % targets.len()];
            let Some(part) = self.topics.get(&tp.topic).and_then(|t| t.partitions.get(tp.partition as usize)) else {
                continue;
            };
            if !part.leader_broker().is_some_and(|b| self.brokers.get(b as usize).is_some_and(|b| b.alive)) {
                continue;
            }
            let (Some(g), Some(s)) = (self.shares.groups.get_mut(&group), self.shares.consumers.get_mut(consumer))
            else {
                continue;
            };
            let Some(sp) = g.partitions.get_mut(tp) else { continue };
            let mut sink = Sink { group: &group, tp, events: &mut self.events, on };
            sp.follow_log_start(part.log.log_start_offset(), &mut sink);
            let delivered = s.delivered.entry(tp.clone()).or_default();
            sp.acquire(part, &g.config, &member, now, max - out.len(), &mut out, delivered, &mut sink);
            sp.advance_start(&mut sink);
        }
        Ok(out)
    }

    /// `acknowledge(record, type)` then `commitSync()`, explicit mode only.
    pub fn share_acknowledge(
        &mut self,
        consumer: &str,
        tp: &TopicPartition,
        offset: i64,
        kind: AcknowledgeType,
    ) -> Result<Vec<Event>, KafkaError> {
        self.run_data(|c| c.share_acknowledge_inner(consumer, tp, offset, kind)).map(|(_, e)| e)
    }

    fn share_acknowledge_inner(
        &mut self,
        consumer: &str,
        tp: &TopicPartition,
        offset: i64,
        kind: AcknowledgeType,
    ) -> Result<(), KafkaError> {
        let s = self.share_consumer(consumer)?;
        let misuse = |reason: String| KafkaError::ShareConsumerMisuse { consumer: consumer.to_string(), reason };
        if s.config.acknowledgement_mode == AcknowledgementMode::Implicit {
            return Err(misuse(
                "acknowledge() needs share.acknowledgement.mode=explicit; implicit mode accepts on the next poll"
                    .to_string(),
            ));
        }
        let group = s.config.group_id.clone();
        let Some(s) = self.shares.consumers.get_mut(consumer) else {
            return Err(KafkaError::UnknownConsumer(consumer.to_string()));
        };
        if !s.delivered.get_mut(tp).is_some_and(|o| o.remove(&offset)) {
            return Err(misuse(format!(
                "{tp} offset {offset} was not delivered by the last poll, or it was acknowledged already"
            )));
        }
        let Some(g) = self.shares.groups.get_mut(&group) else {
            return Err(misuse(format!("share group {group} does not exist")));
        };
        let limit = g.config.delivery_count_limit;
        let invalid = |reason: String| KafkaError::InvalidRecordState {
            group: group.clone(),
            topic: tp.topic.clone(),
            partition: tp.partition,
            offset,
            reason,
        };
        let Some(sp) = g.partitions.get_mut(tp) else {
            return Err(invalid("the share-partition is not initialised".to_string()));
        };
        let Some(r) = sp.get_mut(offset) else {
            return Err(invalid("it is below the share-partition start offset".to_string()));
        };
        if r.state != ShareRecordState::Acquired || r.member.as_deref() != Some(consumer) {
            let why = match (r.state, r.member.as_deref()) {
                (ShareRecordState::Acquired, Some(m)) => format!("it is acquired by {m}"),
                (ShareRecordState::Available, _) => "its acquisition lock expired; it is available again".to_string(),
                (ShareRecordState::Acknowledged, _) => "it is acknowledged already".to_string(),
                _ => "it is archived".to_string(),
            };
            return Err(invalid(why));
        }
        let on = self.record_events;
        let mut sink = Sink { group: &group, tp, events: &mut self.events, on };
        match kind {
            AcknowledgeType::Accept => {
                r.state = ShareRecordState::Acknowledged;
                sink.push(|group, partition| Event::ShareRecordAccepted {
                    group,
                    consumer: consumer.to_string(),
                    partition,
                    offset,
                });
            }
            AcknowledgeType::Reject => {
                r.state = ShareRecordState::Archived;
                sink.push(|group, partition| Event::ShareRecordRejected {
                    group,
                    consumer: consumer.to_string(),
                    partition,
                    offset,
                });
            }
            AcknowledgeType::Release => sp.end_acquisition(offset, limit, ShareReleaseReason::Released, &mut sink),
        }
        sp.advance_start(&mut sink);
        Ok(())
    }

    /// `close()`: implicit mode accepts the last poll's records, then the
    /// member leaves and every record it still holds is released (archived
    /// when out of delivery attempts), as the broker does for a member that
    /// leaves (`SharePartition.releaseAcquiredRecords`).
    pub fn close_share_consumer(&mut self, consumer: &str) -> Result<Vec<Event>, KafkaError> {
        self.run(|c| {
            let s = c.share_consumer(consumer)?;
            let group = s.config.group_id.clone();
            if s.config.acknowledgement_mode == AcknowledgementMode::Implicit {
                c.accept_delivered(consumer);
            }
            if let Some(s) = c.shares.consumers.get_mut(consumer) {
                s.closed = true;
                s.delivered.clear();
            }
            let on = c.record_events;
            let Some(g) = c.shares.groups.get_mut(&group) else { return Ok(()) };
            let was_member = g.members.iter().any(|m| m == consumer);
            g.members.retain(|m| m != consumer);
            let limit = g.config.delivery_count_limit;
            for (tp, sp) in &mut g.partitions {
                let mut sink = Sink { group: &group, tp, events: &mut c.events, on };
                let held: Vec<i64> = sp
                    .records
                    .iter()
                    .enumerate()
                    .filter(|(_, r)| r.state == ShareRecordState::Acquired && r.member.as_deref() == Some(consumer))
                    .map(|(i, _)| sp.start_offset + i as i64)
                    .collect();
                for offset in held {
                    sp.end_acquisition(offset, limit, ShareReleaseReason::MemberLeft, &mut sink);
                }
                sp.advance_start(&mut sink);
            }
            if was_member {
                c.emit(Event::ShareMemberLeft { group, member: consumer.to_string() });
            }
            Ok(())
        })
        .map(|(_, e)| e)
    }

    /// Reports the earliest acquisition-lock expiry, an exact deadline for `time`.
    pub(super) fn share_lock_deadlines(&self, at: &mut impl FnMut(u64)) {
        for g in self.shares.groups.values() {
            for sp in g.partitions.values() {
                let first =
                    sp.records.iter().filter(|r| r.state == ShareRecordState::Acquired).map(|r| r.locked_until).min();
                if let Some(t) = first {
                    at(t);
                }
            }
        }
    }

    /// Releases every record whose acquisition lock has expired by now
    /// (`releaseAcquisitionLockOnTimeout`): available again with its
    /// delivery count kept, or archived when the count reached the limit.
    pub(super) fn step_share_locks(&mut self) {
        let now = self.now;
        let on = self.record_events;
        for (group, g) in &mut self.shares.groups {
            let limit = g.config.delivery_count_limit;
            for (tp, sp) in &mut g.partitions {
                let expired: Vec<i64> = sp
                    .records
                    .iter()
                    .enumerate()
                    .filter(|(_, r)| r.state == ShareRecordState::Acquired && r.locked_until <= now)
                    .map(|(i, _)| sp.start_offset + i as i64)
                    .collect();
                if expired.is_empty() {
                    continue;
                }
                let mut sink = Sink { group, tp, events: &mut self.events, on };
                for offset in expired {
                    sp.end_acquisition(offset, limit, ShareReleaseReason::LockExpired, &mut sink);
                }
                sp.advance_start(&mut sink);
            }
        }
    }

    /// The share group ids in order.
    pub fn share_group_ids(&self) -> Vec<String> {
        self.shares.groups.keys().cloned().collect()
    }

    /// The share consumers' names in order, open and closed.
    pub fn share_consumer_names(&self) -> Vec<String> {
        self.shares.consumers.keys().cloned().collect()
    }

    /// A share consumer, with the records of its last poll it has not acknowledged.
    pub fn share_consumer_view(&self, name: &str) -> Result<ShareConsumerView, KafkaError> {
        let s = self.shares.consumers.get(name).ok_or_else(|| KafkaError::UnknownConsumer(name.to_string()))?;
        Ok(ShareConsumerView {
            name: name.to_string(),
            config: s.config.clone(),
            subscription: s.subscription.clone(),
            closed: s.closed,
            unacknowledged: s
                .delivered
                .iter()
                .flat_map(|(tp, offsets)| offsets.iter().map(move |o| (tp.clone(), *o)))
                .collect(),
        })
    }

    /// A share group with every share-partition's SPSO, SPEO and in-flight records.
    pub fn share_group(&self, id: &str) -> Option<ShareGroupView> {
        let g = self.shares.groups.get(id)?;
        Some(ShareGroupView {
            group_id: id.to_string(),
            config: g.config.clone(),
            members: g.members.clone(),
            partitions: g.partitions.iter().map(|(tp, sp)| share_partition_view(tp, sp)).collect(),
        })
    }

    /// One share-partition of a group, when the group has initialised it.
    pub fn share_partition(&self, group: &str, topic: &str, partition: u32) -> Option<SharePartitionView> {
        let tp = TopicPartition::new(topic, partition);
        let sp = self.shares.groups.get(group)?.partitions.get(&tp)?;
        Some(share_partition_view(&tp, sp))
    }

    /// The share invariants: each share-partition holds exactly the offsets
    /// from its start to its next offset, the record at the start is never
    /// terminal (the SPSO would have moved past it), and an acquired record
    /// has a delivery, a holder that is still a member, and a lock in the future.
    pub(crate) fn check_share_invariants(&self) -> Result<(), String> {
        for (id, g) in &self.shares.groups {
            for (tp, sp) in &g.partitions {
                let at = format!("share group {id} {tp}");
                if sp.next_offset - sp.start_offset != sp.records.len() as i64 {
                    return Err(format!(
                        "{at} holds {} records between start {} and next {}",
                        sp.records.len(),
                        sp.start_offset,
                        sp.next_offset
                    ));
                }
                if sp.records.front().is_some_and(|r| terminal(r.state)) {
                    return Err(format!(
                        "{at} did not move its start offset {} past a settled record",
                        sp.start_offset
                    ));
                }
                for (i, r) in sp.records.iter().enumerate() {
                    if r.state != ShareRecordState::Acquired {
                        continue;
                    }
                    let offset = sp.start_offset + i as i64;
                    let holder = r.member.as_deref().unwrap_or_default();
                    if !g.members.iter().any(|m| m == holder) {
                        return Err(format!("{at} offset {offset} is acquired by {holder:?}, not a member"));
                    }
                    if r.delivery_count == 0 || r.locked_until <= self.now {
                        return Err(format!(
                            "{at} offset {offset} is acquired with delivery count {} and a lock until {}",
                            r.delivery_count, r.locked_until
                        ));
                    }
                }
            }
        }
        Ok(())
    }
}

fn share_partition_view(tp: &TopicPartition, sp: &SharePartitionState) -> SharePartitionView {
    SharePartitionView {
        partition: tp.clone(),
        start_offset: sp.start_offset,
        end_offset: sp.end_offset(),
        in_flight: sp
            .records
            .iter()
            .enumerate()
            .map(|(i, r)| ShareRecordView {
                offset: sp.start_offset + i as i64,
                state: r.state,
                delivery_count: r.delivery_count,
                consumer: r.member.as_deref().map(str::to_string),
                locked_until: (r.state == ShareRecordState::Acquired).then_some(r.locked_until),
            })
            .collect(),
    }
}
