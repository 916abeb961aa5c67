//! Consumers and their groups under the classic protocol, as a state machine
//! in time (Kafka 3.9/4.0 `group-coordinator`: `ClassicGroup`,
//! `GroupMetadataManager`; client: `AbstractCoordinator`, `ConsumerCoordinator`).
//!
//! - `subscribe()` is lazy: a consumer sends JoinGroup from its `poll()`.
//! - A join, a leave or an eviction moves a Stable group to
//!   PreparingRebalance. Every member rejoins on its next `poll()` (it learns
//!   of the rebalance from its heartbeat); the join phase completes when all
//!   known members have rejoined, or when the rebalance timeout (the largest
//!   `max.poll.interval.ms` among the members) runs out, which removes the
//!   dynamic members that did not rejoin (`completeClassicGroupJoin`).
//! - The leader's assignment comes back through SyncGroup at once (the
//!   client chains SyncGroup to the JoinGroup response), so the group is
//!   Stable again at the instant the join phase completes; each member
//!   applies its assignment on its next `poll()` (`onJoinComplete`), or in
//!   the poll whose JoinGroup completed the phase.
//! - Eager assignors revoke everything in `onJoinPrepare`, so an eager
//!   member fetches nothing from its rejoin until it applies the new
//!   assignment. The cooperative assignor keeps what a member owns; a member
//!   that has to give partitions up revokes them when it applies the
//!   assignment and rejoins at once for a second round.
//! - A member that stops polling for `max.poll.interval.ms` leaves the group
//!   (its heartbeat thread sends LeaveGroup; a static member only stops
//!   heartbeating) and forgets its generation, so its later commit fails with
//!   `CommitFailedException`. A crashed member stops heartbeating and is
//!   removed when `session.timeout.ms` runs out; until then a rebalance waits
//!   for it.
//! - The coordinator is the broker leading the group's `__consumer_offsets`
//!   partition, `abs(groupId.hashCode()) % 50`; when that broker crashes,
//!   the partition's next live replica takes over and reloads the group,
//!   restarting every member's session timer (`onLoaded`).

use super::*;
use brokerlab_order::CollectOrdered;

/// `offsets.topic.num.partitions`, default 50.
pub(crate) const OFFSETS_TOPIC_PARTITIONS: u32 = 50;
/// `offsets.topic.replication.factor`, default 3 (fewer on smaller clusters).
const OFFSETS_TOPIC_REPLICATION: usize = 3;

/// The coordinator's state of one classic group, beside [`GroupState`].
#[derive(Debug, Clone)]
pub(crate) struct ClassicGroup {
    pub(crate) phase: GroupStateView,
    /// When the join phase completes at the latest (PreparingRebalance only).
    pub(crate) join_deadline: Option<u64>,
    /// Members that sent JoinGroup in the current join phase.
    pub(crate) joined: BTreeSet<String>,
    /// The broker leading the group's `__consumer_offsets` partition.
    pub(crate) coordinator: Option<u32>,
    /// The initial delayed join of a new group (`InitialDelayedJoin`): the
    /// current delay, the rebalance timeout left to extend into, and whether
    /// a member joined since the delay started.
    pub(crate) initial_delay: Option<(u64, u64, bool)>,
}

/// The next instant after `now` at which a consumer refreshes its metadata:
/// every `metadata.max.age.ms` from its last forced refresh (creation, `subscribe()`).
fn next_refresh(c: &ConsumerState, now: u64) -> u64 {
    let age = c.config.metadata_max_age_ms.max(1);
    let since = now.saturating_sub(c.metadata_refreshed_ms);
    c.metadata_refreshed_ms.saturating_add((since / age).saturating_add(1).saturating_mul(age)).min(time::MAX_TIME)
}

/// Whether `now` is one of a consumer's metadata refreshes.
fn refresh_at(c: &ConsumerState, now: u64) -> bool {
    now > c.metadata_refreshed_ms && (now - c.metadata_refreshed_ms).is_multiple_of(c.config.metadata_max_age_ms.max(1))
}

/// Java's `String.hashCode()`.
fn java_string_hash(s: &str) -> i32 {
    s.encode_utf16().fold(0i32, |h, c| h.wrapping_mul(31).wrapping_add(i32::from(c)))
}

/// The group's `__consumer_offsets` partition: `Utils.abs(groupId.hashCode())
/// % offsets.topic.num.partitions` (`GroupCoordinatorService.partitionFor`).
pub(crate) fn offsets_partition_for(group: &str) -> u32 {
    let h = java_string_hash(group);
    let abs = if h == i32::MIN { 0 } else { h.unsigned_abs() };
    abs % OFFSETS_TOPIC_PARTITIONS
}

impl Cluster {
    /// Creates a consumer; it joins its group on its first `poll()`.
    pub fn create_consumer(&mut self, name: &str, config: ConsumerConfig) -> Result<Vec<Event>, KafkaError> {
        self.run(|c| {
            config.validate()?;
            if c.producers.contains_key(name)
                || c.consumers.get(name).is_some_and(|s| s.status != ConsumerStatus::Closed)
                || c.share_consumer_active(name)
            {
                return Err(KafkaError::DuplicateClient(name.to_string()));
            }
            c.check_consumer_group_id(&config.group_id)?;
            if let Some(g) = c.groups.get(&config.group_id)
                && !g.members.is_empty()
                && g.assignor != config.assignor
                && config.group_protocol == GroupProtocol::Classic
                && !c.modern.contains_key(&config.group_id)
            {
                return Err(KafkaError::InconsistentGroupProtocol { group: config.group_id.clone() });
            }
            if config.group_protocol == GroupProtocol::Consumer
                && let Some(a) = config.group_remote_assignor
                && !c.config.group_consumer_assignors.contains(&a)
            {
                return Err(KafkaError::UnsupportedAssignor {
                    group: config.group_id.clone(),
                    assignor: a.name().to_string(),
                });
            }
            let now = c.now;
            c.consumers.insert(
                name.to_string(),
                ConsumerState {
                    config,
                    subscription: Vec::new(),
                    positions: BTreeMap::new(),
                    status: ConsumerStatus::Active,
                    in_group: false,
                    last_poll_ms: now,
                    last_auto_commit_ms: now,
                    cursor: 0,
                    assigned: Vec::new(),
                    generation: None,
                    joining: false,
                    rejoin_needed: None,
                    next_heartbeat_ms: None,
                    metadata_refreshed_ms: now,
                    joined: None,
                },
            );
            Ok(())
        })
        .map(|(_, e)| e)
    }

