//! "My designs": the learner's named canvases, kept in this browser; the
//! open one renamed, the canvas saved as a new design, another opened or
//! deleted.

use super::Ctx;
use crate::playground::designs::{self, Designs};
use crate::playground::model::Playground;
use leptos::prelude::*;

/// The designs panel, shown while `open`.
#[component]
pub(super) fn MyDesigns(
    /// The playground's shared signals.
    ctx: Ctx,
    /// Whether the panel is shown; the toolbar's "My designs" button toggles it.
    open: RwSignal<bool>,
) -> impl IntoView {
    let all = RwSignal::new(Designs::default());
    let error = RwSignal::new(String::new());
    // Read afresh each time the panel opens: the canvas keeps itself as it
    // changes.
    Effect::new(move |_| {
        if open.get() {
            ctx.keep();
            all.set(designs::load());
            error.set(String::new());
        }
    });
    let change = move |go: &dyn Fn(&mut Designs) -> Result<(), String>| {
        let mut next = all.get_untracked();
        match go(&mut next).and_then(|()| designs::store(&next)) {
            Ok(()) => {
                all.set(next);
                error.set(String::new());
            }
            Err(e) => error.set(e),
        }
    };
    let open_design = move |id: u64| {
        let mut next = all.get_untracked();
        match next.open(id).and_then(|t| designs::store(&next).map(|()| t)) {
            Ok(topology) => {
                let name = next.open_design().map(|d| d.name.clone()).unwrap_or_default();
                ctx.playing.set(false);
                ctx.mark_kept(&topology);
                ctx.editor.set(Playground::new(topology));
                ctx.fit_view();
                all.set(next);
                open.set(false);
                ctx.notice.set(format!("Opened your design \u{201c}{name}\u{201d}."));
            }
            Err(e) => error.set(e),
        }
    };
    let new_name = RwSignal::new(String::new());
    let save_as = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Ok(json) = ctx.editor.with_untracked(|e| crate::playground::share::to_json(&e.topology)) else {
            error.set("This canvas cannot be saved until its problems are fixed.".into());
            return;
        };
        let name = new_name.get_untracked();
        change(&|d| {
            d.add(&name, json.clone());
            Ok(())
        });
        new_name.set(String::new());
        ctx.mark_kept(&ctx.editor.with_untracked(|e| e.topology.clone()));
        if let Some(d) = all.with_untracked(|d| d.open_design().map(|d| d.name.clone())) {
            ctx.notice.set(format!("Saved as \u{201c}{d}\u{201d}, now the open design."));
        }
    };
    let rows = move || {
        let d = all.get();
        d.list
            .iter()
            .map(|design| {
                let id = design.id;
                let name = design.name.clone();
                let is_open = d.open == Some(id);
                let parts = design.topology().map_or(0, |t| t.nodes.len());
                let what = format!("{parts} part{}{}", if parts == 1 { "" } else { "s" }, if is_open { ", open now" } else { "" });
                view! {
                    <li class="pg-design" class:open=is_open>
                        {if is_open {
                            view! {
                                <label class="pg-field"><span>"Name of the open design"</span>
                                    <input type="text" prop:value=name.clone() on:change=move |ev| {
                                        let name = event_target_value(&ev);
                                        change(&|d| d.rename(id, &name));
                                    } />
                                </label>
                            }.into_any()
                        } else {
                            view! { <span class="pg-design-name">{name.clone()}</span> }.into_any()
                        }}
                        " "<span class="pg-hint">{what}</span>
                        {(!is_open).then(|| view! {
                            <button type="button" aria-label=format!("Open {name}") on:click=move |_| open_design(id)>"Open"</button>
                            <button type="button" aria-label=format!("Delete {name}") on:click=move |_| change(&|d| d.delete(id))>"Delete"</button>
                        })}
                    </li>
                }
            })
            .collect_view()
    };
    view! {
        <Show when=move || open.get()>
            <section class="pg-designs" aria-label="My designs"
                on:keydown=move |ev| {
                    if ev.key() == "Escape" {
                        ev.prevent_default();
                        open.set(false);
                    }
                }>
                <h2>"My designs"</h2>
                <p class="pg-hint">"Kept in this browser. The open design keeps every change; a shared link opens as a new design once you change it."</p>
                <ul class="pg-design-list">{rows}</ul>
                <form class="pg-design-save" on:submit=save_as>
                    <label class="pg-field"><span>"New design's name"</span>
                        <input type="text" prop:value=move || new_name.get() on:input=move |ev| new_name.set(event_target_value(&ev)) />
                    </label>
                    <button type="submit">"Save this canvas as a new design"</button>
                </form>
                <p class="pg-error" role="alert">{move || error.get()}</p>
            </section>
        </Show>
    }
}
