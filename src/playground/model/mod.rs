//! The playground's topology as plain data: nodes with positions and
//! settings, edges between them, the selection, and an undo/redo history.
//! [`Playground`] is the editor (every user edit is one method, checked and
//! recorded for undo); [`Topology`] is what gets saved, shared and run.
//! Nothing here knows about the browser, so it is all tested natively.
//!
//! This module holds the topology's types and its checked edits, and the
//! `name=value` pairs text the inspector reads; `settings` holds each kind of
//! part's settings and how a typed value is read into them; `editor` holds
//! [`Playground`] with its selection and history; `tests` checks them all.

mod editor;
mod layout;
pub mod policies;
pub mod route;
mod settings;

pub use editor::{Playground, Selection};
pub use layout::{GRID, Heights, card_width, snap};
pub use settings::*;

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

/// A node's identity, stable for the node's lifetime and never reused.
pub type NodeId = u32;
/// An edge's identity, from the same counter as nodes.
pub type EdgeId = u32;

/// Width and height the canvas reserves for a node when looking for a free spot.
pub const NODE_W: f64 = 190.0;
/// See [`NODE_W`].
pub const NODE_H: f64 = 120.0;
/// How far one arrow-key press moves a node: one grid step.
pub const NUDGE: f64 = layout::GRID;

/// Where a node may sit: whole canvas pixels, never left of or above the
/// origin. Positions are kept whole so that a share link, which stores
/// them as integers, reopens the canvas exactly as it was.
pub fn place(v: f64) -> f64 {
    v.max(0.0).round()
}

/// What a node is. Producers and consumers serve both brokers: an edge to an
/// exchange or queue makes them AMQP clients, to a topic or group Kafka clients.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum NodeKind {
    Producer,
    Exchange,
    Queue,
    Consumer,
    Broker,
    Topic,
    Group,
    /// A Kafka share group (KIP-932): its members read the same partitions
    /// together, record by record.
    ShareGroup,
}

impl NodeKind {
    /// The word a person reads on the canvas.
    pub fn label(self) -> &'static str {
        match self {
            NodeKind::Producer => "Producer",
            NodeKind::Exchange => "Exchange",
            NodeKind::Queue => "Queue",
            NodeKind::Consumer => "Consumer",
            NodeKind::Broker => "Broker",
            NodeKind::Topic => "Topic",
            NodeKind::Group => "Consumer group",
            NodeKind::ShareGroup => "Share group",
        }
    }

    fn name_prefix(self) -> &'static str {
        match self {
            NodeKind::Producer => "p",
            NodeKind::Exchange => "x",
            NodeKind::Queue => "q",
            NodeKind::Consumer => "c",
            NodeKind::Broker => "broker-",
            NodeKind::Topic => "t",
            NodeKind::Group => "g",
            NodeKind::ShareGroup => "s",
        }
    }
}

/// A node's kind with its settings.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum NodeConfig {
    Producer(ProducerSettings),
    Exchange(ExchangeSettings),
    Queue(QueueSettings),
    Consumer(ConsumerSettings),
    Broker,
    Topic(TopicSettings),
    Group,
    ShareGroup,
}

impl NodeConfig {
    /// Default settings for a new node of `kind`.
    pub fn new(kind: NodeKind) -> Self {
        match kind {
            NodeKind::Producer => NodeConfig::Producer(ProducerSettings::default()),
            NodeKind::Exchange => NodeConfig::Exchange(ExchangeSettings::new(brokerlab_rabbit::ExchangeKind::Direct)),
            NodeKind::Queue => NodeConfig::Queue(QueueSettings::default()),
            NodeKind::Consumer => NodeConfig::Consumer(ConsumerSettings::default()),
            NodeKind::Broker => NodeConfig::Broker,
            NodeKind::Topic => NodeConfig::Topic(TopicSettings::default()),
            NodeKind::Group => NodeConfig::Group,
            NodeKind::ShareGroup => NodeConfig::ShareGroup,
        }
    }

