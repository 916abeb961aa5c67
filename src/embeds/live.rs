//! A live scenario beside a lesson: the lesson's preset runs on the real
//! engines, one script step at a time or all at once, and the reader can add
//! messages or records of their own. Before a decisive step the preset's
//! question (see `super::predict`) stops the run until the reader predicts
//! or skips it. "Open in playground" carries the
//! scenario, with the reader's additions, to the full playground as a share
//! link.
//!
//! The logic a test can reach without a browser (labelling a script step,
//! building the reader's actions, summarising engine state) lives in plain
//! functions below the component.

use super::panel;
use super::predict::{AnswerView, Answered, Asking, QuestionForm, answer_key};
use crate::course::progress;
use crate::route::Route;
use brokerlab_scenario::{Action, Scenario, Session, presets};
use leptos::prelude::*;
use serde_json::{Value, json};

/// What the panel shows of the engines after each step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot {
    /// RabbitMQ queues: name and the bodies of their ready messages, in order.
    pub queues: Vec<(String, Vec<String>)>,
    /// Kafka partitions: "topic-partition" and "offset: key → value" lines.
    pub partitions: Vec<(String, Vec<String>)>,
    /// Each partition's leader and in-sync replicas, each broker that is
    /// down, and what each Kafka consumer owns, one line each.
    pub cluster: Vec<String>,
    /// What each RabbitMQ consumer holds.
    pub consumers: Vec<String>,
    /// What the last step did, one line per engine event, or its refusal.
    pub last: Vec<String>,
}

/// A scenario being run in the panel: the session and the scenario as it
/// now stands (the preset plus the reader's own actions).
struct Live {
    scenario: Scenario,
    session: Session,
}

impl Live {
    fn start(scenario: Scenario) -> Result<Self, String> {
        let session = scenario.start().map_err(|e| e.to_string())?;
        Ok(Self { scenario, session })
    }
}

