//! The inspector: the selected node's or edge's settings as labelled fields
//! and choices, above the problems the engines met declaring the topology.
//! A field commits on change. A number that does not parse, or that the
//! brokers would refuse, is not guessed: [`Number`] keeps it in the field
//! and says why beside it. [`Choice`] offers an enumeration ([`Word`]) as a
//! select, [`Toggle`] a yes-or-no setting as a checkbox; the parsing rules
//! themselves are plain functions in `model::settings`.

use super::Ctx;
use crate::playground::model::{
    AckMode, Acks, CleanupPolicy, Failure, GroupProtocol, Isolation, NodeConfig, NodeId, OffsetReset, Partitioner,
    QueueType, Selection, StreamOffset, Word, max_age, optional_whole, retention, vhost_name, whole, whole_in,
};
use brokerlab_rabbit::ExchangeKind;
use leptos::prelude::*;
use std::sync::atomic::{AtomicU32, Ordering};

/// Numbers the error line of each [`Number`] and the select of each
/// [`Choice`], so an input or a label can point at it.
static FIELD_IDS: AtomicU32 = AtomicU32::new(1);

/// A labelled field for a value that can be refused (a number, a vhost): it
/// commits on change, and a refusal stays beside the field, announced
/// politely, until a value is accepted.
#[component]
fn Number(
    /// The visible label.
    label: &'static str,
    /// The current value.
    value: String,
    /// Called with the new text; says why a value is refused.
    on_commit: Callback<String, Result<(), String>>,
    /// The input type: `number` unless told.
    #[prop(default = "number")]
    kind: &'static str,
    /// Shown in the empty field: what leaving it empty means.
    #[prop(optional)]
    placeholder: &'static str,
) -> impl IntoView {
    let error = RwSignal::new(String::new());
    let id = format!("pg-field-error-{}", FIELD_IDS.fetch_add(1, Ordering::Relaxed));
    view! {
        <div class="pg-field">
            <label>
                <span>{label}</span>
                <input
                    type=kind
                    prop:value=value
                    placeholder=placeholder
                    aria-invalid=move || (!error.get().is_empty()).then_some("true")
                    aria-describedby=id.clone()
                    on:change=move |ev| error.set(on_commit.run(event_target_value(&ev)).err().unwrap_or_default())
                />
            </label>
            <span class="pg-field-error" id=id aria-live="polite">{move || error.get()}</span>
        </div>
    }
}

/// A labelled checkbox that commits on change.
#[component]
fn Toggle(
    /// The visible label.
    label: &'static str,
    /// Whether it is on; followed as it changes, since one setting may
    /// change another (`acks` turns idempotence on or off).
    #[prop(into)]
    checked: Signal<bool>,
    /// Called with the new state.
    on_commit: Callback<bool>,
) -> impl IntoView {
    view! {
        <label class="pg-field pg-toggle">
            <input type="checkbox" prop:checked=checked on:change=move |ev| on_commit.run(event_target_checked(&ev)) />
            <span>{label}</span>
        </label>
    }
}

/// An enumeration as a [`Choice`]: its words as values, its labels as text.
fn word_choice<W: Word + Send + Sync>(
    label: &'static str,
    value: W,
    set: impl Fn(W) + Send + Sync + 'static,
) -> impl IntoView {
    let options = W::ALL.iter().map(|w| (w.word(), w.label())).collect();
    let on_commit = Callback::new(move |v: String| {
        if let Some(w) = W::from_word(&v) {
            set(w);
        }
    });
    view! { <Choice label value=value.word() options on_commit /> }
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

/// A labelled select that commits on change. The label is tied to the
/// select by id rather than wrapped around it, so the options' text is not
/// part of its name.
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
    let id = format!("pg-choice-{}", FIELD_IDS.fetch_add(1, Ordering::Relaxed));
    view! {
        <div class="pg-field">
            <label for=id.clone()><span>{label}</span></label>
            <select id=id on:change=move |ev| on_commit.run(event_target_value(&ev))>
                {options.into_iter().map(|(v, t)| view! { <option value=v selected=v == value>{t}</option> }).collect_view()}
            </select>
        </div>
    }
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
        Selection::None => view! {
            <p class="pg-hint">"Select a part to edit it. Keys: arrows move, C connects, Delete removes, Ctrl+Z undoes."</p>
            <super::policies::Policies ctx />
        }.into_any(),
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
    let _ = try_config(ctx, id, f);
}

