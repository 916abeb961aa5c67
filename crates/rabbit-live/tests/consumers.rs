//! Differential test of dispatch: several consumers on separate connections,
//! with prefetch limits and `x-priority`, acknowledging, nacking and
//! rejecting with and without requeue, cancelling and closing their
//! channels, interleaved with publishes, played on the engine (as the
//! broker's own release, read from `connection.start`) and on a real
//! RabbitMQ. What each consumer receives, in order, with the step it arrived
//! in, its delivery tag and redelivered flag, must be identical, and so must
//! what is left in the queue.
//!
//! The broker URL comes from `BROKERLAB_AMQP_URL` (default
//! `amqp://guest:guest@127.0.0.1:5672/%2f`); without a reachable broker the
//! test fails. Each case uses its own queue, deleted afterwards.
//!
//! The script is generated step by step beside an engine, so it only
//! settles on channels that hold deliveries and only cancels consumers that
//! exist. The live side waits after each step for the deliveries the engine
//! made by then and watches a grace period for more, so a broker that
//! delivers to another consumer, or later, shows up as a difference.

use std::time::Duration;

use brokerlab_rabbit::{BasicProperties, Broker, ChannelId, Command, ConnectionId, FieldTable, FieldValue, Version};
use brokerlab_rabbit_live::{LiveBroker, Pacing, Settle, Step, run_on_engine, server_version};
use rand_chacha::ChaCha8Rng;
use rand_core::{RngCore, SeedableRng};

const CASES: u64 = 24;
const FIRST_SEED: u64 = 7_000;
const OPS: usize = 30;
const CONNECTIONS: ConnectionId = 3;

fn url() -> String {
    std::env::var("BROKERLAB_AMQP_URL").unwrap_or_else(|_| "amqp://guest:guest@127.0.0.1:5672/%2f".to_string())
}

struct Gen {
    rng: ChaCha8Rng,
    engine: Broker,
    steps: Vec<Step>,
    queue: String,
    /// Open channels, and the consumers started on each.
    channels: Vec<(ChannelId, Vec<String>)>,
    next_tag: u32,
    next_body: u32,
}

impl Gen {
    fn below(&mut self, n: u64) -> u64 {
        self.rng.next_u64() % n
    }

    /// Runs a step on the generator's engine and keeps it in the script.
    fn push(&mut self, step: Step) {
        run_on_engine(&mut self.engine, std::slice::from_ref(&step)).expect("the generator's engine runs it");
        self.steps.push(step);
    }

    fn open_consumer(&mut self, connection: ConnectionId) {
        let before: Vec<ChannelId> = self.engine.channels().iter().map(|c| c.channel).collect();
        self.push(Step::Do(Command::OpenChannel { connection }));
        let channel = self
            .engine
            .channels()
            .iter()
            .map(|c| c.channel)
            .find(|c| !before.contains(c))
            .expect("the new channel is open");
        let prefetch = [0u16, 1, 1, 2, 3][self.below(5) as usize];
        self.push(Step::Do(Command::BasicQos { channel, prefetch_count: prefetch, global: false }));
        let tag = format!("c{}", self.next_tag);
        self.next_tag += 1;
        let mut arguments = FieldTable::new();
        if self.below(3) == 0 {
            arguments.insert("x-priority".into(), FieldValue::LongLongInt([5, -1][self.below(2) as usize]));
        }
        self.push(Step::Do(Command::BasicConsume {
            channel,
            queue: self.queue.clone(),
            consumer_tag: tag.clone(),
            no_ack: false,
            exclusive: false,
            arguments,
        }));
        self.channels.push((channel, vec![tag]));
    }

    fn publish(&mut self) {
        let i = self.below(self.channels.len() as u64) as usize;
        let channel = self.channels[i].0;
        let body = format!("m{}", self.next_body);
        self.next_body += 1;
        self.push(Step::Do(Command::BasicPublish {
            channel,
            exchange: String::new(),
            routing_key: self.queue.clone(),
            mandatory: false,
            properties: BasicProperties::default(),
            body,
        }));
    }
}

