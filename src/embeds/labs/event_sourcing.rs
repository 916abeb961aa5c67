//! The event-sourcing lab: every change to an account is an event in a
//! Kafka topic; the write side folds them into balances, snapshots every few
//! events and rebuilds itself by replaying, and a read model (CQRS) catches
//! up from the same topic.

use super::{Figures, LAB_SEED, LabFrame, LabState, Narration, RUN_LIMIT};
use brokerlab_patterns::{EventSourcingLab, PatternError, eventsourcing::AccountEventKind};
use leptos::prelude::*;

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
pub(super) fn EventSourcingDemo() -> impl IntoView {
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
