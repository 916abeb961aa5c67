//! The append-only log of one partition: records, segments, retention and compaction.
//!
//! A [`Log`] is a run of [`Segment`]s. Appends go to the last (active)
//! segment, which rolls when it reaches `segment.bytes` or `segment.ms`.
//! Retention deletes whole segments from the front, oldest first, following
//! `UnifiedLog.deleteOldSegments` (size breach, then time breach, and only
//! segments entirely below the high watermark), which moves the log start
//! offset forward. Compaction keeps the latest record per key in the inactive
//! segments below the high watermark; offsets never change, so a compacted log
//! has gaps. The engine keeps one log per partition and tracks how far each
//! replica has copied it, so a record is stored once however many replicas hold it.

use crate::partitioner::to_positive;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, VecDeque};

/// A record header: a string key and an optional byte value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Header {
    /// The header key.
    pub key: String,
    /// The header value; `None` is a null value.
    pub value: Option<Vec<u8>>,
}

/// The bytes a producer sent: key, value and headers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct RecordData {
    /// The key; `None` is a null key.
    pub key: Option<Vec<u8>>,
    /// The value; `None` with a key is a tombstone.
    pub value: Option<Vec<u8>>,
    /// The headers, in order.
    pub headers: Vec<Header>,
}

impl RecordData {
    /// An approximation of the serialized size (record v2 framing plus
    /// payload), used for batch sizes, segment sizes and `retention.bytes`.
    pub fn size_bytes(&self) -> u64 {
        let key = self.key.as_ref().map_or(0, Vec::len);
        let value = self.value.as_ref().map_or(0, Vec::len);
        let headers: usize = self.headers.iter().map(|h| h.key.len() + h.value.as_ref().map_or(0, Vec::len) + 2).sum();
        (RECORD_OVERHEAD_BYTES + key + value + headers) as u64
    }
}

/// Bytes of framing counted per record on top of key, value and headers.
pub const RECORD_OVERHEAD_BYTES: usize = 14;

/// What a log entry is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum RecordKind {
    /// An ordinary record.
    Data,
    /// A record written inside a transaction.
    Transactional,
    /// The control record that commits a transaction in this partition.
    CommitMarker,
    /// The control record that aborts a transaction in this partition.
    AbortMarker,
}

impl RecordKind {
    /// Whether this is a transaction marker (consumers never see those).
    pub fn is_control(self) -> bool {
        matches!(self, RecordKind::CommitMarker | RecordKind::AbortMarker)
    }
}

/// Why a record went to the partition it is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum PartitionReason {
    /// The producer named the partition.
    Explicit,
    /// `toPositive(murmur2(key)) % partitions`.
    Key {
        /// The murmur2 hash of the key, as Java's signed int.
        hash: i32,
        /// The partition count the producer saw.
        partitions: u32,
    },
    /// No key: the sticky partitioner's current batch partition.
    Sticky,
    /// The round-robin partitioner's counter picked it.
    RoundRobin {
        /// The counter value.
        counter: i32,
        /// How many partitions were available to choose from.
        available: u32,
    },
    /// A transaction marker written by the coordinator.
    Control,
    /// No partition yet: `send()` waits for the topic's metadata (the topic
    /// is missing and was not auto-created), for at most `max.block.ms`.
    AwaitingMetadata,
}

impl PartitionReason {
    /// The positive hash for keyed records.
    pub fn positive_hash(self) -> Option<i32> {
        match self {
            PartitionReason::Key { hash, .. } => Some(to_positive(hash)),
            _ => None,
        }
    }
}

/// One entry of a partition log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Record {
    /// The offset, the record's permanent position in the partition.
    pub offset: i64,
    /// The timestamp (CreateTime), in logical milliseconds.
    pub timestamp: i64,
    /// Key, value and headers.
    pub data: RecordData,
    /// The idempotent or transactional producer id, or -1.
    pub producer_id: i64,
    /// The producer epoch, or -1.
    pub producer_epoch: i16,
    /// The sequence number, or -1.
    pub sequence: i32,
    /// Data, transactional data or a transaction marker.
    pub kind: RecordKind,
    /// Why the record is in this partition.
    pub partitioning: PartitionReason,
    /// The leader epoch in which it was appended.
    pub leader_epoch: u32,
    /// Whether the producer received a successful acknowledgement for it.
    pub acknowledged: bool,
}

