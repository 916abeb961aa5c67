//! The plan: a scenario's RabbitMQ part as one `brokerlab_rabbit_live`
//! script per vhost (the topology declared by an admin client, then the
//! script's actions in that vhost and every wait), with what neither side
//! can replay listed as skipped.

use super::{NO_ALARM, NO_DEFAULT_QUEUE_TYPE, NO_POLICY, NO_RESTART, Options, Skipped};
use brokerlab_rabbit::{ChannelId, Command};
use brokerlab_rabbit_live::{Settle, Step};
use brokerlab_scenario::translate::{
    basic_properties, bind_command, exchange_declare, field_table, queue_declare, set_policy,
};
use brokerlab_scenario::{Action, BindingDef, ConsumerDef, ExchangeDef, PolicyDef, QueueDef, Scenario};
use serde::Serialize;
use std::collections::BTreeMap;

/// The scripts both sides play, one per vhost, and what they leave out.
#[derive(Debug)]
pub struct Plan {
    /// One part per vhost the scenario uses, `/` first, then in the order
    /// the scenario lists them. Vhosts with nothing in them have no part.
    pub parts: Vec<Part>,
    /// Script actions no part replays.
    pub skipped: Vec<Skipped>,
}

/// One vhost's script.
#[derive(Debug)]
pub struct Part {
    pub vhost: String,
    pub steps: Vec<Step>,
    /// The script action behind each step; `None` for the topology and the
    /// final drain.
    pub origins: Vec<Option<usize>>,
    pub queues: Vec<String>,
    pub exchanges: Vec<String>,
    /// The policies the part sets, cleared on the broker before and after.
    pub policies: Vec<String>,
    /// The script action behind each `get`, for naming differences.
    pub get_actions: Vec<usize>,
    /// The script action behind each acknowledgement.
    pub settle_actions: Vec<usize>,
    /// Each consumer, in the order they start.
    pub consumers: Vec<ConsumerLabel>,
    /// Script actions of this part that are noted but not replayed.
    pub skipped: Vec<Skipped>,
}

/// Names a consumer in differences.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConsumerLabel {
    pub client: String,
    pub tag: String,
}

/// The client name used to declare the topology (script clients are never empty).
const ADMIN: &str = "";
/// The client that drains the queues at the end.
const DRAIN: &str = "\0drain";

struct Builder {
    part: Part,
    clients: BTreeMap<String, ChannelId>,
    connections: u32,
    origin: Option<usize>,
    used: bool,
    /// Whether policies can be set on the broker (through `rabbitmqctl`).
    policies: bool,
}

impl Builder {
    fn new(vhost: &str, policies: bool) -> Self {
        Builder {
            part: Part {
                vhost: vhost.to_string(),
                steps: Vec::new(),
                origins: Vec::new(),
                queues: Vec::new(),
                exchanges: Vec::new(),
                policies: Vec::new(),
                get_actions: Vec::new(),
                settle_actions: Vec::new(),
                consumers: Vec::new(),
                skipped: Vec::new(),
            },
            clients: BTreeMap::new(),
            connections: 0,
            origin: None,
            used: false,
            policies,
        }
    }

    /// Sets a policy on both sides, or notes that neither side does.
    fn set_policy(&mut self, action: Option<usize>, p: &PolicyDef) {
        if !self.policies {
            self.part.skipped.push(Skipped { action, vhost: Some(self.part.vhost.clone()), reason: NO_POLICY.into() });
            return;
        }
        if !self.part.policies.contains(&p.name) {
            self.part.policies.push(p.name.clone());
        }
        self.push(Step::Do(set_policy(p)));
    }

    fn push(&mut self, step: Step) {
        self.part.steps.push(step);
        self.part.origins.push(self.origin);
    }

