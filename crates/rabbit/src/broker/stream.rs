//! Streams (`x-queue-type: stream`, RabbitMQ 3.9 and later): an
//! append-only log of records with offsets, read by consumers that each keep
//! their own position, so consuming never removes anything.
//!
//! The parts, in the order a record meets them:
//!
//! - **Declaring** (`stream_config`): the arguments a stream accepts and the
//!   ones it refuses, then its properties (durable, not exclusive, not
//!   auto-delete), with the codes and texts of RabbitMQ 3.10.8's
//!   `rabbit_amqqueue:check_declare_arguments` and
//!   `rabbit_stream_queue:declare`.
//! - **The log** ([`StreamLog`]): records in offset order cut into segments
//!   as osiris (v1.3.1, the log library of RabbitMQ 3.10) cuts them; each
//!   publish is one chunk, a segment rolls when it holds
//!   `x-stream-max-segment-size-bytes` (default 500,000,000) or 256,000
//!   chunks, and each roll evaluates retention: `x-max-length-bytes` then
//!   `x-max-age`, removing whole segments from the oldest and never the
//!   newest (osiris_log `eval_max_bytes` and `eval_age`). A record's size is
//!   its body's length; time is the engine's logical clock.
//! - **Attaching** (`stream_attach`): the `x-stream-offset` consume argument
//!   (`first`, `last`, `next`, an offset, a timestamp in seconds, or an
//!   interval such as `10m`; `next` by default) resolved as osiris's
//!   `init_offset_reader` resolves it, with the prefetch and no-ack
//!   refusals of `rabbit_stream_queue:consume`.
//! - **Reading** (`stream_dispatch`): each reader gets records from its
//!   position while it has credit; its credit starts at its prefetch, a
//!   delivery spends one and an acknowledgement gives one back (`settle` in
//!   `rabbit_stream_queue`). Each delivery carries the `x-stream-offset`
//!   header. Stream deliveries are held in the channel's own
//!   `stream_unacked` map, apart from the classic ones, since a record is
//!   never taken out of the log.
//! - **Refusals**: `basic.get`, nack and reject (RabbitMQ 3.10 to 3.12;
//!   3.13 made every settlement give credit back), global QoS, and consumer
//!   arguments other than `x-stream-offset` and `x-credit`.
//! - **Views** ([`StreamView`]): a stream's records with their offsets and
//!   segments, and each reader's next offset, credit and held deliveries.
//!
//! Appends and reads leave the [`Ledger`] alone: a record is not a message
//! copy that must end somewhere, it stays until retention removes it.

use super::*;

/// osiris's default segment size in bytes (`DEFAULT_MAX_SEGMENT_SIZE_B`).
const DEFAULT_SEGMENT_BYTES: u64 = 500_000_000;
/// osiris's default segment size in chunks (`DEFAULT_MAX_SEGMENT_SIZE_C`).
const DEFAULT_SEGMENT_CHUNKS: u64 = 256_000;
/// RabbitMQ's ceiling for `x-stream-max-segment-size-bytes`
/// (`MAX_STREAM_MAX_SEGMENT_SIZE` in rabbit.hrl).
const MAX_SEGMENT_BYTES: i64 = 3_000_000_000;

/// The arguments a stream accepts (`capabilities()` of
/// rabbit_stream_queue, 3.10.8).
const STREAM_ARGS: &[&str] = &[
    "x-initial-cluster-size",
    "x-max-age",
    "x-max-length-bytes",
    "x-queue-leader-locator",
    "x-queue-type",
    "x-stream-max-segment-size-bytes",
];

/// The arguments other queue types accept and a stream refuses: the classic
/// and quorum `queue_arguments` of 3.10.8 less the stream's own. Arguments
/// no queue type knows are ignored, as RabbitMQ ignores them.
const FOREIGN_ARGS: &[&str] = &[
    "x-dead-letter-exchange",
    "x-dead-letter-routing-key",
    "x-dead-letter-strategy",
    "x-delivery-limit",
    "x-expires",
    "x-max-in-memory-bytes",
    "x-max-in-memory-length",
    "x-max-length",
    "x-max-priority",
    "x-message-ttl",
    "x-overflow",
    "x-queue-master-locator",
    "x-queue-mode",
    "x-queue-version",
    "x-quorum-initial-group-size",
    "x-single-active-consumer",
];

/// Consumer arguments of the other queue types, refused on a stream.
const FOREIGN_CONSUMER_ARGS: &[&str] = &["x-cancel-on-ha-failover", "x-priority"];