    pub(super) fn active_consumer(&self, name: &str) -> Result<&ConsumerState, KafkaError> {
        let c = self.consumers.get(name).ok_or_else(|| KafkaError::UnknownConsumer(name.to_string()))?;
        if c.status != ConsumerStatus::Active {
            return Err(KafkaError::ConsumerClosed(name.to_string()));
        }
        Ok(c)
    }

    /// Subscribes to topics. Nothing is sent: the consumer joins (or, with a
    /// changed subscription, rejoins) on its next `poll()`. An empty list is
    /// `unsubscribe()`: the consumer gives its partitions up and leaves.
    pub fn subscribe(&mut self, consumer: &str, topics: &[String]) -> Result<Vec<Event>, KafkaError> {
        self.run(|c| {
            let allow = c.active_consumer(consumer)?.config.allow_auto_create_topics;
            for t in topics {
                // The metadata request for the new subscription (the classic
                // consumer sends it with its next poll, the consumer
                // protocol's background thread at once). A topic that stays
                // missing is kept in the subscription: the consumer gets
                // nothing from it until it appears.
                c.topic_metadata(t, consumer, allow)?;
            }
            let mut topics: Vec<String> = topics.to_vec();
            brokerlab_order::sort(&mut topics);
            topics.dedup();
            let now = c.now;
            if topics.is_empty() {
                c.leave_group(consumer, false);
                if let Some(s) = c.consumers.get_mut(consumer) {
                    s.subscription.clear();
                }
                return Ok(());
            }
            let Some(state) = c.consumers.get_mut(consumer) else {
                return Err(KafkaError::UnknownConsumer(consumer.to_string()));
            };
            // A consumer-protocol member sends its new subscription with its next heartbeat.
            // A new subscription fetches metadata for its topics at once.
            state.metadata_refreshed_ms = now;
            if state.subscription != topics && state.in_group && state.config.group_protocol == GroupProtocol::Classic {
                state.rejoin_needed = Some(RebalanceReason::SubscriptionChanged(consumer.to_string()));
            }
            state.subscription = topics;
            Ok(())
        })
        .map(|(_, e)| e)
    }

    /// The group's coordinator state, created with the group.
    pub(super) fn classic_entry(&mut self, group: &str) -> &mut ClassicGroup {
        if !self.classic.contains_key(group) {
            let coordinator = self.elect_coordinator(group, None);
            let phase = if self.groups.get(group).is_some_and(|g| !g.members.is_empty()) {
                GroupStateView::Stable
            } else {
                GroupStateView::Empty
            };
            self.classic.insert(
                group.to_string(),
                ClassicGroup { phase, join_deadline: None, joined: BTreeSet::new(), coordinator, initial_delay: None },
            );
        }
        self.classic.get_mut(group).expect("inserted above")
    }

    /// The replicas of a `__consumer_offsets` partition: consecutive brokers
    /// from `partition % brokers`, up to three.
    fn offsets_replicas(&self, partition: u32) -> Vec<u32> {
        let n = self.brokers.len() as u32;
        if n == 0 {
            return Vec::new();
        }
        (0..(OFFSETS_TOPIC_REPLICATION as u32).min(n)).map(|i| (partition + i) % n).collect()
    }

    /// The coordinator a group has: the current one while its broker lives,
    /// otherwise the first live replica of its offsets partition.
    fn elect_coordinator(&self, group: &str, current: Option<u32>) -> Option<u32> {
        if let Some(b) = current
            && self.broker_alive(b)
        {
            return Some(b);
        }
        self.offsets_replicas(offsets_partition_for(group)).into_iter().find(|&b| self.broker_alive(b))
    }

    /// The broker coordinating a group now, if any.
    pub(crate) fn coordinator_of(&self, group: &str) -> Option<u32> {
        match self.classic.get(group) {
            Some(cg) => cg.coordinator,
            None => self.elect_coordinator(group, None),
        }
    }

    /// After a broker crashed or came back: groups whose coordinator died
    /// move to the next live replica of their offsets partition, which loads
    /// them and restarts every member's session timer.
    pub(super) fn move_coordinators(&mut self) {
        let now = self.now;
        let names: Vec<String> = self.classic.keys().cloned().collect();
        for group in names {
            let Some(current) = self.classic.get(&group).map(|cg| cg.coordinator) else { continue };
            let next = self.elect_coordinator(&group, current);
            if next == current {
                continue;
            }
            if let Some(cg) = self.classic.get_mut(&group) {
                cg.coordinator = next;
            }
            if next.is_some()
                && let Some(g) = self.groups.get_mut(&group)
            {
                for ms in g.member_state.values_mut() {
                    ms.last_heartbeat_ms = now;
                }
                // `onLoaded` also schedules a fresh rebalance timeout for
                // every member still revoking.
                if let Some(mg) = self.modern.get_mut(&group) {
                    for (id, mm) in &mut mg.members {
                        if let Some((_, epoch)) = mm.revocation_deadline {
                            let timeout = self.consumers.get(id).map_or(0, |c| c.config.max_poll_interval_ms);
                            mm.revocation_deadline = Some((now.saturating_add(timeout).min(time::MAX_TIME), epoch));
                        }
                    }
                }
            }
            self.emit(Event::CoordinatorMoved {
                offsets_partition: offsets_partition_for(&group),
                group,
                from: current,
                to: next,
            });
        }
    }

    fn set_phase(&mut self, group: &str, to: GroupStateView) {
        let cg = self.classic_entry(group);
        let from = cg.phase;
        if from == to {
            return;
        }
        cg.phase = to;
        if from == GroupStateView::Empty || to == GroupStateView::Empty {
            self.note_group_empty(group, to == GroupStateView::Empty);
        }
        self.emit(Event::GroupStateChanged { group: group.to_string(), from, to });
    }

    fn phase(&self, group: &str) -> GroupStateView {
        self.classic.get(group).map_or(GroupStateView::Empty, |cg| cg.phase)
    }

    /// The group's rebalance timeout: the largest of its members'
    /// (`max.poll.interval.ms` for the Java consumer).
    fn rebalance_timeout(&self, group: &str) -> u64 {
        let Some(g) = self.groups.get(group) else { return 0 };
        g.members.iter().filter_map(|m| self.consumers.get(m)).map(|c| c.config.max_poll_interval_ms).max().unwrap_or(0)
    }

