//! No scenario can crash an engine: a property test over the whole scenario
//! format.
//!
//! The generator (`generate::scenario()`, in `generate.rs`) builds random
//! scenarios: a RabbitMQ and a
//! Kafka topology with odd arguments and configs, mostly consistent so that
//! they start, sometimes not, and a script drawn from every [`Action`] of both
//! engines, in any order, naming entities that may not exist (queues,
//! exchanges, vhosts, clients, consumer tags, topics, producers, consumers,
//! groups, brokers) and carrying odd values (zero and huge numbers, empty
//! names, priorities beyond `x-max-priority`, unknown delivery tags, offsets
//! before the start and past the end, timestamps at both ends of `i64`).
//!
//! `check()` runs one scenario as the command-line runner does, inside
//! `catch_unwind`: `Scenario::start`, `Session::run_to_end`, the run report,
//! and the JSON and link round trips. A panic fails the case with its message,
//! its location and the scenario as JSON, and proptest shrinks it. Every
//! refused action must carry an error a client would recognise
//! (`classify()`): `CODE NAME - text` with an AMQP reply code for a RabbitMQ
//! action, `SomethingException: text` with a Kafka client exception name for
//! a Kafka action, or one of the session's own two refusals (an ack with no
//! delivery to settle, closing a client that is not open).
//!
//! `fuzz()` drives the generator from a seed, in batches of cases, either for
//! a fixed number of cases (the normal `cargo test`, with a fixed seed) or
//! for a time budget (`BROKERLAB_FUZZ_SECONDS`, which `cargo xtask fuzz`
//! sets together with `BROKERLAB_FUZZ_SEED`). On a failure it writes the
//! shrunk scenario to a `.json` file (`BROKERLAB_FUZZ_OUT`, or one under the
//! target directory) that `brokerlab run FILE` replays.
//! `BROKERLAB_FUZZ_IGNORE` lists panic locations (`FILE:LINE`, comma
//! separated) to count and pass over, to look past a bug already reported.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, Once};
use std::time::{Duration, Instant};

use brokerlab_scenario::report::Report;
use brokerlab_scenario::*;
use proptest::test_runner::{Config, RngAlgorithm, TestCaseError, TestError, TestRng, TestRunner};

mod generate;

use generate::scenario;

// ---------------------------------------------------------------------------
// The check.

/// Which engine an action goes to, for judging its error.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Engine {
    Rabbit,
    Kafka,
    Neither,
}

fn engine(a: &Action) -> Engine {
    match a {
        Action::Publish { .. }
        | Action::Get { .. }
        | Action::Ack { .. }
        | Action::Nack { .. }
        | Action::Reject { .. }
        | Action::Consume { .. }
        | Action::Cancel { .. }
        | Action::Qos { .. }
        | Action::ConfirmSelect { .. }
        | Action::DeclareExchange { .. }
        | Action::DeclareQueue { .. }
        | Action::Bind { .. }
        | Action::Unbind { .. }
        | Action::DeleteExchange { .. }
        | Action::DeleteQueue { .. }
        | Action::Purge { .. }
        | Action::CloseClient { .. }
        | Action::RestartRabbitmq
        | Action::SetPolicy { .. }
        | Action::ClearPolicy { .. }
        | Action::Alarm { .. } => Engine::Rabbit,
        // Only the Kafka engine's tick can refuse; the RabbitMQ one cannot fail.
        Action::AdvanceTime { .. } => Engine::Kafka,
        Action::Produce { .. }
        | Action::Poll { .. }
        | Action::Commit { .. }
        | Action::Seek { .. }
        | Action::Subscribe { .. }
        | Action::CloseConsumer { .. }
        | Action::CrashConsumer { .. }
        | Action::CrashBroker { .. }
        | Action::RestartBroker { .. }
        | Action::ShutdownBroker { .. }
        | Action::ElectPreferredLeaders
        | Action::CrashController { .. }
        | Action::RestartController { .. }
        | Action::PauseReplication { .. }
        | Action::ResumeReplication { .. }
        | Action::AddPartitions { .. }
        | Action::CloseProducer { .. }
        | Action::BeginTransaction { .. }
        | Action::SendOffsetsToTransaction { .. }
        | Action::CommitTransaction { .. }
        | Action::AbortTransaction { .. }
        | Action::ShareSubscribe { .. }
        | Action::SharePoll { .. }
        | Action::ShareAcknowledge { .. }
        | Action::CloseShareConsumer { .. } => Engine::Kafka,
        Action::Note { .. } => Engine::Neither,
    }
}

