//! A run of a canvas, and the one driver of its engines.
//!
//! [`Sim`] maps the canvas to a [`Scenario`] (through the playground's
//! lossless mapping, `scenario.rs`), starts it leniently, and from then on
//! calls the engines only through [`Session::apply`] with the scenario's
//! script actions. Around the session sit the canvas's simulated clients
//! (`clients.rs`), which decide which actions to apply and when, and the
//! journal (`journal.rs`), which reads every outcome's events into the log,
//! the message histories, the flights and the counters; what nodes show is
//! in `readout.rs`.
//!
//! A part the engines refuse while the topology is built is a [`Problem`]
//! for that part, and the rest runs; an action an engine refuses later is
//! the part's last error, in the log and beside the part.
//!
//! A run is a pure function of the topology (with its seed) and the list of
//! user actions stamped with the step they happened at, so any earlier
//! moment is rebuilt by [`Sim::replay`], which is how the timeline scrubs.

use super::clients::Clients;
pub use super::clients::ConsumerStatus;
use super::journal::{Context, Journal, Names};
pub use super::journal::{Counters, FLIGHT_MS, Flight, LogEntry, MAX_FLIGHTS, MessageHistory, MessageRef, Source, tp};
use super::metrics::Metrics;
use super::model::{EdgeId, NodeConfig, NodeId, NodeKind, ProducerSettings, Topology, in_vhost, parse_pairs};
pub use super::readout::{Explanation, Facts, ItemList, QueueFacts, Readout};
use brokerlab_kafka as kafka;
use brokerlab_rabbit as rabbit;
use brokerlab_rabbit::MessageId;
use brokerlab_scenario::{Scenario, Session, SetupPart, StepOutcome};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Logical milliseconds per simulation step: the timeline's unit.
pub const STEP_MS: u64 = 100;

/// Sub-steps a step is taken in. The engines and the clients advance a
/// sub-step at a time, so a running canvas spreads a step's work over the
/// frames it is drawn in; a step is always these sub-steps, so a replay
/// matches the run it repeats.
pub const SUBSTEPS: u64 = 5;

/// Logical milliseconds per sub-step.
pub const SUBSTEP_MS: u64 = STEP_MS / SUBSTEPS;

/// Something the user does to a running playground.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Action {
    /// One message from a producer.
    Publish(NodeId),
    /// A producer's burst.
    Burst(NodeId),
    /// Stop a Kafka broker.
    CrashBroker(u32),
    /// Start a Kafka broker again.
    RestartBroker(u32),
    /// Stop a Kafka broker cleanly: its leadership moves first.
    ShutdownBroker(u32),
    /// Give each Kafka partition back to its preferred replica where it can lead.
    ElectPreferredLeaders,
    /// Restart the RabbitMQ broker: connections drop, transient state is lost.
    RestartRabbit,
    /// Change what a producer sends, without restarting the run.
    SetProducer(NodeId, ProducerSettings),
}

/// The part of the canvas a problem concerns.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Part {
    Node(NodeId),
    Edge(EdgeId),
    /// The run as a whole (the Kafka cluster, a vhost, a publish timer).
    Run,
}

/// A part of the canvas the engines refused while the topology was built.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    pub part: Part,
    /// The engine's reason in its own words.
    pub error: String,
    /// The part named, then the reason: "Binding x1 → q1: 406 ...".
    pub text: String,
}

/// A running playground.
#[derive(Debug)]
pub struct Sim {
    /// The topology the run started from; replays start here too.
    initial: Topology,
    pub(super) topology: Topology,
    names: Names,
    /// The canvas as a scenario, which the session was started from and a
    /// RabbitMQ restart redeclares.
    scenario: Scenario,
    pub(super) session: Session,
    /// Whether the canvas has a Kafka part (the session always has a cluster).
    has_kafka: bool,
    pub(super) clients: Clients,
    pub(super) journal: Journal,
    /// What each part measured at the end of each step, and the crashes
    /// and restarts.
    metrics: Metrics,
    /// Whole steps taken.
    tick: u64,
    /// Sub-steps taken into the next step, below [`SUBSTEPS`].
    sub: u64,
    /// Each action with the moment it was taken ([`Sim::moment`]).
    actions: Vec<(u64, Action)>,
    problems: Vec<Problem>,
    /// The policies the broker refused, by vhost and name, with its error.
    policy_problems: Vec<((String, String), String)>,
    /// The error an engine gave each part's last action, while the run
    /// goes on.
    errors: BTreeMap<Part, String>,
    /// The last error logged for each part, so a repeated one is not.
    logged: BTreeMap<Part, String>,
}

