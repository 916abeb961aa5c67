//! The KRaft controller's part in broker failures: broker sessions and
//! fencing, controlled shutdown and preferred-leader election.
//!
//! A crashed broker stops at once, but the controller only learns of it when
//! its session expires: brokers heartbeat every `broker.heartbeat.interval.ms`
//! (2 s) and the controller keeps a broker whose last heartbeat is less than
//! `broker.session.timeout.ms` (9 s) old (`BrokerHeartbeatManager.hasValidSession`,
//! `lastContactNs + sessionTimeoutNs >= now`). Until then the metadata still
//! names it leader of its partitions, which clients cannot reach, and it stays
//! in every ISR, so `acks=all` writes to partitions it follows wait. Fencing
//! (`ReplicationControlManager.handleBrokerFenced`) then removes it from every
//! ISR (keeping the last member) and elects new leaders.
//!
//! A controlled shutdown (`handleBrokerInControlledShutdown`) does the same at
//! once, before the broker stops. With `auto.leader.rebalance.enable` the
//! controller checks `leader.imbalance.check.interval.seconds` after a
//! partition lost its preferred leader and moves leadership back to every
//! preferred replica that is live and in the ISR
//! (`QuorumController.maybeScheduleNextBalancePartitionLeaders`,
//! `ReplicationControlManager.maybeBalancePartitionLeaders`).

use super::*;

impl Cluster {
    /// Crashes a broker: its replicas stop at once; the controller fences it
    /// when its session expires.
    pub fn crash_broker(&mut self, broker: u32) -> Result<Vec<Event>, KafkaError> {
        self.run(|c| {
            c.check_broker(broker)?;
            let state = c.broker_mut(broker)?;
            if !state.alive {
                if !state.restart_pending {
                    return Err(KafkaError::BrokerNotAvailable(broker));
                }
                // Stopped again before it could register.
                state.restart_pending = false;
                state.unclean_shutdown = true;
                c.emit(Event::BrokerCrashed { broker });
                return Ok(());
            }
            c.note_all_caught_up();
            let hb = c.config.broker_heartbeat_interval_ms;
            let last_heartbeat = c.now - c.now % hb;
            let expires = last_heartbeat.saturating_add(c.config.broker_session_timeout_ms).saturating_add(1);
            let state = c.broker_mut(broker)?;
            state.alive = false;
            state.session_expires_ms = Some(expires);
            state.unclean_shutdown = true;
            c.emit(Event::BrokerCrashed { broker });
            for t in c.topics.values_mut() {
                for part in &mut t.partitions {
                    if part.leader_broker() == Some(broker) {
                        part.unreachable_leader = part.leader.take();
                    }
                }
            }
            // Group coordinators move off the stopped broker at once, not at
            // its fence: a simplification of the offsets partition's leader.
            c.move_coordinators();
            Ok(())
        })
        .map(|(_, e)| e)
    }

    /// Stops a live broker cleanly: the controller moves its leadership and
    /// takes it out of every ISR, then the broker stops, already fenced.
    pub fn shutdown_broker(&mut self, broker: u32) -> Result<Vec<Event>, KafkaError> {
        self.run(|c| {
            c.check_broker(broker)?;
            if !c.broker_alive(broker) {
                return Err(KafkaError::BrokerNotAvailable(broker));
            }
            // The broker asks the active controller to let it go; without
            // one it cannot shut down cleanly.
            c.check_quorum()?;
            c.note_all_caught_up();
            c.broker_change_record(broker, BrokerChange::ControlledShutdown);
            let state = c.broker_mut(broker)?;
            state.alive = false;
            // It writes its clean-shutdown file with its broker epoch.
            state.unclean_shutdown = false;
            c.fence_broker(broker, true);
            c.move_coordinators();
            c.emit(Event::BrokerShutDown { broker });
            Ok(())
        })
        .map(|(_, e)| e)
    }

