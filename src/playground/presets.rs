//! The gallery: starter topologies, each built through the editor's own
//! methods so a preset is always a topology a person could have drawn.

use super::model::{
    ConsumerSettings, Failure, NodeConfig, NodeId, NodeKind, Playground, ProducerSettings, QueueSettings,
    TopicSettings, Topology,
};
use brokerlab_rabbit::ExchangeKind;

/// Every preset: its id and title.
pub fn all() -> Vec<(&'static str, &'static str)> {
    vec![
        ("work-queue", "Work queue"),
        ("fanout-pubsub", "Fanout publish/subscribe"),
        ("topic-routing", "Topic routing"),
        ("headers-routing", "Headers routing"),
        ("retry-dead-letter", "Retry with a dead-letter exchange"),
        ("kafka-key-ordering", "Kafka key ordering"),
        ("scale-consumer-group", "Scaling a consumer group"),
        ("replication-failover", "Replication and failover"),
    ]
}

struct Builder(Playground);

/// Presets are laid out on a 1000-pixel-wide sheet; this fits them to the
/// canvas at its usual width.
fn fit(x: f64, y: f64) -> (f64, f64) {
    (x * 0.8, y)
}

impl Builder {
    fn new() -> Self {
        Builder(Playground::default())
    }
    fn at(&mut self, kind: NodeKind, name: &str, x: f64, y: f64) -> NodeId {
        let id = self.0.add_node(kind, Some(fit(x, y)));
        let _ = self.0.rename(id, name);
        id
    }
    fn exchange(&mut self, kind: ExchangeKind, name: &str, x: f64, y: f64) -> NodeId {
        let id = self.0.add_exchange(kind, Some(fit(x, y)));
        let _ = self.0.rename(id, name);
        id
    }
    fn producer(&mut self, name: &str, key: &str, rate: u32, x: f64, y: f64) -> NodeId {
        let id = self.at(NodeKind::Producer, name, x, y);
        let settings = ProducerSettings { routing_key: key.into(), rate, ..ProducerSettings::default() };
        let _ = self.0.configure(id, NodeConfig::Producer(settings));
        id
    }
    fn consumer(&mut self, name: &str, settings: ConsumerSettings, x: f64, y: f64) -> NodeId {
        let id = self.at(NodeKind::Consumer, name, x, y);
        let _ = self.0.configure(id, NodeConfig::Consumer(settings));
        id
    }
    fn link(&mut self, a: NodeId, b: NodeId, key: &str, args: &str) {
        if let Ok(e) = self.0.connect(a, b)
            && (!key.is_empty() || !args.is_empty())
        {
            let _ = self.0.set_binding(e, key, args);
        }
    }
    fn topic(&mut self, name: &str, partitions: u32, rf: u32, x: f64, y: f64) -> NodeId {
        let id = self.at(NodeKind::Topic, name, x, y);
        let _ = self.0.configure(id, NodeConfig::Topic(TopicSettings { partitions, replication_factor: rf }));
        id
    }
    fn done(self) -> Topology {
        self.0.topology
    }
}