/// One record: a published message at its offset.
#[derive(Debug)]
pub(crate) struct Record {
    pub(crate) id: MessageId,
    pub(crate) content: Arc<Content>,
    /// Logical time of the append (the chunk timestamp).
    pub(crate) timestamp: u64,
}

/// One segment: a run of records that retention keeps or removes whole.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Segment {
    pub(crate) first_offset: u64,
    pub(crate) records: u64,
    pub(crate) bytes: u64,
    pub(crate) last_timestamp: u64,
}

/// A consumer reading a stream.
#[derive(Debug)]
pub(crate) struct Reader {
    /// The consumer's id (`ConsumerState::id`), which acknowledgements carry.
    pub(crate) consumer: u64,
    pub(crate) channel: ChannelId,
    pub(crate) tag: String,
    /// The same tag, shared with the deliveries it holds.
    pub(crate) shared_tag: Arc<str>,
    /// The offset of the next record to read.
    pub(crate) next: u64,
    /// Records below this offset are skipped without spending credit: a
    /// numeric offset past the end waits for that offset, as the
    /// `start_offset` filter of `stream_entries` does.
    pub(crate) start: u64,
    pub(crate) credit: u32,
    pub(crate) prefetch: u16,
    /// The single-active-consumer group it belongs to, if any.
    pub(crate) group: Option<GroupMember>,
    /// Whether it reads: always outside a group, for one member inside.
    pub(crate) active: bool,
}

/// The log of one stream and its readers.
#[derive(Debug)]
pub(crate) struct StreamLog {
    pub(crate) first_offset: u64,
    pub(crate) records: VecDeque<Record>,
    /// Never empty once a record was written; the last one is open.
    pub(crate) segments: VecDeque<Segment>,
    pub(crate) max_bytes: Option<u64>,
    pub(crate) max_age: Option<u64>,
    pub(crate) segment_bytes: u64,
    pub(crate) readers: Vec<Reader>,
}

/// A stream delivery waiting for its acknowledgement on a channel.
#[derive(Debug, Clone)]
pub(crate) struct StreamDelivery {
    pub(crate) queue: Arc<str>,
    pub(crate) consumer: u64,
    pub(crate) consumer_tag: Arc<str>,
    pub(crate) offset: u64,
    /// The record delivered, kept so that a view can show it after
    /// retention removed it from the log.
    pub(crate) id: MessageId,
    pub(crate) content: Arc<Content>,
}

/// What `basic.consume` on a stream asked for: where to start and the
/// single-active-consumer group to join.
#[derive(Debug, Clone)]
pub(crate) struct StreamStart {
    pub(crate) offset: OffsetSpec,
    pub(crate) group: Option<GroupMember>,
}

/// Where a new reader starts, from its `x-stream-offset` argument.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum OffsetSpec {
    First,
    Last,
    Next,
    Offset(u64),
    /// Logical milliseconds.
    Timestamp(u64),
}

impl StreamLog {
    fn new(args: &FieldTable) -> Self {
        let int = |k: &str| args.get(k).and_then(FieldValue::as_i64).map(|v| v.max(0) as u64);
        StreamLog {
            first_offset: 0,
            records: VecDeque::new(),
            segments: VecDeque::new(),
            max_bytes: int("x-max-length-bytes"),
            max_age: args.get("x-max-age").and_then(FieldValue::as_str).and_then(parse_interval),
            segment_bytes: int("x-stream-max-segment-size-bytes").unwrap_or(DEFAULT_SEGMENT_BYTES),
            readers: Vec::new(),
        }
    }

    /// The offset the next append gets.
    pub(crate) fn next_offset(&self) -> u64 {
        self.first_offset + self.records.len() as u64
    }

    fn record(&self, offset: u64) -> Option<&Record> {
        self.records.get(usize::try_from(offset.checked_sub(self.first_offset)?).ok()?)
    }

    /// Appends one record as one chunk. Returns what retention removed (the
    /// new first offset and how many records), when a roll triggered it.
    fn append(&mut self, record: Record, now: u64) -> Option<(u64, u64)> {
        let size = record.content.body.len() as u64;
        let offset = self.next_offset();
        let roll =
            self.segments.back().is_none_or(|s| s.bytes >= self.segment_bytes || s.records >= DEFAULT_SEGMENT_CHUNKS);
        if roll {
            self.segments.push_back(Segment { first_offset: offset, records: 0, bytes: 0, last_timestamp: now });
        }
        if let Some(s) = self.segments.back_mut() {
            s.records += 1;
            s.bytes += size;
            s.last_timestamp = record.timestamp;
        }
        self.records.push_back(record);
        // osiris evaluates retention after the chunk that opened a new
        // segment is written; the first segment of a log opens no roll.
        if roll && self.segments.len() > 1 { self.evaluate_retention(now) } else { None }
    }

