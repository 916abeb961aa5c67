//! `brokerlab`: runs Brokerlab scenarios headless, checks them against a
//! real RabbitMQ, and converts them to and from links, RabbitMQ definitions
//! files, `kafka-topics.sh` commands and client code.
//!
//! Every command writes its output through [`emit`], which treats a closed
//! standard output (`brokerlab run FILE | head`) as the reader having seen
//! enough: the command ends with its usual exit code and no message, as
//! command-line tools do, instead of the panic `print!` raises.

use std::io::Write;
use std::process::ExitCode;

use brokerlab_cli::{load, verify};
use brokerlab_scenario::challenge::builtin;
use brokerlab_scenario::{Scenario, codegen, definitions, json_schema, presets};
use clap::{Parser, Subcommand, ValueEnum};

/// Run and convert Brokerlab scenarios.
///
/// SCENARIO is a `.json` file, `-` for standard input, a share link (`1.eJy...`
/// or a whole playground URL), or `preset:ID` for a built-in scenario.
#[derive(Parser, Debug)]
#[command(name = "brokerlab", version, about, long_about)]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand, Debug)]
enum Cmd {
    /// Run a scenario headless and print a JSON report: each RabbitMQ queue's
    /// messages, each consumer's deliveries and acks, each get, each publish's
    /// routing trace; each Kafka partition's records and each group's
    /// assignment and committed offsets; then the event trace.
    /// Exits 1 when an engine refused an action.
    Run {
        /// The scenario.
        scenario: String,
        /// Leave the event trace out of the report.
        #[arg(long)]
        no_events: bool,
    },
    /// Run the scenario's RabbitMQ part on a real broker and on the engine,
    /// and print every difference as JSON: gets, consumers' deliveries,
    /// acknowledgements and the messages left in each queue. Each vhost's
    /// part runs on a connection to that vhost; one the broker lacks is
    /// listed as skipped, as are restarts and alarms. Exits 0 when they
    /// agree, 1 when they differ, 2 when the broker cannot be reached.
    Verify {
        /// The broker, e.g. amqp://guest:guest@127.0.0.1:5672/%2f (the vhost
        /// `/` runs there; other vhosts replace the path)
        #[arg(long, env = "BROKERLAB_AMQP_URL")]
        amqp: String,
        /// A RabbitMQ node on this host (e.g. rabbit@localhost) that
        /// `rabbitmqctl -n NODE` reaches: restarts in the scenario then stop
        /// and start it (`stop_app`, `start_app`) and its policies are set
        /// (`set_policy`, `clear_policy`) instead of being skipped.
        #[arg(long, value_name = "NODE")]
        rabbitmqctl: Option<String>,
        /// The scenario.
        scenario: String,
    },
    /// Print the scenario's share link (append it to `#/playground?s=`).
    Link {
        /// The scenario.
        scenario: String,
    },
    /// Print the scenario as a `.json` file (opens links and presets).
    Json {
        /// The scenario.
        scenario: String,
    },
    /// Print the RabbitMQ topology as a definitions file for
    /// `rabbitmqctl import_definitions` or the management UI.
    ExportDefinitions {
        /// The scenario.
        scenario: String,
    },
    /// Replace a scenario's RabbitMQ topology with a definitions file's, and
    /// print the new scenario as JSON.
    ImportDefinitions {
        /// The definitions file (from `rabbitmqctl export_definitions`).
        definitions: String,
        /// The scenario to import into; an empty one when left out.
        #[arg(long)]
        into: Option<String>,
    },
    /// Print `kafka-topics.sh --create` commands for the Kafka topics, and the
    /// `kafka-configs.sh` commands and `server.properties` lines for the
    /// cluster's and share groups' configs.
    KafkaTopics {
        /// The scenario.
        scenario: String,
        /// The bootstrap server the commands name.
        #[arg(long, default_value = "localhost:9092")]
        bootstrap_server: String,
    },
    /// Print client code that declares the topology and replays the script.
    Code {
        /// The language.
        #[arg(long, value_enum)]
        lang: Lang,
        /// The scenario.
        scenario: String,
    },
    /// List the built-in scenarios (ids and titles).
    Presets,
    /// List the course's challenges: id, module, level and title.
    Challenges {
        /// Print them as a JSON array instead.
        #[arg(long)]
        json: bool,
    },
    /// Print a course challenge's start (the scenario a learner is given,
    /// with its challenge section) or its reference solution, as JSON.
    Challenge {
        /// The challenge's id (see `brokerlab challenges`).
        id: String,
        /// Print the start (the default).
        #[arg(long, conflicts_with = "solution")]
        start: bool,
        /// Print the reference solution.
        #[arg(long)]
        solution: bool,
    },
    /// Check an answer against a challenge and print each check as passed or
    /// failed, with the reason. `check ID SCENARIO` checks against a course
    /// challenge; `check SCENARIO` against the challenge the scenario carries
    /// (a challenge link with a learner's attempt). Exits 0 when every check
    /// passes and 1 otherwise.
    Check {
        /// A course challenge's id, then the answer; or only an answer that
        /// carries its own challenge.
        #[arg(num_args = 1..=2, required = true, value_names = ["ID", "SCENARIO"])]
        args: Vec<String>,
        /// Print the verdict as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Print the JSON Schema of the scenario format.
    Schema,
}

#[derive(ValueEnum, Clone, Copy, Debug)]
enum Lang {
    /// pika and confluent-kafka.
    Python,
    /// amqplib and kafkajs.
    Javascript,
}

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("brokerlab: {e}");
            ExitCode::from(2)
        }
    }
}

