//! Golden links and files of every format version. Each `NAME.link` under
//! `tests/golden/vN/` was written by the version-N site; it must keep
//! opening, through the migrations, to the same scenario as its `NAME.json`
//! sibling. Never edit or regenerate these files: add a new `vN+1/` folder
//! when the format changes, and keep the old ones.

use std::path::Path;

use brokerlab_scenario::{FORMAT_VERSION, Scenario};

fn golden_dirs() -> Vec<std::path::PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden");
    let mut dirs: Vec<_> = std::fs::read_dir(&root)
        .expect("tests/golden exists")
        .map(|e| e.expect("readable").path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    dirs
}

#[test]
fn there_is_a_golden_folder_for_every_format_version() {
    let names: Vec<String> =
        golden_dirs().iter().map(|d| d.file_name().unwrap_or_default().to_string_lossy().into_owned()).collect();
    for v in 1..=FORMAT_VERSION {
        assert!(names.contains(&format!("v{v}")), "no tests/golden/v{v}/ among {names:?}");
    }
}

#[test]
fn every_golden_link_opens_to_its_golden_file() {
    let mut checked = 0;
    for dir in golden_dirs() {
        for entry in std::fs::read_dir(&dir).expect("readable") {
            let path = entry.expect("readable").path();
            if path.extension().is_some_and(|e| e == "link") {
                let link = std::fs::read_to_string(&path).expect("readable");
                let json = std::fs::read_to_string(path.with_extension("json")).expect("a .json beside each .link");
                let from_link = Scenario::from_link(&link).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
                let from_file = Scenario::from_json(&json).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
                assert_eq!(from_link, from_file, "{}", path.display());
                assert_eq!(from_link.version, FORMAT_VERSION);
                checked += 1;
            }
        }
    }
    assert!(checked >= 5, "only {checked} golden links");
}

#[test]
fn the_every_action_golden_files_use_every_action() {
    // `every-action.json` holds the actions version 1 first had; the share
    // group actions (KIP-932), added to version 1 later, are in
    // `share-groups.json`, the policy actions, added to version 2, in
    // `v2/policies.json`, and the broker operations added to version 2
    // (controlled shutdown, preferred-leader election) in
    // `v2/broker-operations.json`, and the KRaft controller actions in
    // `v2/kraft.json`, since a golden file is never edited.
    let mut used = std::collections::BTreeSet::new();
    for name in [
        "v1/every-action.json",
        "v1/share-groups.json",
        "v2/policies.json",
        "v2/broker-operations.json",
        "v2/kraft.json",
    ] {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden").join(name);
        let s = Scenario::from_json(&std::fs::read_to_string(path).expect("readable")).expect("valid");
        used.extend(
            s.script.iter().map(|a| {
                serde_json::to_value(a).expect("serialises")["action"].as_str().unwrap_or_default().to_string()
            }),
        );
    }
    // The schema lists every action tag; the golden files must cover them all
    // so that no action of version 1 goes untested.
    let schema: serde_json::Value = serde_json::from_str(&brokerlab_scenario::json_schema()).expect("schema");
    let mut all = std::collections::BTreeSet::new();
    for variant in schema["definitions"]["Action"]["oneOf"].as_array().expect("Action is a oneOf") {
        if let Some(tag) = variant["properties"]["action"]["enum"][0].as_str() {
            all.insert(tag.to_string());
        }
    }
    assert!(!all.is_empty());
    let missing: Vec<_> = all.difference(&used).collect();
    assert!(missing.is_empty(), "the golden files lack actions {missing:?}");
}

#[test]
fn the_canvas_golden_file_uses_every_field_of_the_canvas_section() {
    // Written by the playground: a canvas with RabbitMQ and Kafka parts,
    // producers, processing times and failures, a group without members,
    // a renamed broker, an unconnected consumer and deleted parts.
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/v1/canvas.json");
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).expect("readable")).expect("JSON");
    let canvas = &json["canvas"];
    let schema: serde_json::Value = serde_json::from_str(&brokerlab_scenario::json_schema()).expect("schema");
    let fields = |def: &str| -> Vec<String> {
        schema["definitions"][def]["properties"].as_object().expect("an object").keys().cloned().collect()
    };
    let used = |items: &serde_json::Value, field: &str| {
        items.as_array().expect("a list").iter().any(|item| item.get(field).is_some())
    };
    for field in fields("Canvas") {
        assert!(canvas.get(&field).is_some(), "the canvas golden file lacks canvas.{field}");
    }
    for (def, list) in [("CanvasProducer", "producers"), ("CanvasConsumer", "consumers"), ("CanvasGroup", "groups")] {
        for field in fields(def) {
            assert!(used(&canvas[list], &field), "no canvas.{list}[] has {field}");
        }
    }
    let order = canvas["order"].as_array().expect("a list");
    assert!(
        order.iter().any(|e| e.is_null()) && order.iter().any(|e| e.is_array()) && order.iter().any(|e| e.is_string())
    );
}

#[test]
fn the_challenge_golden_files_use_every_check() {
    // `challenge.json` has the checks of the first challenges; checks added
    // since are in `checks-added.json`, so that neither file is rewritten.
    let mut used = std::collections::BTreeSet::new();
    for name in ["challenge.json", "checks-added.json"] {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/v1").join(name);
        let s = Scenario::from_json(&std::fs::read_to_string(path).expect("readable")).expect("valid");
        let c = s.challenge.as_deref().expect("a challenge section");
        used.extend(
            c.probes.iter().flat_map(|p| &p.checks).map(|k| {
                serde_json::to_value(k).expect("serialises")["check"].as_str().unwrap_or_default().to_string()
            }),
        );
    }
    // The schema lists every check tag; the golden file must cover them all.
    let schema: serde_json::Value = serde_json::from_str(&brokerlab_scenario::json_schema()).expect("json");
    let kinds: std::collections::BTreeSet<String> = schema["definitions"]["Check"]["oneOf"]
        .as_array()
        .expect("Check is a tagged enum")
        .iter()
        .filter_map(|v| v["properties"]["check"]["enum"][0].as_str().map(str::to_string))
        .collect();
    assert!(kinds.len() >= 13, "the schema lists {kinds:?}");
    assert_eq!(used, kinds);
}
