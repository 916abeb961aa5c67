//! "Check yourself": the retrieval questions at the end of a lesson.
//!
//! The questions are not compiled into the app: `cargo xtask content` writes
//! them beside the lesson's text as `lessons/SLUG.quiz.json`, and
//! [`LessonQuiz`] fetches them when the lesson opens. [`Quiz`] and
//! [`Question`] are the plain data with its grading and scoring, tested
//! natively; [`inline_code`] splits the course's backtick spans out of a
//! question's text. The reader's answers live in the shared progress under
//! `quiz/SLUG/N`, so they survive a reload and travel in the exported file;
//! "Try again" clears the lesson's answers under `quiz/SLUG/`.

use crate::course::progress::{self, Tracker, use_tracker};
use crate::files;
use leptos::html;
use leptos::prelude::*;
use serde::Deserialize;
use wasm_bindgen::JsCast;

/// A lesson's questions, as `lessons/SLUG.quiz.json` carries them.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Quiz {
    pub questions: Vec<Question>,
}

/// One question: its choices, the right ones by index, and why.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Question {
    pub question: String,
    pub choices: Vec<String>,
    /// The right choices by index; one unless `pick_all`.
    pub answer: Vec<u32>,
    /// The reader may pick several choices ("pick all that apply").
    pub pick_all: bool,
    pub explanation: String,
}

impl Quiz {
    /// Reads a questions file, refusing one whose answers name no choice, so
    /// a damaged file shows a sentence rather than a question nobody can get right.
    pub fn parse(text: &str) -> Result<Self, String> {
        let quiz: Quiz = serde_json::from_str(text).map_err(|e| format!("the questions file is not readable ({e})"))?;
        if quiz.questions.is_empty() {
            return Err("the questions file has no questions".into());
        }
        for (n, q) in quiz.questions.iter().enumerate() {
            let in_range = q.answer.iter().all(|&a| (a as usize) < q.choices.len());
            if q.answer.is_empty() || !in_range || (!q.pick_all && q.answer.len() != 1) {
                return Err(format!("question {} of the questions file has an answer that names no choice", n + 1));
            }
        }
        Ok(quiz)
    }

    /// How many questions the reader has answered right, given the stored
    /// answer to each question by index.
    pub fn right(&self, answer: impl Fn(usize) -> Option<Vec<u32>>) -> usize {
        self.questions.iter().enumerate().filter(|(n, q)| answer(*n).is_some_and(|a| q.is_right(&a))).count()
    }
}

impl Question {
    /// Whether `picked` is exactly the right set of choices: for a pick-all
    /// question every right choice and no wrong one, in any order.
    pub fn is_right(&self, picked: &[u32]) -> bool {
        let set = |v: &[u32]| {
            let mut v = v.to_vec();
            v.sort_unstable();
            v.dedup();
            v
        };
        !picked.is_empty() && set(picked) == set(&self.answer)
    }

    /// The right choices' text, joined for a sentence.
    pub fn right_choices(&self) -> Vec<&str> {
        self.answer.iter().filter_map(|&a| self.choices.get(a as usize)).map(String::as_str).collect()
    }
}

/// The key under which the reader's answer to question `n` of a lesson is kept.
pub fn answer_key(slug: &str, n: usize) -> String {
    format!("quiz/{slug}/{n}")
}

/// The prefix of every answer key of a lesson, for "Try again".
pub fn lesson_prefix(slug: &str) -> String {
    format!("quiz/{slug}/")
}

/// Splits text at backticks into plain runs and inline code (`true`), the
/// course's one piece of inline markup in questions; empty runs are left out.
pub fn inline_code(text: &str) -> Vec<(bool, &str)> {
    text.split('`').enumerate().filter(|(_, run)| !run.is_empty()).map(|(n, run)| (n % 2 == 1, run)).collect()
}

fn rich(text: &str) -> impl IntoView + use<> {
    inline_code(text)
        .into_iter()
        .map(|(code, run)| {
            let run = run.to_owned();
            if code { view! { <code>{run}</code> }.into_any() } else { run.into_any() }
        })
        .collect_view()
}

