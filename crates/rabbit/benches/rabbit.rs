//! Throughput figures for the engine, measured with `std::time::Instant` on
//! one thread: topic routing through the trie against a scan of every
//! binding at 10,000 bindings, fanout delivery into 100 queues, and stream
//! appends and offset reads (`x-queue-type: stream`). Run with
//! `cargo bench -p brokerlab-rabbit`.
//!
//! Each figure is the best of several short batches: on a shared machine a
//! batch that loses the processor to another job measures the other job,
//! and the best batch is the closest to the engine's own speed.

use std::hint::black_box;
use std::time::Instant;

use brokerlab_rabbit::topic::{matches_words, split_words, topic_matches};
use brokerlab_rabbit::{Broker, Command, DestinationKind, ExchangeKind, FieldTable, FieldValue};

/// Nanoseconds this thread has spent on a processor, from Linux's
/// schedstat; `None` elsewhere. On a shared machine this separates the
/// engine's own cost from time spent waiting for a core.
fn thread_cpu_ns() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    text.split_whitespace().next()?.parse().ok()
}

/// Measures `work` (which performs `units` units) in `batches` batches and
/// returns (best wall-clock rate, rate per processor-second over all batches).
fn measure(batches: usize, units: usize, mut work: impl FnMut(usize)) -> (f64, Option<f64>) {
    let mut best: f64 = 0.0;
    let cpu_start = thread_cpu_ns();
    for round in 0..batches {
        let start = Instant::now();
        work(round);
        best = best.max(units as f64 / start.elapsed().as_secs_f64());
    }
    let cpu = cpu_start.zip(thread_cpu_ns()).map(|(a, b)| (batches * units) as f64 / ((b - a) as f64 / 1e9));
    (best, cpu)
}

fn report(name: &str, unit: &str, (wall, cpu): (f64, Option<f64>), scale: f64, digits: usize) {
    match cpu {
        Some(c) => println!("{name}: {:.digits$} {unit} (per processor-second: {:.digits$})", wall / scale, c / scale),
        None => println!("{name}: {:.digits$} {unit}", wall / scale),
    }
}

/// A small deterministic generator so the benchmark needs no extra crates.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        self.0 >> 33
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

const WORDS: usize = 100;

fn word(r: &mut Lcg) -> String {
    format!("w{}", r.below(WORDS as u64))
}

/// Binding keys shaped like real ones: a literal first word (an application
/// or entity name), then words with an occasional `*` or `#`.
fn binding_key(r: &mut Lcg) -> String {
    let n = 2 + r.below(3);
    let mut hashes = 0;
    (0..n)
        .map(|i| match r.below(100) {
            _ if i == 0 => word(r),
            0..=4 => "*".to_string(),
            5..=6 if hashes < 2 => {
                hashes += 1;
                "#".to_string()
            }
            _ => word(r),
        })
        .collect::<Vec<_>>()
        .join(".")
}

fn routing_key(r: &mut Lcg) -> String {
    let n = 2 + r.below(3);
    (0..n).map(|_| word(r)).collect::<Vec<_>>().join(".")
}