/// The AMQP 0-9-1 reply codes and names a channel or connection exception carries.
const AMQP_REPLIES: &[(&str, &str)] = &[
    ("311", "CONTENT_TOO_LARGE"),
    ("312", "NO_ROUTE"),
    ("313", "NO_CONSUMERS"),
    ("320", "CONNECTION_FORCED"),
    ("402", "INVALID_PATH"),
    ("403", "ACCESS_REFUSED"),
    ("404", "NOT_FOUND"),
    ("405", "RESOURCE_LOCKED"),
    ("406", "PRECONDITION_FAILED"),
    ("501", "FRAME_ERROR"),
    ("502", "SYNTAX_ERROR"),
    ("503", "COMMAND_INVALID"),
    ("504", "CHANNEL_ERROR"),
    ("505", "UNEXPECTED_FRAME"),
    ("506", "RESOURCE_ERROR"),
    ("530", "NOT_ALLOWED"),
    ("540", "NOT_IMPLEMENTED"),
    ("541", "INTERNAL_ERROR"),
];

/// The Kafka client exceptions (`org.apache.kafka.common.errors` and the
/// consumer's own) a refused Kafka action may name.
const KAFKA_EXCEPTIONS: &[&str] = &[
    "BrokerNotAvailableException",
    "CommitFailedException",
    "CoordinatorNotAvailableException",
    "DuplicateBrokerRegistrationException",
    "GroupIdNotFoundException",
    "IllegalArgumentException",
    "IllegalStateException",
    "InconsistentGroupProtocolException",
    "InvalidConfigurationException",
    "InvalidPartitionsException",
    "InvalidRecordException",
    "InvalidRecordStateException",
    "InvalidReplicationFactorException",
    "InvalidRequestException",
    "InvalidTopicException",
    "InvalidTxnStateException",
    "LeaderNotAvailableException",
    "LogTruncationException",
    "NoOffsetForPartitionException",
    "NotEnoughReplicasException",
    "OffsetOutOfRangeException",
    "ProducerFencedException",
    "RebalanceInProgressException",
    "TimeoutException",
    "TopicExistsException",
    "UnknownMemberIdException",
    "UnknownProducerIdException",
    "UnknownTopicOrPartitionException",
];

/// What kind of refusal an error is, or why it is not one a client would recognise.
fn classify(action: &Action, error: &str) -> Result<&'static str, String> {
    match engine(action) {
        Engine::Rabbit => {
            // The session settles the oldest delivery when a script gives no
            // tag; with none outstanding it refuses before asking the broker.
            // Closing a client that is not open never reaches the broker either.
            if error == "there is no unacknowledged delivery on this client to settle"
                || (error.starts_with("client `") && error.ends_with("` has no open connection"))
            {
                return Ok("session");
            }
            let mut parts = error.splitn(3, ' ');
            let (code, name, dash) = (parts.next(), parts.next(), parts.next());
            match (code, name, dash) {
                (Some(code), Some(name), Some(rest))
                    if rest.starts_with("- ") && AMQP_REPLIES.contains(&(code, name)) =>
                {
                    Ok("amqp")
                }
                _ => Err(format!("a RabbitMQ action's error is not `CODE NAME - text`: {error:?}")),
            }
        }
        Engine::Kafka => match error.split_once(": ") {
            Some((name, _)) if KAFKA_EXCEPTIONS.contains(&name) => Ok("kafka"),
            _ => Err(format!("a Kafka action's error does not start with a Kafka exception name: {error:?}")),
        },
        Engine::Neither => Err(format!("an action no engine runs was refused: {error:?}")),
    }
}

/// Counts over a run, shared by every case.
#[derive(Debug, Default)]
struct Stats {
    scenarios: AtomicU64,
    started: AtomicU64,
    actions: AtomicU64,
    refused: BTreeMap<&'static str, AtomicU64>,
    /// Panics at a location listed in `BROKERLAB_FUZZ_IGNORE`.
    known_panics: AtomicU64,
    ignore: Vec<String>,
}

impl Stats {
    fn new(ignore: Vec<String>) -> Stats {
        let refused = ["amqp", "kafka", "session"].into_iter().map(|k| (k, AtomicU64::new(0))).collect();
        Stats { refused, ignore, ..Stats::default() }
    }

    fn get(n: &AtomicU64) -> u64 {
        n.load(Ordering::Relaxed)
    }

    fn line(&self) -> String {
        let refused: Vec<String> = self.refused.iter().map(|(k, n)| format!("{k} {}", Stats::get(n))).collect();
        let known = match Stats::get(&self.known_panics) {
            0 => String::new(),
            n => format!(", {n} known panics ignored"),
        };
        format!(
            "{} scenarios ({} started), {} actions replayed, refused: {}{known}",
            Stats::get(&self.scenarios),
            Stats::get(&self.started),
            Stats::get(&self.actions),
            refused.join(", ")
        )
    }
}

