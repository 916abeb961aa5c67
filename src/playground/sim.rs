//! A run of a topology: both engines, the simulated clients around them
//! (producers publishing at a rate, consumers with processing time, prefetch
//! and injected faults), and what the page shows of it (event log, message
//! histories, messages in flight, counters).
//!
//! A run is a pure function of the topology (with its seed) and the list of
//! user actions stamped with the step they happened at, so any earlier
//! moment is rebuilt by [`Sim::replay`], which is how the timeline scrubs.

use super::engine::{self, Origin};
use super::model::{
    AckMode, EdgeId, EdgeRole, Failure, NodeConfig, NodeId, NodeKind, ProducerSettings, Topology, parse_pairs,
};
use brokerlab_kafka as kafka;
use brokerlab_rabbit as rabbit;
use brokerlab_rabbit::{BasicProperties, ChannelId, MessageId, RouteTrace};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, VecDeque};

/// Logical milliseconds per simulation step.
pub const STEP_MS: u64 = 100;
/// How long a message takes to travel along an edge on screen, in logical ms.
pub const FLIGHT_MS: u64 = 400;
/// Most messages drawn in flight at once; beyond this the drawing samples.
pub const MAX_FLIGHTS: usize = 200;
const LOG_CAP: usize = 300;
const HISTORY_CAP: usize = 2_000;
const VHOST: &str = "/";

/// Something the user does to a running playground.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Action {
    /// One message from a producer.
    Publish(NodeId),
    /// A producer's burst.
    Burst(NodeId),
    /// Stop a Kafka broker.
    CrashBroker(u32),
    /// Start a Kafka broker again.
    RestartBroker(u32),
    /// Restart the RabbitMQ broker: connections drop, transient state is lost.
    RestartRabbit,
    /// Change what a producer sends, without restarting the run.
    SetProducer(NodeId, ProducerSettings),
}

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
}

/// A message the page can point at.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MessageRef {
    Rabbit(MessageId),
    Kafka { topic: String, partition: u32, offset: i64 },
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
    pub lines: Vec<String>,
    pub trace: Option<RouteTrace>,
}

/// Totals for a node; rates are per second over the last second.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counters {
    pub sent: u64,
    pub received: u64,
    pub sent_rate: u64,
    pub received_rate: u64,
}

#[derive(Clone, Debug)]
struct AmqpConsumer {
    node: NodeId,
    tag: String,
    queue: String,
    prefetch: u16,
    processing_ms: u64,
    ack: AckMode,
    failure: Failure,
    channel: Option<ChannelId>,
    working: VecDeque<(u64, u64, MessageId)>,
    busy_until: u64,
    down_until: Option<u64>,
    done: u64,
}

#[derive(Clone, Debug)]
struct KafkaConsumer {
    node: NodeId,
    name: String,
    processing_ms: u64,
    failure: Failure,
    busy_until: u64,
    crashed: bool,
    done: u64,
}

/// What a consumer node shows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConsumerStatus {
    pub working: usize,
    pub done: u64,
    pub down: bool,
    /// Kafka only: assigned partitions, e.g. `t1-0`.
    pub assignment: Option<Vec<String>>,
}

/// A running playground.
#[derive(Debug)]
pub struct Sim {
    /// The topology the run started from; replays start here too.
    initial: Topology,
    topology: Topology,
    rabbit: rabbit::Broker,
    channel: Option<ChannelId>,
    amqp: Vec<AmqpConsumer>,
    kafka: Option<kafka::Cluster>,
    kafka_consumers: Vec<KafkaConsumer>,
    tick: u64,
    actions: Vec<(u64, Action)>,
    credit: BTreeMap<NodeId, u64>,
    problems: Vec<String>,
    log: VecDeque<LogEntry>,
    log_seq: u64,
    histories: BTreeMap<MessageId, MessageHistory>,
    flights: VecDeque<Flight>,
    counters: BTreeMap<NodeId, Counters>,
    rate_base: BTreeMap<NodeId, (u64, u64)>,
    publishing: Option<(NodeId, EdgeId)>,
    pending_trace: Option<Box<RouteTrace>>,
    pending_publish: Option<(String, String)>,
    processed: u64,
    /// Drawing and logging can be turned off for speed (the benchmark's
    /// fastest mode); the engines still run every message.
    detail: bool,
}

impl Sim {
    /// Declares the topology in fresh engines seeded with its seed.
    pub fn new(topology: &Topology) -> Self {
        let mut sim = Sim {
            initial: topology.clone(),
            topology: topology.clone(),
            rabbit: rabbit::Broker::new(topology.seed),
            channel: None,
            amqp: Vec::new(),
            kafka: None,
            kafka_consumers: Vec::new(),
            tick: 0,
            actions: Vec::new(),
            credit: BTreeMap::new(),
            problems: Vec::new(),
            log: VecDeque::new(),
            log_seq: 0,
            histories: BTreeMap::new(),
            flights: VecDeque::new(),
            counters: BTreeMap::new(),
            rate_base: BTreeMap::new(),
            publishing: None,
            pending_trace: None,
            pending_publish: None,
            processed: 0,
            detail: true,
        };
        sim.declare_rabbit();
        sim.declare_kafka();
        sim
    }

    /// Rebuilds the run at step `until`: the same topology, the same actions
    /// up to and including that step, hence the same state.
    pub fn replay(topology: &Topology, actions: &[(u64, Action)], until: u64) -> Self {
        let mut sim = Sim::new(topology);
        let mut pending = actions.iter().filter(|(t, _)| *t <= until).peekable();
        loop {
            while let Some((_, action)) = pending.next_if(|(t, _)| *t == sim.tick) {
                sim.perform(action.clone());
            }
            if sim.tick >= until {
                break;
            }
            sim.step();
        }
        sim
    }

    fn declare_rabbit(&mut self) {
        let has_rabbit = self.topology.nodes.iter().any(|n| {
            matches!(n.kind(), NodeKind::Exchange | NodeKind::Queue)
                || (n.kind() == NodeKind::Producer && self.topology.outgoing(n.id).next().is_some())
        });
        if !has_rabbit {
            return;
        }
        self.ensure_channel();
        let Some(channel) = self.channel else { return };
        for (origin, command) in engine::rabbit_commands(&self.topology, channel) {
            let result = command.and_then(|c| {
                let c = with_channel(c, self.channel);
                self.rabbit.apply(c).into_result().map(|_| ()).map_err(|e| e.to_string())
            });
            if let Err(e) = result {
                let what = self.describe(origin);
                self.problems.push(format!("{what}: {e}"));
                self.channel = None;
                self.ensure_channel();
            }
        }
        let consumes: Vec<(NodeId, NodeId)> =
            self.topology.edges.iter().filter(|e| e.role == EdgeRole::Consume).map(|e| (e.from, e.to)).collect();
        for (queue, consumer) in consumes {
            let (Some(q), Some(c)) = (self.topology.node(queue), self.topology.node(consumer)) else { continue };
            let NodeConfig::Consumer(settings) = &c.config else { continue };
            self.amqp.push(AmqpConsumer {
                node: c.id,
                tag: c.name.clone(),
                queue: q.name.clone(),
                prefetch: settings.prefetch,
                processing_ms: u64::from(settings.processing_ms),
                ack: settings.ack_mode,
                failure: settings.failure,
                channel: None,
                working: VecDeque::new(),
                busy_until: 0,
                down_until: None,
                done: 0,
            });
        }
        for i in 0..self.amqp.len() {
            self.start_consumer(i);
        }
    }