    /// osiris_log's `evaluate_retention`: `max_bytes` keeps the newest
    /// segment and then older ones while they fit; `max_age` then removes
    /// the oldest segments whose last record is older than the age, never
    /// the newest one.
    fn evaluate_retention(&mut self, now: u64) -> Option<(u64, u64)> {
        let before = self.first_offset;
        let mut keep = self.segments.len();
        if let Some(max) = self.max_bytes {
            let mut limit = max.saturating_sub(self.segments.back().map_or(0, |s| s.bytes));
            keep = 1;
            for s in self.segments.iter().rev().skip(1) {
                if s.bytes > limit {
                    break;
                }
                limit -= s.bytes;
                keep += 1;
            }
        }
        let mut drop = self.segments.len() - keep;
        if let Some(age) = self.max_age {
            while drop + 1 < self.segments.len()
                && self.segments.get(drop).is_some_and(|s| s.last_timestamp < now.saturating_sub(age))
            {
                drop += 1;
            }
        }
        if drop == 0 {
            return None;
        }
        let removed: u64 = self.segments.drain(..drop).map(|s| s.records).sum();
        self.records.drain(..removed as usize);
        self.first_offset += removed;
        Some((before + removed, removed))
    }

    /// Where a reader with `spec` starts, as osiris's `init_offset_reader`
    /// resolves it (v1.3.1): `last` is the last chunk (here the last
    /// record), a timestamp the first chunk written at or after it, an
    /// offset is clamped into the log and past its end waits at `next`.
    fn resolve(&self, spec: OffsetSpec) -> (u64, u64) {
        let first = self.first_offset;
        let next = self.next_offset();
        let at = match spec {
            OffsetSpec::First => first,
            OffsetSpec::Next => next,
            OffsetSpec::Last => next.saturating_sub(1).max(first),
            OffsetSpec::Offset(o) => o.clamp(first, next),
            OffsetSpec::Timestamp(ts) => {
                let idx = self.records.partition_point(|r| r.timestamp < ts);
                first + idx as u64
            }
        };
        let start = match spec {
            OffsetSpec::Offset(o) => o,
            _ => at,
        };
        (at, start)
    }
}

/// Parses a RabbitMQ interval (`check_max_age`: a positive number and one
/// of `Y`, `M`, `D`, `h`, `m`, `s`) into milliseconds.
pub(crate) fn parse_interval(s: &str) -> Option<u64> {
    let digits = s.len() - s.trim_start_matches(|c: char| c.is_ascii_digit()).len();
    let (n, unit) = s.split_at(digits);
    let n: u64 = n.parse().ok().filter(|n| *n > 0)?;
    let ms: u64 = match unit {
        "Y" => 365 * 86_400_000,
        "M" => 30 * 86_400_000,
        "D" => 86_400_000,
        "h" => 3_600_000,
        "m" => 60_000,
        "s" => 1_000,
        _ => return None,
    };
    n.checked_mul(ms)
}

/// `rabbit_misc:rs/1` for a queue.
fn rs(queue: &str, vhost: &str) -> String {
    format!("queue '{queue}' in vhost '{vhost}'")
}

