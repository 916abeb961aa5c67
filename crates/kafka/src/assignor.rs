//! The four consumer-group assignors of the Java client.
//!
//! [`assign`] takes the partition count of every topic and each member's
//! subscription (topics, group.instance.id, the partitions it owned and the
//! generation it owned them in) and returns the assignment, exactly as
//! `RangeAssignor`, `RoundRobinAssignor`, `StickyAssignor` and
//! `CooperativeStickyAssignor` compute it. The sticky assignors visit members
//! in `java.util.HashMap` iteration order where the Java code does, because the
//! exact result depends on it; [`java_hash_map_order`] reproduces that order.

use brokerlab_order::CollectOrdered;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// One partition of one topic.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct TopicPartition {
    /// The topic name.
    pub topic: String,
    /// The partition index inside the topic.
    pub partition: u32,
}

impl TopicPartition {
    /// Builds a topic-partition pair.
    pub fn new(topic: impl Into<String>, partition: u32) -> Self {
        TopicPartition { topic: topic.into(), partition }
    }
}

impl std::fmt::Display for TopicPartition {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}-{}", self.topic, self.partition)
    }
}

/// The assignment strategy a consumer group uses (`partition.assignment.strategy`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Default)]
pub enum Assignor {
    /// Per topic, contiguous ranges of partitions to members in sorted order.
    #[default]
    Range,
    /// All partitions dealt to members in turn.
    RoundRobin,
    /// Balanced and sticky, with the eager (stop-the-world) protocol.
    Sticky,
    /// The sticky logic with the cooperative incremental protocol.
    CooperativeSticky,
}

impl Assignor {
    /// The name the Java client registers the assignor under.
    pub fn protocol_name(self) -> &'static str {
        match self {
            Assignor::Range => "range",
            Assignor::RoundRobin => "roundrobin",
            Assignor::Sticky => "sticky",
            Assignor::CooperativeSticky => "cooperative-sticky",
        }
    }

    /// Whether the group rebalances cooperatively with this assignor.
    pub fn is_cooperative(self) -> bool {
        matches!(self, Assignor::CooperativeSticky)
    }
}

/// What one member tells the group leader when it joins.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct MemberSubscription {
    /// The member id the coordinator gave the member.
    pub member_id: String,
    /// `group.instance.id` for a static member.
    pub group_instance_id: Option<String>,
    /// The subscribed topics.
    pub topics: Vec<String>,
    /// The partitions the member owned before this rebalance.
    pub owned_partitions: Vec<TopicPartition>,
    /// The generation in which it owned them; `None` when it has none.
    pub generation: Option<i32>,
}

/// What an assignor returns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct AssignmentOutcome {
    /// The partitions given to each member (every member appears).
    pub assignment: BTreeMap<String, Vec<TopicPartition>>,
    /// For the sticky assignors on equal subscriptions: partitions that move
    /// from a previous owner to a new one, with the new owner. `None` on the
    /// general sticky path and for range and round-robin.
    pub partitions_transferring_ownership: Option<BTreeMap<TopicPartition, String>>,
}

/// Compares two strings the way Java's `String.compareTo` does (UTF-16 code
/// units), which differs from Rust's byte order outside the BMP.
pub fn java_string_cmp(a: &str, b: &str) -> std::cmp::Ordering {
    a.encode_utf16().cmp(b.encode_utf16())
}

/// `String.hashCode`.
pub fn java_string_hash(s: &str) -> i32 {
    s.encode_utf16().fold(0i32, |h, c| h.wrapping_mul(31).wrapping_add(i32::from(c)))
}

/// The order in which a `java.util.HashMap` built by inserting `keys` in turn
/// (default capacity 16, load factor 0.75) iterates them: bucket by bucket,
/// and in insertion order inside a bucket. Returns indices into `keys`.
pub fn java_hash_map_order<S: AsRef<str>>(keys: &[S]) -> Vec<usize> {
    let mut capacity: u64 = 16;
    while keys.len() as u64 * 4 > capacity * 3 {
        capacity *= 2;
    }
    let mut order: Vec<(u64, usize)> = keys
        .iter()
        .enumerate()
        .map(|(i, k)| {
            let h = java_string_hash(k.as_ref()) as u32;
            let spread = h ^ (h >> 16);
            (u64::from(spread) & (capacity - 1), i)
        })
        .collect();
    order.sort_unstable();
    order.into_iter().map(|(_, i)| i).collect()
}

