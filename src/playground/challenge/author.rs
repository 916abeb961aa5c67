//! Making a challenge from the canvas. The author builds the answer on the
//! playground, then says what the learner is given and what must hold:
//! [`Draft`] holds their choices, [`offers`] lists the checks a canvas can
//! have (what each queue holds, what each consumer receives or reads, that a
//! topic loses and duplicates nothing, that no group member is idle, that no
//! action is refused), and [`targets`] where a test message can go.
//!
//! [`Draft::build`] turns it into a challenge: it replays the test messages
//! on the author's canvas and writes each picked check from what the engines
//! did there (so the author never types an expected body), cuts the start
//! from the canvas (parts left out, connections left out), and refuses a
//! challenge whose answer fails or whose start already passes. The result
//! is the start with its `challenge` section, as a share link: opening it
//! shows the challenge, never the answer.

use std::collections::{BTreeMap, BTreeSet};

use brokerlab_scenario::challenge::verdict::{ProbeRun, observe};
use brokerlab_scenario::{Action, Challenge, Check, Probe, Scenario};
use serde_json::json;

use crate::playground::model::{EdgeRole, NodeConfig, NodeKind, Topology};
use crate::playground::scenario::{node_key, to_scenario};

/// How the start treats one part of the author's canvas.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Part {
    /// On the learner's canvas, free to change.
    #[default]
    Given,
    /// On the learner's canvas, and locked.
    Locked,
    /// Not on the learner's canvas: theirs to add.
    LeftOut,
}

/// Where a test message goes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    /// Shown in the list: "exchange orders", "queue jobs", "topic clicks".
    pub label: String,
    kind: TargetKind,
    name: String,
    /// The Kafka producer that writes to the topic.
    producer: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum TargetKind {
    Exchange,
    Queue,
    Topic,
}

/// One message the probe sends.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TestMessage {
    /// An index into [`targets`].
    pub target: usize,
    /// The routing key, or the record key (empty: none).
    pub key: String,
    pub body: String,
}

/// A check the author can pick, named by a stable key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Offer {
    pub key: String,
    pub label: String,
}

/// What the author has chosen so far.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Draft {
    pub title: String,
    pub story: String,
    pub goal: String,
    pub hints: Vec<String>,
    pub messages: Vec<TestMessage>,
    /// Keys of the picked [`Offer`]s.
    pub checks: BTreeSet<String>,
    /// Each part's role, by node id as in a scenario's layout; a part not
    /// named is [`Part::Given`].
    pub parts: BTreeMap<String, Part>,
    /// Whether the start leaves out the connections (bindings, publishing,
    /// consuming, subscriptions, memberships) between the parts it gives.
    pub leave_out_connections: bool,
}

/// A challenge made from the canvas.
#[derive(Clone, Debug, PartialEq)]
pub struct Made {
    /// The learner's start, with the challenge section.
    pub start: Scenario,
    /// `#/playground?s=…`, relative to the site.
    pub link: String,
    /// How many checks the start fails, of how many.
    pub start_fails: (usize, usize),
}

/// Where test messages can go on this canvas: its exchanges, its queues
/// (through the default exchange), and the topics a producer writes to.
pub fn targets(canvas: &Topology) -> Vec<Target> {
    let mut out = Vec::new();
    for n in canvas.of_kind(NodeKind::Exchange) {
        out.push(Target {
            label: format!("exchange {}", n.name),
            kind: TargetKind::Exchange,
            name: n.name.clone(),
            producer: String::new(),
        });
    }
    for n in canvas.of_kind(NodeKind::Queue) {
        out.push(Target {
            label: format!("queue {} (default exchange)", n.name),
            kind: TargetKind::Queue,
            name: n.name.clone(),
            producer: String::new(),
        });
    }
    for n in canvas.of_kind(NodeKind::Topic) {
        let producer = canvas
            .incoming(n.id)
            .filter(|e| e.role == EdgeRole::Produce)
            .find_map(|e| canvas.node(e.from).map(|p| p.name.clone()));
        if let Some(producer) = producer {
            out.push(Target {
                label: format!("topic {}", n.name),
                kind: TargetKind::Topic,
                name: n.name.clone(),
                producer,
            });
        }
    }
    out
}

