//! The challenge page's parts: [`ChallengePlay`] (a course challenge by id)
//! and [`ChallengeBoard`] (any opened challenge, also from a link) lay the
//! playground beside a docked panel with the challenge's story and goal, the
//! Check, hint, solution and reset buttons, a link with the learner's
//! attempt, and the results of the last check. The attempt is kept (see
//! `keep`) as the learner works. The rules live in the parent module; this
//! only wires signals to them and draws.

use super::{Hints, Origin, Outcome, Play, code_spans, keep};
use crate::course::progress::{self, Persistence};
use crate::playground::model::Playground;
use crate::playground::view::PlaygroundView;
use brokerlab_scenario::challenge::verdict::Verdict;
use leptos::prelude::*;

/// A sentence with its `code` marks shown as code.
#[component]
fn Words(
    /// The text, with backticks around code.
    text: String,
) -> impl IntoView {
    code_spans(&text)
        .into_iter()
        .map(|(code, piece)| if code { view! { <code>{piece}</code> }.into_any() } else { piece.into_any() })
        .collect_view()
}

/// The challenge `id` on the playground, with its panel; an unknown id says so.
#[component]
pub fn ChallengePlay(
    /// The course challenge's id, from the page address.
    id: String,
) -> impl IntoView {
    let Some(play) = Play::open(&id) else {
        return view! { <p class="error" role="alert">{format!("There is no challenge “{id}”.")}</p> }.into_any();
    };
    let kept_as = keep::for_course(&id);
    view! { <ChallengeBoard play kept_as /> }.into_any()
}

/// An opened challenge on the playground with its panel. The canvas opens on
/// the attempt kept under `kept_as`, or else on the challenge's own canvas.
#[component]
pub fn ChallengeBoard(
    /// The challenge.
    play: Play,
    /// Where the attempt is kept (see `keep`).
    kept_as: String,
) -> impl IntoView {
    let initial = keep::load(&kept_as).unwrap_or_else(|| play.initial.clone());
    let editor = RwSignal::new(Playground::new(initial.clone()));
    let locked = play.challenge.locked.clone();
    view! {
        <div class="challenge-layout">
            <div class="challenge-canvas">
                <PlaygroundView initial editor locked />
            </div>
            <ChallengePanel play editor kept_as />
        </div>
    }
}

