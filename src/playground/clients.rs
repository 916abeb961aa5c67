//! The simulated clients around the engines, which belong to the canvas,
//! not to the brokers: producers publishing on request or at a rate, and
//! consumers that take time over each message, hold a prefetch window and
//! fail as the learner asked (crash, reject, slow down).
//!
//! The clients decide which scenario [`Action`]s to apply and when; the
//! engines, through the session, decide what happens. Every action goes
//! through [`Clients::act`], which hands its outcome to the journal and
//! back to the clients, so a consumer learns of its deliveries, of its
//! channel closing and of a broker restart from the events, as a real
//! client learns of them from the wire.

use super::journal::Source;
use super::model::{EdgeRole, Failure, NodeConfig, NodeId, NodeKind, Topology, pairs_map};
use super::sim::{Part, Port};
use brokerlab_order::CollectOrdered;
use brokerlab_rabbit::{ChannelId, MessageId};
use brokerlab_scenario::{Action, ConsumerDef, Scenario, SeekTarget, ShareAckType, StepOutcome};
use std::collections::{BTreeMap, VecDeque};

/// How long a crashed consumer stays down before it connects again.
const RESTART_MS: u64 = 1_000;
/// The most messages one producer sends in one step, whatever its rate.
const MAX_PER_STEP: u64 = 100_000;

/// What a consumer node shows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConsumerStatus {
    pub working: usize,
    /// AMQP only: the messages it holds unacknowledged, oldest first.
    pub holding: Vec<MessageId>,
    pub done: u64,
    pub down: bool,
    /// Kafka only: assigned partitions, e.g. `t1-0`.
    pub assignment: Option<Vec<String>>,
}

#[derive(Clone, Debug)]
struct AmqpConsumer {
    node: NodeId,
    def: ConsumerDef,
    processing_ms: u64,
    failure: Failure,
    /// The channel it consumes on, while the broker has it.
    channel: Option<ChannelId>,
    /// Deliveries being worked on: delivery tag, when done, message.
    working: VecDeque<(u64, u64, MessageId)>,
    busy_until: u64,
    /// When a consumer that went down connects again.
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

/// A share consumer (KIP-932): it polls, works through the records it
/// acquired, then accepts each (or rejects each, when told to fail) and
/// polls again; a crashed one stops, and its records come back when their
/// locks expire.
#[derive(Clone, Debug)]
struct ShareConsumer {
    node: NodeId,
    name: String,
    processing_ms: u64,
    failure: Failure,
    busy_until: u64,
    crashed: bool,
    /// The records of its last poll it has not settled yet.
    holding: Vec<(String, u32, i64)>,
    done: u64,
}

/// The canvas's producers and consumers.
#[derive(Debug, Default)]
pub struct Clients {
    /// Each producer's publishing credit, in thousandths of a message.
    credit: BTreeMap<NodeId, u64>,
    amqp: Vec<AmqpConsumer>,
    kafka: Vec<KafkaConsumer>,
    share: Vec<ShareConsumer>,
    processed: u64,
}

fn settings(topology: &Topology, id: NodeId) -> (u64, Failure) {
    match topology.node(id).map(|n| &n.config) {
        Some(NodeConfig::Consumer(c)) => (u64::from(c.processing_ms), c.failure),
        _ => (0, Failure::None),
    }
}

impl Clients {
    /// The consumers of a scenario drawn from `topology`: one per RabbitMQ
    /// consumer and per Kafka group member, with the canvas's processing
    /// time and injected failure.
    pub fn new(topology: &Topology, scenario: &Scenario) -> Self {
        let amqp = scenario
            .rabbitmq
            .consumers
            .iter()
            .filter_map(|def| {
                let node = topology.named(NodeKind::Consumer, &def.tag)?.id;
                let (processing_ms, failure) = settings(topology, node);
                Some(AmqpConsumer {
                    node,
                    def: def.clone(),
                    processing_ms,
                    failure,
                    channel: None,
                    working: VecDeque::new(),
                    busy_until: 0,
                    down_until: None,
                    done: 0,
                })
            })
            .collect();
        let kafka = scenario
            .kafka
            .consumers
            .iter()
            .filter_map(|def| {
                let node = topology.named(NodeKind::Consumer, &def.name)?.id;
                let (processing_ms, failure) = settings(topology, node);
                Some(KafkaConsumer {
                    node,
                    name: def.name.clone(),
                    processing_ms,
                    failure,
                    busy_until: 0,
                    crashed: false,
                    done: 0,
                })
            })
            .collect();
        let share = scenario
            .kafka
            .share_consumers
            .iter()
            .filter_map(|def| {
                let node = topology.named(NodeKind::Consumer, &def.name)?.id;
                let (processing_ms, failure) = settings(topology, node);
                Some(ShareConsumer {
                    node,
                    name: def.name.clone(),
                    processing_ms,
                    failure,
                    busy_until: 0,
                    crashed: false,
                    holding: Vec::new(),
                    done: 0,
                })
            })
            .collect();
        Clients { credit: BTreeMap::new(), amqp, kafka, share, processed: 0 }
    }

