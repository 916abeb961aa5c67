//! Transactions as a protocol (KIP-98; Kafka 3.x/4.x): the transaction
//! coordinator, `transaction.timeout.ms`, abort on `close()`, fencing by
//! producer epoch at the partition leader, markers replicated before the last
//! stable offset moves, and the log cleaner stopping at the last stable
//! offset. Each test names the behaviour and the Kafka source it follows.

use brokerlab_kafka::*;

fn cluster(brokers: u32, min_isr: u32) -> Cluster {
    Cluster::new(ClusterConfig { brokers, min_insync_replicas: min_isr, ..ClusterConfig::default() }, 7)
        .expect("cluster")
}

fn txn_config(tid: &str) -> ProducerConfig {
    ProducerConfig { transactional_id: Some(tid.into()), ..ProducerConfig::default() }
}

fn txn_producer(c: &mut Cluster, name: &str, tid: &str) {
    c.create_producer(name, txn_config(tid)).expect("producer");
    c.init_transactions(name).expect("init");
}

fn record(topic: &str, value: &str) -> ProducerRecord {
    ProducerRecord {
        topic: topic.into(),
        partition: Some(0),
        value: Some(value.as_bytes().to_vec()),
        ..Default::default()
    }
}

fn keyed(topic: &str, key: &str, value: &str) -> ProducerRecord {
    ProducerRecord {
        topic: topic.into(),
        partition: Some(0),
        key: Some(key.as_bytes().to_vec()),
        value: Some(value.as_bytes().to_vec()),
        ..Default::default()
    }
}

fn lso(c: &Cluster, topic: &str) -> i64 {
    c.partition(topic, 0).expect("partition").last_stable_offset
}

fn values(c: &Cluster, topic: &str) -> Vec<String> {
    c.records(topic, 0)
        .expect("records")
        .iter()
        .filter(|r| !r.kind.is_control())
        .map(|r| String::from_utf8(r.data.value.clone().unwrap_or_default()).expect("utf8"))
        .collect()
}

fn state(c: &Cluster, tid: &str) -> TransactionState {
    c.transaction(tid).expect("transaction").state
}

#[test]
fn kafka_coordinator_is_the_leader_of_the_transaction_state_partition_chosen_by_the_java_hash_code() {
    // `TransactionStateManager.partitionFor`: Utils.abs(hashCode) % 50.
    // "tid".hashCode() = 116·31² + 105·31 + 100 = 114831; 114831 % 50 = 31.
    assert_eq!(transaction_state_partition("tid"), 31);
    // "orders-tx".hashCode() = -390713748 (negative): abs, then % 50 = 48.
    assert_eq!(transaction_state_partition("orders-tx"), 48);
    let mut c = cluster(3, 1);
    c.create_topic("t", TopicConfig::new(1, 3)).expect("topic");
    txn_producer(&mut c, "p", "tid");
    let t = c.transaction("tid").expect("known");
    assert_eq!((t.coordinator_partition, t.coordinator, t.state), (31, Some(31 % 3), TransactionState::Empty));
    // The coordinator's partition fails over to its next replica, and the
    // transaction's state survives it.
    c.crash_broker(1).expect("crash");
    assert_eq!(c.transaction_coordinator("tid"), Some(2));
    c.begin_transaction("p").expect("begin");
    c.produce("p", record("t", "a")).expect("send");
    // Transaction version 2 (Kafka 4.0's default, KIP-890): the partition
    // leader adds the partition to the transaction when the first batch
    // reaches it, after `linger.ms`.
    assert_eq!(state(&c, "tid"), TransactionState::Empty);
    c.tick(KAFKA_4_LINGER_MS).expect("linger");
    assert_eq!(state(&c, "tid"), TransactionState::Ongoing);
}

#[test]
fn kafka_transaction_timeout_ms_aborts_a_stalled_transaction_and_fences_its_producer() {
    // TransactionCoordinator.abortTimedOutTransactions, every 10 s:
    // txnStartTimestamp + txnTimeoutMs < now → prepareFenceProducerEpoch, abort.
    let mut c = cluster(1, 1);
    c.create_topic("t", TopicConfig::new(1, 1)).expect("topic");
    c.create_producer("tx", ProducerConfig { transaction_timeout_ms: 15_000, ..txn_config("tid") }).expect("p");
    c.init_transactions("tx").expect("init");
    c.create_producer("plain", ProducerConfig::default()).expect("plain");
    c.tick(2_000).expect("tick");
    c.begin_transaction("tx").expect("begin");
    c.produce("tx", record("t", "a")).expect("send");
    c.tick(100).expect("tick");
    c.produce("plain", record("t", "b")).expect("send");
    c.tick(100).expect("tick");
    assert_eq!(lso(&c, "t"), 0, "the open transaction holds the last stable offset");
    let started = c.transaction("tid").expect("t").started_ms;
    assert_eq!(started, Some(2_005), "the timeout counts from the first partition added, after linger.ms");
    // 2 005 + 15 000 = 17 005 is passed at the 20 s check, not before.
    c.tick(20_000 - 2_200 - 1).expect("tick");
    assert_eq!(state(&c, "tid"), TransactionState::Ongoing);
    let events = c.tick(1).expect("tick");
    assert!(events.iter().any(|e| matches!(
        e,
        Event::TransactionTimedOut { transactional_id, producer_epoch: 1, .. } if transactional_id == "tid"
    )));
    assert_eq!(state(&c, "tid"), TransactionState::CompleteAbort);
    let p = c.partition("t", 0).expect("p");
    assert_eq!(p.last_stable_offset, p.high_watermark, "the abort marker frees the last stable offset");
    assert_eq!(p.high_watermark, 3, "a, b, then the abort marker");
    // The stalled producer is fenced by the bumped epoch on its next request.
    let out = c.apply(Command::CommitTransaction { producer: "tx".into() });
    assert_eq!(out.error, Some(KafkaError::ProducerFenced("tx".into())));
    assert!(c.producer("tx").expect("tx").fenced);
}

