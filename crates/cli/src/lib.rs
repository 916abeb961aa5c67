//! The `brokerlab` command-line runner's library half: reading scenarios
//! from files, presets or links ([`load`]), and checking a scenario's
//! RabbitMQ part against a real broker ([`verify`]). It is native only (it
//! links lapin and tokio), which is why it is its own crate: nothing here
//! reaches the WebAssembly build.

pub mod verify;

use brokerlab_scenario::{Scenario, ScenarioError, presets};

/// Reads a scenario from `preset:ID`, a share link (`1.eJy...` or a URL
/// carrying one), a `.json` file, or `-` for standard input.
pub fn load(source: &str) -> Result<Scenario, String> {
    if let Some(id) = source.strip_prefix("preset:") {
        return presets::get(id).ok_or_else(|| {
            let ids: Vec<&str> = presets::ids().collect();
            format!("no preset `{id}`; the presets are: {}", ids.join(", "))
        });
    }
    let text = if source == "-" {
        let mut s = String::new();
        std::io::Read::read_to_string(&mut std::io::stdin(), &mut s).map_err(|e| format!("stdin: {e}"))?;
        s
    } else if std::path::Path::new(source).exists() {
        std::fs::read_to_string(source).map_err(|e| format!("{source}: {e}"))?
    } else if looks_like_link(source) {
        return Scenario::from_link(source).map_err(|e| e.to_string());
    } else {
        return Err(format!("{source}: no such file, preset or link"));
    };
    let trimmed = text.trim();
    if looks_like_link(trimmed) {
        return Scenario::from_link(trimmed).map_err(|e| e.to_string());
    }
    Scenario::from_json(&text).map_err(|e: ScenarioError| format!("{source}: {e}"))
}

fn looks_like_link(s: &str) -> bool {
    !s.starts_with('{')
        && (s.contains("s=")
            || s.split_once('.').is_some_and(|(v, _)| !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit())))
}