/// Sorts members as `AbstractPartitionAssignor.MemberInfo` does: static members
/// first by group.instance.id, then dynamic members by member id.
pub fn sorted_member_indices(members: &[MemberSubscription]) -> Vec<usize> {
    let mut idx: Vec<usize> = (0..members.len()).collect();
    brokerlab_order::sort_by(&mut idx, |&a, &b| {
        let (ma, mb) = (&members[a], &members[b]);
        match (&ma.group_instance_id, &mb.group_instance_id) {
            (Some(x), Some(y)) => java_string_cmp(x, y).then_with(|| java_string_cmp(&ma.member_id, &mb.member_id)),
            (Some(_), None) => std::cmp::Ordering::Less,
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (None, None) => java_string_cmp(&ma.member_id, &mb.member_id),
        }
    });
    idx
}

/// Runs `assignor` over `partitions_per_topic` (topics missing or with zero
/// partitions are treated as absent from the metadata) and `members`.
pub fn assign(
    assignor: Assignor,
    partitions_per_topic: &BTreeMap<String, u32>,
    members: &[MemberSubscription],
) -> AssignmentOutcome {
    match assignor {
        Assignor::Range => AssignmentOutcome {
            assignment: range(partitions_per_topic, members),
            partitions_transferring_ownership: None,
        },
        Assignor::RoundRobin => AssignmentOutcome {
            assignment: round_robin(partitions_per_topic, members),
            partitions_transferring_ownership: None,
        },
        Assignor::Sticky => sticky(partitions_per_topic, members),
        Assignor::CooperativeSticky => {
            let mut outcome = sticky(partitions_per_topic, members);
            let transferring = match &outcome.partitions_transferring_ownership {
                Some(t) => t.clone(),
                None => compute_transferring(members, &outcome.assignment),
            };
            // A partition that changes owner is withheld from its new owner in
            // this round; the previous owner revokes it and a follow-up
            // rebalance hands it over.
            for (tp, consumer) in &transferring {
                if let Some(list) = outcome.assignment.get_mut(consumer) {
                    list.retain(|p| p != tp);
                }
            }
            outcome.partitions_transferring_ownership = Some(transferring);
            outcome
        }
    }
}

fn existing_count(partitions_per_topic: &BTreeMap<String, u32>, topic: &str) -> Option<u32> {
    partitions_per_topic.get(topic).copied().filter(|&n| n > 0)
}

fn range(
    partitions_per_topic: &BTreeMap<String, u32>,
    members: &[MemberSubscription],
) -> BTreeMap<String, Vec<TopicPartition>> {
    let mut out: BTreeMap<String, Vec<TopicPartition>> =
        members.iter().map(|m| (m.member_id.clone(), Vec::new())).collect_map();
    let sorted = sorted_member_indices(members);
    let topics: BTreeSet<&str> = members.iter().flat_map(|m| m.topics.iter().map(String::as_str)).collect_set();
    for topic in topics {
        let Some(n) = existing_count(partitions_per_topic, topic) else {
            continue;
        };
        let subscribers: Vec<usize> =
            sorted.iter().copied().filter(|&i| members[i].topics.iter().any(|t| t == topic)).collect();
        let c = subscribers.len() as u32;
        let (per, extra) = (n / c, n % c);
        for (i, &m) in subscribers.iter().enumerate() {
            let i = i as u32;
            let start = per * i + i.min(extra);
            let len = per + u32::from(i < extra);
            if let Some(list) = out.get_mut(&members[m].member_id) {
                list.extend((start..start + len).map(|p| TopicPartition::new(topic, p)));
            }
        }
    }
    out
}

