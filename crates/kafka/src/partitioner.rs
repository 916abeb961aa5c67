//! How a producer picks a partition, byte for byte the way the Java client does.
//!
//! `murmur2` and `to_positive` are ports of the client's `Utils` helpers, and
//! `partition_for_key` is the keyed rule of its built-in partitioner. Records
//! without a key go through [`StickyPartitioner`] (the default since Kafka 3.3,
//! KIP-794, without the adaptive load statistics because a simulated producer
//! never has queued batches) or [`RoundRobinPartitioner`]. Both draw their
//! random choices from a caller-supplied source so the engine stays seeded.

use serde::{Deserialize, Serialize};

/// The murmur2 hash the Java client applies to serialized keys.
///
/// The arithmetic is 32-bit and wrapping, and the shifts are logical, exactly as
/// in `org.apache.kafka.common.utils.Utils.murmur2`; the result is returned as a
/// signed integer because that is how Java sees it.
pub fn murmur2(data: &[u8]) -> i32 {
    const SEED: u32 = 0x9747_b28c;
    const M: u32 = 0x5bd1_e995;
    const R: u32 = 24;
    let length = data.len();
    let mut h: u32 = SEED ^ (length as u32);
    let mut chunks = data.chunks_exact(4);
    for block in &mut chunks {
        let mut k = u32::from_le_bytes([block[0], block[1], block[2], block[3]]);
        k = k.wrapping_mul(M);
        k ^= k >> R;
        k = k.wrapping_mul(M);
        h = h.wrapping_mul(M);
        h ^= k;
    }
    let tail = chunks.remainder();
    // The Java switch falls through from the longest tail to the shortest.
    if tail.len() >= 3 {
        h ^= u32::from(tail[2]) << 16;
    }
    if tail.len() >= 2 {
        h ^= u32::from(tail[1]) << 8;
    }
    if !tail.is_empty() {
        h ^= u32::from(tail[0]);
        h = h.wrapping_mul(M);
    }
    h ^= h >> 13;
    h = h.wrapping_mul(M);
    h ^= h >> 15;
    h as i32
}

/// Clears the sign bit, as `Utils.toPositive` does; this is not `abs`, so
/// `i32::MIN` maps to zero instead of overflowing.
pub fn to_positive(n: i32) -> i32 {
    n & 0x7fff_ffff
}

/// The partition the Java client picks for a keyed record:
/// `toPositive(murmur2(key)) % numPartitions`, counting every partition of the
/// topic, with or without a leader.
pub fn partition_for_key(key: &[u8], num_partitions: u32) -> u32 {
    (to_positive(murmur2(key)) as u32) % num_partitions.max(1)
}

/// Which strategy places records that have no key and no explicit partition.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum PartitionerKind {
    /// The built-in uniform sticky partitioner: stay on one partition until about
    /// `batch.size` bytes went there, then move to another available partition.
    #[default]
    Sticky,
    /// `RoundRobinPartitioner`: one counter per topic, every record (keyed or
    /// not) goes to the next available partition.
    RoundRobin,
}

/// The per-topic state of the uniform sticky partitioner.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct StickyPartitioner {
    current: Option<u32>,
    produced_bytes: u64,
}

impl StickyPartitioner {
    /// The partition the next keyless record goes to, choosing a new one with
    /// `random` when there is none yet. `available` lists the partitions that
    /// have a leader; when it is empty the choice falls back to all partitions,
    /// as the Java client does.
    pub fn peek(&mut self, available: &[u32], num_partitions: u32, random: impl FnOnce() -> i32) -> u32 {
        match self.current {
            Some(p) if p < num_partitions => p,
            _ => {
                let p = Self::next_partition(available, num_partitions, random());
                self.current = Some(p);
                self.produced_bytes = 0;
                p
            }
        }
    }

    /// Records that `bytes` went to the current partition and switches to a new
    /// partition once the batch is full (`>= batch_size`), mirroring
    /// `BuiltInPartitioner.updatePartitionInfo` with switching enabled.
    pub fn update(&mut self, bytes: u64, batch_size: u64) {
        self.produced_bytes += bytes;
        if self.produced_bytes >= batch_size.max(1) {
            self.current = None;
            self.produced_bytes = 0;
        }
    }

    /// Picks uniformly among the available partitions, or among all when none
    /// has a leader.
    pub fn next_partition(available: &[u32], num_partitions: u32, random: i32) -> u32 {
        let r = to_positive(random) as u32;
        if available.is_empty() { r % num_partitions.max(1) } else { available[(r as usize) % available.len()] }
    }
}

/// The per-topic counter of `RoundRobinPartitioner`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct RoundRobinPartitioner {
    counter: i32,
}

impl RoundRobinPartitioner {
    /// The next partition and the counter value that chose it.
    pub fn next(&mut self, available: &[u32], num_partitions: u32) -> (u32, i32) {
        let value = self.counter;
        self.counter = self.counter.wrapping_add(1);
        let r = to_positive(value) as u32;
        let p =
            if available.is_empty() { r % num_partitions.max(1) } else { available[(r as usize) % available.len()] };
        (p, value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_key_hashes_to_the_documented_constant() {
        assert_eq!(murmur2(b"") as u32, 0x106e_08d9);
    }

    #[test]
    fn to_positive_clears_the_sign_bit_instead_of_negating() {
        assert_eq!(to_positive(i32::MIN), 0);
        assert_eq!(to_positive(-1), i32::MAX);
    }

    #[test]
    fn sticky_partition_switches_after_a_full_batch() {
        let mut sticky = StickyPartitioner::default();
        let mut seq = 0;
        let mut next = || {
            seq += 1;
            seq - 1
        };
        let available = [0, 1, 2];
        let first = sticky.peek(&available, 3, &mut next);
        sticky.update(1, 3);
        assert_eq!(sticky.peek(&available, 3, &mut next), first);
        sticky.update(1, 3);
        assert_eq!(sticky.peek(&available, 3, &mut next), first);
        sticky.update(1, 3);
        assert_ne!(sticky.peek(&available, 3, &mut next), first);
    }
}
