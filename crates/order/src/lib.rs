//! Sorting and ordered collections with one copy of the code for the whole
//! program.
//!
//! The standard library's stable sort is generic over the element type and
//! the comparison, so every `sort_by` call site (every closure is a type of
//! its own) and every `collect()` into a `BTreeMap` or `BTreeSet` (which
//! sorts its input first) compiles a fresh copy of the sort, about 3 KB of
//! WebAssembly each. The site ships the engines to a browser, where those
//! copies added up to a fifth of a megabyte. Here the sort runs once, on
//! positions, through a comparison passed by reference, and only the short
//! loop that moves the items into place is generic; the collections are
//! built by inserting, which needs no sort at all.
//!
//! Both sorts are stable, like the standard library's: items that compare
//! equal keep their order. Use them where a sort is not on a hot path; the
//! indirection costs a little per comparison.

use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet};

/// Sorts `items` stably by `compare`.
pub fn sort_by<T>(items: &mut [T], compare: impl Fn(&T, &T) -> Ordering) {
    let order = positions_in_order(items.len(), &|a, b| compare(&items[a], &items[b]));
    permute(items, order);
}

/// Sorts `items` stably by the key `key` gives each.
pub fn sort_by_key<T, K: Ord>(items: &mut [T], key: impl Fn(&T) -> K) {
    sort_by(items, |a, b| key(a).cmp(&key(b)));
}

/// Sorts `items` stably in their natural order.
pub fn sort<T: Ord>(items: &mut [T]) {
    sort_by(items, T::cmp);
}

/// A map of `entries`; a key given twice keeps its last value, as `collect()`
/// does.
pub fn map<K: Ord, V>(entries: impl IntoIterator<Item = (K, V)>) -> BTreeMap<K, V> {
    let mut map = BTreeMap::new();
    for (k, v) in entries {
        map.insert(k, v);
    }
    map
}

/// A set of `items`.
pub fn set<T: Ord>(items: impl IntoIterator<Item = T>) -> BTreeSet<T> {
    let mut set = BTreeSet::new();
    for item in items {
        set.insert(item);
    }
    set
}

/// `collect()` into a map or a set, by inserting (see [`map`] and [`set`]).
pub trait CollectOrdered: Iterator + Sized {
    /// The pairs as a map; a key given twice keeps its last value.
    fn collect_map<K: Ord, V>(self) -> BTreeMap<K, V>
    where
        Self: Iterator<Item = (K, V)>,
    {
        map(self)
    }

    /// The items as a set.
    fn collect_set(self) -> BTreeSet<Self::Item>
    where
        Self::Item: Ord,
    {
        set(self)
    }
}

impl<I: Iterator> CollectOrdered for I {}

/// The positions `0..len` ordered stably by `compare`: the one instance of
/// the standard sort in the program.
fn positions_in_order(len: usize, compare: &dyn Fn(usize, usize) -> Ordering) -> Vec<usize> {
    let mut order: Vec<usize> = (0..len).collect();
    order.sort_by(|&a, &b| compare(a, b));
    order
}

/// Moves `items[order[i]]` to position `i` for every `i`, following each
/// cycle of the permutation with swaps. A position whose item is in place is
/// marked by `order[i] == i`.
fn permute<T>(items: &mut [T], mut order: Vec<usize>) {
    for start in 0..order.len() {
        let mut at = start;
        loop {
            let from = order[at];
            order[at] = at;
            if from == start || from == at {
                break;
            }
            items.swap(at, from);
            at = from;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn sorts_stably_like_the_standard_library(items in proptest::collection::vec((0u8..6, any::<u16>()), 0..200)) {
            let mut ours = items.clone();
            let mut std_sorted = items;
            sort_by(&mut ours, |a, b| a.0.cmp(&b.0));
            std_sorted.sort_by_key(|a| a.0);
            prop_assert_eq!(ours, std_sorted);
        }

        #[test]
        fn builds_the_same_collections_as_collect(entries in proptest::collection::vec((0u8..20, any::<u16>()), 0..100)) {
            prop_assert_eq!(map(entries.clone()), entries.iter().copied().collect::<BTreeMap<_, _>>());
            prop_assert_eq!(set(entries.clone()), entries.into_iter().collect::<BTreeSet<_>>());
        }
    }

    #[test]
    fn sorts_by_key_and_naturally() {
        let mut words = vec!["pear", "fig", "apple", "kiwi"];
        sort_by_key(&mut words, |w| w.len());
        assert_eq!(words, ["fig", "pear", "kiwi", "apple"]);
        sort(&mut words);
        assert_eq!(words, ["apple", "fig", "kiwi", "pear"]);
    }

    #[test]
    fn collects_maps_and_sets_from_iterators() {
        let words = ["b", "a", "b"];
        assert_eq!(words.iter().map(|w| (*w, w.len())).collect_map(), BTreeMap::from([("a", 1), ("b", 1)]));
        assert_eq!(words.into_iter().collect_set(), BTreeSet::from(["a", "b"]));
    }

    #[test]
    fn a_later_duplicate_key_wins() {
        assert_eq!(map([(1, "a"), (2, "b"), (1, "c")]), BTreeMap::from([(1, "c"), (2, "b")]));
    }
}
