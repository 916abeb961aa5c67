//! The labs embedded in lessons: for the fourth module's patterns, delivery
//! semantics (`delivery`), retries with a dead-letter queue (`retry`), the
//! transactional outbox (`outbox`) and event sourcing with CQRS
//! (`event_sourcing`), and one workload on both brokers for the Kafka vs
//! RabbitMQ lesson (`compare`). Each runs a simulation from
//! `brokerlab-patterns` or the scenario format on the real engines; the
//! reader injects crashes and outages and reads the counters that show what
//! each pattern guarantees.
//!
//! This module holds what every lab shares: [`PatternLab`], which picks a
//! lab by id, the frame, narration and figures every lab draws, and
//! [`LabState`], which keeps a lab's simulation and what it last said. The
//! words each lab shows (step narration, labels) come from plain functions
//! below each lab's component, so native tests can check them.

mod compare;
mod delivery;
mod event_sourcing;
mod outbox;
mod retry;

use brokerlab_patterns::CrashPoint;
use leptos::prelude::*;

/// The lab ids a lesson's front matter may name under `labs`.
pub const LAB_IDS: [&str; 5] = ["delivery", "retry", "outbox", "event-sourcing", "kafka-vs-rabbitmq"];

/// Steps "Run to the end" allows before it stops and says so.
const RUN_LIMIT: u32 = 2_000;

/// The seed every lab starts from, so a lab replays the same way on every visit.
const LAB_SEED: u64 = 1;

/// One lab, by id, embedded in a lesson.
#[component]
pub fn PatternLab(
    /// The lab's id, as named in the lesson's front matter.
    id: &'static str,
) -> impl IntoView {
    match id {
        "delivery" => view! { <delivery::DeliveryDemo /> }.into_any(),
        "retry" => view! { <retry::RetryDemo /> }.into_any(),
        "outbox" => view! { <outbox::OutboxDemo /> }.into_any(),
        "event-sourcing" => view! { <event_sourcing::EventSourcingDemo /> }.into_any(),
        "kafka-vs-rabbitmq" => view! { <compare::Comparison /> }.into_any(),
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
}
