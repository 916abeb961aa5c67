//! The transactional outbox beside the naive dual write, on the Kafka engine.
//!
//! A `checkout` [`ServiceNode`] takes orders. With [`WriteMode::Outbox`] it
//! writes the order row and an outbox row in one store transaction; a separate
//! `relayer` node polls the outbox, produces each row to the `order-events`
//! topic with an idempotent `acks=all` producer, and deletes a row only when
//! the broker acknowledged it (`RecordAcknowledged`). A relayer crash abandons
//! what it had in flight and the rows stay, so they are produced again
//! (at-least-once, never lost). With the two dual-write modes the checkout
//! commits the order and produces the event itself, in one order or the
//! other; a crash between the two, or an outage longer than
//! `delivery.timeout.ms`, leaves the database and the topic disagreeing.
//!
//! The learner's toggles are [`OutboxLab::set_broker_outage`] (the one broker
//! is crashed or restarted), [`OutboxLab::set_relayer_down`] and armed crash
//! points on either node. [`Consistency`] compares the committed orders with
//! the events in the topic.
//!
//! ```
//! use brokerlab_patterns::*;
//!
//! let mut outbox = OutboxLab::new(WriteMode::Outbox, 1)?;
//! let mut naive = OutboxLab::new(WriteMode::DualWriteDbFirst, 1)?;
//! for lab in [&mut outbox, &mut naive] {
//!     lab.crash_checkout(CrashPoint::AfterProcessing);
//!     lab.place_order()?;
//!     lab.run(100)?;
//! }
//! assert!(outbox.consistency().orders_without_event.is_empty());
//! assert_eq!(naive.consistency().orders_without_event, vec!["order-0".to_string()]);
//! # Ok::<(), PatternError>(())
//! ```

use brokerlab_kafka::{Cluster, ClusterConfig, Event, ProducerConfig, ProducerRecord, TopicConfig};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet, VecDeque};

use crate::error::PatternError;
use crate::service::{CrashPoint, ServiceNode};
use crate::store::{Store, Transaction};

/// The topic order events go to.
pub const EVENTS_TOPIC: &str = "order-events";
/// The orders table.
pub const ORDERS_TABLE: &str = "orders";
/// The outbox table.
pub const OUTBOX_TABLE: &str = "outbox";

const STEP_MS: u64 = 100;
/// Short enough that an outage of a few seconds makes an unretried send fail.
const DELIVERY_TIMEOUT_MS: u64 = 3_000;
/// How many outbox rows the relayer sends per poll.
const RELAY_BATCH: usize = 3;

/// How the checkout service gets its event to the broker.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum WriteMode {
    /// Order and outbox row in one transaction; a relayer publishes.
    Outbox,
    /// Commit the order, then produce the event.
    DualWriteDbFirst,
    /// Produce the event, then commit the order.
    DualWritePublishFirst,
}

/// Where the database and the topic disagree.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Consistency {
    /// Committed orders.
    pub orders: u32,
    /// Distinct orders with an event in the topic.
    pub published: u32,
    /// Committed orders with no event yet (or ever, once everything settled).
    pub orders_without_event: Vec<String>,
    /// Events whose order was never committed.
    pub events_without_order: Vec<String>,
    /// Events in the topic more than once (harmless for idempotent consumers).
    pub duplicate_events: u32,
}

/// What placing an order did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum CheckoutOutcome {
    /// The order was taken.
    Placed {
        /// The order id.
        order: String,
    },
    /// The checkout crashed while taking it.
    Crashed {
        /// The order id.
        order: String,
        /// Where.
        at: CrashPoint,
    },
}

/// What one step did, for the UI to narrate; outbox row keys throughout.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutboxStep {
    /// Rows whose records the broker acknowledged this step.
    pub acknowledged: Vec<String>,
    /// Rows the relayer deleted after the acknowledgement.
    pub deleted: Vec<String>,
    /// Rows the relayer produced this step.
    pub sent: Vec<String>,
    /// Nodes that came back up.
    pub restarted: Vec<String>,
    /// Where the relayer crashed this step, if it did.
    pub relayer_crashed: Option<CrashPoint>,
    /// The relayer's sends timed out and it started a fresh producer.
    pub send_timed_out: bool,
}

