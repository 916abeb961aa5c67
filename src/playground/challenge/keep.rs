//! A learner's attempt at a challenge, kept in the browser's local storage so
//! that a reload or a visit to a lesson loses nothing. Each way in has its
//! own entry: a course challenge opened by its id keeps one attempt under the
//! id, and a challenge link (one a learner made, or someone's attempt shared
//! for help) keeps one under a digest of the link, so opening a link always
//! starts from what it carries and a reload of it keeps the edits since.
//! Without storage (private modes, a full quota) the attempt lasts for the
//! visit only.

use crate::playground::model::Topology;
use crate::playground::share;

const PREFIX: &str = "brokerlab.attempt.";

/// The storage key of the attempt at the course challenge `id`.
pub fn for_course(id: &str) -> String {
    format!("{PREFIX}{id}")
}

/// The storage key of the attempt at the challenge a link opened: an FNV-1a
/// digest of the link's text.
pub fn for_link(encoded: &str) -> String {
    let digest = encoded
        .trim()
        .bytes()
        .fold(0xcbf2_9ce4_8422_2325_u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3));
    format!("{PREFIX}link-{digest:016x}")
}

/// A fragment (`#/playground?s=…`) as a full address on this site.
pub fn absolute(fragment: &str) -> String {
    let here = leptos::prelude::window().location().href().unwrap_or_default();
    format!("{}{fragment}", here.split('#').next().unwrap_or_default())
}

/// Keeps the attempt under `key`.
pub fn save(key: &str, canvas: &Topology) {
    if let (Some(storage), Ok(json)) = (crate::files::local_storage(), share::to_json(canvas)) {
        let _ = storage.set_item(key, &json);
    }
}

/// The attempt kept under `key`, if any can still be read.
pub fn load(key: &str) -> Option<Topology> {
    let json = crate::files::local_storage()?.get_item(key).ok().flatten()?;
    share::from_json(&json).ok()
}

/// Forgets the attempt under `key` (Reset).
pub fn forget(key: &str) {
    if let Some(storage) = crate::files::local_storage() {
        let _ = storage.remove_item(key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn course_challenges_are_kept_by_id_and_links_by_their_content() {
        assert_eq!(for_course("topic-billing"), "brokerlab.attempt.topic-billing");
        let one = for_link("1.eJyrVkrOz0nTUTJUslIqSs3JTE4tUbJSMlCqBQBLFQYb");
        assert!(one.starts_with("brokerlab.attempt.link-"));
        assert_ne!(one, for_link("1.eJyrVkrOz0nTUTJUslIqSs3JTE4tUbJSMlCqBQBLFQYc"));
        assert_eq!(one, for_link(" 1.eJyrVkrOz0nTUTJUslIqSs3JTE4tUbJSMlCqBQBLFQYb "));
    }
}