fn round_robin(
    partitions_per_topic: &BTreeMap<String, u32>,
    members: &[MemberSubscription],
) -> BTreeMap<String, Vec<TopicPartition>> {
    let mut out: BTreeMap<String, Vec<TopicPartition>> =
        members.iter().map(|m| (m.member_id.clone(), Vec::new())).collect_map();
    let sorted = sorted_member_indices(members);
    if sorted.is_empty() {
        return out;
    }
    let subscribed: Vec<BTreeSet<&str>> =
        members.iter().map(|m| m.topics.iter().map(String::as_str).collect_set()).collect();
    let topics: BTreeSet<&str> = subscribed.iter().flatten().copied().collect_set();
    let mut cursor = 0usize;
    for topic in topics {
        let Some(n) = existing_count(partitions_per_topic, topic) else {
            continue;
        };
        for p in 0..n {
            while !subscribed[sorted[cursor % sorted.len()]].contains(topic) {
                cursor += 1;
            }
            let m = sorted[cursor % sorted.len()];
            if let Some(list) = out.get_mut(&members[m].member_id) {
                list.push(TopicPartition::new(topic, p));
            }
            cursor += 1;
        }
    }
    out
}

/// Partitions newly given to a member that some other member owned and lost,
/// mapped to their new owner (`CooperativeStickyAssignor` on the general path).
fn compute_transferring(
    members: &[MemberSubscription],
    assignment: &BTreeMap<String, Vec<TopicPartition>>,
) -> BTreeMap<TopicPartition, String> {
    let mut added: BTreeMap<TopicPartition, String> = BTreeMap::new();
    let mut revoked: BTreeSet<TopicPartition> = BTreeSet::new();
    for m in members {
        let owned: BTreeSet<&TopicPartition> = m.owned_partitions.iter().collect_set();
        let new: &[TopicPartition] = assignment.get(&m.member_id).map(Vec::as_slice).unwrap_or(&[]);
        let new_set: BTreeSet<&TopicPartition> = new.iter().collect_set();
        for tp in new {
            if !owned.contains(tp) {
                added.insert(tp.clone(), m.member_id.clone());
            }
        }
        for tp in &m.owned_partitions {
            if !new_set.contains(tp) {
                revoked.insert(tp.clone());
            }
        }
    }
    added.into_iter().filter(|(tp, _)| revoked.contains(tp)).collect_map()
}

fn sticky(partitions_per_topic: &BTreeMap<String, u32>, members: &[MemberSubscription]) -> AssignmentOutcome {
    let valid = |tp: &TopicPartition| existing_count(partitions_per_topic, &tp.topic).is_some_and(|n| tp.partition < n);
    let order = java_hash_map_order(&members.iter().map(|m| m.member_id.as_str()).collect::<Vec<_>>());
    // Equal subscriptions are judged on the raw topic sets, as the Java code does.
    let first: BTreeSet<&str> =
        members.first().map(|m| m.topics.iter().map(String::as_str).collect()).unwrap_or_default();
    let all_equal = members.iter().all(|m| m.topics.iter().map(String::as_str).collect::<BTreeSet<_>>() == first);
    if all_equal {
        constrained(partitions_per_topic, members, &order, &valid)
    } else {
        AssignmentOutcome {
            assignment: general(partitions_per_topic, members, &order, &valid),
            partitions_transferring_ownership: None,
        }
    }
}