/// A contiguous run of the log.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Segment {
    /// The offset of the first record ever appended to the segment.
    pub base_offset: i64,
    /// The records still in the segment (compaction can leave gaps).
    pub records: Vec<Record>,
    /// The size of the records still in the segment.
    pub bytes: u64,
    /// The largest record timestamp, used by time retention.
    pub largest_timestamp: i64,
    /// When the segment was rolled, used by `segment.ms` when its first
    /// record has no (non-negative) timestamp.
    pub created_ms: u64,
}

impl Segment {
    fn new(base_offset: i64, now: u64) -> Self {
        Segment { base_offset, records: Vec::new(), bytes: 0, largest_timestamp: i64::MIN, created_ms: now }
    }

    fn position(&self, offset: i64) -> usize {
        self.records.partition_point(|r| r.offset < offset)
    }
}

/// Why records left the log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum RemovalReason {
    /// `retention.ms` passed for the whole segment.
    RetentionTime,
    /// The partition was above `retention.bytes`.
    RetentionSize,
    /// A later record with the same key exists.
    Compaction,
    /// A tombstone older than `delete.retention.ms`.
    TombstoneExpired,
    /// The replica's log diverged from the new leader's and was cut back.
    Truncation,
    /// A record of an aborted transaction, which the log cleaner discards
    /// (`LogCleaner`'s `CleanedTransactionMetadata.onBatchRead`).
    AbortedTransaction,
    /// A transaction marker whose transaction has no records left in the
    /// cleaned section, past `delete.retention.ms` (`onControlBatchRead`).
    TransactionMarker,
}

/// The retention and segment settings a log applies.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct LogSettings {
    /// `segment.bytes`.
    pub segment_bytes: u64,
    /// `segment.ms`.
    pub segment_ms: u64,
    /// `retention.ms`; negative means no time limit.
    pub retention_ms: i64,
    /// `retention.bytes`; negative means no size limit.
    pub retention_bytes: i64,
    /// Whether `cleanup.policy` includes `delete`.
    pub delete: bool,
    /// Whether `cleanup.policy` includes `compact`.
    pub compact: bool,
    /// `min.cleanable.dirty.ratio`.
    pub min_cleanable_dirty_ratio: f64,
    /// `min.compaction.lag.ms`.
    pub min_compaction_lag_ms: u64,
    /// `delete.retention.ms`.
    pub delete_retention_ms: u64,
}

/// The log of one partition.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Log {
    segments: VecDeque<Segment>,
    log_start_offset: i64,
    log_end_offset: i64,
    cleaner_checkpoint: i64,
    bytes: u64,
    records: u64,
    /// The delete horizon of each tombstone and transaction marker the
    /// cleaner has passed over (KIP-534, Kafka 3.1+): stamped on the first
    /// cleaning pass that meets it as that pass's time plus
    /// `delete.retention.ms` (`MemoryRecords.filterTo` writes
    /// `deleteHorizonMs` into the batch), and the record goes in the first
    /// pass at or after it (`LogCleaner.shouldRetainRecord`).
    #[serde(default)]
    delete_horizons: BTreeMap<i64, u64>,
}

impl Log {
    /// An empty log starting at offset 0.
    pub fn new(now: u64) -> Self {
        let mut segments = VecDeque::new();
        segments.push_back(Segment::new(0, now));
        Log {
            segments,
            log_start_offset: 0,
            log_end_offset: 0,
            cleaner_checkpoint: 0,
            bytes: 0,
            records: 0,
            delete_horizons: BTreeMap::new(),
        }
    }

    /// The first offset a consumer may read.
    pub fn log_start_offset(&self) -> i64 {
        self.log_start_offset
    }

    /// The offset the next appended record gets.
    pub fn log_end_offset(&self) -> i64 {
        self.log_end_offset
    }

    /// How many records the log holds.
    pub fn retained_records(&self) -> u64 {
        self.records
    }

    /// How many bytes (by [`RecordData::size_bytes`]) the log holds.
    pub fn retained_bytes(&self) -> u64 {
        self.bytes
    }

    /// The segments, oldest first.
    pub fn segments(&self) -> impl Iterator<Item = &Segment> {
        self.segments.iter()
    }

