//! The gallery of starters: each says what it shows and what to try, opens
//! as it is or as a running demo, and asks before it replaces a canvas the
//! learner has worked on.

use super::Ctx;
use crate::playground::model::Topology;
use crate::playground::scenario::{Starter, demo, preset, starters};
use leptos::prelude::*;

/// The starters panel, shown while `open`.
#[component]
pub(super) fn Starters(
    /// The playground's shared signals.
    ctx: Ctx,
    /// Whether the panel is shown; the toolbar's "Starters" button toggles it.
    open: RwSignal<bool>,
) -> impl IntoView {
    let all = StoredValue::new(starters());
    // The canvas as the last starter left it: replacing that loses nothing,
    // so it asks nothing.
    let loaded = StoredValue::new(None::<Topology>);
    // The starter waiting for the learner's answer, and whether as a demo.
    let asking = RwSignal::new(None::<(Starter, bool)>);
    let replace_button = NodeRef::<leptos::html::Button>::new();
    let load = move |starter: &Starter, run: bool| {
        let topology = if run { demo(&starter.id) } else { preset(&starter.id) };
        let Some(topology) = topology else { return };
        ctx.playing.set(false);
        ctx.editor.update(|e| e.replace(topology));
        loaded.set_value(Some(ctx.editor.with_untracked(|e| e.topology.clone())));
        ctx.fit_view();
        asking.set(None);
        open.set(false);
        let how = if run { " and started it" } else { "" };
        ctx.notice.set(format!("Opened \u{201c}{}\u{201d}{how}. Undo brings the last canvas back.", starter.title));
        if run {
            ctx.playing.set(true);
        }
    };
    let choose = move |starter: Starter, run: bool| {
        let worked_on = ctx
            .editor
            .with_untracked(|e| !e.topology.nodes.is_empty() && loaded.with_value(|l| l.as_ref() != Some(&e.topology)));
        if worked_on {
            asking.set(Some((starter, run)));
        } else {
            load(&starter, run);
        }
    };
    Effect::new(move |_| {
        if asking.with(Option::is_some)
            && let Some(button) = replace_button.get()
        {
            let _ = button.focus();
        }
    });
    let confirm = move || {
        asking.get().map(|(starter, run)| {
            let parts = ctx.editor.with_untracked(|e| e.topology.nodes.len());
            let question = format!(
                "Replace the {parts} part{} on your canvas with \u{201c}{}\u{201d}? Undo brings yours back.",
                if parts == 1 { "" } else { "s" },
                starter.title
            );
            view! {
                <div class="pg-confirm" role="group" aria-label="Replace your canvas?">
                    <p>{question}</p>
                    <button type="button" node_ref=replace_button on:click=move |_| load(&starter, run)>"Replace my canvas"</button>
                    <button type="button" on:click=move |_| asking.set(None)>"Keep my canvas"</button>
                </div>
            }
        })
    };
    let cards = move || {
        all.get_value()
            .into_iter()
            .map(|s| {
                let (open_as_is, run_demo) = (s.clone(), s.clone());
                view! {
                    <li class="pg-starter">
                        <h3>{s.title.clone()}</h3>
                        <p>{s.shows.replace('`', "")}</p>
                        <p><strong>"Try: "</strong>{s.try_this}</p>
                        <div class="pg-starter-actions">
                            <button type="button" aria-label=format!("Open {}", s.title)
                                on:click=move |_| choose(open_as_is.clone(), false)>"Open"</button>
                            <button type="button" aria-label=format!("Run demo of {}", s.title)
                                on:click=move |_| choose(run_demo.clone(), true)>"Run demo"</button>
                        </div>
                    </li>
                }
            })
            .collect_view()
    };
    view! {
        <Show when=move || open.get()>
            <section class="pg-starters" aria-label="Starters"
                on:keydown=move |ev| {
                    if ev.key() == "Escape" {
                        ev.prevent_default();
                        asking.set(None);
                        open.set(false);
                    }
                }>
                <h2>"Starters"</h2>
                <p class="pg-hint">"Each opens a canvas that shows one idea. Run demo opens it with its producers sending, and plays."</p>
                {confirm}
                <ul class="pg-starter-list">{cards}</ul>
            </section>
        </Show>
    }
}
