//! The delivery-semantics lab: a consumer reads orders from Kafka and
//! commits its offset before or after processing (or deduplicates, or uses
//! transactions); the reader arms a crash and counts what was lost and what
//! was handled twice.

use super::{Figures, LAB_SEED, LabFrame, LabState, Narration, RUN_LIMIT, crash_choices, crash_name, named};
use brokerlab_patterns::{DeliveryLab, DeliveryStep, PatternError, Semantics};
use leptos::prelude::*;
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

#[component]
pub(super) fn DeliveryDemo() -> impl IntoView {
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

#[cfg(test)]
mod tests {
    use super::*;
    use brokerlab_patterns::CrashPoint;

    #[test]
    fn a_crash_reads_as_a_sentence() {
        let crashed = DeliveryStep::Crashed { order: 2, offset: 2, at: CrashPoint::AfterProcessing };
        assert_eq!(
            describe_delivery_step(&crashed),
            "The consumer crashed after processing, before the commit or ack while handling order 2 (offset 2)."
        );
    }
}
