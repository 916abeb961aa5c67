//! Errors shaped like AMQP 0-9-1 channel and connection exceptions. Each
//! carries the reply code and a reply text in RabbitMQ's wording, so the
//! playground can show the same `406 PRECONDITION_FAILED - ...` line a client
//! library would print.

use std::fmt;

use serde::{Deserialize, Serialize};

/// The AMQP 0-9-1 reply codes the engine can produce.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum ReplyCode {
    /// 403: the user lacks a permission, or the operation is forbidden on this entity.
    AccessRefused,
    /// 404: the named exchange or queue does not exist.
    NotFound,
    /// 405: another connection holds the exclusive queue.
    ResourceLocked,
    /// 406: a redeclare with other settings, an unknown delivery tag, a bad argument.
    PreconditionFailed,
    /// 503: a command that makes no sense in the current state.
    CommandInvalid,
    /// 504: the channel is not open.
    ChannelError,
    /// 530: the connection may not do this (for example open a vhost it has no access to).
    NotAllowed,
    /// 540: a feature the broker does not implement.
    NotImplemented,
    /// 541: the broker refuses for a reason of its own; RabbitMQ 4.3 uses it
    /// for a deprecated feature that is denied (a connection exception).
    InternalError,
}

impl ReplyCode {
    /// The numeric code as it appears on the wire.
    pub fn code(self) -> u16 {
        match self {
            ReplyCode::AccessRefused => 403,
            ReplyCode::NotFound => 404,
            ReplyCode::ResourceLocked => 405,
            ReplyCode::PreconditionFailed => 406,
            ReplyCode::CommandInvalid => 503,
            ReplyCode::ChannelError => 504,
            ReplyCode::NotAllowed => 530,
            ReplyCode::NotImplemented => 540,
            ReplyCode::InternalError => 541,
        }
    }

    /// The symbolic name from the specification.
    pub fn name(self) -> &'static str {
        match self {
            ReplyCode::AccessRefused => "ACCESS_REFUSED",
            ReplyCode::NotFound => "NOT_FOUND",
            ReplyCode::ResourceLocked => "RESOURCE_LOCKED",
            ReplyCode::PreconditionFailed => "PRECONDITION_FAILED",
            ReplyCode::CommandInvalid => "COMMAND_INVALID",
            ReplyCode::ChannelError => "CHANNEL_ERROR",
            ReplyCode::NotAllowed => "NOT_ALLOWED",
            ReplyCode::NotImplemented => "NOT_IMPLEMENTED",
            ReplyCode::InternalError => "INTERNAL_ERROR",
        }
    }

    /// Connection exceptions close the whole connection; the others close
    /// only the channel, as the specification classifies them.
    pub fn closes_connection(self) -> bool {
        matches!(
            self,
            ReplyCode::CommandInvalid
                | ReplyCode::ChannelError
                | ReplyCode::NotAllowed
                | ReplyCode::NotImplemented
                | ReplyCode::InternalError
        )
    }
}

/// An AMQP exception: reply code and text.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AmqpError {
    pub code: ReplyCode,
    pub text: String,
}

impl AmqpError {
    pub fn new(code: ReplyCode, text: impl Into<String>) -> Self {
        AmqpError { code, text: text.into() }
    }

    /// The numeric reply code, e.g. 404.
    pub fn reply_code(&self) -> u16 {
        self.code.code()
    }

    pub(crate) fn not_found(text: impl Into<String>) -> Self {
        Self::new(ReplyCode::NotFound, text)
    }
    pub(crate) fn precondition(text: impl Into<String>) -> Self {
        Self::new(ReplyCode::PreconditionFailed, text)
    }
    pub(crate) fn access_refused(text: impl Into<String>) -> Self {
        Self::new(ReplyCode::AccessRefused, text)
    }
}

impl fmt::Display for AmqpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {} - {}", self.code.code(), self.code.name(), self.text)
    }
}

impl std::error::Error for AmqpError {}
