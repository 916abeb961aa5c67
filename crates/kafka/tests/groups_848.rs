//! The consumer group protocol (KIP-848), as Kafka 4.0 runs it with
//! `group.protocol=consumer`: broker: `group-coordinator`
//! `GroupMetadataManager`, `CurrentAssignmentBuilder`, `UniformAssignor`;
//! client: `AsyncKafkaConsumer`, `ConsumerMembershipManager`.

use brokerlab_kafka::*;

const HEARTBEAT: u64 = 5_000;

fn cluster(partitions: u32) -> Cluster {
    let mut c = Cluster::new(ClusterConfig { brokers: 1, ..ClusterConfig::default() }, 7).expect("cluster");
    c.create_topic("t", TopicConfig::new(partitions, 1)).expect("topic");
    c.create_producer("p", ProducerConfig { acks: Acks::One, enable_idempotence: false, ..ProducerConfig::default() })
        .expect("producer");
    c
}

fn member(c: &mut Cluster, name: &str, tweak: impl FnOnce(&mut ConsumerConfig)) {
    let mut cfg = ConsumerConfig {
        group_protocol: GroupProtocol::Consumer,
        auto_offset_reset: OffsetReset::Earliest,
        enable_auto_commit: false,
        ..ConsumerConfig::new("g")
    };
    tweak(&mut cfg);
    c.create_consumer(name, cfg).expect("consumer");
    c.subscribe(name, &["t".to_string()]).expect("subscribe");
}

fn classic(c: &mut Cluster, name: &str) {
    let cfg = ConsumerConfig { auto_offset_reset: OffsetReset::Earliest, ..ConsumerConfig::new("g") };
    c.create_consumer(name, cfg).expect("consumer");
    c.subscribe(name, &["t".to_string()]).expect("subscribe");
}

fn fill(c: &mut Cluster, per_partition: u32) {
    let n = c.topic("t").expect("t").partitions.len() as u32;
    for p in 0..n {
        for i in 0..per_partition {
            let rec = ProducerRecord { partition: Some(p), ..ProducerRecord::unkeyed("t", format!("{p}-{i}")) };
            c.produce("p", rec).expect("produce");
        }
    }
}

fn tp(p: u32) -> TopicPartition {
    TopicPartition::new("t", p)
}

fn owned(c: &Cluster, name: &str) -> Vec<u32> {
    c.consumer(name).expect("consumer").assignment.iter().map(|tp| tp.partition).collect()
}

fn view(c: &Cluster) -> GroupView {
    c.group("g").expect("group")
}

fn member_view(c: &Cluster, name: &str) -> MemberView {
    view(c).members.into_iter().find(|m| m.member_id == name).expect("member")
}

/// Kafka 4.0 (`AbstractMembershipManager.onConsumerPoll`): the new consumer
/// also joins on its first `poll()` after `subscribe()`. The join bumps the
/// group epoch, the heartbeat computes the target with the default `uniform`
/// assignor, and the member moves to that epoch with its whole target.
#[test]
fn a_member_joins_on_its_first_poll_and_its_heartbeat_brings_its_target() {
    let mut c = cluster(4);
    member(&mut c, "c1", |_| {});
    assert_eq!(c.group("g"), None, "subscribe alone does not join");
    c.poll("c1", None).expect("poll");
    let g = view(&c);
    assert_eq!(g.protocol, GroupProtocol::Consumer);
    assert_eq!((g.state, g.group_epoch, g.assignment_epoch), (GroupStateView::Stable, Some(1), Some(1)));
    assert_eq!(g.server_assignor, Some(ServerAssignor::Uniform));
    let m = member_view(&c, "c1");
    assert_eq!((m.member_epoch, m.protocol), (Some(1), GroupProtocol::Consumer));
    assert_eq!(owned(&c, "c1"), vec![0, 1, 2, 3]);
}

