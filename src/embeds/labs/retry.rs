//! The retry lab: a worker retries each failing message with a wait between
//! attempts and, after the last, dead-letters it, on Kafka or on RabbitMQ;
//! the reader watches every attempt, then fixes the bug and republishes.

use super::{Figures, LAB_SEED, LabFrame, LabState, Narration, RUN_LIMIT, crash_name, named};
use brokerlab_patterns::{
    KafkaRetryLab, PatternError, RabbitRetryLab, RetryConfig, RetryLab, RetrySnapshot, RetryStep,
};
use leptos::prelude::*;

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
pub(super) fn RetryDemo() -> impl IntoView {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dead_letter_reads_as_a_sentence() {
        let dead = RetryStep::DeadLettered { body: "order-1".into(), attempts: 3 };
        assert_eq!(describe_retry_step(&dead), "“order-1” failed 3 times and went to the dead letters.");
    }
}