impl Broker {
    /// Checks a stream declaration as RabbitMQ 3.10.8 does, in its order:
    /// the types of the stream's own arguments, then arguments only other
    /// queue types take, then the properties (`auto-delete`,
    /// `exclusive-owner`, `non-durable`) and the segment size ceiling.
    /// Returns the (empty) classic configuration the queue keeps.
    pub(super) fn stream_config(
        name: &str,
        vhost: &str,
        args: &FieldTable,
        durable: bool,
        exclusive: bool,
        auto_delete: bool,
    ) -> R<QueueConfig> {
        let invalid = |key: &str, why: String| {
            AmqpError::precondition(format!("invalid arg '{key}' for {}: {why}", rs(name, vhost)))
        };
        for key in ["x-max-length-bytes", "x-stream-max-segment-size-bytes"] {
            if let Some(v) = args.get(key) {
                match v.as_i64() {
                    None => return Err(invalid(key, format!("\"expected integer, got {}\"", v.type_name()))),
                    Some(i) if i < 0 => return Err(invalid(key, format!("{{value_negative,{i}}}"))),
                    Some(_) => {}
                }
            }
        }
        match args.get("x-max-age") {
            None => {}
            Some(FieldValue::LongString(s)) if parse_interval(s).is_some() => {}
            Some(FieldValue::LongString(_)) => return Err(invalid("x-max-age", "invalid_max_age".into())),
            Some(v) => return Err(invalid("x-max-age", format!("{{unacceptable_type,{}}}", v.type_name()))),
        }
        if let Some(key) = args.keys().find(|k| FOREIGN_ARGS.contains(&k.as_str())) {
            return Err(AmqpError::precondition(format!(
                "invalid arg '{key}' for {} of queue type rabbit_stream_queue",
                rs(name, vhost)
            )));
        }
        let property = if auto_delete {
            Some("auto-delete")
        } else if exclusive {
            Some("exclusive-owner")
        } else if !durable {
            Some("non-durable")
        } else {
            None
        };
        if let Some(p) = property {
            return Err(AmqpError::precondition(format!("invalid property '{p}' for {}", rs(name, vhost))));
        }
        if args
            .get("x-stream-max-segment-size-bytes")
            .and_then(FieldValue::as_i64)
            .is_some_and(|v| v > MAX_SEGMENT_BYTES)
        {
            return Err(AmqpError::precondition("Exceeded max value for x-stream-max-segment-size-bytes"));
        }
        debug_assert!(STREAM_ARGS.contains(&"x-queue-type"));
        Ok(QueueConfig {
            message_ttl: None,
            expires: None,
            max_length: None,
            max_length_bytes: None,
            overflow: Overflow::DropHead,
            dlx: None,
            dlrk: None,
            max_priority: None,
            delivery_limit: None,
            single_active: false,
        })
    }

    /// The log a new queue of `queue_type` carries: one for a stream.
    pub(super) fn new_stream_log(queue_type: QueueType, args: &FieldTable) -> Option<Box<StreamLog>> {
        (queue_type == QueueType::Stream).then(|| Box::new(StreamLog::new(args)))
    }

    /// Appends a routed message to a stream, then feeds its readers.
    pub(super) fn stream_append(
        &mut self,
        vhost: &str,
        qname: &str,
        content: &Arc<Content>,
        origin: Origin<'_>,
        ev: &mut Sink,
    ) -> Option<MessageId> {
        let now = self.now;
        let id = self.next_message_id;
        let vh = self.vhosts.get_mut(vhost)?;
        let q = vh.queues.get_mut(qname)?;
        let log = q.stream.as_mut()?;
        self.next_message_id += 1;
        let offset = log.next_offset();
        let removed = log.append(Record { id, content: content.clone(), timestamp: now }, now);
        let has_readers = !log.readers.is_empty();
        // Events are built only when recorded, so a bulk run pays nothing
        // for them.
        ev.emit(|| Event::StreamAppended {
            vhost: vh.name.clone(),
            queue: q.shared_name.clone(),
            offset,
            message_id: id,
            cause: origin.cause(content),
        });
        if let Some((first_offset, records)) = removed {
            ev.push(Event::StreamSegmentsRemoved {
                vhost: vhost.to_string(),
                queue: qname.to_string(),
                first_offset,
                records,
            });
        }
        if has_readers {
            self.stream_dispatch(vhost, qname, ev);
        }
        Some(id)
    }