/// KIP-848's incremental reconciliation (Kafka 4.0 `CurrentAssignmentBuilder`):
/// a partition is given to its new owner only after its old owner revoked
/// it, and no one waits for anyone else. The newcomer gets nothing at its
/// join; the old owner keeps fetching all four partitions until its own next
/// heartbeat revokes two; the newcomer gets them at its next heartbeat.
#[test]
fn a_partition_moves_only_after_its_owner_revoked_it_and_no_one_else_pauses() {
    let mut c = cluster(4);
    member(&mut c, "c1", |_| {});
    c.poll("c1", None).expect("poll at 0");
    c.tick(1_000).expect("tick");
    member(&mut c, "c2", |_| {});
    let events = c.poll("c2", None).expect("c2 joins at 1000").1;
    assert!(events.iter().any(|e| matches!(e, Event::GroupEpochBumped { epoch: 2, .. })), "{events:?}");
    assert!(owned(&c, "c2").is_empty(), "c1 still owns every partition");
    let m2 = member_view(&c, "c2");
    assert_eq!(m2.member_epoch, Some(2));
    assert_eq!(m2.target, vec![tp(2), tp(3)]);
    assert_eq!(view(&c).state, GroupStateView::Reconciling);

    // c1 has not heartbeated yet: it keeps fetching everything.
    fill(&mut c, 2);
    c.tick(100).expect("replicate");
    let records = c.poll("c1", None).expect("poll").0;
    assert_eq!(records.len(), 8, "c1 reads all four partitions during the reconciliation");

    // c1's heartbeat at 5000 revokes 2 and 3 and acknowledges at once.
    let events = c.tick(HEARTBEAT - 1_100).expect("to 5000");
    assert!(events.iter().any(|e| matches!(e, Event::PartitionsRevoked { member, .. } if member == "c1")));
    assert_eq!(owned(&c, "c1"), vec![0, 1]);
    assert_eq!(member_view(&c, "c1").member_epoch, Some(2));
    assert!(owned(&c, "c2").is_empty(), "c2 learns of them at its own heartbeat");

    // c2's heartbeat at 6000 takes them.
    c.tick(999).expect("to 5999");
    assert!(owned(&c, "c2").is_empty());
    c.tick(1).expect("to 6000");
    assert_eq!(owned(&c, "c2"), vec![2, 3]);
    assert_eq!(view(&c).state, GroupStateView::Stable);
}

/// KIP-848 (Kafka 4.0): a member leaving (epoch -1 on `close()`) frees its
/// partitions at once and bumps the group epoch; the others never stop
/// fetching, and take the freed partitions at their next heartbeats.
#[test]
fn a_member_leaving_does_not_stop_the_others_from_fetching() {
    let mut c = cluster(6);
    for n in ["c1", "c2", "c3"] {
        member(&mut c, n, |_| {});
        c.poll(n, None).expect("join");
    }
    c.tick(2 * HEARTBEAT).expect("settle");
    assert_eq!(view(&c).state, GroupStateView::Stable);
    let before: Vec<usize> = ["c1", "c2", "c3"].iter().map(|n| owned(&c, n).len()).collect();
    assert_eq!(before, vec![2, 2, 2]);
    let epoch = view(&c).group_epoch.expect("epoch");
    let events = c.close_consumer("c3").expect("close");
    assert!(events.iter().any(|e| matches!(e, Event::MemberLeft { member, .. } if member == "c3")));
    assert_eq!(view(&c).group_epoch, Some(epoch + 1));
    fill(&mut c, 1);
    c.tick(100).expect("replicate");
    // Right after the leave both still fetch their own partitions.
    assert_eq!(c.poll("c1", None).expect("poll").0.len(), 2);
    assert_eq!(c.poll("c2", None).expect("poll").0.len(), 2);
    c.tick(HEARTBEAT).expect("next heartbeats");
    assert_eq!(owned(&c, "c1").len() + owned(&c, "c2").len(), 6);
    assert_eq!(view(&c).state, GroupStateView::Stable);
}

/// Kafka 4.0 `GroupMetadataManager.onNewMetadataImage` asks the group to
/// refresh its subscription metadata; the next heartbeat bumps the group
/// epoch and carries the new target, seconds after the partitions were
/// added rather than a client metadata refresh later.
#[test]
fn the_heartbeat_carries_the_new_target_after_partitions_are_added() {
    let mut c = cluster(2);
    member(&mut c, "c1", |_| {});
    c.poll("c1", None).expect("join");
    c.tick(1_000).expect("tick");
    c.add_partitions("t", 4).expect("grow");
    let events = c.tick(HEARTBEAT).expect("heartbeat");
    assert!(
        events.iter().any(
            |e| matches!(e, Event::GroupEpochBumped { reason: RebalanceReason::PartitionsAdded(t), .. } if t == "t")
        ),
        "{events:?}"
    );
    assert_eq!(owned(&c, "c1"), vec![0, 1, 2, 3]);
}