/// What the outbox demo draws.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutboxSnapshot {
    /// The mode.
    pub mode: WriteMode,
    /// Whether the broker is down.
    pub broker_down: bool,
    /// The checkout node with the orders and outbox tables.
    pub checkout: ServiceNode,
    /// The relayer node.
    pub relayer: ServiceNode,
    /// Outbox row keys the relayer sent and waits to see acknowledged.
    pub in_flight: Vec<String>,
    /// Order ids of the events in the topic, in offset order.
    pub events: Vec<String>,
    /// The comparison.
    pub consistency: Consistency,
    /// Logical time in milliseconds.
    pub now_ms: u64,
}

/// The outbox simulation.
#[derive(Debug, Clone)]
pub struct OutboxLab {
    mode: WriteMode,
    cluster: Cluster,
    checkout: ServiceNode,
    relayer: ServiceNode,
    relayer_held_down: bool,
    broker_down: bool,
    /// Outbox rows sent, in send order; acknowledgements arrive in this order.
    in_flight: VecDeque<String>,
    relayer_producer: String,
    relayer_producers: u32,
    checkout_producer: String,
    next_order: u32,
}

fn order_id(n: u32) -> String {
    format!("order-{n}")
}

impl OutboxLab {
    /// A lab with an empty store and topic.
    pub fn new(mode: WriteMode, seed: u64) -> Result<Self, PatternError> {
        let mut cluster = Cluster::new(ClusterConfig { brokers: 1, ..ClusterConfig::default() }, seed)?;
        cluster.create_topic(EVENTS_TOPIC, TopicConfig::new(1, 1))?;
        let mut lab = OutboxLab {
            mode,
            cluster,
            checkout: ServiceNode::new("checkout", Store::with_tables(&[ORDERS_TABLE, OUTBOX_TABLE])),
            relayer: ServiceNode::new("relayer", Store::default()),
            relayer_held_down: false,
            broker_down: false,
            in_flight: VecDeque::new(),
            relayer_producer: String::new(),
            relayer_producers: 0,
            checkout_producer: String::new(),
            next_order: 0,
        };
        lab.start_checkout_producer()?;
        lab.start_relayer_producer()?;
        Ok(lab)
    }

    fn producer_config() -> ProducerConfig {
        // linger.ms=0 (Kafka 4's default is 5): the checkout and the relayer
        // send each event on its own, so a crash right after a send finds it
        // with the leader rather than in the dead process's accumulator.
        ProducerConfig { delivery_timeout_ms: DELIVERY_TIMEOUT_MS, linger_ms: 0, ..ProducerConfig::default() }
    }

    fn start_checkout_producer(&mut self) -> Result<(), PatternError> {
        self.checkout_producer = self.checkout.client_name("checkout");
        self.cluster.create_producer(&self.checkout_producer, Self::producer_config())?;
        Ok(())
    }

    fn start_relayer_producer(&mut self) -> Result<(), PatternError> {
        self.relayer_producers += 1;
        self.relayer_producer = format!("relayer-producer-{}", self.relayer_producers);
        self.cluster.create_producer(&self.relayer_producer, Self::producer_config())?;
        Ok(())
    }

    /// The mode.
    pub fn mode(&self) -> WriteMode {
        self.mode
    }

    /// The engine, for the playground's Kafka views.
    pub fn cluster(&self) -> &Cluster {
        &self.cluster
    }

    /// Crashes or restarts the broker.
    pub fn set_broker_outage(&mut self, down: bool) -> Result<(), PatternError> {
        if down != self.broker_down {
            if down {
                self.cluster.crash_broker(0)?;
            } else {
                self.cluster.restart_broker(0)?;
            }
            self.broker_down = down;
        }
        Ok(())
    }

    /// Kills the relayer and keeps it down, or lets it start again.
    pub fn set_relayer_down(&mut self, down: bool) -> Result<(), PatternError> {
        self.relayer_held_down = down;
        if down && self.relayer.up {
            self.relayer.kill();
            self.relayer_died()?;
        }
        Ok(())
    }

    /// Arms a crash of the checkout at `point` for the next order.
    pub fn crash_checkout(&mut self, point: CrashPoint) {
        self.checkout.arm(point);
    }

    /// Arms a crash of the relayer at `point` for its next batch: before
    /// sending, after the acknowledgement but before deleting rows, or after.
    pub fn crash_relayer(&mut self, point: CrashPoint) {
        self.relayer.arm(point);
    }

