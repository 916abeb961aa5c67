//! The challenge list the shell carries (generated into
//! `src/course/challenge_list.rs` by `cargo xtask content`) agrees with the
//! scenario crate's challenges. The check lives here, outside the shell's
//! files, because only the engines side may name the scenario crate.

#![cfg(not(target_arch = "wasm32"))]

use brokerlab::course::challenges::all;

#[test]
fn the_list_matches_the_scenario_crates_challenges_in_course_order() {
    let listed: Vec<&str> = all().iter().map(|c| c.id).collect();
    let built: Vec<&str> = brokerlab_scenario::challenge::builtin::ids().collect();
    assert_eq!(listed, built, "run `cargo xtask content` after changing a challenge");
    for entry in all() {
        let full = brokerlab_scenario::challenge::builtin::get(entry.id).expect("listed challenges load");
        let c = full.start.challenge.expect("a start has its challenge");
        assert_eq!((entry.title, entry.level), (c.title.as_str(), c.level), "{}", entry.id);
        assert_eq!(entry.module.key(), c.module, "{}", entry.id);
    }
}