    /// Opens the run's publishing channel when it has none. An error on the
    /// channel forgets it (RabbitMQ closes a channel on any channel
    /// exception), so the next use opens a fresh one; asking the broker for
    /// its channels instead would copy every unacknowledged message.
    fn ensure_channel(&mut self) {
        if self.channel.is_none() {
            match self.rabbit.connect("guest", "guest", VHOST) {
                Ok(ch) => self.channel = Some(ch),
                Err(e) => self.problems.push(format!("RabbitMQ: {e}")),
            }
        }
    }

    fn start_consumer(&mut self, i: usize) {
        let c = &self.amqp[i];
        let (tag, queue, prefetch, no_ack) = (c.tag.clone(), c.queue.clone(), c.prefetch, c.ack == AckMode::Auto);
        let result = self.rabbit.connect("guest", "guest", VHOST).and_then(|ch| {
            let mut events = self.rabbit.qos(ch, prefetch, false)?;
            events.extend(self.rabbit.consume(ch, &queue, &tag, no_ack)?);
            Ok((ch, events))
        });
        match result {
            Ok((ch, events)) => {
                self.amqp[i].channel = Some(ch);
                self.amqp[i].down_until = None;
                self.absorb_rabbit(events);
            }
            Err(e) => {
                let title = self.title(self.amqp[i].node);
                self.problems.push(format!("{title}: {e}"));
            }
        }
    }

    fn declare_kafka(&mut self) {
        if !engine::uses_kafka(&self.topology) {
            return;
        }
        let brokers = engine::kafka_brokers(&self.topology);
        if brokers == 0 {
            self.problems.push("Kafka: add at least one broker for topics to live on.".into());
            return;
        }
        let config = kafka::ClusterConfig { brokers: brokers.min(9), ..kafka::ClusterConfig::default() };
        let mut cluster = match kafka::Cluster::new(config, self.topology.seed) {
            Ok(c) => c,
            Err(e) => {
                self.problems.push(format!("Kafka: {e}"));
                return;
            }
        };
        for (origin, command) in engine::kafka_commands(&self.topology) {
            if let Some(e) = cluster.apply(command).error {
                let what = self.describe(origin);
                self.problems.push(format!("{what}: {e}"));
            }
        }
        self.kafka = Some(cluster);
        for edge in self.topology.edges.iter().filter(|e| e.role == EdgeRole::Member) {
            let Some(node) = self.topology.node(edge.to) else { continue };
            let NodeConfig::Consumer(settings) = &node.config else { continue };
            self.kafka_consumers.push(KafkaConsumer {
                node: node.id,
                name: node.name.clone(),
                processing_ms: u64::from(settings.processing_ms),
                failure: settings.failure,
                busy_until: 0,
                crashed: false,
                done: 0,
            });
        }
    }

    fn title(&self, id: NodeId) -> String {
        self.topology.node(id).map(|n| n.title()).unwrap_or_default()
    }

    fn describe(&self, origin: Origin) -> String {
        match origin {
            Origin::Node(id) => self.title(id),
            Origin::Edge(id) => match self.topology.edge(id) {
                Some(e) => format!("Binding {} \u{2192} {}", self.name(e.from), self.name(e.to)),
                None => "A connection".into(),
            },
        }
    }

    fn name(&self, id: NodeId) -> String {
        self.topology.node(id).map(|n| n.name.clone()).unwrap_or_default()
    }

    /// The topology now, with producer changes made during the run.
    pub fn topology(&self) -> &Topology {
        &self.topology
    }

    /// The topology the run started from, which [`Sim::replay`] needs.
    pub fn initial_topology(&self) -> &Topology {
        &self.initial
    }

    /// Producers whose settings in `topology` differ from this run's: a
    /// producer's key, body, headers and rate change without a new run.
    pub fn producer_changes(&self, topology: &Topology) -> Vec<(NodeId, ProducerSettings)> {
        topology
            .nodes
            .iter()
            .filter_map(|n| match &n.config {
                NodeConfig::Producer(p) if self.topology.node(n.id).map(|o| &o.config) != Some(&n.config) => {
                    Some((n.id, p.clone()))
                }
                _ => None,
            })
            .collect()
    }

    /// Steps taken so far.
    pub fn tick(&self) -> u64 {
        self.tick
    }

    /// Logical time in milliseconds.
    pub fn now_ms(&self) -> u64 {
        self.tick * STEP_MS
    }

    /// The actions taken so far, stamped with their step.
    pub fn actions(&self) -> &[(u64, Action)] {
        &self.actions
    }

    /// Problems met while declaring the topology (engine errors in their words).
    pub fn problems(&self) -> &[String] {
        &self.problems
    }

    /// The most recent log lines, oldest first.
    pub fn log(&self) -> impl DoubleEndedIterator<Item = &LogEntry> {
        self.log.iter()
    }

    /// Messages currently travelling along edges.
    pub fn flights(&self) -> impl Iterator<Item = &Flight> {
        self.flights.iter()
    }

    /// Messages consumers have finished with, since the start.
    pub fn processed(&self) -> u64 {
        self.processed
    }

    /// A node's counters.
    pub fn counters(&self, id: NodeId) -> Counters {
        self.counters.get(&id).copied().unwrap_or_default()
    }

    /// Turns logging, histories and flights on or off (engines keep running).
    pub fn set_detail(&mut self, on: bool) {
        self.detail = on;
        self.rabbit.set_tracing(on);
        if !on {
            self.flights.clear();
        }
    }

    /// Does `action` now, and records it for replay.
    pub fn perform(&mut self, action: Action) {
        self.actions.push((self.tick, action.clone()));
        match action {
            Action::Publish(id) => self.publish(id, 1),
            Action::Burst(id) => {
                let n = match self.topology.node(id).map(|n| &n.config) {
                    Some(NodeConfig::Producer(p)) => p.burst.clamp(1, 1000),
                    _ => 1,
                };
                self.publish(id, n);
            }
            Action::SetProducer(id, settings) => {
                if let Some(node) = self.topology.nodes.iter_mut().find(|n| n.id == id) {
                    node.config = NodeConfig::Producer(settings);
                }
            }
            Action::CrashBroker(b) => self.kafka_command(kafka::Command::CrashBroker { broker: b }),
            Action::RestartBroker(b) => self.kafka_command(kafka::Command::RestartBroker { broker: b }),
            Action::RestartRabbit => {
                let events = self.rabbit.restart();
                self.absorb_rabbit(events);
                self.channel = None;
                for c in &mut self.amqp {
                    c.channel = None;
                    c.working.clear();
                    c.down_until = Some(self.tick * STEP_MS + 1_000);
                }
                let (topology, problems) = (self.topology.clone(), self.problems.len());
                self.ensure_channel();
                if let Some(ch) = self.channel {
                    for (_, command) in engine::rabbit_commands(&topology, ch) {
                        if let Ok(c) = command {
                            let _ = self.rabbit.apply(c);
                        }
                    }
                }
                self.problems.truncate(problems);
            }
        }
    }

