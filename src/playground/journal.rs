//! What the page shows of a run's past, read from the engines' events alone:
//! the event log, each AMQP message copy's history, the messages drawn in
//! flight along the canvas's edges, and each part's counters.
//!
//! [`Journal::absorb`] reads one [`StepOutcome`]. A copy's body and sender
//! come from the event that created it: a publish's `Published` event (its
//! body, and its channel's client, the producer) for a copy its
//! `Enqueued` event says that publish made, or the original copy's history
//! for one a queue dead-lettered. The edges a copy travels are the ones the
//! engine reported: the producer's connection to the exchange it published
//! to, and the bindings (source, destination, binding key) its route trace
//! says matched; never an edge guessed from two nodes alone.
//!
//! Counters are kept whatever the detail setting, since the readouts show
//! them at every speed; the log, the histories and the flights are kept
//! only with detail on.

use super::model::{EdgeId, EdgeRole, NodeId, NodeKind, Topology};
use brokerlab_kafka as kafka;
use brokerlab_rabbit as rabbit;
use brokerlab_rabbit::{ChannelId, EnqueueCause, MessageId, RouteTrace};
use brokerlab_scenario::{Session, StepOutcome};
use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;

/// How long a message takes to travel along an edge on screen, in logical ms.
pub const FLIGHT_MS: u64 = 400;
/// Most messages drawn in flight at once; beyond this the drawing samples.
pub const MAX_FLIGHTS: usize = 200;
const LOG_CAP: usize = 300;
const HISTORY_CAP: usize = 2_000;

/// Which engine a log line comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    Rabbit,
    Kafka,
    Playground,
}

impl Source {
    /// The word shown beside the line.
    pub fn label(self) -> &'static str {
        match self {
            Source::Rabbit => "RabbitMQ",
            Source::Kafka => "Kafka",
            Source::Playground => "Playground",
        }
    }
}

/// One line of the event log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogEntry {
    pub seq: u64,
    pub at_ms: u64,
    pub source: Source,
    pub text: String,
    /// The message or record the line is about, which it opens.
    pub message: Option<MessageRef>,
}

/// A message the page can point at.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MessageRef {
    Rabbit(MessageId),
    Kafka {
        topic: String,
        partition: u32,
        offset: i64,
    },
    /// The records a Kafka producer has not yet had written to a partition:
    /// what they wait for, and why an attempt failed.
    Send {
        producer: String,
        topic: String,
        partition: u32,
    },
}

/// A message on its way along an edge.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Flight {
    pub edge: EdgeId,
    pub start_ms: u64,
    pub message: MessageRef,
}

/// The life of one AMQP message copy.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct MessageHistory {
    pub routing_key: String,
    pub body: String,
    /// The client that published it (for a dead-lettered copy, the one that
    /// published the original); empty when the engine did not say.
    pub sender: String,
    pub lines: Vec<String>,
    /// How its publish was routed, shared by every copy the publish made.
    pub trace: Option<Arc<RouteTrace>>,
    /// The canvas edges it travelled, in order: the producer's connection,
    /// the bindings that led to its queue, and each delivery.
    pub path: Vec<EdgeId>,
}

/// Totals for a node; rates are per second over the last second.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counters {
    pub sent: u64,
    pub received: u64,
    pub sent_rate: u64,
    pub received_rate: u64,
}

/// What a queue has redelivered and dead-lettered since the start.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Tally {
    pub redelivered: u64,
    pub dead_lettered: u64,
}

/// A publish seen in the outcome being read, for the copies it made.
#[derive(Debug)]
struct PublishSeen<'e> {
    sender: String,
    producer: Option<NodeId>,
    routing_key: &'e str,
    body: &'e str,
    /// Copied out of the event once, for all the copies to share: a publish
    /// through a topic exchange with a hundred bindings carries a trace of a
    /// hundred entries to each of its copies.
    trace: Option<Arc<RouteTrace>>,
}

/// What the copies an outcome enqueues were made from: its publishes by
/// publish number, and the dead-letter exchange each original it
/// dead-lettered went to.
#[derive(Debug, Default)]
struct Origins<'e> {
    publishes: BTreeMap<u64, PublishSeen<'e>>,
    dead_letters: BTreeMap<MessageId, &'e str>,
}

/// The log, the histories, the flights and the counters of a run.
#[derive(Debug)]
pub struct Journal {
    log: VecDeque<LogEntry>,
    log_seq: u64,
    histories: BTreeMap<MessageId, MessageHistory>,
    /// The canvas edges each Kafka record travelled, in order.
    record_paths: BTreeMap<(String, u32, i64), Vec<EdgeId>>,
    flights: VecDeque<Flight>,
    counters: BTreeMap<NodeId, Counters>,
    tallies: BTreeMap<NodeId, Tally>,
    rate_base: BTreeMap<NodeId, (u64, u64)>,
    /// The client each channel seen belongs to, learned while it is open, so
    /// the closing of a channel can name its client.
    channels: BTreeMap<ChannelId, String>,
    detail: bool,
}