    /// The group enters PreparingRebalance (`prepareRebalance`).
    fn prepare_rebalance(&mut self, group: &str, reason: RebalanceReason) {
        let timeout = self.rebalance_timeout(group);
        let mut deadline = self.now.saturating_add(timeout).min(time::MAX_TIME);
        // A new group waits `group.initial.rebalance.delay.ms` for more
        // members (`prepareRebalance`, `InitialDelayedJoin`).
        let delay = self.config.group_initial_rebalance_delay_ms;
        let initial = (self.phase(group) == GroupStateView::Empty && delay > 0)
            .then(|| (delay, timeout.saturating_sub(delay), false));
        if initial.is_some() {
            deadline = self.now.saturating_add(delay).min(time::MAX_TIME);
        }
        let Some(g) = self.groups.get(group) else { return };
        let (assignor, generation) = (g.assignor, g.generation.saturating_add(1));
        self.set_phase(group, GroupStateView::PreparingRebalance);
        let cg = self.classic_entry(group);
        cg.join_deadline = Some(deadline);
        cg.initial_delay = initial;
        cg.joined.clear();
        self.emit(Event::RebalanceStarted {
            group: group.to_string(),
            generation,
            reason,
            assignor,
            cooperative: assignor.is_cooperative(),
        });
    }

    /// `removeMemberAndUpdateClassicGroup`: a Stable group rebalances; a
    /// group in PreparingRebalance may now have everyone it waits for.
    pub(super) fn after_member_removed(&mut self, group: &str, reason: RebalanceReason) {
        match self.phase(group) {
            GroupStateView::Stable | GroupStateView::CompletingRebalance => {
                self.prepare_rebalance(group, reason);
                self.maybe_complete_join(group);
            }
            GroupStateView::PreparingRebalance => self.maybe_complete_join(group),
            GroupStateView::Empty | GroupStateView::Dead | GroupStateView::Assigning | GroupStateView::Reconciling => {}
        }
    }

    fn maybe_complete_join(&mut self, group: &str) {
        if self.phase(group) != GroupStateView::PreparingRebalance
            || self.classic.get(group).is_some_and(|cg| cg.initial_delay.is_some())
        {
            return;
        }
        let all = match (self.groups.get(group), self.classic.get(group)) {
            (Some(g), Some(cg)) => g.members.iter().all(|m| cg.joined.contains(m)),
            _ => false,
        };
        if all {
            self.complete_join(group);
        }
    }

    /// `completeClassicGroupJoin`: dynamic members that did not rejoin are
    /// removed, the generation goes up, the leader's assignment is synced,
    /// and the group is Stable (or Empty without members).
    fn complete_join(&mut self, group: &str) {
        let joined = self.classic.get(group).map(|cg| cg.joined.clone()).unwrap_or_default();
        let stragglers: Vec<String> = self
            .groups
            .get(group)
            .map(|g| {
                g.members
                    .iter()
                    .filter(|m| !joined.contains(*m))
                    .filter(|m| g.member_state.get(*m).is_some_and(|ms| ms.instance_id.is_none()))
                    .cloned()
                    .collect()
            })
            .unwrap_or_default();
        for m in stragglers {
            self.drop_member(group, &m, RebalanceReason::RebalanceTimeout(m.clone()));
        }
        let Some(g) = self.groups.get_mut(group) else { return };
        if !g.members.is_empty() && joined.is_empty() {
            // Only static members that have not rejoined are left: wait
            // another rebalance timeout for their sessions to run out.
            let deadline = self.now.saturating_add(self.rebalance_timeout(group)).min(time::MAX_TIME);
            self.classic_entry(group).join_deadline = Some(deadline);
            return;
        }
        g.generation = g.generation.saturating_add(1);
        let generation = g.generation;
        let members = g.members.clone();
        let assignor = g.assignor;
        if let Some(cg) = self.classic.get_mut(group) {
            cg.join_deadline = None;
            cg.initial_delay = None;
            cg.joined.clear();
        }
        if members.is_empty() {
            if let Some(g) = self.groups.get_mut(group) {
                g.assignment.clear();
            }
            self.set_phase(group, GroupStateView::Empty);
            self.emit(Event::RebalanceCompleted { group: group.to_string(), generation, assignment: Vec::new() });
            return;
        }
        self.set_phase(group, GroupStateView::CompletingRebalance);
        let counts: BTreeMap<String, u32> =
            self.topics.iter().map(|(n, t)| (n.clone(), t.partitions.len() as u32)).collect_map();
        let Some(g) = self.groups.get(group) else { return };
        let subscriptions: Vec<MemberSubscription> = members
            .iter()
            .map(|m| {
                let ms = g.member_state.get(m);
                MemberSubscription {
                    member_id: m.clone(),
                    group_instance_id: ms.and_then(|ms| ms.instance_id.clone()),
                    topics: self.consumers.get(m).map(|c| c.subscription.clone()).unwrap_or_default(),
                    owned_partitions: g.assignment.get(m).cloned().unwrap_or_default(),
                    generation: ms.map(|ms| ms.owned_generation).filter(|&x| x >= 0),
                }
            })
            .collect();
        let outcome = assignor::assign(assignor, &counts, &subscriptions);
        let Some(g) = self.groups.get_mut(group) else { return };
        g.assignment = outcome.assignment.clone();
        for m in &members {
            if let Some(ms) = g.member_state.get_mut(m) {
                ms.owned_generation = generation;
            }
        }
        g.partition_counts = members
            .iter()
            .flat_map(|m| self.consumers.get(m).map(|c| c.subscription.clone()).unwrap_or_default())
            .map(|t| {
                let n = counts.get(&t).copied().unwrap_or(0);
                (t, n)
            })
            .collect_map();
        self.emit(Event::RebalanceCompleted {
            group: group.to_string(),
            generation,
            assignment: outcome.assignment.into_iter().collect(),
        });
        self.set_phase(group, GroupStateView::Stable);
    }

