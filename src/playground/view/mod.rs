//! The playground's components. They hold signals and draw; every decision
//! is made by [`Playground`](super::model::Playground) (edits) or
//! [`Sim`](super::sim::Sim) (the run). Nodes are HTML over an SVG edge
//! layer, moved with Pointer Events (mouse, pen and touch alike); every
//! action is also a button or form field, so the keyboard reaches it all.
//!
//! This module holds [`PlaygroundView`], which lays the parts out, the
//! signals they share (`Ctx`, with the edits and run controls every part
//! calls), the pointer gesture in progress and the keyboard shortcuts. The
//! parts: `toolbar` (run controls, history, view, sharing, the timeline),
//! `palette` (what can be added, and the form that connects two nodes),
//! `canvas` (nodes, edges and messages in flight), `inspector` (the selected
//! node's or edge's settings, and the engines' problems), `event_log` and
//! `message` (the selected message's history and explanation), `controller`
//! (the KRaft controller quorum and the latest metadata records).

mod canvas;
mod controller;
mod designs_panel;
mod event_log;
mod inspector;
mod message;
mod metrics;
mod palette;
mod policies;
mod starters;
mod toolbar;

use super::challenge::is_locked;
use super::model::{Heights, NODE_H, NODE_W, NUDGE, NodeId, Playground, Selection, Topology, card_width};
use super::sim::{Action, MessageRef, SUBSTEP_MS, Sim};
use super::{designs, share};
use canvas::Canvas;
use controller::ControllerPanel;
use event_log::EventLog;
use inspector::Inspector;
use leptos::html;
use leptos::prelude::*;
use message::MessagePanel;
use metrics::MetricsPanel;
use palette::Add;
use palette::Palette;
use std::time::Duration;
use toolbar::Toolbar;
use wasm_bindgen::JsCast;

/// A pointer gesture in progress.
#[derive(Clone, Debug)]
enum Drag {
    Node { id: NodeId, sx: f64, sy: f64, nx: f64, ny: f64, moved: bool },
    Connect { from: NodeId, moved: bool },
    Palette { add: Add, sx: f64, sy: f64, moved: bool },
    Pan { sx: f64, sy: f64, px: f64, py: f64 },
}

/// The box (left, top, width, height) a dragged card will land in.
type Landing = (f64, f64, f64, f64);

/// How often the readouts refresh while the playground runs, in ms.
const READOUT_MS: f64 = 200.0;

/// The signals every part of the playground shares. All are `Copy`.
#[derive(Clone, Copy)]
struct Ctx {
    editor: RwSignal<Playground>,
    sim: StoredValue<Sim>,
    /// Bumped whenever the run changes, so readouts recompute.
    frame: RwSignal<u64>,
    /// Logical time including the fraction of a step, for smooth motion.
    display_ms: RwSignal<f64>,
    playing: RwSignal<bool>,
    speed: RwSignal<f64>,
    /// The furthest step reached, and the actions of that furthest run.
    horizon: RwSignal<u64>,
    timeline: StoredValue<Vec<(u64, Action)>>,
    pan: RwSignal<(f64, f64, f64)>,
    notice: RwSignal<String>,
    message: RwSignal<Option<MessageRef>>,
    drag: StoredValue<Option<Drag>>,
    /// Whether the next click ends a drag rather than being one. Set when a
    /// drag ends, cleared by that click or by the next pointer press.
    suppress_click: StoredValue<bool>,
    wire: RwSignal<Option<(NodeId, f64, f64)>>,
    /// Where the node being dragged will land, drawn as an outline under
    /// the pointer.
    landing: RwSignal<Option<Landing>>,
    /// The cards' heights, measured when a node drag begins.
    drag_heights: StoredValue<Heights>,
    connect_from: RwSignal<Option<NodeId>>,
    connect_to: RwSignal<Option<NodeId>>,
    /// Counts undos and redos, the edits made outside the inspector's fields.
    history_moves: RwSignal<u64>,
    canvas: NodeRef<html::Div>,
    /// Whether the canvas came from a share link and is not kept yet: its
    /// first change keeps it as a new design.
    kept_copy: StoredValue<bool>,
    /// The canvas last kept for the learner (the full playground only; see
    /// [`Ctx::keep`]).
    kept: Option<StoredValue<Topology>>,
    /// Node ids (`exchange:orders`) a challenge locks: they cannot be
    /// deleted or renamed.
    locked: StoredValue<Vec<String>>,
}

