//! Super streams (RabbitMQ 3.10 and later): a partitioned stream made of
//! ordinary streams bound to a direct exchange, and single active consumer
//! per partition. The parts:
//!
//! - [`Broker::declare_super_stream`] declares what `rabbitmq-streams
//!   add_super_stream NAME --partitions N` declares (3.10's
//!   `rabbit_stream_manager`): a durable direct exchange `NAME` with
//!   `x-super-stream: true`, the streams `NAME-0` .. `NAME-(N-1)`, and a
//!   binding from the exchange to each with the routing key `0` .. `N-1`
//!   and `x-stream-partition-order` 0 .. N-1.
//! - [`super_stream_partition`] is the routing of the stream clients'
//!   `HashRoutingStrategy` (Java client, `Integer.remainderUnsigned` of the
//!   hash; .NET client's `HashRoutingMurmurStrategy` alike): MurmurHash3
//!   x86 32-bit of the key's UTF-8 bytes with seed 104729, unsigned, modulo
//!   the number of partitions. [`Broker::publish_to_super_stream`] publishes
//!   through the exchange to the partition that routing picks.
//! - Single active consumer (`stream_groups`): consumers of one stream that
//!   give the same `name` with `single-active-consumer: true` (the stream
//!   protocol's subscription properties, taken here from the
//!   `basic.consume` arguments) form a group in which one reads at a time,
//!   as `rabbit_stream_sac_coordinator` (3.11) decides: on a plain stream
//!   the first to arrive, and on a super stream partition (the consumer
//!   also gives `super-stream`) the consumer at the partition's index
//!   modulo the group's size, so that a group spreads over the partitions.
//!
//! Super streams are in 3.10 already (3.10.8's `rabbit_stream_manager:
//! create_super_stream/6` declares the same exchange, `x-super-stream`
//! argument, streams and bindings, and the stream protocol has `partitions`
//! and `route`), though the 3.11.0 release notes were the first to announce
//! them. Single active consumer is 3.11's: on the 3.10 profile the
//! `single-active-consumer` property is ignored, as 3.10.8's
//! `rabbit_stream_reader` ignores it, and every consumer reads
//! ([`Version::stream_single_active_consumer`]).

use super::*;

/// The seed of the stream clients' hash routing.
pub const SUPER_STREAM_HASH_SEED: u32 = 104_729;

/// MurmurHash3, x86 32-bit variant (Austin Appleby's `MurmurHash3_x86_32`).
pub fn murmur3_32(data: &[u8], seed: u32) -> u32 {
    const C1: u32 = 0xcc9e_2d51;
    const C2: u32 = 0x1b87_3593;
    let mut h = seed;
    let mut blocks = data.chunks_exact(4);
    for block in &mut blocks {
        let mut k = u32::from_le_bytes([block[0], block[1], block[2], block[3]]);
        k = k.wrapping_mul(C1).rotate_left(15).wrapping_mul(C2);
        h ^= k;
        h = h.rotate_left(13).wrapping_mul(5).wrapping_add(0xe654_6b64);
    }
    let tail = blocks.remainder();
    if !tail.is_empty() {
        let mut k = 0u32;
        for (i, b) in tail.iter().enumerate() {
            k |= u32::from(*b) << (8 * i);
        }
        h ^= k.wrapping_mul(C1).rotate_left(15).wrapping_mul(C2);
    }
    h ^= data.len() as u32;
    h ^= h >> 16;
    h = h.wrapping_mul(0x85eb_ca6b);
    h ^= h >> 13;
    h = h.wrapping_mul(0xc2b2_ae35);
    h ^ (h >> 16)
}

/// The partition (0-based) a routing key goes to among `partitions`, as the
/// stream clients' hash routing picks it; `None` without partitions.
pub fn super_stream_partition(routing_key: &str, partitions: usize) -> Option<usize> {
    let n = u32::try_from(partitions).ok().filter(|n| *n > 0)?;
    Some((murmur3_32(routing_key.as_bytes(), SUPER_STREAM_HASH_SEED) % n) as usize)
}

/// A reader's membership of a single-active-consumer group.
#[derive(Debug, Clone)]
pub(crate) struct GroupMember {
    pub(crate) name: Arc<str>,
    /// The partition's index when the reader reads a super stream partition.
    pub(crate) partition: Option<u32>,
}

impl StreamLog {
    /// Decides again which reader of each group is active, and returns the
    /// groups whose active reader changed with the new active tag.
    pub(crate) fn rebalance(&mut self) -> Vec<Option<String>> {
        let mut names: Vec<Arc<str>> = Vec::new();
        for r in &self.readers {
            if let Some(g) = &r.group
                && !names.contains(&g.name)
            {
                names.push(g.name.clone());
            }
        }
        let mut changes = Vec::new();
        for name in names {
            // Members in the order they joined: consumer ids only grow.
            let mut members: Vec<usize> = (0..self.readers.len())
                .filter(|&i| self.readers[i].group.as_ref().is_some_and(|g| g.name == name))
                .collect();
            brokerlab_order::sort_by_key(&mut members, |&i| self.readers[i].consumer);
            let pick = match self.readers[members[0]].group.as_ref().and_then(|g| g.partition) {
                Some(p) => members[p as usize % members.len()],
                None => members[0],
            };
            let before = members.iter().copied().find(|&i| self.readers[i].active);
            for &i in &members {
                self.readers[i].active = i == pick;
            }
            if before != Some(pick) {
                changes.push(Some(self.readers[pick].tag.clone()));
            }
        }
        changes
    }

