//! Predictions: questions a live scenario asks before one of its script
//! steps runs, answered by the engines.
//!
//! A lesson's preset scenario can carry questions ("which queues get this
//! message?", "which partition does `carol` land in?"). Each [`Prediction`]
//! is asked before script step [`Prediction::before`]; its [`Choice`]s are
//! statements about what the engines will have done once step
//! [`Prediction::through`] has run, each written as challenge [`Check`]s.
//! Which choices are right is never written down: [`Prediction::judge`]
//! replays the preset up to that step on fresh engines and judges every
//! choice's checks, so the answer, and the sentence that says why, come
//! from the engines. [`Judged::grade`] compares the reader's picks with it.
//!
//! The course's questions live beside the presets as `ID.predict.json`
//! (a [`Predictions`] value) and are read with [`crate::presets::predictions`].

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::challenge::verdict::{describe, judge, run_probe};
use crate::challenge::{Check, Probe};
use crate::model::Scenario;

/// A preset's questions, as its `ID.predict.json` file holds them.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Predictions {
    pub questions: Vec<Prediction>,
}

/// One question asked before a script step runs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Prediction {
    /// The index (from 0) of the script step the question is asked before.
    pub before: usize,
    /// The last step that runs before the answer is read from the engines;
    /// `before` when left out. A question about a burst of publishes asks
    /// before the first and is judged after the last.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub through: Option<usize>,
    pub question: String,
    /// When true the reader picks every choice that will be true; otherwise
    /// exactly one choice is right and the reader picks one.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub pick_all: bool,
    pub choices: Vec<Choice>,
    /// Why it happens, shown with the engines' result once the step has run.
    pub explanation: String,
}

/// One possible answer: a statement the engines make true or false.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Choice {
    /// The answer as the reader sees it.
    pub label: String,
    /// The statement, as checks that must all pass after the judged step.
    pub checks: Vec<Check>,
    /// The choice is true when the checks do not all pass ("the publish is
    /// refused" is the negation of `no_errors`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub negate: bool,
}

/// What the engines made of a question's choices.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Judged {
    /// For each choice in order: whether it came true.
    pub truth: Vec<bool>,
    /// For each choice in order: what the engines did that decides it, in
    /// words (a passing check's statement, or the first failing check's reason).
    pub facts: Vec<String>,
}

/// How the reader's answer compares with what happened.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Grade {
    Right,
    /// A pick-all answer with some of the true choices and no false one.
    Partly,
    Wrong,
}

impl Prediction {
    /// The last step judged.
    pub fn through(&self) -> usize {
        self.through.unwrap_or(self.before)
    }

    /// Says what is wrong with the question for `scenario`, if anything:
    /// steps outside its script, too few or too many choices, empty text.
    pub fn validate(&self, scenario: &Scenario) -> Result<(), String> {
        let len = scenario.script.len();
        if self.before >= len {
            return Err(format!("it is asked before step {}, but the script has {len} steps", self.before));
        }
        if self.through() < self.before || self.through() >= len {
            return Err(format!("it is judged after step {}, outside steps {}..{len}", self.through(), self.before));
        }
        if !(2..=5).contains(&self.choices.len()) {
            return Err(format!("it has {} choices; a question has 2 to 5", self.choices.len()));
        }
        if self.question.trim().is_empty() || self.explanation.trim().is_empty() {
            return Err("its question and explanation must not be empty".into());
        }
        if let Some(c) = self.choices.iter().find(|c| c.label.trim().is_empty() || c.checks.is_empty()) {
            return Err(format!("choice {:?} needs a label and at least one check", c.label));
        }
        Ok(())
    }

    /// Replays `scenario`'s script up to and including the judged step on
    /// fresh engines and judges every choice. Fails, with a sentence, when
    /// the question does not fit the scenario or the engines refuse its setup.
    pub fn judge(&self, scenario: &Scenario) -> Result<Judged, String> {
        self.validate(scenario)?;
        let probe =
            Probe { name: self.question.clone(), script: scenario.script[..=self.through()].to_vec(), checks: vec![] };
        let run = run_probe(scenario, &probe)?;
        let mut truth = Vec::with_capacity(self.choices.len());
        let mut facts = Vec::with_capacity(self.choices.len());
        for choice in &self.choices {
            let failed = choice.checks.iter().find_map(|c| judge(c, &run).err());
            truth.push(failed.is_none() != choice.negate);
            facts.push(failed.unwrap_or_else(|| {
                let said: Vec<String> = choice.checks.iter().map(describe).collect();
                said.join("; ")
            }));
        }
        Ok(Judged { truth, facts })
    }
}

impl Judged {
    /// The indices of the choices that came true.
    pub fn right(&self) -> Vec<usize> {
        self.truth.iter().enumerate().filter(|(_, t)| **t).map(|(i, _)| i).collect()
    }

    /// Grades the reader's picks: right when they are exactly the true
    /// choices; for a pick-all question, partly right when they are some of
    /// the true choices and none of the false ones.
    pub fn grade(&self, picked: &[usize]) -> Grade {
        let mut picked: Vec<usize> = picked.to_vec();
        picked.sort_unstable();
        picked.dedup();
        let right = self.right();
        if picked == right {
            Grade::Right
        } else if !picked.is_empty() && picked.iter().all(|p| right.contains(p)) {
            Grade::Partly
        } else {
            Grade::Wrong
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn judged(truth: &[bool]) -> Judged {
        Judged { truth: truth.to_vec(), facts: vec![String::new(); truth.len()] }
    }

    #[test]
    fn a_pick_is_right_only_when_it_is_exactly_the_true_choices() {
        let j = judged(&[true, false, true]);
        assert_eq!(j.right(), vec![0, 2]);
        assert_eq!(j.grade(&[2, 0]), Grade::Right);
        assert_eq!(j.grade(&[0]), Grade::Partly);
        assert_eq!(j.grade(&[0, 1]), Grade::Wrong);
        assert_eq!(j.grade(&[]), Grade::Wrong);
        assert_eq!(j.grade(&[7]), Grade::Wrong);
    }

    #[test]
    fn a_question_outside_its_script_is_refused_with_a_reason() {
        let scenario = Scenario::default();
        let q = Prediction {
            before: 0,
            through: None,
            question: "?".into(),
            pick_all: false,
            choices: vec![],
            explanation: "because".into(),
        };
        assert!(q.judge(&scenario).unwrap_err().contains("script has 0 steps"));
    }
}
