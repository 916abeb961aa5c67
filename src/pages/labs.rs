//! The labs embedded in lessons: for the fourth module's patterns, delivery
//! semantics, retries with a dead-letter queue, the transactional outbox,
//! and event sourcing with CQRS (and, from `compare.rs`, one workload on both
//! brokers for the Kafka vs RabbitMQ lesson). Each runs a simulation from
//! `brokerlab-patterns` on the real engines; the reader injects crashes and
//! outages and reads the counters that show what each pattern guarantees.
//!
//! The words each lab shows (step narration, labels) come from plain
//! functions below the components, so native tests can check them.

use brokerlab_patterns::{
    CheckoutOutcome, Consistency, CrashPoint, DeliveryLab, DeliveryStep, EventSourcingLab, KafkaRetryLab, OutboxLab,
    OutboxSnapshot, OutboxStep, PatternError, RabbitRetryLab, RetryConfig, RetryLab, RetrySnapshot, RetryStep,
    Semantics, WriteMode, eventsourcing::AccountEventKind, outbox::ORDERS_TABLE, outbox::OUTBOX_TABLE,
};
use leptos::prelude::*;

/// The lab ids a lesson's front matter may name under `labs`.
pub const LAB_IDS: [&str; 5] = ["delivery", "retry", "outbox", "event-sourcing", "kafka-vs-rabbitmq"];

/// Steps "Run to the end" allows before it stops and says so.
const RUN_LIMIT: u32 = 2_000;

/// One lab, by id, embedded in a lesson.
#[component]
pub fn PatternLab(
    /// The lab's id, as named in the lesson's front matter.
    id: &'static str,
) -> impl IntoView {
    match id {
        "delivery" => view! { <DeliveryDemo /> }.into_any(),
        "retry" => view! { <RetryDemo /> }.into_any(),
        "outbox" => view! { <OutboxDemo /> }.into_any(),
        "event-sourcing" => view! { <EventSourcingDemo /> }.into_any(),
        "kafka-vs-rabbitmq" => view! { <crate::pages::compare::Comparison /> }.into_any(),
        other => view! { <p class="error" role="alert">{format!("The lab “{other}” is missing from this build.")}</p> }
            .into_any(),
    }
}

/// The lab's frame: a labelled region with a heading and a short description.
#[component]
fn LabFrame(id: &'static str, title: &'static str, description: &'static str, children: Children) -> impl IntoView {
    let heading = format!("lab-{id}");
    let labelled_by = heading.clone();
    view! {
        <section class="live lab" aria-labelledby=labelled_by>
            <h2 id=heading>{format!("Lab: {title}")}</h2>
            <p class="live-description">{description}</p>
            {children()}
        </section>
    }
}