#[test]
fn kafka_timeout_abort_happens_at_its_own_instant_however_time_is_cut() {
    let run = |ticks: &[u64]| {
        let mut c = cluster(3, 2);
        c.create_topic("t", TopicConfig::new(1, 3)).expect("topic");
        c.create_producer("tx", ProducerConfig { transaction_timeout_ms: 12_345, ..txn_config("tid") }).expect("p");
        c.init_transactions("tx").expect("init");
        c.begin_transaction("tx").expect("begin");
        c.produce("tx", record("t", "a")).expect("send");
        let mut events = Vec::new();
        for &ms in ticks {
            events.extend(c.tick(ms).expect("tick").into_iter().filter(|e| !matches!(e, Event::Ticked { .. })));
        }
        (events, c.transaction("tid").expect("t"), c.partition("t", 0).expect("p"))
    };
    let whole = run(&[60_000]);
    assert_eq!(whole, run(&[7, 19_993, 1, 3_333, 36_666]));
    assert_eq!(whole, run(&[20_000, 40_000]));
    assert_eq!(whole.1.state, TransactionState::CompleteAbort);
}

#[test]
fn kafka_close_aborts_an_open_transaction_so_read_committed_readers_move_on() {
    // Audit A5: Sender.run, "Aborting incomplete transaction due to shutdown".
    let mut c = cluster(1, 1);
    c.create_topic("t", TopicConfig::new(1, 1)).expect("topic");
    txn_producer(&mut c, "tx", "tid");
    c.create_producer("plain", ProducerConfig::default()).expect("plain");
    c.begin_transaction("tx").expect("begin");
    c.produce("tx", record("t", "a")).expect("send");
    c.tick(100).expect("tick");
    let events = c.close_producer("tx").expect("close");
    assert!(events.iter().any(|e| matches!(e, Event::TransactionAborted { .. })));
    c.produce("plain", record("t", "b")).expect("send");
    c.tick(120_000).expect("tick");
    let p = c.partition("t", 0).expect("p");
    assert_eq!(p.last_stable_offset, p.high_watermark);
    let explained = c.explain_record("t", 0, 0).expect("explain");
    assert!(explained.aborted, "a is aborted, so read_committed consumers skip it");
    assert_eq!(values(&c, "t"), vec!["a", "b"]);
}

#[test]
fn kafka_markers_must_be_replicated_before_the_last_stable_offset_moves() {
    // Audit A10.3: ProducerStateManager.completeTxn keeps the transaction in
    // unreplicatedTxns until onHighWatermarkUpdated passes its marker.
    let mut c = cluster(3, 1);
    c.create_topic("t", TopicConfig::new(1, 3)).expect("topic");
    txn_producer(&mut c, "tx", "tid");
    c.begin_transaction("tx").expect("begin");
    c.produce("tx", record("t", "a")).expect("send");
    c.tick(200).expect("tick");
    assert_eq!(c.partition("t", 0).expect("p").high_watermark, 1, "the record is acknowledged");
    c.apply(Command::PauseReplication { broker: 1 }).into_result().expect("pause");
    c.apply(Command::PauseReplication { broker: 2 }).into_result().expect("pause");
    let leader = c.partition("t", 0).expect("p").leader;
    assert_eq!(leader, Some(0));
    c.commit_transaction("tx").expect("commit returns once the decision is logged");
    assert_eq!(state(&c, "tid"), TransactionState::PrepareCommit);
    c.tick(20_000).expect("tick");
    let p = c.partition("t", 0).expect("p");
    assert_eq!((p.log_end_offset, p.high_watermark, p.last_stable_offset), (2, 1, 0));
    // The followers are out of sync after replica.lag.time.max.ms (30 s)
    // and leave the ISR at the leader's ISR check at 45 s; the high
    // watermark passes the marker and the transaction completes.
    let events = c.tick(25_000).expect("tick");
    assert!(events.iter().any(|e| matches!(e, Event::TransactionCompleted { committed: true, .. })));
    let p = c.partition("t", 0).expect("p");
    assert_eq!((p.high_watermark, p.last_stable_offset), (2, 2));
}

