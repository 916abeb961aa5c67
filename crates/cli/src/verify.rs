//! `brokerlab verify`: plays a scenario's RabbitMQ part on a real broker and
//! on the engine, and lists every difference.
//!
//! The scenario is split by vhost: vhosts share nothing in RabbitMQ, so
//! each vhost's part (its topology and the script actions in it, plus every
//! `advance_time`) is one `brokerlab_rabbit_live` script, played on a fresh
//! engine and on the broker through connections to that vhost. `/` runs on
//! the URL as given; any other vhost on the same URL with its path replaced
//! by the vhost's name. A vhost missing on the broker is reported as a
//! skipped part (vhosts cannot be created over AMQP), with the
//! `rabbitmqctl` commands that create it.
//!
//! Each script declares the topology, starts the consumers, replays the
//! publishes, gets, consumes, acknowledgements (a missing `delivery_tag`
//! settles the client's oldest unacknowledged delivery, on each side
//! separately), cancels, client closes, queue operations and waits (a wait
//! sleeps on the real broker), and at the end drains every queue in order.
//! Each scenario client is a connection of its own with one channel, as in
//! the engine. What each side observed is compared: each `get`, the tag
//! each acknowledgement settled, every consumer's deliveries in order (with
//! the action after which each arrived, its delivery tag, body, routing
//! key, exchange, redelivered flag and headers), then each queue's remaining
//! messages. The live side waits for the deliveries the engine made, with a
//! bounded timeout, then watches a short grace period for more; whatever
//! differs is reported.
//!
//! Restarts and alarms need the broker's host, which an AMQP URL does not
//! give, so they are listed as skipped. Given a node for `rabbitmqctl -n`
//! ([`Options::rabbitmqctl`]), a restart is replayed: the broker's
//! application is stopped and started (once in each vhost's part), every
//! client reconnects on its next use, and a queue the restart removed counts
//! as missing on that side. Alarms stay skipped even then ([`NO_ALARM`]).

use std::collections::BTreeMap;
use std::time::Duration;

use brokerlab_rabbit::{Broker, ChannelId, Command, FieldValue};
use brokerlab_rabbit_live::{LiveBroker, Observed, Outcome, Pacing, Settle, Step, run_on_engine, vhost_url};
use brokerlab_scenario::translate::{basic_properties, bind_command, exchange_kind, field_table};
use brokerlab_scenario::{Action, BindingDef, ConsumerDef, ExchangeDef, QueueDef, Scenario};
use serde::Serialize;

/// The result of a verification.
#[derive(Debug, Serialize)]
pub struct Verification {
    /// True when the engine and the broker observed the same thing.
    pub matches: bool,
    /// Each vhost the scenario uses, and whether its part ran on the broker.
    pub vhosts: Vec<VhostRun>,
    /// Script actions and parts not replayed, with the reason.
    pub skipped: Vec<Skipped>,
    /// What was left out of the comparison on purpose, and why.
    pub ignored: Vec<&'static str>,
    /// Every place the two sides differ.
    pub differences: Vec<Difference>,
}

/// Whether one vhost's part ran, and how much the broker's run observed.
#[derive(Debug, Serialize)]
pub struct VhostRun {
    pub vhost: String,
    pub ran: bool,
    /// What the broker's run observed and was compared; `None` when the
    /// part did not run or did not complete.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub compared: Option<Compared>,
}

/// How much was compared in one vhost.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Compared {
    pub gets: usize,
    pub settles: usize,
    pub consumers: usize,
    pub deliveries: usize,
    pub messages_left: usize,
}

impl Compared {
    fn of(o: &Outcome) -> Self {
        Compared {
            gets: o.gets.len(),
            settles: o.settled.len(),
            consumers: o.consumers.len(),
            deliveries: o.consumers.iter().map(|c| c.deliveries.len()).sum(),
            messages_left: o.drained.values().map(Vec::len).sum(),
        }
    }
}

/// What each side of one vhost's part observed (or why it stopped).
#[derive(Debug)]
pub struct PartRun {
    pub vhost: String,
    pub engine: Result<Outcome, String>,
    pub broker: Result<Outcome, String>,
}

/// An action, or a whole vhost's part, left out.
#[derive(Debug, Serialize)]
pub struct Skipped {
    pub action: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vhost: Option<String>,
    pub reason: String,
}

