//! The JSON report of a headless run, as `brokerlab run FILE` prints it.
//!
//! It is built from the finished [`Session`] and the outcomes of every step:
//! for each RabbitMQ queue its messages in order (with headers, including
//! `x-death`), each consumer's deliveries and what became of them, each
//! `basic.get`, and each publish's routing trace; for each Kafka partition
//! its records in offset order, and each group's assignment and committed
//! offsets; then the whole event trace. Everything is ordered
//! deterministically, so two runs of one scenario print identical reports.

use brokerlab_order::CollectOrdered;
use std::collections::BTreeMap;

use brokerlab_kafka::RecordKind;
use brokerlab_rabbit::{Event as R, Message};
use serde::Serialize;

use crate::error::ScenarioError;
use crate::model::{Arguments, Scenario};
use crate::session::{Session, StepOutcome};
use crate::translate::json_table;

/// Everything a run produced.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Report {
    pub scenario: String,
    pub seed: u64,
    pub rabbitmq: RabbitReport,
    pub kafka: KafkaReport,
    /// Actions an engine refused, with its reason.
    pub errors: Vec<ActionError>,
    /// Every event in order, tagged with the script index that caused it
    /// (`null` for building the topology).
    pub events: Vec<TraceEntry>,
}

/// The RabbitMQ side of a report.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct RabbitReport {
    pub queues: Vec<QueueReport>,
    pub consumers: Vec<ConsumerReport>,
    pub gets: Vec<GetReport>,
    pub publishes: Vec<PublishReport>,
}

/// A queue and the messages ready in it, in delivery order.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct QueueReport {
    pub vhost: String,
    pub name: String,
    pub messages: Vec<MessageReport>,
    /// Messages delivered and not yet acknowledged.
    pub unacked: u32,
}

/// One message as a client would see it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MessageReport {
    pub body: String,
    pub routing_key: String,
    pub exchange: String,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub headers: Arguments,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub redelivered: bool,
}

impl MessageReport {
    fn of(m: &Message) -> Self {
        MessageReport {
            body: m.body.clone(),
            routing_key: m.routing_key.clone(),
            exchange: m.exchange.clone(),
            headers: m.properties.headers.as_ref().map(json_table).unwrap_or_default(),
            redelivered: m.redelivered,
        }
    }
}

/// A consumer and every delivery it received.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ConsumerReport {
    pub tag: String,
    pub queue: String,
    pub deliveries: Vec<DeliveryReport>,
}

/// One delivery and what became of it: `acked`, `requeued`,
/// `dead-lettered`, `dropped` or `unacked`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DeliveryReport {
    pub delivery_tag: u64,
    pub message: MessageReport,
    pub outcome: String,
    #[serde(skip)]
    message_id: u64,
}

/// One `basic.get` and what it returned.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct GetReport {
    pub action: usize,
    pub queue: String,
    pub message: Option<MessageReport>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outcome: Option<String>,
    #[serde(skip)]
    message_id: u64,
}

/// One publish, where it went, and why.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PublishReport {
    pub action: usize,
    pub exchange: String,
    pub routing_key: String,
    pub queues: Vec<String>,
    pub trace: Option<brokerlab_rabbit::RouteTrace>,
}

/// The Kafka side of a report.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct KafkaReport {
    pub partitions: Vec<PartitionReport>,
    pub groups: Vec<GroupReport>,
    /// The KRaft controller quorum and its metadata log, when the scenario
    /// has topics.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metadata: Option<MetadataReport>,
}

/// The controller quorum and the latest records of `__cluster_metadata`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MetadataReport {
    /// The active controller's node id, if the quorum has one.
    pub leader: Option<u32>,
    /// The quorum epoch.
    pub epoch: u32,
    /// `OFFSET (epoch E, T ms): RECORD` per record, oldest first.
    pub records: Vec<String>,
}

/// One partition's records in offset order (transaction markers left out).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PartitionReport {
    pub topic: String,
    pub partition: u32,
    pub records: Vec<RecordReport>,
}

