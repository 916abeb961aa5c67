//! The live, filterable event log: what the run reported, newest first.

use super::Ctx;
use leptos::prelude::*;

/// The live, filterable event log.
#[component]
pub(super) fn EventLog(
    /// The playground's shared signals.
    ctx: Ctx,
) -> impl IntoView {
    let filter = RwSignal::new(String::new());
    let lines = Memo::new(move |_| {
        ctx.frame.track();
        let f = filter.get().to_lowercase();
        ctx.sim.with_value(|s| {
            // Newest first, so the latest events are in view without scrolling.
            s.log()
                .rev()
                .filter(|l| {
                    f.is_empty() || l.text.to_lowercase().contains(&f) || l.source.label().to_lowercase().contains(&f)
                })
                .take(60)
                .map(|l| (l.seq, format!("{:.1} s", l.at_ms as f64 / 1000.0), l.source.label(), l.text.clone()))
                .collect::<Vec<_>>()
        })
    });
    view! {
        <section class="pg-log" aria-label="Event log">
            <h2>"Event log"</h2>
            <label class="pg-field"><span>"Filter events"</span>
                <input type="search" prop:value=move || filter.get() on:input=move |ev| filter.set(event_target_value(&ev)) />
            </label>
            <ol role="log" aria-live="polite" aria-label="Events">
                <For each=move || lines.get() key=|l| l.0 let:l>
                    <li><span class="pg-time">{l.1}</span>" "<span class="pg-source">{l.2}</span>" "{l.3}</li>
                </For>
            </ol>
        </section>
    }
}