impl Default for Journal {
    fn default() -> Self {
        Journal {
            log: VecDeque::new(),
            log_seq: 0,
            histories: BTreeMap::new(),
            record_paths: BTreeMap::new(),
            flights: VecDeque::new(),
            counters: BTreeMap::new(),
            tallies: BTreeMap::new(),
            rate_base: BTreeMap::new(),
            channels: BTreeMap::new(),
            detail: true,
        }
    }
}

/// The canvas's nodes by kind and name, so reading a name in an event costs
/// a lookup, not a search of the canvas (the fastest speed reads several
/// names for every message). A run's names never change: renaming a part
/// starts a new run.
#[derive(Debug, Default)]
pub struct Names(BTreeMap<NodeKind, BTreeMap<String, NodeId>>);

impl Names {
    /// The names of `topology`'s nodes. The engines' events name an
    /// exchange or queue without its vhost, so where two vhosts hold the
    /// same name, the one in the default vhost answers to it.
    pub fn new(topology: &Topology) -> Self {
        let mut names: BTreeMap<NodeKind, BTreeMap<String, NodeId>> = BTreeMap::new();
        let (elsewhere, default): (Vec<_>, Vec<_>) =
            topology.nodes.iter().partition(|n| n.vhost() != super::model::DEFAULT_VHOST);
        for n in elsewhere.into_iter().chain(default) {
            names.entry(n.kind()).or_default().insert(n.name.clone(), n.id);
        }
        Names(names)
    }

    /// The node of `kind` called `name`.
    pub fn get(&self, kind: NodeKind, name: &str) -> Option<NodeId> {
        self.0.get(&kind)?.get(name).copied()
    }
}

/// What the journal reads events against: the canvas (to name parts and
/// find edges) and its names, the session (to name a channel's client), the client whose
/// action the events answer, and the time.
#[derive(Clone, Copy, Debug)]
pub struct Context<'a> {
    pub topology: &'a Topology,
    pub names: &'a Names,
    pub session: &'a Session,
    /// The client the action ran on (empty for the session's own client
    /// that declares the topology); a channel opened while answering it is
    /// that client's, even when the same action's error closed it again.
    pub client: Option<&'a str>,
    pub now_ms: u64,
}

impl Context<'_> {
    fn node(&self, kind: NodeKind, name: &str) -> Option<NodeId> {
        self.names.get(kind, name)
    }

    /// The edge of `role` from `from` to `to`.
    fn edge(&self, role: EdgeRole, from: Option<NodeId>, to: Option<NodeId>) -> Option<EdgeId> {
        let (from, to) = (from?, to?);
        self.topology.outgoing(from).find(|e| e.role == role && e.to == to).map(|e| e.id)
    }

    /// The canvas edge a binding the engine reported stands for: from the
    /// exchange named `source` to the queue or exchange named `destination`,
    /// with the same binding key.
    fn binding_edge(&self, binding: &rabbit::Binding) -> Option<EdgeId> {
        let (role, kind) = match binding.destination_kind {
            rabbit::DestinationKind::Queue => (EdgeRole::QueueBinding, NodeKind::Queue),
            rabbit::DestinationKind::Exchange => (EdgeRole::ExchangeBinding, NodeKind::Exchange),
        };
        let from = self.node(NodeKind::Exchange, &binding.source)?;
        let to = self.node(kind, &binding.destination)?;
        self.topology
            .outgoing(from)
            .find(|e| e.role == role && e.to == to && e.binding_key == binding.routing_key)
            .map(|e| e.id)
    }
}

impl Journal {
    /// Turns the log, histories and flights on or off.
    pub fn set_detail(&mut self, on: bool) {
        self.detail = on;
        if !on {
            self.flights.clear();
        }
    }

    /// The most recent log lines, oldest first.
    pub fn log(&self) -> impl DoubleEndedIterator<Item = &LogEntry> {
        self.log.iter()
    }

    /// Messages currently travelling along edges.
    pub fn flights(&self) -> impl Iterator<Item = &Flight> {
        self.flights.iter()
    }

    /// The history of an AMQP message copy.
    pub fn message(&self, id: MessageId) -> Option<&MessageHistory> {
        self.histories.get(&id)
    }

    /// A node's counters.
    pub fn counters(&self, id: NodeId) -> Counters {
        self.counters.get(&id).copied().unwrap_or_default()
    }

    /// What queue `id` has redelivered and dead-lettered.
    pub fn tally(&self, id: NodeId) -> Tally {
        self.tallies.get(&id).copied().unwrap_or_default()
    }

    /// Whether logs, histories and flights are being kept.
    pub fn detail(&self) -> bool {
        self.detail
    }

    /// Adds a line to the log.
    pub fn note(&mut self, now_ms: u64, source: Source, text: String) {
        self.note_on(now_ms, source, text, None);
    }

