//! Consumer groups under the classic protocol as a state machine in time,
//! and offset commits as the coordinator accepts them (Kafka 3.9/4.0:
//! `group-coordinator` `ClassicGroup`, `GroupMetadataManager`,
//! `OffsetMetadataManager`; clients `AbstractCoordinator`, `ConsumerCoordinator`).

use brokerlab_kafka::*;

fn cluster(brokers: u32) -> Cluster {
    Cluster::new(ClusterConfig { brokers, ..ClusterConfig::default() }, 7).expect("cluster")
}

fn consumer(c: &mut Cluster, name: &str, tweak: impl FnOnce(&mut ConsumerConfig)) {
    let mut cfg = ConsumerConfig { auto_offset_reset: OffsetReset::Earliest, ..ConsumerConfig::new("g") };
    tweak(&mut cfg);
    c.create_consumer(name, cfg).expect("consumer");
    c.subscribe(name, &["t".to_string()]).expect("subscribe");
}

fn tp(p: u32) -> TopicPartition {
    TopicPartition::new("t", p)
}

fn fill(c: &mut Cluster, per_partition: u32, partitions: u32) {
    if c.producer_names().is_empty() {
        c.create_producer(
            "p",
            ProducerConfig { acks: Acks::One, enable_idempotence: false, ..ProducerConfig::default() },
        )
        .expect("producer");
    }
    for p in 0..partitions {
        for i in 0..per_partition {
            let rec = ProducerRecord { partition: Some(p), ..ProducerRecord::unkeyed("t", format!("{p}-{i}")) };
            c.produce("p", rec).expect("produce");
        }
    }
    c.tick(100).expect("tick");
}

fn poll_count(c: &mut Cluster, name: &str) -> usize {
    c.poll(name, None).expect("poll").0.len()
}

fn settle(c: &mut Cluster, names: &[&str]) {
    for _ in 0..4 {
        for n in names {
            c.poll(n, None).expect("poll");
        }
    }
}

fn state(c: &Cluster) -> GroupStateView {
    c.group("g").expect("group").state
}

fn assigned(c: &Cluster, name: &str) -> usize {
    c.consumer(name).expect("consumer").assignment.len()
}

/// Audit A4, scenario 4a. `subscribe()` sends nothing; JoinGroup goes out
/// from `poll()` (`ConsumerCoordinator.poll`). A new member moves a Stable
/// group to PreparingRebalance and gets nothing until every known member has
/// rejoined; an eager member revokes everything when it rejoins (`onJoinPrepare`).
#[test]
fn subscribe_is_lazy_and_a_member_joins_on_its_first_poll() {
    let mut c = cluster(1);
    c.create_topic("t", TopicConfig::new(4, 1)).expect("topic");
    consumer(&mut c, "c1", |_| {});
    assert_eq!(c.group("g"), None, "subscribe alone does not join");
    c.poll("c1", None).expect("poll");
    assert_eq!(state(&c), GroupStateView::Stable);
    assert_eq!(assigned(&c, "c1"), 4);

    c.create_consumer("c2", ConsumerConfig::new("g")).expect("consumer");
    let events = c.subscribe("c2", &["t".into()]).expect("subscribe");
    assert!(events.is_empty(), "{events:?}");
    assert_eq!(c.group("g").expect("g").members.len(), 1);

    let events = c.poll("c2", None).expect("poll").1;
    assert!(events.iter().any(|e| matches!(e, Event::MemberJoined { member, .. } if member == "c2")));
    assert_eq!(state(&c), GroupStateView::PreparingRebalance);
    assert_eq!(assigned(&c, "c2"), 0);
    assert_eq!(assigned(&c, "c1"), 4, "c1 has not heard of the rebalance yet");
    assert!(c.consumer("c2").expect("c2").rebalancing, "c2 waits for c1 to rejoin");

    let events = c.poll("c1", None).expect("poll").1;
    let revoked: usize = events
        .iter()
        .filter_map(|e| match e {
            Event::PartitionsRevoked { member, partitions, .. } if member == "c1" => Some(partitions.len()),
            _ => None,
        })
        .sum();
    assert_eq!(revoked, 4, "eager: everything first");
    assert_eq!(state(&c), GroupStateView::Stable);
    assert_eq!(assigned(&c, "c1"), 2);
    assert_eq!(assigned(&c, "c2"), 0, "c2 takes its partitions on its next poll");
    c.poll("c2", None).expect("poll");
    assert_eq!(assigned(&c, "c2"), 2);
    assert_eq!(c.group("g").expect("g").generation, 2);
}

