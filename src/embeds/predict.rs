//! Predictions in a live scenario: before a decisive script step runs, the
//! reader answers the preset's question; the step runs; the page sets what
//! the engines did beside what the reader predicted.
//!
//! [`Asking`] is the plain state the live panel keeps (which question is
//! pending at the current step, which were already asked in this run) and
//! [`Answered`] a judged answer; both are reached by native tests. The
//! question itself is judged by `brokerlab_scenario::predict` on fresh
//! engines, so the right answer and the reason for every choice come from
//! the engines. [`QuestionForm`] and [`AnswerView`] draw them. Answers are
//! kept with reading progress under `predict/PRESET/N`.

use std::collections::BTreeSet;

use brokerlab_scenario::Scenario;
use brokerlab_scenario::predict::{Grade, Judged, Prediction};
use leptos::prelude::*;

use crate::course::progress;
use crate::playground::challenge::code_spans;

/// Which of a preset's questions have been asked in the current run.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Asking {
    asked: BTreeSet<usize>,
}

impl Asking {
    /// The question waiting to be asked before the step at `position`, if any.
    pub fn pending(&self, questions: &[Prediction], position: usize) -> Option<usize> {
        questions.iter().enumerate().find(|(n, q)| q.before == position && !self.asked.contains(n)).map(|(n, _)| n)
    }

    /// Marks question `n` as asked (answered or skipped) in this run.
    pub fn done(&mut self, n: usize) {
        self.asked.insert(n);
    }

    /// Forgets what was asked, for a fresh run.
    pub fn reset(&mut self) {
        self.asked.clear();
    }
}

/// A question the reader answered, judged by the engines.
#[derive(Clone, Debug, PartialEq)]
pub struct Answered {
    pub index: usize,
    pub question: Prediction,
    pub picked: Vec<usize>,
    pub judged: Judged,
    pub grade: Grade,
}

impl Answered {
    /// Judges the reader's picks for question `index` of `preset`.
    pub fn judge(preset: &Scenario, index: usize, question: &Prediction, picked: Vec<usize>) -> Result<Self, String> {
        let judged = question.judge(preset)?;
        let grade = judged.grade(&picked);
        Ok(Self { index, question: question.clone(), picked, judged, grade })
    }

    /// The verdict as a heading says it.
    pub fn headline(&self) -> &'static str {
        match self.grade {
            Grade::Right => "Your prediction was right.",
            Grade::Partly => "Partly right: you missed something that happened.",
            Grade::Wrong => "Not what happened.",
        }
    }
}

/// The progress key of a preset's question.
pub fn answer_key(preset: &str, index: usize) -> String {
    format!("predict/{preset}/{index}")
}

/// The labels of the choices picked in an earlier visit, if any.
pub fn earlier_answer(preset: &str, index: usize, question: &Prediction) -> Option<Vec<String>> {
    let picked = progress::stored_answer(&answer_key(preset, index))?;
    Some(picked.iter().filter_map(|p| question.choices.get(*p as usize)).map(|c| c.label.clone()).collect())
}

/// Text with `code` spans.
fn rich(text: &str) -> impl IntoView + use<> {
    code_spans(text)
        .into_iter()
        .map(|(code, s)| if code { view! { <code>{s}</code> }.into_any() } else { s.into_any() })
        .collect_view()
}

