//! Installing and driving the tools the tasks need.
//!
//! Everything comes from the package registries this project may reach
//! (crates.io, npm, Debian): trunk and wasm-bindgen-cli by `cargo install`,
//! wasm-opt (binaryen) and Playwright by `npm ci`, Chromium and RabbitMQ by
//! `apt-get`, and pika, which the course's Python samples use, by `pip` into
//! a virtual environment in `.tools/python`. Each check is cheap, so a machine that has everything pays a
//! second or two. trunk itself always runs `--offline` with the tool versions
//! pinned in `Trunk.toml`, so it never downloads anything.

use crate::{Result, run};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const TRUNK_VERSION: &str = "0.21.14";
pub const AMQP_URL: &str = "amqp://guest:guest@127.0.0.1:5672/%2f";
const WEB_TOOLS: &str = "tests/e2e";
/// The virtual environment the course's Python samples run in, and the pika
/// release installed there (the one the RabbitMQ lessons name).
pub const PYTHON_VENV: &str = ".tools/python";
pub const PIKA_VERSION: &str = "1.4.4";

/// Where the installed tools live, so that commands can be given a `PATH`
/// that finds them whatever the caller's shell has.
#[derive(Debug)]
pub struct Tools {
    cargo_bin: PathBuf,
    npm_bin: PathBuf,
}

impl Tools {
    pub fn path_with_tools(&self) -> String {
        let mut paths = vec![self.cargo_bin.clone(), self.npm_bin.clone()];
        paths.extend(std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()));
        std::env::join_paths(paths).expect("tool paths hold no separator").to_string_lossy().into_owned()
    }

    pub fn trunk(&self, root: &Path) -> Command {
        let mut cmd = Command::new(self.cargo_bin.join("trunk"));
        cmd.current_dir(root).env("PATH", self.path_with_tools());
        cmd
    }
}

/// Installs what building the app needs: the wasm32 target, trunk,
/// wasm-bindgen-cli at the version in Cargo.lock, and the npm tools.
pub fn ensure_build_tools(root: &Path) -> Result<Tools> {
    ensure_wasm_target()?;
    let cargo_bin = cargo_bin_dir();
    ensure_cargo_tool(&cargo_bin, "trunk", "trunk", TRUNK_VERSION, true)?;
    let bindgen = locked_version(root, "wasm-bindgen")?;
    // wasm-bindgen-cli's own lock file names a crate version the registry no
    // longer serves, so it is installed without --locked.
    ensure_cargo_tool(&cargo_bin, "wasm-bindgen", "wasm-bindgen-cli", &bindgen, false)?;
    check_trunk_toml(root, &bindgen)?;
    let npm_bin = ensure_npm_tools(root)?;
    Ok(Tools { cargo_bin, npm_bin })
}

/// Everything `test` needs: the build tools, Chromium and its driver, a
/// RabbitMQ server for the differential tests, and pika for the course's
/// Python samples.
pub fn ensure_all(root: &Path) -> Result<Tools> {
    let tools = ensure_build_tools(root)?;
    ensure_apt(&[
        ("/usr/bin/chromium", "chromium"),
        ("/usr/bin/chromedriver", "chromium-driver"),
        ("/usr/sbin/rabbitmq-server", "rabbitmq-server"),
    ])?;
    ensure_python_tools(root)?;
    Ok(tools)
}

/// A virtual environment with pika at [`PIKA_VERSION`], from PyPI. Debian's
/// Python needs its `python3-venv` package for `venv`; it is installed when
/// the first attempt fails.
fn ensure_python_tools(root: &Path) -> Result {
    let venv = root.join(PYTHON_VENV);
    let python = venv.join("bin/python");
    let has_pika = |python: &Path| {
        Command::new(python)
            .args(["-c", &format!("import pika, sys; sys.exit(pika.__version__ != '{PIKA_VERSION}')")])
            .output()
            .is_ok_and(|o| o.status.success())
    };
    if has_pika(&python) {
        return Ok(());
    }
    let create = || run(Command::new("python3").args(["-m", "venv", "--clear"]).arg(&venv));
    if create().is_err() {
        ensure_apt(&[("/usr/share/doc/python3-venv", "python3-venv")])?;
        create()?;
    }
    run(Command::new(&python).args(["-m", "pip", "install", "--quiet", &format!("pika=={PIKA_VERSION}")]))
}

