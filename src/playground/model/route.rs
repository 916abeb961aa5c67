//! Where an edge is drawn: a curve from its first card to its second that
//! goes over or under the cards in between instead of behind them, so the
//! line, its binding key and the messages on it stay in view.

use super::layout::{Heights, card_width};
use super::{Edge, EdgeId, NODE_H, NodeId, Topology};

/// Room kept between a line and a card it goes around.
const CLEAR: f64 = 14.0;

/// How far the curve runs out of a card before it turns, on a detour.
const RUN: f64 = 40.0;

/// Points sampled per curve.
const SAMPLES: usize = 24;

/// An edge's drawn line: its SVG path and the points along it.
#[derive(Clone, Debug, PartialEq)]
pub struct Route {
    /// The SVG path.
    pub d: String,
    /// Points along the path, in order, for what is drawn on it.
    points: Vec<(f64, f64)>,
    /// The length of the path up to each point.
    lengths: Vec<f64>,
}

impl Route {
    /// The point a fraction `t` (0 to 1) of the way along the line.
    pub fn at(&self, t: f64) -> (f64, f64) {
        let last = self.points.last().copied().unwrap_or_default();
        let total = self.lengths.last().copied().unwrap_or_default();
        if t >= 1.0 || total <= 0.0 {
            return if t <= 0.0 { self.points.first().copied().unwrap_or_default() } else { last };
        }
        let at = t.max(0.0) * total;
        // The first point at or past that length, and the one before it.
        let i = self.lengths.partition_point(|l| *l < at).clamp(1, self.points.len() - 1);
        let (a, b) = (self.points[i - 1], self.points[i]);
        let span = self.lengths[i] - self.lengths[i - 1];
        let k = if span > 0.0 { (at - self.lengths[i - 1]) / span } else { 0.0 };
        (a.0 + (b.0 - a.0) * k, a.1 + (b.1 - a.1) * k)
    }

    fn new(d: String, points: Vec<(f64, f64)>) -> Route {
        let mut lengths = Vec::with_capacity(points.len());
        let mut sum = 0.0;
        for (i, p) in points.iter().enumerate() {
            if i > 0 {
                sum += dist(points[i - 1], *p);
            }
            lengths.push(sum);
        }
        Route { d, points, lengths }
    }

    /// Whether the line passes through the box (left, top, right, bottom).
    pub fn crosses(&self, b: (f64, f64, f64, f64)) -> bool {
        self.points.iter().any(|p| inside(*p, b))
    }
}

/// The line from (x1, y1) to (x2, y2): the plain curve, or, when that
/// would pass behind one of `cards` (left, top, right, bottom), a detour
/// above or below them, whichever strays less.
pub fn route(x1: f64, y1: f64, x2: f64, y2: f64, cards: &[(f64, f64, f64, f64)]) -> Route {
    let plain = curve(x1, y1, x2, y2);
    let blocking: Vec<_> = cards.iter().copied().filter(|c| plain.crosses(grow(*c, CLEAR / 2.0))).collect();
    // A line that turns back, or too short to turn twice, stays as it is.
    if blocking.is_empty() || x2 - x1 < 3.0 * RUN {
        return plain;
    }
    let (xa, xb) = (x1 + RUN, x2 - RUN);
    // The cards the straight run from xa to xb meets at height y.
    let hit = |y: f64| -> Vec<(f64, f64, f64, f64)> {
        cards
            .iter()
            .copied()
            .filter(|c| c.0 - CLEAR < xb && c.2 + CLEAR > xa && c.1 - CLEAR < y && c.3 + CLEAR > y)
            .collect()
    };
    let clear_level = |mut y: f64, up: bool| -> f64 {
        for _ in 0..cards.len().min(64) + 1 {
            let met = hit(y);
            if met.is_empty() {
                break;
            }
            y = if up {
                met.iter().map(|c| c.1).fold(f64::INFINITY, f64::min) - CLEAR
            } else {
                met.iter().map(|c| c.3).fold(f64::NEG_INFINITY, f64::max) + CLEAR
            };
        }
        y
    };
    let above = clear_level(blocking.iter().map(|c| c.1).fold(f64::INFINITY, f64::min) - CLEAR, true);
    let below = clear_level(blocking.iter().map(|c| c.3).fold(f64::NEG_INFINITY, f64::max) + CLEAR, false);
    let stray = |y: f64| (y - y1).abs() + (y - y2).abs();
    let level = if stray(above) <= stray(below) { above } else { below };
    detour(x1, y1, x2, y2, level)
}

/// Each edge of `t` with its route around the other cards, whose heights
/// are `heights` as drawn (cards not measured yet are [`NODE_H`] tall).
pub fn routes(
    t: &Topology,
    heights: &Heights,
    anchor: impl Fn(&Edge) -> Option<(f64, f64, f64, f64)>,
) -> Vec<(EdgeId, Route)> {
    let boxes: Vec<(NodeId, (f64, f64, f64, f64))> = t
        .nodes
        .iter()
        .map(|n| {
            let h = heights.get(&n.id).copied().filter(|h| h.is_finite() && *h > 0.0).unwrap_or(NODE_H);
            (n.id, (n.x, n.y, n.x + card_width(n.kind()), n.y + h))
        })
        .collect();
    t.edges
        .iter()
        .filter_map(|e| {
            let (x1, y1, x2, y2) = anchor(e)?;
            let others: Vec<_> = boxes.iter().filter(|(id, _)| *id != e.from && *id != e.to).map(|(_, b)| *b).collect();
            Some((e.id, route(x1, y1, x2, y2, &others)))
        })
        .collect()
}

