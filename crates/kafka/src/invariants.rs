//! The engine's invariants, checked after every command in debug builds and
//! tests (`cfg(debug_assertions)`), never in release. A violation panics with
//! the cluster's seed, so a failing run can be replayed.
//!
//! Each invariant is something Kafka itself guarantees, stated the way this
//! engine can check it from its state:
//!
//! - **Replicas and ISR.** Every partition has at least one replica, no
//!   broker twice, all known brokers. The ISR is a non-empty subset of the
//!   replicas without duplicates (the controller never shrinks it below one
//!   member, so an offline partition keeps its last in-sync replica).
//! - **Leader.** A leader, when there is one, is a replica, runs on a live
//!   broker and is in the ISR: clean elections pick from the ISR, and an
//!   unclean one makes the ISR exactly the new leader.
//! - **High watermark.** `log start offset <= high watermark <= log end
//!   offset`, and the high watermark never passes the log end offset of any
//!   ISR member: it is the minimum over the ISR, and a follower only rejoins
//!   the ISR once it has caught up to it. (It can move back: an unclean
//!   election lowers it to the new leader's log end.)
//! - **Replica progress.** No replica's log end offset passes the leader's,
//!   and no replica's high watermark passes the partition's.
//! - **Committed offsets.** Every committed offset is non-negative and names
//!   an existing partition. There is no upper bound: Kafka's broker accepts
//!   a commit beyond the high watermark, and although this engine's consumers
//!   only commit positions they fetched below it, an unclean election can
//!   lower the high watermark under offsets already committed. Retention can
//!   likewise leave a committed offset below the log start offset.
//! - **Group assignment.** In a group's settled assignment no partition has
//!   two owners, every owner is a member, every assigned partition exists,
//!   and the members list and the per-member state agree.
//! - **Last stable offset.** `log start offset <= last stable offset <= high
//!   watermark`, and a transaction waiting for its marker to be replicated
//!   names a marker inside the log.
//! - **Eligible leader replicas.** The ELR holds distinct replicas outside
//!   the ISR; the ISR is empty only with ELR on and no leader.
//! - **Positions and time.** Consumer positions are non-negative, and
//!   logical time stays within `i64` milliseconds.
//! - **Share-partitions** (KIP-932). Each holds one in-flight entry per offset
//!   from its start offset (SPSO) to its next offset, the entry at the SPSO
//!   is never acknowledged or archived (the SPSO moves past those), and an
//!   acquired record has been delivered, is held by a current member and is
//!   locked until a time still to come (expired locks release at their instant).

use crate::cluster::Cluster;
use std::collections::BTreeSet;

/// Panics with the seed and the broken invariant when one does not hold.
pub(crate) fn assert_holds(cluster: &Cluster) {
    if let Err(why) = check(cluster) {
        panic!("Kafka engine invariant broken (seed {}, time {} ms): {why}", cluster.seed, cluster.now);
    }
}

