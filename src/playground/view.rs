//! The playground's components. They hold signals and draw; every decision
//! is made by [`Playground`](super::model::Playground) (edits) or
//! [`Sim`](super::sim::Sim) (the run). Nodes are HTML over an SVG edge
//! layer, moved with Pointer Events (mouse, pen and touch alike); every
//! action is also a button or form field, so the keyboard reaches it all.

use super::model::{
    AckMode, EdgeRole, Failure, NODE_H, NODE_W, NUDGE, NodeConfig, NodeId, NodeKind, Playground, Selection, Topology,
};
use super::share;
use super::sim::{Action, FLIGHT_MS, MessageRef, STEP_MS, Sim};
use brokerlab_rabbit::ExchangeKind;
use leptos::html;
use leptos::prelude::*;
use std::time::Duration;
use wasm_bindgen::JsCast;

/// A pointer gesture in progress.
#[derive(Clone, Debug)]
enum Drag {
    Node { id: NodeId, sx: f64, sy: f64, nx: f64, ny: f64, moved: bool },
    Connect { from: NodeId, moved: bool },
    Palette { add: Add, sx: f64, sy: f64, moved: bool },
    Pan { sx: f64, sy: f64, px: f64, py: f64 },
}

/// What a palette button adds.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Add {
    Node(NodeKind),
    Exchange(ExchangeKind),
}

