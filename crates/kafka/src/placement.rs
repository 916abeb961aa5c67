//! Replica placement as the KRaft controller does it: a port of Kafka's
//! `StripedReplicaPlacer` (metadata/src/main/java/org/apache/kafka/metadata/
//! placement/StripedReplicaPlacer.java, Kafka 3.0 to 4.x; the only placer
//! since ZooKeeper mode was removed in 4.0).
//!
//! The registered brokers are grouped by rack; each rack keeps its unfenced
//! and its fenced brokers in a [`BrokerList`] that starts at a random
//! offset. Each partition takes its leader from the next rack with an
//! unfenced broker, then its followers from the following racks in turn,
//! unfenced brokers first. Every partition moves the start on by one rack
//! and one broker, and after as many partitions as there are unfenced
//! brokers the racks and lists are shuffled, so that leaders and followers
//! spread evenly. A placement needs no more replicas than registered brokers
//! (fenced ones count) and at least one unfenced broker.
//!
//! The random choices go through [`JavaRandom`], the two calls the placer
//! makes on `java.util.Random`: the engine answers them from its seeded
//! generator, and the tests with Kafka's own `MockRandom`, so that Kafka's
//! `StripedReplicaPlacerTest` cases carry over with their expected layouts.
//! Where Kafka iterates a `HashMap` of racks, this port goes in rack name
//! order, which is the order Java's `HashMap` gives for short rack names.

use crate::error::KafkaError;
use rand_chacha::ChaCha8Rng;
use rand_core::RngCore;

/// The part of `java.util.Random` the placer uses.
pub trait JavaRandom {
    /// A value in `0..bound` (`Random.nextInt(bound)`); `bound` is positive.
    fn next_int(&mut self, bound: u32) -> u32;
}

impl JavaRandom for ChaCha8Rng {
    fn next_int(&mut self, bound: u32) -> u32 {
        self.next_u32() % bound.max(1)
    }
}

/// `Collections.shuffle(list, random)`: from the end, each element swaps
/// with one at a random index at or before it.
fn shuffle<T>(list: &mut [T], random: &mut impl JavaRandom) {
    for i in (2..=list.len()).rev() {
        let j = random.next_int(i as u32) as usize;
        list.swap(i - 1, j);
    }
}

/// A registered broker the controller may place replicas on
/// (`UsableBroker`: every registered broker that is not shutting down).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsableBroker {
    /// Its id.
    pub id: u32,
    /// Its `broker.rack`, if any.
    pub rack: Option<String>,
    /// Whether the controller has fenced it.
    pub fenced: bool,
}

/// The brokers of one rack and one fencing state, walked from an offset
/// that moves by one with each new epoch (`StripedReplicaPlacer.BrokerList`).
#[derive(Debug, Clone, Default)]
pub struct BrokerList {
    brokers: Vec<u32>,
    index: usize,
    offset: usize,
    epoch: u32,
}

impl BrokerList {
    /// A list of these brokers, in this order, at offset 0.
    pub fn new(brokers: &[u32]) -> Self {
        BrokerList { brokers: brokers.to_vec(), ..BrokerList::default() }
    }

    fn initialize(&mut self, random: &mut impl JavaRandom) {
        if !self.brokers.is_empty() {
            self.brokers.sort_unstable();
            self.offset = random.next_int(self.brokers.len() as u32) as usize;
        }
    }

    /// How many brokers it holds.
    pub fn size(&self) -> usize {
        self.brokers.len()
    }

    /// The next broker in `epoch`, `None` once every broker was returned in
    /// it. A new epoch starts again one further along.
    pub fn next(&mut self, epoch: u32) -> Option<u32> {
        if self.brokers.is_empty() {
            return None;
        }
        if self.epoch != epoch {
            self.epoch = epoch;
            self.index = 0;
            self.offset = (self.offset + 1) % self.brokers.len();
        }
        if self.index >= self.brokers.len() {
            return None;
        }
        let broker = self.brokers[(self.index + self.offset) % self.brokers.len()];
        self.index += 1;
        Some(broker)
    }
}

#[derive(Debug, Clone, Default)]
struct Rack {
    fenced: BrokerList,
    unfenced: BrokerList,
}

impl Rack {
    fn next(&mut self, epoch: u32) -> Option<u32> {
        self.unfenced.next(epoch).or_else(|| self.fenced.next(epoch))
    }
}

/// The racks and their brokers, with the placer's position
/// (`StripedReplicaPlacer.RackList`).
#[derive(Debug, Clone)]
pub struct RackList {
    /// The racks by name (no rack first), as Kafka iterates them.
    racks: Vec<(Option<String>, Rack)>,
    /// Indexes into `racks` in placement order: sorted, then shuffled.
    rack_names: Vec<usize>,
    total: u32,
    unfenced: u32,
    epoch: u32,
    offset: usize,
}

