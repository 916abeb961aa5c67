//! Consumers and dispatch: `basic.consume` and `basic.cancel`, the choice
//! of the next consumer (priority, single active consumer, prefetch room,
//! and RabbitMQ's rotation: a queue of consumers in which the one served
//! goes to the tail, and one found without room leaves it until it has room
//! again, then rejoins at the tail), delivering ready messages, and
//! `basic.get`.

use super::*;

impl Broker {
    #[allow(clippy::too_many_arguments)]
    pub(super) fn consume_inner(
        &mut self,
        channel: ChannelId,
        queue: String,
        mut tag: String,
        no_ack: bool,
        exclusive: bool,
        arguments: FieldTable,
        ev: &mut Sink,
    ) -> R<()> {
        let (vhost, user) = self.ctx(channel)?;
        self.check(&user, &vhost, Access::Read, "queue", &queue)?;
        self.queue_exists(&vhost, &queue)?;
        self.check_exclusive(&vhost, &queue, channel.connection)?;
        if tag.is_empty() {
            tag = format!("amq.ctag-{}", short_id(&mut self.rng));
        }
        if self.chan_mut(channel)?.consumers.contains_key(&tag) {
            return Err(AmqpError::new(ReplyCode::NotAllowed, format!("attempt to reuse consumer tag '{tag}'")));
        }
        let q = self.vh(&vhost)?.queues.get(&queue).ok_or_else(|| qname_err(&queue, &vhost))?;
        // Up to 4.2 a quorum queue cannot serve a channel with a channel-wide
        // prefetch (`rabbit_quorum_queue:consume/3`); 540 closes the connection.
        if q.queue_type == QueueType::Quorum && self.chan_mut(channel)?.global_prefetch > 0 {
            return Err(AmqpError::new(
                ReplyCode::NotImplemented,
                format!("queue '{queue}' in vhost '{vhost}' does not support global qos"),
            ));
        }
        let q = self.vh(&vhost)?.queues.get(&queue).ok_or_else(|| qname_err(&queue, &vhost))?;
        // A single-active-consumer queue cannot have an exclusive consumer
        // (`exclusive_consume_unavailable`). Only classic queues enforce
        // consumer exclusivity (`rabbit_amqqueue_process`): quorum queues
        // and streams (3.10 to 4.3) pass the flag to metrics only, so
        // there it locks nobody out.
        let classic = q.queue_type == QueueType::Classic;
        if classic && (q.has_exclusive_consumer || (exclusive && (!q.consumers.is_empty() || q.cfg.single_active))) {
            return Err(AmqpError::access_refused(format!("queue '{queue}' in vhost '{vhost}' in exclusive use")));
        }
        let stream_start = if q.stream.is_some() {
            Some(self.stream_consume_check(&vhost, &queue, channel, no_ack, &arguments)?)
        } else {
            None
        };
        let priority = match arguments.get("x-priority") {
            None => 0,
            Some(v) => v.as_i64().ok_or_else(|| AmqpError::precondition("x-priority must be an integer"))?,
        };
        let sac_first = q.cfg.single_active && q.consumers.is_empty();
        let ch = self.chan_mut(channel)?;
        let prefetch = ch.prefetch;
        let id = self.next_seq;
        self.next_seq += 1;
        // A new consumer joins the rotation at the tail (`add_consumer/2`).
        let served = self.next_seq;
        self.next_seq += 1;
        let ch = self.chan_mut(channel)?;
        ch.consumers.insert(
            tag.clone(),
            ConsumerState {
                queue: queue.clone(),
                no_ack,
                exclusive,
                prefetch,
                priority,
                unacked: 0,
                served,
                blocked_at: None,
                id,
            },
        );
        let now = self.now;
        let q = self
            .vhosts
            .get_mut(&vhost)
            .and_then(|vh| vh.queues.get_mut(&queue))
            .ok_or_else(|| qname_err(&queue, &vhost))?;
        q.consumers.push((channel, tag.clone()));
        q.has_exclusive_consumer |= exclusive && classic;
        q.had_consumer = true;
        q.last_used = now;
        ev.push(Event::ConsumerStarted { channel, consumer_tag: tag.clone(), queue: queue.clone() });
        if sac_first {
            ev.push(Event::SingleActiveConsumerChanged {
                vhost: vhost.clone(),
                queue: queue.clone(),
                consumer_tag: Some(tag.clone()),
            });
        }
        if let Some(start) = stream_start {
            self.stream_attach(&vhost, &queue, channel, &tag, start, ev);
        }
        if !sac_first {
            self.quorum_sac_activate(&vhost, &queue, false, ev);
        }
        self.dispatch(&vhost, &queue, ev);
        Ok(())
    }

