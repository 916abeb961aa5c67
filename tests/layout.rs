//! The shell never names an engine: a check on the source tree.
//!
//! The site's first load is the `brokerlab-web` binary, the shell. It stays
//! small only because nothing it reaches names the engine crates, the
//! scenario format, the playground or the lesson embeds; those are linked
//! into the `brokerlab-engines` module, which the shell fetches on demand.
//! Both binaries build from one library, so the compiler cannot enforce the
//! split: one `use` in a page would pull an engine into the first load.
//! This test reads every shell file and fails naming the file and line of
//! any such mention.
//!
//! A second check keeps the shell's own modules acyclic: no page and no
//! module the pages share names `app`, which depends on every page.
//!
//! [`SHELL`] and [`ENGINES_SIDE`] class every module `src/lib.rs` declares,
//! and a test fails when a new module is in neither, so the list cannot go
//! stale. [`offences`] is the check itself, tested on small examples below
//! so that it is known to fail when it should.

#![cfg(not(target_arch = "wasm32"))]

use std::path::{Path, PathBuf};

/// What the `brokerlab-web` binary reaches: its entry point and the
/// library modules the shell uses (a folder stands for every file in it).
const SHELL: &[&str] = &[
    "src/main.rs",
    "src/app.rs",
    "src/route.rs",
    "src/document.rs",
    "src/course",
    "src/pages",
    "src/island.rs",
    "src/files.rs",
    "src/crash.rs",
];

/// The library modules only the `brokerlab-engines` binary reaches.
const ENGINES_SIDE: &[&str] = &["engines", "embeds", "playground"];

/// The crates the shell must not name.
const ENGINE_CRATES: &[&str] = &["brokerlab_kafka", "brokerlab_rabbit", "brokerlab_scenario", "brokerlab_patterns"];

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Every `.rs` file under `path` (or `path` itself), in a stable order.
fn rust_files(path: &Path) -> Vec<PathBuf> {
    if path.is_file() {
        return vec![path.to_owned()];
    }
    let mut files = Vec::new();
    let mut entries: Vec<PathBuf> = std::fs::read_dir(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .map(|entry| entry.expect("a readable directory entry").path())
        .collect();
    entries.sort();
    for entry in entries {
        if entry.is_dir() {
            files.extend(rust_files(&entry));
        } else if entry.extension().is_some_and(|e| e == "rs") {
            files.push(entry);
        }
    }
    files
}

/// The code of one line: what is left after a `//` comment that is not
/// inside a string literal. Mentions in comments link nothing.
fn code_of(line: &str) -> &str {
    let mut in_string = false;
    let mut escaped = false;
    let bytes = line.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        match b {
            _ if escaped => escaped = false,
            b'\\' if in_string => escaped = true,
            b'"' => in_string = !in_string,
            b'/' if !in_string && bytes.get(i + 1) == Some(&b'/') => return &line[..i],
            _ => {}
        }
    }
    line
}