impl Ctx {
    /// Keeps the canvas for the learner if it changed since it was last kept
    /// or opened (a shared link replaces nothing until it is changed).
    /// Binding arguments or headers that cannot be saved yet leave the last
    /// good canvas kept until they are corrected.
    fn keep(&self) {
        let Some(kept) = self.kept else { return };
        self.editor.with_untracked(|e| {
            if kept.with_value(|k| *k != e.topology)
                && let Ok(json) = share::to_json(&e.topology)
            {
                let mut all = designs::load();
                if self.kept_copy.get_value() {
                    // A shared canvas, changed: a new design beside the
                    // learner's own.
                    all.add(designs::SHARED_NAME, json);
                    self.kept_copy.set_value(false);
                    if let Some(d) = all.open_design() {
                        // After what the change itself said ("Deleted …").
                        let said =
                            format!("Kept as a new design, \u{201c}{}\u{201d}, beside your own (My designs).", d.name);
                        self.notice.update(|n| *n = if n.is_empty() { said } else { format!("{n} {said}") });
                    }
                } else {
                    all.keep(json);
                }
                if let Err(e) = designs::store(&all) {
                    self.notice.set(format!("This canvas is not kept: {e}"));
                }
                kept.set_value(e.topology.clone());
            }
        });
    }

    /// The canvas is kept as `topology` now (just opened from, or saved as,
    /// a design): nothing to keep until it changes again.
    fn mark_kept(&self, topology: &Topology) {
        if let Some(kept) = self.kept {
            kept.set_value(topology.clone());
        }
        self.kept_copy.set_value(false);
    }

    /// Each card's height as drawn (before zoom), for placing parts clear
    /// of each other.
    fn card_heights(&self) -> Heights {
        let mut heights = Heights::new();
        let Some(canvas) = self.canvas.get_untracked() else { return heights };
        let Ok(cards) = canvas.query_selector_all("[data-node]") else { return heights };
        for i in 0..cards.length() {
            let Some(card) = cards.item(i).and_then(|n| n.dyn_into::<web_sys::HtmlElement>().ok()) else { continue };
            if let Some(id) = card.get_attribute("data-node").and_then(|v| v.parse::<NodeId>().ok()) {
                heights.insert(id, f64::from(card.offset_height()));
            }
        }
        heights
    }

    /// Lays the canvas out left to right in the order messages flow, with
    /// no card over another, and brings it all into view.
    fn tidy(&self) {
        let heights = self.card_heights();
        self.editor.update(|e| e.tidy(&heights));
        self.keep();
        self.fit_view();
        self.notice.set("Tidied up: parts laid out left to right in the order messages flow.".into());
    }

    /// Zooms (never past 1) and pans so every part shows in the canvas.
    fn fit_view(&self) {
        let Some(el) = self.canvas.get_untracked() else { return };
        let b = self.editor.with_untracked(|e| bounds(&e.topology));
        let (w, h) = (f64::from(el.client_width()).max(200.0), f64::from(el.client_height()).max(160.0));
        self.pan.set(fit_pan(b, w, h));
    }

    fn bump(&self) {
        let now = self.sim.with_value(|s| s.now_ms()) as f64;
        self.display_ms.set(now);
        self.frame.update(|f| *f += 1);
    }

    /// Applies an edit and shows its error, if any.
    fn edit<T>(&self, f: impl FnOnce(&mut Playground) -> Result<T, super::model::EditError>) -> Option<T> {
        match self.editor.try_update(f) {
            Some(Ok(v)) => {
                self.notice.set(String::new());
                Some(v)
            }
            Some(Err(e)) => {
                self.notice.set(e.to_string());
                None
            }
            None => None,
        }
    }

