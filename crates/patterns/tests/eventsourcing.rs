//! Event sourcing and CQRS: replay, snapshots and the read model agree with
//! the write side, whatever the command sequence.

use brokerlab_patterns::*;
use proptest::prelude::*;

fn lab_with_history(snapshot_every: u32) -> EventSourcingLab {
    let mut lab = EventSourcingLab::new(snapshot_every, 1).unwrap();
    lab.open("alice").unwrap();
    lab.open("bob").unwrap();
    lab.deposit("alice", 100).unwrap();
    lab.withdraw("alice", 30).unwrap();
    lab.deposit("bob", 5).unwrap();
    lab
}

#[test]
fn replay_from_offset_zero_rebuilds_the_write_side_after_a_restart() {
    let mut lab = lab_with_history(0);
    let before = lab.write_model().cloned().unwrap();
    assert_eq!(before["alice"], Account { balance: 70, version: 3 });
    lab.restart_write_side();
    assert!(lab.write_model().is_none());
    let replay = lab.rebuild_write_side().unwrap();
    assert_eq!((replay.from_offset, replay.events_read), (0, 5));
    assert_eq!(lab.write_model(), Some(&before));
}

#[test]
fn an_overdraft_is_rejected_and_writes_no_event() {
    let mut lab = lab_with_history(0);
    assert!(matches!(lab.withdraw("bob", 6), Err(PatternError::CommandRejected(_))));
    assert!(matches!(lab.deposit("carol", 1), Err(PatternError::CommandRejected(_))));
    assert!(matches!(lab.open("alice"), Err(PatternError::CommandRejected(_))));
    assert_eq!(lab.events().len(), 5);
}

#[test]
fn a_snapshot_shortens_the_replay_to_the_events_after_it() {
    let mut lab = lab_with_history(4);
    let snaps = lab.snapshots();
    assert_eq!(snaps.len(), 1);
    assert_eq!(snaps[0].next_offset, 4);
    let full = lab.replay().unwrap();
    let short = lab.replay_from_snapshot().unwrap();
    assert_eq!((short.from_offset, short.events_read, full.events_read), (4, 1, 5));
    assert_eq!(short.state, full.state);
}

#[test]
fn a_rebuilt_write_side_keeps_the_snapshot_cadence() {
    let mut lab = EventSourcingLab::new(5, 1).unwrap();
    lab.open("alice").unwrap();
    lab.deposit("alice", 10).unwrap();
    lab.deposit("alice", 20).unwrap();
    lab.restart_write_side();
    assert_eq!(lab.rebuild_write_side().unwrap().events_read, 3);
    lab.deposit("alice", 30).unwrap();
    assert!(lab.snapshots().is_empty());
    lab.deposit("alice", 40).unwrap();
    let snaps = lab.snapshots();
    assert_eq!(snaps.len(), 1, "the fifth event takes a snapshot, restart or not");
    assert_eq!((snaps[0].next_offset, snaps[0].state["alice"].balance), (5, 100));
}

#[test]
fn the_read_model_lags_then_catches_up_and_rebuilds_from_scratch() {
    let mut lab = lab_with_history(0);
    assert_eq!(lab.read_model_lag(), 5);
    assert!(lab.read_model().is_empty());
    assert_eq!(lab.step().unwrap(), 2);
    assert_eq!(lab.read_model_lag(), 3);
    lab.catch_up(100).unwrap();
    let expected: Vec<(String, u64)> = vec![("alice".into(), 70), ("bob".into(), 5)];
    assert_eq!(lab.read_model().into_iter().collect::<Vec<_>>(), expected);
    lab.rebuild_read_model().unwrap();
    assert!(lab.read_model().is_empty());
    assert_eq!(lab.read_model_lag(), 5);
    lab.catch_up(100).unwrap();
    assert_eq!(lab.read_model().into_iter().collect::<Vec<_>>(), expected);
    assert_eq!(lab.snapshot().history.len(), 5);
}

#[test]
fn the_same_seed_and_commands_give_the_same_snapshot() {
    let run = || {
        let mut lab = lab_with_history(2);
        lab.step().unwrap();
        lab.snapshot()
    };
    assert_eq!(run(), run());
}

#[derive(Debug, Clone)]
enum Op {
    Open(u8),
    Deposit(u8, u64),
    Withdraw(u8, u64),
    Restart,
    ReadStep,
    RebuildReadModel,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        1 => (0u8..3).prop_map(Op::Open),
        3 => ((0u8..3), 1u64..50).prop_map(|(a, n)| Op::Deposit(a, n)),
        3 => ((0u8..3), 1u64..50).prop_map(|(a, n)| Op::Withdraw(a, n)),
        1 => Just(Op::Restart),
        2 => Just(Op::ReadStep),
        1 => Just(Op::RebuildReadModel),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn replay_snapshots_and_read_model_agree_with_the_write_side(
        seed in any::<u64>(),
        snapshot_every in 0u32..5,
        ops in prop::collection::vec(op(), 0..40),
    ) {
        let mut lab = EventSourcingLab::new(snapshot_every, seed).unwrap();
        let name = |a: u8| format!("acct{a}");
        for o in &ops {
            // Rejected commands are part of the game; only engine errors would be bugs.
            let r = match o {
                Op::Open(a) => lab.open(&name(*a)).map(|_| ()),
                Op::Deposit(a, n) => lab.deposit(&name(*a), *n).map(|_| ()),
                Op::Withdraw(a, n) => lab.withdraw(&name(*a), *n).map(|_| ()),
                Op::Restart => { lab.restart_write_side(); Ok(()) }
                Op::ReadStep => lab.step().map(|_| ()),
                Op::RebuildReadModel => lab.rebuild_read_model(),
            };
            prop_assert!(matches!(r, Ok(()) | Err(PatternError::CommandRejected(_))), "seed {} op {:?}: {:?}", seed, o, r);
        }
        let full = lab.replay().unwrap();
        let short = lab.replay_from_snapshot().unwrap();
        prop_assert_eq!(&short.state, &full.state, "seed {}", seed);
        lab.rebuild_write_side().unwrap();
        prop_assert_eq!(lab.write_model(), Some(&full.state), "seed {}", seed);
        lab.catch_up(1_000).unwrap();
        let balances: std::collections::BTreeMap<String, u64> =
            full.state.iter().map(|(k, a)| (k.clone(), a.balance)).collect();
        prop_assert_eq!(lab.read_model(), balances, "seed {}", seed);
    }
}
