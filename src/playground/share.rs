//! Saving and sharing the canvas as a scenario
//! ([`brokerlab_scenario::Scenario`], see `docs/scenario.md`): a share link
//! carries it in the fragment (`#/playground?s=2.…`, compressed), a file as
//! scenario JSON. The scenario holds the seed, so a shared playground runs
//! exactly as it did for its author.
//!
//! Links and files from before the canvas wrote scenarios (the canvas's own
//! JSON document, `{"version":1,"topology":…}`, percent-encoded in links as
//! `%7B…`) still open. Every failure is a sentence for the page; nothing
//! here panics on input, and decoding is bounded (see
//! [`brokerlab_scenario::MAX_LINK_CHARS`] and
//! [`brokerlab_scenario::MAX_DECODED_BYTES`]).

use super::model::Topology;
use super::scenario::{from_scenario, to_scenario};
use brokerlab_scenario::{MAX_DECODED_BYTES, Scenario};
use serde::{Deserialize, Serialize};

/// The version of the canvas's own document, which links and files used
/// before the scenario format; only read now.
pub const VERSION: u32 = 1;

#[derive(Serialize, Deserialize)]
struct Document {
    version: u32,
    topology: Topology,
}

/// The topology as a scenario file (pretty JSON). Fails, naming the part,
/// only when binding arguments or headers are not `name=value` pairs.
pub fn to_json(topology: &Topology) -> Result<String, String> {
    Ok(to_scenario(topology).map_err(cannot_save)?.to_json())
}

fn cannot_save(e: String) -> String {
    format!("This playground cannot be saved: {e}. Correct it in the inspector and try again.")
}

/// Reads a file: a scenario file of any version up to this site's, or a
/// playground file from before the scenario format.
pub fn from_json(text: &str) -> Result<Topology, String> {
    if text.len() > MAX_DECODED_BYTES {
        return Err(format!("This file is larger than the {MAX_DECODED_BYTES}-byte limit."));
    }
    let value: serde_json::Value =
        serde_json::from_str(text).map_err(|e| format!("This is not a Brokerlab playground file ({e})."))?;
    if value.get("topology").is_some() {
        return from_document(value);
    }
    let scenario = Scenario::decode_json(text).map_err(|e| format!("This file cannot be opened: {e}."))?;
    from_scenario(&scenario).map_err(|e| format!("This file cannot be opened: {e}."))
}

/// The canvas's document from before the scenario format.
fn from_document(value: serde_json::Value) -> Result<Topology, String> {
    let version = value.get("version").and_then(serde_json::Value::as_u64);
    if version.is_some_and(|v| v > u64::from(VERSION)) {
        return Err(format!(
            "This playground was saved by a newer Brokerlab (format {}).",
            version.unwrap_or_default()
        ));
    }
    let doc: Document =
        serde_json::from_value(value).map_err(|e| format!("This is not a Brokerlab playground file ({e})."))?;
    if doc.version != VERSION {
        return Err(format!("This is not a Brokerlab playground file (format {}).", doc.version));
    }
    Ok(doc.topology.canonical())
}

/// The fragment of a link that opens this topology: `#/playground?s=2.…`.
pub fn link_fragment(topology: &Topology) -> Result<String, String> {
    let scenario = to_scenario(topology)
        .map_err(|e| format!("This playground cannot be shared: {e}. Correct it in the inspector and try again."))?;
    Ok(format!("#/playground?s={}", scenario.to_link()))
}

/// Reads the `s` parameter of a share link: a scenario link (`1.eJy…`), as
/// the playground, lessons and the command-line runner write them, or a
/// canvas document percent-encoded (`%7B…`), as the playground wrote them
/// before.
pub fn from_link(encoded: &str) -> Result<Topology, String> {
    let encoded = encoded.trim();
    if encoded.starts_with('{') || encoded.get(..3).is_some_and(|p| p.eq_ignore_ascii_case("%7B")) {
        if encoded.len() > MAX_DECODED_BYTES {
            return Err("This share link is too long to be a Brokerlab link.".into());
        }
        let json = decode(encoded).ok_or_else(|| "This share link is damaged.".to_string())?;
        let value: serde_json::Value =
            serde_json::from_str(&json).map_err(|_| "This share link is damaged or cut short.".to_string())?;
        return from_document(value);
    }
    let scenario = Scenario::decode_link(encoded).map_err(|e| format!("This share link cannot be opened: {e}."))?;
    from_scenario(&scenario).map_err(|e| format!("This share link cannot be opened: {e}."))
}

