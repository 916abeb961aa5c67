//! The "Make a challenge" panel docked beside the playground: the author's
//! choices as form fields bound to a [`Draft`], and the link it makes. The
//! rules (which checks a canvas offers, how the start is cut, when a
//! challenge is refused) are in `author`; this only wires and draws.

use std::collections::BTreeSet;

use leptos::prelude::*;

use super::author::{Draft, Made, Part, TestMessage, offers, targets};
use super::keep;
use crate::playground::model::Playground;
use crate::playground::scenario::node_key;

/// The panel; `editor` is the playground's, whose canvas is the answer.
#[component]
pub fn AuthorPanel(editor: RwSignal<Playground>) -> impl IntoView {
    let draft = RwSignal::new(Draft {
        messages: vec![TestMessage { target: 0, key: String::new(), body: "hello".into() }],
        hints: vec![String::new(); 3],
        leave_out_connections: true,
        ..Draft::default()
    });
    let made = RwSignal::new(None::<Result<Made, String>>);
    let canvas = Memo::new(move |_| editor.with(|e| e.topology.clone()));
    // Any change to the canvas or the choices makes the last link stale.
    Effect::new(move |first: Option<()>| {
        canvas.with(|_| ());
        draft.track();
        if first.is_some() {
            made.set(None);
        }
    });
    let make = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        made.set(Some(draft.with_untracked(|d| canvas.with_untracked(|c| d.build(c)))));
    };

    let text = move |label: &'static str, get: fn(&Draft) -> String, set: fn(&mut Draft, String)| {
        view! {
            <label class="author-field">{label}
                <input type="text" prop:value=move || draft.with(get)
                    on:input=move |ev| draft.update(|d| set(d, event_target_value(&ev))) />
            </label>
        }
    };
    let messages = move || {
        let all = canvas.with(targets);
        draft.with(|d| d.messages.clone()).into_iter().enumerate().map(|(n, m)| {
            let options = all
                .iter()
                .enumerate()
                .map(|(i, t)| view! { <option value=i.to_string() selected=i == m.target>{t.label.clone()}</option> })
                .collect_view();
            view! {
                <li class="author-message">
                    <label>{format!("Message {} goes to", n + 1)}
                        <select on:change=move |ev| {
                            let target = event_target_value(&ev).parse().unwrap_or(0);
                            draft.update(|d| if let Some(m) = d.messages.get_mut(n) { m.target = target });
                        }>{options}</select>
                    </label>
                    <label>{format!("Message {} key", n + 1)}
                        <input type="text" prop:value=m.key.clone() on:change=move |ev| {
                            let key = event_target_value(&ev);
                            draft.update(|d| if let Some(m) = d.messages.get_mut(n) { m.key = key });
                        } />
                    </label>
                    <label>{format!("Message {} body", n + 1)}
                        <input type="text" prop:value=m.body.clone() on:change=move |ev| {
                            let body = event_target_value(&ev);
                            draft.update(|d| if let Some(m) = d.messages.get_mut(n) { m.body = body });
                        } />
                    </label>
                    <button type="button" on:click=move |_| draft.update(|d| { if n < d.messages.len() { d.messages.remove(n); } })>
                        {format!("Remove message {}", n + 1)}
                    </button>
                </li>
            }
        }).collect_view()
    };
    let checks = move || {
        let picked: BTreeSet<String> = draft.with(|d| d.checks.clone());
        canvas
            .with(offers)
            .into_iter()
            .map(|o| {
                let key = o.key.clone();
                view! {
                    <label class="author-check">
                        <input type="checkbox" prop:checked=picked.contains(&o.key) on:change=move |ev| {
                            let on = event_target_checked(&ev);
                            let key = key.clone();
                            draft.update(|d| { if on { d.checks.insert(key); } else { d.checks.remove(&key); } });
                        } />
                        {o.label}
                    </label>
                }
            })
            .collect_view()
    };
    let parts = move || {
        canvas.with(|c| c.nodes.iter().map(|n| (node_key(c, n), n.title())).collect::<Vec<_>>()).into_iter().map(|(key, title)| {
            let role = draft.with(|d| d.parts.get(&key).copied().unwrap_or_default());
            let k = key.clone();
            view! {
                <label class="author-part">{title}
                    <select on:change=move |ev| {
                        let part = match event_target_value(&ev).as_str() { "locked" => Part::Locked, "out" => Part::LeftOut, _ => Part::Given };
                        let k = k.clone();
                        draft.update(|d| { d.parts.insert(k, part); });
                    }>
                        <option value="given" selected=role == Part::Given>"Given"</option>
                        <option value="locked" selected=role == Part::Locked>"Given and locked"</option>
                        <option value="out" selected=role == Part::LeftOut>"Left out"</option>
                    </select>
                </label>
            }
        }).collect_view()
    };
    let hints = move || {
        (0..3).map(|n| view! {
            <label class="author-field">{format!("Hint {}", n + 1)}
                <input type="text" prop:value=move || draft.with(|d| d.hints.get(n).cloned().unwrap_or_default())
                    on:input=move |ev| { let h = event_target_value(&ev); draft.update(|d| if let Some(slot) = d.hints.get_mut(n) { *slot = h }); } />
            </label>
        }).collect_view()
    };
    let result = move || {
        made.get().map(|m| match m {
            Ok(made) => {
                let url = keep::absolute(&made.link);
                let (failing, total) = made.start_fails;
                view! {
                <div class="challenge-link" role="status">
                    <p>{format!("Made. Your canvas passes all {total} checks; the start fails {failing} of them.")}</p>
                    <label>"Challenge link "
                        <input type="text" readonly prop:value=url.clone() />
                    </label>
                    <p class="challenge-link-note">"It opens the start and the goal, not your answer. "
                        <a href=url target="_blank" rel="noopener">"Open it"</a></p>
                </div>
            }.into_any()
            }
            Err(e) => view! { <p class="error" role="alert">{e}</p> }.into_any(),
        })
    };

    view! {
        <aside class="challenge-panel author-panel" aria-labelledby="author-panel-heading">
            <h2 id="author-panel-heading">"Make a challenge"</h2>
            <p class="challenge-story">"Build the answer on the canvas first. The check sends your test messages to the learner's canvas and compares what happens there with what happens on yours."</p>
            <form on:submit=make>
                {text("Title", |d| d.title.clone(), |d, v| d.title = v)}
                {text("Story", |d| d.story.clone(), |d, v| d.story = v)}
                {text("Goal", |d| d.goal.clone(), |d, v| d.goal = v)}
                <fieldset>
                    <legend>"Test messages"</legend>
                    <ol class="author-messages">{messages}</ol>
                    <button type="button" on:click=move |_| draft.update(|d| d.messages.push(TestMessage { target: 0, key: String::new(), body: "hello".into() }))>
                        "Add a test message"
                    </button>
                </fieldset>
                <fieldset>
                    <legend>"What to check"</legend>
                    {checks}
                </fieldset>
                <fieldset>
                    <legend>"What the learner starts with"</legend>
                    {parts}
                    <label class="author-check">
                        <input type="checkbox" prop:checked=move || draft.with(|d| d.leave_out_connections)
                            on:change=move |ev| { let on = event_target_checked(&ev); draft.update(|d| d.leave_out_connections = on); } />
                        "Leave out the connections"
                    </label>
                </fieldset>
                <fieldset>
                    <legend>"Hints, shown one at a time"</legend>
                    {hints}
                </fieldset>
                <div class="challenge-actions">
                    <button type="submit" class="primary">"Make the challenge link"</button>
                </div>
            </form>
            {result}
        </aside>
    }
}