/// Changes a node's settings, or says why the editor refused.
fn try_config(ctx: Ctx, id: NodeId, f: impl FnOnce(&mut NodeConfig)) -> Result<(), String> {
    let Some(mut config) = ctx.editor.with_untracked(|e| e.topology.node(id).map(|n| n.config.clone())) else {
        return Ok(());
    };
    f(&mut config);
    match ctx.editor.try_update(|e| e.configure(id, config)) {
        Some(Err(e)) => Err(e.to_string()),
        _ => Ok(()),
    }
}

/// A yes-or-no setting of node `id` as it is now.
fn live(ctx: Ctx, id: NodeId, read: fn(&NodeConfig) -> bool) -> Signal<bool> {
    Signal::derive(move || ctx.editor.with(|e| e.topology.node(id).is_some_and(|n| read(&n.config))))
}

/// A [`Number`]'s commit: `parse` the text, then apply the value with `set`.
fn number<T: 'static>(
    ctx: Ctx,
    id: NodeId,
    parse: impl Fn(&str) -> Result<T, String> + Send + Sync + 'static,
    set: impl Fn(&mut NodeConfig, T) + Send + Sync + 'static,
) -> Callback<String, Result<(), String>> {
    Callback::new(move |text: String| {
        let v = parse(&text)?;
        try_config(ctx, id, |c| set(c, v))
    })
}