/// One live scenario, by preset id, embedded in a lesson.
#[component]
pub fn LiveScenario(
    /// The preset's id, as named in the lesson's front matter.
    id: &'static str,
) -> impl IntoView {
    let Some(preset) = presets::get(id) else {
        return view! { <p class="error" role="alert">{format!("The live scenario “{id}” is missing from this build.")}</p> }
            .into_any();
    };
    let title = preset.title.clone();
    let description = preset.description.clone();
    let release = release_line(&preset);
    let heading_id = format!("live-{id}");
    let labelled_by = heading_id.clone();
    let live = StoredValue::new_local(Live::start(preset.clone()));
    let state =
        RwSignal::new(live.with_value(|l| l.as_ref().map(|l| full_snapshot(&l.scenario, &l.session, Vec::new())).ok()));
    let tools =
        RwSignal::new(live.with_value(|l| l.as_ref().map(|l| Tools::of(&l.scenario, &l.session)).unwrap_or_default()));
    let error = RwSignal::new(live.with_value(|l| l.as_ref().err().cloned()));
    let position = RwSignal::new(0usize);
    let total = preset.script.len();
    let finished = move || position.get() >= total;
    let link = RwSignal::new(Route::Playground(Some(preset.to_link())).href());

    // The preset's questions, and which of them this run has asked.
    let questions = StoredValue::new(presets::predictions(id));
    let asking = RwSignal::new(Asking::default());
    let pending = move || questions.with_value(|q| asking.with(|a| a.pending(q, position.get())));
    let answered = RwSignal::new(None::<Answered>);

    let refresh = move |last: Vec<String>| {
        live.with_value(|l| {
            if let Ok(l) = l {
                state.set(Some(full_snapshot(&l.scenario, &l.session, last)));
                tools.set(Tools::of(&l.scenario, &l.session));
                position.set(l.session.position());
                link.set(Route::Playground(Some(l.scenario.to_link())).href());
            }
        });
    };
    // Runs script steps while `go_on(position)` holds, stopping before any
    // step whose question has not been asked; returns every line they said.
    let run_while = move |go_on: &dyn Fn(usize) -> bool| {
        let mut lines = Vec::new();
        live.update_value(|l| {
            let Ok(l) = l else { return };
            while go_on(l.session.position())
                && questions.with_value(|q| asking.with_untracked(|a| a.pending(q, l.session.position()))).is_none()
            {
                let Some(outcome) = l.session.step() else { break };
                lines = describe_outcome(&outcome);
            }
        });
        lines
    };
    let step = move |_| {
        answered.set(None);
        let start = position.get_untracked();
        let last = run_while(&|p| p == start);
        refresh(last);
    };
    let run_all = move |_| {
        answered.set(None);
        let last = run_while(&|_| true);
        refresh(last);
    };
    let preset_for_answer = preset.clone();
    let answer = Callback::new(move |picks: Option<Vec<usize>>| {
        let Some(n) = questions.with_value(|q| asking.with_untracked(|a| a.pending(q, position.get_untracked())))
        else {
            return;
        };
        let Some(question) = questions.with_value(|q| q.get(n).cloned()) else { return };
        asking.update(|a| a.done(n));
        answered.set(None);
        if let Some(picks) = picks {
            match Answered::judge(&preset_for_answer, n, &question, picks) {
                Ok(judged) => {
                    let stored: Vec<u32> = judged.picked.iter().map(|p| *p as u32).collect();
                    progress::record_answer(&answer_key(id, n), &stored);
                    answered.set(Some(judged));
                }
                Err(e) => error.set(Some(format!("This question could not be judged: {e}"))),
            }
        }
        let through = question.through();
        let last = run_while(&|p| p <= through);
        refresh(last);
    });
    let preset_for_reset = preset.clone();
    let reset = move |_| {
        live.set_value(Live::start(preset_for_reset.clone()));
        asking.update(Asking::reset);
        answered.set(None);
        refresh(Vec::new());
    };

    // The reader's own message: a publish for RabbitMQ scenarios, a produce
    // for Kafka ones, applied live and appended to the shared scenario.
    let targets = StoredValue::new(reader_targets(&preset));
    let chosen = RwSignal::new(0usize);
    let key = RwSignal::new(targets.with_value(|t| t.first().map(|t| t.default_key.clone()).unwrap_or_default()));
    let body = RwSignal::new("hello".to_owned());
    let persistent = RwSignal::new(false);
    // Applies the reader's own actions after the preset, and keeps them in
    // the scenario that "Open in playground" carries.
    let apply = move |actions: Vec<Action>| {
        let mut last = Vec::new();
        live.update_value(|l| {
            if let Ok(l) = l {
                // Finish the preset first so the reader's actions land after it.
                l.session.run_to_end();
                for action in &actions {
                    let outcome = l.session.apply(action);
                    l.scenario.script.push(action.clone());
                    last.extend(describe_outcome(&outcome));
                }
            }
        });
        error.set(None);
        refresh(last);
    };
    let send = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Some(target) = targets.with_value(|t| t.get(chosen.get_untracked()).cloned()) else { return };
        match reader_actions(&target, &key.get_untracked(), &body.get_untracked(), persistent.get_untracked()) {
            Ok(actions) => apply(actions),
            Err(e) => error.set(Some(e)),
        }
    };
    let is_exchange =
        move || targets.with_value(|t| t.get(chosen.get()).is_some_and(|t| t.kind == TargetKind::Exchange));

    // The same topology on a small running canvas, mounted on request so a
    // lesson's first paint stays light.
    let canvas_open = RwSignal::new(false);
    let canvas = move || {
        canvas_open.get().then(|| {
            let initial = live.with_value(|l| match l {
                Ok(l) => crate::playground::scenario::to_topology(&l.scenario),
                Err(_) => crate::playground::model::Topology::default(),
            });
            view! {
                <div class="live-canvas">
                    <crate::playground::view::PlaygroundView initial compact=true />
                </div>
            }
        })
    };

    view! {
        <section class="live" aria-labelledby=labelled_by>
            <h2 id=heading_id>{format!("Try it live: {title}")}</h2>
            <p class="live-description">{description}</p>
            {release.map(|r| view! { <p class="live-release">{format!("Runs as {r}")}</p> })}
            <div class="live-controls" role="group" aria-label=format!("Run {title}")>
                <button type="button" on:click=step disabled=move || finished() || pending().is_some()>"Step"</button>
                <button type="button" on:click=run_all disabled=move || finished() || pending().is_some()>"Run to the end"</button>
                <button type="button" on:click=reset>"Reset"</button>
                <span class="live-position" aria-live="polite">{move || format!("Step {} of {total}", position.get())}</span>
                <a class="live-open" href=move || link.get()>"Open in playground"</a>
            </div>
            {move || {
                pending()
                    .and_then(|n| questions.with_value(|q| q.get(n).cloned()).map(|q| (n, q)))
                    .map(|(index, question)| view! { <QuestionForm preset=id index question on_answer=answer /> })
            }}
            <div aria-live="polite">{move || answered.get().map(|a| view! { <AnswerView answered=a /> })}</div>
            <button type="button" class="live-canvas-toggle" aria-expanded=move || canvas_open.get().to_string()
                on:click=move |_| canvas_open.update(|open| *open = !*open)>
                {move || if canvas_open.get() { "Hide the canvas" } else { "Watch it on a canvas" }}
            </button>
            {canvas}
            {targets
                .with_value(|all| all.first().cloned().map(|t| (t, all.clone())))
                .map(|(t, all)| {
                    let label = move || targets.with_value(|all| all.get(chosen.get()).map_or(t.key_label, |t| t.key_label));
                    let what = if all.iter().all(|t| t.kind == TargetKind::Topic) { "Topic" } else { "Exchange" };
                    let choose = move |ev: leptos::ev::Event| {
                        let index: usize = event_target_value(&ev).parse().unwrap_or(0);
                        chosen.set(index);
                        if let Some(target) = targets.with_value(|t| t.get(index).cloned()) {
                            key.set(target.default_key);
                        }
                    };
                    view! {
                        <form class="live-send" on:submit=send>
                            <label>
                                {what}
                                <select on:change=choose>
                                    {all
                                        .into_iter()
                                        .enumerate()
                                        .map(|(i, t)| view! { <option value=i.to_string()>{t.label()}</option> })
                                        .collect_view()}
                                </select>
                            </label>
                            <label>{label} <input type="text" prop:value=key on:input=move |ev| key.set(event_target_value(&ev)) /></label>
                            <label>"Body" <input type="text" prop:value=body on:input=move |ev| body.set(event_target_value(&ev)) /></label>
                            <Show when=is_exchange>
                                <label class="live-check">
                                    <input type="checkbox" prop:checked=persistent on:change=move |ev| persistent.set(event_target_checked(&ev)) />
                                    "Persistent"
                                </label>
                            </Show>
                            <button type="submit">{move || if is_exchange() { "Publish" } else { t.button }}</button>
                        </form>
                    }
                })}
            {move || error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
            {move || state.get().map(|s| view! { <SnapshotView snapshot=s /> })}
            <WhatJustHappened state />
            <ToolsView tools apply=Callback::new(apply) />
        </section>
    }
    .into_any()
}

