//! Time is honest on the produce path: linger, retry backoff, request and
//! delivery timeouts each happen at their own instant inside one tick, so
//! `tick(n)` and the same `n` cut into any smaller ticks give the same run.

use brokerlab_kafka::*;

/// Followers of a min-ISR-2 topic down, producers with lingering batches,
/// short request timeouts and retries; broker 1 returns at 1.7 s.
fn setup() -> Cluster {
    let mut c = Cluster::new(ClusterConfig::default(), 21).expect("cluster");
    c.create_topic("t", TopicConfig { min_insync_replicas: Some(2), ..TopicConfig::new(2, 3) }).expect("topic");
    c.create_producer("idem", ProducerConfig { linger_ms: KAFKA_4_LINGER_MS, ..ProducerConfig::default() })
        .expect("producer");
    c.create_producer(
        "plain",
        ProducerConfig {
            enable_idempotence: false,
            linger_ms: 30,
            batch_size: 200,
            max_in_flight_requests_per_connection: 1,
            request_timeout_ms: 700,
            retry_backoff_ms: 30,
            retry_backoff_max_ms: 250,
            delivery_timeout_ms: 2_500,
            ..ProducerConfig::default()
        },
    )
    .expect("producer");
    c.shutdown_broker(1).expect("stop");
    c.shutdown_broker(2).expect("stop");
    c
}

fn run(cuts: &[u64]) -> (Vec<Event>, String) {
    let mut c = setup();
    let mut events = Vec::new();
    let mut at = 0;
    let script: [(u64, &str); 6] =
        [(0, "idem"), (3, "plain"), (4, "plain"), (250, "idem"), (1_700, "restart"), (1_720, "plain")];
    let mut next_cut = cuts.iter().copied().peekable();
    for (when, what) in script {
        while let Some(cut) = next_cut.next_if(|&c| c < when) {
            events.extend(c.tick(cut - at).expect("tick"));
            at = cut;
        }
        events.extend(c.tick(when - at).expect("tick"));
        at = when;
        let outcome = match what {
            "restart" => c.apply(Command::RestartBroker { broker: 1 }),
            p => c.apply(Command::Produce {
                producer: p.into(),
                record: ProducerRecord { topic: "t".into(), key: Some(vec![b'k', when as u8]), ..Default::default() },
            }),
        };
        events.extend(outcome.events);
    }
    for cut in next_cut {
        events.extend(c.tick(cut - at).expect("tick"));
        at = cut;
    }
    events.extend(c.tick(10_000 - at).expect("tick"));
    let events = events.into_iter().filter(|e| !matches!(e, Event::Ticked { .. })).collect();
    let state = format!("{:?} {:?} {:?}", c.producer("idem"), c.producer("plain"), c.records("t", 0));
    (events, state)
}

#[test]
fn cutting_the_produce_path_into_other_ticks_gives_the_same_run() {
    let whole = run(&[]);
    assert!(whole.0.iter().any(|e| matches!(e, Event::ProduceFailed { error: ProduceError::NotEnoughReplicas, .. })));
    for cuts in [
        vec![1, 2, 5, 8, 9, 40, 99, 100, 101, 137],
        (1..=400).collect::<Vec<u64>>(),
        vec![2_000, 2_001, 2_503, 2_504, 3_000],
        (0..100).map(|i| 1_650 + i * 7).collect(),
    ] {
        assert_eq!(run(&cuts), whole, "cut at {cuts:?}");
    }
}