/// The polite line that says what the last action did, and the alert for a
/// refusal.
#[component]
fn Narration(said: RwSignal<String>, error: RwSignal<Option<String>>) -> impl IntoView {
    view! {
        <p class="lab-said" role="status" aria-live="polite">{move || said.get()}</p>
        {move || error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
    }
}

/// A two-column table of named figures, each row readable as "name value".
#[component]
fn Figures(label: &'static str, rows: Signal<Vec<(String, String)>>) -> impl IntoView {
    view! {
        <table class="lab-figures" aria-label=label>
            <tbody>
                {move || {
                    rows.get()
                        .into_iter()
                        .map(|(name, value)| view! { <tr><th scope="row">{name}</th><td>{value}</td></tr> })
                        .collect_view()
                }}
            </tbody>
        </table>
    }
}

fn named(rows: Vec<(&'static str, String)>) -> Vec<(String, String)> {
    rows.into_iter().map(|(name, value)| (name.to_owned(), value)).collect()
}

/// A lab on the page: the simulation, what it draws, and what the last
/// action said or why it was refused. Every lab and the side-by-side
/// comparison keep their state this way.
pub(crate) struct LabState<L: 'static, S: 'static> {
    lab: StoredValue<Result<L, String>, LocalStorage>,
    /// What the lab draws, taken after every action.
    pub snapshot: RwSignal<Option<S>>,
    /// What the last action did, in words.
    pub said: RwSignal<String>,
    /// Why the last action was refused, if it was.
    pub error: RwSignal<Option<String>>,
    draw: fn(&L) -> S,
}

impl<L, S> Clone for LabState<L, S> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<L, S> Copy for LabState<L, S> {}

impl<L: 'static, S: Send + Sync + 'static> LabState<L, S> {
    pub(crate) fn new(lab: Result<L, String>, draw: fn(&L) -> S) -> Self {
        let error = RwSignal::new(lab.as_ref().err().cloned());
        let snapshot = RwSignal::new(lab.as_ref().ok().map(draw));
        Self { lab: StoredValue::new_local(lab), snapshot, said: RwSignal::new(String::new()), error, draw }
    }

    fn refresh(self) {
        self.snapshot.set(self.lab.with_value(|l| l.as_ref().ok().map(self.draw)));
    }

    /// Starts over with a fresh lab.
    pub(crate) fn replace(self, lab: Result<L, String>, said: String) {
        self.error.set(lab.as_ref().err().cloned());
        self.lab.set_value(lab);
        self.said.set(said);
        self.refresh();
    }

    /// Runs one action on the lab and shows what it said or why it failed.
    pub(crate) fn act<E: ToString>(self, f: impl FnOnce(&mut L) -> Result<String, E>) {
        let mut outcome = None;
        self.lab.update_value(|l| {
            if let Ok(l) = l {
                outcome = Some(f(l));
            }
        });
        match outcome {
            Some(Ok(text)) => {
                self.said.set(text);
                self.error.set(None);
            }
            Some(Err(e)) => self.error.set(Some(e.to_string())),
            None => {}
        }
        self.refresh();
    }
}

/// The crash a reader can arm, as button label and point.
pub fn crash_choices() -> [(&'static str, CrashPoint); 3] {
    [
        ("Crash before processing", CrashPoint::BeforeProcessing),
        ("Crash after processing, before the commit", CrashPoint::AfterProcessing),
        ("Crash after the commit", CrashPoint::AfterAck),
    ]
}

fn crash_name(point: CrashPoint) -> &'static str {
    match point {
        CrashPoint::BeforeProcessing => "before processing",
        CrashPoint::AfterProcessing => "after processing, before the commit or ack",
        CrashPoint::AfterAck => "after the commit or ack",
    }
}

// ---------------------------------------------------------------- delivery

/// How each delivery strategy is offered to the reader.
pub fn semantics_label(s: Semantics) -> &'static str {
    match s {
        Semantics::AtMostOnce => "At-most-once (commit, then process)",
        Semantics::AtLeastOnce => "At-least-once (process, then commit)",
        Semantics::IdempotentConsumer => "At-least-once with an idempotent consumer",
        Semantics::ExactlyOnce => "Exactly-once (Kafka transactions)",
    }
}

/// One delivery step in words.
pub fn describe_delivery_step(step: &DeliveryStep) -> String {
    match step {
        DeliveryStep::Idle => "Nothing to read; time passed.".to_owned(),
        DeliveryStep::Restarted { incarnation } => {
            format!("The consumer restarted (start number {incarnation}) and resumed from the committed offset.")
        }
        DeliveryStep::Handled { order, offset, applied: true } => {
            format!("Order {order} (offset {offset}) was processed and committed.")
        }
        DeliveryStep::Handled { order, offset, applied: false } => {
            format!("Order {order} (offset {offset}) was seen before; the deduplication table skipped it.")
        }
        DeliveryStep::Crashed { order, offset, at } => {
            format!("The consumer crashed {} while handling order {order} (offset {offset}).", crash_name(*at))
        }
        DeliveryStep::Done => "Every order is behind the committed offset.".to_owned(),
    }
}

const DELIVERY_ORDERS: u32 = 8;
const LAB_SEED: u64 = 1;

#[component]
fn DeliveryDemo() -> impl IntoView {
    let semantics = RwSignal::new(Semantics::AtLeastOnce);
    let state = LabState::new(
        DeliveryLab::new(Semantics::AtLeastOnce, DELIVERY_ORDERS, LAB_SEED).map_err(|e| e.to_string()),
        DeliveryLab::snapshot,
    );
    let (snapshot, said, error) = (state.snapshot, state.said, state.error);
    let reset = move |s: Semantics| {
        semantics.set(s);
        let fresh = DeliveryLab::new(s, DELIVERY_ORDERS, LAB_SEED).map_err(|e| e.to_string());
        state.replace(fresh, format!("Started over with {}.", semantics_label(s)));
    };
    let act = move |f: &dyn Fn(&mut DeliveryLab) -> Result<String, PatternError>| state.act(f);
    let done = move || snapshot.with(|s| s.as_ref().is_none_or(|s| s.counters.pending == 0));
    let figures = Signal::derive(move || {
        snapshot.with(|s| {
            s.as_ref()
                .map(|s| {
                    let c = s.counters;
                    vec![
                        ("Lost", c.lost.to_string()),
                        ("Processed twice or more", c.duplicated.to_string()),
                        ("Processed exactly once", c.exactly_once.to_string()),
                        ("Not reached yet", c.pending.to_string()),
                        ("Duplicates skipped", c.duplicates_skipped.to_string()),
                        ("Crashes", c.crashes.to_string()),
                        ("Committed offset", s.committed_offset.to_string()),
                    ]
                })
                .map(named)
                .unwrap_or_default()
        })
    });
    let armed = move || {
        snapshot.with(|s| s.as_ref().and_then(|s| s.service.armed)).map_or_else(
            || "No crash armed.".to_owned(),
            |p| format!("A crash is armed {} for the next order.", crash_name(p)),
        )
    };
    view! {
        <LabFrame
            id="delivery"
            title="Delivery semantics under crashes"
            description="A consumer reads eight orders from a Kafka partition and applies each to its database. Pick a strategy, arm a crash, and count what is lost or processed twice."
        >
            <fieldset class="lab-choice">
                <legend>"Delivery strategy"</legend>
                {Semantics::ALL
                    .into_iter()
                    .map(|s| {
                        view! {
                            <label>
                                <input
                                    type="radio"
                                    name="delivery-strategy"
                                    prop:checked=move || semantics.get() == s
                                    on:change=move |_| reset(s)
                                />
                                {semantics_label(s)}
                            </label>
                        }
                    })
                    .collect_view()}
            </fieldset>
            <div class="live-controls" role="group" aria-label="Inject a crash">
                {crash_choices()
                    .into_iter()
                    .map(|(label, point)| {
                        view! {
                            <button
                                type="button"
                                on:click=move |_| act(&|l: &mut DeliveryLab| {
                                    l.crash(point);
                                    Ok(format!("Armed: the consumer will crash {} on the next order.", crash_name(point)))
                                })
                            >
                                {label}
                            </button>
                        }
                    })
                    .collect_view()}
                <span class="lab-armed">{armed}</span>
            </div>
            <div class="live-controls" role="group" aria-label="Run the delivery lab">
                <button
                    type="button"
                    disabled=done
                    on:click=move |_| act(&|l: &mut DeliveryLab| l.step().map(|s| describe_delivery_step(&s)))
                >
                    "Step"
                </button>
                <button
                    type="button"
                    disabled=done
                    on:click=move |_| act(&|l: &mut DeliveryLab| {
                        l.run(RUN_LIMIT).map(|n| format!("Ran {n} steps; every order is behind the committed offset."))
                    })
                >
                    "Run to the end"
                </button>
                <button type="button" on:click=move |_| reset(semantics.get_untracked())>"Reset"</button>
            </div>
            <Narration said error />
            <Figures label="Delivery counters" rows=figures />
            <table class="lab-rows" aria-label="Orders">
                <thead>
                    <tr><th scope="col">"Order"</th><th scope="col">"Attempts"</th><th scope="col">"Applied"</th><th scope="col">"Committed"</th></tr>
                </thead>
                <tbody>
                    {move || {
                        snapshot
                            .with(|s| s.as_ref().map(|s| s.orders.clone()).unwrap_or_default())
                            .into_iter()
                            .map(|o| {
                                view! {
                                    <tr>
                                        <th scope="row">{format!("Order {}", o.order)}</th>
                                        <td>{o.attempts}</td>
                                        <td>{format!("{}×", o.applied)}</td>
                                        <td>{if o.committed { "yes" } else { "no" }}</td>
                                    </tr>
                                }
                            })
                            .collect_view()
                    }}
                </tbody>
            </table>
        </LabFrame>
    }
}

// ------------------------------------------------------------------- retry

/// One retry step in words.
pub fn describe_retry_step(step: &RetryStep) -> String {
    match step {
        RetryStep::Idle => "Nothing was due; time passed.".to_owned(),
        RetryStep::Succeeded { body, attempt } => format!("“{body}” succeeded on attempt {attempt}."),
        RetryStep::Retrying { body, attempt, to } => {
            format!("“{body}” failed on attempt {attempt} and waits in {to} for another.")
        }
        RetryStep::DeadLettered { body, attempts } => {
            format!("“{body}” failed {attempts} times and went to the dead letters.")
        }
        RetryStep::Crashed { body, at } => format!("The worker crashed {} while handling “{body}”.", crash_name(*at)),
        RetryStep::Restarted { incarnation } => format!("The worker restarted (start number {incarnation})."),
    }
}

/// `LabState` draws from a reference to the lab it holds, here a box.
#[allow(clippy::borrowed_box)]
fn retry_snapshot(lab: &Box<dyn RetryLab>) -> RetrySnapshot {
    lab.snapshot()
}

fn new_retry_lab(kafka: bool) -> Result<Box<dyn RetryLab>, String> {
    let config = RetryConfig::default();
    let lab: Result<Box<dyn RetryLab>, PatternError> = if kafka {
        KafkaRetryLab::new(config, LAB_SEED).map(|l| Box::new(l) as Box<dyn RetryLab>)
    } else {
        RabbitRetryLab::new(config, LAB_SEED).map(|l| Box::new(l) as Box<dyn RetryLab>)
    };
    lab.map_err(|e| e.to_string())
}

#[component]
fn RetryDemo() -> impl IntoView {
    let kafka = RwSignal::new(false);
    let state = LabState::new(new_retry_lab(false), retry_snapshot);
    let (snapshot, said, error) = (state.snapshot, state.said, state.error);
    let counter = RwSignal::new(0u32);
    let reset = move |on_kafka: bool| {
        kafka.set(on_kafka);
        counter.set(0);
        state.replace(
            new_retry_lab(on_kafka),
            format!("Started over on {}.", if on_kafka { "Kafka" } else { "RabbitMQ" }),
        );
    };
    let act = move |f: &dyn Fn(&mut dyn RetryLab) -> Result<String, PatternError>| {
        state.act(|l: &mut Box<dyn RetryLab>| f(l.as_mut()))
    };
    let publish = move |poison: bool| {
        counter.update(|n| *n += 1);
        let body = format!("order-{}", counter.get_untracked());
        act(&|l: &mut dyn RetryLab| {
            l.publish(&body, poison)?;
            Ok(if poison {
                format!("Published “{body}”, which fails every time it is handled.")
            } else {
                format!("Published “{body}”.")
            })
        });
    };
    let figures = Signal::derive(move || {
        snapshot.with(|s| {
            s.as_ref()
                .map(|s| {
                    let mut rows = named(vec![
                        ("Attempts allowed", s.config.max_attempts.to_string()),
                        ("Succeeded", s.succeeded.len().to_string()),
                        ("Dead letters", s.dead_letters.iter().filter(|d| !d.republished).count().to_string()),
                    ]);
                    rows.extend(s.waiting.iter().map(|(name, n)| (format!("Waiting in {name}"), n.to_string())));
                    rows
                })
                .unwrap_or_default()
        })
    });
    let topology = move || {
        if kafka.get() {
            "Kafka: the orders topic, a retry topic per attempt (orders-retry-1, orders-retry-2) read after a delay, and the dead-letter topic orders-dlt. The attempt count travels in an x-attempts header."
        } else {
            "RabbitMQ: the orders queue dead-letters rejected messages to orders.retry, whose queue holds them for its TTL and dead-letters them back to orders; the worker counts attempts from x-death, and after the last one sends the message to orders.dlq."
        }
    };
    view! {
        <LabFrame
            id="retry"
            title="Retries and the dead-letter queue"
            description="A worker handles each message; a poison message fails every attempt. Watch it wait between retries and land in the dead letters after exactly three attempts, then fix the bug and republish it."
        >
            <fieldset class="lab-choice">
                <legend>"Broker"</legend>
                <label>
                    <input type="radio" name="retry-broker" prop:checked=move || !kafka.get() on:change=move |_| reset(false) />
                    "RabbitMQ"
                </label>
                <label>
                    <input type="radio" name="retry-broker" prop:checked=move || kafka.get() on:change=move |_| reset(true) />
                    "Kafka"
                </label>
            </fieldset>
            <p class="lab-topology">{topology}</p>
            <div class="live-controls" role="group" aria-label="Run the retry lab">
                <button type="button" on:click=move |_| publish(false)>"Publish a good message"</button>
                <button type="button" on:click=move |_| publish(true)>"Publish a poison message"</button>
                <button type="button" on:click=move |_| act(&|l: &mut dyn RetryLab| l.step().map(|s| describe_retry_step(&s)))>
                    "Step"
                </button>
                <button
                    type="button"
                    on:click=move |_| act(&|l: &mut dyn RetryLab| {
                        l.run(RUN_LIMIT).map(|n| format!("Ran {n} steps; nothing is left but the dead letters."))
                    })
                >
                    "Run until settled"
                </button>
                <button type="button" on:click=move |_| reset(kafka.get_untracked())>"Reset"</button>
            </div>
            <Narration said error />
            <Figures label="Retry counters" rows=figures />
            <h3 id="retry-dead-letters">"Dead letters"</h3>
            <ul class="lab-dead-letters" aria-labelledby="retry-dead-letters">
                {move || {
                    snapshot
                        .with(|s| s.as_ref().map(|s| s.dead_letters.clone()).unwrap_or_default())
                        .into_iter()
                        .filter(|d| !d.republished)
                        .map(|d| {
                            let body = d.body.clone();
                            let history = d
                                .history
                                .iter()
                                .map(|(place, reason, count)| format!("{place} {reason} ×{count}"))
                                .collect::<Vec<_>>()
                                .join(", ");
                            let id = d.id;
                            let fix_body = body.clone();
                            view! {
                                <li>
                                    <span class="lab-dead-body">{body.clone()}</span>
                                    {format!(" after {} attempts: {}. History: {history}.", d.attempts, d.error)}
                                    <button
                                        type="button"
                                        aria-label=format!("Fix the bug and republish {body}")
                                        on:click=move |_| {
                                            let b = fix_body.clone();
                                            act(&|l: &mut dyn RetryLab| {
                                                l.fix(&b);
                                                l.republish(id)?;
                                                Ok(format!("Deployed a fix for “{b}” and republished it to the main exchange or topic."))
                                            })
                                        }
                                    >
                                        "Fix and republish"
                                    </button>
                                </li>
                            }
                        })
                        .collect_view()
                }}
            </ul>
            <p class="lab-succeeded">
                "Succeeded, in order: "
                {move || {
                    let done = snapshot.with(|s| s.as_ref().map(|s| s.succeeded.join(", ")).unwrap_or_default());
                    if done.is_empty() { "none yet".to_owned() } else { done }
                }}
            </p>
        </LabFrame>
    }
}

// ------------------------------------------------------------------ outbox

/// How each write mode is offered to the reader.
pub fn write_mode_label(m: WriteMode) -> &'static str {
    match m {
        WriteMode::Outbox => "Transactional outbox",
        WriteMode::DualWriteDbFirst => "Dual write: commit the order, then publish",
        WriteMode::DualWritePublishFirst => "Dual write: publish, then commit the order",
    }
}

