//! Built-in scenarios: the lesson presets the course embeds by id and the
//! playground gallery's starters. Each is a small JSON file under
//! `presets/`, compiled in, so they double as examples of the format and a
//! test proves each one is valid, runs cleanly and fits in a short link.

use crate::model::Scenario;

/// Every preset id with its source, lessons first, then gallery starters.
const SOURCES: &[(&str, &str)] = &[("work-queue", include_str!("../presets/work-queue.json"))];

/// The ids of every built-in scenario, in gallery order.
pub fn ids() -> impl Iterator<Item = &'static str> {
    SOURCES.iter().map(|(id, _)| *id)
}

/// The built-in scenario with this id.
pub fn get(id: &str) -> Option<Scenario> {
    SOURCES.iter().find(|(i, _)| *i == id).and_then(|(_, src)| Scenario::from_json(src).ok())
}

/// Every built-in scenario, in gallery order.
pub fn all() -> Vec<Scenario> {
    SOURCES.iter().filter_map(|(_, src)| Scenario::from_json(src).ok()).collect()
}
