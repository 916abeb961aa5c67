//! The shipped size of a release build.
//!
//! What counts is what a first visit fetches before the app can answer:
//! `index.html` and every local file it references (the shell's JS loader
//! and its snippets, the wasm module it preloads, style sheets, icons). The
//! engines module (`brokerlab-engines`: both engines, the scenario format,
//! the labs and the playground) is fetched the first time a page shows a
//! live panel or the playground, and lesson text and figures when a lesson
//! opens, so they are listed apart. The engines module has a budget of its
//! own. The budgets live here and nowhere else; when one is passed, the
//! check builds the modules again with names and prints where their bytes go
//! (`profile`).

use crate::Result;
use flate2::{Compression, write::GzEncoder};
use std::io::Write;
use std::path::Path;

/// Everything the first page load fetches, gzipped, must fit in this.
///
/// The page with its prerendered course and inline styles, the shell's wasm
/// (Leptos, the course, search and progress) and its loader come to about
/// 208 KB gzipped; the engines load on demand (see the module comment). The
/// budget stands just above what ships, so any growth is a decision made
/// here; the goal is 120 KB. Never raise it without a reason here.
pub const FIRST_LOAD_BUDGET_GZIP: u64 = 215 * 1024;

/// The engines module (its loader and wasm), gzipped, must fit in this.
///
/// It ships at about 1,087 KB; the goal is 250 KB. As with the first load,
/// the budget stands just above what ships, so any growth is a decision
/// made here. It was 1,050 KB; it was raised by 40 KB for what the
/// playground gained since (metrics over time, the learner's designs,
/// starters with their stories, message paths and edges routed around
/// cards). Splitting the module by what a page uses is what brings it down.
pub const ENGINES_BUDGET_GZIP: u64 = 1_090 * 1024;

/// The engines module's files, named by their binary (trunk does not hash
/// them; index.html carries their digest instead).
const ENGINES: [&str; 2] = ["brokerlab-engines.js", "brokerlab-engines_bg.wasm"];

#[derive(Debug)]
pub struct Shipped {
    pub raw: u64,
    pub gzip: u64,
}

/// Prints what a release build in `dist` ships and returns one line per
/// budget it passes (none when everything fits).
pub fn report(dist: &Path) -> Result<Vec<String>> {
    let index = std::fs::read_to_string(dist.join("index.html"))
        .map_err(|e| format!("reading {}/index.html (build first): {e}", dist.display()))?;
    let mut files = vec!["index.html".to_owned()];
    for link in local_references(&index) {
        if !files.contains(&link) {
            files.push(link);
        }
    }
    if files.iter().any(|f| ENGINES.contains(&f.as_str())) {
        return Err("index.html loads the engines module at start; it must only be imported on demand".to_owned());
    }
    println!("\nFirst page load (release build):");
    println!("{:>10} {:>10}  file", "raw", "gzip");
    let mut total = Shipped { raw: 0, gzip: 0 };
    for file in &files {
        let bytes = std::fs::read(dist.join(file))
            .map_err(|e| format!("index.html references {file}, which is missing: {e}"))?;
        let gz = gzip_len(&bytes);
        println!("{:>10} {:>10}  {file}", kb(bytes.len() as u64), kb(gz));
        total.raw += bytes.len() as u64;
        total.gzip += gz;
    }
    println!("{:>10} {:>10}  total, budget {} gzipped", kb(total.raw), kb(total.gzip), kb(FIRST_LOAD_BUDGET_GZIP));
    let mut engines = Shipped { raw: 0, gzip: 0 };
    for file in ENGINES {
        let bytes =
            std::fs::read(dist.join(file)).map_err(|e| format!("the engines module's {file} is missing: {e}"))?;
        engines.raw += bytes.len() as u64;
        engines.gzip += gzip_len(&bytes);
        files.push(file.to_owned());
    }
    println!(
        "{:>10} {:>10}  engines module, fetched by the first live panel or the playground, budget {} gzipped",
        kb(engines.raw),
        kb(engines.gzip),
        kb(ENGINES_BUDGET_GZIP)
    );
    let later = on_demand(dist, &files)?;
    println!("{:>10} {:>10}  fetched later, on demand (lessons, figures, search index)", kb(later.raw), kb(later.gzip));
    Ok(over_budget(&total, &engines))
}

/// The budgets `first_load` and `engines` pass, worded for the reader.
fn over_budget(first_load: &Shipped, engines: &Shipped) -> Vec<String> {
    let mut over = Vec::new();
    for (what, shipped, budget) in [
        ("the first page load", first_load, FIRST_LOAD_BUDGET_GZIP),
        ("the engines module", engines, ENGINES_BUDGET_GZIP),
    ] {
        if shipped.gzip > budget {
            over.push(format!(
                "{what} is {} gzipped, over its {} budget in crates/xtask/src/size.rs",
                kb(shipped.gzip),
                kb(budget)
            ));
        }
    }
    over
}

