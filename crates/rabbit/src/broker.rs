//! The broker: virtual hosts with their exchanges and queues, users and
//! permissions, connections with channels, and the rules that move messages
//! between them. [`Broker::apply`] is the single entry point; the helper
//! methods below it only build commands. Internally the file is split into
//! sections: state types, command handling, routing, queue operations
//! (enqueue, dispatch, expiry, dead-lettering), channel operations
//! (acknowledgements, closing), and read-only views.
//!
//! Iteration that produces output always goes over `BTreeMap`s or `Vec`s in a
//! defined order, so one seed and one command list always give one event list.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::sync::Arc;

use rand_chacha::ChaCha8Rng;
use rand_core::{RngCore, SeedableRng};
use regex_lite::Regex;
use rustc_hash::{FxHashMap, FxHashSet};

use crate::error::{AmqpError, ReplyCode};
use crate::model::*;
use crate::topic::{self, TopicTrie};
use crate::value::{FieldTable, FieldValue, headers_value_matches};

const DEFAULT_VHOST: &str = "/";
/// Quorum queues dead-letter or drop a message returned more often than this
/// unless `x-delivery-limit` says otherwise (RabbitMQ 4.0 and later).
const DEFAULT_QUORUM_DELIVERY_LIMIT: i64 = 20;

// ---------------------------------------------------------------------------
// State
// ---------------------------------------------------------------------------

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
struct Permission {
    patterns: [String; 3],
    regexes: [Option<Regex>; 3],
}

#[derive(Clone, Copy)]
enum Access {
    Configure = 0,
    Write = 1,
    Read = 2,
}

impl Access {
    fn as_str(self) -> &'static str {
        match self {
            Access::Configure => "configure",
            Access::Write => "write",
            Access::Read => "read",
        }
    }
}

#[derive(Debug)]
struct User {
    password: String,
    permissions: BTreeMap<String, Permission>,
}

#[derive(Debug)]
struct Content {
    exchange: String,
    routing_key: String,
    /// Extra routing keys from the `CC` header (kept on the message).
    cc: Vec<String>,
    properties: BasicProperties,
    body: String,
    deaths: Vec<Death>,
}

impl Content {
    fn persistent(&self) -> bool {
        self.properties.delivery_mode == Some(2)
    }
}

#[derive(Debug, Clone)]
struct Entry {
    id: MessageId,
    content: Arc<Content>,
    /// Position key: classic queues put a requeued message back at its
    /// original place, so entries stay sorted by this key.
    order: (u8, u64),
    redelivered: bool,
    delivery_count: u32,
    enqueued_at: u64,
    expires_at: Option<u64>,
    level: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Overflow {
    DropHead,
    RejectPublish,
    RejectPublishDlx,
}

#[derive(Debug, Clone)]
struct QueueConfig {
    message_ttl: Option<u64>,
    expires: Option<u64>,
    max_length: Option<u64>,
    max_length_bytes: Option<u64>,
    overflow: Overflow,
    dlx: Option<String>,
    dlrk: Option<String>,
    max_priority: Option<u8>,
    delivery_limit: Option<u64>,
    single_active: bool,
}

type ConsumerKey = (ChannelId, String);

#[derive(Debug)]
struct QueueState {
    name: String,
    /// The same name, shared with events.
    shared_name: Arc<str>,
    queue_type: QueueType,
    durable: bool,
    exclusive: bool,
    owner: Option<ConnectionId>,
    auto_delete: bool,
    arguments: FieldTable,
    cfg: QueueConfig,
    /// One FIFO per priority level; level 0 is the lowest.
    levels: Vec<VecDeque<Entry>>,
    ready_bytes: u64,
    consumers: Vec<ConsumerKey>,
    has_exclusive_consumer: bool,
    had_consumer: bool,
    last_used: u64,
    unacked: u32,
    return_seq: u64,
}

impl QueueState {
    fn ready_count(&self) -> usize {
        self.levels.iter().map(VecDeque::len).sum()
    }

    fn pop_front(&mut self) -> Option<Entry> {
        let level = self.levels.iter().rposition(|l| !l.is_empty())?;
        let e = self.levels[level].pop_front()?;
        self.ready_bytes -= e.content.body.len() as u64;
        Some(e)
    }

    fn insert_sorted(&mut self, e: Entry) {
        self.ready_bytes += e.content.body.len() as u64;
        let level = &mut self.levels[e.level];
        let pos = level.partition_point(|x| x.order < e.order);
        level.insert(pos, e);
    }

    fn push_back(&mut self, e: Entry) {
        self.ready_bytes += e.content.body.len() as u64;
        self.levels[e.level].push_back(e);
    }

    fn over_limit(&self) -> bool {
        self.cfg.max_length.is_some_and(|m| self.ready_count() as u64 > m)
            || self.cfg.max_length_bytes.is_some_and(|m| self.ready_bytes > m)
    }

    fn would_overflow(&self, size: u64) -> bool {
        self.cfg.max_length.is_some_and(|m| self.ready_count() as u64 + 1 > m)
            || self.cfg.max_length_bytes.is_some_and(|m| self.ready_bytes + size > m)
    }
}

#[derive(Debug)]
struct ExchangeState {
    name: String,
    kind: ExchangeKind,
    durable: bool,
    auto_delete: bool,
    internal: bool,
    arguments: FieldTable,
    bindings: Vec<Binding>,
    /// The destination of each binding as a shared name, so routing hands
    /// out names without allocating.
    dest_names: Vec<Arc<str>>,
    topic: TopicTrie<u32>,
    direct: FxHashMap<String, Vec<u32>>,
}

impl ExchangeState {
    fn new(
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
        }
    }

    fn alternate(&self) -> Option<&str> {
        self.arguments.get("alternate-exchange").and_then(FieldValue::as_str)
    }