    fn kafka_command(&mut self, command: kafka::Command) {
        let Some(cluster) = self.kafka.as_mut() else { return };
        let outcome = cluster.apply(command);
        self.absorb_kafka(outcome.events);
        if let Some(e) = outcome.error {
            self.note(Source::Kafka, e.to_string());
        }
    }

    fn note(&mut self, source: Source, text: String) {
        if !self.detail {
            return;
        }
        self.log_seq += 1;
        self.log.push_back(LogEntry { seq: self.log_seq, at_ms: self.now_ms(), source, text });
        if self.log.len() > LOG_CAP {
            self.log.pop_front();
        }
    }

    fn fly(&mut self, edge: Option<EdgeId>, message: MessageRef) {
        if !self.detail {
            return;
        }
        if let Some(edge) = edge {
            self.flights.push_back(Flight { edge, start_ms: self.now_ms(), message });
            if self.flights.len() > MAX_FLIGHTS {
                self.flights.pop_front();
            }
        }
    }

    fn count(&mut self, id: Option<NodeId>, sent: u64, received: u64) {
        if let Some(id) = id {
            let c = self.counters.entry(id).or_default();
            c.sent += sent;
            c.received += received;
        }
    }

    fn node_id(&self, kind: NodeKind, name: &str) -> Option<NodeId> {
        self.topology.named(kind, name).map(|n| n.id)
    }

    fn edge_between(&self, from: Option<NodeId>, to: Option<NodeId>) -> Option<EdgeId> {
        let (from, to) = (from?, to?);
        self.topology.edges.iter().find(|e| e.from == from && e.to == to).map(|e| e.id)
    }

    fn publish(&mut self, producer: NodeId, times: u32) {
        let Some(node) = self.topology.node(producer) else { return };
        let NodeConfig::Producer(settings) = node.config.clone() else { return };
        let pname = node.name.clone();
        let targets: Vec<(EdgeId, EdgeRole, String)> = self
            .topology
            .outgoing(producer)
            .filter_map(|e| self.topology.node(e.to).map(|n| (e.id, e.role, n.name.clone())))
            .collect();
        if targets.is_empty() {
            self.note(Source::Playground, format!("{pname} is not connected to an exchange, queue or topic."));
            return;
        }
        let pairs = match parse_pairs(&settings.headers) {
            Ok(p) => p,
            Err(e) => {
                self.note(Source::Playground, format!("{pname}: headers: {e}"));
                return;
            }
        };
        for _ in 0..times {
            for (edge, role, target) in &targets {
                match role {
                    EdgeRole::Publish | EdgeRole::PublishToQueue => {
                        self.ensure_channel();
                        let Some(channel) = self.channel else { return };
                        let (exchange, key) = if *role == EdgeRole::Publish {
                            (target.clone(), settings.routing_key.clone())
                        } else {
                            (String::new(), target.clone())
                        };
                        let mut properties = BasicProperties::default();
                        if !pairs.is_empty() {
                            properties.headers =
                                Some(pairs.iter().map(|(k, v)| (k.clone(), rabbit::FieldValue::str(v))).collect());
                        }
                        self.publishing = Some((producer, *edge));
                        self.pending_publish = Some((key.clone(), settings.body.clone()));
                        let result = self.rabbit.apply(rabbit::Command::BasicPublish {
                            channel,
                            exchange,
                            routing_key: key,
                            mandatory: false,
                            properties,
                            body: settings.body.clone(),
                        });
                        let result = result.into_result();
                        self.count(Some(producer), 1, 0);
                        match result {
                            Ok(events) => self.absorb_rabbit(events),
                            Err(e) => {
                                self.channel = None;
                                self.note(Source::Rabbit, format!("{pname}: {e}"));
                            }
                        }
                        self.publishing = None;
                        self.pending_trace = None;
                        self.pending_publish = None;
                    }
                    EdgeRole::Produce => {
                        let mut record = if settings.routing_key.is_empty() {
                            kafka::ProducerRecord::unkeyed(target.clone(), &settings.body)
                        } else {
                            kafka::ProducerRecord::keyed(target.clone(), &settings.routing_key, &settings.body)
                        };
                        record.headers = pairs
                            .iter()
                            .map(|(k, v)| kafka::Header { key: k.clone(), value: Some(v.as_bytes().to_vec()) })
                            .collect();
                        let Some(cluster) = self.kafka.as_mut() else { return };
                        let result = cluster.produce(&pname, record);
                        self.count(Some(producer), 1, 0);
                        match result {
                            Ok((_, events)) => self.absorb_kafka(events),
                            Err(e) => self.note(Source::Kafka, format!("{pname}: {e}")),
                        }
                    }
                    _ => {}
                }
            }
        }
    }

    /// Advances both engines by one step and lets every client act.
    pub fn step(&mut self) {
        self.tick += 1;
        let now = self.now_ms();
        // Producers with a rate publish on a credit of milli-messages, so
        // any rate spreads evenly over steps without floating point.
        let producers: Vec<(NodeId, u32)> = self
            .topology
            .nodes
            .iter()
            .filter_map(|n| match &n.config {
                NodeConfig::Producer(p) if p.rate > 0 => Some((n.id, p.rate)),
                _ => None,
            })
            .collect();
        for (id, rate) in producers {
            let credit = self.credit.entry(id).or_default();
            *credit += u64::from(rate) * STEP_MS;
            let due = *credit / 1000;
            *credit %= 1000;
            if due > 0 {
                self.publish(id, due.min(100_000) as u32);
            }
        }
        let events = self.rabbit.tick(STEP_MS);
        self.absorb_rabbit(events);
        for i in 0..self.amqp.len() {
            self.run_amqp_consumer(i, now);
        }
        if let Some(cluster) = self.kafka.as_mut() {
            match cluster.tick(STEP_MS) {
                Ok(events) => self.absorb_kafka(events),
                Err(e) => self.note(Source::Kafka, e.to_string()),
            }
        }
        for i in 0..self.kafka_consumers.len() {
            self.run_kafka_consumer(i, now);
        }
        if self.detail {
            while self.flights.front().is_some_and(|f| f.start_ms + FLIGHT_MS < now) {
                self.flights.pop_front();
            }
        }
        if self.tick.is_multiple_of(10) {
            for (id, c) in &mut self.counters {
                let base = self.rate_base.entry(*id).or_default();
                c.sent_rate = c.sent - base.0;
                c.received_rate = c.received - base.1;
                *base = (c.sent, c.received);
            }
        }
    }

