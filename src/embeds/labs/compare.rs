//! The Kafka vs RabbitMQ table made interactive: one workload (six orders
//! from three customers, read by competing consumers) runs on both engines
//! side by side, and a table shows what each broker did, row by row, as the
//! reader sends, consumes, brings in a late reader and replays.
//!
//! [`SideBySide`] is plain Rust over a scenario [`Session`], so native tests
//! check the figures the page shows.

use super::LabState;
use brokerlab_order::CollectOrdered;
use brokerlab_rabbit::Event as AmqpEvent;
use brokerlab_scenario::{Action, Scenario, Session};
use leptos::prelude::*;
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};

/// The customers, which are also the Kafka record keys.
pub const CUSTOMERS: [&str; 3] = ["alice", "bob", "carol"];

/// The workload: (customer, order) in the order they are sent.
pub const ORDERS: [(&str, &str); 6] = [
    ("alice", "alice-1"),
    ("alice", "alice-2"),
    ("bob", "bob-1"),
    ("carol", "carol-1"),
    ("bob", "bob-2"),
    ("carol", "carol-2"),
];

/// Kafka partitions of the `orders` topic.
const PARTITIONS: u32 = 2;

/// Safety net for the consume loops; the workload needs a handful of rounds.
const MAX_ROUNDS: usize = 50;

/// One workload on both engines.
#[derive(Debug)]
pub struct SideBySide {
    consumers: usize,
    session: Session,
    sent: bool,
    consumed: bool,
    /// Bodies each RabbitMQ consumer received, in order.
    rabbit_got: BTreeMap<String, Vec<String>>,
    /// Values each Kafka consumer polled, in order.
    kafka_got: BTreeMap<String, Vec<String>>,
    deliveries: usize,
    polls: usize,
    late: Option<(usize, usize)>,
    replayed: Option<usize>,
}

/// What the page shows: one row per difference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub aspect: &'static str,
    pub rabbit: String,
    pub kafka: String,
}

fn worker(i: usize) -> String {
    format!("worker-{i}")
}

fn action(value: Value) -> Result<Action, String> {
    serde_json::from_value(value).map_err(|e| format!("a comparison step is malformed: {e}"))
}

impl SideBySide {
    /// Both brokers with `consumers` competing consumers (1 to 3), nothing sent.
    pub fn new(consumers: usize) -> Result<Self, String> {
        if !(1..=3).contains(&consumers) {
            return Err(format!("the comparison runs 1 to 3 consumers, not {consumers}"));
        }
        let rabbit_consumers: Vec<Value> =
            (1..=consumers).map(|i| json!({ "tag": worker(i), "queue": "orders", "prefetch": 1 })).collect();
        let mut kafka_consumers: Vec<Value> = (1..=consumers)
            .map(|i| {
                json!({
                    "name": worker(i),
                    "group_id": "workers",
                    "topics": ["orders"],
                    "configs": { "auto.offset.reset": "earliest", "enable.auto.commit": "false", "max.poll.records": "1" }
                })
            })
            .collect();
        // The late reader, in a group of its own, subscribes only when it arrives.
        kafka_consumers
            .push(json!({ "name": "auditor", "group_id": "audit", "configs": { "auto.offset.reset": "earliest" } }));
        let scenario = json!({
            "version": 1,
            "title": "Kafka vs RabbitMQ: one workload",
            "seed": 7,
            "rabbitmq": {
                "exchanges": [{ "name": "orders", "type": "fanout" }],
                "queues": [{ "name": "orders" }],
                "bindings": [{ "source": "orders", "destination": "orders", "destination_type": "queue", "routing_key": "" }],
                "consumers": rabbit_consumers
            },
            "kafka": {
                "topics": [{ "name": "orders", "partitions": PARTITIONS, "replication_factor": 1 }],
                "producers": [{ "name": "shop" }],
                "consumers": kafka_consumers
            },
            "script": []
        });
        let scenario = Scenario::from_json(&scenario.to_string()).map_err(|e| e.to_string())?;
        let session = scenario.start().map_err(|e| e.to_string())?;
        let mut side = Self {
            consumers,
            session,
            sent: false,
            consumed: false,
            rabbit_got: (1..=consumers).map(|i| (worker(i), Vec::new())).collect_map(),
            kafka_got: (1..=consumers).map(|i| (worker(i), Vec::new())).collect_map(),
            deliveries: 0,
            polls: 0,
            late: None,
            replayed: None,
        };
        // Every worker joins its group before anything is sent, so the
        // partitions are shared out once and each key stays with one member.
        for i in 1..=consumers {
            side.apply_ok(json!({ "action": "poll", "consumer": worker(i) }))?;
        }
        side.polls = 0;
        Ok(side)
    }

