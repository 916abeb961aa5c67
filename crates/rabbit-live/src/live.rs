//! Playing a script on a real broker over AMQP through lapin: the
//! [`LiveBroker`] with its connections and channels, the delivery log the
//! consumers' callbacks write, [`Pacing`] against the broker's asynchrony,
//! and the translation of each engine [`Command`] into AMQP methods (a wait
//! sleeps, a restart goes through `rabbitmqctl`).

use super::*;

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

pub(crate) fn open(runtime: &tokio::runtime::Runtime, url: &str) -> Result<lapin::Connection, LiveError> {
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

    /// Runs `rabbitmqctl -n NODE ARGS` for a command that has no AMQP
    /// method (setting and clearing policies).
    fn rabbitmqctl(&self, what: &Command, args: &[String]) -> Result<(), LiveError> {
        let Some(node) = self.node.as_deref() else {
            return Err(LiveError(format!("not supported against a live broker without a rabbitmqctl node: {what:?}")));
        };
        let out = std::process::Command::new("rabbitmqctl")
            .args(["-n", node])
            .args(args)
            .output()
            .map_err(|e| LiveError(format!("cannot run rabbitmqctl: {e}")))?;
        if !out.status.success() {
            return Err(LiveError(format!(
                "rabbitmqctl -n {node} {} failed: {}{}",
                args.first().map_or("", String::as_str),
                String::from_utf8_lossy(&out.stderr).trim(),
                String::from_utf8_lossy(&out.stdout).trim()
            )));
        }
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
            Command::SetPolicy { vhost, name, pattern, apply_to, priority, definition, operator } => {
                let verb = if *operator { "set_operator_policy" } else { "set_policy" };
                let args = [
                    verb.to_string(),
                    "-p".into(),
                    vhost.clone(),
                    "--priority".into(),
                    priority.to_string(),
                    "--apply-to".into(),
                    apply_to.clone(),
                    name.clone(),
                    pattern.clone(),
                    json_table(definition),
                ];
                return self.rabbitmqctl(cmd, &args);
            }
            Command::ClearPolicy { vhost, name, operator } => {
                let verb = if *operator { "clear_operator_policy" } else { "clear_policy" };
                return self.rabbitmqctl(cmd, &[verb.to_string(), "-p".into(), vhost.clone(), name.clone()]);
            }
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

pub(crate) fn is_not_found(e: &lapin::Error) -> bool {
    matches!(e.kind(), lapin::ErrorKind::ProtocolError(p) if p.get_id() == 404)
}

async fn send_settle(ch: &lapin::Channel, tag: u64, multiple: bool, how: Settle) -> Result<(), lapin::Error> {
    match how {
        Settle::Ack => ch.basic_ack(tag, BasicAckOptions { multiple }).await,
        Settle::Reject { requeue } => ch.basic_reject(tag, BasicRejectOptions { requeue }).await,
        Settle::Nack { requeue } => ch.basic_nack(tag, BasicNackOptions { multiple, requeue }).await,
    }
}

/// A field table as the JSON `rabbitmqctl set_policy` reads.
fn json_table(t: &FieldTable) -> String {
    let fields: Vec<String> = t.iter().map(|(k, v)| format!("{}:{}", json_string(k), json_value(v))).collect();
    format!("{{{}}}", fields.join(","))
}

fn json_value(v: &FieldValue) -> String {
    match v {
        FieldValue::LongString(s) => json_string(s),
        FieldValue::Boolean(b) => b.to_string(),
        FieldValue::Float(f) => f.to_string(),
        FieldValue::Double(f) => f.to_string(),
        FieldValue::FieldTable(t) => json_table(t),
        FieldValue::FieldArray(items) => format!("[{}]", items.iter().map(json_value).collect::<Vec<_>>().join(",")),
        other => other.as_i64().map_or_else(|| "null".to_string(), |i| i.to_string()),
    }
}

fn json_string(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}