    fn run_amqp_consumer(&mut self, i: usize, now: u64) {
        if let Some(until) = self.amqp[i].down_until {
            if now >= until {
                self.start_consumer(i);
            }
            return;
        }
        let Some(channel) = self.amqp[i].channel else { return };
        while let Some(&(tag, due, id)) = self.amqp[i].working.front() {
            if due > now {
                break;
            }
            self.amqp[i].working.pop_front();
            let c = &self.amqp[i];
            let (node, failure, ack) = (c.node, c.failure, c.ack);
            let result = match (failure, ack) {
                (Failure::Crash, _) => {
                    let events = self.rabbit.apply(rabbit::Command::CloseChannel { channel });
                    self.history(id, format!("consumer {} crashed while processing it", self.amqp[i].tag));
                    self.note(Source::Playground, format!("{} crashed; it restarts in 1 s", self.title(node)));
                    let c = &mut self.amqp[i];
                    c.channel = None;
                    c.working.clear();
                    c.down_until = Some(now + 1_000);
                    self.absorb_rabbit(events.events);
                    return;
                }
                (_, AckMode::Auto) => Ok(Vec::new()),
                (Failure::Nack, AckMode::Manual) => self
                    .rabbit
                    .apply(rabbit::Command::BasicNack { channel, delivery_tag: tag, multiple: false, requeue: false })
                    .into_result(),
                (_, AckMode::Manual) => self
                    .rabbit
                    .apply(rabbit::Command::BasicAck { channel, delivery_tag: tag, multiple: false })
                    .into_result(),
            };
            self.processed += 1;
            self.amqp[i].done += 1;
            match result {
                Ok(events) => self.absorb_rabbit(events),
                Err(e) => self.note(Source::Rabbit, format!("{}: {e}", self.title(node))),
            }
        }
    }

    fn run_kafka_consumer(&mut self, i: usize, now: u64) {
        let c = &self.kafka_consumers[i];
        if c.crashed || c.busy_until > now {
            return;
        }
        let (name, node, failure, processing) = (c.name.clone(), c.node, c.failure, c.processing_ms);
        let Some(cluster) = self.kafka.as_mut() else { return };
        let Ok((records, events)) = cluster.poll(&name, None) else { return };
        self.absorb_kafka(events);
        if records.is_empty() {
            return;
        }
        if failure == Failure::Crash {
            self.kafka_consumers[i].crashed = true;
            self.note(Source::Playground, format!("{} crashed before committing", self.title(node)));
            self.kafka_command(kafka::Command::CrashConsumer { consumer: name });
            return;
        }
        if failure == Failure::Nack {
            // Kafka has no per-record nack. A consumer that fails a record
            // and wants it again does not commit and seeks back to it, so
            // its partition makes no progress until the failure is fixed.
            let mut first: BTreeMap<(String, u32), i64> = BTreeMap::new();
            for r in &records {
                first.entry((r.topic.clone(), r.partition)).or_insert(r.offset);
            }
            self.kafka_consumers[i].busy_until = now + processing.max(1) * records.len() as u64;
            for ((topic, partition), offset) in first {
                self.note(
                    Source::Kafka,
                    format!(
                        "{name} failed offset {offset} of {topic}-{partition}; Kafka has no nack, so it did not commit and sought back to offset {offset}"
                    ),
                );
                self.kafka_command(kafka::Command::Seek {
                    consumer: name.clone(),
                    partition: kafka::TopicPartition::new(topic, partition),
                    to: kafka::SeekTo::Offset(offset),
                });
            }
            return;
        }
        let factor = if failure == Failure::Slow { 5 } else { 1 };
        let n = records.len() as u64;
        self.kafka_consumers[i].busy_until = now + processing * factor * n;
        self.kafka_consumers[i].done += n;
        self.processed += n;
        self.count(Some(node), 0, n);
        if let Some(cluster) = self.kafka.as_mut() {
            match cluster.commit(&name, None) {
                Ok(events) => self.absorb_kafka(events),
                Err(e) => self.note(Source::Kafka, format!("{name}: {e}")),
            }
        }
    }

    fn history(&mut self, id: MessageId, line: String) {
        if !self.detail {
            return;
        }
        let line = format!("{} ms: {line}", self.now_ms());
        self.histories.entry(id).or_default().lines.push(line);
        if self.histories.len() > HISTORY_CAP
            && let Some(first) = self.histories.keys().next().copied()
        {
            self.histories.remove(&first);
        }
    }