    /// The node kind these settings belong to.
    pub fn kind(&self) -> NodeKind {
        match self {
            NodeConfig::Producer(_) => NodeKind::Producer,
            NodeConfig::Exchange(_) => NodeKind::Exchange,
            NodeConfig::Queue(_) => NodeKind::Queue,
            NodeConfig::Consumer(_) => NodeKind::Consumer,
            NodeConfig::Broker => NodeKind::Broker,
            NodeConfig::Topic(_) => NodeKind::Topic,
            NodeConfig::Group => NodeKind::Group,
            NodeConfig::ShareGroup => NodeKind::ShareGroup,
        }
    }
}

/// One part on the canvas.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Node {
    pub id: NodeId,
    /// The entity name in the engine (exchange, queue, topic, group id, client name).
    pub name: String,
    pub x: f64,
    pub y: f64,
    pub config: NodeConfig,
}

impl Node {
    /// The node's kind.
    pub fn kind(&self) -> NodeKind {
        self.config.kind()
    }

    /// "Queue q1", the accessible name of the node everywhere in the page;
    /// a part outside the default vhost says which it is in.
    pub fn title(&self) -> String {
        let title = match &self.config {
            NodeConfig::Exchange(x) => format!("{} exchange {}", capitalise(x.kind.as_str()), self.name),
            _ => format!("{} {}", self.kind().label(), self.name),
        };
        if self.vhost() == DEFAULT_VHOST { title } else { format!("{title} in vhost {}", self.vhost()) }
    }

    /// The vhost of an exchange or queue; `/` for every other part (a
    /// RabbitMQ client is in the vhost of what it is connected to).
    pub fn vhost(&self) -> &str {
        match &self.config {
            NodeConfig::Exchange(x) => &x.vhost,
            NodeConfig::Queue(q) => &q.vhost,
            _ => DEFAULT_VHOST,
        }
    }

    /// The name that is unique among parts of its kind: the name, or
    /// `VHOST/NAME` outside the default vhost, which is also how a
    /// scenario's layout keys the part.
    pub fn qualified_name(&self) -> String {
        in_vhost(self.vhost(), &self.name)
    }
}

/// `name` qualified by `vhost`: itself in `/`, otherwise `VHOST/NAME`.
pub fn in_vhost(vhost: &str, name: &str) -> String {
    if vhost == DEFAULT_VHOST { name.to_string() } else { format!("{vhost}/{name}") }
}

fn capitalise(s: &str) -> String {
    let mut chars = s.chars();
    chars.next().map(|c| c.to_uppercase().chain(chars).collect()).unwrap_or_default()
}

/// What an edge means to the engines, decided by the kinds it joins.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum EdgeRole {
    /// A producer publishes to an exchange.
    Publish,
    /// A producer publishes straight to a queue through the default exchange.
    PublishToQueue,
    /// `queue.bind`: exchange to queue.
    QueueBinding,
    /// `exchange.bind`: exchange to exchange.
    ExchangeBinding,
    /// `basic.consume`: queue to consumer.
    Consume,
    /// A Kafka producer writes to a topic.
    Produce,
    /// A consumer group or share group subscribes to a topic.
    Subscribe,
    /// A consumer is a member of a group or share group.
    Member,
}

impl EdgeRole {
    /// Whether the edge carries a binding key and arguments.
    pub fn is_binding(self) -> bool {
        matches!(self, EdgeRole::QueueBinding | EdgeRole::ExchangeBinding)
    }

    /// The role of an edge drawn from `from` to `to`, and whether the edge
    /// must be stored reversed so that it points the way messages flow.
    pub fn between(from: NodeKind, to: NodeKind) -> Option<(EdgeRole, bool)> {
        use NodeKind::*;
        Some(match (from, to) {
            (Producer, Exchange) => (EdgeRole::Publish, false),
            (Producer, Queue) => (EdgeRole::PublishToQueue, false),
            (Producer, Topic) => (EdgeRole::Produce, false),
            (Exchange, Queue) => (EdgeRole::QueueBinding, false),
            (Exchange, Exchange) => (EdgeRole::ExchangeBinding, false),
            (Queue, Consumer) => (EdgeRole::Consume, false),
            (Consumer, Queue) => (EdgeRole::Consume, true),
            (Topic, Group) => (EdgeRole::Subscribe, false),
            (Group, Topic) => (EdgeRole::Subscribe, true),
            (Group, Consumer) => (EdgeRole::Member, false),
            (Consumer, Group) => (EdgeRole::Member, true),
            (Topic, ShareGroup) => (EdgeRole::Subscribe, false),
            (ShareGroup, Topic) => (EdgeRole::Subscribe, true),
            (ShareGroup, Consumer) => (EdgeRole::Member, false),
            (Consumer, ShareGroup) => (EdgeRole::Member, true),
            _ => return None,
        })
    }
}