/// Applies `f` to the settings of a producer, queue, and so on.
macro_rules! with {
    ($variant:ident, |$s:ident| $body:expr) => {
        move |c: &mut NodeConfig| {
            if let NodeConfig::$variant($s) = c {
                $body;
            }
        }
    };
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
    // Kafka settings show for a producer or consumer that is, or may
    // become, a Kafka client: not for one already wired to RabbitMQ only.
    let kafka_client = ctx.editor.with_untracked(|e| e.topology.may_be_kafka_client(id));
    // A share consumer has none of a group member's settings: its share
    // group hands out records, not partitions, and it commits no offsets.
    let share_consumer = ctx.editor.with_untracked(|e| e.topology.share_group_of(id).is_some());
    // Stream settings show while the queue is a stream or the consumer
    // reads one, following the queue type as it is chosen.
    let is_stream = live(ctx, id, |c| matches!(c, NodeConfig::Queue(q) if q.queue_type == QueueType::Stream));
    let reads_stream = Signal::derive(move || ctx.editor.with(|e| e.topology.reads_stream(id)));
    let at_offset =
        live(ctx, id, |c| matches!(c, NodeConfig::Consumer(s) if matches!(s.stream_offset, StreamOffset::Offset(_))));
    let settings = match node.config.clone() {
        NodeConfig::Producer(p) => view! {
            <Field label="Routing key or record key" value=p.routing_key on_commit=Callback::new(move |v: String| set_config(ctx, id, with!(Producer, |p| p.routing_key = v)))/>
            <Field label="Body" value=p.body on_commit=Callback::new(move |v: String| set_config(ctx, id, with!(Producer, |p| p.body = v)))/>
            <Field label="Headers (name=value, ...)" value=p.headers on_commit=Callback::new(move |v: String| set_config(ctx, id, with!(Producer, |p| p.headers = v)))/>
            <Number label="Rate (messages per second)" value=p.rate.to_string() on_commit=number(ctx, id, |t| whole_in::<u32>(t, "The rate", 0..=100_000), |c, n| with!(Producer, |p| p.rate = n)(c))/>
            <Number label="Burst size" value=p.burst.to_string() on_commit=number(ctx, id, |t| whole_in::<u32>(t, "The burst size", 1..=1000), |c, n| with!(Producer, |p| p.burst = n)(c))/>
            <fieldset class="pg-settings" hidden=!kafka_client>
                <legend>"Kafka producer"</legend>
                {word_choice("acks", p.acks, move |a: Acks| set_config(ctx, id, with!(Producer, |p| p.set_acks(a))))}
                <Toggle label="Idempotent (enable.idempotence)" checked=live(ctx, id, |c| matches!(c, NodeConfig::Producer(p) if p.idempotence)) on_commit=Callback::new(move |on: bool| set_config(ctx, id, with!(Producer, |p| p.idempotence = on)))/>
                {word_choice("Partitioner", p.partitioner, move |v: Partitioner| set_config(ctx, id, with!(Producer, |p| p.partitioner = v)))}
                <Field label="Transactional id (empty: none)" value=p.transactional_id on_commit=Callback::new(move |v: String| set_config(ctx, id, with!(Producer, |p| p.transactional_id = v)))/>
                <Number label="Linger (linger.ms)" value=p.linger_ms.to_string() on_commit=number(ctx, id, |t| whole_in::<u32>(t, "The linger time", 0..=600_000), |c, n| with!(Producer, |p| p.linger_ms = n)(c))/>
            </fieldset>
        }.into_any(),
        NodeConfig::Exchange(x) => view! {
            <Choice label="Exchange type" value=x.kind.as_str()
                options=vec![("direct", "direct"), ("fanout", "fanout"), ("topic", "topic"), ("headers", "headers")]
                on_commit=Callback::new(move |v: String| {
                    let kind = match v.as_str() { "fanout" => ExchangeKind::Fanout, "topic" => ExchangeKind::Topic, "headers" => ExchangeKind::Headers, _ => ExchangeKind::Direct };
                    set_config(ctx, id, with!(Exchange, |x| x.kind = kind));
                }) />
            <Toggle label="Durable" checked=x.durable on_commit=Callback::new(move |on: bool| set_config(ctx, id, with!(Exchange, |x| x.durable = on)))/>
            <Field label="Alternate exchange" value=x.alternate_exchange on_commit=Callback::new(move |v: String| set_config(ctx, id, with!(Exchange, |x| x.alternate_exchange = v)))/>
            <Number label="Vhost" kind="text" value=x.vhost on_commit=number(ctx, id, vhost_name, |c, v| with!(Exchange, |x| x.vhost = v)(c))/>
        }.into_any(),
        NodeConfig::Queue(q) => view! {
            <Toggle label="Durable" checked=q.durable on_commit=Callback::new(move |on: bool| set_config(ctx, id, with!(Queue, |q| q.durable = on)))/>
            {word_choice("Queue type", q.queue_type, move |v: QueueType| set_config(ctx, id, with!(Queue, |q| q.queue_type = v)))}
            <Number label="Message TTL (ms)" value=q.message_ttl.map(|v| v.to_string()).unwrap_or_default() placeholder="none" on_commit=number(ctx, id, |t| optional_whole::<u32>(t, "The TTL", 0..=u32::MAX), |c, n| with!(Queue, |q| q.message_ttl = n)(c))/>
            <Number label="Max length" value=q.max_length.map(|v| v.to_string()).unwrap_or_default() placeholder="none" on_commit=number(ctx, id, |t| optional_whole::<u32>(t, "The max length", 0..=u32::MAX), |c, n| with!(Queue, |q| q.max_length = n)(c))/>
            <Field label="Dead-letter exchange" value=q.dead_letter_exchange on_commit=Callback::new(move |v: String| set_config(ctx, id, with!(Queue, |q| q.dead_letter_exchange = v)))/>
            <Field label="Dead-letter routing key" value=q.dead_letter_routing_key on_commit=Callback::new(move |v: String| set_config(ctx, id, with!(Queue, |q| q.dead_letter_routing_key = v)))/>
            <Number label="Delivery limit (quorum queues)" value=q.delivery_limit.map(|v| v.to_string()).unwrap_or_default() placeholder="none" on_commit=number(ctx, id, |t| optional_whole::<u32>(t, "The delivery limit", 0..=u32::MAX), |c, n| with!(Queue, |q| q.delivery_limit = n)(c))/>
            <Number label="Vhost" kind="text" value=q.vhost on_commit=number(ctx, id, vhost_name, |c, v| with!(Queue, |q| q.vhost = v)(c))/>
            <fieldset class="pg-settings" hidden=move || !is_stream.get()>
                <legend>"Stream retention"</legend>
                <Number label="Max length in bytes (x-max-length-bytes)" value=q.max_length_bytes.map(|v| v.to_string()).unwrap_or_default() placeholder="none" on_commit=number(ctx, id, |t| optional_whole::<u64>(t, "The max length in bytes", 0..=u64::MAX), |c, n| with!(Queue, |q| q.max_length_bytes = n)(c))/>
                <Number label="Max age (x-max-age)" kind="text" value=q.max_age placeholder="none (e.g. 7D, 30m)" on_commit=number(ctx, id, max_age, |c, v| with!(Queue, |q| q.max_age = v)(c))/>
            </fieldset>
            <QueueRun ctx id />
        }.into_any(),
        NodeConfig::Consumer(s) => view! {
            <Number label="Processing time (ms)" value=s.processing_ms.to_string() on_commit=number(ctx, id, |t| whole_in::<u32>(t, "The processing time", 0..=600_000), |c, n| with!(Consumer, |s| s.processing_ms = n)(c))/>
            <Number label="Prefetch" value=s.prefetch.to_string() on_commit=number(ctx, id, |t| whole::<u16>(t, "The prefetch"), |c, n| with!(Consumer, |s| s.prefetch = n)(c))/>
            <Choice label="Ack mode" value=if s.ack_mode == AckMode::Auto { "auto" } else { "manual" }
                options=vec![("manual", "manual (basic.ack)"), ("auto", "automatic (no_ack)")]
                on_commit=Callback::new(move |v: String| set_config(ctx, id, with!(Consumer, |s| s.ack_mode = if v == "auto" { AckMode::Auto } else { AckMode::Manual }))) />
            <Choice label="Failure" value=match s.failure { Failure::None => "none", Failure::Crash => "crash", Failure::Nack => "nack", Failure::Slow => "slow" }
                options=vec![("none", "none"), ("crash", "crash while processing"), ("nack", "reject (nack, no requeue; Kafka: seek back)"), ("slow", "slow down 5\u{d7}")]
                on_commit=Callback::new(move |v: String| set_config(ctx, id, with!(Consumer, |s| {
                    s.failure = match v.as_str() { "crash" => Failure::Crash, "nack" => Failure::Nack, "slow" => Failure::Slow, _ => Failure::None };
                }))) />
            <fieldset class="pg-settings" hidden=move || !reads_stream.get()>
                <legend>"Stream consumer"</legend>
                <Choice label="Stream offset (x-stream-offset)" value=s.stream_offset.word()
                    options=StreamOffset::WORDS.to_vec()
                    on_commit=Callback::new(move |v: String| set_config(ctx, id, with!(Consumer, |s| {
                        if let Some(o) = StreamOffset::from_word(&v, 0) { s.stream_offset = o; }
                    }))) />
                <div hidden=move || !at_offset.get()>
                    <Number label="Offset" value=match s.stream_offset { StreamOffset::Offset(n) => n.to_string(), _ => "0".into() }
                        on_commit=number(ctx, id, |t| whole::<u64>(t, "The offset"), |c, n| with!(Consumer, |s| s.stream_offset = StreamOffset::Offset(n))(c))/>
                </div>
            </fieldset>
            {share_consumer.then(|| view! { <p>"A share consumer: each poll acquires up to Prefetch records (max.poll.records) under a lock; it accepts each record once processed, or rejects it when it fails (nack)."</p> })}
            <fieldset class="pg-settings" hidden=!kafka_client || share_consumer>
                <legend>"Kafka group member"</legend>
                {word_choice("Offset reset (auto.offset.reset)", s.offset_reset, move |v: OffsetReset| set_config(ctx, id, with!(Consumer, |s| s.offset_reset = v)))}
                {word_choice("Isolation level", s.isolation, move |v: Isolation| set_config(ctx, id, with!(Consumer, |s| s.isolation = v)))}
                <Toggle label="Commit automatically (enable.auto.commit)" checked=s.auto_commit on_commit=Callback::new(move |on: bool| set_config(ctx, id, with!(Consumer, |s| s.auto_commit = on)))/>
                <Number label="Session timeout (ms)" value=s.session_timeout_ms.to_string() on_commit=number(ctx, id, |t| whole_in::<u32>(t, "The session timeout", 6_000..=1_800_000), |c, n| with!(Consumer, |s| s.session_timeout_ms = n)(c))/>
                <Number label="Heartbeat interval (ms)" value=s.heartbeat_ms.to_string() on_commit=number(ctx, id, |t| whole_in::<u32>(t, "The heartbeat interval", 1..=1_800_000), |c, n| with!(Consumer, |s| s.heartbeat_ms = n)(c))/>
                <Field label="Static member id (group.instance.id)" value=s.group_instance_id on_commit=Callback::new(move |v: String| set_config(ctx, id, with!(Consumer, |s| s.group_instance_id = v)))/>
                {word_choice("Group protocol", s.group_protocol, move |v: GroupProtocol| set_config(ctx, id, with!(Consumer, |s| s.group_protocol = v)))}
            </fieldset>
        }.into_any(),
        NodeConfig::Topic(t) => view! {
            <Number label="Partitions" value=t.partitions.to_string() on_commit=number(ctx, id, |v| whole_in::<u32>(v, "Partitions", 1..=64), |c, n| with!(Topic, |t| t.partitions = n)(c))/>
            <Number label="Replication factor" value=t.replication_factor.to_string() on_commit=number(ctx, id, |v| whole_in::<u32>(v, "The replication factor", 1..=9), |c, n| with!(Topic, |t| t.replication_factor = n)(c))/>
            <Number label="Min in-sync replicas" value=t.min_insync_replicas.map(|v| v.to_string()).unwrap_or_default() placeholder="1 (the cluster's)" on_commit=number(ctx, id, |v| optional_whole::<u32>(v, "Min in-sync replicas", 1..=9), |c, n| with!(Topic, |t| t.min_insync_replicas = n)(c))/>
            <Number label="Retention (ms)" value=t.retention_ms.to_string() on_commit=number(ctx, id, retention, |c, n| with!(Topic, |t| t.retention_ms = n)(c))/>
            {word_choice("Cleanup policy", t.cleanup_policy, move |v: CleanupPolicy| set_config(ctx, id, with!(Topic, |t| t.cleanup_policy = v)))}
        }.into_any(),
        NodeConfig::Broker => view! { <p>"Broker id " {ctx.editor.with_untracked(|e| e.topology.broker_id(id)).unwrap_or_default()} ". Crash and restart it from its card."</p> }.into_any(),
        NodeConfig::Group => view! { <p>"The group id is its name. Connect a topic to subscribe, and consumers to add members."</p> }.into_any(),
        NodeConfig::ShareGroup => view! { <p>"A share group (KIP-932, production-ready in Kafka 4.2). The group id is its name. Connect a topic to subscribe, and consumers to add share consumers: they read the same partitions together, each record locked to one of them until it is accepted, released or rejected."</p> }.into_any(),
    };
    let connections = ctx.editor.with_untracked(|e| {
        let t = &e.topology;
        t.edges
            .iter()
            .filter(|edge| edge.from == id || edge.to == id)
            .map(|edge| {
                let eid = edge.id;
                let text = super::connection_name(t, eid);
                view! {
                    <li>
                        {text.clone()}" "
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
        <HeldMessages ctx id />
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

/// The messages the part holds, as its card lists them, each a button that
/// explains it: full-size targets beside the canvas, whose chips shrink when
/// the view is zoomed out to fit.
#[component]
fn HeldMessages(
    /// The playground's shared signals.
    ctx: Ctx,
    /// Which part.
    id: NodeId,
) -> impl IntoView {
    let lists = Memo::new(move |_| {
        ctx.frame.track();
        ctx.sim.with_value(|s| s.readout(id).lists)
    });
    let name = ctx.editor.with_untracked(|e| e.topology.node(id).map(|n| n.name.clone()).unwrap_or_default());
    move || {
        let name = name.clone();
        lists.with(|lists| {
            lists
                .iter()
                .filter(|list| !list.items.is_empty())
                .map(|list| {
                    let label = if list.caption.is_empty() {
                        format!("Explain a message held by {name}")
                    } else {
                        format!("Explain a message held by {name}, {}", list.caption)
                    };
                    let items = list
                        .items
                        .iter()
                        .map(|(m, text)| {
                            let m = m.clone();
                            view! { <li><button type="button" on:click=move |_| ctx.message.set(Some(m.clone()))>{text.clone()}</button></li> }
                        })
                        .collect_view();
                    view! { <h4>{label.clone()}</h4><ol class="pg-held" aria-label=label>{items}</ol> }
                })
                .collect_view()
        })
    }
}

/// What the run says of a queue beside its settings: the RabbitMQ release
/// it behaves as and the queue's effective policy.
#[component]
fn QueueRun(
    /// The playground's shared signals.
    ctx: Ctx,
    /// Which queue.
    id: NodeId,
) -> impl IntoView {
    let facts = Memo::new(move |_| {
        ctx.frame.track();
        ctx.editor.track();
        ctx.sim.with_value(|s| s.queue_facts(id))
    });
    view! {
        <dl class="pg-queue-run" aria-label="In the run">
            <dt>"Release"</dt>
            <dd>{move || facts.with(|f| f.as_ref().map(|f| f.release.clone()).unwrap_or_default())}</dd>
            <dt>"Effective policy"</dt>
            <dd>{move || facts.with(|f| f.as_ref().map(|f| f.effective_policy.clone()).unwrap_or_default())}</dd>
        </dl>
    }
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
