//! Differential test: random topologies played on the engine and on a real
//! RabbitMQ, whose queue contents (order, bodies, routing keys, exchanges,
//! redelivery flags and dead-letter headers) must be identical.
//!
//! The broker URL comes from `BROKERLAB_AMQP_URL` (default
//! `amqp://guest:guest@127.0.0.1:5672/%2f`). Without a reachable broker the
//! test fails; it never passes silently.
//!
//! Each case lives under its own name prefix and is deleted afterwards.
//! Cases run in batches on the broker so the waits for TTLs overlap, while
//! each case runs alone on a fresh engine.
//!
//! Topologies are shaped so that a real broker's concurrency cannot reorder
//! anything: every queue that dead-letters has its own dead-letter exchange
//! and queues, so each dead-letter queue is fed by one queue process only,
//! and TTL values are far enough apart that real-time jitter cannot swap two
//! expirations.

use std::collections::BTreeMap;
use std::time::Instant;

use brokerlab_rabbit::{BasicProperties, Broker, ChannelId, Command, ExchangeKind, FieldTable, FieldValue, Version};
use brokerlab_rabbit_live::{LiveBroker, Observed, Outcome, Settle, Step, run_on_engine, server_version};
use rand_chacha::ChaCha8Rng;
use rand_core::{RngCore, SeedableRng};

const CASES: u64 = 300;
const BATCH: u64 = 30;
const FIRST_SEED: u64 = 1_000;
/// Longer than any chain of TTLs a case can build (source 200 ms, then a
/// dead-letter queue's 120 ms, twice round at most), with margin.
const SETTLE_MS: u64 = 800;

/// What this test keeps out of the comparison, and why. The engine runs as
/// the broker's own release (read from `connection.start`), so release
/// differences need no exclusion; what is left is what a real broker cannot
/// show deterministically, or a case where the broker breaks its own rule.
/// Nothing else is excluded.
const EXCLUSIONS: &[(&str, &str)] = &[
    (
        "x-death 'time' field",
        "a wall-clock timestamp on the broker and a logical one in the engine; removed from both sides (queue, reason, count, exchange, routing-keys and original-expiration are compared)",
    ),
    (
        "topic binding keys with more than two '#' words",
        "refused only since RabbitMQ 4.3.5; the generator never produces them (the engine's tests cover the refusal and the 3.10 profile's acceptance)",
    ),
    (
        "quorum queues",
        "a quorum queue's delivery limit and return order differ by release and are covered by the engine's own tests; only classic queues are generated",
    ),
    (
        "per-message TTL in priority queues",
        "observed on 3.10.8 (seeds 1099 and 1265 of an earlier run): a priority queue handed out a message whose per-message TTL had passed, against the documented rule that expired messages are never delivered, which the engine follows; cases with a priority queue publish no per-message TTLs",
    ),
    (
        "headers exchange value comparison",
        "the generator uses string header values only; the 3.10 profile's == comparison of numbers is covered by the engine's own tests",
    ),
];

const CH: ChannelId = ChannelId { connection: 1, channel: 1 };

struct Case {
    setup: Vec<Step>,
    ops: Vec<Step>,
    drain_order: Vec<String>,
    queues: Vec<String>,
    exchanges: Vec<String>,
}

struct Gen {
    rng: ChaCha8Rng,
}