fn kb(bytes: u64) -> String {
    format!("{:.1} KB", bytes as f64 / 1024.0)
}

fn gzip_len(bytes: &[u8]) -> u64 {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::best());
    encoder.write_all(bytes).expect("writing to memory cannot fail");
    encoder.finish().expect("writing to memory cannot fail").len() as u64
}

/// The `href` and `src` values in a page that name files beside it, quoted
/// or not (trunk's minifier drops the quotes), and the modules its inline
/// script imports.
fn local_references(html: &str) -> Vec<String> {
    let mut out = Vec::new();
    for attr in ["href=", "src=", "module_or_path: ", "from "] {
        let mut rest = html;
        while let Some(at) = rest.find(attr) {
            rest = &rest[at + attr.len()..];
            let value = match rest.chars().next() {
                Some(q @ ('"' | '\'')) => {
                    rest = &rest[1..];
                    &rest[..rest.find(q).unwrap_or(rest.len())]
                }
                // An import names its module in quotes; an unquoted word
                // after "from " is page text (the prerendered course).
                _ if attr == "from " => continue,
                _ => &rest[..rest.find(|c: char| c.is_whitespace() || c == '>').unwrap_or(rest.len())],
            };
            let local = value.trim_start_matches("./").trim_start_matches('/');
            let is_local =
                !value.contains("://") && !value.starts_with('#') && !value.starts_with("data:") && !local.is_empty();
            if is_local {
                out.push(local.to_owned());
            }
        }
    }
    out
}

fn on_demand(dist: &Path, first: &[String]) -> Result<Shipped> {
    let mut total = Shipped { raw: 0, gzip: 0 };
    let mut stack = vec![dist.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).map_err(|e| e.to_string())? {
            let path = entry.map_err(|e| e.to_string())?.path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            let name = path.strip_prefix(dist).map_err(|e| e.to_string())?.to_string_lossy().into_owned();
            if !first.contains(&name) {
                let bytes = std::fs::read(&path).map_err(|e| e.to_string())?;
                total.raw += bytes.len() as u64;
                total.gzip += gzip_len(&bytes);
            }
        }
    }
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_loader_the_wasm_and_the_styles_but_not_remote_links() {
        let html = r##"<link rel="stylesheet" href="./main-1.css"><link rel="modulepreload" href="/app-2.js">
            <link rel="preload" href="./app-2_bg.wasm" as="fetch"><a href="https://example.org/">x</a><a href="#/course">c</a>
            <script type="module">import init from './app-2.js'; init({ module_or_path: './app-2_bg.wasm' });</script>"##;
        let found = local_references(html);
        assert_eq!(found, ["main-1.css", "app-2.js", "app-2_bg.wasm", "app-2_bg.wasm", "app-2.js"]);
    }

    #[test]
    fn reads_unquoted_attributes_as_trunks_minifier_writes_them() {
        let html = "<link href=./main-1.css integrity=sha384-x rel=stylesheet><link href=./icon-3.svg rel=icon>\
            <link crossorigin href=./snippets/app-9/inline0.js rel=modulepreload><script type=module>\
            import init, * as bindings from './app-2.js';\nawait init({ module_or_path: './app-2_bg.wasm' });</script>";
        let found = local_references(html);
        assert_eq!(found, ["main-1.css", "icon-3.svg", "snippets/app-9/inline0.js", "app-2_bg.wasm", "app-2.js"]);
    }

    #[test]
    fn text_with_the_word_from_is_no_reference() {
        let html = "<p class=summary>How a group reads from partitions, and keeps from stalling.</p>\
            <script type=module>import init from './app-2.js';</script>";
        assert_eq!(local_references(html), ["app-2.js"]);
    }

    #[test]
    fn each_budget_passed_is_named_with_its_figures() {
        let fits = Shipped { raw: 0, gzip: 100 * 1024 };
        assert!(over_budget(&fits, &fits).is_empty());
        let big = Shipped { raw: 0, gzip: 2_000 * 1024 };
        let over = over_budget(&fits, &big);
        assert_eq!(
            over,
            ["the engines module is 2000.0 KB gzipped, over its 1090.0 KB budget in crates/xtask/src/size.rs"]
        );
        assert_eq!(over_budget(&big, &big).len(), 2);
    }

    #[test]
    fn gzip_shrinks_repetitive_text() {
        assert!(gzip_len(&[b'a'; 10_000]) < 200);
    }
}
