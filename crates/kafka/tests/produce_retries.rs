//! The Java producer's retries, as Kafka 4.x clients run them
//! (`clients/.../producer/internals/Sender.java` `canRetry`,
//! `RecordAccumulator` with `ExponentialBackoff`, `ProducerConfig` defaults;
//! checked against apache/kafka trunk 1eb7644, 4.0.0-SNAPSHOT):
//!
//! - NOT_ENOUGH_REPLICAS, NOT_LEADER_OR_FOLLOWER, a missing leader and
//!   REQUEST_TIMED_OUT are retriable: `send()` does not fail, the record is
//!   sent again after `retry.backoff.ms` (100 ms) doubling up to
//!   `retry.backoff.max.ms` (1 s, KIP-580, 3.7+), while `retries` allows;
//! - each attempt goes through `Partition.appendRecordsToLeader`, which
//!   refuses acks=all below `min.insync.replicas` before writing anything;
//! - a send fails for good only when `delivery.timeout.ms` (120 s) has passed
//!   since `send()` (`ProducerBatch.hasReachedDeliveryTimeout`), in flight or not;
//! - an attempt waits `request.timeout.ms` (30 s) for its answer.

use brokerlab_kafka::*;

/// Kafka 4's producer defaults with `linger.ms=0`, so that the first attempt
/// goes out at the instant of `produce()` and the times below count from
/// it; `batching.rs` and `produce_time.rs` run the default 5 ms linger.
fn config() -> ProducerConfig {
    ProducerConfig { linger_ms: 0, ..ProducerConfig::default() }
}

fn cluster_min_two() -> Cluster {
    let mut c = Cluster::new(ClusterConfig::default(), 11).expect("cluster");
    c.create_topic(
        "t",
        TopicConfig {
            replica_assignment: Some(vec![vec![0, 1, 2]]),
            min_insync_replicas: Some(2),
            ..TopicConfig::new(1, 3)
        },
    )
    .expect("topic");
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
        .filter(|r| !r.kind.is_control())
        .map(|r| String::from_utf8(r.data.value.clone().unwrap_or_default()).expect("utf8"))
        .collect()
}

fn failures(events: &[Event], wanted: &ProduceError) -> usize {
    events
        .iter()
        .filter(|e| matches!(e, Event::ProduceFailed { error, will_retry: true, .. } if error == wanted))
        .count()
}

fn next_attempt(c: &Cluster, producer: &str) -> Option<u64> {
    c.producer(producer).expect("producer").in_flight.first().and_then(|f| f.next_attempt_ms)
}

#[test]
fn kafka_4_acks_all_under_min_isr_is_retried_and_written_once_when_a_follower_returns() {
    let mut c = cluster_min_two();
    c.create_producer("p", config()).expect("producer");
    c.shutdown_broker(1).expect("stop");
    c.shutdown_broker(2).expect("stop");
    let (receipt, events) = c.produce("p", record("x")).expect("send() does not fail");
    assert_eq!(receipt.offset, None);
    assert_eq!(failures(&events, &ProduceError::NotEnoughReplicas), 1);
    let mut all = events;
    all.extend(c.tick(3_000).expect("retries"));
    assert!(failures(&all, &ProduceError::NotEnoughReplicas) > 3, "retried on its backoff");
    assert_eq!(c.partition("t", 0).expect("p").log_end_offset, 0, "no attempt wrote anything");

    c.restart_broker(1).expect("restart");
    let events = c.tick(3_000).expect("recover");
    assert!(events.iter().any(|e| matches!(e, Event::RecordAcknowledged { offset: 0, .. })));
    assert_eq!(values(&c), vec!["x"]);
    assert!(c.producer("p").expect("p").in_flight.is_empty());
}

#[test]
fn kafka_3_7_retry_backoff_doubles_from_retry_backoff_ms_to_retry_backoff_max_ms() {
    // ExponentialBackoff(100, 2, 1000, jitter left out): 100, 200, 400, 800, 1000, 1000.
    let mut c = cluster_min_two();
    c.create_producer("p", config()).expect("producer");
    c.shutdown_broker(1).expect("stop");
    c.shutdown_broker(2).expect("stop");
    c.produce("p", record("x")).expect("produce");
    let mut attempts = vec![0];
    for _ in 0..6 {
        let at = next_attempt(&c, "p").expect("waiting for a retry");
        attempts.push(at);
        c.tick(at - c.now()).expect("tick");
    }
    assert_eq!(attempts, vec![0, 100, 300, 700, 1_500, 2_500, 3_500]);
    let view = c.producer("p").expect("p");
    assert_eq!(view.in_flight[0].attempts, 7);
    assert_eq!(view.in_flight[0].delivery_deadline_ms, 120_000);
    assert_eq!(view.in_flight[0].last_error, Some(ProduceError::NotEnoughReplicas));
}

