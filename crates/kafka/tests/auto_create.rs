//! Topic auto-creation and `send()` blocking on metadata, as Kafka 4.0 does
//! them: the broker's `auto.create.topics.enable` (true), `num.partitions`
//! (1) and `default.replication.factor` (1) in
//! `DefaultAutoTopicCreationManager` (core/src/main/scala/kafka/server/
//! AutoTopicCreationManager.scala), reached through a metadata request that
//! allows it (`ProducerMetadata` always; `ConsumerMetadata` with
//! `allow.auto.create.topics`, true by default); and the producer's
//! `waitOnMetadata`, which blocks `send()` for at most `max.block.ms`
//! (60 s) and then fails with `TimeoutException: Topic X not present in
//! metadata after 60000 ms.` (clients/.../producer/KafkaProducer.java).

use brokerlab_kafka::*;

fn cluster(config: ClusterConfig) -> Cluster {
    Cluster::new(config, 11).expect("cluster")
}

fn off() -> ClusterConfig {
    ClusterConfig { auto_create_topics_enable: false, ..ClusterConfig::default() }
}

fn send_failed(events: &[Event]) -> Vec<&KafkaError> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::SendFailed { error, .. } => Some(error),
            _ => None,
        })
        .collect()
}

#[test]
fn kafka_4_a_send_to_a_missing_topic_auto_creates_it_with_num_partitions_and_default_replication_factor() {
    let mut c = cluster(ClusterConfig { num_partitions: 3, default_replication_factor: 2, ..ClusterConfig::default() });
    c.create_producer("p", ProducerConfig::default()).expect("producer");
    let (receipt, events) = c.produce("p", ProducerRecord::keyed("clicks", "k", "v")).expect("send");
    let auto = events.iter().position(|e| {
        matches!(e, Event::TopicAutoCreated { topic, client, partitions: 3, replication_factor: 2 }
            if topic == "clicks" && client == "p")
    });
    let created = events.iter().position(|e| matches!(e, Event::TopicCreated { topic, .. } if topic == "clicks"));
    assert!(auto.is_some() && created > auto, "{events:?}");
    assert_eq!(receipt.partition, partition_for_key(b"k", 3));
    let topic = c.topic("clicks").expect("created");
    assert_eq!(topic.partitions.len(), 3);
    assert!(topic.partitions.iter().all(|p| p.replicas.len() == 2));
    // The send goes on as any other: lingers 5 ms, then is written.
    let events = c.tick(200).expect("tick");
    assert!(events.iter().any(|e| matches!(e, Event::RecordAcknowledged { topic, .. } if topic == "clicks")));
}

#[test]
fn kafka_4_a_consumer_subscription_auto_creates_a_missing_topic_with_the_broker_defaults() {
    let mut c = cluster(ClusterConfig::default());
    c.create_consumer("c", ConsumerConfig::new("g")).expect("consumer");
    let events = c.subscribe("c", &["audit".to_string()]).expect("subscribe");
    assert!(events.iter().any(
        |e| matches!(e, Event::TopicAutoCreated { client, partitions: 1, replication_factor: 1, .. } if client == "c")
    ));
    assert_eq!(c.topic("audit").expect("created").partitions.len(), 1);
}

#[test]
fn kafka_4_allow_auto_create_topics_false_leaves_the_topic_missing_and_the_consumer_picks_it_up_at_its_metadata_refresh()
 {
    let mut c = cluster(ClusterConfig::default());
    let config = ConsumerConfig {
        allow_auto_create_topics: false,
        auto_offset_reset: OffsetReset::Earliest,
        metadata_max_age_ms: 10_000,
        ..ConsumerConfig::new("g")
    };
    c.create_consumer("c", config).expect("consumer");
    let events = c.subscribe("c", &["later".to_string()]).expect("a missing topic is no error");
    assert!(!events.iter().any(|e| matches!(e, Event::TopicAutoCreated { .. })));
    assert!(c.topic("later").is_err());
    let (records, _) = c.poll("c", None).expect("poll");
    assert!(records.is_empty(), "nothing to read from a topic that does not exist");
    c.tick(1_000).expect("tick");
    c.create_topic("later", TopicConfig::new(1, 1)).expect("topic");
    c.create_producer("p", ProducerConfig::default()).expect("producer");
    c.produce("p", ProducerRecord::unkeyed("later", "x")).expect("send");
    c.tick(1_000).expect("tick");
    let (records, _) = c.poll("c", None).expect("poll");
    assert!(records.is_empty(), "its metadata does not know the topic before the refresh at 10 s");
    c.tick(8_100).expect("past the metadata refresh");
    let (records, _) = c.poll("c", None).expect("poll");
    assert_eq!(records.len(), 1, "the refresh found the topic and the group was rebalanced");
}