#[test]
fn kafka_commit_with_a_partition_leader_down_returns_and_the_marker_lands_when_it_is_back() {
    // Audit A10.2: EndTxn completes once PrepareCommit is logged; the
    // TransactionMarkerChannelManager retries until the partition has a leader.
    let mut c = cluster(3, 1);
    let cfg = TopicConfig { replica_assignment: Some(vec![vec![0]]), ..TopicConfig::new(1, 1) };
    c.create_topic("t", cfg).expect("topic");
    txn_producer(&mut c, "tx", "tid");
    c.begin_transaction("tx").expect("begin");
    c.produce("tx", record("t", "a")).expect("send");
    c.tick(100).expect("tick");
    c.crash_broker(0).expect("crash");
    assert!(c.transaction_coordinator("tid").is_some());
    c.commit_transaction("tx").expect("commit");
    c.tick(5_000).expect("tick");
    assert_eq!(c.transaction("tid").expect("t").pending_markers, vec![TopicPartition::new("t", 0)]);
    // The broker registers again once its old session has expired (9 s
    // after its last heartbeat, at 0 ms), and the marker follows.
    c.restart_broker(0).expect("restart");
    let events = c.tick(4_000).expect("tick");
    assert!(events.iter().any(|e| matches!(e, Event::TransactionMarkerWritten { offset: 1, committed: true, .. })));
    assert_eq!(state(&c, "tid"), TransactionState::CompleteCommit);
    assert_eq!(lso(&c, "t"), 2);
}

#[test]
fn kafka_partition_leader_refuses_a_fenced_epoch_and_the_zombie_learns_it_then() {
    // Audit A10.4: a new instance bumps the epoch; the old one's next append
    // is refused with INVALID_PRODUCER_EPOCH and nothing is written.
    let mut c = cluster(1, 1);
    c.create_topic("t", TopicConfig::new(1, 1)).expect("topic");
    c.create_producer("old", ProducerConfig { linger_ms: 5, ..txn_config("tid") }).expect("p");
    c.init_transactions("old").expect("init");
    c.begin_transaction("old").expect("begin");
    c.produce("old", record("t", "first")).expect("send");
    c.tick(10).expect("tick");
    c.produce("old", record("t", "zombie")).expect("queued for linger.ms");
    txn_producer(&mut c, "new", "tid");
    // The open transaction was aborted with epoch 1 and the new instance got 2.
    assert_eq!(c.transaction("tid").expect("t").producer_epoch, 2);
    assert_eq!(c.producer("new").expect("new").epoch, 2);
    assert!(!c.producer("old").expect("old").fenced, "the coordinator does not call the zombie");
    let events = c.tick(10).expect("tick");
    assert!(events.iter().any(|e| matches!(e, Event::ProduceFailed { error: ProduceError::ProducerFenced, .. })));
    assert!(events.iter().any(|e| matches!(e, Event::ProducerFenced { producer, .. } if producer == "old")));
    assert_eq!(values(&c, "t"), vec!["first"], "the fenced record is not appended");
    c.begin_transaction("new").expect("begin");
    c.produce("new", record("t", "fresh")).expect("send");
    c.tick(100).expect("tick");
    c.commit_transaction("new").expect("commit");
    c.tick(100).expect("tick");
    assert_eq!(values(&c, "t"), vec!["first", "fresh"]);
    assert_eq!(lso(&c, "t"), 4);
}

#[test]
fn kafka_transaction_timeout_above_transaction_max_timeout_ms_is_refused_at_init() {
    let mut c = cluster(1, 1);
    c.create_producer("p", ProducerConfig { transaction_timeout_ms: 900_001, ..txn_config("tid") }).expect("p");
    assert!(matches!(
        c.init_transactions("p"),
        Err(KafkaError::InvalidConfig { key, .. }) if key == "transaction.timeout.ms"
    ));
}

#[test]
fn kafka_no_transaction_coordinator_while_its_brokers_are_down() {
    let mut c = cluster(3, 1);
    c.create_topic("t", TopicConfig { replica_assignment: Some(vec![vec![0]]), ..TopicConfig::new(1, 1) })
        .expect("topic");
    for b in 0..3 {
        c.crash_broker(b).expect("crash");
    }
    c.create_producer("p", txn_config("tid")).expect("p");
    assert_eq!(c.init_transactions("p"), Err(KafkaError::TransactionCoordinatorNotAvailable("tid".into())));
}