/// What the reader can do to the scenario besides stepping it, worked out
/// after each step (see `super::panel`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Tools {
    groups: Vec<panel::ControlGroup>,
    bindings: Vec<(panel::BindingRow, Action)>,
    choices: Vec<(String, Vec<String>, Vec<String>)>,
    consumers: Vec<(brokerlab_scenario::ConsumerDef, bool)>,
}

impl Tools {
    fn of(scenario: &Scenario, session: &Session) -> Self {
        let bindings = panel::bindings(scenario, session)
            .into_iter()
            .map(|row| {
                let unbind = row.unbind(scenario);
                (row, unbind)
            })
            .collect();
        let states = panel::consumer_states(scenario, session);
        Self {
            groups: panel::controls(scenario, session),
            bindings,
            choices: panel::binding_choices(scenario, session),
            consumers: panel::rabbit_consumers(scenario).into_iter().zip(states).map(|(d, s)| (d, s.online)).collect(),
        }
    }
}

/// The panel's own controls: a button per control group, the exchanges'
/// bindings with a form to add one, and a consumer's prefetch.
#[component]
fn ToolsView(
    /// What the scenario offers now.
    tools: RwSignal<Tools>,
    /// Applies the actions of a pressed control.
    apply: Callback<Vec<Action>>,
) -> impl IntoView {
    let bind_vhost = RwSignal::new(0usize);
    let bind_exchange = RwSignal::new(String::new());
    let bind_queue = RwSignal::new(String::new());
    let bind_key = RwSignal::new(String::new());
    let choice = move || tools.with(|t| t.choices.get(bind_vhost.get()).cloned());
    let add_binding = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Some((vhost, exchanges, queues)) = choice() else { return };
        let exchange =
            Some(bind_exchange.get_untracked()).filter(|x| exchanges.contains(x)).or(exchanges.first().cloned());
        let queue = Some(bind_queue.get_untracked()).filter(|q| queues.contains(q)).or(queues.first().cloned());
        if let (Some(exchange), Some(queue)) = (exchange, queue) {
            apply.run(vec![panel::bind(&vhost, &exchange, &queue, bind_key.get_untracked().trim())]);
        }
    };
    let prefetch_of = RwSignal::new(0usize);
    let prefetch = RwSignal::new("1".to_owned());
    let set_prefetch = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Some((def, online)) = tools.with_untracked(|t| t.consumers.get(prefetch_of.get_untracked()).cloned())
        else {
            return;
        };
        let count = prefetch.get_untracked().trim().parse::<u16>().unwrap_or(0);
        apply.run(panel::set_prefetch(&def, online, count));
    };
    view! {
        <div class="live-tools">
            <h3>"Do it yourself"</h3>
            {move || {
                tools
                    .get()
                    .groups
                    .into_iter()
                    .filter(|g| !g.controls.is_empty())
                    .map(|g| {
                        view! {
                            <div class="live-controls live-tool-group" role="group" aria-label=g.label.clone()>
                                <span class="live-tool-label" aria-hidden="true">{g.label.clone()}</span>
                                {g.controls
                                    .into_iter()
                                    .map(|c| {
                                        let actions = c.actions;
                                        view! { <button type="button" on:click=move |_| apply.run(actions.clone())>{c.label}</button> }
                                    })
                                    .collect_view()}
                            </div>
                        }
                    })
                    .collect_view()
            }}
            <Show when=move || tools.with(|t| !t.consumers.is_empty())>
                <form class="live-send" aria-label="Set a consumer's prefetch" on:submit=set_prefetch>
                    <label>
                        "Consumer"
                        <select on:change=move |ev| prefetch_of.set(event_target_value(&ev).parse().unwrap_or(0))>
                            {move || {
                                tools
                                    .get()
                                    .consumers
                                    .into_iter()
                                    .enumerate()
                                    .map(|(i, (d, _))| view! { <option value=i.to_string() selected=move || prefetch_of.get() == i>{d.tag}</option> })
                                    .collect_view()
                            }}
                        </select>
                    </label>
                    <label>"Prefetch (0 for no limit)" <input type="number" min="0" max="65535" prop:value=prefetch on:input=move |ev| prefetch.set(event_target_value(&ev)) /></label>
                    <button type="submit">"Set prefetch"</button>
                </form>
            </Show>
            <Show when=move || tools.with(|t| !t.bindings.is_empty() || !t.choices.is_empty())>
                <div class="live-bindings">
                    <h3>"Bindings"</h3>
                    <ul aria-label="Bindings">
                        {move || {
                            tools
                                .get()
                                .bindings
                                .into_iter()
                                .map(|(row, unbind)| {
                                    let label = row.remove_label();
                                    view! {
                                        <li>
                                            <span>{row.text()}</span>
                                            " "
                                            <button type="button" class="live-remove" aria-label=label on:click=move |_| apply.run(vec![unbind.clone()])>"Remove"</button>
                                        </li>
                                    }
                                })
                                .collect_view()
                        }}
                    </ul>
                    <Show when=move || choice().is_some()>
                        <form class="live-send" aria-label="Add a binding" on:submit=add_binding>
                            <Show when=move || tools.with(|t| t.choices.len() > 1)>
                                <label>
                                    "Vhost"
                                    <select on:change=move |ev| bind_vhost.set(event_target_value(&ev).parse().unwrap_or(0))>
                                        {move || tools.get().choices.into_iter().enumerate().map(|(i, (v, _, _))| view! { <option value=i.to_string()>{v}</option> }).collect_view()}
                                    </select>
                                </label>
                            </Show>
                            <label>
                                "Source exchange"
                                <select on:change=move |ev| bind_exchange.set(event_target_value(&ev))>
                                    {move || choice().map(|(_, xs, _)| xs.into_iter().map(|x| view! { <option value=x.clone() selected=move || bind_exchange.get() == x>{x.clone()}</option> }).collect_view())}
                                </select>
                            </label>
                            <label>
                                "Destination queue"
                                <select on:change=move |ev| bind_queue.set(event_target_value(&ev))>
                                    {move || choice().map(|(_, _, qs)| qs.into_iter().map(|q| view! { <option value=q.clone() selected=move || bind_queue.get() == q>{q.clone()}</option> }).collect_view())}
                                </select>
                            </label>
                            <label>"Binding key" <input type="text" prop:value=bind_key on:input=move |ev| bind_key.set(event_target_value(&ev)) /></label>
                            <button type="submit">"Add binding"</button>
                        </form>
                    </Show>
                </div>
            </Show>
        </div>
    }
}

