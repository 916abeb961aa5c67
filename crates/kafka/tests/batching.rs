//! The Java producer's accumulator and idempotence, as Kafka 4.x runs them:
//!
//! - `linger.ms` defaults to 5 in Kafka 4.0 (KIP-1030; `ProducerConfig` on
//!   trunk 1eb7644 of October 2024 still says 0, the change landed for 4.0),
//!   and so does the simulation; a batch also goes once it holds
//!   `batch.size` bytes
//!   (`RecordAccumulator.ready`);
//! - `max.in.flight.requests.per.connection` (5) caps the unanswered requests
//!   to one broker, and idempotence needs at most 5
//!   (`ProducerConfig.postProcessAndValidateIdempotenceConfigs`);
//! - sequence numbers are given when a batch is drained
//!   (`RecordAccumulator.drain`), and a send that fails for good after it
//!   was sent, or a sequence gap, bumps the producer epoch and restarts
//!   sequences at 0 (KIP-360, 2.5+, `TransactionManager`).

use brokerlab_kafka::*;

fn cluster(brokers: u32, rf: u32) -> Cluster {
    let mut c = Cluster::new(ClusterConfig { brokers, ..ClusterConfig::default() }, 9).expect("cluster");
    c.create_topic("t", TopicConfig::new(1, rf)).expect("topic");
    c
}

fn record(value: &str) -> ProducerRecord {
    ProducerRecord {
        topic: "t".into(),
        partition: Some(0),
        value: Some(value.as_bytes().to_vec()),
        ..Default::default()
    }
}

fn values(c: &Cluster) -> Vec<String> {
    c.records("t", 0)
        .expect("records")
        .iter()
        .map(|r| String::from_utf8(r.data.value.clone().unwrap_or_default()).expect("utf8"))
        .collect()
}

fn acks_one(tweak: impl FnOnce(&mut ProducerConfig)) -> ProducerConfig {
    let mut cfg = ProducerConfig { acks: Acks::One, enable_idempotence: false, ..ProducerConfig::default() };
    tweak(&mut cfg);
    cfg
}

#[test]
fn kafka_4_linger_ms_of_5_holds_records_until_then() {
    assert_eq!(KAFKA_4_LINGER_MS, 5);
    assert_eq!((ProducerConfig::default().linger_ms, ProducerConfig::default().batch_size), (5, 16_384));
    let mut c = cluster(1, 1);
    c.create_producer("p", acks_one(|_| {})).expect("producer");
    let (receipt, _) = c.produce("p", record("a")).expect("produce");
    assert_eq!(receipt.offset, None, "still in the accumulator");
    c.tick(2).expect("tick");
    c.produce("p", record("b")).expect("produce");
    let events = c.tick(2).expect("tick");
    assert!(values(&c).is_empty(), "nothing sent before linger.ms");
    assert!(!events.iter().any(|e| matches!(e, Event::RecordAppended { .. })));
    let events = c.tick(1).expect("tick");
    // Both go in the batch that lingered from the first record.
    let appended = events.iter().filter(|e| matches!(e, Event::RecordAppended { .. })).count();
    assert_eq!(appended, 2);
    assert_eq!(values(&c), vec!["a", "b"]);
}

#[test]
fn a_batch_that_reaches_batch_size_is_sent_without_lingering() {
    // Each record here counts 54 bytes (40 of value, 14 of framing).
    let mut c = cluster(1, 1);
    c.create_producer(
        "p",
        acks_one(|cfg| {
            cfg.linger_ms = 1_000;
            cfg.batch_size = 108;
        }),
    )
    .expect("producer");
    c.produce("p", record(&"a".repeat(40))).expect("produce");
    assert!(values(&c).is_empty(), "lingering");
    c.produce("p", record(&"b".repeat(40))).expect("produce");
    assert_eq!(values(&c).len(), 2, "108 bytes fill the batch: sent at once");
}

#[test]
fn a_record_that_does_not_fit_closes_the_batch_which_goes_while_it_lingers() {
    let mut c = cluster(1, 1);
    c.create_producer(
        "p",
        acks_one(|cfg| {
            cfg.linger_ms = 1_000;
            cfg.batch_size = 100;
        }),
    )
    .expect("producer");
    c.produce("p", record(&"a".repeat(40))).expect("produce");
    c.tick(10).expect("tick");
    c.produce("p", record(&"b".repeat(40))).expect("produce");
    assert_eq!(values(&c), vec!["a".repeat(40)], "the first batch is full and goes");
    c.tick(999).expect("tick");
    assert_eq!(values(&c).len(), 1, "the second lingers from its own first record");
    c.tick(1).expect("tick");
    assert_eq!(values(&c).len(), 2);
}

