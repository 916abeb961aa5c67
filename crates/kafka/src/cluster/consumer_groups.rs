//! Consumer groups under the consumer group protocol (KIP-848, GA in Kafka
//! 4.0 with `group.protocol=consumer`; broker: `GroupMetadataManager`,
//! `CurrentAssignmentBuilder`, `TargetAssignmentBuilder`; client:
//! `AsyncKafkaConsumer`, `ConsumerMembershipManager`).
//!
//! - A member joins on its first `poll()` after `subscribe()`
//!   (`AbstractMembershipManager.onConsumerPoll`) with a heartbeat of member
//!   epoch 0. A member joining or leaving, a changed subscription or a
//!   subscribed topic that grew bumps the group epoch.
//! - The first heartbeat that finds the group epoch ahead of the assignment
//!   epoch computes the target assignment with the group's server assignor:
//!   the one most members ask for with `group.remote.assignor`, else the
//!   first of `group.consumer.assignors` (`uniform`).
//! - Each heartbeat reconciles its own member (`CurrentAssignmentBuilder`):
//!   it keeps what is still in its target; what is not, it must revoke first
//!   and it stays at its old member epoch meanwhile; once it owns nothing
//!   outside its target it moves to the target epoch and gets the target
//!   partitions no other member still owns. There is no group-wide barrier:
//!   the other members keep fetching, and a partition reaches its new owner
//!   at that owner's first heartbeat after the old owner revoked it.
//! - The client revokes as soon as a response asks (committing first with
//!   auto-commit) and acknowledges with another heartbeat at once, or, with a
//!   `ConsumerRebalanceListener`, in the application's next `poll()`, where
//!   `onPartitionsRevoked` runs. The coordinator gives a member that must
//!   revoke its rebalance timeout (`max.poll.interval.ms`) to acknowledge,
//!   and fences it when that runs out (`scheduleConsumerGroupRebalanceTimeout`).
//!   The background thread heartbeats every
//!   `group.consumer.heartbeat.interval.ms` whether the application polls or
//!   not, until `max.poll.interval.ms` passes without a poll: then it leaves
//!   (a static member with epoch -2, staying a member until its session runs
//!   out) and rejoins on its next poll (`maybeRejoinStaleMember`).
//! - The coordinator fences a member whose heartbeats stopped for
//!   `group.consumer.session.timeout.ms`. A static member that left with -2
//!   is replaced by a new member with its instance id, which takes its
//!   assignment; one that crashed keeps its instance id until its session
//!   runs out (`UNRELEASED_INSTANCE_ID`).
//! - Online migration, as Kafka 4.0 does by default
//!   (`group.consumer.migration.policy=bidirectional`; `upgrade`,
//!   `downgrade` and `disabled` allow one way or none, and a refused
//!   upgrade is `GroupIdNotFoundException`): a consumer-protocol
//!   member joining a classic group with members converts it
//!   (`convertToConsumerGroup`, the group epoch is the generation); its
//!   classic members stay, and rejoin through JoinGroup and SyncGroup on
//!   their polls whenever their member epoch is behind the group's
//!   (`classicGroupJoinToConsumerGroup`), a classic member joining a
//!   consumer group does the same; when the last consumer-protocol member of
//!   a group of classic members leaves, it becomes a classic group again and
//!   rebalances (`convertToClassicGroup`). An empty group of the other kind
//!   is replaced, and its committed offsets stay.

use super::*;
use crate::config::GroupProtocol;
use crate::server_assignor::{ServerAssignor, ServerMember, assign_server};
use brokerlab_order::CollectOrdered;

/// A member's reconciliation state (`MemberState` of the coordinator).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Reconciliation {
    /// At the target epoch with its whole target.
    Stable,
    /// It must revoke partitions before it may move on.
    UnrevokedPartitions,
    /// At the target epoch, waiting for partitions others still own.
    UnreleasedPartitions,
}

/// The coordinator's view of one member of a consumer-protocol group.
#[derive(Debug, Clone)]
pub(crate) struct ModernMember {
    pub(crate) epoch: i32,
    pub(crate) state: Reconciliation,
    pub(crate) pending_revocation: Vec<TopicPartition>,
    /// The subscription its last heartbeat (or JoinGroup) carried.
    pub(crate) subscription: Vec<String>,
    /// A classic member of a consumer group (JoinGroup and SyncGroup).
    pub(crate) classic: bool,
    pub(crate) server_assignor: Option<ServerAssignor>,
    /// A static member that left with epoch -2: its instance id is free.
    pub(crate) left_static: bool,
    /// While it must revoke partitions: when its rebalance timeout runs out
    /// and the member epoch it was scheduled for
    /// (`consumerGroupRebalanceTimeoutKey`).
    pub(crate) revocation_deadline: Option<(u64, i32)>,
}