    /// Removes a member from the coordinator's view without starting a
    /// rebalance; the client, if it still runs, learns of it from its next
    /// heartbeat and forgets its generation.
    fn drop_member(&mut self, group: &str, member: &str, reason: RebalanceReason) {
        let Some(g) = self.groups.get_mut(group) else { return };
        g.members.retain(|m| m != member);
        g.member_state.remove(member);
        g.assignment.remove(member);
        if let Some(cg) = self.classic.get_mut(group) {
            cg.joined.remove(member);
        }
        if let Some(c) = self.consumers.get_mut(member)
            && c.config.group_id == group
        {
            c.in_group = false;
            c.generation = None;
            c.joining = false;
        }
        self.emit(Event::MemberLeft { group: group.to_string(), member: member.to_string(), reason });
    }

    pub(super) fn remove_member(&mut self, group: &str, member: &str, reason: RebalanceReason) {
        if self.modern.contains_key(group) {
            self.modern_remove_member(group, member, reason);
            return;
        }
        self.drop_member(group, member, reason.clone());
        self.after_member_removed(group, reason);
    }

    /// Whether the consumer must send JoinGroup in this poll.
    fn needs_join(&self, consumer: &str) -> bool {
        let Some(c) = self.consumers.get(consumer) else { return false };
        if c.subscription.is_empty() {
            return false;
        }
        if !c.in_group || c.rejoin_needed.is_some() {
            return true;
        }
        let group = &c.config.group_id;
        let Some(cg) = self.classic.get(group) else { return true };
        if cg.phase == GroupStateView::PreparingRebalance && !cg.joined.contains(consumer) {
            return true;
        }
        // A member left behind by a generation it was not part of rejoins
        // (its heartbeat gets ILLEGAL_GENERATION).
        let current = self.groups.get(group).map_or(0, |g| g.generation);
        !c.joining && c.generation.is_some_and(|g| g != current)
    }

    /// The group side of `poll()` (`ConsumerCoordinator.poll`): apply a
    /// completed rebalance, rejoin if needed, apply again if that join
    /// completed the phase, then auto-commit when its interval has passed.
    pub(super) fn poll_group(&mut self, consumer: &str) -> Result<(), KafkaError> {
        let Some(c) = self.consumers.get(consumer) else { return Ok(()) };
        let group = c.config.group_id.clone();
        let consumer_protocol = c.config.group_protocol == GroupProtocol::Consumer;
        if !c.subscription.is_empty() {
            if self.classic_entry(&group).coordinator.is_none() {
                return Ok(());
            }
            let modern = self.modern.contains_key(&group);
            let empty = self.groups.get(&group).is_none_or(|g| g.members.is_empty());
            if consumer_protocol || (modern && !empty) {
                self.poll_modern(consumer)?;
                self.maybe_auto_commit(consumer);
                return Ok(());
            }
            if modern {
                // A classic JoinGroup to an empty consumer group: it becomes a classic group.
                self.replace_empty_group(&group, GroupProtocol::Classic);
            }
            self.apply_assignment(consumer);
            // A cooperative member that revoked partitions rejoins at once,
            // in the same poll; two rounds are the most one poll can take.
            for _ in 0..2 {
                if !self.needs_join(consumer) {
                    break;
                }
                self.join_prepare(consumer);
                self.send_join(consumer);
                self.apply_assignment(consumer);
            }
        }
        self.maybe_auto_commit(consumer);
        Ok(())
    }

    /// `maybeAutoCommitOffsetsAsync`: once `auto.commit.interval.ms` has
    /// passed since the last auto-commit, the positions from earlier polls
    /// are committed and the timer restarts, whether the commit is accepted or not.
    pub(super) fn maybe_auto_commit(&mut self, consumer: &str) {
        let now = self.now;
        let Some(c) = self.consumers.get(consumer) else { return };
        if !c.config.enable_auto_commit || now.saturating_sub(c.last_auto_commit_ms) < c.config.auto_commit_interval_ms
        {
            return;
        }
        self.commit_positions(consumer, true);
        if let Some(entry) = self.consumers.get_mut(consumer) {
            entry.last_auto_commit_ms = now;
        }
    }

    /// `onJoinPrepare`: commit (with auto-commit) while the generation is
    /// valid, then give partitions up: all of them under an eager assignor,
    /// or after losing the generation; under the cooperative one only the
    /// partitions of topics no longer subscribed.
    fn join_prepare(&mut self, consumer: &str) {
        let Some(c) = self.consumers.get(consumer) else { return };
        let group = c.config.group_id.clone();
        let valid = c.generation.is_some() && !c.joining;
        if valid && c.config.enable_auto_commit {
            self.commit_positions(consumer, true);
        }
        let Some(c) = self.consumers.get(consumer) else { return };
        let cooperative = self.groups.get(&group).is_some_and(|g| g.assignor.is_cooperative())
            || (!c.in_group && c.config.assignor.is_cooperative());
        let revoked: Vec<TopicPartition> = if cooperative && valid {
            c.assigned.iter().filter(|tp| !c.subscription.contains(&tp.topic)).cloned().collect()
        } else {
            c.assigned.clone()
        };
        let generation = c.generation.unwrap_or(-1);
        self.revoke(&group, consumer, generation, revoked);
    }

    pub(super) fn revoke(&mut self, group: &str, consumer: &str, generation: i32, revoked: Vec<TopicPartition>) {
        if revoked.is_empty() {
            return;
        }
        if let Some(c) = self.consumers.get_mut(consumer) {
            c.assigned.retain(|tp| !revoked.contains(tp));
            for tp in &revoked {
                c.positions.remove(tp);
            }
        }
        self.emit(Event::PartitionsRevoked {
            group: group.to_string(),
            generation,
            member: consumer.to_string(),
            partitions: revoked,
        });
    }

