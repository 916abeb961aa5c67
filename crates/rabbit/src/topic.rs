//! Topic exchange matching. [`TopicTrie`] is a word trie in the shape of
//! RabbitMQ's own topic index: each edge is a literal word, `*` or `#`, and
//! bindings hang off the node where their key ends, so routing walks only the
//! branches a routing key can reach instead of testing every binding.
//! [`topic_matches`] is the plain one-binding matcher (used for traces and as
//! the baseline in the benchmark), [`explain_topic`] says which routing-key
//! words each pattern word consumed, and [`validate_binding_key`] applies the
//! RabbitMQ 4.x limit of two `#` words per binding key.

use rustc_hash::{FxHashMap, FxHashSet};
use serde::{Deserialize, Serialize};

/// The largest number of `#` words RabbitMQ 4.x accepts in one binding key.
pub const MAX_HASH_WILDCARDS: usize = 2;

/// Splits a key into words the way RabbitMQ does: the empty key has no words,
/// and every other key splits on each `.`, so `a..b` has an empty middle word.
pub fn split_words(key: &str) -> Vec<&str> {
    if key.is_empty() { Vec::new() } else { key.split('.').collect() }
}

/// Checks a topic binding key. Only whole `#` words count towards the limit;
/// `a#b` and `##` are literals.
pub fn validate_binding_key(key: &str) -> Result<(), String> {
    let hashes = split_words(key).iter().filter(|w| **w == "#").count();
    if hashes > MAX_HASH_WILDCARDS {
        Err(format!("Topic binding key '{key}' uses {hashes} '#' wildcards, at most {MAX_HASH_WILDCARDS} are allowed"))
    } else {
        Ok(())
    }
}

/// Whether one binding key matches one routing key. This is the reference
/// matcher: a backtracking walk over the two word lists.
pub fn topic_matches(binding_key: &str, routing_key: &str) -> bool {
    let pattern = split_words(binding_key);
    let words = split_words(routing_key);
    matches_from(&pattern, &words)
}

/// [`topic_matches`] on keys already split into words, for callers that
/// test many bindings against one routing key.
pub fn matches_words(pattern: &[&str], words: &[&str]) -> bool {
    matches_from(pattern, words)
}

fn matches_from(pattern: &[&str], words: &[&str]) -> bool {
    // A dynamic programme over (pattern prefix, routing-key prefix) keeps
    // keys with many `#` words linear instead of exponential.
    let n = words.len();
    let mut stack = [[false; 64]; 2];
    let mut heap;
    let (mut cur, mut next): (&mut [bool], &mut [bool]) = if n < 64 {
        let [a, b] = &mut stack;
        (&mut a[..=n], &mut b[..=n])
    } else {
        heap = vec![false; 2 * (n + 1)];
        let (a, b) = heap.split_at_mut(n + 1);
        (a, b)
    };
    cur[0] = true;
    for p in pattern {
        match *p {
            "#" => {
                let mut any = false;
                for j in 0..=n {
                    any |= cur[j];
                    next[j] = any;
                }
            }
            "*" => {
                next[0] = false;
                next[1..=n].copy_from_slice(&cur[..n]);
            }
            lit => {
                next[0] = false;
                for j in 1..=n {
                    next[j] = cur[j - 1] && words[j - 1] == lit;
                }
            }
        }
        // Stop as soon as no prefix can match (most bindings fail on their
        // first word), and swap the rows instead of copying one into the other.
        if !next.iter().any(|&m| m) {
            return false;
        }
        std::mem::swap(&mut cur, &mut next);
    }
    cur[n]
}

/// How one word of a binding key was matched, for routing traces.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WordMatch {
    /// The binding-key word: a literal, `*` or `#`.
    pub pattern: String,
    /// The routing-key words it consumed (exactly one unless it is `#`).
    pub words: Vec<String>,
}

/// Explains a match: for each binding-key word, the routing-key words it
/// consumed. `None` when the keys do not match. When `#` could take several
/// lengths, the first (shortest) assignment that completes the match is given.
pub fn explain_topic(binding_key: &str, routing_key: &str) -> Option<Vec<WordMatch>> {
    let pattern = split_words(binding_key);
    let words = split_words(routing_key);
    let mut out = Vec::with_capacity(pattern.len());
    let mut failed = FxHashSet::default();
    if explain_from(&pattern, &words, &mut out, &mut failed) { Some(out) } else { None }
}

