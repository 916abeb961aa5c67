//! A deterministic model of an Apache Kafka cluster for Brokerlab.
//!
//! The engine is pure: [`Cluster::apply`] takes a [`Command`] and returns an
//! [`Outcome`] with the [`Event`]s it caused (also those before a refusal),
//! the [`KafkaError`] if it was refused, a produce receipt or polled records.
//! Time is logical and continuous ([`Command::Tick`]) and every random choice
//! comes from one seeded generator, so the same seed and commands always give
//! the same run.
//! The modules map onto Kafka's parts:
//!
//! - [`partitioner`]: murmur2 and the Java client's partitioners;
//! - [`assignor`]: range, round-robin, sticky and cooperative-sticky;
//! - [`placement`]: the KRaft controller's `StripedReplicaPlacer`;
//! - [`server_assignor`]: the coordinator's `uniform` and `range` assignors
//!   of the consumer group protocol (KIP-848);
//! - [`log`]: records, segments, retention and compaction;
//! - [`config`]: cluster, topic, producer and consumer settings with Kafka's defaults;
//! - [`command`]: commands and events, plain serde data;
//! - [`cluster`]: brokers, controller, replication, producers, groups,
//!   share groups (KIP-932), transactions and continuous logical time, one
//!   child module per concern;
//! - [`view`]: read-only snapshots and record explanations for drawing;
//! - [`error`]: the typed errors;
//! - `invariants` (private): what must hold after every command, checked in
//!   debug builds and tests.
//!
//! ```
//! use brokerlab_kafka::*;
//!
//! let mut cluster = Cluster::new(ClusterConfig { brokers: 3, ..ClusterConfig::default() }, 7)?;
//! cluster.apply(Command::CreateTopic { name: "orders".into(), config: TopicConfig::new(3, 3) }).into_result()?;
//! cluster.create_producer("shop", ProducerConfig::default())?;
//! let (receipt, _events) = cluster.produce("shop", ProducerRecord::keyed("orders", "alice", "book"))?;
//! assert_eq!(receipt.partition, partition_for_key(b"alice", 3));
//! cluster.create_consumer("billing-1", ConsumerConfig { auto_offset_reset: OffsetReset::Earliest, ..ConsumerConfig::new("billing") })?;
//! cluster.subscribe("billing-1", &["orders".to_string()])?;
//! // Followers copy the record on the next step; then it is below the high watermark.
//! cluster.tick(100)?;
//! let (records, _events) = cluster.poll("billing-1", None)?;
//! assert_eq!(records[0].value.as_deref(), Some(&b"book"[..]));
//! let why = cluster.explain_record("orders", receipt.partition, 0)?;
//! assert_eq!(why.readers[0].member.as_deref(), Some("billing-1"));
//! # Ok::<(), KafkaError>(())
//! ```

pub mod assignor;
pub mod cluster;
pub mod command;
pub mod config;
pub mod error;
mod invariants;
pub mod log;
pub mod partitioner;
pub mod placement;
pub mod server_assignor;
pub mod view;

pub use assignor::{AssignmentOutcome, Assignor, MemberSubscription, TopicPartition};
pub use cluster::{Cluster, transaction_state_partition};
pub use command::{
    AcknowledgeType, Command, ConsumerGroupMetadata, ConsumerRecord, ElectionReason, Event, IsrShrinkReason, Outcome,
    ProduceError, ProduceReceipt, ProducerRecord, RebalanceReason, SeekTo, ShareReleaseReason,
};
pub use config::{
    AcknowledgementMode, Acks, CleanupPolicy, ClusterConfig, ConsumerConfig, GroupProtocol, IsolationLevel,
    KAFKA_4_LINGER_MS, KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS, MigrationPolicy, OffsetReset, ProducerConfig,
    ShareConsumerConfig, ShareGroupConfig, ShareOffsetReset, TopicConfig,
};
pub use error::KafkaError;
pub use log::{Header, PartitionReason, Record, RecordData, RecordKind, RemovalReason};
pub use partitioner::{PartitionerKind, murmur2, partition_for_key, to_positive};
pub use server_assignor::{ServerAssignor, ServerMember, assign_server};
pub use view::*;
