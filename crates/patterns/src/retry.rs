//! Retries with a dead-letter queue, once on RabbitMQ and once on Kafka.
//!
//! Both labs run the same worker: it takes one message per step, fails on
//! bodies marked poison, and gives up after `max_attempts` attempts.
//!
//! - [`RabbitRetryLab`] builds the classic topology on the RabbitMQ engine:
//!   the `orders` queue dead-letters rejected messages to the `orders.retry`
//!   exchange; the `orders.retry` queue has an `x-message-ttl` and
//!   dead-letters expired messages back to the `orders` exchange. The worker
//!   reads the attempt number from the `x-death` header the broker writes
//!   (the `count` of the `orders`/`rejected` entry, plus one), and on the last
//!   attempt publishes the message to the `orders.dlq` queue and acks it.
//! - [`KafkaRetryLab`] builds the Kafka equivalent on the Kafka engine: a
//!   retry topic per attempt (`orders-retry-1`, ...) read by its own consumer
//!   group, which waits until the record is `retry_delay_ms` old (seeking
//!   back until then), and a dead-letter topic `orders-dlt`. Kafka has no
//!   `x-death`, so the attempt count travels in an `x-attempts` header.
//!
//! The worker is a [`ServiceNode`] with the usual crash points. A crash is
//! not an attempt: RabbitMQ requeues the unacknowledged delivery (and
//! `x-death` only counts rejections), Kafka re-reads the uncommitted offset,
//! so the handler runs again under the same attempt number.
//!
//! Both implement [`RetryLab`], so a demo can switch engines behind one
//! interface. Both expose the dead letters ([`DeadLetter`]) and can republish one to the
//! main exchange or topic with its history stripped, after the learner
//! deployed a fix ([`RabbitRetryLab::fix`]) or not.
//!
//! ```
//! use brokerlab_patterns::retry::{RabbitRetryLab, RetryConfig};
//!
//! let mut lab = RabbitRetryLab::new(RetryConfig { max_attempts: 3, ..RetryConfig::default() }, 1)?;
//! lab.publish("order-7", true)?;
//! lab.run(100)?;
//! let dead = lab.dead_letters();
//! assert_eq!((dead[0].body.as_str(), dead[0].attempts), ("order-7", 3));
//! lab.fix("order-7");
//! lab.republish(dead[0].id)?;
//! lab.run(100)?;
//! assert_eq!(lab.snapshot().succeeded, vec!["order-7".to_string()]);
//! # Ok::<(), brokerlab_patterns::PatternError>(())
//! ```

use brokerlab_kafka::{
    Cluster, ClusterConfig, ConsumerConfig, Header, OffsetReset, ProducerConfig, ProducerRecord, SeekTo, TopicConfig,
    TopicPartition,
};
use brokerlab_rabbit::{
    BasicProperties, Broker, ChannelId, Command as RabbitCommand, Event as AmqpEvent, ExchangeKind, FieldTable,
    FieldValue,
};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

use crate::error::PatternError;
use crate::service::{CrashPoint, ServiceNode};
use crate::store::Store;

/// The header that carries the attempt count where the broker keeps none.
pub const ATTEMPTS_HEADER: &str = "x-attempts";
/// The header naming why the last attempt failed.
pub const ERROR_HEADER: &str = "x-last-error";

/// Settings shared by both retry labs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RetryConfig {
    /// Attempts before a message goes to the dead-letter queue (1 to 10).
    pub max_attempts: u32,
    /// How long a message waits between attempts, in logical milliseconds.
    pub retry_delay_ms: u64,
    /// How much logical time one step lets pass.
    pub step_ms: u64,
}

impl Default for RetryConfig {
    fn default() -> Self {
        RetryConfig { max_attempts: 3, retry_delay_ms: 1_000, step_ms: 250 }
    }
}

