//! The canvas: node cards over an SVG layer that draws the edges and the
//! messages in flight along them, with the geometry both use (anchors and
//! curves) and the hit test for a message in flight.

use super::{Ctx, Drag, shift_into};
use crate::playground::model::route::{Route, routes};
use crate::playground::model::{
    DEFAULT_VHOST, Edge, EdgeId, EdgeRole, NODE_W, NodeConfig, NodeId, NodeKind, QueueType, Selection, Topology,
};
use crate::playground::sim::{Action, FLIGHT_MS, MessageRef};
use brokerlab_order::CollectOrdered;
use leptos::prelude::*;
use std::collections::BTreeMap;
use wasm_bindgen::JsCast;

/// Where the topology is drawn: nodes over an SVG layer of edges and
/// messages in flight; drag the background to pan.
#[component]
pub(super) fn Canvas(
    /// The playground's shared signals.
    ctx: Ctx,
) -> impl IntoView {
    let ids = move || ctx.editor.with(|e| e.topology.nodes.iter().map(|n| n.id).collect::<Vec<_>>());
    let transform = move || {
        let (x, y, z) = ctx.pan.get();
        format!("translate({x}px, {y}px) scale({z})")
    };
    view! {
        <div class="pg-canvas" node_ref=ctx.canvas role="region" aria-label="Canvas" tabindex="-1"
            aria-keyshortcuts="Delete Control+Z Control+Y ArrowLeft ArrowRight ArrowUp ArrowDown C"
            on:pointerdown=move |ev| {
                // The canvas's shortcuts follow the focus, so a press on the
                // canvas brings it there: a part's button takes it as any
                // button does, and a press elsewhere gives it to the canvas.
                let target = ev.target().and_then(|t| t.dyn_into::<web_sys::Element>().ok());
                let inside = |selector: &str| target.as_ref().is_some_and(|el| el.closest(selector).ok().flatten().is_some());
                if !inside("button, select, input") {
                    ctx.focus_canvas();
                }
                let on_background = target.is_some() && !inside("[data-node], .pg-edge");
                if on_background {
                    let (px, py, _) = ctx.pan.get_untracked();
                    ctx.pointer_down(&ev, Drag::Pan { sx: ev.client_x().into(), sy: ev.client_y().into(), px, py });
                    ctx.editor.update(|e| e.selection = Selection::None);
                }
            }
            on:pointermove=move |ev| ctx.pointer_move(&ev)
            on:pointerup=move |ev| ctx.pointer_up(&ev)
            on:focusin=move |ev: web_sys::FocusEvent| {
                // The canvas never scrolls (overflow: clip); a part that gets
                // keyboard focus outside the visible area is panned into view
                // instead. Pointer focus is left alone: moving the part under
                // a pressed pointer would lose the click.
                let node = ev.target()
                    .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
                    .filter(|el| el.matches(":focus-visible").unwrap_or(false))
                    .and_then(|el| el.closest("[data-node]").ok().flatten());
                let (Some(node), Some(canvas)) = (node, ctx.canvas.get_untracked()) else { return };
                let (r, c) = (node.get_bounding_client_rect(), canvas.get_bounding_client_rect());
                let dx = shift_into(r.left(), r.right(), c.left(), c.right());
                let dy = shift_into(r.top(), r.bottom(), c.top(), c.bottom());
                if dx != 0.0 || dy != 0.0 {
                    ctx.pan.update(|p| { p.0 += dx; p.1 += dy; });
                }
            }
            on:wheel=move |ev: web_sys::WheelEvent| if ev.ctrl_key() {
                ev.prevent_default();
                let f = if ev.delta_y() < 0.0 { 1.1 } else { 1.0 / 1.1 };
                ctx.pan.update(|p| p.2 = (p.2 * f).clamp(0.3, 3.0));
            }>
            <Show when=move || ctx.editor.with(|e| e.topology.nodes.is_empty())>
                <p class="pg-empty">"Drag parts here from the left, or press a part's button to add it."</p>
            </Show>
            // `--zoom` lets a connect handle stay 24 px on screen however far
            // the canvas is zoomed out.
            <div class="pg-world" style:transform=transform style:--zoom=move || ctx.pan.get().2.to_string()>
                {move || ctx.landing.get().map(|(x, y, w, h)| view! {
                    <div class="pg-ghost" aria-hidden="true"
                        style=format!("left:{x}px;top:{y}px;width:{w}px;height:{h}px")></div>
                })}
                <Edges ctx />
                <For each=ids key=|id| *id let:id>
                    <NodeCard ctx id />
                </For>
            </div>
        </div>
    }
}

