//! Channel operations: settling deliveries (ack, nack, reject, and the
//! requeue of what a closing channel held) and closing channels and
//! connections with everything that goes with it (consumers cancelled,
//! exclusive and auto-delete queues deleted).

use super::*;

impl Broker {
    pub(super) fn settle(&mut self, channel: ChannelId, tag: u64, multiple: bool, how: Settle, ev: &mut Sink) -> R<()> {
        let (vhost, _) = self.ctx(channel)?;
        let in_stream = self.stream_settle(channel, tag, multiple, how, ev)?;
        let chs = self.chan_mut(channel)?;
        let tags: Vec<u64> = if multiple {
            if tag == 0 {
                chs.unacked.keys().copied().collect()
            } else {
                chs.unacked.range(..=tag).map(|(t, _)| *t).collect()
            }
        } else {
            vec![tag]
        };
        if (!multiple || tag != 0) && !in_stream && !chs.unacked.contains_key(&tag) {
            return Err(AmqpError::precondition(format!("unknown delivery tag {tag}")));
        }
        let mut taken = Vec::new();
        for t in tags {
            if let Some(u) = chs.unacked.remove(&t) {
                if let (Some(ct), Some(id)) = (&u.consumer_tag, u.consumer) {
                    chs.consumer_unacked = chs.consumer_unacked.saturating_sub(1);
                    // A consumer that started later under the same tag did
                    // not receive this delivery.
                    if let Some(c) = chs.consumers.get_mut(ct)
                        && c.id == id
                    {
                        c.unacked = c.unacked.saturating_sub(1);
                    }
                }
                taken.push((t, u));
            }
        }
        // The queue unblocks the consumers the settlement freed before it
        // requeues anything (`subtract_acks` in rabbit_amqqueue_process).
        self.unblock_channel_consumers(channel);
        // Everything settled together goes back before any of it is
        // delivered again, as `requeue_and_run` does with all the tags.
        let mut requeued = BTreeSet::new();
        let mut quiescing = BTreeSet::new();
        for (t, u) in taken {
            if self.vhosts.get(&vhost).and_then(|v| v.queues.get(&u.queue)).is_some_and(|q| q.sac_quiescing) {
                quiescing.insert(u.queue.clone());
            }
            requeued.extend(self.release(&vhost, channel, t, u, how, ev));
        }
        // A quiescing single-active consumer that settled its last message
        // hands over to the waiting consumer of higher priority.
        let mut handed_over = Vec::new();
        for q in quiescing {
            if self.quorum_sac_activate(&vhost, &q, true, ev) {
                handed_over.push(q);
            }
        }
        for q in requeued {
            self.dispatch(&vhost, &q, ev);
        }
        self.dispatch_channel_queues(channel, ev);
        for q in handed_over {
            self.dispatch(&vhost, &q, ev);
        }
        Ok(())
    }

    /// Settles one unacknowledged delivery: acknowledges it, returns it to
    /// its queue, or dead-letters it. Returns the queue it went back to; the
    /// caller dispatches that queue once every delivery settled together is
    /// back.
    pub(super) fn release(
        &mut self,
        vhost: &str,
        channel: ChannelId,
        delivery_tag: u64,
        u: Unacked,
        how: Settle,
        ev: &mut Sink,
    ) -> Option<String> {
        // A queue deleted and declared again under the same name is another
        // queue: RabbitMQ's new queue process never sees the old deliveries.
        let same_queue = match self.vhosts.get_mut(vhost).and_then(|v| v.queues.get_mut(&u.queue)) {
            Some(q) if q.incarnation == u.incarnation => {
                q.unacked = q.unacked.saturating_sub(1);
                true
            }
            _ => false,
        };
        let requeue = match how {
            Settle::Ack => {
                self.ledger.acked += 1;
                ev.push(Event::Acked { vhost: vhost.to_string(), queue: u.queue, message_id: u.entry.id });
                return None;
            }
            Settle::Nack { requeue } => requeue,
            Settle::Reject { requeue } => requeue,
            Settle::Lost => true,
        };
        if !same_queue {
            self.ledger.dropped += 1;
            ev.push(Event::Dropped {
                vhost: vhost.to_string(),
                queue: Some(u.queue),
                message_id: Some(u.entry.id),
                reason: DropReason::QueueDeleted,
            });
            return None;
        }
        if !requeue {
            self.dead_letter(vhost, &u.queue, u.entry, DeathReason::Rejected, ev);
            return None;
        }
        let q = self.vhosts.get_mut(vhost).and_then(|v| v.queues.get_mut(&u.queue))?;
        let mut e = u.entry;
        e.redelivered = true;
        if q.queue_type == QueueType::Quorum {
            // Which returns count towards the delivery limit depends on the
            // release (see `Version::return_counts_towards_limit`).
            let rejected_or_lost = matches!(how, Settle::Reject { .. } | Settle::Lost);
            e.returns = Some((e.returns.map_or(0, |r| r.0).saturating_add(1), self.version));
            if self.version.return_counts_towards_limit(rejected_or_lost) {
                e.delivery_count = e.delivery_count.saturating_add(1);
            }
            if q.cfg.delivery_limit.is_some_and(|l| u64::from(e.delivery_count) > l) {
                self.dead_letter(vhost, &u.queue, e, DeathReason::DeliveryLimit, ev);
                return None;
            }
            if q.cfg.delivery_limit.is_none() && self.version.quorum_unlimited_return_to_tail() {
                // 4.0-4.2 requeue at the tail when the limit is disabled:
                // the message takes a place after everything enqueued so far.
                e.order = (1, self.next_seq);
                self.next_seq += 1;
            } else {
                // Quorum queues serve returned messages before the others.
                q.return_seq += 1;
                e.order = (0, q.return_seq);
            }
        }
        let id = e.id;
        q.insert_sorted(e);
        let queue = q.shared_name.clone();
        let drop_head = q.cfg.overflow == Overflow::DropHead && q.over_limit();
        let consumer_tag = u.consumer_tag;
        ev.emit(|| Event::Enqueued {
            vhost: Arc::from(vhost),
            queue,
            message_id: id,
            cause: EnqueueCause::Requeue { channel, delivery_tag, consumer_tag },
        });
        // RabbitMQ applies drop-head after a return too (classic queues in
        // requeue_and_run, quorum queues when they evaluate their limit).
        if drop_head {
            self.drop_over_limit(vhost, &u.queue, ev);
        }
        Some(u.queue)
    }

