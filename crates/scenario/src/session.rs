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
//! [`Scenario::start`] refuses a scenario when an engine refuses any part of
//! its topology. [`Scenario::start_lenient`] builds what the engines accept
//! and returns one [`SetupProblem`] for each part they refuse, which is what
//! the playground needs: a canvas may hold what an engine refuses (a bad
//! binding argument, a queue redeclared with other settings, a topic with
//! more replicas than brokers), and the rest of it should still run.
//!
//! RabbitMQ clients are opened lazily, one connection with one channel per
//! (vhost, client name), and reopened after the broker closes them (a
//! channel error or a restart), so a script can go on using a name.

use std::collections::BTreeMap;
use std::fmt;

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

/// The part of a scenario's topology an engine refused.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum SetupPart {
    Vhost {
        name: String,
    },
    Exchange {
        vhost: String,
        name: String,
    },
    Queue {
        vhost: String,
        name: String,
    },
    /// A binding, named by its source, destination and binding key (a
    /// canvas may bind the same pair twice with different keys).
    Binding {
        vhost: String,
        source: String,
        destination: String,
        routing_key: String,
    },
    /// A RabbitMQ policy, by its name.
    Policy {
        vhost: String,
        name: String,
    },
    /// A RabbitMQ consumer, by its tag.
    Consumer {
        vhost: String,
        tag: String,
    },
    /// The Kafka cluster itself (its broker count or configs); when it is
    /// refused, no Kafka part is built.
    KafkaCluster,
    Topic {
        name: String,
    },
    Producer {
        name: String,
    },
    /// A Kafka consumer or share consumer, by its name.
    KafkaConsumer {
        name: String,
    },
    /// A Kafka share group's configs (KIP-932), by its group id.
    ShareGroup {
        group_id: String,
    },
}

impl fmt::Display for SetupPart {
    /// The part as setup errors have always named it: ``queue `q` ``.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SetupPart::Vhost { name } => write!(f, "vhost `{name}`"),
            SetupPart::Exchange { name, .. } => write!(f, "exchange `{name}`"),
            SetupPart::Queue { name, .. } => write!(f, "queue `{name}`"),
            SetupPart::Binding { source, destination, .. } => write!(f, "binding `{source}` -> `{destination}`"),
            SetupPart::Policy { name, .. } => write!(f, "policy `{name}`"),
            SetupPart::Consumer { tag, .. } => write!(f, "consumer `{tag}`"),
            SetupPart::KafkaCluster => f.write_str("kafka cluster"),
            SetupPart::Topic { name } => write!(f, "topic `{name}`"),
            SetupPart::Producer { name } => write!(f, "producer `{name}`"),
            SetupPart::KafkaConsumer { name } => write!(f, "consumer `{name}`"),
            SetupPart::ShareGroup { group_id } => write!(f, "share group `{group_id}`"),
        }
    }
}

/// One part of the topology that [`Scenario::start_lenient`] could not
/// build, with the engine's reason in its own words
/// (`406 PRECONDITION_FAILED - ...`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SetupProblem {
    pub part: SetupPart,
    pub error: String,
}

impl fmt::Display for SetupProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.part, self.error)
    }
}

/// How building the topology treats a part an engine refuses: strictly (the
/// whole build fails, naming the part) or leniently (the problem is noted and
/// the build goes on).
enum Refusals<'a> {
    Fail,
    Note(&'a mut Vec<SetupProblem>),
}

impl Refusals<'_> {
    fn check(&mut self, part: impl FnOnce() -> SetupPart, result: Result<(), String>) -> Result<(), String> {
        let Err(error) = result else { return Ok(()) };
        match self {
            Refusals::Fail => Err(format!("{}: {error}", part())),
            Refusals::Note(list) => {
                list.push(SetupProblem { part: part(), error });
                Ok(())
            }
        }
    }
}

