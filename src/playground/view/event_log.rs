//! The live, filterable event log: what the run reported, newest first (a
//! line about a message or record opens its explanation), and the spoken
//! summary of it.
//!
//! The list itself is a `log` region that does not speak (while playing it
//! changes faster than speech can follow, and a filter would re-read it).
//! What a screen reader hears comes from one polite status line instead: the
//! new events themselves after a step or an action while paused, and while
//! playing, a summary at most every few seconds.

use super::{Ctx, now};
use leptos::prelude::*;

/// While playing, at most one summary in this many milliseconds.
const SUMMARY_EVERY_MS: f64 = 5_000.0;

/// New events named one by one when paused; more are counted.
const NAMED: usize = 3;

/// The live, filterable event log.
#[component]
pub(super) fn EventLog(
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
                .map(|l| {
                    (
                        l.seq,
                        format!("{:.1} s", l.at_ms as f64 / 1000.0),
                        l.source.label(),
                        l.text.clone(),
                        l.message.clone(),
                    )
                })
                .collect::<Vec<_>>()
        })
    });
    let spoken = RwSignal::new(String::new());
    // The newest event already spoken (or passed over), when the last
    // announcement was made, and whether the run was playing then.
    let heard =
        StoredValue::new((ctx.sim.with_value(|s| s.log().last().map_or(0, |l| l.seq)), f64::NEG_INFINITY, false));
    Effect::new(move |_| {
        ctx.frame.track();
        let playing = ctx.playing.get_untracked();
        let (seen, at, was_playing) = heard.get_value();
        // How many events are new, and the texts of the last few of them,
        // oldest first: all an announcement says.
        let (newest, count, recent) = ctx.sim.with_value(|s| {
            let newest = s.log().last().map_or(0, |l| l.seq);
            let count = s.log().rev().take_while(|l| l.seq > seen).count();
            let mut recent: Vec<String> = s.log().rev().take(count.min(NAMED)).map(|l| l.text.clone()).collect();
            recent.reverse();
            (newest, count, recent)
        });
        // A new run or a scrub back has nothing new to say, and neither has
        // a pause: what played since the last summary is on screen.
        if newest < seen || (was_playing && !playing) {
            heard.set_value((newest, at, playing));
            return;
        }
        let t = now();
        if let Some(text) = announcement(count, &recent, playing, t - at) {
            heard.set_value((newest, t, playing));
            spoken.set(text);
        } else {
            heard.set_value((seen, at, playing));
        }
    });
    view! {
        <section class="pg-log" aria-label="Event log">
            <h2>"Event log"</h2>
            <label class="pg-field"><span>"Filter events"</span>
                <input type="search" prop:value=move || filter.get() on:input=move |ev| filter.set(event_target_value(&ev)) />
            </label>
            <div role="log" aria-live="off" aria-label="Events">
                <ol>
                    <For each=move || lines.get() key=|l| l.0 let:l>
                        <li><span class="pg-time">{l.1}</span>" "<span class="pg-source">{l.2}</span>" "{match l.4 {
                            // A line about a message or record opens it.
                            Some(m) => view! {
                                <button type="button" class="pg-log-open" on:click=move |_| ctx.message.set(Some(m.clone()))>{l.3}</button>
                            }.into_any(),
                            None => l.3.into_any(),
                        }}</li>
                    </For>
                </ol>
            </div>
            <p class="visually-hidden" role="status" aria-label="Latest events">{move || spoken.get()}</p>
        </section>
    }
}

/// What to say of `count` events not spoken yet, whose last few are
/// `recent` (oldest first, at most [`NAMED`]), `since_ms` after the last
/// announcement: paused, the events themselves; playing, the count and the
/// latest one, at most every [`SUMMARY_EVERY_MS`]; nothing when there is
/// nothing new.
fn announcement(count: usize, recent: &[String], playing: bool, since_ms: f64) -> Option<String> {
    let latest = recent.last()?;
    if playing {
        if since_ms < SUMMARY_EVERY_MS {
            return None;
        }
        let events = if count == 1 { "1 new event".to_string() } else { format!("{count} new events") };
        return Some(format!("{events}; latest: {latest}"));
    }
    let shown = &recent[recent.len().saturating_sub(NAMED)..];
    let text = shown.join(". ");
    let more = count.saturating_sub(shown.len());
    Some(if more > 0 { format!("{more} earlier events, then: {text}") } else { text })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn events(texts: &[&str]) -> Vec<String> {
        texts.iter().map(ToString::to_string).collect()
    }

    #[test]
    fn paused_a_step_speaks_its_events_and_counts_the_rest() {
        assert_eq!(
            announcement(2, &events(&["a published", "q got it"]), false, 0.0).as_deref(),
            Some("a published. q got it")
        );
        let last_three = events(&["3", "4", "5"]);
        assert_eq!(announcement(5, &last_three, false, 0.0).as_deref(), Some("2 earlier events, then: 3. 4. 5"));
        assert_eq!(announcement(0, &[], false, 0.0), None);
    }

    #[test]
    fn playing_speaks_a_summary_at_most_every_five_seconds() {
        let fresh = events(&["x", "y", "z"]);
        assert_eq!(announcement(3, &fresh, true, 1_000.0), None);
        assert_eq!(announcement(3, &fresh, true, 5_000.0).as_deref(), Some("3 new events; latest: z"));
        assert_eq!(announcement(1, &events(&["only"]), true, 9_000.0).as_deref(), Some("1 new event; latest: only"));
        assert_eq!(announcement(0, &[], true, 60_000.0), None);
    }
}
