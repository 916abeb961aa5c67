//! Consumers and their groups: creating, subscribing, joining (static members
//! rejoin without a rebalance), leaving, crashing, eager and cooperative
//! rebalances, and the coordinator's session and poll-interval checks.

use super::*;

impl Cluster {
    /// Creates a consumer; it joins its group when it subscribes.
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
            {
                return Err(KafkaError::InconsistentGroupProtocol { group: config.group_id.clone() });
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

    /// Subscribes to topics and joins (or rejoins) the group, which rebalances.
    pub fn subscribe(&mut self, consumer: &str, topics: &[String]) -> Result<Vec<Event>, KafkaError> {
        self.run(|c| {
            c.active_consumer(consumer)?;
            for t in topics {
                c.topic_ref(t)?;
            }
            let mut topics: Vec<String> = topics.to_vec();
            topics.sort();
            topics.dedup();
            let Some(state) = c.consumers.get_mut(consumer) else {
                return Err(KafkaError::UnknownConsumer(consumer.to_string()));
            };
            let changed = state.subscription != topics;
            state.subscription = topics;
            let group = state.config.group_id.clone();
            if !state.in_group {
                c.join_group(consumer);
            } else if changed {
                c.rebalance(&group, RebalanceReason::SubscriptionChanged(consumer.to_string()));
            }
            Ok(())
        })
        .map(|(_, e)| e)
    }

    pub(super) fn join_group(&mut self, consumer: &str) {
        let now = self.now;
        let Some(cfg) = self.consumers.get(consumer).map(|c| c.config.clone()) else { return };
        let group = cfg.group_id.clone();
        let g = self.groups.entry(group.clone()).or_insert_with(|| GroupState {
            assignor: cfg.assignor,
            generation: 0,
            members: Vec::new(),
            member_state: BTreeMap::new(),
            assignment: BTreeMap::new(),
            committed: BTreeMap::new(),
            partition_counts: BTreeMap::new(),
        });
        if g.members.is_empty() {
            g.assignor = cfg.assignor;
        }
        if let Some(entry) = self.consumers.get_mut(consumer) {
            entry.in_group = true;
        }
        // A static member that comes back before its session times out takes
        // over its old membership and partitions without a rebalance.
        if let Some(instance) = &cfg.group_instance_id {
            let subscription = self.consumers.get(consumer).map(|c| c.subscription.clone()).unwrap_or_default();
            let Some(g) = self.groups.get_mut(&group) else { return };
            let held = g
                .members
                .iter()
                .position(|m| g.member_state.get(m).is_some_and(|ms| ms.instance_id.as_ref() == Some(instance)));
            if let Some(idx) = held
                && let Some(old) = g.members.get(idx).cloned()
                && let Some(mut ms) = g.member_state.remove(&old)
            {
                let same_subscription = self.consumers.get(&old).is_some_and(|o| o.subscription == subscription);
                g.members[idx] = consumer.to_string();
                ms.last_heartbeat_ms = now;
                ms.session_timeout_ms = cfg.session_timeout_ms;
                g.member_state.insert(consumer.to_string(), ms);
                let owned = g.assignment.remove(&old).unwrap_or_default();
                g.assignment.insert(consumer.to_string(), owned);
                if old != consumer
                    && let Some(o) = self.consumers.get_mut(&old)
                {
                    o.in_group = false;
                }
                self.emit(Event::StaticMemberRejoined {
                    group: group.clone(),
                    member: consumer.to_string(),
                    replaced: old,
                    group_instance_id: instance.clone(),
                });
                if !same_subscription {
                    self.rebalance(&group, RebalanceReason::SubscriptionChanged(consumer.to_string()));
                }
                return;
            }
        }
        let Some(g) = self.groups.get_mut(&group) else { return };
        // A closed static member keeps its membership until its session
        // times out; a new consumer by the same name, with another instance
        // id or none, is a new member, so the stale entry goes first.
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
            group_instance_id: cfg.group_instance_id,
        });
        self.rebalance(&group, RebalanceReason::MemberJoined(consumer.to_string()));
    }

    pub(super) fn remove_member(&mut self, group: &str, member: &str, reason: RebalanceReason) {
        let Some(g) = self.groups.get_mut(group) else { return };
        g.members.retain(|m| m != member);
        g.member_state.remove(member);
        g.assignment.remove(member);
        if let Some(c) = self.consumers.get_mut(member) {
            c.in_group = false;
            c.positions.clear();
        }
        self.emit(Event::MemberLeft { group: group.to_string(), member: member.to_string(), reason: reason.clone() });
        self.rebalance(group, reason);
    }

    pub(super) fn commit_positions(&mut self, consumer: &str, auto: bool) {
        let Some(c) = self.consumers.get(consumer) else { return };
        let group = c.config.group_id.clone();
        let owned: BTreeSet<TopicPartition> = self
            .groups
            .get(&group)
            .and_then(|g| g.assignment.get(consumer))
            .map(|a| a.iter().cloned().collect())
            .unwrap_or_default();
        let offsets: Vec<(TopicPartition, i64)> =
            c.positions.iter().filter(|(tp, _)| owned.contains(*tp)).map(|(tp, o)| (tp.clone(), *o)).collect();
        if offsets.is_empty() {
            return;
        }
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

    /// Runs a rebalance to completion. Eager assignors revoke everything
    /// first; the cooperative assignor revokes only partitions that move and
    /// hands them over in a follow-up round.
    pub(super) fn rebalance(&mut self, group: &str, reason: RebalanceReason) {
        let Some(g) = self.groups.get(group) else {
            return;
        };
        let assignor = g.assignor;
        let cooperative = assignor.is_cooperative();
        let members: Vec<String> = g.members.clone();
        let Some(g) = self.groups.get_mut(group) else { return };
        g.generation = g.generation.saturating_add(1);
        let generation = g.generation;
        self.emit(Event::RebalanceStarted { group: group.to_string(), generation, reason, assignor, cooperative });
        if members.is_empty() {
            if let Some(entry) = self.groups.get_mut(group) {
                entry.assignment.clear();
            }
            self.emit(Event::RebalanceCompleted { group: group.to_string(), generation, assignment: Vec::new() });
            return;
        }
        // Members commit before giving partitions up (onJoinPrepare with auto-commit).
        for m in &members {
            if self.consumers.get(m).is_some_and(|c| c.status == ConsumerStatus::Active && c.config.enable_auto_commit)
            {
                self.commit_positions(m, true);
            }
        }
        let counts: BTreeMap<String, u32> =
            self.topics.iter().map(|(n, t)| (n.clone(), t.partitions.len() as u32)).collect();
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
        let mut follow_up = false;
        for s in &subscriptions {
            let new = outcome.assignment.get(&s.member_id).cloned().unwrap_or_default();
            let revoked: Vec<TopicPartition> = if cooperative {
                s.owned_partitions.iter().filter(|tp| !new.contains(tp)).cloned().collect()
            } else {
                s.owned_partitions.clone()
            };
            if cooperative && !revoked.is_empty() {
                follow_up = true;
            }
            if !revoked.is_empty() {
                if let Some(c) = self.consumers.get_mut(&s.member_id) {
                    for tp in &revoked {
                        c.positions.remove(tp);
                    }
                }
                self.emit(Event::PartitionsRevoked {
                    group: group.to_string(),
                    generation,
                    member: s.member_id.clone(),
                    partitions: revoked,
                });
            }
            let kept: Vec<TopicPartition> = if cooperative {
                s.owned_partitions.iter().filter(|tp| new.contains(tp)).cloned().collect()
            } else {
                Vec::new()
            };
            let added: Vec<TopicPartition> = new.iter().filter(|tp| !kept.contains(tp)).cloned().collect();
            if !added.is_empty() {
                if let Some(c) = self.consumers.get_mut(&s.member_id) {
                    for tp in &added {
                        c.positions.remove(tp);
                    }
                }
                self.emit(Event::PartitionsAssigned {
                    group: group.to_string(),
                    generation,
                    member: s.member_id.clone(),
                    partitions: added,
                });
            }
        }
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
            .collect();
        self.emit(Event::RebalanceCompleted {
            group: group.to_string(),
            generation,
            assignment: outcome.assignment.into_iter().collect(),
        });
        if follow_up {
            self.rebalance(group, RebalanceReason::CooperativeFollowUp);
        }
    }

    /// Closes a consumer cleanly.
    pub fn close_consumer(&mut self, consumer: &str) -> Result<Vec<Event>, KafkaError> {
        self.run(|c| {
            let state = c.active_consumer(consumer)?;
            let group = state.config.group_id.clone();
            let is_static = state.config.group_instance_id.is_some();
            let in_group = state.in_group;
            if state.config.enable_auto_commit && in_group {
                c.commit_positions(consumer, true);
            }
            c.stop_heartbeat(consumer);
            if let Some(entry) = c.consumers.get_mut(consumer) {
                entry.status = ConsumerStatus::Closed;
            }
            // Static members do not send LeaveGroup: the coordinator keeps
            // their partitions until the session times out.
            if in_group && !is_static {
                c.remove_member(&group, consumer, RebalanceReason::MemberLeft(consumer.to_string()));
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
            c.stop_heartbeat(consumer);
            if let Some(entry) = c.consumers.get_mut(consumer) {
                entry.status = ConsumerStatus::Crashed;
            }
            Ok(())
        })
        .map(|(_, e)| e)
    }

    pub(super) fn step_groups(&mut self) {
        let now = self.now;
        let names: Vec<String> = self.groups.keys().cloned().collect();
        for group in names {
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
                if status == ConsumerStatus::Active && !polling && !is_static {
                    self.remove_member(&group, &m, RebalanceReason::MaxPollIntervalExceeded(m.clone()));
                    continue;
                }
                if now.saturating_sub(ms.last_heartbeat_ms) > ms.session_timeout_ms {
                    self.remove_member(&group, &m, RebalanceReason::SessionTimeout(m.clone()));
                }
            }
            // The leader notices partitions added to a subscribed topic.
            let Some(g) = self.groups.get(&group) else { continue };
            let grown = g
                .partition_counts
                .iter()
                .find(|(t, n)| self.topics.get(*t).is_some_and(|ts| ts.partitions.len() as u32 != **n))
                .map(|(t, _)| t.clone());
            if let Some(t) = grown
                && !g.members.is_empty()
            {
                self.rebalance(&group, RebalanceReason::PartitionsAdded(t));
            }
        }
    }
}