    /// Does a user action on the run; acting in the past forks the timeline.
    fn act(&self, action: Action) {
        self.fork_here();
        self.sim.update_value(|s| s.perform(action));
        self.timeline.set_value(self.sim.with_value(|s| s.actions().to_vec()));
        self.bump();
    }

    fn fork_here(&self) {
        let (tick, moment) = self.sim.with_value(|s| (s.tick(), s.moment()));
        if tick < self.horizon.get_untracked() {
            self.horizon.set(tick);
            self.timeline.update_value(|t| t.retain(|(at, _)| *at <= moment));
        }
    }

    /// `steps` whole steps; from inside a step, the first finishes it.
    fn step(&self, steps: u64) {
        self.advance(|s| {
            for _ in 0..steps {
                s.step();
            }
        });
    }

    /// `n` sub-steps, as the run loop takes them.
    fn substep(&self, n: u64) {
        self.advance(|s| {
            for _ in 0..n {
                s.substep();
            }
        });
    }

    fn advance(&self, go: impl FnOnce(&mut Sim)) {
        self.fork_here();
        self.sim.update_value(go);
        let tick = self.sim.with_value(|s| s.tick());
        if tick > self.horizon.get_untracked() {
            self.horizon.set(tick);
        }
    }

    fn scrub(&self, to: u64) {
        self.playing.set(false);
        let topology = self.sim.with_value(|s| s.initial_topology().clone());
        let actions = self.timeline.get_value();
        self.sim.set_value(Sim::replay(&topology, &actions, to));
        self.bump();
    }

    fn reset_run(&self) {
        let topology = self.editor.with_untracked(|e| e.topology.clone());
        self.sim.set_value(Sim::new(&topology));
        self.horizon.set(0);
        self.timeline.set_value(Vec::new());
        self.message.set(None);
        self.bump();
    }

    /// Canvas coordinates of a point on screen.
    fn world_point(&self, cx: f64, cy: f64) -> Option<(f64, f64)> {
        let rect = self.canvas.get_untracked()?.get_bounding_client_rect();
        let (px, py, z) = self.pan.get_untracked();
        Some(((cx - rect.left() - px) / z, (cy - rect.top() - py) / z))
    }

    fn inside_canvas(&self, cx: f64, cy: f64) -> bool {
        self.canvas.get_untracked().is_some_and(|c| {
            let r = c.get_bounding_client_rect();
            cx >= r.left() && cx <= r.right() && cy >= r.top() && cy <= r.bottom()
        })
    }

    fn add(&self, add: Add, at: Option<(f64, f64)>) {
        // Without a position, the part goes to a free spot in view.
        let at = at.or_else(|| {
            let el = self.canvas.get_untracked()?;
            let (px, py, zoom) = self.pan.get_untracked();
            let width = f64::from(el.client_width()) / zoom;
            let columns = ((width - 30.0) / (NODE_W + 30.0)).floor().max(1.0) as usize;
            Some(self.editor.with_untracked(|e| e.topology.free_spot_in(-px / zoom, -py / zoom, columns)))
        });
        // It lands on the grid, clear of the other cards, as a moved part does.
        let heights = self.card_heights();
        let title = self.editor.try_update(|e| {
            let id = match add {
                Add::Node(kind) => e.add_node(kind, at),
                Add::Exchange(kind) => e.add_exchange(kind, at),
                Add::Stream => e.add_stream(at),
            };
            e.drop_node(id, &heights);
            e.topology.node(id).map(|n| n.title())
        });
        self.notice.set(title.flatten().map(|t| format!("Added {t}.")).unwrap_or_default());
    }

    fn undo(&self) -> bool {
        self.history_moves.update(|n| *n += 1);
        let undone = self.editor.try_update(|e| e.undo()).unwrap_or(false);
        self.notice.set(if undone { "Undone." } else { "Nothing to undo." }.into());
        undone
    }

