//! The course's own challenges. Each is two small JSON files under
//! `challenges/`, compiled in: `ID.json` is the start (a scenario with its
//! `challenge` section) and `ID.solution.json` a reference answer, which the
//! playground loads for a learner to study and run. Tests prove that every
//! start fails, every solution passes and plausible wrong answers fail.

use crate::model::Scenario;

macro_rules! challenges {
    ($($id:literal),* $(,)?) => {
        &[$(($id,
            include_str!(concat!("../../challenges/", $id, ".json")),
            include_str!(concat!("../../challenges/", $id, ".solution.json")))),*]
    };
}

/// Every challenge id with its start and solution, easiest first within each module.
const SOURCES: &[(&str, &str, &str)] = challenges![
    "async-decouple",
    "pull-at-own-pace",
    "two-readers",
    "log-replay",
    "kafka-key-order",
    "kafka-no-idle",
    "kafka-retention",
    "kafka-read-committed",
    "kafka-fast-failover",
    "kafka-durable-write",
    "share-five-tries",
    "kafka-rolling-upgrade",
    "vhost-isolation",
    "direct-severity",
    "durable-restart",
    "topic-billing",
    "headers-format",
    "alternate-exchange",
    "quorum-by-default",
    "stream-replay",
    "prefetch-fair",
    "poison-dlq",
    "at-least-once-ack",
    "ttl-retry",
    "event-compaction",
    "dlq-exactly-three",
    "compare-two-teams",
    "compare-late-reader",
    "compare-competing",
];

/// A built-in challenge: where the learner starts and a reference answer.
#[derive(Clone, Debug, PartialEq)]
pub struct Builtin {
    pub start: Scenario,
    pub solution: Scenario,
}

/// The ids of every built-in challenge, in course order.
pub fn ids() -> impl Iterator<Item = &'static str> {
    SOURCES.iter().map(|(id, _, _)| *id)
}

/// The built-in challenge with this id.
pub fn get(id: &str) -> Option<Builtin> {
    let (_, start, solution) = SOURCES.iter().find(|(i, _, _)| *i == id)?;
    Some(Builtin { start: Scenario::from_json(start).ok()?, solution: Scenario::from_json(solution).ok()? })
}

/// The raw JSON of a challenge's start and solution, for tests that must see
/// a broken file fail rather than vanish from [`get`].
pub fn sources(id: &str) -> Option<(&'static str, &'static str)> {
    SOURCES.iter().find(|(i, _, _)| *i == id).map(|(_, a, b)| (*a, *b))
}
