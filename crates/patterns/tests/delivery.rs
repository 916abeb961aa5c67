//! Delivery semantics under injected crashes: the named failure of each
//! strategy, and each guarantee as a property over random crash plans.

use brokerlab_patterns::*;
use proptest::prelude::*;

fn run_with_plan(semantics: Semantics, orders: u32, seed: u64, plan: &[Option<CrashPoint>]) -> DeliveryLab {
    let mut lab = DeliveryLab::new(semantics, orders, seed).expect("lab");
    for crash in plan {
        if let Some(point) = crash {
            lab.crash(*point);
        }
        lab.step().expect("step");
        // The strong strategies never show a duplicate, not even mid-run.
        if matches!(semantics, Semantics::IdempotentConsumer | Semantics::ExactlyOnce) {
            assert_eq!(lab.counters().duplicated, 0, "seed {seed} plan {plan:?}");
        }
    }
    lab.disarm();
    lab.run(10 * orders + 50).expect("run");
    assert!(lab.is_done(), "seed {seed}: lab did not finish");
    lab
}

#[test]
fn at_most_once_loses_the_order_when_crashing_before_processing() {
    let lab = run_with_plan(Semantics::AtMostOnce, 5, 1, &[Some(CrashPoint::BeforeProcessing)]);
    let c = lab.counters();
    assert_eq!((c.lost, c.duplicated, c.exactly_once), (1, 0, 4));
}

#[test]
fn at_least_once_processes_twice_when_crashing_before_the_commit() {
    let lab = run_with_plan(Semantics::AtLeastOnce, 5, 1, &[Some(CrashPoint::AfterProcessing)]);
    let c = lab.counters();
    assert_eq!((c.lost, c.duplicated, c.exactly_once), (0, 1, 4));
}

#[test]
fn the_idempotent_consumer_skips_the_redelivery() {
    let lab = run_with_plan(Semantics::IdempotentConsumer, 5, 1, &[Some(CrashPoint::AfterProcessing)]);
    let c = lab.counters();
    assert_eq!((c.lost, c.duplicated, c.exactly_once, c.duplicates_skipped), (0, 0, 5, 1));
}

#[test]
fn exactly_once_aborts_the_crashed_transaction_and_redoes_it() {
    let lab = run_with_plan(Semantics::ExactlyOnce, 5, 1, &[None, Some(CrashPoint::AfterProcessing)]);
    let c = lab.counters();
    assert_eq!((c.lost, c.duplicated, c.exactly_once), (0, 0, 5));
    // The service started order 1 twice, but only one result is visible.
    assert_eq!(lab.orders()[1].attempts, 2);
}

#[test]
fn a_crash_after_the_ack_harms_no_strategy() {
    for s in Semantics::ALL {
        let lab = run_with_plan(s, 4, 3, &[Some(CrashPoint::AfterAck)]);
        assert_eq!(lab.counters().exactly_once, 4, "{s:?}");
    }
}

#[test]
fn counters_show_pending_orders_before_the_run() {
    let lab = DeliveryLab::new(Semantics::AtLeastOnce, 3, 9).unwrap();
    assert_eq!(lab.counters().pending, 3);
    assert!(matches!(DeliveryLab::new(Semantics::AtLeastOnce, 0, 9), Err(PatternError::InvalidSetting { .. })));
}

#[test]
fn the_same_seed_and_plan_give_the_same_snapshot() {
    let plan = [Some(CrashPoint::AfterProcessing), None, Some(CrashPoint::BeforeProcessing)];
    for s in Semantics::ALL {
        let a = run_with_plan(s, 6, 42, &plan).snapshot();
        let b = run_with_plan(s, 6, 42, &plan).snapshot();
        assert_eq!(a, b, "{s:?}");
    }
}

