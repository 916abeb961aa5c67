//! Builds both engines from a scenario and replays its script.
//!
//! [`Session`] owns a [`Broker`] and a [`Cluster`] seeded from the scenario.
//! Starting a session declares the topology (vhosts, exchanges, queues,
//! bindings, consumers; topics, producers, consumers); each
//! [`Session::step`] then applies one script action and returns a
//! [`StepOutcome`] with the engines' events. An engine refusing an action
//! (a 404 for a missing queue, a produce to an offline partition) is part of
//! what a learner sees, so it is recorded in the outcome's `error` and the
//! replay goes on, as a real client's next call would.
//!
//! RabbitMQ clients are opened lazily, one connection with one channel per
//! (vhost, client name), and reopened after the broker closes them (a
//! channel error or a restart), so a script can go on using a name.

use std::collections::BTreeMap;

use brokerlab_kafka::{Cluster, ConsumerRecord, ProducerRecord, SeekTo, TopicPartition};
use brokerlab_rabbit::{Alarm, Broker, ChannelId, Command};
use serde::Serialize;

use crate::error::ScenarioError;
use crate::model::{Action, AlarmKind, ConsumerDef, PartitionOffset, Scenario, SeekTarget};
use crate::translate;

/// The events of one step (or of building the topology).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct StepOutcome {
    /// The script index of the action; `None` for building the topology.
    pub index: Option<usize>,
    /// What the RabbitMQ engine reported, in order.
    pub rabbit: Vec<brokerlab_rabbit::Event>,
    /// What the Kafka engine reported, in order.
    pub kafka: Vec<brokerlab_kafka::Event>,
    /// The records a `poll` returned.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub polled: Vec<ConsumerRecord>,
    /// Why an engine refused the action, in its own words: an AMQP reply
    /// (`404 NOT_FOUND - ...`) or a Kafka client exception
    /// (`UnknownTopicOrPartitionException: ...`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// Both engines built from a scenario, and the position in its script.
#[derive(Debug)]
pub struct Session {
    rabbit: Broker,
    kafka: Cluster,
    script: Vec<Action>,
    next: usize,
    clients: BTreeMap<(String, String), ChannelId>,
    setup: StepOutcome,
}

/// The client name used internally to declare the topology; no script can
/// name it, since client names in scripts are never empty.
const ADMIN: &str = "";

impl Scenario {
    /// Builds both engines from the topology, ready to replay the script.
    /// Fails when the scenario is inconsistent or an engine refuses part of
    /// the topology; the message names the entity.
    pub fn start(&self) -> Result<Session, ScenarioError> {
        self.validate()?;
        let kafka = Cluster::new(translate::cluster_config(&self.kafka)?, self.seed)
            .map_err(|e| ScenarioError::Setup(format!("kafka cluster: {e}")))?;
        let mut s = Session {
            rabbit: Broker::new(self.seed),
            kafka,
            script: self.script.clone(),
            next: 0,
            clients: BTreeMap::new(),
            setup: StepOutcome::default(),
        };
        let mut out = StepOutcome::default();
        s.build_rabbit(self, &mut out).map_err(ScenarioError::Setup)?;
        s.build_kafka(self, &mut out).map_err(ScenarioError::Setup)?;
        s.setup = out;
        Ok(s)
    }
}

impl Session {
    /// The RabbitMQ engine, for drawing.
    pub fn rabbit(&self) -> &Broker {
        &self.rabbit
    }

    /// The Kafka engine, for drawing.
    pub fn kafka(&self) -> &Cluster {
        &self.kafka
    }

    /// The RabbitMQ engine, for actions the scenario format has no word for.
    pub fn rabbit_mut(&mut self) -> &mut Broker {
        &mut self.rabbit
    }

    /// The Kafka engine, for actions the scenario format has no word for.
    pub fn kafka_mut(&mut self) -> &mut Cluster {
        &mut self.kafka
    }

    /// The events of building the topology.
    pub fn setup(&self) -> &StepOutcome {
        &self.setup
    }

    /// The script being replayed.
    pub fn script(&self) -> &[Action] {
        &self.script
    }

    /// The index of the next action to replay.
    pub fn position(&self) -> usize {
        self.next
    }

    /// True when every action has been replayed.
    pub fn is_finished(&self) -> bool {
        self.next >= self.script.len()
    }