impl RackList {
    /// Groups the brokers by rack and draws each list's and the rack list's
    /// random start.
    pub fn new(random: &mut impl JavaRandom, brokers: &[UsableBroker]) -> Self {
        let mut racks: Vec<(Option<String>, Rack)> = Vec::new();
        let (mut total, mut unfenced) = (0, 0);
        for b in brokers {
            let i = match racks.iter().position(|(name, _)| *name == b.rack) {
                Some(i) => i,
                None => {
                    racks.push((b.rack.clone(), Rack::default()));
                    racks.len() - 1
                }
            };
            let rack = &mut racks[i].1;
            if b.fenced {
                rack.fenced.brokers.push(b.id);
            } else {
                rack.unfenced.brokers.push(b.id);
                unfenced += 1;
            }
            total += 1;
        }
        // `OptionalStringComparator`: no rack first, then by name.
        brokerlab_order::sort_by(&mut racks, |a, b| a.0.cmp(&b.0));
        for (_, rack) in &mut racks {
            rack.fenced.initialize(random);
            rack.unfenced.initialize(random);
        }
        let rack_names: Vec<usize> = (0..racks.len()).collect();
        let offset = if racks.is_empty() { 0 } else { random.next_int(racks.len() as u32) as usize };
        RackList { racks, rack_names, total, unfenced, epoch: 0, offset }
    }

    /// How many brokers are registered.
    pub fn num_total_brokers(&self) -> u32 {
        self.total
    }

    /// How many of them are unfenced.
    pub fn num_unfenced_brokers(&self) -> u32 {
        self.unfenced
    }

    /// The racks in placement order.
    pub fn rack_names(&self) -> Vec<Option<String>> {
        self.rack_names.iter().map(|&i| self.racks[i].0.clone()).collect()
    }

    /// The replicas of the next partition, its leader first.
    pub fn place(&mut self, random: &mut impl JavaRandom, replication_factor: u32) -> Result<Vec<u32>, KafkaError> {
        check(replication_factor, self.total, self.unfenced)?;
        // After as many placements as unfenced brokers, shuffle so that the
        // same layouts do not repeat (never with one: it would loop).
        if self.epoch == self.unfenced && self.unfenced > 1 {
            self.shuffle(random);
            self.epoch = 0;
        }
        let n = self.rack_names.len();
        if self.offset == n {
            self.offset = 0;
        }
        let epoch = self.epoch;
        let mut brokers = Vec::with_capacity(replication_factor as usize);
        // The leader: the first unfenced broker from the offset's rack on.
        // `check` made sure there is one, so this ends within one round.
        let mut first = Some(self.offset);
        for step in 0..n {
            let i = (self.offset + step) % n;
            if let Some(b) = self.racks[self.rack_names[i]].1.unfenced.next(epoch) {
                brokers.push(b);
                first = Some(i);
                break;
            }
        }
        if brokers.is_empty() {
            return Err(KafkaError::InvalidReplicationFactor { replication_factor, brokers: 0 });
        }
        // The followers: one per rack in turn from the offset, skipping the
        // leader's rack the first time round.
        let mut index = self.offset;
        // Every broker is returned once per epoch, so `total` rounds over
        // the racks are more than enough; `check` keeps the count reachable.
        let mut budget = (self.total as usize + 1) * n.max(1) + n;
        for _ in 1..replication_factor {
            let mut result = None;
            while result.is_none() {
                if budget == 0 {
                    return Err(KafkaError::InvalidReplicationFactor { replication_factor, brokers: self.total });
                }
                budget -= 1;
                if Some(index) == first {
                    first = None;
                } else {
                    result = self.racks[self.rack_names[index]].1.next(epoch);
                }
                index = (index + 1) % n;
            }
            brokers.extend(result);
        }
        self.epoch += 1;
        self.offset += 1;
        Ok(brokers)
    }

    fn shuffle(&mut self, random: &mut impl JavaRandom) {
        shuffle(&mut self.rack_names, random);
        for (_, rack) in &mut self.racks {
            shuffle(&mut rack.fenced.brokers, random);
            shuffle(&mut rack.unfenced.brokers, random);
        }
    }
}

/// The placer's three refusals, each an `InvalidReplicationFactorException`.
fn check(replication_factor: u32, total: u32, unfenced: u32) -> Result<(), KafkaError> {
    if replication_factor == 0 {
        return Err(KafkaError::InvalidReplicationFactor { replication_factor, brokers: total });
    }
    if replication_factor > total {
        return Err(KafkaError::InvalidReplicationFactor { replication_factor, brokers: total });
    }
    if unfenced == 0 {
        return Err(KafkaError::InvalidReplicationFactor { replication_factor, brokers: 0 });
    }
    Ok(())
}

/// `StripedReplicaPlacer.place`: the replicas of `partitions` new
/// partitions with `replication_factor` replicas each, from a fresh
/// [`RackList`] (a topic's creation and each partition increase draw their
/// own random starts).
pub fn place(
    random: &mut impl JavaRandom,
    brokers: &[UsableBroker],
    partitions: u32,
    replication_factor: u32,
) -> Result<Vec<Vec<u32>>, KafkaError> {
    let mut list = RackList::new(random, brokers);
    if replication_factor == 0 {
        return Err(KafkaError::InvalidReplicationFactor { replication_factor, brokers: list.total });
    }
    if list.unfenced == 0 {
        return Err(KafkaError::InvalidReplicationFactor { replication_factor, brokers: 0 });
    }
    if replication_factor > list.total {
        return Err(KafkaError::InvalidReplicationFactor { replication_factor, brokers: list.total });
    }
    (0..partitions).map(|_| list.place(random, replication_factor)).collect()
}