    /// The channel of a client, opening its connection on first use. The
    /// engine numbers connections from 1 in the order they open, and so
    /// does the live side.
    fn client(&mut self, name: &str) -> ChannelId {
        if let Some(c) = self.clients.get(name) {
            return *c;
        }
        self.connections += 1;
        self.push(Step::Do(Command::OpenConnection {
            user: "guest".into(),
            password: "guest".into(),
            vhost: self.part.vhost.clone(),
        }));
        self.push(Step::Do(Command::OpenChannel { connection: self.connections }));
        let id = ChannelId { connection: self.connections, channel: 1 };
        self.clients.insert(name.to_string(), id);
        id
    }

    fn declare_exchange(&mut self, x: &ExchangeDef) {
        let channel = self.client(ADMIN);
        if !self.part.exchanges.contains(&x.name) {
            self.part.exchanges.push(x.name.clone());
        }
        self.push(Step::Do(exchange_declare(channel, x)));
    }

    fn declare_queue(&mut self, q: &QueueDef) {
        let channel = self.client(ADMIN);
        if !self.part.queues.contains(&q.name) {
            self.part.queues.push(q.name.clone());
        }
        self.push(Step::Do(queue_declare(channel, q)));
    }

    fn bind(&mut self, b: &BindingDef, on: bool) {
        let channel = self.client(ADMIN);
        self.push(Step::Do(bind_command(channel, b, on)));
    }

    /// `basic.qos` when the consumer has a prefetch, then `basic.consume`,
    /// as the engine's session does.
    fn consume(&mut self, c: &ConsumerDef) {
        let channel = self.client(c.client_name());
        if c.prefetch > 0 {
            self.push(Step::Do(Command::BasicQos { channel, prefetch_count: c.prefetch, global: false }));
        }
        self.push(Step::Do(Command::BasicConsume {
            channel,
            queue: c.queue.clone(),
            consumer_tag: c.tag.clone(),
            no_ack: c.auto_ack,
            exclusive: c.exclusive,
            arguments: field_table(&c.arguments),
        }));
        self.part.consumers.push(ConsumerLabel { client: c.client_name().to_string(), tag: c.tag.clone() });
    }

    fn settle(&mut self, i: usize, client: &str, delivery_tag: Option<u64>, multiple: bool, how: Settle) {
        let channel = self.client(client);
        self.part.settle_actions.push(i);
        self.push(Step::Settle { channel, delivery_tag, multiple, how });
    }