/// Chromium, for the playground's browser benchmark.
pub fn ensure_browser() -> Result {
    ensure_apt(&[("/usr/bin/chromium", "chromium")])
}

fn cargo_bin_dir() -> PathBuf {
    let home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(std::env::var_os("HOME").unwrap_or_else(|| "/root".into())).join(".cargo"));
    home.join("bin")
}

fn ensure_wasm_target() -> Result {
    let out = Command::new("rustup").args(["target", "list", "--installed"]).output();
    match out {
        Ok(out) if String::from_utf8_lossy(&out.stdout).lines().any(|l| l.trim() == "wasm32-unknown-unknown") => Ok(()),
        _ => run(Command::new("rustup").args(["target", "add", "wasm32-unknown-unknown"])),
    }
}

fn ensure_cargo_tool(bin_dir: &Path, bin: &str, package: &str, version: &str, locked: bool) -> Result {
    let installed = Command::new(bin_dir.join(bin))
        .arg("--version")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).split_whitespace().nth(1) == Some(version))
        .unwrap_or(false);
    if installed {
        return Ok(());
    }
    let mut cmd = Command::new("cargo");
    cmd.args(["install", package, "--version", version, "--force"]);
    if locked {
        cmd.arg("--locked");
    }
    run(&mut cmd)
}

/// Reads a package's version from Cargo.lock, so the CLI matches the library
/// exactly (wasm-bindgen refuses to work across versions).
pub fn locked_version(root: &Path, package: &str) -> Result<String> {
    let lock = std::fs::read_to_string(root.join("Cargo.lock")).map_err(|e| format!("reading Cargo.lock: {e}"))?;
    let needle = format!("name = \"{package}\"\nversion = \"");
    let start = lock.find(&needle).ok_or_else(|| format!("{package} is not in Cargo.lock"))? + needle.len();
    let end = lock[start..].find('"').ok_or("Cargo.lock is malformed")?;
    Ok(lock[start..start + end].to_owned())
}

/// trunk must be told the exact tool versions, or it tries to download its
/// own; this catches a Cargo.lock update that Trunk.toml did not follow.
fn check_trunk_toml(root: &Path, bindgen: &str) -> Result {
    let trunk = std::fs::read_to_string(root.join("Trunk.toml")).map_err(|e| format!("reading Trunk.toml: {e}"))?;
    if trunk.contains(&format!("wasm_bindgen = \"{bindgen}\"")) {
        Ok(())
    } else {
        Err(format!("Trunk.toml must pin wasm_bindgen = \"{bindgen}\", the version in Cargo.lock"))
    }
}

/// Runs `npm ci` when node_modules is missing or older than the lock file.
fn ensure_npm_tools(root: &Path) -> Result<PathBuf> {
    let dir = root.join(WEB_TOOLS);
    let stamp = dir.join("node_modules/.package-lock.json");
    let fresh = match (modified(&stamp), modified(&dir.join("package-lock.json"))) {
        (Some(installed), Some(lock)) => installed >= lock,
        _ => false,
    };
    if !fresh {
        run(Command::new("npm").current_dir(&dir).args(["ci", "--no-audit", "--no-fund"]))?;
    }
    Ok(dir.join("node_modules/.bin"))
}

fn modified(path: &Path) -> Option<std::time::SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}

fn ensure_apt(wanted: &[(&str, &str)]) -> Result {
    let missing: Vec<&str> = wanted.iter().filter(|(path, _)| !Path::new(path).exists()).map(|(_, pkg)| *pkg).collect();
    if missing.is_empty() {
        return Ok(());
    }
    let sudo: &[&str] = if is_root() { &[] } else { &["sudo"] };
    let apt = |args: &[&str]| {
        let mut all: Vec<&str> = sudo.to_vec();
        all.push("apt-get");
        all.extend_from_slice(args);
        let mut cmd = Command::new(all[0]);
        cmd.args(&all[1..]).env("DEBIAN_FRONTEND", "noninteractive");
        run(&mut cmd)
    };
    apt(&["update", "-qq"])?;
    let mut args = vec!["install", "-y", "-qq"];
    args.extend(&missing);
    apt(&args)
}

