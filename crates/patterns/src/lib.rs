//! Messaging patterns that span a broker and the services around it, as
//! pure, seeded simulations on top of Brokerlab's Kafka and RabbitMQ engines.
//!
//! Each lab owns a real engine (a [`brokerlab_kafka::Cluster`] or a
//! [`brokerlab_rabbit::Broker`]) plus one or more simulated services, offers a
//! step API the UI drives one click at a time, and returns serde views to draw.
//! The modules map onto the course's fourth module:
//!
//! - [`store`]: the services' in-memory tables with all-or-nothing transactions;
//! - [`service`]: a service node with crash points;
//! - [`delivery`]: at-most-once, at-least-once, the idempotent consumer and
//!   exactly-once on Kafka (and the first three on RabbitMQ), with counters
//!   of lost and duplicated orders;
//! - [`retry`]: retries with a dead-letter queue, on RabbitMQ (TTL,
//!   dead-letter exchanges, `x-death`) and on Kafka (retry and dead-letter topics);
//! - [`outbox`]: the transactional outbox with its relayer, beside the naive dual write;
//! - [`eventsourcing`]: an event-sourced account on a Kafka topic, replay,
//!   snapshots, and a CQRS read model kept by a consumer group;
//! - [`error`]: the typed errors.
//!
//! ```
//! use brokerlab_patterns::*;
//!
//! let mut lab = DeliveryLab::new(Semantics::AtLeastOnce, 3, 7)?;
//! lab.crash(CrashPoint::AfterProcessing);
//! lab.run(100)?;
//! assert_eq!(lab.counters().duplicated, 1);
//! assert_eq!(lab.counters().lost, 0);
//! # Ok::<(), PatternError>(())
//! ```

pub mod delivery;
pub mod error;
pub mod eventsourcing;
pub mod outbox;
pub mod retry;
pub mod service;
pub mod store;

pub use delivery::{
    Counters, DeliveryLab, DeliverySnapshot, DeliveryStep, OrderView, RabbitDeliveryLab, RabbitDeliverySnapshot,
    Semantics,
};
pub use error::PatternError;
pub use eventsourcing::{
    Account, AccountEvent, AccountEventKind, AccountSnapshot, EventSourcingLab, EventSourcingSnapshot, Replay,
};
pub use outbox::{CheckoutOutcome, Consistency, OutboxLab, OutboxSnapshot, OutboxStep, WriteMode};
pub use retry::{DeadLetter, KafkaRetryLab, RabbitRetryLab, RetryConfig, RetryLab, RetrySnapshot, RetryStep};
pub use service::{CrashPoint, ServiceNode};
pub use store::{CommitReceipt, Store, StoreError, Table, Transaction, Write};