/// `group.consumer.session.timeout.ms` (45 s, Kafka 4.0): the coordinator
/// fences a member whose heartbeats stopped 45 s after its last one; until
/// then its partitions stay with it, and then they move.
#[test]
fn session_timeout_removes_a_crashed_member_after_45_seconds() {
    let mut c = cluster(2);
    member(&mut c, "c1", |_| {});
    member(&mut c, "c2", |_| {});
    c.poll("c1", None).expect("join");
    c.poll("c2", None).expect("join");
    c.tick(HEARTBEAT).expect("settle");
    assert_eq!((owned(&c, "c1").len(), owned(&c, "c2").len()), (1, 1));
    // Last heartbeat at 5000; the crash at 7000.
    c.tick(2_000).expect("tick");
    c.crash_consumer("c2").expect("crash");
    c.tick(43_000).expect("to 50000");
    assert!(view(&c).members.iter().any(|m| m.member_id == "c2"), "still a member at 45 s after its last heartbeat");
    let events = c.tick(1).expect("past 50000");
    assert!(events.iter().any(
        |e| matches!(e, Event::MemberLeft { member, reason: RebalanceReason::SessionTimeout(_), .. } if member == "c2")
    ));
    c.tick(HEARTBEAT).expect("c1's next heartbeat");
    assert_eq!(owned(&c, "c1"), vec![0, 1]);
}

/// Kafka 4.0's new consumer still enforces `max.poll.interval.ms`: its
/// background thread leaves the group when the application stops polling,
/// a commit then fails with `CommitFailedException`, and the next poll rejoins.
#[test]
fn max_poll_interval_still_leaves_the_group_and_the_next_poll_rejoins() {
    let mut c = cluster(2);
    member(&mut c, "c1", |cfg| cfg.max_poll_interval_ms = 20_000);
    c.poll("c1", None).expect("join");
    c.tick(20_000).expect("within the interval");
    assert!(view(&c).members.iter().any(|m| m.member_id == "c1"));
    let events = c.tick(1).expect("past it");
    assert!(
        events
            .iter()
            .any(|e| matches!(e, Event::MemberLeft { reason: RebalanceReason::MaxPollIntervalExceeded(_), .. }))
    );
    assert!(matches!(c.commit("c1", Some(vec![(tp(0), 0)])), Err(KafkaError::CommitFailed { .. })));
    c.poll("c1", None).expect("rejoin");
    assert_eq!(owned(&c, "c1"), vec![0, 1]);
}

/// Kafka 4.0 `getOrMaybeSubscribeStaticConsumerGroupMember`: a static member
/// that closed left with epoch -2, so a new consumer with its instance id
/// takes its place and partitions; one that crashed still holds the id
/// (`UnreleasedInstanceIdException`) until its session times out.
#[test]
fn a_static_member_is_replaced_only_once_it_released_its_instance_id() {
    let mut c = cluster(2);
    member(&mut c, "a", |cfg| cfg.group_instance_id = Some("i1".into()));
    member(&mut c, "b", |_| {});
    c.poll("a", None).expect("join");
    c.poll("b", None).expect("join");
    c.tick(HEARTBEAT).expect("settle");
    let held = owned(&c, "a");
    c.close_consumer("a").expect("close");
    assert!(view(&c).members.iter().any(|m| m.member_id == "a"), "a static member stays after close");
    member(&mut c, "a2", |cfg| cfg.group_instance_id = Some("i1".into()));
    let events = c.poll("a2", None).expect("replace").1;
    assert!(events.iter().any(|e| matches!(e, Event::StaticMemberRejoined { member, .. } if member == "a2")));
    assert_eq!(owned(&c, "a2"), held);

    c.crash_consumer("a2").expect("crash");
    member(&mut c, "a3", |cfg| cfg.group_instance_id = Some("i1".into()));
    assert!(matches!(c.poll("a3", None), Err(KafkaError::UnreleasedInstanceId { .. })));
}