    fn redo(&self) -> bool {
        self.history_moves.update(|n| *n += 1);
        let redone = self.editor.try_update(|e| e.redo()).unwrap_or(false);
        self.notice.set(if redone { "Redone." } else { "Nothing to redo." }.into());
        redone
    }

    fn delete_selection(&self) {
        match self.editor.with_untracked(|e| e.selection) {
            Selection::Node(id) => self.delete_node(id),
            Selection::Edge(id) => {
                let name = self.editor.with_untracked(|e| connection_name(&e.topology, id));
                if self.editor.try_update(|e| e.delete_selection()).unwrap_or(false) {
                    self.notice.set(format!("Deleted the connection {name}."));
                    self.focus_canvas();
                }
            }
            Selection::None => {}
        }
    }

    /// Gives the canvas the keyboard focus, as after a deletion, so focus is
    /// never lost with the part it was on.
    fn focus_canvas(&self) {
        if let Some(el) = self.canvas.get_untracked() {
            let _ = el.focus();
        }
    }

    /// Whether a challenge locks this node.
    fn is_locked(&self, id: NodeId) -> bool {
        self.locked.with_value(|l| !l.is_empty() && self.editor.with(|e| is_locked(l, &e.topology, id)))
    }

    /// Deletes a node, unless a challenge locks it.
    fn delete_node(&self, id: NodeId) {
        if self.is_locked(id) {
            self.notice.set("This part is locked by the challenge: it cannot be deleted or renamed.".into());
            return;
        }
        let title = self.editor.with_untracked(|e| e.topology.node(id).map(|n| n.title()));
        if self.editor.try_update(|e| e.delete_node(id)).unwrap_or(false) {
            self.notice.set(format!("Deleted {}.", title.unwrap_or_default()));
            self.focus_canvas();
        }
    }

    fn connect(&self, from: NodeId, to: NodeId) {
        if let Some(id) = self.edit(|e| e.connect(from, to)) {
            let name = self.editor.with_untracked(|e| connection_name(&e.topology, id));
            self.notice.set(format!("Connected {name}."));
        }
    }