/// Every check this canvas can have, in canvas order.
pub fn offers(canvas: &Topology) -> Vec<Offer> {
    let mut out = Vec::new();
    for n in &canvas.nodes {
        let key = node_key(canvas, n);
        let label = match (&n.config, n.kind()) {
            (NodeConfig::Queue(_), _) => format!("What queue {} holds at the end", n.name),
            (NodeConfig::Topic(_), _) => {
                format!("Topic {} holds each test record once: none lost, none doubled", n.name)
            }
            (NodeConfig::Group, _) => format!("No member of group {} is idle", n.name),
            (NodeConfig::Consumer(_), _) if canvas.incoming(n.id).any(|e| e.role == EdgeRole::Member) => {
                format!("What consumer {} reads", n.name)
            }
            (NodeConfig::Consumer(_), _) if canvas.incoming(n.id).any(|e| e.role == EdgeRole::Consume) => {
                format!("What consumer {} receives", n.name)
            }
            _ => continue,
        };
        out.push(Offer { key, label });
    }
    out.push(Offer { key: "no-errors".into(), label: "No action is refused".into() });
    out
}

/// A test message as the action the probe replays.
fn action(target: &Target, m: &TestMessage) -> Result<Action, String> {
    let value = match target.kind {
        TargetKind::Exchange => {
            json!({ "action": "publish", "exchange": target.name, "routing_key": m.key, "body": m.body })
        }
        TargetKind::Queue => json!({ "action": "publish", "routing_key": target.name, "body": m.body }),
        TargetKind::Topic => {
            let key = if m.key.is_empty() { serde_json::Value::Null } else { json!(m.key) };
            json!({ "action": "produce", "producer": target.producer, "topic": target.name, "key": key, "value": m.body })
        }
    };
    serde_json::from_value(value).map_err(|e| format!("a test message cannot be sent: {e}"))
}

impl Draft {
    /// The probe's script: the test messages, then time for deliveries and
    /// replication, then a poll by every Kafka consumer.
    fn script(&self, canvas: &Topology, answer: &Scenario) -> Result<Vec<Action>, String> {
        let all = targets(canvas);
        let mut script = Vec::new();
        for (n, m) in self.messages.iter().enumerate() {
            let target = all.get(m.target).ok_or_else(|| format!("test message {} has no destination", n + 1))?;
            script.push(action(target, m)?);
        }
        script
            .push(serde_json::from_value(json!({ "action": "advance_time", "ms": 1000 })).map_err(|e| e.to_string())?);
        for c in &answer.kafka.consumers {
            script.push(
                serde_json::from_value(json!({ "action": "poll", "consumer": c.name })).map_err(|e| e.to_string())?,
            );
        }
        Ok(script)
    }

    /// The picked check `key`, written from what the answer's run did.
    fn check(key: &str, canvas: &Topology, run: &ProbeRun) -> Option<Check> {
        if key == "no-errors" {
            return Some(Check::NoErrors);
        }
        let node = canvas.nodes.iter().find(|n| node_key(canvas, n) == key)?;
        let name = node.name.clone();
        let report = &run.report;
        Some(match &node.config {
            NodeConfig::Queue(_) => {
                let q = report.rabbitmq.queues.iter().find(|q| q.name == name && q.vhost == "/");
                Check::QueueHolds {
                    queue: name,
                    vhost: "/".into(),
                    bodies: q.map(|q| q.messages.iter().map(|m| m.body.clone()).collect()).unwrap_or_default(),
                }
            }
            NodeConfig::Topic(_) => Check::TopicHoldsOnce {
                values: report
                    .kafka
                    .partitions
                    .iter()
                    .filter(|p| p.topic == name)
                    .flat_map(|p| &p.records)
                    .map(|r| r.value.clone().unwrap_or_default())
                    .collect(),
                topic: name,
            },
            NodeConfig::Group => Check::NoIdleMember { group: name },
            NodeConfig::Consumer(_) if canvas.incoming(node.id).any(|e| e.role == EdgeRole::Member) => {
                Check::ConsumerPolled { values: run.polled.get(&name).cloned().unwrap_or_default(), consumer: name }
            }
            NodeConfig::Consumer(_) => Check::ConsumerReceived {
                bodies: report
                    .rabbitmq
                    .consumers
                    .iter()
                    .filter(|c| c.tag == name)
                    .flat_map(|c| &c.deliveries)
                    .map(|d| d.message.body.clone())
                    .collect(),
                consumer: name,
            },
            _ => return None,
        })
    }