fn generate(seed: u64, version: Version, prefix: &str) -> Vec<Step> {
    let queue = format!("{prefix}q");
    let mut g = Gen {
        rng: ChaCha8Rng::seed_from_u64(seed),
        engine: Broker::with_version(seed, version),
        steps: Vec::new(),
        queue: queue.clone(),
        channels: Vec::new(),
        next_tag: 1,
        next_body: 1,
    };
    for _ in 0..CONNECTIONS {
        g.push(Step::Do(Command::OpenConnection { user: "guest".into(), password: "guest".into(), vhost: "/".into() }));
    }
    g.push(Step::Do(Command::OpenChannel { connection: 1 }));
    let admin = ChannelId { connection: 1, channel: 1 };
    g.push(Step::Do(Command::QueueDeclare {
        channel: admin,
        queue: queue.clone(),
        passive: false,
        durable: true,
        exclusive: false,
        auto_delete: false,
        arguments: FieldTable::new(),
    }));
    g.channels.push((admin, Vec::new()));
    for c in 1..=CONNECTIONS {
        g.open_consumer(c);
    }
    for _ in 0..OPS {
        let holding: Vec<ChannelId> =
            g.engine.channels().iter().filter(|c| !c.unacked.is_empty()).map(|c| c.channel).collect();
        let roll = g.below(100);
        if roll < 40 || holding.is_empty() && roll < 75 {
            g.publish();
        } else if roll < 75 {
            let channel = holding[g.below(holding.len() as u64) as usize];
            let how = match g.below(6) {
                0..=2 => Settle::Ack,
                3 => Settle::Nack { requeue: true },
                4 => Settle::Reject { requeue: true },
                _ => Settle::Reject { requeue: false },
            };
            g.push(Step::Settle { channel, delivery_tag: None, multiple: false, how });
        } else if roll < 83 {
            // Cancel one consumer; its deliveries stay unacknowledged.
            let with: Vec<usize> = (0..g.channels.len()).filter(|&i| !g.channels[i].1.is_empty()).collect();
            if let Some(&i) = with.get(g.below(with.len().max(1) as u64) as usize) {
                let (channel, tags) = &mut g.channels[i];
                let channel = *channel;
                let tag = tags.remove(0);
                g.push(Step::Do(Command::BasicCancel { channel, consumer_tag: tag }));
            }
        } else if roll < 90 {
            // Close a consumer's channel: its deliveries go back to the queue.
            let with: Vec<usize> = (1..g.channels.len()).collect();
            if let Some(&i) = with.get(g.below(with.len().max(1) as u64) as usize) {
                let (channel, _) = g.channels.remove(i);
                g.push(Step::Do(Command::CloseChannel { channel }));
            }
        } else {
            let connection = 1 + g.below(u64::from(CONNECTIONS)) as ConnectionId;
            g.open_consumer(connection);
        }
    }
    // Close every consumer channel so what they hold returns, then drain.
    for (channel, _) in g.channels.split_off(1) {
        g.push(Step::Do(Command::CloseChannel { channel }));
    }
    g.push(Step::Drain { channel: admin, queues: vec![queue.clone()] });
    g.push(Step::Do(Command::QueueDelete { channel: admin, queue, if_unused: false, if_empty: false }));
    g.steps
}

/// Each consumer's deliveries on one line: `tag: body@step(tag)[r]`.
fn compact(consumers: &[brokerlab_rabbit_live::Consumed]) -> String {
    consumers
        .iter()
        .map(|c| {
            let list: Vec<String> = c
                .deliveries
                .iter()
                .map(|d| {
                    format!(
                        "{}@{}#{}{}",
                        d.message.body,
                        d.step,
                        d.delivery_tag,
                        if d.message.redelivered { "r" } else { "" }
                    )
                })
                .collect();
            format!("\n   {}: {}", c.consumer_tag, list.join(" "))
        })
        .collect()
}

#[test]
fn each_consumer_receives_what_a_real_rabbitmq_gives_it_in_the_same_order() {
    let url = url();
    let announced = server_version(&url).unwrap_or_else(|e| {
        panic!(
            "cannot reach RabbitMQ at {url}: {e}\nStart one with:\n  RABBITMQ_NODE_IP_ADDRESS=127.0.0.1 \
             RABBITMQ_NODENAME=rabbit@localhost rabbitmq-server -detached\n  rabbitmqctl -n rabbit@localhost \
             await_startup\nor point BROKERLAB_AMQP_URL at a broker. This test never passes without one."
        )
    });
    let version = Version::from_server(&announced).expect("a release the engine models");
    let run = format!("blc{}-", std::process::id());
    let mut failures = Vec::new();
    let mut deliveries = 0usize;
    for seed in FIRST_SEED..FIRST_SEED + CASES {
        let steps = generate(seed, version, &format!("{run}{seed}-"));
        let mut engine = Broker::with_version(seed, version);
        let expected = run_on_engine(&mut engine, &steps).unwrap_or_else(|e| panic!("seed {seed}: engine: {e}"));
        let mut live = LiveBroker::connect(&url).unwrap_or_else(|e| panic!("cannot reach RabbitMQ at {url}: {e}"));
        live.set_pacing(Pacing {
            after_publish: Duration::from_millis(5),
            delivery_timeout: Duration::from_secs(3),
            grace: Duration::from_millis(60),
        });
        let got = live.run_expecting(&steps, &expected);
        let _ = live.close();
        let got = match got {
            Ok(g) => g,
            Err(e) => {
                failures.push(format!("seed {seed}: the broker refused the script: {e}"));
                continue;
            }
        };
        deliveries += expected.consumers.iter().map(|c| c.deliveries.len()).sum::<usize>();
        if got.consumers != expected.consumers || got.drained != expected.drained {
            failures.push(format!(
                "seed {seed}: the consumers differ\n engine: {}\n broker: {}\n left: engine {:?}, broker {:?}\n script:\n{}",
                compact(&expected.consumers),
                compact(&got.consumers),
                expected.drained.values().flatten().map(|m| &m.body).collect::<Vec<_>>(),
                got.drained.values().flatten().map(|m| &m.body).collect::<Vec<_>>(),
                steps.iter().enumerate().map(|(i, s)| format!("  {i}: {s:?}")).collect::<Vec<_>>().join("\n")
            ));
        }
    }
    eprintln!("RabbitMQ {announced} as engine profile {version}: {CASES} cases, {deliveries} deliveries compared");
    assert!(deliveries > CASES as usize * 5, "too few deliveries compared: {deliveries}");
    assert!(failures.is_empty(), "{} of {CASES} cases differ:\n{}", failures.len(), failures.join("\n\n"));
}
