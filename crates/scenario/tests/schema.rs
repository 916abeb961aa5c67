//! The published JSON Schema is generated from the types; this test fails
//! when the committed copies are stale.

use std::path::Path;

#[test]
fn the_committed_json_schema_matches_the_types() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let fresh = brokerlab_scenario::json_schema();
    for rel in ["docs/scenario.schema.json", "public/scenario.schema.json"] {
        let path = root.join(rel);
        if std::env::var_os("BROKERLAB_UPDATE_SCHEMA").is_some() {
            std::fs::write(&path, &fresh).expect("writable");
        }
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            committed == fresh,
            "{rel} is stale; regenerate it with\n  BROKERLAB_UPDATE_SCHEMA=1 cargo test -p brokerlab-scenario --test schema"
        );
    }
}

#[test]
fn the_schema_names_the_definitions_fields() {
    let schema: serde_json::Value = serde_json::from_str(&brokerlab_scenario::json_schema()).expect("json");
    let binding = &schema["definitions"]["BindingDef"]["properties"];
    for field in ["source", "destination", "destination_type", "routing_key", "arguments", "vhost"] {
        assert!(binding.get(field).is_some(), "BindingDef lacks {field}");
    }
    let topic = &schema["definitions"]["TopicDef"]["properties"];
    for field in ["partitions", "replication_factor", "configs"] {
        assert!(topic.get(field).is_some(), "TopicDef lacks {field}");
    }
}
