//! Every built-in scenario is valid, fits in a short link, round-trips
//! through it and through a file, and replays without an engine refusing
//! any action.

use brokerlab_scenario::{Scenario, presets};

const LESSONS: &[&str] = &[
    "sync-vs-async",
    "push-vs-pull",
    "queue-vs-log",
    "topic-partitions",
    "key-partitioning",
    "acks-isr-failover",
    "consumer-group-rebalance",
    "exchange-types",
    "vhosts-channels",
    "durability-restart",
    "prefetch-slow-consumer",
    "delivery-semantics",
    "dlq-retry",
    "transactional-outbox",
    "event-sourcing-replay",
    "kafka-vs-rabbit",
    "share-group-queue",
    "kafka-controller-failover",
    "rabbit-stream-replay",
    "rabbit-4-defaults",
];

const STARTERS: &[&str] = &[
    "work-queue",
    "fanout-pubsub",
    "topic-routing",
    "headers-routing",
    "rpc-reply-queue",
    "retry-dead-letter",
    "kafka-key-ordering",
    "scale-consumer-group",
    "replication-failover",
];

#[test]
fn every_lesson_and_gallery_id_has_a_preset_in_order() {
    let ids: Vec<&str> = presets::ids().collect();
    let expected: Vec<&str> = LESSONS.iter().chain(STARTERS).copied().collect();
    assert_eq!(ids, expected);
    assert_eq!(presets::LESSON_COUNT, LESSONS.len());
    assert_eq!(presets::all().len(), expected.len());
}

#[test]
fn every_preset_parses_and_names_itself() {
    for id in presets::ids() {
        let src = presets::source(id).expect("listed");
        let s = Scenario::from_json(src).unwrap_or_else(|e| panic!("{id}: {e}"));
        assert_eq!(s.id, id);
        assert!(!s.title.is_empty() && !s.description.is_empty(), "{id} needs a title and description");
        assert!(!s.script.is_empty(), "{id} has an empty script");
    }
}

#[test]
fn every_preset_round_trips_through_a_link_under_2000_characters() {
    for s in presets::all() {
        let link = s.to_link();
        assert!(link.len() < 2000, "{}: link is {} characters", s.id, link.len());
        assert_eq!(Scenario::from_link(&link).as_ref(), Ok(&s), "{}", s.id);
        assert_eq!(Scenario::from_json(&s.to_json()).as_ref(), Ok(&s), "{}", s.id);
    }
}

#[test]
fn every_preset_replays_without_an_engine_refusing_an_action() {
    for s in presets::all() {
        let mut session = s.start().unwrap_or_else(|e| panic!("{}: {e}", s.id));
        for o in session.run_to_end() {
            let i = o.index.unwrap_or_default();
            assert_eq!(o.error, None, "{} action {i}: {:?}", s.id, s.script[i]);
        }
        assert!(session.rabbit().check_invariants().is_ok(), "{}", s.id);
    }
}

#[test]
fn replaying_a_preset_twice_gives_the_same_events() {
    for s in presets::all() {
        let a = s.start().map(|mut x| x.run_to_end());
        let b = s.start().map(|mut x| x.run_to_end());
        assert_eq!(a, b, "{}", s.id);
    }
}
