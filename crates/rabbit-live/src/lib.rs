//! Runs Brokerlab RabbitMQ scripts against a real broker, and the same
//! scripts against the engine, returning what each side observed in one
//! shape so the two can be compared.
//!
//! A script is a list of [`Step`]s. Most steps are the engine's own
//! [`Command`]s; the rest are the few compound operations a script needs
//! that a bare command cannot express against both sides: fetch a message
//! (and settle it whatever its delivery tag turns out to be), settle a
//! channel's oldest unacknowledged delivery, wait, and drain queues.
//! [`run_on_engine`] plays a script on a [`Broker`] (a wait advances
//! logical time); [`LiveBroker::run`] plays it over AMQP through lapin (a
//! wait sleeps). Both return an [`Outcome`], which includes what each
//! consumer received, in order.
//!
//! Deliveries to consumers arrive asynchronously from a real broker. To
//! make the live side deterministic, [`LiveBroker::run_expecting`] takes
//! the engine's outcome and, after each step, waits (for at most
//! [`Pacing::delivery_timeout`]) until every consumer has received as many
//! deliveries as the engine says it had by then, and then watches for
//! [`Pacing::grace`] that nothing more arrives. Each delivery is stamped
//! with the step during which it arrived, so a broker that delivers late,
//! early, more or less than the engine shows up as a difference instead of
//! being waited away.
//!
//! Each `OpenConnection` in a script opens a real connection (to the URL
//! given to [`LiveBroker::connect`], whose vhost it uses), numbered from 1 as
//! a fresh engine numbers them, and each `OpenChannel` a channel on it, so
//! closing a connection closes exactly what the engine closes. Channels of
//! connections the script never opened run on one connection of their own.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use brokerlab_rabbit::{
    BasicProperties, Broker, ChannelId, Command, ConnectionId, Event, ExchangeKind, FieldTable, FieldValue,
};
use lapin::options::{
    BasicAckOptions, BasicCancelOptions, BasicConsumeOptions, BasicGetOptions, BasicNackOptions, BasicPublishOptions,
    BasicQosOptions, BasicRejectOptions, ConfirmSelectOptions, ExchangeBindOptions, ExchangeDeclareOptions,
    ExchangeDeleteOptions, ExchangeUnbindOptions, QueueBindOptions, QueueDeclareOptions, QueueDeleteOptions,
    QueuePurgeOptions,
};
use lapin::types::{AMQPValue, FieldArray, LongString, ShortString};
use serde::{Deserialize, Serialize};

/// What to do with a fetched message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Settle {
    Ack,
    Reject { requeue: bool },
    Nack { requeue: bool },
}

/// One step of a script. Scripts are short lists built once, so the size
/// of the `Command` variant does not matter and boxing it would only make
/// scripts clumsier to write.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Step {
    /// An engine command, sent as the matching AMQP method.
    Do(Command),
    /// `basic.get` on a queue, then settle whatever came back.
    GetThen { channel: ChannelId, queue: String, settle: Settle },
    /// `basic.get` on a queue, recorded in [`Outcome::gets`]. Without
    /// `no_ack` the message stays unacknowledged on the channel until a
    /// [`Step::Settle`] or the channel's end.
    Get { channel: ChannelId, queue: String, no_ack: bool },
    /// Settle a delivery on a channel: `delivery_tag`, or when it is `None`
    /// the channel's oldest unacknowledged delivery (a consumer's or a
    /// get's). When there is none, nothing is sent. The tag settled (or
    /// `None`) is recorded in [`Outcome::settled`].
    Settle { channel: ChannelId, delivery_tag: Option<u64>, multiple: bool, how: Settle },
    /// Let time pass: logical time on the engine, real time on a broker.
    Wait { ms: u64 },
    /// Fetch every message from each queue in turn (with auto-ack),
    /// recording them under the queue's name. A queue that does not exist
    /// (a restart removed it, say) gets no entry, and draining goes on with
    /// the next queue on a new channel, since the refusal closes the old one.
    Drain { channel: ChannelId, queues: Vec<String> },
}

/// A message as seen by a client.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Observed {
    pub body: String,
    pub exchange: String,
    pub routing_key: String,
    pub redelivered: bool,
    pub headers: FieldTable,
    pub expiration: Option<String>,
    pub delivery_mode: Option<u8>,
    pub priority: Option<u8>,
}

/// One message pushed to a consumer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Delivered {
    /// The script step that caused it: on the engine, the step whose events
    /// hold it; on a broker, the step running (or being waited on) when it
    /// arrived.
    pub step: usize,
    pub delivery_tag: u64,
    pub message: Observed,
}

/// One consumer (one `basic.consume`) and everything pushed to it, in order.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Consumed {
    pub channel: ChannelId,
    pub consumer_tag: String,
    pub deliveries: Vec<Delivered>,
}

/// Everything a script observed: the result of each `GetThen` and `Get` in
/// order, the drained contents of each queue in delivery order, each
/// consumer's deliveries (consumers in the order they started), and the
/// delivery tag each [`Step::Settle`] settled.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Outcome {
    pub gets: Vec<Option<Observed>>,
    pub drained: BTreeMap<String, Vec<Observed>>,
    #[serde(default)]
    pub consumers: Vec<Consumed>,
    #[serde(default)]
    pub settled: Vec<Option<u64>>,
}

impl Outcome {
    /// How many deliveries the consumer at `index` had received once step
    /// `step` was done.
    pub fn deliveries_by(&self, index: usize, step: usize) -> usize {
        self.consumers.get(index).map_or(0, |c| c.deliveries.iter().filter(|d| d.step <= step).count())
    }

