//! The broker: virtual hosts with their exchanges and queues, users and
//! permissions, connections with channels, and the rules that move messages
//! between them. [`Broker::apply`] is the single entry point: it hands each
//! [`Command`] to its handler and returns an [`Outcome`] with every event the
//! command caused. A broker is created as one RabbitMQ release
//! ([`Broker::with_version`]); every rule that differs between releases asks
//! its [`Version`]. A command on a connection an alarm blocked waits there
//! until the alarm clears. The handlers live in one module per concern, after
//! lapin's file-per-concept layout:
//!
//! - `state`: the state types (queues, exchanges, channels, consumers, ...);
//! - `admin`: vhosts, users, permissions, connections and channels, and the
//!   context checks every command starts with;
//! - `declare`: exchanges, queues and bindings;
//! - `routing`: which queues a publish reaches, and route explanations;
//! - `queue`: publishing, enqueueing, length limits, expiry, dead-lettering;
//! - `consumers`: consumers, dispatch (RabbitMQ's rotation of consumers,
//!   single active consumer) and `basic.get`;
//! - `channel`: acknowledgements and closing channels and connections;
//! - `policy`: policies, operator policies and a vhost's default queue type;
//! - `stream`: stream queues (an append-only log read by offset);
//! - `super_stream`: super streams (partitioned streams, hash routing)
//!   and single active consumer on streams;
//! - `time`: ticks, restarts and resource alarms;
//! - `views`: the read-only views the UI draws;
//! - `client`: convenience methods that build and apply one command.
//!
//! Iteration that produces output always goes over `BTreeMap`s or `Vec`s in a
//! defined order, so one seed and one command list always give one event list.

mod admin;
mod channel;
mod client;
mod consumers;
mod declare;
mod policy;
mod queue;
mod routing;
mod state;
mod stream;
mod super_stream;
mod time;
mod views;

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::sync::Arc;

use rand_chacha::ChaCha8Rng;
use rand_core::{RngCore, SeedableRng};
use regex_lite::Regex;
use rustc_hash::{FxHashMap, FxHashSet};

use crate::error::{AmqpError, ReplyCode};
use crate::model::*;
use crate::topic::{self, TopicTrie};
use crate::value::{FieldTable, FieldValue, headers_value_matches, headers_value_matches_loosely};
use crate::version::{QuorumPriorities, Version};

pub(crate) use policy::Policy;
pub use policy::PolicyView;
pub use state::Ledger;
pub(crate) use state::*;
pub use stream::{SegmentView, StreamConsumerView, StreamRecordView, StreamView};
pub(crate) use stream::{StreamDelivery, StreamLog};
pub(crate) use super_stream::GroupMember;
pub use super_stream::{SUPER_STREAM_HASH_SEED, murmur3_32, super_stream_partition};
// Helpers shared between the modules, gathered here so that each module's
// `use super::*` finds them.
use routing::header_strings;
use views::to_message;

const DEFAULT_VHOST: &str = "/";

/// RabbitMQ's default `channel_max`: a connection may have this many
/// channels open at once.
const CHANNEL_MAX: u16 = 2047;

/// The simulated RabbitMQ broker.
#[derive(Debug)]
pub struct Broker {
    pub(crate) rng: ChaCha8Rng,
    pub(crate) now: u64,
    pub(crate) tracing: bool,
    pub(crate) users: BTreeMap<String, User>,
    pub(crate) vhosts: BTreeMap<String, Vhost>,
    pub(crate) connections: BTreeMap<ConnectionId, Connection>,
    pub(crate) next_connection: ConnectionId,
    pub(crate) next_message_id: MessageId,
    pub(crate) next_seq: u64,
    pub(crate) alarms: BTreeSet<Alarm>,
    pub(crate) ledger: Ledger,
    /// Numbers publishes broker-wide for `Published` and `EnqueueCause::Publish`.
    pub(crate) next_publish: u64,
    /// Whether commands return their events; off, they only change state.
    pub(crate) recording: bool,
    /// The seed the broker was created with, quoted by invariant failures.
    pub(crate) seed: u64,
    /// The RabbitMQ release whose rules the broker follows.
    pub(crate) version: Version,
    /// While a publish is being enqueued, the messages its queues
    /// dead-letter wait here: a queue publishes its dead letters after the
    /// publish reached every queue, as RabbitMQ's queue processes do.
    pub(crate) deferred: Option<Vec<(String, String, Entry, DeathReason)>>,
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

impl Broker {
    /// A broker of the newest release ([`Version::LATEST`]) with the default
    /// vhost `/` and the user `guest`/`guest` holding full permissions on it,
    /// as a fresh RabbitMQ install has.
    pub fn new(seed: u64) -> Self {
        Self::with_version(seed, Version::LATEST)
    }