/// `ConstrainedAssignmentBuilder`: the fast path for equal subscriptions.
fn constrained(
    partitions_per_topic: &BTreeMap<String, u32>,
    members: &[MemberSubscription],
    order: &[usize],
    valid: &dyn Fn(&TopicPartition) -> bool,
) -> AssignmentOutcome {
    // Gather owned partitions. A partition claimed by two members goes to the
    // higher generation; two claims from the same generation cancel out and
    // the partition counts as changing owner.
    let mut owned: Vec<Vec<TopicPartition>> = vec![Vec::new(); members.len()];
    let mut previous_owner: BTreeMap<TopicPartition, usize> = BTreeMap::new();
    let mut multiple_owners: BTreeSet<TopicPartition> = BTreeSet::new();
    let generation_of = |i: usize| members[i].generation.unwrap_or(-1);
    for &i in order {
        let m = &members[i];
        for tp in &m.owned_partitions {
            if !valid(tp) || !m.topics.contains(&tp.topic) {
                continue;
            }
            match previous_owner.insert(tp.clone(), i) {
                None => owned[i].push(tp.clone()),
                Some(other) => {
                    let (mine, theirs) = (generation_of(i), generation_of(other));
                    if mine == theirs {
                        multiple_owners.insert(tp.clone());
                        owned[other].retain(|p| p != tp);
                    } else if mine > theirs {
                        owned[i].push(tp.clone());
                        owned[other].retain(|p| p != tp);
                    } else {
                        previous_owner.insert(tp.clone(), other);
                    }
                }
            }
        }
    }

    let total: u32 = members
        .first()
        .map(|m| {
            m.topics.iter().collect_set().into_iter().filter_map(|t| existing_count(partitions_per_topic, t)).sum()
        })
        .unwrap_or(0);
    let n = members.len().max(1) as u32;
    let min_quota = (total / n) as usize;
    let max_quota = total.div_ceil(n) as usize;
    let expected_over_min = (total % n) as usize;
    let mut current_over_min = 0usize;

    let mut assignment: Vec<Vec<TopicPartition>> = vec![Vec::new(); members.len()];
    let mut under_min: Vec<usize> = Vec::new();
    let mut exactly_min: std::collections::VecDeque<usize> = std::collections::VecDeque::new();
    let mut revoked: BTreeSet<TopicPartition> = BTreeSet::new();
    let mut assigned: BTreeSet<TopicPartition> = BTreeSet::new();

    for &i in order {
        let mut own: Vec<TopicPartition> = std::mem::take(&mut owned[i]);
        own.retain(|tp| !multiple_owners.contains(tp));
        brokerlab_order::sort_by(&mut own, |a, b| a.partition.cmp(&b.partition).then_with(|| a.topic.cmp(&b.topic)));
        if own.len() < min_quota {
            assigned.extend(own.iter().cloned());
            assignment[i].extend(own);
            under_min.push(i);
        } else if own.len() >= max_quota && current_over_min < expected_over_min {
            current_over_min += 1;
            if current_over_min == expected_over_min {
                exactly_min.clear();
            }
            revoked.extend(own[max_quota..].iter().cloned());
            own.truncate(max_quota);
            assigned.extend(own.iter().cloned());
            assignment[i].extend(own);
        } else {
            revoked.extend(own[min_quota..].iter().cloned());
            own.truncate(min_quota);
            assigned.extend(own.iter().cloned());
            assignment[i].extend(own);
            if current_over_min < expected_over_min {
                exactly_min.push_back(i);
            }
        }
    }

    let by_id = |a: &usize, b: &usize| java_string_cmp(&members[*a].member_id, &members[*b].member_id);
    brokerlab_order::sort_by(&mut under_min, by_id);
    brokerlab_order::sort_by(exactly_min.make_contiguous(), by_id);

    let topics: BTreeSet<&String> = members.first().map(|m| m.topics.iter().collect_set()).unwrap_or_default();
    let mut transferring: BTreeMap<TopicPartition, String> = BTreeMap::new();
    let mut cursor = 0usize;
    for topic in topics {
        let Some(count) = existing_count(partitions_per_topic, topic) else {
            continue;
        };
        for p in 0..count {
            let tp = TopicPartition::new(topic.as_str(), p);
            if assigned.contains(&tp) {
                continue;
            }
            let consumer = if cursor < under_min.len() {
                cursor += 1;
                under_min[cursor - 1]
            } else if !under_min.is_empty() {
                cursor = 1;
                under_min[0]
            } else if let Some(c) = exactly_min.pop_front() {
                c
            } else {
                // The quotas are exact, so this is unreachable for valid input;
                // falling back to the least-loaded member keeps us total.
                (0..members.len()).min_by_key(|&i| assignment[i].len()).unwrap_or(0)
            };
            if revoked.contains(&tp) || multiple_owners.contains(&tp) {
                transferring.insert(tp.clone(), members[consumer].member_id.clone());
            }
            assignment[consumer].push(tp);
            let size = assignment[consumer].len();
            if size == min_quota && cursor > 0 && cursor <= under_min.len() && under_min[cursor - 1] == consumer {
                under_min.remove(cursor - 1);
                cursor -= 1;
                exactly_min.push_back(consumer);
            } else if size == max_quota && min_quota != max_quota {
                current_over_min += 1;
                if current_over_min == expected_over_min {
                    exactly_min.clear();
                }
            }
        }
    }

    AssignmentOutcome {
        assignment: members.iter().zip(assignment).map(|(m, a)| (m.member_id.clone(), a)).collect_map(),
        partitions_transferring_ownership: Some(transferring),
    }
}

