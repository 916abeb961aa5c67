//! The metrics panel: what the selected queue, topic or consumer group
//! measured over the last minute of the run, each measure with its value
//! now, a small time series and its range, and how each changed since the
//! latest crash or restart. It follows the timeline: scrubbing back shows
//! the past.

use super::Ctx;
use crate::playground::metrics::{KEPT, Mark, Series, deltas, number};
use crate::playground::model::Selection;
use crate::playground::sim::STEP_MS;
use leptos::prelude::*;

/// The sparkline's size in CSS pixels.
const W: f64 = 160.0;
const H: f64 = 28.0;

/// What the panel shows of a part.
#[derive(Clone, Debug, PartialEq)]
struct Shown {
    title: String,
    series: Vec<Series>,
    /// The latest crash or restart in the window, with what changed since.
    since: Option<(Mark, Vec<String>)>,
    tick: u64,
}

/// The metrics of the selected part.
#[component]
pub(super) fn MetricsPanel(
    /// The playground's shared signals.
    ctx: Ctx,
) -> impl IntoView {
    let shown = Memo::new(move |_| {
        ctx.frame.track();
        let Selection::Node(id) = ctx.editor.with(|e| e.selection) else { return None };
        let title = ctx.editor.with(|e| e.topology.node(id).map(|n| n.title()))?;
        ctx.sim.with_value(|s| {
            let series = s.metrics().of(id).to_vec();
            let first = series.first()?.points.front()?.0;
            let since = s.metrics().marks().iter().rev().find(|m| m.tick >= first && m.tick <= s.tick()).map(|m| {
                let changes = deltas(&series, m);
                (m.clone(), changes)
            });
            Some(Shown { title, series, since, tick: s.tick() })
        })
    });
    view! {
        <section class="pg-metrics" aria-label="Metrics">
            <h2>"Metrics"</h2>
            {move || match shown.get() {
                None => view! {
                    <p class="pg-hint">"Select a queue, a topic or a consumer group to see what it measured over the last minute of the run."</p>
                }.into_any(),
                Some(s) => {
                    let rows = s.series.iter().map(|series| row(series, s.tick)).collect_view();
                    let since = s.since.map(|(mark, changes)| {
                        let at = seconds(mark.tick);
                        let label = format!("Changes since {} at {at}", mark.text);
                        view! {
                            <h4>{format!("Since {} at {at}", mark.text)}</h4>
                            {if changes.is_empty() {
                                view! { <p>"Nothing it measures has changed."</p> }.into_any()
                            } else {
                                view! { <ul aria-label=label>{changes.into_iter().map(|c| view! { <li>{c}</li> }).collect_view()}</ul> }.into_any()
                            }}
                        }
                    });
                    view! {
                        <h3>{s.title.clone()}</h3>
                        <table class="pg-metric-table" aria-label=format!("Metrics of {}", s.title)>
                            <thead><tr><th scope="col">"Measure"</th><th scope="col">"Now"</th><th scope="col">"Over the last minute"</th></tr></thead>
                            <tbody>{rows}</tbody>
                        </table>
                        {since}
                    }.into_any()
                }
            }}
        </section>
    }
}

/// One measure: its name, its value now, and its series drawn over the
/// window that ends at step `tick`, with its range in words.
fn row(series: &Series, tick: u64) -> impl IntoView {
    let now = series.now().map(number).unwrap_or_default();
    let (lo, hi) =
        series.points.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), p| (lo.min(p.1), hi.max(p.1)));
    let start = tick.saturating_sub(KEPT as u64 - 1);
    let span = (hi - lo).max(f64::EPSILON);
    let points: Vec<String> = series
        .points
        .iter()
        .map(|&(t, v)| {
            let x = (t.saturating_sub(start)) as f64 / (KEPT as f64 - 1.0) * W;
            let y = if hi > lo { H - 2.0 - (v - lo) / span * (H - 4.0) } else { H / 2.0 };
            format!("{x:.1},{y:.1}")
        })
        .collect();
    let range =
        if hi > lo { format!("from {} to {}", number(lo), number(hi)) } else { format!("steady at {}", number(hi)) };
    view! {
        <tr>
            <th scope="row">{series.name.clone()}</th>
            <td>{now}</td>
            <td>
                <svg class="pg-spark" width=W height=H viewBox=format!("0 0 {W} {H}") aria-hidden="true">
                    <polyline points=points.join(" ") />
                </svg>
                " "<span class="pg-hint">{range}</span>
            </td>
        </tr>
    }
}

/// Step `tick` as the timeline shows it.
fn seconds(tick: u64) -> String {
    format!("{:.1} s", tick as f64 * STEP_MS as f64 / 1000.0)
}