    /// Files the consumer starts and deliveries among `events` under `step`.
    fn record(&mut self, step: usize, events: &[Event]) {
        for e in events {
            match e {
                Event::ConsumerStarted { channel, consumer_tag, .. } => self.consumers.push(Consumed {
                    channel: *channel,
                    consumer_tag: consumer_tag.clone(),
                    deliveries: Vec::new(),
                }),
                Event::Delivered { channel, consumer_tag, delivery_tag, message, .. } => {
                    let d = Delivered { step, delivery_tag: *delivery_tag, message: observed_from_engine(message) };
                    match self
                        .consumers
                        .iter_mut()
                        .rev()
                        .find(|c| c.channel == *channel && c.consumer_tag == *consumer_tag)
                    {
                        Some(c) => c.deliveries.push(d),
                        None => self.consumers.push(Consumed {
                            channel: *channel,
                            consumer_tag: consumer_tag.clone(),
                            deliveries: vec![d],
                        }),
                    }
                }
                _ => {}
            }
        }
    }
}

/// A failure talking to the real broker, or a step it cannot run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveError(pub String);

impl fmt::Display for LiveError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for LiveError {}

impl From<lapin::Error> for LiveError {
    fn from(e: lapin::Error) -> Self {
        LiveError(e.to_string())
    }
}

fn observed_from_engine(m: &brokerlab_rabbit::Message) -> Observed {
    Observed {
        body: m.body.clone(),
        exchange: m.exchange.clone(),
        routing_key: m.routing_key.clone(),
        redelivered: m.redelivered,
        headers: m.properties.headers.clone().unwrap_or_default(),
        expiration: m.properties.expiration.clone(),
        delivery_mode: m.properties.delivery_mode,
        priority: m.properties.priority,
    }
}

fn get_ok(events: &[Event]) -> Option<(u64, Observed)> {
    events.iter().find_map(|e| match e {
        Event::GetOk { delivery_tag, message, .. } => Some((*delivery_tag, observed_from_engine(message))),
        _ => None,
    })
}

fn settle_on_engine(
    broker: &mut Broker,
    channel: ChannelId,
    tag: u64,
    multiple: bool,
    how: Settle,
) -> Result<Vec<Event>, brokerlab_rabbit::AmqpError> {
    match how {
        Settle::Ack => broker.ack(channel, tag, multiple),
        Settle::Reject { requeue } => broker.reject(channel, tag, requeue),
        Settle::Nack { requeue } => broker.nack(channel, tag, multiple, requeue),
    }
}

/// Plays a script on the engine.
pub fn run_on_engine(broker: &mut Broker, steps: &[Step]) -> Result<Outcome, brokerlab_rabbit::AmqpError> {
    let mut out = Outcome::default();
    // Drain channels a missing queue closed, and the channels that replace them.
    let mut reopened: BTreeMap<ChannelId, ChannelId> = BTreeMap::new();
    for (i, step) in steps.iter().enumerate() {
        match step {
            Step::Do(cmd) => {
                let events = broker.apply(cmd.clone()).into_result()?;
                out.record(i, &events);
            }
            Step::GetThen { channel, queue, settle } => {
                let events = broker.get(*channel, queue, false)?;
                out.record(i, &events);
                let got = get_ok(&events);
                if let Some((tag, _)) = &got {
                    let events = settle_on_engine(broker, *channel, *tag, false, *settle)?;
                    out.record(i, &events);
                }
                out.gets.push(got.map(|g| g.1));
            }
            Step::Get { channel, queue, no_ack } => {
                let events = broker.get(*channel, queue, *no_ack)?;
                out.record(i, &events);
                out.gets.push(get_ok(&events).map(|g| g.1));
            }
            Step::Settle { channel, delivery_tag, multiple, how } => {
                let tag = delivery_tag.or_else(|| {
                    broker
                        .channels()
                        .into_iter()
                        .find(|c| c.channel == *channel)
                        .and_then(|c| c.unacked.iter().map(|u| u.delivery_tag).min())
                });
                if let Some(tag) = tag {
                    let events = settle_on_engine(broker, *channel, tag, *multiple, *how)?;
                    out.record(i, &events);
                }
                out.settled.push(tag);
            }
            Step::Wait { ms } => {
                let events = broker.tick(*ms);
                out.record(i, &events);
            }
            Step::Drain { channel, queues } => {
                let mut ch = reopened.get(channel).copied().unwrap_or(*channel);
                for q in queues {
                    let mut got = Vec::new();
                    let missing = loop {
                        match broker.get(ch, q, true) {
                            Ok(events) => match get_ok(&events) {
                                Some((_, m)) => got.push(m),
                                None => break false,
                            },
                            Err(e) if e.code == brokerlab_rabbit::ReplyCode::NotFound => break true,
                            Err(e) => return Err(e),
                        }
                    };
                    if missing {
                        ch = broker.open_channel(ch.connection)?;
                        reopened.insert(*channel, ch);
                    } else {
                        out.drained.entry(q.clone()).or_default().extend(got);
                    }
                }
            }
        }
    }
    Ok(out)
}

/// `url` with its path replaced by `vhost`, percent-encoded (so `/` becomes
/// `%2F`); the scheme, credentials, host, port and query are kept.
pub fn vhost_url(url: &str, vhost: &str) -> String {
    let after_scheme = url.find("://").map_or(0, |i| i + 3);
    let rest = &url[after_scheme..];
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let tail = &rest[authority_end..];
    let tail = tail.find('#').map_or(tail, |i| &tail[..i]);
    let query = tail.find('?').map_or("", |i| &tail[i..]);
    let mut path = String::new();
    for b in vhost.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            path.push(char::from(b));
        } else {
            path.push_str(&format!("%{b:02X}"));
        }
    }
    format!("{}{}/{path}{query}", &url[..after_scheme], &rest[..authority_end])
}