/// Undoes the percent-encoding of links from before the scenario format;
/// `None` for a malformed escape or bad UTF-8.
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
/// what a producer sends (which changes through an action instead). Its
/// Kafka settings stay: the engine creates a producer with them, so a
/// change needs a new run. Two topologies with the same key need no new run.
pub fn run_key(topology: &Topology) -> Topology {
    let mut t = topology.clone();
    for n in &mut t.nodes {
        n.x = 0.0;
        n.y = 0.0;
        if let super::model::NodeConfig::Producer(p) = &mut n.config {
            let d = super::model::ProducerSettings::default();
            (p.routing_key, p.body, p.headers, p.rate, p.burst) = (d.routing_key, d.body, d.headers, d.rate, d.burst);
        }
    }
    t
}

/// What a share link of the running `sim` leaves out, said plainly: a link
/// carries the canvas, not the run, so it opens at 0 s with every broker
/// running. Empty before the run has started.
pub fn run_not_carried(sim: &super::sim::Sim) -> String {
    if sim.tick() == 0 && sim.actions().is_empty() {
        return String::new();
    }
    let down: Vec<String> = sim
        .cluster()
        .map(|k| k.brokers().into_iter().filter(|b| !b.alive).map(|b| b.id.to_string()).collect())
        .unwrap_or_default();
    let brokers = match down.as_slice() {
        [] => String::new(),
        [one] => format!(", and broker {one}, down now, running"),
        many => format!(", and brokers {}, down now, running", many.join(", ")),
    };
    format!(
        " It carries the canvas, not the run: it opens at 0 s, not at {:.1} s{brokers}.",
        sim.now_ms() as f64 / 1000.0
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::playground::model::{NodeKind, Playground};

    #[test]
    fn sharing_a_run_says_what_the_link_leaves_out() {
        use crate::playground::sim::{Action, Sim};
        let mut p = Playground::default();
        for _ in 0..3 {
            p.add_node(NodeKind::Broker, None);
        }
        let mut sim = Sim::new(&p.topology);
        assert_eq!(run_not_carried(&sim), "");
        sim.perform(Action::CrashBroker(1));
        for _ in 0..12 {
            sim.step();
        }
        assert_eq!(
            run_not_carried(&sim),
            " It carries the canvas, not the run: it opens at 0 s, not at 1.2 s, and broker 1, down now, running."
        );
        sim.perform(Action::CrashBroker(2));
        assert!(run_not_carried(&sim).ends_with("and brokers 1, 2, down now, running."));
    }

    #[test]
    fn a_link_round_trips_the_topology_in_the_scenario_format() {
        let mut p = Playground::default();
        let q = p.add_node(NodeKind::Queue, None);
        p.rename(q, "naïve & odd=name #1").unwrap();
        let fragment = link_fragment(&p.topology).unwrap();
        let encoded = fragment.strip_prefix("#/playground?s=").unwrap();
        assert!(encoded.starts_with("2."), "{encoded}");
        assert!(encoded.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b)), "{encoded}");
        assert_eq!(from_link(encoded).unwrap(), p.topology);
        assert_eq!(Scenario::from_link(encoded).unwrap().rabbitmq.queues[0].name, "naïve & odd=name #1");
    }

    #[test]
    fn a_file_is_a_scenario_and_round_trips_the_topology() {
        let mut p = Playground::default();
        p.add_node(NodeKind::Producer, None);
        p.set_seed(7);
        let json = to_json(&p.topology).unwrap();
        let scenario = Scenario::from_json(&json).unwrap();
        assert_eq!((scenario.version, scenario.seed), (brokerlab_scenario::FORMAT_VERSION, 7));
        assert_eq!(from_json(&json).unwrap(), p.topology);
    }

    #[test]
    fn a_playground_with_unreadable_binding_arguments_is_not_shared() {
        let mut p = Playground::default();
        let x = p.add_node(NodeKind::Exchange, None);
        let q = p.add_node(NodeKind::Queue, None);
        let e = p.connect(x, q).unwrap();
        p.set_binding(e, "", "x-match").unwrap();
        let err = link_fragment(&p.topology).unwrap_err();
        assert!(err.contains("binding x1 \u{2192} q1") && err.contains("not a name=value pair"), "{err}");
        assert!(to_json(&p.topology).unwrap_err().contains("cannot be saved"));
    }

    #[test]
    fn damaged_links_and_files_are_errors_not_panics() {
        assert!(from_link("%zz").is_err());
        assert!(from_link("%7B%E2%28").is_err());
        assert!(from_link("%7B%22version%22").unwrap_err().contains("damaged"));
        assert!(from_json("{}").is_err());
        assert!(from_json("not json").unwrap_err().contains("not a Brokerlab playground file"));
        assert!(
            from_json(r#"{"version":99,"topology":{"nodes":[],"edges":[],"next_id":1,"seed":1}}"#)
                .unwrap_err()
                .contains("newer")
        );
        assert!(from_json(r#"{"version":99}"#).unwrap_err().contains("newer Brokerlab"));
    }

    #[test]
    fn a_damaged_scenario_link_says_why_and_nothing_is_opened() {
        let mut p = Playground::default();
        p.add_node(NodeKind::Queue, None);
        let link = link_fragment(&p.topology).unwrap();
        let encoded = link.strip_prefix("#/playground?s=").unwrap().to_string();
        let truncated = &encoded[..encoded.len() - 5];
        assert!(from_link(truncated).unwrap_err().starts_with("This share link cannot be opened: the link is damaged"));
        let mut tampered = encoded.clone().into_bytes();
        let i = tampered.len() / 2;
        tampered[i] = if tampered[i] == b'A' { b'B' } else { b'A' };
        let tampered = String::from_utf8(tampered).unwrap();
        assert!(from_link(&tampered).unwrap_err().contains("damaged"), "{tampered}");
        let newer = format!("3.{}", &encoded[2..]);
        assert!(from_link(&newer).unwrap_err().contains("newer Brokerlab"));
        assert!(from_link("hello").unwrap_err().contains("not a Brokerlab scenario link"));
        let long = format!("1.{}", "A".repeat(brokerlab_scenario::MAX_LINK_CHARS));
        assert!(from_link(&long).unwrap_err().contains("at most"));
        // A link that inflates past the limit stops at the limit.
        let bomb = Scenario { description: "x".repeat(MAX_DECODED_BYTES + 10), ..Scenario::default() };
        assert!(from_link(&bomb.to_link()).unwrap_err().contains("limit"));
    }

    /// A link and a file the playground wrote before it wrote scenarios,
    /// kept as they were: they must keep opening, to the same canvas.
    #[test]
    fn links_and_files_from_before_the_scenario_format_still_open() {
        let link = include_str!("golden/canvas-v1.link");
        let file = include_str!("golden/canvas-v1.json");
        assert!(link.starts_with("%7B%22version%22%3A1"));
        let opened = from_link(link).unwrap();
        let from_file = from_json(file).unwrap();
        assert_eq!(opened, from_file);
        let doc: Document = serde_json::from_str(file).unwrap();
        assert_eq!(from_file, doc.topology.canonical());
        assert_eq!(from_file.nodes.len(), 13);
        assert_eq!(from_file.seed, 42);
        let q = from_file.named(NodeKind::Queue, "pdf & reports").unwrap();
        let binding = from_file.incoming(q.id).next().unwrap();
        assert_eq!(binding.arguments, "format=pdf, x-match=all", "kept in canonical form");
        // Shared again, it travels as a scenario and comes back the same.
        let again = link_fragment(&from_file).unwrap();
        assert_eq!(from_link(again.strip_prefix("#/playground?s=").unwrap()).unwrap(), from_file);
    }

    #[test]
    fn a_producers_kafka_settings_start_a_new_run_but_what_it_sends_does_not() {
        let mut p = Playground::default();
        let prod = p.add_node(NodeKind::Producer, None);
        let before = run_key(&p.topology);
        let change = |p: &mut Playground, f: fn(&mut crate::playground::model::ProducerSettings)| {
            let crate::playground::model::NodeConfig::Producer(mut s) = p.topology.node(prod).unwrap().config.clone()
            else {
                unreachable!()
            };
            f(&mut s);
            p.configure(prod, crate::playground::model::NodeConfig::Producer(s)).unwrap();
        };
        change(&mut p, |s| (s.body, s.rate) = ("other".into(), 5));
        assert_eq!(run_key(&p.topology), before, "what it sends changes through an action");
        change(&mut p, |s| s.set_acks(crate::playground::model::Acks::One));
        assert_ne!(run_key(&p.topology), before, "the engine creates the producer with its acks");
    }
}
