//! Delivery semantics: one workload of orders consumed from a Kafka topic
//! under four strategies, with crashes injected, counting what went wrong.
//!
//! [`DeliveryLab::new`] produces `orders` records to the `orders` topic of a
//! one-broker [`Cluster`] and starts the `billing` service: a consumer with
//! auto-commit off and static membership, so a restarted incarnation takes
//! over the partition at once from the last committed offset. Each
//! [`DeliveryLab::step`] handles at most one record; where the offset commit
//! sits relative to the work is the whole difference between the
//! [`Semantics`]:
//!
//! - at-most-once commits on receipt, then applies the order to its table;
//! - at-least-once applies, then commits;
//! - the idempotent consumer applies and records the order id in a
//!   deduplication table in one store transaction, then commits; a redelivery
//!   hits the unique key and is skipped;
//! - exactly-once writes its result to the `ledger` topic in a Kafka
//!   transaction together with the consumed offset (`sendOffsetsToTransaction`),
//!   read back by a `read_committed` auditor; a crash leaves the transaction
//!   open and the next incarnation's `initTransactions` aborts it.
//!
//! [`Counters`] compare what was applied with what the group has moved past.
//!
//! [`RabbitDeliveryLab`] runs the same workload on the RabbitMQ engine, where
//! the choice is between automatic and manual acknowledgement and a crash is
//! a closed connection whose unacknowledged deliveries the broker requeues.

use brokerlab_kafka::{
    Cluster, ClusterConfig, ConsumerConfig, IsolationLevel, OffsetReset, ProducerConfig, ProducerRecord, TopicConfig,
    TopicPartition,
};
use brokerlab_rabbit::{Broker, ChannelId, Command as RabbitCommand, Event as AmqpEvent, FieldTable};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

use crate::error::PatternError;
use crate::service::{CrashPoint, ServiceNode};
use crate::store::{Store, StoreError, Transaction};

/// The input topic.
pub const ORDERS_TOPIC: &str = "orders";
/// Where the exactly-once service writes its results.
pub const LEDGER_TOPIC: &str = "ledger";
/// The service's consumer group.
pub const GROUP: &str = "billing";
/// The store table each applied order appends a row to.
pub const LEDGER_TABLE: &str = "ledger";
/// The idempotent consumer's deduplication table, keyed by order id.
pub const PROCESSED_TABLE: &str = "processed";

/// How the service orders its work and its offset commit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Semantics {
    /// Commit the offset first, then process: a crash in between loses the order.
    AtMostOnce,
    /// Process, then commit: a crash in between processes the order again.
    AtLeastOnce,
    /// At-least-once plus a deduplication table written in the same transaction.
    IdempotentConsumer,
    /// A Kafka transaction carries both the result and the consumed offset.
    ExactlyOnce,
}

impl Semantics {
    /// All four, in teaching order.
    pub const ALL: [Semantics; 4] =
        [Semantics::AtMostOnce, Semantics::AtLeastOnce, Semantics::IdempotentConsumer, Semantics::ExactlyOnce];
}

/// What happened to the orders so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counters {
    /// The group moved past them but they were never applied.
    pub lost: u32,
    /// Applied more than once.
    pub duplicated: u32,
    /// Applied exactly once.
    pub exactly_once: u32,
    /// Not reached yet.
    pub pending: u32,
    /// Redeliveries the deduplication table caught.
    pub duplicates_skipped: u32,
    /// Crashes so far.
    pub crashes: u32,
}

/// What one step did, for the UI to narrate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum DeliveryStep {
    /// Nothing to read; time passed.
    Idle,
    /// A crashed service came back as a new incarnation.
    Restarted {
        /// The incarnation number.
        incarnation: u32,
    },
    /// One order was handled to the end.
    Handled {
        /// The order.
        order: u32,
        /// The offset it had.
        offset: i64,
        /// False when the deduplication table recognised it.
        applied: bool,
    },
    /// The service crashed while handling an order.
    Crashed {
        /// The order.
        order: u32,
        /// The offset it had.
        offset: i64,
        /// Where.
        at: CrashPoint,
    },
    /// Every order is behind the committed offset.
    Done,
}