/// Every invariant of the module documentation; the first broken one as text.
pub(crate) fn check(c: &Cluster) -> Result<(), String> {
    if c.now > i64::MAX as u64 {
        return Err(format!("time {} is past i64::MAX milliseconds", c.now));
    }
    for (name, t) in &c.topics {
        for (p, part) in t.partitions.iter().enumerate() {
            let at = format!("{name}-{p}");
            if part.replicas.is_empty() {
                return Err(format!("{at} has no replicas"));
            }
            let replicas: BTreeSet<u32> = part.replicas.iter().map(|r| r.broker).collect();
            if replicas.len() != part.replicas.len() {
                return Err(format!("{at} lists a broker twice among its replicas"));
            }
            if let Some(b) = replicas.iter().find(|&&b| b as usize >= c.brokers.len()) {
                return Err(format!("{at} has a replica on unknown broker {b}"));
            }
            let isr: BTreeSet<u32> = part.isr.iter().copied().collect();
            // With eligible leader replicas (KIP-966) the ISR of a partition
            // without a leader may be empty.
            let may_be_empty = c.config.eligible_leader_replicas_enable && part.leader.is_none();
            if (isr.is_empty() && !may_be_empty) || isr.len() != part.isr.len() || !isr.is_subset(&replicas) {
                return Err(format!("{at} has ISR {:?}, not a non-empty subset of {replicas:?}", part.isr));
            }
            let elr: BTreeSet<u32> = part.elr.iter().copied().collect();
            if elr.len() != part.elr.len() || !elr.is_subset(&replicas) || !elr.is_disjoint(&isr) {
                return Err(format!("{at} has ELR {:?}, not a set of replicas outside ISR {:?}", part.elr, part.isr));
            }
            let log_start = part.log.log_start_offset();
            let log_end = part.log.log_end_offset();
            if let Some(li) = part.leader {
                let Some(leader) = part.replicas.get(li) else {
                    return Err(format!("{at} has leader index {li} outside its replicas"));
                };
                if !c.brokers.get(leader.broker as usize).is_some_and(|b| b.alive) {
                    return Err(format!("{at} is led by broker {}, which is down", leader.broker));
                }
                if !isr.contains(&leader.broker) {
                    return Err(format!("{at} is led by broker {}, outside ISR {:?}", leader.broker, part.isr));
                }
            }
            let hw = part.high_watermark;
            if !(log_start <= hw && hw <= log_end) {
                return Err(format!("{at} has high watermark {hw} outside [{log_start}, {log_end}]"));
            }
            let lso = part.last_stable_offset();
            if !(log_start <= lso && lso <= hw) {
                return Err(format!("{at} has last stable offset {lso} outside [{log_start}, {hw}]"));
            }
            if let Some((pid, _, marker)) = part.unreplicated_txns.iter().find(|&&(_, _, m)| m >= log_end) {
                return Err(format!("{at} waits for producer {pid}'s marker at {marker}, past the log end {log_end}"));
            }
            for r in &part.replicas {
                if isr.contains(&r.broker) && r.log_end_offset < hw {
                    return Err(format!(
                        "{at}: high watermark {hw} passes in-sync broker {}'s log end offset {}",
                        r.broker, r.log_end_offset
                    ));
                }
                if r.log_end_offset > log_end {
                    return Err(format!(
                        "{at}: broker {} has log end offset {} past the leader's {log_end}",
                        r.broker, r.log_end_offset
                    ));
                }
                if r.high_watermark > hw {
                    return Err(format!(
                        "{at}: broker {} has high watermark {} past the partition's {hw}",
                        r.broker, r.high_watermark
                    ));
                }
            }
        }
    }
    let exists =
        |topic: &str, partition: u32| c.topics.get(topic).is_some_and(|t| (partition as usize) < t.partitions.len());
    for (id, g) in &c.groups {
        for (tp, offset) in &g.committed {
            if *offset < 0 || !exists(&tp.topic, tp.partition) {
                return Err(format!("group {id} committed {offset} for {tp}"));
            }
        }
        let members: BTreeSet<&String> = g.members.iter().collect();
        if members.len() != g.members.len() || !members.iter().copied().eq(g.member_state.keys()) {
            return Err(format!("group {id}: members {:?} and member state disagree", g.members));
        }
        if let Some(cg) = c.classic.get(id)
            && let Some(stray) = cg.joined.iter().find(|m| !members.contains(m))
        {
            return Err(format!("group {id}: {stray} joined the rebalance but is not a member"));
        }
        // Two running clients that are part of the group's generations never
        // fetch the same partition (a client kicked out of the group may,
        // until its next poll tells it so).
        let mut held: BTreeSet<(&str, u32)> = BTreeSet::new();
        for (name, consumer) in &c.consumers {
            if consumer.config.group_id != *id
                || consumer.status != crate::cluster::ConsumerStatus::Active
                || consumer.generation.is_none()
            {
                continue;
            }
            for tp in &consumer.assigned {
                if !held.insert((&tp.topic, tp.partition)) {
                    return Err(format!("group {id}: {name} holds {tp}, which another running member holds"));
                }
            }
        }
        let mut owners: BTreeSet<(&str, u32)> = BTreeSet::new();
        for (member, partitions) in &g.assignment {
            if !members.contains(member) {
                return Err(format!("group {id} assigns partitions to {member}, not a member"));
            }
            for tp in partitions {
                if !exists(&tp.topic, tp.partition) {
                    return Err(format!("group {id} assigns {tp}, which does not exist"));
                }
                if !owners.insert((&tp.topic, tp.partition)) {
                    return Err(format!("group {id} assigns {tp} to two members"));
                }
            }
        }
    }
    // A consumer-protocol group: the coordinator's members are the group's,
    // no member is past the group epoch, and a partition still to be
    // revoked belongs to nobody else (it moves only once revoked).
    for (id, mg) in &c.modern {
        let Some(g) = c.groups.get(id) else {
            return Err(format!("consumer group {id} has no group state"));
        };
        if !mg.members.keys().eq(g.member_state.keys()) {
            return Err(format!("consumer group {id}: members {:?} and coordinator members disagree", g.members));
        }
        if mg.assignment_epoch > mg.group_epoch {
            return Err(format!(
                "consumer group {id}: assignment epoch {} past group epoch {}",
                mg.assignment_epoch, mg.group_epoch
            ));
        }
        let mut owners: BTreeSet<(&str, u32)> = BTreeSet::new();
        for (m, mm) in &mg.members {
            if mm.epoch > mg.assignment_epoch {
                return Err(format!("consumer group {id}: {m} at epoch {} past the assignment epoch", mm.epoch));
            }
            for tp in g.assignment.get(m).into_iter().flatten().chain(&mm.pending_revocation) {
                if !owners.insert((&tp.topic, tp.partition)) {
                    return Err(format!("consumer group {id}: {tp} is owned or pending revocation twice"));
                }
            }
        }
    }
    for (name, consumer) in &c.consumers {
        if let Some((tp, o)) = consumer.positions.iter().find(|(_, o)| **o < 0) {
            return Err(format!("consumer {name} has position {o} in {tp}"));
        }
    }
    c.check_share_invariants()
}