    /// Adds a line about a message or record to the log.
    fn note_on(&mut self, now_ms: u64, source: Source, text: String, message: Option<MessageRef>) {
        if !self.detail {
            return;
        }
        self.log_seq += 1;
        self.log.push_back(LogEntry { seq: self.log_seq, at_ms: now_ms, source, text, message });
        if self.log.len() > LOG_CAP {
            self.log.pop_front();
        }
    }

    /// Adds a line to a message copy's history.
    pub fn history(&mut self, now_ms: u64, id: MessageId, line: String) {
        if !self.detail {
            return;
        }
        let line = format!("{now_ms} ms: {line}");
        self.history_entry(id).lines.push(line);
    }

    fn history_entry(&mut self, id: MessageId) -> &mut MessageHistory {
        if !self.histories.contains_key(&id)
            && self.histories.len() >= HISTORY_CAP
            && let Some(first) = self.histories.keys().next().copied()
        {
            self.histories.remove(&first);
        }
        self.histories.entry(id).or_default()
    }

    /// The canvas edges a Kafka record travelled, in order.
    pub fn record_path(&self, topic: &str, partition: u32, offset: i64) -> &[EdgeId] {
        self.record_paths.get(&(topic.to_string(), partition, offset)).map_or(&[], Vec::as_slice)
    }

    /// A message sets off along `edge`, which joins its path.
    fn fly(&mut self, now_ms: u64, edge: Option<EdgeId>, message: MessageRef) {
        if let Some(edge) = edge {
            let path = match &message {
                MessageRef::Rabbit(0) | MessageRef::Send { .. } => None,
                MessageRef::Rabbit(id) => self.histories.get_mut(id).map(|h| &mut h.path),
                MessageRef::Kafka { topic, partition, offset } => {
                    let key = (topic.clone(), *partition, *offset);
                    if !self.record_paths.contains_key(&key)
                        && self.record_paths.len() >= HISTORY_CAP
                        && let Some(first) = self.record_paths.keys().next().cloned()
                    {
                        self.record_paths.remove(&first);
                    }
                    Some(self.record_paths.entry(key).or_default())
                }
            };
            if let Some(path) = path
                && path.last() != Some(&edge)
            {
                path.push(edge);
            }
            self.flights.push_back(Flight { edge, start_ms: now_ms, message });
            if self.flights.len() > MAX_FLIGHTS {
                self.flights.pop_front();
            }
        }
    }

    /// Adds to a node's totals.
    pub fn count(&mut self, id: Option<NodeId>, sent: u64, received: u64) {
        if let Some(id) = id {
            let c = self.counters.entry(id).or_default();
            c.sent += sent;
            c.received += received;
        }
    }

    /// Drops flights that have arrived.
    pub fn advance(&mut self, now_ms: u64) {
        while self.flights.front().is_some_and(|f| f.start_ms + FLIGHT_MS < now_ms) {
            self.flights.pop_front();
        }
    }

    /// Closes step `tick`: every ten steps (a second), the rates.
    pub fn end_step(&mut self, tick: u64) {
        if tick.is_multiple_of(10) {
            for (id, c) in &mut self.counters {
                let base = self.rate_base.entry(*id).or_default();
                c.sent_rate = c.sent - base.0;
                c.received_rate = c.received - base.1;
                *base = (c.sent, c.received);
            }
        }
    }

    /// Reads everything one engine call reported.
    pub fn absorb(&mut self, outcome: &StepOutcome, cx: Context) {
        if !outcome.rabbit.is_empty() {
            self.absorb_rabbit(&outcome.rabbit, cx);
        }
        if !outcome.kafka.is_empty() {
            self.absorb_kafka(&outcome.kafka, cx);
        }
    }

    /// The client a channel belongs to, remembered while it is open.
    fn client(&mut self, channel: ChannelId, cx: Context) -> String {
        if let Some(name) = self.channels.get(&channel) {
            return name.clone();
        }
        let name = cx.session.client_of(channel).map(|(_, c)| c.to_string()).unwrap_or_default();
        if !name.is_empty() {
            self.channels.insert(channel, name.clone());
        }
        name
    }