/// What the clients apply actions through: the session, the journal that
/// reads each outcome, the canvas and the time, and each part's last error.
#[derive(Debug)]
pub struct Port<'a> {
    pub session: &'a mut Session,
    pub journal: &'a mut Journal,
    pub topology: &'a Topology,
    pub names: &'a Names,
    pub errors: &'a mut BTreeMap<Part, String>,
    pub logged: &'a mut BTreeMap<Part, String>,
    pub now_ms: u64,
}

impl Port<'_> {
    /// Applies one action and lets the journal read its outcome. An error
    /// becomes the part's current error (until an action of the part
    /// succeeds) and, when it differs from the last one logged for the
    /// part, a line in the log (a consumer polling a topic it cannot read
    /// would otherwise say so every step).
    pub fn apply(&mut self, part: Part, action: &brokerlab_scenario::Action) -> StepOutcome {
        let outcome = self.session.apply(action);
        let cx = Context {
            topology: self.topology,
            names: self.names,
            session: self.session,
            client: client(action),
            now_ms: self.now_ms,
        };
        self.journal.absorb(&outcome, cx);
        match &outcome.error {
            Some(error) => {
                if self.logged.get(&part) != Some(error) {
                    let source = if is_kafka(action) { Source::Kafka } else { Source::Rabbit };
                    let text = format!("{}: {error}", describe(self.topology, part));
                    self.journal.note(self.now_ms, source, text);
                    self.logged.insert(part, error.clone());
                }
                self.errors.insert(part, error.clone());
            }
            None => {
                self.errors.remove(&part);
            }
        }
        outcome
    }

    /// A line in the log.
    pub fn note(&mut self, source: Source, text: String) {
        self.journal.note(self.now_ms, source, text);
    }

    /// A line in a message copy's history.
    pub fn history(&mut self, id: MessageId, line: String) {
        self.journal.history(self.now_ms, id, line);
    }

    /// "Queue q1": a node as the page names it.
    pub fn title(&self, id: NodeId) -> String {
        self.topology.node(id).map(|n| n.title()).unwrap_or_default()
    }
}

/// The RabbitMQ client an action runs on: its `client`, a consumer's own,
/// or the session's (empty) client for declarations.
fn client(action: &brokerlab_scenario::Action) -> Option<&str> {
    use brokerlab_scenario::Action as A;
    match action {
        A::Publish { client, .. }
        | A::Get { client, .. }
        | A::Ack { client, .. }
        | A::Nack { client, .. }
        | A::Reject { client, .. }
        | A::Cancel { client, .. }
        | A::Qos { client, .. }
        | A::ConfirmSelect { client, .. }
        | A::CloseClient { client, .. } => Some(client),
        A::Consume { consumer } => Some(consumer.client_name()),
        A::DeclareExchange { .. }
        | A::DeclareQueue { .. }
        | A::Bind { .. }
        | A::Unbind { .. }
        | A::DeleteExchange { .. }
        | A::DeleteQueue { .. }
        | A::Purge { .. } => Some(""),
        _ => None,
    }
}

fn is_kafka(action: &brokerlab_scenario::Action) -> bool {
    use brokerlab_scenario::Action as A;
    matches!(
        action,
        A::Produce { .. }
            | A::Poll { .. }
            | A::Commit { .. }
            | A::Seek { .. }
            | A::Subscribe { .. }
            | A::CloseConsumer { .. }
            | A::CrashConsumer { .. }
            | A::CrashBroker { .. }
            | A::RestartBroker { .. }
            | A::ShutdownBroker { .. }
            | A::ElectPreferredLeaders
    )
}