    /// JoinGroup reaches the coordinator.
    fn send_join(&mut self, consumer: &str) {
        let now = self.now;
        let Some(c) = self.consumers.get(consumer) else { return };
        let cfg = c.config.clone();
        let group = cfg.group_id.clone();
        let new_member = !c.in_group;
        let rejoin_reason = c.rejoin_needed.clone();
        if !self.groups.contains_key(&group) {
            self.groups.insert(
                group.clone(),
                GroupState {
                    assignor: cfg.assignor,
                    generation: 0,
                    members: Vec::new(),
                    member_state: BTreeMap::new(),
                    assignment: BTreeMap::new(),
                    committed: BTreeMap::new(),
                    partition_counts: BTreeMap::new(),
                },
            );
        }
        self.classic_entry(&group);
        if let Some(entry) = self.consumers.get_mut(consumer) {
            entry.in_group = true;
            entry.rejoin_needed = None;
        }
        if new_member {
            if let Some(instance) = &cfg.group_instance_id
                && self.rejoin_static(consumer, &group, instance)
            {
                return;
            }
            let Some(g) = self.groups.get_mut(&group) else { return };
            if g.members.is_empty() {
                g.assignor = cfg.assignor;
            }
            // A closed static member keeps its membership until its session
            // times out; a new consumer by the same name, with another
            // instance id or none, is a new member, so the stale entry goes first.
            if g.members.iter().any(|m| m == consumer) {
                g.members.retain(|m| m != consumer);
                g.member_state.remove(consumer);
                g.assignment.remove(consumer);
            }
            g.members.push(consumer.to_string());
            g.member_state.insert(
                consumer.to_string(),
                MemberState {
                    instance_id: cfg.group_instance_id.clone(),
                    last_heartbeat_ms: now,
                    session_timeout_ms: cfg.session_timeout_ms,
                    owned_generation: -1,
                },
            );
            self.emit(Event::MemberJoined {
                group: group.clone(),
                member: consumer.to_string(),
                group_instance_id: cfg.group_instance_id.clone(),
            });
            if let Some((_, _, added)) = self.classic.get_mut(&group).and_then(|cg| cg.initial_delay.as_mut()) {
                *added = true;
            }
        }
        if let Some(entry) = self.consumers.get_mut(consumer) {
            entry.joining = true;
        }
        if self.phase(&group) != GroupStateView::PreparingRebalance {
            let reason = match rejoin_reason {
                Some(r) if !new_member => r,
                _ => RebalanceReason::MemberJoined(consumer.to_string()),
            };
            self.prepare_rebalance(&group, reason);
        }
        self.classic_entry(&group).joined.insert(consumer.to_string());
        self.maybe_complete_join(&group);
    }

    /// A static member that comes back before its session times out takes
    /// over its old membership and partitions without a rebalance, unless
    /// its subscription changed (`updateStaticMemberAndRebalance`).
    fn rejoin_static(&mut self, consumer: &str, group: &str, instance: &str) -> bool {
        let now = self.now;
        let Some(cfg) = self.consumers.get(consumer).map(|c| c.config.clone()) else { return false };
        let subscription = self.consumers.get(consumer).map(|c| c.subscription.clone()).unwrap_or_default();
        let Some(g) = self.groups.get_mut(group) else { return false };
        let held = g
            .members
            .iter()
            .position(|m| g.member_state.get(m).is_some_and(|ms| ms.instance_id.as_deref() == Some(instance)));
        let Some(idx) = held else { return false };
        let Some(old) = g.members.get(idx).cloned() else { return false };
        let Some(mut ms) = g.member_state.remove(&old) else { return false };
        let same_subscription = self.consumers.get(&old).is_some_and(|o| o.subscription == subscription);
        g.members[idx] = consumer.to_string();
        ms.last_heartbeat_ms = now;
        ms.session_timeout_ms = cfg.session_timeout_ms;
        g.member_state.insert(consumer.to_string(), ms);
        let owned = g.assignment.remove(&old).unwrap_or_default();
        g.assignment.insert(consumer.to_string(), owned.clone());
        let generation = g.generation;
        if old != consumer
            && let Some(o) = self.consumers.get_mut(&old)
        {
            o.in_group = false;
            o.generation = None;
            o.joining = false;
        }
        if let Some(cg) = self.classic.get_mut(group)
            && cg.joined.remove(&old)
        {
            cg.joined.insert(consumer.to_string());
        }
        let mut added = Vec::new();
        if let Some(c) = self.consumers.get_mut(consumer) {
            added = owned.iter().filter(|tp| !c.assigned.contains(tp)).cloned().collect();
            for tp in &added {
                c.positions.remove(tp);
            }
            c.assigned = owned;
            c.generation = Some(generation);
            c.joined = Some((generation, consumer.to_string()));
            c.joining = false;
        }
        self.emit(Event::StaticMemberRejoined {
            group: group.to_string(),
            member: consumer.to_string(),
            replaced: old,
            group_instance_id: instance.to_string(),
        });
        if !added.is_empty() {
            self.emit(Event::PartitionsAssigned {
                group: group.to_string(),
                generation,
                member: consumer.to_string(),
                partitions: added,
            });
        }
        if !same_subscription || self.phase(group) == GroupStateView::PreparingRebalance {
            if let Some(c) = self.consumers.get_mut(consumer) {
                c.joining = true;
            }
            if self.phase(group) != GroupStateView::PreparingRebalance {
                self.prepare_rebalance(group, RebalanceReason::SubscriptionChanged(consumer.to_string()));
            }
            self.classic_entry(group).joined.insert(consumer.to_string());
            self.maybe_complete_join(group);
        }
        true
    }

    /// `onJoinComplete`: once the group is Stable in a generation this
    /// member is part of, it takes its assignment. A cooperative member
    /// revokes what it no longer has and, if it revoked anything, rejoins.
    fn apply_assignment(&mut self, consumer: &str) {
        let Some(c) = self.consumers.get(consumer) else { return };
        if !c.joining || !c.in_group {
            return;
        }
        let group = c.config.group_id.clone();
        if self.phase(&group) != GroupStateView::Stable {
            return;
        }
        let Some(g) = self.groups.get(&group) else { return };
        let generation = g.generation;
        if g.member_state.get(consumer).is_none_or(|ms| ms.owned_generation != generation) {
            return;
        }
        let cooperative = g.assignor.is_cooperative();
        let new = g.assignment.get(consumer).cloned().unwrap_or_default();
        let revoked: Vec<TopicPartition> = c.assigned.iter().filter(|tp| !new.contains(tp)).cloned().collect();
        let added: Vec<TopicPartition> = new.iter().filter(|tp| !c.assigned.contains(tp)).cloned().collect();
        self.revoke(&group, consumer, generation, revoked.clone());
        if let Some(c) = self.consumers.get_mut(consumer) {
            for tp in &added {
                c.positions.remove(tp);
            }
            c.assigned = new;
            c.generation = Some(generation);
            c.joined = Some((generation, consumer.to_string()));
            c.joining = false;
            if cooperative && !revoked.is_empty() {
                c.rejoin_needed = Some(RebalanceReason::CooperativeFollowUp);
            }
        }
        if !added.is_empty() {
            self.emit(Event::PartitionsAssigned {
                group: group.clone(),
                generation,
                member: consumer.to_string(),
                partitions: added,
            });
        }
    }