fn compacted(c: &mut Cluster) {
    let cfg = TopicConfig {
        cleanup_policy: CleanupPolicy::Compact,
        segment_bytes: 30,
        min_cleanable_dirty_ratio: 0.01,
        delete_retention_ms: 1_000,
        ..TopicConfig::new(1, 1)
    };
    c.create_topic("t", cfg).expect("topic");
}

#[test]
fn kafka_log_cleaner_compacts_committed_transactional_records_and_drops_aborted_ones() {
    // Audit A11: LogCleaner treats committed transactional batches like any
    // others, discards aborted ones (CleanedTransactionMetadata.onBatchRead)
    // and removes a marker once its transaction has no records left and
    // delete.retention.ms has passed.
    let mut c = cluster(1, 1);
    compacted(&mut c);
    c.create_producer("plain", ProducerConfig::default()).expect("plain");
    txn_producer(&mut c, "tx", "tid");
    c.produce("plain", keyed("t", "a", "v0")).expect("send");
    for (v, commit) in [("v1", true), ("x", false), ("v2", true), ("v3", true)] {
        c.begin_transaction("tx").expect("begin");
        c.produce("tx", keyed("t", "a", v)).expect("send");
        c.tick(100).expect("tick");
        if commit {
            c.commit_transaction("tx").expect("commit");
        } else {
            c.abort_transaction("tx").expect("abort");
        }
        c.tick(100).expect("tick");
    }
    for i in 0..6 {
        c.produce("plain", keyed("t", &format!("k{i}"), "filler")).expect("send");
    }
    c.tick(5_000).expect("tick");
    let vals = values(&c, "t");
    assert!(vals.contains(&"v3".to_string()), "{vals:?}");
    for gone in ["v0", "v1", "x", "v2"] {
        assert!(!vals.contains(&gone.to_string()), "{gone} should be cleaned: {vals:?}");
    }
    let markers = || c.records("t", 0).expect("records").iter().filter(|r| r.kind.is_control()).count();
    assert_eq!(markers(), 4, "a pass that removes a transaction's records keeps its marker");
    // The next pass, with new dirty records, finds the spent markers.
    for i in 0..6 {
        c.produce("plain", keyed("t", &format!("m{i}"), "filler")).expect("send");
    }
    c.tick(5_000).expect("tick");
    let markers = c.records("t", 0).expect("records").iter().filter(|r| r.kind.is_control()).count();
    assert_eq!(markers, 1, "only v3's commit marker still has a record to decide");
}

#[test]
fn kafka_log_cleaner_stops_at_the_last_stable_offset() {
    // LogCleanerManager.cleanableOffsets: firstUncleanableDirtyOffset is at
    // most log.lastStableOffset, so an open transaction blocks cleaning of
    // everything from its first offset.
    let mut c = cluster(1, 1);
    compacted(&mut c);
    c.create_producer("plain", ProducerConfig::default()).expect("plain");
    txn_producer(&mut c, "tx", "tid");
    c.begin_transaction("tx").expect("begin");
    c.produce("tx", keyed("t", "z", "open")).expect("send");
    c.tick(KAFKA_4_LINGER_MS).expect("the transaction's first batch is written");
    for v in ["v0", "v1", "v2", "v3", "v4", "v5"] {
        c.produce("plain", keyed("t", "a", v)).expect("send");
    }
    c.tick(5_000).expect("tick");
    assert_eq!(values(&c, "t").len(), 7, "nothing above the last stable offset (0) is cleaned");
    c.commit_transaction("tx").expect("commit");
    c.produce("plain", keyed("t", "b", "roll")).expect("send");
    c.tick(5_000).expect("tick");
    let vals = values(&c, "t");
    assert!(!vals.contains(&"v0".to_string()), "{vals:?}");
    assert!(vals.contains(&"open".to_string()), "the committed record is the latest of its key: {vals:?}");
}

#[test]
fn kafka_retention_is_bounded_by_the_high_watermark_and_the_last_stable_offset_by_the_log_start() {
    // UnifiedLog.deletableSegments deletes below the high watermark, open
    // transactions or not; maybeIncrementFirstUnstableOffset then keeps the
    // first unstable offset at or above the log start offset.
    let mut c = cluster(1, 1);
    let cfg = TopicConfig { segment_bytes: 20, retention_ms: 1_000, ..TopicConfig::new(1, 1) };
    c.create_topic("t", cfg).expect("topic");
    c.create_producer("plain", ProducerConfig::default()).expect("plain");
    txn_producer(&mut c, "tx", "tid");
    c.begin_transaction("tx").expect("begin");
    c.produce("tx", record("t", "open-one")).expect("send");
    c.tick(100).expect("tick");
    for i in 0..5 {
        c.produce("plain", record("t", &format!("later-{i}"))).expect("send");
    }
    c.tick(3_000).expect("tick");
    let p = c.partition("t", 0).expect("p");
    assert!(p.log_start_offset > 0, "retention deleted the open transaction's segment");
    assert_eq!(p.last_stable_offset, p.log_start_offset.min(p.high_watermark));
}