/// The coordinator's state of one consumer-protocol group, beside [`GroupState`]
/// (which holds its members in join order, their current assignment as
/// `assignment`, the group epoch as `generation` and the committed offsets).
#[derive(Debug, Clone)]
pub(crate) struct ModernGroup {
    pub(crate) group_epoch: i32,
    pub(crate) assignment_epoch: i32,
    pub(crate) assignor: ServerAssignor,
    pub(crate) members: BTreeMap<String, ModernMember>,
    pub(crate) target: BTreeMap<String, Vec<TopicPartition>>,
    /// The partition counts of the subscribed topics at the last epoch bump.
    pub(crate) metadata: BTreeMap<String, u32>,
    pub(crate) state: GroupStateView,
}

impl Cluster {
    /// Whether a consumer speaks the consumer group protocol.
    pub(super) fn uses_consumer_protocol(&self, consumer: &str) -> bool {
        self.consumers.get(consumer).is_some_and(|c| c.config.group_protocol == GroupProtocol::Consumer)
    }

    fn default_server_assignor(&self) -> ServerAssignor {
        self.config.group_consumer_assignors.first().copied().unwrap_or_default()
    }

    /// The partition counts of every existing topic a member subscribes to.
    fn subscribed_metadata(&self, group: &str) -> BTreeMap<String, u32> {
        let Some(mg) = self.modern.get(group) else { return BTreeMap::new() };
        mg.members
            .values()
            .flat_map(|m| m.subscription.iter())
            .filter_map(|t| self.topics.get(t).map(|ts| (t.clone(), ts.partitions.len() as u32)))
            .collect_map()
    }

    fn bump_group_epoch(&mut self, group: &str, reason: RebalanceReason) {
        let metadata = self.subscribed_metadata(group);
        let Some(mg) = self.modern.get_mut(group) else { return };
        mg.group_epoch = mg.group_epoch.saturating_add(1);
        mg.metadata = metadata;
        let epoch = mg.group_epoch;
        if let Some(g) = self.groups.get_mut(group) {
            g.generation = epoch;
        }
        self.emit(Event::GroupEpochBumped { group: group.to_string(), epoch, reason });
        self.refresh_modern_state(group);
    }

    /// `ConsumerGroup.computePreferredServerAssignor`: the assignor most
    /// members ask for (ties go to the earlier one in
    /// `group.consumer.assignors`), else the default.
    fn preferred_assignor(&self, group: &str) -> ServerAssignor {
        let list = &self.config.group_consumer_assignors;
        let mut best: Option<(usize, usize, ServerAssignor)> = None;
        if let Some(mg) = self.modern.get(group) {
            for (rank, a) in list.iter().enumerate() {
                let n = mg.members.values().filter(|m| m.server_assignor == Some(*a)).count();
                if n > 0 && best.is_none_or(|(bn, _, _)| n > bn) {
                    best = Some((n, rank, *a));
                }
            }
        }
        best.map_or_else(|| self.default_server_assignor(), |(_, _, a)| a)
    }

    /// A new target assignment when the group epoch is ahead of it.
    fn maybe_update_target(&mut self, group: &str) {
        let Some(mg) = self.modern.get(group) else { return };
        if mg.group_epoch <= mg.assignment_epoch {
            return;
        }
        let g = self.groups.get(group);
        let members: Vec<ServerMember> = mg
            .members
            .iter()
            .map(|(id, m)| ServerMember {
                member_id: id.clone(),
                instance_id: g.and_then(|g| g.member_state.get(id)).and_then(|ms| ms.instance_id.clone()),
                topics: m.subscription.clone(),
                target: mg.target.get(id).cloned().unwrap_or_default(),
            })
            .collect();
        let assignor = self.preferred_assignor(group);
        let target = assign_server(assignor, &mg.metadata, &members);
        let Some(mg) = self.modern.get_mut(group) else { return };
        mg.target = target.clone();
        mg.assignment_epoch = mg.group_epoch;
        mg.assignor = assignor;
        let epoch = mg.assignment_epoch;
        self.emit(Event::TargetAssignmentComputed {
            group: group.to_string(),
            epoch,
            assignor,
            assignment: target.into_iter().collect(),
        });
        self.refresh_modern_state(group);
    }

    /// Whether a member other than `member` owns `tp` or still has to revoke it.
    fn owned_elsewhere(&self, group: &str, member: &str, tp: &TopicPartition) -> bool {
        let assigned =
            self.groups.get(group).is_some_and(|g| g.assignment.iter().any(|(m, a)| m != member && a.contains(tp)));
        let pending = self
            .modern
            .get(group)
            .is_some_and(|mg| mg.members.iter().any(|(m, mm)| m != member && mm.pending_revocation.contains(tp)));
        assigned || pending
    }

