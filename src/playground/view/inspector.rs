//! The inspector: the selected node's or edge's settings as labelled fields
//! and choices, above the problems the engines met declaring the topology. A field commits on change; a number that does not parse is
//! refused with a notice rather than guessed.

use super::Ctx;
use crate::playground::model::{AckMode, Failure, NodeConfig, NodeId, Selection};
use brokerlab_rabbit::ExchangeKind;
use leptos::prelude::*;

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
    /// Shown but not editable (a part a challenge locks); editable by default.
    #[prop(optional)]
    readonly: bool,
) -> impl IntoView {
    view! {
        <label class="pg-field">
            <span>{label}</span>
            <input type=kind prop:value=value readonly=readonly on:change=move |ev| on_commit.run(event_target_value(&ev)) />
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
pub(super) fn Inspector(
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

fn node_form(ctx: Ctx, node: crate::playground::model::Node) -> impl IntoView {
    let id = node.id;
    let title = node.title();
    // Read without tracking, so the form is not redrawn on every edit.
    let locked = untrack(|| ctx.is_locked(id));
    let rename = Callback::new(move |v: String| {
        if !locked {
            ctx.edit(|e| e.rename(id, &v));
        }
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
        {locked.then(|| view! { <p class="pg-locked-note">"Locked by the challenge: it cannot be deleted or renamed."</p> })}
        <Field label="Name" value=node.name.clone() on_commit=rename readonly=locked />
        {settings}
        <h4>"Connections"</h4>
        <ul class="pg-connections">{connections}</ul>
        <button type="button" class="pg-danger" aria-keyshortcuts="Delete" disabled=locked on:click=move |_| ctx.delete_node(id)>{format!("Delete {title}")}</button>
    }
}

fn edge_form(ctx: Ctx, id: crate::playground::model::EdgeId) -> impl IntoView {
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
