//! Consumers and dispatch: `basic.consume` and `basic.cancel`, the choice
//! of the next consumer (priority, single active consumer, prefetch room,
//! round-robin), delivering ready messages, and `basic.get`.

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
        if q.has_exclusive_consumer || (exclusive && !q.consumers.is_empty()) {
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
        let ch = self.chan_mut(channel)?;
        ch.consumers.insert(
            tag.clone(),
            ConsumerState { queue: queue.clone(), no_ack, exclusive, prefetch, priority, unacked: 0, served: 0, id },
        );
        let now = self.now;
        let q = self
            .vhosts
            .get_mut(&vhost)
            .and_then(|vh| vh.queues.get_mut(&queue))
            .ok_or_else(|| qname_err(&queue, &vhost))?;
        q.consumers.push((channel, tag.clone()));
        q.has_exclusive_consumer |= exclusive;
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
        self.dispatch(&vhost, &queue, ev);
        Ok(())
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
            let next = q.consumers.first().map(|k| k.1.clone());
            ev.push(Event::SingleActiveConsumerChanged {
                vhost: vhost.clone(),
                queue: c.queue.clone(),
                consumer_tag: next,
            });
        }
        if q.auto_delete && q.had_consumer && q.consumers.is_empty() && !by_broker {
            self.delete_queue(&vhost, &c.queue, ev);
        } else {
            self.dispatch(&vhost, &c.queue, ev);
        }
    }

    pub(super) fn has_free_consumer(&self, vhost: &str, qname: &str) -> bool {
        self.pick_consumer(vhost, qname).is_some()
    }

    /// The consumer that gets the next message: the highest priority among
    /// those with room under their prefetch limits, and among equals the one
    /// served longest ago (round-robin).
    pub(super) fn pick_consumer(&self, vhost: &str, qname: &str) -> Option<usize> {
        let q = self.vhosts.get(vhost)?.queues.get(qname)?;
        let candidates = if q.cfg.single_active { &q.consumers[..q.consumers.len().min(1)] } else { &q.consumers[..] };
        let mut best: Option<(usize, i64, u64)> = None;
        for (i, (ch, tag)) in candidates.iter().enumerate() {
            let Some(chs) = self.connections.get(&ch.connection).and_then(|c| c.channels.get(&ch.channel)) else {
                continue;
            };
            let Some(c) = chs.consumers.get(tag) else {
                continue;
            };
            if !c.no_ack {
                if c.prefetch > 0 && c.unacked >= u32::from(c.prefetch) {
                    continue;
                }
                if chs.global_prefetch > 0 && chs.consumer_unacked >= u32::from(chs.global_prefetch) {
                    continue;
                }
            }
            let better = match best {
                None => true,
                Some((_, p, s)) => c.priority > p || (c.priority == p && c.served < s),
            };
            if better {
                best = Some((i, c.priority, c.served));
            }
        }
        best.map(|b| b.0)
    }

    /// Delivers ready messages to consumers with room for them.
    pub(super) fn dispatch(&mut self, vhost: &str, qname: &str, ev: &mut Sink) {
        if self.is_stream(vhost, qname) {
            return self.stream_dispatch(vhost, qname, ev);
        }
        loop {
            let pick = self.pick_consumer(vhost, qname);
            self.expire_heads(vhost, qname, pick.is_some(), ev);
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

    pub(super) fn dispatch_channel_queues(&mut self, channel: ChannelId, ev: &mut Sink) {
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
            ev.push(Event::Acked { vhost, queue, message_id: id });
        }
        Ok(())
    }
}