    fn focus(&self, id: &str) {
        if let Some(el) = document().get_element_by_id(id).and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok()) {
            let _ = el.focus();
        }
    }

    /// Starts a keyboard connection from `from`: the "Connect to" list gets focus.
    fn begin_connect(&self, from: NodeId) {
        self.connect_from.set(Some(from));
        self.connect_to.set(None);
        self.focus("pg-connect-to");
    }

    fn pointer_down(&self, ev: &web_sys::PointerEvent, drag: Drag) {
        if ev.button() != 0 {
            return;
        }
        if let Some(el) = ev.current_target().and_then(|t| t.dyn_into::<web_sys::Element>().ok()) {
            let _ = el.set_pointer_capture(ev.pointer_id());
        }
        if let Drag::Connect { from, .. } = drag
            && let Some((x, y)) = self.world_point(ev.client_x().into(), ev.client_y().into())
        {
            self.wire.set(Some((from, x, y)));
        }
        self.drag.set_value(Some(drag));
    }

    fn pointer_move(&self, ev: &web_sys::PointerEvent) {
        let (cx, cy) = (f64::from(ev.client_x()), f64::from(ev.client_y()));
        let Some(mut drag) = self.drag.get_value() else { return };
        match &mut drag {
            Drag::Node { id, sx, sy, nx, ny, moved } => {
                let z = self.pan.get_untracked().2;
                let (dx, dy) = ((cx - *sx) / z, (cy - *sy) / z);
                if !*moved && dx.abs() + dy.abs() > 3.0 {
                    *moved = true;
                    self.editor.update(|e| e.begin_drag());
                    // Cards keep their size while one is dragged: measure once.
                    self.drag_heights.set_value(self.card_heights());
                }
                if *moved {
                    let (id, x, y) = (*id, *nx + dx, *ny + dy);
                    self.editor.update(|e| e.drag_to(id, x, y));
                    let spot = self.drag_heights.with_value(|heights| {
                        self.editor.with_untracked(|e| {
                            let kind = e.topology.node(id)?.kind();
                            let (lx, ly) = e.topology.landing(id, x, y, heights)?;
                            let h = heights.get(&id).copied().unwrap_or(NODE_H);
                            Some((lx, ly, card_width(kind), h))
                        })
                    });
                    self.landing.set(spot);
                }
            }
            Drag::Connect { from, moved } => {
                *moved = true;
                if let Some((x, y)) = self.world_point(cx, cy) {
                    self.wire.set(Some((*from, x, y)));
                }
            }
            Drag::Palette { sx, sy, moved, .. } => {
                if (cx - *sx).abs() + (cy - *sy).abs() > 5.0 {
                    *moved = true;
                }
            }
            Drag::Pan { sx, sy, px, py } => {
                let z = self.pan.get_untracked().2;
                self.pan.set((*px + cx - *sx, *py + cy - *sy, z));
            }
        }
        self.drag.set_value(Some(drag));
    }

    fn pointer_up(&self, ev: &web_sys::PointerEvent) {
        let (cx, cy) = (f64::from(ev.client_x()), f64::from(ev.client_y()));
        let Some(drag) = self.drag.get_value() else { return };
        self.drag.set_value(None);
        self.wire.set(None);
        match drag {
            Drag::Connect { from, moved: true } => {
                self.suppress_next_click();
                let target = document()
                    .element_from_point(cx as f32, cy as f32)
                    .and_then(|el| el.closest("[data-node]").ok().flatten())
                    .and_then(|el| el.get_attribute("data-node"))
                    .and_then(|id| id.parse::<NodeId>().ok());
                match target {
                    Some(to) if to != from => self.connect(from, to),
                    _ => self.notice.set("Drop the connection on another node.".into()),
                }
            }
            Drag::Palette { add, moved: true, .. } => {
                self.suppress_next_click();
                if self.inside_canvas(cx, cy)
                    && let Some((x, y)) = self.world_point(cx, cy)
                {
                    self.add(add, Some((x - NODE_W / 2.0, y - 20.0)));
                }
            }
            Drag::Node { id, moved: true, .. } => {
                self.suppress_next_click();
                self.landing.set(None);
                self.drag_heights.update_value(|heights| self.editor.update(|e| e.drop_node(id, heights)));
                self.keep();
            }
            _ => {}
        }
    }

    /// True for the click that ends a drag, so it does nothing more.
    fn take_suppressed_click(&self) -> bool {
        let suppressed = self.suppress_click.get_value();
        self.suppress_click.set_value(false);
        suppressed
    }

    fn suppress_next_click(&self) {
        self.suppress_click.set_value(true);
    }
}

