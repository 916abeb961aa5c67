//! Brokerlab's task runner, run as `cargo xtask <task>`.
//!
//! The only prerequisite is cargo: every task first installs what it needs
//! (`tools`), idempotently and only from the package registries, so the two
//! commands in the README work on a fresh machine. `serve` builds and serves
//! the app; `test` runs every check CI runs, in order, and stops at the first
//! failure; `content` turns `content/` into the files the app ships; `size`
//! reports what a first page load fetches against the budget in `size`, and
//! `size --profile` where the bytes of both wasm modules go;
//! `bench` runs the engines' benchmarks (`--playground` and `--load` the
//! browser's); `fuzz` runs the scenario property
//! test for a while with a fresh seed.

mod content;
mod fuzz;
mod own_words;
mod prerender;
mod profile;
#[cfg(test)]
mod samples;
mod size;
mod tools;

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::Instant;

const USAGE: &str = "\
usage: cargo xtask <task>

tasks:
  serve [--port N]   install what is missing, then build and serve the app on 127.0.0.1
  test               install what is missing, then run every check (what CI runs)
  content [--check]  render content/ into src/course/catalog.rs and public/lessons/, list the challenges in src/course/challenge_list.rs,
                     and check that no lesson repeats 15 words of the seed text (crates/xtask/seed-fingerprint.txt)
  content --seed FILE  write the seed text's fingerprint, then render and check as above
  size               build for release and report the first-load size against the budget
  size --profile     build both wasm modules with names and list where their bytes go
  bench              run the Kafka and RabbitMQ engine benchmarks
  bench --playground build for release and run the playground's browser benchmark
                     (BENCH_MINUTES sets the memory run, 10 by default)
  bench --load       build for release and measure first paint, time to interactive and bytes of the
                     course, a lesson and the playground on a throttled mobile profile, served with gzip
  fuzz --minutes N [--seed S] [--ignore FILE:LINE,...]
                     run random scenarios on both engines for N minutes (a fresh seed
                     unless given); a failure is shrunk and written as a scenario file
  tools              only install the tools the other tasks need";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("serve") => serve(&args[1..]),
        Some("test") => test(),
        Some("content") => content_task(&args[1..]),
        Some("size") if args.get(1).map(String::as_str) == Some("--profile") => {
            tools::ensure_build_tools(&root()).and_then(|t| profile::run_profile(&root(), &t))
        }
        Some("size") => tools::ensure_build_tools(&root()).and_then(|t| {
            trunk_release(&root(), &t)?;
            size_check(&root(), &t)
        }),
        Some("bench") => bench(&args[1..]),
        Some("fuzz") => fuzz::run(&root(), &args[1..]),
        Some("tools") => tools::ensure_all(&root()).map(|_| ()),
        _ => {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("\nxtask: {message}");
            ExitCode::FAILURE
        }
    }
}

/// The workspace root, found from this crate's manifest so that the tasks
/// work from any directory. `cargo run` sets the manifest directory at run
/// time too, which is preferred: one binary may serve several checkouts that
/// share a target directory.
pub fn root() -> PathBuf {
    let manifest = std::env::var_os("CARGO_MANIFEST_DIR").map(PathBuf::from);
    let manifest = manifest.unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")));
    manifest.join("../..").canonicalize().expect("workspace root exists")
}

pub type Result<T = ()> = std::result::Result<T, String>;

/// Runs a command to completion and turns a non-zero exit into an error that
/// names the command, so the failing step is obvious in a long CI log.
pub fn run(cmd: &mut Command) -> Result {
    let shown = format!("{cmd:?}").replace('"', "");
    eprintln!("$ {shown}");
    let status = cmd.status().map_err(|e| format!("could not start `{shown}`: {e}"))?;
    if status.success() { Ok(()) } else { Err(format!("`{shown}` failed ({status})")) }
}

fn content_task(args: &[String]) -> Result {
    let root = root();
    match args {
        [] => content::run(&root, false),
        [flag] if flag == "--check" => content::run(&root, true),
        [flag, seed] if flag == "--seed" => {
            let text = std::fs::read_to_string(seed).map_err(|e| format!("reading {seed}: {e}"))?;
            let path = root.join(own_words::FINGERPRINT);
            std::fs::write(&path, own_words::fingerprint(&text))
                .map_err(|e| format!("writing {}: {e}", path.display()))?;
            content::run(&root, false)
        }
        _ => Err(format!("content takes [--check] or [--seed FILE], not {args:?}")),
    }
}

fn serve(args: &[String]) -> Result {
    let port = match args {
        [] => 8080,
        [flag, value] if flag == "--port" => {
            value.parse().map_err(|_| format!("--port takes a number, not {value:?}"))?
        }
        _ => return Err(format!("serve takes [--port N], not {args:?}")),
    };
    let root = root();
    let tools = tools::ensure_build_tools(&root)?;
    content::run(&root, false)?;
    eprintln!("\nBrokerlab will be served at http://127.0.0.1:{port}/ (Ctrl-C stops it)\n");
    run(tools.trunk(&root).args([
        "serve",
        "--offline",
        "--address",
        "127.0.0.1",
        "--port",
        &port.to_string(),
        "--public-url",
        "/",
    ]))
}

fn trunk_release(root: &Path, tools: &tools::Tools) -> Result {
    run(tools.trunk(root).args(["build", "--release", "--offline"]))
}

fn cargo(root: &Path) -> Command {
    let mut cmd = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    cmd.current_dir(root);
    cmd
}

/// The engines' crates and the app, linted for the browser target. The
/// engines' tests use native-only helpers, so only their libraries are
/// checked for wasm32; the app is checked with its browser tests.
const WASM_LINT: &[&[&str]] =
    &[&["-p", "brokerlab", "--all-targets"], &["-p", "brokerlab-kafka", "--lib"], &["-p", "brokerlab-rabbit", "--lib"]];

