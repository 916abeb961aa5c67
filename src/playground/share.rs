//! Saving and sharing a topology: a versioned JSON document, carried in a
//! link's fragment (percent-encoded) or in a file. The document holds the
//! seed, so a shared playground runs exactly as it did for its author.

use super::model::Topology;
use serde::{Deserialize, Serialize};

/// The document format's version; a reader refuses versions it does not know.
pub const VERSION: u32 = 1;

#[derive(Serialize, Deserialize)]
struct Document {
    version: u32,
    topology: Topology,
}

/// The topology as a JSON document.
pub fn to_json(topology: &Topology) -> String {
    serde_json::to_string(&Document { version: VERSION, topology: topology.clone() }).unwrap_or_default()
}

/// Reads a JSON document, with an error a person can act on.
pub fn from_json(text: &str) -> Result<Topology, String> {
    if !text.contains("\"topology\"")
        && let Ok(scenario) = brokerlab_scenario::Scenario::from_json(text)
    {
        return Ok(super::scenario::to_topology(&scenario));
    }
    let doc: Document =
        serde_json::from_str(text).map_err(|e| format!("This is not a Brokerlab playground file ({e})."))?;
    if doc.version != VERSION {
        return Err(format!("This playground was saved by a newer Brokerlab (format {}).", doc.version));
    }
    Ok(doc.topology)
}

/// The fragment of a link that opens this topology: `#/playground?s=...`.
pub fn link_fragment(topology: &Topology) -> String {
    format!("#/playground?s={}", encode(&to_json(topology)))
}

/// Reads the `s` parameter of a share link: the canvas's own document, or
/// a scenario link (`1.eJy...`) as lessons and the scenario tools write them.
pub fn from_link(encoded: &str) -> Result<Topology, String> {
    if !encoded.starts_with("%7B")
        && let Ok(scenario) = brokerlab_scenario::Scenario::from_link(encoded)
    {
        return Ok(super::scenario::to_topology(&scenario));
    }
    let json = decode(encoded).ok_or_else(|| "This share link is damaged.".to_string())?;
    from_json(&json)
}

/// Percent-encodes everything but unreserved characters, so the document
/// survives in a URL fragment and in the route's query parsing.
pub fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 2);
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The inverse of [`encode`]; `None` for a malformed escape or bad UTF-8.
pub fn decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = text.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// The topology without what a run can take in its stride: positions, and
/// producer settings (which change through an action instead). Two
/// topologies with the same key need no new run.
pub fn run_key(topology: &Topology) -> Topology {
    let mut t = topology.clone();
    for n in &mut t.nodes {
        n.x = 0.0;
        n.y = 0.0;
        if let super::model::NodeConfig::Producer(p) = &mut n.config {
            *p = super::model::ProducerSettings::default();
        }
    }
    t
}

/// Offers `text` to the user as a file download.
pub fn download(name: &str, text: &str) {
    use wasm_bindgen::JsCast;
    let parts = js_sys::Array::of1(&wasm_bindgen::JsValue::from_str(text));
    let options = web_sys::BlobPropertyBag::new();
    options.set_type("application/json");
    let Ok(blob) = web_sys::Blob::new_with_str_sequence_and_options(&parts, &options) else { return };
    let Ok(url) = web_sys::Url::create_object_url_with_blob(&blob) else { return };
    let document = leptos::prelude::document();
    if let Some(a) = document.create_element("a").ok().and_then(|a| a.dyn_into::<web_sys::HtmlAnchorElement>().ok()) {
        a.set_href(&url);
        a.set_download(name);
        a.click();
    }
    let _ = web_sys::Url::revoke_object_url(&url);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::playground::model::{NodeKind, Playground};

    #[test]
    fn a_link_round_trips_the_topology() {
        let mut p = Playground::default();
        let q = p.add_node(NodeKind::Queue, None);
        p.rename(q, "naïve & odd=name").unwrap();
        let fragment = link_fragment(&p.topology);
        let encoded = fragment.strip_prefix("#/playground?s=").unwrap();
        assert!(!encoded.contains('&') && !encoded.contains('#'));
        assert_eq!(from_link(encoded).unwrap(), p.topology);
    }

    #[test]
    fn damaged_links_and_files_are_errors_not_panics() {
        assert!(from_link("%zz").is_err());
        assert!(from_link("%E2%28").is_err());
        assert!(from_json("{}").is_err());
        assert!(
            from_json(r#"{"version":99,"topology":{"nodes":[],"edges":[],"next_id":1,"seed":1}}"#)
                .unwrap_err()
                .contains("newer")
        );
    }
}