    fn absorb_rabbit(&mut self, events: &[rabbit::Event], cx: Context) {
        use rabbit::Event as E;
        let now = cx.now_ms;
        // Publishes and dead-letterings first: a copy's `Enqueued` names the
        // publish or the original that made it, and a full queue may
        // dead-letter its head between a publish and its copies.
        let mut origins = Origins::default();
        if self.detail {
            for event in events {
                if let E::DeadLettered { message_id, exchange, .. } = event {
                    origins.dead_letters.insert(*message_id, exchange);
                }
                if let E::Published { channel, publish, routing_key, body, trace, .. } = event {
                    let sender = self.client(*channel, cx);
                    let producer = cx.node(NodeKind::Producer, &sender);
                    let trace = trace.as_deref().map(|t| Arc::new(t.clone()));
                    let seen = PublishSeen { sender, producer, routing_key, body, trace };
                    origins.publishes.insert(*publish, seen);
                }
            }
        }
        for event in events {
            match event {
                E::Published { publish, exchange, routing_key, queues, .. } => {
                    self.count(cx.node(NodeKind::Exchange, exchange), 0, 1);
                    if self.detail {
                        self.log_publish(origins.publishes.get(publish), exchange, routing_key, queues, cx);
                    }
                }
                E::Enqueued { queue, message_id, cause, .. } => {
                    let qid = cx.node(NodeKind::Queue, queue);
                    if !matches!(cause, EnqueueCause::Requeue { .. }) {
                        self.count(qid, 0, 1);
                    }
                    if self.detail {
                        self.enqueued(queue, qid, *message_id, cause, &origins, cx);
                    }
                }
                E::StreamAppended { queue, offset, message_id, cause, .. } => {
                    // A stream keeps what it is given: the record is counted
                    // in like an enqueued copy, and out once per reader.
                    let qid = cx.node(NodeKind::Queue, queue);
                    self.count(qid, 0, 1);
                    if self.detail {
                        self.enqueued(queue, qid, *message_id, cause, &origins, cx);
                        self.history(now, *message_id, format!("appended to stream {queue} at offset {offset}"));
                    }
                }
                E::Delivered { consumer_tag, delivery_tag, queue, message, .. } => {
                    let (qid, cid) = (cx.node(NodeKind::Queue, queue), cx.node(NodeKind::Consumer, consumer_tag));
                    self.count(qid, 1, 0);
                    self.count(cid, 0, 1);
                    if message.redelivered
                        && let Some(q) = qid
                    {
                        self.tallies.entry(q).or_default().redelivered += 1;
                    }
                    if self.detail {
                        self.fly(now, cx.edge(EdgeRole::Consume, qid, cid), MessageRef::Rabbit(message.id));
                        let again = if message.redelivered { " (redelivered)" } else { "" };
                        self.history(
                            now,
                            message.id,
                            format!("delivered to {consumer_tag}, delivery tag {delivery_tag}{again}"),
                        );
                    }
                }
                E::DeadLettered { queue, .. } if !self.detail => {
                    if let Some(q) = cx.node(NodeKind::Queue, queue) {
                        self.tallies.entry(q).or_default().dead_lettered += 1;
                    }
                }
                _ if !self.detail => {}
                E::StreamSegmentsRemoved { queue, first_offset, records, .. } => {
                    let line = format!(
                        "retention removed {records} records from stream {queue}, which now starts at offset {first_offset}"
                    );
                    self.note(now, Source::Rabbit, line);
                }
                E::StreamConsumerAttached { consumer_tag, queue, offset, .. } => {
                    self.note(
                        now,
                        Source::Rabbit,
                        format!("{consumer_tag} attached to stream {queue} at offset {offset}"),
                    );
                }
                E::GetOk { queue, message, .. } => {
                    self.history(now, message.id, format!("fetched from {queue} with basic.get"));
                }
                E::Acked { queue, message_id, .. } => {
                    self.history(now, *message_id, format!("acknowledged; removed from {queue}"))
                }
                E::DeadLettered { queue, message_id, reason, exchange, new_ids, .. } => {
                    if let Some(q) = cx.node(NodeKind::Queue, queue) {
                        self.tallies.entry(q).or_default().dead_lettered += 1;
                    }
                    let line = format!("dead-lettered from {queue} ({}) to exchange {exchange}", reason.as_str());
                    let copies = if new_ids.is_empty() {
                        String::new()
                    } else {
                        let ids: Vec<String> = new_ids.iter().map(|id| format!("#{id}")).collect();
                        format!(" as {}", ids.join(", "))
                    };
                    let text = format!("message #{message_id} {line}{copies}");
                    self.note_on(now, Source::Rabbit, text, Some(MessageRef::Rabbit(*message_id)));
                    self.history(now, *message_id, format!("{line}{copies}"));
                }
                E::Dropped { queue, message_id, reason, .. } => {
                    let q = queue.as_deref().unwrap_or_default();
                    let text = format!("message dropped at {q}: {reason:?}");
                    self.note_on(now, Source::Rabbit, text, message_id.map(MessageRef::Rabbit));
                    if let Some(id) = message_id {
                        self.history(now, *id, format!("dropped at {q}: {reason:?}"));
                    }
                }
                E::Expired { queue, message_id, .. } => {
                    self.history(now, *message_id, format!("expired in {queue} (TTL)"));
                    let text = format!("message #{message_id} expired in {queue}");
                    self.note_on(now, Source::Rabbit, text, Some(MessageRef::Rabbit(*message_id)));
                }
                E::Returned { reply_code, reply_text, routing_key, .. } => {
                    self.note(
                        now,
                        Source::Rabbit,
                        format!("returned {reply_code} {reply_text} for \u{201c}{routing_key}\u{201d}"),
                    );
                }
                E::ChannelOpened { channel } => {
                    if let Some(client) = cx.client {
                        self.channels.insert(*channel, client.to_string());
                    }
                }
                E::ChannelClosed { channel, error } => {
                    let client = self.channels.remove(channel);
                    if let Some(e) = error {
                        let whose = match client.as_deref() {
                            Some("") => "the channel that declares the topology".to_string(),
                            Some(c) => format!("the channel of {c}"),
                            None => "a channel".to_string(),
                        };
                        self.note(now, Source::Rabbit, format!("the broker closed {whose}: {e}"));
                    }
                }
                E::ConnectionClosed { connection, error } => {
                    let mut clients = Vec::new();
                    self.channels.retain(|ch, client| {
                        let on = ch.connection == *connection;
                        if on {
                            clients.push(std::mem::take(client));
                        }
                        !on
                    });
                    if let Some(e) = error {
                        let whose = match clients.first().map(String::as_str) {
                            Some("") => "the connection that declares the topology".to_string(),
                            Some(c) => format!("the connection of {c}"),
                            None => "a connection".to_string(),
                        };
                        self.note(now, Source::Rabbit, format!("the broker closed {whose}: {e}"));
                    }
                }
                E::ConsumerCancelled { consumer_tag, by_broker: true, .. } => {
                    self.note(now, Source::Rabbit, format!("the broker cancelled consumer {consumer_tag}"));
                }
                E::BrokerRestarted => {
                    self.channels.clear();
                    self.note(now, Source::Rabbit, "the RabbitMQ broker restarted".into());
                }
                _ => {}
            }
        }
    }