#[test]
fn kafka_4_send_fails_only_when_delivery_timeout_ms_passes() {
    let mut c = cluster_min_two();
    c.create_producer("p", config()).expect("producer");
    c.shutdown_broker(1).expect("stop");
    c.shutdown_broker(2).expect("stop");
    c.produce("p", record("x")).expect("produce");
    let events = c.tick(119_999).expect("tick");
    assert!(!events.iter().any(|e| matches!(e, Event::ProduceFailed { will_retry: false, .. })));
    let events = c.tick(1).expect("tick");
    assert!(
        events
            .iter()
            .any(|e| matches!(e, Event::ProduceFailed { error: ProduceError::DeliveryTimeout, will_retry: false, .. }))
    );
    assert!(c.producer("p").expect("p").in_flight.is_empty());
    assert!(values(&c).is_empty());
}

#[test]
fn retries_zero_gives_up_after_the_first_retriable_error() {
    let mut c = cluster_min_two();
    // retries=0 also turns the default idempotence off (Kafka 3.2+).
    c.create_producer("p", ProducerConfig { retries: 0, ..config() }).expect("producer");
    assert_eq!(c.producer("p").expect("p").producer_id, -1);
    c.shutdown_broker(1).expect("stop");
    c.shutdown_broker(2).expect("stop");
    let (_, events) = c.produce("p", record("x")).expect("produce");
    assert!(
        events.iter().any(|e| matches!(
            e,
            Event::ProduceFailed { error: ProduceError::NotEnoughReplicas, will_retry: false, .. }
        ))
    );
    assert!(c.producer("p").expect("p").in_flight.is_empty());
}

#[test]
fn kafka_4_leader_unavailable_keeps_the_record_until_a_leader_returns() {
    let mut c = Cluster::new(ClusterConfig { brokers: 1, ..ClusterConfig::default() }, 3).expect("cluster");
    c.create_topic("t", TopicConfig::new(1, 1)).expect("topic");
    c.create_producer("p", config()).expect("producer");
    c.crash_broker(0).expect("crash");
    c.produce("p", record("x")).expect("produce");
    c.tick(60_000).expect("wait");
    c.restart_broker(0).expect("restart");
    // Sent the next millisecond, answered on the next 100 ms step.
    let events = c.tick(1).expect("send");
    assert!(events.iter().any(|e| matches!(e, Event::RecordAppended { offset: 0, .. })));
    let events = c.tick(99).expect("answer");
    assert!(events.iter().any(|e| matches!(e, Event::RecordAcknowledged { offset: 0, .. })));
    assert_eq!(values(&c), vec!["x"]);
}

/// Followers paused, still in the ISR until the leader's ISR check at 45 s
/// (out of sync after `replica.lag.time.max.ms`, checked every half of
/// it): the high watermark cannot pass the record, so the request times out
/// after `request.timeout.ms` (30 s) and is sent again; the record is
/// acknowledged once the followers left the ISR.
fn request_timeout_run(idempotent: bool) -> (Cluster, Vec<Event>) {
    let mut c = Cluster::new(ClusterConfig::default(), 5).expect("cluster");
    c.create_topic("t", TopicConfig { replica_assignment: Some(vec![vec![0, 1, 2]]), ..TopicConfig::new(1, 3) })
        .expect("topic");
    c.create_producer("p", ProducerConfig { enable_idempotence: idempotent, ..config() }).expect("producer");
    c.set_replication_paused(1, true).expect("pause");
    c.set_replication_paused(2, true).expect("pause");
    c.produce("p", record("x")).expect("produce");
    let view = c.producer("p").expect("p");
    assert_eq!(view.in_flight[0].request_deadline_ms, Some(30_000));
    let events = c.tick(45_100).expect("time out, retry, shrink and acknowledge");
    (c, events)
}

#[test]
fn kafka_4_request_timeout_retry_duplicates_without_idempotence() {
    let (c, events) = request_timeout_run(false);
    assert_eq!(failures(&events, &ProduceError::RequestTimedOut), 1);
    assert_eq!(values(&c), vec!["x", "x"]);
}

#[test]
fn kafka_4_request_timeout_retry_is_deduplicated_with_idempotence() {
    let (c, events) = request_timeout_run(true);
    assert_eq!(failures(&events, &ProduceError::RequestTimedOut), 1);
    assert!(events.iter().any(|e| matches!(e, Event::DuplicateDropped { sequence: 0, offset: 0, .. })));
    assert!(events.iter().any(|e| matches!(e, Event::RecordAcknowledged { offset: 0, .. })));
    assert_eq!(values(&c), vec!["x"]);
}