/// One difference.
#[derive(Debug, Serialize)]
pub struct Difference {
    pub at: String,
    pub engine: serde_json::Value,
    pub broker: serde_json::Value,
}

/// Differences between the RabbitMQ release the engine models and 3.x
/// brokers, and between logical and wall-clock time, that the comparison
/// removes from both sides.
pub const IGNORED: &[&str] = &[
    "the `time` field of each x-death entry (wall-clock on the broker, logical in the engine)",
    "x-last-death-* headers (added in RabbitMQ 4.x, which the engine models)",
    "consumer tags the broker generates (consumers are matched in the order they started)",
];

/// Why restarts and alarms are not replayed without `--rabbitmqctl`.
pub const NO_RESTART: &str = "restarting RabbitMQ or raising an alarm needs rabbitmqctl on the broker's host, \
    which an AMQP URL does not give (see --rabbitmqctl NODE for restarts); neither side replays it, so what \
    follows runs as if it had not happened";

/// Why alarms are not replayed even with `--rabbitmqctl`.
pub const NO_ALARM: &str = "a real resource alarm is raised by the broker's own monitor some time after its \
    threshold changes, and blocks a connection only once it publishes, so a script cannot place it between two \
    actions the way the engine does; neither side replays it, so what follows runs as if it had not happened";

/// How verify may reach the broker beyond AMQP.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Options {
    /// The node name for `rabbitmqctl -n` on this host; with it, a
    /// `restart_rabbitmq` action restarts that node (`stop_app`, then
    /// `start_app`) once in each vhost's part.
    pub rabbitmqctl: Option<String>,
}

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
}

impl Builder {
    fn new(vhost: &str) -> Self {
        Builder {
            part: Part {
                vhost: vhost.to_string(),
                steps: Vec::new(),
                origins: Vec::new(),
                queues: Vec::new(),
                exchanges: Vec::new(),
                get_actions: Vec::new(),
                settle_actions: Vec::new(),
                consumers: Vec::new(),
                skipped: Vec::new(),
            },
            clients: BTreeMap::new(),
            connections: 0,
            origin: None,
            used: false,
        }
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
        self.push(Step::Do(Command::ExchangeDeclare {
            channel,
            exchange: x.name.clone(),
            kind: exchange_kind(x.kind),
            passive: false,
            durable: x.durable,
            auto_delete: x.auto_delete,
            internal: x.internal,
            arguments: field_table(&x.arguments),
        }));
    }