    /// The log line of a publish, and its flights up to the exchanges its
    /// route trace says it reached: the producer's connection to the
    /// exchange, then each exchange-to-exchange binding that matched. A
    /// publish to the default exchange flies when its copy is enqueued,
    /// along the producer's connection to the queue.
    fn log_publish(
        &mut self,
        seen: Option<&PublishSeen>,
        exchange: &str,
        routing_key: &str,
        queues: &[std::sync::Arc<str>],
        cx: Context,
    ) {
        let Some(seen) = seen else { return };
        let who = if seen.sender.is_empty() { "a client".to_string() } else { seen.sender.clone() };
        let mut edges = Vec::new();
        if !exchange.is_empty() {
            edges.push(cx.edge(EdgeRole::Publish, seen.producer, cx.node(NodeKind::Exchange, exchange)));
            for x in seen.trace.iter().flat_map(|t| &t.exchanges) {
                for b in x.bindings.iter().filter(|b| b.matched) {
                    if b.binding.destination_kind == rabbit::DestinationKind::Exchange {
                        edges.push(cx.binding_edge(&b.binding));
                    }
                }
            }
        }
        let x = if exchange.is_empty() { "the default exchange".to_string() } else { exchange.to_string() };
        let to = if queues.is_empty() {
            "no queue matched".to_string()
        } else {
            queues.iter().map(|q| q.as_ref()).collect::<Vec<_>>().join(", ")
        };
        for edge in edges {
            // A publish makes no copy until a queue takes it, so its flight
            // to an exchange names no message.
            self.fly(cx.now_ms, edge, MessageRef::Rabbit(0));
        }
        self.note(
            cx.now_ms,
            Source::Rabbit,
            format!("{who} published \u{201c}{routing_key}\u{201d} to {x} \u{2192} {to}"),
        );
    }

