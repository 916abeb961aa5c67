//! The broker's state types: users and their compiled permissions, the
//! vhosts with their exchanges (bindings plus the direct and topic indexes
//! routing uses) and queues (configuration from `x-` arguments, one FIFO per
//! priority level, counters), connections with channels, consumers and
//! unacknowledged deliveries, and the small enums the command handlers share
//! (`Settle`, `Origin`, `DueKind`). The [`Ledger`] of message totals is public.

use super::*;

/// Running totals of what happened to message copies, for invariant checks:
/// every copy ever created is in a queue, unacknowledged on a channel, or
/// counted in exactly one of the settled totals.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Ledger {
    pub created: u64,
    pub acked: u64,
    pub dead_lettered: u64,
    pub dropped: u64,
}

#[derive(Debug)]
pub(crate) struct Permission {
    pub(crate) patterns: [String; 3],
    pub(crate) regexes: [Option<Regex>; 3],
}

#[derive(Clone, Copy)]
pub(crate) enum Access {
    Configure = 0,
    Write = 1,
    Read = 2,
}

impl Access {
    pub(super) fn as_str(self) -> &'static str {
        match self {
            Access::Configure => "configure",
            Access::Write => "write",
            Access::Read => "read",
        }
    }
}

#[derive(Debug)]
pub(crate) struct User {
    pub(crate) password: String,
    pub(crate) permissions: BTreeMap<String, Permission>,
}

#[derive(Debug)]
pub(crate) struct Content {
    pub(crate) exchange: String,
    pub(crate) routing_key: String,
    pub(crate) properties: Properties,
    pub(crate) body: String,
    /// CC and BCC keys and the death history, stored only when any is
    /// present: most messages have none, and a stream keeps every record.
    extra: Option<Box<ContentExtra>>,
}

#[derive(Debug)]
struct ContentExtra {
    cc: Vec<String>,
    bcc: Vec<String>,
    deaths: Vec<Death>,
}

/// A message's properties, stored only when any is set. Most messages
/// carry none, and a stream keeps every record it is given, so an empty set
/// costs one pointer instead of the whole struct. Reads go through `Deref`.
pub(crate) struct Properties(Option<Box<BasicProperties>>);

impl Properties {
    pub(crate) fn new(properties: BasicProperties) -> Self {
        // Every field named, so a new property cannot be forgotten here.
        let BasicProperties {
            content_type,
            headers,
            delivery_mode,
            priority,
            correlation_id,
            reply_to,
            expiration,
            message_id,
            timestamp,
            app_id,
        } = &properties;
        let empty = content_type.is_none()
            && headers.is_none()
            && delivery_mode.is_none()
            && priority.is_none()
            && correlation_id.is_none()
            && reply_to.is_none()
            && expiration.is_none()
            && message_id.is_none()
            && timestamp.is_none()
            && app_id.is_none();
        Properties((!empty).then(|| Box::new(properties)))
    }
}

impl std::ops::Deref for Properties {
    type Target = BasicProperties;

    fn deref(&self) -> &BasicProperties {
        static NONE: std::sync::LazyLock<BasicProperties> = std::sync::LazyLock::new(BasicProperties::default);
        self.0.as_deref().unwrap_or(&NONE)
    }
}

impl std::fmt::Debug for Properties {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        BasicProperties::fmt(self, f)
    }
}

impl Content {
    pub(super) fn new(
        exchange: String,
        routing_key: String,
        cc: Vec<String>,
        bcc: Vec<String>,
        properties: BasicProperties,
        body: String,
        deaths: Vec<Death>,
    ) -> Self {
        let extra = (!cc.is_empty() || !bcc.is_empty() || !deaths.is_empty())
            .then(|| Box::new(ContentExtra { cc, bcc, deaths }));
        Content { exchange, routing_key, properties: Properties::new(properties), body, extra }
    }

    /// Extra routing keys from the `CC` header (kept on the message).
    pub(super) fn cc(&self) -> &[String] {
        self.extra.as_ref().map_or(&[], |x| &x.cc)
    }

    /// Routing keys from the `BCC` header: the header is removed before
    /// anyone sees the message, but the keys stay with it, and
    /// dead-lettering without a dead-letter routing key routes by them too
    /// (`mc:routing_keys/1`).
    pub(super) fn bcc(&self) -> &[String] {
        self.extra.as_ref().map_or(&[], |x| &x.bcc)
    }

