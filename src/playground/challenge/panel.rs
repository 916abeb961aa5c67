//! The challenge page's parts: [`ChallengePlay`] lays the playground beside
//! a docked panel with the challenge's story and goal, the Check, hint,
//! solution and reset buttons, and the results of the last check. The rules
//! live in the parent module; this only wires signals to them and draws.

use super::{Hints, Origin, Outcome, Play, code_spans};
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
    let editor = RwSignal::new(Playground::new(play.start.clone()));
    let locked = play.challenge.locked.clone();
    let initial = play.start.clone();
    view! {
        <div class="challenge-layout">
            <div class="challenge-canvas">
                <PlaygroundView initial editor locked />
            </div>
            <ChallengePanel play editor />
        </div>
    }
    .into_any()
}

/// The docked panel: story, goal, the buttons and the last check's results.
#[component]
fn ChallengePanel(
    /// The challenge being played.
    play: Play,
    /// The playground's editor, which Check reads and Show solution and Reset replace.
    editor: RwSignal<Playground>,
) -> impl IntoView {
    let play = StoredValue::new(play);
    let id = play.with_value(|p| p.id.clone());
    let solved = RwSignal::new(progress::stored_solved(&id));
    let origin = RwSignal::new(Origin::Start);
    let verdict = RwSignal::new(None::<Result<(Verdict, Outcome, Persistence), String>>);
    let hints = RwSignal::new(Hints::new(play.with_value(|p| p.challenge.hints.len())));

    // A result describes the canvas it was checked on; any change to the
    // canvas makes it stale, so it goes.
    let topology = Memo::new(move |_| editor.with(|e| e.topology.clone()));
    Effect::new(move |first: Option<()>| {
        topology.track();
        if first.is_some() {
            verdict.set(None);
        }
    });

    let check = move |_| {
        let canvas = editor.with_untracked(|e| e.topology.clone());
        let result = play.with_value(|p| p.check(&canvas)).map(|v| {
            let outcome = Play::outcome(&v, origin.get_untracked());
            let kept = if outcome == Outcome::Solved {
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
        let canvas = play.with_value(|p| if to == Origin::Start { p.start.clone() } else { p.solution.clone() });
        editor.update(|e| e.replace(canvas));
        origin.set(to);
        verdict.set(None);
    };

    let (level, story, goal) = play.with_value(|p| {
        let c = &p.challenge;
        (format!("Level {}", c.level.max(1)), c.story.clone(), c.goal.clone())
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
                <button type="button" on:click=move |_| load(Origin::Solution)>"Show solution"</button>
                <button type="button" on:click=move |_| load(Origin::Start)>"Reset"</button>
            </div>
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
