//! Read-only views for drawing: vhosts, permissions, exchanges with their
//! bindings, queues with their ready messages and consumers, and channels
//! with their unacknowledged deliveries. Each returns owned serde data.

use super::*;

impl Broker {
    /// Names of all virtual hosts.
    pub fn vhosts(&self) -> Vec<String> {
        self.vhosts.keys().cloned().collect()
    }

    /// A user's permission patterns per vhost: `(vhost, [configure, write, read])`.
    pub fn permissions(&self, user: &str) -> Vec<(String, [String; 3])> {
        self.users
            .get(user)
            .map(|u| u.permissions.iter().map(|(v, p)| (v.clone(), p.patterns.clone())).collect())
            .unwrap_or_default()
    }

    /// All exchanges of a vhost with their bindings.
    pub fn exchanges(&self, vhost: &str) -> Vec<ExchangeView> {
        let Some(vh) = self.vhosts.get(vhost) else {
            return Vec::new();
        };
        vh.exchanges
            .values()
            .map(|x| ExchangeView {
                vhost: vhost.to_string(),
                name: x.name.clone(),
                kind: x.kind,
                durable: x.durable,
                auto_delete: x.auto_delete,
                internal: x.internal,
                arguments: x.arguments.clone(),
                policy: x.policy.clone(),
                bindings: x.bindings.clone(),
            })
            .collect()
    }

    /// Every binding in a vhost, including the implicit default-exchange
    /// binding each queue has under its own name.
    pub fn bindings(&self, vhost: &str) -> Vec<Binding> {
        let Some(vh) = self.vhosts.get(vhost) else {
            return Vec::new();
        };
        let mut out: Vec<Binding> = vh
            .queues
            .keys()
            .map(|q| Binding {
                source: String::new(),
                destination: q.clone(),
                destination_kind: DestinationKind::Queue,
                routing_key: q.clone(),
                arguments: FieldTable::new(),
            })
            .collect();
        for x in vh.exchanges.values() {
            out.extend(x.bindings.iter().cloned());
        }
        out
    }

    /// All queues of a vhost.
    pub fn queues(&self, vhost: &str) -> Vec<QueueView> {
        let Some(vh) = self.vhosts.get(vhost) else {
            return Vec::new();
        };
        vh.queues.keys().filter_map(|q| self.queue(vhost, q)).collect()
    }

    /// A queue's ready and unacknowledged counts, without copying its
    /// messages (what a sampled metric needs).
    pub fn queue_counts(&self, vhost: &str, name: &str) -> Option<(u32, u32)> {
        let q = self.vhosts.get(vhost)?.queues.get(name)?;
        Some((q.ready_count() as u32, q.unacked))
    }

    /// One queue with its ready messages in delivery order and its consumers.
    pub fn queue(&self, vhost: &str, name: &str) -> Option<QueueView> {
        let q = self.vhosts.get(vhost)?.queues.get(name)?;
        let messages: Vec<Message> = q.ready_in_order().into_iter().map(to_message).collect();
        let consumers = q
            .consumers
            .iter()
            .enumerate()
            .filter_map(|(i, (ch, tag))| {
                let chs = self.connections.get(&ch.connection)?.channels.get(&ch.channel)?;
                let c = chs.consumers.get(tag)?;
                Some(ConsumerView {
                    channel: *ch,
                    consumer_tag: tag.clone(),
                    queue: name.to_string(),
                    no_ack: c.no_ack,
                    exclusive: c.exclusive,
                    prefetch: c.prefetch,
                    priority: c.priority,
                    active: !q.cfg.single_active || i == 0,
                    unacked: chs.unacked.iter().filter(|(_, u)| u.consumer == Some(c.id)).map(|(t, _)| *t).collect(),
                })
            })
            .collect();
        Some(QueueView {
            vhost: vhost.to_string(),
            name: name.to_string(),
            queue_type: q.queue_type,
            durable: q.durable,
            exclusive: q.exclusive,
            auto_delete: q.auto_delete,
            arguments: q.arguments.clone(),
            policy: q.policy.clone(),
            operator_policy: q.operator_policy.clone(),
            effective_policy_definition: q.policy_definition.clone(),
            effective_arguments: q.effective_arguments.clone(),
            ready: messages.len() as u32,
            unacked: q.unacked,
            messages,
            consumers,
        })
    }

    /// Every open channel with its unacknowledged deliveries.
    pub fn channels(&self) -> Vec<ChannelView> {
        let mut out = Vec::new();
        for (cid, c) in &self.connections {
            for (n, ch) in &c.channels {
                out.push(ChannelView {
                    channel: ChannelId { connection: *cid, channel: *n },
                    prefetch_count: ch.prefetch,
                    global_prefetch_count: ch.global_prefetch,
                    confirm: ch.confirm,
                    unacked: {
                        let mut list: Vec<UnackedView> = ch
                            .unacked
                            .iter()
                            .map(|(t, u)| UnackedView {
                                delivery_tag: *t,
                                queue: u.queue.clone(),
                                consumer_tag: u.consumer_tag.clone(),
                                message: to_message(&u.entry),
                            })
                            .chain(Self::stream_unacked_views(ch))
                            .collect();
                        // Stream deliveries share the channel's tags.
                        brokerlab_order::sort_by_key(&mut list, |u| u.delivery_tag);
                        list
                    },
                });
            }
        }
        out
    }
}

pub(super) fn to_message(e: &Entry) -> Message {
    let mut properties = BasicProperties::clone(&e.content.properties);
    if let Some((acquired, version)) = e.returns {
        // A quorum queue's delivery headers (`rabbit_fifo_client:
        // add_delivery_count_header`): 3.x sends `x-delivery-count` (every
        // return counts), 4.0-4.2 the acquired count under that name, and
        // 4.3 `x-acquired-count` plus `x-delivery-count` once a return that
        // counts towards the limit happened.
        let h = properties.headers.get_or_insert_with(FieldTable::new);
        let long = |n: u32| FieldValue::LongLongInt(i64::from(n));
        if version >= Version::V4_3 {
            h.insert("x-acquired-count".into(), long(acquired));
            if e.delivery_count > 0 {
                h.insert("x-delivery-count".into(), long(e.delivery_count));
            }
        } else if version >= Version::V4_0 {
            h.insert("x-delivery-count".into(), long(acquired));
        } else {
            h.insert("x-delivery-count".into(), long(e.delivery_count));
        }
    }
    Message {
        id: e.id,
        exchange: e.content.exchange.clone(),
        routing_key: e.content.routing_key.clone(),
        properties,
        body: e.content.body.clone(),
        redelivered: e.redelivered,
        delivery_count: e.delivery_count,
        expires_at: e.expires_at,
        deaths: e.content.deaths().to_vec(),
    }
}