/// Audit A4, scenario 4b. A crashed member stops heartbeating but stays a
/// member until `session.timeout.ms` (45 s) runs out. An eager rebalance
/// started meanwhile waits for it (`hasAllMembersJoined`), so nobody
/// consumes; the generation formed after its session expires leaves it out.
#[test]
fn eager_rebalance_waits_for_a_crashed_members_session_and_nobody_consumes_meanwhile() {
    let mut c = cluster(1);
    c.create_topic("t", TopicConfig::new(4, 1)).expect("topic");
    consumer(&mut c, "c1", |_| {});
    consumer(&mut c, "c2", |_| {});
    settle(&mut c, &["c1", "c2"]);
    assert_eq!(assigned(&c, "c1") + assigned(&c, "c2"), 4);
    c.crash_consumer("c2").expect("crash");
    consumer(&mut c, "c3", |_| {});
    fill(&mut c, 5, 4);
    c.poll("c3", None).expect("poll");
    assert_eq!(state(&c), GroupStateView::PreparingRebalance);
    let mut consumed = 0;
    for _ in 0..44 {
        consumed += poll_count(&mut c, "c1") + poll_count(&mut c, "c3");
        c.tick(1_000).expect("tick");
    }
    assert_eq!(consumed, 0, "stop-the-world: c1 revoked everything and c3 has nothing yet");
    assert_eq!(state(&c), GroupStateView::PreparingRebalance);
    let events = c.tick(2_000).expect("tick");
    assert!(events.iter().any(|e| matches!(
        e,
        Event::MemberLeft { member, reason: RebalanceReason::SessionTimeout(_), .. } if member == "c2"
    )));
    assert!(events.iter().any(|e| matches!(e, Event::RebalanceCompleted { .. })));
    assert_eq!(state(&c), GroupStateView::Stable);
    let g = c.group("g").expect("g");
    assert!(g.members.iter().all(|m| m.member_id != "c2"));
    assert_eq!(poll_count(&mut c, "c1") + poll_count(&mut c, "c3"), 20);
}

/// The cooperative assignor (KIP-429): a member keeps fetching what it owns
/// while the group rebalances, revokes only what moves when it applies the
/// first round, and rejoins at once; the moved partitions are handed over in
/// the second round.
#[test]
fn cooperative_rebalance_keeps_consuming_and_hands_partitions_over_in_a_second_round() {
    let mut c = cluster(1);
    c.create_topic("t", TopicConfig::new(4, 1)).expect("topic");
    consumer(&mut c, "c1", |cfg| cfg.assignor = Assignor::CooperativeSticky);
    c.poll("c1", None).expect("poll");
    fill(&mut c, 2, 4);
    consumer(&mut c, "c2", |cfg| cfg.assignor = Assignor::CooperativeSticky);
    c.poll("c2", None).expect("poll");
    assert_eq!(state(&c), GroupStateView::PreparingRebalance);
    let (records, events) = c.poll("c1", None).expect("poll");
    assert_eq!(records.len(), 4, "c1 still fetches the two partitions it keeps");
    let revoked: Vec<&Event> = events.iter().filter(|e| matches!(e, Event::PartitionsRevoked { .. })).collect();
    assert_eq!(revoked.len(), 1);
    assert!(matches!(revoked[0], Event::PartitionsRevoked { partitions, .. } if partitions.len() == 2));
    assert!(
        events
            .iter()
            .any(|e| matches!(e, Event::RebalanceStarted { reason: RebalanceReason::CooperativeFollowUp, .. }))
    );
    assert_eq!(assigned(&c, "c1"), 2);
    assert_eq!(c.group("g").expect("g").generation, 2);
    let (records, _) = c.poll("c2", None).expect("poll");
    assert_eq!(records.len(), 4, "the second round hands the two partitions to c2");
    assert_eq!(c.group("g").expect("g").generation, 3);
    assert_eq!(state(&c), GroupStateView::Stable);
}