    /// The `x-death` history, newest first.
    pub(super) fn deaths(&self) -> &[Death] {
        self.extra.as_ref().map_or(&[], |x| &x.deaths)
    }

    pub(super) fn persistent(&self) -> bool {
        self.properties.delivery_mode == Some(2)
    }
}

#[derive(Debug, Clone)]
pub(crate) struct Entry {
    pub(crate) id: MessageId,
    pub(crate) content: Arc<Content>,
    /// Position key: classic queues put a requeued message back at its
    /// original place, so entries stay sorted by this key.
    pub(crate) order: (u8, u64),
    pub(crate) redelivered: bool,
    pub(crate) delivery_count: u32,
    /// How often a quorum queue took it back, whatever the reason (its
    /// `acquired_count`), and the release whose delivery headers report it;
    /// `None` until the first return.
    pub(crate) returns: Option<(u32, Version)>,
    pub(crate) enqueued_at: u64,
    pub(crate) expires_at: Option<u64>,
    pub(crate) level: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Overflow {
    DropHead,
    RejectPublish,
    RejectPublishDlx,
}

#[derive(Debug, Clone)]
pub(crate) struct QueueConfig {
    pub(crate) message_ttl: Option<u64>,
    pub(crate) expires: Option<u64>,
    pub(crate) max_length: Option<u64>,
    pub(crate) max_length_bytes: Option<u64>,
    pub(crate) overflow: Overflow,
    pub(crate) dlx: Option<String>,
    pub(crate) dlrk: Option<String>,
    pub(crate) max_priority: Option<u8>,
    pub(crate) delivery_limit: Option<u64>,
    pub(crate) single_active: bool,
}

pub(crate) type ConsumerKey = (ChannelId, String);

#[derive(Debug)]
pub(crate) struct QueueState {
    pub(crate) name: String,
    /// The same name, shared with events.
    pub(crate) shared_name: Arc<str>,
    pub(crate) queue_type: QueueType,
    pub(crate) durable: bool,
    pub(crate) exclusive: bool,
    pub(crate) owner: Option<ConnectionId>,
    pub(crate) auto_delete: bool,
    pub(crate) arguments: FieldTable,
    pub(crate) cfg: QueueConfig,
    /// One FIFO per priority level; level 0 is the lowest.
    pub(crate) levels: Vec<VecDeque<Entry>>,
    pub(crate) ready_bytes: u64,
    pub(crate) consumers: Vec<ConsumerKey>,
    pub(crate) has_exclusive_consumer: bool,
    pub(crate) had_consumer: bool,
    pub(crate) last_used: u64,
    pub(crate) unacked: u32,
    pub(crate) return_seq: u64,
    /// Tells this declaration of the name apart from earlier ones, so
    /// deliveries from a deleted queue never settle into a new one.
    pub(crate) incarnation: u64,
    /// A stream's log and readers; `None` for classic and quorum queues.
    pub(crate) stream: Option<Box<StreamLog>>,
    /// A quorum `reject-publish` queue went over its limit and refuses
    /// publishes until it drains to 80 % of it.
    pub(crate) publish_blocked: bool,
    /// How the queue orders messages by their `priority` property.
    pub(crate) prio: PrioMode,
    /// The active consumer of a single-active-consumer quorum queue (4.0+)
    /// is quiescing: a consumer of higher priority is waiting, so it gets
    /// no new deliveries and hands over once it has settled what it holds
    /// (`rabbit_fifo:activate_next_consumer/2`, status `quiescing`).
    pub(crate) sac_quiescing: bool,
    /// The policy and operator policy that apply, their merged definition
    /// and the settings resolved from it and the arguments (`policy.rs`).
    pub(crate) policy: Option<String>,
    pub(crate) operator_policy: Option<String>,
    pub(crate) policy_definition: FieldTable,
    pub(crate) effective_arguments: FieldTable,
}

/// How a queue turns message priorities into levels (`QueueState::levels`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PrioMode {
    /// Classic queues: levels 0..=`x-max-priority`, or one level without it;
    /// quorum queues before 4.0, which have no message priorities, have one
    /// level in which returns sort first.
    Levels,
    /// Quorum queues in 4.0-4.2 (`rabbit_fifo_q`): level 0 holds priorities
    /// 0-4 and unmarked messages ("no"), level 1 priorities above 4 ("hi"),
    /// level 2 the returns, which are served before both. `dequeues` is
    /// `rabbit_fifo_q`'s `dequeue_counter`: every third take (`?WEIGHT` 2)
    /// serves the older of the two heads instead of "hi" first.
    QuorumWeighted { dequeues: u8 },
    /// Quorum queues in 4.3 (`rabbit_fifo_pq`): levels 0-31, strict, an
    /// unmarked message at 4 and larger values capped at 31; level 32 holds
    /// the returns, served before everything.
    QuorumStrict,
}

