//! Runs Brokerlab RabbitMQ scripts against a real broker, and the same
//! scripts against the engine, returning what each side observed in one
//! shape so the two can be compared.
//!
//! A script is a list of [`Step`]s. Most steps are the engine's own
//! [`Command`]s; the rest are the few compound operations a script needs
//! that a bare command cannot express against both sides: fetch a message
//! (and settle it whatever its delivery tag turns out to be), settle a
//! channel's oldest unacknowledged delivery, wait, and drain queues.
//! [`run_on_engine`] plays a script on a [`Broker`] (a wait advances
//! logical time); [`LiveBroker::run`] plays it over AMQP through lapin (a
//! wait sleeps). Both return an [`Outcome`], which includes what each
//! consumer received, in order.
//!
//! Deliveries to consumers arrive asynchronously from a real broker. To
//! make the live side deterministic, [`LiveBroker::run_expecting`] takes
//! the engine's outcome and, after each step, waits (for at most
//! [`Pacing::delivery_timeout`]) until every consumer has received as many
//! deliveries as the engine says it had by then, and then watches for
//! [`Pacing::grace`] that nothing more arrives. Each delivery is stamped
//! with the step during which it arrived, so a broker that delivers late,
//! early, more or less than the engine shows up as a difference instead of
//! being waited away.
//!
//! Each `OpenConnection` in a script opens a real connection (to the URL
//! given to [`LiveBroker::connect`], whose vhost it uses), numbered from 1 as
//! a fresh engine numbers them, and each `OpenChannel` a channel on it, so
//! closing a connection closes exactly what the engine closes. Channels of
//! connections the script never opened run on one connection of their own.
//!
//! Map of the crate: `script` holds the steps and the observed outcome;
//! `engine` plays a script on the engine; `live` plays it on a real broker;
//! `convert` translates values between the engine and lapin; `handshake`
//! reads the broker's version ([`server_version`]) so the engine can run
//! as the same release.

mod convert;
mod engine;
mod handshake;
mod live;
mod script;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use brokerlab_rabbit::{
    BasicProperties, Broker, ChannelId, Command, ConnectionId, Event, ExchangeKind, FieldTable, FieldValue,
};
use lapin::options::{
    BasicAckOptions, BasicCancelOptions, BasicConsumeOptions, BasicGetOptions, BasicNackOptions, BasicPublishOptions,
    BasicQosOptions, BasicRejectOptions, ConfirmSelectOptions, ExchangeBindOptions, ExchangeDeclareOptions,
    ExchangeDeleteOptions, ExchangeUnbindOptions, QueueBindOptions, QueueDeclareOptions, QueueDeleteOptions,
    QueuePurgeOptions,
};
use lapin::types::{AMQPValue, FieldArray, LongString, ShortString};
use serde::{Deserialize, Serialize};

pub use convert::{from_amqp, from_amqp_table, to_amqp, to_amqp_table, vhost_url};
use convert::{lapin_kind, observed_from_delivery, to_amqp_properties};
use engine::observed_from_engine;
pub use engine::run_on_engine;
pub use handshake::server_version;
pub use live::{LiveBroker, Pacing};
pub use script::{Consumed, Delivered, Observed, Outcome, Settle, Step};

/// A failure talking to the real broker, or a step it cannot run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveError(pub String);

impl fmt::Display for LiveError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for LiveError {}

impl From<lapin::Error> for LiveError {
    fn from(e: lapin::Error) -> Self {
        LiveError(e.to_string())
    }
}