/// The engines' state after a step, as lists a screen reader can walk.
#[component]
fn SnapshotView(
    /// What to show.
    snapshot: Snapshot,
) -> impl IntoView {
    let Snapshot { queues, partitions, cluster, consumers, .. } = snapshot;
    view! {
        <div class="live-state">
            {queues
                .into_iter()
                .map(|(name, bodies)| {
                    let count = bodies.len();
                    view! {
                        <div class="live-box">
                            <h3>{format!("Queue {name}")} <span class="count">{format!(": {count} ready")}</span></h3>
                            <ol aria-label=format!("Messages in queue {name}")>
                                {bodies.into_iter().map(|b| view! { <li>{b}</li> }).collect_view()}
                            </ol>
                        </div>
                    }
                })
                .collect_view()}
            {partitions
                .into_iter()
                .map(|(name, records)| {
                    view! {
                        <div class="live-box">
                            <h3>{format!("Partition {name}")}</h3>
                            <ol aria-label=format!("Records in partition {name}")>
                                {records.into_iter().map(|r| view! { <li>{r}</li> }).collect_view()}
                            </ol>
                        </div>
                    }
                })
                .collect_view()}
        </div>
        {(!consumers.is_empty()).then(|| view! {
            <ul class="live-facts" aria-label="Consumers">
                {consumers.into_iter().map(|line| view! { <li>{line}</li> }).collect_view()}
            </ul>
        })}
        {(!cluster.is_empty()).then(|| view! {
            <ul class="live-facts" aria-label="Leaders and owners">
                {cluster.into_iter().map(|line| view! { <li>{line}</li> }).collect_view()}
            </ul>
        })}
    }
}

/// What the last step or action did. The live region stays in the page
/// while its list is redrawn, so a screen reader reads each new outcome
/// (after the step counter) instead of missing a region that was replaced.
#[component]
fn WhatJustHappened(
    /// The state after the last step, if there is one yet.
    state: RwSignal<Option<Snapshot>>,
) -> impl IntoView {
    view! {
        <div class="live-last" hidden=move || state.with(Option::is_none)>
            <h3>"What just happened"</h3>
            <div aria-live="polite">
                {move || state.with(|s| s.as_ref().map(|s| s.last.clone())).map(|last| view! {
                    <ul aria-label="What just happened">
                        {last.into_iter().map(|line| view! { <li>{line}</li> }).collect_view()}
                    </ul>
                })}
            </div>
        </div>
    }
}

/// Summarises both engines' state for the panel.
/// The RabbitMQ release a scenario with a RabbitMQ part runs as, named
/// with the server version it behaves as: "RabbitMQ 4.3 (4.3.5)".
pub fn release_line(scenario: &Scenario) -> Option<String> {
    use crate::playground::model::Word;
    let r = &scenario.rabbitmq;
    (!r.queues.is_empty() || !r.exchanges.is_empty())
        .then(|| format!("RabbitMQ {} ({})", r.version.word(), r.version.server_version()))
}