impl RetryConfig {
    fn validate(&self) -> Result<(), PatternError> {
        let bad = |name: &str, reason: &str| {
            Err(PatternError::InvalidSetting { name: name.to_string(), reason: reason.to_string() })
        };
        if !(1..=10).contains(&self.max_attempts) {
            return bad("max_attempts", "must be 1 to 10");
        }
        if self.retry_delay_ms == 0 || self.retry_delay_ms > 3_600_000 {
            return bad("retry_delay_ms", "must be 1 ms to 1 hour");
        }
        if self.step_ms == 0 || self.step_ms > 3_600_000 {
            return bad("step_ms", "must be 1 ms to 1 hour");
        }
        Ok(())
    }
}

/// What one step did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum RetryStep {
    /// Nothing was due.
    Idle,
    /// The worker handled the message.
    Succeeded {
        /// The body.
        body: String,
        /// Which attempt this was, from 1.
        attempt: u32,
    },
    /// The attempt failed and the message went to wait for another.
    Retrying {
        /// The body.
        body: String,
        /// The failed attempt, from 1.
        attempt: u32,
        /// Where it waits: the retry queue or retry topic.
        to: String,
    },
    /// The last attempt failed and the message went to the dead-letter queue.
    DeadLettered {
        /// The body.
        body: String,
        /// Attempts made.
        attempts: u32,
    },
    /// The worker crashed while handling the message.
    Crashed {
        /// The body.
        body: String,
        /// Where.
        at: CrashPoint,
    },
    /// A crashed worker came back.
    Restarted {
        /// The incarnation number.
        incarnation: u32,
    },
}

/// One entry of the dead-letter queue or topic.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeadLetter {
    /// The id to republish it by: the RabbitMQ message id or the Kafka offset.
    pub id: u64,
    /// The message body.
    pub body: String,
    /// Attempts made before it landed here.
    pub attempts: u32,
    /// Why the last attempt failed.
    pub error: String,
    /// The dead-letter history: (queue, reason, count) from `x-death` on
    /// RabbitMQ, the topics it passed through on Kafka.
    pub history: Vec<(String, String, u64)>,
    /// Whether it was republished already (Kafka keeps the record).
    pub republished: bool,
}

/// What the retry demos draw.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RetrySnapshot {
    /// Settings.
    pub config: RetryConfig,
    /// The worker node: up or down, crashes, armed crash.
    pub worker: ServiceNode,
    /// Bodies handled successfully, in order.
    pub succeeded: Vec<String>,
    /// Attempts per body so far.
    pub attempts: BTreeMap<String, u32>,
    /// Bodies that still fail.
    pub poison: BTreeSet<String>,
    /// Messages waiting per queue or topic (main, retries, dead letters).
    pub waiting: Vec<(String, u64)>,
    /// The dead letters.
    pub dead_letters: Vec<DeadLetter>,
    /// Logical time in milliseconds.
    pub now_ms: u64,
}

/// What the two retry labs have in common, for a demo that switches engines.
pub trait RetryLab {
    /// Publishes a message; `poison` makes every attempt fail.
    fn publish(&mut self, body: &str, poison: bool) -> Result<(), PatternError>;
    /// Deploys a fix: `body` stops failing.
    fn fix(&mut self, body: &str);
    /// Arms a crash of the worker at `point` for the next message.
    fn crash(&mut self, point: CrashPoint);
    /// Lets time pass and handles at most one message.
    fn step(&mut self) -> Result<RetryStep, PatternError>;
    /// Steps until nothing is left outside the dead letters, or `max_steps` ran out.
    fn run(&mut self, max_steps: u32) -> Result<u32, PatternError>;
    /// The dead letters, oldest first.
    fn dead_letters(&self) -> Vec<DeadLetter>;
    /// Publishes a dead letter to the main exchange or topic again.
    fn republish(&mut self, id: u64) -> Result<(), PatternError>;
    /// Everything the demo draws.
    fn snapshot(&self) -> RetrySnapshot;
}