    fn add_binding(&mut self, b: Binding) {
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
    fn reindex(&mut self) {
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
struct Vhost {
    name: Arc<str>,
    exchanges: BTreeMap<String, ExchangeState>,
    queues: BTreeMap<String, QueueState>,
}

impl Vhost {
    fn new(vhost_name: &str) -> Self {
        let mut exchanges = BTreeMap::new();
        for (name, kind) in [
            ("", ExchangeKind::Direct),
            ("amq.direct", ExchangeKind::Direct),
            ("amq.fanout", ExchangeKind::Fanout),
            ("amq.topic", ExchangeKind::Topic),
            ("amq.headers", ExchangeKind::Headers),
            ("amq.match", ExchangeKind::Headers),
        ] {
            exchanges.insert(name.to_string(), ExchangeState::new(name, kind, true, false, false, FieldTable::new()));
        }
        Vhost { name: Arc::from(vhost_name), exchanges, queues: BTreeMap::new() }
    }
}

#[derive(Debug)]
struct ConsumerState {
    queue: String,
    no_ack: bool,
    exclusive: bool,
    prefetch: u16,
    priority: i64,
    unacked: u32,
    served: u64,
}

#[derive(Debug)]
struct Unacked {
    queue: String,
    entry: Entry,
    consumer_tag: Option<String>,
}

#[derive(Debug, Default)]
struct ChannelState {
    prefetch: u16,
    global_prefetch: u16,
    next_tag: u64,
    unacked: BTreeMap<u64, Unacked>,
    consumers: BTreeMap<String, ConsumerState>,
    consumer_unacked: u32,
    confirm: bool,
    next_confirm: u64,
}

#[derive(Debug)]
struct Connection {
    user: String,
    vhost: String,
    channels: BTreeMap<u16, ChannelState>,
    next_channel: u16,
    blocked: bool,
    held: Vec<Command>,
}

/// The simulated RabbitMQ broker.
#[derive(Debug)]
pub struct Broker {
    rng: ChaCha8Rng,
    now: u64,
    tracing: bool,
    users: BTreeMap<String, User>,
    vhosts: BTreeMap<String, Vhost>,
    connections: BTreeMap<ConnectionId, Connection>,
    next_connection: ConnectionId,
    next_message_id: MessageId,
    next_seq: u64,
    alarms: BTreeSet<Alarm>,
    ledger: Ledger,
    /// Numbers publishes broker-wide for `Published` and `EnqueueCause::Publish`.
    next_publish: u64,
    /// Whether commands return their events; off, they only change state.
    recording: bool,
    /// The seed the broker was created with, quoted by invariant failures.
    seed: u64,
}

/// Where handlers put the events a command causes. With recording off it
/// drops them, and the hot paths build their events through
/// [`Sink::emit`] so that nothing is allocated for an event nobody reads.
#[derive(Debug)]
pub(crate) struct Sink {
    on: bool,
    list: Vec<Event>,
}

impl Sink {
    fn new(on: bool) -> Self {
        Sink { on, list: Vec::new() }
    }

    /// Records an event already built.
    fn push(&mut self, e: Event) {
        if self.on {
            self.list.push(e);
        }
    }

    /// Builds and records an event only when recording is on.
    fn emit(&mut self, f: impl FnOnce() -> Event) {
        if self.on {
            self.list.push(f());
        }
    }

    /// An empty sink with the same recording setting, for events that must
    /// be placed after one not yet known.
    fn sub(&self) -> Sink {
        Sink::new(self.on)
    }

    /// Appends another sink's events.
    fn append(&mut self, other: Sink) {
        self.list.extend(other.list);
    }
}

type R<T> = Result<T, AmqpError>;

fn qname_err(q: &str, vh: &str) -> AmqpError {
    AmqpError::not_found(format!("no queue '{q}' in vhost '{vh}'"))
}

fn xname_err(x: &str, vh: &str) -> AmqpError {
    AmqpError::not_found(format!("no exchange '{x}' in vhost '{vh}'"))
}

fn perm_name(exchange: &str) -> &str {
    if exchange.is_empty() { "amq.default" } else { exchange }
}

fn short_id(rng: &mut ChaCha8Rng) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    (0..22).map(|_| ALPHABET[(rng.next_u32() % 64) as usize] as char).collect()
}

fn header_strings(headers: Option<&FieldTable>, key: &str) -> Vec<String> {
    match headers.and_then(|h| h.get(key)) {
        Some(FieldValue::FieldArray(items)) => items.iter().filter_map(|v| v.as_str().map(str::to_string)).collect(),
        _ => Vec::new(),
    }
}

impl Broker {
    /// A broker with the default vhost `/` and the user `guest`/`guest`
    /// holding full permissions on it, as a fresh RabbitMQ install has.
    pub fn new(seed: u64) -> Self {
        let mut b = Broker {
            rng: ChaCha8Rng::seed_from_u64(seed),
            now: 0,
            tracing: true,
            users: BTreeMap::new(),
            vhosts: BTreeMap::new(),
            connections: BTreeMap::new(),
            next_connection: 1,
            next_message_id: 1,
            next_seq: 1,
            alarms: BTreeSet::new(),
            ledger: Ledger::default(),
            next_publish: 1,
            recording: true,
            seed,
        };
        b.vhosts.insert(DEFAULT_VHOST.to_string(), Vhost::new(DEFAULT_VHOST));
        b.users.insert("guest".to_string(), User { password: "guest".to_string(), permissions: BTreeMap::new() });
        let perm = Self::compile_permission(".*", ".*", ".*").expect("static patterns compile");
        if let Some(u) = b.users.get_mut("guest") {
            u.permissions.insert(DEFAULT_VHOST.to_string(), perm);
        }
        b
    }

    /// Turns routing traces in `Published` events on or off. Tracing is on by
    /// default; turning it off makes publishing cheaper.
    pub fn set_tracing(&mut self, on: bool) {
        self.tracing = on;
    }

    /// Turns event recording on or off. Off, commands change the broker as
    /// usual but their [`Outcome`]s carry no events, which makes bulk runs
    /// (benchmarks, long simulations) cheaper. Recording is on by default.
    pub fn set_event_recording(&mut self, on: bool) {
        self.recording = on;
    }

    /// Logical time in milliseconds.
    pub fn now(&self) -> u64 {
        self.now
    }

    /// The seed the broker was created with.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// Totals of what happened to message copies so far.
    pub fn ledger(&self) -> Ledger {
        self.ledger
    }

    /// Applies one command and returns everything it did. On an error the
    /// broker behaves as RabbitMQ does: a channel exception closes the
    /// channel and a connection exception the connection; the events of that
    /// closing follow whatever the command did before it was refused.
    pub fn apply(&mut self, command: Command) -> Outcome {
        let mut events = Sink::new(self.recording);
        let channel = command.channel();
        let error = match self.handle(command, &mut events) {
            Ok(()) => None,
            Err(err) => {
                if let Some(ch) = channel
                    && self.connections.get(&ch.connection).is_some_and(|c| c.channels.contains_key(&ch.channel))
                {
                    if err.code.closes_connection() {
                        self.close_connection(ch.connection, Some(err.clone()), &mut events);
                    } else {
                        self.close_channel(ch, Some(err.clone()), &mut events);
                    }
                }
                Some(err)
            }
        };
        Outcome { events: events.list, error }
    }

    fn handle(&mut self, command: Command, ev: &mut Sink) -> R<()> {
        match command {
            Command::AddVhost { name } => {
                if !self.vhosts.contains_key(&name) {
                    self.vhosts.insert(name.clone(), Vhost::new(&name));
                    ev.push(Event::VhostAdded { name });
                }
                Ok(())
            }
            Command::DeleteVhost { name } => {
                if !self.vhosts.contains_key(&name) {
                    return Err(AmqpError::not_found(format!("vhost '{name}' does not exist")));
                }
                let conns: Vec<_> =
                    self.connections.iter().filter(|(_, c)| c.vhost == name).map(|(id, _)| *id).collect();
                for c in conns {
                    self.close_connection(c, Some(AmqpError::new(ReplyCode::NotAllowed, "vhost deleted")), ev);
                }
                if let Some(vh) = self.vhosts.remove(&name) {
                    for (qname, q) in vh.queues {
                        self.account_dropped(q.ready_count() as u64);
                        ev.push(Event::QueueDeleted {
                            vhost: name.clone(),
                            queue: qname,
                            message_count: q.ready_count() as u32,
                        });
                    }
                }
                for u in self.users.values_mut() {
                    u.permissions.remove(&name);
                }
                ev.push(Event::VhostDeleted { name });
                Ok(())
            }
            Command::AddUser { name, password } => {
                let user = self
                    .users
                    .entry(name.clone())
                    .or_insert_with(|| User { password: String::new(), permissions: BTreeMap::new() });
                user.password = password;
                ev.push(Event::UserAdded { name });
                Ok(())
            }
            Command::DeleteUser { name } => {
                if self.users.remove(&name).is_none() {
                    return Err(AmqpError::not_found(format!("user '{name}' does not exist")));
                }
                let conns: Vec<_> =
                    self.connections.iter().filter(|(_, c)| c.user == name).map(|(id, _)| *id).collect();
                for c in conns {
                    self.close_connection(c, Some(AmqpError::new(ReplyCode::NotAllowed, "user deleted")), ev);
                }
                ev.push(Event::UserDeleted { name });
                Ok(())
            }
            Command::SetPermissions { user, vhost, configure, write, read } => {
                if !self.vhosts.contains_key(&vhost) {
                    return Err(AmqpError::not_found(format!("vhost '{vhost}' does not exist")));
                }
                let perm = Self::compile_permission(&configure, &write, &read)?;
                let u = self
                    .users
                    .get_mut(&user)
                    .ok_or_else(|| AmqpError::not_found(format!("user '{user}' does not exist")))?;
                u.permissions.insert(vhost.clone(), perm);
                ev.push(Event::PermissionsSet { user, vhost });
                Ok(())
            }
            Command::OpenConnection { user, password, vhost } => {
                let u = self.users.get(&user).filter(|u| u.password == password).ok_or_else(|| {
                    AmqpError::access_refused(format!("login refused: user '{user}' - invalid credentials"))
                })?;
                if !self.vhosts.contains_key(&vhost) {
                    return Err(AmqpError::new(ReplyCode::NotAllowed, format!("vhost {vhost} not found")));
                }
                if !u.permissions.contains_key(&vhost) {
                    return Err(AmqpError::new(
                        ReplyCode::NotAllowed,
                        format!("access to vhost '{vhost}' refused for user '{user}'"),
                    ));
                }
                let id = self.next_connection;
                self.next_connection += 1;
                let blocked = !self.alarms.is_empty();
                self.connections.insert(
                    id,
                    Connection {
                        user: user.clone(),
                        vhost: vhost.clone(),
                        channels: BTreeMap::new(),
                        next_channel: 1,
                        blocked,
                        held: Vec::new(),
                    },
                );
                ev.push(Event::ConnectionOpened { connection: id, user, vhost });
                Ok(())
            }
            Command::CloseConnection { connection } => {
                if !self.connections.contains_key(&connection) {
                    return Err(AmqpError::new(
                        ReplyCode::ChannelError,
                        format!("connection {connection} is not open"),
                    ));
                }
                self.close_connection(connection, None, ev);
                Ok(())
            }
            Command::OpenChannel { connection } => {
                let c = self.connections.get_mut(&connection).ok_or_else(|| {
                    AmqpError::new(ReplyCode::ChannelError, format!("connection {connection} is not open"))
                })?;
                let n = c.next_channel;
                c.next_channel = c.next_channel.wrapping_add(1).max(1);
                c.channels.insert(n, ChannelState { next_tag: 1, next_confirm: 1, ..Default::default() });
                ev.push(Event::ChannelOpened { channel: ChannelId { connection, channel: n } });
                Ok(())
            }
            Command::CloseChannel { channel } => {
                self.ctx(channel)?;
                self.close_channel(channel, None, ev);
                Ok(())
            }
            Command::ExchangeDeclare {
                channel,
                exchange,
                kind,
                passive,
                durable,
                auto_delete,
                internal,
                arguments,
            } => self.exchange_declare(channel, exchange, kind, passive, durable, auto_delete, internal, arguments, ev),
            Command::ExchangeDelete { channel, exchange, if_unused } => {
                self.exchange_delete(channel, exchange, if_unused, ev)
            }
            Command::QueueDeclare { channel, queue, passive, durable, exclusive, auto_delete, arguments } => {
                self.queue_declare(channel, queue, passive, durable, exclusive, auto_delete, arguments, ev)
            }
            Command::QueueDelete { channel, queue, if_unused, if_empty } => {
                self.queue_delete_cmd(channel, queue, if_unused, if_empty, ev)
            }
            Command::QueuePurge { channel, queue } => self.queue_purge(channel, queue, ev),
            Command::QueueBind { channel, queue, exchange, routing_key, arguments } => {
                self.bind(channel, exchange, queue, DestinationKind::Queue, routing_key, arguments, true, ev)
            }
            Command::QueueUnbind { channel, queue, exchange, routing_key, arguments } => {
                self.bind(channel, exchange, queue, DestinationKind::Queue, routing_key, arguments, false, ev)
            }
            Command::ExchangeBind { channel, destination, source, routing_key, arguments } => {
                self.bind(channel, source, destination, DestinationKind::Exchange, routing_key, arguments, true, ev)
            }
            Command::ExchangeUnbind { channel, destination, source, routing_key, arguments } => {
                self.bind(channel, source, destination, DestinationKind::Exchange, routing_key, arguments, false, ev)
            }
            Command::BasicQos { channel, prefetch_count, global } => {
                self.ctx(channel)?;
                let ch = self.chan_mut(channel)?;
                if global {
                    ch.global_prefetch = prefetch_count;
                } else {
                    ch.prefetch = prefetch_count;
                }
                ev.push(Event::QosSet { channel, prefetch_count, global });
                // A larger window may let waiting messages flow.
                self.dispatch_channel_queues(channel, ev);
                Ok(())
            }
            cmd @ Command::BasicPublish { .. } => self.publish_cmd(cmd, ev),
            Command::BasicConsume { channel, queue, consumer_tag, no_ack, exclusive, arguments } => {
                self.consume_inner(channel, queue, consumer_tag, no_ack, exclusive, arguments, ev)
            }
            Command::BasicCancel { channel, consumer_tag } => {
                self.ctx(channel)?;
                self.cancel_consumer(channel, &consumer_tag, false, ev);
                Ok(())
            }
            Command::BasicGet { channel, queue, no_ack } => self.basic_get(channel, queue, no_ack, ev),
            Command::BasicAck { channel, delivery_tag, multiple } => {
                self.settle(channel, delivery_tag, multiple, Settle::Ack, ev)
            }
            Command::BasicNack { channel, delivery_tag, multiple, requeue } => {
                self.settle(channel, delivery_tag, multiple, Settle::Nack { requeue }, ev)
            }
            Command::BasicReject { channel, delivery_tag, requeue } => {
                self.settle(channel, delivery_tag, false, Settle::Reject { requeue }, ev)
            }
            Command::ConfirmSelect { channel } => {
                self.ctx(channel)?;
                self.chan_mut(channel)?.confirm = true;
                Ok(())
            }
            Command::Tick { ms } => {
                self.tick_inner(ms, ev);
                Ok(())
            }
            Command::Restart => {
                self.restart_inner(ev);
                Ok(())
            }
            Command::SetAlarm { alarm, active } => {
                self.set_alarm_inner(alarm, active, ev);
                Ok(())
            }
        }
    }

    // -----------------------------------------------------------------------
    // Context and permissions
    // -----------------------------------------------------------------------

    fn compile_permission(configure: &str, write: &str, read: &str) -> R<Permission> {
        let compile = |p: &str| -> R<Option<Regex>> {
            // An empty pattern grants nothing, as in RabbitMQ.
            if p.is_empty() {
                return Ok(None);
            }
            Regex::new(p)
                .map(Some)
                .map_err(|e| AmqpError::precondition(format!("invalid permission pattern '{p}': {e}")))
        };
        Ok(Permission {
            regexes: [compile(configure)?, compile(write)?, compile(read)?],
            patterns: [configure.to_string(), write.to_string(), read.to_string()],
        })
    }

    /// The vhost and user of an open channel.
    fn ctx(&self, ch: ChannelId) -> R<(String, String)> {
        let c = self.connections.get(&ch.connection).ok_or_else(|| {
            AmqpError::new(ReplyCode::ChannelError, format!("connection {} is not open", ch.connection))
        })?;
        if !c.channels.contains_key(&ch.channel) {
            return Err(AmqpError::new(
                ReplyCode::ChannelError,
                format!("channel {} on connection {} is not open", ch.channel, ch.connection),
            ));
        }
        Ok((c.vhost.clone(), c.user.clone()))
    }

    fn chan_mut(&mut self, ch: ChannelId) -> R<&mut ChannelState> {
        self.connections
            .get_mut(&ch.connection)
            .and_then(|c| c.channels.get_mut(&ch.channel))
            .ok_or_else(|| AmqpError::new(ReplyCode::ChannelError, "channel is not open"))
    }

    fn check(&self, user: &str, vhost: &str, access: Access, kind: &str, name: &str) -> R<()> {
        let allowed = self
            .users
            .get(user)
            .and_then(|u| u.permissions.get(vhost))
            .and_then(|p| p.regexes[access as usize].as_ref())
            .is_some_and(|re| re.is_match(name));
        if allowed {
            Ok(())
        } else {
            Err(AmqpError::access_refused(format!(
                "{} access to {kind} '{name}' in vhost '{vhost}' refused for user '{user}'",
                access.as_str()
            )))
        }
    }

    fn vh(&self, vhost: &str) -> &Vhost {
        &self.vhosts[vhost]
    }

    fn vh_mut(&mut self, vhost: &str) -> &mut Vhost {
        self.vhosts.get_mut(vhost).expect("a connection's vhost exists while it is open")
    }

    fn check_exclusive(&self, vhost: &str, queue: &str, conn: ConnectionId) -> R<()> {
        if let Some(q) = self.vh(vhost).queues.get(queue)
            && q.exclusive
            && q.owner != Some(conn)
        {
            return Err(AmqpError::new(
                ReplyCode::ResourceLocked,
                format!("cannot obtain exclusive access to locked queue '{queue}' in vhost '{vhost}'"),
            ));
        }
        Ok(())
    }

    fn queue_exists(&self, vhost: &str, queue: &str) -> R<()> {
        if self.vh(vhost).queues.contains_key(queue) { Ok(()) } else { Err(qname_err(queue, vhost)) }
    }

    fn account_dropped(&mut self, n: u64) {
        self.ledger.dropped += n;
    }

    // -----------------------------------------------------------------------
    // Exchanges
    // -----------------------------------------------------------------------

    #[allow(clippy::too_many_arguments)]
    fn exchange_declare(
        &mut self,
        channel: ChannelId,
        name: String,
        kind: ExchangeKind,
        passive: bool,
        durable: bool,
        auto_delete: bool,
        internal: bool,
        arguments: FieldTable,
        ev: &mut Sink,
    ) -> R<()> {
        let (vhost, user) = self.ctx(channel)?;
        if passive {
            return if self.vh(&vhost).exchanges.contains_key(&name) { Ok(()) } else { Err(xname_err(&name, &vhost)) };
        }
        if name.is_empty() {
            return Err(AmqpError::access_refused("operation not permitted on the default exchange"));
        }
        if name.starts_with("amq.") {
            return Err(AmqpError::access_refused(format!("exchange name '{name}' contains reserved prefix 'amq.*'")));
        }
        self.check(&user, &vhost, Access::Configure, "exchange", &name)?;
        if let Some(ae) = arguments.get("alternate-exchange")
            && ae.as_str().is_none()
        {
            return Err(AmqpError::precondition(format!(
                "invalid arg 'alternate-exchange' for exchange '{name}' in vhost '{vhost}': {{unacceptable_type,{}}}",
                ae.type_name()
            )));
        }
        if let Some(x) = self.vh(&vhost).exchanges.get(&name) {
            let diff = if x.kind != kind {
                Some(("type", kind.as_str().to_string(), x.kind.as_str().to_string()))
            } else if x.durable != durable {
                Some(("durable", durable.to_string(), x.durable.to_string()))
            } else if x.auto_delete != auto_delete {
                Some(("auto_delete", auto_delete.to_string(), x.auto_delete.to_string()))
            } else if x.internal != internal {
                Some(("internal", internal.to_string(), x.internal.to_string()))
            } else if x.arguments.get("alternate-exchange") != arguments.get("alternate-exchange") {
                Some((
                    "alternate-exchange",
                    format!("{:?}", arguments.get("alternate-exchange")),
                    format!("{:?}", x.arguments.get("alternate-exchange")),
                ))
            } else {
                None
            };
            if let Some((field, got, have)) = diff {
                return Err(AmqpError::precondition(format!(
                    "inequivalent arg '{field}' for exchange '{name}' in vhost '{vhost}': received '{got}' but current is '{have}'"
                )));
            }
            return Ok(());
        }
        let x = ExchangeState::new(&name, kind, durable, auto_delete, internal, arguments);
        self.vh_mut(&vhost).exchanges.insert(name.clone(), x);
        ev.push(Event::ExchangeDeclared { vhost, exchange: name, kind });
        Ok(())
    }

    fn exchange_delete(&mut self, channel: ChannelId, name: String, if_unused: bool, ev: &mut Sink) -> R<()> {
        let (vhost, user) = self.ctx(channel)?;
        if name.is_empty() {
            return Err(AmqpError::access_refused("operation not permitted on the default exchange"));
        }
        if name.starts_with("amq.") {
            return Err(AmqpError::access_refused(format!(
                "deletion of system exchange '{name}' in vhost '{vhost}' not allowed"
            )));
        }
        self.check(&user, &vhost, Access::Configure, "exchange", &name)?;
        let Some(x) = self.vh(&vhost).exchanges.get(&name) else {
            return Ok(());
        };
        let used_as_destination = self.vh(&vhost).exchanges.values().any(|o| {
            o.bindings.iter().any(|b| b.destination_kind == DestinationKind::Exchange && b.destination == name)
        });
        if if_unused && (!x.bindings.is_empty() || used_as_destination) {
            return Err(AmqpError::precondition(format!("exchange '{name}' in vhost '{vhost}' in use")));
        }
        self.delete_exchange(&vhost, &name, ev);
        Ok(())
    }

    fn delete_exchange(&mut self, vhost: &str, name: &str, ev: &mut Sink) {
        let Some(x) = self.vh_mut(vhost).exchanges.remove(name) else {
            return;
        };
        for b in x.bindings {
            ev.push(Event::BindingRemoved { vhost: vhost.to_string(), binding: b });
        }
        self.remove_bindings_to(vhost, name, DestinationKind::Exchange, ev);
        ev.push(Event::ExchangeDeleted { vhost: vhost.to_string(), exchange: name.to_string() });
    }

    /// Removes every binding that leads to a deleted queue or exchange, then
    /// deletes auto-delete exchanges that lost their last binding.
    fn remove_bindings_to(&mut self, vhost: &str, dest: &str, kind: DestinationKind, ev: &mut Sink) {
        let mut emptied = Vec::new();
        for x in self.vh_mut(vhost).exchanges.values_mut() {
            let before = x.bindings.len();
            let (gone, kept): (Vec<_>, Vec<_>) = std::mem::take(&mut x.bindings)
                .into_iter()
                .partition(|b| b.destination_kind == kind && b.destination == dest);
            x.bindings = kept;
            if !gone.is_empty() {
                x.reindex();
                for b in gone {
                    ev.push(Event::BindingRemoved { vhost: vhost.to_string(), binding: b });
                }
                if x.auto_delete && x.bindings.is_empty() && before > 0 {
                    emptied.push(x.name.clone());
                }
            }
        }
        for x in emptied {
            self.delete_exchange(vhost, &x, ev);
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn bind(
        &mut self,
        channel: ChannelId,
        source: String,
        destination: String,
        kind: DestinationKind,
        routing_key: String,
        arguments: FieldTable,
        add: bool,
        ev: &mut Sink,
    ) -> R<()> {
        let (vhost, user) = self.ctx(channel)?;
        if source.is_empty() || (kind == DestinationKind::Exchange && destination.is_empty()) {
            return Err(AmqpError::access_refused("operation not permitted on the default exchange"));
        }
        let dest_kind_name = if kind == DestinationKind::Queue { "queue" } else { "exchange" };
        self.check(&user, &vhost, Access::Write, dest_kind_name, &destination)?;
        self.check(&user, &vhost, Access::Read, "exchange", &source)?;
        let vh = self.vh(&vhost);
        let Some(x) = vh.exchanges.get(&source) else {
            return Err(xname_err(&source, &vhost));
        };
        match kind {
            DestinationKind::Queue => {
                self.queue_exists(&vhost, &destination)?;
                self.check_exclusive(&vhost, &destination, channel.connection)?;
            }
            DestinationKind::Exchange => {
                if !vh.exchanges.contains_key(&destination) {
                    return Err(xname_err(&destination, &vhost));
                }
            }
        }
        let binding = Binding { source: source.clone(), destination, destination_kind: kind, routing_key, arguments };
        if add {
            if x.kind == ExchangeKind::Topic {
                topic::validate_binding_key(&binding.routing_key).map_err(AmqpError::precondition)?;
            }
            if x.kind == ExchangeKind::Headers {
                validate_x_match(&binding.arguments)?;
            }
            if x.bindings.contains(&binding) {
                return Ok(());
            }
            let x = self.vh_mut(&vhost).exchanges.get_mut(&source).expect("checked above");
            x.add_binding(binding.clone());
            ev.push(Event::BindingCreated { vhost, binding });
        } else {
            let Some(pos) = x.bindings.iter().position(|b| *b == binding) else {
                // RabbitMQ 3.x and later answer unbind-ok for a missing binding.
                return Ok(());
            };
            let x = self.vh_mut(&vhost).exchanges.get_mut(&source).expect("checked above");
            x.bindings.remove(pos);
            x.reindex();
            let now_empty = x.auto_delete && x.bindings.is_empty();
            ev.push(Event::BindingRemoved { vhost: vhost.clone(), binding });
            if now_empty {
                self.delete_exchange(&vhost, &source, ev);
            }
        }
        Ok(())
    }

    // -----------------------------------------------------------------------
    // Queues: declare, delete, purge
    // -----------------------------------------------------------------------

    fn parse_queue_config(name: &str, vhost: &str, args: &FieldTable, queue_type: QueueType) -> R<QueueConfig> {
        let bad_type = |key: &str, v: &FieldValue| {
            AmqpError::precondition(format!(
                "invalid arg '{key}' for queue '{name}' in vhost '{vhost}': {{unacceptable_type,{}}}",
                v.type_name()
            ))
        };
        let bad_value = |key: &str, v: &FieldValue| {
            AmqpError::precondition(format!(
                "invalid arg '{key}' for queue '{name}' in vhost '{vhost}': {{value_negative,{v:?}}}"
            ))
        };
        let int = |key: &str, min: i64| -> R<Option<u64>> {
            match args.get(key) {
                None => Ok(None),
                Some(v) => {
                    let i = v.as_i64().ok_or_else(|| bad_type(key, v))?;
                    if i < min {
                        return Err(bad_value(key, v));
                    }
                    Ok(Some(i as u64))
                }
            }
        };
        let string = |key: &str| -> R<Option<String>> {
            match args.get(key) {
                None => Ok(None),
                Some(v) => v.as_str().map(|s| Some(s.to_string())).ok_or_else(|| bad_type(key, v)),
            }
        };
        let overflow = match string("x-overflow")?.as_deref() {
            None | Some("drop-head") => Overflow::DropHead,
            Some("reject-publish") => Overflow::RejectPublish,
            Some("reject-publish-dlx") if queue_type == QueueType::Classic => Overflow::RejectPublishDlx,
            Some(other) => {
                return Err(AmqpError::precondition(format!(
                    "invalid arg 'x-overflow' for queue '{name}' in vhost '{vhost}': {{unacceptable_value,<<\"{other}\">>}}"
                )));
            }
        };
        let dlx = string("x-dead-letter-exchange")?;
        let dlrk = string("x-dead-letter-routing-key")?;
        if dlrk.is_some() && dlx.is_none() {
            return Err(AmqpError::precondition(format!(
                "invalid arg 'x-dead-letter-routing-key' for queue '{name}' in vhost '{vhost}': {{no_dlx,<<\"x-dead-letter-exchange\">>}}"
            )));
        }
        let max_priority = match int("x-max-priority", 0)? {
            Some(p) if p > 255 => return Err(bad_value("x-max-priority", &args["x-max-priority"])),
            p => p.map(|p| p as u8),
        };
        let delivery_limit = match queue_type {
            QueueType::Quorum => {
                let limit = match args.get("x-delivery-limit") {
                    None => DEFAULT_QUORUM_DELIVERY_LIMIT,
                    Some(v) => v.as_i64().ok_or_else(|| bad_type("x-delivery-limit", v))?,
                };
                (limit >= 0).then_some(limit as u64)
            }
            QueueType::Classic => None,
        };
        let single_active = match args.get("x-single-active-consumer") {
            None => false,
            Some(FieldValue::Boolean(b)) => *b,
            Some(v) => return Err(bad_type("x-single-active-consumer", v)),
        };
        let expires = int("x-expires", 1)?;
        Ok(QueueConfig {
            message_ttl: int("x-message-ttl", 0)?,
            expires,
            max_length: int("x-max-length", 0)?,
            max_length_bytes: int("x-max-length-bytes", 0)?,
            overflow,
            dlx,
            dlrk,
            max_priority,
            delivery_limit,
            single_active,
        })
    }

    #[allow(clippy::too_many_arguments)]
    fn queue_declare(
        &mut self,
        channel: ChannelId,
        mut name: String,
        passive: bool,
        durable: bool,
        exclusive: bool,
        auto_delete: bool,
        arguments: FieldTable,
        ev: &mut Sink,
    ) -> R<()> {
        let (vhost, user) = self.ctx(channel)?;
        let conn = channel.connection;
        if passive {
            self.queue_exists(&vhost, &name)?;
            self.check_exclusive(&vhost, &name, conn)?;
            let q = &self.vh(&vhost).queues[&name];
            ev.push(Event::QueueDeclared {
                vhost: vhost.clone(),
                queue: name.clone(),
                message_count: q.ready_count() as u32,
                consumer_count: q.consumers.len() as u32,
            });
            return Ok(());
        }
        if name.is_empty() {
            name = format!("amq.gen-{}", short_id(&mut self.rng));
        } else if name.starts_with("amq.") {
            return Err(AmqpError::access_refused(format!("queue name '{name}' contains reserved prefix 'amq.*'")));
        }
        self.check(&user, &vhost, Access::Configure, "queue", &name)?;
        let queue_type = match arguments.get("x-queue-type") {
            None => QueueType::Classic,
            Some(FieldValue::LongString(s)) if s == "classic" => QueueType::Classic,
            Some(FieldValue::LongString(s)) if s == "quorum" => QueueType::Quorum,
            Some(v) => {
                return Err(AmqpError::precondition(format!(
                    "invalid arg 'x-queue-type' for queue '{name}' in vhost '{vhost}': {v:?}"
                )));
            }
        };
        if queue_type == QueueType::Quorum && (!durable || exclusive || auto_delete) {
            let field = if !durable {
                "durable"
            } else if exclusive {
                "exclusive"
            } else {
                "auto-delete"
            };
            return Err(AmqpError::precondition(format!(
                "invalid property '{field}' for queue '{name}' in vhost '{vhost}'"
            )));
        }
        let cfg = Self::parse_queue_config(&name, &vhost, &arguments, queue_type)?;
        if let Some(dlx) = &cfg.dlx {
            // Declaring a dead-letter exchange needs write access to it, as
            // RabbitMQ checks, because the queue will publish into it.
            self.check(&user, &vhost, Access::Write, "exchange", perm_name(dlx))?;
        }
        if let Some(q) = self.vh(&vhost).queues.get(&name) {
            self.check_exclusive(&vhost, &name, conn)?;
            let diff = if q.durable != durable {
                Some(("durable", durable.to_string(), q.durable.to_string()))
            } else if q.exclusive != exclusive {
                Some(("exclusive", exclusive.to_string(), q.exclusive.to_string()))
            } else if q.auto_delete != auto_delete {
                Some(("auto_delete", auto_delete.to_string(), q.auto_delete.to_string()))
            } else {
                EQUIVALENCE_ARGS.iter().find_map(|k| {
                    let (a, b) = (arguments.get(*k), q.arguments.get(*k));
                    let same = match (a, b) {
                        (Some(x), Some(y)) => x.as_i64().zip(y.as_i64()).map_or(x == y, |(i, j)| i == j),
                        (None, None) => true,
                        // An explicit classic type matches an implicit one.
                        (Some(FieldValue::LongString(s)), None) | (None, Some(FieldValue::LongString(s))) => {
                            *k == "x-queue-type" && s == "classic"
                        }
                        _ => false,
                    };
                    (!same).then(|| (*k, format!("{a:?}"), format!("{b:?}")))
                })
            };
            if let Some((field, got, have)) = diff {
                return Err(AmqpError::precondition(format!(
                    "inequivalent arg '{field}' for queue '{name}' in vhost '{vhost}': received '{got}' but current is '{have}'"
                )));
            }
            let now = self.now;
            let q = self.vh_mut(&vhost).queues.get_mut(&name).expect("checked above");
            q.last_used = now;
            ev.push(Event::QueueDeclared {
                vhost,
                queue: name,
                message_count: q.ready_count() as u32,
                consumer_count: q.consumers.len() as u32,
            });
            return Ok(());
        }
        let levels = cfg.max_priority.map_or(1, |p| p as usize + 1);
        let q = QueueState {
            shared_name: Arc::from(name.as_str()),
            name: name.clone(),
            queue_type,
            durable,
            exclusive,
            owner: exclusive.then_some(conn),
            auto_delete,
            arguments,
            cfg,
            levels: (0..levels).map(|_| VecDeque::new()).collect(),
            ready_bytes: 0,
            consumers: Vec::new(),
            has_exclusive_consumer: false,
            had_consumer: false,
            last_used: self.now,
            unacked: 0,
            return_seq: 0,
        };
        self.vh_mut(&vhost).queues.insert(name.clone(), q);
        ev.push(Event::QueueDeclared { vhost, queue: name, message_count: 0, consumer_count: 0 });
        Ok(())
    }

    fn queue_delete_cmd(
        &mut self,
        channel: ChannelId,
        name: String,
        if_unused: bool,
        if_empty: bool,
        ev: &mut Sink,
    ) -> R<()> {
        let (vhost, user) = self.ctx(channel)?;
        self.check(&user, &vhost, Access::Configure, "queue", &name)?;
        let Some(q) = self.vh(&vhost).queues.get(&name) else {
            return Ok(());
        };
        self.check_exclusive(&vhost, &name, channel.connection)?;
        if if_unused && !q.consumers.is_empty() {
            return Err(AmqpError::precondition(format!("queue '{name}' in vhost '{vhost}' in use")));
        }
        if if_empty && q.ready_count() > 0 {
            return Err(AmqpError::precondition(format!("queue '{name}' in vhost '{vhost}' is not empty")));
        }
        self.delete_queue(&vhost, &name, ev);
        Ok(())
    }

    fn delete_queue(&mut self, vhost: &str, name: &str, ev: &mut Sink) {
        let Some(q) = self.vh(vhost).queues.get(name) else {
            return;
        };
        let consumers = q.consumers.clone();
        for (ch, tag) in consumers {
            self.cancel_consumer(ch, &tag, true, ev);
        }
        let Some(mut q) = self.vh_mut(vhost).queues.remove(name) else {
            return;
        };
        let count = q.ready_count() as u32;
        while let Some(e) = q.pop_front() {
            self.ledger.dropped += 1;
            ev.push(Event::Dropped {
                vhost: vhost.to_string(),
                queue: Some(name.to_string()),
                message_id: Some(e.id),
                reason: DropReason::QueueDeleted,
            });
        }
        self.remove_bindings_to(vhost, name, DestinationKind::Queue, ev);
        ev.push(Event::QueueDeleted { vhost: vhost.to_string(), queue: name.to_string(), message_count: count });
    }

    fn queue_purge(&mut self, channel: ChannelId, name: String, ev: &mut Sink) -> R<()> {
        let (vhost, user) = self.ctx(channel)?;
        self.check(&user, &vhost, Access::Read, "queue", &name)?;
        self.queue_exists(&vhost, &name)?;
        self.check_exclusive(&vhost, &name, channel.connection)?;
        let q = self.vh_mut(&vhost).queues.get_mut(&name).expect("checked above");
        let mut dropped = Vec::new();
        while let Some(e) = q.pop_front() {
            dropped.push(e.id);
        }
        let count = dropped.len() as u32;
        self.ledger.dropped += dropped.len() as u64;
        for id in dropped {
            ev.push(Event::Dropped {
                vhost: vhost.clone(),
                queue: Some(name.clone()),
                message_id: Some(id),
                reason: DropReason::Purged,
            });
        }
        ev.push(Event::QueuePurged { vhost, queue: name, message_count: count });
        Ok(())
    }

    // -----------------------------------------------------------------------
    // Routing
    // -----------------------------------------------------------------------

    /// Routes a message through `exchange` and everything bound below it,
    /// returning the queues reached (sorted, each once). With `trace`, also
    /// records every exchange and binding considered.
    fn route_in<'a>(
        vh: &'a Vhost,
        exchange: &'a str,
        routing_keys: &[&str],
        headers: Option<&FieldTable>,
        mut trace: Option<&mut Vec<ExchangeTrace>>,
    ) -> Vec<&'a Arc<str>> {
        // Queues in the order routing first reached them; each only once.
        // Membership is tested, never iterated, so the hash set cannot make
        // the order depend on a hash seed.
        let mut queues: Vec<&'a Arc<str>> = Vec::new();
        let mut queue_set: FxHashSet<&'a str> = FxHashSet::default();
        let mut add = |q: &'a Arc<str>, queues: &mut Vec<&'a Arc<str>>| {
            if queues.len() < 16 {
                if !queues.iter().any(|x| **x == *q) {
                    queues.push(q);
                }
            } else {
                if queue_set.is_empty() {
                    queue_set.extend(queues.iter().map(|x| &***x));
                }
                if queue_set.insert(&**q) {
                    queues.push(q);
                }
            }
        };
        // Most routes visit one exchange; the work list and the visited
        // list only allocate once a second exchange is involved.
        let mut seen: Vec<&'a str> = Vec::new();
        let mut work: VecDeque<(&'a str, Option<&'a str>, bool)> = VecDeque::new();
        let mut first = Some((exchange, None, false));
        let mut matched: Vec<u32> = Vec::new();
        while let Some((xname, from, via_alt)) = first.take().or_else(|| work.pop_front()) {
            let Some(x) = vh.exchanges.get(xname) else {
                continue;
            };
            matched.clear();
            let mut xt = trace.as_ref().map(|_| ExchangeTrace {
                exchange: xname.to_string(),
                kind: x.kind,
                reached_from: from.map(str::to_string),
                via_alternate: via_alt,
                bindings: Vec::new(),
                alternate_exchange: None,
                already_visited: false,
            });
            let mut any = false;
            if xname.is_empty() {
                // The default exchange: every queue is implicitly bound under its own name.
                for &rk in routing_keys {
                    let exists = vh.queues.contains_key(rk);
                    if let Some(xt) = xt.as_mut() {
                        xt.bindings.push(BindingTrace {
                            binding: Binding {
                                source: String::new(),
                                destination: rk.to_string(),
                                destination_kind: DestinationKind::Queue,
                                routing_key: rk.to_string(),
                                arguments: FieldTable::new(),
                            },
                            matched: exists,
                            reason: if exists {
                                format!("the default exchange delivers to the queue named '{rk}'")
                            } else {
                                format!("the default exchange found no queue named '{rk}'")
                            },
                            topic_words: None,
                        });
                    }
                    if let Some(q) = vh.queues.get(rk) {
                        add(&q.shared_name, &mut queues);
                        any = true;
                    }
                }
            } else {
                match x.kind {
                    ExchangeKind::Direct => {
                        for &rk in routing_keys {
                            if let Some(ids) = x.direct.get(rk) {
                                matched.extend_from_slice(ids);
                            }
                        }
                    }
                    ExchangeKind::Fanout => matched.extend(0..x.bindings.len() as u32),
                    ExchangeKind::Topic => {
                        for &rk in routing_keys {
                            x.topic.matches_into(rk, &mut matched);
                        }
                    }
                    ExchangeKind::Headers => {
                        for (i, b) in x.bindings.iter().enumerate() {
                            if headers_match(&b.arguments, headers).0 {
                                matched.push(i as u32);
                            }
                        }
                    }
                }
                matched.sort_unstable();
                matched.dedup();
                any = !matched.is_empty();
                if let Some(xt) = xt.as_mut() {
                    for (i, b) in x.bindings.iter().enumerate() {
                        let hit = matched.binary_search(&(i as u32)).is_ok();
                        xt.bindings.push(explain_binding(x.kind, b, hit, routing_keys, headers));
                    }
                }
                for &i in &matched {
                    let b = &x.bindings[i as usize];
                    match b.destination_kind {
                        DestinationKind::Queue => add(&x.dest_names[i as usize], &mut queues),
                        DestinationKind::Exchange => {
                            if b.destination == exchange || seen.contains(&b.destination.as_str()) {
                                if let Some(t) = trace.as_deref_mut() {
                                    t.push(ExchangeTrace {
                                        exchange: b.destination.clone(),
                                        kind: vh.exchanges.get(&b.destination).map_or(ExchangeKind::Direct, |d| d.kind),
                                        reached_from: Some(xname.to_string()),
                                        via_alternate: false,
                                        bindings: Vec::new(),
                                        alternate_exchange: None,
                                        already_visited: true,
                                    });
                                }
                            } else {
                                seen.push(b.destination.as_str());
                                work.push_back((b.destination.as_str(), Some(xname), false));
                            }
                        }
                    }
                }
            }
            if !any && let Some(ae) = x.alternate() {
                let ae: &'a str = ae;
                if let Some(xt) = xt.as_mut() {
                    xt.alternate_exchange = Some(ae.to_string());
                }
                if ae != exchange && !seen.contains(&ae) && vh.exchanges.contains_key(ae) {
                    seen.push(ae);
                    // RabbitMQ visits the alternate exchange before the
                    // other destinations; none exist here, so order is kept.
                    work.push_front((ae, Some(xname), true));
                }
            }
            if let (Some(t), Some(xt)) = (trace.as_deref_mut(), xt) {
                t.push(xt);
            }
        }
        queues
    }

    /// The queues a message would reach right now, without publishing it.
    pub fn route(&self, vhost: &str, exchange: &str, routing_key: &str, headers: Option<&FieldTable>) -> Vec<String> {
        let Some(vh) = self.vhosts.get(vhost) else {
            return Vec::new();
        };
        let extra: Vec<String> =
            header_strings(headers, "CC").into_iter().chain(header_strings(headers, "BCC")).collect();
        let mut queues = if extra.is_empty() {
            Self::route_in(vh, exchange, std::slice::from_ref(&routing_key), headers, None)
        } else {
            let keys: Vec<&str> = std::iter::once(routing_key).chain(extra.iter().map(String::as_str)).collect();
            Self::route_in(vh, exchange, &keys, headers, None)
        };
        queues.sort_unstable();
        queues.into_iter().map(|q| q.to_string()).collect()
    }

    /// Explains how a message would be routed right now, binding by binding.
    pub fn explain_route(
        &self,
        vhost: &str,
        exchange: &str,
        routing_key: &str,
        headers: Option<&FieldTable>,
    ) -> RouteTrace {
        let mut keys = vec![routing_key.to_string()];
        keys.extend(header_strings(headers, "CC"));
        keys.extend(header_strings(headers, "BCC"));
        let mut steps = Vec::new();
        let mut queues: Vec<String> = self
            .vhosts
            .get(vhost)
            .map(|vh| {
                let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
                Self::route_in(vh, exchange, &keys, headers, Some(&mut steps)).iter().map(|q| q.to_string()).collect()
            })
            .unwrap_or_default();
        queues.sort_unstable();
        RouteTrace {
            exchange: exchange.to_string(),
            routing_keys: keys,
            exchanges: steps,
            outcome: if queues.is_empty() { RouteOutcome::Dropped } else { RouteOutcome::Routed },
            queues,
        }
    }

    // -----------------------------------------------------------------------
    // Publishing
    // -----------------------------------------------------------------------

    fn publish_cmd(&mut self, cmd: Command, ev: &mut Sink) -> R<()> {
        let Command::BasicPublish { channel, exchange, routing_key, mandatory, properties, body } = cmd else {
            unreachable!("publish_cmd is only called with BasicPublish");
        };
        let (vhost, user) = self.ctx(channel)?;
        self.check(&user, &vhost, Access::Write, "exchange", perm_name(&exchange))?;
        let Some(x) = self.vh(&vhost).exchanges.get(&exchange) else {
            return Err(xname_err(&exchange, &vhost));
        };
        if x.internal {
            return Err(AmqpError::access_refused(format!(
                "cannot publish to internal exchange '{exchange}' in vhost '{vhost}'"
            )));
        }
        if let Some(exp) = &properties.expiration
            && exp.parse::<u64>().is_err()
        {
            return Err(AmqpError::precondition(format!("invalid expiration '{exp}'")));
        }
        let conn = &mut self.connections.get_mut(&channel.connection).expect("ctx checked").held;
        if self.alarms.is_empty() {
            let _ = conn;
        } else {
            // A blocked connection's publishes wait in the socket until the
            // alarm clears; the engine keeps them in order and replays them.
            conn.push(Command::BasicPublish { channel, exchange, routing_key, mandatory, properties, body });
            ev.push(Event::PublishHeld { channel });
            return Ok(());
        }
        self.do_publish(channel, vhost, exchange, routing_key, mandatory, properties, body, ev);
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    fn do_publish(
        &mut self,
        channel: ChannelId,
        vhost: String,
        exchange: String,
        routing_key: String,
        mandatory: bool,
        mut properties: BasicProperties,
        body: String,
        ev: &mut Sink,
    ) {
        let cc = header_strings(properties.headers.as_ref(), "CC");
        let bcc = header_strings(properties.headers.as_ref(), "BCC");
        let mut keys = Vec::with_capacity(1 + cc.len() + bcc.len());
        keys.push(routing_key.clone());
        keys.extend(cc.iter().cloned());
        keys.extend(bcc);
        let mut steps = Vec::new();
        // Queues are enqueued in name order so events read predictably.
        let key_refs: Vec<&str> = keys.iter().map(String::as_str).collect();
        let mut queues: Vec<Arc<str>> = Self::route_in(
            self.vh(&vhost),
            &exchange,
            &key_refs,
            properties.headers.as_ref(),
            self.tracing.then_some(&mut steps),
        )
        .into_iter()
        .cloned()
        .collect();
        drop(key_refs);
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
                    routing_keys: keys,
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
                    vhost: vhost.clone(),
                    queue: None,
                    message_id: None,
                    reason: DropReason::Unroutable,
                });
            }
        } else {
            let content = Arc::new(Content { exchange, routing_key, cc, properties, body, deaths: Vec::new() });
            let origin = Origin::Publish { channel, publish };
            for q in &queues {
                if self.enqueue(&vhost, q, &content, origin, ev).is_none() {
                    all_accepted = false;
                }
            }
        }
        if let Some(tag) = confirm_tag {
            ev.push(Event::Confirmed { channel, delivery_tag: tag, ack: all_accepted });
        }
    }

    /// Puts a copy of `content` into a queue, applying length limits, TTL
    /// and immediate delivery. Returns the new copy's id, or `None` when a
    /// `reject-publish` queue refused it.
    fn enqueue(
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
        let vhost_name = vh.name.clone();
        let q = vh.queues.get_mut(qname)?;
        let might_refuse = q.cfg.overflow != Overflow::DropHead && q.would_overflow(size);
        let level = q.cfg.max_priority.map_or(0, |m| content.properties.priority.unwrap_or(0).min(m) as usize);
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
            enqueued_at: now,
            expires_at: ttl.map(|t| now + t),
            level,
        };
        let q = if might_refuse {
            // A full queue still takes a message a consumer can have at once.
            if !self.has_free_consumer(vhost, qname) {
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
            self.vhosts.get_mut(vhost)?.queues.get_mut(qname)?
        } else {
            q
        };
        q.push_back(entry);
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
            while let Some(head) =
                self.vh_mut(vhost).queues.get_mut(qname).and_then(|q| if q.over_limit() { q.pop_front() } else { None })
            {
                self.dead_letter(vhost, qname, head, DeathReason::Maxlen, ev);
            }
        }
        Some(id)
    }

    // -----------------------------------------------------------------------
    // Dead-lettering
    // -----------------------------------------------------------------------

    fn dead_letter(&mut self, vhost: &str, qname: &str, entry: Entry, reason: DeathReason, ev: &mut Sink) {
        let (dlx, dlrk) = match self.vh(vhost).queues.get(qname) {
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
        if !self.vh(vhost).exchanges.contains_key(&dlx) {
            drop(self, ev, DropReason::DeadLetterExchangeMissing(reason));
            return;
        }
        let old = &entry.content;
        let now = self.now;
        let mut deaths = old.deaths.clone();
        if let Some(pos) = deaths.iter().position(|d| d.queue == qname && d.reason == reason) {
            let mut d = deaths.remove(pos);
            d.count += 1;
            d.last_time = now;
            deaths.insert(0, d);
        } else {
            let mut routing_keys = vec![old.routing_key.clone()];
            routing_keys.extend(old.cc.iter().cloned());
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
        let mut properties = old.properties.clone();
        // The per-message TTL is removed so the copy does not expire again
        // wherever it lands; x-death keeps it as original-expiration.
        properties.expiration = None;
        let headers = properties.headers.get_or_insert_with(FieldTable::new);
        write_death_headers(headers, &deaths);
        let (routing_key, keys, cc) = match &dlrk {
            Some(k) => (k.clone(), vec![k.clone()], Vec::new()),
            None => {
                let mut keys = vec![old.routing_key.clone()];
                keys.extend(old.cc.iter().cloned());
                (old.routing_key.clone(), keys, old.cc.clone())
            }
        };
        let content =
            Arc::new(Content { exchange: dlx.clone(), routing_key, cc, properties, body: old.body.clone(), deaths });
        let key_refs: Vec<&str> = keys.iter().map(String::as_str).collect();
        let mut targets: Vec<Arc<str>> =
            Self::route_in(self.vh(vhost), &dlx, &key_refs, content.properties.headers.as_ref(), None)
                .into_iter()
                .cloned()
                .collect();
        targets.sort_unstable();
        let (cycling, targets): (Vec<_>, Vec<_>) =
            targets.into_iter().partition(|t| is_cycle(&content.deaths, t, reason));
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

    // -----------------------------------------------------------------------
    // Consumers and delivery
    // -----------------------------------------------------------------------

    #[allow(clippy::too_many_arguments)]
    fn consume_inner(
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
        let q = &self.vh(&vhost).queues[&queue];
        if q.has_exclusive_consumer || (exclusive && !q.consumers.is_empty()) {
            return Err(AmqpError::access_refused(format!("queue '{queue}' in vhost '{vhost}' in exclusive use")));
        }
        let priority = match arguments.get("x-priority") {
            None => 0,
            Some(v) => v.as_i64().ok_or_else(|| AmqpError::precondition("x-priority must be an integer"))?,
        };
        let sac_first = q.cfg.single_active && q.consumers.is_empty();
        let ch = self.chan_mut(channel)?;
        let prefetch = ch.prefetch;
        ch.consumers.insert(
            tag.clone(),
            ConsumerState { queue: queue.clone(), no_ack, exclusive, prefetch, priority, unacked: 0, served: 0 },
        );
        let now = self.now;
        let q = self.vh_mut(&vhost).queues.get_mut(&queue).expect("checked above");
        q.consumers.push((channel, tag.clone()));
        q.has_exclusive_consumer |= exclusive;
        q.had_consumer = true;
        q.last_used = now;
        ev.push(Event::ConsumerStarted { channel, consumer_tag: tag.clone(), queue: queue.clone() });
        if sac_first {
            ev.push(Event::SingleActiveConsumerChanged {
                vhost: vhost.clone(),
                queue: queue.clone(),
                consumer_tag: Some(tag),
            });
        }
        self.dispatch(&vhost, &queue, ev);
        Ok(())
    }

    fn cancel_consumer(&mut self, channel: ChannelId, tag: &str, by_broker: bool, ev: &mut Sink) {
        let Some(vhost) = self.connections.get(&channel.connection).map(|c| c.vhost.clone()) else {
            return;
        };
        let Some(c) = self.chan_mut(channel).ok().and_then(|ch| ch.consumers.remove(tag)) else {
            return;
        };
        ev.push(Event::ConsumerCancelled { channel, consumer_tag: tag.to_string(), by_broker });
        let Some(q) = self.vh_mut(&vhost).queues.get_mut(&c.queue) else {
            return;
        };
        let was_active = q.cfg.single_active && q.consumers.first().is_some_and(|k| k.0 == channel && k.1 == tag);
        q.consumers.retain(|k| !(k.0 == channel && k.1 == tag));
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

    fn has_free_consumer(&self, vhost: &str, qname: &str) -> bool {
        self.pick_consumer(vhost, qname).is_some()
    }

    /// The consumer that gets the next message: the highest priority among
    /// those with room under their prefetch limits, and among equals the one
    /// served longest ago (round-robin).
    fn pick_consumer(&self, vhost: &str, qname: &str) -> Option<usize> {
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

    fn is_expired(&self, e: &Entry, consumer_waiting: bool) -> bool {
        match e.expires_at {
            None => false,
            // A message with TTL 0 may still go straight to a waiting consumer.
            Some(t) => t < self.now || (t == self.now && !(consumer_waiting && e.enqueued_at == self.now)),
        }
    }

    /// Removes expired messages at the head of each priority level. Expiry is
    /// lazy, as in RabbitMQ: a message behind a live one waits its turn.
    fn expire_heads(&mut self, vhost: &str, qname: &str, consumer_waiting: bool, ev: &mut Sink) {
        loop {
            let Some(q) = self.vhosts.get(vhost).and_then(|v| v.queues.get(qname)) else {
                return;
            };
            let found = (0..q.levels.len())
                .rev()
                .find(|&l| q.levels[l].front().is_some_and(|e| self.is_expired(e, consumer_waiting)));
            let Some(level) = found else { return };
            let q = self.vh_mut(vhost).queues.get_mut(qname).expect("checked above");
            let e = q.levels[level].pop_front().expect("head exists");
            q.ready_bytes -= e.content.body.len() as u64;
            ev.push(Event::Expired { vhost: vhost.to_string(), queue: qname.to_string(), message_id: e.id });
            self.dead_letter(vhost, qname, e, DeathReason::Expired, ev);
        }
    }

    /// Delivers ready messages to consumers with room for them.
    fn dispatch(&mut self, vhost: &str, qname: &str, ev: &mut Sink) {
        loop {
            let pick = self.pick_consumer(vhost, qname);
            self.expire_heads(vhost, qname, pick.is_some(), ev);
            let Some(i) = pick else { return };
            let Some(q) = self.vhosts.get_mut(vhost).and_then(|v| v.queues.get_mut(qname)) else {
                return;
            };
            let (ch, tag) = q.consumers[i].clone();
            let Some(entry) = q.pop_front() else { return };
            let seq = self.next_seq;
            self.next_seq += 1;
            let chs = self
                .connections
                .get_mut(&ch.connection)
                .and_then(|c| c.channels.get_mut(&ch.channel))
                .expect("picked consumers have open channels");
            let c = chs.consumers.get_mut(&tag).expect("picked consumer exists");
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
                chs.unacked.insert(delivery_tag, Unacked { queue: qname.to_string(), entry, consumer_tag: Some(tag) });
                if let Some(q) = self.vhosts.get_mut(vhost).and_then(|v| v.queues.get_mut(qname)) {
                    q.unacked += 1;
                }
            }
        }
    }

    fn dispatch_channel_queues(&mut self, channel: ChannelId, ev: &mut Sink) {
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

    fn basic_get(&mut self, channel: ChannelId, queue: String, no_ack: bool, ev: &mut Sink) -> R<()> {
        let (vhost, user) = self.ctx(channel)?;
        self.check(&user, &vhost, Access::Read, "queue", &queue)?;
        self.queue_exists(&vhost, &queue)?;
        self.check_exclusive(&vhost, &queue, channel.connection)?;
        self.expire_heads(&vhost, &queue, false, ev);
        let now = self.now;
        let Some(q) = self.vh_mut(&vhost).queues.get_mut(&queue) else {
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
        let message = Box::new(to_message(&entry));
        let chs = self.chan_mut(channel)?;
        let delivery_tag = chs.next_tag;
        chs.next_tag += 1;
        let id = entry.id;
        if !no_ack {
            chs.unacked.insert(delivery_tag, Unacked { queue: queue.clone(), entry, consumer_tag: None });
        }
        ev.push(Event::GetOk { channel, delivery_tag, queue: queue.clone(), message_count: remaining, message });
        if no_ack {
            self.ledger.acked += 1;
            ev.push(Event::Acked { vhost, queue, message_id: id });
        }
        Ok(())
    }

    fn settle(&mut self, channel: ChannelId, tag: u64, multiple: bool, how: Settle, ev: &mut Sink) -> R<()> {
        let (vhost, _) = self.ctx(channel)?;
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
        if (!multiple || tag != 0) && !chs.unacked.contains_key(&tag) {
            return Err(AmqpError::precondition(format!("unknown delivery tag {tag}")));
        }
        let mut taken = Vec::new();
        for t in tags {
            if let Some(u) = chs.unacked.remove(&t) {
                if let Some(ct) = &u.consumer_tag {
                    chs.consumer_unacked -= 1;
                    if let Some(c) = chs.consumers.get_mut(ct) {
                        c.unacked -= 1;
                    }
                }
                taken.push((t, u));
            }
        }
        for (t, u) in taken {
            self.release(&vhost, channel, t, u, how, ev);
        }
        self.dispatch_channel_queues(channel, ev);
        Ok(())
    }

    /// Settles one unacknowledged delivery: acknowledges it, returns it to
    /// its queue, or dead-letters it.
    fn release(&mut self, vhost: &str, channel: ChannelId, delivery_tag: u64, u: Unacked, how: Settle, ev: &mut Sink) {
        if let Some(q) = self.vhosts.get_mut(vhost).and_then(|v| v.queues.get_mut(&u.queue)) {
            q.unacked = q.unacked.saturating_sub(1);
        }
        let requeue = match how {
            Settle::Ack => {
                self.ledger.acked += 1;
                ev.push(Event::Acked { vhost: vhost.to_string(), queue: u.queue, message_id: u.entry.id });
                return;
            }
            Settle::Nack { requeue } => requeue,
            Settle::Reject { requeue } => requeue,
            Settle::Lost => true,
        };
        if !self.vh(vhost).queues.contains_key(&u.queue) {
            self.ledger.dropped += 1;
            ev.push(Event::Dropped {
                vhost: vhost.to_string(),
                queue: Some(u.queue),
                message_id: Some(u.entry.id),
                reason: DropReason::QueueDeleted,
            });
            return;
        }
        if !requeue {
            self.dead_letter(vhost, &u.queue, u.entry, DeathReason::Rejected, ev);
            return;
        }
        let q = self.vh_mut(vhost).queues.get_mut(&u.queue).expect("checked above");
        let mut e = u.entry;
        e.redelivered = true;
        if q.queue_type == QueueType::Quorum {
            // Since RabbitMQ 4.3 a reject or a lost consumer counts towards
            // the delivery limit; a nack with requeue does not.
            if matches!(how, Settle::Reject { .. } | Settle::Lost) {
                e.delivery_count += 1;
            }
            if q.cfg.delivery_limit.is_some_and(|l| u64::from(e.delivery_count) > l) {
                self.dead_letter(vhost, &u.queue, e, DeathReason::DeliveryLimit, ev);
                return;
            }
            // Quorum queues serve returned messages before the others.
            q.return_seq += 1;
            e.order = (0, q.return_seq);
        }
        let id = e.id;
        q.insert_sorted(e);
        let queue = q.shared_name.clone();
        let consumer_tag = u.consumer_tag;
        ev.emit(|| Event::Enqueued {
            vhost: Arc::from(vhost),
            queue,
            message_id: id,
            cause: EnqueueCause::Requeue { channel, delivery_tag, consumer_tag },
        });
        self.dispatch(vhost, &u.queue, ev);
    }

    // -----------------------------------------------------------------------
    // Closing, time, restarts and alarms
    // -----------------------------------------------------------------------

    fn close_channel(&mut self, channel: ChannelId, error: Option<AmqpError>, ev: &mut Sink) {
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
        for (tag, c) in &consumer_queues {
            ev.push(Event::ConsumerCancelled { channel, consumer_tag: tag.clone(), by_broker: false });
            if let Some(q) = self.vh_mut(&vhost).queues.get_mut(&c.queue) {
                q.consumers.retain(|k| !(k.0 == channel && &k.1 == tag));
                if c.exclusive {
                    q.has_exclusive_consumer = false;
                }
            }
        }
        for (t, u) in unacked {
            self.release(&vhost, channel, t, u, Settle::Lost, ev);
        }
        ev.push(Event::ChannelClosed { channel, error });
        for (_, c) in consumer_queues {
            let gone = self
                .vh(&vhost)
                .queues
                .get(&c.queue)
                .is_some_and(|q| q.auto_delete && q.had_consumer && q.consumers.is_empty());
            if gone {
                self.delete_queue(&vhost, &c.queue, ev);
            } else {
                self.dispatch(&vhost, &c.queue, ev);
            }
        }
    }

    fn close_connection(&mut self, connection: ConnectionId, error: Option<AmqpError>, ev: &mut Sink) {
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

    fn tick_inner(&mut self, ms: u64, ev: &mut Sink) {
        let target = self.now.saturating_add(ms);
        ev.push(Event::Ticked { now: target });
        // Expirations fall due one at a time in time order (ties in the
        // order the copies were made), as a real broker's timers fire, so
        // dead-letter queues fill in the order a broker would fill them.
        loop {
            let mut next: Option<(u64, MessageId, String, String)> = None;
            for (v, vh) in &self.vhosts {
                for (qn, q) in &vh.queues {
                    for e in q.levels.iter().filter_map(VecDeque::front) {
                        if let Some(t) = e.expires_at
                            && t <= target
                            && next.as_ref().is_none_or(|n| (t, e.id) < (n.0, n.1))
                        {
                            next = Some((t, e.id, v.clone(), qn.clone()));
                        }
                    }
                }
            }
            let Some((t, _, v, q)) = next else { break };
            self.now = self.now.max(t);
            self.expire_heads(&v, &q, false, ev);
        }
        self.now = target;
        let all: Vec<(String, String)> =
            self.vhosts.iter().flat_map(|(v, vh)| vh.queues.keys().map(move |q| (v.clone(), q.clone()))).collect();
        for (v, q) in all {
            let Some(qs) = self.vhosts.get(&v).and_then(|vh| vh.queues.get(&q)) else { continue };
            let idle_expired = qs.cfg.expires.is_some_and(|e| qs.consumers.is_empty() && self.now >= qs.last_used + e);
            if idle_expired {
                // An expired queue's messages are not dead-lettered.
                self.delete_queue(&v, &q, ev);
            }
        }
    }

    fn restart_inner(&mut self, ev: &mut Sink) {
        let conns: Vec<ConnectionId> = self.connections.keys().copied().collect();
        for c in conns {
            self.close_connection(c, Some(AmqpError::new(ReplyCode::NotAllowed, "broker restart")), ev);
        }
        let vhosts: Vec<String> = self.vhosts.keys().cloned().collect();
        for v in vhosts {
            let transient: Vec<String> =
                self.vh(&v).queues.values().filter(|q| !q.durable).map(|q| q.name.clone()).collect();
            for q in transient {
                self.delete_queue(&v, &q, ev);
            }
            let transient_x: Vec<String> =
                self.vh(&v).exchanges.values().filter(|x| !x.durable).map(|x| x.name.clone()).collect();
            for x in transient_x {
                self.delete_exchange(&v, &x, ev);
            }
            let mut lost = Vec::new();
            for q in self.vh_mut(&v).queues.values_mut() {
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
        self.alarms.clear();
        ev.push(Event::BrokerRestarted);
    }

    fn set_alarm_inner(&mut self, alarm: Alarm, active: bool, ev: &mut Sink) {
        let was_blocked = !self.alarms.is_empty();
        if active {
            if !self.alarms.insert(alarm) {
                return;
            }
            ev.push(Event::AlarmRaised { alarm });
        } else {
            if !self.alarms.remove(&alarm) {
                return;
            }
            ev.push(Event::AlarmCleared { alarm });
        }
        let blocked = !self.alarms.is_empty();
        if blocked && !was_blocked {
            let reason = match alarm {
                Alarm::Memory => "low on memory",
                Alarm::Disk => "low on disk",
            };
            for (id, c) in self.connections.iter_mut() {
                c.blocked = true;
                ev.push(Event::ConnectionBlocked { connection: *id, reason: reason.to_string() });
            }
        } else if !blocked && was_blocked {
            let ids: Vec<ConnectionId> = self.connections.keys().copied().collect();
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
                    if let Command::BasicPublish { channel, exchange, routing_key, mandatory, properties, body } = cmd {
                        let Ok((vhost, _)) = self.ctx(channel) else {
                            continue;
                        };
                        if self.vh(&vhost).exchanges.contains_key(&exchange) {
                            self.do_publish(channel, vhost, exchange, routing_key, mandatory, properties, body, ev);
                        }
                    }
                }
            }
        }
    }

    // -----------------------------------------------------------------------
    // Views
    // -----------------------------------------------------------------------

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

    /// One queue with its ready messages in delivery order and its consumers.
    pub fn queue(&self, vhost: &str, name: &str) -> Option<QueueView> {
        let q = self.vhosts.get(vhost)?.queues.get(name)?;
        let messages: Vec<Message> = q.levels.iter().rev().flatten().map(to_message).collect();
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
                    unacked: chs
                        .unacked
                        .iter()
                        .filter(|(_, u)| u.consumer_tag.as_deref() == Some(tag.as_str()))
                        .map(|(t, _)| *t)
                        .collect(),
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
                    unacked: ch
                        .unacked
                        .iter()
                        .map(|(t, u)| UnackedView {
                            delivery_tag: *t,
                            queue: u.queue.clone(),
                            consumer_tag: u.consumer_tag.clone(),
                            message: to_message(&u.entry),
                        })
                        .collect(),
                });
            }
        }
        out
    }

    /// Checks the engine's bookkeeping invariants: every message copy is in
    /// exactly one place, counts add up, and no consumer or channel holds
    /// more unacknowledged messages than its prefetch allows.
    pub fn check_invariants(&self) -> Result<(), String> {
        let mut ids = BTreeSet::new();
        let mut live = 0u64;
        for (vname, vh) in &self.vhosts {
            for q in vh.queues.values() {
                let mut bytes = 0;
                for e in q.levels.iter().flatten() {
                    bytes += e.content.body.len() as u64;
                    live += 1;
                    if !ids.insert(e.id) {
                        return Err(format!("message {} is in two places (queue {vname}/{})", e.id, q.name));
                    }
                }
                if bytes != q.ready_bytes {
                    return Err(format!("queue {} counts {} ready bytes but holds {bytes}", q.name, q.ready_bytes));
                }
                for level in &q.levels {
                    if level.iter().zip(level.iter().skip(1)).any(|(a, b)| a.order >= b.order) {
                        return Err(format!("queue {} is out of order", q.name));
                    }
                }
            }
        }
        for c in self.connections.values() {
            for ch in c.channels.values() {
                let mut by_consumer: BTreeMap<&str, u32> = BTreeMap::new();
                for u in ch.unacked.values() {
                    live += 1;
                    if !ids.insert(u.entry.id) {
                        return Err(format!("message {} is in two places (unacked)", u.entry.id));
                    }
                    if let Some(t) = &u.consumer_tag {
                        *by_consumer.entry(t.as_str()).or_default() += 1;
                    }
                }
                for (tag, c) in &ch.consumers {
                    let n = by_consumer.get(tag.as_str()).copied().unwrap_or(0);
                    if n != c.unacked {
                        return Err(format!("consumer {tag} counts {} unacked but holds {n}", c.unacked));
                    }
                    if c.prefetch > 0 && n > u32::from(c.prefetch) {
                        return Err(format!("consumer {tag} holds {n} unacked over prefetch {}", c.prefetch));
                    }
                }
                let held: u32 = by_consumer.values().sum();
                if ch.global_prefetch > 0 && held > u32::from(ch.global_prefetch) {
                    return Err(format!("channel holds {held} unacked over global prefetch {}", ch.global_prefetch));
                }
            }
        }
        let l = self.ledger;
        if l.created != live + l.acked + l.dead_lettered + l.dropped {
            return Err(format!("ledger does not balance: {l:?} with {live} live copies"));
        }
        Ok(())
    }
}

/// Where a new message copy comes from; turned into an [`EnqueueCause`]
/// only when events are recorded.
#[derive(Clone, Copy, Debug)]
enum Origin<'a> {
    Publish { channel: ChannelId, publish: u64 },
    DeadLetter { from_queue: &'a str, reason: DeathReason, original: MessageId },
}

impl Origin<'_> {
    fn cause(self, content: &Content) -> EnqueueCause {
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
enum Settle {
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

/// Arguments compared when a queue is declared again: a different value is a
/// PRECONDITION_FAILED, as RabbitMQ's equivalence check does.
const EQUIVALENCE_ARGS: &[&str] = &[
    "x-queue-type",
    "x-message-ttl",
    "x-expires",
    "x-max-length",
    "x-max-length-bytes",
    "x-overflow",
    "x-dead-letter-exchange",
    "x-dead-letter-routing-key",
    "x-max-priority",
    "x-single-active-consumer",
    "x-delivery-limit",
];

fn to_message(e: &Entry) -> Message {
    Message {
        id: e.id,
        exchange: e.content.exchange.clone(),
        routing_key: e.content.routing_key.clone(),
        properties: e.content.properties.clone(),
        body: e.content.body.clone(),
        redelivered: e.redelivered,
        delivery_count: e.delivery_count,
        expires_at: e.expires_at,
        deaths: e.content.deaths.clone(),
    }
}

/// Renders the death history into the AMQP 0-9-1 headers RabbitMQ sets.
fn write_death_headers(headers: &mut FieldTable, deaths: &[Death]) {
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
    if let Some(d) = deaths.first() {
        headers.insert("x-last-death-queue".into(), FieldValue::str(&d.queue));
        headers.insert("x-last-death-reason".into(), FieldValue::str(d.reason.as_str()));
        headers.insert("x-last-death-exchange".into(), FieldValue::str(&d.exchange));
    }
}

/// RabbitMQ's dead-letter cycle rule: a target queue closes a cycle when it
/// already appears in the history and no rejection happened since.
fn is_cycle(deaths: &[Death], target: &str, reason: DeathReason) -> bool {
    if reason == DeathReason::Rejected {
        return false;
    }
    let Some(pos) = deaths.iter().position(|d| d.queue == target) else {
        return false;
    };
    !deaths[..=pos].iter().any(|d| d.reason == DeathReason::Rejected)
}

fn validate_x_match(args: &FieldTable) -> R<()> {
    match args.get("x-match") {
        None => Ok(()),
        Some(FieldValue::LongString(s)) if matches!(s.as_str(), "all" | "any" | "all-with-x" | "any-with-x") => Ok(()),
        Some(v) => Err(AmqpError::precondition(format!(
            "Invalid x-match field value {v:?}; expected all, any, all-with-x, or any-with-x"
        ))),
    }
}

/// The headers-exchange rule of RabbitMQ 4.x. Returns whether the binding
/// matches and, for traces, each evaluated argument with its outcome.
fn headers_match(args: &FieldTable, headers: Option<&FieldTable>) -> (bool, &'static str) {
    let mode = args.get("x-match").and_then(FieldValue::as_str).unwrap_or("all");
    let (any, with_x) = match mode {
        "any" => (true, false),
        "all-with-x" => (false, true),
        "any-with-x" => (true, true),
        _ => (false, false),
    };
    let empty = FieldTable::new();
    let headers = headers.unwrap_or(&empty);
    let mut evaluated = args.iter().filter(|(k, _)| *k != "x-match" && (with_x || !k.starts_with("x-")));
    let check = |(k, v): (&String, &FieldValue)| match (v, headers.get(k)) {
        (FieldValue::Void, found) => found.is_some(),
        (_, None) => false,
        (v, Some(h)) => headers_value_matches(v, h),
    };
    let matched = if any { evaluated.any(check) } else { evaluated.all(check) };
    (matched, if any { "any" } else { "all" })
}

fn explain_binding(
    kind: ExchangeKind,
    b: &Binding,
    matched: bool,
    keys: &[&str],
    headers: Option<&FieldTable>,
) -> BindingTrace {
    let mut topic_words = None;
    let reason = match kind {
        ExchangeKind::Fanout => "a fanout exchange sends to every binding".to_string(),
        ExchangeKind::Direct if matched => {
            format!("binding key '{}' equals the routing key", b.routing_key)
        }
        ExchangeKind::Direct => format!(
            "binding key '{}' differs from routing key{} {}",
            b.routing_key,
            if keys.len() > 1 { "s" } else { "" },
            keys.iter().map(|k| format!("'{k}'")).collect::<Vec<_>>().join(", ")
        ),
        ExchangeKind::Topic => {
            match keys.iter().find_map(|k| topic::explain_topic(&b.routing_key, k).map(|w| (k, w))) {
                Some((k, words)) => {
                    let parts: Vec<String> = words
                        .iter()
                        .map(|w| {
                            format!(
                                "'{}' took [{}]",
                                w.pattern,
                                w.words.iter().map(|s| format!("'{s}'")).collect::<Vec<_>>().join(", ")
                            )
                        })
                        .collect();
                    topic_words = Some(words);
                    format!("pattern '{}' matches '{k}': {}", b.routing_key, parts.join("; "))
                }
                None => format!(
                    "pattern '{}' does not match {}",
                    b.routing_key,
                    keys.iter().map(|k| format!("'{k}'")).collect::<Vec<_>>().join(", ")
                ),
            }
        }
        ExchangeKind::Headers => {
            let (_, mode) = headers_match(&b.arguments, headers);
            let x_match = b.arguments.get("x-match").and_then(FieldValue::as_str).unwrap_or("all");
            let with_x = x_match.ends_with("-with-x");
            let empty = FieldTable::new();
            let h = headers.unwrap_or(&empty);
            // Say what each evaluated argument found, so a learner sees which
            // header made the difference.
            let checks: Vec<String> = b
                .arguments
                .iter()
                .filter(|(k, _)| *k != "x-match" && (with_x || !k.starts_with("x-")))
                .map(|(k, v)| match (v, h.get(k)) {
                    (FieldValue::Void, Some(_)) => format!("'{k}' is present"),
                    (FieldValue::Void, None) | (_, None) => format!("'{k}' is missing"),
                    (v, Some(found)) if headers_value_matches(v, found) => format!("'{k}' equals {v:?}"),
                    (v, Some(found)) => format!("'{k}' is {found:?}, not {v:?}"),
                })
                .collect();
            let detail = if checks.is_empty() { "no arguments are evaluated".to_string() } else { checks.join("; ") };
            let verdict = if matched { "satisfy" } else { "do not satisfy" };
            format!("x-match={x_match}: the headers {verdict} {mode} of the arguments ({detail})")
        }
    };
    BindingTrace { binding: b.clone(), matched, reason, topic_words }
}

// ---------------------------------------------------------------------------
// Ergonomic helpers: each builds one command and applies it. Those that can
// be refused return `Outcome::into_result`, so the events of a refused
// command's closing are not seen through them; call `apply` for those.
// ---------------------------------------------------------------------------

impl Broker {
    /// Opens a connection and one channel on it.
    pub fn connect(&mut self, user: &str, password: &str, vhost: &str) -> R<ChannelId> {
        // The broker numbers connections in order, so the id is known before
        // the command runs; events may be switched off.
        let connection = self.next_connection;
        self.apply(Command::OpenConnection { user: user.into(), password: password.into(), vhost: vhost.into() })
            .into_result()?;
        self.open_channel(connection)
    }

    /// Opens another channel on a connection.
    pub fn open_channel(&mut self, connection: ConnectionId) -> R<ChannelId> {
        let channel = self.connections.get(&connection).map_or(0, |c| c.next_channel);
        self.apply(Command::OpenChannel { connection }).into_result()?;
        Ok(ChannelId { connection, channel })
    }

    /// Declares a transient exchange with no arguments.
    pub fn declare_exchange(&mut self, channel: ChannelId, exchange: &str, kind: ExchangeKind) -> R<Vec<Event>> {
        self.declare_exchange_with(channel, exchange, kind, FieldTable::new())
    }

    /// Declares a transient exchange with arguments (e.g. `alternate-exchange`).
    pub fn declare_exchange_with(
        &mut self,
        channel: ChannelId,
        exchange: &str,
        kind: ExchangeKind,
        arguments: FieldTable,
    ) -> R<Vec<Event>> {
        self.apply(Command::ExchangeDeclare {
            channel,
            exchange: exchange.into(),
            kind,
            passive: false,
            durable: false,
            auto_delete: false,
            internal: false,
            arguments,
        })
        .into_result()
    }

    /// Declares a transient, non-exclusive queue with arguments.
    pub fn declare_queue(&mut self, channel: ChannelId, queue: &str, arguments: FieldTable) -> R<Vec<Event>> {
        self.apply(Command::QueueDeclare {
            channel,
            queue: queue.into(),
            passive: false,
            durable: false,
            exclusive: false,
            auto_delete: false,
            arguments,
        })
        .into_result()
    }

    /// Binds a queue to an exchange.
    pub fn bind_queue(&mut self, channel: ChannelId, queue: &str, exchange: &str, routing_key: &str) -> R<Vec<Event>> {
        self.bind_queue_with(channel, queue, exchange, routing_key, FieldTable::new())
    }

    /// Binds a queue to an exchange with binding arguments (headers exchanges).
    pub fn bind_queue_with(
        &mut self,
        channel: ChannelId,
        queue: &str,
        exchange: &str,
        routing_key: &str,
        arguments: FieldTable,
    ) -> R<Vec<Event>> {
        self.apply(Command::QueueBind {
            channel,
            queue: queue.into(),
            exchange: exchange.into(),
            routing_key: routing_key.into(),
            arguments,
        })
        .into_result()
    }

    /// Binds `destination` exchange to `source` exchange.
    pub fn bind_exchange(
        &mut self,
        channel: ChannelId,
        destination: &str,
        source: &str,
        routing_key: &str,
    ) -> R<Vec<Event>> {
        self.apply(Command::ExchangeBind {
            channel,
            destination: destination.into(),
            source: source.into(),
            routing_key: routing_key.into(),
            arguments: FieldTable::new(),
        })
        .into_result()
    }

    /// Publishes a transient message with no properties.
    pub fn publish(&mut self, channel: ChannelId, exchange: &str, routing_key: &str, body: &str) -> R<Vec<Event>> {
        self.publish_with(channel, exchange, routing_key, BasicProperties::default(), body, false)
    }

    /// Publishes with properties and the `mandatory` flag.
    pub fn publish_with(
        &mut self,
        channel: ChannelId,
        exchange: &str,
        routing_key: &str,
        properties: BasicProperties,
        body: &str,
        mandatory: bool,
    ) -> R<Vec<Event>> {
        self.apply(Command::BasicPublish {
            channel,
            exchange: exchange.into(),
            routing_key: routing_key.into(),
            mandatory,
            properties,
            body: body.into(),
        })
        .into_result()
    }

    /// Sets the prefetch window for new consumers (or the channel, if `global`).
    pub fn qos(&mut self, channel: ChannelId, prefetch_count: u16, global: bool) -> R<Vec<Event>> {
        self.apply(Command::BasicQos { channel, prefetch_count, global }).into_result()
    }

    /// Starts a consumer.
    pub fn consume(&mut self, channel: ChannelId, queue: &str, consumer_tag: &str, no_ack: bool) -> R<Vec<Event>> {
        self.apply(Command::BasicConsume {
            channel,
            queue: queue.into(),
            consumer_tag: consumer_tag.into(),
            no_ack,
            exclusive: false,
            arguments: FieldTable::new(),
        })
        .into_result()
    }

    /// Cancels a consumer.
    pub fn cancel(&mut self, channel: ChannelId, consumer_tag: &str) -> R<Vec<Event>> {
        self.apply(Command::BasicCancel { channel, consumer_tag: consumer_tag.into() }).into_result()
    }

    /// Fetches one message with `basic.get`.
    pub fn get(&mut self, channel: ChannelId, queue: &str, no_ack: bool) -> R<Vec<Event>> {
        self.apply(Command::BasicGet { channel, queue: queue.into(), no_ack }).into_result()
    }

    /// Acknowledges a delivery (and all before it, with `multiple`).
    pub fn ack(&mut self, channel: ChannelId, delivery_tag: u64, multiple: bool) -> R<Vec<Event>> {
        self.apply(Command::BasicAck { channel, delivery_tag, multiple }).into_result()
    }

    /// Negatively acknowledges deliveries.
    pub fn nack(&mut self, channel: ChannelId, delivery_tag: u64, multiple: bool, requeue: bool) -> R<Vec<Event>> {
        self.apply(Command::BasicNack { channel, delivery_tag, multiple, requeue }).into_result()
    }

    /// Rejects one delivery.
    pub fn reject(&mut self, channel: ChannelId, delivery_tag: u64, requeue: bool) -> R<Vec<Event>> {
        self.apply(Command::BasicReject { channel, delivery_tag, requeue }).into_result()
    }

    /// Advances logical time by `ms` milliseconds and returns its events.
    pub fn tick(&mut self, ms: u64) -> Vec<Event> {
        self.apply(Command::Tick { ms }).events
    }

    /// Restarts the broker.
    pub fn restart(&mut self) -> Vec<Event> {
        self.apply(Command::Restart).events
    }

    /// Raises or clears a resource alarm.
    pub fn set_alarm(&mut self, alarm: Alarm, active: bool) -> Vec<Event> {
        self.apply(Command::SetAlarm { alarm, active }).events
    }
}