thread_local! {
    /// Set while `check` runs a scenario: the panic hook then records the
    /// panic here instead of printing it, and the failure report carries it.
    static CAPTURED: RefCell<Option<Option<String>>> = const { RefCell::new(None) };
}

/// Installs, once, a panic hook that records panics raised inside `check`
/// and prints every other one as the default hook does.
fn install_panic_hook() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let captured = CAPTURED.with(|c| {
                let mut c = c.borrow_mut();
                match c.as_mut() {
                    Some(slot) => {
                        let location =
                            info.location().map(|l| format!("{}:{}", l.file(), l.line())).unwrap_or_default();
                        let message = info
                            .payload()
                            .downcast_ref::<&str>()
                            .map(|s| s.to_string())
                            .or_else(|| info.payload().downcast_ref::<String>().cloned())
                            .unwrap_or_default();
                        *slot = Some(format!("panicked at {location}: {message}"));
                        true
                    }
                    None => false,
                }
            });
            if !captured {
                default(info);
            }
        }));
    });
}

/// Runs one scenario end to end and judges it; see the module docs.
fn check(s: &Scenario, stats: &Stats) -> Result<(), String> {
    stats.scenarios.fetch_add(1, Ordering::Relaxed);
    let _watched = Watched::start(s);
    CAPTURED.with(|c| *c.borrow_mut() = Some(None));
    let run = catch_unwind(AssertUnwindSafe(|| -> Result<Option<Vec<StepOutcome>>, String> {
        let json = s.to_json();
        let back = Scenario::from_json(&json);
        let _ = Scenario::from_link(&s.to_link());
        let mut session = match s.start() {
            Ok(session) => session,
            Err(e) => {
                if e.to_string().is_empty() {
                    return Err("a scenario was refused without a reason".into());
                }
                return Ok(None);
            }
        };
        if back.as_ref() != Ok(s) {
            return Err(format!("a scenario that starts does not read back from its JSON: {back:?}"));
        }
        let mut outcomes = vec![session.setup().clone()];
        outcomes.extend(session.run_to_end());
        let _ = Report::new(s, &session, &outcomes).to_json();
        Ok(Some(outcomes))
    }));
    let panic = CAPTURED.with(|c| c.borrow_mut().take()).flatten();
    let outcomes = match run {
        Err(_) => {
            let panic = panic.unwrap_or_else(|| "panicked".to_string());
            if stats.ignore.iter().any(|at| panic.starts_with(&format!("panicked at {at}:"))) {
                stats.known_panics.fetch_add(1, Ordering::Relaxed);
                return Ok(());
            }
            return Err(panic);
        }
        Ok(result) => result?,
    };
    let Some(outcomes) = outcomes else {
        return Ok(());
    };
    stats.started.fetch_add(1, Ordering::Relaxed);
    for o in &outcomes[1..] {
        stats.actions.fetch_add(1, Ordering::Relaxed);
        let (Some(i), Some(error)) = (o.index, &o.error) else { continue };
        let kind = classify(&s.script[i], error).map_err(|e| format!("action {i}: {e}"))?;
        stats.refused[kind].fetch_add(1, Ordering::Relaxed);
    }
    Ok(())
}

/// The longest one scenario may run before the watchdog calls it a hang.
/// Scenarios take milliseconds; this leaves room for a loaded machine.
const HANG: Duration = Duration::from_secs(60);

/// The scenario `check` is running and since when, for the watchdog.
static RUNNING: Mutex<Option<(Instant, String)>> = Mutex::new(None);

/// Marks a scenario as running until dropped.
struct Watched;

impl Watched {
    fn start(s: &Scenario) -> Watched {
        static WATCHDOG: Once = Once::new();
        // An engine stuck in a loop cannot be unwound, so a thread of its own
        // reports the scenario and ends the process instead of hanging it.
        WATCHDOG.call_once(|| {
            std::thread::spawn(|| {
                loop {
                    std::thread::sleep(Duration::from_secs(1));
                    let running = RUNNING.lock().map(|r| r.clone()).unwrap_or_default();
                    if let Some((since, json)) = running
                        && since.elapsed() > HANG
                    {
                        let file = std::env::var_os("BROKERLAB_FUZZ_OUT")
                            .map(PathBuf::from)
                            .unwrap_or_else(|| PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("fuzz-hang.json"));
                        let _ = std::fs::write(&file, &json);
                        eprintln!("fuzz failure: a scenario ran for more than {HANG:?}; it is in {}", file.display());
                        std::process::exit(1);
                    }
                }
            });
        });
        if let Ok(mut r) = RUNNING.lock() {
            *r = Some((Instant::now(), s.to_json()));
        }
        Watched
    }
}

impl Drop for Watched {
    fn drop(&mut self) {
        if let Ok(mut r) = RUNNING.lock() {
            *r = None;
        }
    }
}