/// Audit A8 (a). A member that stops polling for `max.poll.interval.ms`
/// leaves the group from its heartbeat thread and forgets its generation;
/// `commitSync()` then fails with `CommitFailedException` ("it is likely
/// that the consumer was kicked out of the group"), and its next `poll()`
/// loses its partitions and rejoins as a new member.
#[test]
fn a_member_kicked_out_for_max_poll_interval_fails_its_commit() {
    let mut c = cluster(1);
    c.create_topic("t", TopicConfig::new(1, 1)).expect("topic");
    fill(&mut c, 4, 1);
    consumer(&mut c, "c1", |cfg| cfg.enable_auto_commit = false);
    assert_eq!(poll_count(&mut c, "c1"), 4);
    let events = c.tick(301_000).expect("tick");
    assert!(
        events
            .iter()
            .any(|e| matches!(e, Event::MemberLeft { reason: RebalanceReason::MaxPollIntervalExceeded(_), .. }))
    );
    assert!(matches!(c.commit("c1", None), Err(KafkaError::CommitFailed { .. })));
    assert_eq!(c.group("g").expect("g").committed, Vec::new());
    let events = c.poll("c1", None).expect("poll").1;
    assert!(events.iter().any(|e| matches!(e, Event::PartitionsRevoked { generation: -1, .. })));
    assert!(events.iter().any(|e| matches!(e, Event::MemberJoined { .. })));
}

/// Audit A8 (b). The coordinator validates member and generation only
/// (`ClassicGroup.validateOffsetCommit`): an offset past the high watermark
/// and a partition the member does not own are stored. The next reader
/// meets the bad offset and applies `auto.offset.reset`. A negative offset
/// never leaves the client (`OffsetAndMetadata`: IllegalArgumentException).
#[test]
fn the_coordinator_stores_any_offset_and_the_next_reader_resets() {
    let mut c = cluster(1);
    c.create_topic("t", TopicConfig::new(2, 1)).expect("topic");
    fill(&mut c, 3, 2);
    consumer(&mut c, "c1", |cfg| cfg.enable_auto_commit = false);
    consumer(&mut c, "c2", |cfg| cfg.enable_auto_commit = false);
    settle(&mut c, &["c1", "c2"]);
    let mine = c.consumer("c1").expect("c1").assignment[0].clone();
    let theirs = c.consumer("c2").expect("c2").assignment[0].clone();
    c.commit("c1", Some(vec![(mine.clone(), 99), (theirs.clone(), 1)])).expect("stored as given");
    let committed = c.group("g").expect("g").committed;
    assert!(committed.contains(&(mine.clone(), 99)) && committed.contains(&(theirs, 1)), "{committed:?}");
    assert_eq!(c.commit("c1", Some(vec![(mine.clone(), -1)])), Err(KafkaError::NegativeOffset { offset: -1 }));
    c.close_consumer("c1").expect("close");
    c.close_consumer("c2").expect("close");
    consumer(&mut c, "c3", |_| {});
    let events = c.poll("c3", None).expect("poll").1;
    assert!(events.iter().any(|e| matches!(
        e,
        Event::OffsetReset { invalid: Some(99), partition, offset: 0, strategy: OffsetReset::Earliest, .. } if *partition == mine
    )));
}

/// A commit is accepted while the group prepares a rebalance the member has
/// not rejoined yet (its generation is still the group's); once it has sent
/// JoinGroup the client refuses with the retriable
/// `RebalanceInProgressException` until a poll completes the rebalance.
#[test]
fn a_commit_while_rejoining_fails_with_rebalance_in_progress() {
    let mut c = cluster(1);
    c.create_topic("t", TopicConfig::new(4, 1)).expect("topic");
    fill(&mut c, 1, 4);
    for n in ["c1", "c2"] {
        consumer(&mut c, n, |cfg| cfg.enable_auto_commit = false);
    }
    settle(&mut c, &["c1", "c2"]);
    consumer(&mut c, "c3", |cfg| cfg.enable_auto_commit = false);
    c.poll("c3", None).expect("poll");
    assert_eq!(state(&c), GroupStateView::PreparingRebalance);
    c.commit("c1", None).expect("still generation 2");
    c.poll("c1", None).expect("poll");
    assert_eq!(c.commit("c3", Some(vec![(tp(0), 1)])), Err(KafkaError::RebalanceInProgress { consumer: "c3".into() }));
    c.poll("c2", None).expect("poll");
    assert_eq!(state(&c), GroupStateView::Stable);
    assert_eq!(
        c.commit("c1", Some(vec![(tp(0), 1)])),
        Err(KafkaError::RebalanceInProgress { consumer: "c1".into() }),
        "c1 has not applied generation 3 yet"
    );
    c.poll("c1", None).expect("poll");
    c.commit("c1", Some(vec![(tp(0), 1)])).expect("stable again");
}