    /// Messages consumers have finished with, since the start.
    pub fn processed(&self) -> u64 {
        self.processed
    }

    /// Applies `action` for `part`, and lets the journal and the clients
    /// read what happened.
    pub fn act(&mut self, port: &mut Port, part: Part, action: &Action) -> StepOutcome {
        let outcome = port.apply(part, action);
        self.observe(&outcome, port.now_ms);
        outcome
    }

    /// What the clients learn from an outcome: a consumer's start, its
    /// deliveries, and the closing of its channel (a crash, a channel error
    /// or a broker restart), after which it connects again a second later.
    pub fn observe(&mut self, outcome: &StepOutcome, now_ms: u64) {
        use brokerlab_rabbit::Event as E;
        for event in &outcome.rabbit {
            match event {
                E::ConsumerStarted { channel, consumer_tag, .. } => {
                    if let Some(c) = self.amqp.iter_mut().find(|c| c.def.tag == *consumer_tag) {
                        c.channel = Some(*channel);
                        c.down_until = None;
                    }
                }
                E::Delivered { consumer_tag, delivery_tag, message, .. } => {
                    if let Some(c) = self.amqp.iter_mut().find(|c| c.def.tag == *consumer_tag) {
                        let factor = if c.failure == Failure::Slow { 5 } else { 1 };
                        let due = c.busy_until.max(now_ms) + c.processing_ms * factor;
                        c.busy_until = due;
                        c.working.push_back((*delivery_tag, due, message.id));
                    }
                }
                E::ChannelClosed { channel, .. } => {
                    for c in self.amqp.iter_mut().filter(|c| c.channel == Some(*channel)) {
                        c.went_down(now_ms);
                    }
                }
                E::ConnectionClosed { connection, .. } => {
                    for c in self.amqp.iter_mut().filter(|c| c.channel.is_some_and(|ch| ch.connection == *connection)) {
                        c.went_down(now_ms);
                    }
                }
                E::ConsumerCancelled { consumer_tag, by_broker: true, .. } => {
                    // The queue went away; the consumer stays down until a
                    // broker restart brings its queue back.
                    if let Some(c) = self.amqp.iter_mut().find(|c| c.def.tag == *consumer_tag) {
                        c.channel = None;
                        c.working.clear();
                    }
                }
                E::BrokerRestarted => {
                    for c in &mut self.amqp {
                        c.went_down(now_ms);
                    }
                }
                _ => {}
            }
        }
    }

    /// Publishes one message from `producer` `times` over, to every exchange,
    /// queue and topic it is connected to.
    pub fn publish(&mut self, port: &mut Port, producer: NodeId, times: u64) {
        let Some(node) = port.topology.node(producer) else { return };
        let NodeConfig::Producer(settings) = &node.config else { return };
        let name = node.name.clone();
        let actions: Vec<Action> = port
            .topology
            .outgoing(producer)
            .filter_map(|e| {
                let target = port.topology.node(e.to)?;
                Some((e.role, target.name.clone(), target.vhost().to_string()))
            })
            .filter_map(|(role, target, vhost)| match role {
                EdgeRole::Publish | EdgeRole::PublishToQueue => {
                    let (exchange, routing_key) = if role == EdgeRole::Publish {
                        (target, settings.routing_key.clone())
                    } else {
                        (String::new(), target)
                    };
                    Some(Action::Publish {
                        client: name.clone(),
                        vhost,
                        exchange,
                        routing_key,
                        body: settings.body.clone(),
                        properties: Default::default(),
                        headers: Default::default(),
                        mandatory: false,
                    })
                }
                EdgeRole::Produce => Some(Action::Produce {
                    producer: name.clone(),
                    topic: target,
                    key: (!settings.routing_key.is_empty()).then(|| settings.routing_key.clone()),
                    value: Some(settings.body.clone()),
                    partition: None,
                    headers: Default::default(),
                }),
                _ => None,
            })
            .collect();
        if actions.is_empty() {
            port.note(Source::Playground, format!("{name} is not connected to an exchange, queue or topic."));
            return;
        }
        let headers = match pairs_map(&settings.headers) {
            Ok(h) => h,
            Err(e) => {
                port.note(Source::Playground, format!("{name}: headers: {e}"));
                return;
            }
        };
        let actions: Vec<Action> = actions
            .into_iter()
            .map(|mut a| {
                match &mut a {
                    Action::Publish { headers: h, .. } => {
                        *h = headers.iter().map(|(k, v)| (k.clone(), serde_json::Value::from(v.as_str()))).collect_map()
                    }
                    Action::Produce { headers: h, .. } => h.clone_from(&headers),
                    _ => {}
                }
                a
            })
            .collect();
        // A transactional producer (one with a `transactional.id`) may
        // produce only inside a transaction: each record is its own,
        // committed at once, so readers at `read_committed` see it.
        let transactional = !settings.transactional_id.is_empty();
        for _ in 0..times {
            for action in &actions {
                let in_transaction = transactional && matches!(action, Action::Produce { .. });
                if in_transaction {
                    self.act(port, Part::Node(producer), &Action::BeginTransaction { producer: name.clone() });
                }
                port.journal.count(Some(producer), 1, 0);
                self.act(port, Part::Node(producer), action);
                if in_transaction {
                    self.act(port, Part::Node(producer), &Action::CommitTransaction { producer: name.clone() });
                }
            }
        }
    }