/// The general sticky path for members with different subscriptions: keep
/// valid owned partitions, give unassigned partitions (fewest possible
/// consumers first) to the least-loaded eligible member, then move partitions
/// from members holding at least two more than an eligible peer.
fn general(
    partitions_per_topic: &BTreeMap<String, u32>,
    members: &[MemberSubscription],
    order: &[usize],
    valid: &dyn Fn(&TopicPartition) -> bool,
) -> BTreeMap<String, Vec<TopicPartition>> {
    let subscribed: Vec<BTreeSet<&str>> =
        members.iter().map(|m| m.topics.iter().map(String::as_str).collect_set()).collect();
    // Resolve claims: a higher generation wins.
    let mut claims: BTreeMap<TopicPartition, (i32, Option<usize>)> = BTreeMap::new();
    for &i in order {
        let g = members[i].generation.unwrap_or(-1);
        for tp in &members[i].owned_partitions {
            if !valid(tp) || !subscribed[i].contains(tp.topic.as_str()) {
                continue;
            }
            match claims.get_mut(tp) {
                None => {
                    claims.insert(tp.clone(), (g, Some(i)));
                }
                Some(entry) => {
                    // The first claim of a generation wins within it, as in
                    // the Java general builder; a higher generation replaces it.
                    if g > entry.0 {
                        *entry = (g, Some(i));
                    }
                }
            }
        }
    }
    let mut assignment: Vec<Vec<TopicPartition>> = vec![Vec::new(); members.len()];
    let mut owner: BTreeMap<TopicPartition, usize> = BTreeMap::new();
    for i in 0..members.len() {
        for tp in &members[i].owned_partitions {
            if let Some((_, Some(o))) = claims.get(tp)
                && *o == i
                && !owner.contains_key(tp)
            {
                owner.insert(tp.clone(), i);
                assignment[i].push(tp.clone());
            }
        }
    }
    let mut all: Vec<(usize, TopicPartition, Vec<usize>)> = Vec::new();
    for (topic, &n) in partitions_per_topic {
        if n == 0 {
            continue;
        }
        let eligible: Vec<usize> = (0..members.len()).filter(|&i| subscribed[i].contains(topic.as_str())).collect();
        if eligible.is_empty() {
            continue;
        }
        for p in 0..n {
            all.push((eligible.len(), TopicPartition::new(topic.as_str(), p), eligible.clone()));
        }
    }
    brokerlab_order::sort_by(&mut all, |a, b| a.0.cmp(&b.0).then_with(|| a.1.cmp(&b.1)));
    let pick = |assignment: &Vec<Vec<TopicPartition>>, eligible: &[usize]| -> Option<usize> {
        eligible
            .iter()
            .min_by(|&&a, &&b| {
                assignment[a]
                    .len()
                    .cmp(&assignment[b].len())
                    .then_with(|| java_string_cmp(&members[a].member_id, &members[b].member_id))
            })
            .copied()
    };
    for (_, tp, eligible) in &all {
        if owner.contains_key(tp) {
            continue;
        }
        // Partitions without an eligible member were left out of `all`.
        let Some(c) = pick(&assignment, eligible) else { continue };
        owner.insert(tp.clone(), c);
        assignment[c].push(tp.clone());
    }
    // Balance: a partition moves when its owner holds two or more partitions
    // than some other member that could take it.
    let mut changed = true;
    let mut rounds = 0;
    while changed && rounds < 10_000 {
        changed = false;
        rounds += 1;
        for (_, tp, eligible) in &all {
            let (Some(&from), Some(to)) = (owner.get(tp), pick(&assignment, eligible)) else { continue };
            if assignment[from].len() > assignment[to].len() + 1 {
                assignment[from].retain(|p| p != tp);
                assignment[to].push(tp.clone());
                owner.insert(tp.clone(), to);
                changed = true;
            }
        }
    }
    members.iter().zip(assignment).map(|(m, a)| (m.member_id.clone(), a)).collect_map()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_map_order_matches_the_documented_java_order() {
        let keys = ["consumer1", "consumer2", "consumer3", "consumer4"];
        let order: Vec<&str> = java_hash_map_order(&keys).into_iter().map(|i| keys[i]).collect();
        assert_eq!(order, ["consumer4", "consumer3", "consumer2", "consumer1"]);
    }
}