/// A connection, stored in the direction messages flow.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Edge {
    pub id: EdgeId,
    pub from: NodeId,
    pub to: NodeId,
    pub role: EdgeRole,
    /// The binding key (bindings only).
    #[serde(default)]
    pub binding_key: String,
    /// Binding arguments as `name=value` pairs, e.g. `x-match=all, region=eu`.
    #[serde(default)]
    pub arguments: String,
}

/// Everything that is saved and shared: the parts, their wiring and the seed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Topology {
    pub nodes: Vec<Node>,
    pub edges: Vec<Edge>,
    pub next_id: u32,
    /// The seed for every random choice in both engines.
    pub seed: u64,
    /// The RabbitMQ release the broker behaves as; 4.3 unless a scenario,
    /// file or link names another.
    #[serde(default)]
    pub rabbitmq_version: brokerlab_scenario::RabbitVersion,
    /// RabbitMQ policies, as a definitions file writes them: the
    /// highest-priority one whose pattern matches a queue or exchange
    /// applies its keys.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub policies: Vec<brokerlab_scenario::PolicyDef>,
    /// Each vhost's default queue type (its `default_queue_type`
    /// metadata), for vhosts that have one.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub default_queue_types: BTreeMap<String, brokerlab_scenario::QueueTypeName>,
}

impl Default for Topology {
    fn default() -> Self {
        Topology {
            nodes: Vec::new(),
            edges: Vec::new(),
            next_id: 1,
            seed: 1,
            rabbitmq_version: brokerlab_scenario::RabbitVersion::default(),
            policies: Vec::new(),
            default_queue_types: BTreeMap::new(),
        }
    }
}

/// Why an edit was refused, in words for the page.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EditError {
    NoSuchNode(NodeId),
    NoSuchEdge(EdgeId),
    SelfLoop,
    CannotConnect {
        from: String,
        to: String,
    },
    AlreadyConnected,
    DuplicateBinding(String),
    DifferentVhosts {
        from: String,
        to: String,
    },
    ConsumerHasSource(String),
    EmptyName,
    DuplicateName(String),
    OutOfRange(&'static str),
    /// A policy form that cannot be read, in words.
    Policy(String),
}

impl fmt::Display for EditError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EditError::NoSuchNode(id) => write!(f, "There is no node {id}."),
            EditError::NoSuchEdge(id) => write!(f, "There is no connection {id}."),
            EditError::SelfLoop => write!(f, "A node cannot connect to itself."),
            EditError::CannotConnect { from, to } => write!(f, "A {from} cannot connect to a {to}."),
            EditError::AlreadyConnected => write!(f, "These two are already connected."),
            EditError::DuplicateBinding(key) => write!(
                f,
                "These two are already bound with key \u{201c}{key}\u{201d} and the same arguments; a second binding needs a different key or arguments."
            ),
            EditError::DifferentVhosts { from, to } => {
                write!(f, "{from} and {to} are in different vhosts, and a binding stays inside one vhost.")
            }
            EditError::ConsumerHasSource(name) => {
                write!(f, "Consumer {name} already reads from a queue or belongs to a group.")
            }
            EditError::EmptyName => write!(f, "A name cannot be empty."),
            EditError::Policy(why) => f.write_str(why),
            EditError::DuplicateName(name) => write!(f, "The name {name} is already taken."),
            EditError::OutOfRange(what) => write!(f, "{what}"),
        }
    }
}

impl Topology {
    /// The node with this id.
    pub fn node(&self, id: NodeId) -> Option<&Node> {
        self.nodes.iter().find(|n| n.id == id)
    }