/// The playground: palette, canvas, inspector, run controls and event log.
/// The compact form, embedded beside a lesson, keeps the canvas, the run
/// controls and the message details, starts running, fits the topology to
/// its width, and leaves the page's keys alone.
#[component]
pub fn PlaygroundView(
    /// The topology to open with.
    initial: Topology,
    /// The small form a lesson embeds.
    #[prop(optional)]
    compact: bool,
    /// An editor owned by the page, which a challenge panel checks and
    /// replaces; the playground then keeps nothing as the learner's last canvas.
    #[prop(optional)]
    editor: Option<RwSignal<Playground>>,
    /// Node ids a challenge locks (`exchange:orders`); none by default.
    #[prop(optional)]
    locked: Vec<String>,
    /// Keeps the canvas as the learner's last playground even though the
    /// page owns the editor (the full playground with its authoring panel).
    #[prop(optional)]
    keep_last: bool,
    /// The canvas came from a share link: kept as a new design once changed.
    #[prop(optional)]
    from_link: bool,
) -> impl IntoView {
    let fit = compact.then(|| bounds(&initial));
    let initial_empty = initial.nodes.is_empty();
    let sim = StoredValue::new(Sim::new(&initial));
    let kept = (!compact && (editor.is_none() || keep_last)).then(|| StoredValue::new(initial.clone()));
    let ctx = Ctx {
        editor: editor.unwrap_or_else(|| RwSignal::new(Playground::new(initial))),
        sim,
        frame: RwSignal::new(0),
        display_ms: RwSignal::new(0.0),
        playing: RwSignal::new(compact),
        speed: RwSignal::new(1.0),
        horizon: RwSignal::new(0),
        timeline: StoredValue::new(Vec::new()),
        pan: RwSignal::new((0.0, 0.0, 1.0)),
        notice: RwSignal::new(String::new()),
        message: RwSignal::new(None),
        drag: StoredValue::new(None),
        suppress_click: StoredValue::new(false),
        wire: RwSignal::new(None),
        landing: RwSignal::new(None),
        drag_heights: StoredValue::new(Heights::new()),
        connect_from: RwSignal::new(None),
        connect_to: RwSignal::new(None),
        history_moves: RwSignal::new(0),
        canvas: NodeRef::new(),
        kept,
        kept_copy: StoredValue::new(from_link),
        locked: StoredValue::new(locked),
    };

    // The full playground keeps the learner's canvas after every edit; a
    // part being dragged is kept once, where it is dropped.
    if !compact {
        Effect::new(move || {
            ctx.editor.track();
            if !ctx.drag.with_value(|d| matches!(d, Some(Drag::Node { moved: true, .. }))) {
                ctx.keep();
            }
        });
    }

    // A drag's closing click is swallowed; any later press starts afresh,
    // so a quick click right after a drag is never lost.
    let presses = window_event_listener(leptos::ev::pointerdown, move |_| ctx.suppress_click.set_value(false));
    on_cleanup(move || presses.remove());

    // A new run whenever the wiring or a broker-side setting changes;
    // moving a node does not, and a producer's new settings are an action.
    Effect::new(move |prev: Option<Topology>| {
        let topology = ctx.editor.with(|e| e.topology.clone());
        let key = share::run_key(&topology);
        match prev {
            Some(p) if p != key => ctx.reset_run(),
            Some(_) => {
                for (id, settings) in ctx.sim.with_value(|s| s.producer_changes(&topology)) {
                    ctx.act(Action::SetProducer(id, settings));
                }
            }
            None => {}
        }
        key
    });

    // The run loop: real time times the speed, in engine sub-steps, so a
    // step's work is spread over the frames it spans; at the fastest speed
    // as many steps as fit in a frame's budget, without detail.
    let last = StoredValue::new(now());
    let carry = StoredValue::new(0.0f64);
    // While running, the readouts (counters, queue contents, the log)
    // refresh five times a second; the messages in flight move every frame,
    // and a step, an action or a pause shows at once.
    let last_readout = StoredValue::new(0.0f64);
    let readout_due = move |t: f64| {
        let due = t - last_readout.get_value() >= READOUT_MS;
        if due {
            last_readout.set_value(t);
        }
        due
    };
    let handle = set_interval_with_handle(
        move || {
            let t = now();
            let dt = (t - last.get_value()).min(250.0);
            last.set_value(t);
            if !ctx.playing.get_untracked() {
                return;
            }
            let speed = ctx.speed.get_untracked();
            if speed == 0.0 {
                ctx.sim.update_value(|s| s.set_detail(false));
                // One step at a time, so a slow step cannot overrun the
                // frame by much and input stays answered.
                while now() - t < 10.0 {
                    ctx.step(1);
                }
                if readout_due(t) {
                    ctx.bump();
                }
                return;
            }
            ctx.sim.update_value(|s| s.set_detail(true));
            let c = carry.get_value() + dt * speed;
            let subs = (c / SUBSTEP_MS as f64).floor();
            carry.set_value(c - subs * SUBSTEP_MS as f64);
            if subs >= 1.0 {
                ctx.substep(subs as u64);
                if readout_due(t) {
                    ctx.frame.update(|f| *f += 1);
                }
            }
            let base = ctx.sim.with_value(|s| s.now_ms()) as f64;
            ctx.display_ms.set(base + carry.get_value().min(SUBSTEP_MS as f64));
        },
        Duration::from_millis(16),
    );
    on_cleanup(move || {
        if let Ok(h) = handle {
            h.clear();
        }
    });

    if let Some(b) = fit {
        // Once the canvas has a width, zoom so the whole topology's width
        // shows, and make the canvas as tall as the topology then is.
        Effect::new(move |_| {
            let Some(el) = ctx.canvas.get() else { return };
            let pan = fit_pan(b, f64::from(el.client_width()).max(200.0), f64::INFINITY);
            let height = (b.3 - b.1) * pan.2 + 16.0;
            let _ = el.set_attribute("style", &format!("height:{}px", height.clamp(160.0, 420.0)));
            ctx.pan.set(pan);
        });
        return view! {
            <div class="pg pg-compact">
                <div class="pg-toolbar" role="toolbar" aria-label="Canvas controls">
                    <button type="button" aria-pressed=move || ctx.playing.get().to_string()
                        on:click=move |_| { ctx.playing.update(|p| *p = !*p); ctx.bump(); }>
                        {move || if ctx.playing.get() { "Pause" } else { "Play" }}
                    </button>
                    <button type="button" on:click=move |_| { ctx.playing.set(false); ctx.step(1); ctx.bump(); }>"Step"</button>
                    <button type="button" on:click=move |_| ctx.reset_run()>"Reset run"</button>
                    <button type="button" aria-label="Zoom in" on:click=move |_| ctx.pan.update(|p| p.2 = (p.2 * 1.25).min(3.0))>"+"</button>
                    <button type="button" aria-label="Zoom out" on:click=move |_| ctx.pan.update(|p| p.2 = (p.2 / 1.25).max(0.3))>"\u{2212}"</button>
                    <output class="pg-processed" aria-label="Messages processed" aria-live="off">
                        {move || { ctx.frame.track(); format!("{} processed", ctx.sim.with_value(|s| s.processed())) }}
                    </output>
                </div>
                <Canvas ctx />
                <MessagePanel ctx />
            </div>
        }
        .into_any();
    }

    // A playground opened with parts (a link, a lesson's scenario) starts
    // with all of them in view.
    if !initial_empty {
        Effect::new(move |done: Option<bool>| {
            if done != Some(true) && ctx.canvas.get().is_some() {
                ctx.fit_view();
                return true;
            }
            done.unwrap_or(false)
        });
    }

    // Keyboard shortcuts, unless the user is typing in a field.
    let keys = window_event_listener(leptos::ev::keydown, move |ev| on_key(ctx, &ev));
    on_cleanup(move || keys.remove());

    view! {
        <div class="pg">
            <Toolbar ctx />
            <div class="pg-main">
                <Palette ctx />
                <Canvas ctx />
                <Inspector ctx />
            </div>
            <TopologyText ctx />
            <div class="pg-bottom">
                <EventLog ctx />
                <MessagePanel ctx />
                <MetricsPanel ctx />
                <ControllerPanel ctx />
            </div>
        </div>
    }
    .into_any()
}