    fn declare_queue(&mut self, q: &QueueDef) {
        let channel = self.client(ADMIN);
        if !self.part.queues.contains(&q.name) {
            self.part.queues.push(q.name.clone());
        }
        self.push(Step::Do(Command::QueueDeclare {
            channel,
            queue: q.name.clone(),
            passive: false,
            durable: q.durable,
            exclusive: false,
            auto_delete: q.auto_delete,
            arguments: field_table(&q.arguments),
        }));
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
    let mut builders: Vec<Builder> = vhosts(s).iter().map(|v| Builder::new(v)).collect();
    let mut skipped = Vec::new();
    for b in &mut builders {
        let v = b.part.vhost.clone();
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

fn normalise(mut m: Observed) -> Observed {
    for k in ["x-last-death-queue", "x-last-death-reason", "x-last-death-exchange"] {
        m.headers.remove(k);
    }
    if let Some(FieldValue::FieldArray(deaths)) = m.headers.get_mut("x-death") {
        for d in deaths {
            if let FieldValue::FieldTable(t) = d {
                t.remove("time");
            }
        }
    }
    m
}

fn json(v: &impl Serialize) -> serde_json::Value {
    serde_json::to_value(v).unwrap_or_default()
}

fn delete_steps(part: &Part) -> Vec<Step> {
    // A channel on a connection no script opens: the live side runs it on
    // a connection of its own.
    let ch = ChannelId { connection: 9999, channel: 1 };
    let mut steps: Vec<Step> = part
        .queues
        .iter()
        .map(|q| Step::Do(Command::QueueDelete { channel: ch, queue: q.clone(), if_unused: false, if_empty: false }))
        .collect();
    steps.extend(
        part.exchanges
            .iter()
            .map(|x| Step::Do(Command::ExchangeDelete { channel: ch, exchange: x.clone(), if_unused: false })),
    );
    steps
}

/// How the live side is paced: a short pause after each publish so a `get`
/// on another channel cannot overtake the routing, up to five seconds for
/// the deliveries the engine made, and a short watch for any beyond them.
pub const PACING: Pacing = Pacing {
    after_publish: Duration::from_millis(30),
    delivery_timeout: Duration::from_secs(5),
    grace: Duration::from_millis(60),
};

/// One delivery as differences show it.
#[derive(Debug, PartialEq, Serialize)]
struct Shown {
    /// The script action after which it arrived; `None` while the topology
    /// (and its consumers) was set up.
    after_action: Option<usize>,
    delivery_tag: u64,
    message: Observed,
}

fn deliveries(part: &Part, o: &Outcome, index: usize) -> Vec<Shown> {
    o.consumers
        .get(index)
        .map(|c| {
            c.deliveries
                .iter()
                .map(|d| Shown {
                    after_action: part.origins.get(d.step).copied().flatten(),
                    delivery_tag: d.delivery_tag,
                    message: normalise(d.message.clone()),
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Compares what the engine and the broker observed in one part.
pub fn compare(part: &Part, engine: &Outcome, broker: &Outcome) -> Vec<Difference> {
    let prefix = if part.vhost == "/" { String::new() } else { format!("vhost `{}`: ", part.vhost) };
    let mut out = Vec::new();
    let n = engine.gets.len().max(broker.gets.len());
    for i in 0..n {
        let e = engine.gets.get(i).cloned().flatten().map(normalise);
        let b = broker.gets.get(i).cloned().flatten().map(normalise);
        if e != b {
            let at = match part.get_actions.get(i) {
                Some(a) => format!("{prefix}get at action {a}"),
                None => format!("{prefix}get #{i}"),
            };
            out.push(Difference { at, engine: json(&e), broker: json(&b) });
        }
    }
    let n = engine.settled.len().max(broker.settled.len());
    for i in 0..n {
        let (e, b) = (engine.settled.get(i).copied().flatten(), broker.settled.get(i).copied().flatten());
        if e != b {
            let at = match part.settle_actions.get(i) {
                Some(a) => format!("{prefix}delivery tag settled at action {a}"),
                None => format!("{prefix}settle #{i}"),
            };
            out.push(Difference { at, engine: json(&e), broker: json(&b) });
        }
    }
    let n = engine.consumers.len().max(broker.consumers.len()).max(part.consumers.len());
    for i in 0..n {
        let (e, b) = (deliveries(part, engine, i), deliveries(part, broker, i));
        let started = (engine.consumers.get(i).is_some(), broker.consumers.get(i).is_some());
        if e != b || started.0 != started.1 {
            let at = match part.consumers.get(i) {
                Some(c) => format!("{prefix}deliveries to consumer `{}` on client `{}`", c.tag, c.client),
                None => format!("{prefix}deliveries to consumer #{i}"),
            };
            let side = |started: bool, d: &[Shown]| if started { json(&d) } else { json(&"never started") };
            out.push(Difference { at, engine: side(started.0, &e), broker: side(started.1, &b) });
        }
    }
    for q in &part.queues {
        let exists = (engine.drained.contains_key(q), broker.drained.contains_key(q));
        if exists.0 != exists.1 {
            out.push(Difference {
                at: format!("{prefix}queue `{q}` exists at the end"),
                engine: json(&exists.0),
                broker: json(&exists.1),
            });
            continue;
        }
        let e: Vec<Observed> = engine.drained.get(q).cloned().unwrap_or_default().into_iter().map(normalise).collect();
        let b: Vec<Observed> = broker.drained.get(q).cloned().unwrap_or_default().into_iter().map(normalise).collect();
        if e != b {
            out.push(Difference {
                at: format!("{prefix}messages left in queue `{q}`"),
                engine: json(&e),
                broker: json(&b),
            });
        }
    }
    out
}

/// The user name in an AMQP URL (`guest` when it has none).
fn url_user(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    match authority.rsplit_once('@') {
        Some((userinfo, _)) => userinfo.split(':').next().unwrap_or_default().to_string(),
        None => "guest".to_string(),
    }
}

/// A word as a POSIX shell reads it back.
fn shell_word(s: &str) -> String {
    if !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_./:@%+=".contains(&b)) {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

/// Why a vhost's part did not run, with the commands that make it run.
pub fn missing_vhost(vhost: &str, user: &str, broker_said: &str) -> String {
    let (v, u) = (shell_word(vhost), shell_word(user));
    format!(
        "vhost `{vhost}` is not on the broker or user `{user}` may not use it ({broker_said}); \
         vhosts cannot be created over AMQP, so its part was not run. Create it on the broker's host with \
         `rabbitmqctl add_vhost {v}` and `rabbitmqctl set_permissions -p {v} {u} \".*\" \".*\" \".*\"`, then verify again"
    )
}

/// Runs each vhost's part on the engine and on the broker at `url`, and
/// compares. Queues and exchanges the scenario names are deleted on the
/// broker before and after, so leftovers of an earlier run cannot leak in.
pub fn verify(s: &Scenario, url: &str) -> Result<Verification, String> {
    verify_with_outcomes(s, url, &Options::default()).map(|(v, _)| v)
}

/// [`verify`] with `options`, also returning what each side observed in
/// each part that ran.
pub fn verify_with_outcomes(
    s: &Scenario,
    url: &str,
    options: &Options,
) -> Result<(Verification, Vec<PartRun>), String> {
    let plan = plan_with(s, options);
    let mut runs = Vec::new();
    LiveBroker::connect(url).map_err(|e| format!("cannot reach RabbitMQ at {url}: {e}"))?.close().ok();
    let mut skipped = plan.skipped;
    let mut vhosts = Vec::new();
    let mut differences = Vec::new();
    for part in &plan.parts {
        skipped.extend(part.skipped.iter().map(|k| Skipped {
            action: k.action,
            vhost: k.vhost.clone(),
            reason: k.reason.clone(),
        }));
        let part_url = if part.vhost == "/" { url.to_string() } else { vhost_url(url, &part.vhost) };
        let mut live = match LiveBroker::connect(&part_url) {
            Ok(live) => live,
            Err(e) if part.vhost != "/" => {
                skipped.push(Skipped {
                    action: None,
                    vhost: Some(part.vhost.clone()),
                    reason: missing_vhost(&part.vhost, &url_user(url), &e.to_string()),
                });
                vhosts.push(VhostRun { vhost: part.vhost.clone(), ran: false, compared: None });
                continue;
            }
            Err(e) => return Err(format!("cannot reach RabbitMQ at {url}: {e}")),
        };
        live.set_pacing(PACING);
        live.set_rabbitmqctl_node(options.rabbitmqctl.clone());
        let mut broker = Broker::new(s.seed);
        if part.vhost != "/" {
            // The broker has the vhost (the connection above proves it); so does the engine.
            let _ = broker.apply(Command::AddVhost { name: part.vhost.clone() });
            let _ = broker.apply(Command::SetPermissions {
                user: "guest".into(),
                vhost: part.vhost.clone(),
                configure: ".*".into(),
                write: ".*".into(),
                read: ".*".into(),
            });
        }
        let engine = run_on_engine(&mut broker, &part.steps);
        let cleanup = delete_steps(part);
        for step in &cleanup {
            // A missing queue or exchange is fine here; only leftovers matter.
            let _ = live.run(std::slice::from_ref(step));
        }
        let result = match &engine {
            Ok(expected) => live.run_expecting(&part.steps, expected),
            Err(_) => live.run(&part.steps),
        };
        for step in &cleanup {
            let _ = live.run(std::slice::from_ref(step));
        }
        let _ = live.close();
        let compared = match (&engine, &result) {
            (Ok(_), Ok(b)) => Some(Compared::of(b)),
            _ => None,
        };
        vhosts.push(VhostRun { vhost: part.vhost.clone(), ran: true, compared });
        match (&engine, &result) {
            (Ok(e), Ok(b)) => differences.extend(compare(part, e, b)),
            (e, b) => {
                let e = e.as_ref().map(|_| "completed".to_string()).unwrap_or_else(|e| e.to_string());
                let b = b.as_ref().map(|_| "completed".to_string()).unwrap_or_else(|e| e.to_string());
                if e != b {
                    let at = if part.vhost == "/" {
                        "running the script".to_string()
                    } else {
                        format!("vhost `{}`: running the script", part.vhost)
                    };
                    differences.push(Difference {
                        at,
                        engine: serde_json::Value::String(e),
                        broker: serde_json::Value::String(b),
                    });
                }
            }
        }
        runs.push(PartRun {
            vhost: part.vhost.clone(),
            engine: engine.map_err(|e| e.to_string()),
            broker: result.map_err(|e| e.to_string()),
        });
    }
    let v = Verification { matches: differences.is_empty(), vhosts, skipped, ignored: IGNORED.to_vec(), differences };
    Ok((v, runs))
}

#[cfg(test)]
mod tests {
    use super::*;
    use brokerlab_rabbit_live::{Consumed, Delivered};

    fn observed(body: &str) -> Observed {
        Observed {
            body: body.into(),
            exchange: String::new(),
            routing_key: "q".into(),
            redelivered: false,
            headers: Default::default(),
            expiration: None,
            delivery_mode: None,
            priority: None,
        }
    }

    fn preset(id: &str) -> Scenario {
        brokerlab_scenario::presets::get(id).expect("preset")
    }

    fn scenario(json: &str) -> Scenario {
        Scenario::from_json(json).expect("a valid scenario")
    }

    fn only_part(p: &Plan) -> &Part {
        assert_eq!(p.parts.len(), 1, "{:?}", p.parts.iter().map(|p| &p.vhost).collect::<Vec<_>>());
        &p.parts[0]
    }

    #[test]
    fn a_get_and_a_queue_that_differ_are_both_reported() {
        let p = plan(&preset("dlq-retry"));
        let part = only_part(&p);
        let mut engine = Outcome::default();
        let mut broker = Outcome::default();
        engine.gets = vec![Some(observed("a")), None];
        broker.gets = vec![Some(observed("b")), None];
        engine.drained.insert("work".into(), vec![observed("x")]);
        broker.drained.insert("work".into(), vec![]);
        let diffs = compare(part, &engine, &broker);
        let at: Vec<&str> = diffs.iter().map(|d| d.at.as_str()).collect();
        assert_eq!(at, ["get at action 1", "messages left in queue `work`"]);
    }

    #[test]
    fn wall_clock_death_times_are_not_a_difference() {
        let with_time = |t: u64| {
            let mut m = observed("a");
            let mut death = brokerlab_rabbit::FieldTable::new();
            death.insert("time".into(), FieldValue::Timestamp(t));
            death.insert("count".into(), FieldValue::LongLongInt(1));
            m.headers.insert("x-death".into(), FieldValue::FieldArray(vec![FieldValue::FieldTable(death)]));
            m
        };
        assert_eq!(normalise(with_time(5)), normalise(with_time(1_700_000_000)));
    }

    #[test]
    fn a_get_stays_unacknowledged_until_an_acknowledgement_settles_the_oldest_delivery() {
        let p = plan(&preset("dlq-retry"));
        let part = only_part(&p);
        let script: Vec<&Step> = part
            .steps
            .iter()
            .filter(|s| matches!(s, Step::Get { .. } | Step::Settle { .. } | Step::Wait { .. }))
            .collect();
        let ch = ChannelId { connection: 2, channel: 1 };
        assert_eq!(
            script,
            [
                &Step::Get { channel: ch, queue: "work".into(), no_ack: false },
                &Step::Settle {
                    channel: ch,
                    delivery_tag: None,
                    multiple: false,
                    how: Settle::Reject { requeue: false }
                },
                &Step::Wait { ms: 6000 },
                &Step::Get { channel: ch, queue: "work".into(), no_ack: false },
                &Step::Settle { channel: ch, delivery_tag: None, multiple: false, how: Settle::Ack },
            ]
        );
        assert_eq!(part.get_actions, [1, 5]);
        assert_eq!(part.settle_actions, [3, 6]);
        assert!(p.skipped.is_empty() && part.skipped.is_empty());
    }

    #[test]
    fn consumers_start_with_their_prefetch_each_client_on_a_connection_of_its_own() {
        let p = plan(&preset("work-queue"));
        let part = only_part(&p);
        let opened: Vec<u32> = part
            .steps
            .iter()
            .filter_map(|s| match s {
                Step::Do(Command::OpenChannel { connection }) => Some(*connection),
                _ => None,
            })
            .collect();
        // admin, worker-1, worker-2, app (the publisher), drain.
        assert_eq!(opened, [1, 2, 3, 4, 5]);
        let consuming: Vec<String> = part
            .steps
            .iter()
            .filter_map(|s| match s {
                Step::Do(Command::BasicQos { channel, prefetch_count, .. }) => {
                    Some(format!("qos {prefetch_count} on {}", channel.connection))
                }
                Step::Do(Command::BasicConsume { channel, consumer_tag, no_ack, .. }) => {
                    Some(format!("consume {consumer_tag} no_ack={no_ack} on {}", channel.connection))
                }
                _ => None,
            })
            .collect();
        assert_eq!(
            consuming,
            ["qos 1 on 2", "consume worker-1 no_ack=false on 2", "qos 1 on 3", "consume worker-2 no_ack=false on 3"]
        );
        assert_eq!(
            part.consumers,
            [
                ConsumerLabel { client: "worker-1".into(), tag: "worker-1".into() },
                ConsumerLabel { client: "worker-2".into(), tag: "worker-2".into() },
            ]
        );
        // The acknowledgements settle each worker's oldest delivery.
        let settles: Vec<u32> = part
            .steps
            .iter()
            .filter_map(|s| match s {
                Step::Settle { channel, delivery_tag: None, how: Settle::Ack, .. } => Some(channel.connection),
                _ => None,
            })
            .collect();
        assert_eq!(settles, [2, 3, 2]);
        assert!(p.skipped.is_empty() && part.skipped.is_empty(), "{:?}", p.skipped);
    }

    #[test]
    fn consume_cancel_and_close_client_are_replayed_and_a_closed_client_reopens() {
        let s = scenario(
            r#"{ "version": 1, "rabbitmq": { "queues": [{ "name": "q" }] }, "script": [
                { "action": "consume", "tag": "t", "client": "c", "queue": "q", "exclusive": true, "auto_ack": true,
                  "arguments": { "x-priority": 5 } },
                { "action": "cancel", "client": "c", "tag": "t" },
                { "action": "close_client", "client": "c" },
                { "action": "close_client", "client": "c" },
                { "action": "qos", "client": "c", "prefetch": 3 }
            ] }"#,
        );
        let p = plan(&s);
        let part = only_part(&p);
        let steps: Vec<(Option<usize>, &Step)> = part
            .origins
            .iter()
            .copied()
            .zip(&part.steps)
            .filter(|(o, _)| o.is_some())
            .filter(|(_, s)| !matches!(s, Step::Do(Command::OpenConnection { .. })))
            .collect();
        let c = ChannelId { connection: 2, channel: 1 };
        let reopened = ChannelId { connection: 3, channel: 1 };
        let mut arguments = brokerlab_rabbit::FieldTable::new();
        arguments.insert("x-priority".into(), FieldValue::LongLongInt(5));
        assert_eq!(
            steps,
            [
                (Some(0), &Step::Do(Command::OpenChannel { connection: 2 })),
                (
                    Some(0),
                    &Step::Do(Command::BasicConsume {
                        channel: c,
                        queue: "q".into(),
                        consumer_tag: "t".into(),
                        no_ack: true,
                        exclusive: true,
                        arguments,
                    })
                ),
                (Some(1), &Step::Do(Command::BasicCancel { channel: c, consumer_tag: "t".into() })),
                (Some(2), &Step::Do(Command::CloseConnection { connection: 2 })),
                (Some(4), &Step::Do(Command::OpenChannel { connection: 3 })),
                (Some(4), &Step::Do(Command::BasicQos { channel: reopened, prefetch_count: 3, global: false })),
            ]
        );
        let skipped: Vec<Option<usize>> = part.skipped.iter().map(|k| k.action).collect();
        assert_eq!(skipped, [Some(3)]);
        assert!(part.skipped[0].reason.contains("no open connection"), "{}", part.skipped[0].reason);
    }

    #[test]
    fn each_vhost_is_a_part_of_its_own_and_time_passes_in_every_part() {
        let mut s = preset("vhosts-channels");
        s.script.push(Action::AdvanceTime { ms: 10 });
        s.script.push(Action::RestartRabbitmq);
        let p = plan(&s);
        let names: Vec<&str> = p.parts.iter().map(|p| p.vhost.as_str()).collect();
        // Nothing is in `/`, so it has no part.
        assert_eq!(names, ["shop", "billing"]);
        for part in &p.parts {
            assert!(
                part.steps.iter().all(|s| match s {
                    Step::Do(Command::OpenConnection { vhost, .. }) => *vhost == part.vhost,
                    _ => true,
                }),
                "{}",
                part.vhost
            );
            assert_eq!(part.queues, ["orders"]);
            assert_eq!(part.steps.iter().filter(|s| matches!(s, Step::Wait { ms: 10 })).count(), 1);
        }
        assert_eq!(p.parts[0].get_actions, [4]);
        assert_eq!(p.parts[0].settle_actions, [5]);
        assert_eq!(p.parts[1].get_actions, [3]);
        let bodies = |part: &Part| -> Vec<String> {
            part.steps
                .iter()
                .filter_map(|s| match s {
                    Step::Do(Command::BasicPublish { body, .. }) => Some(body.clone()),
                    _ => None,
                })
                .collect()
        };
        assert_eq!(bodies(&p.parts[0]), ["shop order 1", "shop order 2"]);
        assert_eq!(bodies(&p.parts[1]), ["invoice 1"]);
        assert_eq!(p.skipped.len(), 1);
        assert_eq!(p.skipped[0].action, Some(7));
        assert_eq!(p.skipped[0].reason, NO_RESTART);
    }

    #[test]
    fn with_rabbitmqctl_a_restart_runs_in_every_part_and_clients_reconnect_after_it() {
        let mut s = preset("vhosts-channels");
        s.script.insert(3, Action::RestartRabbitmq);
        s.script.push(Action::Alarm { alarm: brokerlab_scenario::AlarmKind::Memory, active: true });
        let options = Options { rabbitmqctl: Some("rabbit@localhost".into()) };
        let p = plan_with(&s, &options);
        for part in &p.parts {
            let restarts: Vec<Option<usize>> = part
                .steps
                .iter()
                .zip(&part.origins)
                .filter(|(s, _)| matches!(s, Step::Do(Command::Restart)))
                .map(|(_, o)| *o)
                .collect();
            assert_eq!(restarts, [Some(3)], "{}", part.vhost);
        }
        // shop-app published before the restart on connection 2 (after the
        // admin's 1); after it, its get opens connection 3.
        let shop = &p.parts[0];
        let gets: Vec<u32> = shop
            .steps
            .iter()
            .filter_map(|s| match s {
                Step::Get { channel, .. } => Some(channel.connection),
                Step::Do(Command::BasicPublish { channel, .. }) => Some(channel.connection),
                _ => None,
            })
            .collect();
        assert_eq!(gets, [2, 2, 3]);
        let skipped: Vec<(Option<usize>, &str)> = p.skipped.iter().map(|k| (k.action, k.reason.as_str())).collect();
        assert_eq!(skipped, [(Some(7), NO_ALARM)]);
        // Without a node, the same restart is skipped.
        let p = plan(&s);
        assert!(p.parts.iter().all(|part| !part.steps.iter().any(|s| matches!(s, Step::Do(Command::Restart)))));
        let skipped: Vec<(Option<usize>, &str)> = p.skipped.iter().map(|k| (k.action, k.reason.as_str())).collect();
        assert_eq!(skipped, [(Some(3), NO_RESTART), (Some(7), NO_RESTART)]);
    }

    #[test]
    fn a_queue_only_one_side_still_has_is_a_difference() {
        let p = plan(&preset("durability-restart"));
        let part = only_part(&p);
        let mut engine = Outcome::default();
        engine.drained.insert("durable-q".into(), vec![]);
        let mut broker = engine.clone();
        engine.drained.insert("transient-q".into(), vec![]);
        let diffs = compare(part, &engine, &broker);
        assert_eq!(diffs.len(), 1);
        assert_eq!(diffs[0].at, "queue `transient-q` exists at the end");
        assert_eq!((&diffs[0].engine, &diffs[0].broker), (&serde_json::json!(true), &serde_json::json!(false)));
        broker.drained.insert("transient-q".into(), vec![]);
        assert!(compare(part, &engine, &broker).is_empty());
    }

    #[test]
    fn restarts_and_alarms_are_skipped_with_the_reason() {
        let p = plan(&preset("durability-restart"));
        let skipped: Vec<(Option<usize>, &str)> = p.skipped.iter().map(|k| (k.action, k.reason.as_str())).collect();
        assert_eq!(skipped, [(Some(3), NO_RESTART)]);
        assert!(NO_RESTART.contains("rabbitmqctl"));
    }

    fn delivered(step: usize, tag: u64, body: &str) -> Delivered {
        Delivered { step, delivery_tag: tag, message: observed(body) }
    }

    #[test]
    fn a_delivery_that_comes_at_another_time_or_not_at_all_is_a_difference() {
        let p = plan(&preset("work-queue"));
        let part = only_part(&p);
        let ch = ChannelId { connection: 2, channel: 1 };
        let consumed = |d: Vec<Delivered>| Consumed { channel: ch, consumer_tag: "worker-1".into(), deliveries: d };
        let other = Consumed { channel: ch, consumer_tag: "worker-2".into(), deliveries: vec![] };
        let publish_1 = part.origins.iter().position(|o| *o == Some(0)).expect("the first publish");
        let publish_2 = part.origins.iter().position(|o| *o == Some(1)).expect("the second publish");
        let engine = Outcome {
            consumers: vec![consumed(vec![delivered(publish_1, 1, "a")]), other.clone()],
            settled: vec![Some(1), None, None],
            ..Outcome::default()
        };
        let mut late = engine.clone();
        late.consumers[0].deliveries[0].step = publish_2;
        let same_action = {
            let mut o = engine.clone();
            // Another step of the same action is no difference.
            o.consumers[0].deliveries[0].step = publish_1 + 1;
            o
        };
        assert_eq!(part.origins.get(publish_1 + 1), Some(&Some(0)));
        assert!(compare(part, &engine, &same_action).is_empty());
        let diffs = compare(part, &engine, &late);
        assert_eq!(diffs.len(), 1);
        assert_eq!(diffs[0].at, "deliveries to consumer `worker-1` on client `worker-1`");
        assert_eq!(diffs[0].engine[0]["after_action"], 0);
        assert_eq!(diffs[0].broker[0]["after_action"], 1);

        let mut missing = engine.clone();
        missing.consumers[0].deliveries.clear();
        missing.settled[0] = None;
        let at: Vec<String> = compare(part, &engine, &missing).into_iter().map(|d| d.at).collect();
        assert_eq!(at, ["delivery tag settled at action 3", "deliveries to consumer `worker-1` on client `worker-1`"]);

        let mut never = engine.clone();
        never.consumers.truncate(1);
        let diffs = compare(part, &engine, &never);
        assert_eq!(diffs.len(), 1);
        assert_eq!(diffs[0].broker, serde_json::json!("never started"));
    }

    #[test]
    fn differences_outside_slash_name_their_vhost() {
        let p = plan(&preset("vhosts-channels"));
        let mut engine = Outcome::default();
        engine.drained.insert("orders".into(), vec![observed("x")]);
        let mut broker = Outcome::default();
        broker.drained.insert("orders".into(), vec![]);
        let at: Vec<String> = compare(&p.parts[1], &engine, &broker).into_iter().map(|d| d.at).collect();
        assert_eq!(at, ["vhost `billing`: messages left in queue `orders`"]);
    }

    #[test]
    fn a_missing_vhost_is_explained_with_the_commands_that_create_it() {
        let why = missing_vhost("shop", "guest", "NOT_ALLOWED");
        assert!(why.contains("`rabbitmqctl add_vhost shop`"), "{why}");
        assert!(why.contains(r#"`rabbitmqctl set_permissions -p shop guest ".*" ".*" ".*"`"#), "{why}");
        assert!(why.contains("NOT_ALLOWED"), "{why}");
        let odd = missing_vhost("it's mine", "guest", "");
        assert!(odd.contains(r"`rabbitmqctl add_vhost 'it'\''s mine'`"), "{odd}");
        assert_eq!(url_user("amqp://alice:secret@h:5672/%2f"), "alice");
        assert_eq!(url_user("amqp://h:5672/%2f"), "guest");
    }
}