const PALETTE: [(Add, &str); 10] = [
    (Add::Node(NodeKind::Producer), "Producer"),
    (Add::Exchange(ExchangeKind::Direct), "Direct exchange"),
    (Add::Exchange(ExchangeKind::Fanout), "Fanout exchange"),
    (Add::Exchange(ExchangeKind::Topic), "Topic exchange"),
    (Add::Exchange(ExchangeKind::Headers), "Headers exchange"),
    (Add::Node(NodeKind::Queue), "Queue"),
    (Add::Node(NodeKind::Consumer), "Consumer"),
    (Add::Node(NodeKind::Broker), "Kafka broker"),
    (Add::Node(NodeKind::Topic), "Topic"),
    (Add::Node(NodeKind::Group), "Consumer group"),
];

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
    connect_from: RwSignal<Option<NodeId>>,
    connect_to: RwSignal<Option<NodeId>>,
    /// Counts undos and redos, the edits made outside the inspector's fields.
    history_moves: RwSignal<u64>,
    canvas: NodeRef<html::Div>,
    /// The canvas last kept for the learner (the full playground only; see
    /// [`Ctx::keep`]).
    kept: Option<StoredValue<Topology>>,
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
                share::keep_last(&json);
                kept.set_value(e.topology.clone());
            }
        });
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
        let tick = self.sim.with_value(|s| s.tick());
        if tick < self.horizon.get_untracked() {
            self.horizon.set(tick);
            self.timeline.update_value(|t| t.retain(|(at, _)| *at <= tick));
        }
    }

    fn step(&self, steps: u64) {
        self.fork_here();
        self.sim.update_value(|s| {
            for _ in 0..steps {
                s.step();
            }
        });
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
        self.editor.update(|e| {
            match add {
                Add::Node(kind) => e.add_node(kind, at),
                Add::Exchange(kind) => e.add_exchange(kind, at),
            };
        });
        self.notice.set(String::new());
    }

    fn undo(&self) -> bool {
        self.history_moves.update(|n| *n += 1);
        self.editor.try_update(|e| e.undo()).unwrap_or(false)
    }

    fn redo(&self) -> bool {
        self.history_moves.update(|n| *n += 1);
        self.editor.try_update(|e| e.redo()).unwrap_or(false)
    }

    fn delete_selection(&self) {
        self.editor.update(|e| {
            e.delete_selection();
        });
    }

    fn connect(&self, from: NodeId, to: NodeId) {
        self.edit(|e| e.connect(from, to));
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
                }
                if *moved {
                    let (id, x, y) = (*id, *nx + dx, *ny + dy);
                    self.editor.update(|e| e.drag_to(id, x, y));
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
            Drag::Node { moved: true, .. } => {
                self.suppress_next_click();
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
) -> impl IntoView {
    let fit = compact.then(|| bounds(&initial));
    let initial_empty = initial.nodes.is_empty();
    let sim = StoredValue::new(Sim::new(&initial));
    let kept = (!compact).then(|| StoredValue::new(initial.clone()));
    let ctx = Ctx {
        editor: RwSignal::new(Playground::new(initial)),
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
        connect_from: RwSignal::new(None),
        connect_to: RwSignal::new(None),
        history_moves: RwSignal::new(0),
        canvas: NodeRef::new(),
        kept,
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

    // The run loop: real time times the speed, in whole engine steps; at the
    // fastest speed as many steps as fit in a frame's budget, without detail.
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
            let steps = (c / STEP_MS as f64).floor();
            carry.set_value(c - steps * STEP_MS as f64);
            if steps >= 1.0 {
                ctx.step(steps as u64);
                if readout_due(t) {
                    ctx.frame.update(|f| *f += 1);
                }
            }
            let base = ctx.sim.with_value(|s| s.now_ms()) as f64;
            ctx.display_ms.set(base + carry.get_value().min(STEP_MS as f64));
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
                    <output class="pg-processed" aria-label="Messages processed">
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
            <div class="pg-bottom">
                <EventLog ctx />
                <MessagePanel ctx />
            </div>
        </div>
    }
    .into_any()
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

fn now() -> f64 {
    window().performance().map(|p| p.now()).unwrap_or_default()
}

fn on_key(ctx: Ctx, ev: &web_sys::KeyboardEvent) {
    let typing = ev
        .target()
        .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
        .is_some_and(|el| matches!(el.tag_name().as_str(), "INPUT" | "SELECT" | "TEXTAREA"));
    if typing || ev.alt_key() {
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

/// Run controls, history, view, sharing and the timeline.
#[component]
fn Toolbar(
    /// The playground's shared signals.
    ctx: Ctx,
) -> impl IntoView {
    let share_link = RwSignal::new(String::new());
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
        ctx.notice.set("Link copied. Anyone who opens it gets this playground.".into());
    };
    let load_preset = move |ev| {
        let id = event_target_value(&ev);
        if let Some(topology) = super::scenario::preset(&id) {
            ctx.playing.set(false);
            ctx.editor.update(|e| e.replace(topology));
            ctx.fit_view();
        }
    };
    view! {
        <div class="pg-toolbar" role="toolbar" aria-label="Playground controls">
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
            <output class="pg-processed" aria-label="Messages processed">
                {move || { ctx.frame.track(); format!("{} processed", ctx.sim.with_value(|s| s.processed())) }}
            </output>
            <div class="pg-tool-group pg-timeline" role="group" aria-label="Time">
                <label for="pg-timeline">"Timeline"</label>
                <input id="pg-timeline" type="range" min="0" max=move || { ctx.frame.track(); ctx.horizon.get().to_string() }
                    prop:value=move || tick().to_string()
                    on:input=move |ev| ctx.scrub(event_target_value(&ev).parse().unwrap_or(0)) />
                <output for="pg-timeline">{move || format!("{:.1} s", tick() as f64 * STEP_MS as f64 / 1000.0)}</output>
            </div>
            <div class="pg-tool-group" role="group" aria-label="Edit">
                <button type="button" disabled=move || !ctx.editor.with(|e| e.can_undo())
                    aria-keyshortcuts="Control+Z" on:click=move |_| { ctx.undo(); }>"Undo"</button>
                <button type="button" disabled=move || !ctx.editor.with(|e| e.can_redo())
                    aria-keyshortcuts="Control+Y" on:click=move |_| { ctx.redo(); }>"Redo"</button>
                <button type="button" aria-label="Zoom in" on:click=move |_| ctx.pan.update(|p| p.2 = (p.2 * 1.25).min(3.0))>"+"</button>
                <button type="button" aria-label="Zoom out" on:click=move |_| ctx.pan.update(|p| p.2 = (p.2 / 1.25).max(0.3))>"\u{2212}"</button>
                <button type="button" on:click=move |_| ctx.fit_view()>"Reset view"</button>
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
                <label>"Gallery "
                    <select on:change=load_preset>
                        <option value="">"Start from\u{2026}"</option>
                        {super::scenario::gallery().into_iter().map(|(id, title)| view! { <option value=id>{title}</option> }).collect_view()}
                    </select>
                </label>
            </div>
            <Show when=move || !share_link.get().is_empty()>
                <label class="pg-share">"Share link "
                    <input type="text" readonly prop:value=move || share_link.get() />
                </label>
            </Show>
            <p class="pg-notice" role="status">{move || ctx.notice.get()}</p>
        </div>
    }
}

/// The parts that can be added, as buttons: click to add at a free spot, or
/// drag onto the canvas.
#[component]
fn Palette(
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

/// Where the topology is drawn: nodes over an SVG layer of edges and
/// messages in flight; drag the background to pan.
#[component]
fn Canvas(
    /// The playground's shared signals.
    ctx: Ctx,
) -> impl IntoView {
    let ids = move || ctx.editor.with(|e| e.topology.nodes.iter().map(|n| n.id).collect::<Vec<_>>());
    let transform = move || {
        let (x, y, z) = ctx.pan.get();
        format!("translate({x}px, {y}px) scale({z})")
    };
    view! {
        <div class="pg-canvas" node_ref=ctx.canvas role="region" aria-label="Canvas"
            on:pointerdown=move |ev| {
                let on_background = ev.target().and_then(|t| t.dyn_into::<web_sys::Element>().ok())
                    .is_some_and(|el| el.closest("[data-node], .pg-edge").ok().flatten().is_none());
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
            <div class="pg-world" style:transform=transform>
                <Edges ctx />
                <For each=ids key=|id| *id let:id>
                    <NodeCard ctx id />
                </For>
            </div>
        </div>
    }
}

/// Where an edge leaves node `from` and arrives at node `to`, in canvas coordinates.
fn anchors(t: &Topology, from: NodeId, to: NodeId) -> Option<(f64, f64, f64, f64)> {
    let (a, b) = (t.node(from)?, t.node(to)?);
    Some((a.x + NODE_W, a.y + 22.0, b.x, b.y + 22.0))
}

fn bezier(x1: f64, y1: f64, x2: f64, y2: f64, t: f64) -> (f64, f64) {
    let bend = ((x2 - x1).abs() / 2.0).max(40.0);
    let (c1x, c2x) = (x1 + bend, x2 - bend);
    let u = 1.0 - t;
    let x = u * u * u * x1 + 3.0 * u * u * t * c1x + 3.0 * u * t * t * c2x + t * t * t * x2;
    let y = u * u * u * y1 + 3.0 * u * u * t * y1 + 3.0 * u * t * t * y2 + t * t * t * y2;
    (x, y)
}

fn path(x1: f64, y1: f64, x2: f64, y2: f64) -> String {
    let bend = ((x2 - x1).abs() / 2.0).max(40.0);
    format!("M{x1},{y1} C{},{y1} {},{y2} {x2},{y2}", x1 + bend, x2 - bend)
}

/// The message drawn nearest to canvas point (x, y), if one is within reach
/// of the pointer. A publish's flight to an exchange names no message yet.
fn flight_at(ctx: Ctx, x: f64, y: f64) -> Option<MessageRef> {
    const REACH: f64 = 12.0;
    let at = ctx.display_ms.get_untracked();
    ctx.editor.with_untracked(|e| {
        ctx.sim.with_value(|s| {
            s.flights()
                .filter(|f| !matches!(f.message, MessageRef::Rabbit(0)))
                .filter_map(|f| {
                    let edge = e.topology.edge(f.edge)?;
                    let (x1, y1, x2, y2) = anchors(&e.topology, edge.from, edge.to)?;
                    let t = ((at - f.start_ms as f64) / FLIGHT_MS as f64).clamp(0.0, 1.0);
                    let (fx, fy) = bezier(x1, y1, x2, y2, t);
                    let d = ((fx - x).powi(2) + (fy - y).powi(2)).sqrt();
                    (d <= REACH).then(|| (d, f.message.clone()))
                })
                .min_by(|a, b| a.0.total_cmp(&b.0))
                .map(|(_, m)| m)
        })
    })
}

/// Edges with their binding keys, the wire being dragged, and messages in flight.
#[component]
fn Edges(
    /// The playground's shared signals.
    ctx: Ctx,
) -> impl IntoView {
    let edges = move || {
        ctx.editor.with(|e| {
            let t = &e.topology;
            t.edges
                .iter()
                .filter_map(|edge| {
                    let (x1, y1, x2, y2) = anchors(t, edge.from, edge.to)?;
                    let id = edge.id;
                    let selected = e.selection == Selection::Edge(id);
                    let label = match edge.role {
                        EdgeRole::QueueBinding | EdgeRole::ExchangeBinding => {
                            let args = if edge.arguments.is_empty() { String::new() } else { format!(" [{}]", edge.arguments) };
                            format!("{}{args}", edge.binding_key)
                        }
                        _ => String::new(),
                    };
                    let (mx, my) = bezier(x1, y1, x2, y2, 0.62);
                    Some(view! {
                        <g class="pg-edge" class:selected=selected
                            on:pointerdown=move |ev| { ev.stop_propagation(); ctx.editor.update(|e| e.selection = Selection::Edge(id)); }>
                            <path class="pg-edge-hit" d=path(x1, y1, x2, y2) />
                            <path class="pg-edge-line" d=path(x1, y1, x2, y2) marker-end="url(#pg-arrow)" />
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
    let flights = Memo::new(move |_| {
        let at = ctx.display_ms.get();
        ctx.editor.with(|e| {
            ctx.sim.with_value(|s| {
                let (mut rabbit, mut kafka, mut count) = (String::new(), String::new(), 0usize);
                for f in s.flights() {
                    let Some(edge) = e.topology.edge(f.edge) else { continue };
                    let Some((x1, y1, x2, y2)) = anchors(&e.topology, edge.from, edge.to) else { continue };
                    let t = ((at - f.start_ms as f64) / FLIGHT_MS as f64).clamp(0.0, 1.0);
                    let (x, y) = bezier(x1, y1, x2, y2, t);
                    let d = if matches!(f.message, MessageRef::Kafka { .. }) { &mut kafka } else { &mut rabbit };
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
                    if let Some(m) = flight_at(ctx, x, y) {
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
    let title = move || node.with(|n| n.as_ref().map(|n| n.title()).unwrap_or_default());
    let name = move || node.with(|n| n.as_ref().map(|n| n.name.clone()).unwrap_or_default());
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
                            view! { <button type="button" on:click=move |_| ctx.act(Action::CrashBroker(broker))>{format!("Crash broker {broker}")}</button> }.into_any()
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
            view! { <ul class="pg-stats">{lines}</ul> {lists} }
        })
    };
    view! {
        <div class=kind_class class:selected=selected class:down=move || readout.with(|r| r.down)
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
                    <span class="pg-kind">{move || kind().map(|k| k.label()).unwrap_or_default()}</span>
                    <span class="pg-name">{name}</span>
                </button>
                <button type="button" class="pg-port" aria-label=move || format!("Connect from {}", name())
                    title="Drag to another node to connect"
                    on:pointerdown=move |ev| { ev.stop_propagation(); ctx.pointer_down(&ev, Drag::Connect { from: id, moved: false }); }
                    on:pointermove=move |ev| ctx.pointer_move(&ev)
                    on:pointerup=move |ev| ctx.pointer_up(&ev)
                    on:click=move |_| if !ctx.take_suppressed_click() { ctx.begin_connect(id) }>
                    "\u{2192}"
                </button>
            </div>
            {body}
            {actions}
        </div>
    }
}

/// A labelled text field that commits on change (Enter or leaving the field).
#[component]
fn Field(
    /// The visible label.
    label: &'static str,
    /// The current value.
    value: String,
    /// Called with the new text.
    on_commit: Callback<String>,
    /// The input type.
    #[prop(default = "text")]
    kind: &'static str,
) -> impl IntoView {
    view! {
        <label class="pg-field">
            <span>{label}</span>
            <input type=kind prop:value=value on:change=move |ev| on_commit.run(event_target_value(&ev)) />
        </label>
    }
}

/// A labelled select that commits on change.
#[component]
fn Choice(
    /// The visible label.
    label: &'static str,
    /// The options: value and text.
    options: Vec<(&'static str, &'static str)>,
    /// The selected value.
    value: &'static str,
    /// Called with the chosen value.
    on_commit: Callback<String>,
) -> impl IntoView {
    view! {
        <label class="pg-field">
            <span>{label}</span>
            <select on:change=move |ev| on_commit.run(event_target_value(&ev))>
                {options.into_iter().map(|(v, t)| view! { <option value=v selected=v == value>{t}</option> }).collect_view()}
            </select>
        </label>
    }
}

fn parse_num<T: std::str::FromStr>(ctx: Ctx, text: &str, what: &str) -> Option<T> {
    match text.trim().parse() {
        Ok(v) => Some(v),
        Err(_) => {
            ctx.notice.set(format!("{what} must be a whole number."));
            None
        }
    }
}

fn optional_num(ctx: Ctx, text: &str, what: &str) -> Option<Option<u32>> {
    if text.trim().is_empty() { Some(None) } else { parse_num(ctx, text, what).map(Some) }
}

/// The form for whatever is selected.
#[component]
fn Inspector(
    /// The playground's shared signals.
    ctx: Ctx,
) -> impl IntoView {
    // The form redraws when the selection or its name changes, not on every
    // edit, so focus stays in the field being edited.
    let selection = Memo::new(move |_| {
        ctx.history_moves.track();
        ctx.editor.with(|e| {
            let name = match e.selection {
                Selection::Node(id) => e.topology.node(id).map(|n| n.name.clone()),
                _ => None,
            };
            (e.selection, name, ctx.history_moves.get_untracked())
        })
    });
    let form = move || {
        match selection.get().0 {
        Selection::None => view! { <p class="pg-hint">"Select a part to edit it. Keys: arrows move, C connects, Delete removes, Ctrl+Z undoes."</p> }.into_any(),
        Selection::Node(id) => {
            let Some(node) = ctx.editor.with_untracked(|e| e.topology.node(id).cloned()) else { return ().into_any() };
            node_form(ctx, node).into_any()
        }
        Selection::Edge(id) => edge_form(ctx, id).into_any(),
    }
    };
    view! {
        <aside class="pg-inspector" aria-label="Inspector">
            <h2>"Inspector"</h2>
            {form}
            <Problems ctx />
        </aside>
    }
}

fn set_config(ctx: Ctx, id: NodeId, f: impl FnOnce(&mut NodeConfig)) {
    let Some(mut config) = ctx.editor.with_untracked(|e| e.topology.node(id).map(|n| n.config.clone())) else { return };
    f(&mut config);
    ctx.edit(|e| e.configure(id, config));
}

fn node_form(ctx: Ctx, node: super::model::Node) -> impl IntoView {
    let id = node.id;
    let title = node.title();
    let rename = Callback::new(move |v: String| {
        ctx.edit(|e| e.rename(id, &v));
    });
    let settings = match node.config.clone() {
        NodeConfig::Producer(p) => view! {
            <Field label="Routing key or record key" value=p.routing_key on_commit=Callback::new(move |v: String| set_config(ctx, id, |c| if let NodeConfig::Producer(p) = c { p.routing_key = v }))/>
            <Field label="Body" value=p.body on_commit=Callback::new(move |v: String| set_config(ctx, id, |c| if let NodeConfig::Producer(p) = c { p.body = v }))/>
            <Field label="Headers (name=value, ...)" value=p.headers on_commit=Callback::new(move |v: String| set_config(ctx, id, |c| if let NodeConfig::Producer(p) = c { p.headers = v }))/>
            <Field label="Rate (messages per second)" kind="number" value=p.rate.to_string() on_commit=Callback::new(move |v: String| if let Some(n) = parse_num::<u32>(ctx, &v, "The rate") { set_config(ctx, id, |c| if let NodeConfig::Producer(p) = c { p.rate = n.min(100_000) }) })/>
            <Field label="Burst size" kind="number" value=p.burst.to_string() on_commit=Callback::new(move |v: String| if let Some(n) = parse_num::<u32>(ctx, &v, "The burst size") { set_config(ctx, id, |c| if let NodeConfig::Producer(p) = c { p.burst = n.clamp(1, 1000) }) })/>
        }.into_any(),
        NodeConfig::Exchange(kind) => view! {
            <Choice label="Exchange type" value=kind.as_str()
                options=vec![("direct", "direct"), ("fanout", "fanout"), ("topic", "topic"), ("headers", "headers")]
                on_commit=Callback::new(move |v: String| {
                    let kind = match v.as_str() { "fanout" => ExchangeKind::Fanout, "topic" => ExchangeKind::Topic, "headers" => ExchangeKind::Headers, _ => ExchangeKind::Direct };
                    set_config(ctx, id, |c| *c = NodeConfig::Exchange(kind));
                }) />
        }.into_any(),
        NodeConfig::Queue(q) => view! {
            <Field label="Message TTL (ms)" kind="number" value=q.message_ttl.map(|v| v.to_string()).unwrap_or_default() on_commit=Callback::new(move |v: String| if let Some(n) = optional_num(ctx, &v, "The TTL") { set_config(ctx, id, |c| if let NodeConfig::Queue(q) = c { q.message_ttl = n }) })/>
            <Field label="Max length" kind="number" value=q.max_length.map(|v| v.to_string()).unwrap_or_default() on_commit=Callback::new(move |v: String| if let Some(n) = optional_num(ctx, &v, "The max length") { set_config(ctx, id, |c| if let NodeConfig::Queue(q) = c { q.max_length = n }) })/>
            <Field label="Dead-letter exchange" value=q.dead_letter_exchange on_commit=Callback::new(move |v: String| set_config(ctx, id, |c| if let NodeConfig::Queue(q) = c { q.dead_letter_exchange = v }))/>
        }.into_any(),
        NodeConfig::Consumer(s) => view! {
            <Field label="Processing time (ms)" kind="number" value=s.processing_ms.to_string() on_commit=Callback::new(move |v: String| if let Some(n) = parse_num::<u32>(ctx, &v, "The processing time") { set_config(ctx, id, |c| if let NodeConfig::Consumer(s) = c { s.processing_ms = n.min(600_000) }) })/>
            <Field label="Prefetch" kind="number" value=s.prefetch.to_string() on_commit=Callback::new(move |v: String| if let Some(n) = parse_num::<u16>(ctx, &v, "The prefetch") { set_config(ctx, id, |c| if let NodeConfig::Consumer(s) = c { s.prefetch = n }) })/>
            <Choice label="Ack mode" value=if s.ack_mode == AckMode::Auto { "auto" } else { "manual" }
                options=vec![("manual", "manual (basic.ack)"), ("auto", "automatic (no_ack)")]
                on_commit=Callback::new(move |v: String| set_config(ctx, id, |c| if let NodeConfig::Consumer(s) = c { s.ack_mode = if v == "auto" { AckMode::Auto } else { AckMode::Manual } })) />
            <Choice label="Failure" value=match s.failure { Failure::None => "none", Failure::Crash => "crash", Failure::Nack => "nack", Failure::Slow => "slow" }
                options=vec![("none", "none"), ("crash", "crash while processing"), ("nack", "reject (nack, no requeue; Kafka: seek back)"), ("slow", "slow down 5\u{d7}")]
                on_commit=Callback::new(move |v: String| set_config(ctx, id, |c| if let NodeConfig::Consumer(s) = c {
                    s.failure = match v.as_str() { "crash" => Failure::Crash, "nack" => Failure::Nack, "slow" => Failure::Slow, _ => Failure::None };
                })) />
        }.into_any(),
        NodeConfig::Topic(t) => view! {
            <Field label="Partitions" kind="number" value=t.partitions.to_string() on_commit=Callback::new(move |v: String| if let Some(n) = parse_num::<u32>(ctx, &v, "Partitions") { set_config(ctx, id, |c| if let NodeConfig::Topic(t) = c { t.partitions = n }) })/>
            <Field label="Replication factor" kind="number" value=t.replication_factor.to_string() on_commit=Callback::new(move |v: String| if let Some(n) = parse_num::<u32>(ctx, &v, "The replication factor") { set_config(ctx, id, |c| if let NodeConfig::Topic(t) = c { t.replication_factor = n }) })/>
        }.into_any(),
        NodeConfig::Broker => view! { <p>"Broker id " {ctx.editor.with_untracked(|e| e.topology.broker_id(id)).unwrap_or_default()} ". Crash and restart it from its card."</p> }.into_any(),
        NodeConfig::Group => view! { <p>"The group id is its name. Connect a topic to subscribe, and consumers to add members."</p> }.into_any(),
    };
    let connections = ctx.editor.with_untracked(|e| {
        let t = &e.topology;
        t.edges
            .iter()
            .filter(|edge| edge.from == id || edge.to == id)
            .map(|edge| {
                let eid = edge.id;
                let name = |n| t.node(n).map(|n| n.name.clone()).unwrap_or_default();
                let text = format!("{} \u{2192} {}", name(edge.from), name(edge.to));
                let key = if edge.role.is_binding() { format!(" (key \u{201c}{}\u{201d})", edge.binding_key) } else { String::new() };
                view! {
                    <li>
                        {text.clone()}{key}" "
                        <button type="button" aria-label=format!("Edit {text}") on:click=move |_| ctx.editor.update(|e| e.selection = Selection::Edge(eid))>"Edit"</button>
                        <button type="button" aria-label=format!("Remove {text}") on:click=move |_| { ctx.editor.update(|e| { e.delete_edge(eid); }); }>"Remove"</button>
                    </li>
                }
            })
            .collect_view()
    });
    view! {
        <h3>{title.clone()}</h3>
        <Field label="Name" value=node.name.clone() on_commit=rename />
        {settings}
        <h4>"Connections"</h4>
        <ul class="pg-connections">{connections}</ul>
        <button type="button" class="pg-danger" aria-keyshortcuts="Delete" on:click=move |_| { ctx.editor.update(|e| { e.delete_node(id); }); }>{format!("Delete {title}")}</button>
    }
}

fn edge_form(ctx: Ctx, id: super::model::EdgeId) -> impl IntoView {
    let Some((edge, from, to)) = ctx.editor.with_untracked(|e| {
        let edge = e.topology.edge(id)?.clone();
        let name = |n| e.topology.node(n).map(|n| n.name.clone());
        Some((edge.clone(), name(edge.from)?, name(edge.to)?))
    }) else {
        return ().into_any();
    };
    let binding = edge.role.is_binding();
    let heading =
        if binding { format!("Binding {from} \u{2192} {to}") } else { format!("Connection {from} \u{2192} {to}") };
    let arguments = edge.arguments.clone();
    let key = edge.binding_key.clone();
    view! {
        <h3>{heading.clone()}</h3>
        {binding.then(|| view! {
            <Field label="Binding key" value=key.clone() on_commit=Callback::new(move |v: String| {
                let args = ctx.editor.with_untracked(|e| e.topology.edge(id).map(|e| e.arguments.clone())).unwrap_or_default();
                ctx.edit(|e| e.set_binding(id, &v, &args));
            }) />
            <Field label="Binding arguments (name=value, ...)" value=arguments.clone() on_commit=Callback::new(move |v: String| {
                let key = ctx.editor.with_untracked(|e| e.topology.edge(id).map(|e| e.binding_key.clone())).unwrap_or_default();
                ctx.edit(|e| e.set_binding(id, &key, &v));
            }) />
        })}
        <button type="button" class="pg-danger" aria-keyshortcuts="Delete" on:click=move |_| { ctx.editor.update(|e| { e.delete_edge(id); }); }>{format!("Delete {heading}")}</button>
    }
    .into_any()
}

/// Engine errors met while declaring the topology, in the engines' words.
#[component]
fn Problems(
    /// The playground's shared signals.
    ctx: Ctx,
) -> impl IntoView {
    let problems = Memo::new(move |_| {
        ctx.frame.track();
        ctx.editor.track();
        ctx.sim.with_value(|s| s.problems().to_vec())
    });
    view! {
        <Show when=move || problems.with(|p| !p.is_empty())>
            <section class="pg-problems" aria-label="Problems">
                <h3>"Problems"</h3>
                <ul>{move || problems.get().into_iter().map(|p| view! { <li>{p}</li> }).collect_view()}</ul>
            </section>
        </Show>
    }
}

/// The live, filterable event log.
#[component]
fn EventLog(
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

/// The selected message: its history and the engine's explanation.
#[component]
fn MessagePanel(
    /// The playground's shared signals.
    ctx: Ctx,
) -> impl IntoView {
    let explanation = Memo::new(move |_| {
        ctx.frame.track();
        let m = ctx.message.get()?;
        ctx.sim.with_value(|s| s.explain(&m))
    });
    view! {
        <section class="pg-message" aria-label="Message details">
            <h2>"Message"</h2>
            {move || match explanation.get() {
                None => view! { <p class="pg-hint">"Click a message in a queue or a record in a partition to see its history and why it went where it did."</p> }.into_any(),
                Some(e) => view! {
                    <h3>{e.title}</h3>
                    <ul>{e.facts.into_iter().map(|f| view! { <li>{f}</li> }).collect_view()}</ul>
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