/// The canvas in words, for a reader who cannot see it: each part and
/// where it sends, in the order messages flow, kept in step with the canvas.
#[component]
fn TopologyText(
    /// The playground's shared signals.
    ctx: Ctx,
) -> impl IntoView {
    let lines = Memo::new(move |_| ctx.editor.with(|e| e.topology.as_text()));
    view! {
        <details class="pg-as-text">
            <summary>"Topology as text"</summary>
            <ul aria-label="Topology as text">
                {move || lines.get().into_iter().map(|l| view! { <li>{l}</li> }).collect_view()}
            </ul>
        </details>
    }
}

/// The pan and zoom (never past 1) that show the box `b` in a canvas
/// `width` by `height` pixels, with a small margin.
fn fit_pan(b: (f64, f64, f64, f64), width: f64, height: f64) -> (f64, f64, f64) {
    let (x0, y0, x1, y1) = b;
    let zoom = ((width - 16.0) / (x1 - x0).max(1.0)).min((height - 16.0) / (y1 - y0).max(1.0)).clamp(0.3, 1.0);
    (8.0 - x0 * zoom, 8.0 - y0 * zoom, zoom)
}

/// How far to move a span `lo..hi` so it lies inside `min..max` with a
/// margin; when it cannot fit, its start is shown.
fn shift_into(lo: f64, hi: f64, min: f64, max: f64) -> f64 {
    if lo < min {
        min - lo + 8.0
    } else if hi > max {
        (max - hi - 8.0).max(min - lo + 8.0)
    } else {
        0.0
    }
}

