//! The coordinator's assignors of the consumer group protocol (KIP-848,
//! Kafka 4.0 `group-coordinator`, package `assignor`): `uniform`, the
//! default, and `range`. The broker computes a group's target assignment
//! with one of them whenever the group epoch moves past the assignment epoch.
//!
//! - `uniform` with every member subscribed to the same topics is
//!   `UniformHomogeneousAssignmentBuilder`: each member keeps what its
//!   previous target gave it up to its quota (the total over the member
//!   count, one more for the first `total % members` members visited),
//!   gives the rest up, and the partitions left over go to the members under
//!   their quota in turn. Members are visited in member id order (Kafka
//!   visits a hash set of random UUIDs). With different subscriptions
//!   (`UniformHeterogeneousAssignmentBuilder` in Kafka) the simulation keeps
//!   each member's previous partitions while it is not above the balanced
//!   share of its topics and gives every other partition to the least-loaded
//!   subscribed member, which is balanced and sticky but may differ from
//!   Kafka's exact result.
//! - `range` deals each topic's partitions in contiguous ranges to its
//!   subscribers in member id order, as the client `RangeAssignor` does.

use crate::assignor::{self, Assignor, MemberSubscription, TopicPartition};
use brokerlab_order::CollectOrdered;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// A server-side assignor (`group.consumer.assignors`, `group.remote.assignor`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Default)]
pub enum ServerAssignor {
    /// `uniform` (`UniformAssignor`): balanced and sticky; the default.
    #[default]
    Uniform,
    /// `range` (`RangeAssignor`): contiguous ranges per topic, co-partitioned.
    Range,
}

impl ServerAssignor {
    /// The name the broker registers it under.
    pub fn name(self) -> &'static str {
        match self {
            ServerAssignor::Uniform => "uniform",
            ServerAssignor::Range => "range",
        }
    }
}

/// One member as the coordinator hands it to a server assignor.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ServerMember {
    /// The member id.
    pub member_id: String,
    /// `group.instance.id`, for a static member.
    pub instance_id: Option<String>,
    /// Its subscribed topics.
    pub topics: Vec<String>,
    /// What the previous target assignment gave it.
    pub target: Vec<TopicPartition>,
}

/// The target assignment of every member (each appears, maybe with nothing).
/// Topics missing from `partitions_per_topic` are ignored, as the
/// coordinator leaves topics it has no metadata for out of the subscription metadata.
pub fn assign_server(
    assignor: ServerAssignor,
    partitions_per_topic: &BTreeMap<String, u32>,
    members: &[ServerMember],
) -> BTreeMap<String, Vec<TopicPartition>> {
    let mut members: Vec<&ServerMember> = members.iter().collect();
    brokerlab_order::sort_by(&mut members, |a, b| assignor::java_string_cmp(&a.member_id, &b.member_id));
    let mut out = match assignor {
        ServerAssignor::Range => {
            let subs: Vec<MemberSubscription> = members
                .iter()
                .map(|m| MemberSubscription {
                    member_id: m.member_id.clone(),
                    group_instance_id: m.instance_id.clone(),
                    topics: m.topics.iter().filter(|t| partitions_per_topic.contains_key(*t)).cloned().collect(),
                    owned_partitions: Vec::new(),
                    generation: None,
                })
                .collect();
            assignor::assign(Assignor::Range, partitions_per_topic, &subs).assignment
        }
        ServerAssignor::Uniform => {
            let first = members.first().map(|m| sorted_topics(m, partitions_per_topic));
            if members.iter().all(|m| Some(sorted_topics(m, partitions_per_topic)) == first) {
                uniform_homogeneous(partitions_per_topic, &members, &first.unwrap_or_default())
            } else {
                uniform_heterogeneous(partitions_per_topic, &members)
            }
        }
    };
    for m in &members {
        let list = out.entry(m.member_id.clone()).or_default();
        brokerlab_order::sort(list);
    }
    out
}

fn sorted_topics(m: &ServerMember, counts: &BTreeMap<String, u32>) -> Vec<String> {
    let set: BTreeSet<&String> = m.topics.iter().filter(|t| counts.contains_key(*t)).collect();
    set.into_iter().cloned().collect()
}

/// `UniformHomogeneousAssignmentBuilder.build`: keep up to the quota, then
/// fill the members under their quota from the unassigned partitions.
fn uniform_homogeneous(
    counts: &BTreeMap<String, u32>,
    members: &[&ServerMember],
    topics: &[String],
) -> BTreeMap<String, Vec<TopicPartition>> {
    let mut out: BTreeMap<String, Vec<TopicPartition>> = BTreeMap::new();
    if members.is_empty() || topics.is_empty() {
        return out;
    }
    let subscribed: BTreeSet<&str> = topics.iter().map(String::as_str).collect();
    let valid = |tp: &TopicPartition| {
        subscribed.contains(tp.topic.as_str()) && counts.get(&tp.topic).is_some_and(|n| tp.partition < *n)
    };
    // Partitions some member's previous target holds (`isPartitionAssigned`).
    let mut held: BTreeSet<&TopicPartition> = BTreeSet::new();
    for m in members {
        for tp in &m.target {
            if valid(tp) {
                held.insert(tp);
            }
        }
    }
    let mut unassigned: Vec<TopicPartition> = Vec::new();
    let mut total: usize = 0;
    for t in topics {
        let n = counts.get(t).copied().unwrap_or(0);
        total += n as usize;
        for p in 0..n {
            let tp = TopicPartition::new(t.clone(), p);
            if !held.contains(&tp) {
                unassigned.push(tp);
            }
        }
    }
    let min_quota = total / members.len();
    let mut extra = total % members.len();
    let mut unfilled: Vec<(String, usize)> = Vec::new();
    for m in members {
        let mut quota = min_quota;
        if extra > 0 {
            quota += 1;
            extra -= 1;
        }
        let mut kept = Vec::new();
        // The previous target by topic, partitions ascending, as the Java
        // code walks its map of sets.
        let mut previous: Vec<&TopicPartition> = m.target.iter().filter(|tp| valid(tp)).collect();
        brokerlab_order::sort(&mut previous);
        for tp in previous {
            if quota > 0 {
                quota -= 1;
                kept.push(tp.clone());
            } else {
                unassigned.push(tp.clone());
            }
        }
        if quota > 0 {
            unfilled.push((m.member_id.clone(), quota));
        }
        out.insert(m.member_id.clone(), kept);
    }
    let mut next = unassigned.into_iter();
    for (member, quota) in unfilled {
        let list = out.entry(member).or_default();
        for tp in next.by_ref().take(quota) {
            list.push(tp);
        }
    }
    out
}