/// One outbox step in words.
pub fn describe_outbox_step(step: &OutboxStep) -> String {
    let mut parts = Vec::new();
    if !step.restarted.is_empty() {
        parts.push(format!("restarted {}", step.restarted.join(" and ")));
    }
    if !step.sent.is_empty() {
        parts.push(format!("the relayer sent {}", step.sent.join(", ")));
    }
    if !step.acknowledged.is_empty() {
        parts.push(format!("the broker acknowledged {}", step.acknowledged.join(", ")));
    }
    if !step.deleted.is_empty() {
        parts.push(format!("the relayer deleted outbox rows {}", step.deleted.join(", ")));
    }
    if let Some(at) = step.relayer_crashed {
        parts.push(format!("the relayer crashed {}", crash_name(at)));
    }
    if step.send_timed_out {
        parts.push("the relayer's sends timed out and it started a fresh producer".to_owned());
    }
    if parts.is_empty() {
        "Nothing to do; time passed.".to_owned()
    } else {
        let mut text = parts.join("; ");
        text[..1].make_ascii_uppercase();
        text + "."
    }
}

/// The consistency check as the reader sees it.
pub fn consistency_rows(c: &Consistency) -> Vec<(&'static str, String)> {
    let list = |v: &[String]| if v.is_empty() { "none".to_owned() } else { v.join(", ") };
    vec![
        ("Committed orders", c.orders.to_string()),
        ("Orders with an event", c.published.to_string()),
        ("Orders without an event", list(&c.orders_without_event)),
        ("Events without an order", list(&c.events_without_order)),
        ("Duplicate events", c.duplicate_events.to_string()),
    ]
}