/// The plain curve: out of the first card to the right, into the second
/// from the left.
fn curve(x1: f64, y1: f64, x2: f64, y2: f64) -> Route {
    let bend = ((x2 - x1).abs() / 2.0).max(40.0);
    let (c1, c2) = ((x1 + bend, y1), (x2 - bend, y2));
    Route::new(format!("M{x1},{y1} C{},{} {},{} {x2},{y2}", c1.0, c1.1, c2.0, c2.1), cubic((x1, y1), c1, c2, (x2, y2)))
}

/// Out of the first card, up or down to `level`, along it, and down or up
/// into the second card.
fn detour(x1: f64, y1: f64, x2: f64, y2: f64, level: f64) -> Route {
    let (xa, xb) = (x1 + RUN, x2 - RUN);
    let half = RUN / 2.0;
    let mut points = cubic((x1, y1), (x1 + half, y1), (xa - half, level), (xa, level));
    points.extend(cubic((xb, level), (xb + half, level), (x2 - half, y2), (x2, y2)));
    let d = format!(
        "M{x1},{y1} C{},{y1} {},{level} {xa},{level} L{xb},{level} C{},{level} {},{y2} {x2},{y2}",
        x1 + half,
        xa - half,
        xb + half,
        x2 - half
    );
    Route::new(d, points)
}

fn cubic(p0: (f64, f64), p1: (f64, f64), p2: (f64, f64), p3: (f64, f64)) -> Vec<(f64, f64)> {
    (0..=SAMPLES)
        .map(|i| {
            let t = i as f64 / SAMPLES as f64;
            let u = 1.0 - t;
            let (a, b, c, d) = (u * u * u, 3.0 * u * u * t, 3.0 * u * t * t, t * t * t);
            (a * p0.0 + b * p1.0 + c * p2.0 + d * p3.0, a * p0.1 + b * p1.1 + c * p2.1 + d * p3.1)
        })
        .collect()
}

fn grow(b: (f64, f64, f64, f64), by: f64) -> (f64, f64, f64, f64) {
    (b.0 - by, b.1 - by, b.2 + by, b.3 + by)
}

fn inside(p: (f64, f64), b: (f64, f64, f64, f64)) -> bool {
    p.0 > b.0 && p.0 < b.2 && p.1 > b.1 && p.1 < b.3
}

fn dist(a: (f64, f64), b: (f64, f64)) -> f64 {
    ((a.0 - b.0).powi(2) + (a.1 - b.1).powi(2)).sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_clear_line_is_the_plain_curve() {
        let r = route(0.0, 50.0, 400.0, 50.0, &[(150.0, 300.0, 250.0, 400.0)]);
        assert_eq!(r, curve(0.0, 50.0, 400.0, 50.0));
        assert_eq!(r.at(0.0), (0.0, 50.0));
        assert_eq!(r.at(1.0), (400.0, 50.0));
    }

    #[test]
    fn a_line_with_a_card_in_its_way_goes_around_the_nearer_side() {
        // A card between, reaching further below the line than above it.
        let card = (150.0, 30.0, 250.0, 200.0);
        let r = route(0.0, 50.0, 400.0, 50.0, &[card]);
        assert!(!r.crosses(card), "{}", r.d);
        let (_, y) = r.at(0.5);
        assert_eq!(y, 30.0 - CLEAR, "over the card, the shorter way");
        // A second card right above it: the way over is now longer.
        let above = (160.0, -300.0, 240.0, 25.0);
        let r = route(0.0, 50.0, 400.0, 50.0, &[card, above]);
        assert!(!r.crosses(card) && !r.crosses(above), "{}", r.d);
        assert_eq!(r.at(0.5).1, 200.0 + CLEAR);
    }

    #[test]
    fn an_edge_on_the_canvas_goes_around_the_card_between_its_ends() {
        use crate::playground::model::{NodeKind, Playground};
        let mut p = Playground::default();
        let producer = p.add_node(NodeKind::Producer, None);
        let between = p.add_node(NodeKind::Queue, None);
        let target = p.add_node(NodeKind::Queue, None);
        for (id, x) in [(producer, 20.0), (between, 320.0), (target, 620.0)] {
            p.drag_to(id, x, 40.0);
        }
        let edge = p.connect(producer, target).unwrap();
        let t = &p.topology;
        let anchor = |e: &Edge| {
            let (a, b) = (t.node(e.from)?, t.node(e.to)?);
            Some((a.x + card_width(a.kind()), a.y + 22.0, b.x, b.y + 22.0))
        };
        let all = routes(t, &Heights::new(), anchor);
        let (id, r) = &all[0];
        assert_eq!(*id, edge);
        let b = t.node(between).unwrap();
        assert!(!r.crosses((b.x, b.y, b.x + card_width(b.kind()), b.y + NODE_H)), "{}", r.d);
        assert!(r.d.contains(" L"), "a detour: {}", r.d);
    }

    #[test]
    fn points_along_a_route_move_evenly_from_end_to_end() {
        let r = route(0.0, 50.0, 400.0, 50.0, &[(150.0, 30.0, 250.0, 200.0)]);
        let steps: Vec<(f64, f64)> = (0..=10).map(|i| r.at(f64::from(i) / 10.0)).collect();
        assert_eq!(steps[0], (0.0, 50.0));
        assert_eq!(steps[10], (400.0, 50.0));
        let gaps: Vec<f64> = steps.windows(2).map(|w| dist(w[0], w[1])).collect();
        let (lo, hi) = gaps.iter().fold((f64::INFINITY, 0.0f64), |(lo, hi), g| (lo.min(*g), hi.max(*g)));
        assert!(hi / lo < 1.1, "{gaps:?}");
    }
}