macro_rules! impl_retry_lab {
    ($t:ty) => {
        impl RetryLab for $t {
            fn publish(&mut self, body: &str, poison: bool) -> Result<(), PatternError> {
                <$t>::publish(self, body, poison)
            }
            fn fix(&mut self, body: &str) {
                <$t>::fix(self, body)
            }
            fn crash(&mut self, point: CrashPoint) {
                <$t>::crash(self, point)
            }
            fn step(&mut self) -> Result<RetryStep, PatternError> {
                <$t>::step(self)
            }
            fn run(&mut self, max_steps: u32) -> Result<u32, PatternError> {
                <$t>::run(self, max_steps)
            }
            fn dead_letters(&self) -> Vec<DeadLetter> {
                <$t>::dead_letters(self)
            }
            fn republish(&mut self, id: u64) -> Result<(), PatternError> {
                <$t>::republish(self, id)
            }
            fn snapshot(&self) -> RetrySnapshot {
                <$t>::snapshot(self)
            }
        }
    };
}

impl_retry_lab!(RabbitRetryLab);
impl_retry_lab!(KafkaRetryLab);

/// The worker's memory, shared by both labs. `attempts` counts every run of
/// the handler, including runs a crash cut short before the outcome reached
/// the broker.
#[derive(Debug, Clone)]
struct Worker {
    node: ServiceNode,
    succeeded: Vec<String>,
    attempts: BTreeMap<String, u32>,
    poison: BTreeSet<String>,
}

impl Worker {
    fn new() -> Self {
        Worker {
            node: ServiceNode::new("worker", Store::default()),
            succeeded: Vec::new(),
            attempts: BTreeMap::new(),
            poison: BTreeSet::new(),
        }
    }

    /// Runs one attempt: true on success.
    fn attempt(&mut self, body: &str) -> bool {
        *self.attempts.entry(body.to_string()).or_default() += 1;
        if self.poison.contains(body) {
            false
        } else {
            self.succeeded.push(body.to_string());
            true
        }
    }
}

const FAILURE: &str = "handler failed: poison message";

// ---------------------------------------------------------------------------
// RabbitMQ
// ---------------------------------------------------------------------------

/// The main exchange, queue and routing key.
pub const RABBIT_MAIN: &str = "orders";
/// The retry exchange and queue.
pub const RABBIT_RETRY: &str = "orders.retry";
/// The dead-letter queue.
pub const RABBIT_DLQ: &str = "orders.dlq";
const VHOST: &str = "/";

/// The RabbitMQ retry topology with TTL, dead-letter exchanges and `x-death`.
#[derive(Debug)]
pub struct RabbitRetryLab {
    config: RetryConfig,
    broker: Broker,
    channel: ChannelId,
    worker: Worker,
}

fn long(v: i64) -> FieldValue {
    FieldValue::LongLongInt(v)
}

/// The `count` of the `x-death` entry for (`queue`, `reason`), as a client reads it.
pub fn x_death_count(headers: Option<&FieldTable>, queue: &str, reason: &str) -> u64 {
    x_death_entries(headers).into_iter().find(|(q, r, _)| q == queue && r == reason).map_or(0, |(_, _, count)| count)
}

/// Every `x-death` entry as (queue, reason, count), newest first.
pub fn x_death_entries(headers: Option<&FieldTable>) -> Vec<(String, String, u64)> {
    let Some(FieldValue::FieldArray(items)) = headers.and_then(|h| h.get("x-death")) else {
        return Vec::new();
    };
    items
        .iter()
        .filter_map(|item| {
            let FieldValue::FieldTable(t) = item else { return None };
            let queue = t.get("queue")?.as_str()?.to_string();
            let reason = t.get("reason")?.as_str()?.to_string();
            let count = t.get("count")?.as_i64()?.max(0) as u64;
            Some((queue, reason, count))
        })
        .collect()
}

