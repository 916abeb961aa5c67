//! The editor: [`Playground`] wraps a [`Topology`](super::Topology) with the
//! selection and an undo/redo history; each user edit is one method that
//! checks it, applies it and records one undo step.

use super::Node;
use super::{
    EdgeId, EditError, ExchangeSettings, Heights, NodeConfig, NodeId, NodeKind, QueueSettings, QueueType, Topology,
    canonical_config, canonical_pairs, in_vhost, place, snap,
};
use brokerlab_rabbit::ExchangeKind;

/// What is selected: one node, one edge, or nothing.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Selection {
    #[default]
    None,
    Node(NodeId),
    Edge(EdgeId),
}

/// The editor: a topology plus selection and history. Every method that
/// changes the topology records one undo step, except [`Playground::drag_to`],
/// which belongs to the step [`Playground::begin_drag`] recorded.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Playground {
    pub topology: Topology,
    pub selection: Selection,
    undo: Vec<Topology>,
    redo: Vec<Topology>,
}

/// How many steps undo remembers.
const HISTORY: usize = 200;

impl Playground {
    /// An editor opened on `topology`, with empty history.
    pub fn new(topology: Topology) -> Self {
        Playground { topology, ..Default::default() }
    }

    fn record(&mut self) {
        self.undo.push(self.topology.clone());
        if self.undo.len() > HISTORY {
            self.undo.remove(0);
        }
        self.redo.clear();
    }

    /// Replaces the whole topology (a preset, an import), as one undo step.
    pub fn replace(&mut self, topology: Topology) {
        self.record();
        self.topology = topology;
        self.selection = Selection::None;
    }

    /// Adds a node at `at`, or at a free spot, and selects it.
    pub fn add_node(&mut self, kind: NodeKind, at: Option<(f64, f64)>) -> NodeId {
        self.record();
        let at = at.unwrap_or_else(|| self.topology.free_spot());
        let id = self.topology.add(NodeConfig::new(kind), at);
        self.selection = Selection::Node(id);
        id
    }

    /// Adds an exchange of `kind`, as the palette's four exchange buttons do.
    pub fn add_exchange(&mut self, kind: ExchangeKind, at: Option<(f64, f64)>) -> NodeId {
        let id = self.add_node(NodeKind::Exchange, at);
        if let Ok(node) = self.topology.node_mut(id) {
            node.config = NodeConfig::Exchange(ExchangeSettings::new(kind));
        }
        id
    }

    /// Adds a stream: a queue of type `stream`, as the palette's stream
    /// button does.
    pub fn add_stream(&mut self, at: Option<(f64, f64)>) -> NodeId {
        let id = self.add_node(NodeKind::Queue, at);
        if let Ok(node) = self.topology.node_mut(id) {
            node.config =
                NodeConfig::Queue(QueueSettings { queue_type: QueueType::Stream, ..QueueSettings::default() });
        }
        id
    }

    /// Connects two nodes (in either order where the meaning is clear) and
    /// selects the new edge.
    pub fn connect(&mut self, a: NodeId, b: NodeId) -> Result<EdgeId, EditError> {
        let before = self.topology.clone();
        let id = self.topology.connect(a, b)?;
        self.undo.push(before);
        self.redo.clear();
        self.selection = Selection::Edge(id);
        Ok(id)
    }

    /// Deletes the selection (a node takes its edges with it).
    pub fn delete_selection(&mut self) -> bool {
        match self.selection {
            Selection::None => false,
            Selection::Node(id) => self.delete_node(id),
            Selection::Edge(id) => self.delete_edge(id),
        }
    }

    /// Deletes a node and every edge touching it.
    pub fn delete_node(&mut self, id: NodeId) -> bool {
        if self.topology.node(id).is_none() {
            return false;
        }
        self.record();
        self.topology.nodes.retain(|n| n.id != id);
        self.topology.edges.retain(|e| e.from != id && e.to != id);
        self.selection = Selection::None;
        true
    }

    /// Deletes one edge.
    pub fn delete_edge(&mut self, id: EdgeId) -> bool {
        if self.topology.edge(id).is_none() {
            return false;
        }
        self.record();
        self.topology.edges.retain(|e| e.id != id);
        self.selection = Selection::None;
        true
    }

    /// Moves a node by a step (arrow keys), as one undo step.
    pub fn nudge(&mut self, id: NodeId, dx: f64, dy: f64) -> Result<(), EditError> {
        let node = self.topology.node(id).ok_or(EditError::NoSuchNode(id))?;
        let (x, y) = (node.x + dx, node.y + dy);
        self.record();
        let node = self.topology.node_mut(id)?;
        node.x = snap(x);
        node.y = snap(y);
        Ok(())
    }