    pub fn sent(&self) -> bool {
        self.sent
    }
    pub fn consumed(&self) -> bool {
        self.consumed
    }

    /// Applies one action; a refusal becomes the error the page shows.
    fn apply(&mut self, value: Value) -> Result<brokerlab_scenario::StepOutcome, String> {
        let outcome = self.session.apply(&action(value)?);
        for event in &outcome.rabbit {
            if let AmqpEvent::Delivered { consumer_tag, message, queue, .. } = event
                && queue == "orders"
            {
                self.deliveries += 1;
                self.rabbit_got.entry(consumer_tag.clone()).or_default().push(message.body.clone());
            }
        }
        Ok(outcome)
    }

    fn apply_ok(&mut self, value: Value) -> Result<brokerlab_scenario::StepOutcome, String> {
        let outcome = self.apply(value)?;
        match &outcome.error {
            Some(e) => Err(e.clone()),
            None => Ok(outcome),
        }
    }

    /// Sends the six orders to both brokers: a publish to the `orders`
    /// exchange, and a produce to the `orders` topic keyed by customer.
    pub fn send(&mut self) -> Result<(), String> {
        if self.sent {
            return Err("the orders were sent already; reset to start over".to_owned());
        }
        for (customer, order) in ORDERS {
            self.apply_ok(json!({ "action": "publish", "exchange": "orders", "body": order }))?;
            self.apply_ok(
                json!({ "action": "produce", "producer": "shop", "topic": "orders", "key": customer, "value": order }),
            )?;
        }
        self.apply_ok(json!({ "action": "advance_time", "ms": 100 }))?;
        self.sent = true;
        Ok(())
    }

    /// Every consumer works until nothing is left: RabbitMQ consumers ack the
    /// delivery they hold (the broker then pushes the next), Kafka consumers
    /// poll and commit.
    pub fn consume(&mut self) -> Result<(), String> {
        if !self.sent {
            return Err("send the orders first".to_owned());
        }
        for _ in 0..MAX_ROUNDS {
            let mut progressed = false;
            for i in 1..=self.consumers {
                let unacked = self.session.rabbit().queue("/", "orders").map_or(0, |q| q.unacked);
                if unacked == 0 {
                    break;
                }
                // Settles this consumer's oldest delivery, if it holds one.
                let outcome = self.apply(json!({ "action": "ack", "client": worker(i) }))?;
                progressed |= outcome.error.is_none();
            }
            for i in 1..=self.consumers {
                let name = worker(i);
                let outcome = self.apply_ok(json!({ "action": "poll", "consumer": name }))?;
                self.polls += 1;
                if !outcome.polled.is_empty() {
                    progressed = true;
                    let values = outcome.polled.iter().map(|r| text(&r.value));
                    self.kafka_got.entry(name.clone()).or_default().extend(values);
                    self.apply_ok(json!({ "action": "commit", "consumer": name }))?;
                }
            }
            if !progressed && self.kafka_read() >= ORDERS.len() {
                self.consumed = true;
                return Ok(());
            }
        }
        Err("the consumers did not finish".to_owned())
    }

    fn kafka_read(&self) -> usize {
        self.kafka_got.values().map(Vec::len).sum()
    }