impl RabbitRetryLab {
    /// Declares the topology on a fresh broker.
    pub fn new(config: RetryConfig, seed: u64) -> Result<Self, PatternError> {
        config.validate()?;
        let mut broker = Broker::new(seed);
        let ch = broker.connect("guest", "guest", VHOST)?;
        broker.declare_exchange(ch, RABBIT_MAIN, ExchangeKind::Direct)?;
        broker.declare_exchange(ch, RABBIT_RETRY, ExchangeKind::Direct)?;
        let mut main_args = FieldTable::new();
        main_args.insert("x-dead-letter-exchange".into(), FieldValue::str(RABBIT_RETRY));
        broker.declare_queue(ch, RABBIT_MAIN, main_args)?;
        broker.bind_queue(ch, RABBIT_MAIN, RABBIT_MAIN, RABBIT_MAIN)?;
        let mut retry_args = FieldTable::new();
        retry_args.insert("x-message-ttl".into(), long(config.retry_delay_ms as i64));
        retry_args.insert("x-dead-letter-exchange".into(), FieldValue::str(RABBIT_MAIN));
        broker.declare_queue(ch, RABBIT_RETRY, retry_args)?;
        broker.bind_queue(ch, RABBIT_RETRY, RABBIT_RETRY, RABBIT_MAIN)?;
        broker.declare_queue(ch, RABBIT_DLQ, FieldTable::new())?;
        Ok(RabbitRetryLab { config, broker, channel: ch, worker: Worker::new() })
    }

    /// The engine, for the playground's RabbitMQ views.
    pub fn broker(&self) -> &Broker {
        &self.broker
    }

    /// Publishes a message to the main exchange; `poison` makes every attempt fail.
    pub fn publish(&mut self, body: &str, poison: bool) -> Result<(), PatternError> {
        if poison {
            self.worker.poison.insert(body.to_string());
        }
        self.broker.publish_with(self.channel, RABBIT_MAIN, RABBIT_MAIN, BasicProperties::persistent(), body, false)?;
        Ok(())
    }

    /// Deploys a fix: `body` stops failing.
    pub fn fix(&mut self, body: &str) {
        self.worker.poison.remove(body);
    }

    /// Arms a crash of the worker at `point` for the next message.
    pub fn crash(&mut self, point: CrashPoint) {
        self.worker.node.arm(point);
    }

    /// Lets time pass (the retry queue's TTL runs out), then handles at most
    /// one message, or restarts a crashed worker.
    pub fn step(&mut self) -> Result<RetryStep, PatternError> {
        self.broker.tick(self.config.step_ms);
        if !self.worker.node.up {
            self.worker.node.restart();
            self.channel = self.broker.connect("guest", "guest", VHOST)?;
            return Ok(RetryStep::Restarted { incarnation: self.worker.node.incarnation });
        }
        let events = self.broker.get(self.channel, RABBIT_MAIN, false)?;
        let Some((tag, message)) = events.into_iter().find_map(|e| match e {
            AmqpEvent::GetOk { delivery_tag, message, .. } => Some((delivery_tag, message)),
            _ => None,
        }) else {
            return Ok(RetryStep::Idle);
        };
        let body = message.body.clone();
        if self.worker.node.reached(CrashPoint::BeforeProcessing) {
            return self.crashed(body, CrashPoint::BeforeProcessing);
        }
        let name = body.clone();
        let headers = message.properties.headers.as_ref();
        let attempt = x_death_count(headers, RABBIT_MAIN, "rejected") as u32 + 1;
        let ok = self.worker.attempt(&body);
        // A crash here repeats the attempt under the same number: the broker
        // requeues the delivery, and only a rejection adds to x-death.
        if self.worker.node.reached(CrashPoint::AfterProcessing) {
            return self.crashed(body, CrashPoint::AfterProcessing);
        }
        let outcome = if ok {
            self.broker.ack(self.channel, tag, false)?;
            RetryStep::Succeeded { body, attempt }
        } else if attempt < self.config.max_attempts {
            // Rejecting without requeue dead-letters it to the retry exchange;
            // the broker records the rejection in x-death.
            self.broker.reject(self.channel, tag, false)?;
            RetryStep::Retrying { body, attempt, to: RABBIT_RETRY.to_string() }
        } else {
            // Publish to the DLQ before the ack, so a crash in between
            // duplicates the dead letter instead of losing the message.
            let mut props = message.properties.clone();
            let h = props.headers.get_or_insert_with(FieldTable::new);
            h.insert(ATTEMPTS_HEADER.into(), long(i64::from(attempt)));
            h.insert(ERROR_HEADER.into(), FieldValue::str(FAILURE));
            self.broker.publish_with(self.channel, "", RABBIT_DLQ, props, &body, false)?;
            self.broker.ack(self.channel, tag, false)?;
            RetryStep::DeadLettered { body, attempts: attempt }
        };
        if self.worker.node.reached(CrashPoint::AfterAck) {
            return self.crashed(name, CrashPoint::AfterAck);
        }
        Ok(outcome)
    }