/// How a [`LiveBroker`] paces a script against a real broker's asynchrony.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pacing {
    /// A pause after each publish: `basic.publish` returns before the broker
    /// has routed the message, so a `get` on another channel right after it
    /// could overtake it. Zero by default.
    pub after_publish: Duration,
    /// The longest wait, after a step, for the deliveries the engine
    /// expects by then (see [`LiveBroker::run_expecting`]).
    pub delivery_timeout: Duration,
    /// How long to watch, once the expected deliveries are in, that no
    /// more arrive; without expectations, how long the consumers must stay
    /// quiet before the next step.
    pub grace: Duration,
}

impl Default for Pacing {
    fn default() -> Self {
        Pacing {
            after_publish: Duration::ZERO,
            delivery_timeout: Duration::from_secs(5),
            grace: Duration::from_millis(60),
        }
    }
}

/// What the consumers' delivery callbacks write and the script reads.
#[derive(Debug, Default)]
struct Log {
    /// Which `run` is playing; callbacks of consumers from earlier runs only
    /// keep the unacknowledged bookkeeping up to date.
    run: u64,
    step: usize,
    consumers: Vec<Consumed>,
    unacked: BTreeMap<ChannelId, BTreeSet<u64>>,
}

#[derive(Debug, Default)]
struct Shared {
    log: Mutex<Log>,
    arrived: Condvar,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Log> {
        self.log.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn deliver(&self, run: u64, index: usize, channel: ChannelId, no_ack: bool, d: &lapin::message::Delivery) {
        let mut log = self.lock();
        if !no_ack {
            log.unacked.entry(channel).or_default().insert(d.delivery_tag);
        }
        if log.run == run {
            let step = log.step;
            if let Some(c) = log.consumers.get_mut(index) {
                c.deliveries.push(Delivered { step, delivery_tag: d.delivery_tag, message: observed_from_delivery(d) });
            }
        }
        drop(log);
        self.arrived.notify_all();
    }

    /// Bookkeeping for a settle the script sends.
    fn settled(&self, channel: ChannelId, tag: u64, multiple: bool) {
        let mut log = self.lock();
        if let Some(set) = log.unacked.get_mut(&channel) {
            if multiple {
                set.retain(|t| *t > tag);
            } else {
                set.remove(&tag);
            }
        }
    }
}

/// Converts an engine field value to lapin's.
pub fn to_amqp(v: &FieldValue) -> AMQPValue {
    match v {
        FieldValue::Boolean(b) => AMQPValue::Boolean(*b),
        FieldValue::ShortShortInt(i) => AMQPValue::ShortShortInt(*i),
        FieldValue::ShortShortUInt(i) => AMQPValue::ShortShortUInt(*i),
        FieldValue::ShortInt(i) => AMQPValue::ShortInt(*i),
        FieldValue::ShortUInt(i) => AMQPValue::ShortUInt(*i),
        FieldValue::LongInt(i) => AMQPValue::LongInt(*i),
        FieldValue::LongUInt(i) => AMQPValue::LongUInt(*i),
        FieldValue::LongLongInt(i) => AMQPValue::LongLongInt(*i),
        FieldValue::Float(f) => AMQPValue::Float(*f),
        FieldValue::Double(f) => AMQPValue::Double(*f),
        FieldValue::LongString(s) => AMQPValue::LongString(LongString::from(s.as_str())),
        FieldValue::Timestamp(t) => AMQPValue::Timestamp(*t),
        FieldValue::FieldTable(t) => AMQPValue::FieldTable(to_amqp_table(t)),
        FieldValue::FieldArray(a) => AMQPValue::FieldArray(FieldArray::from(a.iter().map(to_amqp).collect::<Vec<_>>())),
        FieldValue::ByteArray(b) => AMQPValue::ByteArray(b.as_slice().into()),
        FieldValue::Void => AMQPValue::Void,
    }
}

/// Converts lapin's field value to the engine's.
pub fn from_amqp(v: &AMQPValue) -> FieldValue {
    match v {
        AMQPValue::Boolean(b) => FieldValue::Boolean(*b),
        AMQPValue::ShortShortInt(i) => FieldValue::ShortShortInt(*i),
        AMQPValue::ShortShortUInt(i) => FieldValue::ShortShortUInt(*i),
        AMQPValue::ShortInt(i) => FieldValue::ShortInt(*i),
        AMQPValue::ShortUInt(i) => FieldValue::ShortUInt(*i),
        AMQPValue::LongInt(i) => FieldValue::LongInt(*i),
        AMQPValue::LongUInt(i) => FieldValue::LongUInt(*i),
        AMQPValue::LongLongInt(i) => FieldValue::LongLongInt(*i),
        AMQPValue::Float(f) => FieldValue::Float(*f),
        AMQPValue::Double(f) => FieldValue::Double(*f),
        AMQPValue::DecimalValue(d) => FieldValue::Double(f64::from(d.value) / 10f64.powi(i32::from(d.scale))),
        AMQPValue::ShortString(s) => FieldValue::LongString(s.as_str().to_string()),
        AMQPValue::LongString(s) => FieldValue::LongString(String::from_utf8_lossy(s.as_bytes()).into_owned()),
        AMQPValue::FieldArray(a) => FieldValue::FieldArray(a.as_slice().iter().map(from_amqp).collect()),
        AMQPValue::Timestamp(t) => FieldValue::Timestamp(*t),
        AMQPValue::FieldTable(t) => FieldValue::FieldTable(from_amqp_table(t)),
        AMQPValue::ByteArray(b) => FieldValue::ByteArray(b.as_slice().to_vec()),
        AMQPValue::Void => FieldValue::Void,
    }
}

/// Converts an engine table to lapin's.
pub fn to_amqp_table(t: &FieldTable) -> lapin::types::FieldTable {
    let mut out = lapin::types::FieldTable::default();
    for (k, v) in t {
        out.insert(ShortString::from(k.as_str()), to_amqp(v));
    }
    out
}

/// Converts lapin's table to the engine's.
pub fn from_amqp_table(t: &lapin::types::FieldTable) -> FieldTable {
    t.inner().iter().map(|(k, v)| (k.as_str().to_string(), from_amqp(v))).collect()
}

fn to_amqp_properties(p: &BasicProperties) -> lapin::BasicProperties {
    let mut out = lapin::BasicProperties::default();
    if let Some(v) = &p.content_type {
        out = out.with_content_type(v.as_str().into());
    }
    if let Some(h) = &p.headers {
        out = out.with_headers(to_amqp_table(h));
    }
    if let Some(v) = p.delivery_mode {
        out = out.with_delivery_mode(v);
    }
    if let Some(v) = p.priority {
        out = out.with_priority(v);
    }
    if let Some(v) = &p.correlation_id {
        out = out.with_correlation_id(v.as_str().into());
    }
    if let Some(v) = &p.reply_to {
        out = out.with_reply_to(v.as_str().into());
    }
    if let Some(v) = &p.expiration {
        out = out.with_expiration(v.as_str().into());
    }
    if let Some(v) = &p.message_id {
        out = out.with_message_id(v.as_str().into());
    }
    if let Some(v) = p.timestamp {
        out = out.with_timestamp(v);
    }
    if let Some(v) = &p.app_id {
        out = out.with_app_id(v.as_str().into());
    }
    out
}

fn lapin_kind(k: ExchangeKind) -> lapin::ExchangeKind {
    match k {
        ExchangeKind::Direct => lapin::ExchangeKind::Direct,
        ExchangeKind::Fanout => lapin::ExchangeKind::Fanout,
        ExchangeKind::Topic => lapin::ExchangeKind::Topic,
        ExchangeKind::Headers => lapin::ExchangeKind::Headers,
    }
}

/// A connection to a real broker that plays scripts.
pub struct LiveBroker {
    runtime: tokio::runtime::Runtime,
    url: String,
    /// Carries the channels of connections the script never opened.
    connection: lapin::Connection,
    /// The connections the script opened, by the number the engine gives them.
    connections: BTreeMap<ConnectionId, lapin::Connection>,
    opened: ConnectionId,
    next_channel: BTreeMap<ConnectionId, u16>,
    channels: BTreeMap<ChannelId, lapin::Channel>,
    /// Kept alive: dropping a lapin consumer cancels it.
    consumers: Vec<lapin::Consumer>,
    shared: Arc<Shared>,
    pacing: Pacing,
    /// The node `rabbitmqctl -n` restarts; without one, restarts are refused.
    node: Option<String>,
}

impl fmt::Debug for LiveBroker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LiveBroker")
            .field("connections", &self.connections.len())
            .field("channels", &self.channels.len())
            .field("consumers", &self.consumers.len())
            .field("pacing", &self.pacing)
            .field("node", &self.node)
            .finish()
    }
}