/// Both engines built from a scenario, and the position in its script.
#[derive(Debug)]
pub struct Session {
    rabbit: Broker,
    kafka: Cluster,
    script: Vec<Action>,
    next: usize,
    /// Open clients' channels by vhost, then client name (nested, so a
    /// lookup with borrowed names allocates nothing).
    clients: BTreeMap<String, BTreeMap<String, ChannelId>>,
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
        let mut s = Session::empty(self, kafka);
        let mut out = StepOutcome::default();
        s.build_rabbit(self, &mut out, &mut Refusals::Fail).map_err(ScenarioError::Setup)?;
        s.build_kafka(self, &mut out, &mut Refusals::Fail).map_err(ScenarioError::Setup)?;
        s.setup = out;
        Ok(s)
    }

    /// Builds every part of the topology the engines accept and reports one
    /// [`SetupProblem`] for each part they refuse, in declaration order.
    /// Nothing is checked up front: a binding to a missing queue, a consumer
    /// of one, a topic with more replicas than brokers each go to the engine
    /// and come back as that engine's refusal. A part that depends on a
    /// refused one is tried anyway (a binding to a queue that could not be
    /// declared is refused in its turn). When the Kafka cluster itself is
    /// refused, the session holds an empty default cluster and no Kafka part
    /// is built. The script is kept as it is, unchecked.
    pub fn start_lenient(&self) -> (Session, Vec<SetupProblem>) {
        let mut problems = Vec::new();
        let config = translate::cluster_config(&self.kafka).map_err(|e| config_error(e, "kafka cluster: "));
        let cluster = config.and_then(|c| Cluster::new(c, self.seed).map_err(|e| e.to_string()));
        let (kafka, kafka_ok) = match cluster {
            Ok(k) => (k, true),
            Err(error) => {
                problems.push(SetupProblem { part: SetupPart::KafkaCluster, error });
                (Session::stand_in_cluster(self.seed), false)
            }
        };
        let mut s = Session::empty(self, kafka);
        let mut out = StepOutcome::default();
        let mut refusals = Refusals::Note(&mut problems);
        // Lenient building notes every refusal and never fails as a whole.
        let _ = s.build_rabbit(self, &mut out, &mut refusals);
        if kafka_ok {
            let _ = s.build_kafka(self, &mut out, &mut refusals);
        }
        s.setup = out;
        (s, problems)
    }
}

impl Session {
    fn empty(sc: &Scenario, kafka: Cluster) -> Session {
        Session {
            rabbit: Broker::with_version(sc.seed, sc.rabbitmq.version.engine()),
            kafka,
            script: sc.script.clone(),
            next: 0,
            clients: BTreeMap::new(),
            setup: StepOutcome::default(),
        }
    }