/// The preset called `id`.
pub fn get(id: &str) -> Option<Topology> {
    let mut b = Builder::new();
    let slow = ConsumerSettings { processing_ms: 800, prefetch: 1, ..ConsumerSettings::default() };
    match id {
        "work-queue" => {
            let p = b.producer("tasks", "", 3, 30.0, 120.0);
            let q = b.at(NodeKind::Queue, "work", 280.0, 120.0);
            let c1 = b.consumer("worker-1", slow.clone(), 530.0, 30.0);
            let c2 = b.consumer("worker-2", slow, 530.0, 220.0);
            b.link(p, q, "", "");
            b.link(q, c1, "", "");
            b.link(q, c2, "", "");
        }
        "fanout-pubsub" => {
            let p = b.producer("news", "", 1, 30.0, 120.0);
            let x = b.exchange(ExchangeKind::Fanout, "updates", 260.0, 120.0);
            for (i, name) in ["mail", "search", "audit"].iter().enumerate() {
                let y = 20.0 + i as f64 * 170.0;
                let q = b.at(NodeKind::Queue, name, 500.0, y);
                let c = b.consumer(&format!("{name}-reader"), ConsumerSettings::default(), 740.0, y);
                b.link(x, q, "", "");
                b.link(q, c, "", "");
            }
            b.link(p, x, "", "");
        }
        "topic-routing" => {
            let p = b.producer("shop", "eu.orders", 0, 30.0, 120.0);
            let x = b.exchange(ExchangeKind::Topic, "events", 260.0, 120.0);
            let eu = b.at(NodeKind::Queue, "europe", 500.0, 30.0);
            let orders = b.at(NodeKind::Queue, "orders", 500.0, 220.0);
            b.link(p, x, "", "");
            b.link(x, eu, "eu.#", "");
            b.link(x, orders, "*.orders", "");
        }
        "headers-routing" => {
            let p = b.producer("reports", "", 0, 30.0, 120.0);
            if let Some(NodeConfig::Producer(mut s)) = b.0.topology.node(p).map(|n| n.config.clone()) {
                s.headers = "format=pdf, region=eu".into();
                let _ = b.0.configure(p, NodeConfig::Producer(s));
            }
            let x = b.exchange(ExchangeKind::Headers, "documents", 260.0, 120.0);
            let all = b.at(NodeKind::Queue, "eu-pdf", 500.0, 30.0);
            let any = b.at(NodeKind::Queue, "any-pdf", 500.0, 220.0);
            b.link(p, x, "", "");
            b.link(x, all, "", "x-match=all, format=pdf, region=eu");
            b.link(x, any, "", "x-match=any, format=pdf, region=us");
        }
        "retry-dead-letter" => {
            let p = b.producer("payments", "", 1, 30.0, 30.0);
            let q = b.at(NodeKind::Queue, "work", 280.0, 30.0);
            let dlx = b.exchange(ExchangeKind::Fanout, "dlx", 280.0, 230.0);
            let dead = b.at(NodeKind::Queue, "dead-letters", 530.0, 230.0);
            let failing = ConsumerSettings { failure: Failure::Nack, ..ConsumerSettings::default() };
            let c = b.consumer("flaky", failing, 530.0, 30.0);
            let settings = QueueSettings { dead_letter_exchange: "dlx".into(), ..QueueSettings::default() };
            let _ = b.0.configure(q, NodeConfig::Queue(settings));
            b.link(p, q, "", "");
            b.link(q, c, "", "");
            b.link(dlx, dead, "", "");
        }
        "kafka-key-ordering" => {
            b.at(NodeKind::Broker, "broker-0", 30.0, 300.0);
            let alice = b.producer("alice", "alice", 2, 30.0, 30.0);
            let bob = b.producer("bob", "bob", 2, 30.0, 160.0);
            let t = b.topic("orders", 3, 1, 280.0, 60.0);
            let g = b.at(NodeKind::Group, "billing", 560.0, 60.0);
            let c = b.consumer("billing-1", ConsumerSettings::default(), 800.0, 60.0);
            b.link(alice, t, "", "");
            b.link(bob, t, "", "");
            b.link(t, g, "", "");
            b.link(c, g, "", "");
        }
        "scale-consumer-group" => {
            b.at(NodeKind::Broker, "broker-0", 30.0, 300.0);
            let p = b.producer("clicks", "", 5, 30.0, 60.0);
            let t = b.topic("clicks", 2, 1, 280.0, 60.0);
            let g = b.at(NodeKind::Group, "analytics", 560.0, 60.0);
            b.link(p, t, "", "");
            b.link(t, g, "", "");
            for i in 0..3 {
                let c = b.consumer(
                    &format!("analytics-{}", i + 1),
                    ConsumerSettings::default(),
                    800.0,
                    20.0 + i as f64 * 150.0,
                );
                b.link(c, g, "", "");
            }
        }
        "replication-failover" => {
            for i in 0..3 {
                b.at(NodeKind::Broker, &format!("broker-{i}"), 30.0 + i as f64 * 220.0, 330.0);
            }
            let p = b.producer("ledger", "account-7", 2, 30.0, 60.0);
            let t = b.topic("ledger", 2, 3, 280.0, 40.0);
            b.link(p, t, "", "");
        }
        _ => return None,
    }
    Some(b.done())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::playground::sim::Sim;

    #[test]
    fn every_preset_builds_and_runs_without_problems() {
        for (id, _) in all() {
            let topology = get(id).unwrap();
            let mut sim = Sim::new(&topology);
            for _ in 0..30 {
                sim.step();
            }
            assert!(sim.problems().is_empty(), "{id}: {:?}", sim.problems());
        }
        assert!(get("nope").is_none());
    }
}