    /// Ends every fault: the broker and the relayer come back and no crash is armed.
    pub fn heal(&mut self) -> Result<(), PatternError> {
        self.set_broker_outage(false)?;
        self.set_relayer_down(false)?;
        self.checkout.disarm();
        self.relayer.disarm();
        Ok(())
    }

    fn relayer_died(&mut self) -> Result<(), PatternError> {
        // The process is gone with its producer buffer; the rows it had sent
        // are still in the outbox and will be sent again.
        self.in_flight.clear();
        self.cluster.close_producer(&self.relayer_producer)?;
        Ok(())
    }

    fn checkout_died(&mut self) -> Result<(), PatternError> {
        self.cluster.close_producer(&self.checkout_producer)?;
        Ok(())
    }

    /// The checkout takes one order.
    pub fn place_order(&mut self) -> Result<CheckoutOutcome, PatternError> {
        if !self.checkout.up {
            return Err(PatternError::ServiceDown(self.checkout.name.clone()));
        }
        let order = order_id(self.next_order);
        self.next_order += 1;
        let crashed = |at| CheckoutOutcome::Crashed { order: order.clone(), at };
        if self.checkout.reached(CrashPoint::BeforeProcessing) {
            self.checkout_died()?;
            return Ok(crashed(CrashPoint::BeforeProcessing));
        }
        let event = ProducerRecord::keyed(EVENTS_TOPIC, &order, format!("OrderPlaced {order}"));
        let mut txn = Transaction::new();
        txn.insert(ORDERS_TABLE, &order, "placed");
        match self.mode {
            WriteMode::Outbox => {
                txn.append(OUTBOX_TABLE, &order);
                self.checkout.store.commit(std::mem::take(&mut txn))?;
            }
            WriteMode::DualWriteDbFirst => {
                self.checkout.store.commit(std::mem::take(&mut txn))?;
            }
            WriteMode::DualWritePublishFirst => {
                self.cluster.produce(&self.checkout_producer, event.clone())?;
            }
        }
        if self.checkout.reached(CrashPoint::AfterProcessing) {
            self.checkout_died()?;
            return Ok(crashed(CrashPoint::AfterProcessing));
        }
        match self.mode {
            WriteMode::Outbox => {}
            WriteMode::DualWriteDbFirst => {
                self.cluster.produce(&self.checkout_producer, event)?;
            }
            WriteMode::DualWritePublishFirst => {
                self.checkout.store.commit(std::mem::take(&mut txn))?;
            }
        }
        if self.checkout.reached(CrashPoint::AfterAck) {
            self.checkout_died()?;
            return Ok(crashed(CrashPoint::AfterAck));
        }
        Ok(CheckoutOutcome::Placed { order })
    }

    /// Lets time pass, settles acknowledgements, restarts crashed nodes
    /// (unless held down) and lets the relayer send its next batch.
    pub fn step(&mut self) -> Result<OutboxStep, PatternError> {
        let mut out = OutboxStep::default();
        let events = self.cluster.tick(STEP_MS)?;
        let mut acked = 0usize;
        let mut failed = false;
        for e in &events {
            match e {
                Event::RecordAcknowledged { producer, .. } if *producer == self.relayer_producer => acked += 1,
                Event::ProduceFailed { producer, will_retry: false, .. } if *producer == self.relayer_producer => {
                    failed = true;
                }
                _ => {}
            }
        }
        if self.relayer.up && acked > 0 {
            // One partition and an idempotent producer: acknowledgements come
            // back in send order, so the first `acked` rows are the confirmed ones.
            out.acknowledged = self.in_flight.drain(..acked.min(self.in_flight.len())).collect();
            if self.relayer.reached(CrashPoint::AfterProcessing) {
                out.relayer_crashed = Some(CrashPoint::AfterProcessing);
                self.relayer_died()?;
            } else {
                let mut txn = Transaction::new();
                for key in &out.acknowledged {
                    txn.delete(OUTBOX_TABLE, key);
                }
                self.checkout.store.commit(txn)?;
                out.deleted = out.acknowledged.clone();
                if self.relayer.reached(CrashPoint::AfterAck) {
                    out.relayer_crashed = Some(CrashPoint::AfterAck);
                    self.relayer_died()?;
                }
            }
        }
        if failed && self.relayer.up {
            // The send gave up (delivery.timeout.ms): start a fresh producer
            // and send the rows again, which is what keeps the outbox live.
            self.cluster.close_producer(&self.relayer_producer)?;
            self.in_flight.clear();
            self.start_relayer_producer()?;
            out.send_timed_out = true;
        }
        if !self.checkout.up {
            self.checkout.restart();
            self.start_checkout_producer()?;
            out.restarted.push(self.checkout.name.clone());
        }
        if !self.relayer.up && !self.relayer_held_down {
            self.relayer.restart();
            self.start_relayer_producer()?;
            out.restarted.push(self.relayer.name.clone());
        }
        if self.relayer.up && self.in_flight.is_empty() {
            let (sent, crashed) = self.relay()?;
            out.sent = sent;
            out.relayer_crashed = out.relayer_crashed.or(crashed);
        }
        Ok(out)
    }