#[test]
fn kafka_4_without_auto_creation_send_blocks_max_block_ms_then_fails_with_timeout_exception() {
    let mut c = cluster(off());
    c.create_producer("p", ProducerConfig::default()).expect("producer");
    let (receipt, events) = c.produce("p", ProducerRecord::unkeyed("missing", "x")).expect("send returns");
    assert_eq!((receipt.offset, receipt.reason), (None, PartitionReason::AwaitingMetadata));
    assert!(events.iter().any(|e| matches!(e, Event::WaitingForMetadata { until: 60_000, .. })));
    let view = c.producer("p").expect("p");
    assert_eq!(view.waiting_for_metadata.len(), 1);
    assert_eq!(view.waiting_for_metadata[0].next_request_ms, 100, "asks again after retry.backoff.ms");
    let events = c.tick(59_999).expect("tick");
    assert!(send_failed(&events).is_empty());
    let events = c.tick(1).expect("tick");
    let failed = send_failed(&events);
    assert_eq!(failed, vec![&KafkaError::MetadataTimeout { topic: "missing".into(), max_block_ms: 60_000 }]);
    assert_eq!(failed[0].to_string(), "Topic missing not present in metadata after 60000 ms.");
    assert!(c.topic("missing").is_err());
    assert!(c.producer("p").expect("p").waiting_for_metadata.is_empty());
}

#[test]
fn kafka_4_a_blocked_send_goes_on_at_the_metadata_request_after_the_topic_appears() {
    let mut c = cluster(off());
    c.create_producer("p", ProducerConfig::default()).expect("producer");
    c.produce("p", ProducerRecord::unkeyed("late", "x")).expect("send");
    // Metadata requests at 0, 100, 300, 700 ms (retry.backoff.ms doubling).
    c.tick(150).expect("tick");
    c.create_topic("late", TopicConfig::new(1, 1)).expect("topic");
    let events = c.tick(149).expect("tick");
    assert!(!events.iter().any(|e| matches!(e, Event::RecordAppended { .. })));
    // Asked again at 300 ms, sent after linger.ms (5 ms).
    let events = c.tick(6).expect("tick");
    assert!(events.iter().any(|e| matches!(e, Event::RecordAppended { topic, offset: 0, .. } if topic == "late")));
    let events = c.tick(100_000).expect("tick");
    assert!(send_failed(&events).is_empty());
}

#[test]
fn kafka_4_the_controller_refuses_a_default_replication_factor_above_the_registered_brokers_and_the_send_times_out() {
    let mut c = cluster(ClusterConfig { brokers: 2, default_replication_factor: 3, ..ClusterConfig::default() });
    c.create_producer("p", ProducerConfig { max_block_ms: 5_000, ..ProducerConfig::default() }).expect("producer");
    let (_, events) = c.produce("p", ProducerRecord::unkeyed("wide", "x")).expect("send");
    assert!(events.iter().any(|e| matches!(
        e,
        Event::TopicAutoCreationFailed {
            error: KafkaError::InvalidReplicationFactor { replication_factor: 3, brokers: 2 },
            ..
        }
    )));
    assert!(!events.iter().any(|e| matches!(e, Event::TopicAutoCreated { .. } | Event::TopicCreated { .. })));
    let events = c.tick(5_000).expect("tick");
    assert_eq!(send_failed(&events), vec![&KafkaError::MetadataTimeout { topic: "wide".into(), max_block_ms: 5_000 }]);
}