    /// The cluster a lenient session holds when the scenario's own was
    /// refused: the engine's default configuration, which is valid by
    /// construction (the Kafka crate tests it), so this cannot fail on input.
    fn stand_in_cluster(seed: u64) -> Cluster {
        Cluster::new(brokerlab_kafka::ClusterConfig::default(), seed)
            .expect("the Kafka engine's default cluster configuration is valid")
    }

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
        self.clients.get(vhost).and_then(|c| c.get(client)).copied()
    }

    /// The client (vhost and name) whose channel `channel` is, while it is
    /// open: the reverse of [`Session::client_channel`], so a reader of the
    /// events can say which client published. The name is empty for the
    /// session's own channel that declares the topology.
    pub fn client_of(&self, channel: ChannelId) -> Option<(&str, &str)> {
        self.clients.iter().find_map(|(vhost, clients)| {
            clients.iter().find(|(_, c)| **c == channel).map(|(client, _)| (vhost.as_str(), client.as_str()))
        })
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
                E::ChannelClosed { channel, .. } => {
                    self.clients.values_mut().for_each(|clients| clients.retain(|_, c| c != channel))
                }
                E::ConnectionClosed { connection, .. } => {
                    self.clients.values_mut().for_each(|clients| clients.retain(|_, c| c.connection != *connection))
                }
                E::BrokerRestarted => self.clients.clear(),
                _ => {}
            }
        }
    }

    fn channel(&mut self, vhost: &str, client: &str, out: &mut StepOutcome) -> Result<ChannelId, String> {
        if let Some(ch) = self.client_channel(vhost, client) {
            return Ok(ch);
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
        self.clients.entry(vhost.to_string()).or_default().insert(client.to_string(), channel);
        Ok(channel)
    }

    fn build_rabbit(&mut self, sc: &Scenario, out: &mut StepOutcome, refused: &mut Refusals) -> Result<(), String> {
        let r = &sc.rabbitmq;
        for v in &r.vhosts {
            let mut result = Ok(());
            if v.name != "/" {
                result = self.rabbit_do(Command::AddVhost { name: v.name.clone() }, out).and_then(|()| {
                    self.rabbit_do(
                        Command::SetPermissions {
                            user: "guest".into(),
                            vhost: v.name.clone(),
                            configure: ".*".into(),
                            write: ".*".into(),
                            read: ".*".into(),
                        },
                        out,
                    )
                });
            }
            if let (Ok(()), Some(t)) = (&result, v.metadata.default_queue_type) {
                let command =
                    Command::SetDefaultQueueType { vhost: v.name.clone(), queue_type: Some(translate::queue_type(t)) };
                result = self.rabbit_do(command, out);
            }
            refused.check(|| SetupPart::Vhost { name: v.name.clone() }, result)?;
        }
        // Policies first, as a definitions import sets them before it
        // declares anything; every later declaration matches them.
        for p in &r.policies {
            let result = self.rabbit_do(translate::set_policy(p), out);
            refused.check(|| SetupPart::Policy { vhost: p.vhost.clone(), name: p.name.clone() }, result)?;
        }
        for x in &r.exchanges {
            let result = self
                .channel(&x.vhost, ADMIN, out)
                .and_then(|channel| self.rabbit_do(translate::exchange_declare(channel, x), out));
            refused.check(|| SetupPart::Exchange { vhost: x.vhost.clone(), name: x.name.clone() }, result)?;
        }
        for q in &r.queues {
            let result = self
                .channel(&q.vhost, ADMIN, out)
                .and_then(|channel| self.rabbit_do(translate::queue_declare(channel, q), out));
            refused.check(|| SetupPart::Queue { vhost: q.vhost.clone(), name: q.name.clone() }, result)?;
        }
        for b in &r.bindings {
            let result = self
                .channel(&b.vhost, ADMIN, out)
                .and_then(|channel| self.rabbit_do(translate::bind_command(channel, b, true), out));
            let part = || SetupPart::Binding {
                vhost: b.vhost.clone(),
                source: b.source.clone(),
                destination: b.destination.clone(),
                routing_key: b.routing_key.clone(),
            };
            refused.check(part, result)?;
        }
        for c in &r.consumers {
            let result = self.consume(c, out);
            refused.check(|| SetupPart::Consumer { vhost: c.vhost.clone(), tag: c.tag.clone() }, result)?;
        }
        Ok(())
    }

    fn build_kafka(&mut self, sc: &Scenario, out: &mut StepOutcome, refused: &mut Refusals) -> Result<(), String> {
        let k = &sc.kafka;
        for t in &k.topics {
            let result = translate::topic_config(t).map_err(|e| config_error(e, &format!("topic `{}`: ", t.name)));
            let result = result.and_then(|config| {
                let ev = self.kafka.create_topic(&t.name, config).map_err(|e| e.to_string())?;
                out.kafka.extend(ev);
                Ok(())
            });
            refused.check(|| SetupPart::Topic { name: t.name.clone() }, result)?;
        }
        for p in &k.producers {
            let result =
                translate::producer_config(p).map_err(|e| config_error(e, &format!("producer `{}`: ", p.name)));
            let result = result.and_then(|config| {
                let transactional = config.transactional_id.is_some();
                let ev = self.kafka.create_producer(&p.name, config).map_err(|e| e.to_string())?;
                out.kafka.extend(ev);
                if transactional {
                    let ev = self.kafka.init_transactions(&p.name).map_err(|e| e.to_string())?;
                    out.kafka.extend(ev);
                }
                Ok(())
            });
            refused.check(|| SetupPart::Producer { name: p.name.clone() }, result)?;
        }
        for c in &k.consumers {
            let result =
                translate::consumer_config(c).map_err(|e| config_error(e, &format!("consumer `{}`: ", c.name)));
            let result = result.and_then(|config| {
                let ev = self.kafka.create_consumer(&c.name, config).map_err(|e| e.to_string())?;
                out.kafka.extend(ev);
                if !c.topics.is_empty() {
                    let ev = self.kafka.subscribe(&c.name, &c.topics).map_err(|e| e.to_string())?;
                    out.kafka.extend(ev);
                }
                Ok(())
            });
            refused.check(|| SetupPart::KafkaConsumer { name: c.name.clone() }, result)?;
        }
        self.build_share_groups(k, out, refused)
    }

    /// Share group configs first, then share consumers and their subscriptions (KIP-932).
    fn build_share_groups(
        &mut self,
        k: &crate::model::KafkaTopology,
        out: &mut StepOutcome,
        refused: &mut Refusals,
    ) -> Result<(), String> {
        for g in &k.share_groups {
            let result = translate::share_group_config(g)
                .map_err(|e| config_error(e, &format!("share group `{}`: ", g.group_id)));
            let result = result.and_then(|config| {
                let ev = self.kafka.alter_share_group_config(&g.group_id, config).map_err(|e| e.to_string())?;
                out.kafka.extend(ev);
                Ok(())
            });
            refused.check(|| SetupPart::ShareGroup { group_id: g.group_id.clone() }, result)?;
        }
        for c in &k.share_consumers {
            let result = translate::share_consumer_config(c)
                .map_err(|e| config_error(e, &format!("share consumer `{}`: ", c.name)));
            let result = result.and_then(|config| {
                let ev = self.kafka.create_share_consumer(&c.name, config).map_err(|e| e.to_string())?;
                out.kafka.extend(ev);
                if !c.topics.is_empty() {
                    let ev = self.kafka.share_subscribe(&c.name, &c.topics).map_err(|e| e.to_string())?;
                    out.kafka.extend(ev);
                }
                Ok(())
            });
            refused.check(|| SetupPart::KafkaConsumer { name: c.name.clone() }, result)?;
        }
        Ok(())
    }

    /// The record a share acknowledgement settles: the one named, or the
    /// share consumer's oldest record of its last poll not yet acknowledged.
    fn share_record(
        &self,
        consumer: &str,
        topic: &Option<String>,
        partition: Option<u32>,
        offset: Option<i64>,
    ) -> Result<(TopicPartition, i64), String> {
        if let (Some(topic), Some(offset)) = (topic, offset) {
            return Ok((TopicPartition { topic: topic.clone(), partition: partition.unwrap_or(0) }, offset));
        }
        let view = self.kafka.share_consumer_view(consumer).map_err(|e| translate::kafka_error(&e))?;
        view.unacknowledged
            .into_iter()
            .find(|(tp, _)| {
                topic.as_ref().is_none_or(|t| *t == tp.topic) && partition.is_none_or(|p| p == tp.partition)
            })
            .ok_or_else(|| {
                // The Java client has no call that picks the record; the
                // nearest refusal is its IllegalStateException for a record
                // it cannot acknowledge.
                format!(
                    "IllegalStateException: share consumer {consumer} holds no record of its last poll to acknowledge"
                )
            })
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
                self.rabbit_do(translate::exchange_declare(channel, x), out)
            }
            Action::DeclareQueue { queue: q } => {
                let channel = self.channel(&q.vhost, ADMIN, out)?;
                self.rabbit_do(translate::queue_declare(channel, q), out)
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
            Action::SetPolicy { policy } => self.rabbit_do(translate::set_policy(policy), out),
            Action::ClearPolicy { vhost, name } => {
                self.rabbit_do(Command::ClearPolicy { vhost: vhost.clone(), name: name.clone(), operator: false }, out)
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
            Action::ShutdownBroker { broker } => self.kafka_do(K::ShutdownBroker { broker: *broker }, out),
            Action::ElectPreferredLeaders => self.kafka_do(K::ElectPreferredLeaders, out),
            Action::CrashController { controller } => {
                self.kafka_do(K::CrashController { controller: *controller }, out)
            }
            Action::RestartController { controller } => {
                self.kafka_do(K::RestartController { controller: *controller }, out)
            }
            Action::PauseReplication { broker } => self.kafka_do(K::PauseReplication { broker: *broker }, out),
            Action::ResumeReplication { broker } => self.kafka_do(K::ResumeReplication { broker: *broker }, out),
            Action::AddPartitions { topic, total } => {
                self.kafka_do(K::AddPartitions { topic: topic.clone(), total: *total }, out)
            }
            Action::CloseProducer { producer } => self.kafka_do(K::CloseProducer { producer: producer.clone() }, out),
            Action::BeginTransaction { producer } => {
                self.kafka_do(K::BeginTransaction { producer: producer.clone() }, out)
            }
            Action::SendOffsetsToTransaction { producer, group_id, offsets, consumer } => {
                let group_metadata = match consumer {
                    Some(c) => {
                        let m = self.kafka.consumer_group_metadata(c).map_err(|e| translate::kafka_error(&e))?;
                        if m.group_id != *group_id {
                            return Err(format!(
                                "IllegalArgumentException: consumer {c} is in group {}, not {group_id}",
                                m.group_id
                            ));
                        }
                        m
                    }
                    None => brokerlab_kafka::ConsumerGroupMetadata::new(group_id.clone()),
                };
                self.kafka_do(
                    K::SendOffsetsToTransaction {
                        producer: producer.clone(),
                        group_metadata,
                        offsets: tp_offsets(offsets),
                    },
                    out,
                )
            }
            Action::CommitTransaction { producer } => {
                self.kafka_do(K::CommitTransaction { producer: producer.clone() }, out)
            }
            Action::AbortTransaction { producer } => {
                self.kafka_do(K::AbortTransaction { producer: producer.clone() }, out)
            }
            Action::ShareSubscribe { consumer, topics } => {
                self.kafka_do(K::ShareSubscribe { consumer: consumer.clone(), topics: topics.clone() }, out)
            }
            Action::SharePoll { consumer, max_records } => {
                self.kafka_do(K::SharePoll { consumer: consumer.clone(), max_records: *max_records }, out)
            }
            Action::ShareAcknowledge { consumer, kind, topic, partition, offset } => {
                let (partition, offset) = self.share_record(consumer, topic, *partition, *offset)?;
                let kind = translate::acknowledge_type(*kind);
                self.kafka_do(K::ShareAcknowledge { consumer: consumer.clone(), partition, offset, kind }, out)
            }
            Action::CloseShareConsumer { consumer } => {
                self.kafka_do(K::CloseShareConsumer { consumer: consumer.clone() }, out)
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

/// A configuration the translation refused, without the part's name (the
/// problem names the part itself).
fn config_error(e: ScenarioError, prefix: &str) -> String {
    match e {
        ScenarioError::Invalid(m) => m.strip_prefix(prefix).unwrap_or(&m).to_string(),
        other => other.to_string(),
    }
}

fn tp_offsets(o: &[PartitionOffset]) -> Vec<(TopicPartition, i64)> {
    o.iter().map(|p| (TopicPartition { topic: p.topic.clone(), partition: p.partition }, p.offset)).collect()
}