    /// `CurrentAssignmentBuilder.computeNextAssignment` for one member.
    fn reconcile(&mut self, group: &str, member: &str) {
        let (Some(g), Some(mg)) = (self.groups.get(group), self.modern.get(group)) else { return };
        let Some(mm) = mg.members.get(member) else { return };
        if mm.state == Reconciliation::UnrevokedPartitions && !mm.pending_revocation.is_empty() {
            return;
        }
        let target = mg.target.get(member).cloned().unwrap_or_default();
        let current = g.assignment.get(member).cloned().unwrap_or_default();
        let keep: Vec<TopicPartition> = current.iter().filter(|tp| target.contains(tp)).cloned().collect();
        let revoke: Vec<TopicPartition> = current.iter().filter(|tp| !target.contains(tp)).cloned().collect();
        let (epoch, state, assigned, pending) = if !revoke.is_empty() {
            (mm.epoch, Reconciliation::UnrevokedPartitions, keep, revoke)
        } else {
            let mut assigned = keep;
            let mut unreleased = false;
            for tp in target.iter().filter(|tp| !current.contains(tp)) {
                if self.owned_elsewhere(group, member, tp) {
                    unreleased = true;
                } else {
                    assigned.push(tp.clone());
                }
            }
            brokerlab_order::sort(&mut assigned);
            let state = if unreleased { Reconciliation::UnreleasedPartitions } else { Reconciliation::Stable };
            (mg.assignment_epoch, state, assigned, Vec::new())
        };
        let changed = mm.epoch != epoch || current != assigned || mm.pending_revocation != pending;
        // `GroupMetadataManager.maybeReconcile` (Kafka 4.0): a changed
        // consumer-protocol member in UNREVOKED_PARTITIONS gets its rebalance
        // timeout (re)scheduled, any other state cancels it.
        let timeout = self.consumers.get(member).map_or(0, |c| c.config.max_poll_interval_ms);
        let now = self.now;
        if let Some(mm) = self.modern.get_mut(group).and_then(|mg| mg.members.get_mut(member)) {
            if changed && !mm.classic {
                mm.revocation_deadline = (state == Reconciliation::UnrevokedPartitions)
                    .then(|| (now.saturating_add(timeout).min(time::MAX_TIME), epoch));
            }
            mm.epoch = epoch;
            mm.state = state;
            mm.pending_revocation = pending.clone();
        }
        if let Some(g) = self.groups.get_mut(group) {
            g.assignment.insert(member.to_string(), assigned.clone());
        }
        if changed {
            self.emit(Event::MemberReconciled {
                group: group.to_string(),
                member: member.to_string(),
                member_epoch: epoch,
                assigned,
                pending_revocation: pending,
            });
        }
        self.refresh_modern_state(group);
    }

    /// The group's state from its epochs and members (`ConsumerGroup.maybeUpdateGroupState`).
    fn refresh_modern_state(&mut self, group: &str) {
        let empty = self.groups.get(group).is_none_or(|g| g.members.is_empty());
        let Some(mg) = self.modern.get_mut(group) else { return };
        let state = if empty {
            GroupStateView::Empty
        } else if mg.group_epoch > mg.assignment_epoch {
            GroupStateView::Assigning
        } else if mg.members.values().any(|m| m.epoch != mg.assignment_epoch || m.state != Reconciliation::Stable) {
            GroupStateView::Reconciling
        } else {
            GroupStateView::Stable
        };
        let from = mg.state;
        if from == state {
            return;
        }
        mg.state = state;
        if from == GroupStateView::Empty || state == GroupStateView::Empty {
            self.note_group_empty(group, state == GroupStateView::Empty);
        }
        self.emit(Event::GroupStateChanged { group: group.to_string(), from, to: state });
    }

    /// The client takes a heartbeat (or SyncGroup) response: it revokes what
    /// it may no longer own, committing first with auto-commit unless it is
    /// a classic member (which committed in `onJoinPrepare`), and takes its
    /// new partitions. Returns whether it revoked anything.
    fn take_response(&mut self, consumer: &str, app_thread: bool) -> bool {
        let Some(c) = self.consumers.get(consumer) else { return false };
        let group = c.config.group_id.clone();
        let Some(mm) = self.modern.get(&group).and_then(|mg| mg.members.get(consumer)) else { return false };
        let (epoch, classic) = (mm.epoch, mm.classic);
        let new = self.groups.get(&group).and_then(|g| g.assignment.get(consumer)).cloned().unwrap_or_default();
        let revoked: Vec<TopicPartition> = c.assigned.iter().filter(|tp| !new.contains(tp)).cloned().collect();
        // A listener's `onPartitionsRevoked` runs in the application
        // thread's next `poll()`: until then the member keeps the
        // partitions and its epoch, and acknowledges nothing.
        if !revoked.is_empty() && !classic && !app_thread && c.config.rebalance_listener {
            return false;
        }
        let added: Vec<TopicPartition> = new.iter().filter(|tp| !c.assigned.contains(tp)).cloned().collect();
        if !revoked.is_empty() && !classic && c.config.enable_auto_commit {
            self.commit_positions(consumer, true);
        }
        self.revoke(&group, consumer, epoch, revoked.clone());
        if let Some(c) = self.consumers.get_mut(consumer) {
            for tp in &added {
                c.positions.remove(tp);
            }
            c.assigned = new;
            c.generation = Some(epoch);
            // `groupMetadata()` follows every new member epoch (a classic
            // member's: every completed join).
            if epoch > 0 {
                c.joined = Some((epoch, consumer.to_string()));
            }
            c.joining = false;
        }
        if !added.is_empty() {
            self.emit(Event::PartitionsAssigned {
                group,
                generation: epoch,
                member: consumer.to_string(),
                partitions: added,
            });
        }
        !revoked.is_empty()
    }