    /// Commits the client's positions for the partitions it holds, if the
    /// coordinator accepts them now (auto-commit and the commits in
    /// `onJoinPrepare` and `close()`); a refused one is dropped, as the
    /// client only logs a failed auto-commit.
    pub(super) fn commit_positions(&mut self, consumer: &str, auto: bool) {
        let Some(c) = self.consumers.get(consumer) else { return };
        let offsets: Vec<(TopicPartition, i64)> =
            c.assigned.iter().filter_map(|tp| c.positions.get(tp).map(|o| (tp.clone(), *o))).collect();
        if offsets.is_empty() || self.check_commit(consumer).is_err() {
            return;
        }
        let group = c.config.group_id.clone();
        let Some(g) = self.groups.get_mut(&group) else { return };
        let mut changed = Vec::new();
        for (tp, o) in offsets {
            if g.committed.get(&tp) != Some(&o) {
                g.committed.insert(tp.clone(), o);
                changed.push((tp, o));
            }
        }
        if !changed.is_empty() {
            self.emit(Event::OffsetsCommitted { group, by: consumer.to_string(), offsets: changed, auto });
        }
    }

    /// Whether a group-managed consumer's OffsetCommit goes through: the
    /// client's checks (`ConsumerCoordinator.sendOffsetCommitRequest`: a
    /// generation only while stable) and the coordinator's
    /// (`ClassicGroup.validateOffsetCommit`: member id and generation, no
    /// commits while CompletingRebalance). Offsets themselves are never
    /// checked against the log or the assignment.
    pub(super) fn check_commit(&self, consumer: &str) -> Result<(), KafkaError> {
        let c = self.consumers.get(consumer).ok_or_else(|| KafkaError::UnknownConsumer(consumer.to_string()))?;
        let group = &c.config.group_id;
        if self.coordinator_of(group).is_none() {
            return Err(KafkaError::CoordinatorNotAvailable { group: group.clone() });
        }
        if c.subscription.is_empty() && !c.in_group {
            // Not using group management: generation -1 is accepted only
            // while the group is empty.
            return match self.groups.get(group) {
                Some(g) if !g.members.is_empty() => Err(KafkaError::CommitFailed {
                    consumer: consumer.to_string(),
                    reason: format!(
                        "group {group} has active members and this consumer is not one (UNKNOWN_MEMBER_ID)"
                    ),
                }),
                _ => Ok(()),
            };
        }
        if let Some(mg) = self.modern.get(group) {
            // `ConsumerGroup.validateOffsetCommit`: a known member at its current member epoch.
            let Some(mm) = mg.members.get(consumer).filter(|_| c.in_group) else {
                return Err(KafkaError::CommitFailed {
                    consumer: consumer.to_string(),
                    reason: "the coordinator does not know this member (UNKNOWN_MEMBER_ID); it is likely that the \
                             consumer left the group or was removed from it"
                        .to_string(),
                });
            };
            if c.generation != Some(mm.epoch) {
                return Err(KafkaError::CommitFailed {
                    consumer: consumer.to_string(),
                    reason: format!("member epoch {:?} is stale (STALE_MEMBER_EPOCH)", c.generation),
                });
            }
            return Ok(());
        }
        if c.joining {
            return Err(KafkaError::RebalanceInProgress { consumer: consumer.to_string() });
        }
        let Some(generation) = c.generation else {
            return Err(KafkaError::CommitFailed {
                consumer: consumer.to_string(),
                reason: "the consumer is not part of an active group for auto partition assignment; it is likely \
                         that the consumer was kicked out of the group"
                    .to_string(),
            });
        };
        let g = self.groups.get(group);
        if !c.in_group || g.is_none_or(|g| !g.members.iter().any(|m| m == consumer)) {
            return Err(KafkaError::CommitFailed {
                consumer: consumer.to_string(),
                reason: "the coordinator does not know this member (UNKNOWN_MEMBER_ID)".to_string(),
            });
        }
        if g.is_none_or(|g| g.generation != generation) {
            return Err(KafkaError::CommitFailed {
                consumer: consumer.to_string(),
                reason: format!("generation {generation} is not the group's current one (ILLEGAL_GENERATION)"),
            });
        }
        if self.phase(group) == GroupStateView::CompletingRebalance {
            return Err(KafkaError::RebalanceInProgress { consumer: consumer.to_string() });
        }
        Ok(())
    }

    /// `KafkaConsumer.groupMetadata()`: the group, and the generation (member
    /// epoch) and member id of the consumer's last completed join. The
    /// classic client sets them in `onJoinComplete` and keeps them when it
    /// leaves or is kicked out (`ConsumerCoordinator.groupMetadata`); the
    /// consumer-protocol client follows each new member epoch and keeps the
    /// last one when it leaves (`AsyncKafkaConsumer.updateGroupMetadata`).
    /// So a consumer rebalanced away still hands out its old metadata until
    /// it rejoins, and a transaction that sends it is fenced.
    pub fn consumer_group_metadata(&self, consumer: &str) -> Result<ConsumerGroupMetadata, KafkaError> {
        let c = self.active_consumer(consumer)?;
        let (generation_id, member_id) = c.joined.clone().unwrap_or((-1, String::new()));
        Ok(ConsumerGroupMetadata {
            group_id: c.config.group_id.clone(),
            generation_id,
            member_id,
            group_instance_id: c.config.group_instance_id.clone(),
        })
    }

