//! What each part of the canvas shows of a run, and what the message
//! inspector says about one message.
//!
//! [`Sim::readout`] gives a node's lines and lists (a queue's messages from
//! the RabbitMQ engine, a partition's records from the Kafka engine, a
//! consumer's work from its simulated client, the problems the engines
//! found with the part); [`Sim::explain`] gives a message's facts, the
//! routing decisions its route trace reports and its history from the
//! journal, or a record's placement and replication from the Kafka engine.

use super::journal::{MessageRef, tp};
use super::model::{NodeConfig, NodeId};
use super::sim::{Part, Sim};

/// A labelled list of messages a node shows, each a button on the page.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ItemList {
    /// The list's accessible name, e.g. "Messages in queue q1".
    pub label: String,
    /// A line above the list (a partition's leader, ISR and high watermark).
    pub caption: String,
    pub items: Vec<(MessageRef, String)>,
    /// How many more are not shown.
    pub more: usize,
}

/// Everything a node shows of the run, compared between frames so a node
/// redraws only when its numbers change.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Readout {
    pub lines: Vec<String>,
    pub lists: Vec<ItemList>,
    /// A crashed broker or consumer.
    pub down: bool,
}

/// What the message inspector shows.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Explanation {
    pub title: String,
    pub facts: Vec<String>,
    /// The routing decision, one line per binding or reader, with whether it matched.
    pub decisions: Vec<(bool, String)>,
    pub history: Vec<String>,
}

/// Items a node lists before it says "and N more".
const SHOWN: usize = 8;

impl Sim {
    /// What node `id` shows now: what the engines and its client say of
    /// it, then what the engines refused of it.
    pub fn readout(&self, id: NodeId) -> Readout {
        let mut r = self.engine_readout(id);
        r.lines.extend(self.problems_of(Part::Node(id)).into_iter().map(|e| format!("\u{26a0} {e}")));
        r
    }

    fn engine_readout(&self, id: NodeId) -> Readout {
        let Some(node) = self.topology.node(id) else { return Readout::default() };
        let c = self.counters(id);
        let traffic = |sent: bool| {
            if sent {
                format!("sent {} \u{b7} {}/s", c.sent, c.sent_rate)
            } else {
                format!("in {} \u{b7} out {} \u{b7} {}/s", c.received, c.sent, c.received_rate)
            }
        };
        let mut r = Readout::default();
        match &node.config {
            NodeConfig::Producer(_) => r.lines.push(traffic(true)),
            NodeConfig::Exchange(_) => r.lines.push(format!("routed {} \u{b7} {}/s", c.received, c.received_rate)),
            NodeConfig::Queue(_) => {
                if let Some(q) = self.queue(node.vhost(), &node.name) {
                    r.lines.push(format!("ready {} \u{b7} unacked {}", q.ready, q.unacked));
                    r.lists.push(ItemList {
                        label: format!("Messages in queue {}", node.name),
                        caption: String::new(),
                        items: q
                            .messages
                            .iter()
                            .take(SHOWN)
                            .map(|m| (MessageRef::Rabbit(m.id), format!("#{} {}", m.id, m.routing_key)))
                            .collect(),
                        more: q.messages.len().saturating_sub(SHOWN),
                    });
                }
                r.lines.push(traffic(false));
            }
            NodeConfig::Consumer(_) => match self.consumer(id) {
                Some(s) => {
                    r.down = s.down;
                    match &s.assignment {
                        _ if s.down => r.lines.push("down (crashed)".into()),
                        Some(a) if a.is_empty() => r.lines.push("idle: no partitions".into()),
                        Some(a) => r.lines.push(format!("partitions {}", a.join(" "))),
                        None => r.lines.push(format!("processing {}", s.working)),
                    }
                    r.lines.push(format!("done {} \u{b7} {}/s", s.done, c.received_rate));
                }
                None => r.lines.push("not connected".into()),
            },
            NodeConfig::Broker => {
                let b = self
                    .topology
                    .broker_id(id)
                    .and_then(|b| self.cluster().and_then(|k| k.brokers().into_iter().find(|v| v.id == b)));
                match b {
                    Some(b) if b.alive => r.lines.push(format!("running \u{b7} leads {}", b.leader_count)),
                    Some(_) => {
                        r.down = true;
                        r.lines.push("crashed".into());
                    }
                    None => r.lines.push("not in a cluster".into()),
                }
            }
            NodeConfig::Topic(_) => {
                let Some(topic) = self.cluster().and_then(|k| k.topic(&node.name).ok()) else {
                    r.lines.push("not created".into());
                    return r;
                };
                r.lines.push(format!("in {} \u{b7} {}/s", c.received, c.received_rate));
                for p in &topic.partitions {
                    let leader = p.leader.map_or("none".to_string(), |l| l.to_string());
                    let replicas: Vec<String> = p.replicas.iter().map(|r| r.broker.to_string()).collect();
                    let isr: Vec<String> = p.isr.iter().map(u32::to_string).collect();
                    let records =
                        self.cluster().and_then(|k| k.records(&node.name, p.partition).ok()).unwrap_or_default();
                    let shown = records.len().saturating_sub(SHOWN);
                    r.lists.push(ItemList {
                        label: format!("Records in {} partition {}", node.name, p.partition),
                        caption: format!(
                            "P{} \u{b7} leader {leader} \u{b7} replicas {} \u{b7} ISR {} \u{b7} HW {}",
                            p.partition,
                            replicas.join(","),
                            isr.join(","),
                            p.high_watermark
                        ),
                        items: records[shown..]
                            .iter()
                            .map(|rec| {
                                let key = rec.data.key.as_deref().map(String::from_utf8_lossy).unwrap_or_default();
                                (
                                    MessageRef::Kafka {
                                        topic: node.name.clone(),
                                        partition: p.partition,
                                        offset: rec.offset,
                                    },
                                    format!("{} {key}", rec.offset),
                                )
                            })
                            .collect(),
                        more: shown,
                    });
                }
            }
            NodeConfig::Group => {
                let Some(g) = self.cluster().and_then(|k| k.group(&node.name)) else {
                    r.lines.push("no members yet".into());
                    return r;
                };
                r.lines.push(format!("generation {}", g.generation));
                for m in &g.members {
                    let parts: Vec<String> = m.assignment.iter().map(tp).collect();
                    let what = if parts.is_empty() { "idle".to_string() } else { parts.join(" ") };
                    r.lines.push(format!("{}: {what}", m.member_id));
                }
                for l in &g.lag {
                    let committed = l.committed.map_or("none".to_string(), |c| c.to_string());
                    r.lines.push(format!("{} committed {committed} \u{b7} lag {}", tp(&l.partition), l.lag));
                }
            }
        }
        r
    }

