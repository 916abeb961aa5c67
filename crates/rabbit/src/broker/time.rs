//! Time and broker-wide events: `tick` (everything that falls due, in time
//! order), restarts (what survives and what is lost) and resource alarms
//! (blocking connections and replaying their held publishes).

use super::*;

impl Broker {
    /// Advances time to `now + ms`. Everything that falls due on the way
    /// happens in time order, one item at a time, each at its own instant:
    /// a message reaching its TTL at the head of its queue, and a queue
    /// unused for its `x-expires`. So one long tick and the same span cut
    /// into shorter ticks do the same things in the same order.
    pub(super) fn tick_inner(&mut self, ms: u64, ev: &mut Sink) {
        let target = self.now.saturating_add(ms);
        ev.push(Event::Ticked { now: target });
        while let Some(due) = self.next_due(target) {
            self.now = self.now.max(due.at);
            match due.what {
                DueKind::MessageExpiry => self.expire_heads(&due.vhost, &due.queue, false, ev),
                // An expired queue's messages are deleted with it, not
                // dead-lettered, as in RabbitMQ.
                DueKind::QueueExpiry => self.delete_queue(&due.vhost, &due.queue, ev),
            }
        }
        self.now = target;
    }

    /// The earliest timed item due at or before `until`. Ties go to message
    /// expiry before queue expiry, then to the oldest message copy, then to
    /// vhost and queue name order, so the order never depends on how time
    /// was advanced.
    pub(super) fn next_due(&self, until: u64) -> Option<Due> {
        type Key<'a> = (u64, DueKind, MessageId, &'a str, &'a str);
        fn consider<'a>(best: &mut Option<Key<'a>>, cand: Key<'a>, until: u64) {
            if cand.0 <= until && best.is_none_or(|b| cand < b) {
                *best = Some(cand);
            }
        }
        let mut best: Option<Key<'_>> = None;
        for (v, vh) in &self.vhosts {
            for (qn, q) in &vh.queues {
                // Only the message taken next can expire, or in a 4.3 quorum
                // queue the head of any priority (see `expire_heads`).
                let strict = q.prio == PrioMode::QuorumStrict;
                let next = q.next_level();
                for (l, level) in q.levels.iter().enumerate() {
                    if (strict || Some(l) == next)
                        && let Some(e) = level.front()
                        && let Some(t) = e.expires_at
                    {
                        consider(&mut best, (t, DueKind::MessageExpiry, e.id, v.as_str(), qn.as_str()), until);
                    }
                }
                if let Some(expires) = q.cfg.expires
                    && q.consumers.is_empty()
                {
                    let at = q.last_used.saturating_add(expires);
                    consider(&mut best, (at, DueKind::QueueExpiry, 0, v.as_str(), qn.as_str()), until);
                }
            }
        }
        best.map(|(at, what, _, v, q)| Due { at, what, vhost: v.to_string(), queue: q.to_string() })
    }

    pub(super) fn restart_inner(&mut self, ev: &mut Sink) {
        let conns: Vec<ConnectionId> = self.connections.keys().copied().collect();
        for c in conns {
            self.close_connection(c, Some(AmqpError::new(ReplyCode::NotAllowed, "broker restart")), ev);
        }
        let vhosts: Vec<String> = self.vhosts.keys().cloned().collect();
        for v in vhosts {
            let transient: Vec<String> = self.vhosts.get(&v).map_or_else(Vec::new, |vh| {
                vh.queues.values().filter(|q| !q.durable).map(|q| q.name.clone()).collect()
            });
            for q in transient {
                self.delete_queue(&v, &q, ev);
            }
            let transient_x: Vec<String> = self.vhosts.get(&v).map_or_else(Vec::new, |vh| {
                vh.exchanges.values().filter(|x| !x.durable).map(|x| x.name.clone()).collect()
            });
            for x in transient_x {
                self.delete_exchange(&v, &x, ev);
            }
            let mut lost = Vec::new();
            let Some(vh) = self.vhosts.get_mut(&v) else {
                continue;
            };
            for q in vh.queues.values_mut() {
                // Quorum queues store every message; classic durable queues
                // keep only persistent ones.
                if q.queue_type == QueueType::Quorum {
                    continue;
                }
                for level in &mut q.levels {
                    level.retain(|e| {
                        let keep = e.content.persistent();
                        if !keep {
                            lost.push((q.name.clone(), e.id));
                        }
                        keep
                    });
                }
                q.ready_bytes = q.levels.iter().flatten().map(|e| e.content.body.len() as u64).sum();
            }
            self.ledger.dropped += lost.len() as u64;
            for (q, id) in lost {
                ev.push(Event::Dropped {
                    vhost: v.clone(),
                    queue: Some(q),
                    message_id: Some(id),
                    reason: DropReason::LostInRestart,
                });
            }
        }
        // A recovered queue starts its x-expires lease afresh
        // (`rabbit_amqqueue_process:init_it/3` arms the timer on recovery).
        let now = self.now;
        for vh in self.vhosts.values_mut() {
            for q in vh.queues.values_mut() {
                q.last_used = now;
            }
        }
        self.alarms.clear();
        ev.push(Event::BrokerRestarted);
    }

    /// The text of `connection.blocked`: which alarms are on.
    pub(super) fn alarm_reason(&self) -> String {
        let names: Vec<&str> = self
            .alarms
            .iter()
            .map(|a| match a {
                Alarm::Memory => "low on memory",
                Alarm::Disk => "low on disk",
            })
            .collect();
        names.join(" & ")
    }

    /// Raises or clears a resource alarm. Raising blocks nobody yet: a
    /// connection is blocked when it next publishes (`rabbit_reader`), so
    /// connections that only consume carry on. Clearing the last alarm
    /// unblocks the blocked connections and replays what they sent
    /// meanwhile, in order.
    pub(super) fn set_alarm_inner(&mut self, alarm: Alarm, active: bool, ev: &mut Sink) {
        if active {
            if !self.alarms.insert(alarm) {
                return;
            }
            ev.push(Event::AlarmRaised { alarm });
            return;
        }
        if !self.alarms.remove(&alarm) {
            return;
        }
        ev.push(Event::AlarmCleared { alarm });
        if !self.alarms.is_empty() {
            return;
        }
        let ids: Vec<ConnectionId> = self.connections.iter().filter(|(_, c)| c.blocked).map(|(id, _)| *id).collect();
        for id in ids {
            let held = match self.connections.get_mut(&id) {
                Some(c) => {
                    c.blocked = false;
                    std::mem::take(&mut c.held)
                }
                None => continue,
            };
            ev.push(Event::ConnectionUnblocked { connection: id });
            for cmd in held {
                // A refusal closes the channel or connection, as it would
                // have when the command was first sent.
                let _ = self.run(cmd, ev);
            }
        }
    }
}