/// A part as the page names it: "Queue q1", "Binding x1 → q1".
fn describe(topology: &Topology, part: Part) -> String {
    let name = |id: NodeId| topology.node(id).map(|n| n.name.clone()).unwrap_or_default();
    match part {
        Part::Node(id) => topology.node(id).map(|n| n.title()).unwrap_or_default(),
        Part::Edge(id) => match topology.edge(id) {
            Some(e) if e.role.is_binding() => format!("Binding {} \u{2192} {}", name(e.from), name(e.to)),
            Some(e) => format!("Connection {} \u{2192} {}", name(e.from), name(e.to)),
            None => "A connection".into(),
        },
        Part::Run => "The run".into(),
    }
}

/// The canvas part a refused part of the scenario was drawn as.
fn part_of(topology: &Topology, part: &SetupPart) -> Part {
    let node = |kind: NodeKind, name: &str| topology.named(kind, name).map_or(Part::Run, |n| Part::Node(n.id));
    match part {
        SetupPart::Vhost { .. } | SetupPart::Policy { .. } | SetupPart::KafkaCluster | SetupPart::ShareGroup { .. } => {
            Part::Run
        }
        SetupPart::Exchange { vhost, name } => node(NodeKind::Exchange, &in_vhost(vhost, name)),
        SetupPart::Queue { vhost, name } => node(NodeKind::Queue, &in_vhost(vhost, name)),
        SetupPart::Consumer { tag, .. } => node(NodeKind::Consumer, tag),
        SetupPart::Topic { name } => node(NodeKind::Topic, name),
        SetupPart::Producer { name } => node(NodeKind::Producer, name),
        SetupPart::KafkaConsumer { name } => node(NodeKind::Consumer, name),
        SetupPart::Binding { vhost, source, destination, routing_key } => {
            let named = |id: NodeId, name: &str| topology.node(id).is_some_and(|n| n.qualified_name() == name);
            topology
                .edges
                .iter()
                .find(|e| {
                    e.role.is_binding()
                        && e.binding_key == *routing_key
                        && named(e.from, &in_vhost(vhost, source))
                        && named(e.to, &in_vhost(vhost, destination))
                })
                .map_or(Part::Run, |e| Part::Edge(e.id))
        }
    }
}

/// A problem on a part of the canvas, named as the page names it.
fn problem(topology: &Topology, part: Part, error: String) -> Problem {
    Problem { part, text: format!("{}: {error}", describe(topology, part)), error }
}

/// The topology the engines are given: the canvas without the bindings
/// whose arguments are not `name=value` pairs (the mapping refuses those,
/// and the engines never see them), each a problem on its edge.
fn runnable(topology: &Topology) -> (Topology, Vec<Problem>) {
    let mut problems = Vec::new();
    let mut t = topology.clone();
    t.edges.retain(|e| match e.role.is_binding().then(|| parse_pairs(&e.arguments)) {
        Some(Err(error)) => {
            problems.push(problem(topology, Part::Edge(e.id), error));
            false
        }
        _ => true,
    });
    // A producer's headers are read when it publishes, which says what is
    // wrong with them in the log; the scenario need not carry them.
    for n in &mut t.nodes {
        if let NodeConfig::Producer(p) = &mut n.config {
            p.headers.clear();
        }
    }
    (t, problems)
}

/// Whether the topology has any Kafka part at all.
pub fn uses_kafka(topology: &Topology) -> bool {
    topology
        .nodes
        .iter()
        .any(|n| matches!(n.kind(), NodeKind::Broker | NodeKind::Topic | NodeKind::Group | NodeKind::ShareGroup))
}