    /// What the coordinator learns from a member's request: the partitions
    /// it still owns (a revocation done), its subscription, its assignor.
    fn receive_member_request(&mut self, consumer: &str) {
        let Some(c) = self.consumers.get(consumer) else { return };
        let group = c.config.group_id.clone();
        let (owned, subscription, assignor) =
            (c.assigned.clone(), c.subscription.clone(), c.config.group_remote_assignor);
        let now = self.now;
        let mut subscription_changed = false;
        let mut was_unrevoked = false;
        if let Some(mm) = self.modern.get_mut(&group).and_then(|mg| mg.members.get_mut(consumer)) {
            if mm.state == Reconciliation::UnrevokedPartitions
                && !mm.pending_revocation.iter().any(|tp| owned.contains(tp))
            {
                mm.pending_revocation.clear();
                was_unrevoked = true;
            }
            if mm.subscription != subscription {
                mm.subscription = subscription;
                subscription_changed = true;
            }
            if !mm.classic {
                mm.server_assignor = assignor;
            }
            mm.left_static = false;
        }
        if let Some(g) = self.groups.get_mut(&group) {
            if let Some(ms) = g.member_state.get_mut(consumer) {
                ms.last_heartbeat_ms = now;
            }
            // A classic member that revoked everything in `onJoinPrepare` (an
            // eager one) owns nothing any more.
            if let Some(a) = g.assignment.get_mut(consumer) {
                a.retain(|tp| owned.contains(tp));
            }
        }
        if was_unrevoked {
            self.refresh_modern_state(&group);
        }
        if subscription_changed {
            self.bump_group_epoch(&group, RebalanceReason::SubscriptionChanged(consumer.to_string()));
        } else {
            let grown = self.modern.get(&group).and_then(|mg| {
                let now_meta = self.subscribed_metadata(&group);
                now_meta.iter().find(|(t, n)| mg.metadata.get(*t) != Some(n)).map(|(t, _)| t.clone())
            });
            if let Some(t) = grown {
                self.bump_group_epoch(&group, RebalanceReason::PartitionsAdded(t));
            }
        }
    }

    /// One heartbeat of a consumer-protocol member and the client's handling
    /// of its response; returns whether the member revoked partitions (and
    /// so acknowledges at once with another heartbeat).
    fn consumer_heartbeat(&mut self, consumer: &str) -> bool {
        let now = self.now;
        let Some(group) = self.consumers.get(consumer).map(|c| c.config.group_id.clone()) else { return false };
        self.receive_member_request(consumer);
        self.maybe_update_target(&group);
        self.reconcile(&group, consumer);
        let revoked = self.take_response(consumer, false);
        let interval = self.config.group_consumer_heartbeat_interval_ms;
        if let Some(c) = self.consumers.get_mut(consumer) {
            c.next_heartbeat_ms = Some(now.saturating_add(interval));
        }
        revoked
    }

    /// A heartbeat, and the acknowledgements that follow a revocation.
    fn heartbeat_round(&mut self, consumer: &str) {
        for _ in 0..3 {
            if !self.consumer_heartbeat(consumer) {
                break;
            }
        }
    }

    /// A consumer joins a consumer group, converting the group first if it
    /// is a classic one. `classic` is how the member speaks.
    fn modern_join(&mut self, consumer: &str, classic: bool) -> Result<(), KafkaError> {
        let now = self.now;
        let Some(cfg) = self.consumers.get(consumer).map(|c| c.config.clone()) else { return Ok(()) };
        let group = cfg.group_id.clone();
        let classic_with_members =
            !self.modern.contains_key(&group) && self.groups.get(&group).is_some_and(|g| !g.members.is_empty());
        if classic_with_members {
            if classic {
                // A classic member never converts a classic group.
                return Ok(());
            }
            if !self.config.group_consumer_migration_policy.upgrade() {
                // `getOrMaybeCreateConsumerGroup` without `validateOnlineUpgrade`.
                return Err(KafkaError::GroupIdNotFound {
                    group,
                    reason: "is not a consumer group (group.consumer.migration.policy does not allow the upgrade)"
                        .to_string(),
                });
            }
            self.upgrade_to_consumer_group(&group);
        } else if !self.modern.contains_key(&group) {
            self.replace_empty_group(&group, GroupProtocol::Consumer);
        }
        // A static member takes over the membership its instance id holds.
        let holder = cfg.group_instance_id.as_ref().and_then(|instance| {
            let g = self.groups.get(&group)?;
            g.members
                .iter()
                .find(|m| g.member_state.get(*m).is_some_and(|ms| ms.instance_id.as_deref() == Some(instance)))
                .cloned()
        });
        if let Some(old) = holder {
            let released = old == consumer
                || self
                    .modern
                    .get(&group)
                    .and_then(|mg| mg.members.get(&old))
                    .is_some_and(|mm| mm.left_static || mm.classic)
                || self.consumers.get(&old).is_none_or(|o| o.status == ConsumerStatus::Closed);
            if !released {
                return Err(KafkaError::UnreleasedInstanceId {
                    group,
                    instance: cfg.group_instance_id.clone().unwrap_or_default(),
                });
            }
            self.replace_static_member(&group, &old, consumer, classic);
        } else {
            let session = if classic { cfg.session_timeout_ms } else { self.config.group_consumer_session_timeout_ms };
            let subscription = self.consumers.get(consumer).map(|c| c.subscription.clone()).unwrap_or_default();
            let Some(g) = self.groups.get_mut(&group) else { return Ok(()) };
            g.members.push(consumer.to_string());
            g.member_state.insert(
                consumer.to_string(),
                MemberState {
                    instance_id: cfg.group_instance_id.clone(),
                    last_heartbeat_ms: now,
                    session_timeout_ms: session,
                    owned_generation: -1,
                },
            );
            g.assignment.insert(consumer.to_string(), Vec::new());
            if let Some(mg) = self.modern.get_mut(&group) {
                mg.members.insert(
                    consumer.to_string(),
                    ModernMember {
                        epoch: 0,
                        state: Reconciliation::Stable,
                        pending_revocation: Vec::new(),
                        subscription,
                        classic,
                        server_assignor: if classic { None } else { cfg.group_remote_assignor },
                        left_static: false,
                        revocation_deadline: None,
                    },
                );
            }
            self.emit(Event::MemberJoined {
                group: group.clone(),
                member: consumer.to_string(),
                group_instance_id: cfg.group_instance_id.clone(),
            });
            self.bump_group_epoch(&group, RebalanceReason::MemberJoined(consumer.to_string()));
        }
        if let Some(c) = self.consumers.get_mut(consumer) {
            c.in_group = true;
            c.rejoin_needed = None;
            c.joining = false;
        }
        Ok(())
    }