    /// Restarts a stopped broker. If the controller still holds its old
    /// session, it registers when that session expires; otherwise at once:
    /// its followers must catch up before they rejoin the ISR, and offline
    /// partitions it can lead get a leader again (`handleBrokerUnfenced`).
    pub fn restart_broker(&mut self, broker: u32) -> Result<Vec<Event>, KafkaError> {
        self.run(|c| {
            c.check_broker(broker)?;
            let now = c.now;
            let state = c.broker_mut(broker)?;
            if state.alive || state.restart_pending {
                return Err(KafkaError::BrokerAlreadyRunning(broker));
            }
            // The new process's `ReplicaManager.startup` starts its ISR checks.
            state.started_ms = now;
            if let Some(until) = state.session_expires_ms {
                state.restart_pending = true;
                c.emit(Event::BrokerRegistrationDelayed { broker, until });
                return Ok(());
            }
            if !c.quorum_active() {
                // It registers when the quorum has an active controller again.
                c.broker_mut(broker)?.restart_pending = true;
                return Ok(());
            }
            c.register(broker);
            Ok(())
        })
        .map(|(_, e)| e)
    }

    /// Elects the preferred replica of every partition where it is live, in
    /// the ISR and not the leader.
    pub fn elect_preferred_leaders(&mut self) -> Result<Vec<Event>, KafkaError> {
        self.run(|c| {
            c.check_quorum()?;
            c.balance_leaders();
            Ok(())
        })
        .map(|(_, e)| e)
    }

    /// The broker joins again: it registers (`RegisterBrokerRecord`), loses
    /// its ELR places if it stopped uncleanly, and is unfenced.
    pub(super) fn register(&mut self, broker: u32) {
        let Ok(state) = self.broker_mut(broker) else { return };
        state.alive = true;
        state.restart_pending = false;
        let unclean = std::mem::take(&mut state.unclean_shutdown);
        self.emit(Event::BrokerRestarted { broker });
        self.publish_partitions();
        self.register_record(broker);
        if unclean && self.config.eligible_leader_replicas_enable {
            self.handle_unclean_shutdown(broker);
            self.publish_partitions();
        }
        self.broker_change_record(broker, BrokerChange::Unfence);
        let now = self.now;
        let names: Vec<String> = self.topics.keys().cloned().collect();
        for name in names {
            let count = self.topics.get(&name).map_or(0, |t| t.partitions.len());
            for p in 0..count {
                let Some(part) = self.partition_at_mut(&name, p) else { continue };
                let leo = part.log.log_end_offset();
                let leaderless = part.leader.is_none() && part.unreachable_leader.is_none();
                let Some(r) = part.replicas.iter_mut().find(|r| r.broker == broker) else {
                    continue;
                };
                // A returning replica truncates anything the current log no longer has.
                r.log_end_offset = r.log_end_offset.min(leo);
                r.last_caught_up_ms = now;
                if leaderless {
                    self.elect_leader(&name, p, ElectionReason::BrokerRestarted { broker });
                    self.update_high_watermark(&name, p);
                }
            }
            self.refresh_available(&name);
        }
        self.move_coordinators();
    }

