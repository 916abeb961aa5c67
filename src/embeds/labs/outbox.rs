//! The transactional-outbox lab: two checkouts take the same orders, one
//! writing an outbox row in the order's transaction for a relayer to publish,
//! the other writing to the database and to Kafka apart (the dual write); the
//! reader injects crashes and outages and reads which orders and events
//! disagree.

use super::{LAB_SEED, LabFrame, LabState, Narration, RUN_LIMIT, crash_name};
use brokerlab_patterns::{
    CheckoutOutcome, Consistency, CrashPoint, OutboxLab, OutboxSnapshot, OutboxStep, PatternError, WriteMode,
    outbox::ORDERS_TABLE, outbox::OUTBOX_TABLE,
};
use leptos::prelude::*;

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
pub(super) fn OutboxDemo() -> impl IntoView {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relayer_steps_read_as_sentences() {
        let step = OutboxStep { sent: vec!["order-0".into()], ..OutboxStep::default() };
        assert_eq!(describe_outbox_step(&step), "The relayer sent order-0.");
        assert_eq!(describe_outbox_step(&OutboxStep::default()), "Nothing to do; time passed.");
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