    /// Appends a record at the log end, rolling the active segment first when
    /// it is full or old. Returns the offset and whether a segment rolled.
    pub fn append(&mut self, mut record: Record, now: u64, settings: &LogSettings) -> (i64, bool) {
        let size = record.data.size_bytes();
        // `segment.ms` counts from the first record's timestamp to the new
        // record's (`LogSegment.timeWaitedForRoll`, `rollingBasedTimestamp`),
        // or from the segment's creation when that timestamp is negative,
        // and rolls once it is exceeded (`shouldRoll`, jitter 0).
        let segment_ms = i64::try_from(settings.segment_ms).unwrap_or(i64::MAX);
        let waited = |active: &Segment| match active.records.first() {
            Some(first) if first.timestamp >= 0 => record.timestamp.saturating_sub(first.timestamp),
            _ => i64::try_from(now.saturating_sub(active.created_ms)).unwrap_or(i64::MAX),
        };
        // A log always has an active segment; a missing one is rolled.
        let rolled = self.segments.back().is_none_or(|active| {
            !active.records.is_empty() && (active.bytes + size > settings.segment_bytes || waited(active) > segment_ms)
        });
        if rolled {
            // Size the new segment like the one it follows, so appends do not
            // keep reallocating the record array.
            let capacity = self.segments.back().map_or(0, |s| s.records.len());
            let mut next = Segment::new(self.log_end_offset, now);
            next.records.reserve_exact(capacity);
            self.segments.push_back(next);
        }
        let offset = self.log_end_offset;
        record.offset = offset;
        // The segment rolled above when there was none.
        let Some(active) = self.segments.back_mut() else { return (offset, rolled) };
        active.bytes += size;
        active.largest_timestamp = active.largest_timestamp.max(record.timestamp);
        active.records.push(record);
        self.log_end_offset += 1;
        self.bytes += size;
        self.records += 1;
        (offset, rolled)
    }

    fn segment_index(&self, offset: i64) -> usize {
        let i = self.segments.partition_point(|s| s.base_offset <= offset);
        i.saturating_sub(1)
    }

    /// The record at `offset`, if the log still holds it.
    pub fn get(&self, offset: i64) -> Option<&Record> {
        let seg = self.segments.get(self.segment_index(offset))?;
        let pos = seg.position(offset);
        seg.records.get(pos).filter(|r| r.offset == offset)
    }

    /// Mutable access to the record at `offset`.
    pub fn get_mut(&mut self, offset: i64) -> Option<&mut Record> {
        let i = self.segment_index(offset);
        let seg = self.segments.get_mut(i)?;
        let pos = seg.position(offset);
        seg.records.get_mut(pos).filter(|r| r.offset == offset)
    }

    /// The most recently appended record, if the log holds it.
    pub fn last_mut(&mut self) -> Option<&mut Record> {
        self.segments.back_mut().and_then(|s| s.records.last_mut())
    }

    /// The records at or after `from`, in offset order.
    pub fn records_from(&self, from: i64) -> impl Iterator<Item = &Record> {
        let first = self.segment_index(from);
        self.segments.iter().skip(first).flat_map(move |s| s.records[s.position(from)..].iter())
    }

    /// All records, in offset order.
    pub fn iter(&self) -> impl Iterator<Item = &Record> {
        self.segments.iter().flat_map(|s| s.records.iter())
    }

    /// The earliest offset whose timestamp is at or after `timestamp`
    /// (`offsetsForTimes`), or `None` when every record is older.
    pub fn offset_for_timestamp(&self, timestamp: i64) -> Option<i64> {
        self.iter().find(|r| r.timestamp >= timestamp).map(|r| r.offset)
    }

    /// Cuts the log back so that `offset` is the new log end, returning the
    /// removed records (a new leader had less than the old one).
    pub fn truncate_to(&mut self, offset: i64) -> Vec<Record> {
        let mut removed = Vec::new();
        if offset >= self.log_end_offset {
            return removed;
        }
        self.delete_horizons.retain(|&o, _| o < offset);
        while let Some(seg) = self.segments.back_mut() {
            let pos = seg.position(offset);
            let cut: Vec<Record> = seg.records.drain(pos..).collect();
            for r in &cut {
                seg.bytes -= r.data.size_bytes();
            }
            removed.splice(0..0, cut);
            if seg.base_offset >= offset && self.segments.len() > 1 {
                self.segments.pop_back();
            } else {
                break;
            }
        }
        let offset = offset.max(self.log_start_offset);
        self.log_end_offset = offset;
        self.cleaner_checkpoint = self.cleaner_checkpoint.min(offset);
        self.records -= removed.len() as u64;
        self.bytes -= removed.iter().map(|r| r.data.size_bytes()).sum::<u64>();
        removed
    }