/// Changes the stored answers, starting from what is stored (another tab or
/// the engines module may have written since), and keeps the result.
fn change_answers(tracker: Tracker, change: impl FnOnce(&mut progress::Progress)) {
    tracker.refresh();
    tracker.progress.update(change);
    tracker.persistence.set(tracker.progress.with_untracked(progress::save));
}

/// The "Check yourself" section of a lesson: its questions, fetched beside
/// the lesson's text, with the reader's answers and the lesson's score.
#[component]
pub fn LessonQuiz(
    /// The lesson's slug, which names its questions file and answer keys.
    slug: &'static str,
) -> impl IntoView {
    // The same kind of resource as the lesson's text, so that the app carries
    // one copy of its machinery; the file is parsed once it has arrived.
    let file = LocalResource::new(move || files::fetch_text(format!("lessons/{slug}.quiz.json")));
    view! {
        <section class="quiz" aria-labelledby="quiz-title">
            <h2 id="quiz-title">"Check yourself"</h2>
            {move || match file.get().map(|text| Quiz::parse(&text?)) {
                None => view! { <p class="loading" role="status">"Loading the questions…"</p> }.into_any(),
                Some(Ok(quiz)) => view! { <QuizQuestions slug quiz /> }.into_any(),
                Some(Err(error)) => {
                    view! {
                        <div class="load-error" role="alert">
                            <p>"This lesson's questions could not be loaded: " {error}</p>
                            <button type="button" on:click=move |_| file.refetch()>"Try again"</button>
                        </div>
                    }
                        .into_any()
                }
            }}
        </section>
    }
}

/// The questions of one lesson, once loaded.
#[component]
fn QuizQuestions(
    /// The lesson's slug.
    slug: &'static str,
    /// The lesson's questions.
    quiz: Quiz,
) -> impl IntoView {
    let tracker = use_tracker();
    let total = quiz.questions.len();
    // What the reader has picked but not yet checked, per question.
    let picks: Vec<RwSignal<Vec<u32>>> = quiz.questions.iter().map(|_| RwSignal::new(Vec::new())).collect();
    let stored = move |n: usize| tracker.progress.with(|p| p.answer(&answer_key(slug, n)).map(<[u32]>::to_vec));
    let scored = quiz.clone();
    let score = move || format!("{} of {total} right", scored.right(stored));
    let section = NodeRef::<html::Div>::new();
    let cleared = picks.clone();
    let try_again = move |_| {
        change_answers(tracker, |p| p.clear_answers(&lesson_prefix(slug)));
        cleared.iter().for_each(|p| p.set(Vec::new()));
        // The choices are enabled again once the page has redrawn; then the
        // first one takes the focus the vanished button had. (The timer is
        // the one the shell already uses for downloads, which keeps it small.)
        gloo_timers::callback::Timeout::new(0, move || {
            let first = section.get_untracked().and_then(|s| s.query_selector("input").ok().flatten());
            if let Some(input) = first.and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok()) {
                let _ = input.focus();
            }
        })
        .forget();
    };
    let again = move || {
        (0..total)
            .any(|n| stored(n).is_some())
            .then(|| view! { <button type="button" on:click=try_again.clone()>"Try again"</button> })
    };
    view! {
        <div class="quiz-questions" node_ref=section>
            {quiz
                .questions
                .into_iter()
                .zip(picks)
                .enumerate()
                .map(|(n, (question, picked))| view! { <QuizQuestion slug n total question picked /> })
                .collect_view()}
        </div>
        <div class="quiz-summary">
            <p class="quiz-score">{score}</p>
            {again}
        </div>
    }
}