    /// The learner's start: the canvas without the parts left out, and
    /// without its connections when the author leaves them out.
    pub fn start_canvas(&self, canvas: &Topology) -> Topology {
        let mut start = canvas.clone();
        let left_out: BTreeSet<u32> = canvas
            .nodes
            .iter()
            .filter(|n| self.parts.get(&node_key(canvas, n)) == Some(&Part::LeftOut))
            .map(|n| n.id)
            .collect();
        start.nodes.retain(|n| !left_out.contains(&n.id));
        start.edges.retain(|e| !self.leave_out_connections && !left_out.contains(&e.from) && !left_out.contains(&e.to));
        start
    }

    /// Makes the challenge; fails with a sentence saying what to change.
    pub fn build(&self, canvas: &Topology) -> Result<Made, String> {
        if self.title.trim().is_empty() || self.goal.trim().is_empty() {
            return Err("Give the challenge a title and a goal.".into());
        }
        if self.messages.is_empty() {
            return Err("Add at least one test message: the check sends them to the learner's canvas.".into());
        }
        if self.checks.is_empty() {
            return Err("Pick at least one thing to check.".into());
        }
        let answer = to_scenario(canvas).map_err(|e| format!("This canvas cannot be made into a challenge: {e}."))?;
        let script = self.script(canvas, &answer)?;
        let run = observe(&answer, &script).map_err(|e| format!("The engines refused your canvas: {e}."))?;
        if let Some(e) = run.report.errors.first() {
            return Err(format!("On your canvas, step {} of the test is refused: {}.", e.action + 1, e.error));
        }
        let checks: Vec<Check> = self.checks.iter().filter_map(|k| Self::check(k, canvas, &run)).collect();
        if checks.is_empty() {
            return Err("The picked checks name parts that are no longer on the canvas.".into());
        }
        let start_canvas = self.start_canvas(canvas);
        let mut start = to_scenario(&start_canvas).map_err(|e| format!("The start cannot be written: {e}."))?;
        let locked: Vec<String> = start_canvas
            .nodes
            .iter()
            .map(|n| node_key(&start_canvas, n))
            .filter(|k| self.parts.get(k) == Some(&Part::Locked))
            .collect();
        let challenge = Challenge {
            title: self.title.trim().to_owned(),
            story: self.story.trim().to_owned(),
            goal: self.goal.trim().to_owned(),
            locked,
            probes: vec![Probe { name: "your test messages".into(), script, checks }],
            hints: self.hints.iter().map(|h| h.trim().to_owned()).filter(|h| !h.is_empty()).collect(),
            ..Challenge::default()
        };
        let on_answer = challenge.check(&answer, Some(&start));
        if let Some(failed) = on_answer.results.iter().find(|r| !r.passed) {
            return Err(format!(
                "Your own canvas fails the check “{}”: {}.",
                failed.check,
                failed.reason.clone().unwrap_or_default()
            ));
        }
        let on_start = challenge.check(&start, Some(&start));
        if on_start.passed {
            return Err(
                "The start already passes every check. Leave out more parts or the connections, or pick more checks."
                    .into(),
            );
        }
        let failing = on_start.results.iter().filter(|r| !r.passed).count();
        let total = on_start.results.len();
        start.challenge = Some(Box::new(challenge));
        let link = format!("#/playground?s={}", start.to_link());
        Ok(Made { start, link, start_fails: (failing, total) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::playground::challenge::Play;
    use crate::playground::model::Playground;
    use brokerlab_rabbit::ExchangeKind;

    /// A topic exchange binding `billing` to paid orders and `audit` to all.
    fn canvas() -> Topology {
        let mut p = Playground::default();
        let x = p.add_exchange(ExchangeKind::Topic, None);
        p.rename(x, "orders").unwrap();
        let billing = p.add_node(NodeKind::Queue, None);
        p.rename(billing, "billing").unwrap();
        let audit = p.add_node(NodeKind::Queue, None);
        p.rename(audit, "audit").unwrap();
        let b = p.connect(x, billing).unwrap();
        p.set_binding(b, "*.paid", "").unwrap();
        let a = p.connect(x, audit).unwrap();
        p.set_binding(a, "#", "").unwrap();
        p.topology
    }

    fn draft(canvas: &Topology) -> Draft {
        let exchange = targets(canvas).iter().position(|t| t.label == "exchange orders").expect("a target");
        Draft {
            title: "Paid orders".into(),
            goal: "Bind billing to paid orders only.".into(),
            hints: vec!["Look at the second word.".into(), String::new()],
            messages: vec![
                TestMessage { target: exchange, key: "eu.paid".into(), body: "paid order".into() },
                TestMessage { target: exchange, key: "eu.created".into(), body: "new order".into() },
            ],
            checks: ["queue:billing".to_owned(), "no-errors".to_owned()].into(),
            parts: [("exchange:orders".to_owned(), Part::Locked)].into(),
            leave_out_connections: true,
            ..Draft::default()
        }
    }

    #[test]
    fn a_made_challenge_carries_checks_written_from_the_answer_and_a_start_without_it() {
        let canvas = canvas();
        let made = draft(&canvas).build(&canvas).expect("made");
        let c = made.start.challenge.as_deref().expect("a challenge section");
        assert_eq!(c.locked, vec!["exchange:orders".to_owned()]);
        assert_eq!(c.hints, vec!["Look at the second word.".to_owned()]);
        assert!(c.probes[0].checks.contains(&Check::QueueHolds {
            queue: "billing".into(),
            vhost: "/".into(),
            bodies: vec!["paid order".into()]
        }));
        assert!(made.start.rabbitmq.bindings.is_empty(), "the answer's bindings are not in the start");
        assert!(made.link.starts_with("#/playground?s=2."));
        assert_eq!(made.start_fails, (1, 3));
    }

    #[test]
    fn a_made_challenge_opens_from_its_link_and_the_authors_canvas_solves_it() {
        let canvas = canvas();
        let made = draft(&canvas).build(&canvas).expect("made");
        let encoded = made.link.trim_start_matches("#/playground?s=");
        let play = Play::from_link(encoded).expect("opens");
        assert!(play.solution.is_none(), "a made challenge carries no answer");
        assert!(!play.check(&play.start).expect("checks").passed);
        assert!(play.check(&canvas).expect("checks").passed);
        // An over-broad answer, `#` on billing, fails with the message it let through.
        let mut broad = Playground::new(canvas.clone());
        let x = broad.topology.named(NodeKind::Exchange, "orders").unwrap().id;
        let billing = broad.topology.named(NodeKind::Queue, "billing").unwrap().id;
        let edge = broad.topology.outgoing(x).find(|e| e.to == billing).unwrap().id;
        broad.set_binding(edge, "#", "").unwrap();
        let verdict = play.check(&broad.topology).expect("checks");
        assert!(!verdict.passed);
        assert!(verdict.results.iter().any(|r| r.reason.as_deref().is_some_and(|w| w.contains("new order"))));
    }

    #[test]
    fn a_challenge_whose_start_already_passes_or_without_a_goal_is_refused() {
        let canvas = canvas();
        let mut d = draft(&canvas);
        d.leave_out_connections = false;
        assert!(d.build(&canvas).unwrap_err().contains("already passes"));
        d.goal.clear();
        assert!(d.build(&canvas).unwrap_err().contains("title and a goal"));
        let mut none = draft(&canvas);
        none.checks.clear();
        assert!(none.build(&canvas).unwrap_err().contains("Pick at least one"));
    }

    #[test]
    fn the_offers_name_every_queue_consumer_topic_and_group_on_the_canvas() {
        let canvas = canvas();
        let keys: Vec<String> = offers(&canvas).into_iter().map(|o| o.key).collect();
        assert_eq!(keys, vec!["queue:billing", "queue:audit", "no-errors"]);
        let labels: Vec<String> = targets(&canvas).into_iter().map(|t| t.label).collect();
        assert_eq!(
            labels,
            vec!["exchange orders", "queue billing (default exchange)", "queue audit (default exchange)"]
        );
    }
}
