//! Where parts sit: the grid a dropped part snaps to, the free spot nearest
//! a drop, and "Tidy up", which lays the canvas out left to right in the
//! order messages flow, with no two cards overlapping.
//!
//! Cards grow with what they show, so the view passes each card's measured
//! height; a part it has not measured counts as [`NODE_H`] tall.

use super::{NODE_H, NODE_W, Node, NodeId, NodeKind, Topology};
use brokerlab_order::CollectOrdered;
use std::collections::BTreeMap;

/// The grid a dropped part snaps to, in canvas pixels.
pub const GRID: f64 = 20.0;

/// The space kept free between two cards.
pub const GAP: f64 = 20.0;

/// The space between two columns of "Tidy up": room for an edge and its
/// binding key.
const COLUMN_GAP: f64 = 120.0;

/// How far from a drop, in grid cells, a free spot is looked for.
const SEARCH: i32 = 40;

/// Measured card heights by node; missing ones count as [`NODE_H`].
pub type Heights = BTreeMap<NodeId, f64>;

/// The nearest grid line to `v`, never left of or above the origin.
pub fn snap(v: f64) -> f64 {
    (v.max(0.0) / GRID).round() * GRID
}

/// How wide a card of `kind` is drawn (`style/playground.css`).
pub fn card_width(kind: NodeKind) -> f64 {
    match kind {
        NodeKind::ShareGroup => 210.0,
        _ => NODE_W,
    }
}

fn height(heights: &Heights, id: NodeId) -> f64 {
    heights.get(&id).copied().filter(|h| h.is_finite() && *h > 0.0).unwrap_or(NODE_H)
}

/// A card's box at (x, y): left, top, right, bottom.
fn card(node: &Node, x: f64, y: f64, heights: &Heights) -> (f64, f64, f64, f64) {
    (x, y, x + card_width(node.kind()), y + height(heights, node.id))
}

/// Whether two boxes come closer than [`GAP`].
fn crowd(a: (f64, f64, f64, f64), b: (f64, f64, f64, f64)) -> bool {
    a.0 < b.2 + GAP && b.0 < a.2 + GAP && a.1 < b.3 + GAP && b.1 < a.3 + GAP
}

impl Topology {
    /// Where the part `id` lands when dropped at (x, y): the grid point
    /// nearest the drop at which its card keeps [`GAP`] from every other
    /// card. `None` for an unknown part.
    pub fn landing(&self, id: NodeId, x: f64, y: f64, heights: &Heights) -> Option<(f64, f64)> {
        let node = self.node(id)?;
        let (gx, gy) = (snap(x), snap(y));
        let free = |x: f64, y: f64| {
            let me = card(node, x, y, heights);
            self.nodes.iter().filter(|n| n.id != id).all(|n| !crowd(me, card(n, n.x, n.y, heights)))
        };
        // Rings of grid points around the drop, nearest first; within a ring
        // the nearest by distance, then top to bottom and left to right.
        for ring in 0..=SEARCH {
            let mut spots: Vec<(f64, f64)> = Vec::new();
            for dy in -ring..=ring {
                for dx in -ring..=ring {
                    if dx.abs().max(dy.abs()) != ring {
                        continue;
                    }
                    let (sx, sy) = (gx + f64::from(dx) * GRID, gy + f64::from(dy) * GRID);
                    if sx >= 0.0 && sy >= 0.0 {
                        spots.push((sx, sy));
                    }
                }
            }
            brokerlab_order::sort_by(&mut spots, |a, b| {
                let da = (a.0 - gx).hypot(a.1 - gy);
                let db = (b.0 - gx).hypot(b.1 - gy);
                da.total_cmp(&db).then(a.1.total_cmp(&b.1)).then(a.0.total_cmp(&b.0))
            });
            if let Some(&spot) = spots.iter().find(|&&(sx, sy)| free(sx, sy)) {
                return Some(spot);
            }
        }
        Some((gx, gy))
    }

    /// Lays every part out in columns, left to right in the order messages
    /// flow (producers, exchanges and topics, queues, consumers and groups;
    /// an exchange bound to another one column further), each column top to
    /// bottom in the order of what feeds it, on the grid and with [`GAP`]
    /// between cards. Parts with no edge (brokers, new parts) get a last
    /// column of their own.
    pub fn tidy(&mut self, heights: &Heights) {
        let rank = self.flow_ranks();
        let columns = rank.values().filter_map(|r| *r).max().map_or(0, |m| m + 1);
        let mut by_column: Vec<Vec<NodeId>> = vec![Vec::new(); columns + 1];
        for node in &self.nodes {
            let column = rank.get(&node.id).copied().flatten().unwrap_or(columns);
            by_column[column].push(node.id);
        }
        // Each column in the order of its parts' sources' rows (the mean row
        // of what feeds them), then where they were, so lines cross little.
        let mut row: BTreeMap<NodeId, f64> = BTreeMap::new();
        let position = |id: NodeId| self.node(id).map_or((0.0, 0.0), |n| (n.y, n.x));
        let mut left = snap(40.0);
        let mut placed: BTreeMap<NodeId, (f64, f64)> = BTreeMap::new();
        for column in &mut by_column {
            let feed = |id: NodeId| {
                let rows: Vec<f64> =
                    self.edges.iter().filter(|e| e.to == id).filter_map(|e| row.get(&e.from).copied()).collect();
                (!rows.is_empty()).then(|| rows.iter().sum::<f64>() / rows.len() as f64)
            };
            let mut keyed: Vec<(f64, (f64, f64), NodeId)> =
                column.iter().map(|&id| (feed(id).unwrap_or(f64::MAX), position(id), id)).collect();
            brokerlab_order::sort_by(&mut keyed, |a, b| {
                a.0.total_cmp(&b.0).then(a.1.0.total_cmp(&b.1.0)).then(a.1.1.total_cmp(&b.1.1))
            });
            *column = keyed.into_iter().map(|k| k.2).collect();
            let mut top = snap(40.0);
            let mut width: f64 = 0.0;
            for (i, &id) in column.iter().enumerate() {
                row.insert(id, i as f64);
                placed.insert(id, (left, top));
                let kind = self.node(id).map_or(NodeKind::Queue, Node::kind);
                width = width.max(card_width(kind));
                top = snap_up(top + height(heights, id) + GAP);
            }
            if !column.is_empty() {
                left = snap_up(left + width + COLUMN_GAP);
            }
        }
        for node in &mut self.nodes {
            if let Some(&(x, y)) = placed.get(&node.id) {
                node.x = x;
                node.y = y;
            }
        }
    }