#[test]
fn non_idempotent_retries_under_min_isr_never_add_copies() {
    // Audit scenario 1b: the ISR shrinks under the minimum after the append;
    // every later attempt is refused, so the log keeps one copy.
    let mut c = cluster_min_two();
    // The request outlives the ISR shrink at 45 s, so its first retry
    // already finds the ISR below the minimum.
    let cfg = ProducerConfig { enable_idempotence: false, request_timeout_ms: 50_000, ..config() };
    c.create_producer("p", cfg).expect("producer");
    c.set_replication_paused(1, true).expect("pause");
    c.set_replication_paused(2, true).expect("pause");
    c.produce("p", record("x")).expect("produce");
    let events = c.tick(125_000).expect("until the delivery timeout");
    assert_eq!(values(&c), vec!["x"]);
    assert_eq!(c.partition("t", 0).expect("p").high_watermark, 0, "frozen under min ISR (3.7+)");
    assert!(failures(&events, &ProduceError::NotEnoughReplicas) > 0);
    assert!(
        events
            .iter()
            .any(|e| matches!(e, Event::ProduceFailed { error: ProduceError::DeliveryTimeout, will_retry: false, .. }))
    );
}

#[test]
fn queued_record_is_checked_against_min_isr_when_a_leader_returns() {
    // Audit scenario 1a: queued while offline, the leader comes back alone.
    let mut c = cluster_min_two();
    c.create_producer("p", config()).expect("producer");
    c.shutdown_broker(1).expect("stop");
    c.shutdown_broker(2).expect("stop");
    c.shutdown_broker(0).expect("stop");
    c.produce("p", record("x")).expect("produce");
    c.restart_broker(0).expect("restart");
    let events = c.tick(1_000).expect("tick");
    assert!(failures(&events, &ProduceError::NotEnoughReplicas) > 0);
    assert!(values(&c).is_empty());
}

#[test]
fn acks_zero_completes_with_offset_minus_one_and_is_not_checked_against_min_isr() {
    // ProducerConfig acks doc: with acks=0 "the offset given back for each
    // record will always be set to -1"; appendRecordsToLeader checks the
    // minimum ISR only for requiredAcks == -1.
    let mut c = cluster_min_two();
    c.create_producer("p", ProducerConfig { acks: Acks::Zero, enable_idempotence: false, ..config() })
        .expect("producer");
    c.shutdown_broker(1).expect("stop");
    c.shutdown_broker(2).expect("stop");
    let (receipt, events) = c.produce("p", record("x")).expect("produce");
    assert_eq!(receipt.offset, Some(-1));
    assert!(events.iter().any(|e| matches!(e, Event::RecordAcknowledged { offset: -1, .. })));
    assert!(events.iter().any(|e| matches!(e, Event::RecordAppended { offset: 0, .. })));
    assert_eq!(c.partition("t", 0).expect("p").high_watermark, 0, "stored, not readable under min ISR");
}

#[test]
fn kafka_3_2_acks_other_than_all_or_retries_0_turn_default_idempotence_off_and_explicit_idempotence_refuses_them() {
    // ProducerConfig.postProcessAndValidateIdempotenceConfigs (3.0.1, 3.1.1,
    // 3.2+): idempotence the application did not set is disabled with a log
    // line; set explicitly, the same settings are a ConfigException.
    let mut c = cluster_min_two();
    c.create_producer("one", ProducerConfig { acks: Acks::One, ..config() }).expect("acks=1 is accepted");
    let view = c.producer("one").expect("one");
    assert!(!view.config.enable_idempotence);
    assert_eq!(view.producer_id, -1, "no producer id without idempotence");
    c.create_producer("zero-retries", ProducerConfig { retries: 0, ..config() }).expect("retries=0");
    assert!(!c.producer("zero-retries").expect("p").config.enable_idempotence);
    for cfg in [
        ProducerConfig { acks: Acks::One, ..config() },
        ProducerConfig { retries: 0, ..config() },
        ProducerConfig { max_in_flight_requests_per_connection: 6, ..config() },
    ] {
        let explicit = ProducerConfig { enable_idempotence_explicit: true, ..cfg };
        assert!(matches!(c.create_producer("x", explicit), Err(KafkaError::InvalidConfig { .. })));
    }
    // A transactional id needs idempotence, which acks=1 turned off.
    let txn = ProducerConfig { acks: Acks::One, transactional_id: Some("tid".into()), ..config() };
    assert!(matches!(
        c.create_producer("x", txn),
        Err(KafkaError::InvalidConfig { key, .. }) if key == "transactional.id"
    ));
    // A non-idempotent acks=1 producer writes without sequence numbers.
    c.produce("one", record("x")).expect("produce");
    assert_eq!(c.records("t", 0).expect("records")[0].sequence, -1);
}