    /// The part of `rabbit_fifo:activate_next_consumer/2` (4.0+) that runs
    /// while a single-active-consumer quorum queue has an active consumer:
    /// if the best waiting consumer has a higher priority, it takes over at
    /// once when the active one holds no unsettled message; otherwise the
    /// active one quiesces (gets nothing new). `settled` says the active one
    /// may just have settled its last message: a quiescing consumer then
    /// rejoins the waiting consumers, and the best of them becomes active
    /// (`update_or_remove_con/4`).
    pub(super) fn quorum_sac_activate(&mut self, vhost: &str, qname: &str, settled: bool, ev: &mut Sink) -> bool {
        if !self.version.quorum_sac_priority() {
            return false;
        }
        let Some(q) = self.vhosts.get(vhost).and_then(|vh| vh.queues.get(qname)) else {
            return false;
        };
        if q.queue_type != QueueType::Quorum || !q.cfg.single_active || q.consumers.len() < 2 && !q.sac_quiescing {
            return false;
        }
        let Some(active) = q.consumers.first().and_then(|k| self.consumer(k)) else {
            return false;
        };
        let (active_priority, holds) = (active.priority, active.unacked > 0);
        let switch_to = if q.sac_quiescing {
            if !settled || holds {
                return false;
            }
            // The quiescing consumer is waiting again, with the others.
            self.best_waiting(&q.consumers, 0)
        } else {
            let Some(best) = self.best_waiting(&q.consumers, 1) else { return false };
            let best_priority = q.consumers.get(best).and_then(|k| self.consumer(k)).map_or(i64::MIN, |c| c.priority);
            if best_priority <= active_priority {
                return false;
            }
            if holds {
                if let Some(q) = self.vhosts.get_mut(vhost).and_then(|vh| vh.queues.get_mut(qname)) {
                    q.sac_quiescing = true;
                }
                return false;
            }
            Some(best)
        };
        let Some(q) = self.vhosts.get_mut(vhost).and_then(|vh| vh.queues.get_mut(qname)) else {
            return false;
        };
        q.sac_quiescing = false;
        let Some(i) = switch_to.filter(|i| *i > 0 && *i < q.consumers.len()) else { return true };
        let k = q.consumers.remove(i);
        let tag = k.1.clone();
        q.consumers.insert(0, k);
        ev.push(Event::SingleActiveConsumerChanged {
            vhost: vhost.to_string(),
            queue: qname.to_string(),
            consumer_tag: Some(tag),
        });
        true
    }

    /// The first of `rabbit_fifo:sort_waiting/1`'s order among `keys[from..]`:
    /// the highest priority, then the most credit (prefetch room; no limit
    /// counts as `rabbit_fifo_client`'s 2000), then the earliest attached.
    fn best_waiting(&self, keys: &[ConsumerKey], from: usize) -> Option<usize> {
        keys.iter()
            .enumerate()
            .skip(from)
            .filter_map(|(i, k)| {
                let c = self.consumer(k)?;
                let limit = if c.prefetch == 0 { 2000 } else { u32::from(c.prefetch) };
                Some((std::cmp::Reverse(c.priority), std::cmp::Reverse(limit.saturating_sub(c.unacked)), c.id, i))
            })
            .min()
            .map(|t| t.3)
    }

    fn consumer(&self, (ch, tag): &ConsumerKey) -> Option<&ConsumerState> {
        self.connections.get(&ch.connection)?.channels.get(&ch.channel)?.consumers.get(tag)
    }

    pub(super) fn cancel_consumer(&mut self, channel: ChannelId, tag: &str, by_broker: bool, ev: &mut Sink) {
        let Some(vhost) = self.connections.get(&channel.connection).map(|c| c.vhost.clone()) else {
            return;
        };
        let Some(c) = self.chan_mut(channel).ok().and_then(|ch| ch.consumers.remove(tag)) else {
            return;
        };
        ev.push(Event::ConsumerCancelled { channel, consumer_tag: tag.to_string(), by_broker });
        let now = self.now;
        let Some(q) = self.vhosts.get_mut(&vhost).and_then(|vh| vh.queues.get_mut(&c.queue)) else {
            return;
        };
        let was_active = q.cfg.single_active && q.consumers.first().is_some_and(|k| k.0 == channel && k.1 == tag);
        q.consumers.retain(|k| !(k.0 == channel && k.1 == tag));
        Self::stream_detach(q, c.id, &vhost, ev);
        if q.consumers.is_empty() {
            // The x-expires lease counts from when the queue became unused.
            q.last_used = now;
        }
        if c.exclusive {
            q.has_exclusive_consumer = false;
        }
        if was_active {
            self.sac_handover(&vhost, &c.queue, ev);
        }
        let Some(q) = self.vhosts.get(&vhost).and_then(|vh| vh.queues.get(&c.queue)) else {
            return;
        };
        if q.auto_delete && q.had_consumer && q.consumers.is_empty() && !by_broker {
            self.delete_queue(&vhost, &c.queue, ev);
        } else {
            self.dispatch(&vhost, &c.queue, ev);
        }
    }

