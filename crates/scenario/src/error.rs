//! The one error type of the crate. Every decoder (links, JSON files,
//! definitions files) and the session turn bad input into a
//! [`ScenarioError`] whose `Display` text is a sentence fit to show a learner
//! as it is; nothing here panics on input.

use std::fmt;

/// Why a scenario could not be read, checked or started.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ScenarioError {
    /// The link or file was empty.
    Empty,
    /// The link is longer than any link this site writes.
    LinkTooLong { len: usize, max: usize },
    /// The link does not start with a version number and a dot.
    NotALink,
    /// Written by a newer Brokerlab than this one.
    NewerVersion { found: u32, supported: u32 },
    /// The payload is not URL-safe base64 (a character was changed or lost).
    Encoding(String),
    /// The payload does not decompress: truncated, tampered or not ours.
    Corrupt(String),
    /// The payload would expand past the size limit.
    TooLarge { max: usize },
    /// The JSON is malformed or does not have the scenario's shape.
    Json(String),
    /// The scenario is well-formed but inconsistent (a binding to a missing queue, ...).
    Invalid(String),
    /// An engine refused the topology while the scenario was being built.
    Setup(String),
    /// A RabbitMQ definitions file that cannot be imported.
    Definitions(String),
}

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ScenarioError::Empty => f.write_str("the scenario is empty"),
            ScenarioError::LinkTooLong { len, max } => {
                write!(f, "the link is {len} characters long; Brokerlab links are at most {max}")
            }
            ScenarioError::NotALink => {
                f.write_str("this is not a Brokerlab scenario link (it should start with a version, like `1.`)")
            }
            ScenarioError::NewerVersion { found, supported } => write!(
                f,
                "this scenario was saved by a newer Brokerlab (format {found}; this one reads up to {supported}); reload the page to get the latest version"
            ),
            ScenarioError::Encoding(e) => write!(f, "the link is damaged (a character was changed or cut off): {e}"),
            ScenarioError::Corrupt(e) => write!(f, "the link is damaged or truncated: {e}"),
            ScenarioError::TooLarge { max } => write!(f, "the scenario is larger than the {max}-byte limit"),
            ScenarioError::Json(e) => write!(f, "the scenario is not valid: {e}"),
            ScenarioError::Invalid(e) => write!(f, "the scenario is inconsistent: {e}"),
            ScenarioError::Setup(e) => write!(f, "the scenario cannot be built: {e}"),
            ScenarioError::Definitions(e) => write!(f, "the definitions file cannot be imported: {e}"),
        }
    }
}

impl std::error::Error for ScenarioError {}