/// One record.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RecordReport {
    pub offset: i64,
    pub key: Option<String>,
    pub value: Option<String>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub headers: BTreeMap<String, Option<String>>,
    pub timestamp: i64,
    /// `transactional` for a record written in a transaction.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
}

/// A group's members, their partitions, and its committed offsets.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct GroupReport {
    pub group_id: String,
    pub generation: i32,
    /// The coordinator's state: `Empty`, `PreparingRebalance`,
    /// `CompletingRebalance`, `Stable` or `Dead`.
    pub state: brokerlab_kafka::GroupStateView,
    /// The broker coordinating the group (the leader of its
    /// `__consumer_offsets` partition), if one is alive.
    pub coordinator: Option<u32>,
    pub assignment: BTreeMap<String, Vec<String>>,
    /// `topic-partition` to the committed offset (the next to read).
    pub committed: BTreeMap<String, i64>,
}

/// An action an engine refused.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ActionError {
    pub action: usize,
    pub error: String,
}

/// One event of the trace.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TraceEntry {
    pub action: Option<usize>,
    pub engine: &'static str,
    pub event: serde_json::Value,
}

fn text(b: &Option<Vec<u8>>) -> Option<String> {
    b.as_ref().map(|v| String::from_utf8_lossy(v).into_owned())
}

impl Scenario {
    /// Runs the whole scenario headless and reports what happened.
    pub fn run_report(&self) -> Result<Report, ScenarioError> {
        let mut session = self.start()?;
        let mut outcomes = vec![session.setup().clone()];
        outcomes.extend(session.run_to_end());
        Ok(Report::new(self, &session, &outcomes))
    }
}

