//! Queue operations: publishing (a publish during an alarm blocks its
//! connection), enqueueing a copy with its TTL and priority level, the
//! length limits and overflow modes, message expiry at the queue head, and
//! dead-lettering with its `x-death` history and cycle rule.

use super::*;

impl Broker {
    #[allow(clippy::too_many_arguments)]
    pub(super) fn publish_cmd(
        &mut self,
        channel: ChannelId,
        exchange: String,
        routing_key: String,
        mandatory: bool,
        properties: BasicProperties,
        body: String,
        ev: &mut Sink,
    ) -> R<()> {
        // The checks borrow the channel's vhost and user instead of copying
        // them: a publish is the most frequent command.
        let (vhost, user) = self.ctx_ref(channel)?;
        self.check(user, vhost, Access::Write, "exchange", perm_name(&exchange))?;
        let vh = self.vh(vhost)?;
        let Some(x) = vh.exchange(&exchange) else {
            return Err(xname_err(&exchange, vhost));
        };
        if x.internal {
            return Err(AmqpError::access_refused(format!(
                "cannot publish to internal exchange '{exchange}' in vhost '{vhost}'"
            )));
        }
        let vhost = vh.name.clone();
        if let Some(exp) = &properties.expiration
            && exp.parse::<u64>().is_err()
        {
            return Err(AmqpError::precondition(format!("invalid expiration '{exp}'")));
        }
        if !self.alarms.is_empty() {
            let reason = self.alarm_reason();
            let conn = self.connections.get_mut(&channel.connection).ok_or_else(|| {
                AmqpError::new(ReplyCode::ChannelError, format!("connection {} is not open", channel.connection))
            })?;
            // A publish during an alarm blocks its connection
            // (`rabbit_reader:publish_received/1`): it and everything sent
            // after it on that connection wait in the socket until the
            // alarm clears; the engine keeps them in order and replays them.
            conn.blocked = true;
            conn.held.push(Command::BasicPublish { channel, exchange, routing_key, mandatory, properties, body });
            ev.push(Event::ConnectionBlocked { connection: channel.connection, reason });
            ev.push(Event::PublishHeld { channel });
            return Ok(());
        }
        self.do_publish(channel, vhost, exchange, routing_key, mandatory, properties, body, ev);
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    pub(super) fn do_publish(
        &mut self,
        channel: ChannelId,
        vhost: Arc<str>,
        exchange: String,
        routing_key: String,
        mandatory: bool,
        mut properties: BasicProperties,
        body: String,
        ev: &mut Sink,
    ) {
        let cc = header_strings(properties.headers.as_ref(), "CC");
        let bcc = header_strings(properties.headers.as_ref(), "BCC");
        // The routing keys: the message's own, then CC and BCC. Most
        // messages have only their own, which needs no list.
        let rk: &str = &routing_key;
        let listed: Vec<&str>;
        let key_refs: &[&str] = if cc.is_empty() && bcc.is_empty() {
            std::slice::from_ref(&rk)
        } else {
            listed = std::iter::once(rk)
                .chain(cc.iter().map(String::as_str))
                .chain(bcc.iter().map(String::as_str))
                .collect();
            &listed
        };
        let mut steps = Vec::new();
        let Some(vh) = self.vhosts.get(&*vhost) else {
            return;
        };
        let mut queues: Vec<Arc<str>> = Self::route_in(
            vh,
            &exchange,
            key_refs,
            properties.headers.as_ref(),
            self.version,
            self.tracing.then_some(&mut steps),
        )
        .into_iter()
        .cloned()
        .collect();
        // Queues take the message in name order, so events read the same
        // way whatever order the bindings were made in.
        queues.sort_unstable();
        if let Some(h) = properties.headers.as_mut() {
            // BCC recipients stay hidden from every receiver.
            h.remove("BCC");
        }
        let confirm_tag = self.chan_mut(channel).ok().and_then(|ch| {
            ch.confirm.then(|| {
                ch.next_confirm += 1;
                ch.next_confirm - 1
            })
        });
        let outcome = if !queues.is_empty() {
            RouteOutcome::Routed
        } else if mandatory {
            RouteOutcome::Returned
        } else {
            RouteOutcome::Dropped
        };
        let publish = self.next_publish;
        self.next_publish += 1;
        let tracing = self.tracing;
        ev.emit(|| Event::Published {
            channel,
            publish,
            exchange: exchange.clone(),
            routing_key: routing_key.clone(),
            body: body.clone(),
            queues: queues.clone(),
            trace: tracing.then(|| {
                Box::new(RouteTrace {
                    exchange: exchange.clone(),
                    routing_keys: key_refs.iter().map(|k| k.to_string()).collect(),
                    exchanges: steps,
                    queues: queues.iter().map(|q| q.to_string()).collect(),
                    outcome,
                })
            }),
        });
        let mut all_accepted = true;
        if queues.is_empty() {
            if mandatory {
                ev.push(Event::Returned {
                    channel,
                    reply_code: 312,
                    reply_text: "NO_ROUTE".to_string(),
                    exchange,
                    routing_key,
                    body,
                });
            } else {
                ev.push(Event::Dropped {
                    vhost: vhost.to_string(),
                    queue: None,
                    message_id: None,
                    reason: DropReason::Unroutable,
                });
            }
        } else {
            // 3.10 and 3.13 read an `x-death` header a client republished
            // and go on counting in it; 4.x treats it as the client's own.
            let deaths = if self.version.reads_client_x_death() {
                read_death_headers(properties.headers.as_ref())
            } else {
                Vec::new()
            };
            let content = Arc::new(Content::new(exchange, routing_key, cc, bcc, properties, body, deaths));
            let origin = Origin::Publish { channel, publish };
            let outer = self.deferred.replace(Vec::new());
            for q in &queues {
                if self.enqueue(&vhost, q, &content, origin, ev).is_none() {
                    all_accepted = false;
                }
            }
            // Dead letters the publish caused follow its own copies.
            let pending = std::mem::replace(&mut self.deferred, outer).unwrap_or_default();
            for (v, q, entry, reason) in pending {
                self.dead_letter(&v, &q, entry, reason, ev);
            }
        }
        if let Some(tag) = confirm_tag {
            ev.push(Event::Confirmed { channel, delivery_tag: tag, ack: all_accepted });
        }
    }

    /// Puts a copy of `content` into a queue, applying length limits, TTL
    /// and immediate delivery. Returns the new copy's id, or `None` when a
    /// `reject-publish` queue refused it.
    pub(super) fn enqueue(
        &mut self,
        vhost: &str,
        qname: &str,
        content: &Arc<Content>,
        origin: Origin<'_>,
        ev: &mut Sink,
    ) -> Option<MessageId> {
        let now = self.now;
        let size = content.body.len() as u64;
        let msg_ttl = content.properties.expiration.as_deref().and_then(|e| e.parse::<u64>().ok());
        // One lookup serves the common case; the fields used alongside the
        // queue (ids, ledger) are borrowed separately from the vhost map.
        let vh = self.vhosts.get_mut(vhost)?;
        let q = vh.queues.get_mut(qname)?;
        if q.stream.is_some() {
            return self.stream_append(vhost, qname, content, origin, ev);
        }
        let vhost_name = vh.name.clone();
        let refuse = match (q.queue_type, q.cfg.overflow) {
            (_, Overflow::DropHead) => false,
            // A quorum queue's limit is soft (`rabbit_fifo:evaluate_limit/4`,
            // `rabbit_fifo_client`): the message that crosses it is taken,
            // then publishers are refused until the queue drains to 80 %.
            (QueueType::Quorum, _) => {
                if q.publish_blocked && q.below_soft_limit() {
                    q.publish_blocked = false;
                }
                q.publish_blocked
            }
            // A classic queue refuses by length alone, before any consumer
            // is considered (`maybe_deliver_or_enqueue/3`, `will_overflow/2`).
            (QueueType::Classic, _) => q.would_overflow(size),
            // Streams returned above: they have no overflow of their own.
            (QueueType::Stream, _) => false,
        };
        let level = q.level_for(content.properties.priority, false);
        let ttl = match (q.cfg.message_ttl, msg_ttl) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        let overflow = q.cfg.overflow;
        let id = self.next_message_id;
        self.next_message_id += 1;
        self.ledger.created += 1;
        let seq = self.next_seq;
        self.next_seq += 1;
        let entry = Entry {
            id,
            content: content.clone(),
            order: (1, seq),
            redelivered: false,
            delivery_count: 0,
            returns: None,
            enqueued_at: now,
            expires_at: ttl.map(|t| now.saturating_add(t)),
            level,
        };
        if refuse {
            if overflow == Overflow::RejectPublishDlx {
                self.dead_letter(vhost, qname, entry, DeathReason::Maxlen, ev);
            } else {
                self.ledger.dropped += 1;
                ev.push(Event::Dropped {
                    vhost: vhost.to_string(),
                    queue: Some(qname.to_string()),
                    message_id: Some(id),
                    reason: DropReason::RejectedByQueue,
                });
            }
            return None;
        }
        q.push_back(entry);
        if q.queue_type == QueueType::Quorum && q.cfg.overflow != Overflow::DropHead && q.over_limit() {
            q.publish_blocked = true;
        }
        // Most enqueues need nothing more: no consumer to feed, nothing
        // expired at a head, no limit crossed. Checking that here saves the
        // repeated lookups of the general path on hot fanouts.
        let needs_dispatch = !q.consumers.is_empty()
            || q.levels.iter().any(|l| l.front().is_some_and(|e| e.expires_at.is_some_and(|t| t <= now)));
        let needs_drop = q.cfg.overflow == Overflow::DropHead && q.over_limit();
        ev.emit(|| Event::Enqueued {
            vhost: vhost_name,
            queue: q.shared_name.clone(),
            message_id: id,
            cause: origin.cause(content),
        });
        if needs_dispatch {
            self.dispatch(vhost, qname, ev);
        }
        // Drop-head applies to whatever a consumer could not take at once.
        if needs_drop {
            self.drop_over_limit(vhost, qname, ev);
        }
        Some(id)
    }

    /// Dead-letters (or drops) messages from the head of a drop-head queue
    /// until it is within its length limits again.
    pub(super) fn drop_over_limit(&mut self, vhost: &str, qname: &str, ev: &mut Sink) {
        while let Some(head) = self
            .vhosts
            .get_mut(vhost)
            .and_then(|vh| vh.queues.get_mut(qname))
            .and_then(|q| if q.over_limit() { q.pop_front() } else { None })
        {
            self.dead_letter(vhost, qname, head, DeathReason::Maxlen, ev);
        }
    }

    // Dead-lettering
    pub(super) fn dead_letter(&mut self, vhost: &str, qname: &str, entry: Entry, reason: DeathReason, ev: &mut Sink) {
        if let Some(pending) = self.deferred.as_mut() {
            pending.push((vhost.to_string(), qname.to_string(), entry, reason));
            return;
        }
        let (dlx, dlrk) = match self.vhosts.get(vhost).and_then(|vh| vh.queues.get(qname)) {
            Some(q) => (q.cfg.dlx.clone(), q.cfg.dlrk.clone()),
            None => (None, None),
        };
        let drop = |b: &mut Self, ev: &mut Sink, why: DropReason| {
            b.ledger.dropped += 1;
            ev.push(Event::Dropped {
                vhost: vhost.to_string(),
                queue: Some(qname.to_string()),
                message_id: Some(entry.id),
                reason: why,
            });
        };
        let Some(dlx) = dlx else {
            drop(self, ev, DropReason::NoDeadLetterExchange(reason));
            return;
        };
        let Some(vh) = self.vhosts.get(vhost).filter(|vh| vh.exchanges.contains_key(&dlx)) else {
            drop(self, ev, DropReason::DeadLetterExchangeMissing(reason));
            return;
        };
        let old = &entry.content;
        let now = self.now;
        let mut deaths = old.deaths().to_vec();
        if let Some(pos) = deaths.iter().position(|d| d.queue == qname && d.reason == reason) {
            let mut d = deaths.remove(pos);
            d.count += 1;
            d.last_time = now;
            deaths.insert(0, d);
        } else {
            let mut routing_keys = vec![old.routing_key.clone()];
            routing_keys.extend(old.cc().iter().cloned());
            deaths.insert(
                0,
                Death {
                    queue: qname.to_string(),
                    reason,
                    count: 1,
                    exchange: old.exchange.clone(),
                    routing_keys,
                    first_time: now,
                    last_time: now,
                    original_expiration: old.properties.expiration.clone(),
                },
            );
        }
        let mut properties = BasicProperties::clone(&old.properties);
        // The per-message TTL is removed so the copy does not expire again
        // wherever it lands; x-death keeps it as original-expiration.
        properties.expiration = None;
        let headers = properties.headers.get_or_insert_with(FieldTable::new);
        write_death_headers(headers, &deaths, self.version.last_death_headers());
        let (routing_key, keys, cc, bcc) = match &dlrk {
            Some(k) => (k.clone(), vec![k.clone()], Vec::new(), Vec::new()),
            None => {
                let mut keys = vec![old.routing_key.clone()];
                keys.extend(old.cc().iter().cloned());
                keys.extend(old.bcc().iter().cloned());
                (old.routing_key.clone(), keys, old.cc().to_vec(), old.bcc().to_vec())
            }
        };
        let content = Arc::new(Content::new(dlx.clone(), routing_key, cc, bcc, properties, old.body.clone(), deaths));
        let key_refs: Vec<&str> = keys.iter().map(String::as_str).collect();
        let mut targets: Vec<Arc<str>> =
            Self::route_in(vh, &dlx, &key_refs, content.properties.headers.as_ref(), self.version, None)
                .into_iter()
                .cloned()
                .collect();
        targets.sort_unstable();
        let (cycling, targets): (Vec<_>, Vec<_>) =
            targets.into_iter().partition(|t| is_cycle(content.deaths(), t, reason));
        if targets.is_empty() {
            let why = if cycling.is_empty() {
                DropReason::DeadLetterUnroutable(reason)
            } else {
                DropReason::DeadLetterCycle(reason)
            };
            drop(self, ev, why);
            return;
        }
        self.ledger.dead_lettered += 1;
        let mut sub = ev.sub();
        let mut new_ids = Vec::new();
        let origin = Origin::DeadLetter { from_queue: qname, reason, original: entry.id };
        for t in &targets {
            if let Some(id) = self.enqueue(vhost, t, &content, origin, &mut sub) {
                new_ids.push(id);
            }
        }
        ev.push(Event::DeadLettered {
            vhost: vhost.to_string(),
            queue: qname.to_string(),
            message_id: entry.id,
            reason,
            exchange: dlx,
            new_ids,
        });
        ev.append(sub);
    }

    pub(super) fn is_expired(&self, e: &Entry, consumer_waiting: bool) -> bool {
        match e.expires_at {
            None => false,
            // A message with TTL 0 may still go straight to a waiting consumer.
            Some(t) => t < self.now || (t == self.now && !(consumer_waiting && e.enqueued_at == self.now)),
        }
    }

    /// Removes expired messages from the head of the queue. Expiry is lazy,
    /// as in RabbitMQ: a message behind a live one waits its turn, and in a
    /// priority queue the walk stops at the highest level that holds
    /// anything (`rabbit_priority_queue:dropwhile/2` stops at the first
    /// level whose head is live), so a live high-priority message shields
    /// expired lower ones until it is taken. Quorum queues look at the
    /// message they would hand out next (`rabbit_fifo:expire_msgs/4`), and
    /// in 4.3 at the head of every priority.
    pub(super) fn expire_heads(&mut self, vhost: &str, qname: &str, consumer_waiting: bool, ev: &mut Sink) {
        loop {
            let Some(q) = self.vhosts.get(vhost).and_then(|v| v.queues.get(qname)) else {
                return;
            };
            let expired = |l: &VecDeque<Entry>| l.front().is_some_and(|e| self.is_expired(e, consumer_waiting));
            let level = if q.prio == PrioMode::QuorumStrict {
                // 4.3 quorum queues expire the head of every priority, the
                // returns first (`rabbit_fifo:expire_batch/3`,
                // `rabbit_fifo_pq:take_while/2`).
                q.levels.iter().rposition(expired)
            } else {
                q.next_level().filter(|&l| q.levels.get(l).is_some_and(expired))
            };
            let Some(level) = level else { return };
            let Some(q) = self.vhosts.get_mut(vhost).and_then(|vh| vh.queues.get_mut(qname)) else {
                return;
            };
            // An expiry is a take: it moves a 4.0-4.2 quorum queue's
            // weighting on (`rabbit_fifo:expire/3` calls `take_next_msg/1`).
            let Some(e) = q.take_from(level) else {
                return;
            };
            ev.push(Event::Expired { vhost: vhost.to_string(), queue: qname.to_string(), message_id: e.id });
            self.dead_letter(vhost, qname, e, DeathReason::Expired, ev);
        }
    }
}

/// Renders the death history into the AMQP 0-9-1 headers RabbitMQ sets.
pub(super) fn write_death_headers(headers: &mut FieldTable, deaths: &[Death], last_death: bool) {
    let table = |d: &Death| {
        let mut t = FieldTable::new();
        t.insert("count".into(), FieldValue::LongLongInt(d.count as i64));
        t.insert("reason".into(), FieldValue::str(d.reason.as_str()));
        t.insert("queue".into(), FieldValue::str(&d.queue));
        t.insert("time".into(), FieldValue::Timestamp(d.first_time / 1000));
        t.insert("exchange".into(), FieldValue::str(&d.exchange));
        t.insert("routing-keys".into(), FieldValue::FieldArray(d.routing_keys.iter().map(FieldValue::str).collect()));
        if let Some(exp) = &d.original_expiration {
            t.insert("original-expiration".into(), FieldValue::str(exp));
        }
        FieldValue::FieldTable(t)
    };
    headers.insert("x-death".into(), FieldValue::FieldArray(deaths.iter().map(table).collect()));
    // The first death is the oldest one still recorded under its key; RabbitMQ
    // sets the x-first-death headers once and never changes them.
    if !headers.contains_key("x-first-death-queue")
        && let Some(d) = deaths.first()
    {
        headers.insert("x-first-death-queue".into(), FieldValue::str(&d.queue));
        headers.insert("x-first-death-reason".into(), FieldValue::str(d.reason.as_str()));
        headers.insert("x-first-death-exchange".into(), FieldValue::str(&d.exchange));
    }
    if last_death && let Some(d) = deaths.first() {
        headers.insert("x-last-death-queue".into(), FieldValue::str(&d.queue));
        headers.insert("x-last-death-reason".into(), FieldValue::str(d.reason.as_str()));
        headers.insert("x-last-death-exchange".into(), FieldValue::str(&d.exchange));
    }
}

/// Reads an `x-death` header back into a death history, skipping entries
/// that are not tables with a queue and a known reason, as
/// `rabbit_dead_letter` does for a header a client sent.
pub(super) fn read_death_headers(headers: Option<&FieldTable>) -> Vec<Death> {
    let Some(FieldValue::FieldArray(items)) = headers.and_then(|h| h.get("x-death")) else {
        return Vec::new();
    };
    let text = |t: &FieldTable, k: &str| t.get(k).and_then(FieldValue::as_str).map(str::to_string);
    items
        .iter()
        .filter_map(|item| {
            let FieldValue::FieldTable(t) = item else { return None };
            let reason = match t.get("reason").and_then(FieldValue::as_str)? {
                "rejected" => DeathReason::Rejected,
                "expired" => DeathReason::Expired,
                "maxlen" => DeathReason::Maxlen,
                "delivery_limit" => DeathReason::DeliveryLimit,
                _ => return None,
            };
            let time = match t.get("time") {
                Some(FieldValue::Timestamp(s)) => s.saturating_mul(1000),
                _ => 0,
            };
            let routing_keys = match t.get("routing-keys") {
                Some(FieldValue::FieldArray(keys)) => {
                    keys.iter().filter_map(|k| k.as_str().map(str::to_string)).collect()
                }
                _ => Vec::new(),
            };
            Some(Death {
                queue: text(t, "queue")?,
                reason,
                count: t.get("count").and_then(FieldValue::as_i64).map_or(1, |c| c.max(0) as u64),
                exchange: text(t, "exchange").unwrap_or_default(),
                routing_keys,
                first_time: time,
                last_time: time,
                original_expiration: text(t, "original-expiration"),
            })
        })
        .collect()
}

/// RabbitMQ's dead-letter cycle rule: a target queue closes a cycle when it
/// already appears in the history and no rejection happened since.
pub(super) fn is_cycle(deaths: &[Death], target: &str, reason: DeathReason) -> bool {
    if reason == DeathReason::Rejected {
        return false;
    }
    let Some(pos) = deaths.iter().position(|d| d.queue == target) else {
        return false;
    };
    !deaths[..=pos].iter().any(|d| d.reason == DeathReason::Rejected)
}