/// `group.remote.assignor` (Kafka 4.0): members may ask for `range`; an
/// assignor missing from `group.consumer.assignors` is refused.
#[test]
fn members_may_ask_for_the_range_server_assignor() {
    let mut c = cluster(3);
    for n in ["c1", "c2"] {
        member(&mut c, n, |cfg| cfg.group_remote_assignor = Some(ServerAssignor::Range));
        c.poll(n, None).expect("join");
    }
    c.tick(HEARTBEAT).expect("settle");
    assert_eq!(view(&c).server_assignor, Some(ServerAssignor::Range));
    assert_eq!(member_view(&c, "c1").target, vec![tp(0), tp(1)]);
    assert_eq!(member_view(&c, "c2").target, vec![tp(2)]);

    let mut d = Cluster::new(
        ClusterConfig {
            brokers: 1,
            group_consumer_assignors: vec![ServerAssignor::Uniform],
            ..ClusterConfig::default()
        },
        1,
    )
    .expect("cluster");
    let cfg = ConsumerConfig {
        group_protocol: GroupProtocol::Consumer,
        group_remote_assignor: Some(ServerAssignor::Range),
        ..ConsumerConfig::new("g")
    };
    assert!(matches!(d.create_consumer("x", cfg), Err(KafkaError::UnsupportedAssignor { .. })));
}

/// Kafka 4.0's online migration (`group.consumer.migration.policy`
/// `bidirectional`, the default): a consumer-protocol member joining a
/// classic group converts it (`convertToConsumerGroup`), the classic members
/// rejoin through JoinGroup on their polls and get their targets; when the
/// last consumer-protocol member leaves, the group is classic again and
/// rebalances (`convertToClassicGroup`).
#[test]
fn a_consumer_member_converts_a_classic_group_and_its_leaving_converts_it_back() {
    let mut c = cluster(4);
    classic(&mut c, "old1");
    classic(&mut c, "old2");
    for n in ["old1", "old2", "old1", "old2"] {
        c.poll(n, None).expect("classic join");
    }
    assert_eq!(view(&c).protocol, GroupProtocol::Classic);
    let generation = view(&c).generation;
    member(&mut c, "new", |_| {});
    let events = c.poll("new", None).expect("join").1;
    assert!(events.iter().any(|e| matches!(e, Event::GroupConverted { to: GroupProtocol::Consumer, .. })));
    let g = view(&c);
    assert_eq!(g.protocol, GroupProtocol::Consumer);
    assert_eq!(g.group_epoch, Some(generation + 1), "the group epoch continues from the generation");
    assert_eq!(member_view(&c, "old1").protocol, GroupProtocol::Classic);
    for _ in 0..2 {
        c.poll("old1", None).expect("poll");
        c.poll("old2", None).expect("poll");
        c.tick(HEARTBEAT).expect("heartbeat");
    }
    let total: usize = ["old1", "old2", "new"].iter().map(|n| owned(&c, n).len()).sum();
    assert_eq!(total, 4);
    assert!(!owned(&c, "new").is_empty());
    assert_eq!(view(&c).state, GroupStateView::Stable);

    let events = c.close_consumer("new").expect("close");
    assert!(events.iter().any(|e| matches!(e, Event::GroupConverted { to: GroupProtocol::Classic, .. })));
    assert_eq!(view(&c).state, GroupStateView::PreparingRebalance);
    for n in ["old1", "old2", "old1", "old2"] {
        c.poll(n, None).expect("classic rejoin");
    }
    assert_eq!(view(&c).state, GroupStateView::Stable);
    assert_eq!(owned(&c, "old1").len() + owned(&c, "old2").len(), 4);
}

/// Kafka 4.0 `maybeDeleteEmptyClassicGroup`: an empty classic group is
/// replaced by the consumer group; the committed offsets stay, so the new
/// member starts from them.
#[test]
fn an_empty_classic_group_is_replaced_and_its_offsets_stay() {
    let mut c = cluster(1);
    fill(&mut c, 5);
    c.tick(100).expect("replicate");
    classic(&mut c, "old");
    c.poll("old", None).expect("read");
    c.close_consumer("old").expect("close commits");
    assert_eq!(view(&c).state, GroupStateView::Empty);
    assert_eq!(view(&c).committed, vec![(tp(0), 5)]);
    fill(&mut c, 3);
    c.tick(100).expect("replicate");
    member(&mut c, "new", |_| {});
    let (records, events) = c.poll("new", None).expect("join");
    assert!(events.iter().any(|e| matches!(e, Event::GroupConverted { to: GroupProtocol::Consumer, .. })));
    let offsets: Vec<i64> = records.iter().map(|r| r.offset).collect();
    assert_eq!(offsets, vec![5, 6, 7], "the new member starts at the committed offset");
}