impl Report {
    /// Builds a report from a finished session and the outcomes of its
    /// setup and steps, in order.
    pub fn new(scenario: &Scenario, session: &Session, outcomes: &[StepOutcome]) -> Report {
        let mut rabbit = RabbitReport::default();
        let mut consumers: Vec<ConsumerReport> = Vec::new();
        let mut events = Vec::new();
        let mut errors = Vec::new();
        for o in outcomes {
            if let (Some(i), Some(e)) = (o.index, &o.error) {
                errors.push(ActionError { action: i, error: e.clone() });
            }
            for e in &o.rabbit {
                events.push(TraceEntry {
                    action: o.index,
                    engine: "rabbitmq",
                    event: serde_json::to_value(e).unwrap_or_default(),
                });
                match e {
                    R::Published { exchange, routing_key, queues, trace, .. } => rabbit.publishes.push(PublishReport {
                        action: o.index.unwrap_or_default(),
                        exchange: exchange.clone(),
                        routing_key: routing_key.clone(),
                        queues: queues.iter().map(ToString::to_string).collect(),
                        trace: trace.as_deref().cloned(),
                    }),
                    R::Delivered { consumer_tag, delivery_tag, queue, message, .. } => {
                        let d = DeliveryReport {
                            delivery_tag: *delivery_tag,
                            message: MessageReport::of(message),
                            outcome: "unacked".into(),
                            message_id: message.id,
                        };
                        match consumers.iter_mut().find(|c| c.tag == *consumer_tag && c.queue == *queue) {
                            Some(c) => c.deliveries.push(d),
                            None => consumers.push(ConsumerReport {
                                tag: consumer_tag.clone(),
                                queue: queue.clone(),
                                deliveries: vec![d],
                            }),
                        }
                    }
                    R::GetOk { queue, message, .. } => rabbit.gets.push(GetReport {
                        action: o.index.unwrap_or_default(),
                        queue: queue.clone(),
                        message: Some(MessageReport::of(message)),
                        outcome: Some("unacked".into()),
                        message_id: message.id,
                    }),
                    R::GetEmpty { queue, .. } => rabbit.gets.push(GetReport {
                        action: o.index.unwrap_or_default(),
                        queue: queue.clone(),
                        message: None,
                        outcome: None,
                        message_id: 0,
                    }),
                    R::Acked { message_id, .. } => settle(&mut consumers, &mut rabbit.gets, *message_id, "acked"),
                    R::Enqueued { message_id, cause: brokerlab_rabbit::EnqueueCause::Requeue { .. }, .. } => {
                        settle(&mut consumers, &mut rabbit.gets, *message_id, "requeued")
                    }
                    R::DeadLettered { message_id, .. } => {
                        settle(&mut consumers, &mut rabbit.gets, *message_id, "dead-lettered")
                    }
                    R::Dropped { message_id: Some(id), .. } => settle(&mut consumers, &mut rabbit.gets, *id, "dropped"),
                    _ => {}
                }
            }
            for e in &o.kafka {
                events.push(TraceEntry {
                    action: o.index,
                    engine: "kafka",
                    event: serde_json::to_value(e).unwrap_or_default(),
                });
            }
        }
        rabbit.consumers = consumers;

        let broker = session.rabbit();
        for vhost in broker.vhosts() {
            for q in broker.queues(&vhost) {
                rabbit.queues.push(QueueReport {
                    vhost: q.vhost.clone(),
                    name: q.name.clone(),
                    messages: q.messages.iter().map(MessageReport::of).collect(),
                    unacked: q.unacked,
                });
            }
        }

        let cluster = session.kafka();
        let mut kafka = KafkaReport::default();
        for topic in cluster.topic_names() {
            let count = cluster.topic(&topic).map(|t| t.partitions.len()).unwrap_or_default();
            for p in 0..count as u32 {
                let records = cluster
                    .records(&topic, p)
                    .unwrap_or_default()
                    .into_iter()
                    .filter(|r| !r.kind.is_control())
                    .map(|r| RecordReport {
                        offset: r.offset,
                        key: text(&r.data.key),
                        value: text(&r.data.value),
                        headers: r.data.headers.iter().map(|h| (h.key.clone(), text(&h.value))).collect_map(),
                        timestamp: r.timestamp,
                        kind: (r.kind == RecordKind::Transactional).then(|| "transactional".to_string()),
                    })
                    .collect();
                kafka.partitions.push(PartitionReport { topic: topic.clone(), partition: p, records });
            }
        }
        if !cluster.topic_names().is_empty() {
            let m = cluster.metadata_log_view();
            kafka.metadata = Some(MetadataReport {
                leader: m.leader,
                epoch: m.epoch,
                records: m
                    .records
                    .iter()
                    .map(|r| format!("{} (epoch {}, {} ms): {}", r.offset, r.epoch, r.time_ms, r.record))
                    .collect(),
            });
        }
        for id in cluster.group_ids() {
            if let Some(g) = cluster.group(&id) {
                kafka.groups.push(GroupReport {
                    group_id: g.group_id.clone(),
                    generation: g.generation,
                    state: g.state,
                    coordinator: g.coordinator,
                    assignment: g
                        .members
                        .iter()
                        .map(|m| {
                            (
                                m.member_id.clone(),
                                m.assignment.iter().map(|tp| format!("{}-{}", tp.topic, tp.partition)).collect(),
                            )
                        })
                        .collect_map(),
                    committed: g
                        .committed
                        .iter()
                        .map(|(tp, o)| (format!("{}-{}", tp.topic, tp.partition), *o))
                        .collect_map(),
                });
            }
        }

        Report {
            scenario: if scenario.id.is_empty() { scenario.title.clone() } else { scenario.id.clone() },
            seed: scenario.seed,
            rabbitmq: rabbit,
            kafka,
            errors,
            events,
        }
    }

    /// The report as pretty-printed JSON.
    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).unwrap_or_default();
        s.push('\n');
        s
    }
}

/// Marks the newest open delivery or get of a message with its outcome.
fn settle(consumers: &mut [ConsumerReport], gets: &mut [GetReport], message_id: u64, outcome: &str) {
    let delivery = consumers
        .iter_mut()
        .flat_map(|c| c.deliveries.iter_mut())
        .filter(|d| d.message_id == message_id && d.outcome == "unacked")
        .last();
    if let Some(d) = delivery {
        d.outcome = outcome.to_string();
        return;
    }
    if let Some(g) =
        gets.iter_mut().filter(|g| g.message_id == message_id && g.outcome.as_deref() == Some("unacked")).last()
    {
        g.outcome = Some(outcome.to_string());
    }
}