    /// `getOrMaybeSubscribeStaticConsumerGroupMember`: the new member takes
    /// the old one's place, epoch and partitions.
    fn replace_static_member(&mut self, group: &str, old: &str, new: &str, classic: bool) {
        if old != new {
            if let Some(g) = self.groups.get_mut(group) {
                if let Some(slot) = g.members.iter_mut().find(|m| *m == old) {
                    *slot = new.to_string();
                }
                if let Some(ms) = g.member_state.remove(old) {
                    g.member_state.insert(new.to_string(), ms);
                }
                let owned = g.assignment.remove(old).unwrap_or_default();
                g.assignment.insert(new.to_string(), owned);
            }
            if let Some(mg) = self.modern.get_mut(group) {
                if let Some(mm) = mg.members.remove(old) {
                    mg.members.insert(new.to_string(), mm);
                }
                if let Some(t) = mg.target.remove(old) {
                    mg.target.insert(new.to_string(), t);
                }
            }
            if let Some(o) = self.consumers.get_mut(old) {
                o.in_group = false;
                o.generation = None;
                o.next_heartbeat_ms = None;
            }
        }
        let session = if classic { self.consumers.get(new).map(|c| c.config.session_timeout_ms) } else { None };
        let session = session.unwrap_or(self.config.group_consumer_session_timeout_ms);
        let now = self.now;
        if let Some(ms) = self.groups.get_mut(group).and_then(|g| g.member_state.get_mut(new)) {
            ms.last_heartbeat_ms = now;
            ms.session_timeout_ms = session;
        }
        if let Some(mm) = self.modern.get_mut(group).and_then(|mg| mg.members.get_mut(new)) {
            mm.classic = classic;
            mm.left_static = false;
        }
        if old != new {
            let instance = self
                .groups
                .get(group)
                .and_then(|g| g.member_state.get(new))
                .and_then(|ms| ms.instance_id.clone())
                .unwrap_or_default();
            self.emit(Event::StaticMemberRejoined {
                group: group.to_string(),
                member: new.to_string(),
                replaced: old.to_string(),
                group_instance_id: instance,
            });
        }
    }

    /// An empty group of the other kind is deleted and replaced; its
    /// committed offsets stay (`maybeDeleteEmptyClassicGroup`, and an empty
    /// consumer group taking a classic JoinGroup).
    pub(super) fn replace_empty_group(&mut self, group: &str, to: GroupProtocol) {
        let existed = self.groups.contains_key(group);
        let g = self.groups.entry(group.to_string()).or_insert_with(|| GroupState {
            assignor: Assignor::Range,
            generation: 0,
            members: Vec::new(),
            member_state: BTreeMap::new(),
            assignment: BTreeMap::new(),
            committed: BTreeMap::new(),
            partition_counts: BTreeMap::new(),
        });
        g.generation = 0;
        g.assignment.clear();
        g.partition_counts.clear();
        let changed = match to {
            GroupProtocol::Consumer => {
                let assignor = self.default_server_assignor();
                self.modern.insert(
                    group.to_string(),
                    ModernGroup {
                        group_epoch: 0,
                        assignment_epoch: 0,
                        assignor,
                        members: BTreeMap::new(),
                        target: BTreeMap::new(),
                        metadata: BTreeMap::new(),
                        state: GroupStateView::Empty,
                    },
                );
                self.classic.contains_key(group)
            }
            GroupProtocol::Classic => self.modern.remove(group).is_some(),
        };
        let cg = self.classic_entry(group);
        cg.phase = GroupStateView::Empty;
        cg.join_deadline = None;
        cg.joined.clear();
        cg.initial_delay = None;
        if existed && changed {
            self.emit(Event::GroupConverted { group: group.to_string(), to });
        }
    }

