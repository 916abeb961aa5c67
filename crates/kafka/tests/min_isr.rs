//! The high watermark under `min.insync.replicas`, as Kafka 3.7.0 and later
//! run it: `Partition.maybeIncrementLeaderHW` returns at once while
//! `isUnderMinIsr` (KAFKA-15583, first released in 3.7.0; 3.6.0 lacks the
//! check, and it is unchanged on trunk in 4.0). So a write that needs fewer
//! acknowledgements than the minimum is stored but not readable until the ISR
//! is back to the minimum.

use brokerlab_kafka::*;

fn three_replicas_min_two() -> Cluster {
    let mut c = Cluster::new(ClusterConfig::default(), 7).expect("cluster");
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

fn earliest(c: &mut Cluster, name: &str) {
    c.create_consumer(name, ConsumerConfig { auto_offset_reset: OffsetReset::Earliest, ..ConsumerConfig::new(name) })
        .expect("consumer");
    c.subscribe(name, &["t".to_string()]).expect("subscribe");
}

fn polled(c: &mut Cluster, name: &str) -> Vec<String> {
    c.poll(name, None)
        .expect("poll")
        .0
        .into_iter()
        .map(|r| String::from_utf8(r.value.unwrap_or_default()).expect("utf8"))
        .collect()
}

#[test]
fn kafka_3_7_acks_one_write_under_min_isr_is_stored_but_not_readable_until_the_isr_recovers() {
    let mut c = three_replicas_min_two();
    c.create_producer("one", ProducerConfig { acks: Acks::One, enable_idempotence: false, ..Default::default() })
        .expect("producer");
    c.crash_broker(1).expect("crash");
    c.crash_broker(2).expect("crash");
    // The ISR shrinks to [0] when the controller fences both, 9 s on.
    c.tick(9_001).expect("fence");
    c.produce("one", record("x")).expect("acks=1 is accepted");
    c.tick(1_000).expect("tick");
    let view = c.partition("t", 0).expect("partition");
    assert_eq!((view.log_end_offset, view.high_watermark), (1, 0), "stored on the leader, frozen high watermark");
    earliest(&mut c, "reader");
    assert!(polled(&mut c, "reader").is_empty(), "nothing is visible below a frozen high watermark");

    c.restart_broker(1).expect("restart");
    c.tick(1_000).expect("catch up");
    let view = c.partition("t", 0).expect("partition");
    assert_eq!(view.isr, vec![0, 1]);
    assert_eq!(view.high_watermark, 1);
    assert_eq!(polled(&mut c, "reader"), vec!["x"]);
}

#[test]
fn kafka_3_7_high_watermark_freezes_when_followers_drop_out_of_the_isr() {
    let mut c = three_replicas_min_two();
    c.create_producer("zero", ProducerConfig { acks: Acks::Zero, enable_idempotence: false, ..Default::default() })
        .expect("producer");
    c.set_replication_paused(1, true).expect("pause");
    c.set_replication_paused(2, true).expect("pause");
    c.produce("zero", record("x")).expect("produce");
    // Both followers are out of sync after replica.lag.time.max.ms (30 s)
    // and leave the ISR at the leader's next ISR check (45 s); the ISR is
    // then 1 < 2 and the high watermark must stay where it was.
    c.tick(45_000).expect("shrink");
    let view = c.partition("t", 0).expect("partition");
    assert_eq!(view.isr, vec![0]);
    assert_eq!((view.log_end_offset, view.high_watermark), (1, 0));
    c.set_replication_paused(1, false).expect("resume");
    c.tick(200).expect("rejoin");
    assert_eq!(c.partition("t", 0).expect("partition").high_watermark, 1);
}

#[test]
fn min_isr_clamped_to_the_replication_factor_does_not_freeze_a_single_replica_topic() {
    // Partition.effectiveMinIsr = min(min.insync.replicas, replication factor).
    let mut c =
        Cluster::new(ClusterConfig { brokers: 1, min_insync_replicas: 2, ..Default::default() }, 1).expect("cluster");
    c.create_topic("t", TopicConfig::new(1, 1)).expect("topic");
    c.create_producer("p", ProducerConfig::default()).expect("producer");
    c.produce("p", record("x")).expect("produce");
    c.tick(100).expect("tick");
    assert_eq!(c.partition("t", 0).expect("partition").high_watermark, 1);
}
