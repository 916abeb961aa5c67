//! The playground: a canvas where a learner builds a RabbitMQ topology or a
//! Kafka cluster and runs traffic through it.
//!
//! `model` is the editor's data (nodes, edges, selection, undo/redo);
//! `engine` translates it into engine commands; `sim` runs both engines with
//! simulated clients and records what the page shows; `share` turns a
//! topology into a link or a file and back; `scenario` opens the
//! scenario crate's gallery starters and links on the canvas;
//! `view` draws it all; `challenge` plays a course challenge on it.

pub mod challenge;
pub mod engine;
pub mod model;
pub mod scenario;
pub mod share;
pub mod sim;
pub mod view;