/// `rabbit_fifo_q`'s `?WEIGHT`.
const QUORUM_PRIORITY_WEIGHT: u8 = 2;
/// `rabbit_fifo.hrl` `?DEFAULT_PRIORITY` and `?MAX_PRIORITY` (4.3).
const QUORUM_DEFAULT_PRIORITY: u8 = 4;
const QUORUM_MAX_PRIORITY: u8 = 31;

impl QueueState {
    pub(super) fn ready_count(&self) -> usize {
        self.levels.iter().map(VecDeque::len).sum()
    }

    /// How many levels a queue of this configuration has.
    pub(crate) fn level_count(prio: PrioMode, cfg: &QueueConfig) -> usize {
        match prio {
            PrioMode::Levels => cfg.max_priority.map_or(1, |p| usize::from(p) + 1),
            PrioMode::QuorumWeighted { .. } => 3,
            PrioMode::QuorumStrict => usize::from(QUORUM_MAX_PRIORITY) + 2,
        }
    }

    /// The level the next message is taken from: the highest non-empty one,
    /// except that a 4.0-4.2 quorum queue serves the older of its two heads
    /// on every third take (`rabbit_fifo_q:next/1`).
    pub(super) fn next_level(&self) -> Option<usize> {
        let top = self.levels.iter().rposition(|l| !l.is_empty())?;
        if let PrioMode::QuorumWeighted { dequeues } = self.prio
            && top == 1
            && dequeues == QUORUM_PRIORITY_WEIGHT
            && let (Some(hi), Some(no)) = (self.levels[1].front(), self.levels[0].front())
            && no.order < hi.order
        {
            return Some(0);
        }
        Some(top)
    }

    /// The ready messages in the order they would be taken.
    pub(super) fn ready_in_order(&self) -> Vec<&Entry> {
        let PrioMode::QuorumWeighted { mut dequeues } = self.prio else {
            return self.levels.iter().rev().flatten().collect();
        };
        // Replays `rabbit_fifo_q:out/1` on positions instead of messages.
        let mut out: Vec<&Entry> = self.levels.get(2).map_or_else(Vec::new, |r| r.iter().collect());
        let (no, hi) = (self.levels.first(), self.levels.get(1));
        let (mut n, mut h) = (0, 0);
        loop {
            let no_head = no.and_then(|l| l.get(n));
            let hi_head = hi.and_then(|l| l.get(h));
            let take_hi = match (hi_head, no_head) {
                (None, None) => return out,
                (Some(x), Some(y)) if dequeues == QUORUM_PRIORITY_WEIGHT => x.order < y.order,
                (Some(_), _) => true,
                (None, Some(_)) => false,
            };
            if let (true, Some(x)) = (take_hi, hi_head) {
                out.push(x);
                h += 1;
            } else if let Some(y) = no_head {
                out.push(y);
                n += 1;
            }
            dequeues = if dequeues == QUORUM_PRIORITY_WEIGHT { 0 } else { dequeues + 1 };
        }
    }

    pub(super) fn pop_front(&mut self) -> Option<Entry> {
        let level = self.next_level()?;
        self.take_from(level)
    }

    /// Takes the head of one level, as a take from the queue.
    pub(super) fn take_from(&mut self, level: usize) -> Option<Entry> {
        let e = self.levels.get_mut(level)?.pop_front()?;
        // Returns are taken before the weighted queue is asked
        // (`rabbit_fifo:take_next_msg/1`), so only the others count.
        if let PrioMode::QuorumWeighted { dequeues } = &mut self.prio
            && level < 2
        {
            *dequeues = if *dequeues == QUORUM_PRIORITY_WEIGHT { 0 } else { *dequeues + 1 };
        }
        self.ready_bytes = self.ready_bytes.saturating_sub(e.content.body.len() as u64);
        Some(e)
    }

