//! The comparison: what the engine and the broker observed in one vhost's
//! part, normalised (differences the engine does not model are ignored, see
//! [`IGNORED`]) and listed as [`Difference`](super::Difference)s: each
//! `get`, each settled tag, every consumer's deliveries in order, then the
//! messages left in each queue.

use super::Difference;
use super::plan::Part;
use brokerlab_rabbit::FieldValue;
use brokerlab_rabbit_live::{Observed, Outcome};
use serde::Serialize;

/// Differences between the RabbitMQ release the engine models and 3.x
/// brokers, and between logical and wall-clock time, that the comparison
/// removes from both sides.
pub const IGNORED: &[&str] = &[
    "the `time` field of each x-death entry (wall-clock on the broker, logical in the engine)",
    "x-last-death-* headers (added in RabbitMQ 4.x, which the engine models)",
    "consumer tags the broker generates (consumers are matched in the order they started)",
];

pub(super) fn normalise(mut m: Observed) -> Observed {
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