    /// Each connected part's column: 0 for a part nothing feeds, else one
    /// more than the furthest part that feeds it. Parts are taken in flow
    /// order; where a loop leaves none ready (a dead-letter exchange fed by
    /// the queue it serves), the leftmost waiting part that a placed part
    /// feeds goes next, and the loop's closing edge is passed over. `None` for a part with no edge.
    /// The topology in words, a line per part in the order messages flow
    /// (the order Tidy up lays them out in, top to bottom within a column):
    /// "Topic exchange x1 → Queue q1 (binding key “eu.#”); → Queue q2 …",
    /// "Queue q1: nothing further", or "Queue q3: not connected". It is the
    /// canvas for a reader who cannot see it.
    pub fn as_text(&self) -> Vec<String> {
        let ranks = self.flow_ranks();
        let mut order: Vec<&Node> = self.nodes.iter().collect();
        brokerlab_order::sort_by(&mut order, |a, b| {
            let rank = |n: &Node| ranks.get(&n.id).copied().flatten().unwrap_or(usize::MAX);
            rank(a).cmp(&rank(b)).then(a.y.total_cmp(&b.y)).then(a.x.total_cmp(&b.x))
        });
        order
            .into_iter()
            .map(|n| {
                let targets: Vec<String> = self
                    .outgoing(n.id)
                    .filter_map(|e| {
                        let to = self.node(e.to)?.title();
                        let key = if e.role.is_binding() {
                            format!(" (binding key \u{201c}{}\u{201d})", e.binding_key)
                        } else {
                            String::new()
                        };
                        Some(format!("\u{2192} {to}{key}"))
                    })
                    .collect();
                if !targets.is_empty() {
                    format!("{} {}", n.title(), targets.join("; "))
                } else if self.incoming(n.id).next().is_some() {
                    format!("{}: nothing further", n.title())
                } else {
                    format!("{}: not connected", n.title())
                }
            })
            .collect()
    }

    fn flow_ranks(&self) -> BTreeMap<NodeId, Option<usize>> {
        let connected = |id: NodeId| self.edges.iter().any(|e| e.from == id || e.to == id);
        let mut waiting: BTreeMap<NodeId, usize> = self
            .nodes
            .iter()
            .filter(|n| connected(n.id))
            .map(|n| (n.id, self.edges.iter().filter(|e| e.to == n.id && e.from != n.id).count()))
            .collect_map();
        let mut rank: BTreeMap<NodeId, Option<usize>> = self.nodes.iter().map(|n| (n.id, None)).collect_map();
        let leftmost = |ids: &mut dyn Iterator<Item = NodeId>| {
            ids.filter_map(|id| self.node(id).map(|n| (n.x, n.y, id)))
                .min_by(|a, b| a.0.total_cmp(&b.0).then(a.1.total_cmp(&b.1)).then(a.2.cmp(&b.2)))
                .map(|m| m.2)
        };
        while !waiting.is_empty() {
            let ready = leftmost(&mut waiting.iter().filter(|(_, n)| **n == 0).map(|(id, _)| *id));
            // In a loop, a part something already placed feeds goes first.
            let fed = |id: &NodeId| rank.get(id).copied().flatten().is_some();
            let Some(next) = ready
                .or_else(|| leftmost(&mut waiting.keys().copied().filter(fed)))
                .or_else(|| leftmost(&mut waiting.keys().copied()))
            else {
                break;
            };
            waiting.remove(&next);
            let r = rank.get(&next).copied().flatten().unwrap_or(0);
            rank.insert(next, Some(r));
            for edge in self.edges.iter().filter(|e| e.from == next && e.to != next) {
                if let Some(n) = waiting.get_mut(&edge.to) {
                    *n = n.saturating_sub(1);
                    let to = rank.get(&edge.to).copied().flatten().unwrap_or(0);
                    rank.insert(edge.to, Some(to.max(r + 1)));
                }
            }
        }
        rank
    }
}

/// The next grid line at or after `v`.
fn snap_up(v: f64) -> f64 {
    (v.max(0.0) / GRID).ceil() * GRID
}