#[cfg(test)]
mod tests {
    use super::check;
    use crate::*;

    fn cluster_with_group() -> Cluster {
        let mut c = Cluster::new(ClusterConfig { brokers: 3, ..ClusterConfig::default() }, 9).expect("cluster");
        c.create_topic("t", TopicConfig::new(2, 3)).expect("topic");
        c.create_consumer("a", ConsumerConfig::new("g")).expect("consumer");
        c.create_consumer("b", ConsumerConfig::new("g")).expect("consumer");
        c.subscribe("a", &["t".to_string()]).expect("subscribe");
        c.subscribe("b", &["t".to_string()]).expect("subscribe");
        // Members join on their polls: a alone, then b, which a rejoins.
        for m in ["a", "b", "a", "b"] {
            c.poll(m, None).expect("poll");
        }
        c
    }

    #[test]
    fn a_settled_cluster_satisfies_every_invariant() {
        assert_eq!(check(&cluster_with_group()), Ok(()));
    }

    #[test]
    fn a_high_watermark_past_an_in_sync_replica_is_reported() {
        let mut c = cluster_with_group();
        let part = &mut c.topics.get_mut("t").expect("topic").partitions[0];
        part.high_watermark = 1;
        let why = check(&c).expect_err("broken");
        assert!(why.contains("outside [0, 0]"), "{why}");
    }

    #[test]
    fn a_leader_outside_the_isr_is_reported() {
        let mut c = cluster_with_group();
        let part = &mut c.topics.get_mut("t").expect("topic").partitions[1];
        let leader = part.leader_broker().expect("leader");
        part.isr.retain(|&b| b != leader);
        let why = check(&c).expect_err("broken");
        assert!(why.contains("outside ISR"), "{why}");
    }

    #[test]
    fn a_partition_with_two_owners_is_reported() {
        let mut c = cluster_with_group();
        let g = c.groups.get_mut("g").expect("group");
        let first = g.assignment["a"][0].clone();
        g.assignment.get_mut("b").expect("b").push(first);
        let why = check(&c).expect_err("broken");
        assert!(why.contains("to two members"), "{why}");
    }

    #[test]
    fn a_negative_committed_offset_is_reported() {
        let mut c = cluster_with_group();
        c.groups.get_mut("g").expect("group").committed.insert(TopicPartition::new("t", 0), -1);
        let why = check(&c).expect_err("broken");
        assert!(why.contains("committed -1"), "{why}");
    }

    fn cluster_with_share_group() -> Cluster {
        let mut c = Cluster::new(ClusterConfig { brokers: 1, ..ClusterConfig::default() }, 9).expect("cluster");
        c.create_topic("jobs", TopicConfig::new(1, 1)).expect("topic");
        c.create_producer("p", ProducerConfig::default()).expect("producer");
        for v in ["a", "b"] {
            c.produce("p", ProducerRecord::unkeyed("jobs", v)).expect("produce");
        }
        c.tick(100).expect("tick");
        let config = ShareGroupConfig { auto_offset_reset: ShareOffsetReset::Earliest, ..ShareGroupConfig::default() };
        c.alter_share_group_config("sg", config).expect("config");
        c.create_share_consumer("s", ShareConsumerConfig::new("sg")).expect("share consumer");
        c.share_subscribe("s", &["jobs".to_string()]).expect("subscribe");
        c.share_poll("s", None).expect("poll");
        c
    }

    #[test]
    fn a_settled_record_left_at_the_share_start_offset_is_reported() {
        let mut c = cluster_with_share_group();
        assert_eq!(check(&c), Ok(()));
        let sp = c.shares.groups.get_mut("sg").and_then(|g| g.partitions.values_mut().next()).expect("share-partition");
        sp.records[0].state = ShareRecordState::Acknowledged;
        let why = check(&c).expect_err("broken");
        assert!(why.contains("did not move its start offset"), "{why}");
    }

    #[test]
    fn an_acquired_record_past_its_lock_is_reported() {
        let mut c = cluster_with_share_group();
        let sp = c.shares.groups.get_mut("sg").and_then(|g| g.partitions.values_mut().next()).expect("share-partition");
        sp.records[1].locked_until = 0;
        let why = check(&c).expect_err("broken");
        assert!(why.contains("offset 1 is acquired"), "{why}");
    }
}