pub fn snapshot_of(session: &Session, last: Vec<String>) -> Snapshot {
    let rabbit = session.rabbit();
    let queues = rabbit
        .vhosts()
        .iter()
        .flat_map(|vhost| rabbit.queues(vhost))
        .filter(|q| !q.name.starts_with("amq."))
        .map(|q| {
            // Queues of different vhosts may share a name; say whose each is.
            let name = if q.vhost == "/" { q.name.clone() } else { format!("{} in vhost {}", q.name, q.vhost) };
            (name, q.messages.iter().map(|m| m.body.clone()).collect())
        })
        .collect();
    let kafka = session.kafka();
    let mut partitions = Vec::new();
    for topic in kafka.topic_names() {
        let Ok(view) = kafka.topic(&topic) else { continue };
        for p in &view.partitions {
            let records = kafka
                .records(&topic, p.partition)
                .unwrap_or_default()
                .iter()
                .filter(|r| r.data.value.is_some() || r.data.key.is_some())
                .map(|r| {
                    let text = |b: &Option<Vec<u8>>| {
                        b.as_deref().map(String::from_utf8_lossy).unwrap_or("null".into()).into_owned()
                    };
                    format!("{}: {} → {}", r.offset, text(&r.data.key), text(&r.data.value))
                })
                .collect();
            partitions.push((format!("{topic}-{}", p.partition), records));
        }
    }
    Snapshot { queues, partitions, cluster: Vec::new(), consumers: Vec::new(), last }
}

/// [`snapshot_of`] with the lines that only make sense for the scenario's
/// own parts: partition leaders and consumer assignments for a Kafka part,
/// what each consumer holds for a RabbitMQ part.
pub fn full_snapshot(scenario: &Scenario, session: &Session, last: Vec<String>) -> Snapshot {
    let mut snap = snapshot_of(session, last);
    if !scenario.kafka.topics.is_empty() {
        let kafka = session.kafka();
        for b in kafka.brokers() {
            if !b.alive {
                snap.cluster.push(format!("Broker {} is down.", b.id));
            }
        }
        for topic in kafka.topic_names() {
            let Ok(view) = kafka.topic(&topic) else { continue };
            for p in &view.partitions {
                let leader =
                    p.leader.map(|l| format!("leader broker {l}")).unwrap_or_else(|| "no leader (offline)".to_owned());
                let isr = p.isr.iter().map(u32::to_string).collect::<Vec<_>>().join(", ");
                snap.cluster.push(format!("{topic}-{}: {leader}, in-sync replicas {isr}", p.partition));
            }
        }
        for c in &scenario.kafka.consumers {
            let Ok(view) = kafka.consumer(&c.name) else { continue };
            let line = if view.status != brokerlab_kafka::ClientStatus::Active {
                format!("Consumer {} ({}) is down.", c.name, c.group_id)
            } else if !view.in_group && view.subscription.is_empty() {
                format!("Consumer {} ({}) has not joined yet.", c.name, c.group_id)
            } else if view.assignment.is_empty() {
                format!("Consumer {} ({}) owns no partition.", c.name, c.group_id)
            } else {
                let owned: Vec<String> =
                    view.assignment.iter().map(|tp| format!("{}-{}", tp.topic, tp.partition)).collect();
                format!("Consumer {} ({}) owns {}.", c.name, c.group_id, owned.join(", "))
            };
            snap.cluster.push(line);
        }
    }
    snap.consumers = panel::consumer_states(scenario, session).iter().map(panel::ConsumerState::text).collect();
    snap
}

/// One line per thing a step did, or the engine's refusal.
pub fn describe_outcome(outcome: &brokerlab_scenario::StepOutcome) -> Vec<String> {
    let mut lines: Vec<String> = outcome
        .rabbit
        .iter()
        .map(|e| describe_rabbit(e).unwrap_or_else(|| describe_event(&serde_json::to_value(e))))
        .collect();
    lines.extend(
        outcome.kafka.iter().map(|e| describe_kafka(e).unwrap_or_else(|| describe_event(&serde_json::to_value(e)))),
    );
    if let Some(error) = &outcome.error {
        lines.push(format!("Refused: {error}"));
    }
    if lines.is_empty() {
        lines.push("Nothing changed.".to_owned());
    }
    lines
}

/// The RabbitMQ events a reader meets most, as sentences.
fn describe_rabbit(event: &brokerlab_rabbit::Event) -> Option<String> {
    use brokerlab_rabbit::Event as E;
    Some(match event {
        E::Published { exchange, routing_key, queues, .. } => {
            let to =
                if exchange.is_empty() { "the default exchange".to_owned() } else { format!("exchange {exchange}") };
            let reached = if queues.is_empty() {
                "no queue matched".to_owned()
            } else {
                format!("routed to {}", queues.iter().map(|q| q.as_ref()).collect::<Vec<_>>().join(", "))
            };
            format!("Published \u{201c}{routing_key}\u{201d} to {to}: {reached}.")
        }
        E::Enqueued { queue, message_id, cause: brokerlab_rabbit::EnqueueCause::Requeue { .. }, .. } => {
            format!("Message #{message_id} went back to queue {queue}.")
        }
        E::Enqueued { queue, message_id, .. } => format!("Message #{message_id} entered queue {queue}."),
        E::Delivered { consumer_tag, queue, message, delivery_tag, .. } => {
            let again = if message.redelivered { ", redelivered" } else { "" };
            format!(
                "Queue {queue} pushed message #{} \u{201c}{}\u{201d} to consumer {consumer_tag} (delivery tag {delivery_tag}{again}).",
                message.id, message.body
            )
        }
        E::GetOk { queue, message, .. } => {
            format!("basic.get took message #{} \u{201c}{}\u{201d} from queue {queue}.", message.id, message.body)
        }
        E::GetEmpty { queue, .. } => format!("basic.get found queue {queue} empty."),
        E::Acked { queue, message_id, .. } => format!("Message #{message_id} was acknowledged and left queue {queue}."),
        E::DeadLettered { queue, message_id, reason, exchange, .. } => format!(
            "Message #{message_id} was dead-lettered from queue {queue} ({}) to exchange {exchange}.",
            reason.as_str()
        ),
        E::Expired { queue, message_id, .. } => format!("Message #{message_id} expired in queue {queue}."),
        _ => return None,
    })
}

