//! `cargo xtask size --profile`: where the bytes of the two wasm modules go.
//!
//! The shipped modules carry no names, so this builds them again with their
//! function names kept (a release build in its own target directory, so the
//! shipped build's cache is untouched), optimises them as trunk does with
//! `wasm-opt -Oz -g` (which keeps the name section), and attributes every
//! function body to what it belongs to: an engine, the scenario format, the
//! playground, the reactive framework, serde, or the standard library's
//! generic code instantiated for our types. The figures are bytes of
//! optimised code before compression; gzip shrinks each part by roughly the
//! same ratio, so the shares are what to read.

use crate::{Result, run, tools::Tools};
use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

/// The modules, by binary name: the shell and the engines module.
const MODULES: [&str; 2] = ["brokerlab-web", "brokerlab-engines"];

/// How many of the largest functions to list per module.
const TOP: usize = 25;

/// What a function belongs to, judged from its demangled path, first match
/// wins: serde first, since a derived `Deserialize` is named after the type
/// it reads, and the generic standard library last.
const PARTS: [(&str, &[&str]); 13] = [
    ("serde (derived and serde_json)", &["serde"]),
    ("reactive framework (leptos, tachys, reactive_graph)", &["tachys", "reactive_graph", "leptos", "any_spawner"]),
    ("browser bindings (wasm-bindgen, web-sys, js-sys)", &["wasm_bindgen", "web_sys", "js_sys", "gloo"]),
    ("Kafka engine", &["brokerlab_kafka"]),
    ("RabbitMQ engine", &["brokerlab_rabbit"]),
    ("scenario format and challenges", &["brokerlab_scenario"]),
    ("pattern labs' engine", &["brokerlab_patterns"]),
    ("playground", &["brokerlab::playground"]),
    ("lesson embeds and labs", &["brokerlab::embeds"]),
    ("app shell and course", &["brokerlab::"]),
    ("regular expressions (regex-lite)", &["regex_lite"]),
    ("entry points, with what is inlined into them", &["mount_", "unmount_"]),
    ("standard library and generics", &["alloc::", "core::", "std::", "hashbrown", "dlmalloc", "indexmap"]),
];

pub fn run_profile(root: &Path, tools: &Tools) -> Result {
    let target = root.join("target/size-profile");
    let mut build = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    build
        .current_dir(root)
        .args(["build", "--release", "--locked", "--target", "wasm32-unknown-unknown"])
        .args(MODULES.iter().flat_map(|m| ["--bin", m]))
        .env("CARGO_PROFILE_RELEASE_STRIP", "false")
        .env("CARGO_TARGET_DIR", &target);
    run(&mut build)?;
    for module in MODULES {
        let built = target.join(format!("wasm32-unknown-unknown/release/{module}.wasm"));
        let optimised = target.join(format!("{module}.opt.wasm"));
        run(Command::new("wasm-opt")
            .env("PATH", tools.path_with_tools())
            .args(["-Oz", "-g"])
            .args(WASM_OPT_FEATURES)
            .arg(&built)
            .arg("-o")
            .arg(&optimised))?;
        let bytes = std::fs::read(&optimised).map_err(|e| format!("reading {}: {e}", optimised.display()))?;
        let functions = functions(&bytes)?;
        print!("{}", report(module, &functions));
    }
    Ok(())
}

/// The features index.html gives trunk's wasm-opt, so the profile is of the
/// same code the site ships.
const WASM_OPT_FEATURES: [&str; 6] = [
    "--enable-bulk-memory",
    "--enable-nontrapping-float-to-int",
    "--enable-sign-ext",
    "--enable-mutable-globals",
    "--enable-reference-types",
    "--enable-multivalue",
];

/// A function body's size in the code section and its demangled name.
#[derive(Debug, PartialEq)]
pub struct Function {
    pub size: usize,
    pub name: String,
}