/// One question as a fieldset of choices and its "Check answer" button,
/// or, once answered, the choices marked right and wrong; below them, in a
/// polite live region, the verdict and the explanation.
#[component]
fn QuizQuestion(
    /// The lesson's slug.
    slug: &'static str,
    /// The question's index in the lesson, from 0.
    n: usize,
    /// How many questions the lesson has.
    total: usize,
    /// The question.
    question: Question,
    /// The choices picked and not yet checked.
    picked: RwSignal<Vec<u32>>,
) -> impl IntoView {
    let tracker = use_tracker();
    let key = answer_key(slug, n);
    // A plain closure rather than a memo keeps the app small; redrawing a
    // question when other progress changes keeps its picks (they are read
    // back from `picked`).
    let stored = {
        let key = key.clone();
        move || tracker.progress.with(|p| p.answer(&key).map(<[u32]>::to_vec))
    };
    let nudge = RwSignal::new(false);
    let check = move |_| {
        let choices = picked.get_untracked();
        nudge.set(choices.is_empty());
        if !choices.is_empty() {
            change_answers(tracker, |p| p.set_answer(&key, &choices));
        }
    };
    let hint_id = format!("quiz-{slug}-{n}-hint");
    let described_by = question.pick_all.then(|| hint_id.clone());
    let pick_all = question.pick_all;
    let legend = question.question.clone();
    let shared = std::sync::Arc::new(question);
    let question = shared.clone();
    // Both states draw the same elements with different values, which keeps
    // the app smaller than two separate drawings would.
    let body = {
        let stored = stored.clone();
        move || {
            let kind = if pick_all { "checkbox" } else { "radio" };
            let name = format!("quiz-{slug}-{n}");
            let given = stored();
            let answered = given.is_some();
            let shown = given.unwrap_or_else(|| picked.get_untracked());
            let choices = question
                .choices
                .iter()
                .enumerate()
                .map(|(c, text)| {
                    let c = c as u32;
                    let (right, chosen) = (question.answer.contains(&c), shown.contains(&c));
                    let (class, mark) = match (answered, right, chosen) {
                        (true, true, _) => ("quiz-choice quiz-choice-right", "✓"),
                        (true, false, true) => ("quiz-choice quiz-choice-wrong", "✗"),
                        _ => ("quiz-choice", ""),
                    };
                    let on_change = move |ev: leptos::ev::Event| {
                        let on = event_target_checked(&ev);
                        nudge.set(false);
                        picked.update(|p| {
                            p.retain(|&x| pick_all && x != c);
                            if on {
                                p.push(c);
                            }
                        });
                    };
                    view! {
                        <label class=class>
                            <input
                                type=kind
                                name=name.clone()
                                prop:checked=chosen
                                disabled=answered
                                on:change=on_change
                            />
                            <span>{rich(text)}</span>
                            <span class="quiz-mark" aria-hidden="true">{mark}</span>
                        </label>
                    }
                })
                .collect_view();
            let button = (!answered).then(
                || view! { <button type="button" class="quiz-check" on:click=check.clone()>"Check answer"</button> },
            );
            view! {
                <div class="quiz-choices">{choices}</div>
                {button}
            }
        }
    };
    let question = shared;
    let feedback = move || {
        let given = stored();
        let verdict = given.map(|given| {
            let right = question.is_right(&given);
            let label = if question.pick_all { "The right choices: " } else { "The right answer: " };
            view! {
                <p class=if right { "quiz-verdict" } else { "quiz-verdict quiz-verdict-wrong" }>
                    <strong>{if right { "Right." } else { "Not quite." }}</strong>
                    " " {label} {rich(&question.right_choices().join("; "))} "."
                </p>
                <p class="quiz-explanation">{rich(&question.explanation)}</p>
            }
        });
        let nudge = (verdict.is_none() && nudge.get()).then(|| view! { <p>"Pick an answer first."</p> });
        (nudge, verdict)
    };
    view! {
        <fieldset class="quiz-question" aria-describedby=described_by>
            <legend>
                <span class="quiz-number">{format!("Question {} of {total}", n + 1)}</span>
                " "
                <span>{rich(&legend)}</span>
            </legend>
            {pick_all.then(|| view! { <p class="quiz-hint" id=hint_id>"Pick all that apply."</p> })}
            {body}
            <div class="quiz-feedback" role="status">{feedback}</div>
        </fieldset>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn question(answer: &[u32], pick_all: bool) -> Question {
        Question {
            question: "Which?".into(),
            choices: vec!["a".into(), "b".into(), "c".into(), "d".into()],
            answer: answer.to_vec(),
            pick_all,
            explanation: "Because.".into(),
        }
    }

    #[test]
    fn a_single_answer_is_right_only_when_it_is_the_right_choice() {
        let q = question(&[2], false);
        assert!(q.is_right(&[2]));
        assert!(!q.is_right(&[1]));
        assert!(!q.is_right(&[]));
    }

    #[test]
    fn a_pick_all_answer_needs_every_right_choice_and_no_wrong_one_in_any_order() {
        let q = question(&[0, 2], true);
        assert!(q.is_right(&[2, 0]));
        assert!(q.is_right(&[0, 2]));
        assert!(!q.is_right(&[0]), "a right choice is missing");
        assert!(!q.is_right(&[0, 2, 3]), "a wrong choice is picked too");
        assert_eq!(q.right_choices(), ["a", "c"]);
    }

    #[test]
    fn the_score_counts_right_answers_and_ignores_unanswered_questions() {
        let quiz = Quiz { questions: vec![question(&[1], false), question(&[0, 3], true), question(&[2], false)] };
        let answers = [Some(vec![1]), Some(vec![3, 0]), None];
        assert_eq!(quiz.right(|n| answers[n].clone()), 2);
        let wrong = [Some(vec![0]), Some(vec![0]), Some(vec![2])];
        assert_eq!(quiz.right(|n| wrong[n].clone()), 1);
        assert_eq!(quiz.right(|_| None), 0);
    }

    #[test]
    fn a_questions_file_reads_and_a_damaged_one_is_refused_with_a_reason() {
        let good = r#"{"questions":[{"question":"Q","choices":["a","b","c"],"answer":[1],"pick_all":false,"explanation":"E"}]}"#;
        let quiz = Quiz::parse(good).expect("a valid file");
        assert_eq!(quiz.questions[0].right_choices(), ["b"]);
        let out_of_range = good.replace("[1]", "[3]");
        assert!(Quiz::parse(&out_of_range).expect_err("no choice 3").contains("names no choice"));
        let two_for_one = good.replace("[1]", "[0,1]");
        assert!(Quiz::parse(&two_for_one).expect_err("two answers to a single").contains("names no choice"));
        assert!(Quiz::parse("<html>").expect_err("not JSON").contains("not readable"));
        assert!(Quiz::parse(r#"{"questions":[]}"#).expect_err("empty").contains("no questions"));
    }

    #[test]
    fn every_generated_questions_file_reads() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("public/lessons");
        let mut read = 0;
        for entry in std::fs::read_dir(&dir).expect("the lessons folder exists").flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if let Some(slug) = name.strip_suffix(".quiz.json") {
                let text = std::fs::read_to_string(entry.path()).expect("readable");
                let quiz = Quiz::parse(&text).unwrap_or_else(|e| panic!("{slug}: {e}"));
                assert!((2..=3).contains(&quiz.questions.len()), "{slug}");
                read += 1;
            }
        }
        assert_eq!(read, crate::course::MODULES.iter().map(|m| m.lessons.len()).sum::<usize>());
    }

    #[test]
    fn inline_code_is_split_out_of_backticks() {
        assert_eq!(
            inline_code("Set `acks=all` and `min.insync.replicas`."),
            [(false, "Set "), (true, "acks=all"), (false, " and "), (true, "min.insync.replicas"), (false, ".")]
        );
        assert_eq!(inline_code("`#`"), [(true, "#")]);
        assert_eq!(inline_code("plain"), [(false, "plain")]);
    }

    #[test]
    fn answer_keys_sit_under_the_lessons_prefix() {
        assert_eq!(answer_key("push-vs-pull-models", 1), "quiz/push-vs-pull-models/1");
        assert!(answer_key("a", 0).starts_with(&lesson_prefix("a")));
        assert!(!answer_key("ab", 0).starts_with(&lesson_prefix("a")));
    }
}