    /// Whether a group called `name` lost its last member.
    pub(crate) fn has_group(&self, name: &str) -> bool {
        self.readers.iter().any(|r| r.group.as_ref().is_some_and(|g| &*g.name == name))
    }
}

impl Broker {
    /// Reads a consumer's single-active-consumer properties: `Some` when it
    /// asks for `single-active-consumer: true`, which needs a `name` (the
    /// stream protocol refuses a subscription without one).
    pub(super) fn stream_group_of(&self, vhost: &str, queue: &str, args: &FieldTable) -> R<Option<GroupMember>> {
        if !self.version.stream_single_active_consumer()
            || args.get("single-active-consumer") != Some(&FieldValue::Boolean(true))
        {
            return Ok(None);
        }
        let Some(name) = args.get("name").and_then(FieldValue::as_str) else {
            return Err(AmqpError::precondition(format!(
                "single active consumer on queue '{queue}' in vhost '{vhost}' needs a consumer name"
            )));
        };
        let partition = match args.get("super-stream").and_then(FieldValue::as_str) {
            None => None,
            Some(ss) => Some(self.partition_index(vhost, ss, queue).ok_or_else(|| {
                AmqpError::precondition(format!(
                    "queue '{queue}' in vhost '{vhost}' is not a partition of super stream '{ss}'"
                ))
            })?),
        };
        Ok(Some(GroupMember { name: Arc::from(name), partition }))
    }

    /// The `x-stream-partition-order` of the binding from super stream
    /// `exchange` to `queue`.
    fn partition_index(&self, vhost: &str, exchange: &str, queue: &str) -> Option<u32> {
        let x = self.vhosts.get(vhost)?.exchanges.get(exchange)?;
        x.bindings.iter().find(|b| b.destination == queue && b.destination_kind == DestinationKind::Queue).and_then(
            |b| {
                b.arguments
                    .get("x-stream-partition-order")
                    .and_then(FieldValue::as_i64)
                    .and_then(|o| u32::try_from(o).ok())
            },
        )
    }

    /// Decides a stream's active readers again after one joined or left,
    /// recording each change.
    pub(super) fn stream_rebalance(q: &mut QueueState, vhost: &str, ev: &mut Sink) {
        let Some(log) = q.stream.as_mut() else { return };
        for active in log.rebalance() {
            ev.push(Event::SingleActiveConsumerChanged {
                vhost: vhost.to_string(),
                queue: q.name.clone(),
                consumer_tag: active,
            });
        }
    }

    /// Declares a super stream of `partitions` streams as `rabbitmq-streams
    /// add_super_stream` does (RabbitMQ 3.10 and later). `arguments` go to
    /// every partition (`x-max-length-bytes`, `x-max-age`, ...).
    pub fn declare_super_stream(
        &mut self,
        channel: ChannelId,
        name: &str,
        partitions: u32,
        arguments: FieldTable,
    ) -> R<Vec<Event>> {
        if partitions == 0 {
            return Err(AmqpError::precondition("a super stream needs at least one partition"));
        }
        let mut events = self
            .apply(Command::ExchangeDeclare {
                channel,
                exchange: name.to_string(),
                kind: ExchangeKind::Direct,
                passive: false,
                durable: true,
                auto_delete: false,
                internal: false,
                arguments: [("x-super-stream".to_string(), FieldValue::Boolean(true))].into_iter().collect(),
            })
            .into_result()?;
        let mut stream_args = arguments;
        stream_args.insert("x-queue-type".into(), FieldValue::str("stream"));
        for i in 0..partitions {
            let partition = format!("{name}-{i}");
            events.extend(
                self.apply(Command::QueueDeclare {
                    channel,
                    queue: partition.clone(),
                    passive: false,
                    durable: true,
                    exclusive: false,
                    auto_delete: false,
                    arguments: stream_args.clone(),
                })
                .into_result()?,
            );
            events.extend(
                self.apply(Command::QueueBind {
                    channel,
                    queue: partition,
                    exchange: name.to_string(),
                    routing_key: i.to_string(),
                    arguments: [("x-stream-partition-order".to_string(), FieldValue::LongLongInt(i64::from(i)))]
                        .into_iter()
                        .collect(),
                })
                .into_result()?,
            );
        }
        Ok(events)
    }

    /// A super stream's partitions in partition order, with the routing key
    /// of each one's binding.
    pub fn super_stream_partitions(&self, vhost: &str, name: &str) -> Vec<(String, String)> {
        let Some(x) = self.vhosts.get(vhost).and_then(|v| v.exchanges.get(name)) else {
            return Vec::new();
        };
        let mut parts: Vec<(i64, String, String)> = x
            .bindings
            .iter()
            .filter_map(|b| {
                let order = b.arguments.get("x-stream-partition-order").and_then(FieldValue::as_i64)?;
                Some((order, b.destination.clone(), b.routing_key.clone()))
            })
            .collect();
        brokerlab_order::sort(&mut parts);
        parts.into_iter().map(|(_, q, k)| (q, k)).collect()
    }

    /// Publishes `body` to the partition of super stream `name` that hash
    /// routing picks for `routing_key`, through the super stream's exchange
    /// with that partition's binding key.
    pub fn publish_to_super_stream(
        &mut self,
        channel: ChannelId,
        name: &str,
        routing_key: &str,
        body: &str,
    ) -> R<Vec<Event>> {
        let vhost = self.ctx(channel)?.0;
        let parts = self.super_stream_partitions(&vhost, name);
        let Some(i) = super_stream_partition(routing_key, parts.len()) else {
            return Err(AmqpError::not_found(format!("no super stream '{name}' in vhost '{vhost}'")));
        };
        let key = parts[i].1.clone();
        self.publish(channel, name, &key, body)
    }
}
