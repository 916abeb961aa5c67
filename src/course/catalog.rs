//! The course's table of contents, generated from `content/` by
//! `cargo xtask content`. Do not edit: change the lesson's front matter.

use super::{Lesson, Module, Tag};

pub static MODULES: &[Module] = &[
    Module {
        number: 1,
        title: "Broker Foundations",
        lessons: &[
            Lesson { slug: "why-asynchronous-messaging", title: "Why Asynchronous Messaging?", tag: Tag::Critical, summary: "Why services talk through a broker instead of calling each other directly, and the four kinds of decoupling that buys you.", scenarios: &["sync-vs-async"], labs: &[] },
            Lesson { slug: "push-vs-pull-models", title: "Push vs. Pull Models", tag: Tag::Important, summary: "How brokers hand messages to consumers, either by pushing them or by letting consumers pull, and what each choice means for latency and backpressure.", scenarios: &["push-vs-pull", "prefetch-slow-consumer"], labs: &[] },
            Lesson { slug: "message-queues-vs-distributed-commit-logs", title: "Message Queues vs. Distributed Commit Logs", tag: Tag::Critical, summary: "The structural difference between a queue that deletes what it delivers and a log that keeps everything, and why it decides how each broker scales.", scenarios: &["queue-vs-log"], labs: &[] },
            Lesson { slug: "amqp-vs-kafka-protocol", title: "AMQP vs. Kafka Custom Protocol", tag: Tag::Important, summary: "What the wire protocols of RabbitMQ and Kafka define, and how each protocol's design reflects what its broker is built for.", scenarios: &[], labs: &[] },
        ],
    },
    Module {
        number: 2,
        title: "Apache Kafka",
        lessons: &[
            Lesson { slug: "kafka-cluster-and-log-anatomy", title: "Kafka Cluster & Log Anatomy", tag: Tag::Critical, summary: "How a Kafka cluster is organised into brokers, topics, partitions and offsets, who manages its metadata, and where ordering is and is not guaranteed.", scenarios: &["topic-partitions"], labs: &[] },
            Lesson { slug: "producers-partitioning-and-acks", title: "Producers, Partitioning, & ACKs", tag: Tag::Important, summary: "How a producer picks a partition for each record, and how the acks setting, the in-sync replica set and min.insync.replicas together decide when a write is safe.", scenarios: &["key-partitioning", "acks-isr-failover"], labs: &[] },
            Lesson { slug: "consumers-and-consumer-groups", title: "Consumers & Consumer Groups", tag: Tag::Critical, summary: "How consumer groups share a topic's partitions, why partitions cap your parallelism, and how rebalances work and how to keep them from stalling you.", scenarios: &["consumer-group-rebalance", "scale-consumer-group"], labs: &[] },
            Lesson { slug: "kafka-performance-zero-copy-and-page-cache", title: "Kafka Performance Secrets: Zero-Copy & Page Cache", tag: Tag::Advanced, summary: "How Kafka leans on the operating system's page cache and the sendfile system call, exactly which copies and user/kernel switches zero-copy saves, and when it cannot be used.", scenarios: &[], labs: &[] },
            Lesson { slug: "kafka-production-code-python-and-nodejs", title: "Production Code: Python & NodeJS", tag: Tag::Important, summary: "A durable keyed producer in Node.js with KafkaJS and an at-least-once consumer loop in Python with confluent-kafka, with the mistakes that commonly creep into both.", scenarios: &["key-partitioning", "delivery-semantics"], labs: &[] },
            Lesson { slug: "kafka-share-groups", title: "Share Groups: Queues for Kafka", tag: Tag::Important, summary: "Kafka 4.2's share groups (KIP-932): members read the same partitions record by record, acknowledge each record, and a record that keeps failing is archived. How they compare with a consumer group and with competing consumers on a RabbitMQ queue.", scenarios: &["share-group-queue"], labs: &[] },
            Lesson { slug: "kafka-4-in-practice", title: "Kafka 4.x in Practice", tag: Tag::Advanced, summary: "What running Kafka 4.x means: KRaft only, how the controller fences a failed broker and moves leaders, eligible leader replicas (on by default for new clusters since 4.1), and the KIP-848 consumer group protocol (generally available since 4.0).", scenarios: &["kafka-controller-failover"], labs: &[] },
        ],
    },
    Module {
        number: 3,
        title: "RabbitMQ",
        lessons: &[
            Lesson { slug: "channels-and-virtual-hosts", title: "Channels & Virtual Hosts", tag: Tag::Critical, summary: "RabbitMQ's smart-broker design, why clients multiplex many channels over one TCP connection, and how virtual hosts partition a broker into isolated namespaces.", scenarios: &["vhosts-channels"], labs: &[] },
            Lesson { slug: "routing-mechanics-the-four-exchanges", title: "Routing Mechanics: The 4 Exchanges", tag: Tag::Critical, summary: "How RabbitMQ routes every message through an exchange, and exactly how direct, fanout, topic and headers exchanges match messages to queues.", scenarios: &["exchange-types"], labs: &[] },
            Lesson { slug: "queue-durability-and-message-persistence", title: "Queue Durability & Message Persistence", tag: Tag::Important, summary: "What survives a RabbitMQ restart: durable queues, persistent messages, publisher confirms, and quorum queues for surviving the loss of a node.", scenarios: &["durability-restart"], labs: &[] },
            Lesson { slug: "prefetch-acknowledgment-and-flow-control", title: "Prefetch, Acknowledgment, & Flow Control", tag: Tag::Advanced, summary: "How consumer acknowledgements and the prefetch limit protect slow consumers in a push broker, and how RabbitMQ throttles and blocks publishers to protect itself.", scenarios: &["prefetch-slow-consumer"], labs: &[] },
            Lesson { slug: "rabbitmq-production-code-nodejs-and-python", title: "Production Code: NodeJS & Python", tag: Tag::Important, summary: "A confirmed, persistent publisher in Node.js with amqplib and a prefetch-limited, manually acknowledging consumer in Python with pika, with the pitfalls each version avoids.", scenarios: &["work-queue", "prefetch-slow-consumer"], labs: &[] },
            Lesson { slug: "rabbitmq-streams-and-super-streams", title: "Streams and Super Streams", tag: Tag::Important, summary: "RabbitMQ's log: a stream keeps its messages after they are read, each reader picks its own offset, retention removes old segments, and a super stream partitions a stream with a single active consumer per partition.", scenarios: &["rabbit-stream-replay"], labs: &[] },
            Lesson { slug: "rabbitmq-4-in-practice", title: "RabbitMQ 4.x in Practice", tag: Tag::Critical, summary: "What running RabbitMQ 4.3 means: quorum queues as the default choice and a vhost's default queue type, Khepri as the only metadata store, what 4.3 refuses or ignores, where the consumer timeout now lives, and at-least-once dead-lettering.", scenarios: &["rabbit-4-defaults"], labs: &[] },
        ],
    },
    Module {
        number: 4,
        title: "Distributed Patterns",
        lessons: &[
            Lesson { slug: "delivery-semantics", title: "Delivery Semantics (At-Least-Once, At-Most-Once, Exactly-Once)", tag: Tag::Critical, summary: "What at-most-once, at-least-once and exactly-once delivery really guarantee, how each is implemented in Kafka and RabbitMQ, and why idempotent consumers are the real safety net.", scenarios: &["delivery-semantics"], labs: &["delivery"] },
            Lesson { slug: "dead-letter-queues-and-retry-topologies", title: "Dead Letter Queues (DLQ) & Retry Topologies", tag: Tag::Important, summary: "How to retry failed messages with a delay and park the ones that keep failing, using RabbitMQ dead-lettering, TTL and the x-death header, and the equivalent pattern in Kafka.", scenarios: &["dlq-retry"], labs: &["retry"] },
            Lesson { slug: "transactional-outbox-pattern", title: "Transactional Outbox Pattern", tag: Tag::Critical, summary: "Why writing to a database and publishing to a broker in one request leaves them inconsistent, and how the transactional outbox and a relay or CDC tool fix it.", scenarios: &["transactional-outbox"], labs: &["outbox"] },
            Lesson { slug: "event-sourcing-and-cqrs-integrations", title: "Event Sourcing & CQRS Integrations", tag: Tag::Advanced, summary: "How event sourcing stores history instead of state, how CQRS separates writes from reads, and what Kafka and RabbitMQ each contribute, including the caveats of using Kafka as an event store.", scenarios: &["event-sourcing-replay"], labs: &["event-sourcing"] },
        ],
    },
    Module {
        number: 5,
        title: "Kafka vs. RabbitMQ Deep Analysis",
        lessons: &[
            Lesson { slug: "kafka-vs-rabbitmq-deep-analysis", title: "Kafka vs. RabbitMQ Deep Analysis", tag: Tag::Important, summary: "Kafka 4.2 and RabbitMQ 4.3 compared feature by feature, including Kafka's share groups and RabbitMQ's streams, and a guide to choosing between them in 2026.", scenarios: &["kafka-vs-rabbit"], labs: &["kafka-vs-rabbitmq"] },
        ],
    },
];