/// The new consumer with auto-commit commits what it consumed before it
/// revokes (`ConsumerMembershipManager.revokePartitions`, Kafka 4.0), so the
/// next owner starts where it stopped.
#[test]
fn auto_commit_runs_before_a_revocation() {
    let mut c = cluster(2);
    member(&mut c, "c1", |cfg| cfg.enable_auto_commit = true);
    c.poll("c1", None).expect("join");
    fill(&mut c, 3);
    c.tick(100).expect("replicate");
    assert_eq!(c.poll("c1", None).expect("read").0.len(), 6);
    member(&mut c, "c2", |_| {});
    c.poll("c2", None).expect("join");
    let events = c.tick(HEARTBEAT).expect("c1 revokes");
    let commit = events.iter().position(|e| matches!(e, Event::OffsetsCommitted { by, auto: true, .. } if by == "c1"));
    let revoke = events.iter().position(|e| matches!(e, Event::PartitionsRevoked { member, .. } if member == "c1"));
    assert!(commit.is_some() && commit < revoke, "{events:?}");
    assert_eq!(view(&c).committed, vec![(tp(0), 3), (tp(1), 3)]);
}

/// `unsubscribe()` (an empty `subscribe`) leaves with epoch -1 in the new
/// consumer too, and `seek()` on a partition it does not hold is an
/// `IllegalStateException` ("No current assignment for partition").
#[test]
fn unsubscribe_leaves_and_seek_needs_an_assignment() {
    let mut c = cluster(2);
    member(&mut c, "c1", |_| {});
    c.poll("c1", None).expect("join");
    assert!(c.seek("c1", &tp(0), SeekTo::Beginning).is_ok());
    c.subscribe("c1", &[]).expect("unsubscribe");
    assert!(view(&c).members.is_empty());
    assert_eq!(view(&c).state, GroupStateView::Empty);
    assert!(matches!(c.seek("c1", &tp(0), SeekTo::Beginning), Err(KafkaError::NoCurrentAssignment { .. })));
}

/// `group.consumer.migration.policy=disabled` (Kafka 4.0,
/// `validateOnlineUpgrade`): a consumer-protocol member cannot join a classic
/// group with members (`GroupIdNotFoundException`); with `upgrade` only, the
/// group converts but stays a consumer group of classic members when the
/// consumer-protocol member leaves.
#[test]
fn the_migration_policy_can_refuse_the_upgrade_or_the_downgrade() {
    for policy in [MigrationPolicy::Disabled, MigrationPolicy::Upgrade] {
        let mut c = Cluster::new(
            ClusterConfig { brokers: 1, group_consumer_migration_policy: policy, ..ClusterConfig::default() },
            7,
        )
        .expect("cluster");
        c.create_topic("t", TopicConfig::new(2, 1)).expect("topic");
        classic(&mut c, "old");
        c.poll("old", None).expect("classic join");
        member(&mut c, "new", |_| {});
        let joined = c.poll("new", None);
        if policy == MigrationPolicy::Disabled {
            assert!(matches!(joined, Err(KafkaError::GroupIdNotFound { .. })), "{joined:?}");
            assert_eq!(view(&c).protocol, GroupProtocol::Classic);
            continue;
        }
        joined.expect("upgrade");
        assert_eq!(view(&c).protocol, GroupProtocol::Consumer);
        c.close_consumer("new").expect("close");
        assert_eq!(view(&c).protocol, GroupProtocol::Consumer, "no downgrade");
        c.poll("old", None).expect("classic member rejoins the consumer group");
        assert_eq!(owned(&c, "old"), vec![0, 1]);
    }
}

