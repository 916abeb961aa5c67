//! `brokerlab verify`: plays a scenario's RabbitMQ part on a real broker and
//! on the engine, and lists every difference.
//!
//! The scenario is turned into one `brokerlab_rabbit_live` script that both
//! sides run: the topology is declared, the script's publishes, gets,
//! acknowledgements, queue operations and waits are replayed (a wait sleeps
//! on the real broker), and at the end every queue is drained in order.
//! What each side observed (each `get`, then each queue's remaining
//! messages) is compared. A few actions have no live counterpart in
//! `brokerlab_rabbit_live` (consumers, restarts, alarms, other vhosts);
//! they are listed as skipped on both sides rather than guessed at.

use std::collections::BTreeMap;

use brokerlab_rabbit::{Broker, ChannelId, Command, FieldValue};
use brokerlab_rabbit_live::{LiveBroker, Observed, Outcome, Settle, Step, run_on_engine};
use brokerlab_scenario::translate::{basic_properties, exchange_kind, field_table};
use brokerlab_scenario::{Action, BindingDef, DestinationType, Scenario};
use serde::Serialize;

/// The result of a verification.
#[derive(Debug, Serialize)]
pub struct Verification {
    /// True when the engine and the broker observed the same thing.
    pub matches: bool,
    /// Script actions not replayed, with the reason.
    pub skipped: Vec<Skipped>,
    /// What was left out of the comparison on purpose, and why.
    pub ignored: Vec<&'static str>,
    /// Every place the two sides differ.
    pub differences: Vec<Difference>,
}

/// An action left out.
#[derive(Debug, Serialize)]
pub struct Skipped {
    pub action: Option<usize>,
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
];

/// The script both sides play, and what it had to leave out.
#[derive(Debug)]
pub struct Plan {
    pub steps: Vec<Step>,
    pub skipped: Vec<Skipped>,
    pub queues: Vec<String>,
    pub exchanges: Vec<String>,
    /// The script action behind each `get`, for naming differences.
    pub get_actions: Vec<usize>,
}

struct Channels {
    map: BTreeMap<String, ChannelId>,
    next: u32,
}

impl Channels {
    fn get(&mut self, client: &str, steps: &mut Vec<Step>) -> ChannelId {
        if let Some(c) = self.map.get(client) {
            return *c;
        }
        // The engine numbers connections from 1 in the order they open; the
        // live side ignores these two commands and keys its channels by id.
        self.next += 1;
        steps.push(Step::Do(Command::OpenConnection {
            user: "guest".into(),
            password: "guest".into(),
            vhost: "/".into(),
        }));
        steps.push(Step::Do(Command::OpenChannel { connection: self.next }));
        let id = ChannelId { connection: self.next, channel: 1 };
        self.map.insert(client.to_string(), id);
        id
    }
}

fn bind(channel: ChannelId, b: &BindingDef, on: bool) -> Command {
    let arguments = field_table(&b.arguments);
    let (source, destination, routing_key) = (b.source.clone(), b.destination.clone(), b.routing_key.clone());
    match (b.destination_type, on) {
        (DestinationType::Queue, true) => {
            Command::QueueBind { channel, queue: destination, exchange: source, routing_key, arguments }
        }
        (DestinationType::Queue, false) => {
            Command::QueueUnbind { channel, queue: destination, exchange: source, routing_key, arguments }
        }
        (DestinationType::Exchange, true) => {
            Command::ExchangeBind { channel, destination, source, routing_key, arguments }
        }
        (DestinationType::Exchange, false) => {
            Command::ExchangeUnbind { channel, destination, source, routing_key, arguments }
        }
    }
}