#[test]
fn kafka_a_new_instance_waits_for_the_previous_transactions_markers() {
    // While the coordinator still writes markers, the id's new transactional
    // requests get CONCURRENT_TRANSACTIONS and the client retries them.
    let mut c = cluster(3, 1);
    c.create_topic("t", TopicConfig { replica_assignment: Some(vec![vec![0]]), ..TopicConfig::new(1, 1) })
        .expect("topic");
    c.create_topic("u", TopicConfig { replica_assignment: Some(vec![vec![1]]), ..TopicConfig::new(1, 1) })
        .expect("topic");
    txn_producer(&mut c, "old", "tid");
    c.begin_transaction("old").expect("begin");
    c.produce("old", record("t", "a")).expect("send");
    c.tick(100).expect("tick");
    c.crash_broker(0).expect("crash");
    c.commit_transaction("old").expect("commit");
    txn_producer(&mut c, "new", "tid");
    c.begin_transaction("new").expect("begin");
    c.produce("new", record("u", "b")).expect("queued behind the markers");
    c.tick(1_000).expect("tick");
    assert_eq!(values(&c, "u"), Vec::<String>::new(), "the send waits for the previous transaction");
    // The broker registers again once its old session has expired (9 s
    // after its last heartbeat, at 0 ms).
    c.restart_broker(0).expect("restart");
    c.tick(8_000).expect("tick");
    assert_eq!(state(&c, "tid"), TransactionState::Ongoing, "the new transaction started once the old completed");
    let markers: Vec<i16> = c
        .records("t", 0)
        .expect("records")
        .iter()
        .filter(|r| r.kind == RecordKind::CommitMarker)
        .map(|r| r.producer_epoch)
        .collect();
    // Transaction version 2 (4.0): EndTxn bumped the epoch 0 → 1 and the
    // marker carries the bumped epoch; the new instance's init made it 2.
    assert_eq!(markers, vec![1], "one commit marker, with the epoch EndTxn bumped to");
    assert_eq!(values(&c, "u"), vec!["b"]);
    c.commit_transaction("new").expect("commit");
    c.tick(100).expect("tick");
    assert_eq!((lso(&c, "t"), lso(&c, "u")), (2, 2));
}

#[test]
fn kafka_a_timed_out_transaction_waits_for_a_live_coordinator_and_is_aborted_at_its_next_check() {
    let mut c = cluster(3, 1);
    c.create_topic("t", TopicConfig::new(1, 3)).expect("topic");
    txn_producer(&mut c, "tx", "tid");
    c.begin_transaction("tx").expect("begin");
    c.produce("tx", record("t", "a")).expect("send");
    c.tick(KAFKA_4_LINGER_MS).expect("the first batch starts the transaction");
    for b in 0..3 {
        c.crash_broker(b).expect("crash");
    }
    // A day without a coordinator: nothing to check the timeout with.
    c.tick(86_400_000).expect("tick");
    assert_eq!(state(&c, "tid"), TransactionState::Ongoing);
    c.restart_broker(0).expect("restart");
    // Restarted at 86 400 005 (after the linger); the next check is at 86 410 000.
    c.tick(4_994).expect("tick");
    let events = c.tick(5_001).expect("tick");
    assert!(events.iter().any(|e| matches!(e, Event::TransactionTimedOut { .. })));
    assert_eq!(c.now() % 10_000, 0);
    // The partition's last in-sync replica is still down: the marker waits.
    assert_eq!(state(&c, "tid"), TransactionState::PrepareAbort);
    c.restart_broker(1).expect("restart");
    c.restart_broker(2).expect("restart");
    // Written at the next step, replicated by the followers at the one after.
    c.tick(100).expect("tick");
    assert_eq!(c.partition("t", 0).expect("p").log_end_offset, c.partition("t", 0).expect("p").high_watermark + 1);
    assert_eq!(state(&c, "tid"), TransactionState::PrepareAbort);
    c.tick(100).expect("tick");
    assert_eq!(state(&c, "tid"), TransactionState::CompleteAbort);
}

