//! Playing one of the course's challenges on the playground.
//!
//! [`Play`] is a challenge opened on the canvas: its start and reference
//! solution drawn as topologies, and [`Play::check`], which maps the canvas
//! to a scenario with the lossless mapping in `playground::scenario` and
//! runs the challenge's probes on it. [`Origin`] and [`Play::outcome`] hold
//! the rule for recording a challenge as solved: a passing check counts only
//! on a canvas the learner built from the start, not on the reference
//! solution that "Show solution" loaded (until "Reset" brings the start
//! back). [`Hints`] reveals the graded hints one at a time; [`is_locked`]
//! says which canvas parts the challenge locks; [`code_spans`] splits a
//! sentence at its `code` marks for display; `panel` draws it all.
//! [`Play::from_link`] opens a challenge link (a course challenge with a
//! learner's attempt, or a challenge someone made), `keep` keeps the
//! learner's attempt across reloads, and `author` with `author_panel` make a
//! challenge from a canvas.
//!
//! The canvas shows and changes every setting a challenge's answer needs,
//! so the canvas written back as a scenario is the whole answer: a test
//! checks that every challenge's reference solution, drawn and written
//! back, passes.

pub mod author;
pub mod author_panel;
pub mod keep;
pub mod panel;

use super::model::{NodeId, Topology};
use super::scenario::{node_key, to_scenario, to_topology};
use brokerlab_scenario::challenge::builtin;
use brokerlab_scenario::challenge::verdict::Verdict;
use brokerlab_scenario::{Challenge, Scenario};

/// A challenge opened on the playground.
#[derive(Clone, Debug)]
pub struct Play {
    pub id: String,
    pub challenge: Challenge,
    /// The canvas the learner starts from.
    pub start: Topology,
    /// The reference solution, drawn; a challenge a learner made carries none.
    pub solution: Option<Topology>,
    /// What the canvas opens with: the start, or the attempt a link carries.
    pub initial: Topology,
    /// The start as the canvas writes it back, which locked parts are
    /// compared against, so that a part is compared in the one form the
    /// canvas writes (Kafka's defaults spelled out, for one) and never
    /// taken for a change the learner made.
    baseline: Scenario,
}

/// Where the canvas being checked came from.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Origin {
    /// The challenge's start (opened or reset), with the learner's edits.
    #[default]
    Start,
    /// The reference solution that "Show solution" loaded, with any edits.
    Solution,
}

/// What a check means for the learner's record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Every check passed on the learner's own canvas: record it as solved.
    Solved,
    /// Every check passed, but on the reference solution: not recorded.
    PassedOnSolution,
    /// Some check failed.
    NotYet,
}

impl Play {
    /// Opens the course's challenge `id`; `None` when there is none.
    pub fn open(id: &str) -> Option<Self> {
        let builtin::Builtin { start, solution } = builtin::get(id)?;
        let challenge = *start.challenge.clone()?;
        let start_canvas = to_topology(&start);
        let baseline = to_scenario(&start_canvas).unwrap_or(start);
        Some(Self {
            id: id.to_owned(),
            challenge,
            initial: start_canvas.clone(),
            start: start_canvas,
            solution: Some(to_topology(&solution)),
            baseline,
        })
    }

    /// Opens a challenge link (the `s` parameter of `#/playground?s=…` whose
    /// scenario has a `challenge` section). A course challenge's link carries
    /// a learner's attempt: the canvas opens on it, checked against the
    /// course's start. Any other link is a challenge someone made: its
    /// scenario is the start, and there is no reference solution.
    pub fn from_link(encoded: &str) -> Result<Self, String> {
        let scenario =
            Scenario::decode_link(encoded.trim()).map_err(|e| format!("This challenge link cannot be opened: {e}."))?;
        let challenge = scenario.challenge.as_deref().cloned().ok_or("This link carries no challenge.")?;
        let mut canvas_scenario = scenario.clone();
        canvas_scenario.challenge = None;
        let canvas = to_topology(&canvas_scenario);
        if let Some(mut play) = Self::open(&challenge.id).filter(|_| !challenge.id.is_empty()) {
            play.initial = canvas;
            return Ok(play);
        }
        let baseline = to_scenario(&canvas).unwrap_or(canvas_scenario);
        Ok(Self {
            id: String::new(),
            challenge: Challenge { id: String::new(), ..challenge },
            initial: canvas.clone(),
            start: canvas,
            solution: None,
            baseline,
        })
    }

    /// Whether this is one of the course's challenges, recorded with progress.
    pub fn is_course(&self) -> bool {
        !self.id.is_empty()
    }

    /// The challenge with `canvas` as the learner's attempt, as a link
    /// fragment (`#/playground?s=…`) that opens it on the playground and that
    /// `brokerlab check FILE` reads.
    pub fn attempt_link(&self, canvas: &Topology) -> Result<String, String> {
        let mut attempt = to_scenario(canvas).map_err(|e| format!("This canvas cannot be shared yet: {e}."))?;
        let mut challenge = self.challenge.clone();
        challenge.id = self.id.clone();
        attempt.challenge = Some(Box::new(challenge));
        Ok(format!("#/playground?s={}", attempt.to_link()))
    }

    /// Checks the canvas; fails, with a sentence, only when the canvas cannot
    /// be written as a scenario (binding arguments that are not pairs).
    pub fn check(&self, canvas: &Topology) -> Result<Verdict, String> {
        let answer = to_scenario(canvas).map_err(|e| format!("This canvas cannot be checked yet: {e}."))?;
        Ok(self.challenge.check(&answer, Some(&self.baseline)))
    }

    /// The rule for recording: see [`Outcome`].
    pub fn outcome(verdict: &Verdict, origin: Origin) -> Outcome {
        match (verdict.passed, origin) {
            (false, _) => Outcome::NotYet,
            (true, Origin::Start) => Outcome::Solved,
            (true, Origin::Solution) => Outcome::PassedOnSolution,
        }
    }

    /// Whether the canvas node `id` is one the challenge locks.
    pub fn is_locked(&self, canvas: &Topology, id: NodeId) -> bool {
        is_locked(&self.challenge.locked, canvas, id)
    }
}

/// Whether node `id` is named by one of the `locked` node ids
/// (`exchange:orders`, as in a scenario's layout).
pub fn is_locked(locked: &[String], canvas: &Topology, id: NodeId) -> bool {
    canvas.node(id).is_some_and(|n| {
        let key = node_key(canvas, n);
        locked.contains(&key)
    })
}

/// How many of a challenge's hints are showing.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Hints {
    pub shown: usize,
    pub total: usize,
}

impl Hints {
    pub fn new(total: usize) -> Self {
        Self { shown: 0, total }
    }

    /// Shows one more hint, if any is left; says whether one was.
    pub fn reveal(&mut self) -> bool {
        let more = self.shown < self.total;
        if more {
            self.shown += 1;
        }
        more
    }

    pub fn all_shown(&self) -> bool {
        self.shown >= self.total
    }
}

/// Splits text at its backticks: `(is_code, text)` pieces in order, so a
/// reason like "`billing` holds nothing" shows `billing` as code. An
/// unclosed backtick is kept as text.
pub fn code_spans(text: &str) -> Vec<(bool, String)> {
    let parts: Vec<&str> = text.split('`').collect();
    if parts.len().is_multiple_of(2) {
        return vec![(false, text.to_owned())];
    }
    parts.iter().enumerate().filter(|(_, p)| !p.is_empty()).map(|(i, p)| (i % 2 == 1, (*p).to_owned())).collect()
}

#[cfg(test)]
mod tests;