    /// A broker registering after an unclean shutdown (KIP-966; Kafka 4.0+
    /// `ReplicationControlManager.handleBrokerUncleanShutdown`, with the
    /// detection of KAFKA-18635: a broker that shut down cleanly writes its
    /// broker epoch to a clean-shutdown file and registers with it as
    /// `PreviousBrokerEpoch`; any other registration is unclean). Its log may
    /// have lost records it had acknowledged (a crash loses what was not yet
    /// flushed), so the controller takes it out of every ISR and ELR, with
    /// `PartitionChangeBuilder.setUncleanShutdownReplicas` keeping it out of
    /// the new ELR: it can no longer be elected as an eligible leader
    /// replica. In the engine a crash is an unclean shutdown and a
    /// controlled shutdown (`shutdown_broker`) a clean one.
    fn handle_unclean_shutdown(&mut self, broker: u32) {
        let names: Vec<String> = self.topics.keys().cloned().collect();
        for name in names {
            let count = self.topics.get(&name).map_or(0, |t| t.partitions.len());
            for p in 0..count {
                let Some(part) = self.partition_at(&name, p) else { continue };
                if !part.isr.contains(&broker) && !part.elr.contains(&broker) {
                    continue;
                }
                let isr: Vec<u32> = part.isr.iter().copied().filter(|&b| b != broker).collect();
                self.set_isr(&name, p, isr, &[broker]);
                let elr = self.partition_at(&name, p).map(|x| x.elr.clone()).unwrap_or_default();
                self.emit(Event::EligibleLeaderReplicaRemoved {
                    topic: name.clone(),
                    partition: p as u32,
                    broker,
                    elr,
                });
            }
        }
    }

    /// Fences a stopped broker (`handleBrokerFenced`, or
    /// `handleBrokerInControlledShutdown` when `controlled`): out of every
    /// ISR it is in, and new leaders where it led. With eligible leader
    /// replicas on the ISR may become empty and the broker joins the ELR
    /// when the ISR falls below `min.insync.replicas`; off, the controller
    /// keeps the last ISR member (Kafka 4.0 and before). The
    /// `PartitionChangeRecord`s come before the `BrokerRegistrationChangeRecord`
    /// that fences it, in one batch of the metadata log.
    fn fence_broker(&mut self, broker: u32, controlled: bool) {
        let elr_on = self.config.eligible_leader_replicas_enable;
        if let Ok(state) = self.broker_mut(broker) {
            state.session_expires_ms = None;
        }
        self.emit(Event::BrokerFenced { broker });
        let reason = if controlled { IsrShrinkReason::ControlledShutdown } else { IsrShrinkReason::BrokerCrashed };
        let names: Vec<String> = self.topics.keys().cloned().collect();
        for name in names {
            let count = self.topics.get(&name).map_or(0, |t| t.partitions.len());
            for p in 0..count {
                let Some(part) = self.partition_at_mut(&name, p) else { continue };
                if part.replica(broker).is_none() {
                    continue;
                }
                let was_leader = part.leader_broker() == Some(broker)
                    || part.unreachable_leader.and_then(|i| part.replicas.get(i)).is_some_and(|r| r.broker == broker);
                if part.isr.contains(&broker) && (elr_on || part.isr.len() > 1) {
                    let isr: Vec<u32> = part.isr.iter().copied().filter(|&b| b != broker).collect();
                    self.set_isr(&name, p, isr.clone(), &[]);
                    // The ISR became empty: `LastKnownElr` keeps the leader
                    // (`PartitionChangeBuilder.maybeUpdateLastKnownLeader`),
                    // which was this broker, the ISR's last member.
                    if isr.is_empty()
                        && let Some(part) = self.partition_at_mut(&name, p)
                    {
                        part.last_known_elr = vec![broker];
                    }
                    self.emit(Event::IsrShrunk { topic: name.clone(), partition: p as u32, broker, isr, reason });
                }
                if was_leader {
                    if let Some(part) = self.partition_at_mut(&name, p) {
                        part.leader = None;
                        part.unreachable_leader = None;
                    }
                    let why = if controlled {
                        ElectionReason::ControlledShutdown { broker }
                    } else {
                        ElectionReason::LeaderCrashed { broker }
                    };
                    self.elect_leader(&name, p, why);
                }
                self.update_high_watermark(&name, p);
            }
            self.refresh_available(&name);
        }
        self.publish_partitions();
        self.broker_change_record(broker, BrokerChange::Fence);
    }

