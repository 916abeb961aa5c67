//! Retries and dead letters on both engines: a poison message lands in the
//! dead-letter queue after exactly N attempts, healthy messages pass once,
//! and a dead letter can be inspected and republished.

use brokerlab_patterns::retry::*;
use proptest::prelude::*;

fn config(max_attempts: u32) -> RetryConfig {
    RetryConfig { max_attempts, ..RetryConfig::default() }
}

#[test]
fn rabbit_poison_message_reaches_the_dlq_after_exactly_n_attempts_counted_by_x_death() {
    let mut lab = RabbitRetryLab::new(config(3), 1).unwrap();
    lab.publish("bad", true).unwrap();
    lab.publish("good", false).unwrap();
    lab.run(200).unwrap();
    let s = lab.snapshot();
    assert_eq!(s.attempts["bad"], 3);
    assert_eq!(s.attempts["good"], 1);
    assert_eq!(s.succeeded, vec!["good".to_string()]);
    let dlq = lab.dead_letters();
    assert_eq!(dlq.len(), 1);
    assert_eq!((dlq[0].body.as_str(), dlq[0].attempts), ("bad", 3));
    // Two trips through the retry queue: two rejections from the main queue
    // and two expiries from the retry queue; the expiry came last, so x-death
    // lists it first.
    assert_eq!(
        dlq[0].history,
        vec![("orders.retry".to_string(), "expired".to_string(), 2), ("orders".to_string(), "rejected".to_string(), 2)]
    );
}

#[test]
fn rabbit_retry_waits_for_the_retry_queue_ttl() {
    let mut lab = RabbitRetryLab::new(RetryConfig { max_attempts: 2, retry_delay_ms: 1_000, step_ms: 250 }, 1).unwrap();
    lab.publish("bad", true).unwrap();
    assert!(matches!(lab.step().unwrap(), RetryStep::Retrying { attempt: 1, .. }));
    // Three more steps are 750 ms: still waiting in orders.retry.
    for _ in 0..3 {
        assert_eq!(lab.step().unwrap(), RetryStep::Idle);
    }
    assert_eq!(lab.step().unwrap(), RetryStep::DeadLettered { body: "bad".into(), attempts: 2 });
}

#[test]
fn rabbit_republished_dead_letter_starts_over_and_succeeds_after_a_fix() {
    let mut lab = RabbitRetryLab::new(config(2), 5).unwrap();
    lab.publish("a", true).unwrap();
    lab.publish("b", true).unwrap();
    lab.run(200).unwrap();
    let dlq = lab.dead_letters();
    assert_eq!(dlq.len(), 2);
    // Republish the second entry unfixed: it fails N more times and returns.
    lab.republish(dlq[1].id).unwrap();
    lab.run(200).unwrap();
    assert_eq!(lab.snapshot().attempts["b"], 4);
    let dlq = lab.dead_letters();
    assert_eq!(dlq.iter().map(|d| (d.body.as_str(), d.attempts)).collect::<Vec<_>>(), vec![("a", 2), ("b", 2)]);
    lab.fix("a");
    lab.republish(dlq[0].id).unwrap();
    lab.run(200).unwrap();
    assert_eq!(lab.snapshot().succeeded, vec!["a".to_string()]);
    assert_eq!(lab.dead_letters().len(), 1);
    assert_eq!(lab.republish(9_999), Err(brokerlab_patterns::PatternError::UnknownDeadLetter(9_999)));
}

#[test]
fn kafka_poison_record_goes_through_each_retry_topic_then_the_dead_letter_topic() {
    let mut lab = KafkaRetryLab::new(config(3), 1).unwrap();
    lab.publish("bad", true).unwrap();
    lab.publish("good", false).unwrap();
    let mut trail = Vec::new();
    for _ in 0..200 {
        match lab.step().unwrap() {
            RetryStep::Retrying { to, .. } => trail.push(to),
            RetryStep::DeadLettered { attempts, .. } => trail.push(format!("dlt after {attempts}")),
            _ => {}
        }
    }
    assert_eq!(trail, vec!["orders-retry-1", "orders-retry-2", "dlt after 3"]);
    let s = lab.snapshot();
    assert_eq!((s.attempts["bad"], s.attempts["good"]), (3, 1));
    let dlt = lab.dead_letters();
    assert_eq!((dlt[0].body.as_str(), dlt[0].attempts), ("bad", 3));
    let topics: Vec<&str> = dlt[0].history.iter().map(|(t, _, _)| t.as_str()).collect();
    assert_eq!(topics, vec!["orders", "orders-retry-1", "orders-retry-2"]);
    assert_eq!(lab.republish(9_999), Err(brokerlab_patterns::PatternError::UnknownDeadLetter(9_999)));
    assert_eq!(lab.republish(u64::MAX), Err(brokerlab_patterns::PatternError::UnknownDeadLetter(u64::MAX)));
}