fn open(runtime: &tokio::runtime::Runtime, url: &str) -> Result<lapin::Connection, LiveError> {
    runtime
        .block_on(async {
            tokio::time::timeout(
                Duration::from_secs(5),
                lapin::Connection::connect(url, lapin::ConnectionProperties::default()),
            )
            .await
        })
        .map_err(|_| LiveError(format!("timed out connecting to {url}")))?
        .map_err(LiveError::from)
}

impl LiveBroker {
    /// Connects to `url` (for example `amqp://guest:guest@127.0.0.1:5672/%2f`).
    /// Every connection a script opens goes to the same URL, so to its vhost.
    pub fn connect(url: &str) -> Result<Self, LiveError> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .map_err(|e| LiveError(format!("cannot start the client runtime: {e}")))?;
        let connection = open(&runtime, url)?;
        Ok(LiveBroker {
            runtime,
            url: url.to_string(),
            connection,
            connections: BTreeMap::new(),
            opened: 0,
            next_channel: BTreeMap::new(),
            channels: BTreeMap::new(),
            consumers: Vec::new(),
            shared: Arc::new(Shared::default()),
            pacing: Pacing::default(),
            node: None,
        })
    }

    /// Sets how scripts are paced.
    pub fn set_pacing(&mut self, pacing: Pacing) {
        self.pacing = pacing;
    }

    /// Lets `Command::Restart` restart the broker with `rabbitmqctl -n NODE
    /// stop_app` and `start_app`, which must reach the node the URL points
    /// at. Without a node, a restart is refused.
    pub fn set_rabbitmqctl_node(&mut self, node: Option<String>) {
        self.node = node;
    }

    /// Restarts the broker's application, as `Command::Restart` does the
    /// engine: every connection drops (the broker requeues their
    /// unacknowledged deliveries), transient queues, exchanges and messages
    /// are lost. The script's connections are forgotten, so its next
    /// `OpenConnection` opens a new one.
    fn restart(&mut self) -> Result<(), LiveError> {
        let Some(node) = self.node.clone() else {
            return Err(LiveError(
                "not supported against a live broker: Restart (no rabbitmqctl node was given)".into(),
            ));
        };
        for args in [["stop_app"], ["start_app"]] {
            let out = std::process::Command::new("rabbitmqctl")
                .args(["-n", node.as_str(), "--timeout", "120"])
                .args(args)
                .output()
                .map_err(|e| LiveError(format!("cannot run rabbitmqctl: {e}")))?;
            if !out.status.success() {
                return Err(LiveError(format!(
                    "rabbitmqctl -n {node} {} failed: {}",
                    args[0],
                    String::from_utf8_lossy(&out.stderr).trim()
                )));
            }
        }
        self.connections.clear();
        self.channels.clear();
        self.consumers.clear();
        self.shared.lock().unacked.clear();
        // The listener may take a moment after start_app returns.
        let mut tries = 0;
        self.connection = loop {
            match open(&self.runtime, &self.url) {
                Ok(c) => break c,
                Err(e) if tries >= 20 => return Err(e),
                Err(_) => {
                    tries += 1;
                    std::thread::sleep(Duration::from_millis(250));
                }
            }
        };
        Ok(())
    }

    fn channel(&mut self, id: ChannelId) -> Result<lapin::Channel, LiveError> {
        if let Some(c) = self.channels.get(&id)
            && c.status().connected()
        {
            return Ok(c.clone());
        }
        let connection = match self.connections.get(&id.connection) {
            Some(c) if c.status().connected() => c,
            _ => &self.connection,
        };
        let c = self.runtime.block_on(connection.create_channel())?;
        self.channels.insert(id, c.clone());
        Ok(c)
    }

    /// Plays a script on the broker. Steps the broker refuses come back as
    /// errors with the broker's own text. After each step it waits until
    /// the consumers have been quiet for [`Pacing::grace`] (at most
    /// [`Pacing::delivery_timeout`]).
    pub fn run(&mut self, steps: &[Step]) -> Result<Outcome, LiveError> {
        self.play(steps, None)
    }

    /// Plays a script on the broker as [`LiveBroker::run`] does, but after
    /// each step waits for the deliveries `expected` (the engine's outcome
    /// of the same script) has by the end of that step, for at most
    /// [`Pacing::delivery_timeout`], then for [`Pacing::grace`] in case more
    /// arrive. Consumers are matched by position: the n-th consumer started
    /// here with the n-th in `expected`.
    pub fn run_expecting(&mut self, steps: &[Step], expected: &Outcome) -> Result<Outcome, LiveError> {
        self.play(steps, Some(expected))
    }

    fn play(&mut self, steps: &[Step], expected: Option<&Outcome>) -> Result<Outcome, LiveError> {
        let run = {
            let mut log = self.shared.lock();
            log.run += 1;
            log.step = 0;
            log.consumers.clear();
            log.run
        };
        let mut out = Outcome::default();
        for (i, step) in steps.iter().enumerate() {
            self.shared.lock().step = i;
            match step {
                Step::Do(cmd) => self.command(cmd, run)?,
                Step::GetThen { channel, queue, settle } => {
                    let ch = self.channel(*channel)?;
                    let got = self.runtime.block_on(async {
                        let got = ch.basic_get(queue.as_str().into(), BasicGetOptions { no_ack: false }).await?;
                        if let Some(m) = &got {
                            send_settle(&ch, m.delivery.delivery_tag, false, *settle).await?;
                        }
                        Ok::<_, lapin::Error>(got.map(|m| observed_from_delivery(&m.delivery)))
                    })?;
                    out.gets.push(got);
                }
                Step::Get { channel, queue, no_ack } => {
                    let ch = self.channel(*channel)?;
                    let got = self
                        .runtime
                        .block_on(ch.basic_get(queue.as_str().into(), BasicGetOptions { no_ack: *no_ack }))?;
                    if let Some(m) = &got
                        && !*no_ack
                    {
                        self.shared.lock().unacked.entry(*channel).or_default().insert(m.delivery.delivery_tag);
                    }
                    out.gets.push(got.map(|m| observed_from_delivery(&m.delivery)));
                }
                Step::Settle { channel, delivery_tag, multiple, how } => {
                    let tag = delivery_tag
                        .or_else(|| self.shared.lock().unacked.get(channel).and_then(|set| set.iter().next().copied()));
                    if let Some(tag) = tag {
                        let ch = self.channel(*channel)?;
                        self.runtime.block_on(send_settle(&ch, tag, *multiple, *how))?;
                        self.shared.settled(*channel, tag, *multiple && !matches!(how, Settle::Reject { .. }));
                    }
                    out.settled.push(tag);
                }
                Step::Wait { ms } => std::thread::sleep(Duration::from_millis(*ms)),
                Step::Drain { channel, queues } => {
                    for q in queues {
                        let ch = self.channel(*channel)?;
                        let mut got = Vec::new();
                        let missing = loop {
                            match self
                                .runtime
                                .block_on(ch.basic_get(q.as_str().into(), BasicGetOptions { no_ack: true }))
                            {
                                Ok(Some(m)) => got.push(observed_from_delivery(&m.delivery)),
                                Ok(None) => break false,
                                Err(e) if is_not_found(&e) => break true,
                                Err(e) => return Err(e.into()),
                            }
                        };
                        if missing {
                            // The refusal closed the channel; the next queue gets a new one.
                            self.channels.remove(channel);
                        } else {
                            out.drained.entry(q.clone()).or_default().extend(got);
                        }
                    }
                }
            }
            if matches!(step, Step::Do(Command::BasicPublish { .. })) && !self.pacing.after_publish.is_zero() {
                std::thread::sleep(self.pacing.after_publish);
            }
            self.await_deliveries(i, step, expected);
        }
        out.consumers = std::mem::take(&mut self.shared.lock().consumers);
        Ok(out)
    }

    /// Waits after step `step` until the consumers have what `expected`
    /// says they had by then, then watches for a grace period (cut short
    /// when any consumer gets more than expected). Without expectations,
    /// waits until no delivery has arrived for a grace period.
    fn await_deliveries(&self, step: usize, what: &Step, expected: Option<&Outcome>) {
        let may_deliver = match what {
            Step::Do(cmd) => matches!(
                cmd,
                Command::BasicPublish { .. }
                    | Command::BasicConsume { .. }
                    | Command::BasicCancel { .. }
                    | Command::BasicQos { .. }
                    | Command::BasicAck { .. }
                    | Command::BasicNack { .. }
                    | Command::BasicReject { .. }
                    | Command::CloseChannel { .. }
                    | Command::CloseConnection { .. }
                    | Command::Tick { .. }
                    | Command::QueueDelete { .. }
            ),
            Step::GetThen { .. } | Step::Settle { .. } | Step::Wait { .. } => true,
            Step::Get { .. } | Step::Drain { .. } => false,
        };
        let mut log = self.shared.lock();
        if log.consumers.is_empty() && expected.is_none_or(|e| e.consumers.is_empty()) {
            return;
        }
        let counts = |log: &Log| log.consumers.iter().map(|c| c.deliveries.len()).collect::<Vec<_>>();
        let targets: Vec<usize> = match expected {
            Some(e) => (0..e.consumers.len().max(log.consumers.len())).map(|c| e.deliveries_by(c, step)).collect(),
            None => counts(&log),
        };
        let reached = |now: &[usize]| targets.iter().enumerate().all(|(c, t)| now.get(c).copied().unwrap_or(0) >= *t);
        let beyond = |now: &[usize]| now.iter().enumerate().any(|(c, n)| *n > targets.get(c).copied().unwrap_or(0));
        let deadline = Instant::now() + self.pacing.delivery_timeout;
        while !reached(&counts(&log)) {
            let now = Instant::now();
            if now >= deadline {
                break;
            }
            log = self.shared.arrived.wait_timeout(log, deadline - now).unwrap_or_else(|e| e.into_inner()).0;
        }
        if !may_deliver {
            return;
        }
        // The grace period: anything more than expected is recorded (and so
        // reported), not waited for. Without expectations, every arrival
        // restarts it, until the consumers are quiet.
        let mut seen = counts(&log);
        if expected.is_some() && beyond(&seen) {
            return;
        }
        let mut quiet_from = Instant::now();
        let cap = deadline.max(quiet_from + self.pacing.grace);
        loop {
            let now = Instant::now();
            let until = (quiet_from + self.pacing.grace).min(cap);
            if now >= until {
                break;
            }
            log = self.shared.arrived.wait_timeout(log, until - now).unwrap_or_else(|e| e.into_inner()).0;
            let now_counts = counts(&log);
            if expected.is_some() && beyond(&now_counts) {
                break;
            }
            if expected.is_none() && now_counts != seen {
                seen = now_counts;
                quiet_from = Instant::now();
            }
        }
    }

    fn command(&mut self, cmd: &Command, run: u64) -> Result<(), LiveError> {
        match cmd {
            Command::Tick { ms } => {
                std::thread::sleep(Duration::from_millis(*ms));
                return Ok(());
            }
            Command::Restart => return self.restart(),
            Command::OpenConnection { .. } => {
                let c = open(&self.runtime, &self.url)?;
                self.opened += 1;
                self.connections.insert(self.opened, c);
                return Ok(());
            }
            Command::OpenChannel { connection } => {
                let n = self.next_channel.entry(*connection).or_insert(1);
                let id = ChannelId { connection: *connection, channel: *n };
                *n = n.wrapping_add(1).max(1);
                let on = self
                    .connections
                    .get(connection)
                    .ok_or_else(|| LiveError(format!("connection {connection} is not open")))?;
                let c = self.runtime.block_on(on.create_channel())?;
                self.channels.insert(id, c);
                return Ok(());
            }
            Command::CloseConnection { connection } => {
                let c = self
                    .connections
                    .remove(connection)
                    .ok_or_else(|| LiveError(format!("connection {connection} is not open")))?;
                self.runtime.block_on(c.close(200, "closed by the script".into()))?;
                self.forget(|id| id.connection == *connection);
                return Ok(());
            }
            Command::CloseChannel { channel } => {
                let c = self
                    .channels
                    .remove(channel)
                    .ok_or_else(|| LiveError(format!("channel {channel:?} is not open")))?;
                self.runtime.block_on(c.close(200, "closed by the script".into()))?;
                self.forget(|id| id == *channel);
                return Ok(());
            }
            Command::BasicConsume { channel, queue, consumer_tag, no_ack, exclusive, arguments } => {
                let ch = self.channel(*channel)?;
                let consumer = self.runtime.block_on(ch.basic_consume(
                    queue.as_str().into(),
                    consumer_tag.as_str().into(),
                    BasicConsumeOptions { no_local: false, no_ack: *no_ack, exclusive: *exclusive, nowait: false },
                    to_amqp_table(arguments),
                ))?;
                let index = {
                    let mut log = self.shared.lock();
                    log.consumers.push(Consumed {
                        channel: *channel,
                        consumer_tag: consumer.tag().as_str().to_string(),
                        deliveries: Vec::new(),
                    });
                    log.consumers.len() - 1
                };
                let shared = Arc::clone(&self.shared);
                let (id, no_ack) = (*channel, *no_ack);
                consumer.set_delegate(move |d: lapin::message::DeliveryResult| {
                    if let Ok(Some(d)) = &d {
                        shared.deliver(run, index, id, no_ack, d);
                    }
                    std::future::ready(())
                });
                self.consumers.push(consumer);
                return Ok(());
            }
            _ => {}
        }
        let Some(id) = cmd.channel() else {
            return Err(LiveError(format!("not supported against a live broker: {cmd:?}")));
        };
        let ch = self.channel(id)?;
        let shared = Arc::clone(&self.shared);
        self.runtime.block_on(async {
            match cmd {
                Command::ExchangeDeclare {
                    exchange, kind, passive, durable, auto_delete, internal, arguments, ..
                } => {
                    ch.exchange_declare(
                        exchange.as_str().into(),
                        lapin_kind(*kind),
                        ExchangeDeclareOptions {
                            passive: *passive,
                            durable: *durable,
                            auto_delete: *auto_delete,
                            internal: *internal,
                            nowait: false,
                        },
                        to_amqp_table(arguments),
                    )
                    .await
                }
                Command::ExchangeDelete { exchange, if_unused, .. } => {
                    ch.exchange_delete(
                        exchange.as_str().into(),
                        ExchangeDeleteOptions { if_unused: *if_unused, nowait: false },
                    )
                    .await
                }
                Command::QueueDeclare { queue, passive, durable, exclusive, auto_delete, arguments, .. } => ch
                    .queue_declare(
                        queue.as_str().into(),
                        QueueDeclareOptions {
                            passive: *passive,
                            durable: *durable,
                            exclusive: *exclusive,
                            auto_delete: *auto_delete,
                            nowait: false,
                        },
                        to_amqp_table(arguments),
                    )
                    .await
                    .map(|_| ()),
                Command::QueueDelete { queue, if_unused, if_empty, .. } => ch
                    .queue_delete(
                        queue.as_str().into(),
                        QueueDeleteOptions { if_unused: *if_unused, if_empty: *if_empty, nowait: false },
                    )
                    .await
                    .map(|_| ()),
                Command::QueuePurge { queue, .. } => {
                    ch.queue_purge(queue.as_str().into(), QueuePurgeOptions::default()).await.map(|_| ())
                }
                Command::QueueBind { queue, exchange, routing_key, arguments, .. } => {
                    ch.queue_bind(
                        queue.as_str().into(),
                        exchange.as_str().into(),
                        routing_key.as_str().into(),
                        QueueBindOptions::default(),
                        to_amqp_table(arguments),
                    )
                    .await
                }
                Command::QueueUnbind { queue, exchange, routing_key, arguments, .. } => {
                    ch.queue_unbind(
                        queue.as_str().into(),
                        exchange.as_str().into(),
                        routing_key.as_str().into(),
                        to_amqp_table(arguments),
                    )
                    .await
                }
                Command::ExchangeBind { destination, source, routing_key, arguments, .. } => {
                    ch.exchange_bind(
                        destination.as_str().into(),
                        source.as_str().into(),
                        routing_key.as_str().into(),
                        ExchangeBindOptions::default(),
                        to_amqp_table(arguments),
                    )
                    .await
                }
                Command::ExchangeUnbind { destination, source, routing_key, arguments, .. } => {
                    ch.exchange_unbind(
                        destination.as_str().into(),
                        source.as_str().into(),
                        routing_key.as_str().into(),
                        ExchangeUnbindOptions::default(),
                        to_amqp_table(arguments),
                    )
                    .await
                }
                Command::BasicQos { prefetch_count, global, .. } => {
                    ch.basic_qos(*prefetch_count, BasicQosOptions { global: *global }).await
                }
                Command::BasicPublish { exchange, routing_key, mandatory, properties, body, .. } => ch
                    .basic_publish(
                        exchange.as_str().into(),
                        routing_key.as_str().into(),
                        BasicPublishOptions { mandatory: *mandatory, immediate: false },
                        body.as_bytes(),
                        to_amqp_properties(properties),
                    )
                    .await
                    .map(|_| ()),
                Command::BasicAck { delivery_tag, multiple, .. } => {
                    shared.settled(id, *delivery_tag, *multiple);
                    ch.basic_ack(*delivery_tag, BasicAckOptions { multiple: *multiple }).await
                }
                Command::BasicNack { delivery_tag, multiple, requeue, .. } => {
                    shared.settled(id, *delivery_tag, *multiple);
                    ch.basic_nack(*delivery_tag, BasicNackOptions { multiple: *multiple, requeue: *requeue }).await
                }
                Command::BasicReject { delivery_tag, requeue, .. } => {
                    shared.settled(id, *delivery_tag, false);
                    ch.basic_reject(*delivery_tag, BasicRejectOptions { requeue: *requeue }).await
                }
                Command::BasicCancel { consumer_tag, .. } => {
                    ch.basic_cancel(consumer_tag.as_str().into(), BasicCancelOptions { nowait: false }).await
                }
                Command::ConfirmSelect { .. } => ch.confirm_select(ConfirmSelectOptions::default()).await,
                Command::BasicGet { queue, no_ack, .. } => {
                    let got = ch.basic_get(queue.as_str().into(), BasicGetOptions { no_ack: *no_ack }).await?;
                    if let Some(m) = got
                        && !*no_ack
                    {
                        shared.lock().unacked.entry(id).or_default().insert(m.delivery.delivery_tag);
                    }
                    Ok(())
                }
                other => return Err(LiveError(format!("not supported against a live broker: {other:?}"))),
            }
            .map_err(LiveError::from)
        })
    }

    /// Drops the bookkeeping of channels that `gone` selects.
    fn forget(&mut self, gone: impl Fn(ChannelId) -> bool) {
        self.channels.retain(|id, _| !gone(*id));
        self.shared.lock().unacked.retain(|id, _| !gone(*id));
    }

    /// Closes every connection.
    pub fn close(self) -> Result<(), LiveError> {
        self.runtime.block_on(async {
            for c in self.connections.values() {
                if c.status().connected() {
                    c.close(200, "bye".into()).await?;
                }
            }
            self.connection.close(200, "bye".into()).await
        })?;
        Ok(())
    }
}

