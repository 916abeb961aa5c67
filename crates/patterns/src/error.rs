//! The one error type every lab returns instead of panicking.
//!
//! [`PatternError`] wraps the engines' own errors unchanged (so the UI can
//! show the broker's wording), the table store's [`StoreError`], and the few
//! ways a learner can misuse a lab itself, such as republishing a
//! dead-letter entry that is not there.

use brokerlab_kafka::KafkaError;
use brokerlab_rabbit::AmqpError;
use serde::{Deserialize, Serialize};

use crate::store::StoreError;

/// Why a lab refused a command.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum PatternError {
    /// The Kafka engine refused a call.
    Kafka(KafkaError),
    /// The RabbitMQ engine refused a call.
    Rabbit(AmqpError),
    /// The service's table store refused a transaction.
    Store(StoreError),
    /// A lab setting is out of range.
    InvalidSetting {
        /// The setting.
        name: String,
        /// Why the value was refused.
        reason: String,
    },
    /// No dead-letter entry with this id.
    UnknownDeadLetter(u64),
    /// The domain refused a command (an overdraft, an unknown account).
    CommandRejected(String),
    /// The service node is down; restart it (or step, which restarts it) first.
    ServiceDown(String),
}

impl std::fmt::Display for PatternError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PatternError::Kafka(e) => write!(f, "kafka: {e}"),
            PatternError::Rabbit(e) => write!(f, "rabbitmq: {e}"),
            PatternError::Store(e) => write!(f, "store: {e}"),
            PatternError::InvalidSetting { name, reason } => write!(f, "invalid {name}: {reason}"),
            PatternError::UnknownDeadLetter(id) => write!(f, "no dead-letter entry {id}"),
            PatternError::CommandRejected(reason) => write!(f, "command rejected: {reason}"),
            PatternError::ServiceDown(name) => write!(f, "service {name} is down"),
        }
    }
}

impl std::error::Error for PatternError {}

impl From<KafkaError> for PatternError {
    fn from(e: KafkaError) -> Self {
        PatternError::Kafka(e)
    }
}

impl From<AmqpError> for PatternError {
    fn from(e: AmqpError) -> Self {
        PatternError::Rabbit(e)
    }
}

impl From<StoreError> for PatternError {
    fn from(e: StoreError) -> Self {
        PatternError::Store(e)
    }
}