fn is_ident(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// The identifier that starts at `at` in `text`, after any white space.
fn ident_at(text: &str, at: usize) -> (&str, usize) {
    let start = at + text[at..].len() - text[at..].trim_start().len();
    let len = text[start..].bytes().take_while(|&b| is_ident(b)).count();
    (&text[start..start + len], start)
}

/// The paths by which a file names the library's root: `crate::`, the
/// library's own name (from the binaries and tests), and one `super::` for
/// each module level the file is below the root (`src/app.rs` and
/// `src/pages/mod.rs` one, `src/pages/lesson.rs` two). `src/main.rs` is a
/// binary's root, with no `super`.
fn roots_for(relative: &str) -> Vec<String> {
    let parts: Vec<&str> = relative.trim_start_matches("src/").split('/').collect();
    let levels = parts.len() - usize::from(parts.last() == Some(&"mod.rs"));
    let mut roots = vec!["crate::".to_owned(), "brokerlab::".to_owned()];
    if relative != "src/main.rs" {
        roots.push("super::".repeat(levels));
    }
    roots
}

/// Every place in `source` (the file at `relative`) that names an engine
/// crate or an engines-side module, as "line: what it names".
fn offences(relative: &str, source: &str) -> Vec<(usize, String)> {
    names(relative, source, ENGINE_CRATES, ENGINES_SIDE)
}

/// Every place in `source` (the file at `relative`) that names one of
/// `crates` or, through the library's root, one of `modules`.
fn names(relative: &str, source: &str, crates: &[&str], modules: &[&str]) -> Vec<(usize, String)> {
    // Comments are blanked line by line, keeping line breaks, so a `use`
    // group that spans lines is still read whole and offsets map to lines.
    let code: String = source.lines().map(code_of).collect::<Vec<_>>().join("\n");
    let line_of = |offset: usize| code[..offset].matches('\n').count() + 1;
    let mut found = Vec::new();

    for krate in crates {
        for (at, _) in code.match_indices(krate) {
            let before = code[..at].bytes().next_back().is_some_and(is_ident);
            if !before {
                let (whole, _) = ident_at(&code, at);
                found.push((line_of(at), format!("the engine crate `{whole}`")));
            }
        }
    }

    for root in roots_for(relative) {
        for (at, _) in code.match_indices(&root) {
            if code[..at].bytes().next_back().is_some_and(|b| is_ident(b) || b == b':') {
                continue;
            }
            let after = at + root.len();
            let (first, start) = ident_at(&code, after);
            if modules.contains(&first) {
                found.push((line_of(at), format!("`{root}{first}`")));
            } else if first.is_empty() && code[start..].starts_with('{') {
                // A group: check the first segment of each item at its top level.
                let mut depth = 0;
                let mut item_start = true;
                for (i, b) in code[start..].bytes().enumerate() {
                    let i = start + i;
                    match b {
                        b'{' => {
                            depth += 1;
                            item_start = depth == 1;
                            continue;
                        }
                        b'}' => {
                            depth -= 1;
                            if depth == 0 {
                                break;
                            }
                        }
                        b',' if depth == 1 => {
                            item_start = true;
                            continue;
                        }
                        _ => {}
                    }
                    if item_start && depth == 1 && !b.is_ascii_whitespace() {
                        let (name, _) = ident_at(&code, i);
                        if modules.contains(&name) {
                            found.push((line_of(i), format!("`{name}` in a `{root}{{…}}` group")));
                        }
                        item_start = false;
                    }
                }
            }
        }
    }
    found.sort();
    found.dedup();
    found
}

/// Runs `check` on every shell file in `entries` and returns how many files
/// it read and each offence as "file:line: names what".
fn scan(entries: &[&str], check: impl Fn(&str, &str) -> Vec<(usize, String)>) -> (usize, Vec<String>) {
    let root = root();
    let mut report = Vec::new();
    let mut read = 0;
    for entry in entries {
        for file in rust_files(&root.join(entry)) {
            let relative = file.strip_prefix(&root).expect("under the root").to_string_lossy().replace('\\', "/");
            let source = std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{relative}: {e}"));
            read += 1;
            for (line, what) in check(&relative, &source) {
                report.push(format!("{relative}:{line}: names {what}"));
            }
        }
    }
    (read, report)
}

#[test]
fn no_shell_module_names_an_engine_crate_or_module() {
    let (read, report) = scan(SHELL, offences);
    assert!(read >= SHELL.len(), "read only {read} shell files");
    assert!(
        report.is_empty(),
        "the shell (what `brokerlab-web` loads first) must not name the engines; move this code to the \
         engines module (src/engines.rs, src/embeds/) and reach it through an island:\n{}",
        report.join("\n")
    );
}

#[test]
fn no_page_or_shared_shell_module_depends_on_the_app() {
    let below_app: Vec<&str> = SHELL.iter().copied().filter(|e| !matches!(*e, "src/main.rs" | "src/app.rs")).collect();
    let (read, report) = scan(&below_app, |relative, source| names(relative, source, &[], &["app"]));
    assert!(read >= below_app.len(), "read only {read} shell files");
    assert!(
        report.is_empty(),
        "`app` depends on every page, so nothing it reaches may depend on it; move what both need to a \
         module both use (route, document, course):\n{}",
        report.join("\n")
    );
}

#[test]
fn every_library_module_is_classed_as_shell_or_engines_side() {
    let lib = std::fs::read_to_string(root().join("src/lib.rs")).expect("src/lib.rs");
    let declared: Vec<&str> = lib
        .lines()
        .filter_map(|l| l.trim().strip_prefix("pub mod ").or_else(|| l.trim().strip_prefix("mod ")))
        .map(|l| l.trim_end_matches(';'))
        .collect();
    assert!(declared.contains(&"app"), "no modules found in src/lib.rs");
    for module in declared {
        let shell = SHELL.iter().any(|s| *s == format!("src/{module}.rs") || *s == format!("src/{module}"));
        let engines = ENGINES_SIDE.contains(&module);
        assert!(
            shell != engines,
            "src/lib.rs declares `{module}`: list it once, in SHELL if `brokerlab-web` reaches it or in \
             ENGINES_SIDE if only the engines module does (tests/layout.rs)"
        );
    }
}

#[test]
fn a_use_of_an_engine_crate_is_found_with_its_line() {
    let source = "//! A page.\n\nuse leptos::prelude::*;\nuse brokerlab_scenario::Scenario;\n";
    assert_eq!(offences("src/pages/x.rs", source), vec![(4, "the engine crate `brokerlab_scenario`".to_owned())]);
}

#[test]
fn a_path_into_the_playground_or_the_embeds_is_found() {
    let source = "fn f() {\n    let t = crate::playground::model::Topology::default();\n}\n\
                  fn g() { view! { <crate::embeds::live::LiveScenario id=1 /> } }\n";
    assert_eq!(
        offences("src/pages/x.rs", source),
        vec![(2, "`crate::playground`".to_owned()), (4, "`crate::embeds`".to_owned())]
    );
}

#[test]
fn a_use_group_spanning_lines_is_read_whole() {
    let source = "use crate::{\n    route::Route,\n    engines,\n};\n";
    assert_eq!(offences("src/app.rs", source), vec![(3, "`engines` in a `crate::{…}` group".to_owned())]);
}

#[test]
fn super_paths_count_from_the_files_depth() {
    // From src/pages/lesson.rs, `super::playground` is the playground page,
    // and `super::super::playground` the engines-side playground.
    assert_eq!(offences("src/pages/lesson.rs", "use super::playground::PlaygroundPage;\n"), vec![]);
    assert_eq!(
        offences("src/pages/lesson.rs", "use super::super::playground::view;\n"),
        vec![(1, "`super::super::playground`".to_owned())]
    );
    assert_eq!(offences("src/pages/mod.rs", "use super::embeds::labs;\n"), vec![(1, "`super::embeds`".to_owned())]);
}

#[test]
fn a_page_naming_the_app_is_found() {
    let source = "use crate::app::set_title;\n";
    assert_eq!(names("src/pages/course.rs", source, &[], &["app"]), vec![(1, "`crate::app`".to_owned())]);
    assert_eq!(names("src/pages/course.rs", "use crate::apple::Pie;\n", &[], &["app"]), vec![]);
}

#[test]
fn comments_and_the_playground_page_are_not_offences() {
    let source = "//! The playground itself (`crate::playground`) runs as an island.\n\
                  use crate::pages::playground::PlaygroundPage; // not brokerlab_kafka\n\
                  let s = \"a // b\"; let r = Route::Playground(None);\n";
    assert_eq!(offences("src/app.rs", source), vec![]);
}

#[test]
fn a_crate_whose_name_only_ends_like_an_engine_is_not_one() {
    assert_eq!(offences("src/app.rs", "use my_brokerlab_kafka_notes::X;\n"), vec![]);
}