    /// The channel a client uses, if it is open.
    pub fn client_channel(&self, vhost: &str, client: &str) -> Option<ChannelId> {
        self.clients.get(&(vhost.to_string(), client.to_string())).copied()
    }

    /// Replays the next action; `None` when the script is done.
    pub fn step(&mut self) -> Option<StepOutcome> {
        let action = self.script.get(self.next)?.clone();
        let index = self.next;
        self.next += 1;
        let mut out = self.apply(&action);
        out.index = Some(index);
        Some(out)
    }

    /// Replays every remaining action.
    pub fn run_to_end(&mut self) -> Vec<StepOutcome> {
        let mut all = Vec::with_capacity(self.script.len().saturating_sub(self.next));
        while let Some(o) = self.step() {
            all.push(o);
        }
        all
    }

    /// Applies one action outside the script (what the playground does when
    /// a learner clicks; it also appends the action to its scenario's script
    /// so a share link replays it).
    pub fn apply(&mut self, action: &Action) -> StepOutcome {
        let mut out = StepOutcome::default();
        if let Err(e) = self.act(action, &mut out) {
            out.error = Some(e);
        }
        out
    }

    fn rabbit_do(&mut self, cmd: Command, out: &mut StepOutcome) -> Result<(), String> {
        let outcome = self.rabbit.apply(cmd);
        self.forget_closed(&outcome.events);
        out.rabbit.extend(outcome.events);
        match outcome.error {
            None => Ok(()),
            Some(e) => Err(e.to_string()),
        }
    }

    /// Drops clients whose channel or connection the broker closed, so the
    /// next use reopens them.
    fn forget_closed(&mut self, events: &[brokerlab_rabbit::Event]) {
        use brokerlab_rabbit::Event as E;
        for e in events {
            match e {
                E::ChannelClosed { channel, .. } => self.clients.retain(|_, c| c != channel),
                E::ConnectionClosed { connection, .. } => self.clients.retain(|_, c| c.connection != *connection),
                E::BrokerRestarted => self.clients.clear(),
                _ => {}
            }
        }
    }

    fn channel(&mut self, vhost: &str, client: &str, out: &mut StepOutcome) -> Result<ChannelId, String> {
        let key = (vhost.to_string(), client.to_string());
        if let Some(ch) = self.clients.get(&key) {
            return Ok(*ch);
        }
        let opened = self
            .rabbit
            .apply(Command::OpenConnection { user: "guest".into(), password: "guest".into(), vhost: vhost.into() })
            .into_result()
            .map_err(|e| e.to_string())?;
        let connection = opened
            .iter()
            .find_map(|e| match e {
                brokerlab_rabbit::Event::ConnectionOpened { connection, .. } => Some(*connection),
                _ => None,
            })
            .ok_or("the broker opened no connection")?;
        out.rabbit.extend(opened);
        let ev = self.rabbit.apply(Command::OpenChannel { connection }).into_result().map_err(|e| e.to_string())?;
        let channel = ev
            .iter()
            .find_map(|e| match e {
                brokerlab_rabbit::Event::ChannelOpened { channel } => Some(*channel),
                _ => None,
            })
            .ok_or("the broker opened no channel")?;
        out.rabbit.extend(ev);
        self.clients.insert(key, channel);
        Ok(channel)
    }

    fn build_rabbit(&mut self, sc: &Scenario, out: &mut StepOutcome) -> Result<(), String> {
        let r = &sc.rabbitmq;
        for v in &r.vhosts {
            if v.name == "/" {
                continue;
            }
            self.rabbit_do(Command::AddVhost { name: v.name.clone() }, out)
                .map_err(|e| format!("vhost `{}`: {e}", v.name))?;
            self.rabbit_do(
                Command::SetPermissions {
                    user: "guest".into(),
                    vhost: v.name.clone(),
                    configure: ".*".into(),
                    write: ".*".into(),
                    read: ".*".into(),
                },
                out,
            )?;
        }
        for x in &r.exchanges {
            let channel = self.channel(&x.vhost, ADMIN, out)?;
            self.rabbit_do(
                Command::ExchangeDeclare {
                    channel,
                    exchange: x.name.clone(),
                    kind: translate::exchange_kind(x.kind),
                    passive: false,
                    durable: x.durable,
                    auto_delete: x.auto_delete,
                    internal: x.internal,
                    arguments: translate::field_table(&x.arguments),
                },
                out,
            )
            .map_err(|e| format!("exchange `{}`: {e}", x.name))?;
        }
        for q in &r.queues {
            let channel = self.channel(&q.vhost, ADMIN, out)?;
            self.rabbit_do(
                Command::QueueDeclare {
                    channel,
                    queue: q.name.clone(),
                    passive: false,
                    durable: q.durable,
                    exclusive: false,
                    auto_delete: q.auto_delete,
                    arguments: translate::field_table(&q.arguments),
                },
                out,
            )
            .map_err(|e| format!("queue `{}`: {e}", q.name))?;
        }
        for b in &r.bindings {
            let channel = self.channel(&b.vhost, ADMIN, out)?;
            self.rabbit_do(translate::bind_command(channel, b, true), out)
                .map_err(|e| format!("binding `{}` -> `{}`: {e}", b.source, b.destination))?;
        }
        for c in &r.consumers {
            self.consume(c, out).map_err(|e| format!("consumer `{}`: {e}", c.tag))?;
        }
        Ok(())
    }