fn report(module: &str, functions: &[Function]) -> String {
    let total: usize = functions.iter().map(|f| f.size).sum();
    let mut parts: BTreeMap<&str, usize> = BTreeMap::new();
    for f in functions {
        *parts.entry(part_of(&f.name)).or_default() += f.size;
    }
    let mut parts: Vec<_> = parts.into_iter().collect();
    parts.sort_by_key(|p| std::cmp::Reverse(p.1));
    let mut out =
        format!("\n{module}: {} of code in {} functions (optimised, before gzip)\n", kb(total), functions.len());
    for (part, size) in parts {
        out += &format!("{:>10} {:>5.1} %  {part}\n", kb(size), percent(size, total));
    }
    let mut largest: Vec<&Function> = functions.iter().collect();
    largest.sort_by_key(|f| std::cmp::Reverse(f.size));
    out += &format!("  the {TOP} largest functions:\n");
    for f in largest.into_iter().take(TOP) {
        let name: String = f.name.chars().take(110).collect();
        out += &format!("{:>10}  {name}\n", kb(f.size));
    }
    out
}

fn part_of(name: &str) -> &'static str {
    PARTS
        .iter()
        .find(|(_, marks)| marks.iter().any(|m| name.contains(m)))
        .map_or("other (unnamed or glue)", |(part, _)| part)
}

fn percent(part: usize, total: usize) -> f64 {
    if total == 0 { 0.0 } else { part as f64 * 100.0 / total as f64 }
}

fn kb(bytes: usize) -> String {
    format!("{:.1} KB", bytes as f64 / 1024.0)
}

/// Reads the code section's body sizes and the name section's function
/// names. Imported functions come first in the function index space and have
/// no body, so a body's index is offset by the number of imported functions.
pub fn functions(wasm: &[u8]) -> Result<Vec<Function>> {
    if wasm.get(..4) != Some(b"\0asm") {
        return Err("not a wasm module".to_owned());
    }
    let mut r = Reader { bytes: wasm, at: 8 };
    let (mut imported, mut bodies, mut names) = (0usize, Vec::new(), BTreeMap::new());
    while r.at < wasm.len() {
        let id = r.byte()?;
        let len = r.leb()?;
        let end = r.at.checked_add(len).filter(|&e| e <= wasm.len()).ok_or("a section runs past the module")?;
        let mut s = Reader { bytes: &wasm[..end], at: r.at };
        match id {
            2 => imported = imported_functions(&mut s)?,
            10 => {
                for _ in 0..s.leb()? {
                    let size = s.leb()?;
                    bodies.push(size);
                    s.skip(size)?;
                }
            }
            0 if s.name()? == "name" => names = function_names(&mut s)?,
            _ => {}
        }
        r.at = end;
    }
    Ok(bodies
        .into_iter()
        .enumerate()
        .map(|(i, size)| {
            let name =
                names.remove(&(i + imported)).map_or_else(|| format!("function {}", i + imported), |n| demangle(&n));
            Function { size, name }
        })
        .collect())
}

fn imported_functions(s: &mut Reader) -> Result<usize> {
    let mut functions = 0;
    for _ in 0..s.leb()? {
        s.name()?;
        s.name()?;
        match s.byte()? {
            0 => {
                s.leb()?;
                functions += 1;
            }
            1 => {
                s.byte()?;
                limits(s)?;
            }
            2 => limits(s)?,
            3 => s.skip(2)?,
            4 => {
                s.byte()?;
                s.leb()?;
            }
            kind => return Err(format!("unknown import kind {kind}")),
        }
    }
    Ok(functions)
}

fn limits(s: &mut Reader) -> Result {
    let flags = s.byte()?;
    s.leb()?;
    if flags & 1 == 1 {
        s.leb()?;
    }
    Ok(())
}