impl Sim {
    /// Starts the topology in fresh engines seeded with its seed; the parts
    /// the engines refuse are [`Sim::problems`], and the rest runs.
    pub fn new(topology: &Topology) -> Self {
        let (runnable, mut problems) = runnable(topology);
        let scenario = super::scenario::to_scenario(&runnable).unwrap_or_else(|error| {
            problems.push(Problem { part: Part::Run, text: error.clone(), error });
            Scenario { seed: topology.seed, ..Scenario::default() }
        });
        let (session, refused) = scenario.start_lenient();
        let mut policy_problems = Vec::new();
        for p in refused {
            if let SetupPart::Policy { vhost, name } = &p.part {
                policy_problems.push(((vhost.clone(), name.clone()), p.error.clone()));
            }
            let part = part_of(topology, &p.part);
            problems.push(match (&p.part, part) {
                (SetupPart::KafkaCluster, _) => Problem { part, text: format!("Kafka: {}", p.error), error: p.error },
                // A part the canvas does not draw (a vhost) is named as the
                // scenario names it.
                (_, Part::Run) => Problem { part, text: p.to_string(), error: p.error },
                _ => problem(topology, part, p.error),
            });
        }
        let mut sim = Sim {
            initial: topology.clone(),
            topology: topology.clone(),
            names: Names::new(topology),
            clients: Clients::new(topology, &scenario),
            has_kafka: uses_kafka(topology),
            scenario,
            session,
            journal: Journal::default(),
            metrics: Metrics::default(),
            tick: 0,
            sub: 0,
            actions: Vec::new(),
            problems,
            policy_problems,
            errors: BTreeMap::new(),
            logged: BTreeMap::new(),
        };
        let setup = sim.session.setup().clone();
        let (clients, port) = sim.parts();
        let cx = Context { topology: port.topology, names: port.names, session: port.session, client: None, now_ms: 0 };
        port.journal.absorb(&setup, cx);
        clients.observe(&setup, 0);
        sim
    }

    /// Rebuilds the run at step `until`: the same topology, the same actions
    /// up to and including that step's start, each at its moment, hence the
    /// same state.
    pub fn replay(topology: &Topology, actions: &[(u64, Action)], until: u64) -> Self {
        let mut sim = Sim::new(topology);
        let end = until * SUBSTEPS;
        let mut pending = actions.iter().filter(|(t, _)| *t <= end).peekable();
        loop {
            while let Some((_, action)) = pending.next_if(|(t, _)| *t == sim.moment()) {
                sim.perform(action.clone());
            }
            if sim.moment() >= end {
                break;
            }
            sim.substep();
        }
        sim
    }

    /// The clients, and a port to the rest, borrowed apart.
    fn parts(&mut self) -> (&mut Clients, Port<'_>) {
        let now_ms = self.now_ms();
        let port = Port {
            session: &mut self.session,
            journal: &mut self.journal,
            topology: &self.topology,
            names: &self.names,
            errors: &mut self.errors,
            logged: &mut self.logged,
            now_ms,
        };
        (&mut self.clients, port)
    }

    /// Why the broker refused policy `name` of `vhost`, if it did.
    pub fn policy_problem(&self, vhost: &str, name: &str) -> Option<&str> {
        self.policy_problems.iter().find(|((v, n), _)| v == vhost && n == name).map(|(_, e)| e.as_str())
    }

    /// The topology now, with producer changes made during the run.
    pub fn topology(&self) -> &Topology {
        &self.topology
    }

    /// The topology the run started from, which [`Sim::replay`] needs.
    pub fn initial_topology(&self) -> &Topology {
        &self.initial
    }

    /// The scenario the run's session was started from.
    pub fn scenario(&self) -> &Scenario {
        &self.scenario
    }

    /// Producers whose settings in `topology` differ from this run's: a
    /// producer's key, body, headers and rate change without a new run.
    pub fn producer_changes(&self, topology: &Topology) -> Vec<(NodeId, ProducerSettings)> {
        topology
            .nodes
            .iter()
            .filter_map(|n| match &n.config {
                NodeConfig::Producer(p) if self.topology.node(n.id).map(|o| &o.config) != Some(&n.config) => {
                    Some((n.id, p.clone()))
                }
                _ => None,
            })
            .collect()
    }

