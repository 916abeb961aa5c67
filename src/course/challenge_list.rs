//! The course's challenges as the shell lists them, generated from
//! `crates/scenario/challenges/` by `cargo xtask content`. Do not edit:
//! change the challenge's file.

use super::challenges::{ChallengeEntry, ChallengeModule};

pub static CHALLENGES: &[ChallengeEntry] = &[
    ChallengeEntry { id: "async-decouple", module: ChallengeModule::Foundations, level: 1, title: "Emails wait for the mailer", lessons: &["why-asynchronous-messaging"] },
    ChallengeEntry { id: "pull-at-own-pace", module: ChallengeModule::Foundations, level: 1, title: "Two at a time", lessons: &["push-vs-pull-models", "consumers-and-consumer-groups"] },
    ChallengeEntry { id: "two-readers", module: ChallengeModule::Foundations, level: 1, title: "Two teams, every event", lessons: &["message-queues-vs-distributed-commit-logs", "why-asynchronous-messaging"] },
    ChallengeEntry { id: "log-replay", module: ChallengeModule::Foundations, level: 2, title: "A late reader replays the log", lessons: &["message-queues-vs-distributed-commit-logs", "consumers-and-consumer-groups"] },
    ChallengeEntry { id: "kafka-key-order", module: ChallengeModule::Kafka, level: 1, title: "One customer, one order of events", lessons: &["producers-partitioning-and-acks", "kafka-cluster-and-log-anatomy"] },
    ChallengeEntry { id: "kafka-no-idle", module: ChallengeModule::Kafka, level: 1, title: "Three consumers, no idle one", lessons: &["consumers-and-consumer-groups"] },
    ChallengeEntry { id: "kafka-retention", module: ChallengeModule::Kafka, level: 2, title: "Keep a day of clicks", lessons: &["kafka-cluster-and-log-anatomy", "message-queues-vs-distributed-commit-logs"] },
    ChallengeEntry { id: "kafka-read-committed", module: ChallengeModule::Kafka, level: 2, title: "Never mail an aborted order", lessons: &["delivery-semantics", "transactional-outbox-pattern", "consumers-and-consumer-groups"] },
    ChallengeEntry { id: "kafka-fast-failover", module: ChallengeModule::Kafka, level: 2, title: "A crashed packer hands over fast", lessons: &["consumers-and-consumer-groups"] },
    ChallengeEntry { id: "kafka-durable-write", module: ChallengeModule::Kafka, level: 3, title: "No payment lost to a crash", lessons: &["producers-partitioning-and-acks", "kafka-cluster-and-log-anatomy"] },
    ChallengeEntry { id: "share-five-tries", module: ChallengeModule::Kafka, level: 2, title: "Five deliveries, then archive", lessons: &["kafka-share-groups", "dead-letter-queues-and-retry-topologies"] },
    ChallengeEntry { id: "kafka-rolling-upgrade", module: ChallengeModule::Kafka, level: 2, title: "Upgrade one broker at a time", lessons: &["kafka-4-in-practice", "producers-partitioning-and-acks"] },
    ChallengeEntry { id: "vhost-isolation", module: ChallengeModule::RabbitMQ, level: 1, title: "Keep staging out of production", lessons: &["channels-and-virtual-hosts"] },
    ChallengeEntry { id: "direct-severity", module: ChallengeModule::RabbitMQ, level: 1, title: "Page only on errors", lessons: &["routing-mechanics-the-four-exchanges"] },
    ChallengeEntry { id: "durable-restart", module: ChallengeModule::RabbitMQ, level: 1, title: "Payments survive a restart", lessons: &["queue-durability-and-message-persistence"] },
    ChallengeEntry { id: "topic-billing", module: ChallengeModule::RabbitMQ, level: 2, title: "Paid EU orders for billing", lessons: &["routing-mechanics-the-four-exchanges"] },
    ChallengeEntry { id: "headers-format", module: ChallengeModule::RabbitMQ, level: 2, title: "PDF invoices only", lessons: &["routing-mechanics-the-four-exchanges"] },
    ChallengeEntry { id: "alternate-exchange", module: ChallengeModule::RabbitMQ, level: 2, title: "Catch what nobody routes", lessons: &["routing-mechanics-the-four-exchanges", "dead-letter-queues-and-retry-topologies"] },
    ChallengeEntry { id: "quorum-by-default", module: ChallengeModule::RabbitMQ, level: 2, title: "Quorum unless told otherwise", lessons: &["rabbitmq-4-in-practice", "queue-durability-and-message-persistence"] },
    ChallengeEntry { id: "stream-replay", module: ChallengeModule::RabbitMQ, level: 2, title: "Every reader, every event, even later", lessons: &["rabbitmq-streams-and-super-streams", "message-queues-vs-distributed-commit-logs"] },
    ChallengeEntry { id: "prefetch-fair", module: ChallengeModule::RabbitMQ, level: 2, title: "Do not feed the stuck worker", lessons: &["prefetch-acknowledgment-and-flow-control", "push-vs-pull-models"] },
    ChallengeEntry { id: "poison-dlq", module: ChallengeModule::Patterns, level: 1, title: "Park the poison message", lessons: &["dead-letter-queues-and-retry-topologies"] },
    ChallengeEntry { id: "at-least-once-ack", module: ChallengeModule::Patterns, level: 2, title: "A crash loses no payout", lessons: &["delivery-semantics", "prefetch-acknowledgment-and-flow-control"] },
    ChallengeEntry { id: "ttl-retry", module: ChallengeModule::Patterns, level: 2, title: "Try again in five seconds", lessons: &["dead-letter-queues-and-retry-topologies"] },
    ChallengeEntry { id: "event-compaction", module: ChallengeModule::Patterns, level: 2, title: "The latest balance, forever", lessons: &["event-sourcing-and-cqrs-integrations", "kafka-cluster-and-log-anatomy"] },
    ChallengeEntry { id: "dlq-exactly-three", module: ChallengeModule::Patterns, level: 3, title: "Three strikes for a poison message", lessons: &["dead-letter-queues-and-retry-topologies", "delivery-semantics"] },
    ChallengeEntry { id: "compare-two-teams", module: ChallengeModule::Compare, level: 2, title: "Two teams on both brokers", lessons: &["kafka-vs-rabbitmq-deep-analysis", "message-queues-vs-distributed-commit-logs", "consumers-and-consumer-groups"] },
    ChallengeEntry { id: "compare-late-reader", module: ChallengeModule::Compare, level: 2, title: "A reader that starts tomorrow", lessons: &["kafka-vs-rabbitmq-deep-analysis", "message-queues-vs-distributed-commit-logs", "why-asynchronous-messaging"] },
    ChallengeEntry { id: "compare-competing", module: ChallengeModule::Compare, level: 2, title: "Share the work on both brokers", lessons: &["kafka-vs-rabbitmq-deep-analysis", "consumers-and-consumer-groups", "prefetch-acknowledgment-and-flow-control"] },
];
