//! What each part of the canvas shows of a run, and what the message
//! inspector says about one message.
//!
//! [`Sim::readout`] gives a node's lines and lists (a queue's messages from
//! the RabbitMQ engine, a stream's offsets and its consumers' positions, a partition's records from the Kafka engine, a
//! consumer's work from its simulated client, the problems the engines
//! found with the part); [`Sim::explain`] gives a message's facts, the
//! routing decisions its route trace reports and its history from the
//! journal, or a record's placement and replication from the Kafka engine;
//! [`Sim::queue_facts`] gives what the queue inspector adds to a queue's
//! settings: the release the run behaves as and the effective policy.

use super::journal::MessageRef;
use super::model::{NodeConfig, NodeId, Word};
use super::sim::{Part, Sim};
use brokerlab_rabbit as rabbit;

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

/// A labelled list of text lines a node shows.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Facts {
    /// The list's accessible name, e.g. "Offsets of stream q1".
    pub label: String,
    pub items: Vec<String>,
}

/// Everything a node shows of the run, compared between frames so a node
/// redraws only when its numbers change.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Readout {
    pub lines: Vec<String>,
    /// Labelled lists of text (a stream's offsets, its consumers' positions).
    pub facts: Vec<Facts>,
    pub lists: Vec<ItemList>,
    /// A crashed broker or consumer.
    pub down: bool,
    /// A consumer in a group that has no partition to read: drawn dimmed.
    pub idle: bool,
}

/// What the message inspector shows.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Explanation {
    pub title: String,
    pub facts: Vec<String>,
    /// The routing decision, one line per binding or reader, with whether it matched.
    pub decisions: Vec<(bool, String)>,
    pub history: Vec<String>,
    /// The hops it made on the canvas, in order: "orders → events",
    /// "events → billing (binding key “*.orders”)".
    pub path: Vec<String>,
}

/// What the queue inspector shows of a queue in the run.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct QueueFacts {
    /// "RabbitMQ 4.3 (4.3.5)": the release the run behaves as.
    pub release: String,
    /// The policy in effect on the queue, named, with the arguments it
    /// applies; "none" when no policy applies.
    pub effective_policy: String,
}

/// The effective policy of a queue as the inspector words it: the policy
/// (and operator policy) the broker applies, and the settings it resolved
/// from them and the queue's own arguments, or "none".
fn effective_policy(queue: Option<&rabbit::QueueView>) -> String {
    let Some(q) = queue else { return "none".to_string() };
    let names: Vec<String> =
        [q.policy.as_ref().map(|p| p.to_string()), q.operator_policy.as_ref().map(|p| format!("operator policy {p}"))]
            .into_iter()
            .flatten()
            .collect();
    if names.is_empty() {
        return "none".to_string();
    }
    let keys: Vec<String> =
        q.effective_policy_definition.iter().map(|(k, v)| format!("{k}={}", field_text(v))).collect();
    format!("{} ({})", names.join(" and "), keys.join(", "))
}

/// A field value as the inspector shows it: numbers and text as typed.
fn field_text(v: &rabbit::FieldValue) -> String {
    match (v.as_i64(), v.as_str(), v) {
        (Some(n), _, _) => n.to_string(),
        (_, Some(s), _) => s.to_string(),
        (_, _, rabbit::FieldValue::Boolean(b)) => b.to_string(),
        (_, _, other) => format!("{other:?}"),
    }
}

