//! A deterministic model of a RabbitMQ broker (AMQP 0-9-1) for the Brokerlab
//! playground, behaving as the RabbitMQ release its [`Version`] names (3.10,
//! 3.13, 4.0, 4.1, 4.2 or 4.3, the default). The crate is pure: a [`Command`]
//! goes into [`Broker::apply`], an [`Outcome`] with every [`Event`] the
//! command caused (and its [`AmqpError`], if refused) comes out, time is a
//! logical millisecond counter advanced by [`Command::Tick`], and the only
//! randomness (server-generated names) comes from one seeded ChaCha8
//! generator.
//!
//! Map of the crate: [`version`] names the releases and every rule in which
//! they differ; [`value`] holds AMQP field values and the headers
//! exchange's comparison; [`topic`] the topic trie and its explanations;
//! [`error`] the AMQP-shaped errors; [`model`] the commands, events,
//! outcomes and views; `broker` the broker itself, one module per concern
//! (state, admin, declarations, routing, queue operations, consumers,
//! channels, streams, time, views, client helpers); `invariants` the consistency
//! checks that run after every command in debug builds.

mod broker;
pub mod error;
mod invariants;
pub mod model;
pub mod topic;
pub mod value;
pub mod version;

pub use broker::{
    Broker, Ledger, PolicyView, SUPER_STREAM_HASH_SEED, SegmentView, StreamConsumerView, StreamRecordView, StreamView,
    murmur3_32, super_stream_partition,
};
pub use error::{AmqpError, ReplyCode};
pub use model::*;
pub use value::{FieldTable, FieldValue};
pub use version::{QuorumPriorities, UnknownVersion, Version};