    fn absorb_rabbit(&mut self, events: Vec<rabbit::Event>) {
        use rabbit::Event as E;
        for event in events {
            match event {
                E::Published { exchange, routing_key, queues, trace, .. } => {
                    let xid = self.node_id(NodeKind::Exchange, &exchange);
                    self.count(xid, 0, 1);
                    if let Some((producer, edge)) = self.publishing {
                        self.fly(Some(edge), MessageRef::Rabbit(0));
                        let x = if exchange.is_empty() { "the default exchange".to_string() } else { exchange };
                        let to = if queues.is_empty() { "no queue matched".to_string() } else { queues.join(", ") };
                        let who = self.name(producer);
                        self.note(
                            Source::Rabbit,
                            format!("{who} published \u{201c}{routing_key}\u{201d} to {x} \u{2192} {to}"),
                        );
                    }
                    self.pending_trace = trace;
                }
                E::Enqueued { queue, message_id, cause: rabbit::EnqueueCause::Requeue { .. }, .. } => {
                    self.history(message_id, format!("returned to {queue} for redelivery"));
                    self.note(Source::Rabbit, format!("message #{message_id} requeued in {queue}"));
                }
                E::Enqueued { queue, message_id, .. } => {
                    let qid = self.node_id(NodeKind::Queue, &queue);
                    self.count(qid, 0, 1);
                    if let Some((producer, _)) = self.publishing {
                        let pname = self.name(producer);
                        if self.detail {
                            let (key, body) = self.pending_publish.clone().unwrap_or_default();
                            let h = self.histories.entry(message_id).or_default();
                            h.routing_key = key;
                            h.body = body;
                            h.trace = self.pending_trace.as_deref().cloned();
                        }
                        self.history(message_id, format!("published by {pname}"));
                        // The message reached the queue through a binding
                        // from an exchange this publish visited, or directly.
                        let visited: Vec<String> = self
                            .pending_trace
                            .as_ref()
                            .map(|t| t.exchanges.iter().map(|x| x.exchange.clone()).collect())
                            .unwrap_or_default();
                        let edge = self.topology.edges.iter().find(|e| {
                            Some(e.to) == qid
                                && (e.role == EdgeRole::PublishToQueue && e.from == producer
                                    || e.role == EdgeRole::QueueBinding && visited.contains(&self.name(e.from)))
                        });
                        let edge = edge.map(|e| e.id);
                        self.fly(edge, MessageRef::Rabbit(message_id));
                    }
                    self.history(message_id, format!("enqueued in {queue}"));
                }
                E::Delivered { consumer_tag, delivery_tag, queue, message, .. } => {
                    let now = self.now_ms();
                    if let Some(c) = self.amqp.iter_mut().find(|c| c.tag == consumer_tag) {
                        let factor = if c.failure == Failure::Slow { 5 } else { 1 };
                        let due = c.busy_until.max(now) + c.processing_ms * factor;
                        c.busy_until = due;
                        c.working.push_back((delivery_tag, due, message.id));
                    }
                    let (qid, cid) =
                        (self.node_id(NodeKind::Queue, &queue), self.node_id(NodeKind::Consumer, &consumer_tag));
                    self.count(qid, 1, 0);
                    self.count(cid, 0, 1);
                    self.fly(self.edge_between(qid, cid), MessageRef::Rabbit(message.id));
                    let again = if message.redelivered { " (redelivered)" } else { "" };
                    self.history(
                        message.id,
                        format!("delivered to {consumer_tag}, delivery tag {delivery_tag}{again}"),
                    );
                }
                E::GetOk { queue, message, .. } => {
                    self.history(message.id, format!("fetched from {queue} with basic.get"));
                }
                E::Acked { queue, message_id, .. } => {
                    self.history(message_id, format!("acknowledged; removed from {queue}"))
                }
                E::DeadLettered { queue, message_id, reason, exchange, new_ids, .. } => {
                    let line = format!("dead-lettered from {queue} ({}) to exchange {exchange}", reason.as_str());
                    self.note(Source::Rabbit, format!("message #{message_id} {line}"));
                    self.history(message_id, line);
                    if self.detail {
                        let old = self.histories.get(&message_id).cloned().unwrap_or_default();
                        for new in new_ids {
                            let mut h = old.clone();
                            if let Some(existing) = self.histories.remove(&new) {
                                h.lines.extend(existing.lines);
                            }
                            self.histories.insert(new, h);
                        }
                    }
                }
                E::Dropped { queue, message_id, reason, .. } => {
                    let q = queue.unwrap_or_default();
                    self.note(Source::Rabbit, format!("message dropped at {q}: {reason:?}"));
                    if let Some(id) = message_id {
                        self.history(id, format!("dropped at {q}: {reason:?}"));
                    }
                }
                E::Expired { queue, message_id, .. } => {
                    self.history(message_id, format!("expired in {queue} (TTL)"));
                    self.note(Source::Rabbit, format!("message #{message_id} expired in {queue}"));
                }
                E::Returned { reply_code, reply_text, routing_key, .. } => {
                    self.note(
                        Source::Rabbit,
                        format!("returned {reply_code} {reply_text} for \u{201c}{routing_key}\u{201d}"),
                    );
                }
                E::ChannelClosed { error: Some(e), .. } | E::ConnectionClosed { error: Some(e), .. } => {
                    self.note(Source::Rabbit, e.to_string());
                }
                E::ConsumerCancelled { consumer_tag, by_broker: true, .. } => {
                    self.note(Source::Rabbit, format!("the broker cancelled consumer {consumer_tag}"));
                }
                E::BrokerRestarted => self.note(Source::Rabbit, "the RabbitMQ broker restarted".into()),
                _ => {}
            }
        }
    }