    fn crashed(&mut self, body: String, at: CrashPoint) -> Result<RetryStep, PatternError> {
        // The worker's connection dies with it; its unacknowledged delivery
        // goes back to the queue.
        self.broker.apply(RabbitCommand::CloseConnection { connection: self.channel.connection }).into_result()?;
        Ok(RetryStep::Crashed { body, at })
    }

    /// Steps until `max_steps` ran out or nothing is left outside the DLQ.
    pub fn run(&mut self, max_steps: u32) -> Result<u32, PatternError> {
        for n in 0..max_steps {
            if self.in_flight() == 0 {
                return Ok(n);
            }
            self.step()?;
        }
        Ok(max_steps)
    }

    /// Messages in the main and retry queues.
    pub fn in_flight(&self) -> u64 {
        [RABBIT_MAIN, RABBIT_RETRY]
            .iter()
            .filter_map(|q| self.broker.queue(VHOST, q))
            .map(|q| u64::from(q.ready) + u64::from(q.unacked))
            .sum()
    }

    /// The messages in the DLQ, oldest first.
    pub fn dead_letters(&self) -> Vec<DeadLetter> {
        let Some(q) = self.broker.queue(VHOST, RABBIT_DLQ) else { return Vec::new() };
        q.messages
            .iter()
            .map(|m| {
                let h = m.properties.headers.as_ref();
                DeadLetter {
                    id: m.id,
                    body: m.body.clone(),
                    attempts: h.and_then(|h| h.get(ATTEMPTS_HEADER)).and_then(FieldValue::as_i64).unwrap_or(0) as u32,
                    error: h
                        .and_then(|h| h.get(ERROR_HEADER))
                        .and_then(FieldValue::as_str)
                        .unwrap_or_default()
                        .to_string(),
                    history: x_death_entries(h),
                    republished: false,
                }
            })
            .collect()
    }

    /// Takes dead letter `id` out of the DLQ and publishes it to the main
    /// exchange as a new message, without its death history.
    pub fn republish(&mut self, id: u64) -> Result<(), PatternError> {
        if !self.dead_letters().iter().any(|d| d.id == id) {
            return Err(PatternError::UnknownDeadLetter(id));
        }
        // basic.get only takes the head, so earlier entries are fetched and
        // then requeued; a classic queue puts them back where they were.
        let mut skipped = Vec::new();
        let mut found = None;
        while found.is_none() {
            let events = self.broker.get(self.channel, RABBIT_DLQ, false)?;
            let Some((tag, message)) = events.into_iter().find_map(|e| match e {
                AmqpEvent::GetOk { delivery_tag, message, .. } => Some((delivery_tag, message)),
                _ => None,
            }) else {
                break;
            };
            if message.id == id {
                found = Some((tag, message));
            } else {
                skipped.push(tag);
            }
        }
        for tag in skipped {
            self.broker.nack(self.channel, tag, false, true)?;
        }
        let Some((tag, message)) = found else { return Err(PatternError::UnknownDeadLetter(id)) };
        let mut props = message.properties.clone();
        if let Some(h) = props.headers.as_mut() {
            // The broker would ignore a client's x-death anyway; dropping the
            // history makes the attempt count start over at 1.
            h.retain(|k, _| k != "x-death" && !k.starts_with("x-first-death-") && !k.starts_with("x-last-death-"));
            h.remove(ATTEMPTS_HEADER);
            h.remove(ERROR_HEADER);
        }
        self.broker.publish_with(self.channel, RABBIT_MAIN, RABBIT_MAIN, props, &message.body, false)?;
        self.broker.ack(self.channel, tag, false)?;
        Ok(())
    }