/// The coordinator is the leader of the group's `__consumer_offsets`
/// partition, `abs("g".hashCode()) % 50 = 103 % 50 = 3`
/// (`GroupCoordinatorService.partitionFor`). When its broker crashes the
/// next replica leads and loads the group, restarting every member's
/// session timer (`GroupMetadataManager.onLoaded`), so a crashed member is
/// evicted 45 s after the move rather than after its crash. With no live
/// replica left, commits fail.
#[test]
fn the_coordinator_leads_the_groups_offsets_partition_and_moves_when_its_broker_crashes() {
    let mut c = cluster(3);
    c.create_topic("t", TopicConfig::new(2, 1)).expect("topic");
    consumer(&mut c, "c1", |_| {});
    consumer(&mut c, "c2", |_| {});
    settle(&mut c, &["c1", "c2"]);
    let g = c.group("g").expect("g");
    assert_eq!((g.offsets_partition, g.coordinator), (3, Some(0)));
    c.crash_consumer("c2").expect("crash");
    c.tick(30_000).expect("tick");
    let events = c.crash_broker(0).expect("crash");
    assert!(
        events
            .iter()
            .any(|e| matches!(e, Event::CoordinatorMoved { offsets_partition: 3, from: Some(0), to: Some(1), .. }))
    );
    assert_eq!(c.group("g").expect("g").coordinator, Some(1));
    let events = c.tick(40_000).expect("tick");
    assert!(!events.iter().any(|e| matches!(e, Event::MemberLeft { .. })), "45 s since the move have not passed");
    let events = c.tick(6_000).expect("tick");
    assert!(events.iter().any(|e| matches!(e, Event::MemberLeft { reason: RebalanceReason::SessionTimeout(_), .. })));
    c.crash_broker(1).expect("crash");
    c.crash_broker(2).expect("crash");
    assert_eq!(c.group("g").expect("g").coordinator, None);
    assert_eq!(c.commit("c1", Some(vec![(tp(0), 0)])), Err(KafkaError::CoordinatorNotAvailable { group: "g".into() }));
}

/// `unsubscribe()` (an empty subscription) leaves the group (audit A19):
/// the member gives its partitions up and the others rebalance.
#[test]
fn an_empty_subscription_leaves_the_group() {
    let mut c = cluster(1);
    c.create_topic("t", TopicConfig::new(2, 1)).expect("topic");
    consumer(&mut c, "c1", |_| {});
    consumer(&mut c, "c2", |_| {});
    settle(&mut c, &["c1", "c2"]);
    let events = c.subscribe("c2", &[]).expect("unsubscribe");
    assert!(events.iter().any(|e| matches!(e, Event::MemberLeft { member, .. } if member == "c2")));
    assert_eq!(assigned(&c, "c2"), 0);
    c.poll("c1", None).expect("poll");
    assert_eq!(assigned(&c, "c1"), 2);
}

/// The timed parts of a rebalance happen at their own instants: scenario
/// 4b cut into 100 ms ticks or passed in one tick ends the same way.
#[test]
fn a_session_timeout_inside_a_rebalance_falls_at_its_instant_however_time_is_cut() {
    let run = |cut: bool| {
        let mut c = cluster(1);
        c.create_topic("t", TopicConfig::new(4, 1)).expect("topic");
        consumer(&mut c, "c1", |_| {});
        consumer(&mut c, "c2", |_| {});
        settle(&mut c, &["c1", "c2"]);
        c.crash_consumer("c2").expect("crash");
        consumer(&mut c, "c3", |_| {});
        c.poll("c3", None).expect("poll");
        c.poll("c1", None).expect("poll");
        let mut events = Vec::new();
        if cut {
            for _ in 0..600 {
                events.extend(c.tick(100).expect("tick"));
            }
        } else {
            events.extend(c.tick(60_000).expect("tick"));
        }
        let events: Vec<Event> = events.into_iter().filter(|e| !matches!(e, Event::Ticked { .. })).collect();
        (events, c.group("g"))
    };
    assert_eq!(run(true), run(false));
}

