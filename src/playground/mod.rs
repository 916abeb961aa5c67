//! The playground: a canvas where a learner builds a RabbitMQ topology or a
//! Kafka cluster and runs traffic through it.
//!
//! `model` is the editor's data (nodes, edges, selection, undo/redo);
//! `scenario` maps it to the scenario format and back (and opens the
//! scenario crate's gallery starters and links on the canvas); `sim` runs a
//! canvas by driving the scenario crate's session, with `clients` (the
//! simulated producers and consumers that decide what to do and when),
//! `journal` (the log, message histories, flights and counters, read from
//! the engines' events), `readout` (what each part and the message
//! inspector show) with `kafka_readout` (the Kafka protocols' state: group
//! phases, producer batches and retries, transactions, share-partitions);
//! `share` turns a topology into a link or a file and
//! back; `view` draws it all; `challenge` plays a course challenge on it.

pub mod challenge;
mod clients;
pub mod designs;
mod journal;
mod kafka_readout;
pub mod metrics;
pub mod model;
mod readout;
pub mod scenario;
pub mod share;
pub mod sim;
pub mod view;