    /// The priority level a message with `priority` takes in this queue:
    /// capped at `x-max-priority`, and 0 in a queue without priorities. A
    /// quorum queue with priorities puts its returns (`order.0 == 0`) on a
    /// level of their own above the others.
    pub(super) fn level_for(&self, priority: Option<u8>, returned: bool) -> usize {
        match self.prio {
            PrioMode::Levels => self.cfg.max_priority.map_or(0, |m| usize::from(priority.unwrap_or(0).min(m))),
            PrioMode::QuorumWeighted { .. } if returned => 2,
            // `rabbit_fifo:priority_tag/1`: above 4 is "hi".
            PrioMode::QuorumWeighted { .. } => usize::from(priority.is_some_and(|p| p > 4)),
            PrioMode::QuorumStrict if returned => usize::from(QUORUM_MAX_PRIORITY) + 1,
            // `rabbit_fifo:msg_priority/1`.
            PrioMode::QuorumStrict => usize::from(priority.unwrap_or(QUORUM_DEFAULT_PRIORITY).min(QUORUM_MAX_PRIORITY)),
        }
    }

    /// Puts a returned message back at its original place. The level is
    /// recomputed from the message's priority, never trusted, so an entry can
    /// never point past this queue's levels.
    pub(super) fn insert_sorted(&mut self, mut e: Entry) {
        e.level = self.level_for(e.content.properties.priority, e.order.0 == 0);
        self.ready_bytes = self.ready_bytes.saturating_add(e.content.body.len() as u64);
        if let Some(level) = self.levels.get_mut(e.level) {
            let pos = level.partition_point(|x| x.order < e.order);
            level.insert(pos, e);
        }
    }

    pub(super) fn push_back(&mut self, mut e: Entry) {
        e.level = self.level_for(e.content.properties.priority, e.order.0 == 0);
        self.ready_bytes = self.ready_bytes.saturating_add(e.content.body.len() as u64);
        if let Some(level) = self.levels.get_mut(e.level) {
            level.push_back(e);
        }
    }

    pub(super) fn over_limit(&self) -> bool {
        self.cfg.max_length.is_some_and(|m| self.ready_count() as u64 > m)
            || self.cfg.max_length_bytes.is_some_and(|m| self.ready_bytes > m)
    }

    /// `rabbit_fifo:is_below_soft_limit/1`: at most 80 % of each limit.
    pub(super) fn below_soft_limit(&self) -> bool {
        let soft = |m: u64| (m as f64 * 0.8) as u64;
        self.cfg.max_length.is_none_or(|m| self.ready_count() as u64 <= soft(m))
            && self.cfg.max_length_bytes.is_none_or(|m| self.ready_bytes <= soft(m))
    }

    pub(super) fn would_overflow(&self, size: u64) -> bool {
        self.cfg.max_length.is_some_and(|m| self.ready_count() as u64 + 1 > m)
            || self.cfg.max_length_bytes.is_some_and(|m| self.ready_bytes + size > m)
    }
}

#[derive(Debug)]
pub(crate) struct ExchangeState {
    pub(crate) name: String,
    pub(crate) kind: ExchangeKind,
    pub(crate) durable: bool,
    pub(crate) auto_delete: bool,
    pub(crate) internal: bool,
    pub(crate) arguments: FieldTable,
    pub(crate) bindings: Vec<Binding>,
    /// The destination of each binding as a shared name, so routing hands
    /// out names without allocating.
    pub(crate) dest_names: Vec<Arc<str>>,
    pub(crate) topic: TopicTrie<u32>,
    pub(crate) direct: FxHashMap<String, Vec<u32>>,
    /// The policy that applies and its `alternate-exchange` (`policy.rs`).
    pub(crate) policy: Option<String>,
    pub(crate) policy_alternate: Option<String>,
}

impl ExchangeState {
    pub(super) fn new(
        name: &str,
        kind: ExchangeKind,
        durable: bool,
        auto_delete: bool,
        internal: bool,
        arguments: FieldTable,
    ) -> Self {
        ExchangeState {
            name: name.to_string(),
            kind,
            durable,
            auto_delete,
            internal,
            arguments,
            bindings: Vec::new(),
            dest_names: Vec::new(),
            topic: TopicTrie::new(),
            direct: FxHashMap::default(),
            policy: None,
            policy_alternate: None,
        }
    }