    /// The group coordinator's check of a TxnOffsetCommit (KIP-447; Kafka 4.0
    /// `OffsetMetadataManager.validateTransactionalOffsetCommit`):
    ///
    /// - no group: accepted with generation -1 (a simple group), else
    ///   `ILLEGAL_GENERATION`;
    /// - a classic group (`ClassicGroup.validateOffsetCommit` with
    ///   `isTransactional`): generation -1, no member id and no instance id
    ///   are accepted in any state; otherwise the instance id must belong to
    ///   the member (`FENCED_INSTANCE_ID`, or `UNKNOWN_MEMBER_ID` when nobody
    ///   holds it), the member must be in the group (`UNKNOWN_MEMBER_ID`)
    ///   and the generation must be the group's (`ILLEGAL_GENERATION`); the
    ///   group's state does not matter;
    /// - a consumer group (`ConsumerGroup.validateOffsetCommit`): an empty
    ///   group accepts epoch -1, and so does any group when no member id or
    ///   instance id comes with it (KAFKA-18060, fixed in Kafka 4.0.0: the
    ///   October 2024 trunk refused it as `UNKNOWN_MEMBER_ID`); otherwise
    ///   the member must be in the group (`UNKNOWN_MEMBER_ID`) at that
    ///   member epoch (`STALE_MEMBER_EPOCH`, which the transactional path
    ///   turns into `ILLEGAL_GENERATION`).
    ///
    /// The producer maps `UNKNOWN_MEMBER_ID` and `ILLEGAL_GENERATION` to
    /// `CommitFailedException` (`TxnOffsetCommitHandler.handleResponse`).
    pub(super) fn validate_txn_offset_commit(
        &self,
        producer: &str,
        md: &ConsumerGroupMetadata,
    ) -> Result<(), KafkaError> {
        let group = md.group_id.as_str();
        let refuse = |error: &str, reason: String| KafkaError::TxnOffsetCommitFailed {
            producer: producer.to_string(),
            group: group.to_string(),
            error: error.to_string(),
            reason,
        };
        let unknown = || refuse("UNKNOWN_MEMBER_ID", format!("member {:?} is not a member of the group", md.member_id));
        let Some(g) = self.groups.get(group) else {
            return if md.generation_id < 0 {
                Ok(())
            } else {
                Err(refuse("ILLEGAL_GENERATION", format!("group {group} does not exist")))
            };
        };
        let anonymous = md.generation_id < 0 && md.member_id.is_empty() && md.group_instance_id.is_none();
        if let Some(mg) = self.modern.get(group) {
            if (md.generation_id < 0 && mg.members.is_empty()) || anonymous {
                return Ok(());
            }
            let Some(mm) = mg.members.get(&md.member_id) else { return Err(unknown()) };
            // A static member that left has epoch -2 at the coordinator.
            let epoch = if mm.left_static { -2 } else { mm.epoch };
            if epoch != md.generation_id {
                return Err(refuse(
                    "ILLEGAL_GENERATION",
                    format!("the received member epoch {} is not the member's epoch {epoch}", md.generation_id),
                ));
            }
            return Ok(());
        }
        if anonymous || (md.generation_id < 0 && g.members.is_empty()) {
            return Ok(());
        }
        if let Some(instance) = &md.group_instance_id {
            let holder = g
                .members
                .iter()
                .find(|m| g.member_state.get(*m).is_some_and(|ms| ms.instance_id.as_ref() == Some(instance)));
            match holder {
                None => return Err(unknown()),
                Some(m) if *m != md.member_id => {
                    return Err(KafkaError::FencedInstanceId {
                        group: group.to_string(),
                        group_instance_id: instance.clone(),
                    });
                }
                Some(_) => {}
            }
        }
        if !g.members.contains(&md.member_id) {
            return Err(unknown());
        }
        if md.generation_id != g.generation {
            return Err(refuse(
                "ILLEGAL_GENERATION",
                format!("generation {} is not the group's current generation {}", md.generation_id, g.generation),
            ));
        }
        Ok(())
    }

    /// The consumer gives up its partitions and, if dynamic, sends LeaveGroup
    /// (`onLeavePrepare` and `maybeLeaveGroup`, on `close()` and `unsubscribe()`).
    fn leave_group(&mut self, consumer: &str, closing: bool) {
        if self.uses_consumer_protocol(consumer) {
            let reason = RebalanceReason::MemberLeft(consumer.to_string());
            self.consumer_leave(consumer, reason);
            return;
        }
        let Some(c) = self.consumers.get(consumer) else { return };
        let group = c.config.group_id.clone();
        let is_static = c.config.group_instance_id.is_some();
        let in_group = c.in_group;
        let generation = c.generation.unwrap_or(-1);
        let held = c.assigned.clone();
        self.revoke(&group, consumer, generation, held);
        if let Some(c) = self.consumers.get_mut(consumer) {
            c.generation = None;
            c.joining = false;
            c.rejoin_needed = None;
        }
        // Static members do not send LeaveGroup: the coordinator keeps
        // their partitions until the session times out.
        if in_group && !is_static {
            self.remove_member(&group, consumer, RebalanceReason::MemberLeft(consumer.to_string()));
        } else if in_group && !closing {
            // A static member that unsubscribes stays a member in the
            // coordinator's eyes until its session runs out.
            if let Some(c) = self.consumers.get_mut(consumer) {
                c.in_group = false;
            }
            self.stop_heartbeat(consumer);
        }
    }

    /// Closes a consumer cleanly: auto-commit, then leave the group.
    pub fn close_consumer(&mut self, consumer: &str) -> Result<Vec<Event>, KafkaError> {
        self.run(|c| {
            let state = c.active_consumer(consumer)?;
            if state.config.enable_auto_commit && state.in_group {
                c.commit_positions(consumer, true);
            }
            if !c.uses_consumer_protocol(consumer) {
                c.stop_heartbeat(consumer);
            }
            c.leave_group(consumer, true);
            if let Some(entry) = c.consumers.get_mut(consumer) {
                entry.status = ConsumerStatus::Closed;
                entry.in_group = false;
            }
            Ok(())
        })
        .map(|(_, e)| e)
    }

    /// The member's last heartbeat, as its consumer stops: now, or when its
    /// poll interval ran out if that was earlier.
    pub(super) fn stop_heartbeat(&mut self, consumer: &str) {
        let Some(c) = self.consumers.get(consumer) else { return };
        let until = self.now.min(c.last_poll_ms.saturating_add(c.config.max_poll_interval_ms));
        if let Some(ms) = self.groups.get_mut(&c.config.group_id).and_then(|g| g.member_state.get_mut(consumer)) {
            ms.last_heartbeat_ms = ms.last_heartbeat_ms.max(until);
        }
    }

    /// Kills a consumer process: nothing is committed and nobody is told.
    pub fn crash_consumer(&mut self, consumer: &str) -> Result<Vec<Event>, KafkaError> {
        self.run(|c| {
            c.active_consumer(consumer)?;
            // A consumer-protocol member's session counts from its last
            // heartbeat; a classic one's heartbeat thread ran until now.
            if !c.uses_consumer_protocol(consumer) {
                c.stop_heartbeat(consumer);
            }
            if let Some(entry) = c.consumers.get_mut(consumer) {
                entry.status = ConsumerStatus::Crashed;
                entry.next_heartbeat_ms = None;
            }
            Ok(())
        })
        .map(|(_, e)| e)
    }