    /// Adds script action `i`, which runs in this part's vhost.
    fn action(&mut self, i: usize, a: &Action) {
        self.used = true;
        self.origin = Some(i);
        match a {
            Action::Publish { client, exchange, routing_key, body, properties, headers, mandatory, .. } => {
                let channel = self.client(client);
                self.push(Step::Do(Command::BasicPublish {
                    channel,
                    exchange: exchange.clone(),
                    routing_key: routing_key.clone(),
                    mandatory: *mandatory,
                    properties: basic_properties(properties, headers),
                    body: body.clone(),
                }));
            }
            Action::Get { client, queue, auto_ack, .. } => {
                let channel = self.client(client);
                self.part.get_actions.push(i);
                self.push(Step::Get { channel, queue: queue.clone(), no_ack: *auto_ack });
            }
            Action::Ack { client, delivery_tag, multiple, .. } => {
                self.settle(i, client, *delivery_tag, *multiple, Settle::Ack);
            }
            Action::Nack { client, delivery_tag, multiple, requeue, .. } => {
                self.settle(i, client, *delivery_tag, *multiple, Settle::Nack { requeue: *requeue });
            }
            Action::Reject { client, delivery_tag, requeue, .. } => {
                self.settle(i, client, *delivery_tag, false, Settle::Reject { requeue: *requeue });
            }
            Action::Consume { consumer } => self.consume(consumer),
            Action::Cancel { client, tag, .. } => {
                let channel = self.client(client);
                let consumer_tag = if tag.is_empty() { client.clone() } else { tag.clone() };
                self.push(Step::Do(Command::BasicCancel { channel, consumer_tag }));
            }
            Action::Qos { client, prefetch, global, .. } => {
                let channel = self.client(client);
                self.push(Step::Do(Command::BasicQos { channel, prefetch_count: *prefetch, global: *global }));
            }
            Action::ConfirmSelect { client, .. } => {
                let channel = self.client(client);
                self.push(Step::Do(Command::ConfirmSelect { channel }));
            }
            Action::DeclareExchange { exchange } => self.declare_exchange(exchange),
            Action::DeclareQueue { queue } => self.declare_queue(queue),
            Action::Bind { binding } => self.bind(binding, true),
            Action::Unbind { binding } => self.bind(binding, false),
            Action::DeleteExchange { name, .. } => {
                let channel = self.client(ADMIN);
                self.push(Step::Do(Command::ExchangeDelete { channel, exchange: name.clone(), if_unused: false }));
            }
            Action::DeleteQueue { name, .. } => {
                let channel = self.client(ADMIN);
                self.push(Step::Do(Command::QueueDelete {
                    channel,
                    queue: name.clone(),
                    if_unused: false,
                    if_empty: false,
                }));
            }
            Action::Purge { queue, .. } => {
                let channel = self.client(ADMIN);
                self.push(Step::Do(Command::QueuePurge { channel, queue: queue.clone() }));
            }
            Action::SetPolicy { policy } => self.set_policy(Some(i), policy),
            Action::ClearPolicy { vhost, name } if self.policies => {
                self.push(Step::Do(Command::ClearPolicy { vhost: vhost.clone(), name: name.clone(), operator: false }));
            }
            Action::ClearPolicy { .. } => self.part.skipped.push(Skipped {
                action: Some(i),
                vhost: Some(self.part.vhost.clone()),
                reason: NO_POLICY.into(),
            }),
            Action::CloseClient { client, .. } => match self.clients.remove(client.as_str()) {
                // The client's next use opens a new connection, as in the engine's session.
                Some(ch) => self.push(Step::Do(Command::CloseConnection { connection: ch.connection })),
                None => self.part.skipped.push(Skipped {
                    action: Some(i),
                    vhost: Some(self.part.vhost.clone()),
                    reason: format!(
                        "client `{client}` has no open connection: the engine refuses to close it, and nothing reaches the broker"
                    ),
                }),
            },
            _ => {}
        }
        self.origin = None;
    }

    fn finish(mut self) -> Part {
        let drain = self.client(DRAIN);
        let queues = self.part.queues.clone();
        // Two passes: draining can expire messages stuck behind live ones,
        // which then land in queues drained earlier.
        self.push(Step::Drain { channel: drain, queues: queues.clone() });
        self.push(Step::Drain { channel: drain, queues });
        self.part
    }
}

/// The vhost a RabbitMQ action runs in; `None` for actions that are not
/// RabbitMQ's or belong to no vhost.
fn action_vhost(a: &Action) -> Option<&str> {
    Some(match a {
        Action::Publish { vhost, .. }
        | Action::Get { vhost, .. }
        | Action::Ack { vhost, .. }
        | Action::Nack { vhost, .. }
        | Action::Reject { vhost, .. }
        | Action::Cancel { vhost, .. }
        | Action::Qos { vhost, .. }
        | Action::ConfirmSelect { vhost, .. }
        | Action::DeleteExchange { vhost, .. }
        | Action::DeleteQueue { vhost, .. }
        | Action::Purge { vhost, .. }
        | Action::CloseClient { vhost, .. } => vhost.as_str(),
        Action::Consume { consumer } => consumer.vhost.as_str(),
        Action::DeclareExchange { exchange } => exchange.vhost.as_str(),
        Action::DeclareQueue { queue } => queue.vhost.as_str(),
        Action::Bind { binding } | Action::Unbind { binding } => binding.vhost.as_str(),
        Action::SetPolicy { policy } => policy.vhost.as_str(),
        Action::ClearPolicy { vhost, .. } => vhost.as_str(),
        _ => return None,
    })
}