#[test]
fn kafka_commit_transaction_flushes_the_pending_sends_first_and_commits_when_they_are_acknowledged() {
    // Audit A10.1: KafkaProducer.commitTransaction flushes; TransactionManager
    // .nextRequest holds EndTxn while the accumulator has incomplete batches.
    let mut c = cluster(3, 1);
    c.create_topic("t", TopicConfig::new(1, 3)).expect("topic");
    txn_producer(&mut c, "tx", "tid");
    c.begin_transaction("tx").expect("begin");
    c.produce("tx", record("t", "a")).expect("send");
    // Still in the accumulator (linger.ms = 5): the commit waits for it.
    let events = c.commit_transaction("tx").expect("commit flushes instead of failing");
    assert!(events.iter().any(|e| matches!(e, Event::TransactionFlushing { records: 1, .. })), "{events:?}");
    assert!(!events.iter().any(|e| matches!(e, Event::TransactionCommitted { .. })));
    assert!(matches!(c.produce("tx", record("t", "late")), Err(KafkaError::InvalidTxnState(_))));
    let view = c.producer("tx").expect("tx");
    assert_eq!(view.transaction_state, Some(ClientTransactionState::CommittingTransaction));
    // Transaction version 2: the partition is added when the batch reaches
    // its leader, so the coordinator (broker 31 % 3 = 1) still has Empty.
    assert_eq!(view.transaction.map(|t| (t.state, t.coordinator)), Some((TransactionState::Empty, Some(1))));
    // Sent at 5 ms, replicated on the 100 ms step and answered on the next:
    // the commit goes at that instant.
    let events = c.tick(200).expect("tick");
    let acked = events.iter().position(|e| matches!(e, Event::RecordAcknowledged { offset: 0, .. }));
    let committed = events.iter().position(|e| matches!(e, Event::TransactionCommitted { .. }));
    assert!(acked.is_some() && committed > acked, "{events:?}");
    c.tick(300).expect("markers");
    assert_eq!(state(&c, "tid"), TransactionState::CompleteCommit);
    assert_eq!(values(&c, "t"), vec!["a"]);
    assert_eq!(lso(&c, "t"), 2);
}

#[test]
fn kafka_a_send_that_fails_for_good_fails_the_commit_and_the_transaction_must_be_aborted() {
    // A batch that fails puts the TransactionManager in ABORTABLE_ERROR:
    // commitTransaction throws, abortTransaction works.
    let mut c = cluster(3, 1);
    let cfg = TopicConfig { replica_assignment: Some(vec![vec![0]]), ..TopicConfig::new(1, 1) };
    c.create_topic("t", cfg).expect("topic");
    c.create_producer("tx", ProducerConfig { delivery_timeout_ms: 2_000, ..txn_config("tid") }).expect("p");
    c.init_transactions("tx").expect("init");
    c.begin_transaction("tx").expect("begin");
    c.produce("tx", record("t", "a")).expect("send");
    c.tick(KAFKA_4_LINGER_MS).expect("sent");
    c.crash_broker(0).expect("crash");
    c.produce("tx", record("t", "b")).expect("queued: no leader");
    c.commit_transaction("tx").expect("flushing");
    let events = c.tick(3_000).expect("delivery.timeout.ms passes");
    assert!(events.iter().any(|e| matches!(e, Event::ProduceFailed { error: ProduceError::DeliveryTimeout, .. })));
    assert!(
        events.iter().any(|e| matches!(e, Event::TransactionCommitFailed { error: ProduceError::DeliveryTimeout, .. })),
        "{events:?}"
    );
    assert!(matches!(c.commit_transaction("tx"), Err(KafkaError::InvalidTxnState(_))));
    c.abort_transaction("tx").expect("abort");
    assert_eq!(c.producer("tx").expect("tx").transaction_state, None);
}

#[test]
fn kafka_4_transaction_version_2_bumps_the_epoch_at_every_commit_and_abort() {
    // KIP-890 part 2 (transaction.version=2, the default of a 4.0 cluster,
    // used by 4.0+ clients): EndTxn bumps the producer epoch, the markers
    // carry the new epoch, and the next transaction starts its sequences at 0
    // under it.
    let mut c = cluster(3, 1);
    c.create_topic("t", TopicConfig::new(1, 3)).expect("topic");
    txn_producer(&mut c, "tx", "tid");
    assert_eq!(c.producer("tx").expect("tx").epoch, 0);
    for (round, commit) in [(1i16, true), (2, false)] {
        c.begin_transaction("tx").expect("begin");
        c.produce("tx", record("t", "a")).expect("send");
        c.produce("tx", record("t", "b")).expect("send");
        c.tick(300).expect("acknowledged");
        if commit {
            c.commit_transaction("tx").expect("commit");
        } else {
            c.abort_transaction("tx").expect("abort");
        }
        c.tick(300).expect("markers");
        let view = c.producer("tx").expect("tx");
        assert_eq!((view.epoch, view.transaction.map(|t| t.producer_epoch)), (round, Some(round)));
    }
    let records = c.records("t", 0).expect("records");
    let seen: Vec<(RecordKind, i16, i32)> = records.iter().map(|r| (r.kind, r.producer_epoch, r.sequence)).collect();
    assert_eq!(
        seen,
        vec![
            (RecordKind::Transactional, 0, 0),
            (RecordKind::Transactional, 0, 1),
            (RecordKind::CommitMarker, 1, -1),
            (RecordKind::Transactional, 1, 0),
            (RecordKind::Transactional, 1, 1),
            (RecordKind::AbortMarker, 2, -1),
        ]
    );
}