    /// The coordinator's timers at instant `now`, and the clients' poll timers.
    pub(super) fn step_groups(&mut self) {
        let now = self.now;
        let names: Vec<String> = self.groups.keys().cloned().collect();
        for group in names {
            // Without a coordinator no timer runs.
            if self.classic.get(&group).is_some_and(|cg| cg.coordinator.is_none()) {
                continue;
            }
            if self.modern.contains_key(&group) {
                self.step_modern(&group);
                continue;
            }
            let members = self.groups.get(&group).map(|g| g.members.clone()).unwrap_or_default();
            for m in members {
                let Some(c) = self.consumers.get(&m) else {
                    continue;
                };
                let (status, last_poll, max_poll, is_static) =
                    (c.status, c.last_poll_ms, c.config.max_poll_interval_ms, c.config.group_instance_id.is_some());
                let Some(ms) = self.groups.get_mut(&group).and_then(|g| g.member_state.get_mut(&m)) else {
                    continue;
                };
                // The background heartbeat thread keeps a live member in the
                // group until it stops polling for too long: its last
                // heartbeat is now, or when its poll interval ran out.
                let polling = now.saturating_sub(last_poll) <= max_poll;
                if status == ConsumerStatus::Active {
                    let until = now.min(last_poll.saturating_add(max_poll));
                    ms.last_heartbeat_ms = ms.last_heartbeat_ms.max(until);
                }
                if status == ConsumerStatus::Active && polling {
                    continue;
                }
                if status == ConsumerStatus::Active && !polling {
                    // "consumer poll timeout has expired": the client
                    // forgets its generation; a dynamic member also leaves.
                    // A static member's id is reset too: its next poll
                    // rejoins under its instance id (KIP-345).
                    if let Some(c) = self.consumers.get_mut(&m) {
                        c.generation = None;
                        c.joining = false;
                        c.in_group = false;
                    }
                    if !is_static {
                        self.remove_member(&group, &m, RebalanceReason::MaxPollIntervalExceeded(m.clone()));
                        continue;
                    }
                }
                let Some(ms) = self.groups.get(&group).and_then(|g| g.member_state.get(&m)) else { continue };
                if now.saturating_sub(ms.last_heartbeat_ms) > ms.session_timeout_ms {
                    self.remove_member(&group, &m, RebalanceReason::SessionTimeout(m.clone()));
                }
            }
            if self.phase(&group) == GroupStateView::PreparingRebalance
                && self.classic.get(&group).and_then(|cg| cg.join_deadline).is_some_and(|d| d <= now)
            {
                // `tryCompleteInitialRebalanceElseSchedule`: a newcomer during
                // the initial delay extends it, up to the rebalance timeout.
                let initial = self.classic.get(&group).and_then(|cg| cg.initial_delay);
                match initial {
                    Some((delay, remaining, true)) if remaining > 0 => {
                        let next = self.config.group_initial_rebalance_delay_ms.min(remaining);
                        if let Some(cg) = self.classic.get_mut(&group) {
                            cg.join_deadline = Some(now.saturating_add(next).min(time::MAX_TIME));
                            cg.initial_delay = Some((next, remaining.saturating_sub(delay), false));
                        }
                    }
                    _ => {
                        if let Some(cg) = self.classic.get_mut(&group) {
                            cg.initial_delay = None;
                        }
                        self.complete_join(&group);
                    }
                }
            }
            // The leader notices partitions added to a subscribed topic at
            // its next metadata refresh (`metadata.max.age.ms`), and rejoins
            // on its next poll (`ConsumerCoordinator.rejoinNeededOrPending`:
            // its assignment snapshot no longer matches the metadata).
            if let Some((leader, t)) = self.grown_topic(&group)
                && self.consumers.get(&leader).is_some_and(|c| c.status == ConsumerStatus::Active && refresh_at(c, now))
                && let Some(c) = self.consumers.get_mut(&leader)
                && c.rejoin_needed.is_none()
            {
                c.rejoin_needed = Some(RebalanceReason::PartitionsAdded(t));
            }
        }
    }

    /// A Stable classic group whose subscribed topic grew since its last
    /// assignment: its leader (the earliest member) and the topic.
    fn grown_topic(&self, group: &str) -> Option<(String, String)> {
        let g = self.groups.get(group)?;
        if self.phase(group) != GroupStateView::Stable {
            return None;
        }
        let leader = g.members.first()?;
        let topic = g
            .partition_counts
            .iter()
            .find(|(t, n)| self.topics.get(*t).is_some_and(|ts| ts.partitions.len() as u32 != **n))?;
        Some((leader.clone(), topic.0.clone()))
    }

    /// The exact instants of the groups' timers: each member's poll-interval
    /// and session deadlines, the join deadline, and the leader's metadata
    /// refresh when a subscribed topic grew.
    pub(super) fn groups_deadlines(&self, at: &mut impl FnMut(u64)) {
        self.modern_pending(at);
        for (id, g) in &self.groups {
            let cg = self.classic.get(id);
            if cg.is_some_and(|cg| cg.coordinator.is_none()) || self.modern.contains_key(id) {
                continue;
            }
            if let Some(d) = cg.and_then(|cg| cg.join_deadline) {
                at(d);
            }
            if let Some((leader, _)) = self.grown_topic(id)
                && let Some(c) = self.consumers.get(&leader)
                && c.status == ConsumerStatus::Active
                && c.rejoin_needed.is_none()
            {
                at(next_refresh(c, self.now));
            }
            for m in &g.members {
                let (Some(c), Some(ms)) = (self.consumers.get(m), g.member_state.get(m)) else { continue };
                let heartbeat_end = if c.status == ConsumerStatus::Active {
                    let poll_deadline = c.last_poll_ms.saturating_add(c.config.max_poll_interval_ms);
                    if c.config.group_instance_id.is_none() || c.generation.is_some() {
                        at(poll_deadline.saturating_add(1));
                    }
                    ms.last_heartbeat_ms.max(poll_deadline)
                } else {
                    ms.last_heartbeat_ms
                };
                at(heartbeat_end.saturating_add(ms.session_timeout_ms).saturating_add(1));
            }
        }
    }
}