fn is_not_found(e: &lapin::Error) -> bool {
    matches!(e.kind(), lapin::ErrorKind::ProtocolError(p) if p.get_id() == 404)
}

async fn send_settle(ch: &lapin::Channel, tag: u64, multiple: bool, how: Settle) -> Result<(), lapin::Error> {
    match how {
        Settle::Ack => ch.basic_ack(tag, BasicAckOptions { multiple }).await,
        Settle::Reject { requeue } => ch.basic_reject(tag, BasicRejectOptions { requeue }).await,
        Settle::Nack { requeue } => ch.basic_nack(tag, BasicNackOptions { multiple, requeue }).await,
    }
}

fn observed_from_delivery(d: &lapin::message::Delivery) -> Observed {
    let p = &d.properties;
    Observed {
        body: String::from_utf8_lossy(&d.data).into_owned(),
        exchange: d.exchange.as_str().to_string(),
        routing_key: d.routing_key.as_str().to_string(),
        redelivered: d.redelivered,
        headers: p.headers().as_ref().map(from_amqp_table).unwrap_or_default(),
        expiration: p.expiration().as_ref().map(|s| s.as_str().to_string()),
        delivery_mode: *p.delivery_mode(),
        priority: *p.priority(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_vhost_url_replaces_only_the_path_and_encodes_the_name() {
        let base = "amqp://guest:guest@127.0.0.1:5672/%2f";
        assert_eq!(vhost_url(base, "shop"), "amqp://guest:guest@127.0.0.1:5672/shop");
        assert_eq!(vhost_url(base, "/"), "amqp://guest:guest@127.0.0.1:5672/%2F");
        assert_eq!(vhost_url(base, "a b/ü"), "amqp://guest:guest@127.0.0.1:5672/a%20b%2F%C3%BC");
        assert_eq!(vhost_url("amqp://h", "x.y-z_~"), "amqp://h/x.y-z_~");
        assert_eq!(vhost_url("amqps://u:p@h:5671/old?heartbeat=10#f", "new"), "amqps://u:p@h:5671/new?heartbeat=10");
    }

    fn delivered(step: usize) -> Delivered {
        Delivered {
            step,
            delivery_tag: 1,
            message: Observed {
                body: String::new(),
                exchange: String::new(),
                routing_key: String::new(),
                redelivered: false,
                headers: FieldTable::default(),
                expiration: None,
                delivery_mode: None,
                priority: None,
            },
        }
    }

    #[test]
    fn the_deliveries_expected_by_a_step_count_only_those_of_that_step_or_earlier() {
        let c = ChannelId { connection: 1, channel: 1 };
        let out = Outcome {
            consumers: vec![Consumed {
                channel: c,
                consumer_tag: "a".into(),
                deliveries: vec![delivered(2), delivered(2), delivered(5)],
            }],
            ..Outcome::default()
        };
        assert_eq!([1, 2, 4, 5, 9].map(|s| out.deliveries_by(0, s)), [0, 2, 2, 3, 3]);
        assert_eq!(out.deliveries_by(1, 9), 0);
    }

    #[test]
    fn the_engine_files_deliveries_under_the_consumer_and_step_and_settles_the_oldest() {
        let mut b = Broker::new(1);
        let c = ChannelId { connection: 1, channel: 1 };
        let q = |name: &str| Command::QueueDeclare {
            channel: c,
            queue: name.into(),
            passive: false,
            durable: false,
            exclusive: false,
            auto_delete: false,
            arguments: FieldTable::default(),
        };
        let publish = |body: &str| {
            Step::Do(Command::BasicPublish {
                channel: c,
                exchange: String::new(),
                routing_key: "q".into(),
                mandatory: false,
                properties: BasicProperties::default(),
                body: body.into(),
            })
        };
        let steps = vec![
            Step::Do(Command::OpenConnection { user: "guest".into(), password: "guest".into(), vhost: "/".into() }),
            Step::Do(Command::OpenChannel { connection: 1 }),
            Step::Do(q("q")),
            Step::Do(Command::BasicQos { channel: c, prefetch_count: 1, global: false }),
            Step::Do(Command::BasicConsume {
                channel: c,
                queue: "q".into(),
                consumer_tag: "w".into(),
                no_ack: false,
                exclusive: false,
                arguments: FieldTable::default(),
            }),
            publish("one"),
            publish("two"),
            Step::Settle { channel: c, delivery_tag: None, multiple: false, how: Settle::Nack { requeue: true } },
            Step::Settle { channel: c, delivery_tag: None, multiple: false, how: Settle::Ack },
        ];
        let out = run_on_engine(&mut b, &steps).expect("the engine runs it");
        let got: Vec<(usize, u64, &str, bool)> = out.consumers[0]
            .deliveries
            .iter()
            .map(|d| (d.step, d.delivery_tag, d.message.body.as_str(), d.message.redelivered))
            .collect();
        // Prefetch 1 holds "two" back; the nack puts "one" back in front of it.
        assert_eq!(got, [(5, 1, "one", false), (7, 2, "one", true), (8, 3, "two", false)]);
        assert_eq!(out.settled, [Some(1), Some(2)]);
    }

    #[test]
    fn the_engine_drains_past_a_missing_queue_and_records_no_entry_for_it() {
        let mut b = Broker::new(1);
        let c = ChannelId { connection: 1, channel: 1 };
        let steps = vec![
            Step::Do(Command::OpenConnection { user: "guest".into(), password: "guest".into(), vhost: "/".into() }),
            Step::Do(Command::OpenChannel { connection: 1 }),
            Step::Do(Command::QueueDeclare {
                channel: c,
                queue: "there".into(),
                passive: false,
                durable: false,
                exclusive: false,
                auto_delete: false,
                arguments: FieldTable::default(),
            }),
            Step::Do(Command::BasicPublish {
                channel: c,
                exchange: String::new(),
                routing_key: "there".into(),
                mandatory: false,
                properties: BasicProperties::default(),
                body: "m".into(),
            }),
            Step::Drain { channel: c, queues: vec!["gone".into(), "there".into()] },
            Step::Drain { channel: c, queues: vec!["gone".into(), "there".into()] },
        ];
        let out = run_on_engine(&mut b, &steps).expect("the engine runs it");
        assert!(!out.drained.contains_key("gone"));
        let bodies: Vec<&str> = out.drained["there"].iter().map(|m| m.body.as_str()).collect();
        assert_eq!(bodies, ["m"]);
    }
}