/// Backtracking with a memo of dead ends, keyed by how much of each list is
/// left, so many `#` words cannot make it exponential.
fn explain_from(
    pattern: &[&str],
    words: &[&str],
    out: &mut Vec<WordMatch>,
    failed: &mut FxHashSet<(usize, usize)>,
) -> bool {
    let key = (pattern.len(), words.len());
    if failed.contains(&key) {
        return false;
    }
    let found = explain_step(pattern, words, out, failed);
    if !found {
        failed.insert(key);
    }
    found
}

fn explain_step(
    pattern: &[&str],
    words: &[&str],
    out: &mut Vec<WordMatch>,
    failed: &mut FxHashSet<(usize, usize)>,
) -> bool {
    let Some((&first, rest)) = pattern.split_first() else {
        return words.is_empty();
    };
    let take =
        |n: usize| WordMatch { pattern: first.to_string(), words: words[..n].iter().map(|w| w.to_string()).collect() };
    match first {
        "#" => {
            for n in 0..=words.len() {
                out.push(take(n));
                if explain_from(rest, &words[n..], out, failed) {
                    return true;
                }
                out.pop();
            }
            false
        }
        _ if words.is_empty() => false,
        "*" => {
            out.push(take(1));
            explain_from(rest, &words[1..], out, failed) || {
                out.pop();
                false
            }
        }
        lit if lit == words[0] => {
            out.push(take(1));
            explain_from(rest, &words[1..], out, failed) || {
                out.pop();
                false
            }
        }
        _ => false,
    }
}

#[derive(Debug, Clone)]
struct Node<T> {
    literal: FxHashMap<Box<str>, usize>,
    star: Option<usize>,
    hash: Option<usize>,
    values: Vec<T>,
    /// How many edges lead out of this node; a node with no edges and no
    /// values is unlinked from its parent when a binding is removed.
    parent: Option<(usize, Edge)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Edge {
    Literal(Box<str>),
    Star,
    Hash,
}

impl<T> Node<T> {
    fn new(parent: Option<(usize, Edge)>) -> Self {
        Node { literal: FxHashMap::default(), star: None, hash: None, values: Vec::new(), parent }
    }

    fn is_empty(&self) -> bool {
        self.literal.is_empty() && self.star.is_none() && self.hash.is_none() && self.values.is_empty()
    }
}

/// A trie of topic binding keys. `T` is whatever identifies a binding to the
/// caller (the engine stores binding indexes). Lookups use a fixed-seed hash
/// map, so no output ever depends on a random hash seed, and removal prunes
/// nodes that no longer lead anywhere.
#[derive(Debug, Clone)]
pub struct TopicTrie<T> {
    nodes: Vec<Node<T>>,
    free: Vec<usize>,
}

impl<T: PartialEq + Clone> Default for TopicTrie<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: PartialEq + Clone> TopicTrie<T> {
    /// An empty trie.
    pub fn new() -> Self {
        TopicTrie { nodes: vec![Node::new(None)], free: Vec::new() }
    }

    fn alloc(&mut self, parent: (usize, Edge)) -> usize {
        let node = Node::new(Some(parent));
        if let Some(i) = self.free.pop() {
            self.nodes[i] = node;
            i
        } else {
            self.nodes.push(node);
            self.nodes.len() - 1
        }
    }

    /// Adds `value` under `binding_key`. No validation happens here, so keys
    /// stored before the 4.x `#` limit can still be represented.
    pub fn insert(&mut self, binding_key: &str, value: T) {
        let mut at = 0;
        for word in split_words(binding_key) {
            let next = match word {
                "*" => self.nodes[at].star,
                "#" => self.nodes[at].hash,
                lit => self.nodes[at].literal.get(lit).copied(),
            };
            at = match next {
                Some(n) => n,
                None => {
                    let edge = match word {
                        "*" => Edge::Star,
                        "#" => Edge::Hash,
                        lit => Edge::Literal(lit.into()),
                    };
                    let n = self.alloc((at, edge.clone()));
                    match edge {
                        Edge::Star => self.nodes[at].star = Some(n),
                        Edge::Hash => self.nodes[at].hash = Some(n),
                        Edge::Literal(l) => {
                            self.nodes[at].literal.insert(l, n);
                        }
                    }
                    n
                }
            };
        }
        self.nodes[at].values.push(value);
    }