/// Different subscriptions: sticky up to a balanced share, then least-loaded.
fn uniform_heterogeneous(
    counts: &BTreeMap<String, u32>,
    members: &[&ServerMember],
) -> BTreeMap<String, Vec<TopicPartition>> {
    let mut out: BTreeMap<String, Vec<TopicPartition>> =
        members.iter().map(|m| (m.member_id.clone(), Vec::new())).collect_map();
    let subscribers = |topic: &str| -> Vec<&ServerMember> {
        members.iter().copied().filter(|m| m.topics.iter().any(|t| t == topic)).collect()
    };
    let mut taken: BTreeSet<TopicPartition> = BTreeSet::new();
    // Keep previous partitions of still-subscribed topics, at most the
    // topic's fair share per member.
    for (topic, n) in counts {
        let subs = subscribers(topic);
        if subs.is_empty() {
            continue;
        }
        let share = (*n as usize).div_ceil(subs.len());
        for m in &subs {
            let mut mine: Vec<&TopicPartition> =
                m.target.iter().filter(|tp| &tp.topic == topic && tp.partition < *n).collect();
            brokerlab_order::sort(&mut mine);
            for tp in mine.into_iter().take(share) {
                if taken.insert(tp.clone())
                    && let Some(list) = out.get_mut(&m.member_id)
                {
                    list.push(tp.clone());
                }
            }
        }
    }
    for (topic, n) in counts {
        let subs = subscribers(topic);
        if subs.is_empty() {
            continue;
        }
        for p in 0..*n {
            let tp = TopicPartition::new(topic.clone(), p);
            if taken.contains(&tp) {
                continue;
            }
            let least = subs.iter().min_by_key(|m| out.get(&m.member_id).map_or(0, Vec::len));
            if let Some(m) = least
                && let Some(list) = out.get_mut(&m.member_id)
            {
                list.push(tp.clone());
                taken.insert(tp);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn member(id: &str, topics: &[&str], target: &[(&str, u32)]) -> ServerMember {
        ServerMember {
            member_id: id.to_string(),
            instance_id: None,
            topics: topics.iter().map(|t| t.to_string()).collect(),
            target: target.iter().map(|(t, p)| TopicPartition::new(*t, *p)).collect(),
        }
    }

    fn names(list: &[TopicPartition]) -> Vec<String> {
        list.iter().map(ToString::to_string).collect()
    }

    /// `UniformHomogeneousAssignmentBuilderTest`-style cases: a fresh group
    /// is dealt quota by quota; a newcomer takes only the excess of the others.
    #[test]
    fn uniform_fills_quotas_and_moves_only_the_excess() {
        let counts = BTreeMap::from([("t".to_string(), 6)]);
        let fresh =
            assign_server(ServerAssignor::Uniform, &counts, &[member("a", &["t"], &[]), member("b", &["t"], &[])]);
        assert_eq!(names(&fresh["a"]), ["t-0", "t-1", "t-2"]);
        assert_eq!(names(&fresh["b"]), ["t-3", "t-4", "t-5"]);
        let a = member("a", &["t"], &[("t", 0), ("t", 1), ("t", 2)]);
        let b = member("b", &["t"], &[("t", 3), ("t", 4), ("t", 5)]);
        let again = assign_server(ServerAssignor::Uniform, &counts, &[a, b, member("c", &["t"], &[])]);
        assert_eq!(names(&again["a"]), ["t-0", "t-1"]);
        assert_eq!(names(&again["b"]), ["t-3", "t-4"]);
        assert_eq!(names(&again["c"]), ["t-2", "t-5"]);
    }

    #[test]
    fn uniform_with_different_subscriptions_covers_every_partition_once() {
        let counts = BTreeMap::from([("x".to_string(), 3), ("y".to_string(), 2)]);
        let out = assign_server(
            ServerAssignor::Uniform,
            &counts,
            &[member("a", &["x", "y"], &[]), member("b", &["x"], &[]), member("c", &["y"], &[])],
        );
        let all: BTreeSet<String> = out.values().flat_map(|l| names(l)).collect();
        assert_eq!(all.len(), 5);
        assert!(out["b"].iter().all(|tp| tp.topic == "x") && out["c"].iter().all(|tp| tp.topic == "y"));
    }

    #[test]
    fn range_deals_contiguous_ranges() {
        let counts = BTreeMap::from([("t".to_string(), 5)]);
        let out = assign_server(ServerAssignor::Range, &counts, &[member("b", &["t"], &[]), member("a", &["t"], &[])]);
        assert_eq!(names(&out["a"]), ["t-0", "t-1", "t-2"]);
        assert_eq!(names(&out["b"]), ["t-3", "t-4"]);
    }
}
