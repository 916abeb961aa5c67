//! The selected message's panel: its path on the canvas (drawn there too),
//! its history and the engine's explanation of every routing decision.

use super::Ctx;
use leptos::prelude::*;

/// The selected message: its history and the engine's explanation.
#[component]
pub(super) fn MessagePanel(
    /// The playground's shared signals.
    ctx: Ctx,
) -> impl IntoView {
    let explanation = Memo::new(move |_| {
        ctx.frame.track();
        let m = ctx.message.get()?;
        ctx.sim.with_value(|s| s.explain(&m))
    });
    // A message opened from the keyboard takes the focus to its
    // explanation, so a keyboard or screen-reader user is where the answer
    // is; one opened with the pointer leaves the page where it is.
    let panel = NodeRef::<leptos::html::Section>::new();
    Effect::new(move |first: Option<()>| {
        let opened = ctx.message.with(Option::is_some);
        let from_keyboard = document().active_element().is_some_and(|el| el.matches(":focus-visible").unwrap_or(false));
        if first.is_some()
            && opened
            && from_keyboard
            && let Some(el) = panel.get_untracked()
        {
            let _ = el.focus();
        }
    });
    view! {
        <section class="pg-message" aria-label="Message details" tabindex="0" node_ref=panel>
            <h2>"Message"</h2>
            {move || match explanation.get() {
                None => view! { <p class="pg-hint">"Click a message in a queue or a record in a partition to see its history and why it went where it did."</p> }.into_any(),
                Some(e) => view! {
                    <h3>{e.title}</h3>
                    <ul>{e.facts.into_iter().map(|f| view! { <li>{f}</li> }).collect_view()}</ul>
                    <h4>"Path on the canvas"</h4>
                    {if e.path.is_empty() {
                        view! { <p class="pg-hint">"No path on the canvas is recorded for it: a send not yet written has gone nowhere, and at the fastest speed the run keeps no detail."</p> }.into_any()
                    } else {
                        view! { <ol class="pg-path" aria-label="Path on the canvas">{e.path.into_iter().map(|h| view! { <li>{h}</li> }).collect_view()}</ol> }.into_any()
                    }}
                    <h4>"Decisions"</h4>
                    <ul class="pg-decisions">{e.decisions.into_iter().map(|(ok, d)| view! {
                        <li class:matched=ok>{if ok { "\u{2713} " } else { "\u{2717} " }}{d}</li>
                    }).collect_view()}</ul>
                    <h4>"History"</h4>
                    <ol>{e.history.into_iter().map(|h| view! { <li>{h}</li> }).collect_view()}</ol>
                }.into_any(),
            }}
        </section>
    }
}