    fn node_mut(&mut self, id: NodeId) -> Result<&mut Node, EditError> {
        self.nodes.iter_mut().find(|n| n.id == id).ok_or(EditError::NoSuchNode(id))
    }

    /// The edge with this id.
    pub fn edge(&self, id: EdgeId) -> Option<&Edge> {
        self.edges.iter().find(|e| e.id == id)
    }

    /// The node of `kind` whose [`Node::qualified_name`] is `name`: `orders`
    /// in the default vhost, `staging/orders` in vhost `staging`.
    pub fn named(&self, kind: NodeKind, name: &str) -> Option<&Node> {
        self.nodes.iter().find(|n| n.kind() == kind && n.qualified_name() == name)
    }

    /// Nodes of one kind, in creation order.
    pub fn of_kind(&self, kind: NodeKind) -> impl Iterator<Item = &Node> {
        self.nodes.iter().filter(move |n| n.kind() == kind)
    }

    /// Edges leaving `id`.
    pub fn outgoing(&self, id: NodeId) -> impl Iterator<Item = &Edge> {
        self.edges.iter().filter(move |e| e.from == id)
    }

    /// Edges arriving at `id`.
    pub fn incoming(&self, id: NodeId) -> impl Iterator<Item = &Edge> {
        self.edges.iter().filter(move |e| e.to == id)
    }

    /// Whether node `id` is, or may become, a Kafka client: a producer that
    /// produces to a topic or publishes to no exchange or queue, a consumer
    /// in a group or connected to nothing. The inspector shows Kafka
    /// settings for these only.
    pub fn may_be_kafka_client(&self, id: NodeId) -> bool {
        let produces = self.outgoing(id).any(|e| e.role == EdgeRole::Produce);
        let publishes = self.outgoing(id).any(|e| matches!(e.role, EdgeRole::Publish | EdgeRole::PublishToQueue));
        let consumes = self.incoming(id).any(|e| e.role == EdgeRole::Consume);
        produces || !(publishes || consumes)
    }

    /// Whether node `id` consumes from a stream: a consumer whose queue's
    /// type is `stream`. The inspector offers its `x-stream-offset` then.
    pub fn reads_stream(&self, id: NodeId) -> bool {
        self.incoming(id)
            .filter(|e| e.role == EdgeRole::Consume)
            .filter_map(|e| self.node(e.from))
            .any(|q| matches!(&q.config, NodeConfig::Queue(q) if q.queue_type == QueueType::Stream))
    }

    /// The share group a consumer is a member of, if it is a share consumer.
    pub fn share_group_of(&self, id: NodeId) -> Option<&Node> {
        self.incoming(id)
            .filter(|e| e.role == EdgeRole::Member)
            .filter_map(|e| self.node(e.from))
            .find(|g| g.kind() == NodeKind::ShareGroup)
    }

    /// Whether node `id` is a member of a classic consumer group.
    pub fn in_consumer_group(&self, id: NodeId) -> bool {
        self.incoming(id)
            .filter(|e| e.role == EdgeRole::Member)
            .filter_map(|e| self.node(e.from))
            .any(|g| g.kind() == NodeKind::Group)
    }

    /// The Kafka broker id of a broker node: brokers are numbered 0.. in creation order.
    pub fn broker_id(&self, id: NodeId) -> Option<u32> {
        self.of_kind(NodeKind::Broker).position(|n| n.id == id).map(|i| i as u32)
    }

    fn fresh_name(&self, kind: NodeKind) -> String {
        let prefix = kind.name_prefix();
        if kind == NodeKind::Broker {
            return format!("{prefix}{}", self.of_kind(NodeKind::Broker).count());
        }
        (1..).map(|i| format!("{prefix}{i}")).find(|name| !self.name_taken(kind, name)).unwrap_or_default()
    }

    /// Whether a part of `kind` may not be called `name`: names are unique
    /// per kind, and consumer groups and share groups share Kafka's one
    /// namespace of group ids.
    pub fn name_taken(&self, kind: NodeKind, name: &str) -> bool {
        match kind {
            NodeKind::Group | NodeKind::ShareGroup => {
                self.named(NodeKind::Group, name).is_some() || self.named(NodeKind::ShareGroup, name).is_some()
            }
            _ => self.named(kind, name).is_some(),
        }
    }