    fn absorb_kafka(&mut self, events: Vec<kafka::Event>) {
        use kafka::Event as E;
        for event in events {
            match event {
                E::RecordAppended { producer, topic, partition, offset, leader, retry, .. } => {
                    let (pid, tid) =
                        (self.node_id(NodeKind::Producer, &producer), self.node_id(NodeKind::Topic, &topic));
                    self.count(tid, 0, 1);
                    self.fly(
                        self.edge_between(pid, tid),
                        MessageRef::Kafka { topic: topic.clone(), partition, offset },
                    );
                    let again = if retry { " (retry)" } else { "" };
                    self.note(
                        Source::Kafka,
                        format!(
                            "{producer} wrote {topic}-{partition} offset {offset} on leader broker {leader}{again}"
                        ),
                    );
                }
                E::ProduceFailed { producer, topic, partition, error, will_retry } => {
                    let next = if will_retry { "; will retry" } else { "" };
                    self.note(Source::Kafka, format!("{producer} to {topic}-{partition} failed: {error:?}{next}"));
                }
                E::LeaderElected { topic, partition, leader, leader_epoch, unclean, .. } => {
                    let how = if unclean { " (unclean)" } else { "" };
                    self.note(
                        Source::Kafka,
                        format!("{topic}-{partition}: broker {leader} is leader, epoch {leader_epoch}{how}"),
                    );
                }
                E::PartitionOffline { topic, partition } => {
                    self.note(Source::Kafka, format!("{topic}-{partition} is offline: no replica can lead"));
                }
                E::BrokerCrashed { broker } => self.note(Source::Kafka, format!("broker {broker} crashed")),
                E::BrokerRestarted { broker } => self.note(Source::Kafka, format!("broker {broker} restarted")),
                E::IsrShrunk { topic, partition, broker, isr, .. } => {
                    self.note(Source::Kafka, format!("{topic}-{partition}: broker {broker} left the ISR {isr:?}"));
                }
                E::IsrExpanded { topic, partition, broker, isr } => {
                    self.note(Source::Kafka, format!("{topic}-{partition}: broker {broker} rejoined the ISR {isr:?}"));
                }
                E::RecordsTruncated { topic, partition, from, to, acknowledged_lost, .. } => {
                    self.note(
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
                    self.note(Source::Kafka, format!("{group} generation {generation}: {}", parts.join("; ")));
                }
                E::MemberLeft { group, member, reason } => {
                    self.note(Source::Kafka, format!("{member} left {group}: {reason:?}"));
                }
                E::RecordsFetched { consumer, partition, from, to, count, .. } => {
                    let cid = self.node_id(NodeKind::Consumer, &consumer);
                    let tid = self.node_id(NodeKind::Topic, &partition.topic);
                    let gid = cid
                        .and_then(|c| self.topology.incoming(c).find(|e| e.role == EdgeRole::Member))
                        .map(|e| e.from);
                    let message = MessageRef::Kafka {
                        topic: partition.topic.clone(),
                        partition: partition.partition,
                        offset: to,
                    };
                    self.fly(self.edge_between(tid, gid), message.clone());
                    self.fly(self.edge_between(gid, cid), message);
                    self.count(tid, count.into(), 0);
                    self.note(Source::Kafka, format!("{consumer} fetched {} offsets {from}..={to}", tp(&partition)));
                }
                _ => {}
            }
        }
    }

    /// The history of an AMQP message copy.
    pub fn message(&self, id: MessageId) -> Option<&MessageHistory> {
        self.histories.get(&id)
    }

    /// A queue as the RabbitMQ engine sees it.
    pub fn queue(&self, name: &str) -> Option<rabbit::QueueView> {
        self.rabbit.queue(VHOST, name)
    }

    /// What a consumer node is doing.
    pub fn consumer(&self, id: NodeId) -> Option<ConsumerStatus> {
        if let Some(c) = self.amqp.iter().find(|c| c.node == id) {
            return Some(ConsumerStatus {
                working: c.working.len(),
                done: c.done,
                down: c.channel.is_none(),
                assignment: None,
            });
        }
        let c = self.kafka_consumers.iter().find(|c| c.node == id)?;
        let view = self.kafka.as_ref()?.consumer(&c.name).ok();
        Some(ConsumerStatus {
            working: 0,
            done: c.done,
            down: c.crashed,
            assignment: Some(view.map(|v| v.assignment.iter().map(tp).collect()).unwrap_or_default()),
        })
    }

    /// The Kafka cluster, when the topology has one.
    pub fn cluster(&self) -> Option<&kafka::Cluster> {
        self.kafka.as_ref()
    }
}

/// `topic-partition`, the way Kafka's tools print a partition.
pub fn tp(p: &kafka::TopicPartition) -> String {
    format!("{}-{}", p.topic, p.partition)
}

/// Puts the run's current setup channel into a command built before the
/// channel was known (an earlier error may have replaced the channel).
fn with_channel(command: rabbit::Command, channel: Option<ChannelId>) -> rabbit::Command {
    use rabbit::Command as C;
    let Some(ch) = channel else { return command };
    match command {
        C::ExchangeDeclare { exchange, kind, passive, durable, auto_delete, internal, arguments, .. } => {
            C::ExchangeDeclare { channel: ch, exchange, kind, passive, durable, auto_delete, internal, arguments }
        }
        C::QueueDeclare { queue, passive, durable, exclusive, auto_delete, arguments, .. } => {
            C::QueueDeclare { channel: ch, queue, passive, durable, exclusive, auto_delete, arguments }
        }
        C::QueueBind { queue, exchange, routing_key, arguments, .. } => {
            C::QueueBind { channel: ch, queue, exchange, routing_key, arguments }
        }
        C::ExchangeBind { destination, source, routing_key, arguments, .. } => {
            C::ExchangeBind { channel: ch, destination, source, routing_key, arguments }
        }
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::playground::model::{ConsumerSettings, Playground, TopicSettings};
    use brokerlab_rabbit::ExchangeKind;

    /// The topology of the first browser test: a producer, a topic
    /// exchange and two queues bound with `eu.#` and `*.orders`.
    fn topic_routing() -> (Playground, NodeId) {
        let mut p = Playground::default();
        let prod = p.add_node(NodeKind::Producer, None);
        let x = p.add_exchange(ExchangeKind::Topic, None);
        let q1 = p.add_node(NodeKind::Queue, None);
        let q2 = p.add_node(NodeKind::Queue, None);
        p.connect(prod, x).unwrap();
        let b1 = p.connect(x, q1).unwrap();
        p.set_binding(b1, "eu.#", "").unwrap();
        let b2 = p.connect(x, q2).unwrap();
        p.set_binding(b2, "*.orders", "").unwrap();
        (p, prod)
    }

    fn set_key(p: &mut Playground, prod: NodeId, key: &str) {
        let NodeConfig::Producer(mut s) = p.topology.node(prod).unwrap().config.clone() else { unreachable!() };
        s.routing_key = key.into();
        p.configure(prod, NodeConfig::Producer(s)).unwrap();
    }

    fn depth(sim: &Sim, q: &str) -> usize {
        sim.queue(q).unwrap().messages.len()
    }

    #[test]
    fn topic_bindings_route_as_rabbitmq_does() {
        let (mut p, prod) = topic_routing();
        set_key(&mut p, prod, "eu.orders");
        let mut sim = Sim::new(&p.topology);
        assert!(sim.problems().is_empty(), "{:?}", sim.problems());
        sim.perform(Action::Publish(prod));
        assert_eq!((depth(&sim, "q1"), depth(&sim, "q2")), (1, 1));
        set_key(&mut p, prod, "eu.sales.q1");
        let mut sim = Sim::new(&p.topology);
        sim.perform(Action::Publish(prod));
        assert_eq!((depth(&sim, "q1"), depth(&sim, "q2")), (1, 0));
        let id = sim.queue("q1").unwrap().messages[0].id;
        let history = sim.message(id).unwrap();
        let trace = history.trace.as_ref().unwrap();
        assert!(trace.exchanges[0].bindings.iter().any(|b| b.matched && b.binding.routing_key == "eu.#"));
        assert!(trace.exchanges[0].bindings.iter().any(|b| !b.matched && b.binding.routing_key == "*.orders"));
    }

    #[test]
    fn changing_a_producers_key_keeps_the_run() {
        let (mut p, prod) = topic_routing();
        set_key(&mut p, prod, "eu.orders");
        let mut sim = Sim::new(&p.topology);
        sim.perform(Action::Publish(prod));
        set_key(&mut p, prod, "eu.sales.q1");
        for (id, settings) in sim.producer_changes(&p.topology) {
            sim.perform(Action::SetProducer(id, settings));
        }
        assert!(sim.producer_changes(&p.topology).is_empty());
        sim.perform(Action::Publish(prod));
        assert_eq!((depth(&sim, "q1"), depth(&sim, "q2")), (2, 1));
        let replayed = Sim::replay(sim.initial_topology(), sim.actions(), sim.tick());
        assert_eq!((depth(&replayed, "q1"), depth(&replayed, "q2")), (2, 1));
    }

    #[test]
    fn consumers_drain_a_queue_and_acknowledge() {
        let mut p = Playground::default();
        let prod = p.add_node(NodeKind::Producer, None);
        let q = p.add_node(NodeKind::Queue, None);
        let c = p.add_node(NodeKind::Consumer, None);
        p.connect(prod, q).unwrap();
        p.connect(c, q).unwrap();
        let mut sim = Sim::new(&p.topology);
        sim.perform(Action::Burst(prod));
        for _ in 0..100 {
            sim.step();
        }
        let view = sim.queue("q1").unwrap();
        assert_eq!((view.messages.len(), view.unacked), (0, 0));
        assert_eq!(sim.consumer(c).unwrap().done, 10);
    }

    #[test]
    fn nacked_messages_go_to_the_dead_letter_exchange() {
        let mut p = Playground::default();
        let prod = p.add_node(NodeKind::Producer, None);
        let work = p.add_node(NodeKind::Queue, None);
        let dlx = p.add_exchange(ExchangeKind::Fanout, None);
        let dead = p.add_node(NodeKind::Queue, None);
        let c = p.add_node(NodeKind::Consumer, None);
        p.rename(dlx, "dlx").unwrap();
        p.connect(prod, work).unwrap();
        p.connect(dlx, dead).unwrap();
        p.connect(work, c).unwrap();
        let q = crate::playground::model::QueueSettings { dead_letter_exchange: "dlx".into(), ..Default::default() };
        p.configure(work, NodeConfig::Queue(q)).unwrap();
        p.configure(c, NodeConfig::Consumer(ConsumerSettings { failure: Failure::Nack, ..Default::default() }))
            .unwrap();
        let mut sim = Sim::new(&p.topology);
        sim.perform(Action::Publish(prod));
        for _ in 0..10 {
            sim.step();
        }
        let dead = sim.queue("q2").unwrap();
        assert_eq!(dead.messages.len(), 1);
        let lines = &sim.message(dead.messages[0].id).unwrap().lines;
        assert!(lines.iter().any(|l| l.contains("dead-lettered from q1")), "{lines:?}");
    }

    #[test]
    fn a_failing_kafka_consumer_seeks_back_and_its_partitions_stall() {
        let (mut p, cs, prod) = kafka_group(1, 1, 1);
        p.configure(cs[0], NodeConfig::Consumer(ConsumerSettings { failure: Failure::Nack, ..Default::default() }))
            .unwrap();
        let mut sim = Sim::new(&p.topology);
        sim.perform(Action::Burst(prod));
        for _ in 0..40 {
            sim.step();
        }
        let cluster = sim.cluster().unwrap();
        let group = cluster.group("g1").unwrap();
        assert!(group.committed.iter().all(|(_, offset)| *offset == 0), "{:?}", group.committed);
        let lag: i64 = cluster.group_lag("g1").iter().map(|l| l.lag).sum();
        assert_eq!(lag, 10, "the burst's ten records all wait");
        assert_eq!(sim.consumer(cs[0]).unwrap().done, 0);
        assert!(sim.log().any(|l| l.text.contains("Kafka has no nack")), "the log says why");
    }

    fn kafka_group(consumers: usize, brokers: usize, rf: u32) -> (Playground, Vec<NodeId>, NodeId) {
        let mut p = Playground::default();
        for _ in 0..brokers {
            p.add_node(NodeKind::Broker, None);
        }
        let prod = p.add_node(NodeKind::Producer, None);
        let t = p.add_node(NodeKind::Topic, None);
        p.configure(t, NodeConfig::Topic(TopicSettings { partitions: 2, replication_factor: rf })).unwrap();
        let g = p.add_node(NodeKind::Group, None);
        p.connect(prod, t).unwrap();
        p.connect(t, g).unwrap();
        let cs = (0..consumers)
            .map(|_| {
                let c = p.add_node(NodeKind::Consumer, None);
                p.connect(c, g).unwrap();
                c
            })
            .collect();
        (p, cs, prod)
    }

    #[test]
    fn a_third_consumer_on_two_partitions_is_idle() {
        let (p, cs, _) = kafka_group(3, 1, 1);
        let mut sim = Sim::new(&p.topology);
        for _ in 0..5 {
            sim.step();
        }
        let idle: Vec<_> = cs.iter().filter(|c| sim.consumer(**c).unwrap().assignment.unwrap().is_empty()).collect();
        assert_eq!(idle.len(), 1, "{:?}", sim.log().map(|l| &l.text).collect::<Vec<_>>());
    }

    #[test]
    fn crashing_the_leader_moves_leadership() {
        let (p, _, _) = kafka_group(1, 3, 3);
        let mut sim = Sim::new(&p.topology);
        let leader = sim.cluster().unwrap().partition("t1", 0).unwrap().leader.unwrap();
        sim.perform(Action::CrashBroker(leader));
        sim.step();
        let after = sim.cluster().unwrap().partition("t1", 0).unwrap().leader;
        assert!(after.is_some() && after != Some(leader));
    }

    #[test]
    fn replaying_the_actions_rebuilds_the_same_run() {
        let (mut p, cs, prod) = kafka_group(2, 3, 3);
        let NodeConfig::Producer(mut s) = p.topology.node(prod).unwrap().config.clone() else { unreachable!() };
        s.rate = 7;
        p.configure(prod, NodeConfig::Producer(s)).unwrap();
        let mut live = Sim::new(&p.topology);
        for i in 0..60 {
            if i == 20 {
                live.perform(Action::CrashBroker(1));
            }
            if i == 30 {
                live.perform(Action::Burst(prod));
            }
            live.step();
        }
        let again = Sim::replay(&p.topology, live.actions(), live.tick());
        let log = |s: &Sim| s.log().map(|l| l.text.clone()).collect::<Vec<_>>();
        assert_eq!(log(&live), log(&again), "seed {}", p.topology.seed);
        assert_eq!(live.consumer(cs[0]), again.consumer(cs[0]));
        let earlier = Sim::replay(&p.topology, live.actions(), 25);
        assert_eq!(earlier.tick(), 25);
        assert!(!earlier.cluster().unwrap().brokers()[1].alive);
    }

    #[test]
    fn a_bad_binding_is_reported_not_fatal() {
        let mut p = Playground::default();
        let x = p.add_exchange(ExchangeKind::Headers, None);
        let q = p.add_node(NodeKind::Queue, None);
        let e = p.connect(x, q).unwrap();
        p.set_binding(e, "", "x-match=sometimes").unwrap();
        let sim = Sim::new(&p.topology);
        assert_eq!(sim.problems().len(), 1, "{:?}", sim.problems());
        assert!(sim.problems()[0].starts_with("Binding x1 \u{2192} q1"));
    }
}

/// A labelled list of messages a node shows, each a button on the page.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ItemList {
    /// The list's accessible name, e.g. "Messages in queue q1".
    pub label: String,
    /// A line above the list (a partition's leader, ISR and high watermark).
    pub caption: String,
    pub items: Vec<(MessageRef, String)>,
    /// How many more are not shown.
    pub more: usize,
}

/// Everything a node shows of the run, compared between frames so a node
/// redraws only when its numbers change.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Readout {
    pub lines: Vec<String>,
    pub lists: Vec<ItemList>,
    /// A crashed broker or consumer.
    pub down: bool,
}