    pub(super) fn alternate(&self) -> Option<&str> {
        // An argument wins over a policy (`rabbit_policy:get_arg/3`).
        self.arguments.get("alternate-exchange").and_then(FieldValue::as_str).or(self.policy_alternate.as_deref())
    }

    pub(super) fn add_binding(&mut self, b: Binding) {
        let idx = self.bindings.len() as u32;
        match self.kind {
            ExchangeKind::Topic => self.topic.insert(&b.routing_key, idx),
            ExchangeKind::Direct => self.direct.entry(b.routing_key.clone()).or_default().push(idx),
            _ => {}
        }
        self.dest_names.push(Arc::from(b.destination.as_str()));
        self.bindings.push(b);
    }

    /// Rebuilds the lookup indexes after bindings were removed; removals are
    /// rare next to routing, so simple rebuilding keeps indexes trivially right.
    pub(super) fn reindex(&mut self) {
        let bindings = std::mem::take(&mut self.bindings);
        self.topic = TopicTrie::new();
        self.direct.clear();
        self.dest_names.clear();
        for b in bindings {
            self.add_binding(b);
        }
    }
}

#[derive(Debug)]
pub(crate) struct Vhost {
    pub(crate) name: Arc<str>,
    pub(crate) exchanges: BTreeMap<String, ExchangeState>,
    pub(crate) queues: BTreeMap<String, QueueState>,
    /// Policies and operator policies by name, and the metadata
    /// `default_queue_type` (`policy.rs`).
    pub(crate) policies: BTreeMap<String, Policy>,
    pub(crate) operator_policies: BTreeMap<String, Policy>,
    pub(crate) default_queue_type: Option<QueueType>,
}

impl Vhost {
    pub(super) fn new(vhost_name: &str) -> Self {
        let mut exchanges = BTreeMap::new();
        for (name, kind) in [
            ("", ExchangeKind::Direct),
            ("amq.direct", ExchangeKind::Direct),
            ("amq.fanout", ExchangeKind::Fanout),
            ("amq.topic", ExchangeKind::Topic),
            ("amq.headers", ExchangeKind::Headers),
            ("amq.match", ExchangeKind::Headers),
        ] {
            // The default exchange's key is the empty string. An empty
            // `String` points at no buffer (a dangling address), and glibc's
            // AVX-512 `memcmp` reads that address under an empty mask, which
            // Intel processors serve through a microcode assist costing
            // about 200 ns: every lookup of any exchange, compared against
            // such a key, paid for one. A key with a buffer of its own
            // compares at full speed.
            let key = if name.is_empty() { String::with_capacity(1) } else { name.to_string() };
            exchanges.insert(key, ExchangeState::new(name, kind, true, false, false, FieldTable::new()));
        }
        Vhost {
            name: Arc::from(vhost_name),
            exchanges,
            queues: BTreeMap::new(),
            policies: BTreeMap::new(),
            operator_policies: BTreeMap::new(),
            default_queue_type: None,
        }
    }

    /// An exchange by name. The default exchange (the empty name, always
    /// the first key) is found without comparing strings, since the name a
    /// command carries is usually an empty `String` with no buffer (see
    /// `new`).
    pub(crate) fn exchange(&self, name: &str) -> Option<&ExchangeState> {
        if name.is_empty() {
            self.exchanges.first_key_value().filter(|(k, _)| k.is_empty()).map(|(_, x)| x)
        } else {
            self.exchanges.get(name)
        }
    }
}

#[derive(Debug)]
pub(crate) struct ConsumerState {
    pub(crate) queue: String,
    pub(crate) no_ack: bool,
    pub(crate) exclusive: bool,
    pub(crate) prefetch: u16,
    pub(crate) priority: i64,
    pub(crate) unacked: u32,
    /// Its place in the queue's rotation: RabbitMQ keeps a queue of
    /// consumers (`rabbit_queue_consumers`), serves the head and puts it
    /// back at the tail, so the smallest number among equal priorities goes
    /// next. A new consumer, one just served and one just unblocked all take
    /// a fresh (largest) number.
    pub(crate) served: u64,
    /// When a delivery found it without room (prefetch or channel limit full),
    /// RabbitMQ moves it out of the rotation (`block_consumer/2`); it
    /// rejoins at the tail once it has room again, in the order it left.
    pub(crate) blocked_at: Option<u64>,
    /// Tells this consumer apart from an earlier one with the same tag on
    /// the same channel, whose deliveries may still be unacknowledged.
    pub(crate) id: u64,
}