    fn build_kafka(&mut self, sc: &Scenario, out: &mut StepOutcome) -> Result<(), String> {
        let k = &sc.kafka;
        for t in &k.topics {
            let config = translate::topic_config(t).map_err(|e| e.to_string())?;
            let ev = self.kafka.create_topic(&t.name, config).map_err(|e| format!("topic `{}`: {e}", t.name))?;
            out.kafka.extend(ev);
        }
        for p in &k.producers {
            let config = translate::producer_config(p).map_err(|e| e.to_string())?;
            let transactional = config.transactional_id.is_some();
            let ev = self.kafka.create_producer(&p.name, config).map_err(|e| format!("producer `{}`: {e}", p.name))?;
            out.kafka.extend(ev);
            if transactional {
                let ev = self.kafka.init_transactions(&p.name).map_err(|e| format!("producer `{}`: {e}", p.name))?;
                out.kafka.extend(ev);
            }
        }
        for c in &k.consumers {
            let config = translate::consumer_config(c).map_err(|e| e.to_string())?;
            let ev = self.kafka.create_consumer(&c.name, config).map_err(|e| format!("consumer `{}`: {e}", c.name))?;
            out.kafka.extend(ev);
            if !c.topics.is_empty() {
                let ev = self.kafka.subscribe(&c.name, &c.topics).map_err(|e| format!("consumer `{}`: {e}", c.name))?;
                out.kafka.extend(ev);
            }
        }
        Ok(())
    }

    fn consume(&mut self, c: &ConsumerDef, out: &mut StepOutcome) -> Result<(), String> {
        let channel = self.channel(&c.vhost, c.client_name(), out)?;
        if c.prefetch > 0 {
            self.rabbit_do(Command::BasicQos { channel, prefetch_count: c.prefetch, global: false }, out)?;
        }
        self.rabbit_do(
            Command::BasicConsume {
                channel,
                queue: c.queue.clone(),
                consumer_tag: c.tag.clone(),
                no_ack: c.auto_ack,
                exclusive: c.exclusive,
                arguments: translate::field_table(&c.arguments),
            },
            out,
        )
    }

    /// The delivery tag an acknowledgement settles: the one given, or the
    /// client's oldest unacknowledged delivery.
    fn delivery_tag(&self, channel: ChannelId, given: Option<u64>) -> Result<u64, String> {
        if let Some(t) = given {
            return Ok(t);
        }
        self.rabbit
            .channels()
            .into_iter()
            .find(|c| c.channel == channel)
            .and_then(|c| c.unacked.iter().map(|u| u.delivery_tag).min())
            .ok_or_else(|| "there is no unacknowledged delivery on this client to settle".to_string())
    }

    /// Records everything a Kafka command did, also the events before a
    /// refusal, and turns the refusal into the step's error.
    fn kafka_do(&mut self, command: brokerlab_kafka::Command, out: &mut StepOutcome) -> Result<(), String> {
        let outcome = self.kafka.apply(command);
        out.kafka.extend(outcome.events);
        if !outcome.polled.is_empty() {
            out.polled = outcome.polled;
        }
        match outcome.error {
            None => Ok(()),
            Some(e) => Err(translate::kafka_error(&e)),
        }
    }