fn topic(bindings: usize) {
    let mut r = Lcg(7);
    let mut b = Broker::new(1);
    b.set_tracing(false);
    let ch = b.connect("guest", "guest", "/").unwrap();
    b.declare_exchange(ch, "t", ExchangeKind::Topic).unwrap();
    let queues = 1000;
    for q in 0..queues {
        b.declare_queue(ch, &format!("q{q}"), FieldTable::new()).unwrap();
    }
    let mut made = 0;
    while made < bindings {
        let q = format!("q{}", r.below(queues));
        if b.bind_queue(ch, &q, "t", &binding_key(&mut r)).unwrap().is_empty() {
            continue; // a duplicate binding
        }
        made += 1;
    }
    let keys: Vec<String> = (0..4096).map(|_| routing_key(&mut r)).collect();
    let table: Vec<(String, String)> = b
        .exchanges("/")
        .into_iter()
        .find(|x| x.name == "t")
        .unwrap()
        .bindings
        .into_iter()
        .filter(|bd| bd.destination_kind == DestinationKind::Queue)
        .map(|bd| (bd.routing_key, bd.destination))
        .collect();
    assert_eq!(table.len(), bindings);

    // The trie, through the broker's own routing entry point.
    let batch = 50_000;
    let mut hits = 0usize;
    let trie = measure(20, batch, |_| {
        for i in 0..batch {
            hits += b.route("/", "t", &keys[i % keys.len()], None).len();
        }
    });
    let n = 20 * batch;
    black_box(hits);

    // The trie alone (binding indexes out, no queue names), the part the
    // scan below is the alternative to.
    let mut raw = brokerlab_rabbit::topic::TopicTrie::new();
    for (i, (k, _)) in table.iter().enumerate() {
        raw.insert(k, i as u32);
    }
    let mut out = Vec::new();
    let mut raw_hits = 0usize;
    let trie_only = measure(20, batch, |_| {
        for i in 0..batch {
            out.clear();
            raw.matches_into(&keys[i % keys.len()], &mut out);
            raw_hits += out.len();
        }
    });
    black_box(raw_hits);

    // The naive alternative: test every binding in turn. Binding keys are
    // split once up front and each routing key once per message, so the
    // baseline pays only for the matching itself.
    let split_table: Vec<(Vec<&str>, &str)> = table.iter().map(|(k, d)| (split_words(k), d.as_str())).collect();
    let scan_batch = 500;
    let mut scan_hits = 0usize;
    let scan = measure(10, scan_batch, |round| {
        for i in 0..scan_batch {
            let words = split_words(&keys[(round * scan_batch + i) % keys.len()]);
            let mut dest: Vec<&str> =
                split_table.iter().filter(|(k, _)| matches_words(k, &words)).map(|(_, d)| *d).collect();
            dest.sort_unstable();
            dest.dedup();
            scan_hits += dest.len();
        }
    });
    black_box(scan_hits);
    // Both must agree on the sample they share.
    for rk in keys.iter().take(200) {
        let mut dest: Vec<String> =
            table.iter().filter(|(k, _)| topic_matches(k, rk)).map(|(_, d)| d.clone()).collect();
        dest.sort();
        dest.dedup();
        assert_eq!(dest, b.route("/", "t", rk, None), "trie and scan disagree on {rk}");
    }
    report("rabbit/topic_route_10k_bindings_trie", "M msgs/s", trie, 1e6, 2);
    report("rabbit/topic_match_10k_bindings_trie_only", "M msgs/s", trie_only, 1e6, 2);
    report("rabbit/topic_route_10k_bindings_scan", "M msgs/s", scan, 1e6, 4);
    println!("rabbit/topic_route_10k_bindings_speedup: {:.0}x", trie.0 / scan.0);
    println!("rabbit/topic_route_10k_bindings_mean_queues_per_msg: {:.2}", hits as f64 / n as f64);
}

fn fanout(queues: usize) {
    let per_round = 2_000;
    let brokers: Vec<_> = (0..10)
        .map(|_| {
            let mut b = Broker::new(1);
            // Bulk runs switch events off; the figure is the engine's own
            // cost of routing and enqueueing.
            b.set_event_recording(false);
            let ch = b.connect("guest", "guest", "/").unwrap();
            b.declare_exchange(ch, "f", ExchangeKind::Fanout).unwrap();
            for q in 0..queues {
                let name = format!("q{q}");
                b.declare_queue(ch, &name, FieldTable::new()).unwrap();
                b.bind_queue(ch, &name, "f", "").unwrap();
            }
            (b, ch)
        })
        .collect();
    let mut brokers = brokers;
    let figures = measure(brokers.len(), per_round * queues, |round| {
        let (b, ch) = &mut brokers[round];
        for i in 0..per_round {
            let ev = b.publish(*ch, "f", "", if i % 2 == 0 { "hello" } else { "world" }).unwrap();
            black_box(&ev);
        }
    });
    for (b, _) in &brokers {
        assert_eq!(b.queue("/", "q0").unwrap().ready as usize, per_round);
    }
    report(&format!("rabbit/fanout_{queues}_queues"), "M deliveries/s", figures, 1e6, 2);
}