    /// Everything the demo draws.
    pub fn snapshot(&self) -> RetrySnapshot {
        let waiting = [RABBIT_MAIN, RABBIT_RETRY, RABBIT_DLQ]
            .iter()
            .map(|q| (q.to_string(), self.broker.queue(VHOST, q).map_or(0, |v| u64::from(v.ready + v.unacked))))
            .collect();
        RetrySnapshot {
            config: self.config,
            worker: self.worker.node.clone(),
            succeeded: self.worker.succeeded.clone(),
            attempts: self.worker.attempts.clone(),
            poison: self.worker.poison.clone(),
            waiting,
            dead_letters: self.dead_letters(),
            now_ms: self.broker.now(),
        }
    }
}

// ---------------------------------------------------------------------------
// Kafka
// ---------------------------------------------------------------------------

/// The main topic.
pub const KAFKA_MAIN: &str = "orders";
/// The dead-letter topic.
pub const KAFKA_DLT: &str = "orders-dlt";
const KAFKA_PRODUCER: &str = "worker-out";

/// The Kafka retry topics and dead-letter topic.
#[derive(Debug, Clone)]
pub struct KafkaRetryLab {
    config: RetryConfig,
    cluster: Cluster,
    /// (topic, consumer group) per stage: the main topic, then each retry topic.
    stages: Vec<(String, String)>,
    worker: Worker,
    republished: BTreeSet<i64>,
}

/// The retry topic that holds records waiting for attempt `attempt + 1`.
pub fn kafka_retry_topic(attempt: u32) -> String {
    format!("{KAFKA_MAIN}-retry-{attempt}")
}

fn header<'a>(headers: &'a [Header], key: &str) -> Option<&'a str> {
    headers.iter().rev().find(|h| h.key == key).and_then(|h| std::str::from_utf8(h.value.as_deref()?).ok())
}

fn text_header(key: &str, value: impl ToString) -> Header {
    Header { key: key.to_string(), value: Some(value.to_string().into_bytes()) }
}

impl KafkaRetryLab {
    /// Creates the topics, the producer and one consumer group per stage.
    pub fn new(config: RetryConfig, seed: u64) -> Result<Self, PatternError> {
        config.validate()?;
        let mut cluster = Cluster::new(ClusterConfig { brokers: 1, ..ClusterConfig::default() }, seed)?;
        cluster.set_event_recording(false);
        let mut stages = vec![(KAFKA_MAIN.to_string(), "worker".to_string())];
        for k in 1..config.max_attempts {
            stages.push((kafka_retry_topic(k), format!("worker-retry-{k}")));
        }
        for (topic, _) in &stages {
            cluster.create_topic(topic, TopicConfig::new(1, 1))?;
        }
        cluster.create_topic(KAFKA_DLT, TopicConfig::new(1, 1))?;
        // linger.ms=0 (Kafka 4's default is 5): each message is sent on its
        // own when the lab publishes it.
        cluster.create_producer(KAFKA_PRODUCER, ProducerConfig { linger_ms: 0, ..ProducerConfig::default() })?;
        let mut lab = KafkaRetryLab { config, cluster, stages, worker: Worker::new(), republished: BTreeSet::new() };
        lab.start_consumers()?;
        Ok(lab)
    }

    fn consumer_name(&self, group: &str) -> String {
        self.worker.node.client_name(group)
    }

    /// One consumer per stage for this incarnation of the worker. Static
    /// membership lets a restarted worker take its partitions back at once
    /// instead of waiting out the crashed members' session timeout.
    fn start_consumers(&mut self) -> Result<(), PatternError> {
        for (topic, group) in self.stages.clone() {
            let name = self.consumer_name(&group);
            let cfg = ConsumerConfig {
                group_instance_id: Some(group.clone()),
                enable_auto_commit: false,
                auto_offset_reset: OffsetReset::Earliest,
                max_poll_records: 1,
                ..ConsumerConfig::new(group)
            };
            self.cluster.create_consumer(&name, cfg)?;
            self.cluster.subscribe(&name, &[topic])?;
        }
        Ok(())
    }

    fn crashed(&mut self, body: String, at: CrashPoint) -> Result<RetryStep, PatternError> {
        // Nothing is committed or left: the members just stop.
        for (_, group) in self.stages.clone() {
            let name = self.consumer_name(&group);
            self.cluster.crash_consumer(&name)?;
        }
        Ok(RetryStep::Crashed { body, at })
    }