    /// A copy entering a queue: its history begins (from its publish or its
    /// original) or goes on (a requeue), and it flies the edge it took.
    fn enqueued(
        &mut self,
        queue: &str,
        qid: Option<NodeId>,
        id: MessageId,
        cause: &EnqueueCause,
        origins: &Origins,
        cx: Context,
    ) {
        let now = cx.now_ms;
        match cause {
            EnqueueCause::Publish { publish, exchange, routing_key, .. } => {
                let (edge, history) = match origins.publishes.get(publish) {
                    Some(seen) => {
                        let mut path = Vec::new();
                        let edge = if exchange.is_empty() {
                            cx.edge(EdgeRole::PublishToQueue, seen.producer, qid)
                        } else {
                            // The binding into this queue that the route
                            // trace says matched.
                            let matched = |kind: rabbit::DestinationKind, name: &str| {
                                seen.trace.iter().flat_map(|t| &t.exchanges).flat_map(|x| &x.bindings).find(|b| {
                                    b.matched && b.binding.destination_kind == kind && b.binding.destination == name
                                })
                            };
                            let into = matched(rabbit::DestinationKind::Queue, queue);
                            // Back from that binding's exchange to the one
                            // published to, through the exchange-to-exchange
                            // bindings that matched (a trace visits each
                            // exchange once, so the walk ends).
                            let mut at = into.map(|b| b.binding.source.as_str());
                            while let Some(x) = at.filter(|x| *x != exchange.as_str() && path.len() < 64) {
                                let back = matched(rabbit::DestinationKind::Exchange, x);
                                path.extend(back.and_then(|b| cx.binding_edge(&b.binding)));
                                at = back.map(|b| b.binding.source.as_str());
                            }
                            path.extend(cx.edge(
                                EdgeRole::Publish,
                                seen.producer,
                                cx.node(NodeKind::Exchange, exchange),
                            ));
                            path.reverse();
                            into.and_then(|b| cx.binding_edge(&b.binding))
                        };
                        let sender = if seen.sender.is_empty() { "a client" } else { seen.sender.as_str() };
                        let history = MessageHistory {
                            routing_key: seen.routing_key.to_string(),
                            body: seen.body.to_string(),
                            sender: seen.sender.clone(),
                            lines: vec![format!("{now} ms: published by {sender}")],
                            trace: seen.trace.clone(),
                            path,
                        };
                        (edge, history)
                    }
                    None => (
                        None,
                        MessageHistory {
                            routing_key: routing_key.clone(),
                            lines: vec![format!("{now} ms: published")],
                            ..MessageHistory::default()
                        },
                    ),
                };
                *self.history_entry(id) = history;
                self.fly(now, edge, MessageRef::Rabbit(id));
                self.history(now, id, format!("enqueued in {queue}"));
            }
            EnqueueCause::DeadLetter { from_queue, reason, original } => {
                // The copy carries its original's body and sender, and its
                // history so far, which ends with the dead-lettering.
                let history = self.histories.get(original).cloned().unwrap_or_default();
                *self.history_entry(id) = history;
                // The dead-letter exchange's binding into this queue. The
                // engine reports no route trace for a dead-lettering, so it
                // is the binding between the exchange the `DeadLettered`
                // event names and this queue.
                let dlx = origins.dead_letters.get(original).and_then(|x| cx.node(NodeKind::Exchange, x));
                let edge = cx.edge(EdgeRole::QueueBinding, dlx, qid);
                self.fly(now, edge, MessageRef::Rabbit(id));
                self.history(
                    now,
                    id,
                    format!("enqueued in {queue} as #{id}, dead-lettered from {from_queue} ({})", reason.as_str()),
                );
            }
            EnqueueCause::Requeue { delivery_tag, consumer_tag, .. } => {
                let from = match consumer_tag {
                    Some(tag) => format!("consumer {tag}'s delivery {delivery_tag}"),
                    None => format!("delivery {delivery_tag}"),
                };
                self.history(now, id, format!("returned to {queue} from {from} for redelivery"));
                self.note_on(
                    now,
                    Source::Rabbit,
                    format!("message #{id} requeued in {queue}"),
                    Some(MessageRef::Rabbit(id)),
                );
            }
        }
    }