/// The question, asked before its step: choices, "Run and compare" and
/// "Skip the question". `on_answer` gets the picks, or `None` for a skip.
#[component]
pub fn QuestionForm(
    preset: &'static str,
    index: usize,
    question: Prediction,
    on_answer: Callback<Option<Vec<usize>>>,
) -> impl IntoView {
    let picked = RwSignal::new(BTreeSet::<usize>::new());
    let problem = RwSignal::new(None::<&'static str>);
    let pick_all = question.pick_all;
    let name = format!("predict-{preset}-{index}");
    let earlier = earlier_answer(preset, index, &question);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let picks: Vec<usize> = picked.get_untracked().into_iter().collect();
        if picks.is_empty() {
            problem.set(Some("Pick an answer first, or skip the question."));
            return;
        }
        on_answer.run(Some(picks));
    };
    // The choices' checked state follows `picked`, so a form redrawn in
    // place for the next question starts with nothing picked.
    let choices = question
        .choices
        .iter()
        .enumerate()
        .map(|(n, choice)| {
            let toggle = move |ev: leptos::ev::Event| {
                let on = event_target_checked(&ev);
                problem.set(None);
                picked.update(|p| {
                    if !pick_all {
                        p.clear();
                    }
                    if on {
                        p.insert(n);
                    } else {
                        p.remove(&n);
                    }
                });
            };
            let kind = if pick_all { "checkbox" } else { "radio" };
            view! {
                <label class="predict-choice">
                    <input type=kind name=name.clone() value=n.to_string()
                        prop:checked=move || picked.with(|p| p.contains(&n)) on:change=toggle />
                    <span>{rich(&choice.label)}</span>
                </label>
            }
        })
        .collect_view();
    view! {
        <form class="predict" on:submit=submit>
            <fieldset>
                <legend>
                    <span class="predict-kicker">{format!("Predict before step {} runs", question.before + 1)}</span>
                    {rich(&question.question)}
                </legend>
                <p class="predict-how">{if pick_all { "Pick every answer that will be true." } else { "Pick one answer." }}</p>
                {choices}
            </fieldset>
            {earlier.map(|labels| view! { <p class="predict-earlier">"Last time you answered: " {rich(&labels.join("; "))}</p> })}
            {move || problem.get().map(|p| view! { <p class="error" role="alert">{p}</p> })}
            <div class="predict-actions">
                <button type="submit">"Run and compare"</button>
                <button type="button" on:click=move |_| on_answer.run(None)>"Skip the question"</button>
            </div>
        </form>
    }
}

/// What happened beside what the reader predicted, choice by choice, with
/// the engines' reason for each and the question's explanation.
#[component]
pub fn AnswerView(answered: Answered) -> impl IntoView {
    let Answered { question, picked, judged, grade, .. } = answered.clone();
    let class = match grade {
        Grade::Right => "predict-result right",
        Grade::Partly => "predict-result partly",
        Grade::Wrong => "predict-result wrong",
    };
    let rows = question
        .choices
        .iter()
        .enumerate()
        .map(|(n, choice)| {
            let happened = judged.truth.get(n).copied().unwrap_or(false);
            let mine = picked.contains(&n);
            let verdict = match (happened, mine) {
                (true, true) => "Happened, and you predicted it",
                (true, false) => "Happened, but you did not predict it",
                (false, true) => "Did not happen, but you predicted it",
                (false, false) => "Did not happen",
            };
            let fact = judged.facts.get(n).cloned().unwrap_or_default();
            view! {
                <li class=if happened { "happened" } else { "not-happened" }>
                    <strong>{rich(&choice.label)}</strong>
                    <span class="predict-verdict">{verdict}</span>
                    <span class="predict-fact">"The engines: " {rich(&fact)}</span>
                </li>
            }
        })
        .collect_view();
    view! {
        <section class=class aria-label="Your prediction and what happened">
            <h3>{answered.headline()}</h3>
            <ul>{rows}</ul>
            <p class="predict-explanation">{rich(&question.explanation)}</p>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use brokerlab_scenario::presets;

    #[test]
    fn a_question_is_pending_at_its_step_until_it_is_asked_and_again_after_a_reset() {
        let questions = presets::predictions("exchange-types");
        let mut asking = Asking::default();
        assert_eq!(asking.pending(&questions, 0), None);
        assert_eq!(asking.pending(&questions, 2), Some(0));
        asking.done(0);
        assert_eq!(asking.pending(&questions, 2), None);
        assert_eq!(asking.pending(&questions, 3), Some(1));
        asking.reset();
        assert_eq!(asking.pending(&questions, 2), Some(0));
    }

    #[test]
    fn a_right_and_a_wrong_prediction_are_graded_by_the_engines() {
        let preset = presets::get("exchange-types").expect("preset");
        let questions = presets::predictions("exchange-types");
        let fanout = &questions[0];
        let right = Answered::judge(&preset, 0, fanout, vec![0, 1]).expect("judged");
        assert_eq!(right.grade, Grade::Right);
        assert_eq!(right.headline(), "Your prediction was right.");
        let partly = Answered::judge(&preset, 0, fanout, vec![0]).expect("judged");
        assert_eq!(partly.grade, Grade::Partly);
        let wrong = Answered::judge(&preset, 0, fanout, vec![3]).expect("judged");
        assert_eq!(wrong.grade, Grade::Wrong);
        assert!(wrong.judged.facts[3].contains("`broadcast`"), "{:?}", wrong.judged.facts);
    }

    #[test]
    fn answers_are_kept_under_the_presets_key() {
        assert_eq!(answer_key("dlq-retry", 1), "predict/dlq-retry/1");
    }
}