    /// The engine, for the playground's Kafka views.
    pub fn cluster(&self) -> &Cluster {
        &self.cluster
    }

    /// Produces a message to the main topic; `poison` makes every attempt fail.
    pub fn publish(&mut self, body: &str, poison: bool) -> Result<(), PatternError> {
        if poison {
            self.worker.poison.insert(body.to_string());
        }
        self.cluster.produce(KAFKA_PRODUCER, ProducerRecord::keyed(KAFKA_MAIN, body, body))?;
        Ok(())
    }

    /// Deploys a fix: `body` stops failing.
    pub fn fix(&mut self, body: &str) {
        self.worker.poison.remove(body);
    }

    /// Arms a crash of the worker at `point` for the next message.
    pub fn crash(&mut self, point: CrashPoint) {
        self.worker.node.arm(point);
    }

    /// Lets time pass, then handles at most one due record, main topic
    /// first, or restarts a crashed worker.
    pub fn step(&mut self) -> Result<RetryStep, PatternError> {
        self.cluster.tick(self.config.step_ms)?;
        if !self.worker.node.up {
            self.worker.node.restart();
            self.start_consumers()?;
            return Ok(RetryStep::Restarted { incarnation: self.worker.node.incarnation });
        }
        let now = self.cluster.now() as i64;
        for stage in 0..self.stages.len() {
            let (topic, group) = self.stages[stage].clone();
            let consumer = self.consumer_name(&group);
            let (records, _) = self.cluster.poll(&consumer, Some(1))?;
            let Some(r) = records.into_iter().next() else { continue };
            let tp = TopicPartition::new(&topic, 0);
            // A retry topic's consumer waits until the record has aged by the
            // retry delay; Spring pauses the partition, here we seek back.
            if stage > 0 && r.timestamp + self.config.retry_delay_ms as i64 > now {
                self.cluster.seek(&consumer, &tp, SeekTo::Offset(r.offset))?;
                continue;
            }
            let body = String::from_utf8_lossy(r.value.as_deref().unwrap_or_default()).into_owned();
            if self.worker.node.reached(CrashPoint::BeforeProcessing) {
                return self.crashed(body, CrashPoint::BeforeProcessing);
            }
            let attempt = header(&r.headers, ATTEMPTS_HEADER).and_then(|a| a.parse::<u32>().ok()).unwrap_or(0) + 1;
            let ok = self.worker.attempt(&body);
            // A crash here repeats the attempt under the same number: the
            // offset was not committed, so the next incarnation reads it again.
            if self.worker.node.reached(CrashPoint::AfterProcessing) {
                return self.crashed(body, CrashPoint::AfterProcessing);
            }
            let name = body.clone();
            let outcome = if ok {
                RetryStep::Succeeded { body, attempt }
            } else {
                let mut headers: Vec<Header> = r.headers.iter().filter(|h| h.key != ATTEMPTS_HEADER).cloned().collect();
                headers.push(text_header(ATTEMPTS_HEADER, attempt));
                headers.push(text_header("x-original-topic", &topic));
                let (to, outcome) = if attempt < self.config.max_attempts {
                    let to = kafka_retry_topic(attempt);
                    (to.clone(), RetryStep::Retrying { body, attempt, to })
                } else {
                    headers.push(text_header(ERROR_HEADER, FAILURE));
                    (KAFKA_DLT.to_string(), RetryStep::DeadLettered { body, attempts: attempt })
                };
                let record = ProducerRecord {
                    topic: to,
                    key: r.key.clone(),
                    value: r.value.clone(),
                    headers,
                    ..ProducerRecord::default()
                };
                self.cluster.produce(KAFKA_PRODUCER, record)?;
                outcome
            };
            // The offset is committed after the retry record is written, so a
            // crash in between repeats the attempt rather than losing it.
            self.cluster.commit(&consumer, Some(vec![(tp, r.offset + 1)]))?;
            if self.worker.node.reached(CrashPoint::AfterAck) {
                return self.crashed(name, CrashPoint::AfterAck);
            }
            return Ok(outcome);
        }
        Ok(RetryStep::Idle)
    }