/// Auto-commit as the Java client times it (`ConsumerCoordinator`):
/// `maybeAutoCommitOffsetsAsync` in `poll()` once `auto.commit.interval.ms`
/// has passed, committing the positions of earlier polls before this one
/// fetches; a synchronous commit in `onJoinPrepare` before an eager member
/// revokes its partitions; and one in `close()`.
#[test]
fn auto_commit_falls_on_the_interval_on_rejoin_and_on_close() {
    let committed = |events: &[Event]| -> Vec<(i64, bool)> {
        events
            .iter()
            .filter_map(|e| match e {
                Event::OffsetsCommitted { offsets, auto, .. } => Some((offsets[0].1, *auto)),
                _ => None,
            })
            .collect()
    };
    let mut c = cluster(1);
    c.create_topic("t", TopicConfig::new(1, 1)).expect("topic");
    fill(&mut c, 3, 1);
    consumer(&mut c, "c1", |cfg| cfg.auto_commit_interval_ms = 5_000);
    let (records, events) = c.poll("c1", None).expect("poll");
    assert_eq!((records.len(), committed(&events)), (3, vec![]));
    c.tick(4_000).expect("tick");
    fill(&mut c, 2, 1);
    let (records, events) = c.poll("c1", None).expect("poll");
    assert_eq!((records.len(), committed(&events)), (2, vec![]), "4.1 s: the interval has not passed");
    c.tick(1_000).expect("tick");
    let events = c.poll("c1", None).expect("poll").1;
    assert_eq!(committed(&events), vec![(5, true)], "5.1 s: the positions of the earlier polls");
    fill(&mut c, 1, 1);
    c.poll("c1", None).expect("poll");
    consumer(&mut c, "c2", |_| {});
    c.poll("c2", None).expect("poll");
    let events = c.poll("c1", None).expect("poll").1;
    let first_revoke = events.iter().position(|e| matches!(e, Event::PartitionsRevoked { .. }));
    let commit = events.iter().position(|e| matches!(e, Event::OffsetsCommitted { .. }));
    assert_eq!(committed(&events), vec![(6, true)], "onJoinPrepare commits before revoking");
    assert!(commit < first_revoke, "{events:?}");
    settle(&mut c, &["c1", "c2"]);
    fill(&mut c, 1, 1);
    let owner = if c.consumer("c1").expect("c1").assignment.is_empty() { "c2" } else { "c1" };
    assert_eq!(poll_count(&mut c, owner), 1);
    let events = c.close_consumer(owner).expect("close");
    assert_eq!(committed(&events), vec![(7, true)], "close() commits");
}

/// A static member (KIP-345) that stops polling past `max.poll.interval.ms`
/// sends no LeaveGroup but forgets its generation and member id, so its
/// commit fails with `CommitFailedException`; polling again within its
/// session it rejoins under its `group.instance.id` and gets its partitions
/// back without a rebalance.
#[test]
fn a_static_member_past_its_poll_interval_fails_to_commit_then_rejoins_without_a_rebalance() {
    let mut c = cluster(1);
    c.create_topic("t", TopicConfig::new(2, 1)).expect("topic");
    fill(&mut c, 2, 2);
    consumer(&mut c, "c1", |cfg| {
        cfg.group_instance_id = Some("one".into());
        cfg.session_timeout_ms = 400_000;
        cfg.enable_auto_commit = false;
    });
    assert_eq!(poll_count(&mut c, "c1"), 4);
    let generation = c.group("g").expect("g").generation;
    c.tick(301_000).expect("tick");
    assert_eq!(c.group("g").expect("g").members.len(), 1, "no LeaveGroup from a static member");
    assert!(matches!(c.commit("c1", None), Err(KafkaError::CommitFailed { .. })));
    let events = c.poll("c1", None).expect("poll").1;
    assert!(events.iter().any(|e| matches!(e, Event::StaticMemberRejoined { .. })));
    assert!(!events.iter().any(|e| matches!(e, Event::RebalanceStarted { .. })), "{events:?}");
    assert_eq!(c.group("g").expect("g").generation, generation);
    assert_eq!(assigned(&c, "c1"), 2);
    c.commit("c1", None).expect("a member again");
}