    /// Moves leadership to each preferred replica that is live, in the ISR
    /// and not leading (`Election.PREFERRED`).
    pub(super) fn balance_leaders(&mut self) {
        let names: Vec<String> = self.topics.keys().cloned().collect();
        for name in names {
            let count = self.topics.get(&name).map_or(0, |t| t.partitions.len());
            for p in 0..count {
                let Some(part) = self.partition_at(&name, p) else { continue };
                let Some(preferred) = part.replicas.first().map(|r| r.broker) else { continue };
                if part.leader.is_none()
                    || part.leader == Some(0)
                    || !part.isr.contains(&preferred)
                    || !self.broker_alive(preferred)
                {
                    continue;
                }
                self.move_leader(&name, p, 0, ElectionReason::PreferredLeader);
            }
            self.refresh_available(&name);
        }
        self.schedule_leader_balance();
    }

    /// Hands leadership to the in-sync replica at `index`: it has every
    /// record up to the high watermark, and the old leader becomes its follower.
    fn move_leader(&mut self, topic: &str, p: usize, index: usize, reason: ElectionReason) {
        if self.install_leader(topic, p, index, false, reason) {
            self.cleaner_pending = true;
        }
    }

    /// Schedules the next leader-balance check one
    /// `leader.imbalance.check.interval.seconds` from now when a partition
    /// is led by another replica than its preferred one and none is pending.
    pub(super) fn schedule_leader_balance(&mut self) {
        if !self.config.auto_leader_rebalance_enable || self.leader_balance_due.is_some() {
            return;
        }
        let imbalanced = self.topics.values().flat_map(|t| &t.partitions).any(|p| p.leader.is_some_and(|i| i != 0));
        if imbalanced {
            self.leader_balance_due = Some(self.now.saturating_add(self.config.leader_imbalance_check_interval_ms));
        }
    }

    /// The controller's work due at `t`: expired sessions are fenced (and a
    /// restart waiting for that registers), then the leader-balance check.
    pub(super) fn step_controller(&mut self, t: u64) {
        // Without an active controller nothing is fenced or balanced.
        if !self.quorum_active() {
            return;
        }
        for b in 0..self.brokers.len() as u32 {
            let Some(state) = self.brokers.get(b as usize) else { continue };
            if state.session_expires_ms.is_some_and(|e| e <= t) {
                let pending = state.restart_pending;
                self.fence_broker(b, false);
                if pending {
                    self.register(b);
                }
            }
        }
        let interval = self.config.leader_imbalance_check_interval_ms;
        if self.leader_balance_due.is_some_and(|d| d <= t && (t - d).is_multiple_of(interval)) {
            self.leader_balance_due = None;
            self.balance_leaders();
        }
    }

    /// Whether a preferred replica is live, in the ISR and not leading.
    fn fixable_imbalance(&self) -> bool {
        self.topics.values().flat_map(|t| &t.partitions).any(|p| {
            p.leader.is_some_and(|i| i != 0)
                && p.replicas.first().is_some_and(|r| p.isr.contains(&r.broker) && self.broker_alive(r.broker))
        })
    }

    /// The instants the controller acts at: session expiries and the next
    /// leader-balance check.
    pub(super) fn controller_deadlines(&self, at: &mut impl FnMut(u64)) {
        if let Some(d) = self.kraft.election_due {
            at(d);
        }
        if !self.quorum_active() {
            return;
        }
        for b in &self.brokers {
            if let Some(e) = b.session_expires_ms {
                at(e);
            }
        }
        // The check runs every `leader.imbalance.check.interval.seconds` from
        // `d` while a partition is imbalanced; an instant at which it could
        // move no leader is skipped, so a long tick does not walk through
        // every check of a partition whose preferred replica is down.
        if let Some(d) = self.leader_balance_due
            && self.fixable_imbalance()
        {
            let interval = self.config.leader_imbalance_check_interval_ms;
            let next = self.now.saturating_add(1);
            let k = next.saturating_sub(d).div_ceil(interval);
            at(d.saturating_add(k.saturating_mul(interval)).min(time::MAX_TIME));
        }
    }
}
