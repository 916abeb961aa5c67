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
        /// and start it (`stop_app`, `start_app`) instead of being skipped.
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
    /// Print `kafka-topics.sh --create` commands for the Kafka topics.
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
        Cmd::Schema => {
            emit(&json_schema())?;
            Ok(ExitCode::SUCCESS)
        }
    }
}