    /// A fresh broker that behaves as the given RabbitMQ release.
    pub fn with_version(seed: u64, version: Version) -> Self {
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
            version,
            deferred: None,
        };
        b.vhosts.insert(DEFAULT_VHOST.to_string(), Vhost::new(DEFAULT_VHOST));
        b.users.insert("guest".to_string(), User { password: "guest".to_string(), permissions: BTreeMap::new() });
        if let Ok(perm) = Self::compile_permission(".*", ".*", ".*")
            && let Some(u) = b.users.get_mut("guest")
        {
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

    /// The RabbitMQ release the broker behaves as.
    pub fn version(&self) -> Version {
        self.version
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
    ///
    /// In debug builds (and so in every test) the broker checks its
    /// invariants after each command and panics, quoting the seed and the
    /// command, when one is broken: that is an engine bug, never bad input.
    pub fn apply(&mut self, command: Command) -> Outcome {
        let mut events = Sink::new(self.recording);
        #[cfg(debug_assertions)]
        let copy = command.clone();
        let error = self.run(command, &mut events);
        #[cfg(debug_assertions)]
        if let Err(broken) = self.check_invariants() {
            panic!("rabbit engine invariant broken (broker seed {}) after {copy:?}: {broken}", self.seed);
        }
        Outcome { events: events.list, error }
    }

    /// Runs one command, closing its channel or connection when it is
    /// refused, and returns the refusal. A command on a connection that an
    /// alarm blocked waits, unread, until the alarm clears.
    pub(crate) fn run(&mut self, command: Command, ev: &mut Sink) -> Option<AmqpError> {
        let channel = command.channel();
        let connection = match &command {
            Command::OpenChannel { connection } => Some(*connection),
            _ => channel.map(|ch| ch.connection),
        };
        if let Some(id) = connection
            && let Some(conn) = self.connections.get_mut(&id)
            && conn.blocked
        {
            // RabbitMQ stops reading a blocked connection's socket
            // (`rabbit_reader`, connection state `blocked`): every later
            // frame waits, acknowledgements and `channel.open` included. A
            // held `channel.open` is reported on the number it will get.
            let ch = channel.unwrap_or(ChannelId { connection: id, channel: conn.promised_channel().unwrap_or(0) });
            conn.held.push(command);
            ev.push(Event::PublishHeld { channel: ch });
            return None;
        }
        match self.handle(command, ev) {
            Ok(()) => None,
            Err(err) => {
                if let Some(ch) = channel
                    && self.connections.get(&ch.connection).is_some_and(|c| c.channels.contains_key(&ch.channel))
                {
                    if err.code.closes_connection() {
                        self.close_connection(ch.connection, Some(err.clone()), ev);
                    } else {
                        self.close_channel(ch, Some(err.clone()), ev);
                    }
                }
                Some(err)
            }
        }
    }

    fn handle(&mut self, command: Command, ev: &mut Sink) -> R<()> {
        match command {
            Command::AddVhost { name } => self.add_vhost(name, ev),
            Command::DeleteVhost { name } => self.delete_vhost(name, ev),
            Command::AddUser { name, password } => self.add_user(name, password, ev),
            Command::DeleteUser { name } => self.delete_user(name, ev),
            Command::SetPermissions { user, vhost, configure, write, read } => {
                self.set_permissions(user, vhost, configure, write, read, ev)
            }
            Command::OpenConnection { user, password, vhost } => self.open_connection(user, password, vhost, ev),
            Command::CloseConnection { connection } => self.close_connection_cmd(connection, ev),
            Command::OpenChannel { connection } => self.open_channel_cmd(connection, ev),
            Command::CloseChannel { channel } => self.close_channel_cmd(channel, ev),
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
                // RabbitMQ 4.3 denies global QoS and handles the call as a
                // per-consumer one (`rabbit_channel`, `basic.qos`).
                let channel_wide = global && self.version.channel_wide_qos();
                let ch = self.chan_mut(channel)?;
                if channel_wide {
                    ch.global_prefetch = prefetch_count;
                    ch.global_qos_tag = ch.next_tag;
                } else {
                    // Every release's `global=false` clause unlimits the
                    // channel limiter first, so a per-consumer prefetch set
                    // after a global one removes the global one.
                    ch.global_prefetch = 0;
                    ch.prefetch = prefetch_count;
                }
                ev.push(Event::QosSet { channel, prefetch_count, global });
                // A larger window may let waiting messages flow.
                self.dispatch_channel_queues(channel, ev);
                Ok(())
            }
            Command::BasicPublish { channel, exchange, routing_key, mandatory, properties, body } => {
                self.publish_cmd(channel, exchange, routing_key, mandatory, properties, body, ev)
            }
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
            Command::SetPolicy { vhost, name, pattern, apply_to, priority, definition, operator } => self
                .set_policy(policy::SetPolicy { vhost, name, pattern, apply_to, priority, definition, operator }, ev),
            Command::ClearPolicy { vhost, name, operator } => self.clear_policy(vhost, name, operator, ev),
            Command::SetDefaultQueueType { vhost, queue_type } => self.set_default_queue_type(vhost, queue_type, ev),
            Command::SetAlarm { alarm, active } => {
                self.set_alarm_inner(alarm, active, ev);
                Ok(())
            }
        }
    }
}