/// The box around every node: left, top, right, bottom in canvas pixels.
fn bounds(t: &Topology) -> (f64, f64, f64, f64) {
    let mut b = (f64::MAX, f64::MAX, f64::MIN, f64::MIN);
    for n in &t.nodes {
        b = (b.0.min(n.x), b.1.min(n.y), b.2.max(n.x + NODE_W), b.3.max(n.y + NODE_H));
    }
    if t.nodes.is_empty() { (0.0, 0.0, NODE_W, NODE_H) } else { b }
}

/// A connection as the page names it: "p1 → x1", and a binding with its key
/// too, since two bindings may join the same parts.
fn connection_name(t: &Topology, id: super::model::EdgeId) -> String {
    let Some(edge) = t.edge(id) else { return String::new() };
    let name = |n| t.node(n).map(|n| n.qualified_name()).unwrap_or_default();
    let key =
        if edge.role.is_binding() { format!(" (key \u{201c}{}\u{201d})", edge.binding_key) } else { String::new() };
    format!("{} \u{2192} {}{key}", name(edge.from), name(edge.to))
}

pub(super) fn now() -> f64 {
    window().performance().map(|p| p.now()).unwrap_or_default()
}

/// The canvas's keyboard shortcuts. They act only while the focus is on the
/// canvas or a part on it, so a key pressed on a toolbar button, in the
/// inspector or elsewhere on the page does what it does there (WCAG 2.1.4).
fn on_key(ctx: Ctx, ev: &web_sys::KeyboardEvent) {
    let on_canvas = ev
        .target()
        .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
        .filter(|el| !matches!(el.tag_name().as_str(), "INPUT" | "SELECT" | "TEXTAREA"))
        .and_then(|el| el.closest(".pg-canvas").ok().flatten())
        .is_some();
    if !on_canvas || ev.alt_key() {
        return;
    }
    let ctrl = ev.ctrl_key() || ev.meta_key();
    let selected = ctx.editor.with_untracked(|e| e.selection);
    let key = ev.key();
    let handled = match key.as_str() {
        "z" | "Z" if ctrl && ev.shift_key() => {
            ctx.redo();
            true
        }
        "z" if ctrl => {
            ctx.undo();
            true
        }
        "y" if ctrl => {
            ctx.redo();
            true
        }
        _ if ctrl => false,
        "Delete" | "Backspace" if selected != Selection::None => {
            ctx.delete_selection();
            true
        }
        "ArrowLeft" | "ArrowRight" | "ArrowUp" | "ArrowDown" => match selected {
            Selection::Node(id) => {
                let step = if ev.shift_key() { NUDGE * 5.0 } else { NUDGE };
                let (dx, dy) = match key.as_str() {
                    "ArrowLeft" => (-step, 0.0),
                    "ArrowRight" => (step, 0.0),
                    "ArrowUp" => (0.0, -step),
                    _ => (0.0, step),
                };
                ctx.edit(|e| e.nudge(id, dx, dy));
                true
            }
            _ => false,
        },
        "c" => match selected {
            Selection::Node(id) => {
                ctx.begin_connect(id);
                true
            }
            _ => false,
        },
        _ => false,
    };
    if handled {
        ev.prevent_default();
    }
}