#[test]
fn max_in_flight_one_waits_for_the_answer_before_the_next_request() {
    let mut c = cluster(3, 3);
    // linger.ms=0: each record is its own request.
    let cfg = ProducerConfig { max_in_flight_requests_per_connection: 1, linger_ms: 0, ..ProducerConfig::default() };
    c.create_producer("p", cfg).expect("producer");
    c.produce("p", record("a")).expect("produce");
    c.produce("p", record("b")).expect("produce");
    assert_eq!(values(&c), vec!["a"], "one request in flight");
    let view = c.producer("p").expect("p");
    assert_eq!(view.in_flight.len(), 2);
    assert_eq!(view.in_flight[1].next_attempt_ms, Some(0));
    let mut events = Vec::new();
    for _ in 0..5 {
        events.extend(c.tick(100).expect("tick"));
    }
    let order: Vec<(bool, i64)> = events
        .iter()
        .filter_map(|e| match e {
            Event::RecordAcknowledged { offset, .. } => Some((true, *offset)),
            Event::RecordAppended { offset, .. } => Some((false, *offset)),
            _ => None,
        })
        .collect();
    assert_eq!(order, vec![(true, 0), (false, 1), (true, 1)], "b goes only after a's answer");
}

#[test]
fn idempotence_refuses_more_than_five_requests_in_flight() {
    // `postProcessAndValidateIdempotenceConfigs`: explicit idempotence with
    // more than 5 in flight is a ConfigException; the default's idempotence
    // is turned off instead.
    let cfg = ProducerConfig {
        max_in_flight_requests_per_connection: 6,
        enable_idempotence_explicit: true,
        ..ProducerConfig::default()
    };
    assert!(matches!(
        cfg.validate(),
        Err(KafkaError::InvalidConfig { key, .. }) if key == "max.in.flight.requests.per.connection"
    ));
    let quiet = ProducerConfig { enable_idempotence_explicit: false, ..cfg.clone() };
    assert_eq!(quiet.validate(), Ok(()));
    assert!(!quiet.resolved().expect("resolved").enable_idempotence);
    let cfg = ProducerConfig { enable_idempotence: false, acks: Acks::One, ..cfg };
    assert_eq!(cfg.validate(), Ok(()));
}

#[test]
fn a_record_that_expires_unsent_uses_no_sequence_number() {
    // Audit A6: 1 broker; "b" waits for a leader and expires; "c" and "d"
    // are written afterwards (Kafka: the sequence is given at drain).
    let mut c = cluster(1, 1);
    c.create_producer("p", ProducerConfig::default()).expect("producer");
    c.produce("p", record("a")).expect("produce");
    c.tick(100).expect("ack a");
    c.crash_broker(0).expect("crash");
    c.produce("p", record("b")).expect("produce");
    assert_eq!(c.producer("p").expect("p").in_flight[0].sequence, -1);
    c.tick(100_000).expect("wait");
    c.produce("p", record("c")).expect("produce");
    let events = c.tick(30_000).expect("b expires");
    assert!(events.iter().any(|e| matches!(e, Event::ProduceFailed { error: ProduceError::DeliveryTimeout, .. })));
    c.restart_broker(0).expect("restart");
    c.tick(100).expect("c goes");
    c.produce("p", record("d")).expect("produce");
    let events = c.tick(100).expect("d goes");
    assert!(!events.iter().any(|e| matches!(e, Event::ProduceFailed { .. })));
    assert_eq!(values(&c), vec!["a", "c", "d"]);
    let seqs: Vec<i32> = c.records("t", 0).expect("records").iter().map(|r| r.sequence).collect();
    assert_eq!(seqs, vec![0, 1, 2]);
}

#[test]
fn kip_360_a_sent_record_that_times_out_bumps_the_epoch_and_the_next_send_starts_at_sequence_0() {
    let mut c = Cluster::new(ClusterConfig::default(), 4).expect("cluster");
    c.create_topic("t", TopicConfig { min_insync_replicas: Some(2), ..TopicConfig::new(1, 3) }).expect("topic");
    c.create_producer("p", ProducerConfig::default()).expect("producer");
    c.crash_broker(1).expect("crash");
    c.crash_broker(2).expect("crash");
    c.produce("p", record("x")).expect("produce");
    let events = c.tick(120_100).expect("x times out after being sent");
    assert!(events.iter().any(|e| matches!(e, Event::ProducerEpochBumped { epoch: 1, .. })));
    c.restart_broker(1).expect("restart");
    c.tick(1_000).expect("catch up");
    c.produce("p", record("y")).expect("produce");
    c.tick(1_000).expect("ack y");
    let records = c.records("t", 0).expect("records");
    assert_eq!(values(&c), vec!["y"]);
    assert_eq!((records[0].producer_epoch, records[0].sequence), (1, 0));
}