    fn absorb_kafka(&mut self, events: &[kafka::Event], cx: Context) {
        use kafka::Event as E;
        let now = cx.now_ms;
        let mut acquired: Vec<(String, Vec<String>)> = Vec::new();
        for event in events {
            match event {
                E::RecordAppended { producer, topic, partition, offset, leader, retry, .. } => {
                    let (pid, tid) = (cx.node(NodeKind::Producer, producer), cx.node(NodeKind::Topic, topic));
                    self.count(tid, 0, 1);
                    if !self.detail {
                        continue;
                    }
                    let message = MessageRef::Kafka { topic: topic.clone(), partition: *partition, offset: *offset };
                    self.fly(now, cx.edge(EdgeRole::Produce, pid, tid), message.clone());
                    let again = if *retry { " (retry)" } else { "" };
                    self.note_on(
                        now,
                        Source::Kafka,
                        format!(
                            "{producer} wrote {topic}-{partition} offset {offset} on leader broker {leader}{again}"
                        ),
                        Some(message),
                    );
                }
                E::RecordsFetched { consumer, partition, from, to, count, .. } => {
                    let cid = cx.node(NodeKind::Consumer, consumer);
                    let tid = cx.node(NodeKind::Topic, &partition.topic);
                    self.count(tid, u64::from(*count), 0);
                    if !self.detail {
                        continue;
                    }
                    let gid =
                        cid.and_then(|c| cx.topology.incoming(c).find(|e| e.role == EdgeRole::Member)).map(|e| e.from);
                    let message = MessageRef::Kafka {
                        topic: partition.topic.clone(),
                        partition: partition.partition,
                        offset: *to,
                    };
                    self.fly(now, cx.edge(EdgeRole::Subscribe, tid, gid), message.clone());
                    self.fly(now, cx.edge(EdgeRole::Member, gid, cid), message.clone());
                    self.note_on(
                        now,
                        Source::Kafka,
                        format!("{consumer} fetched {} offsets {from}..={to}", tp(partition)),
                        Some(message),
                    );
                }
                _ if !self.detail => {}
                E::ProduceFailed { producer, topic, partition, error, will_retry } => {
                    let next = if *will_retry { "; will retry" } else { "" };
                    let text = format!("{producer} to {topic}-{partition} failed: {error:?}{next}");
                    let send = MessageRef::Send { producer: producer.clone(), topic: topic.clone(), partition: *partition };
                    self.note_on(now, Source::Kafka, text, Some(send));
                }
                E::TopicAutoCreated { topic, client, partitions, replication_factor } => {
                    // The topic may not be on the canvas: the engine made it
                    // because a client asked for a topic it did not have.
                    self.note(
                        now,
                        Source::Kafka,
                        format!(
                            "topic {topic} auto-created for {client}: {partitions} partition(s), replication factor {replication_factor}"
                        ),
                    );
                }
                E::TopicAutoCreationFailed { topic, client, error } => {
                    self.note(now, Source::Kafka, format!("topic {topic} not auto-created for {client}: {error}"));
                }
                E::WaitingForMetadata { producer, topic, until } => {
                    self.note(
                        now,
                        Source::Kafka,
                        format!("{producer} waits for topic {topic} to exist, until {until} ms (max.block.ms)"),
                    );
                }
                E::SendFailed { producer, topic, error } => {
                    self.note(now, Source::Kafka, format!("{producer} to {topic} failed: {error}"));
                }
                E::LeaderElected { topic, partition, leader, leader_epoch, unclean, .. } => {
                    let how = if *unclean { " (unclean)" } else { "" };
                    self.note(
                        now,
                        Source::Kafka,
                        format!("{topic}-{partition}: broker {leader} is leader, epoch {leader_epoch}{how}"),
                    );
                }
                E::PartitionOffline { topic, partition } => {
                    self.note(now, Source::Kafka, format!("{topic}-{partition} is offline: no replica can lead"));
                }
                E::BrokerCrashed { broker } => self.note(now, Source::Kafka, format!("broker {broker} crashed")),
                E::BrokerRestarted { broker } => self.note(now, Source::Kafka, format!("broker {broker} restarted")),
                E::BrokerFenced { broker } => self.note(
                    now,
                    Source::Kafka,
                    format!(
                        "broker {broker} fenced by the controller: out of every ISR, its partitions get new leaders"
                    ),
                ),
                E::BrokerShutDown { broker } => self.note(
                    now,
                    Source::Kafka,
                    format!("broker {broker} shut down after handing over its leadership"),
                ),
                E::BrokerRegistrationDelayed { broker, until } => self.note(
                    now,
                    Source::Kafka,
                    format!(
                        "broker {broker} waits for its old session to expire at {:.1} s before it registers",
                        *until as f64 / 1000.0
                    ),
                ),
                E::IsrShrunk { topic, partition, broker, isr, .. } => {
                    self.note(now, Source::Kafka, format!("{topic}-{partition}: broker {broker} left the ISR {isr:?}"));
                }
                E::EligibleLeaderReplicaRemoved { topic, partition, broker, elr } => self.note(
                    now,
                    Source::Kafka,
                    format!(
                        "{topic}-{partition}: broker {broker} is back from an unclean shutdown and leaves the \
                         eligible leader replicas {elr:?}; it may have lost records, so it cannot be elected from them"
                    ),
                ),
                E::IsrExpanded { topic, partition, broker, isr } => {
                    self.note(
                        now,
                        Source::Kafka,
                        format!("{topic}-{partition}: broker {broker} rejoined the ISR {isr:?}"),
                    );
                }
                E::RecordsTruncated { topic, partition, from, to, acknowledged_lost, .. } => {
                    self.note(
                        now,
                        Source::Kafka,
                        format!(
                            "{topic}-{partition}: offsets {from}..{to} truncated, {acknowledged_lost} acknowledged lost"
                        ),
                    );
                }
                E::RebalanceCompleted { group, generation, assignment } => {
                    let parts: Vec<String> = assignment
                        .iter()
                        .map(|(m, tps)| {
                            if tps.is_empty() {
                                format!("{m}: idle")
                            } else {
                                format!("{m}: {}", tps.iter().map(tp).collect::<Vec<_>>().join(" "))
                            }
                        })
                        .collect();
                    self.note(now, Source::Kafka, format!("{group} generation {generation}: {}", parts.join("; ")));
                }
                E::MemberRevocationTimedOut { group, member, partitions, rebalance_timeout_ms, .. } => {
                    let parts: Vec<String> = partitions.iter().map(tp).collect();
                    self.note(
                        now,
                        Source::Kafka,
                        format!(
                            "{member} did not give up {} within its rebalance timeout ({:.1} s, its \
                             max.poll.interval.ms): the coordinator fences it from {group} and hands its partitions on",
                            parts.join(", "),
                            *rebalance_timeout_ms as f64 / 1000.0
                        ),
                    );
                }
                E::MemberLeft { group, member, reason } => {
                    self.note(now, Source::Kafka, format!("{member} left {group}: {reason:?}"));
                }
                E::GroupStateChanged { group, to, .. } => {
                    let generation = cx.session.kafka().group(group).map_or(0, |g| g.generation);
                    let words = super::kafka_readout::group_state(*to, generation);
                    self.note(now, Source::Kafka, format!("{group}: {words}"));
                }
                E::RebalanceStarted { group, generation, reason, cooperative, .. } => {
                    let how = if *cooperative {
                        "cooperative: members keep the partitions they are not asked to give up"
                    } else {
                        "eager: every member gives up all its partitions first"
                    };
                    self.note(
                        now,
                        Source::Kafka,
                        format!("{group} starts a rebalance to generation {generation} ({}); {how}", reason_text(reason)),
                    );
                }
                E::PartitionsRevoked { member, partitions, .. } if !partitions.is_empty() => {
                    let parts: Vec<String> = partitions.iter().map(tp).collect();
                    self.note(now, Source::Kafka, format!("{member} gave up {}", parts.join(" ")));
                }
                E::MemberJoined { group, member, .. } => {
                    self.note(now, Source::Kafka, format!("{member} joined {group}"));
                }
                E::TransactionTimedOut { producer, transactional_id, producer_epoch } => self.note(
                    now,
                    Source::Kafka,
                    format!(
                        "the coordinator aborted {producer}'s transaction {transactional_id} after transaction.timeout.ms and bumped the epoch to {producer_epoch}"
                    ),
                ),
                E::ProducerFenced { producer, transactional_id } => self.note(
                    now,
                    Source::Kafka,
                    format!("{producer} is fenced: a newer epoch of {transactional_id} exists"),
                ),
                E::ShareMemberJoined { group, member, .. } => {
                    self.note(now, Source::Kafka, format!("{member} joined share group {group}"));
                }
                E::SharePartitionInitialized { group, partition, start_offset, .. } => self.note(
                    now,
                    Source::Kafka,
                    format!("{group}: share-partition {} starts at offset {start_offset}", tp(partition)),
                ),
                E::ShareRecordAcquired { group, consumer, partition, offset, delivery_count, .. } => {
                    let (tid, gid) = (cx.node(NodeKind::Topic, &partition.topic), cx.node(NodeKind::ShareGroup, group));
                    let cid = cx.node(NodeKind::Consumer, consumer);
                    let message =
                        MessageRef::Kafka { topic: partition.topic.clone(), partition: partition.partition, offset: *offset };
                    self.fly(now, cx.edge(EdgeRole::Subscribe, tid, gid), message.clone());
                    self.fly(now, cx.edge(EdgeRole::Member, gid, cid), message);
                    // One poll acquires many records: one line per consumer
                    // and partition says which.
                    let line = format!("{consumer} acquired {}", tp(partition));
                    let taken = acquired.iter_mut().find(|(l, _)| *l == line);
                    let entry = format!("{offset} (delivery {delivery_count})");
                    match taken {
                        Some((_, offsets)) => offsets.push(entry),
                        None => acquired.push((line, vec![entry])),
                    }
                }
                E::ShareRecordRejected { consumer, partition, offset, .. } => self.note(
                    now,
                    Source::Kafka,
                    format!("{consumer} rejected {} offset {offset}: archived", tp(partition)),
                ),
                E::ShareRecordReleased { consumer, partition, offset, delivery_count, reason, .. } => self.note(
                    now,
                    Source::Kafka,
                    format!(
                        "{} offset {offset} is available again after {delivery_count} deliveries ({} {consumer})",
                        tp(partition),
                        release_text(*reason)
                    ),
                ),
                E::ShareRecordArchived { consumer, partition, offset, delivery_count, reason, .. } => self.note(
                    now,
                    Source::Kafka,
                    format!(
                        "{} offset {offset} archived: its delivery count reached the limit after {delivery_count} deliveries ({} {consumer})",
                        tp(partition),
                        release_text(*reason)
                    ),
                ),
                _ => {}
            }
        }
        for (line, offsets) in acquired {
            self.note(now, Source::Kafka, format!("{line} offsets {}", offsets.join(", ")));
        }
    }
}