    /// Steps taken so far.
    pub fn tick(&self) -> u64 {
        self.tick
    }

    /// Sub-steps taken so far: the moment an action is stamped with.
    pub fn moment(&self) -> u64 {
        self.tick * SUBSTEPS + self.sub
    }

    /// Logical time in milliseconds.
    pub fn now_ms(&self) -> u64 {
        self.tick * STEP_MS + self.sub * SUBSTEP_MS
    }

    /// The actions taken so far, stamped with their moment.
    pub fn actions(&self) -> &[(u64, Action)] {
        &self.actions
    }

    /// Problems met while building the topology, each naming its part and
    /// giving the engine's reason in its own words.
    pub fn problems(&self) -> Vec<String> {
        self.problems.iter().map(|p| p.text.clone()).collect()
    }

    /// The problems of the topology, with the parts they concern.
    pub fn part_problems(&self) -> &[Problem] {
        &self.problems
    }

    /// What the engines said is wrong with one part: its setup problems,
    /// then the error its last action met, if that failed.
    pub fn problems_of(&self, part: Part) -> Vec<&str> {
        self.problems
            .iter()
            .filter(|p| p.part == part)
            .map(|p| p.error.as_str())
            .chain(self.errors.get(&part).map(String::as_str))
            .collect()
    }

    /// The most recent log lines, oldest first.
    pub fn log(&self) -> impl DoubleEndedIterator<Item = &LogEntry> {
        self.journal.log()
    }

    /// Messages currently travelling along edges.
    pub fn flights(&self) -> impl Iterator<Item = &Flight> {
        self.journal.flights()
    }

    /// Messages consumers have finished with, since the start.
    pub fn processed(&self) -> u64 {
        self.clients.processed()
    }

    /// A node's counters.
    pub fn counters(&self, id: NodeId) -> Counters {
        self.journal.counters(id)
    }

    /// Turns logging, histories and flights on or off (engines keep running).
    pub fn set_detail(&mut self, on: bool) {
        self.journal.set_detail(on);
        self.session.rabbit_mut().set_tracing(on);
    }

    /// Does `action` now, and records it for replay.
    pub fn perform(&mut self, action: Action) {
        use brokerlab_scenario::Action as A;
        self.actions.push((self.moment(), action.clone()));
        match action {
            Action::Publish(id) => {
                let (clients, mut port) = self.parts();
                clients.publish(&mut port, id, 1);
                self.say_what_waits(id);
            }
            Action::Burst(id) => {
                let n = match self.topology.node(id).map(|n| &n.config) {
                    Some(NodeConfig::Producer(p)) => p.burst.clamp(1, 1000),
                    _ => 1,
                };
                let (clients, mut port) = self.parts();
                clients.publish(&mut port, id, u64::from(n));
                self.say_what_waits(id);
            }
            Action::SetProducer(id, settings) => {
                if let Some(node) = self.topology.nodes.iter_mut().find(|n| n.id == id) {
                    node.config = NodeConfig::Producer(settings);
                }
            }
            Action::CrashBroker(broker) => {
                self.metrics.mark(self.tick, format!("broker {broker} crashed"));
                self.apply_run(&A::CrashBroker { broker });
            }
            Action::RestartBroker(broker) => {
                self.metrics.mark(self.tick, format!("broker {broker} restarted"));
                self.apply_run(&A::RestartBroker { broker });
            }
            Action::ShutdownBroker(broker) => {
                self.metrics.mark(self.tick, format!("broker {broker} shut down"));
                self.apply_run(&A::ShutdownBroker { broker });
            }
            Action::ElectPreferredLeaders => self.apply_run(&A::ElectPreferredLeaders),
            Action::RestartRabbit => {
                self.metrics.mark(self.tick, "RabbitMQ restarted".into());
                self.apply_run(&A::RestartRabbitmq);
                self.redeclare();
            }
        }
    }