    /// `convertToConsumerGroup`: a classic group with members becomes a
    /// consumer group; the group epoch is the generation, every member keeps
    /// its partitions at that epoch and speaks the classic protocol, and a
    /// rebalance in progress is abandoned (its members rejoin).
    fn upgrade_to_consumer_group(&mut self, group: &str) {
        let Some(g) = self.groups.get(group) else { return };
        let epoch = g.generation;
        let mut members = BTreeMap::new();
        for m in &g.members {
            members.insert(
                m.clone(),
                ModernMember {
                    epoch,
                    state: Reconciliation::Stable,
                    pending_revocation: Vec::new(),
                    subscription: self.consumers.get(m).map(|c| c.subscription.clone()).unwrap_or_default(),
                    classic: true,
                    server_assignor: None,
                    left_static: false,
                    revocation_deadline: None,
                },
            );
        }
        let target = g.assignment.clone();
        let names = g.members.clone();
        let assignor = self.default_server_assignor();
        self.modern.insert(
            group.to_string(),
            ModernGroup {
                group_epoch: epoch,
                assignment_epoch: epoch,
                assignor,
                members,
                target,
                metadata: BTreeMap::new(),
                state: GroupStateView::Stable,
            },
        );
        let metadata = self.subscribed_metadata(group);
        if let Some(mg) = self.modern.get_mut(group) {
            mg.metadata = metadata;
        }
        for m in names {
            if let Some(c) = self.consumers.get_mut(&m)
                && c.joining
            {
                c.joining = false;
                c.rejoin_needed = Some(RebalanceReason::MemberJoined(m.clone()));
            }
        }
        let cg = self.classic_entry(group);
        cg.phase = GroupStateView::Empty;
        cg.join_deadline = None;
        cg.joined.clear();
        cg.initial_delay = None;
        self.emit(Event::GroupConverted { group: group.to_string(), to: GroupProtocol::Consumer });
    }

    /// `convertToClassicGroup`: the remaining members all speak the classic
    /// protocol; the generation is the group epoch, each keeps its
    /// partitions, and the classic group rebalances.
    fn downgrade_to_classic_group(&mut self, group: &str) {
        let Some(mg) = self.modern.remove(group) else { return };
        let epoch = mg.group_epoch;
        let counts: BTreeMap<String, u32> =
            self.topics.iter().map(|(n, t)| (n.clone(), t.partitions.len() as u32)).collect_map();
        let Some(g) = self.groups.get_mut(group) else { return };
        g.generation = epoch;
        let names = g.members.clone();
        for ms in g.member_state.values_mut() {
            ms.owned_generation = epoch;
        }
        let assignor = names.first().and_then(|m| self.consumers.get(m)).map(|c| c.config.assignor);
        let subscriptions: BTreeSet<String> = names
            .iter()
            .filter_map(|m| self.consumers.get(m))
            .flat_map(|c| c.subscription.iter().cloned())
            .collect_set();
        if let Some(g) = self.groups.get_mut(group) {
            if let Some(a) = assignor {
                g.assignor = a;
            }
            g.partition_counts =
                subscriptions.into_iter().map(|t| (t.clone(), counts.get(&t).copied().unwrap_or(0))).collect_map();
        }
        for m in &names {
            if let Some(c) = self.consumers.get_mut(m) {
                c.generation = c.generation.map(|_| epoch);
            }
        }
        let cg = self.classic_entry(group);
        cg.phase = GroupStateView::Stable;
        self.emit(Event::GroupConverted { group: group.to_string(), to: GroupProtocol::Classic });
        self.after_member_removed(group, RebalanceReason::ProtocolDowngrade);
    }

    /// A member leaves or is fenced: its partitions are free at once and the
    /// group epoch moves (or the group becomes classic again).
    pub(super) fn modern_remove_member(&mut self, group: &str, member: &str, reason: RebalanceReason) {
        if let Some(g) = self.groups.get_mut(group) {
            g.members.retain(|m| m != member);
            g.member_state.remove(member);
            g.assignment.remove(member);
        }
        let mut was_consumer = false;
        if let Some(mg) = self.modern.get_mut(group) {
            was_consumer = mg.members.remove(member).is_some_and(|mm| !mm.classic);
            mg.target.remove(member);
        }
        if let Some(c) = self.consumers.get_mut(member)
            && c.config.group_id == group
        {
            c.in_group = false;
            c.generation = None;
            c.joining = false;
            c.next_heartbeat_ms = None;
        }
        self.emit(Event::MemberLeft { group: group.to_string(), member: member.to_string(), reason: reason.clone() });
        let all_classic =
            self.modern.get(group).is_some_and(|mg| !mg.members.is_empty() && mg.members.values().all(|m| m.classic));
        if was_consumer && all_classic && self.config.group_consumer_migration_policy.downgrade() {
            self.downgrade_to_classic_group(group);
        } else {
            self.bump_group_epoch(group, reason);
        }
    }