    /// The checks `basic.consume` on a stream makes before the consumer
    /// exists, in 3.10.8's order: consumer arguments (types, then those of
    /// other queue types), a prefetch (406), manual acks (540), no global
    /// QoS (540). Returns where the reader starts and the group it joins.
    pub(super) fn stream_consume_check(
        &self,
        vhost: &str,
        queue: &str,
        channel: ChannelId,
        no_ack: bool,
        args: &FieldTable,
    ) -> R<StreamStart> {
        let spec = match args.get("x-stream-offset") {
            None => OffsetSpec::Next,
            Some(FieldValue::LongString(s)) if s == "first" => OffsetSpec::First,
            Some(FieldValue::LongString(s)) if s == "last" => OffsetSpec::Last,
            Some(FieldValue::LongString(s)) if s == "next" => OffsetSpec::Next,
            Some(FieldValue::LongString(s)) if parse_interval(s).is_some() => {
                OffsetSpec::Timestamp(self.now.saturating_sub(parse_interval(s).unwrap_or(0)))
            }
            Some(FieldValue::Timestamp(secs)) => OffsetSpec::Timestamp(secs.saturating_mul(1000)),
            Some(v) if v.as_i64().is_some_and(|o| o >= 0) => OffsetSpec::Offset(v.as_i64().unwrap_or(0) as u64),
            Some(v) => {
                let shown = match v {
                    FieldValue::LongString(s) => format!("<<\"{s}\">>"),
                    other => format!("{other:?}"),
                };
                return Err(AmqpError::precondition(format!(
                    "invalid arg 'x-stream-offset' for {}: {{invalid_stream_offset_arg,{{{},{shown}}}}}",
                    rs(queue, vhost),
                    v.type_name()
                )));
            }
        };
        if let Some(key) = args.keys().find(|k| FOREIGN_CONSUMER_ARGS.contains(&k.as_str())) {
            return Err(AmqpError::precondition(format!(
                "invalid arg '{key}' for {} of queue type rabbit_stream_queue",
                rs(queue, vhost)
            )));
        }
        let ch = self
            .connections
            .get(&channel.connection)
            .and_then(|c| c.channels.get(&channel.channel))
            .ok_or_else(|| AmqpError::new(ReplyCode::ChannelError, "channel is not open"))?;
        if ch.prefetch == 0 {
            return Err(AmqpError::precondition(format!(
                "consumer prefetch count is not set for '{}'",
                rs(queue, vhost)
            )));
        }
        if no_ack {
            return Err(AmqpError::new(
                ReplyCode::NotImplemented,
                format!("automatic acknowledgement not supported by stream queues {}", rs(queue, vhost)),
            ));
        }
        if ch.global_prefetch > 0 {
            return Err(AmqpError::new(
                ReplyCode::NotImplemented,
                format!("{} does not support global qos", rs(queue, vhost)),
            ));
        }
        let group = self.stream_group_of(vhost, queue, args)?;
        Ok(StreamStart { offset: spec, group })
    }

    /// Adds the reader of a consumer that has just started on a stream.
    pub(super) fn stream_attach(
        &mut self,
        vhost: &str,
        queue: &str,
        channel: ChannelId,
        tag: &str,
        start: StreamStart,
        ev: &mut Sink,
    ) {
        let Some(c) = self
            .connections
            .get(&channel.connection)
            .and_then(|c| c.channels.get(&channel.channel))
            .and_then(|ch| ch.consumers.get(tag))
        else {
            return;
        };
        let (consumer, prefetch) = (c.id, c.prefetch);
        let Some(q) = self.vhosts.get_mut(vhost).and_then(|v| v.queues.get_mut(queue)) else {
            return;
        };
        let Some(log) = q.stream.as_mut() else { return };
        let (next, from) = log.resolve(start.offset);
        // Readers stay sorted by channel, then by descending consumer tag:
        // the order in which new records reach them.
        let at = log
            .readers
            .partition_point(|r| (r.channel, std::cmp::Reverse(r.tag.as_str())) < (channel, std::cmp::Reverse(tag)));
        log.readers.insert(
            at,
            Reader {
                consumer,
                channel,
                tag: tag.to_string(),
                shared_tag: Arc::from(tag),
                next,
                start: from,
                credit: u32::from(prefetch),
                prefetch,
                active: start.group.is_none(),
                group: start.group,
            },
        );
        ev.push(Event::StreamConsumerAttached {
            channel,
            consumer_tag: tag.to_string(),
            queue: queue.to_string(),
            offset: next,
        });
        Self::stream_rebalance(q, vhost, ev);
    }

    /// Delivers records to every reader of a stream with credit left.
    /// Within a channel, readers are served in descending consumer tag
    /// order, as 3.10.8's `handle_event(osiris_offset)` folds over the
    /// channel's readers map and reverses it; that order decides which
    /// delivery tags each reader gets.
    pub(super) fn stream_dispatch(&mut self, vhost: &str, qname: &str, ev: &mut Sink) {
        self.stream_serve(vhost, qname, None, ev);
    }