/// A broker with events off holding one stream, `stream`, and a channel.
fn stream_broker() -> (Broker, brokerlab_rabbit::ChannelId) {
    let mut b = Broker::new(1);
    b.set_event_recording(false);
    b.set_tracing(false);
    let ch = b.connect("guest", "guest", "/").unwrap();
    let mut args = FieldTable::new();
    args.insert("x-queue-type".into(), FieldValue::str("stream"));
    b.apply(Command::QueueDeclare {
        channel: ch,
        queue: "stream".into(),
        passive: false,
        durable: true,
        exclusive: false,
        auto_delete: false,
        arguments: args,
    })
    .into_result()
    .unwrap();
    (b, ch)
}

/// Stream appends: `basic.publish` through the default exchange into a
/// stream, each publish one record.
fn stream_append() {
    let per_round = 200_000;
    let mut brokers: Vec<_> = (0..8).map(|_| stream_broker()).collect();
    let figures = measure(brokers.len(), per_round, |round| {
        let (b, ch) = &mut brokers[round];
        for i in 0..per_round {
            let ev = b.publish(*ch, "", "stream", if i % 2 == 0 { "hello" } else { "world" }).unwrap();
            black_box(&ev);
        }
    });
    for (b, _) in &brokers {
        assert_eq!(b.stream("/", "stream").unwrap().next_offset as usize, per_round);
    }
    report("rabbit/stream_append", "M records/s", figures, 1e6, 2);
}

/// Stream reads: a consumer attached at `first` with the largest prefetch
/// reads a stream of records, acknowledging each window with one
/// `basic.ack` (multiple) so its credit comes back.
fn stream_read() {
    let records = 200_000;
    let prefetch = u16::MAX;
    let mut brokers: Vec<_> = (0..8)
        .map(|_| {
            let (mut b, ch) = stream_broker();
            for _ in 0..records {
                b.publish(ch, "", "stream", "record").unwrap();
            }
            b.qos(ch, prefetch, false).unwrap();
            (b, ch)
        })
        .collect();
    let figures = measure(brokers.len(), records, |round| {
        let (b, ch) = &mut brokers[round];
        let mut args = FieldTable::new();
        args.insert("x-stream-offset".into(), FieldValue::str("first"));
        b.apply(Command::BasicConsume {
            channel: *ch,
            queue: "stream".into(),
            consumer_tag: "reader".into(),
            no_ack: false,
            exclusive: false,
            arguments: args,
        })
        .into_result()
        .unwrap();
        // Delivery tags run from 1; each window is acknowledged at once.
        let mut acked = 0u64;
        while acked < records as u64 {
            acked = (acked + u64::from(prefetch)).min(records as u64);
            black_box(b.ack(*ch, acked, true).unwrap());
        }
    });
    for (b, _) in &brokers {
        let view = b.stream("/", "stream").unwrap();
        assert_eq!(view.consumers[0].next_offset as usize, records);
        assert_eq!(view.records.len(), records, "reading removes nothing");
    }
    report("rabbit/stream_read", "M records/s", figures, 1e6, 2);
}

fn main() {
    // `cargo bench -p brokerlab-rabbit -- fanout` runs only the figures
    // whose name contains the filter.
    let filter: Option<String> = std::env::args().skip(1).find(|a| !a.starts_with('-'));
    let wanted = |name: &str| filter.as_deref().is_none_or(|f| name.contains(f));
    if wanted("topic") {
        topic(10_000);
    }
    if wanted("fanout") {
        fanout(100);
    }
    if wanted("stream_append") {
        stream_append();
    }
    if wanted("stream_read") {
        stream_read();
    }
}