    /// A consumer-protocol member leaves (`close()`, `unsubscribe()`, or
    /// its poll timer ran out): a dynamic one with epoch -1, gone at once; a
    /// static one with -2, which keeps its partitions until its session
    /// runs out or its instance id rejoins.
    pub(super) fn consumer_leave(&mut self, consumer: &str, reason: RebalanceReason) {
        let Some(c) = self.consumers.get(consumer) else { return };
        let group = c.config.group_id.clone();
        let is_static = c.config.group_instance_id.is_some();
        let held = c.assigned.clone();
        let epoch = c.generation.unwrap_or(-1);
        self.revoke(&group, consumer, epoch, held);
        let member = self.modern.get(&group).is_some_and(|mg| mg.members.contains_key(consumer));
        if let Some(c) = self.consumers.get_mut(consumer) {
            c.in_group = false;
            c.generation = None;
            c.next_heartbeat_ms = None;
            c.joining = false;
            c.rejoin_needed = None;
        }
        if !member {
            return;
        }
        if is_static {
            let now = self.now;
            if let Some(ms) = self.groups.get_mut(&group).and_then(|g| g.member_state.get_mut(consumer)) {
                ms.last_heartbeat_ms = now;
            }
            if let Some(mm) = self.modern.get_mut(&group).and_then(|mg| mg.members.get_mut(consumer)) {
                // Epoch -2 (`consumerGroupStaticMemberGroupLeave`): the
                // rebalance timeout finds another epoch and does nothing.
                mm.left_static = true;
                mm.revocation_deadline = None;
            }
        } else {
            self.modern_remove_member(&group, consumer, reason);
        }
    }

    /// The group side of `poll()` for a member of a consumer group: a
    /// consumer-protocol member joins (its heartbeats run in the
    /// background); a classic one rejoins through JoinGroup and SyncGroup
    /// when its epoch is behind, as its heartbeat (REBALANCE_IN_PROGRESS) told it.
    pub(super) fn poll_modern(&mut self, consumer: &str) -> Result<(), KafkaError> {
        let Some(c) = self.consumers.get(consumer) else { return Ok(()) };
        if c.config.group_protocol == GroupProtocol::Consumer {
            if !c.in_group {
                self.modern_join(consumer, false)?;
                self.heartbeat_round(consumer);
            } else if c.config.rebalance_listener
                && c.status == ConsumerStatus::Active
                && self
                    .groups
                    .get(&c.config.group_id)
                    .and_then(|g| g.assignment.get(consumer))
                    .is_some_and(|a| c.assigned.iter().any(|tp| !a.contains(tp)))
            {
                // The listener runs now, and the acknowledgement goes out at once.
                self.take_response(consumer, true);
                self.heartbeat_round(consumer);
            }
            return Ok(());
        }
        for _ in 0..2 {
            if !self.classic_member_needs_join(consumer) {
                break;
            }
            let cooperative = self.classic_member_prepare(consumer);
            if !self.consumers.get(consumer).is_some_and(|c| c.in_group) {
                self.modern_join(consumer, true)?;
            }
            let group = self.consumers.get(consumer).map(|c| c.config.group_id.clone()).unwrap_or_default();
            self.receive_member_request(consumer);
            self.maybe_update_target(&group);
            self.reconcile(&group, consumer);
            let revoked = self.take_response(consumer, true);
            if !(revoked && cooperative) {
                break;
            }
        }
        Ok(())
    }

    fn classic_member_needs_join(&self, consumer: &str) -> bool {
        let Some(c) = self.consumers.get(consumer) else { return false };
        if !c.in_group || c.rejoin_needed.is_some() {
            return true;
        }
        let Some(mg) = self.modern.get(&c.config.group_id) else { return false };
        mg.members.get(consumer).is_none_or(|mm| mm.epoch != mg.group_epoch || mm.state != Reconciliation::Stable)
    }

    /// `onJoinPrepare` of a classic member of a consumer group: commit with
    /// auto-commit, then revoke everything (eager) or the partitions of
    /// topics no longer subscribed (cooperative). Returns whether it is cooperative.
    fn classic_member_prepare(&mut self, consumer: &str) -> bool {
        let Some(c) = self.consumers.get(consumer) else { return false };
        let valid = c.in_group && c.generation.is_some();
        if valid && c.config.enable_auto_commit {
            self.commit_positions(consumer, true);
        }
        let Some(c) = self.consumers.get(consumer) else { return false };
        let cooperative = c.config.assignor.is_cooperative();
        let revoked: Vec<TopicPartition> = if cooperative && valid {
            c.assigned.iter().filter(|tp| !c.subscription.contains(&tp.topic)).cloned().collect()
        } else {
            c.assigned.clone()
        };
        let (group, epoch) = (c.config.group_id.clone(), c.generation.unwrap_or(-1));
        self.revoke(&group, consumer, epoch, revoked);
        cooperative
    }