/// A per-order row for drawing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderView {
    /// The order id (also its offset).
    pub order: u32,
    /// How many times its effect is visible.
    pub applied: u32,
    /// How many times the service started processing it.
    pub attempts: u32,
    /// Whether the group's committed offset is past it.
    pub committed: bool,
}

/// Everything the delivery demo draws.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliverySnapshot {
    /// The strategy.
    pub semantics: Semantics,
    /// The group's committed offset in `orders-0`.
    pub committed_offset: i64,
    /// Per-order state.
    pub orders: Vec<OrderView>,
    /// The totals.
    pub counters: Counters,
    /// The service node with its tables.
    pub service: ServiceNode,
    /// Logical time in milliseconds.
    pub now_ms: u64,
}

/// The delivery-semantics simulation.
#[derive(Debug, Clone)]
pub struct DeliveryLab {
    semantics: Semantics,
    cluster: Cluster,
    node: ServiceNode,
    orders: u32,
    consumer: String,
    producer: Option<String>,
    /// Results seen by the read_committed auditor (exactly-once only).
    audited: BTreeMap<u32, u32>,
    attempts: BTreeMap<u32, u32>,
    duplicates_skipped: u32,
}

const STEP_MS: u64 = 100;
const AUDITOR: &str = "auditor";

/// Applies an order in one store transaction: a ledger row, plus, for the
/// idempotent consumer, its id in the deduplication table. False when that
/// id was already there, which rolls the ledger row back with it.
fn apply_to_store(store: &mut Store, order: u32, dedupe: bool) -> Result<bool, PatternError> {
    let mut txn = Transaction::new();
    if dedupe {
        txn.insert(PROCESSED_TABLE, format!("order-{order}"), "done");
    }
    txn.append(LEDGER_TABLE, format!("order-{order}"));
    match store.commit(txn) {
        Ok(_) => Ok(true),
        Err(StoreError::UniqueViolation { .. }) if dedupe => Ok(false),
        Err(e) => Err(e.into()),
    }
}

/// How many ledger rows each order has.
fn ledger_counts(store: &Store) -> BTreeMap<u32, u32> {
    let mut out = BTreeMap::new();
    for (_, v) in store.rows(LEDGER_TABLE) {
        if let Some(order) = order_of(Some(v.as_bytes())) {
            *out.entry(order).or_default() += 1;
        }
    }
    out
}

/// Totals from per-order rows.
fn count(orders: &[OrderView], duplicates_skipped: u32, crashes: u32) -> Counters {
    let mut c = Counters { duplicates_skipped, crashes, ..Counters::default() };
    for o in orders {
        match (o.applied, o.committed) {
            (0, true) => c.lost += 1,
            (0, false) => c.pending += 1,
            (1, _) => c.exactly_once += 1,
            _ => c.duplicated += 1,
        }
    }
    c
}

fn order_of(key: Option<&[u8]>) -> Option<u32> {
    std::str::from_utf8(key?).ok()?.strip_prefix("order-")?.parse().ok()
}

impl DeliveryLab {
    /// A lab with `orders` orders (1 to 1000) already in the topic.
    pub fn new(semantics: Semantics, orders: u32, seed: u64) -> Result<Self, PatternError> {
        if !(1..=1000).contains(&orders) {
            return Err(PatternError::InvalidSetting { name: "orders".into(), reason: "must be 1 to 1000".into() });
        }
        let mut cluster = Cluster::new(ClusterConfig { brokers: 1, ..ClusterConfig::default() }, seed)?;
        cluster.set_event_recording(false);
        cluster.create_topic(ORDERS_TOPIC, TopicConfig::new(1, 1))?;
        // linger.ms=0 (Kafka 4's default is 5): the shop sends each record on
        // its own, and the lab reads the log right after the send.
        cluster.create_producer("shop", ProducerConfig { linger_ms: 0, ..ProducerConfig::default() })?;
        for i in 0..orders {
            cluster.produce("shop", ProducerRecord::keyed(ORDERS_TOPIC, format!("order-{i}"), "10"))?;
        }
        if semantics == Semantics::ExactlyOnce {
            cluster.create_topic(LEDGER_TOPIC, TopicConfig::new(1, 1))?;
            let cfg = ConsumerConfig {
                auto_offset_reset: OffsetReset::Earliest,
                isolation_level: IsolationLevel::ReadCommitted,
                enable_auto_commit: false,
                ..ConsumerConfig::new(AUDITOR)
            };
            cluster.create_consumer(AUDITOR, cfg)?;
            cluster.subscribe(AUDITOR, &[LEDGER_TOPIC.to_string()])?;
        }
        cluster.tick(STEP_MS)?;
        let node = ServiceNode::new(GROUP, Store::with_tables(&[LEDGER_TABLE, PROCESSED_TABLE]));
        let mut lab = DeliveryLab {
            semantics,
            cluster,
            node,
            orders,
            consumer: String::new(),
            producer: None,
            audited: BTreeMap::new(),
            attempts: BTreeMap::new(),
            duplicates_skipped: 0,
        };
        lab.start_clients()?;
        Ok(lab)
    }