#[derive(Debug)]
pub(crate) struct Unacked {
    pub(crate) queue: String,
    /// Which declaration of `queue` the message came from.
    pub(crate) incarnation: u64,
    pub(crate) entry: Entry,
    pub(crate) consumer_tag: Option<String>,
    /// The id of the consumer it went to; `None` for a `basic.get`.
    pub(crate) consumer: Option<u64>,
}

#[derive(Debug, Default)]
pub(crate) struct ChannelState {
    pub(crate) prefetch: u16,
    pub(crate) global_prefetch: u16,
    pub(crate) next_tag: u64,
    pub(crate) unacked: BTreeMap<u64, Unacked>,
    pub(crate) consumers: BTreeMap<String, ConsumerState>,
    pub(crate) consumer_unacked: u32,
    /// The delivery tag the channel was at when its global prefetch was
    /// last set: deliveries from this tag on were made under that limit.
    pub(crate) global_qos_tag: u64,
    pub(crate) confirm: bool,
    pub(crate) next_confirm: u64,
    /// Stream deliveries waiting for acknowledgement, by delivery tag.
    pub(crate) stream_unacked: BTreeMap<u64, StreamDelivery>,
}

#[derive(Debug)]
pub(crate) struct Connection {
    pub(crate) user: String,
    pub(crate) vhost: String,
    pub(crate) channels: BTreeMap<u16, ChannelState>,
    pub(crate) next_channel: u16,
    pub(crate) blocked: bool,
    pub(crate) held: Vec<Command>,
}

impl Connection {
    /// The channel number the next `channel.open` gets: the first unused
    /// one from `next_channel` on, wrapping within `channel_max`, so a number
    /// in use is never handed out again.
    pub(super) fn free_channel(&self) -> Option<u16> {
        let start = self.next_channel.clamp(1, CHANNEL_MAX);
        (start..=CHANNEL_MAX).chain(1..start).find(|n| !self.channels.contains_key(n))
    }

    /// The channel number the next `channel.open` sent on this connection
    /// will get: while an alarm holds earlier `channel.open`s unread, the
    /// numbers they will take are skipped.
    pub(crate) fn promised_channel(&self) -> Option<u16> {
        let waiting = self.held.iter().filter(|c| matches!(c, Command::OpenChannel { .. })).count();
        let mut promised: Vec<u16> = Vec::with_capacity(waiting + 1);
        let mut start = self.next_channel.clamp(1, CHANNEL_MAX);
        for _ in 0..=waiting {
            let n = (start..=CHANNEL_MAX)
                .chain(1..start)
                .find(|n| !self.channels.contains_key(n) && !promised.contains(n))?;
            promised.push(n);
            start = if n >= CHANNEL_MAX { 1 } else { n + 1 };
        }
        promised.pop()
    }
}

/// What falls due when time advances.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum DueKind {
    MessageExpiry,
    QueueExpiry,
}

/// One timed item found by `next_due`.
pub(crate) struct Due {
    pub(crate) at: u64,
    pub(crate) what: DueKind,
    pub(crate) vhost: String,
    pub(crate) queue: String,
}

/// Where a new message copy comes from; turned into an [`EnqueueCause`]
/// only when events are recorded.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Origin<'a> {
    Publish { channel: ChannelId, publish: u64 },
    DeadLetter { from_queue: &'a str, reason: DeathReason, original: MessageId },
}

impl Origin<'_> {
    pub(super) fn cause(self, content: &Content) -> EnqueueCause {
        match self {
            Origin::Publish { channel, publish } => EnqueueCause::Publish {
                channel: Some(channel),
                exchange: content.exchange.clone(),
                routing_key: content.routing_key.clone(),
                publish,
            },
            Origin::DeadLetter { from_queue, reason, original } => {
                EnqueueCause::DeadLetter { from_queue: from_queue.to_string(), reason, original }
            }
        }
    }
}

#[derive(Clone, Copy, Debug)]
pub(crate) enum Settle {
    Ack,
    Nack {
        requeue: bool,
    },
    Reject {
        requeue: bool,
    },
    /// The channel or connection went away with the delivery outstanding.
    Lost,
}