    /// Delivers records to the readers `only` names (consumer ids, served
    /// in ascending consumer tag order, as acknowledgements are settled per
    /// tag), or to every reader (see [`Broker::stream_dispatch`]).
    fn stream_serve(&mut self, vhost: &str, qname: &str, only: Option<&[u64]>, ev: &mut Sink) {
        let Some(q) = self.vhosts.get_mut(vhost).and_then(|v| v.queues.get_mut(qname)) else {
            return;
        };
        let shared_name = q.shared_name.clone();
        let Some(log) = q.stream.as_mut() else { return };
        let StreamLog { first_offset, records, readers, .. } = &mut **log;
        let end = *first_offset + records.len() as u64;
        // Readers are kept in serving order (see `stream_attach`); returned
        // credit is served backwards, which is ascending tags within the
        // channel that acknowledged.
        let count = readers.len();
        for k in 0..count {
            let i = if only.is_some() { count - 1 - k } else { k };
            let r = &mut readers[i];
            if only.is_some_and(|ids| !ids.contains(&r.consumer)) {
                continue;
            }
            // A reader behind retention goes on from the first record kept.
            r.next = r.next.max(*first_offset).max(r.start.min(end));
            if !r.active || r.credit == 0 || r.next >= end {
                continue;
            }
            let Some(chs) =
                self.connections.get_mut(&r.channel.connection).and_then(|c| c.channels.get_mut(&r.channel.channel))
            else {
                continue;
            };
            while r.credit > 0 && r.next < end {
                let offset = r.next;
                r.next += 1;
                r.credit -= 1;
                let delivery_tag = chs.next_tag;
                chs.next_tag += 1;
                let Some(rec) = records.get((offset - *first_offset) as usize) else { break };
                chs.stream_unacked.insert(
                    delivery_tag,
                    StreamDelivery {
                        queue: shared_name.clone(),
                        consumer: r.consumer,
                        consumer_tag: r.shared_tag.clone(),
                        offset,
                        id: rec.id,
                        content: rec.content.clone(),
                    },
                );
                ev.emit(|| Event::Delivered {
                    channel: r.channel,
                    consumer_tag: r.tag.clone(),
                    delivery_tag,
                    queue: qname.to_string(),
                    message: Box::new(stream_message(rec.id, &rec.content, offset)),
                });
            }
        }
    }