    /// A new reader arrives after the fact: on RabbitMQ a new queue bound to
    /// the exchange, on Kafka a new consumer group.
    pub fn late_reader(&mut self) -> Result<(), String> {
        if !self.consumed {
            return Err("let the workers consume first".to_owned());
        }
        self.apply_ok(json!({ "action": "declare_queue", "queue": { "name": "audit" } }))?;
        self.apply_ok(json!({ "action": "bind", "binding": { "source": "orders", "destination": "audit", "destination_type": "queue", "routing_key": "" } }))?;
        let rabbit = self.session.rabbit().queue("/", "audit").map_or(0, |q| q.ready as usize);
        self.apply_ok(json!({ "action": "subscribe", "consumer": "auditor", "topics": ["orders"] }))?;
        let mut kafka = 0;
        for _ in 0..MAX_ROUNDS {
            let outcome = self.apply_ok(json!({ "action": "poll", "consumer": "auditor", "max_records": 100 }))?;
            if outcome.polled.is_empty() && kafka > 0 {
                break;
            }
            kafka += outcome.polled.len();
        }
        self.late = Some((rabbit, kafka));
        Ok(())
    }

    /// The workers go back to the beginning: Kafka seeks every partition to
    /// offset 0; RabbitMQ has nothing left to go back to.
    pub fn replay(&mut self) -> Result<(), String> {
        if !self.consumed {
            return Err("let the workers consume first".to_owned());
        }
        let mut again = 0;
        let owners: Vec<(String, u32)> = self
            .session
            .kafka()
            .group("workers")
            .map(|g| {
                g.members
                    .iter()
                    .flat_map(|m| m.assignment.iter().map(|tp| (m.member_id.clone(), tp.partition)))
                    .collect()
            })
            .unwrap_or_default();
        for (member, partition) in &owners {
            self.apply_ok(json!({ "action": "seek", "consumer": member, "topic": "orders", "partition": partition, "to": "beginning" }))?;
        }
        let members: BTreeSet<String> = owners.into_iter().map(|(m, _)| m).collect();
        for _ in 0..MAX_ROUNDS {
            let mut got = 0;
            for member in &members {
                got += self.apply_ok(json!({ "action": "poll", "consumer": member, "max_records": 100 }))?.polled.len();
            }
            again += got;
            if got == 0 {
                break;
            }
        }
        self.replayed = Some(again);
        Ok(())
    }

    /// The comparison, row by row; a row reads "not yet" until its phase ran.
    pub fn rows(&self) -> Vec<Row> {
        let not_yet = || "not yet".to_owned();
        let who = |got: &BTreeMap<String, Vec<String>>| {
            got.iter()
                .map(|(c, v)| format!("{c}: {}", if v.is_empty() { "nothing".to_owned() } else { v.join(" ") }))
                .collect::<Vec<_>>()
                .join("; ")
        };
        let split = |got: &BTreeMap<String, Vec<String>>| {
            let spread: Vec<&str> = CUSTOMERS
                .into_iter()
                .filter(|c| got.values().filter(|v| v.iter().any(|o| o.starts_with(&format!("{c}-")))).count() > 1)
                .collect();
            if spread.is_empty() {
                "each customer's orders went to one consumer, in order".to_owned()
            } else {
                format!("split across consumers for {}", spread.join(", "))
            }
        };
        let idle = |got: &BTreeMap<String, Vec<String>>| got.values().filter(|v| v.is_empty()).count();
        let queue_depth = self.session.rabbit().queue("/", "orders").map_or(0, |q| q.ready + q.unacked);
        let log_size: i64 = (0..PARTITIONS)
            .filter_map(|p| self.session.kafka().partition("orders", p).ok())
            .map(|p| p.log_end_offset - p.log_start_offset)
            .sum();
        let consumed = self.consumed;
        vec![
            Row {
                aspect: "Who got which order",
                rabbit: if consumed { who(&self.rabbit_got) } else { not_yet() },
                kafka: if consumed { who(&self.kafka_got) } else { not_yet() },
            },
            Row {
                aspect: "Order per customer",
                rabbit: if consumed { split(&self.rabbit_got) } else { not_yet() },
                kafka: if consumed { split(&self.kafka_got) } else { not_yet() },
            },
            Row {
                aspect: "Idle consumers",
                rabbit: if consumed { idle(&self.rabbit_got).to_string() } else { not_yet() },
                kafka: if consumed {
                    format!("{} ({PARTITIONS} partitions, so at most {PARTITIONS} busy members)", idle(&self.kafka_got))
                } else {
                    not_yet()
                },
            },
            Row {
                aspect: "How messages reached consumers",
                rabbit: if consumed {
                    format!("pushed: {} deliveries, at most 1 unacknowledged per consumer", self.deliveries)
                } else {
                    not_yet()
                },
                kafka: if consumed { format!("pulled: {} polls", self.polls) } else { not_yet() },
            },
            Row {
                aspect: "Left in the broker",
                rabbit: if self.sent {
                    format!("{queue_depth} messages in queue orders (acknowledged ones are deleted)")
                } else {
                    not_yet()
                },
                kafka: if self.sent {
                    format!("{log_size} records in topic orders (kept until retention)")
                } else {
                    not_yet()
                },
            },
            Row {
                aspect: "A reader that arrives late",
                rabbit: self.late.map_or_else(not_yet, |(r, _)| format!("new queue audit got {r} of the 6 orders")),
                kafka: self
                    .late
                    .map_or_else(not_yet, |(_, k)| format!("new group audit read {k} of the 6 from offset 0")),
            },
            Row {
                aspect: "Replay",
                rabbit: self.replayed.map_or_else(not_yet, |_| "nothing to replay: the queue is empty".to_owned()),
                kafka: self
                    .replayed
                    .map_or_else(not_yet, |n| format!("workers re-read {n} records after seeking to offset 0")),
            },
        ]
    }
}