    /// Producers with a rate publish on a credit of thousandths of a
    /// message, so any rate spreads evenly over steps without floating point.
    pub fn produce_due(&mut self, port: &mut Port, step_ms: u64) {
        let producers: Vec<(NodeId, u32)> = port
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
            *credit += u64::from(rate) * step_ms;
            let due = *credit / 1000;
            *credit %= 1000;
            if due > 0 {
                self.publish(port, id, due.min(MAX_PER_STEP));
            }
        }
    }

    /// Lets consumers act: AMQP consumers finish (acknowledge, reject or
    /// crash over) the deliveries whose processing time is up, or connect
    /// again, at every sub-step; at the end of a whole step (`whole`), Kafka
    /// consumers poll, process and commit, so each group protocol round
    /// takes a step, as a learner stepping through a rebalance sees it.
    pub fn consume(&mut self, port: &mut Port, whole: bool) {
        for i in 0..self.amqp.len() {
            self.run_amqp(port, i);
        }
        if !whole {
            return;
        }
        for i in 0..self.kafka.len() {
            self.run_kafka(port, i);
        }
        for i in 0..self.share.len() {
            self.run_share(port, i);
        }
    }

    fn run_share(&mut self, port: &mut Port, i: usize) {
        let now = port.now_ms;
        let c = &self.share[i];
        if c.crashed || c.busy_until > now {
            return;
        }
        let (name, node, failure, processing) = (c.name.clone(), c.node, c.failure, c.processing_ms);
        let part = Part::Node(node);
        // The records of the last poll are processed: settle each.
        let held = std::mem::take(&mut self.share[i].holding);
        if !held.is_empty() {
            let kind = if failure == Failure::Nack { ShareAckType::Reject } else { ShareAckType::Accept };
            let n = held.len() as u64;
            for (topic, partition, offset) in held {
                let ack = Action::ShareAcknowledge {
                    consumer: name.clone(),
                    kind,
                    topic: Some(topic),
                    partition: Some(partition),
                    offset: Some(offset),
                };
                self.act(port, part, &ack);
            }
            if kind == ShareAckType::Accept {
                self.share[i].done += n;
                self.processed += n;
                port.journal.count(Some(node), 0, n);
            }
        }
        let polled = self.act(port, part, &Action::SharePoll { consumer: name.clone(), max_records: None }).polled;
        if polled.is_empty() {
            return;
        }
        if failure == Failure::Crash {
            self.share[i].crashed = true;
            let title = port.title(node);
            port.note(
                Source::Playground,
                format!("{title} crashed holding {} records; they come back when their locks expire", polled.len()),
            );
            return;
        }
        let factor = if failure == Failure::Slow { 5 } else { 1 };
        let c = &mut self.share[i];
        c.busy_until = now + processing * factor * polled.len() as u64;
        c.holding = polled.into_iter().map(|r| (r.topic, r.partition, r.offset)).collect();
    }