/// Turns a scenario's RabbitMQ part into one script for both sides.
pub fn plan(s: &Scenario) -> Plan {
    let mut steps = Vec::new();
    let mut skipped = Vec::new();
    let mut channels = Channels { map: BTreeMap::new(), next: 0 };
    let mut queues: Vec<String> = Vec::new();
    let mut exchanges: Vec<String> = Vec::new();
    let mut get_actions = Vec::new();
    let admin = channels.get("\0admin", &mut steps);
    let r = &s.rabbitmq;
    let other_vhost = |v: &str| v != "/";
    for x in &r.exchanges {
        if other_vhost(&x.vhost) {
            skipped.push(Skipped { action: None, reason: format!("exchange `{}` is in vhost `{}`", x.name, x.vhost) });
            continue;
        }
        exchanges.push(x.name.clone());
        steps.push(Step::Do(Command::ExchangeDeclare {
            channel: admin,
            exchange: x.name.clone(),
            kind: exchange_kind(x.kind),
            passive: false,
            durable: x.durable,
            auto_delete: x.auto_delete,
            internal: x.internal,
            arguments: field_table(&x.arguments),
        }));
    }
    for q in &r.queues {
        if other_vhost(&q.vhost) {
            skipped.push(Skipped { action: None, reason: format!("queue `{}` is in vhost `{}`", q.name, q.vhost) });
            continue;
        }
        queues.push(q.name.clone());
        steps.push(Step::Do(Command::QueueDeclare {
            channel: admin,
            queue: q.name.clone(),
            passive: false,
            durable: q.durable,
            exclusive: false,
            auto_delete: q.auto_delete,
            arguments: field_table(&q.arguments),
        }));
    }
    for b in r.bindings.iter().filter(|b| !other_vhost(&b.vhost)) {
        steps.push(Step::Do(bind(admin, b, true)));
    }
    for c in &r.consumers {
        skipped.push(Skipped {
            action: None,
            reason: format!(
                "consumer `{}`: consumers are not replayed on a live broker; its messages stay queued on both sides",
                c.tag
            ),
        });
    }
    let mut consumed_settles = std::collections::BTreeSet::new();
    for (i, a) in s.script.iter().enumerate() {
        if consumed_settles.contains(&i) {
            continue;
        }
        let vhost = match a {
            Action::Publish { vhost, .. }
            | Action::Get { vhost, .. }
            | Action::Ack { vhost, .. }
            | Action::Nack { vhost, .. }
            | Action::Reject { vhost, .. }
            | Action::Qos { vhost, .. }
            | Action::ConfirmSelect { vhost, .. }
            | Action::Purge { vhost, .. }
            | Action::DeleteQueue { vhost, .. }
            | Action::DeleteExchange { vhost, .. } => vhost.as_str(),
            Action::DeclareQueue { queue } => queue.vhost.as_str(),
            Action::DeclareExchange { exchange } => exchange.vhost.as_str(),
            Action::Bind { binding } | Action::Unbind { binding } => binding.vhost.as_str(),
            _ => "/",
        };
        if other_vhost(vhost) {
            skipped.push(Skipped { action: Some(i), reason: format!("in vhost `{vhost}`") });
            continue;
        }
        match a {
            Action::Publish { client, exchange, routing_key, body, properties, headers, mandatory, .. } => {
                let channel = channels.get(client, &mut steps);
                steps.push(Step::Do(Command::BasicPublish {
                    channel,
                    exchange: exchange.clone(),
                    routing_key: routing_key.clone(),
                    mandatory: *mandatory,
                    properties: basic_properties(properties, headers),
                    body: body.clone(),
                }));
            }
            Action::Get { client, queue, auto_ack, .. } => {
                let channel = channels.get(client, &mut steps);
                // A get is observed with its settlement: the next
                // acknowledgement on the same client without a tag settles it.
                let mut settle = None;
                if !*auto_ack {
                    for (j, later) in s.script.iter().enumerate().skip(i + 1) {
                        match later {
                            Action::Get { client: c, .. } if c == client => break,
                            Action::Ack { client: c, delivery_tag: None, .. } if c == client => {
                                settle = Some((j, Settle::Ack));
                            }
                            Action::Nack { client: c, delivery_tag: None, requeue, .. } if c == client => {
                                settle = Some((j, Settle::Nack { requeue: *requeue }));
                            }
                            Action::Reject { client: c, delivery_tag: None, requeue, .. } if c == client => {
                                settle = Some((j, Settle::Reject { requeue: *requeue }));
                            }
                            _ => continue,
                        }
                        break;
                    }
                }
                let settle = match settle {
                    Some((j, how)) => {
                        consumed_settles.insert(j);
                        how
                    }
                    None if *auto_ack => Settle::Ack,
                    None => {
                        skipped.push(Skipped {
                            action: Some(i),
                            reason: "a get that is never settled is replayed as get-then-requeue".into(),
                        });
                        Settle::Nack { requeue: true }
                    }
                };
                get_actions.push(i);
                steps.push(Step::GetThen { channel, queue: queue.clone(), settle });
            }
            Action::Ack { client, delivery_tag: Some(tag), multiple, .. } => {
                let channel = channels.get(client, &mut steps);
                steps.push(Step::Do(Command::BasicAck { channel, delivery_tag: *tag, multiple: *multiple }));
            }
            Action::Nack { client, delivery_tag: Some(tag), multiple, requeue, .. } => {
                let channel = channels.get(client, &mut steps);
                steps.push(Step::Do(Command::BasicNack {
                    channel,
                    delivery_tag: *tag,
                    multiple: *multiple,
                    requeue: *requeue,
                }));
            }
            Action::Reject { client, delivery_tag: Some(tag), requeue, .. } => {
                let channel = channels.get(client, &mut steps);
                steps.push(Step::Do(Command::BasicReject { channel, delivery_tag: *tag, requeue: *requeue }));
            }
            Action::Ack { .. } | Action::Nack { .. } | Action::Reject { .. } => skipped.push(Skipped {
                action: Some(i),
                reason: "settles a consumer delivery; consumers are not replayed on a live broker".into(),
            }),
            Action::ConfirmSelect { client, .. } => {
                let channel = channels.get(client, &mut steps);
                steps.push(Step::Do(Command::ConfirmSelect { channel }));
            }
            Action::Qos { client, prefetch, global, .. } => {
                let channel = channels.get(client, &mut steps);
                steps.push(Step::Do(Command::BasicQos { channel, prefetch_count: *prefetch, global: *global }));
            }
            Action::DeclareExchange { exchange: x } => {
                exchanges.push(x.name.clone());
                steps.push(Step::Do(Command::ExchangeDeclare {
                    channel: admin,
                    exchange: x.name.clone(),
                    kind: exchange_kind(x.kind),
                    passive: false,
                    durable: x.durable,
                    auto_delete: x.auto_delete,
                    internal: x.internal,
                    arguments: field_table(&x.arguments),
                }));
            }
            Action::DeclareQueue { queue: q } => {
                queues.push(q.name.clone());
                steps.push(Step::Do(Command::QueueDeclare {
                    channel: admin,
                    queue: q.name.clone(),
                    passive: false,
                    durable: q.durable,
                    exclusive: false,
                    auto_delete: q.auto_delete,
                    arguments: field_table(&q.arguments),
                }));
            }
            Action::Bind { binding } => steps.push(Step::Do(bind(admin, binding, true))),
            Action::Unbind { binding } => steps.push(Step::Do(bind(admin, binding, false))),
            Action::DeleteExchange { name, .. } => steps.push(Step::Do(Command::ExchangeDelete {
                channel: admin,
                exchange: name.clone(),
                if_unused: false,
            })),
            Action::DeleteQueue { name, .. } => steps.push(Step::Do(Command::QueueDelete {
                channel: admin,
                queue: name.clone(),
                if_unused: false,
                if_empty: false,
            })),
            Action::Purge { queue, .. } => {
                steps.push(Step::Do(Command::QueuePurge { channel: admin, queue: queue.clone() }))
            }
            Action::AdvanceTime { ms } => steps.push(Step::Wait { millis: *ms }),
            Action::Consume { .. } | Action::Cancel { .. } | Action::CloseClient { .. } => skipped.push(Skipped {
                action: Some(i),
                reason: "consumers and connections are not replayed on a live broker".into(),
            }),
            Action::RestartRabbitmq | Action::Alarm { .. } => skipped
                .push(Skipped { action: Some(i), reason: "verify does not restart or alarm a real broker".into() }),
            // The Kafka part and narration have nothing to verify here.
            _ => {}
        }
    }
    let drain = channels.get("\0drain", &mut steps);
    queues.dedup();
    // Two passes: draining can expire messages stuck behind live ones, which
    // then land in queues drained earlier.
    steps.push(Step::Drain { channel: drain, queues: queues.clone() });
    steps.push(Step::Drain { channel: drain, queues: queues.clone() });
    Plan { steps, skipped, queues, exchanges, get_actions }
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

fn delete_steps(plan: &Plan) -> Vec<Step> {
    let ch = ChannelId { connection: 9999, channel: 1 };
    let mut steps: Vec<Step> = plan
        .queues
        .iter()
        .map(|q| Step::Do(Command::QueueDelete { channel: ch, queue: q.clone(), if_unused: false, if_empty: false }))
        .collect();
    steps.extend(
        plan.exchanges
            .iter()
            .map(|x| Step::Do(Command::ExchangeDelete { channel: ch, exchange: x.clone(), if_unused: false })),
    );
    steps
}

/// The live broker's copy of the script: a publish returns before the broker
/// has routed the message, so a `get` on another channel right after it
/// could race it. A short real-time pause after each publish removes the
/// race; the engine's copy has none, since it would advance logical time.
fn live_steps(steps: &[Step]) -> Vec<Step> {
    let mut out = Vec::with_capacity(steps.len() * 2);
    for s in steps {
        out.push(s.clone());
        if matches!(s, Step::Do(Command::BasicPublish { .. })) {
            out.push(Step::Wait { millis: PUBLISH_SETTLE_MS });
        }
    }
    out
}

/// How long the live side waits after each publish.
const PUBLISH_SETTLE_MS: u64 = 30;

/// Compares what the engine and the broker observed.
pub fn compare(plan: &Plan, engine: &Outcome, broker: &Outcome) -> Vec<Difference> {
    let mut out = Vec::new();
    let n = engine.gets.len().max(broker.gets.len());
    for i in 0..n {
        let e = engine.gets.get(i).cloned().flatten().map(normalise);
        let b = broker.gets.get(i).cloned().flatten().map(normalise);
        if e != b {
            let at = match plan.get_actions.get(i) {
                Some(a) => format!("get at action {a}"),
                None => format!("get #{i}"),
            };
            out.push(Difference { at, engine: json(&e), broker: json(&b) });
        }
    }
    for q in &plan.queues {
        let e: Vec<Observed> = engine.drained.get(q).cloned().unwrap_or_default().into_iter().map(normalise).collect();
        let b: Vec<Observed> = broker.drained.get(q).cloned().unwrap_or_default().into_iter().map(normalise).collect();
        if e != b {
            out.push(Difference { at: format!("messages left in queue `{q}`"), engine: json(&e), broker: json(&b) });
        }
    }
    out
}

/// Runs the plan on the engine and on the broker at `url`, and compares.
/// Queues and exchanges the scenario names are deleted on the broker
/// before and after, so leftovers of an earlier run cannot leak in.
pub fn verify(s: &Scenario, url: &str) -> Result<Verification, String> {
    let plan = plan(s);
    let engine = run_on_engine(&mut Broker::new(s.seed), &plan.steps);
    let mut live = LiveBroker::connect(url).map_err(|e| format!("cannot reach RabbitMQ at {url}: {e}"))?;
    let cleanup = delete_steps(&plan);
    for step in &cleanup {
        // A missing queue or exchange is fine here; only leftovers matter.
        let _ = live.run(std::slice::from_ref(step));
    }
    let broker = live.run(&live_steps(&plan.steps));
    for step in &cleanup {
        let _ = live.run(std::slice::from_ref(step));
    }
    let _ = live.close();
    let mut differences = Vec::new();
    match (&engine, &broker) {
        (Ok(e), Ok(b)) => differences = compare(&plan, e, b),
        (e, b) => {
            let e = e.as_ref().map(|_| "completed".to_string()).unwrap_or_else(|e| e.to_string());
            let b = b.as_ref().map(|_| "completed".to_string()).unwrap_or_else(|e| e.to_string());
            if e != b {
                differences.push(Difference {
                    at: "running the script".into(),
                    engine: serde_json::Value::String(e),
                    broker: serde_json::Value::String(b),
                });
            }
        }
    }
    Ok(Verification { matches: differences.is_empty(), skipped: plan.skipped, ignored: IGNORED.to_vec(), differences })
}

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn a_get_and_a_queue_that_differ_are_both_reported() {
        let s = brokerlab_scenario::presets::get("dlq-retry").expect("preset");
        let p = plan(&s);
        let mut engine = Outcome::default();
        let mut broker = Outcome::default();
        engine.gets = vec![Some(observed("a")), None];
        broker.gets = vec![Some(observed("b")), None];
        engine.drained.insert("work".into(), vec![observed("x")]);
        let diffs = compare(&p, &engine, &broker);
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
    fn a_get_is_replayed_together_with_its_settlement() {
        let s = brokerlab_scenario::presets::get("dlq-retry").expect("preset");
        let p = plan(&s);
        let settles: Vec<Settle> = p
            .steps
            .iter()
            .filter_map(|st| match st {
                Step::GetThen { settle, .. } => Some(*settle),
                _ => None,
            })
            .collect();
        assert_eq!(settles, [Settle::Reject { requeue: false }, Settle::Ack]);
        assert!(p.skipped.is_empty());
    }
}