fn test() -> Result {
    let root = root();
    let started = Instant::now();
    let mut timings: Vec<(&str, f64)> = Vec::new();
    let mut step = |name: &'static str, f: &mut dyn FnMut() -> Result| -> Result {
        eprintln!("\n=== {name}");
        let t = Instant::now();
        f().map_err(|e| format!("step `{name}` failed: {e}"))?;
        timings.push((name, t.elapsed().as_secs_f64()));
        Ok(())
    };

    let mut tools = None;
    step("install tools", &mut || {
        tools = Some(tools::ensure_all(&root)?);
        Ok(())
    })?;
    let tools = tools.expect("set by the install step");
    step("cargo fmt --check", &mut || run(cargo(&root).args(["fmt", "--all", "--check"])))?;
    step("content is up to date", &mut || content::run(&root, true))?;
    step("clippy (native)", &mut || {
        run(cargo(&root).args(["clippy", "--workspace", "--all-targets", "--locked", "--", "-D", "warnings"]))
    })?;
    step("clippy (wasm32)", &mut || {
        for args in WASM_LINT {
            run(cargo(&root)
                .args(["clippy", "--target", "wasm32-unknown-unknown", "--locked"])
                .args(*args)
                .args(["--", "-D", "warnings"]))?;
        }
        Ok(())
    })?;
    let rabbit = tools::RabbitMq::start()?;
    step("native tests", &mut || {
        run(cargo(&root)
            .args(["test", "--workspace", "--locked", "--no-fail-fast"])
            .env("BROKERLAB_AMQP_URL", tools::AMQP_URL))
    })?;
    drop(rabbit);
    step("wasm tests in headless Chromium", &mut || {
        run(cargo(&root)
            .args(["test", "-p", "brokerlab", "--target", "wasm32-unknown-unknown", "--locked"])
            .env("CHROMEDRIVER", "/usr/bin/chromedriver")
            .env("WASM_BINDGEN_TEST_TIMEOUT", "120")
            .env("PATH", tools.path_with_tools()))
    })?;
    step("release build", &mut || trunk_release(&root, &tools))?;
    step("size budgets", &mut || size_check(&root, &tools))?;
    step("browser end-to-end tests", &mut || e2e(&root))?;

    eprintln!("\n=== all checks passed in {:.0} s", started.elapsed().as_secs_f64());
    for (name, secs) in timings {
        eprintln!("{secs:>8.1} s  {name}");
    }
    Ok(())
}

/// Holds the release build in `dist/` to the size budgets; when one is
/// passed, prints where the modules' bytes go before failing.
fn size_check(root: &Path, tools: &tools::Tools) -> Result {
    let over = size::report(&root.join("dist"))?.join("; ");
    if over.is_empty() {
        return Ok(());
    }
    eprintln!("\n{over}; where the bytes go:");
    profile::run_profile(root, tools)?;
    Err(over)
}

/// Serves the release build from a sub-path with a plain static file server,
/// as a user would deploy it, and runs the Playwright tests against it.
fn e2e(root: &Path) -> Result {
    with_served_dist(root, |url| {
        run(Command::new("node")
            .current_dir(root.join("tests/e2e"))
            .args(["--test", "--test-concurrency=1", "--test-reporter=spec"])
            .env("BROKERLAB_URL", url)
            .env("BROKERLAB_DIST", root.join("dist")))
    })
}

/// Serves `dist/` from a sub-path on a free loopback port while `f` runs,
/// as a static host would.
fn with_served_dist(root: &Path, f: impl FnOnce(&str) -> Result) -> Result {
    const SUB_PATH: &str = "demo/brokerlab";
    let site = std::env::temp_dir().join(format!("brokerlab-site-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&site);
    let mount = site.join(SUB_PATH);
    tools::copy_dir(&root.join("dist"), &mount)?;
    let port = tools::free_port()?;
    let server = tools::Background::spawn(
        Command::new("python3")
            .args(["-m", "http.server", "--bind", "127.0.0.1", &port.to_string(), "--directory"])
            .arg(&site),
    )?;
    tools::wait_for_port(port, 20)?;
    let url = format!("http://127.0.0.1:{port}/{SUB_PATH}/");
    eprintln!("serving the release build at {url}");
    let result = f(&url);
    drop(server);
    let _ = std::fs::remove_dir_all(&site);
    result
}

fn bench(args: &[String]) -> Result {
    let root = root();
    match args {
        [] => {
            for package in ["brokerlab-kafka", "brokerlab-rabbit"] {
                run(cargo(&root).args(["bench", "--locked", "-p", package]))?;
            }
            Ok(())
        }
        [flag] if flag == "--playground" => {
            let tools = tools::ensure_build_tools(&root)?;
            tools::ensure_browser()?;
            trunk_release(&root, &tools)?;
            with_served_dist(&root, |url| {
                run(Command::new("node")
                    .current_dir(root.join("tests/e2e"))
                    .arg("bench/playground-bench.js")
                    .env("BROKERLAB_URL", url))
            })
        }
        [flag] if flag == "--load" => {
            let tools = tools::ensure_build_tools(&root)?;
            tools::ensure_browser()?;
            trunk_release(&root, &tools)?;
            // The benchmark serves dist/ itself, compressed as static hosts do.
            run(Command::new("node")
                .current_dir(root.join("tests/e2e"))
                .arg("bench/load-bench.js")
                .env("BROKERLAB_DIST", root.join("dist")))
        }
        _ => Err(format!("bench takes [--playground] or [--load], not {args:?}")),
    }
}