#[test]
fn kip_360_a_sequence_gap_after_an_unclean_election_bumps_the_epoch_instead_of_failing_forever() {
    let mut c = Cluster::new(ClusterConfig { brokers: 2, ..ClusterConfig::default() }, 4).expect("cluster");
    c.create_topic(
        "t",
        TopicConfig {
            replica_assignment: Some(vec![vec![0, 1]]),
            unclean_leader_election_enable: Some(true),
            ..TopicConfig::new(1, 2)
        },
    )
    .expect("topic");
    c.create_producer("p", ProducerConfig::default()).expect("producer");
    c.produce("p", record("a")).expect("produce");
    c.tick(300).expect("a acked on both");
    c.set_replication_paused(1, true).expect("pause");
    c.produce("p", record("b")).expect("produce");
    let events = c.tick(45_000).expect("broker 1 lags out of the ISR at the leader's check at 45 s");
    assert!(
        events.iter().any(|e| matches!(e, Event::RecordAcknowledged { offset: 1, .. })),
        "b acked by the leader alone"
    );
    c.crash_broker(0).expect("crash");
    c.set_replication_paused(1, false).expect("resume");
    // Fenced `broker.session.timeout.ms` (9 s) after its last heartbeat.
    c.tick(9_001).expect("unclean election");
    assert_eq!(values(&c), vec!["a"], "b was lost with the unclean election");
    let (_, mut events) = c.produce("p", record("c")).expect("produce");
    events.extend(c.tick(1_000).expect("c"));
    assert!(
        events.iter().any(|e| matches!(
            e,
            Event::ProduceFailed { error: ProduceError::OutOfOrderSequence, will_retry: true, .. }
        ))
    );
    assert!(events.iter().any(|e| matches!(e, Event::ProducerEpochBumped { epoch: 1, .. })));
    c.produce("p", record("d")).expect("produce");
    c.tick(1_000).expect("d");
    assert_eq!(values(&c), vec!["a", "c", "d"]);
}

#[test]
fn retried_requests_find_their_original_offsets_within_five_batches_in_flight() {
    // Audit A14: ten records lingered into one batch, the leader fails after
    // replicating it. The broker caches the last five batches per producer
    // (not five records), so every record of the retried batch is a
    // duplicate answered with its original offset, never -1.
    let mut c = Cluster::new(ClusterConfig { brokers: 2, ..ClusterConfig::default() }, 4).expect("cluster");
    c.create_topic("t", TopicConfig { replica_assignment: Some(vec![vec![0, 1]]), ..TopicConfig::new(1, 2) })
        .expect("topic");
    c.create_producer("p", ProducerConfig { linger_ms: KAFKA_4_LINGER_MS, ..ProducerConfig::default() })
        .expect("producer");
    for i in 0..10 {
        c.produce("p", record(&format!("r{i}"))).expect("produce");
    }
    let mut events = c.tick(100).expect("replicate");
    c.crash_broker(0).expect("crash");
    // Retried until the controller fences broker 0 (9 s) and broker 1 leads.
    events.extend(c.tick(11_000).expect("retries"));
    assert!(!events.iter().any(|e| matches!(e, Event::DuplicateDropped { offset: -1, .. })));
    assert!(!events.iter().any(|e| matches!(e, Event::RecordAcknowledged { offset: -1, .. })));
    let mut acked: Vec<i64> = events
        .iter()
        .filter_map(|e| match e {
            Event::RecordAcknowledged { offset, .. } => Some(*offset),
            _ => None,
        })
        .collect();
    acked.sort_unstable();
    assert_eq!(acked, (0..10).collect::<Vec<i64>>());
    assert_eq!(values(&c), (0..10).map(|i| format!("r{i}")).collect::<Vec<_>>());
}

/// `a` at 0 s and `b` at 10 s, each its own request, while both followers
/// are paused but still in the ISR: `a`'s request times out at 30 s
/// (`request.timeout.ms`) and is sent again at 30.1 s, after the followers
/// left the ISR at 30 s (with `replica.lag.time.max.ms` 20 s they are out
/// of sync after 20 s and the leader checks every 10 s). Returns the log
/// and the acknowledged offsets in acknowledgement order.
fn retry_behind_a_later_request(max_in_flight: u32, idempotent: bool) -> (Vec<String>, Vec<i64>) {
    let config = ClusterConfig { brokers: 3, replica_lag_time_max_ms: 20_000, ..ClusterConfig::default() };
    let mut c = Cluster::new(config, 9).expect("cluster");
    c.create_topic("t", TopicConfig::new(1, 3)).expect("topic");
    // linger.ms=0: `a` and `b` are sent at the instants of their sends.
    let cfg = ProducerConfig {
        enable_idempotence: idempotent,
        max_in_flight_requests_per_connection: max_in_flight,
        linger_ms: 0,
        ..ProducerConfig::default()
    };
    c.create_producer("p", cfg).expect("producer");
    c.set_replication_paused(1, true).expect("pause");
    c.set_replication_paused(2, true).expect("pause");
    let mut events = Vec::new();
    c.produce("p", record("a")).expect("produce");
    events.extend(c.tick(10_000).expect("tick"));
    c.produce("p", record("b")).expect("produce");
    events.extend(c.tick(30_000).expect("tick"));
    let acked = events
        .iter()
        .filter_map(|e| match e {
            Event::RecordAcknowledged { offset, .. } => Some(*offset),
            _ => None,
        })
        .collect();
    (values(&c), acked)
}