fn function_names(s: &mut Reader) -> Result<BTreeMap<usize, String>> {
    let mut names = BTreeMap::new();
    while s.at < s.bytes.len() {
        let kind = s.byte()?;
        let len = s.leb()?;
        let end = s.at + len;
        if kind == 1 {
            for _ in 0..s.leb()? {
                let index = s.leb()?;
                names.insert(index, s.name()?);
            }
        }
        s.at = end;
    }
    Ok(names)
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Reader<'_> {
    fn byte(&mut self) -> Result<u8> {
        let b = *self.bytes.get(self.at).ok_or("the module ends early")?;
        self.at += 1;
        Ok(b)
    }

    fn leb(&mut self) -> Result<usize> {
        let mut value = 0usize;
        for shift in (0..35).step_by(7) {
            let b = self.byte()?;
            value |= usize::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err("a number in the module is too long".to_owned())
    }

    fn skip(&mut self, n: usize) -> Result {
        self.at = self.at.checked_add(n).filter(|&e| e <= self.bytes.len()).ok_or("the module ends early")?;
        Ok(())
    }

    fn name(&mut self) -> Result<String> {
        let len = self.leb()?;
        let start = self.at;
        self.skip(len)?;
        Ok(String::from_utf8_lossy(&self.bytes[start..self.at]).into_owned())
    }
}

/// Demangles Rust's legacy symbol form (`_ZN` length-prefixed segments,
/// a trailing `17h<hash>E`) into a `::` path with its escapes decoded, so
/// `_ZN5alloc3vec8from_elem17h0123456789abcdefE` reads `alloc::vec::from_elem`.
/// The v0 form (`_R…`) is read roughly, as its identifiers joined by `::`,
/// which is enough to tell which crate a function is from. Anything else is
/// returned as it is.
pub fn demangle(symbol: &str) -> String {
    if let Some(v0) = symbol.strip_prefix("_R") {
        return v0_identifiers(v0).unwrap_or_else(|| symbol.to_owned());
    }
    let Some(mut rest) = symbol.strip_prefix("_ZN") else { return symbol.to_owned() };
    let mut segments = Vec::new();
    while let Some(digits) = rest.find(|c: char| !c.is_ascii_digit()).filter(|&d| d > 0) {
        let Ok(len) = rest[..digits].parse::<usize>() else { break };
        let Some(segment) = rest.get(digits..digits + len) else { break };
        rest = &rest[digits + len..];
        if segment.len() == 17 && segment.starts_with('h') && segment[1..].chars().all(|c| c.is_ascii_hexdigit()) {
            continue;
        }
        segments.push(unescape(segment.strip_prefix('_').filter(|s| s.starts_with('$')).unwrap_or(segment)));
    }
    if segments.is_empty() { symbol.to_owned() } else { segments.join("::") }
}

/// The identifiers of a v0 symbol in order, read tag by tag: a decimal
/// length starts an identifier (after an optional `_`), `N` is followed by
/// its namespace letter, and crate, impl and back-reference numbers
/// (`Cs…_`, `s…_`, `B…_`) are skipped. Generic arguments and types are other
/// one-letter tags and are skipped too.
fn v0_identifiers(symbol: &str) -> Option<String> {
    let bytes = symbol.as_bytes();
    let (mut i, mut idents) = (0, Vec::new());
    let skip_number = |mut i: usize| {
        while i < bytes.len() && bytes[i] != b'_' {
            i += 1;
        }
        i + 1
    };
    while i < bytes.len() {
        match bytes[i] {
            b'0'..=b'9' => {
                let digits = bytes[i..].iter().take_while(|b| b.is_ascii_digit()).count();
                let len: usize = symbol[i..i + digits].parse().ok()?;
                i += digits;
                if bytes.get(i) == Some(&b'_') {
                    i += 1;
                }
                idents.push(symbol.get(i..i + len)?);
                i += len;
            }
            b'N' => i += 2,
            b'C' if bytes.get(i + 1) == Some(&b's') => i = skip_number(i + 2),
            b's' | b'B' => i = skip_number(i + 1),
            _ => i += 1,
        }
    }
    (!idents.is_empty()).then(|| idents.join("::"))
}

fn unescape(segment: &str) -> String {
    const ESCAPES: [(&str, &str); 12] = [
        ("$LT$", "<"),
        ("$GT$", ">"),
        ("$RF$", "&"),
        ("$BP$", "*"),
        ("$C$", ","),
        ("$SP$", "@"),
        ("$u20$", " "),
        ("$u27$", "'"),
        ("$u5b$", "["),
        ("$u5d$", "]"),
        ("$u7b$", "{"),
        ("$u7d$", "}"),
    ];
    let mut out = segment.replace("..", "::");
    for (from, to) in ESCAPES {
        out = out.replace(from, to);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn leb(mut n: usize) -> Vec<u8> {
        let mut out = Vec::new();
        loop {
            let b = (n & 0x7f) as u8;
            n >>= 7;
            if n == 0 {
                out.push(b);
                return out;
            }
            out.push(b | 0x80);
        }
    }

    fn section(id: u8, body: Vec<u8>) -> Vec<u8> {
        let mut out = vec![id];
        out.extend(leb(body.len()));
        out.extend(body);
        out
    }

    fn name(s: &str) -> Vec<u8> {
        let mut out = leb(s.len());
        out.extend(s.as_bytes());
        out
    }

    /// One imported function (index 0) and two bodies (indices 1 and 2) of
    /// 3 and 130 bytes, the second one named.
    fn module() -> Vec<u8> {
        let mut wasm = b"\0asm\x01\0\0\0".to_vec();
        let mut imports = leb(1);
        imports.extend(name("env"));
        imports.extend(name("f"));
        imports.extend([0, 0]);
        wasm.extend(section(2, imports));
        let mut code = leb(2);
        code.extend(leb(3));
        code.extend([0, 1, 0x0b]);
        code.extend(leb(130));
        code.extend(vec![1; 130]);
        wasm.extend(section(10, code));
        let mut names = name("name");
        let mut function_names = leb(1);
        function_names.extend(leb(2));
        function_names.extend(name("_ZN15brokerlab_kafka7cluster4tick17h0123456789abcdefE"));
        names.push(1);
        names.extend(leb(function_names.len()));
        names.extend(function_names);
        wasm.extend(section(0, names));
        wasm
    }

    #[test]
    fn bodies_are_sized_and_named_past_the_imported_functions() {
        let functions = functions(&module()).unwrap();
        assert_eq!(
            functions,
            vec![
                Function { size: 3, name: "function 1".into() },
                Function { size: 130, name: "brokerlab_kafka::cluster::tick".into() },
            ]
        );
        let report = report("m", &functions);
        assert!(report.contains("Kafka engine"), "{report}");
        assert!(report.contains("97.7 %"), "{report}");
    }

    #[test]
    fn a_damaged_module_is_refused_with_a_reason() {
        assert_eq!(functions(b"nope").unwrap_err(), "not a wasm module");
        let mut cut = module();
        cut.truncate(cut.len() - 10);
        assert!(functions(&cut).is_err());
    }

    #[test]
    fn legacy_symbols_demangle_to_paths_and_parts() {
        let serde = "_ZN18brokerlab_scenario5model1_91_$LT$impl$u20$serde_core..de..Deserialize$u20$for$u20$brokerlab_scenario..model..Action$GT$11deserialize17h51dadc12ff0a1b2cE";
        let path = demangle(serde);
        assert_eq!(
            path,
            "brokerlab_scenario::model::_::<impl serde_core::de::Deserialize for brokerlab_scenario::model::Action>::deserialize"
        );
        assert_eq!(part_of(&path), "serde (derived and serde_json)");
        assert_eq!(part_of(&demangle("_ZN9brokerlab10playground3sim3Sim4step17h567523c7330330f4E")), "playground");
        assert_eq!(demangle("memcpy"), "memcpy");
        let v0 = "_RNvXs7_NtNtCsgXGp5Oqx2Ny_4core3fmt5floatdNtB7_7Display3fmt";
        assert_eq!(demangle(v0), "core::fmt::float::Display::fmt");
        assert_eq!(part_of(&demangle(v0)), "standard library and generics");
    }
}