    /// After a learner's publish, a Kafka record the producer could not
    /// send is in the log too, with why: its partition has no leader, or
    /// the leader the producer knows is a broker that is down. (The
    /// producer keeps it in its accumulator until a leader is known, for at
    /// most `delivery.timeout.ms`.)
    fn say_what_waits(&mut self, producer: NodeId) {
        let Some(node) = self.topology.node(producer) else { return };
        let Some(k) = self.cluster() else { return };
        let Ok(view) = k.producer(&node.name) else { return };
        let down: Vec<u32> = k.brokers().iter().filter(|b| !b.alive).map(|b| b.id).collect();
        let mut waiting: BTreeMap<(String, u32), usize> = BTreeMap::new();
        for f in view.in_flight.iter().filter(|f| f.appended_at.is_none()) {
            *waiting.entry((f.partition.topic.clone(), f.partition.partition)).or_default() += 1;
        }
        let lines: Vec<String> = waiting
            .into_iter()
            .filter_map(|((topic, partition), n)| {
                let why = match k.partition(&topic, partition).ok()?.leader {
                    None => "the partition has no leader".to_string(),
                    Some(b) if down.contains(&b) => format!("its leader, broker {b}, is down"),
                    Some(_) => return None,
                };
                let records = if n == 1 { "1 record".to_string() } else { format!("{n} records") };
                Some(format!(
                    "{} cannot send {records} to {topic}-{partition}: {why}; they wait in its accumulator",
                    node.name
                ))
            })
            .collect();
        for line in lines {
            self.journal.note(self.now_ms(), Source::Kafka, line);
        }
    }

    fn apply_run(&mut self, action: &brokerlab_scenario::Action) {
        let (clients, mut port) = self.parts();
        clients.act(&mut port, Part::Run, action);
    }

    /// After a restart the canvas's applications declare their exchanges,
    /// queues and bindings again, as applications do when they reconnect
    /// (the canvas's are transient, so the restart lost them). A part the
    /// engine refused at the start is refused again, and already shown.
    fn redeclare(&mut self) {
        use brokerlab_scenario::Action as A;
        let r = &self.scenario.rabbitmq;
        let actions: Vec<A> = r
            .exchanges
            .iter()
            .map(|x| A::DeclareExchange { exchange: x.clone() })
            .chain(r.queues.iter().map(|q| A::DeclareQueue { queue: q.clone() }))
            .chain(r.bindings.iter().map(|b| A::Bind { binding: b.clone() }))
            .collect();
        let (clients, port) = self.parts();
        for action in &actions {
            let outcome = port.session.apply(action);
            let cx = Context {
                topology: port.topology,
                names: port.names,
                session: port.session,
                client: Some(""),
                now_ms: port.now_ms,
            };
            port.journal.absorb(&outcome, cx);
            clients.observe(&outcome, port.now_ms);
        }
    }

    /// Advances both engines by one step and lets every client act.
    /// From a step's start, that is one step; from inside a step, the rest
    /// of it.
    pub fn step(&mut self) {
        self.substep();
        while self.sub != 0 {
            self.substep();
        }
    }

    /// Advances both engines by one sub-step and lets every client act.
    pub fn substep(&mut self) {
        self.sub += 1;
        if self.sub == SUBSTEPS {
            self.tick += 1;
            self.sub = 0;
        }
        let (tick, whole) = (self.tick, self.sub == 0);
        let (clients, mut port) = self.parts();
        clients.produce_due(&mut port, SUBSTEP_MS);
        clients.act(&mut port, Part::Run, &brokerlab_scenario::Action::AdvanceTime { ms: SUBSTEP_MS });
        clients.consume(&mut port, whole);
        port.journal.advance(port.now_ms);
        if whole {
            port.journal.end_step(tick);
            if self.journal.detail() {
                self.sample();
            }
        }
    }