    /// Records not yet committed by their stage's group.
    pub fn in_flight(&self) -> u64 {
        self.stages
            .iter()
            .map(|(topic, group)| {
                let end = self.cluster.partition(topic, 0).map_or(0, |p| p.high_watermark);
                let committed =
                    self.cluster.group(group).and_then(|g| g.committed.first().map(|(_, o)| *o)).unwrap_or(0);
                (end - committed).max(0) as u64
            })
            .sum()
    }

    /// Steps until `max_steps` ran out or nothing is left outside the dead-letter topic.
    pub fn run(&mut self, max_steps: u32) -> Result<u32, PatternError> {
        for n in 0..max_steps {
            if self.in_flight() == 0 {
                return Ok(n);
            }
            self.step()?;
        }
        Ok(max_steps)
    }

    /// The records of the dead-letter topic, oldest first.
    pub fn dead_letters(&self) -> Vec<DeadLetter> {
        let records = self.cluster.records(KAFKA_DLT, 0).unwrap_or_default();
        records
            .iter()
            .filter(|r| !r.kind.is_control())
            .map(|r| {
                let h = &r.data.headers;
                DeadLetter {
                    id: r.offset as u64,
                    body: String::from_utf8_lossy(r.data.value.as_deref().unwrap_or_default()).into_owned(),
                    attempts: header(h, ATTEMPTS_HEADER).and_then(|a| a.parse().ok()).unwrap_or(0),
                    error: header(h, ERROR_HEADER).unwrap_or_default().to_string(),
                    history: h
                        .iter()
                        .filter(|x| x.key == "x-original-topic")
                        .filter_map(|x| {
                            let t = std::str::from_utf8(x.value.as_deref()?).ok()?;
                            Some((t.to_string(), "failed".to_string(), 1))
                        })
                        .collect(),
                    republished: self.republished.contains(&r.offset),
                }
            })
            .collect()
    }

    /// Produces dead letter `id` (its offset) to the main topic again, with
    /// the attempt count reset. The record stays in the log, marked republished.
    pub fn republish(&mut self, id: u64) -> Result<(), PatternError> {
        let offset = i64::try_from(id).map_err(|_| PatternError::UnknownDeadLetter(id))?;
        if self.republished.contains(&offset) {
            return Err(PatternError::UnknownDeadLetter(id));
        }
        let record = self.cluster.record(KAFKA_DLT, 0, offset)?.ok_or(PatternError::UnknownDeadLetter(id))?;
        if record.kind.is_control() {
            return Err(PatternError::UnknownDeadLetter(id));
        }
        let out = ProducerRecord {
            topic: KAFKA_MAIN.to_string(),
            key: record.data.key.clone(),
            value: record.data.value.clone(),
            ..ProducerRecord::default()
        };
        self.cluster.produce(KAFKA_PRODUCER, out)?;
        self.republished.insert(offset);
        Ok(())
    }

    /// Everything the demo draws.
    pub fn snapshot(&self) -> RetrySnapshot {
        let mut waiting: Vec<(String, u64)> = self
            .stages
            .iter()
            .map(|(topic, group)| {
                let end = self.cluster.partition(topic, 0).map_or(0, |p| p.high_watermark);
                let committed =
                    self.cluster.group(group).and_then(|g| g.committed.first().map(|(_, o)| *o)).unwrap_or(0);
                (topic.clone(), (end - committed).max(0) as u64)
            })
            .collect();
        let dead = self.dead_letters().iter().filter(|d| !d.republished).count() as u64;
        waiting.push((KAFKA_DLT.to_string(), dead));
        RetrySnapshot {
            config: self.config,
            worker: self.worker.node.clone(),
            succeeded: self.worker.succeeded.clone(),
            attempts: self.worker.attempts.clone(),
            poison: self.worker.poison.clone(),
            waiting,
            dead_letters: self.dead_letters(),
            now_ms: self.cluster.now(),
        }
    }
}