/// Why a rebalance started, in words.
fn reason_text(reason: &kafka::RebalanceReason) -> String {
    use kafka::RebalanceReason as R;
    match reason {
        R::MemberJoined(m) => format!("{m} joined"),
        R::MemberLeft(m) => format!("{m} left"),
        R::SessionTimeout(m) => format!("{m}'s session timed out"),
        R::MaxPollIntervalExceeded(m) => format!("{m} did not poll within max.poll.interval.ms"),
        R::PartitionsAdded(t) => format!("{t} gained partitions"),
        R::SubscriptionChanged(m) => format!("{m} changed its subscription"),
        R::CooperativeFollowUp => "the cooperative follow-up round".to_string(),
        R::RebalanceTimeout(m) => format!("{m} did not rejoin within the rebalance timeout"),
        R::RevocationTimeout(m) => format!("{m} did not revoke its partitions within its rebalance timeout"),
        R::ProtocolDowngrade => "its last consumer-protocol member left, so it is a classic group again".to_string(),
    }
}

/// How a share consumer's hold on a record ended, before its name.
fn release_text(reason: kafka::ShareReleaseReason) -> &'static str {
    match reason {
        kafka::ShareReleaseReason::Released => "released by",
        kafka::ShareReleaseReason::LockExpired => "the lock expired, held by",
        kafka::ShareReleaseReason::MemberLeft => "left by",
    }
}

/// `topic-partition`, the way Kafka's tools print a partition.
pub fn tp(p: &kafka::TopicPartition) -> String {
    format!("{}-{}", p.topic, p.partition)
}