    /// Records what each queue, topic and consumer group measures now.
    fn sample(&mut self) {
        let tick = self.tick;
        let per_second = 1000.0 / STEP_MS as f64;
        let mut m = std::mem::take(&mut self.metrics);
        let rabbit = self.session.rabbit();
        let kafka = self.cluster();
        for node in &self.topology.nodes {
            let id = node.id;
            match &node.config {
                NodeConfig::Queue(_) => {
                    if let Some((ready, unacked)) = rabbit.queue_counts(node.vhost(), &node.name) {
                        m.record(tick, id, "ready", f64::from(ready));
                        m.record(tick, id, "unacknowledged", f64::from(unacked));
                    }
                    let c = self.journal.counters(id);
                    let (published, delivered) = m.rates(id, (c.received, c.sent), per_second);
                    m.record(tick, id, "published /s", published);
                    m.record(tick, id, "delivered /s", delivered);
                    let t = self.journal.tally(id);
                    m.record(tick, id, "redelivered", t.redelivered as f64);
                    m.record(tick, id, "dead-lettered", t.dead_lettered as f64);
                }
                NodeConfig::Topic(_) => {
                    let Some(topic) = kafka.and_then(|k| k.topic(&node.name).ok()) else { continue };
                    let mut under = 0;
                    for p in &topic.partitions {
                        let n = p.partition;
                        m.record(tick, id, &format!("P{n} log end offset"), p.log_end_offset as f64);
                        m.record(tick, id, &format!("P{n} high watermark"), p.high_watermark as f64);
                        m.record(tick, id, &format!("P{n} ISR size"), p.isr.len() as f64);
                        if p.isr.len() < p.replicas.len() {
                            under += 1;
                        }
                    }
                    m.record(tick, id, "under-replicated partitions", f64::from(under));
                }
                NodeConfig::Group => {
                    let Some(g) = kafka.and_then(|k| k.group(&node.name)) else { continue };
                    m.record(tick, id, "lag", g.lag.iter().filter_map(|l| l.lag).sum::<i64>() as f64);
                    for l in &g.lag {
                        if let Some(lag) = l.lag {
                            m.record(tick, id, &format!("lag {}", super::journal::tp(&l.partition)), lag as f64);
                        }
                    }
                }
                _ => {}
            }
        }
        self.metrics = m;
    }

    /// What the parts measured over the last minute, and the crashes and
    /// restarts in it.
    pub fn metrics(&self) -> &Metrics {
        &self.metrics
    }

    /// The history of an AMQP message copy.
    pub fn message(&self, id: MessageId) -> Option<&MessageHistory> {
        self.journal.message(id)
    }

    /// The canvas edges `message` travelled, in order.
    pub fn path(&self, message: &MessageRef) -> &[EdgeId] {
        match message {
            MessageRef::Rabbit(id) => self.journal.message(*id).map_or(&[], |h| h.path.as_slice()),
            MessageRef::Kafka { topic, partition, offset } => self.journal.record_path(topic, *partition, *offset),
            MessageRef::Send { .. } => &[],
        }
    }

    /// A queue of `vhost` as the RabbitMQ engine sees it.
    pub fn queue(&self, vhost: &str, name: &str) -> Option<rabbit::QueueView> {
        self.session.rabbit().queue(vhost, name)
    }

    /// A stream of `vhost` as the RabbitMQ engine sees it: its offsets,
    /// records and readers; `None` for a queue that is not a stream.
    pub fn stream(&self, vhost: &str, name: &str) -> Option<rabbit::StreamView> {
        self.session.rabbit().stream(vhost, name)
    }

    /// What a consumer node is doing.
    pub fn consumer(&self, id: NodeId) -> Option<ConsumerStatus> {
        self.clients.status(id, self.cluster())
    }

    /// The Kafka cluster, when the topology has one.
    pub fn cluster(&self) -> Option<&kafka::Cluster> {
        self.has_kafka.then(|| self.session.kafka())
    }

    /// The edge a node's messages leave by, of `role`; for tests.
    #[cfg(test)]
    pub(super) fn edge_of(&self, from: NodeId, role: super::model::EdgeRole) -> Option<EdgeId> {
        self.topology.outgoing(from).find(|e| e.role == role).map(|e| e.id)
    }
}

#[cfg(test)]
#[path = "sim_tests.rs"]
mod tests;