    /// A channel's stream deliveries as the channel view lists them.
    pub(super) fn stream_unacked_views(ch: &ChannelState) -> impl Iterator<Item = UnackedView> + '_ {
        ch.stream_unacked.iter().map(|(t, d)| UnackedView {
            delivery_tag: *t,
            queue: d.queue.to_string(),
            consumer_tag: Some(d.consumer_tag.to_string()),
            message: stream_message(d.id, &d.content, d.offset),
        })
    }

    /// Removes the reader of a consumer that went away.
    pub(super) fn stream_detach(q: &mut QueueState, consumer: u64, vhost: &str, ev: &mut Sink) {
        let Some(log) = q.stream.as_mut() else { return };
        let Some(i) = log.readers.iter().position(|r| r.consumer == consumer) else { return };
        let gone = log.readers.remove(i);
        if gone.active
            && let Some(g) = gone.group
            && !log.has_group(&g.name)
        {
            ev.push(Event::SingleActiveConsumerChanged {
                vhost: vhost.to_string(),
                queue: q.name.clone(),
                consumer_tag: None,
            });
        }
        Self::stream_rebalance(q, vhost, ev);
    }

    /// Settles the stream deliveries among `tag` (and those before it when
    /// `multiple`): an acknowledgement gives each reader one credit per
    /// delivery; a nack or reject is refused as RabbitMQ 3.10 to 3.12 refuse
    /// it. Returns whether `tag` itself was a stream delivery, so the
    /// classic settlement does not call it unknown.
    pub(super) fn stream_settle(
        &mut self,
        channel: ChannelId,
        tag: u64,
        multiple: bool,
        how: Settle,
        ev: &mut Sink,
    ) -> R<bool> {
        let (vhost, _) = self.ctx(channel)?;
        let nack_as_ack = self.version.stream_settles_nack_as_ack();
        let chs = self.chan_mut(channel)?;
        if chs.stream_unacked.is_empty() {
            return Ok(false);
        }
        if multiple && tag != 0 && !chs.stream_unacked.contains_key(&tag) && !chs.unacked.contains_key(&tag) {
            // An unknown tag refuses the whole settlement; the classic
            // path reports it.
            return Ok(false);
        }
        let tags: Vec<u64> = if multiple {
            let upto = if tag == 0 { u64::MAX } else { tag };
            chs.stream_unacked.range(..=upto).map(|(t, _)| *t).collect()
        } else if chs.stream_unacked.contains_key(&tag) {
            vec![tag]
        } else {
            Vec::new()
        };
        let Some(first) = tags.first() else { return Ok(false) };
        // See `Version::stream_settles_nack_as_ack`.
        if !matches!(how, Settle::Ack) && !nack_as_ack {
            let queue = chs.stream_unacked.get(first).map(|d| d.queue.clone()).unwrap_or_else(|| Arc::from(""));
            return Err(AmqpError::new(
                ReplyCode::NotImplemented,
                format!("basic.nack and basic.reject not supported by stream queues {}", rs(&queue, &vhost)),
            ));
        }
        let mut credits: BTreeMap<(Arc<str>, u64), u32> = BTreeMap::new();
        for t in &tags {
            if let Some(d) = chs.stream_unacked.remove(t) {
                *credits.entry((d.queue, d.consumer)).or_default() += 1;
            }
        }
        let mut touched: Vec<(Arc<str>, Vec<u64>)> = Vec::new();
        for ((queue, consumer), n) in credits {
            if let Some(r) = self
                .vhosts
                .get_mut(&vhost)
                .and_then(|v| v.queues.get_mut(&*queue))
                .and_then(|q| q.stream.as_mut())
                .and_then(|log| log.readers.iter_mut().find(|r| r.consumer == consumer))
            {
                r.credit = r.credit.saturating_add(n).min(u32::from(r.prefetch));
            }
            match touched.iter_mut().find(|(q, _)| *q == queue) {
                Some((_, ids)) => ids.push(consumer),
                None => touched.push((queue, vec![consumer])),
            }
        }
        for (q, ids) in touched {
            self.stream_serve(&vhost, &q, Some(&ids), ev);
        }
        Ok(!multiple || tag == 0 || tags.contains(&tag))
    }

    /// `basic.get` on a stream: refused (540) in every release.
    pub(super) fn stream_refuse_get(&self, vhost: &str, queue: &str) -> R<()> {
        match self.vhosts.get(vhost).and_then(|v| v.queues.get(queue)) {
            Some(q) if q.stream.is_some() => Err(AmqpError::new(
                ReplyCode::NotImplemented,
                format!("basic.get not supported by stream queues {}", rs(queue, vhost)),
            )),
            _ => Ok(()),
        }
    }

    /// `queue.purge` on a stream: refused (540), as in 3.10.8 (a stream
    /// only loses records to retention).
    pub(super) fn stream_refuse_purge(&self, vhost: &str, queue: &str) -> R<()> {
        if self.is_stream(vhost, queue) {
            return Err(AmqpError::new(
                ReplyCode::NotImplemented,
                format!("queue.purge not supported by stream queues {}", rs(queue, vhost)),
            ));
        }
        Ok(())
    }

    /// Whether a queue is a stream.
    pub(super) fn is_stream(&self, vhost: &str, queue: &str) -> bool {
        self.vhosts.get(vhost).and_then(|v| v.queues.get(queue)).is_some_and(|q| q.stream.is_some())
    }

    /// A stream with its records, segments and readers, for drawing; `None`
    /// when there is no such stream.
    pub fn stream(&self, vhost: &str, name: &str) -> Option<StreamView> {
        let q = self.vhosts.get(vhost)?.queues.get(name)?;
        let log = q.stream.as_ref()?;
        let mut records = Vec::with_capacity(log.records.len());
        let mut offset = log.first_offset;
        for (i, s) in log.segments.iter().enumerate() {
            for _ in 0..s.records {
                if let Some(rec) = log.record(offset) {
                    records.push(StreamRecordView {
                        offset,
                        segment: i,
                        timestamp: rec.timestamp,
                        message: stream_message(rec.id, &rec.content, offset),
                    });
                }
                offset += 1;
            }
        }
        let mut readers: Vec<&Reader> = log.readers.iter().collect();
        brokerlab_order::sort_by_key(&mut readers, |r| r.consumer);
        let consumers = readers
            .into_iter()
            .map(|r| StreamConsumerView {
                channel: r.channel,
                consumer_tag: r.tag.clone(),
                // A reader attached past the end waits for its offset.
                next_offset: r.next.max(r.start).max(log.first_offset),
                credit: r.credit,
                prefetch: r.prefetch,
                active: r.active,
                group: r.group.as_ref().map(|g| g.name.to_string()),
                unacked: self
                    .connections
                    .get(&r.channel.connection)
                    .and_then(|c| c.channels.get(&r.channel.channel))
                    .map(|ch| {
                        ch.stream_unacked
                            .iter()
                            .filter(|(_, d)| d.consumer == r.consumer)
                            .map(|(t, d)| (*t, d.offset))
                            .collect()
                    })
                    .unwrap_or_default(),
            })
            .collect();
        Some(StreamView {
            vhost: vhost.to_string(),
            name: name.to_string(),
            first_offset: log.first_offset,
            next_offset: log.next_offset(),
            max_length_bytes: log.max_bytes,
            max_age_ms: log.max_age,
            max_segment_size_bytes: log.segment_bytes,
            segments: log
                .segments
                .iter()
                .map(|s| SegmentView {
                    first_offset: s.first_offset,
                    records: s.records,
                    bytes: s.bytes,
                    last_timestamp: s.last_timestamp,
                })
                .collect(),
            records,
            consumers,
        })
    }

    /// The stream invariants, checked with the others after every command
    /// in debug builds: segments cover the records exactly and in offset
    /// order, and each reader's credit plus the deliveries it holds equals
    /// its prefetch.
    pub(crate) fn check_stream(&self, vhost: &str, q: &QueueState) -> Result<(), String> {
        let Some(log) = q.stream.as_ref() else { return Ok(()) };
        let mut expect = log.first_offset;
        for s in &log.segments {
            if s.first_offset != expect {
                return Err(format!("stream {vhost}/{}: segment starts at {} not {expect}", q.name, s.first_offset));
            }
            expect += s.records;
        }
        if expect != log.next_offset() {
            return Err(format!(
                "stream {vhost}/{}: segments end at {expect}, records at {}",
                q.name,
                log.next_offset()
            ));
        }
        let mut groups: BTreeMap<&str, usize> = BTreeMap::new();
        for r in &log.readers {
            if let Some(g) = &r.group {
                *groups.entry(&g.name).or_default() += usize::from(r.active);
            } else if !r.active {
                return Err(format!("stream {vhost}/{}: reader {} is outside any group and inactive", q.name, r.tag));
            }
        }
        if let Some((name, n)) = groups.iter().find(|(_, n)| **n != 1) {
            return Err(format!("stream {vhost}/{}: group {name} has {n} active readers", q.name));
        }
        for r in &log.readers {
            let held = self
                .connections
                .get(&r.channel.connection)
                .and_then(|c| c.channels.get(&r.channel.channel))
                .map_or(0, |ch| ch.stream_unacked.values().filter(|d| d.consumer == r.consumer).count());
            if r.credit as usize + held != usize::from(r.prefetch) {
                return Err(format!(
                    "stream {vhost}/{}: reader {} has credit {} and holds {held} for prefetch {}",
                    q.name, r.tag, r.credit, r.prefetch
                ));
            }
        }
        Ok(())
    }
}