    /// Makes the next waiting consumer the active one of a
    /// single-active-consumer queue whose active consumer left, and says
    /// which one it is. A classic queue takes the highest-priority one (the
    /// earliest among equals), as `rabbit_queue_consumers:get_consumer/1`
    /// picks it; a quorum queue in 4.0+ the first in `sort_waiting/1`'s
    /// order; one in 3.10 or 3.13 the earliest attached, whatever its
    /// priority (`rabbit_fifo:activate_next_consumer/2` takes the head of
    /// `waiting_consumers`, to which consumers are appended).
    pub(super) fn sac_handover(&mut self, vhost: &str, qname: &str, ev: &mut Sink) {
        let Some(q) = self.vhosts.get(vhost).and_then(|vh| vh.queues.get(qname)) else {
            return;
        };
        let quorum = q.queue_type == QueueType::Quorum;
        let next = if quorum {
            if self.version.quorum_sac_priority() { self.best_waiting(&q.consumers, 0) } else { Some(0) }
        } else {
            let priority = |(ch, tag): &ConsumerKey| {
                self.connections
                    .get(&ch.connection)
                    .and_then(|c| c.channels.get(&ch.channel))
                    .and_then(|chs| chs.consumers.get(tag))
                    .map_or(i64::MIN, |c| c.priority)
            };
            q.consumers.iter().enumerate().max_by_key(|(i, k)| (priority(k), std::cmp::Reverse(*i))).map(|(i, _)| i)
        };
        let Some(q) = self.vhosts.get_mut(vhost).and_then(|vh| vh.queues.get_mut(qname)) else {
            return;
        };
        if quorum {
            q.sac_quiescing = false;
        }
        if let Some(i) = next.filter(|i| *i < q.consumers.len()) {
            let k = q.consumers.remove(i);
            q.consumers.insert(0, k);
        }
        let next = q.consumers.first().map(|k| k.1.clone());
        ev.push(Event::SingleActiveConsumerChanged {
            vhost: vhost.to_string(),
            queue: qname.to_string(),
            consumer_tag: next,
        });
    }

    /// Whether a consumer of the queue could take a message now.
    pub(super) fn has_free_consumer(&self, vhost: &str, qname: &str) -> bool {
        let Some(q) = self.vhosts.get(vhost).and_then(|v| v.queues.get(qname)) else {
            return false;
        };
        self.active_consumers(q).iter().any(|(ch, tag)| self.consumer_has_room(*ch, tag))
    }