/// What the message inspector shows.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Explanation {
    pub title: String,
    pub facts: Vec<String>,
    /// The routing decision, one line per binding or reader, with whether it matched.
    pub decisions: Vec<(bool, String)>,
    pub history: Vec<String>,
}

/// Items a node lists before it says "and N more".
const SHOWN: usize = 8;

impl Sim {
    /// What node `id` shows now.
    pub fn readout(&self, id: NodeId) -> Readout {
        let Some(node) = self.topology.node(id) else { return Readout::default() };
        let c = self.counters(id);
        let traffic = |sent: bool| {
            if sent {
                format!("sent {} \u{b7} {}/s", c.sent, c.sent_rate)
            } else {
                format!("in {} \u{b7} out {} \u{b7} {}/s", c.received, c.sent, c.received_rate)
            }
        };
        let mut r = Readout::default();
        match &node.config {
            NodeConfig::Producer(_) => r.lines.push(traffic(true)),
            NodeConfig::Exchange(_) => r.lines.push(format!("routed {} \u{b7} {}/s", c.received, c.received_rate)),
            NodeConfig::Queue(_) => {
                if let Some(q) = self.queue(&node.name) {
                    r.lines.push(format!("ready {} \u{b7} unacked {}", q.ready, q.unacked));
                    r.lists.push(ItemList {
                        label: format!("Messages in queue {}", node.name),
                        caption: String::new(),
                        items: q
                            .messages
                            .iter()
                            .take(SHOWN)
                            .map(|m| (MessageRef::Rabbit(m.id), format!("#{} {}", m.id, m.routing_key)))
                            .collect(),
                        more: q.messages.len().saturating_sub(SHOWN),
                    });
                }
                r.lines.push(traffic(false));
            }
            NodeConfig::Consumer(_) => match self.consumer(id) {
                Some(s) => {
                    r.down = s.down;
                    match &s.assignment {
                        _ if s.down => r.lines.push("down (crashed)".into()),
                        Some(a) if a.is_empty() => r.lines.push("idle: no partitions".into()),
                        Some(a) => r.lines.push(format!("partitions {}", a.join(" "))),
                        None => r.lines.push(format!("processing {}", s.working)),
                    }
                    r.lines.push(format!("done {} \u{b7} {}/s", s.done, c.received_rate));
                }
                None => r.lines.push("not connected".into()),
            },
            NodeConfig::Broker => {
                let b = self
                    .topology
                    .broker_id(id)
                    .and_then(|b| self.kafka.as_ref().and_then(|k| k.brokers().into_iter().find(|v| v.id == b)));
                match b {
                    Some(b) if b.alive => r.lines.push(format!("running \u{b7} leads {}", b.leader_count)),
                    Some(_) => {
                        r.down = true;
                        r.lines.push("crashed".into());
                    }
                    None => r.lines.push("not in a cluster".into()),
                }
            }
            NodeConfig::Topic(_) => {
                let Some(topic) = self.kafka.as_ref().and_then(|k| k.topic(&node.name).ok()) else {
                    r.lines.push("not created".into());
                    return r;
                };
                r.lines.push(format!("in {} \u{b7} {}/s", c.received, c.received_rate));
                for p in &topic.partitions {
                    let leader = p.leader.map_or("none".to_string(), |l| l.to_string());
                    let replicas: Vec<String> = p.replicas.iter().map(|r| r.broker.to_string()).collect();
                    let isr: Vec<String> = p.isr.iter().map(u32::to_string).collect();
                    let records =
                        self.kafka.as_ref().and_then(|k| k.records(&node.name, p.partition).ok()).unwrap_or_default();
                    let shown = records.len().saturating_sub(SHOWN);
                    r.lists.push(ItemList {
                        label: format!("Records in {} partition {}", node.name, p.partition),
                        caption: format!(
                            "P{} \u{b7} leader {leader} \u{b7} replicas {} \u{b7} ISR {} \u{b7} HW {}",
                            p.partition,
                            replicas.join(","),
                            isr.join(","),
                            p.high_watermark
                        ),
                        items: records[shown..]
                            .iter()
                            .map(|rec| {
                                let key = rec.data.key.as_deref().map(String::from_utf8_lossy).unwrap_or_default();
                                (
                                    MessageRef::Kafka {
                                        topic: node.name.clone(),
                                        partition: p.partition,
                                        offset: rec.offset,
                                    },
                                    format!("{} {key}", rec.offset),
                                )
                            })
                            .collect(),
                        more: shown,
                    });
                }
            }
            NodeConfig::Group => {
                let Some(g) = self.kafka.as_ref().and_then(|k| k.group(&node.name)) else {
                    r.lines.push("no members yet".into());
                    return r;
                };
                r.lines.push(format!("generation {}", g.generation));
                for m in &g.members {
                    let parts: Vec<String> = m.assignment.iter().map(tp).collect();
                    let what = if parts.is_empty() { "idle".to_string() } else { parts.join(" ") };
                    r.lines.push(format!("{}: {what}", m.member_id));
                }
                for l in &g.lag {
                    let committed = l.committed.map_or("none".to_string(), |c| c.to_string());
                    r.lines.push(format!("{} committed {committed} \u{b7} lag {}", tp(&l.partition), l.lag));
                }
            }
        }
        r
    }