/// The kind a card names above its name: an exchange its type, a stream
/// says so.
fn kind_label(n: &crate::playground::model::Node) -> String {
    match &n.config {
        NodeConfig::Queue(q) if q.queue_type == QueueType::Stream => "Stream".into(),
        NodeConfig::Exchange(x) => format!("{} exchange", x.kind.as_str()),
        _ => n.kind().label().into(),
    }
}

/// How far apart two bindings between the same two parts are drawn.
const LANE: f64 = 20.0;

/// Where an edge leaves its first node and arrives at its second, in canvas
/// coordinates. Bindings between the same two parts (one per key) are drawn
/// side by side, so each line and key stays readable.
fn anchors(t: &Topology, edge: &Edge) -> Option<(f64, f64, f64, f64)> {
    let (a, b) = (t.node(edge.from)?, t.node(edge.to)?);
    let lanes = lanes(t, edge);
    Some((a.x + NODE_W, a.y + 22.0 + lanes, b.x, b.y + 22.0 + lanes))
}

/// The vertical offset of `edge` among the edges joining the same two
/// parts: 0 for the first (and a lone edge), then one lane further down the
/// cards for each next one, so none leaves the cards' tops.
fn lanes(t: &Topology, edge: &Edge) -> f64 {
    let twins = t.edges.iter().filter(|e| e.from == edge.from && e.to == edge.to);
    let index = twins.take_while(|e| e.id != edge.id).count();
    index as f64 * LANE
}

/// Each edge's drawn line, by edge.
type Routes = BTreeMap<EdgeId, Route>;

fn path(x1: f64, y1: f64, x2: f64, y2: f64) -> String {
    let bend = ((x2 - x1).abs() / 2.0).max(40.0);
    format!("M{x1},{y1} C{},{y1} {},{y2} {x2},{y2}", x1 + bend, x2 - bend)
}

/// The message drawn nearest to canvas point (x, y), if one is within reach
/// of the pointer. A publish's flight to an exchange names no message yet.
fn flight_at(ctx: Ctx, routes: Memo<Routes>, x: f64, y: f64) -> Option<MessageRef> {
    const REACH: f64 = 12.0;
    let at = ctx.display_ms.get_untracked();
    let reduced = reduced_motion();
    routes.with_untracked(|routes| {
        ctx.sim.with_value(|s| {
            s.flights()
                .filter(|f| !matches!(f.message, MessageRef::Rabbit(0)))
                .filter_map(|f| {
                    let (fx, fy) = routes.get(&f.edge)?.at(progress(at, f.start_ms, reduced));
                    let d = ((fx - x).powi(2) + (fy - y).powi(2)).sqrt();
                    (d <= REACH).then(|| (d, f.message.clone()))
                })
                .min_by(|a, b| a.0.total_cmp(&b.0))
                .map(|(_, m)| m)
        })
    })
}

/// How far along its edge a message that set off at `start_ms` is at `at`,
/// from 0 to 1. A reader who asked for reduced motion sees each message at
/// the end of its edge, without the journey.
fn progress(at: f64, start_ms: u64, reduced: bool) -> f64 {
    if reduced { 1.0 } else { ((at - start_ms as f64) / FLIGHT_MS as f64).clamp(0.0, 1.0) }
}