    /// The coordinator's and the clients' timers of a consumer group at instant `now`.
    pub(super) fn step_modern(&mut self, group: &str) {
        let now = self.now;
        self.fence_unrevoked(group);
        let members = self.groups.get(group).map(|g| g.members.clone()).unwrap_or_default();
        for m in members {
            let Some(c) = self.consumers.get(&m) else { continue };
            let classic = self.modern.get(group).and_then(|mg| mg.members.get(&m)).is_none_or(|mm| mm.classic);
            let (status, in_group, last_poll, max_poll, is_static, next_hb) = (
                c.status,
                c.in_group && c.config.group_id == group,
                c.last_poll_ms,
                c.config.max_poll_interval_ms,
                c.config.group_instance_id.is_some(),
                c.next_heartbeat_ms,
            );
            let polling = now.saturating_sub(last_poll) <= max_poll;
            if classic {
                // The classic heartbeat thread, as in a classic group.
                if status == ConsumerStatus::Active
                    && let Some(ms) = self.groups.get_mut(group).and_then(|g| g.member_state.get_mut(&m))
                {
                    ms.last_heartbeat_ms = ms.last_heartbeat_ms.max(now.min(last_poll.saturating_add(max_poll)));
                }
                if status == ConsumerStatus::Active && in_group && !polling {
                    if let Some(c) = self.consumers.get_mut(&m) {
                        c.generation = None;
                        c.joining = false;
                        c.in_group = false;
                    }
                    if !is_static {
                        self.modern_remove_member(group, &m, RebalanceReason::MaxPollIntervalExceeded(m.clone()));
                        continue;
                    }
                }
            } else if status == ConsumerStatus::Active && in_group {
                if !polling {
                    self.consumer_leave(&m, RebalanceReason::MaxPollIntervalExceeded(m.clone()));
                    if !is_static {
                        continue;
                    }
                } else if next_hb.is_some_and(|t| t <= now) {
                    self.heartbeat_round(&m);
                }
            }
            let Some(ms) = self.groups.get(group).and_then(|g| g.member_state.get(&m)) else { continue };
            if now.saturating_sub(ms.last_heartbeat_ms) > ms.session_timeout_ms {
                if let Some(c) = self.consumers.get_mut(&m)
                    && c.config.group_id == group
                {
                    c.generation = None;
                }
                self.modern_remove_member(group, &m, RebalanceReason::SessionTimeout(m.clone()));
            }
        }
    }

    /// Fences the members whose rebalance timeout ran out while they still
    /// had partitions to revoke at the epoch it was scheduled for
    /// (`scheduleConsumerGroupRebalanceTimeout` → `consumerGroupFenceMember`).
    fn fence_unrevoked(&mut self, group: &str) {
        let now = self.now;
        let Some(mg) = self.modern.get_mut(group) else { return };
        let mut due: Vec<(String, i32, Vec<TopicPartition>)> = Vec::new();
        for (id, mm) in &mut mg.members {
            let Some((_, epoch)) = mm.revocation_deadline.filter(|(t, _)| *t <= now) else { continue };
            mm.revocation_deadline = None;
            // A member that moved to another epoch meanwhile is left alone.
            if epoch == mm.epoch && !mm.left_static && mm.state == Reconciliation::UnrevokedPartitions {
                due.push((id.clone(), mm.epoch, mm.pending_revocation.clone()));
            }
        }
        for (member, member_epoch, partitions) in due {
            let rebalance_timeout_ms = self.consumers.get(&member).map_or(0, |c| c.config.max_poll_interval_ms);
            self.emit(Event::MemberRevocationTimedOut {
                group: group.to_string(),
                member: member.clone(),
                member_epoch,
                partitions,
                rebalance_timeout_ms,
            });
            self.modern_remove_member(group, &member, RebalanceReason::RevocationTimeout(member.clone()));
        }
    }

    /// The exact instants of a consumer group's timers: heartbeats, poll
    /// intervals, session timeouts and revocation deadlines.
    pub(super) fn modern_pending(&self, at: &mut impl FnMut(u64)) {
        for (id, mg) in &self.modern {
            if self.classic.get(id).is_some_and(|cg| cg.coordinator.is_none()) {
                continue;
            }
            let Some(g) = self.groups.get(id) else { continue };
            for (t, _) in mg.members.values().filter_map(|mm| mm.revocation_deadline) {
                at(t.max(self.now.saturating_add(1)));
            }
            for m in &g.members {
                let (Some(c), Some(ms)) = (self.consumers.get(m), g.member_state.get(m)) else { continue };
                let classic = mg.members.get(m).is_none_or(|mm| mm.classic);
                let active = c.status == ConsumerStatus::Active && c.config.group_id == *id;
                let poll_deadline = c.last_poll_ms.saturating_add(c.config.max_poll_interval_ms);
                let heartbeat_end = if classic && active {
                    if c.in_group && (c.config.group_instance_id.is_none() || c.generation.is_some()) {
                        at(poll_deadline.saturating_add(1));
                    }
                    ms.last_heartbeat_ms.max(poll_deadline)
                } else {
                    if active && c.in_group {
                        at(poll_deadline.saturating_add(1));
                        if let Some(t) = c.next_heartbeat_ms.filter(|t| *t <= poll_deadline) {
                            at(t);
                        }
                    }
                    ms.last_heartbeat_ms
                };
                at(heartbeat_end.saturating_add(ms.session_timeout_ms).saturating_add(1));
            }
        }
    }
}
