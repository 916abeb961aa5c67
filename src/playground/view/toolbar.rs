//! The toolbar above the canvas: a new canvas or a starter; play,
//! pause, step and reset the run at a chosen speed; undo and redo; zoom and
//! reset the view; the RabbitMQ release the canvas runs as; share, import
//! and export; and the timeline a learner scrubs back through.

use super::Ctx;
use super::designs_panel::MyDesigns;
use super::starters::Starters;
use crate::playground::model::{Topology, Word};
use crate::playground::share;
use crate::playground::sim::{Action, STEP_MS};
use brokerlab_scenario::RabbitVersion;
use leptos::prelude::*;

/// Speeds offered, as multiples of real time; 0 runs as fast as the engines go.
const SPEEDS: [(&str, f64); 7] = [
    ("0.1\u{d7}", 0.1),
    ("0.25\u{d7}", 0.25),
    ("1\u{d7}", 1.0),
    ("4\u{d7}", 4.0),
    ("20\u{d7}", 20.0),
    ("100\u{d7}", 100.0),
    ("Fastest", 0.0),
];

/// Run controls, history, view, sharing and the timeline.
#[component]
pub(super) fn Toolbar(
    /// The playground's shared signals.
    ctx: Ctx,
) -> impl IntoView {
    let share_link = RwSignal::new(String::new());
    let starters_open = RwSignal::new(false);
    let designs_open = RwSignal::new(false);
    let tick = move || {
        ctx.frame.track();
        ctx.sim.with_value(|s| s.tick())
    };
    let share = move |_| {
        let topology = ctx.editor.with_untracked(|e| e.topology.clone());
        let base = window().location().href().unwrap_or_default();
        let base = base.split('#').next().unwrap_or_default().to_string();
        let link = match share::link_fragment(&topology) {
            Ok(fragment) => format!("{base}{fragment}"),
            Err(e) => {
                share_link.set(String::new());
                ctx.notice.set(e);
                return;
            }
        };
        share_link.set(link.clone());
        let clipboard = window().navigator().clipboard();
        leptos::task::spawn_local(async move {
            let _ = wasm_bindgen_futures::JsFuture::from(clipboard.write_text(&link)).await;
        });
        let run = ctx.sim.with_value(crate::playground::share::run_not_carried);
        ctx.notice.set(format!("Link copied. Anyone who opens it gets this playground.{run}"));
    };
    view! {
        // A group of labelled groups, each control a Tab stop: a toolbar
        // role would promise arrow keys between controls, which its slider
        // and selects use for their own values.
        <div class="pg-toolbar" role="group" aria-label="Playground controls">
            <div class="pg-tool-group" role="group" aria-label="Run">
                <button type="button" aria-pressed=move || ctx.playing.get().to_string()
                    on:click=move |_| { ctx.playing.update(|p| *p = !*p); ctx.bump(); }>
                    {move || if ctx.playing.get() { "Pause" } else { "Play" }}
                </button>
                <button type="button" on:click=move |_| {
                    ctx.playing.set(false);
                    ctx.step(1);
                    ctx.bump();
                }>"Step"</button>
                <label>"Speed "
                    <select on:change=move |ev| ctx.speed.set(event_target_value(&ev).parse().unwrap_or(1.0))>
                        {SPEEDS.iter().map(|(label, v)| view! {
                            <option value=v.to_string() selected=*v == 1.0>{*label}</option>
                        }).collect_view()}
                    </select>
                </label>
                <button type="button" on:click=move |_| { ctx.playing.set(false); ctx.reset_run(); }>"Reset run"</button>
                <button type="button" on:click=move |_| ctx.act(Action::RestartRabbit)>"Restart RabbitMQ"</button>
            </div>
            <output class="pg-processed" aria-label="Messages processed" aria-live="off">
                {move || { ctx.frame.track(); format!("{} processed", ctx.sim.with_value(|s| s.processed())) }}
            </output>
            <div class="pg-tool-group pg-timeline" role="group" aria-label="Time">
                <label for="pg-timeline">"Timeline"</label>
                <input id="pg-timeline" type="range" min="0" max=move || { ctx.frame.track(); ctx.horizon.get().to_string() }
                    prop:value=move || tick().to_string()
                    aria-valuetext=move || seconds(tick())
                    on:input=move |ev| ctx.scrub(event_target_value(&ev).parse().unwrap_or(0)) />
                <output for="pg-timeline" aria-live="off">{move || seconds(tick())}</output>
            </div>
            <div class="pg-tool-group" role="group" aria-label="Broker">
                <label for="pg-release">"RabbitMQ release"</label>
                <select id="pg-release" on:change=move |ev| {
                    if let Some(v) = RabbitVersion::from_word(&event_target_value(&ev)) {
                        ctx.editor.update(|e| e.set_rabbitmq_version(v));
                    }
                }>
                    {RabbitVersion::ALL.iter().map(|&v| view! {
                        <option value=v.word() prop:selected=move || ctx.editor.with(|e| e.topology.rabbitmq_version == v)>{v.label()}</option>
                    }).collect_view()}
                </select>
                <Show when=move || ctx.editor.with(|e| crate::playground::sim::uses_kafka(&e.topology))>
                    <button type="button" title="Kafka: give each partition back to its preferred replica where it is in sync"
                        on:click=move |_| ctx.act(Action::ElectPreferredLeaders)>"Elect preferred leaders"</button>
                </Show>
            </div>
            <div class="pg-tool-group" role="group" aria-label="Edit">
                <button type="button" disabled=move || !ctx.editor.with(|e| e.can_undo())
                    aria-keyshortcuts="Control+Z" on:click=move |_| { ctx.undo(); }>"Undo"</button>
                <button type="button" disabled=move || !ctx.editor.with(|e| e.can_redo())
                    aria-keyshortcuts="Control+Y" on:click=move |_| { ctx.redo(); }>"Redo"</button>
                <button type="button" aria-label="Zoom in" on:click=move |_| ctx.pan.update(|p| p.2 = (p.2 * 1.25).min(3.0))>"+"</button>
                <button type="button" aria-label="Zoom out" on:click=move |_| ctx.pan.update(|p| p.2 = (p.2 / 1.25).max(0.3))>"\u{2212}"</button>
                <button type="button" on:click=move |_| ctx.fit_view()>"Reset view"</button>
                <button type="button" title="Lay the parts out left to right in the order messages flow, with none over another"
                    disabled=move || ctx.editor.with(|e| e.topology.nodes.is_empty()) on:click=move |_| ctx.tidy()>"Tidy up"</button>
                <button type="button" aria-expanded=move || starters_open.get().to_string()
                    on:click=move |_| { designs_open.set(false); starters_open.update(|o| *o = !*o); }>"Starters"</button>
                <button type="button" aria-expanded=move || designs_open.get().to_string()
                    on:click=move |_| { starters_open.set(false); designs_open.update(|o| *o = !*o); }>"My designs"</button>
                <button type="button" disabled=move || ctx.editor.with(|e| e.topology.nodes.is_empty()) on:click=move |_| {
                    ctx.editor.update(|e| e.replace(Topology::default()));
                    ctx.notice.set("A new, empty playground. Undo brings the last one back.".into());
                }>"New"</button>
            </div>
            <div class="pg-tool-group" role="group" aria-label="Share">
                <button type="button" on:click=share>"Share"</button>
                <button type="button" on:click=move |_| {
                    match ctx.editor.with_untracked(|e| share::to_json(&e.topology)) {
                        Ok(json) => {
                            if let Err(e) = crate::files::download("playground.json", "application/json", &json) {
                                ctx.notice.set(format!("The file could not be saved: {e}."));
                            }
                        }
                        Err(e) => ctx.notice.set(e),
                    }
                }>"Export"</button>
                <label class="pg-file">"Import"
                    <input type="file" accept=".json,application/json" on:change=move |ev| {
                        let input: web_sys::HtmlInputElement = event_target(&ev);
                        let Some(file) = input.files().and_then(|f| f.get(0)) else { return };
                        leptos::task::spawn_local(async move {
                            let text = wasm_bindgen_futures::JsFuture::from(file.text()).await;
                            match text.ok().and_then(|t| t.as_string()).map(|t| share::from_json(&t)) {
                                Some(Ok(topology)) => {
                                    ctx.editor.update(|e| e.replace(topology));
                                    ctx.fit_view();
                                    ctx.notice.set("Imported.".into());
                                }
                                Some(Err(e)) => ctx.notice.set(e),
                                None => ctx.notice.set("The file could not be read.".into()),
                            }
                        });
                    } />
                </label>
            </div>
            <Show when=move || !share_link.get().is_empty()>
                <label class="pg-share">"Share link "
                    <input type="text" readonly prop:value=move || share_link.get() />
                </label>
            </Show>
            <p class="pg-notice" role="status">{move || ctx.notice.get()}</p>
            <Starters ctx open=starters_open />
            {ctx.kept.is_some().then(|| view! { <MyDesigns ctx open=designs_open /> })}
        </div>
    }
}

/// The run time at step `tick`, as the timeline shows and speaks it.
fn seconds(tick: u64) -> String {
    format!("{:.1} s", tick as f64 * STEP_MS as f64 / 1000.0)
}