/// Whether the reader's system asks for reduced motion.
fn reduced_motion() -> bool {
    window().match_media("(prefers-reduced-motion: reduce)").ok().flatten().is_some_and(|m| m.matches())
}

/// Edges with their binding keys, the wire being dragged, and messages in flight.
#[component]
fn Edges(
    /// The playground's shared signals.
    ctx: Ctx,
) -> impl IntoView {
    // Each edge's line around the cards between its ends, as the cards are
    // drawn. Their heights follow what they hold, so they are measured again
    // after the canvas is drawn and whenever the run is stepped or paused;
    // not at every refresh while it plays, which would cost every card a
    // layout.
    let measured = RwSignal::new(0u64);
    Effect::new(move |_| {
        ctx.frame.track();
        if !ctx.playing.get_untracked() {
            measured.update(|m| *m += 1);
        }
    });
    let routes = Memo::new(move |_| {
        measured.track();
        ctx.editor.with(|e| {
            let heights = ctx.card_heights();
            routes(&e.topology, &heights, |edge| anchors(&e.topology, edge)).into_iter().collect_map()
        })
    });
    // The edges the open message travelled, drawn over the others.
    let travelled = Memo::new(move |_| {
        ctx.frame.track();
        ctx.message.get().map(|m| ctx.sim.with_value(|s| s.path(&m).to_vec())).unwrap_or_default()
    });
    let edges = move || {
        ctx.editor.with(|e| {
            let t = &e.topology;
            t.edges
                .iter()
                .filter_map(|edge| {
                    let id = edge.id;
                    let route = routes.with(|r| r.get(&id).cloned())?;
                    let selected = e.selection == Selection::Edge(id);
                    let label = match edge.role {
                        EdgeRole::QueueBinding | EdgeRole::ExchangeBinding => {
                            let args = if edge.arguments.is_empty() { String::new() } else { format!(" [{}]", edge.arguments) };
                            format!("{}{args}", edge.binding_key)
                        }
                        _ => String::new(),
                    };
                    let (mx, my) = route.at(0.62);
                    Some(view! {
                        <g class="pg-edge" class:selected=selected class:on-path=move || travelled.with(|p| p.contains(&id))
                            on:pointerdown=move |ev| { ev.stop_propagation(); ctx.focus_canvas(); ctx.editor.update(|e| e.selection = Selection::Edge(id)); }>
                            <path class="pg-edge-hit" d=route.d.clone() />
                            <path class="pg-edge-line" d=route.d marker-end="url(#pg-arrow)" />
                            <text x=mx y=my - 6.0 text-anchor="middle">{label}</text>
                        </g>
                    })
                })
                .collect_view()
        })
    };
    let wire = move || {
        let (from, x, y) = ctx.wire.get()?;
        let (x1, y1) = ctx.editor.with(|e| e.topology.node(from).map(|n| (n.x + NODE_W, n.y + 22.0)))?;
        Some(view! { <path class="pg-wire" d=path(x1, y1, x, y) /> })
    };
    // Messages in flight are drawn as two paths (RabbitMQ and Kafka), each
    // a run of small circles: one attribute per frame, however many fly.
    let reduced = reduced_motion();
    let flights = Memo::new(move |_| {
        let at = ctx.display_ms.get();
        routes.with(|routes| {
            ctx.sim.with_value(|s| {
                let (mut rabbit, mut kafka, mut count) = (String::new(), String::new(), 0usize);
                for f in s.flights() {
                    let Some(route) = routes.get(&f.edge) else { continue };
                    let (x, y) = route.at(progress(at, f.start_ms, reduced));
                    let d = if matches!(f.message, MessageRef::Kafka { .. } | MessageRef::Send { .. }) {
                        &mut kafka
                    } else {
                        &mut rabbit
                    };
                    d.push_str(&format!("M{:.1},{y:.1}a6,6 0 1,0 12,0a6,6 0 1,0 -12,0", x - 6.0));
                    count += 1;
                }
                (rabbit, kafka, count)
            })
        })
    });
    view! {
        <svg class="pg-edges" width="4000" height="3000" aria-hidden="true">
            <defs>
                <marker id="pg-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
                    <path d="M0,0 L10,5 L0,10 z" />
                </marker>
            </defs>
            {edges}
            {wire}
            <g class="pg-flights" data-count=move || flights.with(|f| f.2.to_string())
                on:pointerdown=move |ev| ev.stop_propagation()
                on:click=move |ev: web_sys::MouseEvent| {
                    // The dots are drawn as one path, so find the message
                    // under the pointer from the same positions.
                    let svg = ev.current_target()
                        .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
                        .and_then(|g| g.closest("svg").ok().flatten());
                    let Some(svg) = svg else { return };
                    let rect = svg.get_bounding_client_rect();
                    let zoom = ctx.pan.get_untracked().2;
                    let x = (f64::from(ev.client_x()) - rect.left()) / zoom;
                    let y = (f64::from(ev.client_y()) - rect.top()) / zoom;
                    if let Some(m) = flight_at(ctx, routes, x, y) {
                        ctx.message.set(Some(m));
                    }
                }>
                <path class="pg-flight" d=move || flights.with(|f| f.0.clone()) />
                <path class="pg-flight kafka" d=move || flights.with(|f| f.1.clone()) />
            </g>
        </svg>
    }
}