/// The outbox and a naive dual write, driven by the same actions.
struct OutboxPair {
    outbox: OutboxLab,
    dual: OutboxLab,
}

impl OutboxPair {
    fn new(dual: WriteMode) -> Result<Self, String> {
        let lab = |m| OutboxLab::new(m, LAB_SEED).map_err(|e| e.to_string());
        Ok(Self { outbox: lab(WriteMode::Outbox)?, dual: lab(dual)? })
    }

    fn snapshots(&self) -> (OutboxSnapshot, OutboxSnapshot) {
        (self.outbox.snapshot(), self.dual.snapshot())
    }
}

/// What one side of the comparison shows.
fn outbox_figures(s: &OutboxSnapshot) -> Vec<(&'static str, String)> {
    let mut rows = vec![
        ("Rows in the orders table", s.checkout.store.len(ORDERS_TABLE).to_string()),
        ("Rows in the outbox table", s.checkout.store.len(OUTBOX_TABLE).to_string()),
        ("Events in the topic", s.events.len().to_string()),
    ];
    rows.extend(consistency_rows(&s.consistency));
    rows
}

#[component]
fn OutboxDemo() -> impl IntoView {
    let dual_mode = RwSignal::new(WriteMode::DualWriteDbFirst);
    let state = LabState::new(OutboxPair::new(WriteMode::DualWriteDbFirst), OutboxPair::snapshots);
    let (snapshot, said, error) = (state.snapshot, state.said, state.error);
    let reset = move |m: WriteMode| {
        dual_mode.set(m);
        state.replace(
            OutboxPair::new(m),
            format!("Started over: the outbox beside {}.", write_mode_label(m).to_lowercase()),
        );
    };
    // Every action goes to both checkouts; each says what it did.
    let act = move |f: &dyn Fn(&mut OutboxLab) -> Result<String, PatternError>| {
        state.act(|p: &mut OutboxPair| -> Result<String, PatternError> {
            let outbox = f(&mut p.outbox)?;
            let dual = f(&mut p.dual)?;
            Ok(if outbox == dual { outbox } else { format!("Outbox: {outbox} Dual write: {dual}") })
        })
    };
    let broker_down = move || snapshot.with(|s| s.as_ref().is_some_and(|s| s.0.broker_down));
    let relayer_down = move || snapshot.with(|s| s.as_ref().is_some_and(|s| !s.0.relayer.up));
    let rows = move || {
        snapshot.with(|s| {
            s.as_ref()
                .map(|(outbox, dual)| {
                    outbox_figures(outbox)
                        .into_iter()
                        .zip(outbox_figures(dual))
                        .map(|((name, a), (_, b))| (name, a, b))
                        .collect::<Vec<_>>()
                })
                .unwrap_or_default()
        })
    };
    view! {
        <LabFrame
            id="outbox"
            title="Transactional outbox against the dual write"
            description="Two checkout services take the same orders and must get an order-placed event to Kafka: one writes the order and an outbox row in one transaction for a relayer to publish, the other writes to the database and the broker one after the other. Take the broker down, crash the checkouts or the relayer, and compare each database with its topic."
        >
            <fieldset class="lab-choice">
                <legend>"The dual write beside the outbox"</legend>
                {[WriteMode::DualWriteDbFirst, WriteMode::DualWritePublishFirst]
                    .into_iter()
                    .map(|m| {
                        view! {
                            <label>
                                <input type="radio" name="outbox-mode" prop:checked=move || dual_mode.get() == m on:change=move |_| reset(m) />
                                {write_mode_label(m)}
                            </label>
                        }
                    })
                    .collect_view()}
            </fieldset>
            <div class="live-controls" role="group" aria-label="Faults">
                <label>
                    <input
                        type="checkbox"
                        prop:checked=broker_down
                        on:change=move |ev| {
                            let down = event_target_checked(&ev);
                            act(&|l: &mut OutboxLab| {
                                l.set_broker_outage(down)?;
                                Ok(if down { "The broker is down." } else { "The broker is back." }.to_owned())
                            })
                        }
                    />
                    "Broker outage"
                </label>
                <label>
                    <input
                        type="checkbox"
                        prop:checked=relayer_down
                        on:change=move |ev| {
                            let down = event_target_checked(&ev);
                            act(&|l: &mut OutboxLab| {
                                l.set_relayer_down(down)?;
                                Ok(if down { "The relayer is stopped." } else { "The relayer is running." }.to_owned())
                            })
                        }
                    />
                    "Relayer stopped"
                </label>
                <button
                    type="button"
                    on:click=move |_| act(&|l: &mut OutboxLab| {
                        l.crash_checkout(CrashPoint::AfterProcessing);
                        Ok("Armed: both checkouts will crash between their two writes on the next order.".to_owned())
                    })
                >
                    "Crash the checkouts between their writes"
                </button>
                <button
                    type="button"
                    on:click=move |_| act(&|l: &mut OutboxLab| {
                        l.crash_relayer(CrashPoint::AfterProcessing);
                        Ok("Armed: the relayer will crash after the broker confirms, before deleting its rows.".to_owned())
                    })
                >
                    "Crash the relayer before it deletes rows"
                </button>
            </div>
            <div class="live-controls" role="group" aria-label="Run the outbox lab">
                <button
                    type="button"
                    on:click=move |_| act(&|l: &mut OutboxLab| {
                        Ok(match l.place_order()? {
                            CheckoutOutcome::Placed { order } => format!("The checkout took {order}."),
                            CheckoutOutcome::Crashed { order, at } => {
                                format!("The checkout crashed {} while taking {order}.", crash_name(at))
                            }
                        })
                    })
                >
                    "Place an order"
                </button>
                <button type="button" on:click=move |_| act(&|l: &mut OutboxLab| l.step().map(|s| describe_outbox_step(&s)))>
                    "Step"
                </button>
                <button
                    type="button"
                    on:click=move |_| act(&|l: &mut OutboxLab| {
                        l.heal()?;
                        l.run(RUN_LIMIT).map(|_| "Healed every fault and ran until everything settled.".to_owned())
                    })
                >
                    "Heal and settle"
                </button>
                <button type="button" on:click=move |_| reset(dual_mode.get_untracked())>"Reset"</button>
            </div>
            <Narration said error />
            <table class="lab-rows" aria-label="Database and topic">
                <thead>
                    <tr>
                        <th scope="col">"Figure"</th>
                        <th scope="col">"Transactional outbox"</th>
                        <th scope="col">{move || write_mode_label(dual_mode.get())}</th>
                    </tr>
                </thead>
                <tbody>
                    {move || {
                        rows()
                            .into_iter()
                            .map(|(name, a, b)| view! { <tr><th scope="row">{name}</th><td>{a}</td><td>{b}</td></tr> })
                            .collect_view()
                    }}
                </tbody>
            </table>
        </LabFrame>
    }
}

