//! What the canvas cannot show, carried over from the challenge's start.
//!
//! The canvas draws parts and wiring but not every setting: exchange and
//! queue durability, exchange arguments, queue arguments other than TTL, max
//! length and dead-letter exchange, vhosts, Kafka topic, producer and
//! consumer configs, and producers that no script has wired yet. Written
//! back as a scenario, a start drawn on the canvas would lose them, and a
//! probe would then meet a different broker from the one the challenge was
//! written for (a producer `shop` it cannot find, a durable queue that is
//! not). [`carry_over`] puts back, on every part the answer still has by
//! name, the start's settings the canvas cannot change. What the learner can
//! change on the canvas (the wiring, binding keys, exchange types, TTL, max
//! length, dead-lettering, partitions, a RabbitMQ consumer's prefetch) is
//! always the canvas's.

use brokerlab_scenario::Scenario;

/// Queue arguments the canvas edits (see `scenario::write::queue_arguments`); the
/// canvas's value, or its absence, wins for these.
const CANVAS_QUEUE_ARGUMENTS: &[&str] = &["x-message-ttl", "x-max-length", "x-dead-letter-exchange"];

/// Puts the start's settings that the canvas cannot show back onto `answer`.
pub fn carry_over(answer: &mut Scenario, start: &Scenario) {
    let (r, was) = (&mut answer.rabbitmq, &start.rabbitmq);
    r.version = was.version;
    for v in &was.vhosts {
        if !r.vhosts.iter().any(|a| a.name == v.name) {
            r.vhosts.push(v.clone());
        }
    }
    for x in &mut r.exchanges {
        if let Some(w) = was.exchanges.iter().find(|w| w.name == x.name && w.vhost == x.vhost) {
            x.durable = w.durable;
            x.auto_delete = w.auto_delete;
            x.internal = w.internal;
            x.arguments = w.arguments.clone();
        }
    }
    for q in &mut r.queues {
        if let Some(w) = was.queues.iter().find(|w| w.name == q.name && w.vhost == q.vhost) {
            q.durable = w.durable;
            q.auto_delete = w.auto_delete;
            for (name, value) in &w.arguments {
                if !CANVAS_QUEUE_ARGUMENTS.contains(&name.as_str()) {
                    q.arguments.insert(name.clone(), value.clone());
                }
            }
        }
    }
    let (k, was) = (&mut answer.kafka, &start.kafka);
    for t in &mut k.topics {
        if let Some(w) = was.topics.iter().find(|w| w.name == t.name) {
            t.configs = w.configs.clone();
        }
    }
    for p in &was.producers {
        // A producer the canvas still has, wired or not, keeps its configs.
        let drawn = answer.canvas.producers.iter().any(|c| c.name == p.name);
        match k.producers.iter_mut().find(|a| a.name == p.name) {
            Some(a) => a.configs = p.configs.clone(),
            None if drawn => k.producers.push(p.clone()),
            None => {}
        }
    }
    // A group member of the start keeps exactly the start's configs: the
    // canvas's own defaults (a short session timeout, reading from the
    // earliest offset) would change what the challenge is about.
    for c in &mut k.consumers {
        if let Some(w) = was.consumers.iter().find(|w| w.name == c.name) {
            c.configs = w.configs.clone();
        }
    }
}