    pub(super) fn close_channel(&mut self, channel: ChannelId, error: Option<AmqpError>, ev: &mut Sink) {
        let Some(vhost) = self.connections.get(&channel.connection).map(|c| c.vhost.clone()) else {
            return;
        };
        let tags: Vec<String> = match self.chan_mut(channel) {
            Ok(ch) => ch.consumers.keys().cloned().collect(),
            Err(_) => return,
        };
        // Cancel first so the returned messages do not flow straight back
        // to the consumers of the closing channel.
        let mut consumer_queues = Vec::new();
        for t in &tags {
            if let Ok(ch) = self.chan_mut(channel)
                && let Some(c) = ch.consumers.remove(t)
            {
                consumer_queues.push((t.clone(), c));
            }
        }
        let unacked = match self.chan_mut(channel) {
            Ok(ch) => std::mem::take(&mut ch.unacked),
            Err(_) => return,
        };
        if let Some(c) = self.connections.get_mut(&channel.connection) {
            c.channels.remove(&channel.channel);
        }
        let now = self.now;
        for (tag, c) in &consumer_queues {
            ev.push(Event::ConsumerCancelled { channel, consumer_tag: tag.clone(), by_broker: false });
            let mut handover = false;
            if let Some(q) = self.vhosts.get_mut(&vhost).and_then(|vh| vh.queues.get_mut(&c.queue)) {
                let was_active =
                    q.cfg.single_active && q.consumers.first().is_some_and(|k| k.0 == channel && &k.1 == tag);
                q.consumers.retain(|k| !(k.0 == channel && &k.1 == tag));
                Self::stream_detach(q, c.id, &vhost, ev);
                if q.consumers.is_empty() {
                    q.last_used = now;
                }
                if c.exclusive {
                    q.has_exclusive_consumer = false;
                }
                handover = was_active;
            }
            // A channel that goes away hands over as a cancel does.
            if handover {
                self.sac_handover(&vhost, &c.queue, ev);
            }
        }
        // All of the channel's deliveries go back before any is delivered
        // again (`handle_ch_down` requeues them in one go).
        let mut requeued = BTreeSet::new();
        for (t, u) in unacked {
            requeued.extend(self.release(&vhost, channel, t, u, Settle::Lost, ev));
        }
        for q in requeued {
            self.dispatch(&vhost, &q, ev);
        }
        ev.push(Event::ChannelClosed { channel, error });
        for (_, c) in consumer_queues {
            let gone = self
                .vhosts
                .get(&vhost)
                .and_then(|vh| vh.queues.get(&c.queue))
                .is_some_and(|q| q.auto_delete && q.had_consumer && q.consumers.is_empty());
            if gone {
                self.delete_queue(&vhost, &c.queue, ev);
            } else {
                self.dispatch(&vhost, &c.queue, ev);
            }
        }
    }

    pub(super) fn close_connection(&mut self, connection: ConnectionId, error: Option<AmqpError>, ev: &mut Sink) {
        let Some(c) = self.connections.get(&connection) else {
            return;
        };
        let vhost = c.vhost.clone();
        let channels: Vec<u16> = c.channels.keys().copied().collect();
        for n in channels {
            self.close_channel(ChannelId { connection, channel: n }, None, ev);
        }
        // Publishes still held by an alarm never made it off the socket.
        self.connections.remove(&connection);
        if let Some(vh) = self.vhosts.get(&vhost) {
            let exclusive: Vec<String> =
                vh.queues.values().filter(|q| q.owner == Some(connection)).map(|q| q.name.clone()).collect();
            for q in exclusive {
                self.delete_queue(&vhost, &q, ev);
            }
        }
        ev.push(Event::ConnectionClosed { connection, error });
    }
}