    /// Starts dragging a node: records the undo step the whole drag belongs to.
    pub fn begin_drag(&mut self) {
        self.record();
    }

    /// Moves a node during a drag, without recording history.
    pub fn drag_to(&mut self, id: NodeId, x: f64, y: f64) {
        if let Ok(node) = self.topology.node_mut(id) {
            node.x = place(x);
            node.y = place(y);
        }
    }

    /// Ends a drag: the node moves to where it lands, the grid point nearest
    /// its position that keeps clear of every other card (see
    /// [`Topology::landing`]). The drag's undo step was recorded when it began.
    pub fn drop_node(&mut self, id: NodeId, heights: &Heights) {
        let Some((x, y)) = self.topology.node(id).map(|n| (n.x, n.y)) else { return };
        if let Some((lx, ly)) = self.topology.landing(id, x, y, heights)
            && let Ok(node) = self.topology.node_mut(id)
        {
            node.x = lx;
            node.y = ly;
        }
    }

    /// Lays the canvas out with "Tidy up" (see [`Topology::tidy`]), as one
    /// undoable step; nothing is recorded when nothing moves.
    pub fn tidy(&mut self, heights: &Heights) {
        let mut tidied = self.topology.clone();
        tidied.tidy(heights);
        if tidied != self.topology {
            self.record();
            self.topology = tidied;
        }
    }

    /// Renames a node; names are unique per kind because they are engine names.
    pub fn rename(&mut self, id: NodeId, name: &str) -> Result<(), EditError> {
        let name = name.trim();
        if name.is_empty() {
            return Err(EditError::EmptyName);
        }
        let node = self.topology.node(id).ok_or(EditError::NoSuchNode(id))?;
        if node.name == name {
            return Ok(());
        }
        if self.topology.name_taken(node.kind(), &in_vhost(node.vhost(), name)) {
            return Err(EditError::DuplicateName(name.to_string()));
        }
        self.record();
        self.topology.node_mut(id)?.name = name.to_string();
        Ok(())
    }

    /// Replaces a node's settings (the kind cannot change). Headers are
    /// kept as canonical pairs and a dead-letter exchange trimmed.
    pub fn configure(&mut self, id: NodeId, config: NodeConfig) -> Result<(), EditError> {
        let config = canonical_config(config);
        let node = self.topology.node(id).ok_or(EditError::NoSuchNode(id))?;
        if node.kind() != config.kind() {
            return Err(EditError::OutOfRange("A node keeps its kind."));
        }
        if node.config == config {
            return Ok(());
        }
        check_ranges(&config)?;
        let moved = Node { config: config.clone(), ..node.clone() };
        if moved.vhost() != node.vhost() {
            if moved.vhost().is_empty() {
                return Err(EditError::OutOfRange("A vhost name cannot be empty; the default vhost is /."));
            }
            if self.topology.named(node.kind(), &moved.qualified_name()).is_some() {
                return Err(EditError::DuplicateName(moved.qualified_name()));
            }
            // A binding stays inside one vhost, so a bound part moves only
            // once its bindings are gone.
            let t = &self.topology;
            let bound = t.edges.iter().filter(|e| e.role.is_binding() && (e.from == id || e.to == id)).find_map(|e| {
                let other = t.node(if e.from == id { e.to } else { e.from })?;
                (other.vhost() != moved.vhost()).then(|| other.title())
            });
            if let Some(other) = bound {
                return Err(EditError::DifferentVhosts { from: moved.title(), to: other });
            }
        }
        self.record();
        self.topology.node_mut(id)?.config = config;
        Ok(())
    }

    /// Sets an edge's binding key and arguments. Arguments that parse are
    /// kept as canonical pairs; others as typed, and the run reports them.
    /// Another binding between the same two parts with the same key and
    /// arguments would be the same binding, so that is refused.
    pub fn set_binding(&mut self, id: EdgeId, key: &str, arguments: &str) -> Result<(), EditError> {
        let arguments = canonical_pairs(arguments).unwrap_or_else(|| arguments.to_string());
        let arguments = arguments.as_str();
        let edge = self.topology.edge(id).ok_or(EditError::NoSuchEdge(id))?;
        if edge.binding_key == key && edge.arguments == arguments {
            return Ok(());
        }
        let twin = self.topology.edges.iter().any(|e| {
            e.id != id && e.from == edge.from && e.to == edge.to && e.binding_key == key && e.arguments == arguments
        });
        if twin {
            return Err(EditError::DuplicateBinding(key.to_string()));
        }
        self.record();
        if let Some(edge) = self.topology.edges.iter_mut().find(|e| e.id == id) {
            edge.binding_key = key.to_string();
            edge.arguments = arguments.to_string();
        }
        Ok(())
    }

