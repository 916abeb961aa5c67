//! The palette of parts a learner adds (click for a free spot, or drag onto
//! the canvas), and the form that connects two nodes without a pointer.

use super::{Ctx, Drag};
use crate::playground::model::{NodeId, NodeKind, Selection};
use brokerlab_rabbit::ExchangeKind;
use leptos::prelude::*;

/// What a palette button adds.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) enum Add {
    Node(NodeKind),
    Exchange(ExchangeKind),
    /// A queue of type `stream`.
    Stream,
}

const PALETTE: [(Add, &str); 12] = [
    (Add::Node(NodeKind::Producer), "Producer"),
    (Add::Exchange(ExchangeKind::Direct), "Direct exchange"),
    (Add::Exchange(ExchangeKind::Fanout), "Fanout exchange"),
    (Add::Exchange(ExchangeKind::Topic), "Topic exchange"),
    (Add::Exchange(ExchangeKind::Headers), "Headers exchange"),
    (Add::Node(NodeKind::Queue), "Queue"),
    (Add::Stream, "Stream"),
    (Add::Node(NodeKind::Consumer), "Consumer"),
    (Add::Node(NodeKind::Broker), "Kafka broker"),
    (Add::Node(NodeKind::Topic), "Topic"),
    (Add::Node(NodeKind::Group), "Consumer group"),
    (Add::Node(NodeKind::ShareGroup), "Share group"),
];

/// The parts that can be added, as buttons: click to add at a free spot, or
/// drag onto the canvas.
#[component]
pub(super) fn Palette(
    /// The playground's shared signals.
    ctx: Ctx,
) -> impl IntoView {
    view! {
        <div class="pg-palette" role="group" aria-label="Parts">
            <h2>"Parts"</h2>
            {PALETTE.iter().map(|&(add, label)| view! {
                <button type="button" class="pg-part" data-kind=label
                    on:pointerdown=move |ev| ctx.pointer_down(&ev, Drag::Palette {
                        add, sx: ev.client_x().into(), sy: ev.client_y().into(), moved: false,
                    })
                    on:pointermove=move |ev| ctx.pointer_move(&ev)
                    on:pointerup=move |ev| ctx.pointer_up(&ev)
                    on:click=move |_| if !ctx.take_suppressed_click() { ctx.add(add, None) }>
                    {label}
                </button>
            }).collect_view()}
            <h2>"Connect"</h2>
            <ConnectForm ctx />
        </div>
    }
}

/// Connecting without a pointer: pick a source and a target.
#[component]
fn ConnectForm(
    /// The playground's shared signals.
    ctx: Ctx,
) -> impl IntoView {
    let options = move |chosen: RwSignal<Option<NodeId>>| {
        ctx.editor.with(|e| {
            e.topology
                .nodes
                .iter()
                .map(|n| {
                    let id = n.id;
                    view! { <option value=id.to_string() selected=move || chosen.get() == Some(id)>{n.title()}</option> }
                })
                .collect_view()
        })
    };
    let parse = |ev: &leptos::ev::Event| event_target_value(ev).parse::<NodeId>().ok();
    view! {
        <div class="pg-connect-form">
            <label for="pg-connect-from">"Connect from"</label>
            <select id="pg-connect-from" on:change=move |ev| ctx.connect_from.set(parse(&ev))>
                <option value="" selected=move || ctx.connect_from.get().is_none()>"Choose\u{2026}"</option>
                {move || options(ctx.connect_from)}
            </select>
            <label for="pg-connect-to">"Connect to"</label>
            <select id="pg-connect-to" on:change=move |ev| ctx.connect_to.set(parse(&ev))>
                <option value="" selected=move || ctx.connect_to.get().is_none()>"Choose\u{2026}"</option>
                {move || options(ctx.connect_to)}
            </select>
            <button type="button" aria-keyshortcuts="C" on:click=move |_| {
                let from = ctx.connect_from.get_untracked().or(match ctx.editor.with_untracked(|e| e.selection) {
                    Selection::Node(id) => Some(id),
                    _ => None,
                });
                match (from, ctx.connect_to.get_untracked()) {
                    (Some(a), Some(b)) => {
                        ctx.connect(a, b);
                        ctx.connect_to.set(None);
                    }
                    _ => ctx.notice.set("Choose what to connect from and to.".into()),
                }
            }>"Connect"</button>
        </div>
    }
}