fn text(bytes: &Option<Vec<u8>>) -> String {
    bytes.as_deref().map(String::from_utf8_lossy).unwrap_or_default().into_owned()
}

/// The interactive comparison, embedded in the Kafka vs RabbitMQ lesson.
#[component]
pub fn Comparison() -> impl IntoView {
    let consumers = RwSignal::new(2usize);
    let state = LabState::new(SideBySide::new(2), |s: &SideBySide| (s.rows(), s.sent(), s.consumed()));
    let (said, error) = (state.said, state.error);
    let rows = move || state.snapshot.with(|s| s.as_ref().map(|s| s.0.clone()).unwrap_or_default());
    let phase = move || state.snapshot.with(|s| s.as_ref().map_or((false, false), |s| (s.1, s.2)));
    let reset = move |n: usize| {
        consumers.set(n);
        state.replace(SideBySide::new(n), format!("Started over with {n} consumers on each broker."));
    };
    let act = move |f: fn(&mut SideBySide) -> Result<(), String>, done: &'static str| {
        state.act(|s: &mut SideBySide| f(s).map(|()| done.to_owned()))
    };
    view! {
        <section class="live lab compare" aria-labelledby="compare-title">
            <h2 id="compare-title">"Lab: one workload on both brokers"</h2>
            <p class="live-description">
                "Six orders from three customers (alice, bob and carol) go to a RabbitMQ queue with competing consumers and to a Kafka topic with two partitions, keyed by customer, read by a consumer group of the same size. Run each phase and compare."
            </p>
            <fieldset class="lab-choice">
                <legend>"Consumers on each broker"</legend>
                {[1usize, 2, 3]
                    .into_iter()
                    .map(|n| {
                        view! {
                            <label>
                                <input type="radio" name="compare-consumers" prop:checked=move || consumers.get() == n on:change=move |_| reset(n) />
                                {n.to_string()}
                            </label>
                        }
                    })
                    .collect_view()}
            </fieldset>
            <div class="live-controls" role="group" aria-label="Run the comparison">
                <button type="button" disabled=move || phase().0 on:click=move |_| act(SideBySide::send, "Sent the six orders to both brokers.")>
                    "Send 6 orders"
                </button>
                <button
                    type="button"
                    disabled=move || !phase().0 || phase().1
                    on:click=move |_| act(SideBySide::consume, "Both groups of workers consumed everything.")
                >
                    "Consume everything"
                </button>
                <button type="button" disabled=move || !phase().1 on:click=move |_| act(SideBySide::late_reader, "A reader arrived after the fact.")>
                    "Add a late reader"
                </button>
                <button type="button" disabled=move || !phase().1 on:click=move |_| act(SideBySide::replay, "The workers went back to the start.")>
                    "Replay from the start"
                </button>
                <button type="button" on:click=move |_| reset(consumers.get_untracked())>"Reset"</button>
            </div>
            <p class="lab-said" role="status" aria-live="polite">{move || said.get()}</p>
            {move || error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
            <table class="lab-rows compare-table" aria-label="What each broker did">
                <thead>
                    <tr><th scope="col">"Aspect"</th><th scope="col">"RabbitMQ"</th><th scope="col">"Kafka"</th></tr>
                </thead>
                <tbody>
                    {move || {
                        rows()
                            .into_iter()
                            .map(|r| view! { <tr><th scope="row">{r.aspect}</th><td>{r.rabbit}</td><td>{r.kafka}</td></tr> })
                            .collect_view()
                    }}
                </tbody>
            </table>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row<'a>(rows: &'a [Row], aspect: &str) -> &'a Row {
        rows.iter().find(|r| r.aspect == aspect).expect("row")
    }

    #[test]
    fn the_same_workload_shows_the_table_differences() {
        let mut s = SideBySide::new(3).unwrap();
        assert!(s.rows().iter().all(|r| r.rabbit == "not yet" && r.kafka == "not yet"));
        s.send().unwrap();
        s.consume().unwrap();
        let rows = s.rows();
        // RabbitMQ deals orders round-robin, so a customer's orders split;
        // Kafka keeps each key on one partition and so on one consumer.
        assert_eq!(
            row(&rows, "Who got which order").rabbit,
            "worker-1: alice-1 carol-1; worker-2: alice-2 bob-2; worker-3: bob-1 carol-2"
        );
        assert_eq!(row(&rows, "Order per customer").rabbit, "split across consumers for alice, bob, carol");
        assert!(row(&rows, "Order per customer").kafka.starts_with("each customer's orders went to one consumer"));
        assert_eq!(row(&rows, "Idle consumers").rabbit, "0");
        assert!(row(&rows, "Idle consumers").kafka.starts_with("1 "), "three members, two partitions");
        assert_eq!(
            row(&rows, "Left in the broker").rabbit,
            "0 messages in queue orders (acknowledged ones are deleted)"
        );
        assert_eq!(row(&rows, "Left in the broker").kafka, "6 records in topic orders (kept until retention)");
        s.late_reader().unwrap();
        s.replay().unwrap();
        let rows = s.rows();
        assert_eq!(row(&rows, "A reader that arrives late").rabbit, "new queue audit got 0 of the 6 orders");
        assert_eq!(row(&rows, "A reader that arrives late").kafka, "new group audit read 6 of the 6 from offset 0");
        assert_eq!(row(&rows, "Replay").kafka, "workers re-read 6 records after seeking to offset 0");
    }

    #[test]
    fn two_competing_consumers_split_a_customer_on_rabbitmq_only() {
        let mut s = SideBySide::new(2).unwrap();
        s.send().unwrap();
        s.consume().unwrap();
        let rows = s.rows();
        assert!(row(&rows, "Order per customer").rabbit.starts_with("split across consumers"));
        assert!(row(&rows, "Order per customer").kafka.starts_with("each customer's orders went to one consumer"));
        assert_eq!(row(&rows, "Idle consumers").kafka, "0 (2 partitions, so at most 2 busy members)");
    }

    #[test]
    fn phases_out_of_order_are_refused_with_a_reason() {
        let mut s = SideBySide::new(1).unwrap();
        assert_eq!(s.consume(), Err("send the orders first".to_owned()));
        assert_eq!(s.replay(), Err("let the workers consume first".to_owned()));
        s.send().unwrap();
        assert!(s.send().is_err());
        assert!(SideBySide::new(4).is_err());
    }
}