fn is_root() -> bool {
    Command::new("id").arg("-u").output().map(|o| o.stdout.starts_with(b"0\n")).unwrap_or(false)
}

/// A child process that is killed when the guard is dropped, so a failing
/// step never leaves a server running.
#[derive(Debug)]
pub struct Background(Child);

impl Background {
    pub fn spawn(cmd: &mut Command) -> Result<Self> {
        cmd.stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map(Self)
            .map_err(|e| format!("could not start {cmd:?}: {e}"))
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub fn free_port() -> Result<u16> {
    let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| format!("no free port: {e}"))?;
    listener.local_addr().map(|a| a.port()).map_err(|e| e.to_string())
}

fn port_open(port: u16) -> bool {
    TcpStream::connect_timeout(&SocketAddr::from(([127, 0, 0, 1], port)), Duration::from_millis(200)).is_ok()
}

pub fn wait_for_port(port: u16, seconds: u64) -> Result {
    let deadline = Instant::now() + Duration::from_secs(seconds);
    while Instant::now() < deadline {
        if port_open(port) {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    Err(format!("nothing listened on 127.0.0.1:{port} after {seconds} s"))
}

pub fn copy_dir(from: &Path, to: &Path) -> Result {
    std::fs::create_dir_all(to).map_err(|e| format!("creating {}: {e}", to.display()))?;
    for entry in std::fs::read_dir(from).map_err(|e| format!("reading {}: {e}", from.display()))? {
        let entry = entry.map_err(|e| e.to_string())?;
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), &target).map_err(|e| format!("copying {}: {e}", entry.path().display()))?;
        }
    }
    Ok(())
}

const RABBIT_NODE: &str = "rabbit@localhost";

/// A RabbitMQ node on 127.0.0.1:5672 for the differential tests. If one is
/// already listening it is used and left running; one this guard started is
/// stopped when the guard is dropped.
#[derive(Debug)]
pub struct RabbitMq {
    started_here: bool,
}

impl RabbitMq {
    pub fn start() -> Result<Self> {
        if port_open(5672) {
            eprintln!("using the RabbitMQ already listening on 127.0.0.1:5672");
            return Ok(Self { started_here: false });
        }
        eprintln!("\n=== starting RabbitMQ on 127.0.0.1:5672");
        run(Command::new("rabbitmq-server")
            .arg("-detached")
            .env("RABBITMQ_NODE_IP_ADDRESS", "127.0.0.1")
            .env("RABBITMQ_NODENAME", RABBIT_NODE))?;
        let guard = Self { started_here: true };
        await_node_startup(Duration::from_secs(180))?;
        wait_for_port(5672, 60)?;
        Ok(guard)
    }
}

/// Waits until the detached node has booted. `rabbitmq-server -detached`
/// returns before the Erlang VM has registered with epmd, and
/// `rabbitmqctl await_startup` fails at once while the node is not yet
/// reachable, which is the norm on a first boot (the node creates its
/// database and expands its plugins). So it is retried until the deadline.
fn await_node_startup(limit: Duration) -> Result {
    let shown = format!("rabbitmqctl -n {RABBIT_NODE} await_startup");
    eprintln!("$ {shown} (retried until the node answers, at most {} s)", limit.as_secs());
    let deadline = Instant::now() + limit;
    loop {
        let output = Command::new("rabbitmqctl")
            .args(["-n", RABBIT_NODE, "--timeout", "60", "await_startup"])
            .output()
            .map_err(|e| format!("could not start `{shown}`: {e}"))?;
        if output.status.success() {
            return Ok(());
        }
        if Instant::now() >= deadline {
            eprintln!("{}", String::from_utf8_lossy(&output.stderr));
            return Err(format!(
                "RabbitMQ did not start within {} s; its log is in /var/log/rabbitmq/{RABBIT_NODE}.log",
                limit.as_secs()
            ));
        }
        std::thread::sleep(Duration::from_secs(1));
    }
}

impl Drop for RabbitMq {
    fn drop(&mut self) {
        if self.started_here {
            let _ = run(Command::new("rabbitmqctl").args(["-n", RABBIT_NODE, "stop"]));
        }
    }
}