#[test]
fn kafka_republished_dead_letter_is_marked_and_processed_after_a_fix() {
    let mut lab = KafkaRetryLab::new(config(2), 3).unwrap();
    lab.publish("bad", true).unwrap();
    lab.run(200).unwrap();
    let id = lab.dead_letters()[0].id;
    lab.fix("bad");
    lab.republish(id).unwrap();
    assert!(lab.dead_letters()[0].republished);
    assert_eq!(lab.republish(id), Err(brokerlab_patterns::PatternError::UnknownDeadLetter(id)));
    lab.run(200).unwrap();
    assert_eq!(lab.snapshot().succeeded, vec!["bad".to_string()]);
    assert_eq!(lab.snapshot().attempts["bad"], 3);
}

#[test]
fn the_same_seed_gives_the_same_snapshot_on_both_engines() {
    let rabbit = || {
        let mut lab = RabbitRetryLab::new(config(3), 8).unwrap();
        lab.publish("x", true).unwrap();
        lab.publish("y", false).unwrap();
        lab.run(300).unwrap();
        lab.snapshot()
    };
    let kafka = || {
        let mut lab = KafkaRetryLab::new(config(3), 8).unwrap();
        lab.publish("x", true).unwrap();
        lab.publish("y", false).unwrap();
        lab.run(300).unwrap();
        lab.snapshot()
    };
    assert_eq!(rabbit(), rabbit());
    assert_eq!(kafka(), kafka());
}

/// Crashes do not count as attempts: the broker requeues (or the group
/// re-reads) the message and the attempt number stays the same, so the
/// handler runs once more than the attempt count says.
fn crash_repeats_the_attempt(lab: &mut dyn RetryLab, name: &str) {
    lab.publish("bad", true).unwrap();
    lab.crash(brokerlab_patterns::CrashPoint::AfterProcessing);
    let mut crashed = false;
    let mut restarted = false;
    for _ in 0..300 {
        match lab.step().unwrap() {
            RetryStep::Crashed { .. } => crashed = true,
            RetryStep::Restarted { incarnation } => restarted = incarnation == 2,
            _ => {}
        }
    }
    assert!(crashed && restarted, "{name}");
    let s = lab.snapshot();
    assert_eq!(s.attempts["bad"], 4, "{name}");
    assert_eq!(s.worker.crashes, 1, "{name}");
    let dlq = lab.dead_letters();
    assert_eq!(dlq.len(), 1, "{name}");
    assert_eq!(dlq[0].attempts, 3, "{name}");
}

#[test]
fn a_worker_crash_before_the_ack_repeats_the_attempt_without_counting_it() {
    crash_repeats_the_attempt(&mut RabbitRetryLab::new(config(3), 2).unwrap(), "rabbit");
    crash_repeats_the_attempt(&mut KafkaRetryLab::new(config(3), 2).unwrap(), "kafka");
}

#[test]
fn a_worker_crash_before_processing_loses_nothing() {
    for lab in [
        &mut RabbitRetryLab::new(config(2), 4).unwrap() as &mut dyn RetryLab,
        &mut KafkaRetryLab::new(config(2), 4).unwrap(),
    ] {
        lab.publish("good", false).unwrap();
        lab.crash(brokerlab_patterns::CrashPoint::BeforeProcessing);
        lab.run(300).unwrap();
        let s = lab.snapshot();
        assert_eq!((s.succeeded.len(), s.attempts["good"]), (1, 1));
    }
}

#[test]
fn bad_retry_settings_are_refused() {
    assert!(RabbitRetryLab::new(config(0), 1).is_err());
    assert!(KafkaRetryLab::new(RetryConfig { step_ms: 0, ..RetryConfig::default() }, 1).is_err());
}

fn exactly_n_attempts(lab: &mut dyn RetryLab, n: u32, poison: &[bool]) -> Result<(), String> {
    for (i, p) in poison.iter().enumerate() {
        lab.publish(&format!("m{i}"), *p).map_err(|e| e.to_string())?;
    }
    lab.run(2_000).map_err(|e| e.to_string())?;
    let s = lab.snapshot();
    for (i, p) in poison.iter().enumerate() {
        let body = format!("m{i}");
        let expected = if *p { n } else { 1 };
        if s.attempts.get(&body) != Some(&expected) {
            return Err(format!("{body}: {:?} attempts, expected {expected}", s.attempts.get(&body)));
        }
        let dead: Vec<&DeadLetter> = s.dead_letters.iter().filter(|d| d.body == body).collect();
        match (p, dead.as_slice()) {
            (true, [d]) if d.attempts == n => {}
            (false, []) => {}
            _ => return Err(format!("{body}: dead letters {dead:?}")),
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, ..ProptestConfig::default() })]

    #[test]
    fn every_poison_message_lands_in_the_dlq_after_exactly_n_attempts(
        seed in any::<u64>(),
        n in 1u32..6,
        poison in prop::collection::vec(any::<bool>(), 1..8),
    ) {
        let mut rabbit = RabbitRetryLab::new(config(n), seed).unwrap();
        let r = exactly_n_attempts(&mut rabbit, n, &poison);
        prop_assert!(r.is_ok(), "rabbit seed {}: {:?}", seed, r);
        let mut kafka = KafkaRetryLab::new(config(n), seed).unwrap();
        let r = exactly_n_attempts(&mut kafka, n, &poison);
        prop_assert!(r.is_ok(), "kafka seed {}: {:?}", seed, r);
    }
}