/// The Kafka events a reader meets most, as sentences.
fn describe_kafka(event: &brokerlab_kafka::Event) -> Option<String> {
    use brokerlab_kafka::Event as E;
    Some(match event {
        E::RecordAppended { producer, topic, partition, offset, .. } => {
            format!("{producer} appended a record to partition {topic}-{partition} at offset {offset}.")
        }
        E::RecordAcknowledged { producer, topic, partition, offset } => {
            format!("{producer}'s record at {topic}-{partition} offset {offset} was acknowledged.")
        }
        E::RecordsFetched { consumer, partition, from, to, count, .. } => {
            let offsets = if from == to { format!("offset {from}") } else { format!("offsets {from} to {to}") };
            let records = if *count == 1 { "1 record".to_owned() } else { format!("{count} records") };
            format!("{consumer} fetched {}-{} {offsets} ({records}).", partition.topic, partition.partition)
        }
        E::ProduceFailed { producer, topic, partition, error, will_retry } => {
            let then = if *will_retry { "it will retry" } else { "it gives up" };
            format!("{producer}'s send to {topic}-{partition} failed with {error:?}; {then}.")
        }
        E::HighWatermarkAdvanced { topic, partition, high_watermark } => {
            format!("The high watermark of {topic}-{partition} moved to {high_watermark}.")
        }
        E::TopicAutoCreated { topic, client, partitions, replication_factor } => format!(
            "{client} asked for topic {topic}, which did not exist: the broker auto-created it with {partitions} partition(s) and replication factor {replication_factor}."
        ),
        E::TopicAutoCreationFailed { topic, client, error } => {
            format!("{client} asked for topic {topic}; the controller refused to auto-create it: {error}.")
        }
        E::WaitingForMetadata { producer, topic, until } => {
            format!("{producer}'s send waits for topic {topic} to exist, until {until} ms (max.block.ms).")
        }
        E::SendFailed { producer, topic, error } => format!("{producer}'s send to {topic} failed: {error}"),
        _ => return None,
    })
}

/// Names an engine event and its scalar fields, e.g. `enqueued: queue=jobs`.
fn describe_event(value: &Result<Value, serde_json::Error>) -> String {
    let Ok(value) = value else { return "an event".to_owned() };
    match value {
        Value::Object(map) if map.len() == 1 => {
            let Some((name, fields)) = map.iter().next() else { return value.to_string() };
            let details: Vec<String> = match fields {
                Value::Object(fields) => fields
                    .iter()
                    .filter_map(|(k, v)| match v {
                        Value::String(s) => Some(format!("{k}={s}")),
                        Value::Number(n) => Some(format!("{k}={n}")),
                        Value::Bool(b) => Some(format!("{k}={b}")),
                        _ => None,
                    })
                    .take(5)
                    .collect(),
                _ => Vec::new(),
            };
            format!("{}: {}", humanise(name), details.join(", ")).trim_end_matches(": ").to_owned()
        }
        Value::String(name) => humanise(name),
        other => other.to_string(),
    }
}

fn humanise(name: &str) -> String {
    let mut out = String::new();
    for (i, c) in name.chars().enumerate() {
        if c.is_uppercase() && i > 0 {
            out.push(' ');
        }
        out.push(c.to_ascii_lowercase());
    }
    out.replace('_', " ")
}

/// Where the reader's own message goes in a scenario.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReaderTarget {
    kind: TargetKind,
    name: String,
    vhost: String,
    producer: String,
    default_key: String,
    key_label: &'static str,
    button: &'static str,
    /// How long the reader's send takes to reach the broker: a Kafka
    /// producer holds a record for its `linger.ms` (Kafka 4: 5 ms) before it
    /// sends the batch, so the embed lets that time pass after a produce.
    settle_ms: u64,
}

impl ReaderTarget {
    /// The time to let pass after the reader's action, if any.
    pub fn settle(&self) -> Option<Action> {
        (self.settle_ms > 0).then_some(Action::AdvanceTime { ms: self.settle_ms })
    }