    /// The consumers that may receive: all of them, or the active one of a
    /// single-active-consumer queue.
    fn active_consumers<'a>(&self, q: &'a QueueState) -> &'a [ConsumerKey] {
        match (q.cfg.single_active, q.sac_quiescing) {
            // A quiescing active consumer gets nothing new.
            (true, true) => &[],
            (true, false) => &q.consumers[..q.consumers.len().min(1)],
            (false, _) => &q.consumers[..],
        }
    }

    /// Whether a consumer has room under its own prefetch and its channel's.
    fn consumer_has_room(&self, ch: ChannelId, tag: &str) -> bool {
        let Some(chs) = self.connections.get(&ch.connection).and_then(|c| c.channels.get(&ch.channel)) else {
            return false;
        };
        let Some(c) = chs.consumers.get(tag) else {
            return false;
        };
        c.no_ack
            || ((c.prefetch == 0 || c.unacked < u32::from(c.prefetch))
                && (chs.global_prefetch == 0 || chs.consumer_unacked < u32::from(chs.global_prefetch)))
    }

    /// The consumer that gets the next message, as `rabbit_queue_consumers:
    /// deliver/6` picks it: the highest priority first, and among equals the
    /// head of the rotation. Consumers found without room on the way are
    /// blocked; blocked consumers with room again first rejoin at the tail,
    /// in the order they were blocked (`unblock/2`). Call it only when the
    /// queue has a message to deliver: RabbitMQ blocks a consumer only when
    /// a delivery finds it full.
    pub(super) fn pick_consumer(&mut self, vhost: &str, qname: &str) -> Option<usize> {
        let q = self.vhosts.get(vhost)?.queues.get(qname)?;
        // (index, priority, place, blocked at, has room)
        let mut order: Vec<(usize, i64, u64, Option<u64>, bool)> = Vec::with_capacity(q.consumers.len());
        for (i, (ch, tag)) in self.active_consumers(q).iter().enumerate() {
            let Some(c) = self
                .connections
                .get(&ch.connection)
                .and_then(|c| c.channels.get(&ch.channel))
                .and_then(|chs| chs.consumers.get(tag))
            else {
                continue;
            };
            order.push((i, c.priority, c.served, c.blocked_at, self.consumer_has_room(*ch, tag)));
        }
        let keys: Vec<ConsumerKey> = q.consumers.clone();
        // Unblock first, in the order they were blocked, each to the tail.
        let mut unblocked: Vec<(u64, usize)> =
            order.iter().filter_map(|o| o.3.filter(|_| o.4).map(|at| (at, o.0))).collect();
        unblocked.sort_unstable();
        for (_, i) in unblocked {
            let seq = self.next_seq;
            self.next_seq += 1;
            if let Some(c) = self.consumer_mut(&keys[i]) {
                c.blocked_at = None;
                c.served = seq;
            }
            if let Some(o) = order.iter_mut().find(|o| o.0 == i) {
                o.2 = seq;
                o.3 = None;
            }
        }
        let mut waiting: Vec<&(usize, i64, u64, Option<u64>, bool)> = order.iter().filter(|o| o.3.is_none()).collect();
        waiting.sort_unstable_by_key(|o| (std::cmp::Reverse(o.1), o.2));
        let mut chosen = None;
        let mut to_block = Vec::new();
        for o in waiting {
            if o.4 {
                chosen = Some(o.0);
                break;
            }
            to_block.push(o.0);
        }
        for i in to_block {
            let seq = self.next_seq;
            self.next_seq += 1;
            if let Some(c) = self.consumer_mut(&keys[i]) {
                c.blocked_at = Some(seq);
            }
        }
        chosen
    }

    fn consumer_mut(&mut self, (ch, tag): &ConsumerKey) -> Option<&mut ConsumerState> {
        self.connections.get_mut(&ch.connection)?.channels.get_mut(&ch.channel)?.consumers.get_mut(tag)
    }

    /// Delivers ready messages to consumers with room for them.
    pub(super) fn dispatch(&mut self, vhost: &str, qname: &str, ev: &mut Sink) {
        if self.is_stream(vhost, qname) {
            return self.stream_dispatch(vhost, qname, ev);
        }
        loop {
            let waiting = self.has_free_consumer(vhost, qname);
            self.expire_heads(vhost, qname, waiting, ev);
            // Only a message to deliver moves consumers without room out of
            // the rotation, so an empty queue picks nobody.
            if self.vhosts.get(vhost).and_then(|v| v.queues.get(qname)).is_none_or(|q| q.ready_count() == 0) {
                return;
            }
            let pick = self.pick_consumer(vhost, qname);
            let Some(i) = pick else { return };
            let Some(q) = self.vhosts.get_mut(vhost).and_then(|v| v.queues.get_mut(qname)) else {
                return;
            };
            let Some((ch, tag)) = q.consumers.get(i).cloned() else { return };
            let incarnation = q.incarnation;
            // The picked consumer's channel is open (pick_consumer skips the
            // others); the message leaves the queue only once that is certain.
            let Some(chs) = self.connections.get_mut(&ch.connection).and_then(|c| c.channels.get_mut(&ch.channel))
            else {
                return;
            };
            let Some(c) = chs.consumers.get_mut(&tag) else { return };
            let Some(entry) = q.pop_front() else { return };
            let seq = self.next_seq;
            self.next_seq += 1;
            c.served = seq;
            let delivery_tag = chs.next_tag;
            chs.next_tag += 1;
            ev.emit(|| Event::Delivered {
                channel: ch,
                consumer_tag: tag.clone(),
                delivery_tag,
                queue: qname.to_string(),
                message: Box::new(to_message(&entry)),
            });
            if c.no_ack {
                self.ledger.acked += 1;
                ev.emit(|| Event::Acked { vhost: vhost.to_string(), queue: qname.to_string(), message_id: entry.id });
            } else {
                c.unacked += 1;
                chs.consumer_unacked += 1;
                chs.unacked.insert(
                    delivery_tag,
                    Unacked {
                        queue: qname.to_string(),
                        incarnation,
                        entry,
                        consumer_tag: Some(tag),
                        consumer: Some(c.id),
                    },
                );
                q.unacked += 1;
            }
        }
    }

    /// Puts the channel's blocked consumers that have room again back into
    /// their queues' rotations, at the tail, in the order they were blocked,
    /// as `rabbit_queue_consumers:possibly_unblock/3` does when an
    /// acknowledgement or a larger limit frees the channel.
    pub(super) fn unblock_channel_consumers(&mut self, channel: ChannelId) {
        let Some(chs) = self.connections.get(&channel.connection).and_then(|c| c.channels.get(&channel.channel)) else {
            return;
        };
        let mut ready: Vec<(u64, String)> = chs
            .consumers
            .iter()
            .filter_map(|(tag, c)| c.blocked_at.map(|at| (at, tag.clone())))
            .filter(|(_, tag)| self.consumer_has_room(channel, tag))
            .collect();
        ready.sort_unstable();
        for (_, tag) in ready {
            let seq = self.next_seq;
            self.next_seq += 1;
            if let Some(c) = self.consumer_mut(&(channel, tag)) {
                c.blocked_at = None;
                c.served = seq;
            }
        }
    }

    pub(super) fn dispatch_channel_queues(&mut self, channel: ChannelId, ev: &mut Sink) {
        self.unblock_channel_consumers(channel);
        let Some(c) = self.connections.get(&channel.connection) else {
            return;
        };
        let vhost = c.vhost.clone();
        let queues: BTreeSet<String> = c
            .channels
            .get(&channel.channel)
            .map(|ch| ch.consumers.values().map(|c| c.queue.clone()).collect())
            .unwrap_or_default();
        for q in queues {
            self.dispatch(&vhost, &q, ev);
        }
    }

    pub(super) fn basic_get(&mut self, channel: ChannelId, queue: String, no_ack: bool, ev: &mut Sink) -> R<()> {
        let (vhost, user) = self.ctx(channel)?;
        self.check(&user, &vhost, Access::Read, "queue", &queue)?;
        self.queue_exists(&vhost, &queue)?;
        self.check_exclusive(&vhost, &queue, channel.connection)?;
        self.stream_refuse_get(&vhost, &queue)?;
        if self.vh(&vhost)?.queues.get(&queue).is_some_and(|q| q.queue_type == QueueType::Quorum && q.cfg.single_active)
        {
            // `rabbit_fifo` answers a dequeue with `{unsupported,
            // single_active_consumer}`, which `rabbit_channel` turns into 405.
            return Err(AmqpError::new(
                ReplyCode::ResourceLocked,
                format!(
                    "cannot obtain access to locked queue '{queue}' in vhost '{vhost}'. basic.get operations are \
                     not supported by quorum queues with single active consumer"
                ),
            ));
        }
        self.expire_heads(&vhost, &queue, false, ev);
        let now = self.now;
        let Some(chs) =
            self.connections.get_mut(&channel.connection).and_then(|c| c.channels.get_mut(&channel.channel))
        else {
            return Err(AmqpError::new(ReplyCode::ChannelError, "channel is not open"));
        };
        let Some(q) = self.vhosts.get_mut(&vhost).and_then(|vh| vh.queues.get_mut(&queue)) else {
            return Err(qname_err(&queue, &vhost));
        };
        q.last_used = now;
        let Some(entry) = q.pop_front() else {
            ev.push(Event::GetEmpty { channel, queue });
            return Ok(());
        };
        let remaining = q.ready_count() as u32;
        if !no_ack {
            q.unacked += 1;
        }
        let incarnation = q.incarnation;
        let message = Box::new(to_message(&entry));
        let delivery_tag = chs.next_tag;
        chs.next_tag += 1;
        let id = entry.id;
        if !no_ack {
            chs.unacked.insert(
                delivery_tag,
                Unacked { queue: queue.clone(), incarnation, entry, consumer_tag: None, consumer: None },
            );
        }
        ev.push(Event::GetOk { channel, delivery_tag, queue: queue.clone(), message_count: remaining, message });
        if no_ack {
            self.ledger.acked += 1;
            ev.push(Event::Acked { vhost: vhost.clone(), queue: queue.clone(), message_id: id });
        }
        // RabbitMQ drops what expired behind the message it handed out
        // (`fetch/2` runs `drop_expired_msgs` afterwards).
        self.expire_heads(&vhost, &queue, false, ev);
        Ok(())
    }
}