    fn act(&mut self, action: &Action, out: &mut StepOutcome) -> Result<(), String> {
        use brokerlab_kafka::Command as K;
        match action {
            Action::Publish { client, vhost, exchange, routing_key, body, properties, headers, mandatory } => {
                let channel = self.channel(vhost, client, out)?;
                self.rabbit_do(
                    Command::BasicPublish {
                        channel,
                        exchange: exchange.clone(),
                        routing_key: routing_key.clone(),
                        mandatory: *mandatory,
                        properties: translate::basic_properties(properties, headers),
                        body: body.clone(),
                    },
                    out,
                )
            }
            Action::Get { client, vhost, queue, auto_ack } => {
                let channel = self.channel(vhost, client, out)?;
                self.rabbit_do(Command::BasicGet { channel, queue: queue.clone(), no_ack: *auto_ack }, out)
            }
            Action::Ack { client, vhost, delivery_tag, multiple } => {
                let channel = self.channel(vhost, client, out)?;
                let delivery_tag = self.delivery_tag(channel, *delivery_tag)?;
                self.rabbit_do(Command::BasicAck { channel, delivery_tag, multiple: *multiple }, out)
            }
            Action::Nack { client, vhost, delivery_tag, multiple, requeue } => {
                let channel = self.channel(vhost, client, out)?;
                let delivery_tag = self.delivery_tag(channel, *delivery_tag)?;
                self.rabbit_do(
                    Command::BasicNack { channel, delivery_tag, multiple: *multiple, requeue: *requeue },
                    out,
                )
            }
            Action::Reject { client, vhost, delivery_tag, requeue } => {
                let channel = self.channel(vhost, client, out)?;
                let delivery_tag = self.delivery_tag(channel, *delivery_tag)?;
                self.rabbit_do(Command::BasicReject { channel, delivery_tag, requeue: *requeue }, out)
            }
            Action::Consume { consumer } => self.consume(consumer, out),
            Action::Cancel { client, vhost, tag } => {
                let channel = self.channel(vhost, client, out)?;
                let consumer_tag = if tag.is_empty() { client.clone() } else { tag.clone() };
                self.rabbit_do(Command::BasicCancel { channel, consumer_tag }, out)
            }
            Action::Qos { client, vhost, prefetch, global } => {
                let channel = self.channel(vhost, client, out)?;
                self.rabbit_do(Command::BasicQos { channel, prefetch_count: *prefetch, global: *global }, out)
            }
            Action::ConfirmSelect { client, vhost } => {
                let channel = self.channel(vhost, client, out)?;
                self.rabbit_do(Command::ConfirmSelect { channel }, out)
            }
            Action::DeclareExchange { exchange: x } => {
                let channel = self.channel(&x.vhost, ADMIN, out)?;
                self.rabbit_do(
                    Command::ExchangeDeclare {
                        channel,
                        exchange: x.name.clone(),
                        kind: translate::exchange_kind(x.kind),
                        passive: false,
                        durable: x.durable,
                        auto_delete: x.auto_delete,
                        internal: x.internal,
                        arguments: translate::field_table(&x.arguments),
                    },
                    out,
                )
            }
            Action::DeclareQueue { queue: q } => {
                let channel = self.channel(&q.vhost, ADMIN, out)?;
                self.rabbit_do(
                    Command::QueueDeclare {
                        channel,
                        queue: q.name.clone(),
                        passive: false,
                        durable: q.durable,
                        exclusive: false,
                        auto_delete: q.auto_delete,
                        arguments: translate::field_table(&q.arguments),
                    },
                    out,
                )
            }
            Action::Bind { binding } => {
                let channel = self.channel(&binding.vhost, ADMIN, out)?;
                self.rabbit_do(translate::bind_command(channel, binding, true), out)
            }
            Action::Unbind { binding } => {
                let channel = self.channel(&binding.vhost, ADMIN, out)?;
                self.rabbit_do(translate::bind_command(channel, binding, false), out)
            }
            Action::DeleteExchange { vhost, name } => {
                let channel = self.channel(vhost, ADMIN, out)?;
                self.rabbit_do(Command::ExchangeDelete { channel, exchange: name.clone(), if_unused: false }, out)
            }
            Action::DeleteQueue { vhost, name } => {
                let channel = self.channel(vhost, ADMIN, out)?;
                self.rabbit_do(
                    Command::QueueDelete { channel, queue: name.clone(), if_unused: false, if_empty: false },
                    out,
                )
            }
            Action::Purge { vhost, queue } => {
                let channel = self.channel(vhost, ADMIN, out)?;
                self.rabbit_do(Command::QueuePurge { channel, queue: queue.clone() }, out)
            }
            Action::CloseClient { client, vhost } => match self.client_channel(vhost, client) {
                Some(ch) => self.rabbit_do(Command::CloseConnection { connection: ch.connection }, out),
                None => Err(format!("client `{client}` has no open connection")),
            },
            Action::RestartRabbitmq => self.rabbit_do(Command::Restart, out),
            Action::Alarm { alarm, active } => {
                let alarm = match alarm {
                    AlarmKind::Memory => Alarm::Memory,
                    AlarmKind::Disk => Alarm::Disk,
                };
                self.rabbit_do(Command::SetAlarm { alarm, active: *active }, out)
            }
            Action::Produce { producer, topic, key, value, partition, headers } => {
                let record = ProducerRecord {
                    topic: topic.clone(),
                    partition: *partition,
                    key: key.as_ref().map(|k| k.as_bytes().to_vec()),
                    value: value.as_ref().map(|v| v.as_bytes().to_vec()),
                    headers: translate::kafka_headers(headers),
                    timestamp: None,
                };
                self.kafka_do(K::Produce { producer: producer.clone(), record }, out)
            }
            Action::Poll { consumer, max_records } => {
                self.kafka_do(K::Poll { consumer: consumer.clone(), max_records: *max_records }, out)
            }
            Action::Commit { consumer, offsets } => {
                let offsets = offsets.as_ref().map(|o| tp_offsets(o));
                self.kafka_do(K::Commit { consumer: consumer.clone(), offsets }, out)
            }
            Action::Seek { consumer, topic, partition, to } => {
                let to = match *to {
                    SeekTarget::Beginning => SeekTo::Beginning,
                    SeekTarget::End => SeekTo::End,
                    SeekTarget::Offset(o) => SeekTo::Offset(o),
                    SeekTarget::Timestamp(t) => SeekTo::Timestamp(t),
                };
                let partition = TopicPartition { topic: topic.clone(), partition: *partition };
                self.kafka_do(K::Seek { consumer: consumer.clone(), partition, to }, out)
            }
            Action::Subscribe { consumer, topics } => {
                self.kafka_do(K::Subscribe { consumer: consumer.clone(), topics: topics.clone() }, out)
            }
            Action::CloseConsumer { consumer } => self.kafka_do(K::CloseConsumer { consumer: consumer.clone() }, out),
            Action::CrashConsumer { consumer } => self.kafka_do(K::CrashConsumer { consumer: consumer.clone() }, out),
            Action::CrashBroker { broker } => self.kafka_do(K::CrashBroker { broker: *broker }, out),
            Action::RestartBroker { broker } => self.kafka_do(K::RestartBroker { broker: *broker }, out),
            Action::PauseReplication { broker } => self.kafka_do(K::PauseReplication { broker: *broker }, out),
            Action::ResumeReplication { broker } => self.kafka_do(K::ResumeReplication { broker: *broker }, out),
            Action::AddPartitions { topic, total } => {
                self.kafka_do(K::AddPartitions { topic: topic.clone(), total: *total }, out)
            }
            Action::CloseProducer { producer } => self.kafka_do(K::CloseProducer { producer: producer.clone() }, out),
            Action::BeginTransaction { producer } => {
                self.kafka_do(K::BeginTransaction { producer: producer.clone() }, out)
            }
            Action::SendOffsetsToTransaction { producer, group_id, offsets } => self.kafka_do(
                K::SendOffsetsToTransaction {
                    producer: producer.clone(),
                    group: group_id.clone(),
                    offsets: tp_offsets(offsets),
                },
                out,
            ),
            Action::CommitTransaction { producer } => {
                self.kafka_do(K::CommitTransaction { producer: producer.clone() }, out)
            }
            Action::AbortTransaction { producer } => {
                self.kafka_do(K::AbortTransaction { producer: producer.clone() }, out)
            }
            Action::AdvanceTime { ms } => {
                let ev = self.rabbit.tick(*ms);
                out.rabbit.extend(ev);
                self.kafka_do(K::Tick { ms: *ms }, out)
            }
            Action::Note { .. } => Ok(()),
        }
    }
}

fn tp_offsets(o: &[PartitionOffset]) -> Vec<(TopicPartition, i64)> {
    o.iter().map(|p| (TopicPartition { topic: p.topic.clone(), partition: p.partition }, p.offset)).collect()
}
