//! Runs Brokerlab RabbitMQ scripts against a real broker, and the same
//! scripts against the engine, returning what each side observed in one
//! shape so the two can be compared.
//!
//! A script is a list of [`Step`]s. Most steps are the engine's own
//! [`Command`]s; the rest are the few compound operations a script needs
//! that a bare command cannot express against both sides: fetch a message
//! and settle it whatever its delivery tag turns out to be, wait, and drain
//! queues. [`run_on_engine`] plays a script on a [`Broker`] (a wait advances
//! logical time); [`LiveBroker::run`] plays it over AMQP through lapin (a
//! wait sleeps). Both return an [`Outcome`].

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use brokerlab_rabbit::{BasicProperties, Broker, ChannelId, Command, Event, ExchangeKind, FieldTable, FieldValue};
use lapin::options::{
    BasicAckOptions, BasicGetOptions, BasicNackOptions, BasicPublishOptions, BasicQosOptions, BasicRejectOptions,
    ConfirmSelectOptions, ExchangeBindOptions, ExchangeDeclareOptions, ExchangeDeleteOptions, ExchangeUnbindOptions,
    QueueBindOptions, QueueDeclareOptions, QueueDeleteOptions, QueuePurgeOptions,
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
    /// Let time pass: logical time on the engine, real time on a broker.
    Wait { millis: u64 },
    /// Fetch every message from each queue in turn (with auto-ack),
    /// recording them under the queue's name.
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

/// Everything a script observed: the result of each `GetThen` in order, and
/// the drained contents of each queue in delivery order.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Outcome {
    pub gets: Vec<Option<Observed>>,
    pub drained: BTreeMap<String, Vec<Observed>>,
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

/// Plays a script on the engine.
pub fn run_on_engine(broker: &mut Broker, steps: &[Step]) -> Result<Outcome, brokerlab_rabbit::AmqpError> {
    let mut out = Outcome::default();
    for step in steps {
        match step {
            Step::Do(cmd) => {
                broker.apply(cmd.clone())?;
            }
            Step::GetThen { channel, queue, settle } => {
                let got = get_ok(&broker.get(*channel, queue, false)?);
                if let Some((tag, _)) = &got {
                    match settle {
                        Settle::Ack => broker.ack(*channel, *tag, false)?,
                        Settle::Reject { requeue } => broker.reject(*channel, *tag, *requeue)?,
                        Settle::Nack { requeue } => broker.nack(*channel, *tag, false, *requeue)?,
                    };
                }
                out.gets.push(got.map(|g| g.1));
            }
            Step::Wait { millis } => {
                broker.tick(*millis);
            }
            Step::Drain { channel, queues } => {
                for q in queues {
                    let list = out.drained.entry(q.clone()).or_default();
                    while let Some((_, m)) = get_ok(&broker.get(*channel, q, true)?) {
                        list.push(m);
                    }
                }
            }
        }
    }
    Ok(out)
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
    connection: lapin::Connection,
    channels: BTreeMap<ChannelId, lapin::Channel>,
}

impl fmt::Debug for LiveBroker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LiveBroker").field("channels", &self.channels.len()).finish()
    }
}

impl LiveBroker {
    /// Connects to `url` (for example `amqp://guest:guest@127.0.0.1:5672/%2f`).
    pub fn connect(url: &str) -> Result<Self, LiveError> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .map_err(|e| LiveError(format!("cannot start the client runtime: {e}")))?;
        let connection = runtime
            .block_on(async {
                tokio::time::timeout(
                    Duration::from_secs(5),
                    lapin::Connection::connect(url, lapin::ConnectionProperties::default()),
                )
                .await
            })
            .map_err(|_| LiveError(format!("timed out connecting to {url}")))??;
        Ok(LiveBroker { runtime, connection, channels: BTreeMap::new() })
    }

    fn channel(&mut self, id: ChannelId) -> Result<lapin::Channel, LiveError> {
        if let Some(c) = self.channels.get(&id)
            && c.status().connected()
        {
            return Ok(c.clone());
        }
        let c = self.runtime.block_on(self.connection.create_channel())?;
        self.channels.insert(id, c.clone());
        Ok(c)
    }

    /// Plays a script on the broker. Steps the broker refuses come back as
    /// errors with the broker's own text.
    pub fn run(&mut self, steps: &[Step]) -> Result<Outcome, LiveError> {
        let mut out = Outcome::default();
        for step in steps {
            match step {
                Step::Do(cmd) => self.command(cmd)?,
                Step::GetThen { channel, queue, settle } => {
                    let ch = self.channel(*channel)?;
                    let got = self.runtime.block_on(async {
                        let got = ch.basic_get(queue.as_str().into(), BasicGetOptions { no_ack: false }).await?;
                        if let Some(m) = &got {
                            let tag = m.delivery.delivery_tag;
                            match settle {
                                Settle::Ack => ch.basic_ack(tag, BasicAckOptions { multiple: false }).await?,
                                Settle::Reject { requeue } => {
                                    ch.basic_reject(tag, BasicRejectOptions { requeue: *requeue }).await?
                                }
                                Settle::Nack { requeue } => {
                                    ch.basic_nack(tag, BasicNackOptions { multiple: false, requeue: *requeue }).await?
                                }
                            }
                        }
                        Ok::<_, lapin::Error>(got.map(|m| observed_from_delivery(&m.delivery)))
                    })?;
                    out.gets.push(got);
                }
                Step::Wait { millis } => std::thread::sleep(Duration::from_millis(*millis)),
                Step::Drain { channel, queues } => {
                    let ch = self.channel(*channel)?;
                    for q in queues {
                        let list = out.drained.entry(q.clone()).or_default();
                        loop {
                            let got = self
                                .runtime
                                .block_on(ch.basic_get(q.as_str().into(), BasicGetOptions { no_ack: true }))?;
                            match got {
                                Some(m) => list.push(observed_from_delivery(&m.delivery)),
                                None => break,
                            }
                        }
                    }
                }
            }
        }
        Ok(out)
    }

    fn command(&mut self, cmd: &Command) -> Result<(), LiveError> {
        let Some(id) = cmd.channel() else {
            return match cmd {
                Command::Tick { millis } => {
                    std::thread::sleep(Duration::from_millis(*millis));
                    Ok(())
                }
                // One real connection carries every script channel.
                Command::OpenConnection { .. } | Command::OpenChannel { .. } => Ok(()),
                other => Err(LiveError(format!("not supported against a live broker: {other:?}"))),
            };
        };
        let ch = self.channel(id)?;
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
                    ch.basic_ack(*delivery_tag, BasicAckOptions { multiple: *multiple }).await
                }
                Command::BasicNack { delivery_tag, multiple, requeue, .. } => {
                    ch.basic_nack(*delivery_tag, BasicNackOptions { multiple: *multiple, requeue: *requeue }).await
                }
                Command::BasicReject { delivery_tag, requeue, .. } => {
                    ch.basic_reject(*delivery_tag, BasicRejectOptions { requeue: *requeue }).await
                }
                Command::ConfirmSelect { .. } => ch.confirm_select(ConfirmSelectOptions::default()).await,
                Command::BasicGet { queue, no_ack, .. } => {
                    ch.basic_get(queue.as_str().into(), BasicGetOptions { no_ack: *no_ack }).await.map(|_| ())
                }
                other => return Err(LiveError(format!("not supported against a live broker: {other:?}"))),
            }
            .map_err(LiveError::from)
        })
    }

    /// Closes the connection.
    pub fn close(self) -> Result<(), LiveError> {
        self.runtime.block_on(self.connection.close(200, "bye".into())).map_err(LiveError::from)
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