    /// Removes one occurrence of `value` under `binding_key`; returns whether
    /// it was there.
    pub fn remove(&mut self, binding_key: &str, value: &T) -> bool {
        let mut at = 0;
        for word in split_words(binding_key) {
            let next = match word {
                "*" => self.nodes[at].star,
                "#" => self.nodes[at].hash,
                lit => self.nodes[at].literal.get(lit).copied(),
            };
            match next {
                Some(n) => at = n,
                None => return false,
            }
        }
        let Some(pos) = self.nodes[at].values.iter().position(|v| v == value) else {
            return false;
        };
        self.nodes[at].values.remove(pos);
        // Prune the chain of nodes that became useless, so a long-lived
        // exchange with churning bindings keeps a small trie.
        while at != 0 && self.nodes[at].is_empty() {
            let Some((parent, edge)) = self.nodes[at].parent.take() else {
                break;
            };
            match edge {
                Edge::Star => self.nodes[parent].star = None,
                Edge::Hash => self.nodes[parent].hash = None,
                Edge::Literal(l) => {
                    self.nodes[parent].literal.remove(&l);
                }
            }
            self.free.push(at);
            at = parent;
        }
        true
    }

    /// Pushes every value whose binding key matches `routing_key` onto `out`.
    /// A value can appear more than once when several paths reach it (for
    /// example `#.#`); callers deduplicate destinations anyway.
    pub fn matches_into(&self, routing_key: &str, out: &mut Vec<T>) {
        let mut seen = FxHashSet::default();
        // Routing keys rarely have more than a few words; split them onto
        // the stack and only fall back to the heap for long ones.
        let mut buf: [&str; 16] = [""; 16];
        let mut n = 0;
        if !routing_key.is_empty() {
            for w in routing_key.split('.') {
                if n == buf.len() {
                    let words = split_words(routing_key);
                    self.walk(0, &words, out, &mut seen, false);
                    return;
                }
                buf[n] = w;
                n += 1;
            }
        }
        self.walk(0, &buf[..n], out, &mut seen, false);
    }

    fn walk(
        &self,
        at: usize,
        words: &[&str],
        out: &mut Vec<T>,
        seen: &mut FxHashSet<(usize, usize)>,
        below_hash: bool,
    ) {
        let node = &self.nodes[at];
        if let Some(h) = node.hash {
            // `#` may swallow any number of words, including none. Below an
            // earlier `#` the same (node, words left) state can be reached
            // many ways, so there each state is walked once, as RabbitMQ's
            // own matcher memoises; chains of `#` then stay polynomial. A
            // path with a single `#` cannot repeat a state and skips the memo.
            for skip in 0..=words.len() {
                if !below_hash || seen.insert((h, words.len() - skip)) {
                    self.walk(h, &words[skip..], out, seen, true);
                }
            }
        }
        let Some((first, rest)) = words.split_first() else {
            out.extend(node.values.iter().cloned());
            return;
        };
        if let Some(s) = node.star {
            self.walk(s, rest, out, seen, below_hash);
        }
        if let Some(&n) = node.literal.get(*first) {
            self.walk(n, rest, out, seen, below_hash);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_words_are_real_words() {
        assert!(topic_matches("a.*.b", "a..b"));
        assert!(topic_matches("#", ""));
        assert!(!topic_matches("*", "")); // the empty key has zero words
    }

    #[test]
    fn removing_a_binding_prunes_the_trie() {
        let mut t = TopicTrie::new();
        t.insert("a.b.c", 1);
        t.insert("a.#", 2);
        assert!(t.remove("a.b.c", &1));
        assert!(!t.remove("a.b.c", &1));
        let mut out = Vec::new();
        t.matches_into("a.b.c", &mut out);
        assert_eq!(out, vec![2]);
        assert_eq!(t.nodes.len() - t.free.len(), 3);
    }

    #[test]
    fn explanation_assigns_words_to_wildcards() {
        let e = explain_topic("a.#.c.*", "a.x.y.c.z").unwrap();
        let words: Vec<Vec<String>> = e.into_iter().map(|w| w.words).collect();
        assert_eq!(words, vec![vec!["a"], vec!["x", "y"], vec!["c"], vec!["z"]]);
    }
}