/// Every vhost the scenario uses: `/`, then the listed ones, then any
/// named only by an entity or action.
fn vhosts(s: &Scenario) -> Vec<String> {
    let r = &s.rabbitmq;
    let mut out = vec!["/".to_string()];
    let named = r
        .vhosts
        .iter()
        .map(|v| v.name.as_str())
        .chain(r.exchanges.iter().map(|x| x.vhost.as_str()))
        .chain(r.queues.iter().map(|q| q.vhost.as_str()))
        .chain(r.bindings.iter().map(|b| b.vhost.as_str()))
        .chain(r.consumers.iter().map(|c| c.vhost.as_str()))
        .chain(r.policies.iter().map(|p| p.vhost.as_str()))
        .chain(s.script.iter().filter_map(action_vhost));
    for v in named {
        if !out.iter().any(|o| o == v) {
            out.push(v.to_string());
        }
    }
    out
}

/// Turns a scenario's RabbitMQ part into one script per vhost, with
/// restarts and alarms skipped.
pub fn plan(s: &Scenario) -> Plan {
    plan_with(s, &Options::default())
}

/// [`plan`], replaying restarts when `options` can restart the broker.
pub fn plan_with(s: &Scenario, options: &Options) -> Plan {
    let r = &s.rabbitmq;
    let policies = options.rabbitmqctl.is_some();
    let mut builders: Vec<Builder> = vhosts(s).iter().map(|v| Builder::new(v, policies)).collect();
    let mut skipped = Vec::new();
    for b in &mut builders {
        let v = b.part.vhost.clone();
        if r.vhosts.iter().any(|x| x.name == v && x.metadata.default_queue_type.is_some()) {
            b.part.skipped.push(Skipped { action: None, vhost: Some(v.clone()), reason: NO_DEFAULT_QUEUE_TYPE.into() });
        }
        // Policies first, as the engine's session sets them.
        for p in r.policies.iter().filter(|p| p.vhost == v) {
            b.used = true;
            b.set_policy(None, p);
        }
        for x in r.exchanges.iter().filter(|x| x.vhost == v) {
            b.used = true;
            b.declare_exchange(x);
        }
        for q in r.queues.iter().filter(|q| q.vhost == v) {
            b.used = true;
            b.declare_queue(q);
        }
        for binding in r.bindings.iter().filter(|x| x.vhost == v) {
            b.used = true;
            b.bind(binding, true);
        }
        for c in r.consumers.iter().filter(|c| c.vhost == v) {
            b.used = true;
            b.consume(c);
        }
    }
    for (i, a) in s.script.iter().enumerate() {
        match a {
            Action::AdvanceTime { ms } => {
                for b in &mut builders {
                    b.origin = Some(i);
                    b.push(Step::Wait { ms: *ms });
                    b.origin = None;
                }
            }
            Action::RestartRabbitmq if options.rabbitmqctl.is_some() => {
                for b in &mut builders {
                    b.origin = Some(i);
                    b.push(Step::Do(Command::Restart));
                    b.origin = None;
                    // Every connection dropped; the next use of a client opens a new one.
                    b.clients.clear();
                }
            }
            Action::Alarm { .. } if options.rabbitmqctl.is_some() => {
                skipped.push(Skipped { action: Some(i), vhost: None, reason: NO_ALARM.into() })
            }
            Action::RestartRabbitmq | Action::Alarm { .. } => {
                skipped.push(Skipped { action: Some(i), vhost: None, reason: NO_RESTART.into() })
            }
            _ => {
                if let Some(v) = action_vhost(a)
                    && let Some(b) = builders.iter_mut().find(|b| b.part.vhost == v)
                {
                    b.action(i, a);
                }
                // The Kafka part and narration have nothing to verify here.
            }
        }
    }
    let parts = builders.into_iter().filter(|b| b.used).map(Builder::finish).collect();
    Plan { parts, skipped }
}