    /// Creates this incarnation's consumer (and transactional producer).
    fn start_clients(&mut self) -> Result<(), PatternError> {
        let consumer = self.node.client_name(GROUP);
        let cfg = ConsumerConfig {
            group_instance_id: Some(GROUP.to_string()),
            enable_auto_commit: false,
            auto_offset_reset: OffsetReset::Earliest,
            isolation_level: IsolationLevel::ReadCommitted,
            max_poll_records: 1,
            ..ConsumerConfig::new(GROUP)
        };
        self.cluster.create_consumer(&consumer, cfg)?;
        self.cluster.subscribe(&consumer, &[ORDERS_TOPIC.to_string()])?;
        self.consumer = consumer;
        if self.semantics == Semantics::ExactlyOnce {
            let producer = self.node.client_name("billing-tx");
            let cfg =
                ProducerConfig { transactional_id: Some(GROUP.to_string()), linger_ms: 0, ..ProducerConfig::default() };
            self.cluster.create_producer(&producer, cfg)?;
            // Fences the previous incarnation and aborts its open transaction.
            self.cluster.init_transactions(&producer)?;
            self.producer = Some(producer);
        }
        Ok(())
    }

    /// The strategy.
    pub fn semantics(&self) -> Semantics {
        self.semantics
    }

    /// The engine, for the playground's Kafka views.
    pub fn cluster(&self) -> &Cluster {
        &self.cluster
    }

    /// The service node.
    pub fn service(&self) -> &ServiceNode {
        &self.node
    }

    /// Arms a crash at `point` for the next order handled.
    pub fn crash(&mut self, point: CrashPoint) {
        self.node.arm(point);
    }

    /// Clears an armed crash.
    pub fn disarm(&mut self) {
        self.node.disarm();
    }

    /// The group's committed offset (0 before the first commit).
    pub fn committed_offset(&self) -> i64 {
        let tp = TopicPartition::new(ORDERS_TOPIC, 0);
        self.cluster.group(GROUP).and_then(|g| g.committed.iter().find(|(p, _)| *p == tp).map(|(_, o)| *o)).unwrap_or(0)
    }

    /// Whether every order is behind the committed offset and the service is up.
    pub fn is_done(&self) -> bool {
        self.node.up && self.committed_offset() >= i64::from(self.orders)
    }

    /// Handles at most one record, or restarts a crashed service.
    pub fn step(&mut self) -> Result<DeliveryStep, PatternError> {
        if !self.node.up {
            self.node.restart();
            self.start_clients()?;
            return Ok(DeliveryStep::Restarted { incarnation: self.node.incarnation });
        }
        if self.is_done() {
            return Ok(DeliveryStep::Done);
        }
        let (records, _) = self.cluster.poll(&self.consumer, Some(1))?;
        let Some(record) = records.into_iter().next() else {
            self.cluster.tick(STEP_MS)?;
            return Ok(DeliveryStep::Idle);
        };
        let offset = record.offset;
        let Some(order) = order_of(record.key.as_deref()) else {
            // Nothing but this lab writes to the topic, so a foreign record is
            // skipped rather than trusted.
            self.commit_offset(offset + 1)?;
            return Ok(DeliveryStep::Idle);
        };
        let outcome = self.handle(order, offset)?;
        self.cluster.tick(STEP_MS)?;
        self.audit()?;
        Ok(outcome)
    }