/// A stream drawn as a log: its first and last offset (records stay after
/// they are read, until retention removes them), each reader's position,
/// the offset it will read next, and the records with their offsets.
fn stream_readout(r: &mut Readout, name: &str, stream: &rabbit::StreamView) {
    let offsets = if stream.next_offset > stream.first_offset {
        vec![format!("first offset {}", stream.first_offset), format!("last offset {}", stream.next_offset - 1)]
    } else {
        vec![format!("empty; the next record gets offset {}", stream.next_offset)]
    };
    r.facts.push(Facts { label: format!("Offsets of stream {name}"), items: offsets });
    let readers = stream
        .consumers
        .iter()
        .map(|c| {
            let waiting = if c.active { "" } else { " (waiting: not the active consumer)" };
            format!("{} next offset {}{waiting}", c.consumer_tag, c.next_offset)
        })
        .collect::<Vec<_>>();
    if !readers.is_empty() {
        r.facts.push(Facts { label: format!("Consumer positions in stream {name}"), items: readers });
    }
    let shown = stream.records.len().saturating_sub(SHOWN);
    r.lists.push(ItemList {
        label: format!("Records in stream {name}"),
        caption: String::new(),
        items: stream.records[shown..]
            .iter()
            .map(|rec| (MessageRef::Rabbit(rec.message.id), format!("offset {} #{}", rec.offset, rec.message.id)))
            .collect(),
        more: shown,
    });
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
            NodeConfig::Producer(_) => {
                r.lines.push(traffic(true));
                self.producer_readout(&mut r, &node.name);
            }
            NodeConfig::Exchange(_) => r.lines.push(format!("routed {} \u{b7} {}/s", c.received, c.received_rate)),
            NodeConfig::Queue(_) => {
                if let Some(stream) = self.stream(node.vhost(), &node.name) {
                    stream_readout(&mut r, &node.name, &stream);
                } else if let Some(q) = self.queue(node.vhost(), &node.name) {
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
                        Some(a) if a.is_empty() => {
                            r.idle = true;
                            r.lines.push("idle: no partitions".into());
                        }
                        Some(a) => r.lines.push(format!("partitions {}", a.join(" "))),
                        None => r.lines.push(format!("processing {}", s.working)),
                    }
                    r.lines.push(format!("done {} \u{b7} {}/s", s.done, c.received_rate));
                    if !s.holding.is_empty() {
                        r.lists.push(ItemList {
                            label: format!("Unacknowledged by {}", node.name),
                            caption: String::new(),
                            items: s
                                .holding
                                .iter()
                                .take(SHOWN)
                                .map(|&m| {
                                    let key = self.message(m).map(|h| h.routing_key.as_str()).unwrap_or_default();
                                    (MessageRef::Rabbit(m), format!("#{m} {key}"))
                                })
                                .collect(),
                            more: s.holding.len().saturating_sub(SHOWN),
                        });
                    }
                    if !s.down {
                        self.member_readout(&mut r, id, &node.name);
                    }
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
            NodeConfig::Group => self.group_readout(&mut r, &node.name),
            NodeConfig::ShareGroup => self.share_group_readout(&mut r, &node.name),
        }
        r
    }

    /// What the queue inspector says of queue `id` beside its settings:
    /// the RabbitMQ release the run behaves as, and the queue's effective
    /// policy. `None` for a part that is not a queue.
    pub fn queue_facts(&self, id: NodeId) -> Option<QueueFacts> {
        let node = self.topology.node(id)?;
        let NodeConfig::Queue(_) = &node.config else { return None };
        let version = self.scenario().rabbitmq.version;
        Some(QueueFacts {
            release: format!("RabbitMQ {} ({})", version.word(), version.server_version()),
            effective_policy: effective_policy(self.queue(node.vhost(), &node.name).as_ref()),
        })
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
                    path: self.hops(message),
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
            MessageRef::Send { producer, topic, partition } => self.explain_send(message, producer, topic, *partition),
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
                    path: self.hops(message),
                })
            }
        }
    }

    /// What a Kafka producer's records for a partition wait for: the
    /// partition's leader and ISR as the producer meets them, each record's
    /// state (in the accumulator, appended and waiting for its acks, or
    /// failed and waiting to retry, with the error), and the failures the
    /// log recorded.
    fn explain_send(&self, message: &MessageRef, producer: &str, topic: &str, partition: u32) -> Option<Explanation> {
        let k = self.cluster()?;
        let view = k.producer(producer).ok()?;
        let down: Vec<u32> = k.brokers().iter().filter(|b| !b.alive).map(|b| b.id).collect();
        let mine: Vec<&brokerlab_kafka::InFlightView> = view
            .in_flight
            .iter()
            .filter(|f| f.partition.topic == topic && f.partition.partition == partition)
            .collect();
        let mut facts = vec![if mine.is_empty() {
            "nothing waiting now: every record was written and acknowledged, or failed for good".to_string()
        } else {
            format!(
                "{} not acknowledged yet",
                if mine.len() == 1 { "1 record".to_string() } else { format!("{} records", mine.len()) }
            )
        }];
        if let Ok(p) = k.partition(topic, partition) {
            facts.push(match p.leader {
                None => "the partition has no leader".to_string(),
                Some(b) if down.contains(&b) => format!("its leader, broker {b}, is down"),
                Some(b) => format!("leader broker {b}"),
            });
            let isr: Vec<String> = p.isr.iter().map(u32::to_string).collect();
            facts.push(format!("in-sync replicas {} of {}", isr.join(","), p.replicas.len()));
        }
        let acks = match view.config.acks {
            brokerlab_kafka::Acks::Zero => "0",
            brokerlab_kafka::Acks::One => "1",
            brokerlab_kafka::Acks::All => "all",
        };
        facts.push(format!(
            "acks={acks}, retries {}, delivery.timeout.ms {}",
            view.config.retries, view.config.delivery_timeout_ms
        ));
        let decisions = mine
            .iter()
            .map(|f| match (f.appended_at, f.attempts, &f.last_error) {
                (Some(offset), ..) => {
                    (true, format!("sequence {}: appended at offset {offset}, waiting for acks={acks}", f.sequence))
                }
                (None, 0, _) => (false, format!("sequence {}: in the accumulator, not sent yet", f.sequence)),
                (None, n, error) => {
                    let error = error.as_ref().map_or("no answer".to_string(), |e| format!("{e:?}"));
                    let next = f
                        .next_attempt_ms
                        .map_or(String::new(), |t| format!("; next attempt at {:.1} s", t as f64 / 1000.0));
                    (false, format!("sequence {}: attempt {n} failed with {error}{next}", f.sequence))
                }
            })
            .collect();
        let history = self
            .log()
            .filter(|l| l.message.as_ref() == Some(message))
            .map(|l| format!("{:.1} s: {}", l.at_ms as f64 / 1000.0, l.text))
            .collect();
        Some(Explanation {
            title: format!("What {producer} waits for on {topic}-{partition}"),
            facts,
            decisions,
            history,
            path: Vec::new(),
        })
    }

    /// The hops of `message`'s path in words, each edge named by its two
    /// parts, a binding with its key.
    fn hops(&self, message: &MessageRef) -> Vec<String> {
        let t = self.topology();
        self.path(message)
            .iter()
            .filter_map(|id| {
                let e = t.edge(*id)?;
                let (from, to) = (t.node(e.from)?.title(), t.node(e.to)?.title());
                Some(if e.role.is_binding() {
                    format!("{from} \u{2192} {to} (binding key \u{201c}{}\u{201d})", e.binding_key)
                } else {
                    format!("{from} \u{2192} {to}")
                })
            })
            .collect()
    }
}
