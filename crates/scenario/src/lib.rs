//! The Brokerlab scenario: everything a learner builds in the playground, as
//! one versioned value. One format serves share links, lesson presets,
//! saved `.json` files, tests and the `brokerlab` command-line runner.
//!
//! A [`Scenario`] holds a RabbitMQ topology named as in RabbitMQ's
//! definitions export, a Kafka topology named as `kafka-topics.sh` names it,
//! where each node sits on the canvas, the seed, and a script of
//! [`Action`]s. It is a stable external format: it is translated into the
//! engines' internal commands, never the other way round, so the engines
//! may change without breaking old links.
//!
//! # What the playground calls
//!
//! - Share links: [`Scenario::to_link`] gives a URL-safe payload such as
//!   `1.eJy...` for `#/playground?s=`; [`Scenario::from_link`] opens one (or
//!   a whole URL carrying one). A damaged, truncated, tampered or
//!   newer-version link is a [`ScenarioError`] whose `Display` is a sentence
//!   to show; keep the current playground when it fails. Decoding is bounded
//!   by [`MAX_LINK_CHARS`] and [`MAX_DECODED_BYTES`].
//! - Files: [`Scenario::to_json`] and [`Scenario::from_json`]; older format
//!   versions are migrated on reading.
//! - Running: [`Scenario::start`] builds a [`Session`] holding a
//!   [`brokerlab_rabbit::Broker`] and a [`brokerlab_kafka::Cluster`];
//!   [`Session::step`] replays one action and returns its [`StepOutcome`]
//!   (the engines' events), [`Session::run_to_end`] replays the rest, and
//!   [`Session::apply`] runs a learner's live click (push the same action
//!   onto `scenario.script` so the link replays it).
//!   [`Scenario::start_lenient`] builds what the engines accept and lists a
//!   [`SetupProblem`] for each part they refuse, for a canvas that may hold
//!   parts an engine refuses.
//! - Presets: [`presets::get`] and [`presets::all`] for lesson and gallery
//!   scenarios by id.
//! - Interchange: [`definitions`] reads and writes RabbitMQ definitions files
//!   and `kafka-topics.sh` commands; [`codegen`] writes Python and
//!   JavaScript client code; [`report`] makes the JSON run report.
//!
//! ```
//! use brokerlab_scenario::*;
//!
//! let scenario = presets::get("work-queue").expect("a built-in preset");
//! let link = scenario.to_link();
//! assert_eq!(Scenario::from_link(&link)?, scenario);
//! let mut session = scenario.start()?;
//! let outcomes = session.run_to_end();
//! assert!(outcomes.iter().all(|o| o.error.is_none()));
//! assert!(matches!(Scenario::from_link("9.abc"), Err(ScenarioError::NewerVersion { .. })));
//! # Ok::<(), ScenarioError>(())
//! ```

pub mod challenge;
mod codec;
pub mod codegen;
pub mod definitions;
mod error;
mod model;
pub mod predict;
pub mod presets;
pub mod report;
mod session;
pub mod translate;
mod validate;

pub use challenge::{Challenge, Check, Probe};
pub use codec::{MAX_DECODED_BYTES, MAX_LINK_CHARS, migrate};
pub use error::ScenarioError;
pub use model::*;
pub use session::{Session, SetupPart, SetupProblem, StepOutcome};
pub use validate::{MAX_ADVANCE_MS, MAX_SCRIPT_ACTIONS};

/// The JSON Schema of the scenario format, generated from the types, as
/// published at `docs/scenario.schema.json`.
pub fn json_schema() -> String {
    let schema = schemars::schema_for!(Scenario);
    let mut s = serde_json::to_string_pretty(&schema).unwrap_or_default();
    s.push('\n');
    s
}