    /// The first instant after the cleaner's last pass (`since`, `None`
    /// before the first) at which the passage of time alone lets the cleaner
    /// remove something: the front deletable segment passing `retention.ms`,
    /// an inactive segment below the high watermark passing
    /// `min.compaction.lag.ms`, or a tombstone or marker in one reaching the
    /// delete horizon an earlier pass stamped on it. Whatever was eligible at the last pass and
    /// stayed was kept for a reason only a change to the log can undo, and
    /// the cluster runs the cleaner after every change anyway.
    pub fn next_cleanup_due(
        &self,
        since: Option<u64>,
        high_watermark: i64,
        last_stable_offset: i64,
        settings: &LogSettings,
    ) -> Option<u64> {
        let at = |t: i64| {
            let t = u64::try_from(t).unwrap_or(0);
            since.is_none_or(|s| t > s).then_some(t)
        };
        let mut due: Option<u64> = None;
        let mut consider = |t: Option<u64>| {
            if let Some(t) = t {
                due = Some(due.map_or(t, |d| d.min(t)));
            }
        };
        if settings.delete
            && settings.retention_ms >= 0
            && self.deletable_front(high_watermark).is_some()
            && let Some(seg) = self.segments.front()
            && !seg.records.is_empty()
        {
            consider(at(seg.largest_timestamp.saturating_add(settings.retention_ms).saturating_add(1)));
        }
        if settings.compact {
            let inactive = self.segments.len().saturating_sub(1);
            for (i, seg) in self.segments.iter().enumerate().take(inactive) {
                let upper = self.segments.get(i + 1).map_or(self.log_end_offset, |s| s.base_offset);
                if upper > last_stable_offset {
                    break;
                }
                let lag = i64::try_from(settings.min_compaction_lag_ms).unwrap_or(i64::MAX);
                if !seg.records.is_empty() {
                    consider(at(seg.largest_timestamp.saturating_add(lag)));
                }
                for r in seg.records.iter().filter(|r| r.data.value.is_none() || r.kind.is_control()) {
                    if let Some(&h) = self.delete_horizons.get(&r.offset) {
                        // A horizon stamped at the last pass with
                        // `delete.retention.ms` 0 is due at the next instant.
                        let h = since.map_or(h, |s| h.max(s.saturating_add(1)));
                        consider(at(i64::try_from(h).unwrap_or(i64::MAX)));
                    }
                }
            }
        }
        due
    }

    /// Deletes whole segments by size and then by time, never past the high
    /// watermark, and moves the log start offset. Returns the removed offset
    /// ranges `[from, to)` with their reason and record count.
    pub fn apply_retention(
        &mut self,
        now: u64,
        high_watermark: i64,
        settings: &LogSettings,
    ) -> Vec<(i64, i64, RemovalReason, u64)> {
        let mut removed = Vec::new();
        if !settings.delete {
            return removed;
        }
        if settings.retention_bytes >= 0 && self.bytes >= settings.retention_bytes as u64 {
            let mut diff = self.bytes - settings.retention_bytes as u64;
            while let Some(i) = self.deletable_front(high_watermark) {
                let size = self.segments[i].bytes;
                if diff < size {
                    break;
                }
                diff -= size;
                removed.push(self.delete_front(now, RemovalReason::RetentionSize));
            }
        }
        if settings.retention_ms >= 0 {
            while let Some(i) = self.deletable_front(high_watermark) {
                let seg = &self.segments[i];
                if seg.records.is_empty() || (now as i64).saturating_sub(seg.largest_timestamp) <= settings.retention_ms
                {
                    break;
                }
                removed.push(self.delete_front(now, RemovalReason::RetentionTime));
            }
        }
        removed
    }

    /// The front segment when it lies wholly below the high watermark and is
    /// not an empty active segment.
    fn deletable_front(&self, high_watermark: i64) -> Option<usize> {
        let seg = self.segments.front()?;
        let upper = self.segments.get(1).map_or(self.log_end_offset, |s| s.base_offset);
        if high_watermark < upper || (self.segments.len() == 1 && seg.records.is_empty()) {
            return None;
        }
        Some(0)
    }