    /// Sends the oldest outbox rows; returns their keys, or the crash point.
    fn relay(&mut self) -> Result<(Vec<String>, Option<CrashPoint>), PatternError> {
        let rows: Vec<(String, String)> = self
            .checkout
            .store
            .rows(OUTBOX_TABLE)
            .into_iter()
            .take(RELAY_BATCH)
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        if rows.is_empty() {
            return Ok((Vec::new(), None));
        }
        if self.relayer.reached(CrashPoint::BeforeProcessing) {
            self.relayer_died()?;
            return Ok((Vec::new(), Some(CrashPoint::BeforeProcessing)));
        }
        let mut sent = Vec::new();
        for (key, order) in rows {
            let event = ProducerRecord::keyed(EVENTS_TOPIC, &order, format!("OrderPlaced {order}"));
            self.cluster.produce(&self.relayer_producer, event)?;
            self.in_flight.push_back(key.clone());
            sent.push(key);
        }
        Ok((sent, None))
    }

    /// Steps until the outbox is empty and nothing is in flight, or `max_steps` ran out.
    pub fn run(&mut self, max_steps: u32) -> Result<u32, PatternError> {
        for n in 0..max_steps {
            if self.is_settled() {
                return Ok(n);
            }
            self.step()?;
        }
        Ok(max_steps)
    }

    /// Whether nothing is left to publish or acknowledge.
    pub fn is_settled(&self) -> bool {
        self.checkout.store.is_empty(OUTBOX_TABLE)
            && self.in_flight.is_empty()
            && self
                .cluster
                .producer_names()
                .iter()
                .all(|p| self.cluster.producer(p).map_or(true, |v| v.closed || v.in_flight.is_empty()))
    }

    /// Order ids of the events in the topic, in offset order.
    pub fn events(&self) -> Vec<String> {
        let hw = self.cluster.partition(EVENTS_TOPIC, 0).map_or(0, |p| p.high_watermark);
        self.cluster
            .records(EVENTS_TOPIC, 0)
            .unwrap_or_default()
            .into_iter()
            .filter(|r| !r.kind.is_control() && r.offset < hw)
            .filter_map(|r| String::from_utf8(r.data.key?).ok())
            .collect()
    }

    /// The comparison of the orders table with the topic.
    pub fn consistency(&self) -> Consistency {
        let orders: BTreeSet<&str> = self.checkout.store.rows(ORDERS_TABLE).into_iter().map(|(k, _)| k).collect();
        let mut counts: BTreeMap<String, u32> = BTreeMap::new();
        for e in self.events() {
            *counts.entry(e).or_default() += 1;
        }
        Consistency {
            orders: orders.len() as u32,
            published: counts.len() as u32,
            orders_without_event: orders.iter().filter(|o| !counts.contains_key(**o)).map(|o| o.to_string()).collect(),
            events_without_order: counts.keys().filter(|e| !orders.contains(e.as_str())).cloned().collect(),
            duplicate_events: counts.values().map(|c| c - 1).sum(),
        }
    }

    /// Everything the demo draws.
    pub fn snapshot(&self) -> OutboxSnapshot {
        OutboxSnapshot {
            mode: self.mode,
            broker_down: self.broker_down,
            checkout: self.checkout.clone(),
            relayer: self.relayer.clone(),
            in_flight: self.in_flight.iter().cloned().collect(),
            events: self.events(),
            consistency: self.consistency(),
            now_ms: self.cluster.now(),
        }
    }
}