/// `c1` with a `ConsumerRebalanceListener` and `max.poll.interval.ms` 10 s
/// owns both partitions; `c2` joins at 6 s, and `c1`'s heartbeat at 10 s
/// brings the revocation of one partition, which its listener must run in
/// the application thread's `poll()` (`ConsumerMembershipManager.invokeOnPartitionsRevokedCallback`
/// enqueues it as a `ConsumerRebalanceListenerCallbackNeededEvent`).
fn revocation_pending() -> Cluster {
    let mut c = cluster(2);
    member(&mut c, "c1", |cfg| {
        cfg.rebalance_listener = true;
        cfg.max_poll_interval_ms = 10_000;
    });
    member(&mut c, "c2", |_| {});
    c.poll("c1", None).expect("join");
    c.tick(HEARTBEAT).expect("settle");
    assert_eq!(owned(&c, "c1"), vec![0, 1]);
    c.tick(1_000).expect("to 6000");
    c.poll("c1", None).expect("poll at 6000");
    c.poll("c2", None).expect("c2 joins at 6000");
    c.tick(4_000).expect("c1's heartbeat at 10000");
    let m = member_view(&c, "c1");
    assert_eq!(m.pending_revocation.len(), 1, "{m:?}");
    assert_eq!(owned(&c, "c1"), vec![0, 1], "the listener has not run yet");
    c
}

/// Kafka 4.0 `GroupMetadataManager.maybeReconcile` schedules the member's
/// rebalance timeout (`consumerGroupRebalanceTimeoutKey`, its
/// `max.poll.interval.ms`) when it enters UNREVOKED_PARTITIONS; if it has
/// not acknowledged the revocation by then it is fenced
/// (`scheduleConsumerGroupRebalanceTimeout` → `consumerGroupFenceMember`)
/// and its partitions go to the others. `c1` crashes before it polls again,
/// so it never revokes: it is fenced at 20 000 (10 s after its heartbeat
/// at 10 000), not before, and well before its 45 s session would end.
#[test]
fn a_member_that_does_not_revoke_in_time_is_fenced_at_its_rebalance_timeout() {
    let mut c = revocation_pending();
    c.crash_consumer("c1").expect("crash");
    c.tick(9_999).expect("to 19999");
    assert!(view(&c).members.iter().any(|m| m.member_id == "c1"), "still a member before the deadline");
    let events = c.tick(1).expect("20000");
    assert!(
        events.iter().any(|e| matches!(
            e,
            Event::MemberRevocationTimedOut { member, rebalance_timeout_ms: 10_000, .. } if member == "c1"
        )),
        "{events:?}"
    );
    assert!(events.iter().any(|e| matches!(
        e,
        Event::MemberLeft { member, reason: RebalanceReason::RevocationTimeout(_), .. } if member == "c1"
    )));
    c.tick(HEARTBEAT).expect("c2's next heartbeat");
    assert_eq!(owned(&c, "c2"), vec![0, 1]);
}

/// The same member polling within its rebalance timeout runs its listener,
/// acknowledges the revocation at once and stays in the group with the
/// partition it keeps; the timeout is cancelled (the member left
/// UNREVOKED_PARTITIONS), so nothing happens at 20 000.
#[test]
fn a_member_that_revokes_in_time_keeps_its_membership() {
    let mut c = revocation_pending();
    c.tick(5_000).expect("to 15000");
    c.poll("c1", None).expect("poll: the listener revokes");
    assert_eq!(owned(&c, "c1").len(), 1);
    assert!(member_view(&c, "c1").pending_revocation.is_empty());
    let events = c.tick(5_000).expect("past 20000");
    assert!(!events.iter().any(|e| matches!(e, Event::MemberRevocationTimedOut { .. })), "{events:?}");
    assert!(view(&c).members.iter().any(|m| m.member_id == "c1"));
    assert_eq!((owned(&c, "c1").len(), owned(&c, "c2").len()), (1, 1));
}

/// A live member that stops polling leaves the group by its own poll timer
/// (`max.poll.interval.ms` from its last poll, at 6 000), which runs out
/// before the revocation's rebalance timeout (the same length, counted from
/// the heartbeat at 10 000): Kafka's timer then finds the member gone.
#[test]
fn a_live_member_that_stops_polling_leaves_by_its_poll_timer_first() {
    let mut c = revocation_pending();
    let events = c.tick(6_001).expect("past 16000");
    assert!(events.iter().any(|e| matches!(
        e,
        Event::MemberLeft { member, reason: RebalanceReason::MaxPollIntervalExceeded(_), .. } if member == "c1"
    )));
    let events = c.tick(5_000).expect("past 20000");
    assert!(!events.iter().any(|e| matches!(e, Event::MemberRevocationTimedOut { .. })), "{events:?}");
}