    fn crashed(&mut self, order: u32, offset: i64, at: CrashPoint) -> Result<DeliveryStep, PatternError> {
        // The process dies: no commit, no LeaveGroup, and an open Kafka
        // transaction stays open until the next incarnation fences it.
        self.cluster.crash_consumer(&self.consumer)?;
        Ok(DeliveryStep::Crashed { order, offset, at })
    }

    fn commit_offset(&mut self, next: i64) -> Result<(), PatternError> {
        self.cluster.commit(&self.consumer, Some(vec![(TopicPartition::new(ORDERS_TOPIC, 0), next)]))?;
        Ok(())
    }

    fn apply_to_store(&mut self, order: u32, dedupe: bool) -> Result<bool, PatternError> {
        let applied = apply_to_store(&mut self.node.store, order, dedupe)?;
        if !applied {
            self.duplicates_skipped += 1;
        }
        Ok(applied)
    }

    fn handle(&mut self, order: u32, offset: i64) -> Result<DeliveryStep, PatternError> {
        let next = offset + 1;
        if self.semantics == Semantics::AtMostOnce {
            self.commit_offset(next)?;
        }
        if self.node.reached(CrashPoint::BeforeProcessing) {
            return self.crashed(order, offset, CrashPoint::BeforeProcessing);
        }
        *self.attempts.entry(order).or_default() += 1;
        let applied = match self.semantics {
            Semantics::AtMostOnce | Semantics::AtLeastOnce => self.apply_to_store(order, false)?,
            Semantics::IdempotentConsumer => self.apply_to_store(order, true)?,
            Semantics::ExactlyOnce => {
                let producer = self.producer.clone().unwrap_or_default();
                self.cluster.begin_transaction(&producer)?;
                self.cluster.produce(&producer, ProducerRecord::keyed(LEDGER_TOPIC, format!("order-{order}"), "10"))?;
                // `consumer.groupMetadata()`, so the coordinator can fence a
                // stale incarnation's offsets (KIP-447).
                let metadata = self.cluster.consumer_group_metadata(&self.consumer)?;
                self.cluster.send_offsets_to_transaction(
                    &producer,
                    &metadata,
                    vec![(TopicPartition::new(ORDERS_TOPIC, 0), next)],
                )?;
                true
            }
        };
        if self.node.reached(CrashPoint::AfterProcessing) {
            return self.crashed(order, offset, CrashPoint::AfterProcessing);
        }
        match self.semantics {
            Semantics::AtMostOnce => {}
            Semantics::AtLeastOnce | Semantics::IdempotentConsumer => self.commit_offset(next)?,
            Semantics::ExactlyOnce => {
                let producer = self.producer.clone().unwrap_or_default();
                self.cluster.commit_transaction(&producer)?;
            }
        }
        if self.node.reached(CrashPoint::AfterAck) {
            return self.crashed(order, offset, CrashPoint::AfterAck);
        }
        Ok(DeliveryStep::Handled { order, offset, applied })
    }

    /// Reads newly committed results (exactly-once only).
    fn audit(&mut self) -> Result<(), PatternError> {
        if self.semantics != Semantics::ExactlyOnce {
            return Ok(());
        }
        loop {
            let (records, _) = self.cluster.poll(AUDITOR, None)?;
            if records.is_empty() {
                return Ok(());
            }
            for r in records {
                if let Some(order) = order_of(r.key.as_deref()) {
                    *self.audited.entry(order).or_default() += 1;
                }
            }
        }
    }

    /// Steps until done or `max_steps` ran out; returns the steps taken.
    pub fn run(&mut self, max_steps: u32) -> Result<u32, PatternError> {
        for n in 0..max_steps {
            if self.is_done() {
                return Ok(n);
            }
            self.step()?;
        }
        Ok(max_steps)
    }

    /// How many times each order's effect is visible.
    pub fn applied(&self) -> BTreeMap<u32, u32> {
        if self.semantics == Semantics::ExactlyOnce {
            return self.audited.clone();
        }
        ledger_counts(&self.node.store)
    }

    /// Per-order rows.
    pub fn orders(&self) -> Vec<OrderView> {
        let applied = self.applied();
        let committed = self.committed_offset();
        (0..self.orders)
            .map(|order| OrderView {
                order,
                applied: applied.get(&order).copied().unwrap_or(0),
                attempts: self.attempts.get(&order).copied().unwrap_or(0),
                committed: i64::from(order) < committed,
            })
            .collect()
    }