// ---------------------------------------------------------------------------
// The driver.

/// How long a run goes on.
#[derive(Clone, Copy, Debug)]
enum Budget {
    Cases(u32),
    Time(Duration),
}

/// Cases per batch: each batch draws from its own seed and reports progress.
const BATCH: u32 = 250;

fn rng(seed: u64) -> TestRng {
    let mut bytes = [0u8; 32];
    for (i, chunk) in bytes.chunks_mut(8).enumerate() {
        chunk.copy_from_slice(&seed.wrapping_add(i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15).to_le_bytes());
    }
    TestRng::from_seed(RngAlgorithm::ChaCha, &bytes)
}

/// A failure: what went wrong and the shrunk scenario, written to a file.
#[derive(Debug)]
struct Failure {
    reason: String,
    seed: u64,
    batch: u64,
    file: PathBuf,
}

fn failure_path(seed: u64) -> PathBuf {
    match std::env::var_os("BROKERLAB_FUZZ_OUT") {
        Some(p) => PathBuf::from(p),
        None => PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("fuzz-failure-{seed}.json")),
    }
}

/// Runs batches of generated scenarios from `seed` until the budget is spent
/// or a case fails.
fn fuzz(seed: u64, budget: Budget, stats: &Stats) -> Result<(), Failure> {
    install_panic_hook();
    let started = Instant::now();
    let mut batch = 0u64;
    let mut reported = Instant::now();
    loop {
        let cases = match budget {
            Budget::Cases(total) => {
                let done = batch as u32 * BATCH;
                if done >= total {
                    return Ok(());
                }
                BATCH.min(total - done)
            }
            Budget::Time(limit) => {
                if started.elapsed() >= limit {
                    return Ok(());
                }
                BATCH
            }
        };
        let config = Config { cases, failure_persistence: None, max_shrink_iters: 10_000, ..Config::default() };
        let mut runner = TestRunner::new_with_rng(config, rng(seed.wrapping_add(batch)));
        let result = runner.run(&scenario(), |s| check(&s, stats).map_err(TestCaseError::fail));
        match result {
            Ok(()) => {}
            Err(TestError::Fail(reason, s)) => {
                let file = failure_path(seed);
                let written = std::fs::write(&file, s.to_json());
                let reason = match written {
                    Ok(()) => reason.to_string(),
                    Err(e) => format!("{reason} (could not write {}: {e})", file.display()),
                };
                return Err(Failure { reason, seed, batch, file });
            }
            Err(TestError::Abort(reason)) => {
                return Err(Failure { reason: reason.to_string(), seed, batch, file: PathBuf::new() });
            }
        }
        batch += 1;
        // Progress every ten seconds on a timed run, so a long run's log stays readable.
        if matches!(budget, Budget::Time(_)) && reported.elapsed() >= Duration::from_secs(10) {
            reported = Instant::now();
            eprintln!("fuzz: {:>6.0} s, seed {seed}: {}", started.elapsed().as_secs_f64(), stats.line());
        }
    }
}

/// The fixed seed of the normal test run.
const SEED: u64 = 20_261_207;

/// Cases in the normal test run: about 35 s of one core in a debug build.
const CASES: u32 = 4_000;

#[test]
fn no_scenario_makes_an_engine_panic_or_refuse_with_an_unrecognisable_error() {
    let seed = std::env::var("BROKERLAB_FUZZ_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(SEED);
    let budget = match std::env::var("BROKERLAB_FUZZ_SECONDS").ok().and_then(|s| s.parse().ok()) {
        Some(secs) => Budget::Time(Duration::from_secs(secs)),
        None => Budget::Cases(CASES),
    };
    // Panic locations (`crates/kafka/src/cluster.rs:1825`) to count and
    // pass over, so that a long run can look past a bug already reported.
    let ignore = std::env::var("BROKERLAB_FUZZ_IGNORE").unwrap_or_default();
    let stats = Stats::new(ignore.split(',').map(str::trim).filter(|s| !s.is_empty()).map(String::from).collect());
    let started = Instant::now();
    let result = fuzz(seed, budget, &stats);
    eprintln!("fuzz: seed {seed}, {:.1} s: {}", started.elapsed().as_secs_f64(), stats.line());
    if let Err(f) = result {
        panic!(
            "fuzz failure (seed {}, batch {}): {}\nthe shrunk scenario is in {}",
            f.seed,
            f.batch,
            f.reason,
            f.file.display()
        );
    }
    if matches!(budget, Budget::Cases(_)) {
        // A generator that stopped reaching the engines would pass vacuously.
        assert!(Stats::get(&stats.started) * 2 > Stats::get(&stats.scenarios), "{}", stats.line());
        assert!(stats.refused.values().all(|n| Stats::get(n) > 0), "{}", stats.line());
    }
}