impl Gen {
    fn below(&mut self, n: u64) -> u64 {
        self.rng.next_u64() % n
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
    fn routing_key(&mut self) -> String {
        if self.chance(8) {
            return String::new();
        }
        let n = 1 + self.below(3);
        (0..n).map(|_| *self.pick(&["a", "b", "c"])).collect::<Vec<_>>().join(".")
    }
    fn topic_key(&mut self) -> String {
        let n = 1 + self.below(3);
        let mut hashes = 0;
        (0..n)
            .map(|_| {
                let w = *self.pick(&["a", "b", "*", "#", "c"]);
                if w == "#" {
                    hashes += 1;
                    if hashes > 2 {
                        return "a";
                    }
                }
                w
            })
            .collect::<Vec<_>>()
            .join(".")
    }
    fn binding_key(&mut self, kind: ExchangeKind) -> String {
        match kind {
            ExchangeKind::Topic => self.topic_key(),
            _ => self.routing_key(),
        }
    }
    fn headers_args(&mut self) -> FieldTable {
        let mut t = FieldTable::new();
        t.insert("x-match".into(), FieldValue::str(*self.pick(&["all", "any", "all-with-x", "any-with-x"])));
        for k in ["h1", "h2", "x-h"] {
            if self.chance(60) {
                t.insert(k.into(), FieldValue::str(*self.pick(&["1", "2"])));
            }
        }
        t
    }
    fn kind(&mut self) -> ExchangeKind {
        *self.pick(&[ExchangeKind::Direct, ExchangeKind::Fanout, ExchangeKind::Topic, ExchangeKind::Headers])
    }
}

fn int(v: i64) -> FieldValue {
    FieldValue::LongLongInt(v)
}

fn declare_exchange(name: &str, kind: ExchangeKind, arguments: FieldTable) -> Step {
    Step::Do(Command::ExchangeDeclare {
        channel: CH,
        exchange: name.into(),
        kind,
        passive: false,
        durable: false,
        auto_delete: false,
        internal: false,
        arguments,
    })
}

fn declare_queue(name: &str, arguments: FieldTable) -> Step {
    Step::Do(Command::QueueDeclare {
        channel: CH,
        queue: name.into(),
        passive: false,
        durable: false,
        exclusive: false,
        auto_delete: false,
        arguments,
    })
}

fn bind(queue: &str, exchange: &str, key: &str, arguments: FieldTable) -> Step {
    Step::Do(Command::QueueBind {
        channel: CH,
        queue: queue.into(),
        exchange: exchange.into(),
        routing_key: key.into(),
        arguments,
    })
}

fn generate(seed: u64, prefix: &str) -> Case {
    let mut g = Gen { rng: ChaCha8Rng::seed_from_u64(seed) };
    let p = |s: &str| format!("{prefix}{s}");
    let mut setup = Vec::new();
    let mut exchanges = Vec::new();
    let mut queues = Vec::new();
    let mut later_queues = Vec::new();

    // Entry exchanges, optionally with alternate exchanges.
    let n_x = 1 + g.below(3) as usize;
    let kinds: Vec<ExchangeKind> = (0..n_x).map(|_| g.kind()).collect();
    let xname = |i: usize| p(&format!("x{i}"));
    let ae = p("ae");
    let aeq = p("aeq");
    let mut uses_ae = false;
    // Declare in reverse so alternates (always of a higher index) exist first.
    for i in (0..n_x).rev() {
        let mut args = FieldTable::new();
        if g.chance(30) {
            let target = if i + 1 < n_x && g.chance(50) {
                xname(i + 1 + g.below((n_x - i - 1) as u64) as usize)
            } else {
                uses_ae = true;
                ae.clone()
            };
            args.insert("alternate-exchange".into(), FieldValue::str(target));
        }
        setup.push((i, args));
    }
    let mut steps = Vec::new();
    if uses_ae {
        steps.push(declare_exchange(&ae, ExchangeKind::Fanout, FieldTable::new()));
        steps.push(declare_queue(&aeq, FieldTable::new()));
        steps.push(bind(&aeq, &ae, "", FieldTable::new()));
        exchanges.push(ae.clone());
        queues.push(aeq.clone());
    }
    for (i, args) in setup {
        steps.push(declare_exchange(&xname(i), kinds[i], args));
        exchanges.push(xname(i));
    }
    // Exchange-to-exchange bindings, loops included.
    for _ in 0..g.below(3) {
        let (s, d) = (g.below(n_x as u64) as usize, g.below(n_x as u64) as usize);
        if s == d {
            continue;
        }
        let kind = kinds[s];
        let key = g.binding_key(kind);
        let args = if kind == ExchangeKind::Headers { g.headers_args() } else { FieldTable::new() };
        steps.push(Step::Do(Command::ExchangeBind {
            channel: CH,
            destination: xname(d),
            source: xname(s),
            routing_key: key,
            arguments: args,
        }));
    }

    // Source queues with limits, TTLs and private dead-letter topologies.
    let n_q = 1 + g.below(4) as usize;
    let mut dlqs = Vec::new();
    let mut never_reject: Vec<String> = Vec::new();
    let mut has_priority_queue = false;
    for i in 0..n_q {
        let q = p(&format!("q{i}"));
        let mut args = FieldTable::new();
        if g.chance(45) {
            args.insert("x-max-length".into(), int(1 + g.below(3) as i64));
        } else if g.chance(15) {
            args.insert("x-max-length-bytes".into(), int(3 + g.below(8) as i64));
        }
        if args.contains_key("x-max-length") || args.contains_key("x-max-length-bytes") {
            let mode = *g.pick(&["drop-head", "reject-publish", "reject-publish-dlx"]);
            if mode != "drop-head" || g.chance(50) {
                args.insert("x-overflow".into(), FieldValue::str(mode));
            }
        }
        if g.chance(35) {
            args.insert("x-message-ttl".into(), int(*g.pick(&[100, 200])));
        }
        if g.chance(15) {
            args.insert("x-max-priority".into(), int(3));
            has_priority_queue = true;
        }
        if g.chance(70) {
            let dlx = p(&format!("dlx{i}"));
            let kind = *g.pick(&[ExchangeKind::Fanout, ExchangeKind::Direct, ExchangeKind::Topic]);
            args.insert("x-dead-letter-exchange".into(), FieldValue::str(&dlx));
            let dlrk = if g.chance(40) { Some(g.routing_key()) } else { None };
            if let Some(k) = &dlrk {
                args.insert("x-dead-letter-routing-key".into(), FieldValue::str(k));
            }
            steps.push(declare_exchange(&dlx, kind, FieldTable::new()));
            exchanges.push(dlx.clone());
            for j in 0..(1 + g.below(2)) {
                let dlq = p(&format!("dlq{i}-{j}"));
                let mut dargs = FieldTable::new();
                match g.below(4) {
                    0 => {
                        dargs.insert("x-max-length".into(), int(1 + g.below(2) as i64));
                    }
                    1 => {
                        // Expire back into the source queue (a cycle unless
                        // a rejection is in it) or on into a final queue.
                        dargs.insert("x-message-ttl".into(), int(120));
                        dargs.insert("x-dead-letter-exchange".into(), FieldValue::str(""));
                        let back = if g.chance(50) {
                            // A loop with a rejection in it never ends (RabbitMQ
                            // only breaks loops without one), so its timing would
                            // decide the outcome; such queues get no rejections.
                            never_reject.push(q.clone());
                            q.clone()
                        } else {
                            let fin = p(&format!("final{i}-{j}"));
                            later_queues.push(fin.clone());
                            fin
                        };
                        dargs.insert("x-dead-letter-routing-key".into(), FieldValue::str(back));
                    }
                    _ => {}
                }
                dlqs.push((dlq.clone(), dargs));
                let key = match (kind, &dlrk) {
                    (ExchangeKind::Topic, _) if g.chance(50) => "#".to_string(),
                    (_, Some(k)) if g.chance(70) => k.clone(),
                    (k, _) => g.binding_key(k),
                };
                steps.push(bind(&dlq, &dlx, &key, FieldTable::new()));
            }
        }
        steps.push(declare_queue(&q, args));
        queues.push(q.clone());
        // Bind to one or two entry exchanges.
        for _ in 0..(1 + g.below(2)) {
            let x = g.below(n_x as u64) as usize;
            let kind = kinds[x];
            let key = g.binding_key(kind);
            let args = if kind == ExchangeKind::Headers { g.headers_args() } else { FieldTable::new() };
            steps.push(bind(&q, &xname(x), &key, args));
        }
    }
    // Dead-letter queues and final queues must exist before their bindings;
    // move their declarations to the front of the binding steps.
    let mut ordered = Vec::new();
    for fin in &later_queues {
        ordered.push(declare_queue(fin, FieldTable::new()));
    }
    for (dlq, dargs) in &dlqs {
        ordered.push(declare_queue(dlq, dargs.clone()));
    }
    // Exchanges first (they are declared in `steps` before any binding that
    // needs them), then queues, then bindings: split `steps` accordingly.
    let (decl_x, rest): (Vec<_>, Vec<_>) =
        steps.into_iter().partition(|s| matches!(s, Step::Do(Command::ExchangeDeclare { .. })));
    let (decl_q, binds): (Vec<_>, Vec<_>) =
        rest.into_iter().partition(|s| matches!(s, Step::Do(Command::QueueDeclare { .. })));
    let mut setup_steps = decl_x;
    setup_steps.extend(ordered);
    setup_steps.extend(decl_q);
    setup_steps.extend(binds);

    // Publishes.
    let mut ops = Vec::new();
    for m in 0..(4 + g.below(9)) {
        let (exchange, rk) = if g.chance(15) {
            let target = if g.chance(80) { p(&format!("q{}", g.below(n_q as u64))) } else { p("nowhere") };
            (String::new(), target)
        } else {
            (xname(g.below(n_x as u64) as usize), g.routing_key())
        };
        let mut props = BasicProperties { delivery_mode: Some(if g.chance(50) { 2 } else { 1 }), ..Default::default() };
        if g.chance(20) && !has_priority_queue {
            props.expiration = Some(g.pick(&["150", "250"]).to_string());
        }
        if g.chance(30) {
            props.priority = Some(g.below(6) as u8);
        }
        if g.chance(60) {
            let mut h = FieldTable::new();
            for k in ["h1", "h2", "x-h"] {
                if g.chance(60) {
                    h.insert(k.into(), FieldValue::str(*g.pick(&["1", "2"])));
                }
            }
            props.headers = Some(h);
        }
        let body = format!("m{m}-{}", "x".repeat(g.below(4) as usize));
        ops.push(Step::Do(Command::BasicPublish {
            channel: CH,
            exchange,
            routing_key: rk,
            mandatory: false,
            properties: props,
            body,
        }));
    }
    // Consumers' verdicts on a few messages.
    for _ in 0..g.below(5) {
        let q = p(&format!("q{}", g.below(n_q as u64)));
        let mut settle = *g.pick(&[
            Settle::Ack,
            Settle::Reject { requeue: false },
            Settle::Reject { requeue: true },
            Settle::Nack { requeue: false },
            Settle::Nack { requeue: true },
        ]);
        if never_reject.contains(&q)
            && matches!(settle, Settle::Reject { requeue: false } | Settle::Nack { requeue: false })
        {
            settle = Settle::Ack;
        }
        ops.push(Step::GetThen { channel: CH, queue: q, settle });
    }
    let mut drain_order = queues.clone();
    drain_order.extend(dlqs.iter().map(|d| d.0.clone()));
    drain_order.extend(later_queues.iter().cloned());
    let mut all_queues = drain_order.clone();
    all_queues.sort();
    Case { setup: setup_steps, ops, drain_order, queues: all_queues, exchanges }
}

/// Removes what the comparison leaves out (see `EXCLUSIONS`).
fn normalise(mut m: Observed) -> Observed {
    if let Some(FieldValue::FieldArray(deaths)) = m.headers.get_mut("x-death") {
        for d in deaths {
            if let FieldValue::FieldTable(t) = d {
                t.remove("time");
            }
        }
    }
    m
}

fn normalise_outcome(o: Outcome) -> Outcome {
    Outcome {
        gets: o.gets.into_iter().map(|g| g.map(normalise)).collect(),
        drained: o.drained.into_iter().map(|(k, v)| (k, v.into_iter().map(normalise).collect())).collect(),
        // The generated scripts start no consumers and settle nothing by itself.
        consumers: o.consumers,
        settled: o.settled,
    }
}

fn drain_steps(case: &Case) -> Vec<Step> {
    // Two passes: draining a queue can expire messages stuck behind live
    // ones, which then land in queues drained earlier.
    vec![
        Step::Drain { channel: CH, queues: case.drain_order.clone() },
        Step::Drain { channel: CH, queues: case.drain_order.clone() },
    ]
}

fn cleanup_steps(case: &Case) -> Vec<Step> {
    let mut steps: Vec<Step> = case
        .queues
        .iter()
        .map(|q| Step::Do(Command::QueueDelete { channel: CH, queue: q.clone(), if_unused: false, if_empty: false }))
        .collect();
    steps.extend(
        case.exchanges
            .iter()
            .map(|x| Step::Do(Command::ExchangeDelete { channel: CH, exchange: x.clone(), if_unused: false })),
    );
    steps
}

#[test]
fn engine_matches_a_real_rabbitmq_on_random_topologies() {
    let url =
        std::env::var("BROKERLAB_AMQP_URL").unwrap_or_else(|_| "amqp://guest:guest@127.0.0.1:5672/%2f".to_string());
    let mut live = match LiveBroker::connect(&url) {
        Ok(l) => l,
        Err(e) => panic!(
            "cannot reach RabbitMQ at {url}: {e}\n\
             Start one with:\n  RABBITMQ_NODE_IP_ADDRESS=127.0.0.1 RABBITMQ_NODENAME=rabbit@localhost rabbitmq-server -detached\n  \
             rabbitmqctl -n rabbit@localhost await_startup\n\
             or point BROKERLAB_AMQP_URL at a broker. This test never passes without one."
        ),
    };
    let version = broker_version(&url);
    eprintln!("the engine runs as RabbitMQ {version}; kept out of the comparison:");
    for (what, why) in EXCLUSIONS {
        eprintln!("  - {what}: {why}");
    }
    let started = Instant::now();
    let run = format!("bl{}-", std::process::id());
    let mut failures = Vec::new();
    let mut compared_messages = 0usize;
    for batch_start in (0..CASES).step_by(BATCH as usize) {
        let seeds: Vec<u64> = (batch_start..(batch_start + BATCH).min(CASES)).map(|i| FIRST_SEED + i).collect();
        let cases: Vec<(u64, Case)> = seeds.iter().map(|&s| (s, generate(s, &format!("{run}{s}-")))).collect();
        // The broker runs the whole batch with one shared wait.
        let mut script = Vec::new();
        for (_, c) in &cases {
            script.extend(c.setup.iter().cloned());
            script.extend(c.ops.iter().cloned());
        }
        script.push(Step::Wait { ms: SETTLE_MS });
        for (_, c) in &cases {
            script.extend(drain_steps(c));
        }
        let live_out =
            live.run(&script).unwrap_or_else(|e| panic!("broker refused batch starting at seed {}: {e}", seeds[0]));
        let mut cleanup = Vec::new();
        for (_, c) in &cases {
            cleanup.extend(cleanup_steps(c));
        }
        live.run(&cleanup).unwrap_or_else(|e| panic!("cleanup failed: {e}"));
        let live_out = normalise_outcome(live_out);
        let mut gets = live_out.gets.into_iter();
        for (seed, c) in &cases {
            let mut engine = Broker::with_version(*seed, version);
            engine.connect("guest", "guest", "/").expect("guest connects");
            let mut script = c.setup.clone();
            script.extend(c.ops.iter().cloned());
            script.push(Step::Wait { ms: SETTLE_MS });
            script.extend(drain_steps(c));
            let eng = normalise_outcome(
                run_on_engine(&mut engine, &script)
                    .unwrap_or_else(|e| panic!("seed {seed}: engine refused the script: {e}")),
            );
            if let Err(e) = engine.check_invariants() {
                failures.push(format!("seed {seed}: invariant broken: {e}"));
            }
            let live_gets: Vec<_> = gets.by_ref().take(eng.gets.len()).collect();
            let live_drained: BTreeMap<String, Vec<Observed>> =
                c.queues.iter().map(|q| (q.clone(), live_out.drained.get(q).cloned().unwrap_or_default())).collect();
            let eng_drained: BTreeMap<String, Vec<Observed>> =
                c.queues.iter().map(|q| (q.clone(), eng.drained.get(q).cloned().unwrap_or_default())).collect();
            compared_messages += eng_drained.values().map(Vec::len).sum::<usize>();
            if live_gets != eng.gets {
                failures.push(format!(
                    "seed {seed}: basic.get results differ\n engine: {:?}\n broker: {:?}",
                    eng.gets, live_gets
                ));
            }
            for q in &c.queues {
                if live_drained[q] != eng_drained[q] {
                    failures.push(format!(
                        "seed {seed}: queue {q} differs\n engine: {:#?}\n broker: {:#?}\n script: {}",
                        eng_drained[q],
                        live_drained[q],
                        serde_json_like(&c.setup, &c.ops)
                    ));
                }
            }
        }
    }
    let _ = live.close();
    eprintln!("{CASES} topologies, {compared_messages} messages compared in {:.1}s", started.elapsed().as_secs_f64());
    assert!(compared_messages > CASES as usize, "too few messages compared: {compared_messages}");
    assert!(failures.is_empty(), "{} mismatches:\n{}", failures.len(), failures.join("\n\n"));
}

/// The engine profile of the broker at `url`, from the version it announces.
fn broker_version(url: &str) -> Version {
    let announced = server_version(url).unwrap_or_else(|e| panic!("cannot read the broker's version: {e}"));
    Version::from_server(&announced)
        .unwrap_or_else(|| panic!("RabbitMQ {announced} is older than every engine profile"))
}

fn serde_json_like(setup: &[Step], ops: &[Step]) -> String {
    let mut s = String::new();
    for step in setup.iter().chain(ops) {
        s.push_str(&format!("\n   {step:?}"));
    }
    s
}