    /// The first grid cell, left to right and top to bottom, that no node overlaps.
    pub fn free_spot(&self) -> (f64, f64) {
        self.free_spot_in(0.0, 0.0, 5)
    }

    /// The first free cell of a grid `columns` wide whose top left corner
    /// is (left, top): where a part added without a position goes, so that
    /// it lands in the part of the canvas the user is looking at.
    pub fn free_spot_in(&self, left: f64, top: f64, columns: usize) -> (f64, f64) {
        for row in 0..100 {
            for col in 0..columns.max(1) {
                let x = left + 30.0 + col as f64 * (NODE_W + 30.0);
                let y = top + 30.0 + row as f64 * (NODE_H + 40.0);
                let taken = self.nodes.iter().any(|n| (n.x - x).abs() < NODE_W && (n.y - y).abs() < NODE_H);
                if !taken {
                    return (x, y);
                }
            }
        }
        (left + 30.0, top + 30.0)
    }

    fn add(&mut self, config: NodeConfig, at: (f64, f64)) -> NodeId {
        let id = self.next_id;
        self.next_id += 1;
        let name = self.fresh_name(config.kind());
        self.nodes.push(Node { id, name, x: place(at.0), y: place(at.1), config });
        id
    }

    /// Connects two nodes as the editor does (see [`Playground::connect`]),
    /// without recording history.
    pub(crate) fn connect(&mut self, a: NodeId, b: NodeId) -> Result<EdgeId, EditError> {
        if a == b {
            return Err(EditError::SelfLoop);
        }
        let na = self.node(a).ok_or(EditError::NoSuchNode(a))?;
        let nb = self.node(b).ok_or(EditError::NoSuchNode(b))?;
        let (role, reversed) = EdgeRole::between(na.kind(), nb.kind()).ok_or_else(|| EditError::CannotConnect {
            from: na.kind().label().to_lowercase(),
            to: nb.kind().label().to_lowercase(),
        })?;
        let (from, to) = if reversed { (b, a) } else { (a, b) };
        if role.is_binding() && na.vhost() != nb.vhost() {
            return Err(EditError::DifferentVhosts { from: na.title(), to: nb.title() });
        }
        let existing: Vec<&Edge> = self.edges.iter().filter(|e| e.from == from && e.to == to).collect();
        if !existing.is_empty() && !role.is_binding() {
            return Err(EditError::AlreadyConnected);
        }
        if matches!(role, EdgeRole::Consume | EdgeRole::Member) && self.incoming(to).next().is_some() {
            return Err(EditError::ConsumerHasSource(self.node(to).map(|n| n.name.clone()).unwrap_or_default()));
        }
        let id = self.next_id;
        self.next_id += 1;
        // A new binding to a queue starts with the queue's name as its key,
        // which is what a direct exchange usually wants. A second binding
        // between the same two parts starts with a key the first does not
        // have, since two bindings with the same key are one binding.
        let first = match role {
            EdgeRole::QueueBinding => self.node(to).map(|n| n.name.clone()).unwrap_or_default(),
            _ => String::new(),
        };
        let taken = |key: &str| existing.iter().any(|e| e.binding_key == key && e.arguments.is_empty());
        let binding_key = [first.clone(), String::new()]
            .into_iter()
            .chain((2..).map(|i| if first.is_empty() { format!("key-{i}") } else { format!("{first}.{i}") }))
            .find(|k| !taken(k))
            .unwrap_or_default();
        self.edges.push(Edge { id, from, to, role, binding_key, arguments: String::new() });
        Ok(id)
    }
}