    /// How the target reads in the list: its name, "the default exchange",
    /// and the vhost when it is not `/`.
    pub fn label(&self) -> String {
        let name = match self.kind {
            TargetKind::Exchange if self.name.is_empty() => "(default exchange)".to_owned(),
            TargetKind::Exchange => self.name.clone(),
            TargetKind::Topic => format!("topic {}", self.name),
        };
        if self.vhost == "/" || self.kind == TargetKind::Topic {
            name
        } else {
            format!("{name} in vhost {}", self.vhost)
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum TargetKind {
    Exchange,
    Topic,
}

/// Where the reader may send a message of their own: every exchange a
/// RabbitMQ scenario declares (each with the routing key of the script's
/// first publish to it), the default exchange of each vhost with queues
/// (keyed by its first queue), then every Kafka topic with the first
/// producer.
pub fn reader_targets(scenario: &Scenario) -> Vec<ReaderTarget> {
    let first_key = |vhost: &str, exchange: &str| {
        scenario.script.iter().find_map(|a| match a {
            Action::Publish { vhost: v, exchange: x, routing_key, .. } if v == vhost && x == exchange => {
                Some(routing_key.clone())
            }
            _ => None,
        })
    };
    let exchange = |vhost: &str, name: &str, fallback: &str| ReaderTarget {
        kind: TargetKind::Exchange,
        name: name.to_owned(),
        vhost: vhost.to_owned(),
        producer: String::new(),
        default_key: first_key(vhost, name).unwrap_or_else(|| fallback.to_owned()),
        key_label: "Routing key",
        button: "Publish",
        settle_ms: 0,
    };
    let r = &scenario.rabbitmq;
    let mut targets: Vec<ReaderTarget> = r.exchanges.iter().map(|x| exchange(&x.vhost, &x.name, "")).collect();
    let mut vhosts: Vec<&str> = Vec::new();
    for q in &r.queues {
        if !vhosts.contains(&q.vhost.as_str()) {
            vhosts.push(&q.vhost);
            targets.push(exchange(&q.vhost, "", &q.name));
        }
    }
    if let Some(producer) = scenario.kafka.producers.first() {
        let linger_ms = producer
            .configs
            .get("linger.ms")
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(brokerlab_kafka::KAFKA_4_LINGER_MS);
        targets.extend(scenario.kafka.topics.iter().map(|t| ReaderTarget {
            kind: TargetKind::Topic,
            name: t.name.clone(),
            vhost: String::new(),
            producer: producer.name.clone(),
            default_key: "key-1".to_owned(),
            key_label: "Key",
            button: "Produce",
            settle_ms: linger_ms,
        }));
    }
    targets
}

/// What the reader's Send does: the message, then, for a Kafka produce, the
/// producer's `linger.ms`, so the record is in the log when the panel redraws.
pub fn reader_actions(target: &ReaderTarget, key: &str, body: &str, persistent: bool) -> Result<Vec<Action>, String> {
    Ok(std::iter::once(reader_action(target, key, body, persistent)?).chain(target.settle()).collect())
}

/// Builds the reader's action; the key and body are plain text, never
/// interpreted. A persistent message is published with `delivery_mode` 2.
pub fn reader_action(target: &ReaderTarget, key: &str, body: &str, persistent: bool) -> Result<Action, String> {
    let value = match target.kind {
        TargetKind::Exchange => {
            let mut publish = json!({ "action": "publish", "vhost": target.vhost, "exchange": target.name, "routing_key": key, "body": body });
            if persistent {
                publish["properties"] = json!({ "delivery_mode": 2 });
            }
            publish
        }
        TargetKind::Topic => {
            let key = if key.is_empty() { Value::Null } else { Value::String(key.to_owned()) };
            json!({ "action": "produce", "producer": target.producer, "topic": target.name, "key": key, "value": body })
        }
    };
    serde_json::from_value(value).map_err(|e| format!("That message cannot be sent: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_lesson_scenario_is_a_preset_that_runs_to_the_end_without_refusals() {
        for (_, lesson) in crate::course::lessons() {
            for id in lesson.scenarios {
                let scenario =
                    presets::get(id).unwrap_or_else(|| panic!("{} names the unknown preset {id}", lesson.slug));
                let mut session = scenario.start().unwrap_or_else(|e| panic!("{id} does not start: {e}"));
                for outcome in session.run_to_end() {
                    assert_eq!(outcome.error, None, "{id} step {:?}", outcome.index);
                }
                assert!(session.is_finished(), "{id}");
            }
        }
    }

    #[test]
    fn a_preset_with_a_rabbitmq_part_names_the_release_it_runs_as() {
        let line = |id: &str| release_line(&presets::get(id).unwrap());
        assert_eq!(line("exchange-types").as_deref(), Some("RabbitMQ 4.3 (4.3.5)"));
        assert_eq!(line("durability-restart").as_deref(), Some("RabbitMQ 4.2 (4.2.9)"));
        let all = presets::all();
        let kafka_only = all.iter().find(|p| p.rabbitmq.queues.is_empty() && p.rabbitmq.exchanges.is_empty()).unwrap();
        assert_eq!(release_line(kafka_only), None, "{} has no RabbitMQ part", kafka_only.title);
    }

    #[test]
    fn the_exchange_types_preset_takes_the_readers_publish_on_its_first_exchange() {
        let scenario = presets::get("exchange-types").expect("preset exists");
        let targets = reader_targets(&scenario);
        let names: Vec<_> = targets.iter().map(ReaderTarget::label).collect();
        assert_eq!(names, ["direct-x", "fanout-x", "topic-x", "headers-x", "(default exchange)"]);
        let topic = &targets[2];
        assert_eq!((topic.button, topic.default_key.as_str()), ("Publish", "eu.orders.created"));
        let action = reader_action(topic, "eu.orders.paid", "<b>not html</b>", false).expect("a publish");
        let mut session = scenario.start().expect("starts");
        session.run_to_end();
        let outcome = session.apply(&action);
        assert_eq!(outcome.error, None);
        let snap = snapshot_of(&session, describe_outcome(&outcome));
        let eu = snap.queues.iter().find(|(name, _)| name == "eu-orders").expect("the eu-orders queue");
        assert_eq!(eu.1.last().map(String::as_str), Some("<b>not html</b>"), "eu.orders.paid matches eu.orders.*");
    }

    #[test]
    fn common_events_read_as_sentences() {
        let scenario = presets::get("exchange-types").expect("preset exists");
        let mut session = scenario.start().expect("starts");
        let first = session.step().expect("a first step");
        let lines = describe_outcome(&first);
        assert!(
            lines.iter().any(|l| l.starts_with("Published \u{201c}error\u{201d} to exchange direct-x: routed to")),
            "{lines:?}"
        );
        assert!(lines.iter().any(|l| l.starts_with("Message #") && l.contains("entered queue")), "{lines:?}");
    }

    #[test]
    fn a_kafka_scenario_takes_the_readers_record_on_its_first_topic() {
        let scenario = presets::get("key-partitioning").expect("preset exists");
        let target = reader_targets(&scenario).into_iter().next().expect("a Kafka scenario has a topic and a producer");
        assert_eq!(target.button, "Produce");
        let mut session = scenario.start().expect("starts");
        session.run_to_end();
        let outcome = session.apply(&reader_action(&target, "user-42", "clicked", false).expect("a produce"));
        assert_eq!(outcome.error, None);
        // The record waits in the producer for linger.ms (Kafka 4: 5 ms).
        assert_eq!(target.settle(), Some(Action::AdvanceTime { ms: 5 }));
        let snap = snapshot_of(&session, Vec::new());
        assert!(!snap.partitions.iter().any(|(_, records)| records.iter().any(|r| r.contains("user-42"))));
        let settled = session.apply(&target.settle().expect("a wait"));
        assert!(describe_outcome(&settled).iter().any(|l| l.contains("appended a record")), "{settled:?}");
        let snap = snapshot_of(&session, Vec::new());
        assert!(
            snap.partitions.iter().any(|(_, records)| records.iter().any(|r| r.contains("user-42 → clicked"))),
            "{snap:?}"
        );
    }

    #[test]
    fn a_scenario_without_exchanges_takes_publishes_on_each_vhosts_default_exchange_and_records_on_its_topics() {
        let scenario = presets::get("queue-vs-log").expect("preset exists");
        let labels: Vec<_> = reader_targets(&scenario).iter().map(ReaderTarget::label).collect();
        assert_eq!(labels, ["(default exchange)", "topic events"]);
        let scenario = presets::get("vhosts-channels").expect("preset exists");
        let targets = reader_targets(&scenario);
        let labels: Vec<_> = targets.iter().map(ReaderTarget::label).collect();
        assert_eq!(labels, ["(default exchange) in vhost shop", "(default exchange) in vhost billing"]);
        let mut session = scenario.start().expect("starts");
        session.run_to_end();
        let outcome = session.apply(&reader_action(&targets[1], "orders", "invoice 2", false).expect("a publish"));
        assert_eq!(outcome.error, None);
        let billing = session.rabbit().queue("billing", "orders").expect("billing's orders");
        assert_eq!(billing.messages.last().map(|m| m.body.as_str()), Some("invoice 2"));
    }

    #[test]
    fn a_persistent_publish_survives_a_restart_of_a_durable_queue() {
        let scenario = presets::get("durability-restart").expect("preset exists");
        let target = reader_targets(&scenario).pop().expect("the default exchange");
        let mut session = scenario.start().expect("starts");
        session.run_to_end();
        for (body, persistent) in [("kept", true), ("lost", false)] {
            let outcome = session.apply(&reader_action(&target, "durable-q", body, persistent).expect("a publish"));
            assert_eq!(outcome.error, None);
        }
        assert_eq!(session.apply(&Action::RestartRabbitmq).error, None);
        let bodies: Vec<_> =
            session.rabbit().queue("/", "durable-q").expect("durable").messages.into_iter().map(|m| m.body).collect();
        assert_eq!(bodies, ["kept"]);
    }

    #[test]
    fn the_snapshot_names_partition_leaders_and_what_each_consumer_owns() {
        let scenario = presets::get("consumer-group-rebalance").expect("preset exists");
        let mut session = scenario.start().expect("starts");
        session.run_to_end();
        let snap = full_snapshot(&scenario, &session, Vec::new());
        assert!(snap.cluster.iter().any(|l| l.starts_with("orders-0: leader broker ")), "{:?}", snap.cluster);
        assert!(snap.cluster.iter().any(|l| l == "Consumer c1 (billing) is down."), "{:?}", snap.cluster);
        assert!(
            snap.cluster.iter().any(|l| l.starts_with("Consumer c2 (billing) owns orders-0")),
            "{:?}",
            snap.cluster
        );
        let scenario = presets::get("prefetch-slow-consumer").expect("preset exists");
        let mut session = scenario.start().expect("starts");
        session.run_to_end();
        let snap = full_snapshot(&scenario, &session, Vec::new());
        assert!(
            snap.consumers.iter().any(|l| l.starts_with("slow on jobs (no prefetch limit): ")),
            "{:?}",
            snap.consumers
        );
    }

    #[test]
    fn events_are_named_in_plain_words() {
        let value = json!({"MessageEnqueued": {"queue": "jobs", "position": 2, "trace": {"x": 1}}});
        assert_eq!(describe_event(&Ok(value)), "message enqueued: position=2, queue=jobs");
    }
}