    /// Lost, duplicated and exactly-once totals.
    pub fn counters(&self) -> Counters {
        count(&self.orders(), self.duplicates_skipped, self.node.crashes)
    }

    /// Everything the demo draws.
    pub fn snapshot(&self) -> DeliverySnapshot {
        DeliverySnapshot {
            semantics: self.semantics,
            committed_offset: self.committed_offset(),
            orders: self.orders(),
            counters: self.counters(),
            service: self.node.clone(),
            now_ms: self.cluster.now(),
        }
    }
}

// ---------------------------------------------------------------------------
// RabbitMQ
// ---------------------------------------------------------------------------

/// The RabbitMQ queue the orders wait in.
pub const RABBIT_ORDERS_QUEUE: &str = "orders";

/// What the RabbitMQ delivery demo draws.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RabbitDeliverySnapshot {
    /// The strategy.
    pub semantics: Semantics,
    /// Messages ready in the queue.
    pub ready: u32,
    /// Messages delivered and not yet acknowledged.
    pub unacked: u32,
    /// Per-order state; `committed` means the broker has forgotten the message.
    pub orders: Vec<OrderView>,
    /// The totals.
    pub counters: Counters,
    /// The service node with its tables.
    pub service: ServiceNode,
    /// Logical time in milliseconds.
    pub now_ms: u64,
}

/// The same workload on the RabbitMQ engine: `basic.get` with automatic
/// acknowledgement is at-most-once (the broker forgets the message as it
/// hands it over); a manual `basic.ack` after the work is at-least-once (a
/// crash closes the connection and the broker requeues the message with
/// `redelivered` set). RabbitMQ has no transaction spanning the consume and
/// the work, so exactly-once is refused; the idempotent consumer is the
/// answer there.
#[derive(Debug)]
pub struct RabbitDeliveryLab {
    semantics: Semantics,
    broker: Broker,
    channel: ChannelId,
    node: ServiceNode,
    orders: u32,
    /// Orders the broker no longer holds (auto-acked or acked).
    forgotten: BTreeSet<u32>,
    attempts: BTreeMap<u32, u32>,
    duplicates_skipped: u32,
}

impl RabbitDeliveryLab {
    /// A lab with `orders` orders (1 to 1000) already in the queue.
    pub fn new(semantics: Semantics, orders: u32, seed: u64) -> Result<Self, PatternError> {
        if !(1..=1000).contains(&orders) {
            return Err(PatternError::InvalidSetting { name: "orders".into(), reason: "must be 1 to 1000".into() });
        }
        if semantics == Semantics::ExactlyOnce {
            return Err(PatternError::InvalidSetting {
                name: "semantics".into(),
                reason: "RabbitMQ has no transaction spanning consume and processing; use the idempotent consumer"
                    .into(),
            });
        }
        let mut broker = Broker::new(seed);
        broker.set_tracing(false);
        let channel = broker.connect("guest", "guest", "/")?;
        broker.declare_queue(channel, RABBIT_ORDERS_QUEUE, FieldTable::new())?;
        for i in 0..orders {
            broker.publish(channel, "", RABBIT_ORDERS_QUEUE, &format!("order-{i}"))?;
        }
        let node = ServiceNode::new(GROUP, Store::with_tables(&[LEDGER_TABLE, PROCESSED_TABLE]));
        Ok(RabbitDeliveryLab {
            semantics,
            broker,
            channel,
            node,
            orders,
            forgotten: BTreeSet::new(),
            attempts: BTreeMap::new(),
            duplicates_skipped: 0,
        })
    }

    /// The strategy.
    pub fn semantics(&self) -> Semantics {
        self.semantics
    }

    /// The engine, for the playground's RabbitMQ views.
    pub fn broker(&self) -> &Broker {
        &self.broker
    }

    /// The service node.
    pub fn service(&self) -> &ServiceNode {
        &self.node
    }

    /// Arms a crash at `point` for the next order handled.
    pub fn crash(&mut self, point: CrashPoint) {
        self.node.arm(point);
    }

    /// Clears an armed crash.
    pub fn disarm(&mut self) {
        self.node.disarm();
    }