#[test]
fn kafka_4_auto_creation_waits_for_an_active_controller_and_succeeds_at_a_later_metadata_request() {
    let mut c = cluster(ClusterConfig::default());
    c.create_producer("p", ProducerConfig::default()).expect("producer");
    let first = brokerlab_kafka::cluster::FIRST_CONTROLLER_ID;
    c.crash_controller(first).expect("crash");
    c.crash_controller(first + 1).expect("crash");
    let (_, events) = c.produce("p", ProducerRecord::unkeyed("orders", "x")).expect("send");
    assert!(
        events
            .iter()
            .any(|e| matches!(e, Event::TopicAutoCreationFailed { error: KafkaError::NoActiveController, .. }))
    );
    c.tick(2_000).expect("tick");
    c.restart_controller(first).expect("restart");
    let events = c.tick(5_000).expect("tick");
    assert!(events.iter().any(|e| matches!(e, Event::TopicAutoCreated { topic, .. } if topic == "orders")));
    assert!(events.iter().any(|e| matches!(e, Event::RecordAcknowledged { topic, .. } if topic == "orders")));
}

#[test]
fn kafka_4_illegal_names_are_invalid_topic_exception_and_internal_topics_are_not_auto_created() {
    let mut c = cluster(ClusterConfig::default());
    c.create_producer("p", ProducerConfig::default()).expect("producer");
    c.create_consumer("c", ConsumerConfig::new("g")).expect("consumer");
    // `Topic.validate`: ASCII alphanumerics, '.', '_' and '-', 1 to 249 of them.
    for bad in ["", ".", "..", "with space", "ünïcode", &"x".repeat(250)] {
        let err = c.produce("p", ProducerRecord::unkeyed(bad, "x")).map(|r| r.0);
        assert!(matches!(err, Err(KafkaError::InvalidTopic { .. })), "{bad:?}: {err:?}");
        assert!(matches!(c.subscribe("c", &[bad.to_string()]), Err(KafkaError::InvalidTopic { .. })), "{bad:?}");
        assert!(matches!(c.create_topic(bad, TopicConfig::new(1, 1)), Err(KafkaError::InvalidTopic { .. })), "{bad:?}");
    }
    c.create_topic(&"x".repeat(249), TopicConfig::new(1, 1)).expect("249 characters are allowed");
    c.create_topic("a-b_c.D9", TopicConfig::new(1, 1)).expect("legal characters");
    // The broker refuses client writes to an internal topic
    // (`ReplicaManager.appendToLocalLog`), and none becomes a user topic.
    let err = c.produce("p", ProducerRecord::unkeyed("__consumer_offsets", "x")).map(|r| r.0);
    assert!(
        matches!(&err, Err(KafkaError::InvalidTopic { reason, .. }) if reason.contains("internal topic")),
        "{err:?}"
    );
    c.subscribe("c", &["__transaction_state".to_string()]).expect("subscribing is allowed");
    assert!(c.topic("__transaction_state").is_err());
    assert!(c.topic("__consumer_offsets").is_err());
}

#[test]
fn kafka_4_a_transactional_send_that_times_out_on_metadata_leaves_the_transaction_abortable() {
    let mut c = cluster(off());
    let config =
        ProducerConfig { transactional_id: Some("t".into()), max_block_ms: 1_000, ..ProducerConfig::default() };
    c.create_producer("tx", config).expect("producer");
    c.init_transactions("tx").expect("init");
    c.begin_transaction("tx").expect("begin");
    c.produce("tx", ProducerRecord::unkeyed("missing", "x")).expect("send");
    c.tick(1_000).expect("tick");
    assert_eq!(c.producer("tx").expect("tx").transaction_state, Some(ClientTransactionState::AbortableError));
    assert!(c.commit_transaction("tx").is_err(), "only an abort is possible");
    c.abort_transaction("tx").expect("abort");
}

#[test]
fn closing_a_producer_ends_its_blocked_sends() {
    let mut c = cluster(off());
    c.create_producer("p", ProducerConfig::default()).expect("producer");
    c.produce("p", ProducerRecord::unkeyed("missing", "x")).expect("send");
    let events = c.close_producer("p").expect("close");
    assert_eq!(send_failed(&events).len(), 1);
    let events = c.tick(120_000).expect("tick");
    assert!(send_failed(&events).is_empty());
}

#[test]
fn kafka_4_max_block_ms_0_fails_the_send_at_once() {
    let mut c = cluster(off());
    c.create_producer("p", ProducerConfig { max_block_ms: 0, ..ProducerConfig::default() }).expect("producer");
    let (_, events) = c.produce("p", ProducerRecord::unkeyed("missing", "x")).expect("send returns a failed future");
    assert_eq!(send_failed(&events), vec![&KafkaError::MetadataTimeout { topic: "missing".into(), max_block_ms: 0 }]);
    assert!(c.producer("p").expect("p").waiting_for_metadata.is_empty());
}