impl Topology {
    /// The same topology in the one form the editor keeps: nodes and edges
    /// in the order they were made, whole positions, binding arguments and
    /// headers as canonical pairs (see [`canonical_pairs`]), a trimmed
    /// dead-letter exchange, no key on a connection that is not a binding,
    /// and a counter past every id. Files and links from before the canvas
    /// kept this form open through it.
    pub fn canonical(&self) -> Topology {
        let mut t = self.clone();
        brokerlab_order::sort_by_key(&mut t.nodes, |n| n.id);
        brokerlab_order::sort_by_key(&mut t.edges, |e| e.id);
        for n in &mut t.nodes {
            n.x = place(n.x);
            n.y = place(n.y);
            n.config = canonical_config(n.config.clone());
        }
        for e in &mut t.edges {
            if e.role.is_binding() {
                e.arguments = canonical_pairs(&e.arguments).unwrap_or_else(|| e.arguments.clone());
            } else {
                e.binding_key.clear();
                e.arguments.clear();
            }
        }
        let last = t.nodes.iter().map(|n| n.id).chain(t.edges.iter().map(|e| e.id)).max().unwrap_or(0);
        t.next_id = t.next_id.max(last.saturating_add(1));
        t
    }
}

/// Settings as the editor keeps them: producer headers as canonical pairs
/// (when they parse; otherwise as typed, and the run reports them), and
/// names (a dead-letter or alternate exchange, a vhost, a transactional id)
/// without surrounding spaces.
fn canonical_config(config: NodeConfig) -> NodeConfig {
    match config {
        NodeConfig::Producer(mut p) => {
            p.headers = canonical_pairs(&p.headers).unwrap_or(p.headers);
            p.transactional_id = p.transactional_id.trim().to_string();
            NodeConfig::Producer(p)
        }
        NodeConfig::Queue(mut q) => {
            q.dead_letter_exchange = q.dead_letter_exchange.trim().to_string();
            q.dead_letter_routing_key = q.dead_letter_routing_key.trim().to_string();
            q.vhost = q.vhost.trim().to_string();
            q.max_age = q.max_age.trim().to_string();
            NodeConfig::Queue(q)
        }
        NodeConfig::Exchange(mut x) => {
            x.alternate_exchange = x.alternate_exchange.trim().to_string();
            x.vhost = x.vhost.trim().to_string();
            NodeConfig::Exchange(x)
        }
        NodeConfig::Consumer(mut c) => {
            c.group_instance_id = c.group_instance_id.trim().to_string();
            NodeConfig::Consumer(c)
        }
        other => other,
    }
}

/// Parses `name=value, name2=value2` into pairs; blank parts are skipped and
/// a part without `=` is an error naming it.
pub fn parse_pairs(text: &str) -> Result<Vec<(String, String)>, String> {
    text.split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| match p.split_once('=') {
            Some((k, v)) if !k.trim().is_empty() => Ok((k.trim().to_string(), v.trim().to_string())),
            _ => Err(format!("\u{201c}{p}\u{201d} is not a name=value pair")),
        })
        .collect()
}

/// Pairs as a map: what [`parse_pairs`] reads, with a name given twice
/// refused, since a binding or a message has one value per name.
pub fn pairs_map(text: &str) -> Result<BTreeMap<String, String>, String> {
    let mut map = BTreeMap::new();
    for (name, value) in parse_pairs(text)? {
        if map.contains_key(&name) {
            return Err(format!("\u{201c}{name}\u{201d} is given twice"));
        }
        map.insert(name, value);
    }
    Ok(map)
}

/// A map as pairs text, the inverse of [`pairs_map`]: `name=value` sorted by
/// name, joined by `, `. A name or value that could not be read back the
/// same way (an empty name, a comma, an `=` in a name, spaces around
/// either) is an error naming it.
pub fn pairs_text(map: &BTreeMap<String, String>) -> Result<String, String> {
    let mut out = Vec::with_capacity(map.len());
    for (name, value) in map {
        let bad_name = name.is_empty() || name.trim() != name || name.contains([',', '=']);
        let bad_value = value.trim() != value || value.contains(',');
        if bad_name || bad_value {
            return Err(format!(
                "\u{201c}{name}={value}\u{201d} cannot be written as a name=value pair (no commas, no = in a name, no spaces around either)"
            ));
        }
        out.push(format!("{name}={value}"));
    }
    Ok(out.join(", "))
}

/// The one way the canvas writes pairs text, or `None` when it does not
/// parse: `x-match=all,region = eu` becomes `region=eu, x-match=all`.
pub fn canonical_pairs(text: &str) -> Option<String> {
    pairs_map(text).ok().and_then(|map| pairs_text(&map).ok())
}

#[cfg(test)]
mod tests;