    /// Everything known about one message.
    pub fn explain(&self, message: &MessageRef) -> Option<Explanation> {
        match message {
            MessageRef::Rabbit(id) => {
                let h = self.message(*id)?;
                let mut e = Explanation {
                    title: format!("Message #{id}"),
                    facts: vec![
                        format!("routing key \u{201c}{}\u{201d}", h.routing_key),
                        format!("body \u{201c}{}\u{201d}", h.body),
                    ],
                    decisions: Vec::new(),
                    history: h.lines.clone(),
                };
                if !h.sender.is_empty() {
                    e.facts.insert(0, format!("sent by {}", h.sender));
                }
                if let Some(trace) = &h.trace {
                    for x in &trace.exchanges {
                        let name = if x.exchange.is_empty() { "(default)" } else { x.exchange.as_str() };
                        e.facts.push(format!("exchange {name} ({})", x.kind.as_str()));
                        for b in &x.bindings {
                            e.decisions.push((
                                b.matched,
                                format!(
                                    "{} \u{2192} {} with \u{201c}{}\u{201d}: {}",
                                    name, b.binding.destination, b.binding.routing_key, b.reason
                                ),
                            ));
                        }
                    }
                    e.facts.push(format!("outcome: {:?}, queues: {}", trace.outcome, trace.queues.join(", ")));
                }
                Some(e)
            }
            MessageRef::Kafka { topic, partition, offset } => {
                let k = self.cluster()?;
                let why = k.explain_record(topic, *partition, *offset).ok()?;
                let record = k.record(topic, *partition, *offset).ok().flatten();
                let mut facts = vec![why.placement.clone(), why.replication_summary.clone()];
                if let Some(r) = record {
                    let value = r.data.value.as_deref().map(String::from_utf8_lossy).unwrap_or_default();
                    facts.insert(0, format!("value \u{201c}{value}\u{201d}, timestamp {} ms", r.timestamp));
                }
                Some(Explanation {
                    title: format!("Record {topic}-{partition} offset {offset}"),
                    facts,
                    decisions: why.readers.iter().map(|r| (r.consumed, format!("{}: {}", r.group, r.reason))).collect(),
                    history: why
                        .replication
                        .iter()
                        .map(|p| {
                            format!(
                                "broker {}{}: {} (log end {})",
                                p.broker,
                                if p.is_leader { " (leader)" } else { "" },
                                if p.has_record { "has it" } else { "not yet" },
                                p.log_end_offset
                            )
                        })
                        .collect(),
                })
            }
        }
    }
}