#[test]
fn kafka_without_idempotence_a_retried_request_lands_after_a_later_one_in_flight() {
    // Kafka's documentation of max.in.flight.requests.per.connection: above
    // 1 without idempotence, a failed batch that is retried can be written
    // after a later batch that was already in flight. `a`'s acknowledged
    // copy is at offset 2, after `b` at offset 1.
    let (log, acked) = retry_behind_a_later_request(5, false);
    assert_eq!(log, vec!["a", "b", "a"]);
    assert_eq!(acked, vec![1, 2], "b is acknowledged at 1 before a's retry at 2");
}

#[test]
fn kafka_max_in_flight_one_keeps_order_without_idempotence() {
    // With one request in flight `b` is sent only after `a`'s answer, so the
    // retry goes first (the retried batch is put back at the front of its
    // deque, `RecordAccumulator.reenqueue`).
    let (log, acked) = retry_behind_a_later_request(1, false);
    assert_eq!(log, vec!["a", "a", "b"]);
    assert_eq!(acked, vec![1, 2]);
}

#[test]
fn kafka_idempotence_keeps_order_with_five_requests_in_flight() {
    // The broker recognises the retried sequence and answers with the
    // original offset (`ProducerStateEntry`'s last five batches).
    let (log, acked) = retry_behind_a_later_request(5, true);
    assert_eq!(log, vec!["a", "b"]);
    assert_eq!(acked, vec![1, 0]);
}

#[test]
fn the_producer_view_shows_its_accumulator_requests_and_retries() {
    let mut c = Cluster::new(ClusterConfig::default(), 9).expect("cluster");
    c.create_topic(
        "t",
        TopicConfig {
            replica_assignment: Some(vec![vec![0, 1, 2]]),
            min_insync_replicas: Some(2),
            ..TopicConfig::new(1, 3)
        },
    )
    .expect("topic");
    c.create_producer("p", ProducerConfig::default()).expect("producer");
    c.produce("p", record("a")).expect("produce");
    c.tick(2).expect("tick");
    c.produce("p", record("bb")).expect("produce");
    let view = c.producer("p").expect("p");
    assert_eq!(view.accumulator.len(), 1, "{view:?}");
    let batch = &view.accumulator[0];
    let size = |v: &str| RecordData { key: None, value: Some(v.as_bytes().to_vec()), headers: Vec::new() }.size_bytes();
    let bytes = size("a") + size("bb");
    assert_eq!((batch.records, batch.bytes, batch.created_ms, batch.age_ms, batch.ready_at_ms), (2, bytes, 0, 2, 5));
    assert!(batch.leader_known && view.requests.is_empty() && view.retries.is_empty());
    // Sent at 5 ms as one request to the leader, broker 0.
    c.tick(3).expect("linger.ms");
    let view = c.producer("p").expect("p");
    assert!(view.accumulator.is_empty());
    assert_eq!(view.requests.len(), 1);
    let r = &view.requests[0];
    assert_eq!(
        (r.broker, r.records, r.offsets, r.attempt, r.sent_ms, r.deadline_ms),
        (Some(0), 2, (0, 1), 1, 5, 30_005)
    );
    // Both followers stop: the next send is refused under min.insync.replicas
    // and waits for its retry.
    c.tick(995).expect("acknowledged");
    c.shutdown_broker(1).expect("stop");
    c.shutdown_broker(2).expect("stop");
    c.produce("p", record("c")).expect("produce");
    c.tick(5).expect("linger.ms");
    let view = c.producer("p").expect("p");
    assert_eq!(view.retries.len(), 1, "{view:?}");
    let retry = &view.retries[0];
    assert_eq!(
        (retry.records, retry.attempt, retry.next_attempt_ms, retry.error.clone()),
        (1, 2, 1_105, Some(ProduceError::NotEnoughReplicas))
    );
    assert_eq!(retry.delivery_deadline_ms, 1_000 + 120_000);
}