#[test]
fn kafka_close_during_a_flushing_commit_aborts_the_transaction() {
    let mut c = cluster(3, 1);
    c.create_topic("t", TopicConfig::new(1, 3)).expect("topic");
    txn_producer(&mut c, "tx", "tid");
    c.begin_transaction("tx").expect("begin");
    c.produce("tx", record("t", "a")).expect("send");
    c.tick(KAFKA_4_LINGER_MS).expect("sent, not yet acknowledged");
    c.commit_transaction("tx").expect("flushing");
    assert!(matches!(c.abort_transaction("tx"), Err(KafkaError::InvalidTxnState(_))), "the commit is under way");
    let events = c.close_producer("tx").expect("close");
    assert!(events.iter().any(|e| matches!(e, Event::TransactionAborted { .. })), "{events:?}");
    c.tick(300).expect("markers");
    assert_eq!(state(&c, "tid"), TransactionState::CompleteAbort);
}

/// A consume-transform-produce pair: consumers `c1` and `c2` in group `g`
/// (classic or consumer protocol) reading `in` (2 partitions), each with a
/// transactional producer, `p1` and `p2`. `c1` has `max.poll.interval.ms`
/// 10 s, `c2` the default.
fn eos_pair(protocol: GroupProtocol) -> Cluster {
    let mut c = cluster(1, 1);
    c.create_topic("in", TopicConfig::new(2, 1)).expect("in");
    c.create_topic("out", TopicConfig::new(1, 1)).expect("out");
    for (name, max_poll) in [("c1", 10_000), ("c2", 300_000)] {
        let cfg = ConsumerConfig {
            group_protocol: protocol,
            auto_offset_reset: OffsetReset::Earliest,
            enable_auto_commit: false,
            max_poll_interval_ms: max_poll,
            ..ConsumerConfig::new("g")
        };
        c.create_consumer(name, cfg).expect("consumer");
        c.subscribe(name, &["in".to_string()]).expect("subscribe");
    }
    txn_producer(&mut c, "p1", "t1");
    txn_producer(&mut c, "p2", "t2");
    for _ in 0..4 {
        c.poll("c1", None).expect("poll");
        c.poll("c2", None).expect("poll");
        c.tick(5_000).expect("tick");
    }
    assert_eq!(c.consumer("c1").expect("c1").assignment.len(), 1, "{:?}", c.group("g"));
    assert_eq!(c.consumer("c2").expect("c2").assignment.len(), 1);
    c
}

/// `c1` stops polling; `c2` polls every 5 s until `c1`'s poll timer has run
/// out and `c2` owns both partitions.
fn rebalance_c1_away(c: &mut Cluster) {
    for _ in 0..4 {
        c.tick(5_000).expect("tick");
        c.poll("c2", None).expect("poll");
    }
    assert_eq!(c.consumer("c2").expect("c2").assignment.len(), 2, "{:?}", c.group("g"));
}

/// One transaction of the pair: a record to `out` and the consumed offset
/// of `in`-0, under `metadata`.
fn offsets_in_transaction(c: &mut Cluster, producer: &str, metadata: &ConsumerGroupMetadata) -> Result<(), KafkaError> {
    c.begin_transaction(producer).expect("begin");
    c.produce(producer, record("out", producer)).expect("send");
    c.send_offsets_to_transaction(producer, metadata, vec![(TopicPartition::new("in", 0), 0)]).map(|_| ())
}

fn client_txn_state(c: &Cluster, producer: &str) -> Option<ClientTransactionState> {
    c.producer(producer).expect("producer").transaction_state
}