/// The docked panel: story, goal, the buttons and the last check's results.
#[component]
fn ChallengePanel(
    /// The challenge being played.
    play: Play,
    /// The playground's editor, which Check reads and Show solution and Reset replace.
    editor: RwSignal<Playground>,
    /// Where the attempt is kept.
    kept_as: String,
) -> impl IntoView {
    let play = StoredValue::new(play);
    let (id, is_course, has_solution) = play.with_value(|p| (p.id.clone(), p.is_course(), p.solution.is_some()));
    let solved = RwSignal::new(is_course && progress::stored_solved(&id));
    let origin = RwSignal::new(Origin::Start);
    let verdict = RwSignal::new(None::<Result<(Verdict, Outcome, Persistence), String>>);
    let hints = RwSignal::new(Hints::new(play.with_value(|p| p.challenge.hints.len())));

    // A result describes the canvas it was checked on; any change to the
    // canvas makes it stale, so it goes.
    let topology = Memo::new(move |_| editor.with(|e| e.topology.clone()));
    let attempt_link = RwSignal::new(None::<Result<String, String>>);
    let kept = StoredValue::new(kept_as);
    Effect::new(move |first: Option<()>| {
        // Reading the memo (not only tracking it) makes it compute, and so
        // subscribe to the editor.
        topology.with(|_| ());
        if first.is_some() {
            verdict.set(None);
            attempt_link.set(None);
            // The learner's own work is kept; a shown solution is not theirs.
            if origin.get_untracked() == Origin::Start {
                kept.with_value(|k| topology.with_untracked(|t| keep::save(k, t)));
            }
        }
    });

    let check = move |_| {
        let canvas = editor.with_untracked(|e| e.topology.clone());
        let result = play.with_value(|p| p.check(&canvas)).map(|v| {
            let outcome = Play::outcome(&v, origin.get_untracked());
            let kept = if outcome == Outcome::Solved && is_course {
                solved.set(true);
                play.with_value(|p| progress::record_solved(&p.id))
            } else {
                Persistence::Kept
            };
            (v, outcome, kept)
        });
        verdict.set(Some(result));
    };
    let load = move |to: Origin| {
        let canvas = play.with_value(|p| if to == Origin::Start { Some(p.start.clone()) } else { p.solution.clone() });
        let Some(canvas) = canvas else { return };
        if to == Origin::Start {
            kept.with_value(|k| keep::forget(k));
        }
        origin.set(to);
        editor.update(|e| e.replace(canvas));
        verdict.set(None);
    };
    let share_attempt = move |_| {
        let canvas = editor.with_untracked(|e| e.topology.clone());
        attempt_link.set(Some(play.with_value(|p| p.attempt_link(&canvas)).map(|f| keep::absolute(&f))));
    };

    let (title, level, story, goal) = play.with_value(|p| {
        let c = &p.challenge;
        let level = if p.is_course() {
            format!("Level {}", c.level.max(1))
        } else {
            "A challenge made on the playground".to_owned()
        };
        (c.title.clone(), level, c.story.clone(), c.goal.clone())
    });
    let hint_list = move || {
        let shown = hints.get().shown;
        play.with_value(|p| {
            p.challenge.hints.iter().take(shown).map(|h| view! { <li><Words text=h.clone() /></li> }).collect_view()
        })
    };
    let results = move || {
        verdict.get().map(|result| match result {
            Err(e) => view! { <p class="error" role="alert">{e}</p> }.into_any(),
            Ok((v, outcome, kept)) => {
                let passed = v.results.iter().filter(|r| r.passed).count();
                let summary = match outcome {
                    Outcome::Solved if kept == Persistence::Kept => "Solved! Every check passes.".to_owned(),
                    Outcome::Solved => {
                        "Solved! Every check passes. This browser will not keep it after this visit.".to_owned()
                    }
                    Outcome::PassedOnSolution => "Every check passes on the reference solution. That is not recorded as solved: press Reset and build it yourself.".to_owned(),
                    Outcome::NotYet => format!("Not solved yet: {passed} of {} checks pass.", v.results.len()),
                };
                let items = v
                    .results
                    .into_iter()
                    .map(|r| {
                        let mark = if r.passed { "Passed" } else { "Failed" };
                        view! {
                            <li class:passed=r.passed class:failed=!r.passed>
                                <span class="challenge-mark">{mark}</span>
                                ": " {r.probe} ": " <Words text=r.check />
                                {r.reason.map(|why| view! { <p class="challenge-reason"><Words text=why /></p> })}
                            </li>
                        }
                    })
                    .collect_view();
                view! {
                    <p role="status" class="challenge-summary">{summary}</p>
                    <ul class="challenge-results" aria-label="Check results">{items}</ul>
                }
                .into_any()
            }
        })
    };

    view! {
        <aside class="challenge-panel" aria-labelledby="challenge-panel-heading">
            <h2 id="challenge-panel-heading">"Challenge"</h2>
            <p class="challenge-title"><strong><Words text=title /></strong></p>
            <p class="challenge-level">
                {level}
                <Show when=move || solved.get()>
                    <span class="challenge-solved">" \u{2713} Solved"</span>
                </Show>
            </p>
            <p class="challenge-story"><Words text=story /></p>
            <p class="challenge-goal"><strong>"Goal: "</strong><Words text=goal /></p>
            <div class="challenge-actions">
                <button type="button" class="primary" on:click=check>"Check"</button>
                <button
                    type="button"
                    disabled=move || hints.get().all_shown()
                    on:click=move |_| {
                        hints.update(|h| {
                            h.reveal();
                        })
                    }
                >
                    "Show a hint"
                </button>
                {has_solution.then(|| view! {
                    <button type="button" on:click=move |_| load(Origin::Solution)>"Show solution"</button>
                })}
                <button type="button" on:click=move |_| load(Origin::Start)>"Reset"</button>
                <button type="button" on:click=share_attempt>"Link with my attempt"</button>
            </div>
            {move || attempt_link.get().map(|made| match made {
                Ok(url) => view! {
                    <div class="challenge-link">
                        <label>"Link with your attempt "
                            <input type="text" readonly prop:value=url.clone()
                                on:focus=move |ev| { event_target::<web_sys::HtmlInputElement>(&ev).select(); } />
                        </label>
                        <p class="challenge-link-note">"Whoever opens it gets this challenge with your canvas, to check or to help. "
                            <a href=url target="_blank" rel="noopener">"Open it"</a></p>
                    </div>
                }.into_any(),
                Err(e) => view! { <p class="error" role="alert">{e}</p> }.into_any(),
            })}
            <Show when=move || origin.get() == Origin::Solution>
                <p class="notice" role="status">
                    "The canvas shows the reference solution: run it and study it. Reset brings your start back."
                </p>
            </Show>
            <Show when=move || { hints.get().shown > 0 }>
                <h3>{move || { let h = hints.get(); format!("Hints ({} of {})", h.shown, h.total) }}</h3>
                <ol class="challenge-hints" aria-label="Hints">{hint_list}</ol>
            </Show>
            {results}
        </aside>
    }
}