    /// Everything known about one message.
    pub fn explain(&self, message: &MessageRef) -> Option<Explanation> {
        match message {
            MessageRef::Rabbit(id) => {
                let h = self.histories.get(id)?;
                let mut e = Explanation {
                    title: format!("Message #{id}"),
                    facts: vec![
                        format!("routing key \u{201c}{}\u{201d}", h.routing_key),
                        format!("body \u{201c}{}\u{201d}", h.body),
                    ],
                    decisions: Vec::new(),
                    history: h.lines.clone(),
                };
                if let Some(trace) = &h.trace {
                    for x in &trace.exchanges {
                        let name = if x.exchange.is_empty() { "(default)" } else { x.exchange.as_str() };
                        e.facts.push(format!("exchange {name} ({})", x.kind.as_str()));
                        for b in &x.bindings {
                            e.decisions.push((
                                b.matched,
                                format!(
                                    "{} \u{2192} {} with \u{201c}{}\u{201d}: {}",
                                    name, b.binding.destination, b.binding.routing_key, b.reason
                                ),
                            ));
                        }
                    }
                    e.facts.push(format!("outcome: {:?}, queues: {}", trace.outcome, trace.queues.join(", ")));
                }
                Some(e)
            }
            MessageRef::Kafka { topic, partition, offset } => {
                let k = self.kafka.as_ref()?;
                let why = k.explain_record(topic, *partition, *offset).ok()?;
                let record = k.record(topic, *partition, *offset).ok().flatten();
                let mut facts = vec![why.placement.clone(), why.replication_summary.clone()];
                if let Some(r) = record {
                    let value = r.data.value.as_deref().map(String::from_utf8_lossy).unwrap_or_default();
                    facts.insert(0, format!("value \u{201c}{value}\u{201d}, timestamp {} ms", r.timestamp));
                }
                Some(Explanation {
                    title: format!("Record {topic}-{partition} offset {offset}"),
                    facts,
                    decisions: why.readers.iter().map(|r| (r.consumed, format!("{}: {}", r.group, r.reason))).collect(),
                    history: why
                        .replication
                        .iter()
                        .map(|p| {
                            format!(
                                "broker {}{}: {} (log end {})",
                                p.broker,
                                if p.is_leader { " (leader)" } else { "" },
                                if p.has_record { "has it" } else { "not yet" },
                                p.log_end_offset
                            )
                        })
                        .collect(),
                })
            }
        }
    }
}