/// KIP-447 (Kafka 2.5+), classic group: the TxnOffsetCommit carries
/// `consumer.groupMetadata()`, and the group coordinator checks it like an
/// OffsetCommit (Kafka 4.0 `OffsetMetadataManager.validateTransactionalOffsetCommit`
/// → `ClassicGroup.validateOffsetCommit`). `c1`, kicked out for
/// `max.poll.interval.ms`, still hands out its old generation and member
/// id (`ConsumerCoordinator` sets them only in `onJoinComplete`); the
/// coordinator no longer knows the member (`UNKNOWN_MEMBER_ID`), and the
/// producer's `sendOffsetsToTransaction` throws `CommitFailedException`
/// (`TransactionManager.TxnOffsetCommitHandler`). The transaction is in
/// `ABORTABLE_ERROR`: commit fails, abort works, no offset is committed.
/// Metadata from before the rebalance of a member still in the group is
/// `ILLEGAL_GENERATION`; `c2`'s current metadata commits.
#[test]
fn kafka_kip_447_a_zombie_rebalanced_out_of_a_classic_group_cannot_commit_its_offsets() {
    let mut c = eos_pair(GroupProtocol::Classic);
    let stale = c.consumer_group_metadata("c1").expect("metadata");
    let c2_before = c.consumer_group_metadata("c2").expect("metadata");
    assert_eq!((stale.member_id.as_str(), stale.generation_id), ("c1", c.group("g").expect("g").generation));
    rebalance_c1_away(&mut c);
    assert!(c.group("g").expect("g").generation > stale.generation_id);
    assert_eq!(c.consumer_group_metadata("c1").expect("metadata"), stale, "kept after being kicked out");

    let err = offsets_in_transaction(&mut c, "p1", &stale).expect_err("fenced");
    assert!(matches!(&err, KafkaError::TxnOffsetCommitFailed { error, .. } if error == "UNKNOWN_MEMBER_ID"), "{err:?}");
    assert_eq!(client_txn_state(&c, "p1"), Some(ClientTransactionState::AbortableError));
    // The transaction itself started at its coordinator (AddOffsetsToTxn).
    assert_eq!(state(&c, "t1"), TransactionState::Ongoing);
    assert!(matches!(c.commit_transaction("p1"), Err(KafkaError::InvalidTxnState(_))));
    assert!(matches!(
        c.send_offsets_to_transaction("p1", &stale, vec![(TopicPartition::new("in", 0), 0)]),
        Err(KafkaError::InvalidTxnState(_))
    ));
    c.abort_transaction("p1").expect("abort");
    c.tick(100).expect("markers");
    assert!(c.group("g").expect("g").committed.is_empty());

    let err = offsets_in_transaction(&mut c, "p2", &c2_before).expect_err("old generation");
    assert!(
        matches!(&err, KafkaError::TxnOffsetCommitFailed { error, .. } if error == "ILLEGAL_GENERATION"),
        "{err:?}"
    );
    c.abort_transaction("p2").expect("abort");
    c.tick(100).expect("markers");

    let current = c.consumer_group_metadata("c2").expect("metadata");
    assert_eq!(current.generation_id, c.group("g").expect("g").generation);
    offsets_in_transaction(&mut c, "p2", &current).expect("current member");
    c.commit_transaction("p2").expect("commit");
    c.tick(100).expect("flush");
    assert_eq!(c.group("g").expect("g").committed, vec![(TopicPartition::new("in", 0), 0)]);
}

/// KIP-447 with a consumer-protocol group (KIP-848, Kafka 4.0):
/// `ConsumerGroup.validateOffsetCommit` checks the member and its member
/// epoch. `c1` left when its poll timer ran out; `AsyncKafkaConsumer`
/// keeps its last epoch and member id in `groupMetadata()`, which the
/// coordinator refuses (`UNKNOWN_MEMBER_ID`), so `sendOffsetsToTransaction`
/// throws `CommitFailedException`. `c2`'s metadata follows its member epoch
/// in the background; an older epoch is `STALE_MEMBER_EPOCH`, which the
/// transactional path reports as `ILLEGAL_GENERATION`. The deprecated form
/// with the group id alone is never fenced (KAFKA-18060, Kafka 4.0.0).
#[test]
fn kafka_kip_447_a_zombie_rebalanced_out_of_a_consumer_group_cannot_commit_its_offsets() {
    let mut c = eos_pair(GroupProtocol::Consumer);
    let stale = c.consumer_group_metadata("c1").expect("metadata");
    let c2_before = c.consumer_group_metadata("c2").expect("metadata");
    assert!(stale.generation_id > 0 && stale.member_id == "c1", "{stale:?}");
    rebalance_c1_away(&mut c);
    assert_eq!(c.consumer_group_metadata("c1").expect("metadata"), stale, "kept after leaving");
    let c2_now = c.consumer_group_metadata("c2").expect("metadata");
    assert!(c2_now.generation_id > c2_before.generation_id, "{c2_now:?} {c2_before:?}");

    let err = offsets_in_transaction(&mut c, "p1", &stale).expect_err("fenced");
    assert!(matches!(&err, KafkaError::TxnOffsetCommitFailed { error, .. } if error == "UNKNOWN_MEMBER_ID"), "{err:?}");
    assert!(matches!(c.commit_transaction("p1"), Err(KafkaError::InvalidTxnState(_))));
    c.abort_transaction("p1").expect("abort");

    let err = offsets_in_transaction(&mut c, "p2", &c2_before).expect_err("old member epoch");
    assert!(
        matches!(&err, KafkaError::TxnOffsetCommitFailed { error, .. } if error == "ILLEGAL_GENERATION"),
        "{err:?}"
    );
    c.abort_transaction("p2").expect("abort");
    c.tick(100).expect("markers");
    assert!(c.group("g").expect("g").committed.is_empty());

    offsets_in_transaction(&mut c, "p2", &c2_now).expect("current member");
    c.commit_transaction("p2").expect("commit");
    c.tick(100).expect("flush");
    assert_eq!(c.group("g").expect("g").committed, vec![(TopicPartition::new("in", 0), 0)]);

    offsets_in_transaction(&mut c, "p1", &ConsumerGroupMetadata::new("g")).expect("group id alone");
    c.commit_transaction("p1").expect("commit");
}