/// One node: a handle to select and drag it, a connect handle, its numbers
/// and its messages.
#[component]
fn NodeCard(
    /// The playground's shared signals.
    ctx: Ctx,
    /// Which node.
    id: NodeId,
) -> impl IntoView {
    let node = Memo::new(move |_| ctx.editor.with(|e| e.topology.node(id).cloned()));
    let readout = Memo::new(move |_| {
        ctx.frame.track();
        ctx.sim.with_value(|s| s.readout(id))
    });
    let selected = move || ctx.editor.with(|e| e.selection == Selection::Node(id));
    // On the path of the open message: an end of one of its edges.
    let on_path = Memo::new(move |_| {
        ctx.frame.track();
        let Some(m) = ctx.message.get() else { return false };
        ctx.sim.with_value(|s| {
            s.path(&m).iter().any(|e| s.topology().edge(*e).is_some_and(|e| e.from == id || e.to == id))
        })
    });
    let title = move || node.with(|n| n.as_ref().map(|n| n.title()).unwrap_or_default());
    let name = move || node.with(|n| n.as_ref().map(|n| n.name.clone()).unwrap_or_default());
    let qualified = move || node.with(|n| n.as_ref().map(|n| n.qualified_name()).unwrap_or_default());
    // A part outside the default vhost says so on its card.
    let vhost = move || {
        node.with(|n| n.as_ref().map(|n| n.vhost().to_string()).filter(|v| v != DEFAULT_VHOST))
            .map(|v| view! { <p class="pg-vhost">{format!("vhost {v}")}</p> })
    };
    let kind = move || node.with(|n| n.as_ref().map(|n| n.kind()));
    let style = move || node.with(|n| n.as_ref().map(|n| format!("left:{}px;top:{}px", n.x, n.y)).unwrap_or_default());
    let kind_class = move || format!("pg-node pg-{:?}", kind().unwrap_or(NodeKind::Queue)).to_lowercase();
    let actions = move || {
        let n = node.get()?;
        Some(match n.config {
            NodeConfig::Producer(_) => view! {
                <div class="pg-node-actions">
                    <button type="button" aria-label=format!("Publish from {}", n.name) on:click=move |_| ctx.act(Action::Publish(id))>"Publish"</button>
                    <button type="button" aria-label=format!("Burst from {}", n.name) on:click=move |_| ctx.act(Action::Burst(id))>"Burst"</button>
                </div>
            }
            .into_any(),
            NodeConfig::Broker => {
                let broker = ctx.editor.with(|e| e.topology.broker_id(id)).unwrap_or_default();
                let down = readout.with(|r| r.down);
                view! {
                    <div class="pg-node-actions">
                        {if down {
                            view! { <button type="button" on:click=move |_| ctx.act(Action::RestartBroker(broker))>{format!("Restart broker {broker}")}</button> }.into_any()
                        } else {
                            view! {
                                <button type="button" on:click=move |_| ctx.act(Action::CrashBroker(broker))>{format!("Crash broker {broker}")}</button>
                                <button type="button" on:click=move |_| ctx.act(Action::ShutdownBroker(broker))>{format!("Shut down broker {broker}")}</button>
                            }.into_any()
                        }}
                    </div>
                }
                .into_any()
            }
            _ => ().into_any(),
        })
    };
    let body = move || {
        readout.with(|r| {
            let lines = r.lines.iter().map(|l| view! { <li>{l.clone()}</li> }).collect_view();
            let lists = r
                .lists
                .iter()
                .map(|list| {
                    let items = list
                        .items
                        .iter()
                        .map(|(m, text)| {
                            let m = m.clone();
                            view! {
                                <li><button type="button" class="pg-msg" on:click=move |_| ctx.message.set(Some(m.clone()))>{text.clone()}</button></li>
                            }
                        })
                        .collect_view();
                    let more = (list.more > 0).then(|| format!("and {} more", list.more));
                    view! {
                        <div class="pg-list">
                            {(!list.caption.is_empty()).then(|| view! { <p class="pg-caption">{list.caption.clone()}</p> })}
                            <ol aria-label=list.label.clone()>{items}</ol>
                            {more.map(|m| view! { <p class="pg-more">{m}</p> })}
                        </div>
                    }
                })
                .collect_view();
            let facts = r
                .facts
                .iter()
                .map(|f| {
                    let items = f.items.iter().map(|i| view! { <li>{i.clone()}</li> }).collect_view();
                    view! { <ul class="pg-facts" aria-label=f.label.clone()>{items}</ul> }
                })
                .collect_view();
            view! { <ul class="pg-stats">{lines}</ul> {facts} {lists} }
        })
    };
    view! {
        <div class=kind_class class:selected=selected class:on-path=on_path class:down=move || readout.with(|r| r.down)
            class:idle=move || readout.with(|r| r.idle)
            style=style data-node=id.to_string() role="group" aria-label=title>
            <div class="pg-node-head">
                <button type="button" class="pg-handle" aria-pressed=move || selected().to_string() aria-label=title
                    on:pointerdown=move |ev| {
                        ctx.editor.update(|e| e.selection = Selection::Node(id));
                        let (nx, ny) = node.with_untracked(|n| n.as_ref().map(|n| (n.x, n.y)).unwrap_or_default());
                        ctx.pointer_down(&ev, Drag::Node { id, sx: ev.client_x().into(), sy: ev.client_y().into(), nx, ny, moved: false });
                    }
                    on:pointermove=move |ev| ctx.pointer_move(&ev)
                    on:pointerup=move |ev| ctx.pointer_up(&ev)
                    on:click=move |_| if !ctx.take_suppressed_click() { ctx.editor.update(|e| e.selection = Selection::Node(id)) }>
                    <span class="pg-kind">{move || node.with(|n| n.as_ref().map(kind_label).unwrap_or_default())}</span>" "
                    <span class="pg-name">{name}</span>
                </button>
                <Show when=move || ctx.is_locked(id)>
                    <span class="pg-lock" title="Locked by the challenge">"locked"</span>
                </Show>
                <button type="button" class="pg-port" aria-label=move || format!("Connect from {}", qualified())
                    title="Drag to another node to connect"
                    on:pointerdown=move |ev| { ev.stop_propagation(); ctx.pointer_down(&ev, Drag::Connect { from: id, moved: false }); }
                    on:pointermove=move |ev| ctx.pointer_move(&ev)
                    on:pointerup=move |ev| ctx.pointer_up(&ev)
                    on:click=move |_| if !ctx.take_suppressed_click() { ctx.begin_connect(id) }>
                    "\u{2192}"
                </button>
            </div>
            {vhost}
            {body}
            {actions}
        </div>
    }
}