    fn run_amqp(&mut self, port: &mut Port, i: usize) {
        let now = port.now_ms;
        let c = &mut self.amqp[i];
        let part = Part::Node(c.node);
        if let Some(until) = c.down_until {
            if now >= until {
                c.down_until = None;
                let action = Action::Consume { consumer: c.def.clone() };
                self.act(port, part, &action);
            }
            return;
        }
        if self.amqp[i].channel.is_none() {
            return;
        }
        while let Some(&(delivery_tag, due, id)) = self.amqp[i].working.front() {
            if due > now {
                break;
            }
            let c = &mut self.amqp[i];
            c.working.pop_front();
            let client = c.def.client_name().to_string();
            let (failure, auto) = (c.failure, c.def.auto_ack);
            let settle = match (failure, auto) {
                (Failure::Crash, _) => {
                    let tag = c.def.tag.clone();
                    c.went_down(now);
                    port.history(id, format!("consumer {tag} crashed while processing it"));
                    let title = port.title(c.node);
                    port.note(Source::Playground, format!("{title} crashed; it restarts in 1 s"));
                    let vhost = c.def.vhost.clone();
                    self.act(port, part, &Action::CloseClient { client, vhost });
                    return;
                }
                (_, true) => None,
                (Failure::Nack, false) => Some(Action::Nack {
                    client,
                    vhost: c.def.vhost.clone(),
                    delivery_tag: Some(delivery_tag),
                    multiple: false,
                    requeue: false,
                }),
                (_, false) => Some(Action::Ack {
                    client,
                    vhost: c.def.vhost.clone(),
                    delivery_tag: Some(delivery_tag),
                    multiple: false,
                }),
            };
            self.processed += 1;
            self.amqp[i].done += 1;
            if let Some(action) = settle {
                self.act(port, part, &action);
            }
            if self.amqp[i].channel.is_none() {
                return;
            }
        }
    }

    fn run_kafka(&mut self, port: &mut Port, i: usize) {
        let now = port.now_ms;
        let c = &self.kafka[i];
        if c.crashed || c.busy_until > now {
            return;
        }
        let (name, node, failure, processing) = (c.name.clone(), c.node, c.failure, c.processing_ms);
        let part = Part::Node(node);
        let polled = self.act(port, part, &Action::Poll { consumer: name.clone(), max_records: None }).polled;
        if polled.is_empty() {
            return;
        }
        match failure {
            Failure::Crash => {
                self.kafka[i].crashed = true;
                let title = port.title(node);
                port.note(Source::Playground, format!("{title} crashed before committing"));
                self.act(port, part, &Action::CrashConsumer { consumer: name });
            }
            Failure::Nack => {
                // Kafka has no per-record nack. A consumer that fails a
                // record and wants it again does not commit and seeks back
                // to it, so its partition makes no progress until the
                // failure is fixed.
                let mut first: BTreeMap<(String, u32), i64> = BTreeMap::new();
                for r in &polled {
                    first.entry((r.topic.clone(), r.partition)).or_insert(r.offset);
                }
                self.kafka[i].busy_until = now + processing.max(1) * polled.len() as u64;
                for ((topic, partition), offset) in first {
                    port.note(
                        Source::Kafka,
                        format!(
                            "{name} failed offset {offset} of {topic}-{partition}; Kafka has no nack, so it did not commit and sought back to offset {offset}"
                        ),
                    );
                    let seek =
                        Action::Seek { consumer: name.clone(), topic, partition, to: SeekTarget::Offset(offset) };
                    self.act(port, part, &seek);
                }
            }
            Failure::None | Failure::Slow => {
                let factor = if failure == Failure::Slow { 5 } else { 1 };
                let n = polled.len() as u64;
                let c = &mut self.kafka[i];
                c.busy_until = now + processing * factor * n;
                c.done += n;
                self.processed += n;
                port.journal.count(Some(node), 0, n);
                self.act(port, part, &Action::Commit { consumer: name, offsets: None });
            }
        }
    }

    /// What a consumer node is doing; `kafka` gives a Kafka member's
    /// assignment.
    pub fn status(&self, id: NodeId, kafka: Option<&brokerlab_kafka::Cluster>) -> Option<ConsumerStatus> {
        if let Some(c) = self.amqp.iter().find(|c| c.node == id) {
            return Some(ConsumerStatus {
                working: c.working.len(),
                holding: c.working.iter().map(|w| w.2).collect(),
                done: c.done,
                down: c.channel.is_none(),
                assignment: None,
            });
        }
        if let Some(c) = self.share.iter().find(|c| c.node == id) {
            return Some(ConsumerStatus {
                working: c.holding.len(),
                holding: Vec::new(),
                done: c.done,
                down: c.crashed,
                assignment: None,
            });
        }
        let c = self.kafka.iter().find(|c| c.node == id)?;
        let view = kafka?.consumer(&c.name).ok();
        Some(ConsumerStatus {
            working: 0,
            holding: Vec::new(),
            done: c.done,
            down: c.crashed,
            assignment: Some(view.map(|v| v.assignment.iter().map(super::journal::tp).collect()).unwrap_or_default()),
        })
    }
}

impl AmqpConsumer {
    /// Its channel is gone: what it held goes back to the queue (the broker
    /// does that), and it connects again after [`RESTART_MS`].
    fn went_down(&mut self, now_ms: u64) {
        self.channel = None;
        self.working.clear();
        self.down_until = Some(now_ms + RESTART_MS);
    }
}
