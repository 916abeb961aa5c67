//! Metrics over time: what each queue, topic and consumer group measures,
//! sampled at the end of every step while the run keeps detail, with the
//! crashes and restarts that happened, for before/after deltas. They live in
//! the run, so a replay rebuilds them and scrubbing back shows the past.

use super::model::NodeId;
use std::collections::{BTreeMap, VecDeque};

/// Samples kept per series: the last minute at ten steps a second.
pub const KEPT: usize = 600;

/// Steps a rate is measured over: one second.
const RATE_STEPS: usize = 10;

/// One measure of a part over time.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Series {
    /// "ready", "P0 high watermark", "lag t1-0".
    pub name: String,
    /// (step, value), oldest first.
    pub points: VecDeque<(u64, f64)>,
}

impl Series {
    /// The latest value.
    pub fn now(&self) -> Option<f64> {
        self.points.back().map(|p| p.1)
    }

    /// The value at step `tick` or the last one before it.
    pub fn at(&self, tick: u64) -> Option<f64> {
        self.points.iter().take_while(|p| p.0 <= tick).last().map(|p| p.1)
    }
}

/// A crash or a restart, at the step it happened.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mark {
    pub tick: u64,
    pub text: String,
}

/// Every part's series and the run's marks.
#[derive(Clone, Debug, Default)]
pub struct Metrics {
    series: BTreeMap<NodeId, Vec<Series>>,
    marks: Vec<Mark>,
    /// A part's last few totals (in, out), for rates over a second.
    totals: BTreeMap<NodeId, VecDeque<(u64, u64)>>,
}

impl Metrics {
    /// Adds `value` to `node`'s series `name` at step `tick`.
    pub fn record(&mut self, tick: u64, node: NodeId, name: &str, value: f64) {
        let all = self.series.entry(node).or_default();
        let series = match all.iter().position(|s| s.name == name) {
            Some(i) => &mut all[i],
            None => {
                all.push(Series { name: name.to_string(), points: VecDeque::new() });
                all.last_mut().expect("just pushed")
            }
        };
        series.points.push_back((tick, value));
        if series.points.len() > KEPT {
            series.points.pop_front();
        }
    }

    /// Records a part's totals in and out, and returns its rates in and
    /// out per second over the last second (`steps_per_second` steps).
    pub fn rates(&mut self, node: NodeId, totals: (u64, u64), steps_per_second: f64) -> (f64, f64) {
        let recent = self.totals.entry(node).or_default();
        recent.push_back(totals);
        if recent.len() > RATE_STEPS + 1 {
            recent.pop_front();
        }
        let first = recent.front().copied().unwrap_or(totals);
        let steps = (recent.len().max(2) - 1) as f64;
        let per = steps_per_second / steps;
        ((totals.0 - first.0) as f64 * per, (totals.1 - first.1) as f64 * per)
    }

    /// Notes a crash or restart at step `tick`.
    pub fn mark(&mut self, tick: u64, text: String) {
        self.marks.push(Mark { tick, text });
    }

    /// `node`'s series, in the order first recorded.
    pub fn of(&self, node: NodeId) -> &[Series] {
        self.series.get(&node).map_or(&[], Vec::as_slice)
    }

    /// Crashes and restarts, oldest first.
    pub fn marks(&self) -> &[Mark] {
        &self.marks
    }
}

/// How each of `series` changed since `mark`: "ready 3 → 15 (+12)", for
/// the series that have a value from before it and changed.
pub fn deltas(series: &[Series], mark: &Mark) -> Vec<String> {
    series
        .iter()
        .filter_map(|s| {
            let (before, now) = (s.at(mark.tick)?, s.now()?);
            let change = now - before;
            (change.abs() > f64::EPSILON)
                .then(|| format!("{} {} \u{2192} {} ({:+})", s.name, number(before), number(now), Number(change)))
        })
        .collect()
}

/// A value as a readout shows it: whole numbers without a fraction.
pub fn number(v: f64) -> String {
    if v.fract() == 0.0 { format!("{v:.0}") } else { format!("{v:.1}") }
}

/// A signed change, shown like [`number`].
struct Number(f64);

impl std::fmt::Display for Number {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let sign = if self.0 < 0.0 {
            "\u{2212}"
        } else if f.sign_plus() {
            "+"
        } else {
            ""
        };
        write!(f, "{sign}{}", number(self.0.abs()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn series_keep_the_last_minute_and_answer_for_a_moment() {
        let mut m = Metrics::default();
        for t in 0..700 {
            m.record(t, 1, "ready", t as f64);
        }
        let s = &m.of(1)[0];
        assert_eq!(s.points.len(), KEPT);
        assert_eq!(s.points.front(), Some(&(100, 100.0)));
        assert_eq!((s.now(), s.at(250), s.at(5)), (Some(699.0), Some(250.0), None));
    }

    #[test]
    fn rates_are_per_second_over_the_last_second() {
        let mut m = Metrics::default();
        // 3 in and 1 out per step at 10 steps a second.
        let mut last = (0.0, 0.0);
        for step in 0..30u64 {
            last = m.rates(4, (step * 3, step), 10.0);
        }
        assert_eq!(last, (30.0, 10.0));
    }

    #[test]
    fn deltas_name_what_changed_since_a_mark() {
        let mut m = Metrics::default();
        for (t, ready, unacked) in [(0, 3.0, 1.0), (10, 3.0, 1.0), (20, 15.0, 1.0), (30, 12.5, 1.0)] {
            m.record(t, 1, "ready", ready);
            m.record(t, 1, "unacknowledged", unacked);
        }
        let mark = Mark { tick: 12, text: "broker 0 crashed".into() };
        assert_eq!(deltas(m.of(1), &mark), ["ready 3 \u{2192} 12.5 (+9.5)"]);
        m.record(40, 1, "ready", 1.0);
        assert_eq!(deltas(m.of(1), &mark), ["ready 3 \u{2192} 1 (\u{2212}2)"]);
    }
}