fn crash_plan() -> impl Strategy<Value = Vec<Option<CrashPoint>>> {
    let point = prop_oneof![
        3 => Just(None),
        1 => Just(Some(CrashPoint::BeforeProcessing)),
        1 => Just(Some(CrashPoint::AfterProcessing)),
        1 => Just(Some(CrashPoint::AfterAck)),
    ];
    prop::collection::vec(point, 0..30)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn idempotent_consumer_applies_every_order_exactly_once(seed in any::<u64>(), plan in crash_plan()) {
        let lab = run_with_plan(Semantics::IdempotentConsumer, 8, seed, &plan);
        let c = lab.counters();
        prop_assert_eq!((c.lost, c.duplicated, c.exactly_once), (0, 0, 8), "seed {} plan {:?}", seed, plan);
    }

    #[test]
    fn exactly_once_shows_every_result_exactly_once(seed in any::<u64>(), plan in crash_plan()) {
        let lab = run_with_plan(Semantics::ExactlyOnce, 8, seed, &plan);
        let c = lab.counters();
        prop_assert_eq!((c.lost, c.duplicated, c.exactly_once), (0, 0, 8), "seed {} plan {:?}", seed, plan);
    }

    #[test]
    fn at_least_once_never_loses_and_at_most_once_never_duplicates(seed in any::<u64>(), plan in crash_plan()) {
        let alo = run_with_plan(Semantics::AtLeastOnce, 8, seed, &plan).counters();
        prop_assert_eq!(alo.lost, 0, "seed {} plan {:?}", seed, plan);
        let amo = run_with_plan(Semantics::AtMostOnce, 8, seed, &plan).counters();
        prop_assert_eq!(amo.duplicated, 0, "seed {} plan {:?}", seed, plan);
    }
}

fn run_rabbit(semantics: Semantics, orders: u32, seed: u64, plan: &[Option<CrashPoint>]) -> RabbitDeliveryLab {
    let mut lab = RabbitDeliveryLab::new(semantics, orders, seed).expect("lab");
    for crash in plan {
        if let Some(point) = crash {
            lab.crash(*point);
        }
        lab.step().expect("step");
        if semantics == Semantics::IdempotentConsumer {
            assert_eq!(lab.counters().duplicated, 0, "seed {seed} plan {plan:?}");
        }
    }
    lab.disarm();
    lab.run(10 * orders + 50).expect("run");
    assert!(lab.is_done(), "seed {seed}: lab did not finish");
    lab
}

#[test]
fn rabbit_auto_ack_loses_the_message_the_crashed_consumer_held() {
    let c = run_rabbit(Semantics::AtMostOnce, 5, 1, &[Some(CrashPoint::BeforeProcessing)]).counters();
    assert_eq!((c.lost, c.duplicated, c.exactly_once), (1, 0, 4));
}

#[test]
fn rabbit_manual_ack_redelivers_after_a_crash_before_the_ack() {
    let c = run_rabbit(Semantics::AtLeastOnce, 5, 1, &[Some(CrashPoint::AfterProcessing)]).counters();
    assert_eq!((c.lost, c.duplicated, c.exactly_once), (0, 1, 4));
    let c = run_rabbit(Semantics::IdempotentConsumer, 5, 1, &[Some(CrashPoint::AfterProcessing)]).counters();
    assert_eq!((c.lost, c.duplicated, c.exactly_once, c.duplicates_skipped), (0, 0, 5, 1));
}

#[test]
fn rabbit_refuses_exactly_once() {
    assert!(matches!(
        RabbitDeliveryLab::new(Semantics::ExactlyOnce, 3, 1),
        Err(PatternError::InvalidSetting { name, .. }) if name == "semantics"
    ));
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn rabbit_idempotent_consumer_applies_every_order_exactly_once(seed in any::<u64>(), plan in crash_plan()) {
        let c = run_rabbit(Semantics::IdempotentConsumer, 8, seed, &plan).counters();
        prop_assert_eq!((c.lost, c.duplicated, c.exactly_once), (0, 0, 8), "seed {} plan {:?}", seed, plan);
    }

    #[test]
    fn rabbit_manual_ack_never_loses_and_auto_ack_never_duplicates(seed in any::<u64>(), plan in crash_plan()) {
        let alo = run_rabbit(Semantics::AtLeastOnce, 8, seed, &plan).counters();
        prop_assert_eq!(alo.lost, 0, "seed {} plan {:?}", seed, plan);
        let amo = run_rabbit(Semantics::AtMostOnce, 8, seed, &plan).counters();
        prop_assert_eq!(amo.duplicated, 0, "seed {} plan {:?}", seed, plan);
    }
}
