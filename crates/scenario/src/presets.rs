//! Built-in scenarios: the lesson presets the course embeds by id and the
//! playground gallery's starters. Each is a small JSON file under
//! `presets/`, compiled in, so they double as examples of the format and a
//! test proves each one is valid, runs cleanly and fits in a short link.

use crate::model::Scenario;

/// Every preset id with its source: the course's lesson presets first, then
/// the playground gallery's starters.
const SOURCES: &[(&str, &str)] = &[
    ("sync-vs-async", include_str!("../presets/sync-vs-async.json")),
    ("push-vs-pull", include_str!("../presets/push-vs-pull.json")),
    ("queue-vs-log", include_str!("../presets/queue-vs-log.json")),
    ("topic-partitions", include_str!("../presets/topic-partitions.json")),
    ("key-partitioning", include_str!("../presets/key-partitioning.json")),
    ("acks-isr-failover", include_str!("../presets/acks-isr-failover.json")),
    ("consumer-group-rebalance", include_str!("../presets/consumer-group-rebalance.json")),
    ("exchange-types", include_str!("../presets/exchange-types.json")),
    ("vhosts-channels", include_str!("../presets/vhosts-channels.json")),
    ("durability-restart", include_str!("../presets/durability-restart.json")),
    ("prefetch-slow-consumer", include_str!("../presets/prefetch-slow-consumer.json")),
    ("delivery-semantics", include_str!("../presets/delivery-semantics.json")),
    ("dlq-retry", include_str!("../presets/dlq-retry.json")),
    ("transactional-outbox", include_str!("../presets/transactional-outbox.json")),
    ("event-sourcing-replay", include_str!("../presets/event-sourcing-replay.json")),
    ("kafka-vs-rabbit", include_str!("../presets/kafka-vs-rabbit.json")),
    ("share-group-queue", include_str!("../presets/share-group-queue.json")),
    ("kafka-controller-failover", include_str!("../presets/kafka-controller-failover.json")),
    ("rabbit-stream-replay", include_str!("../presets/rabbit-stream-replay.json")),
    ("rabbit-4-defaults", include_str!("../presets/rabbit-4-defaults.json")),
    ("work-queue", include_str!("../presets/work-queue.json")),
    ("fanout-pubsub", include_str!("../presets/fanout-pubsub.json")),
    ("topic-routing", include_str!("../presets/topic-routing.json")),
    ("headers-routing", include_str!("../presets/headers-routing.json")),
    ("rpc-reply-queue", include_str!("../presets/rpc-reply-queue.json")),
    ("retry-dead-letter", include_str!("../presets/retry-dead-letter.json")),
    ("kafka-key-ordering", include_str!("../presets/kafka-key-ordering.json")),
    ("scale-consumer-group", include_str!("../presets/scale-consumer-group.json")),
    ("replication-failover", include_str!("../presets/replication-failover.json")),
];

/// The questions each lesson preset asks before its decisive steps (see
/// [`crate::predict`]).
const PREDICTIONS: &[(&str, &str)] = &[
    ("sync-vs-async", include_str!("../presets/sync-vs-async.predict.json")),
    ("push-vs-pull", include_str!("../presets/push-vs-pull.predict.json")),
    ("queue-vs-log", include_str!("../presets/queue-vs-log.predict.json")),
    ("topic-partitions", include_str!("../presets/topic-partitions.predict.json")),
    ("key-partitioning", include_str!("../presets/key-partitioning.predict.json")),
    ("acks-isr-failover", include_str!("../presets/acks-isr-failover.predict.json")),
    ("consumer-group-rebalance", include_str!("../presets/consumer-group-rebalance.predict.json")),
    ("exchange-types", include_str!("../presets/exchange-types.predict.json")),
    ("vhosts-channels", include_str!("../presets/vhosts-channels.predict.json")),
    ("durability-restart", include_str!("../presets/durability-restart.predict.json")),
    ("prefetch-slow-consumer", include_str!("../presets/prefetch-slow-consumer.predict.json")),
    ("delivery-semantics", include_str!("../presets/delivery-semantics.predict.json")),
    ("dlq-retry", include_str!("../presets/dlq-retry.predict.json")),
    ("transactional-outbox", include_str!("../presets/transactional-outbox.predict.json")),
    ("event-sourcing-replay", include_str!("../presets/event-sourcing-replay.predict.json")),
    ("kafka-vs-rabbit", include_str!("../presets/kafka-vs-rabbit.predict.json")),
    ("share-group-queue", include_str!("../presets/share-group-queue.predict.json")),
    ("kafka-controller-failover", include_str!("../presets/kafka-controller-failover.predict.json")),
    ("rabbit-stream-replay", include_str!("../presets/rabbit-stream-replay.predict.json")),
    ("rabbit-4-defaults", include_str!("../presets/rabbit-4-defaults.predict.json")),
];

/// The questions the preset `id` asks, in script order; none for a preset
/// without questions or an unknown id.
pub fn predictions(id: &str) -> Vec<crate::predict::Prediction> {
    prediction_source(id)
        .and_then(|src| serde_json::from_str::<crate::predict::Predictions>(src).ok())
        .map(|p| p.questions)
        .unwrap_or_default()
}

/// The raw JSON of a preset's questions, for tests that must see a broken
/// file fail rather than vanish from [`predictions`].
pub fn prediction_source(id: &str) -> Option<&'static str> {
    PREDICTIONS.iter().find(|(i, _)| *i == id).map(|(_, src)| *src)
}

/// The ids of every built-in scenario, in gallery order.
pub fn ids() -> impl Iterator<Item = &'static str> {
    SOURCES.iter().map(|(id, _)| *id)
}

/// The built-in scenario with this id.
pub fn get(id: &str) -> Option<Scenario> {
    SOURCES.iter().find(|(i, _)| *i == id).and_then(|(_, src)| Scenario::from_json(src).ok())
}

/// Every built-in scenario, in gallery order.
pub fn all() -> Vec<Scenario> {
    SOURCES.iter().filter_map(|(_, src)| Scenario::from_json(src).ok()).collect()
}

/// How many of [`ids`] are lesson presets; the rest are gallery starters.
pub const LESSON_COUNT: usize = 20;

/// The raw JSON of a preset, for tests that must see a broken one fail
/// rather than vanish from [`all`].
pub fn source(id: &str) -> Option<&'static str> {
    SOURCES.iter().find(|(i, _)| *i == id).map(|(_, src)| *src)
}