    fn queue_counts(&self) -> (u32, u32) {
        self.broker.queue("/", RABBIT_ORDERS_QUEUE).map_or((0, 0), |q| (q.ready, q.unacked))
    }

    /// Whether the queue is empty, nothing is unacknowledged and the service is up.
    pub fn is_done(&self) -> bool {
        self.node.up && self.queue_counts() == (0, 0)
    }

    /// Handles at most one message, or restarts a crashed service.
    pub fn step(&mut self) -> Result<DeliveryStep, PatternError> {
        if !self.node.up {
            self.node.restart();
            self.channel = self.broker.connect("guest", "guest", "/")?;
            return Ok(DeliveryStep::Restarted { incarnation: self.node.incarnation });
        }
        if self.is_done() {
            return Ok(DeliveryStep::Done);
        }
        let auto_ack = self.semantics == Semantics::AtMostOnce;
        let events = self.broker.get(self.channel, RABBIT_ORDERS_QUEUE, auto_ack)?;
        let Some((tag, message)) = events.into_iter().find_map(|e| match e {
            AmqpEvent::GetOk { delivery_tag, message, .. } => Some((delivery_tag, message)),
            _ => None,
        }) else {
            self.broker.tick(100);
            return Ok(DeliveryStep::Idle);
        };
        let offset = tag as i64;
        let Some(order) = order_of(Some(message.body.as_bytes())) else {
            self.broker.ack(self.channel, tag, false)?;
            return Ok(DeliveryStep::Idle);
        };
        if auto_ack {
            self.forgotten.insert(order);
        }
        if self.node.reached(CrashPoint::BeforeProcessing) {
            return self.crashed(order, offset, CrashPoint::BeforeProcessing);
        }
        *self.attempts.entry(order).or_default() += 1;
        let dedupe = self.semantics == Semantics::IdempotentConsumer;
        let applied = apply_to_store(&mut self.node.store, order, dedupe)?;
        if !applied {
            self.duplicates_skipped += 1;
        }
        if self.node.reached(CrashPoint::AfterProcessing) {
            return self.crashed(order, offset, CrashPoint::AfterProcessing);
        }
        if !auto_ack {
            self.broker.ack(self.channel, tag, false)?;
            self.forgotten.insert(order);
        }
        if self.node.reached(CrashPoint::AfterAck) {
            return self.crashed(order, offset, CrashPoint::AfterAck);
        }
        self.broker.tick(100);
        Ok(DeliveryStep::Handled { order, offset, applied })
    }

    fn crashed(&mut self, order: u32, offset: i64, at: CrashPoint) -> Result<DeliveryStep, PatternError> {
        // The process dies and its TCP connection with it; the broker
        // requeues every unacknowledged delivery of that connection.
        self.broker.apply(RabbitCommand::CloseConnection { connection: self.channel.connection }).into_result()?;
        Ok(DeliveryStep::Crashed { order, offset, at })
    }

    /// Steps until done or `max_steps` ran out; returns the steps taken.
    pub fn run(&mut self, max_steps: u32) -> Result<u32, PatternError> {
        for n in 0..max_steps {
            if self.is_done() {
                return Ok(n);
            }
            self.step()?;
        }
        Ok(max_steps)
    }

    /// Per-order rows; `committed` means the broker has forgotten the message.
    pub fn orders(&self) -> Vec<OrderView> {
        let applied = ledger_counts(&self.node.store);
        (0..self.orders)
            .map(|order| OrderView {
                order,
                applied: applied.get(&order).copied().unwrap_or(0),
                attempts: self.attempts.get(&order).copied().unwrap_or(0),
                committed: self.forgotten.contains(&order),
            })
            .collect()
    }

    /// Lost, duplicated and exactly-once totals.
    pub fn counters(&self) -> Counters {
        count(&self.orders(), self.duplicates_skipped, self.node.crashes)
    }

    /// Everything the demo draws.
    pub fn snapshot(&self) -> RabbitDeliverySnapshot {
        let (ready, unacked) = self.queue_counts();
        RabbitDeliverySnapshot {
            semantics: self.semantics,
            ready,
            unacked,
            orders: self.orders(),
            counters: self.counters(),
            service: self.node.clone(),
            now_ms: self.broker.now(),
        }
    }
}
