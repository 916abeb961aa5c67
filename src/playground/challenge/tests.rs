//! Every course challenge played on the canvas: the start fails, the drawn
//! solution passes, and the recording rule, hints, locks and code spans.

use super::*;
use crate::playground::model::{NodeKind, Playground};

/// Every challenge can be finished on the canvas: its start, drawn and
/// written back, fails, and its reference solution, drawn and written back,
/// passes. Nothing is carried over from the challenge's files, so whatever
/// the answer needs, the canvas shows and keeps.
#[test]
fn every_challenge_opens_and_fails_on_its_start_and_passes_on_its_drawn_solution() {
    let ids: Vec<&str> = builtin::ids().collect();
    assert_eq!(ids.len(), crate::course::challenges::all().len(), "the shell lists every challenge");
    for id in ids {
        let play = Play::open(id).unwrap_or_else(|| panic!("{id} opens"));
        assert!(!play.start.nodes.is_empty(), "{id}: the start draws");
        let start = play.check(&play.start).expect("the start maps to a scenario");
        assert!(!start.passed, "{id}: the start must not already pass");
        let drawn = play.solution.clone().expect("a course challenge has a solution");
        let solution = play.check(&drawn).expect("the solution maps to a scenario");
        let failed: Vec<_> = solution.results.iter().filter(|r| !r.passed).collect();
        assert!(solution.passed, "{id}: the drawn solution fails: {failed:?}");
    }
}

#[test]
fn topic_billing_passes_once_billing_is_bound_with_the_right_key() {
    let play = Play::open("topic-billing").expect("topic-billing opens");
    let mut editor = Playground::new(play.start.clone());
    let exchange = editor.topology.named(NodeKind::Exchange, "orders").expect("orders").id;
    let billing = editor.topology.named(NodeKind::Queue, "billing").expect("billing").id;
    let edge = editor.connect(exchange, billing).expect("an exchange binds a queue");
    editor.set_binding(edge, "eu.*.order.paid", "").expect("a key");
    let wrong = play.check(&editor.topology).expect("checks");
    assert!(!wrong.passed);
    assert!(wrong.results.iter().any(|r| r.reason.as_deref().is_some_and(|why| why.contains("order 1 paid"))));
    editor.set_binding(edge, "eu.#.order.paid", "").expect("a key");
    let right = play.check(&editor.topology).expect("checks");
    assert!(right.passed, "{:?}", right.results);
    assert_eq!(Play::outcome(&right, Origin::Start), Outcome::Solved);
}

#[test]
fn a_pass_on_the_shown_solution_is_not_recorded_but_one_on_the_learners_canvas_is() {
    let play = Play::open("topic-billing").expect("opens");
    let passed = play.check(play.solution.as_ref().expect("a solution")).expect("checks");
    assert_eq!(Play::outcome(&passed, Origin::Solution), Outcome::PassedOnSolution);
    assert_eq!(Play::outcome(&passed, Origin::Start), Outcome::Solved);
    let failed = play.check(&play.start).expect("checks");
    assert_eq!(Play::outcome(&failed, Origin::Start), Outcome::NotYet);
    assert_eq!(Play::outcome(&failed, Origin::Solution), Outcome::NotYet);
}

#[test]
fn deleting_a_locked_part_fails_the_locked_check_with_its_id() {
    let play = Play::open("topic-billing").expect("opens");
    let mut editor = Playground::new(play.solution.clone().expect("a solution"));
    let warehouse = editor.topology.named(NodeKind::Queue, "warehouse").expect("warehouse").id;
    assert!(play.is_locked(&editor.topology, warehouse));
    let billing = editor.topology.named(NodeKind::Queue, "billing").expect("billing").id;
    assert!(!play.is_locked(&editor.topology, billing));
    editor.delete_node(warehouse);
    let verdict = play.check(&editor.topology).expect("checks");
    let locked = verdict.results.iter().find(|r| r.check.contains("queue:warehouse")).expect("a locked check");
    assert!(!locked.passed);
    assert!(locked.reason.as_deref().is_some_and(|r| r.contains("locked")), "{locked:?}");
}

#[test]
fn an_unknown_challenge_does_not_open() {
    assert!(Play::open("no-such-challenge").is_none());
}

#[test]
fn hints_are_revealed_one_at_a_time_until_none_is_left() {
    let mut hints = Hints::new(3);
    assert_eq!(hints.shown, 0);
    assert!(hints.reveal() && hints.reveal());
    assert!(!hints.all_shown());
    assert!(hints.reveal());
    assert!(hints.all_shown());
    assert!(!hints.reveal());
    assert_eq!(hints.shown, 3);
}

#[test]
fn backticks_mark_code_and_an_unclosed_one_stays_text() {
    assert_eq!(
        code_spans("bind `billing` to `orders`"),
        vec![
            (false, "bind ".to_owned()),
            (true, "billing".to_owned()),
            (false, " to ".to_owned()),
            (true, "orders".to_owned())
        ]
    );
    assert_eq!(code_spans("a ` b"), vec![(false, "a ` b".to_owned())]);
    assert_eq!(code_spans("plain"), vec![(false, "plain".to_owned())]);
}