// ----------------------------------------------------------- event sourcing

/// One account event in words.
pub fn describe_account_event(account: &str, kind: AccountEventKind) -> String {
    match kind {
        AccountEventKind::Opened => format!("{account} opened"),
        AccountEventKind::Deposited(n) => format!("{account} deposited {n}"),
        AccountEventKind::Withdrawn(n) => format!("{account} withdrew {n}"),
    }
}

/// Snapshots every this many events.
const SNAPSHOT_EVERY: u32 = 5;

#[component]
fn EventSourcingDemo() -> impl IntoView {
    let state = LabState::new(
        EventSourcingLab::new(SNAPSHOT_EVERY, LAB_SEED).map_err(|e| e.to_string()),
        EventSourcingLab::snapshot,
    );
    let (snapshot, said, error) = (state.snapshot, state.said, state.error);
    let act = move |f: &dyn Fn(&mut EventSourcingLab) -> Result<String, PatternError>| state.act(f);
    let account = RwSignal::new("alice".to_owned());
    let amount = RwSignal::new("100".to_owned());
    let command = move |kind: &'static str| {
        let name = account.get_untracked().trim().to_owned();
        let amount_text = amount.get_untracked();
        act(&|l: &mut EventSourcingLab| {
            if name.is_empty() {
                return Err(PatternError::CommandRejected("an account needs a name".to_owned()));
            }
            let parsed = || {
                amount_text.trim().parse::<u64>().ok().filter(|n| *n > 0).ok_or_else(|| {
                    PatternError::CommandRejected(format!(
                        "the amount must be a whole number above 0, not “{amount_text}”"
                    ))
                })
            };
            let event = match kind {
                "open" => l.open(&name)?,
                "deposit" => l.deposit(&name, parsed()?)?,
                _ => l.withdraw(&name, parsed()?)?,
            };
            Ok(format!("Appended “{}” at offset {}.", describe_account_event(&event.account, event.kind), event.offset))
        });
    };
    let write_rows = Signal::derive(move || {
        snapshot.with(|s| match s.as_ref().map(|s| s.write_model.clone()) {
            Some(Some(accounts)) => accounts
                .into_iter()
                .map(|(name, a)| (format!("Account {name}"), format!("{} (version {})", a.balance, a.version)))
                .collect(),
            _ => vec![("Write side".to_owned(), "restarting: its state is gone until it replays".to_owned())],
        })
    });
    let read_rows = Signal::derive(move || {
        snapshot.with(|s| {
            s.as_ref()
                .map(|s| {
                    let mut rows: Vec<(String, String)> = s
                        .read_model
                        .iter()
                        .map(|(name, balance)| (format!("Balance of {name}"), balance.to_string()))
                        .collect();
                    rows.push(("Events not applied yet".to_owned(), s.read_model_lag.to_string()));
                    rows
                })
                .unwrap_or_default()
        })
    });
    let account_input = move |ev| account.set(event_target_value(&ev));
    let amount_input = move |ev| amount.set(event_target_value(&ev));
    view! {
        <LabFrame
            id="event-sourcing"
            title="Event sourcing and CQRS"
            description="Every change to an account is an event in a Kafka topic. The write side folds the events into balances, takes a snapshot every five events, and can rebuild itself by replaying; a read model consumes the same topic on its own schedule."
        >
            <form class="live-form" on:submit=move |ev| ev.prevent_default()>
                <label>"Account " <input type="text" prop:value=move || account.get() on:input=account_input /></label>
                <label>"Amount " <input type="text" inputmode="numeric" prop:value=move || amount.get() on:input=amount_input /></label>
                <div class="live-controls" role="group" aria-label="Account commands">
                    <button type="button" on:click=move |_| command("open")>"Open account"</button>
                    <button type="button" on:click=move |_| command("deposit")>"Deposit"</button>
                    <button type="button" on:click=move |_| command("withdraw")>"Withdraw"</button>
                </div>
            </form>
            <div class="live-controls" role="group" aria-label="Write side">
                <button
                    type="button"
                    on:click=move |_| act(&|l: &mut EventSourcingLab| {
                        l.restart_write_side();
                        Ok("The write side restarted and lost its in-memory state.".to_owned())
                    })
                >
                    "Restart the write side"
                </button>
                <button
                    type="button"
                    on:click=move |_| act(&|l: &mut EventSourcingLab| {
                        let r = l.rebuild_write_side()?;
                        Ok(format!("Rebuilt the write side: read {} events from offset {}.", r.events_read, r.from_offset))
                    })
                >
                    "Rebuild by replaying"
                </button>
                <button
                    type="button"
                    on:click=move |_| act(&|l: &mut EventSourcingLab| {
                        let r = l.replay()?;
                        Ok(format!("Replayed from offset 0: read {} events.", r.events_read))
                    })
                >
                    "Replay from offset 0"
                </button>
                <button
                    type="button"
                    on:click=move |_| act(&|l: &mut EventSourcingLab| {
                        let r = l.replay_from_snapshot()?;
                        Ok(format!("Replayed from the latest snapshot at offset {}: read {} events.", r.from_offset, r.events_read))
                    })
                >
                    "Replay from the snapshot"
                </button>
            </div>
            <div class="live-controls" role="group" aria-label="Read model">
                <button
                    type="button"
                    on:click=move |_| act(&|l: &mut EventSourcingLab| {
                        l.step().map(|n| format!("The read model applied {n} events."))
                    })
                >
                    "Read model: poll once"
                </button>
                <button
                    type="button"
                    on:click=move |_| act(&|l: &mut EventSourcingLab| {
                        l.catch_up(RUN_LIMIT).map(|n| format!("The read model caught up in {n} polls."))
                    })
                >
                    "Read model: catch up"
                </button>
                <button
                    type="button"
                    on:click=move |_| act(&|l: &mut EventSourcingLab| {
                        l.rebuild_read_model()?;
                        Ok("Dropped the read model; it will rebuild from offset 0 as it polls.".to_owned())
                    })
                >
                    "Rebuild the read model"
                </button>
            </div>
            <Narration said error />
            <Figures label="Write side" rows=write_rows />
            <Figures label="Read model" rows=read_rows />
            <h3 id="es-events">"Events in account-events"</h3>
            <ol class="lab-events" aria-labelledby="es-events">
                {move || {
                    snapshot
                        .with(|s| s.as_ref().map(|s| s.events.clone()).unwrap_or_default())
                        .into_iter()
                        .map(|e| view! { <li>{format!("{}: {}", e.offset, describe_account_event(&e.account, e.kind))}</li> })
                        .collect_view()
                }}
            </ol>
            <p class="lab-snapshots">
                {move || {
                    let n = snapshot.with(|s| s.as_ref().map_or(0, |s| s.snapshots.len()));
                    let last = snapshot.with(|s| s.as_ref().and_then(|s| s.snapshots.last().map(|x| x.next_offset)));
                    match last {
                        Some(next) => format!("Snapshots stored: {n}; the latest covers the events before offset {next}."),
                        None => "No snapshot yet.".to_owned(),
                    }
                }}
            </p>
        </LabFrame>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_lab_a_lesson_names_exists() {
        for (_, lesson) in crate::course::lessons() {
            for id in lesson.labs {
                assert!(LAB_IDS.contains(id), "{} names an unknown lab {id}", lesson.slug);
            }
        }
        let named: Vec<&str> = crate::course::lessons().flat_map(|(_, l)| l.labs.iter().copied()).collect();
        for id in LAB_IDS {
            assert!(named.contains(&id), "lab {id} is in no lesson");
        }
    }

    #[test]
    fn steps_read_as_sentences() {
        let crashed = DeliveryStep::Crashed { order: 2, offset: 2, at: CrashPoint::AfterProcessing };
        assert_eq!(
            describe_delivery_step(&crashed),
            "The consumer crashed after processing, before the commit or ack while handling order 2 (offset 2)."
        );
        let step = OutboxStep { sent: vec!["order-0".into()], ..OutboxStep::default() };
        assert_eq!(describe_outbox_step(&step), "The relayer sent order-0.");
        assert_eq!(describe_outbox_step(&OutboxStep::default()), "Nothing to do; time passed.");
        let dead = RetryStep::DeadLettered { body: "order-1".into(), attempts: 3 };
        assert_eq!(describe_retry_step(&dead), "“order-1” failed 3 times and went to the dead letters.");
    }

    #[test]
    fn consistency_rows_name_what_disagrees() {
        let c = Consistency {
            orders: 2,
            published: 1,
            orders_without_event: vec!["order-1".into()],
            events_without_order: Vec::new(),
            duplicate_events: 0,
        };
        let rows = consistency_rows(&c);
        assert_eq!(rows[2], ("Orders without an event", "order-1".to_owned()));
        assert_eq!(rows[3], ("Events without an order", "none".to_owned()));
    }
}