    fn delete_front(&mut self, now: u64, reason: RemovalReason) -> (i64, i64, RemovalReason, u64) {
        if self.segments.len() == 1 {
            // Deleting the only segment rolls a fresh active one first, so the
            // log always has somewhere to append.
            self.segments.push_back(Segment::new(self.log_end_offset, now));
        }
        let Some(seg) = self.segments.pop_front() else {
            return (self.log_start_offset, self.log_start_offset, reason, 0);
        };
        let next_base = self.segments.front().map_or(self.log_end_offset, |s| s.base_offset);
        let from = self.log_start_offset;
        self.log_start_offset = self.log_start_offset.max(next_base);
        self.cleaner_checkpoint = self.cleaner_checkpoint.max(self.log_start_offset);
        let start = self.log_start_offset;
        self.delete_horizons.retain(|&o, _| o >= start);
        self.bytes -= seg.bytes;
        self.records -= seg.records.len() as u64;
        (from, self.log_start_offset, reason, seg.records.len() as u64)
    }

    /// Compacts the inactive segments below the last stable offset
    /// (`LogCleanerManager.cleanableOffsets` stops there, so an open
    /// transaction is never cleaned) when the dirty ratio allows it, keeping
    /// the latest record for each key, committed transactional records
    /// included, and dropping tombstones whose delete horizon has passed
    /// (KIP-534: stamped by the first pass over them),
    /// the records of aborted transactions (`aborted`: producer id, first
    /// offset, marker offset) and the markers of transactions with no records
    /// left. Returns the removed offsets with their reason.
    pub fn compact(
        &mut self,
        now: u64,
        last_stable_offset: i64,
        aborted: &[(i64, i64, i64)],
        settings: &LogSettings,
    ) -> Vec<(i64, RemovalReason)> {
        let high_watermark = last_stable_offset;
        let mut removed = Vec::new();
        if !settings.compact || self.segments.len() < 2 {
            return removed;
        }
        // The cleanable section: inactive segments, wholly below the high
        // watermark and older than the minimum compaction lag.
        let mut end_seg = 0;
        for i in 0..self.segments.len() - 1 {
            let upper = self.segments[i + 1].base_offset;
            let seg = &self.segments[i];
            let old_enough = seg.records.is_empty()
                || (now as i64).saturating_sub(seg.largest_timestamp)
                    >= i64::try_from(settings.min_compaction_lag_ms).unwrap_or(i64::MAX);
            if upper > high_watermark || !old_enough {
                break;
            }
            end_seg = i + 1;
        }
        if end_seg == 0 {
            return removed;
        }
        let clean_upper = self.segments[end_seg].base_offset;
        let (mut total, mut dirty) = (0u64, 0u64);
        for seg in self.segments.iter().take(end_seg) {
            for r in &seg.records {
                let size = r.data.size_bytes();
                total += size;
                if r.offset >= self.cleaner_checkpoint {
                    dirty += size;
                }
            }
        }
        if total == 0 || (dirty as f64) / (total as f64) < settings.min_cleanable_dirty_ratio {
            return removed;
        }
        let is_aborted = |r: &Record| {
            r.kind == RecordKind::Transactional
                && aborted
                    .iter()
                    .any(|&(pid, first, last)| pid == r.producer_id && first <= r.offset && r.offset <= last)
        };
        let mut latest: BTreeMap<&[u8], i64> = BTreeMap::new();
        for seg in self.segments.iter().take(end_seg) {
            for r in &seg.records {
                if r.kind.is_control() || is_aborted(r) {
                    continue;
                }
                if let Some(k) = r.data.key.as_deref() {
                    latest.insert(k, r.offset);
                }
            }
        }
        let mut doomed: Vec<(i64, RemovalReason)> = Vec::new();
        // Tombstones and markers met for the first time get their delete
        // horizon, this pass's time plus `delete.retention.ms`, and stay.
        let horizon = now.saturating_add(settings.delete_retention_ms);
        let mut stamp: Vec<i64> = Vec::new();
        let horizons = &self.delete_horizons;
        let mut past_horizon = |offset: i64| match horizons.get(&offset) {
            Some(&h) => now >= h,
            None => {
                stamp.push(offset);
                false
            }
        };
        // Producers with transactional records since their last marker: the
        // marker stays while its transaction still has records to decide.
        let mut observed: Vec<i64> = Vec::new();
        for seg in self.segments.iter().take(end_seg) {
            for r in &seg.records {
                if r.kind.is_control() {
                    let had_records =
                        observed.iter().position(|&p| p == r.producer_id).map(|i| observed.swap_remove(i));
                    if had_records.is_none() && past_horizon(r.offset) {
                        doomed.push((r.offset, RemovalReason::TransactionMarker));
                    }
                    continue;
                }
                if r.kind == RecordKind::Transactional && !observed.contains(&r.producer_id) {
                    observed.push(r.producer_id);
                }
                if is_aborted(r) {
                    doomed.push((r.offset, RemovalReason::AbortedTransaction));
                    continue;
                }
                let Some(k) = r.data.key.as_deref() else {
                    continue;
                };
                if latest.get(k).is_some_and(|&o| o > r.offset) {
                    doomed.push((r.offset, RemovalReason::Compaction));
                } else if r.data.value.is_none() && past_horizon(r.offset) {
                    doomed.push((r.offset, RemovalReason::TombstoneExpired));
                }
            }
        }
        let mut di = 0;
        for seg in self.segments.iter_mut().take(end_seg) {
            let mut freed = 0u64;
            seg.records.retain(|r| {
                if di < doomed.len() && doomed[di].0 == r.offset {
                    di += 1;
                    freed += r.data.size_bytes();
                    false
                } else {
                    true
                }
            });
            seg.bytes -= freed;
            self.bytes -= freed;
        }
        self.records -= doomed.len() as u64;
        for offset in stamp {
            self.delete_horizons.insert(offset, horizon);
        }
        for (offset, _) in &doomed {
            self.delete_horizons.remove(offset);
        }
        self.cleaner_checkpoint = clean_upper;
        removed.extend(doomed);
        removed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(segment_bytes: u64) -> LogSettings {
        LogSettings {
            segment_bytes,
            segment_ms: u64::MAX,
            retention_ms: -1,
            retention_bytes: -1,
            delete: true,
            compact: false,
            min_cleanable_dirty_ratio: 0.5,
            min_compaction_lag_ms: 0,
            delete_retention_ms: 0,
        }
    }

    fn record(value: &str) -> Record {
        Record {
            offset: 0,
            timestamp: 0,
            data: RecordData { key: None, value: Some(value.as_bytes().to_vec()), headers: Vec::new() },
            producer_id: -1,
            producer_epoch: -1,
            sequence: -1,
            kind: RecordKind::Data,
            partitioning: PartitionReason::Explicit,
            leader_epoch: 0,
            acknowledged: false,
        }
    }

    #[test]
    fn reads_and_truncation_cross_segment_boundaries() {
        let mut log = Log::new(0);
        // Each record is 15 bytes, so a 30-byte segment holds two.
        let s = settings(30);
        for i in 0..7 {
            log.append(record(&i.to_string()), 0, &s);
        }
        assert_eq!(log.segments().count(), 4);
        let from_three: Vec<i64> = log.records_from(3).map(|r| r.offset).collect();
        assert_eq!(from_three, vec![3, 4, 5, 6]);
        let removed = log.truncate_to(3);
        assert_eq!(removed.iter().map(|r| r.offset).collect::<Vec<_>>(), vec![3, 4, 5, 6]);
        assert_eq!((log.log_end_offset(), log.retained_records(), log.retained_bytes()), (3, 3, 45));
        let (offset, _) = log.append(record("x"), 0, &s);
        assert_eq!(offset, 3);
        assert_eq!(log.get(3).and_then(|r| r.data.value.clone()), Some(b"x".to_vec()));
    }

    #[test]
    fn retention_never_deletes_above_the_high_watermark() {
        let mut log = Log::new(0);
        let s = LogSettings { retention_bytes: 0, ..settings(30) };
        for i in 0..6 {
            log.append(record(&i.to_string()), 0, &s);
        }
        let removed = log.apply_retention(0, 2, &s);
        assert_eq!(removed, vec![(0, 2, RemovalReason::RetentionSize, 2)]);
        assert_eq!(log.log_start_offset(), 2);
    }
}