/// Writes `text` to standard output. A reader that closed the pipe early is
/// not an error: the rest is dropped, which `head` and `grep -q` rely on.
/// Any other failure to write is reported.
fn emit(text: &str) -> Result<(), String> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(format!("cannot write the output: {e}")),
    }
}

fn run(cli: Cli) -> Result<ExitCode, String> {
    match cli.command {
        Cmd::Run { scenario, no_events } => {
            let s = load(&scenario)?;
            let mut report = s.run_report().map_err(|e| e.to_string())?;
            if no_events {
                report.events.clear();
            }
            emit(&report.to_json())?;
            Ok(if report.errors.is_empty() { ExitCode::SUCCESS } else { ExitCode::from(1) })
        }
        Cmd::Verify { amqp, rabbitmqctl, scenario } => {
            let s = load(&scenario)?;
            let (v, _) = verify::verify_with_outcomes(&s, &amqp, &verify::Options { rabbitmqctl })?;
            emit(&format!("{}\n", serde_json::to_string_pretty(&v).unwrap_or_default()))?;
            Ok(if v.matches { ExitCode::SUCCESS } else { ExitCode::from(1) })
        }
        Cmd::Link { scenario } => {
            emit(&format!("{}\n", load(&scenario)?.to_link()))?;
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Json { scenario } => {
            emit(&format!("{}\n", load(&scenario)?.to_json()))?;
            Ok(ExitCode::SUCCESS)
        }
        Cmd::ExportDefinitions { scenario } => {
            emit(&load(&scenario)?.export_definitions())?;
            Ok(ExitCode::SUCCESS)
        }
        Cmd::ImportDefinitions { definitions, into } => {
            let text = std::fs::read_to_string(&definitions).map_err(|e| format!("{definitions}: {e}"))?;
            let mut s = match into {
                Some(src) => load(&src)?,
                None => Scenario::default(),
            };
            s.import_definitions(&text).map_err(|e| format!("{definitions}: {e}"))?;
            emit(&format!("{}\n", s.to_json()))?;
            Ok(ExitCode::SUCCESS)
        }
        Cmd::KafkaTopics { scenario, bootstrap_server } => {
            emit(&definitions::kafka_topics_commands(&load(&scenario)?.kafka, &bootstrap_server))?;
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Code { lang, scenario } => {
            let s = load(&scenario)?;
            emit(&match lang {
                Lang::Python => codegen::python(&s),
                Lang::Javascript => codegen::javascript(&s),
            })?;
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Presets => {
            let list: String = presets::all().iter().map(|s| format!("{:<26} {}\n", s.id, s.title)).collect();
            emit(&list)?;
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Challenges { json } => {
            let all: Vec<_> =
                builtin::ids().filter_map(|id| builtin::get(id).and_then(|b| b.start.challenge.map(|c| *c))).collect();
            if json {
                let rows: Vec<_> = all
                    .iter()
                    .map(|c| serde_json::json!({ "id": c.id, "module": c.module, "level": c.level, "title": c.title, "lessons": c.lessons }))
                    .collect();
                println!("{}", serde_json::to_string_pretty(&rows).unwrap_or_default());
            } else {
                for c in all {
                    println!("{:<22} {:<12} {}  {}", c.id, c.module, "*".repeat(c.level.into()), c.title);
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Challenge { id, start: _, solution } => {
            let b = builtin::get(&id).ok_or_else(|| no_challenge(&id))?;
            println!("{}", if solution { b.solution.to_json() } else { b.start.to_json() });
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Check { args, json } => {
            let (challenge, start, answer) = match args.as_slice() {
                [id, file] => {
                    let b = builtin::get(id).ok_or_else(|| no_challenge(id))?;
                    let c = b.start.challenge.clone().ok_or_else(|| no_challenge(id))?;
                    (*c, Some(b.start), load(file)?)
                }
                [file] => {
                    let answer = load(file)?;
                    let c = answer
                        .challenge
                        .clone()
                        .ok_or_else(|| format!("{file} carries no challenge; name one: brokerlab check ID {file}"))?;
                    (*c, None, answer)
                }
                _ => return Err("check takes ID SCENARIO or SCENARIO".into()),
            };
            let verdict = challenge.check(&answer, start.as_ref());
            if json {
                println!("{}", serde_json::to_string_pretty(&verdict).unwrap_or_default());
            } else {
                println!("{}", challenge.title);
                for r in &verdict.results {
                    let mark = if r.passed { "passed" } else { "FAILED" };
                    println!("  {mark}  {} - {}", r.probe, r.check);
                    if let Some(why) = &r.reason {
                        println!("          {why}");
                    }
                }
                let failed = verdict.results.iter().filter(|r| !r.passed).count();
                if failed == 0 {
                    println!("Solved: all {} checks passed.", verdict.results.len());
                } else {
                    println!("{failed} of {} checks failed.", verdict.results.len());
                }
            }
            Ok(if verdict.passed { ExitCode::SUCCESS } else { ExitCode::from(1) })
        }
        Cmd::Schema => {
            emit(&json_schema())?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn no_challenge(id: &str) -> String {
    let ids: Vec<&str> = builtin::ids().collect();
    format!("no challenge `{id}`; the challenges are: {}", ids.join(", "))
}