    /// Sets the seed of the run.
    pub fn set_seed(&mut self, seed: u64) {
        if self.topology.seed != seed {
            self.record();
            self.topology.seed = seed;
        }
    }

    /// Sets the RabbitMQ release the canvas runs as, as one undo step. The
    /// parts stay as they are: what that release refuses of them, the run
    /// shows beside each part in the broker's words.
    pub fn set_rabbitmq_version(&mut self, version: brokerlab_scenario::RabbitVersion) {
        if self.topology.rabbitmq_version != version {
            self.record();
            self.topology.rabbitmq_version = version;
        }
    }

    /// Adds the policy a form describes, or replaces the policy of the same
    /// name in the same vhost, as one undo step; `replacing` names the
    /// policy being edited, which goes even if the form renamed it.
    pub fn set_policy(
        &mut self,
        form: &super::policies::PolicyForm,
        replacing: Option<(&str, &str)>,
    ) -> Result<(), EditError> {
        let policy = form.read()?;
        let same = |p: &brokerlab_scenario::PolicyDef, vhost: &str, name: &str| p.vhost == vhost && p.name == name;
        let taken = self
            .topology
            .policies
            .iter()
            .any(|p| same(p, &policy.vhost, &policy.name) && replacing.is_none_or(|(v, n)| !same(p, v, n)));
        if taken {
            return Err(EditError::Policy(format!(
                "vhost {} already has a policy named {}.",
                policy.vhost, policy.name
            )));
        }
        let at = replacing.and_then(|(v, n)| self.topology.policies.iter().position(|p| same(p, v, n)));
        if at.is_some_and(|i| self.topology.policies[i] == policy) {
            return Ok(());
        }
        self.record();
        match at {
            Some(i) => self.topology.policies[i] = policy,
            None => self.topology.policies.push(policy),
        }
        Ok(())
    }

    /// Removes the policy `name` of `vhost`, as one undo step.
    pub fn remove_policy(&mut self, vhost: &str, name: &str) {
        if let Some(i) = self.topology.policies.iter().position(|p| p.vhost == vhost && p.name == name) {
            self.record();
            self.topology.policies.remove(i);
        }
    }

    /// Whether there is something to undo.
    pub fn can_undo(&self) -> bool {
        !self.undo.is_empty()
    }

    /// Whether there is something to redo.
    pub fn can_redo(&self) -> bool {
        !self.redo.is_empty()
    }

    /// Undoes the last edit.
    pub fn undo(&mut self) -> bool {
        let Some(prev) = self.undo.pop() else { return false };
        self.redo.push(std::mem::replace(&mut self.topology, prev));
        self.fix_selection();
        true
    }

    /// Redoes the last undone edit.
    pub fn redo(&mut self) -> bool {
        let Some(next) = self.redo.pop() else { return false };
        self.undo.push(std::mem::replace(&mut self.topology, next));
        self.fix_selection();
        true
    }

    fn fix_selection(&mut self) {
        let gone = match self.selection {
            Selection::Node(id) => self.topology.node(id).is_none(),
            Selection::Edge(id) => self.topology.edge(id).is_none(),
            Selection::None => false,
        };
        if gone {
            self.selection = Selection::None;
        }
    }
}

/// The limits the engines put on a part's numbers, checked before an edit
/// is made so the canvas never holds a value the brokers would refuse for
/// being out of range.
fn check_ranges(config: &NodeConfig) -> Result<(), EditError> {
    match config {
        NodeConfig::Topic(t) => {
            if !(1..=64).contains(&t.partitions) || !(1..=9).contains(&t.replication_factor) {
                return Err(EditError::OutOfRange(
                    "A topic has 1 to 64 partitions and a replication factor of 1 to 9.",
                ));
            }
            if t.min_insync_replicas.is_some_and(|m| !(1..=9).contains(&m)) {
                return Err(EditError::OutOfRange("Min in-sync replicas must be from 1 to 9."));
            }
            if t.retention_ms < -1 {
                return Err(EditError::OutOfRange(
                    "Retention must be -1 (keep forever) or a whole number of milliseconds.",
                ));
            }
        }
        NodeConfig::Consumer(c) => {
            if !(6_000..=1_800_000).contains(&c.session_timeout_ms) {
                return Err(EditError::OutOfRange("The session timeout must be from 6000 to 1800000 ms."));
            }
            if c.heartbeat_ms == 0 || c.heartbeat_ms >= c.session_timeout_ms {
                return Err(EditError::OutOfRange(
                    "The heartbeat interval must be at least 1 ms and shorter than the session timeout.",
                ));
            }
        }
        _ => {}
    }
    Ok(())
}