/// A record as a consumer receives it: the message with the
/// `x-stream-offset` header (a 64-bit signed integer, `long`) added.
pub(super) fn stream_message(id: MessageId, content: &Content, offset: u64) -> Message {
    let mut properties = BasicProperties::clone(&content.properties);
    properties
        .headers
        .get_or_insert_with(FieldTable::new)
        .insert("x-stream-offset".into(), FieldValue::LongLongInt(offset as i64));
    Message {
        id,
        exchange: content.exchange.clone(),
        routing_key: content.routing_key.clone(),
        properties,
        body: content.body.clone(),
        redelivered: false,
        delivery_count: 0,
        expires_at: None,
        deaths: content.deaths().to_vec(),
    }
}

/// A stream for drawing.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct StreamView {
    pub vhost: String,
    pub name: String,
    /// The offset of the oldest record kept.
    pub first_offset: u64,
    /// The offset the next record will get.
    pub next_offset: u64,
    pub max_length_bytes: Option<u64>,
    pub max_age_ms: Option<u64>,
    pub max_segment_size_bytes: u64,
    /// Segments from the oldest; the last one is open.
    pub segments: Vec<SegmentView>,
    /// Records in offset order.
    pub records: Vec<StreamRecordView>,
    /// Readers in the order they attached.
    pub consumers: Vec<StreamConsumerView>,
}

/// One segment of a stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SegmentView {
    pub first_offset: u64,
    pub records: u64,
    pub bytes: u64,
    pub last_timestamp: u64,
}

/// One record of a stream.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct StreamRecordView {
    pub offset: u64,
    /// Index into [`StreamView::segments`].
    pub segment: usize,
    /// Logical time of the append.
    pub timestamp: u64,
    /// The message as a consumer receives it (with `x-stream-offset`).
    pub message: Message,
}

/// One consumer reading a stream.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct StreamConsumerView {
    pub channel: ChannelId,
    pub consumer_tag: String,
    /// The offset of the next record it will receive.
    pub next_offset: u64,
    /// Deliveries it may still receive before acknowledging some.
    pub credit: u32,
    pub prefetch: u16,
    /// Whether it reads: false for a waiting member of a single active
    /// consumer group.
    pub active: bool,
    /// The name of its single active consumer group, if any.
    pub group: Option<String>,
    /// `(delivery_tag, offset)` of each delivery it holds unacknowledged.
    pub unacked: Vec<(u64, u64)>,
}
