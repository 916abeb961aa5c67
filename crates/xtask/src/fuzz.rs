//! `cargo xtask fuzz --minutes N [--seed S] [--ignore FILE:LINE,...]`: runs
//! the scenario property test (`crates/scenario/tests/fuzz.rs`) for a while
//! with a fresh seed, optimised (the `fuzz` profile: the release profile's
//! speed, with overflow checks and debug assertions kept so that they panic
//! as in a debug build).
//!
//! The generator and the checks are the test's own; this task only chooses
//! the seed (from the clock unless given), passes the time budget, where to
//! write a failing scenario and any panic locations to pass over through the
//! test's environment variables, and reports the outcome. The test prints its
//! progress (scenarios, actions, elapsed) after each batch; on a failure it
//! writes the shrunk scenario, which `brokerlab run FILE` replays.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{SystemTime, UNIX_EPOCH};

use crate::Result;

/// Parses the task's arguments and runs the test.
pub fn run(root: &Path, args: &[String]) -> Result {
    let mut minutes: Option<f64> = None;
    let mut seed: Option<u64> = None;
    let mut ignore = String::new();
    let mut it = args.iter();
    while let Some(flag) = it.next() {
        let value = it.next().ok_or_else(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--minutes" => {
                minutes = Some(
                    value
                        .parse()
                        .ok()
                        .filter(|m: &f64| m.is_finite() && *m > 0.0)
                        .ok_or_else(|| format!("--minutes takes a positive number, not {value:?}"))?,
                )
            }
            "--seed" => seed = Some(value.parse().map_err(|_| format!("--seed takes a number, not {value:?}"))?),
            "--ignore" => ignore = value.clone(),
            _ => return Err(format!("fuzz takes --minutes N [--seed S] [--ignore FILE:LINE,...], not {flag:?}")),
        }
    }
    let minutes = minutes.ok_or("fuzz needs --minutes N")?;
    // A fresh seed each run, from the clock: xtask is native, and the seed is
    // printed so that any run can be repeated with --seed.
    let seed = seed.unwrap_or_else(|| {
        SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_nanos() as u64).unwrap_or_default()
    });
    let target = std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from).unwrap_or_else(|| root.join("target"));
    std::fs::create_dir_all(&target).map_err(|e| format!("{}: {e}", target.display()))?;
    let out = target.join(format!("fuzz-failure-{seed}.json"));
    let _ = std::fs::remove_file(&out);
    let seconds = (minutes * 60.0).ceil() as u64;
    eprintln!("fuzz: seed {seed}, {minutes} min; a failing scenario is written to {}", out.display());
    let mut cmd = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    cmd.current_dir(root)
        .args([
            "test",
            "--profile",
            "fuzz",
            "--locked",
            "-p",
            "brokerlab-scenario",
            "--test",
            "fuzz",
            "--",
            "--nocapture",
        ])
        .env("BROKERLAB_FUZZ_SECONDS", seconds.to_string())
        .env("BROKERLAB_FUZZ_SEED", seed.to_string())
        .env("BROKERLAB_FUZZ_OUT", &out)
        .env("BROKERLAB_FUZZ_IGNORE", ignore);
    match crate::run(&mut cmd) {
        Ok(()) => {
            eprintln!("fuzz: no failure in {minutes} min with seed {seed}");
            Ok(())
        }
        Err(e) if out.exists() => Err(format!(
            "{e}\nfuzz: seed {seed} found a failure; the shrunk scenario is {}\n      replay it with `cargo run -p brokerlab-cli -- run {}`",
            out.display(),
            out.display()
        )),
        Err(e) => Err(e),
    }
}
